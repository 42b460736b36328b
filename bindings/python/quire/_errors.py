"""Exceptions: one class per C status code, all subclasses of quire.Error."""

from __future__ import annotations

from typing import Callable, NoReturn, Optional


class Error(Exception):
    """A libquire call failed. ``code`` is the C status number (negative),
    ``name`` its C macro name and ``message`` the library's own message."""

    code: int = 0
    name: str = "QUIRE_E?"

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message} [{self.name}]"


class NotFoundError(Error):
    """No such file, document, source or column (QUIRE_ENOTFOUND)."""

    code, name = -1, "QUIRE_ENOTFOUND"


class CorruptError(Error):
    """The file is damaged or truncated (QUIRE_ECORRUPT)."""

    code, name = -2, "QUIRE_ECORRUPT"


class SystemIOError(Error):
    """An operating-system read or write failed (QUIRE_EIO)."""

    code, name = -3, "QUIRE_EIO"


class OutOfMemoryError(Error, MemoryError):
    """Memory ran out (QUIRE_ENOMEM)."""

    code, name = -4, "QUIRE_ENOMEM"


class InvalidArgumentError(Error, ValueError):
    """An argument is out of range or misused (QUIRE_EINVAL)."""

    code, name = -5, "QUIRE_EINVAL"


class VersionError(Error):
    """The file needs a newer library (QUIRE_EVERSION)."""

    code, name = -6, "QUIRE_EVERSION"


class NotQuireError(Error):
    """The file is not a quire file at all (QUIRE_ENOTQUIRE)."""

    code, name = -7, "QUIRE_ENOTQUIRE"


class DateError(Error, ValueError):
    """A date is neither ISO 8601 nor RFC 2822 (QUIRE_EDATE)."""

    code, name = -8, "QUIRE_EDATE"


class Utf8Error(Error, ValueError):
    """Text is not valid UTF-8 (QUIRE_EUTF8)."""

    code, name = -9, "QUIRE_EUTF8"


class CsvError(Error, ValueError):
    """CSV input is malformed (QUIRE_ECSV)."""

    code, name = -10, "QUIRE_ECSV"


class LimitError(Error, ValueError):
    """Input exceeds a documented limit (QUIRE_ELIMIT)."""

    code, name = -11, "QUIRE_ELIMIT"


class StateError(Error):
    """The handle is finished, failed or closed (QUIRE_ESTATE)."""

    code, name = -12, "QUIRE_ESTATE"


class CallbackError(Error):
    """A callback asked to stop (QUIRE_ECALLBACK)."""

    code, name = -13, "QUIRE_ECALLBACK"


_BY_CODE = {
    cls.code: cls
    for cls in (
        NotFoundError,
        CorruptError,
        SystemIOError,
        OutOfMemoryError,
        InvalidArgumentError,
        VersionError,
        NotQuireError,
        DateError,
        Utf8Error,
        CsvError,
        LimitError,
        StateError,
        CallbackError,
    )
}


def error_for(code: int, message: str) -> Error:
    """The exception for a C status code and message."""
    cls = _BY_CODE.get(code)
    if cls is None:
        err = Error(message, code)
        err.name = f"status {code}"
        return err
    return cls(message)


def raise_status(code: int, errmsg: Callable[[], bytes], strerror: Callable[[int], bytes]) -> NoReturn:
    """Raises the exception for a failed call: the handle's message if it has
    one, else the library's description of the code."""
    raw = errmsg() or b""
    message = raw.decode("utf-8", "replace") or strerror(code).decode()
    raise error_for(code, message)


def closed(what: str) -> StateError:
    return StateError(f"{what} is closed")
