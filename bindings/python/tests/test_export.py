"""CSV export to paths and file objects, and CSV import, through libquire."""

from __future__ import annotations

import csv
import gzip
import io

import pytest

import quire
from conftest import ROUND_TRIP_DOCS, write_corpus


def parse(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_export_to_path_round_trips_through_csv(round_trip_corpus, tmp_path):
    out = tmp_path / "out.csv"
    with quire.open(round_trip_corpus) as corpus:
        result = corpus.export_csv(out)
    assert result == quire.ExportResult(len(ROUND_TRIP_DOCS), 0)
    rows = parse(out.read_bytes().decode("utf-8"))
    assert [r["text"] for r in rows] == [d["text"] for d in ROUND_TRIP_DOCS]
    assert [r["source"] for r in rows] == [d["source"] or "" for d in ROUND_TRIP_DOCS]
    assert [r["id"] for r in rows] == [str(i) for i in range(len(ROUND_TRIP_DOCS))]


def test_export_to_binary_and_text_files(round_trip_corpus, tmp_path):
    with quire.open(round_trip_corpus) as corpus:
        corpus.export_csv(tmp_path / "ref.csv")
        binary = io.BytesIO()
        corpus.export_csv(binary)
        text = io.StringIO(newline="")
        corpus.export_csv(text)
    reference = (tmp_path / "ref.csv").read_bytes()
    assert binary.getvalue() == reference
    assert text.getvalue() == reference.decode("utf-8")


def test_export_selection_columns_and_dialect(round_trip_corpus):
    with quire.open(round_trip_corpus) as corpus:
        out = io.BytesIO()
        result = corpus.export_csv(out, columns=["title", "source"], sources="Belarus in Focus")
        rows = parse(out.getvalue().decode())
        assert result.rows == 2
        assert list(rows[0]) == ["title", "source"]
        assert {r["title"] for r in rows} == {"Sino-Belarusian cooperation", "seconds"}
        out = io.BytesIO()
        corpus.query(from_="2017").export_csv(out, dialect="excel")
        assert out.getvalue().startswith(b"\xef\xbb\xbf")
        assert b"\r\n" in out.getvalue()


def test_failing_file_object_stops_the_export(round_trip_corpus):
    class Full(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            raise OSError(28, "No space left on device")

    with quire.open(round_trip_corpus) as corpus:
        with pytest.raises(OSError) as err:
            corpus.export_csv(Full())
        assert err.value.errno == 28


def test_import_what_was_exported(round_trip_corpus, tmp_path):
    csv_path = tmp_path / "all.csv"
    with quire.open(round_trip_corpus) as corpus:
        corpus.export_csv(csv_path, columns="source,date,title,author,url,text")
    result = quire.import_csv(csv_path, tmp_path / "again.quire", order="input")
    assert result.rows == len(ROUND_TRIP_DOCS) and result.skipped == 0
    with quire.open(tmp_path / "again.quire") as corpus:
        assert [d.as_dict() for d in corpus] == [
            {k: (v or None) if k in ("source", "date") else v for k, v in d.items()}
            for d in ROUND_TRIP_DOCS
        ]


def test_import_gzip_from_a_file_or_bytes_and_refuse_it_cut_short(round_trip_corpus, tmp_path):
    csv_path = tmp_path / "all.csv"
    with quire.open(round_trip_corpus) as corpus:
        corpus.export_csv(csv_path, columns="source,date,title,author,url,text")
    packed = gzip.compress(csv_path.read_bytes())
    (tmp_path / "all.csv.gz").write_bytes(packed)
    quire.import_csv(csv_path, tmp_path / "plain.quire")
    result = quire.import_csv(tmp_path / "all.csv.gz", tmp_path / "gz.quire")
    assert result.rows == len(ROUND_TRIP_DOCS)
    assert (tmp_path / "gz.quire").read_bytes() == (tmp_path / "plain.quire").read_bytes()
    with quire.Writer(tmp_path / "mem.quire") as writer:
        assert writer.import_csv(packed).rows == len(ROUND_TRIP_DOCS)
    assert (tmp_path / "mem.quire").read_bytes() == (tmp_path / "plain.quire").read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(quire.CsvError) as err:
        quire.import_csv(tmp_path / "cut.csv.gz", tmp_path / "cut.quire")
    assert "ends early" in err.value.message
    assert not (tmp_path / "cut.quire").exists()
    with pytest.raises(quire.CsvError) as err:
        with quire.Writer(tmp_path / "cut-mem.quire") as writer:
            writer.import_csv(packed[: len(packed) // 2], name="cut.csv.gz")
    assert "cut.csv.gz" in err.value.message and "ends early" in err.value.message
    assert not (tmp_path / "cut-mem.quire").exists()


def test_import_from_bytes_with_column_map_and_bad_rows(tmp_path):
    data = (
        "Publication,When,Headline,Body,junk\n"
        "A,2016-01,first,one,x\n"
        "B,not a date,second,two,x\n"
        "C,2017,third,three,x\n"
    ).encode()
    with quire.Writer(tmp_path / "m.quire", order="input") as writer:
        result = writer.import_csv(
            data,
            columns={"Publication": "source", "When": "date", "Headline": "title",
                     "Body": "text", "junk": "ignore"},
            skip_bad_rows=True,
        )
    assert (result.rows, result.skipped, result.skipped_rows) == (2, 1, [3])
    with quire.open(tmp_path / "m.quire") as corpus:
        assert [(d.source, d.date, d.title, d.text) for d in corpus] == [
            ("A", "2016-01", "first", "one"), ("C", "2017", "third", "three")]


def test_failed_import_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("source,date,text\nA,2016,ok\nB,31/12/2016,bad date\n")
    with pytest.raises(quire.DateError) as err:
        quire.import_csv(bad, tmp_path / "bad.quire")
    assert "3" in err.value.message  # names the row
    assert not (tmp_path / "bad.quire").exists()
    with pytest.raises(quire.NotFoundError):
        quire.import_csv(tmp_path / "none.csv", tmp_path / "none.quire")


def test_document_copy_between_corpora(round_trip_corpus, tmp_path):
    with quire.open(round_trip_corpus) as corpus, quire.Writer(tmp_path / "copy.quire", order="input") as w:
        for doc in corpus.query(undated=False):
            w.add(**doc.as_dict())
    with quire.open(tmp_path / "copy.quire") as copy:
        assert len(copy) == sum(1 for d in ROUND_TRIP_DOCS if d["date"])
