/*
 * test_fixtures.c: corpora written by the quire 1.0 writer (format 1.0,
 * DEFLATE) and committed under tests/fixtures/v1_0 must read exactly as the
 * 1.0 library read them, forever: the corpus-wide facts (.facts, written by
 * the 1.0 library) and full and filtered CSV exports (written by the 1.0
 * CLI; .csv.gz ones are gzip'd). tests/fixtures/v1_0/README.md says how
 * each was made. tests/fixtures/v1_1_early holds a format 1.1 file whose
 * dictionary is stored as it is, as writers before compressed dictionaries
 * stored them.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "quire.h"
#include "testutil.h"

#define DIR QUIRE_FIXTURES_DIR "/v1_0/"

typedef struct bytes {
  char *data;
  size_t len, cap;
} bytes;

static int collect(void *ctx, const char *data, size_t len) {
  bytes *b = ctx;
  if (b->len + len > b->cap) {
    b->cap = (b->len + len) * 2;
    b->data = realloc(b->data, b->cap);
    cr_assert(b->data);
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

/* Reads a file, gunzipping it when it is gzip'd (gzread passes plain files
 * through unchanged). */
static bytes read_expected(const char *name) {
  char path[512];
  snprintf(path, sizeof path, DIR "%s", name);
  gzFile f = gzopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  bytes b = {0};
  char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    collect(&b, buf, (size_t)n);
  cr_assert_geq(n, 0, "cannot read %s", path);
  gzclose(f);
  return b;
}

static void check_export(const quire_corpus *c, const quire_filter *filter,
                         const char *expected_name) {
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  if (filter)
    cr_assert_eq(quire_export_set_filter(exp, filter), QUIRE_OK);
  bytes got = {0};
  cr_assert_eq(quire_export_to_callback(exp, collect, &got), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  quire_export_free(exp);
  bytes want = read_expected(expected_name);
  cr_assert_eq(got.len, want.len, "%s: %zu bytes exported, %zu expected",
               expected_name, got.len, want.len);
  cr_assert(memcmp(got.data, want.data, want.len) == 0,
            "%s: the export differs", expected_name);
  free(got.data);
  free(want.data);
}

/* Compares the corpus with its .facts file, line by line. */
static void check_facts(const quire_corpus *c, const char *name) {
  char path[512];
  snprintf(path, sizeof path, DIR "%s.facts", name);
  FILE *f = fopen(path, "r");
  cr_assert(f, "cannot open %s", path);
  int major, minor;
  cr_assert_eq(quire_corpus_format_version(c, &major, &minor), QUIRE_OK);
  int64_t first = 0, last = 0;
  quire_corpus_date_span(c, &first, &last);
  char line[8192];
  uint64_t source = 0, checked = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char key[32];
    int at = 0;
    cr_assert_eq(sscanf(line, "%31s %n", key, &at), 1, "%s: %s", path, line);
    const char *value = line + at;
    char got[8192];
    if (strcmp(key, "format") == 0)
      snprintf(got, sizeof got, "%d.%d", major, minor);
    else if (strcmp(key, "documents") == 0)
      snprintf(got, sizeof got, "%" PRIu64, quire_corpus_doc_count(c));
    else if (strcmp(key, "sources") == 0)
      snprintf(got, sizeof got, "%" PRIu64, quire_corpus_source_count(c));
    else if (strcmp(key, "undated") == 0)
      snprintf(got, sizeof got, "%" PRIu64, quire_corpus_undated_count(c));
    else if (strcmp(key, "raw_size") == 0)
      snprintf(got, sizeof got, "%" PRIu64, quire_corpus_raw_size(c));
    else if (strcmp(key, "file_size") == 0)
      snprintf(got, sizeof got, "%" PRIu64, quire_corpus_file_size(c));
    else if (strcmp(key, "first_date") == 0)
      snprintf(got, sizeof got, "%" PRId64, first);
    else if (strcmp(key, "last_date") == 0)
      snprintf(got, sizeof got, "%" PRId64, last);
    else if (strcmp(key, "source") == 0) {
      const char *n;
      size_t len;
      uint64_t docs;
      cr_assert_eq(quire_corpus_source(c, source++, &n, &len, &docs), QUIRE_OK);
      snprintf(got, sizeof got, "%" PRIu64 " %.*s", docs, (int)len, n);
    } else
      cr_assert_fail("%s: unknown key %s", path, key);
    cr_assert_str_eq(got, value, "%s: %s", path, key);
    checked++;
  }
  fclose(f);
  cr_assert_eq(source, quire_corpus_source_count(c), "%s: sources listed",
               path);
  cr_assert_geq(checked, 8);
}

static quire_corpus *open_fixture(const char *name) {
  char path[512];
  snprintf(path, sizeof path, DIR "%s", name);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK, "%s",
               quire_corpus_errmsg(c));
  check_facts(c, name);
  /* Every checksum of the file is still good by today's verifier. */
  uint64_t damaged = 1;
  cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_OK);
  cr_assert_eq(damaged, 0);
  return c;
}

Test(fixtures_v1_0, seeds_clustered) {
  quire_corpus *c = open_fixture("seeds.quire");
  check_export(c, NULL, "seeds.csv");
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_add_source(f, "Belarus in Focus", 16), QUIRE_OK);
  check_export(c, f, "seeds.filtered.csv");
  quire_filter_free(f);
  quire_corpus_free(c);
}

Test(fixtures_v1_0, seeds_input_order) {
  quire_corpus *c = open_fixture("seeds_input.quire");
  check_export(c, NULL, "seeds_input.csv");
  quire_corpus_free(c);
}

/* The full export of gen80's documents, and those from 2010 to 2015-06. */
static void check_gen80_exports(const quire_corpus *c) {
  check_export(c, NULL, "gen80.csv.gz");
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_set_from(f, "2010", 4), QUIRE_OK);
  cr_assert_eq(quire_filter_set_to(f, "2015-06", 7), QUIRE_OK);
  check_export(c, f, "gen80.filtered.csv.gz");
  quire_filter_free(f);
}

Test(fixtures_v1_0, generated_multi_block) {
  quire_corpus *c = open_fixture("gen80.quire");
  check_gen80_exports(c);
  quire_corpus_free(c);
}

Test(fixtures_v1_0, generated_input_order) {
  quire_corpus *c = open_fixture("gen80_input.quire");
  check_export(c, NULL, "gen80_input.csv.gz");
  quire_corpus_free(c);
}

/* A format 1.1 file of a writer before dictionaries were stored as zstd
 * frames: its dictionary is read as it is stored, and the documents (those
 * of gen80.quire) export as the 1.0 fixture's do. */
Test(fixtures_v1_1, early_dictionary_stored_as_it_is) {
  quire_corpus *c;
  cr_assert_eq(
      quire_corpus_open(QUIRE_FIXTURES_DIR "/v1_1_early/gen80_dict.quire", &c),
      QUIRE_OK, "%s", quire_corpus_errmsg(c));
  uint64_t damaged = 1;
  cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_OK);
  cr_assert_eq(damaged, 0);
  int codec, level;
  uint32_t block_size;
  cr_assert_eq(quire_corpus_codec(c, &codec, &level, &block_size), QUIRE_OK);
  cr_assert_eq(codec, QUIRE_CODEC_ZSTD);
  cr_assert_eq(level, 5);
  cr_assert_eq(block_size, 8192);
  cr_assert_eq(quire_corpus_dictionary_count(c), 1);
  uint32_t id, size;
  int metadata;
  cr_assert_eq(quire_corpus_dictionary(c, 0, &id, &size, &metadata), QUIRE_OK);
  cr_assert_eq(id, 2020384005u);
  cr_assert_eq(size, 7087);
  cr_assert_eq(metadata, 0);
  check_gen80_exports(c);
  quire_corpus_free(c);
}
