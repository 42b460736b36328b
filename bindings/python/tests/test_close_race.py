"""close() against threads inside count(), batch iteration, export_csv()
and the lazily read fields of documents: the process survives and every
call either completes or raises StateError (ctypes lets other threads run
while one is in C, so close() must wait for the calls in flight)."""

from __future__ import annotations

import io
import random
import threading
from pathlib import Path
from typing import Callable, List

import quire

from conftest import model_docs, write_corpus

ROUNDS = 300


def _count(corpus: quire.Corpus) -> None:
    while True:
        assert corpus.count(from_="2015") > 0
        assert len(corpus) == 3000


def _iterate(corpus: quire.Corpus) -> None:
    while True:
        total = sum(len(b) for b in corpus.query(from_="2014").batches(size=64))
        assert total > 0


def _export(corpus: quire.Corpus) -> None:
    while True:
        out = io.BytesIO()
        rows, _ = corpus.export_csv(out, columns="date,source,title", from_="2015")
        assert rows > 0 and out.getvalue().count(b"\n") >= rows


def _documents(corpus: quire.Corpus) -> None:
    while True:
        for doc in corpus.query(sources="Xinhua"):
            assert isinstance(doc.text, str)


def _run(work: Callable[[quire.Corpus], None], corpus: quire.Corpus,
         outcomes: List[str], start: threading.Barrier) -> None:
    start.wait()
    try:
        work(corpus)
    except quire.StateError:
        outcomes.append("StateError")
    except BaseException as exc:  # any other outcome fails the test
        outcomes.append(f"{type(exc).__name__}: {exc}")


def test_close_while_threads_count_iterate_and_export(tmp_path: Path) -> None:
    path = write_corpus(tmp_path / "race.quire", model_docs(3000), block_size=8192)
    rng = random.Random(15)
    works = [_count, _iterate, _export, _documents]
    for _ in range(ROUNDS):
        corpus = quire.open(path)
        outcomes: List[str] = []
        start = threading.Barrier(len(works) + 1)
        threads = [threading.Thread(target=_run, args=(w, corpus, outcomes, start)) for w in works]
        for t in threads:
            t.start()
        start.wait()
        threading.Event().wait(rng.random() * 0.004)
        corpus.close()
        for t in threads:
            t.join(10)
            assert not t.is_alive(), "a call hung after close()"
        assert outcomes == ["StateError"] * len(works)
        assert corpus.closed


def test_close_from_an_export_callback_waits_for_nothing(tmp_path: Path) -> None:
    """A file object that closes the corpus while the export writes to it:
    close() cannot wait for its own thread's call, so the export ends with
    the file's error or completes, and the corpus is closed afterwards."""
    path = write_corpus(tmp_path / "cb.quire", model_docs(300))
    corpus = quire.open(path)

    class Closing(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[override]
            corpus.close()
            return len(b)

    corpus.export_csv(Closing())  # the export in flight completes
    assert corpus.closed
    try:
        corpus.count()
    except quire.StateError:
        pass
    else:
        raise AssertionError("count() after close() did not raise StateError")


def test_sources_are_not_returned_after_close(tmp_path: Path) -> None:
    corpus = quire.open(write_corpus(tmp_path / "s.quire", model_docs(50)))
    assert corpus.sources  # cached now
    corpus.close()
    try:
        corpus.sources
    except quire.StateError:
        pass
    else:
        raise AssertionError("Corpus.sources after close() did not raise StateError")


def _add(writer: quire.Writer, docs: List[dict]) -> None:
    while True:
        for doc in docs:
            writer.add(**doc)
        assert len(writer) > 0


def _add_corpus(writer: quire.Writer, path: Path) -> None:
    while True:
        writer.add_corpus(path)


def _import(writer: quire.Writer, csv: bytes) -> None:
    while True:
        writer.import_csv(csv)
        _ = writer.dropped


def test_writer_close_while_threads_add_and_import(tmp_path: Path) -> None:
    """A Writer is one C writer, which takes one call at a time: calls from
    several threads queue, and close() waits for the call in flight. Every
    call either completes or raises StateError, and no file is left."""
    docs = [dict(d) for d in model_docs(40)]
    source = write_corpus(tmp_path / "in.quire", model_docs(200), block_size=8192)
    csv = b"source,date,title,text\n" + b"".join(
        b"Xinhua,2016-0%d-01,t%d,%s\n" % (1 + i % 9, i, b"word " * 50) for i in range(100))
    rng = random.Random(16)
    for round_ in range(ROUNDS // 3):
        out = tmp_path / f"out-{round_}.quire"
        writer = quire.Writer(out)
        outcomes: List[str] = []
        start = threading.Barrier(4)
        works = [(_add, docs), (_add_corpus, source), (_import, csv)]
        threads = [threading.Thread(target=_run, args=(lambda w, f=f, a=a: f(w, a), writer,
                                                       outcomes, start))
                   for f, a in works]
        for t in threads:
            t.start()
        start.wait()
        threading.Event().wait(rng.random() * 0.004)
        writer.close()
        for t in threads:
            t.join(10)
            assert not t.is_alive(), "a call hung after close()"
        assert outcomes == ["StateError"] * len(works)
        assert not out.exists()
