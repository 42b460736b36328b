#!/usr/bin/env python3
"""The same walk as iterate.py over a gzip'd CSV (header source,date,...,text)
with Python's own csv and gzip modules: the baseline the binding is held to.
Dates are parsed by quire.parse_date only once per distinct date text, which
is cached, so that the baseline pays for reading, not for date parsing.

    docs=<N> checksum=<sum of text lengths and dates, mod 2^64> seconds=<loop>

Text lengths are UTF-8 bytes, as quire counts them.
"""

import csv
import gzip
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import quire  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: iterate_csv.py CORPUS.csv.gz", file=sys.stderr)
        return 2
    csv.field_size_limit(1 << 30)
    dates: dict = {"": 0}
    start = time.perf_counter()
    docs = checksum = 0
    with gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        i_source, i_date, i_text = (header.index(c) for c in ("source", "date", "text"))
        for row in reader:
            source = row[i_source]  # noqa: F841
            date = row[i_date]
            seconds = dates.get(date)
            if seconds is None:
                seconds = dates[date] = quire.parse_date(date)[0]
            checksum += len(row[i_text].encode("utf-8")) + seconds
            docs += 1
    elapsed = time.perf_counter() - start
    print(f"docs={docs} checksum={checksum % 2**64} seconds={elapsed:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
