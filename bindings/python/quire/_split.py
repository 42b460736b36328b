"""split(): one corpus or CSV file cut into shards for a cluster
(quire_split_*)."""

from __future__ import annotations

import os
from ctypes import byref, c_void_p
from typing import List, Optional

from ._common import PathLike, check, encode_path, take_failed_handle
from ._corpus import Corpus
from ._errors import InvalidArgumentError
from ._lib import lib

_BY = {None: 0, "source": 1, "year": 2, "month": 3}


def split(
    input: PathLike,
    out_dir: PathLike,
    *,
    shards: Optional[int] = None,
    by: Optional[str] = None,
    max_size: Optional[int] = None,
    level: Optional[int] = None,
    threads: int = 1,
) -> List[str]:
    """Cuts the corpus (or CSV file, when its name ends in .csv) at input
    into shards in the existing folder out_dir: shards runs of consecutive
    documents (part-00000.quire, ...), or one shard per source, year or
    month with by= (source-00003.quire and source-none.quire,
    year-2016.quire, month-2016-01.quire), each cut again before it passes
    max_size bytes (estimated). Documents keep their order and every field;
    the shards take the input's codec and block size, and level (on the
    codec's scale) or the codec's default; each shard appears atomically.
    Returns the paths of the shards."""
    if by not in _BY:
        raise InvalidArgumentError(f"by must be source, year or month, not {by!r}")
    handle = c_void_p()
    rc = lib.quire_split_new(byref(handle))
    if rc != 0:
        take_failed_handle(rc, handle, lib.quire_split_errmsg, lib.quire_split_free)
    err = lib.quire_split_errmsg
    try:
        if shards is not None:
            if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards < 2**32:
                raise InvalidArgumentError(f"shards must be a positive int, not {shards!r}")
            check(lib.quire_split_set_shards(handle, shards), err, handle)
        check(lib.quire_split_set_by(handle, _BY[by]), err, handle)
        if max_size is not None:
            if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
                raise InvalidArgumentError(f"max_size must be a positive int, not {max_size!r}")
            check(lib.quire_split_set_max_size(handle, max_size), err, handle)
        if level is not None:
            check(lib.quire_split_set_level(handle, level), err, handle)
        check(lib.quire_split_set_threads(handle, threads), err, handle)
        folder = encode_path(out_dir)
        if os.fsdecode(input).lower().endswith(".csv"):
            imp = c_void_p()
            rc = lib.quire_import_new(byref(imp))
            if rc != 0:
                take_failed_handle(rc, imp, lib.quire_import_errmsg, lib.quire_import_free)
            try:
                check(lib.quire_split_csv(handle, imp, encode_path(input), folder), err, handle)
            finally:
                lib.quire_import_free(imp)
        else:
            with Corpus(input) as corpus:
                rc = lib.quire_split_corpus(handle, corpus._state.require(), folder)
                check(rc, err, handle)
        names = [lib.quire_split_shard_name(handle, i).decode()
                 for i in range(lib.quire_split_shard_count(handle))]
        return [os.path.join(os.fsdecode(out_dir), n) for n in names]
    finally:
        lib.quire_split_free(handle)
