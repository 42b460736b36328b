/*
 * fuzz_csv.c: imports an arbitrary byte buffer as CSV into a writer, then
 * either abandons the writer (as the CLI does on error) or finishes it, and
 * checks what was written.
 *
 * The first input byte is a mode: bit 0 skip bad rows, bit 1 finish even
 * after an error, bit 2 input order, bit 3 repair invalid UTF-8, bit 4
 * re-import the export of the result and compare (a round trip), bit 5
 * import through a file (quire_import_csv_path(), which reads gzip and
 * zstd: the seeds of this mode are compressed CSV). The rest is the CSV.
 *
 * Checks beyond the sanitizers: documented statuses with messages; a
 * finished file opens, verifies whole and holds exactly the rows the
 * importer counted; an export of it imports back to the same export.
 * A "file" column would read arbitrary paths from the input, so it is
 * mapped to "ignore" here; file columns are tested in test_csv.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"

/* A private directory, in memory when /dev/shm exists: finishing syncs. */
static const char *work_dir(void) {
  static char dir[64];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/dev/shm/quire-fuzz-csv-XXXXXX");
    if (!mkdtemp(dir)) {
      snprintf(dir, sizeof dir, "/tmp/quire-fuzz-csv-XXXXXX");
      HD_CHECK(mkdtemp(dir) != NULL);
    }
  }
  return dir;
}

static int import_status_ok(int status) {
  return status == QUIRE_OK || status == QUIRE_ECSV || status == QUIRE_EDATE ||
         status == QUIRE_EUTF8 || status == QUIRE_ELIMIT ||
         status == QUIRE_EINVAL;
}

/* Imports csv into a new writer at path; finishes it when asked or when
 * the import succeeded. Returns the rows the file holds, or -1 when no
 * file was written. */
static long long import_to(const char *csv, size_t len, const char *path,
                           uint8_t mode, int *import_status) {
  quire_writer *w;
  HD_CHECK(quire_writer_open(path, &w) == QUIRE_OK);
  HD_CHECK(quire_writer_set_order(w, mode & 4
                                         ? QUIRE_ORDER_INPUT
                                         : QUIRE_ORDER_CLUSTERED) == QUIRE_OK);
  HD_CHECK(quire_writer_set_block_size(w, QUIRE_MIN_BLOCK_SIZE) == QUIRE_OK);
  HD_CHECK(quire_writer_set_level(w, 1) == QUIRE_OK);
  if (mode & 8)
    HD_CHECK(quire_writer_set_utf8(w, QUIRE_UTF8_REPLACE) == QUIRE_OK);
  quire_import *imp;
  HD_CHECK(quire_import_new(&imp) == QUIRE_OK);
  HD_CHECK(quire_import_map_column(imp, "file", 4, QUIRE_FIELD_IGNORE) ==
           QUIRE_OK);
  HD_CHECK(quire_import_set_skip_bad_rows(imp, mode & 1) == QUIRE_OK);
  int status;
  if (mode & 32) {
    char in[128];
    snprintf(in, sizeof in, "%s/in.csv", work_dir());
    HD_CHECK(hd_write_file(in, csv, len) == 0);
    status = quire_import_csv_path(imp, w, in);
    unlink(in);
  } else {
    status = quire_import_csv_buffer(imp, w, csv, len, "fuzz.csv");
  }
  *import_status = status;
  HD_CHECK(import_status_ok(status));
  if (status != QUIRE_OK)
    HD_CHECK(quire_import_errmsg(imp)[0] != '\0');
  HD_CHECK(quire_writer_doc_count(w) == quire_import_rows(imp));
  const char *warnings = quire_import_warnings(imp);
  HD_CHECK(warnings[0] == '\0' || warnings[strlen(warnings) - 1] == '\n');
  long long rows = -1;
  if (status == QUIRE_OK || (mode & 2)) {
    HD_CHECK(quire_writer_finish(w) == QUIRE_OK);
    rows = (long long)quire_import_rows(imp);
  }
  quire_writer_free(w);
  quire_import_free(imp);
  HD_CHECK(access(path, F_OK) == (rows >= 0 ? 0 : -1));
  return rows;
}

/* Opens a written file, checks it whole, and exports it. */
static void check_written(const char *path, long long rows, hd_bytes *csv) {
  quire_corpus *c;
  HD_CHECK(quire_corpus_open(path, &c) == QUIRE_OK);
  HD_CHECK(quire_corpus_doc_count(c) == (uint64_t)rows);
  HD_CHECK(quire_corpus_verify(c, NULL, NULL, NULL) == QUIRE_OK);
  quire_export *exp;
  HD_CHECK(quire_export_new(c, &exp) == QUIRE_OK);
  HD_CHECK(quire_export_to_callback(exp, hd_collect, csv) == QUIRE_OK);
  HD_CHECK(quire_export_rows(exp) == (uint64_t)rows);
  quire_export_free(exp);
  quire_corpus_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t mode;
  size_t len;
  char *csv = (char *)hd_fuzz_input(data, size, &mode, &len);
  if (!csv)
    return 0;
  char path[128], again[128];
  snprintf(path, sizeof path, "%s/out.quire", work_dir());
  snprintf(again, sizeof again, "%s/again.quire", work_dir());
  int status;
  long long rows = import_to(csv, len, path, mode, &status);
  if (rows >= 0) {
    hd_bytes first = {0}, second = {0};
    check_written(path, rows, &first);
    /* What quire exports, quire imports back unchanged (input order keeps
     * the ids in place). */
    if ((mode & 0x14) == 0x14) {
      int again_status;
      long long again_rows =
          import_to(first.data, first.len, again, mode & ~1u, &again_status);
      HD_CHECK(again_status == QUIRE_OK && again_rows == rows);
      check_written(again, again_rows, &second);
      HD_CHECK(hd_same(second.data, second.len, first.data, first.len));
      unlink(again);
    }
    hd_bytes_free(&first);
    hd_bytes_free(&second);
    unlink(path);
  }
  free(csv);
  return 0;
}
