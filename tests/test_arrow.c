/*
 * test_arrow.c: quire_arrow_stream_open() (core/arrow_stream.c) against the
 * cursor API, field by field, and the C Stream Interface's rules: failed
 * streams, a corpus closed under a stream, children moved out of a batch,
 * projection touching no text block, memory flat over a long stream.
 * (The bindings' tests read the same streams with pyarrow, polars, DuckDB,
 * arrow-rs and arrow-go.)
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ahead.h"
#include "blocks.h"
#include "hardening.h"
#include "pool.h"
#include "quire_arrow.h"
#include "reader.h"
#include "testutil.h"

static const char *all_names[] = {
    "doc",    "source", "date", "date_precision", "date_text", "title",
    "author", "url",    "text"};

static int is_valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *bits = a->buffers[0];
  return !bits || (bits[i / 8] >> (i % 8) & 1);
}

/* The string of row i of a utf8 ("u") or large_utf8 ("U") array. */
static const char *string_at(const struct ArrowArray *a, int large, int64_t i,
                             size_t *len) {
  const char *data = a->buffers[2];
  if (large) {
    const int64_t *off = a->buffers[1];
    *len = (size_t)(off[i + 1] - off[i]);
    return data + off[i];
  }
  const int32_t *off = a->buffers[1];
  *len = (size_t)(off[i + 1] - off[i]);
  return data + off[i];
}

static int column_index(const char *list, const char *name) {
  /* The position of name in the comma-separated list (NULL: all). */
  if (!list) {
    for (int i = 0; i < 9; i++)
      if (!strcmp(all_names[i], name))
        return i;
    return -1;
  }
  int at = 0;
  const char *p = list;
  while (*p) {
    size_t n = strcspn(p, ",");
    if (n == strlen(name) && !strncmp(p, name, n))
      return at;
    at++;
    p += n + (p[n] == ',');
  }
  return -1;
}

/* Checks row i of batch against the cursor's current document. */
static void check_row(quire_cursor *cur, const struct ArrowArray *b,
                      const char *cols, int64_t i) {
  int k;
  if ((k = column_index(cols, "doc")) >= 0)
    cr_assert_eq(((const uint64_t *)b->children[k]->buffers[1])[i],
                 quire_cursor_doc(cur));
  if ((k = column_index(cols, "source")) >= 0) {
    const struct ArrowArray *a = b->children[k];
    int64_t id = quire_cursor_source_id(cur);
    cr_assert_eq(is_valid(a, i), id >= 0);
    if (id >= 0) {
      int32_t index = ((const int32_t *)a->buffers[1])[i];
      size_t len;
      const char *name = string_at(a->dictionary, 0, index, &len);
      const char *got;
      size_t got_len;
      cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_SOURCE, &got, &got_len),
                   QUIRE_OK);
      cr_assert(hd_same(name, len, got, got_len), "source of row %lld",
                (long long)i);
    }
  }
  int64_t date = quire_cursor_date(cur);
  if ((k = column_index(cols, "date")) >= 0) {
    const struct ArrowArray *a = b->children[k];
    cr_assert_eq(is_valid(a, i), date != QUIRE_NO_DATE);
    if (date != QUIRE_NO_DATE)
      cr_assert_eq(((const int64_t *)a->buffers[1])[i], date);
  }
  if ((k = column_index(cols, "date_precision")) >= 0) {
    const struct ArrowArray *a = b->children[k];
    cr_assert_eq(is_valid(a, i), date != QUIRE_NO_DATE);
    if (date != QUIRE_NO_DATE)
      cr_assert_eq(((const int8_t *)a->buffers[1])[i],
                   quire_cursor_date_precision(cur));
  }
  static const struct {
    const char *name;
    int field;
  } strings[] = {{"date_text", QUIRE_FIELD_DATE},
                 {"title", QUIRE_FIELD_TITLE},
                 {"author", QUIRE_FIELD_AUTHOR},
                 {"url", QUIRE_FIELD_URL},
                 {"text", QUIRE_FIELD_TEXT}};
  for (size_t s = 0; s < 5; s++) {
    if ((k = column_index(cols, strings[s].name)) < 0)
      continue;
    const struct ArrowArray *a = b->children[k];
    const char *want;
    size_t want_len, len;
    cr_assert_eq(quire_cursor_field(cur, strings[s].field, &want, &want_len),
                 QUIRE_OK);
    int large = strings[s].field == QUIRE_FIELD_TEXT;
    cr_assert_eq(is_valid(a, i), large || want_len > 0, "%s validity",
                 strings[s].name);
    const char *got = string_at(a, large, i, &len);
    cr_assert(hd_same(got, len, want, want_len), "%s of row %lld",
              strings[s].name, (long long)i);
  }
}

/* Reads the whole stream, checking every row against a cursor with the same
 * filter; returns the number of rows. */
static uint64_t check_stream(const quire_corpus *c, const quire_filter *f,
                             const char *cols, uint64_t batch, int threads) {
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, f, cols, cols ? strlen(cols) : 0,
                                       batch, threads, &st),
               QUIRE_OK);
  struct ArrowSchema schema;
  cr_assert_eq(st.get_schema(&st, &schema), 0);
  cr_assert_str_eq(schema.format, "+s");
  for (int64_t k = 0; k < schema.n_children; k++) {
    const char *name = schema.children[k]->name;
    cr_assert_eq(column_index(cols, name), k, "column %s at %lld", name,
                 (long long)k);
  }
  schema.release(&schema);
  cr_assert_null(schema.release);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, f, &cur), QUIRE_OK);
  uint64_t rows = 0;
  for (;;) {
    struct ArrowArray b;
    cr_assert_eq(st.get_next(&st, &b), 0, "%s", st.get_last_error(&st));
    if (!b.release)
      break;
    cr_assert_gt(b.length, 0);
    cr_assert_leq((uint64_t)b.length, batch ? batch : 8192);
    for (int64_t i = 0; i < b.length; i++) {
      cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
      check_row(cur, &b, cols, i);
    }
    rows += (uint64_t)b.length;
    b.release(&b);
  }
  cr_assert_eq(quire_cursor_next(cur), QUIRE_DONE, "stream ended early");
  quire_cursor_free(cur);
  st.release(&st);
  cr_assert_null(st.release);
  return rows;
}

static char corpus_path[512];

static void setup(void) {
  char msg[512];
  tu_tmp_path(corpus_path, sizeof corpus_path, "arrow.quire");
  cr_assert_eq(hd_write_generated(corpus_path, 400, 11, QUIRE_ORDER_CLUSTERED,
                                  4096, 1, msg),
               QUIRE_OK, "%s", msg);
}

static void teardown(void) {
  unlink(corpus_path);
}

TestSuite(arrow, .init = setup, .fini = teardown, .timeout = 120);

Test(arrow, every_field_every_filter_every_projection) {
  static const char *projections[] = {
      NULL, "text,doc", "doc,source,date,date_precision,date_text",
      "URL,Author,title", "source"};
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  for (int k = -1; k < HD_FILTERS; k++) {
    quire_filter *f = k >= 0 ? hd_make_filter(k) : NULL;
    uint64_t want;
    cr_assert_eq(quire_corpus_count_matches(c, f, &want), QUIRE_OK);
    for (size_t p = 0; p < sizeof projections / sizeof *projections; p++) {
      /* Lowercase copy for column_index(): names are case-insensitive. */
      char cols[128] = "";
      if (projections[p])
        for (size_t i = 0; i <= strlen(projections[p]); i++)
          cols[i] = (char)tolower((unsigned char)projections[p][i]);
      uint64_t rows = check_stream(c, f, projections[p] ? cols : NULL,
                                   p % 2 ? 0 : 7, (int)(p % 3));
      cr_assert_eq(rows, want, "filter %d, columns %s", k,
                   projections[p] ? projections[p] : "all");
    }
    quire_filter_free(f);
  }
  quire_corpus_free(c);
}

Test(arrow, seeds) {
  char path[512], msg[512];
  tu_tmp_path(path, sizeof path, "arrow-seeds.quire");
  int status = hd_pack_seeds(tu_seeds_dir(), path, QUIRE_ORDER_INPUT, msg);
  if (status == QUIRE_ENOTFOUND) {
    cr_skip_test("seeds sample not found: skipping");
  }
  cr_assert_eq(status, QUIRE_OK, "%s", msg);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_eq(check_stream(c, NULL, NULL, 2, 1), 5);
  quire_filter *f;
  cr_assert_eq(quire_filter_new(&f), QUIRE_OK);
  cr_assert_eq(quire_filter_add_source(f, "Belarus in Focus", 16), QUIRE_OK);
  cr_assert_eq(check_stream(c, f, "title,date_text", 0, 0), 2);
  quire_filter_free(f);
  quire_corpus_free(c);
  unlink(path);
}

/* Writes a generated corpus of docs documents (clustered, blocks of
 * block_size bytes or the default for 0) to the temporary file name, its
 * path into path (512 bytes), and opens it. */
static quire_corpus *open_generated(const char *name, size_t docs,
                                    uint64_t seed, uint32_t block_size,
                                    char *path) {
  char msg[512];
  tu_tmp_path(path, 512, name);
  cr_assert_eq(hd_write_generated(path, docs, seed, QUIRE_ORDER_CLUSTERED,
                                  block_size, 1, msg),
               QUIRE_OK, "%s", msg);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  return c;
}

/* The threads of this process, or -1 where /proc/self/task is missing. */
static int thread_count(void) {
  DIR *dir = opendir("/proc/self/task");
  if (!dir)
    return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(dir));)
    n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

/* The helpers a stream of these columns started once it has read batches
 * of batch rows: helpers start at the first block read, when enough blocks
 * follow it, and end once the walk's last block is queued and inflated, or
 * when the stream is released. They run on the pool's threads (pool.c),
 * kept between streams: counted as the jobs the pool ran, not as the
 * process's threads. */
static int helpers_after(const quire_corpus *c, const char *cols, int threads,
                         uint64_t batch, int batches) {
  unsigned long before = q_pool_jobs();
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, cols, cols ? strlen(cols) : 0,
                                       batch, threads, &st),
               QUIRE_OK);
  for (int i = 0; i < batches; i++) {
    struct ArrowArray a;
    cr_assert_eq(st.get_next(&st, &a), 0, "%s", st.get_last_error(&st));
    cr_assert_not_null(a.release, "the stream ended early");
    a.release(&a);
  }
  unsigned long during = q_pool_jobs();
  st.release(&st);
  return (int)(during - before);
}

static int helpers_of(const quire_corpus *c, const char *cols, int threads) {
  return helpers_after(c, cols, threads, 0, 1); /* one batch: every row */
}

/* A stream of every column (no column list) had left read-ahead off: it
 * looked for "text" only in a list, so the default walk inflated every text
 * block on the consumer's thread. Metadata blocks are read ahead too, and a
 * stream of the row table's columns alone reads no block. */
Test(arrow, text_streams_inflate_ahead_on_a_helper_thread) {
  if (thread_count() < 0) {
    cr_skip_test("no /proc/self/task: cannot count threads");
  }
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  cr_expect_gt(helpers_of(c, NULL, 0), 0, "every column, default threads");
  cr_expect_gt(helpers_of(c, "doc,text", 0), 0, "text listed");
  cr_expect_eq(helpers_of(c, NULL, 1), 0, "one thread asked for");
  cr_expect_eq(helpers_of(c, "doc,source,date", 0), 0, "no block: no helper");
  quire_corpus_free(c);
}

/* Metadata blocks inflate in a few microseconds, so helpers pay for their
 * start, their wake-ups and their locking only over a long walk: reading
 * source, date and title of a 1,500-document selection (about 130 blocks)
 * took 2.5 ms with helpers and 1.5 ms without, when they started for 32
 * blocks. They now start when 256 metadata blocks follow the first (or
 * 512 KiB of them). */
Test(arrow, metadata_helpers_only_for_long_walks) {
  if (thread_count() < 0) {
    cr_skip_test("no /proc/self/task: cannot count threads");
  }
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  cr_assert_lt(c->blocks, 256, "the short corpus has %u blocks", c->blocks);
  cr_expect_eq(helpers_of(c, "doc,title", 0), 0, "%u metadata blocks",
               c->blocks);
  quire_corpus_free(c);
  char path[512];
  c = open_generated("arrow-long.quire", 3000, 11, 4096, path);
  cr_assert_gt(c->blocks, 300, "the long corpus has %u blocks", c->blocks);
  /* One helper: it inflates faster than the consumer builds rows, and a
   * second only took a core from the consumer (ahead.c, helpers_wanted). */
  cr_expect_eq(helpers_of(c, "doc,title", 0), 1, "%u metadata blocks",
               c->blocks);
  quire_corpus_free(c);
  unlink(path);
}

/* Helpers started when 256 metadata blocks followed the first, however
 * large: the scan layout's metadata blocks (1 MiB text blocks, so some
 * 33 KiB of metadata each, 48 blocks at 10k) were all read on the
 * consumer's thread, 2.4 ms for every metadata column at 10k where a
 * helper makes it 1.9. They now start for 512 KiB in two blocks or more
 * as well. */
Test(arrow, metadata_helpers_for_few_large_blocks) {
  if (thread_count() < 0) {
    cr_skip_test("no /proc/self/task: cannot count threads");
  }
  char path[512], msg[512];
  quire_corpus *c =
      open_generated("arrow-large-meta.quire", 6000, 11, 256u << 10, path);
  uint64_t bytes = 0;
  for (uint32_t b = 0; b < c->meta_blocks; b++) {
    q_block_desc d;
    cr_assert_eq(q_block_describe(c, 1, b, &d, msg), QUIRE_OK, "%s", msg);
    bytes += d.usize;
  }
  cr_assert(c->meta_blocks < 100 && bytes > (600u << 10),
            "%llu metadata blocks of %llu bytes",
            (unsigned long long)c->meta_blocks, (unsigned long long)bytes);
  cr_expect_eq(helpers_of(c, "doc,title", 0), 1, "%llu metadata blocks",
               (unsigned long long)c->meta_blocks);
  quire_corpus_free(c);
  unlink(path);
}

/* A short walk started four threads (two per kind of block) before
 * reading its first row: for the 32 documents (6 text blocks) of a
 * filtered export of 10k they cost more than the inflating they took over.
 * Helpers now start only when enough blocks follow the first. */
Test(arrow, a_short_selection_starts_no_helper) {
  if (thread_count() < 0) {
    cr_skip_test("no /proc/self/task: cannot count threads");
  }
  char path[512];
  /* Four documents: four blocks at most, so three follow the first. */
  quire_corpus *c = open_generated("arrow-short.quire", 4, 11, 4096, path);
  cr_expect_eq(helpers_of(c, NULL, 0), 0, "four documents, every column");
  quire_corpus_free(c);
  unlink(path);
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  cr_expect_gt(helpers_of(c, NULL, 0), 0, "400 documents, every column");
  quire_corpus_free(c);
}

static void expect_failed(struct ArrowArrayStream *st, int status, int want,
                          const char *needle) {
  cr_assert_eq(status, want);
  cr_assert_not_null(st->release, "a failed stream is still a stream");
  struct ArrowSchema schema;
  struct ArrowArray array;
  cr_assert_eq(st->get_schema(st, &schema), EINVAL);
  cr_assert_eq(st->get_next(st, &array), EINVAL);
  const char *msg = st->get_last_error(st);
  cr_assert(msg && strstr(msg, needle), "message \"%s\" lacks \"%s\"",
            msg ? msg : "(null)", needle);
  st->release(st);
  cr_assert_null(st->release);
}

Test(arrow, bad_arguments_give_failed_streams) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, NULL, 0, 0, 0, NULL),
               QUIRE_EINVAL);
  expect_failed(&st, quire_arrow_stream_open(NULL, NULL, NULL, 0, 0, 0, &st),
                QUIRE_EINVAL, "corpus is NULL");
  expect_failed(&st, quire_arrow_stream_open(c, NULL, "doc,body", 8, 0, 0, &st),
                QUIRE_EINVAL, "unknown column \"body\"");
  expect_failed(&st,
                quire_arrow_stream_open(c, NULL, "doc,,text", 9, 0, 0, &st),
                QUIRE_EINVAL, "unknown column \"\"");
  expect_failed(&st, quire_arrow_stream_open(c, NULL, "doc,DOC", 7, 0, 0, &st),
                QUIRE_EINVAL, "named twice");
  expect_failed(&st, quire_arrow_stream_open(c, NULL, NULL, 0, 0, 3, &st),
                QUIRE_EINVAL, "threads is 3");
  expect_failed(&st, quire_arrow_stream_open(c, NULL, NULL, 3, 0, 0, &st),
                QUIRE_EINVAL, "column list is NULL");
  expect_failed(&st,
                quire_arrow_stream_open(c, NULL, NULL, 0,
                                        QUIRE_ARROW_MAX_BATCH + 1ull, 0, &st),
                QUIRE_EINVAL, "batch size");
  quire_corpus *failed;
  cr_assert_neq(quire_corpus_open("/nonexistent.quire", &failed), QUIRE_OK);
  expect_failed(&st, quire_arrow_stream_open(failed, NULL, NULL, 0, 0, 0, &st),
                QUIRE_EINVAL, "failed to open");
  quire_corpus_free(failed);
  quire_corpus_free(c);
}

Test(arrow, corpus_closed_under_the_stream) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  struct ArrowArrayStream st, unused;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, NULL, 0, 50, 0, &st), QUIRE_OK);
  cr_assert_eq(quire_arrow_stream_open(c, NULL, "doc", 3, 0, 0, &unused),
               QUIRE_OK);
  struct ArrowArray b;
  cr_assert_eq(st.get_next(&st, &b), 0);
  quire_corpus_free(c);
  struct ArrowArray more;
  struct ArrowSchema schema;
  cr_assert_eq(st.get_next(&st, &more), EINVAL);
  cr_assert_str_eq(st.get_last_error(&st), "corpus is closed");
  cr_assert_eq(st.get_schema(&st, &schema), EINVAL);
  cr_assert_eq(unused.get_next(&unused, &more), EINVAL);
  /* The batch handed out before is the consumer's and stays whole. */
  cr_assert_eq(b.length, 50);
  cr_assert_eq(((const uint64_t *)b.children[0]->buffers[1])[49], 49);
  size_t len;
  string_at(b.children[8], 1, 49, &len);
  st.release(&st);
  unused.release(&unused); /* the last hold: the corpus is freed here */
  b.release(&b);
}

Test(arrow, children_moved_out_outlive_their_batch) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, "source,title", 12, 64, 0, &st),
               QUIRE_OK);
  struct ArrowSchema schema, source_schema;
  cr_assert_eq(st.get_schema(&st, &schema), 0);
  source_schema = *schema.children[0]; /* moved out */
  schema.children[0]->release = NULL;
  schema.release(&schema);
  cr_assert_str_eq(source_schema.dictionary->format, "u");
  source_schema.release(&source_schema);
  struct ArrowArray b, source, title;
  cr_assert_eq(st.get_next(&st, &b), 0);
  source = *b.children[0];
  b.children[0]->release = NULL;
  title = *b.children[1];
  b.children[1]->release = NULL;
  b.release(&b);
  st.release(&st); /* the stream goes too: the dictionary is shared */
  quire_corpus_free(c);
  size_t len;
  int32_t index = ((const int32_t *)source.buffers[1])[0];
  cr_assert(string_at(source.dictionary, 0, index, &len) != NULL);
  string_at(&title, 0, 63, &len);
  source.release(&source);
  title.release(&title);
}

Test(arrow, metadata_streams_from_a_corpus_whose_text_blocks_are_damaged) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  size_t size;
  char *bytes = tu_read_file(corpus_path, &size);
  char msg[Q_MSG_CAP];
  /* Damage the compressed bytes of every text block. */
  for (uint64_t b = 0; b < c->blocks; b++) {
    const uint8_t *rec = q_record(c, QS_BLOCKS, b, msg);
    cr_assert_not_null(rec);
    bytes[ld64(rec + QB_OFFSET) + ld32(rec + QB_CSIZE) / 2] ^= 0x55;
  }
  quire_corpus *d;
  cr_assert_eq(quire_corpus_open_buffer(bytes, size, &d), QUIRE_OK);
  const char *meta =
      "doc,source,date,date_precision,date_text,title,author,url";
  /* Every field but the text, equal to the intact corpus's. */
  struct ArrowArrayStream a, b;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, meta, strlen(meta), 0, 0, &a),
               0);
  cr_assert_eq(quire_arrow_stream_open(d, NULL, meta, strlen(meta), 0, 0, &b),
               0);
  struct ArrowArray x, y;
  cr_assert_eq(a.get_next(&a, &x), 0);
  cr_assert_eq(b.get_next(&b, &y), 0, "%s", b.get_last_error(&b));
  cr_assert_eq(x.length, 400);
  cr_assert_eq(y.length, 400);
  for (int k = 0; k < 8; k++) {
    const struct ArrowArray *u = x.children[k], *v = y.children[k];
    cr_assert_eq(u->null_count, v->null_count);
    size_t width = k == 0 || k == 2 ? 8 : k == 1 || k >= 4 ? 4 : 1;
    cr_assert(hd_same(u->buffers[1], 400 * width + (k >= 4 ? 4 : 0),
                      v->buffers[1], 400 * width + (k >= 4 ? 4 : 0)));
  }
  x.release(&x);
  y.release(&y);
  a.release(&a);
  b.release(&b);
  /* The text is read, found damaged and reported, by helpers (threads
   * 0) and by the stream's own thread (threads 1). */
  for (int threads = 0; threads < 2; threads++) {
    cr_assert_eq(
        quire_arrow_stream_open(d, NULL, "doc,text", 8, 0, threads, &b), 0);
    cr_assert_eq(b.get_next(&b, &y), EIO);
    cr_assert(strstr(b.get_last_error(&b), "text block"), "%s",
              b.get_last_error(&b));
    cr_assert_eq(b.get_next(&b, &y), EIO, "a failed stream stays failed");
    b.release(&b);
  }
  quire_corpus_free(d);
  quire_corpus_free(c);
  free(bytes);
}

/* ---- memory stays flat -------------------------------------------------- */

/* The peak of live bytes while streaming every column of path. */
static long stream_peak(const char *path) {
  long base = tu_live_bytes();
  tu_peak_reset();
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, NULL, 0, 100, 0, &st), 0);
  uint64_t rows = 0;
  for (;;) {
    struct ArrowArray b;
    cr_assert_eq(st.get_next(&st, &b), 0);
    if (!b.release)
      break;
    rows += (uint64_t)b.length;
    b.release(&b);
  }
  cr_assert_eq(rows, quire_corpus_doc_count(c));
  st.release(&st);
  quire_corpus_free(c);
  long peak = tu_peak_bytes() - base;
  q_spare_drain(); /* what libquire keeps for reuse (spare.c) */
  cr_assert_eq(tu_live_bytes(), base, "the stream leaked");
  return peak;
}

Test(arrow, memory_flat_over_a_stream_of_any_length) {
  char small[512], large[512], msg[512];
  tu_tmp_path(small, sizeof small, "arrow-small.quire");
  tu_tmp_path(large, sizeof large, "arrow-large.quire");
  /* Enough documents in the smaller corpus that both start the same
   * helpers (cursor.c, ahead_worth): 512 KiB of metadata blocks. */
  cr_assert_eq(
      hd_write_generated(small, 5000, 3, QUIRE_ORDER_CLUSTERED, 0, 1, msg),
      QUIRE_OK, "%s", msg);
  cr_assert_eq(
      hd_write_generated(large, 50000, 3, QUIRE_ORDER_CLUSTERED, 0, 1, msg),
      QUIRE_OK, "%s", msg);
  cr_assert_eq(tu_counting_allocator(1), QUIRE_OK);
  long peak_small = stream_peak(small), peak_large = stream_peak(large);
  tu_counting_allocator(0);
  fprintf(stderr,
          "arrow stream peak: %ld bytes over 5,000 docs, %ld over "
          "50,000\n",
          peak_small, peak_large);
  /* Ten times the documents, the same blocks and batches in memory: the
   * peak may differ by a block's worth, not grow with the corpus. */
  cr_assert_lt(peak_large, peak_small + (2l << 20));
  unlink(small);
  unlink(large);
}

/* ---- huge pages under large text columns -------------------------------- */

/* The VmFlags line of the mapping of /proc/self/smaps holding address p,
 * copied into flags; 0 if not found. */
static int vm_flags_of(const void *p, char *flags, size_t cap) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f)
    return 0;
  char line[512];
  int inside = 0, found = 0;
  uintptr_t at = (uintptr_t)p;
  while (!found && fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's first line */
      inside = at >= lo && at < hi;
    else if (inside && !strncmp(line, "VmFlags:", 8)) {
      snprintf(flags, cap, "%s", line + 8);
      found = 1;
    }
  }
  fclose(f);
  return found;
}

/* Filling a batch's text column writes fresh memory; in 4 KiB pages its
 * page faults took a quarter of the time of reading a corpus into pyarrow.
 * The stream asks for transparent huge pages (MADV_HUGEPAGE, "hg" among the
 * mapping's flags) under the string bytes it reserves. */
Test(arrow, a_large_text_column_asks_for_huge_pages) {
  if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0) {
    cr_skip_test("no transparent huge pages on this system");
  }
  char path[512], flags[512];
  quire_corpus *c = open_generated("arrow-huge.quire", 20000, 5, 0, path);
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, "doc,text", 8, 0, 1, &st), 0);
  /* The second batch reserves what the first took; both are checked. */
  for (int batch = 0; batch < 2; batch++) {
    struct ArrowArray b;
    cr_assert_eq(st.get_next(&st, &b), 0, "%s", st.get_last_error(&st));
    cr_assert_not_null(b.release);
    const struct ArrowArray *text = b.children[1];
    int64_t bytes = ((const int64_t *)text->buffers[1])[text->length];
    cr_assert_gt(bytes, 5l << 20,
                 "batch %d: %lld bytes of text are too few "
                 "to span a huge page",
                 batch, (long long)bytes);
    const char *middle = (const char *)text->buffers[2] + bytes / 2;
    if (!vm_flags_of(middle, flags, sizeof flags)) {
      b.release(&b);
      st.release(&st);
      quire_corpus_free(c);
      unlink(path);
      cr_skip_test("no VmFlags in /proc/self/smaps");
    }
    cr_expect(strstr(flags, " hg"), "batch %d: VmFlags:%s", batch, flags);
    b.release(&b);
  }
  st.release(&st);
  quire_corpus_free(c);
  unlink(path);
}

/* ---- released batch memory is lent to the next batch --------------------- */

/* Checks every text of batch b against the cursor, which is moved along. */
static void expect_texts(const struct ArrowArray *b, quire_cursor *cur) {
  const struct ArrowArray *text = b->children[1];
  for (int64_t i = 0; i < b->length; i++) {
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    const char *want;
    size_t want_len, got_len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TEXT, &want, &want_len),
                 QUIRE_OK);
    const char *got = string_at(text, 1, i, &got_len);
    cr_assert_eq(got_len, want_len, "row %lld", (long long)i);
    cr_assert(!memcmp(got, want, want_len), "row %lld", (long long)i);
  }
}

Test(arrow, a_released_text_column_is_lent_to_the_next_batch) {
  char path[512];
  quire_corpus *c = open_generated("arrow-spare.quire", 20000, 6, 0, path);
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, "doc,text", 8, 0, 1, &st), 0);
  cr_assert_eq(q_spare_kept(), 0);
  struct ArrowArray first, second;
  cr_assert_eq(st.get_next(&st, &first), 0, "%s", st.get_last_error(&st));
  expect_texts(&first, cur);
  const void *lent = first.children[1]->buffers[2];
  first.release(&first);
  size_t kept = q_spare_kept();
  cr_assert_gt(kept, 5u << 20, "the text column was not kept: %zu", kept);
  /* The second batch writes its texts over the first's pages. */
  cr_assert_eq(st.get_next(&st, &second), 0, "%s", st.get_last_error(&st));
  cr_assert_eq(second.children[1]->buffers[2], lent);
  cr_assert_lt(q_spare_kept(), kept);
  expect_texts(&second, cur);
  second.release(&second);
  st.release(&st);
  /* A new stream's first batch moves its first rows into a kept buffer once
   * it knows how large its texts run. */
  quire_cursor_free(cur);
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  cr_assert_eq(quire_arrow_stream_open(c, NULL, "doc,text", 8, 0, 1, &st), 0);
  kept = q_spare_kept();
  cr_assert_eq(st.get_next(&st, &first), 0, "%s", st.get_last_error(&st));
  cr_assert_lt(q_spare_kept(), kept, "the first batch took no kept buffer");
  expect_texts(&first, cur);
  first.release(&first);
  st.release(&st);
  /* Kept a moment, then given back; a new allocator takes everything. */
  cr_assert_gt(q_spare_kept(), 0);
  q_spare_expire(60ull * 1000000000u);
  cr_assert_gt(q_spare_kept(), 0, "freed before its time");
  cr_assert_eq(quire_set_allocator(NULL, NULL, NULL, NULL), QUIRE_OK);
  cr_assert_eq(q_spare_kept(), 0);
  quire_cursor_free(cur);
  quire_corpus_free(c);
  unlink(path);
}

/* Allocations made and not yet freed through quire_set_allocator(). */
static atomic_long live_allocs;

static void *live_malloc(void *ctx, size_t size) {
  (void)ctx;
  void *p = malloc(size);
  if (p)
    atomic_fetch_add(&live_allocs, 1);
  return p;
}

static void *live_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  void *p = realloc(ptr, size);
  if (p && !ptr)
    atomic_fetch_add(&live_allocs, 1);
  return p;
}

static void live_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
  atomic_fetch_sub(&live_allocs, 1);
}

/* A stream's read-ahead queues are kept for the next stream, slot buffers
 * and all (core/ahead.c): allocated afresh for every stream, they made a
 * short metadata read whose helper started late fault in a hundred pages
 * more. The next streams read right with them, and a new allocator takes
 * them back first, as it does kept batch buffers. */
Test(arrow, read_ahead_queues_are_kept_and_given_back) {
  cr_assert_eq(quire_set_allocator(live_malloc, live_realloc, live_free, NULL),
               QUIRE_OK);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus_path, &c), QUIRE_OK);
  uint64_t docs;
  cr_assert_eq(quire_corpus_count_matches(c, NULL, &docs), QUIRE_OK);
  cr_assert_eq(q_ahead_kept(), 0);
  cr_assert_eq(check_stream(c, NULL, NULL, 0, 0), docs);
  unsigned kept = q_ahead_kept();
  cr_assert_gt(kept, 0, "no read-ahead queue was kept");
  static const char *cols[] = {"title,url", NULL, "doc,author,text"};
  for (int round = 0; round < 3; round++)
    cr_assert_eq(check_stream(c, NULL, cols[round], 7, 0), docs, "round %d",
                 round);
  cr_assert_eq(q_ahead_kept(), kept);
  quire_corpus_free(c);
  cr_assert_eq(quire_set_allocator(NULL, NULL, NULL, NULL), QUIRE_OK);
  cr_assert_eq(q_ahead_kept(), 0);
  cr_assert_eq(atomic_load(&live_allocs), 0,
               "%ld allocations outlived the allocator",
               atomic_load(&live_allocs));
}

/* ---- fork ---------------------------------------------------------------- */

/* Reads the rest of st, checking that document numbers go on from next;
 * returns how many rows it read, or -1. Runs in a forked child. */
static long read_rest(struct ArrowArrayStream *st, uint64_t next) {
  long rows = 0;
  for (;;) {
    struct ArrowArray b;
    if (st->get_next(st, &b) != 0)
      return -1;
    if (!b.release)
      return rows;
    const uint64_t *docs = b.children[0]->buffers[1];
    for (int64_t i = 0; i < b.length; i++)
      if (docs[i] != next++)
        return -1;
    rows += (long)b.length;
    b.release(&b);
  }
}

/* A process forked in the middle of a stream (Python's multiprocessing
 * forks such processes) used to hang in the child at the next batch or at
 * its release: the cursor waited for read-ahead helpers that exist only in
 * the parent. In the child the stream now reads on, inflating on its own
 * thread, and its release frees without waiting for them. */
Test(arrow, a_child_forked_mid_stream_reads_on_and_releases) {
  char path[512];
  quire_corpus *c = open_generated("arrow-fork.quire", 3000, 13, 4096, path);
  long docs = (long)quire_corpus_doc_count(c);
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, NULL, 0, 100, 0, &st), 0);
  struct ArrowArray first;
  cr_assert_eq(st.get_next(&st, &first), 0);
  cr_assert_eq(first.length, 100);
  first.release(&first);
  fflush(NULL);
  pid_t child = fork();
  cr_assert_geq(child, 0);
  if (child == 0) {
    long rows = read_rest(&st, 100);
    st.release(&st);
    quire_corpus_free(c);
    _exit(rows == docs - 100 ? 0 : 1);
  }
  int status = tu_child_exit(child, 60);
  cr_expect_eq(read_rest(&st, 100), docs - 100, "the parent reads on too");
  st.release(&st);
  quire_corpus_free(c);
  unlink(path);
  cr_assert_eq(status, 0, "%s",
               status < 0 ? "the child hung" : "the child read wrong rows");
}

/* Reads a whole stream of every column with default threads; the rows it
 * read, or -1. Sets *busy to the pool's threads at work after the first
 * batch. */
static long read_all_with_helpers(const quire_corpus *c, unsigned *busy) {
  struct ArrowArrayStream st;
  if (quire_arrow_stream_open(c, NULL, NULL, 0, 100, 0, &st) != QUIRE_OK)
    return -1;
  struct ArrowArray first;
  if (st.get_next(&st, &first) != 0 || !first.release) {
    st.release(&st);
    return -1;
  }
  *busy = q_pool_busy();
  first.release(&first);
  long rows = read_rest(&st, 100);
  st.release(&st);
  return rows < 0 ? -1 : rows + 100;
}

/* A stream's helpers were threads created for it and joined at its end;
 * after a moment of idle cores, this virtual machine's kernel ran a new
 * thread 3.6-3.8 ms after its creation, more than a short read. Helpers now
 * run on threads kept parked between streams: the second stream starts no
 * thread, and a released stream leaves none at work. */
Test(arrow, helpers_run_on_threads_kept_between_streams) {
  if (thread_count() < 0) {
    cr_skip_test("no /proc/self/task: cannot count threads");
  }
  char path[512];
  quire_corpus *c = open_generated("arrow-pool.quire", 3000, 17, 4096, path);
  long docs = (long)quire_corpus_doc_count(c);
  unsigned busy = 0;
  cr_assert_eq(read_all_with_helpers(c, &busy), docs);
  cr_assert_gt(busy, 0, "the first stream ran no helper");
  cr_expect_eq(q_pool_busy(), 0, "a released stream left helpers at work");
  unsigned pooled = q_pool_threads();
  int threads = thread_count();
  cr_assert_gt(pooled, 0, "no thread kept");
  cr_assert_eq(read_all_with_helpers(c, &busy), docs);
  cr_expect_gt(busy, 0, "the second stream ran no helper");
  cr_expect_eq(thread_count(), threads, "the second stream started threads");
  cr_expect_eq(q_pool_threads(), pooled);
  quire_corpus_free(c);
  unlink(path);
}

/* Released batch buffers were kept, MADV_FREE, until the next release of
 * any batch: a program that read a large table once and went on with other
 * work kept them (up to 1 GiB, in its resident set until the kernel wanted
 * the pages) for as long as it ran, and its stopped read-ahead queues. A
 * parked helper thread now frees what has been kept for a while (10 s;
 * here 0.3 s) with no call to the library. */
Test(arrow, kept_batch_buffers_are_freed_while_the_library_is_idle) {
  char path[512];
  quire_corpus *c = open_generated("arrow-idle.quire", 3000, 23, 4096, path);
  q_spare_drain();
  q_spare_set_idle_ns(300 * 1000000ull);
  struct ArrowArrayStream st;
  cr_assert_eq(quire_arrow_stream_open(c, NULL, NULL, 0, 3000, 0, &st),
               QUIRE_OK);
  struct ArrowArray batch;
  cr_assert_eq(st.get_next(&st, &batch), 0);
  cr_assert_not_null(batch.release);
  cr_assert_eq(batch.length, (int64_t)quire_corpus_doc_count(c));
  st.release(&st);
  cr_assert_gt(q_pool_threads(), 0, "the stream ran no helper");
  uint64_t released = q_now_ns();
  batch.release(&batch);
  cr_assert_gt(q_spare_kept(), 0, "no buffer was kept");
  cr_assert_gt(q_ahead_kept(), 0, "no read-ahead queue was kept");
  while ((q_spare_kept() > 0 || q_ahead_kept() > 0) &&
         q_now_ns() - released < 10 * 1000000000ull)
    usleep(10 * 1000);
  uint64_t waited = q_now_ns() - released;
  cr_expect_eq(q_spare_kept(), 0, "kept %zu bytes for 10 s", q_spare_kept());
  cr_expect_eq(q_ahead_kept(), 0, "kept a read-ahead queue for 10 s");
  cr_expect_geq(waited, 300 * 1000000ull, "freed before the idle time");
  q_spare_set_idle_ns(10 * 1000000000ull);
  quire_corpus_free(c);
  unlink(path);
}

/* The pool's threads exist only in the process that made them: a child
 * forked after streams had parked them must start helpers of its own, not
 * hand their work to threads it does not have (which would hang it). */
Test(arrow, a_child_forked_after_streams_runs_helpers_of_its_own) {
  char path[512];
  quire_corpus *c =
      open_generated("arrow-pool-fork.quire", 3000, 19, 4096, path);
  long docs = (long)quire_corpus_doc_count(c);
  unsigned busy = 0;
  cr_assert_eq(read_all_with_helpers(c, &busy), docs);
  cr_assert_gt(q_pool_threads(), 0, "no thread kept");
  fflush(NULL);
  pid_t child = fork();
  cr_assert_geq(child, 0);
  if (child == 0) {
    int ok = q_pool_threads() == 0;
    ok = ok && read_all_with_helpers(c, &busy) == docs && busy > 0;
    ok = ok && read_all_with_helpers(c, &busy) == docs && busy > 0;
    quire_corpus_free(c);
    _exit(ok ? 0 : 1);
  }
  int status = tu_child_exit(child, 60);
  cr_expect_eq(read_all_with_helpers(c, &busy), docs, "the parent reads on");
  quire_corpus_free(c);
  unlink(path);
  cr_assert_eq(status, 0, "%s",
               status < 0 ? "the child hung" : "the child read wrong rows");
}
