"""The pull-style CSV export (Corpus.open_csv(), quire_export_read()) and the
progress callbacks of export, import and a clustered finish."""

from __future__ import annotations

import csv
import io
import shutil
import threading
from pathlib import Path

import pytest

import quire
from conftest import ROUND_TRIP_DOCS, model_docs, write_corpus

# The selections every comparison runs: plain and excel dialect, a filter,
# chosen columns, terms.
SELECTIONS = [
    {},
    {"dialect": "excel"},
    {"from_": "2016", "undated": False},
    {"columns": "date,title,year,datetime_utc"},
    {"columns": ["url", "id"], "dialect": "excel", "to": "2017-06"},
]


def read_all(export: quire.CsvExport, size: int) -> bytes:
    """Every byte of export, read with readinto() into a buffer of size."""
    buf = bytearray(size)
    out = bytearray()
    while True:
        n = export.readinto(buf)
        if not n:
            return bytes(out)
        assert 0 < n <= size
        out += buf[:n]


def path_export(corpus: quire.Corpus, tmp_path: Path, **options) -> bytes:
    """The bytes quire_export_to_path() writes."""
    return path_export_result(corpus, tmp_path, **options)[0]


def path_export_result(corpus: quire.Corpus, tmp_path: Path, **options):
    out = tmp_path / "ref.csv"
    result = corpus.export_csv(out, **options)
    return out.read_bytes(), result


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "gen.quire", model_docs(1500, 21), block_size=16384)


@pytest.mark.parametrize("options", SELECTIONS)
def test_pull_equals_path_export_on_generated_documents(generated, tmp_path, options):
    with quire.open(generated) as corpus:
        want, result = path_export_result(corpus, tmp_path, **options)
        with corpus.open_csv(**options) as export:
            assert export.result is None
            got = read_all(export, 1 << 20)
            assert export.result == result
        assert got == want
        with corpus.open_csv(**options) as export:
            assert read_all(export, 4093) == want
        assert len(want) > 20_000  # many reads


@pytest.mark.parametrize("options", SELECTIONS)
def test_pull_equals_path_export_on_the_seeds(seeds, tmp_path, options):
    path, rows = seeds
    with quire.open(path) as corpus:
        want = path_export(corpus, tmp_path, **options)
        for size in (7, 65536):
            with corpus.open_csv(**options) as export:
                assert read_all(export, size) == want
    if not options:
        assert want.count(b"\n") >= len(rows) + 1


def test_one_byte_reads_and_read_variants(round_trip_corpus, tmp_path):
    with quire.open(round_trip_corpus) as corpus:
        want = path_export(corpus, tmp_path)
        with corpus.open_csv() as export:
            assert read_all(export, 1) == want
            assert export.result == quire.ExportResult(len(ROUND_TRIP_DOCS), 0)
            assert export.read() == b""  # stays at the end
        with corpus.open_csv() as export:
            assert export.readable() and not export.writable() and not export.seekable()
            assert export.read(5) + export.read() == want
        with corpus.query(sources="Belarus in Focus").open_csv(columns="title") as export:
            assert export.readall() == b"title\nSino-Belarusian cooperation\nseconds\n"
        assert export.closed


def test_an_unreferenced_corpus_stays_open_for_its_export(round_trip_corpus, tmp_path):
    import gc

    want = path_export(quire.open(round_trip_corpus), tmp_path)
    export = quire.open(round_trip_corpus).open_csv()
    gc.collect()
    with export:
        assert export.read() == want


def test_file_object_tools(round_trip_corpus, tmp_path):
    with quire.open(round_trip_corpus) as corpus:
        want = path_export(corpus, tmp_path)
        with corpus.open_csv() as src, open(tmp_path / "copy.csv", "wb") as dst:
            shutil.copyfileobj(src, dst, 3)
        assert (tmp_path / "copy.csv").read_bytes() == want
        with io.TextIOWrapper(corpus.open_csv(), encoding="utf-8", newline="") as text:
            rows = list(csv.DictReader(text))
        assert [r["text"] for r in rows] == [d["text"] for d in ROUND_TRIP_DOCS]
        with io.BufferedReader(corpus.open_csv()) as buffered:
            assert buffered.readline() == b"id,source,date,title,author,url,text\n"


def test_closing_the_export_or_the_corpus_in_the_middle(generated):
    corpus = quire.open(generated)
    export = corpus.open_csv()
    assert len(export.read(10)) == 10
    export.close()
    export.close()
    with pytest.raises(ValueError):
        export.read(10)
    export = corpus.open_csv()
    assert export.read(10)
    corpus.close()  # frees the export's C handle before the corpus
    with pytest.raises(quire.StateError):
        export.read(10)
    export.close()
    with pytest.raises(quire.StateError):
        corpus.open_csv()


def test_close_from_other_threads_while_reading(generated):
    """Threads read exports while the corpus, or an export, is closed under
    them: each read completes or raises StateError/ValueError, no crash."""
    for round_ in range(40):
        corpus = quire.open(generated)
        exports = [corpus.open_csv(columns="id,title") for _ in range(3)]
        outcomes = []
        start = threading.Barrier(len(exports) + 1)

        def drain(export):
            start.wait()
            try:
                while export.read(997):
                    pass
                outcomes.append("end")
            except (quire.StateError, ValueError) as exc:
                outcomes.append(type(exc).__name__)

        threads = [threading.Thread(target=drain, args=(e,)) for e in exports]
        for t in threads:
            t.start()
        start.wait()
        threading.Event().wait((round_ % 5) * 0.001)
        exports[0].close()
        corpus.close()
        for t in threads:
            t.join(10)
            assert not t.is_alive()
        for e in exports:
            e.close()
        assert len(outcomes) == 3
        assert set(outcomes) <= {"end", "StateError", "ValueError"}


def test_export_progress_counts_rows_to_the_end(generated, tmp_path):
    with quire.open(generated) as corpus:
        for options, total in (({}, len(corpus)),
                               ({"from_": "2016"}, corpus.count(from_="2016")),
                               ({"match": "minsk"}, 0)):
            calls = []
            result = corpus.export_csv(tmp_path / "p.csv", progress=lambda d, t: calls.append((d, t)),
                                       **options)
            dones = [d for d, _ in calls]
            assert dones == sorted(dones) and dones[-1] == result.rows
            assert {t for _, t in calls} == {total}
            assert len(calls) >= result.rows // 1024
            pulled = []
            with corpus.open_csv(progress=lambda d, t: pulled.append((d, t)), **options) as export:
                export.read()
            assert pulled[-1] == calls[-1]


class Stop(Exception):
    pass


def stop_after(rows):
    def progress(done, total):
        if done >= rows:
            raise Stop(done)
    return progress


def test_an_exception_in_export_progress_stops_it(generated, tmp_path):
    out = tmp_path / "stopped.csv"
    with quire.open(generated) as corpus:
        with pytest.raises(Stop):
            corpus.export_csv(out, progress=stop_after(1))
        assert not out.exists()
        with pytest.raises(Stop):
            corpus.export_xlsx(tmp_path / "stopped.xlsx", progress=stop_after(1))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["gen.quire"]
        sink = io.BytesIO()
        with pytest.raises(Stop):
            corpus.export_csv(sink, progress=stop_after(1024))
        export = corpus.open_csv(progress=stop_after(1))
        with pytest.raises(Stop):
            export.read()
        with pytest.raises(quire.StateError):  # the run has ended, not at its end
            export.read()
        export.close()
        assert corpus.count() == 1500  # the corpus is fine


def test_import_progress_counts_bytes(tmp_path):
    data = "source,date,title,text\n" + "".join(
        f"S{i % 3},2016-01-{i % 28 + 1:02},t{i},{'word ' * 400}\n" for i in range(1500))
    path = tmp_path / "in.csv"
    path.write_text(data)
    calls = []
    result = quire.import_csv(path, tmp_path / "in.quire", progress=lambda d, t: calls.append((d, t)))
    assert result.rows == 1500
    size = path.stat().st_size
    assert size > (1 << 20) and calls[-1] == (size, size)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) >= 2
    with pytest.raises(Stop):
        quire.import_csv(path, tmp_path / "no.quire", progress=stop_after(1))
    assert not (tmp_path / "no.quire").exists()


def test_finish_progress_of_a_clustered_writer(tmp_path):
    docs = model_docs(9000, 5)
    calls = []
    with quire.Writer(tmp_path / "c.quire", progress=lambda d, t: calls.append((d, t))) as writer:
        for doc in docs:
            writer.add(**doc)
        assert calls == []  # only finish() reports
    assert calls[-1] == (len(docs), len(docs))
    assert {t for _, t in calls} == {len(docs)} and len(calls) >= 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    out = tmp_path / "stopped.quire"
    writer = quire.Writer(out, progress=stop_after(4096))
    for doc in docs:
        writer.add(**doc)
    with pytest.raises(Stop):
        writer.finish()
    writer.close()
    assert not out.exists()
    with pytest.raises(TypeError):
        quire.Writer(out, progress="not callable")


def test_progress_that_closes_the_corpus_or_the_writer(generated, tmp_path):
    corpus = quire.open(generated)
    result = corpus.export_csv(tmp_path / "c.csv", progress=lambda d, t: corpus.close())
    assert result.rows == 1500  # the running export completes
    assert corpus.closed
    docs = model_docs(5000, 6)
    writer = quire.Writer(tmp_path / "w.quire", progress=lambda d, t: writer.close())
    for doc in docs:
        writer.add(**doc)
    assert writer.finish() == len(docs)  # freed once finish() returned
    with pytest.raises(quire.StateError):
        len(writer)
    with quire.open(tmp_path / "w.quire") as again:
        assert len(again) == len(docs)
    busy = quire.Writer(tmp_path / "busy.quire", progress=lambda d, t: busy.add(text="x"))
    for doc in docs:
        busy.add(**doc)
    with pytest.raises(quire.StateError):
        busy.finish()
    busy.close()
    assert not (tmp_path / "busy.quire").exists()
    importer = quire.Writer(tmp_path / "imp.quire")
    importer.import_csv(b"source,date,text\nA,2016,one\n", progress=lambda d, t: importer.close())
    with pytest.raises(quire.StateError):
        len(importer)
