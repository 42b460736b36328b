package quire

/*
#include <quire.h>
*/
import "C"

import "fmt"

// Code is a libquire status code. The negative codes are errors in their own
// right, so they serve as sentinels: errors.Is(err, quire.ErrCorrupt)
// holds for every *Error carrying that code.
type Code int

// The status codes of include/quire.h.
const (
	ErrNotFound Code = C.QUIRE_ENOTFOUND // no such file, document, source or column
	ErrCorrupt  Code = C.QUIRE_ECORRUPT  // the file is damaged or truncated
	ErrIO       Code = C.QUIRE_EIO       // an operating-system read or write failed
	ErrNoMemory Code = C.QUIRE_ENOMEM    // memory ran out
	ErrInvalid  Code = C.QUIRE_EINVAL    // an argument is out of range or misused
	ErrVersion  Code = C.QUIRE_EVERSION  // the file needs a newer library
	ErrNotQuire Code = C.QUIRE_ENOTQUIRE // the file is not a quire file at all
	ErrDate     Code = C.QUIRE_EDATE     // a date is not ISO 8601 or RFC 2822
	ErrUTF8     Code = C.QUIRE_EUTF8     // text is not valid UTF-8
	ErrCSV      Code = C.QUIRE_ECSV      // CSV input is malformed
	ErrLimit    Code = C.QUIRE_ELIMIT    // input exceeds a documented limit
	ErrState    Code = C.QUIRE_ESTATE    // the handle is finished, failed or closed
	ErrCallback Code = C.QUIRE_ECALLBACK // a callback asked to stop
)

// Error returns libquire's description of the code, such as
// "file is corrupt".
func (c Code) Error() string {
	return C.GoString(C.quire_strerror(C.int(c)))
}

// Error is a failure reported by libquire: its status code and the detailed
// message the failing handle gave.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "quire: " + e.Code.Error()
	}
	return "quire: " + e.Message
}

// Unwrap makes errors.Is(err, quire.ErrCorrupt) and the like work.
func (e *Error) Unwrap() error { return e.Code }

// newError turns a negative status and the handle's message into an error.
func newError(status C.int, msg *C.char) error {
	e := &Error{Code: Code(status)}
	if msg != nil {
		e.Message = C.GoString(msg)
	}
	return e
}

// errorf builds an error of the binding's own, with a code from the C set so
// that callers test it the same way.
func errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errClosed is returned by every method of a closed handle.
func errClosed(what string) error {
	return errorf(ErrState, "%s is closed", what)
}
