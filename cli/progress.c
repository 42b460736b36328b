/*
 * progress.c: a progress line on stderr for the long commands (pack and
 * export), shown only when stderr is a terminal.
 *
 * A thread of its own redraws the line a few times a second, so that the
 * elapsed time moves even while the library is busy inside one long call
 * (packing one big CSV file is a single quire_import_csv_path()). The thread
 * touches nothing of libquire: it reads only the numbers set here.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define LABEL_CAP 96
#define BAR_WIDTH 30
/* Work that ends sooner than this shows no progress at all. */
#define FIRST_DRAW_SECONDS 0.5
#define REDRAW_NANOSECONDS 200000000L

struct cli_progress {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int stop;
  int drawn;
  char label[LABEL_CAP];
  _Atomic uint64_t total;
  _Atomic uint64_t done;
  struct timespec start;
};

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) +
         (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Draws the line; called with the lock held. */
static void draw(cli_progress *p) {
  double elapsed = seconds_since(&p->start);
  if (elapsed < FIRST_DRAW_SECONDS)
    return;
  unsigned minutes = (unsigned)(elapsed / 60), seconds = (unsigned)elapsed % 60;
  char bar[BAR_WIDTH + 1] = "";
  unsigned percent = 0;
  uint64_t total = atomic_load(&p->total);
  if (total) {
    uint64_t done = atomic_load(&p->done);
    percent = done >= total ? 99 : (unsigned)(done * 100 / total);
    unsigned filled = percent * BAR_WIDTH / 100;
    memset(bar, '#', filled);
    memset(bar + filled, '.', BAR_WIDTH - filled);
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %3u%%  %u:%02u", p->label, bar, percent,
            minutes, seconds);
  } else {
    fprintf(stderr, "\r\033[K%s  %u:%02u", p->label, minutes, seconds);
  }
  fflush(stderr);
  p->drawn = 1;
}

static void *ticker(void *arg) {
  cli_progress *p = arg;
  pthread_mutex_lock(&p->lock);
  while (!p->stop) {
    draw(p);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += REDRAW_NANOSECONDS;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->wake, &p->lock, &until);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

cli_progress *cli_progress_start(const char *label, uint64_t total) {
  if (!isatty(STDERR_FILENO))
    return NULL;
  cli_progress *p = calloc(1, sizeof *p);
  if (!p)
    return NULL; /* progress is a nicety: go on without it */
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  snprintf(p->label, sizeof p->label, "%s", label);
  atomic_store(&p->total, total);
  clock_gettime(CLOCK_MONOTONIC, &p->start);
  if (pthread_create(&p->thread, NULL, ticker, p) != 0) {
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
  }
  return p;
}

void cli_progress_set(cli_progress *p, uint64_t done) {
  if (p)
    atomic_store(&p->done, done);
}

int cli_progress_hook(void *ctx, uint64_t done, uint64_t total) {
  cli_progress *p = ctx;
  if (p) {
    atomic_store(&p->total, total);
    atomic_store(&p->done, done);
  }
  return 0;
}

void cli_progress_label(cli_progress *p, const char *label) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  snprintf(p->label, sizeof p->label, "%s", label);
  pthread_mutex_unlock(&p->lock);
}

void cli_progress_end(cli_progress *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->thread, NULL);
  if (p->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
