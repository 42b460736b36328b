package quire_test

import (
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"quire.dev/quire"
)

func dupWords(seed int64, n int) string {
	rng := rand.New(rand.NewSource(seed))
	w := make([]string, n)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", rng.Intn(5000))
	}
	return strings.Join(w, " ")
}

func dupDocs() []quire.Document {
	story := dupWords(1, 500)
	edited := strings.Fields(story)
	for i := 0; i < len(edited); i += 30 {
		edited[i] = "changed"
	}
	other := dupWords(4, 400)
	return []quire.Document{
		{Title: "t0", URL: "https://news.example/a?utm_source=x&gclid=2", Text: story},
		{Title: "t1", Text: dupWords(2, 400)},
		{Title: "t2", URL: "HTTP://News.Example:80/a/#top", Text: dupWords(3, 400)},
		{Title: "t3", Text: strings.Join(edited, " ")},
		{Title: "t4", Text: "Cafe\u0301 " + other},           // NFD
		{Title: "t5", Text: "Caf\u00e9 \n\n " + other + " "}, // NFC, other spaces
	}
}

// shape is a group as kind:doc,doc,...
func shape(groups []quire.DupGroup) []string {
	out := []string{}
	for _, g := range groups {
		docs := []string{}
		for _, m := range g.Members {
			docs = append(docs, fmt.Sprintf("%d/%d", m.Corpus, m.Doc))
		}
		out = append(out, g.Kind.String()+":"+strings.Join(docs, ","))
	}
	return out
}

func TestFindDupsEveryKind(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, dupDocs(), &quire.WriterOptions{Order: quire.OrderInput}))
	groups, err := quire.FindDups(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"url:0/0,0/2", "text:0/4,0/5", "near:0/0,0/3", "near:0/4,0/5"}
	if got := shape(groups); !reflect.DeepEqual(got, want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	if s := groups[2].Members[1].Similarity; s <= 0.6 || s >= 1 {
		t.Errorf("similarity of the edited copy %f", s)
	}
	strict, err := quire.FindDups(&quire.DupsOptions{Kinds: quire.DupNear, Similarity: 0.99}, c, c)
	if err != nil {
		t.Fatal(err)
	}
	// Across two corpora (the same one twice) every document has its twin.
	if len(strict) != 5 || strict[0].Members[len(strict[0].Members)-1].Corpus != 1 {
		t.Errorf("near groups across corpora: %v", shape(strict))
	}
}

func TestWriterDedupKeepsTheFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.quire")
	w, err := quire.Create(path, &quire.WriterOptions{Order: quire.OrderInput, Dedup: quire.DupURL | quire.DupText})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, d := range dupDocs() {
		if err := w.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if w.Dropped() != 2 || w.Count() != 4 {
		t.Fatalf("dropped %d, kept %d", w.Dropped(), w.Count())
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	c := openCorpus(t, path)
	var titles []string
	for d, err := range c.Query(nil) {
		if err != nil {
			t.Fatal(err)
		}
		title, err := d.Title()
		if err != nil {
			t.Fatal(err)
		}
		titles = append(titles, title)
	}
	if !reflect.DeepEqual(titles, []string{"t0", "t1", "t3", "t4"}) {
		t.Errorf("kept %v", titles)
	}
}

func TestFindDupsSeeds(t *testing.T) {
	docs := readSeeds(t)
	c := openCorpus(t, writeCorpus(t, docs, nil))
	groups, err := quire.FindDups(nil, c)
	if err != nil || len(groups) != 0 {
		t.Fatalf("five distinct articles: %v %v", shape(groups), err)
	}
	groups, err = quire.FindDups(nil, c, c)
	if err != nil || len(groups) != 12 {
		t.Fatalf("the seeds twice: %v %v", shape(groups), err)
	}
}

func TestFindDupsErrors(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, dupDocs(), nil))
	if _, err := quire.FindDups(&quire.DupsOptions{Kinds: 8}, c); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("kinds 8: %v", err)
	}
	if _, err := quire.FindDups(&quire.DupsOptions{Similarity: 1.5}, c); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("similarity 1.5: %v", err)
	}
	if _, err := quire.FindDups(nil, nil); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("nil corpus: %v", err)
	}
	c.Close()
	if _, err := quire.FindDups(nil, c); !errors.Is(err, quire.ErrState) {
		t.Errorf("closed corpus: %v", err)
	}
	_, err := quire.Create(filepath.Join(t.TempDir(), "x.quire"), &quire.WriterOptions{Dedup: quire.DupNear, Similarity: -1})
	if !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("similarity -1: %v", err)
	}
	if quire.DupNear.String() != "near" || quire.DupKind(3).String() != "DupKind(3)" {
		t.Error("DupKind names")
	}
	if quire.DefaultSimilarity <= 0 || quire.DefaultSimilarity > 1 {
		t.Error("DefaultSimilarity")
	}
}
