package quire_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"quire.dev/quire"
)

// readSeeds reads the sample articles of ../shared/seeds through
// manifest.csv (file,source,date,title,author,url), or skips the test.
func readSeeds(t *testing.T) []quire.Document {
	dir := seedsDir()
	f, err := os.Open(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Skipf("seeds not available (%v): skipping the real-sample test", err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var docs []quire.Document
	for _, r := range records[1:] {
		text, err := os.ReadFile(filepath.Join(dir, r[0]))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, quire.Document{Source: r[1], Date: r[2], Title: r[3], Author: r[4], URL: r[5], Text: string(text)})
	}
	return docs
}

func TestSeedsCorpus(t *testing.T) {
	docs := readSeeds(t)
	c := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput}))
	if n := must[uint64](t)(c.Count()); n != uint64(len(docs)) {
		t.Fatalf("Count %d, want %d", n, len(docs))
	}
	sources := map[string]bool{}
	undated := uint64(0)
	for i, d := range docs {
		got, err := c.Doc(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, i, got, d)
		if d.Source != "" {
			sources[d.Source] = true
		}
		if d.Date == "" {
			undated++
		}
	}
	nSources, nUndated := must[uint64](t)(c.SourceCount()), must[uint64](t)(c.UndatedCount())
	if nSources != uint64(len(sources)) || nUndated != undated {
		t.Fatalf("sources %d undated %d, want %d and %d", nSources, nUndated, len(sources), undated)
	}
	for _, f := range []quire.Filter{{Sources: []string{"Belarus in Focus"}}, {From: "2016", To: "2016"}, {From: "2017"}} {
		want := uint64(0)
		for _, d := range docs {
			if matches(t, d, f) {
				want++
			}
		}
		if got, err := c.CountMatches(&f); err != nil || got != want || want == 0 {
			t.Errorf("seeds filter %+v: %d (%v), want %d", f, got, err, want)
		}
	}
}

// Packing the manifest with the C importer gives the same documents as the
// binding's own writer did.
func TestSeedsImport(t *testing.T) {
	docs := readSeeds(t)
	path := filepath.Join(t.TempDir(), "seeds.quire")
	w, err := quire.Create(path, &quire.WriterOptions{Order: quire.OrderInput})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := w.ImportCSV(filepath.Join(seedsDir(), "manifest.csv"), &quire.ImportOptions{Columns: map[string]quire.Field{"file": quire.FieldFile}})
	if err != nil || res.Rows != uint64(len(docs)) {
		t.Fatalf("ImportCSV: %+v %v", res, err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	c := openCorpus(t, path)
	for i, d := range docs {
		got, err := c.Doc(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, i, got, d)
	}
}
