/*
 * cmd_export.c: `quire export`, the selected documents as CSV on stdout or
 * in a file, as numbered CSV files (--split-rows) or as an XLSX workbook.
 *
 * The library writes every file itself, atomically (nothing is left at the
 * path unless the whole export succeeded); its progress callback moves the
 * progress line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char export_usage[] =
    "usage: quire export FILE [filters] [-o OUT.csv] [--columns LIST] "
    "[--excel]\n"
    "                   [--split-rows N] [--xlsx -o OUT.xlsx]\n"
    "\n"
    "Writes the selected documents as CSV (RFC 4180, UTF-8, a header row),\n"
    "to stdout or to OUT.csv. Fields are quoted only when they must be, and\n"
    "the data is never altered: 'quire pack' reads it back identically.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  write to FILE (atomically) instead of stdout; a\n"
    "                     pipe, a device or /dev/stdout is written into as\n"
    "                     it is (with --xlsx, once the workbook is whole)\n"
    "  --columns LIST     the columns, in order, from id, source, date, "
    "title,\n"
    "                     author, url, text (default: all of them, in "
    "that\n"
    "                     order); id is the document number. Derived from\n"
    "                     the date: year, month, day (integers, empty when\n"
    "                     the date does not say), datetime_utc (first instant\n"
    "                     of the date, 2016-01-01T00:00:00Z) and\n"
    "                     date_precision (year, month, day, minute, second)\n"
    "  --excel            for spreadsheets: UTF-8 BOM, CRLF line ends, every\n"
    "                     text cell quoted, cells starting with = + - @ tab\n"
    "                     or CR prefixed with ' so they are not run as\n"
    "                     formulas, and cells longer than 32,767 characters\n"
    "                     cut (the count is reported)\n"
    "  --split-rows N     with -o: write OUT-001.csv, OUT-002.csv, ... of at\n"
    "                     most N rows each, each with the header (1048575\n"
    "                     fills a spreadsheet sheet exactly)\n"
    "  --xlsx             with -o: write an Excel workbook instead: typed\n"
    "                     cells (text never a formula, full dates as dates),\n"
    "                     frozen header with a filter, a new sheet every\n"
    "                     1,048,575 rows\n"
    "  -h, --help         show this help\n"
    "\n" CLI_FILTER_USAGE;

enum { OPT_COLUMNS = OPT_FIRST_OWN, OPT_EXCEL, OPT_SPLIT_ROWS, OPT_XLSX };

typedef struct export_args {
  const char *output;
  const char *columns;
  int excel;
  int xlsx;
  uint64_t split_rows;
} export_args;

static int own_option(void *ctx, int opt, const char *arg) {
  export_args *a = ctx;
  switch (opt) {
  case 'o':
    a->output = arg;
    return EXIT_OK;
  case OPT_COLUMNS:
    a->columns = arg;
    return EXIT_OK;
  case OPT_EXCEL:
    a->excel = 1;
    return EXIT_OK;
  case OPT_XLSX:
    a->xlsx = 1;
    return EXIT_OK;
  case OPT_SPLIT_ROWS:
    if (cli_parse_u64(arg, 1, &a->split_rows) != 0 || a->split_rows == 0)
      return cli_usage_error("export",
                             "--split-rows needs a number of rows above 0, "
                             "not '%s'",
                             arg);
    return EXIT_OK;
  default:
    return -1;
  }
}

static int configure(quire_export *exp, const export_args *a,
                     const cli_selection *sel) {
  int status = QUIRE_OK;
  if (sel->filtered)
    status = quire_export_set_filter(exp, sel->filter);
  if (status == QUIRE_OK && a->columns)
    status = quire_export_set_columns(exp, a->columns, strlen(a->columns));
  if (status == QUIRE_OK && a->excel)
    status = quire_export_set_dialect(exp, QUIRE_CSV_EXCEL);
  if (status == QUIRE_OK && a->split_rows)
    status = quire_export_set_split_rows(exp, a->split_rows);
  if (status == QUIRE_EINVAL)
    return cli_usage_error("export", "%s", quire_export_errmsg(exp));
  if (status != QUIRE_OK)
    return cli_fail("export", "%s", quire_export_errmsg(exp));
  return EXIT_OK;
}

/* Writes the export: to stdout, or to the file(s) named with -o, which the
 * library writes atomically. The progress line follows the rows, out of the
 * selection's count when the library knows it. */
static int write_export(quire_export *exp, const export_args *a) {
  cli_progress *p = cli_progress_start("exporting", 0);
  /* Only a drawn line needs the counts (which cost a pass over the
   * indexes to total). */
  int status =
      p ? quire_export_set_progress(exp, cli_progress_hook, p) : QUIRE_OK;
  if (status == QUIRE_OK)
    status = a->xlsx     ? quire_export_to_xlsx(exp, a->output)
             : a->output ? quire_export_to_path(exp, a->output)
                         : quire_export_to_fd(exp, STDOUT_FILENO);
  cli_progress_end(p);
  if (status != QUIRE_OK)
    return cli_fail("export", "%s", quire_export_errmsg(exp));
  uint64_t files = quire_export_files(exp);
  if (a->split_rows)
    fprintf(stderr, "quire export: %llu rows in %llu file%s\n",
            (unsigned long long)quire_export_rows(exp),
            (unsigned long long)files, files == 1 ? "" : "s");
  return EXIT_OK;
}

static int run_export(quire_corpus *c, const export_args *a,
                      const cli_selection *sel) {
  if ((a->xlsx || a->split_rows) && !a->output)
    return cli_usage_error("export", "%s needs -o FILE",
                           a->xlsx ? "--xlsx" : "--split-rows");
  if (a->xlsx && a->excel)
    return cli_usage_error("export", "--xlsx and --excel exclude each other");
  quire_export *exp = NULL;
  if (quire_export_new(c, &exp) != QUIRE_OK) {
    quire_export_free(exp);
    return cli_fail("export", "out of memory");
  }
  int rc = configure(exp, a, sel);
  if (rc == EXIT_OK)
    rc = write_export(exp, a);
  uint64_t cut = quire_export_cells_cut(exp);
  if (rc == EXIT_OK && cut)
    fprintf(stderr,
            "quire export: %llu cells were longer than a spreadsheet cell "
            "holds and were cut to 32,767 characters\n",
            (unsigned long long)cut);
  uint64_t over = quire_export_rows_over_sheet(exp);
  if (rc == EXIT_OK && over)
    fprintf(stderr,
            "quire export: warning: %llu rows are past the 1,048,576 rows "
            "(header included) a spreadsheet sheet holds and would not be "
            "shown; --split-rows 1048575 writes files that each fit, "
            "--xlsx starts a new sheet\n",
            (unsigned long long)over);
  quire_export_free(exp);
  return rc;
}

int cmd_export(int argc, char **argv) {
  static const struct option options[] = {
      CLI_FILTER_OPTIONS,
      {"output", required_argument, NULL, 'o'},
      {"columns", required_argument, NULL, OPT_COLUMNS},
      {"excel", no_argument, NULL, OPT_EXCEL},
      {"xlsx", no_argument, NULL, OPT_XLSX},
      {"split-rows", required_argument, NULL, OPT_SPLIT_ROWS},
      {NULL, 0, NULL, 0}};
  export_args a = {0};
  cli_selection sel;
  int rc = cli_selection_init(&sel, "export");
  if (rc != EXIT_OK)
    return rc;
  rc = cli_parse(argc, argv, export_usage, ":ho:", options, &sel, own_option,
                 &a, 1, 1);
  quire_corpus *c = NULL;
  if (rc == EXIT_OK)
    rc = cli_open("export", argv[optind], &c);
  if (rc == EXIT_OK)
    rc = run_export(c, &a, &sel);
  quire_corpus_free(c);
  cli_selection_free(&sel);
  return rc == CLI_HELPED ? EXIT_OK : rc;
}
