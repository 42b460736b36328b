#!/usr/bin/env python3
"""Times quire's read of every metadata column into a pyarrow Table and the
same read with the text, each query's reads in a row (every read right
after one of the same query), with one thread and with default threads,
optionally after five pyarrow reads of the Parquet file of the same corpus.
arrow_bench.py times the two queries taking turns; this shows what a query
costs when it follows itself rather than the other one.

    QUIRE_LIBRARY=build/libquire.so python3 benchmarks/analysis/meta_in_a_row.py \\
        benchmarks/work/arrow-10000.quire benchmarks/work/arrow-10000.parquet parquet
    # last argument: parquet (read the Parquet file five times first) or none

benchmarks/ANALYSIS.md, "Each read after its own", has the results.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))

import pyarrow.parquet as pq  # noqa: E402
import quire  # noqa: E402


def median_in_a_row(fn, runs):
    """Median seconds of runs calls of fn, after one untimed call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("quire_file")
    ap.add_argument("parquet_file")
    ap.add_argument("before", choices=("parquet", "none"))
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    corpus = quire.open(args.quire_file)
    meta = [c for c in quire._arrow.COLUMNS if c != "text"]
    if args.before == "parquet":
        for _ in range(5):
            pq.read_table(args.parquet_file)
    for threads in (1, None):
        without = median_in_a_row(
            lambda: corpus.query(columns=meta, batch_size=65536, threads=threads).to_arrow(),
            args.runs)
        with_text = median_in_a_row(
            lambda: corpus.query(batch_size=65536, threads=threads).to_arrow(),
            max(3, args.runs // 2))
        print(f"threads={threads or 'default'}: without text {without * 1e3:.2f} ms, "
              f"with text {with_text * 1e3:.1f} ms, ratio {with_text / without:.1f}")


if __name__ == "__main__":
    main()
