"""quire shards as a Dask DataFrame.

::

    import quire.dask
    df = quire.dask.read_quire("archive/*.quire", columns=["source", "date"],
                               sources=["Xinhua"], from_="2016", to="2019")
    df.groupby("source").size().compute()

One partition per shard that may match (shards whose statistics rule the
selection out are left out before any task runs), or per range of
``max_documents`` documents of a larger shard. Each task opens its shard on
the worker, so the paths must be readable there (shared storage) and the
binding and libquire installed on every worker.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Sequence, Union

import dask.dataframe as dd

from ._common import DateLike, PathLike
from ._pieces import DEFAULT_BATCH, arrow_schema, check_columns, read_piece
from ._shards import Piece, Selection, expand_paths, plan


def _frame(table: Any) -> Any:
    import pandas as pd
    import pyarrow as pa

    # pandas' own types, as dask.dataframe.read_parquet gives them (its
    # groupby is faster on them than on ArrowDtype columns): uint64,
    # datetime64[s, UTC] with NaT, pandas strings with NaN; the precision
    # stays a nullable Int8.
    return table.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get)


def _read(piece: Piece, selection: Selection, names: List[str], batch_size: int) -> Any:
    import pyarrow as pa

    batches = list(read_piece(piece, selection, names, batch_size))
    return _frame(pa.Table.from_batches(batches, schema=arrow_schema(names)))


def read_quire(
    paths: Union[PathLike, Iterable[PathLike]],
    columns: Optional[Sequence[str]] = None,
    sources: Union[str, Iterable[str], None] = None,
    from_: Optional[DateLike] = None,
    to: Optional[DateLike] = None,
    undated: Optional[bool] = None,
    max_documents: Optional[int] = None,
    batch_size: int = DEFAULT_BATCH,
) -> Any:
    """A dask DataFrame of the documents of the shards named by paths (a
    file, a folder, a glob or a list) that match the filter, as
    Corpus.query() takes it: sources, an inclusive date range whose partial
    dates cover their whole period, undated=None including undated
    documents only when no date bound is set. columns (default: all) are
    the only ones read; text blocks are not inflated unless a text column
    (date_text, title, author, url, text) is named. Columns: doc uint64,
    date datetime64[s, UTC] (NaT when undated), date_precision Int8 (1 year
    to 5 second, <NA> when undated), the rest pandas strings (missing
    values NaN)."""
    names = check_columns(columns)
    selection = Selection.from_dates(sources, from_, to, undated)
    pieces = plan(expand_paths(paths), selection, max_documents)
    meta = _frame(arrow_schema(names).empty_table())
    if not pieces:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_map(_read, pieces, args=(selection, names, batch_size), meta=meta,
                       label="read-quire", enforce_metadata=False)
