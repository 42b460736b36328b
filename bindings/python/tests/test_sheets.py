"""Spreadsheet exports from Python: the derived date columns, split files
and the XLSX workbook (read back with openpyxl)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

import quire
from conftest import write_corpus

openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is not installed (scripts/deps.sh)")

DOCS = [
    dict(source="S; one", date="2016-04-22", title="00123", author="=1+1", url="http://x.test", text="a\nb"),
    dict(source="S", date="2016-01", title="1e5", author="", url="", text="TRUE"),
    dict(source="", date="", title="undated", author="", url="", text=""),
]


@pytest.fixture
def corpus_path(tmp_path):
    return write_corpus(tmp_path / "s.quire", DOCS, order="input")


def test_derived_columns_and_excel_quoting(corpus_path):
    with quire.open(corpus_path) as corpus:
        out = io.BytesIO()
        res = corpus.export_csv(out, columns=["id", "year", "month", "day", "datetime_utc",
                                              "date_precision", "title"], dialect="excel")
    assert res == (3, 0) and (res.rows_over_sheet, res.files) == (0, 1)
    rows, cut = res  # still the pair of 1.0
    assert (rows, cut) == (3, 0)
    assert "files=1" in repr(res)
    lines = out.getvalue().decode("utf-8-sig").split("\r\n")
    assert lines[1] == '0,2016,4,22,2016-04-22T00:00:00Z,"day","00123"'
    assert lines[2] == '1,2016,1,,2016-01-01T00:00:00Z,"month","1e5"'
    assert lines[3] == '2,,,,,"","undated"'


def test_split_rows(corpus_path, tmp_path):
    with quire.open(corpus_path) as corpus:
        res = corpus.export_csv(tmp_path / "p.csv", split_rows=2)
        assert res.files == 2 and res.rows == 3
        assert sorted(p.name for p in tmp_path.glob("p-*.csv")) == ["p-001.csv", "p-002.csv"]
        assert (tmp_path / "p-002.csv").read_text().startswith("id,source,date,title")
        with pytest.raises(quire.InvalidArgumentError):
            corpus.export_csv(io.BytesIO(), split_rows=2)
        for bad in (0, -1, 1.5, True):
            with pytest.raises(quire.InvalidArgumentError):
                corpus.export_csv(tmp_path / "x.csv", split_rows=bad)


def test_export_xlsx(corpus_path, tmp_path):
    out = tmp_path / "book.xlsx"
    with quire.open(corpus_path) as corpus:
        res = corpus.query(from_="2016-02").export_xlsx(
            tmp_path / "q.xlsx", columns="id,date,title")
        assert res.rows == 1
        res = corpus.export_xlsx(out, columns="id,source,date,title,author,url,text,year,day")
        assert (res.rows, res.cells_cut, res.rows_over_sheet, res.files) == (3, 0, 0, 1)
        with pytest.raises(quire.InvalidArgumentError):
            corpus.export_xlsx(io.BytesIO())  # type: ignore[arg-type]
        with pytest.raises(quire.NotFoundError):
            corpus.export_xlsx(tmp_path / "no" / "x.xlsx")
        with pytest.raises(quire.InvalidArgumentError):
            corpus.export_xlsx(out, columns="id,weekday")
    ws = openpyxl.load_workbook(out).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["id", "source", "date", "title", "author", "url", "text", "year", "day"]
    assert rows[1] == [0, "S; one", dt.datetime(2016, 4, 22), "00123", "=1+1", "http://x.test",
                       "a\nb", 2016, 22]
    assert rows[2] == [1, "S", "2016-01", "1e5", None, None, "TRUE", 2016, None]
    assert ws["E2"].data_type == "s" and ws["F2"].hyperlink is None
    assert ws.freeze_panes == "A2"
    ws = openpyxl.load_workbook(tmp_path / "q.xlsx").active
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["id", "date", "title"],
                                                               [0, dt.datetime(2016, 4, 22), "00123"]]
