#!/usr/bin/env python3
"""Export speed to XLSX beside CSV: `quire export` of the same generated
corpus (gen_corpus.py, as bench.py makes it) to plain CSV, to the excel CSV
dialect and to XLSX, whole process, warm cache, each written with -o (a
temporary file, synced and renamed). Reports the median of --runs runs, the
XLSX/CSV time ratio and the peak RSS of each (/usr/bin/time), and writes
results/sheets.json and SHEETS.md.

    benchmarks/sheets.py --quire build/quire [--sizes 10000,100000] [--runs 5]

run.sh runs it after bench.py with the same build and sizes."""
import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1
KINDS = [
    ("csv", "plain CSV", []),
    ("excel", "--excel CSV", ["--excel"]),
    ("xlsx", "--xlsx", ["--xlsx"]),
    ("xlsx-notext", "--xlsx without the text column",
     ["--xlsx", "--columns", "id,source,date,title,author,url,year,month,day"]),
]


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def prepare(work, size, quire):
    d = os.path.join(work, str(size))
    os.makedirs(d, exist_ok=True)
    csv_path, corpus = os.path.join(d, "corpus.csv"), os.path.join(d, "corpus.quire")
    if not os.path.exists(csv_path):
        run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "-n", str(size),
             "--seed", str(SEED), "-o", csv_path])
    run([quire, "pack", "-o", corpus, csv_path])  # packed by this build
    return d, corpus


def peak_rss_kb(cmd):
    res = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    return int(res.stderr.strip().splitlines()[-1])


def measure(quire, corpus, d, args, runs):
    out = os.path.join(d, "out" + (".xlsx" if "--xlsx" in args else ".csv"))
    cmd = [quire, "export", corpus, "-o", out] + args
    run(cmd)  # warm the cache
    times, cpu = [], []
    for _ in range(runs):
        t = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run(cmd)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(time.perf_counter() - t)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    size = os.path.getsize(out)
    rss = peak_rss_kb(cmd)
    os.unlink(out)
    return {"median_s": statistics.median(times), "min_s": min(times),
            "cpu_s": statistics.median(cpu), "bytes": size,
            "rss_kb": rss, "command": " ".join(shlex.quote(c) for c in cmd)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quire", required=True)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default=os.path.join(HERE, "work-sheets"))
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--out", default=os.path.join(HERE, "SHEETS.md"))
    a = ap.parse_args()
    results = []
    for size in [int(s) for s in a.sizes.split(",")]:
        d, corpus = prepare(a.work, size, a.quire)
        r = {"documents": size, "corpus_bytes": os.path.getsize(corpus)}
        for key, _, args in KINDS:
            r[key] = measure(a.quire, corpus, d, args, a.runs)
            print(f"{size} docs, {key}: {r[key]['median_s']:.3f} s "
                  f"(CPU {r[key]['cpu_s']:.3f} s), "
                  f"{r[key]['bytes'] / 1e6:.1f} MB, peak RSS {r[key]['rss_kb'] / 1024:.1f} MiB",
                  flush=True)
        results.append(r)
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "sheets.json"), "w") as f:
        json.dump({"nproc": os.cpu_count(), "runs": a.runs, "results": results}, f, indent=1)
    lines = ["# Export to spreadsheets: XLSX beside CSV", "",
             "Written by `benchmarks/sheets.py` (run.sh runs it after bench.py): "
             "`quire export -o` of the generated corpus (gen_corpus.py, seed 1) to each "
             f"format, median of {a.runs} runs, whole process, warm cache: wall time, "
             "and CPU time (user + system), which a busy machine disturbs less; the "
             "ratios are against plain CSV. Peak RSS from `/usr/bin/time`.", "",
             "| documents | export | wall | ratio | CPU | ratio | output | peak RSS |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        for key, what, _ in KINDS:
            m = r[key]
            lines.append(f"| {r['documents']:,} | {what} | {m['median_s']:.3f} s | "
                         f"{m['median_s'] / r['csv']['median_s']:.2f} | {m['cpu_s']:.3f} s | "
                         f"{m['cpu_s'] / r['csv']['cpu_s']:.2f} | "
                         f"{m['bytes'] / 1e6:.1f} MB | {m['rss_kb'] / 1024:.1f} MiB |")
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
