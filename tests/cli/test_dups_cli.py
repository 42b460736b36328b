"""End-to-end tests of `quire dups` and `quire pack --dedup`.

ctest runs them with QUIRE_BIN and QUIRE_SEEDS_DIR, as test_cli.py, whose
helpers they use.
"""

import csv
import io
import random
import subprocess
import unicodedata

import pytest

from test_cli import QUIRE, SEEDS, quire  # noqa: E402  (same folder)


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["source", "date", "title", "url", "text"])
        w.writerows(rows)


def groups(tsv):
    """{group number: (kind, [(corpus, doc, similarity)])} from dups output."""
    lines = tsv.decode("utf-8").splitlines()
    assert lines[0] == "group\tkind\tcorpus\tdoc\tsimilarity"
    out = {}
    for line in lines[1:]:
        g, kind, corpus, doc, sim = line.split("\t")
        out.setdefault(int(g), (kind, []))[1].append((corpus, int(doc), float(sim)))
    return out


def words(seed, n):
    rng = random.Random(seed)
    return [f"w{rng.randrange(5000)}" for _ in range(n)]


@pytest.fixture(scope="module")
def story():
    return words(1, 500)


@pytest.fixture
def corpus_csv(tmp_path, story):
    edited = list(story)
    for i in range(0, len(edited), 30):
        edited[i] = "changed"
    text = " ".join(story)
    other = " ".join(words(4, 400))
    nfd = unicodedata.normalize("NFD", "Café résumé " + other)
    nfc = unicodedata.normalize("NFC", "Café  résumé\n\n" + other)
    rows = [
        ["A", "2020-01-01", "t0", "https://news.example/a?utm_source=x", text],
        ["B", "2020-01-02", "t1", "", " ".join(words(2, 400))],
        ["C", "2020-01-03", "t2", "HTTP://NEWS.EXAMPLE:80/a/#c", " ".join(words(3, 400))],
        ["D", "2020-01-04", "t3", "", " ".join(edited)],
        ["E", "2020-01-05", "t4", "", nfd],
        ["F", "2020-01-06", "t5", "", nfc],
    ]
    path = tmp_path / "in.csv"
    write_csv(path, rows)
    return path


def test_dups_finds_every_kind(corpus_csv, tmp_path):
    out = tmp_path / "c.quire"
    quire("pack", "--input-order", "-o", out, corpus_csv)
    got = groups(quire("dups", out).stdout)
    kinds = sorted((k, [d for _, d, _ in m]) for k, m in got.values())
    assert kinds == [("near", [0, 3]), ("near", [4, 5]), ("text", [4, 5]),
                     ("url", [0, 2])]
    for kind, members in got.values():
        assert members[0][2] == 1.0
        if kind == "near" and members[0][1] == 0:
            assert 0.6 < members[1][2] < 1.0
    only_url = groups(quire("dups", "--kind", "url", out).stdout)
    assert [k for k, _ in only_url.values()] == ["url"]
    # A threshold above the edited copy's similarity leaves it out.
    strict = groups(quire("dups", "--kind", "near", "--similarity", "0.99", out).stdout)
    assert [[d for _, d, _ in m] for _, m in strict.values()] == [[4, 5]]
    counted = quire("dups", "--count", out).stdout.decode()
    assert counted == "4 groups, 3 duplicates in 6 documents\n"


def test_dups_across_corpora_names_each_file(corpus_csv, tmp_path):
    a, b = tmp_path / "a.quire", tmp_path / "b.quire"
    quire("pack", "--input-order", "-o", a, corpus_csv)
    quire("pack", "-o", b, corpus_csv)  # clustered: other numbers
    got = groups(quire("dups", "--kind", "text", a, b).stdout)
    assert len(got) == 5  # E and F are one text; five texts in all
    for _, members in got.values():
        assert members[0][0] == str(a)
        assert {c for c, _, _ in members} == {str(a), str(b)}


def test_pack_dedup_keeps_the_first_of_each_group(corpus_csv, tmp_path):
    out = tmp_path / "d.quire"
    r = quire("pack", "--input-order", "--dedup", "url", "--dedup", "text",
              "-o", out, corpus_csv)
    assert b"dropped 2 duplicates" in r.stderr
    exported = list(csv.DictReader(io.StringIO(
        quire("export", "--columns", "title", out).stdout.decode())))
    assert [row["title"] for row in exported] == ["t0", "t1", "t3", "t4"]
    quire("pack", "--dedup", "near", "-o", out, corpus_csv)
    assert int(quire("count", out).stdout) == 4
    quire("pack", "--dedup", "near", "--similarity", "1", "-o", out, corpus_csv)
    assert int(quire("count", out).stdout) == 5


def test_seeds_have_no_duplicates_until_packed_twice(tmp_path):
    if not (SEEDS / "manifest.csv").exists():
        pytest.skip(f"the seeds folder {SEEDS} is not here: seeds test skipped")
    out = tmp_path / "seeds.quire"
    quire("pack", "-o", out, "--manifest", SEEDS / "manifest.csv", SEEDS)
    assert quire("dups", out).stdout == b"group\tkind\tcorpus\tdoc\tsimilarity\n"
    got = groups(quire("dups", out, out).stdout)
    kinds = sorted(k for k, _ in got.values())
    assert kinds == ["near"] * 5 + ["text"] * 5 + ["url"] * 2
    for _, members in got.values():
        assert members[0][1] == members[1][1]


@pytest.mark.parametrize("args", [
    ["dups"],
    ["dups", "--kind", "title", "x.quire"],
    ["dups", "--similarity", "0", "x.quire"],
    ["dups", "--similarity", "1.5", "x.quire"],
    ["dups", "--similarity", "abc", "x.quire"],
    ["dups", "--bogus", "x.quire"],
    ["pack", "--dedup", "fuzzy", "-o", "x.quire", "in.csv"],
    ["pack", "--similarity", "2", "-o", "x.quire", "in.csv"],
])
def test_usage_errors_exit_2(args, tmp_path):
    r = subprocess.run([QUIRE, *args], capture_output=True, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(b"quire ")
    assert not (tmp_path / "x.quire").exists()


def test_failures_exit_1(tmp_path):
    r = quire("dups", tmp_path / "missing.quire", code=1)
    assert b"missing.quire" in r.stderr
    bad = tmp_path / "bad.quire"
    bad.write_bytes(b"not a corpus at all" * 10)
    quire("dups", bad, code=1)


def test_help():
    r = quire("dups", "--help")
    assert b"usage: quire dups" in r.stdout and b"--similarity" in r.stdout
    assert b"--dedup KIND" in quire("pack", "--help").stdout
    assert b"dups" in quire("--help").stdout
