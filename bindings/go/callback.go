package quire

// This file holds the Go functions that C calls back: the writer of verify
// and salvage reports, and the progress callback. cgo forbids C definitions
// next to an //export, so the C side of the callbacks lives in export.go and
// progress.go.

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"io"
	"runtime/cgo"
	"unsafe"
)

// writeTarget is what a C callback writes into, reached through a cgo.Handle
// because C may not keep Go pointers.
type writeTarget struct {
	w        io.Writer
	err      error
	panicked bool
	panicVal any
}

//export quireGoWrite
func quireGoWrite(ctx C.uintptr_t, data *C.char, n C.size_t) C.int {
	t := cgo.Handle(ctx).Value().(*writeTarget)
	// The slice points into C memory; io.Writer implementations must not
	// keep it, which is all the C side needs.
	return t.write(unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)))
}

// write passes one chunk on, and turns an error or a panic into the
// non-zero answer that makes libquire stop with QUIRE_ECALLBACK. A panic must
// not unwind through C frames, so it is kept and raised again in Go.
func (t *writeTarget) write(p []byte) (status C.int) {
	defer func() {
		if v := recover(); v != nil {
			t.panicked, t.panicVal, status = true, v, 1
		}
	}()
	if _, err := t.w.Write(p); err != nil {
		t.err = err
		return 1
	}
	return 0
}

// callWithWriter runs call with a handle to w for the C callback, and
// returns its status, or w's own error when w made it stop.
func callWithWriter(w io.Writer, call func(handle C.uintptr_t) C.int) (C.int, error) {
	t := &writeTarget{w: w}
	h := cgo.NewHandle(t)
	defer h.Delete()
	st := call(C.uintptr_t(h))
	if t.panicked {
		panic(t.panicVal)
	}
	return st, t.err
}

//export quireGoProgress
func quireGoProgress(ctx C.uintptr_t, done, total C.uint64_t) C.int {
	return cgo.Handle(ctx).Value().(*progressTarget).call(uint64(done), uint64(total))
}
