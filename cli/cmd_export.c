/*
 * cmd_export.c: `quire export`, the selected documents as CSV on stdout or
 * in a file.
 *
 * The export runs through quire_export_to_callback() so that the progress
 * line can follow the bytes written. A file named with -o is written the
 * way the library writes its own: into a temporary file beside it, synced
 * and renamed over it only once everything is written.
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
    "\n"
    "Writes the selected documents as CSV (RFC 4180, UTF-8, a header row),\n"
    "to stdout or to OUT.csv. Fields are quoted only when they must be, and\n"
    "the data is never altered: 'quire pack' reads it back identically.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  write to FILE (atomically) instead of stdout\n"
    "  --columns LIST     the columns, in order, from id, source, date, "
    "title,\n"
    "                     author, url, text (default: all of them, in "
    "that\n"
    "                     order); id is the document number\n"
    "  --excel            for spreadsheets: UTF-8 BOM, CRLF line ends, cells\n"
    "                     starting with = + - @ tab or CR prefixed with ' so\n"
    "                     they are not run as formulas, and cells longer than\n"
    "                     32,767 characters cut (the count is reported)\n"
    "  -h, --help         show this help\n"
    "\n" CLI_FILTER_USAGE;

enum { OPT_COLUMNS = OPT_FIRST_OWN, OPT_EXCEL };

typedef struct export_args {
  const char *output;
  const char *columns;
  int excel;
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
  default:
    return -1;
  }
}

/* Where the CSV goes: stdout, or a temporary file renamed at the end. */
typedef struct sink {
  int fd;
  char *tmp_path; /* NULL for stdout */
  uint64_t written;
  int error; /* errno of a failed write */
  cli_progress *progress;
} sink;

static int sink_write(void *ctx, const char *data, size_t len) {
  sink *s = ctx;
  if (cli_write_all(s->fd, data, len) != 0) {
    s->error = errno;
    return -1;
  }
  s->written += len;
  cli_progress_set(s->progress, s->written);
  return 0;
}

static int sink_open(sink *s, const char *output) {
  memset(s, 0, sizeof *s);
  s->fd = STDOUT_FILENO;
  if (!output)
    return EXIT_OK;
  size_t len = strlen(output) + 16;
  s->tmp_path = malloc(len);
  if (!s->tmp_path)
    return cli_fail("export", "out of memory");
  snprintf(s->tmp_path, len, "%s.tmp-XXXXXX", output);
  s->fd = mkstemp(s->tmp_path);
  if (s->fd < 0) {
    int err = errno;
    free(s->tmp_path);
    s->tmp_path = NULL;
    return cli_fail("export", "cannot create a file beside %s: %s", output,
                    strerror(err));
  }
  fchmod(s->fd, 0644);
  return EXIT_OK;
}

/* Renames the finished file into place, or removes it when ok is 0. */
static int sink_close(sink *s, const char *output, int ok) {
  if (!s->tmp_path)
    return ok ? EXIT_OK : EXIT_FAILED;
  int rc = ok ? EXIT_OK : EXIT_FAILED;
  if (rc == EXIT_OK && fsync(s->fd) != 0)
    rc = cli_fail("export", "cannot sync %s: %s", output, strerror(errno));
  if (close(s->fd) != 0 && rc == EXIT_OK)
    rc = cli_fail("export", "cannot close %s: %s", output, strerror(errno));
  if (rc == EXIT_OK && rename(s->tmp_path, output) != 0)
    rc = cli_fail("export", "cannot rename onto %s: %s", output,
                  strerror(errno));
  if (rc != EXIT_OK)
    unlink(s->tmp_path);
  free(s->tmp_path);
  return rc;
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
  if (status == QUIRE_EINVAL)
    return cli_usage_error("export", "%s", quire_export_errmsg(exp));
  if (status != QUIRE_OK)
    return cli_fail("export", "%s", quire_export_errmsg(exp));
  return EXIT_OK;
}

/* A guess at the CSV's size for the progress line: the raw size of the
 * selected share of the corpus. Unknown (0) with terms, which only reading
 * the texts could count. */
static uint64_t estimate_size(const quire_corpus *c, const cli_selection *sel) {
  uint64_t docs = quire_corpus_doc_count(c), selected = docs;
  if (docs == 0 || sel->terms ||
      quire_corpus_count(c, sel->filter, &selected) != QUIRE_OK)
    return 0;
  return (uint64_t)((double)quire_corpus_raw_size(c) * (double)selected /
                    (double)docs);
}

static int run_export(quire_corpus *c, const export_args *a,
                      const cli_selection *sel) {
  quire_export *exp = NULL;
  if (quire_export_new(c, &exp) != QUIRE_OK) {
    quire_export_free(exp);
    return cli_fail("export", "out of memory");
  }
  int rc = configure(exp, a, sel);
  sink s;
  if (rc == EXIT_OK)
    rc = sink_open(&s, a->output);
  if (rc == EXIT_OK) {
    s.progress = cli_progress_start("exporting", estimate_size(c, sel));
    int status = quire_export_to_callback(exp, sink_write, &s);
    cli_progress_end(s.progress);
    if (status == QUIRE_ECALLBACK)
      cli_fail("export", "cannot write %s: %s",
               a->output ? a->output : "stdout", strerror(s.error));
    else if (status != QUIRE_OK)
      cli_fail("export", "%s", quire_export_errmsg(exp));
    rc = sink_close(&s, a->output, status == QUIRE_OK);
  }
  uint64_t cut = quire_export_cells_cut(exp);
  if (rc == EXIT_OK && cut)
    fprintf(stderr,
            "quire export: %llu cells were longer than a spreadsheet cell "
            "holds and were cut to 32,767 characters\n",
            (unsigned long long)cut);
  quire_export_free(exp);
  return rc;
}

int cmd_export(int argc, char **argv) {
  static const struct option options[] = {
      CLI_FILTER_OPTIONS,
      {"output", required_argument, NULL, 'o'},
      {"columns", required_argument, NULL, OPT_COLUMNS},
      {"excel", no_argument, NULL, OPT_EXCEL},
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
  quire_corpus_close(c);
  cli_selection_free(&sel);
  return rc == CLI_HELPED ? EXIT_OK : rc;
}
