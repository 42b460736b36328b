"""Batches: the column-wise iteration (quire_cursor_next_batch) against the
per-document one, its views, its lazy documents, closing and damage."""

from __future__ import annotations

import struct

import pytest

import quire
from conftest import model_docs, write_corpus

FILTERS = [{}, {"sources": ["Belarus in Focus", "Xinhua"]}, {"from_": "2016", "to": "2017"},
           {"undated": False}, {"sources": ["nobody"]}]


@pytest.fixture
def corpus_path(tmp_path):
    return write_corpus(tmp_path / "batches.quire", model_docs(600, seed=11), block_size=4096)


def columns_of(batches):
    rows = []
    for batch in batches:
        assert 0 < len(batch)
        rows += zip(batch.docs, batch.dates, batch.precisions, batch.source_names,
                    batch.text_lengths, batch.timestamps)
    return rows


def columns_of_documents(docs):
    return [(d.id, quire.NO_DATE if d.timestamp is None else d.timestamp, d.precision,
             d.source, d.text_length, d.timestamp) for d in docs]


@pytest.mark.parametrize("spec", FILTERS)
@pytest.mark.parametrize("size", [1, 7, 1024])
def test_batches_give_what_documents_give(corpus_path, spec, size):
    with quire.open(corpus_path) as corpus:
        query = corpus.query(**spec)
        want = columns_of_documents(query)
        assert len(want) == query.count()
        assert columns_of(query.batches(size=size)) == want
        if size == 7 and want:
            sizes = [len(b) for b in query.batches(size=size)]
            assert sizes[:-1] == [7] * (len(sizes) - 1) and 0 < sizes[-1] <= 7


def test_source_ids_index_corpus_sources(corpus_path):
    with quire.open(corpus_path) as corpus:
        names = [s.name for s in corpus.sources]
        for batch in corpus.batches(size=100):
            assert batch.source_names == [names[n] if n >= 0 else None for n in batch.sources]


def test_views_are_typed_read_only_and_outlive_the_iteration(corpus_path):
    with quire.open(corpus_path) as corpus:
        batches = list(corpus.batches(size=50))
        again = list(corpus.batches(size=50))
        assert len(batches) == 12
        for kept, fresh in zip(batches, again):
            assert kept.docs.tolist() == fresh.docs.tolist()
            assert kept.dates.tolist() == fresh.dates.tolist()
        first = batches[0]
        assert (first.docs.format, first.dates.format, first.precisions.format,
                first.sources.format, first.text_lengths.format) == ("Q", "q", "i", "q", "Q")
        assert first.docs.tolist() == list(range(50))
        with pytest.raises(TypeError):
            first.dates[0] = 0
        # The raw bytes are machine integers, as numpy.frombuffer reads them.
        assert struct.unpack("=50q", first.dates.tobytes()) == tuple(first.dates)


def test_documents_of_a_batch_read_their_fields(tmp_path):
    docs = model_docs(600, seed=11)
    path = write_corpus(tmp_path / "input.quire", docs, block_size=4096, order="input")
    with quire.open(path) as corpus:
        batches = list(corpus.batches(size=64))
        # Read in an order no cursor walks: last batch first, backwards.
        for batch in reversed(batches):
            for doc in reversed(list(batch)):
                want = docs[doc.id]
                assert doc.title == want["title"]
                assert doc.text == want["text"]
                assert doc.date == (want["date"] or None)
                assert doc.precision == batch.precisions[doc.id % 64]


def test_bad_sizes(corpus_path):
    with quire.open(corpus_path) as corpus:
        for size in (0, -1, 1.5, True, "8"):
            with pytest.raises(quire.InvalidArgumentError):
                corpus.batches(size=size)


def test_closing_ends_batches_and_documents_mid_batch(corpus_path):
    corpus = quire.open(corpus_path)
    batches = corpus.batches(size=10)
    first = next(batches)
    docs = iter(corpus)
    next(docs)  # the rest of its batch is already read
    corpus.close()
    with pytest.raises(quire.StateError):
        next(batches)
    with pytest.raises(quire.StateError):
        next(docs)
    with pytest.raises(quire.StateError):
        next(iter(first)).title  # noqa: B018
    assert len(first) == 10 and first.docs.tolist() == list(range(10))


def damage_row_chunk(path, chunk):
    """Flips a bit in chunk number chunk (4096 bytes, 128 rows) of the
    document table, whose rows then read as damaged (docs/FORMAT.md)."""
    data = bytearray(path.read_bytes())
    footer = len(data) - 288
    entry = footer + 104 + 4 * 24  # section 4: the document table
    offset, = struct.unpack_from("<Q", data, entry)
    data[offset + chunk * 4096 + 100] ^= 0x08
    path.write_bytes(bytes(data))


def test_damage_comes_after_the_documents_before_it(corpus_path):
    damage_row_chunk(corpus_path, 1)  # rows 128..255
    with quire.open(corpus_path) as corpus:
        got = []
        with pytest.raises(quire.CorruptError) as err:
            for batch in corpus.batches(size=100):
                got += batch.docs
        assert got == list(range(128))
        assert err.value.message
        seen = []
        with pytest.raises(quire.CorruptError):
            for doc in corpus:
                seen.append(doc.id)
        assert seen == list(range(128))
