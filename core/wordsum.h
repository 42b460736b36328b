/*
 * wordsum.h: per-block word summaries (wordsum.c): what the writer builds
 * from each text block and its titles, and what cursors ask before reading
 * a block for a filter's terms. The section's layout (QWS_*) is in
 * format.h.
 */
#ifndef QUIRE_WORDSUM_H
#define QUIRE_WORDSUM_H

#include "format.h"
#include "words.h"

/* The 32-bit hash of a folded word: FNV-1a 64 of its bytes, then the
 * murmur3 finalizer, keeping the low 32 bits. */
uint32_t q_word_hash(const char *folded, size_t len);
/* The same hash before it is cut to 32 bits. */
uint64_t q_word_hash64(const char *folded, size_t len);

/* Bit i (0 .. k-1) of a word of hash h in a filter of m bits: the
 * murmur3 32-bit finalizer of (h + i * 0x9E3779B9) mod 2^32, mod m. */
uint32_t q_bloom_bit(uint32_t h, uint32_t i, uint64_t m);

/* ---- writing ---------------------------------------------------------------
 */

typedef struct q_wsum_builder q_wsum_builder;

/* Returns QUIRE_OK or QUIRE_ENOMEM (*out NULL). */
int q_wsum_builder_new(q_wsum_builder **out);
/* Adds the next text block (its NUL-separated texts) and its metadata
 * block (records of format.h: only the titles are read). Word hashes go to
 * a temporary file once they outgrow memory. QUIRE_OK, QUIRE_ENOMEM or
 * QUIRE_EIO (message in msg). */
int q_wsum_builder_block(q_wsum_builder *b, const char *text, size_t text_len,
                         const char *meta, size_t meta_len, char *msg);
/* The same, from the q_word_hash() of the block's words (in any order,
 * repeats allowed), which it sorts in place. */
int q_wsum_builder_hashes(q_wsum_builder *b, q_buf *hashes, char *msg);
/* Appends the section to out, its filters sized to fit in about budget
 * bytes in all; leaves out unchanged (and returns QUIRE_OK) when
 * summaries would not pay: no block, or too few bits per word. */
int q_wsum_builder_finish(q_wsum_builder *b, uint64_t budget, q_buf *out,
                          char *msg);
void q_wsum_builder_free(q_wsum_builder *b);

/* ---- reading ---------------------------------------------------------------
 */

typedef struct q_wsum_query q_wsum_query;

/* Prepares terms against a section's k and frequent list (f sorted u32 at
 * frequent, which the caller has checked). Stores NULL in *out when no term
 * can be ruled out by the filters (every word of some needed term is
 * frequent). QUIRE_OK or QUIRE_ENOMEM. */
int q_wsum_query_new(const q_terms *terms, uint32_t k, const uint8_t *frequent,
                     uint32_t f, q_wsum_query **out);
/* Returns 0 when a block whose filter is bits[0 .. len) cannot hold a
 * match of the terms, 1 when it may. */
int q_wsum_query_block(const q_wsum_query *q, const uint8_t *bits, size_t len);
void q_wsum_query_free(q_wsum_query *q);

/* ---- joining (wsum_join.c) -------------------------------------------------
 * A file made by copying blocks from other files (merge, append) gets a
 * section whose filters are the copied ones: k is the smallest k of the
 * sections joined (a filter made with more bit positions holds its words
 * under fewer), the frequent words are all the sections' frequent words (a
 * word frequent in one is in none of its filters, so it can rule nothing
 * out anywhere), and a block without a summary gets a filter of one byte
 * of ones, which every word passes. */

/* A section, checked: the magic, the block count, k, the frequent words
 * sorted, every filter inside the section. */
typedef struct q_wsum_view {
  uint32_t n, k, f, threshold;
  const uint8_t *frequent; /* f u32 */
  const uint8_t *offsets;  /* n + 1 u64 */
  const uint8_t *filters;
  uint64_t filters_len;
} q_wsum_view;

/* Returns 1 and fills *v when bytes [0, len) are a valid section for
 * blocks blocks, 0 when they are not. */
int q_wsum_view_parse(const uint8_t *bytes, uint64_t len, uint32_t blocks,
                      q_wsum_view *v);

/* Where block i of the new file takes its filter from: block `block` of
 * view `part`, or no filter when that view is not valid. */
typedef struct q_wsum_origin {
  uint32_t part;
  uint32_t block;
} q_wsum_origin;

/* Appends to out the section for blocks plan[0 .. n): views[p] is valid
 * when valid[p]. Leaves out unchanged when no block has a filter.
 * QUIRE_OK or QUIRE_ENOMEM. */
int q_wsum_join(const q_wsum_view *views, const int *valid, size_t nviews,
                const q_wsum_origin *plan, size_t n, q_buf *out);

#endif
