"""quire: packed, checksummed corpora of news articles, from Python.

A thin layer over libquire (the C library) through ctypes::

    import quire

    with quire.open("news.quire") as corpus:
        for doc in corpus.query(sources=["Belarus in Focus"], from_="2016"):
            print(doc.date, doc.source, doc.title)

        # Column-wise, one call into libquire per 1024 documents:
        for batch in corpus.query(from_="2016").batches():
            print(len(batch), sum(batch.text_lengths), batch.source_names[:3])

libquire is found through the QUIRE_LIBRARY environment variable (a path),
then next to this package, then on the system's library path.
"""

from __future__ import annotations

import os

from ctypes import byref, c_int, c_int64, c_uint64
from typing import List, NamedTuple, Optional, Tuple, Union

from ._batch import Batch
from ._common import NO_DATE, PathLike, decode, encode, encode_path
from ._corpus import Corpus, CsvExport, ExportResult, Packing, Query, Source
from ._document import Document, Precision, format_date
from ._dups import DEFAULT_SIMILARITY, DupGroup, DupMember, find_dups
from ._errors import (
    CallbackError,
    CorruptError,
    CsvError,
    DateError,
    Error,
    InvalidArgumentError,
    LimitError,
    NotFoundError,
    NotQuireError,
    OutOfMemoryError,
    StateError,
    SystemIOError,
    Utf8Error,
    VersionError,
    error_for,
)
from ._lib import lib
from ._merge import MergeResult, append, merge
from ._prototypes import WRITE_FN
from ._shards import ShardStats, shard_stats  # shards for Spark and Dask (quire.spark, quire.dask)
from ._split import split
from ._writer import ImportResult, Writer, import_csv

__version__ = "1.0.0"

__all__ = [
    "NO_DATE",
    "Batch",
    "Packing",
    "CallbackError",
    "Corpus",
    "CorruptError",
    "CsvExport",
    "CsvError",
    "DEFAULT_SIMILARITY",
    "DupGroup",
    "DupMember",
    "DateError",
    "Document",
    "Error",
    "ExportResult",
    "ImportResult",
    "InvalidArgumentError",
    "LimitError",
    "MergeResult",
    "NotFoundError",
    "NotQuireError",
    "OutOfMemoryError",
    "Precision",
    "Query",
    "SalvageResult",
    "ShardStats",
    "Source",
    "StateError",
    "SystemIOError",
    "Utf8Error",
    "VersionError",
    "Writer",
    "append",
    "find_dups",
    "format_date",
    "import_csv",
    "library_version",
    "library_version_number",
    "merge",
    "open",
    "parse_date",
    "salvage",
    "shard_stats",
    "split",
]


def open(source: Union[PathLike, bytes, bytearray, memoryview]) -> Corpus:
    """Opens a corpus from a path, or from the bytes of a .quire file."""
    return Corpus(source)


def library_version() -> str:
    """The version of the libquire actually loaded, such as "1.0.0"."""
    return lib.quire_version_string().decode()


def library_version_number() -> int:
    """MAJOR*10000 + MINOR*100 + PATCH of the loaded libquire."""
    return lib.quire_version_number()


def parse_date(text: str) -> Tuple[int, Precision]:
    """Parses an ISO 8601 or RFC 2822 date as libquire does: the UTC seconds
    of its first instant and its precision. Raises DateError."""
    raw = encode(text)
    seconds, precision = c_int64(), c_int()
    rc = lib.quire_date_parse(raw, len(raw), byref(seconds), byref(precision))
    if rc < 0:
        raise error_for(rc, f"not an ISO 8601 or RFC 2822 date: {text!r}")
    return seconds.value, Precision(precision.value)


class SalvageResult(NamedTuple):
    kept: int
    lost: int
    report: List[str]  # one line per lost part


def salvage(damaged: PathLike, out: PathLike) -> SalvageResult:
    """Writes to out every intact document of a damaged corpus."""
    lines: List[str] = []

    def report(_ctx: Optional[int], data: Optional[int], length: int) -> int:
        lines.append(decode(data, length).rstrip("\n"))
        return 0

    kept, lost = c_uint64(), c_uint64()
    rc = lib.quire_salvage(encode_path(damaged), encode_path(out), byref(kept),
                           byref(lost), WRITE_FN(report), None)
    if rc < 0:
        reason = lib.quire_strerror(rc).decode()
        raise error_for(rc, f"cannot salvage {os.fspath(damaged)!s}: {reason}")
    return SalvageResult(kept.value, lost.value, lines)
