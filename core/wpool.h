/*
 * wpool.h: helper threads that compress the writer's blocks while the
 * calling thread goes on adding documents, and the calling thread too when
 * they fall behind (q_wpool_help()). Results come back in the order blocks
 * were submitted, so the file is the same as with one thread.
 */
#ifndef QUIRE_WPOOL_H
#define QUIRE_WPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "internal.h"

typedef struct q_wjob {
  int kind; /* 0 text block, 1 metadata block */
  uint32_t first_doc, docs;
  q_buf in; /* the uncompressed block, owned by the job */
  uint32_t in_len;
  char *out; /* the compressed bytes */
  size_t out_len;
  size_t out_cap;
  int failed;
  int done;
  struct q_wjob *next;
} q_wjob;

typedef struct q_wpool q_wpool;

/* How blocks are compressed: the codec, its level and, per kind (0 text, 1
 * metadata), the zstd dictionary or NULL. The writer owns it; the
 * dictionaries may be set after the pool starts, before the first block is
 * submitted (the submission's lock publishes them to the workers). */
typedef struct q_wconfig {
  int codec, level;
  const struct q_zdict *dict[2];
} q_wconfig;

int q_wpool_new(q_wpool **out, int workers, const q_wconfig *config, char *msg);
void q_wpool_free(q_wpool *pool);
/* Queues a copy-free compression of *block: the pool takes its bytes and
 * leaves *block empty (with a recycled buffer). Waits while too many blocks
 * are in flight only after the caller has drained finished ones. */
int q_wpool_submit(q_wpool *pool, int kind, q_buf *block, uint32_t first_doc,
                   uint32_t docs, char *msg);
/* Compresses on the calling thread, with packer, the oldest job no helper
 * has taken, when more jobs wait than the helpers need to stay busy (any,
 * with all); returns 1 when it did, 0 when it left them to the helpers.
 * Why: the calling thread's own work (reading, sorting, words) takes much
 * of a core, so a writer of n threads runs n - 1 helpers and the calling
 * thread takes the work they cannot keep up with. With n helpers instead,
 * the calling thread shared a core with one of them, the helpers waited
 * for it, and packing 100,000 documents with two threads took 9.5 s
 * instead of 7.1 s (benchmarks/ANALYSIS.md). */
int q_wpool_help(q_wpool *pool, q_packer *packer, int all);
/* Returns the oldest submitted job if it is done (waiting for it when wait
 * is non-zero), or NULL when none is pending or, without wait, the oldest
 * is not done yet. Also waits when too many jobs are in flight. */
q_wjob *q_wpool_next_done(q_wpool *pool, int wait);
/* Gives a job's buffers back for reuse. */
void q_wpool_release(q_wpool *pool, q_wjob *job);

#endif
