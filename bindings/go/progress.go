package quire

/*
#include <stdint.h>
#include <quire.h>

extern int quireGoProgress(uintptr_t ctx, uint64_t done, uint64_t total);

static int quire_go_progress(void *ctx, uint64_t done, uint64_t total) {
  return quireGoProgress((uintptr_t)ctx, done, total);
}

// A handle of 0 removes the callback. The Go side passes the cgo.Handle as
// an integer; it becomes the callback's context here, out of go vet's sight.
static int quire_go_import_progress(quire_import *imp, uintptr_t handle) {
  return quire_import_set_progress(imp, handle ? quire_go_progress : NULL,
                                   (void *)handle);
}

static int quire_go_writer_progress(quire_writer *w, uintptr_t handle) {
  return quire_writer_set_progress(w, handle ? quire_go_progress : NULL,
                                   (void *)handle);
}

static int quire_go_export_progress(quire_export *exp, uintptr_t handle) {
  return quire_export_set_progress(exp, handle ? quire_go_progress : NULL,
                                   (void *)handle);
}
*/
import "C"

import "runtime/cgo"

// ProgressFunc follows a long call: done of total (0 when total is not known
// in advance; see the Progress fields for what they count). It runs on the
// goroutine that made the call, never after that call returned. A non-nil
// error stops the call, which then returns that same error; a panic in it
// stops the call too and is raised again once libquire has returned.
type ProgressFunc func(done, total uint64) error

// progressTarget is what the C progress callback reaches through a
// cgo.Handle: the Go function and what it made go wrong.
type progressTarget struct {
	fn       ProgressFunc
	err      error
	panicked bool
	panicVal any
}

// call runs fn and turns an error or a panic into the non-zero answer that
// makes libquire stop with QUIRE_ECALLBACK; a panic must not unwind
// through C frames, so it is kept to be raised again in Go.
func (t *progressTarget) call(done, total uint64) (status C.int) {
	defer func() {
		if v := recover(); v != nil {
			t.panicked, t.panicVal, status = true, v, 1
		}
	}()
	if err := t.fn(done, total); err != nil {
		t.err = err
		return 1
	}
	return 0
}

// outcome raises a panic kept from the callback (once), or returns its
// error.
func (t *progressTarget) outcome() error {
	if t.panicked {
		v := t.panicVal
		t.panicked, t.panicVal = false, nil
		panic(v)
	}
	return t.err
}

// progressHandle is a progressTarget registered for C.
type progressHandle struct {
	target *progressTarget
	handle cgo.Handle
}

// newProgress registers fn for C; nil for a nil fn.
func newProgress(fn ProgressFunc) *progressHandle {
	if fn == nil {
		return nil
	}
	t := &progressTarget{fn: fn}
	return &progressHandle{target: t, handle: cgo.NewHandle(t)}
}

// ctx is the callback's context for C (0, no callback, for nil).
func (p *progressHandle) ctx() C.uintptr_t {
	if p == nil {
		return 0
	}
	return C.uintptr_t(p.handle)
}

// outcome is the callback's error (or panic) after a call; nil for nil.
func (p *progressHandle) outcome() error {
	if p == nil {
		return nil
	}
	return p.target.outcome()
}

// release unregisters the handle; the C side must no longer hold it.
func (p *progressHandle) release() {
	if p != nil {
		p.handle.Delete()
	}
}

// withProgress runs call with fn following it through set (one of the
// quire_go_*_progress helpers), and removes the callback afterwards. It
// returns call's status and, when fn stopped it, fn's error; a panic in fn
// is raised again here.
func withProgress(fn ProgressFunc, set func(C.uintptr_t) C.int, errmsg func() *C.char, call func() C.int) (C.int, error) {
	if fn == nil {
		return call(), nil
	}
	p := newProgress(fn)
	defer p.release()
	if st := set(p.ctx()); st != C.QUIRE_OK {
		return st, newError(st, errmsg())
	}
	st := call()
	set(0) // the handle goes: nothing may call it any more
	return st, p.outcome()
}

func setImportProgress(imp *C.quire_import) func(C.uintptr_t) C.int {
	return func(h C.uintptr_t) C.int { return C.quire_go_import_progress(imp, h) }
}

func setWriterProgress(w *C.quire_writer) func(C.uintptr_t) C.int {
	return func(h C.uintptr_t) C.int { return C.quire_go_writer_progress(w, h) }
}

func setExportProgress(exp *C.quire_export) func(C.uintptr_t) C.int {
	return func(h C.uintptr_t) C.int { return C.quire_go_export_progress(exp, h) }
}
