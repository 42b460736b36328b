#!/usr/bin/env python3
"""Writes a CSV corpus of real prose the project did not write, for
codec_params.py: long public-domain English books found on the machine,
cut into article-sized documents (whole paragraphs, about 3.5 KB each, the
generated corpora's median), plus the five real articles of the seeds.

usage: prose_csv.py OUT.csv BOOK.txt... [--seeds DIR]

On the machine of ANALYSIS.md the books were Project Gutenberg texts that
Go modules ship as test data: Mark Twain's "The Adventures of Tom Sawyer"
(github.com/klauspost/compress testdata) and Isaac Newton's "Opticks"
(github.com/andybalholm/brotli testdata).
"""

import argparse
import csv
import os
import sys

TARGET = 3500


def documents(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        paragraphs = [p.strip() for p in f.read().replace("\r", "").split("\n\n")]
    doc, size = [], 0
    for p in paragraphs:
        if not p:
            continue
        doc.append(p)
        size += len(p)
        if size >= TARGET:
            yield "\n\n".join(doc)
            doc, size = [], 0
    if doc:
        yield "\n\n".join(doc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("books", nargs="+")
    ap.add_argument("--seeds", help="the seeds folder (manifest.csv and texts)")
    args = ap.parse_args()
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["source", "date", "title", "author", "url", "text"])
        for book in args.books:
            name = os.path.basename(book).rsplit(".", 1)[0]
            for i, text in enumerate(documents(book)):
                w.writerow([name, "", f"{name}, part {i + 1}", "", "", text])
        if args.seeds:
            with open(os.path.join(args.seeds, "manifest.csv"), encoding="utf-8") as m:
                for row in csv.DictReader(m):
                    with open(os.path.join(args.seeds, row["file"]), encoding="utf-8") as t:
                        w.writerow([row["source"], row["date"], row["title"],
                                    row["author"], row["url"], t.read()])
    return 0


if __name__ == "__main__":
    sys.exit(main())
