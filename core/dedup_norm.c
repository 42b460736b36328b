/*
 * dedup_norm.c: what two documents must share to be URL or text duplicates:
 * the normalised URL, the normalised text, and a 128-bit hash of either.
 * The rules are listed in docs/guide.md, "Duplicates"; tests/test_dedup.c
 * holds a table of cases.
 */
#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

#include "dedup.h"

/* ---- URLs ------------------------------------------------------------------
 */

static int is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
static unsigned char lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}
static int hex_value(unsigned char c) {
  if (is_digit(c))
    return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}
static int is_unreserved(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

/* Appends s[0..len) with percent-escapes normalised: an escape of an
 * unreserved character becomes the character, any other escape gets
 * upper-case hex digits. */
static int append_escaped(q_buf *out, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  if (q_buf_reserve(out, len) != QUIRE_OK)
    return QUIRE_ENOMEM;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    int hi, lo;
    if (c == '%' && i + 2 < len &&
        (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
        (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
      unsigned char v = (unsigned char)(hi * 16 + lo);
      if (is_unreserved(v)) {
        out->data[out->len++] = (char)v;
      } else {
        out->data[out->len++] = '%';
        out->data[out->len++] = hex[hi];
        out->data[out->len++] = hex[lo];
      }
      i += 2;
    } else {
      out->data[out->len++] = (char)c;
    }
  }
  return QUIRE_OK;
}

/* Query parameters that only say where a reader came from. */
static int is_tracking(const char *name, size_t len) {
  static const char *const names[] = {
      "fbclid", "gclid",  "gclsrc", "dclid", "msclkid", "yclid", "mc_cid",
      "mc_eid", "igshid", "_ga",    "_gl",   "_hsenc",  "_hsmi", "mkt_tok"};
  if (len >= 4 && strncasecmp(name, "utm_", 4) == 0)
    return 1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
      return 1;
  return 0;
}

/* Appends the query (without its '?') minus empty and tracking parameters,
 * with '?' before the first one kept. */
static int append_query(q_buf *out, const char *q, size_t len) {
  int first = 1;
  size_t start = 0;
  while (start <= len) {
    const char *amp = memchr(q + start, '&', len - start);
    size_t end = amp ? (size_t)(amp - q) : len;
    const char *param = q + start;
    size_t plen = end - start;
    const char *eq = memchr(param, '=', plen);
    size_t name_len = eq ? (size_t)(eq - param) : plen;
    if (plen > 0 && !is_tracking(param, name_len)) {
      if (q_buf_append(out, first ? "?" : "&", 1) != QUIRE_OK ||
          append_escaped(out, param, plen) != QUIRE_OK)
        return QUIRE_ENOMEM;
      first = 0;
    }
    start = end + 1;
  }
  return QUIRE_OK;
}

/* Appends a path (from its first '/', or empty) without a trailing '/'. */
static int append_path(q_buf *out, const char *p, size_t len) {
  size_t before = out->len;
  if (append_escaped(out, p, len) != QUIRE_OK)
    return QUIRE_ENOMEM;
  while (out->len > before && out->data[out->len - 1] == '/')
    out->len--;
  return QUIRE_OK;
}

/* Length of a scheme followed by "://" at the start of s, or 0. */
static size_t scheme_length(const char *s, size_t len) {
  if (len == 0 || !is_alpha((unsigned char)s[0]))
    return 0;
  size_t i = 1;
  while (i < len &&
         (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
          s[i] == '+' || s[i] == '-' || s[i] == '.'))
    i++;
  return i + 3 <= len && memcmp(s + i, "://", 3) == 0 ? i : 0;
}

/* Appends scheme://authority, normalised; *rest is what follows. */
static int append_authority(q_buf *out, const char *s, size_t len,
                            size_t scheme_len, size_t *rest) {
  char scheme[16];
  size_t n = scheme_len < sizeof scheme - 1 ? scheme_len : sizeof scheme - 1;
  for (size_t i = 0; i < n; i++)
    scheme[i] = (char)lower((unsigned char)s[i]);
  scheme[n] = '\0';
  int http = strcmp(scheme, "http") == 0, https = strcmp(scheme, "https") == 0;
  size_t begin = scheme_len + 3, end = begin;
  while (end < len && s[end] != '/' && s[end] != '?')
    end++;
  *rest = end;
  /* userinfo@host:port */
  const char *auth = s + begin;
  size_t alen = end - begin, host_at = 0;
  for (size_t i = 0; i < alen; i++)
    if (auth[i] == '@')
      host_at = i + 1;
  size_t host_end = alen;
  /* The port is after the last ':' unless it is inside an IPv6 "[...]". */
  for (size_t i = alen; i > host_at; i--) {
    if (auth[i - 1] == ']')
      break;
    if (auth[i - 1] == ':') {
      host_end = i - 1;
      break;
    }
  }
  const char *port = auth + host_end + (host_end < alen ? 1 : 0);
  size_t port_len = host_end < alen ? alen - host_end - 1 : 0;
  int default_port = port_len == 0 ||
                     (http && port_len == 2 && memcmp(port, "80", 2) == 0) ||
                     (https && port_len == 3 && memcmp(port, "443", 3) == 0);
  const char *out_scheme = https ? "http" : scheme;
  if (q_buf_append(out, out_scheme, https ? 4 : n) != QUIRE_OK ||
      q_buf_append(out, "://", 3) != QUIRE_OK ||
      q_buf_append(out, auth, host_at) != QUIRE_OK ||
      q_buf_reserve(out, host_end - host_at) != QUIRE_OK)
    return QUIRE_ENOMEM;
  size_t host_len = host_end - host_at;
  if (host_len > 0 && auth[host_at + host_len - 1] == '.')
    host_len--; /* "example.com." is "example.com" */
  for (size_t i = 0; i < host_len; i++)
    out->data[out->len++] = (char)lower((unsigned char)auth[host_at + i]);
  if (!default_port && (q_buf_append(out, ":", 1) != QUIRE_OK ||
                        q_buf_append(out, port, port_len) != QUIRE_OK))
    return QUIRE_ENOMEM;
  return QUIRE_OK;
}

static int is_space_or_control(unsigned char c) {
  return c <= 0x20 || c == 0x7f;
}

int q_url_normalize(const char *url, size_t len, q_buf *out) {
  out->len = 0;
  if (!url)
    len = 0;
  while (len > 0 && is_space_or_control((unsigned char)url[0]))
    url++, len--;
  while (len > 0 && is_space_or_control((unsigned char)url[len - 1]))
    len--;
  const char *hash = len ? memchr(url, '#', len) : NULL;
  if (hash)
    len = (size_t)(hash - url);
  if (len == 0)
    return QUIRE_OK;
  size_t scheme_len = scheme_length(url, len), rest = 0;
  if (scheme_len > 0 &&
      append_authority(out, url, len, scheme_len, &rest) != QUIRE_OK)
    return QUIRE_ENOMEM;
  const char *q = memchr(url + rest, '?', len - rest);
  size_t path_end = q ? (size_t)(q - url) : len;
  if (append_path(out, url + rest, path_end - rest) != QUIRE_OK)
    return QUIRE_ENOMEM;
  if (q && append_query(out, q + 1, len - path_end - 1) != QUIRE_OK)
    return QUIRE_ENOMEM;
  return QUIRE_OK;
}

/* ---- text
 * --------------------------------------------------------------------
 */

static int is_white_space(int32_t c) {
  /* Unicode's White_Space property. */
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
         c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Appends bytes with runs of ASCII white space collapsed; *pending says a
 * space is owed before the next non-space byte. */
static void collapse_ascii(q_buf *out, const char *s, size_t len,
                           int *pending) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || (c >= 0x09 && c <= 0x0d)) {
      *pending = out->len > 0;
      continue;
    }
    if (*pending)
      out->data[out->len++] = ' ';
    *pending = 0;
    out->data[out->len++] = (char)c;
  }
}

/* Decodes the code point at s (valid UTF-8, len > 0) into *cp and returns
 * its length in bytes. */
static size_t decode(const unsigned char *s, int32_t *cp) {
  if (s[0] < 0xe0) {
    *cp = (int32_t)(((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu));
    return 2;
  }
  if (s[0] < 0xf0) {
    *cp = (int32_t)(((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) |
                    (s[2] & 0x3fu));
    return 3;
  }
  *cp = (int32_t)(((s[0] & 0x07u) << 18) | ((s[1] & 0x3fu) << 12) |
                  ((s[2] & 0x3fu) << 6) | (s[3] & 0x3fu));
  return 4;
}

/* Code points that are their own NFC, have canonical combining class 0 and
 * never compose with the character before them; tests/test_dedup.c checks
 * every one of them against utf8proc. A run of them next to ASCII needs no
 * normalisation at all, which spares utf8proc most European text. */
int q_nfc_inert(int32_t cp) {
  return (cp >= 0xa0 && cp <= 0x2ff) || (cp >= 0x400 && cp <= 0x482) ||
         (cp >= 0x48a && cp <= 0x52f);
}

typedef struct normalizer {
  q_buf *out;
  int pending; /* a space is owed before the next character */
  utf8proc_int32_t *cps;
  size_t cap; /* at most PTRDIFF_MAX code points: utf8proc counts them so */
} normalizer;

static void put_char(normalizer *n, int32_t cp) {
  if (is_white_space(cp)) {
    n->pending = n->out->len > 0;
    return;
  }
  if (n->pending)
    n->out->data[n->out->len++] = ' ';
  n->pending = 0;
  n->out->len += (size_t)utf8proc_encode_char(
      cp, (utf8proc_uint8_t *)n->out->data + n->out->len);
}

/* Normalises span[0..len) (valid UTF-8 that starts and ends at boundaries
 * where NFC may cut) with utf8proc and appends it. */
static int put_span(normalizer *n, const char *span, size_t len) {
  const utf8proc_option_t options = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
  utf8proc_ssize_t got;
  for (;;) {
    got = utf8proc_decompose((const utf8proc_uint8_t *)span,
                             (utf8proc_ssize_t)len, n->cps,
                             (utf8proc_ssize_t)n->cap, options);
    if (got < 0)
      return QUIRE_EUTF8;
    if ((size_t)got <= n->cap)
      break;
    utf8proc_int32_t *grown =
        q_grow(n->cps, &n->cap, (size_t)got + 16, sizeof *grown, 0);
    if (!grown)
      return QUIRE_ENOMEM;
    n->cps = grown;
  }
  if (got == 0)
    return QUIRE_OK;
  got = utf8proc_normalize_utf32(n->cps, got, options);
  if (got < 0)
    return QUIRE_EUTF8;
  if (q_buf_reserve(n->out, (size_t)got * 4 + 1) != QUIRE_OK)
    return QUIRE_ENOMEM;
  for (utf8proc_ssize_t i = 0; i < got; i++)
    put_char(n, n->cps[i]);
  return QUIRE_OK;
}

/* NFC of valid UTF-8, a run of non-ASCII characters at a time: NFC never
 * joins across an ASCII character (which is a starter that composes with
 * nothing before it), so each run is normalised with the ASCII character
 * before it, which a combining mark may join, and the rest is copied. */
static int normalize_utf8(normalizer *n, const char *text, size_t len) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < len) {
    if (s[i] < 0x80) {
      size_t j = i + 1;
      while (j < len && s[j] < 0x80)
        j++;
      collapse_ascii(n->out, text + i, j - i, &n->pending);
      i = j;
      continue;
    }
    size_t j = i, inert = 1;
    while (j < len && s[j] >= 0x80) {
      int32_t cp;
      j += decode(s + j, &cp);
      inert = inert && q_nfc_inert(cp);
    }
    if (inert) {
      for (size_t k = i; k < j;) {
        int32_t cp;
        k += decode(s + k, &cp);
        put_char(n, cp);
      }
    } else {
      /* The ASCII character before the run goes with it, unless it was
       * white space (then it has been collapsed and composes with
       * nothing). */
      size_t from = i;
      if (i > 0 && !is_white_space(s[i - 1]) && n->out->len > 0) {
        from = i - 1;
        n->out->len--;
      }
      int status = put_span(n, text + from, j - from);
      if (status != QUIRE_OK)
        return status;
      /* What follows is copied at most byte for byte. */
      if (q_buf_reserve(n->out, len - j + 1) != QUIRE_OK)
        return QUIRE_ENOMEM;
    }
    i = j;
  }
  return QUIRE_OK;
}

int q_text_normalize(const char *text, size_t len, q_buf *out) {
  out->len = 0;
  if (!text || len == 0)
    return QUIRE_OK;
  /* The output is never longer than the input but for decompositions
   * that do not recompose, which put_span() makes room for. */
  if (q_buf_reserve(out, len + 1) != QUIRE_OK)
    return QUIRE_ENOMEM;
  normalizer n = {out, 0, NULL, 0};
  if (q_utf8_valid(text, len) != len || len > (size_t)PTRDIFF_MAX / 8) {
    /* Not UTF-8 (or too long for utf8proc's sizes): the bytes, with ASCII
     * white space collapsed. */
    collapse_ascii(out, text, len, &n.pending);
    return QUIRE_OK;
  }
  int status = normalize_utf8(&n, text, len);
  q_free(n.cps);
  return status == QUIRE_ENOMEM ? QUIRE_ENOMEM : QUIRE_OK;
}

/* ---- hashing
 * -----------------------------------------------------------------
 */

static uint64_t rotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}
static uint64_t fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

/* MurmurHash3 x64 128 (Austin Appleby, public domain), on 16-byte steps. */
q_hash128 q_hash_bytes(const void *data, size_t len) {
  const unsigned char *p = data;
  const uint64_t c1 = 0x87c37b91114253d5ull, c2 = 0x4cf5ad432745937full;
  uint64_t h1 = 0x9368e53c2f6af274ull, h2 = 0x586dcd208f7cd3fdull;
  size_t blocks = len / 16;
  for (size_t i = 0; i < blocks; i++) {
    uint64_t k1, k2;
    memcpy(&k1, p + i * 16, 8);
    memcpy(&k2, p + i * 16 + 8, 8);
    k1 *= c1, k1 = rotl(k1, 31), k1 *= c2, h1 ^= k1;
    h1 = rotl(h1, 27), h1 += h2, h1 = h1 * 5 + 0x52dce729;
    k2 *= c2, k2 = rotl(k2, 33), k2 *= c1, h2 ^= k2;
    h2 = rotl(h2, 31), h2 += h1, h2 = h2 * 5 + 0x38495ab5;
  }
  unsigned char tail[16] = {0};
  memcpy(tail, p + blocks * 16, len % 16);
  uint64_t k1, k2;
  memcpy(&k1, tail, 8);
  memcpy(&k2, tail + 8, 8);
  k2 *= c2, k2 = rotl(k2, 33), k2 *= c1, h2 ^= k2;
  k1 *= c1, k1 = rotl(k1, 31), k1 *= c2, h1 ^= k1;
  h1 ^= (uint64_t)len, h2 ^= (uint64_t)len;
  h1 += h2, h2 += h1;
  h1 = fmix(h1), h2 = fmix(h2);
  h1 += h2, h2 += h1;
  q_hash128 h = {h1, h2};
  return h;
}
