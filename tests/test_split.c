/*
 * test_split.c: quire_split_* (shards for a cluster), run under the
 * sanitizers with the rest of the C suite. The Python binding's
 * tests/test_split.py compares every field of every shard with its input.
 */
#define _GNU_SOURCE /* memmem() */
/* Splitting into shards is in the header's experimental section. */
#define QUIRE_EXPERIMENTAL

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quire.h"
#include "testutil.h"

#define DOCS 300

static const char *sources[] = {"Xinhua", "Белта", "", "Belarus in Focus"};

/* Writes DOCS documents (four sources, one of them none; years 2014-2016,
 * every tenth undated, one dated with an offset) and opens them. */
static quire_corpus *make_corpus(char *path, size_t cap) {
  tu_tmp_path(path, cap, "split-in.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  for (int i = 0; i < DOCS; i++) {
    char date[40], title[32], text[128];
    if (i % 10 == 0)
      date[0] = '\0';
    else if (i == 7)
      snprintf(date, sizeof date, "2015-12-31T23:30+02:00");
    else
      snprintf(date, sizeof date, "%d-%02d-%02d", 2014 + i % 3, 1 + i % 12,
               1 + i % 28);
    snprintf(title, sizeof title, "title %d", i);
    snprintf(text, sizeof text, "text of document %d, which is not long", i);
    const char *s = sources[i % 4];
    cr_assert_eq(tu_writer_add(w, s, strlen(s), date, strlen(date), title,
                               strlen(title), "", 0, "", 0, text, strlen(text)),
                 QUIRE_OK);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  return c;
}

static char *make_dir(char *buf, size_t cap, const char *name) {
  tu_tmp_path(buf, cap, name);
  cr_assert_eq(mkdir(buf, 0755), 0);
  return buf;
}

/* The documents of every shard the split wrote, with their titles' numbers
 * marked in seen (each exactly once). */
static uint64_t count_shards(const quire_split *s, const char *dir, int *seen,
                             int limit) {
  uint64_t total = 0;
  for (uint64_t i = 0; i < quire_split_shard_count(s); i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, quire_split_shard_name(s, i));
    quire_corpus *c;
    cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK, "%s", path);
    quire_cursor *cur;
    cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
    while (quire_cursor_next(cur) == QUIRE_ROW) {
      const char *title;
      size_t len;
      cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TITLE, &title, &len),
                   QUIRE_OK);
      int n = atoi(title + 6);
      cr_assert(n >= 0 && n < limit && !seen[n], "document %d twice", n);
      seen[n] = 1;
      total++;
    }
    quire_cursor_free(cur);
    quire_corpus_free(c);
  }
  return total;
}

Test(split, every_key_keeps_every_document_once) {
  char in[4096];
  quire_corpus *c = make_corpus(in, sizeof in);
  static const struct {
    int by;
    uint32_t shards;
    uint64_t max_size, expect; /* shards written */
    const char *first;
  } runs[] = {
      {QUIRE_SPLIT_NONE, 3, 0, 3, "part-00000.quire"},
      {QUIRE_SPLIT_SOURCE, 1, 0, 4, "source-00000.quire"},
      {QUIRE_SPLIT_YEAR, 1, 0, 4, "year-2014.quire"},
      {QUIRE_SPLIT_MONTH, 1, 0, 14, "month-2014-01.quire"},
      {QUIRE_SPLIT_NONE, 1, 2000, 0, "part-00000.quire"},
      {QUIRE_SPLIT_SOURCE, 1, 2000, 0, "source-00000-000.quire"},
  };
  for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
    char dir[4096];
    make_dir(dir, sizeof dir, "split-out");
    quire_split *s;
    cr_assert_eq(quire_split_new(&s), QUIRE_OK);
    cr_assert_eq(quire_split_set_by(s, runs[r].by), QUIRE_OK);
    cr_assert_eq(quire_split_set_shards(s, runs[r].shards), QUIRE_OK);
    cr_assert_eq(quire_split_set_max_size(s, runs[r].max_size), QUIRE_OK);
    cr_assert_eq(quire_split_set_level(s, 1), QUIRE_OK);
    cr_assert_eq(quire_split_corpus(s, c, dir), QUIRE_OK, "run %zu: %s", r,
                 quire_split_errmsg(s));
    if (runs[r].expect)
      cr_assert_eq(quire_split_shard_count(s), runs[r].expect, "run %zu: %llu",
                   r, (unsigned long long)quire_split_shard_count(s));
    else
      cr_assert_gt(quire_split_shard_count(s), 2, "run %zu", r);
    cr_assert_str_eq(quire_split_shard_name(s, 0), runs[r].first);
    cr_assert_null(quire_split_shard_name(s, quire_split_shard_count(s)));
    int seen[DOCS] = {0};
    cr_assert_eq(count_shards(s, dir, seen, DOCS), DOCS, "run %zu", r);
    quire_split_free(s);
  }
  quire_corpus_free(c);
}

Test(split, named_none_shards_hold_the_gaps) {
  char in[4096], dir[4096], path[4200];
  quire_corpus *c = make_corpus(in, sizeof in);
  make_dir(dir, sizeof dir, "split-none");
  quire_split *s;
  cr_assert_eq(quire_split_new(&s), QUIRE_OK);
  cr_assert_eq(quire_split_set_by(s, QUIRE_SPLIT_SOURCE), QUIRE_OK);
  cr_assert_eq(quire_split_corpus(s, c, dir), QUIRE_OK);
  snprintf(path, sizeof path, "%s/source-none.quire", dir);
  quire_corpus *none;
  cr_assert_eq(quire_corpus_open(path, &none), QUIRE_OK);
  cr_assert_eq(quire_corpus_doc_count(none), DOCS / 4);
  cr_assert_eq(quire_corpus_source_count(none), 0);
  quire_corpus_free(none);
  cr_assert_eq(quire_split_set_by(s, QUIRE_SPLIT_YEAR), QUIRE_OK);
  cr_assert_eq(quire_split_corpus(s, c, dir), QUIRE_OK);
  snprintf(path, sizeof path, "%s/year-none.quire", dir);
  cr_assert_eq(quire_corpus_open(path, &none), QUIRE_OK);
  cr_assert_eq(quire_corpus_doc_count(none), DOCS / 10);
  cr_assert_eq(quire_corpus_undated_count(none), DOCS / 10);
  quire_corpus_free(none);
  /* The +02:00 date of document 7 is 2015-12-31T21:30Z: a 2015 document,
   * its text as given. */
  snprintf(path, sizeof path, "%s/year-2015.quire", dir);
  quire_corpus *y;
  cr_assert_eq(quire_corpus_open(path, &y), QUIRE_OK);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(y, NULL, &cur), QUIRE_OK);
  int found = 0;
  while (quire_cursor_next(cur) == QUIRE_ROW) {
    const char *date;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_DATE, &date, &len),
                 QUIRE_OK);
    found += strcmp(date, "2015-12-31T23:30+02:00") == 0;
  }
  cr_assert_eq(found, 1);
  quire_cursor_free(cur);
  quire_corpus_free(y);
  quire_split_free(s);
  quire_corpus_free(c);
}

Test(split, bad_arguments_are_refused) {
  char in[4096], dir[4096];
  quire_corpus *c = make_corpus(in, sizeof in);
  make_dir(dir, sizeof dir, "split-bad");
  quire_split *s;
  cr_assert_eq(quire_split_new(NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_split_new(&s), QUIRE_OK);
  cr_assert_eq(quire_split_set_shards(s, 0), QUIRE_EINVAL);
  cr_assert_eq(quire_split_set_by(s, 9), QUIRE_EINVAL);
  cr_assert_eq(quire_split_set_level(s, 0), QUIRE_EINVAL);
  cr_assert_eq(quire_split_set_threads(s, 65), QUIRE_EINVAL);
  cr_assert(strstr(quire_split_errmsg(s), "thread count"));
  cr_assert_eq(quire_split_corpus(s, NULL, dir), QUIRE_EINVAL);
  cr_assert_eq(quire_split_corpus(s, c, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_split_corpus(s, c, ""), QUIRE_EINVAL);
  cr_assert_eq(quire_split_corpus(NULL, c, dir), QUIRE_EINVAL);
  cr_assert_eq(quire_split_set_shards(s, 2), QUIRE_OK);
  cr_assert_eq(quire_split_set_by(s, QUIRE_SPLIT_YEAR), QUIRE_OK);
  cr_assert_eq(quire_split_corpus(s, c, dir), QUIRE_EINVAL);
  cr_assert(strstr(quire_split_errmsg(s), "exclude"));
  cr_assert_eq(quire_split_set_shards(s, 1), QUIRE_OK);
  char missing[4200];
  snprintf(missing, sizeof missing, "%s/no/such", dir);
  cr_assert_eq(quire_split_corpus(s, c, missing), QUIRE_ENOTFOUND);
  cr_assert_eq(quire_split_shard_count(s), 0);
  cr_assert_eq(quire_split_shard_count(NULL), 0);
  cr_assert_null(quire_split_shard_name(NULL, 0));
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  char csv[4096];
  tu_tmp_path(csv, sizeof csv, "split.csv");
  const char bad[] = "source,date,text\nA,2016,ok\nB,someday,bad\n";
  cr_assert_eq(tu_write_file(csv, bad, sizeof bad - 1), 0);
  cr_assert_eq(quire_split_csv(s, imp, csv, dir), QUIRE_EDATE);
  cr_assert(strstr(quire_split_errmsg(s), "someday"));
  quire_import_free(imp);
  quire_split_free(s);
  quire_split_free(NULL);
  quire_corpus_free(c);
}

Test(split, shards_take_the_input_codec) {
  char in[4096], dir[4096], path[4200];
  tu_tmp_path(in, sizeof in, "split-deflate.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(in, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_codec(w, QUIRE_CODEC_DEFLATE), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 8192), QUIRE_OK);
  for (int i = 0; i < 50; i++)
    cr_assert_eq(tu_writer_add(w, "S", 1, "2016", 4, "t", 1, "", 0, "", 0,
                               "some text", 9),
                 QUIRE_OK);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(in, &c), QUIRE_OK);
  make_dir(dir, sizeof dir, "split-codec");
  quire_split *s;
  cr_assert_eq(quire_split_new(&s), QUIRE_OK);
  cr_assert_eq(quire_split_set_shards(s, 2), QUIRE_OK);
  cr_assert_eq(quire_split_set_level(s, 12), QUIRE_OK); /* not DEFLATE's */
  cr_assert_eq(quire_split_corpus(s, c, dir), QUIRE_EINVAL);
  cr_assert(strstr(quire_split_errmsg(s), "part-00000.quire"), "%s",
            quire_split_errmsg(s));
  cr_assert_eq(quire_split_set_level(s, 3), QUIRE_OK);
  cr_assert_eq(quire_split_corpus(s, c, dir), QUIRE_OK, "%s",
               quire_split_errmsg(s));
  snprintf(path, sizeof path, "%s/part-00001.quire", dir);
  quire_corpus *shard;
  cr_assert_eq(quire_corpus_open(path, &shard), QUIRE_OK);
  int codec = -1, level = -1;
  uint32_t block = 0;
  cr_assert_eq(quire_corpus_codec(shard, &codec, &level, &block), QUIRE_OK);
  cr_assert_eq(codec, QUIRE_CODEC_DEFLATE);
  cr_assert_eq(block, 8192);
  cr_assert_eq(quire_corpus_doc_count(shard), 25);
  quire_corpus_free(shard);
  quire_split_free(s);
  quire_corpus_free(c);
}

/* Shards big next to the dictionaries are made by copying the input's
 * compressed blocks: the shard holds the input's block bytes as they are,
 * and its documents are the input's, in order. */
Test(split, large_shards_copy_blocks_verbatim) {
  char in[4096], dir[4096];
  tu_tmp_path(in, sizeof in, "split-copy.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(in, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 8192), QUIRE_OK);
  cr_assert_eq(quire_writer_set_dictionary_size(w, 4096), QUIRE_OK);
  char text[2048];
  uint64_t state = 5;
  for (int i = 0; i < 2000; i++) {
    size_t len = 0;
    while (len < 600) {
      static const char *const words[] = {"trade ",    "Minsk ",  "talks ",
                                          "Беларусь ", "report ", "of "};
      const char *word = words[tu_rand(&state) % 6];
      memcpy(text + len, word, strlen(word));
      len += strlen(word);
    }
    char title[32];
    snprintf(title, sizeof title, "title %d", i);
    cr_assert_eq(tu_writer_add(w, sources[i % 4], strlen(sources[i % 4]),
                               "2015", 4, title, strlen(title), "", 0, "", 0,
                               text, len),
                 QUIRE_OK);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(in, &c), QUIRE_OK);
  cr_assert_geq(quire_corpus_dictionary_count(c), 1);
  quire_split *s;
  cr_assert_eq(quire_split_new(&s), QUIRE_OK);
  cr_assert_eq(quire_split_set_shards(s, 2), QUIRE_OK);
  make_dir(dir, sizeof dir, "split-copy");
  cr_assert_eq(quire_split_corpus(s, c, dir), QUIRE_OK, "%s",
               quire_split_errmsg(s));
  size_t in_len, shard_len;
  char *input = tu_read_file(in, &in_len);
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, quire_split_shard_name(s, 1));
  char *shard = tu_read_file(path, &shard_len);
  /* Text block 3/4 of the way through the input (its record in the text
   * block table, found through the footer: docs/FORMAT.md) is in
   * the second shard byte for byte. */
  const uint8_t *footer = (const uint8_t *)input + in_len - 288;
  uint64_t table, blocks, offset;
  uint32_t csize;
  memcpy(&table, footer + 104 + 5 * 24, 8);
  memcpy(&blocks, footer + 56, 8);
  const uint8_t *rec = (const uint8_t *)input + table + blocks * 3 / 4 * 64;
  memcpy(&offset, rec, 8);
  memcpy(&csize, rec + 8, 4);
  cr_assert_gt(csize, 64);
  cr_assert(memmem(shard, shard_len, input + offset, csize) != NULL,
            "the second shard does not hold the input's blocks verbatim");
  free(input);
  free(shard);
  int *seen = calloc(2000, sizeof *seen);
  cr_assert_eq(count_shards(s, dir, seen, 2000), 2000);
  free(seen);
  quire_split_free(s);
  quire_corpus_free(c);
}
