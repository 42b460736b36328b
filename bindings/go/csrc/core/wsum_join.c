/*
 * wsum_join.c: the word-summaries section of a file whose blocks were
 * copied from other files (wordsum.h, "joining").
 */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "wordsum.h"

int q_wsum_view_parse(const uint8_t *bytes, uint64_t len, uint32_t blocks,
                      q_wsum_view *v) {
  if (!bytes || len < QWS_HEAD || memcmp(bytes, QWS_MAGIC, QF_MAGIC_SIZE) != 0)
    return 0;
  v->n = ld32(bytes + QWS_BLOCKS);
  v->k = ld32(bytes + QWS_K);
  v->f = ld32(bytes + QWS_FREQUENT);
  v->threshold = ld32(bytes + QWS_THRESHOLD);
  uint64_t offsets = QWS_HEAD + QWS_HASH * (uint64_t)v->f;
  uint64_t filters = offsets + QWS_OFFSET * ((uint64_t)v->n + 1);
  if (v->n != blocks || v->k < 1 || v->k > QWS_MAX_K || filters > len)
    return 0;
  v->frequent = bytes + QWS_HEAD;
  v->offsets = bytes + offsets;
  v->filters = bytes + filters;
  v->filters_len = len - filters;
  for (uint32_t i = 1; i < v->f; i++)
    if (ld32(v->frequent + QWS_HASH * (i - 1)) >=
        ld32(v->frequent + QWS_HASH * i))
      return 0;
  uint64_t last = 0;
  for (uint64_t i = 0; i <= v->n; i++) {
    uint64_t at = ld64(v->offsets + QWS_OFFSET * i);
    if (at < last || at > v->filters_len)
      return 0;
    last = at;
  }
  return 1;
}

static int compare_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* The frequent words of every view used, sorted and distinct, in *words
 * (allocated) and their count in *count. */
static int union_frequent(const q_wsum_view *views, const int *used,
                          size_t nviews, uint32_t **words, size_t *count) {
  size_t total = 0;
  for (size_t p = 0; p < nviews; p++)
    if (used[p])
      total += views[p].f;
  uint32_t *all = q_malloc((total ? total : 1) * sizeof *all);
  if (!all)
    return QUIRE_ENOMEM;
  size_t n = 0;
  for (size_t p = 0; p < nviews; p++)
    for (uint32_t i = 0; used[p] && i < views[p].f; i++)
      all[n++] = ld32(views[p].frequent + 4 * i);
  qsort(all, n, sizeof *all, compare_u32);
  size_t distinct = 0;
  for (size_t i = 0; i < n; i++)
    if (distinct == 0 || all[distinct - 1] != all[i])
      all[distinct++] = all[i];
  *words = all;
  *count = distinct;
  return QUIRE_OK;
}

/* The filter of plan entry o: its bytes and length; one byte of ones for a
 * block without one. */
static const uint8_t *filter_of(const q_wsum_view *views, const int *valid,
                                q_wsum_origin o, uint64_t *len) {
  static const uint8_t anything = 0xFF;
  if (!valid[o.part] || o.block >= views[o.part].n) {
    *len = 1;
    return &anything;
  }
  const q_wsum_view *v = &views[o.part];
  const uint8_t *offset = v->offsets + QWS_OFFSET * (uint64_t)o.block;
  uint64_t at = ld64(offset);
  *len = ld64(offset + QWS_OFFSET) - at;
  return v->filters + at;
}

int q_wsum_join(const q_wsum_view *views, const int *valid, size_t nviews,
                const q_wsum_origin *plan, size_t n, q_buf *out) {
  int *used = q_calloc(nviews ? nviews : 1, sizeof *used);
  if (!used)
    return QUIRE_ENOMEM;
  uint32_t k = QWS_MAX_K, threshold = 0;
  int any = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t p = plan[i].part;
    if (p < nviews && valid[p] && plan[i].block < views[p].n && !used[p]) {
      used[p] = any = 1;
      k = views[p].k < k ? views[p].k : k;
      threshold =
          views[p].threshold > threshold ? views[p].threshold : threshold;
    }
  }
  uint32_t *frequent = NULL;
  size_t f = 0;
  int status =
      any ? union_frequent(views, used, nviews, &frequent, &f) : QUIRE_OK;
  uint8_t head[QWS_HEAD];
  memcpy(head, QWS_MAGIC, QF_MAGIC_SIZE);
  st32(head + QWS_BLOCKS, (uint32_t)n);
  st32(head + QWS_K, k);
  st32(head + QWS_FREQUENT, (uint32_t)f);
  st32(head + QWS_THRESHOLD, threshold);
  if (any && status == QUIRE_OK)
    status = q_buf_append(out, head, sizeof head);
  for (size_t i = 0; any && status == QUIRE_OK && i < f; i++) {
    uint8_t word[QWS_HASH];
    st32(word, frequent[i]);
    status = q_buf_append(out, word, sizeof word);
  }
  uint64_t at = 0;
  for (size_t i = 0; any && status == QUIRE_OK && i <= n; i++) {
    uint8_t offset[QWS_OFFSET];
    st64(offset, at);
    status = q_buf_append(out, offset, sizeof offset);
    if (i < n) {
      uint64_t len;
      filter_of(views, used, plan[i], &len);
      at += len;
    }
  }
  for (size_t i = 0; any && status == QUIRE_OK && i < n; i++) {
    uint64_t len;
    const uint8_t *bits = filter_of(views, used, plan[i], &len);
    status = q_buf_append(out, bits, (size_t)len);
  }
  q_free(frequent);
  q_free(used);
  return status;
}
