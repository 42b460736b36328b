/*
 * stream_start.c: what an Arrow stream costs before its rows: opens a
 * stream of the columns given over a corpus, takes one batch of one row,
 * releases both, many times, and prints the mean time of one such round.
 * A column of a metadata or text block makes the cursor inflate its first
 * block: the inflater's zstd context and dictionary window are set up then.
 * benchmarks/ANALYSIS.md ("Metadata reads: one helper, blocks in runs")
 * has the results.
 *
 *   cc -O2 -Iinclude -o /tmp/stream_start benchmarks/analysis/stream_start.c \
 *     -Lbuild-bench -lquire -Wl,-rpath,$PWD/build-bench
 *   /tmp/stream_start CORPUS.quire COLUMNS THREADS ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quire.h"
#include "quire_arrow.h"

static double wall_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One round: a stream opened, one row taken, both released. */
static int one_round(const quire_corpus *c, const char *columns, int threads) {
  struct ArrowArrayStream s;
  struct ArrowArray batch;
  if (quire_arrow_stream_open(c, NULL, columns, strlen(columns), 1, threads,
                              &s) != QUIRE_OK)
    return -1;
  int status = s.get_next(&s, &batch);
  if (status == 0 && batch.release)
    batch.release(&batch);
  else
    fprintf(stderr, "stream_start: %s\n", s.get_last_error(&s));
  s.release(&s);
  return status == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: stream_start CORPUS COLUMNS THREADS ROUNDS\n");
    return 2;
  }
  quire_corpus *c;
  if (quire_corpus_open(argv[1], &c) != QUIRE_OK) {
    fprintf(stderr, "stream_start: %s\n", quire_corpus_errmsg(c));
    return 1;
  }
  int threads = atoi(argv[3]), rounds = atoi(argv[4]);
  if (rounds < 1) {
    fprintf(stderr, "stream_start: ROUNDS must be at least 1\n");
    return 2;
  }
  double start = wall_seconds();
  for (int r = 0; r < rounds; r++)
    if (one_round(c, argv[2], threads) != 0)
      return 1;
  printf("columns %s, threads %d: %.1f us a stream (mean of %d)\n", argv[2],
         threads, (wall_seconds() - start) / rounds * 1e6, rounds);
  quire_corpus_free(c);
  return 0;
}
