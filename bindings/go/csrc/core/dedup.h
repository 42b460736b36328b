/*
 * dedup.h: duplicate detection shared by quire_dups_* (dedup.c) and the
 * writer's --dedup (writer.c). Not installed; nothing here is in the ABI.
 *
 * A q_dedup holds, for each kind asked for, the "representatives" seen so
 * far: the first document of every group. A new document is compared
 * against them only, never against other members, so groups never chain
 * and the first document of a group is the one kept.
 */
#ifndef QUIRE_DEDUP_H
#define QUIRE_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* ---- normalisation (dedup_norm.c) ---------------------------------------- */

/* Writes the normalised form of url (docs/guide.md, "Duplicates", lists
 * the rules) into out, replacing its contents. An empty result means "no URL":
 * such a document is never a URL duplicate. QUIRE_OK or QUIRE_ENOMEM. */
int q_url_normalize(const char *url, size_t len, q_buf *out);

/* Writes text in Unicode NFC with every run of white space (Unicode
 * White_Space) made one U+0020 and none at either end, into out, replacing
 * its contents. Text that is not valid UTF-8 is copied with only ASCII
 * white space collapsed. QUIRE_OK or QUIRE_ENOMEM. */
int q_text_normalize(const char *text, size_t len, q_buf *out);

/* Non-zero for a code point that is its own NFC, has combining class 0
 * and composes with nothing before it (Latin-1 to IPA, most Cyrillic):
 * text made of these and ASCII is already NFC. */
int q_nfc_inert(int32_t cp);

/* A 128-bit hash of bytes (two independent 64-bit halves). */
typedef struct q_hash128 {
  uint64_t lo, hi;
} q_hash128;
q_hash128 q_hash_bytes(const void *data, size_t len);

/* ---- MinHash (dedup_minhash.c) --------------------------------------------
 */

#define Q_MINHASH_SIZE 128 /* one-permutation MinHash bins */
#ifndef Q_MINHASH_SHINGLE
#define Q_MINHASH_SHINGLE 5 /* words per shingle */
#endif
#ifndef Q_LSH_ROWS
#define Q_LSH_ROWS 3 /* values per LSH band */
#endif
#define Q_LSH_BANDS (Q_MINHASH_SIZE / Q_LSH_ROWS) /* 42 */

/* The signature of a text: Q_MINHASH_SIZE 16-bit values, or empty (no word
 * at all) when *empty is set. text is normalised text (q_text_normalize()).
 */
void q_minhash(const char *text, size_t len, uint16_t *sig, int *empty);

/* The fraction of equal values of two signatures: the estimate of the
 * Jaccard similarity of their shingle sets. */
double q_minhash_similarity(const uint16_t *a, const uint16_t *b);

/* ---- the detector (dedup.c) ---------------------------------------------- */

#define Q_KIND_COUNT 3 /* url, text, near: bit 1 << i of QUIRE_DUP_* */

typedef struct q_dedup q_dedup;

/* What q_dedup_add() found for each kind: leader[k] is the id of the
 * representative the document duplicates, or UINT64_MAX; similarity[k]
 * its similarity (1 for url and text). */
typedef struct q_dup_match {
  uint64_t leader[Q_KIND_COUNT];
  double similarity[Q_KIND_COUNT];
  int any; /* a duplicate of some kind was found */
} q_dup_match;

/* kinds: a mask of QUIRE_DUP_*; similarity: the near threshold. NULL on
 * ENOMEM. */
q_dedup *q_dedup_new(int kinds, double similarity);
void q_dedup_free(q_dedup *d);

/* Looks one document up, id being its number among every document given
 * so far (ids must grow). With any_kind 0 each kind is its own world: the
 * document becomes a representative of every kind it duplicates nothing
 * in. With any_kind non-zero (the writer's --dedup) a document that
 * duplicates anything in any kind is dropped and becomes no
 * representative. url or text may be NULL when their kinds are not asked
 * for. Returns QUIRE_OK or QUIRE_ENOMEM. */
int q_dedup_add(q_dedup *d, const char *url, size_t url_len, const char *text,
                size_t text_len, uint64_t id, int any_kind, q_dup_match *m);

#endif /* QUIRE_DEDUP_H */
