/*
 * csv_pipe.c: the thread that parses a CSV input ahead of the import (see
 * csv_pipe.h).
 *
 * The thread fills a batch with events and hands it over once it holds
 * BATCH_BYTES or the input has ended; it takes batches from a fixed set
 * allocated at the start, so that at most BATCHES batches of input are
 * held at once, whatever the input's size.
 */
#include "csv_pipe.h"

#include <pthread.h>
#include <string.h>

#define BATCH_BYTES (256u << 10)
#define BATCHES 4

struct q_csv_pipe {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a batch was handed over or given back, the
                             thread ended, or the import stopped it */
  q_csv_source *source;
  struct csv_parser *parser;
  char *chunk;
  int stopping;              /* the import wants nothing more */
  int ended;                 /* the thread has handed over its last batch */
  q_csv_batch *ready, *last; /* handed over, in input order */
  q_csv_batch *spare;        /* free for the thread to fill */
  q_csv_batch *filling;      /* the thread's own */
  int oom;                   /* the thread's: an event did not fit */
};

/* ---- events ------------------------------------------------------------- */

static size_t padded(size_t len) {
  return (len + 7) & ~(size_t)7;
}

/* Appends an event (and data, for a field) to the batch being filled. */
static void push(q_csv_pipe *p, uint32_t kind, int32_t arg, uint64_t len,
                 const char *data) {
  if (p->oom)
    return;
  q_buf *out = &p->filling->events;
  size_t payload = data ? padded((size_t)len + 1) : 0;
  if (q_buf_reserve(out, sizeof(q_csv_event) + payload) != QUIRE_OK) {
    p->oom = 1;
    return;
  }
  q_csv_event e = {kind, arg, len};
  memcpy(out->data + out->len, &e, sizeof e);
  out->len += sizeof e;
  if (!data)
    return;
  memcpy(out->data + out->len, data, (size_t)len);
  memset(out->data + out->len + len, 0, payload - (size_t)len);
  out->len += payload;
}

int q_csv_batch_event(q_csv_batch *batch, size_t *at, q_csv_event *event,
                      char **data) {
  q_buf *in = &batch->events;
  if (*at + sizeof *event > in->len)
    return 0;
  memcpy(event, in->data + *at, sizeof *event);
  *at += sizeof *event;
  *data = NULL;
  if (event->kind == Q_CSV_FIELD || event->kind == Q_CSV_SOURCE_ERROR) {
    *data = in->data + *at;
    *at += padded((size_t)event->len + 1);
  }
  return 1;
}

/* libcsv's callbacks, on the thread. */
static void on_field(void *data, size_t len, void *ctx) {
  push(ctx, Q_CSV_FIELD, 0, len, data ? data : "");
}

static void on_record(int terminator, void *ctx) {
  push(ctx, Q_CSV_RECORD, terminator, 0, NULL);
}

/* ---- batches ------------------------------------------------------------ */

/* A batch to fill, waiting for one to be given back; NULL when the import
 * stopped the thread. */
static q_csv_batch *take_spare(q_csv_pipe *p) {
  pthread_mutex_lock(&p->lock);
  while (!p->spare && !p->stopping)
    pthread_cond_wait(&p->changed, &p->lock);
  q_csv_batch *b = p->stopping ? NULL : p->spare;
  if (b)
    p->spare = b->next;
  pthread_mutex_unlock(&p->lock);
  if (b) {
    b->events.len = 0;
    b->oom = 0;
    b->next = NULL;
  }
  return b;
}

static void hand_over(q_csv_pipe *p, q_csv_batch *b, int last) {
  b->oom = p->oom;
  pthread_mutex_lock(&p->lock);
  if (p->last)
    p->last->next = b;
  else
    p->ready = b;
  p->last = b;
  p->ended = last;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

/* ---- the thread --------------------------------------------------------- */

/* Reads and parses one chunk; returns 1 when the input has ended. */
static int parse_chunk(q_csv_pipe *p, int *fed) {
  int status = QUIRE_OK;
  char msg[Q_MSG_CAP];
  uint64_t before = q_csv_source_consumed(p->source);
  size_t got =
      q_csv_source_read(p->source, p->chunk, Q_CSV_READ_CHUNK, &status, msg);
  if (status != QUIRE_OK) {
    push(p, Q_CSV_SOURCE_ERROR, status, strlen(msg), msg);
    return 1;
  }
  if (got > 0) {
    const char *data = p->chunk;
    size_t len = got;
    q_csv_skip_bom(!*fed, &data, &len);
    *fed = 1;
    size_t parsed = csv_parse(p->parser, data, len, on_field, on_record, p);
    if (parsed < len) {
      push(p, Q_CSV_PARSE_ERROR, csv_error(p->parser),
           (unsigned char)data[parsed], NULL);
      return 1;
    }
    push(p, Q_CSV_CONSUMED, 0, q_csv_source_consumed(p->source) - before, NULL);
  }
  if (got > 0) /* the end, or a failure, comes with a read that gets 0 */
    return p->oom;
  push(p, Q_CSV_END, 0, 0, NULL);
  if (csv_fini(p->parser, on_field, on_record, p) != 0)
    push(p, Q_CSV_UNBALANCED, 0, 0, NULL);
  return 1;
}

static void *pipe_main(void *arg) {
  q_csv_pipe *p = arg;
  int fed = 0, done = 0;
  while (!done && (p->filling = take_spare(p)) != NULL) {
    while (!done && p->filling->events.len < BATCH_BYTES)
      done = parse_chunk(p, &fed);
    hand_over(p, p->filling, done);
    p->filling = NULL;
  }
  pthread_mutex_lock(&p->lock);
  p->ended = 1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

/* ---- the import's side -------------------------------------------------- */

static void free_batches(q_csv_batch *b) {
  while (b) {
    q_csv_batch *next = b->next;
    q_buf_free(&b->events);
    q_free(b);
    b = next;
  }
}

int q_csv_pipe_start(q_csv_pipe **out, q_csv_source *source,
                     struct csv_parser *parser) {
  *out = NULL;
  q_csv_pipe *p = q_calloc(1, sizeof *p);
  if (!p)
    return QUIRE_ENOMEM;
  p->source = source;
  p->parser = parser;
  p->chunk = q_malloc(Q_CSV_READ_CHUNK);
  int ok = p->chunk != NULL;
  for (int i = 0; ok && i < BATCHES; i++) {
    q_csv_batch *b = q_calloc(1, sizeof *b);
    ok = b &&
         q_buf_reserve(&b->events, BATCH_BYTES + Q_CSV_READ_CHUNK) == QUIRE_OK;
    if (b) {
      b->next = p->spare;
      p->spare = b;
    }
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->changed, NULL);
  if (!ok || pthread_create(&p->thread, NULL, pipe_main, p) != 0) {
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->changed);
    free_batches(p->spare);
    q_free(p->chunk);
    q_free(p);
    return QUIRE_ENOMEM;
  }
  *out = p;
  return QUIRE_OK;
}

q_csv_batch *q_csv_pipe_next(q_csv_pipe *p) {
  pthread_mutex_lock(&p->lock);
  while (!p->ready && !p->ended)
    pthread_cond_wait(&p->changed, &p->lock);
  q_csv_batch *b = p->ready;
  if (b) {
    p->ready = b->next;
    if (!p->ready)
      p->last = NULL;
    b->next = NULL;
  }
  pthread_mutex_unlock(&p->lock);
  return b;
}

void q_csv_pipe_release(q_csv_pipe *p, q_csv_batch *batch) {
  pthread_mutex_lock(&p->lock);
  batch->next = p->spare;
  p->spare = batch;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

void q_csv_pipe_free(q_csv_pipe *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->stopping = 1;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->thread, NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->changed);
  free_batches(p->ready);
  free_batches(p->spare);
  q_free(p->chunk);
  q_free(p);
}
