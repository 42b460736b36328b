"""The C functions this package calls, with their ctypes signatures.

This table is the only place the package states the C ABI. The test
``tests/test_header.py`` checks every entry against ``api/quire-api.json``,
the description scripts/api-describe.py makes of ``include/quire.h`` (name,
number and kind of parameters, return type), so the header cannot change
under the binding unnoticed.
"""

from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)

# int (*quire_write_fn)(void *ctx, const char *data, size_t len)
WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)

# int (*quire_progress_fn)(void *ctx, uint64_t done, uint64_t total)
PROGRESS_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)


class CDocument(Structure):
    """struct quire_document: one document for quire_writer_add_document().
    Set size to ``ctypes.sizeof(CDocument)``."""

    _fields_ = [
        ("size", c_size_t),
        ("source", c_char_p),
        ("source_len", c_size_t),
        ("date", c_char_p),
        ("date_len", c_size_t),
        ("title", c_char_p),
        ("title_len", c_size_t),
        ("author", c_char_p),
        ("author_len", c_size_t),
        ("url", c_char_p),
        ("url_len", c_size_t),
        ("text", c_char_p),
        ("text_len", c_size_t),
    ]


_handle = c_void_p  # every opaque quire_* handle
_out_handle = POINTER(c_void_p)  # quire_* **out
_text = c_char_p  # const char * going in
_out_text = POINTER(c_void_p)  # const char **data coming out

PROTOTYPES = {
    # versions and status codes
    "quire_version_number": (c_int, []),
    "quire_version_string": (c_char_p, []),
    "quire_strerror": (c_char_p, [c_int]),
    # dates
    "quire_date_parse": (c_int, [_text, c_size_t, POINTER(c_int64), POINTER(c_int)]),
    "quire_date_format": (c_size_t, [c_int64, c_int, c_char_p, c_size_t]),
    # corpus
    "quire_corpus_open": (c_int, [_text, _out_handle]),
    "quire_corpus_open_buffer": (c_int, [c_void_p, c_size_t, _out_handle]),
    "quire_corpus_free": (None, [_handle]),
    "quire_corpus_errmsg": (c_char_p, [_handle]),
    "quire_corpus_doc_count": (c_uint64, [_handle]),
    "quire_corpus_source_count": (c_uint64, [_handle]),
    "quire_corpus_undated_count": (c_uint64, [_handle]),
    "quire_corpus_file_size": (c_uint64, [_handle]),
    "quire_corpus_raw_size": (c_uint64, [_handle]),
    "quire_corpus_format_version": (c_int, [_handle, POINTER(c_int), POINTER(c_int)]),
    # format 1.1: how a corpus was packed
    "quire_corpus_codec": (
        c_int,
        [_handle, POINTER(c_int), POINTER(c_int), POINTER(c_uint32)],
    ),
    "quire_corpus_dictionary_count": (c_uint64, [_handle]),
    "quire_corpus_dictionary": (
        c_int,
        [_handle, c_uint64, POINTER(c_uint32), POINTER(c_uint32), POINTER(c_int)],
    ),
    "quire_corpus_date_span": (c_int, [_handle, POINTER(c_int64), POINTER(c_int64)]),
    "quire_corpus_source": (
        c_int,
        [_handle, c_uint64, _out_text, POINTER(c_size_t), POINTER(c_uint64)],
    ),
    "quire_corpus_verify": (c_int, [_handle, POINTER(c_uint64), WRITE_FN, c_void_p]),
    "quire_corpus_count_matches": (c_int, [_handle, _handle, POINTER(c_uint64)]),
    # filters
    "quire_filter_new": (c_int, [_out_handle]),
    "quire_filter_free": (None, [_handle]),
    "quire_filter_add_source": (c_int, [_handle, _text, c_size_t]),
    "quire_filter_set_from": (c_int, [_handle, _text, c_size_t]),
    "quire_filter_set_to": (c_int, [_handle, _text, c_size_t]),
    "quire_filter_set_range": (c_int, [_handle, c_int64, c_int64]),
    "quire_filter_set_undated": (c_int, [_handle, c_int]),
    "quire_filter_errmsg": (c_char_p, [_handle]),
    "quire_filter_add_term": (c_int, [_handle, _text, c_size_t]),
    "quire_filter_add_any_term": (c_int, [_handle, _text, c_size_t]),
    # cursors
    "quire_cursor_open": (c_int, [_handle, _handle, _out_handle]),
    "quire_cursor_free": (None, [_handle]),
    "quire_cursor_next": (c_int, [_handle]),
    "quire_cursor_seek": (c_int, [_handle, c_uint64]),
    "quire_cursor_doc": (c_uint64, [_handle]),
    "quire_cursor_date": (c_int64, [_handle]),
    "quire_cursor_date_precision": (c_int, [_handle]),
    "quire_cursor_source_id": (c_int64, [_handle]),
    "quire_cursor_text_length": (c_uint64, [_handle]),
    "quire_cursor_field": (c_int, [_handle, c_int, _out_text, POINTER(c_size_t)]),
    "quire_cursor_errmsg": (c_char_p, [_handle]),
    "quire_cursor_next_batch": (
        c_int,
        [
            _handle,
            c_size_t,
            POINTER(c_uint64),  # docs
            POINTER(c_int64),  # dates
            POINTER(c_int32),  # precisions
            POINTER(c_int64),  # sources
            POINTER(c_uint64),  # text_lengths
            POINTER(c_size_t),  # count
        ],
    ),
    # writer
    "quire_writer_open": (c_int, [_text, _out_handle]),
    "quire_writer_set_block_size": (c_int, [_handle, c_uint32]),
    "quire_writer_set_level": (c_int, [_handle, c_int]),
    "quire_writer_set_codec": (c_int, [_handle, c_int]),
    "quire_writer_set_dictionary_size": (c_int, [_handle, c_uint32]),
    "quire_writer_set_word_summaries": (c_int, [_handle, c_int]),
    "quire_writer_set_order": (c_int, [_handle, c_int]),
    "quire_writer_set_utf8": (c_int, [_handle, c_int]),
    "quire_writer_set_threads": (c_int, [_handle, c_int]),
    "quire_writer_add_document": (c_int, [_handle, POINTER(CDocument)]),
    "quire_writer_doc_count": (c_uint64, [_handle]),
    "quire_writer_finish": (c_int, [_handle]),
    "quire_writer_set_progress": (c_int, [_handle, PROGRESS_FN, c_void_p]),
    "quire_writer_free": (None, [_handle]),
    "quire_writer_errmsg": (c_char_p, [_handle]),
    # CSV export
    "quire_export_new": (c_int, [_handle, _out_handle]),
    "quire_export_free": (None, [_handle]),
    "quire_export_set_filter": (c_int, [_handle, _handle]),
    "quire_export_set_columns": (c_int, [_handle, _text, c_size_t]),
    "quire_export_set_dialect": (c_int, [_handle, c_int]),
    "quire_export_to_path": (c_int, [_handle, _text]),
    "quire_export_read": (c_int, [_handle, c_void_p, c_size_t, POINTER(c_size_t)]),
    "quire_export_set_progress": (c_int, [_handle, PROGRESS_FN, c_void_p]),
    "quire_export_rows": (c_uint64, [_handle]),
    "quire_export_cells_cut": (c_uint64, [_handle]),
    "quire_export_errmsg": (c_char_p, [_handle]),
    # spreadsheets: split files, rows past a sheet, XLSX
    "quire_export_set_split_rows": (c_int, [_handle, c_uint64]),
    "quire_export_rows_over_sheet": (c_uint64, [_handle]),
    "quire_export_files": (c_uint64, [_handle]),
    "quire_export_to_xlsx": (c_int, [_handle, _text]),
    # CSV import
    "quire_import_new": (c_int, [_out_handle]),
    "quire_import_free": (None, [_handle]),
    "quire_import_map_column": (c_int, [_handle, _text, c_size_t, c_int]),
    "quire_import_set_skip_bad_rows": (c_int, [_handle, c_int]),
    "quire_import_set_base_dir": (c_int, [_handle, _text]),
    "quire_import_set_progress": (c_int, [_handle, PROGRESS_FN, c_void_p]),
    "quire_import_csv_path": (c_int, [_handle, _handle, _text]),
    "quire_import_csv_buffer": (c_int, [_handle, _handle, _text, c_size_t, _text]),
    "quire_import_rows": (c_uint64, [_handle]),
    "quire_import_skipped": (c_uint64, [_handle]),
    "quire_import_skipped_row": (c_int, [_handle, c_uint64, POINTER(c_uint64)]),
    "quire_import_warnings": (c_char_p, [_handle]),
    "quire_import_errmsg": (c_char_p, [_handle]),
    # duplicates (quire/_dups.py)
    "quire_dups_new": (c_int, [_out_handle]),
    "quire_dups_free": (None, [_handle]),
    "quire_dups_set_kinds": (c_int, [_handle, c_int]),
    "quire_dups_set_similarity": (c_int, [_handle, c_double]),
    "quire_dups_add_corpus": (c_int, [_handle, _handle]),
    "quire_dups_group_count": (c_uint64, [_handle]),
    "quire_dups_group": (c_int, [_handle, c_uint64, POINTER(c_int), POINTER(c_uint64)]),
    "quire_dups_member": (
        c_int,
        [_handle, c_uint64, c_uint64, POINTER(c_uint32), POINTER(c_uint64), POINTER(c_double)],
    ),
    "quire_dups_errmsg": (c_char_p, [_handle]),
    "quire_writer_set_dedup": (c_int, [_handle, c_int, c_double]),
    "quire_writer_dropped": (c_uint64, [_handle]),
    # merge and append (quire/_merge.py, Writer.add_corpus, Writer.append)
    "quire_writer_add_corpus": (c_int, [_handle, _handle]),
    "quire_writer_open_append": (c_int, [_text, _out_handle]),
    # Arrow C stream (quire/_arrow.py); the struct is passed as a pointer
    "quire_arrow_stream_open": (
        c_int, [_handle, _handle, _text, c_size_t, c_uint64, c_int, c_void_p]
    ),
    # recovery
    "quire_salvage": (
        c_int,
        [_text, _text, POINTER(c_uint64), POINTER(c_uint64), WRITE_FN, c_void_p],
    ),
    # splitting into shards (quire/_split.py)
    "quire_split_new": (c_int, [_out_handle]),
    "quire_split_free": (None, [_handle]),
    "quire_split_set_shards": (c_int, [_handle, c_uint32]),
    "quire_split_set_by": (c_int, [_handle, c_int]),
    "quire_split_set_max_size": (c_int, [_handle, c_uint64]),
    "quire_split_set_level": (c_int, [_handle, c_int]),
    "quire_split_set_threads": (c_int, [_handle, c_int]),
    "quire_split_corpus": (c_int, [_handle, _handle, _text]),
    "quire_split_csv": (c_int, [_handle, _handle, _text, _text]),
    "quire_split_shard_count": (c_uint64, [_handle]),
    "quire_split_shard_name": (c_char_p, [_handle, c_uint64]),
    "quire_split_errmsg": (c_char_p, [_handle]),
}

# Functions of the header this package deliberately does not call, and why.
# A function in neither table fails tests/test_header.py, so a new one in the
# header gets a decision.
NOT_BOUND = {
    # Replacing the allocator process-wide is for C programs; Python code
    # cannot sensibly supply one.
    "quire_set_allocator": "process-wide C allocator hook",
    # export_csv() writes to paths and file objects; a raw descriptor gains
    # nothing over a file object wrapping it.
    "quire_export_to_fd": "file objects are written from quire_export_read()",
    # Corpus.open_csv() pulls the CSV with quire_export_read(), and
    # export_csv() to a file object copies from it: no callback is needed.
    "quire_export_to_callback": "replaced by the pull-style quire_export_read()",
}
