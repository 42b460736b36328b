#!/usr/bin/env python3
"""Measures growing corpora (issue 13): `quire merge` of two corpora against
packing their CSVs, and `quire append` of 1% new documents against packing
everything again, in one run on the same data.

  benchmarks/grow_bench.py --quire build/quire --docs 1000000 [--runs 3]
                           [--pack-runs 1] [--record]

DOCS is the merged corpus: two halves of DOCS/2 documents (gen_corpus.py
seeds 1 and 2) are packed, then merged; the append adds DOCS/100 new
documents (seed 3) to the pack of both halves. Every quire command runs
with the machine's default threads (all cores), the same for every row.

Rows (medians of --runs; elapsed and CPU time of the process):
  merge      quire merge A.quire B.quire       vs quire pack A.csv B.csv
  append     quire append AB.quire NEW.csv     vs quire pack A.csv B.csv NEW.csv
and the merged file's size against a fresh pack of the same documents.
Before timing, the merged and appended corpora are checked: the right
document count, `quire verify` whole, and the same per-source counts as the
fresh packs.

Data lives in benchmarks/work/grow-DOCS/ (gitignored). --record writes
results/grow.json and results/grow.md, which report.py appends to
RESULTS.md. --smoke runs 2,000 documents once, for CI.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    """Runs cmd; returns (elapsed, cpu) seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def timed(cmd, runs, before=None):
    """Median elapsed and CPU time of cmd over runs (before() runs first,
    untimed, each time)."""
    times = []
    for _ in range(runs):
        if before:
            before()
        times.append(run(cmd))
    return median([t[0] for t in times]), median([t[1] for t in times])


def generate(work, name, docs, seed):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"),
                        "-n", str(docs), "-o", path + ".tmp", "--seed", str(seed)],
                       check=True)
        os.replace(path + ".tmp", path)
    return path


def output(quire, *args):
    return subprocess.run([quire, *args], check=True, capture_output=True,
                          text=True).stdout


def per_source(quire, path):
    """{(source, year): count} from `quire stats`."""
    return output(quire, "stats", path)


def check(quire, path, docs, reference):
    count = int(output(quire, "count", path))
    assert count == docs, f"{path}: {count} documents, expected {docs}"
    output(quire, "verify", path)
    assert per_source(quire, path) == per_source(quire, reference), \
        f"{path}: per-source counts differ from {reference}"


def measure(args):
    quire = os.path.abspath(args.quire)
    work = os.path.join(args.work or os.path.join(HERE, "work"), f"grow-{args.docs}")
    os.makedirs(work, exist_ok=True)
    half = args.docs // 2
    new = max(1, args.docs // 100)
    a_csv = generate(work, "a.csv", half, 1)
    b_csv = generate(work, "b.csv", args.docs - half, 2)
    n_csv = generate(work, "new.csv", new, 3)
    a, b = os.path.join(work, "a.quire"), os.path.join(work, "b.quire")
    ab, abn = os.path.join(work, "ab.quire"), os.path.join(work, "abn.quire")
    merged = os.path.join(work, "merged.quire")
    grown = os.path.join(work, "grown.quire")
    runs = args.runs

    # The inputs, and the packs the rows compare against (timed).
    subprocess.run([quire, "pack", "-o", a, a_csv], check=True, capture_output=True)
    subprocess.run([quire, "pack", "-o", b, b_csv], check=True, capture_output=True)
    pack_runs = args.pack_runs or runs
    pack_ab = timed([quire, "pack", "-o", ab, a_csv, b_csv], pack_runs)
    pack_abn = timed([quire, "pack", "-o", abn, a_csv, b_csv, n_csv], pack_runs)

    merge_cmd = [quire, "merge", "-o", merged, a, b]
    subprocess.run(merge_cmd, check=True, capture_output=True)
    check(quire, merged, args.docs, ab)
    merge = timed(merge_cmd, runs)

    def fresh_copy():
        shutil.copyfile(ab, grown)
    fresh_copy()
    subprocess.run([quire, "append", grown, n_csv], check=True, capture_output=True)
    check(quire, grown, args.docs + new, abn)
    append = timed([quire, "append", grown, n_csv], runs, before=fresh_copy)

    sizes = {name: os.path.getsize(p) for name, p in
             (("merged", merged), ("fresh", ab), ("grown", grown),
              ("fresh_all", abn))}
    for p in (merged, grown, abn):
        os.remove(p)
    return {
        "docs": args.docs, "new_docs": new, "runs": runs,
        "pack_runs": pack_runs,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "pack_ab": pack_ab, "pack_abn": pack_abn, "merge": merge,
        "append": append, "sizes": sizes,
    }


def markdown(r):
    def ratio(x, y):
        return f"{x / y:.4f}"
    m, p, ap, pa = r["merge"], r["pack_ab"], r["append"], r["pack_abn"]
    s = r["sizes"]
    size_ratio = s["merged"] / s["fresh"]
    lines = [
        "## Growing corpora: merge and append (issue 13)",
        "",
        f"Written by `benchmarks/grow_bench.py` ({r['when']}"
        + (f", commit {r['commit']}" if r.get("commit") else "")
        + f", {r['machine']}, "
        f"medians of {r['runs']} runs, {r['pack_runs']} of the packs; all commands "
        f"with their default threads). "
        f"Merge: two corpora of {r['docs'] // 2:,} documents each against "
        f"`quire pack` of their two CSVs into one. Append: {r['new_docs']:,} new "
        f"documents (1%) added to the {r['docs']:,}-document corpus against "
        f"packing all {r['docs'] + r['new_docs']:,} again.",
        "",
        "| row | quire | peer | elapsed (s) | peer elapsed (s) | ratio | CPU ratio | target |",
        "|---|---|---|---:|---:|---:|---:|---|",
        f"| merge | `quire merge -o M A.quire B.quire` | `quire pack -o M A.csv B.csv` "
        f"| {m[0]:.2f} | {p[0]:.2f} | {ratio(m[0], p[0])} | {ratio(m[1], p[1])} "
        f"| < 0.1: {'met' if m[0] / p[0] < 0.1 else 'missed'} |",
        f"| append 1% | `quire append AB.quire NEW.csv` | `quire pack -o X A.csv B.csv NEW.csv` "
        f"| {ap[0]:.2f} | {pa[0]:.2f} | {ratio(ap[0], pa[0])} | {ratio(ap[1], pa[1])} "
        f"| < 0.05: {'met' if ap[0] / pa[0] < 0.05 else 'missed'} |",
        "",
        f"Size: the merged file is {s['merged']:,} bytes, a fresh pack of the same "
        f"documents {s['fresh']:,}: {size_ratio:.4f}x (target <= 1.01: "
        f"{'met' if size_ratio <= 1.01 else 'missed'}). The appended corpus is "
        f"{s['grown']:,} bytes, a fresh pack of all {s['fresh_all']:,}: "
        f"{s['grown'] / s['fresh_all']:.4f}x.",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quire", default=os.path.join(HERE, "..", "build", "quire"))
    ap.add_argument("--docs", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pack-runs", type=int, default=0,
                    help="runs of the packs (minutes each at 1,000,000; "
                         "default --runs)")
    ap.add_argument("--work", help="data folder (default benchmarks/work)")
    ap.add_argument("--record", action="store_true",
                    help="write results/grow.json and results/grow.md")
    ap.add_argument("--smoke", action="store_true",
                    help="2,000 documents, one run, nothing recorded (CI)")
    args = ap.parse_args()
    if args.smoke:
        args.docs, args.runs, args.record = 2000, 1, False
    r = measure(args)
    text = markdown(r)
    print(text)
    if args.record:
        results = os.path.join(HERE, "results")
        with open(os.path.join(results, "grow.json"), "w") as f:
            json.dump(r, f, indent=1)
        with open(os.path.join(results, "grow.md"), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
