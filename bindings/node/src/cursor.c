/* cursor.c: iterating the documents of a query in batches.
 *
 * Crossing from JS into C is paid once per batch, never once per document or
 * field; libquire's quire_cursor_next_batch() moves the cursor and reads the
 * numbers. Two ways out:
 *  - cursorNext fills one Float64Array with the numbers of up to `capacity`
 *    documents (QN_NUMS numbers each) and an array with the strings asked
 *    for: the per-document iterator makes Documents of them;
 *  - cursorColumns fills the five typed arrays of a Batch, in place: the
 *    column-wise API, where JS makes no object per document. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qn.h"

/* The columns quire_cursor_next_batch() fills, kept with the cursor so that a
 * batch allocates nothing once the first has. */
typedef struct {
  uint64_t *docs, *text_lengths;
  int64_t *dates, *sources;
  int32_t *precisions;
  size_t cap;
} qn_columns;

struct qn_cursor {
  quire_cursor *cursor; /* NULL once freed */
  qn_columns cols;      /* cursorNext's columns */
  int64_t *source_ids;  /* cursorColumns' sources before they become int32 */
  size_t source_cap;
  qn_corpus *owner; /* NULL once freed or its corpus closed */
  qn_cursor *prev, *next;
  int done;      /* QUIRE_DONE was seen */
  int failed;    /* a failure waits to be thrown by the next call */
  char *failure; /* its message */
  int status;    /* its status */
};

static void unlink_cursor(qn_cursor *k) {
  if (!k->owner)
    return;
  if (k->prev)
    k->prev->next = k->next;
  else
    k->owner->cursors = k->next;
  if (k->next)
    k->next->prev = k->prev;
  k->prev = k->next = NULL;
  k->owner = NULL;
}

static void release(qn_cursor *k) {
  unlink_cursor(k);
  quire_cursor_free(k->cursor);
  k->cursor = NULL;
}

void qn_cursors_detach(qn_corpus *c) {
  while (c->cursors)
    release(c->cursors);
}

static void free_columns(qn_columns *cols) {
  free(cols->docs);
  free(cols->dates);
  free(cols->precisions);
  free(cols->sources);
  free(cols->text_lengths);
  memset(cols, 0, sizeof *cols);
}

/* Makes room for cap documents in cols. Returns 0, or -1 out of memory. */
static int reserve_columns(qn_columns *cols, size_t cap) {
  if (cols->cap >= cap)
    return 0;
  free_columns(cols);
  cols->docs = malloc(cap * sizeof *cols->docs);
  cols->dates = malloc(cap * sizeof *cols->dates);
  cols->precisions = malloc(cap * sizeof *cols->precisions);
  cols->sources = malloc(cap * sizeof *cols->sources);
  cols->text_lengths = malloc(cap * sizeof *cols->text_lengths);
  if (!cols->docs || !cols->dates || !cols->precisions || !cols->sources ||
      !cols->text_lengths) {
    free_columns(cols);
    return -1;
  }
  cols->cap = cap;
  return 0;
}

static void finalize_cursor(napi_env env, void *ptr, void *hint) {
  qn_cursor *k = ptr;
  (void)env;
  (void)hint;
  release(k);
  free_columns(&k->cols);
  free(k->source_ids);
  free(k->failure);
  free(k);
}

/* cursorOpen(corpus, filterSpec) -> handle */
napi_value qn_cursor_open(napi_env env, napi_callback_info info) {
  napi_value argv[2], handle;
  qn_corpus *c;
  quire_filter *filter = NULL;
  quire_cursor *cur = NULL;
  qn_cursor *k;
  int status;
  if (qn_args(env, info, 2, argv) != 0 || !(c = qn_corpus_get(env, argv[0])) ||
      qn_filter_from_js(env, argv[1], &filter) != 0)
    return NULL;
  status = quire_cursor_open(c->corpus, filter, &cur);
  quire_filter_free(filter);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, cur ? quire_cursor_errmsg(cur) : NULL);
    quire_cursor_free(cur);
    return NULL;
  }
  if (!(k = calloc(1, sizeof *k))) {
    quire_cursor_free(cur);
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  k->cursor = cur;
  if (!(handle = qn_wrap(env, QN_CURSOR, k, finalize_cursor))) {
    quire_cursor_free(cur);
    free(k);
    return NULL;
  }
  k->owner = c;
  k->next = c->cursors;
  if (c->cursors)
    c->cursors->prev = k;
  c->cursors = k;
  return handle;
}

/* Stores one document's numbers as JS reads them (the date NaN when the
 * document has none). */
static void store_numbers(uint64_t doc, int64_t date, int64_t source,
                          int precision, uint64_t text_length, double *nums) {
  nums[QN_NUM_ID] = (double)doc;
  nums[QN_NUM_DATE] = date == QUIRE_NO_DATE ? NAN : (double)date;
  nums[QN_NUM_SOURCE] = (double)source;
  nums[QN_NUM_PRECISION] = precision;
  nums[QN_NUM_TEXT_LENGTH] = (double)text_length;
}

void qn_cursor_numbers(const quire_cursor *cur, double *nums) {
  store_numbers(quire_cursor_doc(cur), quire_cursor_date(cur),
                quire_cursor_source_id(cur), quire_cursor_date_precision(cur),
                quire_cursor_text_length(cur), nums);
}

int qn_cursor_strings(napi_env env, quire_cursor *cur, uint32_t mask,
                      napi_value arr, uint32_t *at) {
  int field;
  for (field = QUIRE_FIELD_ID; field <= QUIRE_FIELD_TEXT; field++) {
    const char *data = NULL;
    size_t len = 0;
    napi_value s;
    int status;
    if (!(mask & (1u << field)))
      continue;
    status = quire_cursor_field(cur, field, &data, &len);
    if (status != QUIRE_OK) {
      qn_throw_status(env, status, quire_cursor_errmsg(cur));
      return -1;
    }
    if (!(s = qn_string(env, data, len)) ||
        napi_set_element(env, arr, (*at)++, s) != napi_ok) {
      qn_throw_napi(env);
      return -1;
    }
  }
  return 0;
}

/* Keeps a failure met after some documents of a batch were read, so that
 * those documents are handed out first and the failure thrown next time. */
static void defer_failure(qn_cursor *k, int status) {
  const char *msg = quire_cursor_errmsg(k->cursor);
  size_t len = strlen(msg);
  k->failed = 1;
  k->status = status;
  if ((k->failure = malloc(len + 1)))
    memcpy(k->failure, msg, len + 1);
}

static napi_value throw_deferred(napi_env env, qn_cursor *k) {
  qn_throw_status(env, k->status, k->failure);
  k->done = 1;
  k->failed = 0;
  return NULL;
}

static qn_cursor *get_cursor(napi_env env, napi_value value) {
  qn_cursor *k = qn_unwrap(env, value, QN_CURSOR);
  if (k && !k->cursor && !k->done && !k->failed) {
    qn_throw_status(env, QUIRE_ESTATE, "the corpus or the iteration is closed");
    return NULL;
  }
  return k;
}

/* Appends the strings named by mask of the n documents of a batch to arr.
 * The batch has left the cursor on its last document: each document is
 * sought in turn, the last one last, so the cursor ends where the batch left
 * it and the next batch goes on after it. Returns 0, or -1 with an exception
 * pending. */
static int batch_strings(napi_env env, quire_cursor *cur,
                         const qn_columns *cols, size_t n, uint32_t mask,
                         napi_value arr) {
  uint32_t at = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    int status = quire_cursor_seek(cur, cols->docs[i]);
    if (status != QUIRE_ROW) {
      qn_throw_status(env, status, quire_cursor_errmsg(cur));
      return -1;
    }
    if (qn_cursor_strings(env, cur, mask, arr, &at) != 0)
      return -1;
  }
  return 0;
}

/* Moves k over up to cols->cap documents into cols (see
 * quire_cursor_next_batch()) and stores their number in *n. A failure after
 * some documents is kept for the next call; with none it is thrown. Returns
 * 0, or -1 with an exception pending. */
static int read_batch(napi_env env, qn_cursor *k, const qn_columns *cols,
                      size_t *n) {
  int status;
  *n = 0;
  if (k->failed) {
    throw_deferred(env, k);
    return -1;
  }
  if (k->done || cols->cap == 0)
    return 0;
  status = quire_cursor_next_batch(k->cursor, cols->cap, cols->docs,
                                   cols->dates, cols->precisions, cols->sources,
                                   cols->text_lengths, n);
  if (status == QUIRE_DONE)
    k->done = 1;
  else if (status < 0)
    defer_failure(k, status);
  if (*n == 0 && k->failed) {
    throw_deferred(env, k);
    return -1;
  }
  return 0;
}

/* cursorNext(handle, numbers: Float64Array, strings: Array, mask) -> count
 * of documents read into numbers (QN_NUMS each) and strings (one per bit of
 * mask each); 0 at the end. */
napi_value qn_cursor_next_batch(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  qn_cursor *k;
  napi_typedarray_type type;
  size_t length = 0, n = 0, i;
  void *data = NULL;
  double *nums;
  qn_columns cols;
  int has_mask;
  int64_t mask = 0;
  if (qn_args(env, info, 4, argv) != 0 || !(k = get_cursor(env, argv[0])) ||
      qn_get_opt_int(env, argv[3], "field mask", &has_mask, &mask))
    return NULL;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL,
                               NULL) != napi_ok ||
      type != napi_float64_array) {
    qn_throw_type(env, "numbers must be a Float64Array");
    return NULL;
  }
  nums = data;
  if (reserve_columns(&k->cols, length / QN_NUMS) != 0) {
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  cols = k->cols;
  cols.cap = length / QN_NUMS; /* the columns may hold more than nums */
  if (read_batch(env, k, &cols, &n) != 0)
    return NULL;
  for (i = 0; i < n; i++)
    store_numbers(k->cols.docs[i], k->cols.dates[i], k->cols.sources[i],
                  k->cols.precisions[i], k->cols.text_lengths[i],
                  nums + i * QN_NUMS);
  if (mask &&
      batch_strings(env, k->cursor, &k->cols, n, (uint32_t)mask, argv[2]) != 0)
    return NULL;
  return qn_number(env, (double)n);
}

/* Stores in *data and *length the memory of a typed array of the given
 * type (data is NULL when length is 0). Returns 0, or -1 with a TypeError
 * pending. */
static int typed_data(napi_env env, napi_value value, napi_typedarray_type want,
                      const char *message, void **data, size_t *length) {
  napi_typedarray_type type;
  *data = NULL;
  *length = 0;
  if (napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) !=
          napi_ok ||
      type != want) {
    qn_throw_type(env, message);
    return -1;
  }
  return 0;
}

/* Makes room for cap source ids as libquire stores them (int64), before
 * they are narrowed into the Int32Array. Returns 0, or -1 out of memory. */
static int reserve_source_ids(qn_cursor *k, size_t cap) {
  int64_t *ids;
  if (k->source_cap >= cap)
    return 0;
  if (!(ids = malloc(cap * sizeof *ids)))
    return -1;
  free(k->source_ids);
  k->source_ids = ids;
  k->source_cap = cap;
  return 0;
}

/* libquire stored 64-bit integers in a Float64Array's bytes: each becomes
 * the double JS reads there, in place, and QUIRE_NO_DATE becomes NaN. Exact:
 * dates, document numbers and text lengths are far below 2^53 (the last two
 * never reach 2^63, so only an undated date reads as QUIRE_NO_DATE). memcpy,
 * because the same bytes are read as one type and written as another. */
static void integers_to_doubles(void *column, size_t n) {
  unsigned char *p = column;
  size_t i;
  for (i = 0; i < n; i++, p += 8) {
    int64_t v;
    double d;
    memcpy(&v, p, 8);
    d = v == QUIRE_NO_DATE ? NAN : (double)v;
    memcpy(p, &d, 8);
  }
}

/* cursorColumns(handle, docs: Float64Array, dates: Float64Array,
 * precisions: Int32Array, sources: Int32Array, textLengths: Float64Array)
 * -> count of documents stored at the start of each array (as many as docs
 * holds at most; the others must hold as many); 0 at the end. libquire
 * writes docs, dates, precisions and text lengths straight into the arrays'
 * memory; the 64-bit ones are then turned into doubles where they lie, and
 * source ids (int64 in C, below 2^24) narrowed into sources. */
napi_value qn_cursor_next_columns(napi_env env, napi_callback_info info) {
  static const napi_typedarray_type types[5] = {
      napi_float64_array, napi_float64_array, napi_int32_array,
      napi_int32_array, napi_float64_array};
  static const char *const messages[5] = {
      "docs must be a Float64Array", "dates must be a Float64Array",
      "precisions must be an Int32Array", "sources must be an Int32Array",
      "textLengths must be a Float64Array"};
  napi_value argv[6];
  void *data[5];
  size_t length[5], n = 0, i;
  qn_columns cols;
  qn_cursor *k;
  int32_t *sources;
  if (qn_args(env, info, 6, argv) != 0 || !(k = get_cursor(env, argv[0])))
    return NULL;
  for (i = 0; i < 5; i++) {
    if (typed_data(env, argv[i + 1], types[i], messages[i], &data[i],
                   &length[i]) != 0)
      return NULL;
    if (length[i] < length[0]) {
      qn_throw_type(env, "every column must hold as many elements as docs");
      return NULL;
    }
  }
  if (reserve_source_ids(k, length[0]) != 0) {
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  /* A Float64Array's data is 8-aligned, an Int32Array's 4-aligned; with
   * docs empty (cap 0) no array is touched, so none is NULL when used. */
  cols.docs = data[0];
  cols.dates = data[1];
  cols.precisions = data[2];
  cols.sources = k->source_ids;
  cols.text_lengths = data[4];
  cols.cap = length[0];
  if (read_batch(env, k, &cols, &n) != 0)
    return NULL;
  integers_to_doubles(data[0], n);
  integers_to_doubles(data[1], n);
  integers_to_doubles(data[4], n);
  sources = data[3];
  for (i = 0; i < n; i++)
    sources[i] = (int32_t)k->source_ids[i];
  return qn_number(env, (double)n);
}

/* cursorClose(handle): frees the C cursor now (for loops left early). */
napi_value qn_cursor_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_cursor *k;
  if (qn_args(env, info, 1, argv) != 0 ||
      !(k = qn_unwrap(env, argv[0], QN_CURSOR)))
    return NULL;
  release(k);
  k->done = 1;
  return qn_undefined(env);
}
