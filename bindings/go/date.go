package quire

/*
#include <quire.h>
*/
import "C"

import "time"

// Precision says how much of a date is known.
type Precision int

// The precisions of include/quire.h.
const (
	NoDate          Precision = C.QUIRE_DATE_NONE   // undated
	YearPrecision   Precision = C.QUIRE_DATE_YEAR   // 2016
	MonthPrecision  Precision = C.QUIRE_DATE_MONTH  // 2016-01
	DayPrecision    Precision = C.QUIRE_DATE_DAY    // 2016-01-31
	MinutePrecision Precision = C.QUIRE_DATE_MINUTE // 2016-01-31T09:22
	SecondPrecision Precision = C.QUIRE_DATE_SECOND // 2016-01-31T09:22:05
)

// Date is a possibly partial date: the first instant of the period it names,
// in seconds since 1970 UTC, and how much of it is known.
type Date struct {
	Unix      int64
	Precision Precision
}

// IsZero reports whether the date is absent.
func (d Date) IsZero() bool { return d.Precision == NoDate }

// Time returns the first instant of the date in UTC, or the zero Time when
// there is no date.
func (d Date) Time() time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return time.Unix(d.Unix, 0).UTC()
}

// String formats the date as ISO 8601 at its precision ("2016-01",
// "2016-01-31T09:22Z"), or "" when there is none.
func (d Date) String() string {
	var buf [32]C.char
	n := C.quire_date_format(C.int64_t(d.Unix), C.int(d.Precision), &buf[0], C.size_t(len(buf)))
	return C.GoStringN(&buf[0], C.int(n))
}

// ParseDate parses an ISO 8601 date of any precision or an RFC 2822 date, as
// every date given to quire is parsed.
func ParseDate(s string) (Date, error) {
	var secs C.int64_t
	var prec C.int
	p, n := cstr(s)
	if st := C.quire_date_parse(p, n, &secs, &prec); st != C.QUIRE_OK {
		return Date{}, errorf(Code(st), "not a date: %q", s)
	}
	return Date{Unix: int64(secs), Precision: Precision(prec)}, nil
}

// Document is a copy of every field of one document, for writing and for
// keeping what was read.
type Document struct {
	Number uint64 // position in the file when read; ignored when writing
	Source string // "" when the document has none
	Date   string // ISO 8601 (or, when writing, RFC 2822); "" when undated
	Title  string
	Author string
	URL    string
	Text   string
}
