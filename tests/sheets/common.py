"""What the spreadsheet tests share: the quire binary, the hostile corpus
packed once per test session, and the cells quire promises to write."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import corpus  # noqa: E402

QUIRE = os.environ.get("QUIRE_BIN", "quire")
SEEDS = os.environ.get("QUIRE_SEEDS_DIR", "")
ALL = ["id", "source", "date", "title", "author", "url", "text", "year",
       "month", "day", "datetime_utc", "date_precision"]
TEXT = {"source", "date", "title", "author", "url", "text", "date_precision"}
CELL_MAX = 32767


def seeds_dir():
    if SEEDS and os.path.isfile(os.path.join(SEEDS, "manifest.csv")):
        return SEEDS
    print("seed articles not found at %r: testing the hostile corpus only" % SEEDS)
    return None


def quire(*args, **kw):
    return subprocess.run([QUIRE, *map(str, args)], capture_output=True,
                          text=True, **kw)


def utf16_cut(s, limit):
    """s cut to at most limit UTF-16 code units, never inside a character."""
    units = 0
    for i, ch in enumerate(s):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return s[:i], True
    return s, False


PRECISIONS = {1: "year", 2: "month", 3: "day", 4: "minute", 5: "second"}


def expected_rows(docs):
    """The cells quire promises for the documents docs (as packed, in order):
    the fields, with id, and the derived date columns computed here from the
    date as written."""
    from datetime import datetime, timedelta
    rows = []
    for i, doc in enumerate(docs):
        r = dict(doc, id=i, year=None, month=None, day=None, datetime_utc=None,
                 date_precision="", instant=None, precision=0)
        d = r["date"]
        if d:
            # as written: 2016, 2016-01, 2016-01-31, ...T09:22[:05][Z|+hh:mm]
            r["year"] = int(d[0:4])
            r["month"] = int(d[5:7]) if len(d) >= 7 else None
            r["day"] = int(d[8:10]) if len(d) >= 10 else None
            body, zone = d.rstrip("Z"), ""
            if len(body) > 16 and body[-6] in "+-":
                body, zone = body[:-6], body[-6:]
            prec = {4: 1, 7: 2, 10: 3, 16: 4, 19: 5}[len(body)]
            fmt = ["%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"][prec - 1]
            inst = datetime.strptime(body, fmt)
            if zone:
                sign = 1 if zone[0] == "+" else -1
                inst -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            r["instant"], r["precision"] = inst, prec
            r["date_precision"] = PRECISIONS[prec]
            r["datetime_utc"] = inst.strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append(r)
    return rows


def excel_text(value):
    """A text cell of the excel CSV dialect: formula guard and cut."""
    if value == "":
        return None
    prefix = "'" if value[0] in "=+-@\t\r" else ""
    cut, was_cut = utf16_cut(value, CELL_MAX - len(prefix))
    return prefix + cut, was_cut
