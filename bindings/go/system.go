//go:build quire_system

package quire

// With -tags quire_system the package links an installed libquire, found
// through pkg-config (quire.pc), instead of compiling the bundled sources
// (csrc/, libquire_*.c).

/*
#cgo pkg-config: quire
*/
import "C"
