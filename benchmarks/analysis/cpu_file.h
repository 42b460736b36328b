/*
 * cpu_file.h: what the C analysis tools here share: the process's CPU time
 * and a whole file read into memory.
 */
#ifndef QUIRE_ANALYSIS_CPU_FILE_H
#define QUIRE_ANALYSIS_CPU_FILE_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The bytes of the file at path (malloc'd) and their count in *len, or
 * NULL when it cannot be read or is empty. */
static inline char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *d = n > 0 ? malloc((size_t)n) : NULL;
  if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
    free(d);
    d = NULL;
  }
  fclose(f);
  *len = d ? (size_t)n : 0;
  return d;
}

#endif
