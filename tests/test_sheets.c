/*
 * test_sheets.c: the spreadsheet parts of the export API: derived date
 * columns, split files, the rows-over-a-sheet count and the XLSX export's
 * arguments and atomicity. (The cells of the XLSX, as Calc and openpyxl
 * read them, are checked by tests/sheets.)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "quire.h"
#include "testutil.h"
#include <criterion/criterion.h>

static quire_corpus *dated_corpus(const char *path) {
  static const char *const dates[] = {"2016",
                                      "2016-01",
                                      "2016-04-22",
                                      "2017-05-08T09:22",
                                      "2016-01-31T23:30:00-05:00",
                                      "",
                                      "0001-01-01",
                                      "9999-12-31T23:59:59Z"};
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
    cr_assert_eq(tu_writer_add(w, "s", 1, dates[i], strlen(dates[i]), "t", 1,
                               "", 0, "", 0, "x", 1),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  return c;
}

static int to_buf(void *ctx, const char *data, size_t len) {
  char *buf = ctx;
  size_t have = strlen(buf);
  cr_assert(have + len < 4096);
  memcpy(buf + have, data, len);
  buf[have + len] = '\0';
  return 0;
}

Test(sheets, derived_date_columns) {
  char path[512];
  quire_corpus *c = dated_corpus(tu_tmp_path(path, sizeof path, "d.quire"));
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  const char *cols = "date,YEAR,month,day,datetime_utc,date_precision";
  cr_assert_eq(quire_export_set_columns(exp, cols, strlen(cols)), QUIRE_OK);
  static char got[4096];
  got[0] = '\0';
  cr_assert_eq(quire_export_to_callback(exp, to_buf, got), QUIRE_OK);
  cr_assert_str_eq(
      got, "date,year,month,day,datetime_utc,date_precision\n"
           "2016,2016,,,2016-01-01T00:00:00Z,year\n"
           "2016-01,2016,1,,2016-01-01T00:00:00Z,month\n"
           "2016-04-22,2016,4,22,2016-04-22T00:00:00Z,day\n"
           "2017-05-08T09:22,2017,5,8,2017-05-08T09:22:00Z,minute\n"
           "2016-01-31T23:30:00-05:00,2016,1,31,2016-02-01T04:30:00Z,second\n"
           ",,,,,\n"
           "0001-01-01,1,1,1,0001-01-01T00:00:00Z,day\n"
           "9999-12-31T23:59:59Z,9999,12,31,9999-12-31T23:59:59Z,second\n");
  /* The excel dialect quotes the text columns only. */
  got[0] = '\0';
  cr_assert_eq(quire_export_set_dialect(exp, QUIRE_CSV_EXCEL), QUIRE_OK);
  cr_assert_eq(quire_export_set_columns(exp, "id,date,day,date_precision", 26),
               QUIRE_OK);
  cr_assert_eq(quire_export_to_callback(exp, to_buf, got), QUIRE_OK);
  cr_assert(strstr(got, "\r\n2,\"2016-04-22\",22,\"day\"\r\n"), "%s", got);
  cr_assert(strstr(got, "\r\n5,\"\",,\"\"\r\n"), "%s", got);
  /* Unknown names are refused and name the derived columns. */
  cr_assert_eq(quire_export_set_columns(exp, "id,weekday", 10), QUIRE_EINVAL);
  cr_assert(strstr(quire_export_errmsg(exp), "datetime_utc"));
  quire_export_free(exp);
  quire_corpus_free(c);
}

Test(sheets, part_paths) {
  static const char *const cases[][2] = {{"out.csv", "out-007.csv"},
                                         {"dir.v2/out", "dir.v2/out-007"},
                                         {"/a/b.tar.xlsx", "/a/b.tar-007.xlsx"},
                                         {".hidden", ".hidden-007"},
                                         {"x", "x-007"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *p = q_export_part_path(cases[i][0], 7);
    cr_assert_str_eq(p, cases[i][1]);
    q_free(p);
  }
  char *p = q_export_part_path("o.csv", 12345);
  cr_assert_str_eq(p, "o-12345.csv");
  q_free(p);
}

Test(sheets, split_files_and_counts) {
  char path[512], out[512], part[600];
  quire_corpus *c = dated_corpus(tu_tmp_path(path, sizeof path, "s.quire"));
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_set_split_rows(exp, 3), QUIRE_OK);
  tu_tmp_path(out, sizeof out, "split.csv");
  cr_assert_eq(quire_export_to_path(exp, out), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  cr_assert_eq(quire_export_files(exp), 3);
  cr_assert_eq(quire_export_rows(exp), 8);
  cr_assert_eq(quire_export_rows_over_sheet(exp), 0);
  for (int i = 1; i <= 3; i++) {
    snprintf(part, sizeof part, "%.*s-%03d.csv", (int)strlen(out) - 4, out, i);
    size_t len;
    char *data = tu_read_file(part, &len);
    cr_assert_not_null(data, "%s", part);
    cr_assert(strncmp(data, "id,source,date,title,author,url,text\n", 37) == 0);
    free(data);
    unlink(part);
  }
  cr_assert(!tu_exists(out));
  /* A descriptor or a callback cannot be split. */
  static char got[4096];
  cr_assert_eq(quire_export_to_callback(exp, to_buf, got), QUIRE_EINVAL);
  cr_assert(strstr(quire_export_errmsg(exp), "path"));
  cr_assert_eq(quire_export_to_fd(exp, 2), QUIRE_EINVAL);
  cr_assert_eq(quire_export_files(exp), 0);
  /* The XLSX export splits the same way. */
  tu_tmp_path(out, sizeof out, "split.xlsx");
  cr_assert_eq(quire_export_to_xlsx(exp, out), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  cr_assert_eq(quire_export_files(exp), 3);
  for (int i = 1; i <= 3; i++) {
    snprintf(part, sizeof part, "%.*s-%03d.xlsx", (int)strlen(out) - 5, out, i);
    size_t len;
    char *data = tu_read_file(part, &len);
    cr_assert(data && len > 4 && memcmp(data, "PK\3\4", 4) == 0, "%s", part);
    free(data);
    unlink(part);
  }
  quire_export_free(exp);
  quire_corpus_free(c);
}

Test(sheets, xlsx_arguments_and_atomicity) {
  char path[512], out[512];
  quire_corpus *c = dated_corpus(tu_tmp_path(path, sizeof path, "x.quire"));
  cr_assert_eq(quire_export_to_xlsx(NULL, "x.xlsx"), QUIRE_EINVAL);
  cr_assert_eq(quire_export_rows_over_sheet(NULL), 0);
  cr_assert_eq(quire_export_files(NULL), 0);
  cr_assert_eq(quire_export_set_split_rows(NULL, 1), QUIRE_EINVAL);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_xlsx(exp, NULL), QUIRE_EINVAL);
  cr_assert(strstr(quire_export_errmsg(exp), "NULL"));
  cr_assert_eq(quire_export_to_xlsx(exp, "/no/such/dir/x.xlsx"),
               QUIRE_ENOTFOUND);
  /* An old file stays as it was when the export fails, and is replaced
   * whole when it succeeds. */
  tu_tmp_path(out, sizeof out, "keep.xlsx");
  cr_assert_eq(tu_write_file(out, "old", 3), 0);
  quire_corpus *bad = NULL;
  quire_corpus_open("/no/such.quire", &bad);
  quire_export *failing;
  quire_export_new(bad, &failing);
  cr_assert_neq(quire_export_to_xlsx(failing, out), QUIRE_OK);
  size_t len;
  char *data = tu_read_file(out, &len);
  cr_assert(len == 3 && memcmp(data, "old", 3) == 0);
  free(data);
  quire_export_free(failing);
  quire_corpus_free(bad);
  cr_assert_eq(quire_export_to_xlsx(exp, out), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  data = tu_read_file(out, &len);
  cr_assert(len > 1000 && memcmp(data, "PK\3\4", 4) == 0);
  free(data);
  cr_assert_eq(quire_export_rows(exp), 8);
  cr_assert_eq(quire_export_files(exp), 1);
  quire_export_free(exp);
  quire_corpus_free(c);
}

/* A defect: a workbook written to a pipe replaced the pipe with a file
 * (and, once that was fixed, libxlsxwriter could not seek in the pipe).
 * The workbook is now built in $TMPDIR and copied into the pipe whole. */
Test(sheets, xlsx_into_a_pipe, .timeout = 60) {
  char path[512], fifo[512], file[512], tmpdir[512];
  quire_corpus *c = dated_corpus(tu_tmp_path(path, sizeof path, "p.quire"));
  tu_tmp_path(tmpdir, sizeof tmpdir, "xlsx-tmpdir");
  mkdir(tmpdir, 0755);
  setenv("TMPDIR", tmpdir, 1);
  tu_tmp_path(fifo, sizeof fifo, "book.fifo");
  tu_pipe_reader r;
  cr_assert_eq(tu_pipe_reader_start(&r, fifo), 0);

  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_xlsx(exp, fifo), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  struct stat st;
  cr_assert_eq(lstat(fifo, &st), 0);
  cr_assert(S_ISFIFO(st.st_mode), "the pipe was replaced");
  tu_pipe_reader_join(&r);

  /* The same workbook as one written to a file (its creation time aside,
   * which has the same length). */
  cr_assert_eq(
      quire_export_to_xlsx(exp, tu_tmp_path(file, sizeof file, "book.xlsx")),
      QUIRE_OK);
  size_t len;
  char *want = tu_read_file(file, &len);
  cr_assert_eq(r.len, len);
  cr_assert(memcmp(r.data, "PK\3\4", 4) == 0);
  free(want);
  free(r.data);
  /* Nothing is left in the temporary directory. */
  DIR *d = opendir(tmpdir);
  cr_assert_not_null(d);
  struct dirent *e;
  while ((e = readdir(d)))
    cr_assert(e->d_name[0] == '.', "%s was left in $TMPDIR", e->d_name);
  closedir(d);
  quire_export_free(exp);
  quire_corpus_free(c);
}
