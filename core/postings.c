/*
 * postings.c: word postings: the exact documents of each rare word.
 *
 * Why (benchmarks/RESULTS.md, "Term filter"): word summaries leave a rare
 * word's count with one text block to inflate and tokenize per document
 * holding it, about 20 ms for 50 documents, where SQLite FTS5 answers from
 * its index in about 3 ms. Listing the documents of the words in at most
 * max(32, 1 / 1000 of the documents) answers such a count from the list
 * alone, and in a few percent of the file (the writer gives the rarest
 * words their lists first, within a budget).
 *
 * The writer sees each document once, in order, and cannot know a word's
 * final count until the end: every word gets a list at its first
 * occurrence (while the builder's memory budget lasts), and loses it for
 * good when its count passes the threshold of the documents seen so far.
 * A word is only ever listed with every document that holds it: one whose
 * first occurrence found the budget spent is never admitted later.
 */
#include <stdlib.h>
#include <string.h>

#include "postings.h"
#include "reader.h"
#include "wordsum.h"

#define MIN_DF 32u                 /* a word may always have this many */
#define BUILDER_MEMORY (64u << 20) /* bytes of lists and table, at most */
#define DROPPED UINT32_MAX         /* df of a word that lost its list */
#define VARINT_MAX 10

static uint32_t max_df(uint64_t docs) {
  uint64_t t = docs / 1000;
  return t > MIN_DF ? (t > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)t)
                    : MIN_DF;
}

static size_t put_varint(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

/* Reads a varint from [*p, end); 0 when it is cut short or too long. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t byte = *(*p)++;
    x |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = x;
      return 1;
    }
  }
  return 0;
}

/* ---- building ---------------------------------------------------------------
 */

/* One word seen: its record is the varint word length, the word, then the
 * varint gaps of its documents (the first from 0), as in the file but for
 * the document count, which goes between them at finish. */
typedef struct entry {
  uint64_t hash; /* q_word_hash64(), never 0: 0 marks a free slot */
  uint32_t last_doc;
  uint32_t df; /* DROPPED once the list is given up */
  uint8_t *rec;
  uint32_t len, cap;
} entry;

/* A distinct word of the document being read. */
typedef struct doc_word {
  uint64_t hash;    /* as in entry */
  uint32_t h32;     /* q_word_hash(): the low half of the unadjusted hash */
  uint32_t at, len; /* its folded bytes, in the builder's doc_bytes */
} doc_word;

struct q_post_builder {
  entry *slots;
  size_t size, used; /* size is a power of two */
  size_t memory;     /* bytes of slots and records */
  int closed;        /* no new word is admitted */
  uint64_t docs;     /* documents seen */
  uint32_t doc;      /* the document being read */
  /* The document's distinct words, in the order they first occur, and a
   * small table of them (indexes + 1 into doc_words; 0 free). 47% of the
   * words of a generated document are repeats (61% in real prose), and each
   * probe of slots (tens of MiB) misses the cache: slots sees each word of
   * a document once, from a list that lets it fetch the slots ahead. */
  q_buf doc_words, doc_bytes;
  uint32_t *seen;
  size_t seen_size; /* a power of two, or 0 */
};

int q_post_builder_new(q_post_builder **out) {
  q_post_builder *b = q_calloc(1, sizeof *b);
  *out = b;
  if (!b)
    return QUIRE_ENOMEM;
  b->size = 1u << 14;
  b->slots = q_calloc(b->size, sizeof *b->slots);
  if (!b->slots) {
    q_free(b);
    *out = NULL;
    return QUIRE_ENOMEM;
  }
  b->memory = b->size * sizeof *b->slots;
  return QUIRE_OK;
}

void q_post_builder_free(q_post_builder *b) {
  if (!b)
    return;
  for (size_t i = 0; i < b->size; i++)
    q_free(b->slots[i].rec);
  q_free(b->slots);
  q_buf_free(&b->doc_words);
  q_buf_free(&b->doc_bytes);
  q_free(b->seen);
  q_free(b);
}

static void drop(q_post_builder *b, entry *e) {
  b->memory -= e->cap;
  q_free(e->rec);
  e->rec = NULL;
  e->len = e->cap = 0;
  e->df = DROPPED;
}

/* Makes room for n more bytes in e's record; 0 when the budget or memory
 * says no. */
static int reserve(q_post_builder *b, entry *e, size_t n) {
  if (e->len + n <= e->cap)
    return 1;
  size_t cap = e->cap ? (size_t)e->cap * 2 : 32;
  while (cap < e->len + n)
    cap *= 2;
  if (cap > UINT32_MAX || b->memory + cap - e->cap > BUILDER_MEMORY)
    return 0;
  uint8_t *rec = q_realloc(e->rec, cap);
  if (!rec)
    return 0;
  b->memory += cap - e->cap;
  e->rec = rec;
  e->cap = (uint32_t)cap;
  return 1;
}

/* Doubles the table; 0 when the budget or memory says no. */
static int grow_table(q_post_builder *b) {
  size_t size = b->size * 2, bytes = size * sizeof(entry);
  if (b->memory + bytes - b->size * sizeof(entry) > BUILDER_MEMORY)
    return 0;
  entry *slots = q_calloc(size, sizeof *slots);
  if (!slots)
    return 0;
  for (size_t i = 0; i < b->size; i++) {
    if (!b->slots[i].hash)
      continue;
    size_t j = (size_t)b->slots[i].hash & (size - 1);
    while (slots[j].hash)
      j = (j + 1) & (size - 1);
    slots[j] = b->slots[i];
  }
  q_free(b->slots);
  b->memory += bytes - b->size * sizeof(entry);
  b->slots = slots;
  b->size = size;
  return 1;
}

/* The slot of hash: its entry, or the free slot where it would go. */
static entry *find_slot(const q_post_builder *b, uint64_t hash) {
  size_t i = (size_t)hash & (b->size - 1);
  while (b->slots[i].hash && b->slots[i].hash != hash)
    i = (i + 1) & (b->size - 1);
  return &b->slots[i];
}

/* The word of a record and where its documents start. */
static size_t word_end(const entry *e, const uint8_t **word, size_t *len) {
  const uint8_t *p = e->rec;
  uint64_t n = 0;
  get_varint(&p, e->rec + e->len, &n);
  *word = p;
  *len = (size_t)n;
  return (size_t)(p - e->rec) + (size_t)n;
}

static int same_word(const entry *e, const char *folded, size_t len) {
  const uint8_t *word;
  size_t n;
  word_end(e, &word, &n);
  return n == len && memcmp(word, folded, len) == 0;
}

/* A new word in document doc: its entry, with the word and the document. */
static void admit(q_post_builder *b, entry *e, uint64_t hash,
                  const char *folded, size_t len, uint32_t doc) {
  e->hash = hash;
  e->last_doc = doc;
  e->df = 1;
  b->used++;
  if (!reserve(b, e, len + 2 * VARINT_MAX)) {
    e->df = DROPPED; /* kept, so that its later occurrences are known */
    b->closed = 1;
    return;
  }
  e->len = (uint32_t)put_varint(e->rec, len);
  memcpy(e->rec + e->len, folded, len);
  e->len += (uint32_t)len;
  e->len += (uint32_t)put_varint(e->rec + e->len, doc);
}

/* Counts document doc for the word of entry e, seen again. */
static void count_again(q_post_builder *b, entry *e, uint32_t doc) {
  uint32_t gap = doc - e->last_doc;
  e->last_doc = doc;
  if (e->df == DROPPED)
    return;
  if (e->df + 1 > max_df(b->docs) || !reserve(b, e, VARINT_MAX)) {
    drop(b, e);
    return;
  }
  e->df++;
  e->len += (uint32_t)put_varint(e->rec + e->len, gap);
}

/* Lists the word for the document, once. */
static void post_word(q_post_builder *b, const doc_word *w) {
  const char *folded = b->doc_bytes.data + w->at;
  entry *e = find_slot(b, w->hash);
  if (e->hash) {
    /* The list of the document holds a hash once. Another word of the same
     * 64-bit hash is never listed: the entry is the first word's. */
    if (e->df == DROPPED || same_word(e, folded, w->len))
      count_again(b, e, b->doc);
  } else if (!b->closed && w->len <= QWP_MAX_WORD) {
    if (2 * (b->used + 1) > b->size && !grow_table(b))
      b->closed = 1;
    else
      admit(b, find_slot(b, w->hash), w->hash, folded, w->len, b->doc);
  }
}

/* Doubles the table of the document's words; 0 when memory says no. */
static int grow_seen(q_post_builder *b) {
  size_t size = b->seen_size ? b->seen_size * 2 : 1024;
  uint32_t *seen = q_calloc(size, sizeof *seen);
  if (!seen)
    return 0;
  const doc_word *w = (const doc_word *)b->doc_words.data;
  size_t n = b->doc_words.len / sizeof *w;
  for (size_t k = 0; k < n; k++) {
    size_t i = (size_t)w[k].hash & (size - 1);
    while (seen[i])
      i = (i + 1) & (size - 1);
    seen[i] = (uint32_t)(k + 1);
  }
  q_free(b->seen);
  b->seen = seen;
  b->seen_size = size;
  return 1;
}

/* Adds a word of the document to its distinct words, unless it is there. */
static int collect_word(void *ctx, const char *folded, size_t len) {
  q_post_builder *b = ctx;
  uint64_t full = q_word_hash64(folded, len);
  doc_word w = {full ? full : 1, (uint32_t)full, (uint32_t)b->doc_bytes.len,
                (uint32_t)len};
  size_t n = b->doc_words.len / sizeof w;
  if ((2 * (n + 1) > b->seen_size && !grow_seen(b)) || n >= UINT32_MAX - 1 ||
      b->doc_bytes.len > UINT32_MAX - len)
    return QUIRE_ENOMEM;
  const doc_word *listed = (const doc_word *)b->doc_words.data;
  size_t i = (size_t)w.hash & (b->seen_size - 1);
  for (; b->seen[i]; i = (i + 1) & (b->seen_size - 1))
    if (listed[b->seen[i] - 1].hash == w.hash)
      return QUIRE_OK;
  if (q_buf_append(&b->doc_bytes, folded, len) != QUIRE_OK ||
      q_buf_append(&b->doc_words, &w, sizeof w) != QUIRE_OK)
    return QUIRE_ENOMEM;
  b->seen[i] = (uint32_t)(n + 1);
  return QUIRE_OK;
}

/* Empties the list of the document's words for the next one. */
static void forget_doc(q_post_builder *b) {
  b->doc_words.len = b->doc_bytes.len = 0;
  if (b->seen_size)
    memset(b->seen, 0, b->seen_size * sizeof *b->seen);
}

/* How many words ahead post_doc() fetches slots: enough to cover a miss
 * to memory with the work of the words in between. */
#define FETCH_AHEAD 8

/* Lists the document's distinct words, in order, and appends their
 * q_word_hash() to hashes. */
static int post_doc(q_post_builder *b, q_buf *hashes) {
  const doc_word *w = (const doc_word *)b->doc_words.data;
  size_t n = b->doc_words.len / sizeof *w;
  if (q_buf_reserve(hashes, n * sizeof(uint32_t)) != QUIRE_OK)
    return QUIRE_ENOMEM;
  for (size_t k = 0; k < n; k++) {
    /* Slots 2 * FETCH_AHEAD ahead, then the record of the slot fetched
     * before, which a word seen again compares with. */
    if (k + 2 * FETCH_AHEAD < n)
      __builtin_prefetch(
          &b->slots[(size_t)w[k + 2 * FETCH_AHEAD].hash & (b->size - 1)]);
    if (k + FETCH_AHEAD < n) {
      const entry *e =
          &b->slots[(size_t)w[k + FETCH_AHEAD].hash & (b->size - 1)];
      if (e->rec)
        __builtin_prefetch(e->rec);
    }
    post_word(b, &w[k]);
    memcpy(hashes->data + hashes->len, &w[k].h32, sizeof w[k].h32);
    hashes->len += sizeof w[k].h32;
  }
  forget_doc(b);
  return QUIRE_OK;
}

int q_post_builder_block(q_post_builder *b, const char *text, size_t text_len,
                         const char *meta, size_t meta_len, const uint8_t *rows,
                         uint32_t first_doc, uint32_t docs, q_buf *hashes) {
  for (uint32_t i = 0; i < docs; i++) {
    const uint8_t *row = rows + (size_t)i * QF_ROW;
    uint64_t off = ld32(row + QD_OFFSET), len = ld32(row + QD_LENGTH),
             moff = ld32(row + QD_META_OFFSET);
    b->doc = first_doc + i;
    b->docs = (uint64_t)b->doc + 1;
    int status = QUIRE_OK;
    if (moff <= meta_len && meta_len - moff >= QF_META_HEAD) {
      uint64_t tl = ld32((const uint8_t *)meta + moff + QM_TITLE_LEN);
      if (tl <= meta_len - moff - QF_META_HEAD)
        status = q_words_each(meta + moff + QF_META_HEAD, (size_t)tl,
                              collect_word, b);
    }
    if (status == QUIRE_OK && off <= text_len && len <= text_len - off)
      status = q_words_each(text + off, (size_t)len, collect_word, b);
    if (status == QUIRE_OK)
      status = post_doc(b, hashes);
    if (status != QUIRE_OK) {
      forget_doc(b);
      return QUIRE_ENOMEM;
    }
  }
  return QUIRE_OK;
}

static int by_rarity(const void *x, const void *y) {
  const entry *a = *(const entry *const *)x, *b = *(const entry *const *)y;
  if (a->df != b->df)
    return a->df < b->df ? -1 : 1;
  return (a->hash > b->hash) - (a->hash < b->hash);
}

static int by_key(const void *x, const void *y) {
  const entry *a = *(const entry *const *)x, *b = *(const entry *const *)y;
  uint32_t ka = (uint32_t)a->hash, kb = (uint32_t)b->hash;
  if (ka != kb)
    return ka < kb ? -1 : 1;
  return (a->hash > b->hash) - (a->hash < b->hash);
}

/* Bytes of e in the file: its entry and its record. */
static uint64_t file_bytes(const entry *e) {
  uint8_t tmp[VARINT_MAX];
  return QWP_ENTRY + e->len + put_varint(tmp, e->df);
}

int q_post_builder_finish(q_post_builder *b, uint64_t docs, uint64_t budget,
                          q_buf *out) {
  uint32_t limit = max_df(docs);
  size_t live = 0;
  for (size_t i = 0; i < b->size; i++)
    live += b->slots[i].hash && b->slots[i].df != DROPPED &&
            b->slots[i].df <= limit;
  if (live == 0 || budget <= QWP_HEAD)
    return QUIRE_OK;
  entry **list = q_malloc(live * sizeof *list);
  if (!list)
    return QUIRE_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < b->size; i++)
    if (b->slots[i].hash && b->slots[i].df != DROPPED &&
        b->slots[i].df <= limit)
      list[n++] = &b->slots[i];
  qsort(list, n, sizeof *list, by_rarity);
  uint64_t size = QWP_HEAD;
  size_t taken = 0;
  while (taken < n && size + file_bytes(list[taken]) <= budget &&
         size + file_bytes(list[taken]) <= UINT32_MAX)
    size += file_bytes(list[taken++]);
  int status = QUIRE_OK;
  if (taken && q_buf_reserve(out, (size_t)size) != QUIRE_OK)
    status = QUIRE_ENOMEM;
  if (taken && status == QUIRE_OK) {
    qsort(list, taken, sizeof *list, by_key);
    uint8_t *head = (uint8_t *)out->data + out->len;
    uint8_t *entries = head + QWP_HEAD;
    uint8_t *rec = entries + QWP_ENTRY * taken, *records = rec;
    memcpy(head, QWP_MAGIC, QF_MAGIC_SIZE);
    st32(head + QWP_WORDS, (uint32_t)taken);
    st32(head + QWP_MAX_DF, limit);
    st64(head + QWP_DOCS, docs);
    for (size_t i = 0; i < taken; i++) {
      const entry *e = list[i];
      const uint8_t *word;
      size_t len, docs_at = word_end(e, &word, &len);
      st32(entries + QWP_ENTRY * i, (uint32_t)e->hash);
      st32(entries + QWP_ENTRY * i + 4, (uint32_t)(rec - records));
      memcpy(rec, e->rec, docs_at);
      rec += docs_at;
      rec += put_varint(rec, e->df);
      memcpy(rec, e->rec + docs_at, e->len - docs_at);
      rec += e->len - docs_at;
    }
    out->len += (size_t)(rec - head);
  }
  q_free(list);
  return status;
}

/* ---- reading ----------------------------------------------------------------
 */

/* The file's postings, once checked: its section and where records start. */
typedef struct postings {
  const quire_corpus *c;
  const q_section *sec;
  uint32_t words;
  uint64_t records;
} postings;

static int postings_open(const quire_corpus *c, postings *p) {
  const q_section *sec = q_ext(c, QX_WORD_POSTINGS);
  char msg[Q_MSG_CAP];
  if (!sec || sec->length < QWP_HEAD)
    return 0;
  const uint8_t *head = q_section_bytes(c, sec, 0, QWP_HEAD, msg);
  if (!head || memcmp(head, QWP_MAGIC, QF_MAGIC_SIZE) != 0 ||
      ld64(head + QWP_DOCS) != c->docs)
    return 0;
  p->c = c;
  p->sec = sec;
  p->words = ld32(head + QWP_WORDS);
  p->records = QWP_HEAD + (uint64_t)QWP_ENTRY * p->words;
  return p->records <= sec->length;
}

/* Entry i's key and record offset; 0 when its bytes are damaged. */
static int entry_at(const postings *p, uint32_t i, uint32_t *key,
                    uint64_t *offset) {
  char msg[Q_MSG_CAP];
  const uint8_t *e = q_section_bytes(
      p->c, p->sec, QWP_HEAD + (uint64_t)QWP_ENTRY * i, QWP_ENTRY, msg);
  if (!e)
    return 0;
  *key = ld32(e);
  *offset = ld32(e + 4);
  return 1;
}

/* Sets in bits the documents of the record at offset when it is the word
 * folded: 1 when it is, 0 when it is another word, -1 when the record is
 * damaged or breaks the rules. */
static int record_docs(const postings *p, uint64_t offset, uint64_t end,
                       const char *folded, size_t len, uint64_t *bits) {
  char msg[Q_MSG_CAP];
  if (offset >= end || end > p->sec->length - p->records)
    return -1;
  const uint8_t *rec =
      q_section_bytes(p->c, p->sec, p->records + offset, end - offset, msg);
  if (!rec)
    return -1;
  const uint8_t *at = rec, *stop = rec + (end - offset);
  uint64_t wlen, df, doc = 0;
  if (!get_varint(&at, stop, &wlen) || wlen == 0 || wlen > QWP_MAX_WORD ||
      wlen > (uint64_t)(stop - at))
    return -1;
  if (wlen != len || memcmp(at, folded, len) != 0)
    return 0;
  at += wlen;
  if (!get_varint(&at, stop, &df) || df == 0 || df > p->c->docs)
    return -1;
  for (uint64_t i = 0; i < df; i++) {
    uint64_t gap;
    if (!get_varint(&at, stop, &gap) || (i > 0 && gap == 0) ||
        gap >= p->c->docs - doc)
      return -1;
    doc += gap;
    bits[doc / 64] |= 1ull << (doc % 64);
  }
  return 1;
}

/* The documents of the folded word, in *bits (a bitmap of words u64,
 * made at the first record read): 1 when it is listed, 0 when it is not or
 * the postings cannot say (damage), -1 when memory ran out. */
static int word_docs(const postings *p, const char *folded, size_t len,
                     uint64_t **bits, size_t words) {
  uint32_t key = q_word_hash(folded, len), lo = 0, hi = p->words, k;
  uint64_t offset;
  while (lo < hi) { /* the first entry of key at least key */
    uint32_t mid = lo + (hi - lo) / 2;
    if (!entry_at(p, mid, &k, &offset))
      return 0;
    if (k < key)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (uint32_t i = lo; i < p->words; i++) {
    uint32_t next_key;
    uint64_t end, next;
    if (!entry_at(p, i, &k, &offset) || k != key)
      return 0;
    if (i + 1 < p->words) {
      if (!entry_at(p, i + 1, &next_key, &next))
        return 0;
      end = next;
    } else {
      end = p->sec->length - p->records;
    }
    if (!*bits && !(*bits = q_calloc(words, sizeof **bits)))
      return -1;
    memset(*bits, 0, words * sizeof **bits);
    int found = record_docs(p, offset, end, folded, len, *bits);
    if (found != 0)
      return found > 0;
  }
  return 0;
}

/* Combines the documents of one more term into *set: the first term's
 * become the set (taking found), later ones are and-ed (all) or or-ed in. */
static void combine(uint64_t **set, uint64_t **found, size_t words, int and) {
  if (!*set) {
    *set = *found;
    *found = NULL;
    return;
  }
  for (size_t i = 0; i < words; i++)
    (*set)[i] = and? (*set)[i] & (*found)[i] : (*set)[i] | (*found)[i];
}

int q_postings_restrict(const quire_corpus *c, const q_terms *terms,
                        uint64_t **matches, int *use) {
  postings p;
  *use = Q_POSTINGS_UNUSED;
  if (!postings_open(c, &p))
    return QUIRE_OK;
  size_t words = (size_t)(c->docs / 64 + 1);
  /* The bitmaps are made only for terms the postings list. */
  uint64_t *found = NULL, *all = NULL, *any = NULL;
  int any_open = 0, all_exact = 1, status = QUIRE_OK;
  uint32_t nt = q_terms_count(terms);
  for (uint32_t t = 0; t < nt && status == QUIRE_OK; t++) {
    int listed = 0;
    uint32_t nw = q_terms_words(terms, t);
    for (uint32_t j = 0; j < nw && listed == 0; j++) {
      const char *w;
      size_t len;
      q_terms_word(terms, t, j, &w, &len);
      listed = word_docs(&p, w, len, &found, words);
    }
    if (listed < 0) {
      status = QUIRE_ENOMEM;
      break;
    }
    all_exact &= listed && nw == 1;
    if (q_terms_is_any(terms, t)) {
      any_open |= !listed;
      if (listed)
        combine(&any, &found, words, 0);
    } else if (listed) {
      combine(&all, &found, words, 1);
    }
  }
  if (any_open) { /* an unlisted any-of term may match anything */
    q_free(any);
    any = NULL;
  }
  uint64_t *keep = status == QUIRE_OK ? (all ? all : any) : NULL;
  if (keep) {
    for (size_t i = 0; i < words; i++) {
      if (keep == all && any)
        keep[i] &= any[i];
      if (*matches)
        keep[i] &= (*matches)[i];
    }
    q_free(*matches);
    *matches = keep;
    *use = all_exact ? Q_POSTINGS_EXACT : Q_POSTINGS_NARROWED;
  }
  if (keep != all)
    q_free(all);
  if (keep != any)
    q_free(any);
  q_free(found);
  return status;
}
