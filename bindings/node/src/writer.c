/* writer.c: writing a corpus document by document, and CSV import. */
#include <stdlib.h>
#include <string.h>

#include "qn.h"

typedef struct qn_writer {
  quire_writer *writer; /* NULL once closed */
  /* The corpora given to writerAddCorpus, held (qn_corpus_hold) until the
   * C writer, which reads them until it is closed, is closed: a corpus
   * opened on a buffer keeps its copy of the bytes until then. */
  qn_corpus **held;
  size_t held_count, held_cap;
  /* An import or finish is running and may call onProgress, whose JS may
   * call back into this writer: other calls then throw QUIRE_ESTATE and a
   * close() waits for the running call to return (close_pending). */
  int busy;
  int close_pending;
} qn_writer;

/* Closes the C writer (unfinished: the file is abandoned), then lets go of
 * the corpora it read from. */
static void shut_writer(qn_writer *w) {
  quire_writer_free(w->writer);
  w->writer = NULL;
  for (size_t i = 0; i < w->held_count; i++)
    qn_corpus_release(w->held[i]);
  free(w->held);
  w->held = NULL;
  w->held_count = w->held_cap = 0;
}

static void finalize_writer(napi_env env, void *ptr, void *hint) {
  qn_writer *w = ptr;
  (void)env;
  (void)hint;
  shut_writer(w);
  free(w);
}

static qn_writer *get_writer(napi_env env, napi_value value) {
  qn_writer *w = qn_unwrap(env, value, QN_WRITER);
  if (w && (!w->writer || w->close_pending)) {
    qn_throw_status(env, QUIRE_ESTATE, "writer is closed");
    return NULL;
  }
  if (w && w->busy) {
    qn_throw_status(env, QUIRE_ESTATE,
                    "the writer is in finish() or importCsv() (onProgress)");
    return NULL;
  }
  return w;
}

/* Brackets a call that may run JS (onProgress) with the writer in use. */
static void enter_writer(qn_writer *w) {
  w->busy = 1;
}

static void leave_writer(qn_writer *w) {
  w->busy = 0;
  if (w->close_pending)
    shut_writer(w);
}

/* Applies one optional integer setting; returns 0 or -1 with a throw. */
static int apply(napi_env env, quire_writer *w, napi_value value,
                 const char *what, int (*set)(quire_writer *, int)) {
  int has, status;
  int64_t v;
  if (qn_get_opt_int(env, value, what, &has, &v) != 0)
    return -1;
  if (!has)
    return 0;
  status = (v < INT32_MIN || v > INT32_MAX) ? QUIRE_EINVAL : set(w, (int)v);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_writer_errmsg(w));
    return -1;
  }
  return 0;
}

static int set_block_size(quire_writer *w, int size) {
  return size < 0 ? QUIRE_EINVAL
                  : quire_writer_set_block_size(w, (uint32_t)size);
}

static int set_dictionary_size(quire_writer *w, int size) {
  return size < 0 ? QUIRE_EINVAL
                  : quire_writer_set_dictionary_size(w, (uint32_t)size);
}

/* Applies dedup (a QUIRE_DUP_* mask) and similarity, both optional. */
static int set_dedup(napi_env env, quire_writer *w, napi_value kinds,
                     napi_value similarity) {
  int has, status;
  int64_t mask;
  double sim;
  if (qn_get_opt_int(env, kinds, "dedup", &has, &mask) != 0 ||
      qn_get_opt_similarity(env, similarity, &sim) != 0)
    return -1;
  if (!has && sim == 0)
    return 0;
  status = (mask < INT32_MIN || mask > INT32_MAX)
               ? QUIRE_EINVAL
               : quire_writer_set_dedup(w, has ? (int)mask : 0, sim);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_writer_errmsg(w));
    return -1;
  }
  return 0;
}

/* argv: blockSize, level, order, utf8, threads, codec, dictionarySize,
 * dedup, similarity, wordSummaries (each optional). The codec goes first: it
 * resets the level to its default. */
static int configure(napi_env env, quire_writer *w, napi_value *argv) {
  return apply(env, w, argv[5], "codec", quire_writer_set_codec) ||
         apply(env, w, argv[6], "dictionarySize", set_dictionary_size) ||
         apply(env, w, argv[0], "blockSize", set_block_size) ||
         apply(env, w, argv[1], "level", quire_writer_set_level) ||
         apply(env, w, argv[2], "order", quire_writer_set_order) ||
         apply(env, w, argv[3], "utf8", quire_writer_set_utf8) ||
         apply(env, w, argv[4], "threads", quire_writer_set_threads) ||
         set_dedup(env, w, argv[7], argv[8]) ||
         apply(env, w, argv[9], "wordSummaries",
               quire_writer_set_word_summaries);
}

/* Opens a writer at the path argv[0] through opener (quire_writer_open or
 * quire_writer_open_append), applies the settings, and wraps it. */
static napi_value open_writer(napi_env env, napi_value *argv,
                              int (*opener)(const char *, quire_writer **),
                              int (*settings)(napi_env, quire_writer *,
                                              napi_value *)) {
  napi_value handle;
  quire_writer *writer = NULL;
  qn_writer *w;
  qn_str path;
  int status;
  if (qn_get_path(env, argv[0], &path))
    return NULL;
  status = opener(path.data, &writer);
  qn_str_free(&path);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, writer ? quire_writer_errmsg(writer) : NULL);
    quire_writer_free(writer);
    return NULL;
  }
  if (settings(env, writer, argv + 1) != 0) {
    quire_writer_free(writer);
    return NULL;
  }
  if (!(w = calloc(1, sizeof *w))) {
    quire_writer_free(writer);
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  w->writer = writer;
  if (!(handle = qn_wrap(env, QN_WRITER, w, finalize_writer))) {
    quire_writer_free(writer);
    free(w);
  }
  return handle;
}

/* writerOpen(path, blockSize, level, order, utf8, threads, codec,
 * dictionarySize, dedup, similarity, wordSummaries) -> handle */
napi_value qn_writer_open(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (qn_args(env, info, 11, argv) != 0)
    return NULL;
  return open_writer(env, argv, quire_writer_open, configure);
}

/* ---- merge and append ----------------------------------------------------
 */

/* argv: threads, dedup, similarity (each optional). */
static int configure_append(napi_env env, quire_writer *w, napi_value *argv) {
  return apply(env, w, argv[0], "threads", quire_writer_set_threads) ||
         set_dedup(env, w, argv[1], argv[2]);
}

/* writerOpenAppend(path, threads, dedup, similarity) -> handle */
napi_value qn_writer_open_append(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (qn_args(env, info, 4, argv) != 0)
    return NULL;
  return open_writer(env, argv, quire_writer_open_append, configure_append);
}

/* writerAddCorpus(handle, corpusHandle): copies every block of an open
 * corpus. The corpus is held until the writer is closed. */
napi_value qn_writer_add_corpus(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  qn_writer *w;
  qn_corpus *c;
  int status;
  if (qn_args(env, info, 2, argv) != 0 || !(w = get_writer(env, argv[0])) ||
      !(c = qn_corpus_get(env, argv[1])))
    return NULL;
  if (w->held_count == w->held_cap) {
    size_t cap = w->held_cap ? w->held_cap * 2 : 4;
    qn_corpus **grown = realloc(w->held, cap * sizeof *grown);
    if (!grown) {
      qn_throw_status(env, QUIRE_ENOMEM, NULL);
      return NULL;
    }
    w->held = grown;
    w->held_cap = cap;
  }
  /* Held whatever the outcome: a failed call may have taken a hold too. */
  qn_corpus_hold(c);
  w->held[w->held_count++] = c;
  status = quire_writer_add_corpus(w->writer, c->corpus);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_writer_errmsg(w->writer));
    return NULL;
  }
  return qn_undefined(env);
}

/* writerAdd(handle, source, date, title, author, url, text) */
napi_value qn_writer_add(napi_env env, napi_callback_info info) {
  static const char *const names[6] = {"source", "date", "title",
                                       "author", "url",  "text"};
  napi_value argv[7];
  qn_str s[6];
  qn_writer *w;
  int i, got = 0, status = QUIRE_OK;
  if (qn_args(env, info, 7, argv) != 0 || !(w = get_writer(env, argv[0])))
    return NULL;
  for (got = 0; got < 6; got++)
    if (qn_get_str(env, argv[got + 1], names[got], &s[got]) != 0)
      break;
  if (got == 6) {
    quire_document doc = QUIRE_DOCUMENT_INIT;
    doc.source = s[0].data;
    doc.source_len = s[0].len;
    doc.date = s[1].data;
    doc.date_len = s[1].len;
    doc.title = s[2].data;
    doc.title_len = s[2].len;
    doc.author = s[3].data;
    doc.author_len = s[3].len;
    doc.url = s[4].data;
    doc.url_len = s[4].len;
    doc.text = s[5].data;
    doc.text_len = s[5].len;
    status = quire_writer_add_document(w->writer, &doc);
  }
  for (i = 0; i < got; i++)
    qn_str_free(&s[i]);
  if (got < 6)
    return NULL;
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_writer_errmsg(w->writer));
    return NULL;
  }
  return qn_undefined(env);
}

/* writerCount(handle) -> documents added so far */
napi_value qn_writer_count(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_writer *w;
  if (qn_args(env, info, 1, argv) != 0 || !(w = get_writer(env, argv[0])))
    return NULL;
  return qn_number(env, (double)quire_writer_doc_count(w->writer));
}

/* writerDropped(handle) -> documents dropped as duplicates */
napi_value qn_writer_dropped(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_writer *w;
  if (qn_args(env, info, 1, argv) != 0 || !(w = get_writer(env, argv[0])))
    return NULL;
  return qn_number(env, (double)quire_writer_dropped(w->writer));
}

/* writerFinish(handle, onProgress) -> documents written. onProgress(done,
 * total) runs inside, on this thread, while the documents go into blocks. */
napi_value qn_writer_finish(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL;
  qn_writer *w;
  qn_progress progress;
  int status = QUIRE_OK;
  if (qn_args(env, info, 2, argv) != 0 || !(w = get_writer(env, argv[0])) ||
      qn_progress_init(env, argv[1], &progress) != 0)
    return NULL;
  if (progress.fn)
    status = quire_writer_set_progress(w->writer, qn_progress_fn(&progress),
                                       &progress);
  enter_writer(w);
  if (status == QUIRE_OK)
    status = quire_writer_finish(w->writer);
  if (progress.fn) /* progress lives on this stack frame only */
    quire_writer_set_progress(w->writer, NULL, NULL);
  if (status != QUIRE_OK)
    qn_throw_status(env, status, quire_writer_errmsg(w->writer));
  else
    result = qn_number(env, (double)quire_writer_doc_count(w->writer));
  leave_writer(w);
  return result;
}

/* writerClose(handle): frees the writer; unfinished, the file is abandoned.
 * A second call does nothing. */
napi_value qn_writer_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_writer *w;
  if (qn_args(env, info, 1, argv) != 0 ||
      !(w = qn_unwrap(env, argv[0], QN_WRITER)))
    return NULL;
  if (w->busy)
    w->close_pending = 1; /* from onProgress: the running call closes it */
  else
    shut_writer(w);
  return qn_undefined(env);
}

/* ---- CSV import ------------------------------------------------------------
 */

/* Maps the [headerName, field] pairs of columns (field numbers). */
static int map_columns(napi_env env, quire_import *imp, napi_value columns) {
  bool is_array = false;
  uint32_t n = 0, i;
  napi_valuetype type;
  napi_typeof(env, columns, &type);
  if (type == napi_undefined || type == napi_null)
    return 0;
  if (napi_is_array(env, columns, &is_array) != napi_ok || !is_array) {
    qn_throw_type(env, "columns must be an array of [name, field] pairs");
    return -1;
  }
  napi_get_array_length(env, columns, &n);
  for (i = 0; i < n; i++) {
    napi_value pair, name_v, field_v;
    qn_str name;
    int has, status;
    int64_t field;
    if (napi_get_element(env, columns, i, &pair) != napi_ok ||
        napi_get_element(env, pair, 0, &name_v) != napi_ok ||
        napi_get_element(env, pair, 1, &field_v) != napi_ok) {
      qn_throw_type(env, "columns must be an array of [name, field] pairs");
      return -1;
    }
    if (qn_get_opt_int(env, field_v, "field", &has, &field) != 0 ||
        qn_get_str(env, name_v, "column name", &name) != 0)
      return -1;
    status = quire_import_map_column(imp, name.data, name.len,
                                     has ? (int)field : -1);
    qn_str_free(&name);
    if (status != QUIRE_OK) {
      qn_throw_status(env, status, quire_import_errmsg(imp));
      return -1;
    }
  }
  return 0;
}

/* argv: columns, skipBadRows (boolean), baseDir (optional string). */
static int configure_import(napi_env env, quire_import *imp, napi_value *argv) {
  bool skip = false;
  napi_valuetype type;
  qn_str dir;
  int status = QUIRE_OK;
  if (map_columns(env, imp, argv[0]) != 0)
    return -1;
  napi_typeof(env, argv[1], &type);
  if (type == napi_boolean)
    napi_get_value_bool(env, argv[1], &skip);
  if ((status = quire_import_set_skip_bad_rows(imp, skip)) != QUIRE_OK)
    return qn_throw_status(env, status, quire_import_errmsg(imp)), -1;
  if (qn_get_str(env, argv[2], "baseDir", &dir) != 0)
    return -1;
  if (dir.len)
    status = quire_import_set_base_dir(imp, dir.data);
  qn_str_free(&dir);
  if (status != QUIRE_OK)
    return qn_throw_status(env, status, quire_import_errmsg(imp)), -1;
  return 0;
}

/* Runs the import from a path (a string) or from the bytes of a Buffer. */
static int run_import(napi_env env, quire_import *imp, quire_writer *writer,
                      napi_value source) {
  bool is_buffer = false;
  int status;
  napi_is_buffer(env, source, &is_buffer);
  if (is_buffer) {
    void *data = NULL;
    size_t len = 0;
    if (napi_get_buffer_info(env, source, &data, &len) != napi_ok)
      return qn_throw_napi(env), -1;
    status = quire_import_csv_buffer(imp, writer, data, len, "buffer");
  } else {
    qn_str path;
    if (qn_get_path(env, source, &path) != 0)
      return -1;
    status = quire_import_csv_path(imp, writer, path.data);
    qn_str_free(&path);
  }
  if (status != QUIRE_OK)
    return qn_throw_status(env, status, quire_import_errmsg(imp)), -1;
  return 0;
}

static napi_value import_result(napi_env env, const quire_import *imp) {
  napi_value obj, rows;
  uint64_t skipped = quire_import_skipped(imp), i, row;
  const char *warnings = quire_import_warnings(imp);
  QN_CALL(env, napi_create_object(env, &obj));
  QN_CALL(env, napi_create_array(env, &rows));
  for (i = 0; i < skipped; i++) {
    if (quire_import_skipped_row(imp, i, &row) != QUIRE_OK)
      break; /* only the first 1,000 are kept */
    QN_CALL(env, napi_set_element(env, rows, (uint32_t)i,
                                  qn_number(env, (double)row)));
  }
  if (qn_set(env, obj, "rows",
             qn_number(env, (double)quire_import_rows(imp))) ||
      qn_set(env, obj, "skipped", qn_number(env, (double)skipped)) ||
      qn_set(env, obj, "skippedRows", rows) ||
      qn_set(env, obj, "warnings",
             qn_string(env, warnings, warnings ? strlen(warnings) : 0)))
    return NULL;
  return obj;
}

/* writerImportCsv(handle, pathOrBuffer, columns, skipBadRows, baseDir,
 * onProgress) -> {rows, skipped, skippedRows, warnings}. onProgress(bytes,
 * total) runs inside, on this thread. */
napi_value qn_writer_import_csv(napi_env env, napi_callback_info info) {
  napi_value argv[6], result = NULL;
  qn_writer *w;
  quire_import *imp = NULL;
  qn_progress progress;
  int status;
  if (qn_args(env, info, 6, argv) != 0 || !(w = get_writer(env, argv[0])) ||
      qn_progress_init(env, argv[5], &progress) != 0)
    return NULL;
  if ((status = quire_import_new(&imp)) != QUIRE_OK) {
    qn_throw_status(env, status, imp ? quire_import_errmsg(imp) : NULL);
    quire_import_free(imp);
    return NULL;
  }
  if (progress.fn &&
      (status = quire_import_set_progress(imp, qn_progress_fn(&progress),
                                          &progress)) != QUIRE_OK) {
    qn_throw_status(env, status, quire_import_errmsg(imp));
  } else if (configure_import(env, imp, argv + 2) == 0) {
    enter_writer(w);
    if (run_import(env, imp, w->writer, argv[1]) == 0)
      result = import_result(env, imp);
    leave_writer(w);
  }
  quire_import_free(imp);
  return result;
}
