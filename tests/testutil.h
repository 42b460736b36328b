/* testutil.h: small helpers shared by the Criterion tests. */
#ifndef QUIRE_TESTUTIL_H
#define QUIRE_TESTUTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "quire.h"

/* Writes into buf (cap bytes) a fresh path under the test temporary
 * directory, unique per process and call, ending in name. Returns buf. */
char *tu_tmp_path(char *buf, size_t cap, const char *name);

/* The seeds folder (../shared/seeds), or NULL when it is not there. */
const char *tu_seeds_dir(void);

/* Reads a whole file into a malloc'd buffer; NULL if it cannot. */
char *tu_read_file(const char *path, size_t *len);

/* Writes len bytes to path, replacing it; 0 on success. */
int tu_write_file(const char *path, const void *data, size_t len);

/* Returns 1 when path exists. */
int tu_exists(const char *path);

/* Waits up to seconds for the forked child to exit: its exit status, or
 * -1 when it was killed by a signal or had not exited in time (it is then
 * killed, so that a hung child fails a test instead of hanging it). */
int tu_child_exit(int child, int seconds);

/* Reads a named pipe to its end on a thread of its own, as the program at
 * the other end of a pipe would: start it before the call that writes into
 * the pipe (opening a pipe for writing waits for a reader), join it after. */
typedef struct tu_pipe_reader {
  const char *path;
  char *data; /* malloc'd; what came through */
  size_t len;
  pthread_t thread;
} tu_pipe_reader;
/* Makes a pipe at path (mode 0600) and starts reading it into r; 0, or -1
 * when it cannot. */
int tu_pipe_reader_start(tu_pipe_reader *r, const char *path);
/* Waits for the writer to close the pipe; r->data then holds what it sent. */
void tu_pipe_reader_join(tu_pipe_reader *r);

/* A deterministic pseudo-random generator (splitmix64). */
uint64_t tu_rand(uint64_t *state);

/* Installs (on != 0) or removes an allocator, through quire_set_allocator(),
 * that counts the bytes libquire holds; QUIRE_OK or what that call says. */
int tu_counting_allocator(int on);
/* The bytes held now through the counting allocator. */
long tu_live_bytes(void);
/* The most bytes held at once since the last tu_peak_reset(), which starts
 * the count again from tu_live_bytes(). */
long tu_peak_bytes(void);
void tu_peak_reset(void);

/* Adds one document through quire_writer_add_document(), the fields given
 * as (pointer, length) pairs in the struct's order: the tests' shorthand.
 * Inline so that the fuzz targets, which do not link testutil.c, have it
 * too (hardening.h). */
static inline int tu_writer_add(quire_writer *w, const char *source,
                                size_t source_len, const char *date,
                                size_t date_len, const char *title,
                                size_t title_len, const char *author,
                                size_t author_len, const char *url,
                                size_t url_len, const char *text,
                                size_t text_len) {
  quire_document doc = QUIRE_DOCUMENT_INIT;
  doc.source = source;
  doc.source_len = source_len;
  doc.date = date;
  doc.date_len = date_len;
  doc.title = title;
  doc.title_len = title_len;
  doc.author = author;
  doc.author_len = author_len;
  doc.url = url;
  doc.url_len = url_len;
  doc.text = text;
  doc.text_len = text_len;
  return quire_writer_add_document(w, &doc);
}

#endif
