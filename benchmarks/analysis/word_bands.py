#!/usr/bin/env python3
"""Times `quire count --match WORD` for words of several document counts
(from below 0.05% to about 2% of the documents), on one or more builds and
files, to show what each budget split of the word summaries and postings
gives each kind of word. The words come from the FTS5 database that
benchmarks/words.py builds (its fts5vocab), so every count is checked
against FTS5's. Medians of --runs runs, CPU time (user + system) and
elapsed time.

    python3 benchmarks/analysis/word_bands.py --fts build-wbench/corpus-100000.fts5.db \\
        old:/tmp/old/quire:/tmp/p-old.quire new:build/quire:/tmp/p-new.quire
"""

import argparse
import resource
import sqlite3
import statistics
import subprocess
import time

BANDS = ((0.0002, 0.0005), (0.0005, 0.001), (0.001, 0.0015), (0.0015, 0.003))


def words_of_bands(db_path, docs):
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, docs, 'row')")
    rows = db.execute("SELECT term, doc FROM temp.vocab WHERE length(term) >= 5").fetchall()
    rows = sorted(((t, n) for t, n in rows if t.isascii() and t.isalpha()), key=lambda r: (r[1], r[0]))
    picked = []
    for lo, hi in BANDS:
        band = [r for r in rows if lo * docs <= r[1] < hi * docs]
        picked += [band[len(band) // 4], band[3 * len(band) // 4]] if band else []
    return picked


def timed(cmd, runs):
    cpus, walls, out = [], [], None
    subprocess.run(cmd, capture_output=True, check=True)
    for _ in range(runs):
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return out, statistics.median(cpus) * 1000, statistics.median(walls) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fts", required=True, help="the FTS5 database of the corpus")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("builds", nargs="+", help="LABEL:QUIRE:FILE")
    args = ap.parse_args()
    builds = [b.split(":", 2) for b in args.builds]
    docs = sqlite3.connect(args.fts).execute("SELECT count(*) FROM docs").fetchone()[0]
    print("| term | documents | " + " | ".join(f"{label}: CPU ms (elapsed)" for label, _, _ in builds) + " |")
    print("|---|---:|" + "---:|" * len(builds))
    for term, count in words_of_bands(args.fts, docs):
        cells = []
        for _, quire, path in builds:
            out, cpu, wall = timed([quire, "count", "--match", term, path], args.runs)
            if int(out) != count:
                raise SystemExit(f"{quire} counts {out} documents with {term!r}, FTS5 {count}")
            cells.append(f"{cpu:.1f} ({wall:.1f})")
        print(f"| {term} | {count} ({100 * count / docs:.3f}%) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
