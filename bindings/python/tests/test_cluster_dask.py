"""quire.dask.read_quire on a Dask LocalCluster of two worker processes,
against a multi-shard generated corpus, compared with the C library."""

from __future__ import annotations

import collections
import os
from pathlib import Path

import pytest

import quire
from cluster_data import empty_day_in_spans, make_shards, opened, per_source_year, rows

pytest.importorskip("dask.dataframe", reason="dask is not installed: skipping the Dask tests")
pytest.importorskip("distributed", reason="distributed is not installed: skipping the Dask tests")
pytest.importorskip("pyarrow", reason="pyarrow is not installed: skipping the Dask tests")

import quire.dask  # noqa: E402  (needs dask)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return make_shards(tmp_path_factory.mktemp("dask") / "archive")


@pytest.fixture(scope="module")
def trace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trace") / "opens.log"


@pytest.fixture(scope="module")
def client(trace):
    from distributed import Client, LocalCluster

    # Worker processes inherit the environment: the trace file and the
    # binding's path are set before they start.
    os.environ["QUIRE_TRACE_OPENS"] = str(trace)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(quire.__file__).resolve().parents[1])]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    with Client(cluster) as c:
        yield c
    cluster.close()
    os.environ.pop("QUIRE_TRACE_OPENS", None)


def val(x):
    """A pandas cell as a Python value, None for a missing one."""
    import pandas as pd

    return None if pd.isna(x) else x


def frame_rows(df):
    pdf = df.compute()
    out = []
    for source, date, title in zip(pdf["source"], pdf["date"], pdf["title"]):
        out.append((val(source), None if val(date) is None else int(date.timestamp()), title))
    return sorted(out, key=repr)


# Five shards: one partition each, or, aggregated, at most ceil(sqrt(5)) = 3
# small pieces to a task.
@pytest.mark.parametrize("aggregate, partitions", [(False, 5), (True, 2)])
def test_counts_per_source_per_year_match_the_c_library(client, shards, trace, aggregate,
                                                         partitions):
    trace.write_text("")
    df = quire.dask.read_quire(str(shards[0].parent), columns=["source", "date"],
                               aggregate=aggregate)
    assert list(df.columns) == ["source", "date"]
    assert df.npartitions == partitions
    pdf = df.compute()
    years = pdf["date"].dt.year
    got = collections.Counter()
    for source, year in zip(pdf["source"], years):
        got[(val(source), None if val(year) is None else int(year))] += 1
    assert got == per_source_year(shards)
    assert sorted(opened(trace).values()) == [1] * 5


def test_string_columns_have_dask_string_type(client, shards):
    # Dask converts every other string type a task returns, a copy of every
    # string that took longer than reading them.
    import pandas as pd

    df = quire.dask.read_quire(shards[0], columns=["source", "title"])
    pdf = df.compute()
    assert pdf["source"].dtype == pd.StringDtype("pyarrow") == df["source"].dtype
    assert pdf["title"].dtype == pd.StringDtype("pyarrow")
    # Told not to convert, dask keeps pandas' default strings: so does quire.
    import dask

    with dask.config.set({"dataframe.convert-string": False}):
        plain = quire.dask.read_quire(shards[0], columns=["source", "title"])
        got = plain.compute()
    assert got["title"].dtype != pd.StringDtype("pyarrow")
    assert got["title"].dtype == plain["title"].dtype
    assert list(got["title"]) == list(pdf["title"])


@pytest.mark.parametrize("aggregate, partitions", [(False, 3), (True, 2)])
def test_filtered_selection_prunes_shards(client, shards, trace, aggregate, partitions):
    trace.write_text("")
    df = quire.dask.read_quire(str(shards[0].parent / "*.quire"),
                               columns=["source", "date", "title"],
                               sources=["Xinhua", "Eurasia Daily Monitor"], from_="2020", to="2023",
                               aggregate=aggregate)
    assert df.npartitions == partitions
    want = rows(shards, sources=["Xinhua", "Eurasia Daily Monitor"], from_="2020", to="2023")
    assert frame_rows(df) == want and len(want) > 10
    assert sorted(opened(trace)) == [str(shards[1]), str(shards[2]), str(shards[4])]

    trace.write_text("")
    df = quire.dask.read_quire([str(p) for p in shards], sources="Nobody")
    assert len(df.compute()) == 0
    assert opened(trace) == {}


def test_an_empty_source_list_selects_as_corpus_query_does(client, shards):
    # Corpus.query(sources=[]) and the C filter take any source: read_quire
    # takes the filter as Corpus.query() does, so it must too.
    df = quire.dask.read_quire(shards, columns=["source", "date", "title"], sources=[],
                               from_="2020")
    want = rows(shards, sources=[], from_="2020")
    assert want == rows(shards, from_="2020") and len(want) > 10
    assert frame_rows(df) == want


def test_shards_whose_indexes_count_no_match_are_not_opened(client, shards, trace):
    day = empty_day_in_spans(shards)
    trace.write_text("")
    df = quire.dask.read_quire(shards, columns=["doc"], from_=day, to=day)
    assert len(df.compute()) == 0
    assert opened(trace) == {}


def test_every_column_and_undated(client, shards):
    df = quire.dask.read_quire(shards[3], undated=True, from_="2030-01-01")
    pdf = df.compute().sort_values("doc")
    with quire.open(shards[3]) as corpus:
        want = [(d.id, d.text, d.title, d.source, None)
                for d in corpus.query(undated=True, from_="2030-01-01")]
    assert len(pdf) == len(want) > 0
    assert str(pdf["doc"].dtype) == "uint64"
    assert str(pdf["date"].dtype) == "datetime64[s, UTC]"
    assert str(pdf["date_precision"].dtype) == "Int8"
    for (_, r), d in zip(pdf.iterrows(), want):
        assert (r["doc"], r["text"], r["title"], val(r["source"]), val(r["date_precision"])) == d


# 15 ranges of 100 documents: one partition each, or, aggregated, at most
# ceil(sqrt(15)) = 4 to a task.
@pytest.mark.parametrize("aggregate, partitions", [(False, 15), (True, 4)])
def test_max_documents_ranges(client, shards, trace, aggregate, partitions):
    trace.write_text("")
    df = quire.dask.read_quire(str(shards[0].parent), columns=["source", "date", "title"],
                               max_documents=100, aggregate=aggregate)
    assert df.npartitions == partitions
    assert frame_rows(df) == rows(shards)
    assert sorted(opened(trace).values()) == [3] * 5


def test_bad_input(shards, tmp_path):
    with pytest.raises(quire.NotFoundError, match="no such shard"):
        quire.dask.read_quire(tmp_path / "missing.quire")
    with pytest.raises(quire.InvalidArgumentError, match="unknown column"):
        quire.dask.read_quire(shards[0], columns=["body"])
    with pytest.raises(quire.DateError):
        quire.dask.read_quire(shards[0], from_="not a date")
    with pytest.raises(quire.InvalidArgumentError):
        quire.dask.read_quire(shards[0], max_documents=0)
    bad = tmp_path / "bad.quire"
    bad.write_bytes(b"not a quire file at all" * 10)
    with pytest.raises(quire.NotQuireError):
        quire.dask.read_quire(bad)
