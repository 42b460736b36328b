/*
 * cmd_merge.c: `quire merge`, several corpora into one, copying their
 * compressed blocks instead of decompressing and compressing them again.
 * Any failure leaves no output file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char merge_usage[] =
    "usage: quire merge -o OUT.quire [OPTIONS] CORPUS.quire...\n"
    "\n"
    "Writes one corpus holding the documents of all the corpora given. Their\n"
    "compressed blocks are copied as they are, whatever codec and\n"
    "dictionaries they were made with; only the indexes are made anew, so a\n"
    "merge takes a fraction of the time of packing again.\n"
    "\n"
    "Document order: by default the blocks are ordered by the source and\n"
    "date of their first document, so each source's documents stay\n"
    "together as 'quire pack' groups them (a block's documents are never\n"
    "separated); --keep-order puts the corpora one after the other, in the\n"
    "order given. Document numbers change either way.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   the corpus to write (required; it may not be one\n"
    "                      of the inputs: use 'quire append' to grow one)\n"
    "  --keep-order        concatenate the corpora in the order given\n"
    "  --dedup KIND        drop documents that duplicate one kept before\n"
    "                      (url, text or near; repeatable): the first of\n"
    "                      each group, in the order given, is kept; blocks\n"
    "                      that lose a document are compressed again\n"
    "  --similarity J      near-duplicate threshold (default %g)\n"
    "  --threads N         threads for the blocks compressed again\n"
    "  --no-word-summaries write the file without word summaries\n"
    "  -h, --help          show this help\n";

enum {
  OPT_KEEP_ORDER = OPT_FIRST_OWN,
  OPT_DEDUP,
  OPT_SIMILARITY,
  OPT_THREADS,
  OPT_NO_WORD_SUMMARIES
};

typedef struct merge_args {
  const char *output;
  int keep_order;
  int dedup;
  double similarity;
  uint64_t threads;
  int no_word_summaries;
} merge_args;

static int merge_option(void *ctx, int opt, const char *arg) {
  merge_args *a = ctx;
  switch (opt) {
  case 'o':
    a->output = arg;
    return EXIT_OK;
  case OPT_KEEP_ORDER:
    a->keep_order = 1;
    return EXIT_OK;
  case OPT_DEDUP:
    return cli_parse_dup_kind("merge", arg, &a->dedup);
  case OPT_SIMILARITY:
    return cli_parse_similarity("merge", arg, &a->similarity);
  case OPT_THREADS:
    if (cli_parse_u64(arg, 0, &a->threads) != 0 || a->threads < 1 ||
        a->threads > 64)
      return cli_usage_error("merge", "--threads: '%s' is not 1 to 64", arg);
    return EXIT_OK;
  case OPT_NO_WORD_SUMMARIES:
    a->no_word_summaries = 1;
    return EXIT_OK;
  default:
    return -1;
  }
}

static int configure(const merge_args *a, quire_writer *w) {
  int status = QUIRE_OK;
  if (a->keep_order)
    status = quire_writer_set_order(w, QUIRE_ORDER_INPUT);
  if (status == QUIRE_OK && a->dedup)
    status = quire_writer_set_dedup(w, a->dedup, a->similarity);
  if (status == QUIRE_OK && a->threads)
    status = quire_writer_set_threads(w, (int)a->threads);
  if (status == QUIRE_OK && a->no_word_summaries)
    status = quire_writer_set_word_summaries(w, 0);
  return status;
}

/* Refuses an output that is one of the inputs: the merge reads them while
 * it writes, and replacing one would lose the others' reading of it. */
static int check_output(const char *output, char **inputs, int count) {
  struct stat out, in;
  if (stat(output, &out) != 0)
    return EXIT_OK;
  for (int i = 0; i < count; i++)
    if (stat(inputs[i], &in) == 0 && in.st_dev == out.st_dev &&
        in.st_ino == out.st_ino)
      return cli_usage_error("merge",
                             "%s is also an input: write elsewhere, or use "
                             "'quire append'",
                             output);
  return EXIT_OK;
}

/* Opens every input and adds it to the writer. */
static int add_all(quire_writer *w, char **inputs, int count,
                   quire_corpus **corpora) {
  for (int i = 0; i < count; i++) {
    int rc = cli_open("merge", inputs[i], &corpora[i]);
    if (rc != EXIT_OK)
      return rc;
    if (quire_writer_add_corpus(w, corpora[i]) != QUIRE_OK)
      return cli_fail("merge", "%s: %s", inputs[i], quire_writer_errmsg(w));
  }
  return EXIT_OK;
}

int cmd_merge(int argc, char **argv) {
  static const struct option options[] = {
      {"output", required_argument, NULL, 'o'},
      {"keep-order", no_argument, NULL, OPT_KEEP_ORDER},
      {"dedup", required_argument, NULL, OPT_DEDUP},
      {"similarity", required_argument, NULL, OPT_SIMILARITY},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"no-word-summaries", no_argument, NULL, OPT_NO_WORD_SUMMARIES},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  char usage[sizeof merge_usage + 32];
  snprintf(usage, sizeof usage, merge_usage, QUIRE_DEFAULT_SIMILARITY);
  merge_args a = {0};
  int rc = cli_parse(argc, argv, usage, ":o:h", options, NULL, merge_option, &a,
                     1, 1 << 30);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  if (!a.output)
    return cli_usage_error("merge", "-o OUT.quire is required");
  char **inputs = argv + optind;
  int count = argc - optind;
  if ((rc = check_output(a.output, inputs, count)) != EXIT_OK)
    return rc;
  quire_corpus **corpora = calloc((size_t)count, sizeof *corpora);
  quire_writer *w = NULL;
  if (!corpora)
    return cli_fail("merge", "out of memory");
  if (quire_writer_open(a.output, &w) != QUIRE_OK)
    rc = cli_fail("merge", "%s", w ? quire_writer_errmsg(w) : "out of memory");
  else if (configure(&a, w) != QUIRE_OK)
    rc = cli_usage_error("merge", "%s", quire_writer_errmsg(w));
  else if ((rc = add_all(w, inputs, count, corpora)) == EXIT_OK &&
           quire_writer_finish(w) != QUIRE_OK)
    rc = cli_fail("merge", "%s", quire_writer_errmsg(w));
  if (rc == EXIT_OK) {
    fprintf(stderr, "quire merge: %llu documents from %d corpora into %s\n",
            (unsigned long long)quire_writer_doc_count(w), count, a.output);
    if (a.dedup)
      fprintf(stderr, "quire merge: dropped %llu duplicates\n",
              (unsigned long long)quire_writer_dropped(w));
  }
  quire_writer_free(w); /* before the corpora it copies from */
  for (int i = 0; i < count; i++)
    quire_corpus_free(corpora[i]);
  free(corpora);
  return rc;
}
