#!/usr/bin/env python3
"""Benchmarks the term filter (issue 17): `quire count --match WORD` against
`zcat corpus.csv.gz | grep -ciw WORD` and SQLite FTS5 with its index built,
for a rare term (in under 0.1% of the documents) and a common one (in about
30%), on the generated corpus of gen_corpus.py. Not run by CI.

    python3 benchmarks/words.py --quire build/quire --docs 100000 --runs 5
    python3 benchmarks/words.py --quire build/quire --docs 1000000 --runs 5 \
        --terms-from 100000

Everything is built once in --work (default build-wbench/): the CSV, its
gzip -6, the .quire file (default pack options) and the FTS5 database (a
table docs(title, text) with tokenizer unicode61 remove_diacritics 0, so
that accents matter there as they do in quire). The terms are chosen from
FTS5's own vocabulary: ASCII words of 5 letters or more whose document
count is in the range wanted (with --terms-from, candidates from a smaller
corpus's vocabulary, counted again in this one's index: listing the
vocabulary of 1M documents had not finished after 7 minutes). Each command is run --runs times (after one
warm-up run, so every file is in the page cache) and the median elapsed
time is reported; quire's count is checked against FTS5's. The rows go to
stdout as Markdown and, with --results FILE, into FILE between the markers
"<!-- words N:begin -->" and "<!-- words N:end -->", N the document count
(appended when absent), so that each size keeps its own rows.
"""

import argparse
import os
import resource
import shlex
import sqlite3
import statistics
import subprocess
import sys
import time
import csv

HERE = os.path.dirname(os.path.abspath(__file__))

def markers(docs):
    return f"<!-- words {docs}:begin -->", f"<!-- words {docs}:end -->"


def run(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw)


def cpu_of_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, runs):
    """The median elapsed time, the median CPU time (user + system, of
    every process of the command: on a busy machine the steadier of the
    two) and the output."""
    run(cmd)  # warm-up: the page cache holds every file afterwards
    times, cpus, out = [], [], None
    for _ in range(runs):
        c, t = cpu_of_children(), time.perf_counter()
        out = run(cmd).stdout.strip()
        times.append(time.perf_counter() - t)
        cpus.append(cpu_of_children() - c)
    return (statistics.median(times), statistics.median(cpus)), out


def make(path, cmd):
    if not os.path.exists(path):
        print(f"words: making {path}", file=sys.stderr)
        run(f"{cmd} && mv {shlex.quote(path)}.tmp {shlex.quote(path)}")


def build_fts(csv_path, db_path):
    if os.path.exists(db_path):
        return
    print(f"words: making {db_path}", file=sys.stderr)
    tmp = db_path + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    db = sqlite3.connect(tmp)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, text, "
               "tokenize = 'unicode61 remove_diacritics 0')")
    csv.field_size_limit(1 << 30)
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = ((r["title"], r["text"]) for r in csv.DictReader(f))
        db.executemany("INSERT INTO docs(title, text) VALUES (?, ?)", rows)
    db.commit()
    db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.commit()
    db.close()
    os.rename(tmp, db_path)


def vocabulary(db_path):
    """(term, documents) of the ASCII words of 5 letters or more."""
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, docs, 'row')")
    rows = db.execute("SELECT term, doc FROM temp.vocab WHERE length(term) >= 5").fetchall()
    db.close()
    return [(t, n) for t, n in rows if t.isascii() and t.isalpha()]


def fts_count(db_path, term):
    db = sqlite3.connect(db_path)
    n = db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (f'"{term}"',)).fetchone()[0]
    db.close()
    return n


def pick_terms_from(db_path, docs, small_db, small_docs):
    """pick_terms for a corpus whose FTS5 vocabulary takes too long to list
    (fts5vocab reads the whole index: unfinished after 7 minutes for 1M
    documents): the
    candidates come from the vocabulary of a smaller corpus of the same
    generator, their document counts scaled, and each pick is counted
    again in this corpus's own index."""
    scale = docs / small_docs
    rows = sorted(((t, n * scale) for t, n in vocabulary(small_db)), key=lambda r: (r[1], r[0]))
    rare = [t for t, n in rows if docs * 0.0002 <= n < docs * 0.001]
    picked = None
    for step in range(len(rare)):  # from the middle outwards
        i = len(rare) // 2 + (step + 1) // 2 * (1 if step % 2 else -1)
        n = fts_count(db_path, rare[i])
        if docs * 0.0002 <= n < docs * 0.001:
            picked = (rare[i], n)
            break
    common = min(rows, key=lambda r: (abs(r[1] - 0.3 * docs), r[0]))[0]
    return picked, (common, fts_count(db_path, common))


def pick_terms(db_path, docs):
    """A rare term (0.02% to 0.1% of documents) and the term nearest 30%."""
    ascii_rows = vocabulary(db_path)
    rare = [r for r in ascii_rows if docs * 0.0002 <= r[1] < docs * 0.001]
    rare.sort(key=lambda r: (r[1], r[0]))
    common = min(ascii_rows, key=lambda r: (abs(r[1] - 0.3 * docs), r[0]))
    return rare[len(rare) // 2], common


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quire", required=True, help="the quire executable")
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default=os.path.join(os.path.dirname(HERE), "build-wbench"))
    ap.add_argument("--pack-options", default="", help="extra options of quire pack")
    ap.add_argument("--tag", default="", help="names the .quire files of these pack options")
    ap.add_argument("--results", help="Markdown file to put the rows in")
    ap.add_argument("--terms-from", type=int, metavar="DOCS",
                    help="pick the terms from the vocabulary of the DOCS-document corpus "
                         "built before in --work (for 1M documents and more)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    q = shlex.quote
    base = os.path.join(args.work, f"corpus-{args.docs}")
    csv_path, gz, db = base + ".csv", base + ".csv.gz", base + ".fts5.db"
    qf = base + (f".{args.tag}" if args.tag else "") + ".quire"
    # The same pack without word summaries: their size, and the scan's time.
    plain = base + (f".{args.tag}" if args.tag else "") + ".plain.quire"
    make(csv_path, f"python3 {q(HERE + '/gen_corpus.py')} -n {args.docs} -o {q(csv_path)}.tmp")
    make(gz, f"gzip -6 -c {q(csv_path)} > {q(gz)}.tmp")
    make(qf, f"{q(args.quire)} pack {args.pack_options} -o {q(qf)}.tmp.quire {q(csv_path)} "
             f"&& mv {q(qf)}.tmp.quire {q(qf)}.tmp")
    make(plain, f"{q(args.quire)} pack {args.pack_options} --no-word-summaries "
                f"-o {q(plain)}.tmp.quire {q(csv_path)} && mv {q(plain)}.tmp.quire {q(plain)}.tmp")
    build_fts(csv_path, db)
    if args.terms_from:
        small = os.path.join(args.work, f"corpus-{args.terms_from}.fts5.db")
        (rare, rare_docs), (common, common_docs) = pick_terms_from(db, args.docs, small,
                                                                   args.terms_from)
    else:
        (rare, rare_docs), (common, common_docs) = pick_terms(db, args.docs)
    rows = []
    for label, term, docs in (("rare", rare, rare_docs), ("common", common, common_docs)):
        tq, got = timed(f"{q(args.quire)} count {q(qf)} --match {q(term)}", args.runs)
        if int(got) != docs:
            sys.exit(f"words: quire counts {got} documents with {term!r}, FTS5 {docs}")
        ts, got = timed(f"{q(args.quire)} count {q(plain)} --match {q(term)}", args.runs)
        if int(got) != docs:
            sys.exit(f"words: quire (no summaries) counts {got} with {term!r}, FTS5 {docs}")
        tg, lines = timed(f"zcat {q(gz)} | grep -ciw {q(term)}", args.runs)
        tf, fts = timed(f"sqlite3 {q(db)} \"SELECT count(*) FROM docs WHERE docs MATCH "
                        f"'\\\"{term}\\\"'\"", args.runs)
        rows.append((label, term, docs, tq, tg, tf, lines, ts))
    ms = lambda t: f"{t[0] * 1000:.1f} ms ({t[1] * 1000:.1f})"  # noqa: E731
    sizes = {name: os.path.getsize(p) for name, p in
             (("quire", qf), ("plain", plain), ("csv.gz", gz), ("fts5", db),
              ("csv", csv_path))}
    load = os.getloadavg()[0]
    out = [f"### Term filter, {args.docs:,} documents (benchmarks/words.py, median of "
           f"{args.runs} runs)", "",
           f"Elapsed time, and in parentheses CPU time (user + system of every process "
           f"of the command); load average {load:.1f} on {os.cpu_count()} cores when "
           f"written, so the CPU times are the steadier.", "",
           "| term | documents | quire count --match | same, no summaries | "
           "zcat \\| grep -ciw | SQLite FTS5 "
           "| quire vs grep | quire vs FTS5 |", "|---|---|---|---|---|---|---|---|"]
    for label, term, docs, tq, tg, tf, lines, ts in rows:
        def ratio(a, b, i):
            return f"{b[i] / a[i]:.1f}x faster" if a[i] <= b[i] else f"{a[i] / b[i]:.1f}x slower"
        out.append(f"| {label}: `{term}` | {docs} ({100 * docs / args.docs:.2f}%) | "
                   f"{ms(tq)} | {ms(ts)} | {ms(tg)}, {lines} lines | {ms(tf)} | "
                   f"{ratio(tq, tg, 0)} ({ratio(tq, tg, 1)}) | "
                   f"{ratio(tq, tf, 0)} ({ratio(tq, tf, 1)}) |")
    growth = 100 * (sizes["quire"] / sizes["plain"] - 1)
    out += ["", f"Sizes: quire {sizes['quire']:,} bytes (pack {args.pack_options or 'defaults'}), "
                f"{sizes['plain']:,} without word summaries (+{growth:.2f}% for them), "
                f"csv.gz {sizes['csv.gz']:,}, SQLite FTS5 database {sizes['fts5']:,} "
                f"({sizes['fts5'] / sizes['quire']:.1f}x quire), CSV {sizes['csv']:,}.", ""]
    text = "\n".join(out)
    print(text)
    if args.results:
        BEGIN, END = markers(args.docs)
        old = open(args.results, encoding="utf-8").read() if os.path.exists(args.results) else ""
        if BEGIN in old and END in old:
            head, rest = old.split(BEGIN, 1)
            new = head + BEGIN + "\n" + text + "\n" + END + rest.split(END, 1)[1]
        else:
            new = old.rstrip("\n") + "\n\n" + BEGIN + "\n" + text + "\n" + END + "\n"
        with open(args.results + ".tmp", "w", encoding="utf-8") as f:
            f.write(new)
        os.replace(args.results + ".tmp", args.results)


if __name__ == "__main__":
    main()
