package quire_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"quire.dev/quire"
)

func TestExportPathAndWriterAgree(t *testing.T) {
	docs := sampleDocs(40)
	c := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput}))
	f := &quire.Filter{Sources: []string{"Новая газета", "🗞 Daily Emoji"}}
	opts := &quire.ExportOptions{Filter: f}
	var buf bytes.Buffer
	res, err := c.WriteCSV(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := c.CountMatches(f)
	if res.Rows != want || want == 0 {
		t.Fatalf("exported %d rows, want %d", res.Rows, want)
	}
	path := filepath.Join(t.TempDir(), "out.csv")
	if _, err := c.ExportCSV(path, opts); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(onDisk, buf.Bytes()) {
		t.Fatalf("file and stream differ (%v)", err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := records[0]; len(got) != 7 || got[0] != "id" || got[6] != "text" {
		t.Fatalf("header %q", got)
	}
	for _, rec := range records[1:] {
		id, _ := strconv.Atoi(rec[0])
		d := docs[id]
		// encoding/csv reads CRLF inside a quoted cell as LF.
		if rec[1] != d.Source || rec[3] != d.Title || rec[4] != d.Author || rec[5] != d.URL || rec[6] != strings.ReplaceAll(d.Text, "\r\n", "\n") {
			t.Fatalf("row %q differs from document %d", rec[:4], id)
		}
	}
}

func TestExportOptions(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, sampleDocs(10), nil))
	var buf bytes.Buffer
	if _, err := c.WriteCSV(&buf, &quire.ExportOptions{Columns: []string{"title", "ID"}, Dialect: quire.DialectExcel}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xef\xbb\xbftitle,id\r\n")) {
		t.Fatalf("excel export starts %q", buf.Bytes()[:20])
	}
	_, err := c.WriteCSV(&buf, &quire.ExportOptions{Columns: []string{"title", "colour"}})
	if !errors.Is(err, quire.ErrInvalid) {
		t.Fatalf("unknown column: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bad.csv")
	if _, err := c.ExportCSV(path, &quire.ExportOptions{Filter: &quire.Filter{From: "soon"}}); !errors.Is(err, quire.ErrDate) {
		t.Fatalf("bad filter: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("failed export left a file")
	}
}

type failingWriter struct{ left int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		return 0, errDiskFull
	}
	w.left -= len(p)
	return len(p), nil
}

type panickingWriter struct{}

func (panickingWriter) Write([]byte) (int, error) { panic("writer exploded") }

func TestExportWriterErrorsAndPanics(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, sampleDocs(50), nil))
	if _, err := c.WriteCSV(&failingWriter{left: 1000}, nil); !errors.Is(err, errDiskFull) {
		t.Fatalf("failing writer: %v", err)
	}
	defer func() {
		if r := recover(); r != "writer exploded" {
			t.Fatalf("recovered %v", r)
		}
		// The corpus is still usable after the panic crossed the export.
		if n, err := c.CountMatches(nil); err != nil || n != 50 {
			t.Fatalf("after panic: %d %v", n, err)
		}
	}()
	c.WriteCSV(panickingWriter{}, nil)
	t.Fatal("the panic was swallowed")
}

func TestImportCSV(t *testing.T) {
	docs := sampleDocs(20)
	var csvData bytes.Buffer
	cw := csv.NewWriter(&csvData)
	cw.Write([]string{"source", "date", "title", "author", "url", "text", "shoe size"})
	for _, d := range docs {
		cw.Write([]string{d.Source, d.Date, d.Title, d.Author, d.URL, d.Text, "42"})
	}
	cw.Write([]string{"Bad Row", "the day after tomorrow", "t", "", "", "x", "1"})
	cw.Flush()

	path := filepath.Join(t.TempDir(), "imported.quire")
	w, err := quire.Create(path, &quire.WriterOptions{Order: quire.OrderInput})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := w.ImportCSVBytes(csvData.Bytes(), "docs.csv", &quire.ImportOptions{SkipBadRows: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != uint64(len(docs)) || res.Skipped != 1 || len(res.SkippedRows) != 1 || res.SkippedRows[0] != uint64(len(docs))+2 {
		t.Fatalf("import result %+v", res)
	}
	if res.Warnings == "" {
		t.Fatal("no warning about the unknown column")
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	c := openCorpus(t, path)
	for i := range docs {
		got, err := c.Doc(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, i, got, docs[i])
	}

	strict, err := quire.Create(filepath.Join(t.TempDir(), "strict.quire"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	if _, err := strict.ImportCSVBytes(csvData.Bytes(), "docs.csv", nil); !errors.Is(err, quire.ErrDate) {
		t.Fatalf("strict import of a bad date: %v", err)
	}
	if _, err := strict.ImportCSV(filepath.Join(t.TempDir(), "none.csv"), nil); !errors.Is(err, quire.ErrNotFound) {
		t.Fatalf("missing CSV: %v", err)
	}
}

// A gzip'd CSV, in a file or in memory, packs as its plain form does; one
// cut short is ErrCSV.
func TestImportGzipCSV(t *testing.T) {
	var plain bytes.Buffer
	cw := csv.NewWriter(&plain)
	cw.Write([]string{"source", "date", "title", "author", "url", "text"})
	for _, d := range sampleDocs(30) {
		cw.Write([]string{d.Source, d.Date, d.Title, d.Author, d.URL, d.Text})
	}
	cw.Flush()
	var packed bytes.Buffer
	zw := gzip.NewWriter(&packed)
	zw.Write(plain.Bytes())
	zw.Close()
	dir := t.TempDir()
	inputs := map[string][]byte{
		"plain.csv":   plain.Bytes(),
		"docs.csv.gz": packed.Bytes(),
		"cut.csv.gz":  packed.Bytes()[:packed.Len()/2],
	}
	for name, data := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pack := func(name string) ([]byte, error) {
		out := filepath.Join(dir, name+".quire")
		w, err := quire.Create(out, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if _, err := w.ImportCSV(filepath.Join(dir, name), nil); err != nil {
			return nil, err
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		return os.ReadFile(out)
	}
	want, err := pack("plain.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pack("docs.csv.gz"); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("gzip'd CSV: %d bytes against %d, %v", len(got), len(want), err)
	}
	if _, err := pack("cut.csv.gz"); !errors.Is(err, quire.ErrCSV) || !strings.Contains(err.Error(), "ends early") {
		t.Fatalf("a gzip'd CSV cut short: %v", err)
	}
	// The same bytes in memory.
	packBytes := func(name string) ([]byte, error) {
		out := filepath.Join(dir, name+".mem.quire")
		w, err := quire.Create(out, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if _, err := w.ImportCSVBytes(inputs[name], name, nil); err != nil {
			return nil, err
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		return os.ReadFile(out)
	}
	if got, err := packBytes("docs.csv.gz"); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("gzip'd CSV in memory: %d bytes against %d, %v", len(got), len(want), err)
	}
	if _, err := packBytes("cut.csv.gz"); !errors.Is(err, quire.ErrCSV) || !strings.Contains(err.Error(), "ends early") {
		t.Fatalf("a gzip'd CSV in memory cut short: %v", err)
	}
}

// An abandoned Writer is closed by the garbage collector, which removes its
// temporary file.
func TestGarbageCollectedWriterLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	func() {
		w, err := quire.Create(filepath.Join(dir, "dropped.quire"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(quire.Document{Text: "never finished"}); err != nil {
			t.Fatal(err)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		entries, _ := os.ReadDir(dir)
		if len(entries) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still there after GC: %v", entries)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
