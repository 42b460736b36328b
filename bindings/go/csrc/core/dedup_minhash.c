/*
 * dedup_minhash.c: MinHash signatures of texts, for near duplicates.
 *
 * Words are maximal runs of ASCII letters and digits and of non-ASCII
 * characters other than Latin-1 punctuation (U+00A0-U+00BF) and General
 * Punctuation (U+2000-U+206F); ASCII letters are lower-cased. A shingle is
 * Q_MINHASH_SHINGLE consecutive words (a text of fewer words is one
 * shingle). The signature is one-permutation MinHash (Li, Owen and Zhang,
 * 2012): each shingle's 64-bit hash picks one of Q_MINHASH_SIZE bins and
 * the bin keeps its smallest value; empty bins borrow the value of another
 * bin chosen by a hash of their number ("optimal densification",
 * Shrivastava 2017). Each bin's minimum is then hashed down to 16 bits, so
 * a signature is 256 bytes, and the fraction of equal bins of two
 * signatures estimates the Jaccard similarity of their shingle sets
 * (standard error about sqrt(J(1-J)/128), 0.044 at J = 0.5).
 */
#include <string.h>

#include "dedup.h"

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

/* The length of the separator (non-word character) at s, or 0 for a word
 * byte. s holds at least one byte; len is what is left. */
static inline size_t separator_length(const unsigned char *s, size_t len) {
  unsigned char c = s[0];
  if (c < 0x80)
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9')
               ? 0
               : 1;
  if (c == 0xc2 && len >= 2 && s[1] >= 0xa0 && s[1] <= 0xbf)
    return 2; /* U+00A0-U+00BF */
  if (c == 0xe2 && len >= 3 && (s[1] == 0x80 || s[1] == 0x81))
    return 3; /* U+2000-U+207F, close enough to General Punctuation */
  return 0;
}

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

void q_minhash(const char *text, size_t len, uint16_t *sig, int *empty) {
  enum { K = Q_MINHASH_SIZE, W = Q_MINHASH_SHINGLE };
  uint32_t bins[K];
  uint8_t filled[K];
  memset(bins, 0xff, sizeof bins);
  memset(filled, 0, sizeof filled);
  uint64_t ring[W];
  uint64_t words = 0;
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < len) {
    size_t sep = separator_length(s + i, len - i);
    if (sep) {
      i += sep;
      continue;
    }
    uint64_t h = FNV_OFFSET;
    while (i < len && separator_length(s + i, len - i) == 0) {
      unsigned char c = s[i++];
      if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c + 32);
      h = (h ^ c) * FNV_PRIME;
    }
    ring[words % W] = mix64(h);
    words++;
    if (words >= W) {
      uint64_t sh = 0;
      for (uint64_t j = words - W; j < words; j++)
        sh = sh * 0x9e3779b97f4a7c15ull + ring[j % W];
      sh = mix64(sh);
      uint32_t bin = (uint32_t)(sh >> 57), value = (uint32_t)sh;
      if (value < bins[bin])
        bins[bin] = value;
      filled[bin] = 1;
    }
  }
  if (words == 0) {
    *empty = 1;
    memset(sig, 0, K * sizeof *sig);
    return;
  }
  *empty = 0;
  if (words < W) { /* one shingle of every word */
    uint64_t sh = 0;
    for (uint64_t j = 0; j < words; j++)
      sh = sh * 0x9e3779b97f4a7c15ull + ring[j];
    sh = mix64(sh);
    bins[sh >> 57] = (uint32_t)sh;
    filled[sh >> 57] = 1;
  }
  for (uint32_t b = 0; b < K; b++) {
    uint32_t value = bins[b];
    for (uint64_t attempt = 1; !filled[b]; attempt++) {
      uint32_t from = (uint32_t)(mix64(((uint64_t)b << 32) | attempt) >> 57);
      if (filled[from]) {
        value = bins[from];
        break;
      }
    }
    sig[b] = (uint16_t)(mix64(value) >> 48);
  }
}

double q_minhash_similarity(const uint16_t *a, const uint16_t *b) {
  unsigned same = 0;
  for (int i = 0; i < Q_MINHASH_SIZE; i++)
    same += a[i] == b[i];
  return (double)same / Q_MINHASH_SIZE;
}
