/*
 * test_dedup.c: duplicates: the URL rules (a table), text normalisation
 * (NFC against NFD, white space), MinHash on constructed pairs, the finder
 * (quire_dups_*) over one and several corpora, the writer's --dedup, the
 * seeds, and bad arguments.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "dedup.h"
#include "internal.h"
#include "quire.h"
#include "testutil.h"

/* ---- URLs -----------------------------------------------------------------
 */

typedef struct url_case {
  const char *a, *b;
  int same;
} url_case;

static const url_case url_cases[] = {
    /* scheme and host case, http and https */
    {"HTTP://Example.COM/news/a", "http://example.com/news/a", 1},
    {"https://example.com/news/a", "http://example.com/news/a", 1},
    {"ftp://example.com/a", "http://example.com/a", 0},
    /* the path keeps its case */
    {"http://example.com/News/A", "http://example.com/news/a", 0},
    /* default ports, and only the default */
    {"http://example.com:80/a", "http://example.com/a", 1},
    {"https://example.com:443/a", "https://example.com/a", 1},
    {"http://example.com:/a", "http://example.com/a", 1},
    {"http://example.com:8080/a", "http://example.com/a", 0},
    {"https://example.com:80/a", "https://example.com/a", 0},
    /* fragment and trailing slash */
    {"http://example.com/a#comments", "http://example.com/a", 1},
    {"http://example.com/a/", "http://example.com/a", 1},
    {"http://example.com/", "http://example.com", 1},
    {"http://example.com/a/#top", "http://example.com/a", 1},
    {"http://example.com./a", "http://example.com/a", 1},
    /* tracking parameters go, the others stay in order */
    {"http://example.com/a?utm_source=tw&utm_medium=social",
     "http://example.com/a", 1},
    {"http://example.com/a?UTM_Campaign=x&id=7", "http://example.com/a?id=7",
     1},
    {"http://example.com/a?fbclid=IwAR0&gclid=abc&msclkid=1&id=7",
     "http://example.com/a?id=7", 1},
    {"http://example.com/a?id=7&&mc_cid=1", "http://example.com/a?id=7", 1},
    {"http://example.com/a?id=7", "http://example.com/a?id=8", 0},
    {"http://example.com/a?id=7&p=2", "http://example.com/a?p=2&id=7", 0},
    {"http://example.com/a?utm=1", "http://example.com/a", 0},
    {"http://example.com/a?", "http://example.com/a", 1},
    /* percent-escapes */
    {"http://example.com/%7Euser", "http://example.com/~user", 1},
    {"http://example.com/a%2fb", "http://example.com/a%2Fb", 1},
    {"http://example.com/a%2Fb", "http://example.com/a/b", 0},
    {"http://example.com/100%", "http://example.com/100%", 1},
    /* white space around, userinfo, IPv6 */
    {"  http://example.com/a \n", "http://example.com/a", 1},
    {"http://user@Example.com/a", "http://user@example.com/a", 1},
    {"http://[::1]:80/a", "http://[::1]/a", 1},
    {"http://[::1]/a", "http://[::2]/a", 0},
    /* without a scheme: only the generic rules */
    {"example.com/a/?utm_source=x#f", "example.com/a", 1},
    {"Example.com/a", "example.com/a", 0},
};

static char *normal_url(const char *url) {
  q_buf b = {0};
  cr_assert_eq(q_url_normalize(url, strlen(url), &b), QUIRE_OK);
  char *s = q_strndup(b.data ? b.data : "", b.len);
  q_buf_free(&b);
  return s;
}

Test(url, table_of_rules) {
  for (size_t i = 0; i < sizeof url_cases / sizeof url_cases[0]; i++) {
    char *a = normal_url(url_cases[i].a), *b = normal_url(url_cases[i].b);
    cr_expect_eq(strcmp(a, b) == 0, url_cases[i].same,
                 "case %zu: \"%s\" -> \"%s\" and \"%s\" -> \"%s\" should %s", i,
                 url_cases[i].a, a, url_cases[i].b, b,
                 url_cases[i].same ? "match" : "differ");
    q_free(a);
    q_free(b);
  }
}

Test(url, exact_forms) {
  char *s = normal_url("HTTPS://News.Example.COM:443/2016/01/story/"
                       "?utm_source=rss&page=2&fbclid=x#comments");
  cr_expect_str_eq(s, "http://news.example.com/2016/01/story?page=2");
  q_free(s);
  s = normal_url("   \t ");
  cr_expect_str_eq(s, "");
  q_free(s);
  s = normal_url("#only-a-fragment");
  cr_expect_str_eq(s, "");
  q_free(s);
  q_buf b = {0};
  cr_expect_eq(q_url_normalize(NULL, 5, &b), QUIRE_OK);
  cr_expect_eq(b.len, 0);
  q_buf_free(&b);
}

/* ---- text -----------------------------------------------------------------
 */

static char *normal_text(const char *text, size_t len) {
  q_buf b = {0};
  cr_assert_eq(q_text_normalize(text, len, &b), QUIRE_OK);
  char *s = q_strndup(b.data ? b.data : "", b.len);
  q_buf_free(&b);
  return s;
}

Test(text, nfc_and_nfd_are_the_same) {
  /* café résumé Ångström, precomposed and decomposed; Hangul jamo. */
  const char nfc[] = "caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9 \xc3\x85ngstr\xc3\xb6m "
                     "\xea\xb0\x80";
  const char nfd[] = "cafe\xcc\x81 re\xcc\x81sume\xcc\x81 A\xcc\x8angstro\xcc"
                     "\x88m \xe1\x84\x80\xe1\x85\xa1";
  char *a = normal_text(nfc, strlen(nfc)), *b = normal_text(nfd, strlen(nfd));
  cr_expect_str_eq(a, nfc);
  cr_expect_str_eq(b, nfc);
  q_free(a);
  q_free(b);
  /* A combining mark after a non-ASCII letter, and at the very start. */
  a = normal_text("\xc5\x82\xcc\x81x", 5);
  cr_expect_str_eq(a, "\xc5\x82\xcc\x81x");
  q_free(a);
  a = normal_text("\xcc\x81"
                  "a",
                  3);
  cr_expect_str_eq(a, "\xcc\x81"
                      "a");
  q_free(a);
}

Test(text, white_space_collapses) {
  const char *in = "  One\t\ttwo\r\n\r\nthree\xc2\xa0\xe2\x80\x83"
                   "four "
                   "\xe3\x80\x80 five\n";
  char *a = normal_text(in, strlen(in));
  cr_expect_str_eq(a, "One two three four five");
  q_free(a);
  a = normal_text(" \n\t ", 4);
  cr_expect_str_eq(a, "");
  q_free(a);
  a = normal_text(NULL, 0);
  cr_expect_str_eq(a, "");
  q_free(a);
}

Test(text, invalid_utf8_is_compared_as_bytes) {
  const char bad[] = "ab\xff  cd\xc3";
  char *a = normal_text(bad, sizeof bad - 1);
  cr_expect_eq(strlen(a), 7);
  cr_expect_eq(memcmp(a, "ab\xff cd\xc3", 7), 0);
  q_free(a);
}

/* Every code point q_nfc_inert() skips utf8proc for must be NFC alone and
 * after any letter, and have combining class 0. */
Test(text, inert_code_points_agree_with_utf8proc) {
  const int32_t bases[] = {'a', 'e', 'Z', 0xe9, 0x41a, 0x3b1, 0x5d0, 0x1100};
  for (int32_t cp = 0x80; cp < 0x600; cp++) {
    if (!q_nfc_inert(cp))
      continue;
    cr_assert_eq(utf8proc_get_property(cp)->combining_class, 0, "U+%04X", cp);
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
      utf8proc_uint8_t in[16];
      utf8proc_ssize_t n = utf8proc_encode_char(bases[b], in);
      n += utf8proc_encode_char(cp, in + n);
      utf8proc_uint8_t *out = NULL;
      utf8proc_ssize_t m =
          utf8proc_map(in, n, &out, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
      cr_assert_eq(m, n, "U+%04X after U+%04X", cp, bases[b]);
      cr_assert_eq(memcmp(in, out, (size_t)n), 0, "U+%04X after U+%04X", cp,
                   bases[b]);
      free(out);
    }
  }
}

/* ---- MinHash
 * ------------------------------------------------------------------
 */

/* A text of n pseudo-random words from a vocabulary of 5,000. */
static char *random_text(uint64_t seed, size_t n) {
  q_buf b = {0};
  uint64_t state = seed;
  for (size_t i = 0; i < n; i++) {
    char word[24];
    int len = snprintf(word, sizeof word, "%sw%llu", i ? " " : "",
                       (unsigned long long)(tu_rand(&state) % 5000));
    cr_assert_eq(q_buf_append(&b, word, (size_t)len), QUIRE_OK);
  }
  q_buf_append(&b, "", 1);
  return b.data;
}

/* text with every step-th word replaced. */
static char *edit_text(const char *text, size_t step) {
  q_buf b = {0};
  size_t word = 0;
  for (const char *p = text; *p;) {
    const char *end = strchr(p, ' ');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (word % step == step - 1)
      q_buf_append(&b, "EDITED", 6);
    else
      q_buf_append(&b, p, len);
    word++;
    p += len;
    if (*p)
      q_buf_append(&b, " ", 1), p++;
  }
  q_buf_append(&b, "", 1);
  return b.data;
}

static double similarity(const char *a, const char *b) {
  uint16_t sa[Q_MINHASH_SIZE], sb[Q_MINHASH_SIZE];
  int ea, eb;
  q_minhash(a, strlen(a), sa, &ea);
  q_minhash(b, strlen(b), sb, &eb);
  cr_assert(!ea && !eb);
  return q_minhash_similarity(sa, sb);
}

Test(minhash, constructed_pairs) {
  char *a = random_text(1, 600), *b = random_text(2, 600);
  cr_expect_eq(similarity(a, a), 1.0);
  /* Unrelated texts. */
  cr_expect_lt(similarity(a, b), 0.1);
  /* One word in 50 changed: 5-shingle Jaccard about 0.82. */
  char *e50 = edit_text(a, 50);
  double s50 = similarity(a, e50);
  cr_expect(s50 > 0.7 && s50 < 0.95, "2%% edits: %f", s50);
  /* One word in 10: Jaccard about 0.43. */
  char *e10 = edit_text(a, 10);
  double s10 = similarity(a, e10);
  cr_expect(s10 > 0.3 && s10 < 0.6, "10%% edits: %f", s10);
  /* Case and punctuation do not count. */
  const char *x = "The Minister said, on Monday: \"We will not resign.\"";
  const char *y = "the minister said on monday we will not RESIGN";
  cr_expect_eq(similarity(x, y), 1.0);
  /* Fewer words than a shingle: one shingle. */
  cr_expect_eq(similarity("short text", "short  text"), 1.0);
  cr_expect_lt(similarity("short text", "other text"), 0.1);
  uint16_t sig[Q_MINHASH_SIZE];
  int empty = 0;
  q_minhash(" ,;: -- ", 8, sig, &empty);
  cr_expect(empty);
  q_minhash(NULL, 0, sig, &empty);
  cr_expect(empty);
  free(a);
  free(b);
  free(e50);
  free(e10);
}

/* ---- corpora ----------------------------------------------------------------
 */

typedef struct ddoc {
  const char *url, *text;
} ddoc;

static void write_corpus(const char *path, const ddoc *docs, size_t n,
                         int dedup, uint64_t *dropped) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  if (dedup)
    cr_assert_eq(quire_writer_set_dedup(w, dedup, 0), QUIRE_OK, "%s",
                 quire_writer_errmsg(w));
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(tu_writer_add(w, "src", 3, "2020-01-01", 10, "title", 5, "", 0,
                               docs[i].url, strlen(docs[i].url), docs[i].text,
                               strlen(docs[i].text)),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  if (dropped)
    *dropped = quire_writer_dropped(w);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
}

static quire_corpus *open_corpus(const char *path) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK, "%s",
               quire_corpus_errmsg(c));
  return c;
}

/* Writes group index of d as text: "kind:c/doc,c/doc,...". */
static void group_text(const quire_dups *d, uint64_t index, char *buf,
                       size_t cap) {
  int kind;
  uint64_t size;
  cr_assert_eq(quire_dups_group(d, index, &kind, &size), QUIRE_OK);
  size_t len = (size_t)snprintf(buf, cap, "%s:",
                                kind == QUIRE_DUP_URL    ? "url"
                                : kind == QUIRE_DUP_TEXT ? "text"
                                                         : "near");
  for (uint64_t m = 0; m < size; m++) {
    uint32_t corpus;
    uint64_t doc;
    double sim;
    cr_assert_eq(quire_dups_member(d, index, m, &corpus, &doc, &sim), QUIRE_OK);
    if (kind != QUIRE_DUP_NEAR || m == 0)
      cr_assert_eq(sim, 1.0);
    len += (size_t)snprintf(buf + len, cap - len, "%s%u/%llu", m ? "," : "",
                            corpus, (unsigned long long)doc);
  }
}

Test(dups, kinds_and_groups_across_two_corpora) {
  char *story = random_text(7, 400), *other = random_text(8, 400);
  char *edited = edit_text(story, 40), *third = random_text(9, 300);
  /* The story in NFD-free but re-spaced form is a text duplicate. */
  q_buf spaced = {0};
  q_buf_append(&spaced, "  ", 2);
  for (const char *p = story; *p; p++)
    q_buf_append(&spaced, *p == ' ' ? "\n " : p, *p == ' ' ? 2 : 1);
  q_buf_append(&spaced, "", 1);
  const ddoc one[] = {
      {"https://news.example/a?utm_source=x", story}, /* 0/0 */
      {"", other},                                    /* 0/1 */
      {"http://NEWS.example/a/", third},              /* 0/2: url of 0/0 */
      {"", edited},                                   /* 0/3: near 0/0 */
  };
  const ddoc two[] = {
      {"http://elsewhere.example/b", spaced.data}, /* 1/0: text of 0/0 */
      {"", other},                                 /* 1/1: text of 0/1 */
      {"", ""},                                    /* 1/2: empty, nothing */
      {"", ""},                                    /* 1/3 */
  };
  char p1[512], p2[512];
  tu_tmp_path(p1, sizeof p1, "one.quire");
  tu_tmp_path(p2, sizeof p2, "two.quire");
  write_corpus(p1, one, 4, 0, NULL);
  write_corpus(p2, two, 4, 0, NULL);
  quire_corpus *c1 = open_corpus(p1), *c2 = open_corpus(p2);
  quire_dups *d;
  cr_assert_eq(quire_dups_new(&d), QUIRE_OK);
  cr_assert_eq(quire_dups_add_corpus(d, c1), QUIRE_OK, "%s",
               quire_dups_errmsg(d));
  cr_assert_eq(quire_dups_add_corpus(d, c2), QUIRE_OK, "%s",
               quire_dups_errmsg(d));
  const char *expected[] = {"url:0/0,0/2", "text:0/0,1/0", "text:0/1,1/1",
                            "near:0/0,0/3,1/0", "near:0/1,1/1"};
  size_t n = sizeof expected / sizeof expected[0];
  cr_assert_eq(quire_dups_group_count(d), n);
  for (size_t g = 0; g < n; g++) {
    char buf[256];
    group_text(d, g, buf, sizeof buf);
    cr_expect_str_eq(buf, expected[g], "group %zu", g);
  }
  double sim;
  cr_assert_eq(quire_dups_member(d, 3, 1, NULL, NULL, &sim), QUIRE_OK);
  cr_expect(sim > 0.5 && sim < 1.0, "edited: %f", sim);
  cr_expect_eq(quire_dups_group(d, n, NULL, NULL), QUIRE_ENOTFOUND);
  cr_expect_eq(quire_dups_member(d, 0, 2, NULL, NULL, NULL), QUIRE_ENOTFOUND);
  cr_expect_eq(quire_dups_set_kinds(d, QUIRE_DUP_URL), QUIRE_ESTATE);
  quire_dups_free(d);

  /* One kind only, and a threshold that the edited copy misses. */
  cr_assert_eq(quire_dups_new(&d), QUIRE_OK);
  cr_assert_eq(quire_dups_set_kinds(d, QUIRE_DUP_NEAR), QUIRE_OK);
  cr_assert_eq(quire_dups_set_similarity(d, 0.99), QUIRE_OK);
  cr_assert_eq(quire_dups_add_corpus(d, c1), QUIRE_OK);
  cr_assert_eq(quire_dups_add_corpus(d, c2), QUIRE_OK);
  const char *strict[] = {"near:0/0,1/0", "near:0/1,1/1"};
  cr_assert_eq(quire_dups_group_count(d), 2);
  for (size_t g = 0; g < 2; g++) {
    char buf[256];
    group_text(d, g, buf, sizeof buf);
    cr_expect_str_eq(buf, strict[g]);
  }
  quire_dups_free(d);
  quire_corpus_free(c1);
  quire_corpus_free(c2);

  /* The writer keeps the first of each group. */
  const ddoc all[] = {one[0], one[1], one[2], one[3],
                      two[0], two[1], two[2], two[3]};
  char p3[512];
  tu_tmp_path(p3, sizeof p3, "dedup.quire");
  uint64_t dropped;
  write_corpus(p3, all, 8, QUIRE_DUP_TEXT, &dropped);
  cr_expect_eq(dropped, 2);
  quire_corpus *c3 = open_corpus(p3);
  cr_expect_eq(quire_corpus_doc_count(c3), 6);
  quire_corpus_free(c3);
  write_corpus(p3, all, 8, QUIRE_DUP_ALL, &dropped);
  cr_expect_eq(dropped, 4); /* 0/2 url, 0/3 near, 1/0, 1/1 */
  c3 = open_corpus(p3);
  cr_expect_eq(quire_corpus_doc_count(c3), 4);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c3, NULL, &cur), QUIRE_OK);
  const char *want[] = {story, other, "", ""};
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    const char *text;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &len),
                 QUIRE_OK);
    cr_expect_str_eq(text, want[i], "kept document %d", i);
  }
  quire_cursor_free(cur);
  quire_corpus_free(c3);
  free(story);
  free(other);
  free(edited);
  free(third);
  q_buf_free(&spaced);
}

Test(dups, bad_arguments) {
  quire_dups *d;
  cr_expect_eq(quire_dups_new(NULL), QUIRE_EINVAL);
  cr_assert_eq(quire_dups_new(&d), QUIRE_OK);
  cr_expect_eq(quire_dups_set_kinds(d, 0), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_set_kinds(d, 8), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_set_kinds(d, -1), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_set_similarity(d, 0), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_set_similarity(d, 1.01), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_set_similarity(d, NAN), QUIRE_EINVAL);
  cr_expect_neq(strstr(quire_dups_errmsg(d), "similarity"), NULL);
  cr_expect_eq(quire_dups_set_similarity(d, 1), QUIRE_OK);
  /* A NULL corpus is refused and the finder goes on. */
  cr_expect_eq(quire_dups_add_corpus(d, NULL), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_group_count(d), 0);
  quire_corpus *failed;
  cr_expect_eq(quire_corpus_open("/nonexistent/x.quire", &failed),
               QUIRE_ENOTFOUND);
  cr_expect_eq(quire_dups_add_corpus(d, failed), QUIRE_EINVAL);
  quire_corpus_free(failed);
  cr_expect_eq(quire_dups_group(d, 0, NULL, NULL), QUIRE_ENOTFOUND);
  quire_dups_free(d);
  quire_dups_free(NULL);
  cr_expect_eq(quire_dups_add_corpus(NULL, NULL), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_set_kinds(NULL, 1), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_set_similarity(NULL, 0.5), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_group_count(NULL), 0);
  cr_expect_eq(quire_dups_group(NULL, 0, NULL, NULL), QUIRE_EINVAL);
  cr_expect_eq(quire_dups_member(NULL, 0, 0, NULL, NULL, NULL), QUIRE_EINVAL);
  cr_expect_str_neq(quire_dups_errmsg(NULL), "");

  quire_writer *w;
  char path[512];
  tu_tmp_path(path, sizeof path, "bad.quire");
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_expect_eq(quire_writer_set_dedup(w, 8, 0), QUIRE_EINVAL);
  cr_expect_eq(quire_writer_set_dedup(w, QUIRE_DUP_NEAR, 2), QUIRE_EINVAL);
  cr_expect_eq(quire_writer_set_dedup(w, QUIRE_DUP_NEAR, -0.5), QUIRE_EINVAL);
  cr_expect_eq(quire_writer_set_dedup(w, QUIRE_DUP_NEAR, 0.5), QUIRE_OK);
  cr_expect_eq(quire_writer_set_dedup(w, QUIRE_DUP_URL, 0), QUIRE_OK);
  cr_expect_eq(tu_writer_add(w, "", 0, "", 0, "", 0, "", 0, "u", 1, "t", 1),
               QUIRE_OK);
  cr_expect_eq(tu_writer_add(w, "", 0, "", 0, "", 0, "", 0, "u", 1, "t", 1),
               QUIRE_OK);
  cr_expect_eq(quire_writer_dropped(w), 1);
  cr_expect_eq(quire_writer_doc_count(w), 1);
  cr_expect_eq(quire_writer_set_dedup(w, 0, 0), QUIRE_ESTATE);
  quire_writer_free(w);
  cr_expect_eq(quire_writer_set_dedup(NULL, 1, 0), QUIRE_EINVAL);
  cr_expect_eq(quire_writer_dropped(NULL), 0);
  cr_expect(!tu_exists(path));
}

/* ---- the seeds
 * ---------------------------------------------------------------- */

static void pack_seeds(const char *dir, const char *path, int dedup, int times,
                       uint64_t *dropped) {
  char manifest[1024];
  snprintf(manifest, sizeof manifest, "%s/manifest.csv", dir);
  quire_writer *w;
  quire_import *imp;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  if (dedup)
    cr_assert_eq(quire_writer_set_dedup(w, dedup, 0), QUIRE_OK);
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  for (int i = 0; i < times; i++)
    cr_assert_eq(quire_import_csv_path(imp, w, manifest), QUIRE_OK, "%s",
                 quire_import_errmsg(imp));
  if (dropped)
    *dropped = quire_writer_dropped(w);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  quire_import_free(imp);
}

Test(seeds, five_distinct_articles_and_their_copies) {
  const char *dir = tu_seeds_dir();
  if (!dir) {
    fprintf(stderr, "../shared/seeds is not there: skipping the seeds test\n");
    cr_skip_test("seeds absent");
  }
  char a[512], b[512];
  tu_tmp_path(a, sizeof a, "seeds.quire");
  tu_tmp_path(b, sizeof b, "seeds2.quire");
  pack_seeds(dir, a, 0, 1, NULL);
  pack_seeds(dir, b, 0, 1, NULL);
  quire_corpus *ca = open_corpus(a), *cb = open_corpus(b);
  /* Five articles on one topic (Belarus and China) are no duplicates. */
  quire_dups *d;
  cr_assert_eq(quire_dups_new(&d), QUIRE_OK);
  cr_assert_eq(quire_dups_add_corpus(d, ca), QUIRE_OK, "%s",
               quire_dups_errmsg(d));
  cr_expect_eq(quire_dups_group_count(d), 0);
  /* The same five again: each is a text and a near duplicate of its twin,
   * and the two with a URL are URL duplicates too. */
  cr_assert_eq(quire_dups_add_corpus(d, cb), QUIRE_OK);
  cr_assert_eq(quire_dups_group_count(d), 12);
  int counts[8] = {0};
  for (uint64_t g = 0; g < 12; g++) {
    int kind;
    uint64_t size;
    uint32_t c0, c1;
    uint64_t d0, d1;
    cr_assert_eq(quire_dups_group(d, g, &kind, &size), QUIRE_OK);
    cr_expect_eq(size, 2);
    counts[kind]++;
    quire_dups_member(d, g, 0, &c0, &d0, NULL);
    quire_dups_member(d, g, 1, &c1, &d1, NULL);
    cr_expect(c0 == 0 && c1 == 1 && d0 == d1);
  }
  cr_expect_eq(counts[QUIRE_DUP_URL], 2);
  cr_expect_eq(counts[QUIRE_DUP_TEXT], 5);
  cr_expect_eq(counts[QUIRE_DUP_NEAR], 5);
  quire_dups_free(d);
  quire_corpus_free(ca);
  quire_corpus_free(cb);
  /* Packing the manifest twice with --dedup text keeps five. */
  uint64_t dropped;
  pack_seeds(dir, a, QUIRE_DUP_TEXT, 2, &dropped);
  cr_expect_eq(dropped, 5);
  ca = open_corpus(a);
  cr_expect_eq(quire_corpus_doc_count(ca), 5);
  quire_corpus_free(ca);
}
