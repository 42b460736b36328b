"""LibreOffice Calc (headless) opens quire's spreadsheet exports and saves
them back as XLSX; openpyxl then reads every cell and compares it with the
corpus. Nothing may be split, evaluated, linked or silently lost.

The CSV is loaded with an explicit filter string (LibreOffice's CSV filter
options: separators, text delimiter, charset, first line, column formats,
language, quoted field as text, detect special numbers, 3 export-only
tokens, remove spaces, export sheets, evaluate formulas):
  - "first use": the Text Import dialog's defaults on a fresh profile
    (Tab, Comma and Semicolon ticked, charset from the BOM) with "Format
    quoted field as text" ticked, and "Evaluate formulas" ticked as well;
  - "first use, untouched": the same with every box as a fresh profile has
    it (quoted field as text off): numbers may then be numbers, but nothing
    splits and no formula runs;
  - "comma, UTF-8": comma only, charset 76 (UTF-8), quoted field as text.
Each soffice run gets a profile of its own, so the runs go in parallel."""
import os
import shutil
import subprocess
from datetime import datetime

import openpyxl
import pytest

from common import ALL, TEXT, CELL_MAX, quire, excel_text, utf16_cut

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CSV = "Text - txt - csv (StarCalc)"
CONFIGS = {
    "first_use": "44/59/9,34,,1,,1033,true,false,false,false,false,-1,true",
    "first_use_untouched": "44/59/9,34,,1,,1033,false,false,false,false,false,-1,false",
    "comma_utf8": "44,34,76,1,,1033,true,false,false,false,false,-1,true",
}


def start_soffice(src, outdir, infilter=None):
    """Starts one headless conversion of src to XLSX in outdir."""
    os.makedirs(outdir, exist_ok=True)
    cmd = [SOFFICE, "-env:UserInstallation=file://" + os.path.join(outdir, "profile"),
           "--headless", "--norestore"]
    if infilter:
        cmd.append("--infilter=" + infilter)
    cmd += ["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", outdir, src]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def converted(hostile, tmp_path_factory):
    """Runs every conversion at once; returns {name: saved xlsx path}."""
    assert SOFFICE, "LibreOffice (soffice) is missing: scripts/deps.sh installs libreoffice-calc-nogui"
    path, _ = hostile
    work = tmp_path_factory.mktemp("lo")
    csv_path, xlsx_path = str(work / "excel.csv"), str(work / "quire.xlsx")
    cols = ",".join(ALL)
    for args in (["--excel", "-o", csv_path], ["--xlsx", "-o", xlsx_path]):
        r = quire("export", path, "--columns", cols, *args)
        assert r.returncode == 0, r.stderr
        assert "1 cells were longer" in r.stderr
    procs = {name: start_soffice(csv_path, str(work / name), CSV + ":" + opts)
             for name, opts in CONFIGS.items()}
    procs["xlsx"] = start_soffice(xlsx_path, str(work / "xlsx"))
    out = {}
    for name, p in procs.items():
        log = p.communicate(timeout=120)[0].decode(errors="replace")
        saved = str(work / name / (("excel" if name != "xlsx" else "quire") + ".xlsx"))
        assert p.returncode == 0 and os.path.exists(saved), log
        out[name] = saved
    return out


def sheet_rows(xlsx):
    wb = openpyxl.load_workbook(xlsx)
    assert len(wb.worksheets) == 1
    ws = wb.worksheets[0]
    cells = list(ws.iter_rows())
    for row in cells:
        for c in row:
            assert c.data_type != "f", "formula in %s: %r" % (c.coordinate, c.value)
            assert c.hyperlink is None, "hyperlink in %s" % c.coordinate
    return cells


def check_header(cells):
    assert [c.value for c in cells[0]] == ALL


@pytest.mark.parametrize("config", ["first_use", "comma_utf8"])
def test_excel_csv_every_cell_is_text_as_written(config, converted, hostile):
    _, rows = hostile
    cells = sheet_rows(converted[config])
    check_header(cells)
    assert len(cells) == len(rows) + 1, "rows lost or split"
    cut = 0
    for r, row in zip(rows, cells[1:]):
        assert len(row) == len(ALL)
        for name, c in zip(ALL, row):
            want = r[name]
            if name in TEXT:
                exp = excel_text(want)
                if exp is None:
                    assert c.value is None, (name, r["id"], c.value)
                    continue
                assert c.data_type == "s", (name, r["id"], c.value)
                assert c.value == exp[0], (name, r["id"], c.value[:80], exp[0][:80])
                cut += exp[1]
            elif name == "datetime_utc":
                # ISO 8601 with Z: Calc keeps it as the text it is.
                assert c.value == want, (r["id"], c.value, want)
            else:  # id, year, month, day: numbers or empty
                assert c.value == want and (want is None or c.data_type == "n"), \
                    (name, r["id"], c.value, want)
    assert cut == 1


def test_excel_csv_untouched_dialog_splits_nothing(converted, hostile):
    """With "quoted field as text" off Calc may read 00123 as the number
    123, but every cell stays in its column and nothing runs."""
    _, rows = hostile
    cells = sheet_rows(converted["first_use_untouched"])
    check_header(cells)
    assert len(cells) == len(rows) + 1
    for r, row in zip(rows, cells[1:]):
        assert len(row) == len(ALL)
        assert row[0].value == r["id"]
        for name, c in zip(ALL, row):
            if name in TEXT and isinstance(c.value, str):
                assert c.value == excel_text(r[name])[0], (name, r["id"], c.value[:80])
            elif name in TEXT and c.value is not None:
                # a number or date Calc recognised: never from a cell that
                # holds a separator, so nothing was split to make it
                assert not any(s in r[name] for s in ";\t\n"), (name, r["id"], c.value)


def test_xlsx_through_libreoffice(converted, hostile):
    """quire's own XLSX, opened and saved again by Calc: typed as promised."""
    _, rows = hostile
    cells = sheet_rows(converted["xlsx"])
    check_header(cells)
    assert len(cells) == len(rows) + 1
    check_xlsx_cells(cells, rows)


def check_xlsx_cells(cells, rows):
    """The cells of quire's XLSX: text exact (cut, never prefixed), numbers,
    dates as date cells from 1900-03-01 on, partial dates as text."""
    cut = 0
    for r, row in zip(rows, cells[1:]):
        assert len(row) == len(ALL)
        for name, c in zip(ALL, row):
            want = r[name]
            full_date = r["precision"] >= 3 and r["instant"] >= datetime(1900, 3, 1)
            if name == "date" and full_date:
                assert c.is_date and c.value == r["instant"], (r["id"], c.value, r["instant"])
            elif name == "datetime_utc" and r["instant"] and r["instant"] >= datetime(1900, 3, 1):
                assert c.is_date and c.value == r["instant"], (r["id"], c.value)
            elif name in ("id", "year", "month", "day"):
                assert c.value == want and (want is None or c.data_type == "n"), (name, r["id"], c.value)
            elif not want:
                assert c.value is None, (name, r["id"], c.value)
            else:
                text, was_cut = utf16_cut(want, CELL_MAX)
                cut += was_cut
                assert c.data_type == "s" and c.value == text, (name, r["id"], repr(c.value)[:80])
    assert cut == 1


def test_xlsx_as_written(hostile, tmp_path):
    """quire's XLSX read directly: frozen header, filter, widths, types."""
    path, rows = hostile
    out = str(tmp_path / "q.xlsx")
    r = quire("export", path, "--xlsx", "-o", out, "--columns", ",".join(ALL))
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    assert wb.sheetnames == ["documents"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L%d" % (len(rows) + 1)
    assert ws.column_dimensions["G"].width > 50  # text
    assert ws.column_dimensions["A"].width < 12  # id
    cells = sheet_rows(out)
    check_header(cells)
    check_xlsx_cells(cells, rows)
    assert ws["C1"].font.b  # the header is bold
    # the date format says what precision the date has
    formats = {r["precision"]: c.number_format for r, c in zip(rows, ws["C"][1:]) if c.is_date}
    assert formats[3] == "yyyy-mm-dd" and formats[5] == "yyyy-mm-dd hh:mm:ss"
