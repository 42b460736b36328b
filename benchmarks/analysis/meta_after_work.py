#!/usr/bin/env python3
"""Times quire's read of every metadata column into a pyarrow Table after
other work, the way arrow_bench.py times it (one untimed read of the same
query, then the timed one), to tell the read's own cost from what the work
before it leaves behind: caches filled with other data, a helper thread
woken on a core the kernel had left idle.

    QUIRE_LIBRARY=build/libquire.so python3 benchmarks/analysis/meta_after_work.py \\
        benchmarks/work/arrow-10000.quire benchmarks/work/arrow-10000.parquet

prints, for each kind of work before the two reads (nothing, a read of every
column, 64 MiB written, a 30 ms sleep, pq.read_table() of the Parquet
file), the median of --runs timed reads with default threads, and with
--one-thread also on one thread; then the benchmark's own pattern (the
metadata and the with-text reads taking turns, each after an untimed read
of its own) with the ratio of their medians. benchmarks/ANALYSIS.md, "The
metadata read after other work, and the stream's end", has the results.
"""

import argparse
import ctypes
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))

import pyarrow.parquet as pq  # noqa: E402
import quire  # noqa: E402

BATCH = 65536  # as arrow_bench.py


def timed(fn, before, warm, runs):
    """Median ms of fn, each run after before() and warm untimed calls."""
    times = []
    for _ in range(runs):
        if before:
            before()
        for _ in range(warm):
            fn()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("parquet")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--one-thread", action="store_true")
    args = ap.parse_args()
    corpus = quire.open(args.corpus)
    meta = [c for c in quire._arrow.COLUMNS if c != "text"]
    scratch = (ctypes.c_char * (64 << 20))()

    def write_scratch():
        ctypes.memset(scratch, 1, len(scratch))

    works = [
        ("nothing", None),
        ("a read of every column", lambda: corpus.query(batch_size=BATCH).to_arrow()),
        ("64 MiB written", write_scratch),
        ("a 30 ms sleep", lambda: time.sleep(0.03)),
        ("pq.read_table()", lambda: pq.read_table(args.parquet)),
    ]
    for threads in ((None, 1) if args.one_thread else (None,)):
        label = "one thread" if threads == 1 else "default threads"

        def read(t=threads):
            return corpus.query(columns=meta, batch_size=BATCH, threads=t).to_arrow()

        for name, work in works:
            print(f"{label}, after {name}: {timed(read, work, 1, args.runs):.3f} ms")

    def with_text():
        return corpus.query(batch_size=BATCH).to_arrow()

    def without():
        return corpus.query(columns=meta, batch_size=BATCH).to_arrow()

    walls = {without: [], with_text: []}
    for fn in walls:
        fn()
    for _ in range(args.runs):
        for fn, wall in walls.items():
            fn()
            start = time.perf_counter()
            result = fn()
            wall.append(time.perf_counter() - start)
            del result
    no_text = statistics.median(walls[without]) * 1e3
    text = statistics.median(walls[with_text]) * 1e3
    print(f"taking turns: without text {no_text:.3f} ms, with text {text:.2f} ms, "
          f"ratio {text / no_text:.2f}")


if __name__ == "__main__":
    main()
