#!/usr/bin/env python3
"""Measures quire against its peers on generated news corpora.

run.sh builds quire and calls this; see README.md. For each corpus size it
prepares the data once (cached in work/SIZE/), checks that every tool gets
the same answers, then times each task with hyperfine (warm caches, median
of --runs runs, whole process) and writes results/latest.json, which
report.py turns into RESULTS.md and the plot.
"""

import argparse
import csv
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
# Sources of middling popularity (1-based ranks in the generator's order) and
# the four-year range of the filtered tasks.
SELECT_RANKS = (20, 21)
SELECT_FROM, SELECT_TO = "2012", "2015"


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Runs a shell command, failing loudly; returns its stdout."""
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.exit(f"bench: command failed ({res.returncode}): {cmd}\n{res.stderr}")
    return res.stdout


def q(s):
    return shlex.quote(str(s))


# ---- the data -------------------------------------------------------------------

def corpus_stamp(size, seed):
    """Identifies the generated CSV: the generator, its prose, size and seed."""
    h = hashlib.sha256(f"{size}/{seed}".encode())
    for path in [os.path.join(HERE, "gen_corpus.py")] + sorted(
            glob.glob(os.path.join(HERE, "prose", "*.txt"))):
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


class Corpus:
    """The files of one corpus size, made once and kept in work/SIZE/."""

    def __init__(self, work, size, seed):
        self.size = size
        self.dir = os.path.join(work, str(size))
        self.csv = self.path("corpus.csv")
        self.gz6 = self.path("corpus.csv.gz")
        self.gz9 = self.path("corpus.9.csv.gz")
        self.db = self.path("corpus.db")
        self.parquet = self.path("corpus.parquet")
        self.sources_file = self.path("sources.txt")
        self.quire = self.path("corpus.quire")
        # format 1.0's codec (DEFLATE-9, 1 MiB blocks), as a row beside zstd
        self.quire10 = self.path("corpus-deflate.quire")
        self.out = self.path("out")  # exports and packs of the timed runs
        self.stamp = corpus_stamp(size, seed)
        self.seed = seed

    def path(self, name):
        return os.path.join(self.dir, name)

    def prepare(self):
        stamp_file = self.path("stamp")
        if not (os.path.exists(stamp_file) and
                open(stamp_file).read().strip() == self.stamp):
            shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.out, exist_ok=True)
        self.make(self.csv, f"python3 {q(HERE + '/gen_corpus.py')} -n {self.size} "
                  f"--seed {self.seed} -o {q(self.csv)} --sources {q(self.sources_file)}")
        with open(stamp_file, "w") as f:
            f.write(self.stamp + "\n")
        self.make(self.gz6, f"gzip -6 -c {q(self.csv)} > {q(self.gz6)}.tmp && "
                  f"mv {q(self.gz6)}.tmp {q(self.gz6)}")
        self.make(self.gz9, f"gzip -9 -c {q(self.csv)} > {q(self.gz9)}.tmp && "
                  f"mv {q(self.gz9)}.tmp {q(self.gz9)}")
        self.make(self.db, sqlite_load_command(self.csv, self.db))
        self.make(self.parquet, f"node {q(HERE + '/duck.mjs')} write {q(self.csv)} "
                  f"{q(self.parquet)}.tmp && mv {q(self.parquet)}.tmp {q(self.parquet)}")
        with open(self.sources_file, encoding="utf-8") as f:
            names = [line.rstrip("\n") for line in f]
        self.selection = [names[r - 1] for r in SELECT_RANKS]

    @staticmethod
    def make(path, cmd):
        if os.path.exists(path):
            return
        log(f"making {os.path.basename(path)}")
        run(cmd)


def sqlite_load_command(csv_path, db):
    """SQLite as a user would set it up for this job: the CSV's columns as
    text (dates as their ISO 8601 text), rowid as the document number, and
    indexes on date and source."""
    tmp = db + ".tmp"
    sql = [
        "CREATE TABLE docs(source TEXT, date TEXT, title TEXT, author TEXT, "
        "url TEXT, text TEXT);",
        f".import --csv --skip 1 {csv_path} docs",
        "CREATE INDEX docs_source ON docs(source);",
        "CREATE INDEX docs_date ON docs(date);",
        "ANALYZE;",
    ]
    args = " ".join(q(s) for s in sql)
    return f"rm -f {q(tmp)} && sqlite3 {q(tmp)} {args} && mv {q(tmp)} {q(db)}"


# ---- the commands -------------------------------------------------------------

class Tools:
    def __init__(self, quire, inproc):
        self.quire = quire
        self.inproc = inproc
        self.duck = f"node {q(HERE + '/duck.mjs')}"
        self.py = f"python3 {q(HERE + '/pycsv.py')}"


def sql_selection(sources):
    names = ", ".join("'" + s.replace("'", "''") + "'" for s in sources)
    end = str(int(SELECT_TO) + 1)
    return f"source IN ({names}) AND date >= '{SELECT_FROM}' AND date < '{end}'"


SQL_EXPORT_COLUMNS = "rowid - 1 AS id, source, date, title, author, url, text"


def quire_filter_args(sources):
    return " ".join(f"--source {q(s)}" for s in sources) + \
        f" --from {SELECT_FROM} --to {SELECT_TO}"


def export_path(c, task, tool):
    return os.path.join(c.out, f"{task}.{tool}.csv")


def tasks(c, t, pack_threads):
    """Returns {task: [(tool, command), ...]}: the quire command first, then
    the peers, all on the same data and asking the same question.

    "quire" exports with -o, which writes a temporary file, syncs it and
    renames it (atomic, durable); "quire-stdout" redirects stdout to the
    file, as the sqlite3 and zcat commands do, so the two show what the
    sync costs."""
    sel = c.selection
    sel_args = " ".join(q(s) for s in sel)
    out = c.out
    fsql = sql_selection(sel)

    def outfile(task, tool):
        return export_path(c, task, tool)

    return {
        "count": [
            ("quire", f"{q(t.quire)} count {q(c.quire)}"),
            ("quire-deflate", f"{q(t.quire)} count {q(c.quire10)}"),
            ("sqlite3", f"sqlite3 {q(c.db)} 'SELECT count(*) FROM docs'"),
            ("duckdb", f"{t.duck} count {q(c.parquet)}"),
            ("python-csv", f"{t.py} count {q(c.gz6)}"),
            ("zcat", f"zcat {q(c.gz6)} | wc -l"),
        ],
        "fcount": [
            ("quire", f"{q(t.quire)} count {q(c.quire)} {quire_filter_args(sel)}"),
            ("quire-deflate", f"{q(t.quire)} count {q(c.quire10)} {quire_filter_args(sel)}"),
            ("sqlite3", f"sqlite3 {q(c.db)} {q('SELECT count(*) FROM docs WHERE ' + fsql)}"),
            ("duckdb", f"{t.duck} fcount {q(c.parquet)} {SELECT_FROM} {SELECT_TO} {sel_args}"),
            ("python-csv", f"{t.py} fcount {q(c.gz6)} {SELECT_FROM} {SELECT_TO} {sel_args}"),
        ],
        "fexport": [
            ("quire", f"{q(t.quire)} export {q(c.quire)} {quire_filter_args(sel)} "
                      f"-o {q(outfile('fexport', 'quire'))}"),
            ("quire-stdout", f"{q(t.quire)} export {q(c.quire)} {quire_filter_args(sel)} "
                             f"> {q(outfile('fexport', 'quire-stdout'))}"),
            ("quire-deflate", f"{q(t.quire)} export {q(c.quire10)} {quire_filter_args(sel)} "
                              f"-o {q(outfile('fexport', 'quire-deflate'))}"),
            ("sqlite3", f"sqlite3 -csv -header {q(c.db)} "
                        f"{q('.once ' + outfile('fexport', 'sqlite3'))} "
                        f"{q(f'SELECT {SQL_EXPORT_COLUMNS} FROM docs WHERE {fsql} ORDER BY rowid')}"),
            ("duckdb", f"{t.duck} fexport {q(c.parquet)} {q(outfile('fexport', 'duckdb'))} "
                       f"{SELECT_FROM} {SELECT_TO} {sel_args}"),
        ],
        "export": [
            ("quire", f"{q(t.quire)} export {q(c.quire)} -o {q(outfile('export', 'quire'))}"),
            ("quire-stdout", f"{q(t.quire)} export {q(c.quire)} "
                             f"> {q(outfile('export', 'quire-stdout'))}"),
            ("quire-deflate", f"{q(t.quire)} export {q(c.quire10)} "
                              f"-o {q(outfile('export', 'quire-deflate'))}"),
            ("sqlite3", f"sqlite3 -csv -header {q(c.db)} "
                        f"{q('.once ' + outfile('export', 'sqlite3'))} "
                        f"{q(f'SELECT {SQL_EXPORT_COLUMNS} FROM docs')}"),
            ("duckdb", f"{t.duck} export {q(c.parquet)} {q(outfile('export', 'duckdb'))}"),
            ("zcat", f"zcat {q(c.gz6)} > {q(outfile('export', 'zcat'))}"),
        ],
        "pack": [
            ("quire", f"{q(t.quire)} pack --threads 1 -o {q(out + '/pack.quire')} {q(c.csv)}"),
            ("quire-deflate", f"{q(t.quire)} pack --threads 1 --codec deflate "
                              f"-o {q(out + '/pack10.quire')} {q(c.csv)}"),
            ("gzip-6", f"gzip -6 -c {q(c.csv)} > {q(out + '/pack.csv.gz')}"),
        ],
        "pack2": [
            ("quire", f"{q(t.quire)} pack --threads {pack_threads} "
                      f"-o {q(out + '/pack2.quire')} {q(c.csv)}"),
            ("quire-deflate", f"{q(t.quire)} pack --threads {pack_threads} --codec deflate "
                              f"-o {q(out + '/pack2-10.quire')} {q(c.csv)}"),
            ("duckdb", f"{t.duck} write {q(c.csv)} {q(out + '/pack2.parquet')}"),
        ],
    }


# Tasks whose runs are long at large sizes get --heavy-runs runs.
HEAVY_TASKS = {"export", "pack", "pack2"}
HEAVY_TOOLS = {"python-csv"}
# Peak RSS is taken of these (task, tool) pairs.
RSS_PAIRS = [("export", "quire"), ("fexport", "quire"), ("pack", "quire"),
             ("pack2", "quire"), ("export", "sqlite3"), ("export", "duckdb"),
             ("pack2", "duckdb"), ("count", "python-csv")]


# ---- checking the answers --------------------------------------------------------

def last_integer(text):
    found = re.findall(r"\d+", text)
    if not found:
        sys.exit(f"bench: no number in output: {text!r}")
    return int(found[-1])


def check_counts(task, commands):
    """Every tool must give the same count, or the timings compare nothing.
    (zcat | wc -l counts lines, not documents: it is only a cost.)"""
    answers = {tool: last_integer(run(cmd)) for tool, cmd in commands
               if tool != "zcat"}
    if len(set(answers.values())) != 1:
        sys.exit(f"bench: {task}: tools disagree: {answers}")
    log(f"{task}: every tool counts {next(iter(answers.values()))}")
    return next(iter(answers.values()))


def row_digest(path):
    """The number of rows of a CSV export and a digest of their contents
    without the id column, in any order: quire clusters documents, so ids
    and order differ from the peers' while the documents are the same."""
    csv.field_size_limit(sys.maxsize)
    digests = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[0].lstrip("\ufeff") != "id":
            sys.exit(f"bench: {path}: first column is {header[0]!r}, not id")
        for row in reader:
            digests.append(zlib.crc32("\x1f".join(row[1:]).encode()) ^
                           (zlib.adler32(row[-1].encode()) << 32))
    digests.sort()
    return len(digests), hashlib.sha256(repr(digests).encode()).hexdigest()[:16]


def check_exports(c, task, commands, full):
    """Runs each export once and compares what they wrote: contents when
    full, else (for the largest corpora, where reading each export back
    would take minutes) the number of rows of quire's export only."""
    results = {}
    for tool, cmd in commands:
        if tool == "zcat" or (not full and tool != "quire"):
            continue
        run(cmd)
        path = export_path(c, task, tool)
        results[tool] = row_digest(path) if full else (count_rows(path), "-")
        os.remove(path)
    counts = {tool: r[0] for tool, r in results.items()}
    if len(set(counts.values())) != 1:
        sys.exit(f"bench: {task}: exports differ in rows: {counts}")
    if full and len({r[1] for r in results.values()}) != 1:
        sys.exit(f"bench: {task}: exports differ in contents: {results}")
    log(f"{task}: every tool exports {next(iter(counts.values()))} rows"
        + (" with the same contents" if full else ""))
    return next(iter(counts.values()))


def count_rows(path):
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


# ---- timing ---------------------------------------------------------------------

def hyperfine(task, commands, runs, json_path, exact, out_dir):
    """Times the commands with hyperfine: one warm-up run each, then runs
    runs (exact) or at least runs, and more while they fit in hyperfine's
    3 seconds per command (which steadies the medians of millisecond
    commands); returns {tool: {median, mean, min, max (seconds), runs}}."""
    # No intermediate shell: hyperfine's correction for the shell's start-up
    # time is noisier than the millisecond commands it would correct. The
    # commands that need a pipe or a redirection run under sh -c, whose
    # start-up then counts (about a millisecond, against seconds of work).
    # The heavy tasks get no warm-up run of their own: the checks and the
    # first pack ran each of them just before, which warmed the caches.
    # After each command's runs its outputs go: five full exports of the
    # largest corpus would not fit on the disk together.
    cleanup = "sh -c " + q(f"rm -f {q(out_dir)}/*.csv {q(out_dir)}/pack*")
    args = ["hyperfine", "-N", "--style", "basic", "--warmup", "0" if exact else "1",
            "--runs" if exact else "--min-runs", str(runs), "--export-json", json_path,
            "--cleanup", cleanup]
    for tool, cmd in commands:
        if any(c in cmd for c in "|<>"):
            cmd = "sh -c " + q(cmd)
        args += ["-n", tool, cmd]
    log(f"timing {task}: {', '.join(tool for tool, _ in commands)} ({runs} runs)")
    res = subprocess.run(args, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"bench: hyperfine failed for {task}:\n{res.stderr}\n{res.stdout}")
    with open(json_path) as f:
        data = json.load(f)
    return {r["command"]: dict({k: r[k] for k in ("median", "mean", "min", "max",
                                                  "user", "system")},
                               runs=len(r["times"]))
            for r in data["results"]}


def peak_memory_kb(cmd):
    """Runs a command once under GNU time and returns (peak RSS, peak
    anonymous memory) in kB. GNU time's peak RSS also counts the pages of
    files the process maps and reads, which the kernel may drop at will;
    RssAnon, polled from /proc every 2 ms, counts only what it allocated."""
    proc = subprocess.Popen(["/usr/bin/time", "-v"] + shlex.split(cmd),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    anon = 0
    while proc.poll() is None:
        anon = max(anon, child_anon_kb(proc.pid))
        time.sleep(0.002)
    err = proc.stderr.read()
    if proc.returncode != 0:
        sys.exit(f"bench: failed under /usr/bin/time: {cmd}\n{err}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    return int(m.group(1)), anon


def child_anon_kb(pid):
    """RssAnon of the first child of pid (the command GNU time runs), or 0."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
        if not children:
            return 0
        with open(f"/proc/{children[0]}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass  # the process ended between the reads
    return 0


def inproc(t, c, reps):
    out = run(f"{q(t.inproc)} {q(c.quire)} {SELECT_FROM} {SELECT_TO} "
              + " ".join(q(s) for s in c.selection) + f" --reps {reps}")
    return json.loads(out)


# ---- one size --------------------------------------------------------------------

def file_sizes(c):
    return {
        "quire": os.path.getsize(c.quire),
        "quire-deflate": os.path.getsize(c.quire10),
        "csv": os.path.getsize(c.csv),
        "gzip-6": os.path.getsize(c.gz6),
        "gzip-9": os.path.getsize(c.gz9),
        "sqlite3": os.path.getsize(c.db),
        "parquet-zstd": os.path.getsize(c.parquet),
    }


def measure_size(c, t, args):
    c.prepare()
    log(f"{c.size} documents; selection: {c.selection} in {SELECT_FROM}-{SELECT_TO}")
    # The quire file of the timed tasks is packed by this build, every run.
    run(f"{q(t.quire)} pack -o {q(c.quire)} {q(c.csv)}")
    run(f"{q(t.quire)} pack --codec deflate -o {q(c.quire10)} {q(c.csv)}")
    all_tasks = tasks(c, t, args.pack_threads)
    result = {"documents": c.size, "selection": c.selection,
              "range": [SELECT_FROM, SELECT_TO], "bytes": file_sizes(c),
              "time": {}, "rss_kb": {}}
    result["count"] = check_counts("count", all_tasks["count"])
    result["fcount"] = check_counts("fcount", all_tasks["fcount"])
    full_check = c.size <= args.check_limit
    result["fexport_rows"] = check_exports(c, "fexport", all_tasks["fexport"], True)
    if check_exports(c, "export", all_tasks["export"], full_check) != c.size:
        sys.exit("bench: the full export does not hold every document")
    result["inproc"] = inproc(t, c, args.inproc_reps)
    if (result["inproc"]["count"], result["inproc"]["fcount"]) != (
            result["count"], result["fcount"]):
        sys.exit(f"bench: inproc counts differ: {result['inproc']}")
    for task, commands in all_tasks.items():
        runs = args.heavy_runs if task in HEAVY_TASKS else args.runs
        light = [(n, cmd) for n, cmd in commands if n not in HEAVY_TOOLS]
        heavy = [(n, cmd) for n, cmd in commands if n in HEAVY_TOOLS]
        json_path = os.path.join(c.out, f"hyperfine-{task}.json")
        timing = hyperfine(task, light, runs, json_path, task in HEAVY_TASKS, c.out)
        if heavy:
            timing.update(hyperfine(task, heavy, args.heavy_runs, json_path, True, c.out))
        result["time"][task] = timing
    result["anon_kb"] = {}
    for task, tool in RSS_PAIRS:
        cmd = dict(all_tasks[task])[tool]
        key = f"{task}/{tool}"
        result["rss_kb"][key], result["anon_kb"][key] = peak_memory_kb(cmd)
        run(f"rm -f {q(c.out)}/*.csv {q(c.out)}/pack*")
    shutil.rmtree(c.out)  # gigabytes of exports at the larger sizes
    return result


# ---- the machine -------------------------------------------------------------

def first_line(cmd):
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    text = (res.stdout or res.stderr).strip()
    return text.splitlines()[0] if text else "?"


def quire_build(t):
    """Names the quire being measured: the commit it was built from (and
    whether the library or CLI sources differed from it), and a digest of
    the binaries."""
    stamp = os.path.join(os.path.dirname(t.quire), "bench-build-commit")
    if os.path.exists(stamp):  # written by run.sh when it built
        with open(stamp) as f:
            commit = f.read().strip()
    else:
        repo = os.path.dirname(HERE)
        head = first_line(f"git -C {q(repo)} rev-parse --short HEAD")
        dirty = first_line(f"git -C {q(repo)} status --porcelain -- core include cli "
                           "CMakeLists.txt | head -1") not in ("?", "")
        commit = f"{head}{' with uncommitted changes' if dirty else ''} (checked out)"
    h = hashlib.sha256()
    lib = os.path.join(os.path.dirname(t.quire), "libquire.so")
    for path in (t.quire, os.path.realpath(lib)):
        if os.path.exists(path):
            with open(path, "rb") as f:
                h.update(f.read())
    return f"{commit} (binaries {h.hexdigest()[:12]})"


def machine_info(t):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    duck = f"{t.duck} version"
    return {
        "quire_build": quire_build(t),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "versions": {
            "quire": first_line(f"{q(t.quire)} --version"),
            "sqlite3": first_line("sqlite3 --version").split()[0],
            "duckdb": first_line(duck),
            "python": platform.python_version(),
            "gzip": first_line("gzip --version"),
            "node": first_line("node --version"),
            "hyperfine": first_line("hyperfine --version"),
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--heavy-runs", type=int,
                    help="runs of export, pack and Python tasks (default: --runs)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quire", required=True, help="the quire CLI to measure")
    ap.add_argument("--inproc", required=True, help="the inproc program")
    ap.add_argument("--inproc-reps", type=int, default=2000)
    ap.add_argument("--pack-threads", type=int, default=2)
    ap.add_argument("--check-limit", type=int, default=100000,
                    help="compare full exports row by row up to this size")
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--prepare-only", action="store_true",
                    help="only make the cached data of each size")
    args = ap.parse_args()
    args.heavy_runs = args.heavy_runs or args.runs
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.prepare_only:
        for size in sizes:
            Corpus(args.work, size, args.seed).prepare()
        return
    t = Tools(os.path.abspath(args.quire), os.path.abspath(args.inproc))
    os.makedirs(args.results, exist_ok=True)
    latest = os.path.join(args.results, "latest.json")
    data = {"sizes": {}}
    if os.path.exists(latest):  # other sizes of earlier runs are kept
        with open(latest) as f:
            data = json.load(f)
    data["machine"] = machine_info(t)
    for size in sizes:
        started = datetime.datetime.now(datetime.timezone.utc)
        result = measure_size(Corpus(args.work, size, args.seed), t, args)
        result["when"] = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        result["runs"] = {"light": args.runs, "heavy": args.heavy_runs}
        result["machine"] = data["machine"]
        data["sizes"][str(size)] = result
        with open(latest + ".tmp", "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(latest + ".tmp", latest)
        log(f"{size}: done, written to {latest}")


if __name__ == "__main__":
    main()
