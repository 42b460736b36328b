/*
 * bgwrite.h: a thread that writes an export's full buffers while the next
 * one fills.
 *
 * Why (benchmarks/ANALYSIS.md, "Exports write on a thread of their own"):
 * copying a CSV into the page cache is a third of a full export's time on
 * the thread that formats it: 84 ms to a file against 46 ms to /dev/null
 * for the 10k corpus. With the write() calls on this thread, formatting
 * the next buffer and copying the last one into the kernel overlap.
 *
 * One thread, one buffer in flight: buffers are written in the order they
 * are handed over, each whole, so the output is the same bytes as a write
 * on the calling thread.
 */
#ifndef QUIRE_BGWRITE_H
#define QUIRE_BGWRITE_H

#include <stddef.h>

#include "internal.h"

/* Writes len bytes of data; QUIRE_OK, or a status with a message in msg. */
typedef int (*q_bgwrite_fn)(void *ctx, const char *data, size_t len, char *msg);

typedef struct q_bgwrite q_bgwrite;

/* Starts the thread, with a spare buffer of size bytes. Returns NULL when
 * memory or a thread cannot be had: the caller then writes on its own
 * thread, as without one. */
q_bgwrite *q_bgwrite_start(q_bgwrite_fn write, void *ctx, size_t size);

/* Hands *buf (len bytes, allocated with q_malloc() and size bytes long) to
 * the thread and puts in *buf the buffer to fill next, once the thread has
 * written it. Returns QUIRE_OK, or the status of a write that failed
 * (its message copied into msg); after a failure nothing more is written. */
int q_bgwrite_swap(q_bgwrite *bw, char **buf, size_t len, char *msg);

/* Waits for the last buffer, stops the thread and frees everything but the
 * caller's buffer. Returns what q_bgwrite_swap() would. NULL is a no-op
 * returning QUIRE_OK. */
int q_bgwrite_finish(q_bgwrite *bw, char *msg);

#endif
