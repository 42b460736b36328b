/*
 * cmd_stats.c: `quire stats`, documents per source per year as a table.
 *
 * Two passes of a cursor over the selection, reading only each document's
 * source id and date (no text is inflated): the first finds the years
 * and sources present, the second counts into a sources x years table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char stats_usage[] =
    "usage: quire stats FILE [filters]\n"
    "\n"
    "Prints a table of the selected documents per source (rows) and per\n"
    "year (columns), with an 'undated' column when some have no date and\n"
    "totals. Documents without a source count under '(no source)'.\n"
    "\n" CLI_FILTER_USAGE "  -h, --help     show this help\n";

#define NO_SOURCE_LABEL "(no source)"

typedef struct table {
  int64_t *years; /* distinct years, ascending */
  size_t year_count;
  int has_undated;
  size_t columns;   /* year_count, plus one for undated */
  int64_t *row_of;  /* per source id + 1 (0 = no source): row or -1 */
  uint64_t sources; /* source ids in the corpus */
  size_t rows;      /* rows in use */
  int64_t *source_of_row;
  uint64_t *counts; /* rows x columns */
} table;

static int64_t year_of(int64_t seconds) {
  char text[32];
  quire_date_format(seconds, QUIRE_DATE_YEAR, text, sizeof text);
  return strtoll(text, NULL, 10);
}

/* Inserts year into the sorted set unless it is there. */
static int add_year(table *t, int64_t year) {
  size_t lo = 0, hi = t->year_count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (t->years[mid] == year)
      return 0;
    if (t->years[mid] < year)
      lo = mid + 1;
    else
      hi = mid;
  }
  int64_t *bigger = realloc(t->years, (t->year_count + 1) * sizeof *bigger);
  if (!bigger)
    return -1;
  t->years = bigger;
  memmove(t->years + lo + 1, t->years + lo,
          (t->year_count - lo) * sizeof *t->years);
  t->years[lo] = year;
  t->year_count++;
  return 0;
}

static size_t column_of(const table *t, int64_t seconds) {
  if (seconds == QUIRE_NO_DATE)
    return t->year_count;
  int64_t year = year_of(seconds);
  size_t lo = 0, hi = t->year_count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (t->years[mid] < year)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Runs a cursor over the selection, calling visit for each document. */
static int walk(const quire_corpus *c, const quire_filter *f,
                int (*visit)(table *, int64_t, int64_t), table *t) {
  quire_cursor *cur = NULL;
  int step = quire_cursor_open(c, f, &cur);
  if (step != QUIRE_OK) {
    cli_fail("stats", "%s", cur ? quire_cursor_errmsg(cur) : "out of memory");
    quire_cursor_free(cur);
    return EXIT_FAILED;
  }
  int rc = EXIT_OK;
  while (rc == EXIT_OK && (step = quire_cursor_next(cur)) == QUIRE_ROW) {
    int64_t source = quire_cursor_source_id(cur);
    if (source < -1 || source >= (int64_t)t->sources)
      source = -1; /* never from an intact library; keeps the table safe */
    if (visit(t, source, quire_cursor_date(cur)) != 0)
      rc = cli_fail("stats", "out of memory");
  }
  if (rc == EXIT_OK && step != QUIRE_DONE)
    rc = cli_fail("stats", "%s", quire_cursor_errmsg(cur));
  quire_cursor_free(cur);
  return rc;
}

static int survey(table *t, int64_t source, int64_t date) {
  if (date == QUIRE_NO_DATE)
    t->has_undated = 1;
  else if (add_year(t, year_of(date)) != 0)
    return -1;
  int64_t *row = &t->row_of[source + 1];
  if (*row < 0)
    *row = 0; /* present; numbered after the survey */
  return 0;
}

static int tally(table *t, int64_t source, int64_t date) {
  int64_t row = t->row_of[source + 1];
  t->counts[(size_t)row * t->columns + column_of(t, date)]++;
  return 0;
}

/* Numbers the rows of the sources present: named sources in the corpus's
 * (byte) order, then documents without a source. */
static int lay_out(table *t) {
  t->columns = t->year_count + (t->has_undated ? 1 : 0);
  t->source_of_row = malloc((t->sources + 1) * sizeof *t->source_of_row);
  if (!t->source_of_row)
    return -1;
  for (uint64_t s = 1; s <= t->sources; s++)
    if (t->row_of[s] >= 0) {
      t->source_of_row[t->rows] = (int64_t)s - 1;
      t->row_of[s] = (int64_t)t->rows++;
    }
  if (t->row_of[0] >= 0) {
    t->source_of_row[t->rows] = -1;
    t->row_of[0] = (int64_t)t->rows++;
  }
  t->counts =
      calloc(t->rows * (t->columns ? t->columns : 1) + 1, sizeof *t->counts);
  return t->counts ? 0 : -1;
}

static const char *row_name(const quire_corpus *c, const table *t, size_t row,
                            size_t *len) {
  const char *name = NO_SOURCE_LABEL;
  *len = strlen(NO_SOURCE_LABEL);
  if (t->source_of_row[row] >= 0)
    quire_corpus_source(c, (uint64_t)t->source_of_row[row], &name, len, NULL);
  return name;
}

static void print_padded(const char *text, size_t len, size_t width) {
  fwrite(text, 1, len, stdout);
  for (size_t w = cli_text_width(text, len); w < width; w++)
    putchar(' ');
}

static void print_counts(const uint64_t *counts, size_t n, int cell) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    printf("  %*llu", cell, (unsigned long long)counts[i]);
    total += counts[i];
  }
  printf("  %*llu\n", cell, (unsigned long long)total);
}

static void print_table(const quire_corpus *c, const table *t) {
  size_t name_width = strlen("source");
  for (size_t r = 0; r < t->rows; r++) {
    size_t len;
    const char *name = row_name(c, t, r, &len);
    size_t w = cli_text_width(name, len);
    name_width = w > name_width ? w : name_width;
  }
  int cell = 7; /* "undated"; counts wider than that push the line */
  print_padded("source", 6, name_width);
  for (size_t y = 0; y < t->year_count; y++)
    printf("  %*lld", cell, (long long)t->years[y]);
  if (t->has_undated)
    printf("  %*s", cell, "undated");
  printf("  %*s\n", cell, "total");
  uint64_t *totals = calloc(t->columns + 1, sizeof *totals);
  for (size_t r = 0; r < t->rows; r++) {
    size_t len;
    const char *name = row_name(c, t, r, &len);
    print_padded(name, len, name_width);
    const uint64_t *counts = t->counts + r * t->columns;
    print_counts(counts, t->columns, cell);
    for (size_t k = 0; totals && k < t->columns; k++)
      totals[k] += counts[k];
  }
  if (totals) {
    print_padded("total", 5, name_width);
    print_counts(totals, t->columns, cell);
  }
  free(totals);
}

int cmd_stats(int argc, char **argv) {
  cli_selection sel;
  quire_corpus *c;
  int rc = cli_open_selection(argc, argv, stats_usage, &sel, &c);
  if (rc != EXIT_OK)
    return rc == CLI_HELPED ? EXIT_OK : rc;
  table t = {.sources = quire_corpus_source_count(c)};
  t.row_of = malloc((t.sources + 1) * sizeof *t.row_of);
  if (!t.row_of)
    rc = cli_fail("stats", "out of memory");
  for (uint64_t s = 0; rc == EXIT_OK && s <= t.sources; s++)
    t.row_of[s] = -1;
  if (rc == EXIT_OK)
    rc = walk(c, sel.filter, survey, &t);
  if (rc == EXIT_OK && lay_out(&t) != 0)
    rc = cli_fail("stats", "out of memory");
  if (rc == EXIT_OK)
    rc = walk(c, sel.filter, tally, &t);
  if (rc == EXIT_OK)
    print_table(c, &t);
  free(t.years);
  free(t.row_of);
  free(t.source_of_row);
  free(t.counts);
  quire_corpus_free(c);
  cli_selection_free(&sel);
  return rc;
}
