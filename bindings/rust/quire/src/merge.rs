//! Merge and append: corpora copied into a writer block by block, without
//! decompressing them (quire_writer_add_corpus(),
//! quire_writer_open_append()).

use std::path::Path;

use quire_sys as sys;

use crate::error::check;
use crate::{Corpus, DupKind, Error, Order, Progress, Result, Utf8Policy, Writer, WriterOptions};

/// Tunes a writer opened by [`Writer::open_append_with`]. What is not here
/// (codec, level, block size, order) is what the corpus was written with.
#[derive(Debug, Clone, Default)]
pub struct AppendOptions {
    /// Compressing threads, counting the caller's.
    pub threads: Option<i32>,
    pub utf8: Utf8Policy,
    /// Drop each new document that duplicates one before it, the corpus's
    /// own documents included, by any of these kinds; empty: keep all.
    pub dedup: Vec<DupKind>,
    /// The near-duplicate threshold for `dedup` (`None`: the default).
    pub similarity: Option<f64>,
    /// Follows `finish`, as [`WriterOptions::progress`] does.
    pub progress: Option<Progress>,
}

/// Tunes [`merge`]; the default orders blocks by source and date and keeps
/// every document.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Concatenate the corpora in the order given instead of ordering
    /// their blocks by the source and date of their first document.
    pub keep_order: bool,
    /// Drop each document that duplicates one kept before it, in the order
    /// given, by any of these kinds; empty: keep all.
    pub dedup: Vec<DupKind>,
    /// The near-duplicate threshold for `dedup` (`None`: the default).
    pub similarity: Option<f64>,
    /// Threads compressing the blocks that lose a duplicate.
    pub threads: Option<i32>,
    /// Leaves out the per-block word summaries.
    pub no_word_summaries: bool,
    /// Follows the writing of the merged corpus, as
    /// [`WriterOptions::progress`] does.
    pub progress: Option<Progress>,
}

/// What [`merge`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MergeReport {
    /// Documents in the merged corpus.
    pub docs: u64,
    /// Duplicates left out ([`MergeOptions::dedup`]).
    pub dropped: u64,
}

impl Writer {
    /// Adds every document of corpus by copying its compressed blocks
    /// verbatim: nothing is decompressed or compressed again (but a block
    /// that loses a duplicate to [`WriterOptions::dedup`]). With
    /// [`Order::Input`] documents come in the order of the calls (`add` and
    /// `add_corpus` mixed); with [`Order::Clustered`] the copied blocks come
    /// first, ordered by the source and date of their first document, each
    /// corpus's own blocks keeping their order, then the documents given to
    /// `add`.
    ///
    /// The writer keeps what it reads of the corpus until it is dropped, so
    /// the corpus may be dropped right after the call. A damaged corpus
    /// gives [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) (here, or from
    /// `finish`, which copies clustered blocks) and fails the writer.
    pub fn add_corpus(&mut self, corpus: &Corpus) -> Result<()> {
        self.hold(corpus);
        // SAFETY: live writer and corpus; libquire holds the C corpus until
        // the writer is closed, and `hold` keeps the bytes it may read.
        let status = unsafe { sys::quire_writer_add_corpus(self.as_ptr(), corpus.as_ptr()) };
        check(status, || self.errmsg())
    }

    /// Opens a writer that appends to the corpus at path, with the options
    /// it was written with.
    pub fn open_append(path: impl AsRef<Path>) -> Result<Writer> {
        Writer::open_append_with(path, &AppendOptions::default())
    }

    /// Opens a writer that appends to the corpus at path: its documents
    /// keep their numbers and its blocks are copied verbatim; the documents
    /// given to `add` or the CSV import follow, compressed with the corpus's
    /// own codec and dictionaries. `finish` replaces the file atomically; a
    /// writer dropped unfinished leaves it unchanged.
    pub fn open_append_with(path: impl AsRef<Path>, options: &AppendOptions) -> Result<Writer> {
        let mut writer = Writer::open(path.as_ref(), sys::quire_writer_open_append)?;
        writer.progress.clone_from(&options.progress);
        writer.apply_shared(
            options.threads,
            options.utf8,
            &options.dedup,
            options.similarity,
        )?;
        Ok(writer)
    }
}

/// Writes to out one corpus holding the documents of the corpora at inputs,
/// copying their compressed blocks ([`Writer::add_corpus`]), as `quire
/// merge` does. out may not be one of the inputs
/// ([`Writer::open_append`] grows a corpus). Any failure leaves no file at
/// out.
pub fn merge<P: AsRef<Path>>(
    out: impl AsRef<Path>,
    inputs: &[P],
    options: &MergeOptions,
) -> Result<MergeReport> {
    let out = out.as_ref();
    if inputs.is_empty() {
        return Err(Error::new(sys::QUIRE_EINVAL, "no corpus to merge"));
    }
    if inputs.iter().any(|input| same_file(out, input.as_ref())) {
        return Err(Error::new(
            sys::QUIRE_EINVAL,
            format!(
                "{} is also an input: write elsewhere, or use Writer::open_append",
                out.display()
            ),
        ));
    }
    let mut writer = Writer::create_with(
        out,
        &WriterOptions {
            order: if options.keep_order {
                Order::Input
            } else {
                Order::Clustered
            },
            dedup: options.dedup.clone(),
            similarity: options.similarity,
            threads: options.threads,
            no_word_summaries: options.no_word_summaries,
            progress: options.progress.clone(),
            ..WriterOptions::default()
        },
    )?;
    for input in inputs {
        let input = input.as_ref();
        let corpus = Corpus::open(input)?;
        writer
            .add_corpus(&corpus)
            .map_err(|e| Error::new(e.code(), format!("{}: {e}", input.display())))?;
        // corpus is dropped here: the writer keeps what it copies.
    }
    writer.finish_in_place()?;
    Ok(MergeReport {
        docs: writer.doc_count(),
        dropped: writer.dropped(),
    })
}

/// Whether a and b name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => a.canonicalize().ok() == b.canonicalize().ok(),
        _ => false,
    }
}
