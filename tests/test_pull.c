/*
 * test_pull.c: the pull-style export (quire_export_read()) and the progress
 * callbacks of import, writer and export.
 *
 * The pull export is checked byte for byte against quire_export_to_path()
 * of the same export, whatever the size of the caller's buffer; progress is
 * checked for what it counts, that it ends at the total and that a callback
 * asking to stop leaves no file behind.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quire.h"
#include "testutil.h"

#define DOCS 3000

/* Packs DOCS generated documents (some long texts, some with quotes and
 * commas, some undated) into path, in clustered order. */
static void pack_generated(const char *path) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 4096), QUIRE_OK);
  char text[9000], title[64], date[16];
  const char *sources[] = {"Daily Planet", "Gazette", "Le Monde"};
  uint64_t rng = 7;
  for (int i = 0; i < DOCS; i++) {
    size_t len = (size_t)(tu_rand(&rng) % 8000) + 1;
    for (size_t k = 0; k < len; k++)
      text[k] = "abc de,f\"g\nh"[tu_rand(&rng) % 12];
    snprintf(title, sizeof title, "Title %d, \"quoted\"", i);
    snprintf(date, sizeof date, "20%02d-%02d-%02d", 10 + i % 9, 1 + i % 12,
             1 + i % 28);
    const char *source = sources[i % 3];
    cr_assert_eq(tu_writer_add(w, source, strlen(source), date,
                               i % 17 ? strlen(date) : 0, title, strlen(title),
                               "", 0, "", 0, text, len),
                 QUIRE_OK);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
}

static quire_corpus *open_generated(char *path, size_t cap) {
  tu_tmp_path(path, cap, "pull.quire");
  pack_generated(path);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  return c;
}

/* Reads the whole export through quire_export_read() with a buffer of cap
 * bytes; the result is malloc'd and its length stored in *len. */
static char *read_all(quire_export *exp, size_t cap, size_t *len) {
  char *buf = malloc(cap);
  size_t total = 0, room = 1 << 16;
  char *all = malloc(room);
  cr_assert(buf && all);
  int status;
  size_t n;
  while ((status = quire_export_read(exp, buf, cap, &n)) == QUIRE_OK) {
    cr_assert(n > 0 && n <= cap);
    while (total + n > room)
      all = realloc(all, room *= 2);
    memcpy(all + total, buf, n);
    total += n;
  }
  cr_assert_eq(status, QUIRE_DONE, "%s", quire_export_errmsg(exp));
  cr_assert_eq(n, 0);
  free(buf);
  *len = total;
  return all;
}

/* The same export written by quire_export_to_path(). */
static char *to_path(quire_export *exp, size_t *len) {
  char path[512];
  tu_tmp_path(path, sizeof path, "pull.csv");
  cr_assert_eq(quire_export_to_path(exp, path), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  char *data = tu_read_file(path, len);
  unlink(path);
  return data;
}

static void assert_same_bytes(quire_export *exp) {
  size_t want_len;
  char *want = to_path(exp, &want_len);
  uint64_t rows = quire_export_rows(exp);
  const size_t caps[] = {1, 7, 4096, 1 << 20};
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    size_t got_len;
    char *got = read_all(exp, caps[i], &got_len);
    cr_assert_eq(got_len, want_len, "cap %zu", caps[i]);
    cr_assert(memcmp(got, want, want_len) == 0, "cap %zu", caps[i]);
    cr_assert_eq(quire_export_rows(exp), rows);
    free(got);
    /* A setter ends the finished run, so the next read starts afresh. */
    cr_assert_eq(quire_export_set_progress(exp, NULL, NULL), QUIRE_OK);
  }
  free(want);
}

Test(pull, reads_what_to_path_writes) {
  char path[512];
  quire_corpus *c = open_generated(path, sizeof path);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  assert_same_bytes(exp);
  cr_assert_eq(quire_export_rows(exp), DOCS);

  cr_assert_eq(quire_export_set_dialect(exp, QUIRE_CSV_EXCEL), QUIRE_OK);
  cr_assert_eq(quire_export_set_columns(exp, "text,year,id,title", 18),
               QUIRE_OK);
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_add_source(f, "Gazette", 7), QUIRE_OK);
  cr_assert_eq(quire_filter_set_from(f, "2012", 4), QUIRE_OK);
  cr_assert_eq(quire_export_set_filter(exp, f), QUIRE_OK);
  quire_filter_free(f);
  assert_same_bytes(exp);
  cr_assert(quire_export_rows(exp) > 0 && quire_export_rows(exp) < DOCS / 3);
  quire_export_free(exp);
  quire_corpus_free(c);
  unlink(path);
}

Test(pull, a_run_under_way_refuses_changes_and_ends_cleanly) {
  char path[512];
  quire_corpus *c = open_generated(path, sizeof path);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  char buf[100];
  size_t n = 99;
  cr_assert_eq(quire_export_read(exp, buf, 0, &n), QUIRE_EINVAL);
  cr_assert_eq(quire_export_read(exp, NULL, 10, &n), QUIRE_EINVAL);
  cr_assert_eq(quire_export_read(exp, buf, 10, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_export_read(NULL, buf, 10, &n), QUIRE_EINVAL);
  cr_assert_eq(quire_export_read(exp, buf, sizeof buf, &n), QUIRE_OK);
  cr_assert_eq(n, sizeof buf);
  cr_assert(memcmp(buf, "id,source,date,title,author,url,text\n", 37) == 0);
  cr_assert_eq(quire_export_set_dialect(exp, QUIRE_CSV_EXCEL), QUIRE_ESTATE);
  cr_assert(strstr(quire_export_errmsg(exp), "under way"));
  cr_assert_eq(quire_export_set_columns(exp, "id", 2), QUIRE_ESTATE);
  cr_assert_eq(quire_export_set_filter(exp, NULL), QUIRE_ESTATE);
  cr_assert_eq(quire_export_set_split_rows(exp, 5), QUIRE_ESTATE);
  cr_assert_eq(quire_export_to_fd(exp, 1), QUIRE_ESTATE);
  /* The run goes on where it was. */
  cr_assert_eq(quire_export_read(exp, buf, sizeof buf, &n), QUIRE_OK);
  /* Freeing in the middle of a run releases it (ASan checks the leak). */
  quire_export_free(exp);

  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_set_split_rows(exp, 10), QUIRE_OK);
  cr_assert_eq(quire_export_read(exp, buf, sizeof buf, &n), QUIRE_EINVAL);
  cr_assert(strstr(quire_export_errmsg(exp), "path"));
  quire_export_free(exp);
  quire_corpus_free(c);
  unlink(path);
}

/* A progress callback that records its calls and may ask to stop. */
typedef struct calls {
  uint64_t count, last_done, last_total;
  uint64_t stop_at; /* 0: never */
  int went_back;
} calls;

static int on_progress(void *ctx, uint64_t done, uint64_t total) {
  calls *k = ctx;
  if (k->count > 0 && (done < k->last_done || total != k->last_total))
    k->went_back = 1;
  k->count++;
  k->last_done = done;
  k->last_total = total;
  return k->stop_at && k->count >= k->stop_at;
}

Test(progress, export_counts_rows_of_the_selection) {
  char path[512];
  quire_corpus *c = open_generated(path, sizeof path);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  calls k = {0};
  cr_assert_eq(quire_export_set_progress(exp, on_progress, &k), QUIRE_OK);
  size_t len;
  free(to_path(exp, &len));
  cr_assert_eq(k.last_done, DOCS);
  cr_assert_eq(k.last_total, DOCS);
  cr_assert_eq(k.count, DOCS / 1024 + 1, "every 1,024 rows and at the end");
  cr_assert_not(k.went_back);

  /* Stopping leaves no file, and says why. */
  char out[512];
  tu_tmp_path(out, sizeof out, "stopped.csv");
  k = (calls){.stop_at = 2};
  cr_assert_eq(quire_export_to_path(exp, out), QUIRE_ECALLBACK);
  cr_assert(strstr(quire_export_errmsg(exp), "progress"));
  cr_assert_not(tu_exists(out));
  cr_assert_eq(k.last_done, 2048);

  /* Terms make the total unknown; the pull run reports too. */
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_add_term(f, "abc", 3), QUIRE_OK);
  cr_assert_eq(quire_export_set_filter(exp, f), QUIRE_OK);
  quire_filter_free(f);
  k = (calls){0};
  free(read_all(exp, 4096, &len));
  cr_assert_eq(k.last_total, 0);
  cr_assert_eq(k.last_done, quire_export_rows(exp));
  cr_assert(k.count >= 1);
  quire_export_free(exp);
  quire_corpus_free(c);
  unlink(path);
}

Test(progress, writer_finish_counts_documents) {
  char path[512];
  tu_tmp_path(path, sizeof path, "progress.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  calls k = {0};
  cr_assert_eq(quire_writer_set_progress(w, on_progress, &k), QUIRE_OK);
  for (int i = 0; i < 10000; i++) {
    char text[32];
    int len = snprintf(text, sizeof text, "document %d", i);
    cr_assert_eq(tu_writer_add(w, "s", 1, "2016", 4, "", 0, "", 0, "", 0, text,
                               (size_t)len),
                 QUIRE_OK);
  }
  cr_assert_eq(k.count, 0, "nothing reported before finish");
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  cr_assert_eq(k.count, 3, "4,096 and 8,192 and the end");
  cr_assert_eq(k.last_done, 10000);
  cr_assert_eq(k.last_total, 10000);
  cr_assert_not(k.went_back);
  quire_writer_free(w);
  unlink(path);

  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  k = (calls){.stop_at = 1};
  cr_assert_eq(quire_writer_set_progress(w, on_progress, &k), QUIRE_OK);
  for (int i = 0; i < 5000; i++)
    cr_assert_eq(tu_writer_add(w, "s", 1, "", 0, "", 0, "", 0, "", 0, "x", 1),
                 QUIRE_OK);
  cr_assert_eq(quire_writer_finish(w), QUIRE_ECALLBACK);
  cr_assert_not(tu_exists(path), "a stopped writer leaves no file");
  cr_assert_eq(quire_writer_finish(w), QUIRE_ESTATE);
  quire_writer_free(w);
  cr_assert_eq(quire_writer_set_progress(NULL, NULL, NULL), QUIRE_EINVAL);

  /* An input-order writer has placed its documents before finish: it
   * reports once, at the end. */
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  k = (calls){0};
  cr_assert_eq(quire_writer_set_progress(w, on_progress, &k), QUIRE_OK);
  for (int i = 0; i < 5000; i++)
    cr_assert_eq(tu_writer_add(w, "s", 1, "", 0, "", 0, "", 0, "", 0, "x", 1),
                 QUIRE_OK);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  cr_assert_eq(k.count, 1);
  cr_assert_eq(k.last_done, 5000);
  cr_assert_eq(k.last_total, 5000);
  quire_writer_free(w);
  unlink(path);
}

/* Makes a CSV of rows rows, each with a text of about 1 KiB. */
static char *make_csv(int rows, size_t *len) {
  size_t cap = (size_t)rows * 1100 + 64, at = 0;
  char *csv = malloc(cap);
  at += (size_t)snprintf(csv, cap, "source,date,title,text\n");
  for (int i = 0; i < rows; i++) {
    at += (size_t)snprintf(csv + at, cap - at, "S%d,2016-01-%02d,T%d,\"", i % 5,
                           1 + i % 28, i);
    memset(csv + at, 'a' + i % 26, 1000);
    at += 1000;
    at += (size_t)snprintf(csv + at, cap - at, "\"\n");
  }
  *len = at;
  return csv;
}

Test(progress, import_counts_bytes_of_the_input) {
  size_t len;
  char *csv = make_csv(3000, &len); /* about 3 MiB */
  char csv_path[512], path[512];
  tu_tmp_path(csv_path, sizeof csv_path, "progress.csv");
  tu_tmp_path(path, sizeof path, "import.quire");
  cr_assert_eq(tu_write_file(csv_path, csv, len), 0);
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  calls k = {0};
  cr_assert_eq(quire_import_set_progress(imp, on_progress, &k), QUIRE_OK);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_import_csv_path(imp, w, csv_path), QUIRE_OK, "%s",
               quire_import_errmsg(imp));
  cr_assert_eq(k.last_done, len);
  cr_assert_eq(k.last_total, len);
  cr_assert_eq(k.count, len / (1 << 20) + 1, "every MiB and at the end");
  cr_assert_not(k.went_back);

  /* From memory, in the same steps; then stopped after the first MiB. */
  k = (calls){0};
  cr_assert_eq(quire_import_csv_buffer(imp, w, csv, len, NULL), QUIRE_OK);
  cr_assert_eq(k.last_done, len);
  cr_assert_eq(k.last_total, len);
  k = (calls){.stop_at = 1};
  cr_assert_eq(quire_import_csv_buffer(imp, w, csv, len, "stopped"),
               QUIRE_ECALLBACK);
  cr_assert(strstr(quire_import_errmsg(imp), "progress"));
  cr_assert_eq(k.last_done, 1 << 20);
  cr_assert(quire_import_rows(imp) < 3 * 3000, "the stopped run stopped");
  quire_writer_free(w);
  quire_import_free(imp);
  cr_assert_eq(quire_import_set_progress(NULL, NULL, NULL), QUIRE_EINVAL);
  free(csv);
  unlink(csv_path);
}

Test(pull, seeds_manifest_reads_as_exported) {
  const char *seeds = tu_seeds_dir();
  if (!seeds) {
    cr_skip_test("../shared/seeds is not here: seeds test skipped");
    return;
  }
  char manifest[1024], path[512];
  snprintf(manifest, sizeof manifest, "%s/manifest.csv", seeds);
  tu_tmp_path(path, sizeof path, "seeds.quire");
  quire_writer *w;
  quire_import *imp;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  calls k = {0};
  cr_assert_eq(quire_import_set_progress(imp, on_progress, &k), QUIRE_OK);
  cr_assert_eq(quire_import_csv_path(imp, w, manifest), QUIRE_OK, "%s",
               quire_import_errmsg(imp));
  cr_assert_eq(k.count, 1, "a small file: once, at the end");
  cr_assert(k.last_done > 0 && k.last_done == k.last_total);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_import_free(imp);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  assert_same_bytes(exp);
  cr_assert_eq(quire_export_rows(exp), 5);
  quire_export_free(exp);
  quire_corpus_free(c);
  unlink(path);
}
