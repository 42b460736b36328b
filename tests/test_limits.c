/*
 * test_limits.c: the documented maximums of include/quire.h (QUIRE_MAX_*)
 * and the date range are enforced: input beyond them is refused with
 * QUIRE_ELIMIT (QUIRE_EDATE for dates) and a message saying which limit,
 * the writer stays usable, and a file claiming more than a limit allows is
 * refused as corrupt before anything is sized from it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"
#include "testutil.h"

static quire_writer *writer_at(char *path, size_t cap, const char *name) {
  tu_tmp_path(path, cap, name);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  return w;
}

/* Adds a document whose field number field (0 source .. 5 text) is data. */
static int add_with(quire_writer *w, int field, const char *data, size_t len) {
  const char *f[6] = {"src", "2016", "title", "author", "url", "text"};
  size_t n[6];
  for (int i = 0; i < 6; i++)
    n[i] = strlen(f[i]);
  f[field] = data;
  n[field] = len;
  return tu_writer_add(w, f[0], n[0], f[1], n[1], f[2], n[2], f[3], n[3], f[4],
                       n[4], f[5], n[5]);
}

/* One byte over a field's limit is refused, exactly at it is accepted, and
 * the writer goes on either way. */
static void field_limit(int field, size_t limit, const char *name) {
  char path[512];
  quire_writer *w = writer_at(path, sizeof path, "limit.quire");
  char *big = malloc(limit + 1);
  memset(big, 'x', limit + 1);
  cr_assert_eq(add_with(w, field, big, limit + 1), QUIRE_ELIMIT, "%s", name);
  cr_assert(strstr(quire_writer_errmsg(w), name), "message: %s",
            quire_writer_errmsg(w));
  cr_assert(strstr(quire_writer_errmsg(w), "limit"));
  cr_assert_eq(add_with(w, field, big, limit), QUIRE_OK, "%s",
               quire_writer_errmsg(w));
  free(big);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  cr_assert_eq(quire_writer_doc_count(w), 1);
  quire_writer_free(w);
  unlink(path);
}

Test(limits, source_name_length) {
  field_limit(0, QUIRE_MAX_SOURCE_LENGTH, "source");
}

Test(limits, title_author_url_length) {
  field_limit(2, QUIRE_MAX_FIELD_LENGTH, "title");
  field_limit(3, QUIRE_MAX_FIELD_LENGTH, "author");
  field_limit(4, QUIRE_MAX_FIELD_LENGTH, "url");
}

/* The one test that allocates QUIRE_MAX_TEXT_LENGTH + 1 bytes: a length
 * over the limit must come with that many real bytes. The pages are never
 * touched, so this costs address space, not memory. */
Test(limits, text_length, .timeout = 60) {
  char path[512];
  quire_writer *w = writer_at(path, sizeof path, "limit-text.quire");
  size_t len = (size_t)QUIRE_MAX_TEXT_LENGTH + 1;
  char *big = calloc(len, 1);
  cr_assert_not_null(big);
  cr_assert_eq(add_with(w, 5, big, len), QUIRE_ELIMIT);
  cr_assert(strstr(quire_writer_errmsg(w), "text"), "%s",
            quire_writer_errmsg(w));
  free(big);
  cr_assert_eq(add_with(w, 5, "fine", 4), QUIRE_OK);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  unlink(path);
}

Test(limits, block_size_range) {
  char path[512];
  quire_writer *w = writer_at(path, sizeof path, "limit-block.quire");
  cr_assert_eq(quire_writer_set_block_size(w, QUIRE_MIN_BLOCK_SIZE - 1),
               QUIRE_EINVAL);
  cr_assert(strstr(quire_writer_errmsg(w), "block size"));
  cr_assert_eq(quire_writer_set_block_size(w, QUIRE_MAX_BLOCK_SIZE + 1),
               QUIRE_EINVAL);
  cr_assert_eq(quire_writer_set_block_size(w, QUIRE_MAX_BLOCK_SIZE), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, QUIRE_MIN_BLOCK_SIZE), QUIRE_OK);
  quire_writer_free(w);
  cr_assert_not(tu_exists(path));
}

/* A CSV cell over a limit names the row and column. */
Test(limits, csv_cell_over_a_limit_names_row_and_column) {
  char path[512];
  quire_writer *w = writer_at(path, sizeof path, "limit-csv.quire");
  hd_bytes csv = {0};
  const char *head = "source,title,text\nok,fine,fine\n";
  hd_bytes_put(&csv, head, strlen(head));
  for (unsigned i = 0; i <= QUIRE_MAX_SOURCE_LENGTH; i++)
    hd_bytes_put(&csv, "s", 1);
  hd_bytes_put(&csv, ",t,x\n", 5);
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_csv_buffer(imp, w, csv.data, csv.len, "in.csv"),
               QUIRE_ELIMIT);
  const char *msg = quire_import_errmsg(imp);
  cr_assert(strstr(msg, "in.csv") && strstr(msg, "row 3") &&
                strstr(msg, "source"),
            "message: %s", msg);
  cr_assert_eq(quire_import_rows(imp), 1);
  quire_import_free(imp);
  quire_writer_free(w);
  hd_bytes_free(&csv);
  cr_assert_not(tu_exists(path));
}

/* A file claiming more documents or sources than the limits allow is
 * corrupt, and is refused at open, before any allocation is sized from
 * the claim. */
static void claim_count(uint64_t field, uint64_t value) {
  char path[512], msg[512];
  tu_tmp_path(path, sizeof path, "claim.quire");
  cr_assert_eq(hd_write_generated(path, 20, 3, QUIRE_ORDER_INPUT, 0, 1, msg),
               QUIRE_OK, "%s", msg);
  size_t len;
  uint8_t *bytes = (uint8_t *)tu_read_file(path, &len);
  unlink(path);
  st64(bytes + len - QF_FOOTER_SIZE + field, value);
  hd_fix_checksums(bytes, len, HD_FIX_HEADER);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_ECORRUPT);
  cr_assert(strstr(quire_corpus_errmsg(c), "footer"), "%s",
            quire_corpus_errmsg(c));
  quire_corpus_free(c);
  free(bytes);
}

Test(limits, claims_beyond_the_limits_are_corrupt) {
  claim_count(QFT_DOCS, (uint64_t)QUIRE_MAX_DOCUMENTS + 1);
  claim_count(QFT_DOCS, UINT64_MAX);
  claim_count(QFT_SOURCES, (uint64_t)QUIRE_MAX_SOURCES + 1);
  claim_count(QFT_BLOCKS, UINT64_MAX / 64 + 1);
  claim_count(QFT_UNDATED, 21);
}

/* Dates are held to years 1 to 9999 as instants, not only as written: a
 * local date inside the range whose offset takes the instant outside it
 * was once accepted by the writer, stored, and then refused by every
 * reader as "date is out of range" damage (found by fuzz_date). */
Test(limits, date_instant_outside_years_1_to_9999) {
  static const char *const outside[] = {"0001-01-01T00:00+01:00",
                                        "9999-12-31T23:59-01:00",
                                        "Mon, 01 Jan 0001 00:30:00 +0100"};
  static const char *const inside[] = {"0001-01-01T00:00Z", "0001",
                                       "9999-12-31T23:59:59Z",
                                       "0001-01-01T00:00-01:00"};
  int64_t s;
  int p;
  for (size_t i = 0; i < 3; i++)
    cr_assert_eq(quire_date_parse(outside[i], strlen(outside[i]), &s, &p),
                 QUIRE_EDATE, "%s", outside[i]);
  char path[512];
  quire_writer *w = writer_at(path, sizeof path, "limit-date.quire");
  cr_assert_eq(add_with(w, 1, outside[0], strlen(outside[0])), QUIRE_EDATE);
  for (size_t i = 0; i < 4; i++)
    cr_assert_eq(add_with(w, 1, inside[i], strlen(inside[i])), QUIRE_OK,
                 "%s: %s", inside[i], quire_writer_errmsg(w));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  while (quire_cursor_next(cur) == QUIRE_ROW) {
    const char *date;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_DATE, &date, &len),
                 QUIRE_OK, "%s", quire_cursor_errmsg(cur));
  }
  quire_cursor_free(cur);
  quire_corpus_free(c);
  unlink(path);
}

/* Invalid UTF-8 repaired to U+FFFD grows three times: a source under its
 * limit with enough bad bytes ends over it. The writer once held repaired
 * strings to the text limit only, stored a 4114-byte source, and every
 * reader then called the file corrupt (found by fuzz_csv). */
Test(limits, repaired_utf8_is_held_to_the_field_limit) {
  char path[512];
  quire_writer *w = writer_at(path, sizeof path, "limit-repair.quire");
  cr_assert_eq(quire_writer_set_utf8(w, QUIRE_UTF8_REPLACE), QUIRE_OK);
  size_t len = QUIRE_MAX_SOURCE_LENGTH - 10;
  char *source = malloc(len);
  memset(source, 's', len);
  memset(source, 0xFF, 20); /* 20 bytes become 60 */
  cr_assert_eq(add_with(w, 0, source, len), QUIRE_ELIMIT);
  cr_assert(strstr(quire_writer_errmsg(w), "source"), "%s",
            quire_writer_errmsg(w));
  memset(source, 's', 20);
  memset(source, 0xFF, 5); /* 5 bytes become 15: still under */
  cr_assert_eq(add_with(w, 0, source, len), QUIRE_OK, "%s",
               quire_writer_errmsg(w));
  free(source);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  const char *name;
  size_t n;
  cr_assert_eq(quire_corpus_source(c, 0, &name, &n, NULL), QUIRE_OK);
  cr_assert_eq(n, len + 10);
  cr_assert_eq(quire_corpus_verify(c, NULL, NULL, NULL), QUIRE_OK);
  quire_corpus_free(c);
  unlink(path);
}
