/*
 * common.c: messages, number parsing and the filter options shared by the
 * commands of `quire`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void vmessage(const char *cmd, const char *fmt, va_list ap) {
  fprintf(stderr, "quire %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void cli_message(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(cmd, fmt, ap);
  va_end(ap);
}

void cli_usage_message(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(cmd, fmt, ap);
  va_end(ap);
  fprintf(stderr, "Try 'quire %s --help'.\n", cmd);
}

int cli_help(const char *usage) {
  fputs(usage, stdout);
  return CLI_HELPED;
}

void cli_bad_option_message(const char *cmd, int opt, char **argv) {
  /* getopt leaves the offending word just before optind. */
  const char *word = optind > 0 ? argv[optind - 1] : "?";
  if (opt == ':')
    cli_usage_message(cmd, "option '%s' needs a value", word);
  else if (optopt > 0 && optopt < 256)
    cli_usage_message(cmd, "unknown option '-%c'", optopt);
  else
    cli_usage_message(cmd, "unknown option '%s'", word);
}

int cli_parse_u64(const char *text, int units, uint64_t *value) {
  if (!text || *text < '0' || *text > '9')
    return -1;
  uint64_t v = 0;
  const char *p = text;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (UINT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  uint64_t scale = 1;
  if (units && (*p == 'k' || *p == 'K'))
    scale = 1024, p++;
  else if (units && (*p == 'm' || *p == 'M'))
    scale = 1024 * 1024, p++;
  if (*p != '\0' || v > UINT64_MAX / scale)
    return -1;
  *value = v * scale;
  return 0;
}

/* ---- selections ---------------------------------------------------------- */

int cli_selection_init(cli_selection *sel, const char *cmd) {
  memset(sel, 0, sizeof *sel);
  if (quire_filter_new(&sel->filter) != QUIRE_OK)
    return cli_fail(cmd, "out of memory");
  return EXIT_OK;
}

int cli_selection_option(cli_selection *sel, const char *cmd, int opt,
                         const char *arg) {
  int status;
  switch (opt) {
  case OPT_SOURCE:
    status = quire_filter_add_source(sel->filter, arg, strlen(arg));
    break;
  case OPT_FROM:
    status = quire_filter_set_from(sel->filter, arg, strlen(arg));
    break;
  case OPT_TO:
    status = quire_filter_set_to(sel->filter, arg, strlen(arg));
    break;
  case OPT_UNDATED:
    sel->undated = 1;
    status = QUIRE_OK;
    break;
  case OPT_MATCH:
  case OPT_MATCH_ANY:
    sel->terms = 1;
    status = (opt == OPT_MATCH
                  ? quire_filter_add_term
                  : quire_filter_add_any_term)(sel->filter, arg, strlen(arg));
    if (status != QUIRE_OK && status != QUIRE_ENOMEM)
      return cli_usage_error(cmd, "%s: %s",
                             opt == OPT_MATCH ? "--match" : "--match-any",
                             quire_filter_errmsg(sel->filter));
    break;
  default:
    return -1;
  }
  sel->filtered = 1;
  if (status == QUIRE_EDATE)
    return cli_usage_error(cmd, "%s: '%s' is not an ISO 8601 or RFC 2822 date",
                           opt == OPT_FROM ? "--from" : "--to", arg);
  if (status != QUIRE_OK)
    return cli_usage_error(cmd, "%s", quire_filter_errmsg(sel->filter));
  return EXIT_OK;
}

void cli_selection_finish(cli_selection *sel) {
  if (sel->undated)
    quire_filter_set_undated(sel->filter, QUIRE_UNDATED_INCLUDE);
}

int cli_parse(int argc, char **argv, const char *usage, const char *shortopts,
              const struct option *options, cli_selection *sel,
              cli_own_option own, void *ctx, int min_args, int max_args) {
  const char *cmd = argv[0];
  int opt;
  while ((opt = getopt_long(argc, argv, shortopts, options, NULL)) != -1) {
    if (opt == 'h' || opt == OPT_HELP)
      return cli_help(usage);
    int rc = sel ? cli_selection_option(sel, cmd, opt, optarg) : -1;
    if (rc == -1 && own)
      rc = own(ctx, opt, optarg);
    if (rc == -1)
      rc = cli_bad_option(cmd, opt, argv);
    if (rc != EXIT_OK)
      return rc;
  }
  if (sel)
    cli_selection_finish(sel);
  int left = argc - optind;
  if (left < min_args)
    return cli_usage_error(cmd, min_args == 1 ? "missing FILE"
                                              : "missing arguments");
  if (left > max_args)
    return cli_usage_error(cmd, "unexpected argument '%s'",
                           argv[optind + max_args]);
  return EXIT_OK;
}

void cli_selection_free(cli_selection *sel) {
  quire_filter_free(sel->filter);
  sel->filter = NULL;
}

/* ---- corpora and output -------------------------------------------------- */

int cli_open(const char *cmd, const char *path, quire_corpus **out) {
  int status = quire_corpus_open(path, out);
  if (status == QUIRE_OK)
    return EXIT_OK;
  if (*out)
    cli_fail(cmd, "%s", quire_corpus_errmsg(*out));
  else
    cli_fail(cmd, "%s: %s", path, quire_strerror(status));
  quire_corpus_free(*out);
  *out = NULL;
  return EXIT_FAILED;
}

int cli_open_selection(int argc, char **argv, const char *usage,
                       cli_selection *sel, quire_corpus **corpus) {
  static const struct option options[] = {CLI_FILTER_OPTIONS,
                                          {NULL, 0, NULL, 0}};
  *corpus = NULL;
  int rc = cli_selection_init(sel, argv[0]);
  if (rc == EXIT_OK)
    rc = cli_parse(argc, argv, usage, ":h", options, sel, NULL, NULL, 1, 1);
  if (rc == EXIT_OK)
    rc = cli_open(argv[0], argv[optind], corpus);
  if (rc != EXIT_OK)
    cli_selection_free(sel);
  return rc;
}

int cli_write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t put = write(fd, data, len);
    if (put < 0 && errno == EINTR)
      continue;
    if (put < 0)
      return -1;
    data += put;
    len -= (size_t)put;
  }
  return 0;
}

size_t cli_text_width(const char *text, size_t len) {
  size_t width = 0;
  for (size_t i = 0; i < len; i++)
    width += ((unsigned char)text[i] & 0xC0) != 0x80;
  return width;
}
