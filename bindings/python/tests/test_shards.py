"""quire._shards: shard paths, statistics and the pruning both cluster
readers use, checked against what the C library counts."""

from __future__ import annotations

import itertools
import os

import pytest

import quire
from quire._shards import Piece, Selection, expand_paths, plan_counted
from cluster_data import make_shards


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return make_shards(tmp_path_factory.mktemp("shards") / "archive")


SELECTIONS = [
    dict(),
    dict(sources=["Xinhua"]),
    dict(sources=["Белта", "Eurasia Daily Monitor"], from_="2020", to="2021"),
    dict(from_="2024-06"),
    dict(to="2014-03-01"),
    dict(from_="2030", undated=True),
    dict(from_="2019", to="2018"),
    dict(sources=["Nobody"]),
    dict(undated=False),
]


@pytest.mark.parametrize("kwargs", SELECTIONS + [dict(sources=[])], ids=repr)
def test_plan_counted_keeps_exactly_the_shards_that_match(shards, kwargs):
    sel = Selection.from_dates(**kwargs)
    planned = plan_counted([str(s) for s in shards], sel, max_documents=100)
    kept = {p.piece.path for p in planned}
    if kwargs == dict(sources=["Xinhua"]):
        assert kept == {str(shards[0]), str(shards[1])}
    if kwargs == dict(sources=["Nobody"]) or kwargs == dict(from_="2019", to="2018"):
        assert kept == set()
    for path in shards:
        with quire.open(path) as corpus:
            matches = corpus.count(**kwargs)
            # the selection in exact seconds selects what the query selects
            assert corpus._count(sel.spec()) == matches
            documents = len(corpus)
            raw = corpus.raw_size / documents
        mine = [p for p in planned if p.piece.path == str(path)]
        if not matches:
            assert mine == []
            continue
        assert [(p.piece.first, p.piece.end) for p in mine] == [
            (first, min(documents, first + 100)) for first in range(0, documents, 100)]
        assert sum(p.documents for p in mine) == pytest.approx(matches)
        assert all(p.raw_per_document == pytest.approx(raw) for p in mine)


def test_pieces_cover_each_shard_once(shards):
    pieces = [p.piece for p in plan_counted([str(s) for s in shards], Selection(),
                                            max_documents=70)]
    for path in shards:
        mine = [p for p in pieces if p.path == str(path)]
        assert [(p.first, p.end) for p in mine] == [(0, 70), (70, 140), (140, 210), (210, 240)]
        assert not any(p.whole for p in mine)
    assert [p.piece for p in plan_counted([str(shards[0])], Selection(), max_documents=240)] == [
        Piece(str(shards[0]), 0, 240, True)]


def test_expand_paths(shards, tmp_path):
    folder = shards[0].parent
    names = [str(s) for s in shards]
    assert expand_paths(folder) == names
    assert expand_paths(str(folder / "part-0000[13].quire")) == [names[1], names[3]]
    assert expand_paths([names[2], str(folder), names[2]]) == [names[2]] + [
        n for n in names if n != names[2]]
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(quire.NotFoundError, match="no .quire shard"):
        expand_paths(tmp_path)
    with pytest.raises(quire.NotFoundError, match="no .quire shard"):
        expand_paths(str(tmp_path / "*.quire"))
    with pytest.raises(quire.NotFoundError, match="no such shard"):
        expand_paths(tmp_path / "missing.quire")
    with pytest.raises(quire.InvalidArgumentError):
        expand_paths([])


def test_trace_lines(shards, tmp_path, monkeypatch):
    pytest.importorskip("pyarrow", reason="pyarrow is not installed: skipping the piece reader test")
    from quire._pieces import read_piece

    trace = tmp_path / "trace.log"
    monkeypatch.setenv("QUIRE_TRACE_OPENS", str(trace))
    piece = Piece(str(shards[0]), 10, 20, False)
    batches = list(read_piece(piece, Selection(), ["doc", "title"], batch_size=3))
    docs = list(itertools.chain.from_iterable(b.column(0).to_pylist() for b in batches))
    assert docs == list(range(10, 20))
    assert trace.read_text() == f"{shards[0]}\t10\t20\n"
    with quire.open(shards[0]) as corpus:
        titles = [corpus[d].title or None for d in range(10, 20)]
    assert list(itertools.chain.from_iterable(b.column(1).to_pylist() for b in batches)) == titles
    assert os.path.exists(trace)
