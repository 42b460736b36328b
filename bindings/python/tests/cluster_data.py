"""A multi-shard generated corpus for the Spark and Dask tests, and what the
C library (through the binding's cursor API) says about it."""

from __future__ import annotations

import collections
import datetime as _dt
from pathlib import Path
from typing import Counter, Dict, List, Optional, Tuple

import quire
from conftest import model_docs

# Shard k holds model documents of years shifted by k, and the sources
# SHARD_SOURCES[k] (plus documents with no source), so that source and date
# filters each rule out some shards.
SHARD_SOURCES = [
    ["Belarus in Focus", "Xinhua"],
    ["Xinhua", "Белта"],
    ["Eurasia Daily Monitor"],
    ["South China Morning Post", "Белта"],
    ["Belarus in Focus", "Eurasia Daily Monitor", "South China Morning Post"],
]
DOCS_PER_SHARD = 240


def make_shards(folder: Path) -> List[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, names in enumerate(SHARD_SOURCES):
        path = folder / f"part-{k:05d}.quire"
        with quire.Writer(path) as writer:
            for i, doc in enumerate(model_docs(DOCS_PER_SHARD, seed=100 + k)):
                doc = dict(doc)
                if doc["source"] is not None:
                    doc["source"] = names[i % len(names)]
                if doc["date"]:  # years 2014-2019 move to 2014+2k .. 2019+2k
                    year = int(doc["date"][:4]) + 2 * k
                    doc["date"] = f"{year}{doc['date'][4:]}"
                writer.add(**doc)
        paths.append(path)
    return paths


Row = Tuple[Optional[str], Optional[int], str]  # source, date seconds, title


def rows(paths: List[Path], sources=None, from_=None, to=None, undated=None) -> List[Row]:
    """Every matching document of every shard as (source, date, title),
    read with the cursor API of the C library."""
    out: List[Row] = []
    for path in paths:
        with quire.open(path) as corpus:
            for doc in corpus.query(sources=sources, from_=from_, to=to, undated=undated):
                out.append((doc.source, doc.timestamp, doc.title))
    return sorted(out, key=repr)


def per_source_year(paths: List[Path]) -> Counter:
    counts: Counter = collections.Counter()
    for path in paths:
        with quire.open(path) as corpus:
            for batch in corpus.batches():
                for name, ts in zip(batch.source_names, batch.timestamps):
                    year = None if ts is None else _dt.datetime.fromtimestamp(
                        ts, _dt.timezone.utc).year
                    counts[(name, year)] += 1
    return counts


def shards_with(paths: List[Path], source: str) -> List[str]:
    return [str(p) for p in paths if source in quire.shard_stats(p).sources]


def opened(trace: Path) -> Dict[str, int]:
    """Pieces opened by tasks, per shard path, from the trace file."""
    counts: Dict[str, int] = collections.Counter()
    if trace.exists():
        for line in trace.read_text().splitlines():
            counts[line.split("\t")[0]] += 1
    return dict(counts)


def empty_day_in_spans(paths: List[Path]) -> str:
    """A day inside the date spans of shards 0 and 1 with no document on
    it: their statistics (which hold a span, not the dates) would pass it;
    only a count from their indexes rules them out."""
    day = "2017-07-04"
    start = int(_dt.datetime(2017, 7, 4, tzinfo=_dt.timezone.utc).timestamp())
    for stats in map(quire.shard_stats, paths[:2]):
        assert stats.first <= start <= start + 86399 <= stats.last
    assert rows(paths, from_=day, to=day) == []
    return day
