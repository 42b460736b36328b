use std::any::Any;
use std::ffi::{c_char, c_int, c_void};
use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::ptr::NonNull;

use quire_sys as sys;

use crate::error::check;
use crate::progress::{with_progress, ProgressCall};
use crate::{path_arg, str_arg, Corpus, Error, Filter, Progress, Result};

/// The CSV flavour of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// RFC 4180, LF line ends, data never altered.
    #[default]
    Plain,
    /// UTF-8 BOM, CRLF, every text cell quoted, formulas made inert, cells
    /// cut to 32,767 characters.
    Excel,
}

/// What an export writes; the default is every document, every column
/// (id,source,date,title,author,url,text), plain CSV.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub filter: Option<Filter>,
    /// Columns in order, from id, source, date, title, author, url, text
    /// and the columns derived from the date: year, month, day,
    /// datetime_utc, date_precision (case-insensitive).
    pub columns: Option<Vec<String>>,
    pub dialect: Dialect,
    /// When set, [`Corpus::export_csv_path`] and [`Corpus::export_xlsx`]
    /// write numbered files of at most this many rows each, every one with
    /// the header: out-001.csv, out-002.csv, ... A stream refuses it.
    pub split_rows: Option<u64>,
    /// Follows the export: rows written of the documents selected (0 when
    /// the filter has terms). A `Break` stops it with
    /// [`ErrorKind::Callback`](crate::ErrorKind::Callback) and leaves no
    /// file. See [`Progress`].
    pub progress: Option<Progress>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    /// Documents written.
    pub rows: u64,
    /// Cells cut to the spreadsheet limit (excel dialect, XLSX).
    pub cells_cut: u64,
    /// CSV rows past the 1,048,576 rows a spreadsheet sheet shows.
    pub rows_over_sheet: u64,
    /// Files written to paths (0 for a stream).
    pub files: u64,
}

/// What a salvage kept and lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalvageReport {
    pub kept: u64,
    pub lost: u64,
}

/// The buffer [`Corpus::export_csv`] reads the CSV into.
const EXPORT_CHUNK: usize = 256 << 10;

impl Corpus {
    /// Writes the selection to path atomically: on any failure no file is
    /// left there (or the old one is unchanged).
    pub fn export_csv_path(
        &self,
        path: impl AsRef<Path>,
        options: &ExportOptions,
    ) -> Result<ExportReport> {
        let path = path_arg(path.as_ref())?;
        let export = Export::new(self, options)?;
        // SAFETY: live export; path is NUL-terminated.
        export.run(options, || unsafe {
            sys::quire_export_to_path(export.as_ptr(), path.as_ptr())
        })
    }

    /// Writes the selection as an Excel workbook (XLSX) to path,
    /// atomically: text cells that never run as formulas, full dates as
    /// date cells, a frozen header row with a filter, a new sheet every
    /// 1,048,575 rows. The dialect does not matter.
    pub fn export_xlsx(
        &self,
        path: impl AsRef<Path>,
        options: &ExportOptions,
    ) -> Result<ExportReport> {
        let path = path_arg(path.as_ref())?;
        let export = Export::new(self, options)?;
        // SAFETY: live export; path is NUL-terminated.
        export.run(options, || unsafe {
            sys::quire_export_to_xlsx(export.as_ptr(), path.as_ptr())
        })
    }

    /// Streams the selection as CSV to out, read through an
    /// [`ExportReader`]; memory stays flat whatever the corpus size. An
    /// error from out stops the export and comes back as the source of an
    /// [`ErrorKind::Callback`](crate::ErrorKind::Callback) error.
    pub fn export_csv<W: Write>(
        &self,
        out: &mut W,
        options: &ExportOptions,
    ) -> Result<ExportReport> {
        let mut reader = self.export_reader(options)?;
        let mut buf = vec![0u8; EXPORT_CHUNK];
        let output_failed = |e: io::Error| {
            Error::with_source(
                sys::QUIRE_ECALLBACK,
                format!("writing the output failed: {e}"),
                e,
            )
        };
        loop {
            let n = reader.read_csv(&mut buf)?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(output_failed)?;
        }
        out.flush().map_err(output_failed)?;
        Ok(reader.report())
    }

    /// Starts streaming the selection as CSV through a reader
    /// ([`std::io::Read`]): see [`ExportReader`].
    pub fn export_reader(&self, options: &ExportOptions) -> Result<ExportReader<'_>> {
        let export = Export::new(self, options)?;
        let mut progress = options.progress.as_ref().map(ProgressCall::new);
        if let Some(call) = progress.as_mut() {
            let (f, ctx) = call.c_args();
            // SAFETY: live export; the boxed context lives in the reader,
            // whose export is freed first (field order).
            let status = unsafe { sys::quire_export_set_progress(export.as_ptr(), f, ctx) };
            check(status, || export.errmsg())?;
        }
        Ok(ExportReader {
            export,
            progress,
            done: false,
            corpus: PhantomData,
        })
    }

    /// Checks the CRC32 of every section and block. Ok when the file is
    /// whole; otherwise an [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt)
    /// error whose message names each damaged part.
    pub fn verify(&self) -> Result<()> {
        let mut report = Vec::new();
        let mut damaged = 0u64;
        let status = with_sink(&mut report, |write, ctx| {
            // SAFETY: live corpus; ctx is the sink, alive during the call.
            unsafe { sys::quire_corpus_verify(self.as_ptr(), &mut damaged, write, ctx) }
        })?;
        match status {
            sys::QUIRE_OK => Ok(()),
            sys::QUIRE_ECORRUPT => Err(Error::new(
                status,
                format!(
                    "{damaged} damaged part(s):\n{}",
                    String::from_utf8_lossy(&report)
                ),
            )),
            _ => Err(Error::from_status(status, std::ptr::null())),
        }
    }
}

/// Writes to out_path a new corpus holding every intact document of the
/// possibly damaged file at in_path, reporting each loss to report, one line
/// each.
pub fn salvage(
    in_path: impl AsRef<Path>,
    out_path: impl AsRef<Path>,
    report: &mut impl Write,
) -> Result<SalvageReport> {
    let (input, output) = (path_arg(in_path.as_ref())?, path_arg(out_path.as_ref())?);
    let (mut kept, mut lost) = (0u64, 0u64);
    let status = with_sink(report, |write, ctx| {
        // SAFETY: NUL-terminated paths, valid out pointers, live sink.
        unsafe {
            sys::quire_salvage(
                input.as_ptr(),
                output.as_ptr(),
                &mut kept,
                &mut lost,
                write,
                ctx,
            )
        }
    })?;
    check(status, std::ptr::null)?;
    Ok(SalvageReport { kept, lost })
}

/// Reads an export's CSV as it is made: a [`Read`] over
/// `quire_export_read`, with no callback and no thread. Each read fills as
/// much of the buffer as it can; `Ok(0)` marks the end. Memory stays flat
/// whatever the corpus size.
///
/// The reader borrows its corpus, which therefore cannot be dropped while
/// the reader lives; dropping the reader in the middle of the CSV ends the
/// export. A failed read ends it too, and later reads fail again. The
/// options' [`progress`](ExportOptions::progress) runs inside `read`.
///
/// ```
/// # fn f(corpus: &quire::Corpus) -> Result<(), Box<dyn std::error::Error>> {
/// use std::io::Read;
///
/// let filter = quire::Filter::new().from("2016");
/// let options = quire::ExportOptions { filter: Some(filter), ..Default::default() };
/// let mut reader = corpus.export_reader(&options)?;
/// let mut csv = String::new();
/// reader.read_to_string(&mut csv)?; // or std::io::copy(&mut reader, &mut out)
/// println!("{} rows", reader.report().rows);
/// # Ok(())
/// # }
/// ```
///
/// ```compile_fail
/// # fn f(corpus: quire::Corpus) {
/// let reader = corpus.export_reader(&quire::ExportOptions::default()).unwrap();
/// drop(corpus); // error[E0505]: cannot move out of `corpus` while borrowed
/// drop(reader);
/// # }
/// ```
pub struct ExportReader<'c> {
    // Freed before the progress context it may call (fields drop in order).
    export: Export,
    progress: Option<Box<ProgressCall>>,
    done: bool,
    corpus: PhantomData<&'c Corpus>,
}

// SAFETY: a reader is used by one thread at a time (reads take &mut self);
// the export, its corpus (Sync) and the progress closure (Send) may move
// between threads.
unsafe impl Send for ExportReader<'_> {}

impl ExportReader<'_> {
    /// Reads the next part of the CSV into buf; 0 at the end. An error
    /// ends the export.
    pub fn read_csv(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let mut n = 0usize;
        // SAFETY: live export; buf is writable for its length, n a valid
        // out pointer; the progress context lives in self.
        let status = unsafe {
            sys::quire_export_read(
                self.export.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut n,
            )
        };
        if let Some(call) = self.progress.as_mut() {
            call.resume_panic();
        }
        match status {
            sys::QUIRE_OK => Ok(n),
            sys::QUIRE_DONE => {
                self.done = true;
                Ok(0)
            }
            _ => Err(Error::from_status(status, self.export.errmsg())),
        }
    }

    /// What the export wrote so far; final once a read returned 0.
    pub fn report(&self) -> ExportReport {
        self.export.report()
    }
}

impl Read for ExportReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_csv(buf).map_err(io::Error::other)
    }
}

/// An owned C export, freed on drop.
struct Export(NonNull<sys::quire_export>);

impl Export {
    fn new(corpus: &Corpus, o: &ExportOptions) -> Result<Export> {
        let mut ptr = std::ptr::null_mut();
        // SAFETY: live corpus, valid out pointer; the export is freed (Drop)
        // before the borrow of the corpus ends.
        let status = unsafe { sys::quire_export_new(corpus.as_ptr(), &mut ptr) };
        let export = match NonNull::new(ptr) {
            Some(p) if status == sys::QUIRE_OK => Export(p),
            _ => return Err(Error::from_status(status, std::ptr::null())),
        };
        let exp = export.as_ptr();
        let errmsg = || export.errmsg();
        // SAFETY (every call): live export; the filter is copied, strings
        // are read during the call.
        if let Some(filter) = &o.filter {
            let raw = filter.build()?;
            check(
                unsafe { sys::quire_export_set_filter(exp, raw.as_ptr()) },
                errmsg,
            )?;
        }
        if let Some(columns) = &o.columns {
            let list = columns.join(",");
            let (p, n) = str_arg(&list);
            check(unsafe { sys::quire_export_set_columns(exp, p, n) }, errmsg)?;
        }
        let dialect = match o.dialect {
            Dialect::Plain => sys::QUIRE_CSV_PLAIN,
            Dialect::Excel => sys::QUIRE_CSV_EXCEL,
        };
        check(
            unsafe { sys::quire_export_set_dialect(exp, dialect) },
            errmsg,
        )?;
        if let Some(rows) = o.split_rows {
            check(
                unsafe { sys::quire_export_set_split_rows(exp, rows) },
                errmsg,
            )?;
        }
        Ok(export)
    }

    fn as_ptr(&self) -> *mut sys::quire_export {
        self.0.as_ptr()
    }

    /// Runs one of the quire_export_to_*() calls, followed by the options'
    /// progress.
    fn run(&self, options: &ExportOptions, call: impl FnOnce() -> c_int) -> Result<ExportReport> {
        let exp = self.as_ptr();
        let status = with_progress(
            options.progress.as_ref(),
            // SAFETY: live export; the context outlives the call.
            |f, ctx| unsafe { sys::quire_export_set_progress(exp, f, ctx) },
            call,
        );
        check(status, || self.errmsg())?;
        Ok(self.report())
    }

    fn errmsg(&self) -> *const c_char {
        // SAFETY: the export is live.
        unsafe { sys::quire_export_errmsg(self.as_ptr()) }
    }

    fn report(&self) -> ExportReport {
        // SAFETY: the export is live.
        unsafe {
            ExportReport {
                rows: sys::quire_export_rows(self.as_ptr()),
                cells_cut: sys::quire_export_cells_cut(self.as_ptr()),
                rows_over_sheet: sys::quire_export_rows_over_sheet(self.as_ptr()),
                files: sys::quire_export_files(self.as_ptr()),
            }
        }
    }
}

impl Drop for Export {
    fn drop(&mut self) {
        // SAFETY: we own the export.
        unsafe { sys::quire_export_free(self.as_ptr()) }
    }
}

/// Where a C callback writes: the caller's writer, and what went wrong in it.
struct Sink<'a> {
    out: &'a mut dyn Write,
    error: Option<io::Error>,
    panic: Option<Box<dyn Any + Send>>,
}

/// The quire_write_fn handed to C. A panic must not unwind into C, so it is
/// caught, kept and resumed once C has returned.
unsafe extern "C" fn write_to_sink(ctx: *mut c_void, data: *const c_char, len: usize) -> c_int {
    // SAFETY: ctx is the &mut Sink given by with_sink, alive during the call.
    let sink = unsafe { &mut *ctx.cast::<Sink>() };
    let bytes = if len == 0 {
        &[][..]
    } else {
        // SAFETY: C passes len readable bytes at data.
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }
    };
    match panic::catch_unwind(AssertUnwindSafe(|| sink.out.write_all(bytes))) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            sink.error = Some(e);
            1
        }
        Err(payload) => {
            sink.panic = Some(payload);
            1
        }
    }
}

/// Runs call with a C callback writing to out, and returns its status, or
/// out's own error when out made it stop.
fn with_sink(
    out: &mut dyn Write,
    call: impl FnOnce(sys::quire_write_fn, *mut c_void) -> c_int,
) -> Result<c_int> {
    let mut sink = Sink {
        out,
        error: None,
        panic: None,
    };
    let status = call(Some(write_to_sink), (&mut sink as *mut Sink).cast());
    if let Some(payload) = sink.panic {
        panic::resume_unwind(payload);
    }
    match sink.error {
        Some(e) => Err(Error::with_source(
            sys::QUIRE_ECALLBACK,
            format!("writing the output failed: {e}"),
            e,
        )),
        None => Ok(status),
    }
}
