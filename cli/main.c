/*
 * main.c: the `quire` command: finds the subcommand and runs it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"pack", "pack CSV files, or text files and a manifest, into a corpus",
     cmd_pack},
    {"info", "describe a corpus: documents, sources, dates, sizes", cmd_info},
    {"count", "count the documents a filter selects", cmd_count},
    {"ls", "list documents: number, date, source, title", cmd_ls},
    {"export", "write documents as CSV or as an XLSX workbook", cmd_export},
    {"cat", "print the text of one document", cmd_cat},
    {"stats", "count documents per source per year", cmd_stats},
    {"verify", "check every checksum, or salvage a damaged corpus", cmd_verify},
    {"dups", "find duplicate documents (same url, same text, near)", cmd_dups},
    {"append", "add CSV files, or text files, to a corpus in place",
     cmd_append},
    {"merge", "merge corpora into one, copying their compressed blocks",
     cmd_merge},
    {"split", "cut a corpus or CSV file into shards for a cluster", cmd_split},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *to) {
  fputs("usage: quire COMMAND [OPTIONS] ...\n\n"
        "quire packs news-article corpora into checksummed .quire files,\n"
        "filters them by source and date and exports them to CSV.\n\n"
        "commands:\n",
        to);
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(to, "  %-7s %s\n", commands[i].name, commands[i].summary);
  fputs("\n'quire COMMAND --help' tells more about each command.\n"
        "Exit status: 0 success, 1 failure, 2 wrong command line.\n",
        to);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
      strcmp(name, "help") == 0) {
    usage(stdout);
    return EXIT_OK;
  }
  if (strcmp(name, "--version") == 0) {
    printf("quire %s\n", quire_version_string());
    return EXIT_OK;
  }
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strcmp(name, commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "quire: unknown command '%s'\n", name);
  fprintf(stderr, "Try 'quire --help'.\n");
  return EXIT_USAGE;
}
