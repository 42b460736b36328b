"""Reading one piece of a shard (a whole shard or a range of its documents)
as pyarrow record batches, for the Spark and Dask readers.

The one place that turns a shard into Arrow: ``read_piece``. A whole shard
goes through the binding's Arrow C stream (``Query.__arrow_c_stream__``);
a range of a shard's documents (a partition of a large shard), which the
stream cannot select, goes through the batches of the cursor API
(``Query.batches``), whose columns are built here.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence

from ._common import FIELD_AUTHOR, FIELD_DATE, FIELD_TEXT, FIELD_TITLE, FIELD_URL, NO_DATE
from ._corpus import Corpus, Query
from ._errors import InvalidArgumentError
from ._shards import Piece, Selection, trace_open

# The columns of a corpus as Arrow sees them, in their order.
COLUMNS = ("doc", "source", "date", "date_precision", "date_text", "title", "author", "url",
           "text")
_FIELDS = {"date_text": FIELD_DATE, "title": FIELD_TITLE, "author": FIELD_AUTHOR,
           "url": FIELD_URL, "text": FIELD_TEXT}
DEFAULT_BATCH = 8192


def _pa() -> Any:
    try:
        import pyarrow
    except ImportError as exc:  # pragma: no cover - pyarrow is a requirement here
        raise ImportError("the Spark and Dask readers of quire need pyarrow "
                          "(python3 -m pip install pyarrow)") from exc
    return pyarrow


def arrow_schema(columns: Optional[Sequence[str]] = None) -> Any:
    """The Arrow schema of the given columns (all by default): doc uint64,
    source utf8, date timestamp[s, UTC], date_precision int8 (0 none, 1 year,
    2 month, 3 day, 4 minute, 5 second), date_text, title, author, url utf8,
    text large_utf8; all but doc and text nullable (null: no source, no
    date, no date text, an empty title, author or url)."""
    pa = _pa()
    types = {
        "doc": pa.uint64(), "source": pa.string(), "date": pa.timestamp("s", tz="UTC"),
        "date_precision": pa.int8(), "date_text": pa.string(), "title": pa.string(),
        "author": pa.string(), "url": pa.string(), "text": pa.large_string(),
    }
    return pa.schema([pa.field(c, types[c], nullable=c not in ("doc", "text"))
                      for c in check_columns(columns)])


def check_columns(columns: Optional[Sequence[str]]) -> List[str]:
    if columns is None:
        return list(COLUMNS)
    if isinstance(columns, str):
        columns = [columns]
    out = [str(c) for c in columns]
    unknown = [c for c in out if c not in COLUMNS]
    if unknown or not out:
        raise InvalidArgumentError(
            f"unknown column(s) {unknown or '(none given)'}: quire has {', '.join(COLUMNS)}")
    if len(set(out)) != len(out):
        raise InvalidArgumentError(f"a column is named twice in {out}")
    return out


def read_piece(
    piece: Piece,
    selection: Selection,
    columns: Optional[Sequence[str]] = None,
    batch_size: int = DEFAULT_BATCH,
) -> Iterator[Any]:
    """The matching documents of one piece as pyarrow RecordBatches of the
    schema arrow_schema(columns), batch_size documents at most each."""
    names = check_columns(columns)
    schema = arrow_schema(names)
    if selection.empty:
        return
    trace_open(piece)
    with Corpus(piece.path) as corpus:
        if piece.whole:
            yield from _from_stream(corpus, selection, names, schema, batch_size)
        else:
            query = corpus.query(*_query_args(selection))
            yield from _from_batches(corpus, query, piece, names, schema, batch_size)


def _query_args(selection: Selection) -> tuple:
    spec = selection.spec()
    return spec.sources, spec.date_from, spec.date_to, spec.undated


def _from_stream(corpus: Corpus, selection: Selection, names: List[str], schema: Any,
                 batch_size: int) -> Iterator[Any]:
    pa = _pa()
    query = corpus.query(*_query_args(selection), columns=names,  # type: ignore[call-arg]
                         batch_size=batch_size)
    reader = pa.RecordBatchReader.from_stream(query)
    for batch in reader:
        yield _conform(batch, schema)


def _conform(batch: Any, schema: Any) -> Any:
    """A batch cast to the schema (the stream may hand the source dictionary-
    encoded, or the precision as another integer type)."""
    pa = _pa()
    if batch.schema.equals(schema):
        return batch
    arrays = []
    for field in schema:
        column = batch.column(batch.schema.get_field_index(field.name))
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        arrays.append(column.cast(field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _from_batches(corpus: Corpus, query: Query, piece: Piece, names: List[str], schema: Any,
                  batch_size: int) -> Iterator[Any]:
    """A range of documents: the cursor API's column batches (document numbers, dates,
    precisions, source ids) made into Arrow arrays with numpy, without a
    Python object per document, and the text fields read document by
    document only for the columns asked for."""
    import numpy as np

    pa = _pa()
    # The source table as the dictionary of the source ids.
    dictionary = pa.array(corpus._source_names()[:-1], pa.string())
    reads_fields = [c for c in names if c in _FIELDS]
    for batch in query.batches(batch_size):
        docs = np.frombuffer(batch.docs, dtype=np.uint64)
        lo, hi = 0, len(docs)
        if not piece.whole:  # documents are in increasing order
            if docs[-1] < piece.first:
                continue
            if docs[0] >= piece.end:
                return
            lo = int(np.searchsorted(docs, piece.first))
            hi = int(np.searchsorted(docs, piece.end))
        if lo == hi:
            continue
        cols: Dict[str, Any] = {}
        for name in names:
            if name == "doc":
                cols[name] = pa.array(docs[lo:hi], pa.uint64())
            elif name == "source":
                numbers = np.frombuffer(batch.sources, dtype=np.int64)[lo:hi]
                none = numbers < 0
                indices = pa.array(np.where(none, 0, numbers).astype(np.int32), mask=none)
                cols[name] = pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()
            elif name == "date":
                dates = np.frombuffer(batch.dates, dtype=np.int64)[lo:hi]
                cols[name] = pa.array(dates, pa.int64(), mask=dates == NO_DATE).cast(
                    pa.timestamp("s", tz="UTC"))
            elif name == "date_precision":
                precisions = np.frombuffer(batch.precisions, dtype=np.int32)[lo:hi]
                cols[name] = pa.array(precisions.astype(np.int8), pa.int8(), mask=precisions == 0)
        doc_list = docs[lo:hi].tolist() if reads_fields else []
        for name in reads_fields:
            field = _FIELDS[name]
            values = [corpus._read_field(d, field) for d in doc_list]
            if name == "text":
                cols[name] = pa.array(values, pa.large_string())
            else:  # a missing date, title, author or url is null
                cols[name] = pa.array([v if v else None for v in values], pa.string())
        yield pa.RecordBatch.from_arrays([cols[n] for n in names], schema=schema)
        if not piece.whole and hi < len(docs):
            return
