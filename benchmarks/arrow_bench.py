#!/usr/bin/env python3
"""Arrow C stream benchmarks (issue 12): a .quire file into pyarrow and
polars through quire's Arrow stream, against Parquet (ZSTD) of the same
corpus read by pyarrow and polars, in one process and one run.

Tasks, each timed as the median of --runs runs after one warm-up (warm page
cache, like the main benchmarks):

  table      every document, every column, into a pyarrow Table:
             quire's to_arrow() against pyarrow.parquet.read_table(), both
             with one thread and both with their default threads, each
             with its elapsed time and its CPU time (user and system, every
             thread of the process; the files take turns in every run, so
             that quire's and Parquet's reads meet the same moments of a
             busy machine). One thread is quire's threads=1 and pyarrow's
             use_threads=False, timed in a Python process of their own
             whose pyarrow CPU pool is one thread (pa.set_cpu_count(1)):
             with use_threads=False alone, pyarrow still decodes the row
             groups of a file on that pool, both of this machine's cores
             busy and the calling thread waiting (apache/arrow#38434; the
             100k file has two row groups). The same read with
             use_threads=False alone, pyarrow's pool left at its size, is
             timed beside it in this process, with no target. (Resizing
             the pool around each read instead gave Parquet new threads
             and fresh memory at every read.)
  metadata   every document, every column but the text, against the same
             with the text, with default threads and with one thread (the
             target applies to both, as the table task's does): quire's
             projection never inflates a text block. The two reads take
             turns in every run, so that both sides of the ratio meet the
             same moments of a busy machine (the with-text time is not the
             table row's), and each timed read comes right after an untimed
             read of the same query: timed right after the read with the
             text, a 10k metadata read started with the caches full of
             50 MB of text and, with default threads, its helper thread ran
             late on the core the other read's helpers had just left idle
             (benchmarks/ANALYSIS.md, "Each read after its own").
  metadata, right after the other read
             the default-threads metadata task as it was timed until
             then, each read right after the other one; reported, no
             target.
  metadata, no Parquet read first
             the metadata task again (default threads), in a Python
             process of its own that has read no Parquet file: after
             pyarrow's Parquet reads, the helper thread of a short metadata
             read started late on this machine (benchmarks/ANALYSIS.md,
             "Helpers the kernel runs late"). Reported beside the
             in-process rows, with no target of its own.
  fresh      the table task again, one read per fresh Python process (the
             time of the read alone, after the imports, the open and a read
             of the doc column alone), quire and Parquet alternating: in
             one process later reads write over memory the earlier ones
             released (pyarrow's mimalloc pool keeps it, and quire keeps
             released batch buffers for the next reads, ABI.md "Allocator"),
             where a first read's memory is new and the kernel faults it in
             and zeroes it. Reported beside the in-process rows, with no
             target of its own.
  filtered   two sources over four years into a polars DataFrame:
             polars.DataFrame(corpus.query(...)) against polars scanning the
             Parquet file with the same filter (scan_parquet + filter +
             collect).

The corpus is benchmarks/gen_corpus.py's, packed by the quire CLI of this
build twice: with the defaults, and in the "scan layout" (SCAN_PACK: 1 MiB
text blocks, no dictionary) that docs/guide.md suggests for corpora read
whole; the Parquet file is written by pyarrow from quire's own Arrow table
(the same nine columns, document order, ZSTD, row groups of 64k rows).

    python3 benchmarks/arrow_bench.py --sizes 10000,100000 --runs 5

writes the rows to stdout and to benchmarks/results/arrow.md, which
RESULTS.md includes (report.py keeps it).
"""

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
os.environ.setdefault("QUIRE_LIBRARY", os.path.join(ROOT, "build", "libquire.so"))

import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import quire  # noqa: E402

BATCH = 65536  # rows per record batch on both sides
# The label of the one-thread table task in this process, where
# use_threads=False leaves Parquet's decoding on pyarrow's CPU pool.
POOL_OF_TWO = "1 thread, pyarrow's pool as it is"


def cpu_seconds():
    """User and system time of every thread of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def taking_turns(fns, runs, warm=False):
    """Medians of the elapsed and of the CPU seconds (all threads) of each of
    fns, called in turn in every one of runs rounds after one warm-up round
    (page cache, lazy imports, thread pools): the sides of a ratio then meet
    the same moments of a busy machine. With warm, each timed call comes
    right after an untimed call of the same fn, so that a short read is not
    timed in the state the other fn's long read left (caches filled with its
    data, the other core idle since its helpers ended). Returns a list of
    (elapsed, CPU)."""
    for fn in fns:
        fn()
    walls = [[] for _ in fns]
    cpus = [[] for _ in fns]
    for _ in range(runs):
        for fn, wall, cpu in zip(fns, walls, cpus):
            if warm:
                fn()  # untimed; its result is freed at once
            start, cpu0 = time.perf_counter(), cpu_seconds()
            result = fn()
            wall.append(time.perf_counter() - start)
            cpu.append(cpu_seconds() - cpu0)
            del result
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus)]


def median_time(fn, runs):
    return taking_turns([fn], runs)[0][0]


def child_env():
    """The environment of the benchmark's Python subprocesses: this one's,
    with the binding on the path."""
    return dict(os.environ, PYTHONPATH=os.path.join(ROOT, "bindings", "python"))


# One read in a fresh process: prints the seconds of the read alone. Each
# side first reads the doc column alone, so that lazy imports, codecs and
# thread pools are ready and only the memory is fresh.
FRESH_READ = r"""
import sys, time
kind, path, one_thread = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if kind == "quire":
    import quire
    corpus = quire.open(path)
    threads = 1 if one_thread else None
    corpus.query(columns=["doc"], threads=threads).to_arrow()
    start = time.perf_counter()
    table = corpus.query(batch_size=int(sys.argv[4]), threads=threads).to_arrow()
else:
    import pyarrow as pa, pyarrow.parquet as pq
    if one_thread:  # see ONE_THREAD_TABLE
        pa.set_cpu_count(1)
    pq.read_table(path, columns=["doc"], use_threads=not one_thread)
    start = time.perf_counter()
    table = pq.read_table(path, use_threads=not one_thread)
print(time.perf_counter() - start, table.num_rows)
"""


# The one-thread table task in a process of its own whose pyarrow CPU pool
# is one thread (see the module docstring): prints its rows as JSON.
ONE_THREAD_TABLE = r"""
import json, sys
sys.path.insert(0, sys.argv[3])
import pyarrow as pa
pa.set_cpu_count(1)
import arrow_bench
rows = {}
arrow_bench.table_rows(rows, sys.argv[4], json.loads(sys.argv[1]), True, int(sys.argv[2]))
print(json.dumps(rows))
"""


def table_rows_one_thread(rows, label, files, runs):
    """table_rows() of files on one thread, in a process whose pyarrow CPU
    pool is one thread."""
    out = subprocess.run([sys.executable, "-c", ONE_THREAD_TABLE, json.dumps(files), str(runs),
                          HERE, label], check=True, capture_output=True, text=True, env=child_env())
    rows.update(json.loads(out.stdout))


# The metadata task, alone in a process: prints the medians of the read
# without the text and of the read with it, taking turns as in
# run_size() (same batch size, default threads).
META_ALONE = r"""
import sys
sys.path.insert(0, sys.argv[3])
import arrow_bench, quire
corpus = quire.open(sys.argv[1])
meta = [c for c in quire._arrow.COLUMNS if c != "text"]
batch = arrow_bench.BATCH
(without, _), (with_text, _) = arrow_bench.taking_turns(
    [lambda: corpus.query(columns=meta, batch_size=batch).to_arrow(),
     lambda: corpus.query(batch_size=batch).to_arrow()], int(sys.argv[2]), warm=True)
print(without, with_text)
"""


def metadata_alone(path, runs):
    """The metadata task's two medians (without the text, with it) for the
    .quire file at path, in a process that has read no Parquet file."""
    out = subprocess.run([sys.executable, "-c", META_ALONE, path, str(runs), HERE],
                         check=True, capture_output=True, text=True, env=child_env()).stdout.split()
    return float(out[0]), float(out[1])


def fresh_times(paths, one_thread, runs):
    """Medians of runs reads of each file of paths (a dict from label to
    path), each read in a fresh process, the files taking turns."""
    times = {label: [] for label in paths}
    for _ in range(runs):
        for label, path in paths.items():
            kind = "parquet" if path.endswith(".parquet") else "quire"
            out = subprocess.run(
                [sys.executable, "-c", FRESH_READ, kind, path, "1" if one_thread else "0",
                 str(BATCH)],
                check=True, capture_output=True, text=True, env=child_env()).stdout.split()
            times[label].append(float(out[0]))
    return {label: statistics.median(t) for label, t in times.items()}


# The pack options of the "scan layout": text blocks of 1 MiB and no trained
# dictionary, for corpora read whole rather than a document at a time
# (docs/guide.md, "Block size"). Inflating text with a dictionary took a third
# more time than without (benchmarks/ANALYSIS.md, "Dictionary and decoding").
SCAN_PACK = ["--block-size", "1M", "--dictionary-size", "0"]


def prepare(n, work, cli):
    """The CSV, the .quire files (default and scan layout) and the Parquet
    file of n documents."""
    os.makedirs(work, exist_ok=True)
    csv = os.path.join(work, f"arrow-{n}.csv")
    qpath = os.path.join(work, f"arrow-{n}.quire")
    spath = os.path.join(work, f"arrow-{n}-scan.quire")
    ppath = os.path.join(work, f"arrow-{n}.parquet")
    if not os.path.exists(csv):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "-n", str(n),
                        "-o", csv], check=True)
    if not os.path.exists(qpath):
        subprocess.run([cli, "pack", "-o", qpath, csv], check=True)
    if not os.path.exists(spath):
        subprocess.run([cli, "pack", "-o", spath, *SCAN_PACK, csv], check=True)
    if not os.path.exists(ppath):
        with quire.open(qpath) as corpus:
            table = corpus.to_arrow(batch_size=BATCH)
        pq.write_table(table, ppath + ".tmp", compression="zstd", row_group_size=BATCH)
        os.replace(ppath + ".tmp", ppath)
    return qpath, spath, ppath


def selection(corpus):
    """Two sources of middling size and four years: a selective filter."""
    sources = sorted(corpus.sources, key=lambda s: (-s.documents, s.name))
    mid = len(sources) // 4
    return [sources[mid].name, sources[mid + 1].name], "2012", "2015"


def table_rows(rows, label, files, one_thread, runs):
    """Rows of the table task for each file of files (label to path): the
    elapsed and the CPU seconds of the read, in this process, the files
    taking turns."""
    threads = 1 if one_thread else None
    readers, corpora = [], []
    for path in files.values():
        if path.endswith(".parquet"):
            readers.append(lambda path=path: pq.read_table(path, use_threads=not one_thread))
        else:
            corpus = quire.open(path)
            corpora.append(corpus)
            readers.append(lambda corpus=corpus: corpus.query(
                batch_size=BATCH, threads=threads).to_arrow())
    medians = taking_turns(readers, runs)
    for corpus in corpora:
        corpus.close()
    for name, (wall, cpu) in zip(files, medians):
        rows[f"table {label}: {name}"] = wall
        rows[f"table {label}, CPU seconds: {name}"] = cpu


def run_size(n, work, cli, runs):
    qpath, spath, ppath = prepare(n, work, cli)
    corpus = quire.open(qpath)
    scan = quire.open(spath)
    meta = [c for c in quire._arrow.COLUMNS if c != "text"]
    files = {"quire": qpath, "quire scan layout": spath, "parquet": ppath}
    rows = {}
    table_rows_one_thread(rows, "1 thread", files, runs)
    table_rows(rows, POOL_OF_TWO, files, True, runs)
    table_rows(rows, "default threads", files, False, runs)
    for label, one in (("1 thread", True), ("default threads", False)):
        for name, t in fresh_times(files, one, runs).items():
            rows[f"fresh process, {label}: {name}"] = t
    for name, c in (("quire", corpus), ("quire scan layout", scan)):
        for label, threads in (("", None), (", 1 thread", 1)):
            (without, _), (with_text, _) = taking_turns(
                [lambda c=c, t=threads: c.query(columns=meta, batch_size=BATCH,
                                                threads=t).to_arrow(),
                 lambda c=c, t=threads: c.query(batch_size=BATCH, threads=t).to_arrow()],
                runs, warm=True)
            rows[f"metadata{label}: {name} without text"] = without
            rows[f"metadata{label}: {name} with text"] = with_text
        (without, _), (with_text, _) = taking_turns(
            [lambda c=c: c.query(columns=meta, batch_size=BATCH).to_arrow(),
             lambda c=c: c.query(batch_size=BATCH).to_arrow()], runs)
        rows[f"metadata, right after the other read: {name} without text"] = without
        rows[f"metadata, right after the other read: {name} with text"] = with_text
    scan.close()
    for name, path in (("quire", qpath), ("quire scan layout", spath)):
        without, with_text = metadata_alone(path, runs)
        rows[f"metadata, no Parquet read first: {name} without text"] = without
        rows[f"metadata, no Parquet read first: {name} with text"] = with_text
    rows["metadata: parquet without text"] = median_time(
        lambda: pq.read_table(ppath, columns=meta), runs)

    names, first, last = selection(corpus)
    lo = dt.datetime(int(first), 1, 1, tzinfo=dt.timezone.utc)
    hi = dt.datetime(int(last), 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)

    def quire_polars():
        return pl.DataFrame(corpus.query(sources=names, from_=first, to=last, batch_size=BATCH))

    def parquet_polars():
        return (pl.scan_parquet(ppath)
                .filter(pl.col("source").cast(pl.String).is_in(names)
                        & pl.col("date").is_between(lo, hi))
                .collect())

    a, b = quire_polars(), parquet_polars()
    assert a.height == b.height == corpus.count(sources=names, from_=first, to=last), \
        (a.height, b.height)
    assert a["doc"].to_list() == b["doc"].to_list()
    rows["filtered: quire into polars"] = median_time(quire_polars, runs)
    rows["filtered: polars scan_parquet"] = median_time(parquet_polars, runs)
    info = {
        "docs": len(corpus),
        "quire_mb": os.path.getsize(qpath) / 1e6,
        "scan_mb": os.path.getsize(spath) / 1e6,
        "parquet_mb": os.path.getsize(ppath) / 1e6,
        "selected": a.height,
        "selection": f"{', '.join(names)} in {first}-{last}",
    }
    corpus.close()
    return rows, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "quire"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "arrow.md"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {n: run_size(n, args.work, args.cli, args.runs) for n in sizes}

    head = "| measured | " + " | ".join(f"{n // 1000}k docs" for n in sizes) + " |"
    sep = "|---|" + "---|" * len(sizes)
    lines = [
        "## Arrow C stream (issue 12)",
        "",
        f"Command: `python3 benchmarks/arrow_bench.py --sizes {args.sizes} --runs {args.runs}` "
        f"(medians of {args.runs} runs after a warm-up, seconds; the \"1 thread\" table rows "
        f"in a process whose pyarrow CPU pool is one thread, the rest in one process; "
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, pyarrow {pa.__version__}, "
        f"polars {pl.__version__}, quire {quire.__version__}).",
        "",
        head, sep,
    ]
    for key in results[sizes[0]][0]:
        lines.append(f"| {key} | " + " | ".join(f"{results[n][0][key]:.4f}" for n in sizes) + " |")
    lines += ["", "| ratio | target | " + " | ".join(f"{n // 1000}k" for n in sizes) + " |",
              "|---|---|" + "---|" * len(sizes)]

    def ratio(name, target, num, den, higher):
        vals = []
        for n in sizes:
            r = results[n][0][num] / results[n][0][den]
            if target is None:  # reported, not a target
                vals.append(f"{r:.3g}")
                continue
            ok = r >= target if higher else r <= target
            vals.append(f"{r:.3g} ({'met' if ok else '**missed**'})")
        sign = ">=" if higher else "<="
        goal = "-" if target is None else f"{sign} {target}"
        lines.append(f"| {name} | {goal} | " + " | ".join(vals) + " |")

    for name in ("quire", "quire scan layout"):
        for label in ("1 thread", "default threads"):
            ratio(f"table {name} / parquet, {label}", 1, f"table {label}: {name}",
                  f"table {label}: parquet", False)
            ratio(f"CPU seconds: table {name} / parquet, {label}", None,
                  f"table {label}, CPU seconds: {name}",
                  f"table {label}, CPU seconds: parquet", False)
            if label == "1 thread":
                ratio(f"table {name} / parquet, {POOL_OF_TWO}", None,
                      f"table {POOL_OF_TWO}: {name}", f"table {POOL_OF_TWO}: parquet", False)
            ratio(f"fresh process: table {name} / parquet, {label}", None,
                  f"fresh process, {label}: {name}", f"fresh process, {label}: parquet", False)
        ratio(f"{name} with text / without text", 20, f"metadata: {name} with text",
              f"metadata: {name} without text", True)
        ratio(f"{name} with text / without text, 1 thread", 20,
              f"metadata, 1 thread: {name} with text",
              f"metadata, 1 thread: {name} without text", True)
        ratio(f"right after the other read: {name} with text / without text", None,
              f"metadata, right after the other read: {name} with text",
              f"metadata, right after the other read: {name} without text", True)
        ratio(f"no Parquet read first: {name} with text / without text", None,
              f"metadata, no Parquet read first: {name} with text",
              f"metadata, no Parquet read first: {name} without text", True)
    ratio("polars on parquet / quire, filtered", 10, "filtered: polars scan_parquet",
          "filtered: quire into polars", True)
    lines += ["", "| corpus | .quire | .quire scan layout | Parquet ZSTD | filtered selection |",
              "|---|---|---|---|---|"]
    for n in sizes:
        i = results[n][1]
        lines.append(f"| {n // 1000}k | {i['quire_mb']:.1f} MB | {i['scan_mb']:.1f} MB | "
                     f"{i['parquet_mb']:.1f} MB | "
                     f"{i['selection']}: {i['selected']} docs |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
