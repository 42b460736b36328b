"""Merging corpora into one (quire merge) and appending to one (quire
append): Writer.add_corpus() and Writer.append() in one call."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable, NamedTuple, Optional, Sequence, Union

from ._common import PathLike
from ._errors import Error, InvalidArgumentError
from ._writer import Writer

if TYPE_CHECKING:  # pragma: no cover
    from ._corpus import Corpus


class MergeResult(NamedTuple):
    documents: int  # documents written
    dropped: int  # documents dropped as duplicates (dedup=)


def merge(
    out: PathLike,
    inputs: Sequence[Union["Corpus", PathLike]],
    *,
    keep_order: bool = False,
    dedup: Union[str, Iterable[str]] = (),
    similarity: Optional[float] = None,
    threads: Optional[int] = None,
    word_summaries: bool = True,
) -> MergeResult:
    """Writes to out one corpus holding the documents of every input (open
    Corpus objects or paths), copying their compressed blocks as they are.
    By default whole blocks are ordered by the source and date of their
    first document; keep_order=True puts the inputs one after the other, in
    the order given. dedup ("url", "text", "near" or several) drops each
    document that duplicates one before it in that order; similarity is the
    near threshold; threads compress the blocks that lose a document. On any
    failure nothing is written at out."""
    if isinstance(inputs, (str, bytes, os.PathLike)) or not isinstance(inputs, Iterable):
        raise TypeError("inputs must be a sequence of corpora or paths")
    inputs = list(inputs)
    if not inputs:
        raise InvalidArgumentError("merge needs at least one input corpus")
    _refuse_output_among_inputs(out, inputs)
    kinds = [dedup] if isinstance(dedup, str) else list(dedup)
    with Writer(out, order="input" if keep_order else "clustered",
                dedup=kinds or None, similarity=similarity, threads=threads,
                word_summaries=word_summaries) as writer:
        for number, corpus in enumerate(inputs, 1):
            try:
                writer.add_corpus(corpus)
            except Error as exc:  # the same error, saying which input
                raise type(exc)(f"{_input_name(corpus, number)}: {exc.message}",
                                exc.code) from exc
        return MergeResult(writer.finish(), writer.dropped)


def _input_name(corpus: object, number: int) -> str:
    """How an error names an input: its path, else its place in the list.
    A clustered merge copies most blocks at finish(), whose message libquire
    starts with the path too (or "added corpus N" for bytes)."""
    if isinstance(corpus, (str, os.PathLike)):
        return os.fsdecode(corpus)
    return f"merge input {number}"


def append(
    path: PathLike,
    *,
    threads: Optional[int] = None,
    dedup: Union[str, Iterable[str], None] = None,
    similarity: Optional[float] = None,
) -> Writer:
    """Writer.append(path, ...): a writer adding documents to the corpus at
    path, to use as a context manager."""
    return Writer.append(path, threads=threads, dedup=dedup, similarity=similarity)


def _refuse_output_among_inputs(out: PathLike, inputs: list) -> None:
    """As quire merge: the output may not be one of the inputs (use
    append to grow a corpus)."""
    from ._corpus import Corpus

    for item in inputs:
        if item is None or isinstance(item, (Corpus, bytes, bytearray, memoryview)):
            continue
        try:
            same = os.path.samefile(out, item)
        except (OSError, TypeError, ValueError):
            continue  # out does not exist yet, or item is no path
        if same:
            raise InvalidArgumentError(
                f"{os.fspath(out)} is also an input: write elsewhere, or use quire.append()")
