#!/usr/bin/env python3
"""Times quire's read of every metadata column into a pyarrow Table, each
read right after a read of every column (as arrow_bench.py's metadata rows
take turns), first in a fresh process, then again after pyarrow has read
part of the Parquet file of the same corpus: the metadata read is slower
inside the benchmark than alone, and this shows which earlier read brings
that on. Prints medians of --runs reads with one thread and with default
threads, and the context switches of the process per read.

    QUIRE_LIBRARY=build/libquire.so python3 benchmarks/analysis/meta_after_parquet.py \\
        benchmarks/work/arrow-10000.quire benchmarks/work/arrow-10000.parquet all
    # the Parquet read before: all (every column), text, doc, or none

benchmarks/ANALYSIS.md, "Metadata reads after pyarrow's", has the results.
"""

import argparse
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))

import pyarrow.parquet as pq  # noqa: E402
import quire  # noqa: E402


def switches():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_nvcsw, usage.ru_nivcsw


def measure(corpus, label, runs):
    meta = [c for c in quire._arrow.COLUMNS if c != "text"]
    for threads in (1, None):
        times, voluntary, involuntary = [], [], []
        for _ in range(runs):
            table = corpus.query(batch_size=65536).to_arrow()
            del table
            before, start = switches(), time.perf_counter()
            table = corpus.query(columns=meta, batch_size=65536, threads=threads).to_arrow()
            times.append(time.perf_counter() - start)
            after = switches()
            del table
            voluntary.append(after[0] - before[0])
            involuntary.append(after[1] - before[1])
        print(f"{label:>6}, threads={threads or 'default'}: "
              f"median {statistics.median(times) * 1e3:.2f} ms, context switches "
              f"{statistics.median(voluntary):.0f} voluntary, "
              f"{statistics.median(involuntary):.0f} involuntary", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("quire_file")
    ap.add_argument("parquet_file")
    ap.add_argument("before", choices=["all", "text", "doc", "none"])
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    corpus = quire.open(args.quire_file)
    measure(corpus, "fresh", args.runs)
    columns = {"all": None, "text": ["text"], "doc": ["doc"], "none": []}[args.before]
    if columns != []:
        for _ in range(5):
            pq.read_table(args.parquet_file, columns=columns, use_threads=False)
    measure(corpus, "after", args.runs)


if __name__ == "__main__":
    main()
