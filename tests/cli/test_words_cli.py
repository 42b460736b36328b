"""`--match` and `--match-any` on every command that filters, against a
reference written from the rules of docs/guide.md ("Terms") with Python's own Unicode tables."""

import csv
import io
import os
import pathlib
import subprocess
import unicodedata

import pytest
from test_cli import seeds  # noqa: F401 (the fixture: the manifest's rows)

QUIRE = os.path.abspath(os.environ["QUIRE_BIN"]) if os.environ.get("QUIRE_BIN") else ""
REPO = pathlib.Path(__file__).resolve().parents[2]
SEEDS = pathlib.Path(os.environ.get("QUIRE_SEEDS_DIR", REPO.parent / "shared" / "seeds"))


def quire(*args, code=0):
    result = subprocess.run([QUIRE, *args], capture_output=True)
    assert result.returncode == code, (
        f"quire {args}: exit {result.returncode}, want {code}\n"
        f"stderr: {result.stderr.decode(errors='replace')}")
    return result


def fold(ch):
    """Simple case folding: the full folding when it is one code point, else
    the lowercase when it is one, else the character itself (docs/guide.md, "Terms")."""
    for f in (ch.casefold(), ch.lower()):
        if len(f) == 1:
            return f
    return ch


def words(text):
    out, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LN":
            cur.append(fold(ch))
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def holds(field, term):
    f, t = words(field), words(term)
    return any(f[i:i + len(t)] == t for i in range(len(f) - len(t) + 1))


def matches(row, all_terms=(), any_terms=()):
    def has(term):
        return holds(row["title"], term) or holds(row["text"], term)
    return all(map(has, all_terms)) and (not any_terms or any(map(has, any_terms)))


@pytest.fixture(scope="module")
def packed(seeds, tmp_path_factory):
    out = tmp_path_factory.mktemp("words") / "seeds.quire"
    quire("pack", "--input-order", "-o", str(out), "--manifest",
          str(SEEDS / "manifest.csv"), str(SEEDS))
    return str(out)


TERMS = ["Lukashenko", "BELARUS", "china", "Belt and Road", "belt-and-road",
         "Russia’s", "Kremlin", "2016", "Minsk", "Xi Jinping", "nowhere-word",
         "the", "EU"]


@pytest.mark.parametrize("term", TERMS)
def test_count_ls_and_export_agree_with_the_reference(seeds, packed, term):
    want = [i for i, row in enumerate(seeds) if matches(row, [term])]
    assert int(quire("count", packed, "--match", term).stdout) == len(want)
    listed = [int(line.split("\t")[0])
              for line in quire("ls", packed, "--match", term).stdout.decode().splitlines()]
    assert listed == want
    exported = list(csv.DictReader(io.StringIO(
        quire("export", packed, "--match", term, "--columns", "id,title").stdout.decode(),
        newline="")))
    assert [int(r["id"]) for r in exported] == want
    assert [r["title"] for r in exported] == [seeds[i]["title"] for i in want]


def test_terms_combine_with_each_other_and_with_sources_and_dates(seeds, packed):
    cases = [
        (["china", "russia"], [], []),
        ([], ["Lukashenko", "Kremlin"], []),
        (["belarus"], ["Beijing", "nowhere-word"], []),
        (["belarus"], [], ["--from", "2017"]),
        (["china"], [], ["--source", "South China Morning Post"]),
        ([], ["nowhere-word", "neverword"], []),
    ]
    for all_terms, any_terms, extra in cases:
        args = [a for t in all_terms for a in ("--match", t)]
        args += [a for t in any_terms for a in ("--match-any", t)]
        got = int(quire("count", packed, *args, *extra).stdout)
        rows = seeds
        if extra[:1] == ["--from"]:
            rows = [r for r in seeds if r["date"] >= extra[1]]
        if extra[:1] == ["--source"]:
            rows = [r for r in seeds if r["source"] == extra[1]]
        assert got == sum(matches(r, all_terms, any_terms) for r in rows), (args, extra)


def test_info_and_stats_take_terms(seeds, packed):
    want = sum(matches(r, ["Lukashenko"]) for r in seeds)
    info = quire("info", packed, "--match", "lukashenko").stdout.decode()
    assert f"selected:    {want}\n" in info
    stats = quire("stats", packed, "--match", "lukashenko").stdout.decode()
    assert str(want) in stats


def test_bad_terms_are_usage_errors(packed):
    err = quire("count", packed, "--match", "--", code=2).stderr.decode()
    assert "--match" in err and "no word" in err
    err = quire("count", packed, "--match-any", " ’ ", code=2).stderr.decode()
    assert "--match-any" in err
    result = subprocess.run([QUIRE, "count", packed, "--match", b"caf\xe9"],
                            capture_output=True)
    assert result.returncode == 2
    assert b"UTF-8" in result.stderr
    quire("count", packed, "--match", code=2)


def test_help_mentions_the_options():
    for command in ["info", "count", "ls", "export", "stats"]:
        out = quire(command, "--help").stdout.decode()
        assert "--match WORDS" in out and "--match-any" in out, command


def test_pack_without_word_summaries_counts_the_same(seeds, packed, tmp_path):
    plain = str(tmp_path / "plain.quire")
    quire("pack", "--input-order", "--no-word-summaries", "-o", plain, "--manifest",
          str(SEEDS / "manifest.csv"), str(SEEDS))
    for term in TERMS:
        assert (quire("count", plain, "--match", term).stdout ==
                quire("count", packed, "--match", term).stdout), term
    assert "--no-word-summaries" in quire("pack", "--help").stdout.decode()
