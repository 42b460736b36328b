/*
 * utf8.c: validation and repair of UTF-8 text (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF).
 */
#include <string.h>

#include "internal.h"

/* Returns the length of the valid sequence starting at s (at most n bytes
 * available), or 0 when it is invalid. */
static size_t sequence_length(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong */
    if (c == 0xED)
      hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; /* overlong */
    if (c == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
  } else
    return 0;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

size_t q_utf8_valid(const char *data, size_t len) {
  const unsigned char *s = (const unsigned char *)data;
  size_t i = 0;
  while (i < len) {
    /* ASCII runs are the common case: check eight bytes at a time. */
    while (i + 8 <= len) {
      uint64_t word;
      memcpy(&word, s + i, 8);
      if (word & 0x8080808080808080ull)
        break;
      i += 8;
    }
    if (i >= len)
      break;
    size_t n = sequence_length(s + i, len - i);
    if (n == 0)
      return i;
    i += n;
  }
  return len;
}

int q_utf8_repair(const char *data, size_t len, q_buf *out) {
  static const char replacement[] = "\xEF\xBF\xBD";
  const unsigned char *s = (const unsigned char *)data;
  size_t i = 0;
  while (i < len) {
    size_t good = q_utf8_valid(data + i, len - i);
    if (q_buf_append(out, data + i, good) != QUIRE_OK)
      return QUIRE_ENOMEM;
    i += good;
    if (i >= len)
      break;
    if (q_buf_append(out, replacement, 3) != QUIRE_OK)
      return QUIRE_ENOMEM;
    /* Skip the bad lead byte and any continuation bytes that follow it, so
     * one broken sequence gives one replacement character. */
    i++;
    while (i < len && (s[i] & 0xC0) == 0x80)
      i++;
  }
  return QUIRE_OK;
}
