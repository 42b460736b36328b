/*
 * cursor.c: walking the documents of a corpus, all or a filter's matches, in
 * document order, inflating a block only when a field in it is asked for.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ahead.h"
#include "postings.h"
#include "reader.h"
#include "words.h"
#include "wordsum.h"

struct quire_cursor {
  const quire_corpus *corpus;
  uint64_t *matches;    /* bitmap of matching documents, NULL for all */
  uint64_t next;        /* the first document next() looks at */
  uint64_t rows_kept;   /* rows from here on may still be resident */
  uint64_t blocks_kept; /* block records from here on may be resident */
  q_terms *terms;       /* the filter's terms (own copy), or NULL */
  int postings;         /* Q_POSTINGS_*: what the word postings did */
  /* The terms against the file's word summaries (wordsum.h), or NULL. */
  q_wsum_query *wsum;
  const q_section *wsum_sec;
  uint64_t wsum_offsets, wsum_filters; /* where they start in the section */
  int64_t wsum_block;                  /* the last block asked about */
  int wsum_verdict;
  int has_row;
  int done;
  char msg[Q_MSG_CAP];

  /* The current document's row, decoded. */
  uint64_t doc;
  q_date date;
  uint32_t source, block, offset, length, meta_offset;

  /* The blocks last inflated, kept while documents share them. */
  q_inflater *inflater;
  q_buf text;
  int64_t text_block; /* -1 when none */
  q_ahead *ahead;     /* helpers inflating the next text blocks, or NULL */
  int64_t ahead_last; /* the last block queued on it, -1 for none */
  q_buf meta;
  int64_t meta_block_loaded;
  q_ahead *meta_ahead; /* the same for metadata blocks */
  int64_t meta_ahead_last;
  int ahead_wanted; /* Q_AHEAD_* kinds whose helpers are yet to start */
  const char *meta_fields[3]; /* title, author, url of the current row */
  uint32_t meta_lens[3];
  int meta_ready;
  /* The formatted id and date: one buffer each, as both stay valid until
   * the cursor moves. */
  char id_text[24];
  char date_text[64];
};

/* Sets one bit per document listed in the plan's runs. */
static int fill_matches(quire_cursor *cur, const q_plan *plan) {
  const quire_corpus *c = cur->corpus;
  for (size_t i = 0; i < plan->count; i++) {
    const q_slice *s = &plan->slices[i];
    for (uint64_t e = s->begin; e < s->end; e++) {
      const uint8_t *entry = q_record(c, s->sec, e, cur->msg);
      if (!entry)
        return QUIRE_ECORRUPT;
      uint32_t doc = ld32(entry);
      if (doc >= c->docs)
        return q_damage(c, cur->msg, "index entry names document %u of %llu",
                        doc, (unsigned long long)c->docs);
      cur->matches[doc / 64] |= 1ull << (doc % 64);
    }
  }
  return QUIRE_OK;
}

/* Prepares the terms against the file's word summaries when it has usable
 * ones: a section of the right magic and block count whose frequent list
 * is sorted. Anything else, damage included, leaves cur->wsum NULL: every
 * candidate block is then read. QUIRE_OK or QUIRE_ENOMEM. */
static int wsum_open(quire_cursor *cur) {
  const quire_corpus *c = cur->corpus;
  const q_section *sec = q_ext(c, QX_WORD_SUMMARIES);
  char msg[Q_MSG_CAP];
  cur->wsum_block = -1;
  if (!sec || sec->length < QWS_HEAD)
    return QUIRE_OK;
  const uint8_t *head = q_section_bytes(c, sec, 0, QWS_HEAD, msg);
  if (!head || memcmp(head, QWS_MAGIC, QF_MAGIC_SIZE) != 0)
    return QUIRE_OK;
  uint64_t n = ld32(head + QWS_BLOCKS), k = ld32(head + QWS_K),
           f = ld32(head + QWS_FREQUENT);
  uint64_t offsets = QWS_HEAD + QWS_HASH * f;
  uint64_t filters = offsets + QWS_OFFSET * (n + 1);
  if (n != c->blocks || k < 1 || k > QWS_MAX_K || filters > sec->length)
    return QUIRE_OK;
  static const uint8_t none[QWS_HASH];
  const uint8_t *frequent =
      f ? q_section_bytes(c, sec, QWS_HEAD, QWS_HASH * f, msg) : none;
  if (!frequent)
    return QUIRE_OK;
  for (uint64_t i = 1; i < f; i++)
    if (ld32(frequent + QWS_HASH * (i - 1)) >= ld32(frequent + QWS_HASH * i))
      return QUIRE_OK;
  cur->wsum_sec = sec;
  cur->wsum_offsets = offsets;
  cur->wsum_filters = filters;
  return q_wsum_query_new(cur->terms, (uint32_t)k, frequent, (uint32_t)f,
                          &cur->wsum);
}

/* 0 when the word summaries rule block out, 1 when it must be read (no
 * summaries, or they are damaged: never a wrong answer). */
static int wsum_may(quire_cursor *cur, uint32_t block) {
  if (!cur->wsum)
    return 1;
  if (cur->wsum_block == (int64_t)block)
    return cur->wsum_verdict;
  const quire_corpus *c = cur->corpus;
  const q_section *sec = cur->wsum_sec;
  char msg[Q_MSG_CAP];
  int verdict = 1;
  const uint8_t *o = q_section_bytes(
      c, sec, cur->wsum_offsets + QWS_OFFSET * (uint64_t)block, 2 * QWS_OFFSET,
      msg); /* the block's offset and the next */
  if (o) {
    uint64_t at = ld64(o), end = ld64(o + QWS_OFFSET);
    if (at <= end && end <= sec->length - cur->wsum_filters) {
      const uint8_t *bits =
          at == end
              ? NULL
              : q_section_bytes(c, sec, cur->wsum_filters + at, end - at, msg);
      if (at == end || bits)
        verdict = q_wsum_query_block(cur->wsum, bits, (size_t)(end - at));
    }
  }
  cur->wsum_block = block;
  cur->wsum_verdict = verdict;
  return verdict;
}

/* The documents [*first, *end) of text block, from its record; 0 when the
 * record is damaged. */
static int block_docs(const quire_cursor *cur, uint32_t block, uint64_t *first,
                      uint64_t *end) {
  char msg[Q_MSG_CAP];
  const uint8_t *rec = q_record(cur->corpus, QS_BLOCKS, block, msg);
  if (!rec)
    return 0;
  *first = ld32(rec + QB_FIRST_DOC);
  *end = *first + ld32(rec + QB_DOCS);
  return 1;
}

int quire_cursor_open(const quire_corpus *c, const quire_filter *f,
                      quire_cursor **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_cursor *cur = q_calloc(1, sizeof *cur);
  *out = cur;
  if (!cur)
    return QUIRE_ENOMEM;
  cur->text_block = cur->meta_block_loaded = -1;
  if (!c || c->status != QUIRE_OK)
    return q_fail(cur->msg, QUIRE_EINVAL, "corpus is NULL or failed to open");
  cur->corpus = c;
  cur->inflater = q_inflater_take();
  if (!cur->inflater) {
    quire_cursor_free(cur);
    *out = NULL;
    return QUIRE_ENOMEM;
  }
  const q_terms *terms = q_filter_terms(f);
  if (terms && !(cur->terms = q_terms_clone(terms))) {
    quire_cursor_free(cur);
    *out = NULL;
    return QUIRE_ENOMEM;
  }
  q_plan plan;
  int status = q_plan_make(c, f, &plan, cur->msg);
  if (status == QUIRE_OK && !plan.all) {
    cur->matches = q_calloc((size_t)(c->docs / 64 + 1), sizeof(uint64_t));
    status = cur->matches ? fill_matches(cur, &plan)
                          : q_fail(cur->msg, QUIRE_ENOMEM, "out of memory");
  }
  q_plan_free(&plan);
  /* The word postings narrow the candidates to the documents of the rare
   * words of the terms; unless they settle it, the word summaries then
   * skip blocks. */
  if (status == QUIRE_OK && cur->terms &&
      (q_postings_restrict(c, cur->terms, &cur->matches, &cur->postings) !=
           QUIRE_OK ||
       (cur->postings != Q_POSTINGS_EXACT && wsum_open(cur) != QUIRE_OK)))
    status = q_fail(cur->msg, QUIRE_ENOMEM, "out of memory");
  if (status == QUIRE_ENOMEM) {
    quire_cursor_free(cur);
    *out = NULL;
  } else if (status != QUIRE_OK) {
    /* Without its matches the cursor would walk every document: it stays
     * for its message only, as one whose corpus failed. */
    cur->corpus = NULL;
  }
  return status;
}

void quire_cursor_free(quire_cursor *cur) {
  if (!cur)
    return;
  q_ahead_stop(cur->ahead);
  q_ahead_stop(cur->meta_ahead);
  q_free(cur->matches);
  q_terms_free(cur->terms);
  q_wsum_query_free(cur->wsum);
  q_inflater_give(cur->inflater);
  q_buf_free(&cur->text);
  q_buf_free(&cur->meta);
  q_free(cur);
}

/* Decodes row doc into the cursor, checking that it is consistent. */
static int load_row(quire_cursor *cur, uint64_t doc) {
  const quire_corpus *c = cur->corpus;
  cur->has_row = 0;
  cur->meta_ready = 0;
  const uint8_t *row = q_record(c, QS_DOCS, doc, cur->msg);
  if (!row)
    return QUIRE_ECORRUPT;
  cur->date.seconds = ldi64(row + QD_DATE);
  cur->date.precision = row[QD_PRECISION];
  cur->date.tz_kind = row[QD_TZ_KIND];
  cur->date.tz_minutes = (int16_t)ld16(row + QD_TZ_MINUTES);
  cur->source = ld32(row + QD_SOURCE);
  cur->block = ld32(row + QD_BLOCK);
  cur->offset = ld32(row + QD_OFFSET);
  cur->length = ld32(row + QD_LENGTH);
  cur->meta_offset = ld32(row + QD_META_OFFSET);
  if (q_row_check(c, row, doc, cur->msg) != QUIRE_OK)
    return QUIRE_ECORRUPT;
  cur->doc = doc;
  cur->has_row = 1;
  return QUIRE_ROW;
}

/* The first matching document at or after from, or the document count. */
static uint64_t next_match(const quire_cursor *cur, uint64_t from) {
  uint64_t n = cur->corpus->docs;
  if (!cur->matches || from >= n)
    return from < n ? from : n;
  uint64_t word = from / 64;
  uint64_t bits = cur->matches[word] & (~0ull << (from % 64));
  while (!bits) {
    if (++word > (n - 1) / 64)
      return n;
    bits = cur->matches[word];
  }
  uint64_t doc = word * 64 + (uint64_t)__builtin_ctzll(bits);
  return doc < n ? doc : n;
}

/* A walk through the corpus reads every row once: let go of the rows it
 * has passed every 128 KiB, so that resident memory stays flat. */
static void release_rows_behind(quire_cursor *cur, uint64_t doc) {
  const uint64_t batch = 4096;
  if (doc < cur->rows_kept || doc - cur->rows_kept < batch)
    return;
  const q_section *rows = &cur->corpus->sec[QS_DOCS];
  q_release(cur->corpus, rows->offset + cur->rows_kept * QF_ROW,
            (doc - cur->rows_kept) * QF_ROW);
  cur->rows_kept = doc;
}

/* The block tables' records, which a walk also reads once and in order
 * (96 bytes a block, 7.8 MB for the 81,000 blocks of a million documents),
 * are let go of the same way, every 2,048 blocks. */
static void release_blocks_behind(quire_cursor *cur, uint64_t block) {
  const uint64_t batch = 2048;
  if (block < cur->blocks_kept || block - cur->blocks_kept < batch)
    return;
  static const int tables[2] = {QS_BLOCKS, QS_META_BLOCKS};
  for (int i = 0; i < 2; i++) {
    const q_section *table = &cur->corpus->sec[tables[i]];
    q_release(cur->corpus, table->offset + cur->blocks_kept * table->width,
              (block - cur->blocks_kept) * table->width);
  }
  cur->blocks_kept = block;
}

static int has_terms(quire_cursor *cur);

int quire_cursor_next(quire_cursor *cur) {
  if (!cur)
    return QUIRE_EINVAL;
  if (!cur->corpus)
    return q_fail(cur->msg, QUIRE_ESTATE, "cursor failed to open");
  for (;;) {
    if (cur->done)
      return QUIRE_DONE;
    uint64_t doc = next_match(cur, cur->next);
    if (doc >= cur->corpus->docs) {
      cur->done = 1;
      cur->has_row = 0;
      return QUIRE_DONE;
    }
    cur->next = doc + 1;
    release_rows_behind(cur, doc);
    int status = load_row(cur, doc);
    if (status == QUIRE_ROW)
      release_blocks_behind(cur, cur->block);
    if (status != QUIRE_ROW || !cur->terms || cur->postings == Q_POSTINGS_EXACT)
      return status;
    uint64_t first, end;
    if (!wsum_may(cur, cur->block) &&
        block_docs(cur, cur->block, &first, &end) && doc >= first &&
        doc < end) {
      cur->next = end; /* no document of this block holds the terms */
      cur->has_row = 0;
      continue;
    }
    /* The sources and dates select a candidate; its words decide. */
    status = has_terms(cur);
    if (status < 0)
      cur->has_row = 0;
    if (status != 0)
      return status < 0 ? status : QUIRE_ROW;
  }
}

int quire_cursor_seek(quire_cursor *cur, uint64_t doc) {
  if (!cur)
    return QUIRE_EINVAL;
  if (!cur->corpus)
    return q_fail(cur->msg, QUIRE_ESTATE, "cursor failed to open");
  if (doc >= cur->corpus->docs)
    return q_fail(
        cur->msg, QUIRE_ENOTFOUND, "no document %llu: the corpus has %llu",
        (unsigned long long)doc, (unsigned long long)cur->corpus->docs);
  cur->done = 0;
  cur->next = doc + 1;
  return load_row(cur, doc);
}

uint64_t quire_cursor_doc(const quire_cursor *cur) {
  return cur && cur->has_row ? cur->doc : 0;
}

int64_t quire_cursor_date(const quire_cursor *cur) {
  return cur && cur->has_row ? cur->date.seconds : QUIRE_NO_DATE;
}

int quire_cursor_date_precision(const quire_cursor *cur) {
  return cur && cur->has_row ? cur->date.precision : QUIRE_DATE_NONE;
}

int64_t quire_cursor_source_id(const quire_cursor *cur) {
  if (!cur || !cur->has_row || cur->source == QF_NO_SOURCE)
    return -1;
  return cur->source;
}

uint64_t quire_cursor_text_length(const quire_cursor *cur) {
  return cur && cur->has_row ? cur->length : 0;
}

const char *quire_cursor_errmsg(const quire_cursor *cur) {
  return cur ? cur->msg : "cursor is NULL";
}

/* ---- fields
 * ------------------------------------------------------------------- */

static int check_in_block(quire_cursor *cur, const uint8_t *rec,
                          const char *what) {
  uint32_t first = ld32(rec + QB_FIRST_DOC), docs = ld32(rec + QB_DOCS);
  if (cur->doc < first || cur->doc - first >= docs)
    return q_damage(cur->corpus, cur->msg, "document %llu: %s does not hold it",
                    (unsigned long long)cur->doc, what);
  return QUIRE_OK;
}

int q_cursor_read_ahead(quire_cursor *cur, int kinds) {
  if (!cur || !cur->corpus)
    return QUIRE_EINVAL;
  cur->ahead_wanted |= kinds & (Q_AHEAD_TEXT | Q_AHEAD_META);
  return QUIRE_OK;
}

/* The text block of the first match after the documents of block rec, or
 * -1 when there is none (or its row cannot be read: the cursor will report
 * that when it gets there). */
static int64_t block_after(quire_cursor *cur, const uint8_t *rec) {
  uint64_t end = (uint64_t)ld32(rec + QB_FIRST_DOC) + ld32(rec + QB_DOCS);
  /* Blocks the word summaries rule out are passed over, a bounded number
   * of them: the cursor will pass them over too. */
  for (int tries = 0; tries < 1024; tries++) {
    uint64_t doc = next_match(cur, end);
    if (doc >= cur->corpus->docs)
      return -1;
    char msg[Q_MSG_CAP];
    const uint8_t *row = q_record(cur->corpus, QS_DOCS, doc, msg);
    if (!row)
      return -1;
    uint32_t block = ld32(row + QD_BLOCK);
    if (block >= cur->corpus->blocks)
      return -1;
    uint64_t first, block_end;
    if (wsum_may(cur, block) || !block_docs(cur, block, &first, &block_end) ||
        block_end <= doc)
      return block;
    end = block_end;
  }
  return -1;
}

/* Helpers pay for their start (a thread is 35 us to create and join, then
 * their inflaters' memory and the wake-ups) only over more work than a
 * short selection holds: a 64 KiB text block inflates in about 60 us, a
 * metadata block of 2 KiB in 3. So they start when enough blocks of their
 * kind follow the one being loaded: ahead_worth[kind] of them, or two or
 * more holding AHEAD_WORTH_BYTES uncompressed; a selection of a few blocks
 * runs on the caller's thread. Counting blocks alone kept the helpers off
 * the few large metadata blocks of the scan layout (48 of 33 KiB at 10k:
 * every metadata column took 2.4 ms on one thread, 1.9 ms with a helper).
 * For metadata the wake-ups and the lock cost about what the inflating
 * does: source, date and title of 1,500 documents (130 blocks) took 2.5 ms
 * with helpers and 1.5 ms without; with every metadata column they gain
 * from about a thousand blocks on (100k documents: 34 ms alone, 24 ms
 * with them). */
static const unsigned ahead_worth[2] = {8, 256};
#define AHEAD_WORTH_BYTES ((uint64_t)512 << 10)

/* Whether the blocks of the kind that follow block rec in the walk are
 * worth starting helpers for. */
static int worth_helpers(quire_cursor *cur, int kind, const uint8_t *rec) {
  int sec = kind == 0 ? QS_BLOCKS : QS_META_BLOCKS;
  uint64_t bytes = 0;
  unsigned n = 0;
  while (n < ahead_worth[kind] && (n < 2 || bytes < AHEAD_WORTH_BYTES)) {
    int64_t next = rec ? block_after(cur, rec) : -1;
    rec = next < 0 ? NULL : q_record(cur->corpus, sec, (uint64_t)next, NULL);
    if (!rec)
      return 0;
    bytes += ld32(rec + QB_USIZE);
    n++;
  }
  return 1;
}

/* The helpers of this kind, started if they are wanted and worth it when
 * the cursor loads block rec; NULL when there are none (or they could not
 * start: they only ever save time). */
static q_ahead *helpers_for(quire_cursor *cur, int kind, const uint8_t *rec) {
  q_ahead **ahead = kind == 0 ? &cur->ahead : &cur->meta_ahead;
  int bit = kind == 0 ? Q_AHEAD_TEXT : Q_AHEAD_META;
  if (*ahead || !(cur->ahead_wanted & bit))
    return *ahead;
  /* Decided once, at the first block of the kind: a walk moves forward,
   * so fewer blocks follow each later one. */
  cur->ahead_wanted &= ~bit;
  if (!worth_helpers(cur, kind, rec))
    return NULL;
  *(kind == 0 ? &cur->ahead_last : &cur->meta_ahead_last) = -1;
  if (q_ahead_start(ahead, cur->corpus, kind, Q_AHEAD_ANY_HELPERS) != QUIRE_OK)
    *ahead = NULL;
  return *ahead;
}

/* Queues on helpers of the given kind the blocks the cursor will need
 * after block rec (the current one, or *last, the last queued), as many as
 * the queue wants now, in one request. A metadata block has the number,
 * and its record the documents, of its text block. */
static void fill_ahead(quire_cursor *cur, q_ahead *ahead, int64_t *last,
                       int kind, const uint8_t *rec) {
  uint32_t blocks[Q_AHEAD_MAX_WANTS], sizes[Q_AHEAD_MAX_WANTS];
  unsigned wants = q_ahead_wants(ahead), n = 0;
  if (wants == 0)
    return;
  int sec = kind == 0 ? QS_BLOCKS : QS_META_BLOCKS;
  if (*last >= 0)
    rec = q_record(cur->corpus, sec, (uint64_t)*last, NULL);
  int walk_ends = 0; /* the walk's last block is among them */
  while (rec && n < wants) {
    int64_t next = block_after(cur, rec);
    rec = next < 0 ? NULL : q_record(cur->corpus, sec, (uint64_t)next, NULL);
    if (!rec) {
      walk_ends = 1;
      break;
    }
    blocks[n] = (uint32_t)next;
    sizes[n++] = ld32(rec + QB_USIZE);
  }
  unsigned queued =
      n || walk_ends ? q_ahead_request(ahead, blocks, sizes, n, walk_ends) : 0;
  if (queued)
    *last = blocks[queued - 1];
}

/* The inflater the cursor lends its helpers' queue of the given kind, to
 * inflate itself a block no helper has started (q_ahead_take()): for
 * metadata blocks only. A text block would fill a window of the cursor's
 * inflater with the text dictionary (up to 1 MiB more for every stream
 * that reads text ahead, codec.c), and a text helper starting late (up to
 * 2.4 ms on a VM, ANALYSIS.md, "Helpers the kernel runs late") costs a
 * read of every column at 10k (32 ms) less than a tenth, not most of it. */
static q_inflater *lent_inflater(quire_cursor *cur, int kind) {
  return kind == 1 ? cur->inflater : NULL;
}

/* Whether the cursor, waiting for a block of the given kind, may also
 * inflate the blocks queued after it and spin (q_ahead_take()): not with
 * text helpers as well, whose cores those are; a cursor working or
 * spinning beside them slowed a read of every column by a fifth. */
static int may_share(const quire_cursor *cur, int kind) {
  int text_helpers = cur->ahead || (cur->ahead_wanted & Q_AHEAD_TEXT);
  return kind == 1 && !text_helpers;
}

/* Inflates the current document's block of the given kind into *into, or
 * takes it from the helpers, and queues the blocks after it; rec is its
 * record. */
static int load_block(quire_cursor *cur, int kind, const uint8_t *rec,
                      q_buf *into) {
  q_ahead *ahead = helpers_for(cur, kind, rec);
  int64_t *last = kind == 0 ? &cur->ahead_last : &cur->meta_ahead_last;
  int status = Q_AHEAD_NOT_HELD;
  if (ahead) {
    status = q_ahead_take(ahead, cur->block, lent_inflater(cur, kind),
                          may_share(cur, kind), into, cur->msg);
    if (status == Q_AHEAD_NOT_HELD) /* the queue is empty: start afresh */
      *last = -1;
    fill_ahead(cur, ahead, last, kind, rec);
  }
  if (status == Q_AHEAD_NOT_HELD)
    status = q_block_load(cur->corpus, kind, cur->block, cur->inflater, into,
                          cur->msg);
  return status;
}

static int text_field(quire_cursor *cur, const char **data, size_t *len) {
  const quire_corpus *c = cur->corpus;
  if (cur->text_block != (int64_t)cur->block) {
    cur->text_block = -1;
    const uint8_t *rec = q_record(c, QS_BLOCKS, cur->block, cur->msg);
    if (!rec || check_in_block(cur, rec, "its text block") != QUIRE_OK)
      return QUIRE_ECORRUPT;
    int status = load_block(cur, 0, rec, &cur->text);
    if (status != QUIRE_OK)
      return status;
    cur->text_block = cur->block;
  }
  /* Every text is followed by a NUL in its block, so it is returned in
   * place, NUL-terminated, without a copy. */
  if (cur->offset > cur->text.len ||
      cur->length >= cur->text.len - cur->offset ||
      cur->text.data[cur->offset + cur->length] != '\0')
    return q_damage(c, cur->msg, "document %llu: text lies outside its block",
                    (unsigned long long)cur->doc);
  *data = cur->text.data + cur->offset;
  *len = cur->length;
  return QUIRE_OK;
}

static int meta_outside_block(quire_cursor *cur) {
  return q_damage(cur->corpus, cur->msg,
                  "document %llu: metadata lies outside its block",
                  (unsigned long long)cur->doc);
}

/* Points cur->meta_fields at the current document's title, author and url,
 * in its inflated metadata block; done once a document. */
static int meta_fields(quire_cursor *cur) {
  if (cur->meta_ready)
    return QUIRE_OK;
  const quire_corpus *c = cur->corpus;
  if (cur->meta_block_loaded != (int64_t)cur->block) {
    cur->meta_block_loaded = -1;
    const uint8_t *rec = q_record(c, QS_META_BLOCKS, cur->block, cur->msg);
    if (!rec || check_in_block(cur, rec, "its metadata block") != QUIRE_OK)
      return QUIRE_ECORRUPT;
    int status = load_block(cur, 1, rec, &cur->meta);
    if (status != QUIRE_OK)
      return status;
    cur->meta_block_loaded = cur->block;
  }
  size_t size = cur->meta.len, at = cur->meta_offset;
  if (at > size || size - at < QF_META_HEAD)
    return meta_outside_block(cur);
  const uint8_t *head = (const uint8_t *)cur->meta.data + at;
  at += QF_META_HEAD;
  static const int len_at[3] = {QM_TITLE_LEN, QM_AUTHOR_LEN, QM_URL_LEN};
  for (int i = 0; i < 3; i++) {
    uint32_t n = ld32(head + len_at[i]);
    if (n >= size - at || cur->meta.data[at + n] != '\0')
      return meta_outside_block(cur);
    cur->meta_fields[i] = cur->meta.data + at;
    cur->meta_lens[i] = n;
    at += n + 1; /* each string is followed by a NUL */
  }
  cur->meta_ready = 1;
  return QUIRE_OK;
}

static int no_current_document(quire_cursor *cur) {
  return q_fail(cur->msg, QUIRE_EINVAL, "no current document");
}

const q_date *q_cursor_date_parts(const quire_cursor *cur) {
  return cur && cur->has_row ? &cur->date : NULL;
}

int q_cursor_meta(quire_cursor *cur, const char *data[3], size_t lens[3]) {
  if (!cur->has_row)
    return no_current_document(cur);
  int status = meta_fields(cur);
  if (status != QUIRE_OK)
    return status;
  for (int i = 0; i < 3; i++) {
    data[i] = cur->meta_fields[i];
    lens[i] = cur->meta_lens[i];
  }
  return QUIRE_OK;
}

int quire_cursor_field(quire_cursor *cur, int field, const char **data,
                       size_t *len) {
  if (!cur || !data || !len)
    return QUIRE_EINVAL;
  if (!cur->has_row)
    return no_current_document(cur);
  const quire_corpus *c = cur->corpus;
  int status;
  switch (field) {
  case QUIRE_FIELD_ID:
    *len = (size_t)snprintf(cur->id_text, sizeof cur->id_text, "%" PRIu64,
                            cur->doc);
    *data = cur->id_text;
    return QUIRE_OK;
  case QUIRE_FIELD_DATE:
    *len = q_date_format(&cur->date, cur->date_text, sizeof cur->date_text);
    if (*len == 0 && cur->date.precision != QUIRE_DATE_NONE)
      return q_damage(c, cur->msg, "document %llu: date is out of range",
                      (unsigned long long)cur->doc);
    cur->date_text[*len] = '\0';
    *data = cur->date_text;
    return QUIRE_OK;
  case QUIRE_FIELD_SOURCE:
    if (cur->source == QF_NO_SOURCE) {
      *data = "";
      *len = 0;
      return QUIRE_OK;
    }
    status = quire_corpus_source(c, cur->source, data, len, NULL);
    if (status != QUIRE_OK)
      return q_fail(cur->msg, status, "%s", quire_corpus_errmsg(c));
    return QUIRE_OK;
  case QUIRE_FIELD_TITLE:
  case QUIRE_FIELD_AUTHOR:
  case QUIRE_FIELD_URL:
    if ((status = meta_fields(cur)) != QUIRE_OK)
      return status;
    *data = cur->meta_fields[field - QUIRE_FIELD_TITLE];
    *len = cur->meta_lens[field - QUIRE_FIELD_TITLE];
    return QUIRE_OK;
  case QUIRE_FIELD_TEXT:
    return text_field(cur, data, len);
  default:
    return q_fail(cur->msg, QUIRE_EINVAL, "unknown field %d", field);
  }
}

/* ---- terms ------------------------------------------------------------------
 */

/* Whether the current document holds the cursor's terms: 1, 0, or a
 * negative status. The title comes first: when it settles the question the
 * text block is not inflated. */
static int has_terms(quire_cursor *cur) {
  const char *data;
  size_t len;
  q_terms_begin(cur->terms);
  int status = quire_cursor_field(cur, QUIRE_FIELD_TITLE, &data, &len);
  if (status != QUIRE_OK)
    return status;
  if (q_terms_feed(cur->terms, data, len))
    return 1;
  status = quire_cursor_field(cur, QUIRE_FIELD_TEXT, &data, &len);
  if (status != QUIRE_OK)
    return status;
  return q_terms_feed(cur->terms, data, len);
}

int q_count_terms(const quire_corpus *c, const quire_filter *f,
                  uint64_t *count) {
  quire_cursor *cur = NULL;
  int status = quire_cursor_open(c, f, &cur);
  uint64_t n = 0;
  if (status == QUIRE_OK && cur->postings == Q_POSTINGS_EXACT) {
    /* The postings' bitmap is the answer, as the indexes' is for a
     * filter without terms: no row need be read. */
    for (uint64_t i = 0; i <= c->docs / 64; i++)
      n += (uint64_t)__builtin_popcountll(cur->matches[i]);
    quire_cursor_free(cur);
    *count = n;
    return QUIRE_OK;
  }
  /* A helper thread inflating ahead pays when most candidate blocks are
   * read; when word summaries or postings rule blocks out, the few left are
   * read faster without waiting on another thread. */
  if (status == QUIRE_OK && !cur->wsum && cur->postings == Q_POSTINGS_UNUSED)
    status = q_cursor_read_ahead(cur, Q_AHEAD_TEXT | Q_AHEAD_META);
  while (status == QUIRE_OK && (status = quire_cursor_next(cur)) == QUIRE_ROW) {
    n++;
    status = QUIRE_OK;
  }
  quire_cursor_free(cur);
  if (status != QUIRE_DONE)
    return status;
  *count = n;
  return QUIRE_OK;
}

int q_cursor_step(quire_cursor *cur, char *msg) {
  int status = quire_cursor_next(cur);
  if (status != QUIRE_ROW && status != QUIRE_DONE)
    q_fail(msg, status, "%s", quire_cursor_errmsg(cur));
  return status;
}
