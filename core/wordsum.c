/*
 * wordsum.c: per-block word summaries: Bloom filters of the words of each
 * text block and its titles, without the words too frequent to be worth
 * one, which a frequent-word list names instead.
 *
 * Why this shape (benchmarks/analysis/wordsum_sizes.py measures it): a
 * block of news holds thousands of distinct words, most of them in most
 * blocks; a filter holding them all, in a few percent of the file, gives
 * one or two bits per word and lets almost every block through. A word in
 * more than a fiftieth of the blocks (at least 16) cannot be skipped much
 * anyway, so it goes into the frequent list once, and a query for it
 * reads every candidate block; the filters then hold only the rarer words,
 * at up to 16 bits each. Frequency is counted per block in a count-min
 * sketch while the writer goes, and each block's distinct word hashes wait
 * in memory, then in an unlinked temporary file, until finish, when the
 * sketch says which words are frequent and the filters are built in a
 * second pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "wordsum.h"

uint32_t q_word_hash(const char *folded, size_t len) {
  return (uint32_t)q_word_hash64(folded, len);
}

uint64_t q_word_hash64(const char *folded, size_t len) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)folded[i];
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

uint32_t q_bloom_bit(uint32_t h, uint32_t i, uint64_t m) {
  uint32_t x = h + i * 0x9E3779B9u; /* then the murmur3 32-bit finalizer */
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  x *= 0xC2B2AE35u;
  x ^= x >> 16;
  return (uint32_t)(x % m);
}

/* ---- building
 * ----------------------------------------------------------------
 */

#define DF_BITS 20
#define SPILL_MEMORY (8u << 20) /* bytes of hashes kept before the file */
/* Frequent-word hashes listed at finish before they are made distinct. */
#define FREQUENT_KEPT ((size_t)1 << 20)

struct q_wsum_builder {
  uint16_t *df[2]; /* count-min sketch of blocks per word, saturating */
  q_buf hashes;    /* the current block's word hashes (u32) */
  q_buf spill;     /* per block: u32 count, then its distinct hashes */
  q_buf sorting;   /* scratch for radix_sort() */
  int fd;          /* the temporary file, or -1 while all fits in spill */
  uint32_t blocks;
};

static uint32_t df_slot(uint32_t h, int row) {
  return row == 0 ? h & ((1u << DF_BITS) - 1)
                  : (h * 0x85EBCA6Bu) >> (32 - DF_BITS);
}

static uint32_t df_estimate(const q_wsum_builder *b, uint32_t h) {
  uint16_t a = b->df[0][df_slot(h, 0)], c = b->df[1][df_slot(h, 1)];
  return a < c ? a : c;
}

int q_wsum_builder_new(q_wsum_builder **out) {
  q_wsum_builder *b = q_calloc(1, sizeof *b);
  *out = b;
  if (!b)
    return QUIRE_ENOMEM;
  b->fd = -1;
  b->df[0] = q_calloc((size_t)1 << DF_BITS, sizeof(uint16_t));
  b->df[1] = q_calloc((size_t)1 << DF_BITS, sizeof(uint16_t));
  if (!b->df[0] || !b->df[1]) {
    q_wsum_builder_free(b);
    *out = NULL;
    return QUIRE_ENOMEM;
  }
  return QUIRE_OK;
}

void q_wsum_builder_free(q_wsum_builder *b) {
  if (!b)
    return;
  q_free(b->df[0]);
  q_free(b->df[1]);
  q_buf_free(&b->hashes);
  q_buf_free(&b->spill);
  q_buf_free(&b->sorting);
  if (b->fd >= 0)
    close(b->fd);
  q_free(b);
}

static int add_hash(void *ctx, const char *folded, size_t len) {
  uint32_t h = q_word_hash(folded, len);
  return q_buf_append(ctx, &h, sizeof h);
}

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int spill_flush(q_wsum_builder *b, char *msg) {
  if (b->fd < 0) {
    const char *dir = q_tmp_dir();
    /* QUIRE_EIO even when out of memory: the writer then goes on without
     * word summaries. */
    b->fd = q_scratch_open(dir, "/quire-words-");
    if (b->fd < 0)
      return q_fail(msg, QUIRE_EIO,
                    "cannot create a temporary file for word summaries in "
                    "%s: %s",
                    dir, strerror(errno));
  }
  int status = q_write_all(b->fd, b->spill.data, b->spill.len,
                           "the word summaries' temporary file", msg);
  b->spill.len = 0;
  return status;
}

int q_wsum_builder_block(q_wsum_builder *b, const char *text, size_t text_len,
                         const char *meta, size_t meta_len, char *msg) {
  b->hashes.len = 0;
  int status = q_words_each(text, text_len, add_hash, &b->hashes);
  /* Metadata records: u32 title, author and url lengths, then the three
   * strings, each followed by a NUL. Only titles are matched. */
  const uint8_t *m = (const uint8_t *)meta;
  size_t at = 0;
  while (status == QUIRE_OK && meta_len - at >= QF_META_HEAD) {
    uint64_t tl = ld32(m + at + QM_TITLE_LEN),
             al = ld32(m + at + QM_AUTHOR_LEN), ul = ld32(m + at + QM_URL_LEN);
    uint64_t size = QF_META_HEAD + tl + al + ul + 3;
    if (size > meta_len - at)
      break;
    status = q_words_each(meta + at + QF_META_HEAD, (size_t)tl, add_hash,
                          &b->hashes);
    at += (size_t)size;
  }
  if (status != QUIRE_OK)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory summarizing a block");
  return q_wsum_builder_hashes(b, &b->hashes, msg);
}

/* Sorts n hashes in place, with scratch room for n more: a radix sort, a
 * byte a pass. qsort() calling a comparison function took a seventh of the
 * time of packing, for blocks of ten thousand words. */
static void radix_sort(uint32_t *h, uint32_t *scratch, size_t n) {
  uint32_t *from = h, *to = scratch;
  for (unsigned shift = 0; shift < 32; shift += 8) {
    size_t at[257] = {0};
    for (size_t i = 0; i < n; i++)
      at[((from[i] >> shift) & 0xFF) + 1]++;
    for (unsigned d = 0; d < 256; d++)
      at[d + 1] += at[d];
    for (size_t i = 0; i < n; i++)
      to[at[(from[i] >> shift) & 0xFF]++] = from[i];
    uint32_t *t = from;
    from = to;
    to = t;
  } /* four passes: the hashes are back in h */
}

/* Sorts n hashes in place, with the builder's scratch; without memory for
 * it, with qsort(), slower. */
static void sort_hashes(q_wsum_builder *b, uint32_t *h, size_t n) {
  b->sorting.len = 0;
  if (n && q_buf_reserve(&b->sorting, n * 4) == QUIRE_OK)
    radix_sort(h, (uint32_t *)b->sorting.data, n);
  else if (n)
    qsort(h, n, 4, compare_u32);
}

/* Sorts the n hashes at h and keeps each once; returns how many remain. */
static size_t unique_hashes(q_wsum_builder *b, uint32_t *h, size_t n) {
  size_t distinct = 0;
  sort_hashes(b, h, n);
  for (size_t i = 0; i < n; i++)
    if (i == 0 || h[i] != h[distinct - 1])
      h[distinct++] = h[i];
  return distinct;
}

int q_wsum_builder_hashes(q_wsum_builder *b, q_buf *hashes, char *msg) {
  uint32_t *h = (uint32_t *)hashes->data;
  size_t distinct = unique_hashes(b, h, hashes->len / 4);
  for (size_t i = 0; i < distinct; i++)
    for (int row = 0; row < 2; row++) {
      uint16_t *slot = &b->df[row][df_slot(h[i], row)];
      if (*slot < UINT16_MAX)
        (*slot)++;
    }
  uint32_t count = (uint32_t)distinct;
  if (q_buf_append(&b->spill, &count, 4) != QUIRE_OK ||
      q_buf_append(&b->spill, h, distinct * 4) != QUIRE_OK)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory summarizing a block");
  b->blocks++;
  return b->spill.len > SPILL_MEMORY ? spill_flush(b, msg) : QUIRE_OK;
}

/* Reads the spilled blocks back, one record at a time. */
typedef struct spill_reader {
  q_wsum_builder *b;
  q_buf file; /* what was read from the file and not consumed */
  size_t pos;
} spill_reader;

static int reader_start(spill_reader *r, q_wsum_builder *b, char *msg) {
  r->b = b;
  r->pos = 0;
  r->file.len = 0;
  if (b->fd < 0)
    return QUIRE_OK;
  if (b->spill.len && spill_flush(b, msg) != QUIRE_OK)
    return QUIRE_EIO;
  if (lseek(b->fd, 0, SEEK_SET) != 0)
    return q_fail(msg, QUIRE_EIO, "cannot read back word summaries: %s",
                  strerror(errno));
  return QUIRE_OK;
}

/* Makes n bytes available at data + pos; returns them, or NULL. */
static const uint8_t *reader_need(spill_reader *r, size_t n, char *msg) {
  q_buf *src = r->b->fd < 0 ? &r->b->spill : &r->file;
  if (r->b->fd >= 0 && src->len - r->pos < n) {
    if (src->len > r->pos) /* nothing to move from an empty buffer */
      memmove(src->data, src->data + r->pos, src->len - r->pos);
    src->len -= r->pos;
    r->pos = 0;
    size_t want = n > SPILL_MEMORY ? n : SPILL_MEMORY;
    if (q_buf_reserve(src, want) != QUIRE_OK) {
      q_fail(msg, QUIRE_ENOMEM, "out of memory reading word summaries");
      return NULL;
    }
    /* Fills the buffer: what lies beyond n is the next records'. */
    size_t room = src->cap - src->len;
    size_t got = q_io_read(r->b->fd, src->data + src->len, room, Q_IO_HERE);
    src->len += got;
    if (src->len < n) {
      q_fail(msg, QUIRE_EIO, "cannot read back word summaries: %s",
             errno ? strerror(errno) : "file ends early");
      return NULL;
    }
  }
  if (src->len - r->pos < n) {
    q_fail(msg, QUIRE_EIO, "word summaries end early");
    return NULL;
  }
  const uint8_t *p = (const uint8_t *)src->data + r->pos;
  r->pos += n;
  return p;
}

/* The next block's hashes: *count of them at *hashes (unaligned u32). */
static int reader_next(spill_reader *r, const uint8_t **hashes, uint32_t *count,
                       char *msg) {
  const uint8_t *p = reader_need(r, 4, msg);
  if (!p)
    return QUIRE_EIO;
  uint32_t n;
  memcpy(&n, p, 4);
  *hashes = reader_need(r, (size_t)n * 4, msg);
  *count = n;
  return *hashes ? QUIRE_OK : QUIRE_EIO;
}

int q_wsum_builder_finish(q_wsum_builder *b, uint64_t budget, q_buf *out,
                          char *msg) {
  uint32_t n = b->blocks;
  if (n == 0)
    return QUIRE_OK;
  uint32_t threshold = n / 50 > 16 ? n / 50 : 16;
  uint32_t *pairs = q_calloc(n, sizeof *pairs);
  q_buf frequent = {0};
  spill_reader r = {0};
  int status = pairs ? reader_start(&r, b, msg)
                     : q_fail(msg, QUIRE_ENOMEM, "out of memory");
  uint64_t total = 0;
  /* Pass 1: the frequent words, and the other words of each block. Every
   * block lists most frequent words again; kept all, they took 1.4 KB a
   * document (1.4 GB to pack a million), so the list is made distinct
   * whenever it doubles past FREQUENT_KEPT. */
  size_t compact_at = FREQUENT_KEPT;
  for (uint32_t i = 0; i < n && status == QUIRE_OK; i++) {
    const uint8_t *h = NULL;
    uint32_t count = 0;
    status = reader_next(&r, &h, &count, msg);
    for (uint32_t j = 0; status == QUIRE_OK && j < count; j++) {
      uint32_t v;
      memcpy(&v, h + 4 * j, 4);
      if (df_estimate(b, v) <= threshold)
        pairs[i]++;
      else if (q_buf_append(&frequent, &v, 4) != QUIRE_OK)
        status = q_fail(msg, QUIRE_ENOMEM, "out of memory");
    }
    total += pairs[i];
    if (frequent.len / 4 >= compact_at) {
      size_t kept =
          unique_hashes(b, (uint32_t *)frequent.data, frequent.len / 4);
      frequent.len = kept * 4;
      compact_at = kept * 2 > FREQUENT_KEPT ? kept * 2 : FREQUENT_KEPT;
    }
  }
  uint32_t *fw = (uint32_t *)frequent.data;
  size_t distinct =
      status == QUIRE_OK ? unique_hashes(b, fw, frequent.len / 4) : 0;
  uint64_t overhead =
      QWS_HEAD + QWS_HASH * (uint64_t)distinct + QWS_OFFSET * ((uint64_t)n + 1);
  double bits = 0;
  if (total && budget > overhead)
    bits = (double)(budget - overhead) * 8 / (double)total;
  if (bits > 16)
    bits = 16;
  /* Under two bits a word, a filter lets most blocks through: no section. */
  if (status != QUIRE_OK || (total && bits < 2)) {
    q_free(pairs);
    q_buf_free(&frequent);
    q_buf_free(&r.file);
    return status;
  }
  uint32_t k = (uint32_t)(bits * 0.6931 + 0.5);
  k = k < 1 ? 1 : k > QWS_MAX_K ? QWS_MAX_K : k;
  size_t start = out->len;
  uint8_t head[QWS_HEAD];
  memcpy(head, QWS_MAGIC, QF_MAGIC_SIZE);
  st32(head + QWS_BLOCKS, n);
  st32(head + QWS_K, k);
  st32(head + QWS_FREQUENT, (uint32_t)distinct);
  st32(head + QWS_THRESHOLD, threshold);
  if (q_buf_append(out, head, sizeof head) != QUIRE_OK ||
      q_buf_reserve(out, (size_t)overhead) != QUIRE_OK)
    status = q_fail(msg, QUIRE_ENOMEM, "out of memory");
  for (size_t i = 0; status == QUIRE_OK && i < distinct; i++) {
    st32((uint8_t *)out->data + out->len, fw[i]);
    out->len += QWS_HASH;
  }
  uint64_t offset = 0;
  for (uint32_t i = 0; status == QUIRE_OK && i <= n; i++) {
    st64((uint8_t *)out->data + out->len, offset);
    out->len += QWS_OFFSET;
    if (i < n)
      offset += ((uint64_t)((double)pairs[i] * bits) + 7) / 8;
  }
  if (status == QUIRE_OK && q_buf_reserve(out, (size_t)offset) != QUIRE_OK)
    status = q_fail(msg, QUIRE_ENOMEM, "out of memory");
  if (status == QUIRE_OK) {
    memset(out->data + out->len, 0, (size_t)offset);
    status = reader_start(&r, b, msg);
  }
  /* Pass 2: the filters. */
  uint8_t *filters = (uint8_t *)out->data + out->len;
  const uint8_t *offsets =
      (const uint8_t *)out->data + start + QWS_HEAD + QWS_HASH * distinct;
  for (uint32_t i = 0; i < n && status == QUIRE_OK; i++) {
    const uint8_t *h = NULL;
    uint32_t count = 0;
    status = reader_next(&r, &h, &count, msg);
    uint64_t at = ld64(offsets + QWS_OFFSET * (size_t)i);
    uint64_t m = (ld64(offsets + QWS_OFFSET * ((size_t)i + 1)) - at) * 8;
    for (uint32_t j = 0; status == QUIRE_OK && m && j < count; j++) {
      uint32_t v;
      memcpy(&v, h + 4 * j, 4);
      if (df_estimate(b, v) > threshold)
        continue;
      for (uint32_t p = 0; p < k; p++) {
        uint32_t bit = q_bloom_bit(v, p, m);
        filters[at + bit / 8] |= (uint8_t)(1u << (bit % 8));
      }
    }
  }
  if (status == QUIRE_OK)
    out->len += (size_t)offset;
  else
    out->len = start;
  q_free(pairs);
  q_buf_free(&frequent);
  q_buf_free(&r.file);
  return status;
}

/* ---- querying
 * ----------------------------------------------------------------
 */

typedef struct wq_term {
  uint32_t first, count; /* its words' hashes, frequent ones left out */
} wq_term;

struct q_wsum_query {
  uint32_t k;
  uint32_t *hashes;
  wq_term *all, *any;
  uint32_t n_all, n_any; /* n_any 0: the any-of terms rule nothing out */
};

void q_wsum_query_free(q_wsum_query *q) {
  if (!q)
    return;
  q_free(q->hashes);
  q_free(q->all);
  q_free(q->any);
  q_free(q);
}

static int is_frequent(const uint8_t *frequent, uint32_t f, uint32_t h) {
  uint32_t lo = 0, hi = f;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2, v = ld32(frequent + 4 * (size_t)mid);
    if (v == h)
      return 1;
    if (v < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

int q_wsum_query_new(const q_terms *terms, uint32_t k, const uint8_t *frequent,
                     uint32_t f, q_wsum_query **out) {
  *out = NULL;
  uint32_t nt = q_terms_count(terms), words = 0;
  for (uint32_t t = 0; t < nt; t++)
    words += q_terms_words(terms, t);
  q_wsum_query *q = q_calloc(1, sizeof *q);
  if (!q || !(q->hashes = q_calloc(words ? words : 1, 4)) ||
      !(q->all = q_calloc(nt, sizeof(wq_term))) ||
      !(q->any = q_calloc(nt, sizeof(wq_term)))) {
    q_wsum_query_free(q);
    return QUIRE_ENOMEM;
  }
  q->k = k;
  uint32_t used = 0;
  int any_open = 0; /* an any-of term the filters cannot rule out */
  for (uint32_t t = 0; t < nt; t++) {
    wq_term term = {used, 0};
    for (uint32_t j = 0; j < q_terms_words(terms, t); j++) {
      const char *w;
      size_t len;
      q_terms_word(terms, t, j, &w, &len);
      uint32_t h = q_word_hash(w, len);
      if (!is_frequent(frequent, f, h))
        q->hashes[used + term.count++] = h;
    }
    used += term.count;
    if (q_terms_is_any(terms, t)) {
      if (term.count)
        q->any[q->n_any++] = term;
      else
        any_open = 1;
    } else if (term.count)
      q->all[q->n_all++] = term;
  }
  if (any_open)
    q->n_any = 0;
  if (q->n_all == 0 && q->n_any == 0) {
    q_wsum_query_free(q);
    return QUIRE_OK;
  }
  *out = q;
  return QUIRE_OK;
}

/* Whether every word of term may be in the filter. */
static int term_may(const q_wsum_query *q, const wq_term *t,
                    const uint8_t *bits, size_t len) {
  if (len == 0)
    return 0;
  uint64_t m = (uint64_t)len * 8;
  for (uint32_t j = 0; j < t->count; j++)
    for (uint32_t p = 0; p < q->k; p++) {
      uint32_t bit = q_bloom_bit(q->hashes[t->first + j], p, m);
      if (!(bits[bit / 8] >> (bit % 8) & 1))
        return 0;
    }
  return 1;
}

int q_wsum_query_block(const q_wsum_query *q, const uint8_t *bits, size_t len) {
  for (uint32_t i = 0; i < q->n_all; i++)
    if (!term_may(q, &q->all[i], bits, len))
      return 0;
  if (q->n_any == 0)
    return 1;
  for (uint32_t i = 0; i < q->n_any; i++)
    if (term_may(q, &q->any[i], bits, len))
      return 1;
  return 0;
}
