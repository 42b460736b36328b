/*
 * pool.h: threads kept parked between the jobs of read-ahead helpers
 * (pool.c says why).
 */
#ifndef QUIRE_POOL_H
#define QUIRE_POOL_H

#include <stdint.h>

/* A job for a pooled thread: fn(arg), once. The caller owns the struct and
 * keeps it until q_pool_wait() returns. */
typedef struct q_pool_job {
  void (*fn)(void *arg);
  void *arg;
  int done; /* under the pool's lock */
} q_pool_job;

/* Runs job->fn(job->arg) on a parked thread of the pool, or on a new one
 * while the pool holds fewer than Q_POOL_MAX threads. Returns 0, or -1
 * when no thread can be had (the caller goes on without it). */
#define Q_POOL_MAX 8u
int q_pool_run(q_pool_job *job);

/* Waits until job->fn has returned; the pooled thread does not touch the
 * job after that. Only for a job q_pool_run() took. */
void q_pool_wait(q_pool_job *job);

/* Tending: has a parked thread of the pool call fn() (outside the pool's
 * lock) once CLOCK_MONOTONIC passes due_ns, so that what the library keeps
 * for reuse (spare.c) is freed in time even when it is not called again.
 * Only one tending is pending: the earliest due wins, and fn may ask again
 * for a later one. Nothing runs while the pool has no thread (then the
 * caller's own next call must do the work). Never call with the pool's lock
 * held; spare.c calls it with its own lock held, the order fork() takes
 * the two in. */
void q_pool_tend_at(void (*fn)(void), uint64_t due_ns);

/* Around fork() (spare.c's pthread_atfork() handlers call them): the pool's
 * lock is held across it, and the child, whose copies of the pooled
 * threads do not exist, starts with an empty pool. */
void q_pool_before_fork(void);
void q_pool_after_fork(void);
void q_pool_in_child(void);

/* For the tests: the threads the pool holds, how many of them run a job
 * now, and how many jobs q_pool_run() has given a thread so far. */
unsigned q_pool_threads(void);
unsigned q_pool_busy(void);
unsigned long q_pool_jobs(void);

#endif
