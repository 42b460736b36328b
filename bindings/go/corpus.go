package quire

/*
#include <stdlib.h>
#include <quire.h>
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Corpus is an open .quire file. It is immutable and safe for concurrent use
// by any number of goroutines, each with its own cursors.
type Corpus struct {
	h       *corpusHandle
	cleanup runtime.Cleanup
}

// corpusHandle owns the C corpus. Cursors and exports hold a reference to it,
// so that closing the Corpus (or the garbage collector doing so) while one of
// them is still open frees the C corpus only once the last of them is closed:
// the C ABI requires that order.
type corpusHandle struct {
	mu     sync.Mutex
	ptr    *C.quire_corpus
	buf    unsafe.Pointer // C copy of the bytes given to OpenBytes, or nil
	refs   int
	closed bool

	sourcesOnce sync.Once
	sources     []atomic.Pointer[string] // names interned by source id
}

// Source is one source of a corpus and its number of documents.
type Source struct {
	Name string
	Docs uint64
}

// Open opens the .quire file at path. Opening maps the file and checks only
// its header and footer, whatever the corpus size.
func Open(path string) (*Corpus, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var ptr *C.quire_corpus
	status := C.quire_corpus_open(cpath, &ptr)
	return newCorpus(status, ptr, nil)
}

// OpenBytes opens a corpus held in memory. The bytes are copied into C
// memory (cgo forbids C from keeping Go pointers), so data may be reused as
// soon as OpenBytes returns.
func OpenBytes(data []byte) (*Corpus, error) {
	buf := C.CBytes(data) // never nil: a zero-length copy still allocates
	var ptr *C.quire_corpus
	status := C.quire_corpus_open_buffer(buf, C.size_t(len(data)), &ptr)
	return newCorpus(status, ptr, buf)
}

func newCorpus(status C.int, ptr *C.quire_corpus, buf unsafe.Pointer) (*Corpus, error) {
	if status != C.QUIRE_OK {
		err := newError(status, C.quire_corpus_errmsg(ptr))
		C.quire_corpus_free(ptr) // the failed handle, or NULL on ENOMEM
		C.free(buf)
		return nil, err
	}
	c := &Corpus{h: &corpusHandle{ptr: ptr, buf: buf}}
	c.cleanup = runtime.AddCleanup(c, (*corpusHandle).close, c.h)
	return c, nil
}

// Close releases the corpus. It is safe to call more than once. Cursors and
// exports still open keep the underlying file mapped until they are closed;
// every new use of the corpus fails with ErrState.
func (c *Corpus) Close() error {
	c.cleanup.Stop()
	c.h.close()
	return nil
}

// close marks the handle closed and frees it unless references remain.
func (h *corpusHandle) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	h.freeIfUnused()
}

func (h *corpusHandle) freeIfUnused() {
	if h.closed && h.refs == 0 && h.ptr != nil {
		C.quire_corpus_free(h.ptr)
		C.free(h.buf)
		h.ptr, h.buf = nil, nil
	}
}

// acquire returns the C corpus and keeps it alive until release.
func (h *corpusHandle) acquire() (*C.quire_corpus, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errClosed("corpus")
	}
	h.refs++
	return h.ptr, nil
}

func (h *corpusHandle) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.refs--
	h.freeIfUnused()
}

// with runs fn on the C corpus while holding a reference to it.
func (c *Corpus) with(fn func(*C.quire_corpus) error) error {
	ptr, err := c.h.acquire()
	if err != nil {
		return err
	}
	defer c.h.release()
	defer runtime.KeepAlive(c) // no cleanup while fn runs
	return fn(ptr)
}

// stat returns one of the corpus's counters; ErrState once it is closed.
func (c *Corpus) stat(get func(*C.quire_corpus) C.uint64_t) (uint64, error) {
	var n uint64
	err := c.with(func(p *C.quire_corpus) error {
		n = uint64(get(p))
		return nil
	})
	return n, err
}

// Count returns the number of documents; ErrState once the corpus is closed.
func (c *Corpus) Count() (uint64, error) {
	return c.stat(func(p *C.quire_corpus) C.uint64_t { return C.quire_corpus_doc_count(p) })
}

// SourceCount returns the number of distinct sources; ErrState once the
// corpus is closed.
func (c *Corpus) SourceCount() (uint64, error) {
	return c.stat(func(p *C.quire_corpus) C.uint64_t { return C.quire_corpus_source_count(p) })
}

// UndatedCount returns the number of documents without a date; ErrState once
// the corpus is closed.
func (c *Corpus) UndatedCount() (uint64, error) {
	return c.stat(func(p *C.quire_corpus) C.uint64_t { return C.quire_corpus_undated_count(p) })
}

// FileSize returns the size of the file in bytes; ErrState once the corpus
// is closed.
func (c *Corpus) FileSize() (uint64, error) {
	return c.stat(func(p *C.quire_corpus) C.uint64_t { return C.quire_corpus_file_size(p) })
}

// RawSize returns the uncompressed size of every field of every document;
// ErrState once the corpus is closed.
func (c *Corpus) RawSize() (uint64, error) {
	return c.stat(func(p *C.quire_corpus) C.uint64_t { return C.quire_corpus_raw_size(p) })
}

// Damage returns the description of the first damage found while reading
// the corpus, or "" when nothing has gone wrong.
func (c *Corpus) Damage() string {
	var msg string
	_ = c.with(func(p *C.quire_corpus) error {
		msg = C.GoString(C.quire_corpus_errmsg(p))
		return nil
	})
	return msg
}

// FormatVersion returns the format version of the file.
func (c *Corpus) FormatVersion() (major, minor int, err error) {
	err = c.with(func(p *C.quire_corpus) error {
		var maj, min C.int
		if st := C.quire_corpus_format_version(p, &maj, &min); st != C.QUIRE_OK {
			return newError(st, C.quire_corpus_errmsg(p))
		}
		major, minor = int(maj), int(min)
		return nil
	})
	return major, minor, err
}

// Packing says how a corpus was packed.
type Packing struct {
	Codec        Codec
	Level        int // on the codec's scale; 0 when the file does not say (format 1.0)
	BlockSize    uint32
	Dictionaries []uint32 // the size in bytes of each zstd dictionary
}

// Packing returns the codec, level, block size and dictionaries of the
// corpus.
func (c *Corpus) Packing() (Packing, error) {
	var p Packing
	err := c.with(func(ptr *C.quire_corpus) error {
		var codec, level C.int
		var block C.uint32_t
		if st := C.quire_corpus_codec(ptr, &codec, &level, &block); st != C.QUIRE_OK {
			return newError(st, C.quire_corpus_errmsg(ptr))
		}
		p.Codec, p.Level, p.BlockSize = CodecZstd, int(level), uint32(block)
		if codec == C.QUIRE_CODEC_DEFLATE {
			p.Codec = CodecDeflate
		}
		n := uint64(C.quire_corpus_dictionary_count(ptr))
		for i := uint64(0); i < n; i++ {
			var size C.uint32_t
			if st := C.quire_corpus_dictionary(ptr, C.uint64_t(i), nil, &size, nil); st != C.QUIRE_OK {
				return newError(st, C.quire_corpus_errmsg(ptr))
			}
			p.Dictionaries = append(p.Dictionaries, uint32(size))
		}
		return nil
	})
	return p, err
}

// DateSpan returns the first instants of the earliest and of the latest
// date among dated documents, in UTC. It fails with ErrNotFound when no
// document has a date.
func (c *Corpus) DateSpan() (first, last time.Time, err error) {
	err = c.with(func(p *C.quire_corpus) error {
		var f, l C.int64_t
		if st := C.quire_corpus_date_span(p, &f, &l); st != C.QUIRE_OK {
			if st == C.QUIRE_ENOTFOUND {
				return errorf(ErrNotFound, "no document has a date")
			}
			return newError(st, C.quire_corpus_errmsg(p))
		}
		first, last = time.Unix(int64(f), 0).UTC(), time.Unix(int64(l), 0).UTC()
		return nil
	})
	return first, last, err
}

// Sources returns every source with its number of documents, in byte order
// of the names.
func (c *Corpus) Sources() ([]Source, error) {
	var out []Source
	err := c.with(func(p *C.quire_corpus) error {
		n := uint64(C.quire_corpus_source_count(p))
		out = make([]Source, 0, n)
		for i := uint64(0); i < n; i++ {
			name, docs, err := sourceAt(p, i)
			if err != nil {
				return err
			}
			out = append(out, Source{Name: name, Docs: docs})
		}
		return nil
	})
	return out, err
}

func sourceAt(p *C.quire_corpus, i uint64) (string, uint64, error) {
	var name *C.char
	var n C.size_t
	var docs C.uint64_t
	if st := C.quire_corpus_source(p, C.uint64_t(i), &name, &n, &docs); st != C.QUIRE_OK {
		return "", 0, newError(st, C.quire_corpus_errmsg(p))
	}
	return C.GoStringN(name, C.int(n)), uint64(docs), nil
}

// sourceName returns the interned Go string of source id id, so that
// iterating millions of documents allocates each name once. p must be held.
func (h *corpusHandle) sourceName(p *C.quire_corpus, id int64) (string, error) {
	h.sourcesOnce.Do(func() {
		h.sources = make([]atomic.Pointer[string], uint64(C.quire_corpus_source_count(p)))
	})
	if id < 0 || uint64(id) >= uint64(len(h.sources)) {
		return "", errorf(ErrCorrupt, "source id %d out of range", id)
	}
	if s := h.sources[id].Load(); s != nil {
		return *s, nil
	}
	name, _, err := sourceAt(p, uint64(id))
	if err != nil {
		return "", err
	}
	h.sources[id].Store(&name)
	return name, nil
}

// CountMatches counts the documents matching f (nil: all) from the indexes
// alone, without reading any text.
func (c *Corpus) CountMatches(f *Filter) (uint64, error) {
	var n uint64
	err := c.with(func(p *C.quire_corpus) error {
		cf, err := f.build()
		if err != nil {
			return err
		}
		defer C.quire_filter_free(cf)
		var count C.uint64_t
		if st := C.quire_corpus_count_matches(p, cf, &count); st != C.QUIRE_OK {
			return newError(st, C.quire_corpus_errmsg(p))
		}
		n = uint64(count)
		return nil
	})
	return n, err
}

// Doc returns a copy of every field of document number n (0-based).
func (c *Corpus) Doc(n uint64) (Document, error) {
	cur, err := c.Cursor(nil)
	if err != nil {
		return Document{}, err
	}
	defer cur.Close()
	if err := cur.Seek(n); err != nil {
		return Document{}, err
	}
	return cur.Doc().Load()
}
