/*
 * csv_pipe.h: a thread that reads and parses a CSV input ahead of the
 * import (csv_import.c), which replays what it found in order: fields,
 * record ends, input consumed, and how the input ended.
 *
 * Why: packing a corpus in clustered order first reads every row into a
 * spill file, and only then sorts and compresses on all threads. In that
 * first phase libcsv's parsing was half of the calling thread's time while
 * the other cores idled (benchmarks/ANALYSIS.md); with the parsing on a
 * thread of its own, the calling thread only stores the rows.
 *
 * The parser is libcsv's, driven exactly as the import drives it alone:
 * the same chunks, flags and callbacks, so what the import sees (and every
 * message it writes) is the same.
 */
#ifndef QUIRE_CSV_PIPE_H
#define QUIRE_CSV_PIPE_H

#include <csv.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csv_source.h"
#include "internal.h"

/* The bytes read from a CSV file at a time, on either thread. */
#define Q_CSV_READ_CHUNK (64u << 10)

/* Skips the UTF-8 byte order mark (which the excel dialect and other tools
 * write) at the start of the input: first is non-zero for its first
 * piece. */
static inline void q_csv_skip_bom(int first, const char **data, size_t *len) {
  if (first && *len >= 3 && memcmp(*data, "\xEF\xBB\xBF", 3) == 0) {
    *data += 3;
    *len -= 3;
  }
}

/* What the parsing thread found, in input order. */
enum {
  Q_CSV_FIELD,        /* a field: len bytes follow, then a NUL */
  Q_CSV_RECORD,       /* the end of a record; arg is libcsv's terminator */
  Q_CSV_CONSUMED,     /* len more bytes of the file were parsed (compressed
                         ones, for a compressed file) */
  Q_CSV_PARSE_ERROR,  /* csv_parse() stopped: arg is csv_error(), len the
                         byte it stopped at */
  Q_CSV_SOURCE_ERROR, /* reading or decompressing failed: arg is the
                         QUIRE_* status, a message (bytes and a NUL)
                         follows */
  Q_CSV_END,          /* the input ended: what follows is csv_fini()'s */
  Q_CSV_UNBALANCED    /* csv_fini() found the input ended inside a quoted
                         field */
};

typedef struct q_csv_event {
  uint32_t kind; /* Q_CSV_* */
  int32_t arg;
  uint64_t len;
} q_csv_event;

/* A batch of events, end to end in events (each a q_csv_event, then for a
 * field its bytes and a NUL, padded to 8 bytes). */
typedef struct q_csv_batch {
  q_buf events;
  int oom; /* the thread ran out of memory after these events */
  struct q_csv_batch *next;
} q_csv_batch;

typedef struct q_csv_pipe q_csv_pipe;

/* Starts a thread that reads source to its end and parses it with parser
 * (both the caller's, which must not touch them until q_csv_pipe_free()),
 * skipping a UTF-8 byte order mark at the start. Returns QUIRE_OK, or
 * QUIRE_ENOMEM when there is no memory or thread: the caller then parses
 * on its own thread. */
int q_csv_pipe_start(q_csv_pipe **out, q_csv_source *source,
                     struct csv_parser *parser);

/* The next batch, waiting for it; NULL after the batch holding Q_CSV_END
 * (and what follows it), a parse or read error, or running out of
 * memory. */
q_csv_batch *q_csv_pipe_next(q_csv_pipe *pipe);

/* Gives a batch back for reuse. */
void q_csv_pipe_release(q_csv_pipe *pipe, q_csv_batch *batch);

/* Reads the event at *at of batch and moves *at past it; returns 0 at the
 * end of the batch. *data is a field's bytes or a source error's
 * message. */
int q_csv_batch_event(q_csv_batch *batch, size_t *at, q_csv_event *event,
                      char **data);

/* Stops the thread (it reads no further), waits for it and frees the
 * pipe, batches not yet taken included. Accepts NULL. */
void q_csv_pipe_free(q_csv_pipe *pipe);

#endif
