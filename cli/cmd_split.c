/*
 * cmd_split.c: `quire split`, one corpus or CSV file into shards for a
 * cluster (quire_split_*). Each shard appears whole or not at all.
 */
/* Splitting into shards is in the header's experimental section. */
#define QUIRE_EXPERIMENTAL

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

static const char split_usage[] =
    "usage: quire split -o DIR [--shards N | --by KEY] [--max-size SIZE] "
    "[OPTIONS] INPUT\n"
    "\n"
    "Cuts a corpus (or a CSV file, packed first) into shards in DIR, which is\n"
    "created if missing, the way an archive is laid out for Spark or Dask:\n"
    "  --shards N        N shards of consecutive documents (default 1):\n"
    "                    part-00000.quire, part-00001.quire, ...\n"
    "  --by source       one shard per source: source-NNNNN.quire (NNNNN the\n"
    "                    source's number in INPUT) and source-none.quire\n"
    "  --by year         one per UTC year: year-2016.quire, year-none.quire\n"
    "  --by month        one per UTC month: month-2016-01.quire, month-none\n"
    "  --max-size SIZE   start a new part before a shard passes SIZE bytes\n"
    "                    (k, M, G suffixes), estimated from INPUT's ratio of\n"
    "                    file to raw size; keyed shards then take a part\n"
    "                    number: source-00003-000.quire, ...\n"
    "\n"
    "options:\n"
    "  -o, --output DIR    the folder of the shards (required)\n"
    "  --level N           compression level of the shards (zstd 1 to 22,\n"
    "                      DEFLATE 1 to 9; default: the codec's default);\n"
    "                      the shards take the input's codec and block size\n"
    "  --threads N         compress with N threads (default 1)\n"
    "  -h, --help          show this help\n"
    "\n"
    "INPUT is read as CSV when its name ends in .csv, .csv.gz or .csv.zst\n"
    "(compressed CSV is read as it is) or when it is '-' (standard input),\n"
    "else as a corpus.\n"
    "Documents keep their order and every field. The names of the shards\n"
    "written are printed, one a line.\n";

enum {
  OPT_SHARDS = OPT_FIRST_OWN,
  OPT_BY,
  OPT_MAX_SIZE,
  OPT_LEVEL,
  OPT_THREADS
};

typedef struct split_args {
  const char *output;
  uint64_t shards, level, threads, max_size;
  int by;
  int shards_given;
} split_args;

static int number(const char *option, const char *arg, uint64_t low,
                  uint64_t high, uint64_t *value) {
  if (cli_parse_u64(arg, 0, value) != 0 || *value < low || *value > high)
    return cli_usage_error(
        "split", "%s: '%s' is not a number from %llu to %llu", option, arg,
        (unsigned long long)low, (unsigned long long)high);
  return EXIT_OK;
}

/* A size with an optional k, M or G suffix. */
static int size(const char *arg, uint64_t *value) {
  size_t len = strlen(arg);
  if (len > 1 && (arg[len - 1] == 'g' || arg[len - 1] == 'G')) {
    char head[32];
    uint64_t v;
    if (len - 1 < sizeof head) {
      memcpy(head, arg, len - 1);
      head[len - 1] = '\0';
      if (cli_parse_u64(head, 0, &v) == 0 && v <= UINT64_MAX / (1ull << 30)) {
        *value = v << 30;
        return *value ? EXIT_OK : -1;
      }
    }
  } else if (cli_parse_u64(arg, 1, value) == 0 && *value > 0) {
    return EXIT_OK;
  }
  return cli_usage_error("split", "--max-size: '%s' is not a size above 0",
                         arg);
}

static int own_option(void *ctx, int opt, const char *arg) {
  split_args *a = ctx;
  switch (opt) {
  case 'o':
    a->output = arg;
    return EXIT_OK;
  case OPT_SHARDS:
    a->shards_given = 1;
    return number("--shards", arg, 1, 1000000, &a->shards);
  case OPT_BY:
    if (strcmp(arg, "source") == 0)
      a->by = QUIRE_SPLIT_SOURCE;
    else if (strcmp(arg, "year") == 0)
      a->by = QUIRE_SPLIT_YEAR;
    else if (strcmp(arg, "month") == 0)
      a->by = QUIRE_SPLIT_MONTH;
    else
      return cli_usage_error("split", "--by: '%s' is not source, year or month",
                             arg);
    return EXIT_OK;
  case OPT_MAX_SIZE:
    return size(arg, &a->max_size);
  case OPT_LEVEL:
    return number("--level", arg, 1, 22, &a->level);
  case OPT_THREADS:
    return number("--threads", arg, 1, 64, &a->threads);
  default:
    return -1;
  }
}

static int ends_with(const char *path, const char *suffix) {
  size_t len = strlen(path), n = strlen(suffix);
  return len >= n && strcasecmp(path + len - n, suffix) == 0;
}

/* Whether INPUT is CSV: by its name, or "-", standard input (a corpus is
 * mapped, so it cannot come through a pipe). */
static int is_csv_input(const char *path) {
  return strcmp(path, "-") == 0 || ends_with(path, ".csv") ||
         ends_with(path, ".csv.gz") || ends_with(path, ".csv.zst");
}

int cmd_split(int argc, char **argv) {
  static const struct option options[] = {
      {"output", required_argument, NULL, 'o'},
      {"shards", required_argument, NULL, OPT_SHARDS},
      {"by", required_argument, NULL, OPT_BY},
      {"max-size", required_argument, NULL, OPT_MAX_SIZE},
      {"level", required_argument, NULL, OPT_LEVEL},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  split_args a = {.shards = 1, .threads = 1};
  int rc = cli_parse(argc, argv, split_usage, ":o:h", options, NULL, own_option,
                     &a, 1, 1);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  if (!a.output)
    return cli_usage_error("split", "no output folder given (-o DIR)");
  if (a.shards_given && a.by != QUIRE_SPLIT_NONE)
    return cli_usage_error("split", "--shards and --by exclude each other");
  const char *input = argv[optind];
  if (mkdir(a.output, 0777) != 0 && errno != EEXIST)
    return cli_fail("split", "cannot create %s: %s", a.output, strerror(errno));

  quire_split *split = NULL;
  if (quire_split_new(&split) != QUIRE_OK)
    return cli_fail("split", "out of memory");
  int status = quire_split_set_shards(split, (uint32_t)a.shards);
  if (status == QUIRE_OK)
    status = quire_split_set_by(split, a.by);
  if (status == QUIRE_OK)
    status = quire_split_set_max_size(split, a.max_size);
  if (status == QUIRE_OK && a.level)
    status = quire_split_set_level(split, (int)a.level);
  if (status == QUIRE_OK)
    status = quire_split_set_threads(split, (int)a.threads);
  if (status == QUIRE_OK && is_csv_input(input)) {
    quire_import *imp = NULL;
    status = quire_import_new(&imp);
    if (status == QUIRE_OK)
      status = quire_split_csv(split, imp,
                               strcmp(input, "-") == 0 ? CLI_STDIN_PATH : input,
                               a.output);
    quire_import_free(imp);
  } else if (status == QUIRE_OK) {
    quire_corpus *corpus = NULL;
    if (cli_open("split", input, &corpus) != EXIT_OK) {
      quire_split_free(split);
      return EXIT_FAILED;
    }
    status = quire_split_corpus(split, corpus, a.output);
    quire_corpus_free(corpus);
  }
  if (status != QUIRE_OK) {
    rc = cli_fail("split", "%s: %s", input,
                  *quire_split_errmsg(split) ? quire_split_errmsg(split)
                                             : quire_strerror(status));
    quire_split_free(split);
    return rc;
  }
  for (uint64_t i = 0; i < quire_split_shard_count(split); i++)
    printf("%s\n", quire_split_shard_name(split, i));
  quire_split_free(split);
  return fflush(stdout) == 0 ? EXIT_OK
                             : cli_fail("split", "cannot write the list");
}
