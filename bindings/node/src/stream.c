/* stream.c: CSV export as a Readable stream, pulled with quire_export_read().
 *
 * Each _read() of the stream queues one job on Node's worker pool (napi
 * async work) that reads up to CHUNK bytes of CSV into a fresh buffer; its
 * completion, on the JS thread, hands that buffer to JS as a Buffer without
 * copying it. One job at a time, and only when JS asks, so a slow consumer
 * holds the export back; nothing runs between reads, no thread of our own
 * exists and the event loop never waits for libquire.
 *
 * libquire's progress callback runs inside the job, on the worker thread,
 * where JS cannot be called: it only records the numbers, and the completion
 * passes the last ones to JS beside the chunk. The worker writes the job's
 * fields and the JS thread reads them after the job has completed (libuv
 * orders the two), and the JS thread changes nothing the worker reads while
 * a job is queued, so no lock is needed. */
#include <stdlib.h>

#include "qn.h"

#define CHUNK (256u << 10) /* bytes per read unless JS says otherwise */

typedef struct qn_stream {
  qn_corpus *owner;     /* held until exp is freed */
  quire_export *exp;    /* NULL once freed: the end, an error or a cancel */
  napi_async_work work; /* the read queued or running, or NULL */
  napi_ref callback;    /* onChunk of that read */
  size_t cap;           /* bytes per read */
  int cancelled;        /* JS destroyed the stream */
  int collected;        /* the JS handle is gone: free at the next idle */
  /* the job's result, written on the worker */
  char *buf;
  size_t n;
  int status;
  uint64_t done, total;
  int progressed; /* libquire called the progress callback in this job */
} qn_stream;

/* Frees the export and lets go of the corpus. JS thread, no job queued. */
static void drop_export(qn_stream *s) {
  if (!s->exp)
    return;
  quire_export_free(s->exp);
  s->exp = NULL;
  qn_corpus_release(s->owner);
}

/* Once no job is queued: frees what the stream no longer needs. */
static void settle(qn_stream *s) {
  if (s->work)
    return;
  if (s->cancelled || s->collected)
    drop_export(s);
  if (s->collected)
    free(s);
}

static int on_progress(void *ctx, uint64_t done, uint64_t total) {
  qn_stream *s = ctx;
  s->done = done;
  s->total = total;
  s->progressed = 1;
  return 0; /* JS stops a stream by destroying it */
}

/* The worker thread: no napi_* call here. */
static void execute(napi_env env, void *data) {
  qn_stream *s = data;
  char *smaller;
  (void)env;
  s->n = 0;
  s->progressed = 0;
  if (!(s->buf = malloc(s->cap))) {
    s->status = QUIRE_ENOMEM;
    return;
  }
  s->status = quire_export_read(s->exp, s->buf, s->cap, &s->n);
  /* The Buffer keeps this memory until it is collected: give back what
   * the last, short chunk does not use. */
  if (s->n && s->n < s->cap / 2 && (smaller = realloc(s->buf, s->n)))
    s->buf = smaller;
}

static void free_buffer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* The chunk as a Buffer that takes over s->buf, or null at the end. */
static napi_value chunk_value(napi_env env, qn_stream *s) {
  napi_value value;
  void *copy;
  if (s->status != QUIRE_OK || !s->n) {
    napi_get_null(env, &value);
    return value;
  }
  if (napi_create_external_buffer(env, s->n, s->buf, free_buffer, NULL,
                                  &value) == napi_ok) {
    s->buf = NULL;
    return value;
  }
  if (napi_create_buffer_copy(env, s->n, s->buf, &copy, &value) != napi_ok)
    return NULL;
  return value;
}

/* The JS thread: calls onChunk(err, chunk, rows, done, total); rows is
 * set at the end, done and total when libquire reported progress. */
static void complete(napi_env env, napi_status status, void *data) {
  qn_stream *s = data;
  napi_value fn = NULL, argv[5], undefined;
  napi_delete_async_work(env, s->work);
  s->work = NULL;
  if (s->callback) {
    napi_get_reference_value(env, s->callback, &fn);
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
  }
  if (status != napi_ok || s->cancelled || s->collected || !fn) {
    free(s->buf);
    s->buf = NULL;
    settle(s);
    return;
  }
  napi_get_undefined(env, &undefined);
  napi_get_null(env, &argv[0]);
  argv[2] = argv[3] = argv[4] = undefined;
  if (s->status != QUIRE_OK && s->status != QUIRE_DONE)
    argv[0] = qn_status_error(env, s->status,
                              s->status == QUIRE_ENOMEM && !s->buf
                                  ? "out of memory for an export chunk"
                                  : quire_export_errmsg(s->exp));
  if (!(argv[1] = chunk_value(env, s)))
    argv[1] = undefined;
  free(s->buf);
  s->buf = NULL;
  if (s->status == QUIRE_DONE)
    argv[2] = qn_number(env, (double)quire_export_rows(s->exp));
  if (s->progressed) {
    argv[3] = qn_number(env, (double)s->done);
    argv[4] = qn_number(env, (double)s->total);
  }
  if (s->status != QUIRE_OK) /* the end, or an error: the run is over */
    drop_export(s);
  for (int i = 0; i < 5; i++)
    if (!argv[i])
      argv[i] = undefined;
  napi_call_function(env, undefined, fn, 5, argv, NULL);
}

static void finalize_handle(napi_env env, void *ptr, void *hint) {
  qn_stream *s = ptr;
  (void)env;
  (void)hint;
  s->collected = 1;
  settle(s);
}

/* streamOpen(corpus, filter, columns, dialect, progress, chunkSize) ->
 * handle. Nothing runs before the first streamRead(); progress (a boolean)
 * asks for the done/total numbers; chunkSize (undefined: CHUNK) is the most
 * bytes one read gives. */
napi_value qn_stream_open(napi_env env, napi_callback_info info) {
  napi_value argv[6], handle;
  qn_corpus *c;
  quire_export *exp;
  qn_stream *s;
  bool progress = false;
  int status, has_cap;
  int64_t cap = CHUNK;
  if (qn_args(env, info, 6, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  napi_get_value_bool(env, argv[4], &progress);
  if (qn_get_opt_int(env, argv[5], "chunkSize", &has_cap, &cap) != 0)
    return NULL;
  if (!has_cap)
    cap = CHUNK;
  if (cap < 1 || cap > (1 << 30)) {
    qn_throw_status(env, QUIRE_EINVAL, "chunkSize must be 1 byte to 1 GiB");
    return NULL;
  }
  if (!(exp = qn_export_make(env, c, argv[1], argv[2], argv[3])))
    return NULL;
  if (!(s = calloc(1, sizeof *s))) {
    quire_export_free(exp);
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  s->owner = c;
  s->exp = exp;
  s->cap = (size_t)cap;
  if (progress &&
      (status = quire_export_set_progress(exp, on_progress, s)) != QUIRE_OK) {
    qn_export_throw(env, exp, status);
    quire_export_free(exp);
    free(s);
    return NULL;
  }
  qn_corpus_hold(c); /* the corpus stays open until the export is freed */
  if (!(handle = qn_wrap(env, QN_STREAM, s, finalize_handle))) {
    drop_export(s);
    free(s);
  }
  return handle;
}

/* streamRead(handle, onChunk): reads the next chunk on the worker pool and
 * calls onChunk with it. One read at a time. */
napi_value qn_stream_read(napi_env env, napi_callback_info info) {
  napi_value argv[2], name;
  napi_valuetype type;
  qn_stream *s;
  if (qn_args(env, info, 2, argv) != 0 ||
      !(s = qn_unwrap(env, argv[0], QN_STREAM)))
    return NULL;
  QN_CALL(env, napi_typeof(env, argv[1], &type));
  if (type != napi_function) {
    qn_throw_type(env, "onChunk must be a function");
    return NULL;
  }
  if (s->work || !s->exp || s->cancelled) {
    qn_throw_status(env, QUIRE_ESTATE,
                    s->work ? "a read of this export is under way"
                            : "the export has ended");
    return NULL;
  }
  QN_CALL(env, napi_create_string_utf8(env, "quire.exportRead",
                                       NAPI_AUTO_LENGTH, &name));
  QN_CALL(env, napi_create_reference(env, argv[1], 1, &s->callback));
  if (napi_create_async_work(env, NULL, name, execute, complete, s, &s->work) !=
          napi_ok ||
      napi_queue_async_work(env, s->work) != napi_ok) {
    if (s->work)
      napi_delete_async_work(env, s->work);
    s->work = NULL;
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
    qn_throw_napi(env);
    return NULL;
  }
  return qn_undefined(env);
}

/* streamCancel(handle): ends the export; a read under way completes on the
 * worker and is dropped. Safe at any time, and twice. */
napi_value qn_stream_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_stream *s;
  if (qn_args(env, info, 1, argv) != 0 ||
      !(s = qn_unwrap(env, argv[0], QN_STREAM)))
    return NULL;
  s->cancelled = 1;
  settle(s);
  return qn_undefined(env);
}
