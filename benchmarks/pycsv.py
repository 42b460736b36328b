#!/usr/bin/env python3
"""The Python peer of the quire benchmarks: the standard csv module reading
the gzip'd CSV, as a script written for the job would.

  pycsv.py count CSV.GZ                  prints the number of documents
  pycsv.py fcount CSV.GZ FROM TO SRC...  documents of the sources in years
                                         FROM..TO (ISO text compared, as in
                                         SQLite and DuckDB)
"""
import csv
import gzip
import sys


def rows(path):
    csv.field_size_limit(sys.maxsize)
    f = gzip.open(path, "rt", encoding="utf-8", newline="")
    reader = csv.reader(f)
    next(reader)  # the header
    return reader


def main(argv):
    if len(argv) == 2 and argv[0] == "count":
        print(sum(1 for _ in rows(argv[1])))
        return 0
    if len(argv) >= 5 and argv[0] == "fcount":
        path, first, last, sources = argv[1], argv[2], argv[3], set(argv[4:])
        end = str(int(last) + 1)
        print(sum(1 for r in rows(path)
                  if r[0] in sources and first <= r[1] < end))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
