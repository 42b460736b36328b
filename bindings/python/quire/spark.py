"""quire shards as a Spark data source (pyspark 4.1 or later).

::

    import quire.spark
    quire.spark.register(spark)
    df = spark.read.format("quire").load("archive/*.quire")
    df.where("source = 'Xinhua' and date >= '2016-01-01'").groupBy("source").count()

``load`` takes a file, a folder (its *.quire files), a glob, or a list of
those. Each shard is one partition; the option ``maxDocuments`` cuts shards
of more documents into ranges of that many. Filters on ``source`` (=, IN) and
on ``date`` (=, <, <=, >, >=, IS NOT NULL) are pushed into libquire: shards
where no document matches (counted from each shard's indexes when the query
is planned) are not even given a task, and the others read only the
matching documents. A schema naming a subset of
the columns is the projection (Python data sources have no column-pruning
hook): ``.schema("source string, date timestamp")`` reads only those two, and
no text block is inflated when no text column is named.

Load a fresh DataFrame for each query: with pyspark 4.3, a DataFrame
remembers the partitions one query's pushed filters planned, so
``df.where(...).count()`` followed by ``df.count()`` on the same ``df`` can
count the filtered rows again.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Iterator, List, Optional, Sequence

from pyspark.sql.datasource import (
    DataSource,
    DataSourceReader,
    EqualTo,
    Filter,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    InputPartition,
    IsNotNull,
    LessThan,
    LessThanOrEqual,
)
from pyspark.sql.types import (
    ByteType,
    DataType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from ._errors import InvalidArgumentError
from ._pieces import COLUMNS, DEFAULT_BATCH, read_piece
from ._shards import Piece, Selection, expand_paths, plan_counted

FORMAT = "quire"
PUSHDOWN_CONF = "spark.sql.python.filterPushdown.enabled"

_SPARK_TYPES = {
    "doc": LongType(), "source": StringType(), "date": TimestampType(),
    "date_precision": ByteType(), "date_text": StringType(), "title": StringType(),
    "author": StringType(), "url": StringType(), "text": StringType(),
}

SCHEMA = StructType([StructField(c, _SPARK_TYPES[c], nullable=c not in ("doc", "text"))
                     for c in COLUMNS])


def register(spark: Any, pushdown: bool = True) -> None:
    """Registers the "quire" format on a SparkSession. With pushdown (the
    default) it also turns on the session's Python filter pushdown
    (spark.sql.python.filterPushdown.enabled), which Spark requires of a
    source that takes filters; pushdown=False registers a source that
    takes none."""
    if pushdown:
        spark.conf.set(PUSHDOWN_CONF, "true")
        spark.dataSource.register(QuireDataSource)
    else:
        spark.dataSource.register(QuireDataSourceNoPushdown)


def _paths(options: Any) -> List[str]:
    raw = options.get("paths")
    if raw:
        try:
            listed = json.loads(raw)
        except ValueError:
            listed = None
        if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
            raise InvalidArgumentError(f"option paths must be a JSON list of paths, not {raw!r}")
        path = options.get("path")
        return expand_paths(([path] if path else []) + listed)
    path = options.get("path")
    if not path:
        raise InvalidArgumentError("quire: load() needs a path, a folder, a glob or a list")
    return expand_paths(path)


def _columns(schema: StructType) -> List[str]:
    """The columns a (user-given) schema names, checked against quire's."""
    names = []
    for field in schema.fields:
        want = _SPARK_TYPES.get(field.name)
        if want is None:
            raise InvalidArgumentError(
                f"quire has no column {field.name!r}: it has {', '.join(COLUMNS)}")
        if field.dataType != want:
            raise InvalidArgumentError(
                f"quire column {field.name!r} is {want.simpleString()}, "
                f"not {field.dataType.simpleString()}")
        names.append(field.name)
    if not names:
        raise InvalidArgumentError("the schema names no column")
    return names


class QuireDataSourceNoPushdown(DataSource):
    """The "quire" data source, without filter pushdown."""

    @classmethod
    def name(cls) -> str:
        return FORMAT

    def schema(self) -> StructType:
        return SCHEMA

    def reader(self, schema: StructType) -> "QuireReader":
        return QuireReader(self.options, schema)


class QuireDataSource(QuireDataSourceNoPushdown):
    """The "quire" data source with filter pushdown (see the module)."""

    def reader(self, schema: StructType) -> "QuireReader":
        return QuirePushdownReader(self.options, schema)


class QuirePartition(InputPartition):
    def __init__(self, piece: Piece) -> None:
        super().__init__(piece)
        self.piece = piece


class QuireReader(DataSourceReader):
    """Reads the shards named by the options; everything it holds is plain
    data, so that Spark can pickle it to its Python workers."""

    def __init__(self, options: Any, schema: StructType) -> None:
        self.paths = _paths(options)
        self.columns = _columns(schema)
        self.spark_schema = schema
        self.selection = Selection()
        raw = options.get("maxDocuments")
        self.max_documents = int(raw) if raw else None
        raw = options.get("batchSize")
        self.batch_size = int(raw) if raw else DEFAULT_BATCH

    def partitions(self) -> Sequence[InputPartition]:
        # Counted from each shard's indexes: a shard whose statistics pass
        # the selection but where no document matches gets no task.
        pieces = [p.piece for p in plan_counted(self.paths, self.selection, self.max_documents)]
        if not pieces:  # Spark wants at least one partition: one that reads nothing
            return [QuirePartition(Piece("", 0, 0, True))]
        return [QuirePartition(p) for p in pieces]

    def read(self, partition: InputPartition) -> Iterator[Any]:
        piece = partition.value
        if not piece.path:
            return
        import pyarrow as pa

        target = pa.schema([pa.field(f.name, _ARROW_FOR_SPARK[f.name](pa), f.nullable)
                            for f in self.spark_schema.fields])
        for batch in read_piece(piece, self.selection, self.columns, self.batch_size):
            yield pa.RecordBatch.from_arrays(
                [col.cast(t.type) for col, t in zip(batch.columns, target)], schema=target)


_ARROW_FOR_SPARK = {
    "doc": lambda pa: pa.int64(), "source": lambda pa: pa.string(),
    "date": lambda pa: pa.timestamp("us", tz="UTC"), "date_precision": lambda pa: pa.int8(),
    "date_text": lambda pa: pa.string(), "title": lambda pa: pa.string(),
    "author": lambda pa: pa.string(), "url": lambda pa: pa.string(),
    "text": lambda pa: pa.string(),
}


def _epoch(value: Any) -> Optional[float]:
    """A pushed timestamp as UTC seconds (a naive datetime is taken as UTC,
    as Spark hands timestamps in UTC), or None when it is not a datetime."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.timestamp()
    return None


class QuirePushdownReader(QuireReader):
    def pushFilters(self, filters: List[Filter]) -> Iterator[Filter]:
        """Takes the filters libquire can apply into the selection. Source
        filters are exact and stay with quire; date filters are applied and
        also handed back, so Spark checks them again on the instants it
        sees; anything else is left to Spark."""
        sel = Selection()
        for f in filters:
            column = f.attribute[0] if len(f.attribute) == 1 else None
            if column == "source" and isinstance(f, (EqualTo, In)):
                values = {f.value} if isinstance(f, EqualTo) else set(f.value)
                if not all(isinstance(v, str) for v in values):
                    yield f
                    continue
                sel.sources = frozenset(values) if sel.sources is None else sel.sources & values
                if not sel.sources:
                    sel.empty = True
                continue
            if column == "date" and isinstance(f, IsNotNull):
                sel.undated = False
                continue
            if column == "date" and isinstance(
                f, (EqualTo, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual)
            ):
                t = _epoch(f.value)
                if t is None:
                    yield f
                    continue
                lo = hi = None
                if isinstance(f, EqualTo):
                    if t != math.floor(t):
                        sel.empty = True
                    lo = hi = math.floor(t)
                elif isinstance(f, GreaterThan):
                    lo = math.floor(t) + 1
                elif isinstance(f, GreaterThanOrEqual):
                    lo = math.ceil(t)
                elif isinstance(f, LessThan):
                    hi = math.ceil(t) - 1
                else:
                    hi = math.floor(t)
                if lo is not None:
                    sel.lo = lo if sel.lo is None else max(sel.lo, lo)
                if hi is not None:
                    sel.hi = hi if sel.hi is None else min(sel.hi, hi)
                sel.undated = False  # a comparison with null is never true
                yield f  # checked again by Spark
                continue
            yield f
        self.selection = sel
