/*
 * filter.c: filters, and turning one into runs of index entries (a plan).
 *
 * Each source has its documents listed by date, and the date index lists
 * every document by date, undated ones first. So any filter is, per source
 * named (or once, for the date index), one binary search for each end of the
 * date range plus the undated run: O(log n) to count, O(matches) to list.
 */
#include <string.h>

#include "reader.h"
#include "words.h"

struct quire_filter {
  char **names;
  size_t *lens;
  size_t count, cap;
  int64_t from, to; /* inclusive; QUIRE_NO_DATE when unbounded */
  int undated;
  q_terms *terms; /* words that must occur (words.c), or NULL */
  char msg[Q_MSG_CAP];
};

int quire_filter_new(quire_filter **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_filter *f = q_calloc(1, sizeof *f);
  *out = f;
  if (!f)
    return QUIRE_ENOMEM;
  f->from = f->to = QUIRE_NO_DATE;
  return QUIRE_OK;
}

void quire_filter_free(quire_filter *f) {
  if (!f)
    return;
  for (size_t i = 0; i < f->count; i++)
    q_free(f->names[i]);
  q_free(f->names);
  q_free(f->lens);
  q_terms_free(f->terms);
  q_free(f);
}

int quire_filter_add_source(quire_filter *f, const char *name, size_t len) {
  if (!f)
    return QUIRE_EINVAL;
  if (!name && len)
    return q_fail(f->msg, QUIRE_EINVAL, "source name is NULL");
  for (size_t i = 0; i < f->count; i++)
    if (f->lens[i] == len && (len == 0 || !memcmp(f->names[i], name, len)))
      return QUIRE_OK; /* already in the set */
  if (f->count == f->cap) {
    size_t cap = f->cap; /* the two arrays share it */
    char **names = q_grow(f->names, &cap, f->count + 1, sizeof *names, 4);
    if (!names)
      return q_fail(f->msg, QUIRE_ENOMEM, "out of memory");
    f->names = names;
    size_t *lens = q_grow(f->lens, &f->cap, f->count + 1, sizeof *lens, 4);
    if (!lens)
      return q_fail(f->msg, QUIRE_ENOMEM, "out of memory");
    f->lens = lens;
  }
  char *copy = q_strndup(name ? name : "", len);
  if (!copy)
    return q_fail(f->msg, QUIRE_ENOMEM, "out of memory");
  f->names[f->count] = copy;
  f->lens[f->count++] = len;
  return QUIRE_OK;
}

static int set_bound(quire_filter *f, const char *date, size_t len, int upper) {
  if (!f)
    return QUIRE_EINVAL;
  int64_t *bound = upper ? &f->to : &f->from;
  if (len == 0) {
    *bound = QUIRE_NO_DATE;
    return QUIRE_OK;
  }
  if (!date)
    return q_fail(f->msg, QUIRE_EINVAL, "date is NULL");
  q_date d;
  if (q_date_parse(date, len, &d) != QUIRE_OK)
    return q_fail(f->msg, QUIRE_EDATE,
                  "bad %s date \"%.*s\": not ISO 8601 or RFC 2822",
                  upper ? "to" : "from", (int)(len > 64 ? 64 : len), date);
  *bound = upper ? q_date_period_end(&d) : d.seconds;
  return QUIRE_OK;
}

int quire_filter_set_from(quire_filter *f, const char *date, size_t len) {
  return set_bound(f, date, len, 0);
}

int quire_filter_set_to(quire_filter *f, const char *date, size_t len) {
  return set_bound(f, date, len, 1);
}

int quire_filter_set_range(quire_filter *f, int64_t from, int64_t to) {
  if (!f)
    return QUIRE_EINVAL;
  f->from = from;
  f->to = to;
  return QUIRE_OK;
}

int quire_filter_set_undated(quire_filter *f, int mode) {
  if (!f)
    return QUIRE_EINVAL;
  if (mode < QUIRE_UNDATED_AUTO || mode > QUIRE_UNDATED_EXCLUDE)
    return q_fail(f->msg, QUIRE_EINVAL, "unknown undated mode %d", mode);
  f->undated = mode;
  return QUIRE_OK;
}

int quire_filter_add_term(quire_filter *f, const char *term, size_t len) {
  if (!f)
    return QUIRE_EINVAL;
  return q_terms_add(&f->terms, term, len, 0, f->msg);
}

int quire_filter_add_any_term(quire_filter *f, const char *term, size_t len) {
  if (!f)
    return QUIRE_EINVAL;
  return q_terms_add(&f->terms, term, len, 1, f->msg);
}

const q_terms *q_filter_terms(const quire_filter *f) {
  return f ? f->terms : NULL;
}

const char *quire_filter_errmsg(const quire_filter *f) {
  return f ? f->msg : "filter is NULL";
}

quire_filter *q_filter_clone(const quire_filter *f) {
  quire_filter *copy;
  if (quire_filter_new(&copy) != QUIRE_OK)
    return NULL;
  copy->from = f->from;
  copy->to = f->to;
  copy->undated = f->undated;
  if (f->terms && !(copy->terms = q_terms_clone(f->terms))) {
    quire_filter_free(copy);
    return NULL;
  }
  for (size_t i = 0; i < f->count; i++)
    if (quire_filter_add_source(copy, f->names[i], f->lens[i]) != QUIRE_OK) {
      quire_filter_free(copy);
      return NULL;
    }
  return copy;
}

/* ---- plans ------------------------------------------------------------------
 */

/* Stores the date of the document an index entry names. */
static int entry_date(const quire_corpus *c, int sec, uint64_t index,
                      int64_t *date, char *msg) {
  const uint8_t *e = q_record(c, sec, index, msg);
  if (!e)
    return QUIRE_ECORRUPT;
  uint32_t doc = ld32(e);
  if (doc >= c->docs)
    return q_damage(c, msg, "index entry names document %u of %llu", doc,
                    (unsigned long long)c->docs);
  const uint8_t *row = q_record(c, QS_DOCS, doc, msg);
  if (!row)
    return QUIRE_ECORRUPT;
  *date = ldi64(row + QD_DATE);
  return QUIRE_OK;
}

/* The first entry in [lo, hi) of an index whose date is >= date (upper: >
 * date). Entries are sorted by date, so this is a binary search. */
static int search(const quire_corpus *c, int sec, uint64_t lo, uint64_t hi,
                  int64_t date, int upper, uint64_t *at, char *msg) {
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    int64_t d = 0;
    if (entry_date(c, sec, mid, &d, msg) != QUIRE_OK)
      return QUIRE_ECORRUPT;
    if (upper ? d <= date : d < date)
      lo = mid + 1;
    else
      hi = mid;
  }
  *at = lo;
  return QUIRE_OK;
}

static int add_slice(q_plan *plan, int sec, uint64_t begin, uint64_t end,
                     char *msg) {
  if (end <= begin)
    return QUIRE_OK;
  q_slice *grown =
      q_grow(plan->slices, &plan->cap, plan->count + 1, sizeof *grown, 4);
  if (!grown)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory planning a filter");
  plan->slices = grown;
  plan->slices[plan->count++] = (q_slice){sec, begin, end};
  plan->matches += end - begin;
  return QUIRE_OK;
}

/* Adds the matching runs of the entries [begin, end) of one index. */
static int plan_run(const quire_corpus *c, const quire_filter *f, int sec,
                    uint64_t begin, uint64_t end, q_plan *plan, char *msg) {
  int bounded = f->from != QUIRE_NO_DATE || f->to != QUIRE_NO_DATE;
  int undated = f->undated == QUIRE_UNDATED_INCLUDE ||
                (f->undated == QUIRE_UNDATED_AUTO && !bounded);
  int64_t lo = f->from == QUIRE_NO_DATE ? INT64_MIN + 1 : f->from;
  int64_t hi = f->to == QUIRE_NO_DATE ? INT64_MAX : f->to;
  uint64_t dated, first, last;
  int status = search(c, sec, begin, end, INT64_MIN + 1, 0, &dated, msg);
  if (status == QUIRE_OK && undated)
    status = add_slice(plan, sec, begin, dated, msg);
  if (status != QUIRE_OK || lo > hi)
    return status;
  status = search(c, sec, dated, end, lo, 0, &first, msg);
  if (status == QUIRE_OK)
    status = search(c, sec, first, end, hi, 1, &last, msg);
  if (status == QUIRE_OK)
    status = add_slice(plan, sec, first, last, msg);
  return status;
}

int q_plan_make(const quire_corpus *c, const quire_filter *f, q_plan *plan,
                char *msg) {
  memset(plan, 0, sizeof *plan);
  int bounded = f && (f->from != QUIRE_NO_DATE || f->to != QUIRE_NO_DATE);
  if (!f ||
      (f->count == 0 && !bounded && f->undated != QUIRE_UNDATED_EXCLUDE)) {
    plan->all = 1;
    plan->matches = c->docs;
    return QUIRE_OK;
  }
  if (f->count == 0)
    return plan_run(c, f, QS_DATE_INDEX, 0, c->docs, plan, msg);
  /* Each name once: the filter's set has no duplicates, and two names are
   * two sources. */
  for (size_t i = 0; i < f->count; i++) {
    uint32_t id;
    int status = q_source_find(c, f->names[i], f->lens[i], &id, msg);
    if (status == QUIRE_ENOTFOUND)
      continue;
    if (status != QUIRE_OK)
      return status;
    const uint8_t *rec = q_record(c, QS_SOURCES, id, msg);
    if (!rec)
      return QUIRE_ECORRUPT;
    uint64_t begin = ld64(rec + QSRC_LIST_START);
    uint64_t docs = ld32(rec + QSRC_DOCS);
    uint64_t entries = c->sec[QS_SOURCE_LISTS].length / QF_INDEX_ENTRY;
    if (begin > entries || docs > entries - begin)
      return q_damage(c, msg,
                      "source table: source %u lists impossible "
                      "documents",
                      id);
    status = plan_run(c, f, QS_SOURCE_LISTS, begin, begin + docs, plan, msg);
    if (status != QUIRE_OK)
      return status;
  }
  return QUIRE_OK;
}

void q_plan_free(q_plan *plan) {
  q_free(plan->slices);
  memset(plan, 0, sizeof *plan);
}

int quire_corpus_count_matches(const quire_corpus *c, const quire_filter *f,
                               uint64_t *count) {
  if (!c || c->status != QUIRE_OK || !count)
    return QUIRE_EINVAL;
  if (f && f->terms)
    return q_count_terms(c, f, count);
  q_plan plan;
  int status = q_plan_make(c, f, &plan, NULL);
  if (status == QUIRE_OK)
    *count = plan.matches;
  q_plan_free(&plan);
  return status;
}
