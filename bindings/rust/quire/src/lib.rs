//! Safe Rust API of libquire: read, filter, write and export quire corpora of
//! news articles (source, date, title, author, url and body text).
//!
//! ```no_run
//! use quire::{Corpus, Filter};
//!
//! # fn main() -> quire::Result<()> {
//! let corpus = Corpus::open("news.quire")?;
//! let filter = Filter::new().source("Belarus in Focus").from("2016").to("2017-06");
//! let mut query = corpus.query(&filter)?;
//! while let Some(doc) = query.next_doc()? {
//!     // title() and text() borrow from the cursor: no copy.
//!     println!("{} {}: {} bytes", doc.number(), doc.title()?, doc.text_len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A [`Corpus`] is immutable and may be shared by threads (`Send + Sync`);
//! each thread opens its own [`Query`] (`Send`, not `Sync`). This crate adds
//! no behaviour of its own: everything is defined once, in libquire.

#[cfg(feature = "arrow")]
mod arrow;
mod corpus;
mod date;
mod dups;
mod error;
mod export;
mod filter;
mod merge;
mod progress;
mod query;
mod writer;

use std::ffi::{c_char, CStr, CString};
use std::path::Path;

#[cfg(feature = "arrow")]
pub use arrow::{ArrowReader, ARROW_COLUMNS};
pub use corpus::{Corpus, Packing, Source};
pub use date::{Date, Precision};
pub use dups::{find_dups, DupGroup, DupKind, DupMember, DupsOptions, DEFAULT_SIMILARITY};
pub use error::{strerror, Error, ErrorKind, Result};
pub use export::{salvage, Dialect, ExportOptions, ExportReader, ExportReport, SalvageReport};
pub use filter::{Filter, Undated};
pub use merge::{merge, AppendOptions, MergeOptions, MergeReport};
pub use progress::Progress;
pub use query::{Doc, Document, Field, Query};
pub use writer::{Codec, ImportOptions, ImportReport, Order, Utf8Policy, Writer, WriterOptions};

/// The newest file format major version the loaded library writes.
pub const FORMAT_MAJOR: i32 = quire_sys::QUIRE_FORMAT_MAJOR;
/// The newest file format minor version the loaded library writes.
pub const FORMAT_MINOR: i32 = quire_sys::QUIRE_FORMAT_MINOR;

/// The version of the libquire actually loaded, such as "1.0.0".
pub fn version() -> &'static str {
    // SAFETY: a static NUL-terminated string.
    unsafe { CStr::from_ptr(quire_sys::quire_version_string()) }
        .to_str()
        .unwrap_or("")
}

/// MAJOR*10000 + MINOR*100 + PATCH of the libquire actually loaded.
pub fn version_number() -> i32 {
    // SAFETY: no arguments, no state.
    unsafe { quire_sys::quire_version_number() }
}

/// A string as the pointer and length the C ABI takes; valid while `s` is.
fn str_arg(s: &str) -> (*const c_char, usize) {
    (s.as_ptr().cast(), s.len())
}

/// A path as a NUL-terminated C string.
fn path_arg(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| Error::new(quire_sys::QUIRE_EINVAL, "path is not UTF-8"))?
        .as_bytes()
        .to_vec();
    CString::new(bytes).map_err(|_| {
        Error::new(
            quire_sys::QUIRE_EINVAL,
            format!("path {} contains a NUL byte", path.display()),
        )
    })
}

/// Copies a NUL-terminated message owned by a handle.
fn message(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: libquire's messages are NUL-terminated and live until the next
    // call on their handle; we copy at once.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}
