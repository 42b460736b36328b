"""End-to-end tests of `quire merge` and `quire append` on the seeds and on
generated CSV: every field of every document comes out as it went in.

ctest runs them with QUIRE_BIN and QUIRE_SEEDS_DIR, as test_cli.py, whose
helpers they use.
"""

import os
import random

import pytest

from test_cli import SEEDS, parse_csv, quire, write_csv  # noqa: E402

FIELDS = ["source", "date", "title", "author", "url", "text"]
HEADER = FIELDS


def docs(path):
    """The documents of a corpus as tuples of its six fields, in order."""
    rows = parse_csv(quire("export", path, "--columns", ",".join(FIELDS)).stdout)
    return [tuple(r[f] for f in FIELDS) for r in rows]


def generated_rows(seed, n):
    rng = random.Random(seed)
    sources = ["Reuters", "Белта", "", "Xinhua", "Wire, \"Quoted\""]
    rows = []
    for i in range(n):
        year = rng.choice(["2014", "2015-03", "2016-07-09", ""])
        words = " ".join(f"w{rng.randrange(3000)}" for _ in range(rng.randrange(5, 300)))
        rows.append([rng.choice(sources), year, f"title {seed}-{i}", "",
                     f"https://x.example/{seed}/{i}", words])
    return rows


@pytest.fixture
def two_corpora(tmp_path):
    paths = []
    for seed, extra in ((1, []), (2, ["--codec", "deflate", "--input-order"])):
        csv_path = tmp_path / f"in{seed}.csv"
        write_csv(csv_path, HEADER, generated_rows(seed, 400))
        out = tmp_path / f"in{seed}.quire"
        quire("pack", "-o", out, "--block-size", "8k", *extra, csv_path)
        paths.append(out)
    return paths


def test_merge_keeps_every_document(two_corpora, tmp_path):
    merged = tmp_path / "merged.quire"
    result = quire("merge", "-o", merged, *two_corpora)
    assert b"800 documents from 2 corpora" in result.stderr
    want = docs(two_corpora[0]) + docs(two_corpora[1])
    assert sorted(docs(merged)) == sorted(want)
    quire("verify", merged)
    # Filters select on the merged file what they select on the inputs.
    for args in (["--source", "Белта"], ["--from", "2015", "--to", "2016"],
                 ["--match", "w17"]):
        counts = [int(quire("count", p, *args).stdout) for p in two_corpora]
        assert int(quire("count", merged, *args).stdout) == sum(counts)


def test_merge_keep_order_concatenates(two_corpora, tmp_path):
    merged = tmp_path / "in-order.quire"
    quire("merge", "-o", merged, "--keep-order", two_corpora[1], two_corpora[0])
    assert docs(merged) == docs(two_corpora[1]) + docs(two_corpora[0])


def test_merge_dedup_and_refusals(two_corpora, tmp_path):
    merged = tmp_path / "dedup.quire"
    result = quire("merge", "-o", merged, "--dedup", "url", *two_corpora, two_corpora[0])
    assert b"dropped 400 duplicates" in result.stderr
    assert sorted(docs(merged)) == sorted(docs(two_corpora[0]) + docs(two_corpora[1]))
    # The output may not be an input; a missing input fails and writes nothing.
    quire("merge", "-o", two_corpora[0], two_corpora[0], two_corpora[1], code=2)
    out = tmp_path / "never.quire"
    quire("merge", "-o", out, two_corpora[0], tmp_path / "missing.quire", code=1)
    assert not out.exists()
    quire("merge", two_corpora[0], code=2)  # no -o


def test_append_adds_after_the_old_documents(two_corpora, tmp_path):
    corpus = two_corpora[0]
    before = docs(corpus)
    new_csv = tmp_path / "new.csv"
    write_csv(new_csv, HEADER, generated_rows(3, 50))
    result = quire("append", corpus, new_csv)
    assert b"450 documents into" in result.stderr
    after = docs(corpus)
    assert after[:400] == before
    fresh = tmp_path / "fresh.quire"
    quire("pack", "-o", fresh, new_csv)
    assert after[400:] == docs(fresh)
    quire("verify", corpus)
    # The same again with --dedup adds nothing; a bad row changes nothing.
    assert b"dropped 50 duplicates" in quire("append", corpus, "--dedup", "url",
                                             new_csv).stderr
    assert docs(corpus) == after
    bad = tmp_path / "bad.csv"
    write_csv(bad, HEADER, [["S", "not a date", "t", "", "", "x"]])
    size = os.path.getsize(corpus)
    quire("append", corpus, bad, code=1)
    assert docs(corpus) == after and os.path.getsize(corpus) == size
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]
    quire("append", tmp_path / "missing.quire", new_csv, code=1)
    quire("append", corpus, "-o", fresh, new_csv, code=2)


def test_seeds_appended_to_themselves(tmp_path):
    if not (SEEDS / "manifest.csv").exists():
        pytest.skip(f"the seeds folder {SEEDS} is not here: seeds tests skipped")
    corpus = tmp_path / "seeds.quire"
    quire("pack", "-o", corpus, "--manifest", SEEDS / "manifest.csv", SEEDS)
    once = docs(corpus)
    assert len(once) == 5
    quire("append", corpus, "--manifest", SEEDS / "manifest.csv", SEEDS)
    assert docs(corpus) == once + once
    # --dedup covers the old documents too: the first of each group stays.
    quire("append", corpus, "--dedup", "text", "--manifest", SEEDS / "manifest.csv", SEEDS)
    assert docs(corpus) == once
    merged = tmp_path / "merged.quire"
    quire("merge", "-o", merged, "--dedup", "text", corpus, corpus)
    assert sorted(docs(merged)) == sorted(once)
