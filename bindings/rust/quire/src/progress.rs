//! Progress callbacks: one closure type for CSV import, a writer's finish
//! and exports, passed to libquire's quire_progress_fn.

use std::any::Any;
use std::ffi::{c_int, c_void};
use std::fmt;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use quire_sys as sys;

type ProgressFn = dyn FnMut(u64, u64) -> ControlFlow<()> + Send;

/// Follows a long call: the closure gets `(done, total)` and returns
/// [`ControlFlow::Continue`] to go on or [`ControlFlow::Break`] to stop it.
///
/// What `done` and `total` count depends on the call (`total` is 0 when it
/// is not known in advance):
///
/// | Option | Follows | done of total |
/// |---|---|---|
/// | [`ExportOptions::progress`](crate::ExportOptions::progress) | every export, and each read of an [`ExportReader`](crate::ExportReader) | rows written of the documents selected (0 when the filter has terms), every 1,024 rows and at the end |
/// | [`ImportOptions::progress`](crate::ImportOptions::progress) | CSV import | bytes read of the file's size (0 if unknown), every MiB and at the end |
/// | [`WriterOptions::progress`](crate::WriterOptions::progress) (and append, merge) | [`Writer::finish`](crate::Writer::finish) | documents in blocks of all of them: every 4,096 while a clustered writer orders them, and once when all are in blocks |
///
/// The closure runs on the thread that made the call, and never after that
/// call returned. A `Break` makes the call fail with
/// [`ErrorKind::Callback`](crate::ErrorKind::Callback) (an export or a
/// finish then leaves no file). A panic in the closure also stops the call,
/// and is resumed once libquire has returned: it never unwinds through C.
///
/// A `Progress` is cheap to clone; clones (of options holding one) share
/// the same closure.
///
/// ```no_run
/// use std::ops::ControlFlow;
/// use quire::{Corpus, ExportOptions, Progress};
///
/// # fn main() -> quire::Result<()> {
/// let corpus = Corpus::open("news.quire")?;
/// let options = ExportOptions {
///     progress: Some(Progress::new(|done, total| {
///         eprint!("\r{done} of {total} rows");
///         ControlFlow::Continue(())
///     })),
///     ..ExportOptions::default()
/// };
/// corpus.export_csv_path("out.csv", &options)?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Progress(Arc<Mutex<ProgressFn>>);

impl Progress {
    /// Wraps a closure called with `(done, total)`.
    pub fn new(f: impl FnMut(u64, u64) -> ControlFlow<()> + Send + 'static) -> Progress {
        Progress(Arc::new(Mutex::new(f)))
    }

    fn call(&self, done: u64, total: u64) -> ControlFlow<()> {
        // A closure that panicked before poisoned the lock; it is still the
        // caller's closure, so it is called again.
        let mut f = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(done, total)
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// A progress closure registered with C, and the panic it raised. Boxed, so
/// that its address, the callback's context, stays put.
pub(crate) struct ProgressCall {
    progress: Progress,
    panic: Option<Box<dyn Any + Send>>,
}

impl ProgressCall {
    pub(crate) fn new(progress: &Progress) -> Box<ProgressCall> {
        Box::new(ProgressCall {
            progress: progress.clone(),
            panic: None,
        })
    }

    /// The callback and context to give a quire_*_set_progress().
    pub(crate) fn c_args(&mut self) -> (sys::quire_progress_fn, *mut c_void) {
        (Some(call_progress), (self as *mut ProgressCall).cast())
    }

    /// Resumes a panic of the closure, once C has returned.
    pub(crate) fn resume_panic(&mut self) {
        if let Some(payload) = self.panic.take() {
            panic::resume_unwind(payload);
        }
    }
}

/// The quire_progress_fn handed to C.
unsafe extern "C" fn call_progress(ctx: *mut c_void, done: u64, total: u64) -> c_int {
    // SAFETY: ctx is the boxed ProgressCall given with this function, which
    // outlives every call that may run it.
    let call = unsafe { &mut *ctx.cast::<ProgressCall>() };
    match panic::catch_unwind(AssertUnwindSafe(|| call.progress.call(done, total))) {
        Ok(ControlFlow::Continue(())) => 0,
        Ok(ControlFlow::Break(())) => 1,
        Err(payload) => {
            call.panic = Some(payload);
            1
        }
    }
}

/// Runs run with progress following it through set (a
/// quire_*_set_progress() bound to its handle), then removes the callback
/// and resumes any panic of the closure. Returns run's status, or set's
/// when setting failed.
pub(crate) fn with_progress(
    progress: Option<&Progress>,
    set: impl Fn(sys::quire_progress_fn, *mut c_void) -> c_int,
    run: impl FnOnce() -> c_int,
) -> c_int {
    let Some(progress) = progress else {
        return run();
    };
    let mut call = ProgressCall::new(progress);
    let (f, ctx) = call.c_args();
    let status = set(f, ctx);
    if status != sys::QUIRE_OK {
        return status;
    }
    let status = run();
    // Nothing may call the closure once its box goes.
    set(None, std::ptr::null_mut());
    call.resume_panic();
    status
}
