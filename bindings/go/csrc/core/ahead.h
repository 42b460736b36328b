/*
 * ahead.h: a helper thread that inflates the next text block a cursor will
 * need while the cursor's own thread works on the current one, so that a
 * long export keeps both cores busy. Used by CSV export; it changes no
 * result, only when the inflating happens.
 */
#ifndef QUIRE_AHEAD_H
#define QUIRE_AHEAD_H

#include "reader.h"

typedef struct q_ahead q_ahead;

/* Starts the helper thread. Returns QUIRE_OK or QUIRE_ENOMEM. */
int q_ahead_start(q_ahead **out, const quire_corpus *corpus);

/* Stops the thread and frees everything. NULL is a no-op. */
void q_ahead_stop(q_ahead *ahead);

/* Asks for text block `block` to be inflated next. Ignored while the helper
 * is busy with another block: the cursor then inflates it itself. */
void q_ahead_request(q_ahead *ahead, uint32_t block);

/* If the helper holds or is inflating `block`, waits for it, swaps the
 * inflated bytes into *into (the helper keeps the old buffer for reuse) and
 * returns the status of the inflating (its message in msg). Returns
 * Q_AHEAD_NOT_HELD (no QUIRE_* status) when the helper does not have that
 * block. */
enum { Q_AHEAD_NOT_HELD = 1 };
int q_ahead_take(q_ahead *ahead, uint32_t block, q_buf *into, char *msg);

#endif
