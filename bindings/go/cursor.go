package quire

/*
#include <quire.h>

// The fields of the current document that come from the indexes alone.
typedef struct {
  uint64_t doc;
  int64_t date;
  int64_t source;
  uint64_t text_length;
  int precision;
} quire_go_row;

static void quire_go_fill(const quire_cursor *c, quire_go_row *row) {
  row->doc = quire_cursor_doc(c);
  row->date = quire_cursor_date(c);
  row->source = quire_cursor_source_id(c);
  row->text_length = quire_cursor_text_length(c);
  row->precision = quire_cursor_date_precision(c);
}

// Each cgo call costs tens of nanoseconds, as much as moving the cursor
// itself, so one call moves the cursor and reads the index fields together.
static int quire_go_next(quire_cursor *c, quire_go_row *row) {
  int status = quire_cursor_next(c);
  if (status == QUIRE_ROW)
    quire_go_fill(c, row);
  return status;
}

static int quire_go_seek(quire_cursor *c, uint64_t doc, quire_go_row *row) {
  int status = quire_cursor_seek(c, doc);
  if (status == QUIRE_ROW)
    quire_go_fill(c, row);
  return status;
}
*/
import "C"

import (
	"iter"
	"runtime"
	"unsafe"
)

// Field names one field of a document.
type Field int

// The fields of include/quire.h.
const (
	FieldID     Field = C.QUIRE_FIELD_ID // the document number, as decimal text
	FieldSource Field = C.QUIRE_FIELD_SOURCE
	FieldDate   Field = C.QUIRE_FIELD_DATE // the date as ISO 8601 text
	FieldTitle  Field = C.QUIRE_FIELD_TITLE
	FieldAuthor Field = C.QUIRE_FIELD_AUTHOR
	FieldURL    Field = C.QUIRE_FIELD_URL
	FieldText   Field = C.QUIRE_FIELD_TEXT
	FieldFile   Field = C.QUIRE_FIELD_FILE   // import only: text comes from this file
	FieldIgnore Field = C.QUIRE_FIELD_IGNORE // import only: drop the column
)

// Cursor walks the documents matching a filter in document order, in the
// style of database/sql.Rows:
//
//	cur, err := corpus.Cursor(filter)
//	if err != nil { ... }
//	defer cur.Close()
//	for cur.Next() {
//		doc := cur.Doc()
//		...
//	}
//	if err := cur.Err(); err != nil { ... }
//
// A Cursor belongs to one goroutine at a time.
type Cursor struct {
	ptr     *C.quire_cursor
	owner   *corpusHandle
	corpus  *C.quire_corpus
	row     C.quire_go_row
	current bool
	err     error
	cleanup runtime.Cleanup
}

// cursorRef is what the garbage collector needs to free an abandoned cursor.
type cursorRef struct {
	ptr   *C.quire_cursor
	owner *corpusHandle
}

func freeCursor(ref cursorRef) {
	C.quire_cursor_free(ref.ptr)
	ref.owner.release()
}

// Cursor opens a cursor over the documents matching f (nil: all of them).
// It starts before the first match: call Next to reach it.
func (c *Corpus) Cursor(f *Filter) (*Cursor, error) {
	p, err := c.h.acquire()
	if err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(c)
	cf, err := f.build()
	if err != nil {
		c.h.release()
		return nil, err
	}
	var ptr *C.quire_cursor
	st := C.quire_cursor_open(p, cf, &ptr)
	C.quire_filter_free(cf) // the cursor keeps its own copy
	if st != C.QUIRE_OK {
		err := newError(st, nil)
		if ptr != nil {
			err = newError(st, C.quire_cursor_errmsg(ptr))
			C.quire_cursor_free(ptr)
		}
		c.h.release()
		return nil, err
	}
	r := &Cursor{ptr: ptr, owner: c.h, corpus: p}
	r.cleanup = runtime.AddCleanup(r, freeCursor, cursorRef{ptr, c.h})
	return r, nil
}

// Next moves to the next matching document and reports whether there is
// one. After it returns false, Err tells whether iteration failed.
func (r *Cursor) Next() bool {
	if r.ptr == nil || r.err != nil {
		r.current = false
		return false
	}
	st := C.quire_go_next(r.ptr, &r.row)
	r.current = st == C.QUIRE_ROW
	if st < 0 {
		r.err = newError(st, C.quire_cursor_errmsg(r.ptr))
	}
	runtime.KeepAlive(r)
	return r.current
}

// Seek makes document number n the current one, whether or not it matches
// the cursor's filter; the following Next goes on with the first match after
// it.
func (r *Cursor) Seek(n uint64) error {
	if r.ptr == nil {
		return errClosed("cursor")
	}
	st := C.quire_go_seek(r.ptr, C.uint64_t(n), &r.row)
	r.current = st == C.QUIRE_ROW
	runtime.KeepAlive(r)
	if st < 0 {
		return newError(st, C.quire_cursor_errmsg(r.ptr))
	}
	return nil
}

// Doc returns the current document. It is a view: it reads the cursor, and
// is valid until the next call to Next, Seek or Close.
func (r *Cursor) Doc() Doc { return Doc{r} }

// Err returns the error that ended iteration, if any.
func (r *Cursor) Err() error { return r.err }

// Close frees the cursor. It is safe to call more than once.
func (r *Cursor) Close() error {
	if r.ptr == nil {
		return nil
	}
	r.cleanup.Stop()
	freeCursor(cursorRef{r.ptr, r.owner})
	r.ptr, r.current = nil, false
	return nil
}

// Query returns an iterator over the documents matching f (nil: all of them)
// in document order:
//
//	for doc, err := range corpus.Query(filter) {
//		if err != nil { return err }
//		title, err := doc.Title()
//		...
//	}
//
// Each Doc is valid only during its iteration of the loop body. An error
// comes as the last pair, with a zero Doc. Leaving the loop early frees the
// cursor.
func (c *Corpus) Query(f *Filter) iter.Seq2[Doc, error] {
	return func(yield func(Doc, error) bool) {
		cur, err := c.Cursor(f)
		if err != nil {
			yield(Doc{}, err)
			return
		}
		defer cur.Close()
		for cur.Next() {
			if !yield(cur.Doc(), nil) {
				return
			}
		}
		if err := cur.Err(); err != nil {
			yield(Doc{}, err)
		}
	}
}

// Doc is the current document of a cursor. Its methods that return strings
// copy; Bytes returns a view of the cursor's memory without copying.
type Doc struct{ r *Cursor }

// Number returns the document's 0-based position in the file.
func (d Doc) Number() uint64 { return uint64(d.r.row.doc) }

// Date returns the document's date; Date.IsZero reports an undated one.
func (d Doc) Date() Date {
	return Date{Unix: int64(d.r.row.date), Precision: Precision(d.r.row.precision)}
}

// TextLength returns the length in bytes of the text, known without
// inflating it.
func (d Doc) TextLength() uint64 { return uint64(d.r.row.text_length) }

// SourceID returns the document's source number (an index into
// Corpus.Sources), or -1 when it has none.
func (d Doc) SourceID() int64 { return int64(d.r.row.source) }

// Source returns the document's source name, or "" when it has none. Names
// are shared by all documents of a source: this allocates nothing.
func (d Doc) Source() (string, error) {
	id := d.SourceID()
	if !d.r.current {
		return "", errorf(ErrInvalid, "no current document")
	}
	if id < 0 {
		return "", nil
	}
	return d.r.owner.sourceName(d.r.corpus, id)
}

// Bytes returns one field of the document without copying it. The slice
// points into the cursor's memory: it is valid until the next call to Next,
// Seek or Close, and must not be modified.
func (d Doc) Bytes(f Field) ([]byte, error) {
	r := d.r
	if r.ptr == nil {
		return nil, errClosed("cursor")
	}
	var data *C.char
	var n C.size_t
	st := C.quire_cursor_field(r.ptr, C.int(f), &data, &n)
	runtime.KeepAlive(r)
	if st != C.QUIRE_OK {
		return nil, newError(st, C.quire_cursor_errmsg(r.ptr))
	}
	if n == 0 {
		return []byte{}, nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)), nil
}

// String returns a copy of one field of the document.
func (d Doc) String(f Field) (string, error) {
	b, err := d.Bytes(f)
	return string(b), err
}

// Title returns a copy of the title.
func (d Doc) Title() (string, error) { return d.String(FieldTitle) }

// Author returns a copy of the author.
func (d Doc) Author() (string, error) { return d.String(FieldAuthor) }

// URL returns a copy of the url.
func (d Doc) URL() (string, error) { return d.String(FieldURL) }

// Text returns a copy of the body text.
func (d Doc) Text() (string, error) { return d.String(FieldText) }

// Load copies every field of the document into a Document, which stays
// valid after the cursor moves.
func (d Doc) Load() (Document, error) {
	var doc Document
	var err error
	doc.Number = d.Number()
	fields := []struct {
		f   Field
		dst *string
	}{
		{FieldDate, &doc.Date}, {FieldTitle, &doc.Title}, {FieldAuthor, &doc.Author},
		{FieldURL, &doc.URL}, {FieldText, &doc.Text},
	}
	if doc.Source, err = d.Source(); err != nil {
		return Document{}, err
	}
	for _, fd := range fields {
		if *fd.dst, err = d.String(fd.f); err != nil {
			return Document{}, err
		}
	}
	return doc, nil
}
