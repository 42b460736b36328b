/*
 * wpool.c: the writer's compression threads (see wpool.h).
 */
#include "wpool.h"

#include <pthread.h>

#include "codec.h"

/* Jobs waiting for a helper, per thread, before the calling thread
 * compresses one itself (q_wpool_help()): enough that a helper finishing
 * one always finds the next, text and metadata blocks alternating. */
#define BACKLOG_PER_THREAD 2
/* Jobs queued, being compressed or done and not yet taken back, per
 * thread, before the calling thread waits for the oldest. */
#define MAX_IN_FLIGHT_PER_THREAD 4

struct q_wpool {
  pthread_mutex_t lock;
  pthread_cond_t work_ready; /* a job was queued, or the pool is stopping */
  pthread_cond_t job_done;
  pthread_t *threads;
  int workers;
  const q_wconfig *config;
  int stopping;
  q_wjob *oldest, *newest; /* every job in flight, in submission order */
  q_wjob *next_todo;       /* the first job no worker has taken yet */
  int todo;                /* jobs from next_todo on */
  int in_flight;
  q_wjob *free_jobs; /* released jobs, their buffers kept for reuse */
};

/* Compresses one job with the worker's own compressor. */
static void compress_job(q_packer *d, const q_wconfig *config, q_wjob *job) {
  size_t bound = q_packer_bound(d, job->in.len);
  char *out = q_grow(job->out, &job->out_cap, bound, 1, 0);
  if (!out) {
    job->failed = 1;
    return;
  }
  job->out = out;
  job->out_len = q_pack(d, config->dict[job->kind], job->in.data, job->in.len,
                        job->out, bound);
  job->failed = job->out_len == 0;
}

/* The next job to compress, taken off the queue; the lock is held. */
static q_wjob *take_job(q_wpool *pool) {
  q_wjob *job = pool->next_todo;
  pool->next_todo = job->next;
  pool->todo--;
  return job;
}

/* Marks a compressed job done; the lock is held. */
static void finish_job(q_wpool *pool, q_wjob *job) {
  job->done = 1;
  pthread_cond_broadcast(&pool->job_done);
}

static void *worker_main(void *arg) {
  q_wpool *pool = arg;
  q_packer *d = q_packer_new(pool->config->codec, pool->config->level);
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    while (!pool->stopping && !pool->next_todo)
      pthread_cond_wait(&pool->work_ready, &pool->lock);
    if (!pool->next_todo)
      break; /* stopping with nothing left */
    q_wjob *job = take_job(pool);
    pthread_mutex_unlock(&pool->lock);
    if (d)
      compress_job(d, pool->config, job);
    else
      job->failed = 1;
    pthread_mutex_lock(&pool->lock);
    finish_job(pool, job);
  }
  pthread_mutex_unlock(&pool->lock);
  q_packer_free(d);
  return NULL;
}

int q_wpool_new(q_wpool **out, int workers, const q_wconfig *config,
                char *msg) {
  q_wpool *pool = q_calloc(1, sizeof *pool);
  *out = NULL;
  if (!pool)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory for threads");
  pool->config = config;
  pool->threads = q_calloc((size_t)workers, sizeof *pool->threads);
  if (!pool->threads) {
    q_free(pool);
    return q_fail(msg, QUIRE_ENOMEM, "out of memory for threads");
  }
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->work_ready, NULL);
  pthread_cond_init(&pool->job_done, NULL);
  for (int i = 0; i < workers; i++) {
    if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0)
      break;
    pool->workers++;
  }
  *out = pool;
  if (pool->workers == 0) {
    q_wpool_free(pool);
    *out = NULL;
    return q_fail(msg, QUIRE_ENOMEM, "cannot start compression threads");
  }
  return QUIRE_OK;
}

static void free_job(q_wjob *job) {
  q_buf_free(&job->in);
  q_free(job->out);
  q_free(job);
}

void q_wpool_free(q_wpool *pool) {
  if (!pool)
    return;
  pthread_mutex_lock(&pool->lock);
  pool->stopping = 1;
  pool->next_todo = NULL; /* abandon queued work: the writer is going away */
  pool->todo = 0;
  pthread_cond_broadcast(&pool->work_ready);
  pthread_mutex_unlock(&pool->lock);
  for (int i = 0; i < pool->workers; i++)
    pthread_join(pool->threads[i], NULL);
  for (q_wjob *job = pool->oldest, *next; job; job = next) {
    next = job->next;
    free_job(job);
  }
  for (q_wjob *job = pool->free_jobs, *next; job; job = next) {
    next = job->next;
    free_job(job);
  }
  pthread_mutex_destroy(&pool->lock);
  pthread_cond_destroy(&pool->work_ready);
  pthread_cond_destroy(&pool->job_done);
  q_free(pool->threads);
  q_free(pool);
}

int q_wpool_submit(q_wpool *pool, int kind, q_buf *block, uint32_t first_doc,
                   uint32_t docs, char *msg) {
  pthread_mutex_lock(&pool->lock);
  q_wjob *job = pool->free_jobs;
  if (job)
    pool->free_jobs = job->next;
  pthread_mutex_unlock(&pool->lock);
  if (!job && !(job = q_calloc(1, sizeof *job)))
    return q_fail(msg, QUIRE_ENOMEM, "out of memory queueing a block");
  /* Swap buffers: the job takes the filled block, the writer gets the job's
   * old (empty) buffer to fill next. */
  q_buf spare = job->in;
  job->in = *block;
  spare.len = 0;
  *block = spare;
  job->kind = kind;
  job->first_doc = first_doc;
  job->docs = docs;
  job->in_len = (uint32_t)job->in.len;
  job->out_len = 0;
  job->failed = job->done = 0;
  job->next = NULL;
  pthread_mutex_lock(&pool->lock);
  if (pool->newest)
    pool->newest->next = job;
  else
    pool->oldest = job;
  pool->newest = job;
  if (!pool->next_todo)
    pool->next_todo = job;
  pool->todo++;
  pool->in_flight++;
  pthread_cond_signal(&pool->work_ready);
  pthread_mutex_unlock(&pool->lock);
  return QUIRE_OK;
}

int q_wpool_help(q_wpool *pool, q_packer *packer, int all) {
  pthread_mutex_lock(&pool->lock);
  int backlog = all ? 0 : BACKLOG_PER_THREAD * (pool->workers + 1);
  q_wjob *job = pool->todo > backlog ? take_job(pool) : NULL;
  pthread_mutex_unlock(&pool->lock);
  if (!job)
    return 0;
  compress_job(packer, pool->config, job);
  pthread_mutex_lock(&pool->lock);
  finish_job(pool, job);
  pthread_mutex_unlock(&pool->lock);
  return 1;
}

q_wjob *q_wpool_next_done(q_wpool *pool, int wait) {
  pthread_mutex_lock(&pool->lock);
  int must_wait =
      wait || pool->in_flight > MAX_IN_FLIGHT_PER_THREAD * (pool->workers + 1);
  while (pool->oldest && !pool->oldest->done && must_wait)
    pthread_cond_wait(&pool->job_done, &pool->lock);
  q_wjob *job = pool->oldest;
  if (job && job->done) {
    pool->oldest = job->next;
    if (!pool->oldest)
      pool->newest = NULL;
    pool->in_flight--;
  } else
    job = NULL;
  pthread_mutex_unlock(&pool->lock);
  return job;
}

void q_wpool_release(q_wpool *pool, q_wjob *job) {
  pthread_mutex_lock(&pool->lock);
  job->next = pool->free_jobs;
  pool->free_jobs = job;
  pthread_mutex_unlock(&pool->lock);
}
