/*
 * verify.c: checking a whole corpus, and salvaging what is intact from a
 * damaged one.
 */
#include <stdio.h>
#include <string.h>

#include "blocks.h"
#include "reader.h"

/* Collects damage lines for quire_corpus_verify(). */
typedef struct report {
  quire_write_fn fn;
  void *ctx;
  uint64_t damaged;
  int stopped;
} report;

static void report_line(report *r, const char *line) {
  r->damaged++;
  if (!r->fn || r->stopped)
    return;
  char text[Q_MSG_CAP + 2];
  int n = snprintf(text, sizeof text, "%s\n", line);
  if (r->fn(r->ctx, text, (size_t)n) != 0)
    r->stopped = 1;
}

/* Checks every chunk of one section; a damaged one is reported once. */
static void verify_section(const quire_corpus *c, const q_section *sec,
                           report *r) {
  for (uint64_t chunk = 0; chunk < sec->chunks; chunk++) {
    char msg[Q_MSG_CAP];
    uint64_t start = chunk * QF_CHUNK;
    uint64_t len =
        sec->length - start < QF_CHUNK ? sec->length - start : QF_CHUNK;
    if (!q_section_bytes(c, sec, start, len, msg)) {
      report_line(r, msg);
      if (strstr(msg, "checksum table"))
        break; /* every chunk of this section would say the same */
    }
  }
}

/* Every main and extension section, then each dictionary on its own: a
 * damaged one is named with the number of blocks that need it. */
static int verify_sections(const quire_corpus *c, report *r) {
  for (int s = 0; s < QS_COUNT; s++)
    verify_section(c, &c->sec[s], r);
  for (int k = 1; k <= QX_KNOWN_LAST; k++)
    if (q_ext(c, k))
      verify_section(c, q_ext(c, k), r);
  uint32_t dicts = q_dict_count(c);
  for (uint32_t d = 1; d <= dicts; d++) {
    char msg[Q_MSG_CAP];
    const q_zddict *dd;
    int status = q_dict_get(c, d, &dd, msg);
    if (status == QUIRE_ENOMEM)
      return status;
    if (status == QUIRE_OK)
      continue;
    uint64_t needing = 0;
    for (int kind = 0; kind < 2; kind++) {
      uint64_t count = kind == 0 ? c->blocks : c->meta_blocks;
      for (uint64_t b = 0; b < count; b++) {
        const uint8_t *rec =
            q_record(c, kind == 0 ? QS_BLOCKS : QS_META_BLOCKS, b, NULL);
        needing += rec && QBF_DICT(ld32(rec + QB_FLAGS)) == d;
      }
    }
    char line[Q_MSG_CAP];
    snprintf(line, sizeof line, "%.420s; %llu blocks need it and are lost", msg,
             (unsigned long long)needing);
    report_line(r, line);
  }
  return QUIRE_OK;
}

/* Checks the rows of text block b: each by the rules of the document table
 * and inside the block's text and metadata (one line for the block). */
static void verify_rows(const quire_corpus *c, uint32_t b, report *r) {
  q_block_desc t, m;
  char msg[Q_MSG_CAP];
  /* A block whose record is wrong is reported by verify_blocks(). */
  if (q_block_describe(c, 0, b, &t, msg) != QUIRE_OK ||
      q_block_describe(c, 1, b, &m, msg) != QUIRE_OK)
    return;
  for (uint64_t i = t.first_doc; i < (uint64_t)t.first_doc + t.docs; i++) {
    const uint8_t *row = q_record(c, QS_DOCS, i, NULL);
    if (row && (q_row_check(c, row, i, msg) != QUIRE_OK ||
                q_row_in_blocks(c, row, i, b, &t, &m, msg) != QUIRE_OK)) {
      report_line(r, msg);
      return;
    }
  }
}

/* Checks that the blocks hold the documents in order, each block at least
 * one, metadata block i the same as text block i, and that every row names
 * the block that holds it (docs/FORMAT.md, "Blocks"). Records and rows in
 * damaged chunks were reported already and are skipped. */
static void verify_layout(const quire_corpus *c, report *r) {
  char line[Q_MSG_CAP];
  uint64_t next = 0;
  int skipped =
      0; /* a damaged record: where the next block starts is unknown */
  for (uint64_t b = 0; b < c->blocks; b++) {
    const uint8_t *t = q_record(c, QS_BLOCKS, b, NULL);
    const uint8_t *m = q_record(c, QS_META_BLOCKS, b, NULL);
    if (!t) {
      skipped = 1;
      continue;
    }
    uint64_t first = ld32(t + QB_FIRST_DOC), docs = ld32(t + QB_DOCS);
    if ((first != next && !skipped) || docs == 0 || first + docs > c->docs) {
      snprintf(line, sizeof line,
               "text block %llu: holds documents %llu to %llu, not from %llu "
               "on",
               (unsigned long long)b, (unsigned long long)first,
               (unsigned long long)(first + docs), (unsigned long long)next);
      report_line(r, line);
    } else if (m) {
      verify_rows(c, (uint32_t)b, r);
    }
    if (m && (ld32(m + QB_FIRST_DOC) != first || ld32(m + QB_DOCS) != docs)) {
      snprintf(line, sizeof line,
               "metadata block %llu: holds other documents than text block "
               "%llu",
               (unsigned long long)b, (unsigned long long)b);
      report_line(r, line);
    }
    next = first + docs;
    skipped = 0;
  }
  if (next != c->docs && c->blocks && !skipped) {
    snprintf(line, sizeof line,
             "block table: the blocks hold %llu documents of %llu",
             (unsigned long long)next, (unsigned long long)c->docs);
    report_line(r, line);
  }
}

/* Reads every source name, as the readers do (each inside the names
 * section and terminated), when both sections passed their checksums (a
 * damaged chunk was reported once already). */
static void verify_sources(const quire_corpus *c, report *r) {
  for (int sec = QS_SOURCE_NAMES; sec <= QS_SOURCES; sec++)
    if (c->sec[sec].length &&
        !q_section_bytes(c, &c->sec[sec], 0, c->sec[sec].length, NULL))
      return;
  for (uint64_t s = 0; s < c->sources; s++) {
    const char *name;
    size_t len;
    int status = quire_corpus_source(c, s, &name, &len, NULL);
    char line[Q_MSG_CAP];
    if (status == QUIRE_ECORRUPT) {
      snprintf(line, sizeof line, "source %llu: %.400s", (unsigned long long)s,
               quire_corpus_errmsg(c));
      report_line(r, line);
    } else if (status == QUIRE_OK && len == 0) {
      snprintf(line, sizeof line,
               "source %llu: the name is empty (a document without a source "
               "has none)",
               (unsigned long long)s);
      report_line(r, line);
    }
  }
}

/* Inflates every block. Running out of memory is no damage: it stops the
 * check with QUIRE_ENOMEM. */
static int verify_blocks(const quire_corpus *c, report *r) {
  q_inflater *inflater = q_inflater_new();
  if (!inflater)
    return QUIRE_ENOMEM;
  q_buf buf = {0};
  int status = QUIRE_OK;
  for (int kind = 0; kind < 2 && status == QUIRE_OK; kind++) {
    uint64_t count = kind == 0 ? c->blocks : c->meta_blocks;
    for (uint64_t b = 0; b < count && status == QUIRE_OK; b++) {
      /* A block whose record is damaged cannot be checked; the damaged
       * chunk of the table was reported once already. */
      if (!q_record(c, kind == 0 ? QS_BLOCKS : QS_META_BLOCKS, b, NULL))
        continue;
      char msg[Q_MSG_CAP];
      int loaded = q_block_load(c, kind, (uint32_t)b, inflater, &buf, msg);
      if (loaded == QUIRE_ENOMEM)
        status = loaded;
      else if (loaded != QUIRE_OK)
        report_line(r, msg);
    }
  }
  q_buf_free(&buf);
  q_inflater_free(inflater);
  return status;
}

int quire_corpus_verify(const quire_corpus *c, uint64_t *damaged,
                        quire_write_fn fn, void *ctx) {
  if (!c || c->status != QUIRE_OK)
    return QUIRE_EINVAL;
  report r = {fn, ctx, 0, 0};
  int status = verify_sections(c, &r);
  if (status == QUIRE_OK && !r.stopped)
    verify_layout(c, &r);
  if (status == QUIRE_OK && !r.stopped)
    verify_sources(c, &r);
  if (status == QUIRE_OK)
    status = verify_blocks(c, &r);
  if (damaged)
    *damaged = r.damaged;
  if (r.stopped)
    return QUIRE_ECALLBACK;
  if (status != QUIRE_OK)
    return status;
  return r.damaged ? QUIRE_ECORRUPT : QUIRE_OK;
}

/* ---- salvage
 * ------------------------------------------------------------------ */

/* Reads every field of the cursor's document; QUIRE_OK when all are
 * intact. */
static int read_fields(quire_cursor *cur, const char *f[7], size_t n[7]) {
  for (int field = QUIRE_FIELD_SOURCE; field <= QUIRE_FIELD_TEXT; field++) {
    int status = quire_cursor_field(cur, field, &f[field], &n[field]);
    if (status != QUIRE_OK)
      return status;
  }
  return QUIRE_OK;
}

static void report_loss(quire_write_fn fn, void *ctx, uint64_t doc,
                        const char *why) {
  if (!fn)
    return;
  char line[Q_MSG_CAP + 64];
  int len = snprintf(line, sizeof line, "document %llu lost: %s\n",
                     (unsigned long long)doc, why);
  fn(ctx, line, (size_t)(len < (int)sizeof line ? len : (int)sizeof line - 1));
}

/* Copies every intact document of c into w, in order. */
static int salvage_into(const quire_corpus *c, quire_writer *w, uint64_t *kept,
                        uint64_t *lost, quire_write_fn fn, void *ctx) {
  quire_cursor *cur;
  int status = quire_cursor_open(c, NULL, &cur);
  if (status != QUIRE_OK) {
    quire_cursor_free(cur);
    return status;
  }
  for (uint64_t doc = 0; doc < c->docs; doc++) {
    const char *f[7] = {0};
    size_t n[7] = {0};
    status = quire_cursor_seek(cur, doc);
    if (status == QUIRE_ROW)
      status = read_fields(cur, f, n);
    if (status == QUIRE_ENOMEM)
      break;
    if (status != QUIRE_OK) {
      (*lost)++;
      report_loss(fn, ctx, doc, quire_cursor_errmsg(cur));
      continue;
    }
    quire_document d = {sizeof d, f[1], n[1], f[2], n[2], f[3], n[3],
                        f[4],     n[4], f[5], n[5], f[6], n[6]};
    status = quire_writer_add_document(w, &d);
    if (status == QUIRE_EIO || status == QUIRE_ENOMEM)
      break;
    if (status != QUIRE_OK) {
      (*lost)++;
      report_loss(fn, ctx, doc, quire_writer_errmsg(w));
      continue;
    }
    (*kept)++;
  }
  quire_cursor_free(cur);
  return status == QUIRE_EIO || status == QUIRE_ENOMEM ? status : QUIRE_OK;
}

int quire_salvage(const char *in_path, const char *out_path, uint64_t *kept,
                  uint64_t *lost, quire_write_fn fn, void *ctx) {
  if (!in_path || !out_path)
    return QUIRE_EINVAL;
  uint64_t kept_count = 0, lost_count = 0;
  quire_corpus *c;
  int status = quire_corpus_open(in_path, &c);
  quire_writer *w = NULL;
  if (status == QUIRE_OK)
    status = quire_writer_open(out_path, &w);
  if (status == QUIRE_OK)
    status = quire_writer_set_order(w, QUIRE_ORDER_INPUT);
  if (status == QUIRE_OK)
    status = salvage_into(c, w, &kept_count, &lost_count, fn, ctx);
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  quire_writer_free(w);
  quire_corpus_free(c);
  if (kept)
    *kept = kept_count;
  if (lost)
    *lost = lost_count;
  return status;
}
