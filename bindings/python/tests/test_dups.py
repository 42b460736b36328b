"""find_dups() and Writer(dedup=...): the three kinds of duplicates, across
corpora, the first of each group kept, the seeds, and bad arguments."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

import quire
from conftest import write_corpus


def words(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(5000)}" for _ in range(n))


STORY = words(1, 500)
EDITED = " ".join("changed" if i % 30 == 0 else w for i, w in enumerate(STORY.split()))
OTHER = words(4, 400)
DOCS = [
    {"title": "t0", "url": "https://news.example/a?utm_source=x&fbclid=1", "text": STORY},
    {"title": "t1", "url": "", "text": words(2, 400)},
    {"title": "t2", "url": "HTTP://NEWS.example:80/a/#comments", "text": words(3, 400)},
    {"title": "t3", "url": "", "text": EDITED},
    {"title": "t4", "url": "", "text": unicodedata.normalize("NFD", "Café " + OTHER)},
    {"title": "t5", "url": "", "text": unicodedata.normalize("NFC", "Café\n\n " + OTHER)},
]


@pytest.fixture
def corpus_path(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "d.quire", DOCS, order="input")


def test_every_kind(corpus_path: Path) -> None:
    with quire.open(corpus_path) as corpus:
        groups = quire.find_dups(corpus)
    got = [(g.kind, [m.doc for m in g.members]) for g in groups]
    assert got == [("url", [0, 2]), ("text", [4, 5]), ("near", [0, 3]), ("near", [4, 5])]
    near = groups[2]
    assert near.members[0] == quire.DupMember(0, 0, 1.0)
    assert 0.6 < near.members[1].similarity < 1.0
    assert isinstance(groups[0], quire.DupGroup)


def test_kinds_similarity_and_paths(corpus_path: Path, tmp_path: Path) -> None:
    other = write_corpus(tmp_path / "e.quire", DOCS[:2], order="input")
    groups = quire.find_dups(corpus_path, other, kinds="text")
    assert [[(m.corpus, m.doc) for m in g.members] for g in groups] == [
        [(0, 0), (1, 0)], [(0, 1), (1, 1)], [(0, 4), (0, 5)]]
    strict = quire.find_dups(corpus_path, kinds=["near"], similarity=0.99)
    assert [[m.doc for m in g.members] for g in strict] == [[4, 5]]
    assert quire.find_dups(corpus_path, kinds=("url",))[0].kind == "url"


def test_writer_dedup_keeps_the_first(tmp_path: Path) -> None:
    out = tmp_path / "kept.quire"
    with quire.Writer(out, order="input", dedup=["url", "text"]) as w:
        for doc in DOCS:
            w.add(**doc)
        assert w.dropped == 2
        assert len(w) == 4
    with quire.open(out) as corpus:
        assert [d.title for d in corpus] == ["t0", "t1", "t3", "t4"]
    with quire.Writer(out, dedup="near", similarity=1.0) as w:
        for doc in DOCS:
            w.add(**doc)
        assert w.dropped == 1


def test_seeds_twice(tmp_path: Path, seeds_dir: Path) -> None:
    out = tmp_path / "seeds.quire"
    with quire.Writer(out) as w:
        w.import_csv(seeds_dir / "manifest.csv")
    with quire.open(out) as corpus:
        assert quire.find_dups(corpus) == []
        kinds = sorted(g.kind for g in quire.find_dups(corpus, corpus))
    assert kinds == ["near"] * 5 + ["text"] * 5 + ["url"] * 2


def test_bad_arguments(corpus_path: Path, tmp_path: Path) -> None:
    with pytest.raises(quire.InvalidArgumentError, match="unknown duplicate kind"):
        quire.find_dups(corpus_path, kinds="title")
    with pytest.raises(quire.InvalidArgumentError, match="no duplicate kind"):
        quire.find_dups(corpus_path, kinds=[])
    with pytest.raises(quire.InvalidArgumentError, match="similarity"):
        quire.find_dups(corpus_path, similarity=1.5)
    with pytest.raises(quire.NotFoundError):
        quire.find_dups(tmp_path / "missing.quire")
    corpus = quire.open(corpus_path)
    corpus.close()
    with pytest.raises(quire.StateError):
        quire.find_dups(corpus)
    with pytest.raises(quire.InvalidArgumentError):
        quire.Writer(tmp_path / "x.quire", dedup="fuzzy")
    with pytest.raises(quire.InvalidArgumentError, match="similarity"):
        quire.Writer(tmp_path / "x.quire", dedup="near", similarity=-1)
    assert not (tmp_path / "x.quire").exists()
    assert quire.find_dups() == []
