/*
 * arrow_columns.c: times whole reads of a corpus through the Arrow C stream
 * (quire_arrow_stream_open()) with the columns and thread setting given,
 * in C, without Python or pyarrow between: every batch is taken, then all
 * are released, as a table built from the stream would hold them. Prints
 * the best, the median and the mean wall time of --runs reads, with the CPU
 * time of the best and the median CPU time (this machine's noise moves the
 * mean; the medians are what an A/B of two builds compares).
 * benchmarks/ANALYSIS.md, "Metadata without text: where the time goes", has the
 * results.
 *
 *   cc -O2 -Iinclude -o /tmp/arrow_columns benchmarks/analysis/arrow_columns.c
 * \ -Lbuild-bench -lquire -Wl,-rpath,$PWD/build-bench /tmp/arrow_columns
 * CORPUS.quire COLUMNS THREADS RUNS
 *
 * COLUMNS is the stream's column list ("" for all); THREADS 0 (libquire's
 * default: helpers inflate ahead) or 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_file.h"
#include "quire.h"
#include "quire_arrow.h"

#define MAX_BATCHES 4096
#define MAX_RUNS 10000

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double wall_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One read of every batch; returns 0, or -1 with a message printed. */
static int read_all(const quire_corpus *c, const char *columns, int threads,
                    struct ArrowArray *batches) {
  struct ArrowArrayStream s;
  if (quire_arrow_stream_open(c, NULL, columns, strlen(columns), 65536, threads,
                              &s) != QUIRE_OK) {
    fprintf(stderr, "arrow_columns: cannot open the stream\n");
    return -1;
  }
  int n = 0, status = 0;
  for (;;) {
    if (n == MAX_BATCHES || s.get_next(&s, &batches[n]) != 0) {
      fprintf(stderr, "arrow_columns: %s\n",
              n == MAX_BATCHES ? "too many batches" : s.get_last_error(&s));
      status = -1;
      break;
    }
    if (!batches[n].release)
      break;
    n++;
  }
  for (int i = 0; i < n; i++)
    batches[i].release(&batches[i]);
  s.release(&s);
  return status;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: arrow_columns CORPUS COLUMNS THREADS RUNS\n");
    return 2;
  }
  quire_corpus *c;
  if (quire_corpus_open(argv[1], &c) != QUIRE_OK) {
    fprintf(stderr, "arrow_columns: %s\n", quire_corpus_errmsg(c));
    return 1;
  }
  int threads = atoi(argv[3]), runs = atoi(argv[4]);
  if (runs < 1 || runs > MAX_RUNS) {
    fprintf(stderr, "arrow_columns: RUNS is 1 to %d\n", MAX_RUNS);
    return 2;
  }
  struct ArrowArray *batches = calloc(MAX_BATCHES, sizeof *batches);
  double *walls = calloc((size_t)runs, sizeof *walls);
  double *cpus = calloc((size_t)runs, sizeof *cpus);
  if (!batches || !walls || !cpus)
    return 1;
  double best = 1e30, best_cpu = 0, total = 0;
  for (int r = 0; r < runs; r++) {
    double t = wall_seconds(), p = cpu_seconds();
    if (read_all(c, argv[2], threads, batches) != 0)
      return 1;
    walls[r] = wall_seconds() - t;
    cpus[r] = cpu_seconds() - p;
    total += walls[r];
    if (walls[r] < best) {
      best = walls[r];
      best_cpu = cpus[r];
    }
  }
  printf("columns %s, threads %d: best %.2f ms (CPU %.2f ms), median %.2f ms "
         "(CPU %.2f ms), mean %.2f ms of %d\n",
         argv[2][0] ? argv[2] : "(all)", threads, best * 1e3, best_cpu * 1e3,
         median(walls, runs) * 1e3, median(cpus, runs) * 1e3,
         total / runs * 1e3, runs);
  free(walls);
  free(cpus);
  free(batches);
  quire_corpus_free(c);
  return 0;
}
