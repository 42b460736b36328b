package quire

/*
#include <stdlib.h>
#include <quire.h>

// Go strings may be passed to C as arguments but not stored in C memory the
// Go code owns, so the document struct is filled here, on the C side.
static int quire_go_add_document(quire_writer *w, const char *source,
                                 size_t source_len, const char *date,
                                 size_t date_len, const char *title,
                                 size_t title_len, const char *author,
                                 size_t author_len, const char *url,
                                 size_t url_len, const char *text,
                                 size_t text_len) {
  quire_document doc = QUIRE_DOCUMENT_INIT;
  doc.source = source;
  doc.source_len = source_len;
  doc.date = date;
  doc.date_len = date_len;
  doc.title = title;
  doc.title_len = title_len;
  doc.author = author;
  doc.author_len = author_len;
  doc.url = url;
  doc.url_len = url_len;
  doc.text = text;
  doc.text_len = text_len;
  return quire_writer_add_document(w, &doc);
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Order is the document order of a written file.
type Order int

const (
	// OrderClustered sorts by source name, then date, then input order, so
	// that filters touch few blocks. The default.
	OrderClustered Order = C.QUIRE_ORDER_CLUSTERED
	// OrderInput keeps exactly the order documents were added in.
	OrderInput Order = C.QUIRE_ORDER_INPUT
)

// UTF8Policy says what the writer does with text that is not valid UTF-8.
type UTF8Policy int

const (
	UTF8Reject  UTF8Policy = C.QUIRE_UTF8_REJECT  // Add fails with ErrUTF8 (default)
	UTF8Replace UTF8Policy = C.QUIRE_UTF8_REPLACE // invalid sequences become U+FFFD
)

// WriterOptions tunes a Writer; zero fields keep libquire's defaults.
type WriterOptions struct {
	BlockSize uint32 // uncompressed size text blocks are cut at; 0: the codec's default
	Codec     Codec  // block codec; the zero value is zstd
	Level     int    // on the codec's scale: zstd 1 to 22, DEFLATE 1 to 9; 0: default
	// DictionarySize is the size of the zstd dictionary trained on the
	// corpus (0: the default); NoDictionary writes none.
	DictionarySize uint32
	NoDictionary   bool
	Order          Order
	UTF8           UTF8Policy
	Threads        int // compressing threads; 0: the number of cores
	// Dedup drops each document that duplicates one added before, by any
	// of these kinds; Similarity is the near threshold (0: the default).
	Dedup      DupKind
	Similarity float64
	// NoWordSummaries leaves out the per-block word summaries that let
	// Filter.Match skip blocks (about 2.5% of the file).
	NoWordSummaries bool
	// Progress, when set, is called from Finish: done documents of total
	// are in blocks. A clustered writer (OrderClustered, the default),
	// which orders and compresses most of its documents there, reports at
	// least every 4,096 documents; every writer reports once when all are
	// in blocks.
	// An error from it stops Finish, which leaves no file and returns that
	// error as is; the writer is then failed.
	Progress ProgressFunc
}

// Codec is the compression of a corpus's blocks.
type Codec int

const (
	// CodecZstd is zstd with dictionaries trained on the corpus (format
	// 1.1, the default).
	CodecZstd Codec = iota
	// CodecDeflate is format 1.0's DEFLATE: libquire 1.0 reads the file.
	CodecDeflate
)

func (c Codec) String() string {
	if c == CodecDeflate {
		return "deflate"
	}
	return "zstd"
}

func (c Codec) c() C.int {
	if c == CodecDeflate {
		return C.QUIRE_CODEC_DEFLATE
	}
	return C.QUIRE_CODEC_ZSTD
}

// Writer writes a new corpus. The file appears at its path only when Finish
// succeeds; a Writer closed (or collected) without Finish leaves no file.
// A Writer belongs to one goroutine at a time.
type Writer struct {
	ptr      *C.quire_writer
	held     *heldCorpora
	progress ProgressFunc // follows Finish
	cleanup  runtime.Cleanup
}

// heldCorpora are the corpora given to AddCorpus. The C writer reads them
// until it is closed, so each keeps a reference (as a cursor does): closing
// or collecting the Corpus meanwhile frees nothing the writer needs (for a
// corpus opened with OpenBytes, its C copy of the bytes).
type heldCorpora struct{ handles []*corpusHandle }

// writerResources is what the cleanup of a collected Writer frees.
type writerResources struct {
	ptr  *C.quire_writer
	held *heldCorpora
}

// closeWriter closes the C writer, then lets go of the corpora it read.
func closeWriter(r writerResources) {
	C.quire_writer_free(r.ptr)
	for _, h := range r.held.handles {
		h.release()
	}
	r.held.handles = nil
}

// newWriter wraps an open C writer.
func newWriter(ptr *C.quire_writer) *Writer {
	w := &Writer{ptr: ptr, held: &heldCorpora{}}
	w.cleanup = runtime.AddCleanup(w, closeWriter, writerResources{ptr, w.held})
	return w
}

// Create starts writing a corpus to path. opts may be nil.
func Create(path string, opts *WriterOptions) (*Writer, error) {
	w, err := openWriter(path, func(p *C.char, out **C.quire_writer) C.int {
		return C.quire_writer_open(p, out)
	}, opts.apply)
	if err == nil && opts != nil {
		w.progress = opts.Progress
	}
	return w, err
}

// openWriter opens a C writer on path with open (handle convention of
// quire_writer_open), then sets its options with apply.
func openWriter(path string, open func(*C.char, **C.quire_writer) C.int,
	apply func(*C.quire_writer) error) (*Writer, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var ptr *C.quire_writer
	if st := open(cpath, &ptr); st != C.QUIRE_OK {
		return nil, writerFailure(ptr, st)
	}
	if err := apply(ptr); err != nil {
		C.quire_writer_free(ptr)
		return nil, err
	}
	return newWriter(ptr), nil
}

// writerFailure reads the message of a writer that failed to open, and frees it.
func writerFailure(ptr *C.quire_writer, st C.int) error {
	if ptr == nil {
		return newError(st, nil)
	}
	err := newError(st, C.quire_writer_errmsg(ptr))
	C.quire_writer_free(ptr)
	return err
}

// writerCheck turns a status of a call on ptr into nil or its error.
func writerCheck(ptr *C.quire_writer) func(C.int) error {
	return func(st C.int) error {
		if st != C.QUIRE_OK {
			return newError(st, C.quire_writer_errmsg(ptr))
		}
		return nil
	}
}

func (o *WriterOptions) apply(ptr *C.quire_writer) error {
	if o == nil {
		return nil
	}
	check := writerCheck(ptr)
	if o.Codec != CodecZstd && o.Codec != CodecDeflate {
		return errorf(Code(C.QUIRE_EINVAL), "unknown codec %d", int(o.Codec))
	}
	// The codec first: it resets the level to its own default.
	if err := check(C.quire_writer_set_codec(ptr, o.Codec.c())); err != nil {
		return err
	}
	if o.NoDictionary || o.DictionarySize != 0 {
		size := o.DictionarySize
		if o.NoDictionary {
			size = 0
		}
		if err := check(C.quire_writer_set_dictionary_size(ptr, C.uint32_t(size))); err != nil {
			return err
		}
	}
	if o.NoWordSummaries {
		if err := check(C.quire_writer_set_word_summaries(ptr, 0)); err != nil {
			return err
		}
	}
	if o.BlockSize != 0 {
		if err := check(C.quire_writer_set_block_size(ptr, C.uint32_t(o.BlockSize))); err != nil {
			return err
		}
	}
	if o.Level != 0 {
		if err := check(C.quire_writer_set_level(ptr, C.int(o.Level))); err != nil {
			return err
		}
	}
	if err := check(C.quire_writer_set_order(ptr, C.int(o.Order))); err != nil {
		return err
	}
	return applyShared(ptr, o.Threads, o.Dedup, o.Similarity, o.UTF8)
}

// applyShared sets the options that WriterOptions and AppendOptions share.
func applyShared(ptr *C.quire_writer, threads int, dedup DupKind, similarity float64, utf8 UTF8Policy) error {
	check := writerCheck(ptr)
	if threads != 0 {
		if err := check(C.quire_writer_set_threads(ptr, C.int(threads))); err != nil {
			return err
		}
	}
	if dedup != 0 || similarity != 0 {
		if err := check(C.quire_writer_set_dedup(ptr, C.int(dedup), C.double(similarity))); err != nil {
			return err
		}
	}
	return check(C.quire_writer_set_utf8(ptr, C.int(utf8)))
}

// Add adds one document (its Number is ignored). A bad document (ErrDate,
// ErrUTF8, ErrLimit) is not added and the writer stays usable; after ErrIO
// or ErrNoMemory the writer is failed.
func (w *Writer) Add(d Document) error {
	if w.ptr == nil {
		return errClosed("writer")
	}
	src, srcLen := cstr(d.Source)
	date, dateLen := cstr(d.Date)
	title, titleLen := cstr(d.Title)
	author, authorLen := cstr(d.Author)
	url, urlLen := cstr(d.URL)
	text, textLen := cstr(d.Text)
	st := C.quire_go_add_document(w.ptr, src, srcLen, date, dateLen, title, titleLen,
		author, authorLen, url, urlLen, text, textLen)
	runtime.KeepAlive(w)
	if st != C.QUIRE_OK {
		return newError(st, C.quire_writer_errmsg(w.ptr))
	}
	return nil
}

// Count returns the number of documents added so far.
func (w *Writer) Count() uint64 {
	if w.ptr == nil {
		return 0
	}
	defer runtime.KeepAlive(w)
	return uint64(C.quire_writer_doc_count(w.ptr))
}

// Finish writes the indexes, syncs the file and renames it into place.
// The options' Progress follows it.
func (w *Writer) Finish() error {
	if w.ptr == nil {
		return errClosed("writer")
	}
	defer runtime.KeepAlive(w)
	errmsg := func() *C.char { return C.quire_writer_errmsg(w.ptr) }
	st, err := withProgress(w.progress, setWriterProgress(w.ptr), errmsg, func() C.int {
		return C.quire_writer_finish(w.ptr)
	})
	if err != nil {
		return err
	}
	if st != C.QUIRE_OK {
		return newError(st, errmsg())
	}
	return nil
}

// Close frees the writer; if Finish did not succeed, the file is not
// written. It is safe to call more than once.
func (w *Writer) Close() error {
	if w.ptr == nil {
		return nil
	}
	w.cleanup.Stop()
	closeWriter(writerResources{w.ptr, w.held})
	w.ptr = nil
	return nil
}

// ImportOptions tunes a CSV import; the zero value keeps libquire's defaults
// (column names and aliases as docs/guide.md, "CSV import", lists them, stop
// at the first bad row).
type ImportOptions struct {
	// Columns maps header names (case-insensitive) to fields, overriding the
	// aliases: FieldSource..FieldText, FieldFile or FieldIgnore.
	Columns map[string]Field
	// SkipBadRows skips and records bad rows instead of stopping.
	SkipBadRows bool
	// BaseDir is the directory FieldFile names are relative to (default: the
	// CSV file's directory; "." for ImportCSVBytes).
	BaseDir string
	// Progress, when set, is called as the CSV is read: done bytes of
	// total, the file's size (0 when it is not known, as for a pipe; the
	// length of the data for ImportCSVBytes), at
	// least every MiB and once at the end. An error from it stops the
	// import and is returned as is; the rows added before stay in the
	// writer.
	Progress ProgressFunc
}

// ImportResult tells what an import did.
type ImportResult struct {
	Rows        uint64   // rows added
	Skipped     uint64   // bad rows skipped
	SkippedRows []uint64 // 1-based record numbers of the first 1,000 skipped
	Warnings    string   // one per line, such as unknown columns
}

// ImportCSV adds every row of the CSV file at path to the writer. The file
// may be compressed with gzip or zstd (recognized by its first bytes); one
// cut short or damaged fails with ErrCSV. Rows added before a failure stay
// in the writer: Close it without Finish to write nothing.
func (w *Writer) ImportCSV(path string, opts *ImportOptions) (ImportResult, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return w.runImport(opts, func(imp *C.quire_import) C.int {
		return C.quire_import_csv_path(imp, w.ptr, cpath)
	})
}

// ImportCSVBytes is ImportCSV for CSV held in memory, plain or compressed
// with gzip or zstd as a file may be; name is used in messages.
func (w *Writer) ImportCSVBytes(data []byte, name string, opts *ImportOptions) (ImportResult, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var p *C.char
	if len(data) > 0 {
		p = (*C.char)(unsafe.Pointer(&data[0]))
	}
	return w.runImport(opts, func(imp *C.quire_import) C.int {
		return C.quire_import_csv_buffer(imp, w.ptr, p, C.size_t(len(data)), cname)
	})
}

func (w *Writer) runImport(opts *ImportOptions, run func(*C.quire_import) C.int) (ImportResult, error) {
	if w.ptr == nil {
		return ImportResult{}, errClosed("writer")
	}
	defer runtime.KeepAlive(w)
	var imp *C.quire_import
	if st := C.quire_import_new(&imp); st != C.QUIRE_OK {
		return ImportResult{}, newError(st, nil)
	}
	defer C.quire_import_free(imp)
	if err := opts.apply(imp); err != nil {
		return ImportResult{}, err
	}
	var progress ProgressFunc
	if opts != nil {
		progress = opts.Progress
	}
	st, err := withProgress(progress, setImportProgress(imp), func() *C.char { return C.quire_import_errmsg(imp) },
		func() C.int { return run(imp) })
	res := importResult(imp)
	if err != nil {
		return res, err
	}
	if st != C.QUIRE_OK {
		msg := C.quire_import_errmsg(imp)
		if *msg == 0 {
			msg = C.quire_writer_errmsg(w.ptr)
		}
		return res, newError(st, msg)
	}
	return res, nil
}

func (o *ImportOptions) apply(imp *C.quire_import) error {
	if o == nil {
		return nil
	}
	check := func(st C.int) error {
		if st != C.QUIRE_OK {
			return newError(st, C.quire_import_errmsg(imp))
		}
		return nil
	}
	for name, f := range o.Columns {
		p, n := cstr(name)
		if err := check(C.quire_import_map_column(imp, p, n, C.int(f))); err != nil {
			return err
		}
	}
	skip := C.int(0)
	if o.SkipBadRows {
		skip = 1
	}
	if err := check(C.quire_import_set_skip_bad_rows(imp, skip)); err != nil {
		return err
	}
	if o.BaseDir == "" {
		return nil
	}
	dir := C.CString(o.BaseDir)
	defer C.free(unsafe.Pointer(dir))
	return check(C.quire_import_set_base_dir(imp, dir))
}

func importResult(imp *C.quire_import) ImportResult {
	res := ImportResult{
		Rows:     uint64(C.quire_import_rows(imp)),
		Skipped:  uint64(C.quire_import_skipped(imp)),
		Warnings: C.GoString(C.quire_import_warnings(imp)),
	}
	for i := uint64(0); ; i++ {
		var row C.uint64_t
		if C.quire_import_skipped_row(imp, C.uint64_t(i), &row) != C.QUIRE_OK {
			break
		}
		res.SkippedRows = append(res.SkippedRows, uint64(row))
	}
	return res
}
