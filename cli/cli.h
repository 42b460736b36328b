/*
 * cli.h: what the files of the `quire` command share. The command uses
 * nothing of libquire but its public header.
 */
#ifndef QUIRE_CLI_H
#define QUIRE_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "quire.h"

#define EXIT_OK 0
#define EXIT_FAILED 1 /* the work failed: bad input, damaged file, I/O */
#define EXIT_USAGE 2  /* the command line is wrong */
/* What argument parsers return after answering --help: stop, exit 0. */
#define CLI_HELPED -1

/* One command: its name, what it does in a line, and its entry point, which
 * gets argv with argv[0] being the command's name. */
typedef struct cli_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
} cli_command;

int cmd_pack(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_dups(int argc, char **argv);
int cmd_append(int argc, char **argv); /* cmd_pack.c */
int cmd_merge(int argc, char **argv);

/* ---- duplicates (cmd_dups.c) --------------------------------------------- */

/* Adds the QUIRE_DUP_* bit of a kind name (url, text, near) to *kinds;
 * returns EXIT_OK or EXIT_USAGE (message printed). */
int cli_parse_dup_kind(const char *cmd, const char *arg, int *kinds);
/* Parses a similarity above 0 and at most 1; EXIT_OK or EXIT_USAGE. */
int cli_parse_similarity(const char *cmd, const char *arg, double *similarity);
int cmd_split(int argc, char **argv); /* cmd_split.c (shards) */

/* ---- messages (common.c) ------------------------------------------------- */

/* Prints "quire CMD: message" on stderr and is EXIT_FAILED:
 *   return cli_fail("pack", "cannot read %s", path);
 * (macros, so that the static analyser sees the status). */
void cli_message(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int cli_status(int status) {
  return status;
}
#define cli_fail(cmd, ...)                                                     \
  (cli_message((cmd), __VA_ARGS__), cli_status(EXIT_FAILED))
/* Prints "quire CMD: message" and a hint to --help on stderr and is
 * EXIT_USAGE. */
void cli_usage_message(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define cli_usage_error(cmd, ...)                                              \
  (cli_usage_message((cmd), __VA_ARGS__), cli_status(EXIT_USAGE))
/* Standard input, for an input given as "-": opened by path, as every
 * input is, so that libquire reads it like a file (a pipe is read as it
 * comes, never ahead of the rows it stores). */
#define CLI_STDIN_PATH "/dev/stdin"
/* Prints usage on stdout and returns CLI_HELPED (the answer to --help). */
int cli_help(const char *usage);
/* Reports getopt's '?' or ':' for the option just read; returns EXIT_USAGE. */
void cli_bad_option_message(const char *cmd, int opt, char **argv);
#define cli_bad_option(cmd, opt, argv)                                         \
  (cli_bad_option_message((cmd), (opt), (argv)), cli_status(EXIT_USAGE))

/* Parses a whole non-negative decimal number, with an optional k/K or m/M
 * suffix when units is non-zero. Returns 0 on success, -1 if it is not one. */
int cli_parse_u64(const char *text, int units, uint64_t *value);

/* ---- selections: the filter options every reading command takes ---------- */

enum {
  OPT_SOURCE = 1000,
  OPT_FROM,
  OPT_TO,
  OPT_UNDATED,
  OPT_MATCH,
  OPT_MATCH_ANY,
  OPT_HELP,
  OPT_FIRST_OWN /* commands number their own long options from here */
};

#define CLI_FILTER_OPTIONS                                                     \
  {"source", required_argument, NULL, OPT_SOURCE},                             \
      {"from", required_argument, NULL, OPT_FROM},                             \
      {"to", required_argument, NULL, OPT_TO},                                 \
      {"undated", no_argument, NULL, OPT_UNDATED},                             \
      {"match", required_argument, NULL, OPT_MATCH},                           \
      {"match-any", required_argument, NULL, OPT_MATCH_ANY}, {                 \
    "help", no_argument, NULL, OPT_HELP                                        \
  }

#define CLI_FILTER_USAGE                                                       \
  "filters (any mix; a document must pass all of them):\n"                     \
  "  --source NAME  only documents of this source (repeat for several)\n"      \
  "  --from DATE    only documents dated on or after DATE (ISO 8601 or\n"      \
  "                 RFC 2822, any precision: 2016, 2016-01, 2016-01-31)\n"     \
  "  --to DATE      only documents dated on or before DATE; a partial date\n"  \
  "                 covers its whole period (--to 2016 ends 2016-12-31)\n"     \
  "  --undated      keep undated documents when --from or --to is given\n"     \
  "                 (without a date bound they are always kept)\n"             \
  "  --match WORDS  only documents whose title or text holds these words,\n"   \
  "                 one after another (repeat: all must occur); letters\n"     \
  "                 and digits compare case-insensitively, anything else\n"    \
  "                 separates words\n"                                         \
  "  --match-any WORDS  at least one of these (repeat for several) must\n"     \
  "                 occur, besides every --match\n"

typedef struct cli_selection {
  quire_filter *filter;
  int filtered; /* any filter option was given */
  int undated;  /* --undated was given */
  int terms;    /* --match or --match-any was given */
} cli_selection;

/* Starts an empty selection; returns EXIT_OK or EXIT_FAILED. */
int cli_selection_init(cli_selection *sel, const char *cmd);
/* Handles opt if it is a filter option: returns EXIT_OK when handled,
 * EXIT_USAGE for a bad value, -1 when opt is not a filter option. */
int cli_selection_option(cli_selection *sel, const char *cmd, int opt,
                         const char *arg);
/* Applies --undated once every option has been read. */
void cli_selection_finish(cli_selection *sel);
void cli_selection_free(cli_selection *sel);

/* A command's own options: returns EXIT_OK when opt was handled, EXIT_USAGE
 * for a bad value, -1 when opt is not one of them. */
typedef int (*cli_own_option)(void *ctx, int opt, const char *arg);

/* Reads the options of argv (getopt_long with shortopts and options, which
 * include CLI_FILTER_OPTIONS when sel is not NULL): --help, the filter
 * options into sel, the others through own (may be NULL). Then checks that
 * between min_args and max_args words remain, from argv[optind]. Returns
 * EXIT_OK, CLI_HELPED or EXIT_USAGE (message printed). */
int cli_parse(int argc, char **argv, const char *usage, const char *shortopts,
              const struct option *options, cli_selection *sel,
              cli_own_option own, void *ctx, int min_args, int max_args);

/* Opens the corpus at path; on failure prints why and returns EXIT_FAILED. */
int cli_open(const char *cmd, const char *path, quire_corpus **out);

/* For the commands that take "FILE [filters]" and nothing else: parses
 * argv into sel and opens FILE. Returns EXIT_OK with both set (free both),
 * or CLI_HELPED, EXIT_USAGE or EXIT_FAILED with nothing to free. */
int cli_open_selection(int argc, char **argv, const char *usage,
                       cli_selection *sel, quire_corpus **corpus);

/* Writes all of data to fd; 0 or -1 with errno. */
int cli_write_all(int fd, const char *data, size_t len);

/* Counts the code points of UTF-8 text: its width in a terminal, near
 * enough for tables of names. */
size_t cli_text_width(const char *text, size_t len);

/* ---- progress on stderr (progress.c) ------------------------------------- */

typedef struct cli_progress cli_progress;

/* Starts a progress line on stderr, redrawn a few times a second by a
 * thread of its own, if and only if stderr is a terminal; returns NULL
 * otherwise (every function accepts NULL). total 0 means unknown: the line
 * then shows only the label and the time spent. */
cli_progress *cli_progress_start(const char *label, uint64_t total);
/* Sets how much of the total is done (any thread). */
void cli_progress_set(cli_progress *p, uint64_t done);
/* A quire_progress_fn for the library's progress callbacks, ctx being the
 * cli_progress (or NULL): sets done and total, and never stops the work. */
int cli_progress_hook(void *ctx, uint64_t done, uint64_t total);
/* Replaces the label (the thread that started the progress only). */
void cli_progress_label(cli_progress *p, const char *label);
/* Stops the thread and clears the line. */
void cli_progress_end(cli_progress *p);

#endif
