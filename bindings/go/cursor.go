package quire

/*
#include <quire.h>

// Seeks document doc and stores its index fields where a batch stores its
// first document: one cgo call instead of six.
static int quire_go_seek(quire_cursor *c, uint64_t doc, uint64_t *docs,
                         int64_t *dates, int32_t *precisions, int64_t *sources,
                         uint64_t *text_lengths) {
  int status = quire_cursor_seek(c, doc);
  if (status == QUIRE_ROW) {
    docs[0] = quire_cursor_doc(c);
    dates[0] = quire_cursor_date(c);
    precisions[0] = quire_cursor_date_precision(c);
    sources[0] = quire_cursor_source_id(c);
    text_lengths[0] = quire_cursor_text_length(c);
  }
  return status;
}

// Reads a field of document doc, first moving the C cursor back to it when
// a batch has carried the cursor past it (seek is non-zero).
static int quire_go_field(quire_cursor *c, uint64_t doc, int seek, int field,
                          const char **data, size_t *len) {
  if (seek) {
    int status = quire_cursor_seek(c, doc);
    if (status != QUIRE_ROW)
      return status;
  }
  return quire_cursor_field(c, field, data, len);
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
	ptr    *C.quire_cursor
	owner  *corpusHandle
	corpus *C.quire_corpus
	// Documents are fetched in batches by quire_cursor_next_batch, one cgo
	// call for batchSize documents (a cgo call costs about as much as moving
	// the cursor itself): index i of the columns is the current one of the
	// n held, and the C cursor stands on document cDoc, moved there again
	// when a field of another one is read.
	docs       [batchSize]C.uint64_t
	dates      [batchSize]C.int64_t
	precisions [batchSize]C.int32_t
	sources    [batchSize]C.int64_t
	lengths    [batchSize]C.uint64_t
	n, i       int
	cDoc       int64
	status     C.int // how the last batch ended
	pending    error // the error that ended it, reported once its rows are served
	current    bool
	err        error
	cleanup    runtime.Cleanup
}

// batchSize is how many documents one cgo call moves over.
const batchSize = 64

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
	r := &Cursor{ptr: ptr, owner: c.h, corpus: p, cDoc: -1, status: C.QUIRE_ROW}
	r.cleanup = runtime.AddCleanup(r, freeCursor, cursorRef{ptr, c.h})
	return r, nil
}

// Next moves to the next matching document and reports whether there is
// one. After it returns false, Err tells whether iteration failed.
func (r *Cursor) Next() bool {
	r.current = false
	if r.ptr == nil || r.err != nil {
		return false
	}
	if r.i+1 < r.n {
		r.i++
		r.current = true
		return true
	}
	if r.status != C.QUIRE_ROW {
		r.err = r.pending
		return false
	}
	r.fetch()
	return r.current
}

// fetch reads the next batch of documents.
func (r *Cursor) fetch() {
	defer runtime.KeepAlive(r)
	if r.n > 0 {
		// Go on after the batch's last document, wherever reading fields
		// has left the C cursor.
		last := r.docs[r.n-1]
		if r.cDoc != int64(last) {
			if st := C.quire_cursor_seek(r.ptr, last); st != C.QUIRE_ROW {
				r.err = newError(st, C.quire_cursor_errmsg(r.ptr))
				return
			}
		}
	}
	var n C.size_t
	r.status = C.quire_cursor_next_batch(r.ptr, batchSize, &r.docs[0], &r.dates[0],
		&r.precisions[0], &r.sources[0], &r.lengths[0], &n)
	r.n, r.i = int(n), 0
	if r.status < 0 {
		r.pending = newError(r.status, C.quire_cursor_errmsg(r.ptr))
	}
	if r.n == 0 {
		r.err = r.pending
		return
	}
	// A batch leaves the C cursor on its last document, unless an error
	// cut it short: then on none.
	r.cDoc = -1
	if r.status == C.QUIRE_ROW {
		r.cDoc = int64(r.docs[r.n-1])
	}
	r.current = true
}

// Seek makes document number n the current one, whether or not it matches
// the cursor's filter; the following Next goes on with the first match after
// it.
func (r *Cursor) Seek(n uint64) error {
	if r.ptr == nil {
		return errClosed("cursor")
	}
	defer runtime.KeepAlive(r)
	st := C.quire_go_seek(r.ptr, C.uint64_t(n), &r.docs[0], &r.dates[0], &r.precisions[0],
		&r.sources[0], &r.lengths[0])
	r.current = st == C.QUIRE_ROW
	r.n, r.i, r.status, r.pending, r.err = 0, 0, C.QUIRE_ROW, nil, nil
	r.cDoc = -1
	if st < 0 {
		return newError(st, C.quire_cursor_errmsg(r.ptr))
	}
	r.n, r.cDoc = 1, int64(n)
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
	r.ptr, r.current, r.n = nil, false, 0
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
func (d Doc) Number() uint64 { return uint64(d.r.docs[d.r.i]) }

// Date returns the document's date; Date.IsZero reports an undated one.
func (d Doc) Date() Date {
	r := d.r
	return Date{Unix: int64(r.dates[r.i]), Precision: Precision(r.precisions[r.i])}
}

// TextLength returns the length in bytes of the text, known without
// inflating it.
func (d Doc) TextLength() uint64 { return uint64(d.r.lengths[d.r.i]) }

// SourceID returns the document's source id (an index into
// Corpus.Sources), or -1 when it has none.
func (d Doc) SourceID() int64 { return int64(d.r.sources[d.r.i]) }

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
	if !r.current {
		return nil, errorf(ErrInvalid, "no current document")
	}
	defer runtime.KeepAlive(r)
	doc := r.docs[r.i]
	seek := C.int(0)
	if r.cDoc != int64(doc) {
		seek, r.cDoc = 1, -1 // where a failed seek leaves the cursor is unknown
	}
	var data *C.char
	var n C.size_t
	st := C.quire_go_field(r.ptr, doc, seek, C.int(f), &data, &n)
	if st != C.QUIRE_OK {
		return nil, newError(st, C.quire_cursor_errmsg(r.ptr))
	}
	r.cDoc = int64(doc)
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
