/*
 * cmd_dups.c: `quire dups`, the groups of duplicate documents in one or
 * several corpora, and the --dedup / --similarity options pack shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char dups_usage[] =
    "usage: quire dups [OPTIONS] CORPUS...\n"
    "\n"
    "Finds duplicate documents within and across corpora and prints one\n"
    "tab-separated row per document of each group:\n"
    "  group  kind  corpus  doc  similarity\n"
    "group numbers the groups from 1; kind is url, text or near; corpus is\n"
    "the file as given; doc the document number in it; similarity the\n"
    "estimated Jaccard similarity of the document's 5-word shingles to the\n"
    "group's first document (1 for url and text groups). The first row of\n"
    "each group is the document `--dedup` keeps: the first in input order\n"
    "(corpora in the order given, each in document order).\n"
    "\n"
    "kinds:\n"
    "  url   the same URL once normalised (scheme and host case, http/https,\n"
    "        default port, fragment, trailing slash and tracking parameters\n"
    "        such as utm_*, fbclid, gclid ignored)\n"
    "  text  the same text after Unicode NFC and white-space collapsing\n"
    "  near  nearly the same text: shingle similarity >= --similarity\n"
    "\n"
    "options:\n"
    "  --kind KIND        look for this kind only (repeat for several;\n"
    "                     default: all three)\n"
    "  --similarity J     near-duplicate threshold, 0 < J <= 1 (default %g)\n"
    "  --count            print only the number of groups and of documents\n"
    "                     that --dedup would drop\n"
    "  -h, --help         show this help\n";

int cli_parse_dup_kind(const char *cmd, const char *arg, int *kinds) {
  static const char *const names[] = {"url", "text", "near"};
  for (int i = 0; i < 3; i++)
    if (strcmp(arg, names[i]) == 0) {
      *kinds |= 1 << i;
      return EXIT_OK;
    }
  return cli_usage_error(cmd, "unknown duplicate kind '%s' (url, text, near)",
                         arg);
}

int cli_parse_similarity(const char *cmd, const char *arg, double *similarity) {
  char *end;
  double v = strtod(arg, &end);
  if (end == arg || *end || !(v > 0 && v <= 1))
    return cli_usage_error(cmd,
                           "--similarity: '%s' is not a number above 0 "
                           "and at most 1",
                           arg);
  *similarity = v;
  return EXIT_OK;
}

enum { OPT_KIND = OPT_FIRST_OWN, OPT_SIMILARITY, OPT_COUNT };

static const char *kind_name(int kind) {
  return kind == QUIRE_DUP_URL    ? "url"
         : kind == QUIRE_DUP_TEXT ? "text"
                                  : "near";
}

/* Prints every group, one row per member. */
static int print_groups(const quire_dups *d, char **paths) {
  uint64_t groups = quire_dups_group_count(d);
  printf("group\tkind\tcorpus\tdoc\tsimilarity\n");
  for (uint64_t g = 0; g < groups; g++) {
    int kind;
    uint64_t size;
    if (quire_dups_group(d, g, &kind, &size) != QUIRE_OK)
      return cli_fail("dups", "%s", quire_dups_errmsg(d));
    for (uint64_t m = 0; m < size; m++) {
      uint32_t corpus;
      uint64_t doc;
      double sim;
      if (quire_dups_member(d, g, m, &corpus, &doc, &sim) != QUIRE_OK)
        return cli_fail("dups", "%s", quire_dups_errmsg(d));
      printf("%llu\t%s\t%s\t%llu\t%.3f\n", (unsigned long long)g + 1,
             kind_name(kind), paths[corpus], (unsigned long long)doc, sim);
    }
  }
  if (fflush(stdout) != 0 || ferror(stdout))
    return cli_fail("dups", "cannot write the output");
  return EXIT_OK;
}

/* The number of documents --dedup would drop: every member but the first
 * of a group, counted once however many kinds it is a duplicate by.
 * starts[i] is the number of documents in the corpora before corpus i. */
static int print_count(const quire_dups *d, const uint64_t *starts,
                       uint64_t total) {
  uint64_t groups = quire_dups_group_count(d), dropped = 0;
  uint64_t *drop = calloc(total / 64 + 1, sizeof *drop);
  if (!drop)
    return cli_fail("dups", "out of memory");
  for (uint64_t g = 0; g < groups; g++) {
    uint64_t size = 0;
    quire_dups_group(d, g, NULL, &size);
    for (uint64_t m = 1; m < size; m++) {
      uint32_t corpus = 0;
      uint64_t doc = 0;
      quire_dups_member(d, g, m, &corpus, &doc, NULL);
      uint64_t id = starts[corpus] + doc;
      if (!(drop[id / 64] & (1ull << (id % 64)))) {
        drop[id / 64] |= 1ull << (id % 64);
        dropped++;
      }
    }
  }
  free(drop);
  printf("%llu groups, %llu duplicates in %llu documents\n",
         (unsigned long long)groups, (unsigned long long)dropped,
         (unsigned long long)total);
  return EXIT_OK;
}

int cmd_dups(int argc, char **argv) {
  static const struct option options[] = {
      {"kind", required_argument, NULL, OPT_KIND},
      {"similarity", required_argument, NULL, OPT_SIMILARITY},
      {"count", no_argument, NULL, OPT_COUNT},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int kinds = 0, count_only = 0, opt, rc = EXIT_OK;
  double similarity = QUIRE_DEFAULT_SIMILARITY;
  while (rc == EXIT_OK &&
         (opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
    switch (opt) {
    case 'h':
      printf(dups_usage, QUIRE_DEFAULT_SIMILARITY);
      return EXIT_OK;
    case OPT_KIND:
      rc = cli_parse_dup_kind("dups", optarg, &kinds);
      break;
    case OPT_SIMILARITY:
      rc = cli_parse_similarity("dups", optarg, &similarity);
      break;
    case OPT_COUNT:
      count_only = 1;
      break;
    default:
      return cli_bad_option("dups", opt, argv);
    }
  }
  if (rc != EXIT_OK)
    return rc;
  if (optind >= argc)
    return cli_usage_error("dups", "no corpus given");
  quire_dups *d = NULL;
  if (quire_dups_new(&d) != QUIRE_OK)
    return cli_fail("dups", "out of memory");
  quire_dups_set_kinds(d, kinds ? kinds : QUIRE_DUP_ALL);
  quire_dups_set_similarity(d, similarity);
  uint64_t total = 0;
  uint64_t *starts = calloc((size_t)argc, sizeof *starts);
  if (!starts)
    rc = cli_fail("dups", "out of memory");
  for (int i = optind; i < argc && rc == EXIT_OK; i++) {
    quire_corpus *c = NULL;
    rc = cli_open("dups", argv[i], &c);
    if (rc == EXIT_OK && quire_dups_add_corpus(d, c) != QUIRE_OK)
      rc = cli_fail("dups", "%s: %s", argv[i], quire_dups_errmsg(d));
    starts[i - optind] = total;
    total += quire_corpus_doc_count(c);
    quire_corpus_free(c);
  }
  if (rc == EXIT_OK)
    rc = count_only ? print_count(d, starts, total)
                    : print_groups(d, argv + optind);
  free(starts);
  quire_dups_free(d);
  return rc;
}
