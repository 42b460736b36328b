/*
 * fuzz_corpus.c: opens an arbitrary byte buffer as a corpus and does
 * everything a reader can do with it: counts, sources, filters, every field
 * of every document, seeks, verify, and both CSV dialects to a callback.
 *
 * The first input byte is a mode; the rest is the file. With mode bits set,
 * the harness first rewrites the file's checksums (hd_fix_checksums), as a
 * hostile writer would, so that mutations reach the parsing behind the
 * CRC checks instead of stopping at them.
 *
 * Then it merges the corpus with itself (quire_writer_add_corpus(), in the
 * order and with the duplicate detection the mode bits pick) into a file
 * under $TMPDIR.
 *
 * Filters with terms (the words of the first title, one by one and as
 * any-of terms) reach the word summaries and postings.
 *
 * Besides the sanitizers, the harness checks the API's promises: statuses
 * from the documented set, a message with every failure, NUL-terminated
 * fields, counts that agree with iteration, and a merge of a whole corpus
 * that is whole and holds every document twice (once with dedup).
 */
#ifndef QUIRE_FUZZ_CORPUS_C /* fuzz_dict.c includes this file too */
#define QUIRE_FUZZ_CORPUS_C
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"

/* Caps the work per input; the file may claim millions of documents. */
#define MAX_DOCS 4096

static int discard(void *ctx, const char *data, size_t len) {
  (void)data;
  *(size_t *)ctx += len;
  return 0;
}

static int clean(int status) {
  return status == QUIRE_OK || status == QUIRE_ECORRUPT;
}

/* Reads every field of the documents a filter selects. */
static void iterate(const quire_corpus *c, const quire_filter *f) {
  quire_cursor *cur;
  int status = quire_cursor_open(c, f, &cur);
  HD_CHECK(clean(status));
  if (status != QUIRE_OK) {
    HD_CHECK(quire_cursor_errmsg(cur)[0] != '\0');
    quire_cursor_free(cur);
    return;
  }
  uint64_t rows = 0;
  int step;
  while ((step = quire_cursor_next(cur)) != QUIRE_DONE && rows < MAX_DOCS) {
    rows++;
    HD_CHECK(step == QUIRE_ROW || step == QUIRE_ECORRUPT);
    if (step != QUIRE_ROW) {
      HD_CHECK(quire_cursor_errmsg(cur)[0] != '\0');
      continue;
    }
    HD_CHECK(quire_cursor_doc(cur) < quire_corpus_doc_count(c));
    for (int field = QUIRE_FIELD_ID; field <= QUIRE_FIELD_TEXT; field++) {
      const char *data;
      size_t len;
      status = quire_cursor_field(cur, field, &data, &len);
      HD_CHECK(clean(status));
      if (status == QUIRE_OK)
        HD_CHECK(data[len] == '\0');
      else
        HD_CHECK(quire_cursor_errmsg(cur)[0] != '\0');
      if (status == QUIRE_OK && field == QUIRE_FIELD_TEXT)
        HD_CHECK(len == quire_cursor_text_length(cur));
    }
  }
  quire_cursor_free(cur);
}

static void seek_some(const quire_corpus *c) {
  quire_cursor *cur;
  if (quire_cursor_open(c, NULL, &cur) != QUIRE_OK) {
    quire_cursor_free(cur);
    return;
  }
  uint64_t n = quire_corpus_doc_count(c);
  uint64_t picks[] = {n - 1, n / 2, 0, n, UINT64_MAX};
  for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
    int status = quire_cursor_seek(cur, picks[i]);
    HD_CHECK(status == QUIRE_ROW || status == QUIRE_ECORRUPT ||
             status == QUIRE_ENOTFOUND);
    HD_CHECK((status == QUIRE_ENOTFOUND) == (picks[i] >= n));
    if (status == QUIRE_ROW) {
      const char *data;
      size_t len;
      HD_CHECK(clean(quire_cursor_field(cur, QUIRE_FIELD_TITLE, &data, &len)));
      /* next() goes on after the sought document. */
      status = quire_cursor_next(cur);
      HD_CHECK(status == QUIRE_ROW || status == QUIRE_DONE ||
               status == QUIRE_ECORRUPT);
    }
  }
  quire_cursor_free(cur);
}

static void export_all(const quire_corpus *c, const quire_filter *f,
                       int dialect) {
  if (quire_corpus_doc_count(c) > MAX_DOCS)
    return;
  quire_export *exp;
  HD_CHECK(quire_export_new(c, &exp) == QUIRE_OK);
  HD_CHECK(quire_export_set_filter(exp, f) == QUIRE_OK);
  HD_CHECK(quire_export_set_dialect(exp, dialect) == QUIRE_OK);
  size_t bytes = 0;
  int status = quire_export_to_callback(exp, discard, &bytes);
  HD_CHECK(clean(status));
  if (status != QUIRE_OK)
    HD_CHECK(quire_export_errmsg(exp)[0] != '\0');
  quire_export_free(exp);
}

static quire_filter *filter_from(const quire_corpus *c, uint8_t mode) {
  quire_filter *f;
  HD_CHECK(quire_filter_new(&f) == QUIRE_OK);
  /* Filters name sources the file has (the first two) and one it lacks. */
  for (uint64_t s = 0; s < 2 && s < quire_corpus_source_count(c); s++) {
    const char *name;
    size_t len;
    if (quire_corpus_source(c, s, &name, &len, NULL) == QUIRE_OK)
      HD_CHECK(quire_filter_add_source(f, name, len) == QUIRE_OK);
  }
  if (mode & 0x10)
    quire_filter_add_source(f, "no such source", 14);
  if (mode & 0x20)
    quire_filter_set_from(f, "2000", 4);
  if (mode & 0x40)
    quire_filter_set_to(f, "2017-05-08T09:22Z", 17);
  quire_filter_set_undated(f, (mode >> 3) % 3);
  return f;
}

/* Counts and walks the documents of terms taken from the first title:
 * each of its first words alone, then all of them as any-of terms. */
static void explore_terms(const quire_corpus *c) {
  quire_cursor *cur;
  const char *title;
  size_t len;
  if (quire_cursor_open(c, NULL, &cur) != QUIRE_OK ||
      quire_cursor_next(cur) != QUIRE_ROW ||
      quire_cursor_field(cur, QUIRE_FIELD_TITLE, &title, &len) != QUIRE_OK) {
    quire_cursor_free(cur);
    return;
  }
  quire_filter *any;
  HD_CHECK(quire_filter_new(&any) == QUIRE_OK);
  size_t at = 0;
  for (int words = 0; words < 4 && at < len; words++) {
    size_t end = at;
    while (end < len && title[end] != ' ')
      end++;
    quire_filter *one;
    HD_CHECK(quire_filter_new(&one) == QUIRE_OK);
    if (quire_filter_add_term(one, title + at, end - at) == QUIRE_OK) {
      uint64_t count;
      HD_CHECK(clean(quire_corpus_count_matches(c, one, &count)));
      if (quire_corpus_doc_count(c) <= MAX_DOCS)
        iterate(c, one);
      quire_filter_add_any_term(any, title + at, end - at);
    }
    quire_filter_free(one);
    at = end + 1;
  }
  uint64_t count;
  HD_CHECK(clean(quire_corpus_count_matches(c, any, &count)));
  quire_filter_free(any);
  quire_cursor_free(cur);
}

/* Merges c with itself into a temporary file. whole: c verified whole, so
 * a merge that succeeds must be whole too, with every document. */
static void merge_twice(const quire_corpus *c, uint8_t mode, int whole) {
  char path[256];
  const char *tmp = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/quire-fuzz-merge-%ld.quire",
           tmp && *tmp ? tmp : "/tmp", (long)getpid());
  quire_writer *w;
  HD_CHECK(quire_writer_open(path, &w) == QUIRE_OK);
  HD_CHECK(quire_writer_set_threads(w, 1) == QUIRE_OK);
  HD_CHECK(quire_writer_set_order(w, mode & 0x20
                                         ? QUIRE_ORDER_INPUT
                                         : QUIRE_ORDER_CLUSTERED) == QUIRE_OK);
  int dedup = mode & 0x80;
  if (dedup)
    HD_CHECK(quire_writer_set_dedup(w, QUIRE_DUP_URL | QUIRE_DUP_TEXT, 0) ==
             QUIRE_OK);
  int status = quire_writer_add_corpus(w, c);
  if (status == QUIRE_OK)
    status = quire_writer_add_corpus(w, c);
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  HD_CHECK(clean(status));
  if (status != QUIRE_OK)
    HD_CHECK(quire_writer_errmsg(w)[0] != '\0');
  /* With dedup, documents of blocks that lost a duplicate are added again
   * and checked as new ones: text that is not UTF-8, which verify does not
   * look for, fails the merge. */
  HD_CHECK(!whole || dedup || status == QUIRE_OK);
  uint64_t dropped = quire_writer_dropped(w);
  quire_writer_free(w);
  if (status != QUIRE_OK) {
    HD_CHECK(access(path, F_OK) != 0); /* nothing half-written */
    return;
  }
  quire_corpus *m;
  HD_CHECK(quire_corpus_open(path, &m) == QUIRE_OK);
  uint64_t docs = quire_corpus_doc_count(c);
  HD_CHECK(quire_corpus_doc_count(m) + dropped == 2 * docs);
  if (whole) {
    uint64_t damaged = 1;
    HD_CHECK(quire_corpus_verify(m, &damaged, NULL, NULL) == QUIRE_OK);
  }
  quire_corpus_free(m);
  unlink(path);
}

static void explore(const quire_corpus *c, uint8_t mode) {
  uint64_t docs = quire_corpus_doc_count(c);
  HD_CHECK(quire_corpus_undated_count(c) <= docs);
  int64_t first, last;
  int status = quire_corpus_date_span(c, &first, &last);
  HD_CHECK(status == QUIRE_OK || status == QUIRE_ENOTFOUND);
  for (uint64_t s = 0; s < quire_corpus_source_count(c) && s < 64; s++) {
    const char *name;
    size_t len;
    status = quire_corpus_source(c, s, &name, &len, NULL);
    HD_CHECK(clean(status));
    if (status == QUIRE_OK)
      HD_CHECK(name[len] == '\0');
  }
  quire_filter *f = filter_from(c, mode);
  uint64_t count;
  HD_CHECK(clean(quire_corpus_count_matches(c, NULL, &count)));
  HD_CHECK(clean(quire_corpus_count_matches(c, f, &count)));
  if (docs <= MAX_DOCS) {
    iterate(c, NULL);
    iterate(c, f);
  }
  seek_some(c);
  explore_terms(c);
  export_all(c, f, QUIRE_CSV_PLAIN);
  export_all(c, NULL, QUIRE_CSV_EXCEL);
  uint64_t damaged = 0;
  size_t report = 0;
  status = quire_corpus_verify(c, &damaged, discard, &report);
  HD_CHECK(clean(status));
  HD_CHECK((status == QUIRE_OK) == (damaged == 0));
  quire_filter_free(f);
  if (docs <= MAX_DOCS)
    merge_twice(c, mode, damaged == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t mode;
  size_t len;
  uint8_t *bytes = hd_fuzz_input(data, size, &mode, &len);
  if (!bytes)
    return 0;
  hd_fix_checksums(bytes, len, mode & 7);
  quire_corpus *c;
  int status = quire_corpus_open_buffer(bytes, len, &c);
  HD_CHECK(status == QUIRE_OK || status == QUIRE_ECORRUPT ||
           status == QUIRE_ENOTQUIRE || status == QUIRE_EVERSION);
  if (status == QUIRE_OK)
    explore(c, mode);
  else
    HD_CHECK(quire_corpus_errmsg(c)[0] != '\0' &&
             quire_corpus_doc_count(c) == 0);
  quire_corpus_free(c);
  free(bytes);
  return 0;
}
#endif
