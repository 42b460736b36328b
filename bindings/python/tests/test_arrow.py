"""The Arrow C stream (quire/_arrow.py) read by the real consumers: pyarrow,
polars and DuckDB each compare every field of every document with the
cursor API, on the seeds and on a generated corpus, with filters and
projections; pyarrow validates every batch in full."""

from __future__ import annotations

import datetime as _dt
import gc
import subprocess
import sys
from pathlib import Path

import pytest

import quire
from conftest import SOURCES, model_docs, write_corpus

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

COLUMNS = ["doc", "source", "date", "date_precision", "date_text", "title", "author", "url", "text"]

# (query keywords, columns): filters of every kind, projections of every kind.
CASES = [
    ({}, None),
    ({"sources": ["Xinhua", "Белта"]}, ["doc", "source", "title"]),
    ({"from_": "2016", "to": "2017-06"}, ["date", "date_precision", "date_text"]),
    ({"from_": "2015", "undated": True}, ["doc", "text"]),
    ({"undated": False}, ["url", "author", "doc"]),
    ({"sources": "Eurasia Daily Monitor", "to": "2016"}, None),
    ({"sources": ["no such source"]}, ["doc"]),
]


def expected(corpus, kwargs, columns):
    """The rows the cursor API gives, as the stream should have them."""
    rows = []
    for d in corpus.query(**kwargs):
        row = {
            "doc": d.id,
            "source": d.source,
            "date": d.timestamp,
            "date_precision": int(d.precision) if d.timestamp is not None else None,
            "date_text": d.date,
            "title": d.title or None,
            "author": d.author or None,
            "url": d.url or None,
            "text": d.text,
        }
        rows.append({c: row[c] for c in (columns or COLUMNS)})
    return rows


def epoch(value):
    """Datetimes as UTC seconds, whatever zone a consumer gave them."""
    if isinstance(value, _dt.datetime):
        assert value.tzinfo is not None, "date lost its time zone"
        return int(value.timestamp())
    return value


def normal(rows):
    return [{k: epoch(v) for k, v in row.items()} for row in rows]


def via_pyarrow(query):
    reader = pa.RecordBatchReader.from_stream(query)
    rows = []
    for batch in reader:
        batch.validate(full=True)
        rows.extend(batch.to_pylist())
    return normal(rows)


def via_polars(query):
    return normal(pl.DataFrame(query).to_dicts())


def via_duckdb(query):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    q = query  # noqa: F841 - DuckDB finds it by name
    rel = con.sql("select * from q")
    return normal([dict(zip(rel.columns, r)) for r in rel.fetchall()])


CONSUMERS = [via_pyarrow, via_polars, via_duckdb]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("arrow") / "gen.quire"
    return write_corpus(path, model_docs(600))


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kwargs,columns", CASES)
def test_generated_every_field(generated, consumer, kwargs, columns):
    with quire.open(generated) as corpus:
        want = normal(expected(corpus, kwargs, columns))
        query = corpus.query(**kwargs, columns=columns, batch_size=37, threads=1 + len(want) % 2)
        assert consumer(query) == want
        assert len(want) == corpus.count(**kwargs)


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda f: f.__name__)
def test_seeds_every_field(seeds, seeds_dir, consumer):
    path, rows = seeds
    with quire.open(path) as corpus:
        got = consumer(corpus.query())
        assert got == normal(expected(corpus, {}, None))
        # ... and against the manifest itself, the real data.
        for doc, row in zip(got, rows):
            assert doc["source"] == (row["source"] or None)
            assert doc["date_text"] == (row["date"] or None)
            assert (doc["date"] is None) == (not row["date"])
            assert doc["title"] == (row["title"] or None)
            assert doc["author"] == (row["author"] or None)
            assert doc["url"] == (row["url"] or None)
            assert doc["text"] == (seeds_dir / row["file"]).read_text(encoding="utf-8")
        filtered = consumer(corpus.query(sources="Belarus in Focus", columns=["doc", "date_text"]))
        assert filtered == normal(expected(corpus, {"sources": "Belarus in Focus"}, ["doc", "date_text"]))
        assert len(filtered) == 2


def test_schema_types(generated):
    with quire.open(generated) as corpus:
        schema = pa.RecordBatchReader.from_stream(corpus).schema
        assert schema.names == COLUMNS
        assert schema.field("doc").type == pa.uint64() and not schema.field("doc").nullable
        assert schema.field("source").type == pa.dictionary(pa.int32(), pa.string())
        assert schema.field("date").type == pa.timestamp("s", tz="UTC")
        assert schema.field("date_precision").type == pa.int8()
        for name in ("date_text", "title", "author", "url"):
            assert schema.field(name).type == pa.string() and schema.field(name).nullable
        assert schema.field("text").type == pa.large_string() and not schema.field("text").nullable
        projected = corpus.query(columns=["text", "doc"]).to_arrow()
        assert projected.column_names == ["text", "doc"]
        # The dictionary is the corpus's source table, index = source id.
        batch = next(iter(pa.RecordBatchReader.from_stream(corpus.query(columns=["source"]))))
        assert batch.column(0).dictionary.to_pylist() == [s.name for s in corpus.sources]
        assert sorted(s.name for s in corpus.sources) == sorted(SOURCES)


def test_to_arrow_and_batch_sizes(generated):
    with quire.open(generated) as corpus:
        table = corpus.to_arrow()
        assert table.num_rows == len(corpus) == 600
        assert corpus.to_arrow(columns=["doc"]).column("doc").to_pylist() == list(range(600))
        reader = pa.RecordBatchReader.from_stream(corpus.query(batch_size=250, columns="doc"))
        assert [b.num_rows for b in reader] == [250, 250, 100]
        sizes = [b.num_rows for b in corpus.query(columns="doc").to_arrow(batch_size=64).to_batches()]
        assert sizes == [64] * 9 + [24]
        empty = corpus.query(sources="nobody").to_arrow()
        assert empty.num_rows == 0 and empty.schema.names == COLUMNS


def test_bad_arguments(generated):
    with quire.open(generated) as corpus:
        with pytest.raises(quire.InvalidArgumentError, match="unknown column 'body'"):
            corpus.query(columns=["doc", "body"])
        with pytest.raises(quire.InvalidArgumentError, match="batch_size"):
            corpus.query(batch_size=0)
        with pytest.raises(quire.InvalidArgumentError, match="columns is empty"):
            corpus.to_arrow(columns=[])
        # libquire's own checks, reached around the binding's.
        from quire import _arrow

        with pytest.raises(quire.InvalidArgumentError, match="named twice"):
            _arrow.stream_capsule(corpus._state.require(), quire._common.FilterSpec(), b"doc,DOC", 0)
        with pytest.raises(quire.InvalidArgumentError, match="threads"):
            corpus.query(threads=3)
        with pytest.raises(quire.DateError):
            corpus.query(from_="not a date").to_arrow()


def test_stream_after_close_fails_cleanly(generated):
    corpus = quire.open(generated)
    reader = pa.RecordBatchReader.from_stream(corpus.query(batch_size=100))
    first = reader.read_next_batch()
    capsule = corpus.query().__arrow_c_stream__()  # made, never consumed
    corpus.close()
    with pytest.raises(pa.ArrowInvalid, match="corpus is closed"):
        reader.read_next_batch()
    assert first.num_rows == 100 and first.column("doc")[99].as_py() == 99  # still valid
    first.validate(full=True)
    del capsule, reader
    gc.collect()
    with pytest.raises(quire.StateError):
        corpus.to_arrow()


def test_damaged_text_block_still_streams_metadata(generated, tmp_path):
    """Columns not asked for are never read: with a text block damaged,
    everything but the text still streams, and the text says why not."""
    with quire.open(generated) as corpus:
        want = corpus.to_arrow(columns=COLUMNS[:-1])
    data = bytearray(generated.read_bytes())
    # The first text block starts after the 64-byte header: flip bytes there.
    for i in range(64, 96):
        data[i] ^= 0x5A
    broken = tmp_path / "broken.quire"
    broken.write_bytes(bytes(data))
    with quire.open(broken) as corpus:
        assert corpus.to_arrow(columns=COLUMNS[:-1]).equals(want)
        with pytest.raises(OSError, match="block"):
            corpus.to_arrow(columns=["doc", "text"])


def test_imports_without_pyarrow(generated):
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import quire\n"
        f"c = quire.open({str(generated)!r})\n"
        "assert c.query(columns=['doc']).__arrow_c_stream__() is not None\n"
        "try:\n    c.to_arrow()\nexcept ImportError as e:\n    print('no pyarrow:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "no pyarrow: to_arrow() needs pyarrow" in out.stdout


def test_buffer_corpus_bytes_live_until_the_stream_is_released(generated):
    from quire import _arrow

    corpus = quire.Corpus(generated.read_bytes())
    reader = pa.RecordBatchReader.from_stream(corpus.query(columns=["doc", "title"], batch_size=50))
    assert reader.read_next_batch().num_rows == 50
    assert len(_arrow._kept) == 1  # the bytes, held by the stream
    corpus.close()
    del corpus
    gc.collect()
    with pytest.raises(pa.ArrowInvalid, match="corpus is closed"):
        reader.read_next_batch()
    del reader
    gc.collect()
    assert not _arrow._kept
    with quire.Corpus(generated.read_bytes()) as corpus:
        assert corpus.to_arrow(columns="doc").num_rows == 600
    assert not _arrow._kept


def test_terms_filter_the_stream(generated):
    """Whatever a filter selects applies to the stream: terms included."""
    with quire.open(generated) as corpus:
        for kwargs in ({"match": "Minsk"}, {"match_any": ["trade", "Лукашенко"], "from_": "2016"}):
            want = normal(expected(corpus, kwargs, ["doc", "title"]))
            assert 0 < len(want) < len(corpus)
            got = via_pyarrow(corpus.query(**kwargs, columns=["doc", "title"]))
            assert got == want
