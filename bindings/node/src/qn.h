/*
 * qn.h: shared declarations of the Node-API addon over libquire.
 *
 * The addon exports plain functions over opaque handles (externals tagged
 * with their type, so a handle of one kind passed where another is expected
 * is a TypeError, never a crash). lib/index.js wraps them in classes.
 */
#ifndef QN_H
#define QN_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#include "quire.h"

/* ---- errors and arguments (util.c) ----------------------------------------
 */

/* Throws a JS Error (the class registered by setErrorClass, else Error)
 * carrying code (the C status), quireCode (its macro name) and message (or
 * quire_strerror(status) when message is NULL or empty). */
void qn_throw_status(napi_env env, int status, const char *message);

/* The same error as a value, or NULL if it cannot be made. */
napi_value qn_status_error(napi_env env, int status, const char *message);

/* Throws a TypeError for a wrongly typed argument. */
void qn_throw_type(napi_env env, const char *message);

/* After a napi_* call failed: throws its message unless an exception is
 * already pending. */
void qn_throw_napi(napi_env env);

/* Evaluates a napi_* call; on failure throws and returns NULL. */
#define QN_CALL(env, call)                                                     \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      qn_throw_napi(env);                                                      \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

/* Reads exactly n arguments into argv (missing ones are undefined). Returns 0,
 * or -1 with an exception pending. */
int qn_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);

/* A UTF-8 copy of a JS string: short ones live in small, long ones on the
 * heap. Always NUL-terminated. */
typedef struct qn_str {
  char *data;
  size_t len;
  char small[256];
} qn_str;

/* Reads a string (undefined and null give ""). Returns 0, or -1 with a
 * TypeError pending. what names the argument in the message. */
int qn_get_str(napi_env env, napi_value value, const char *what, qn_str *out);

/* As qn_get_str, but refuses "" and strings holding a NUL byte. */
int qn_get_path(napi_env env, napi_value value, qn_str *out);

void qn_str_free(qn_str *s);

/* Reads an optional integer: *has is 0 for undefined or null. Returns 0, or
 * -1 with a TypeError pending for anything but an integral number. */
int qn_get_opt_int(napi_env env, napi_value value, const char *what, int *has,
                   int64_t *out);

/* JS values from C. On failure they throw and return NULL. */
napi_value qn_number(napi_env env, double value);
napi_value qn_string(napi_env env, const char *data, size_t len);
napi_value qn_undefined(napi_env env);

/* Sets a named property of obj; returns 0 or -1 with an exception pending. */
int qn_set(napi_env env, napi_value obj, const char *name, napi_value value);

/* A growing byte string for report callbacks (quire_write_fn). */
typedef struct qn_buf {
  char *data;
  size_t len, cap;
  int oom; /* an append ran out of memory */
} qn_buf;

/* A quire_write_fn appending to the qn_buf ctx; returns 1 when out of
 * memory. */
int qn_buf_append(void *ctx, const char *data, size_t len);

/* A JS onProgress(done, total) behind a quire_progress_fn, for a call that
 * runs on the JS thread (import, finish, export to a path): the callback
 * then runs inside that call, on the JS thread. Returning false stops the
 * call with QUIRE_ECALLBACK; a throw stops it too, and that exception is the
 * one the call throws. */
typedef struct qn_progress {
  napi_env env;
  napi_value fn; /* NULL: no callback */
  int threw;     /* fn threw: its exception is pending */
} qn_progress;

/* Reads the optional callback (undefined or null: none). Returns 0, or -1
 * with a TypeError pending. */
int qn_progress_init(napi_env env, napi_value fn, qn_progress *p);

/* The quire_progress_fn; ctx is a qn_progress. */
int qn_progress_call(void *ctx, uint64_t done, uint64_t total);

/* The JS callback, or NULL when there is none (to pass to a setter). */
quire_progress_fn qn_progress_fn(const qn_progress *p);

/* The kinds of handle the addon hands out. */
typedef enum qn_kind {
  QN_CORPUS,
  QN_CURSOR,
  QN_WRITER,
  QN_STREAM,
  QN_ARROW,
  QN_KIND_COUNT
} qn_kind;

/* Wraps ptr in an external tagged with kind; fin runs on garbage collection.
 * Returns NULL with an exception pending on failure (fin is then not
 * called: the caller still owns ptr). */
napi_value qn_wrap(napi_env env, qn_kind kind, void *ptr, napi_finalize fin);

/* The pointer of a handle of the given kind, or NULL with a TypeError
 * pending. */
void *qn_unwrap(napi_env env, napi_value value, qn_kind kind);

/* Stores the constructor setErrorClass() registered. */
napi_value qn_set_error_class(napi_env env, napi_callback_info info);

/* ---- corpus (corpus.c) --------------------------------------------------- */

typedef struct qn_cursor qn_cursor;

typedef struct qn_corpus {
  quire_corpus *corpus; /* NULL once closed */
  void *copy;           /* the caller's buffer, copied: JS may change it */
  quire_cursor *reader; /* random access for doc(n), made on first use */
  uint64_t reader_doc;  /* the document reader is on, or UINT64_MAX */
  qn_cursor *cursors;   /* live iteration cursors, freed before the corpus */
  int streams;          /* export streams and writers still using it */
  int closed;           /* close() was called or the handle collected */
  int collected;        /* the JS handle is gone: free when streams is 0 */
} qn_corpus;

/* The open corpus of a handle, or NULL with an exception pending (TypeError,
 * or QUIRE_ESTATE when it is closed). */
qn_corpus *qn_corpus_get(napi_env env, napi_value value);

/* An export stream (or a writer that copies the corpus) starts or stops
 * using the corpus; the last one to stop after close() closes it. JS thread
 * only. */
void qn_corpus_hold(qn_corpus *c);
void qn_corpus_release(qn_corpus *c);

napi_value qn_corpus_open(napi_env env, napi_callback_info info);
napi_value qn_corpus_open_buffer(napi_env env, napi_callback_info info);
napi_value qn_corpus_close(napi_env env, napi_callback_info info);
napi_value qn_corpus_info(napi_env env, napi_callback_info info);
napi_value qn_corpus_packing(napi_env env, napi_callback_info info);
napi_value qn_corpus_date_span(napi_env env, napi_callback_info info);
napi_value qn_corpus_sources(napi_env env, napi_callback_info info);
napi_value qn_corpus_count(napi_env env, napi_callback_info info);
napi_value qn_corpus_verify(napi_env env, napi_callback_info info);
napi_value qn_corpus_read(napi_env env, napi_callback_info info);

/* ---- filters (filter.c) -------------------------------------------------- */

/* Builds a filter from {sources?: string[], from?: string, to?: string,
 * undated?: 0|1|2}; undefined or null gives *out = NULL (everything).
 * Returns 0, or -1 with an exception pending. */
int qn_filter_from_js(napi_env env, napi_value spec, quire_filter **out);

/* ---- cursors (cursor.c) -------------------------------------------------- */

/* Frees every cursor of a corpus that is being closed. */
void qn_cursors_detach(qn_corpus *c);

napi_value qn_cursor_open(napi_env env, napi_callback_info info);
napi_value qn_cursor_next_batch(napi_env env, napi_callback_info info);
napi_value qn_cursor_next_columns(napi_env env, napi_callback_info info);
napi_value qn_cursor_close(napi_env env, napi_callback_info info);

/* The numbers every batch and doc(n) report per document, in this order, as
 * doubles: a JS number holds every one of them exactly. */
enum {
  QN_NUM_ID,
  QN_NUM_DATE,
  QN_NUM_SOURCE,
  QN_NUM_PRECISION,
  QN_NUM_TEXT_LENGTH,
  QN_NUMS
};

/* Fills nums with the current document's numbers (the date is NaN when the
 * document has none). */
void qn_cursor_numbers(const quire_cursor *cur, double *nums);

/* Appends to arr, from index *at on, the fields of the current document
 * named by mask (bit 1 << QUIRE_FIELD_TITLE etc., in field order). Returns
 * 0, or -1 with an exception pending. */
int qn_cursor_strings(napi_env env, quire_cursor *cur, uint32_t mask,
                      napi_value arr, uint32_t *at);

/* ---- writer and import (writer.c) ---------------------------------------- */

napi_value qn_writer_open(napi_env env, napi_callback_info info);
napi_value qn_writer_add(napi_env env, napi_callback_info info);
napi_value qn_writer_count(napi_env env, napi_callback_info info);
napi_value qn_writer_finish(napi_env env, napi_callback_info info);
napi_value qn_writer_close(napi_env env, napi_callback_info info);
napi_value qn_writer_import_csv(napi_env env, napi_callback_info info);
napi_value qn_writer_dropped(napi_env env, napi_callback_info info);
napi_value qn_writer_open_append(napi_env env, napi_callback_info info);
napi_value qn_writer_add_corpus(napi_env env, napi_callback_info info);

/* ---- duplicates (dups.c) ------------------------------------------------- */

/* Reads an optional number (the near threshold): *out is 0 for undefined or
 * null. Returns 0, or -1 with a TypeError pending. */
int qn_get_opt_similarity(napi_env env, napi_value value, double *out);
napi_value qn_dups_find(napi_env env, napi_callback_info info);

/* ---- CSV export (export.c, stream.c) --------------------------------------
 */

/* Makes an export of corpus configured from (filter, columns, dialect).
 * Returns it, or NULL with an exception pending. */
quire_export *qn_export_make(napi_env env, qn_corpus *c, napi_value filter,
                             napi_value columns, napi_value dialect);

/* Throws the export's failure. */
void qn_export_throw(napi_env env, quire_export *exp, int status);

/* {rows, cellsCut} of the export's last run. */
napi_value qn_export_result(napi_env env, const quire_export *exp);

napi_value qn_export_to_path(napi_env env, napi_callback_info info);
napi_value qn_stream_open(napi_env env, napi_callback_info info);
napi_value qn_stream_read(napi_env env, napi_callback_info info);
napi_value qn_stream_cancel(napi_env env, napi_callback_info info);

/* ---- Arrow C stream (arrow.c, for lib/arrow.js) -------------------------- */

napi_value qn_arrow_open(napi_env env, napi_callback_info info);
napi_value qn_arrow_next(napi_env env, napi_callback_info info);

/* ---- library-wide functions (addon.c) ------------------------------------ */

napi_value qn_salvage(napi_env env, napi_callback_info info);

#endif
