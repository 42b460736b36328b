/*
 * test_csv_compressed.c: CSV inputs compressed with gzip or zstd
 * (core/csv_source.c), read by quire_import_csv_path() as their plain form
 * is, on the calling thread and on the parsing thread, and refused with a
 * message naming the damage when they are cut short or damaged; the same
 * bytes in memory, read by quire_import_csv_buffer().
 *
 * The compressed inputs are made here (hardening.h's hd_gzip() and
 * hd_zstd()) from a generated CSV of several read chunks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardening.h"
#include "quire.h"
#include "testutil.h"

/* ---- inputs ---------------------------------------------------------------
 */

/* A CSV of n rows, about 300 bytes each: several 64 KiB read chunks. */
static hd_bytes make_csv(int n) {
  hd_bytes csv = {0};
  const char *head = "source,date,title,text\n";
  hd_bytes_put(&csv, head, strlen(head));
  for (int i = 0; i < n; i++) {
    char line[512];
    int len =
        snprintf(line, sizeof line,
                 "Source %d,2016-%02d-%02d,\"Title %d, quoted \"\"%d\"\"\","
                 "\"Body of %d: Minsk and Beijing talk trade, row %d "
                 "of the generated corpus, with words repeated so that "
                 "it compresses as news text does. Россия %d\"\n",
                 i % 7, 1 + i % 12, 1 + i % 28, i, i * 3, i, i, i % 5);
    hd_bytes_put(&csv, line, (size_t)len);
  }
  return csv;
}

/* Two members or frames: the first half of csv (cut between rows, after
 * the header), then the rest. */
static hd_bytes concatenated(const hd_bytes *csv,
                             hd_bytes (*compress)(const void *, size_t)) {
  const char *cut = memchr(csv->data + csv->len / 2, '\n', csv->len / 2);
  cr_assert(cut);
  size_t first = (size_t)(cut + 1 - csv->data);
  hd_bytes a = compress(csv->data, first);
  hd_bytes b = compress(csv->data + first, csv->len - first);
  hd_bytes_put(&a, b.data, b.len);
  free(b.data);
  return a;
}

static char *write_input(const char *name, const hd_bytes *bytes, char *path,
                         size_t cap) {
  tu_tmp_path(path, cap, name);
  cr_assert_eq(tu_write_file(path, bytes->data, bytes->len), 0);
  return path;
}

/* ---- importing ------------------------------------------------------------
 */

typedef struct progress_seen {
  uint64_t done, total;
} progress_seen;

static int on_progress(void *ctx, uint64_t done, uint64_t total) {
  progress_seen *seen = ctx;
  seen->done = done;
  seen->total = total;
  return 0;
}

/* Imports into a corpus at out, clustered, with threads threads (two:
 * parsed on a thread of its own), the file at in or, when in is NULL,
 * bytes in memory named name. On failure nothing is finished, as the CLI
 * does; msg receives the importer's message. */
static int import_input(const char *in, const hd_bytes *bytes, const char *name,
                        const char *out, int threads, char *msg,
                        progress_seen *seen) {
  quire_writer *w;
  quire_import *imp;
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_threads(w, threads), QUIRE_OK);
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  if (seen)
    cr_assert_eq(quire_import_set_progress(imp, on_progress, seen), QUIRE_OK);
  int status =
      in ? quire_import_csv_path(imp, w, in)
         : quire_import_csv_buffer(imp, w, bytes->data, bytes->len, name);
  snprintf(msg, 1024, "%s", quire_import_errmsg(imp));
  if (status == QUIRE_OK)
    cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s",
                 quire_writer_errmsg(w));
  quire_import_free(imp);
  quire_writer_free(w);
  return status;
}

static int import_file(const char *in, const char *out, int threads, char *msg,
                       progress_seen *seen) {
  return import_input(in, NULL, NULL, out, threads, msg, seen);
}

static int import_buffer(const hd_bytes *bytes, const char *name,
                         const char *out, int threads, char *msg,
                         progress_seen *seen) {
  return import_input(NULL, bytes, name, out, threads, msg, seen);
}

/* The corpus packed from the file at in must be byte for byte the one
 * packed from want (a plain CSV). */
static void packs_like(const char *in, const char *want, int threads) {
  char a[512], b[512], msg[1024];
  tu_tmp_path(a, sizeof a, "from-plain.quire");
  tu_tmp_path(b, sizeof b, "from-compressed.quire");
  cr_assert_eq(import_file(want, a, threads, msg, NULL), QUIRE_OK, "%s", msg);
  cr_assert_eq(import_file(in, b, threads, msg, NULL), QUIRE_OK, "%s", msg);
  size_t la, lb;
  char *fa = tu_read_file(a, &la), *fb = tu_read_file(b, &lb);
  cr_assert(fa && fb);
  cr_assert(la == lb && memcmp(fa, fb, la) == 0,
            "%s (%d threads) packs %zu bytes unlike its plain CSV's %zu", in,
            threads, lb, la);
  free(fa);
  free(fb);
}

/* Importing the file at in must fail with status and a message holding
 * each NULL-terminated fragment and the file's path; no corpus appears. */
static void refused(const char *in, int threads, int status,
                    const char *const *fragments) {
  char out[512], msg[1024];
  tu_tmp_path(out, sizeof out, "refused.quire");
  int got = import_file(in, out, threads, msg, NULL);
  cr_assert_eq(got, status, "%s (%d threads): status %d (%s), want %d", in,
               threads, got, msg, status);
  cr_assert(strstr(msg, in), "message \"%s\" does not name %s", msg, in);
  for (size_t i = 0; fragments[i]; i++)
    cr_assert(strstr(msg, fragments[i]),
              "%d threads: message \"%s\" lacks \"%s\"", threads, msg,
              fragments[i]);
  cr_assert(!tu_exists(out));
}

/* ---- tests ---------------------------------------------------------------
 */

/* The gzip and zstd forms of csv (freed here) must pack what csv packs,
 * on the calling thread and on the parsing thread. */
static void pack_like_plain(hd_bytes *csv, hd_bytes gz, hd_bytes zst) {
  char plain[512], gzp[512], zstp[512];
  write_input("in.csv", csv, plain, sizeof plain);
  write_input("in.csv.gz", &gz, gzp, sizeof gzp);
  write_input("in.csv.zst", &zst, zstp, sizeof zstp);
  for (int threads = 1; threads <= 2; threads++) {
    packs_like(gzp, plain, threads);
    packs_like(zstp, plain, threads);
  }
  hd_bytes_free(csv);
  hd_bytes_free(&gz);
  hd_bytes_free(&zst);
}

Test(csv_compressed, gzip_and_zstd_pack_the_bytes_their_plain_csv_packs) {
  hd_bytes csv = make_csv(2000);
  pack_like_plain(&csv, hd_gzip(csv.data, csv.len), hd_zstd(csv.data, csv.len));
}

Test(csv_compressed, concatenated_members_and_frames_read_as_one_input) {
  hd_bytes csv = make_csv(1500);
  pack_like_plain(&csv, concatenated(&csv, hd_gzip),
                  concatenated(&csv, hd_zstd));
}

Test(csv_compressed, progress_counts_the_bytes_of_the_file) {
  hd_bytes csv = make_csv(1500);
  hd_bytes gz = hd_gzip(csv.data, csv.len);
  char in[512], out[512], msg[1024];
  write_input("in.csv.gz", &gz, in, sizeof in);
  for (int threads = 1; threads <= 2; threads++) {
    progress_seen seen = {0, 0};
    tu_tmp_path(out, sizeof out, "progress.quire");
    cr_assert_eq(import_file(in, out, threads, msg, &seen), QUIRE_OK, "%s",
                 msg);
    cr_assert_eq(seen.total, gz.len);
    cr_assert_eq(seen.done, gz.len, "progress ended at %llu of %zu",
                 (unsigned long long)seen.done, gz.len);
  }
  free(csv.data);
  free(gz.data);
}

Test(csv_compressed, a_file_cut_short_is_refused) {
  hd_bytes csv = make_csv(1500);
  hd_bytes gz = hd_gzip(csv.data, csv.len), zst = hd_zstd(csv.data, csv.len);
  gz.len /= 2;
  zst.len /= 2;
  char gzp[512], zstp[512], magic[512];
  write_input("cut.csv.gz", &gz, gzp, sizeof gzp);
  write_input("cut.csv.zst", &zst, zstp, sizeof zstp);
  hd_bytes two = {0};
  hd_bytes_put(&two, "\x1f\x8b", 2);
  write_input("magic-only.gz", &two, magic, sizeof magic);
  static const char *const gzip_cut[] = {"gzip data ends early", NULL};
  static const char *const zstd_cut[] = {"zstd data ends early", NULL};
  for (int threads = 1; threads <= 2; threads++) {
    refused(gzp, threads, QUIRE_ECSV, gzip_cut);
    refused(zstp, threads, QUIRE_ECSV, zstd_cut);
    refused(magic, threads, QUIRE_ECSV, gzip_cut);
  }
  free(csv.data);
  free(gz.data);
  free(zst.data);
  free(two.data);
}

Test(csv_compressed, damage_is_named_whatever_it_did_first) {
  hd_bytes csv = make_csv(1500);
  hd_bytes gz = hd_gzip(csv.data, csv.len), zst = hd_zstd(csv.data, csv.len);
  /* A byte in the middle of the compressed data: zlib may turn it into
   * rows that fail (found first) or into good-looking text (then only the
   * member's CRC tells); either way the damage is what is reported. */
  gz.data[gz.len / 2] ^= 0x5a;
  zst.data[zst.len / 2] ^= 0x5a;
  char gzp[512], zstp[512], trailing[512];
  write_input("bad.csv.gz", &gz, gzp, sizeof gzp);
  write_input("bad.csv.zst", &zst, zstp, sizeof zstp);
  hd_bytes good = hd_gzip(csv.data, csv.len);
  hd_bytes_put(&good, "trailing", 8);
  write_input("trailing.csv.gz", &good, trailing, sizeof trailing);
  static const char *const gzip_bad[] = {"gzip data is damaged", NULL};
  static const char *const zstd_bad[] = {"zstd data is damaged", NULL};
  for (int threads = 1; threads <= 2; threads++) {
    refused(gzp, threads, QUIRE_ECSV, gzip_bad);
    refused(zstp, threads, QUIRE_ECSV, zstd_bad);
    refused(trailing, threads, QUIRE_ECSV, gzip_bad);
  }
  free(csv.data);
  free(gz.data);
  free(zst.data);
  free(good.data);
}

Test(csv_compressed, a_row_error_before_the_damage_is_named_after_it) {
  /* A bad date in row 3, and a gzip member whose CRC is wrong: the date
   * fails first, and the damage found past it is the cause reported. */
  const char *text = "source,date,text\nA,2016-01-01,one\nB,2016-13-01,two\n"
                     "C,2016-03-01,three\n";
  hd_bytes gz = hd_gzip(text, strlen(text));
  gz.data[gz.len - 8] ^= 0x01; /* the CRC-32, first of the last 8 bytes */
  char in[512];
  write_input("crc.csv.gz", &gz, in, sizeof in);
  static const char *const both[] = {"gzip data is damaged",
                                     "incorrect data check", "row 3", NULL};
  for (int threads = 1; threads <= 2; threads++)
    refused(in, threads, QUIRE_ECSV, both);
  free(gz.data);
}

Test(csv_compressed, a_row_error_in_sound_data_is_reported_as_it_is) {
  const char *text = "source,date,text\nA,2016-01-01,one\nB,2016-13-01,two\n";
  hd_bytes gz = hd_gzip(text, strlen(text)), zst = hd_zstd(text, strlen(text));
  char gzp[512], zstp[512];
  write_input("date.csv.gz", &gz, gzp, sizeof gzp);
  write_input("date.csv.zst", &zst, zstp, sizeof zstp);
  static const char *const date[] = {"row 3", "bad date", NULL};
  refused(gzp, 1, QUIRE_EDATE, date);
  refused(zstp, 1, QUIRE_EDATE, date);
  char out[512], msg[1024];
  tu_tmp_path(out, sizeof out, "x.quire");
  cr_assert_eq(import_file(gzp, out, 1, msg, NULL), QUIRE_EDATE);
  cr_assert(!strstr(msg, "damaged"), "%s", msg);
  free(gz.data);
  free(zst.data);
}

Test(csv_compressed, an_empty_compressed_file_has_no_header_row) {
  hd_bytes gz = hd_gzip("", 0), zst = hd_zstd("", 0);
  char gzp[512], zstp[512];
  write_input("empty.csv.gz", &gz, gzp, sizeof gzp);
  write_input("empty.csv.zst", &zst, zstp, sizeof zstp);
  static const char *const empty[] = {"no header row", NULL};
  refused(gzp, 1, QUIRE_ECSV, empty);
  refused(zstp, 2, QUIRE_ECSV, empty);
  free(gz.data);
  free(zst.data);
}

Test(csv_compressed, a_zstd_window_over_zstds_limit_is_refused) {
  /* A frame declaring a 256 MiB window, as zstd --long=28 writes: its size
   * unknown up front (streamed), so the window is not shrunk to fit. */
  const char *text = "source,text\nA,one\n";
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  cr_assert(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 28)));
  char frame[256];
  ZSTD_outBuffer out = {frame, sizeof frame, 0};
  ZSTD_inBuffer in = {text, strlen(text), 0};
  cr_assert(
      !ZSTD_isError(ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue)));
  ZSTD_inBuffer none = {NULL, 0, 0};
  cr_assert_eq(ZSTD_compressStream2(cctx, &out, &none, ZSTD_e_end), 0);
  ZSTD_freeCCtx(cctx);
  hd_bytes zst = {0};
  hd_bytes_put(&zst, frame, out.pos);
  char path[512];
  write_input("long.csv.zst", &zst, path, sizeof path);
  static const char *const window[] = {"window of more than 128 MiB",
                                       "zstd -dc --long=31", NULL};
  for (int threads = 1; threads <= 2; threads++)
    refused(path, threads, QUIRE_ELIMIT, window);
  hd_bytes_free(&zst);
}

/* The corpus packed from bytes in memory must be byte for byte the one
 * packed from the plain CSV file at want, and progress must end at the
 * size of the bytes. */
static void buffer_packs_like(const hd_bytes *bytes, const char *want,
                              int threads) {
  char a[512], b[512], msg[1024];
  tu_tmp_path(a, sizeof a, "from-file.quire");
  tu_tmp_path(b, sizeof b, "from-memory.quire");
  cr_assert_eq(import_file(want, a, threads, msg, NULL), QUIRE_OK, "%s", msg);
  progress_seen seen = {0, 0};
  cr_assert_eq(import_buffer(bytes, "bytes", b, threads, msg, &seen), QUIRE_OK,
               "%s", msg);
  cr_assert_eq(seen.done, bytes->len, "progress ended at %llu of %zu",
               (unsigned long long)seen.done, bytes->len);
  size_t la, lb;
  char *fa = tu_read_file(a, &la), *fb = tu_read_file(b, &lb);
  cr_assert(fa && fb);
  cr_assert(la == lb && memcmp(fa, fb, la) == 0,
            "%d threads: the bytes pack %zu bytes unlike the file's %zu",
            threads, lb, la);
  free(fa);
  free(fb);
}

Test(csv_compressed, compressed_bytes_in_memory_pack_as_their_plain_csv) {
  hd_bytes csv = make_csv(1500);
  char plain[512];
  write_input("in.csv", &csv, plain, sizeof plain);
  hd_bytes forms[4] = {hd_gzip(csv.data, csv.len), hd_zstd(csv.data, csv.len),
                       concatenated(&csv, hd_gzip),
                       concatenated(&csv, hd_zstd)};
  for (int i = 0; i < 4; i++) {
    for (int threads = 1; threads <= 2; threads++)
      buffer_packs_like(&forms[i], plain, threads);
    hd_bytes_free(&forms[i]);
  }
  hd_bytes_free(&csv);
}

/* Importing bytes must fail with status and a message naming the input
 * and holding fragment; no corpus appears. */
static void buffer_refused(const hd_bytes *bytes, int threads, int status,
                           const char *fragment) {
  char out[512], msg[1024];
  tu_tmp_path(out, sizeof out, "refused.quire");
  int got = import_buffer(bytes, "mem.csv.gz", out, threads, msg, NULL);
  cr_assert_eq(got, status, "%d threads: status %d (%s), want %d", threads, got,
               msg, status);
  cr_assert(strstr(msg, "mem.csv.gz") && strstr(msg, fragment),
            "%d threads: message \"%s\" lacks \"%s\"", threads, msg, fragment);
  cr_assert(!tu_exists(out));
}

/* Before compressed bytes in memory were read, they were refused; before
 * that, with a message about a quote in row 1. Cut short or damaged, they
 * are refused with the damage named. */
Test(csv_compressed, compressed_bytes_cut_short_or_damaged_are_named) {
  hd_bytes csv = make_csv(1500);
  hd_bytes gz = hd_gzip(csv.data, csv.len), zst = hd_zstd(csv.data, csv.len);
  hd_bytes gz_cut = {0}, zst_cut = {0};
  hd_bytes_put(&gz_cut, gz.data, gz.len / 2);
  hd_bytes_put(&zst_cut, zst.data, zst.len / 2);
  gz.data[gz.len / 2] ^= 0x5a;
  zst.data[zst.len / 2] ^= 0x5a;
  for (int threads = 1; threads <= 2; threads++) {
    buffer_refused(&gz_cut, threads, QUIRE_ECSV,
                   "gzip data ends early: the input is truncated");
    buffer_refused(&zst_cut, threads, QUIRE_ECSV,
                   "zstd data ends early: the input is truncated");
    buffer_refused(&gz, threads, QUIRE_ECSV, "gzip data is damaged");
    buffer_refused(&zst, threads, QUIRE_ECSV, "zstd data is damaged");
  }
  hd_bytes_free(&csv);
  hd_bytes_free(&gz);
  hd_bytes_free(&zst);
  hd_bytes_free(&gz_cut);
  hd_bytes_free(&zst_cut);
}
