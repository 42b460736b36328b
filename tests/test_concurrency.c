/*
 * test_concurrency.c: one open corpus shared by many threads, and many
 * writers at once.
 *
 * Every task (iterating with every field, each filter, counting, both
 * export dialects, seeking, verifying) is first run on one thread; its
 * result is a digest of everything it read, statuses included. Then
 * 8 or 16 threads run all the tasks, each in its own order, ITERATIONS
 * times, on a corpus opened fresh for each round so that the lazy checksum
 * checks race too, and every digest must equal the single-threaded one.
 * .ci/sanitize.sh runs this file under ThreadSanitizer.
 */
#ifdef QUIRE_NO_CRITERION
#include "criterion_shim.h" /* for ThreadSanitizer: see tests/tsan */
#else
#include <criterion/criterion.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ahead.h"
#include "blocks.h"
#include "codec.h"
#include "hardening.h"
#include "internal.h"
#include "pool.h"
#include "reader.h"
#include "testutil.h"

#define THREADS 16 /* the most; rounds alternate 8 and 16 threads */
#define ITERATIONS 2
#define ROUNDS 4
#define DOCS 1200

static int threads_in_round(int round) {
  return round % 2 ? THREADS : 8;
}

/* ---- digests ------------------------------------------------------------- */

typedef struct digest {
  uint64_t hash; /* FNV-1a of everything read */
  uint64_t items;
} digest;

static void mix(digest *d, const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = d->hash ? d->hash : 1469598103934665603ull;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  d->hash = h;
  d->items++;
}

static void mix_int(digest *d, int64_t v) {
  mix(d, &v, sizeof v);
}

static int mix_callback(void *ctx, const char *data, size_t len) {
  mix(ctx, data, len);
  return 0;
}

/* ---- the tasks ----------------------------------------------------------- */

#define NFILTERS HD_FILTERS
#define NTASKS (NFILTERS + 7)

/* Reads every field of every document the filter selects. */
static void task_iterate(const quire_corpus *c, int which, digest *d) {
  quire_filter *f = which < 0 ? NULL : hd_make_filter(which);
  quire_cursor *cur;
  int status = quire_cursor_open(c, f, &cur);
  quire_filter_free(f);
  mix_int(d, status);
  if (status != QUIRE_OK) {
    quire_cursor_free(cur);
    return;
  }
  while ((status = quire_cursor_next(cur)) != QUIRE_DONE) {
    mix_int(d, status);
    if (status != QUIRE_ROW)
      continue;
    mix_int(d, quire_cursor_date(cur));
    mix_int(d, quire_cursor_source_id(cur));
    for (int field = 0; field <= QUIRE_FIELD_TEXT; field++) {
      const char *data;
      size_t len;
      status = quire_cursor_field(cur, field, &data, &len);
      mix_int(d, status);
      if (status == QUIRE_OK)
        mix(d, data, len);
    }
  }
  quire_cursor_free(cur);
}

static void task_count(const quire_corpus *c, digest *d) {
  for (int k = 0; k < NFILTERS; k++) {
    quire_filter *f = hd_make_filter(k);
    uint64_t count = 0;
    mix_int(d, quire_corpus_count_matches(c, f, &count));
    mix_int(d, (int64_t)count);
    quire_filter_free(f);
  }
}

static void task_export(const quire_corpus *c, int excel, digest *d) {
  quire_export *exp;
  mix_int(d, quire_export_new(c, &exp));
  if (excel) {
    quire_filter *f = hd_make_filter(1);
    quire_export_set_filter(exp, f);
    quire_filter_free(f);
    quire_export_set_dialect(exp, QUIRE_CSV_EXCEL);
    quire_export_set_columns(exp, "text,title,date,id", 18);
  }
  mix_int(d, quire_export_to_callback(exp, mix_callback, d));
  mix_int(d, (int64_t)quire_export_rows(exp));
  quire_export_free(exp);
}

/* Exports everything to a file descriptor and reads the file back: an
 * export of this size (1 MB) hands its buffers to a writing thread of its
 * own (core/bgwrite.c). */
static void task_export_fd(const quire_corpus *c, digest *d) {
  FILE *f = tmpfile();
  quire_export *exp = NULL;
  mix_int(d, f ? quire_export_new(c, &exp) : -1);
  if (f && exp) {
    mix_int(d, quire_export_to_fd(exp, fileno(f)));
    rewind(f);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
      mix(d, buf, n);
  }
  quire_export_free(exp);
  if (f)
    fclose(f);
}

/* Seeks to documents in a fixed scattered order and reads two fields. */
static void task_seek(const quire_corpus *c, digest *d) {
  quire_cursor *cur;
  if (quire_cursor_open(c, NULL, &cur) != QUIRE_OK) {
    quire_cursor_free(cur);
    mix_int(d, -1);
    return;
  }
  uint64_t n = quire_corpus_doc_count(c);
  for (uint64_t i = 0; i < n; i += 7) {
    uint64_t doc = (i * 2654435761u) % n;
    int status = quire_cursor_seek(cur, doc);
    mix_int(d, status);
    const char *data;
    size_t len;
    for (int field = QUIRE_FIELD_TITLE; status == QUIRE_ROW && field <= 6;
         field += 3) {
      int s = quire_cursor_field(cur, field, &data, &len);
      mix_int(d, s);
      if (s == QUIRE_OK)
        mix(d, data, len);
    }
  }
  quire_cursor_free(cur);
}

static void task_verify(const quire_corpus *c, digest *d) {
  for (uint64_t s = 0; s < quire_corpus_source_count(c); s++) {
    const char *name;
    size_t len;
    int status = quire_corpus_source(c, s, &name, &len, NULL);
    mix_int(d, status);
    if (status == QUIRE_OK)
      mix(d, name, len);
  }
  uint64_t damaged = 0;
  mix_int(d, quire_corpus_verify(c, &damaged, NULL, NULL));
  mix_int(d, (int64_t)damaged);
}

static digest run_task(const quire_corpus *c, int task) {
  digest d = {0, 0};
  if (task < NFILTERS)
    task_iterate(c, task, &d);
  else if (task == NFILTERS)
    task_iterate(c, -1, &d);
  else if (task == NFILTERS + 1)
    task_count(c, &d);
  else if (task == NFILTERS + 2)
    task_export(c, 0, &d);
  else if (task == NFILTERS + 3)
    task_export(c, 1, &d);
  else if (task == NFILTERS + 4)
    task_seek(c, &d);
  else if (task == NFILTERS + 5)
    task_export_fd(c, &d);
  else
    task_verify(c, &d);
  return d;
}

/* ---- threads ------------------------------------------------------------- */

typedef struct worker {
  const quire_corpus *corpus;
  pthread_barrier_t *start;
  int id;
  const digest *want;
  unsigned runs, mismatches;
  int first_bad_task;
} worker;

static void *worker_main(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->start);
  for (int it = 0; it < ITERATIONS; it++)
    for (int k = 0; k < NTASKS; k++) {
      /* Each thread its own order, so that different tasks overlap. */
      int task = (k * (w->id % 2 ? 1 : NTASKS - 1) + w->id + it) % NTASKS;
      digest got = run_task(w->corpus, task);
      w->runs++;
      if (got.hash != w->want[task].hash || got.items != w->want[task].items) {
        if (!w->mismatches)
          w->first_bad_task = task;
        w->mismatches++;
      }
    }
  return NULL;
}

/* Opens the bytes (through the file for odd rounds, as mmap does), runs
 * all tasks on THREADS threads at once, and checks every digest, and that
 * the corpus reports damage afterwards exactly when it is damaged. */
static unsigned threads_agree(const char *path, const uint8_t *bytes,
                              size_t len, const digest *want, int round,
                              int damaged) {
  quire_corpus *c;
  int status = round % 2 ? quire_corpus_open(path, &c)
                         : quire_corpus_open_buffer(bytes, len, &c);
  cr_assert_eq(status, QUIRE_OK, "%s", quire_corpus_errmsg(c));
  int n = threads_in_round(round);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)n);
  pthread_t threads[THREADS];
  worker workers[THREADS];
  for (int i = 0; i < n; i++) {
    workers[i] = (worker){c, &start, i, want, 0, 0, -1};
    cr_assert_eq(pthread_create(&threads[i], NULL, worker_main, &workers[i]),
                 0);
  }
  unsigned runs = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(threads[i], NULL);
    cr_assert_eq(workers[i].mismatches, 0,
                 "round %d thread %d: %u results differ from one thread's "
                 "(first: task %d)",
                 round, i, workers[i].mismatches, workers[i].first_bad_task);
    runs += workers[i].runs;
  }
  pthread_barrier_destroy(&start);
  const char *msg = quire_corpus_errmsg(c);
  cr_assert_eq(msg[0] != '\0', damaged, "round %d: message \"%s\"", round, msg);
  cr_assert(!damaged || hd_names_damage(msg), "%s", msg);
  quire_corpus_free(c);
  return runs;
}

/* The single-threaded reference, from a corpus of its own. */
static void reference(const uint8_t *bytes, size_t len, digest *want) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  for (int task = 0; task < NTASKS; task++)
    want[task] = run_task(c, task);
  quire_corpus_free(c);
}

static uint8_t *generated(char *path, size_t cap, size_t *len) {
  char msg[512];
  tu_tmp_path(path, cap, "conc.quire");
  cr_assert_eq(
      hd_write_generated(path, DOCS, 11, QUIRE_ORDER_CLUSTERED, 4096, 1, msg),
      QUIRE_OK, "%s", msg);
  uint8_t *bytes = (uint8_t *)tu_read_file(path, len);
  cr_assert_not_null(bytes);
  HD_COVERS_CODEC(bytes, *len);
  return bytes;
}

/* Damages a text block and a chunk of the document table. */
static void damage(uint8_t *bytes, size_t len) {
  const uint8_t *f = bytes + len - QF_FOOTER_SIZE;
  const uint8_t *docs = f + QFT_SECTIONS + QS_DOCS * QF_SECTION_ENTRY;
  const uint8_t *blocks = f + QFT_SECTIONS + QS_BLOCKS * QF_SECTION_ENTRY;
  bytes[ld64(docs) + QF_CHUNK + 17] ^= 0x04; /* rows of chunk 1 */
  const uint8_t *rec = bytes + ld64(blocks) + 5 * 64;
  bytes[ld64(rec + QB_OFFSET) + 3] ^= 0x20; /* text block 5 */
}

/* Every round of threads on the corpus (damaged when asked) agrees with
 * one thread. */
static void sharing(int damaged) {
  char path[512];
  size_t len;
  uint8_t *bytes = generated(path, sizeof path, &len);
  if (damaged) {
    damage(bytes, len);
    cr_assert_eq(tu_write_file(path, bytes, len), 0);
  }
  digest want[NTASKS];
  reference(bytes, len, want);
  for (int task = 0; task < NTASKS && !damaged; task++)
    cr_assert_gt(want[task].items, 1, "task %d read nothing", task);
  unsigned runs = 0;
  for (int round = 0; round < ROUNDS; round++)
    runs += threads_agree(path, bytes, len, want, round, damaged);
  fprintf(stderr,
          "concurrency%s: %d rounds of 8 or %d threads x %d iterations x %d "
          "tasks on %d documents: %u task runs, all equal to one thread's\n",
          damaged ? " (damaged corpus)" : "", ROUNDS, THREADS, ITERATIONS,
          NTASKS, DOCS, runs);
  unlink(path);
  free(bytes);
}

Test(concurrency, threads_sharing_a_corpus_agree_with_one, .timeout = 600) {
  sharing(0);
}

/* Damage is found by whichever thread reads it first; every thread must
 * still get the same answers, and the corpus one stable message. */
Test(concurrency, threads_sharing_a_damaged_corpus_agree, .timeout = 600) {
  sharing(1);
}

/* ---- reading ahead ------------------------------------------------------- */

/* Walks the filter's selection reading every title and text, jumping now
 * and then to a random document, with the helpers' queues of the kinds of
 * blocks given read ahead (ahead.c; 0: none); the digest covers documents,
 * titles, texts and statuses. With metadata alone read ahead, the cursor
 * also inflates queued metadata blocks itself while it waits for one. */
static void walk(const quire_corpus *c, int which, int ahead, digest *d) {
  quire_filter *f = which < 0 ? NULL : hd_make_filter(which);
  quire_cursor *cur;
  int status = quire_cursor_open(c, f, &cur);
  quire_filter_free(f);
  mix_int(d, status);
  if (status == QUIRE_OK && ahead)
    cr_assert_eq(q_cursor_read_ahead(cur, ahead), QUIRE_OK);
  uint64_t rng = 11 + (uint64_t)which;
  for (int steps = 0; status == QUIRE_OK && steps < 4000; steps++) {
    int step = quire_cursor_next(cur);
    mix_int(d, step);
    if (step == QUIRE_DONE)
      break;
    if (step != QUIRE_ROW)
      continue;
    mix_int(d, (int64_t)quire_cursor_doc(cur));
    for (int field = QUIRE_FIELD_TITLE; field <= QUIRE_FIELD_TEXT;
         field += QUIRE_FIELD_TEXT - QUIRE_FIELD_TITLE) {
      const char *data;
      size_t len;
      int got = quire_cursor_field(cur, field, &data, &len);
      mix_int(d, got);
      if (got == QUIRE_OK)
        mix(d, data, len);
    }
    if (tu_rand(&rng) % 61 == 0) {
      uint64_t to = tu_rand(&rng) % quire_corpus_doc_count(c);
      mix_int(d, quire_cursor_seek(cur, to));
    }
  }
  quire_cursor_free(cur);
}

/* A byte in the middle of the middle metadata block of the corpus in bytes. */
static size_t meta_byte(char *bytes, size_t len) {
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  char msg[Q_MSG_CAP];
  q_block_desc d;
  cr_assert_eq(q_block_describe(c, 1, (uint32_t)(c->meta_blocks / 2), &d, msg),
               QUIRE_OK, "%s", msg);
  quire_corpus_free(c);
  return (size_t)(d.offset + d.csize / 2);
}

/* Writes a generated corpus of twice the others' documents into the test
 * directory as name: over 256 metadata blocks, so that unfiltered walks
 * read metadata ahead too (cursor.c, ahead_worth). */
static void write_twice_as_long(char *path, size_t cap, const char *name,
                                uint64_t seed) {
  char msg[512];
  tu_tmp_path(path, cap, name);
  cr_assert_eq(hd_write_generated(path, 2 * DOCS, seed, QUIRE_ORDER_CLUSTERED,
                                  4096, 1, msg),
               QUIRE_OK, "%s", msg);
}

/* The queue of blocks read ahead changes what is read in no way: through
 * every filter, jumps back and forth (which empty the queue while the
 * helper may be inflating), and damage. */
Test(concurrency, reading_ahead_reads_what_a_plain_cursor_reads,
     .timeout = 600) {
  char path[512];
  write_twice_as_long(path, sizeof path, "conc-ahead.quire", 9);
  size_t len;
  char *bytes = tu_read_file(path, &len);
  cr_assert_not_null(bytes);
  for (int damaged = 0; damaged < 2; damaged++) {
    if (damaged) { /* a byte of the middle text block: its CRC fails */
      bytes[len / 2] ^= 0x55;
      /* and one of a metadata block, which lie after the text blocks */
      bytes[meta_byte(bytes, len)] ^= 0x55;
    }
    quire_corpus *c;
    cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
    /* Metadata alone three times: whether the cursor finds a run to
     * inflate while it waits depends on the threads' timing. */
    const int kinds[] = {Q_AHEAD_TEXT | Q_AHEAD_META, Q_AHEAD_META,
                         Q_AHEAD_META, Q_AHEAD_META};
    for (int which = -1; which < NFILTERS; which++) {
      digest plain = {0, 0};
      walk(c, which, 0, &plain);
      cr_assert_gt(plain.items, 3);
      for (int k = 0; k < 4; k++) {
        digest ahead = {0, 0};
        walk(c, which, kinds[k], &ahead);
        cr_assert_eq(ahead.hash, plain.hash,
                     "filter %d%s, kinds %d: read ahead differs", which,
                     damaged ? ", damaged" : "", kinds[k]);
        cr_assert_eq(ahead.items, plain.items);
      }
    }
    quire_corpus_free(c);
  }
  free(bytes);
  unlink(path);
}

/* Queues every block of the kind, a free slot's worth at a time, and
 * takes each as the cursor would, checking it against q_block_load(); with
 * lend, lending the queue an inflater of its own. */
static void take_blocks(const quire_corpus *c, int kind, q_ahead *a, int lend) {
  uint32_t n = (uint32_t)(kind == 0 ? c->blocks : c->meta_blocks);
  q_inflater *own = q_inflater_take(), *plain = q_inflater_take();
  cr_assert(own && plain);
  q_buf got = {0}, want = {0};
  char msg[Q_MSG_CAP], want_msg[Q_MSG_CAP];
  uint32_t queued = 0;
  for (uint32_t b = 0; b < n; b++) {
    uint32_t blocks[Q_AHEAD_MAX_WANTS], sizes[Q_AHEAD_MAX_WANTS];
    unsigned wants = q_ahead_wants(a), ask = 0;
    for (; ask < wants && queued + ask < n; ask++) {
      q_block_desc d;
      cr_assert_eq(q_block_describe(c, kind, queued + ask, &d, msg), QUIRE_OK);
      blocks[ask] = queued + ask;
      sizes[ask] = d.usize;
    }
    queued += q_ahead_request(a, blocks, sizes, ask, queued + ask == n);
    cr_assert_gt(queued, b, "block %u of kind %d was never queued", b, kind);
    int status = q_ahead_take(a, b, lend ? own : NULL, kind == 1, &got, msg);
    int want_status = q_block_load(c, kind, b, plain, &want, want_msg);
    cr_assert_eq(status, want_status, "kind %d, block %u", kind, b);
    cr_assert(got.len == want.len && !memcmp(got.data, want.data, got.len),
              "kind %d, block %u: other bytes", kind, b);
  }
  q_buf_free(&got);
  q_buf_free(&want);
  q_inflater_free(own);
  q_inflater_free(plain);
}

/* A corpus of several text and metadata blocks for the queue tests, written
 * at path and opened. */
static quire_corpus *open_for_queues(char *path, size_t cap, const char *name) {
  write_twice_as_long(path, cap, name, 5);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  return c;
}

/* A block no helper has started yet, the cursor inflates itself when it
 * lends the queue an inflater (it does for metadata blocks: cursor.c,
 * lent_inflater): a helper the kernel runs late, or on the cursor's own
 * core, would otherwise keep it waiting (ahead.c, wait_ready). With no
 * helper at all, every queued block of either kind is still handed over,
 * with the bytes q_block_load() gives; before, the first take waited for
 * ever. */
Test(concurrency, blocks_no_helper_started_are_inflated_by_the_cursor,
     .timeout = 60) {
  char path[512];
  quire_corpus *c = open_for_queues(path, sizeof path, "conc-no-helper.quire");
  for (int kind = 0; kind < 2; kind++) {
    q_ahead *a;
    cr_assert_eq(q_ahead_start(&a, c, kind, 0), QUIRE_OK);
    take_blocks(c, kind, a, 1);
    q_ahead_stop(a);
  }
  quire_corpus_free(c);
  unlink(path);
}

/* Waits up to five seconds for the queue's helpers to end. */
static int helpers_end(q_ahead *a) {
  for (int ms = 0; ms < 5000 && q_ahead_helpers_running(a) > 0; ms++)
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  return q_ahead_helpers_running(a) == 0;
}

/* Once the walk's last block is queued, helpers with nothing left end on
 * their own, so that the stream's end neither wakes them nor waits for
 * them (ahead.c, last_queued). A cursor that goes back queues blocks again:
 * the helpers that ended must start again, or a text block, which a cursor
 * never inflates itself (cursor.c, lent_inflater), would be waited for
 * forever. */
Test(concurrency, helpers_end_with_the_walk_and_start_again_after_it,
     .timeout = 60) {
  char path[512];
  quire_corpus *c =
      open_for_queues(path, sizeof path, "conc-helpers-end.quire");
  for (int kind = 0; kind < 2; kind++) {
    q_ahead *a;
    cr_assert_eq(q_ahead_start(&a, c, kind, Q_AHEAD_ANY_HELPERS), QUIRE_OK);
    cr_assert_gt(q_ahead_helpers_running(a), 0);
    take_blocks(c, kind, a, kind == 1);
    cr_assert(helpers_end(a), "kind %d: helpers still running", kind);
    take_blocks(c, kind, a, kind == 1); /* from the first block again */
    cr_assert(helpers_end(a), "kind %d: helpers started again still run", kind);
    q_ahead_stop(a);
  }
  quire_corpus_free(c);
  unlink(path);
}

/* ---- writers ------------------------------------------------------------- */

#define WRITERS 8

typedef struct writer_job {
  char path[512];
  int status;
  char msg[512];
} writer_job;

/* Checks that the file at path (then removed) holds want_len bytes want. */
static void expect_file_and_remove(const char *path, const char *want,
                                   size_t want_len, const char *what, int i) {
  size_t len;
  char *got = tu_read_file(path, &len);
  cr_assert(got && len == want_len && !memcmp(got, want, len),
            "%s %d wrote different bytes", what, i);
  free(got);
  unlink(path);
}

static void *write_one(void *arg) {
  writer_job *job = arg;
  job->status = hd_write_generated(job->path, 300, 5, QUIRE_ORDER_CLUSTERED,
                                   4096, 4, job->msg);
  return NULL;
}

/* Writers finishing on many threads at once, each with its own compression
 * threads, write the same bytes as one writer alone. */
Test(concurrency, writers_on_many_threads_write_identical_files,
     .timeout = 600) {
  char alone[512], msg[512];
  tu_tmp_path(alone, sizeof alone, "conc-alone.quire");
  cr_assert_eq(
      hd_write_generated(alone, 300, 5, QUIRE_ORDER_CLUSTERED, 4096, 1, msg),
      QUIRE_OK, "%s", msg);
  size_t want_len;
  char *want = tu_read_file(alone, &want_len);
  pthread_t threads[WRITERS];
  writer_job jobs[WRITERS];
  for (int i = 0; i < WRITERS; i++) {
    tu_tmp_path(jobs[i].path, sizeof jobs[i].path, "conc-writer.quire");
    cr_assert_eq(pthread_create(&threads[i], NULL, write_one, &jobs[i]), 0);
  }
  for (int i = 0; i < WRITERS; i++) {
    pthread_join(threads[i], NULL);
    cr_assert_eq(jobs[i].status, QUIRE_OK, "writer %d: %s", i, jobs[i].msg);
    expect_file_and_remove(jobs[i].path, want, want_len, "writer", i);
  }
  free(want);
  unlink(alone);
}

/* ---- imports ------------------------------------------------------------- */

#define IMPORTS 4

typedef struct import_job {
  const char *csv;
  char path[512];
  int threads, status;
  char msg[512];
} import_job;

static void *import_one(void *arg) {
  import_job *job = arg;
  quire_import *imp = NULL;
  quire_writer *w = NULL;
  job->status = quire_import_new(&imp);
  if (job->status == QUIRE_OK)
    job->status = quire_writer_open(job->path, &w);
  if (job->status == QUIRE_OK)
    job->status = quire_writer_set_threads(w, job->threads);
  if (job->status == QUIRE_OK)
    job->status = quire_import_csv_path(imp, w, job->csv);
  if (job->status == QUIRE_OK)
    job->status = quire_writer_finish(w);
  snprintf(job->msg, sizeof job->msg, "%s / %s",
           imp ? quire_import_errmsg(imp) : "",
           w ? quire_writer_errmsg(w) : "");
  quire_writer_free(w);
  quire_import_free(imp);
  return NULL;
}

/* Imports on many threads at once, each parsing its file on a thread of
 * its own (core/csv_pipe.c), write what one import parsing alone writes. */
Test(concurrency, imports_parsing_ahead_on_many_threads_agree, .timeout = 600) {
  char csv[512];
  tu_tmp_path(csv, sizeof csv, "conc-import.csv");
  FILE *f = fopen(csv, "w");
  cr_assert_not_null(f);
  fprintf(f, "source,date,title,text\n");
  for (int i = 0; i < 3000; i++) {
    fprintf(f, "S%d,2016-%02d-01,\"Title, %d\",\"", i % 5, 1 + i % 12, i);
    for (int k = 0; k < 80; k++)
      fprintf(f, "w%d \"\"q\"\" ", (i * k) % 101);
    fprintf(f, "\"\n");
  }
  cr_assert_eq(fclose(f), 0);
  import_job alone = {csv, "", 1, 0, ""};
  tu_tmp_path(alone.path, sizeof alone.path, "conc-import.quire");
  import_one(&alone);
  cr_assert_eq(alone.status, QUIRE_OK, "%s", alone.msg);
  size_t want_len;
  char *want = tu_read_file(alone.path, &want_len);
  pthread_t threads[IMPORTS];
  import_job jobs[IMPORTS];
  for (int i = 0; i < IMPORTS; i++) {
    jobs[i] = (import_job){csv, "", 2, 0, ""};
    tu_tmp_path(jobs[i].path, sizeof jobs[i].path, "conc-import.quire");
    cr_assert_eq(pthread_create(&threads[i], NULL, import_one, &jobs[i]), 0);
  }
  for (int i = 0; i < IMPORTS; i++) {
    pthread_join(threads[i], NULL);
    cr_assert_eq(jobs[i].status, QUIRE_OK, "import %d: %s", i, jobs[i].msg);
    expect_file_and_remove(jobs[i].path, want, want_len, "import", i);
  }
  free(want);
  unlink(alone.path);
  unlink(csv);
}

/* ---- a dictionary is loaded once ----------------------------------------- */

#define READERS 8

static size_t counted_size; /* allocations of exactly this size are counted */
static long counted_allocs;

static void *count_malloc(void *ctx, size_t size) {
  (void)ctx;
  if (size == counted_size)
    __atomic_add_fetch(&counted_allocs, 1, __ATOMIC_RELAXED);
  return malloc(size);
}

static void *plain_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  return realloc(ptr, size);
}

static void plain_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

typedef struct first_text {
  quire_corpus *corpus;
  pthread_barrier_t *start;
  int status;
} first_text;

/* Waits for the other readers, then reads the first document's text. */
static void *read_first_text(void *arg) {
  first_text *job = arg;
  quire_cursor *cur = NULL;
  int opened = quire_cursor_open(job->corpus, NULL, &cur);
  pthread_barrier_wait(job->start);
  job->status = opened;
  if (opened == QUIRE_OK && quire_cursor_seek(cur, 0) == QUIRE_ROW) {
    const char *text;
    size_t len;
    job->status = quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &len);
  } else if (opened == QUIRE_OK) {
    job->status = QUIRE_ENOTFOUND;
  }
  quire_cursor_free(cur);
  return NULL;
}

/* Readers that need the text dictionary at the same moment load it once.
 * Each used to decompress it and build zstd's dictionary, all but one then
 * throwing theirs away: a filtered export loaded its 1 MiB dictionary three
 * times. The decompressed dictionary is one allocation of its size. */
Test(concurrency, a_dictionary_is_loaded_once, .timeout = 600) {
  char path[512];
  tu_tmp_path(path, sizeof path, "conc-dict.quire");
  /* zstd whatever codec the suite runs with: the test is of dictionaries. */
  hd_options o = {QUIRE_CODEC_ZSTD, 0, 4096, -1, QUIRE_ORDER_CLUSTERED, 0};
  char msg[512];
  cr_assert_eq(hd_write_with(path, DOCS, 3, &o, msg), QUIRE_OK, "%s", msg);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  uint32_t size;
  int metadata;
  cr_assert_eq(quire_corpus_dictionary(c, 0, NULL, &size, &metadata), QUIRE_OK);
  cr_assert_eq(metadata, 0);
  quire_corpus_free(c);
  counted_size = size;
  for (int round = 0; round < 8; round++) {
    __atomic_store_n(&counted_allocs, 0, __ATOMIC_RELAXED);
    cr_assert_eq(
        quire_set_allocator(count_malloc, plain_realloc, plain_free, NULL),
        QUIRE_OK);
    cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, READERS);
    pthread_t threads[READERS];
    first_text jobs[READERS];
    for (int i = 0; i < READERS; i++) {
      jobs[i] = (first_text){c, &start, QUIRE_OK};
      cr_assert_eq(pthread_create(&threads[i], NULL, read_first_text, &jobs[i]),
                   0);
    }
    for (int i = 0; i < READERS; i++)
      pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    quire_corpus_free(c);
    cr_assert_eq(quire_set_allocator(NULL, NULL, NULL, NULL), QUIRE_OK);
    for (int i = 0; i < READERS; i++)
      cr_assert_eq(jobs[i].status, QUIRE_OK, "round %d, reader %d", round, i);
    cr_assert_eq(__atomic_load_n(&counted_allocs, __ATOMIC_RELAXED), 1,
                 "round %d: the text dictionary was loaded %ld times", round,
                 __atomic_load_n(&counted_allocs, __ATOMIC_RELAXED));
  }
  unlink(path);
}

/* ---- kept memory tended by a parked thread ------------------------------ */

static void no_work(void *arg) {
  (void)arg;
}

static void *give_and_take(void *arg) {
  pthread_barrier_t *start = arg;
  pthread_barrier_wait(start);
  for (int i = 0; i < 200; i++) {
    size_t cap = (size_t)256 << 10, lent = 0;
    char *buf = q_spare_take(cap, &lent);
    if (!buf)
      buf = q_malloc(cap);
    if (buf) {
      buf[0] = 1; /* written, as a batch writes it */
      q_spare_give(buf, lent ? lent : cap);
    }
    q_inflater_give(q_inflater_take());
    if (i % 50 == 0)
      usleep(2000); /* let the tending run between them */
  }
  return NULL;
}

/* A parked pool thread frees what has been kept long enough while other
 * threads keep and borrow buffers and inflaters, and walks read ahead
 * (keeping their stopped queues); with an idle time of a millisecond it
 * runs all along. Under ThreadSanitizer: no race; the walks read what a
 * plain one reads; and everything kept is freed once the threads stop. */
Test(concurrency, kept_memory_is_tended_while_threads_keep_and_borrow,
     .timeout = 600) {
  q_spare_drain();
  q_spare_set_idle_ns(1000000);
  q_pool_job job = {no_work, NULL, 0};
  cr_assert_eq(q_pool_run(&job), 0, "no pool thread");
  q_pool_wait(&job);
  char path[512];
  write_twice_as_long(path, sizeof path, "conc-tend.quire", 13);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  digest plain = {0, 0};
  walk(c, -1, 0, &plain);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, READERS);
  pthread_t threads[READERS];
  for (int i = 0; i < READERS; i++)
    cr_assert_eq(pthread_create(&threads[i], NULL, give_and_take, &start), 0);
  for (int round = 0; round < 4; round++) {
    digest ahead = {0, 0};
    walk(c, -1, Q_AHEAD_TEXT | Q_AHEAD_META, &ahead);
    cr_assert_eq(ahead.hash, plain.hash, "round %d: read ahead differs", round);
    usleep(2000);
  }
  for (int i = 0; i < READERS; i++)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start);
  quire_corpus_free(c);
  unlink(path);
  for (int i = 0;
       i < 500 && (q_spare_kept() || q_inflaters_kept() || q_ahead_kept()); i++)
    usleep(10000);
  cr_assert_eq(q_spare_kept(), 0);
  cr_assert_eq(q_inflaters_kept(), 0);
  cr_assert_eq(q_ahead_kept(), 0);
  q_spare_set_idle_ns(10ull * 1000000000u);
}
