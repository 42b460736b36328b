package quire_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"unicode"

	"quire.dev/quire"
)

// refWords splits text into words as docs/guide.md defines them (runs of letters
// and numbers), with package unicode alone.
func refWords(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// refHolds says whether the words of term follow one another in field;
// strings.EqualFold compares by Unicode simple case folding, as libquire.
func refHolds(field, term string) bool {
	f, t := refWords(field), refWords(term)
	for i := 0; i+len(t) <= len(f); i++ {
		j := 0
		for j < len(t) && strings.EqualFold(f[i+j], t[j]) {
			j++
		}
		if j == len(t) {
			return true
		}
	}
	return false
}

func refMatch(d quire.Document, all, anyOf []string) bool {
	has := func(term string) bool { return refHolds(d.Title, term) || refHolds(d.Text, term) }
	for _, term := range all {
		if !has(term) {
			return false
		}
	}
	return len(anyOf) == 0 || slices.ContainsFunc(anyOf, has)
}

func wordsDocs(n int) ([]quire.Document, []string) {
	rng := rand.New(rand.NewSource(5))
	letters := []rune("abcikABCIKлукЛУКσςΣάΆéÉßẞİıǅǆſKµ٣²日")
	seps := []string{" ", " ", "-", "’", "'", "_", ", ", "\u0301", "\u00a0", "😀", "\n"}
	vocab := make([]string, 50)
	for i := range vocab {
		w := make([]rune, 1+rng.Intn(3))
		for j := range w {
			w[j] = letters[rng.Intn(len(letters))]
		}
		vocab[i] = string(w)
	}
	text := func(k int) string {
		var b strings.Builder
		for range k {
			b.WriteString(vocab[rng.Intn(len(vocab))])
			b.WriteString(seps[rng.Intn(len(seps))])
		}
		return b.String()
	}
	docs := make([]quire.Document, n)
	for i := range docs {
		docs[i] = quire.Document{Source: []string{"A", "B"}[i%2], Date: fmt.Sprint(2010 + i%5),
			Title: text(rng.Intn(4)), Text: text(rng.Intn(50))}
	}
	return docs, vocab
}

func TestTermsAgainstReference(t *testing.T) {
	docs, vocab := wordsDocs(250)
	c := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{BlockSize: 4096, Order: quire.OrderInput}))
	filters := []quire.Filter{
		{Match: []string{"ẞ"}}, {Match: []string{"STRASSE"}}, {Match: []string{"Σ"}},
		{Match: []string{"İ"}}, {Match: []string{"I"}}, {Match: []string{"absent-zz"}},
		{Match: []string{vocab[0], vocab[1]}},
		{MatchAny: []string{vocab[2], vocab[3], "absent-zz"}},
		{Match: []string{vocab[4] + " " + vocab[5]}},
		{Match: []string{strings.ToUpper(vocab[6])}, MatchAny: []string{vocab[7], vocab[8]}},
		{Match: []string{vocab[9]}, Sources: []string{"B"}, From: "2012"},
	}
	for _, w := range vocab[10:30] {
		filters = append(filters, quire.Filter{Match: []string{strings.ToUpper(w)}})
	}
	nontrivial := 0
	for _, f := range filters {
		var want []uint64
		for i, d := range docs {
			inRange := len(f.Sources) == 0 || (d.Source == f.Sources[0] && d.Date >= f.From)
			if inRange && refMatch(d, f.Match, f.MatchAny) {
				want = append(want, uint64(i))
			}
		}
		var got []uint64
		for d, err := range c.Query(&f) {
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			got = append(got, d.Number())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%+v: got %v, reference %v", f, got, want)
		}
		if n, err := c.CountMatches(&f); err != nil || n != uint64(len(want)) {
			t.Errorf("%+v: CountMatches %d, %v; want %d", f, n, err, len(want))
		}
		if len(want) > 0 && len(want) < len(docs) {
			nontrivial++
		}
	}
	if nontrivial < 15 {
		t.Errorf("only %d filters matched some documents but not all", nontrivial)
	}
	var csv bytes.Buffer
	f := quire.Filter{Match: []string{vocab[11]}}
	res, err := c.WriteCSV(&csv, &quire.ExportOptions{Filter: &f, Columns: []string{"id"}})
	n, _ := c.CountMatches(&f)
	if err != nil || res.Rows != n || strings.Count(csv.String(), "\n") != int(n)+1 {
		t.Errorf("export with terms: %v, %d rows, want %d", err, res.Rows, n)
	}
}

// TestWordSummariesChangeNothingButSize writes the same documents with and
// without word summaries: every filter gives the same documents.
func TestWordSummariesChangeNothingButSize(t *testing.T) {
	docs, vocab := wordsDocs(250)
	with := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{BlockSize: 4096}))
	without := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{BlockSize: 4096, NoWordSummaries: true}))
	for _, w := range append(vocab[:20], "absent-zz") {
		f := quire.Filter{Match: []string{w}}
		a, errA := with.CountMatches(&f)
		b, errB := without.CountMatches(&f)
		if errA != nil || errB != nil || a != b {
			t.Errorf("%q: %d (%v) with summaries, %d (%v) without", w, a, errA, b, errB)
		}
	}
}

func TestBadTerms(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, sampleDocs(3), nil))
	for _, f := range []quire.Filter{{Match: []string{""}}, {MatchAny: []string{" - "}}} {
		if _, err := c.CountMatches(&f); !errors.Is(err, quire.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", f, err)
		}
	}
	f := quire.Filter{Match: []string{"caf\xe9"}}
	if _, err := c.CountMatches(&f); !errors.Is(err, quire.ErrUTF8) {
		t.Errorf("invalid UTF-8 term: %v, want ErrUTF8", err)
	}
	for _, err := range c.Query(&f) {
		if !errors.Is(err, quire.ErrUTF8) {
			t.Errorf("Query with invalid UTF-8 term: %v", err)
		}
	}
}
