/*
 * cmd_pack.c: `quire pack`, CSV files or a folder of text files with a
 * manifest into one corpus, and `quire append`, the same added to an
 * existing corpus. Any failure leaves no output file (pack) or the corpus as
 * it was (append): the writer is closed without being finished.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* A printf format: the defaults are filled in from quire.h. */
static const char pack_usage[] =
    "usage: quire pack -o OUT.quire [OPTIONS] CSV...\n"
    "       quire pack -o OUT.quire --manifest MANIFEST.csv [OPTIONS] "
    "[FOLDER]\n"
    "\n"
    "Packs CSV files into one corpus, or a folder of text files that a\n"
    "manifest describes (one row per document; its column 'file' names the\n"
    "text file in FOLDER, which defaults to the manifest's own folder).\n"
    "A CSV file or manifest may be compressed with gzip or zstd (as\n"
    "articles.csv.gz; recognized by its first bytes), and '-' reads one\n"
    "from standard input.\n"
    "\n"
    "CSV columns are matched by header name, case-insensitively:\n"
    "  source (or publication, site, outlet), date (or published, pubdate,\n"
    "  datetime), title (or headline), author (or byline), url (or link),\n"
    "  text (or content, body, article), file; 'id' is ignored and other\n"
    "  columns are named in a warning and not stored.\n"
    "Dates are ISO 8601 at any precision (2016, 2016-01, 2016-01-31T09:22Z)\n"
    "or RFC 2822. The first bad row stops the pack and nothing is written,\n"
    "unless --skip-bad-rows is given.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   the corpus to write (required)\n"
    "  --manifest FILE     pack text files described by this manifest\n"
    "  --codec NAME        zstd (default; format 1.1) or deflate (format\n"
    "                      1.0's codec: quire 1.0 reads the file)\n"
    "  --level N           the codec's level: zstd 1 fastest to 22 smallest\n"
    "                      (default %d), deflate 1 to 9 (default %d)\n"
    "  --block-size N      text block size in bytes, k and M suffixes\n"
    "                      allowed (4k to 64M; default %uk with zstd, %uk\n"
    "                      with deflate)\n"
    "  --dictionary-size N size of the zstd dictionary trained on the\n"
    "                      corpus, k and M suffixes allowed (4k to 4M, or 0\n"
    "                      for none; default %uk)\n"
    "  --input-order       keep the input order (default: grouped by source,\n"
    "                      then date, which makes filtering faster)\n"
    "  --threads N         compress with N threads (default: the number of\n"
    "                      cores); the file is the same whatever N\n"
    "  --skip-bad-rows     skip bad rows, report them, and go on\n"
    "  --dedup KIND        drop documents that duplicate one kept before\n"
    "                      (KIND url, text or near; repeat for several; see\n"
    "                      'quire dups --help'): the first in input order\n"
    "                      of each group is kept\n"
    "  --similarity J      near-duplicate threshold (default %g)\n"
    "  --no-word-summaries leave out the per-block word summaries that let\n"
    "                      --match skip blocks (about 2.5%% of the file)\n"
    "  -h, --help          show this help\n";

static const char append_usage[] =
    "usage: quire append CORPUS.quire [OPTIONS] CSV...\n"
    "       quire append CORPUS.quire --manifest MANIFEST.csv [OPTIONS] "
    "[FOLDER]\n"
    "\n"
    "Adds documents to a corpus, taking them as 'quire pack' does. The\n"
    "corpus's blocks are copied as they are (nothing is decompressed), its\n"
    "documents keep their numbers, and the new documents follow, compressed\n"
    "with the corpus's codec, level, block size and dictionaries and in its\n"
    "order. The corpus is replaced atomically when all is written: any\n"
    "failure, or a crash, leaves it as it was.\n"
    "\n"
    "options:\n"
    "  --manifest FILE     add text files described by this manifest\n"
    "  --codec, --level, --block-size, --dictionary-size, --input-order\n"
    "                      as for 'quire pack', for the new blocks only\n"
    "                      (default: the corpus's own)\n"
    "  --threads N         compress with N threads (default: the cores)\n"
    "  --skip-bad-rows     skip bad rows, report them, and go on\n"
    "  --dedup KIND        drop documents that duplicate one kept before,\n"
    "                      old documents included (url, text or near;\n"
    "                      repeatable): the first of each group is kept\n"
    "  --similarity J      near-duplicate threshold (default %g)\n"
    "  --no-word-summaries write the file without word summaries\n"
    "  -h, --help          show this help\n";

enum {
  OPT_MANIFEST = OPT_FIRST_OWN,
  OPT_BLOCK_SIZE,
  OPT_LEVEL,
  OPT_INPUT_ORDER,
  OPT_THREADS,
  OPT_SKIP_BAD_ROWS,
  OPT_CODEC,
  OPT_DICTIONARY_SIZE,
  OPT_DEDUP,
  OPT_SIMILARITY,
  OPT_NO_WORD_SUMMARIES
};

typedef struct pack_args {
  const char *cmd;    /* "pack" or "append" */
  const char *output; /* append: the corpus */
  const char *manifest;
  uint64_t block_size; /* 0: the library's default */
  uint64_t level;
  uint64_t threads;
  int codec; /* -1: the default */
  int dictionary_set;
  uint64_t dictionary_size;
  int input_order;
  int skip_bad_rows;
  int dedup; /* QUIRE_DUP_* mask */
  double similarity;
  int no_word_summaries;
  char **inputs; /* "-" replaced by stdin_path */
  int input_count;
} pack_args;

static char stdin_path[] = CLI_STDIN_PATH; /* an element of argv's type */

/* Replaces "-" by standard input's path; it can be read only once. */
static int read_stdin_for_dash(const char *cmd, pack_args *a) {
  int dashes = 0;
  if (a->manifest && strcmp(a->manifest, "-") == 0) {
    a->manifest = CLI_STDIN_PATH;
    dashes++;
  }
  for (int i = 0; i < a->input_count; i++)
    if (strcmp(a->inputs[i], "-") == 0) {
      if (a->manifest)
        return cli_usage_error(cmd, "-: FOLDER must be a folder");
      a->inputs[i] = stdin_path;
      dashes++;
    }
  if (dashes > 1)
    return cli_usage_error(cmd, "- (standard input) is given twice");
  return EXIT_OK;
}

static int parse_number(const char *cmd, const char *option, const char *arg,
                        int units, uint64_t low, uint64_t high,
                        uint64_t *value) {
  if (cli_parse_u64(arg, units, value) != 0 || *value < low || *value > high)
    return cli_usage_error(cmd, "%s: '%s' is not a number from %llu to %llu",
                           option, arg, (unsigned long long)low,
                           (unsigned long long)high);
  return EXIT_OK;
}

static int parse_args(int argc, char **argv, const char *cmd, pack_args *a) {
  static const struct option options[] = {
      {"output", required_argument, NULL, 'o'},
      {"manifest", required_argument, NULL, OPT_MANIFEST},
      {"block-size", required_argument, NULL, OPT_BLOCK_SIZE},
      {"level", required_argument, NULL, OPT_LEVEL},
      {"input-order", no_argument, NULL, OPT_INPUT_ORDER},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"skip-bad-rows", no_argument, NULL, OPT_SKIP_BAD_ROWS},
      {"codec", required_argument, NULL, OPT_CODEC},
      {"dictionary-size", required_argument, NULL, OPT_DICTIONARY_SIZE},
      {"dedup", required_argument, NULL, OPT_DEDUP},
      {"similarity", required_argument, NULL, OPT_SIMILARITY},
      {"no-word-summaries", no_argument, NULL, OPT_NO_WORD_SUMMARIES},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof *a);
  a->cmd = cmd;
  a->codec = -1;
  int append = strcmp(cmd, "append") == 0;
  int opt, rc = EXIT_OK;
  while (rc == EXIT_OK &&
         (opt = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
    switch (opt) {
    case 'h':
      if (append) {
        printf(append_usage, QUIRE_DEFAULT_SIMILARITY);
        return CLI_HELPED;
      }
      printf(pack_usage, QUIRE_DEFAULT_ZSTD_LEVEL, QUIRE_DEFAULT_DEFLATE_LEVEL,
             QUIRE_DEFAULT_BLOCK_SIZE >> 10,
             QUIRE_DEFAULT_DEFLATE_BLOCK_SIZE >> 10,
             QUIRE_DEFAULT_DICTIONARY_SIZE >> 10, QUIRE_DEFAULT_SIMILARITY);
      return CLI_HELPED;
    case 'o':
      if (append)
        return cli_usage_error(cmd, "-o: append writes to CORPUS itself");
      a->output = optarg;
      break;
    case OPT_MANIFEST:
      a->manifest = optarg;
      break;
    case OPT_BLOCK_SIZE:
      rc = parse_number(a->cmd, "--block-size", optarg, 1, QUIRE_MIN_BLOCK_SIZE,
                        QUIRE_MAX_BLOCK_SIZE, &a->block_size);
      break;
    case OPT_LEVEL:
      rc = parse_number(a->cmd, "--level", optarg, 0, 1, 22, &a->level);
      break;
    case OPT_CODEC:
      if (strcmp(optarg, "zstd") == 0)
        a->codec = QUIRE_CODEC_ZSTD;
      else if (strcmp(optarg, "deflate") == 0)
        a->codec = QUIRE_CODEC_DEFLATE;
      else
        rc = cli_usage_error(cmd, "--codec: '%s' is not zstd or deflate",
                             optarg);
      break;
    case OPT_DICTIONARY_SIZE:
      rc = parse_number(a->cmd, "--dictionary-size", optarg, 1, 0,
                        QUIRE_MAX_DICTIONARY_SIZE, &a->dictionary_size);
      a->dictionary_set = 1;
      break;
    case OPT_THREADS:
      rc = parse_number(a->cmd, "--threads", optarg, 0, 1, 64, &a->threads);
      break;
    case OPT_INPUT_ORDER:
      a->input_order = 1;
      break;
    case OPT_SKIP_BAD_ROWS:
      a->skip_bad_rows = 1;
      break;
    case OPT_DEDUP:
      rc = cli_parse_dup_kind(cmd, optarg, &a->dedup);
      break;
    case OPT_SIMILARITY:
      rc = cli_parse_similarity(cmd, optarg, &a->similarity);
      break;
    case OPT_NO_WORD_SUMMARIES:
      a->no_word_summaries = 1;
      break;
    default:
      return cli_bad_option(cmd, opt, argv);
    }
  }
  if (rc != EXIT_OK)
    return rc;
  a->inputs = argv + optind;
  a->input_count = argc - optind;
  if (append && a->input_count > 0) {
    a->output = a->inputs[0];
    a->inputs++;
    a->input_count--;
  }
  rc = read_stdin_for_dash(cmd, a);
  if (rc != EXIT_OK)
    return rc;
  if (!a->output)
    return cli_usage_error(cmd, append ? "CORPUS.quire is required"
                                       : "-o OUT.quire is required");
  if (a->manifest && a->input_count > 1)
    return cli_usage_error(cmd, "--manifest takes one FOLDER, not %d",
                           a->input_count);
  if (!a->manifest && a->input_count == 0)
    return cli_usage_error(cmd, "no input: give CSV files, or --manifest");
  return EXIT_OK;
}

/* Checks that every input exists and is what the mode wants: a folder with
 * --manifest, else CSV files. Sums their sizes for the progress line. */
static int check_inputs(const pack_args *a, uint64_t *total) {
  struct stat st;
  *total = 0;
  if (a->manifest && stat(a->manifest, &st) != 0)
    return cli_fail(a->cmd, "cannot read manifest %s", a->manifest);
  for (int i = 0; i < a->input_count; i++) {
    const char *in = a->inputs[i];
    if (stat(in, &st) != 0)
      return cli_fail(a->cmd, "cannot read %s", in);
    if (a->manifest && !S_ISDIR(st.st_mode))
      return cli_usage_error(a->cmd, "%s is not a folder of text files", in);
    if (!a->manifest && S_ISDIR(st.st_mode))
      return cli_usage_error(
          a->cmd, "%s is a folder: give its manifest with --manifest", in);
    *total += (uint64_t)st.st_size;
  }
  return EXIT_OK;
}

static int configure_writer(const pack_args *a, quire_writer *w) {
  int status = QUIRE_OK;
  if (a->codec >= 0)
    status = quire_writer_set_codec(w, a->codec);
  if (status == QUIRE_OK && a->block_size)
    status = quire_writer_set_block_size(w, (uint32_t)a->block_size);
  if (status == QUIRE_OK && a->dictionary_set)
    status = quire_writer_set_dictionary_size(w, (uint32_t)a->dictionary_size);
  if (status == QUIRE_OK && a->level)
    status = quire_writer_set_level(w, (int)a->level);
  if (status == QUIRE_OK && a->threads)
    status = quire_writer_set_threads(w, (int)a->threads);
  if (status == QUIRE_OK && a->input_order)
    status = quire_writer_set_order(w, QUIRE_ORDER_INPUT);
  if (status == QUIRE_OK && a->dedup)
    status = quire_writer_set_dedup(w, a->dedup, a->similarity);
  if (status == QUIRE_OK && a->no_word_summaries)
    status = quire_writer_set_word_summaries(w, 0);
  return status;
}

/* Prints the importer's warnings, one "warning:" line each. */
static void print_warnings(const char *cmd, const quire_import *imp) {
  const char *w = quire_import_warnings(imp);
  while (*w) {
    const char *end = strchr(w, '\n');
    size_t len = end ? (size_t)(end - w) : strlen(w);
    fprintf(stderr, "quire %s: warning: %.*s\n", cmd, (int)len, w);
    w += len + (end ? 1 : 0);
  }
}

/* The progress line over all inputs: the bytes of the inputs already read
 * plus what the importer reports of the current one. */
typedef struct pack_progress {
  cli_progress *line;
  uint64_t before;
} pack_progress;

static int on_import_progress(void *ctx, uint64_t done, uint64_t total) {
  const pack_progress *pp = ctx;
  (void)total; /* the line's total is every input's */
  cli_progress_set(pp->line, pp->before + done);
  return 0;
}

/* Imports every input into the writer. */
static int import_all(const pack_args *a, quire_import *imp, quire_writer *w,
                      uint64_t total) {
  cli_progress *progress = cli_progress_start("packing", total);
  pack_progress pp = {progress, 0};
  int status = quire_import_set_progress(imp, on_import_progress, &pp);
  if (a->manifest) {
    if (a->input_count == 1)
      status = quire_import_set_base_dir(imp, a->inputs[0]);
    else if (strcmp(a->manifest, CLI_STDIN_PATH) == 0) /* not /dev */
      status = quire_import_set_base_dir(imp, ".");
    if (status == QUIRE_OK)
      status = quire_import_csv_path(imp, w, a->manifest);
    print_warnings(a->cmd, imp);
  }
  for (int i = 0; !a->manifest && i < a->input_count && status == QUIRE_OK;
       i++) {
    char label[96];
    snprintf(label, sizeof label, "packing %d/%d", i + 1, a->input_count);
    cli_progress_label(progress, label);
    status = quire_import_csv_path(imp, w, a->inputs[i]);
    print_warnings(a->cmd, imp);
    struct stat st;
    if (stat(a->inputs[i], &st) == 0)
      pp.before += (uint64_t)st.st_size;
  }
  cli_progress_end(progress);
  quire_import_set_progress(imp, NULL, NULL);
  if (status != QUIRE_OK)
    return cli_fail(a->cmd, "%s", quire_import_errmsg(imp));
  return EXIT_OK;
}

static int finish(const pack_args *a, quire_import *imp, quire_writer *w) {
  /* A clustered writer sorts and compresses most of the corpus here. */
  cli_progress *progress = cli_progress_start("sorting and compressing", 0);
  int status = quire_writer_set_progress(w, cli_progress_hook, progress);
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  quire_writer_set_progress(w, NULL, NULL);
  cli_progress_end(progress);
  if (status != QUIRE_OK)
    return cli_fail(a->cmd, "%s", quire_writer_errmsg(w));
  struct stat st;
  unsigned long long size =
      stat(a->output, &st) == 0 ? (unsigned long long)st.st_size : 0;
  fprintf(stderr, "quire %s: %llu documents into %s (%llu bytes)\n", a->cmd,
          (unsigned long long)quire_writer_doc_count(w), a->output, size);
  if (a->dedup)
    fprintf(stderr, "quire %s: dropped %llu duplicates\n", a->cmd,
            (unsigned long long)quire_writer_dropped(w));
  uint64_t skipped = quire_import_skipped(imp);
  if (skipped)
    fprintf(stderr, "quire %s: skipped %llu bad rows\n", a->cmd,
            (unsigned long long)skipped);
  return EXIT_OK;
}

/* pack and append: they differ only in how the writer is opened. */
static int pack_or_append(int argc, char **argv, const char *cmd) {
  pack_args a;
  int rc = parse_args(argc, argv, cmd, &a);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  uint64_t total;
  if ((rc = check_inputs(&a, &total)) != EXIT_OK)
    return rc;
  quire_writer *w = NULL;
  quire_import *imp = NULL;
  int opened = strcmp(cmd, "append") == 0
                   ? quire_writer_open_append(a.output, &w)
                   : quire_writer_open(a.output, &w);
  if (opened != QUIRE_OK)
    rc = cli_fail(cmd, "%s", w ? quire_writer_errmsg(w) : "out of memory");
  else if (configure_writer(&a, w) != QUIRE_OK)
    rc = cli_usage_error(cmd, "%s", quire_writer_errmsg(w));
  else if (quire_import_new(&imp) != QUIRE_OK)
    rc = cli_fail(cmd, "out of memory");
  else {
    quire_import_set_skip_bad_rows(imp, a.skip_bad_rows);
    rc = import_all(&a, imp, w, total);
    if (rc == EXIT_OK)
      rc = finish(&a, imp, w);
  }
  /* Closing an unfinished writer removes its temporary file: a failed pack
   * leaves nothing behind. */
  quire_writer_free(w);
  quire_import_free(imp);
  return rc;
}

int cmd_pack(int argc, char **argv) {
  return pack_or_append(argc, argv, "pack");
}

int cmd_append(int argc, char **argv) {
  return pack_or_append(argc, argv, "append");
}
