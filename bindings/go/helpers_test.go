package quire_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"quire.dev/quire"
)

// sampleDocs returns documents covering every shape a field can take: empty
// strings, missing source and date, every date precision, Cyrillic, emoji,
// and texts long enough to span several blocks.
func sampleDocs(n int) []quire.Document {
	sources := []string{"", "Belarus in Focus", "Новая газета", "🗞 Daily Emoji", "Eurasia Daily Monitor"}
	dates := []string{"", "2016", "2016-01", "2016-02-29", "2017-05-08T09:22", "2024-08-01T23:59:59", "2015-12"}
	docs := make([]quire.Document, n)
	for i := range docs {
		docs[i] = quire.Document{
			Source: sources[i%len(sources)],
			Date:   dates[(i/len(sources))%len(dates)],
			Title:  fmt.Sprintf("Заголовок %d: Minsk 🇧🇾 \"quoted\", comma", i),
			Author: []string{"", "Nikola Mikovic", "Юрий Дракохруст"}[i%3],
			URL:    []string{"", fmt.Sprintf("https://example.org/a/%d?x=1&y=2", i)}[i%2],
			Text:   sampleText(i),
		}
	}
	return docs
}

func sampleText(i int) string {
	switch i % 4 {
	case 0:
		return ""
	case 1:
		return "Короткий текст 😀\nwith a second line\r\nand a third."
	default:
		size := 3000 + i*37
		b := make([]byte, 0, size+100)
		for len(b) < size {
			b = fmt.Appendf(b, "Paragraph %d of document %d, «кириллица», 🚀.\n", len(b), i)
		}
		return string(b)
	}
}

// must returns v, failing the test when err is not nil.
func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// writeCorpus packs docs into a new file under t.TempDir().
func writeCorpus(t testing.TB, docs []quire.Document, opts *quire.WriterOptions) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.quire")
	w, err := quire.Create(path, opts)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Close()
	for i, d := range docs {
		if err := w.Add(d); err != nil {
			t.Fatalf("Add doc %d: %v", i, err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return path
}

func openCorpus(t testing.TB, path string) *quire.Corpus {
	t.Helper()
	c, err := quire.Open(path)
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dateRange returns the first and last instant of an ISO 8601 date of any
// precision, computed with package time only, as an oracle independent of
// libquire.
func dateRange(t testing.TB, s string) (first, last time.Time) {
	t.Helper()
	layouts := []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{"2006", func(x time.Time) time.Time { return x.AddDate(1, 0, 0) }},
		{"2006-01", func(x time.Time) time.Time { return x.AddDate(0, 1, 0) }},
		{"2006-01-02", func(x time.Time) time.Time { return x.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04", func(x time.Time) time.Time { return x.Add(time.Minute) }},
		{"2006-01-02T15:04:05", func(x time.Time) time.Time { return x.Add(time.Second) }},
	}
	for _, l := range layouts {
		if x, err := time.Parse(l.layout, s); err == nil {
			return x, l.next(x).Add(-time.Second)
		}
	}
	t.Fatalf("test date %q has no known layout", s)
	return
}

func seedsDir() string {
	if d := os.Getenv("QUIRE_SEEDS_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "seeds")
}
