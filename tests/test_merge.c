/*
 * test_merge.c: quire_writer_add_corpus() (merge) and
 * quire_writer_open_append() (append): the documents come out exactly as
 * they went in, blocks are copied rather than recompressed, filters and
 * word summaries answer as on the inputs, duplicates are dropped, damage
 * and misuse are refused. The kills are in test_crash.c.
 */
#define _GNU_SOURCE /* memmem() */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"
#include "quire.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

/* One document as text: its six fields joined by a byte that never occurs
 * in them (0x01). */
static char *doc_line(quire_cursor *cur) {
  static const int fields[] = {QUIRE_FIELD_SOURCE, QUIRE_FIELD_DATE,
                               QUIRE_FIELD_TITLE,  QUIRE_FIELD_AUTHOR,
                               QUIRE_FIELD_URL,    QUIRE_FIELD_TEXT};
  hd_bytes line = {0};
  for (int i = 0; i < 6; i++) {
    const char *data;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, fields[i], &data, &len), QUIRE_OK);
    hd_bytes_put(&line, data, len);
    hd_bytes_put(&line, "\x01", 1);
  }
  hd_bytes_put(&line, "", 1);
  return line.data;
}

typedef struct doc_list {
  char **lines;
  size_t count, cap;
} doc_list;

/* Appends every document of the corpus at path (through filter, may be
 * NULL) to list, in document order. */
static void read_docs(const char *path, const quire_filter *filter,
                      doc_list *list) {
  quire_corpus *c;
  quire_cursor *cur;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK, "%s", path);
  cr_assert_eq(quire_cursor_open(c, filter, &cur), QUIRE_OK);
  int status;
  while ((status = quire_cursor_next(cur)) == QUIRE_ROW) {
    if (list->count == list->cap) {
      list->cap = list->cap ? list->cap * 2 : 64;
      list->lines = realloc(list->lines, list->cap * sizeof *list->lines);
      cr_assert_not_null(list->lines);
    }
    list->lines[list->count++] = doc_line(cur);
  }
  cr_assert_eq(status, QUIRE_DONE, "%s", quire_cursor_errmsg(cur));
  quire_cursor_free(cur);
  quire_corpus_free(c);
}

static void free_docs(doc_list *list) {
  for (size_t i = 0; i < list->count; i++)
    free(list->lines[i]);
  free(list->lines);
  memset(list, 0, sizeof *list);
}

static int compare_lines(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts that two lists hold the same documents, in any order when
 * sorted is set, else in the same order. */
static void assert_same_docs(doc_list *a, doc_list *b, int sorted,
                             const char *what) {
  cr_assert_eq(a->count, b->count, "%s: %zu documents, expected %zu", what,
               a->count, b->count);
  if (sorted) {
    qsort(a->lines, a->count, sizeof *a->lines, compare_lines);
    qsort(b->lines, b->count, sizeof *b->lines, compare_lines);
  }
  for (size_t i = 0; i < a->count; i++)
    cr_assert_str_eq(a->lines[i], b->lines[i], "%s: document %zu differs", what,
                     i);
}

/* Asserts that the corpus at out holds the documents of the count corpora
 * at paths: in their order one after the other, or in any order when
 * sorted is set. */
static void assert_holds(const char *out, const char *const *paths, int count,
                         int sorted, const char *what) {
  doc_list got = {0}, want = {0};
  read_docs(out, NULL, &got);
  for (int i = 0; i < count; i++)
    read_docs(paths[i], NULL, &want);
  assert_same_docs(&got, &want, sorted, what);
  free_docs(&got);
  free_docs(&want);
}

/* Writes a generated corpus; codec QUIRE_CODEC_* and order as given. */
static void write_corpus(const char *path, size_t n, uint64_t seed, int codec,
                         int order) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_codec(w, codec), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, order), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 16u << 10), QUIRE_OK);
  for (size_t i = 0; i < n; i++) {
    hd_doc d;
    hd_make_doc(seed, i, &d);
    cr_assert_eq(hd_add(w, &d), QUIRE_OK, "%s", quire_writer_errmsg(w));
    hd_doc_free(&d);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
}

/* Merges the corpora at paths into out; returns the documents dropped. */
static uint64_t merge(const char *out, const char *const *paths, int count,
                      int order, int dedup) {
  quire_corpus *c[8];
  quire_writer *w;
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, order), QUIRE_OK);
  if (dedup)
    cr_assert_eq(quire_writer_set_dedup(w, dedup, 0), QUIRE_OK);
  for (int i = 0; i < count; i++) {
    cr_assert_eq(quire_corpus_open(paths[i], &c[i]), QUIRE_OK);
    cr_assert_eq(quire_writer_add_corpus(w, c[i]), QUIRE_OK, "%s",
                 quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  uint64_t dropped = quire_writer_dropped(w);
  quire_writer_free(w);
  for (int i = 0; i < count; i++)
    quire_corpus_free(c[i]);
  return dropped;
}

static uint64_t count_matching(const char *path, const quire_filter *f) {
  quire_corpus *c;
  uint64_t n = 0;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_eq(quire_corpus_count_matches(c, f, &n), QUIRE_OK);
  quire_corpus_free(c);
  return n;
}

static void assert_whole(const char *path) {
  quire_corpus *c;
  uint64_t damaged = 1;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_OK);
  cr_assert_eq(damaged, 0);
  quire_corpus_free(c);
}

static uint64_t dictionaries(const char *path) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  uint64_t n = quire_corpus_dictionary_count(c);
  quire_corpus_free(c);
  return n;
}

/* Three inputs of every kind: zstd clustered, DEFLATE in input order
 * (format 1.0's layout), zstd in input order. */
static void make_inputs(char paths[3][512]) {
  tu_tmp_path(paths[0], 512, "merge-a.quire");
  tu_tmp_path(paths[1], 512, "merge-b.quire");
  tu_tmp_path(paths[2], 512, "merge-c.quire");
  write_corpus(paths[0], 900, 1, QUIRE_CODEC_ZSTD, QUIRE_ORDER_CLUSTERED);
  write_corpus(paths[1], 500, 2, QUIRE_CODEC_DEFLATE, QUIRE_ORDER_INPUT);
  write_corpus(paths[2], 700, 3, QUIRE_CODEC_ZSTD, QUIRE_ORDER_INPUT);
}

/* ---- merge ----------------------------------------------------------------
 */

Test(merge, clustered_merge_holds_every_document_once) {
  char in[3][512], out[512];
  make_inputs(in);
  tu_tmp_path(out, sizeof out, "merged.quire");
  const char *paths[] = {in[0], in[1], in[2]};
  cr_assert_eq(merge(out, paths, 3, QUIRE_ORDER_CLUSTERED, 0), 0);
  assert_whole(out);
  assert_holds(out, paths, 3, 1, "clustered merge");
  /* Each input's dictionaries came along with its blocks. */
  cr_assert_eq(dictionaries(out),
               dictionaries(in[0]) + dictionaries(in[1]) + dictionaries(in[2]));
  cr_assert_geq(dictionaries(in[0]), 1);
}

Test(merge, keep_order_concatenates_exactly) {
  char in[3][512], out[512];
  make_inputs(in);
  tu_tmp_path(out, sizeof out, "merged-in-order.quire");
  const char *paths[] = {in[1], in[0], in[2]};
  merge(out, paths, 3, QUIRE_ORDER_INPUT, 0);
  assert_holds(out, paths, 3, 0, "merge in input order");
}

/* The merged file's indexes, block statistics and joined word summaries
 * select what the inputs select, filter by filter. */
Test(merge, filters_and_terms_select_what_the_inputs_select) {
  char in[3][512], out[512];
  make_inputs(in);
  tu_tmp_path(out, sizeof out, "merged-filters.quire");
  const char *paths[] = {in[0], in[1], in[2]};
  merge(out, paths, 3, QUIRE_ORDER_CLUSTERED, 0);
  for (int which = 0; which < HD_FILTERS + 3; which++) {
    quire_filter *f;
    if (which < HD_FILTERS) {
      f = hd_make_filter(which);
    } else {
      static const char *const terms[] = {"Kremlin trade", "中国", "naïve"};
      cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
      const char *t = terms[which - HD_FILTERS];
      cr_assert_eq(quire_filter_add_term(f, t, strlen(t)), QUIRE_OK);
    }
    cr_assert_not_null(f);
    doc_list got = {0}, want = {0};
    read_docs(out, f, &got);
    for (int i = 0; i < 3; i++)
      read_docs(in[i], f, &want);
    cr_assert_gt(want.count, 0, "filter %d selects nothing", which);
    assert_same_docs(&got, &want, 1, "filtered merge");
    cr_assert_eq(count_matching(out, f), got.count);
    free_docs(&got);
    free_docs(&want);
    quire_filter_free(f);
  }
}

/* Copying adds only new indexes: the merged file is about the size of its
 * inputs, not of a recompression. */
Test(merge, copies_blocks_instead_of_recompressing) {
  char in[3][512], out[512];
  make_inputs(in);
  tu_tmp_path(out, sizeof out, "merged-size.quire");
  const char *paths[] = {in[0], in[2]};
  merge(out, paths, 2, QUIRE_ORDER_INPUT, 0);
  size_t a, b, m;
  free(tu_read_file(in[0], &a));
  free(tu_read_file(in[2], &b));
  char *merged = tu_read_file(out, &m);
  cr_assert_lt(m, a + b, "merged %zu bytes, inputs %zu", m, a + b);
  cr_assert_gt(m, (a + b) * 9 / 10, "merged %zu bytes, inputs %zu", m, a + b);
  /* The first input's first text and metadata blocks are in the merged
   * file byte for byte. */
  size_t a_len;
  char *first = tu_read_file(in[0], &a_len);
  const uint8_t *footer = (const uint8_t *)first + a_len - QF_FOOTER_SIZE;
  for (int s = QS_BLOCKS; s <= QS_META_BLOCKS; s++) {
    const uint8_t *entry = footer + QFT_SECTIONS + s * QF_SECTION_ENTRY;
    const uint8_t *rec =
        (const uint8_t *)first + ld64(entry + QSE_OFFSET); /* block 0 */
    uint64_t offset = ld64(rec + QB_OFFSET), size = ld32(rec + QB_CSIZE);
    cr_assert_leq(offset + size, a_len);
    cr_assert(memmem(merged, m, first + offset, size) != NULL,
              "%s block 0 was not copied verbatim",
              s == QS_BLOCKS ? "text" : "metadata");
  }
  free(first);
  free(merged);
}

Test(merge, seeds_merged_with_themselves) {
  char seeds[512], out[512], msg[512];
  tu_tmp_path(seeds, sizeof seeds, "merge-seeds.quire");
  int status = hd_pack_seeds(tu_seeds_dir(), seeds, QUIRE_ORDER_INPUT, msg);
  if (status == QUIRE_ENOTFOUND)
    cr_skip_test("no ../shared/seeds");
  cr_assert_eq(status, QUIRE_OK, "%s", msg);
  tu_tmp_path(out, sizeof out, "merge-seeds-twice.quire");
  const char *paths[] = {seeds, seeds};
  merge(out, paths, 2, QUIRE_ORDER_INPUT, 0);
  assert_holds(out, paths, 2, 0, "seeds twice");
  cr_assert_eq(count_matching(out, NULL), 10);
  /* Deduplicated by url and text, the five come back once. */
  cr_assert_eq(merge(out, paths, 2, QUIRE_ORDER_CLUSTERED,
                     QUIRE_DUP_URL | QUIRE_DUP_TEXT),
               5);
  assert_holds(out, paths, 1, 1, "seeds deduplicated");
}

/* A corpus merged with an overlapping one: the second copy of each shared
 * document is dropped, and the blocks that lose one are recompressed. */
Test(merge, dedup_drops_the_second_copy) {
  char a[512], b[512], out[512];
  tu_tmp_path(a, sizeof a, "dedup-a.quire");
  tu_tmp_path(b, sizeof b, "dedup-b.quire");
  tu_tmp_path(out, sizeof out, "dedup-merged.quire");
  write_corpus(a, 400, 11, QUIRE_CODEC_ZSTD, QUIRE_ORDER_INPUT);
  /* b: documents 200..599 of the same generator; 200..399 are shared. */
  quire_writer *w;
  cr_assert_eq(quire_writer_open(b, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  for (size_t i = 200; i < 600; i++) {
    hd_doc d;
    hd_make_doc(11, i, &d);
    cr_assert_eq(hd_add(w, &d), QUIRE_OK);
    hd_doc_free(&d);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  const char *paths[] = {a, b};
  uint64_t dropped = merge(out, paths, 2, QUIRE_ORDER_INPUT, QUIRE_DUP_TEXT);
  /* Generated texts repeat (short and empty ones): count what a pack with
   * the same detection keeps. */
  char ref[512];
  tu_tmp_path(ref, sizeof ref, "dedup-ref.quire");
  cr_assert_eq(quire_writer_open(ref, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_writer_set_dedup(w, QUIRE_DUP_TEXT, 0), QUIRE_OK);
  for (size_t k = 0; k < 800; k++) {
    hd_doc d;
    hd_make_doc(11, k < 400 ? k : k - 200, &d);
    cr_assert_eq(hd_add(w, &d), QUIRE_OK);
    hd_doc_free(&d);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  cr_assert_eq(dropped, quire_writer_dropped(w),
               "merge dropped %llu, pack %llu", (unsigned long long)dropped,
               (unsigned long long)quire_writer_dropped(w));
  cr_assert_geq(dropped, 180); /* empty texts are never duplicates */
  quire_writer_free(w);
  assert_whole(out);
  const char *reference[] = {ref};
  assert_holds(out, reference, 1, 0, "merge with dedup");
}

/* ---- append ---------------------------------------------------------------
 */

static void append_docs(const char *path, size_t from, size_t to, uint64_t seed,
                        int dedup) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open_append(path, &w), QUIRE_OK, "%s",
               w ? quire_writer_errmsg(w) : "");
  if (dedup)
    cr_assert_eq(quire_writer_set_dedup(w, dedup, 0), QUIRE_OK);
  for (size_t i = from; i < to; i++) {
    hd_doc d;
    hd_make_doc(seed, i, &d);
    cr_assert_eq(hd_add(w, &d), QUIRE_OK, "%s", quire_writer_errmsg(w));
    hd_doc_free(&d);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
}

static void check_append(int codec, int order) {
  char path[512], fresh[512];
  tu_tmp_path(path, sizeof path, "append.quire");
  tu_tmp_path(fresh, sizeof fresh, "append-fresh.quire");
  write_corpus(path, 600, 21, codec, order);
  doc_list before = {0};
  read_docs(path, NULL, &before);
  uint64_t dicts = dictionaries(path);
  append_docs(path, 0, 150, 22, 0);
  assert_whole(path);
  doc_list got = {0};
  read_docs(path, NULL, &got);
  cr_assert_eq(got.count, 750);
  /* The old documents keep their numbers and fields. */
  for (size_t i = 0; i < before.count; i++)
    cr_assert_str_eq(got.lines[i], before.lines[i], "old document %zu", i);
  /* The new ones are those given, in the corpus's order. */
  write_corpus(fresh, 150, 22, codec, order);
  doc_list want = {0};
  read_docs(fresh, NULL, &want);
  for (size_t i = 0; i < want.count; i++)
    cr_assert_str_eq(got.lines[600 + i], want.lines[i], "new document %zu", i);
  /* They reuse the corpus's dictionaries and codec. */
  cr_assert_eq(dictionaries(path), dicts);
  quire_corpus *c;
  int got_codec, major, minor;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_eq(quire_corpus_codec(c, &got_codec, NULL, NULL), QUIRE_OK);
  cr_assert_eq(got_codec, codec);
  cr_assert_eq(quire_corpus_format_version(c, &major, &minor), QUIRE_OK);
  quire_corpus_free(c);
  /* A second append keeps all 750 where they are, though the file is no
   * longer clustered as a whole. */
  append_docs(path, 0, 40, 23, 0);
  doc_list again = {0};
  read_docs(path, NULL, &again);
  cr_assert_eq(again.count, 790);
  for (size_t i = 0; i < got.count; i++)
    cr_assert_str_eq(again.lines[i], got.lines[i], "document %zu moved", i);
  free_docs(&again);
  free_docs(&before);
  free_docs(&got);
  free_docs(&want);
}

Test(append, clustered_zstd) {
  check_append(QUIRE_CODEC_ZSTD, 0);
}
Test(append, input_order_deflate) {
  check_append(QUIRE_CODEC_DEFLATE, QUIRE_ORDER_INPUT);
}

/* Appending documents the corpus already holds, with duplicate detection,
 * adds only the new ones. */
Test(append, dedup_against_the_old_documents) {
  char path[512];
  tu_tmp_path(path, sizeof path, "append-dedup.quire");
  write_corpus(path, 300, 31, QUIRE_CODEC_ZSTD, QUIRE_ORDER_INPUT);
  append_docs(path, 0, 300, 31, QUIRE_DUP_URL | QUIRE_DUP_TEXT);
  assert_whole(path);
  /* A pack of both runs with the same detection keeps the same documents
   * (generated texts can be empty, which are never duplicates). */
  char ref[512];
  quire_writer *w;
  tu_tmp_path(ref, sizeof ref, "append-dedup-ref.quire");
  cr_assert_eq(quire_writer_open(ref, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_writer_set_dedup(w, QUIRE_DUP_URL | QUIRE_DUP_TEXT, 0),
               QUIRE_OK);
  for (size_t k = 0; k < 600; k++) {
    hd_doc d;
    hd_make_doc(31, k % 300, &d);
    cr_assert_eq(hd_add(w, &d), QUIRE_OK);
    hd_doc_free(&d);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  cr_assert_geq(quire_writer_dropped(w), 280);
  quire_writer_free(w);
  const char *reference[] = {ref};
  assert_holds(path, reference, 1, 0, "append with dedup");
}

/* An append that is abandoned (closed unfinished) leaves the corpus as it
 * was, byte for byte. */
Test(append, abandoned_append_changes_nothing) {
  char path[512];
  tu_tmp_path(path, sizeof path, "append-abandoned.quire");
  write_corpus(path, 200, 41, QUIRE_CODEC_ZSTD, QUIRE_ORDER_CLUSTERED);
  size_t len;
  char *before = tu_read_file(path, &len);
  quire_writer *w;
  cr_assert_eq(quire_writer_open_append(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_doc_count(w), 200); /* counted from the open */
  hd_doc d;
  hd_make_doc(42, 0, &d);
  cr_assert_eq(hd_add(w, &d), QUIRE_OK);
  cr_assert_eq(quire_writer_doc_count(w), 201);
  hd_doc_free(&d);
  quire_writer_free(w);
  size_t after_len;
  char *after = tu_read_file(path, &after_len);
  cr_assert(hd_same(before, len, after, after_len));
  free(before);
  free(after);
}

/* ---- misuse and damage ----------------------------------------------------
 */

Test(merge, bad_arguments) {
  char path[512], out[512], text[512];
  tu_tmp_path(path, sizeof path, "merge-args.quire");
  tu_tmp_path(out, sizeof out, "merge-args-out.quire");
  write_corpus(path, 20, 51, QUIRE_CODEC_ZSTD, QUIRE_ORDER_INPUT);
  quire_corpus *c;
  quire_writer *w;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_eq(quire_writer_add_corpus(NULL, c), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_add_corpus(w, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_add_corpus(w, c), QUIRE_OK);
  /* Options are fixed once a corpus is added. */
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_ESTATE);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  cr_assert_eq(quire_writer_add_corpus(w, c), QUIRE_ESTATE);
  quire_writer_free(w);
  quire_corpus_free(c);

  cr_assert_eq(quire_writer_open_append(NULL, &w), QUIRE_EINVAL);
  quire_writer_free(w);
  cr_assert_eq(quire_writer_open_append(path, NULL), QUIRE_EINVAL);
  tu_tmp_path(text, sizeof text, "not-a-corpus.quire");
  cr_assert_eq(quire_writer_open_append(text, &w), QUIRE_ENOTFOUND);
  cr_assert(strstr(quire_writer_errmsg(w), "cannot append") != NULL);
  cr_assert_eq(quire_writer_finish(w), QUIRE_ESTATE);
  quire_writer_free(w);
  cr_assert_eq(tu_exists(text), 0);
  cr_assert_eq(tu_write_file(text, "source,text\nx,y\n", 16), 0);
  cr_assert_eq(quire_writer_open_append(text, &w), QUIRE_ENOTQUIRE);
  quire_writer_free(w);
}

/* A damaged block in an input fails the merge with QUIRE_ECORRUPT and
 * leaves no output. */
Test(merge, damaged_input_fails_cleanly) {
  char path[512], out[512];
  tu_tmp_path(path, sizeof path, "merge-damaged.quire");
  tu_tmp_path(out, sizeof out, "merge-damaged-out.quire");
  write_corpus(path, 300, 61, QUIRE_CODEC_ZSTD, QUIRE_ORDER_INPUT);
  size_t len;
  char *bytes = tu_read_file(path, &len);
  bytes[64 + 100] ^= 0x55; /* inside the first text block */
  cr_assert_eq(tu_write_file(path, bytes, len), 0);
  free(bytes);
  for (int order = 0; order < 2; order++) {
    quire_corpus *c;
    quire_writer *w;
    cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
    cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
    cr_assert_eq(quire_writer_set_order(w, order), QUIRE_OK);
    int status = quire_writer_add_corpus(w, c);
    if (status == QUIRE_OK) /* clustered: blocks are copied at finish */
      status = quire_writer_finish(w);
    cr_assert_eq(status, QUIRE_ECORRUPT, "order %d: %d", order, status);
    cr_assert(strstr(quire_writer_errmsg(w), "block") != NULL, "%s",
              quire_writer_errmsg(w));
    /* Found at finish, long after the add: the message names the input. */
    if (order == QUIRE_ORDER_CLUSTERED)
      cr_assert(strncmp(quire_writer_errmsg(w), path, strlen(path)) == 0, "%s",
                quire_writer_errmsg(w));
    cr_assert_eq(quire_writer_finish(w), QUIRE_ESTATE);
    quire_writer_free(w);
    quire_corpus_free(c);
    cr_assert_eq(tu_exists(out), 0);
  }
}

/* The writer holds the corpora it copies: closing one before finish (a
 * binding's garbage collector may) frees nothing the writer still needs. */
Test(merge, corpus_closed_before_finish) {
  char in[3][512], out[512];
  make_inputs(in);
  tu_tmp_path(out, sizeof out, "merged-closed.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  for (int i = 0; i < 3; i++) {
    quire_corpus *c;
    cr_assert_eq(quire_corpus_open(in[i], &c), QUIRE_OK);
    cr_assert_eq(quire_writer_add_corpus(w, c), QUIRE_OK);
    quire_corpus_free(c);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  const char *paths[] = {in[0], in[1], in[2]};
  assert_holds(out, paths, 3, 1, "merge of closed corpora");
}

/* A metadata block record that names other documents than its text block
 * (checksums rewritten, as a faulty writer would leave them): verify names
 * it, and a merge refuses to copy it. */
Test(merge, blocks_that_disagree_are_damage) {
  char path[512], out[512];
  tu_tmp_path(path, sizeof path, "merge-disagree.quire");
  tu_tmp_path(out, sizeof out, "merge-disagree-out.quire");
  write_corpus(path, 300, 71, QUIRE_CODEC_ZSTD, QUIRE_ORDER_INPUT);
  size_t len;
  uint8_t *bytes = (uint8_t *)tu_read_file(path, &len);
  /* The footer's metadata block table entry: section 6 of 24 bytes at
   * footer offset 104; the second record's QB_DOCS (offset 24). */
  const uint8_t *footer = bytes + len - 288;
  uint64_t table = 0;
  memcpy(&table, footer + 104 + 6 * 24, 8);
  bytes[table + 32 + 24] ^= 1;
  hd_fix_checksums(bytes, len, 7);
  cr_assert_eq(tu_write_file(path, bytes, len), 0);
  free(bytes);
  quire_corpus *c;
  uint64_t damaged = 0;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_ECORRUPT);
  cr_assert_eq(damaged, 1);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_writer_add_corpus(w, c), QUIRE_ECORRUPT);
  cr_assert(strstr(quire_writer_errmsg(w), "disagree") != NULL, "%s",
            quire_writer_errmsg(w));
  quire_writer_free(w);
  quire_corpus_free(c);
  cr_assert_eq(tu_exists(out), 0);
}
