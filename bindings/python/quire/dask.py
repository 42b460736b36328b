"""quire shards as a Dask DataFrame.

::

    import quire.dask
    df = quire.dask.read_quire("archive/*.quire", columns=["source", "date"],
                               sources=["Xinhua"], from_="2016", to="2019")
    df.groupby("source").size().compute()

One piece per shard that may match (shards whose statistics rule the
selection out, or whose indexes count no match, are left out before any task
runs), or per range of ``max_documents`` documents of a larger shard. Pieces
whose expected output is small are read together by one task, as
dask.dataframe.read_parquet does when it reads a few columns (see
read_quire's ``aggregate``). Each task opens its shards on the worker, so the
paths must be readable there (shared storage) and the binding and libquire
installed on every worker.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

import dask
import dask.dataframe as dd

from ._common import DateLike, PathLike
from ._pieces import DEFAULT_BATCH, arrow_schema, check_columns, read_piece
from ._shards import Piece, Planned, Selection, expand_paths, plan_counted

# Bytes a document's value of each column takes in a pandas frame, roughly:
# what sizes the partitions. The text's is the shard's raw bytes per
# document (its other fields are small beside it).
_COLUMN_BYTES = {"doc": 8, "source": 24, "date": 8, "date_precision": 2,
                 "date_text": 24, "title": 90, "author": 30, "url": 90}


def _arrow_strings() -> bool:
    """Whether dask wants string columns as string[pyarrow]: unless
    configured otherwise (dataframe.convert-string), it converts every
    string column a task returns to that type, a copy of every string of
    every partition that took longer than reading them. Decided once, on the
    client, and handed to the tasks."""
    try:
        from dask.dataframe.utils import pyarrow_strings_enabled
    except ImportError:  # an older dask
        return False
    return bool(pyarrow_strings_enabled())


def _frame(table: Any, arrow_strings: bool) -> Any:
    import pandas as pd
    import pyarrow as pa

    # pandas' own types, as dask.dataframe.read_parquet gives them (its
    # groupby is faster on them than on ArrowDtype columns): uint64,
    # datetime64[s, UTC] with NaT, dask's string type (string[pyarrow],
    # missing values <NA>, unless dask is set not to convert strings); the
    # precision stays a nullable Int8.
    strings = pd.StringDtype("pyarrow") if arrow_strings else None

    def mapper(arrow_type: Any) -> Any:
        if arrow_type == pa.int8():
            return pd.Int8Dtype()
        if strings is not None and (
            pa.types.is_string(arrow_type)
            or pa.types.is_large_string(arrow_type)
            or pa.types.is_dictionary(arrow_type)
        ):
            return strings
        return None

    return table.to_pandas(types_mapper=mapper)


def _read(pieces: Tuple[Piece, ...], selection: Selection, names: List[str],
          batch_size: int, arrow_strings: bool) -> Any:
    import pyarrow as pa

    batches = [batch for piece in pieces
               for batch in read_piece(piece, selection, names, batch_size)]
    return _frame(pa.Table.from_batches(batches, schema=arrow_schema(names)), arrow_strings)


def _from_map(func: Callable[..., Any], partitions: List[Any], args: tuple, meta: Any,
              label: str, arrow_strings: bool) -> Any:
    """dd.from_map(func, partitions, args=args), without the layer that
    converts the strings of each partition to string[pyarrow] when func
    gives them that type already (arrow_strings): a no-op, but a task of its
    own per partition, which is most of the time of a narrow selection.
    Built from dask's expression classes where this dask has them, else
    through dd.from_map."""
    if arrow_strings:
        try:
            from dask.dataframe.dask_expr import new_collection
            from dask.dataframe.dask_expr.io import FromMap
        except ImportError:  # another dask: its from_map converts
            pass
        else:
            return new_collection(FromMap(func, [partitions], args, {}, meta, False, None,
                                          label))
    return dd.from_map(func, partitions, args=args, meta=meta, label=label,
                       enforce_metadata=False)


def _estimated_bytes(planned: Planned, names: List[str]) -> float:
    per_document = sum(planned.raw_per_document if name == "text" else _COLUMN_BYTES[name]
                       for name in names)
    return planned.documents * per_document


def _partitions(planned: List[Planned], names: List[str], aggregate: bool
                ) -> List[Tuple[Piece, ...]]:
    """The pieces each task reads. Aggregating follows read_parquet's rule:
    consecutive pieces share a task while their estimated size stays under
    dask's dataframe.parquet.minimum-partition-size, and at most
    ceil(sqrt(pieces)) of them, so that a read of many shards keeps its
    parallelism."""
    if not aggregate:
        return [(p.piece,) for p in planned]
    target = dask.utils.parse_bytes(
        dask.config.get("dataframe.parquet.minimum-partition-size", 75_000_000))
    most = min(math.ceil(math.sqrt(len(planned))), 100)
    groups: List[Tuple[Piece, ...]] = []
    current: List[Piece] = []
    size = 0.0
    for p in planned:
        estimate = _estimated_bytes(p, names)
        if current and (len(current) == most or size + estimate > target):
            groups.append(tuple(current))
            current, size = [], 0.0
        current.append(p.piece)
        size += estimate
    if current:
        groups.append(tuple(current))
    return groups


def read_quire(
    paths: Union[PathLike, Iterable[PathLike]],
    columns: Optional[Sequence[str]] = None,
    sources: Union[str, Iterable[str], None] = None,
    from_: Optional[DateLike] = None,
    to: Optional[DateLike] = None,
    undated: Optional[bool] = None,
    max_documents: Optional[int] = None,
    batch_size: int = DEFAULT_BATCH,
    aggregate: bool = True,
) -> Any:
    """A dask DataFrame of the documents of the shards named by paths (a
    file, a folder, a glob or a list) that match the filter, as
    Corpus.query() takes it: sources, an inclusive date range whose partial
    dates cover their whole period, undated=None including undated
    documents only when no date bound is set. columns (default: all) are
    the only ones read; text blocks are not inflated unless a text column
    (date_text, title, author, url, text) is named. Columns: doc uint64,
    date datetime64[s, UTC] (NaT when undated), date_precision Int8 (1 year
    to 5 second, <NA> when undated), the rest strings of dask's string type
    (string[pyarrow], missing values <NA>; pandas' str, missing values NaN,
    when dask's dataframe.convert-string is off).

    aggregate (default True) lets one task read several small pieces, as
    read_parquet does: each piece's output is estimated from the documents
    its shard's indexes count for the selection and the columns asked for,
    and consecutive pieces share a task while the estimate stays under
    dask's dataframe.parquet.minimum-partition-size (75 MB by default), at
    most ceil(sqrt(pieces)) to a task. A projection of a few columns, or a
    narrow selection, over many shards then costs a few tasks, not one per
    shard. False: one partition per piece."""
    names = check_columns(columns)
    selection = Selection.from_dates(sources, from_, to, undated)
    planned = plan_counted(expand_paths(paths), selection, max_documents)
    arrow_strings = _arrow_strings()
    meta = _frame(arrow_schema(names).empty_table(), arrow_strings)
    if not planned:
        return dd.from_pandas(meta, npartitions=1)
    return _from_map(_read, _partitions(planned, names, aggregate),
                     (selection, names, batch_size, arrow_strings), meta, "read-quire",
                     arrow_strings)
