"""Document: one article of a corpus, read lazily."""

from __future__ import annotations

import ctypes
import datetime as _dt
import enum
from typing import TYPE_CHECKING, Dict, Optional, Union, overload

from ._common import FIELD_AUTHOR, FIELD_DATE, FIELD_TEXT, FIELD_TITLE, FIELD_URL
from ._lib import lib

if TYPE_CHECKING:
    from ._corpus import Corpus


class Precision(enum.IntEnum):
    """How much of a document's date is known (QUIRE_DATE_*)."""

    NONE = 0
    YEAR = 1
    MONTH = 2
    DAY = 3
    MINUTE = 4
    SECOND = 5


def format_date(timestamp: Optional[int], precision: int) -> Optional[str]:
    """ISO 8601 text of a date at its precision ("2016-01"), as libquire
    writes it; None for no date."""
    if timestamp is None or precision == 0:
        return None
    buf = ctypes.create_string_buffer(32)
    n = lib.quire_date_format(timestamp, precision, buf, 32)
    return buf.raw[:n].decode("ascii")


class _Lazy:
    """A field of a document read from its corpus on first use, then kept in
    the document's slot of the same name with a leading underscore."""

    def __init__(self, field: int) -> None:
        self.field = field
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    @overload
    def __get__(self, doc: None, owner: type) -> "_Lazy": ...

    @overload
    def __get__(self, doc: "Document", owner: type) -> str: ...

    def __get__(self, doc: Optional["Document"], owner: type) -> Union[str, "_Lazy"]:
        if doc is None:
            return self
        try:
            return getattr(doc, self.slot)
        except AttributeError:
            value = doc._corpus._read_field(doc.id, self.field)
            setattr(doc, self.slot, value)
            return value


class Document:
    """One document. The number, source, date and text length come with it;
    the title, author, url and text are read from the corpus the first time
    they are asked for, so iterating never inflates text nobody reads."""

    __slots__ = (
        "_corpus",
        "id",
        "source",
        "timestamp",
        "_precision",
        "text_length",
        "_date",
        "_title",
        "_author",
        "_url",
        "_text",
    )

    id: int
    source: Optional[str]
    timestamp: Optional[int]
    text_length: int
    _date: Optional[str]
    _precision: int

    def __init__(
        self,
        corpus: "Corpus",
        id: int,
        source: Optional[str],
        timestamp: Optional[int],
        text_length: int,
        precision: Optional[int] = None,
    ) -> None:
        self._corpus = corpus
        self.id = id
        self.source = source
        self.timestamp = timestamp  # UTC seconds of the date's first instant
        self.text_length = text_length  # bytes of UTF-8
        if precision is not None:
            self._precision = precision

    @property
    def precision(self) -> Precision:
        """How much of the date is known (read on first use)."""
        try:
            return Precision(self._precision)
        except AttributeError:
            self._precision = self._corpus._read_precision(self.id)
            return Precision(self._precision)

    @property
    def date(self) -> Optional[str]:
        """The date as ISO 8601 text as it was given ("2016-01",
        "2017-05-08T09:22"), or None."""
        try:
            return self._date
        except AttributeError:
            text = self._corpus._read_field(self.id, FIELD_DATE) if self.timestamp is not None else ""
            self._date = text or None
            return self._date

    @property
    def datetime(self) -> Optional[_dt.datetime]:
        """The first instant of the date, as an aware UTC datetime, or None."""
        if self.timestamp is None:
            return None
        return _dt.datetime.fromtimestamp(self.timestamp, _dt.timezone.utc)

    title = _Lazy(FIELD_TITLE)
    author = _Lazy(FIELD_AUTHOR)
    url = _Lazy(FIELD_URL)
    text = _Lazy(FIELD_TEXT)

    def as_dict(self) -> Dict[str, Optional[str]]:
        """The fields Writer.add() takes, so that ``w.add(**doc.as_dict())``
        copies a document."""
        return {
            "source": self.source,
            "date": self.date,
            "title": self.title,
            "author": self.author,
            "url": self.url,
            "text": self.text,
        }

    def __repr__(self) -> str:
        return (
            f"<quire.Document {self.id} source={self.source!r} "
            f"date={self.date!r} text_length={self.text_length}>"
        )
