/*
 * test_xlsx_absent.c: the XLSX export on a machine without libxlsxwriter.
 *
 * This test is linked with its own copy of core/xlsx_lib.c, built to look
 * for names no library has (CMakeLists.txt), which takes the place of the
 * static library's: so the export below runs exactly as on a machine where
 * libxlsxwriter cannot be loaded, while the rest of libquire is the real one.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quire.h"
#include "testutil.h"
#include <criterion/criterion.h>

static quire_corpus *small_corpus(const char *path) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(tu_writer_add(w, "s", 1, "2016-04-22", 10, "t", 1, "", 0, "",
                               0, "x", 1),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  return c;
}

/* The number of entries of dir, "." and ".." aside. */
static int entries(const char *dir) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

Test(xlsx_absent, fails_with_a_message_and_leaves_nothing) {
  char dir[512], path[512], out[512];
  tu_tmp_path(dir, sizeof dir, "xlsx-absent");
  cr_assert_eq(mkdir(dir, 0700), 0);
  snprintf(path, sizeof path, "%s/c.quire", dir);
  quire_corpus *c = small_corpus(path);
  snprintf(out, sizeof out, "%s/out.xlsx", dir);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  for (int attempt = 0; attempt < 2; attempt++) {
    /* The loader runs once per process; the second call gets its verdict. */
    cr_assert_eq(quire_export_to_xlsx(exp, out), QUIRE_EIO);
    const char *msg = quire_export_errmsg(exp);
    cr_assert(strstr(msg, "libxlsxwriter") && strstr(msg, "cannot be loaded"),
              "%s", msg);
    cr_assert_eq(quire_export_rows(exp), 0);
    cr_assert_eq(quire_export_files(exp), 0);
    cr_assert(!tu_exists(out));
    cr_assert_eq(entries(dir), 1, "the export left a file behind");
  }
  /* Split into several workbooks: no part is left either. */
  cr_assert_eq(quire_export_set_split_rows(exp, 1), QUIRE_OK);
  cr_assert_eq(quire_export_to_xlsx(exp, out), QUIRE_EIO);
  cr_assert_eq(entries(dir), 1, "the split export left a file behind");
  /* The same export still writes CSV. */
  char csv[512];
  snprintf(csv, sizeof csv, "%s/out.csv", dir);
  cr_assert_eq(quire_export_set_split_rows(exp, 0), QUIRE_OK);
  cr_assert_eq(quire_export_to_path(exp, csv), QUIRE_OK, "%s",
               quire_export_errmsg(exp));
  cr_assert_eq(quire_export_rows(exp), 3);
  quire_export_free(exp);
  quire_corpus_free(c);
  unlink(csv);
  unlink(path);
  rmdir(dir);
}
