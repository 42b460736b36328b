/*
 * inproc.c: times libquire inside one process, where no process start-up
 * hides its own cost: opening a corpus and counting all of it, and counting
 * a filtered selection from the indexes.
 *
 *   inproc FILE.quire FROM TO SOURCE... [--reps N]
 *
 * Prints one JSON object with the medians in microseconds and the counts,
 * which run.sh checks against the CLI and the peers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quire.h"

#define MAX_SOURCES 16

typedef struct bench_args {
  const char *path;
  const char *from;
  const char *to;
  const char *sources[MAX_SOURCES];
  int nsources;
  int reps;
} bench_args;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int status, const char *msg) {
  fprintf(stderr, "inproc: %s: %s (%s)\n", what, quire_strerror(status), msg);
  exit(1);
}

/* Opens the corpus, counts every document and closes it again. */
static uint64_t open_and_count(const char *path) {
  quire_corpus *c = NULL;
  uint64_t n = 0;
  int st = quire_corpus_open(path, &c);
  if (st == QUIRE_OK)
    st = quire_corpus_count_matches(c, NULL, &n);
  if (st != QUIRE_OK)
    die(path, st, c ? quire_corpus_errmsg(c) : "");
  quire_corpus_free(c);
  return n;
}

/* Builds the filter of the selection and counts it: a user's whole query. */
static uint64_t filtered_count(const quire_corpus *c, const bench_args *a) {
  quire_filter *f = NULL;
  uint64_t n = 0;
  int st = quire_filter_new(&f);
  for (int i = 0; st == QUIRE_OK && i < a->nsources; i++)
    st = quire_filter_add_source(f, a->sources[i], strlen(a->sources[i]));
  if (st == QUIRE_OK)
    st = quire_filter_set_from(f, a->from, strlen(a->from));
  if (st == QUIRE_OK)
    st = quire_filter_set_to(f, a->to, strlen(a->to));
  if (st != QUIRE_OK)
    die("filter", st, f ? quire_filter_errmsg(f) : "");
  st = quire_corpus_count_matches(c, f, &n);
  if (st != QUIRE_OK)
    die("count", st, quire_corpus_errmsg(c));
  quire_filter_free(f);
  return n;
}

static void usage(void) {
  fprintf(stderr, "usage: inproc FILE.quire FROM TO SOURCE... [--reps N]\n");
  exit(2);
}

static bench_args parse_args(int argc, char **argv) {
  bench_args a = {0};
  a.reps = 1000;
  if (argc < 5)
    usage();
  a.path = argv[1];
  a.from = argv[2];
  a.to = argv[3];
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      char *end;
      errno = 0;
      long r = strtol(argv[++i], &end, 10);
      if (errno || *end || r < 1 || r > 10000000)
        usage();
      a.reps = (int)r;
    } else if (a.nsources < MAX_SOURCES) {
      a.sources[a.nsources++] = argv[i];
    } else {
      usage();
    }
  }
  if (a.nsources == 0)
    usage();
  return a;
}

int main(int argc, char **argv) {
  bench_args a = parse_args(argc, argv);
  double *t = malloc((size_t)a.reps * sizeof *t);
  if (!t)
    return 1;

  uint64_t all = open_and_count(a.path); /* warms the page cache */
  for (int i = 0; i < a.reps; i++) {
    double t0 = now_us();
    if (open_and_count(a.path) != all)
      die("open+count", QUIRE_ECORRUPT, "count changed between runs");
    t[i] = now_us() - t0;
  }
  double open_count_us = median(t, a.reps);

  quire_corpus *c = NULL;
  int st = quire_corpus_open(a.path, &c);
  if (st != QUIRE_OK)
    die(a.path, st, c ? quire_corpus_errmsg(c) : "");
  uint64_t sel = filtered_count(c, &a);
  for (int i = 0; i < a.reps; i++) {
    double t0 = now_us();
    if (filtered_count(c, &a) != sel)
      die("filtered count", QUIRE_ECORRUPT, "count changed between runs");
    t[i] = now_us() - t0;
  }
  double fcount_us = median(t, a.reps);
  quire_corpus_free(c);
  free(t);

  printf("{\"reps\": %d, \"open_count_us\": %.3f, \"count\": %llu, "
         "\"fcount_us\": %.3f, \"fcount\": %llu}\n",
         a.reps, open_count_us, (unsigned long long)all, fcount_us,
         (unsigned long long)sel);
  return 0;
}
