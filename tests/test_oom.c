/*
 * test_oom.c: running out of memory at every allocation.
 *
 * A counting allocator is installed with quire_set_allocator(). For each
 * operation (open, iterate, count, export, pack, import, verify, salvage)
 * the Nth allocation fails, for N = 1, 2, ... until the operation no longer
 * reaches N. Each run must end in QUIRE_ENOMEM, or in success when the
 * allocation was optional, with the same results as a run with memory to
 * spare; must hand back every allocation it made (the allocator counts
 * them, and .ci/sanitize.sh runs this under LeakSanitizer too); must leave
 * no output file and no temporary file; and must follow the handle
 * convention (on QUIRE_ENOMEM the handle is NULL).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hardening.h"
#include "internal.h"
#include "quire_arrow.h"
#include "testutil.h"

/* ---- the allocator ------------------------------------------------------- */

static struct {
  atomic_long calls;   /* malloc and realloc calls since armed */
  atomic_long fail_at; /* the call that fails (1-based), 0 for none */
  atomic_int failed;   /* it was reached */
  atomic_long live;    /* blocks allocated and not freed */
} oom;

static int should_fail(void) {
  long n = atomic_fetch_add(&oom.calls, 1) + 1;
  if (n == atomic_load(&oom.fail_at)) {
    atomic_store(&oom.failed, 1);
    return 1;
  }
  return 0;
}

static void *oom_malloc(void *ctx, size_t size) {
  (void)ctx;
  if (should_fail())
    return NULL;
  void *p = malloc(size);
  if (p)
    atomic_fetch_add(&oom.live, 1);
  return p;
}

static void *oom_realloc(void *ctx, void *ptr, size_t size) {
  if (!ptr)
    return oom_malloc(ctx, size);
  if (should_fail())
    return NULL;
  return realloc(ptr, size);
}

static void oom_free(void *ctx, void *ptr) {
  (void)ctx;
  if (ptr)
    atomic_fetch_sub(&oom.live, 1);
  free(ptr);
}

static void install(void) {
  cr_assert_eq(quire_set_allocator(oom_malloc, oom_realloc, oom_free, NULL),
               QUIRE_OK);
}

static void uninstall(void) {
  quire_set_allocator(NULL, NULL, NULL, NULL);
}

/* ---- what each operation works on ---------------------------------------- */

typedef struct fixture {
  char corpus[512]; /* a packed multi-block corpus */
  char out[512];    /* where operations write; must not exist after ENOMEM */
  char dir[512], base[512];
  char *csv; /* a CSV with an unknown column and a bad row */
  size_t csv_len;
  char csv_path[512]; /* the same, in a file */
  char gz_path[512];  /* the same, compressed with gzip */
  char zst_path[512]; /* and with zstd */
  hd_bytes zst;       /* the zstd form, in memory */
} fixture;

static fixture fx;

static void setup(void) {
  char msg[512];
  tu_tmp_path(fx.corpus, sizeof fx.corpus, "oom.quire");
  tu_tmp_path(fx.out, sizeof fx.out, "oom-out");
  cr_assert_eq(hd_write_generated(fx.corpus, 120, 4, QUIRE_ORDER_CLUSTERED,
                                  4096, 1, msg),
               QUIRE_OK, "%s", msg);
  char copy[512];
  snprintf(copy, sizeof copy, "%s", fx.out);
  snprintf(fx.dir, sizeof fx.dir, "%s", dirname(copy));
  snprintf(copy, sizeof copy, "%s", fx.out);
  snprintf(fx.base, sizeof fx.base, "%s", basename(copy));
  hd_bytes csv = {0};
  const char *head = "id,source,date,title,lang,text\n";
  hd_bytes_put(&csv, head, strlen(head));
  for (int i = 0; i < 40; i++) {
    char row[256];
    /* Row 7 has a bad date: skipped. */
    snprintf(row, sizeof row, "%d,Source %d,2016-%s-1%d,\"Title, %d\",en,%s\n",
             i, i % 4, i == 7 ? "13" : "04", i % 10, i,
             "\"Body \"\"quoted\"\" text\"");
    hd_bytes_put(&csv, row, strlen(row));
  }
  fx.csv = csv.data;
  fx.csv_len = csv.len;
  tu_tmp_path(fx.csv_path, sizeof fx.csv_path, "oom-in.csv");
  cr_assert_eq(tu_write_file(fx.csv_path, fx.csv, fx.csv_len), 0);
  hd_bytes gz = hd_gzip(fx.csv, fx.csv_len), zst = hd_zstd(fx.csv, fx.csv_len);
  tu_tmp_path(fx.gz_path, sizeof fx.gz_path, "oom-in.csv.gz");
  tu_tmp_path(fx.zst_path, sizeof fx.zst_path, "oom-in.csv.zst");
  cr_assert_eq(tu_write_file(fx.gz_path, gz.data, gz.len), 0);
  cr_assert_eq(tu_write_file(fx.zst_path, zst.data, zst.len), 0);
  hd_bytes_free(&gz);
  fx.zst = zst;
}

static void teardown(void) {
  uninstall();
  unlink(fx.corpus);
  unlink(fx.out);
  unlink(fx.csv_path);
  unlink(fx.gz_path);
  unlink(fx.zst_path);
  free(fx.csv);
  hd_bytes_free(&fx.zst);
}

/* ---- operations: each returns its status and a digest of what it got ----- */

typedef int (*op_fn)(hd_bytes *got);

/* An ENOMEM from a constructor must come with a NULL handle. */
#define EXPECT_NULL_ON_ENOMEM(status, handle)                                  \
  cr_assert((status) != QUIRE_ENOMEM || (handle) == NULL,                      \
            "QUIRE_ENOMEM but the handle is not NULL (line %d)", __LINE__)

/* Opens the corpus through its path, then from memory. */
static int op_open(hd_bytes *got) {
  size_t len;
  char *bytes = tu_read_file(fx.corpus, &len);
  int status = QUIRE_OK;
  for (int from_memory = 0; from_memory < 2 && status == QUIRE_OK;
       from_memory++) {
    quire_corpus *c;
    status = from_memory ? quire_corpus_open_buffer(bytes, len, &c)
                         : quire_corpus_open(fx.corpus, &c);
    EXPECT_NULL_ON_ENOMEM(status, c);
    if (status == QUIRE_OK) {
      char n[32];
      snprintf(n, sizeof n, "%llu",
               (unsigned long long)quire_corpus_doc_count(c));
      hd_bytes_put(got, n, strlen(n));
    }
    quire_corpus_free(c);
  }
  free(bytes);
  return status;
}

/* Opens the fixture corpus for the reading operations. */
static int open_fixture(quire_corpus **c) {
  int status = quire_corpus_open(fx.corpus, c);
  EXPECT_NULL_ON_ENOMEM(status, *c);
  if (status != QUIRE_OK) {
    quire_corpus_free(*c);
    *c = NULL;
  }
  return status;
}

static int iterate_with(const quire_corpus *c, quire_filter *f, hd_bytes *got) {
  quire_cursor *cur;
  int status = quire_cursor_open(c, f, &cur);
  EXPECT_NULL_ON_ENOMEM(status, cur);
  while (status == QUIRE_OK) {
    int step = quire_cursor_next(cur);
    if (step != QUIRE_ROW) {
      status = step == QUIRE_DONE ? QUIRE_OK : step;
      break;
    }
    for (int field = 0; field <= QUIRE_FIELD_TEXT && status == QUIRE_OK;
         field++) {
      const char *data;
      size_t len;
      status = quire_cursor_field(cur, field, &data, &len);
      if (status == QUIRE_OK)
        hd_bytes_put(got, data, len);
    }
  }
  quire_cursor_free(cur);
  return status;
}

static int op_iterate(hd_bytes *got) {
  quire_corpus *c;
  int status = open_fixture(&c);
  for (int k = -1; k < HD_FILTERS && status == QUIRE_OK; k++) {
    quire_filter *f = NULL;
    if (k >= 0 && !(f = hd_make_filter(k)))
      status = QUIRE_ENOMEM;
    if (status == QUIRE_OK)
      status = iterate_with(c, f, got);
    quire_filter_free(f);
  }
  quire_corpus_free(c);
  return status;
}

/* Counting never allocates more than a plan; a filter's own setters may
 * fail, so the filter is built field by field with their statuses. */
static int op_count(hd_bytes *got) {
  quire_corpus *c;
  int status = open_fixture(&c);
  quire_filter *f = NULL;
  if (status == QUIRE_OK) {
    status = quire_filter_new(&f);
    EXPECT_NULL_ON_ENOMEM(status, f);
  }
  const char *names[] = {"Reuters", "Belarus in Focus", "nobody"};
  for (int i = 0; i < 3 && status == QUIRE_OK; i++)
    status = quire_filter_add_source(f, names[i], strlen(names[i]));
  if (status == QUIRE_OK)
    status = quire_filter_set_from(f, "2001", 4);
  uint64_t count = 0;
  if (status == QUIRE_OK)
    status = quire_corpus_count_matches(c, f, &count);
  if (status == QUIRE_OK) {
    char n[32];
    snprintf(n, sizeof n, "%llu", (unsigned long long)count);
    hd_bytes_put(got, n, strlen(n));
  }
  quire_filter_free(f);
  quire_corpus_free(c);
  return status;
}

/* Terms: adding them, counting with them (a scan with a helper thread) and
 * iterating with them. */
static int op_terms(hd_bytes *got) {
  quire_corpus *c;
  int status = open_fixture(&c);
  quire_filter *f = NULL;
  if (status == QUIRE_OK) {
    status = quire_filter_new(&f);
    EXPECT_NULL_ON_ENOMEM(status, f);
  }
  if (status == QUIRE_OK)
    status = quire_filter_add_term(f, "KREMLIN", 7);
  if (status == QUIRE_OK)
    status = quire_filter_add_any_term(f, "БЕЛАРУСЬ", strlen("БЕЛАРУСЬ"));
  if (status == QUIRE_OK)
    status = quire_filter_add_any_term(f, "trade the", 9);
  uint64_t count = 0;
  if (status == QUIRE_OK)
    status = quire_corpus_count_matches(c, f, &count);
  if (status == QUIRE_OK) {
    char n[32];
    snprintf(n, sizeof n, "%llu", (unsigned long long)count);
    hd_bytes_put(got, n, strlen(n));
    status = iterate_with(c, f, got);
  }
  quire_filter_free(f);
  quire_corpus_free(c);
  return status;
}

/* Exports, filtered, through a callback (excel) and to a file (plain). */
static int op_export(hd_bytes *got) {
  quire_corpus *c;
  int status = open_fixture(&c);
  for (int excel = 0; excel < 2 && status == QUIRE_OK; excel++) {
    quire_export *exp = NULL;
    status = quire_export_new(c, &exp);
    EXPECT_NULL_ON_ENOMEM(status, exp);
    quire_filter *f = NULL;
    if (status == QUIRE_OK && !(f = hd_make_filter(excel ? 1 : 0)))
      status = QUIRE_ENOMEM;
    if (status == QUIRE_OK)
      status = quire_export_set_filter(exp, f);
    if (status == QUIRE_OK && excel) {
      quire_export_set_dialect(exp, QUIRE_CSV_EXCEL);
      status = quire_export_to_callback(exp, hd_collect, got);
    } else if (status == QUIRE_OK) {
      status = quire_export_to_path(exp, fx.out);
      if (status == QUIRE_OK) {
        size_t len;
        char *file = tu_read_file(fx.out, &len);
        hd_bytes_put(got, file, len);
        free(file);
        unlink(fx.out);
      }
    }
    quire_filter_free(f);
    quire_export_free(exp);
  }
  quire_corpus_free(c);
  return status;
}

static int op_verify(hd_bytes *got) {
  quire_corpus *c;
  int status = open_fixture(&c);
  uint64_t damaged = 0;
  if (status == QUIRE_OK)
    status = quire_corpus_verify(c, &damaged, hd_collect, got);
  quire_corpus_free(c);
  return status;
}

/* Reads a finished output corpus into got and removes it. */
static void read_output(hd_bytes *got) {
  uninstall();
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(fx.out, &c), QUIRE_OK);
  cr_assert_eq(quire_corpus_verify(c, NULL, NULL, NULL), QUIRE_OK);
  cr_assert_eq(iterate_with(c, NULL, got), QUIRE_OK);
  quire_corpus_free(c);
  unlink(fx.out);
  install();
}

/* Packs generated documents with the given order and threads. */
static int pack(hd_bytes *got, int order, int threads) {
  quire_writer *w;
  int status = quire_writer_open(fx.out, &w);
  EXPECT_NULL_ON_ENOMEM(status, w);
  if (status == QUIRE_OK)
    status = quire_writer_set_order(w, order);
  if (status == QUIRE_OK)
    status = quire_writer_set_block_size(w, 4096);
  if (status == QUIRE_OK)
    status = quire_writer_set_threads(w, threads);
  for (size_t i = 0; i < 60 && status == QUIRE_OK; i++) {
    hd_doc d;
    hd_make_doc(4, i, &d);
    status = hd_add(w, &d);
    hd_doc_free(&d);
  }
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  quire_writer_free(w);
  if (status == QUIRE_OK)
    read_output(got);
  return status;
}

static int op_pack_clustered(hd_bytes *got) {
  return pack(got, QUIRE_ORDER_CLUSTERED, 1);
}

static int op_pack_input_order(hd_bytes *got) {
  return pack(got, QUIRE_ORDER_INPUT, 1);
}

static int op_pack_threads(hd_bytes *got) {
  return pack(got, QUIRE_ORDER_CLUSTERED, 3);
}

/* Packs 60 documents of which 20 repeat earlier ones, dropping duplicates
 * of every kind. */
static int op_pack_dedup(hd_bytes *got) {
  quire_writer *w;
  int status = quire_writer_open(fx.out, &w);
  EXPECT_NULL_ON_ENOMEM(status, w);
  if (status == QUIRE_OK)
    status = quire_writer_set_order(w, QUIRE_ORDER_INPUT);
  if (status == QUIRE_OK)
    status = quire_writer_set_dedup(w, QUIRE_DUP_ALL, 0);
  for (size_t i = 0; i < 60 && status == QUIRE_OK; i++) {
    hd_doc d;
    hd_make_doc(4, i % 40, &d);
    status = hd_add(w, &d);
    hd_doc_free(&d);
  }
  if (status == QUIRE_OK && quire_writer_dropped(w) < 20)
    cr_assert_fail("dedup dropped %llu of 20 repeats",
                   (unsigned long long)quire_writer_dropped(w));
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  quire_writer_free(w);
  if (status == QUIRE_OK)
    read_output(got);
  return status;
}

/* Finds the duplicates of the corpus given twice: every document is a text
 * and a near duplicate of its twin. */
static int op_dups(hd_bytes *got) {
  quire_corpus *c;
  quire_dups *d = NULL;
  int status = open_fixture(&c);
  if (status == QUIRE_OK) {
    status = quire_dups_new(&d);
    EXPECT_NULL_ON_ENOMEM(status, d);
  }
  for (int i = 0; i < 2 && status == QUIRE_OK; i++)
    status = quire_dups_add_corpus(d, c);
  uint64_t groups = status == QUIRE_OK ? quire_dups_group_count(d) : 0;
  if (status == QUIRE_OK && groups == 0) /* building the groups failed */
    status = quire_dups_group(d, 0, NULL, NULL);
  for (uint64_t g = 0; g < groups && status == QUIRE_OK; g++) {
    int kind;
    uint64_t size, doc;
    uint32_t corpus;
    status = quire_dups_group(d, g, &kind, &size);
    for (uint64_t m = 0; m < size && status == QUIRE_OK; m++) {
      status = quire_dups_member(d, g, m, &corpus, &doc, NULL);
      char line[64];
      snprintf(line, sizeof line, "%d %u/%llu\n", kind, corpus,
               (unsigned long long)doc);
      hd_bytes_put(got, line, strlen(line));
    }
  }
  quire_dups_free(d);
  quire_corpus_free(c);
  return status;
}

/* Imports the CSV, skipping its bad row, and finishes the writer only when
 * the import succeeded, as the CLI does; from the file at path with
 * threads threads (two or more: parsed on a thread of its own), or from
 * memory when path is NULL: data[0, len). */
static int import_from(hd_bytes *got, const char *path, int threads,
                       const char *data, size_t len) {
  quire_writer *w;
  quire_import *imp = NULL;
  int status = quire_writer_open(fx.out, &w);
  EXPECT_NULL_ON_ENOMEM(status, w);
  if (status == QUIRE_OK && threads)
    status = quire_writer_set_threads(w, threads);
  if (status == QUIRE_OK) {
    status = quire_import_new(&imp);
    EXPECT_NULL_ON_ENOMEM(status, imp);
  }
  /* "lang" stays unknown: its warning is an optional allocation. */
  if (status == QUIRE_OK)
    status = quire_import_map_column(imp, "headline", 8, QUIRE_FIELD_TITLE);
  if (status == QUIRE_OK)
    status = quire_import_set_skip_bad_rows(imp, 1);
  if (status == QUIRE_OK)
    status = path ? quire_import_csv_path(imp, w, path)
                  : quire_import_csv_buffer(imp, w, data, len, "oom.csv");
  if (status == QUIRE_OK)
    cr_assert_eq(quire_import_skipped(imp), 1);
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  quire_import_free(imp);
  quire_writer_free(w);
  if (status == QUIRE_OK)
    read_output(got);
  return status;
}

static int op_import(hd_bytes *got) {
  return import_from(got, NULL, 0, fx.csv, fx.csv_len);
}

static int op_import_parsing_thread(hd_bytes *got) {
  return import_from(got, fx.csv_path, 2, NULL, 0);
}

/* Compressed inputs (csv_source.c): gzip on the calling thread, zstd on the
 * parsing thread. */
static int op_import_gzip(hd_bytes *got) {
  return import_from(got, fx.gz_path, 1, NULL, 0);
}

static int op_import_zstd_parsing_thread(hd_bytes *got) {
  return import_from(got, fx.zst_path, 2, NULL, 0);
}

/* zstd data in memory, parsed on a thread of its own. */
static int op_import_zstd_in_memory(hd_bytes *got) {
  return import_from(got, NULL, 2, fx.zst.data, fx.zst.len);
}

static int op_salvage(hd_bytes *got) {
  uint64_t kept = 0, lost = 0;
  int status = quire_salvage(fx.corpus, fx.out, &kept, &lost, NULL, NULL);
  if (status == QUIRE_OK) {
    cr_assert_eq(lost, 0);
    read_output(got);
  }
  return status;
}

/* ---- the sweep ----------------------------------------------------------- */

/* Fails allocation N of op for N = 1, 2, ... and checks every run. */
/* Arrow C stream (arrow_stream.c): every column, through each filter. */
static int op_arrow(hd_bytes *got) {
  quire_corpus *c;
  int status = open_fixture(&c);
  for (int k = -1; k < HD_FILTERS && status == QUIRE_OK; k++) {
    quire_filter *f = NULL;
    if (k >= 0 && !(f = hd_make_filter(k)))
      status = QUIRE_ENOMEM;
    struct ArrowArrayStream st = {0};
    if (status == QUIRE_OK)
      status = quire_arrow_stream_open(c, f, NULL, 0, 16, 0, &st);
    cr_assert(status != QUIRE_ENOMEM || !st.release,
              "QUIRE_ENOMEM but the stream is not released");
    struct ArrowSchema schema;
    if (status == QUIRE_OK && st.get_schema(&st, &schema) == 0)
      schema.release(&schema);
    else if (status == QUIRE_OK)
      status = QUIRE_ENOMEM;
    while (status == QUIRE_OK) {
      struct ArrowArray b;
      int err = st.get_next(&st, &b);
      if (err) {
        cr_assert_eq(err, ENOMEM, "%s", st.get_last_error(&st));
        status = QUIRE_ENOMEM;
      } else if (!b.release) {
        break;
      } else {
        for (int64_t i = 0; i < b.n_children; i++) {
          const struct ArrowArray *a = b.children[i];
          size_t n =
              a->n_buffers == 3
                  ? (size_t)(i == 8
                                 ? ((const int64_t *)a->buffers[1])[a->length]
                                 : ((const int32_t *)a->buffers[1])[a->length])
                  : (size_t)a->length;
          hd_bytes_put(got, a->buffers[a->n_buffers - 1], n);
        }
        b.release(&b);
      }
    }
    if (st.release)
      st.release(&st);
    quire_filter_free(f);
  }
  quire_corpus_free(c);
  return status;
}

static void sweep(const char *name, op_fn op) {
  install();
  hd_bytes want = {0};
  atomic_store(&oom.fail_at, 0);
  q_spare_drain(); /* what libquire keeps for reuse is not a leak */
  long live = atomic_load(&oom.live);
  cr_assert_eq(op(&want), QUIRE_OK, "%s with memory to spare", name);
  q_spare_drain();
  cr_assert_eq(atomic_load(&oom.live), live, "%s leaks", name);
  unsigned nomem = 0, optional = 0;
  long n;
  for (n = 1; n < 200000; n++) {
    hd_bytes got = {0};
    atomic_store(&oom.calls, 0);
    atomic_store(&oom.failed, 0);
    atomic_store(&oom.fail_at, n);
    int status = op(&got);
    atomic_store(&oom.fail_at, 0);
    q_spare_drain();
    cr_assert_eq(atomic_load(&oom.live), live,
                 "%s, allocation %ld failed: %ld blocks leaked", name, n,
                 atomic_load(&oom.live) - live);
    cr_assert_not(tu_exists(fx.out), "%s, allocation %ld failed: output left",
                  name, n);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s.", fx.base);
    cr_assert_eq(hd_count_prefixed(fx.dir, prefix, 1), 0,
                 "%s, allocation %ld failed: a temporary file was left", name,
                 n);
    int reached = atomic_load(&oom.failed);
    if (status == QUIRE_OK || !reached) {
      cr_assert_eq(status, QUIRE_OK, "%s: status %d with no failure", name,
                   status);
      /* Success after a failed allocation: it was optional, and the
       * results must still be the full ones. */
      cr_assert(hd_same(got.data, got.len, want.data, want.len),
                "%s, allocation %ld failed: succeeded with other results", name,
                n);
      optional += reached;
    } else {
      cr_assert_eq(status, QUIRE_ENOMEM,
                   "%s, allocation %ld failed: status %d, not QUIRE_ENOMEM",
                   name, n, status);
      nomem++;
    }
    hd_bytes_free(&got);
    if (!reached)
      break;
  }
  fprintf(stderr,
          "oom %s: %ld allocations failed in turn: %u gave QUIRE_ENOMEM, %u "
          "were optional (same results); no leak, no output left\n",
          name, n - 1, nomem, optional);
  hd_bytes_free(&want);
  uninstall();
}

TestSuite(oom, .init = setup, .fini = teardown, .timeout = 300);

Test(oom, open) {
  sweep("open", op_open);
}
Test(oom, iterate_and_filter) {
  sweep("iterate", op_iterate);
}
Test(oom, count) {
  sweep("count", op_count);
}
Test(oom, terms) {
  sweep("terms", op_terms);
}
Test(oom, export_to_callback_and_path) {
  sweep("export", op_export);
}
Test(oom, verify) {
  sweep("verify", op_verify);
}
Test(oom, pack_clustered) {
  sweep("pack clustered", op_pack_clustered);
}
Test(oom, pack_input_order) {
  sweep("pack input order", op_pack_input_order);
}
Test(oom, pack_with_threads) {
  sweep("pack 3 threads", op_pack_threads);
}
Test(oom, pack_with_dedup) {
  sweep("pack dedup", op_pack_dedup);
}
Test(oom, dups) {
  sweep("dups", op_dups);
}
Test(oom, import_csv) {
  sweep("import", op_import);
}
Test(oom, import_csv_on_a_parsing_thread) {
  sweep("import parsing thread", op_import_parsing_thread);
}
Test(oom, import_gzip_csv) {
  sweep("import gzip", op_import_gzip);
}
Test(oom, import_zstd_csv_on_a_parsing_thread) {
  sweep("import zstd parsing thread", op_import_zstd_parsing_thread);
}
Test(oom, import_zstd_csv_in_memory) {
  sweep("import zstd in memory", op_import_zstd_in_memory);
}
Test(oom, salvage) {
  sweep("salvage", op_salvage);
}

Test(oom, arrow_stream) {
  sweep("arrow stream", op_arrow);
}
Test(oom, allocator_arguments) {
  cr_assert_eq(quire_set_allocator(oom_malloc, NULL, oom_free, NULL),
               QUIRE_EINVAL);
  cr_assert_eq(quire_set_allocator(NULL, NULL, NULL, NULL), QUIRE_OK);
}
