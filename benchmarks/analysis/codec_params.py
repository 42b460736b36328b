#!/usr/bin/env python3
"""Size, pack time and filtered-export time of one CSV packed with each
codec, level, block size and dictionary size of a grid: what chose format
1.1's defaults (ANALYSIS.md, "Format 1.1: codec, level, block size,
dictionary").

usage: codec_params.py QUIRE CSV [--grid NAME] [--select SRC1,SRC2]
                       [--from 2012 --to 2015] [--reps 3]

Every pack runs with --threads 1 and is timed in CPU seconds of the child
(user + system), which the shared machine disturbs less than elapsed time;
the file's bytes do not depend on the thread count. The filtered export
(quire export FILE --source ... --from ... --to ... -o OUT) is timed in
elapsed seconds, best of --reps, the file being in the page cache. Prints
one Markdown table row per setting.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

GRIDS = {
    # name: [(codec, level, block size, dictionary size)]
    "full": [("deflate", 9, "1M", None), ("deflate", 9, "64k", None)]
    + [("zstd", lv, bs, ds)
       for bs in ("32k", "64k", "128k", "1M")
       for lv in (3, 5, 9, 19)
       for ds in ("0", "112k")]
    + [("zstd", lv, "64k", ds) for lv in (5, 9) for ds in ("32k", "256k", "1M")],
    # what ANALYSIS.md's tables ran (the full grid takes an hour on a busy
    # two-core machine)
    "quick": [("deflate", 9, "1M", None), ("deflate", 9, "64k", None)]
    + [("zstd", lv, "64k", "112k") for lv in (3, 5, 9, 19)]
    + [("zstd", 5, "64k", ds) for ds in ("0", "32k", "512k")]
    + [("zstd", 5, bs, "112k") for bs in ("32k", "128k", "1M")],
    # block sizes at or over 128 KiB again, after the fix of 8 Nov (zeroed
    # static CDict), and levels at 1 MiB
    "large": [("zstd", 5, bs, "112k") for bs in ("128k", "256k", "1M")]
    + [("zstd", lv, "1M", "112k") for lv in (9, 19)]
    + [("zstd", 9, "128k", "112k")],
    "small": [("deflate", 9, "1M", None), ("deflate", 9, "64k", None)]
    + [("zstd", lv, bs, ds)
       for bs in ("16k", "64k", "1M")
       for lv in (5, 9, 19)
       for ds in ("0", "32k", "112k")],
}


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def pack(quire, csv, out, codec, level, block, dictionary):
    args = [quire, "pack", "-o", out, "--threads", "1", "--codec", codec,
            "--level", str(level), "--block-size", block]
    if dictionary is not None:
        args += ["--dictionary-size", dictionary]
    before = child_cpu()
    subprocess.run(args + [csv], check=True, stderr=subprocess.DEVNULL)
    return child_cpu() - before


def filtered_export(quire, corpus, out, select, reps):
    args = [quire, "export", corpus, "-o", out]
    for s in select:
        args += ["--source", s]
    args += ["--from", ARGS.from_, "--to", ARGS.to]
    best = None
    for _ in range(reps):
        start = time.perf_counter()
        subprocess.run(args, check=True)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("quire")
    ap.add_argument("csv")
    ap.add_argument("--grid", default="full", choices=sorted(GRIDS))
    ap.add_argument("--select", default="", help="sources of the filtered export")
    ap.add_argument("--from", dest="from_", default="2012")
    ap.add_argument("--to", default="2015")
    ap.add_argument("--reps", type=int, default=3)
    ARGS = ap.parse_args()
    select = [s for s in ARGS.select.split(",") if s]
    raw = os.path.getsize(ARGS.csv)
    print(f"{os.path.basename(ARGS.csv)}: {raw} bytes of CSV")
    print("| codec | level | block | dictionary | size (bytes) | vs DEFLATE-9 1M "
          "| pack CPU s (1 thread) | filtered export s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base = None
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(ARGS.csv))) as d:
        corpus, out = os.path.join(d, "c.quire"), os.path.join(d, "out.csv")
        for codec, level, block, dictionary in GRIDS[ARGS.grid]:
            cpu = pack(ARGS.quire, ARGS.csv, corpus, codec, level, block, dictionary)
            size = os.path.getsize(corpus)
            base = base or size
            fx = (f"{filtered_export(ARGS.quire, corpus, out, select, ARGS.reps):.3f}"
                  if select else "")
            ds = "-" if dictionary is None else dictionary
            print(f"| {codec} | {level} | {block} | {ds} | {size} | "
                  f"{size / base:.3f} | {cpu:.2f} | {fx} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
