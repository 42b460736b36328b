/*
 * test_words.c: the term filter: word rules and folding, term parsing, and
 * matching through cursor, count, batches and export, against a plain
 * brute-force reference on generated text and on the seeds.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "format.h"
#include "postings.h"
#include "quire.h"
#include "reader.h"
#include "testutil.h"
#include "words.h"
#include "wordsum.h"

/* ---- word rules ------------------------------------------------------------
 */

Test(words, simple_case_folding_as_documented) {
  cr_assert_eq(q_fold('A'), 'a');
  cr_assert_eq(q_fold('z'), 'z');
  cr_assert_eq(q_fold(0x041B), 0x043B); /* Л -> л */
  cr_assert_eq(q_fold(0x03A3), 0x03C3); /* Σ -> σ */
  cr_assert_eq(q_fold(0x03C2), 0x03C3); /* final ς -> σ */
  cr_assert_eq(q_fold(0x00DF), 0x00DF); /* ß stays: "ss" is full folding */
  cr_assert_eq(q_fold(0x1E9E), 0x00DF); /* capital ẞ -> ß */
  cr_assert_eq(q_fold(0x0130), 0x0130); /* İ has no simple folding */
  cr_assert_eq(q_fold(0x0131), 0x0131); /* dotless ı stays */
  cr_assert_eq(q_fold('I'), 'i');       /* no Turkic mapping */
  cr_assert_eq(q_fold(0x00C9), 0x00E9); /* É -> é */
  cr_assert_eq(q_fold(0x212A), 'k');    /* Kelvin sign */
  cr_assert_eq(q_fold(0x017F), 's');    /* long s */
  cr_assert_eq(q_fold(0x00B5), 0x03BC); /* micro sign -> μ */
  cr_assert_eq(q_fold(0x1F88), 0x1F80); /* S status: its lowercase */
  cr_assert_eq(q_fold(0x13A0), 0x13A0); /* Cherokee folds to capitals */
  cr_assert_eq(q_fold(0xAB70), 0x13A0);
  cr_assert_eq(q_fold(0x10400), 0x10428); /* Deseret, beyond the BMP */
  cr_assert_eq(q_fold(0xFB00), 0xFB00);   /* ﬀ: only full folding */
}

Test(words, word_characters_are_letters_and_numbers) {
  cr_assert(q_is_word_char('a') && q_is_word_char('7'));
  cr_assert(q_is_word_char(0x00B2));  /* ² (No) */
  cr_assert(q_is_word_char(0x0663));  /* Arabic-Indic three (Nd) */
  cr_assert(q_is_word_char(0x65E5));  /* 日 (Lo) */
  cr_assert(q_is_word_char(0x02B0));  /* ʰ (Lm) */
  cr_assert(!q_is_word_char('_'));    /* Pc */
  cr_assert(!q_is_word_char('\''));   /* apostrophes separate */
  cr_assert(!q_is_word_char(0x2019)); /* ’ */
  cr_assert(!q_is_word_char('-'));
  cr_assert(!q_is_word_char(0x0301)); /* combining acute (Mn) */
  cr_assert(!q_is_word_char(0x00A0)); /* no-break space */
  cr_assert(!q_is_word_char(-1) && !q_is_word_char(0x110000));
}

typedef struct collected {
  char words[32][64];
  int n;
} collected;

static int collect(void *ctx, const char *folded, size_t len) {
  collected *c = ctx;
  cr_assert_lt(c->n, 32);
  cr_assert_lt(len, 64);
  memcpy(c->words[c->n], folded, len);
  c->words[c->n++][len] = '\0';
  return 0;
}

Test(words, splitting_and_folding_text) {
  const char *text = "Don’t STRAẞE—x² well-known_3.5 Ἀθῆναι ΟΔΟΣ\xff"
                     "Cafe\xcc\x81 İı";
  collected c = {0};
  cr_assert_eq(q_words_each(text, strlen(text), collect, &c), QUIRE_OK);
  const char *want[] = {"don", "t", "straße", "x²",   "well", "known",
                        "3",   "5", "ἀθῆναι", "οδοσ", "cafe", "İı"};
  cr_assert_eq(c.n, 12);
  for (int i = 0; i < 12; i++)
    cr_assert_str_eq(c.words[i], want[i], "word %d", i);
}

/* ---- parsing terms ---------------------------------------------------------
 */

Test(words, bad_terms_are_refused_clearly) {
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_add_term(f, "bad \xc3", 5), QUIRE_EUTF8);
  cr_assert(strstr(quire_filter_errmsg(f), "UTF-8"), "%s",
            quire_filter_errmsg(f));
  cr_assert_eq(quire_filter_add_any_term(f, "\xed\xa0\x80", 3), QUIRE_EUTF8);
  cr_assert_eq(quire_filter_add_term(f, "", 0), QUIRE_EINVAL);
  cr_assert_eq(quire_filter_add_term(f, NULL, 0), QUIRE_EINVAL);
  cr_assert_eq(quire_filter_add_term(f, " -- ’ ", strlen(" -- ’ ")),
               QUIRE_EINVAL);
  cr_assert(strstr(quire_filter_errmsg(f), "no word"), "%s",
            quire_filter_errmsg(f));
  cr_assert_eq(quire_filter_add_term(f, NULL, 3), QUIRE_EINVAL);
  cr_assert_eq(quire_filter_add_term(NULL, "a", 1), QUIRE_EINVAL);
  cr_assert_eq(quire_filter_add_any_term(NULL, "a", 1), QUIRE_EINVAL);
  /* Not NUL-terminated: only len bytes are read. */
  cr_assert_eq(quire_filter_add_term(f, "abc\xff", 3), QUIRE_OK);
  quire_filter_free(f);
}

/* ---- a brute-force reference
 * --------------------------------------------------
 */

/* The folded words of a field, each as a NUL-terminated string, found code
 * point by code point with utf8proc alone. */
typedef struct ref_words {
  char **w;
  size_t n;
} ref_words;

static ref_words ref_split(const char *s, size_t len) {
  ref_words r = {calloc(len + 1, sizeof(char *)), 0};
  char *cur = malloc(4 * len + 1);
  size_t at = 0, i = 0;
  while (i <= len) {
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t n = 1;
    if (i < len) {
      n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                           (utf8proc_ssize_t)(len - i), &cp);
      if (n < 1)
        n = 1, cp = -1;
    }
    utf8proc_category_t cat = cp >= 0 ? utf8proc_category(cp) : 0;
    int letter =
        cp >= 0 &&
        ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
         (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO));
    if (letter)
      at += (size_t)utf8proc_encode_char(q_fold(cp),
                                         (utf8proc_uint8_t *)cur + at);
    else if (at) {
      cur[at] = '\0';
      r.w[r.n++] = strdup(cur);
      at = 0;
    }
    i += (size_t)n;
  }
  free(cur);
  return r;
}

static void ref_free(ref_words *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->w[i]);
  free(r->w);
}

/* Whether the words of term occur one after another in field. */
static int ref_has(const char *field, const char *term) {
  ref_words f = ref_split(field, strlen(field));
  ref_words t = ref_split(term, strlen(term));
  int found = 0;
  for (size_t i = 0; !found && t.n && i + t.n <= f.n; i++) {
    size_t j = 0;
    while (j < t.n && !strcmp(f.w[i + j], t.w[j]))
      j++;
    found = j == t.n;
  }
  ref_free(&f);
  ref_free(&t);
  return found;
}

/* ---- generated corpora ------------------------------------------------------
 */

static const char *const vocabulary[] = {
    "Лукашенко", "ЛУКАШЕНКО", "лукашенко", "Минск",   "Σίσυφος",  "ΣΊΣΥΦΟΣ",
    "σίσυφοσ",   "straße",    "STRAẞE",    "strasse", "İstanbul", "istanbul",
    "ıstanbul",  "café",      "CAFÉ",      "cafe",    "Belt",     "and",
    "Road",      "belt",      "ROAD",      "2016",    "3",        "5",
    "x²",        "日本",      "٣",         "don",     "t",        "naïve",
    "K",         "ſun",       "sun",       "alpha",   "beta",     "gamma",
    "China",     "Russia",    "Belarus",   "Kremlin", "the",      "of"};
static const char *const separators[] = {
    " ",    " ", " ", ", ",        "-",  "’",  "'",  "\n",
    "... ", "—", "_", "\xcc\x81 ", "\t", " (", ") ", "\xc2\xa0"};
#define COUNT(a) (sizeof(a) / sizeof(a)[0])

static char *make_text(uint64_t *rng, int words) {
  size_t cap = (size_t)words * 24 + 1, len = 0;
  char *s = malloc(cap);
  for (int i = 0; i < words; i++) {
    const char *w = vocabulary[tu_rand(rng) % COUNT(vocabulary)];
    const char *sep = separators[tu_rand(rng) % COUNT(separators)];
    len += (size_t)snprintf(s + len, cap - len, "%s%s", w, sep);
  }
  s[len] = '\0';
  return s;
}

typedef struct gen_corpus {
  char path[512];
  int docs;
  char **titles, **texts;
  const char **sources;
} gen_corpus;

static void gen_make(gen_corpus *g, int docs, uint64_t seed, uint32_t block,
                     int summaries) {
  static const char *const sources[] = {"A", "B", "C"};
  uint64_t rng = seed;
  tu_tmp_path(g->path, sizeof g->path, "words.quire");
  g->docs = docs;
  g->titles = calloc((size_t)docs, sizeof(char *));
  g->texts = calloc((size_t)docs, sizeof(char *));
  g->sources = calloc((size_t)docs, sizeof(char *));
  quire_writer *w;
  cr_assert_eq(quire_writer_open(g->path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, block), QUIRE_OK);
  cr_assert_eq(quire_writer_set_word_summaries(w, summaries), QUIRE_OK);
  for (int i = 0; i < docs; i++) {
    g->titles[i] = make_text(&rng, 1 + (int)(tu_rand(&rng) % 6));
    g->texts[i] = make_text(&rng, (int)(tu_rand(&rng) % 80));
    g->sources[i] = sources[i % 3];
    char date[16];
    snprintf(date, sizeof date, "%d", 2010 + i % 5);
    cr_assert_eq(tu_writer_add(w, g->sources[i], 1, date, 4, g->titles[i],
                               strlen(g->titles[i]), "", 0, "", 0, g->texts[i],
                               strlen(g->texts[i])),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
}

static void gen_free(gen_corpus *g) {
  for (int i = 0; i < g->docs; i++) {
    free(g->titles[i]);
    free(g->texts[i]);
  }
  free(g->titles);
  free(g->texts);
  free(g->sources);
  unlink(g->path);
}

/* Whether document i passes the terms, by the reference. */
static int ref_doc(const gen_corpus *g, int i, const char *const *all,
                   int n_all, const char *const *any, int n_any) {
  for (int k = 0; k < n_all; k++)
    if (!ref_has(g->titles[i], all[k]) && !ref_has(g->texts[i], all[k]))
      return 0;
  if (n_any == 0)
    return 1;
  for (int k = 0; k < n_any; k++)
    if (ref_has(g->titles[i], any[k]) || ref_has(g->texts[i], any[k]))
      return 1;
  return 0;
}

/* Runs one filter through cursor, count and batches, and compares every
 * document with the reference. */
static void check_filter(const gen_corpus *g, quire_corpus *c,
                         const char *const *all, int n_all,
                         const char *const *any, int n_any,
                         const char *source) {
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  for (int k = 0; k < n_all; k++)
    cr_assert_eq(quire_filter_add_term(f, all[k], strlen(all[k])), QUIRE_OK,
                 "%s", quire_filter_errmsg(f));
  for (int k = 0; k < n_any; k++)
    cr_assert_eq(quire_filter_add_any_term(f, any[k], strlen(any[k])),
                 QUIRE_OK);
  if (source)
    quire_filter_add_source(f, source, strlen(source));
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, f, &cur), QUIRE_OK);
  uint64_t expected = 0;
  int status = quire_cursor_next(cur);
  for (int i = 0; i < g->docs; i++) {
    int want = ref_doc(g, i, all, n_all, any, n_any) &&
               (!source || !strcmp(g->sources[i], source));
    if (!want)
      continue;
    expected++;
    cr_assert_eq(status, QUIRE_ROW, "document %d should match (%s...)", i,
                 n_all ? all[0] : any[0]);
    cr_assert_eq(quire_cursor_doc(cur), (uint64_t)i,
                 "cursor on %llu, reference says %d (%s...)",
                 (unsigned long long)quire_cursor_doc(cur), i,
                 n_all ? all[0] : any[0]);
    status = quire_cursor_next(cur);
  }
  cr_assert_eq(status, QUIRE_DONE, "cursor found more than the reference");
  quire_cursor_free(cur);
  uint64_t count = 0;
  cr_assert_eq(quire_corpus_count_matches(c, f, &count), QUIRE_OK);
  cr_assert_eq(count, expected);
  /* Batches see the same documents. */
  cr_assert_eq(quire_cursor_open(c, f, &cur), QUIRE_OK);
  uint64_t docs[7], total = 0;
  size_t got;
  while (quire_cursor_next_batch(cur, 7, docs, NULL, NULL, NULL, NULL, &got) ==
         QUIRE_ROW)
    total += got;
  cr_assert_eq(total, expected);
  quire_cursor_free(cur);
  quire_filter_free(f);
}

Test(words, generated_text_against_the_reference, .timeout = 120) {
  gen_corpus g;
  gen_make(&g, 400, 17, 4096, 0);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(g.path, &c), QUIRE_OK);
  const char *singles[] = {
      "лукашенко", "ЛУКАШЕНКО", "σίσυφος",  "ΣΊΣΥΦΟΣ",  "STRASSE", "straße",
      "ẞ",         "İstanbul",  "ISTANBUL", "ıstanbul", "CAFÉ",    "cafe",
      "x²",        "X²",        "日本",     "٣",        "kun",     "k",
      "sun",       "Sun",       "2016",     "the",      "absent",  "don't",
      "don’t",     "3.5",       "naïve",    "Kremlin"};
  for (size_t i = 0; i < COUNT(singles); i++)
    check_filter(&g, c, &singles[i], 1, NULL, 0, NULL);
  const char *phrases[] = {"Belt and Road", "belt-and-ROAD", "the of",
                           "Лукашенко Минск", "road belt and"};
  for (size_t i = 0; i < COUNT(phrases); i++)
    check_filter(&g, c, &phrases[i], 1, NULL, 0, NULL);
  const char *all[] = {"china", "russia"};
  check_filter(&g, c, all, 2, NULL, 0, NULL);
  check_filter(&g, c, all, 2, NULL, 0, "B");
  const char *any[] = {"gamma", "straße", "nowhere at all"};
  check_filter(&g, c, NULL, 0, any, 3, NULL);
  check_filter(&g, c, all, 1, any, 2, "C");
  const char *none[] = {"nowhere", "never"};
  check_filter(&g, c, NULL, 0, none, 2, NULL);
  quire_corpus_free(c);
  gen_free(&g);
}

Test(words, absent_one_block_and_everywhere) {
  /* Documents of one block (4 KiB) hold a word no other has; every
   * document holds "common". */
  char path[512];
  tu_tmp_path(path, sizeof path, "blocks.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 4096), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  char text[1200];
  for (int i = 0; i < 300; i++) {
    memset(text, 0, sizeof text);
    int n = snprintf(text, sizeof text, "common words %d %s ", i,
                     i >= 120 && i < 123 ? "Zyxwvut" : "filler");
    while (n < 1000)
      n += snprintf(text + n, sizeof text - (size_t)n, "lorem ipsum ");
    cr_assert_eq(
        tu_writer_add(w, "", 0, "", 0, "t", 1, "", 0, "", 0, text, (size_t)n),
        QUIRE_OK);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  struct {
    const char *term;
    uint64_t count;
  } cases[] = {{"zyxwvut", 3},   {"COMMON", 300},  {"absent", 0},
               {"words 121", 1}, {"121 words", 0}, {"ipsum lorem", 300}};
  for (size_t i = 0; i < COUNT(cases); i++) {
    quire_filter *f;
    quire_filter_new(&f);
    quire_filter_add_term(f, cases[i].term, strlen(cases[i].term));
    uint64_t count = 99;
    cr_assert_eq(quire_corpus_count_matches(c, f, &count), QUIRE_OK);
    cr_assert_eq(count, cases[i].count, "%s: %llu", cases[i].term,
                 (unsigned long long)count);
    quire_filter_free(f);
  }
  quire_corpus_free(c);
  unlink(path);
}

static int add_to_buf(void *ctx, const char *data, size_t len) {
  char **buf = ctx;
  size_t old = *buf ? strlen(*buf) : 0;
  *buf = realloc(*buf, old + len + 1);
  memcpy(*buf + old, data, len);
  (*buf)[old + len] = '\0';
  return 0;
}

Test(words, export_and_clones_honour_terms) {
  gen_corpus g;
  gen_make(&g, 60, 5, 4096, 1);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(g.path, &c), QUIRE_OK);
  quire_filter *f;
  quire_filter_new(&f);
  quire_filter_add_term(f, "Лукашенко", strlen("Лукашенко"));
  quire_export *e;
  cr_assert_eq(quire_export_new(c, &e), QUIRE_OK);
  cr_assert_eq(quire_export_set_filter(e, f), QUIRE_OK);
  quire_filter_free(f); /* the export holds its own copy */
  cr_assert_eq(quire_export_set_columns(e, "id", 2), QUIRE_OK);
  char *csv = NULL;
  cr_assert_eq(quire_export_to_callback(e, add_to_buf, &csv), QUIRE_OK);
  char want[4096] = "id\n";
  uint64_t rows = 0;
  for (int i = 0; i < g.docs; i++)
    if (ref_has(g.titles[i], "лукашенко") || ref_has(g.texts[i], "лукашенко")) {
      snprintf(want + strlen(want), sizeof want - strlen(want), "%d\n", i);
      rows++;
    }
  cr_assert_gt(rows, 0);
  cr_assert_str_eq(csv, want);
  cr_assert_eq(quire_export_rows(e), rows);
  free(csv);
  quire_export_free(e);
  quire_corpus_free(c);
  gen_free(&g);
}

/* ---- damage ---------------------------------------------------------------
 */

Test(words, damaged_text_block_is_an_error_not_a_miss) {
  gen_corpus g;
  gen_make(&g, 50, 9, 4096, 0);
  size_t len;
  char *bytes = tu_read_file(g.path, &len);
  cr_assert_not_null(bytes);
  bytes[200] ^= 0x55; /* inside the first block */
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  quire_filter *f;
  quire_filter_new(&f);
  quire_filter_add_term(f, "nowhere", 7);
  uint64_t count;
  cr_assert_eq(quire_corpus_count_matches(c, f, &count), QUIRE_ECORRUPT);
  cr_assert(strstr(quire_corpus_errmsg(c), "block"), "%s",
            quire_corpus_errmsg(c));
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, f, &cur), QUIRE_OK);
  cr_assert_eq(quire_cursor_next(cur), QUIRE_ECORRUPT);
  quire_cursor_free(cur);
  quire_filter_free(f);
  quire_corpus_free(c);
  free(bytes);
  gen_free(&g);
}

/* ---- the seeds --------------------------------------------------------------
 */

Test(words, seeds_against_the_reference) {
  const char *dir = tu_seeds_dir();
  if (!dir) {
    fprintf(stderr, "../shared/seeds is not there: skipping the seeds test\n");
    cr_skip_test("seeds absent");
  }
  char manifest[1024], path[512];
  snprintf(manifest, sizeof manifest, "%s/manifest.csv", dir);
  tu_tmp_path(path, sizeof path, "seeds-words.quire");
  quire_writer *w;
  quire_import *imp;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_csv_path(imp, w, manifest), QUIRE_OK, "%s",
               quire_import_errmsg(imp));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_import_free(imp);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  /* Titles and texts as the cursor gives them. */
  char *titles[5], *texts[5];
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  for (int i = 0; i < 5; i++) {
    const char *data;
    size_t n;
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    quire_cursor_field(cur, QUIRE_FIELD_TITLE, &data, &n);
    titles[i] = strndup(data, n);
    quire_cursor_field(cur, QUIRE_FIELD_TEXT, &data, &n);
    texts[i] = strndup(data, n);
  }
  quire_cursor_free(cur);
  const char *terms[] = {
      "Lukashenko", "belarus",    "CHINA",     "Belt and Road", "Russia’s",
      "Russia s",   "Kremlin",    "2016",      "minsk",         "one belt",
      "the",        "Xi Jinping", "Лукашенко", "unlikelyword",  "s"};
  int some = 0, none = 0;
  for (size_t k = 0; k < COUNT(terms); k++) {
    uint64_t want = 0;
    for (int i = 0; i < 5; i++)
      want += ref_has(titles[i], terms[k]) || ref_has(texts[i], terms[k]);
    quire_filter *f;
    quire_filter_new(&f);
    cr_assert_eq(quire_filter_add_term(f, terms[k], strlen(terms[k])),
                 QUIRE_OK);
    uint64_t count;
    cr_assert_eq(quire_corpus_count_matches(c, f, &count), QUIRE_OK);
    cr_assert_eq(count, want, "%s: %llu, reference %llu", terms[k],
                 (unsigned long long)count, (unsigned long long)want);
    some += want > 0 && want < 5;
    none += want == 0;
    quire_filter_free(f);
  }
  cr_assert_gt(some, 2, "the seeds should hold words of only some articles");
  cr_assert_gt(none, 0);
  for (int i = 0; i < 5; i++) {
    free(titles[i]);
    free(texts[i]);
  }
  quire_corpus_free(c);
  unlink(path);
}

/* ---- word summaries --------------------------------------------------------
 */

/* A metadata block of one record with this title. */
static size_t meta_record(char *out, const char *title) {
  uint32_t tl = (uint32_t)strlen(title);
  memset(out, 0, QF_META_HEAD);
  memcpy(out, &tl, 4); /* little-endian machine, as the writer's st32 */
  memcpy(out + QF_META_HEAD, title, tl + 1);
  out[QF_META_HEAD + tl + 1] = '\0';
  out[QF_META_HEAD + tl + 2] = '\0';
  return QF_META_HEAD + tl + 3;
}

/* The peak of bytes held while summarizing blocks blocks that all hold the
 * same 256 words (so every word is frequent), finish included. */
static long summaries_peak(uint32_t blocks) {
  char msg[512];
  q_wsum_builder *b;
  q_buf hashes = {0}, section = {0};
  long base = tu_live_bytes();
  tu_peak_reset();
  cr_assert_eq(q_wsum_builder_new(&b), QUIRE_OK);
  for (uint32_t i = 0; i < blocks; i++) {
    hashes.len = 0;
    for (uint32_t w = 0; w < 256; w++) {
      uint32_t h = w * 0x9E3779B9u;
      cr_assert_eq(q_buf_append(&hashes, &h, 4), QUIRE_OK);
    }
    cr_assert_eq(q_wsum_builder_hashes(b, &hashes, msg), QUIRE_OK, "%s", msg);
  }
  cr_assert_eq(q_wsum_builder_finish(b, 1u << 20, &section, msg), QUIRE_OK,
               "%s", msg);
  q_wsum_builder_free(b);
  q_buf_free(&hashes);
  q_buf_free(&section);
  cr_assert_eq(tu_live_bytes(), base, "the builder leaked");
  return tu_peak_bytes() - base;
}

/* Finishing the summaries listed every block's frequent words before
 * making the list distinct: 1.4 KB a document, 1.4 GB of memory to pack a
 * million. Four times the blocks now take the same memory, to within the
 * section (8 bytes a block) and the builder's per-block counts. */
Test(words, finishing_summaries_holds_the_frequent_words_once) {
  cr_assert_eq(tu_counting_allocator(1), QUIRE_OK);
  long small = summaries_peak(8192), large = summaries_peak(32768);
  tu_counting_allocator(0);
  cr_log_info("summaries peak: %ld bytes for 8192 blocks, %ld for 32768", small,
              large);
  cr_assert_lt(large, small + (2l << 20), "%ld bytes, then %ld", small, large);
}

/* Builds summaries of 200 blocks: "common" is in every block, "rareNNN" in
 * block NNN only, "titleNNN" in its title only, "phrase one" in block 7. */
static void build_summaries(q_buf *section, uint64_t budget) {
  q_wsum_builder *b;
  char msg[512];
  cr_assert_eq(q_wsum_builder_new(&b), QUIRE_OK);
  for (int i = 0; i < 200; i++) {
    char text[256], meta[128], title[32];
    int n = snprintf(text, sizeof text, "Common filler %s RARE%03d x%d",
                     i == 7 ? "phrase one" : "no", i, i % 3);
    text[n] = '\0'; /* texts are NUL-separated in a block */
    snprintf(title, sizeof title, "Title%03d", i);
    size_t m = meta_record(meta, title);
    cr_assert_eq(q_wsum_builder_block(b, text, (size_t)n + 1, meta, m, msg),
                 QUIRE_OK, "%s", msg);
  }
  cr_assert_eq(q_wsum_builder_finish(b, budget, section, msg), QUIRE_OK, "%s",
               msg);
  q_wsum_builder_free(b);
}

/* Which blocks the summaries let through for term. */
static int blocks_let_through(const q_buf *s, const char *term, int *first) {
  const uint8_t *p = (const uint8_t *)s->data;
  cr_assert(s->len >= QWS_HEAD && !memcmp(p, QWS_MAGIC, 8));
  uint32_t n = ld32(p + 8), k = ld32(p + 12), f = ld32(p + 16);
  const uint8_t *offsets = p + QWS_HEAD + 4 * (size_t)f;
  const uint8_t *filters = offsets + 8 * ((size_t)n + 1);
  quire_filter *flt;
  quire_filter_new(&flt);
  cr_assert_eq(quire_filter_add_term(flt, term, strlen(term)), QUIRE_OK);
  q_wsum_query *q;
  cr_assert_eq(q_wsum_query_new(q_filter_terms(flt), k, p + QWS_HEAD, f, &q),
               QUIRE_OK);
  int through = 0;
  *first = -1;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t at = ld64(offsets + 8 * i), end = ld64(offsets + 8 * (i + 1));
    if (!q || q_wsum_query_block(q, filters + at, (size_t)(end - at))) {
      through++;
      if (*first < 0)
        *first = (int)i;
    }
  }
  q_wsum_query_free(q);
  quire_filter_free(flt);
  return through;
}

Test(words, summaries_never_miss_and_mostly_skip) {
  q_buf s = {0};
  build_summaries(&s, 64 << 10);
  cr_assert_gt(s.len, (size_t)QWS_HEAD);
  int first, misses = 0;
  for (int i = 0; i < 200; i += 13) {
    char term[32];
    snprintf(term, sizeof term, "rare%03d", i);
    int through = blocks_let_through(&s, term, &first);
    cr_assert_geq(through, 1, "%s", term);
    /* The block that holds it is always let through. */
    if (through == 1)
      cr_assert_eq(first, i, "%s", term);
    snprintf(term, sizeof term, "TITLE%03d", i);
    cr_assert_geq(blocks_let_through(&s, term, &first), 1, "%s", term);
    misses += through - 1;
  }
  cr_assert_lt(misses, 3, "false positives: %d", misses);
  /* Frequent words rule nothing out; absent ones rule out (nearly) all. */
  cr_assert_eq(blocks_let_through(&s, "common", &first), 200);
  cr_assert_eq(blocks_let_through(&s, "x1", &first), 200);
  cr_assert_lt(blocks_let_through(&s, "nowhere", &first), 3);
  int through = blocks_let_through(&s, "phrase one", &first);
  cr_assert(through >= 1 && first <= 7);
  cr_assert_lt(through, 4);
  q_buf_free(&s);
  /* Too small a budget: no section at all. */
  build_summaries(&s, 100);
  cr_assert_eq(s.len, 0);
  q_buf_free(&s);
}

/* ---- word summaries in files ------------------------------------------------
 */

/* 3000 documents in 4 KiB blocks: words of a vocabulary of 2000 (frequent
 * ones, in many blocks) and a marker word shared by each run of 40
 * documents: too many for word postings (at most 32 here), so the word
 * summaries alone skip blocks for them. */
static void marker_corpus(const char *path, int summaries) {
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 4096), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_writer_set_word_summaries(w, summaries), QUIRE_OK);
  uint64_t rng = 42;
  char text[2048], title[64];
  for (int i = 0; i < 3000; i++) {
    int n = snprintf(text, sizeof text, "Marker%05d", i / 40);
    for (int j = 0; j < 120; j++)
      n += snprintf(text + n, sizeof text - (size_t)n, " v%u",
                    (unsigned)(tu_rand(&rng) % 2000));
    snprintf(title, sizeof title, "Title %d", i % 7);
    cr_assert_eq(tu_writer_add(w, "", 0, "", 0, title, strlen(title), "", 0, "",
                               0, text, (size_t)n),
                 QUIRE_OK);
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
}

static int count_term(quire_corpus *c, const char *term, uint64_t *count) {
  quire_filter *f;
  quire_filter_new(&f);
  quire_filter_add_term(f, term, strlen(term));
  int status = quire_corpus_count_matches(c, f, count);
  quire_filter_free(f);
  return status;
}

Test(words, summaries_in_files_skip_blocks_and_agree, .timeout = 120) {
  char with[512], without[512];
  tu_tmp_path(with, sizeof with, "with.quire");
  tu_tmp_path(without, sizeof without, "without.quire");
  marker_corpus(with, 1);
  marker_corpus(without, 0);
  quire_corpus *a, *b;
  cr_assert_eq(quire_corpus_open(with, &a), QUIRE_OK);
  cr_assert_eq(quire_corpus_open(without, &b), QUIRE_OK);
  cr_assert_not_null(q_ext(a, QX_WORD_SUMMARIES), "summaries were written");
  cr_assert_null(q_ext(b, QX_WORD_SUMMARIES));
  double growth =
      (double)quire_corpus_file_size(a) / (double)quire_corpus_file_size(b) - 1;
  cr_log_info("word summaries: %.2f%% of the file", 100 * growth);
  cr_assert_lt(growth, 0.03);
  const char *terms[] = {"marker00000", "MARKER00031", "marker00074",
                         "v17",         "v1999",       "title 3",
                         "absentword",  "marker1",     "v5 v6"};
  for (size_t i = 0; i < COUNT(terms); i++) {
    uint64_t x = 0, y = 1;
    cr_assert_eq(count_term(a, terms[i], &x), QUIRE_OK);
    cr_assert_eq(count_term(b, terms[i], &y), QUIRE_OK);
    cr_assert_eq(x, y, "%s: %llu with summaries, %llu without", terms[i],
                 (unsigned long long)x, (unsigned long long)y);
  }
  /* Skipping, shown by damage: with the last text block damaged, a marker
   * of another block is still counted, as its summary rules that block
   * out (but for a false positive now and then); without summaries, the
   * scan reaches the damage. */
  size_t len;
  char *bytes = tu_read_file(with, &len);
  const uint8_t *rec = q_record(a, QS_BLOCKS, a->blocks - 1, NULL);
  bytes[ld64(rec + QB_OFFSET) + 2] ^= 0x40;
  quire_corpus *d;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &d), QUIRE_OK);
  int counted = 0;
  for (int i = 0; i < 72; i += 2) {
    char term[32];
    snprintf(term, sizeof term, "marker%05d", i);
    uint64_t n = 0;
    int status = count_term(d, term, &n);
    cr_assert(status == QUIRE_OK || status == QUIRE_ECORRUPT);
    if (status == QUIRE_OK) {
      cr_assert_eq(n, 40, "%s", term);
      counted++;
    }
  }
  cr_assert_geq(counted, 32, "only %d of 36 markers skipped the damage",
                counted);
  uint64_t n;
  cr_assert_eq(count_term(d, "v17", &n), QUIRE_ECORRUPT);
  quire_corpus_free(d);
  free(bytes);
  bytes = tu_read_file(without, &len);
  rec = q_record(b, QS_BLOCKS, b->blocks - 1, NULL);
  bytes[ld64(rec + QB_OFFSET) + 2] ^= 0x40;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &d), QUIRE_OK);
  cr_assert_eq(count_term(d, "marker00010", &n), QUIRE_ECORRUPT);
  quire_corpus_free(d);
  free(bytes);
  quire_corpus_free(a);
  quire_corpus_free(b);
  unlink(with);
  unlink(without);
}

Test(words, damaged_summaries_fall_back_to_scanning, .timeout = 120) {
  char path[512];
  tu_tmp_path(path, sizeof path, "damaged-summaries.quire");
  marker_corpus(path, 1);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  const q_section *sec = q_ext(c, QX_WORD_SUMMARIES);
  cr_assert_not_null(sec);
  uint64_t start = sec->offset, size = sec->length;
  quire_corpus_free(c);
  size_t len;
  char *clean = tu_read_file(path, &len);
  char *bytes = malloc(len);
  /* Bytes of the head, the frequent list, the offsets and the filters,
   * and the section's checksum table. */
  uint64_t at[] = {0,        3,        9,         13,       17,       30,
                   size / 3, size / 2, size - 40, size - 1, size + 1, size + 5};
  const char *terms[] = {"marker00007", "marker00062", "v3", "absentword"};
  const uint64_t want[] = {40, 40, 0, 0};
  for (size_t i = 0; i < COUNT(at); i++) {
    memcpy(bytes, clean, len);
    bytes[start + at[i]] ^= 0x10;
    cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
    for (size_t t = 0; t < COUNT(terms); t++) {
      uint64_t n = 99;
      cr_assert_eq(count_term(c, terms[t], &n), QUIRE_OK,
                   "byte %llu flipped: %s: %s", (unsigned long long)at[i],
                   terms[t], quire_corpus_errmsg(c));
      if (t < 2)
        cr_assert_eq(n, want[t], "byte %llu flipped: %s: %llu",
                     (unsigned long long)at[i], terms[t],
                     (unsigned long long)n);
      else if (t == 3)
        cr_assert_eq(n, 0);
    }
    quire_corpus_free(c);
  }
  free(bytes);
  free(clean);
  unlink(path);
}

Test(words, format_1_0_files_filter_by_scanning) {
  /* A 1.0 file (no word summaries) written by the 1.0 writer. */
  char path[1024];
  snprintf(path, sizeof path, "%s/v1_0/seeds_input.quire", QUIRE_FIXTURES_DIR);
  if (!tu_exists(path)) {
    fprintf(stderr, "%s is not there: skipping\n", path);
    cr_skip_test("fixture absent");
  }
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  int major, minor;
  quire_corpus_format_version(c, &major, &minor);
  cr_assert_eq(minor, 0);
  cr_assert_null(q_ext(c, QX_WORD_SUMMARIES));
  struct {
    const char *term;
    uint64_t count;
  } cases[] = {
      {"Lukashenko", 3}, {"belt and road", 1}, {"Minsk", 5}, {"absentword", 0}};
  for (size_t i = 0; i < COUNT(cases); i++) {
    uint64_t n = 99;
    cr_assert_eq(count_term(c, cases[i].term, &n), QUIRE_OK);
    cr_assert_eq(n, cases[i].count, "%s: %llu", cases[i].term,
                 (unsigned long long)n);
  }
  quire_corpus_free(c);
}

/* Blocks of 20,000 distinct words each: their hashes outgrow memory (8 MiB)
 * after about 100 blocks and go to a temporary file. */
static size_t distinct_words_block(char *text, size_t cap, int block) {
  size_t n = 0;
  for (int i = 0; i < 20000; i++)
    n += (size_t)snprintf(text + n, cap - n, "w%dx%d ", block, i);
  return n;
}

Test(words, summaries_without_a_temporary_file, .timeout = 120) {
  setenv("TMPDIR", "/nonexistent/quire-words-test", 1);
  size_t cap = 20000 * 16;
  char *text = malloc(cap);
  /* The builder says why. */
  q_wsum_builder *b;
  char msg[512];
  cr_assert_eq(q_wsum_builder_new(&b), QUIRE_OK);
  int status = QUIRE_OK, blocks = 0;
  while (status == QUIRE_OK && blocks < 400) {
    size_t n = distinct_words_block(text, cap, blocks++);
    status = q_wsum_builder_block(b, text, n, "", 0, msg);
  }
  cr_assert_eq(status, QUIRE_EIO, "after %d blocks", blocks);
  cr_assert(strstr(msg, "temporary file"), "%s", msg);
  q_wsum_builder_free(b);
  /* The writer writes the file without summaries. */
  char path[512];
  tu_tmp_path(path, sizeof path, "no-tmp.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 256 << 10), QUIRE_OK);
  for (int i = 0; i < 150; i++) {
    size_t n = distinct_words_block(text, cap, i);
    cr_assert_eq(tu_writer_add(w, "", 0, "", 0, "", 0, "", 0, "", 0, text, n),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_null(q_ext(c, QX_WORD_SUMMARIES));
  uint64_t n = 0;
  cr_assert_eq(count_term(c, "w149x19999", &n), QUIRE_OK);
  cr_assert_eq(n, 1);
  quire_corpus_free(c);
  unlink(path);
  free(text);
}

/* ---- word postings ----------------------------------------------------------
 */

/* Rare words of 3000 documents in several scripts, each written in a case
 * that changes with the document (the Kelvin sign folds to k). */
static const char *const rare_bases[][2] = {{"Ärger", "äRGER"},
                                            {"минск", "МИНСК"},
                                            {"σοφία", "ΣΟΦΊΑ"},
                                            {"\xe2\x84\xaa"
                                             "elvin",
                                             "kELVIN"}};

static void rare_word(char *out, size_t cap, int n, int variant) {
  snprintf(out, cap, "%s%d", rare_bases[n % 4][variant & 1], n);
}

/* The gen_corpus of postings_corpus: 3000 documents of 120 common words,
 * and in document i the words of about 3000 / 211 documents (number
 * 211000 + i % 211) and 3000 / 29 (29000 + i % 29), side by side, then one
 * of 3000 / 97 (97000 + i % 97), and in every 50th document a word of its
 * own (100000 + i). */
static void postings_corpus(gen_corpus *g, int summaries) {
  static const char *const sources[] = {"A", "B", "C"};
  uint64_t rng = 5;
  tu_tmp_path(g->path, sizeof g->path, "postings.quire");
  g->docs = 3000;
  g->titles = calloc(3000, sizeof(char *));
  g->texts = calloc(3000, sizeof(char *));
  g->sources = calloc(3000, sizeof(char *));
  quire_writer *w;
  cr_assert_eq(quire_writer_open(g->path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  cr_assert_eq(quire_writer_set_block_size(w, 4096), QUIRE_OK);
  cr_assert_eq(quire_writer_set_word_summaries(w, summaries), QUIRE_OK);
  for (int i = 0; i < 3000; i++) {
    char a[64], b[64], c[64], own[64];
    rare_word(a, sizeof a, 211000 + i % 211, i);
    rare_word(b, sizeof b, 29000 + i % 29, i / 3);
    rare_word(c, sizeof c, 97000 + i % 97, i / 7);
    rare_word(own, sizeof own, 100000 + i, i);
    char *common = make_text(&rng, 120);
    size_t cap = strlen(common) + 300;
    g->texts[i] = malloc(cap);
    snprintf(g->texts[i], cap, "%s %s %s. %s %s", common, a, b, c,
             i % 50 == 0 ? own : "");
    free(common);
    g->titles[i] = make_text(&rng, 1 + (int)(tu_rand(&rng) % 6));
    g->sources[i] = sources[i % 3];
    cr_assert_eq(tu_writer_add(w, g->sources[i], 1, "2020", 4, g->titles[i],
                               strlen(g->titles[i]), "", 0, "", 0, g->texts[i],
                               strlen(g->texts[i])),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
}

/* What the file's postings do for a filter of the one term. */
static int postings_use(quire_corpus *c, const char *term) {
  quire_filter *f;
  quire_filter_new(&f);
  cr_assert_eq(quire_filter_add_term(f, term, strlen(term)), QUIRE_OK);
  uint64_t *matches = NULL;
  int use = -1;
  cr_assert_eq(q_postings_restrict(c, q_filter_terms(f), &matches, &use),
               QUIRE_OK);
  free(matches);
  quire_filter_free(f);
  return use;
}

/* The first rare word of numbers from .. from + n whose postings use is
 * wanted, written in its other case; 0 when there is none. */
static int find_word(quire_corpus *c, int from, int n, int wanted, char *out,
                     size_t cap) {
  for (int k = from; k < from + n; k++) {
    rare_word(out, cap, k, 1);
    if (postings_use(c, out) == wanted)
      return 1;
  }
  return 0;
}

/* A word of the 97000 or 211000 ones that the postings do not list. */
static int unlisted_word(quire_corpus *c, char *out, size_t cap) {
  return find_word(c, 97000, 97, Q_POSTINGS_UNUSED, out, cap) ||
         find_word(c, 211000, 211, Q_POSTINGS_UNUSED, out, cap);
}

/* Writes postings_corpus, opens it, and finds one of its listed 211000
 * words (in listed, 64 bytes). */
static quire_corpus *open_postings_corpus(gen_corpus *g, char *listed) {
  postings_corpus(g, 1);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(g->path, &c), QUIRE_OK);
  cr_assert_not_null(q_ext(c, QX_WORD_POSTINGS), "postings were written");
  cr_assert(find_word(c, 211000, 211, Q_POSTINGS_EXACT, listed, 64));
  return c;
}

Test(words, postings_against_the_reference, .timeout = 300) {
  gen_corpus g;
  char own[64], listed[64], unlisted[64], common[64];
  quire_corpus *c = open_postings_corpus(&g, listed);
  /* The rarest words are listed first, as the budget allows: every word
   * of its own, then some of the 211000 words, and not all of the 97000
   * ones; the 29000 words are in too many documents. */
  for (int i = 0; i < 3000; i += 50) {
    rare_word(own, sizeof own, 100000 + i, 1);
    cr_assert_eq(postings_use(c, own), Q_POSTINGS_EXACT, "%s", own);
  }
  cr_assert(unlisted_word(c, unlisted, 64));
  cr_assert_not(find_word(c, 29000, 29, Q_POSTINGS_EXACT, common, 64));
  rare_word(common, sizeof common, 29005, 0);
  cr_log_info("listed %s, not listed %s", listed, unlisted);
  rare_word(own, sizeof own, 100000 + 1250, 0);
  const char *singles[] = {own,    listed,        unlisted,
                           common, "ärger100001", "kelvin211003"};
  for (size_t i = 0; i < COUNT(singles); i++)
    check_filter(&g, c, &singles[i], 1, NULL, 0, NULL);
  /* A phrase of a listed word and the word after it in its first
   * document (number i = k, as k < 211): narrowed, then checked. */
  char phrase[160], next[64];
  int k = atoi(listed + strlen(listed) - 6) - 211000;
  rare_word(next, sizeof next, 29000 + k % 29, 0);
  snprintf(phrase, sizeof phrase, "%s %s", listed, next);
  cr_assert_eq(postings_use(c, phrase), Q_POSTINGS_NARROWED, "%s", phrase);
  const char *p[] = {phrase};
  check_filter(&g, c, p, 1, NULL, 0, NULL);
  check_filter(&g, c, p, 1, NULL, 0, "B");
  const char *two[] = {listed, common};
  check_filter(&g, c, two, 2, NULL, 0, NULL);
  const char *any_listed[] = {own, listed};
  check_filter(&g, c, NULL, 0, any_listed, 2, NULL);
  check_filter(&g, c, NULL, 0, any_listed, 2, "C");
  const char *any_mixed[] = {listed, unlisted};
  check_filter(&g, c, NULL, 0, any_mixed, 2, NULL);
  const char *just_common[] = {common};
  check_filter(&g, c, just_common, 1, any_listed, 2, NULL);
  check_filter(&g, c, any_listed, 1, any_mixed, 2, "A");
  quire_corpus_free(c);
  gen_free(&g);
}

Test(words, postings_count_without_reading_blocks, .timeout = 120) {
  gen_corpus g;
  char listed[64], unlisted[64];
  quire_corpus *c = open_postings_corpus(&g, listed);
  cr_assert(unlisted_word(c, unlisted, 64));
  uint64_t want_listed, want_unlisted;
  cr_assert_eq(count_term(c, listed, &want_listed), QUIRE_OK);
  cr_assert_eq(count_term(c, unlisted, &want_unlisted), QUIRE_OK);
  cr_assert_geq(want_listed, 14);
  /* Every text block damaged: a listed word is still counted, and its
   * documents walked, from the postings; an unlisted one meets the damage. */
  size_t len;
  char *bytes = tu_read_file(g.path, &len);
  for (uint64_t b = 0; b < c->blocks; b++) {
    const uint8_t *rec = q_record(c, QS_BLOCKS, b, NULL);
    bytes[ld64(rec + QB_OFFSET) + 2] ^= 0x40;
  }
  quire_corpus *d;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &d), QUIRE_OK);
  uint64_t n = 0;
  cr_assert_eq(count_term(d, listed, &n), QUIRE_OK, "%s",
               quire_corpus_errmsg(d));
  cr_assert_eq(n, want_listed);
  quire_filter *f;
  quire_filter_new(&f);
  quire_filter_add_term(f, listed, strlen(listed));
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(d, f, &cur), QUIRE_OK);
  uint64_t rows = 0;
  while (quire_cursor_next(cur) == QUIRE_ROW) {
    cr_assert_eq(quire_cursor_doc(cur) % 211,
                 (uint64_t)(atoi(listed + strlen(listed) - 6) - 211000));
    rows++;
  }
  cr_assert_eq(rows, want_listed);
  quire_cursor_free(cur);
  quire_filter_free(f);
  cr_assert_eq(count_term(d, unlisted, &n), QUIRE_ECORRUPT);
  quire_corpus_free(d);
  free(bytes);
  quire_corpus_free(c);
  gen_free(&g);
}

Test(words, damaged_postings_fall_back_to_scanning, .timeout = 300) {
  gen_corpus g;
  char listed[64], own[64];
  quire_corpus *c = open_postings_corpus(&g, listed);
  const q_section *sec = q_ext(c, QX_WORD_POSTINGS);
  uint64_t start = sec->offset, size = sec->length;
  rare_word(own, sizeof own, 100000 + 2950, 0);
  const char *terms[] = {listed, own, "kelvin211003", "absentword"};
  uint64_t want[COUNT(terms)];
  for (size_t t = 0; t < COUNT(terms); t++)
    cr_assert_eq(count_term(c, terms[t], &want[t]), QUIRE_OK);
  cr_assert_eq(want[1], 1);
  quire_corpus_free(c);
  size_t len;
  char *clean = tu_read_file(g.path, &len);
  char *bytes = malloc(len);
  /* The head (magic, count, document count), the entries, the records and
   * the section's checksum table. */
  uint64_t at[] = {0,        9,        17,        24,       30,       200,
                   size / 3, size / 2, size - 10, size - 1, size + 1, size + 6};
  for (size_t i = 0; i < COUNT(at); i++) {
    memcpy(bytes, clean, len);
    bytes[start + at[i]] ^= 0x10;
    cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
    for (size_t t = 0; t < COUNT(terms); t++) {
      uint64_t n = 99;
      cr_assert_eq(count_term(c, terms[t], &n), QUIRE_OK,
                   "byte %llu flipped: %s: %s", (unsigned long long)at[i],
                   terms[t], quire_corpus_errmsg(c));
      cr_assert_eq(n, want[t], "byte %llu flipped: %s: %llu, not %llu",
                   (unsigned long long)at[i], terms[t], (unsigned long long)n,
                   (unsigned long long)want[t]);
    }
    quire_corpus_free(c);
  }
  free(bytes);
  free(clean);
  gen_free(&g);
}

Test(words, copied_blocks_leave_postings_out, .timeout = 120) {
  gen_corpus g;
  char listed[64], merged[512];
  quire_corpus *c = open_postings_corpus(&g, listed);
  tu_tmp_path(merged, sizeof merged, "postings-merged.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(merged, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_add_corpus(w, c), QUIRE_OK, "%s",
               quire_writer_errmsg(w));
  cr_assert_eq(quire_writer_add_corpus(w, c), QUIRE_OK);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  quire_corpus *m;
  cr_assert_eq(quire_corpus_open(merged, &m), QUIRE_OK);
  /* Its documents are renumbered: the postings would be wrong there. */
  cr_assert_null(q_ext(m, QX_WORD_POSTINGS));
  cr_assert_not_null(q_ext(m, QX_WORD_SUMMARIES));
  uint64_t one, two;
  cr_assert_eq(count_term(c, listed, &one), QUIRE_OK);
  cr_assert_eq(count_term(m, listed, &two), QUIRE_OK);
  cr_assert_eq(two, 2 * one);
  quire_corpus_free(m);
  quire_corpus_free(c);
  unlink(merged);
  gen_free(&g);
}
