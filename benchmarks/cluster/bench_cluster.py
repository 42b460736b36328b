#!/usr/bin/env python3
"""Spark and Dask over quire shards against the same data in Parquet (issue 14).

    python3 benchmarks/cluster/bench_cluster.py --docs 100000 --work /tmp/qbench

Generates a corpus (benchmarks/gen_corpus.py), packs it, cuts it into 8
shards with `quire split --shards 8`, writes each shard's documents again as
one Parquet file (ZSTD, the same rows, the same order), then times, in one
run on one machine:

  * Spark local[2]: a grouped count (documents per source per year, only
    source and date read: a projected schema for quire, select() for
    Parquet), and a selective query (two sources, four years: the source,
    date and title of the matching documents, collected). Also the fixed
    cost of a Python data source that reads nothing (8 empty partitions, the
    same grouped count), which every Python source pays and Spark's own
    Parquet reader does not: ratios are given raw and net of it.
  * Dask on a LocalCluster of 2 single-threaded workers: the same two
    queries, quire.dask.read_quire against dask.dataframe.read_parquet (with
    columns= and filters=). Also Dask's own fixed cost: the same query on a
    frame of as many partitions as quire's whose tasks return an empty
    frame, built afresh each run as the readers' frames are. Both readers
    pay it, so the net ratio is
    (quire - floor) / (Parquet - floor).

Each query runs once to warm up, then --runs times on a freshly loaded
DataFrame, an engine's queries taking turns (one run of each per round);
the median is reported. Results go to
benchmarks/results/cluster.json and benchmarks/results/cluster.md (which
report.py appends to RESULTS.md).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SOURCES = ["São Paulo Independent", "Bergen Courier"]
YEARS = (2012, 2015)


def sh(*cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def timed_in_turn(queries, runs, engine):
    """Median seconds and last result of each query. A query is the
    engine's work up to its result in the client (compute(), collect());
    sorting that result to compare the engines is done after, untimed, as
    it is the same for both and no part of the read. After a warm-up of
    each, the queries run in turn, one run of each per round, so that a
    change in the machine's load over the minutes of a run falls on all of
    them alike rather than on whichever ran then."""
    times = {name: [] for name in queries}
    results = {name: fn() for name, fn in queries.items()}  # warm-up
    for _ in range(runs):
        for name, fn in queries.items():
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
    out = {name: statistics.median(ts) for name, ts in times.items()}
    for name in queries:
        print(f"{engine} {name}: {out[name]:.3f} s", flush=True)
    return out, results


def prepare(args, quire_bin):
    os.makedirs(args.work, exist_ok=True)
    csv = os.path.join(args.work, f"corpus-{args.docs}.csv")
    corpus = os.path.join(args.work, f"corpus-{args.docs}.quire")
    shards = os.path.join(args.work, f"shards-{args.docs}")
    parquet = os.path.join(args.work, f"parquet-{args.docs}")
    timings = {}
    if not os.path.exists(csv):
        sh(sys.executable, os.path.join(ROOT, "benchmarks", "gen_corpus.py"), "-n", str(args.docs),
           "-o", csv)
    if not os.path.exists(corpus):
        sh(quire_bin, "pack", "-o", corpus, "--threads", "2", csv)
    if not os.path.isdir(shards):
        t = time.perf_counter()
        sh(quire_bin, "split", "-o", shards, "--shards", "8", "--threads", "2", corpus)
        timings["split_seconds"] = time.perf_counter() - t
    if not os.path.isdir(parquet):
        import pyarrow as pa
        import pyarrow.parquet as pq

        from quire._pieces import read_piece
        from quire._shards import Piece, Selection, expand_paths

        os.makedirs(parquet + ".tmp", exist_ok=True)
        t = time.perf_counter()
        for path in expand_paths(shards):
            batches = list(read_piece(Piece(path, 0, 0, True), Selection()))
            table = pa.Table.from_batches(batches)
            # Spark has no unsigned type: doc as int64, as quire.spark gives it.
            table = table.set_column(0, "doc", table.column("doc").cast(pa.int64()))
            table = table.set_column(8, "text", table.column("text").cast(pa.string()))
            name = os.path.basename(path).replace(".quire", ".parquet")
            pq.write_table(table, os.path.join(parquet + ".tmp", name), compression="zstd")
        os.rename(parquet + ".tmp", parquet)
        timings["parquet_write_seconds"] = time.perf_counter() - t
    size = lambda d: sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
    timings["quire_bytes"] = size(shards)
    timings["parquet_bytes"] = size(parquet)
    return shards, parquet, timings


def bench_spark(shards, parquet, runs):
    from pyspark.sql import SparkSession, functions as F
    from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition

    import quire.spark

    class EmptyReader(DataSourceReader):
        def partitions(self):
            return [InputPartition(i) for i in range(8)]

        def read(self, partition):
            return iter(())

    class EmptySource(DataSource):
        @classmethod
        def name(cls):
            return "empty"

        def schema(self):
            return "source string, date timestamp, title string"

        def reader(self, schema):
            return EmptyReader()

    spark = (SparkSession.builder.master("local[2]").appName("quire-bench")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    quire.spark.register(spark)
    spark.dataSource.register(EmptySource)
    lo, hi = f"{YEARS[0]}-01-01 00:00:00", f"{YEARS[1] + 1}-01-01 00:00:00"
    src = ", ".join("'" + s.replace("'", "''") + "'" for s in SOURCES)
    where = f"source in ({src}) and date >= timestamp'{lo}' and date < timestamp'{hi}'"

    def grouped(df):
        return df.groupBy("source", F.year("date").alias("y")).count().collect()

    def grouped_rows(rows):
        return sorted((tuple(r) for r in rows), key=repr)

    queries = {
        "floor_grouped": lambda: grouped(spark.read.format("empty").load()),
        "floor_select": lambda: spark.read.format("empty").load().where(
            "source is not null").collect(),
        "grouped_quire": lambda: grouped(
            spark.read.format("quire").schema("source string, date timestamp").load(shards)),
        "grouped_parquet": lambda: grouped(spark.read.parquet(parquet).select("source", "date")),
        "selective_quire": lambda: spark.read.format("quire")
        .schema("source string, date timestamp, title string").load(shards).where(where).collect(),
        "selective_parquet": lambda: spark.read.parquet(parquet)
        .select("source", "date", "title").where(where).collect(),
    }
    out, results = timed_in_turn(queries, runs, "spark")
    assert grouped_rows(results["grouped_quire"]) == grouped_rows(results["grouped_parquet"]), \
        "grouped counts differ"
    selected = {name: sorted(tuple(r) for r in results[name])
                for name in ("selective_quire", "selective_parquet")}
    assert selected["selective_quire"] == selected["selective_parquet"], "selections differ"
    out["selected_rows"] = len(selected["selective_quire"])
    spark.stop()
    return out


def _empty_partition(_, meta):
    return meta.iloc[:0]


def bench_dask(shards, parquet, runs):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import quire.dask

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    client = Client(cluster)
    utc = _dt.timezone.utc
    lo, hi = _dt.datetime(YEARS[0], 1, 1, tzinfo=utc), _dt.datetime(YEARS[1] + 1, 1, 1, tzinfo=utc)

    def grouped(df):
        return df.groupby([df["source"], df["date"].dt.year]).size().compute()

    def grouped_rows(counts):
        return sorted(((s, None if y != y else int(y), int(n)) for (s, y), n in counts.items()),
                      key=repr)

    def selected_rows(pdf):
        return sorted(zip(pdf["source"], (int(d.timestamp()) for d in pdf["date"]), pdf["title"]))

    def empty_like(df):
        # Built as read_quire builds its frames, so that only the reading
        # differs.
        return quire.dask._from_map(_empty_partition, list(range(df.npartitions)),
                                    (df._meta,), df._meta, "empty",
                                    quire.dask._arrow_strings())

    def selective_frame():
        return quire.dask.read_quire(shards, columns=["source", "date", "title"],
                                     sources=SOURCES, from_=str(YEARS[0]), to=str(YEARS[1]))

    grouped_frame = lambda: quire.dask.read_quire(shards, columns=["source", "date"])  # noqa: E731
    # quire's frames are planned once, outside the timing, for the floor's
    # partition count and meta: the floor is Dask's cost alone. Its frame is
    # built afresh each run, as every query's is: a frame computed again
    # skips what Dask does for a new graph (about 13 ms of the 24 ms an
    # empty one-partition query takes on a LocalCluster here).
    like_grouped, like_select = grouped_frame(), selective_frame()
    queries = {
        "floor_grouped": lambda: grouped(empty_like(like_grouped)),
        "floor_select": lambda: empty_like(like_select).compute(),
        "grouped_quire": lambda: grouped(grouped_frame()),
        "grouped_parquet": lambda: grouped(dd.read_parquet(parquet, columns=["source", "date"])),
        "selective_quire": lambda: selective_frame().compute(),
        "selective_parquet": lambda: dd.read_parquet(
            parquet, columns=["source", "date", "title"],
            filters=[("source", "in", SOURCES), ("date", ">=", lo), ("date", "<", hi)]).compute(),
    }
    out, results = timed_in_turn(queries, runs, "dask")
    assert grouped_rows(results["grouped_quire"]) == grouped_rows(results["grouped_parquet"]), \
        "grouped counts differ"
    assert selected_rows(results["selective_quire"]) == selected_rows(
        results["selective_parquet"]), "selections differ"
    out["partitions_grouped"] = grouped_frame().npartitions
    out["partitions_select"] = selective_frame().npartitions
    client.close()
    cluster.close()
    return out


def write_report(data, path_md):
    s, d = data["spark"], data["dask"]

    def ratio(a, b):
        return f"{a / b:.3g}"

    def net(a, b, floor):
        return f"{max(a - floor, 0.0) / b:.3g}"

    def net_both(a, b, floor):
        return f"{max(a - floor, 0.0) / max(b - floor, 1e-9):.3g}"

    lines = [
        "## Spark and Dask over shards (benchmarks/cluster/bench_cluster.py)",
        "",
        "Written by `benchmarks/cluster/bench_cluster.py`; report.py appends it here.",
        f"Measured {data['measured']} at commit {data['commit']}: {data['docs']:,} generated "
        f"documents cut into 8 shards by `quire split --shards 8` "
        f"({data['prep'].get('quire_bytes', 0) / 1e6:.0f} MB) and the same rows as 8 Parquet "
        f"ZSTD files ({data['prep'].get('parquet_bytes', 0) / 1e6:.0f} MB). Selection: "
        f"{', '.join(SOURCES)} in {YEARS[0]}-{YEARS[1]} ({s['selected_rows']} documents). "
        f"Median of {data['runs']} runs after one warm-up, the queries of an engine taking "
        "turns, a fresh DataFrame each run. A query is timed up to its result in the client "
        "(compute(), collect()); the sort that checks both engines agree is not timed.",
        "",
        "Command: `" + data["command"] + "`",
        "",
        "Spark local[2]: the fixed cost of a Python data source that reads nothing (8 empty "
        f"partitions), measured with the same query shape: {s['floor_grouped']:.3f} s for the "
        f"grouped count, {s['floor_select']:.3f} s for a filtered collect. \"Net\" is "
        "(quire - floor) / Parquet: the floor is what every Python data source pays and "
        "Spark's own Parquet reader does not.",
        "",
        f"Dask (LocalCluster, 2 worker processes): quire's frames had {d['partitions_grouped']} "
        f"partitions for the grouped count and {d['partitions_select']} for the selective "
        "query. Dask's own fixed cost, the same queries on frames of as many partitions whose "
        "tasks return an empty frame, a new frame each run as for the readers: "
        f"{d['floor_grouped']:.3f} s and {d['floor_select']:.3f} s. "
        "Both readers pay it, so \"net\" is (quire - floor) / (Parquet - floor).",
        "",
        "| engine | query | quire s | Parquet s | ratio raw | ratio net of floor | target |",
        "|---|---|---|---|---|---|---|",
        f"| Spark | grouped count (source, year) | {s['grouped_quire']:.3f} | "
        f"{s['grouped_parquet']:.3f} | {ratio(s['grouped_quire'], s['grouped_parquet'])} | "
        f"{net(s['grouped_quire'], s['grouped_parquet'], s['floor_grouped'])} | <= 1 |",
        f"| Spark | selective (2 sources, 4 years) | {s['selective_quire']:.3f} | "
        f"{s['selective_parquet']:.3f} | {ratio(s['selective_quire'], s['selective_parquet'])} | "
        f"{net(s['selective_quire'], s['selective_parquet'], s['floor_select'])} | <= 0.2 |",
        f"| Dask | grouped count (source, year) | {d['grouped_quire']:.3f} | "
        f"{d['grouped_parquet']:.3f} | {ratio(d['grouped_quire'], d['grouped_parquet'])} | "
        f"{net_both(d['grouped_quire'], d['grouped_parquet'], d['floor_grouped'])} | <= 1 |",
        f"| Dask | selective (2 sources, 4 years) | {d['selective_quire']:.3f} | "
        f"{d['selective_parquet']:.3f} | {ratio(d['selective_quire'], d['selective_parquet'])} | "
        f"{net_both(d['selective_quire'], d['selective_parquet'], d['floor_select'])} | <= 0.2 |",
        "",
    ]
    with open(path_md, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--work", default="/tmp/quire-cluster-bench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quire", default=os.path.join(ROOT, "build", "quire"))
    ap.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results"))
    args = ap.parse_args()
    os.environ.setdefault("QUIRE_LIBRARY", os.path.join(ROOT, "build", "libquire.so"))
    binding = os.path.join(ROOT, "bindings", "python")
    sys.path.insert(0, binding)
    # Spark's and Dask's worker processes import quire too.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [binding] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    shards, parquet, prep = prepare(args, args.quire)
    data = {
        "docs": args.docs, "runs": args.runs, "prep": prep,
        "measured": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip(),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}",
        "command": f"python3 benchmarks/cluster/bench_cluster.py --docs {args.docs} "
                   f"--runs {args.runs}",
    }
    data["spark"] = bench_spark(shards, parquet, args.runs)
    data["dask"] = bench_dask(shards, parquet, args.runs)
    os.makedirs(args.results, exist_ok=True)
    with open(os.path.join(args.results, "cluster.json"), "w") as f:
        json.dump(data, f, indent=1)
    write_report(data, os.path.join(args.results, "cluster.md"))
    print(open(os.path.join(args.results, "cluster.md")).read())


if __name__ == "__main__":
    main()
