package quire_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"quire.dev/quire"
)

// readAllWith drains r with reads of at most size bytes each.
func readAllWith(t *testing.T, r io.Reader, size int) []byte {
	t.Helper()
	var out bytes.Buffer
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		if n > size {
			t.Fatalf("Read returned %d bytes into %d", n, size)
		}
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes()
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
}

// exportSelections are the selections the stream is compared on.
var exportSelections = map[string]*quire.ExportOptions{
	"plain":   nil,
	"excel":   {Dialect: quire.DialectExcel},
	"filter":  {Filter: &quire.Filter{Sources: []string{"Belarus in Focus", "Новая газета"}, From: "2016"}},
	"columns": {Columns: []string{"text", "id", "year", "datetime_utc", "date_precision"}, Dialect: quire.DialectExcel},
	"terms":   {Filter: &quire.Filter{MatchAny: []string{"Minsk", "Paragraph"}}, Columns: []string{"id", "title"}},
}

// checkStreamMatchesPath compares, for each selection, the bytes of
// ExportReader at several buffer sizes and of WriteCSV with the file
// ExportCSV writes.
func checkStreamMatchesPath(t *testing.T, c *quire.Corpus) {
	for name, opts := range exportSelections {
		path := filepath.Join(t.TempDir(), name+".csv")
		res, err := c.ExportCSV(path, opts)
		if err != nil {
			t.Fatalf("%s: ExportCSV: %v", name, err)
		}
		want, err := os.ReadFile(path)
		if err != nil || res.Rows == 0 {
			t.Fatalf("%s: %d rows (%v)", name, res.Rows, err)
		}
		for _, size := range []int{1, 7, 4096, 1 << 20} {
			r, err := c.ExportReader(opts)
			if err != nil {
				t.Fatal(err)
			}
			got := readAllWith(t, r, size)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s, reads of %d: %d bytes differ from the file's %d", name, size, len(got), len(want))
			}
			if r.Result().Rows != res.Rows {
				t.Fatalf("%s: reader says %d rows, file %d", name, r.Result().Rows, res.Rows)
			}
			if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Fatalf("%s: Read after the end: %d %v", name, n, err)
			}
			r.Close()
		}
		var buf bytes.Buffer
		if wres, err := c.WriteCSV(&buf, opts); err != nil || !bytes.Equal(buf.Bytes(), want) || wres != res {
			t.Fatalf("%s: WriteCSV differs (%v, %+v vs %+v)", name, err, wres, res)
		}
	}
}

func TestExportReaderMatchesPath(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, sampleDocs(40), &quire.WriterOptions{BlockSize: 8192}))
	checkStreamMatchesPath(t, c)
}

func TestExportReaderSeeds(t *testing.T) {
	docs := readSeeds(t)
	c := openCorpus(t, writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput}))
	for name, opts := range map[string]*quire.ExportOptions{
		"plain": nil,
		"excel": {Dialect: quire.DialectExcel, Columns: []string{"id", "source", "date", "year", "title", "text"}},
		"2016":  {Filter: &quire.Filter{From: "2016", To: "2016"}, Columns: []string{"title", "url"}},
	} {
		path := filepath.Join(t.TempDir(), name+".csv")
		if _, err := c.ExportCSV(path, opts); err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(path)
		for _, size := range []int{1, 7, 256 << 10} {
			r, err := c.ExportReader(opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAllWith(t, r, size); !bytes.Equal(got, want) {
				t.Fatalf("seeds %s, reads of %d: the stream differs from the file", name, size)
			}
			r.Close()
		}
	}
	// The CSV reads back as the documents, through encoding/csv on the
	// reader itself.
	r, err := c.ExportReader(&quire.ExportOptions{Columns: []string{"id", "title", "url"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	records, err := csv.NewReader(r).ReadAll()
	if err != nil || len(records) != len(docs)+1 {
		t.Fatalf("%d records (%v)", len(records), err)
	}
	for i, rec := range records[1:] {
		if rec[0] != fmt.Sprint(i) || rec[1] != docs[i].Title || rec[2] != docs[i].URL {
			t.Fatalf("row %d: %q", i, rec)
		}
	}
}

func TestExportReaderRefusesSplitRows(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, sampleDocs(10), nil))
	r, err := c.ExportReader(&quire.ExportOptions{SplitRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read(make([]byte, 100)); !errors.Is(err, quire.ErrInvalid) {
		t.Fatalf("split export read: %v", err)
	}
	if _, err := c.WriteCSV(io.Discard, &quire.ExportOptions{SplitRows: 3}); !errors.Is(err, quire.ErrInvalid) {
		t.Fatalf("split WriteCSV: %v", err)
	}
}

// Closing the corpus in the middle of a read lets the reader run to its
// end; closing the reader ends it, and reads then fail with ErrState.
func TestExportReaderClose(t *testing.T) {
	path := writeCorpus(t, sampleDocs(200), &quire.WriterOptions{BlockSize: 8192})
	c := openCorpus(t, path)
	var want bytes.Buffer
	if _, err := c.WriteCSV(&want, nil); err != nil {
		t.Fatal(err)
	}

	c2 := must[*quire.Corpus](t)(quire.Open(path))
	r := must[*quire.ExportReader](t)(c2.ExportReader(nil))
	head := make([]byte, 1000)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	if _, err := c2.CountMatches(nil); !errors.Is(err, quire.ErrState) {
		t.Fatalf("closed corpus: %v", err)
	}
	if _, err := c2.ExportReader(nil); !errors.Is(err, quire.ErrState) {
		t.Fatalf("export of a closed corpus: %v", err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(append(head, rest...), want.Bytes()) {
		t.Fatalf("reading on after the corpus closed: %v", err)
	}
	r.Close()
	r.Close()

	r = must[*quire.ExportReader](t)(c.ExportReader(nil))
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(head); !errors.Is(err, quire.ErrState) {
		t.Fatalf("read after Close: %v", err)
	}
}

// Close from another goroutine while one reads, many times: each Read ends
// with data, io.EOF or ErrState, never a crash (go test -race checks the
// rest).
func TestExportReaderCloseRace(t *testing.T) {
	path := writeCorpus(t, sampleDocs(300), &quire.WriterOptions{BlockSize: 8192})
	rounds := 100
	if testing.Short() {
		rounds = 20
	}
	for round := 0; round < rounds; round++ {
		c := must[*quire.Corpus](t)(quire.Open(path))
		r := must[*quire.ExportReader](t)(c.ExportReader(nil))
		var wg sync.WaitGroup
		var readErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 7+round)
			for {
				if _, err := r.Read(buf); err != nil {
					readErr = err
					return
				}
			}
		}()
		for i := 0; i < round%5; i++ {
			c.Count() // let the reader get going
		}
		if round%2 == 0 {
			c.Close()
		}
		r.Close()
		c.Close()
		wg.Wait()
		if readErr != io.EOF && !errors.Is(readErr, quire.ErrState) {
			t.Fatalf("round %d: the read ended with %v", round, readErr)
		}
	}
}

// progressLog records the calls of a ProgressFunc and checks their shape.
type progressLog struct {
	done, total []uint64
}

func (l *progressLog) fn(done, total uint64) error {
	l.done = append(l.done, done)
	l.total = append(l.total, total)
	return nil
}

// check verifies that done rose to last and total was always total.
func (l *progressLog) check(t *testing.T, what string, last, total uint64) {
	t.Helper()
	if len(l.done) == 0 {
		t.Fatalf("%s: progress never called", what)
	}
	for i := range l.done {
		if l.total[i] != total || (i > 0 && l.done[i] < l.done[i-1]) || l.done[i] > last {
			t.Fatalf("%s: call %d: %d of %d (want done rising to %d of %d)", what, i, l.done[i], l.total[i], last, total)
		}
	}
	if got := l.done[len(l.done)-1]; got != last {
		t.Fatalf("%s: last call says %d, want %d", what, got, last)
	}
}

var errStop = errors.New("stop, user pressed cancel")

// shortDocs are n documents with a short text, some undated, for tests
// that need many rows quickly.
func shortDocs(n int) []quire.Document {
	docs := make([]quire.Document, n)
	for i := range docs {
		docs[i] = quire.Document{Source: fmt.Sprint("source ", i%5), Title: fmt.Sprint("title ", i),
			Text: fmt.Sprintf("Document %d from Minsk.", i)}
		if i%4 != 0 {
			docs[i].Date = fmt.Sprintf("%d-%02d", 2014+i%5, 1+i%12)
		}
		if i%3 == 0 {
			docs[i].Text = "Paragraph " + docs[i].Text
		}
	}
	return docs
}

func TestExportProgress(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, shortDocs(5000), nil))
	dated := &quire.Filter{From: "2016"}
	want := must[uint64](t)(c.CountMatches(dated))

	var log progressLog
	path := filepath.Join(t.TempDir(), "p.csv")
	res, err := c.ExportCSV(path, &quire.ExportOptions{Filter: dated, Progress: log.fn})
	if err != nil || res.Rows != want {
		t.Fatalf("%+v %v", res, err)
	}
	log.check(t, "ExportCSV", want, want)
	if len(log.done) < int(want/1024) {
		t.Fatalf("%d calls for %d rows", len(log.done), want)
	}

	// Through the reader, with terms: total unknown (0).
	terms := &quire.Filter{MatchAny: []string{"Paragraph"}}
	log = progressLog{}
	r := must[*quire.ExportReader](t)(c.ExportReader(&quire.ExportOptions{Filter: terms, Progress: log.fn}))
	readAllWith(t, r, 4096)
	r.Close()
	log.check(t, "ExportReader with terms", must[uint64](t)(c.CountMatches(terms)), 0)

	// Stopping: the error comes back as is, and no file is left.
	calls := 0
	stop := func(done, total uint64) error {
		calls++
		return errStop
	}
	stopped := filepath.Join(t.TempDir(), "stopped.csv")
	if _, err := c.ExportCSV(stopped, &quire.ExportOptions{Progress: stop}); err != errStop {
		t.Fatalf("stopped ExportCSV: %v", err)
	}
	if _, err := os.Stat(stopped); !os.IsNotExist(err) || calls != 1 {
		t.Fatalf("a stopped export left %s (%v), %d calls", stopped, err, calls)
	}
	r = must[*quire.ExportReader](t)(c.ExportReader(&quire.ExportOptions{Progress: stop}))
	if _, err := io.Copy(io.Discard, r); err != errStop {
		t.Fatalf("stopped reader: %v", err)
	}
	if _, err := r.Read(make([]byte, 10)); err != errStop {
		t.Fatalf("read after the stop: %v", err)
	}
	r.Close()
	if _, err := c.WriteCSV(io.Discard, &quire.ExportOptions{Progress: stop}); err != errStop {
		t.Fatalf("stopped WriteCSV: %v", err)
	}
}

func TestProgressPanicIsRaisedAgain(t *testing.T) {
	c := openCorpus(t, writeCorpus(t, shortDocs(2000), nil))
	boom := func(done, total uint64) error { panic("progress exploded") }
	for name, run := range map[string]func(){
		"ExportCSV": func() { c.ExportCSV(filepath.Join(t.TempDir(), "x.csv"), &quire.ExportOptions{Progress: boom}) },
		"WriteCSV":  func() { c.WriteCSV(io.Discard, &quire.ExportOptions{Progress: boom}) },
		"Finish": func() {
			w := must[*quire.Writer](t)(quire.Create(filepath.Join(t.TempDir(), "x.quire"), &quire.WriterOptions{Progress: boom}))
			defer w.Close()
			w.Add(quire.Document{Text: "x"})
			w.Finish()
		},
		"ImportCSVBytes": func() {
			w := must[*quire.Writer](t)(quire.Create(filepath.Join(t.TempDir(), "y.quire"), nil))
			defer w.Close()
			w.ImportCSVBytes([]byte("title,text\nt,x\n"), "in.csv", &quire.ImportOptions{Progress: boom})
		},
	} {
		func() {
			defer func() {
				if r := recover(); r != "progress exploded" {
					t.Fatalf("%s: recovered %v", name, r)
				}
			}()
			run()
			t.Fatalf("%s: the panic was swallowed", name)
		}()
	}
	if n, err := c.CountMatches(nil); err != nil || n != 2000 {
		t.Fatalf("after the panics: %d %v", n, err)
	}
	// A reader raises the panic from the Read it happened in, once; the
	// export has ended, which the next Read says.
	r := must[*quire.ExportReader](t)(c.ExportReader(&quire.ExportOptions{Progress: boom}))
	defer r.Close()
	func() {
		defer func() {
			if v := recover(); v != "progress exploded" {
				t.Fatalf("reader: recovered %v", v)
			}
		}()
		io.Copy(io.Discard, r)
		t.Fatal("reader: the panic was swallowed")
	}()
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, quire.ErrState) {
		t.Fatalf("read after the panic: %v", err)
	}
}

func TestImportProgress(t *testing.T) {
	var data bytes.Buffer
	cw := csv.NewWriter(&data)
	cw.Write([]string{"source", "date", "title", "text"})
	docs := sampleDocs(1500) // about 3.5 MB
	for _, d := range docs {
		cw.Write([]string{d.Source, d.Date, d.Title, d.Text})
	}
	cw.Flush()
	csvPath := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(csvPath, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	size := uint64(data.Len())

	path := filepath.Join(t.TempDir(), "in.quire")
	w := must[*quire.Writer](t)(quire.Create(path, nil))
	defer w.Close()
	var log progressLog
	res, err := w.ImportCSV(csvPath, &quire.ImportOptions{Progress: log.fn})
	if err != nil || res.Rows != uint64(len(docs)) {
		t.Fatalf("%+v %v", res, err)
	}
	log.check(t, "ImportCSV", size, size)
	if len(log.done) < int(size>>20) {
		t.Fatalf("%d calls for %d bytes", len(log.done), size)
	}

	stop := func(done, total uint64) error { return errStop }
	if _, err := w.ImportCSV(csvPath, &quire.ImportOptions{Progress: stop}); err != errStop {
		t.Fatalf("stopped import: %v", err)
	}
	if w.Count() >= uint64(2*len(docs)) {
		t.Fatalf("the stopped import added every row: %d", w.Count())
	}
}

func TestFinishProgress(t *testing.T) {
	docs := make([]quire.Document, 10000)
	for i := range docs {
		docs[i] = quire.Document{Source: fmt.Sprint("s", i%7), Date: fmt.Sprintf("20%02d", i%25), Text: fmt.Sprint("doc ", i)}
	}
	var log progressLog
	path := writeCorpus(t, docs, &quire.WriterOptions{Progress: log.fn})
	log.check(t, "Finish", uint64(len(docs)), uint64(len(docs)))
	if len(log.done) < len(docs)/4096 {
		t.Fatalf("%d calls for %d documents", len(log.done), len(docs))
	}
	if n := must[uint64](t)(openCorpus(t, path).Count()); n != uint64(len(docs)) {
		t.Fatalf("%d documents", n)
	}

	stopped := filepath.Join(t.TempDir(), "stopped.quire")
	w := must[*quire.Writer](t)(quire.Create(stopped, &quire.WriterOptions{Progress: func(done, total uint64) error {
		if done > 0 {
			return errStop
		}
		return nil
	}}))
	defer w.Close()
	for _, d := range docs {
		if err := w.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != errStop {
		t.Fatalf("stopped Finish: %v", err)
	}
	if _, err := os.Stat(stopped); !os.IsNotExist(err) {
		t.Fatalf("a stopped Finish left a file (%v)", err)
	}

	// Merge passes its Progress to the writer.
	log = progressLog{}
	merged := filepath.Join(t.TempDir(), "merged.quire")
	stats, err := quire.Merge(merged, []string{path, path}, &quire.MergeOptions{Progress: log.fn})
	if err != nil || stats.Docs != uint64(2*len(docs)) {
		t.Fatalf("%+v %v", stats, err)
	}
	if len(log.done) == 0 {
		t.Fatal("Merge never reported progress")
	}
}
