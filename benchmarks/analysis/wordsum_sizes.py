#!/usr/bin/env python3
"""What per-block word summaries would cost and buy on a corpus (issue 17).

    python3 benchmarks/analysis/wordsum_sizes.py corpus.csv --block 65536 \
        --ratio 4.0 --budget 0.03

Cuts the CSV's documents, in file order, into blocks of --block bytes of
text (as the writer does), and finds each block's distinct words (runs of
letters and digits, lowercased: near enough to quire's folding for sizes).
A word's block frequency is the share of blocks holding it. For each
threshold T, words in more than T of the blocks are left out of the
summaries (a query for one of them reads every candidate block: such a
word is too common for a summary to skip much), and the others go into one
Bloom filter per block. With a budget of --budget of the compressed file
(raw text / --ratio), the filters get budget / pairs bits per (block, word)
pair, which gives their false-positive rate at the best number of hashes.
For terms in a range of document counts it prints the blocks a query reads:
the blocks that hold the term plus the false positives of the others.
"""

import argparse
import csv
import math
import re
import sys
from collections import Counter

WORD = re.compile(r"[^\W_]+")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--block", type=int, default=65536)
    ap.add_argument("--ratio", type=float, default=4.0, help="raw / compressed")
    ap.add_argument("--budget", type=float, default=0.03)
    ap.add_argument("--limit", type=int, default=0, help="documents to read (0: all)")
    args = ap.parse_args()
    csv.field_size_limit(1 << 30)
    blocks, cur, size, raw, docs = [], set(), 0, 0, 0
    doc_freq = Counter()
    with open(args.csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = row["title"] + "\n" + row["text"]
            words = set(WORD.findall(text.lower()))
            doc_freq.update(words)
            cur |= words
            size += len(row["text"].encode()) + 1
            raw += len(text.encode()) + len(row["author"]) + len(row["url"])
            docs += 1
            if size >= args.block:
                blocks.append(cur)
                cur, size = set(), 0
            if args.limit and docs >= args.limit:
                break
    if cur:
        blocks.append(cur)
    n = len(blocks)
    block_freq = Counter()
    for b in blocks:
        block_freq.update(b)
    budget_bits = raw / args.ratio * args.budget * 8
    print(f"{docs} documents, {n} blocks of {args.block} bytes, {len(block_freq)} distinct "
          f"words, {sum(map(len, blocks))} (block, word) pairs; budget "
          f"{budget_bits / 8 / n:.0f} bytes per block")
    print("threshold  frequent-words  indexed-pairs  bits/pair  fp-rate  "
          "blocks read for terms in 10 / 30 / 100 documents")
    for t in (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01):
        frequent = {w for w, c in block_freq.items() if c > t * n}
        pairs = sum(c for w, c in block_freq.items() if w not in frequent)
        bits = budget_bits / max(pairs, 1)
        fp = 0.5 ** (bits * math.log(2)) if bits > 0 else 1.0
        reads = []
        for want in (10, 30, 100):
            terms = [w for w, c in doc_freq.items() if c == want and w.isalpha()]
            if not terms:
                reads.append("-")
                continue
            held = statistics_mean([block_freq[w] for w in terms[:200]])
            reads.append(f"{held + fp * (n - held):.0f}")
        print(f"{t:9.2f}  {len(frequent):14d}  {pairs:13d}  {bits:9.2f}  {fp:7.4f}  "
              + " / ".join(reads))


def statistics_mean(values):
    return sum(values) / len(values)


if __name__ == "__main__":
    sys.exit(main())
