"""Errors: missing, foreign, truncated and corrupted files, closed handles.
Each must raise the quire.Error subclass of its C status, never crash."""

from __future__ import annotations

import gc

import pytest

import quire
from conftest import model_docs, write_corpus


@pytest.fixture
def big_corpus(tmp_path):
    # Texts dominate the file, so its middle byte lies inside compressed text.
    return write_corpus(tmp_path / "big.quire", model_docs(300, seed=3), block_size=4096)


def test_missing_file(tmp_path):
    missing = tmp_path / "missing.quire"
    with pytest.raises(quire.NotFoundError) as err:
        quire.open(missing)
    assert err.value.code == -1
    assert err.value.name == "QUIRE_ENOTFOUND"
    assert str(missing) in err.value.message
    assert isinstance(err.value, quire.Error)


def test_not_a_quire_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some text, long enough to hold a header and a footer " * 10)
    with pytest.raises(quire.NotQuireError) as err:
        quire.open(path)
    assert err.value.code == -7
    with pytest.raises(quire.NotQuireError):
        quire.open(b"not a corpus at all" * 10)


def test_truncated_file(big_corpus):
    data = big_corpus.read_bytes()
    with pytest.raises((quire.CorruptError, quire.NotQuireError)):
        quire.open(data[: len(data) // 2])
    with pytest.raises(quire.Error):
        quire.open(b"")


def read_everything(corpus):
    for doc in corpus:
        doc.title, doc.text  # noqa: B018 - reading is the point


def test_corrupted_file(big_corpus):
    data = bytearray(big_corpus.read_bytes())
    data[len(data) // 2] ^= 0xFF
    big_corpus.write_bytes(bytes(data))
    with pytest.raises(quire.CorruptError) as err:
        with quire.open(big_corpus) as corpus:
            read_everything(corpus)
    assert err.value.code == -2
    assert err.value.message
    with quire.open(big_corpus) as corpus:
        assert corpus.verify() != []


def test_salvage_keeps_the_intact_documents(big_corpus, tmp_path):
    data = bytearray(big_corpus.read_bytes())
    data[len(data) // 2] ^= 0xFF
    big_corpus.write_bytes(bytes(data))
    result = quire.salvage(big_corpus, tmp_path / "saved.quire")
    assert result.lost > 0 and result.kept > 0
    assert result.kept + result.lost == 300
    with quire.open(tmp_path / "saved.quire") as corpus:
        assert len(corpus) == result.kept
        read_everything(corpus)


def test_closed_corpus(big_corpus):
    corpus = quire.open(big_corpus)
    docs = iter(corpus)
    first = next(docs)
    corpus.close()
    corpus.close()  # twice is fine
    assert corpus.closed
    with pytest.raises(quire.StateError):
        next(docs)
    with pytest.raises(quire.StateError):
        len(corpus)
    with pytest.raises(quire.StateError):
        first.text
    with pytest.raises(quire.StateError):
        list(corpus.query(sources="x"))


def test_iterators_outliving_their_corpus_are_safe(big_corpus):
    for _ in range(20):
        corpus = quire.open(big_corpus)
        alive = [iter(corpus) for _ in range(3)]
        for it in alive:
            next(it)
        del corpus
        gc.collect()
        for it in alive:
            next(it)  # the iterator keeps its corpus open
        del alive
        gc.collect()


def test_bad_arguments(big_corpus, tmp_path):
    with quire.open(big_corpus) as corpus:
        with pytest.raises(quire.InvalidArgumentError):
            corpus.export_csv(tmp_path / "x.csv", columns="id,nonsense")
        with pytest.raises(quire.InvalidArgumentError):
            corpus.export_csv(tmp_path / "x.csv", dialect="tsv")
        assert not (tmp_path / "x.csv").exists()
    with pytest.raises(quire.InvalidArgumentError):
        quire.open("bad\0path")
    with pytest.raises((quire.SystemIOError, quire.NotFoundError)):
        quire.Writer(tmp_path / "no" / "such" / "dir" / "x.quire")
