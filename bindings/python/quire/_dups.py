"""Duplicates: groups of documents with the same URL, the same text, or
nearly the same text, within and across corpora (quire_dups_* of
libquire)."""

from __future__ import annotations

from ctypes import byref, c_double, c_int, c_uint32, c_uint64, c_void_p
from typing import TYPE_CHECKING, Iterable, List, NamedTuple, Optional, Union

from ._common import PathLike, check
from ._errors import InvalidArgumentError
from ._lib import lib

if TYPE_CHECKING:  # pragma: no cover
    from ._corpus import Corpus

KINDS = {"url": 1, "text": 2, "near": 4}
_NAMES = {bit: name for name, bit in KINDS.items()}
DEFAULT_SIMILARITY = 0.4  # QUIRE_DEFAULT_SIMILARITY


class DupMember(NamedTuple):
    corpus: int  # index of the corpus among those given
    doc: int  # document number in that corpus
    similarity: float  # to the group's first document (1.0 for url, text)


class DupGroup(NamedTuple):
    kind: str  # "url", "text" or "near"
    members: List[DupMember]  # the first (the one dedup keeps) first


def kind_mask(kinds: Union[str, Iterable[str]]) -> int:
    """The QUIRE_DUP_* mask of kind names; raises InvalidArgumentError."""
    if isinstance(kinds, str):
        kinds = [kinds]
    mask = 0
    for kind in kinds:
        if kind not in KINDS:
            raise InvalidArgumentError(
                f"unknown duplicate kind {kind!r} (url, text, near)")
        mask |= KINDS[kind]
    return mask


def find_dups(
    *corpora: Union["Corpus", PathLike],
    kinds: Union[str, Iterable[str]] = ("url", "text", "near"),
    similarity: Optional[float] = None,
) -> List[DupGroup]:
    """Finds the groups of duplicate documents in the corpora (Corpus
    objects or paths, read in the order given, each in document order).
    A group's first member is the first in that order; near groups give each
    member's estimated shingle similarity to it. similarity is the near
    threshold (default DEFAULT_SIMILARITY)."""
    from ._corpus import Corpus

    mask = kind_mask(kinds)
    if mask == 0:
        raise InvalidArgumentError("no duplicate kind given")
    handle = c_void_p()
    check(lib.quire_dups_new(byref(handle)), lambda _: b"out of memory", None)
    err = lib.quire_dups_errmsg
    try:
        check(lib.quire_dups_set_kinds(handle, mask), err, handle)
        if similarity is not None:
            check(lib.quire_dups_set_similarity(handle, float(similarity)), err, handle)
        for corpus in corpora:
            if isinstance(corpus, Corpus):
                _add(handle, corpus)
            else:
                with Corpus(corpus) as opened:
                    _add(handle, opened)
        return [_group(handle, g) for g in range(lib.quire_dups_group_count(handle))]
    finally:
        lib.quire_dups_free(handle)


def _add(handle: c_void_p, corpus: "Corpus") -> None:
    state = corpus._state  # noqa: SLF001 (the package's own corpus)
    # A call in flight: close() from another thread waits for it.
    c_corpus = state.enter()
    try:
        rc = lib.quire_dups_add_corpus(handle, c_corpus)
    finally:
        state.leave()
    check(rc, lib.quire_dups_errmsg, handle)


def _group(handle: c_void_p, index: int) -> DupGroup:
    err = lib.quire_dups_errmsg
    kind, size = c_int(), c_uint64()
    check(lib.quire_dups_group(handle, index, byref(kind), byref(size)), err, handle)
    members = []
    corpus, doc, sim = c_uint32(), c_uint64(), c_double()
    for m in range(size.value):
        check(lib.quire_dups_member(handle, index, m, byref(corpus), byref(doc), byref(sim)),
              err, handle)
        members.append(DupMember(corpus.value, doc.value, sim.value))
    return DupGroup(_NAMES[kind.value], members)
