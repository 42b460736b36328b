use std::cell::Cell;
use std::ffi::c_char;
use std::marker::PhantomData;
use std::ptr::NonNull;

use quire_sys as sys;

use crate::{message, Corpus, Date, Error, Filter, Result};

/// The fields of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The document number, as decimal text.
    Id = sys::QUIRE_FIELD_ID as isize,
    Source = sys::QUIRE_FIELD_SOURCE as isize,
    /// The date as ISO 8601 text.
    Date = sys::QUIRE_FIELD_DATE as isize,
    Title = sys::QUIRE_FIELD_TITLE as isize,
    Author = sys::QUIRE_FIELD_AUTHOR as isize,
    Url = sys::QUIRE_FIELD_URL as isize,
    Text = sys::QUIRE_FIELD_TEXT as isize,
    /// Import only: the column names a file whose contents are the text.
    File = sys::QUIRE_FIELD_FILE as isize,
    /// Import only: the column is dropped.
    Ignore = sys::QUIRE_FIELD_IGNORE as isize,
}

/// An owned copy of every field of a document, for keeping what was read and
/// for writing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Position in the file when read; ignored when writing.
    pub number: u64,
    /// "" when the document has none.
    pub source: String,
    /// ISO 8601 (or, when writing, RFC 2822); "" when undated.
    pub date: String,
    pub title: String,
    pub author: String,
    pub url: String,
    pub text: String,
}

/// A cursor over the documents matching a filter, in document order.
///
/// [`Query::next_doc`] lends each document as a [`Doc`] whose strings borrow
/// from the cursor without copying. As an [`Iterator`], a query yields owned
/// [`Document`]s instead.
///
/// A query is `Send` (it may move to another thread) but not `Sync`: the C
/// cursor is used by one thread at a time.
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<quire::Query<'static>>();
/// ```
///
/// A string borrowed from a document cannot outlive the cursor's move to
/// the next one:
///
/// ```compile_fail
/// fn first_title(corpus: &quire::Corpus) -> quire::Result<()> {
///     let mut query = corpus.iter()?;
///     let title = query.next_doc()?.unwrap().title()?;
///     query.next_doc()?; // the cursor moves on: title would dangle
///     println!("{title}");
///     Ok(())
/// }
/// ```
pub struct Query<'c> {
    ptr: NonNull<sys::quire_cursor>,
    corpus: &'c Corpus,
    finished: bool,
    sources: SourceCache,
}

// SAFETY: a cursor may be used from any thread, one at a time; &mut self on
// every call that touches it and the absence of Sync ensure that.
unsafe impl Send for Query<'_> {}

impl<'c> Query<'c> {
    pub(crate) fn open(corpus: &'c Corpus, filter: Option<&Filter>) -> Result<Query<'c>> {
        let raw = filter.map(Filter::build).transpose()?;
        let filter_ptr = raw.as_ref().map_or(std::ptr::null(), |f| f.as_ptr());
        let mut ptr = std::ptr::null_mut();
        // SAFETY: the corpus outlives the cursor ('c); the filter is copied.
        let status = unsafe { sys::quire_cursor_open(corpus.as_ptr(), filter_ptr, &mut ptr) };
        match NonNull::new(ptr) {
            Some(ptr) if status == sys::QUIRE_OK => Ok(Query {
                ptr,
                corpus,
                finished: false,
                sources: SourceCache::new(),
            }),
            _ => {
                // SAFETY: the failed handle (or NULL) is read, then freed.
                let err = Error::from_status(status, unsafe { sys::quire_cursor_errmsg(ptr) });
                unsafe { sys::quire_cursor_free(ptr) };
                Err(err)
            }
        }
    }

    fn error(&self, status: i32) -> Error {
        // SAFETY: the cursor is live.
        Error::new(
            status,
            message(unsafe { sys::quire_cursor_errmsg(self.ptr.as_ptr()) }),
        )
    }

    /// Moves to the next matching document and lends it, or returns None when
    /// there are no more (and on every later call, also after an error).
    pub fn next_doc(&mut self) -> Result<Option<Doc<'_>>> {
        if self.finished {
            return Ok(None);
        }
        // SAFETY: the cursor is live and used only through &mut self.
        match unsafe { sys::quire_cursor_next(self.ptr.as_ptr()) } {
            sys::QUIRE_ROW => Ok(Some(self.current())),
            sys::QUIRE_DONE => {
                self.finished = true;
                Ok(None)
            }
            status => {
                self.finished = true;
                Err(self.error(status))
            }
        }
    }

    /// Makes document number n the current one, whether or not it matches
    /// the filter; the next call to next_doc goes on after it.
    pub fn seek(&mut self, n: u64) -> Result<Doc<'_>> {
        // SAFETY: as in next_doc.
        match unsafe { sys::quire_cursor_seek(self.ptr.as_ptr(), n) } {
            sys::QUIRE_ROW => {
                self.finished = false;
                Ok(self.current())
            }
            status => Err(self.error(status)),
        }
    }

    fn current(&mut self) -> Doc<'_> {
        Doc {
            ptr: self.ptr,
            corpus: self.corpus,
            sources: &self.sources,
            _cursor: PhantomData,
        }
    }
}

impl Iterator for Query<'_> {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Result<Document>> {
        match self.next_doc() {
            Ok(Some(doc)) => Some(doc.to_document()),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

impl Drop for Query<'_> {
    fn drop(&mut self) {
        // SAFETY: we own the cursor; every Doc borrowed from it is gone.
        unsafe { sys::quire_cursor_free(self.ptr.as_ptr()) }
    }
}

/// The current document of a [`Query`]. It borrows the query, so the strings
/// it lends stay valid, uncopied, until the query moves on.
pub struct Doc<'q> {
    ptr: NonNull<sys::quire_cursor>,
    corpus: &'q Corpus,
    sources: &'q SourceCache,
    _cursor: PhantomData<&'q mut sys::quire_cursor>,
}

impl<'q> Doc<'q> {
    fn cursor(&self) -> *mut sys::quire_cursor {
        self.ptr.as_ptr()
    }

    /// The document's 0-based position in the file.
    pub fn number(&self) -> u64 {
        // SAFETY (the index accessors below): the cursor is live and on a
        // document for as long as this Doc exists.
        unsafe { sys::quire_cursor_doc(self.cursor()) }
    }

    /// The document's date, or None when it is undated.
    pub fn date(&self) -> Option<Date> {
        let (seconds, precision) = unsafe {
            (
                sys::quire_cursor_date(self.cursor()),
                sys::quire_cursor_date_precision(self.cursor()),
            )
        };
        Date::from_raw(seconds, precision)
    }

    /// The document's source id (see [`Corpus::source`]), or None.
    pub fn source_id(&self) -> Option<u64> {
        u64::try_from(unsafe { sys::quire_cursor_source_id(self.cursor()) }).ok()
    }

    /// The first instant of the date in seconds since 1970 UTC, or None when
    /// undated: [`Doc::date`] without its precision, one call cheaper.
    pub fn timestamp(&self) -> Option<i64> {
        let seconds = unsafe { sys::quire_cursor_date(self.cursor()) };
        (seconds != sys::QUIRE_NO_DATE).then_some(seconds)
    }

    /// The length in bytes of the text, known without inflating it.
    pub fn text_len(&self) -> u64 {
        unsafe { sys::quire_cursor_text_length(self.cursor()) }
    }

    /// One field's bytes, borrowed from the cursor.
    pub fn bytes(&self, field: Field) -> Result<&'q [u8]> {
        let mut data: *const c_char = std::ptr::null();
        let mut len = 0usize;
        // SAFETY: live cursor, valid out pointers. The bytes stay valid until
        // the cursor moves or is freed, which needs the &mut borrow this Doc
        // holds for 'q.
        let status =
            unsafe { sys::quire_cursor_field(self.cursor(), field as i32, &mut data, &mut len) };
        if status != sys::QUIRE_OK {
            return Err(Error::new(
                status,
                message(unsafe { sys::quire_cursor_errmsg(self.cursor()) }),
            ));
        }
        if len == 0 {
            return Ok(&[]);
        }
        Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
    }

    /// One field as text, borrowed from the cursor.
    pub fn str(&self, field: Field) -> Result<&'q str> {
        std::str::from_utf8(self.bytes(field)?).map_err(|e| {
            Error::new(
                sys::QUIRE_EUTF8,
                format!("{field:?} of document {} is not UTF-8: {e}", self.number()),
            )
        })
    }

    /// The source name, "" when the document has none. Names are owned by
    /// the corpus and checked to be UTF-8 once per source, not per document.
    pub fn source(&self) -> Result<&'q str> {
        match self.source_id() {
            None => Ok(""),
            Some(id) => self.sources.get(self.corpus, id),
        }
    }

    /// The date as ISO 8601 text, "" when undated.
    pub fn date_text(&self) -> Result<&'q str> {
        self.str(Field::Date)
    }

    pub fn title(&self) -> Result<&'q str> {
        self.str(Field::Title)
    }

    pub fn author(&self) -> Result<&'q str> {
        self.str(Field::Author)
    }

    pub fn url(&self) -> Result<&'q str> {
        self.str(Field::Url)
    }

    /// The body text (inflating its block, once per block).
    pub fn text(&self) -> Result<&'q str> {
        self.str(Field::Text)
    }

    /// Copies every field into an owned [`Document`].
    pub fn to_document(&self) -> Result<Document> {
        Ok(Document {
            number: self.number(),
            source: self.source()?.to_owned(),
            date: self.date_text()?.to_owned(),
            title: self.title()?.to_owned(),
            author: self.author()?.to_owned(),
            url: self.url()?.to_owned(),
            text: self.text()?.to_owned(),
        })
    }
}

/// Source names already looked up by a query, so that iterating millions of
/// documents checks each name's UTF-8 once: a small direct-mapped table,
/// which documents grouped by source (the default order) hit every time.
pub(crate) struct SourceCache {
    slots: Box<[Cell<Option<CachedSource>>]>,
}

/// A source id and its name.
type CachedSource = (u64, &'static str);

impl SourceCache {
    const SLOTS: usize = 256;

    fn new() -> SourceCache {
        SourceCache {
            slots: (0..Self::SLOTS).map(|_| Cell::new(None)).collect(),
        }
    }

    /// Source id id's name. The 'static inside the cache is never handed
    /// out as such: callers get it shortened to their borrow of the corpus,
    /// which owns the name until it is closed.
    fn get<'q>(&'q self, corpus: &'q Corpus, id: u64) -> Result<&'q str> {
        let slot = &self.slots[(id % Self::SLOTS as u64) as usize];
        if let Some((cached, name)) = slot.get() {
            if cached == id {
                return Ok(name);
            }
        }
        let name = corpus.source(id)?.name;
        // SAFETY: the name lives as long as the corpus, which outlives the
        // query owning this cache; it is only returned as &'q str.
        let name: &'static str = unsafe { &*(name as *const str) };
        slot.set(Some((id, name)));
        Ok(name)
    }
}
