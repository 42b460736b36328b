/* stream.c: CSV export as a Readable stream.
 *
 * quire_export_to_callback() pushes the whole CSV through a callback and only
 * returns at the end, so it runs on a thread of its own. That thread gathers
 * the CSV into chunks of CHUNK bytes and hands each one to JS through a
 * thread-safe function, but only when JS has asked for one (_read()), so a
 * slow consumer holds the export back instead of piling chunks up in memory:
 * at most one chunk is waiting at any time. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "qn.h"

#define CHUNK (64u << 10)

typedef struct qn_stream {
  qn_corpus *owner;
  quire_export *exp;
  napi_threadsafe_function tsfn; /* NULL once finalized */
  pthread_t thread;
  int started; /* the thread was created */
  int handed;  /* the tsfn's initial thread count was handed on */
  int ended;   /* JS saw the end */
  int refs;    /* the JS handle and the tsfn; freed at 0 */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int credit;    /* chunks JS asked for and not yet sent */
  int cancelled; /* JS destroyed the stream: stop */
  qn_buf chunk;  /* worker thread only: the chunk being filled */
} qn_stream;

/* What the worker thread sends to JS: a chunk of CSV, or the end. */
typedef struct qn_chunk {
  char *data;
  size_t len;
  int end;
  int status;
  char *message;
  double rows;
} qn_chunk;

static void free_chunk(qn_chunk *ch) {
  free(ch->data);
  free(ch->message);
  free(ch);
}

static void unref_stream(qn_stream *s) {
  if (--s->refs > 0)
    return;
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s->chunk.data);
  free(s);
}

static void cancel(qn_stream *s) {
  pthread_mutex_lock(&s->mu);
  s->cancelled = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (!s->handed && s->tsfn) {
    /* No thread will ever run: give the tsfn back so it is finalized. */
    s->handed = 1;
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
  }
}

/* ---- the worker thread ----------------------------------------------------
 */

/* Waits until JS wants a chunk. Returns 0 to go on, -1 when cancelled. */
static int wait_credit(qn_stream *s) {
  int go;
  pthread_mutex_lock(&s->mu);
  while (!s->credit && !s->cancelled)
    pthread_cond_wait(&s->cv, &s->mu);
  go = !s->cancelled;
  if (go)
    s->credit--;
  pthread_mutex_unlock(&s->mu);
  return go ? 0 : -1;
}

static int send(qn_stream *s, qn_chunk *ch) {
  if (napi_call_threadsafe_function(s->tsfn, ch, napi_tsfn_nonblocking) !=
      napi_ok) {
    free_chunk(ch);
    return -1;
  }
  return 0;
}

/* Hands the filled buffer to JS once JS asks for it. */
static int flush(qn_stream *s) {
  qn_chunk *ch;
  if (wait_credit(s) != 0)
    return -1;
  if (!(ch = calloc(1, sizeof *ch))) {
    s->chunk.oom = 1;
    return -1;
  }
  ch->data = s->chunk.data;
  ch->len = s->chunk.len;
  s->chunk = (qn_buf){0};
  return send(s, ch);
}

static int on_data(void *ctx, const char *data, size_t len) {
  qn_stream *s = ctx;
  if (qn_buf_append(&s->chunk, data, len) != 0)
    return 1;
  return s->chunk.len >= CHUNK && flush(s) != 0;
}

static char *copy_text(const char *text) {
  size_t len = strlen(text);
  char *copy = malloc(len + 1);
  if (copy)
    memcpy(copy, text, len + 1);
  return copy;
}

static void send_end(qn_stream *s, int status) {
  qn_chunk *ch = calloc(1, sizeof *ch);
  if (!ch)
    return; /* JS learns nothing more; the tsfn still finalizes */
  ch->end = 1;
  ch->status = s->chunk.oom ? QUIRE_ENOMEM : status;
  ch->message = copy_text(s->chunk.oom ? "out of memory while exporting"
                                       : quire_export_errmsg(s->exp));
  ch->rows = (double)quire_export_rows(s->exp);
  send(s, ch);
}

static void *run(void *arg) {
  qn_stream *s = arg;
  int status = quire_export_to_callback(s->exp, on_data, s);
  if (status == QUIRE_OK && s->chunk.len && flush(s) != 0)
    status = QUIRE_ECALLBACK;
  send_end(s, status);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
  return NULL;
}

/* ---- the JS thread ---------------------------------------------------------
 */

static void free_buffer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* Calls onEvent(err, chunk, rows) in JS. */
static void call_js(napi_env env, napi_value fn, void *context, void *data) {
  qn_stream *s = context;
  qn_chunk *ch = data;
  napi_value argv[3], undefined;
  if (!env || !fn || s->ended) { /* torn down, or past the end */
    free_chunk(ch);
    return;
  }
  napi_get_undefined(env, &undefined);
  napi_get_null(env, &argv[0]);
  argv[1] = argv[2] = undefined;
  if (ch->end) {
    s->ended = 1;
    if (ch->status != QUIRE_OK)
      argv[0] = qn_status_error(env, ch->status, ch->message);
    argv[2] = qn_number(env, ch->rows);
  } else if (napi_create_external_buffer(env, ch->len, ch->data, free_buffer,
                                         NULL, &argv[1]) == napi_ok) {
    ch->data = NULL; /* the buffer owns it now */
  } else {
    void *copy;
    napi_create_buffer_copy(env, ch->len, ch->data, &copy, &argv[1]);
  }
  free_chunk(ch);
  napi_call_function(env, undefined, fn, 3, argv, NULL);
  pthread_mutex_lock(&s->mu);
  if (!s->credit && !s->ended && s->tsfn)
    napi_unref_threadsafe_function(env, s->tsfn); /* idle: let Node exit */
  pthread_mutex_unlock(&s->mu);
}

static void finalize_tsfn(napi_env env, void *data, void *hint) {
  qn_stream *s = data;
  (void)env;
  (void)hint;
  s->handed = 1; /* nothing is left to release */
  cancel(s);     /* at teardown the thread may still wait for credit */
  if (s->started)
    pthread_join(s->thread, NULL);
  s->tsfn = NULL;
  quire_export_free(s->exp);
  s->exp = NULL;
  qn_corpus_release(s->owner);
  unref_stream(s);
}

static void finalize_handle(napi_env env, void *ptr, void *hint) {
  qn_stream *s = ptr;
  (void)env;
  (void)hint;
  cancel(s);
  unref_stream(s);
}

static qn_stream *new_stream(qn_corpus *c, quire_export *exp) {
  qn_stream *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s);
    return NULL;
  }
  if (pthread_cond_init(&s->cv, NULL) != 0) {
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
  }
  s->owner = c;
  s->exp = exp;
  s->refs = 2;
  return s;
}

/* streamOpen(corpus, filter, columns, dialect, onEvent) -> handle. Nothing
 * runs before the first streamRead(). */
napi_value qn_stream_open(napi_env env, napi_callback_info info) {
  napi_value argv[5], name, handle;
  napi_valuetype type;
  qn_corpus *c;
  quire_export *exp;
  qn_stream *s;
  if (qn_args(env, info, 5, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  QN_CALL(env, napi_typeof(env, argv[4], &type));
  if (type != napi_function) {
    qn_throw_type(env, "onEvent must be a function");
    return NULL;
  }
  if (!(exp = qn_export_make(env, c, argv[1], argv[2], argv[3])))
    return NULL;
  if (!(s = new_stream(c, exp))) {
    quire_export_free(exp);
    qn_throw_status(env, QUIRE_ENOMEM, NULL);
    return NULL;
  }
  if (napi_create_string_utf8(env, "quire.export", NAPI_AUTO_LENGTH, &name) !=
          napi_ok ||
      napi_create_threadsafe_function(env, argv[4], NULL, name, 0, 1, s,
                                      finalize_tsfn, s, call_js,
                                      &s->tsfn) != napi_ok) {
    qn_throw_napi(env);
    s->refs = 1;
    quire_export_free(exp);
    unref_stream(s);
    return NULL;
  }
  qn_corpus_hold(c); /* from here finalize_tsfn owns exp and the hold */
  napi_unref_threadsafe_function(env, s->tsfn);
  if (!(handle = qn_wrap(env, QN_STREAM, s, finalize_handle))) {
    s->refs = 1;
    cancel(s);
  }
  return handle;
}

/* streamRead(handle): JS wants one more chunk; the first call starts the
 * export thread. */
napi_value qn_stream_read(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_stream *s;
  if (qn_args(env, info, 1, argv) != 0 ||
      !(s = qn_unwrap(env, argv[0], QN_STREAM)))
    return NULL;
  if (s->ended || s->cancelled || !s->tsfn)
    return qn_undefined(env);
  pthread_mutex_lock(&s->mu);
  s->credit++;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  napi_ref_threadsafe_function(env, s->tsfn);
  if (!s->handed) {
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
      qn_throw_status(env, QUIRE_ENOMEM, "cannot start the export thread");
      return NULL;
    }
    s->started = s->handed = 1;
  }
  return qn_undefined(env);
}

/* streamCancel(handle): stops the export; safe at any time, and twice. */
napi_value qn_stream_cancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  qn_stream *s;
  if (qn_args(env, info, 1, argv) != 0 ||
      !(s = qn_unwrap(env, argv[0], QN_STREAM)))
    return NULL;
  cancel(s);
  return qn_undefined(env);
}
