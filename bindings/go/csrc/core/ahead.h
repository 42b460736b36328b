/*
 * ahead.h: helper threads (for text blocks two where there are two cores,
 * for metadata blocks one) that inflate the next blocks of one kind, text
 * or metadata, that a cursor will need while the cursor's own thread works
 * on the current one, so that a long walk keeps both cores busy. Used by CSV
 * export, Arrow streams and term counts; it changes no result, only when the
 * inflating happens.
 */
#ifndef QUIRE_AHEAD_H
#define QUIRE_AHEAD_H

#include "reader.h"

typedef struct q_ahead q_ahead;

/* Starts the helpers, on threads of the pool (pool.c), for text blocks
 * (kind 0) or metadata blocks (kind 1): as many as pay on this machine,
 * max_helpers at most. With
 * max_helpers 0 none starts, and the cursor inflates every block it takes
 * itself, as it does any block no helper has started yet (q_ahead_take()
 * given own): tests check that way. Returns QUIRE_OK or QUIRE_ENOMEM. */
int q_ahead_start(q_ahead **out, const quire_corpus *corpus, int kind,
                  unsigned max_helpers);
#define Q_AHEAD_ANY_HELPERS (~0u)

/* Stops the threads and frees everything. NULL is a no-op. */
void q_ahead_stop(q_ahead *ahead);

/* How many blocks the queue would take now: none while more than half its
 * slots are in use (so that blocks are asked for in runs, under one lock),
 * else every free slot. Call only from the cursor's thread: only it adds
 * and takes blocks. */
unsigned q_ahead_wants(const q_ahead *ahead);
#define Q_AHEAD_MAX_WANTS 64 /* the deepest queue's slots */

/* Queues the n blocks of the ahead's kind in blocks[], of sizes[]
 * uncompressed bytes, to be inflated in that order after those queued
 * before them. Returns how many were queued: fewer than n when the queue
 * fills (a few blocks, a few MiB); ask again after the next q_ahead_take().
 * With last, no block follows them in the walk: once all are queued, the
 * helpers end when nothing is left to inflate, and q_ahead_stop() need not
 * wake them. A later request starts them again. */
unsigned q_ahead_request(q_ahead *ahead, const uint32_t *blocks,
                         const uint32_t *sizes, unsigned n, int last);

/* How many of the ahead's helpers are started and have not ended (see
 * q_ahead_request()'s last): for tests. */
unsigned q_ahead_helpers_running(q_ahead *ahead);

/* If `block` is the oldest queued, waits until it is inflated, swaps the
 * inflated bytes into *into (the helper keeps the old buffer for reuse),
 * takes it off the queue and returns the status of the inflating (its
 * message in msg). Otherwise (the cursor jumped) empties the queue and
 * returns Q_AHEAD_NOT_HELD (no QUIRE_* status): the cursor inflates the
 * block itself and queues what follows it. Given own (the cursor's
 * inflater; NULL: none), the cursor inflates the block itself when no
 * helper has started it yet. With share as well, while a helper inflates
 * the block the cursor inflates the blocks queued after it, then spins a
 * moment before it sleeps: set it only when no other helpers of the
 * cursor want the cores. */
enum { Q_AHEAD_NOT_HELD = 1 };
int q_ahead_take(q_ahead *ahead, uint32_t block, q_inflater *own, int share,
                 q_buf *into, char *msg);

/* Frees the queues kept between streams; q_spare_drain() calls it, so
 * that quire_set_allocator() gives them back to the allocator that made
 * them. */
void q_ahead_drain(void);

/* Frees the kept queues kept age_ns or longer (spare.c's tending), and
 * tells when the oldest kept queue was kept (0: none). */
void q_ahead_expire(uint64_t age_ns);
uint64_t q_ahead_kept_since(void);

/* How many queues are kept (0 to 2), for the tests. */
unsigned q_ahead_kept(void);

#endif
