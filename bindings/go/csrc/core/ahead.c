/*
 * ahead.c: inflating the next text block on a helper thread (see ahead.h).
 */
#include "ahead.h"

#include <pthread.h>
#include <string.h>

enum { IDLE, REQUESTED, WORKING, READY };

struct q_ahead {
  const quire_corpus *corpus;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed; /* state or stop changed */
  int state;
  int stop;
  uint32_t block; /* the block requested, being inflated or ready */
  int status;     /* of the last inflating */
  char msg[Q_MSG_CAP];
  q_inflater *inflater;
  q_buf buf;
};

static void *helper_main(void *arg) {
  q_ahead *a = arg;
  pthread_mutex_lock(&a->lock);
  for (;;) {
    while (!a->stop && a->state != REQUESTED)
      pthread_cond_wait(&a->changed, &a->lock);
    if (a->stop)
      break;
    a->state = WORKING;
    uint32_t block = a->block;
    pthread_mutex_unlock(&a->lock);
    char msg[Q_MSG_CAP] = "";
    int status = q_block_load(a->corpus, 0, block, a->inflater, &a->buf, msg);
    pthread_mutex_lock(&a->lock);
    a->status = status;
    memcpy(a->msg, msg, sizeof msg);
    a->state = READY;
    pthread_cond_broadcast(&a->changed);
  }
  pthread_mutex_unlock(&a->lock);
  return NULL;
}

int q_ahead_start(q_ahead **out, const quire_corpus *corpus) {
  *out = NULL;
  q_ahead *a = q_calloc(1, sizeof *a);
  if (!a)
    return QUIRE_ENOMEM;
  a->corpus = corpus;
  a->inflater = q_inflater_new();
  if (!a->inflater) {
    q_free(a);
    return QUIRE_ENOMEM;
  }
  pthread_mutex_init(&a->lock, NULL);
  pthread_cond_init(&a->changed, NULL);
  if (pthread_create(&a->thread, NULL, helper_main, a) != 0) {
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->changed);
    q_inflater_free(a->inflater);
    q_free(a);
    return QUIRE_ENOMEM;
  }
  *out = a;
  return QUIRE_OK;
}

void q_ahead_stop(q_ahead *a) {
  if (!a)
    return;
  pthread_mutex_lock(&a->lock);
  a->stop = 1;
  pthread_cond_broadcast(&a->changed);
  pthread_mutex_unlock(&a->lock);
  pthread_join(a->thread, NULL);
  pthread_mutex_destroy(&a->lock);
  pthread_cond_destroy(&a->changed);
  q_inflater_free(a->inflater);
  q_buf_free(&a->buf);
  q_free(a);
}

void q_ahead_request(q_ahead *a, uint32_t block) {
  pthread_mutex_lock(&a->lock);
  if (a->state == IDLE || (a->state == READY && a->block != block)) {
    a->block = block;
    a->state = REQUESTED;
    pthread_cond_broadcast(&a->changed);
  }
  pthread_mutex_unlock(&a->lock);
}

int q_ahead_take(q_ahead *a, uint32_t block, q_buf *into, char *msg) {
  pthread_mutex_lock(&a->lock);
  if (a->state == IDLE || a->block != block) {
    pthread_mutex_unlock(&a->lock);
    return Q_AHEAD_NOT_HELD;
  }
  while (a->state != READY)
    pthread_cond_wait(&a->changed, &a->lock);
  q_buf swap = *into;
  *into = a->buf;
  a->buf = swap;
  int status = a->status;
  if (status != QUIRE_OK)
    memcpy(msg, a->msg, Q_MSG_CAP);
  a->state = IDLE;
  pthread_mutex_unlock(&a->lock);
  return status;
}
