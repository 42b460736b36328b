#!/usr/bin/env python3
"""Times whole reads of a file into a pyarrow Table on one thread, the same
read repeated after each of several pauses: a .quire file through quire's
Arrow stream, or a Parquet file through pyarrow.parquet.read_table. Shows
what memory a library keeps between reads is worth, and for how long: a
read that finds its earlier batches' memory kept writes over pages already
mapped, where fresh memory is zeroed by the kernel page by page.
Medians of --runs reads for each pause, seconds.

    QUIRE_LIBRARY=build/libquire.so python3 benchmarks/analysis/read_pauses.py \\
        benchmarks/work/arrow-100000.quire 0,0.5,1.2,2,5
    python3 benchmarks/analysis/read_pauses.py benchmarks/work/arrow-100000.parquet 0,2

benchmarks/ANALYSIS.md, "Kept buffers lent whatever their age", has the
results.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))


def reader(path):
    """A function reading the whole of path into a pyarrow Table."""
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq
        return lambda: pq.read_table(path, use_threads=False)
    import quire
    corpus = quire.open(path)
    return lambda: corpus.query(batch_size=65536, threads=1).to_arrow()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", help="a .quire or a .parquet file")
    ap.add_argument("pauses", help="seconds between reads, comma-separated")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    read = reader(args.path)
    read()  # the first read of a process: imports, and memory never mapped
    for pause in (float(p) for p in args.pauses.split(",")):
        times = []
        for _ in range(args.runs):
            time.sleep(pause)
            start = time.perf_counter()
            table = read()
            times.append(time.perf_counter() - start)
            del table
        print(f"pause {pause:g} s: median {statistics.median(times):.4f} s, "
              f"min {min(times):.4f}, max {max(times):.4f}", flush=True)


if __name__ == "__main__":
    main()
