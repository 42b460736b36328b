package arrowquire_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"quire.dev/quire"
	"quire.dev/quire/arrowquire"
)

// row is one document as the stream gives it; a column not asked for is
// left nil, a null value is a nil pointer inside.
type row map[string]any

func opt(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// expected reads the rows through the cursor API.
func expected(t *testing.T, c *quire.Corpus, f *quire.Filter, columns []string) []row {
	if columns == nil {
		columns = arrowquire.Columns
	}
	var rows []row
	for d, err := range c.Query(f) {
		if err != nil {
			t.Fatal(err)
		}
		full := row{"doc": d.Number()}
		src, err := d.Source()
		if err != nil {
			t.Fatal(err)
		}
		full["source"] = opt(src)
		date := d.Date()
		if date.IsZero() {
			full["date"], full["date_precision"] = nil, nil
		} else {
			full["date"], full["date_precision"] = date.Unix, int8(date.Precision)
		}
		for name, field := range map[string]quire.Field{"date_text": quire.FieldDate, "title": quire.FieldTitle,
			"author": quire.FieldAuthor, "url": quire.FieldURL} {
			s, err := d.String(field)
			if err != nil {
				t.Fatal(err)
			}
			full[name] = opt(s)
		}
		text, err := d.Text()
		if err != nil {
			t.Fatal(err)
		}
		full["text"] = text
		r := row{}
		for _, name := range columns {
			r[name] = full[name]
		}
		rows = append(rows, r)
	}
	return rows
}

func value(t *testing.T, col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Uint64:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Int8:
		return a.Value(i)
	// arrow-go's strings alias the batch's buffers, which the next batch
	// releases: keep copies.
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.Dictionary:
		return strings.Clone(a.Dictionary().(*array.String).Value(a.GetValueIndex(i)))
	}
	t.Fatalf("unexpected array %T", col)
	return nil
}

// streamed reads every row of the reader, validating each batch.
func streamed(t *testing.T, rdr array.RecordReader) []row {
	defer rdr.Release()
	var rows []row
	for rdr.Next() {
		batch := rdr.RecordBatch()
		for k, col := range batch.Columns() {
			// The string arrays check every offset and UTF-8 byte; the
			// dictionary's values are one.
			if d, ok := col.(*array.Dictionary); ok {
				col = d.Dictionary()
			}
			if v, ok := col.(interface{ ValidateFull() error }); ok {
				if err := v.ValidateFull(); err != nil {
					t.Fatalf("column %s: %v", batch.ColumnName(k), err)
				}
			}
		}
		for i := 0; i < int(batch.NumRows()); i++ {
			r := row{}
			for k, col := range batch.Columns() {
				r[batch.ColumnName(k)] = value(t, col, i)
			}
			rows = append(rows, r)
		}
	}
	if err := rdr.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// firstDiff says where two row lists first differ.
func firstDiff(got, want []row) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, the cursor API has %d", len(got), len(want))
	}
	for i := range got {
		for k, v := range want[i] {
			if !reflect.DeepEqual(got[i][k], v) {
				return fmt.Sprintf("row %d, %s: %#v, the cursor API has %#v", i, k, got[i][k], v)
			}
		}
		if len(got[i]) != len(want[i]) {
			return fmt.Sprintf("row %d has columns %v, want %v", i, got[i], want[i])
		}
	}
	return "no difference"
}

func writeCorpus(t *testing.T, docs []quire.Document, opts *quire.WriterOptions) *quire.Corpus {
	path := filepath.Join(t.TempDir(), "arrow.quire")
	w, err := quire.Create(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, d := range docs {
		if err := w.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	c, err := quire.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func generated(n int) []quire.Document {
	sources := []string{"", "Belarus in Focus", "Новая газета", "🗞 Daily Emoji", "Eurasia Daily Monitor"}
	dates := []string{"", "2016", "2016-01", "2016-02-29", "2017-05-08T09:22", "2024-08-01T23:59:59+02:00", "2015-12"}
	docs := make([]quire.Document, n)
	for i := range docs {
		docs[i] = quire.Document{
			Source: sources[i%len(sources)],
			Date:   dates[(i/len(sources))%len(dates)],
			Title:  fmt.Sprintf("Заголовок %d, \"quoted\"", i),
			Author: []string{"", "Nikola Mikovic", "Юрий"}[i%3],
			URL:    []string{"", fmt.Sprintf("https://example.org/%d", i)}[i%2],
			Text:   strings.Repeat(fmt.Sprintf("Paragraph of %d, «кириллица» 🚀.\n", i), i%40),
		}
	}
	return docs
}

func TestEveryFieldThroughFiltersAndProjections(t *testing.T) {
	c := writeCorpus(t, generated(300), &quire.WriterOptions{BlockSize: 4096})
	filters := []*quire.Filter{nil, {Sources: []string{"Belarus in Focus", "Новая газета"}},
		{From: "2016", To: "2017-06"}, {From: "2016-02", Undated: quire.UndatedInclude},
		{Undated: quire.UndatedExclude}, {Sources: []string{"nobody"}}}
	projections := [][]string{nil, {"text", "doc"}, {"doc", "source", "date", "date_precision", "date_text"},
		{"url", "author", "title"}, {"source"}}
	for _, f := range filters {
		for _, cols := range projections {
			want := expected(t, c, f, cols)
			rdr, err := arrowquire.NewRecordReader(c, f, cols, 23)
			if err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, field := range rdr.Schema().Fields() {
				names = append(names, field.Name)
			}
			if listed := cols; listed != nil && !reflect.DeepEqual(names, listed) {
				t.Fatalf("columns %v, want %v", names, listed)
			}
			got := streamed(t, rdr)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("filter %+v columns %v: %s", f, cols, firstDiff(got, want))
			}
			if n, _ := c.CountMatches(f); uint64(len(want)) != n {
				t.Fatalf("count %d, want %d", len(want), n)
			}
		}
	}
}

func TestSeeds(t *testing.T) {
	dir := os.Getenv("QUIRE_SEEDS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "seeds")
	}
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
	c := writeCorpus(t, docs, &quire.WriterOptions{Order: quire.OrderInput})
	rdr, err := arrowquire.NewRecordReader(c, nil, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := streamed(t, rdr)
	if want := expected(t, c, nil, nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("seeds differ from the cursor API: %s", firstDiff(got, want))
	}
	for i, d := range docs {
		if got[i]["source"] != opt(d.Source) || got[i]["date_text"] != opt(d.Date) ||
			got[i]["title"] != opt(d.Title) || got[i]["text"] != d.Text {
			t.Fatalf("seed %d differs from the manifest", i)
		}
	}
}

func TestSchemaErrorsAndClose(t *testing.T) {
	c := writeCorpus(t, generated(50), nil)
	rdr, err := arrowquire.NewRecordReader(c, nil, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	s := rdr.Schema()
	wantTypes := []string{"uint64", "dictionary<values=utf8, indices=int32, ordered=false>",
		"timestamp[s, tz=UTC]", "int8", "utf8", "utf8", "utf8", "utf8", "large_utf8"}
	for i, f := range s.Fields() {
		if f.Type.String() != wantTypes[i] || f.Name != arrowquire.Columns[i] {
			t.Errorf("field %d: %s %s, want %s %s", i, f.Name, f.Type, arrowquire.Columns[i], wantTypes[i])
		}
	}
	if !rdr.Next() {
		t.Fatal(rdr.Err())
	}
	first := rdr.RecordBatch()
	first.Retain()
	c.Close()
	if rdr.Next() {
		t.Fatal("a batch after Close")
	}
	if err := rdr.Err(); err == nil || !strings.Contains(err.Error(), "corpus is closed") {
		t.Fatalf("error after Close: %v", err)
	}
	rdr.Release()
	if first.NumRows() != 10 || first.Column(0).(*array.Uint64).Value(9) != 9 {
		t.Fatal("a batch read before Close changed")
	}
	first.Release()

	c2 := writeCorpus(t, generated(5), nil)
	if _, err := arrowquire.NewRecordReader(c2, nil, []string{"doc", "body"}, 0); err == nil ||
		!strings.Contains(err.Error(), `unknown column "body"`) {
		t.Fatalf("unknown column: %v", err)
	}
	if _, err := arrowquire.NewRecordReader(c2, &quire.Filter{From: "nonsense"}, nil, 0); err == nil {
		t.Fatal("a bad date was accepted")
	}
	c2.Close()
	if _, err := arrowquire.NewRecordReader(c2, nil, nil, 0); err == nil {
		t.Fatal("a closed corpus gave a stream")
	}
}
