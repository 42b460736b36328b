// Package quire reads and writes quire corpora of news articles through
// libquire's C ABI.
//
// A Corpus is immutable once open and safe for concurrent use by any number
// of goroutines; every Cursor, Writer and Export belongs to one goroutine at
// a time, exactly as include/quire.h says of the C handles underneath.
//
// Everything the package does is defined once, in libquire: this package
// only adds what Go needs (ownership, errors, iteration).
package quire

/*
#include <quire.h>
*/
import "C"

import "unsafe"

// Version returns the version string of the libquire actually loaded, such
// as "1.0.0".
func Version() string {
	return C.GoString(C.quire_version_string())
}

// VersionNumber returns MAJOR*10000 + MINOR*100 + PATCH of the libquire
// actually loaded.
func VersionNumber() int {
	return int(C.quire_version_number())
}

// FormatVersion is the newest file format the loaded library writes.
const (
	FormatMajor = int(C.QUIRE_FORMAT_MAJOR)
	FormatMinor = int(C.QUIRE_FORMAT_MINOR)
)

// cstr returns a pointer and length for s without copying: the C functions
// called with it read the bytes only during the call, which cgo allows.
// An empty string gives a nil pointer, which the C ABI reads as "".
func cstr(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}
