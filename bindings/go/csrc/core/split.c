/*
 * split.c: cutting one corpus (or one CSV file) into shards, the way an
 * archive is laid out for a cluster: N shards of consecutive documents, or
 * one shard per source, year or month, each optionally cut again at a size.
 *
 * Each shard is a writer (in input order, so the input's clustering carries
 * over; the input's codec and block size) given the shard's documents as a
 * selection of the input (q_writer_add_selection()): blocks all of whose
 * documents go to the shard are copied verbatim, and only the documents of
 * blocks shared with another shard are compressed again. Each shard is
 * written atomically by its writer.
 */
/* Splitting into shards is in the header's experimental section. */
#define QUIRE_EXPERIMENTAL

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "writer.h"

#define SPLIT_MAX_SHARDS 1000000u

struct quire_split {
  uint32_t shards; /* QUIRE_SPLIT_NONE: ranges of consecutive documents */
  int by;
  uint64_t max_size; /* 0: no size cut */
  int level;         /* 0: the writer's default */
  int threads;
  char **names; /* file names of the shards written by the last run */
  size_t count, cap;
  char msg[Q_MSG_CAP];
};

int quire_split_new(quire_split **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_split *s = q_calloc(1, sizeof *s);
  *out = s;
  if (!s)
    return QUIRE_ENOMEM;
  s->shards = 1;
  s->threads = 1;
  return QUIRE_OK;
}

static void forget_names(quire_split *s) {
  for (size_t i = 0; i < s->count; i++)
    q_free(s->names[i]);
  s->count = 0;
}

void quire_split_free(quire_split *s) {
  if (!s)
    return;
  forget_names(s);
  q_free(s->names);
  q_free(s);
}

int quire_split_set_shards(quire_split *s, uint32_t shards) {
  if (!s)
    return QUIRE_EINVAL;
  if (shards < 1 || shards > SPLIT_MAX_SHARDS)
    return q_fail(s->msg, QUIRE_EINVAL, "shard count %u is not from 1 to %u",
                  shards, SPLIT_MAX_SHARDS);
  s->shards = shards;
  return QUIRE_OK;
}

int quire_split_set_by(quire_split *s, int by) {
  if (!s)
    return QUIRE_EINVAL;
  if (by < QUIRE_SPLIT_NONE || by > QUIRE_SPLIT_MONTH)
    return q_fail(s->msg, QUIRE_EINVAL, "unknown split key %d", by);
  s->by = by;
  return QUIRE_OK;
}

int quire_split_set_max_size(quire_split *s, uint64_t bytes) {
  if (!s)
    return QUIRE_EINVAL;
  s->max_size = bytes;
  return QUIRE_OK;
}

int quire_split_set_level(quire_split *s, int level) {
  if (!s)
    return QUIRE_EINVAL;
  if (level < 1 || level > 22)
    return q_fail(s->msg, QUIRE_EINVAL, "level %d is not from 1 to 22", level);
  s->level = level;
  return QUIRE_OK;
}

int quire_split_set_threads(quire_split *s, int threads) {
  if (!s)
    return QUIRE_EINVAL;
  if (threads < 1 || threads > 64)
    return q_fail(s->msg, QUIRE_EINVAL, "thread count %d is not from 1 to 64",
                  threads);
  s->threads = threads;
  return QUIRE_OK;
}

uint64_t quire_split_shard_count(const quire_split *s) {
  return s ? s->count : 0;
}

const char *quire_split_shard_name(const quire_split *s, uint64_t index) {
  return s && index < s->count ? s->names[index] : NULL;
}

const char *quire_split_errmsg(const quire_split *s) {
  return s ? s->msg : "split is NULL";
}

/* ---- one run ---------------------------------------------------------------
 */

/* A group of documents becoming one shard (or several, cut at max_size). */
typedef struct group {
  char base[64];   /* file name without the part number and .quire */
  quire_filter *f; /* NULL: every document, or those of no source */
  int no_source;   /* only documents without a source */
  uint64_t first;  /* QUIRE_SPLIT_NONE: documents [first, end) */
  uint64_t end;
  int ranged;
} group;

typedef struct run {
  quire_split *s;
  const quire_corpus *c;
  const char *dir;
  double ratio; /* file bytes per raw byte of the input */
  int codec;    /* the input's */
  uint32_t block_size;
  quire_writer *w;
  char *path; /* of the open writer */
  uint64_t estimate;
  unsigned part;
  uint8_t *select;   /* the documents of the part being made, one byte each */
  uint64_t selected; /* how many */
  double meta_avg;   /* raw bytes of a document besides its text, average */
} run;

static int remember(quire_split *s, const char *name) {
  if (s->count == s->cap) {
    char **grown = q_grow(s->names, &s->cap, s->count + 1, sizeof *grown, 16);
    if (!grown)
      return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
    s->names = grown;
  }
  char *copy = q_strndup(name, strlen(name));
  if (!copy)
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  s->names[s->count++] = copy;
  return QUIRE_OK;
}

static int open_shard(run *r, const group *g) {
  quire_split *s = r->s;
  char name[96];
  if (s->by == QUIRE_SPLIT_NONE) /* numbered on, parts cut by size too */
    snprintf(name, sizeof name, "part-%05u.quire", (unsigned)s->count);
  else if (s->max_size)
    snprintf(name, sizeof name, "%s-%03u.quire", g->base, r->part);
  else
    snprintf(name, sizeof name, "%s.quire", g->base);
  size_t dlen = strlen(r->dir), nlen = strlen(name);
  r->path = q_malloc(dlen + nlen + 2);
  if (!r->path)
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  memcpy(r->path, r->dir, dlen);
  r->path[dlen] = '/';
  memcpy(r->path + dlen + 1, name, nlen + 1);
  int status = quire_writer_open(r->path, &r->w);
  if (status == QUIRE_OK)
    status = quire_writer_set_order(r->w, QUIRE_ORDER_INPUT);
  /* The input's codec and block size; the split's level, or the codec's
   * default. */
  if (status == QUIRE_OK)
    status = quire_writer_set_codec(r->w, r->codec);
  if (status == QUIRE_OK && r->block_size)
    status = quire_writer_set_block_size(r->w, r->block_size);
  if (status == QUIRE_OK && s->level)
    status = quire_writer_set_level(r->w, s->level);
  if (status == QUIRE_OK)
    status = quire_writer_set_threads(r->w, s->threads);
  if (status != QUIRE_OK) {
    q_fail(s->msg, status, "cannot write %s: %s", r->path,
           r->w ? quire_writer_errmsg(r->w) : "out of memory");
    quire_writer_free(r->w);
    r->w = NULL;
    return status;
  }
  r->estimate = 0;
  return remember(s, name);
}

static int close_shard(run *r) {
  int status = QUIRE_OK;
  if (r->w) {
    status = quire_writer_finish(r->w);
    if (status != QUIRE_OK)
      q_fail(r->s->msg, status, "cannot write %s: %s", r->path,
             quire_writer_errmsg(r->w));
    quire_writer_free(r->w);
    r->w = NULL;
  }
  q_free(r->path);
  r->path = NULL;
  return status;
}

/* Writes the selected documents as one shard (a part of group g), then
 * clears the selection. */
static int write_part(run *r, const group *g) {
  int status = open_shard(r, g);
  if (status == QUIRE_OK) {
    status = q_writer_add_selection(r->w, r->c, r->select);
    if (status != QUIRE_OK)
      q_fail(r->s->msg, status, "cannot write %s: %s", r->path,
             quire_writer_errmsg(r->w));
  }
  int closed = close_shard(r);
  memset(r->select, 0, r->c->docs);
  r->selected = 0;
  r->estimate = 0;
  r->part++;
  return status != QUIRE_OK ? status : closed;
}

/* Adds document doc to the part being made, first writing the part when
 * the estimated size would pass max_size. */
static int select_doc(run *r, const group *g, uint64_t doc) {
  char msg[Q_MSG_CAP];
  const uint8_t *row = q_record(r->c, QS_DOCS, doc, msg);
  if (!row)
    return q_fail(r->s->msg, QUIRE_ECORRUPT, "%s", msg);
  if (g->no_source && ld32(row + QD_SOURCE) != QF_NO_SOURCE)
    return QUIRE_OK;
  double raw = (double)ld32(row + QD_LENGTH) + r->meta_avg;
  uint64_t size = (uint64_t)(raw * r->ratio) + 1;
  if (r->s->max_size && r->selected > 0 &&
      r->estimate + size > r->s->max_size) {
    int status = write_part(r, g);
    if (status != QUIRE_OK)
      return status;
  }
  r->select[doc] = 1;
  r->selected++;
  r->estimate += size;
  return QUIRE_OK;
}

/* Selects the documents of group g in order, writing a part whenever one
 * is full, and the last one at the end. */
static int write_group(run *r, const group *g) {
  r->part = 0;
  int status = QUIRE_OK;
  if (g->ranged) {
    for (uint64_t doc = g->first; doc < g->end && status == QUIRE_OK; doc++)
      status = select_doc(r, g, doc);
  } else {
    quire_cursor *cur = NULL;
    status = quire_cursor_open(r->c, g->f, &cur);
    if (status != QUIRE_OK)
      q_fail(r->s->msg, status, "%s",
             cur ? quire_cursor_errmsg(cur) : "out of memory");
    while (status == QUIRE_OK &&
           (status = q_cursor_step(cur, r->s->msg)) == QUIRE_ROW)
      status = select_doc(r, g, quire_cursor_doc(cur));
    if (status == QUIRE_DONE)
      status = QUIRE_OK;
    quire_cursor_free(cur);
  }
  if (status == QUIRE_OK && r->selected)
    status = write_part(r, g);
  memset(r->select, 0, r->c->docs);
  r->selected = 0;
  return status;
}

/* The UTC year (and month) of an instant. */
static void year_month(int64_t seconds, int *year, int *month) {
  char text[32];
  quire_date_format(seconds, QUIRE_DATE_MONTH, text, sizeof text);
  *year = 0;
  *month = 0;
  sscanf(text, "%d-%d", year, month);
}

static int64_t period_start(int year, int month) {
  char text[16];
  int64_t seconds = 0;
  int precision;
  snprintf(text, sizeof text, "%04d-%02d", year, month);
  quire_date_parse(text, strlen(text), &seconds, &precision);
  return seconds;
}

/* Runs one group if it holds documents, then frees its filter. */
static int run_group(run *r, group *g, uint64_t docs) {
  int status = QUIRE_OK;
  if (docs > 0)
    status = write_group(r, g);
  quire_filter_free(g->f);
  g->f = NULL;
  return status;
}

static int filter_for(run *r, group *g) {
  if (quire_filter_new(&g->f) != QUIRE_OK)
    return q_fail(r->s->msg, QUIRE_ENOMEM, "out of memory");
  return QUIRE_OK;
}

static int split_by_count(run *r) {
  uint64_t n = quire_corpus_doc_count(r->c);
  uint64_t shards = r->s->shards;
  if (shards > n)
    shards = n ? n : 1;
  for (uint64_t i = 0; i < shards; i++) {
    group g = {0};
    g.ranged = 1;
    g.first = n * i / shards;
    g.end = n * (i + 1) / shards;
    int status = g.end > g.first ? write_group(r, &g) : QUIRE_OK;
    if (status != QUIRE_OK)
      return status;
  }
  return QUIRE_OK;
}

static int split_by_source(run *r) {
  uint64_t sources = quire_corpus_source_count(r->c), named = 0;
  for (uint64_t i = 0; i < sources; i++) {
    const char *name;
    size_t len;
    uint64_t docs;
    int status = quire_corpus_source(r->c, i, &name, &len, &docs);
    if (status != QUIRE_OK)
      return q_fail(r->s->msg, status, "%s", quire_corpus_errmsg(r->c));
    named += docs;
    group g = {0};
    snprintf(g.base, sizeof g.base, "source-%05llu", (unsigned long long)i);
    if ((status = filter_for(r, &g)) != QUIRE_OK)
      return status;
    status = quire_filter_add_source(g.f, name, len);
    if (status == QUIRE_OK)
      status = run_group(r, &g, docs);
    else
      quire_filter_free(g.f);
    if (status != QUIRE_OK)
      return status;
  }
  group none = {0};
  snprintf(none.base, sizeof none.base, "source-none");
  none.no_source = 1;
  return run_group(r, &none, quire_corpus_doc_count(r->c) - named);
}

static int split_by_date(run *r, int months) {
  int64_t first, last;
  int status = QUIRE_OK;
  if (quire_corpus_date_span(r->c, &first, &last) == QUIRE_OK) {
    int y, m, y_end, m_end;
    year_month(first, &y, &m);
    year_month(last, &y_end, &m_end);
    if (!months)
      m = m_end = 1;
    while (status == QUIRE_OK && (y < y_end || (y == y_end && m <= m_end))) {
      int ny = months && m < 12 ? y : y + 1, nm = months && m < 12 ? m + 1 : 1;
      group g = {0};
      if (months)
        snprintf(g.base, sizeof g.base, "month-%04d-%02d", y, m);
      else
        snprintf(g.base, sizeof g.base, "year-%04d", y);
      if ((status = filter_for(r, &g)) != QUIRE_OK)
        return status;
      uint64_t docs = 0;
      status = quire_filter_set_range(g.f, period_start(y, m),
                                      period_start(ny, nm) - 1);
      if (status == QUIRE_OK)
        status = quire_filter_set_undated(g.f, QUIRE_UNDATED_EXCLUDE);
      if (status == QUIRE_OK)
        status = quire_corpus_count_matches(r->c, g.f, &docs);
      if (status == QUIRE_OK)
        status = run_group(r, &g, docs);
      else {
        quire_filter_free(g.f);
        q_fail(r->s->msg, status, "%s", quire_corpus_errmsg(r->c));
      }
      y = ny;
      m = nm;
    }
  }
  if (status != QUIRE_OK)
    return status;
  group none = {0};
  snprintf(none.base, sizeof none.base, "%s-none", months ? "month" : "year");
  if ((status = filter_for(r, &none)) != QUIRE_OK)
    return status;
  /* An empty range (from > to) with undated documents included selects
   * exactly the undated ones. */
  quire_filter_set_range(none.f, 1, 0);
  quire_filter_set_undated(none.f, QUIRE_UNDATED_INCLUDE);
  return run_group(r, &none, quire_corpus_undated_count(r->c));
}

/* The raw bytes of a document besides its text, on average, for the size
 * estimates of --max-size: the text lengths are in the rows. */
static int average_meta(run *r) {
  uint64_t text = 0;
  char msg[Q_MSG_CAP];
  for (uint64_t doc = 0; doc < r->c->docs; doc++) {
    const uint8_t *row = q_record(r->c, QS_DOCS, doc, msg);
    if (!row)
      return q_fail(r->s->msg, QUIRE_ECORRUPT, "%s", msg);
    text += ld32(row + QD_LENGTH);
  }
  uint64_t raw = quire_corpus_raw_size(r->c);
  r->meta_avg =
      r->c->docs && raw > text ? (double)(raw - text) / (double)r->c->docs : 0;
  return QUIRE_OK;
}

int quire_split_corpus(quire_split *s, const quire_corpus *c, const char *dir) {
  if (!s)
    return QUIRE_EINVAL;
  s->msg[0] = '\0';
  forget_names(s);
  if (!c || c->status != QUIRE_OK)
    return q_fail(s->msg, QUIRE_EINVAL, "corpus is NULL or failed to open");
  if (!dir || !*dir)
    return q_fail(s->msg, QUIRE_EINVAL, "no output directory given");
  if (s->by != QUIRE_SPLIT_NONE && s->shards > 1)
    return q_fail(s->msg, QUIRE_EINVAL,
                  "a shard count and a split key exclude each other");
  run r = {0};
  r.s = s;
  r.c = c;
  r.dir = dir;
  uint64_t raw = quire_corpus_raw_size(c);
  r.ratio = raw ? (double)quire_corpus_file_size(c) / (double)raw : 1.0;
  int status = quire_corpus_codec(c, &r.codec, NULL, &r.block_size);
  if (status != QUIRE_OK)
    return q_fail(s->msg, status, "%s", quire_corpus_errmsg(c));
  if (!(r.select = q_calloc(c->docs ? c->docs : 1, 1)))
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  status = average_meta(&r);
  if (status == QUIRE_OK) {
    switch (s->by) {
    case QUIRE_SPLIT_SOURCE:
      status = split_by_source(&r);
      break;
    case QUIRE_SPLIT_YEAR:
      status = split_by_date(&r, 0);
      break;
    case QUIRE_SPLIT_MONTH:
      status = split_by_date(&r, 1);
      break;
    default:
      status = split_by_count(&r);
    }
  }
  q_free(r.select);
  return status;
}

int quire_split_csv(quire_split *s, quire_import *imp, const char *csv_path,
                    const char *dir) {
  if (!s)
    return QUIRE_EINVAL;
  s->msg[0] = '\0';
  forget_names(s);
  if (!imp || !csv_path || !dir || !*dir)
    return q_fail(s->msg, QUIRE_EINVAL,
                  "importer, CSV path or directory is NULL");
  /* The CSV is packed into a corpus beside the shards first (grouped by
   * source, then date, as pack does), which is split, then removed. */
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/.split-input-%ld.quire", (long)getpid());
  size_t dlen = strlen(dir);
  char *path = q_malloc(dlen + strlen(tmp) + 1);
  if (!path)
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  memcpy(path, dir, dlen);
  memcpy(path + dlen, tmp, strlen(tmp) + 1);
  quire_writer *w = NULL;
  /* The shards copy this corpus's blocks: it is packed at the split's
   * level, once. */
  int status = quire_writer_open(path, &w);
  if (status == QUIRE_OK && s->level)
    status = quire_writer_set_level(w, s->level);
  if (status == QUIRE_OK)
    status = quire_writer_set_threads(w, s->threads);
  if (status != QUIRE_OK)
    q_fail(s->msg, status, "%s", w ? quire_writer_errmsg(w) : "out of memory");
  if (status == QUIRE_OK) {
    status = quire_import_csv_path(imp, w, csv_path);
    if (status != QUIRE_OK)
      q_fail(s->msg, status, "%s", quire_import_errmsg(imp));
  }
  if (status == QUIRE_OK) {
    status = quire_writer_finish(w);
    if (status != QUIRE_OK)
      q_fail(s->msg, status, "%s", quire_writer_errmsg(w));
  }
  quire_writer_free(w);
  if (status == QUIRE_OK) {
    quire_corpus *c = NULL;
    status = quire_corpus_open(path, &c);
    if (status == QUIRE_OK)
      status = quire_split_corpus(s, c, dir);
    else
      q_fail(s->msg, status, "%s", quire_corpus_errmsg(c));
    quire_corpus_free(c);
    unlink(path);
  }
  q_free(path);
  return status;
}
