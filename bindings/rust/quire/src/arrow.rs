//! Arrow export (cargo feature `arrow`): the documents of a query as an
//! arrow-rs [`RecordBatchReader`], read from libquire's Arrow C stream
//! (`quire_arrow_stream_open`) through `arrow_array::ffi_stream`, the module
//! the `arrow` crate re-exports as `arrow::ffi_stream`. The buffers libquire
//! fills are imported as they are, with no copy.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use arrow_array::RecordBatchReader;
//! let corpus = quire::Corpus::open("news.quire")?;
//! let filter = quire::Filter::new().from("2016");
//! let reader = corpus.arrow_reader(&filter, &["doc", "source", "title"], None)?;
//! for batch in reader {
//!     println!("{} rows", batch?.num_rows());
//! }
//! # Ok(())
//! # }
//! ```

use std::ffi::CStr;
use std::marker::PhantomData;

use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use quire_sys as sys;

use crate::{Corpus, Error, Filter, Result};

/// The columns of the stream, in their default order.
pub const ARROW_COLUMNS: [&str; 9] = [
    "doc",
    "source",
    "date",
    "date_precision",
    "date_text",
    "title",
    "author",
    "url",
    "text",
];

/// Record batches of the documents matching a filter. It borrows the corpus,
/// which therefore outlives it; the batches it yields own their memory and
/// outlive both.
pub struct ArrowReader<'c> {
    inner: RecordBatchStreamReader,
    _corpus: PhantomData<&'c Corpus>,
}

impl Iterator for ArrowReader<'_> {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

impl RecordBatchReader for ArrowReader<'_> {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

impl std::fmt::Debug for ArrowReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrowReader")
            .field("schema", &self.inner.schema())
            .finish()
    }
}

impl Corpus {
    /// The documents matching filter, in document order, as Arrow record
    /// batches of the given columns (an empty slice for all nine, see
    /// [`ARROW_COLUMNS`] and docs/guide.md) of at most batch_size documents (None
    /// for libquire's default, 8192). Columns not named are never read.
    pub fn arrow_reader(
        &self,
        filter: &Filter,
        columns: &[&str],
        batch_size: Option<u64>,
    ) -> Result<ArrowReader<'_>> {
        let raw = filter.build()?;
        let list = columns.join(",");
        let mut stream = FFI_ArrowArrayStream::empty();
        // SAFETY: live corpus and filter; list is read during the call only;
        // FFI_ArrowArrayStream has the layout of struct ArrowArrayStream.
        let status = unsafe {
            sys::quire_arrow_stream_open(
                self.as_ptr(),
                raw.as_ptr(),
                list.as_ptr().cast(),
                list.len(),
                batch_size.unwrap_or(0),
                0,
                (&mut stream as *mut FFI_ArrowArrayStream).cast(),
            )
        };
        if status != sys::QUIRE_OK {
            // A failed stream says why; FFI_ArrowArrayStream's Drop releases it.
            let message = match stream.get_last_error() {
                // SAFETY: a failed stream's callbacks are valid until release.
                Some(get) => unsafe {
                    let text = get(&mut stream);
                    if text.is_null() {
                        String::new()
                    } else {
                        CStr::from_ptr(text).to_string_lossy().into_owned()
                    }
                },
                None => String::new(),
            };
            return Err(Error::new(status, message));
        }
        let inner = RecordBatchStreamReader::try_new(stream)
            .map_err(|e| Error::new(sys::QUIRE_EINVAL, e.to_string()))?;
        Ok(ArrowReader {
            inner,
            _corpus: PhantomData,
        })
    }
}
