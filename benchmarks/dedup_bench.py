#!/usr/bin/env python3
"""Measures near-duplicate detection: precision and recall of
`quire dups --kind near` on the labelled set of gen_neardups.py, and the
time of detection against `quire pack` of the same CSV.

  benchmarks/dedup_bench.py --quire build/quire --docs 100000 [--runs 3]

Writes its data to benchmarks/work/dedup-N/ (gitignored) and prints a
Markdown table; --json FILE also writes the numbers.

Precision and recall are counted per document, the way --dedup uses the
groups: a document reported as a near duplicate (any member of a group but
its first) is a true positive when the group's first document tells the
same story (same story number in the labels), else a false positive; a
true duplicate is a document whose story already appeared earlier in input
order, and recall is the share of them reported with a first document of
their own story. The corpus is packed with --input-order so that document
numbers are row numbers.
"""

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, **kw):
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, **kw)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.stdout, time.monotonic() - start, cpu, after.ru_maxrss


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def evaluate(groups_tsv, labels):
    """labels: list of (story, topic, done) per row."""
    first = {}  # group -> its first document
    predicted = {}  # member -> the first document of its group
    for line in groups_tsv.splitlines()[1:]:
        g, kind, _corpus, doc, _sim = line.split("\t")
        if kind != "near":
            continue
        if g in first:
            predicted[int(doc)] = first[g]
        else:
            first[g] = int(doc)
    seen = set()
    true_dups = set()
    for i, (story, _t, _d) in enumerate(labels):
        if story in seen:
            true_dups.add(i)
        seen.add(story)
    tp = sum(1 for m, l in predicted.items() if labels[m][0] == labels[l][0])
    fp = len(predicted) - tp
    fp_topic = sum(1 for m, l in predicted.items()
                   if labels[m][0] != labels[l][0]
                   and labels[m][1] == labels[l][1])
    found = sum(1 for i in true_dups
                if i in predicted and labels[predicted[i]][0] == labels[i][0])
    missed = collections.Counter()
    for i in true_dups:
        if not (i in predicted and labels[predicted[i]][0] == labels[i][0]):
            missed[labels[i][2].split("+")[0][:4]] += 1
    return {
        "predicted": len(predicted), "true_positives": tp,
        "false_positives": fp, "false_positives_same_topic": fp_topic,
        "true_duplicates": len(true_dups), "found": found,
        "precision": tp / len(predicted) if predicted else 1.0,
        "recall": found / len(true_dups) if true_dups else 1.0,
        "missed_by_kind": dict(missed),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quire", required=True, help="the quire binary")
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--similarity", type=float, default=None)
    ap.add_argument("--threads", type=int, default=1,
                    help="--threads of the pack timed against (default 1)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--record", action="store_true",
                    help="also merge them into results/dedup.json, which "
                         "report.py puts in RESULTS.md")
    args = ap.parse_args()
    work = os.path.join(HERE, "work", f"dedup-{args.docs}-{args.seed}")
    os.makedirs(work, exist_ok=True)
    csv_path = os.path.join(work, "neardups.csv")
    labels_path = os.path.join(work, "labels.tsv")
    if not os.path.exists(labels_path):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_neardups.py"),
                        "-n", str(args.docs), "-o", csv_path, "--labels",
                        labels_path, "--seed", str(args.seed)], check=True)
    with open(labels_path, encoding="utf-8") as f:
        labels = [tuple(line.rstrip("\n").split("\t")) for line in f][1:]
    quire = os.path.abspath(args.quire)
    ordered = os.path.join(work, "input-order.quire")
    run([quire, "pack", "--input-order", "-o", ordered, csv_path])
    sim = [] if args.similarity is None else ["--similarity",
                                              str(args.similarity)]
    tsv, _, _, _ = run([quire, "dups", "--kind", "near", *sim, ordered])
    quality = evaluate(tsv, labels)

    packed = os.path.join(work, "timed.quire")
    pack_t, pack_cpu, dups_t, dups_cpu, rss = [], [], [], [], 0
    for _ in range(args.runs):
        _, t, cpu, _ = run([quire, "pack", "--threads", str(args.threads),
                            "-o", packed, csv_path])
        pack_t.append(t)
        pack_cpu.append(cpu)
        _, t, cpu, _ = run([quire, "dups", "--kind", "near", "--count",
                            *sim, packed])
        dups_t.append(t)
        dups_cpu.append(cpu)
    # Peak memory of one detection run, from GNU time (KiB).
    out = subprocess.run(["/usr/bin/time", "-f", "%M", quire, "dups", "--kind",
                          "near", "--count", *sim, packed],
                         check=True, capture_output=True, text=True)
    rss = int(out.stderr.strip().splitlines()[-1])
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quire_build": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                      capture_output=True, text=True).stdout.strip(),
        "docs": args.docs, "seed": args.seed, "runs": args.runs,
        "pack_threads": args.threads,
        "pack_seconds": median(pack_t), "dups_near_seconds": median(dups_t),
        "ratio": median(dups_t) / median(pack_t),
        "pack_cpu": median(pack_cpu), "dups_cpu": median(dups_cpu),
        "dups_peak_rss_mib": rss / 1024,
        "csv_mb": os.path.getsize(csv_path) / 1e6,
        **quality,
    }
    print(f"| docs | precision | recall | predicted | false pos. (same "
          f"topic) | missed | pack -t{args.threads} s | dups near s | ratio "
          f"| dups peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.docs} | {result['precision']:.4f} | "
          f"{result['recall']:.4f} | {result['predicted']} | "
          f"{result['false_positives']} ({result['false_positives_same_topic']})"
          f" | {result['true_duplicates'] - result['found']} "
          f"{result['missed_by_kind']} | {result['pack_seconds']:.2f} | "
          f"{result['dups_near_seconds']:.2f} | {result['ratio']:.3f} | "
          f"{result['dups_peak_rss_mib']:.0f} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    if args.record:
        path = os.path.join(HERE, "results", "dedup.json")
        runs = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                runs = json.load(f)
        runs[f"{args.docs}/t{args.threads}"] = result
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(runs, f, indent=1, sort_keys=True)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
