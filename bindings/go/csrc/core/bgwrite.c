/*
 * bgwrite.c: the export's writing thread (see bgwrite.h).
 */
#include "bgwrite.h"

#include <pthread.h>
#include <string.h>

struct q_bgwrite {
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a buffer was handed over or written, or stop */
  pthread_t thread;
  q_bgwrite_fn write;
  void *ctx;
  char *spare; /* the buffer to give back at the next swap */
  char *todo;  /* handed over and not yet written, or NULL */
  size_t todo_len;
  int stopping;
  int status; /* the first failed write's, else QUIRE_OK */
  char msg[Q_MSG_CAP];
};

static void *writer_main(void *arg) {
  q_bgwrite *bw = arg;
  char msg[Q_MSG_CAP];
  pthread_mutex_lock(&bw->lock);
  for (;;) {
    while (!bw->todo && !bw->stopping)
      pthread_cond_wait(&bw->changed, &bw->lock);
    if (!bw->todo)
      break; /* stopping, everything written */
    char *data = bw->todo;
    size_t len = bw->todo_len;
    int failed = bw->status != QUIRE_OK;
    pthread_mutex_unlock(&bw->lock);
    int status = failed ? QUIRE_OK : bw->write(bw->ctx, data, len, msg);
    pthread_mutex_lock(&bw->lock);
    if (status != QUIRE_OK) {
      bw->status = status;
      memcpy(bw->msg, msg, sizeof bw->msg);
    }
    bw->spare = data;
    bw->todo = NULL;
    pthread_cond_broadcast(&bw->changed);
  }
  pthread_mutex_unlock(&bw->lock);
  return NULL;
}

q_bgwrite *q_bgwrite_start(q_bgwrite_fn write, void *ctx, size_t size) {
  q_bgwrite *bw = q_calloc(1, sizeof *bw);
  if (!bw)
    return NULL;
  bw->spare = q_malloc(size);
  if (!bw->spare) {
    q_free(bw);
    return NULL;
  }
  bw->write = write;
  bw->ctx = ctx;
  bw->status = QUIRE_OK;
  pthread_mutex_init(&bw->lock, NULL);
  pthread_cond_init(&bw->changed, NULL);
  if (pthread_create(&bw->thread, NULL, writer_main, bw) != 0) {
    pthread_mutex_destroy(&bw->lock);
    pthread_cond_destroy(&bw->changed);
    q_free(bw->spare);
    q_free(bw);
    return NULL;
  }
  return bw;
}

/* Waits until the thread holds no buffer; the lock is held. */
static void wait_written(q_bgwrite *bw) {
  while (bw->todo)
    pthread_cond_wait(&bw->changed, &bw->lock);
}

/* The failed write's status, its message copied into msg; the lock is
 * held. */
static int failure(const q_bgwrite *bw, char *msg) {
  if (bw->status != QUIRE_OK)
    memcpy(msg, bw->msg, Q_MSG_CAP);
  return bw->status;
}

int q_bgwrite_swap(q_bgwrite *bw, char **buf, size_t len, char *msg) {
  pthread_mutex_lock(&bw->lock);
  wait_written(bw);
  int status = failure(bw, msg);
  if (status == QUIRE_OK) {
    bw->todo = *buf;
    bw->todo_len = len;
    *buf = bw->spare;
    bw->spare = NULL;
    pthread_cond_broadcast(&bw->changed);
  }
  pthread_mutex_unlock(&bw->lock);
  return status;
}

int q_bgwrite_finish(q_bgwrite *bw, char *msg) {
  if (!bw)
    return QUIRE_OK;
  pthread_mutex_lock(&bw->lock);
  wait_written(bw);
  bw->stopping = 1;
  pthread_cond_broadcast(&bw->changed);
  int status = failure(bw, msg);
  pthread_mutex_unlock(&bw->lock);
  pthread_join(bw->thread, NULL);
  pthread_mutex_destroy(&bw->lock);
  pthread_cond_destroy(&bw->changed);
  q_free(bw->spare);
  q_free(bw);
  return status;
}
