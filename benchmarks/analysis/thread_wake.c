/*
 * thread_wake.c: after a pause that leaves the other core idle, how long a
 * new thread takes to run its first instruction after pthread_create(),
 * against a parked thread woken through its condition variable. The main
 * thread stays busy (spinning) meanwhile, as a cursor is while its helpers
 * start. benchmarks/ANALYSIS.md, "Helpers kept parked", has the results.
 *
 *   cc -O2 -o /tmp/thread_wake benchmarks/analysis/thread_wake.c -lpthread
 *   /tmp/thread_wake PAUSE_US ROUNDS
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static _Atomic double ran_at; /* when the thread under test ran; 0 until */

static void *first_run(void *arg) {
  (void)arg;
  atomic_store(&ran_at, now_us());
  return NULL;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int go, quit;

static void *parked(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (!go && !quit)
      pthread_cond_wait(&wake, &lock);
    if (quit)
      break;
    go = 0;
    atomic_store(&ran_at, now_us());
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

static volatile double sink;

/* Spins until the thread under test has run; how long that took. */
static double wait_for_run(double since) {
  while (atomic_load(&ran_at) == 0)
    sink += 1;
  return atomic_load(&ran_at) - since;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: thread_wake PAUSE_US ROUNDS\n");
    return 2;
  }
  int pause_us = atoi(argv[1]), rounds = atoi(argv[2]);
  if (pause_us < 0 || rounds < 1)
    return 2;
  double *created = calloc((size_t)rounds, sizeof *created);
  double *woken = calloc((size_t)rounds, sizeof *woken);
  pthread_t keeper;
  if (!created || !woken || pthread_create(&keeper, NULL, parked, NULL) != 0)
    return 1;
  for (int i = 0; i < rounds; i++) {
    usleep((useconds_t)pause_us);
    atomic_store(&ran_at, 0);
    double t = now_us();
    pthread_t thread;
    if (pthread_create(&thread, NULL, first_run, NULL) != 0)
      return 1;
    created[i] = wait_for_run(t);
    pthread_join(thread, NULL);
    usleep((useconds_t)pause_us);
    atomic_store(&ran_at, 0);
    t = now_us();
    pthread_mutex_lock(&lock);
    go = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    woken[i] = wait_for_run(t);
  }
  qsort(created, (size_t)rounds, sizeof *created, by_value);
  qsort(woken, (size_t)rounds, sizeof *woken, by_value);
  printf("pause %d us: a new thread ran after %.0f us (median; 90th "
         "percentile %.0f, most %.0f), a parked one woken after %.0f us "
         "(%.0f, %.0f)\n",
         pause_us, created[rounds / 2], created[rounds * 9 / 10],
         created[rounds - 1], woken[rounds / 2], woken[rounds * 9 / 10],
         woken[rounds - 1]);
  pthread_mutex_lock(&lock);
  quit = 1;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  pthread_join(keeper, NULL);
  free(created);
  free(woken);
  return 0;
}
