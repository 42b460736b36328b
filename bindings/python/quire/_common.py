"""Helpers shared by the modules of the package: status checks, strings in and
out of C, and filters."""

from __future__ import annotations

import ctypes
import datetime as _dt
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, List, NoReturn, Optional, Union

from ._errors import raise_status
from ._lib import lib
from ._prototypes import PROGRESS_FN

# Status codes and constants of quire.h that the package uses.
OK, ROW, DONE = 0, 1, 2
NO_DATE = -(2**63)
FIELD_ID, FIELD_SOURCE, FIELD_DATE, FIELD_TITLE = 0, 1, 2, 3
FIELD_AUTHOR, FIELD_URL, FIELD_TEXT, FIELD_FILE, FIELD_IGNORE = 4, 5, 6, 7, 8
UNDATED_AUTO, UNDATED_INCLUDE, UNDATED_EXCLUDE = 0, 1, 2

DateLike = Union[str, _dt.date, _dt.datetime]
PathLike = Union[str, "os.PathLike[str]"]
Text = Union[str, bytes, None]


def encode(value: Text) -> bytes:
    """UTF-8 bytes for C. Lone surrogates pass through as the bytes they
    stand for, so that libquire's own UTF-8 policy decides about them."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogatepass")


def encode_path(path: PathLike) -> bytes:
    raw = os.fsencode(path)
    if b"\0" in raw:
        from ._errors import InvalidArgumentError

        raise InvalidArgumentError(f"path contains a NUL byte: {path!r}")
    return raw


def decode(ptr: Optional[int], length: int) -> str:
    if not length or ptr is None:
        return ""
    return ctypes.string_at(ptr, length).decode("utf-8", "replace")


def date_text(value: Optional[DateLike]) -> bytes:
    """A date argument as the text libquire parses. A naive datetime is taken
    as UTC, as libquire takes a date without an offset."""
    if value is None:
        return b""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat().encode()
    return encode(value)


def check(rc: int, errmsg: Callable[[Any], Optional[bytes]], handle: Any) -> int:
    """Returns rc when it is not an error, else raises the exception for it
    with the message errmsg(handle) kept on the handle."""
    if rc < 0:
        raise_status(rc, lambda: errmsg(handle) or b"", lib.quire_strerror)
    return rc


ProgressFn = Callable[[int, int], Any]


class Progress:
    """A Python progress callable as a C quire_progress_fn. The callable gets
    (done, total) on the thread of the call being followed, inside that
    call. An exception it raises never crosses C: it is kept, the C
    callback returns non-zero (libquire stops with QUIRE_ECALLBACK) and
    check() raises the exception itself once the call has returned."""

    __slots__ = ("fn", "error", "c_fn")

    def __init__(self, fn: ProgressFn) -> None:
        if not callable(fn):
            raise TypeError(f"progress must be callable(done, total), not {fn!r}")
        self.fn = fn
        self.error: Optional[BaseException] = None
        self.c_fn = PROGRESS_FN(self._call)  # kept alive while C may call it

    def _call(self, _ctx: Optional[int], done: int, total: int) -> int:
        try:
            self.fn(done, total)
            return 0
        except BaseException as exc:  # raised again by check()
            self.error = exc
            return 1

    def check(self, rc: int, errmsg: Callable[[Any], Optional[bytes]], handle: Any) -> int:
        """check(rc, ...), but the callable's exception first, when it
        raised one."""
        error, self.error = self.error, None
        if error is not None:
            raise error
        return check(rc, errmsg, handle)


def progress_for(fn: Optional[ProgressFn]) -> Optional[Progress]:
    return None if fn is None else Progress(fn)


def take_failed_handle(
    rc: int,
    handle: ctypes.c_void_p,
    errmsg: Callable[[ctypes.c_void_p], Optional[bytes]],
    close: Callable[[ctypes.c_void_p], None],
) -> NoReturn:
    """After a failed open: reads the message from the failed handle, frees
    it (the handle convention of quire.h) and raises."""
    try:
        message = errmsg(handle) if handle else b""
    finally:
        close(handle)
    raise_status(rc, lambda: message or b"", lib.quire_strerror)


def _listed(value: Union[str, Iterable[str], None]) -> Optional[List[str]]:
    """None, or a list: one string is a list of one."""
    if isinstance(value, (str, bytes)):
        return [value]
    return None if value is None else list(value)


class FilterSpec:
    """What a query selects: sources, an inclusive date range and what to do
    with undated documents (None: libquire's default)."""

    __slots__ = ("sources", "date_from", "date_to", "undated", "match", "match_any")

    def __init__(
        self,
        sources: Union[str, Iterable[str], None] = None,
        date_from: Optional[DateLike] = None,
        date_to: Optional[DateLike] = None,
        undated: Optional[bool] = None,
        match: Union[str, Iterable[str], None] = None,
        match_any: Union[str, Iterable[str], None] = None,
    ) -> None:
        self.sources = _listed(sources)
        self.date_from = date_from
        self.date_to = date_to
        self.undated = undated
        # Terms (words in title or text): all of match, and at least one of
        # match_any when given.
        self.match = _listed(match)
        self.match_any = _listed(match_any)

    def is_empty(self) -> bool:
        return (
            self.sources is None
            and self.date_from is None
            and self.date_to is None
            and self.undated is None
            and not self.match
            and not self.match_any
        )

    @contextmanager
    def build(self) -> Iterator[Optional[ctypes.c_void_p]]:
        """A C filter for the duration of a with block (None when the spec
        selects everything)."""
        if self.is_empty():
            yield None
            return
        handle = ctypes.c_void_p()
        check(lib.quire_filter_new(ctypes.byref(handle)), lambda _: b"", None)
        try:
            self._fill(handle)
            yield handle
        finally:
            lib.quire_filter_free(handle)

    def _fill(self, handle: ctypes.c_void_p) -> None:
        err = lib.quire_filter_errmsg
        for name in self.sources or ():
            raw = encode(name)
            check(lib.quire_filter_add_source(handle, raw, len(raw)), err, handle)
        for value, setter in (
            (self.date_from, lib.quire_filter_set_from),
            (self.date_to, lib.quire_filter_set_to),
        ):
            if value is not None:
                raw = date_text(value)
                check(setter(handle, raw, len(raw)), err, handle)
        if self.undated is not None:
            mode = UNDATED_INCLUDE if self.undated else UNDATED_EXCLUDE
            check(lib.quire_filter_set_undated(handle, mode), err, handle)
        for terms, add in ((self.match, lib.quire_filter_add_term),
                           (self.match_any, lib.quire_filter_add_any_term)):
            for term in terms or ():
                raw = encode(term)
                check(add(handle, raw, len(raw)), err, handle)
