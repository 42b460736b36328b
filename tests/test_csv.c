/*
 * test_csv.c: CSV export and import (core/csv_export.c, core/csv_import.c).
 *
 * Expected CSV is written out by hand here, or checked against libcsv's own
 * csv_write(); imports are checked by reading the packed corpus back through
 * a cursor.
 */
#include <criterion/criterion.h>
#include <csv.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "quire.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------- */

/* A document as six strings: source, date, title, author, url, text. */
typedef struct row {
  const char *f[6];
} row;

static void add_rows(quire_writer *w, const row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *const *f = rows[i].f;
    cr_assert_eq(tu_writer_add(w, f[0], strlen(f[0]), f[1], strlen(f[1]), f[2],
                               strlen(f[2]), f[3], strlen(f[3]), f[4],
                               strlen(f[4]), f[5], strlen(f[5])),
                 QUIRE_OK, "row %zu: %s", i, quire_writer_errmsg(w));
  }
}

static void pack_rows(const char *path, const row *rows, size_t n) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  add_rows(w, rows, n);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
}

static quire_corpus *open_path(const char *path) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK, "%s",
               quire_corpus_errmsg(c));
  return c;
}

static quire_corpus *corpus_of(const row *rows, size_t n) {
  char path[512];
  tu_tmp_path(path, sizeof path, "rows.quire");
  pack_rows(path, rows, n);
  return open_path(path);
}

/* An in-memory sink for quire_export_to_callback(). */
typedef struct sink {
  char *data;
  size_t len, cap;
  size_t calls;
  size_t stop_after; /* 0: never stop */
} sink;

static int sink_write(void *ctx, const char *data, size_t len) {
  sink *s = ctx;
  s->calls++;
  if (s->stop_after && s->calls > s->stop_after)
    return 1;
  if (s->len + len + 1 > s->cap) {
    s->cap = (s->len + len + 1) * 2;
    s->data = realloc(s->data, s->cap);
    cr_assert_not_null(s->data);
  }
  memcpy(s->data + s->len, data, len);
  s->len += len;
  s->data[s->len] = '\0';
  return 0;
}

/* Exports c with the given columns (NULL: default) and dialect. */
static char *export_string(const quire_corpus *c, const char *columns,
                           int dialect, size_t *len, uint64_t *cut) {
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  if (columns)
    cr_assert_eq(quire_export_set_columns(exp, columns, strlen(columns)),
                 QUIRE_OK, "%s", quire_export_errmsg(exp));
  cr_assert_eq(quire_export_set_dialect(exp, dialect), QUIRE_OK);
  sink s = {0};
  cr_assert_eq(quire_export_to_callback(exp, sink_write, &s), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  if (cut)
    *cut = quire_export_cells_cut(exp);
  quire_export_free(exp);
  *len = s.len;
  return s.data ? s.data : calloc(1, 1);
}

/* Imports csv into a new corpus at path with imp (NULL: a default one),
 * in the given document order. */
static int import_ordered(quire_import *imp, const char *csv, size_t len,
                          const char *path, int order) {
  quire_import *own = NULL;
  if (!imp) {
    cr_assert_eq(quire_import_new(&own), QUIRE_OK);
    imp = own;
  }
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, order), QUIRE_OK);
  int status = quire_import_csv_buffer(imp, w, csv, len, "data.csv");
  if (status == QUIRE_OK)
    cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s",
                 quire_writer_errmsg(w));
  quire_writer_free(w);
  quire_import_free(own);
  return status;
}

/* Imports csv in input order: document N is data row N + 2. */
static int import_string(quire_import *imp, const char *csv, size_t len,
                         const char *path) {
  return import_ordered(imp, csv, len, path, QUIRE_ORDER_INPUT);
}

/* Imports csv that must be good and opens the result. */
static quire_corpus *import_ok(quire_import *imp, const char *csv) {
  char path[512];
  tu_tmp_path(path, sizeof path, "import.quire");
  int status = import_string(imp, csv, strlen(csv), path);
  cr_assert_eq(status, QUIRE_OK, "import: %s",
               imp ? quire_import_errmsg(imp) : "(default importer)");
  return open_path(path);
}

/* Imports csv that must fail with status, its message holding every one of
 * the NULL-terminated fragments. No corpus may appear. */
static void import_fails(const char *csv, size_t len, int status,
                         const char *const *fragments) {
  char path[512];
  tu_tmp_path(path, sizeof path, "bad.quire");
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  int got = quire_import_csv_buffer(imp, w, csv, len, "data.csv");
  const char *msg = quire_import_errmsg(imp);
  cr_assert_eq(got, status, "status %d (%s), want %d", got, msg, status);
  for (size_t i = 0; fragments[i]; i++)
    cr_assert(strstr(msg, fragments[i]), "message \"%s\" lacks \"%s\"", msg,
              fragments[i]);
  quire_writer_free(w);
  cr_assert(!tu_exists(path), "a failed import left %s", path);
  quire_import_free(imp);
}

/* Checks document doc of c field by field. */
static void expect_row(const quire_corpus *c, uint64_t doc, const row *want) {
  static const int fields[6] = {QUIRE_FIELD_SOURCE, QUIRE_FIELD_DATE,
                                QUIRE_FIELD_TITLE,  QUIRE_FIELD_AUTHOR,
                                QUIRE_FIELD_URL,    QUIRE_FIELD_TEXT};
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  cr_assert_eq(quire_cursor_seek(cur, doc), QUIRE_ROW);
  for (int i = 0; i < 6; i++) {
    const char *data;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, fields[i], &data, &len), QUIRE_OK);
    cr_assert_eq(len, strlen(want->f[i]),
                 "doc %llu field %d: \"%s\" want \"%s\"",
                 (unsigned long long)doc, fields[i], data, want->f[i]);
    cr_assert(memcmp(data, want->f[i], len) == 0,
              "doc %llu field %d: \"%s\" want \"%s\"", (unsigned long long)doc,
              fields[i], data, want->f[i]);
  }
  quire_cursor_free(cur);
}

static char *repeat(const char *unit, size_t times) {
  size_t n = strlen(unit);
  char *s = malloc(n * times + 1);
  for (size_t i = 0; i < times; i++)
    memcpy(s + i * n, unit, n);
  s[n * times] = '\0';
  return s;
}

/* ---- export: plain dialect ----------------------------------------------- */

static const row tricky[] = {
    {{"Belarus in Focus", "2016-04-22T18:38", "Plain title", "", "https://x/1",
      "one line"}},
    {{"", "", "Comma, in title", "Quote \"here\"", "", "line 1\nline 2"}},
    {{"Eurasia Daily Monitor", "2016-01", " leading space", "trailing\t", "",
      "crlf\r\nend"}},
    {{"Ünïcödé 🚀", "2024", "\"all quoted\"", "a\rb", "", ""}},
};

Test(export_plain, byte_exact_with_quotes_commas_and_newlines) {
  quire_corpus *c = corpus_of(tricky, 4);
  size_t len;
  char *csv = export_string(c, NULL, QUIRE_CSV_PLAIN, &len, NULL);
  const char *want =
      "id,source,date,title,author,url,text\n"
      "0,Belarus in Focus,2016-04-22T18:38,Plain title,,https://x/1,"
      "one line\n"
      "1,,,\"Comma, in title\",\"Quote \"\"here\"\"\",,\"line 1\nline 2\"\n"
      "2,Eurasia Daily Monitor,2016-01,\" leading space\",\"trailing\t\",,"
      "\"crlf\r\nend\"\n"
      "3,Ünïcödé 🚀,2024,\"\"\"all quoted\"\"\",\"a\rb\",,\n";
  cr_assert_eq(len, strlen(want), "got:\n%s", csv);
  cr_assert(memcmp(csv, want, len) == 0, "got:\n%s", csv);
  free(csv);
  quire_corpus_free(c);
}

Test(export_plain, chosen_columns_in_order) {
  quire_corpus *c = corpus_of(tricky, 4);
  size_t len;
  char *csv = export_string(c, "Title,ID,date", QUIRE_CSV_PLAIN, &len, NULL);
  const char *want = "title,id,date\n"
                     "Plain title,0,2016-04-22T18:38\n"
                     "\"Comma, in title\",1,\n"
                     "\" leading space\",2,2016-01\n"
                     "\"\"\"all quoted\"\"\",3,2024\n";
  cr_assert_str_eq(csv, want);
  free(csv);
  quire_corpus_free(c);
}

Test(export_plain, lone_empty_cell_is_quoted_not_a_blank_line) {
  quire_corpus *c = corpus_of(tricky, 4);
  size_t len;
  char *csv = export_string(c, "url", QUIRE_CSV_PLAIN, &len, NULL);
  cr_assert_str_eq(csv, "url\nhttps://x/1\n\"\"\n\"\"\n\"\"\n");
  free(csv);
  quire_corpus_free(c);
}

Test(export_plain, bad_column_lists_are_refused) {
  quire_corpus *c = corpus_of(tricky, 1);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_set_columns(exp, "title,bogus", 11), QUIRE_EINVAL);
  cr_assert(strstr(quire_export_errmsg(exp), "\"bogus\""), "%s",
            quire_export_errmsg(exp));
  cr_assert_eq(quire_export_set_columns(exp, "title,,url", 10), QUIRE_EINVAL);
  cr_assert(strstr(quire_export_errmsg(exp), "empty"));
  cr_assert_eq(quire_export_set_columns(exp, "", 0), QUIRE_EINVAL);
  cr_assert_eq(quire_export_set_dialect(exp, 7), QUIRE_EINVAL);
  cr_assert_eq(quire_export_to_callback(exp, NULL, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_export_to_path(exp, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_export_to_fd(exp, -1), QUIRE_EINVAL);
  cr_assert_eq(quire_export_set_columns(NULL, "id", 2), QUIRE_EINVAL);
  cr_assert_eq(quire_export_rows(NULL), 0);
  quire_export_free(exp);
  quire_export_free(NULL);
  quire_corpus_free(c);
}

/* Cells of every size around the 8 KiB pieces csv_write() works in, with
 * quotes at and across the piece boundaries, come out exactly as one
 * csv_write() of the whole cell. */
Test(export_plain, escaping_matches_csv_write_at_any_size) {
  static const size_t sizes[] = {1, 2, 8191, 8192, 8193, 16384, 40000};
  uint64_t seed = 7;
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t n = sizes[k];
    char *text = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
      text[i] = "ab\"c,\n"[tu_rand(&seed) % 6];
    text[n] = '\0';
    text[0] = '"';
    if (n > 1)
      text[n - 1] = '"';
    if (n > 8192)
      text[8191] = text[8192] = '"';
    row r = {{"s", "", "t", "", "", text}};
    quire_corpus *c = corpus_of(&r, 1);
    size_t len;
    char *csv = export_string(c, "text", QUIRE_CSV_PLAIN, &len, NULL);
    char *want = malloc(2 * n + 3);
    size_t want_len = csv_write(want, 2 * n + 3, text, n);
    cr_assert_eq(len, 5 + want_len + 1, "size %zu", n);
    cr_assert(memcmp(csv + 5, want, want_len) == 0, "size %zu", n);
    free(want);
    free(csv);
    free(text);
    quire_corpus_free(c);
  }
}

Test(export_plain, filter_selects_rows) {
  quire_corpus *c = corpus_of(tricky, 4);
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_set_from(f, "2016", 4), QUIRE_OK);
  cr_assert_eq(quire_filter_set_to(f, "2016", 4), QUIRE_OK);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_set_filter(exp, f), QUIRE_OK);
  quire_filter_free(f); /* the export keeps its own copy */
  cr_assert_eq(quire_export_set_columns(exp, "id,date", 7), QUIRE_OK);
  sink s = {0};
  cr_assert_eq(quire_export_to_callback(exp, sink_write, &s), QUIRE_OK);
  cr_assert_str_eq(s.data, "id,date\n0,2016-04-22T18:38\n2,2016-01\n");
  cr_assert_eq(quire_export_rows(exp), 2);
  /* NULL restores every document; a second run starts afresh. */
  cr_assert_eq(quire_export_set_filter(exp, NULL), QUIRE_OK);
  s.len = 0;
  cr_assert_eq(quire_export_to_callback(exp, sink_write, &s), QUIRE_OK);
  cr_assert_eq(quire_export_rows(exp), 4);
  free(s.data);
  quire_export_free(exp);
  quire_corpus_free(c);
}

Test(export_plain, path_fd_and_callback_agree) {
  quire_corpus *c = corpus_of(tricky, 4);
  size_t want_len;
  char *want = export_string(c, NULL, QUIRE_CSV_PLAIN, &want_len, NULL);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);

  char path[512];
  tu_tmp_path(path, sizeof path, "out.csv");
  cr_assert_eq(quire_export_to_path(exp, path), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  size_t len;
  char *got = tu_read_file(path, &len);
  cr_assert(got && len == want_len && memcmp(got, want, len) == 0);
  free(got);

  char fd_path[512];
  tu_tmp_path(fd_path, sizeof fd_path, "fd.csv");
  int fd = open(fd_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(quire_export_to_fd(exp, fd), QUIRE_OK);
  close(fd);
  got = tu_read_file(fd_path, &len);
  cr_assert(got && len == want_len && memcmp(got, want, len) == 0);
  free(got);
  free(want);
  quire_export_free(exp);
  quire_corpus_free(c);
}

Test(export_plain, failures_leave_no_file) {
  quire_corpus *c = corpus_of(tricky, 4);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  char path[512];
  tu_tmp_path(path, sizeof path, "no-such-dir/out.csv");
  cr_assert_neq(quire_export_to_path(exp, path), QUIRE_OK);
  cr_assert(strstr(quire_export_errmsg(exp), "no-such-dir"), "%s",
            quire_export_errmsg(exp));
  cr_assert(!tu_exists(path));

  /* A write error on a descriptor is QUIRE_EIO. */
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  close(fds[1]);
  cr_assert_eq(quire_export_to_fd(exp, fds[0]), QUIRE_EIO); /* read end */
  close(fds[0]);
  quire_export_free(exp);
  quire_corpus_free(c);
}

/* A defect: an export to a path that named a pipe (or /dev/null) renamed
 * a regular file over it, which destroyed the pipe or the device. */
Test(export_plain, a_pipe_at_the_path_is_written_into_not_replaced,
     .timeout = 60) {
  quire_corpus *c = corpus_of(tricky, 4);
  size_t want_len;
  char *want = export_string(c, NULL, QUIRE_CSV_PLAIN, &want_len, NULL);
  char path[512];
  tu_tmp_path(path, sizeof path, "pipe.csv");
  tu_pipe_reader r;
  cr_assert_eq(tu_pipe_reader_start(&r, path), 0);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_path(exp, path), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  /* Checked before the join: a replaced pipe leaves the reader waiting. */
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert(S_ISFIFO(st.st_mode), "the pipe was replaced");
  cr_assert_eq(st.st_mode & 0777, 0600, "the pipe's mode was changed");
  tu_pipe_reader_join(&r);
  cr_assert(r.len == want_len && memcmp(r.data, want, want_len) == 0,
            "the reader got %zu bytes, not %zu", r.len, want_len);
  free(r.data);
  free(want);
  quire_export_free(exp);
  quire_corpus_free(c);
}

Test(export_plain, a_link_at_the_path_stays_a_link) {
  quire_corpus *c = corpus_of(tricky, 4);
  size_t want_len;
  char *want = export_string(c, NULL, QUIRE_CSV_PLAIN, &want_len, NULL);
  char target[512], link[512];
  tu_tmp_path(target, sizeof target, "target.csv");
  tu_tmp_path(link, sizeof link, "link.csv");
  cr_assert_eq(tu_write_file(target, "old", 3), 0);
  unlink(link);
  cr_assert_eq(symlink(target, link), 0);

  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_path(exp, link), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  struct stat st;
  cr_assert_eq(lstat(link, &st), 0);
  cr_assert(S_ISLNK(st.st_mode), "the link was replaced by a file");
  size_t len;
  char *got = tu_read_file(target, &len);
  cr_assert(got && len == want_len && memcmp(got, want, len) == 0);
  free(got);
  free(want);
  quire_export_free(exp);
  quire_corpus_free(c);
}

Test(export_plain, a_directory_at_the_path_is_refused_up_front) {
  quire_corpus *c = corpus_of(tricky, 4);
  char dir[512];
  tu_tmp_path(dir, sizeof dir, "a-directory");
  mkdir(dir, 0755);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_path(exp, dir), QUIRE_EIO);
  cr_assert(strstr(quire_export_errmsg(exp), "is a directory"), "%s",
            quire_export_errmsg(exp));
  struct stat st;
  cr_assert_eq(stat(dir, &st), 0);
  cr_assert(S_ISDIR(st.st_mode));
  quire_export_free(exp);
  quire_corpus_free(c);
}

/* /dev/fd/N, /dev/stdout and /proc/self/fd/N are written through the open
 * descriptor, with its offset and flags: `-o /dev/stdout >> log` appends. */
Test(export_plain, a_descriptor_name_writes_through_the_descriptor) {
  quire_corpus *c = corpus_of(tricky, 4);
  size_t want_len;
  char *want = export_string(c, NULL, QUIRE_CSV_PLAIN, &want_len, NULL);
  char path[512], name[64];
  tu_tmp_path(path, sizeof path, "log.csv");
  cr_assert_eq(tu_write_file(path, "before\n", 7), 0);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  static const char *const dirs[] = {"/dev/fd", "/proc/self/fd"};
  for (size_t i = 0; i < 2; i++) {
    int fd = open(path, O_WRONLY | O_APPEND);
    cr_assert_geq(fd, 0);
    snprintf(name, sizeof name, "%s/%d", dirs[i], fd);
    cr_assert_eq(quire_export_to_path(exp, name), QUIRE_OK, "%s",
                 quire_export_errmsg(exp));
    cr_assert_neq(fcntl(fd, F_GETFD), -1, "the descriptor was closed");
    close(fd);
  }
  size_t len;
  char *got = tu_read_file(path, &len);
  cr_assert(got && len == 7 + 2 * want_len);
  cr_assert(memcmp(got, "before\n", 7) == 0);
  cr_assert(memcmp(got + 7, want, want_len) == 0);
  cr_assert(memcmp(got + 7 + want_len, want, want_len) == 0);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert(S_ISREG(st.st_mode));
  free(got);
  free(want);
  quire_export_free(exp);
  quire_corpus_free(c);
}

/* A corpus goes through a descriptor only from its start: appending would
 * put its header at the end. */
Test(export_plain, a_corpus_through_a_descriptor_starts_it) {
  char path[512], name[64];
  tu_tmp_path(path, sizeof path, "through-fd.quire");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  cr_assert_geq(fd, 0);
  snprintf(name, sizeof name, "/dev/fd/%d", fd);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(name, &w), QUIRE_EIO);
  cr_assert(strstr(quire_writer_errmsg(w), "cannot seek back"), "%s",
            quire_writer_errmsg(w));
  quire_writer_free(w);
  close(fd);

  fd = open(path, O_WRONLY | O_TRUNC);
  cr_assert_geq(fd, 0);
  snprintf(name, sizeof name, "/dev/fd/%d", fd);
  cr_assert_eq(quire_writer_open(name, &w), QUIRE_OK);
  add_rows(w, tricky, 4);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  close(fd);
  quire_corpus *c = open_path(path);
  cr_assert_eq(quire_corpus_doc_count(c), 4);
  quire_corpus_free(c);
}

/* A corpus's header is written last, at the start of the file: a pipe is
 * refused when the writer opens, before anything is packed. */
Test(export_plain, a_corpus_cannot_be_written_into_a_pipe, .timeout = 60) {
  char path[512];
  tu_tmp_path(path, sizeof path, "pipe.quire");
  tu_pipe_reader r;
  cr_assert_eq(tu_pipe_reader_start(&r, path), 0);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_EIO);
  cr_assert(strstr(quire_writer_errmsg(w), "cannot seek"), "%s",
            quire_writer_errmsg(w));
  quire_writer_free(w);
  tu_pipe_reader_join(&r);
  cr_assert_eq(r.len, 0);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert(S_ISFIFO(st.st_mode));
  free(r.data);
}

Test(export_plain, callback_stop_is_reported) {
  char *text = repeat("0123456789", 20000); /* 200 KB: several flushes */
  row r = {{"s", "", "t", "", "", text}};
  quire_corpus *c = corpus_of(&r, 1);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  sink stopper = {.stop_after = 1};
  cr_assert_eq(quire_export_to_callback(exp, sink_write, &stopper),
               QUIRE_ECALLBACK);
  cr_assert(strstr(quire_export_errmsg(exp), "callback"));
  free(stopper.data);
  quire_export_free(exp);
  quire_corpus_free(c);
  free(text);
}

/* A corpus of about 3 MB of CSV whose 400th document is a text of 700 KB,
 * which an export meets once its writing thread runs. */
static quire_corpus *long_corpus(char **big) {
  enum { DOCS = 700 };
  static row rows[DOCS];
  static char titles[DOCS][32];
  char *text = repeat("quoted \"words\", commas and\nlines. ", 120);
  *big = repeat("0123456789\"", 65000);
  for (int i = 0; i < DOCS; i++) {
    snprintf(titles[i], sizeof titles[i], "title %d", i);
    rows[i] = (row){{i % 2 ? "A" : "B", "2020-01-02", titles[i], "", "",
                     i == 400 ? *big : text}};
  }
  quire_corpus *c = corpus_of(rows, DOCS);
  free(text);
  return c;
}

/* Past its first buffers, an export to a path or a descriptor is written
 * by a thread of its own (core/bgwrite.c), a large cell included: the
 * bytes are those of the callback, which is always called in order on the
 * caller's thread. */
Test(export_plain, a_writing_thread_writes_the_same_bytes, .timeout = 60) {
  char *big;
  quire_corpus *c = long_corpus(&big);
  size_t want_len;
  char *want = export_string(c, NULL, QUIRE_CSV_PLAIN, &want_len, NULL);
  cr_assert_gt(want_len, 2u << 20);
  char path[512], fd_path[512];
  tu_tmp_path(path, sizeof path, "threaded.csv");
  tu_tmp_path(fd_path, sizeof fd_path, "threaded-fd.csv");
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_path(exp, path), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  int fd = open(fd_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert_geq(fd, 0);
  cr_assert_eq(quire_export_to_fd(exp, fd), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  close(fd);
  const char *paths[] = {path, fd_path};
  for (int i = 0; i < 2; i++) {
    size_t len;
    char *got = tu_read_file(paths[i], &len);
    cr_assert(len == want_len && memcmp(got, want, len) == 0,
              "%s: %zu bytes, not the callback's %zu", paths[i], len, want_len);
    free(got);
    unlink(paths[i]);
  }
  quire_export_free(exp);
  quire_corpus_free(c);
  free(want);
  free(big);
}

/* Reads up to limit bytes from a pipe, then closes it. */
typedef struct early_reader {
  int fd;
  size_t limit, got;
} early_reader;

static void *read_then_close(void *arg) {
  early_reader *r = arg;
  char buf[65536];
  while (r->got < r->limit) {
    ssize_t n = read(r->fd, buf, sizeof buf);
    if (n <= 0)
      break;
    r->got += (size_t)n;
  }
  close(r->fd);
  return NULL;
}

/* A write that fails on the writing thread (here, the pipe's reader went
 * away after 1 MB) ends the export with the writer's error. */
Test(export_plain, a_write_failing_on_the_writing_thread_is_reported,
     .timeout = 60) {
  char *big;
  quire_corpus *c = long_corpus(&big);
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
  cr_assert_eq(sigaction(SIGPIPE, &ignore, &old), 0);
  early_reader r = {fds[0], 1u << 20, 0};
  pthread_t reader;
  cr_assert_eq(pthread_create(&reader, NULL, read_then_close, &r), 0);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_fd(exp, fds[1]), QUIRE_EIO);
  cr_assert(strstr(quire_export_errmsg(exp), "file descriptor"), "%s",
            quire_export_errmsg(exp));
  pthread_join(reader, NULL);
  cr_assert_geq(r.got, 1u << 20);
  close(fds[1]);
  sigaction(SIGPIPE, &old, NULL);
  quire_export_free(exp);
  quire_corpus_free(c);
  free(big);
}

/* ---- export: excel dialect ----------------------------------------------- */

Test(export_excel, bom_crlf_and_inert_formulas) {
  static const row formulas[] = {
      {{"=SUM(A1)", "", "+1", "-2", "@cmd", "\tTab"}},
      {{"plain", "", "\rCR", "a=b", "", "=HYPERLINK(\"x\")"}},
  };
  quire_corpus *c = corpus_of(formulas, 2);
  size_t len;
  uint64_t cut = 99;
  char *csv = export_string(c, "source,title,author,url,text", QUIRE_CSV_EXCEL,
                            &len, &cut);
  const char *want =
      "\xEF\xBB\xBF"
      "source,title,author,url,text\r\n"
      "\"'=SUM(A1)\",\"'+1\",\"'-2\",\"'@cmd\",\"'\tTab\"\r\n"
      "\"plain\",\"'\rCR\",\"a=b\",\"\",\"'=HYPERLINK(\"\"x\"\")\"\r\n";
  cr_assert_str_eq(csv, want);
  cr_assert_eq(cut, 0);
  free(csv);
  /* The plain dialect leaves the same cells alone. */
  csv = export_string(c, "source,title", QUIRE_CSV_PLAIN, &len, NULL);
  cr_assert_str_eq(csv, "source,title\n=SUM(A1),+1\nplain,\"\rCR\"\n");
  free(csv);
  quire_corpus_free(c);
}

Test(export_excel, long_cells_are_cut_and_counted) {
  char *ascii = repeat("a", 40000);
  /* 'é' is 2 bytes, 1 UTF-16 unit; '😀' 4 bytes, 2 units. */
  char *accents = repeat("é", 40000);
  char *emoji = repeat("😀", 20000); /* 40,000 units */
  char *exact = repeat("b", 32767);
  row rows[] = {{{"s", "", ascii, accents, exact, emoji}}};
  quire_corpus *c = corpus_of(rows, 1);
  size_t len;
  uint64_t cut;
  char *csv =
      export_string(c, "title,author,url,text", QUIRE_CSV_EXCEL, &len, &cut);
  cr_assert_eq(cut, 3, "cut %llu cells", (unsigned long long)cut);
  /* Every text cell is quoted: the cells sit between the quotes. */
  const char *line = strstr(csv, "\r\n") + 3;
  /* title: 32,767 'a' */
  cr_assert(memcmp(line, ascii, 32767) == 0);
  const char *comma = strstr(line, "\",\"");
  cr_assert_eq((size_t)(comma - line), 32767);
  /* author: 32,767 'é', never half of one */
  const char *author = comma + 3;
  comma = strstr(author, "\",\"");
  cr_assert_eq((size_t)(comma - author), 2 * 32767);
  /* url: exactly at the limit, not cut */
  const char *url = comma + 3;
  comma = strstr(url, "\",\"");
  cr_assert_eq((size_t)(comma - url), 32767);
  /* text: 16,383 emoji (32,766 units): one more would be 32,768 */
  const char *text = comma + 3;
  const char *end = strstr(text, "\"\r\n");
  cr_assert_eq((size_t)(end - text), 4 * 16383);
  cr_assert_eq(q_utf8_valid(text, (size_t)(end - text)), (size_t)(end - text));
  free(csv);
  /* The plain dialect cuts nothing. */
  csv = export_string(c, "title", QUIRE_CSV_PLAIN, &len, &cut);
  cr_assert_eq(cut, 0);
  cr_assert_eq(len, strlen("title\n") + 40000 + 1);
  free(csv);
  quire_corpus_free(c);
  free(ascii);
  free(accents);
  free(emoji);
  free(exact);
}

Test(export_excel, formula_prefix_counts_toward_the_limit) {
  char *cell = repeat("=", 32767);
  row r = {{"s", "", cell, "", "", ""}};
  quire_corpus *c = corpus_of(&r, 1);
  size_t len;
  uint64_t cut;
  char *csv = export_string(c, "title", QUIRE_CSV_EXCEL, &len, &cut);
  cr_assert_eq(cut, 1);
  const char *line = strstr(csv, "\r\n") + 3;
  cr_assert_eq(line[0], '\'');
  cr_assert_eq(strstr(line, "\"\r\n") - line, 32767);
  free(csv);
  quire_corpus_free(c);
  free(cell);
}

/* ---- import: the good cases ---------------------------------------------- */

Test(import, default_columns_and_every_date_form) {
  quire_corpus *c = import_ok(
      NULL, "source,date,title,author,url,text\n"
            "Belarus in Focus,2016-04-22T18:38,T1,A1,https://u/1,Text one\n"
            ",,\"Comma, title\",,,\"multi\nline \"\"quoted\"\"\"\n"
            "SCMP,\"Mon, 08 May 2017 09:22:00 +0000\",T3,,,x\n"
            "EDM,2016-01,T4,,,y\r\n"
            "EDM,2016,T5,,,z");
  cr_assert_eq(quire_corpus_doc_count(c), 5);
  row want0 = {{"Belarus in Focus", "2016-04-22T18:38", "T1", "A1",
                "https://u/1", "Text one"}};
  row want1 = {{"", "", "Comma, title", "", "", "multi\nline \"quoted\""}};
  row want3 = {{"EDM", "2016-01", "T4", "", "", "y"}};
  expect_row(c, 0, &want0);
  expect_row(c, 1, &want1);
  expect_row(c, 3, &want3);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  cr_assert_eq(quire_cursor_seek(cur, 2), QUIRE_ROW);
  int64_t seconds;
  int precision;
  cr_assert_eq(
      quire_date_parse("2017-05-08T09:22:00Z", 20, &seconds, &precision),
      QUIRE_OK);
  cr_assert_eq(quire_cursor_date(cur), seconds);
  quire_cursor_free(cur);
  quire_corpus_free(c);
}

Test(import, aliases_case_insensitively) {
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  quire_corpus *c =
      import_ok(imp, "ID, Publication ,PUBLISHED,Headline,Byline,Link,Body\n"
                     "7,EDM,2016-01,Title,Author,https://u,Text\n");
  row want = {{"EDM", "2016-01", "Title", "Author", "https://u", "Text"}};
  expect_row(c, 0, &want);
  cr_assert_str_eq(quire_import_warnings(imp), "", "id warns: %s",
                   quire_import_warnings(imp));
  quire_corpus_free(c);
  static const char *const sets[][6] = {
      {"site", "pubdate", "title", "author", "url", "content"},
      {"outlet", "datetime", "title", "author", "url", "article"},
  };
  for (size_t k = 0; k < 2; k++) {
    char csv[256];
    snprintf(csv, sizeof csv, "%s,%s,%s,%s,%s,%s\nS,2020,T,A,U,X\n", sets[k][0],
             sets[k][1], sets[k][2], sets[k][3], sets[k][4], sets[k][5]);
    c = import_ok(imp, csv);
    row want_k = {{"S", "2020", "T", "A", "U", "X"}};
    expect_row(c, 0, &want_k);
    quire_corpus_free(c);
  }
  quire_import_free(imp);
}

Test(import, explicit_mappings_override_aliases) {
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_map_column(imp, "Kicker", 6, QUIRE_FIELD_TITLE),
               QUIRE_OK);
  cr_assert_eq(quire_import_map_column(imp, "title", 5, QUIRE_FIELD_IGNORE),
               QUIRE_OK);
  cr_assert_eq(quire_import_map_column(imp, "words", 5, QUIRE_FIELD_TEXT),
               QUIRE_OK);
  cr_assert_eq(quire_import_map_column(imp, "x", 1, QUIRE_FIELD_ID),
               QUIRE_EINVAL);
  cr_assert_eq(quire_import_map_column(imp, "x", 1, 99), QUIRE_EINVAL);
  quire_corpus *c =
      import_ok(imp, "title,kicker,words\nignored,Real title,Body\n");
  row want = {{"", "", "Real title", "", "", "Body"}};
  expect_row(c, 0, &want);
  cr_assert_str_eq(quire_import_warnings(imp), "");
  quire_corpus_free(c);
  quire_import_free(imp);
}

Test(import, unknown_columns_warn_and_are_not_stored) {
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  quire_corpus *c = import_ok(imp, "title,mood,text,shares\nT,happy,X,12\n");
  const char *w = quire_import_warnings(imp);
  cr_assert(strstr(w, "data.csv"), "%s", w);
  cr_assert(strstr(w, "\"mood\"") && strstr(w, "\"shares\""), "%s", w);
  cr_assert_eq(w[strlen(w) - 1], '\n');
  row want = {{"", "", "T", "", "", "X"}};
  expect_row(c, 0, &want);
  cr_assert_eq(quire_corpus_raw_size(c), 2, "only T and X are stored");
  quire_corpus_free(c);
  quire_import_free(imp);
}

Test(import, bom_header_only_and_blank_lines) {
  quire_corpus *c = import_ok(NULL, "\xEF\xBB\xBFtitle,text\n");
  cr_assert_eq(quire_corpus_doc_count(c), 0);
  quire_corpus_free(c);
  c = import_ok(NULL, "\xEF\xBB\xBFtitle,text\n\nA,B\n\n");
  cr_assert_eq(quire_corpus_doc_count(c), 1);
  quire_corpus_free(c);
}

Test(import, spaces_belong_to_fields) {
  quire_corpus *c = import_ok(NULL, "title,text\n  padded  ,\" x \"\n");
  row want = {{"", "", "  padded  ", "", "", " x "}};
  expect_row(c, 0, &want);
  quire_corpus_free(c);
}

Test(import, file_column_reads_text_files) {
  char dir[512];
  tu_tmp_path(dir, sizeof dir, "texts");
  cr_assert_eq(mkdir(dir, 0755), 0);
  char path[600];
  snprintf(path, sizeof path, "%s/a.txt", dir);
  cr_assert_eq(tu_write_file(path, "Text of A\n", 10), 0);
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_set_base_dir(imp, dir), QUIRE_OK);
  quire_corpus *c = import_ok(imp, "file,title\na.txt,A\n");
  row want = {{"", "", "A", "", "", "Text of A\n"}};
  expect_row(c, 0, &want);
  quire_corpus_free(c);

  /* A missing file names row, column and file. */
  char out[512];
  tu_tmp_path(out, sizeof out, "f.quire");
  const char *csv = "file,title\na.txt,A\nmissing.txt,B\n";
  cr_assert_eq(import_string(imp, csv, strlen(csv), out), QUIRE_ENOTFOUND);
  const char *msg = quire_import_errmsg(imp);
  cr_assert(strstr(msg, "data.csv: row 3, column file:") &&
                strstr(msg, "missing.txt"),
            "%s", msg);
  /* Skipping bad rows skips it. */
  cr_assert_eq(quire_import_set_skip_bad_rows(imp, 1), QUIRE_OK);
  cr_assert_eq(import_string(imp, csv, strlen(csv), out), QUIRE_OK);
  cr_assert_eq(quire_import_skipped(imp), 1);
  quire_import_free(imp);
}

Test(import, csv_path_relative_files_and_errors) {
  char dir[512];
  tu_tmp_path(dir, sizeof dir, "bundle");
  cr_assert_eq(mkdir(dir, 0755), 0);
  char txt[600], csv[600], out[512];
  snprintf(txt, sizeof txt, "%s/b.txt", dir);
  snprintf(csv, sizeof csv, "%s/manifest.csv", dir);
  cr_assert_eq(tu_write_file(txt, "B body", 6), 0);
  cr_assert_eq(tu_write_file(csv, "file,source\nb.txt,S\n", 20), 0);
  tu_tmp_path(out, sizeof out, "p.quire");
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  /* file names are relative to the CSV's own folder by default */
  cr_assert_eq(quire_import_csv_path(imp, w, csv), QUIRE_OK, "%s",
               quire_import_errmsg(imp));
  cr_assert_eq(quire_import_rows(imp), 1);
  char missing[600];
  snprintf(missing, sizeof missing, "%s/nope.csv", dir);
  cr_assert_eq(quire_import_csv_path(imp, w, missing), QUIRE_ENOTFOUND);
  cr_assert(strstr(quire_import_errmsg(imp), "nope.csv"));
  cr_assert_eq(quire_import_csv_path(imp, NULL, csv), QUIRE_EINVAL);
  cr_assert_eq(quire_import_csv_path(NULL, w, csv), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c = open_path(out);
  row want = {{"S", "", "", "", "", "B body"}};
  expect_row(c, 0, &want);
  quire_corpus_free(c);
  quire_import_free(imp);
}

Test(import, seeds_manifest) {
  const char *seeds = tu_seeds_dir();
  if (!seeds) {
    cr_skip_test("../shared/seeds is not here: seeds test skipped");
  }
  char manifest[1024], out[512];
  snprintf(manifest, sizeof manifest, "%s/manifest.csv", seeds);
  tu_tmp_path(out, sizeof out, "seeds.quire");
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_import_csv_path(imp, w, manifest), QUIRE_OK, "%s",
               quire_import_errmsg(imp));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c = open_path(out);
  cr_assert_eq(quire_corpus_doc_count(c), 5);
  cr_assert_eq(quire_corpus_undated_count(c), 1);
  /* Row 3 of the manifest: 002_...txt, Eurasia Daily Monitor, 2016-01. */
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  cr_assert_eq(quire_cursor_seek(cur, 2), QUIRE_ROW);
  const char *data;
  size_t len;
  cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_DATE, &data, &len),
               QUIRE_OK);
  cr_assert_str_eq(data, "2016-01");
  cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TEXT, &data, &len),
               QUIRE_OK);
  char txt[1024];
  snprintf(txt, sizeof txt, "%s/002_0cba053b642737b9.txt", seeds);
  size_t file_len;
  char *file = tu_read_file(txt, &file_len);
  cr_assert(file && file_len == len && memcmp(file, data, len) == 0);
  free(file);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  quire_import_free(imp);
}

/* ---- import: bad input --------------------------------------------------- */

Test(bad_csv, unbalanced_quotes) {
  const char *csv = "title,text\nA,B\nC,\"never closed\nD,E\n";
  import_fails(
      csv, strlen(csv), QUIRE_ECSV,
      (const char *[]){"data.csv", "row 3", "unbalanced quotes", NULL});
}

Test(bad_csv, stray_quote_in_unquoted_field) {
  const char *csv = "title,text\nA,B\nC,say \"hi\"\n";
  import_fails(csv, strlen(csv), QUIRE_ECSV,
               (const char *[]){"data.csv: row 3, column text:",
                                "quote inside an unquoted field", NULL});
}

Test(bad_csv, text_after_closing_quote) {
  const char *csv = "title,text\n\"A\"x,B\n";
  import_fails(csv, strlen(csv), QUIRE_ECSV,
               (const char *[]){"data.csv: row 2, column title:",
                                "after a closing quote", NULL});
}

Test(bad_csv, wrong_field_count) {
  const char *csv = "title,text\nA,B\nC,D,E\n";
  import_fails(
      csv, strlen(csv), QUIRE_ECSV,
      (const char *[]){"data.csv: row 3:", "expected 2 fields, found 3", NULL});
  csv = "title,text\nA\n";
  import_fails(csv, strlen(csv), QUIRE_ECSV,
               (const char *[]){"row 2:", "found 1", NULL});
}

Test(bad_csv, invalid_utf8_names_the_column) {
  const char *csv = "source,title,text\nS,ok,fine\nS,bad \xC3\x28 here,x\n";
  import_fails(csv, strlen(csv), QUIRE_EUTF8,
               (const char *[]){"data.csv: row 3, column title:",
                                "invalid UTF-8 at byte 4", NULL});
}

Test(bad_csv, bad_date_names_row_and_column) {
  const char *csv = "title,Published\nA,2016-01-31\nB,yesterday\n";
  import_fails(csv, strlen(csv), QUIRE_EDATE,
               (const char *[]){"data.csv: row 3, column Published:",
                                "bad date \"yesterday\"", NULL});
  csv = "title,date\nA,2016-02-30\n";
  import_fails(csv, strlen(csv), QUIRE_EDATE,
               (const char *[]){"row 2, column date", NULL});
}

Test(bad_csv, over_a_limit) {
  char *source = repeat("s", QUIRE_MAX_SOURCE_LENGTH + 1);
  size_t len = strlen("source,title\n") + strlen(source) + 3;
  char *csv = malloc(len + 1);
  snprintf(csv, len + 1, "source,title\n%s,T\n", source);
  import_fails(
      csv, strlen(csv), QUIRE_ELIMIT,
      (const char *[]){"row 2, column source:", "over the limit", NULL});
  free(csv);
  free(source);
}

Test(bad_csv, two_columns_for_one_field) {
  const char *csv = "title,text,body\nA,B,C\n";
  import_fails(
      csv, strlen(csv), QUIRE_EINVAL,
      (const char *[]){"\"text\" and \"body\" both map to text", NULL});
  csv = "Title,Headline\nA,B\n";
  import_fails(csv, strlen(csv), QUIRE_EINVAL,
               (const char *[]){"\"Title\" and \"Headline\"", NULL});
  csv = "file,text\na.txt,B\n";
  import_fails(csv, strlen(csv), QUIRE_EINVAL,
               (const char *[]){"\"file\" and \"text\"", NULL});
}

Test(bad_csv, empty_input_and_unknown_header) {
  import_fails("", 0, QUIRE_ECSV, (const char *[]){"no header row", NULL});
  const char *csv = "a,b\n1,2\n";
  import_fails(csv, strlen(csv), QUIRE_ECSV,
               (const char *[]){"row 1", "no known column", NULL});
}

Test(bad_csv, null_arguments) {
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_csv_buffer(imp, NULL, "a", 1, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_import_csv_buffer(NULL, NULL, "a", 1, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_import_new(NULL), QUIRE_EINVAL);
  uint64_t number;
  cr_assert_eq(quire_import_skipped_row(imp, 0, &number), QUIRE_ENOTFOUND);
  cr_assert_eq(quire_import_skipped_row(imp, 0, NULL), QUIRE_EINVAL);
  cr_assert_str_eq(quire_import_warnings(NULL), "");
  quire_import_free(imp);
  quire_import_free(NULL);
}

Test(bad_csv, skip_bad_rows_records_them) {
  const char *csv = "title,date,text\n"
                    "ok1,2016,a\n"              /* row 2 */
                    "bad,yesterday,b\n"         /* row 3: date */
                    "ok2,,c\n"                  /* row 4 */
                    "short,2016\n"              /* row 5: field count */
                    "\xFF,2016,d\n"             /* row 6: UTF-8 */
                    "ok3,2017-05-08T09:22,e\n"; /* row 7 */
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_set_skip_bad_rows(imp, 1), QUIRE_OK);
  quire_corpus *c = import_ok(imp, csv);
  cr_assert_eq(quire_corpus_doc_count(c), 3);
  cr_assert_eq(quire_import_rows(imp), 3);
  cr_assert_eq(quire_import_skipped(imp), 3);
  uint64_t rows[3];
  for (uint64_t i = 0; i < 3; i++)
    cr_assert_eq(quire_import_skipped_row(imp, i, &rows[i]), QUIRE_OK);
  cr_assert_eq(rows[0], 3);
  cr_assert_eq(rows[1], 5);
  cr_assert_eq(rows[2], 6);
  cr_assert_eq(quire_import_skipped_row(imp, 3, &rows[0]), QUIRE_ENOTFOUND);
  const char *w = quire_import_warnings(imp);
  cr_assert(strstr(w, "row 3, column date") && strstr(w, "row 5:") &&
                strstr(w, "row 6, column title"),
            "%s", w);
  row want = {{"", "2017-05-08T09:22", "ok3", "", "", "e"}};
  expect_row(c, 2, &want);
  quire_corpus_free(c);
  /* Parse errors cannot be skipped: the parser cannot resync. */
  char out[512];
  tu_tmp_path(out, sizeof out, "skip.quire");
  const char *broken = "title,text\nA,\"open\n";
  cr_assert_eq(import_string(imp, broken, strlen(broken), out), QUIRE_ECSV);
  quire_import_free(imp);
}

Test(bad_csv, skipped_rows_keep_the_first_thousand) {
  size_t n = 1500;
  char *csv = malloc(32 + n * 16);
  size_t len = (size_t)sprintf(csv, "title,date\n");
  for (size_t i = 0; i < n; i++)
    len += (size_t)sprintf(csv + len, "t,bad%zu\n", i);
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  quire_import_set_skip_bad_rows(imp, 1);
  char out[512];
  tu_tmp_path(out, sizeof out, "many.quire");
  cr_assert_eq(import_string(imp, csv, len, out), QUIRE_OK);
  cr_assert_eq(quire_import_skipped(imp), n);
  uint64_t number;
  cr_assert_eq(quire_import_skipped_row(imp, 999, &number), QUIRE_OK);
  cr_assert_eq(number, 1001);
  cr_assert_eq(quire_import_skipped_row(imp, 1000, &number), QUIRE_ENOTFOUND);
  quire_import_free(imp);
  free(csv);
}

/* ---- round trips --------------------------------------------------------- */

/* Exports c, imports that in the given order, exports the new corpus: the
 * two CSVs must be the same bytes. Returns the CSV. */
static char *round_trip(const quire_corpus *c, int order, size_t *len) {
  char *first = export_string(c, NULL, QUIRE_CSV_PLAIN, len, NULL);
  char path[512];
  tu_tmp_path(path, sizeof path, "again.quire");
  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(import_ordered(imp, first, *len, path, order), QUIRE_OK, "%s",
               quire_import_errmsg(imp));
  cr_assert_str_eq(quire_import_warnings(imp), "");
  quire_import_free(imp);
  quire_corpus *again = open_path(path);
  size_t second_len;
  char *second = export_string(again, NULL, QUIRE_CSV_PLAIN, &second_len, NULL);
  cr_assert_eq(second_len, *len);
  cr_assert(memcmp(first, second, *len) == 0, "round trip differs");
  free(second);
  quire_corpus_free(again);
  return first;
}

Test(round_trip, tricky_fields_are_byte_identical) {
  quire_corpus *c = corpus_of(tricky, 4); /* in input order */
  size_t len;
  free(round_trip(c, QUIRE_ORDER_INPUT, &len));
  quire_corpus_free(c);
}

Test(round_trip, clustered_order_with_rfc2822_and_offsets) {
  static const row rows[] = {
      {{"B", "Mon, 08 May 2017 09:22:00 +0200", "t1", "", "", "x"}},
      {{"A", "2016-04-22T18:38+02:00", "t2", "", "", "y,\"z\""}},
      {{"", "", "t3", "", "", ""}},
      {{"A", "2016-01", "t4", "", "", "  spaced  "}},
  };
  char path[512];
  tu_tmp_path(path, sizeof path, "clustered.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  add_rows(w, rows, 4);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c = open_path(path);
  size_t len;
  char *csv = round_trip(c, QUIRE_ORDER_CLUSTERED, &len);
  /* Grouped by source name, then date; the undated, unsourced one where the
   * writer puts it, the same both times. */
  cr_assert(strstr(csv, "\n0,,,t3,") || strstr(csv, "\n3,,,t3,"), "%s", csv);
  free(csv);
  quire_corpus_free(c);
}

/* 100,000 generated documents with small texts, exported to a file,
 * re-imported from it and exported again. */
Test(round_trip, hundred_thousand_documents, .timeout = 120) {
  static const char *const sources[] = {"Reuters", "Belarus in Focus",
                                        "Eurasia Daily Monitor", ""};
  static const char *const words[] = {
      "Minsk", "trade,", "\"talks\"", "Beijing", "and", "railway\n", "Россия"};
  char path[512], csv_path[512], again_path[512];
  tu_tmp_path(path, sizeof path, "big.quire");
  tu_tmp_path(csv_path, sizeof csv_path, "big.csv");
  tu_tmp_path(again_path, sizeof again_path, "big-again.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  /* Level 1: this test is about CSV, not compression; keep it fast. */
  cr_assert_eq(quire_writer_set_level(w, 1), QUIRE_OK);
  uint64_t seed = 42;
  const size_t n = 100000;
  for (size_t i = 0; i < n; i++) {
    char date[32] = "", title[64], text[256];
    uint64_t r = tu_rand(&seed);
    if (r % 10)
      snprintf(date, sizeof date, "%04u-%02u-%02u", 2000 + (unsigned)(r % 25),
               1 + (unsigned)(r >> 8) % 12, 1 + (unsigned)(r >> 16) % 28);
    snprintf(title, sizeof title, "Title %zu, part %u", i,
             (unsigned)(r >> 24) % 7);
    size_t tl = 0;
    for (int k = 0; k < 8; k++)
      tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s ",
                             words[tu_rand(&seed) % 7]);
    const char *source = sources[(r >> 32) % 4];
    cr_assert_eq(tu_writer_add(w, source, strlen(source), date, strlen(date),
                               title, strlen(title), "", 0, "", 0, text, tl),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);

  quire_corpus *c = open_path(path);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_path(exp, csv_path), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  cr_assert_eq(quire_export_rows(exp), n);

  quire_import *imp;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_writer_open(again_path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_level(w, 1), QUIRE_OK);
  cr_assert_eq(quire_import_csv_path(imp, w, csv_path), QUIRE_OK, "%s",
               quire_import_errmsg(imp));
  cr_assert_eq(quire_import_rows(imp), n);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_import_free(imp);

  quire_corpus *again = open_path(again_path);
  cr_assert_eq(quire_corpus_doc_count(again), n);
  quire_export *exp2;
  cr_assert_eq(quire_export_new(again, &exp2), QUIRE_OK);
  char csv2_path[512];
  tu_tmp_path(csv2_path, sizeof csv2_path, "big-again.csv");
  cr_assert_eq(quire_export_to_path(exp2, csv2_path), QUIRE_OK);
  size_t len1, len2;
  char *one = tu_read_file(csv_path, &len1);
  char *two = tu_read_file(csv2_path, &len2);
  cr_assert(one && two && len1 == len2 && memcmp(one, two, len1) == 0,
            "the re-imported corpus exports differently");
  free(one);
  free(two);
  quire_export_free(exp2);
  quire_export_free(exp);
  quire_corpus_free(again);
  quire_corpus_free(c);
  unlink(csv_path);
  unlink(csv2_path);
  unlink(path);
  unlink(again_path);
}

/* ---- a thread parses ahead (core/csv_pipe.c) ------------------------------
 */

/* What one import of a CSV file did. */
typedef struct import_result {
  int status;
  char msg[1024];
  uint64_t rows, skipped;
  char warnings[4096];
  char *corpus; /* the file written, or NULL */
  size_t corpus_len;
  char progress[8192]; /* "done/total " per call of the progress callback */
} import_result;

static int note_progress(void *ctx, uint64_t done, uint64_t total) {
  import_result *r = ctx;
  size_t used = strlen(r->progress);
  snprintf(r->progress + used, sizeof r->progress - used, "%llu/%llu ",
           (unsigned long long)done, (unsigned long long)total);
  return 0;
}

/* Imports the CSV file at csv into a clustered corpus written with threads
 * threads: one parses on the calling thread, two or more on a thread of
 * its own (a regular file into a clustered writer). */
static void import_file(const char *csv, int threads, int skip,
                        import_result *r) {
  char path[512];
  tu_tmp_path(path, sizeof path, "ahead.quire");
  memset(r, 0, sizeof *r);
  quire_import *imp;
  quire_writer *w;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_set_skip_bad_rows(imp, skip), QUIRE_OK);
  cr_assert_eq(quire_import_set_progress(imp, note_progress, r), QUIRE_OK);
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_threads(w, threads), QUIRE_OK);
  r->status = quire_import_csv_path(imp, w, csv);
  snprintf(r->msg, sizeof r->msg, "%s", quire_import_errmsg(imp));
  snprintf(r->warnings, sizeof r->warnings, "%s", quire_import_warnings(imp));
  r->rows = quire_import_rows(imp);
  r->skipped = quire_import_skipped(imp);
  if (r->status == QUIRE_OK) {
    cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s",
                 quire_writer_errmsg(w));
    r->corpus = tu_read_file(path, &r->corpus_len);
    unlink(path);
  }
  quire_writer_free(w);
  quire_import_free(imp);
}

/* Imports csv (len bytes) with one thread and with two: everything must be
 * the same, the message of a failure included. Returns the status. */
static int import_both_ways(const char *csv, size_t len, int skip,
                            char *msg_out) {
  char path[512];
  tu_tmp_path(path, sizeof path, "ahead.csv");
  cr_assert_eq(tu_write_file(path, csv, len), 0);
  import_result *one = calloc(1, sizeof *one), *two = calloc(1, sizeof *two);
  import_file(path, 1, skip, one);
  import_file(path, 2, skip, two);
  cr_assert_eq(two->status, one->status, "status %d, alone %d (%s)",
               two->status, one->status, two->msg);
  cr_assert_str_eq(two->msg, one->msg);
  cr_assert_str_eq(two->warnings, one->warnings);
  cr_assert_str_eq(two->progress, one->progress);
  cr_assert_eq(two->rows, one->rows);
  cr_assert_eq(two->skipped, one->skipped);
  cr_assert_eq(two->corpus_len, one->corpus_len);
  if (one->corpus)
    cr_assert(!memcmp(two->corpus, one->corpus, one->corpus_len),
              "the corpora differ");
  int status = one->status;
  if (msg_out)
    snprintf(msg_out, 1024, "%s", one->msg);
  free(one->corpus);
  free(two->corpus);
  free(one);
  free(two);
  unlink(path);
  return status;
}

/* A CSV of rows documents, several MiB: quoted fields with commas, quotes
 * and line breaks, CRLF and LF line ends, a byte order mark, and one text
 * longer than a read of the parser, so that fields and records cross the
 * reads and the thread's batches. bad_at (0: none) is a row replaced by
 * bad. */
static char *ahead_csv(int rows, int bad_at, const char *bad, size_t *len) {
  size_t cap = (size_t)rows * 1500 + (300u << 10) + 4096, used = 0;
  char *csv = malloc(cap);
  used += (size_t)snprintf(csv, cap, "\xEF\xBB\xBFsource,date,title,text\r\n");
  for (int i = 1; i <= rows; i++) {
    if (i == bad_at) {
      used += (size_t)snprintf(csv + used, cap - used, "%s", bad);
      continue;
    }
    char text[1200];
    int n = snprintf(text, sizeof text, "Row %d says \"\"%d\"\", then,\n", i,
                     i * 7);
    while (n < 900 + i % 200)
      n += snprintf(text + n, sizeof text - (size_t)n, "word%d ", (i * n) % 97);
    used += (size_t)snprintf(csv + used, cap - used,
                             "Source %d,2016-%02d-%02d,\"Title, %d\",\"%s\"%s",
                             i % 7, 1 + i % 12, 1 + i % 28, i, text,
                             i % 3 ? "\n" : "\r\n");
    if (i == rows / 2) { /* one text longer than a read (64 KiB) */
      used += (size_t)snprintf(csv + used, cap - used, "Long,2017-01-01,L,\"");
      memset(csv + used, 'x', 200u << 10);
      used += 200u << 10;
      used += (size_t)snprintf(csv + used, cap - used, "\"\n");
    }
  }
  *len = used;
  return csv;
}

Test(import, a_parsing_thread_imports_what_the_calling_thread_does,
     .timeout = 120) {
  size_t len;
  char *csv = ahead_csv(4000, 0, NULL, &len);
  cr_assert_gt(len, 4u << 20, "the input spans several batches");
  cr_assert_eq(import_both_ways(csv, len, 0, NULL), QUIRE_OK);
  free(csv);
}

Test(import, a_parsing_thread_reports_errors_as_the_calling_thread_does,
     .timeout = 120) {
  static const struct {
    const char *bad;
    int skip, status;
    const char *says;
  } cases[] = {
      {"S,2016-01-01,a\"b,text\n", 0, QUIRE_ECSV, "row 3002"},
      {"S,2016-01-01,\"t\"x,text\n", 0, QUIRE_ECSV, "after a closing quote"},
      {"S,2016-01-01,only three\n", 0, QUIRE_ECSV, "expected 4 fields"},
      {"S,2016-01-01,only three\n", 1, QUIRE_OK, ""},
      {"S,2016-13-01,t,bad month\n", 0, QUIRE_EDATE, "row 3002, column date"},
      {"S,2016-13-01,t,bad month\n", 1, QUIRE_OK, ""},
      /* Last: the unclosed quote swallows the rest, and a last row
       * without a line end is read at the end of the input. */
      {"S,2016-01-01,t,\"never closed\n", 0, QUIRE_ECSV, "unbalanced quotes"},
      {"S,2016-13-01,t,no line end", 0, QUIRE_EDATE, "column date"},
      {"S,2016-01-01,t,no line end", 0, QUIRE_OK, ""},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    size_t len;
    int rows = k >= 6 ? 3000 : 4000;
    char *csv = ahead_csv(rows, 3000, cases[k].bad, &len);
    char msg[1024];
    int status = import_both_ways(csv, len, cases[k].skip, msg);
    cr_assert_eq(status, cases[k].status, "case %zu: %d (%s)", k, status, msg);
    cr_assert(strstr(msg, cases[k].says), "case %zu: \"%s\" lacks \"%s\"", k,
              msg, cases[k].says);
    free(csv);
  }
}

static int stop_halfway(void *ctx, uint64_t done, uint64_t total) {
  (void)ctx;
  return done > total / 2;
}

/* A run stopped early (a failed row, or the progress callback) stops the
 * thread and frees what it read ahead. */
Test(import, a_parsing_thread_stops_with_the_run, .timeout = 120) {
  size_t len;
  char *csv = ahead_csv(4000, 0, NULL, &len);
  char path[512], out[512];
  tu_tmp_path(path, sizeof path, "stop.csv");
  tu_tmp_path(out, sizeof out, "stop.quire");
  cr_assert_eq(tu_write_file(path, csv, len), 0);
  quire_import *imp;
  quire_writer *w;
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_set_progress(imp, stop_halfway, NULL), QUIRE_OK);
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_threads(w, 2), QUIRE_OK);
  cr_assert_eq(quire_import_csv_path(imp, w, path), QUIRE_ECALLBACK);
  cr_assert_gt(quire_import_rows(imp), 0);
  cr_assert_lt(quire_import_rows(imp), 4000);
  quire_writer_free(w);
  quire_import_free(imp);
  cr_assert(!tu_exists(out));
  unlink(path);
  free(csv);
}

/* ---- the allocator hook covers libcsv ------------------------------------ */

static long live_blocks;
static long total_allocs;

static void *count_malloc(void *ctx, size_t size) {
  (void)ctx;
  void *p = malloc(size);
  if (p)
    __atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED),
        __atomic_add_fetch(&total_allocs, 1, __ATOMIC_RELAXED);
  return p;
}
static void *count_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  void *p = realloc(ptr, size);
  if (p && !ptr)
    __atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED),
        __atomic_add_fetch(&total_allocs, 1, __ATOMIC_RELAXED);
  return p;
}
static void count_free(void *ctx, void *ptr) {
  (void)ctx;
  if (ptr)
    __atomic_sub_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
  free(ptr);
}

Test(allocator, import_and_export_free_all_they_take) {
  cr_assert_eq(
      quire_set_allocator(count_malloc, count_realloc, count_free, NULL),
      QUIRE_OK);
  quire_corpus *c =
      import_ok(NULL, "title,text\n\"A\",\"long ,\"\"field\"\"\"\n"
                      "B,C\n");
  size_t len;
  char *csv = export_string(c, NULL, QUIRE_CSV_EXCEL, &len, NULL);
  free(csv);
  quire_corpus_free(c);
  cr_assert_gt(total_allocs, 0);
  /* Resetting the allocator frees, with this one, what libquire keeps for
   * reuse (ABI.md, "Allocator"); nothing else may be left. */
  cr_assert_eq(quire_set_allocator(NULL, NULL, NULL, NULL), QUIRE_OK);
  cr_assert_eq(live_blocks, 0, "%ld blocks not freed", live_blocks);
}

/* An allocator that fails after a number of successes. */
static long allowed;
static void *fail_malloc(void *ctx, size_t size) {
  (void)ctx;
  return allowed-- > 0 ? malloc(size) : NULL;
}
static void *fail_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  return allowed-- > 0 ? realloc(ptr, size) : NULL;
}
static void plain_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

Test(allocator, running_out_of_memory_is_reported_not_crashed) {
  const char *csv = "title,text,mood\nA,\"B, b\",x\nC,D,y\n";
  char path[512];
  tu_tmp_path(path, sizeof path, "oom.quire");
  int saw_enomem = 0, saw_ok = 0;
  for (long budget = 0; budget < 400 && !saw_ok; budget++) {
    quire_set_allocator(fail_malloc, fail_realloc, plain_free, NULL);
    allowed = budget;
    quire_import *imp = NULL;
    quire_writer *w = NULL;
    int status = quire_import_new(&imp);
    if (status == QUIRE_OK)
      status = quire_writer_open(path, &w);
    if (status == QUIRE_OK)
      status = quire_import_csv_buffer(imp, w, csv, strlen(csv), NULL);
    if (status == QUIRE_OK)
      status = quire_writer_finish(w);
    quire_writer_free(w);
    quire_import_free(imp);
    quire_set_allocator(NULL, NULL, NULL, NULL);
    if (status == QUIRE_OK)
      saw_ok = 1;
    else
      saw_enomem |= status == QUIRE_ENOMEM;
  }
  cr_assert(saw_enomem && saw_ok);
}

/* Under QUIRE_UTF8_REPLACE a field within its limit can pass it once each
 * invalid byte becomes U+FFFD (three bytes): the row is bad like any other,
 * skipped with --skip-bad-rows, not the end of the import. */
Test(bad_csv, skip_rows_over_a_limit_after_utf8_repair) {
  size_t bad = QUIRE_MAX_SOURCE_LENGTH / 2; /* 3 * bad bytes once repaired */
  char *csv = malloc(bad + 64);
  size_t len = (size_t)sprintf(csv, "source,title\nok,1\n");
  memset(csv + len, 0xFF, bad);
  len += bad;
  len += (size_t)sprintf(csv + len, ",2\nok,3\n");
  char path[512];
  tu_tmp_path(path, sizeof path, "repair-limit.quire");
  quire_writer *w;
  quire_import *imp;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_utf8(w, QUIRE_UTF8_REPLACE), QUIRE_OK);
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_set_skip_bad_rows(imp, 1), QUIRE_OK);
  cr_assert_eq(quire_import_csv_buffer(imp, w, csv, len, "data.csv"), QUIRE_OK,
               "%s", quire_import_errmsg(imp));
  cr_assert_eq(quire_import_rows(imp), 2);
  cr_assert_eq(quire_import_skipped(imp), 1);
  cr_assert(strstr(quire_import_warnings(imp), "row 3, column source") != NULL,
            "%s", quire_import_warnings(imp));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_import_free(imp);
  free(csv);
}

/* ---- memory of an export ------------------------------------------------ */

static int count_write(void *ctx, const char *data, size_t len) {
  (void)data;
  *(uint64_t *)ctx += len;
  return 0;
}

/* Every block buffer of a walk (the cursor's and each read-ahead slot's) is
 * reused for the next block. Each used to keep the size of the largest
 * block it had held, so a corpus with a few large documents spread through
 * it left every buffer that large for the rest of the walk: ten documents
 * of 1 MiB made an export hold about 10 MiB to the end. */
Test(export, memory_does_not_keep_the_largest_block_of_the_corpus) {
  char path[512];
  tu_tmp_path(path, sizeof path, "large-docs.quire");
  enum { DOCS = 1100, SMALL = 6000, LARGE = 1 << 20 };
  char *text = malloc(LARGE);
  for (size_t i = 0; i < LARGE; i++)
    text[i] = i % 7 == 6 ? ' ' : (char)('a' + (i * 2654435761u >> 7) % 26);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  for (int d = 0; d < DOCS; d++) {
    /* A large document every 100: more than the read-ahead queue's eight
     * blocks apart, so at most one is in flight at a time. */
    size_t len = d % 100 == 50 ? LARGE : SMALL + (size_t)d % 97;
    cr_assert_eq(tu_writer_add(w, "s", 1, "2020-01-02", 10, "t", 1, "a", 1, "u",
                               1, text + d % 101, len - d % 101),
                 QUIRE_OK);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  free(text);

  cr_assert_eq(tu_counting_allocator(1), QUIRE_OK);
  long base = tu_live_bytes();
  tu_peak_reset();
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  uint64_t bytes = 0;
  cr_assert_eq(quire_export_to_callback(exp, count_write, &bytes), QUIRE_OK,
               "%s", quire_export_errmsg(exp));
  cr_assert_eq(quire_export_rows(exp), DOCS);
  quire_export_free(exp);
  quire_corpus_free(c);
  long peak = tu_peak_bytes() - base;
  tu_counting_allocator(0); /* frees what libquire keeps for reuse */
  cr_assert_eq(tu_live_bytes(), base, "the export leaked");
  fprintf(stderr, "export with 1 MiB documents: peak %ld bytes\n", peak);
  /* One large block in the queue and one with the cursor, 2 MiB, plus the
   * queues of ordinary blocks: well under 5 MiB. */
  cr_assert_lt(peak, 5l << 20, "peak %ld bytes", peak);
  unlink(path);
}
