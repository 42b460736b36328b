/*
 * cmd_query.c: the small reading commands: `quire info`, `count`, `ls` and
 * `cat`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* ---- info ---------------------------------------------------------------- */

static const char info_usage[] =
    "usage: quire info FILE [filters]\n"
    "\n"
    "Describes a corpus: documents, sources, date span, undated documents,\n"
    "the size of its data raw and on disk, the file format version, and\n"
    "how it was packed: codec, level, block size, dictionaries.\n"
    "With filters, also how many documents they select.\n"
    "\n" CLI_FILTER_USAGE "  -h, --help     show this help\n";

static void print_size(const char *label, uint64_t bytes) {
  const char *unit = "KiB";
  double scaled = (double)bytes / 1024;
  if (scaled >= 1024)
    scaled /= 1024, unit = "MiB";
  if (scaled >= 1024)
    scaled /= 1024, unit = "GiB";
  printf("%-12s %llu bytes (%.1f %s)\n", label, (unsigned long long)bytes,
         scaled, unit);
}

static void print_date_span(const quire_corpus *c) {
  int64_t first, last;
  if (quire_corpus_date_span(c, &first, &last) != QUIRE_OK) {
    printf("%-12s none (no document is dated)\n", "dates:");
    return;
  }
  char a[32], b[32];
  quire_date_format(first, QUIRE_DATE_DAY, a, sizeof a);
  quire_date_format(last, QUIRE_DATE_DAY, b, sizeof b);
  printf("%-12s %s to %s\n", "dates:", a, b);
}

/* Codec, level, block size and dictionaries (format 1.1). */
static int print_packing(const quire_corpus *c) {
  int codec = 0, level = 0;
  uint32_t block_size = 0;
  if (quire_corpus_codec(c, &codec, &level, &block_size) != QUIRE_OK)
    return cli_fail("info", "%s", quire_corpus_errmsg(c));
  const char *name = codec == QUIRE_CODEC_ZSTD ? "zstd" : "DEFLATE";
  if (level)
    printf("%-12s %s, level %d\n", "codec:", name, level);
  else
    printf("%-12s %s (level not recorded)\n", "codec:", name);
  print_size("block size:", block_size);
  uint64_t count = quire_corpus_dictionary_count(c);
  if (count == 0)
    printf("%-12s none\n", "dictionary:");
  for (uint64_t i = 0; i < count; i++) {
    uint32_t id = 0, size = 0;
    int meta = 0;
    if (quire_corpus_dictionary(c, i, &id, &size, &meta) != QUIRE_OK)
      return cli_fail("info", "%s", quire_corpus_errmsg(c));
    printf("%-12s %u bytes (%.1f KiB), for the %s, id %u\n",
           "dictionary:", size, size / 1024.0, meta ? "metadata" : "texts", id);
  }
  return EXIT_OK;
}

int cmd_info(int argc, char **argv) {
  cli_selection sel;
  quire_corpus *c;
  int rc = cli_open_selection(argc, argv, info_usage, &sel, &c);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  uint64_t raw = quire_corpus_raw_size(c), disk = quire_corpus_file_size(c);
  int major = 0, minor = 0;
  quire_corpus_format_version(c, &major, &minor);
  printf("%-12s %s\n", "file:", argv[optind]);
  printf("%-12s %d.%d\n", "format:", major, minor);
  if (print_packing(c) != EXIT_OK)
    rc = EXIT_FAILED;
  printf("%-12s %llu\n",
         "documents:", (unsigned long long)quire_corpus_doc_count(c));
  if (sel.filtered) {
    uint64_t count = 0;
    if (quire_corpus_count_matches(c, sel.filter, &count) != QUIRE_OK)
      rc = cli_fail("info", "%s", quire_corpus_errmsg(c));
    printf("%-12s %llu\n", "selected:", (unsigned long long)count);
  }
  printf("%-12s %llu\n",
         "sources:", (unsigned long long)quire_corpus_source_count(c));
  print_date_span(c);
  printf("%-12s %llu\n",
         "undated:", (unsigned long long)quire_corpus_undated_count(c));
  print_size("raw size:", raw);
  print_size("on disk:", disk);
  printf("%-12s %.2f (on disk / raw: %.1f%%)\n",
         "ratio:", disk ? (double)raw / (double)disk : 0.0,
         raw ? 100.0 * (double)disk / (double)raw : 0.0);
  quire_corpus_free(c);
  cli_selection_free(&sel);
  return rc;
}

/* ---- count --------------------------------------------------------------- */

static const char count_usage[] =
    "usage: quire count FILE [filters]\n"
    "\n"
    "Prints the number of documents the filters select (all of them when\n"
    "there is no filter), from the indexes alone; with --match or\n"
    "--match-any, exactly, by reading the texts the other filters select.\n"
    "\n" CLI_FILTER_USAGE "  -h, --help     show this help\n";

int cmd_count(int argc, char **argv) {
  cli_selection sel;
  quire_corpus *c;
  int rc = cli_open_selection(argc, argv, count_usage, &sel, &c);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  uint64_t count;
  if (quire_corpus_count_matches(c, sel.filter, &count) == QUIRE_OK)
    printf("%llu\n", (unsigned long long)count);
  else
    rc = cli_fail("count", "%s", quire_corpus_errmsg(c));
  quire_corpus_free(c);
  cli_selection_free(&sel);
  return rc;
}

/* ---- ls ------------------------------------------------------------------ */

static const char ls_usage[] =
    "usage: quire ls FILE [filters]\n"
    "\n"
    "Lists the selected documents, one per line, as tab-separated columns:\n"
    "number (what 'quire cat' takes), date, source, title. A missing date\n"
    "or source shows as '-'; tabs and line breaks in a title show as spaces.\n"
    "\n" CLI_FILTER_USAGE "  -h, --help     show this help\n";

/* Prints a field for a tab-separated line: '-' when empty, and no byte
 * that would break the line or the columns. */
static void put_ls_field(const char *data, size_t len) {
  if (len == 0) {
    putchar('-');
    return;
  }
  for (size_t i = 0; i < len; i++) {
    char ch = data[i];
    putchar(ch == '\t' || ch == '\n' || ch == '\r' ? ' ' : ch);
  }
}

static int ls_row(quire_cursor *cur) {
  static const int fields[] = {QUIRE_FIELD_DATE, QUIRE_FIELD_SOURCE,
                               QUIRE_FIELD_TITLE};
  printf("%llu", (unsigned long long)quire_cursor_doc(cur));
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const char *data;
    size_t len;
    if (quire_cursor_field(cur, fields[i], &data, &len) != QUIRE_OK)
      return cli_fail("ls", "%s", quire_cursor_errmsg(cur));
    putchar('\t');
    put_ls_field(data, len);
  }
  putchar('\n');
  return EXIT_OK;
}

int cmd_ls(int argc, char **argv) {
  cli_selection sel;
  quire_corpus *c;
  int rc = cli_open_selection(argc, argv, ls_usage, &sel, &c);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  quire_cursor *cur = NULL;
  int step = quire_cursor_open(c, sel.filter, &cur);
  if (step != QUIRE_OK)
    rc = cli_fail("ls", "%s", cur ? quire_cursor_errmsg(cur) : "out of memory");
  while (rc == EXIT_OK && (step = quire_cursor_next(cur)) == QUIRE_ROW)
    rc = ls_row(cur);
  if (rc == EXIT_OK && step != QUIRE_DONE)
    rc = cli_fail("ls", "%s", quire_cursor_errmsg(cur));
  if (fflush(stdout) != 0 && rc == EXIT_OK)
    rc = cli_fail("ls", "cannot write the list");
  quire_cursor_free(cur);
  quire_corpus_free(c);
  cli_selection_free(&sel);
  return rc;
}

/* ---- cat ----------------------------------------------------------------- */

static const char cat_usage[] =
    "usage: quire cat FILE N\n"
    "\n"
    "Prints the text of document number N (as 'quire ls' numbers them,\n"
    "from 0), exactly as it was packed.\n"
    "\n"
    "  -h, --help     show this help\n";

int cmd_cat(int argc, char **argv) {
  static const struct option options[] = {{"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  int rc =
      cli_parse(argc, argv, cat_usage, ":h", options, NULL, NULL, NULL, 2, 2);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  const char *path = argv[optind], *number = argv[optind + 1];
  uint64_t doc;
  if (cli_parse_u64(number, 0, &doc) != 0)
    return cli_usage_error("cat", "N: '%s' is not a document number", number);
  quire_corpus *c;
  if ((rc = cli_open("cat", path, &c)) != EXIT_OK)
    return rc;
  quire_cursor *cur = NULL;
  const char *text;
  size_t len;
  int status = quire_cursor_open(c, NULL, &cur);
  if (status == QUIRE_OK)
    status = quire_cursor_seek(cur, doc);
  if (status == QUIRE_ENOTFOUND)
    rc = cli_fail("cat", "%s holds no document %llu (it has %llu)", path,
                  (unsigned long long)doc,
                  (unsigned long long)quire_corpus_doc_count(c));
  else if (status != QUIRE_ROW ||
           quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &len) != QUIRE_OK)
    rc =
        cli_fail("cat", "%s", cur ? quire_cursor_errmsg(cur) : "out of memory");
  else if (cli_write_all(1, text, len) != 0)
    rc = cli_fail("cat", "cannot write the text");
  quire_cursor_free(cur);
  quire_corpus_free(c);
  return rc;
}
