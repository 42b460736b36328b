use std::ffi::{c_char, c_int};
use std::fmt;
use std::str::FromStr;

use quire_sys as sys;

use crate::{str_arg, Error, Result};

/// How much of a date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precision {
    /// 2016
    Year = sys::QUIRE_DATE_YEAR as isize,
    /// 2016-01
    Month = sys::QUIRE_DATE_MONTH as isize,
    /// 2016-01-31
    Day = sys::QUIRE_DATE_DAY as isize,
    /// 2016-01-31T09:22
    Minute = sys::QUIRE_DATE_MINUTE as isize,
    /// 2016-01-31T09:22:05
    Second = sys::QUIRE_DATE_SECOND as isize,
}

impl Precision {
    fn from_raw(raw: c_int) -> Option<Precision> {
        Some(match raw {
            sys::QUIRE_DATE_YEAR => Precision::Year,
            sys::QUIRE_DATE_MONTH => Precision::Month,
            sys::QUIRE_DATE_DAY => Precision::Day,
            sys::QUIRE_DATE_MINUTE => Precision::Minute,
            sys::QUIRE_DATE_SECOND => Precision::Second,
            _ => return None,
        })
    }
}

/// A possibly partial date: the first instant of the period it names, in
/// seconds since 1970-01-01T00:00:00Z, and how much of it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    seconds: i64,
    precision: Precision,
}

impl Date {
    /// Parses an ISO 8601 date of any precision or an RFC 2822 date, as
    /// every date given to quire is parsed.
    pub fn parse(text: &str) -> Result<Date> {
        let (ptr, len) = str_arg(text);
        let mut seconds = 0i64;
        let mut precision: c_int = 0;
        // SAFETY: ptr/len describe text; the outputs are valid locals.
        let status = unsafe { sys::quire_date_parse(ptr, len, &mut seconds, &mut precision) };
        match Precision::from_raw(precision) {
            Some(precision) if status == sys::QUIRE_OK => Ok(Date { seconds, precision }),
            _ => Err(Error::new(status, format!("not a date: {text:?}"))),
        }
    }

    /// The date of a cursor's document; None when it is undated.
    pub(crate) fn from_raw(seconds: i64, precision: c_int) -> Option<Date> {
        Precision::from_raw(precision).map(|precision| Date { seconds, precision })
    }

    /// The first instant of the date, in seconds since 1970 UTC.
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// How much of the date is known.
    pub fn precision(&self) -> Precision {
        self.precision
    }
}

/// ISO 8601 at the date's precision: "2016-01", "2016-01-31T09:22Z".
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0 as c_char; 32];
        // SAFETY: buf holds 32 bytes, which the header says always suffices.
        let len = unsafe {
            sys::quire_date_format(
                self.seconds,
                self.precision as c_int,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        let bytes: Vec<u8> = buf[..len].iter().map(|&c| c as u8).collect();
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for Date {
    type Err = Error;
    fn from_str(s: &str) -> Result<Date> {
        Date::parse(s)
    }
}
