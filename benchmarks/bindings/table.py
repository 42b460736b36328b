#!/usr/bin/env python3
"""The report of benchmarks/bindings/run.sh, in Markdown: for each program
the median loop time over the runs, its ratio to C's median, the median of
its per-round ratios to C (each round runs every program once, so a noisy
moment weighs on both sides of such a ratio), the ratio of the fastest runs
(noise on a shared machine only ever adds time) and the project's target,
which is checked against the ratio of medians.

    table.py RUNS.tsv MACHINE.tsv

RUNS.tsv has one line per run: name, round, and the program's line
"docs=<N> checksum=<C> seconds=<T>". MACHINE.tsv has "what<TAB>value" lines.
Exits 1 (after printing) when a program's docs or checksum differ from C's
in any run: times of different answers compare nothing.
"""

import re
import statistics
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

LINE = re.compile(r"^docs=(\d+) checksum=(\d+) seconds=([0-9.]+)$")

# name -> (what it measures, target: at most this many times C's time)
ROWS = {
    "c": ("C reference, quire_cursor_next + accessors", None),
    "rust": ("Rust, Query::next_doc", 1.1),
    "go": ("Go, Corpus.Query (64 documents per cgo call)", 1.5),
    "node": ("Node, corpus.batches() columns, 1st pass (JIT warming up)", 3.0),
    "node-warm": ("Node, the same, 5th pass in one process", 3.0),
    "node-docs": ("Node, for...of Documents, 1st pass", None),
    "python": ("Python, Corpus.batches() columns", 6.0),
    "python-docs": ("Python, for doc in corpus (Documents)", None),
    "python-csv": ("Python csv module over the gzip'd CSV", None),
}


def read_runs(path: str) -> Tuple[Dict[str, Dict[int, float]], List[str]]:
    times: Dict[str, Dict[int, float]] = defaultdict(dict)
    answers: Dict[str, set] = defaultdict(set)
    for number, raw in enumerate(open(path, encoding="utf-8"), 1):
        name, round_, line = raw.rstrip("\n").split("\t")
        match = LINE.match(line)
        if not match:
            sys.exit(f"table.py: {path}:{number}: {name} printed {line!r}")
        times[name][int(round_)] = float(match.group(3))
        answers[name].add((int(match.group(1)), int(match.group(2))))
    want = answers.get("c", set())
    problems = [
        f"{name} answered {sorted(got)}, C {sorted(want)}"
        for name, got in answers.items()
        if got != want or len(got) != 1
    ]
    return times, problems


def ratio_text(ratio: Optional[float]) -> str:
    return "" if ratio is None else f"{ratio:.2f}x"


def table(times: Dict[str, Dict[int, float]]) -> List[str]:
    c = times["c"]
    c_median, c_min = statistics.median(c.values()), min(c.values())
    lines = [
        "| program | what it runs | median ms | min ms | median / C median "
        "| median of per-round ratios | min / C min | target | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    order = [n for n in ROWS if n in times] + sorted(set(times) - set(ROWS))
    for name in order:
        runs = times[name]
        what, target = ROWS.get(name, ("", None))
        median, fastest = statistics.median(runs.values()), min(runs.values())
        ratio = median / c_median
        paired = statistics.median(t / c[r] for r, t in runs.items() if r in c)
        met = ""
        if target is not None:
            met = "yes" if ratio <= target else "no"
        lines.append(
            f"| {name} | {what} | {median * 1e3:.2f} | {fastest * 1e3:.2f} | "
            f"{ratio_text(ratio)} | {ratio_text(paired)} | {ratio_text(fastest / c_min)} | "
            f"{'' if target is None else f'≤ {target:g}x'} | {met} |"
        )
    return lines


def csv_line(times: Dict[str, Dict[int, float]]) -> List[str]:
    if "python" not in times or "python-csv" not in times:
        return []
    speedup = statistics.median(times["python-csv"].values()) / statistics.median(
        times["python"].values()
    )
    met = "met" if speedup >= 3 else "missed"
    return [
        "",
        f"Python's column-wise walk is {speedup:.0f}x faster than Python's csv module "
        f"over the gzip'd CSV (target: at least 3x, {met}).",
    ]


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    times, problems = read_runs(argv[0])
    if "c" not in times:
        sys.exit("table.py: no C runs to compare with")
    runs = max(len(r) for r in times.values())
    print("# Bindings benchmark: results")
    print()
    print("Written by `benchmarks/bindings/run.sh` (see benchmarks/README.md). Each program")
    print("iterates every document of the corpus reading its date, source and text length,")
    print("and prints the same docs and checksum as C (checked).")
    print()
    print(f"{runs} runs of each program, interleaved (one of each per round, the first")
    print("rotating); a time is the program's own loop over the corpus, without start-up.")
    print()
    print("\n".join(table(times) + csv_line(times)))
    print()
    print("| machine and tools | |")
    print("|---|---|")
    for raw in open(argv[1], encoding="utf-8"):
        what, value = raw.rstrip("\n").split("\t", 1)
        print(f"| {what} | {value} |")
    if problems:
        print()
        print("**The answers differ; these times compare nothing:**")
        for problem in problems:
            print(f"- {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
