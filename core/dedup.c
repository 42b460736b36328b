/*
 * dedup.c: finding duplicate documents (url, text, near) across corpora,
 * for quire_dups_* and for the writer's --dedup.
 *
 * URL and text duplicates are exact matches of a 128-bit hash of the
 * normalised URL or text (dedup_norm.c) in an open-addressing table of
 * representatives. Near duplicates use MinHash signatures (dedup_minhash.c)
 * and locality-sensitive hashing: Q_LSH_BANDS bands of Q_LSH_ROWS values;
 * two signatures that agree on a whole band are candidates, and a candidate
 * is a duplicate when its estimated similarity reaches the threshold. With
 * 42 bands of 3, a pair of similarity 0.4 becomes a candidate with
 * probability 1-(1-0.4^3)^42 = 0.94, 0.5 with 0.996, 0.6 with 0.99998,
 * while unrelated texts (similarity 0.01) meet with probability 4e-5.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

/* ---- exact tables: 128-bit hash -> representative id ------------------- */

typedef struct exact_entry {
  q_hash128 hash;
  uint64_t id; /* UINT64_MAX: empty */
} exact_entry;

typedef struct exact_table {
  exact_entry *slots;
  size_t cap, count; /* cap is a power of two */
} exact_table;

static int exact_grow(exact_table *t) {
  size_t cap = t->cap ? t->cap * 2 : 1024;
  exact_entry *slots = q_malloc(cap * sizeof *slots);
  if (!slots)
    return QUIRE_ENOMEM;
  for (size_t i = 0; i < cap; i++)
    slots[i].id = UINT64_MAX;
  for (size_t i = 0; i < t->cap; i++) {
    if (t->slots[i].id == UINT64_MAX)
      continue;
    size_t at = (size_t)t->slots[i].hash.lo & (cap - 1);
    while (slots[at].id != UINT64_MAX)
      at = (at + 1) & (cap - 1);
    slots[at] = t->slots[i];
  }
  q_free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return QUIRE_OK;
}

/* The representative with this hash, or UINT64_MAX. */
static uint64_t exact_find(const exact_table *t, q_hash128 h) {
  if (!t->cap)
    return UINT64_MAX;
  for (size_t at = (size_t)h.lo & (t->cap - 1); t->slots[at].id != UINT64_MAX;
       at = (at + 1) & (t->cap - 1))
    if (t->slots[at].hash.lo == h.lo && t->slots[at].hash.hi == h.hi)
      return t->slots[at].id;
  return UINT64_MAX;
}

static int exact_insert(exact_table *t, q_hash128 h, uint64_t id) {
  if ((t->count + 1) * 4 > t->cap * 3 && exact_grow(t) != QUIRE_OK)
    return QUIRE_ENOMEM;
  size_t at = (size_t)h.lo & (t->cap - 1);
  while (t->slots[at].id != UINT64_MAX)
    at = (at + 1) & (t->cap - 1);
  t->slots[at].hash = h;
  t->slots[at].id = id;
  t->count++;
  return QUIRE_OK;
}

/* ---- near: signatures of representatives and their LSH table ----------- */

typedef struct lsh_entry {
  uint32_t key; /* hash of the band's values and number */
  uint32_t rep; /* representative number + 1; 0: empty */
} lsh_entry;

typedef struct near_index {
  uint16_t *sigs; /* Q_MINHASH_SIZE per representative */
  uint64_t *ids;  /* the representative's document id */
  uint32_t *seen; /* the query that last looked at each representative */
  uint32_t count;
  size_t cap;
  uint32_t query;
  lsh_entry *slots;
  size_t slot_cap, slot_count;
} near_index;

/* Candidates checked per document at most: a bound on time when many
 * texts share bands (such as near-empty ones). */
#define MAX_CANDIDATES 2048

static uint32_t band_key(const uint16_t *sig, int band) {
  uint64_t v = (uint64_t)band << 48;
  for (int r = 0; r < Q_LSH_ROWS; r++)
    v = v * 0x9e3779b97f4a7c15ull + sig[band * Q_LSH_ROWS + r] + 1;
  v ^= v >> 31;
  v *= 0xbf58476d1ce4e5b9ull;
  v ^= v >> 29;
  return (uint32_t)(v >> 32);
}

static int lsh_grow(near_index *n) {
  size_t cap = n->slot_cap ? n->slot_cap * 2 : 1u << 14;
  lsh_entry *slots = q_calloc(cap, sizeof *slots);
  if (!slots)
    return QUIRE_ENOMEM;
  for (size_t i = 0; i < n->slot_cap; i++) {
    if (!n->slots[i].rep)
      continue;
    size_t at = n->slots[i].key & (cap - 1);
    while (slots[at].rep)
      at = (at + 1) & (cap - 1);
    slots[at] = n->slots[i];
  }
  q_free(n->slots);
  n->slots = slots;
  n->slot_cap = cap;
  return QUIRE_OK;
}

static int near_insert(near_index *n, const uint16_t *sig, uint64_t id) {
  if (n->count == UINT32_MAX - 1)
    return QUIRE_ELIMIT;
  if (n->count == n->cap) {
    /* The three arrays share one capacity: each grows from a copy. */
    size_t need = (size_t)n->count + 1, cap = n->cap;
    uint16_t *sigs = q_grow(n->sigs, &cap, need, Q_MINHASH_SIZE * 2, 1024);
    if (!sigs)
      return QUIRE_ENOMEM;
    n->sigs = sigs;
    cap = n->cap;
    uint64_t *ids = q_grow(n->ids, &cap, need, sizeof *ids, 1024);
    if (!ids)
      return QUIRE_ENOMEM;
    n->ids = ids;
    uint32_t *seen = q_grow(n->seen, &n->cap, need, sizeof *seen, 1024);
    if (!seen)
      return QUIRE_ENOMEM;
    n->seen = seen;
  }
  while ((n->slot_count + Q_LSH_BANDS) * 4 > n->slot_cap * 3)
    if (lsh_grow(n) != QUIRE_OK)
      return QUIRE_ENOMEM;
  uint32_t rep = n->count++;
  memcpy(n->sigs + (size_t)rep * Q_MINHASH_SIZE, sig, Q_MINHASH_SIZE * 2);
  n->ids[rep] = id;
  n->seen[rep] = 0;
  for (int b = 0; b < Q_LSH_BANDS; b++) {
    uint32_t key = band_key(sig, b);
    size_t at = key & (n->slot_cap - 1);
    while (n->slots[at].rep)
      at = (at + 1) & (n->slot_cap - 1);
    n->slots[at].key = key;
    n->slots[at].rep = rep + 1;
    n->slot_count++;
  }
  return QUIRE_OK;
}

/* The most similar representative at or above threshold (the first one on
 * a tie), or UINT32_MAX. */
static uint32_t near_find(near_index *n, const uint16_t *sig, double threshold,
                          double *similarity) {
  if (!n->count)
    return UINT32_MAX;
  if (++n->query == 0) { /* the stamps wrapped: forget them */
    memset(n->seen, 0, (size_t)n->count * sizeof *n->seen);
    n->query = 1;
  }
  uint32_t best = UINT32_MAX, checked = 0;
  double best_sim = 0;
  for (int b = 0; b < Q_LSH_BANDS && checked < MAX_CANDIDATES; b++) {
    uint32_t key = band_key(sig, b);
    for (size_t at = key & (n->slot_cap - 1);
         n->slots[at].rep && checked < MAX_CANDIDATES;
         at = (at + 1) & (n->slot_cap - 1)) {
      if (n->slots[at].key != key)
        continue;
      uint32_t rep = n->slots[at].rep - 1;
      if (n->seen[rep] == n->query)
        continue;
      n->seen[rep] = n->query;
      checked++;
      double sim =
          q_minhash_similarity(sig, n->sigs + (size_t)rep * Q_MINHASH_SIZE);
      if (sim >= threshold &&
          (sim > best_sim || (sim == best_sim && rep < best))) {
        best = rep;
        best_sim = sim;
      }
    }
  }
  *similarity = best_sim;
  return best;
}

static void near_free(near_index *n) {
  q_free(n->sigs);
  q_free(n->ids);
  q_free(n->seen);
  q_free(n->slots);
}

/* ---- the detector ---------------------------------------------------------
 */

struct q_dedup {
  int kinds;
  double threshold;
  exact_table url, text;
  near_index near;
  q_buf norm_url, norm_text;
};

q_dedup *q_dedup_new(int kinds, double similarity) {
  q_dedup *d = q_calloc(1, sizeof *d);
  if (d) {
    d->kinds = kinds;
    /* Compare counts of equal bins, not doubles that may round: the
     * threshold is the least whole number of bins at or above the
     * similarity (rounded up by hand, so libquire needs no libm). */
    double bins = similarity * Q_MINHASH_SIZE - 1e-9;
    long whole = (long)bins;
    if ((double)whole < bins)
      whole++;
    d->threshold = (double)whole / Q_MINHASH_SIZE;
  }
  return d;
}

void q_dedup_free(q_dedup *d) {
  if (!d)
    return;
  q_free(d->url.slots);
  q_free(d->text.slots);
  near_free(&d->near);
  q_buf_free(&d->norm_url);
  q_buf_free(&d->norm_text);
  q_free(d);
}

int q_dedup_add(q_dedup *d, const char *url, size_t url_len, const char *text,
                size_t text_len, uint64_t id, int any_kind, q_dup_match *m) {
  int has[Q_KIND_COUNT] = {0};
  q_hash128 url_hash = {0, 0}, text_hash = {0, 0};
  uint16_t sig[Q_MINHASH_SIZE];
  for (int k = 0; k < Q_KIND_COUNT; k++) {
    m->leader[k] = UINT64_MAX;
    m->similarity[k] = 0;
  }
  m->any = 0;
  if (d->kinds & QUIRE_DUP_URL) {
    if (q_url_normalize(url, url_len, &d->norm_url) != QUIRE_OK)
      return QUIRE_ENOMEM;
    if ((has[0] = d->norm_url.len > 0)) {
      url_hash = q_hash_bytes(d->norm_url.data, d->norm_url.len);
      m->leader[0] = exact_find(&d->url, url_hash);
    }
  }
  if (d->kinds & (QUIRE_DUP_TEXT | QUIRE_DUP_NEAR)) {
    if (q_text_normalize(text, text_len, &d->norm_text) != QUIRE_OK)
      return QUIRE_ENOMEM;
    if ((d->kinds & QUIRE_DUP_TEXT) && (has[1] = d->norm_text.len > 0)) {
      text_hash = q_hash_bytes(d->norm_text.data, d->norm_text.len);
      m->leader[1] = exact_find(&d->text, text_hash);
    }
    if (d->kinds & QUIRE_DUP_NEAR) {
      int empty;
      q_minhash(d->norm_text.data, d->norm_text.len, sig, &empty);
      if ((has[2] = !empty)) {
        double sim;
        uint32_t rep = near_find(&d->near, sig, d->threshold, &sim);
        if (rep != UINT32_MAX) {
          m->leader[2] = d->near.ids[rep];
          m->similarity[2] = sim;
        }
      }
    }
  }
  for (int k = 0; k < Q_KIND_COUNT; k++) {
    if (m->leader[k] != UINT64_MAX) {
      m->any = 1;
      if (k < 2)
        m->similarity[k] = 1;
    }
  }
  if (any_kind && m->any)
    return QUIRE_OK;
  int status = QUIRE_OK;
  if (has[0] && m->leader[0] == UINT64_MAX)
    status = exact_insert(&d->url, url_hash, id);
  if (status == QUIRE_OK && has[1] && m->leader[1] == UINT64_MAX)
    status = exact_insert(&d->text, text_hash, id);
  if (status == QUIRE_OK && has[2] && m->leader[2] == UINT64_MAX)
    status = near_insert(&d->near, sig, id);
  return status;
}

/* ---- quire_dups -------------------------------------------------------------
 */

typedef struct dup_pair {
  uint64_t member, leader; /* ids: positions among all documents given */
  float similarity;
  uint8_t kind; /* 0 url, 1 text, 2 near */
} dup_pair;

typedef struct dup_group {
  size_t first; /* into pairs: the group's members after its leader */
  uint64_t size;
} dup_group;

struct quire_dups {
  int status; /* QUIRE_OK, or the failure that ended the finder */
  /* Q_MSG_CAP bytes after the struct, behind a pointer because the const
   * getters report their argument errors too. */
  char *msg;
  int kinds;
  double similarity;
  q_dedup *dedup; /* made by the first corpus */
  uint64_t next_id;
  uint64_t *starts; /* the id of each corpus's first document */
  uint32_t corpus_count;
  size_t start_cap;
  dup_pair *pairs;
  size_t pair_count, pair_cap;
  dup_group *groups; /* built when first asked for */
  uint64_t group_count;
  int groups_built;
};

int quire_dups_new(quire_dups **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_dups *d = q_calloc(1, sizeof *d + Q_MSG_CAP);
  *out = d;
  if (!d)
    return QUIRE_ENOMEM;
  d->msg = (char *)(d + 1);
  d->kinds = QUIRE_DUP_ALL;
  d->similarity = QUIRE_DEFAULT_SIMILARITY;
  return QUIRE_OK;
}

void quire_dups_free(quire_dups *d) {
  if (!d)
    return;
  q_dedup_free(d->dedup);
  q_free(d->starts);
  q_free(d->pairs);
  q_free(d->groups);
  q_free(d);
}

const char *quire_dups_errmsg(const quire_dups *d) {
  return d ? d->msg : "dups is NULL";
}

static int check_options(quire_dups *d) {
  if (!d)
    return QUIRE_EINVAL;
  if (d->status != QUIRE_OK)
    return q_fail(d->msg, QUIRE_ESTATE, "the finder failed before");
  if (d->dedup)
    return q_fail(d->msg, QUIRE_ESTATE,
                  "options are fixed once a corpus was added");
  return QUIRE_OK;
}

int quire_dups_set_kinds(quire_dups *d, int kinds) {
  int status = check_options(d);
  if (status != QUIRE_OK)
    return status;
  if (kinds <= 0 || (kinds & ~QUIRE_DUP_ALL))
    return q_fail(d->msg, QUIRE_EINVAL,
                  "kinds %d is not a non-empty mask of QUIRE_DUP_*", kinds);
  d->kinds = kinds;
  return QUIRE_OK;
}

int quire_dups_set_similarity(quire_dups *d, double similarity) {
  int status = check_options(d);
  if (status != QUIRE_OK)
    return status;
  if (!(similarity > 0 && similarity <= 1))
    return q_fail(d->msg, QUIRE_EINVAL,
                  "similarity %g is not above 0 and at most 1", similarity);
  d->similarity = similarity;
  return QUIRE_OK;
}

static int build_groups(quire_dups *d);

static int dups_fail(quire_dups *d, int status) {
  d->status = status;
  return status;
}

static int add_pair(quire_dups *d, uint64_t member, uint64_t leader,
                    double similarity, int kind) {
  if (d->pair_count == d->pair_cap) {
    dup_pair *pairs =
        q_grow(d->pairs, &d->pair_cap, d->pair_count + 1, sizeof *pairs, 256);
    if (!pairs)
      return QUIRE_ENOMEM;
    d->pairs = pairs;
  }
  dup_pair *p = &d->pairs[d->pair_count++];
  p->member = member;
  p->leader = leader;
  p->similarity = (float)similarity;
  p->kind = (uint8_t)kind;
  return QUIRE_OK;
}

/* Reads the fields the kinds need of the cursor's current document. */
static int read_fields(quire_dups *d, quire_cursor *cur, const char **url,
                       size_t *url_len, const char **text, size_t *text_len) {
  *url = *text = NULL;
  *url_len = *text_len = 0;
  int status = QUIRE_OK;
  if (d->kinds & QUIRE_DUP_URL)
    status = quire_cursor_field(cur, QUIRE_FIELD_URL, url, url_len);
  if (status == QUIRE_OK && (d->kinds & (QUIRE_DUP_TEXT | QUIRE_DUP_NEAR)))
    status = quire_cursor_field(cur, QUIRE_FIELD_TEXT, text, text_len);
  if (status != QUIRE_OK)
    q_fail(d->msg, status, "document %llu: %s",
           (unsigned long long)quire_cursor_doc(cur), quire_cursor_errmsg(cur));
  return status;
}

int quire_dups_add_corpus(quire_dups *d, const quire_corpus *corpus) {
  if (!d)
    return QUIRE_EINVAL;
  if (d->status != QUIRE_OK)
    return q_fail(d->msg, QUIRE_ESTATE, "the finder failed before");
  uint64_t docs = quire_corpus_doc_count(corpus);
  if (docs > QUIRE_MAX_DOCUMENTS - d->next_id)
    return dups_fail(d, q_fail(d->msg, QUIRE_ELIMIT,
                               "more than %u documents in all corpora",
                               QUIRE_MAX_DOCUMENTS));
  quire_cursor *cur = NULL;
  int status = quire_cursor_open(corpus, NULL, &cur);
  if (status != QUIRE_OK) {
    q_fail(d->msg, status, "%s",
           cur ? quire_cursor_errmsg(cur) : "out of memory");
    quire_cursor_free(cur);
    /* A NULL or failed corpus changes nothing: the finder goes on. */
    return status == QUIRE_EINVAL ? status : dups_fail(d, status);
  }
  uint64_t *starts = q_grow(d->starts, &d->start_cap,
                            (size_t)d->corpus_count + 1, sizeof *starts, 4);
  if (!starts ||
      (!d->dedup && !(d->dedup = q_dedup_new(d->kinds, d->similarity)))) {
    if (starts)
      d->starts = starts;
    quire_cursor_free(cur);
    return dups_fail(d, q_fail(d->msg, QUIRE_ENOMEM, "out of memory"));
  }
  d->starts = starts;
  d->starts[d->corpus_count] = d->next_id;
  d->groups_built = 0;
  while ((status = quire_cursor_next(cur)) == QUIRE_ROW) {
    const char *url, *text;
    size_t url_len, text_len;
    status = read_fields(d, cur, &url, &url_len, &text, &text_len);
    if (status != QUIRE_OK)
      break;
    uint64_t id = d->next_id + quire_cursor_doc(cur);
    q_dup_match m;
    status = q_dedup_add(d->dedup, url, url_len, text, text_len, id, 0, &m);
    for (int k = 0; status == QUIRE_OK && k < Q_KIND_COUNT; k++)
      if (m.leader[k] != UINT64_MAX)
        status = add_pair(d, id, m.leader[k], m.similarity[k], k);
    if (status != QUIRE_OK) {
      q_fail(d->msg, status, "%s",
             status == QUIRE_ELIMIT ? "too many distinct documents"
                                    : "out of memory");
      break;
    }
  }
  quire_cursor_free(cur);
  if (status != QUIRE_DONE) {
    if (status == QUIRE_ECORRUPT && !d->msg[0])
      q_fail(d->msg, status, "corpus is damaged");
    return dups_fail(d, status);
  }
  d->corpus_count++;
  d->next_id += docs;
  /* The groups are built now, so that running out of memory for them is
   * this call's failure and the getters cannot fail but for arguments. */
  return build_groups(d);
}

static int compare_pairs(const void *a, const void *b) {
  const dup_pair *x = a, *y = b;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->leader != y->leader)
    return x->leader < y->leader ? -1 : 1;
  return x->member < y->member ? -1 : x->member > y->member;
}

/* Sorts the pairs by kind, leader and member and cuts them in groups. */
static int build_groups(quire_dups *d) {
  if (d->groups_built)
    return QUIRE_OK;
  if (d->pair_count) /* qsort wants a pointer even for nothing */
    qsort(d->pairs, d->pair_count, sizeof *d->pairs, compare_pairs);
  q_free(d->groups);
  d->groups = NULL;
  d->group_count = 0;
  size_t count = 0;
  for (size_t i = 0; i < d->pair_count; i++)
    count += i == 0 || d->pairs[i].kind != d->pairs[i - 1].kind ||
             d->pairs[i].leader != d->pairs[i - 1].leader;
  d->groups = q_malloc(count * sizeof *d->groups);
  if (!d->groups)
    return dups_fail(d, q_fail(d->msg, QUIRE_ENOMEM, "out of memory"));
  for (size_t i = 0; i < d->pair_count; i++) {
    if (i == 0 || d->pairs[i].kind != d->pairs[i - 1].kind ||
        d->pairs[i].leader != d->pairs[i - 1].leader) {
      d->groups[d->group_count].first = i;
      d->groups[d->group_count].size = 1;
      d->group_count++;
    }
    d->groups[d->group_count - 1].size++;
  }
  d->groups_built = 1;
  return QUIRE_OK;
}

/* The groups are built by every quire_dups_add_corpus(), so the getters
 * only read them. */
static int ready(const quire_dups *d) {
  if (!d)
    return QUIRE_EINVAL;
  if (d->status != QUIRE_OK)
    return q_fail(d->msg, QUIRE_ESTATE, "the finder failed before");
  return QUIRE_OK;
}

uint64_t quire_dups_group_count(const quire_dups *d) {
  return ready(d) == QUIRE_OK ? d->group_count : 0;
}

int quire_dups_group(const quire_dups *d, uint64_t index, int *kind,
                     uint64_t *size) {
  int status = ready(d);
  if (status != QUIRE_OK)
    return status;
  if (index >= d->group_count)
    return q_fail(d->msg, QUIRE_ENOTFOUND, "group %llu of %llu",
                  (unsigned long long)index,
                  (unsigned long long)d->group_count);
  const dup_group *g = &d->groups[index];
  if (kind)
    *kind = 1 << d->pairs[g->first].kind;
  if (size)
    *size = g->size;
  return QUIRE_OK;
}

int quire_dups_member(const quire_dups *d, uint64_t index, uint64_t member,
                      uint32_t *corpus, uint64_t *doc, double *similarity) {
  uint64_t size;
  int status = quire_dups_group(d, index, NULL, &size);
  if (status != QUIRE_OK)
    return status;
  if (member >= size)
    return q_fail(d->msg, QUIRE_ENOTFOUND, "member %llu of a group of %llu",
                  (unsigned long long)member, (unsigned long long)size);
  const dup_pair *p =
      &d->pairs[d->groups[index].first + (member ? member - 1 : 0)];
  uint64_t id = member ? p->member : p->leader;
  uint32_t c = 0;
  while (c + 1 < d->corpus_count && d->starts[c + 1] <= id)
    c++;
  if (corpus)
    *corpus = c;
  if (doc)
    *doc = id - d->starts[c];
  if (similarity)
    *similarity = member ? p->similarity : 1.0;
  return QUIRE_OK;
}
