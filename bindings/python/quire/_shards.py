"""Shards: many .quire files read as one table by a cluster engine.

What the Spark and Dask readers share: turning a file, a folder, a glob or a
list into shard paths, counting from each shard's indexes which shards a
selection matches, so that the others are never opened by a task, and
reading a shard's statistics (document count, sources with their counts,
undated count, date span: quire.shard_stats) from its header, footer and
source table without reading a block.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import glob
import os
from typing import Dict, FrozenSet, Iterable, List, NamedTuple, Optional, Sequence, Union

from ._common import DateLike, FilterSpec, PathLike
from ._corpus import Corpus
from ._errors import InvalidArgumentError, NotFoundError

SUFFIX = ".quire"
_GLOB_CHARS = frozenset("*?[")


class ShardStats(NamedTuple):
    """What a shard holds, read without touching its blocks."""

    path: str
    documents: int
    undated: int
    sources: Dict[str, int]  # source name -> documents; no-source ones are not listed
    first: Optional[int]  # UTC seconds of the earliest date's first instant
    last: Optional[int]  # UTC seconds of the latest date's first instant
    file_size: int
    raw_size: int = 0  # bytes of every field of every document, uncompressed

    @property
    def unsourced(self) -> int:
        """Documents that have no source."""
        return self.documents - sum(self.sources.values())


def shard_stats(path: PathLike) -> ShardStats:
    """The statistics of one shard. Opening a corpus maps it and checks only
    its header and footer; the source table is one small section. No text or
    metadata block is read, so this costs the same whatever the shard size."""
    with Corpus(path) as corpus:
        return _stats_of(corpus, path)


def _stats_of(corpus: Corpus, path: PathLike) -> ShardStats:
    span = corpus.date_span
    return ShardStats(
        path=os.fspath(path),
        documents=len(corpus),
        undated=corpus.undated_count,
        sources={s.name: s.documents for s in corpus.sources},
        first=None if span is None else int(span[0].timestamp()),
        last=None if span is None else int(span[1].timestamp()),
        file_size=corpus.file_size,
        raw_size=corpus.raw_size,
    )


def expand_paths(paths: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    """The shard files named by a path, a folder (its *.quire files), a glob,
    or a list of any of those, sorted within each item and without
    repetitions. Raises NotFoundError when an item names nothing."""
    items: Sequence[PathLike]
    if isinstance(paths, (str, bytes, os.PathLike)):
        items = [paths]  # type: ignore[list-item]
    else:
        items = list(paths)
    if not items:
        raise InvalidArgumentError("no shard paths given")
    found: List[str] = []
    seen = set()
    for item in items:
        text = os.fsdecode(item)
        if os.path.isdir(text):
            names = sorted(os.path.join(text, n) for n in os.listdir(text) if n.endswith(SUFFIX))
            names = [n for n in names if os.path.isfile(n)]
        elif _GLOB_CHARS.intersection(text):
            names = sorted(n for n in glob.glob(text) if os.path.isfile(n))
        elif os.path.isfile(text):
            names = [text]
        else:
            raise NotFoundError(f"no such shard file or folder: {text}")
        if not names:
            raise NotFoundError(f"no .quire shard matches {text}")
        for name in names:
            if name not in seen:
                seen.add(name)
                found.append(name)
    return found


def _period_end(seconds: int, precision: int) -> int:
    """The last second of the period a date of that precision starts."""
    start = _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
    if precision == 1:  # year
        end = start.replace(year=start.year + 1)
    elif precision == 2:  # month
        days = calendar.monthrange(start.year, start.month)[1]
        end = start + _dt.timedelta(days=days)
    elif precision == 3:  # day
        end = start + _dt.timedelta(days=1)
    elif precision == 4:  # minute
        end = start + _dt.timedelta(minutes=1)
    else:
        end = start + _dt.timedelta(seconds=1)
    return int(end.timestamp()) - 1


def _seconds(value: DateLike, upper: bool) -> int:
    """A date bound as libquire's filter takes it: the first instant of the
    period for a lower bound, its last second for an upper one."""
    from . import parse_date  # the package's parser, which is libquire's

    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return int(value.timestamp())  # second precision: floor
    if isinstance(value, _dt.date):
        value = value.isoformat()
    seconds, precision = parse_date(value)
    return _period_end(seconds, int(precision)) if upper else seconds


def iso_seconds(seconds: int) -> str:
    """UTC seconds as ISO 8601 text at second precision, which libquire's
    filter takes as that very second for either bound."""
    moment = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment.year >= 1000 else (
        f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%SZ"))


class Selection:
    """A selection over shards in exact seconds: a set of source names (None:
    any; an empty set: none), an inclusive range of first instants (None:
    unbounded) and what to do with undated documents (None: included only
    when no bound is set, as libquire does). ``empty`` marks a selection that
    matches nothing, such as two different sources both required."""

    __slots__ = ("sources", "lo", "hi", "undated", "empty")

    def __init__(
        self,
        sources: Optional[Iterable[str]] = None,
        lo: Optional[int] = None,
        hi: Optional[int] = None,
        undated: Optional[bool] = None,
    ) -> None:
        self.sources: Optional[FrozenSet[str]] = None if sources is None else frozenset(sources)
        self.lo = lo
        self.hi = hi
        self.undated = undated
        self.empty = False

    @classmethod
    def from_dates(
        cls,
        sources: Union[str, Iterable[str], None] = None,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        undated: Optional[bool] = None,
    ) -> "Selection":
        """A selection from the arguments Corpus.query() takes, with their
        meaning there: a partial date covers its whole period ("2016" to
        "2016" is the year), and an empty list of sources, like None, lets
        any source match (docs/guide.md, "Filters")."""
        if isinstance(sources, (str, bytes)):
            sources = [os.fsdecode(sources)]
        elif sources is not None:
            sources = list(sources) or None
        return cls(
            sources,
            None if from_ is None else _seconds(from_, upper=False),
            None if to is None else _seconds(to, upper=True),
            undated,
        )

    @property
    def filters(self) -> bool:
        """Whether the selection leaves any document out."""
        return not (self.sources is None and self.lo is None and self.hi is None
                    and self.undated is None)

    def spec(self) -> FilterSpec:
        """The libquire filter of the selection."""
        return FilterSpec(
            None if self.sources is None else sorted(self.sources),
            None if self.lo is None else iso_seconds(self.lo),
            None if self.hi is None else iso_seconds(self.hi),
            self.undated,
        )

    def __repr__(self) -> str:
        return (f"Selection(sources={None if self.sources is None else sorted(self.sources)}, "
                f"lo={self.lo}, hi={self.hi}, undated={self.undated}, empty={self.empty})")


class Piece(NamedTuple):
    """What one task reads: a shard, or the documents [first, end) of it."""

    path: str
    first: int
    end: int  # exclusive
    whole: bool


def _check_max(max_documents: Optional[int]) -> None:
    if max_documents is not None and max_documents < 1:
        raise InvalidArgumentError(f"max_documents must be positive, not {max_documents}")


def _pieces_of(path: str, n: int, max_documents: Optional[int]) -> List[Piece]:
    """The pieces of a shard of n documents: itself, or its ranges of
    max_documents documents."""
    if max_documents is None or n <= max_documents:
        return [Piece(path, 0, n, True)]
    return [Piece(path, first, min(n, first + max_documents), False)
            for first in range(0, n, max_documents)]


class Planned(NamedTuple):
    """A piece with what a task reading it is expected to return."""

    piece: Piece
    documents: float  # matching documents; a range's share of its shard's count
    raw_per_document: float  # the shard's uncompressed bytes per document


def plan_counted(
    paths: Sequence[str],
    selection: Selection,
    max_documents: Optional[int] = None,
) -> List[Planned]:
    """The pieces a selection needs, each with the number of documents the
    selection matches in it, counted from its shard's indexes (no block is
    read). A piece is a shard or, for a shard of more than max_documents
    documents, one range of that many documents (documents are clustered by
    source then date, so a range is a run of consecutive blocks). Shards
    where the count is 0 are left out, so that no task opens them."""
    _check_max(max_documents)
    out: List[Planned] = []
    # A selection whose set of sources is empty (two different sources both
    # required) matches nothing, where a libquire filter given no source
    # would take every one.
    if selection.empty or (selection.sources is not None and not selection.sources):
        return out
    spec = selection.spec() if selection.filters else None
    for path in paths:
        # The count is exact: a test of the shard's statistics (sources,
        # date span) would only repeat it, at a higher price, since reading
        # every source name costs about twice what counting does.
        with Corpus(path) as corpus:
            documents = len(corpus)
            if documents == 0:
                continue
            matches = documents if spec is None else corpus._count(spec)
            raw_size = corpus.raw_size
        if matches == 0:
            continue
        for piece in _pieces_of(os.fspath(path), documents, max_documents):
            share = (piece.end - piece.first) / documents
            out.append(Planned(piece, matches * share, raw_size / documents))
    return out


def trace_open(piece: Piece) -> None:
    """Appends one line naming the piece to the file named by the
    QUIRE_TRACE_OPENS environment variable, when it is set: how the tests see
    which shards the tasks of an engine opened. Lines are short and appended
    with one write each, so concurrent workers do not interleave them."""
    trace = os.environ.get("QUIRE_TRACE_OPENS")
    if not trace:
        return
    line = f"{piece.path}\t{piece.first}\t{piece.end}\n".encode()
    fd = os.open(trace, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
