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
static int quire_go_export(quire_export *exp, uintptr_t handle) {
  return quire_export_to_callback(exp, quire_go_write, (void *)handle);
}

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
	"strings"
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
	// header: out-001.csv, out-002.csv, ... WriteCSV refuses it.
	SplitRows uint64
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
	return c.export(opts, func(exp *C.quire_export) (C.int, error) {
		return C.quire_export_to_path(exp, cpath), nil
	})
}

// ExportXLSX writes the selection as an Excel workbook to path,
// atomically: text cells that never run as formulas, full dates as date
// cells, a frozen header row with a filter, and a new sheet every 1,048,575
// rows. opts.Dialect does not matter.
func (c *Corpus) ExportXLSX(path string, opts *ExportOptions) (ExportResult, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return c.export(opts, func(exp *C.quire_export) (C.int, error) {
		return C.quire_export_to_xlsx(exp, cpath), nil
	})
}

// WriteCSV streams the selection to w; memory stays flat whatever the
// corpus size. An error from w stops the export and is returned as is.
func (c *Corpus) WriteCSV(w io.Writer, opts *ExportOptions) (ExportResult, error) {
	return c.export(opts, func(exp *C.quire_export) (C.int, error) {
		return callWithWriter(w, func(h C.uintptr_t) C.int { return C.quire_go_export(exp, h) })
	})
}

// export sets up a C export from opts and runs it.
func (c *Corpus) export(opts *ExportOptions, run func(*C.quire_export) (C.int, error)) (ExportResult, error) {
	var res ExportResult
	err := c.with(func(p *C.quire_corpus) error {
		var exp *C.quire_export
		if st := C.quire_export_new(p, &exp); st != C.QUIRE_OK {
			return newError(st, nil)
		}
		defer C.quire_export_free(exp)
		if err := opts.apply(exp); err != nil {
			return err
		}
		st, werr := run(exp)
		res = ExportResult{Rows: uint64(C.quire_export_rows(exp)), CellsCut: uint64(C.quire_export_cells_cut(exp)),
			RowsOverSheet: uint64(C.quire_export_rows_over_sheet(exp)), Files: uint64(C.quire_export_files(exp))}
		if werr != nil {
			return werr
		}
		if st != C.QUIRE_OK {
			return newError(st, C.quire_export_errmsg(exp))
		}
		return nil
	})
	return res, err
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
