package quire

/*
#include <stdint.h>
#include <stdlib.h>
#include <quire.h>

extern int quireGoWrite(uintptr_t ctx, char *data, size_t n);

static int quire_go_write(void *ctx, const char *data, size_t len) {
  return quireGoWrite((uintptr_t)ctx, (char *)data, len);
}

// The Go side passes a cgo.Handle as an integer: converting it to a pointer
// is done here, where go vet does not mistake it for unsafe pointer use.
static int quire_go_verify(const quire_corpus *corpus, uint64_t *damaged,
                           uintptr_t handle) {
  return quire_corpus_verify(corpus, damaged, quire_go_write, (void *)handle);
}

static int quire_go_salvage(const char *in, const char *out, uint64_t *kept,
                            uint64_t *lost, uintptr_t handle) {
  return quire_salvage(in, out, kept, lost, quire_go_write, (void *)handle);
}
*/
import "C"

import (
	"io"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Dialect is the CSV flavour of an export.
type Dialect int

const (
	// DialectPlain is RFC 4180 with LF line ends; data is never altered.
	DialectPlain Dialect = C.QUIRE_CSV_PLAIN
	// DialectExcel adds a UTF-8 BOM and CRLF, makes formulas inert and cuts
	// cells to 32,767 characters.
	DialectExcel Dialect = C.QUIRE_CSV_EXCEL
)

// ExportOptions selects what an export writes; the zero value (or nil)
// writes every document, every column, plain CSV.
type ExportOptions struct {
	Filter *Filter
	// Columns in order, from id, source, date, title, author, url, text
	// and the columns derived from the date: year, month, day,
	// datetime_utc, date_precision (case-insensitive). nil means the seven
	// fields.
	Columns []string
	Dialect Dialect
	// SplitRows, when above 0, makes ExportCSV and ExportXLSX write
	// numbered files of at most that many rows each, every one with the
	// header: out-001.csv, out-002.csv, ... WriteCSV and ExportReader
	// refuse it.
	SplitRows uint64
	// Progress, when set, is called as rows are written: done rows of
	// total, the number of documents the filter selects, or 0 (unknown)
	// when the filter has terms; at least every 1,024 rows and once at the
	// end. An error from it stops the export, leaves no file behind, and
	// is returned as is.
	Progress ProgressFunc
}

// ExportResult tells what an export wrote.
type ExportResult struct {
	Rows          uint64 // documents written
	CellsCut      uint64 // cells cut to the spreadsheet limit (excel dialect, XLSX)
	RowsOverSheet uint64 // CSV rows past the 1,048,576 a spreadsheet sheet shows
	Files         uint64 // files written by ExportCSV or ExportXLSX
}

// ExportCSV writes the selection to path atomically: on any failure no file
// is left there (or the old one is unchanged).
func (c *Corpus) ExportCSV(path string, opts *ExportOptions) (ExportResult, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return c.export(opts, func(exp *C.quire_export) C.int {
		return C.quire_export_to_path(exp, cpath)
	})
}

// ExportXLSX writes the selection as an Excel workbook to path,
// atomically: text cells that never run as formulas, full dates as date
// cells, a frozen header row with a filter, and a new sheet every 1,048,575
// rows. opts.Dialect does not matter.
func (c *Corpus) ExportXLSX(path string, opts *ExportOptions) (ExportResult, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return c.export(opts, func(exp *C.quire_export) C.int {
		return C.quire_export_to_xlsx(exp, cpath)
	})
}

// WriteCSV streams the selection to w through an ExportReader; memory stays
// flat whatever the corpus size. An error from w stops the export and is
// returned as is.
func (c *Corpus) WriteCSV(w io.Writer, opts *ExportOptions) (ExportResult, error) {
	r, err := c.ExportReader(opts)
	if err != nil {
		return ExportResult{}, err
	}
	defer r.Close()
	_, err = io.CopyBuffer(w, r, make([]byte, exportChunk))
	return r.Result(), err
}

// exportChunk is the buffer WriteCSV reads the CSV into.
const exportChunk = 256 << 10

// export sets up a C export from opts and runs it.
func (c *Corpus) export(opts *ExportOptions, run func(*C.quire_export) C.int) (ExportResult, error) {
	var res ExportResult
	err := c.with(func(p *C.quire_corpus) error {
		exp, err := newExport(p, opts)
		if err != nil {
			return err
		}
		defer C.quire_export_free(exp)
		var progress ProgressFunc
		if opts != nil {
			progress = opts.Progress
		}
		errmsg := func() *C.char { return C.quire_export_errmsg(exp) }
		st, perr := withProgress(progress, setExportProgress(exp), errmsg, func() C.int { return run(exp) })
		res = exportResult(exp)
		if perr != nil {
			return perr
		}
		if st != C.QUIRE_OK {
			return newError(st, errmsg())
		}
		return nil
	})
	return res, err
}

// newExport opens a C export of p set up from opts (all but Progress).
func newExport(p *C.quire_corpus, opts *ExportOptions) (*C.quire_export, error) {
	var exp *C.quire_export
	if st := C.quire_export_new(p, &exp); st != C.QUIRE_OK {
		err := newError(st, C.quire_export_errmsg(exp))
		C.quire_export_free(exp) // a failed handle, or NULL
		return nil, err
	}
	if err := opts.apply(exp); err != nil {
		C.quire_export_free(exp)
		return nil, err
	}
	return exp, nil
}

func exportResult(exp *C.quire_export) ExportResult {
	return ExportResult{Rows: uint64(C.quire_export_rows(exp)), CellsCut: uint64(C.quire_export_cells_cut(exp)),
		RowsOverSheet: uint64(C.quire_export_rows_over_sheet(exp)), Files: uint64(C.quire_export_files(exp))}
}

// ExportReader reads an export's CSV as it is made: an io.ReadCloser over
// quire_export_read, with no callback and no goroutine. Memory stays flat
// whatever the corpus size; each Read fills as much of its buffer as it
// can. Read returns io.EOF after the last byte; an error ends the export.
//
// The reader keeps its corpus mapped until it is closed, as a cursor does:
// closing the Corpus meanwhile lets the export run to its end. Close may be
// called at any time, also while another goroutine reads (it then waits for
// that Read to return); later Reads fail with ErrState. A reader that is
// garbage collected unclosed is closed too. Progress (opts.Progress) runs
// inside Read.
type ExportReader struct {
	mu      sync.Mutex
	res     *exportResources
	done    bool
	err     error // the error that ended the export, returned again
	result  ExportResult
	cleanup runtime.Cleanup
}

// exportResources is what closing an ExportReader (or its cleanup) frees.
type exportResources struct {
	exp      *C.quire_export
	corpus   *corpusHandle
	progress *progressHandle
}

func (r *exportResources) free() {
	C.quire_export_free(r.exp)
	r.progress.release()
	r.corpus.release()
}

// ExportReader starts streaming the selection as CSV. The caller closes
// the reader; opts.SplitRows is refused (ErrInvalid) at the first Read.
func (c *Corpus) ExportReader(opts *ExportOptions) (*ExportReader, error) {
	p, err := c.h.acquire()
	if err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(c)
	exp, err := newExport(p, opts)
	if err != nil {
		c.h.release()
		return nil, err
	}
	res := &exportResources{exp: exp, corpus: c.h}
	if opts != nil {
		res.progress = newProgress(opts.Progress)
	}
	if st := setExportProgress(exp)(res.progress.ctx()); st != C.QUIRE_OK {
		err := newError(st, C.quire_export_errmsg(exp))
		res.free()
		return nil, err
	}
	r := &ExportReader{res: res}
	r.cleanup = runtime.AddCleanup(r, (*exportResources).free, res)
	return r, nil
}

// Read reads the next part of the CSV into p.
func (r *ExportReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.res == nil:
		return 0, errClosed("export")
	case r.err != nil:
		return 0, r.err
	case r.done:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	exp := r.res.exp
	var n C.size_t
	st := C.quire_export_read(exp, (*C.char)(unsafe.Pointer(&p[0])), C.size_t(len(p)), &n)
	r.result = exportResult(exp)
	switch st {
	case C.QUIRE_OK:
		return int(n), nil
	case C.QUIRE_DONE:
		r.done = true
		return 0, io.EOF
	}
	if r.err = r.res.progress.outcome(); r.err == nil {
		r.err = newError(st, C.quire_export_errmsg(exp))
	}
	return 0, r.err
}

// Result tells what the export wrote so far: its Rows are final once Read
// returned io.EOF.
func (r *ExportReader) Result() ExportResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.result
}

// Close ends the export and lets go of the corpus. It is safe to call more
// than once.
func (r *ExportReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.res == nil {
		return nil
	}
	r.cleanup.Stop()
	r.res.free()
	r.res = nil
	return nil
}

func (o *ExportOptions) apply(exp *C.quire_export) error {
	if o == nil {
		return nil
	}
	check := func(st C.int) error {
		if st != C.QUIRE_OK {
			return newError(st, C.quire_export_errmsg(exp))
		}
		return nil
	}
	if o.Filter != nil {
		cf, err := o.Filter.build()
		if err != nil {
			return err
		}
		st := C.quire_export_set_filter(exp, cf)
		C.quire_filter_free(cf) // the export keeps a copy
		if err := check(st); err != nil {
			return err
		}
	}
	if o.Columns != nil {
		list := strings.Join(o.Columns, ",")
		p, n := cstr(list)
		if err := check(C.quire_export_set_columns(exp, p, n)); err != nil {
			return err
		}
	}
	if err := check(C.quire_export_set_split_rows(exp, C.uint64_t(o.SplitRows))); err != nil {
		return err
	}
	return check(C.quire_export_set_dialect(exp, C.int(o.Dialect)))
}

// Verify checks the CRC32 of every section and block of the file. It
// returns nil when the file is whole; otherwise an error wrapping
// ErrCorrupt whose message names each damaged part.
func (c *Corpus) Verify() error {
	return c.with(func(p *C.quire_corpus) error {
		var report strings.Builder
		var damaged C.uint64_t
		st, _ := callWithWriter(&report, func(h C.uintptr_t) C.int {
			return C.quire_go_verify(p, &damaged, h)
		})
		switch st {
		case C.QUIRE_OK:
			return nil
		case C.QUIRE_ECORRUPT:
			return errorf(ErrCorrupt, "%d damaged part(s):\n%s", uint64(damaged), report.String())
		default:
			return newError(st, C.quire_corpus_errmsg(p))
		}
	})
}

// Salvage writes to outPath a new corpus holding every intact document of
// the possibly damaged file at inPath, and reports each loss to report (may
// be nil), one line each.
func Salvage(inPath, outPath string, report io.Writer) (kept, lost uint64, err error) {
	in, out := C.CString(inPath), C.CString(outPath)
	defer C.free(unsafe.Pointer(in))
	defer C.free(unsafe.Pointer(out))
	if report == nil {
		report = io.Discard
	}
	var k, l C.uint64_t
	st, werr := callWithWriter(report, func(h C.uintptr_t) C.int {
		return C.quire_go_salvage(in, out, &k, &l, h)
	})
	if werr != nil {
		return uint64(k), uint64(l), werr
	}
	if st != C.QUIRE_OK {
		return uint64(k), uint64(l), newError(st, nil)
	}
	return uint64(k), uint64(l), nil
}
