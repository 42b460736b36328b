"""quire.merge(), Writer.add_corpus() and Writer.append() / quire.append():
every field of every document after a merge (concatenated in order, or the
same documents clustered), append keeping the old documents first, dedup,
corpora closed or collected early, and misuse and damage."""

from __future__ import annotations

import csv
import gc
from pathlib import Path
from typing import List, Tuple

import pytest

import quire
from conftest import model_docs, write_corpus

Row = Tuple[object, ...]


def rows(path_or_corpus) -> List[Row]:
    """Every field of every document, in document order."""
    corpus = path_or_corpus if isinstance(path_or_corpus, quire.Corpus) else quire.open(path_or_corpus)
    try:
        return [(d.id, d.source, d.date, int(d.precision), d.timestamp, d.title, d.author, d.url,
                 d.text, d.text_length) for d in corpus]
    finally:
        if corpus is not path_or_corpus:
            corpus.close()


def fields(rs: List[Row]) -> List[Row]:
    """The rows without their document numbers (which a merge changes)."""
    return [r[1:] for r in rs]


@pytest.fixture
def pair(tmp_path: Path) -> Tuple[Path, Path]:
    """Two generated corpora of different layouts: zstd clustered and
    DEFLATE in input order, with small blocks so each has many."""
    a = write_corpus(tmp_path / "a.quire", model_docs(400, seed=1), block_size=16 << 10)
    b = write_corpus(tmp_path / "b.quire", model_docs(300, seed=2), order="input",
                     codec="deflate", block_size=16 << 10)
    return a, b


# ---- merge -----------------------------------------------------------------


def test_keep_order_concatenates_exactly(pair, tmp_path):
    a, b = pair
    out = tmp_path / "m.quire"
    result = quire.merge(out, [b, a], keep_order=True)
    assert result == quire.MergeResult(700, 0)
    got = rows(out)
    assert [r[0] for r in got] == list(range(700))
    assert fields(got) == fields(rows(b)) + fields(rows(a))


def test_clustered_merge_holds_the_same_documents(pair, tmp_path):
    a, b = pair
    out = tmp_path / "m.quire"
    with quire.open(a) as ca:  # a Corpus and a path mixed
        documents, dropped = quire.merge(out, [ca, b])
        assert ca.count() == 400  # still usable afterwards
    assert (documents, dropped) == (700, 0)
    got = fields(rows(out))
    want = fields(rows(a)) + fields(rows(b))
    assert got != want  # clustered: the blocks are reordered...
    assert sorted(got, key=repr) == sorted(want, key=repr)  # ...not the documents
    with quire.open(out) as merged:
        assert merged.count(sources="Xinhua") == (
            quire.open(a).count(sources="Xinhua") + quire.open(b).count(sources="Xinhua"))
        assert merged.verify() == []


def test_writer_add_corpus_mixes_with_add(pair, tmp_path):
    a, _ = pair
    out = tmp_path / "m.quire"
    with quire.Writer(out, order="input") as w:
        w.add(source="first", date="2020-02", title="before", text="added one by one")
        w.add_corpus(a)
        w.add(source="last", title="after", text="and one more")
        assert len(w) == 402
    got = rows(out)
    assert got[0][1:3] == ("first", "2020-02") and got[0][5] == "before"
    assert fields(got[1:401]) == fields(rows(a))
    assert got[401][5] == "after" and got[401][8] == "and one more"


def test_dedup_drops_the_second_copy(tmp_path):
    docs = model_docs(500, seed=5)
    a = write_corpus(tmp_path / "a.quire", docs[:300], order="input")
    b = write_corpus(tmp_path / "b.quire", docs[200:], order="input")  # 200..299 shared
    out = tmp_path / "m.quire"
    assert quire.merge(out, [a, b], keep_order=True, dedup="url") == (500, 100)
    assert fields(rows(out)) == fields(rows(a)) + fields(rows(b))[100:]
    # Through the writer: the same count, readable from dropped.
    with quire.Writer(tmp_path / "w.quire", order="input", dedup=["url", "text"]) as w:
        w.add_corpus(b)
        w.add_corpus(a)
        assert w.dropped == 100
    assert fields(rows(tmp_path / "w.quire")) == fields(rows(b)) + fields(rows(a))[:200]


@pytest.mark.parametrize("order", ["clustered", "input"])
def test_corpora_closed_and_collected_before_finish(pair, tmp_path, order):
    """The writer keeps what it copies (clustered, it copies the blocks at
    finish): a corpus closed right after add_corpus(), one opened on bytes
    and garbage-collected, and one opened on a path by add_corpus() itself
    all come out whole."""
    a, b = pair
    out = tmp_path / "m.quire"
    with quire.Writer(out, order=order) as w:
        corpus = quire.open(a)
        w.add_corpus(corpus)
        corpus.close()
        in_memory = quire.open(b.read_bytes())
        w.add_corpus(in_memory)
        del in_memory
        gc.collect()
        # Reuse the freed memory, so that a buffer let go too early shows.
        junk = [bytes([i % 251]) * b.stat().st_size for i in range(20)]
        w.add_corpus(str(a))
        del junk
    want = fields(rows(a)) + fields(rows(b)) + fields(rows(a))
    got = fields(rows(out))
    if order == "clustered":
        got, want = sorted(got, key=repr), sorted(want, key=repr)
    assert got == want


def test_writer_collected_with_corpora_held(pair, tmp_path):
    a, b = pair
    w = quire.Writer(tmp_path / "never.quire")
    w.add_corpus(quire.open(b.read_bytes()))
    w.add_corpus(a)
    del w
    gc.collect()
    assert not (tmp_path / "never.quire").exists()


def test_seeds_merged_with_themselves(seeds, tmp_path):
    path, manifest = seeds
    out = tmp_path / "twice.quire"
    assert quire.merge(out, [path, path], keep_order=True) == (10, 0)
    once = fields(rows(path))
    assert fields(rows(out)) == once + once
    assert [r[5] for r in rows(out)[:5]] == [row["title"] for row in manifest]
    result = quire.merge(tmp_path / "once.quire", [path, path], dedup=("url", "text"))
    assert result == (5, 5)
    assert sorted(fields(rows(tmp_path / "once.quire")), key=repr) == sorted(once, key=repr)


# ---- append ----------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"order": "input", "codec": "deflate"}])
def test_append_keeps_the_old_documents_first(tmp_path, options):
    path = write_corpus(tmp_path / "c.quire", model_docs(300, seed=11), block_size=16 << 10,
                        **options)
    before = rows(path)
    new = model_docs(80, seed=12)
    with quire.Writer.append(path) as w:
        for doc in new:
            w.add(**doc)
        assert len(w) == 380  # the old documents count
    after = rows(path)
    assert len(after) == 380
    assert after[:300] == before  # numbers and every field
    fresh = write_corpus(tmp_path / "fresh.quire", new, block_size=16 << 10, **options)
    assert fields(after[300:]) == fields(rows(fresh))  # in the corpus's own order
    with quire.open(path) as corpus:
        assert corpus.packing.codec == options.get("codec", "zstd")
        assert corpus.verify() == []


def test_append_from_csv_and_another_corpus(seeds, seeds_dir, tmp_path):
    path, manifest = seeds
    grown = tmp_path / "grown.quire"
    grown.write_bytes(path.read_bytes())
    other = write_corpus(tmp_path / "o.quire", model_docs(40, seed=3), order="input")
    with quire.append(grown, threads=1) as w:
        result = w.import_csv(seeds_dir / "manifest.csv", base_dir=seeds_dir)
        assert result.rows == len(manifest)
        w.add_corpus(other)
    got = rows(grown)
    assert got[:5] == rows(path)
    assert fields(got[5:10]) == fields(rows(path))
    assert fields(got[10:]) == fields(rows(other))


def test_append_dedup_covers_the_old_documents(tmp_path):
    docs = model_docs(200, seed=21)
    path = write_corpus(tmp_path / "c.quire", docs[:150], order="input")
    with quire.append(path, dedup="url") as w:
        for doc in docs[100:]:
            w.add(**doc)
        assert w.dropped == 50
    assert fields(rows(path)) == fields(rows(write_corpus(tmp_path / "r.quire", docs,
                                                          order="input")))


def test_append_abandoned_by_an_exception_changes_nothing(tmp_path):
    path = write_corpus(tmp_path / "c.quire", model_docs(120, seed=31))
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="stop"):
        with quire.Writer.append(path) as w:
            w.add(source="new", text="never written")
            w.add_corpus(path)
            raise RuntimeError("stop")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.quire"]  # no temp file left
    w = quire.append(path)  # closed unfinished, by hand or by the collector
    w.add(text="x")
    del w
    gc.collect()
    assert path.read_bytes() == before


def test_finish_inside_the_with_block(tmp_path):
    path = write_corpus(tmp_path / "c.quire", model_docs(10, seed=41))
    with quire.append(path) as w:
        w.add(text="one more")
        assert w.finish() == 11
    assert len(quire.open(path)) == 11


# ---- misuse and damage -----------------------------------------------------


def test_bad_arguments(pair, tmp_path):
    a, b = pair
    out = tmp_path / "m.quire"
    with pytest.raises(quire.InvalidArgumentError):
        with quire.Writer(out) as w:
            w.add_corpus(None)
    with pytest.raises(TypeError):
        quire.merge(out, str(a))  # one path, not a list of them
    with pytest.raises(TypeError):
        quire.merge(out, None)
    with pytest.raises(quire.InvalidArgumentError, match="at least one"):
        quire.merge(out, [])
    with pytest.raises(quire.InvalidArgumentError, match="unknown duplicate kind"):
        quire.merge(out, [a], dedup="title")
    with pytest.raises(quire.InvalidArgumentError, match="also an input"):
        quire.merge(a, [b, a])
    with pytest.raises(quire.NotFoundError):
        quire.merge(out, [a, tmp_path / "missing.quire"])
    assert not out.exists()
    with pytest.raises(quire.NotFoundError, match="cannot append"):
        quire.append(tmp_path / "missing.quire")
    assert not (tmp_path / "missing.quire").exists()
    text = tmp_path / "t.csv"
    with open(text, "w", newline="") as f:
        csv.writer(f).writerows([["source", "text"], ["x", "y"]])
    with pytest.raises(quire.NotQuireError):
        quire.Writer.append(text)
    with pytest.raises(quire.InvalidArgumentError):
        quire.append(tmp_path / "bad\0name")


def test_closed_corpus_and_writer(pair, tmp_path):
    a, _ = pair
    corpus = quire.open(a)
    corpus.close()
    w = quire.Writer(tmp_path / "m.quire")
    with pytest.raises(quire.StateError, match="closed"):
        w.add_corpus(corpus)
    w.add_corpus(a)
    assert w.finish() == 400
    with pytest.raises(quire.StateError):
        w.add_corpus(a)  # finished
    w.close()
    with pytest.raises(quire.StateError, match="closed"):
        w.add_corpus(a)
    w.close()  # twice is fine
    with pytest.raises(quire.StateError):
        quire.merge(tmp_path / "n.quire", [corpus])
    assert not (tmp_path / "n.quire").exists()


def damaged_copy(path: Path, out: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[64 + 100] ^= 0x55  # inside the first text block
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("keep_order", [False, True])
def test_damaged_input_fails_cleanly(tmp_path, keep_order):
    good = write_corpus(tmp_path / "good.quire", model_docs(300, seed=61), order="input")
    bad = damaged_copy(good, tmp_path / "bad.quire")
    out = tmp_path / "m.quire"
    with pytest.raises(quire.CorruptError, match="block") as info:
        quire.merge(out, [good, bad], keep_order=keep_order)
    assert info.value.name == "QUIRE_ECORRUPT"
    # Found by add_corpus() (keep_order) or at finish() (clustered), the
    # error names the input: its path, or its place for bytes.
    assert info.value.message.startswith(f"{bad}: ")
    place = "merge input 2" if keep_order else "added corpus 2"
    with pytest.raises(quire.CorruptError, match=f"^{place}: "):
        quire.merge(out, [good, bad.read_bytes()], keep_order=keep_order)
    assert not out.exists()
    # Appending to a damaged corpus fails too, and leaves it as it was.
    before = bad.read_bytes()
    with pytest.raises(quire.CorruptError):
        with quire.append(bad) as w:
            w.add(text="x")
    assert bad.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.quire", "good.quire"]
