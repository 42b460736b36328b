"""Filters: what the binding counts and iterates against a model computed in
Python and against the quire CLI (an independent caller of libquire)."""

from __future__ import annotations

import calendar
import datetime as dt
import subprocess

import pytest

import quire
from conftest import SOURCES, model_docs, write_corpus

DOCS = model_docs()


def first_instant(date: str) -> int:
    parts = [int(p) for p in date.replace("T", "-").replace(":", "-").split("-")]
    year, month, day, hour, minute, second = (parts + [1, 1, 0, 0, 0][len(parts) - 1:])[:6]
    return calendar.timegm((year, month, day, hour, minute, second))


def last_instant(date: str) -> int:
    """The last second of the period a partial date names."""
    parts = [int(p) for p in date.replace("T", "-").replace(":", "-").split("-")]
    if len(parts) == 1:
        return calendar.timegm((parts[0] + 1, 1, 1, 0, 0, 0)) - 1
    if len(parts) == 2:
        year, month = parts
        return calendar.timegm((year, month, calendar.monthrange(year, month)[1], 23, 59, 59))
    span = {3: 86400, 4: 3600, 5: 60, 6: 1}[len(parts)]
    return first_instant(date) + span - 1


def expected(sources=None, from_=None, to=None, undated=None):
    lo = first_instant(from_) if from_ else None
    hi = last_instant(to) if to else None
    keep_undated = undated if undated is not None else (lo is None and hi is None)
    titles = set()
    for doc in DOCS:
        if sources is not None and doc["source"] not in sources:
            continue
        if not doc["date"]:
            if keep_undated:
                titles.add(doc["title"])
            continue
        t = first_instant(doc["date"])
        if (lo is None or t >= lo) and (hi is None or t <= hi):
            titles.add(doc["title"])
    return titles


FILTERS = [
    {},
    {"sources": ["Belarus in Focus"]},
    {"sources": ["Белта", "Xinhua"]},
    {"sources": ["nobody"]},
    {"from_": "2016"},
    {"to": "2016"},
    {"from_": "2016", "to": "2016"},
    {"from_": "2015-06", "to": "2017-02"},
    {"from_": "2016-02-29", "to": "2016-03-01"},
    {"from_": "2017-05-08T09:22", "to": "2018-01-01T00:00:30"},
    {"from_": "2016", "undated": True},
    {"to": "2015-12", "undated": False},
    {"undated": False},
    {"undated": True, "sources": ["Xinhua"]},
    {"sources": ["Eurasia Daily Monitor", "South China Morning Post"], "from_": "2014-07", "to": "2018"},
]


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory):
    # Small blocks: filters then cross many of them.
    return write_corpus(tmp_path_factory.mktemp("filters") / "model.quire", DOCS, block_size=4096)


@pytest.mark.parametrize("spec", FILTERS, ids=lambda s: repr(s))
def test_filter_matches_model(corpus_path, spec):
    want = expected(**spec)
    with quire.open(corpus_path) as corpus:
        query = corpus.query(**spec)
        got = [doc.title for doc in query]
        assert sorted(got) == sorted(want)
        assert len(got) == len(set(got))
        assert query.count() == corpus.count(**spec) == len(want)
        ids = [doc.id for doc in query]
        assert ids == sorted(ids)  # document order


def test_an_empty_source_list_lets_any_source_match(corpus_path):
    # As libquire's filter and every binding have it (and read_quire).
    with quire.open(corpus_path) as corpus:
        assert corpus.count(sources=[]) == len(corpus) == len(DOCS)
        assert corpus.count(sources=[], from_="2016") == corpus.count(from_="2016")
        assert len(list(corpus.query(sources=()))) == len(DOCS)


def test_sources_match_model(corpus_path):
    with quire.open(corpus_path) as corpus:
        counts = {s.name: s.documents for s in corpus.sources}
    assert counts == {name: sum(1 for d in DOCS if d["source"] == name) for name in SOURCES}


def test_date_bounds_accept_datetime_objects(corpus_path):
    with quire.open(corpus_path) as corpus:
        assert corpus.count(from_=dt.date(2016, 1, 1), to=dt.datetime(2016, 12, 31, 23, 59, 59)) == \
            len(expected(from_="2016", to="2016"))


def cli_args(spec):
    args = []
    for name in spec.get("sources") or ():
        args += ["--source", name]
    if spec.get("from_"):
        args += ["--from", spec["from_"]]
    if spec.get("to"):
        args += ["--to", spec["to"]]
    if spec.get("undated"):
        args.append("--undated")
    return args


@pytest.mark.parametrize("spec", [s for s in FILTERS if s.get("undated") is not False], ids=lambda s: repr(s))
def test_filter_counts_match_cli(cli, corpus_path, spec):
    if cli is None:
        pytest.skip("the quire CLI is not built (set QUIRE_CLI)")
    out = subprocess.run([cli, "count", str(corpus_path), *cli_args(spec)], check=True,
                         capture_output=True, text=True).stdout
    with quire.open(corpus_path) as corpus:
        assert corpus.count(**spec) == int(out.strip())


def test_bad_filter_date(corpus_path):
    with quire.open(corpus_path) as corpus:
        with pytest.raises(quire.DateError) as err:
            corpus.count(from_="the 5th of May")
        assert err.value.code == -8
        assert "5th" in err.value.message or "date" in err.value.message


def test_threads_share_one_corpus(corpus_path):
    from concurrent.futures import ThreadPoolExecutor

    specs = FILTERS[:8]
    with quire.open(corpus_path) as corpus:
        def run(spec):
            return sorted((d.title, len(d.text)) for d in corpus.query(**spec))

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(run, specs * 3))
    for spec, got in zip(specs * 3, results):
        assert [t for t, _ in got] == sorted(expected(**spec))
