/*
 * test_core.c: the format, writer, reader, cursor and filters.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "format.h"
#include "internal.h"
#include "quire.h"
#include "reader.h"
#include "testutil.h"

/* ---- helpers
 * ------------------------------------------------------------------ */

typedef struct doc {
  const char *source, *date, *title, *author, *url, *text;
  size_t text_len; /* 0: strlen(text) */
} doc;

static size_t text_len(const doc *d) {
  return d->text_len ? d->text_len : strlen(d->text);
}

static quire_writer *open_writer(const char *path, int order,
                                 uint32_t block_size) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK, "%s",
               quire_writer_errmsg(w));
  cr_assert_eq(quire_writer_set_order(w, order), QUIRE_OK);
  if (block_size)
    cr_assert_eq(quire_writer_set_block_size(w, block_size), QUIRE_OK);
  return w;
}

static int add_doc(quire_writer *w, const doc *d) {
  return tu_writer_add(w, d->source, strlen(d->source), d->date,
                       strlen(d->date), d->title, strlen(d->title), d->author,
                       strlen(d->author), d->url, strlen(d->url), d->text,
                       text_len(d));
}

static void write_docs(const char *path, const doc *docs, size_t n, int order,
                       uint32_t block_size) {
  quire_writer *w = open_writer(path, order, block_size);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(add_doc(w, &docs[i]), QUIRE_OK, "doc %zu: %s", i,
                 quire_writer_errmsg(w));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
}

static quire_corpus *open_corpus(const char *path) {
  quire_corpus *c;
  int status = quire_corpus_open(path, &c);
  cr_assert_eq(status, QUIRE_OK, "open %s: %s", path, quire_corpus_errmsg(c));
  return c;
}

static void expect_field(quire_cursor *cur, int field, const char *want,
                         size_t want_len) {
  const char *data;
  size_t len;
  cr_assert_eq(quire_cursor_field(cur, field, &data, &len), QUIRE_OK, "%s",
               quire_cursor_errmsg(cur));
  cr_assert_eq(len, want_len, "field %d: length %zu, want %zu", field, len,
               want_len);
  cr_assert(memcmp(data, want, len) == 0, "field %d differs", field);
  cr_assert_eq(data[len], '\0', "field %d is not NUL-terminated", field);
}

static void expect_doc(quire_cursor *cur, const doc *d) {
  expect_field(cur, QUIRE_FIELD_SOURCE, d->source, strlen(d->source));
  expect_field(cur, QUIRE_FIELD_DATE, d->date, strlen(d->date));
  expect_field(cur, QUIRE_FIELD_TITLE, d->title, strlen(d->title));
  expect_field(cur, QUIRE_FIELD_AUTHOR, d->author, strlen(d->author));
  expect_field(cur, QUIRE_FIELD_URL, d->url, strlen(d->url));
  expect_field(cur, QUIRE_FIELD_TEXT, d->text, text_len(d));
  cr_assert_eq(quire_cursor_text_length(cur), text_len(d));
}

static const doc sample[] = {
    {"Belarus in Focus", "2017-05-08T09:22", "Minsk hopes", "", "https://x/1",
     "Body one, with \"quotes\"\nand lines.", 0},
    {"", "", "No source, no date", "Leonardo Scanavino", "", "Body two", 0},
    {"Eurasia Daily Monitor", "2016-01", "Россия и Беларусь", "Автор", "",
     "Кириллица и эмодзи 🚀🇧🇾", 0},
    {"South China Morning Post", "2024", "Year only", "", "", "", 0},
    {"Belarus in Focus", "2016-04-22T18:38:05Z", "Seconds, UTC", "", "", "t",
     0},
    {"Belarus in Focus", "2016-04-22T18:38+02:00", "Offset", "", "", "u", 0},
    {"Belarus in Focus", "2016-04-22", "Day", "", "", "v", 0},
};
#define SAMPLE_N (sizeof sample / sizeof sample[0])

/* ---- round trips
 * ------------------------------------------------------------------ */

Test(roundtrip, every_field_in_input_order) {
  char path[512];
  tu_tmp_path(path, sizeof path, "rt.quire");
  write_docs(path, sample, SAMPLE_N, QUIRE_ORDER_INPUT, 0);
  quire_corpus *c = open_corpus(path);
  cr_assert_eq(quire_corpus_doc_count(c), SAMPLE_N);
  cr_assert_eq(quire_corpus_source_count(c), 3);
  cr_assert_eq(quire_corpus_undated_count(c), 1);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  for (size_t i = 0; i < SAMPLE_N; i++) {
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW, "%s",
                 quire_cursor_errmsg(cur));
    cr_assert_eq(quire_cursor_doc(cur), i);
    expect_doc(cur, &sample[i]);
  }
  cr_assert_eq(quire_cursor_next(cur), QUIRE_DONE);
  cr_assert_eq(quire_cursor_next(cur), QUIRE_DONE);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  unlink(path);
}

/* Regression: the id and the date once shared one buffer, so asking for the
 * date overwrote the id returned before it. */
Test(roundtrip, fields_stay_valid_together_until_the_cursor_moves) {
  char path[512];
  tu_tmp_path(path, sizeof path, "together.quire");
  write_docs(path, sample, SAMPLE_N, QUIRE_ORDER_INPUT, 0);
  quire_corpus *c = open_corpus(path);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  cr_assert_eq(quire_cursor_seek(cur, 2), QUIRE_ROW);
  const char *f[7];
  size_t n[7];
  for (int field = QUIRE_FIELD_ID; field <= QUIRE_FIELD_TEXT; field++)
    cr_assert_eq(quire_cursor_field(cur, field, &f[field], &n[field]),
                 QUIRE_OK);
  cr_assert_str_eq(f[QUIRE_FIELD_ID], "2");
  cr_assert_str_eq(f[QUIRE_FIELD_SOURCE], sample[2].source);
  cr_assert_str_eq(f[QUIRE_FIELD_DATE], sample[2].date);
  cr_assert_str_eq(f[QUIRE_FIELD_TITLE], sample[2].title);
  cr_assert_str_eq(f[QUIRE_FIELD_AUTHOR], sample[2].author);
  cr_assert_str_eq(f[QUIRE_FIELD_URL], sample[2].url);
  cr_assert_str_eq(f[QUIRE_FIELD_TEXT], sample[2].text);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  unlink(path);
}

Test(roundtrip, batches_match_single_steps) {
  char path[512];
  tu_tmp_path(path, sizeof path, "batch.quire");
  write_docs(path, sample, SAMPLE_N, QUIRE_ORDER_CLUSTERED, 0);
  quire_corpus *c = open_corpus(path);
  quire_cursor *one, *many;
  cr_assert_eq(quire_cursor_open(c, NULL, &one), QUIRE_OK);
  cr_assert_eq(quire_cursor_open(c, NULL, &many), QUIRE_OK);
  uint64_t docs[3], lengths[3];
  int64_t dates[3], sources[3];
  int32_t precisions[3];
  size_t count, seen = 0;
  int status;
  while ((status = quire_cursor_next_batch(many, 3, docs, dates, precisions,
                                           sources, lengths, &count)) ==
         QUIRE_ROW) {
    cr_assert_gt(count, 0);
    for (size_t i = 0; i < count; i++, seen++) {
      cr_assert_eq(quire_cursor_next(one), QUIRE_ROW);
      cr_assert_eq(docs[i], quire_cursor_doc(one));
      cr_assert_eq(dates[i], quire_cursor_date(one));
      cr_assert_eq(precisions[i], quire_cursor_date_precision(one));
      cr_assert_eq(sources[i], quire_cursor_source_id(one));
      cr_assert_eq(lengths[i], quire_cursor_text_length(one));
    }
    /* The cursor stands on the last document of the batch. */
    cr_assert_eq(quire_cursor_doc(many), docs[count - 1]);
  }
  cr_assert_eq(status, QUIRE_DONE);
  cr_assert_eq(count, 0);
  cr_assert_eq(seen, SAMPLE_N);
  cr_assert_eq(
      quire_cursor_next_batch(many, 0, NULL, NULL, NULL, NULL, NULL, &count),
      QUIRE_EINVAL);
  quire_cursor_free(one);
  quire_cursor_free(many);
  quire_corpus_free(c);
  unlink(path);
}

Test(roundtrip, clustered_order_sorts_by_source_then_date) {
  char path[512];
  tu_tmp_path(path, sizeof path, "cl.quire");
  write_docs(path, sample, SAMPLE_N, QUIRE_ORDER_CLUSTERED, 0);
  quire_corpus *c = open_corpus(path);
  /* Expected order: Belarus in Focus by date (2016-04-22 day, 16:38Z offset
   * doc, 18:38:05Z, 2017), Eurasia, South China, then no source. */
  const int expected[] = {6, 5, 4, 0, 2, 3, 1};
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  for (size_t i = 0; i < SAMPLE_N; i++) {
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    expect_doc(cur, &sample[expected[i]]);
  }
  quire_cursor_free(cur);
  const char *name;
  size_t len;
  uint64_t docs;
  cr_assert_eq(quire_corpus_source(c, 0, &name, &len, &docs), QUIRE_OK);
  cr_assert_str_eq(name, "Belarus in Focus");
  cr_assert_eq(docs, 4);
  cr_assert_eq(quire_corpus_source(c, 3, &name, &len, &docs), QUIRE_ENOTFOUND);
  quire_corpus_free(c);
  unlink(path);
}

Test(roundtrip, large_texts_and_small_blocks) {
  char path[512];
  tu_tmp_path(path, sizeof path, "big.quire");
  size_t big = 1 << 20;
  char *text = malloc(big + 1);
  uint64_t seed = 7;
  for (size_t i = 0; i < big; i++)
    text[i] = (char)('a' + tu_rand(&seed) % 26);
  text[big] = '\0';
  doc docs[40];
  char small[40][64];
  for (int i = 0; i < 40; i++) {
    snprintf(small[i], sizeof small[i], "document %d %.*s", i, i, text);
    docs[i] = (doc){"S", "2020-01-01", "t", "a", "u", small[i], 0};
  }
  docs[7].text = text; /* a text far over the 4 KiB block size */
  docs[8].text = text;
  docs[8].text_len = 4096; /* exactly one block */
  write_docs(path, docs, 40, QUIRE_ORDER_INPUT, 4096);
  quire_corpus *c = open_corpus(path);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  /* Backwards, so that each document needs a block other than the last. */
  for (int i = 39; i >= 0; i--) {
    cr_assert_eq(quire_cursor_seek(cur, (uint64_t)i), QUIRE_ROW);
    expect_doc(cur, &docs[i]);
  }
  cr_assert_eq(quire_cursor_seek(cur, 40), QUIRE_ENOTFOUND);
  cr_assert_eq(quire_corpus_verify(c, NULL, NULL, NULL), QUIRE_OK);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  free(text);
  unlink(path);
}

Test(roundtrip, empty_corpus) {
  char path[512];
  tu_tmp_path(path, sizeof path, "empty.quire");
  write_docs(path, NULL, 0, QUIRE_ORDER_CLUSTERED, 0);
  quire_corpus *c = open_corpus(path);
  cr_assert_eq(quire_corpus_doc_count(c), 0);
  int64_t a, b;
  cr_assert_eq(quire_corpus_date_span(c, &a, &b), QUIRE_ENOTFOUND);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  cr_assert_eq(quire_cursor_next(cur), QUIRE_DONE);
  quire_cursor_free(cur);
  cr_assert_eq(quire_corpus_verify(c, NULL, NULL, NULL), QUIRE_OK);
  quire_corpus_free(c);
  unlink(path);
}

Test(roundtrip, reopen_after_close_and_open_buffer) {
  char path[512];
  tu_tmp_path(path, sizeof path, "reopen.quire");
  write_docs(path, sample, SAMPLE_N, QUIRE_ORDER_INPUT, 0);
  for (int round = 0; round < 3; round++) {
    quire_corpus *c = open_corpus(path);
    cr_assert_eq(quire_corpus_doc_count(c), SAMPLE_N);
    quire_corpus_free(c);
  }
  size_t len;
  char *bytes = tu_read_file(path, &len);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  cr_assert_eq(quire_cursor_seek(cur, 2), QUIRE_ROW);
  expect_doc(cur, &sample[2]);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  free(bytes);
  unlink(path);
}

/* One thread, two (one helper and the calling thread, which compresses
 * when the helper falls behind) and five write the same bytes. */
Test(roundtrip, threads_compress_identically) {
  static const int counts[] = {1, 2, 5};
  char path[3][512];
  for (int t = 0; t < 3; t++) {
    char name[32];
    snprintf(name, sizeof name, "threads-%d.quire", counts[t]);
    tu_tmp_path(path[t], sizeof path[t], name);
    quire_writer *w = open_writer(path[t], QUIRE_ORDER_CLUSTERED, 4096);
    cr_assert_eq(quire_writer_set_threads(w, counts[t]), QUIRE_OK);
    char text[3000];
    uint64_t seed = 1;
    for (int i = 0; i < 500; i++) {
      for (size_t k = 0; k < sizeof text - 1; k++)
        text[k] = (char)('a' + tu_rand(&seed) % 8);
      text[sizeof text - 1] = '\0';
      doc d = {i % 3 ? "A" : "B", "2001-02-03", "t", "", "", text, 0};
      cr_assert_eq(add_doc(w, &d), QUIRE_OK);
    }
    cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s",
                 quire_writer_errmsg(w));
    quire_writer_free(w);
  }
  size_t la;
  char *a = tu_read_file(path[0], &la);
  for (int t = 1; t < 3; t++) {
    size_t lb;
    char *b = tu_read_file(path[t], &lb);
    cr_assert_eq(la, lb, "%d threads", counts[t]);
    cr_assert(memcmp(a, b, la) == 0, "%d threads: output differs", counts[t]);
    free(b);
    unlink(path[t]);
  }
  free(a);
  unlink(path[0]);
}

/* ---- dates
 * ---------------------------------------------------------------------- */

Test(dates, every_precision_parses_and_formats_back) {
  static const struct {
    const char *in;
    int precision;
    int64_t seconds;
  } cases[] = {
      {"2016", QUIRE_DATE_YEAR, 1451606400},
      {"2016-01", QUIRE_DATE_MONTH, 1451606400},
      {"2016-02-29", QUIRE_DATE_DAY, 1456704000},
      {"2017-05-08T09:22", QUIRE_DATE_MINUTE, 1494235320},
      {"2017-05-08T09:22:07", QUIRE_DATE_SECOND, 1494235327},
      {"2017-05-08T09:22Z", QUIRE_DATE_MINUTE, 1494235320},
      {"2017-05-08T11:22+02:00", QUIRE_DATE_MINUTE, 1494235320},
      {"2017-05-08T04:22:00-05:00", QUIRE_DATE_SECOND, 1494235320},
      {"1969-12-31T23:59:59Z", QUIRE_DATE_SECOND, -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    q_date d;
    cr_assert_eq(q_date_parse(cases[i].in, strlen(cases[i].in), &d), QUIRE_OK,
                 "%s", cases[i].in);
    cr_assert_eq(d.precision, cases[i].precision, "%s", cases[i].in);
    cr_assert_eq(d.seconds, cases[i].seconds, "%s: %lld", cases[i].in,
                 (long long)d.seconds);
    char buf[64];
    cr_assert_gt(q_date_format(&d, buf, sizeof buf), 0);
    cr_assert_str_eq(buf, cases[i].in, "written back as given");
  }
}

/* Every day of years 1 to 9999 is written as a plain calendar walk
 * counts it, and parses back to the same day. Writing a date and parsing
 * one use two different algorithms (Neri-Schneider, Hinnant), so each
 * checks the other. */
Test(dates, every_day_formats_back) {
  static const unsigned month_days[] = {31, 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31};
  int64_t days = -719162; /* 0001-01-01 */
  for (int year = 1; year <= 9999; year++) {
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    for (unsigned month = 1; month <= 12; month++) {
      unsigned in_month = month_days[month - 1] + (month == 2 && leap);
      for (unsigned day = 1; day <= in_month; day++, days++) {
        q_date d = {days * 86400, QUIRE_DATE_DAY, Q_TZ_NONE, 0};
        char buf[64], want[16];
        size_t len = q_date_format(&d, buf, sizeof buf);
        snprintf(want, sizeof want, "%04d-%02u-%02u", year, month, day);
        if (strcmp(buf, want) != 0 || len != 10)
          cr_assert_fail("day %lld written as %s, not %s", (long long)days, buf,
                         want);
        q_date back;
        if (q_date_parse(buf, len, &back) != QUIRE_OK ||
            back.seconds != d.seconds)
          cr_assert_fail("%s parses back to %lld", buf,
                         (long long)back.seconds);
      }
    }
  }
  /* A zone's offset takes the local date past either end. */
  q_date first = {-62135596800LL, QUIRE_DATE_MINUTE, Q_TZ_OFFSET, -60};
  q_date last = {253402300799LL, QUIRE_DATE_SECOND, Q_TZ_OFFSET, 60};
  char buf[64];
  cr_expect_gt(q_date_format(&first, buf, sizeof buf), 0);
  cr_expect_str_eq(buf, "0000-12-31T23:00-01:00");
  cr_expect_gt(q_date_format(&last, buf, sizeof buf), 0);
  cr_expect_str_eq(buf, "10000-01-01T00:59:59+01:00");
}

Test(dates, rfc2822_and_variants) {
  int64_t s;
  int p;
  cr_assert_eq(quire_date_parse("Mon, 08 May 2017 09:22:00 +0000", 31, &s, &p),
               QUIRE_OK);
  cr_assert_eq(s, 1494235320);
  cr_assert_eq(p, QUIRE_DATE_SECOND);
  const char *gmt = "8 May 2017 11:22 GMT";
  cr_assert_eq(quire_date_parse(gmt, strlen(gmt), &s, &p), QUIRE_OK);
  cr_assert_eq(s, 1494242520);
  cr_assert_eq(p, QUIRE_DATE_MINUTE);
  const char *space = " 2017-05-08 09:22:07.123 ";
  cr_assert_eq(quire_date_parse(space, strlen(space), &s, &p), QUIRE_OK);
  cr_assert_eq(s, 1494235327);
  char buf[32];
  cr_assert_eq(quire_date_format(s, QUIRE_DATE_DAY, buf, sizeof buf), 10);
  cr_assert_str_eq(buf, "2017-05-08");
  cr_assert_eq(quire_date_format(s, QUIRE_DATE_SECOND, buf, 5), 0);
}

Test(dates, bad_dates_are_rejected) {
  static const char *const bad[] = {"",
                                    "yesterday",
                                    "2016-13",
                                    "2016-02-30",
                                    "2015-02-29",
                                    "2016-01-01T24:00",
                                    "2016-1-1",
                                    "16-01-01",
                                    "2016-01-01T09:60",
                                    "2016/01/01",
                                    "2016-01-01T09",
                                    "Mon, 32 May 2017 09:22 +0000",
                                    "2016-01-01T09:22+25:00",
                                    "0000",
                                    "2016-01-01junk"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t s;
    int p;
    cr_assert_eq(quire_date_parse(bad[i], strlen(bad[i]), &s, &p), QUIRE_EDATE,
                 "accepted \"%s\"", bad[i]);
  }
  int64_t s;
  cr_assert_eq(quire_date_parse("2016", 4, &s, NULL), QUIRE_EINVAL);
}

Test(dates, partial_bounds_cover_their_period) {
  q_date d;
  cr_assert_eq(q_date_parse("2016", 4, &d), QUIRE_OK);
  cr_assert_eq(q_date_period_end(&d), 1483228799); /* 2016-12-31T23:59:59Z */
  cr_assert_eq(q_date_parse("2016-02", 7, &d), QUIRE_OK);
  cr_assert_eq(q_date_period_end(&d), 1456790399); /* 2016-02-29T23:59:59Z */
  cr_assert_eq(q_date_parse("2016-12-31", 10, &d), QUIRE_OK);
  cr_assert_eq(q_date_period_end(&d), 1483228799);
}

/* ---- filters against a brute-force reference
 * ------------------------------------- */

#define GEN_N 3000
static char gen_dates[GEN_N][32];
static char gen_sources[GEN_N][16];
static char gen_texts[GEN_N][48];
static doc gen_docs[GEN_N];
static q_date gen_parsed[GEN_N];

/* Documents over 8 sources (one doc in ten without), dates of every
 * precision over 30 years, one in eight undated. */
static void generate(void) {
  uint64_t seed = 42;
  for (int i = 0; i < GEN_N; i++) {
    uint64_t r = tu_rand(&seed);
    if (r % 10 == 0)
      gen_sources[i][0] = '\0';
    else
      snprintf(gen_sources[i], sizeof gen_sources[i], "src%d",
               (int)(r / 10 % 8));
    int year = 1995 + (int)(tu_rand(&seed) % 30);
    int month = 1 + (int)(tu_rand(&seed) % 12),
        day = 1 + (int)(tu_rand(&seed) % 28);
    switch (tu_rand(&seed) % 8) {
    case 0:
      gen_dates[i][0] = '\0';
      break;
    case 1:
      snprintf(gen_dates[i], 32, "%d", year);
      break;
    case 2:
      snprintf(gen_dates[i], 32, "%d-%02d", year, month);
      break;
    case 3:
      snprintf(gen_dates[i], 32, "%d-%02d-%02d", year, month, day);
      break;
    case 4:
      snprintf(gen_dates[i], 32, "%d-%02d-%02dT12:30", year, month, day);
      break;
    case 5:
      snprintf(gen_dates[i], 32, "%d-%02d-%02dT23:59:59Z", year, month, day);
      break;
    case 6:
      snprintf(gen_dates[i], 32, "%d-%02d-%02dT01:00+03:00", year, month, day);
      break;
    default:
      snprintf(gen_dates[i], 32, "%d-12-31T23:59:59", year);
      break;
    }
    snprintf(gen_texts[i], sizeof gen_texts[i], "text of document %d", i);
    gen_docs[i] =
        (doc){gen_sources[i], gen_dates[i], "t", "a", "u", gen_texts[i], 0};
    gen_parsed[i].seconds = QUIRE_NO_DATE;
    if (gen_dates[i][0])
      cr_assert_eq(
          q_date_parse(gen_dates[i], strlen(gen_dates[i]), &gen_parsed[i]),
          QUIRE_OK);
  }
}

typedef struct ref_filter {
  const char *sources[3];
  int nsources;
  const char *from, *to;
  int undated;
} ref_filter;

static int ref_matches(const ref_filter *f, int i) {
  if (f->nsources) {
    int any = 0;
    for (int k = 0; k < f->nsources; k++)
      any |= strcmp(gen_sources[i], f->sources[k]) == 0;
    if (!any)
      return 0;
  }
  int bounded = f->from || f->to;
  if (gen_parsed[i].seconds == QUIRE_NO_DATE)
    return f->undated == QUIRE_UNDATED_INCLUDE ||
           (f->undated == QUIRE_UNDATED_AUTO && !bounded);
  q_date d;
  if (f->from) {
    q_date_parse(f->from, strlen(f->from), &d);
    if (gen_parsed[i].seconds < d.seconds)
      return 0;
  }
  if (f->to) {
    q_date_parse(f->to, strlen(f->to), &d);
    if (gen_parsed[i].seconds > q_date_period_end(&d))
      return 0;
  }
  return 1;
}

static quire_filter *make_filter(const ref_filter *rf) {
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  for (int k = 0; k < rf->nsources; k++)
    cr_assert_eq(
        quire_filter_add_source(f, rf->sources[k], strlen(rf->sources[k])),
        QUIRE_OK);
  if (rf->from)
    cr_assert_eq(quire_filter_set_from(f, rf->from, strlen(rf->from)),
                 QUIRE_OK);
  if (rf->to)
    cr_assert_eq(quire_filter_set_to(f, rf->to, strlen(rf->to)), QUIRE_OK);
  cr_assert_eq(quire_filter_set_undated(f, rf->undated), QUIRE_OK);
  return f;
}

/* Checks count and iteration of one filter against the reference, mapping
 * file documents back to generated ones through their unique texts. */
static void check_filter(const quire_corpus *c, const ref_filter *rf) {
  uint64_t want = 0;
  char *wanted = calloc(GEN_N, 1);
  for (int i = 0; i < GEN_N; i++)
    if (ref_matches(rf, i)) {
      wanted[i] = 1;
      want++;
    }
  quire_filter *f = make_filter(rf);
  uint64_t count;
  cr_assert_eq(quire_corpus_count_matches(c, f, &count), QUIRE_OK);
  cr_assert_eq(count, want, "count %llu, reference %llu (from %s to %s)",
               (unsigned long long)count, (unsigned long long)want,
               rf->from ? rf->from : "-", rf->to ? rf->to : "-");
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, f, &cur), QUIRE_OK);
  uint64_t seen = 0, last = 0;
  int status;
  while ((status = quire_cursor_next(cur)) == QUIRE_ROW) {
    const char *text;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &len),
                 QUIRE_OK);
    int i = atoi(text + strlen("text of document "));
    cr_assert(wanted[i], "document %d should not match", i);
    cr_assert(seen == 0 || quire_cursor_doc(cur) > last, "not in doc order");
    last = quire_cursor_doc(cur);
    seen++;
  }
  cr_assert_eq(status, QUIRE_DONE);
  cr_assert_eq(seen, want);
  quire_cursor_free(cur);
  quire_filter_free(f);
  free(wanted);
}

static void filters_against_reference(int order) {
  generate();
  char path[512];
  tu_tmp_path(path, sizeof path, "gen.quire");
  write_docs(path, gen_docs, GEN_N, order, 4096);
  quire_corpus *c = open_corpus(path);
  static const char *const bounds[] = {
      NULL, "1995", "2003-07", "2010-02-28", "2016-06-15T12:30", "2030"};
  static const ref_filter source_sets[] = {
      {{0}, 0, 0, 0, 0},
      {{"src3"}, 1, 0, 0, 0},
      {{"src1", "src5"}, 2, 0, 0, 0},
      {{"src2", "nope", "src7"}, 3, 0, 0, 0},
  };
  for (size_t s = 0; s < 4; s++)
    for (size_t a = 0; a < 6; a++)
      for (size_t b = 0; b < 6; b++)
        for (int u = 0; u < 3; u++) {
          ref_filter rf = source_sets[s];
          rf.from = bounds[a];
          rf.to = bounds[b];
          rf.undated = u;
          check_filter(c, &rf);
        }
  quire_corpus_free(c);
  unlink(path);
}

Test(filters, match_brute_force_in_input_order, .timeout = 120) {
  filters_against_reference(QUIRE_ORDER_INPUT);
}

Test(filters, match_brute_force_in_clustered_order, .timeout = 120) {
  filters_against_reference(QUIRE_ORDER_CLUSTERED);
}

Test(filters, bad_bound_is_an_error) {
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_set_from(f, "soon", 4), QUIRE_EDATE);
  cr_assert(strstr(quire_filter_errmsg(f), "soon") != NULL);
  cr_assert_eq(quire_filter_set_undated(f, 9), QUIRE_EINVAL);
  quire_filter_free(f);
}

/* ---- threads
 * ---------------------------------------------------------------------- */

typedef struct reader_job {
  const quire_corpus *corpus;
  uint64_t docs, bytes;
} reader_job;

static void *read_all(void *arg) {
  reader_job *job = arg;
  quire_filter *f;
  quire_filter_new(&f);
  quire_filter_add_source(f, "src1", 4);
  quire_filter_set_from(f, "2000", 4);
  for (int round = 0; round < 5; round++) {
    quire_cursor *cur;
    quire_cursor_open(job->corpus, round % 2 ? f : NULL, &cur);
    while (quire_cursor_next(cur) == QUIRE_ROW) {
      const char *text;
      size_t len;
      if (quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &len) == QUIRE_OK)
        job->bytes += len;
      job->docs++;
    }
    quire_cursor_free(cur);
  }
  quire_filter_free(f);
  return NULL;
}

Test(threads, concurrent_readers_agree) {
  generate();
  char path[512];
  tu_tmp_path(path, sizeof path, "thr.quire");
  write_docs(path, gen_docs, GEN_N, QUIRE_ORDER_CLUSTERED, 4096);
  quire_corpus *c = open_corpus(path);
  reader_job single = {c, 0, 0};
  read_all(&single);
  pthread_t threads[8];
  reader_job jobs[8];
  for (int i = 0; i < 8; i++) {
    jobs[i] = (reader_job){c, 0, 0};
    pthread_create(&threads[i], NULL, read_all, &jobs[i]);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(threads[i], NULL);
    cr_assert_eq(jobs[i].docs, single.docs);
    cr_assert_eq(jobs[i].bytes, single.bytes);
  }
  quire_corpus_free(c);
  unlink(path);
}

/* ---- errors
 * ---------------------------------------------------------------------------
 */

Test(errors, missing_and_foreign_files) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open("/nonexistent/x.quire", &c), QUIRE_ENOTFOUND);
  cr_assert(strstr(quire_corpus_errmsg(c), "/nonexistent/x.quire"));
  quire_corpus_free(c);
  char path[512];
  tu_tmp_path(path, sizeof path, "foreign.quire");
  tu_write_file(path, "source,date\nx,2016\n", 19);
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_ENOTQUIRE);
  quire_corpus_free(c);
  tu_write_file(path, "", 0);
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_ENOTQUIRE);
  quire_corpus_free(c);
  unlink(path);
}

Test(errors, null_arguments) {
  cr_assert_eq(quire_corpus_open(NULL, NULL), QUIRE_EINVAL);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(NULL, &c), QUIRE_EINVAL);
  cr_assert_eq(quire_corpus_doc_count(c), 0);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_EINVAL);
  cr_assert_eq(quire_cursor_next(cur), QUIRE_ESTATE);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  cr_assert_eq(quire_corpus_open_buffer(NULL, 10, &c), QUIRE_EINVAL);
  quire_corpus_free(c);
  cr_assert_eq(quire_cursor_next(NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_cursor_field(NULL, 0, NULL, NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_corpus_count_matches(NULL, NULL, NULL), QUIRE_EINVAL);
  quire_document empty = QUIRE_DOCUMENT_INIT;
  cr_assert_eq(quire_writer_add_document(NULL, &empty), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_finish(NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_filter_add_source(NULL, "x", 1), QUIRE_EINVAL);
  cr_assert_str_eq(quire_strerror(QUIRE_ECORRUPT), "file is corrupt");
  cr_assert_str_eq(quire_strerror(12345), "unknown status");
  quire_corpus_free(NULL);
  quire_cursor_free(NULL);
  quire_writer_free(NULL);
  quire_filter_free(NULL);
}

Test(errors, bad_documents_are_refused_and_writer_goes_on) {
  char path[512];
  tu_tmp_path(path, sizeof path, "bad.quire");
  quire_writer *w = open_writer(path, QUIRE_ORDER_INPUT, 0);
  cr_assert_eq(
      tu_writer_add(w, "s", 1, "2016-13-01", 10, "", 0, "", 0, "", 0, "x", 1),
      QUIRE_EDATE);
  cr_assert(strstr(quire_writer_errmsg(w), "2016-13-01"));
  cr_assert_eq(tu_writer_add(w, "s", 1, "", 0, "bad \xff title", 11, "", 0, "",
                             0, "x", 1),
               QUIRE_EUTF8);
  cr_assert(strstr(quire_writer_errmsg(w), "title"));
  cr_assert_eq(
      tu_writer_add(w, "s", 1, "", 0, "\xC0\xAF", 2, "", 0, "", 0, "x", 1),
      QUIRE_EUTF8, "overlong form");
  cr_assert_eq(
      tu_writer_add(w, "s", 1, "", 0, "\xED\xA0\x80", 3, "", 0, "", 0, "x", 1),
      QUIRE_EUTF8, "surrogate");
  cr_assert_eq(tu_writer_add(w, NULL, 3, "", 0, "", 0, "", 0, "", 0, "x", 1),
               QUIRE_EINVAL);
  char *long_source = calloc(QUIRE_MAX_SOURCE_LENGTH + 2, 1);
  memset(long_source, 'a', QUIRE_MAX_SOURCE_LENGTH + 1);
  cr_assert_eq(tu_writer_add(w, long_source, QUIRE_MAX_SOURCE_LENGTH + 1, "", 0,
                             "", 0, "", 0, "", 0, "x", 1),
               QUIRE_ELIMIT);
  free(long_source);
  cr_assert_eq(tu_writer_add(w, "s", 1, "", 0, "", 0, "", 0, "", 0, "ok", 2),
               QUIRE_OK);
  cr_assert_eq(quire_writer_set_level(w, 3), QUIRE_ESTATE,
               "options are fixed after the first document");
  cr_assert_eq(quire_writer_doc_count(w), 1);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  cr_assert_eq(tu_writer_add(w, "s", 1, "", 0, "", 0, "", 0, "", 0, "x", 1),
               QUIRE_ESTATE);
  quire_writer_free(w);
  quire_corpus *c = open_corpus(path);
  cr_assert_eq(quire_corpus_doc_count(c), 1);
  quire_corpus_free(c);
  unlink(path);
}

/* The document struct's size field: what an older or newer caller passes. */
Test(errors, document_struct_size_is_checked) {
  char path[512];
  tu_tmp_path(path, sizeof path, "docsize.quire");
  quire_writer *w = open_writer(path, QUIRE_ORDER_INPUT, 0);
  cr_assert_eq(quire_writer_add_document(w, NULL), QUIRE_EINVAL);
  cr_assert(strstr(quire_writer_errmsg(w), "NULL"));
  quire_document d = QUIRE_DOCUMENT_INIT;
  cr_assert_eq(d.size, sizeof d);
  d.text = "kept";
  d.text_len = 4;
  d.size = 0; /* never initialised */
  cr_assert_eq(quire_writer_add_document(w, &d), QUIRE_EINVAL);
  cr_assert(strstr(quire_writer_errmsg(w), "QUIRE_DOCUMENT_INIT"));
  d.size = sizeof d - sizeof(size_t); /* a struct missing its last field */
  cr_assert_eq(quire_writer_add_document(w, &d), QUIRE_EINVAL);
  d.size = (size_t)1 << 40; /* garbage */
  cr_assert_eq(quire_writer_add_document(w, &d), QUIRE_EINVAL);

  /* A caller built against a later header, whose struct has grown. */
  struct {
    quire_document base;
    const char *later_field;
  } newer;
  memset(&newer, 0, sizeof newer);
  newer.base = d;
  newer.base.size = sizeof newer;
  cr_assert_eq(quire_writer_add_document(w, &newer.base), QUIRE_OK,
               "unknown fields left zero are accepted");
  newer.later_field = "set";
  cr_assert_eq(quire_writer_add_document(w, &newer.base), QUIRE_EINVAL,
               "a field this library does not know is never ignored");
  cr_assert(strstr(quire_writer_errmsg(w), "does not know"));

  d.size = sizeof d;
  d.title = NULL;
  d.title_len = 2;
  cr_assert_eq(quire_writer_add_document(w, &d), QUIRE_EINVAL);
  d.title_len = 0;
  cr_assert_eq(quire_writer_add_document(w, &d), QUIRE_OK);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c = open_corpus(path);
  cr_assert_eq(quire_corpus_doc_count(c), 2, "the refused ones left no trace");
  quire_corpus_free(c);
  unlink(path);
}

Test(errors, utf8_replace_policy) {
  char path[512];
  tu_tmp_path(path, sizeof path, "rep.quire");
  quire_writer *w = open_writer(path, QUIRE_ORDER_INPUT, 0);
  cr_assert_eq(quire_writer_set_utf8(w, QUIRE_UTF8_REPLACE), QUIRE_OK);
  cr_assert_eq(tu_writer_add(w, "s\xff", 2, "", 0, "a\xC3", 2, "", 0, "", 0,
                             "x\xE2\x82y", 4),
               QUIRE_OK);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c = open_corpus(path);
  quire_cursor *cur;
  quire_cursor_open(c, NULL, &cur);
  cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
  expect_field(cur, QUIRE_FIELD_SOURCE, "s\xEF\xBF\xBD", 4);
  expect_field(cur, QUIRE_FIELD_TITLE, "a\xEF\xBF\xBD", 4);
  expect_field(cur, QUIRE_FIELD_TEXT, "x\xEF\xBF\xBDy", 5);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  unlink(path);
}

Test(errors, abandoned_or_failed_writer_leaves_no_file) {
  char path[512];
  tu_tmp_path(path, sizeof path, "abandon.quire");
  quire_writer *w = open_writer(path, QUIRE_ORDER_CLUSTERED, 0);
  cr_assert_eq(add_doc(w, &sample[0]), QUIRE_OK);
  quire_writer_free(w); /* never finished */
  cr_assert(!tu_exists(path));
  /* An existing file is left exactly as it was. */
  tu_write_file(path, "old", 3);
  w = open_writer(path, QUIRE_ORDER_INPUT, 0);
  cr_assert_eq(add_doc(w, &sample[0]), QUIRE_OK);
  quire_writer_free(w);
  size_t len;
  char *old = tu_read_file(path, &len);
  cr_assert_eq(len, 3);
  cr_assert(memcmp(old, "old", 3) == 0);
  free(old);
  unlink(path);
  /* No directory, no writer: the error names the path. */
  cr_assert_eq(quire_writer_open("/nonexistent/dir/x.quire", &w),
               QUIRE_ENOTFOUND);
  cr_assert(strstr(quire_writer_errmsg(w), "/nonexistent/dir/x.quire"));
  cr_assert_eq(add_doc(w, &sample[0]), QUIRE_ESTATE);
  quire_writer_free(w);
  /* Nothing else was left in the temporary directory by these writers. */
  char probe[512];
  tu_tmp_path(probe, sizeof probe, "");
}

/* Writes a sample corpus and returns its bytes. */
static char *sample_bytes(size_t *len) {
  char path[512];
  tu_tmp_path(path, sizeof path, "dmg.quire");
  generate();
  write_docs(path, gen_docs, 600, QUIRE_ORDER_CLUSTERED, 4096);
  char *bytes = tu_read_file(path, len);
  unlink(path);
  return bytes;
}

/* Reads everything the corpus holds; returns the first failure or OK. */
static int read_everything(const void *bytes, size_t len, char *msg,
                           size_t cap) {
  quire_corpus *c;
  int status = quire_corpus_open_buffer(bytes, len, &c);
  snprintf(msg, cap, "%s", quire_corpus_errmsg(c));
  if (status != QUIRE_OK) {
    quire_corpus_free(c);
    return status;
  }
  quire_filter *f;
  quire_filter_new(&f);
  quire_filter_add_source(f, "src3", 4);
  quire_filter_set_from(f, "2000", 4);
  uint64_t count;
  status = quire_corpus_count_matches(c, f, &count);
  for (int pass = 0; pass < 2 && status == QUIRE_OK; pass++) {
    quire_cursor *cur;
    status = quire_cursor_open(c, pass ? f : NULL, &cur);
    if (status == QUIRE_OK)
      while ((status = quire_cursor_next(cur)) == QUIRE_ROW) {
        for (int field = 0; field <= QUIRE_FIELD_TEXT && status == QUIRE_ROW;
             field++) {
          const char *data;
          size_t n;
          int s = quire_cursor_field(cur, field, &data, &n);
          if (s != QUIRE_OK)
            status = s;
        }
        if (status != QUIRE_ROW)
          break;
      }
    if (status != QUIRE_DONE && status != QUIRE_OK)
      snprintf(msg, cap, "%s", quire_cursor_errmsg(cur));
    else
      status = QUIRE_OK;
    quire_cursor_free(cur);
  }
  if (status == QUIRE_OK)
    status = quire_corpus_verify(c, NULL, NULL, NULL);
  /* Counting and verifying report damage on the corpus itself. */
  if (status != QUIRE_OK && !msg[0])
    snprintf(msg, cap, "%s", quire_corpus_errmsg(c));
  quire_filter_free(f);
  quire_corpus_free(c);
  return status;
}

Test(errors, truncated_at_every_section_boundary, .timeout = 60) {
  size_t len;
  char *bytes = sample_bytes(&len);
  const uint8_t *footer = (const uint8_t *)bytes + len - QF_FOOTER_SIZE;
  uint64_t cuts[2 * QS_COUNT + 8];
  size_t n = 0;
  for (int s = 0; s < QS_COUNT; s++) {
    uint64_t start = ld64(footer + QFT_SECTIONS + s * QF_SECTION_ENTRY);
    cuts[n++] = start;
    cuts[n++] = start + ld64(footer + QFT_SECTIONS + s * QF_SECTION_ENTRY + 8);
  }
  uint64_t extra[] = {0, 1, 7, 63, 64, 65, len - QF_FOOTER_SIZE, len - 1};
  for (size_t i = 0; i < 8; i++)
    cuts[n++] = extra[i];
  for (size_t i = 0; i < n; i++) {
    quire_corpus *c;
    int status = quire_corpus_open_buffer(bytes, (size_t)cuts[i], &c);
    cr_assert(status == QUIRE_ECORRUPT || status == QUIRE_ENOTQUIRE,
              "cut at %llu opened with %d", (unsigned long long)cuts[i],
              status);
    cr_assert_neq(quire_corpus_errmsg(c)[0], '\0');
    quire_corpus_free(c);
  }
  free(bytes);
}

Test(errors, flipped_byte_in_every_section_and_block, .timeout = 120) {
  size_t len;
  char *bytes = sample_bytes(&len);
  char msg[Q_MSG_CAP];
  int intact = read_everything(bytes, len, msg, sizeof msg);
  cr_assert_eq(intact, QUIRE_OK, "intact file: status %d: %s", intact, msg);
  /* Every 97th byte of the file, so that every section, every chunk table
   * and most blocks get hit; each must be caught. */
  int caught = 0;
  for (size_t at = 0; at < len; at += 97) {
    bytes[at] ^= 0x20;
    int status = read_everything(bytes, len, msg, sizeof msg);
    bytes[at] ^= 0x20;
    cr_assert(status == QUIRE_ECORRUPT || status == QUIRE_ENOTQUIRE ||
                  status == QUIRE_EVERSION,
              "flip at %zu: status %d (%s)", at, status, msg);
    cr_assert_neq(msg[0], '\0', "flip at %zu: no message", at);
    caught++;
  }
  cr_assert_gt(caught, 10);
  free(bytes);
}

Test(errors, newer_format_version_is_refused) {
  size_t len;
  char *bytes = sample_bytes(&len);
  uint8_t *h = (uint8_t *)bytes;
  st16(h + QH_MAJOR, QUIRE_FORMAT_MAJOR + 1);
  st32(h + QH_CRC, q_crc32(h, QH_CRC));
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_EVERSION);
  cr_assert(strstr(quire_corpus_errmsg(c), "version"));
  quire_corpus_free(c);
  /* An unknown required flag is refused too; an unknown optional one not. */
  st16(h + QH_MAJOR, QUIRE_FORMAT_MAJOR);
  st32(h + QH_REQUIRED, 1u << 31);
  st32(h + QH_CRC, q_crc32(h, QH_CRC));
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_EVERSION);
  quire_corpus_free(c);
  st32(h + QH_REQUIRED, 0);
  st32(h + QH_OPTIONAL, 1u << 31);
  st32(h + QH_CRC, q_crc32(h, QH_CRC));
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  quire_corpus_free(c);
  free(bytes);
}

Test(errors, verify_names_the_damage) {
  size_t len;
  char *bytes = sample_bytes(&len);
  /* Damage the first text block, which starts right after the header. */
  bytes[QF_HEADER_SIZE + 10] ^= 0x01;
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  uint64_t damaged = 0;
  cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_ECORRUPT);
  cr_assert_eq(damaged, 1);
  cr_assert(strstr(quire_corpus_errmsg(c), "block 0"), "%s",
            quire_corpus_errmsg(c));
  quire_corpus_free(c);
  free(bytes);
}

/* ---- the real sample
 * -------------------------------------------------------------------- */

/* Splits one line of the seeds manifest (RFC 4180, no embedded newlines). */
static int split_csv_line(char *line, char **fields, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    char *out = p;
    fields[n++] = out;
    if (*p == '"') {
      p++;
      for (;;) {
        if (*p == '"' && p[1] == '"') {
          *out++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else if (!*p)
          break;
        else
          *out++ = *p++;
      }
    } else
      while (*p && *p != ',' && *p != '\n' && *p != '\r')
        *out++ = *p++;
    int more = *p == ',';
    *out = '\0';
    if (!more)
      break;
    p++;
  }
  return n;
}

Test(seeds, pack_and_read_the_five_articles) {
  const char *dir = tu_seeds_dir();
  if (!dir) {
    /* Not cr_log_warn: Criterion 2.4 exits 1 when a test that logged a
     * warning is then skipped. */
    fprintf(stderr, "../shared/seeds is not there: skipping the seeds test\n");
    cr_skip_test("seeds absent");
  }
  char manifest_path[1024], path[512];
  snprintf(manifest_path, sizeof manifest_path, "%s/manifest.csv", dir);
  tu_tmp_path(path, sizeof path, "seeds.quire");
  FILE *m = fopen(manifest_path, "r");
  cr_assert_not_null(m);
  char line[4096];
  fgets(line, sizeof line, m); /* header */
  quire_writer *w = open_writer(path, QUIRE_ORDER_INPUT, 0);
  size_t raw = 0;
  char texts[5][8192];
  char *rows[5][6];
  char lines[5][4096];
  int n = 0;
  while (n < 5 && fgets(lines[n], sizeof lines[n], m)) {
    cr_assert_eq(split_csv_line(lines[n], rows[n], 6), 6);
    char file[1200];
    snprintf(file, sizeof file, "%s/%s", dir, rows[n][0]);
    size_t len;
    char *text = tu_read_file(file, &len);
    cr_assert_not_null(text);
    cr_assert_lt(len, sizeof texts[n]);
    memcpy(texts[n], text, len + 1);
    free(text);
    raw += len;
    doc d = {rows[n][1], rows[n][2], rows[n][3], rows[n][4],
             rows[n][5], texts[n],   0};
    cr_assert_eq(add_doc(w, &d), QUIRE_OK, "%s", quire_writer_errmsg(w));
    n++;
  }
  fclose(m);
  cr_assert_eq(n, 5);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);

  quire_corpus *c = open_corpus(path);
  cr_assert_eq(quire_corpus_doc_count(c), 5);
  cr_assert_eq(quire_corpus_undated_count(c), 1);
  cr_assert_eq(quire_corpus_source_count(c), 3);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    doc d = {rows[i][1], rows[i][2], rows[i][3], rows[i][4],
             rows[i][5], texts[i],   0};
    expect_doc(cur, &d);
  }
  quire_cursor_free(cur);
  /* --from 2016 --to 2016: the two 2016 articles, month-only one included. */
  quire_filter *f;
  quire_filter_new(&f);
  quire_filter_set_from(f, "2016", 4);
  quire_filter_set_to(f, "2016", 4);
  uint64_t count;
  cr_assert_eq(quire_corpus_count_matches(c, f, &count), QUIRE_OK);
  cr_assert_eq(count, 2);
  quire_filter_add_source(f, "Belarus in Focus", 16);
  cr_assert_eq(quire_corpus_count_matches(c, f, &count), QUIRE_OK);
  cr_assert_eq(count, 1);
  quire_filter_free(f);
  cr_log_info("seeds: %zu bytes of text, %llu bytes packed", raw,
              (unsigned long long)quire_corpus_file_size(c));
  quire_corpus_free(c);
  unlink(path);
}

/* ---- resident memory of the mapping ------------------------------------- */

/* Kilobytes of path's mapping resident in this process (/proc/self/smaps),
 * or -1 when that cannot be read. */
static long mapping_rss_kb(const char *path) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f)
    return -1;
  char line[1024];
  long kb = -1;
  int in_mapping = 0;
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, path))
      in_mapping = 1;
    else if (in_mapping && sscanf(line, "Rss: %ld kB", &kb) == 1)
      break;
  }
  fclose(f);
  return kb;
}

/* len pseudo-random letters, which compress little. */
static void random_letters(uint64_t *rng, char *out, size_t len) {
  for (size_t k = 0; k < len; k++) {
    *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
    out[k] = (char)('a' + *rng % 26);
  }
}

/* The writer gathers metadata blocks into runs of up to 1 MiB between the
 * text blocks; each run's records get their offsets only when it is
 * written. A corpus with about 2 MiB of metadata has several runs, every
 * title reads back, and each run stays within 1 MiB. */
Test(roundtrip, metadata_blocks_are_written_in_runs) {
  char path[512];
  tu_tmp_path(path, sizeof path, "meta-runs.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 4096), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  enum { DOCS = 3000, TITLE = 1000 };
  char title[TITLE];
  uint64_t rng = 11;
  for (int i = 0; i < DOCS; i++) {
    random_letters(&rng, title, TITLE);
    cr_assert_eq(tu_writer_add(w, "src", 3, "2016-01-02", 10, title, TITLE, "",
                               0, "", 0, "a short text", 12),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);

  quire_corpus *c = open_corpus(path);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  rng = 11;
  int rows = 0, rc;
  while ((rc = quire_cursor_next(cur)) == QUIRE_ROW) {
    const char *got;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TITLE, &got, &len),
                 QUIRE_OK, "%s", quire_cursor_errmsg(cur));
    random_letters(&rng, title, TITLE);
    cr_assert(len == TITLE && memcmp(got, title, TITLE) == 0,
              "document %d: title", rows);
    rows++;
  }
  cr_assert_eq(rc, QUIRE_DONE, "%s", quire_cursor_errmsg(cur));
  cr_assert_eq(rows, DOCS);
  quire_cursor_free(cur);
  quire_corpus_free(c);

  size_t size;
  uint8_t *file = (uint8_t *)tu_read_file(path, &size);
  const uint8_t *footer = file + size - QF_FOOTER_SIZE;
  const uint8_t *entry =
      footer + QFT_SECTIONS + QS_META_BLOCKS * QF_SECTION_ENTRY;
  const uint8_t *recs = file + ld64(entry + QSE_OFFSET);
  uint64_t blocks = ld64(entry + QSE_LENGTH) / QMB_SIZE;
  int runs = 1;
  uint64_t run = ld32(recs + QB_CSIZE), total = run;
  for (uint64_t b = 1; b < blocks; b++) {
    const uint8_t *prev = recs + (b - 1) * QMB_SIZE;
    const uint8_t *rec = recs + b * QMB_SIZE;
    uint64_t csize = ld32(rec + QB_CSIZE);
    total += csize;
    if (ld64(rec + QB_OFFSET) ==
        ld64(prev + QB_OFFSET) + ld32(prev + QB_CSIZE)) {
      run += csize;
    } else {
      runs++;
      run = csize;
    }
    cr_assert_leq(run, 1u << 20, "a run of metadata blocks past 1 MiB");
  }
  cr_log_info("%llu metadata blocks in %d runs", (unsigned long long)blocks,
              runs);
  cr_assert_geq(runs, 2, "%llu metadata blocks in one run",
                (unsigned long long)blocks);
  /* Every run but the last is full, to within a block (of a few KiB). */
  cr_assert_leq((uint64_t)runs, total / ((1u << 20) - 16384) + 1,
                "%llu bytes of metadata blocks in %d runs",
                (unsigned long long)total, runs);
  free(file);
  unlink(path);
}

/* Bytes of [addr, addr + len) mapped in this process's page table
 * (/proc/self/pagemap: bit 63 of a page's entry, which an unprivileged
 * process may read), or -1 when that cannot be read. */
static long resident_bytes(const void *addr, size_t len) {
  long page = sysconf(_SC_PAGESIZE);
  uintptr_t first = (uintptr_t)addr / (uintptr_t)page;
  uintptr_t last =
      ((uintptr_t)addr + len + (uintptr_t)page - 1) / (uintptr_t)page;
  FILE *f = fopen("/proc/self/pagemap", "rb");
  if (!f)
    return -1;
  long bytes = 0;
  if (fseek(f, (long)(first * 8), SEEK_SET) != 0) {
    fclose(f);
    return -1;
  }
  for (uintptr_t p = first; p < last; p++) {
    uint64_t entry;
    if (fread(&entry, 8, 1, f) != 1) {
      fclose(f);
      return -1;
    }
    bytes += entry >> 63 ? page : 0;
  }
  fclose(f);
  return bytes;
}

/* A corpus of docs documents, each alone in its 4 KiB block: many blocks
 * in a small file. */
static quire_corpus *one_doc_blocks(const char *path, int docs) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 4096), QUIRE_OK);
  cr_assert_eq(quire_writer_set_word_summaries(w, 0), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  char text[4200];
  for (size_t k = 0; k < sizeof text; k++)
    text[k] = k % 9 == 8 ? ' ' : (char)('a' + k % 23);
  for (int i = 0; i < docs; i++) {
    char title[32];
    int tl = snprintf(title, sizeof title, "title %d", i);
    cr_assert_eq(tu_writer_add(w, "src", 3, "2016-01-02", 10, title, (size_t)tl,
                               "", 0, "", 0, text,
                               sizeof text - (size_t)i % 64),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  return open_corpus(path);
}

/* A walk let go of the blocks and rows it had passed, but not of the
 * block tables' records (96 bytes a block): an export of a million
 * documents ended with 7.8 MB of them resident. */
Test(roundtrip, a_walk_lets_go_of_the_block_records) {
  char path[512];
  tu_tmp_path(path, sizeof path, "block-records.quire");
  enum { DOCS = 12000 };
  quire_corpus *c = one_doc_blocks(path, DOCS);
  cr_assert_eq(c->blocks, DOCS);
  const q_section *tables[2] = {&c->sec[QS_BLOCKS], &c->sec[QS_META_BLOCKS]};
  if (resident_bytes(c->map, 1) < 0) {
    quire_corpus_free(c);
    unlink(path);
    cr_skip_test("no /proc/self/pagemap: cannot measure the mapping");
  }
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  int rows = 0;
  while (quire_cursor_next(cur) == QUIRE_ROW) {
    const char *field;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TEXT, &field, &len),
                 QUIRE_OK);
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TITLE, &field, &len),
                 QUIRE_OK);
    rows++;
  }
  cr_assert_eq(rows, DOCS);
  for (int t = 0; t < 2; t++) {
    long held = resident_bytes(c->map + tables[t]->offset, tables[t]->length);
    cr_log_info("block table %d: %ld of %llu bytes resident after the walk", t,
                held, (unsigned long long)tables[t]->length);
    /* The records of the last 2,048 blocks, and a page at each end. */
    cr_expect_leq(held, 2048 * (long)tables[t]->width + 2 * 4096,
                  "table %d: %ld of %llu bytes resident", t, held,
                  (unsigned long long)tables[t]->length);
  }
  quire_cursor_free(cur);
  quire_corpus_free(c);
  unlink(path);
}

/* q_release() hands ranges to the kernel in runs of a MiB, whole pages
 * only; the page a run ended in, shared with the range after it, was never
 * handed over: one page a MiB stayed resident to the end of a walk. */
Test(roundtrip, released_runs_leave_no_page_behind) {
  char path[512];
  tu_tmp_path(path, sizeof path, "release-runs.quire");
  quire_corpus *c = one_doc_blocks(path, 20000);
  long page = sysconf(_SC_PAGESIZE);
  volatile uint8_t sink = 0;
  for (size_t off = 0; off < c->size; off += (size_t)page)
    sink ^= c->data[off];
  (void)sink;
  if (resident_bytes(c->map, c->size) <= 0) {
    quire_corpus_free(c);
    unlink(path);
    cr_skip_test("no /proc/self/pagemap: cannot measure the mapping");
  }
  cr_assert_gt(c->size, 3u << 20, "the file is too small to test runs");
  /* Ranges of an odd length, in file order, as a walk releases blocks. */
  for (uint64_t off = 0; off < c->size; off += 10007) {
    uint64_t len = c->size - off < 10007 ? c->size - off : 10007;
    q_release(c, off, len);
  }
  /* The last run may still be gathering: everything before it is gone. */
  size_t flushed = c->size - (1u << 20) - 2 * (size_t)page;
  long held = resident_bytes(c->map, flushed);
  cr_expect_eq(held, 0, "%ld bytes of the first %zu still resident", held,
               flushed);
  quire_corpus_free(c);
  unlink(path);
}

/* A walk reading one kind of block left the other kind resident: a file
 * that lays each text block before its metadata block (as the writer did
 * before metadata blocks were gathered into runs) has the kernel map the
 * pages around each read, and only the blocks read were let go of. Reading
 * the titles of a 137 MB corpus left 129 MB of it resident. */
Test(roundtrip, a_walk_of_titles_lets_go_of_the_text_blocks_too) {
  char path[512];
  tu_tmp_path(path, sizeof path, "rss.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_word_summaries(w, 0), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  /* Texts of pseudo-random letters, which compress little. */
  enum { DOCS = 2500, TEXT = 16384 };
  char *text = malloc(TEXT);
  cr_assert_not_null(text);
  uint64_t rng = 7;
  for (int i = 0; i < DOCS; i++) {
    random_letters(&rng, text, TEXT);
    for (int k = 7; k < TEXT; k += 8)
      text[k] = ' ';
    char title[32];
    int tl = snprintf(title, sizeof title, "title %d", i);
    cr_assert_eq(tu_writer_add(w, "src", 3, "2016-01-02", 10, title, (size_t)tl,
                               "", 0, "", 0, text, TEXT),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  free(text);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  quire_corpus *c = open_corpus(path);
  if (mapping_rss_kb(path) < 0) {
    quire_corpus_free(c);
    unlink(path);
    cr_skip_test("no /proc/self/smaps: cannot measure the mapping");
  }
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  int rows = 0;
  while (quire_cursor_next(cur) == QUIRE_ROW) {
    const char *title;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TITLE, &title, &len),
                 QUIRE_OK);
    rows++;
  }
  cr_assert_eq(rows, DOCS);
  long file_kb = (long)(quire_corpus_file_size(c) / 1024);
  long rss_kb = mapping_rss_kb(path);
  cr_log_info("titles of a %ld KiB corpus: %ld KiB of it resident", file_kb,
              rss_kb);
  /* The runs q_release() gathers (a few MiB), the rows and the indexes. */
  cr_expect_lt(rss_kb, file_kb / 4, "%ld KiB of a %ld KiB file resident",
               rss_kb, file_kb);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  unlink(path);
}
