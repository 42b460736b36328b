"""The spreadsheet options of `quire export` without LibreOffice: derived
date columns read by pandas and DuckDB with their defaults, split files,
the sheet-size warning and new sheets, and failures that leave nothing."""
import csv
import glob
import io
import os

import duckdb
import openpyxl
import pandas as pd
import pytest

from common import ALL, quire, utf16_cut, CELL_MAX

DERIVED = ["year", "month", "day", "datetime_utc", "date_precision"]


def test_plain_csv_with_pandas_defaults(hostile, tmp_path):
    path, rows = hostile
    out = str(tmp_path / "plain.csv")
    assert quire("export", path, "-o", out, "--columns", ",".join(ALL)).returncode == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ALL and len(df) == len(rows)
    assert str(df["id"].dtype) == "int64"
    for name in ("year", "month", "day"):  # numbers; NaN when the date does not say
        assert df[name].dtype.kind in "if"
        got = [None if pd.isna(v) else int(v) for v in df[name]]
        assert got == [r[name] for r in rows], name
    utc = pd.to_datetime(df["datetime_utc"])  # ISO 8601 with Z: tz-aware UTC
    assert str(utc.dt.tz) == "UTC"
    assert [None if pd.isna(v) else v.tz_localize(None).to_pydatetime() for v in utc] == \
        [r["instant"] for r in rows]
    # every text exact, with pandas' NA words switched off
    df = pd.read_csv(out, keep_default_na=False, dtype=str)
    for name in ("source", "date", "title", "author", "url", "text", "date_precision"):
        assert list(df[name]) == [r[name] for r in rows], name


def test_plain_csv_with_duckdb_defaults(hostile, tmp_path):
    path, rows = hostile
    out = str(tmp_path / "plain.csv")
    assert quire("export", path, "-o", out, "--columns", ",".join(ALL)).returncode == 0
    rel = duckdb.sql("SELECT * FROM read_csv('%s')" % out)
    types = dict(zip(rel.columns, map(str, rel.types)))
    assert types["id"] == "BIGINT" and types["year"] == "BIGINT"
    assert types["datetime_utc"] == "TIMESTAMP WITH TIME ZONE"
    got = rel.fetchall()
    assert len(got) == len(rows)
    for r, g in zip(rows, got):
        d = dict(zip(rel.columns, g))
        assert (d["year"], d["month"], d["day"]) == (r["year"], r["month"], r["day"])
        inst = d["datetime_utc"]
        assert (inst.replace(tzinfo=None) if inst else None) == r["instant"]
        for name in ("title", "author", "text"):
            assert (d[name] or "") == r[name], (name, r["id"])


def test_duckdb_where_the_date_column_breaks_its_sniffer(tmp_path):
    """25,000 full dates then month-only ones: DuckDB sniffs `date` from the
    first rows as DATE and fails at the first month-only date, but the
    derived columns read right with its defaults (README says so)."""
    src = tmp_path / "many.csv"
    with open(src, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["date", "title", "text"])
        for i in range(25000):
            w.writerow(["2016-%02d-%02d" % (i % 12 + 1, i % 28 + 1), "t%d" % i, "x"])
        w.writerow(["2016-07", "month only", "x"])
        w.writerow(["2015", "year only", "x"])
    corpus = str(tmp_path / "many.quire")
    assert quire("pack", "--input-order", "-o", corpus, src).returncode == 0
    out = str(tmp_path / "many.csv.out")
    cols = "id,date,datetime_utc,year,month,day,date_precision,title"
    assert quire("export", corpus, "-o", out, "--columns", cols).returncode == 0
    with pytest.raises(duckdb.Error):
        duckdb.sql("SELECT * FROM read_csv('%s')" % out).fetchall()
    rel = duckdb.sql("SELECT * EXCLUDE (date) FROM read_csv('%s', types={'date': 'VARCHAR'})" % out)
    tail = rel.fetchall()[-2:]
    assert [t[2:6] for t in tail] == [(2016, 7, None, "month"), (2015, None, None, "year")]
    assert str(tail[0][1].date()) == "2016-07-01" and str(tail[1][1].date()) == "2015-01-01"
    # only the derived columns, with every default: no failure
    rel = duckdb.sql("SELECT * FROM read_csv('%s')" % _columns(corpus, tmp_path, "datetime_utc,year,month,day"))
    assert len(rel.fetchall()) == 25002


def _columns(corpus, tmp_path, cols):
    out = str(tmp_path / ("cols-%s.csv" % cols.replace(",", "_")))
    assert quire("export", corpus, "-o", out, "--columns", cols).returncode == 0
    return out


def read_csv_file(name):
    with open(name, "rb") as f:
        data = f.read()
    return data


@pytest.mark.parametrize("dialect", ["plain", "excel"])
def test_split_rows(hostile, tmp_path, dialect):
    path, rows = hostile
    out = str(tmp_path / "part.csv")
    args = ["--excel"] if dialect == "excel" else []
    r = quire("export", path, "-o", out, "--split-rows", 7, "--columns", "id,title", *args)
    assert r.returncode == 0, r.stderr
    files = sorted(glob.glob(str(tmp_path / "part*")))
    n = (len(rows) + 6) // 7
    assert [os.path.basename(f) for f in files] == ["part-%03d.csv" % i for i in range(1, n + 1)]
    assert "%d rows in %d files" % (len(rows), n) in r.stderr
    ids = []
    for f in files:
        data = read_csv_file(f)
        if dialect == "excel":
            assert data.startswith(b"\xef\xbb\xbfid,title\r\n")
            data = data[3:]
        else:
            assert data.startswith(b"id,title\n")
        got = list(csv.reader(io.StringIO(data.decode(), newline="")))[1:]
        assert 1 <= len(got) <= 7
        ids += [int(g[0]) for g in got]
    assert ids == list(range(len(rows)))
    assert not glob.glob(str(tmp_path / "*.tmp-*"))


def test_split_xlsx_and_no_extension(hostile, tmp_path):
    path, rows = hostile
    r = quire("export", path, "--xlsx", "-o", tmp_path / "book.xlsx", "--split-rows", 40)
    assert r.returncode == 0, r.stderr
    names = sorted(os.listdir(tmp_path))
    assert names == ["book-001.xlsx", "book-002.xlsx"]
    counts = [openpyxl.load_workbook(tmp_path / n).active.max_row - 1 for n in names]
    assert counts == [40, len(rows) - 40]
    r = quire("export", path, "-o", tmp_path / "noext", "--split-rows", 1000)
    assert r.returncode == 0 and os.path.exists(tmp_path / "noext-001")


def test_empty_selection_gives_one_header_file(hostile, tmp_path):
    path, _ = hostile
    r = quire("export", path, "--source", "no such source", "-o", tmp_path / "e.csv",
              "--split-rows", 5, "--excel")
    assert r.returncode == 0, r.stderr
    assert os.listdir(tmp_path) == ["e-001.csv"]
    assert read_csv_file(tmp_path / "e-001.csv").startswith(b"\xef\xbb\xbfid,source")
    r = quire("export", path, "--source", "no such source", "--xlsx", "-o", tmp_path / "e.xlsx")
    assert r.returncode == 0
    assert openpyxl.load_workbook(tmp_path / "e.xlsx").active.max_row == 1


def test_usage_errors_and_failures_leave_nothing(hostile, tmp_path):
    path, _ = hostile
    for args in (["--xlsx"], ["--split-rows", "5"], ["--split-rows", "0", "-o", "x"],
                 ["--split-rows", "many", "-o", "x"], ["--xlsx", "--excel", "-o", "x"],
                 ["--xlsx", "-o", "x", "--columns", "id,weekday"]):
        r = quire("export", path, *args)
        assert r.returncode == 2, (args, r.stderr)
    r = quire("export", path, "--xlsx", "-o", tmp_path / "no" / "dir.xlsx")
    assert r.returncode == 1 and "dir.xlsx" in r.stderr
    afile = tmp_path / "afile"
    afile.write_text("not a directory")
    for args in (["--xlsx", "-o", afile / "a.xlsx"], ["-o", afile / "a.csv", "--split-rows", 3]):
        r = quire("export", path, *args)
        assert r.returncode == 1 and "Not a directory" in r.stderr, args
    # a damaged corpus fails the export and leaves no file
    with open(path, "rb") as f:
        data = bytearray(f.read())
    damaged = tmp_path / "damaged.quire"
    mid = len(data) // 3
    data[mid:mid + 64] = bytes(64)
    damaged.write_bytes(bytes(data))
    for args in (["--xlsx", "-o", tmp_path / "d.xlsx"], ["-o", tmp_path / "d.csv", "--split-rows", 2]):
        r = quire("export", damaged, *args)
        assert r.returncode == 1, r.stderr
    assert sorted(os.listdir(tmp_path)) == ["afile", "damaged.quire"]


def test_more_rows_than_a_sheet(tmp_path):
    """1,048,577 documents: the excel CSV warns of the 2 rows a sheet cannot
    show; split at 1,048,575 rows gives two files that fit; XLSX starts a
    second sheet."""
    n = 1048577
    src = tmp_path / "big.csv"
    with open(src, "w") as f:
        f.write("title\n")
        f.write("t\n" * n)
    corpus = tmp_path / "big.quire"
    r = quire("pack", "--input-order", "-o", corpus, src)
    assert r.returncode == 0, r.stderr
    os.unlink(src)
    r = quire("export", corpus, "--excel", "--columns", "id", "-o", tmp_path / "all.csv")
    assert r.returncode == 0
    assert "warning: 2 rows are past the 1,048,576 rows" in r.stderr
    r = quire("export", corpus, "--excel", "--columns", "id", "-o", tmp_path / "fit.csv",
              "--split-rows", 1048575)
    assert r.returncode == 0 and "warning" not in r.stderr
    with open(tmp_path / "fit-002.csv", "rb") as f:
        assert f.read() == b"\xef\xbb\xbfid\r\n1048575\r\n1048576\r\n"
    assert os.path.getsize(tmp_path / "fit-001.csv") > 7 * 1048575
    r = quire("export", corpus, "--xlsx", "--columns", "id", "-o", tmp_path / "big.xlsx")
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)
    assert wb.sheetnames == ["documents", "documents 2"]
    second = list(wb["documents 2"].iter_rows(values_only=True))
    assert second == [("id",), (1048575,), (1048576,)]
    assert wb["documents"].max_row == 1048576
