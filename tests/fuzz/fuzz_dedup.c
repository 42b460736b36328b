/*
 * fuzz_dedup.c: duplicate detection on arbitrary bytes: the URL and text
 * normalisers, MinHash, and the detector in both of its modes.
 *
 * Text normalisation must be idempotent (NFC and white-space collapsing
 * are) and never longer than the input needs; a signature must equal
 * itself; the input cut at every 0xff byte into documents (url and text
 * alternately) must go through the detector without a fault, and every
 * document given twice in a row must be found a duplicate of every kind it
 * has.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "hardening.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size ? size : 1); /* exactly sized: overreads show */
  if (!text)
    return 0;
  memcpy(text, data, size);
  q_buf a = {0}, b = {0};
  HD_CHECK(q_url_normalize(text, size, &a) == QUIRE_OK);
  HD_CHECK(a.len <= size + 8);
  HD_CHECK(q_text_normalize(text, size, &a) == QUIRE_OK);
  if (q_utf8_valid(text, size) == size) {
    HD_CHECK(q_utf8_valid(a.data ? a.data : "", a.len) == a.len);
    HD_CHECK(q_text_normalize(a.data, a.len, &b) == QUIRE_OK);
    HD_CHECK(a.len == b.len && (a.len == 0 || !memcmp(a.data, b.data, a.len)));
  }
  uint16_t s1[Q_MINHASH_SIZE], s2[Q_MINHASH_SIZE];
  int e1, e2;
  q_minhash(a.data, a.len, s1, &e1);
  q_minhash(a.data, a.len, s2, &e2);
  HD_CHECK(e1 == e2 && q_minhash_similarity(s1, s2) == 1.0);

  for (int any = 0; any < 2; any++) {
    q_dedup *d = q_dedup_new(QUIRE_DUP_ALL, 0.4);
    HD_CHECK(d != NULL);
    uint64_t id = 0;
    size_t start = 0;
    while (start <= size) {
      const char *cut = memchr(text + start, 0xff, size - start);
      size_t end = cut ? (size_t)(cut - text) : size;
      size_t half = (end - start) / 2;
      const char *url = text + start, *body = text + start + half;
      q_dup_match m;
      HD_CHECK(q_dedup_add(d, url, half, body, end - start - half, id++, any,
                           &m) == QUIRE_OK);
      HD_CHECK(q_dedup_add(d, url, half, body, end - start - half, id++, any,
                           &m) == QUIRE_OK);
      /* The second copy duplicates something by every kind it has (per
       * kind), or by some kind (--dedup, where a dropped first copy is
       * never a representative). */
      int has[Q_KIND_COUNT], empty;
      HD_CHECK(q_url_normalize(url, half, &b) == QUIRE_OK);
      has[0] = b.len > 0;
      HD_CHECK(q_text_normalize(body, end - start - half, &b) == QUIRE_OK);
      has[1] = b.len > 0;
      q_minhash(b.data, b.len, s1, &empty);
      has[2] = !empty;
      if (any)
        HD_CHECK(m.any == (has[0] || has[1] || has[2]));
      else
        for (int k = 0; k < Q_KIND_COUNT; k++)
          HD_CHECK(has[k] == (m.leader[k] != UINT64_MAX));
      for (int k = 0; k < Q_KIND_COUNT; k++)
        HD_CHECK(m.leader[k] == UINT64_MAX ||
                 (m.leader[k] < id - 1 && m.similarity[k] >= 0.4 &&
                  m.similarity[k] <= 1.0));
      start = end + 1;
    }
    q_dedup_free(d);
  }
  q_buf_free(&a);
  q_buf_free(&b);
  free(text);
  return 0;
}
