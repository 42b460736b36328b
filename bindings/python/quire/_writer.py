"""Writer: packs documents into a new .quire file; CSV import."""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from ctypes import byref, c_uint64, c_void_p, sizeof
from typing import (
    TYPE_CHECKING,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Union,
)

from ._common import (
    FIELD_AUTHOR,
    Progress,
    ProgressFn,
    progress_for,
    FIELD_DATE,
    FIELD_FILE,
    FIELD_IGNORE,
    FIELD_SOURCE,
    FIELD_TEXT,
    FIELD_TITLE,
    FIELD_URL,
    DateLike,
    PathLike,
    Text,
    check,
    date_text,
    encode,
    encode_path,
    take_failed_handle,
)
from ._dups import kind_mask
from ._errors import InvalidArgumentError, StateError, closed
from ._lib import lib
from ._prototypes import CDocument

if TYPE_CHECKING:  # pragma: no cover
    from ._corpus import Corpus

_ORDERS = {"clustered": 0, "input": 1}
_CODECS = {"zstd": 1, "deflate": 0}
_UTF8 = {"reject": 0, "replace": 1}
_FIELDS = {
    "source": FIELD_SOURCE,
    "date": FIELD_DATE,
    "title": FIELD_TITLE,
    "author": FIELD_AUTHOR,
    "url": FIELD_URL,
    "text": FIELD_TEXT,
    "file": FIELD_FILE,
    "ignore": FIELD_IGNORE,
}


class ImportResult(NamedTuple):
    rows: int  # rows added by this import
    skipped: int  # bad rows skipped (skip_bad_rows=True)
    skipped_rows: List[int]  # their 1-based record numbers (header is 1)
    warnings: List[str]


def _choice(table: Dict[str, int], value: str, what: str) -> int:
    try:
        return table[value]
    except KeyError:
        options = ", ".join(table)
        raise InvalidArgumentError(f"unknown {what} {value!r} ({options})") from None


class Writer:
    """Writes a corpus to path. Nothing appears at path until finish()
    succeeds; a writer closed (or collected) unfinished leaves path as it
    was. As a context manager it finishes on success and abandons the file
    when the block raises. dedup ("url", "text", "near" or several) drops
    each document that duplicates one added before (see find_dups);
    similarity is the near threshold.

    progress(done, total) is called on the thread of finish() while it puts
    the documents into blocks (where a clustered writer does most of its
    work): done documents of total, at least every 4,096 and once at the
    end. An exception it raises stops finish(), which raises it; the writer
    is then failed and nothing is written at path.

    A writer may be shared by threads: its calls run one at a time, and
    close() from another thread waits for the call in flight; every later
    call raises StateError."""

    def __init__(
        self,
        path: PathLike,
        *,
        block_size: Optional[int] = None,
        level: Optional[int] = None,
        order: str = "clustered",
        utf8: str = "reject",
        threads: Optional[int] = None,
        codec: str = "zstd",
        dictionary_size: Optional[int] = None,
        dedup: Union[str, Iterable[str], None] = None,
        similarity: Optional[float] = None,
        word_summaries: bool = True,
        progress: Optional[ProgressFn] = None,
    ) -> None:
        handle = self._attach(lib.quire_writer_open, path)
        try:
            self._configure(block_size, level, order, utf8, threads, codec, dictionary_size)
            self._set_dedup(dedup, similarity)
            self._set_progress(progress)
            # Per-block word summaries: what lets match= skip blocks.
            if not word_summaries:
                check(lib.quire_writer_set_word_summaries(handle, 0),
                      lib.quire_writer_errmsg, handle)
        except BaseException:
            self.close()
            raise

    @classmethod
    def append(
        cls,
        path: PathLike,
        *,
        threads: Optional[int] = None,
        dedup: Union[str, Iterable[str], None] = None,
        similarity: Optional[float] = None,
        progress: Optional[ProgressFn] = None,
    ) -> "Writer":
        """A writer that appends to the corpus at path: its documents keep
        their numbers and fields, those added (add(), import_csv(),
        add_corpus()) follow, compressed as the corpus was (codec, level,
        block size, order, dictionaries). finish() replaces the file
        atomically; closed unfinished, or leaving a with block by an
        exception, the file is left as it was. dedup also drops new
        documents that duplicate old ones; progress as for Writer(). Raises NotFoundError,
        NotQuireError, CorruptError... when path is no readable corpus."""
        self = cls.__new__(cls)
        self._attach(lib.quire_writer_open_append, path)
        try:
            if threads is not None:
                check(lib.quire_writer_set_threads(self._handle, threads),
                      lib.quire_writer_errmsg, self._handle)
            self._set_dedup(dedup, similarity)
            self._set_progress(progress)
        except BaseException:
            self.close()
            raise
        return self

    def _attach(self, opener: object, path: PathLike) -> c_void_p:
        """Opens the C writer through opener (quire_writer_open or
        quire_writer_open_append) and takes it; raises on failure."""
        handle = c_void_p()
        rc = opener(encode_path(path), byref(handle))  # type: ignore[operator]
        if rc != 0:
            take_failed_handle(rc, handle, lib.quire_writer_errmsg, lib.quire_writer_free)
        self._handle: Optional[c_void_p] = handle
        # The bytes of corpora opened on a buffer and added with
        # add_corpus(): the C writer reads them until it is closed.
        self._held: List[bytes] = []
        self._finished = False  # finish() succeeded: the with block's end skips it
        self._progress: Optional[Progress] = None  # finish()'s, kept alive for C
        self._busy = False  # in finish() or import_csv(): see _running()
        # The C writer takes one call at a time: every call holds this lock,
        # so calls from several threads queue, and close() waits for the
        # call in flight instead of freeing the writer under it. Reentrant,
        # so that a progress callback on the calling thread can close().
        self._lock = threading.RLock()
        self._finalizer = weakref.finalize(self, _close_writer, handle, self._held)
        return handle

    def _set_progress(self, progress: Optional[ProgressFn]) -> None:
        if progress is not None:
            h, self._progress = self._handle, Progress(progress)
            check(lib.quire_writer_set_progress(h, self._progress.c_fn, None),
                  lib.quire_writer_errmsg, h)

    def _set_dedup(self, dedup: Union[str, Iterable[str], None],
                   similarity: Optional[float]) -> None:
        if dedup is not None:
            h = self._handle
            check(lib.quire_writer_set_dedup(h, kind_mask(dedup), similarity or 0.0),
                  lib.quire_writer_errmsg, h)

    def _configure(
        self,
        block_size: Optional[int],
        level: Optional[int],
        order: str,
        utf8: str,
        threads: Optional[int],
        codec: str,
        dictionary_size: Optional[int],
    ) -> None:
        h, err = self._handle, lib.quire_writer_errmsg
        # The codec first: it resets the level to its own default.
        check(lib.quire_writer_set_codec(h, _choice(_CODECS, codec, "codec")), err, h)
        if dictionary_size is not None:
            if not 0 <= dictionary_size < 2**32:
                raise InvalidArgumentError(f"dictionary size {dictionary_size} is out of range")
            check(lib.quire_writer_set_dictionary_size(h, dictionary_size), err, h)
        if block_size is not None:
            check(lib.quire_writer_set_block_size(h, block_size), err, h)
        if level is not None:
            check(lib.quire_writer_set_level(h, level), err, h)
        check(lib.quire_writer_set_order(h, _choice(_ORDERS, order, "order")), err, h)
        check(lib.quire_writer_set_utf8(h, _choice(_UTF8, utf8, "utf8 policy")), err, h)
        if threads is not None:
            check(lib.quire_writer_set_threads(h, threads), err, h)

    def _require(self) -> c_void_p:
        """The handle, for a call made with self._lock held."""
        if self._handle is None:
            raise closed("writer")
        if self._busy:
            raise StateError("the writer is in finish() or import_csv() (progress)")
        return self._handle

    @contextmanager
    def _running(self) -> Iterator[c_void_p]:
        """The handle for a call that may run Python code (progress): calls
        on the writer from inside raise StateError, and a close() from
        inside frees the writer once the call has returned."""
        h = self._require()
        self._busy = True
        try:
            yield h
        finally:
            self._busy = False
            if self._handle is None:
                self._finalizer()

    def add(
        self,
        *,
        source: Text = None,
        date: Optional[DateLike] = None,
        title: Text = "",
        author: Text = "",
        url: Text = "",
        text: Text = "",
    ) -> None:
        """Adds one document. A None or empty source or date means the
        document has none. A bad document (date, UTF-8, size) raises and is
        not added; the writer stays usable."""
        s, d, ti = encode(source), date_text(date), encode(title)
        a, u, tx = encode(author), encode(url), encode(text)
        fields = (s, len(s), d, len(d), ti, len(ti), a, len(a), u, len(u), tx, len(tx))
        doc = CDocument(sizeof(CDocument), *fields)
        with self._lock:
            h = self._require()
            rc = lib.quire_writer_add_document(h, byref(doc))
            if rc != 0:
                check(rc, lib.quire_writer_errmsg, h)

    def add_corpus(self, corpus: Union["Corpus", PathLike, bytes]) -> None:
        """Adds every document of corpus (an open Corpus, a path, or the
        bytes of a .quire file) by copying its compressed blocks as they
        are: this is how corpora are merged. The order is the writer's:
        "input" puts them after the documents added before; "clustered"
        orders whole blocks by the source and date of their first document.
        With dedup each document is checked and the later copies dropped.
        The corpus may be closed (or collected) right after the call: the
        writer keeps what it needs until it is closed. Raises CorruptError
        for a damaged corpus (the writer is then failed: leave the with
        block or close it), StateError for a closed corpus or writer."""
        from ._corpus import Corpus

        if corpus is None:
            raise InvalidArgumentError("add_corpus() needs a corpus, got None")
        with self._lock:
            h = self._require()
            if isinstance(corpus, Corpus):
                self._add_open_corpus(h, corpus)
            else:
                with Corpus(corpus) as opened:
                    self._add_open_corpus(h, opened)

    def _add_open_corpus(self, h: c_void_p, corpus: "Corpus") -> None:
        state = corpus._state  # noqa: SLF001 (the package's own corpus)
        # A call in flight: close() from another thread waits for it.
        c_corpus = state.enter()
        try:
            rc = lib.quire_writer_add_corpus(h, c_corpus)
            if state.data is not None:
                self._held.append(state.data)
        finally:
            state.leave()
        check(rc, lib.quire_writer_errmsg, h)

    def __len__(self) -> int:
        """Documents added so far."""
        with self._lock:
            return lib.quire_writer_doc_count(self._require())

    @property
    def dropped(self) -> int:
        """Documents not added because they duplicate one kept (dedup=)."""
        with self._lock:
            return lib.quire_writer_dropped(self._require())

    def import_csv(
        self,
        csv: Union[PathLike, bytes],
        *,
        columns: Optional[Mapping[str, str]] = None,
        skip_bad_rows: bool = False,
        base_dir: Optional[PathLike] = None,
        name: Optional[str] = None,
        progress: Optional[ProgressFn] = None,
    ) -> ImportResult:
        """Adds every row of a CSV file (a path, to a file plain or compressed
        with gzip or zstd, recognized by its first bytes; or the bytes of
        CSV, which may be compressed the same way). The header row names
        the columns; columns maps header names to fields (source, date,
        title, author, url, text, file: a file whose contents are the
        text, ignore), overriding libquire's
        aliases. On failure the rows already added stay: leave the with
        block by the exception to write nothing.

        progress(done, total) is called on this thread while the CSV is
        read: done bytes of total, the file's size (0 when it is not known,
        as for a pipe), at least every MiB and once at the end. An
        exception it raises stops the import and is raised here."""
        with self._lock:
            return self._import_csv(csv, columns, skip_bad_rows, base_dir, name, progress)

    def _import_csv(
        self,
        csv: Union[PathLike, bytes],
        columns: Optional[Mapping[str, str]],
        skip_bad_rows: bool,
        base_dir: Optional[PathLike],
        name: Optional[str],
        progress: Optional[ProgressFn],
    ) -> ImportResult:
        h = self._require()
        tracker = progress_for(progress)
        imp = c_void_p()
        rc = lib.quire_import_new(byref(imp))
        if rc != 0:
            take_failed_handle(rc, imp, lib.quire_import_errmsg, lib.quire_import_free)
        try:
            _configure_import(imp, columns, skip_bad_rows, base_dir)
            if tracker is not None:
                check(lib.quire_import_set_progress(imp, tracker.c_fn, None),
                      lib.quire_import_errmsg, imp)
            with self._running():
                if isinstance(csv, bytes):
                    label = encode(name) if name is not None else None
                    rc = lib.quire_import_csv_buffer(imp, h, csv, len(csv), label)
                else:
                    rc = lib.quire_import_csv_path(imp, h, encode_path(csv))
            if tracker is not None:
                tracker.check(rc, lib.quire_import_errmsg, imp)
            check(rc, lib.quire_import_errmsg, imp)
            return _import_result(imp)
        finally:
            lib.quire_import_free(imp)

    def finish(self) -> int:
        """Writes the indexes, syncs and renames the file into place.
        Returns the number of documents written."""
        with self._lock, self._running() as h:
            rc = lib.quire_writer_finish(h)
            if self._progress is not None:
                self._progress.check(rc, lib.quire_writer_errmsg, h)
            check(rc, lib.quire_writer_errmsg, h)
            self._finished = True
            return lib.quire_writer_doc_count(h)

    def close(self) -> None:
        """Frees the writer; an unfinished file is removed. Safe twice.
        From a progress callback, the writer is freed when the call it
        follows returns. From another thread, waits for the call in flight."""
        with self._lock:
            self._handle = None
            if not self._busy:
                self._finalizer()

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if exc_type is None and self._handle is not None and not self._finished:
                self.finish()
        finally:
            self.close()


def _close_writer(handle: c_void_p, held: List[bytes]) -> None:
    """Frees the C writer, then lets go of the buffers it read from."""
    lib.quire_writer_free(handle)
    held.clear()


def _configure_import(
    imp: c_void_p,
    columns: Optional[Mapping[str, str]],
    skip_bad_rows: bool,
    base_dir: Optional[PathLike],
) -> None:
    err = lib.quire_import_errmsg
    for header, field in (columns or {}).items():
        raw = encode(header)
        code = _choice(_FIELDS, field, "field")
        check(lib.quire_import_map_column(imp, raw, len(raw), code), err, imp)
    check(lib.quire_import_set_skip_bad_rows(imp, 1 if skip_bad_rows else 0), err, imp)
    if base_dir is not None:
        check(lib.quire_import_set_base_dir(imp, encode_path(base_dir)), err, imp)


def _import_result(imp: c_void_p) -> ImportResult:
    skipped = lib.quire_import_skipped(imp)
    rows: List[int] = []
    row = c_uint64()
    for index in range(skipped):
        if lib.quire_import_skipped_row(imp, index, byref(row)) != 0:
            break  # only the first 1,000 are kept
        rows.append(row.value)
    warnings = (lib.quire_import_warnings(imp) or b"").decode("utf-8", "replace")
    return ImportResult(
        lib.quire_import_rows(imp), skipped, rows, [w for w in warnings.splitlines() if w]
    )


def import_csv(
    csv: Union[PathLike, bytes],
    out: PathLike,
    *,
    columns: Optional[Mapping[str, str]] = None,
    skip_bad_rows: bool = False,
    base_dir: Optional[PathLike] = None,
    progress: Optional[ProgressFn] = None,
    **writer_options: object,
) -> ImportResult:
    """Packs a CSV file into a new corpus at out; on failure nothing is
    written. writer_options are Writer's keyword arguments; progress is the
    import's (Writer.import_csv()): bytes of the CSV read."""
    with Writer(out, **writer_options) as writer:  # type: ignore[arg-type]
        return writer.import_csv(
            csv, columns=columns, skip_bad_rows=skip_bad_rows, base_dir=base_dir,
            progress=progress,
        )
