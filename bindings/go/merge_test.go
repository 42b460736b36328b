package quire_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"quire.dev/quire"
)

// readAll returns a copy of every document of the corpus at path, in
// document order.
func readAll(t *testing.T, path string) []quire.Document {
	t.Helper()
	c, err := quire.Open(path)
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	defer c.Close()
	var docs []quire.Document
	for doc, err := range c.Query(nil) {
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		d, err := doc.Load()
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		docs = append(docs, d)
	}
	return docs
}

// renumber returns docs numbered from first on, as a file holding them
// from position first numbers them.
func renumber(docs []quire.Document, first int) []quire.Document {
	out := slices.Clone(docs)
	for i := range out {
		out[i].Number = uint64(first + i)
	}
	return out
}

// docKey is every field of a document but its number.
func docKey(d quire.Document) string {
	return strings.Join([]string{d.Source, d.Date, d.Title, d.Author, d.URL, d.Text}, "\x01")
}

// sortedKeys is the multiset of documents, ignoring their order.
func sortedKeys(docs []quire.Document) []string {
	keys := make([]string, len(docs))
	for i, d := range docs {
		keys[i] = docKey(d)
	}
	slices.Sort(keys)
	return keys
}

// checkSame fails unless got and want hold the same documents in the same
// order, every field and number compared.
func checkSame(t *testing.T, what string, got, want []quire.Document) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d documents, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: document %d\n got %+q\nwant %+q", what, i, got[i], want[i])
		}
	}
}

// uniqueDocs returns documents from..to-1, each with its own url and text
// (several KiB, so that a corpus has many blocks), spread over sources and
// dates; the same index always gives the same document.
func uniqueDocs(from, to int) []quire.Document {
	sources := []string{"Belarus in Focus", "Eurasia Daily Monitor", "", "Новая газета"}
	dates := []string{"2016-04-22T18:38", "2017-05", "", "2015-12-31", "2024"}
	var docs []quire.Document
	for i := from; i < to; i++ {
		docs = append(docs, quire.Document{
			Source: sources[i%len(sources)],
			Date:   dates[(i/3)%len(dates)],
			Title:  fmt.Sprintf("Story %d «кириллица»", i),
			Author: []string{"", "Nikola Mikovic"}[i%2],
			URL:    fmt.Sprintf("https://news.example/story/%d", i),
			Text:   fmt.Sprintf("Story %d.\n", i) + dupWords(int64(1000+i), 400+i%50),
		})
	}
	return docs
}

// retitled returns docs with prefix before each title, so that two
// corpora made from the same generator hold different documents.
func retitled(docs []quire.Document, prefix string) []quire.Document {
	out := slices.Clone(docs)
	for i := range out {
		out[i].Title = prefix + out[i].Title
	}
	return out
}

func TestMergeKeepOrderConcatenates(t *testing.T) {
	// Enough text for zstd dictionaries.
	a := writeCorpus(t, sampleDocs(200), &quire.WriterOptions{BlockSize: 8192})
	b := writeCorpus(t, retitled(uniqueDocs(0, 40), "B "), &quire.WriterOptions{
		BlockSize: 8192, Codec: quire.CodecDeflate, Order: quire.OrderInput})
	docsA, docsB := readAll(t, a), readAll(t, b)
	out := filepath.Join(t.TempDir(), "merged.quire")
	stats, err := quire.Merge(out, []string{b, a}, &quire.MergeOptions{KeepOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	if stats != (quire.MergeStats{Docs: 240}) {
		t.Fatalf("stats %+v", stats)
	}
	want := append(renumber(docsB, 0), renumber(docsA, len(docsB))...)
	checkSame(t, "keep-order merge", readAll(t, out), want)
	c := openCorpus(t, out)
	if err := c.Verify(); err != nil {
		t.Fatal(err)
	}
	// The DEFLATE blocks came along as they were: the file has both codecs'
	// blocks, and the zstd input's dictionaries.
	pa := must[quire.Packing](t)(openCorpus(t, a).Packing())
	pm := must[quire.Packing](t)(c.Packing())
	if len(pa.Dictionaries) == 0 || !reflect.DeepEqual(pm.Dictionaries, pa.Dictionaries) {
		t.Errorf("dictionaries: input %v, merged %v", pa.Dictionaries, pm.Dictionaries)
	}
}

func TestMergeClusteredKeepsEveryDocument(t *testing.T) {
	a := writeCorpus(t, sampleDocs(70), &quire.WriterOptions{BlockSize: 8192})
	b := writeCorpus(t, retitled(uniqueDocs(0, 40), "B "), &quire.WriterOptions{
		BlockSize: 8192, Codec: quire.CodecDeflate})
	docsA, docsB := readAll(t, a), readAll(t, b)
	out := filepath.Join(t.TempDir(), "merged.quire")
	stats, err := quire.Merge(out, []string{a, b}, nil)
	if err != nil || stats.Docs != 110 || stats.Dropped != 0 {
		t.Fatalf("Merge: %+v %v", stats, err)
	}
	got := readAll(t, out)
	if !slices.Equal(sortedKeys(got), sortedKeys(append(docsA, docsB...))) {
		t.Fatal("the clustered merge does not hold the documents of its inputs")
	}
	for i, d := range got {
		if d.Number != uint64(i) {
			t.Fatalf("document %d numbered %d", i, d.Number)
		}
	}
	// Blocks are never split and each (clustered) input's blocks keep their
	// order, so each input's documents come in their own order.
	var fromA, fromB []string
	for _, d := range got {
		if strings.HasPrefix(d.Title, "B ") {
			fromB = append(fromB, docKey(d))
		} else {
			fromA = append(fromA, docKey(d))
		}
	}
	for _, in := range []struct {
		got  []string
		want []quire.Document
	}{{fromA, docsA}, {fromB, docsB}} {
		for i, d := range in.want {
			if in.got[i] != docKey(d) {
				t.Fatalf("an input's document %d moved in the clustered merge", i)
			}
		}
	}
	// The sources are grouped: filters on the merged file give what they
	// give on the inputs.
	c := openCorpus(t, out)
	for _, f := range []quire.Filter{{Sources: []string{"Belarus in Focus"}}, {From: "2016", To: "2017"}} {
		want := must[uint64](t)(openCorpus(t, a).CountMatches(&f)) + must[uint64](t)(openCorpus(t, b).CountMatches(&f))
		if n := must[uint64](t)(c.CountMatches(&f)); n != want || n == 0 {
			t.Errorf("filter %+v: %d, want %d", f, n, want)
		}
	}
}

// Two overlapping corpora: the second copy of each shared document is
// dropped, whichever block it is in, and the rest stays in order.
func TestMergeDedupDropsTheSecondCopy(t *testing.T) {
	a := writeCorpus(t, uniqueDocs(0, 40), &quire.WriterOptions{BlockSize: 8192, Order: quire.OrderInput})
	b := writeCorpus(t, uniqueDocs(20, 60), &quire.WriterOptions{BlockSize: 8192, Order: quire.OrderInput})
	for _, kind := range []quire.DupKind{quire.DupURL, quire.DupText, quire.DupURL | quire.DupText | quire.DupNear} {
		out := filepath.Join(t.TempDir(), "dedup.quire")
		stats, err := quire.Merge(out, []string{a, b}, &quire.MergeOptions{KeepOrder: true, Dedup: kind, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		if stats != (quire.MergeStats{Docs: 60, Dropped: 20}) {
			t.Fatalf("dedup %d: %+v", kind, stats)
		}
		checkSame(t, "merge with dedup", readAll(t, out), renumber(uniqueDocs(0, 60), 0))
	}
}

func TestMergeSeeds(t *testing.T) {
	docs := readSeeds(t)
	seeds := writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput})
	out := filepath.Join(t.TempDir(), "twice.quire")
	stats, err := quire.Merge(out, []string{seeds, seeds}, &quire.MergeOptions{KeepOrder: true})
	if err != nil || stats.Docs != 10 {
		t.Fatalf("Merge: %+v %v", stats, err)
	}
	got := readAll(t, out)
	for i, d := range got {
		checkDocument(t, i, d, docs[i%len(docs)])
	}
	stats, err = quire.Merge(out, []string{seeds, seeds}, &quire.MergeOptions{Dedup: quire.DupURL | quire.DupText})
	if err != nil || stats != (quire.MergeStats{Docs: 5, Dropped: 5}) {
		t.Fatalf("Merge with dedup: %+v %v", stats, err)
	}
	if !slices.Equal(sortedKeys(readAll(t, out)), sortedKeys(readAll(t, seeds))) {
		t.Fatal("the deduplicated seeds differ from the seeds")
	}
}

// The writer keeps what it copies: corpora closed, or only collected,
// right after AddCorpus, from a file or from bytes, are merged whole.
func TestAddCorpusThenCloseEarly(t *testing.T) {
	if !withFreedMemoryPoisoned(t) {
		return
	}
	a := writeCorpus(t, sampleDocs(60), &quire.WriterOptions{BlockSize: 8192})
	b := writeCorpus(t, retitled(uniqueDocs(0, 30), "B "), &quire.WriterOptions{BlockSize: 8192, Order: quire.OrderInput})
	bBytes, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, order := range []quire.Order{quire.OrderClustered, quire.OrderInput} {
		out := filepath.Join(t.TempDir(), "early.quire")
		w, err := quire.Create(out, &quire.WriterOptions{Order: order})
		if err != nil {
			t.Fatal(err)
		}
		ca, err := quire.Open(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddCorpus(ca); err != nil {
			t.Fatal(err)
		}
		ca.Close()
		if _, err := ca.Count(); !errors.Is(err, quire.ErrState) {
			t.Fatalf("a closed corpus counts: %v", err)
		}
		// From bytes, never closed: only the collector lets go of it.
		func() {
			cb, err := quire.OpenBytes(bBytes)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.AddCorpus(cb); err != nil {
				t.Fatal(err)
			}
		}()
		extra := quire.Document{Source: "Late", Date: "2020", Title: "added last", Text: "after the corpora"}
		if err := w.Add(extra); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			runtime.GC()
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		if w.Count() != 91 {
			t.Fatalf("Count %d", w.Count())
		}
		w.Close()
		runtime.GC()
		got := readAll(t, out)
		want := append(append(readAll(t, a), readAll(t, b)...), extra)
		if order == quire.OrderInput {
			checkSame(t, "input-order writer", got, renumber(want, 0))
		} else if !slices.Equal(sortedKeys(got), sortedKeys(want)) {
			t.Fatal("the clustered writer does not hold the corpora closed early")
		}
	}
}

// withFreedMemoryPoisoned runs the test again in a child process in which
// glibc fills freed memory (MALLOC_PERTURB_), so that a writer reading the
// bytes of a corpus freed too early reads garbage (and fails on checksums)
// instead of the old data. It returns true in the child, where the test
// goes on.
func withFreedMemoryPoisoned(t *testing.T) bool {
	if os.Getenv("MALLOC_PERTURB_") != "" {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "MALLOC_PERTURB_=165")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("with MALLOC_PERTURB_: %v\n%s", err, out)
	}
	return false
}

// Close races AddCorpus from another goroutine: AddCorpus either fails
// with ErrState or adds the whole corpus, which the writer then writes.
func TestAddCorpusCloseRace(t *testing.T) {
	if !withFreedMemoryPoisoned(t) {
		return
	}
	path := writeCorpus(t, sampleDocs(80), &quire.WriterOptions{BlockSize: 8192})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := readAll(t, path)
	rng := rand.New(rand.NewSource(7))
	added := 0
	rounds := 60
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		c, err := quire.OpenBytes(data)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "race.quire")
		w, err := quire.Create(out, &quire.WriterOptions{Order: quire.OrderInput})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { done <- w.AddCorpus(c) }()
		time.Sleep(time.Duration(rng.Intn(40)) * time.Microsecond)
		c.Close()
		if err := <-done; err != nil {
			if !errors.Is(err, quire.ErrState) {
				t.Fatalf("round %d: %v", round, err)
			}
			w.Close()
			continue
		}
		added++
		if err := w.Finish(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		w.Close()
		checkSame(t, "corpus closed during AddCorpus", readAll(t, out), want)
	}
	t.Logf("%d of %d rounds added the corpus before it closed", added, rounds)
}

// A corpus from bytes whose writer is collected unclosed: the cleanup frees
// both without a crash (run with -race, and under the C library's checks).
func TestAddCorpusWriterCollected(t *testing.T) {
	data, err := os.ReadFile(writeCorpus(t, sampleDocs(20), nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := range 20 {
		func() {
			c, err := quire.OpenBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			w, err := quire.Create(filepath.Join(dir, fmt.Sprintf("%d.quire", i)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.AddCorpus(c); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				c.Close()
			}
		}()
		runtime.GC()
	}
	// Cleanups run on their own goroutine, some time after a collection:
	// each closes its writer, which removes its temporary file.
	for try := 0; ; try++ {
		runtime.GC()
		left, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(left) == 0 {
			break
		}
		if try == 100 {
			t.Fatalf("collected writers left %d temporary files", len(left))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAppendKeepsTheOldDocuments(t *testing.T) {
	for _, opts := range []*quire.WriterOptions{
		{BlockSize: 8192},
		{BlockSize: 8192, Codec: quire.CodecDeflate, Order: quire.OrderInput},
	} {
		path := writeCorpus(t, sampleDocs(60), opts)
		before := readAll(t, path)
		packing := must[quire.Packing](t)(openCorpus(t, path).Packing())
		w, err := quire.OpenAppend(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		added := uniqueDocs(0, 25)
		for _, d := range added {
			if err := w.Add(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		got := readAll(t, path)
		checkSame(t, "old documents", got[:len(before)], before)
		// The new ones follow in the corpus's own order, as a fresh corpus
		// of them alone with the same options orders them.
		fresh := readAll(t, writeCorpus(t, added, opts))
		checkSame(t, "new documents", got[len(before):], renumber(fresh, len(before)))
		c := openCorpus(t, path)
		if p := must[quire.Packing](t)(c.Packing()); !reflect.DeepEqual(p, packing) {
			t.Errorf("packing changed: %+v, was %+v", p, packing)
		}
		if err := c.Verify(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendDedupAgainstTheOldDocuments(t *testing.T) {
	path := writeCorpus(t, uniqueDocs(0, 30), &quire.WriterOptions{Order: quire.OrderInput})
	w, err := quire.OpenAppend(path, &quire.AppendOptions{Dedup: quire.DupURL | quire.DupText, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, d := range uniqueDocs(10, 40) {
		if err := w.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != 20 || w.Count() != 40 {
		t.Fatalf("dropped %d, count %d", w.Dropped(), w.Count())
	}
	checkSame(t, "append with dedup", readAll(t, path), renumber(uniqueDocs(0, 40), 0))
}

// The seeds' manifest imported into an append writer with dedup: the
// documents already there are dropped, the others follow them.
func TestAppendSeedsImport(t *testing.T) {
	docs := readSeeds(t)
	path := writeCorpus(t, docs[:3], &quire.WriterOptions{Order: quire.OrderInput})
	w, err := quire.OpenAppend(path, &quire.AppendOptions{Dedup: quire.DupURL | quire.DupText})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	res, err := w.ImportCSV(filepath.Join(seedsDir(), "manifest.csv"), &quire.ImportOptions{Columns: map[string]quire.Field{"file": quire.FieldFile}})
	if err != nil {
		t.Fatalf("ImportCSV: %+v %v", res, err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != 3 {
		t.Fatalf("dropped %d", w.Dropped())
	}
	got := readAll(t, path)
	if len(got) != len(docs) {
		t.Fatalf("%d documents, want %d", len(got), len(docs))
	}
	for i, d := range got {
		checkDocument(t, i, d, docs[i])
	}
}

func TestAppendAbandonedChangesNothing(t *testing.T) {
	path := writeCorpus(t, sampleDocs(30), nil)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := quire.OpenAppend(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(uniqueDocs(0, 1)[0]); err != nil {
		t.Fatal(err)
	}
	w.Close()
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("an abandoned append changed the file (%v)", err)
	}
	if left, _ := filepath.Glob(path + ".tmp*"); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestMergeAndAppendMisuse(t *testing.T) {
	dir := t.TempDir()
	path := writeCorpus(t, sampleDocs(10), nil)
	out := filepath.Join(dir, "out.quire")
	w, err := quire.Create(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddCorpus(nil); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("nil corpus: %v", err)
	}
	if err := w.AddCorpus(&quire.Corpus{}); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("zero Corpus: %v", err)
	}
	c, err := quire.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := w.AddCorpus(c); !errors.Is(err, quire.ErrState) {
		t.Errorf("closed corpus: %v", err)
	}
	c = openCorpus(t, path)
	if err := w.AddCorpus(c); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.AddCorpus(c); !errors.Is(err, quire.ErrState) {
		t.Errorf("finished writer: %v", err)
	}
	w.Close()
	if err := w.AddCorpus(c); !errors.Is(err, quire.ErrState) {
		t.Errorf("closed writer: %v", err)
	}
	var nilWriter *quire.Writer
	if err := nilWriter.AddCorpus(c); !errors.Is(err, quire.ErrState) {
		t.Errorf("nil writer: %v", err)
	}
	if n, err := c.Count(); err != nil || n != 10 {
		t.Errorf("the corpus after the writer closed: %d %v", n, err)
	}

	missing := filepath.Join(dir, "missing.quire")
	if _, err := quire.OpenAppend(missing, nil); !errors.Is(err, quire.ErrNotFound) || !strings.Contains(err.Error(), "cannot append") {
		t.Errorf("append to a missing file: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("append to a missing file left %s (%v)", missing, err)
	}
	csv := filepath.Join(dir, "not.quire")
	if err := os.WriteFile(csv, []byte("source,text\nx,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := quire.OpenAppend(csv, nil); !errors.Is(err, quire.ErrNotQuire) {
		t.Errorf("append to a CSV file: %v", err)
	}
	if _, err := quire.OpenAppend(path, &quire.AppendOptions{Dedup: quire.DupNear, Similarity: 2}); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("similarity 2: %v", err)
	}

	if _, err := quire.Merge(out, nil, nil); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("merge of nothing: %v", err)
	}
	before, _ := os.ReadFile(path)
	if _, err := quire.Merge(path, []string{out, path}, nil); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("merge into an input: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a refused merge changed its input")
	}
	out2 := filepath.Join(dir, "out2.quire")
	if _, err := quire.Merge(out2, []string{path, missing}, nil); !errors.Is(err, quire.ErrNotFound) {
		t.Errorf("merge of a missing file: %v", err)
	}
	if _, err := quire.Merge(out2, []string{path, csv}, nil); !errors.Is(err, quire.ErrNotQuire) {
		t.Errorf("merge of a CSV file: %v", err)
	}
	if _, err := quire.Merge(out2, []string{path}, &quire.MergeOptions{Threads: 65}); !errors.Is(err, quire.ErrInvalid) {
		t.Errorf("65 threads: %v", err)
	}
	if _, err := os.Stat(out2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed merges left %s", out2)
	}
}

// A damaged block fails the merge with ErrCorrupt naming the block and
// the input, in either order, and leaves no output.
func TestMergeDamagedInput(t *testing.T) {
	path := writeCorpus(t, uniqueDocs(0, 40), &quire.WriterOptions{Order: quire.OrderInput, BlockSize: 8192})
	good := writeCorpus(t, sampleDocs(10), nil)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[64+100] ^= 0x55 // inside the first text block
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out.quire")
		_, err := quire.Merge(out, []string{good, path}, &quire.MergeOptions{KeepOrder: keep})
		if !errors.Is(err, quire.ErrCorrupt) || !strings.Contains(err.Error(), "block") {
			t.Errorf("keep order %v: %v", keep, err)
		}
		if !strings.Contains(err.Error(), path) { // at add or at finish
			t.Errorf("the error does not name the input: %v", err)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "*")); len(left) != 0 {
			t.Errorf("a failed merge left %v", left)
		}
	}
	// Appending to it copies its blocks, and fails the same way.
	before := slices.Clone(data)
	w, err := quire.OpenAppend(path, nil)
	if err == nil {
		err = w.Add(uniqueDocs(50, 51)[0])
		if err == nil {
			err = w.Finish()
		}
		w.Close()
	}
	if !errors.Is(err, quire.ErrCorrupt) {
		t.Errorf("append to a damaged corpus: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a failed append changed the file")
	}
}
