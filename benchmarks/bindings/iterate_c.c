/*
 * iterate_c.c: the C reference for the bindings benchmark. Iterates every
 * document of a corpus reading its date, source and text length (no text is
 * inflated) and prints the protocol line every language's version prints:
 *   docs=<N> checksum=<C> seconds=<loop>
 * where C is the sum, mod 2^64, of every text length and every date in UTC
 * seconds (0 for undated documents), so that runs can be checked against
 * each other.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "quire.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: iterate_c CORPUS.quire\n");
    return 2;
  }
  quire_corpus *corpus;
  if (quire_corpus_open(argv[1], &corpus) != QUIRE_OK) {
    fprintf(stderr, "iterate_c: %s\n", quire_corpus_errmsg(corpus));
    quire_corpus_free(corpus);
    return 1;
  }
  double start = now();
  quire_cursor *cursor;
  if (quire_cursor_open(corpus, NULL, &cursor) != QUIRE_OK) {
    fprintf(stderr, "iterate_c: %s\n", quire_cursor_errmsg(cursor));
    return 1;
  }
  uint64_t docs = 0, checksum = 0;
  int status;
  while ((status = quire_cursor_next(cursor)) == QUIRE_ROW) {
    const char *source;
    size_t source_len;
    if (quire_cursor_field(cursor, QUIRE_FIELD_SOURCE, &source, &source_len) !=
        QUIRE_OK)
      break;
    int64_t date = quire_cursor_date(cursor);
    /* The source is fetched as every binding fetches it, as a string. */
    (void)source;
    checksum += quire_cursor_text_length(cursor) +
                (uint64_t)(date == QUIRE_NO_DATE ? 0 : date);
    docs++;
  }
  double seconds = now() - start;
  if (status != QUIRE_DONE) {
    fprintf(stderr, "iterate_c: %s\n", quire_cursor_errmsg(cursor));
    return 1;
  }
  printf("docs=%llu checksum=%llu seconds=%.6f\n", (unsigned long long)docs,
         (unsigned long long)checksum, seconds);
  quire_cursor_free(cursor);
  quire_corpus_free(corpus);
  return 0;
}
