package quire_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"quire.dev/quire"
)

func TestVersion(t *testing.T) {
	if quire.Version() == "" || quire.VersionNumber() < 10000 {
		t.Fatalf("version %q / %d", quire.Version(), quire.VersionNumber())
	}
}

func TestRoundTripEveryField(t *testing.T) {
	docs := sampleDocs(150) // several of the cursor's 64-document batches
	path := writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput, BlockSize: 4096})
	c := openCorpus(t, path)
	if got := must[uint64](t)(c.Count()); got != uint64(len(docs)) {
		t.Fatalf("Count = %d, want %d", got, len(docs))
	}
	for i, want := range docs {
		got, err := c.Doc(uint64(i))
		if err != nil {
			t.Fatalf("Doc(%d): %v", i, err)
		}
		checkDocument(t, i, got, want)
	}
	i := 0
	for doc, err := range c.Query(nil) {
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		got, err := doc.Load()
		if err != nil {
			t.Fatalf("Load %d: %v", i, err)
		}
		checkDocument(t, i, got, docs[i])
		if doc.TextLength() != uint64(len(docs[i].Text)) {
			t.Errorf("doc %d TextLength %d, want %d", i, doc.TextLength(), len(docs[i].Text))
		}
		checkDate(t, doc.Date(), docs[i].Date)
		i++
	}
	if i != len(docs) {
		t.Fatalf("Query gave %d docs, want %d", i, len(docs))
	}
	// Reading the text of only some documents moves the C cursor back and
	// forth inside a batch; iteration must go on where it was.
	i = 0
	for doc, err := range c.Query(nil) {
		if err != nil || doc.Number() != uint64(i) {
			t.Fatalf("sparse reading: doc %d at %d, %v", doc.Number(), i, err)
		}
		if i%7 == 3 {
			if text, err := doc.Text(); err != nil || text != docs[i].Text {
				t.Fatalf("sparse reading: text of doc %d differs (%v)", i, err)
			}
		}
		i++
	}
	if i != len(docs) {
		t.Fatalf("sparse reading gave %d docs, want %d", i, len(docs))
	}
}

func checkDocument(t *testing.T, i int, got, want quire.Document) {
	t.Helper()
	want.Number = uint64(i)
	gotDate, err := quire.ParseDate(got.Date)
	if want.Date == "" {
		if got.Date != "" {
			t.Errorf("doc %d: date %q, want none", i, got.Date)
		}
	} else if wantDate, _ := quire.ParseDate(want.Date); err != nil || gotDate != wantDate {
		t.Errorf("doc %d: date %q (%v), want %q", i, got.Date, err, want.Date)
	}
	got.Date, want.Date = "", ""
	if got != want {
		t.Errorf("doc %d:\n got %+q\nwant %+q", i, got, want)
	}
}

func checkDate(t *testing.T, got quire.Date, given string) {
	t.Helper()
	if given == "" {
		if !got.IsZero() {
			t.Errorf("date %v, want none", got)
		}
		return
	}
	first, _ := dateRange(t, given)
	if !got.Time().Equal(first) {
		t.Errorf("date %v, want first instant %v of %q", got.Time(), first, given)
	}
	if again, err := quire.ParseDate(got.String()); err != nil || again != got {
		t.Errorf("date %+v formats as %q, which parses as %+v (%v)", got, got.String(), again, err)
	}
}

func TestBytesViewAndOwnedCopies(t *testing.T) {
	docs := sampleDocs(8)
	c := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput}))
	cur, err := c.Cursor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	var kept []string
	for cur.Next() {
		view, err := cur.Doc().Bytes(quire.FieldText)
		if err != nil {
			t.Fatal(err)
		}
		owned, _ := cur.Doc().Text()
		if string(view) != owned {
			t.Fatalf("view and copy differ")
		}
		kept = append(kept, owned)
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	for i, s := range kept {
		if s != docs[i].Text {
			t.Fatalf("kept text %d changed after the cursor moved", i)
		}
	}
}

func TestSeekAndCorpusInfo(t *testing.T) {
	docs := sampleDocs(40)
	c := openCorpus(t, writeCorpus(t, docs, nil))
	maj, min, err := c.FormatVersion()
	if err != nil || maj != quire.FormatMajor || min > quire.FormatMinor {
		t.Fatalf("FormatVersion %d.%d %v", maj, min, err)
	}
	sources, err := c.Sources()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{}
	undated := uint64(0)
	for _, d := range docs {
		if d.Source != "" {
			want[d.Source]++
		}
		if d.Date == "" {
			undated++
		}
	}
	if len(sources) != len(want) || must[uint64](t)(c.SourceCount()) != uint64(len(want)) {
		t.Fatalf("sources %v, want %v", sources, want)
	}
	for i, s := range sources {
		if want[s.Name] != s.Docs || (i > 0 && sources[i-1].Name >= s.Name) {
			t.Fatalf("source %d %+v, want %d docs in byte order", i, s, want[s.Name])
		}
	}
	if n := must[uint64](t)(c.UndatedCount()); n != undated {
		t.Fatalf("UndatedCount %d, want %d", n, undated)
	}
	first, last, err := c.DateSpan()
	wantFirst, _ := dateRange(t, "2015-12")
	wantLast, _ := dateRange(t, "2024-08-01T23:59:59")
	if err != nil || !first.Equal(wantFirst) || !last.Equal(wantLast) {
		t.Fatalf("DateSpan %v..%v %v", first, last, err)
	}
	if _, err := c.Doc(must[uint64](t)(c.Count())); !errors.Is(err, quire.ErrNotFound) {
		t.Fatalf("Doc past the end: %v, want ErrNotFound", err)
	}
	if must[uint64](t)(c.FileSize()) == 0 || must[uint64](t)(c.RawSize()) == 0 {
		t.Fatal("FileSize or RawSize is 0")
	}
}

func TestDateSpanUndatedOnly(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, []quire.Document{{Title: "no date"}}, nil))
	if _, _, err := c.DateSpan(); !errors.Is(err, quire.ErrNotFound) {
		t.Fatalf("DateSpan of an undated corpus: %v", err)
	}
}

func TestOpenBytes(t *testing.T) {
	docs := sampleDocs(12)
	data, err := os.ReadFile(writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput}))
	if err != nil {
		t.Fatal(err)
	}
	c, err := quire.OpenBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	clear(data) // the corpus must not depend on the caller's slice
	for i := range docs {
		got, err := c.Doc(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, i, got, docs[i])
	}
	if _, err := quire.OpenBytes(nil); !errors.Is(err, quire.ErrNotQuire) && !errors.Is(err, quire.ErrCorrupt) {
		t.Fatalf("OpenBytes(nil): %v", err)
	}
}

func TestCloseIsIdempotentAndCursorsOutliveIt(t *testing.T) {
	docs := sampleDocs(10)
	c, err := quire.Open(writeCorpus(t, docs, nil))
	if err != nil {
		t.Fatal(err)
	}
	cur, err := c.Cursor(nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	n := 0
	for cur.Next() {
		if _, err := cur.Doc().Text(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(docs) || cur.Err() != nil {
		t.Fatalf("cursor after corpus Close: %d docs, %v", n, cur.Err())
	}
	cur.Close()
	cur.Close()
	if _, err := c.Cursor(nil); !errors.Is(err, quire.ErrState) {
		t.Fatalf("Cursor on a closed corpus: %v", err)
	}
	if _, err := c.CountMatches(nil); !errors.Is(err, quire.ErrState) {
		t.Fatalf("CountMatches on a closed corpus: %v", err)
	}
	for name, get := range map[string]func() (uint64, error){
		"Count": c.Count, "SourceCount": c.SourceCount, "UndatedCount": c.UndatedCount,
		"FileSize": c.FileSize, "RawSize": c.RawSize,
	} {
		if n, err := get(); !errors.Is(err, quire.ErrState) || n != 0 {
			t.Fatalf("%s of a closed corpus: %d, %v; want ErrState", name, n, err)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := quire.Open(filepath.Join(dir, "missing.quire"))
	var qe *quire.Error
	if !errors.Is(err, quire.ErrNotFound) || !errors.As(err, &qe) || qe.Message == "" {
		t.Fatalf("missing file: %v", err)
	}
	notQuire := filepath.Join(dir, "text.quire")
	os.WriteFile(notQuire, bytes.Repeat([]byte("not a corpus\n"), 100), 0o644)
	if _, err := quire.Open(notQuire); !errors.Is(err, quire.ErrNotQuire) {
		t.Fatalf("not a quire file: %v", err)
	}
	c := openCorpus(t, writeCorpus(t, sampleDocs(5), nil))
	if _, err := c.CountMatches(&quire.Filter{From: "last tuesday"}); !errors.Is(err, quire.ErrDate) {
		t.Fatalf("bad filter date: %v", err)
	}
	for _, err := range c.Query(&quire.Filter{To: "2016-13"}) {
		if !errors.Is(err, quire.ErrDate) {
			t.Fatalf("Query with a bad date: %v", err)
		}
	}
	if _, err := quire.ParseDate("yesterday"); !errors.Is(err, quire.ErrDate) {
		t.Fatalf("ParseDate: %v", err)
	}
}

func TestCorruptedFile(t *testing.T) {
	path := writeCorpus(t, sampleDocs(50), &quire.WriterOptions{BlockSize: 4096})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x5a
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The middle of the file is text blocks: opening checks only the header
	// and footer, so the damage shows when the block is read.
	c, err := quire.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer c.Close()
	if err := c.Verify(); !errors.Is(err, quire.ErrCorrupt) {
		t.Fatalf("Verify: %v, want ErrCorrupt", err)
	}
	if err := readEverything(c); !errors.Is(err, quire.ErrCorrupt) {
		t.Fatalf("reading every field: %v, want ErrCorrupt", err)
	}
}

// readEverything reads every field of every document and returns the first
// error.
func readEverything(c *quire.Corpus) error {
	for doc, err := range c.Query(nil) {
		if err != nil {
			return err
		}
		if _, err := doc.Load(); err != nil {
			return err
		}
	}
	return nil
}

func TestWriterErrorsAndAbandon(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "abandoned.quire")
	w, err := quire.Create(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(quire.Document{Date: "31/01/2016"}); !errors.Is(err, quire.ErrDate) {
		t.Fatalf("bad date: %v", err)
	}
	if err := w.Add(quire.Document{Text: "bad \xff utf-8"}); !errors.Is(err, quire.ErrUTF8) {
		t.Fatalf("bad utf-8: %v", err)
	}
	if err := w.Add(quire.Document{Title: "fine"}); err != nil || w.Count() != 1 {
		t.Fatalf("writer unusable after a bad document: %v, count %d", err, w.Count())
	}
	w.Close()
	w.Close()
	if err := w.Add(quire.Document{}); !errors.Is(err, quire.ErrState) {
		t.Fatalf("Add after Close: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("abandoned writer left %v", entries)
	}
	if _, err := quire.Create(filepath.Join(dir, "no", "such", "dir.quire"), nil); err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
	if _, err := quire.Create(filepath.Join(dir, "x.quire"), &quire.WriterOptions{Level: 42}); !errors.Is(err, quire.ErrInvalid) {
		t.Fatalf("level 42: %v", err)
	}
}

func TestUTF8Replace(t *testing.T) {
	path := writeCorpus(t, []quire.Document{{Text: "a\xffb"}}, &quire.WriterOptions{UTF8: quire.UTF8Replace})
	d, err := openCorpus(t, path).Doc(0)
	if err != nil || d.Text != "a\uFFFDb" {
		t.Fatalf("replaced text %q, %v", d.Text, err)
	}
}

func TestConcurrentReaders(t *testing.T) {
	docs := sampleDocs(200)
	c := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{BlockSize: 4096}))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &quire.Filter{Sources: []string{"Новая газета", "Belarus in Focus"}[g%2 : g%2+1]}
			want, err := c.CountMatches(f)
			if err != nil {
				errs <- err
				return
			}
			n := uint64(0)
			for doc, err := range c.Query(f) {
				if err != nil {
					errs <- err
					return
				}
				if s, _ := doc.Source(); s != f.Sources[0] {
					errs <- errors.New("wrong source " + s)
					return
				}
				if _, err := doc.Text(); err != nil {
					errs <- err
					return
				}
				n++
			}
			if n != want || n == 0 {
				errs <- errors.New("goroutine count differs from CountMatches")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCodecOptions(t *testing.T) {
	var docs []quire.Document
	for i := 0; i < 400; i++ {
		docs = append(docs, quire.Document{
			Source: fmt.Sprintf("s%d", i%5), Date: fmt.Sprintf("2016-01-%02d", i%28+1),
			Title: fmt.Sprintf("t%d", i),
			Text:  strings.Repeat(fmt.Sprintf("Story %d of a town %d. ", i, i*7%31), 20+i%13),
		})
	}
	one := writeCorpus(t, docs, &quire.WriterOptions{BlockSize: 8192, Threads: 1})
	three := writeCorpus(t, docs, &quire.WriterOptions{BlockSize: 8192, Threads: 3})
	a, _ := os.ReadFile(one)
	b, _ := os.ReadFile(three)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("the thread count changed the file's bytes")
	}
	p, err := openCorpus(t, one).Packing()
	if err != nil || p.Codec != quire.CodecZstd || p.Level != 5 || p.BlockSize != 8192 || len(p.Dictionaries) == 0 {
		t.Fatalf("zstd packing %+v %v", p, err)
	}
	d := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{Codec: quire.CodecDeflate, Level: 9}))
	p, err = d.Packing()
	if err != nil || p.Codec != quire.CodecDeflate || p.Level != 9 || p.BlockSize != 1<<20 || len(p.Dictionaries) != 0 {
		t.Fatalf("deflate packing %+v %v", p, err)
	}
	z := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{Level: 19, NoDictionary: true}))
	if p, err = z.Packing(); err != nil || p.Level != 19 || len(p.Dictionaries) != 0 {
		t.Fatalf("no-dictionary packing %+v %v", p, err)
	}
	text, err := d.Doc(7)
	if err != nil || text.Text == "" {
		t.Fatalf("deflate corpus: %v", err)
	}
	dir := t.TempDir()
	for _, o := range []quire.WriterOptions{{Codec: quire.CodecDeflate, Level: 12}, {Codec: 7}, {DictionarySize: 100}} {
		if _, err := quire.Create(filepath.Join(dir, "x.quire"), &o); !errors.Is(err, quire.ErrInvalid) {
			t.Fatalf("%+v: %v", o, err)
		}
	}
}
