#!/usr/bin/env python3
"""Iterates every document of a corpus through the Python binding, reading
its date, source (a str) and text length without inflating any text, and
prints the line every language's version prints (benchmarks/bindings):

    docs=<N> checksum=<sum of text lengths and dates, mod 2^64> seconds=<loop>

Run: QUIRE_LIBRARY=build/libquire.so PYTHONPATH=bindings/python \\
     python3 bindings/python/bench/iterate.py corpus.quire
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import quire  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: iterate.py CORPUS.quire", file=sys.stderr)
        return 2
    with quire.open(sys.argv[1]) as corpus:
        start = time.perf_counter()
        docs = checksum = 0
        for doc in corpus:
            source = doc.source  # noqa: F841 - read as every binding reads it
            checksum += doc.text_length + (doc.timestamp or 0)
            docs += 1
        seconds = time.perf_counter() - start
    print(f"docs={docs} checksum={checksum % 2**64} seconds={seconds:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
