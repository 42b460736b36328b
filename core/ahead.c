/*
 * ahead.c: inflating the text blocks a cursor will need next on a helper
 * thread (see ahead.h).
 *
 * The blocks wait in a small ring of slots, oldest first. Handing one block
 * at a time over cost two thread wake-ups per 64 KiB block, a fifth of an
 * export's time; with a queue, each side sleeps only when it has nothing to
 * do, and the cursor wakes a sleeping helper only once half the queue is
 * waiting for it (or the cursor is about to run dry).
 */
#include "ahead.h"

#include <pthread.h>
#include <string.h>

/* Blocks queued at most, and their uncompressed bytes beyond the first
 * (so that 1 MiB DEFLATE blocks queue four, 64 KiB zstd blocks eight). */
#define AHEAD_DEPTH 8u
#define AHEAD_BYTES (4u << 20)

enum slot_state { EMPTY, QUEUED, WORKING, READY };

typedef struct slot {
  uint32_t block;
  uint32_t size; /* uncompressed, for AHEAD_BYTES */
  enum slot_state state;
  int status; /* of the inflating, once READY */
  char msg[Q_MSG_CAP];
  q_buf buf; /* the helper's while QUEUED or WORKING */
} slot;

struct q_ahead {
  const quire_corpus *corpus;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t work;  /* the helper waits here for a QUEUED slot */
  pthread_cond_t ready; /* the cursor waits here for a READY slot */
  int helper_waiting;
  int cursor_waiting;
  int stop;
  slot slots[AHEAD_DEPTH];
  unsigned head;   /* the oldest slot in use */
  unsigned count;  /* slots in use, from head on */
  unsigned queued; /* of them, not started yet */
  uint64_t bytes;  /* uncompressed bytes of the slots in use */
  q_inflater *inflater;
};

static slot *nth(q_ahead *a, unsigned i) {
  return &a->slots[(a->head + i) % AHEAD_DEPTH];
}

/* The first slot not started yet; called with the lock held and queued > 0. */
static slot *first_queued(q_ahead *a) {
  for (unsigned i = 0; i < a->count; i++)
    if (nth(a, i)->state == QUEUED)
      return nth(a, i);
  return NULL;
}

static void *helper_main(void *arg) {
  q_ahead *a = arg;
  pthread_mutex_lock(&a->lock);
  for (;;) {
    while (!a->stop && a->queued == 0) {
      a->helper_waiting = 1;
      pthread_cond_wait(&a->work, &a->lock);
      a->helper_waiting = 0;
    }
    if (a->stop)
      break;
    slot *s = first_queued(a);
    s->state = WORKING;
    a->queued--;
    pthread_mutex_unlock(&a->lock);
    /* The slot is the helper's alone while WORKING. */
    char msg[Q_MSG_CAP] = "";
    int status =
        q_block_load(a->corpus, 0, s->block, a->inflater, &s->buf, msg);
    pthread_mutex_lock(&a->lock);
    s->status = status;
    memcpy(s->msg, msg, sizeof msg);
    s->state = READY;
    if (a->cursor_waiting)
      pthread_cond_broadcast(&a->ready);
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
  pthread_cond_init(&a->work, NULL);
  pthread_cond_init(&a->ready, NULL);
  if (pthread_create(&a->thread, NULL, helper_main, a) != 0) {
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->ready);
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
  pthread_cond_broadcast(&a->work);
  pthread_mutex_unlock(&a->lock);
  pthread_join(a->thread, NULL);
  pthread_mutex_destroy(&a->lock);
  pthread_cond_destroy(&a->work);
  pthread_cond_destroy(&a->ready);
  q_inflater_free(a->inflater);
  for (unsigned i = 0; i < AHEAD_DEPTH; i++)
    q_buf_free(&a->slots[i].buf);
  q_free(a);
}

/* Wakes a sleeping helper when enough work waits, or when the cursor will
 * soon have nothing left; called with the lock held. */
static void nudge(q_ahead *a) {
  unsigned started = a->count - a->queued;
  if (a->helper_waiting &&
      (a->queued >= AHEAD_DEPTH / 2 || started <= 1 || a->cursor_waiting))
    pthread_cond_signal(&a->work);
}

int q_ahead_request(q_ahead *a, uint32_t block, uint32_t size) {
  pthread_mutex_lock(&a->lock);
  int room = a->count < AHEAD_DEPTH &&
             (a->count == 0 || a->bytes + size <= AHEAD_BYTES);
  if (room) {
    slot *s = nth(a, a->count);
    s->block = block;
    s->size = size;
    s->state = QUEUED;
    a->count++;
    a->queued++;
    a->bytes += size;
    nudge(a);
  }
  pthread_mutex_unlock(&a->lock);
  return room;
}

/* Waits until the helper has inflated the slot; called with the lock held. */
static void wait_ready(q_ahead *a, const slot *s) {
  while (s->state != READY) {
    a->cursor_waiting = 1;
    nudge(a);
    pthread_cond_wait(&a->ready, &a->lock);
    a->cursor_waiting = 0;
  }
}

/* Empties the queue, once the block being inflated (if any) is done with
 * its slot; called with the lock held. */
static void flush(q_ahead *a) {
  for (unsigned i = 0; i < a->count; i++)
    if (nth(a, i)->state == WORKING)
      wait_ready(a, nth(a, i));
  for (unsigned i = 0; i < AHEAD_DEPTH; i++)
    a->slots[i].state = EMPTY;
  a->head = a->count = a->queued = 0;
  a->bytes = 0;
}

int q_ahead_take(q_ahead *a, uint32_t block, q_buf *into, char *msg) {
  pthread_mutex_lock(&a->lock);
  slot *s = nth(a, 0);
  if (a->count == 0 || s->block != block) {
    flush(a);
    pthread_mutex_unlock(&a->lock);
    return Q_AHEAD_NOT_HELD;
  }
  wait_ready(a, s);
  q_buf swap = *into;
  *into = s->buf;
  s->buf = swap;
  int status = s->status;
  if (status != QUIRE_OK)
    memcpy(msg, s->msg, Q_MSG_CAP);
  s->state = EMPTY;
  a->head = (a->head + 1) % AHEAD_DEPTH;
  a->count--;
  a->bytes -= s->size;
  pthread_mutex_unlock(&a->lock);
  return status;
}
