use std::ptr::NonNull;

use quire_sys as sys;

use crate::error::check;
use crate::{str_arg, Error, Result};

/// What a [`Filter`] does with documents that have no date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Undated {
    /// Included only when no date bound is set.
    #[default]
    Auto,
    /// Always included (if the source matches).
    Include,
    /// Never included.
    Exclude,
}

/// Selects documents by source and date. `Filter::new()` matches every
/// document; each builder method narrows it.
///
/// ```
/// let f = quire::Filter::new().source("Belarus in Focus").from("2016").to("2016");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    sources: Vec<String>,
    from: String,
    to: String,
    undated: Undated,
    terms: Vec<String>,
    any_terms: Vec<String>,
}

impl Filter {
    /// A filter matching every document.
    pub fn new() -> Filter {
        Filter::default()
    }

    /// Adds a source name: a document matches when its source is any name
    /// added. With none, the source does not matter.
    pub fn source(mut self, name: impl Into<String>) -> Filter {
        self.sources.push(name.into());
        self
    }

    /// Adds several source names.
    pub fn sources<I, S>(mut self, names: I) -> Filter
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sources.extend(names.into_iter().map(Into::into));
        self
    }

    /// Sets the inclusive lower bound, an ISO 8601 or RFC 2822 date of any
    /// precision: "2016" starts at 2016-01-01T00:00:00Z. "" removes it.
    pub fn from(mut self, date: impl Into<String>) -> Filter {
        self.from = date.into();
        self
    }

    /// Sets the inclusive upper bound: "2016" ends at 2016-12-31T23:59:59Z.
    /// "" removes it.
    pub fn to(mut self, date: impl Into<String>) -> Filter {
        self.to = date.into();
        self
    }

    /// Sets what to do with undated documents.
    pub fn undated(mut self, mode: Undated) -> Filter {
        self.undated = mode;
        self
    }

    /// Adds a term that every matching document holds in its title or
    /// text: words (runs of Unicode letters and digits) compared by simple
    /// case folding; the words of one term ("Belt and Road") must follow
    /// one another. docs/guide.md, "Terms", has the rules. A term without a word
    /// is reported as [`Error`] `InvalidArgument` when the filter is used.
    pub fn term(mut self, term: impl Into<String>) -> Filter {
        self.terms.push(term.into());
        self
    }

    /// Adds a term of which, with the others added this way, at least one
    /// must occur (besides every [`Filter::term`]).
    pub fn any_term(mut self, term: impl Into<String>) -> Filter {
        self.any_terms.push(term.into());
        self
    }

    /// Makes the C filter. Bad dates are reported here, as QUIRE_EDATE.
    pub(crate) fn build(&self) -> Result<RawFilter> {
        let mut ptr = std::ptr::null_mut();
        // SAFETY: ptr is a valid out pointer.
        let status = unsafe { sys::quire_filter_new(&mut ptr) };
        let raw = match NonNull::new(ptr) {
            Some(p) if status == sys::QUIRE_OK => RawFilter(p),
            _ => return Err(Error::from_status(status, std::ptr::null())),
        };
        let f = raw.0.as_ptr();
        // SAFETY (every call below): f is a live filter; strings are passed
        // as pointer + length, read only during the call.
        let errmsg = || unsafe { sys::quire_filter_errmsg(f) };
        for name in &self.sources {
            let (p, n) = str_arg(name);
            check(unsafe { sys::quire_filter_add_source(f, p, n) }, errmsg)?;
        }
        let (p, n) = str_arg(&self.from);
        check(unsafe { sys::quire_filter_set_from(f, p, n) }, errmsg)?;
        let (p, n) = str_arg(&self.to);
        check(unsafe { sys::quire_filter_set_to(f, p, n) }, errmsg)?;
        let mode = match self.undated {
            Undated::Auto => sys::QUIRE_UNDATED_AUTO,
            Undated::Include => sys::QUIRE_UNDATED_INCLUDE,
            Undated::Exclude => sys::QUIRE_UNDATED_EXCLUDE,
        };
        check(unsafe { sys::quire_filter_set_undated(f, mode) }, errmsg)?;
        for term in &self.terms {
            let (p, n) = str_arg(term);
            check(unsafe { sys::quire_filter_add_term(f, p, n) }, errmsg)?;
        }
        for term in &self.any_terms {
            let (p, n) = str_arg(term);
            check(unsafe { sys::quire_filter_add_any_term(f, p, n) }, errmsg)?;
        }
        Ok(raw)
    }
}

/// An owned C filter, freed on drop. Cursors and exports copy what they
/// need, so it may be dropped as soon as they are made.
pub(crate) struct RawFilter(NonNull<sys::quire_filter>);

impl RawFilter {
    pub(crate) fn as_ptr(&self) -> *const sys::quire_filter {
        self.0.as_ptr()
    }
}

impl Drop for RawFilter {
    fn drop(&mut self) {
        // SAFETY: we own the filter and free it once.
        unsafe { sys::quire_filter_free(self.0.as_ptr()) }
    }
}
