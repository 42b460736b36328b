use std::ffi::{c_char, c_int, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;

use quire_sys as sys;

use crate::error::check;
use crate::progress::with_progress;
use crate::{message, path_arg, str_arg, Document, DupKind, Error, Field, Progress, Result};

/// The document order of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// By source name, then date, then input order: filters touch few
    /// blocks.
    #[default]
    Clustered,
    /// Exactly the order documents were added in.
    Input,
}

/// What the writer does with text that is not valid UTF-8 (only reachable
/// through CSV import: a Rust `&str` is always valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Utf8Policy {
    /// The row fails with [`ErrorKind::Utf8`](crate::ErrorKind::Utf8).
    #[default]
    Reject,
    /// Each invalid sequence becomes U+FFFD.
    Replace,
}

/// The compression of a corpus's blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    /// zstd with dictionaries trained on the corpus (format 1.1).
    #[default]
    Zstd,
    /// Format 1.0's DEFLATE: libquire 1.0 reads the file.
    Deflate,
}

/// Tunes a [`Writer`]; `None` keeps libquire's default.
#[derive(Debug, Clone, Default)]
pub struct WriterOptions {
    /// Uncompressed size text blocks are cut at.
    pub block_size: Option<u32>,
    /// The block codec.
    pub codec: Codec,
    /// Level on the codec's scale: zstd 1 to 22, DEFLATE 1 to 9.
    pub level: Option<i32>,
    /// Size of the zstd dictionary trained on the corpus; `Some(0)` for
    /// none.
    pub dictionary_size: Option<u32>,
    pub order: Order,
    pub utf8: Utf8Policy,
    /// Compressing threads, counting the caller's.
    pub threads: Option<i32>,
    /// Drop each document that duplicates one added before, by any of
    /// these kinds (see [`find_dups`](crate::find_dups)); empty: keep all.
    pub dedup: Vec<DupKind>,
    /// The near-duplicate threshold for `dedup` (`None`: the default).
    pub similarity: Option<f64>,
    /// Leaves out the per-block word summaries that let [`Filter::term`]
    /// skip blocks (about 2.5% of the file).
    ///
    /// [`Filter::term`]: crate::Filter::term
    pub no_word_summaries: bool,
    /// Follows [`Writer::finish`]: documents in blocks of all of them. A
    /// clustered writer ([`Order::Clustered`], the default), which orders
    /// and compresses most of its documents there, reports at least every
    /// 4,096 documents; every writer reports once when all are in blocks. A `Break` makes `finish` fail with
    /// [`ErrorKind::Callback`](crate::ErrorKind::Callback), leaving no file.
    /// See [`Progress`].
    pub progress: Option<Progress>,
}

/// Writes a new corpus. The file appears at its path only when
/// [`Writer::finish`] succeeds; a writer dropped unfinished leaves no file.
pub struct Writer {
    ptr: NonNull<sys::quire_writer>,
    // The bytes of the corpora from bytes given to add_corpus: libquire
    // reads them until the writer is closed, so they are dropped after it
    // (see Drop).
    held: Vec<Arc<Box<[u8]>>>,
    // Follows finish.
    pub(crate) progress: Option<Progress>,
}

// SAFETY: a writer is used by one thread at a time (every call takes
// &mut self or self); it may move between threads.
unsafe impl Send for Writer {}

impl Writer {
    /// Starts writing a corpus to path with the default options.
    pub fn create(path: impl AsRef<Path>) -> Result<Writer> {
        Writer::create_with(path, &WriterOptions::default())
    }

    /// Starts writing a corpus to path.
    pub fn create_with(path: impl AsRef<Path>, options: &WriterOptions) -> Result<Writer> {
        let mut writer = Writer::open(path.as_ref(), sys::quire_writer_open)?;
        writer.apply(options)?;
        writer.progress.clone_from(&options.progress);
        Ok(writer)
    }

    /// Opens a C writer on path with open, which follows the handle
    /// convention of quire_writer_open().
    pub(crate) fn open(
        path: &Path,
        open: unsafe extern "C" fn(*const c_char, *mut *mut sys::quire_writer) -> c_int,
    ) -> Result<Writer> {
        let path = path_arg(path)?;
        let mut ptr = std::ptr::null_mut();
        // SAFETY: path is NUL-terminated; ptr is a valid out pointer.
        let status = unsafe { open(path.as_ptr(), &mut ptr) };
        let writer = match NonNull::new(ptr) {
            Some(ptr) => Writer {
                ptr,
                held: Vec::new(),
                progress: None,
            },
            None => return Err(Error::from_status(status, std::ptr::null())),
        };
        // A failed handle is closed by Drop once its message is read.
        check(status, || writer.errmsg())?;
        Ok(writer)
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::quire_writer {
        self.ptr.as_ptr()
    }

    pub(crate) fn errmsg(&self) -> *const c_char {
        // SAFETY: the writer is live.
        unsafe { sys::quire_writer_errmsg(self.ptr.as_ptr()) }
    }

    fn apply(&self, o: &WriterOptions) -> Result<()> {
        let w = self.ptr.as_ptr();
        let errmsg = || self.errmsg();
        // SAFETY (every call): w is a live writer with no document yet.
        // The codec first: it resets the level to its own default.
        let codec = match o.codec {
            Codec::Zstd => sys::QUIRE_CODEC_ZSTD,
            Codec::Deflate => sys::QUIRE_CODEC_DEFLATE,
        };
        check(unsafe { sys::quire_writer_set_codec(w, codec) }, errmsg)?;
        if let Some(size) = o.dictionary_size {
            check(
                unsafe { sys::quire_writer_set_dictionary_size(w, size) },
                errmsg,
            )?;
        }
        if let Some(size) = o.block_size {
            check(unsafe { sys::quire_writer_set_block_size(w, size) }, errmsg)?;
        }
        if o.no_word_summaries {
            check(
                unsafe { sys::quire_writer_set_word_summaries(w, 0) },
                errmsg,
            )?;
        }
        if let Some(level) = o.level {
            check(unsafe { sys::quire_writer_set_level(w, level) }, errmsg)?;
        }
        let order = match o.order {
            Order::Clustered => sys::QUIRE_ORDER_CLUSTERED,
            Order::Input => sys::QUIRE_ORDER_INPUT,
        };
        check(unsafe { sys::quire_writer_set_order(w, order) }, errmsg)?;
        self.apply_shared(o.threads, o.utf8, &o.dedup, o.similarity)
    }

    /// Sets the options that WriterOptions and AppendOptions share.
    pub(crate) fn apply_shared(
        &self,
        threads: Option<i32>,
        utf8: Utf8Policy,
        dedup: &[DupKind],
        similarity: Option<f64>,
    ) -> Result<()> {
        let w = self.ptr.as_ptr();
        let errmsg = || self.errmsg();
        // SAFETY (every call): w is a live writer with no document yet.
        if let Some(threads) = threads {
            check(unsafe { sys::quire_writer_set_threads(w, threads) }, errmsg)?;
        }
        let utf8 = match utf8 {
            Utf8Policy::Reject => sys::QUIRE_UTF8_REJECT,
            Utf8Policy::Replace => sys::QUIRE_UTF8_REPLACE,
        };
        check(unsafe { sys::quire_writer_set_utf8(w, utf8) }, errmsg)?;
        if !dedup.is_empty() || similarity.is_some() {
            let kinds = DupKind::mask(dedup);
            let similarity = similarity.unwrap_or(0.0);
            check(
                unsafe { sys::quire_writer_set_dedup(w, kinds, similarity) },
                errmsg,
            )?;
        }
        Ok(())
    }

    /// Keeps the bytes libquire reads in place for corpus (a corpus from
    /// bytes) until the writer is closed.
    pub(crate) fn hold(&mut self, corpus: &crate::Corpus) {
        self.held.extend(corpus.shared_bytes());
    }

    /// Adds one document (its `number` is ignored). A bad document
    /// (ErrorKind::Date or Limit) is not added and the writer stays usable.
    pub fn add(&mut self, doc: &Document) -> Result<()> {
        let (source, source_len) = str_arg(&doc.source);
        let (date, date_len) = str_arg(&doc.date);
        let (title, title_len) = str_arg(&doc.title);
        let (author, author_len) = str_arg(&doc.author);
        let (url, url_len) = str_arg(&doc.url);
        let (text, text_len) = str_arg(&doc.text);
        let document = sys::quire_document {
            source,
            source_len,
            date,
            date_len,
            title,
            title_len,
            author,
            author_len,
            url,
            url_len,
            text,
            text_len,
            ..sys::QUIRE_DOCUMENT_INIT
        };
        // SAFETY: live writer; every string is read during the call only.
        let status = unsafe { sys::quire_writer_add_document(self.ptr.as_ptr(), &document) };
        check(status, || self.errmsg())
    }

    /// The number of documents added so far.
    pub fn doc_count(&self) -> u64 {
        // SAFETY: the writer is live.
        unsafe { sys::quire_writer_doc_count(self.ptr.as_ptr()) }
    }

    /// The number of documents not added because they duplicate one kept
    /// ([`WriterOptions::dedup`]).
    pub fn dropped(&self) -> u64 {
        // SAFETY: the writer is live.
        unsafe { sys::quire_writer_dropped(self.ptr.as_ptr()) }
    }

    /// Writes the indexes, syncs the file and renames it into place. The
    /// options' [`progress`](WriterOptions::progress) follows it.
    pub fn finish(mut self) -> Result<()> {
        // Drop then frees the writer.
        self.finish_in_place()
    }

    /// finish() for a caller that reads the counts afterwards.
    pub(crate) fn finish_in_place(&mut self) -> Result<()> {
        let w = self.ptr.as_ptr();
        let status = with_progress(
            self.progress.as_ref(),
            // SAFETY: live writer; the context outlives the call.
            |f, ctx| unsafe { sys::quire_writer_set_progress(w, f, ctx) },
            // SAFETY: the writer is live.
            || unsafe { sys::quire_writer_finish(w) },
        );
        check(status, || self.errmsg())
    }

    /// Adds every row of the CSV file at path, which may be compressed with
    /// gzip or zstd (recognized by its first bytes; one cut short or damaged
    /// is a `Csv` error). Rows added before a failure stay in the writer:
    /// drop it unfinished to write nothing.
    pub fn import_csv_path(
        &mut self,
        path: impl AsRef<Path>,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let path = path_arg(path.as_ref())?;
        let w = self.ptr.as_ptr();
        // SAFETY: live importer and writer; path is NUL-terminated.
        self.import(options, |imp| unsafe {
            sys::quire_import_csv_path(imp, w, path.as_ptr())
        })
    }

    /// Adds every row of CSV held in memory, plain or compressed with gzip
    /// or zstd (recognized by its first bytes); name is used in messages.
    pub fn import_csv(
        &mut self,
        data: &[u8],
        name: &str,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let name = CString::new(name)
            .map_err(|_| Error::new(sys::QUIRE_EINVAL, "CSV name contains a NUL byte"))?;
        let w = self.ptr.as_ptr();
        // SAFETY: live importer and writer; data is read during the call.
        self.import(options, |imp| unsafe {
            sys::quire_import_csv_buffer(imp, w, data.as_ptr().cast(), data.len(), name.as_ptr())
        })
    }

    fn import(
        &mut self,
        options: &ImportOptions,
        run: impl FnOnce(*mut sys::quire_import) -> i32,
    ) -> Result<ImportReport> {
        let imp = Importer::new()?;
        imp.apply(options)?;
        let ptr = imp.0.as_ptr();
        let status = with_progress(
            options.progress.as_ref(),
            // SAFETY: live importer; the context outlives the call.
            |f, ctx| unsafe { sys::quire_import_set_progress(ptr, f, ctx) },
            || run(ptr),
        );
        if status != sys::QUIRE_OK {
            let mut msg = message(imp.errmsg());
            if msg.is_empty() {
                msg = message(self.errmsg());
            }
            return Err(Error::new(status, msg));
        }
        Ok(imp.report())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // SAFETY: we own the writer. Unfinished, its temporary file goes.
        // The held bytes are dropped after this, with the fields.
        unsafe { sys::quire_writer_free(self.ptr.as_ptr()) }
    }
}

/// Tunes a CSV import; the default keeps libquire's column names and aliases
/// and stops at the first bad row.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Header names (case-insensitive) mapped to fields, overriding the
    /// aliases: Field::Source..Field::Text, Field::File or Field::Ignore.
    pub columns: Vec<(String, Field)>,
    /// Skips and records bad rows instead of stopping.
    pub skip_bad_rows: bool,
    /// The directory Field::File names are relative to (default: the CSV
    /// file's directory; "." for in-memory CSV).
    pub base_dir: Option<PathBuf>,
    /// Follows the import: bytes of CSV read of the file's size (0 when it
    /// is not known, as for a pipe; the length of in-memory CSV). A `Break` stops it with
    /// [`ErrorKind::Callback`](crate::ErrorKind::Callback); the rows added
    /// before stay in the writer. See [`Progress`].
    pub progress: Option<Progress>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows added.
    pub rows: u64,
    /// Bad rows skipped.
    pub skipped: u64,
    /// 1-based record numbers (the header is record 1) of the first 1,000
    /// rows skipped.
    pub skipped_rows: Vec<u64>,
    /// Warnings, one per line, such as unknown columns.
    pub warnings: String,
}

struct Importer(NonNull<sys::quire_import>);

impl Importer {
    fn new() -> Result<Importer> {
        let mut ptr = std::ptr::null_mut();
        // SAFETY: valid out pointer.
        let status = unsafe { sys::quire_import_new(&mut ptr) };
        match NonNull::new(ptr) {
            Some(p) if status == sys::QUIRE_OK => Ok(Importer(p)),
            _ => Err(Error::from_status(status, std::ptr::null())),
        }
    }

    pub(crate) fn errmsg(&self) -> *const c_char {
        // SAFETY: the importer is live.
        unsafe { sys::quire_import_errmsg(self.0.as_ptr()) }
    }

    fn apply(&self, o: &ImportOptions) -> Result<()> {
        let imp = self.0.as_ptr();
        let errmsg = || self.errmsg();
        // SAFETY (every call): live importer; strings read during the call.
        for (name, field) in &o.columns {
            let (p, n) = str_arg(name);
            check(
                unsafe { sys::quire_import_map_column(imp, p, n, *field as i32) },
                errmsg,
            )?;
        }
        let skip = i32::from(o.skip_bad_rows);
        check(
            unsafe { sys::quire_import_set_skip_bad_rows(imp, skip) },
            errmsg,
        )?;
        if let Some(dir) = &o.base_dir {
            let dir = path_arg(dir)?;
            check(
                unsafe { sys::quire_import_set_base_dir(imp, dir.as_ptr()) },
                errmsg,
            )?;
        }
        Ok(())
    }

    fn report(&self) -> ImportReport {
        let imp = self.0.as_ptr();
        // SAFETY (every call): live importer, valid out pointers.
        let mut skipped_rows = Vec::new();
        let mut row = 0u64;
        while unsafe { sys::quire_import_skipped_row(imp, skipped_rows.len() as u64, &mut row) }
            == sys::QUIRE_OK
        {
            skipped_rows.push(row);
        }
        ImportReport {
            rows: unsafe { sys::quire_import_rows(imp) },
            skipped: unsafe { sys::quire_import_skipped(imp) },
            skipped_rows,
            warnings: message(unsafe { sys::quire_import_warnings(imp) }),
        }
    }
}

impl Drop for Importer {
    fn drop(&mut self) {
        // SAFETY: we own the importer.
        unsafe { sys::quire_import_free(self.0.as_ptr()) }
    }
}
