/*
 * quire.h: the one public header of libquire.
 *
 * quire packs corpora of news articles (source, date, title, author, url and
 * body text) into single checksummed .quire files, opens them through mmap at
 * once, iterates and filters them by source and date without inflating text
 * nobody asked for, and exports any selection to CSV.
 *
 * This header is the reference: each function's comment says what it takes,
 * what it returns and what it leaves behind. ABI.md is the contract that
 * spans them (ownership, threads, errors, versions, limits, bindings),
 * docs/guide.md explains the topics that concern several functions, and
 * docs/FORMAT.md describes the file format.
 *
 * Conventions, the same for every function here (ABI.md says more):
 *
 *  - Every function that can fail returns an int status: QUIRE_OK (0) or a
 *    negative QUIRE_E* code. Cursors also return the positive QUIRE_ROW and
 *    QUIRE_DONE. Codes are stable numbers; quire_strerror() names them.
 *  - The detailed message of the last failure is kept on the handle it
 *    happened on (quire_corpus_errmsg(), quire_writer_errmsg(), ...), never in
 *    thread-local state.
 *  - Handles are opaque. A function that creates one stores it in *out. When
 *    it fails for any reason but QUIRE_ENOMEM, *out still receives a handle in
 *    the failed state so that its errmsg can say why; the caller must close or
 *    free it like any other. On QUIRE_ENOMEM *out is NULL.
 *  - Strings go in as pointer + length (they need not be NUL-terminated; a
 *    NULL pointer with length 0 is the empty string) and come out as pointer +
 *    length into memory owned by the handle, valid until the call named in
 *    each function's comment. Returned strings are also NUL-terminated.
 *  - Dates are int64 seconds since 1970-01-01T00:00:00Z (UTC), with a
 *    precision saying which leading part of the date is known.
 *  - An open corpus is immutable: any number of threads may use one corpus at
 *    once, each with its own cursors. Every other handle (cursor, filter,
 *    writer, export, import) is used by one thread at a time.
 */
#ifndef QUIRE_H
#define QUIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* QUIRE_API marks every exported function. Building the library defines
 * QUIRE_BUILDING; everything else is hidden by -fvisibility=hidden. */
#if defined(_WIN32)
#if defined(QUIRE_BUILDING)
#define QUIRE_API __declspec(dllexport)
#else
#define QUIRE_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define QUIRE_API __attribute__((visibility("default")))
#else
#define QUIRE_API
#endif

/* ---------------------------------------------------------------------- */
/* Versions                                                                */
/* ---------------------------------------------------------------------- */

#define QUIRE_VERSION_MAJOR 1
#define QUIRE_VERSION_MINOR 0
#define QUIRE_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, as zstd does. */
#define QUIRE_VERSION_NUMBER                                                   \
  (QUIRE_VERSION_MAJOR * 10000 + QUIRE_VERSION_MINOR * 100 +                   \
   QUIRE_VERSION_PATCH)
#define QUIRE_VERSION_STRING "1.0.0"

/* The newest file format this library writes and reads. A reader opens any
 * file of the same major version whose required flags it knows (ABI.md,
 * "The file format"; docs/FORMAT.md has the layout). */
#define QUIRE_FORMAT_MAJOR 1
#define QUIRE_FORMAT_MINOR 1

/* Returns QUIRE_VERSION_NUMBER of the library actually loaded, which may be
 * newer than the header an application was compiled with. */
QUIRE_API int quire_version_number(void);

/* Returns the library version as a static string such as "1.0.0". */
QUIRE_API const char *quire_version_string(void);

/* ---------------------------------------------------------------------- */
/* Status codes                                                            */
/* ---------------------------------------------------------------------- */

#define QUIRE_OK 0   /* success */
#define QUIRE_ROW 1  /* quire_cursor_next(): a document is ready */
#define QUIRE_DONE 2 /* quire_cursor_next(): no more documents */

#define QUIRE_ENOTFOUND -1  /* no such file, document, source or column */
#define QUIRE_ECORRUPT -2   /* the file is damaged or truncated */
#define QUIRE_EIO -3        /* an operating-system read or write failed */
#define QUIRE_ENOMEM -4     /* memory ran out */
#define QUIRE_EINVAL -5     /* an argument is NULL, out of range or misused */
#define QUIRE_EVERSION -6   /* the file needs a newer library */
#define QUIRE_ENOTQUIRE -7  /* the file is not a quire file at all */
#define QUIRE_EDATE -8      /* a date is not ISO 8601 or RFC 2822 */
#define QUIRE_EUTF8 -9      /* text is not valid UTF-8 */
#define QUIRE_ECSV -10      /* CSV input is malformed */
#define QUIRE_ELIMIT -11    /* input exceeds a documented limit */
#define QUIRE_ESTATE -12    /* the handle is finished, failed or closed */
#define QUIRE_ECALLBACK -13 /* a caller's callback asked to stop */

/* Returns a static, never-NULL English description of a status code, such as
 * "file is corrupt" for QUIRE_ECORRUPT. Unknown codes give "unknown status". */
QUIRE_API const char *quire_strerror(int status);

/* ---------------------------------------------------------------------- */
/* Limits (input beyond them is refused with QUIRE_ELIMIT)                */
/* ---------------------------------------------------------------------- */

#define QUIRE_MAX_DOCUMENTS 4294967294u    /* 2^32 - 2 */
#define QUIRE_MAX_SOURCES 16777215u        /* 2^24 - 1 */
#define QUIRE_MAX_SOURCE_LENGTH 4096u      /* bytes of one source name */
#define QUIRE_MAX_FIELD_LENGTH (1u << 20)  /* title, author, url */
#define QUIRE_MAX_TEXT_LENGTH (256u << 20) /* one body text */
#define QUIRE_MIN_BLOCK_SIZE (4u << 10)    /* writer block size */
#define QUIRE_MAX_BLOCK_SIZE (64u << 20)
#define QUIRE_DEFAULT_BLOCK_SIZE (64u << 10)

/* ---- block codecs (format 1.1) ---------------------------------------- */
/* Blocks are compressed with zstd (the default; format 1.1, with
 * dictionaries trained on the corpus) or DEFLATE (the 1.0 codec, still
 * written and read). Levels are on each codec's own scale. Defaults were
 * chosen by measurement (benchmarks/ANALYSIS.md). */
#define QUIRE_CODEC_DEFLATE 0
#define QUIRE_CODEC_ZSTD 1
#define QUIRE_DEFAULT_CODEC QUIRE_CODEC_ZSTD
#define QUIRE_DEFAULT_ZSTD_LEVEL 5    /* zstd: 1 to 22 */
#define QUIRE_DEFAULT_DEFLATE_LEVEL 9 /* DEFLATE: 1 to 9 */
/* The level of the default codec. */
#define QUIRE_DEFAULT_LEVEL QUIRE_DEFAULT_ZSTD_LEVEL
#define QUIRE_DEFAULT_DEFLATE_BLOCK_SIZE (1u << 20)
#define QUIRE_DEFAULT_DICTIONARY_SIZE (1024u << 10) /* zstd only; 0: none */
#define QUIRE_MIN_DICTIONARY_SIZE (4u << 10)
#define QUIRE_MAX_DICTIONARY_SIZE (4u << 20)

/* ---------------------------------------------------------------------- */
/* Fields, dates                                                           */
/* ---------------------------------------------------------------------- */

/* The fields of a document, for quire_cursor_field() and column mappings. */
#define QUIRE_FIELD_ID 0 /* the document's number (export column "id") */
#define QUIRE_FIELD_SOURCE 1
#define QUIRE_FIELD_DATE 2 /* the date as ISO 8601 text, as it was given */
#define QUIRE_FIELD_TITLE 3
#define QUIRE_FIELD_AUTHOR 4
#define QUIRE_FIELD_URL 5
#define QUIRE_FIELD_TEXT 6
#define QUIRE_FIELD_FILE 7   /* import only: text is read from this file */
#define QUIRE_FIELD_IGNORE 8 /* import only: drop this column silently */

/* How much of a date is known. */
#define QUIRE_DATE_NONE 0   /* undated */
#define QUIRE_DATE_YEAR 1   /* 2016 */
#define QUIRE_DATE_MONTH 2  /* 2016-01 */
#define QUIRE_DATE_DAY 3    /* 2016-01-31 */
#define QUIRE_DATE_MINUTE 4 /* 2016-01-31T09:22 */
#define QUIRE_DATE_SECOND 5 /* 2016-01-31T09:22:05 */

/* The date of an undated document. */
#define QUIRE_NO_DATE INT64_MIN

/* Parses an ISO 8601 date of any precision above (optionally with "Z" or a
 * +hh:mm / -hh:mm offset, a space in place of "T", and a fraction of a second,
 * which is dropped) or an RFC 2822 date ("Mon, 08 May 2017 09:22:00 +0000"),
 * after trimming spaces and tabs at both ends; docs/guide.md, "Dates", lists
 * the forms exactly. A time without a zone is read as UTC. On success stores
 * the first instant of the date, in UTC, in *seconds and its precision in
 * *precision, and returns QUIRE_OK; otherwise returns QUIRE_EDATE (or
 * QUIRE_EINVAL for NULL output pointers). An empty string, an impossible
 * date (2016-02-30, 24:00) and a year outside 1 to 9999 are QUIRE_EDATE.
 * The library keeps no state: safe from any thread. */
QUIRE_API int quire_date_parse(const char *text, size_t len, int64_t *seconds,
                               int *precision);

/* Writes seconds at the given precision as ISO 8601 UTC ("2016", "2016-01",
 * "2016-01-31", "2016-01-31T09:22Z", "2016-01-31T09:22:05Z") into buf, which
 * holds cap bytes, NUL-terminated. Returns the length written (without the
 * NUL), or 0, writing nothing, when precision is QUIRE_DATE_NONE or unknown,
 * cap is too small (32 always suffices), buf is NULL or the year is outside
 * 1 to 9999. Keeps no state: safe from any thread. */
QUIRE_API size_t quire_date_format(int64_t seconds, int precision, char *buf,
                                   size_t cap);

/* ---------------------------------------------------------------------- */
/* Allocator                                                               */
/* ---------------------------------------------------------------------- */

typedef void *(*quire_malloc_fn)(void *ctx, size_t size);
typedef void *(*quire_realloc_fn)(void *ctx, void *ptr, size_t size);
typedef void (*quire_free_fn)(void *ctx, void *ptr);

/* Routes every allocation of the library, and of the libraries it uses
 * (zlib or libdeflate, libcsv; not libxlsxwriter, see
 * quire_export_to_xlsx()), through these functions, each given ctx. Passing
 * three NULLs restores malloc, realloc and free. Call it before any other
 * quire function, while no handle is open: it is not thread-safe. Returns
 * QUIRE_EINVAL, changing nothing, if only some are NULL. A malloc_fn or
 * realloc_fn returning NULL makes the operation in progress fail with
 * QUIRE_ENOMEM, leaving no partial output. Before changing anything it
 * frees the released Arrow batch buffers the library keeps for reuse
 * (quire_arrow_stream_open()): calling it with three NULLs is also how a
 * program gives those back at once. ABI.md, "Allocator", says what the
 * library asks of the three functions. */
QUIRE_API int quire_set_allocator(quire_malloc_fn malloc_fn,
                                  quire_realloc_fn realloc_fn,
                                  quire_free_fn free_fn, void *ctx);

/* ---------------------------------------------------------------------- */
/* Opening a corpus                                                        */
/* ---------------------------------------------------------------------- */

typedef struct quire_corpus quire_corpus;

/* Opens the .quire file at path by mapping it into memory (read-only,
 * shared: the file must not be truncated or rewritten in place while it is
 * open, which the library's own writers never do: they rename a new file
 * over it). Nothing is parsed or checked but the header and footer, so
 * opening costs the same whatever the corpus size. Every other section and
 * block is checked against its CRC32 when it is first read. Returns
 * QUIRE_OK, QUIRE_ENOTFOUND (no such file), QUIRE_EIO (cannot open or map
 * it; not a regular file), QUIRE_ENOTQUIRE (no magic; an empty file),
 * QUIRE_EVERSION, QUIRE_ECORRUPT (truncated or damaged header or footer),
 * QUIRE_EINVAL (path NULL) or QUIRE_ENOMEM. See the handle convention at
 * the top: close *out even on failure. */
QUIRE_API int quire_corpus_open(const char *path, quire_corpus **out);

/* Opens a corpus held in the caller's memory. The library does not copy it:
 * data must stay valid and unchanged until quire_corpus_free() and until
 * every Arrow stream and writer holding the corpus (quire_arrow_stream_open(),
 * quire_writer_add_corpus()) is released. Returns as quire_corpus_open(),
 * without QUIRE_ENOTFOUND and QUIRE_EIO. */
QUIRE_API int quire_corpus_open_buffer(const void *data, size_t len,
                                       quire_corpus **out);

/* Unmaps and frees the corpus. Every cursor and export made from it must be
 * freed first. Arrow streams (quire_arrow_stream_open()) and writers given
 * it (quire_writer_add_corpus(), quire_writer_open_append()) need not be:
 * they keep the memory alive, the streams failing from then on and the
 * writers carrying on; the file is unmapped when the last of them is
 * released. NULL is a no-op. */
QUIRE_API void quire_corpus_free(quire_corpus *corpus);

/* Returns the message of the failed open, or else a description of the
 * first damage found while reading (the corpus stays usable for the parts
 * that are intact), or "" when nothing has gone wrong. Owned by the corpus,
 * valid until quire_corpus_free(); it never changes once it is set. */
QUIRE_API const char *quire_corpus_errmsg(const quire_corpus *corpus);

/* Returns the number of documents; 0 for NULL or a failed handle. This and
 * the three counts below read the footer only. */
QUIRE_API uint64_t quire_corpus_doc_count(const quire_corpus *corpus);

/* Returns the number of distinct sources; 0 for NULL or a failed handle. */
QUIRE_API uint64_t quire_corpus_source_count(const quire_corpus *corpus);

/* Returns the number of documents that have no date; 0 for NULL or a
 * failed handle. */
QUIRE_API uint64_t quire_corpus_undated_count(const quire_corpus *corpus);

/* Returns the size of the file in bytes; 0 for NULL or a failed handle. */
QUIRE_API uint64_t quire_corpus_file_size(const quire_corpus *corpus);

/* Returns the uncompressed size in bytes of every field of every document
 * as it was given: the source, the date as its text, the title, author, url
 * and text, laid end to end, without any CSV quoting. A measure for
 * compression ratios; 0 for NULL or a failed handle. */
QUIRE_API uint64_t quire_corpus_raw_size(const quire_corpus *corpus);

/* Stores the format version the file declares in *major and *minor.
 * Returns QUIRE_OK, or QUIRE_EINVAL for a NULL or failed corpus or NULL
 * outputs. */
QUIRE_API int quire_corpus_format_version(const quire_corpus *corpus,
                                          int *major, int *minor);

/* How the corpus was packed (format 1.1). Stores in *codec the codec of its
 * blocks (QUIRE_CODEC_*), in *level the level it was written at (0 when the
 * file does not say: every 1.0 file), in *block_size the block size it was
 * cut at; any pointer may be NULL. Returns QUIRE_OK, QUIRE_EINVAL for a NULL
 * or failed corpus, or QUIRE_ECORRUPT when the writer-settings section
 * saying it is damaged. */
QUIRE_API int quire_corpus_codec(const quire_corpus *corpus, int *codec,
                                 int *level, uint32_t *block_size);

/* Returns the number of zstd dictionaries in the file (0 for NULL, for 1.0
 * files, DEFLATE files and small corpora, where a dictionary does not pay,
 * and when the dictionary directory is damaged). */
QUIRE_API uint64_t quire_corpus_dictionary_count(const quire_corpus *corpus);

/* Stores in *size the size in bytes of dictionary number index (0 to
 * count-1; the dictionary's own size, not the smaller one of the
 * compressed form the file stores it in), in *id its zstd dictionary id and
 * in *metadata 1 when it serves the metadata blocks (title, author, url), 0
 * when it serves the texts; any pointer may be NULL. Its directory entry
 * and the dictionary are checked (bounds, CRC32, decompression, id) first.
 * Returns QUIRE_OK, QUIRE_ENOTFOUND past the end, QUIRE_ECORRUPT,
 * QUIRE_ENOMEM or QUIRE_EINVAL. */
QUIRE_API int quire_corpus_dictionary(const quire_corpus *corpus,
                                      uint64_t index, uint32_t *id,
                                      uint32_t *size, int *metadata);

/* Stores the first instant of the earliest date and the first instant of the
 * latest date among dated documents. Returns QUIRE_OK, QUIRE_ENOTFOUND when
 * no document has a date, or QUIRE_EINVAL. */
QUIRE_API int quire_corpus_date_span(const quire_corpus *corpus, int64_t *first,
                                     int64_t *last);

/* Stores in *name and *len the name of the source with id source_id and, if
 * docs is not NULL, its number of documents in *docs. A source's id is its
 * place, 0 to count-1, in the byte order of the corpus's source names; the
 * same id is what quire_cursor_source_id() and the batch calls return. The
 * name points into the file, NUL-terminated, and is valid until
 * quire_corpus_free(). Returns QUIRE_OK, QUIRE_ENOTFOUND for an id out of
 * range, QUIRE_ECORRUPT or QUIRE_EINVAL. */
QUIRE_API int quire_corpus_source(const quire_corpus *corpus,
                                  uint64_t source_id, const char **name,
                                  size_t *len, uint64_t *docs);

/* A progress callback: quire_import_set_progress(), quire_writer_set_progress()
 * and quire_export_set_progress() say what done and total count. total is 0
 * when it is not known in advance. The callback runs on the thread that made
 * the call being followed; it returns 0 to go on, or non-zero to stop that
 * call with QUIRE_ECALLBACK. */
typedef int (*quire_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* The type of every output callback: it receives len bytes at data, valid
 * during the call only, and returns 0 to go on or non-zero to stop the
 * operation with QUIRE_ECALLBACK. It runs on the thread that made the call
 * and must not call into the handle that called it. */
typedef int (*quire_write_fn)(void *ctx, const char *data, size_t len);

/* Checks the CRC32 of every section chunk and every block, inflating each
 * block once. Stores the number of damaged parts in *damaged (may be NULL)
 * and, if report is not NULL, calls it with one line of text ending in "\n"
 * for each damaged part, naming it. Returns QUIRE_OK when the file is
 * whole, QUIRE_ECORRUPT when anything is damaged, QUIRE_ECALLBACK if report
 * returned non-zero (the count still covers every part), QUIRE_ENOMEM when
 * memory ran out before every part was checked, QUIRE_EINVAL for a NULL or
 * failed corpus. Safe to run while other threads read the corpus. */
QUIRE_API int quire_corpus_verify(const quire_corpus *corpus, uint64_t *damaged,
                                  quire_write_fn report, void *ctx);

/* ---------------------------------------------------------------------- */
/* Filters                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct quire_filter quire_filter;

/* What a filter does with undated documents. */
#define QUIRE_UNDATED_AUTO 0    /* included when no date bound is set */
#define QUIRE_UNDATED_INCLUDE 1 /* always included (if the source matches) */
#define QUIRE_UNDATED_EXCLUDE 2 /* never included */

/* Creates an empty filter, which matches every document. Returns QUIRE_OK or
 * QUIRE_ENOMEM (*out NULL). Free it with quire_filter_free(). */
QUIRE_API int quire_filter_new(quire_filter **out);

/* Frees a filter. NULL is a no-op. Cursors and exports copy what they need,
 * so a filter may be freed as soon as they are made. */
QUIRE_API void quire_filter_free(quire_filter *filter);

/* Adds a source name to the filter's set (adding one twice is harmless). A
 * document matches when its source is any name in the set; with an empty
 * set the source does not matter, and a document without a source never
 * matches a non-empty set. A name no document has simply matches nothing.
 * docs/guide.md, "Filters", says how sources, dates and terms combine.
 * Returns QUIRE_OK, QUIRE_EINVAL or QUIRE_ENOMEM. */
QUIRE_API int quire_filter_add_source(quire_filter *filter, const char *name,
                                      size_t len);

/* Sets the inclusive lower date bound from an ISO 8601 or RFC 2822 date of
 * any precision; the bound is the first instant of that period, so "2016"
 * starts at 2016-01-01T00:00:00Z. A document's own partial date counts as its
 * first instant. An empty string (len 0) removes the bound. Returns
 * QUIRE_OK, QUIRE_EDATE (message in quire_filter_errmsg()) or
 * QUIRE_EINVAL. */
QUIRE_API int quire_filter_set_from(quire_filter *filter, const char *date,
                                    size_t len);

/* Sets the inclusive upper date bound; a partial date covers the whole
 * period, so "2016" ends at 2016-12-31T23:59:59Z and "2016-02" at
 * 2016-02-29T23:59:59Z. Otherwise as quire_filter_set_from(). */
QUIRE_API int quire_filter_set_to(quire_filter *filter, const char *date,
                                  size_t len);

/* Sets the bounds as UTC seconds, inclusive; QUIRE_NO_DATE for no bound. */
QUIRE_API int quire_filter_set_range(quire_filter *filter, int64_t from,
                                     int64_t to);

/* Sets one of QUIRE_UNDATED_AUTO (the default), _INCLUDE or _EXCLUDE.
 * Returns QUIRE_OK, or QUIRE_EINVAL for another value. */
QUIRE_API int quire_filter_set_undated(quire_filter *filter, int mode);

/* ---- Terms: which words a document holds (docs/guide.md, "Terms") ---- */

/* Adds a term that every matching document must hold, in its title or its
 * text. A word is a maximal run of Unicode letters and digits (general
 * categories L and N, Unicode 15 as utf8proc classifies them); everything
 * else (spaces, punctuation, hyphens, apostrophes, symbols, combining
 * marks) separates words. Words compare by Unicode simple case folding,
 * code point by code point, with no normalization: "Лукашенко" matches
 * "ЛУКАШЕНКО", "Σ", "σ" and "ς" are one letter, "ẞ" matches "ß" but "ß"
 * does not match "ss", and "I", "i", "ı" (dotless) and "İ" (dotted capital)
 * fold to "i", "i", "ı" and "İ". The term is split into words by the same
 * rule; a term of several words ("Belt and Road", or "Belt-and-Road")
 * matches where those words follow one another in the same field, whatever
 * separates them. term is UTF-8 of len bytes, copied. Terms combine with
 * each other and with sources and dates by AND. Returns QUIRE_OK,
 * QUIRE_EUTF8 (term is not valid UTF-8), QUIRE_EINVAL (NULL filter or
 * term, or a term with no word in it: "", "--"), QUIRE_ELIMIT (over
 * QUIRE_MAX_FIELD_LENGTH bytes) or QUIRE_ENOMEM; the message is in
 * quire_filter_errmsg() and the filter is unchanged. */
QUIRE_API int quire_filter_add_term(quire_filter *filter, const char *term,
                                    size_t len);

/* Adds a term to the filter's any-of set: when the set is not empty, a
 * matching document holds at least one of its terms (in addition to every
 * term of quire_filter_add_term()). Words and returns as
 * quire_filter_add_term(). */
QUIRE_API int quire_filter_add_any_term(quire_filter *filter, const char *term,
                                        size_t len);

/* Returns the message of the filter's last failure, or "". Valid until the
 * next call on the filter. */
QUIRE_API const char *quire_filter_errmsg(const quire_filter *filter);

/* Counts the documents matching filter (NULL matches all). Without terms
 * it reads the indexes alone, touching no text: O(log n) per source named.
 * With terms the count is exact too, but it reads the title and text of
 * each document the sources and dates select. Returns QUIRE_OK,
 * QUIRE_EINVAL, QUIRE_ECORRUPT (message in quire_corpus_errmsg()) or
 * QUIRE_ENOMEM. */
QUIRE_API int quire_corpus_count_matches(const quire_corpus *corpus,
                                         const quire_filter *filter,
                                         uint64_t *count);

/* ---------------------------------------------------------------------- */
/* Cursors                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct quire_cursor quire_cursor;

/* Creates a cursor over the documents matching filter (NULL: all of them) in
 * document order. The filter is copied. The cursor starts before the first
 * match: call quire_cursor_next() to reach it. Returns QUIRE_OK,
 * QUIRE_EINVAL (NULL or failed corpus) or QUIRE_ECORRUPT (a damaged index),
 * each with a failed cursor (handle convention above), or QUIRE_ENOMEM with
 * *out NULL. A cursor holds at most one inflated text block and one
 * inflated metadata block, plus one bit per document of the corpus when it
 * has a filter, plus, for blocks made with dictionaries, a copy of the last
 * two dictionaries it inflated with (ABI.md, "Allocator"). */
QUIRE_API int quire_cursor_open(const quire_corpus *corpus,
                                const quire_filter *filter, quire_cursor **out);

/* Frees the cursor and everything its accessors returned. NULL is a no-op. */
QUIRE_API void quire_cursor_free(quire_cursor *cursor);

/* Moves to the next matching document. Returns QUIRE_ROW when there is one,
 * QUIRE_DONE when there are no more (and again on every later call), or a
 * negative status with the message in quire_cursor_errmsg():
 * QUIRE_ECORRUPT for a damaged row, after which the cursor has no current
 * document and the next call goes on after that row; QUIRE_ENOMEM;
 * QUIRE_EINVAL for a NULL cursor; QUIRE_ESTATE on a cursor that failed to
 * open for a NULL or failed corpus. */
QUIRE_API int quire_cursor_next(quire_cursor *cursor);

/* Makes document number doc the current one, whether or not it matches the
 * cursor's filter; the next quire_cursor_next() goes on with the first match
 * after it. This is how to read document N. Returns QUIRE_ROW, QUIRE_ENOTFOUND
 * when doc is not below the document count, QUIRE_ECORRUPT, or QUIRE_ESTATE
 * as quire_cursor_next(). */
QUIRE_API int quire_cursor_seek(quire_cursor *cursor, uint64_t doc);

/* The current document's number (0-based position in the file). This and
 * the four calls below read the document's row, inflating nothing; without
 * a current document they return 0, QUIRE_NO_DATE, QUIRE_DATE_NONE, -1 and
 * 0. */
QUIRE_API uint64_t quire_cursor_doc(const quire_cursor *cursor);

/* The current document's date in UTC seconds, or QUIRE_NO_DATE. */
QUIRE_API int64_t quire_cursor_date(const quire_cursor *cursor);

/* The current document's date precision (QUIRE_DATE_*). */
QUIRE_API int quire_cursor_date_precision(const quire_cursor *cursor);

/* The current document's source id, as quire_corpus_source() numbers them,
 * or -1 when it has none. */
QUIRE_API int64_t quire_cursor_source_id(const quire_cursor *cursor);

/* The length in bytes of the current document's text, known without
 * inflating it. */
QUIRE_API uint64_t quire_cursor_text_length(const quire_cursor *cursor);

/* Stores in *data and *len one field (QUIRE_FIELD_SOURCE, _DATE, _TITLE,
 * _AUTHOR, _URL, _TEXT or _ID as decimal text) of the current document. The
 * date is the text as it was given, in its own zone (docs/guide.md,
 * "Dates"). A missing source or date is the empty string. The title, author and
 * url inflate the document's metadata block and the text its text block, each
 * at most once for all documents sharing the block. The bytes are owned by
 * the cursor and valid until the next quire_cursor_next(), quire_cursor_seek()
 * or quire_cursor_free(), all the fields of one document together; they are
 * NUL-terminated. Returns QUIRE_OK, QUIRE_EINVAL (no current document,
 * unknown field, NULL outputs), QUIRE_ECORRUPT or QUIRE_ENOMEM. */
QUIRE_API int quire_cursor_field(quire_cursor *cursor, int field,
                                 const char **data, size_t *len);

/* Returns the message of the cursor's last failure, or "". Valid until the
 * next call on the cursor. */
QUIRE_API const char *quire_cursor_errmsg(const quire_cursor *cursor);

/* Moves the cursor over up to cap matching documents in one call, as cap
 * calls of quire_cursor_next() would, and stores for the i-th of them its
 * number in docs[i], its date in dates[i] (QUIRE_NO_DATE when undated), its
 * date precision in precisions[i], its source id in sources[i] (-1 when
 * none) and its text length in text_lengths[i], inflating nothing; any of
 * the five arrays may be NULL, the others hold at least cap elements, and
 * the library writes them during the call only. Stores the number of
 * documents in *count. The cursor is left on the last of them, so its
 * fields can be read, and quire_cursor_seek() reaches any other; the next
 * call (or quire_cursor_next()) goes on after it. Returns QUIRE_ROW when
 * *count > 0 and no damage was met, QUIRE_DONE when no document was left
 * (*count 0, and on every later call), or a negative status: QUIRE_ECORRUPT
 * for a damaged row, with the documents before it stored and counted and
 * the cursor as after a failed quire_cursor_next(); QUIRE_EINVAL for a NULL
 * cursor or count or a cap of 0; QUIRE_ESTATE as quire_cursor_next(). It
 * adds no behaviour to quire_cursor_next(): it is for bindings, where each
 * call into C costs more than reading a document. */
QUIRE_API int quire_cursor_next_batch(quire_cursor *cursor, size_t cap,
                                      uint64_t *docs, int64_t *dates,
                                      int32_t *precisions, int64_t *sources,
                                      uint64_t *text_lengths, size_t *count);

/* ---------------------------------------------------------------------- */
/* Arrow C stream                                                          */
/* ---------------------------------------------------------------------- */

/* The Arrow C Stream Interface struct, defined in quire_arrow.h (the Arrow
 * specification's own definition; include that header, or Arrow's, to use
 * it). */
struct ArrowArrayStream;

/* The default number of documents in a record batch. */
#define QUIRE_ARROW_DEFAULT_BATCH 8192u
#define QUIRE_ARROW_MAX_BATCH (1u << 24)

/* Opens an Arrow C stream (Arrow's C Stream Interface) over the documents of
 * corpus that match filter (NULL for all; everything a filter can select
 * applies, and the filter may be freed at once), in document order, as
 * record batches of at most batch_size documents (0 for
 * QUIRE_ARROW_DEFAULT_BATCH; at most QUIRE_ARROW_MAX_BATCH). The batches are
 * read through a cursor and copied into memory of their own: each batch's
 * memory is given back when the consumer releases it, and the stream holds
 * one batch's worth at most, whatever the corpus size. (Given back: its
 * buffers of 256 KiB or more are kept, at most 1 GiB in all, for the next
 * batches to write over; the next release frees those kept over a second,
 * a parked helper thread those kept 10 s, and quire_set_allocator() frees
 * them at once. ABI.md, "Allocator", has the rules.)
 *
 * columns is a comma-separated list (case-insensitive; NULL or len 0 for
 * all, in this order) of:
 *   doc             uint64, the document number
 *   source          dictionary<int32, utf8>: the dictionary is the corpus's
 *                   source table (index = source id); null when none
 *   date            timestamp[s, UTC], the date's first instant; null when
 *                   undated
 *   date_precision  int8, QUIRE_DATE_YEAR .. QUIRE_DATE_SECOND; null when
 *                   undated
 *   date_text       utf8, the date as given (quire_cursor_field()'s
 *                   QUIRE_FIELD_DATE); null when undated
 *   title, author, url  utf8; null when empty
 *   text            large_utf8
 * (docs/guide.md, "Arrow C stream", gives the Arrow formats.) A column not
 * in the list is never read: without title, author and url no
 * metadata block is inflated, without text no text block is. A batch ends
 * early rather than hold 2 GiB or more in one utf8 column.
 *
 * threads: 1 reads on the calling thread only; 2, or 0 for the default,
 * lets helper threads (two where there are two cores, for text blocks and
 * again for metadata blocks) inflate the next blocks while the calling
 * thread copies: only for the kinds of block the columns need, and only
 * when the selection reads enough of them to pay for the threads (at least
 * 8 text or 256 metadata blocks after its first). The batches are the same
 * either way.
 *
 * On QUIRE_OK, *out is a stream the caller owns and must release with
 * out->release(out), from any thread. On any failure but QUIRE_ENOMEM, *out
 * is a failed stream (the handle convention at the top): its get_schema and
 * get_next return EINVAL and its get_last_error says why. On QUIRE_ENOMEM
 * out->release is NULL. Returns QUIRE_OK, QUIRE_EINVAL (NULL or failed corpus,
 * NULL out, unknown or repeated column, batch size or threads out of range),
 * QUIRE_ECORRUPT or QUIRE_ENOMEM.
 *
 * get_next returns 0, or an errno code: EIO for damage (QUIRE_ECORRUPT),
 * ENOMEM, EINVAL otherwise; get_last_error then returns the quire message,
 * valid until the next call on the stream. The stream keeps the corpus's
 * memory alive: quire_corpus_free() may come before the stream is released,
 * from any thread, and every later get_schema or get_next then fails with
 * EINVAL ("corpus is closed"), while batches already handed out stay valid.
 * The file is unmapped when both the corpus is closed and its last stream
 * released. One thread at a time per stream, as for a cursor. */
QUIRE_API int quire_arrow_stream_open(const quire_corpus *corpus,
                                      const quire_filter *filter,
                                      const char *columns, size_t len,
                                      uint64_t batch_size, int threads,
                                      struct ArrowArrayStream *out);

/* ---------------------------------------------------------------------- */
/* Writing a corpus                                                        */
/* ---------------------------------------------------------------------- */

typedef struct quire_writer quire_writer;

/* Document orders of a written file: QUIRE_ORDER_CLUSTERED by source name,
 * then date, then input order, so that filters touch few blocks (the
 * default); QUIRE_ORDER_INPUT exactly the order documents were added.
 * docs/guide.md, "Document order", gives the exact rule. */
#define QUIRE_ORDER_CLUSTERED 0
#define QUIRE_ORDER_INPUT 1

/* What the writer does with text that is not valid UTF-8. */
#define QUIRE_UTF8_REJECT 0  /* the document is refused with QUIRE_EUTF8 */
#define QUIRE_UTF8_REPLACE 1 /* each invalid sequence becomes U+FFFD */

/* Starts writing a corpus that will appear at path when
 * quire_writer_finish() succeeds, and not before: the data goes to a
 * temporary file in the same directory, which is synced and renamed over
 * path (ABI.md, "Files written", says what happens when path is a link or
 * a device). Returns QUIRE_OK, QUIRE_ENOTFOUND (the directory does not
 * exist), QUIRE_EIO (it cannot be written, or path is a pipe: the header is
 * written last, at the start), QUIRE_EINVAL (path NULL or empty) or
 * QUIRE_ENOMEM (handle convention at the top). A writer's memory does not
 * grow with the texts (docs/guide.md, "Writing a corpus", says what it
 * keeps and what it spills to disk).
 *
 * The options set below, all but quire_writer_set_utf8() and
 * quire_writer_set_progress(), are for before the first document only:
 * afterwards, or on a finished or failed writer, they return QUIRE_ESTATE.
 * A value out of range is QUIRE_EINVAL. */
QUIRE_API int quire_writer_open(const char *path, quire_writer **out);

/* Sets the uncompressed size text blocks are cut at (QUIRE_MIN_BLOCK_SIZE to
 * QUIRE_MAX_BLOCK_SIZE; default QUIRE_DEFAULT_BLOCK_SIZE for zstd,
 * QUIRE_DEFAULT_DEFLATE_BLOCK_SIZE for DEFLATE). Larger blocks compress
 * better; smaller ones make reading one document cheaper. Before the first
 * document only. */
QUIRE_API int quire_writer_set_block_size(quire_writer *writer, uint32_t size);

/* Sets the block codec: QUIRE_CODEC_ZSTD (default; the file is format 1.1
 * and needs a 1.1 reader) or QUIRE_CODEC_DEFLATE (a 1.0 reader reads the
 * file). Resets the level to the new codec's default when the codec
 * changes, so set the codec first. Before the first document only. */
QUIRE_API int quire_writer_set_codec(quire_writer *writer, int codec);

/* Sets the level on the codec's own scale: zstd 1 (fastest) to 22
 * (smallest), default QUIRE_DEFAULT_ZSTD_LEVEL; DEFLATE 1 to 9, default 9.
 * QUIRE_EINVAL for a level outside the current codec's scale. Before the
 * first document only. */
QUIRE_API int quire_writer_set_level(quire_writer *writer, int level);

/* Sets the size in bytes of the zstd dictionary trained on a sample of the
 * corpus's own texts and stored in the file (a smaller one, an eighth, is
 * trained for the metadata): QUIRE_MIN_DICTIONARY_SIZE to
 * QUIRE_MAX_DICTIONARY_SIZE, or 0 for none; default
 * QUIRE_DEFAULT_DICTIONARY_SIZE. Ignored for DEFLATE. The size is an upper
 * bound: a dictionary is at most a fiftieth of the texts it serves (a tenth
 * of the metadata), so a small corpus gets a small one, and the file stores
 * it compressed (to about a third). A corpus of about one block of text, or
 * too few documents to learn from, gets no dictionary.
 * Training runs on the calling thread, on a sample spread over the whole
 * corpus, so the file does not change with the thread count. Before the
 * first document only. */
QUIRE_API int quire_writer_set_dictionary_size(quire_writer *writer,
                                               uint32_t size);

/* Sets whether the file gets word summaries (on by default): per text
 * block, a Bloom filter of its words (docs/FORMAT.md, "Word summaries"),
 * and the documents of the rarest words ("Word postings"), together under
 * 3% of the file, which let a filter's terms (quire_filter_add_term()) skip
 * the blocks that cannot hold them, and find a rare word's documents
 * without reading a block. on 0 leaves them out; such files, like those of
 * older writers, are filtered by reading every candidate block, with the
 * same results. Before the first document only. */
QUIRE_API int quire_writer_set_word_summaries(quire_writer *writer, int on);

/* Sets QUIRE_ORDER_CLUSTERED (default) or QUIRE_ORDER_INPUT. Before the first
 * document only. */
QUIRE_API int quire_writer_set_order(quire_writer *writer, int order);

/* Sets QUIRE_UTF8_REJECT (default) or QUIRE_UTF8_REPLACE. It may be changed
 * at any time and applies to the documents added after. Returns QUIRE_OK or
 * QUIRE_EINVAL. */
QUIRE_API int quire_writer_set_utf8(quire_writer *writer, int policy);

/* Sets how many threads compress blocks: 1 compresses on the calling
 * thread; N from 2 to 64 starts N - 1 helper threads that compress while
 * the calling thread reads, sorts, indexes words and writes, and the
 * calling thread compresses too whenever the helpers fall behind, so N
 * keeps N cores busy. The default is the number of cores (at most 64), as
 * zstd -T0 does. The file is the same, byte for byte, whatever the count. */
QUIRE_API int quire_writer_set_threads(quire_writer *writer, int threads);

/* One document for quire_writer_add_document(). Each field is a pointer and
 * a length in bytes, not NUL-terminated; a NULL pointer with length 0 is an
 * empty field. source and date may be empty: the document then has no source
 * or no date. date is ISO 8601 or RFC 2822 as quire_date_parse() accepts;
 * the writer keeps its precision and zone. The strings are the caller's: the
 * writer copies what it keeps before quire_writer_add_document() returns.
 *
 * size says which version of the struct the caller was compiled with, so
 * that fields can be added at the end in a later release: set it to
 * sizeof(quire_document), which QUIRE_DOCUMENT_INIT does. A size smaller
 * than this header's struct is QUIRE_EINVAL. A library older than the
 * caller's header accepts the larger struct (up to 4,096 bytes) only when
 * every byte it does not know is zero, and refuses it with QUIRE_EINVAL
 * otherwise. */
typedef struct quire_document {
  size_t size;
  const char *source;
  size_t source_len;
  const char *date;
  size_t date_len;
  const char *title;
  size_t title_len;
  const char *author;
  size_t author_len;
  const char *url;
  size_t url_len;
  const char *text;
  size_t text_len;
} quire_document;

/* An empty document of this header's version, for initialising one in C
 * and in C++: quire_document doc = QUIRE_DOCUMENT_INIT; */
/* clang-format off */
#define QUIRE_DOCUMENT_INIT \
  {sizeof(quire_document), NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0}
/* clang-format on */

/* Adds one document. Every string is checked against its limit and for
 * UTF-8. Memory does not grow with the text: each text goes to disk before
 * the call returns. Returns QUIRE_OK; QUIRE_EDATE, QUIRE_EUTF8 or
 * QUIRE_ELIMIT for a bad document, or QUIRE_EINVAL for a bad doc (NULL, a
 * size quire_document's rule above refuses, a NULL field with a length),
 * which is then not added while the writer stays usable; QUIRE_EIO or
 * QUIRE_ENOMEM, after which the writer is failed; QUIRE_ESTATE on a finished
 * or failed writer. */
QUIRE_API int quire_writer_add_document(quire_writer *writer,
                                        const quire_document *doc);

/* Returns the number of documents added so far (0 for NULL), counting a
 * corpus's documents from the moment quire_writer_add_corpus() adds it (an
 * append's from the open). */
QUIRE_API uint64_t quire_writer_doc_count(const quire_writer *writer);

/* Calls progress(ctx, done, total) from quire_writer_finish(): done
 * documents of total (every document of the file) are in blocks. A
 * clustered writer, which orders and compresses most of its documents
 * there, reports at least every 4,096 documents; every writer reports once
 * when all are in blocks, before the indexes are written. A non-zero return
 * stops quire_writer_finish() with QUIRE_ECALLBACK, leaving the writer
 * failed and no file at its path. progress NULL removes the callback. */
QUIRE_API int quire_writer_set_progress(quire_writer *writer,
                                        quire_progress_fn progress, void *ctx);

/* Sorts the documents (clustered order), writes the indexes, the footer and
 * the header, syncs the file and renames it to the path given at open. A
 * writer with no documents writes a valid empty corpus. Returns QUIRE_OK;
 * QUIRE_EIO, QUIRE_ENOMEM, QUIRE_ECORRUPT (a damaged block of an added
 * corpus, copied now in clustered order; the message starts with the path
 * the corpus was opened from, or "added corpus N" for the Nth added when it
 * was opened on a buffer) or QUIRE_ECALLBACK (the progress callback), after
 * which the writer is failed and no file is left at path,
 * or the one that was there is unchanged; QUIRE_ESTATE on a finished or
 * failed writer. */
QUIRE_API int quire_writer_finish(quire_writer *writer);

/* Frees the writer. If it was not finished, the temporary file is removed
 * and path is left as it was. NULL is a no-op. */
QUIRE_API void quire_writer_free(quire_writer *writer);

/* Returns the message of the writer's last failure, or "". Valid until the
 * next call on the writer. */
QUIRE_API const char *quire_writer_errmsg(const quire_writer *writer);

/* ---------------------------------------------------------------------- */
/* CSV export                                                              */
/* ---------------------------------------------------------------------- */

typedef struct quire_export quire_export;

#define QUIRE_CSV_PLAIN 0 /* RFC 4180, LF line ends, data never altered */
/* QUIRE_CSV_EXCEL: UTF-8 BOM, CRLF, every text cell quoted, formulas made
 * inert, cells cut to 32,767 characters (counted). */
#define QUIRE_CSV_EXCEL 1

/* Creates an export of corpus: all documents, the columns
 * id,source,date,title,author,url,text, the plain dialect. The corpus must
 * outlive the export. Returns QUIRE_OK, QUIRE_EINVAL (corpus NULL, with a
 * failed export: handle convention at the top) or QUIRE_ENOMEM.
 *
 * The setters below return QUIRE_ESTATE while a quire_export_read() run is
 * under way, and change nothing. docs/guide.md, "CSV export", describes the
 * CSV and its two dialects. */
QUIRE_API int quire_export_new(const quire_corpus *corpus, quire_export **out);

/* Frees the export. NULL is a no-op. */
QUIRE_API void quire_export_free(quire_export *exp);

/* Restricts the export to the documents matching filter (copied; NULL for
 * all). Returns QUIRE_OK, QUIRE_EINVAL, QUIRE_ESTATE or QUIRE_ENOMEM. */
QUIRE_API int quire_export_set_filter(quire_export *exp,
                                      const quire_filter *filter);

/* Sets the columns and their order as a comma-separated list of id, source,
 * date, title, author, url, text (case-insensitive), and of these columns
 * derived from the date: year, month, day (integers, the calendar date as
 * the source wrote it; empty when the date does not say, so a month-only
 * date has year and month but no day), datetime_utc (the first instant of
 * the date's period in UTC, "2016-01-01T00:00:00Z"; empty when undated) and
 * date_precision (year, month, day, minute or second; empty when undated).
 * At most 16 columns; a column may repeat. Returns QUIRE_OK, QUIRE_EINVAL
 * naming an unknown or empty column (the columns are then unchanged) or
 * QUIRE_ESTATE. */
QUIRE_API int quire_export_set_columns(quire_export *exp, const char *list,
                                       size_t len);

/* Sets QUIRE_CSV_PLAIN (default) or QUIRE_CSV_EXCEL. Returns QUIRE_OK,
 * QUIRE_EINVAL or QUIRE_ESTATE. */
QUIRE_API int quire_export_set_dialect(quire_export *exp, int dialect);

/* Writes the CSV to path atomically: a temporary file in the same directory,
 * synced and renamed over path only when everything was written. On any
 * failure no file is left at path (or the old one is unchanged). A path
 * that is a pipe or a device (/dev/stdout) is written into instead, and
 * stays what it is; a link to a file stays a link (ABI.md, "Files
 * written"). An export may be run any number of times. Returns QUIRE_OK,
 * QUIRE_EINVAL (a failed corpus, NULL arguments), QUIRE_ENOTFOUND (no such
 * directory), QUIRE_EIO, QUIRE_ECORRUPT (a damaged document: the export stops
 * there), QUIRE_ENOMEM, QUIRE_ECALLBACK (the progress callback) or QUIRE_ESTATE
 * (a quire_export_read() run is under way). */
QUIRE_API int quire_export_to_path(quire_export *exp, const char *path);

/* Writes the CSV to an open file descriptor such as 1 (stdout), which it
 * neither closes nor syncs. Past its first 256 KiB, the writes are made by
 * a thread of the export's own (started by this call, with the calling
 * thread's signal mask) while the next rows are formatted; the call returns
 * once every byte is written. Returns as quire_export_to_path(). */
QUIRE_API int quire_export_to_fd(quire_export *exp, int fd);

/* Writes the CSV through write(ctx, data, len), in pieces (usually 64 KiB;
 * a larger cell may come in one piece), which returns 0 to go on or
 * non-zero to stop with QUIRE_ECALLBACK. Memory stays flat whatever the
 * corpus size. Returns as quire_export_to_path(). */
QUIRE_API int quire_export_to_callback(quire_export *exp, quire_write_fn write,
                                       void *ctx);

/* Reads the next part of the CSV into buf, the caller's memory of cap
 * bytes, and stores the number of bytes put there in *n: the pull-style way
 * to stream an export, with no callback and no thread. The first call starts
 * a run over the export's selection; each call fills buf as far as it can.
 * Returns QUIRE_OK while *n > 0, and QUIRE_DONE with *n == 0 once all of the
 * CSV has been read, which ends the run. QUIRE_EINVAL for a NULL buf or n
 * or a cap of 0 changes nothing. Any other status (QUIRE_ECORRUPT,
 * QUIRE_ENOMEM, QUIRE_ECALLBACK, QUIRE_EINVAL for a split export) ends the
 * run, with *n == 0 and a message in quire_export_errmsg(). After the end,
 * reads return the same QUIRE_DONE or QUIRE_ESTATE until a setter or another
 * quire_export_to_*() call starts the export afresh; while a run is under
 * way those return QUIRE_ESTATE. Memory stays flat: the export holds at most
 * one output buffer and one cell beyond cap. */
QUIRE_API int quire_export_read(quire_export *exp, char *buf, size_t cap,
                                size_t *n);

/* Calls progress(ctx, done, total) while the export runs (any of
 * quire_export_to_*() and quire_export_read()): done rows of total, where
 * total is the number of documents the filter selects when its sources and
 * dates alone decide it, and 0 (unknown) when it has terms; at least every
 * 1,024 rows and once at the end. A non-zero return stops the export with
 * QUIRE_ECALLBACK and, for a file, leaves no file behind. progress NULL
 * removes the callback. */
QUIRE_API int quire_export_set_progress(quire_export *exp,
                                        quire_progress_fn progress, void *ctx);

/* Returns the number of documents written by the last run. */
QUIRE_API uint64_t quire_export_rows(const quire_export *exp);

/* Returns the number of cells the last run cut to the spreadsheet limit
 * (excel dialect only). */
QUIRE_API uint64_t quire_export_cells_cut(const quire_export *exp);

/* Returns the message of the export's last failure, or "". Valid until the
 * next call on the export. */
QUIRE_API const char *quire_export_errmsg(const quire_export *exp);

/* ---- spreadsheets: split files, rows past a sheet, XLSX ---------------- */

/* The rows one sheet of a spreadsheet holds, header row included (Excel,
 * and LibreOffice Calc since 7.4). */
#define QUIRE_SHEET_MAX_ROWS 1048576u

/* Makes quire_export_to_path() and quire_export_to_xlsx() write numbered
 * files of at most rows data rows each instead of one file: "-" and the part
 * number, at least three digits, go before the extension of the path's last
 * component ("out.csv" gives out-001.csv, out-002.csv, ...; "out" gives
 * out-001; a leading dot is not an extension), and each file has the header
 * row (and, in the excel dialect, the BOM). An empty selection gives one
 * file with the header only. Each file is written atomically; when a run
 * fails, the files it already wrote are removed (files of an earlier run
 * with more parts are left alone). 0 (the default) writes one file.
 * quire_export_to_fd(), quire_export_to_callback() and quire_export_read()
 * refuse a split export with QUIRE_EINVAL. Returns QUIRE_OK, QUIRE_EINVAL or
 * QUIRE_ESTATE. */
QUIRE_API int quire_export_set_split_rows(quire_export *exp, uint64_t rows);

/* Returns how many rows of the last run went to a CSV file past the
 * QUIRE_SHEET_MAX_ROWS - 1 data rows a spreadsheet shows: rows a spreadsheet
 * opening the file would silently drop (set a split to avoid it). Counted
 * in both dialects, per file when split. Always 0 after
 * quire_export_to_xlsx(), which starts a new sheet instead. */
QUIRE_API uint64_t quire_export_rows_over_sheet(const quire_export *exp);

/* Returns the number of files the last successful run wrote (1 unless split;
 * 0 after a failure or for a descriptor or callback). */
QUIRE_API uint64_t quire_export_files(const quire_export *exp);

/* Writes the selection as an Excel workbook (XLSX, Office Open XML) to path,
 * atomically as quire_export_to_path(), with the columns set on the export
 * (the dialect does not matter). Every text is a string cell, never a
 * formula or a hyperlink, cut to 32,767 characters like the excel dialect
 * (counted by quire_export_cells_cut()) but never prefixed. The id, year,
 * month and day are numbers; a date of day, minute or second precision is a
 * date cell in UTC (from 1900-03-01 on; earlier ones are text as written)
 * and a partial date is its text ("2016", "2016-01"); datetime_utc is a
 * date-time cell and date_precision text; an undated document's date cells
 * are empty. Each sheet has a frozen header row with a filter, and a new
 * sheet starts after QUIRE_SHEET_MAX_ROWS - 1 data rows (docs/guide.md,
 * "Spreadsheets", describes the workbook). Written with
 * libxlsxwriter in its constant-memory mode: memory stays flat, its
 * temporary files go to the directory of path, and its allocations do not go
 * through quire_set_allocator(). libquire loads libxlsxwriter (the version
 * it was built with) at the first call, not at start-up; when it cannot,
 * the call fails with QUIRE_EIO and a message naming it. Returns QUIRE_OK,
 * QUIRE_EINVAL, QUIRE_ENOTFOUND (no such directory), QUIRE_EIO,
 * QUIRE_ECORRUPT, QUIRE_ENOMEM, QUIRE_ECALLBACK or QUIRE_ESTATE; on failure
 * nothing is left at path. */
QUIRE_API int quire_export_to_xlsx(quire_export *exp, const char *path);

/* ---------------------------------------------------------------------- */
/* CSV import                                                              */
/* ---------------------------------------------------------------------- */

typedef struct quire_import quire_import;

/* Creates an importer with the default column names and aliases
 * (docs/guide.md, "CSV import", lists them) and stop-on-first-error. Returns
 * QUIRE_OK or QUIRE_ENOMEM (*out NULL). */
QUIRE_API int quire_import_new(quire_import **out);

/* Frees the importer. NULL is a no-op. */
QUIRE_API void quire_import_free(quire_import *imp);

/* Maps a header name (case-insensitive) to a field, overriding the aliases:
 * QUIRE_FIELD_SOURCE .. QUIRE_FIELD_TEXT, QUIRE_FIELD_FILE (the column names
 * a file, relative to the base directory, whose contents are the text) or
 * QUIRE_FIELD_IGNORE. The latest mapping of a name wins. Returns QUIRE_OK,
 * QUIRE_EINVAL (name NULL, another field) or QUIRE_ENOMEM. */
QUIRE_API int quire_import_map_column(quire_import *imp, const char *name,
                                      size_t len, int field);

/* With skip non-zero, a bad row (wrong field count, bad date, invalid UTF-8,
 * over a limit, unreadable text file) is skipped and recorded instead of
 * stopping the import. Default 0: the first bad row stops the import. */
QUIRE_API int quire_import_set_skip_bad_rows(quire_import *imp, int skip);

/* Sets the directory that relative QUIRE_FIELD_FILE names are relative to
 * (default: the directory of the CSV file; "." for buffers); absolute names
 * are used as they are. dir is a NUL-terminated path, copied; NULL restores
 * the default. Returns QUIRE_OK, QUIRE_EINVAL or QUIRE_ENOMEM. */
QUIRE_API int quire_import_set_base_dir(quire_import *imp, const char *dir);

/* Calls progress(ctx, done, total) while a CSV is read: done bytes of the
 * CSV of total, the file's size (0 for a pipe or other file whose size is
 * not known), at least every MiB and once at the end. A non-zero return
 * stops the import with QUIRE_ECALLBACK. progress NULL removes the
 * callback. */
QUIRE_API int quire_import_set_progress(quire_import *imp,
                                        quire_progress_fn progress, void *ctx);

/* Reads the CSV file at path, streaming, and adds each row to writer. The
 * header row names the columns (docs/guide.md, "CSV import"). A file
 * compressed with gzip or zstd is read as its plain form (recognized by
 * its first bytes; progress then counts the compressed bytes); one cut
 * short or damaged is QUIRE_ECSV, its message saying so. A regular
 * file going into a writer of more than one thread in clustered order is
 * read and parsed on a thread of its own, which the call joins before it
 * returns (ABI.md, "Threads"); everything else is as on the calling
 * thread. Returns
 * QUIRE_OK, QUIRE_ENOTFOUND, QUIRE_EIO, QUIRE_ECSV, QUIRE_EDATE, QUIRE_EUTF8,
 * QUIRE_ELIMIT (message naming file, row and column), QUIRE_EINVAL (two
 * columns for one field, NULL arguments), QUIRE_ENOMEM, QUIRE_ECALLBACK (the
 * progress callback), or the writer's QUIRE_EIO or QUIRE_ESTATE. Rows
 * already added stay in the writer; a caller who wants nothing written on
 * failure closes the writer without finishing it, as the CLI does. */
QUIRE_API int quire_import_csv_path(quire_import *imp, quire_writer *writer,
                                    const char *path);

/* Reads CSV from memory; name, a NUL-terminated string, is what messages
 * call the input (may be NULL). data is read, never changed, and not kept
 * after the call returns. gzip or zstd data is decompressed as it is read,
 * as a compressed file is (progress then counts the compressed bytes; data
 * cut short or damaged is QUIRE_ECSV, its message saying so). Returns as
 * quire_import_csv_path(). */
QUIRE_API int quire_import_csv_buffer(quire_import *imp, quire_writer *writer,
                                      const char *data, size_t len,
                                      const char *name);

/* Returns the number of rows added by all runs of this importer. */
QUIRE_API uint64_t quire_import_rows(const quire_import *imp);

/* Returns the number of bad rows skipped by all runs of this importer. */
QUIRE_API uint64_t quire_import_skipped(const quire_import *imp);

/* Stores in *row the 1-based record number (the header is record 1) of the
 * index-th skipped row and returns QUIRE_OK, or QUIRE_ENOTFOUND beyond the
 * count or beyond the first 1,000 skipped rows, the only ones kept. */
QUIRE_API int quire_import_skipped_row(const quire_import *imp, uint64_t index,
                                       uint64_t *row);

/* Returns the warnings of the last run, one per line (the unknown columns,
 * which are not stored, and the first 100 skipped rows with why), or "".
 * Valid until the next run. */
QUIRE_API const char *quire_import_warnings(const quire_import *imp);

/* Returns the message of the importer's last failure, or "". Valid until
 * the next call on the importer. */
QUIRE_API const char *quire_import_errmsg(const quire_import *imp);

/* ---------------------------------------------------------------------- */
/* Duplicates                                                              */
/* ---------------------------------------------------------------------- */

/* The kinds of duplicates, as bits of a mask (docs/guide.md, "Duplicates",
 * gives the exact rules):
 *  - QUIRE_DUP_URL: the same URL once normalised (scheme and host in lower
 *    case, http and https alike, default port, fragment, trailing slash and
 *    tracking parameters such as utm_*, fbclid and gclid dropped). Documents
 *    without a URL are never URL duplicates.
 *  - QUIRE_DUP_TEXT: the same body text after Unicode NFC and white space
 *    collapsing. Empty texts are never text duplicates.
 *  - QUIRE_DUP_NEAR: texts whose sets of 5-word shingles have an estimated
 *    Jaccard similarity (MinHash, 128 values) of at least the threshold. */
#define QUIRE_DUP_URL 1
#define QUIRE_DUP_TEXT 2
#define QUIRE_DUP_NEAR 4
#define QUIRE_DUP_ALL 7
/* The default near-duplicate threshold: Jaccard similarity of shingles,
 * chosen by measurement (benchmarks/ANALYSIS.md, "Near duplicates"). */
#define QUIRE_DEFAULT_SIMILARITY 0.4

typedef struct quire_dups quire_dups;

/* Creates a duplicate finder for every kind (QUIRE_DUP_ALL) at the default
 * threshold. Returns QUIRE_OK or QUIRE_ENOMEM (*out NULL). Free it with
 * quire_dups_free(). */
QUIRE_API int quire_dups_new(quire_dups **out);

/* Frees the finder and every group it holds. NULL is a no-op. */
QUIRE_API void quire_dups_free(quire_dups *dups);

/* Sets the kinds to look for, a non-zero mask of QUIRE_DUP_* bits. Before
 * the first corpus only (QUIRE_ESTATE after). Returns QUIRE_OK or
 * QUIRE_EINVAL (0 or unknown bits). */
QUIRE_API int quire_dups_set_kinds(quire_dups *dups, int kinds);

/* Sets the near-duplicate threshold, a Jaccard similarity above 0 and at
 * most 1 (NaN is QUIRE_EINVAL). Before the first corpus only. Returns QUIRE_OK,
 * QUIRE_EINVAL or QUIRE_ESTATE. */
QUIRE_API int quire_dups_set_similarity(quire_dups *dups, double similarity);

/* Reads every document of corpus, in document order, through a cursor
 * (holding one text block at a time), and compares it with the documents
 * of this corpus and of the corpora added before. The corpus is number N
 * in quire_dups_member() when N corpora were added before it; it need not
 * stay open afterwards. Memory grows by about 870 bytes per distinct
 * document for near duplicates (its 256-byte signature, 42 LSH entries and
 * its number), 24 to 32 bytes for url or text, and 24 bytes per duplicate
 * found. Groups are available after each call. Returns QUIRE_OK;
 * QUIRE_EINVAL for a NULL or failed corpus, which changes nothing (the
 * finder goes on); QUIRE_ECORRUPT, QUIRE_ENOMEM or QUIRE_ELIMIT (over
 * QUIRE_MAX_DOCUMENTS documents in all), after which the finder is failed
 * and every call on it but quire_dups_errmsg() and quire_dups_free() returns
 * QUIRE_ESTATE. */
QUIRE_API int quire_dups_add_corpus(quire_dups *dups,
                                    const quire_corpus *corpus);

/* Returns the number of groups found so far (0 for NULL or a failed
 * finder). Groups come ordered by kind (url, text, near), then by their
 * first document. A document is in at most one group of each kind, and a
 * near duplicate joins the group of the most similar earlier first document
 * (the earliest on a tie). */
QUIRE_API uint64_t quire_dups_group_count(const quire_dups *dups);

/* Stores the kind (one QUIRE_DUP_* bit) of group number index in *kind
 * and its number of documents (at least 2) in *size; either pointer may be
 * NULL. Returns QUIRE_OK, QUIRE_ENOTFOUND for an index out of range,
 * QUIRE_EINVAL or QUIRE_ESTATE. */
QUIRE_API int quire_dups_group(const quire_dups *dups, uint64_t index,
                               int *kind, uint64_t *size);

/* Stores member number member (0 .. size-1) of group index: the number of
 * its corpus (in the order of quire_dups_add_corpus()), its document
 * number in that corpus and its similarity to member 0, the group's first
 * document in input order, which is the one --dedup keeps (1 for url and
 * text groups, and for member 0). Member 0 is the first; the others follow
 * in input order. Any output pointer may be NULL. Returns QUIRE_OK,
 * QUIRE_ENOTFOUND, QUIRE_EINVAL or QUIRE_ESTATE. */
QUIRE_API int quire_dups_member(const quire_dups *dups, uint64_t index,
                                uint64_t member, uint32_t *corpus,
                                uint64_t *doc, double *similarity);

/* Returns the message of the finder's last failure, or "". Owned by the
 * finder, valid until the next call on it. */
QUIRE_API const char *quire_dups_errmsg(const quire_dups *dups);

/* Makes writer drop every document that duplicates an earlier document it
 * kept, by any kind of the mask kinds (QUIRE_DUP_*; 0 turns it off), with
 * similarity the near threshold (0 for QUIRE_DEFAULT_SIMILARITY). The
 * first of each group in input order is kept whatever the file's order. A
 * dropped document makes quire_writer_add_document() return QUIRE_OK without
 * adding it; quire_writer_dropped() counts them. Memory as
 * quire_dups_add_corpus() for the documents kept. Before the first document
 * only. Returns QUIRE_OK, QUIRE_EINVAL (unknown bits, a threshold outside
 * (0, 1]), QUIRE_ESTATE or QUIRE_ENOMEM. */
QUIRE_API int quire_writer_set_dedup(quire_writer *writer, int kinds,
                                     double similarity);

/* Returns the number of documents dropped as duplicates so far, those
 * inside one added corpus included. */
QUIRE_API uint64_t quire_writer_dropped(const quire_writer *writer);

/* ---------------------------------------------------------------------- */
/* Merge and append (docs/guide.md, "Merge and append")                    */
/* ---------------------------------------------------------------------- */

/* Adds every document of corpus to writer by copying its compressed blocks
 * verbatim: nothing is decompressed or compressed again, whatever codec or
 * dictionary each block was made with (the dictionaries go into the new file
 * too). Only the rows, block records, indexes and word summaries are made
 * anew. This is how to merge corpora: open a writer, add each corpus, finish.
 * Each copied row and block is checked as it is copied: damage is refused,
 * never carried over.
 *
 * Order: with QUIRE_ORDER_INPUT everything is in the order of the calls
 * (quire_writer_add_document() and this one mixed as you like). With
 * QUIRE_ORDER_CLUSTERED (default) a block's documents stay together: the
 * copied blocks come first, ordered by the source name and then the date of
 * their first document (so each corpus's own blocks keep their order), then
 * the documents added one by one, clustered. Document numbers therefore
 * change; a document's fields never do.
 *
 * With quire_writer_set_dedup() each document is checked (which reads its
 * url and text); a block from which a duplicate is dropped has its other
 * documents compressed again, as quire_writer_add_document() would add them.
 *
 * The writer's first corpus lends its dictionaries to the blocks the writer
 * compresses itself, when their codecs agree, instead of new ones being
 * trained. The writer holds the corpus until quire_writer_free(): the
 * caller may close it at any time after this call, and it is freed when
 * both have let go of it. Returns QUIRE_OK; QUIRE_ELIMIT (too many documents:
 * nothing was added and the writer goes on); QUIRE_ECORRUPT when the corpus
 * is damaged, QUIRE_ENOMEM or QUIRE_EIO, after which the writer is failed
 * (part of the corpus may be written); QUIRE_EINVAL for a NULL writer or a
 * NULL or failed corpus; QUIRE_ESTATE on a finished or failed writer. In
 * clustered order the blocks are copied at finish, so damage in them is
 * reported by quire_writer_finish(). */
QUIRE_API int quire_writer_add_corpus(quire_writer *writer,
                                      const quire_corpus *corpus);

/* Opens a writer that appends to the corpus at path: its blocks are copied
 * verbatim (quire_writer_add_corpus()) and keep their document numbers, the
 * documents given to quire_writer_add_document() follow, compressed with the
 * corpus's own dictionaries, and quire_writer_finish() replaces the file
 * atomically: a crash at any point leaves the old file whole or the new one
 * complete. The writer takes the corpus's codec, level, block size and
 * order; any option may still be changed before the first document
 * (duplicate detection with quire_writer_set_dedup() then covers the old
 * documents too, keeping the first of each group). Returns the same as
 * quire_writer_open(), or the status of opening the corpus (QUIRE_ENOTFOUND,
 * QUIRE_ENOTQUIRE, QUIRE_EVERSION, QUIRE_ECORRUPT...) with the handle
 * convention: *out is then a failed writer whose message, starting "cannot
 * append to PATH", says why. The old file stays mapped, and unchanged, until
 * the writer is freed; damage in its blocks is found when they are copied
 * (at the first document added, or at finish), not at open. */
QUIRE_API int quire_writer_open_append(const char *path, quire_writer **out);

/* ---------------------------------------------------------------------- */
/* Recovery                                                                */
/* ---------------------------------------------------------------------- */

/* Writes to out_path (atomically) a new corpus, in the current format,
 * holding every document of the possibly damaged file at in_path whose row,
 * metadata and text are intact, in the same order (QUIRE_ORDER_INPUT).
 * Stores the numbers of documents kept and lost (either may be NULL) and
 * reports each loss through report (may be NULL), one line each ("document
 * N lost: why"). Returns QUIRE_OK when the new file was written, even if
 * documents were lost; what quire_corpus_open() returns when in_path cannot
 * be opened at all (QUIRE_ECORRUPT when its footer is gone, QUIRE_ENOTFOUND,
 * QUIRE_ENOTQUIRE, QUIRE_EVERSION...); QUIRE_EIO, QUIRE_ENOMEM, QUIRE_EINVAL
 * (a NULL path). */
QUIRE_API int quire_salvage(const char *in_path, const char *out_path,
                            uint64_t *kept, uint64_t *lost,
                            quire_write_fn report, void *ctx);

/* ====================================================================== */
/* Experimental                                                            */
/* ====================================================================== */

/* Calls whose shape may still change in a minor release: they are declared
 * only when QUIRE_EXPERIMENTAL is defined before this header is included,
 * and exported under the symbol version QUIRE_EXPERIMENTAL rather than
 * QUIRE_1.0, so that a program using them says so twice. Such a program is
 * rebuilt against each release, which may change these calls; when a call
 * leaves this section for a release's node, a program built before fails to
 * load rather than calling it wrongly. They are documented and tested as the
 * rest; ABI.md, "Symbol versions", says how a call leaves this section.
 *
 * Splitting into shards is here because the issue it belongs to (clusters
 * of shards for Spark and Dask) is still measuring how shards should be cut
 * and sized. */
#ifdef QUIRE_EXPERIMENTAL

/* ---------------------------------------------------------------------- */
/* Splitting into shards                                                   */
/* ---------------------------------------------------------------------- */

typedef struct quire_split quire_split;

/* What a split groups documents by. */
#define QUIRE_SPLIT_NONE 0   /* consecutive documents (shard count, size) */
#define QUIRE_SPLIT_SOURCE 1 /* one shard per source */
#define QUIRE_SPLIT_YEAR 2   /* one shard per UTC year of the date */
#define QUIRE_SPLIT_MONTH 3  /* one shard per UTC month of the date */

/* Creates a split with one shard, no key and no size limit. Returns
 * QUIRE_OK or QUIRE_ENOMEM (*out NULL). Free it with quire_split_free(). */
QUIRE_API int quire_split_new(quire_split **out);

/* Frees the split and the shard names it holds. NULL is a no-op. */
QUIRE_API void quire_split_free(quire_split *split);

/* Sets the number of shards of QUIRE_SPLIT_NONE, 1 to 1,000,000: the
 * documents are cut into that many runs of consecutive documents of nearly
 * equal counts (fewer when there are fewer documents). Returns QUIRE_OK or
 * QUIRE_EINVAL. */
QUIRE_API int quire_split_set_shards(quire_split *split, uint32_t shards);

/* Sets the key: QUIRE_SPLIT_NONE (default), _SOURCE, _YEAR or _MONTH. A key
 * and a shard count above 1 exclude each other. Returns QUIRE_OK or
 * QUIRE_EINVAL. */
QUIRE_API int quire_split_set_by(quire_split *split, int by);

/* Sets the size in bytes a shard should not pass (0, the default, for no
 * limit): a shard is closed and the next part started before a document
 * that would take its estimated size (the documents' raw bytes times the
 * input's ratio of file size to raw size) over bytes. A single document
 * larger than bytes still gets a shard. */
QUIRE_API int quire_split_set_max_size(quire_split *split, uint64_t bytes);

/* Sets the level and the compressing threads (1 to 64) of the shards'
 * writers, as quire_writer_set_level() and quire_writer_set_threads(). The
 * shards take the input's codec and block size; without a level, the
 * codec's default. A level outside the codec's scale (zstd 1 to 22, DEFLATE
 * 1 to 9) fails the run with QUIRE_EINVAL. Both return QUIRE_OK or
 * QUIRE_EINVAL (level outside 1 to 22, threads outside 1 to 64). */
QUIRE_API int quire_split_set_level(quire_split *split, int level);
QUIRE_API int quire_split_set_threads(quire_split *split, int threads);

/* Writes the documents of corpus as shards into the existing directory dir,
 * in their order in corpus (the shards are written in QUIRE_ORDER_INPUT),
 * every field as it is, date zone included. Names (in dir):
 * part-00000.quire, part-00001.quire ... for QUIRE_SPLIT_NONE;
 * source-NNNNN.quire (NNNNN the source's number in corpus) and
 * source-none.quire; year-YYYY.quire and year-none.quire (undated);
 * month-YYYY-MM.quire and month-none.quire. With a size limit, keyed names
 * take a part number: source-00003-000.quire, source-00003-001.quire.
 * No empty shard is written. Each shard appears atomically (temporary file,
 * renamed when complete) and replaces a file of its name; on failure the
 * shards already complete stay. The text is compressed again, with the
 * input's codec and block size. Returns
 * QUIRE_OK, QUIRE_EINVAL, QUIRE_ENOTFOUND or QUIRE_EIO (dir), QUIRE_ECORRUPT
 * (a damaged input block), QUIRE_ENOMEM; the message is in
 * quire_split_errmsg(). */
QUIRE_API int quire_split_corpus(quire_split *split, const quire_corpus *corpus,
                                 const char *dir);

/* Reads the CSV file at csv_path through imp (configured as for
 * quire_import_csv_path()), then splits it as quire_split_corpus() does.
 * The rows are first packed into a temporary corpus in dir (at the split's
 * level, or the codec's default), removed afterwards. Returns what
 * quire_import_csv_path() and quire_split_corpus() return. */
QUIRE_API int quire_split_csv(quire_split *split, quire_import *imp,
                              const char *csv_path, const char *dir);

/* Returns the number of shards the last run wrote. */
QUIRE_API uint64_t quire_split_shard_count(const quire_split *split);

/* Returns the file name (in dir) of shard index of the last run, or NULL
 * when index is out of range. Owned by the split, valid until its next run
 * or quire_split_free(). */
QUIRE_API const char *quire_split_shard_name(const quire_split *split,
                                             uint64_t index);

/* Returns the message of the split's last failure, or "". Valid until the
 * next call on the split. */
QUIRE_API const char *quire_split_errmsg(const quire_split *split);

#endif /* QUIRE_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QUIRE_H */
