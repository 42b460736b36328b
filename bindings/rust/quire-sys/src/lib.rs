//! Raw declarations of libquire's C ABI, exactly as include/quire.h states
//! them. Every function is unsafe to call: see the header for what each
//! requires. The safe API is the `quire` crate.
//!
//! tests/header.rs reads api/quire-api.json (scripts/api-describe.py makes
//! it from include/quire.h) and fails when a function, callback type or
//! constant here differs from it, so the two cannot drift apart.

#![allow(non_camel_case_types)]
#![no_std]

use core::ffi::{c_char, c_int, c_void};

// ---- Versions ----
pub const QUIRE_VERSION_MAJOR: c_int = 1;
pub const QUIRE_VERSION_MINOR: c_int = 0;
pub const QUIRE_VERSION_PATCH: c_int = 0;
pub const QUIRE_VERSION_NUMBER: c_int =
    QUIRE_VERSION_MAJOR * 10000 + QUIRE_VERSION_MINOR * 100 + QUIRE_VERSION_PATCH;
pub const QUIRE_VERSION_STRING: &str = "1.0.0";
pub const QUIRE_FORMAT_MAJOR: c_int = 1;
pub const QUIRE_FORMAT_MINOR: c_int = 1;

// ---- Status codes ----
pub const QUIRE_OK: c_int = 0;
pub const QUIRE_ROW: c_int = 1;
pub const QUIRE_DONE: c_int = 2;
pub const QUIRE_ENOTFOUND: c_int = -1;
pub const QUIRE_ECORRUPT: c_int = -2;
pub const QUIRE_EIO: c_int = -3;
pub const QUIRE_ENOMEM: c_int = -4;
pub const QUIRE_EINVAL: c_int = -5;
pub const QUIRE_EVERSION: c_int = -6;
pub const QUIRE_ENOTQUIRE: c_int = -7;
pub const QUIRE_EDATE: c_int = -8;
pub const QUIRE_EUTF8: c_int = -9;
pub const QUIRE_ECSV: c_int = -10;
pub const QUIRE_ELIMIT: c_int = -11;
pub const QUIRE_ESTATE: c_int = -12;
pub const QUIRE_ECALLBACK: c_int = -13;

// ---- Limits ----
pub const QUIRE_MAX_DOCUMENTS: u32 = 4294967294;
pub const QUIRE_MAX_SOURCES: u32 = 16777215;
pub const QUIRE_MAX_SOURCE_LENGTH: u32 = 4096;
pub const QUIRE_MAX_FIELD_LENGTH: u32 = 1 << 20;
pub const QUIRE_MAX_TEXT_LENGTH: u32 = 256 << 20;
pub const QUIRE_MIN_BLOCK_SIZE: u32 = 4 << 10;
pub const QUIRE_MAX_BLOCK_SIZE: u32 = 64 << 20;
pub const QUIRE_DEFAULT_BLOCK_SIZE: u32 = 64 << 10;

// ---- Block codecs (format 1.1) ----
pub const QUIRE_CODEC_DEFLATE: c_int = 0;
pub const QUIRE_CODEC_ZSTD: c_int = 1;
pub const QUIRE_DEFAULT_CODEC: c_int = QUIRE_CODEC_ZSTD;
pub const QUIRE_DEFAULT_ZSTD_LEVEL: c_int = 5;
pub const QUIRE_DEFAULT_DEFLATE_LEVEL: c_int = 9;
pub const QUIRE_DEFAULT_LEVEL: c_int = QUIRE_DEFAULT_ZSTD_LEVEL;
pub const QUIRE_DEFAULT_DEFLATE_BLOCK_SIZE: u32 = 1 << 20;
pub const QUIRE_DEFAULT_DICTIONARY_SIZE: u32 = 1024 << 10;
pub const QUIRE_MIN_DICTIONARY_SIZE: u32 = 4 << 10;
pub const QUIRE_MAX_DICTIONARY_SIZE: u32 = 4 << 20;

// ---- Arrow C stream (since 1.1) ----
pub const QUIRE_ARROW_DEFAULT_BATCH: u32 = 8192;
pub const QUIRE_ARROW_MAX_BATCH: u32 = 1 << 24;

// ---- Fields and dates ----
pub const QUIRE_FIELD_ID: c_int = 0;
pub const QUIRE_FIELD_SOURCE: c_int = 1;
pub const QUIRE_FIELD_DATE: c_int = 2;
pub const QUIRE_FIELD_TITLE: c_int = 3;
pub const QUIRE_FIELD_AUTHOR: c_int = 4;
pub const QUIRE_FIELD_URL: c_int = 5;
pub const QUIRE_FIELD_TEXT: c_int = 6;
pub const QUIRE_FIELD_FILE: c_int = 7;
pub const QUIRE_FIELD_IGNORE: c_int = 8;
pub const QUIRE_DATE_NONE: c_int = 0;
pub const QUIRE_DATE_YEAR: c_int = 1;
pub const QUIRE_DATE_MONTH: c_int = 2;
pub const QUIRE_DATE_DAY: c_int = 3;
pub const QUIRE_DATE_MINUTE: c_int = 4;
pub const QUIRE_DATE_SECOND: c_int = 5;
pub const QUIRE_NO_DATE: i64 = i64::MIN;

// ---- Filters, writers, exports ----
pub const QUIRE_UNDATED_AUTO: c_int = 0;
pub const QUIRE_UNDATED_INCLUDE: c_int = 1;
pub const QUIRE_UNDATED_EXCLUDE: c_int = 2;
pub const QUIRE_ORDER_CLUSTERED: c_int = 0;
pub const QUIRE_ORDER_INPUT: c_int = 1;
pub const QUIRE_UTF8_REJECT: c_int = 0;
pub const QUIRE_UTF8_REPLACE: c_int = 1;
pub const QUIRE_CSV_PLAIN: c_int = 0;
pub const QUIRE_CSV_EXCEL: c_int = 1;
pub const QUIRE_SHEET_MAX_ROWS: u32 = 1048576;

// ---- Duplicates ----
pub const QUIRE_DUP_URL: c_int = 1;
pub const QUIRE_DUP_TEXT: c_int = 2;
pub const QUIRE_DUP_NEAR: c_int = 4;
pub const QUIRE_DUP_ALL: c_int = 7;
pub const QUIRE_DEFAULT_SIMILARITY: f64 = 0.4;

// ---- Splitting into shards ----
pub const QUIRE_SPLIT_NONE: c_int = 0;
pub const QUIRE_SPLIT_SOURCE: c_int = 1;
pub const QUIRE_SPLIT_YEAR: c_int = 2;
pub const QUIRE_SPLIT_MONTH: c_int = 3;

// ---- Handles (opaque) ----
macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
            // Opaque C data: neither Send, Sync nor Unpin by default.
            _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
        }
    )*};
}
opaque!(
    quire_corpus,
    quire_filter,
    quire_cursor,
    quire_writer,
    quire_export,
    quire_import,
    quire_dups,
    quire_split
);

// ---- Structs ----
/// One document for quire_writer_add_document(); `size` must be
/// `size_of::<quire_document>()`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct quire_document {
    pub size: usize,
    pub source: *const c_char,
    pub source_len: usize,
    pub date: *const c_char,
    pub date_len: usize,
    pub title: *const c_char,
    pub title_len: usize,
    pub author: *const c_char,
    pub author_len: usize,
    pub url: *const c_char,
    pub url_len: usize,
    pub text: *const c_char,
    pub text_len: usize,
}

/// QUIRE_DOCUMENT_INIT: an empty document of this header's version, to
/// complete with struct update syntax: `quire_document { text, text_len,
/// ..QUIRE_DOCUMENT_INIT }`.
pub const QUIRE_DOCUMENT_INIT: quire_document = quire_document {
    size: core::mem::size_of::<quire_document>(),
    source: core::ptr::null(),
    source_len: 0,
    date: core::ptr::null(),
    date_len: 0,
    title: core::ptr::null(),
    title_len: 0,
    author: core::ptr::null(),
    author_len: 0,
    url: core::ptr::null(),
    url_len: 0,
    text: core::ptr::null(),
    text_len: 0,
};

impl Default for quire_document {
    /// [`QUIRE_DOCUMENT_INIT`].
    fn default() -> Self {
        QUIRE_DOCUMENT_INIT
    }
}

// ---- Callbacks ----
pub type quire_malloc_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, size: usize) -> *mut c_void>;
pub type quire_realloc_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, ptr: *mut c_void, size: usize) -> *mut c_void>;
pub type quire_free_fn = Option<unsafe extern "C" fn(ctx: *mut c_void, ptr: *mut c_void)>;
pub type quire_write_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, data: *const c_char, len: usize) -> c_int>;
pub type quire_progress_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, done: u64, total: u64) -> c_int>;

extern "C" {
    // ---- Versions and status codes ----
    pub fn quire_version_number() -> c_int;
    pub fn quire_version_string() -> *const c_char;
    pub fn quire_strerror(status: c_int) -> *const c_char;

    // ---- Dates ----
    pub fn quire_date_parse(
        text: *const c_char,
        len: usize,
        seconds: *mut i64,
        precision: *mut c_int,
    ) -> c_int;
    pub fn quire_date_format(seconds: i64, precision: c_int, buf: *mut c_char, cap: usize)
        -> usize;

    // ---- Allocator ----
    pub fn quire_set_allocator(
        malloc_fn: quire_malloc_fn,
        realloc_fn: quire_realloc_fn,
        free_fn: quire_free_fn,
        ctx: *mut c_void,
    ) -> c_int;

    // ---- Opening a corpus ----
    pub fn quire_corpus_open(path: *const c_char, out: *mut *mut quire_corpus) -> c_int;
    pub fn quire_corpus_open_buffer(
        data: *const c_void,
        len: usize,
        out: *mut *mut quire_corpus,
    ) -> c_int;
    pub fn quire_corpus_free(corpus: *mut quire_corpus);
    pub fn quire_corpus_errmsg(corpus: *const quire_corpus) -> *const c_char;
    pub fn quire_corpus_doc_count(corpus: *const quire_corpus) -> u64;
    pub fn quire_corpus_source_count(corpus: *const quire_corpus) -> u64;
    pub fn quire_corpus_undated_count(corpus: *const quire_corpus) -> u64;
    pub fn quire_corpus_file_size(corpus: *const quire_corpus) -> u64;
    pub fn quire_corpus_raw_size(corpus: *const quire_corpus) -> u64;
    pub fn quire_corpus_codec(
        corpus: *const quire_corpus,
        codec: *mut c_int,
        level: *mut c_int,
        block_size: *mut u32,
    ) -> c_int;
    pub fn quire_corpus_dictionary_count(corpus: *const quire_corpus) -> u64;
    pub fn quire_corpus_dictionary(
        corpus: *const quire_corpus,
        index: u64,
        id: *mut u32,
        size: *mut u32,
        metadata: *mut c_int,
    ) -> c_int;
    pub fn quire_corpus_format_version(
        corpus: *const quire_corpus,
        major: *mut c_int,
        minor: *mut c_int,
    ) -> c_int;
    pub fn quire_corpus_date_span(
        corpus: *const quire_corpus,
        first: *mut i64,
        last: *mut i64,
    ) -> c_int;
    pub fn quire_corpus_source(
        corpus: *const quire_corpus,
        index: u64,
        name: *mut *const c_char,
        len: *mut usize,
        docs: *mut u64,
    ) -> c_int;
    pub fn quire_corpus_verify(
        corpus: *const quire_corpus,
        damaged: *mut u64,
        report: quire_write_fn,
        ctx: *mut c_void,
    ) -> c_int;

    // ---- Filters ----
    pub fn quire_filter_new(out: *mut *mut quire_filter) -> c_int;
    pub fn quire_filter_free(filter: *mut quire_filter);
    pub fn quire_filter_add_source(
        filter: *mut quire_filter,
        name: *const c_char,
        len: usize,
    ) -> c_int;
    pub fn quire_filter_set_from(
        filter: *mut quire_filter,
        date: *const c_char,
        len: usize,
    ) -> c_int;
    pub fn quire_filter_set_to(filter: *mut quire_filter, date: *const c_char, len: usize)
        -> c_int;
    pub fn quire_filter_set_range(filter: *mut quire_filter, from: i64, to: i64) -> c_int;
    pub fn quire_filter_set_undated(filter: *mut quire_filter, mode: c_int) -> c_int;
    pub fn quire_filter_errmsg(filter: *const quire_filter) -> *const c_char;
    pub fn quire_filter_add_term(
        filter: *mut quire_filter,
        term: *const c_char,
        len: usize,
    ) -> c_int;
    pub fn quire_filter_add_any_term(
        filter: *mut quire_filter,
        term: *const c_char,
        len: usize,
    ) -> c_int;
    pub fn quire_corpus_count_matches(
        corpus: *const quire_corpus,
        filter: *const quire_filter,
        count: *mut u64,
    ) -> c_int;

    // ---- Cursors ----
    pub fn quire_cursor_open(
        corpus: *const quire_corpus,
        filter: *const quire_filter,
        out: *mut *mut quire_cursor,
    ) -> c_int;
    pub fn quire_cursor_free(cursor: *mut quire_cursor);
    pub fn quire_cursor_next(cursor: *mut quire_cursor) -> c_int;
    pub fn quire_cursor_seek(cursor: *mut quire_cursor, doc: u64) -> c_int;
    pub fn quire_cursor_doc(cursor: *const quire_cursor) -> u64;
    pub fn quire_cursor_date(cursor: *const quire_cursor) -> i64;
    pub fn quire_cursor_date_precision(cursor: *const quire_cursor) -> c_int;
    pub fn quire_cursor_source_id(cursor: *const quire_cursor) -> i64;
    pub fn quire_cursor_text_length(cursor: *const quire_cursor) -> u64;
    pub fn quire_cursor_field(
        cursor: *mut quire_cursor,
        field: c_int,
        data: *mut *const c_char,
        len: *mut usize,
    ) -> c_int;
    pub fn quire_cursor_errmsg(cursor: *const quire_cursor) -> *const c_char;
    pub fn quire_cursor_next_batch(
        cursor: *mut quire_cursor,
        cap: usize,
        docs: *mut u64,
        dates: *mut i64,
        precisions: *mut i32,
        sources: *mut i64,
        text_lengths: *mut u64,
        count: *mut usize,
    ) -> c_int;

    // ---- Arrow C stream (since 1.1) ----
    /// `out` is a `struct ArrowArrayStream *` (Arrow C Stream Interface);
    /// the `quire` crate's `arrow` feature passes arrow-rs's
    /// `FFI_ArrowArrayStream`, which has that layout.
    pub fn quire_arrow_stream_open(
        corpus: *const quire_corpus,
        filter: *const quire_filter,
        columns: *const c_char,
        len: usize,
        batch_size: u64,
        threads: c_int,
        out: *mut c_void,
    ) -> c_int;

    // ---- Writing a corpus ----
    pub fn quire_writer_open(path: *const c_char, out: *mut *mut quire_writer) -> c_int;
    pub fn quire_writer_set_block_size(writer: *mut quire_writer, size: u32) -> c_int;
    pub fn quire_writer_set_level(writer: *mut quire_writer, level: c_int) -> c_int;
    pub fn quire_writer_set_codec(writer: *mut quire_writer, codec: c_int) -> c_int;
    pub fn quire_writer_set_dictionary_size(writer: *mut quire_writer, size: u32) -> c_int;
    pub fn quire_writer_set_word_summaries(writer: *mut quire_writer, on: c_int) -> c_int;
    pub fn quire_writer_set_order(writer: *mut quire_writer, order: c_int) -> c_int;
    pub fn quire_writer_set_utf8(writer: *mut quire_writer, policy: c_int) -> c_int;
    pub fn quire_writer_set_threads(writer: *mut quire_writer, threads: c_int) -> c_int;
    pub fn quire_writer_add_document(
        writer: *mut quire_writer,
        doc: *const quire_document,
    ) -> c_int;
    pub fn quire_writer_doc_count(writer: *const quire_writer) -> u64;
    pub fn quire_writer_set_progress(
        writer: *mut quire_writer,
        progress: quire_progress_fn,
        ctx: *mut c_void,
    ) -> c_int;
    pub fn quire_writer_finish(writer: *mut quire_writer) -> c_int;
    pub fn quire_writer_free(writer: *mut quire_writer);
    pub fn quire_writer_errmsg(writer: *const quire_writer) -> *const c_char;

    // ---- CSV export ----
    pub fn quire_export_new(corpus: *const quire_corpus, out: *mut *mut quire_export) -> c_int;
    pub fn quire_export_free(exp: *mut quire_export);
    pub fn quire_export_set_filter(exp: *mut quire_export, filter: *const quire_filter) -> c_int;
    pub fn quire_export_set_columns(
        exp: *mut quire_export,
        list: *const c_char,
        len: usize,
    ) -> c_int;
    pub fn quire_export_set_dialect(exp: *mut quire_export, dialect: c_int) -> c_int;
    pub fn quire_export_to_path(exp: *mut quire_export, path: *const c_char) -> c_int;
    pub fn quire_export_to_fd(exp: *mut quire_export, fd: c_int) -> c_int;
    pub fn quire_export_to_callback(
        exp: *mut quire_export,
        write: quire_write_fn,
        ctx: *mut c_void,
    ) -> c_int;
    pub fn quire_export_read(
        exp: *mut quire_export,
        buf: *mut c_char,
        cap: usize,
        n: *mut usize,
    ) -> c_int;
    pub fn quire_export_set_progress(
        exp: *mut quire_export,
        progress: quire_progress_fn,
        ctx: *mut c_void,
    ) -> c_int;
    pub fn quire_export_rows(exp: *const quire_export) -> u64;
    pub fn quire_export_cells_cut(exp: *const quire_export) -> u64;
    pub fn quire_export_errmsg(exp: *const quire_export) -> *const c_char;

    // ---- spreadsheets: split files, rows past a sheet, XLSX ----
    pub fn quire_export_set_split_rows(exp: *mut quire_export, rows: u64) -> c_int;
    pub fn quire_export_rows_over_sheet(exp: *const quire_export) -> u64;
    pub fn quire_export_files(exp: *const quire_export) -> u64;
    pub fn quire_export_to_xlsx(exp: *mut quire_export, path: *const c_char) -> c_int;

    // ---- CSV import ----
    pub fn quire_import_new(out: *mut *mut quire_import) -> c_int;
    pub fn quire_import_free(imp: *mut quire_import);
    pub fn quire_import_map_column(
        imp: *mut quire_import,
        name: *const c_char,
        len: usize,
        field: c_int,
    ) -> c_int;
    pub fn quire_import_set_skip_bad_rows(imp: *mut quire_import, skip: c_int) -> c_int;
    pub fn quire_import_set_base_dir(imp: *mut quire_import, dir: *const c_char) -> c_int;
    pub fn quire_import_set_progress(
        imp: *mut quire_import,
        progress: quire_progress_fn,
        ctx: *mut c_void,
    ) -> c_int;
    pub fn quire_import_csv_path(
        imp: *mut quire_import,
        writer: *mut quire_writer,
        path: *const c_char,
    ) -> c_int;
    pub fn quire_import_csv_buffer(
        imp: *mut quire_import,
        writer: *mut quire_writer,
        data: *const c_char,
        len: usize,
        name: *const c_char,
    ) -> c_int;
    pub fn quire_import_rows(imp: *const quire_import) -> u64;
    pub fn quire_import_skipped(imp: *const quire_import) -> u64;
    pub fn quire_import_skipped_row(imp: *const quire_import, index: u64, row: *mut u64) -> c_int;
    pub fn quire_import_warnings(imp: *const quire_import) -> *const c_char;
    pub fn quire_import_errmsg(imp: *const quire_import) -> *const c_char;

    // ---- Duplicates ----
    pub fn quire_dups_new(out: *mut *mut quire_dups) -> c_int;
    pub fn quire_dups_free(dups: *mut quire_dups);
    pub fn quire_dups_set_kinds(dups: *mut quire_dups, kinds: c_int) -> c_int;
    pub fn quire_dups_set_similarity(dups: *mut quire_dups, similarity: f64) -> c_int;
    pub fn quire_dups_add_corpus(dups: *mut quire_dups, corpus: *const quire_corpus) -> c_int;
    pub fn quire_dups_group_count(dups: *const quire_dups) -> u64;
    pub fn quire_dups_group(
        dups: *const quire_dups,
        index: u64,
        kind: *mut c_int,
        size: *mut u64,
    ) -> c_int;
    pub fn quire_dups_member(
        dups: *const quire_dups,
        index: u64,
        member: u64,
        corpus: *mut u32,
        doc: *mut u64,
        similarity: *mut f64,
    ) -> c_int;
    pub fn quire_dups_errmsg(dups: *const quire_dups) -> *const c_char;
    pub fn quire_writer_set_dedup(
        writer: *mut quire_writer,
        kinds: c_int,
        similarity: f64,
    ) -> c_int;
    pub fn quire_writer_dropped(writer: *const quire_writer) -> u64;

    // ---- Merge and append (since 1.1) ----
    pub fn quire_writer_add_corpus(writer: *mut quire_writer, corpus: *const quire_corpus)
        -> c_int;
    pub fn quire_writer_open_append(path: *const c_char, out: *mut *mut quire_writer) -> c_int;

    // ---- Recovery ----
    pub fn quire_salvage(
        in_path: *const c_char,
        out_path: *const c_char,
        kept: *mut u64,
        lost: *mut u64,
        report: quire_write_fn,
        ctx: *mut c_void,
    ) -> c_int;

    // ---- Splitting into shards ----
    pub fn quire_split_new(out: *mut *mut quire_split) -> c_int;
    pub fn quire_split_free(split: *mut quire_split);
    pub fn quire_split_set_shards(split: *mut quire_split, shards: u32) -> c_int;
    pub fn quire_split_set_by(split: *mut quire_split, by: c_int) -> c_int;
    pub fn quire_split_set_max_size(split: *mut quire_split, bytes: u64) -> c_int;
    pub fn quire_split_set_level(split: *mut quire_split, level: c_int) -> c_int;
    pub fn quire_split_set_threads(split: *mut quire_split, threads: c_int) -> c_int;
    pub fn quire_split_corpus(
        split: *mut quire_split,
        corpus: *const quire_corpus,
        dir: *const c_char,
    ) -> c_int;
    pub fn quire_split_csv(
        split: *mut quire_split,
        imp: *mut quire_import,
        csv_path: *const c_char,
        dir: *const c_char,
    ) -> c_int;
    pub fn quire_split_shard_count(split: *const quire_split) -> u64;
    pub fn quire_split_shard_name(split: *const quire_split, index: u64) -> *const c_char;
    pub fn quire_split_errmsg(split: *const quire_split) -> *const c_char;
}
