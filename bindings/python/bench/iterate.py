#!/usr/bin/env python3
"""Iterates every document of a corpus through the Python binding, reading
its date, source (a str) and text length without inflating any text, and
prints the line every language's version prints (benchmarks/bindings):

    docs=<N> checksum=<sum of text lengths and dates, mod 2^64> seconds=<loop>

By default it walks the corpus the fastest way a Python user would for this
job, column-wise with Corpus.batches() (one call into libquire per 1024
documents); with --documents it iterates Document objects one by one, as
``for doc in corpus`` does.

Run: QUIRE_LIBRARY=build/libquire.so PYTHONPATH=bindings/python \\
     python3 bindings/python/bench/iterate.py [--documents] corpus.quire
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import quire  # noqa: E402


def by_columns(corpus: quire.Corpus) -> "tuple[int, int]":
    docs = checksum = 0
    for batch in corpus.batches():
        sources = batch.source_names  # noqa: F841 - read as every binding reads it
        checksum += sum(batch.text_lengths) + sum(filter(None, batch.timestamps))
        docs += len(batch)
    return docs, checksum


def by_documents(corpus: quire.Corpus) -> "tuple[int, int]":
    docs = checksum = 0
    for doc in corpus:
        source = doc.source  # noqa: F841 - read as every binding reads it
        checksum += doc.text_length + (doc.timestamp or 0)
        docs += 1
    return docs, checksum


def main(argv: "list[str]") -> int:
    walk = by_columns
    if argv[:1] == ["--documents"]:
        walk, argv = by_documents, argv[1:]
    if len(argv) != 1:
        print("usage: iterate.py [--documents] CORPUS.quire", file=sys.stderr)
        return 2
    with quire.open(argv[0]) as corpus:
        start = time.perf_counter()
        docs, checksum = walk(corpus)
        seconds = time.perf_counter() - start
    print(f"docs={docs} checksum={checksum % 2**64} seconds={seconds:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
