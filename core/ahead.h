/*
 * ahead.h: helper threads (two where there are two cores) that inflate the
 * next blocks of one kind, text or metadata, that a cursor will need while
 * the cursor's own thread works on the current one, so that a long walk
 * keeps both cores busy. Used by CSV export, Arrow streams and term counts;
 * it changes no result, only when the inflating happens.
 */
#ifndef QUIRE_AHEAD_H
#define QUIRE_AHEAD_H

#include "reader.h"

typedef struct q_ahead q_ahead;

/* Starts the helper threads, for text blocks (kind 0) or metadata blocks
 * (kind 1). Returns QUIRE_OK or QUIRE_ENOMEM. */
int q_ahead_start(q_ahead **out, const quire_corpus *corpus, int kind);

/* Stops the threads and frees everything. NULL is a no-op. */
void q_ahead_stop(q_ahead *ahead);

/* Queues block `block` of the ahead's kind, of size uncompressed bytes, to be
 * inflated after those queued before it. Returns 1, or 0 when the queue is full
 * (a few blocks, a few MiB): ask again after the next q_ahead_take(). */
int q_ahead_request(q_ahead *ahead, uint32_t block, uint32_t size);

/* If `block` is the oldest queued, waits until it is inflated, swaps the
 * inflated bytes into *into (the helper keeps the old buffer for reuse),
 * takes it off the queue and returns the status of the inflating (its
 * message in msg). Otherwise (the cursor jumped) empties the queue and
 * returns Q_AHEAD_NOT_HELD (no QUIRE_* status): the cursor inflates the
 * block itself and queues what follows it. */
enum { Q_AHEAD_NOT_HELD = 1 };
int q_ahead_take(q_ahead *ahead, uint32_t block, q_buf *into, char *msg);

#endif
