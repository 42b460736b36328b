"""The "quire" Spark data source, run in Spark local mode against a
multi-shard generated corpus and compared with the C library."""

from __future__ import annotations

import collections
import datetime as _dt
import os
import shutil
from pathlib import Path

import pytest

import quire
from cluster_data import (empty_day_in_spans, make_shards, opened, per_source_year, rows,
                          shards_with)


def _java_missing() -> bool:
    home = os.environ.get("JAVA_HOME")
    return not (home and os.access(os.path.join(home, "bin", "java"), os.X_OK)) and not shutil.which("java")


if "asan" in os.environ.get("LD_PRELOAD", ""):
    pytest.skip("the JVM does not start under the AddressSanitizer preload: skipping the Spark tests",
                allow_module_level=True)
if _java_missing():
    pytest.skip("no Java runtime (java not on PATH, JAVA_HOME unset): skipping the Spark tests",
                allow_module_level=True)
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed: skipping the Spark tests")
pytest.importorskip("pyarrow", reason="pyarrow is not installed: skipping the Spark tests")

import quire.spark  # noqa: E402  (needs pyspark)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return make_shards(tmp_path_factory.mktemp("spark") / "archive")


@pytest.fixture(scope="module")
def trace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trace") / "opens.log"


@pytest.fixture(scope="module")
def spark(trace):
    from pyspark.sql import SparkSession

    # The Python workers inherit the environment the JVM starts with: the
    # trace file and the binding's path must be set before the session.
    os.environ["QUIRE_TRACE_OPENS"] = str(trace)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(quire.__file__).resolve().parents[1])]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    session = (SparkSession.builder.master("local[2]").appName("quire-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    quire.spark.register(session)
    yield session
    session.stop()
    os.environ.pop("QUIRE_TRACE_OPENS", None)


def load(spark, path, schema=None, **options):
    reader = spark.read.format("quire")
    if schema is not None:
        reader = reader.schema(schema)
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load(path)


def spark_rows(df):
    out = []
    for r in df.select("source", "date", "title").collect():
        ts = None if r.date is None else int(r.date.replace(tzinfo=_dt.timezone.utc).timestamp())
        out.append((r.source, ts, r.title))
    return sorted(out, key=repr)


def test_counts_per_source_per_year_match_the_c_library(spark, shards):
    df = load(spark, str(shards[0].parent), schema="source string, date timestamp")
    assert df.columns == ["source", "date"]
    got = collections.Counter({(r.source, r.year): r["count"] for r in
                               df.groupBy("source", pyspark.sql.functions.year("date").alias("year"))
                               .count().collect()})
    assert got == per_source_year(shards)
    assert sum(got.values()) == 5 * 240


def test_every_column_of_every_document(spark, shards):
    df = load(spark, [str(p) for p in shards[:2]])
    assert [f.name for f in df.schema.fields] == list(quire.spark.SCHEMA.names)
    got = sorted(df.collect(), key=lambda r: (r.title, r.doc))
    want = []
    for path in shards[:2]:
        with quire.open(path) as corpus:
            for d in corpus:
                want.append((d.id, d.source, d.timestamp, int(d.precision) or None, d.date or None,
                             d.title or None, d.author or None, d.url or None, d.text))
    want.sort(key=lambda w: (w[5] or "", w[0]))
    assert len(got) == len(want) == 480
    for r, w in zip(got, want):
        ts = None if r.date is None else int(r.date.replace(tzinfo=_dt.timezone.utc).timestamp())
        assert (r.doc, r.source, ts, r.date_precision, r.date_text, r.title, r.author, r.url,
                r.text) == w


def test_pushdown_opens_only_matching_shards(spark, shards, trace):
    trace.write_text("")
    df = load(spark, str(shards[0].parent / "*.quire"))
    got = spark_rows(df.where("source = 'Белта'"))
    assert got == rows(shards, sources=["Белта"])
    assert sorted(opened(trace)) == sorted(shards_with(shards, "Белта")) == [
        str(shards[1]), str(shards[3])]

    # Two sources and a date range: shard 0 has Xinhua but only up to 2019.
    trace.write_text("")
    df = load(spark, str(shards[0].parent))
    query = df.where("source in ('Xinhua', 'Eurasia Daily Monitor') and "
                     "date >= timestamp'2020-01-01 00:00:00Z' and date < timestamp'2024-01-01 00:00:00Z'")
    got = spark_rows(query)
    want = rows(shards, sources=["Xinhua", "Eurasia Daily Monitor"], from_="2020", to="2023")
    assert got == want and len(want) > 10
    assert sorted(opened(trace)) == [str(shards[1]), str(shards[2]), str(shards[4])]
    plan = query._jdf.queryExecution().executedPlan().toString()
    assert "quire" in plan.lower()

    # Nothing can match: no task opens anything.
    trace.write_text("")
    assert load(spark, str(shards[0].parent)).where("source = 'Nobody'").count() == 0
    assert load(spark, str(shards[0].parent)).where(
        "source = 'Xinhua' and source = 'Белта'").count() == 0
    assert opened(trace) == {}


def test_date_filters_are_rechecked_in_the_session_time_zone(spark, shards, trace):
    # A bound inside a day, written without a zone: Spark reads it in the
    # session's zone, hands quire the instant, and quire prunes with it.
    spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        trace.write_text("")
        df = load(spark, str(shards[0].parent))
        got = df.where("date > timestamp'2016-03-01 09:30:00' and date <= '2017-07-01'").count()
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    want = len(rows(shards, from_="2016-03-01T00:30:01Z", to="2017-06-30T15:00:00Z"))
    assert got == want and want > 0
    assert sorted(opened(trace)) == [str(shards[0]), str(shards[1])]


def test_shards_whose_indexes_count_no_match_get_no_task(spark, shards, trace):
    day = empty_day_in_spans(shards)
    trace.write_text("")
    df = load(spark, str(shards[0].parent))
    assert df.where(f"date >= timestamp'{day} 00:00:00Z' and "
                    f"date < timestamp'{day} 00:00:00Z' + interval 1 day").count() == 0
    assert opened(trace) == {}


def test_null_sources_and_dates(spark, shards):
    df = load(spark, str(shards[0].parent))
    no_source = df.where("source is null").count()
    undated = load(spark, str(shards[0].parent)).where("date is null").count()
    dated = load(spark, str(shards[0].parent)).where("date is not null").count()
    stats = [quire.shard_stats(p) for p in shards]
    assert no_source == sum(s.unsourced for s in stats) > 0
    assert undated == sum(s.undated for s in stats) > 0
    assert dated == 5 * 240 - undated


def test_unpushable_filters_are_left_to_spark(spark, shards, trace):
    trace.write_text("")
    df = load(spark, str(shards[0].parent), schema="source string, title string")
    got = sorted(r.title for r in df.where("title like 'doc-1%' and source = 'Xinhua'").collect())
    want = sorted(t for s, _, t in rows(shards, sources="Xinhua") if t.startswith("doc-1"))
    assert got == want and want
    assert sorted(opened(trace)) == [str(shards[0]), str(shards[1])]


def test_max_documents_cuts_shards_into_ranges(spark, shards, trace):
    trace.write_text("")
    df = load(spark, str(shards[0].parent), maxDocuments="100")
    assert df.rdd.getNumPartitions() == 5 * 3
    assert spark_rows(df) == rows(shards)
    assert sorted(opened(trace).values()) == [3] * 5


def test_fresh_dataframe_per_query(spark, shards):
    path = str(shards[0].parent)
    assert load(spark, path).where("source = 'Xinhua'").count() == len(rows(shards, sources="Xinhua"))
    assert load(spark, path).count() == 5 * 240


def test_bad_input(spark, shards, tmp_path):
    from pyspark.errors import PySparkException

    with pytest.raises(PySparkException, match="no such shard"):
        load(spark, str(tmp_path / "missing.quire")).count()
    with pytest.raises(PySparkException, match="no column 'body'"):
        load(spark, str(shards[0]), schema="body string").count()
    with pytest.raises(PySparkException, match="is timestamp, not string"):
        load(spark, str(shards[0]), schema="date string").count()
    bad = tmp_path / "bad.quire"
    bad.write_bytes(b"not a quire file at all" * 10)
    with pytest.raises(PySparkException, match="NotQuireError|not a quire"):
        load(spark, str(bad)).count()
