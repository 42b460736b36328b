/*
 * test_damage.c: truncated, damaged and hostile corpus files, and salvage.
 *
 * A reference is read from the intact file: every field of every document,
 * the results of a few filters and two CSV exports. Each damaged copy is
 * then opened, iterated, filtered, exported and verified, and every answer
 * must be either the reference's or QUIRE_ECORRUPT (QUIRE_ENOTQUIRE or
 * QUIRE_EVERSION for the header) with a message naming the damaged part.
 * A wrong answer given as right fails the test at once. Outcomes are
 * counted and printed for TESTING.md.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hardening.h"
#include "internal.h"
#include "testutil.h"

/* ---- the reference ----------------------------------------------------------
 */

#define NFILTERS HD_FILTERS

typedef struct reference {
  size_t docs, sources;
  hd_bytes *fields; /* docs * 7: QUIRE_FIELD_ID .. QUIRE_FIELD_TEXT */
  int64_t *dates;
  int *precisions;
  int64_t *source_ids;
  uint64_t *text_lens;
  hd_bytes *source_names;
  uint64_t counts[NFILTERS];
  uint64_t *matches[NFILTERS]; /* the documents each filter selects */
  hd_bytes export_all, export_excel;
} reference;

static int export_bytes(const quire_corpus *c, int excel, hd_bytes *out,
                        char *msg) {
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  if (excel) {
    quire_filter *f = hd_make_filter(1);
    quire_export_set_filter(exp, f);
    quire_filter_free(f);
    quire_export_set_dialect(exp, QUIRE_CSV_EXCEL);
  }
  int status = quire_export_to_callback(exp, hd_collect, out);
  snprintf(msg, Q_MSG_CAP, "%s", quire_export_errmsg(exp));
  quire_export_free(exp);
  return status;
}

static void reference_read(const void *bytes, size_t len, reference *ref) {
  memset(ref, 0, sizeof *ref);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  ref->docs = quire_corpus_doc_count(c);
  ref->sources = quire_corpus_source_count(c);
  ref->fields = calloc(ref->docs * 7 + 1, sizeof *ref->fields);
  ref->dates = calloc(ref->docs + 1, sizeof *ref->dates);
  ref->precisions = calloc(ref->docs + 1, sizeof *ref->precisions);
  ref->source_ids = calloc(ref->docs + 1, sizeof *ref->source_ids);
  ref->text_lens = calloc(ref->docs + 1, sizeof *ref->text_lens);
  ref->source_names = calloc(ref->sources + 1, sizeof *ref->source_names);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  for (size_t i = 0; i < ref->docs; i++) {
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    ref->dates[i] = quire_cursor_date(cur);
    ref->precisions[i] = quire_cursor_date_precision(cur);
    ref->source_ids[i] = quire_cursor_source_id(cur);
    ref->text_lens[i] = quire_cursor_text_length(cur);
    for (int field = 0; field < 7; field++) {
      const char *data;
      size_t n;
      cr_assert_eq(quire_cursor_field(cur, field, &data, &n), QUIRE_OK);
      hd_bytes_put(&ref->fields[i * 7 + field], data, n);
    }
  }
  cr_assert_eq(quire_cursor_next(cur), QUIRE_DONE);
  quire_cursor_free(cur);
  for (size_t s = 0; s < ref->sources; s++) {
    const char *name;
    size_t n;
    cr_assert_eq(quire_corpus_source(c, s, &name, &n, NULL), QUIRE_OK);
    hd_bytes_put(&ref->source_names[s], name, n);
  }
  for (int k = 0; k < NFILTERS; k++) {
    quire_filter *f = hd_make_filter(k);
    cr_assert_eq(quire_corpus_count_matches(c, f, &ref->counts[k]), QUIRE_OK);
    ref->matches[k] = calloc(ref->counts[k] + 1, sizeof(uint64_t));
    cr_assert_eq(quire_cursor_open(c, f, &cur), QUIRE_OK);
    for (uint64_t m = 0; m < ref->counts[k]; m++) {
      cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
      ref->matches[k][m] = quire_cursor_doc(cur);
    }
    cr_assert_eq(quire_cursor_next(cur), QUIRE_DONE);
    quire_cursor_free(cur);
    quire_filter_free(f);
  }
  char msg[Q_MSG_CAP];
  cr_assert_eq(export_bytes(c, 0, &ref->export_all, msg), QUIRE_OK);
  cr_assert_eq(export_bytes(c, 1, &ref->export_excel, msg), QUIRE_OK);
  cr_assert_eq(quire_corpus_verify(c, NULL, NULL, NULL), QUIRE_OK);
  quire_corpus_free(c);
}

static void reference_free(reference *ref) {
  for (size_t i = 0; i < ref->docs * 7; i++)
    hd_bytes_free(&ref->fields[i]);
  for (size_t s = 0; s < ref->sources; s++)
    hd_bytes_free(&ref->source_names[s]);
  for (int k = 0; k < NFILTERS; k++)
    free(ref->matches[k]);
  free(ref->fields);
  free(ref->dates);
  free(ref->precisions);
  free(ref->source_ids);
  free(ref->text_lens);
  free(ref->source_names);
  hd_bytes_free(&ref->export_all);
  hd_bytes_free(&ref->export_excel);
}

/* ---- outcomes ------------------------------------------------------------ */

typedef struct tally {
  unsigned cases;
  unsigned refused;      /* open failed with a corrupt-file status */
  unsigned partial;      /* some reads failed cleanly, the rest were right */
  unsigned read_correct; /* every read was right; only verify saw damage */
  unsigned undetected;   /* every read right and verify said whole */
  unsigned errors;       /* clean errors returned, all operations */
} tally;

static void tally_print(const char *name, const tally *t) {
  fprintf(stderr,
          "damage %s: %u cases: %u refused at open, %u read in part "
          "(%u clean errors, the rest correct), %u read correctly with "
          "verify reporting the damage, %u undetected; 0 wrong answers\n",
          name, t->cases, t->refused, t->partial, t->errors, t->read_correct,
          t->undetected);
}

/* Counts a file that opened and was read with errors clean errors. */
static void tally_read(tally *t, unsigned errors) {
  if (errors)
    t->partial++;
  else
    t->read_correct++;
  t->errors += errors;
}

/* The case being run, for assertion messages. */
static char case_name[128];

/* A failed call must be a clean corrupt-file error naming the damage. */
static void expect_clean_error(int status, const char *msg, const char *op) {
  cr_assert_eq(status, QUIRE_ECORRUPT, "%s: %s returned %d (%s)", case_name, op,
               status, msg);
  cr_assert(hd_names_damage(msg), "%s: %s: message names no part: \"%s\"",
            case_name, op, msg);
}

/* ---- reading a damaged copy ---------------------------------------------- */

static void check_row(quire_cursor *cur, const reference *ref, uint64_t doc,
                      unsigned *errors) {
  cr_assert_eq(quire_cursor_date(cur), ref->dates[doc], "%s: doc %llu date",
               case_name, (unsigned long long)doc);
  cr_assert_eq(quire_cursor_date_precision(cur), ref->precisions[doc]);
  cr_assert_eq(quire_cursor_source_id(cur), ref->source_ids[doc]);
  cr_assert_eq(quire_cursor_text_length(cur), ref->text_lens[doc]);
  for (int field = 0; field < 7; field++) {
    const char *data;
    size_t n;
    int status = quire_cursor_field(cur, field, &data, &n);
    if (status != QUIRE_OK) {
      expect_clean_error(status, quire_cursor_errmsg(cur), "field");
      (*errors)++;
      continue;
    }
    const hd_bytes *want = &ref->fields[doc * 7 + field];
    cr_assert(n == want->len && memcmp(data, want->data, n) == 0,
              "%s: doc %llu field %d is wrong but was returned as right",
              case_name, (unsigned long long)doc, field);
  }
}

/* Every document in order: each either right or a clean error. */
static void read_all_docs(const quire_corpus *c, const reference *ref,
                          unsigned *errors) {
  quire_cursor *cur;
  int status = quire_cursor_open(c, NULL, &cur);
  cr_assert_eq(status, QUIRE_OK, "%s: %s", case_name, quire_cursor_errmsg(cur));
  uint64_t expect = 0;
  for (;;) {
    status = quire_cursor_next(cur);
    if (status == QUIRE_DONE)
      break;
    cr_assert_lt(expect, ref->docs, "%s: more documents than written",
                 case_name);
    if (status == QUIRE_ROW) {
      cr_assert_eq(quire_cursor_doc(cur), expect);
      check_row(cur, ref, expect, errors);
    } else {
      expect_clean_error(status, quire_cursor_errmsg(cur), "next");
      (*errors)++;
    }
    expect++;
  }
  cr_assert_eq(expect, ref->docs, "%s: iteration stopped at %llu", case_name,
               (unsigned long long)expect);
  quire_cursor_free(cur);
}

/* One filter: the count and the documents listed, each right or a clean
 * error. */
static void read_filter(const quire_corpus *c, const reference *ref, int k,
                        unsigned *errors) {
  quire_filter *f = hd_make_filter(k);
  uint64_t count;
  int status = quire_corpus_count_matches(c, f, &count);
  if (status == QUIRE_OK)
    cr_assert_eq(count, ref->counts[k], "%s: filter %d count", case_name, k);
  else {
    expect_clean_error(status, quire_corpus_errmsg(c), "count");
    (*errors)++;
  }
  quire_cursor *cur;
  status = quire_cursor_open(c, f, &cur);
  quire_filter_free(f);
  if (status != QUIRE_OK) {
    expect_clean_error(status, quire_cursor_errmsg(cur), "cursor_open");
    (*errors)++;
    /* A cursor that failed to open never walks, filter or no filter. */
    if (cur)
      cr_assert_eq(quire_cursor_next(cur), QUIRE_ESTATE,
                   "%s: a cursor that failed to open still moved", case_name);
    quire_cursor_free(cur);
    return;
  }
  uint64_t at = 0, seen = 0;
  while ((status = quire_cursor_next(cur)) != QUIRE_DONE) {
    cr_assert_lt(seen, ref->counts[k], "%s: filter %d lists too many",
                 case_name, k);
    seen++;
    if (status != QUIRE_ROW) {
      expect_clean_error(status, quire_cursor_errmsg(cur), "filtered next");
      (*errors)++;
      continue;
    }
    /* The rows listed are the reference's, in order, minus failed ones. */
    uint64_t doc = quire_cursor_doc(cur);
    while (at < ref->counts[k] && ref->matches[k][at] != doc)
      at++;
    cr_assert_lt(at, ref->counts[k], "%s: filter %d lists doc %llu wrongly",
                 case_name, k, (unsigned long long)doc);
    at++;
    const char *text;
    size_t n;
    status = quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &n);
    if (status == QUIRE_OK) {
      const hd_bytes *want = &ref->fields[doc * 7 + QUIRE_FIELD_TEXT];
      cr_assert(n == want->len && memcmp(text, want->data, n) == 0);
    } else {
      expect_clean_error(status, quire_cursor_errmsg(cur), "filtered text");
      (*errors)++;
    }
  }
  cr_assert_eq(seen, ref->counts[k], "%s: filter %d listed %llu of %llu",
               case_name, k, (unsigned long long)seen,
               (unsigned long long)ref->counts[k]);
  quire_cursor_free(cur);
}

/* An export either equals the reference or stops with a clean error after
 * writing a prefix of it: nothing wrong is ever written. */
static void read_export(const quire_corpus *c, int excel, const hd_bytes *want,
                        unsigned *errors) {
  hd_bytes got = {0};
  char msg[Q_MSG_CAP];
  int status = export_bytes(c, excel, &got, msg);
  if (status == QUIRE_OK) {
    cr_assert(hd_same(got.data, got.len, want->data, want->len),
              "%s: export differs but succeeded", case_name);
  } else {
    expect_clean_error(status, msg, "export");
    cr_assert(got.len <= want->len &&
                  (got.len == 0 || !memcmp(got.data, want->data, got.len)),
              "%s: a failed export wrote bytes the intact one does not",
              case_name);
    (*errors)++;
  }
  hd_bytes_free(&got);
}

/* Checks each verify report line names a part. */
static int check_report_line(void *ctx, const char *data, size_t len) {
  (void)ctx;
  char line[Q_MSG_CAP + 8];
  snprintf(line, sizeof line, "%.*s", (int)len, data);
  cr_assert(len > 0 && data[len - 1] == '\n', "%s: report line unterminated",
            case_name);
  cr_assert(hd_names_damage(line), "%s: verify line names no part: %s",
            case_name, line);
  return 0;
}

/* What a case's damage must make verify report. */
enum { MAY_PASS, DETECT, ONE_PART };

/* Opens, reads, filters, exports and verifies bytes; counts the outcome.
 * expect: MAY_PASS when the bytes may equal the written file, DETECT when
 * they differ in a checked part, so that verify must not call the file
 * whole, ONE_PART when one byte differs, which verify must report as
 * exactly one damaged part. */
static void exercise(const uint8_t *bytes, size_t len, const reference *ref,
                     tally *t, int expect) {
  t->cases++;
  quire_corpus *c;
  int status = quire_corpus_open_buffer(bytes, len, &c);
  if (status != QUIRE_OK) {
    cr_assert(status == QUIRE_ECORRUPT || status == QUIRE_ENOTQUIRE ||
                  status == QUIRE_EVERSION,
              "%s: open returned %d (%s)", case_name, status,
              quire_corpus_errmsg(c));
    cr_assert(hd_names_damage(quire_corpus_errmsg(c)),
              "%s: open message names no part: \"%s\"", case_name,
              quire_corpus_errmsg(c));
    cr_assert_eq(quire_corpus_doc_count(c), 0);
    quire_corpus_free(c);
    t->refused++;
    return;
  }
  cr_assert_eq(quire_corpus_doc_count(c), ref->docs, "%s", case_name);
  cr_assert_eq(quire_corpus_source_count(c), ref->sources, "%s", case_name);
  unsigned errors = 0;
  read_all_docs(c, ref, &errors);
  for (size_t s = 0; s < ref->sources; s++) {
    const char *name;
    size_t n;
    status = quire_corpus_source(c, s, &name, &n, NULL);
    if (status == QUIRE_OK)
      cr_assert(n == ref->source_names[s].len &&
                !memcmp(name, ref->source_names[s].data, n));
    else {
      expect_clean_error(status, quire_corpus_errmsg(c), "source");
      errors++;
    }
  }
  for (int k = 0; k < NFILTERS; k++)
    read_filter(c, ref, k, &errors);
  read_export(c, 0, &ref->export_all, &errors);
  read_export(c, 1, &ref->export_excel, &errors);
  uint64_t damaged = 0;
  status = quire_corpus_verify(c, &damaged, check_report_line, NULL);
  if (status == QUIRE_OK) {
    cr_assert_eq(errors, 0, "%s: reads failed but verify says whole",
                 case_name);
    cr_assert_eq(expect, MAY_PASS, "%s: verify missed the damage", case_name);
    t->undetected++;
  } else {
    cr_assert_eq(status, QUIRE_ECORRUPT, "%s: verify returned %d", case_name,
                 status);
    cr_assert_gt(damaged, 0);
    cr_assert(expect != ONE_PART || damaged == 1,
              "%s: one damaged byte reported as %llu damaged parts", case_name,
              (unsigned long long)damaged);
    cr_assert(hd_names_damage(quire_corpus_errmsg(c)), "%s: \"%s\"", case_name,
              quire_corpus_errmsg(c));
    tally_read(t, errors);
  }
  quire_corpus_free(c);
}

/* ---- the corpora --------------------------------------------------------- */

/* A multi-block corpus: many small text blocks, several metadata blocks and
 * sections of several chunks. */
static uint8_t *generated_corpus(size_t *len, int order) {
  char path[512], msg[512];
  tu_tmp_path(path, sizeof path, "damage-gen.quire");
  int status = hd_write_generated(path, 700, 7, order, 4096, 1, msg);
  cr_assert_eq(status, QUIRE_OK, "%s", msg);
  uint8_t *bytes = (uint8_t *)tu_read_file(path, len);
  cr_assert_not_null(bytes);
  unlink(path);
  HD_COVERS_CODEC(bytes, *len);
  return bytes;
}

/* The real sample, packed; NULL (test skipped) when it is absent. */
static uint8_t *seeds_corpus(size_t *len) {
  char path[512], msg[512];
  tu_tmp_path(path, sizeof path, "damage-seeds.quire");
  int status = hd_pack_seeds(tu_seeds_dir(), path, QUIRE_ORDER_CLUSTERED, msg);
  if (status == QUIRE_ENOTFOUND) {
    /* Not cr_log_warn: Criterion 2.4 exits 1 when a test that logged a
     * warning is then skipped. */
    fprintf(stderr, "../shared/seeds is not there: skipping the seeds "
                    "damage test\n");
    return NULL;
  }
  cr_assert_eq(status, QUIRE_OK, "%s", msg);
  uint8_t *bytes = (uint8_t *)tu_read_file(path, len);
  cr_assert_not_null(bytes);
  unlink(path);
  return bytes;
}

/* Where each part of a corpus lies, from its footer and block tables. */
typedef struct part {
  uint64_t start, end; /* [start, end) */
  char name[48];
} part;

static size_t list_parts(const uint8_t *bytes, size_t len, part *parts,
                         size_t cap) {
  static const char *const names[QS_COUNT] = QS_NAMES_LIST;
  const uint8_t *f = bytes + len - QF_FOOTER_SIZE;
  size_t n = 0;
  parts[n++] = (part){0, QF_HEADER_SIZE, "header"};
  parts[n++] = (part){len - QF_FOOTER_SIZE, len, "footer"};
  for (int s = 0; s < QS_COUNT; s++) {
    const uint8_t *e = f + QFT_SECTIONS + s * QF_SECTION_ENTRY;
    uint64_t off = ld64(e), length = ld64(e + 8);
    uint64_t chunks = (length + QF_CHUNK - 1) / QF_CHUNK;
    for (uint64_t k = 0; k < chunks && n + 2 < cap; k++) {
      uint64_t end = off + (k + 1) * QF_CHUNK;
      parts[n] = (part){off + k * QF_CHUNK,
                        end < off + length ? end : off + length, ""};
      snprintf(parts[n++].name, 48, "%s chunk %llu", names[s],
               (unsigned long long)k);
    }
    if (chunks && n + 1 < cap) {
      parts[n] = (part){off + length, off + length + chunks * 4, ""};
      snprintf(parts[n++].name, 48, "%s checksums", names[s]);
    }
  }
  for (int s = QS_BLOCKS; s <= QS_META_BLOCKS; s++) {
    const uint8_t *e = f + QFT_SECTIONS + s * QF_SECTION_ENTRY;
    uint64_t off = ld64(e), length = ld64(e + 8), width = ld32(e + 16);
    for (uint64_t r = 0; r * width < length && n < cap; r++) {
      const uint8_t *rec = bytes + off + r * width;
      uint64_t at = ld64(rec + QB_OFFSET);
      parts[n] = (part){at, at + ld32(rec + QB_CSIZE), ""};
      snprintf(parts[n++].name, 48, "%s %llu",
               s == QS_BLOCKS ? "text block" : "metadata block",
               (unsigned long long)r);
    }
  }
  return n;
}

#define MAX_PARTS 4096

/* ---- truncation ---------------------------------------------------------- */

static void truncate_everywhere(const uint8_t *bytes, size_t len,
                                const reference *ref, tally *t) {
  part *parts = calloc(MAX_PARTS, sizeof *parts);
  size_t n = list_parts(bytes, len, parts, MAX_PARTS);
  uint8_t *copy = malloc(len);
  uint64_t seed = 42;
  /* Every part boundary, then random offsets and the last bytes. */
  for (size_t i = 0; i < n + 200 + 40; i++) {
    uint64_t cut = i < n         ? parts[i].start
                   : i < n + 200 ? hd_rand(&seed) % len
                                 : len - 1 - (i - n - 200) * 8;
    for (int fix = 0; fix < 2; fix++) {
      memcpy(copy, bytes, cut);
      /* Second pass: the header is made to agree with the cut, as a
       * hostile or confused tool might; the footer must still be missed. */
      if (fix && cut >= QF_HEADER_SIZE) {
        st64(copy + QH_FILE_SIZE, cut);
        st32(copy + QH_CRC, q_crc32(copy, QH_CRC));
      }
      snprintf(case_name, sizeof case_name, "cut at %llu%s (%s)",
               (unsigned long long)cut, fix ? ", header fixed" : "",
               i < n ? parts[i].name : "random");
      unsigned refused = t->refused;
      exercise(copy, (size_t)cut, ref, t, DETECT);
      cr_assert_eq(t->refused, refused + 1, "%s: a truncated file opened",
                   case_name);
    }
  }
  free(copy);
  free(parts);
}

/* ---- flipped bytes ------------------------------------------------------- */

static void flip_case(uint8_t *copy, size_t len, uint64_t at, uint8_t mask,
                      const char *part_name, const reference *ref, tally *t) {
  copy[at] ^= mask;
  snprintf(case_name, sizeof case_name, "flip 0x%02x at %llu (%s)", mask,
           (unsigned long long)at, part_name);
  exercise(copy, len, ref, t, ONE_PART);
  copy[at] ^= mask;
}

/* The first, middle and last byte of every part, with varied masks. */
static void flip_every_part(const uint8_t *bytes, size_t len,
                            const reference *ref, tally *t) {
  static const uint8_t masks[] = {0x01, 0x80, 0xFF, 0x10};
  part *parts = calloc(MAX_PARTS, sizeof *parts);
  size_t n = list_parts(bytes, len, parts, MAX_PARTS);
  uint8_t *copy = malloc(len);
  memcpy(copy, bytes, len);
  for (size_t i = 0; i < n; i++) {
    if (parts[i].end <= parts[i].start)
      continue;
    uint64_t at[3] = {parts[i].start, (parts[i].start + parts[i].end) / 2,
                      parts[i].end - 1};
    for (int k = 0; k < 3; k++)
      flip_case(copy, len, at[k], masks[(i + k) % 4], parts[i].name, ref, t);
  }
  free(copy);
  free(parts);
}

/* Every byte of [from, to) in turn, one bit each. */
static void flip_range(const uint8_t *bytes, size_t len, uint64_t from,
                       uint64_t to, const char *name, const reference *ref,
                       tally *t) {
  uint8_t *copy = malloc(len);
  memcpy(copy, bytes, len);
  for (uint64_t i = from; i < to; i++)
    flip_case(copy, len, i, (uint8_t)(1u << (i % 8)), name, ref, t);
  free(copy);
}

/* Every single byte of the header and footer. */
static void flip_header_and_footer(const uint8_t *bytes, size_t len,
                                   const reference *ref, tally *t) {
  flip_range(bytes, len, 0, QF_HEADER_SIZE, "header", ref, t);
  flip_range(bytes, len, len - QF_FOOTER_SIZE, len, "footer", ref, t);
}

/* Bad sectors and garbage: a run of bytes zeroed or randomised. */
static void smash_randomly(const uint8_t *bytes, size_t len,
                           const reference *ref, tally *t, int cases) {
  uint8_t *copy = malloc(len);
  uint64_t seed = 1234;
  for (int i = 0; i < cases; i++) {
    memcpy(copy, bytes, len);
    uint64_t at = hd_rand(&seed) % len;
    size_t run = i % 2 ? 512 : 1 + hd_rand(&seed) % 16;
    if (run > len - at)
      run = len - at;
    int changed = 0;
    for (size_t k = 0; k < run; k++) {
      uint8_t v = i % 2 ? 0 : (uint8_t)hd_rand(&seed);
      changed |= copy[at + k] != v;
      copy[at + k] = v;
    }
    snprintf(case_name, sizeof case_name, "%s %zu bytes at %llu",
             i % 2 ? "zeroed" : "garbage in", run, (unsigned long long)at);
    exercise(copy, len, ref, t, changed ? DETECT : MAY_PASS);
  }
  free(copy);
}

/* ---- the tests ----------------------------------------------------------- */

enum { TRUNCATE = 1, FLIP_ENDS = 2, FLIP_PARTS = 4, FLIP_ALL = 8, SMASH = 16 };
enum { GENERATED, GENERATED_INPUT_ORDER, SEEDS };

/* Damages copies of a corpus (which: one of the enum above) in the ways
 * kinds names, each case held to the intact file's reference, and prints
 * the outcomes. */
static void damage_run(const char *name, int which, int kinds) {
  size_t len;
  uint8_t *bytes =
      which == SEEDS
          ? seeds_corpus(&len)
          : generated_corpus(&len, which == GENERATED ? QUIRE_ORDER_CLUSTERED
                                                      : QUIRE_ORDER_INPUT);
  if (!bytes)
    cr_skip_test("seeds absent");
  reference ref;
  reference_read(bytes, len, &ref);
  tally t = {0};
  if (kinds & TRUNCATE)
    truncate_everywhere(bytes, len, &ref, &t);
  if (kinds & FLIP_ENDS)
    flip_header_and_footer(bytes, len, &ref, &t);
  if (kinds & FLIP_PARTS)
    flip_every_part(bytes, len, &ref, &t);
  if (kinds & FLIP_ALL)
    flip_range(bytes, len, 0, len, "every byte", &ref, &t);
  if (kinds & SMASH)
    smash_randomly(bytes, len, &ref, &t, 100);
  tally_print(name, &t);
  /* Every byte of a corpus is under a checksum: verify misses nothing. */
  cr_assert_eq(t.undetected, 0);
  reference_free(&ref);
  free(bytes);
}

Test(damage, truncated_generated_corpus, .timeout = 300) {
  damage_run("truncated generated corpus", GENERATED, TRUNCATE);
}

Test(damage, truncated_seeds_corpus, .timeout = 300) {
  damage_run("truncated seeds corpus", SEEDS, TRUNCATE);
}

Test(damage, flipped_bytes_in_generated_corpus, .timeout = 600) {
  damage_run("flipped bytes in generated corpus", GENERATED,
             FLIP_ENDS | FLIP_PARTS | SMASH);
}

Test(damage, flipped_bytes_in_input_order_corpus, .timeout = 600) {
  damage_run("flipped bytes in input-order corpus", GENERATED_INPUT_ORDER,
             FLIP_PARTS);
}

/* The real sample is small: every byte of it is flipped in turn. */
Test(damage, every_byte_of_seeds_corpus_flipped, .timeout = 600) {
  damage_run("every byte of the seeds corpus flipped", SEEDS, FLIP_ALL | SMASH);
}

/* ---- hostile files: edits with every checksum made to match -------------- */

/* Values that test the bounds checks of a u32 or u64 field. */
static uint64_t edge_value(int k, uint64_t was) {
  static const uint64_t edges[] = {
      0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFFE, UINT64_MAX, 1ull << 40, 4096};
  if (k < 8)
    return edges[k];
  return k == 8 ? was + 1 : was - 1;
}

/* Edits one field of one record with checksums fixed: the reader cannot
 * see the edit as damage, so answers may differ; what is checked is that
 * nothing crashes, reads out of bounds (ASan), hangs or allocates without
 * bound, and that every failure is a clean status. */
static void hostile_case(const uint8_t *bytes, size_t len, uint64_t at,
                         int width, int k, tally *t) {
  uint8_t *copy = malloc(len);
  memcpy(copy, bytes, len);
  uint64_t was = width == 8   ? ld64(copy + at)
                 : width == 4 ? ld32(copy + at)
                              : copy[at];
  uint64_t v = edge_value(k, was);
  if (width == 8)
    st64(copy + at, v);
  else if (width == 4)
    st32(copy + at, (uint32_t)v);
  else
    copy[at] = (uint8_t)v;
  hd_fix_checksums(copy, len, HD_FIX_HEADER | HD_FIX_SECTIONS | HD_FIX_BLOCKS);
  t->cases++;
  quire_corpus *c;
  int status = quire_corpus_open_buffer(copy, len, &c);
  if (status != QUIRE_OK) {
    cr_assert(status == QUIRE_ECORRUPT || status == QUIRE_EVERSION,
              "hostile edit at %llu: open returned %d", (unsigned long long)at,
              status);
    t->refused++;
  } else {
    unsigned errors = 0;
    quire_cursor *cur;
    if (quire_cursor_open(c, NULL, &cur) == QUIRE_OK) {
      int s;
      while ((s = quire_cursor_next(cur)) != QUIRE_DONE) {
        cr_assert(s == QUIRE_ROW || s == QUIRE_ECORRUPT);
        if (s != QUIRE_ROW) {
          errors++;
          continue;
        }
        for (int field = 0; field < 7; field++) {
          const char *data;
          size_t n;
          s = quire_cursor_field(cur, field, &data, &n);
          cr_assert(s == QUIRE_OK || s == QUIRE_ECORRUPT,
                    "hostile edit at %llu: field %d returned %d",
                    (unsigned long long)at, field, s);
          if (s == QUIRE_OK)
            cr_assert_eq(data[n], '\0');
          else
            errors++;
        }
      }
    } else
      errors++;
    quire_cursor_free(cur);
    for (int k2 = 0; k2 < NFILTERS; k2++) {
      quire_filter *f = hd_make_filter(k2);
      uint64_t count;
      int s = quire_corpus_count_matches(c, f, &count);
      cr_assert(s == QUIRE_OK || s == QUIRE_ECORRUPT);
      hd_bytes out = {0};
      quire_export *exp;
      quire_export_new(c, &exp);
      quire_export_set_filter(exp, f);
      s = quire_export_to_callback(exp, hd_collect, &out);
      cr_assert(s == QUIRE_OK || s == QUIRE_ECORRUPT,
                "hostile edit at %llu: export returned %d",
                (unsigned long long)at, s);
      errors += s != QUIRE_OK;
      quire_export_free(exp);
      hd_bytes_free(&out);
      quire_filter_free(f);
    }
    status = quire_corpus_verify(c, NULL, NULL, NULL);
    cr_assert(status == QUIRE_OK || status == QUIRE_ECORRUPT);
    tally_read(t, errors);
  }
  quire_corpus_free(c);
  free(copy);
}

/* Every field of the first, a middle and the last record of every section,
 * and the footer's counts and section table, set to edge values. */
/* The largest single allocation the library asked for: what a hostile
 * file can make it allocate must stay bounded by the file's size. */
static size_t largest_allocation;

static void *tracking_malloc(void *ctx, size_t size) {
  (void)ctx;
  if (size > largest_allocation)
    largest_allocation = size;
  return malloc(size);
}

static void *tracking_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  if (size > largest_allocation)
    largest_allocation = size;
  return realloc(ptr, size);
}

static void tracking_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

Test(damage, hostile_edits_with_valid_checksums, .timeout = 600) {
  size_t len;
  uint8_t *bytes = generated_corpus(&len, QUIRE_ORDER_CLUSTERED);
  const uint8_t *f = bytes + len - QF_FOOTER_SIZE;
  tally t = {0};
  cr_assert_eq(quire_set_allocator(tracking_malloc, tracking_realloc,
                                   tracking_free, NULL),
               QUIRE_OK);
  for (uint64_t field = QFT_DOCS; field < QFT_CRC; field += 8)
    for (int k = 0; k < 10; k++)
      hostile_case(bytes, len, len - QF_FOOTER_SIZE + field, 8, k, &t);
  static const int field_widths[QS_COUNT][16] = {
      {1},                                  /* names: one byte */
      {8, 8, 4, 4},                         /* sources */
      {4},                                  /* source lists */
      {4},                                  /* date index */
      {8, 4, 4, 4, 4, 4, 1, 1, 2},          /* docs */
      {8, 4, 4, 4, 4, 4, 4, 8, 8, 4, 4, 8}, /* blocks */
      {8, 4, 4, 4, 4, 4, 4, 4}};            /* metadata blocks */
  for (int s = 0; s < QS_COUNT; s++) {
    const uint8_t *e = f + QFT_SECTIONS + s * QF_SECTION_ENTRY;
    uint64_t off = ld64(e), length = ld64(e + 8), width = ld32(e + 16);
    uint64_t records = length / width;
    uint64_t pick[3] = {0, records / 2, records ? records - 1 : 0};
    for (int p = 0; p < 3 && records; p++) {
      uint64_t at = off + pick[p] * width;
      for (int fi = 0; fi < 16 && field_widths[s][fi]; fi++) {
        int w = field_widths[s][fi];
        for (int k = 0; k < 10; k++)
          hostile_case(bytes, len, at, w, k, &t);
        at += (uint64_t)w;
      }
    }
  }
  quire_set_allocator(NULL, NULL, NULL, NULL);
  /* DEFLATE expands at most QF_MAX_RATIO times: no block of this file can
   * honestly need more, whatever its table claims. */
  cr_assert_leq(largest_allocation, (size_t)len * QF_MAX_RATIO,
                "a %zu-byte file made the library allocate %zu bytes at once",
                len, largest_allocation);
  fprintf(stderr,
          "damage hostile edits (checksums fixed): %u cases: %u refused at "
          "open, %u read with %u clean errors, %u read without error; no "
          "crash; largest allocation %zu bytes for a %zu-byte file\n",
          t.cases, t.refused, t.partial, t.errors, t.read_correct,
          largest_allocation, len);
  free(bytes);
}

/* ---- salvage ------------------------------------------------------------- */

typedef struct loss_report {
  unsigned lines;
  hd_bytes text;
} loss_report;

static int collect_loss(void *ctx, const char *data, size_t len) {
  loss_report *r = ctx;
  r->lines++;
  hd_bytes_put(&r->text, data, len);
  return 0;
}

/* Salvages a damaged copy and checks the result: every document outside
 * lost_first..lost_first+lost_n-1 kept, in order, identical; the output
 * verifies clean. */
static void salvage_and_check(const uint8_t *damaged, size_t len,
                              const reference *ref, uint64_t lost_first,
                              uint64_t lost_n) {
  char in[512], out[512];
  tu_tmp_path(in, sizeof in, "salvage-in.quire");
  tu_tmp_path(out, sizeof out, "salvage-out.quire");
  cr_assert_eq(tu_write_file(in, damaged, len), 0);
  uint64_t kept = 0, lost = 0;
  loss_report r = {0};
  int status = quire_salvage(in, out, &kept, &lost, collect_loss, &r);
  cr_assert_eq(status, QUIRE_OK, "salvage returned %d", status);
  cr_assert_eq(lost, lost_n, "lost %llu, expected %llu (%s)",
               (unsigned long long)lost, (unsigned long long)lost_n,
               r.text.data ? r.text.data : "");
  cr_assert_eq(kept, ref->docs - lost_n);
  cr_assert_eq(r.lines, lost_n);
  for (uint64_t d = lost_first; d < lost_first + lost_n; d++) {
    char want[64];
    snprintf(want, sizeof want, "document %llu lost: ", (unsigned long long)d);
    cr_assert(strstr(r.text.data, want), "no report of %s", want);
  }
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(out, &c), QUIRE_OK, "%s",
               quire_corpus_errmsg(c));
  cr_assert_eq(quire_corpus_verify(c, NULL, NULL, NULL), QUIRE_OK);
  cr_assert_eq(quire_corpus_doc_count(c), kept);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  for (uint64_t d = 0; d < ref->docs; d++) {
    if (d >= lost_first && d < lost_first + lost_n)
      continue;
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    for (int field = QUIRE_FIELD_SOURCE; field <= QUIRE_FIELD_TEXT; field++) {
      const char *data;
      size_t n;
      cr_assert_eq(quire_cursor_field(cur, field, &data, &n), QUIRE_OK);
      const hd_bytes *want = &ref->fields[d * 7 + field];
      cr_assert(n == want->len && !memcmp(data, want->data, n),
                "salvaged doc %llu field %d differs", (unsigned long long)d,
                field);
    }
  }
  cr_assert_eq(quire_cursor_next(cur), QUIRE_DONE);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  hd_bytes_free(&r.text);
  unlink(in);
  unlink(out);
}

/* The record of block b of section s (text or metadata blocks). */
static const uint8_t *block_record(const uint8_t *bytes, size_t len, int s,
                                   uint64_t b) {
  const uint8_t *e =
      bytes + len - QF_FOOTER_SIZE + QFT_SECTIONS + s * QF_SECTION_ENTRY;
  return bytes + ld64(e) + b * ld32(e + 16);
}

/* Damages one part of an intact input-order corpus and stores which
 * documents that loses: lost_n from lost_first. */
typedef void (*damage_fn)(uint8_t *bytes, size_t len, uint64_t *lost_first,
                          uint64_t *lost_n);

static void salvage_case(damage_fn damage) {
  size_t len;
  uint8_t *bytes = generated_corpus(&len, QUIRE_ORDER_INPUT);
  reference ref;
  reference_read(bytes, len, &ref);
  uint64_t first, n;
  damage(bytes, len, &first, &n);
  cr_assert_gt(n, 0);
  salvage_and_check(bytes, len, &ref, first, n);
  reference_free(&ref);
  free(bytes);
}

/* A byte in the middle of text block (s QS_BLOCKS) or metadata block (s
 * QS_META_BLOCKS) number blocks / 3: its documents are lost. */
static void damage_block(uint8_t *bytes, size_t len, int s, uint64_t *first,
                         uint64_t *n) {
  uint64_t blocks = ld64(bytes + len - QF_FOOTER_SIZE + QFT_BLOCKS);
  cr_assert_gt(blocks, 10);
  const uint8_t *rec = block_record(bytes, len, s, blocks / 3);
  *first = ld32(rec + QB_FIRST_DOC);
  *n = ld32(rec + QB_DOCS);
  bytes[ld64(rec + QB_OFFSET) + ld32(rec + QB_CSIZE) / 2] ^= 0x40;
}

static void damage_text_block(uint8_t *bytes, size_t len, uint64_t *first,
                              uint64_t *n) {
  damage_block(bytes, len, QS_BLOCKS, first, n);
}

static void damage_metadata_block(uint8_t *bytes, size_t len, uint64_t *first,
                                  uint64_t *n) {
  damage_block(bytes, len, QS_META_BLOCKS, first, n);
}

/* Chunk 2 of the document table: the rows overlapping its bytes are lost. */
static void damage_row_chunk(uint8_t *bytes, size_t len, uint64_t *first,
                             uint64_t *n) {
  const uint8_t *e =
      bytes + len - QF_FOOTER_SIZE + QFT_SECTIONS + QS_DOCS * QF_SECTION_ENTRY;
  bytes[ld64(e) + 2 * QF_CHUNK + 100] ^= 0x08;
  uint64_t width = ld32(e + 16);
  *first = 2 * QF_CHUNK / width;
  *n = (3 * QF_CHUNK - 1) / width - *first + 1;
}

Test(salvage, one_damaged_text_block_loses_only_its_documents) {
  salvage_case(damage_text_block);
}

Test(salvage, one_damaged_metadata_block_loses_only_its_documents) {
  salvage_case(damage_metadata_block);
}

Test(salvage, damaged_document_table_chunk_loses_only_its_rows) {
  salvage_case(damage_row_chunk);
}

Test(salvage, unusable_footer_recovers_nothing_and_writes_nothing) {
  size_t len;
  uint8_t *bytes = generated_corpus(&len, QUIRE_ORDER_INPUT);
  bytes[len - QF_FOOTER_SIZE + QFT_DOCS] ^= 0x01;
  char in[512], out[512];
  tu_tmp_path(in, sizeof in, "salvage-bad-in.quire");
  tu_tmp_path(out, sizeof out, "salvage-bad-out.quire");
  cr_assert_eq(tu_write_file(in, bytes, len), 0);
  uint64_t kept = 1, lost = 1;
  cr_assert_eq(quire_salvage(in, out, &kept, &lost, NULL, NULL),
               QUIRE_ECORRUPT);
  cr_assert_eq(kept, 0);
  cr_assert_not(tu_exists(out), "salvage left a file behind");
  unlink(in);
  free(bytes);
}

/* ---- files that are not files -------------------------------------------- */

/* A FIFO named as a corpus or as a text file in a manifest was once opened
 * blocking, and waited forever for a writer. */
Test(damage, a_fifo_is_refused_not_waited_on, .timeout = 20) {
  char dir[512], fifo[600], csv[600], out[600];
  tu_tmp_path(dir, sizeof dir, "fifo");
  cr_assert_eq(mkdir(dir, 0755), 0);
  snprintf(fifo, sizeof fifo, "%s/pipe", dir);
  snprintf(csv, sizeof csv, "%s/manifest.csv", dir);
  snprintf(out, sizeof out, "%s/out.quire", dir);
  cr_assert_eq(mkfifo(fifo, 0644), 0);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(fifo, &c), QUIRE_EIO);
  cr_assert(strstr(quire_corpus_errmsg(c), "not a regular file"), "%s",
            quire_corpus_errmsg(c));
  quire_corpus_free(c);
  cr_assert_eq(tu_write_file(csv, "file,title\npipe,t\n", 18), 0);
  quire_writer *w;
  quire_import *imp;
  cr_assert_eq(quire_writer_open(out, &w), QUIRE_OK);
  cr_assert_eq(quire_import_new(&imp), QUIRE_OK);
  cr_assert_eq(quire_import_csv_path(imp, w, csv), QUIRE_EIO);
  cr_assert(strstr(quire_import_errmsg(imp), "not a regular file"), "%s",
            quire_import_errmsg(imp));
  quire_import_free(imp);
  quire_writer_free(w);
  cr_assert_not(tu_exists(out));
  unlink(fifo);
  unlink(csv);
  rmdir(dir);
}

/* ---- records across two checksummed chunks ------------------------------- */

/* Records are read through an inline path that trusts a chunk already found
 * good (reader.h, q_record()). A source record is 24 bytes, so record 170
 * starts in the table's first 4 KiB chunk and ends in the second: damage in
 * its second half must be found even after the first chunk was checked. */
Test(damage, a_record_across_two_chunks_is_checked_in_both) {
  enum { SOURCES = 200, SPLIT = QF_CHUNK / QSRC_SIZE };
  cr_assert_eq(SPLIT, 170);
  char path[512];
  tu_tmp_path(path, sizeof path, "span.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  for (int i = 0; i < SOURCES; i++) {
    char source[32];
    int n = snprintf(source, sizeof source, "source %03d", i);
    cr_assert_eq(tu_writer_add(w, source, (size_t)n, "2020-01-02", 10, "t", 1,
                               "", 0, "", 0, "text", 4),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);

  size_t size;
  uint8_t *file = (uint8_t *)tu_read_file(path, &size);
  cr_assert_not_null(file);
  const uint8_t *entry = file + size - QF_FOOTER_SIZE + QFT_SECTIONS +
                         QS_SOURCES * QF_SECTION_ENTRY;
  cr_assert_eq(ld64(entry + QSE_LENGTH), (uint64_t)SOURCES * QSRC_SIZE);
  uint64_t second_half = ld64(entry + QSE_OFFSET) + QF_CHUNK + 2;
  file[second_half] ^= 0x40; /* inside record 170, in the second chunk */

  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(file, size, &c), QUIRE_OK, "%s",
               quire_corpus_errmsg(c));
  const char *name;
  size_t len;
  cr_assert_eq(quire_corpus_source(c, SPLIT - 1, &name, &len, NULL), QUIRE_OK,
               "%s", quire_corpus_errmsg(c));
  cr_assert_eq(quire_corpus_source(c, SPLIT, &name, &len, NULL), QUIRE_ECORRUPT,
               "record %d was read past its damaged half", SPLIT);
  cr_assert(strstr(quire_corpus_errmsg(c), "checksum"), "%s",
            quire_corpus_errmsg(c));
  cr_assert_eq(quire_corpus_source(c, SPLIT - 2, &name, &len, NULL), QUIRE_OK,
               "%s", quire_corpus_errmsg(c));
  quire_corpus_free(c);
  free(file);
  unlink(path);
}
