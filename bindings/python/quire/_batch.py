"""Batch: consecutive documents of a query, column-wise, read from libquire
with one call (quire_cursor_next_batch) instead of four ctypes calls per
document."""

from __future__ import annotations

from ctypes import byref, c_int32, c_int64, c_size_t, c_uint64, c_void_p
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Tuple

from ._common import DONE, NO_DATE, check
from ._document import Document
from ._errors import Error, InvalidArgumentError, closed
from ._lib import lib

if TYPE_CHECKING:
    from ._corpus import Corpus, _State

# Documents per call into C, unless the caller asks otherwise. A ctypes call
# costs about 0.3 us and libquire reads a document's numbers in a few tens of
# nanoseconds, so beyond a few hundred documents a batch gains little and
# only costs memory (36 bytes a document).
DEFAULT_SIZE = 1024

# The five columns quire_cursor_next_batch() fills, in its parameter order:
# (name, C element type, memoryview format).
_COLUMNS = (
    ("docs", c_uint64, "Q"),
    ("dates", c_int64, "q"),
    ("precisions", c_int32, "i"),
    ("sources", c_int64, "q"),
    ("text_lengths", c_uint64, "Q"),
)


def check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidArgumentError(f"batch size must be a positive int, not {size!r}")
    return size


def read_batch(cursor: c_void_p, size: int) -> Tuple[int, List[memoryview], Optional[Error]]:
    """Moves cursor over up to size documents. Returns the status, the five
    columns of the documents read (read-only memoryviews over fresh arrays,
    so that earlier batches stay as they were) and, when the status is a
    failure, its exception: the documents before the failure come first."""
    arrays = [(ctype * size)() for _, ctype, _ in _COLUMNS]
    count = c_size_t()
    rc = lib.quire_cursor_next_batch(cursor, size, *arrays, byref(count))
    failure = None
    if rc < 0:
        try:  # the message is the cursor's until its next call: take it now
            check(rc, lib.quire_cursor_errmsg, cursor)
        except Error as exc:
            failure = exc
    n = count.value
    columns = [
        memoryview(array).cast("B").cast(fmt)[:n].toreadonly()
        for array, (_, _, fmt) in zip(arrays, _COLUMNS)
    ]
    return rc, columns, failure


def batches(cursor: c_void_p, size: int, state: "_State") -> Iterator[List[memoryview]]:
    """The columns of every batch of the cursor until the end; raises the
    failure that ended it after handing out the documents read before it.
    Each call into C is a call in flight of the corpus (state.enter()), so
    that close() cannot free the cursor under it; after close() the next
    batch raises StateError."""
    while True:
        state.enter()
        try:
            rc, columns, failure = read_batch(cursor, size)
        finally:
            state.leave()
        if len(columns[0]):
            yield columns
        if failure is not None:
            raise failure
        if rc == DONE:
            return


class Batch:
    """Consecutive documents of a query, as columns: ``docs`` (numbers),
    ``dates`` (UTC seconds of each date's first instant, ``quire.NO_DATE``
    when undated), ``precisions`` (``quire.Precision`` values), ``sources``
    (source ids, indexes into ``Corpus.sources``, -1 when none) and
    ``text_lengths`` (UTF-8 bytes), each a read-only memoryview of machine
    integers (``numpy.frombuffer`` takes them as they are). They stay valid
    after the iteration moves on.

    ``source_names`` and ``timestamps`` give the same as Python lists of
    names and seconds with None for "none"; iterating a batch gives its
    Documents, whose title, author, url and text are read on first use."""

    __slots__ = ("_corpus", "_names", "docs", "dates", "precisions", "sources",
                 "text_lengths")

    docs: memoryview
    dates: memoryview
    precisions: memoryview
    sources: memoryview
    text_lengths: memoryview

    def __init__(self, corpus: "Corpus", names: Sequence[Optional[str]],
                 columns: List[memoryview]) -> None:
        self._corpus = corpus
        self._names = names
        self.docs, self.dates, self.precisions, self.sources, self.text_lengths = columns

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def source_names(self) -> List[Optional[str]]:
        """The source name of each document, None when it has none."""
        # names ends with None, so source id -1 maps to it.
        return list(map(self._names.__getitem__, self.sources))

    @property
    def timestamps(self) -> List[Optional[int]]:
        """The date of each document in UTC seconds, None when undated."""
        return [None if d == NO_DATE else d for d in self.dates]

    def __iter__(self) -> Iterator[Document]:
        return documents(self._corpus, self._names, [self.docs, self.dates, self.precisions,
                                                     self.sources, self.text_lengths])

    def __repr__(self) -> str:
        first = f" from document {self.docs[0]}" if len(self) else ""
        return f"<quire.Batch of {len(self)} documents{first}>"


def documents(corpus: "Corpus", names: Sequence[Optional[str]],
              columns: List[memoryview]) -> Iterator[Document]:
    """The Documents of one batch's columns. Closing the corpus ends it
    (StateError), even in the middle of a batch."""
    state = corpus._state
    docs, dates, precisions, sources, lengths = (c.tolist() for c in columns)
    for doc, date, precision, source, length in zip(docs, dates, precisions, sources, lengths):
        if not state.is_open():
            raise closed("corpus")
        yield Document(corpus, doc, names[source], None if date == NO_DATE else date,
                       length, precision)

