/*
 * cmd_verify.c: `quire verify`, checking every checksum of a corpus, and
 * `quire verify --salvage`, copying what is intact out of a damaged one.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char verify_usage[] =
    "usage: quire verify FILE\n"
    "       quire verify --salvage DAMAGED.quire -o OUT.quire\n"
    "\n"
    "Checks the checksum of every section and block of FILE, inflating each\n"
    "block once, and prints one line per damaged part. Exit status 0 only\n"
    "when the file is whole, 1 when anything is damaged or unreadable.\n"
    "\n"
    "With --salvage, writes to OUT.quire every document of DAMAGED.quire\n"
    "whose data is intact, in the same order, and reports what was lost.\n"
    "\n"
    "options:\n"
    "  --salvage          recover the intact documents of a damaged file\n"
    "  -o, --output FILE  where --salvage writes\n"
    "  -h, --help         show this help\n";

enum { OPT_SALVAGE = OPT_FIRST_OWN };

typedef struct verify_args {
  int salvage;
  const char *output;
} verify_args;

static int own_option(void *ctx, int opt, const char *arg) {
  verify_args *a = ctx;
  switch (opt) {
  case OPT_SALVAGE:
    a->salvage = 1;
    return EXIT_OK;
  case 'o':
    a->output = arg;
    return EXIT_OK;
  default:
    return -1;
  }
}

/* Report callbacks: each line already ends in "\n". */
static int report_stdout(void *ctx, const char *data, size_t len) {
  (void)ctx;
  return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

static int report_stderr(void *ctx, const char *data, size_t len) {
  (void)ctx;
  fputs("quire verify: ", stderr);
  return fwrite(data, 1, len, stderr) == len ? 0 : -1;
}

static int verify(const char *path) {
  quire_corpus *c;
  int rc = cli_open("verify", path, &c);
  if (rc != EXIT_OK)
    return rc;
  uint64_t damaged = 0;
  int status = quire_corpus_verify(c, &damaged, report_stdout, NULL);
  if (status == QUIRE_OK) {
    printf("%s: ok, %llu documents, every checksum matches\n", path,
           (unsigned long long)quire_corpus_doc_count(c));
  } else if (status == QUIRE_ECORRUPT) {
    printf("%s: damaged, %llu damaged parts\n", path,
           (unsigned long long)damaged);
    rc = EXIT_FAILED;
  } else {
    rc = cli_fail("verify", "%s: %s", path, quire_strerror(status));
  }
  quire_corpus_free(c);
  return rc;
}

static int salvage(const char *in, const char *out) {
  uint64_t kept = 0, lost = 0;
  int status = quire_salvage(in, out, &kept, &lost, report_stderr, NULL);
  if (status != QUIRE_OK)
    return cli_fail("verify", "cannot salvage %s: %s", in,
                    quire_strerror(status));
  fprintf(stderr, "quire verify: %llu documents saved to %s, %llu lost\n",
          (unsigned long long)kept, out, (unsigned long long)lost);
  return EXIT_OK;
}

int cmd_verify(int argc, char **argv) {
  static const struct option options[] = {
      {"salvage", no_argument, NULL, OPT_SALVAGE},
      {"output", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  verify_args a = {0};
  int rc = cli_parse(argc, argv, verify_usage, ":ho:", options, NULL,
                     own_option, &a, 1, 1);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  if (a.salvage && !a.output)
    return cli_usage_error("verify", "--salvage needs -o OUT.quire");
  if (!a.salvage && a.output)
    return cli_usage_error("verify", "-o is only for --salvage");
  if (a.salvage)
    return salvage(argv[optind], a.output);
  return verify(argv[optind]);
}
