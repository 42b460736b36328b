/*
 * words.c: what a word is, how words fold, and matching a filter's terms
 * against the fields of one document.
 *
 * A word is a maximal run of code points of general category L or N, as
 * utf8proc classifies them. Words are compared by Unicode simple case
 * folding (CaseFolding.txt, statuses C and S), one code point at a time, so
 * a word never changes length in code points when folded. utf8proc offers
 * full folding (statuses C and F) per code point through
 * utf8proc_decompose_char(UTF8PROC_CASEFOLD); where that yields one code
 * point it is the simple folding too. The code points whose full folding
 * is several code points (F) have a simple folding (S) equal to their
 * simple lowercase (U+1E9E to U+00DF, U+1F88 to U+1F80, ...) or none at
 * all (U+00DF, U+0149, U+1E96, U+FB00, ...: their lowercase is themselves),
 * except U+0130 (capital I with dot above), whose lowercase is "i" but
 * which has no simple folding: it stays itself. The Turkic mappings (T) are
 * not used.
 *
 * Matching tokenizes a field once, folding each word into a small buffer
 * and looking it up among the distinct words of the terms; a ring of the
 * last words seen finds the terms of several words. ASCII, the common case,
 * goes through a table and never reaches utf8proc.
 */
#include <string.h>
#include <utf8proc.h>

#include "words.h"

/* ---- code points ---------------------------------------------------------
 */

int q_is_word_char(int32_t cp) {
  if (cp < 0 || cp > 0x10FFFF)
    return 0;
  int cat = utf8proc_get_property(cp)->category;
  return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
         (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

int32_t q_fold(int32_t cp) {
  if (cp < 0 || cp > 0x10FFFF)
    return cp;
  if (cp < 0x80)
    return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  const utf8proc_property_t *p = utf8proc_get_property(cp);
  if (p->casefold_seqindex == UINT16_MAX)
    return cp; /* no folding at all */
  utf8proc_int32_t seq[8];
  int boundclass = 0;
  utf8proc_ssize_t n =
      utf8proc_decompose_char(cp, seq, 8, UTF8PROC_CASEFOLD, &boundclass);
  if (n == 1)
    return seq[0]; /* status C: simple and full folding agree */
  if (cp == 0x130)
    return cp; /* no simple folding, though its lowercase is "i" */
  return utf8proc_tolower(cp);
}

/* ASCII letters and digits folded; 0 for every other ASCII byte. */
static const unsigned char ascii_fold[128] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
    ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
    ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
    ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
    ['Z'] = 'z', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd',
    ['e'] = 'e', ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i',
    ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
    ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's',
    ['t'] = 't', ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x',
    ['y'] = 'y', ['z'] = 'z'};

/* ---- the tokenizer ----------------------------------------------------------
 */

/* Reads words, folding each into word; calls emit at the end of each. A
 * word is kept only when its folded length could matter: at most limit
 * bytes and, for words of fewer than 63 bytes, with bit len of len_mask
 * set. Otherwise overflow is set and emit still called (so that it counts
 * as a word), and the bytes of an all-ASCII word are not even copied. */
typedef struct scanner {
  q_buf word;
  size_t limit;
  uint64_t len_mask;
  int overflow;
  int (*emit)(struct scanner *sc);
} scanner;

static int wanted(const scanner *sc, size_t len) {
  return len <= sc->limit && (len >= 63 || (sc->len_mask >> len & 1));
}

static int put(scanner *sc, const char *bytes, size_t n) {
  if (sc->word.len + n > sc->limit) {
    sc->overflow = 1;
    return QUIRE_OK;
  }
  if (sc->word.len + n > sc->word.cap &&
      q_buf_reserve(&sc->word, n) != QUIRE_OK)
    return QUIRE_ENOMEM;
  memcpy(sc->word.data + sc->word.len, bytes, n);
  sc->word.len += n;
  return QUIRE_OK;
}

/* Folds the ASCII word s[0 .. n) into the word buffer. */
static int put_ascii(scanner *sc, const unsigned char *s, size_t n) {
  if (sc->word.len + n > sc->limit) {
    sc->overflow = 1;
    return QUIRE_OK;
  }
  if (sc->word.len + n > sc->word.cap &&
      q_buf_reserve(&sc->word, n) != QUIRE_OK)
    return QUIRE_ENOMEM;
  for (size_t i = 0; i < n; i++)
    sc->word.data[sc->word.len + i] = (char)ascii_fold[s[i]];
  sc->word.len += n;
  return QUIRE_OK;
}

static int is_ascii_word(unsigned char b) {
  return b < 0x80 && ascii_fold[b];
}

/* Returns QUIRE_OK, QUIRE_ENOMEM or emit's first non-zero value. */
static int scan(scanner *sc, const char *text, size_t len) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  int status;
  while (i < len) {
    while (i < len && s[i] < 0x80 && !ascii_fold[s[i]])
      i++; /* ASCII separators */
    if (i >= len)
      break;
    size_t start = i;
    while (i < len && is_ascii_word(s[i]))
      i++;
    sc->word.len = 0;
    sc->overflow = 0;
    if (i >= len || s[i] < 0x80) {
      /* The common case: a word of ASCII letters and digits. */
      if (!wanted(sc, i - start))
        sc->overflow = 1;
      else if ((status = put_ascii(sc, s + start, i - start)) != QUIRE_OK)
        return status;
      if ((status = sc->emit(sc)) != QUIRE_OK)
        return status;
      continue;
    }
    /* A word that goes on past ASCII, or a separator that is not ASCII. */
    if ((status = put_ascii(sc, s + start, i - start)) != QUIRE_OK)
      return status;
    int in_word = i > start;
    while (i < len) {
      unsigned char b = s[i];
      if (b < 0x80) {
        if (!ascii_fold[b])
          break;
        if ((status = put_ascii(sc, s + i, 1)) != QUIRE_OK)
          return status;
        i++;
        continue;
      }
      utf8proc_int32_t cp;
      size_t left = len - i;
      utf8proc_ssize_t n =
          utf8proc_iterate(s + i, (utf8proc_ssize_t)(left > 4 ? 4 : left), &cp);
      if (n <= 0 || !q_is_word_char(cp)) {
        i += n > 0 ? (size_t)n : 1; /* a bad byte separates words too */
        break;
      }
      i += (size_t)n;
      utf8proc_uint8_t enc[4];
      utf8proc_ssize_t m = utf8proc_encode_char(q_fold(cp), enc);
      in_word = 1;
      if ((status = put(sc, (const char *)enc, (size_t)m)) != QUIRE_OK)
        return status;
    }
    if (in_word && !sc->overflow && !wanted(sc, sc->word.len))
      sc->overflow = 1;
    if (in_word && (status = sc->emit(sc)) != QUIRE_OK)
      return status;
  }
  return QUIRE_OK;
}

/* ---- every word of a text ---------------------------------------------------
 */

typedef struct each_ctx {
  scanner sc; /* first: emit gets &sc */
  q_word_fn word;
  void *ctx;
} each_ctx;

static int each_emit(scanner *sc) {
  each_ctx *e = (each_ctx *)sc;
  return e->word(e->ctx, sc->word.data ? sc->word.data : "", sc->word.len);
}

int q_words_each(const char *text, size_t len, q_word_fn word, void *ctx) {
  each_ctx e = {{{NULL, 0, 0}, SIZE_MAX, ~0ull, 0, each_emit}, word, ctx};
  if (q_buf_reserve(&e.sc.word, 64) != QUIRE_OK)
    return QUIRE_ENOMEM;
  int status = scan(&e.sc, text ? text : "", text ? len : 0);
  q_buf_free(&e.sc.word);
  return status;
}

/* ---- terms ----------------------------------------------------------------
 */

typedef struct q_term {
  int any;
  uint32_t first, count; /* its words: ids[first .. first + count) */
} q_term;

struct q_terms {
  /* The distinct folded words of every term, laid end to end in pool. */
  char *pool;
  size_t pool_len, pool_cap;
  size_t *word_off, *word_len;
  uint32_t words;
  size_t word_cap;   /* of word_off and word_len alike */
  size_t longest;    /* bytes of the longest folded word */
  uint64_t len_mask; /* bit n set when a word is n bytes long (n < 63) */
  uint32_t *ids;     /* the words of each term, as word numbers */
  uint32_t id_count;
  size_t id_cap;
  q_term *terms;
  uint32_t count, all, any;
  size_t term_cap;
  uint32_t ring_len; /* words of the longest term */

  /* Scratch of the document being matched (clones only). */
  scanner sc;
  int32_t *ring;    /* the last ring_len words' numbers (-1: no term's) */
  uint32_t ring_at; /* where the next word goes */
  uint64_t seen;    /* words of the current field so far */
  uint8_t *found;
  uint32_t need_all;
  int any_found, done;
};

void q_terms_free(q_terms *t) {
  if (!t)
    return;
  q_free(t->pool);
  q_free(t->word_off);
  q_free(t->word_len);
  q_free(t->ids);
  q_free(t->terms);
  q_buf_free(&t->sc.word);
  q_free(t->ring);
  q_free(t->found);
  q_free(t);
}

/* Finds a folded word among the terms' words: its number, or -1. */
static int32_t lookup(const q_terms *t, const char *word, size_t len) {
  if (len < 63 && !(t->len_mask >> len & 1))
    return -1;
  for (uint32_t i = 0; i < t->words; i++)
    if (t->word_len[i] == len && !memcmp(t->pool + t->word_off[i], word, len))
      return (int32_t)i;
  return -1;
}

/* Interns a folded word the terms do not hold yet as word number words. */
static int add_word(q_terms *t, const char *folded, size_t len) {
  size_t need = (size_t)t->words + 1, cap = t->word_cap; /* shared */
  size_t *off = q_grow(t->word_off, &cap, need, sizeof *off, 16);
  if (!off)
    return QUIRE_ENOMEM;
  t->word_off = off;
  size_t *lens = q_grow(t->word_len, &t->word_cap, need, sizeof *lens, 16);
  if (!lens)
    return QUIRE_ENOMEM;
  t->word_len = lens;
  char *pool = q_grow(t->pool, &t->pool_cap, t->pool_len + len + 1, 1, 256);
  if (!pool)
    return QUIRE_ENOMEM;
  t->pool = pool;
  memcpy(t->pool + t->pool_len, folded, len);
  t->word_off[t->words] = t->pool_len;
  t->word_len[t->words] = len;
  t->pool_len += len;
  if (len < 63)
    t->len_mask |= 1ull << len;
  if (len > t->longest)
    t->longest = len;
  t->words++;
  return QUIRE_OK;
}

/* The words of a term being parsed. */
typedef struct parse_ctx {
  q_terms *t;
  uint32_t count;
} parse_ctx;

static int parse_word(void *ctx, const char *folded, size_t len) {
  parse_ctx *p = ctx;
  q_terms *t = p->t;
  int32_t id = lookup(t, folded, len);
  if (id < 0) {
    if (add_word(t, folded, len) != QUIRE_OK)
      return QUIRE_ENOMEM;
    id = (int32_t)t->words - 1;
  }
  size_t need = (size_t)t->id_count + p->count + 1;
  uint32_t *ids = q_grow(t->ids, &t->id_cap, need, sizeof *ids, 16);
  if (!ids)
    return QUIRE_ENOMEM;
  t->ids = ids;
  t->ids[t->id_count + p->count++] = (uint32_t)id;
  return QUIRE_OK;
}

int q_terms_add(q_terms **terms, const char *term, size_t len, int any,
                char *msg) {
  int shown = (int)(len > 64 ? 64 : len);
  if (!term && len)
    return q_fail(msg, QUIRE_EINVAL, "term is NULL");
  size_t bad = q_utf8_valid(term, len);
  if (bad < len)
    return q_fail(msg, QUIRE_EUTF8, "term is not valid UTF-8 (byte %zu)", bad);
  if (len > QUIRE_MAX_FIELD_LENGTH)
    return q_fail(msg, QUIRE_ELIMIT, "term is longer than %u bytes",
                  QUIRE_MAX_FIELD_LENGTH);
  q_terms *t = *terms;
  if (!t && !(t = *terms = q_calloc(1, sizeof *t)))
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  /* Words interned by a failed parse stay in the table, unused: harmless. */
  parse_ctx p = {t, 0};
  int status = q_words_each(term, len, parse_word, &p);
  if (status != QUIRE_OK)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  if (p.count == 0)
    return q_fail(msg, QUIRE_EINVAL,
                  "term \"%.*s\" holds no word (no letter or digit)", shown,
                  term ? term : "");
  q_term *grown =
      q_grow(t->terms, &t->term_cap, (size_t)t->count + 1, sizeof *grown, 4);
  if (!grown)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  t->terms = grown;
  t->terms[t->count++] = (q_term){any != 0, t->id_count, p.count};
  t->id_count += p.count;
  if (any)
    t->any++;
  else
    t->all++;
  if (p.count > t->ring_len)
    t->ring_len = p.count;
  return QUIRE_OK;
}

static void *dup_array(const void *src, size_t bytes, int *failed) {
  void *copy = q_malloc(bytes);
  if (!copy)
    *failed = 1;
  else if (bytes)
    memcpy(copy, src, bytes);
  return copy;
}

static int match_emit(scanner *sc);

q_terms *q_terms_clone(const q_terms *t) {
  q_terms *c = q_calloc(1, sizeof *c);
  if (!c)
    return NULL;
  int failed = 0;
  c->pool = dup_array(t->pool, t->pool_len, &failed);
  c->pool_len = t->pool_len;
  c->word_off = dup_array(t->word_off, t->words * sizeof(size_t), &failed);
  c->word_len = dup_array(t->word_len, t->words * sizeof(size_t), &failed);
  c->words = t->words;
  c->longest = t->longest;
  c->len_mask = t->len_mask;
  c->ids = dup_array(t->ids, t->id_count * sizeof(uint32_t), &failed);
  c->id_count = t->id_count;
  c->terms = dup_array(t->terms, t->count * sizeof(q_term), &failed);
  c->count = t->count;
  c->all = t->all;
  c->any = t->any;
  c->ring_len = t->ring_len ? t->ring_len : 1;
  c->ring = q_calloc(c->ring_len, sizeof(int32_t));
  c->found = q_calloc(t->count ? t->count : 1, 1);
  /* A word longer than the longest term word cannot match: it is not
   * kept, so the buffer never grows. */
  c->sc.limit = t->longest;
  c->sc.len_mask = t->len_mask | 1ull << 63;
  c->sc.emit = match_emit;
  if (failed || !c->ring || !c->found ||
      q_buf_reserve(&c->sc.word, t->longest + 8) != QUIRE_OK) {
    q_terms_free(c);
    return NULL;
  }
  return c;
}

/* ---- matching ---------------------------------------------------------------
 */

static void found_term(q_terms *t, uint32_t k) {
  if (t->found[k])
    return;
  t->found[k] = 1;
  if (t->terms[k].any)
    t->any_found = 1;
  else
    t->need_all--;
  t->done = t->need_all == 0 && (t->any == 0 || t->any_found);
}

static int match_emit(scanner *sc) {
  q_terms *t = (q_terms *)((char *)sc - offsetof(q_terms, sc));
  int32_t id = sc->overflow ? -1 : lookup(t, sc->word.data, sc->word.len);
  t->seen++;
  if (t->ring_len > 1) {
    t->ring[t->ring_at] = id;
    if (++t->ring_at == t->ring_len)
      t->ring_at = 0;
  }
  if (id < 0)
    return 0;
  for (uint32_t k = 0; k < t->count; k++) {
    const q_term *term = &t->terms[k];
    if (t->found[k] || t->ids[term->first + term->count - 1] != (uint32_t)id ||
        term->count > t->seen)
      continue;
    /* The word j before this one is at ring_at - 1 - j, around the ring. */
    uint32_t j = 1;
    while (j < term->count &&
           t->ring[(t->ring_at + 2 * t->ring_len - 1 - j) % t->ring_len] ==
               (int32_t)t->ids[term->first + term->count - 1 - j])
      j++;
    if (j == term->count)
      found_term(t, k);
  }
  return t->done; /* non-zero stops the scan */
}

void q_terms_begin(q_terms *t) {
  memset(t->found, 0, t->count);
  t->need_all = t->all;
  t->any_found = 0;
  t->done = 0;
}

int q_terms_feed(q_terms *t, const char *text, size_t len) {
  if (t->done)
    return 1;
  t->seen = 0;
  t->ring_at = 0;
  scan(&t->sc, text ? text : "", text ? len : 0);
  return t->done;
}

int q_terms_matched(const q_terms *t) {
  return t->done;
}

/* ---- the parsed terms, for word summaries ----------------------------------
 */

uint32_t q_terms_count(const q_terms *t) {
  return t->count;
}

int q_terms_is_any(const q_terms *t, uint32_t k) {
  return t->terms[k].any;
}

uint32_t q_terms_words(const q_terms *t, uint32_t k) {
  return t->terms[k].count;
}

void q_terms_word(const q_terms *t, uint32_t k, uint32_t j, const char **folded,
                  size_t *len) {
  uint32_t id = t->ids[t->terms[k].first + j];
  *folded = t->pool + t->word_off[id];
  *len = t->word_len[id];
}
