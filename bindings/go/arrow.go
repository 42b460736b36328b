package quire

/*
#include <stdlib.h>
#include <string.h>
#include <quire.h>

// The message of a failed stream (struct ArrowArrayStream's get_last_error
// is its third member; quire.h leaves the struct incomplete, so it is read
// through the layout the Arrow C Stream Interface fixes).
typedef const char *(*quire_go_arrow_errmsg_fn)(void *);
static const char *quire_go_arrow_errmsg(void *stream) {
	quire_go_arrow_errmsg_fn get = ((quire_go_arrow_errmsg_fn *)stream)[2];
	return get ? get(stream) : NULL;
}
static void quire_go_arrow_release(void *stream) {
	void (*release)(void *) = ((void (**)(void *))stream)[3];
	if (release)
		release(stream);
}
*/
import "C"

import (
	"strings"
	"unsafe"
)

// ArrowStream fills stream, which must point to a C struct ArrowArrayStream
// (the Arrow C Stream Interface, in C memory), with a stream of the
// documents matching f (nil: all), in document order, as record batches of
// the given columns (nil for all: doc, source, date, date_precision,
// date_text, title, author, url, text) of at most batchSize documents (0:
// libquire's default, 8192). Columns not named are never read. The caller
// owns the stream and releases it through its release callback; the
// sub-package quire.dev/quire/arrowquire does all of that and returns an
// arrow-go RecordReader, so that this package needs no Arrow dependency.
//
// libquire's stream holds the C corpus: after Close, the stream's next
// batch is an error ("corpus is closed"). For a corpus opened from bytes,
// Close must not run while another goroutine is reading the stream.
func (c *Corpus) ArrowStream(f *Filter, columns []string, batchSize int, stream unsafe.Pointer) error {
	if stream == nil {
		return errorf(ErrInvalid, "stream is nil")
	}
	if batchSize < 0 {
		return errorf(ErrInvalid, "batch size %d is negative", batchSize)
	}
	return c.with(func(p *C.quire_corpus) error {
		cf, err := f.build()
		if err != nil {
			return err
		}
		defer C.quire_filter_free(cf)
		list := C.CString(strings.Join(columns, ","))
		defer C.free(unsafe.Pointer(list))
		st := C.quire_arrow_stream_open(p, cf, list, C.strlen(list), C.uint64_t(batchSize), 0,
			(*C.struct_ArrowArrayStream)(stream))
		if st != C.QUIRE_OK {
			err := newError(st, C.quire_go_arrow_errmsg(stream))
			C.quire_go_arrow_release(stream)
			return err
		}
		return nil
	})
}
