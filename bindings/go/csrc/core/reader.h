/*
 * reader.h: the open corpus as the reading files (reader.c, filter.c,
 * cursor.c, verify.c) share it.
 *
 * Nothing but the header and footer is checked at open. Every section is cut
 * into QF_CHUNK-byte chunks, each with a CRC32 in the section's table; a
 * chunk is checked the first time a record in it is read, and the verdict is
 * kept in an atomic byte so that threads sharing the corpus check each chunk
 * about once and never race.
 */
#ifndef QUIRE_READER_H
#define QUIRE_READER_H

#include <pthread.h>
#include <stdatomic.h>

#include "codec.h"
#include "format.h"
#include "internal.h"

enum { Q_UNCHECKED = 0, Q_GOOD = 1, Q_BAD = 2 };

typedef struct q_section {
  const char *name; /* for messages: "document table", "dictionaries" */
  int present;      /* extension sections: the file has it */
  uint64_t offset;  /* of the section's first byte */
  uint64_t length;  /* bytes, a multiple of width */
  uint32_t width;
  uint32_t table_crc;
  uint64_t chunks;
  uint64_t records; /* length / width, kept: q_record() runs once a row */
  /* Verdicts (Q_UNCHECKED, Q_GOOD, Q_BAD), behind pointers since readers
   * take the corpus const: one per chunk, then one for the table. */
  atomic_uchar *chunk_state;
  atomic_uchar *table_state; /* chunk_state + chunks */
} q_section;

/* What threads reading one corpus change: kept behind a pointer, so that
 * the reading functions, which take the corpus const, never cast const
 * away. */
#define Q_RELEASE_RUNS 6u
typedef struct q_run {
  uint64_t start, end; /* bytes of the file; empty when equal */
} q_run;

typedef struct q_corpus_state {
  quire_corpus *corpus;    /* the handle, which the last hold frees */
  atomic_int damage_state; /* 0 none, 1 being written, 2 set */
  char damage[Q_MSG_CAP];
  /* Arrow streams and writers hold the corpus (q_corpus_hold()): holds
   * counts them, and the corpus is freed when it is closed and holds is
   * back to 0. */
  atomic_long holds;
  atomic_int closed;
  /* Ranges of the mapping let go of by q_release() and not yet handed to
   * the kernel, a few runs of adjacent ranges (see reader.c). */
  pthread_mutex_t release_lock;
  q_run released[Q_RELEASE_RUNS]; /* never two that touch */
  /* Taken to load a dictionary (q_dict_get()), so that it is loaded once. */
  pthread_mutex_t dict_lock;
  unsigned release_next; /* the run replaced next when all are used */
} q_corpus_state;

struct quire_corpus {
  int status; /* QUIRE_OK, or why the open failed */
  char msg[Q_MSG_CAP];
  const uint8_t *data;
  size_t size;
  uint8_t *map; /* data as mmap() gave it, writable in type (not in
                   protection) for munmap() and madvise() */
  int mapped;
  char *path; /* as given to quire_corpus_open(), for messages; NULL for a
                 buffer (or when there was no memory for it) */
  int major, minor;
  uint64_t docs, sources, undated, blocks, meta_blocks, raw_size;
  int64_t min_date, max_date;
  q_section sec[QS_COUNT];
  /* Format 1.1. */
  uint32_t required, optional;      /* the header's flag bits */
  uint32_t block_size;              /* QFT_BLOCK_SIZE */
  q_section ext[QX_KNOWN_LAST + 1]; /* extension sections, by kind */
  struct q_dict *dicts;             /* one cache slot per possible dictionary */
  uint32_t dict_slots;
  q_corpus_state *state;
};

/* Takes and drops one hold on the corpus for an Arrow stream. Dropping the
 * last hold of a closed corpus frees it. */
void q_corpus_hold(const quire_corpus *c);
void q_corpus_drop(const quire_corpus *c);

/* Returns record index of section sec after checking the chunks it spans,
 * or NULL with QUIRE_ECORRUPT's message in msg (and in the corpus). */
const uint8_t *q_record_checked(const quire_corpus *c, int sec, uint64_t index,
                                char *msg);

/* q_record_checked(), inline for a record inside one chunk already found
 * good. A cursor reads a row record for every document: the two calls and
 * the division were over a quarter of a read of the doc column alone
 * (benchmarks/ANALYSIS.md, "Row records read inline"). */
static inline const uint8_t *q_record(const quire_corpus *c, int sec,
                                      uint64_t index, char *msg) {
  const q_section *s = &c->sec[sec];
  if (index < s->records) {
    uint64_t at = index * s->width;
    uint64_t chunk = at / QF_CHUNK;
    if ((at + s->width - 1) / QF_CHUNK == chunk &&
        atomic_load_explicit(&s->chunk_state[chunk], memory_order_acquire) ==
            Q_GOOD)
      return c->data + s->offset + at;
  }
  return q_record_checked(c, sec, index, msg);
}

/* Format 1.1: the extension section of kind QX_*, or NULL when the file has
 * none. */
const q_section *q_ext(const quire_corpus *c, int kind);

/* Returns bytes [offset, offset + len) of section sec (a main or extension
 * section) after checking every chunk they span, or NULL with
 * QUIRE_ECORRUPT's message in msg (and in the corpus) when they are damaged
 * or lie outside the section. */
const uint8_t *q_section_bytes(const quire_corpus *c, const q_section *sec,
                               uint64_t offset, uint64_t len, char *msg);

/* A dictionary of the QX_DICTIONARIES section as the reader caches it: the
 * first block that names it checks it (bounds, crc32, id, zstd's own
 * checks) and makes its zstd decompression dictionary, once for all threads
 * (under the corpus's dict_lock; state, set last with release order, lets
 * later calls skip the lock). */
typedef struct q_dict {
  _Atomic(q_zddict *) ddict;
  atomic_uchar state; /* Q_UNCHECKED, Q_GOOD, Q_BAD */
  atomic_uchar why;   /* when bad: index of the reason's text */
} q_dict;

/* Stores in *out the decompression dictionary number (1-based, as in
 * QB_FLAGS) after checking it; QUIRE_ECORRUPT when it is missing or
 * damaged, QUIRE_ENOMEM. */
int q_dict_get(const quire_corpus *c, uint32_t number, const q_zddict **out,
               char *msg);

/* What a dictionary's directory entry says, after checking the entry and
 * the dictionary's bytes (not zstd's checks): its id, use (QXD_USE_*),
 * and the dictionary, size bytes at bytes (stored bytes in the file). A
 * dictionary stored as a zstd
 * frame is decompressed into owned (which bytes then points to); release
 * it with q_dict_info_free(). A failed call leaves nothing to release. */
typedef struct q_dict_info {
  uint32_t id, use, size, stored;
  const uint8_t *bytes;
  uint8_t *owned;
  /* The zstd frame the file stores the dictionary as (its stored bytes, in
   * the file's mapping) when its entry has QXD_STORED_ZSTD; NULL when the
   * file stores the dictionary as it is. */
  const uint8_t *frame;
} q_dict_info;
int q_dict_info_get(const quire_corpus *c, uint32_t number, q_dict_info *out,
                    char *msg);
void q_dict_info_free(q_dict_info *info);

/* The number of dictionaries the file declares (0 when it has none or the
 * directory is damaged). */
uint32_t q_dict_count(const quire_corpus *c);

/* Records damage on the corpus (first one wins) and returns
 * QUIRE_ECORRUPT. msg receives the same text. */
int q_damage(const quire_corpus *c, char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks and inflates text block (kind 0) or metadata block (kind 1) number
 * index into out, whose len becomes the block's size. */
int q_block_load(const quire_corpus *c, int kind, uint32_t index,
                 q_inflater *inflater, q_buf *out, char *msg);

/* Tells the kernel the process is done with bytes [offset, offset + len)
 * of a mapped file for now, so that reading a corpus once through does not
 * grow the process's resident memory with the file's size. The pages stay in
 * the page cache and come back on the next read; other threads reading them
 * meanwhile are unaffected. Does nothing for a caller's buffer. Ranges are
 * gathered into runs of adjacent ones and handed over a MiB or so at a
 * time, so resident memory stays within a few MiB of what is in use. */
void q_release(const quire_corpus *c, uint64_t offset, uint64_t len);

/* Checks the row of document doc against the rules of docs/FORMAT.md,
 * "Document table": a date and its precision agree, a known zone kind, a source
 * and a block that exist, a text within the limit. QUIRE_OK or QUIRE_ECORRUPT
 * (message in msg and on the corpus). */
int q_row_check(const quire_corpus *c, const uint8_t *row, uint64_t doc,
                char *msg);

/* Finds source name; QUIRE_OK with *id, QUIRE_ENOTFOUND, QUIRE_ECORRUPT. */
int q_source_find(const quire_corpus *c, const char *name, size_t len,
                  uint32_t *id, char *msg);

/* A run of index entries (QS_SOURCE_LISTS or QS_DATE_INDEX) that match. */
typedef struct q_slice {
  int sec;
  uint64_t begin, end;
} q_slice;

/* What a filter selects, as runs of index entries; all is set when it
 * selects every document. */
typedef struct q_plan {
  int all;
  q_slice *slices;
  size_t count, cap;
  uint64_t matches;
} q_plan;

int q_plan_make(const quire_corpus *c, const quire_filter *f, q_plan *plan,
                char *msg);
void q_plan_free(q_plan *plan);

/* Asks for helper threads that inflate, while the caller works, the next
 * blocks the cursor will need: its text blocks (Q_AHEAD_TEXT), its
 * metadata blocks (Q_AHEAD_META) or both. For long walks (export, Arrow
 * streams). The helpers of a kind start when the cursor loads its first
 * block of that kind, and only if enough blocks follow it (cursor.c,
 * ahead_worth), so that a short selection starts no thread; if they cannot
 * start, the cursor inflates on its own thread.
 * QUIRE_OK, or QUIRE_EINVAL without a cursor. */
enum { Q_AHEAD_TEXT = 1, Q_AHEAD_META = 2 };
int q_cursor_read_ahead(quire_cursor *cursor, int kinds);

/* quire_cursor_next() for loops inside the library: QUIRE_ROW, QUIRE_DONE,
 * or a failure whose message is copied into msg. */
int q_cursor_step(quire_cursor *cursor, char *msg);

/* The current document's date as parsed, for q_date_format() straight
 * into a caller's buffer; NULL without a current document. Valid until the
 * cursor moves. */
const q_date *q_cursor_date_parts(const quire_cursor *cursor);

/* The current document's title, author and url, in that order, each as
 * quire_cursor_field() returns it, in one call (an Arrow batch asks for the
 * three of every row). QUIRE_OK, or the failure of quire_cursor_field(). */
int q_cursor_meta(quire_cursor *cursor, const char *data[3], size_t lens[3]);

/* A private copy of a filter, for cursors and exports. */
quire_filter *q_filter_clone(const quire_filter *f);

#endif
