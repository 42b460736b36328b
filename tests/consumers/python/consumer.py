"""A Python program using the quire package as a consumer does (installed
from the wheel into a fresh venv, no QUIRE_LIBRARY): it packs a corpus of
its own, then the seeds sample when its folder is given, and filters and
exports both."""

import os
import sys

import quire


def exercise(path, docs, flt, matches, want):
    with quire.open(path) as corpus:
        n, m = len(corpus), corpus.count(**flt)
        if (n, m) != (docs, matches):
            sys.exit(f"python consumer: {path}: {n} documents, {m} matching; want {docs} and {matches}")
        out = path + ".csv"
        rows, _ = corpus.export_csv(out, **flt)
        with open(out, encoding="utf-8") as f:
            csv = f.read()
        if rows != matches or want not in csv:
            sys.exit(f"python consumer: {out}: {rows} rows, want {matches} containing {want!r}")
        print(f"python consumer: {os.path.basename(path)}: {n} documents, {rows} exported")


def main(work, seeds):
    loaded = quire._lib.lib._name
    print("python consumer: libquire", quire.library_version(), "from", loaded)
    if os.path.dirname(os.path.abspath(loaded)) != os.path.dirname(os.path.abspath(quire.__file__)):
        sys.exit(f"python consumer: libquire was loaded from {loaded}, not from the package")
    own = os.path.join(work, "own.quire")
    with quire.Writer(own) as w:
        w.add(source="Belarus in Focus", date="2016-04-22T18:38", title="Sino-Belarusian", text="Текст 😀")
        w.add(source="Xinhua", date="2017-01", title="second", text="two")
        w.add(title="no source, no date", text="three")
    exercise(own, 3, {"from_": "2016", "to": "2016"}, 1, "Sino-Belarusian")

    manifest = os.path.join(seeds, "manifest.csv")
    if not os.path.isfile(manifest):
        print(f"python consumer: seeds not found at {seeds}: skipping the seeds part")
        return
    packed = os.path.join(work, "seeds.quire")
    with quire.Writer(packed) as w:
        w.import_csv(manifest)
    exercise(packed, 5, {"sources": "Belarus in Focus", "from_": "2016", "to": "2017"}, 2,
             "Sino-Belarusian cooperation not unique for the region")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: consumer.py WORKDIR SEEDS_DIR")
    main(sys.argv[1], sys.argv[2])
