"""Every field through the binding's Writer and back through its reader."""

from __future__ import annotations

import datetime as dt
import gc

import pytest

import quire
from conftest import ROUND_TRIP_DOCS, write_corpus


def expected_timestamp(date):
    """The first instant of a date without offset, computed by Python alone."""
    if not date:
        return None
    parts = date.replace("T", "-").replace(":", "-").split("-")
    nums = [int(p) for p in parts] + [1, 1, 0, 0, 0][len(parts) - 1:]
    year, month, day, hour, minute, second = nums[:6]
    return int(dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc).timestamp())


PRECISION = {None: 0, "": 0, 4: 1, 7: 2, 10: 3, 16: 4, 19: 5}


def test_every_field_comes_back(round_trip_corpus):
    with quire.open(round_trip_corpus) as corpus:
        docs = list(corpus)
        assert len(docs) == len(corpus) == len(ROUND_TRIP_DOCS)
        assert [d.id for d in docs] == list(range(len(docs)))
        for doc, want in zip(docs, ROUND_TRIP_DOCS):
            assert doc.source == (want["source"] or None)
            assert doc.date == (want["date"] or None)
            assert doc.timestamp == expected_timestamp(want["date"])
            assert doc.precision == PRECISION[len(want["date"]) if want["date"] else None]
            assert doc.title == want["title"]
            assert doc.author == want["author"]
            assert doc.url == want["url"]
            assert doc.text == want["text"]
            assert doc.text_length == len(want["text"].encode("utf-8"))


def test_doc_n_and_indexing(round_trip_corpus):
    with quire.open(round_trip_corpus) as corpus:
        for n, want in enumerate(ROUND_TRIP_DOCS):
            doc = corpus.doc(n)
            assert doc.id == n
            assert doc.as_dict() == {k: (v or None) if k in ("source", "date") else v
                                     for k, v in want.items()}
        assert corpus[-1].title == ROUND_TRIP_DOCS[-1]["title"]
        with pytest.raises(IndexError):
            corpus[len(ROUND_TRIP_DOCS)]
        with pytest.raises(quire.NotFoundError):
            corpus.doc(len(ROUND_TRIP_DOCS))


def test_fields_read_out_of_order_and_after_iteration(round_trip_corpus):
    with quire.open(round_trip_corpus) as corpus:
        docs = list(corpus)
        for doc, want in reversed(list(zip(docs, ROUND_TRIP_DOCS))):
            assert doc.text == want["text"]
            assert doc.title == want["title"]


def test_open_from_bytes(round_trip_corpus):
    data = bytearray(round_trip_corpus.read_bytes())
    with quire.open(data) as corpus:
        data[:] = b"\0" * len(data)  # the corpus keeps its own copy
        assert [d.text for d in corpus] == [d["text"] for d in ROUND_TRIP_DOCS]


def test_clustered_order_keeps_every_document(tmp_path):
    path = write_corpus(tmp_path / "c.quire", ROUND_TRIP_DOCS)
    with quire.open(path) as corpus:
        got = sorted((d.title, d.text, d.source or "", d.date or "") for d in corpus)
        for doc in corpus.query(sources=["Belarus in Focus"]):
            assert corpus.doc(doc.id).title == doc.title
    want = sorted((d["title"], d["text"], d["source"] or "", d["date"] or "") for d in ROUND_TRIP_DOCS)
    assert got == want


def test_corpus_facts(round_trip_corpus):
    with quire.open(round_trip_corpus) as corpus:
        names = sorted({d["source"] for d in ROUND_TRIP_DOCS if d["source"]}, key=lambda s: s.encode())
        assert [s.name for s in corpus.sources] == names
        assert sum(s.documents for s in corpus.sources) == sum(1 for d in ROUND_TRIP_DOCS if d["source"])
        assert corpus.source_count == len(names)
        assert corpus.undated_count == sum(1 for d in ROUND_TRIP_DOCS if not d["date"])
        first, last = corpus.date_span
        assert first == dt.datetime(2016, 1, 1, tzinfo=dt.timezone.utc)
        assert last == dt.datetime(2024, 8, 31, tzinfo=dt.timezone.utc)
        assert corpus.format_version == (1, 1)
        assert corpus.file_size == round_trip_corpus.stat().st_size
        assert corpus.raw_size >= sum(len(d["text"].encode()) for d in ROUND_TRIP_DOCS)
        assert corpus.verify() == []
    assert quire.library_version_number() // 10000 == 1
    assert quire.library_version().startswith("1.")


def test_date_span_of_undated_corpus(tmp_path):
    path = write_corpus(tmp_path / "u.quire", [{"text": "a"}, {"text": "b"}])
    with quire.open(path) as corpus:
        assert corpus.date_span is None
        assert [d.date for d in corpus] == [None, None]


def test_dates_with_offsets_and_datetime_objects(tmp_path):
    docs = [
        {"date": "2017-05-08T12:22+03:00", "text": "offset"},
        {"date": "Mon, 08 May 2017 09:22:00 +0000", "text": "rfc 2822"},
        {"date": dt.datetime(2017, 5, 8, 9, 22, tzinfo=dt.timezone.utc), "text": "datetime"},
        {"date": dt.date(2017, 5, 8), "text": "date"},
    ]
    path = write_corpus(tmp_path / "o.quire", docs, order="input")
    with quire.open(path) as corpus:
        got = [d.timestamp for d in corpus]
    instant = int(dt.datetime(2017, 5, 8, 9, 22, tzinfo=dt.timezone.utc).timestamp())
    assert got == [instant, instant, instant, instant - 9 * 3600 - 22 * 60]


def test_invalid_utf8_rejected_or_replaced(tmp_path):
    with quire.Writer(tmp_path / "r.quire") as writer:
        with pytest.raises(quire.Utf8Error) as err:
            writer.add(text=b"bad \xff byte")
        assert err.value.code == -9
        with pytest.raises(quire.Utf8Error):
            writer.add(title="lone \udc80 surrogate")
        with pytest.raises(quire.DateError):
            writer.add(date="31/01/2016", text="x")
        writer.add(text="the writer is still usable")
        assert len(writer) == 1
    with quire.Writer(tmp_path / "p.quire", utf8="replace", order="input") as writer:
        writer.add(text=b"bad \xff byte")
    with quire.open(tmp_path / "p.quire") as corpus:
        assert corpus.doc(0).text == "bad \ufffd byte"


def test_abandoned_writer_leaves_no_file(tmp_path):
    target = tmp_path / "never.quire"
    with pytest.raises(RuntimeError):
        with quire.Writer(target) as writer:
            writer.add(text="x")
            raise RuntimeError("stop")
    writer = quire.Writer(target)
    writer.add(text="x")
    writer.close()
    writer.close()
    writer = quire.Writer(target)
    writer.add(text="x")
    del writer
    gc.collect()
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary left either


def test_finished_writer_refuses_more(tmp_path):
    writer = quire.Writer(tmp_path / "f.quire")
    writer.add(text="x")
    assert writer.finish() == 1
    with pytest.raises(quire.StateError):
        writer.add(text="y")
    writer.close()
    with pytest.raises(quire.StateError):
        writer.add(text="y")


def test_writer_options(tmp_path):
    docs = [{"source": "s", "date": f"2016-01-{i % 28 + 1:02d}", "text": "word " * 2000} for i in range(50)]
    path = write_corpus(tmp_path / "w.quire", docs, block_size=4096, level=1, threads=2, order="input")
    with quire.open(path) as corpus:
        assert [d.text for d in corpus] == [d["text"] for d in docs]
    with pytest.raises(quire.InvalidArgumentError):
        quire.Writer(tmp_path / "bad.quire", block_size=10)
    with pytest.raises(quire.InvalidArgumentError):
        quire.Writer(tmp_path / "bad.quire", order="random")
    assert not (tmp_path / "bad.quire").exists()


def test_codec_options(tmp_path):
    """Both codecs read alike; zstd with a trained dictionary is the default,
    and the bytes do not depend on the thread count."""
    docs = [{"source": f"s{i % 5}", "date": f"2016-01-{i % 28 + 1:02d}", "title": f"t{i}",
             "text": f"Story {i} of a town {i * 7 % 31}. " * (20 + i % 13)} for i in range(400)]
    texts = sorted(d["text"] for d in docs)
    default = write_corpus(tmp_path / "z.quire", docs, block_size=8192, threads=1)
    again = write_corpus(tmp_path / "z2.quire", docs, block_size=8192, threads=3)
    assert default.read_bytes() == again.read_bytes()
    with quire.open(default) as corpus:
        p = corpus.packing
        assert (p.codec, p.level, p.block_size) == ("zstd", 5, 8192)
        assert len(p.dictionaries) >= 1 and all(s >= 4096 for s in p.dictionaries)
        assert corpus.format_version == (1, 1)
        assert sorted(d.text for d in corpus) == texts
    deflate = write_corpus(tmp_path / "d.quire", docs, codec="deflate", level=9)
    with quire.open(deflate) as corpus:
        assert corpus.packing == quire.Packing("deflate", 9, 1 << 20, ())
        assert sorted(d.text for d in corpus) == texts
    none = write_corpus(tmp_path / "n.quire", docs, level=19, dictionary_size=0)
    with quire.open(none) as corpus:
        assert corpus.packing.dictionaries == () and corpus.packing.level == 19
    with pytest.raises(quire.InvalidArgumentError):
        quire.Writer(tmp_path / "bad.quire", codec="lz4")
    with pytest.raises(quire.InvalidArgumentError):
        quire.Writer(tmp_path / "bad.quire", codec="deflate", level=12)
    with pytest.raises(quire.InvalidArgumentError):
        quire.Writer(tmp_path / "bad.quire", dictionary_size=100)
    with pytest.raises(quire.InvalidArgumentError):
        quire.Writer(tmp_path / "bad.quire", dictionary_size=-1)
    assert not (tmp_path / "bad.quire").exists()


def test_parse_and_format_date():
    assert quire.parse_date("2016-01") == (1451606400, quire.Precision.MONTH)
    assert quire.format_date(1451606400, quire.Precision.MONTH) == "2016-01"
    with pytest.raises(quire.DateError):
        quire.parse_date("yesterday")
