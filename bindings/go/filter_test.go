package quire_test

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"quire.dev/quire"
)

var testFilters = []quire.Filter{
	{},
	{Sources: []string{"Новая газета"}},
	{Sources: []string{"Новая газета", "🗞 Daily Emoji"}},
	{Sources: []string{"no such source"}},
	{From: "2016"},
	{To: "2016"},
	{From: "2016-02", To: "2017-05-08"},
	{From: "2016-02-29", To: "2016-02-29"},
	{From: "2017-05-08T09:22", To: "2024-08"},
	{From: "2016-01", Undated: quire.UndatedInclude},
	{Undated: quire.UndatedExclude},
	{Undated: quire.UndatedInclude},
	{Sources: []string{"Belarus in Focus"}, From: "2016", To: "2016", Undated: quire.UndatedInclude},
	{Sources: []string{"Eurasia Daily Monitor"}, To: "2015", Undated: quire.UndatedExclude},
}

// matches says whether doc passes f, computed from the filter's documented
// meaning with package time alone.
func matches(t *testing.T, doc quire.Document, f quire.Filter) bool {
	if len(f.Sources) > 0 && !slices.Contains(f.Sources, doc.Source) {
		return false
	}
	if doc.Date == "" {
		switch f.Undated {
		case quire.UndatedInclude:
			return true
		case quire.UndatedExclude:
			return false
		}
		return f.From == "" && f.To == ""
	}
	d, _ := dateRange(t, doc.Date)
	if f.From != "" {
		if from, _ := dateRange(t, f.From); d.Before(from) {
			return false
		}
	}
	if f.To != "" {
		if _, to := dateRange(t, f.To); d.After(to) {
			return false
		}
	}
	return true
}

func TestFiltersAgainstOracleAndCLibrary(t *testing.T) {
	docs := sampleDocs(300)
	path := writeCorpus(t, docs, &quire.WriterOptions{BlockSize: 4096})
	c := openCorpus(t, path)
	for _, f := range testFilters {
		want := uint64(0)
		for _, d := range docs {
			if matches(t, d, f) {
				want++
			}
		}
		counted, err := c.CountMatches(&f)
		if err != nil {
			t.Fatalf("CountMatches(%+v): %v", f, err)
		}
		iterated := uint64(0)
		last := int64(-1)
		for doc, err := range c.Query(&f) {
			if err != nil {
				t.Fatalf("Query(%+v): %v", f, err)
			}
			if int64(doc.Number()) <= last {
				t.Fatalf("Query(%+v) not in document order", f)
			}
			last = int64(doc.Number())
			got, err := doc.Load()
			if err != nil {
				t.Fatal(err)
			}
			if !matches(t, got, f) {
				t.Fatalf("Query(%+v) yielded %+v", f, got)
			}
			iterated++
		}
		if counted != want || iterated != want {
			t.Errorf("filter %+v: CountMatches %d, Query %d, oracle %d", f, counted, iterated, want)
		}
		if cli := cliCount(t, path, f); cli >= 0 && uint64(cli) != want {
			t.Errorf("filter %+v: quire count %d, oracle %d", f, cli, want)
		}
	}
}

// cliCount runs the C command-line tool's count on the same filter, when
// ctest says where the tool is (QUIRE_CLI); -1 otherwise.
func cliCount(t *testing.T, path string, f quire.Filter) int64 {
	cli := os.Getenv("QUIRE_CLI")
	if cli == "" {
		return -1
	}
	if f.Undated == quire.UndatedExclude {
		return -1 // the CLI has no way to say it
	}
	args := []string{"count", path}
	for _, s := range f.Sources {
		args = append(args, "--source", s)
	}
	if f.From != "" {
		args = append(args, "--from", f.From)
	}
	if f.To != "" {
		args = append(args, "--to", f.To)
	}
	if f.Undated == quire.UndatedInclude {
		args = append(args, "--undated")
	}
	out, err := exec.Command(cli, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", cli, args, err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		t.Fatalf("%s %v printed %q", cli, args, out)
	}
	return n
}

func TestDateHelpers(t *testing.T) {
	d, err := quire.ParseDate("2016-01")
	if err != nil || d.Precision != quire.MonthPrecision || d.String() != "2016-01" {
		t.Fatalf("ParseDate(2016-01) = %+v %q %v", d, d.String(), err)
	}
	if !d.Time().Equal(time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Time() = %v", d.Time())
	}
	if (quire.Date{}).String() != "" || !(quire.Date{}).Time().IsZero() {
		t.Fatal("the zero Date is not empty")
	}
}

// The fields of every match can be read, the last one included, after the
// cursor has found that there is no further match.
func TestFieldsOfEveryMatch(t *testing.T) {
	docs := []quire.Document{
		{Source: "Belarus in Focus", Date: "2016-04-22T18:38", Title: "first"},
		{Source: "Eurasia Daily Monitor", Date: "2016-01", Title: "second"},
		{Title: "third"},
	}
	c := openCorpus(t, writeCorpus(t, docs, nil))
	for _, f := range []*quire.Filter{nil, {Sources: []string{"Belarus in Focus"}, From: "2016", To: "2016"}, {Undated: quire.UndatedExclude}} {
		want, _ := c.CountMatches(f)
		n := uint64(0)
		for doc, err := range c.Query(f) {
			if err != nil {
				t.Fatal(err)
			}
			if _, err := doc.Title(); err != nil {
				t.Fatalf("filter %+v, match %d: %v", f, n, err)
			}
			n++
		}
		if n != want {
			t.Fatalf("filter %+v: %d matches, want %d", f, n, want)
		}
	}
}
