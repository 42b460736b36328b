"""Corpus: an open .quire file, its queries and its CSV export."""

from __future__ import annotations

import codecs
import ctypes
import datetime as _dt
import io
import os
import threading
import weakref
from ctypes import byref, c_int, c_int64, c_size_t, c_uint32, c_uint64, c_void_p
from typing import (
    IO,
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _arrow
from ._batch import DEFAULT_SIZE, Batch, batches, check_size, documents
from ._common import (
    DONE,
    NO_DATE,
    Progress,
    ProgressFn,
    progress_for,
    DateLike,
    FilterSpec,
    PathLike,
    check,
    decode,
    encode,
    encode_path,
    take_failed_handle,
)
from ._document import Document
from ._errors import InvalidArgumentError, NotFoundError, closed
from ._lib import lib
from ._prototypes import WRITE_FN


class Source(NamedTuple):
    name: str
    documents: int


class Packing(NamedTuple):
    codec: str  # "zstd" or "deflate"
    level: int  # on the codec's scale; 0 when the file does not say
    block_size: int
    dictionaries: Tuple[int, ...]  # the size in bytes of each zstd dictionary


class _ExportCounts(NamedTuple):
    rows: int  # documents written
    cells_cut: int  # cells cut to the spreadsheet limit (excel dialect, xlsx)


class ExportResult(_ExportCounts):
    """What an export wrote: the pair (rows, cells_cut), as in 1.0, so that
    `rows, cut = corpus.export_csv(...)` still works, and two attributes:
    rows_over_sheet (CSV rows past the 1,048,576 a spreadsheet sheet shows)
    and files (files written; numbered files with split_rows)."""

    rows_over_sheet: int
    files: int

    def __new__(cls, rows: int, cells_cut: int, rows_over_sheet: int = 0,
                files: int = 1) -> "ExportResult":
        self = super().__new__(cls, rows, cells_cut)
        self.rows_over_sheet = rows_over_sheet
        self.files = files
        return self

    def __repr__(self) -> str:
        return (f"ExportResult(rows={self.rows}, cells_cut={self.cells_cut}, "
                f"rows_over_sheet={self.rows_over_sheet}, files={self.files})")


_DIALECTS = {"plain": 0, "excel": 1}


class _State:
    """The C handles of one corpus. Kept apart from Corpus so that the
    finalizer closing them holds no reference to the Corpus itself.

    Every call into libquire on the corpus is bracketed by enter() and
    leave(), which count the calls in flight (ctypes lets other threads run
    while one is in C). close() marks the corpus closed, so that every later
    enter() raises StateError, waits until the calls in flight have left and
    only then frees the C handles. A close() from inside a call on the same
    thread (an export's file object closing the corpus) cannot wait for
    itself: the last call to leave frees the handles instead."""

    def __init__(self) -> None:
        self.handle: Optional[c_void_p] = None
        self.data: Optional[bytes] = None  # the buffer a corpus was opened on
        self.cursors: Dict[int, c_void_p] = {}  # live iteration cursors
        self.exports: Dict[int, c_void_p] = {}  # open_csv() exports still open
        self.reader: Optional[c_void_p] = None  # random access, made on demand
        self.reader_doc = -1
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)  # notified when calls reach 0
        self.calls: Dict[int, int] = {}  # calls in flight, by thread
        self.closing = False

    def is_open(self) -> bool:
        return self.handle is not None and not self.closing

    def require(self) -> c_void_p:
        """The handle, for a call made with the lock held."""
        handle = self.handle
        if handle is None or self.closing:
            raise closed("corpus")
        return handle

    def enter(self) -> c_void_p:
        """Counts a call in flight and returns the handle it may use until
        leave(); raises StateError once close() has been called."""
        with self.lock:
            handle = self.require()
            me = threading.get_ident()
            self.calls[me] = self.calls.get(me, 0) + 1
            return handle

    def leave(self) -> None:
        with self.lock:
            me = threading.get_ident()
            left = self.calls[me] - 1
            if left:
                self.calls[me] = left
            else:
                del self.calls[me]
            if self.closing and not self.calls:
                self._free()
                self.idle.notify_all()

    def free_cursor(self, key: int) -> None:
        with self.lock:
            cursor = self.cursors.pop(key, None)
        if cursor is not None:
            lib.quire_cursor_free(cursor)

    def free_export(self, exp: c_void_p) -> None:
        """Frees an open_csv() export unless closing the corpus freed it
        already; under the lock, so never after the corpus."""
        with self.lock:
            if self.exports.pop(exp.value or 0, None) is not None:
                lib.quire_export_free(exp)

    def close(self) -> None:
        """Frees every cursor, then the corpus (libquire wants cursors freed
        first), once no call is in flight. Safe to call twice, from any
        thread."""
        with self.lock:
            if self.handle is None:
                return
            self.closing = True
            if threading.get_ident() in self.calls:
                return  # inside a call on this thread: leave() frees
            while self.calls:
                self.idle.wait()
            self._free()

    def _free(self) -> None:
        """Call with the lock held and no call in flight."""
        cursors = list(self.cursors.values())
        self.cursors.clear()
        for cursor in cursors:
            lib.quire_cursor_free(cursor)
        for exp in self.exports.values():
            lib.quire_export_free(exp)
        self.exports.clear()
        if self.reader is not None:
            lib.quire_cursor_free(self.reader)
            self.reader = None
        if self.handle is not None:
            lib.quire_corpus_free(self.handle)
            self.handle = None
        self.data = None


def _open_cursor(state: _State, spec: FilterSpec) -> Tuple[int, c_void_p]:
    handle = state.enter()
    try:
        cursor = c_void_p()
        with spec.build() as filt:
            rc = lib.quire_cursor_open(handle, filt, byref(cursor))
        if rc != 0:
            take_failed_handle(rc, cursor, lib.quire_cursor_errmsg, lib.quire_cursor_free)
        with state.lock:  # close() waits for this call: the corpus is open
            key = cursor.value or 0
            state.cursors[key] = cursor
        return key, cursor
    finally:
        state.leave()


def _stat(state: _State, fn: Any) -> int:
    """fn(handle), a call in flight."""
    handle = state.enter()
    try:
        return fn(handle)
    finally:
        state.leave()


class Query:
    """The documents of a corpus matching a filter. Iterate it (as often as
    you like), count it, export it, or hand it to any Arrow consumer
    (``__arrow_c_stream__``: pyarrow, polars, DuckDB) with its columns."""

    def __init__(
        self,
        corpus: "Corpus",
        spec: FilterSpec,
        columns: _arrow.Columns = None,
        batch_size: Optional[int] = None,
        threads: Optional[int] = None,
    ) -> None:
        self._corpus = corpus
        self._spec = spec
        self._columns = _arrow.column_list(columns)
        self._batch_size = _arrow.check_batch_size(batch_size)
        self._threads = _arrow.check_threads(threads)

    # ---- Arrow (quire/_arrow.py) -------------------------------------------

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The matching documents as an Arrow C stream in a PyCapsule (the
        Arrow PyCapsule protocol), with the query's columns. A
        requested_schema is not honoured (the protocol allows that): the
        stream has quire's own types."""
        return self._corpus._arrow_stream(
            self._spec, self._columns, self._batch_size, self._threads
        )

    def to_arrow(self, batch_size: Optional[int] = None) -> Any:
        """The matching documents as a pyarrow Table (needs pyarrow)."""
        size = _arrow.check_batch_size(batch_size) or self._batch_size
        return _arrow.to_table(
            lambda: self._corpus._arrow_stream(self._spec, self._columns, size, self._threads)
        )

    def __iter__(self) -> Iterator[Document]:
        return self._corpus._iterate(self._spec)

    def batches(self, size: int = DEFAULT_SIZE) -> Iterator[Batch]:
        """The matching documents as Batches of up to size documents, each
        read with one call into libquire: the fast way through many
        documents when their numbers (dates, sources, text lengths) are
        what is needed::

            for batch in corpus.query(from_="2016").batches():
                total += sum(batch.text_lengths)
        """
        return self._corpus._batches(self._spec, size)

    def count(self) -> int:
        """The number of matching documents: from the indexes alone, or with
        terms by reading the candidates (exact either way)."""
        return self._corpus._count(self._spec)

    def export_csv(
        self,
        dest: Union[PathLike, IO[Any]],
        *,
        columns: Union[str, Sequence[str], None] = None,
        dialect: str = "plain",
        split_rows: Optional[int] = None,
        progress: Optional[ProgressFn] = None,
    ) -> ExportResult:
        """Writes the matching documents as CSV to a path (atomically) or to
        a file object opened in binary or text mode. With split_rows (a path
        only), numbered files of at most that many rows: out-001.csv, ...
        progress as in Corpus.export_csv()."""
        return self._corpus._export(self._spec, dest, columns, dialect, split_rows,
                                    progress=progress)

    def export_xlsx(
        self,
        path: PathLike,
        *,
        columns: Union[str, Sequence[str], None] = None,
        split_rows: Optional[int] = None,
        progress: Optional[ProgressFn] = None,
    ) -> ExportResult:
        """Writes the matching documents as an Excel workbook (XLSX) to path,
        atomically: typed cells, frozen header with a filter, a new sheet
        every 1,048,575 rows."""
        return self._corpus._export(self._spec, path, columns, "plain", split_rows, xlsx=True,
                                    progress=progress)

    def open_csv(
        self,
        *,
        columns: Union[str, Sequence[str], None] = None,
        dialect: str = "plain",
        progress: Optional[ProgressFn] = None,
    ) -> "CsvExport":
        """The matching documents' CSV as a binary file object read on
        demand: see Corpus.open_csv()."""
        return _open_csv(self._corpus, self._spec, columns, dialect, progress)


class Corpus:
    """An open .quire file. Use it as a context manager, or close() it; an
    unreferenced corpus is closed by the garbage collector. close() may be
    called from any thread at any time: calls already running complete
    (close() waits for them), every call made after it raises StateError."""

    def __init__(self, source: Union[PathLike, bytes, bytearray, memoryview]) -> None:
        self._state = _State()
        self._finalizer = weakref.finalize(self, self._state.close)
        self._sources: Optional[Tuple[Source, ...]] = None
        self._names: Optional[Tuple[Optional[str], ...]] = None
        handle = c_void_p()
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)  # immutable, and kept until close
            rc = lib.quire_corpus_open_buffer(data, len(data), byref(handle))
            self._state.data = data
        else:
            rc = lib.quire_corpus_open(encode_path(source), byref(handle))
        if rc != 0:
            self._state.data = None
            take_failed_handle(rc, handle, lib.quire_corpus_errmsg, lib.quire_corpus_free)
        self._state.handle = handle

    # ---- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Closes the corpus and every iteration still running over it."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._state.is_open()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- what the corpus holds ----------------------------------------------

    def __len__(self) -> int:
        return _stat(self._state, lib.quire_corpus_doc_count)

    @property
    def source_count(self) -> int:
        return _stat(self._state, lib.quire_corpus_source_count)

    @property
    def undated_count(self) -> int:
        return _stat(self._state, lib.quire_corpus_undated_count)

    @property
    def file_size(self) -> int:
        return _stat(self._state, lib.quire_corpus_file_size)

    @property
    def raw_size(self) -> int:
        """Bytes of every field of every document laid end to end."""
        return _stat(self._state, lib.quire_corpus_raw_size)

    @property
    def format_version(self) -> Tuple[int, int]:
        major, minor = c_int(), c_int()
        handle = self._state.enter()
        try:
            rc = lib.quire_corpus_format_version(handle, byref(major), byref(minor))
            check(rc, lib.quire_corpus_errmsg, handle)
        finally:
            self._state.leave()
        return major.value, minor.value

    @property
    def packing(self) -> "Packing":
        """How the corpus was packed: codec ("zstd" or "deflate"), level (0
        when the file does not say: format 1.0), block size, and the sizes of
        its zstd dictionaries."""
        codec, level, block = c_int(), c_int(), c_uint32()
        handle = self._state.enter()  # a call in flight: close() waits for it
        try:
            rc = lib.quire_corpus_codec(handle, byref(codec), byref(level), byref(block))
            check(rc, lib.quire_corpus_errmsg, handle)
            sizes = []
            for i in range(lib.quire_corpus_dictionary_count(handle)):
                size = c_uint32()
                rc = lib.quire_corpus_dictionary(handle, i, None, byref(size), None)
                check(rc, lib.quire_corpus_errmsg, handle)
                sizes.append(size.value)
        finally:
            self._state.leave()
        name = "zstd" if codec.value == 1 else "deflate"
        return Packing(name, level.value, block.value, tuple(sizes))

    @property
    def date_span(self) -> Optional[Tuple[_dt.datetime, _dt.datetime]]:
        """The first instants of the earliest and latest dates (UTC), or None
        when no document has a date."""
        first, last = c_int64(), c_int64()
        handle = self._state.enter()
        try:
            rc = lib.quire_corpus_date_span(handle, byref(first), byref(last))
            if rc == NotFoundError.code:
                return None
            check(rc, lib.quire_corpus_errmsg, handle)
        finally:
            self._state.leave()
        utc = _dt.timezone.utc
        return (
            _dt.datetime.fromtimestamp(first.value, utc),
            _dt.datetime.fromtimestamp(last.value, utc),
        )

    @property
    def sources(self) -> List[Source]:
        """Every source with its number of documents, in byte order of the
        names. Raises StateError once the corpus is closed."""
        if self._sources is None:
            self._sources = self._read_sources()
        elif not self._state.is_open():
            raise closed("corpus")
        return list(self._sources)

    def _read_sources(self) -> Tuple[Source, ...]:
        handle = self._state.enter()
        try:
            name, length, docs = c_void_p(), c_size_t(), c_uint64()
            found = []
            for index in range(lib.quire_corpus_source_count(handle)):
                rc = lib.quire_corpus_source(handle, index, byref(name), byref(length), byref(docs))
                check(rc, lib.quire_corpus_errmsg, handle)
                found.append(Source(decode(name.value, length.value), docs.value))
            return tuple(found)
        finally:
            self._state.leave()

    def _source_names(self) -> Tuple[Optional[str], ...]:
        """Names by source id, with None last so that number -1 (no
        source) maps to None."""
        if self._names is None:
            self._names = tuple(s.name for s in self.sources) + (None,)
        return self._names

    def verify(self) -> List[str]:
        """Checks every section and block; returns one line per damaged part
        (an empty list when the file is whole)."""
        lines: List[str] = []

        def report(_ctx: Optional[int], data: Optional[int], length: int) -> int:
            lines.append(decode(data, length).rstrip("\n"))
            return 0

        damaged = c_uint64()
        handle = self._state.enter()
        try:
            rc = lib.quire_corpus_verify(handle, byref(damaged), WRITE_FN(report), None)
            if rc < 0 and not lines:
                check(rc, lib.quire_corpus_errmsg, handle)
        finally:
            self._state.leave()
        return lines

    # ---- documents ----------------------------------------------------------

    def __iter__(self) -> Iterator[Document]:
        return self._iterate(FilterSpec())

    def batches(self, size: int = DEFAULT_SIZE) -> Iterator[Batch]:
        """Every document as Batches of up to size documents (see
        Query.batches)."""
        return self._batches(FilterSpec(), size)

    def query(
        self,
        sources: Union[str, Iterable[str], None] = None,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        undated: Optional[bool] = None,
        *,
        match: Union[str, Iterable[str], None] = None,
        match_any: Union[str, Iterable[str], None] = None,
        columns: Union[str, Sequence[str], None] = None,
        batch_size: Optional[int] = None,
        threads: Optional[int] = None,
    ) -> Query:
        """The documents whose source is any of sources (None or an empty
        list: the source does not matter, as in libquire's filter) and whose
        date lies in [from_, to]; partial dates cover their whole period
        ("2016" to "2016" is the whole year). undated=None includes undated
        documents only when no date bound is set. match: a term (or several,
        all required) whose words the title or text holds, one after
        another, compared case-insensitively ("Belt and Road"); match_any:
        terms of which at least one must occur. docs/guide.md, "Terms",
        defines words.
        columns (doc, source, date, date_precision, date_text, title,
        author, url, text; None for all), batch_size (documents per record
        batch) and threads (1: the calling thread only; None: libquire's
        default) shape the query's Arrow stream; columns not named are
        never read."""
        spec = FilterSpec(sources, from_, to, undated, match, match_any)
        return Query(self, spec, columns, batch_size, threads)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """Every document, every column, as an Arrow C stream in a PyCapsule
        (the Arrow PyCapsule protocol): ``polars.DataFrame(corpus)``."""
        return self._arrow_stream(FilterSpec(), b"", 0, 0)

    def to_arrow(
        self,
        columns: Union[str, Sequence[str], None] = None,
        batch_size: Optional[int] = None,
    ) -> Any:
        """Every document as a pyarrow Table of the given columns (None for
        all). Needs pyarrow."""
        return Query(self, FilterSpec(), columns, batch_size).to_arrow()

    def count(
        self,
        sources: Union[str, Iterable[str], None] = None,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        undated: Optional[bool] = None,
        *,
        match: Union[str, Iterable[str], None] = None,
        match_any: Union[str, Iterable[str], None] = None,
    ) -> int:
        """The number of documents query() would yield: from the indexes, or
        with terms by reading the candidates' words (exact either way)."""
        return self._count(FilterSpec(sources, from_, to, undated, match, match_any))

    def doc(self, n: int) -> Document:
        """Document number n (0-based, in file order)."""
        names = self._source_names()  # before the lock: it enters a call
        with self._state.lock:
            reader = self._reader(n)
            date = lib.quire_cursor_date(reader)
            return Document(
                self,
                lib.quire_cursor_doc(reader),
                names[lib.quire_cursor_source_id(reader)],
                None if date == NO_DATE else date,
                lib.quire_cursor_text_length(reader),
                lib.quire_cursor_date_precision(reader),
            )

    def __getitem__(self, n: int) -> Document:
        count = len(self)  # StateError once closed
        if n < 0:
            n += count
        if not 0 <= n < count:
            raise IndexError(f"document {n} out of range (corpus has {count})")
        return self.doc(n)

    def export_csv(
        self,
        dest: Union[PathLike, IO[Any]],
        *,
        columns: Union[str, Sequence[str], None] = None,
        dialect: str = "plain",
        split_rows: Optional[int] = None,
        sources: Union[str, Iterable[str], None] = None,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        undated: Optional[bool] = None,
        match: Union[str, Iterable[str], None] = None,
        match_any: Union[str, Iterable[str], None] = None,
        progress: Optional[ProgressFn] = None,
    ) -> ExportResult:
        """Writes the documents (all, or those matching the filter, terms as
        in query()) as CSV to a path, atomically, or to a file object
        (copied from open_csv()). columns may name the fields and the
        derived year, month, day, datetime_utc and date_precision. With
        split_rows (a path only), numbered files of at most that many rows
        each: out-001.csv, ...

        progress(done, total) is called on this thread while the export
        runs: done rows of total, the number of documents selected (0 when
        match or match_any make it unknown before the end), at least every
        1,024 rows and once at the end. An exception it raises stops the
        export (no file is left at a path) and is raised here."""
        spec = FilterSpec(sources, from_, to, undated, match, match_any)
        return self._export(spec, dest, columns, dialect, split_rows, progress=progress)

    def open_csv(
        self,
        *,
        columns: Union[str, Sequence[str], None] = None,
        dialect: str = "plain",
        sources: Union[str, Iterable[str], None] = None,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        undated: Optional[bool] = None,
        match: Union[str, Iterable[str], None] = None,
        match_any: Union[str, Iterable[str], None] = None,
        progress: Optional[ProgressFn] = None,
    ) -> "CsvExport":
        """The CSV export_csv() writes, as a binary file object (a
        CsvExport, an io.RawIOBase) that produces it as it is read, with no
        thread and flat memory: for shutil.copyfileobj(), an HTTP response
        body, io.TextIOWrapper(..., encoding="utf-8", newline="") or
        csv.reader over that. Close it (or use with) when done; closing the
        corpus first makes its next read raise StateError. progress as in
        export_csv(), called inside the reads; its exception comes out of
        the read."""
        spec = FilterSpec(sources, from_, to, undated, match, match_any)
        return _open_csv(self, spec, columns, dialect, progress)

    def export_xlsx(
        self,
        path: PathLike,
        *,
        columns: Union[str, Sequence[str], None] = None,
        split_rows: Optional[int] = None,
        sources: Union[str, Iterable[str], None] = None,
        from_: Optional[DateLike] = None,
        to: Optional[DateLike] = None,
        undated: Optional[bool] = None,
        match: Union[str, Iterable[str], None] = None,
        match_any: Union[str, Iterable[str], None] = None,
        progress: Optional[ProgressFn] = None,
    ) -> ExportResult:
        """Writes the documents (all, or those matching the filter) as an
        Excel workbook (XLSX) to path, atomically: text cells never run as
        formulas, full dates as date cells, a frozen header with a filter,
        a new sheet every 1,048,575 rows. progress as in export_csv()."""
        spec = FilterSpec(sources, from_, to, undated, match, match_any)
        return self._export(spec, path, columns, "plain", split_rows, xlsx=True,
                            progress=progress)

    # ---- internals shared with Query and Document ----------------------------

    def _reader(self, n: int) -> c_void_p:
        """The random-access cursor moved to document n. Call with the lock
        held."""
        state = self._state
        handle = state.require()
        if state.reader is None:
            reader = c_void_p()
            rc = lib.quire_cursor_open(handle, None, byref(reader))
            if rc != 0:
                take_failed_handle(rc, reader, lib.quire_cursor_errmsg, lib.quire_cursor_free)
            state.reader = reader
            state.reader_doc = -1
        if state.reader_doc != n:
            if n < 0:
                raise NotFoundError(f"no document {n}")
            state.reader_doc = -1
            check(lib.quire_cursor_seek(state.reader, n), lib.quire_cursor_errmsg, state.reader)
            state.reader_doc = n
        return state.reader

    def _read_precision(self, n: int) -> int:
        with self._state.lock:
            return lib.quire_cursor_date_precision(self._reader(n))

    def _read_field(self, n: int, field: int) -> str:
        with self._state.lock:
            reader = self._reader(n)
            data, length = c_void_p(), c_size_t()
            rc = lib.quire_cursor_field(reader, field, byref(data), byref(length))
            check(rc, lib.quire_cursor_errmsg, reader)
            return decode(data.value, length.value)

    def _count(self, spec: FilterSpec) -> int:
        count = c_uint64()
        with spec.build() as filt:
            handle = self._state.enter()
            try:
                rc = lib.quire_corpus_count_matches(handle, filt, byref(count))
                check(rc, lib.quire_corpus_errmsg, handle)
            finally:
                self._state.leave()
        return count.value

    def _iterate(self, spec: FilterSpec) -> Iterator[Document]:
        key, cursor = _open_cursor(self._state, spec)
        return self._generate(key, cursor)

    def _generate(self, key: int, cursor: c_void_p) -> Iterator[Document]:
        # The hot loop of the package. A call into C through ctypes costs far
        # more than the C behind it, so documents come DEFAULT_SIZE at a time
        # from one call; the rest (date text, title, author, url, text) is
        # read on first use, through the corpus's reader cursor, which seeks
        # to the document.
        state, names = self._state, self._source_names()
        try:
            for columns in batches(cursor, DEFAULT_SIZE, state):
                yield from documents(self, names, columns)
        finally:
            state.free_cursor(key)

    def _batches(self, spec: FilterSpec, size: int) -> Iterator[Batch]:
        check_size(size)
        key, cursor = _open_cursor(self._state, spec)
        return self._generate_batches(key, cursor, size)

    def _generate_batches(self, key: int, cursor: c_void_p, size: int) -> Iterator[Batch]:
        state, names = self._state, self._source_names()
        try:
            for columns in batches(cursor, size, state):
                yield Batch(self, names, columns)
        finally:
            state.free_cursor(key)

    def _arrow_stream(self, spec: FilterSpec, columns: bytes, batch_size: int, threads: int) -> Any:
        state = self._state
        handle = state.enter()
        try:
            # A corpus on a buffer: the stream keeps the bytes alive, since
            # libquire reads them until the stream is released.
            return _arrow.stream_capsule(handle, spec, columns, batch_size, threads, state.data)
        finally:
            state.leave()

    def _export(
        self,
        spec: FilterSpec,
        dest: Union[PathLike, IO[Any]],
        columns: Union[str, Sequence[str], None],
        dialect: str,
        split_rows: Optional[int] = None,
        xlsx: bool = False,
        progress: Optional[ProgressFn] = None,
    ) -> ExportResult:
        _check_dialect(dialect)
        if split_rows is not None and (
            not isinstance(split_rows, int) or isinstance(split_rows, bool) or split_rows < 1
        ):
            raise InvalidArgumentError(f"split_rows must be a whole number above 0, not {split_rows!r}")
        if (xlsx or split_rows) and not isinstance(dest, (str, bytes, os.PathLike)):
            raise InvalidArgumentError("an XLSX or split export needs a path")
        tracker = progress_for(progress)
        handle = self._state.enter()  # the whole export is one call in flight
        try:
            return _export_with(handle, spec, dest, columns, dialect, split_rows, xlsx, tracker)
        finally:
            self._state.leave()


def _export_with(
    handle: c_void_p,
    spec: FilterSpec,
    dest: Union[PathLike, IO[Any]],
    columns: Union[str, Sequence[str], None],
    dialect: str,
    split_rows: Optional[int],
    xlsx: bool,
    progress: Optional[Progress],
) -> ExportResult:
    exp = _new_export(handle, spec, columns, dialect, progress)
    try:
        if split_rows:
            check(lib.quire_export_set_split_rows(exp, split_rows), lib.quire_export_errmsg, exp)
        if isinstance(dest, (str, bytes, os.PathLike)):
            run = lib.quire_export_to_xlsx if xlsx else lib.quire_export_to_path
            rc = run(exp, encode_path(dest))
            if progress is not None:
                progress.check(rc, lib.quire_export_errmsg, exp)
            check(rc, lib.quire_export_errmsg, exp)
            return _export_result(exp, lib.quire_export_files(exp))
        # The caller holds the corpus (a call in flight) for the whole copy.
        return _copy_to_file(CsvExport(exp, progress), dest)
    finally:
        lib.quire_export_free(exp)


def _new_export(
    handle: c_void_p,
    spec: FilterSpec,
    columns: Union[str, Sequence[str], None],
    dialect: str,
    progress: Optional[Progress],
) -> c_void_p:
    """A configured C export of the corpus handle; the caller frees it."""
    exp = c_void_p()
    rc = lib.quire_export_new(handle, byref(exp))
    if rc != 0:
        take_failed_handle(rc, exp, lib.quire_export_errmsg, lib.quire_export_free)
    try:
        err = lib.quire_export_errmsg
        with spec.build() as filt:
            if filt is not None:
                check(lib.quire_export_set_filter(exp, filt), err, exp)
        if columns is not None:
            raw = encode(columns if isinstance(columns, str) else ",".join(columns))
            check(lib.quire_export_set_columns(exp, raw, len(raw)), err, exp)
        check(lib.quire_export_set_dialect(exp, _DIALECTS[dialect]), err, exp)
        if progress is not None:
            check(lib.quire_export_set_progress(exp, progress.c_fn, None), err, exp)
    except BaseException:
        lib.quire_export_free(exp)
        raise
    return exp


def _export_result(exp: c_void_p, files: int = 1) -> ExportResult:
    return ExportResult(
        lib.quire_export_rows(exp),
        lib.quire_export_cells_cut(exp),
        lib.quire_export_rows_over_sheet(exp),
        files,
    )


def _check_dialect(dialect: str) -> None:
    if dialect not in _DIALECTS:
        raise InvalidArgumentError(f"unknown CSV dialect {dialect!r} (plain or excel)")


def _copy_to_file(source: "CsvExport", dest: IO[Any]) -> ExportResult:
    """Copies the CSV into a file object, chunk by chunk. An exception
    raised by the file stops the export and goes to the caller."""
    # A text file gets str; a chunk may end inside a UTF-8 sequence.
    utf8 = codecs.getincrementaldecoder("utf-8")() if isinstance(dest, io.TextIOBase) else None
    with source:
        while True:
            chunk = source.read(CHUNK_SIZE)
            if not chunk:
                break
            dest.write(utf8.decode(chunk) if utf8 is not None else chunk)
        if utf8 is not None:
            tail = utf8.decode(b"", final=True)
            if tail:
                dest.write(tail)
        assert source.result is not None  # read to the end
        return source.result


CHUNK_SIZE = 256 << 10  # bytes export_csv() pulls from libquire at a time


class CsvExport(io.RawIOBase):
    """The CSV of a selection as a binary, read-only file object, pulled
    from libquire (quire_export_read()) as it is read: no thread, no
    callback, memory flat whatever the size. Made by Corpus.open_csv() and
    Query.open_csv(). Use it as a context manager or close() it; it works
    wherever a binary file does::

        with corpus.open_csv(from_="2017") as src, open("out.csv", "wb") as dst:
            shutil.copyfileobj(src, dst)
        text = io.TextIOWrapper(corpus.open_csv(), encoding="utf-8", newline="")

    Once read to the end, result is the ExportResult (rows, cells_cut...).
    Each read is a call in flight of the corpus: closing the corpus (from
    any thread) lets a read in progress finish, and the next read raises
    StateError. progress(done, total) runs inside the read that made the
    progress; an exception it raises ends the export and comes out of that
    read."""

    def __init__(self, exp: c_void_p, progress: Optional[Progress],
                 state: Optional[_State] = None, corpus: Optional["Corpus"] = None) -> None:
        super().__init__()
        # With state, this object owns exp, registered with the corpus so
        # that closing the corpus frees it first; it keeps the Corpus
        # referenced, so that `quire.open(p).open_csv()` is not closed by
        # the collector under it. Without, the caller owns exp and holds
        # the corpus for as long as this object reads.
        self._exp: Optional[c_void_p] = exp
        self._state = state
        self._corpus = corpus
        self._progress = progress
        self._lock = threading.Lock()  # one read at a time; close() waits
        self._ended = False
        self.result: Optional[ExportResult] = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._lock:
            if self.closed or self._exp is None:
                raise ValueError("I/O operation on a closed CSV export")
            if self._ended:
                return 0
            with memoryview(buffer) as view, view.cast("B") as out:
                if not len(out):
                    return 0
                target = (ctypes.c_char * len(out)).from_buffer(out)
                try:
                    return self._read(target, len(out))
                finally:
                    del target  # lets go of the caller's buffer

    def _read(self, target: Any, cap: int) -> int:
        state, exp, n = self._state, self._exp, c_size_t()
        if state is not None:
            state.enter()  # StateError once the corpus is closed
        try:
            rc = lib.quire_export_read(exp, target, cap, byref(n))
            if rc == DONE:
                self._ended = True
                self.result = _export_result(exp)
                return 0
            # After a failure libquire answers QUIRE_ESTATE: never a false end.
            if self._progress is not None:
                self._progress.check(rc, lib.quire_export_errmsg, exp)
            check(rc, lib.quire_export_errmsg, exp)
            return n.value
        finally:
            if state is not None:
                state.leave()

    def close(self) -> None:
        with self._lock:
            exp, self._exp = self._exp, None
            if exp is not None and self._state is not None:
                self._state.free_export(exp)
        super().close()


def _open_csv(corpus: "Corpus", spec: FilterSpec, columns: Union[str, Sequence[str], None],
              dialect: str, progress: Optional[ProgressFn]) -> CsvExport:
    _check_dialect(dialect)
    tracker = progress_for(progress)
    state = corpus._state
    handle = state.enter()
    try:
        exp = _new_export(handle, spec, columns, dialect, tracker)
        with state.lock:  # close() waits for this call: the corpus is open
            state.exports[exp.value or 0] = exp
        return CsvExport(exp, tracker, state, corpus)
    finally:
        state.leave()
