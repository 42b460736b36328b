/*
 * spare.c: large buffers an Arrow consumer has released, kept for a moment
 * for the next batches; and inflaters cursors have released, kept for the
 * next cursors.
 *
 * Why. A batch's string columns are fresh memory, hundreds of MiB when a
 * whole corpus is read into a table, and the kernel zeroes every page of
 * fresh memory on first touch. In a repeated one-thread read of every
 * column, that zeroing took a third of the time (benchmarks/ANALYSIS.md,
 * "Released batch memory"). Arrow's own allocator keeps released memory for
 * reuse the same way; quire's batches come from the library's allocator
 * (q_malloc()), so quire keeps them itself.
 *
 * Policy, stated in ABI.md ("Allocator"):
 *   - only buffers of at least Q_SPARE_MIN bytes are kept: smaller ones are
 *     reused well by any malloc;
 *   - at most Q_SPARE_SLOTS buffers and Q_SPARE_MAX bytes in all;
 *   - a buffer kept for Q_SPARE_AGE_NS is freed at the next give (of any
 *     size), so a program that stops reading keeps little for long once it
 *     releases a batch again. A take lends what fits whatever its age, and
 *     frees nothing: the buffers kept from one read are what the next read's
 *     batches want, and a take that freed the old ones left every batch
 *     after the first to write fresh memory, each page zeroed (a read
 *     repeated every 1.2 s took 0.83 s, one repeated at once 0.49 s:
 *     benchmarks/ANALYSIS.md, "Kept buffers lent whatever their age");
 *   - a buffer, inflater or read-ahead queue kept for Q_SPARE_IDLE_NS
 *     (10 s) is freed by a parked pool thread (pool.c, "Tending") with no
 *     call to the library, where the process has one: a program that reads
 *     a table once and goes on with other work gets the memory back;
 *   - kept pages are marked MADV_FREE: under memory pressure the kernel
 *     takes them back without writing them anywhere, and a page it has not
 *     taken is reused without a fault;
 *   - quire_set_allocator() frees every kept buffer first (q_spare_drain()),
 *     so none is ever freed with another allocator than its own.
 *
 * Inflaters. A cursor's first block of each kind set up its inflater's
 * zstd context and dictionary window: fresh memory for a copy of the
 * dictionary (1 MiB for text), faulted in page by page, and zstd's tables
 * built. That was 80 to 115 us of every stream or cursor, whatever it read
 * after (ANALYSIS.md, "Inflaters kept"): most of a filtered read of a few
 * documents. Up to Q_SPARE_INFLATERS released inflaters are kept, under
 * the same second's limit, the one kept last lent first (its windows are
 * the likeliest to hold the dictionary wanted). Each holds about 1.5 MiB.
 *
 * Read-ahead queues. ahead.c keeps a stopped queue of each kind, slot
 * buffers and all, for the next stream; q_spare_drain() frees those too,
 * so that it frees everything the library keeps for reuse.
 *
 * fork(). A child forked while another thread held the lock would find its
 * copy locked forever, and hang at its first batch built or released;
 * Python's multiprocessing and PySpark's workers fork processes that go on
 * reading. So the forking thread takes the lock before fork() and both
 * processes release it after (pthread_atfork()); the child keeps its copy
 * of the kept buffers.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ahead.h"
#include "codec.h"
#include "internal.h"
#include "pool.h"

#define Q_SPARE_SLOTS 64
#define Q_SPARE_MIN ((size_t)256 << 10)
#define Q_SPARE_MAX ((size_t)1 << 30)
#define Q_SPARE_AGE_NS ((uint64_t)1000000000)
#define Q_SPARE_INFLATERS 4
/* Kept this long, a buffer, an inflater or a read-ahead queue is freed even
 * if the library is not called again (by a parked helper thread:
 * q_pool_tend_at()). Longer than Q_SPARE_AGE_NS, so that reads repeated
 * every few seconds still find their buffers; like jemalloc's default
 * decay of dirty pages. */
#define Q_SPARE_IDLE_NS ((uint64_t)10000000000)
static _Atomic uint64_t spare_idle_ns = Q_SPARE_IDLE_NS;

typedef struct q_spare_slot {
  void *data; /* NULL: the slot is free */
  size_t cap;
  uint64_t kept_at; /* CLOCK_MONOTONIC nanoseconds */
} q_spare_slot;

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static q_spare_slot spare_slots[Q_SPARE_SLOTS];
static size_t spare_bytes; /* the sum of the kept buffers' capacities */
static struct {
  q_inflater *inflater; /* NULL: the slot is free */
  uint64_t kept_at;
} spare_inflaters[Q_SPARE_INFLATERS];
static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

static void lock_before_fork(void) {
  pthread_mutex_lock(&spare_lock);
  q_pool_before_fork();
}

static void unlock_after_fork(void) {
  q_pool_after_fork();
  pthread_mutex_unlock(&spare_lock);
}

static atomic_uint forks_seen; /* by this process, as a child */

static void unlock_in_child(void) {
  atomic_fetch_add(&forks_seen, 1);
  q_pool_in_child();
  pthread_mutex_unlock(&spare_lock);
}

unsigned q_fork_generation(void) {
  return atomic_load_explicit(&forks_seen, memory_order_relaxed);
}

/* Registered once, at the first use: every cursor takes its inflater here,
 * so they are in place before any read-ahead helper starts. If registering
 * fails (no memory), a fork() only risks what it risked before. */
static void add_fork_handlers(void) {
  (void)pthread_atfork(lock_before_fork, unlock_after_fork, unlock_in_child);
}

static void spare_lock_take(void) {
  pthread_once(&fork_handlers_once, add_fork_handlers);
  pthread_mutex_lock(&spare_lock);
}

/* Tells the kernel the whole pages inside [data, data + cap) may be taken
 * back; their contents no longer matter. Only advice: on failure the pages
 * simply stay. */
static void pages_free_lazily(void *data, size_t cap) {
  long size = sysconf(_SC_PAGESIZE); /* 4 KiB here, 16 or 64 KiB elsewhere */
  if (size <= 0)
    return;
  uintptr_t page = (uintptr_t)size;
  uintptr_t start = ((uintptr_t)data + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t)data + cap) & ~(page - 1);
  if (end > start)
    (void)madvise((void *)start, end - start, MADV_FREE);
}

/* Moves slot i's buffer to *freed; the caller frees it outside the lock. */
static void slot_clear(int i, void **freed) {
  *freed = spare_slots[i].data;
  spare_bytes -= spare_slots[i].cap;
  spare_slots[i].data = NULL;
  spare_slots[i].cap = 0;
}

/* Frees, outside the lock, what slot_clear() took out. */
static void free_all(void **freed, int count) {
  for (int i = 0; i < count; i++)
    q_free(freed[i]);
}

/* Takes out of the slots every buffer kept since before `now - age`, into
 * freed (room for Q_SPARE_SLOTS); returns how many. Call with the lock. */
static int take_expired(uint64_t now, uint64_t age, void **freed) {
  int count = 0;
  for (int i = 0; i < Q_SPARE_SLOTS; i++)
    if (spare_slots[i].data && now - spare_slots[i].kept_at >= age)
      slot_clear(i, &freed[count++]);
  return count;
}

void *q_spare_take(size_t need, size_t *cap) {
  if (need < Q_SPARE_MIN)
    return NULL;
  spare_lock_take();
  /* The smallest buffer that fits, and not one over twice the need: a
   * batch holds what it takes for as long as the consumer keeps it. */
  int best = -1;
  for (int i = 0; i < Q_SPARE_SLOTS; i++) {
    size_t has = spare_slots[i].cap;
    if (spare_slots[i].data && has >= need && has - need <= need &&
        (best < 0 || has < spare_slots[best].cap))
      best = i;
  }
  void *data = NULL;
  if (best >= 0) {
    *cap = spare_slots[best].cap;
    slot_clear(best, &data);
  }
  pthread_mutex_unlock(&spare_lock);
  return data;
}

/* Keeps data (cap bytes) in a slot, making room by the oldest first (they
 * are the nearest to expiring anyway); what it lets go of goes to freed[],
 * from *count on. Call with the lock. */
static void keep_locked(void *data, size_t cap, uint64_t now, void **freed,
                        int *count) {
  while (spare_bytes + cap > Q_SPARE_MAX) {
    int oldest = -1;
    for (int i = 0; i < Q_SPARE_SLOTS; i++)
      if (spare_slots[i].data &&
          (oldest < 0 || spare_slots[i].kept_at < spare_slots[oldest].kept_at))
        oldest = i;
    slot_clear(oldest, &freed[(*count)++]);
  }
  for (int i = 0; i < Q_SPARE_SLOTS; i++)
    if (!spare_slots[i].data) {
      spare_slots[i] = (q_spare_slot){data, cap, now};
      spare_bytes += cap;
      return;
    }
  freed[(*count)++] = data; /* every slot taken: not kept */
}

/* Takes out of their slots the inflaters kept since before `now - age`,
 * into freed (room for Q_SPARE_INFLATERS); returns how many. Call with the
 * lock. */
static int take_expired_inflaters(uint64_t now, uint64_t age,
                                  q_inflater **freed) {
  int count = 0;
  for (int i = 0; i < Q_SPARE_INFLATERS; i++)
    if (spare_inflaters[i].inflater &&
        now - spare_inflaters[i].kept_at >= age) {
      freed[count++] = spare_inflaters[i].inflater;
      spare_inflaters[i].inflater = NULL;
    }
  return count;
}

static void free_inflaters(q_inflater **freed, int count) {
  for (int i = 0; i < count; i++)
    q_inflater_free(freed[i]);
}

/* When the oldest of what is kept was kept, or 0 when nothing is. Call
 * with the lock. */
static uint64_t oldest_kept_at(void) {
  uint64_t oldest = 0;
  for (int i = 0; i < Q_SPARE_SLOTS; i++)
    if (spare_slots[i].data && (!oldest || spare_slots[i].kept_at < oldest))
      oldest = spare_slots[i].kept_at;
  for (int i = 0; i < Q_SPARE_INFLATERS; i++)
    if (spare_inflaters[i].inflater &&
        (!oldest || spare_inflaters[i].kept_at < oldest))
      oldest = spare_inflaters[i].kept_at;
  uint64_t queues = q_ahead_kept_since();
  if (queues && (!oldest || queues < oldest))
    oldest = queues;
  return oldest;
}

static void tend(void);

/* Asks the pool to free what is kept once it has been idle long enough.
 * Call with the lock (the order fork() takes the two locks in). */
static void arm_tending(void) {
  uint64_t oldest = oldest_kept_at();
  if (!oldest)
    return;
  /* Never in the past: a time a moment stale (a read-ahead queue's) would
   * have the tending run again at once, for nothing. */
  uint64_t due = oldest + atomic_load(&spare_idle_ns), soonest = q_now_ns();
  soonest += 1000000;
  q_pool_tend_at(tend, due > soonest ? due : soonest);
}

/* Frees the buffers and inflaters kept age_ns or longer. Call with the
 * lock: it frees holding it, so that quire_set_allocator(), whose
 * q_spare_drain() takes the lock, never swaps the allocator under a free
 * in progress (the tending frees from a pool thread). */
static void expire_locked(uint64_t age_ns) {
  void *freed[Q_SPARE_SLOTS];
  q_inflater *inflaters[Q_SPARE_INFLATERS];
  uint64_t now = q_now_ns();
  int count = take_expired(now, age_ns, freed);
  int kept = take_expired_inflaters(now, age_ns, inflaters);
  free_all(freed, count);
  free_inflaters(inflaters, kept);
}

/* Run by a parked pool thread: frees what has been kept too long, and asks
 * again for what is left. */
static void tend(void) {
  uint64_t idle = atomic_load(&spare_idle_ns);
  spare_lock_take();
  expire_locked(idle);
  q_ahead_expire(idle);
  arm_tending();
  pthread_mutex_unlock(&spare_lock);
}

void q_spare_tend_soon(void) {
  spare_lock_take();
  arm_tending();
  pthread_mutex_unlock(&spare_lock);
}

void q_spare_set_idle_ns(uint64_t ns) {
  atomic_store(&spare_idle_ns, ns);
}

void q_spare_give(void *data, size_t cap) {
  if (!data)
    return;
  int keep = cap >= Q_SPARE_MIN && cap <= Q_SPARE_MAX;
  if (keep)
    pages_free_lazily(data, cap);
  void *freed[Q_SPARE_SLOTS + 1];
  spare_lock_take();
  uint64_t now = q_now_ns();
  int count = take_expired(now, Q_SPARE_AGE_NS, freed);
  if (keep)
    keep_locked(data, cap, now, freed, &count);
  else
    freed[count++] = data;
  arm_tending();
  pthread_mutex_unlock(&spare_lock);
  free_all(freed, count);
}

q_inflater *q_inflater_take(void) {
  spare_lock_take();
  int last = -1;
  for (int i = 0; i < Q_SPARE_INFLATERS; i++)
    if (spare_inflaters[i].inflater &&
        (last < 0 ||
         spare_inflaters[i].kept_at > spare_inflaters[last].kept_at))
      last = i;
  q_inflater *kept = NULL;
  if (last >= 0) {
    kept = spare_inflaters[last].inflater;
    spare_inflaters[last].inflater = NULL;
  }
  pthread_mutex_unlock(&spare_lock);
  return kept ? kept : q_inflater_new();
}

void q_inflater_give(q_inflater *inflater) {
  if (!inflater)
    return;
  q_inflater *freed[Q_SPARE_INFLATERS + 1];
  spare_lock_take();
  uint64_t now = q_now_ns();
  int count = take_expired_inflaters(now, Q_SPARE_AGE_NS, freed);
  /* A free slot, or the oldest one's, whose inflater is let go. */
  int slot = 0;
  for (int i = 0; i < Q_SPARE_INFLATERS; i++) {
    if (!spare_inflaters[i].inflater) {
      slot = i;
      break;
    }
    if (spare_inflaters[i].kept_at < spare_inflaters[slot].kept_at)
      slot = i;
  }
  if (spare_inflaters[slot].inflater)
    freed[count++] = spare_inflaters[slot].inflater;
  spare_inflaters[slot].inflater = inflater;
  spare_inflaters[slot].kept_at = now;
  arm_tending();
  pthread_mutex_unlock(&spare_lock);
  free_inflaters(freed, count);
}

unsigned q_inflaters_kept(void) {
  spare_lock_take();
  unsigned kept = 0;
  for (int i = 0; i < Q_SPARE_INFLATERS; i++)
    kept += spare_inflaters[i].inflater != NULL;
  pthread_mutex_unlock(&spare_lock);
  return kept;
}

void q_spare_expire(uint64_t age_ns) {
  spare_lock_take();
  expire_locked(age_ns);
  pthread_mutex_unlock(&spare_lock);
}

void q_spare_drain(void) {
  q_spare_expire(0);
  q_ahead_drain();
}

size_t q_spare_kept(void) {
  spare_lock_take();
  size_t bytes = spare_bytes;
  pthread_mutex_unlock(&spare_lock);
  return bytes;
}
