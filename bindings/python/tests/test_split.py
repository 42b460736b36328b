"""quire.split (quire_split_*) and quire.shard_stats: every document of the
input comes back from the shards, every field intact, grouped as asked."""

from __future__ import annotations

import collections
import datetime as _dt
import os
import subprocess
from pathlib import Path

import pytest

import quire
from conftest import ROUND_TRIP_DOCS, model_docs, write_corpus


def fields(doc):
    return (doc.source, doc.date, doc.timestamp, int(doc.precision), doc.title, doc.author,
            doc.url, doc.text)


def all_docs(path):
    with quire.open(path) as corpus:
        return [fields(d) for d in corpus]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "in.quire", model_docs(700, seed=11) + ROUND_TRIP_DOCS)


def year(ts):
    return None if ts is None else _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).year


def test_shards_of_consecutive_documents(corpus, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    paths = quire.split(corpus, out, shards=4)
    assert [os.path.basename(p) for p in paths] == [f"part-{i:05d}.quire" for i in range(4)]
    got = [d for p in paths for d in all_docs(p)]
    assert got == all_docs(corpus)  # same order, every field
    assert [len(quire.open(p)) for p in paths] == [707 * (i + 1) // 4 - 707 * i // 4 for i in range(4)]


def test_by_source(corpus, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    paths = quire.split(corpus, out, by="source")
    want = all_docs(corpus)
    names = [s.name for s in quire.open(corpus).sources]
    assert [os.path.basename(p) for p in paths] == [
        f"source-{i:05d}.quire" for i in range(len(names))] + ["source-none.quire"]
    for i, name in enumerate(names):
        assert all_docs(paths[i]) == [d for d in want if d[0] == name]
        assert list(quire.shard_stats(paths[i]).sources) == [name]
    assert all_docs(paths[-1]) == [d for d in want if d[0] is None]


def test_by_year_and_month(corpus, tmp_path):
    want = all_docs(corpus)
    for by in ("year", "month"):
        out = tmp_path / by
        out.mkdir()
        paths = quire.split(corpus, out, by=by)
        got = collections.defaultdict(list)
        for p in paths:
            got[os.path.basename(p)] = all_docs(p)
        expect = collections.defaultdict(list)
        for d in want:
            if d[2] is None:
                expect[f"{by}-none.quire"].append(d)
            else:
                t = _dt.datetime.fromtimestamp(d[2], _dt.timezone.utc)
                key = f"{t.year:04d}" if by == "year" else f"{t.year:04d}-{t.month:02d}"
                expect[f"{by}-{key}.quire"].append(d)
        assert dict(got) == dict(expect)


def test_max_size_cuts_parts(corpus, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    size = os.path.getsize(corpus)
    paths = quire.split(corpus, out, max_size=size // 5)
    assert 5 <= len(paths) <= 8
    assert [d for p in paths for d in all_docs(p)] == all_docs(corpus)
    for p in paths:  # an estimate: within a fifth of the limit
        assert os.path.getsize(p) < size // 5 * 1.2
    keyed = tmp_path / "k"
    keyed.mkdir()
    paths = quire.split(corpus, keyed, by="source", max_size=size // 8)
    assert any(p.endswith("-001.quire") for p in paths)
    assert all(os.path.basename(p)[-9:-6] .isdigit() for p in paths)
    assert collections.Counter(d for p in paths for d in all_docs(p)) == \
        collections.Counter(all_docs(corpus))


def test_csv_input(tmp_path, cli):
    csv = tmp_path / "in.csv"
    rows = ["source,date,title,text"] + [
        f"S{i % 3},{2010 + i % 4}-05,t{i},\"body {i}, with a comma\"" for i in range(90)]
    csv.write_text("\n".join(rows) + "\n")
    out = tmp_path / "s"
    out.mkdir()
    paths = quire.split(csv, out, by="year")
    assert [os.path.basename(p) for p in paths] == [f"year-{y}.quire" for y in range(2010, 2014)]
    assert sum(len(quire.open(p)) for p in paths) == 90
    assert sorted(os.listdir(out)) == sorted(os.path.basename(p) for p in paths)  # temp gone
    bad = tmp_path / "bad.csv"
    bad.write_text("source,date,text\nA,not a date,x\n")
    out2 = tmp_path / "s2"
    out2.mkdir()
    with pytest.raises(quire.DateError, match="not a date"):
        quire.split(bad, out2, by="year")
    assert os.listdir(out2) == []


def test_shard_stats(corpus, tmp_path):
    stats = quire.shard_stats(corpus)
    with quire.open(corpus) as c:
        assert stats.documents == len(c) == 707
        assert stats.sources == {s.name: s.documents for s in c.sources}
        assert stats.undated == c.undated_count
        first, last = c.date_span
        assert (stats.first, stats.last) == (int(first.timestamp()), int(last.timestamp()))
        assert stats.unsourced == sum(1 for d in c if d.source is None)
    with pytest.raises(quire.NotFoundError):
        quire.shard_stats(tmp_path / "missing.quire")


def test_bad_arguments(corpus, tmp_path):
    with pytest.raises(quire.InvalidArgumentError, match="exclude each other"):
        quire.split(corpus, tmp_path, shards=3, by="year")
    with pytest.raises(quire.InvalidArgumentError):
        quire.split(corpus, tmp_path, by="week")
    with pytest.raises(quire.InvalidArgumentError):
        quire.split(corpus, tmp_path, shards=0)
    with pytest.raises(quire.InvalidArgumentError):
        quire.split(corpus, tmp_path, level=30)
    with pytest.raises(quire.NotFoundError):
        quire.split(corpus, tmp_path / "no" / "such")
    with pytest.raises(quire.NotFoundError):
        quire.split(tmp_path / "missing.quire", tmp_path)
    damaged = tmp_path / "damaged.quire"
    raw = bytearray(corpus.read_bytes())
    raw[200:260] = b"\xff" * 60  # inside the first text block
    damaged.write_bytes(bytes(raw))
    out = tmp_path / "d"
    out.mkdir()
    with pytest.raises(quire.CorruptError):
        quire.split(damaged, out, shards=2)
    assert [n for n in os.listdir(out) if not n.endswith(".quire")] == []


def test_cli(corpus, tmp_path, cli):
    if cli is None:
        pytest.skip("the quire CLI is not built: skipping the split CLI test")
    out = tmp_path / "new"
    run = subprocess.run([cli, "split", "-o", str(out), "--by", "source", str(corpus)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == sorted(os.listdir(out))
    run = subprocess.run([cli, "split", "-o", str(out), "--max-size", "0", str(corpus)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "--max-size" in run.stderr
    run = subprocess.run([cli, "split", "-o", str(tmp_path / "g"), "--max-size", "1G",
                          "--shards", "2", str(corpus)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.split() == ["part-00000.quire", "part-00001.quire"]
