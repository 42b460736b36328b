//! Duplicates: groups of documents with the same URL, the same text, or
//! nearly the same text, within and across corpora.

use std::ptr::NonNull;

use quire_sys as sys;

use crate::error::check;
use crate::{Corpus, Error, Result};

/// A kind of duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DupKind {
    /// The same URL once normalised (scheme and host case, http and https,
    /// default port, fragment, trailing slash and tracking parameters such
    /// as `utm_*`, `fbclid` and `gclid` ignored).
    Url,
    /// The same text after Unicode NFC and white-space collapsing.
    Text,
    /// Texts whose 5-word shingles have an estimated Jaccard similarity of
    /// at least the threshold.
    Near,
}

impl DupKind {
    /// Every kind.
    pub const ALL: [DupKind; 3] = [DupKind::Url, DupKind::Text, DupKind::Near];

    fn bit(self) -> i32 {
        match self {
            DupKind::Url => sys::QUIRE_DUP_URL,
            DupKind::Text => sys::QUIRE_DUP_TEXT,
            DupKind::Near => sys::QUIRE_DUP_NEAR,
        }
    }

    pub(crate) fn mask(kinds: &[DupKind]) -> i32 {
        kinds.iter().fold(0, |m, k| m | k.bit())
    }
}

impl std::fmt::Display for DupKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DupKind::Url => "url",
            DupKind::Text => "text",
            DupKind::Near => "near",
        })
    }
}

/// The near-duplicate threshold used when none is given.
pub const DEFAULT_SIMILARITY: f64 = sys::QUIRE_DEFAULT_SIMILARITY;

/// One document of a group of duplicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DupMember {
    /// Index of its corpus in the slice given to [`find_dups`].
    pub corpus: usize,
    /// Its document number in that corpus.
    pub doc: u64,
    /// Its similarity to the group's first document (1 for url and text).
    pub similarity: f64,
}

/// A group of duplicates of one kind; `members[0]` is the first in input
/// order, the one a writer with `dedup` keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct DupGroup {
    pub kind: DupKind,
    pub members: Vec<DupMember>,
}

/// Tunes [`find_dups`].
#[derive(Debug, Clone)]
pub struct DupsOptions {
    /// The kinds to look for (default: all three).
    pub kinds: Vec<DupKind>,
    /// The near-duplicate threshold, above 0 and at most 1.
    pub similarity: f64,
}

impl Default for DupsOptions {
    fn default() -> Self {
        DupsOptions {
            kinds: DupKind::ALL.to_vec(),
            similarity: DEFAULT_SIMILARITY,
        }
    }
}

struct Dups(NonNull<sys::quire_dups>);

impl Drop for Dups {
    fn drop(&mut self) {
        // SAFETY: made by quire_dups_new, freed once.
        unsafe { sys::quire_dups_free(self.0.as_ptr()) }
    }
}

/// Reads the corpora in the order given, each in document order, and
/// returns the groups of duplicates among all their documents, ordered by
/// kind (url, text, near), then by first document.
pub fn find_dups(corpora: &[&Corpus], options: &DupsOptions) -> Result<Vec<DupGroup>> {
    let mut ptr = std::ptr::null_mut();
    // SAFETY: ptr is a valid out pointer.
    let status = unsafe { sys::quire_dups_new(&mut ptr) };
    let dups = match NonNull::new(ptr) {
        Some(p) => Dups(p),
        None => return Err(Error::from_status(status, std::ptr::null())),
    };
    let d = dups.0.as_ptr();
    // SAFETY (every call below): d is live until dups drops.
    let errmsg = || unsafe { sys::quire_dups_errmsg(d) };
    check(
        unsafe { sys::quire_dups_set_kinds(d, DupKind::mask(&options.kinds)) },
        errmsg,
    )?;
    check(
        unsafe { sys::quire_dups_set_similarity(d, options.similarity) },
        errmsg,
    )?;
    for corpus in corpora {
        // SAFETY: the corpus is borrowed, so open, for the call.
        check(
            unsafe { sys::quire_dups_add_corpus(d, corpus.as_ptr()) },
            errmsg,
        )?;
    }
    let count = unsafe { sys::quire_dups_group_count(d) };
    let mut groups = Vec::with_capacity(count as usize);
    for g in 0..count {
        let (mut kind, mut size) = (0, 0u64);
        check(
            unsafe { sys::quire_dups_group(d, g, &mut kind, &mut size) },
            errmsg,
        )?;
        let kind = match kind {
            sys::QUIRE_DUP_URL => DupKind::Url,
            sys::QUIRE_DUP_TEXT => DupKind::Text,
            _ => DupKind::Near,
        };
        let mut members = Vec::with_capacity(size as usize);
        for m in 0..size {
            let (mut corpus, mut doc, mut similarity) = (0u32, 0u64, 0f64);
            check(
                unsafe { sys::quire_dups_member(d, g, m, &mut corpus, &mut doc, &mut similarity) },
                errmsg,
            )?;
            members.push(DupMember {
                corpus: corpus as usize,
                doc,
                similarity,
            });
        }
        groups.push(DupGroup { kind, members });
    }
    Ok(groups)
}
