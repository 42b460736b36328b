"""Arrow export: the Arrow PyCapsule protocol (``__arrow_c_stream__``) over
libquire's C stream (quire_arrow_stream_open), and ``to_arrow()``.

Any library that takes Arrow data through the protocol reads a corpus or a
query with no copy through Python objects::

    pyarrow.RecordBatchReader.from_stream(corpus.query(from_="2016"))
    polars.DataFrame(corpus)
    duckdb.sql("select source, count(*) from q group by source")

pyarrow is needed only by ``to_arrow()``; the package imports without it.
"""

from __future__ import annotations

import ctypes
import threading
from ctypes import CFUNCTYPE, Structure, c_char_p, c_size_t, c_void_p
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

from ._common import FilterSpec, encode
from ._errors import InvalidArgumentError, raise_status
from ._lib import lib

# The columns of quire_arrow_stream_open(), in their default order.
COLUMNS = ("doc", "source", "date", "date_precision", "date_text", "title", "author", "url", "text")
DEFAULT_BATCH = 8192  # QUIRE_ARROW_DEFAULT_BATCH
MAX_BATCH = 1 << 24  # QUIRE_ARROW_MAX_BATCH

Columns = Union[str, Sequence[str], None]


class ArrowArrayStream(Structure):
    """struct ArrowArrayStream of the Arrow C Stream Interface."""

    _fields_ = [
        ("get_schema", c_void_p),
        ("get_next", c_void_p),
        ("get_last_error", CFUNCTYPE(c_char_p, c_void_p)),
        ("release", CFUNCTYPE(None, c_void_p)),
        ("private_data", c_void_p),
    ]


_api = ctypes.pythonapi
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_New.argtypes = [c_void_p, c_char_p, c_void_p]
_api.PyCapsule_GetPointer.restype = c_void_p
_api.PyCapsule_GetPointer.argtypes = [c_void_p, c_char_p]
_api.PyMem_RawMalloc.restype = c_void_p
_api.PyMem_RawMalloc.argtypes = [c_size_t]
_api.PyMem_RawFree.restype = None
_api.PyMem_RawFree.argtypes = [c_void_p]

# A capsule keeps a pointer to its name, so the name lives as long as the
# module does.
_CAPSULE_NAME = b"arrow_array_stream"


@CFUNCTYPE(None, c_void_p)
def _capsule_destructor(capsule: int) -> None:
    """Releases the stream unless a consumer moved it out (its release is
    then NULL), and frees the struct."""
    ptr = _api.PyCapsule_GetPointer(capsule, _CAPSULE_NAME)
    if not ptr:
        return
    stream = ArrowArrayStream.from_address(ptr)
    if stream.release:
        stream.release(ptr)
    _api.PyMem_RawFree(ptr)


_DESTRUCTOR = ctypes.cast(_capsule_destructor, c_void_p)


def column_list(columns: Columns) -> bytes:
    """The comma-separated list libquire takes (b"" for every column)."""
    if columns is None:
        return b""
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns:
        raise InvalidArgumentError("columns is empty: name at least one column")
    for name in columns:
        if not isinstance(name, str) or name.lower() not in COLUMNS:
            raise InvalidArgumentError(f"unknown column {name!r} (known: {', '.join(COLUMNS)})")
    return encode(",".join(columns))


def check_batch_size(size: Optional[int]) -> int:
    if size is None:
        return 0
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_BATCH:
        raise InvalidArgumentError(f"batch_size must be an int from 1 to {MAX_BATCH}, not {size!r}")
    return size


RELEASE_FN = CFUNCTYPE(None, c_void_p)

# Streams over a corpus opened on bytes, by their private_data: the bytes and
# libquire's own release, kept until the consumer releases the stream.
_kept: Dict[int, Tuple[bytes, Any]] = {}
_kept_lock = threading.Lock()


@RELEASE_FN
def _release_keeping(ptr: int) -> None:
    stream = ArrowArrayStream.from_address(ptr)
    with _kept_lock:
        _data, release = _kept.pop(stream.private_data or 0, (None, None))
    if release is not None:
        release(ptr)


def _keep_alive(ptr: int, data: bytes) -> None:
    """Makes the stream at ptr hold data until it is released (a consumer
    may move the struct: private_data goes with it)."""
    stream = ArrowArrayStream.from_address(ptr)
    with _kept_lock:
        _kept[stream.private_data or 0] = (data, RELEASE_FN(ctypes.cast(stream.release, c_void_p).value))
    stream.release = _release_keeping


def check_threads(threads: Optional[int]) -> int:
    if threads is None:
        return 0
    if isinstance(threads, bool) or threads not in (1, 2):
        raise InvalidArgumentError(f"threads must be 1, 2 or None, not {threads!r}")
    return threads


def stream_capsule(
    handle: c_void_p,
    spec: FilterSpec,
    columns: bytes,
    batch_size: int,
    threads: int = 0,
    data: Optional[bytes] = None,
) -> Any:
    """A PyCapsule named "arrow_array_stream" holding a fresh stream over
    the corpus handle. libquire's stream holds the corpus, so closing the
    Corpus first makes the stream fail with an error, never crash; data, the
    bytes a corpus was opened on, stays alive until the stream is
    released."""
    ptr = _api.PyMem_RawMalloc(ctypes.sizeof(ArrowArrayStream))
    if not ptr:
        raise MemoryError("cannot allocate an ArrowArrayStream")
    stream = ArrowArrayStream.from_address(ptr)
    ctypes.memset(ptr, 0, ctypes.sizeof(ArrowArrayStream))
    try:
        with spec.build() as filt:
            rc = lib.quire_arrow_stream_open(
                handle, filt, columns, len(columns), batch_size, threads, ptr
            )
        if rc != 0:
            message = stream.get_last_error(ptr) if stream.release else b""
            raise_status(rc, lambda: message or b"", lib.quire_strerror)
        if data is not None:
            _keep_alive(ptr, data)
        return _api.PyCapsule_New(ptr, _CAPSULE_NAME, _DESTRUCTOR)
    except BaseException:
        if stream.release:  # a failed stream, or the capsule was not made
            stream.release(ptr)
        _api.PyMem_RawFree(ptr)
        raise


class _Capsule:
    """Hands one stream capsule to a consumer through the protocol."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._make()


def to_table(make: Callable[[], Any]) -> Any:
    """A pyarrow Table of everything the stream capsule make() returns
    yields."""
    try:
        import pyarrow
    except ImportError as exc:  # depends on the machine
        raise ImportError("to_arrow() needs pyarrow (pip install pyarrow)") from exc
    return pyarrow.RecordBatchReader.from_stream(_Capsule(make)).read_all()


