use std::ffi::c_char;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::Arc;

use quire_sys as sys;

use crate::error::check;
use crate::query::{Document, Query};
use crate::{message, path_arg, Codec, Error, Filter, Result};

/// An open .quire file. It is immutable: share it between threads freely
/// (`&Corpus` is `Send`), each with its own [`Query`].
///
/// Closing is dropping, and a corpus cannot be dropped while a call, query
/// or thread still borrows it: the race other languages guard against at
/// run time does not compile. Threads that must outlive the owner share an
/// `Arc<Corpus>`, closed by the last drop.
///
/// ```compile_fail
/// # fn f(corpus: quire::Corpus) {
/// std::thread::scope(|s| {
///     s.spawn(|| corpus.count(&quire::Filter::new()));
///     drop(corpus); // error[E0505]: cannot move out of `corpus` while borrowed
/// });
/// # }
/// ```
pub struct Corpus {
    ptr: NonNull<sys::quire_corpus>,
    // The bytes given to from_bytes, which libquire reads in place; dropped
    // after the C corpus (see Drop), and shared with the writers that copy
    // from it (Writer::add_corpus), which keep reading them after the
    // corpus is dropped.
    data: Option<Arc<Box<[u8]>>>,
}

// SAFETY: include/quire.h: "An open corpus is immutable: any number of
// threads may use one corpus at once, each with its own cursors."
unsafe impl Send for Corpus {}
unsafe impl Sync for Corpus {}

/// How a corpus was packed ([`Corpus::packing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packing {
    pub codec: Codec,
    /// On the codec's scale; 0 when the file does not say (format 1.0).
    pub level: i32,
    pub block_size: u32,
    /// The size in bytes of each zstd dictionary.
    pub dictionaries: Vec<u32>,
}

/// One source of a corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'c> {
    /// Its name, borrowed from the corpus.
    pub name: &'c str,
    /// Its number of documents.
    pub docs: u64,
}

impl Corpus {
    /// Opens the .quire file at path. Only its header and footer are read,
    /// whatever the corpus size.
    pub fn open(path: impl AsRef<Path>) -> Result<Corpus> {
        let path = path_arg(path.as_ref())?;
        let mut ptr = std::ptr::null_mut();
        // SAFETY: path is NUL-terminated; ptr is a valid out pointer.
        let status = unsafe { sys::quire_corpus_open(path.as_ptr(), &mut ptr) };
        Corpus::from_open(status, ptr, None)
    }

    /// Opens a corpus held in memory, which the corpus keeps (libquire reads
    /// it in place, without copying).
    pub fn from_bytes(data: impl Into<Box<[u8]>>) -> Result<Corpus> {
        let data: Arc<Box<[u8]>> = Arc::new(data.into());
        let mut ptr = std::ptr::null_mut();
        // SAFETY: the boxed bytes never move or change, and are freed only
        // when the corpus, which owns them, and every writer it lent them to
        // have closed their C handles.
        let status =
            unsafe { sys::quire_corpus_open_buffer(data.as_ptr().cast(), data.len(), &mut ptr) };
        Corpus::from_open(status, ptr, Some(data))
    }

    fn from_open(
        status: i32,
        ptr: *mut sys::quire_corpus,
        data: Option<Arc<Box<[u8]>>>,
    ) -> Result<Corpus> {
        match NonNull::new(ptr) {
            Some(ptr) if status == sys::QUIRE_OK => Ok(Corpus { ptr, data }),
            _ => {
                // SAFETY: a failed handle (or NULL) must still be closed; its
                // message is copied first.
                let err = Error::from_status(status, unsafe { sys::quire_corpus_errmsg(ptr) });
                unsafe { sys::quire_corpus_free(ptr) };
                Err(err)
            }
        }
    }

    pub(crate) fn as_ptr(&self) -> *const sys::quire_corpus {
        self.ptr.as_ptr()
    }

    /// The bytes libquire reads in place (a corpus from bytes), for a
    /// holder of the C corpus that may outlive this one.
    pub(crate) fn shared_bytes(&self) -> Option<Arc<Box<[u8]>>> {
        self.data.clone()
    }

    fn errmsg(&self) -> *const c_char {
        // SAFETY: the corpus is live.
        unsafe { sys::quire_corpus_errmsg(self.as_ptr()) }
    }

    /// The number of documents.
    pub fn doc_count(&self) -> u64 {
        // SAFETY (the counters below): the corpus is live.
        unsafe { sys::quire_corpus_doc_count(self.as_ptr()) }
    }

    /// The number of distinct sources.
    pub fn source_count(&self) -> u64 {
        unsafe { sys::quire_corpus_source_count(self.as_ptr()) }
    }

    /// The number of documents without a date.
    pub fn undated_count(&self) -> u64 {
        unsafe { sys::quire_corpus_undated_count(self.as_ptr()) }
    }

    /// The size of the file in bytes.
    pub fn file_size(&self) -> u64 {
        unsafe { sys::quire_corpus_file_size(self.as_ptr()) }
    }

    /// The uncompressed size of every field of every document.
    pub fn raw_size(&self) -> u64 {
        unsafe { sys::quire_corpus_raw_size(self.as_ptr()) }
    }

    /// The first damage found while reading, if any.
    pub fn damage(&self) -> Option<String> {
        Some(message(self.errmsg())).filter(|m| !m.is_empty())
    }

    /// The format version (major, minor) of the file.
    pub fn format_version(&self) -> Result<(i32, i32)> {
        let (mut major, mut minor) = (0, 0);
        // SAFETY: live corpus, valid out pointers.
        let status =
            unsafe { sys::quire_corpus_format_version(self.as_ptr(), &mut major, &mut minor) };
        check(status, || self.errmsg())?;
        Ok((major, minor))
    }

    /// How the corpus was packed: codec, level (0 when the file does not
    /// say: format 1.0), block size and the size of each zstd dictionary.
    pub fn packing(&self) -> Result<Packing> {
        let (mut codec, mut level, mut block_size) = (0, 0, 0u32);
        // SAFETY: live corpus, valid out pointers.
        let status = unsafe {
            sys::quire_corpus_codec(self.as_ptr(), &mut codec, &mut level, &mut block_size)
        };
        check(status, || self.errmsg())?;
        // SAFETY: live corpus.
        let count = unsafe { sys::quire_corpus_dictionary_count(self.as_ptr()) };
        let mut dictionaries = Vec::new();
        for i in 0..count {
            let mut size = 0u32;
            // SAFETY: live corpus; NULL outputs are allowed.
            let status = unsafe {
                sys::quire_corpus_dictionary(
                    self.as_ptr(),
                    i,
                    std::ptr::null_mut(),
                    &mut size,
                    std::ptr::null_mut(),
                )
            };
            check(status, || self.errmsg())?;
            dictionaries.push(size);
        }
        let codec = if codec == sys::QUIRE_CODEC_DEFLATE {
            Codec::Deflate
        } else {
            Codec::Zstd
        };
        Ok(Packing {
            codec,
            level,
            block_size,
            dictionaries,
        })
    }

    /// The first instants (seconds since 1970 UTC) of the earliest and the
    /// latest date among dated documents; None when no document has a date.
    pub fn date_span(&self) -> Result<Option<(i64, i64)>> {
        let (mut first, mut last) = (0, 0);
        // SAFETY: live corpus, valid out pointers.
        let status = unsafe { sys::quire_corpus_date_span(self.as_ptr(), &mut first, &mut last) };
        if status == sys::QUIRE_ENOTFOUND {
            return Ok(None);
        }
        check(status, || self.errmsg())?;
        Ok(Some((first, last)))
    }

    /// Source id `index` (sources are numbered in byte order of their
    /// names).
    pub fn source(&self, index: u64) -> Result<Source<'_>> {
        let mut name: *const c_char = std::ptr::null();
        let (mut len, mut docs) = (0usize, 0u64);
        // SAFETY: live corpus, valid out pointers.
        let status = unsafe {
            sys::quire_corpus_source(self.as_ptr(), index, &mut name, &mut len, &mut docs)
        };
        check(status, || self.errmsg())?;
        // SAFETY: the name is owned by the corpus and valid while it is open,
        // which the returned borrow of self guarantees.
        let bytes = unsafe { std::slice::from_raw_parts(name.cast::<u8>(), len) };
        let name = std::str::from_utf8(bytes).map_err(|_| {
            Error::new(
                sys::QUIRE_ECORRUPT,
                format!("source {index} is not valid UTF-8"),
            )
        })?;
        Ok(Source { name, docs })
    }

    /// Every source with its number of documents, in byte order of names.
    pub fn sources(&self) -> Result<Vec<Source<'_>>> {
        (0..self.source_count()).map(|i| self.source(i)).collect()
    }

    /// Counts the documents matching filter from the indexes alone.
    pub fn count(&self, filter: &Filter) -> Result<u64> {
        let raw = filter.build()?;
        let mut count = 0;
        // SAFETY: live corpus and filter, valid out pointer.
        let status =
            unsafe { sys::quire_corpus_count_matches(self.as_ptr(), raw.as_ptr(), &mut count) };
        check(status, || self.errmsg())?;
        Ok(count)
    }

    /// A query over the documents matching filter, in document order.
    pub fn query(&self, filter: &Filter) -> Result<Query<'_>> {
        Query::open(self, Some(filter))
    }

    /// A query over every document, in document order.
    pub fn iter(&self) -> Result<Query<'_>> {
        Query::open(self, None)
    }

    /// A copy of every field of document number n (0-based).
    pub fn doc(&self, n: u64) -> Result<Document> {
        let mut query = self.iter()?;
        let doc = query.seek(n)?;
        doc.to_document()
    }
}

impl Drop for Corpus {
    fn drop(&mut self) {
        // SAFETY: every Query borrows the corpus, so none is left; the C
        // corpus goes before the bytes it reads.
        unsafe { sys::quire_corpus_free(self.ptr.as_ptr()) };
        drop(self.data.take());
    }
}

impl std::fmt::Debug for Corpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Corpus")
            .field("docs", &self.doc_count())
            .field("sources", &self.source_count())
            .finish()
    }
}
