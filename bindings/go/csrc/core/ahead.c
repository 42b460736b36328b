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
 *
 * A metadata block inflates in about a microsecond, less than taking a
 * contended lock and waking a thread: so the cursor queues blocks in runs of
 * half the queue under one lock, and the one metadata helper takes a run of
 * queued blocks at once and hands them over together.
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
#define META_RUN 8u /* metadata blocks a helper takes at once */
_Static_assert(META_DEPTH <= Q_AHEAD_MAX_WANTS && TEXT_DEPTH <= META_DEPTH,
               "a cursor asks for a whole queue at once");

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
  unsigned generation; /* q_fork_generation() when the helpers started */
  int kind;            /* of the blocks: 0 text, 1 metadata */
  unsigned depth;      /* slots in use at most: TEXT_DEPTH or META_DEPTH */
  unsigned run;        /* blocks a helper takes at once: 1 or META_RUN */
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
  unsigned count;  /* slots in use, from head on; changed by the cursor only */
  unsigned queued; /* of them, not started yet */
  uint64_t bytes;  /* uncompressed bytes of the slots in use */
};

static slot *nth(q_ahead *a, unsigned i) {
  return &a->slots[(a->head + i) % a->depth];
}

/* Marks WORKING the first slot not started yet and those right after it
 * that are not started either, a->run at most, and puts them in run[];
 * returns how many. Called with the lock held and queued > 0. */
static unsigned claim_run(q_ahead *a, slot **run) {
  unsigned n = 0;
  for (unsigned i = 0; i < a->count && n < a->run; i++) {
    slot *s = nth(a, i);
    if (s->state == QUEUED) {
      s->state = WORKING;
      run[n++] = s;
    } else if (n > 0) {
      break;
    }
  }
  a->queued -= n;
  return n;
}

/* Inflates a slot the helper holds (WORKING: the slot is the helper's
 * alone), recording the status and message the cursor will read. */
static void inflate_slot(helper *h, slot *s) {
  q_ahead *a = h->ahead;
  char msg[Q_MSG_CAP] = "";
  s->status =
      q_block_load(a->corpus, a->kind, s->block, h->inflater, &s->buf, msg);
  memcpy(s->msg, msg, sizeof msg);
}

static void *helper_main(void *arg) {
  helper *h = arg;
  q_ahead *a = h->ahead;
  slot *run[META_RUN];
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
    unsigned n = claim_run(a, run);
    pthread_mutex_unlock(&a->lock);
    for (unsigned i = 0; i < n; i++)
      inflate_slot(h, run[i]);
    pthread_mutex_lock(&a->lock);
    int awaited = 0;
    for (unsigned i = 0; i < n; i++) {
      run[i]->state = READY;
      awaited |= run[i] == a->awaited;
    }
    /* Other slots finishing would wake the cursor only to sleep again. */
    if (a->cursor_waiting && awaited)
      pthread_cond_signal(&a->ready);
  }
  pthread_mutex_unlock(&a->lock);
  return NULL;
}

/* For text blocks, two helpers where there are two cores to run them, else
 * one. Metadata blocks always get one: taken in runs, a block's records
 * inflate faster (about 85 ns a document) than the cursor's thread turns
 * them into rows (about 120), and a second helper only took a core from
 * that thread (a read of every metadata column at 100k: medians 14.1-14.9
 * ms with two, 12.8-13.1 with one). */
static unsigned helpers_wanted(int kind) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return kind == 0 && cores >= 2 ? AHEAD_HELPERS : 1;
}

/* Whether this process is a child forked since the helpers started: they
 * do not exist here, and their lock may have been copied taken. The
 * cursor then inflates every block itself, and stopping only frees. */
static int orphaned(const q_ahead *a) {
  return a->generation != q_fork_generation();
}

/* Frees what a forked child inherited, without the lock or the threads. */
static void orphan_free(q_ahead *a) {
  for (unsigned i = 0; i < AHEAD_HELPERS; i++)
    q_inflater_free(a->helpers[i].inflater);
  for (unsigned i = 0; i < META_DEPTH; i++)
    q_buf_free(&a->slots[i].buf);
  q_free(a);
}

/* Stops and joins the started helpers, then frees everything. */
static void ahead_free(q_ahead *a) {
  if (orphaned(a)) {
    orphan_free(a);
    return;
  }
  pthread_mutex_lock(&a->lock);
  a->stop = 1;
  pthread_cond_broadcast(&a->work);
  pthread_mutex_unlock(&a->lock);
  for (unsigned i = 0; i < a->nhelpers; i++)
    pthread_join(a->helpers[i].thread, NULL);
  for (unsigned i = 0; i < AHEAD_HELPERS; i++)
    q_inflater_give(a->helpers[i].inflater);
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
  a->generation = q_fork_generation();
  a->kind = kind;
  a->depth = kind == 0 ? TEXT_DEPTH : META_DEPTH;
  a->run = kind == 0 ? 1 : META_RUN;
  pthread_mutex_init(&a->lock, NULL);
  pthread_cond_init(&a->work, NULL);
  pthread_cond_init(&a->ready, NULL);
  /* A second helper that cannot start only costs speed; the first must. */
  unsigned wanted = helpers_wanted(kind);
  for (unsigned i = 0; i < wanted; i++) {
    helper *h = &a->helpers[i];
    h->ahead = a;
    h->inflater = q_inflater_take();
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

unsigned q_ahead_wants(const q_ahead *a) {
  if (orphaned(a))
    return 0;
  unsigned free_slots = a->depth - a->count;
  return a->count == 0 || free_slots >= a->depth / 2 ? free_slots : 0;
}

unsigned q_ahead_request(q_ahead *a, const uint32_t *blocks,
                         const uint32_t *sizes, unsigned n) {
  if (orphaned(a))
    return 0;
  pthread_mutex_lock(&a->lock);
  unsigned queued = 0;
  for (; queued < n && a->count < a->depth; queued++) {
    if (a->count > 0 && a->bytes + sizes[queued] > AHEAD_BYTES)
      break;
    slot *s = nth(a, a->count);
    s->block = blocks[queued];
    s->size = sizes[queued];
    s->state = QUEUED;
    a->count++;
    a->queued++;
    a->bytes += sizes[queued];
  }
  /* A run of blocks can keep every helper busy. */
  for (unsigned i = 0; i < a->nhelpers; i++)
    nudge(a);
  pthread_mutex_unlock(&a->lock);
  return queued;
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
  if (orphaned(a))
    return Q_AHEAD_NOT_HELD;
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
