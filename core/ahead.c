/*
 * ahead.c: inflating the text or metadata blocks a cursor will need next on
 * helper threads (see ahead.h).
 *
 * The blocks wait in a small ring of slots, oldest first. Handing one block
 * at a time over cost two thread wake-ups per 64 KiB block, a fifth of an
 * export's time; with a queue, each side sleeps only when it has nothing to
 * do, and the cursor wakes a sleeping helper only once half the queue is
 * waiting for it (or the cursor is about to run dry).
 *
 * zstd inflates a text block more slowly than the cursor's thread uses it
 * (an Arrow batch or a CSV export copies it once), so on a machine of two
 * cores or more two helpers take the queued blocks in turn, each with its
 * own inflater; the cursor still takes them in order.
 */
#include "ahead.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

/* Blocks queued at most, and their uncompressed bytes beyond the first
 * (so that 1 MiB DEFLATE blocks queue four, 64 KiB zstd blocks eight).
 * Metadata blocks of a few KiB inflate in microseconds: a queue of eight
 * would wake a helper every few of them, so theirs is deeper. Each slot
 * keeps its buffer, fitted to the block it holds (q_buf_fit), so the depth
 * also bounds the memory held. */
#define TEXT_DEPTH 8u
#define META_DEPTH 64u
#define AHEAD_BYTES (4u << 20)
#define AHEAD_HELPERS 2u

enum slot_state { EMPTY, QUEUED, WORKING, READY };

typedef struct slot {
  uint32_t block;
  uint32_t size; /* uncompressed, for AHEAD_BYTES */
  enum slot_state state;
  int status; /* of the inflating, once READY */
  char msg[Q_MSG_CAP];
  q_buf buf; /* the helper's while QUEUED or WORKING */
} slot;

typedef struct helper {
  struct q_ahead *ahead;
  pthread_t thread;
  q_inflater *inflater;
} helper;

struct q_ahead {
  const quire_corpus *corpus;
  int kind;       /* of the blocks: 0 text, 1 metadata */
  unsigned depth; /* slots in use at most: TEXT_DEPTH or META_DEPTH */
  helper helpers[AHEAD_HELPERS];
  unsigned nhelpers; /* started */
  pthread_mutex_t lock;
  pthread_cond_t work;  /* helpers wait here for a QUEUED slot */
  pthread_cond_t ready; /* the cursor waits here for a READY slot */
  unsigned helpers_waiting;
  /* Helpers signalled but not yet awake: a helper is woken once, not at
   * every block queued before it runs (each signal to a sleeping thread is
   * a system call). */
  unsigned wakes_pending;
  int cursor_waiting;
  const slot *awaited; /* the slot the cursor waits for, while it does */
  int stop;
  slot slots[META_DEPTH];
  unsigned head;   /* the oldest slot in use */
  unsigned count;  /* slots in use, from head on */
  unsigned queued; /* of them, not started yet */
  uint64_t bytes;  /* uncompressed bytes of the slots in use */
};

static slot *nth(q_ahead *a, unsigned i) {
  return &a->slots[(a->head + i) % a->depth];
}

/* The first slot not started yet; called with the lock held and queued > 0. */
static slot *first_queued(q_ahead *a) {
  for (unsigned i = 0; i < a->count; i++)
    if (nth(a, i)->state == QUEUED)
      return nth(a, i);
  return NULL;
}

static void *helper_main(void *arg) {
  helper *h = arg;
  q_ahead *a = h->ahead;
  pthread_mutex_lock(&a->lock);
  for (;;) {
    while (!a->stop && a->queued == 0) {
      a->helpers_waiting++;
      pthread_cond_wait(&a->work, &a->lock);
      a->helpers_waiting--;
      if (a->wakes_pending) /* not exact after a spurious wake-up: an */
        a->wakes_pending--; /* extra signal at worst, never a missed one */
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
        q_block_load(a->corpus, a->kind, s->block, h->inflater, &s->buf, msg);
    pthread_mutex_lock(&a->lock);
    s->status = status;
    memcpy(s->msg, msg, sizeof msg);
    s->state = READY;
    /* Other slots finishing would wake the cursor only to sleep again. */
    if (a->cursor_waiting && s == a->awaited)
      pthread_cond_signal(&a->ready);
  }
  pthread_mutex_unlock(&a->lock);
  return NULL;
}

/* Two helpers where there are two cores to run them, else one. */
static unsigned helpers_wanted(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores >= 2 ? AHEAD_HELPERS : 1;
}

/* Stops and joins the started helpers, then frees everything. */
static void ahead_free(q_ahead *a) {
  pthread_mutex_lock(&a->lock);
  a->stop = 1;
  pthread_cond_broadcast(&a->work);
  pthread_mutex_unlock(&a->lock);
  for (unsigned i = 0; i < a->nhelpers; i++)
    pthread_join(a->helpers[i].thread, NULL);
  for (unsigned i = 0; i < AHEAD_HELPERS; i++)
    q_inflater_free(a->helpers[i].inflater);
  pthread_mutex_destroy(&a->lock);
  pthread_cond_destroy(&a->work);
  pthread_cond_destroy(&a->ready);
  for (unsigned i = 0; i < META_DEPTH; i++)
    q_buf_free(&a->slots[i].buf);
  q_free(a);
}

int q_ahead_start(q_ahead **out, const quire_corpus *corpus, int kind) {
  *out = NULL;
  q_ahead *a = q_calloc(1, sizeof *a);
  if (!a)
    return QUIRE_ENOMEM;
  a->corpus = corpus;
  a->kind = kind;
  a->depth = kind == 0 ? TEXT_DEPTH : META_DEPTH;
  pthread_mutex_init(&a->lock, NULL);
  pthread_cond_init(&a->work, NULL);
  pthread_cond_init(&a->ready, NULL);
  /* A second helper that cannot start only costs speed; the first must. */
  unsigned wanted = helpers_wanted();
  for (unsigned i = 0; i < wanted; i++) {
    helper *h = &a->helpers[i];
    h->ahead = a;
    h->inflater = q_inflater_new();
    if (!h->inflater || pthread_create(&h->thread, NULL, helper_main, h) != 0)
      break;
    a->nhelpers++;
  }
  if (a->nhelpers == 0) {
    ahead_free(a);
    return QUIRE_ENOMEM;
  }
  *out = a;
  return QUIRE_OK;
}

void q_ahead_stop(q_ahead *a) {
  if (a)
    ahead_free(a);
}

/* Wakes a sleeping helper when enough work waits, or when the cursor will
 * soon have nothing left; called with the lock held. */
static void nudge(q_ahead *a) {
  unsigned started = a->count - a->queued;
  if (a->helpers_waiting > a->wakes_pending &&
      (a->queued >= a->depth / 2 || started <= 1 || a->cursor_waiting)) {
    pthread_cond_signal(&a->work);
    a->wakes_pending++;
  }
}

int q_ahead_request(q_ahead *a, uint32_t block, uint32_t size) {
  pthread_mutex_lock(&a->lock);
  int room =
      a->count < a->depth && (a->count == 0 || a->bytes + size <= AHEAD_BYTES);
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
    a->awaited = s;
    nudge(a);
    pthread_cond_wait(&a->ready, &a->lock);
    a->cursor_waiting = 0;
    a->awaited = NULL;
  }
}

/* Empties the queue, once the block being inflated (if any) is done with
 * its slot; called with the lock held. */
static void flush(q_ahead *a) {
  for (unsigned i = 0; i < a->count; i++)
    if (nth(a, i)->state == WORKING)
      wait_ready(a, nth(a, i));
  for (unsigned i = 0; i < META_DEPTH; i++)
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
  a->head = (a->head + 1) % a->depth;
  a->count--;
  a->bytes -= s->size;
  pthread_mutex_unlock(&a->lock);
  return status;
}
