// Package arrowquire reads quire corpora as Arrow record batches with
// arrow-go: libquire's Arrow C stream (quire_arrow_stream_open) imported
// with cdata.ImportCRecordReader, so the buffers libquire fills become
// arrow-go arrays without a copy.
//
// It is a module of its own so that quire.dev/quire stays free of
// dependencies; only programs that want Arrow pull in arrow-go.
//
//	rdr, err := arrowquire.NewRecordReader(corpus, &quire.Filter{From: "2016"},
//		[]string{"doc", "source", "title"}, 0)
//	if err != nil { ... }
//	defer rdr.Release()
//	for rdr.Next() {
//		batch := rdr.RecordBatch() // valid until the next call to Next
//		...
//	}
//	if err := rdr.Err(); err != nil { ... }
package arrowquire

/*
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/cdata"

	"quire.dev/quire"
)

// Columns lists the columns of the stream in their default order (see
// docs/guide.md, "Arrow C stream", for their types).
var Columns = []string{"doc", "source", "date", "date_precision", "date_text", "title", "author", "url", "text"}

// NewRecordReader returns the documents of c matching f (nil: all), in
// document order, as record batches of the given columns (nil: all) of at
// most batchSize documents (0: libquire's default, 8192). Columns not named
// are never read. The caller releases the reader. After c is closed, the
// reader's next batch is an error ("corpus is closed").
func NewRecordReader(c *quire.Corpus, f *quire.Filter, columns []string, batchSize int) (array.RecordReader, error) {
	var probe cdata.CArrowArrayStream
	stream := (*cdata.CArrowArrayStream)(C.calloc(1, C.size_t(unsafe.Sizeof(probe))))
	if stream == nil {
		return nil, fmt.Errorf("arrowquire: out of memory")
	}
	// The reader moves the stream out of this struct; the struct itself is
	// ours to free.
	defer C.free(unsafe.Pointer(stream))
	if err := c.ArrowStream(f, columns, batchSize, unsafe.Pointer(stream)); err != nil {
		return nil, err
	}
	rdr, err := cdata.ImportCRecordReader(stream, nil)
	if err != nil {
		return nil, err
	}
	return rdr.(array.RecordReader), nil
}
