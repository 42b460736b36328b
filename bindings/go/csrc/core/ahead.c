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
 * queued blocks at once and hands them over together. The cursor takes the
 * blocks it finds ready without the lock, and when it has no text helpers
 * beside it, it inflates queued runs itself while the helper finishes the
 * block it waits for, then spins a moment rather than sleep.
 *
 * A helper's thread may start late: on a virtual machine whose kernel packs
 * threads onto few cores, a new helper waited up to 2 ms for its first run,
 * the whole of a short read. So helpers run on threads kept parked between
 * streams (pool.c), woken in microseconds, and the cursor, given an
 * inflater of its own (for metadata blocks: cursor.c, lent_inflater),
 * never sleeps on a block no helper has started: it inflates that one
 * itself, as the kernel may still run a woken helper late or on the
 * cursor's own core.
 */
#include "ahead.h"
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
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
/* How long the cursor spins for a metadata block a helper is inflating
 * before it sleeps: a run of eight takes 10 to 20 us. */
#define SPIN_NS 50000u
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
  q_pool_job job; /* helper_main() on a pooled thread (pool.c) */
  q_inflater *inflater;
  int ended; /* helper_main() returned with nothing left (under the lock) */
} helper;

struct q_ahead {
  const quire_corpus *corpus;
  unsigned generation; /* q_fork_generation() when the helpers started */
  int kind;            /* of the blocks: 0 text, 1 metadata */
  unsigned depth;      /* slots in use at most: TEXT_DEPTH or META_DEPTH */
  unsigned run;        /* blocks a helper takes at once: 1 or META_RUN */
  helper helpers[AHEAD_HELPERS];
  unsigned nhelpers; /* started */
  int spin;          /* whether the cursor may spin: two cores or more */
  /* Counts the runs helpers finished, so that a spinning cursor sees one
   * finish without the lock. */
  atomic_uint finished;
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
  /* The walk's last block is queued: a helper that finds nothing to do
   * ends rather than sleep, so that the stream's end need not wake it and
   * wait for it (a wake-up and a wait on this VM, about 80 us of every
   * stream: benchmarks/ANALYSIS.md, "The metadata read after other work,
   * and the stream's end"). Set by the cursor only, under the lock. */
  int last_queued;
  int broken; /* a helper could not start again: cursor-only, as orphaned */
  slot slots[META_DEPTH];
  unsigned head;   /* the oldest slot in use */
  unsigned count;  /* slots in use, from head on; changed by the cursor only */
  unsigned queued; /* of them, not started yet */
  uint64_t bytes;  /* uncompressed bytes of the slots in use */
  /* Cursor-only. A slot READY is the cursor's alone: no helper touches it
   * again. So the cursor notes, under the lock, how many READY slots follow
   * the one it takes (seen_ready), and takes those without the lock; they
   * stay at the head of the queue (taken) until the cursor next holds the
   * lock (publish_taken()). Taking the lock for every block cost the
   * cursor's thread a tenth of a metadata read, the lock's cache line going
   * back and forth between the cores. */
  unsigned taken, seen_ready;
  uint64_t kept_at; /* CLOCK_MONOTONIC ns, while kept between streams */
};

/* One queue of each kind kept between streams. A queue's slots keep the
 * buffers they were fitted to; freed with the queue at every stream's end,
 * they were allocated afresh by the next, and where the cursor inflated
 * them itself (a helper the kernel runs late) the main heap grew and shrank
 * with them at every stream: a metadata read of 10k documents took 110
 * page faults more, 2.25 ms against 2.07-2.12 ms kept
 * (benchmarks/ANALYSIS.md, "Queues kept between streams"). A queue is kept
 * only while its buffers hold KEPT_QUEUE_BYTES at most (the scan layout's
 * 1 MiB text blocks fill 8 MiB); q_ahead_drain() frees them, called by
 * q_spare_drain() with what spare.c keeps, and q_ahead_expire() those kept
 * 10 s, called by spare.c's tending. */
#define KEPT_QUEUE_BYTES ((size_t)1 << 20)
static _Atomic(q_ahead *) kept_queues[2];
/* When the queue of each kind was kept, for spare.c's tending, which may
 * not look into a queue another thread can take at any moment. Stored
 * before the queue is; near enough (tending asks again for what is left). */
static _Atomic uint64_t kept_since[2];

static void queue_free(q_ahead *a) {
  for (unsigned i = 0; i < META_DEPTH; i++)
    q_buf_free(&a->slots[i].buf);
  q_free(a);
}

/* A queue of this kind, all zero but for its slots' buffers: the one kept,
 * else a new one (NULL when memory runs out). */
static q_ahead *queue_take(int kind) {
  q_ahead *a = atomic_exchange(&kept_queues[kind], NULL);
  if (!a)
    return q_calloc(1, sizeof *a);
  q_buf bufs[META_DEPTH];
  for (unsigned i = 0; i < META_DEPTH; i++)
    bufs[i] = a->slots[i].buf;
  memset(a, 0, sizeof *a);
  for (unsigned i = 0; i < META_DEPTH; i++)
    a->slots[i].buf = bufs[i];
  return a;
}

/* Keeps a stopped queue (its helpers joined, its lock and conditions
 * destroyed) for the next stream, or frees it. */
static void queue_give(q_ahead *a) {
  size_t held = 0;
  for (unsigned i = 0; i < META_DEPTH; i++)
    held += a->slots[i].buf.cap;
  q_ahead *none = NULL;
  a->kept_at = q_now_ns();
  atomic_store(&kept_since[a->kind], a->kept_at);
  if (held > KEPT_QUEUE_BYTES ||
      !atomic_compare_exchange_strong(&kept_queues[a->kind], &none, a))
    queue_free(a);
  else
    q_spare_tend_soon();
}

void q_ahead_expire(uint64_t age_ns) {
  uint64_t now = q_now_ns();
  for (int kind = 0; kind < 2; kind++) {
    q_ahead *a = atomic_exchange(&kept_queues[kind], NULL);
    if (!a)
      continue;
    q_ahead *none = NULL;
    if (now - a->kept_at < age_ns)
      atomic_store(&kept_since[kind], a->kept_at); /* its own, exactly */
    if (now - a->kept_at >= age_ns ||
        !atomic_compare_exchange_strong(&kept_queues[kind], &none, a))
      queue_free(a); /* expired, or another stream kept one meanwhile */
  }
}

uint64_t q_ahead_kept_since(void) {
  uint64_t oldest = 0;
  for (int kind = 0; kind < 2; kind++) {
    uint64_t since = atomic_load(&kept_since[kind]);
    if (atomic_load(&kept_queues[kind]) && (!oldest || since < oldest))
      oldest = since;
  }
  return oldest;
}

void q_ahead_drain(void) {
  for (int kind = 0; kind < 2; kind++) {
    q_ahead *a = atomic_exchange(&kept_queues[kind], NULL);
    if (a)
      queue_free(a);
  }
}

unsigned q_ahead_kept(void) {
  unsigned kept = 0;
  for (int kind = 0; kind < 2; kind++)
    kept += atomic_load(&kept_queues[kind]) != NULL;
  return kept;
}

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

/* Inflates a slot claimed by the calling thread (WORKING: the slot is its
 * alone), recording the status and message the cursor will read. */
static void inflate_slot(q_ahead *a, q_inflater *inflater, slot *s) {
  char msg[Q_MSG_CAP] = "";
  s->status =
      q_block_load(a->corpus, a->kind, s->block, inflater, &s->buf, msg);
  memcpy(s->msg, msg, sizeof msg);
}

static void helper_main(void *arg) {
  helper *h = arg;
  q_ahead *a = h->ahead;
  slot *run[META_RUN];
  pthread_mutex_lock(&a->lock);
  for (;;) {
    while (!a->stop && a->queued == 0) {
      if (a->last_queued) {
        h->ended = 1;
        pthread_mutex_unlock(&a->lock);
        return;
      }
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
      inflate_slot(a, h->inflater, run[i]);
    pthread_mutex_lock(&a->lock);
    int awaited = 0;
    for (unsigned i = 0; i < n; i++) {
      run[i]->state = READY;
      awaited |= run[i] == a->awaited;
    }
    atomic_fetch_add_explicit(&a->finished, 1, memory_order_release);
    /* Other slots finishing would wake the cursor only to sleep again. */
    if (a->cursor_waiting && awaited)
      pthread_cond_signal(&a->ready);
  }
  pthread_mutex_unlock(&a->lock);
}

/* For text blocks, two helpers where there are two cores to run them, else
 * one. Metadata blocks always get one: taken in runs, a block's records
 * inflate faster (about 85 ns a document) than the cursor's thread turns
 * them into rows (about 120), and a second helper only took a core from
 * that thread (a read of every metadata column at 100k: medians 14.1-14.9
 * ms with two, 12.8-13.1 with one). */
static unsigned helpers_wanted(int kind, long cores) {
  return kind == 0 && cores >= 2 ? AHEAD_HELPERS : 1;
}

/* Whether this process is a child forked since the helpers started: they
 * do not exist here, and their lock may have been copied taken. The
 * cursor then inflates every block itself, and stopping only frees. */
static int orphaned(const q_ahead *a) {
  return a->generation != q_fork_generation();
}

/* Whether the cursor must do without the queue: in a forked child, or
 * once a helper could not start again. */
static int unusable(const q_ahead *a) {
  return orphaned(a) || a->broken;
}

/* Frees what a forked child inherited, without the lock or the threads. */
static void orphan_free(q_ahead *a) {
  for (unsigned i = 0; i < AHEAD_HELPERS; i++)
    q_inflater_free(a->helpers[i].inflater);
  queue_free(a);
}

/* Stops and joins the started helpers, gives their inflaters back, and
 * keeps or frees the queue. */
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
    q_pool_wait(&a->helpers[i].job);
  for (unsigned i = 0; i < AHEAD_HELPERS; i++)
    q_inflater_give(a->helpers[i].inflater);
  pthread_mutex_destroy(&a->lock);
  pthread_cond_destroy(&a->work);
  pthread_cond_destroy(&a->ready);
  queue_give(a);
}

int q_ahead_start(q_ahead **out, const quire_corpus *corpus, int kind,
                  unsigned max_helpers) {
  *out = NULL;
  q_ahead *a = queue_take(kind);
  if (!a)
    return QUIRE_ENOMEM;
  a->corpus = corpus;
  a->generation = q_fork_generation();
  a->kind = kind;
  a->depth = kind == 0 ? TEXT_DEPTH : META_DEPTH;
  a->run = kind == 0 ? 1 : META_RUN;
  long cores = sysconf(_SC_NPROCESSORS_ONLN); /* reads a file: once */
  a->spin = cores >= 2;
  atomic_init(&a->finished, 0);
  pthread_mutex_init(&a->lock, NULL);
  pthread_cond_init(&a->work, NULL);
  pthread_cond_init(&a->ready, NULL);
  /* A second helper that cannot start only costs speed; the first must. */
  unsigned wanted = helpers_wanted(kind, cores);
  if (wanted > max_helpers)
    wanted = max_helpers;
  for (unsigned i = 0; i < wanted; i++) {
    helper *h = &a->helpers[i];
    h->ahead = a;
    h->inflater = q_inflater_take();
    h->job.fn = helper_main;
    h->job.arg = h;
    if (!h->inflater || q_pool_run(&h->job) != 0)
      break;
    a->nhelpers++;
  }
  if (a->nhelpers == 0 && wanted > 0) {
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

/* Wakes a sleeping helper when enough work waits, when the cursor will
 * soon have nothing left, or when the walk's last block is queued (the
 * helper then ends once nothing is left); called with the lock held. */
static void nudge(q_ahead *a) {
  unsigned started = a->count - a->queued;
  if (a->helpers_waiting > a->wakes_pending &&
      (a->queued >= a->depth / 2 || started <= 1 || a->cursor_waiting ||
       a->last_queued)) {
    pthread_cond_signal(&a->work);
    a->wakes_pending++;
  }
}

unsigned q_ahead_wants(const q_ahead *a) {
  if (unusable(a))
    return 0;
  unsigned in_use = a->count - a->taken;
  unsigned free_slots = a->depth - in_use;
  return in_use == 0 || free_slots >= a->depth / 2 ? free_slots : 0;
}

/* Takes the oldest slot off the queue; called with the lock held. */
static void remove_head(q_ahead *a) {
  slot *s = nth(a, 0);
  s->state = EMPTY;
  a->head = (a->head + 1) % a->depth;
  a->count--;
  a->bytes -= s->size;
}

/* Takes off the queue the slots the cursor took without the lock; called
 * with the lock held. */
static void publish_taken(q_ahead *a) {
  for (; a->taken > 0; a->taken--)
    remove_head(a);
}

/* Starts again the helpers that ended, now that blocks are queued after
 * the walk's last (the cursor moved back); called without the lock. A
 * helper that cannot start (the pool is shutting down) makes the queue
 * unusable, as a forked child's is: the cursor inflates every block. */
static void restart_ended(q_ahead *a, const unsigned *ended, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    helper *h = &a->helpers[ended[i]];
    q_pool_wait(&h->job); /* its last run's end, moments away */
    if (q_pool_run(&h->job) != 0) {
      pthread_mutex_lock(&a->lock);
      h->ended = 1;
      pthread_mutex_unlock(&a->lock);
      a->broken = 1;
    }
  }
}

unsigned q_ahead_request(q_ahead *a, const uint32_t *blocks,
                         const uint32_t *sizes, unsigned n, int last) {
  if (unusable(a) || (n == 0 && a->last_queued))
    return 0;
  pthread_mutex_lock(&a->lock);
  publish_taken(a);
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
  a->last_queued = last && queued == n;
  /* A run of blocks can keep every helper busy. */
  for (unsigned i = 0; i < a->nhelpers; i++)
    nudge(a);
  unsigned ended[AHEAD_HELPERS], nended = 0;
  for (unsigned i = 0; i < a->nhelpers && a->queued > 0; i++)
    if (a->helpers[i].ended) {
      a->helpers[i].ended = 0;
      ended[nended++] = i;
    }
  pthread_mutex_unlock(&a->lock);
  restart_ended(a, ended, nended);
  return queued;
}

unsigned q_ahead_helpers_running(q_ahead *a) {
  if (unusable(a))
    return 0;
  pthread_mutex_lock(&a->lock);
  unsigned running = 0;
  for (unsigned i = 0; i < a->nhelpers; i++)
    running += !a->helpers[i].ended;
  pthread_mutex_unlock(&a->lock);
  return running;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Waits, without the lock, up to SPIN_NS for a helper to finish a run.
 * A helper already inflating the slot the cursor needs finishes in
 * microseconds, where sleeping and being woken costs a system call on each
 * side and the scheduler's delay (ANALYSIS.md, "The cursor shares the
 * metadata helper's work"). Called with the lock held; returns with it
 * held. */
static void spin_for_helper(q_ahead *a) {
  unsigned seen = atomic_load_explicit(&a->finished, memory_order_acquire);
  pthread_mutex_unlock(&a->lock);
  uint64_t start = q_now_ns();
  for (unsigned i = 1;; i++) {
    if (atomic_load_explicit(&a->finished, memory_order_acquire) != seen)
      break;
    if (i % 64 == 0 && q_now_ns() - start > SPIN_NS)
      break;
    cpu_relax();
  }
  pthread_mutex_lock(&a->lock);
}

/* The cursor inflates the first queued run itself, with its own inflater,
 * rather than stand idle; returns 0 when none was queued. Called with the
 * lock held; returns with it held. */
static int share_run(q_ahead *a, q_inflater *own) {
  slot *run[META_RUN];
  unsigned n = claim_run(a, run);
  if (n == 0)
    return 0;
  pthread_mutex_unlock(&a->lock);
  for (unsigned i = 0; i < n; i++)
    inflate_slot(a, own, run[i]);
  pthread_mutex_lock(&a->lock);
  for (unsigned i = 0; i < n; i++)
    run[i]->state = READY;
  return 1;
}

/* Waits until the slot is inflated; called with the lock held. A slot no
 * helper has started yet, the cursor inflates itself with own (NULL: it
 * waits): a helper whose thread the kernel has not run yet, or has put on
 * the cursor's own core, would keep it waiting for the whole read
 * (ANALYSIS.md, "Helpers the kernel runs late"). With share, while a
 * helper holds the slot, the cursor first inflates queued runs, then
 * spins a moment. */
static void wait_ready(q_ahead *a, const slot *s, q_inflater *own, int share) {
  if (own && s->state == QUEUED)
    share_run(a, own);
  while (own && share && a->spin && s->state == WORKING) {
    if (!share_run(a, own)) {
      spin_for_helper(a);
      break;
    }
  }
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
      wait_ready(a, nth(a, i), NULL, 0);
  for (unsigned i = 0; i < META_DEPTH; i++)
    a->slots[i].state = EMPTY;
  a->head = a->count = a->queued = 0;
  a->bytes = 0;
}

/* Swaps the inflated bytes of the READY slot s into *into and returns the
 * status of the inflating, its message in msg. */
static int hand_over(slot *s, q_buf *into, char *msg) {
  q_buf swap = *into;
  *into = s->buf;
  s->buf = swap;
  if (s->status != QUIRE_OK)
    memcpy(msg, s->msg, Q_MSG_CAP);
  return s->status;
}

/* How many slots right after the oldest are READY; called with the lock
 * held. */
static unsigned ready_after_head(q_ahead *a) {
  unsigned n = 0;
  while (n + 1 < a->count && nth(a, n + 1)->state == READY)
    n++;
  return n;
}

int q_ahead_take(q_ahead *a, uint32_t block, q_inflater *own, int share,
                 q_buf *into, char *msg) {
  if (unusable(a))
    return Q_AHEAD_NOT_HELD;
  if (a->seen_ready > 0 && nth(a, a->taken)->block == block) {
    a->seen_ready--;
    return hand_over(nth(a, a->taken++), into, msg);
  }
  a->seen_ready = 0;
  pthread_mutex_lock(&a->lock);
  publish_taken(a);
  slot *s = nth(a, 0);
  if (a->count == 0 || s->block != block) {
    flush(a);
    pthread_mutex_unlock(&a->lock);
    return Q_AHEAD_NOT_HELD;
  }
  wait_ready(a, s, own, share);
  a->seen_ready = ready_after_head(a);
  int status = hand_over(s, into, msg);
  remove_head(a);
  pthread_mutex_unlock(&a->lock);
  return status;
}
