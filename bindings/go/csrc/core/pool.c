/*
 * pool.c: threads kept parked between the jobs of read-ahead helpers.
 *
 * A stream's helpers were threads created when it started and joined when
 * it stopped. On a virtual machine whose other core had been idle for a
 * moment, a new thread first ran 3.6-3.8 ms (median) after
 * pthread_create(), where a parked thread woken by its condition variable
 * ran after 5-22 us (benchmarks/ANALYSIS.md, "Helpers kept parked"): about
 * a timer tick, more than the whole of a 10k-document metadata read. So a
 * helper's thread is now taken from this pool, and given back parked when its
 * job is done.
 *
 * The pool holds Q_POOL_MAX threads at most, created as jobs need them and
 * kept until the library is unloaded or the process ends (a destructor
 * wakes and joins the parked ones). A parked thread holds no memory of the
 * library's: only its stack. One lock guards the pool; fork() holds it
 * (spare.c's pthread_atfork() handlers call q_pool_before_fork() and the
 * others), and the child starts with an empty pool, as its copies of the
 * threads do not exist.
 *
 * Tending. What spare.c keeps for reuse (released batch buffers,
 * inflaters, read-ahead queues) was freed only by the library's next call of
 * the same kind, so a program that read once and went on with other work kept
 * it for as long as it ran. A parked thread now also waits, with a time limit,
 * for the moment q_pool_tend_at() names, and runs spare.c's tending then. No
 * thread is started for it: a process that never ran a helper has none,
 * and keeps the earlier rule alone.
 */
#include "pool.h"

#include <pthread.h>
#include <time.h>

#include "internal.h"

typedef struct pooled {
  int live;         /* a thread runs pooled_main() on this slot */
  pthread_t thread; /* while live */
  q_pool_job *job;  /* to run, or running; NULL while parked */
  pthread_cond_t wake;
} pooled;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER; /* a job ended */
static pooled slots[Q_POOL_MAX];
static int quitting;           /* the library is being unloaded */
static void (*tend_fn)(void);  /* q_pool_tend_at() */
static uint64_t tend_due;      /* CLOCK_MONOTONIC ns; 0: none pending */
static int tending;            /* a thread runs tend_fn now */
static unsigned long jobs_run; /* q_pool_jobs() */
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;

static void slots_init(void) {
  for (unsigned i = 0; i < Q_POOL_MAX; i++)
    pthread_cond_init(&slots[i].wake, NULL);
}

/* Parks the calling thread until it is woken, or until the pending
 * tending is due; runs the tending when it is. Called with the lock held. */
static void park(pooled *t) {
  if (!tend_due || tending) {
    pthread_cond_wait(&t->wake, &pool_lock);
    return;
  }
  uint64_t now = q_now_ns();
  if (now < tend_due) {
    /* The condition variable waits on the wall clock: the time left is
     * measured on the monotonic one, so a clock set back delays nothing. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    uint64_t left = tend_due - now;
    until.tv_sec += (time_t)(left / 1000000000u);
    until.tv_nsec += (long)(left % 1000000000u);
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&t->wake, &pool_lock, &until);
    return;
  }
  void (*fn)(void) = tend_fn;
  tend_due = 0;
  tending = 1;
  pthread_mutex_unlock(&pool_lock);
  fn();
  pthread_mutex_lock(&pool_lock);
  tending = 0;
}

static void *pooled_main(void *arg) {
  pooled *t = arg;
  pthread_mutex_lock(&pool_lock);
  for (;;) {
    while (!t->job && !quitting)
      park(t);
    q_pool_job *job = t->job;
    if (!job)
      break;
    pthread_mutex_unlock(&pool_lock);
    job->fn(job->arg);
    pthread_mutex_lock(&pool_lock);
    t->job = NULL;
    job->done = 1;
    pthread_cond_broadcast(&pool_done);
  }
  pthread_mutex_unlock(&pool_lock);
  return NULL;
}

/* A parked thread of the pool, else a free slot with a new thread on it,
 * else NULL. Called with the lock held. */
static pooled *thread_for_job(void) {
  pooled *free_slot = NULL;
  for (unsigned i = 0; i < Q_POOL_MAX; i++) {
    if (slots[i].live && !slots[i].job)
      return &slots[i];
    if (!slots[i].live && !free_slot)
      free_slot = &slots[i];
  }
  if (!free_slot ||
      pthread_create(&free_slot->thread, NULL, pooled_main, free_slot) != 0)
    return NULL;
  free_slot->live = 1;
  return free_slot;
}

int q_pool_run(q_pool_job *job) {
  pthread_once(&slots_once, slots_init);
  job->done = 0;
  pthread_mutex_lock(&pool_lock);
  pooled *t = quitting ? NULL : thread_for_job();
  if (t) {
    jobs_run++;
    t->job = job;
    pthread_cond_signal(&t->wake);
  }
  pthread_mutex_unlock(&pool_lock);
  return t ? 0 : -1;
}

void q_pool_wait(q_pool_job *job) {
  pthread_mutex_lock(&pool_lock);
  while (!job->done)
    pthread_cond_wait(&pool_done, &pool_lock);
  pthread_mutex_unlock(&pool_lock);
}

void q_pool_tend_at(void (*fn)(void), uint64_t due_ns) {
  pthread_mutex_lock(&pool_lock);
  if (!tend_due || due_ns < tend_due) {
    tend_fn = fn;
    tend_due = due_ns ? due_ns : 1;
    /* Every parked thread waits for it, not one: the one woken could be
     * given a helper's job next, and keep it as long as a stream stays
     * open. */
    for (unsigned i = 0; i < Q_POOL_MAX; i++)
      if (slots[i].live && !slots[i].job)
        pthread_cond_signal(&slots[i].wake);
  }
  pthread_mutex_unlock(&pool_lock);
}

void q_pool_before_fork(void) {
  pthread_mutex_lock(&pool_lock);
}

void q_pool_after_fork(void) {
  pthread_mutex_unlock(&pool_lock);
}

/* The condition variables are set afresh too: their copies may count
 * waiters that do not exist here, and a signal could go to one of them. */
void q_pool_in_child(void) {
  static const pthread_cond_t fresh = PTHREAD_COND_INITIALIZER;
  for (unsigned i = 0; i < Q_POOL_MAX; i++) {
    slots[i].live = 0;
    slots[i].job = NULL;
    slots[i].wake = fresh;
  }
  pool_done = fresh;
  tending = 0; /* a parent's thread may have been tending */
  pthread_mutex_unlock(&pool_lock);
}

unsigned q_pool_threads(void) {
  unsigned n = 0;
  pthread_mutex_lock(&pool_lock);
  for (unsigned i = 0; i < Q_POOL_MAX; i++)
    n += slots[i].live != 0;
  pthread_mutex_unlock(&pool_lock);
  return n;
}

unsigned q_pool_busy(void) {
  unsigned n = 0;
  pthread_mutex_lock(&pool_lock);
  for (unsigned i = 0; i < Q_POOL_MAX; i++)
    n += slots[i].job != NULL;
  pthread_mutex_unlock(&pool_lock);
  return n;
}

unsigned long q_pool_jobs(void) {
  pthread_mutex_lock(&pool_lock);
  unsigned long n = jobs_run;
  pthread_mutex_unlock(&pool_lock);
  return n;
}

/* At unload or exit: wakes the parked threads and joins them, so that none
 * runs the library's code once it is unmapped. A thread still running a
 * job (a stream never released) is left alone: waiting for it could hang
 * the exit. */
__attribute__((destructor)) static void pool_shutdown(void) {
  pthread_mutex_lock(&pool_lock);
  quitting = 1;
  pthread_t parked[Q_POOL_MAX];
  unsigned n = 0;
  for (unsigned i = 0; i < Q_POOL_MAX; i++) {
    if (slots[i].live && !slots[i].job) {
      pthread_cond_signal(&slots[i].wake);
      parked[n++] = slots[i].thread;
      slots[i].live = 0;
    }
  }
  pthread_mutex_unlock(&pool_lock);
  for (unsigned i = 0; i < n; i++)
    pthread_join(parked[i], NULL);
}
