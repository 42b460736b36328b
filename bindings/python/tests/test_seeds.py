"""The real sample in ../shared/seeds, packed through the binding's Writer
from manifest.csv and the .txt files."""

from __future__ import annotations

import subprocess

import pytest

import quire


def test_seeds_read_back(seeds, seeds_dir):
    path, rows = seeds
    with quire.open(path) as corpus:
        assert len(corpus) == len(rows) == 5
        for doc, row in zip(corpus, rows):
            assert doc.source == (row["source"] or None)
            assert doc.date == (row["date"] or None)
            assert (doc.title, doc.author, doc.url) == (row["title"], row["author"], row["url"])
            text = (seeds_dir / row["file"]).read_text(encoding="utf-8")
            assert doc.text == text
            assert doc.text_length == len(text.encode("utf-8"))
        assert corpus.undated_count == sum(1 for r in rows if not r["date"])
        assert {s.name: s.documents for s in corpus.sources} == {
            "Belarus in Focus": 2, "Eurasia Daily Monitor": 1, "South China Morning Post": 1}
        assert corpus.count(sources="Belarus in Focus") == 2
        assert [d.title for d in corpus.query(from_="2016", to="2016")] == [
            rows[2]["title"], rows[4]["title"]]
        assert corpus.count(from_="2024-08") == 1
        assert corpus.count(from_="2017-05-08T09:22", to="2017-05-08T09:22") == 1


def test_seeds_counts_match_cli(seeds, cli):
    if cli is None:
        pytest.skip("the quire CLI is not built (set QUIRE_CLI)")
    path, _ = seeds
    for args, spec in [([], {}), (["--source", "Belarus in Focus"], {"sources": "Belarus in Focus"}),
                       (["--from", "2016", "--to", "2016"], {"from_": "2016", "to": "2016"}),
                       (["--from", "2017", "--undated"], {"from_": "2017", "undated": True})]:
        out = subprocess.run([cli, "count", str(path), *args], check=True, capture_output=True,
                             text=True).stdout
        with quire.open(path) as corpus:
            assert corpus.count(**spec) == int(out)
