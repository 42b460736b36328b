/* corpus.c: opening, closing and describing a corpus; reading document N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qn.h"

/* Closes the C corpus once nothing uses it any more, and frees the wrapper
 * once its JS handle is gone too. Everything here runs on the JS thread. */
static void settle(qn_corpus *c) {
  if (c->streams > 0)
    return;
  if (c->closed && c->corpus) {
    quire_corpus_free(c->corpus);
    c->corpus = NULL;
    free(c->copy);
    c->copy = NULL;
  }
  if (c->collected)
    free(c);
}

/* Frees every cursor first, as libquire requires, then the corpus. */
static void shut(qn_corpus *c) {
  qn_cursors_detach(c);
  quire_cursor_free(c->reader);
  c->reader = NULL;
  c->closed = 1;
  settle(c);
}

static void finalize_corpus(napi_env env, void *ptr, void *hint) {
  qn_corpus *c = ptr;
  (void)env;
  (void)hint;
  c->collected = 1;
  shut(c);
}

void qn_corpus_hold(qn_corpus *c) {
  c->streams++;
}

void qn_corpus_release(qn_corpus *c) {
  c->streams--;
  settle(c);
}

qn_corpus *qn_corpus_get(napi_env env, napi_value value) {
  qn_corpus *c = qn_unwrap(env, value, QN_CORPUS);
  if (c && c->closed) {
    qn_throw_status(env, QUIRE_ESTATE, "corpus is closed");
    return NULL;
  }
  return c;
}

/* Hands the result of quire_corpus_open*() to JS: a handle, or the error
 * (the failed handle is closed after its message is read). */
static napi_value opened(napi_env env, int status, quire_corpus *corpus,
                         void *copy) {
  qn_corpus *c;
  napi_value handle;
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, corpus ? quire_corpus_errmsg(corpus) : NULL);
    quire_corpus_free(corpus);
    free(copy);
    return NULL;
  }
  if (!(c = calloc(1, sizeof *c))) {
    quire_corpus_free(corpus);
    free(copy);
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  c->corpus = corpus;
  c->copy = copy;
  c->reader_doc = UINT64_MAX;
  if (!(handle = qn_wrap(env, QN_CORPUS, c, finalize_corpus))) {
    quire_corpus_free(corpus);
    free(copy);
    free(c);
  }
  return handle;
}

/* corpusOpen(path) -> handle */
napi_value qn_corpus_open(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  quire_corpus *corpus = NULL;
  qn_str path;
  int status;
  if (qn_args(env, info, 1, argv) != 0 || qn_get_path(env, argv[0], &path))
    return NULL;
  status = quire_corpus_open(path.data, &corpus);
  qn_str_free(&path);
  return opened(env, status, corpus, NULL);
}

/* corpusOpenBuffer(buffer | typed array | ArrayBuffer) -> handle. The bytes
 * are copied: JS code could change or detach them while the corpus lives. */
napi_value qn_corpus_open_buffer(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data = NULL, *copy;
  size_t len = 0;
  bool is_buffer = false, is_array_buffer = false;
  quire_corpus *corpus = NULL;
  int status;
  if (qn_args(env, info, 1, argv) != 0)
    return NULL;
  napi_is_buffer(env, argv[0], &is_buffer);
  napi_is_arraybuffer(env, argv[0], &is_array_buffer);
  if (is_buffer) {
    QN_CALL(env, napi_get_buffer_info(env, argv[0], &data, &len));
  } else if (is_array_buffer) {
    QN_CALL(env, napi_get_arraybuffer_info(env, argv[0], &data, &len));
  } else {
    qn_throw_type(env, "expected a Buffer, Uint8Array or ArrayBuffer");
    return NULL;
  }
  if (!(copy = malloc(len ? len : 1))) {
    qn_throw_status(env, QUIRE_ENOMEM, "out of memory copying the buffer");
    return NULL;
  }
  if (len)
    memcpy(copy, data, len);
  status = quire_corpus_open_buffer(copy, len, &corpus);
  return opened(env, status, corpus, copy);
}

/* corpusClose(handle): closes now; a second call does nothing. */
napi_value qn_corpus_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_corpus *c;
  if (qn_args(env, info, 1, argv) != 0 ||
      !(c = qn_unwrap(env, argv[0], QN_CORPUS)))
    return NULL;
  if (!c->closed)
    shut(c);
  return qn_undefined(env);
}

static int set_number(napi_env env, napi_value obj, const char *name,
                      double value) {
  return qn_set(env, obj, name, qn_number(env, value));
}

/* corpusPacking(handle) -> {codec, level, blockSize, dictionaries} */
napi_value qn_corpus_packing(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj, sizes;
  qn_corpus *c;
  int codec = 0, level = 0, status;
  uint32_t block_size = 0;
  if (qn_args(env, info, 1, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  status = quire_corpus_codec(c->corpus, &codec, &level, &block_size);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_corpus_errmsg(c->corpus));
    return NULL;
  }
  uint64_t count = quire_corpus_dictionary_count(c->corpus);
  QN_CALL(env, napi_create_array_with_length(env, (size_t)count, &sizes));
  for (uint64_t i = 0; i < count; i++) {
    uint32_t size = 0;
    status = quire_corpus_dictionary(c->corpus, i, NULL, &size, NULL);
    if (status != QUIRE_OK) {
      qn_throw_status(env, status, quire_corpus_errmsg(c->corpus));
      return NULL;
    }
    QN_CALL(env, napi_set_element(env, sizes, (uint32_t)i,
                                  qn_number(env, (double)size)));
  }
  QN_CALL(env, napi_create_object(env, &obj));
  if (set_number(env, obj, "codec", codec) ||
      set_number(env, obj, "level", level) ||
      set_number(env, obj, "blockSize", block_size) ||
      qn_set(env, obj, "dictionaries", sizes))
    return NULL;
  return obj;
}

/* corpusInfo(handle) -> {documents, sources, undated, fileSize, rawSize,
 * formatMajor, formatMinor} */
napi_value qn_corpus_info(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj;
  qn_corpus *c;
  int major = 0, minor = 0, status;
  if (qn_args(env, info, 1, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  status = quire_corpus_format_version(c->corpus, &major, &minor);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_corpus_errmsg(c->corpus));
    return NULL;
  }
  QN_CALL(env, napi_create_object(env, &obj));
  if (set_number(env, obj, "documents",
                 (double)quire_corpus_doc_count(c->corpus)) ||
      set_number(env, obj, "sources",
                 (double)quire_corpus_source_count(c->corpus)) ||
      set_number(env, obj, "undated",
                 (double)quire_corpus_undated_count(c->corpus)) ||
      set_number(env, obj, "fileSize",
                 (double)quire_corpus_file_size(c->corpus)) ||
      set_number(env, obj, "rawSize",
                 (double)quire_corpus_raw_size(c->corpus)) ||
      set_number(env, obj, "formatMajor", major) ||
      set_number(env, obj, "formatMinor", minor))
    return NULL;
  return obj;
}

/* corpusDateSpan(handle) -> [first, last] in UTC seconds, or null */
napi_value qn_corpus_date_span(napi_env env, napi_callback_info info) {
  napi_value argv[1], arr, result;
  qn_corpus *c;
  int64_t first = 0, last = 0;
  int status;
  if (qn_args(env, info, 1, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  status = quire_corpus_date_span(c->corpus, &first, &last);
  if (status == QUIRE_ENOTFOUND) {
    QN_CALL(env, napi_get_null(env, &result));
    return result;
  }
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_corpus_errmsg(c->corpus));
    return NULL;
  }
  QN_CALL(env, napi_create_array_with_length(env, 2, &arr));
  QN_CALL(env, napi_set_element(env, arr, 0, qn_number(env, (double)first)));
  QN_CALL(env, napi_set_element(env, arr, 1, qn_number(env, (double)last)));
  return arr;
}

/* corpusSources(handle) -> [{name, documents}] in byte order of the names */
napi_value qn_corpus_sources(napi_env env, napi_callback_info info) {
  napi_value argv[1], arr, item;
  qn_corpus *c;
  uint64_t count, i, docs;
  if (qn_args(env, info, 1, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  count = quire_corpus_source_count(c->corpus);
  QN_CALL(env, napi_create_array_with_length(env, (size_t)count, &arr));
  for (i = 0; i < count; i++) {
    const char *name = NULL;
    size_t len = 0;
    int status = quire_corpus_source(c->corpus, i, &name, &len, &docs);
    if (status != QUIRE_OK) {
      qn_throw_status(env, status, quire_corpus_errmsg(c->corpus));
      return NULL;
    }
    QN_CALL(env, napi_create_object(env, &item));
    if (qn_set(env, item, "name", qn_string(env, name, len)) ||
        set_number(env, item, "documents", (double)docs))
      return NULL;
    QN_CALL(env, napi_set_element(env, arr, (uint32_t)i, item));
  }
  return arr;
}

/* corpusCount(handle, filterSpec) -> number of matching documents */
napi_value qn_corpus_count(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  qn_corpus *c;
  quire_filter *filter = NULL;
  uint64_t count = 0;
  int status;
  if (qn_args(env, info, 2, argv) != 0 || !(c = qn_corpus_get(env, argv[0])) ||
      qn_filter_from_js(env, argv[1], &filter) != 0)
    return NULL;
  status = quire_corpus_count_matches(c->corpus, filter, &count);
  quire_filter_free(filter);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_corpus_errmsg(c->corpus));
    return NULL;
  }
  return qn_number(env, (double)count);
}

/* corpusVerify(handle) -> {damaged, report} */
napi_value qn_corpus_verify(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj = NULL;
  qn_corpus *c;
  uint64_t damaged = 0;
  qn_buf r = {0};
  int status;
  if (qn_args(env, info, 1, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  status = quire_corpus_verify(c->corpus, &damaged, qn_buf_append, &r);
  if (r.oom) {
    qn_throw_status(env, QUIRE_ENOMEM, "out of memory gathering the report");
  } else if (status != QUIRE_OK && status != QUIRE_ECORRUPT) {
    qn_throw_status(env, status, quire_corpus_errmsg(c->corpus));
  } else if (napi_create_object(env, &obj) != napi_ok) {
    qn_throw_napi(env);
    obj = NULL;
  } else if (set_number(env, obj, "damaged", (double)damaged) ||
             qn_set(env, obj, "report", qn_string(env, r.data, r.len))) {
    obj = NULL;
  }
  free(r.data);
  return obj;
}

/* Moves the corpus's random-access cursor to document doc. Returns 0, or -1
 * with an exception pending. */
static int seek_reader(napi_env env, qn_corpus *c, uint64_t doc) {
  int status;
  if (!c->reader) {
    status = quire_cursor_open(c->corpus, NULL, &c->reader);
    if (status != QUIRE_OK) {
      qn_throw_status(env, status,
                      c->reader ? quire_cursor_errmsg(c->reader) : NULL);
      quire_cursor_free(c->reader);
      c->reader = NULL;
      return -1;
    }
  }
  if (c->reader_doc == doc)
    return 0;
  c->reader_doc = UINT64_MAX;
  status = quire_cursor_seek(c->reader, doc);
  if (status != QUIRE_ROW) {
    qn_throw_status(env, status, quire_cursor_errmsg(c->reader));
    return -1;
  }
  c->reader_doc = doc;
  return 0;
}

/* corpusRead(handle, doc, mask) -> [id, date, sourceId, precision,
 * textLength, ...the fields named by mask] for document number doc. */
napi_value qn_corpus_read(napi_env env, napi_callback_info info) {
  napi_value argv[3], arr;
  qn_corpus *c;
  int has_doc, has_mask;
  int64_t doc, mask;
  double nums[QN_NUMS];
  uint32_t i, at = QN_NUMS;
  if (qn_args(env, info, 3, argv) != 0 || !(c = qn_corpus_get(env, argv[0])) ||
      qn_get_opt_int(env, argv[1], "document number", &has_doc, &doc) ||
      qn_get_opt_int(env, argv[2], "field mask", &has_mask, &mask))
    return NULL;
  if (!has_doc || doc < 0) {
    qn_throw_status(env, QUIRE_ENOTFOUND, "no such document");
    return NULL;
  }
  if (seek_reader(env, c, (uint64_t)doc) != 0)
    return NULL;
  qn_cursor_numbers(c->reader, nums);
  QN_CALL(env, napi_create_array(env, &arr));
  for (i = 0; i < QN_NUMS; i++)
    QN_CALL(env, napi_set_element(env, arr, i, qn_number(env, nums[i])));
  if (has_mask &&
      qn_cursor_strings(env, c->reader, (uint32_t)mask, arr, &at) != 0)
    return NULL;
  return arr;
}

/* salvage(inPath, outPath) -> {kept, lost, report} */
napi_value qn_salvage(napi_env env, napi_callback_info info) {
  napi_value argv[2], obj = NULL;
  qn_str in, out;
  uint64_t kept = 0, lost = 0;
  qn_buf r = {0};
  int status;
  if (qn_args(env, info, 2, argv) != 0 || qn_get_path(env, argv[0], &in))
    return NULL;
  if (qn_get_path(env, argv[1], &out) != 0) {
    qn_str_free(&in);
    return NULL;
  }
  status = quire_salvage(in.data, out.data, &kept, &lost, qn_buf_append, &r);
  if (r.oom) {
    qn_throw_status(env, QUIRE_ENOMEM, "out of memory gathering the report");
  } else if (status != QUIRE_OK) {
    char msg[512];
    snprintf(msg, sizeof msg, "cannot salvage %.400s: %s", in.data,
             quire_strerror(status));
    qn_throw_status(env, status, msg);
  } else if (napi_create_object(env, &obj) != napi_ok) {
    qn_throw_napi(env);
    obj = NULL;
  } else if (set_number(env, obj, "kept", (double)kept) ||
             set_number(env, obj, "lost", (double)lost) ||
             qn_set(env, obj, "report", qn_string(env, r.data, r.len))) {
    obj = NULL;
  }
  free(r.data);
  qn_str_free(&in);
  qn_str_free(&out);
  return obj;
}
