use std::ffi::{c_char, c_int, CStr};
use std::fmt;

use quire_sys as sys;

/// What kind of failure an [`Error`] is: one per status code of
/// include/quire.h.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No such file, document, source or column.
    NotFound,
    /// The file is damaged or truncated.
    Corrupt,
    /// An operating-system read or write failed.
    Io,
    /// Memory ran out.
    NoMemory,
    /// An argument is out of range or misused.
    Invalid,
    /// The file needs a newer library.
    Version,
    /// The file is not a quire file at all.
    NotQuire,
    /// A date is not ISO 8601 or RFC 2822.
    Date,
    /// Text is not valid UTF-8.
    Utf8,
    /// CSV input is malformed.
    Csv,
    /// Input exceeds a documented limit.
    Limit,
    /// The handle is finished, failed or closed.
    State,
    /// A callback (such as the writer of an export) asked to stop.
    Callback,
    /// A code this version of the crate does not know.
    Other,
}

/// A failure reported by libquire: its status code and the detailed message
/// of the handle it happened on.
#[derive(Debug)]
pub struct Error {
    code: c_int,
    message: String,
    source: Option<std::io::Error>,
}

/// The result of every fallible call of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(code: c_int, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
            source: None,
        }
    }

    /// Builds the error of a failed call from the handle's message, which may
    /// be NULL (when there is no handle) or empty.
    pub(crate) fn from_status(code: c_int, message: *const c_char) -> Error {
        let message = if message.is_null() {
            String::new()
        } else {
            // SAFETY: libquire returns NUL-terminated messages owned by the
            // handle, valid until the next call on it; we copy at once.
            unsafe { CStr::from_ptr(message) }
                .to_string_lossy()
                .into_owned()
        };
        Error::new(code, message)
    }

    pub(crate) fn with_source(code: c_int, message: String, source: std::io::Error) -> Error {
        Error {
            code,
            message,
            source: Some(source),
        }
    }

    /// The C status code (a negative `QUIRE_E*` value).
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The kind of failure the code names.
    pub fn kind(&self) -> ErrorKind {
        match self.code {
            sys::QUIRE_ENOTFOUND => ErrorKind::NotFound,
            sys::QUIRE_ECORRUPT => ErrorKind::Corrupt,
            sys::QUIRE_EIO => ErrorKind::Io,
            sys::QUIRE_ENOMEM => ErrorKind::NoMemory,
            sys::QUIRE_EINVAL => ErrorKind::Invalid,
            sys::QUIRE_EVERSION => ErrorKind::Version,
            sys::QUIRE_ENOTQUIRE => ErrorKind::NotQuire,
            sys::QUIRE_EDATE => ErrorKind::Date,
            sys::QUIRE_EUTF8 => ErrorKind::Utf8,
            sys::QUIRE_ECSV => ErrorKind::Csv,
            sys::QUIRE_ELIMIT => ErrorKind::Limit,
            sys::QUIRE_ESTATE => ErrorKind::State,
            sys::QUIRE_ECALLBACK => ErrorKind::Callback,
            _ => ErrorKind::Other,
        }
    }

    /// The detailed message, or libquire's description of the code when the
    /// handle gave none.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// libquire's static description of a status code, such as "file is corrupt".
pub fn strerror(code: i32) -> &'static str {
    // SAFETY: quire_strerror returns a static, never-NULL, NUL-terminated
    // ASCII string for any code.
    unsafe { CStr::from_ptr(sys::quire_strerror(code)) }
        .to_str()
        .unwrap_or("unknown status")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(strerror(self.code))
        } else {
            f.write_str(&self.message)
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Turns a status into Ok or the handle's error.
pub(crate) fn check(status: c_int, message: impl FnOnce() -> *const c_char) -> Result<()> {
    if status == sys::QUIRE_OK {
        Ok(())
    } else {
        Err(Error::from_status(status, message()))
    }
}
