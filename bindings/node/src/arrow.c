/*
 * arrow.c: libquire's Arrow C stream (quire_arrow_stream_open) for
 * lib/arrow.js, which builds apache-arrow Tables from it.
 *
 * No copy: every buffer of a batch becomes an external ArrayBuffer over
 * libquire's own memory. Each column (a child array of the batch, which the
 * C Stream Interface lets a consumer move out and release on its own) is
 * kept alive by its ArrayBuffers: the last one collected releases it.
 * Should the runtime refuse external ArrayBuffers (a V8 sandbox), the bytes
 * are copied instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qn.h"
#include "quire_arrow.h"

typedef struct qn_arrow {
  struct ArrowArrayStream stream;
  int ncols;
  char formats[9][8]; /* each column's format, from the schema */
} qn_arrow;

/* One column moved out of its batch, alive while its ArrayBuffers are. */
typedef struct qn_column {
  struct ArrowArray array;
  int refs;
} qn_column;

static void column_unref(qn_column *col) {
  if (--col->refs > 0)
    return;
  if (col->array.release)
    col->array.release(&col->array);
  free(col);
}

static void buffer_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  column_unref(hint);
}

static void arrow_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  qn_arrow *a = data;
  if (a->stream.release)
    a->stream.release(&a->stream);
  free(a);
}

/* Throws the stream's failure as a quire error. */
static void throw_stream(napi_env env, struct ArrowArrayStream *s, int err) {
  const char *msg = s->release && s->get_last_error ? s->get_last_error(s) : "";
  int status = err == EIO                                ? QUIRE_ECORRUPT
               : err == ENOMEM                           ? QUIRE_ENOMEM
               : msg && !strcmp(msg, "corpus is closed") ? QUIRE_ESTATE
                                                         : QUIRE_EINVAL;
  qn_throw_status(env, status, msg);
}

/* arrowOpen(corpus, filter, columns, batchSize) -> [handle, names,
 * formats] */
napi_value qn_arrow_open(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (qn_args(env, info, 4, argv) != 0)
    return NULL;
  qn_corpus *c = qn_corpus_get(env, argv[0]);
  if (!c)
    return NULL;
  qn_str cols;
  int has;
  int64_t batch = 0;
  if (qn_get_opt_int(env, argv[3], "batchSize", &has, &batch) != 0)
    return NULL;
  if (has && (batch < 1 || batch > QUIRE_ARROW_MAX_BATCH)) {
    qn_throw_status(env, QUIRE_EINVAL, "batchSize is out of range");
    return NULL;
  }
  if (qn_get_str(env, argv[2], "columns", &cols) != 0)
    return NULL;
  quire_filter *f;
  if (qn_filter_from_js(env, argv[1], &f) != 0) {
    qn_str_free(&cols);
    return NULL;
  }
  qn_arrow *a = calloc(1, sizeof *a);
  if (!a) {
    quire_filter_free(f);
    qn_str_free(&cols);
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  int status = quire_arrow_stream_open(c->corpus, f, cols.data, cols.len,
                                       (uint64_t)batch, 0, &a->stream);
  quire_filter_free(f);
  qn_str_free(&cols);
  struct ArrowSchema schema = {0};
  int err = status == QUIRE_OK ? a->stream.get_schema(&a->stream, &schema) : 0;
  if (status != QUIRE_OK || err) {
    if (status != QUIRE_OK) {
      const char *msg =
          a->stream.release ? a->stream.get_last_error(&a->stream) : NULL;
      qn_throw_status(env, status, msg);
    } else {
      throw_stream(env, &a->stream, err);
    }
    arrow_finalize(env, a, NULL);
    return NULL;
  }
  napi_value names, formats, out, handle;
  a->ncols = (int)schema.n_children;
  int ok = napi_create_array(env, &names) == napi_ok &&
           napi_create_array(env, &formats) == napi_ok &&
           napi_create_array(env, &out) == napi_ok;
  for (int i = 0; ok && i < a->ncols; i++) {
    const struct ArrowSchema *child = schema.children[i];
    snprintf(a->formats[i], sizeof a->formats[i], "%s", child->format);
    napi_value name = qn_string(env, child->name, strlen(child->name));
    napi_value format = qn_string(env, child->format, strlen(child->format));
    ok = name && format &&
         napi_set_element(env, names, (uint32_t)i, name) == napi_ok &&
         napi_set_element(env, formats, (uint32_t)i, format) == napi_ok;
  }
  schema.release(&schema);
  if (!ok || !(handle = qn_wrap(env, QN_ARROW, a, arrow_finalize))) {
    if (!ok)
      qn_throw_napi(env);
    arrow_finalize(env, a, NULL);
    return NULL;
  }
  if (napi_set_element(env, out, 0, handle) != napi_ok ||
      napi_set_element(env, out, 1, names) != napi_ok ||
      napi_set_element(env, out, 2, formats) != napi_ok) {
    qn_throw_napi(env);
    return NULL;
  }
  return out;
}

/* An ArrayBuffer over len bytes at data, keeping col alive; null for a
 * missing buffer. */
static napi_value buffer(napi_env env, qn_column *col, const void *data,
                         size_t len) {
  napi_value ab;
  if (!data) {
    QN_CALL(env, napi_get_null(env, &ab));
    return ab;
  }
  if (len > 0) {
    col->refs++;
    /* Node-API takes a mutable pointer; JavaScript gets the buffer to
     * read (the Arrow consumer never writes an exported array). */
    napi_status st = napi_create_external_arraybuffer(
        env, (void *)(uintptr_t)data, len, buffer_finalize, col, &ab);
    if (st == napi_ok)
      return ab;
    col->refs--;
    if (st != napi_no_external_buffers_allowed) {
      qn_throw_napi(env);
      return NULL;
    }
  }
  void *copy;
  QN_CALL(env, napi_create_arraybuffer(env, len, &copy, &ab));
  if (len)
    memcpy(copy, data, len);
  return ab;
}

/* [nullCount, validity, values, data?] of a utf8 ("u"), large_utf8 ("U")
 * or fixed-width array, as ArrayBuffers. */
static napi_value array_value(napi_env env, qn_column *col,
                              const struct ArrowArray *arr,
                              const char *format) {
  size_t n = (size_t)arr->length, width = 0;
  size_t sizes[3] = {(n + 7) / 8, 0, 0};
  if (!strcmp(format, "u")) {
    sizes[1] = (n + 1) * 4;
    sizes[2] = (size_t)((const int32_t *)arr->buffers[1])[n];
  } else if (!strcmp(format, "U")) {
    sizes[1] = (n + 1) * 8;
    sizes[2] = (size_t)((const int64_t *)arr->buffers[1])[n];
  } else {
    width = !strcmp(format, "c") ? 1 : !strcmp(format, "i") ? 4 : 8;
    sizes[1] = n * width;
  }
  napi_value out, v;
  QN_CALL(env, napi_create_array(env, &out));
  if (!(v = qn_number(env, (double)arr->null_count)) ||
      napi_set_element(env, out, 0, v) != napi_ok)
    return NULL;
  for (int64_t b = 0; b < arr->n_buffers; b++) {
    const void *data = arr->buffers[b];
    if (!(v = buffer(env, col, b == 0 && arr->null_count == 0 ? NULL : data,
                     sizes[b])) ||
        napi_set_element(env, out, (uint32_t)b + 1, v) != napi_ok)
      return NULL;
  }
  return out;
}

/* arrowNext(handle) -> null at the end, or [length, columns]: each column
 * [nullCount, validity, values, data?] plus, for the source column, its
 * dictionary the same way. */
napi_value qn_arrow_next(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (qn_args(env, info, 1, argv) != 0)
    return NULL;
  qn_arrow *a = qn_unwrap(env, argv[0], QN_ARROW);
  if (!a)
    return NULL;
  struct ArrowArray batch;
  int err = a->stream.get_next(&a->stream, &batch);
  if (err) {
    throw_stream(env, &a->stream, err);
    return NULL;
  }
  napi_value out, cols, v;
  if (!batch.release) {
    QN_CALL(env, napi_get_null(env, &out));
    return out;
  }
  /* Move every column out of the batch first: each lives on its own. */
  qn_column *moved[9] = {0};
  int ok = batch.n_children == a->ncols;
  for (int i = 0; ok && i < a->ncols; i++) {
    moved[i] = malloc(sizeof *moved[i]);
    if (!moved[i]) {
      ok = 0;
      break;
    }
    moved[i]->array = *batch.children[i];
    moved[i]->refs = 1; /* ours, until the ArrayBuffers are made */
    batch.children[i]->release = NULL;
  }
  int64_t rows = batch.length;
  batch.release(&batch);
  if (!ok) {
    for (int i = 0; i < a->ncols; i++)
      if (moved[i])
        column_unref(moved[i]);
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  ok = napi_create_array(env, &out) == napi_ok &&
       napi_create_array(env, &cols) == napi_ok &&
       (v = qn_number(env, (double)rows)) != NULL &&
       napi_set_element(env, out, 0, v) == napi_ok &&
       napi_set_element(env, out, 1, cols) == napi_ok;
  for (int i = 0; ok && i < a->ncols; i++) {
    const struct ArrowArray *arr = &moved[i]->array;
    napi_value col = array_value(env, moved[i], arr, a->formats[i]);
    ok = col != NULL;
    if (ok && arr->dictionary) {
      napi_value dict = array_value(env, moved[i], arr->dictionary, "u");
      ok = dict && napi_set_element(env, col, (uint32_t)arr->n_buffers + 1,
                                    dict) == napi_ok;
    }
    ok = ok && napi_set_element(env, cols, (uint32_t)i, col) == napi_ok;
  }
  for (int i = 0; i < a->ncols; i++)
    column_unref(moved[i]);
  if (!ok) {
    qn_throw_napi(env);
    return NULL;
  }
  return out;
}
