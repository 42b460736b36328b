/*
 * test_crash.c: writing is atomic, whatever happens to the writer.
 *
 * A child process packs a corpus and is killed with SIGKILL at many points:
 * after N documents, at times spread over the whole pack, and at times
 * spread over quire_writer_finish() alone. Afterwards the destination must
 * be absent (when there was none), byte for byte what it was before, or
 * (when the kill came after the rename) byte for byte the complete new
 * corpus: never anything in between.
 *
 * Then the disk fills up: a child with a small RLIMIT_FSIZE (SIGXFSZ
 * ignored, so writes fail with EFBIG), a small tmpfs where the system lets
 * a test mount one (ENOSPC), and /dev/full. Writer, export and salvage must
 * report QUIRE_EIO with the system's reason, leave no output file and no
 * temporary file, and leave a previous file untouched.
 */
#define _GNU_SOURCE /* unshare() */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hardening.h"
#include "testutil.h"

#define DOCS 3000
#define SEED 9
#define BLOCK (64u << 10)

/* ---- the child that packs ------------------------------------------------ */

/* Packs DOCS generated documents to path in the child, telling the parent
 * on fd 'S' once the writer is open and 'F' before finishing; kills itself
 * after kill_after documents (never when negative). Exits 0 when the
 * corpus was written, 1 otherwise. */
static void pack_child(const char *path, int order, int threads,
                       long kill_after, int fd, int append) {
  quire_writer *w;
  if ((append ? quire_writer_open_append(path, &w)
              : quire_writer_open(path, &w)) != QUIRE_OK)
    _exit(1);
  if (!append) /* an append takes the corpus's order */
    quire_writer_set_order(w, order);
  quire_writer_set_block_size(w, BLOCK);
  quire_writer_set_threads(w, threads);
  if (write(fd, "S", 1) != 1)
    _exit(1);
  for (long i = 0; i < DOCS; i++) {
    if (i == kill_after)
      raise(SIGKILL);
    hd_doc d;
    hd_make_doc(SEED, (size_t)i, &d);
    int status = hd_add(w, &d);
    hd_doc_free(&d);
    if (status != QUIRE_OK)
      _exit(1);
  }
  if (kill_after == DOCS)
    raise(SIGKILL);
  if (write(fd, "F", 1) != 1)
    _exit(1);
  int status = quire_writer_finish(w);
  quire_writer_free(w);
  _exit(status == QUIRE_OK ? 0 : 1);
}

/* 1 when the system makes unnamed files in dir (O_TMPFILE) and /proc can
 * name them: the library's outputs then have no name until they are
 * complete, and a killed process leaves no temporary file. */
static int unnamed_files(const char *dir) {
#ifdef O_TMPFILE
  int fd = open(dir, O_TMPFILE | O_WRONLY, 0600);
  if (fd >= 0)
    close(fd);
  return fd >= 0 && access("/proc/self/fd", X_OK) == 0;
#else
  (void)dir;
  return 0;
#endif
}

/* Killed writers and exports leave no temporary file where the system has
 * unnamed files. (A complete new file killed between its naming and its
 * rename over an old one is counted apart, as named_complete.) */
static void assert_no_leftovers(const char *dir, unsigned leftovers) {
  if (unnamed_files(dir))
    cr_assert_eq(leftovers, 0u, "%u temporary files left behind", leftovers);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What a run found at the destination. */
typedef struct outcome {
  unsigned absent, previous, complete, leftovers;
  /* Complete new files left under a temporary name: the writer was killed
   * after naming its finished, synced file and before the rename that puts
   * it over the old one. No call can do both at once, so this window
   * cannot be closed; everything in the file is whole. */
  unsigned named_complete;
} outcome;

typedef struct scenario {
  const char *path;
  const char *dir, *base;
  const char *previous; /* bytes there before, or NULL for no file */
  size_t previous_len;
  const char *complete; /* the corpus a whole run writes */
  size_t complete_len;
  int order, threads;
  const char *source; /* export this corpus to path instead of packing */
  int append;         /* append to the corpus at path instead of packing */
} scenario;

/* Exports the corpus at s->source to s->path in the child, telling the
 * parent 'S' as the export starts. */
static void export_child(const scenario *s, int fd) {
  quire_corpus *c;
  quire_export *exp;
  if (quire_corpus_open(s->source, &c) != QUIRE_OK ||
      quire_export_new(c, &exp) != QUIRE_OK || write(fd, "S", 1) != 1)
    _exit(1);
  _exit(quire_export_to_path(exp, s->path) == QUIRE_OK ? 0 : 1);
}

/* Forks with a pipe from child to parent. In the child returns 0 with the
 * write end in *fd; in the parent the child's pid with the read end. */
static pid_t fork_with_pipe(int *fd) {
  int p[2];
  cr_assert_eq(pipe(p), 0);
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  close(p[pid == 0 ? 0 : 1]);
  *fd = p[pid == 0 ? 1 : 0];
  return pid;
}

/* Starts a packing child; returns its pid and the read end of its pipe. */
static pid_t start_child(const scenario *s, long kill_after, int *fd) {
  pid_t pid = fork_with_pipe(fd);
  if (pid == 0 && s->source)
    export_child(s, *fd);
  if (pid == 0)
    pack_child(s->path, s->order, s->threads, kill_after, *fd, s->append);
  return pid;
}

/* Reads the child's pipe up to mark; 0 when the child ended first. */
static int wait_for(int fd, char mark) {
  char c;
  while (read(fd, &c, 1) == 1)
    if (c == mark)
      return 1;
  return 0;
}

/* Counts and removes the temporary files of s->path: complete new files
 * left between naming and rename when the previous file is still in place,
 * leftovers otherwise. */
static void count_temporaries(const scenario *s, outcome *o) {
  char prefix[512];
  snprintf(prefix, sizeof prefix, "%s.tmp-", s->base);
  DIR *d = opendir(s->dir);
  cr_assert_not_null(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
    size_t len = 0;
    char *got = tu_read_file(path, &len);
    int whole = got && s->previous && len == s->complete_len &&
                !memcmp(got, s->complete, len);
    free(got);
    if (whole)
      o->named_complete++;
    else
      o->leftovers++;
    unlink(path);
  }
  closedir(d);
}

/* Checks the destination after a kill and counts what was found. */
static void check_destination(const scenario *s, outcome *o, const char *when) {
  size_t len = 0;
  char *got = tu_read_file(s->path, &len);
  if (!got) {
    cr_assert_null(s->previous, "%s: the previous file is gone", when);
    o->absent++;
  } else if (s->previous && len == s->previous_len &&
             !memcmp(got, s->previous, len)) {
    o->previous++;
  } else {
    cr_assert(len == s->complete_len && !memcmp(got, s->complete, len),
              "%s: the destination is half-written (%zu bytes)", when, len);
    o->complete++;
  }
  free(got);
  /* A killed writer cannot remove its temporary file: count, then clear. */
  count_temporaries(s, o);
  char prefix[512];
  snprintf(prefix, sizeof prefix, "%s.spl-", s->base);
  o->leftovers += (unsigned)hd_count_prefixed(s->dir, prefix, 1);
  /* Put back what was there before the next run. */
  if (s->previous)
    cr_assert_eq(tu_write_file(s->path, s->previous, s->previous_len), 0);
  else
    unlink(s->path);
}

/* Kills after the child sent mark, after delay seconds. */
static void kill_at(const scenario *s, char mark, double delay, outcome *o,
                    const char *what) {
  int fd;
  pid_t pid = start_child(s, -1, &fd);
  int reached = wait_for(fd, mark);
  if (reached && delay > 0)
    usleep((useconds_t)(delay * 1e6));
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  close(fd);
  char when[128];
  snprintf(when, sizeof when, "%s, killed %.4f s after '%c'", what, delay,
           mark);
  if (WIFEXITED(status))
    cr_assert_eq(WEXITSTATUS(status), 0, "%s: the pack failed", when);
  check_destination(s, o, when);
}

/* The time a whole pack and its finish take, measured in a child. */
static void measure(const scenario *s, double *total, double *finish) {
  int fd;
  pid_t pid = start_child(s, -1, &fd);
  cr_assert(wait_for(fd, 'S'));
  double t0 = now();
  cr_assert(s->source || wait_for(fd, 'F')); /* an export has no finish */
  double t1 = now();
  int status;
  waitpid(pid, &status, 0);
  close(fd);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  *total = now() - t0;
  *finish = now() - t1;
}

#define TIME_POINTS 24
#define FINISH_POINTS 16

static const long doc_points[] = {0, 1, 2, 10, 100, 999, 2000, DOCS - 1, DOCS};
#define DOC_POINTS (sizeof doc_points / sizeof doc_points[0])

/* Every kill point, for one scenario; returns the kill points tried. */
static unsigned kill_everywhere(const scenario *s, outcome *o) {
  char what[128];
  unsigned points = 0;
  for (size_t i = 0; i < DOC_POINTS; i++, points++) {
    int fd;
    pid_t pid = start_child(s, doc_points[i], &fd);
    int status;
    waitpid(pid, &status, 0);
    close(fd);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    snprintf(what, sizeof what, "killed after %ld documents", doc_points[i]);
    check_destination(s, o, what);
  }
  double total, finish;
  outcome whole = {0};
  measure(s, &total, &finish);
  check_destination(s, &whole, "measuring run");
  cr_assert_eq(whole.complete, 1, "a whole run did not write the corpus");
  for (int k = 0; k < TIME_POINTS; k++, points++)
    kill_at(s, 'S', total * 1.1 * k / (TIME_POINTS - 1), o, "during the pack");
  for (int k = 0; k < FINISH_POINTS; k++, points++)
    kill_at(s, 'F', finish * 1.3 * k / (FINISH_POINTS - 1), o, "during finish");
  return points;
}

/* Writes the complete corpus once, the reference for a whole run. */
static char *complete_corpus(const char *path, int order, int threads,
                             size_t *len) {
  char msg[512];
  cr_assert_eq(hd_write_generated(path, DOCS, SEED, order, BLOCK, threads, msg),
               QUIRE_OK, "%s", msg);
  char *bytes = tu_read_file(path, len);
  unlink(path);
  return bytes;
}

static void crash_run(int order, int threads, int with_previous) {
  char path[512], ref[512], dir[512], base[512], prev[512], msg[512];
  tu_tmp_path(path, sizeof path, "crash.quire");
  tu_tmp_path(ref, sizeof ref, "crash-ref.quire");
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  scenario s = {path, dirname(dir), basename(base), NULL, 0, NULL,
                0,    order,        threads,        NULL, 0};
  char *complete = complete_corpus(ref, order, threads, &s.complete_len);
  s.complete = complete;
  char *previous = NULL;
  if (with_previous) {
    tu_tmp_path(prev, sizeof prev, "crash-prev.quire");
    cr_assert_eq(hd_write_generated(prev, 10, 1, QUIRE_ORDER_INPUT, 0, 1, msg),
                 QUIRE_OK);
    previous = tu_read_file(prev, &s.previous_len);
    unlink(prev);
    s.previous = previous;
    cr_assert_eq(tu_write_file(path, previous, s.previous_len), 0);
  }
  outcome o = {0};
  unsigned points = kill_everywhere(&s, &o);
  fprintf(stderr,
          "crash (%s order, %d thread%s, %s): %u kill points: destination "
          "absent %u, previous file intact %u, complete new file %u; "
          "%u temporary files left by killed writers (and %u complete new "
          "files named, not yet renamed); never half-written\n",
          order == QUIRE_ORDER_INPUT ? "input" : "clustered", threads,
          threads > 1 ? "s" : "",
          with_previous ? "over an existing file" : "no previous file", points,
          o.absent, o.previous, o.complete, o.leftovers, o.named_complete);
  assert_no_leftovers(s.dir, o.leftovers);
  free(complete);
  free(previous);
  unlink(path);
}

Test(crash, killed_writer_clustered_no_previous_file, .timeout = 300) {
  crash_run(QUIRE_ORDER_CLUSTERED, 1, 0);
}

Test(crash, killed_writer_input_order_over_previous_file, .timeout = 300) {
  crash_run(QUIRE_ORDER_INPUT, 1, 1);
}

Test(crash, killed_threaded_writer_over_previous_file, .timeout = 300) {
  crash_run(QUIRE_ORDER_CLUSTERED, 3, 1);
}

/* quire_writer_open_append() killed anywhere: the corpus is the old one,
 * byte for byte, or the whole new one. */
static void crash_append(int order, int threads) {
  char path[512], ref[512], dir[512], base[512], msg[512];
  tu_tmp_path(path, sizeof path, "crash-append.quire");
  tu_tmp_path(ref, sizeof ref, "crash-append-ref.quire");
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  scenario s = {path, dirname(dir), basename(base), NULL, 0, NULL,
                0,    order,        threads,        NULL, 1};
  cr_assert_eq(hd_write_generated(ref, 400, 5, order, BLOCK, 1, msg), QUIRE_OK,
               "%s", msg);
  char *previous = tu_read_file(ref, &s.previous_len);
  s.previous = previous;
  /* The whole append, once, in a child that is not killed. */
  int fd;
  pid_t pid = fork_with_pipe(&fd);
  if (pid == 0)
    pack_child(ref, order, threads, -1, fd, 1);
  int status;
  waitpid(pid, &status, 0);
  close(fd);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  char *complete = tu_read_file(ref, &s.complete_len);
  s.complete = complete;
  unlink(ref);
  cr_assert_eq(tu_write_file(path, previous, s.previous_len), 0);
  outcome o = {0};
  unsigned points = kill_everywhere(&s, &o);
  fprintf(stderr,
          "crash (append, %s order, %d thread%s): %u kill points: old corpus "
          "intact %u, complete new corpus %u; %u temporary files left by "
          "killed writers (and %u complete new files named, not yet "
          "renamed); never half-written\n",
          order == QUIRE_ORDER_INPUT ? "input" : "clustered", threads,
          threads > 1 ? "s" : "", points, o.previous, o.complete, o.leftovers,
          o.named_complete);
  cr_assert_eq(o.absent, 0);
  assert_no_leftovers(s.dir, o.leftovers);
  free(complete);
  free(previous);
  unlink(path);
}

Test(crash, killed_append_clustered, .timeout = 300) {
  crash_append(QUIRE_ORDER_CLUSTERED, 1);
}

Test(crash, killed_threaded_append_input_order, .timeout = 300) {
  crash_append(QUIRE_ORDER_INPUT, 2);
}

/* Exports the corpus at corpus to path, in this process. */
static void export_reference(const char *corpus, const char *path) {
  quire_corpus *c;
  quire_export *exp;
  cr_assert_eq(quire_corpus_open(corpus, &c), QUIRE_OK);
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_path(exp, path), QUIRE_OK);
  quire_export_free(exp);
  quire_corpus_free(c);
}

/* An export killed at any time leaves no partial CSV: the file is absent,
 * as it was, or the whole export. */
Test(crash, killed_export_leaves_no_partial_file, .timeout = 300) {
  char corpus[512], path[512], dir[512], base[512], msg[512];
  tu_tmp_path(corpus, sizeof corpus, "crash-export.quire");
  tu_tmp_path(path, sizeof path, "crash-export.csv");
  cr_assert_eq(hd_write_generated(corpus, DOCS, SEED, QUIRE_ORDER_CLUSTERED,
                                  BLOCK, 1, msg),
               QUIRE_OK);
  export_reference(corpus, path);
  size_t complete_len;
  char *complete = tu_read_file(path, &complete_len);
  unlink(path);
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  const char *in_dir = dirname(dir), *name = basename(base);
  static const char before[] = "id,title\n0,an older export\n";
  unsigned points = 0;
  outcome o = {0};
  for (int previous = 0; previous < 2; previous++) {
    scenario s = {path,
                  in_dir,
                  name,
                  previous ? before : NULL,
                  previous ? strlen(before) : 0,
                  complete,
                  complete_len,
                  0,
                  1,
                  corpus,
                  0};
    if (previous)
      cr_assert_eq(tu_write_file(path, before, strlen(before)), 0);
    double total, unused;
    outcome whole = {0};
    measure(&s, &total, &unused);
    check_destination(&s, &whole, "measuring run");
    cr_assert_eq(whole.complete, 1, "a whole export did not write the file");
    for (int k = 0; k < TIME_POINTS; k++, points++)
      kill_at(&s, 'S', total * 1.1 * k / (TIME_POINTS - 1), &o,
              "during the export");
    unlink(path);
  }
  fprintf(stderr,
          "crash (export to path): %u kill points: file absent %u, previous "
          "file intact %u, complete export %u; %u temporary files left by "
          "killed exports (and %u complete exports named, not yet renamed); "
          "never half-written\n",
          points, o.absent, o.previous, o.complete, o.leftovers,
          o.named_complete);
  assert_no_leftovers(in_dir, o.leftovers);
  cr_assert_eq(hd_count_prefixed(in_dir, name, 0), 0, "files were left");
  free(complete);
  unlink(corpus);
}

/* ---- full disks ---------------------------------------------------------- */

/* What a child reports back about one operation. */
typedef struct report {
  int status;
  char msg[512];
} report;

typedef void (*child_op)(const char *path, const char *arg, report *r);

/* Runs op in a child whose files may not grow past limit bytes (0: no
 * limit), with SIGXFSZ ignored so that writes fail with EFBIG. */
static report in_child(child_op op, const char *path, const char *arg,
                       rlim_t limit) {
  int fd;
  pid_t pid = fork_with_pipe(&fd);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    if (limit) {
      struct rlimit rl = {limit, limit};
      if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        _exit(2);
    }
    report r = {0, ""};
    op(path, arg, &r);
    _exit(write(fd, &r, sizeof r) == sizeof r ? 0 : 1);
  }
  report r = {QUIRE_EINVAL, "the child sent no report"};
  ssize_t got = read(fd, &r, sizeof r);
  close(fd);
  int status;
  waitpid(pid, &status, 0);
  cr_assert(got == sizeof r && WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "child failed (status 0x%x)", status);
  return r;
}

static void op_pack(const char *path, const char *arg, report *r) {
  /* Input order with a dictionary keeps the first documents in the spill
   * file until it is trained: without one it writes only the output. */
  if (atoi(arg) == QUIRE_ORDER_INPUT)
    hd_dictionary_size = 0;
  r->status = hd_write_generated(path, 800, SEED, atoi(arg), 4096, 1, r->msg);
}

static void op_export(const char *path, const char *arg, report *r) {
  quire_corpus *c;
  r->status = quire_corpus_open(arg, &c);
  quire_export *exp = NULL;
  if (r->status == QUIRE_OK)
    r->status = quire_export_new(c, &exp);
  if (r->status == QUIRE_OK)
    r->status = quire_export_to_path(exp, path);
  snprintf(r->msg, sizeof r->msg, "%s",
           exp ? quire_export_errmsg(exp) : quire_corpus_errmsg(c));
  quire_export_free(exp);
  quire_corpus_free(c);
}

static void op_salvage(const char *path, const char *arg, report *r) {
  r->status = quire_salvage(arg, path, NULL, NULL, NULL, NULL);
  snprintf(r->msg, sizeof r->msg, "salvage returned %d", r->status);
}

/* Checks a failed or successful write under a limit: EIO naming the
 * reason, the destination as before, no temporary file. */
static void check_full(const char *what, const report *r, const char *path,
                       const char *before, size_t before_len,
                       const char *reason) {
  char dir[512], base[512], prefix[600];
  snprintf(dir, sizeof dir, "%s", path);
  snprintf(base, sizeof base, "%s", path);
  snprintf(prefix, sizeof prefix, "%s.", basename(base));
  size_t len = 0;
  char *got = tu_read_file(path, &len);
  if (r->status == QUIRE_OK) {
    cr_assert_not_null(got, "%s: succeeded but wrote nothing", what);
  } else {
    cr_assert_eq(r->status, QUIRE_EIO, "%s: status %d (%s)", what, r->status,
                 r->msg);
    if (reason)
      cr_assert(strstr(r->msg, reason), "%s: message \"%s\" lacks \"%s\"", what,
                r->msg, reason);
    if (before)
      cr_assert(got && len == before_len && !memcmp(got, before, len),
                "%s: the previous file was changed", what);
    else
      cr_assert_null(got, "%s: a failed write left %zu bytes", what, len);
  }
  cr_assert_eq(hd_count_prefixed(dirname(dir), prefix, 0), 0,
               "%s: a temporary file was left", what);
  free(got);
}

Test(disk_full, writer_reports_eio_and_leaves_nothing, .timeout = 120) {
  char path[512], msg[512];
  tu_tmp_path(path, sizeof path, "full.quire");
  hd_dictionary_size = 0; /* as op_pack() writes input order */
  cr_assert_eq(
      hd_write_generated(path, 800, SEED, QUIRE_ORDER_INPUT, 4096, 1, msg),
      QUIRE_OK);
  hd_dictionary_size = -1;
  size_t full;
  free(tu_read_file(path, &full));
  unlink(path);
  unsigned cases = 0, failed = 0;
  const rlim_t limits[] = {1,          63,       64,       65,
                           4096,       20000,    full / 4, full / 2,
                           full - 289, full - 1, full,     full + 1};
  for (int order = 0; order < 2; order++)
    for (int previous = 0; previous < 2; previous++)
      for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char *before = NULL;
        size_t before_len = 0;
        if (previous) {
          cr_assert_eq(
              hd_write_generated(path, 5, 2, QUIRE_ORDER_INPUT, 0, 1, msg),
              QUIRE_OK);
          before = tu_read_file(path, &before_len);
        }
        char arg[8];
        snprintf(arg, sizeof arg, "%d", order);
        report r = in_child(op_pack, path, arg, limits[i]);
        char what[128];
        snprintf(what, sizeof what, "pack (order %d) under a %llu-byte limit",
                 order, (unsigned long long)limits[i]);
        check_full(what, &r, path, before, before_len, strerror(EFBIG));
        /* Input order writes exactly the final size; more must succeed. */
        if (order == QUIRE_ORDER_INPUT)
          cr_assert_eq(r.status == QUIRE_OK, limits[i] >= full, "%s", what);
        cases++;
        failed += r.status != QUIRE_OK;
        free(before);
        unlink(path);
      }
  fprintf(stderr,
          "disk full (RLIMIT_FSIZE): %u pack runs, %u refused with QUIRE_EIO "
          "naming EFBIG and leaving nothing behind\n",
          cases, failed);
}

Test(disk_full, export_and_salvage_report_eio_and_leave_nothing,
     .timeout = 120) {
  char corpus[512], out[512], msg[512];
  tu_tmp_path(corpus, sizeof corpus, "full-src.quire");
  tu_tmp_path(out, sizeof out, "full-out");
  cr_assert_eq(
      hd_write_generated(corpus, 400, SEED, QUIRE_ORDER_INPUT, 4096, 1, msg),
      QUIRE_OK);
  const rlim_t limits[] = {1, 100, 65536, 100000};
  for (int previous = 0; previous < 2; previous++)
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
      const char *before = previous ? "old contents\n" : NULL;
      size_t before_len = before ? strlen(before) : 0;
      if (before)
        cr_assert_eq(tu_write_file(out, before, before_len), 0);
      report r = in_child(op_export, out, corpus, limits[i]);
      cr_assert_neq(r.status, QUIRE_OK, "export under %llu bytes succeeded",
                    (unsigned long long)limits[i]);
      check_full("export", &r, out, before, before_len, strerror(EFBIG));
      r = in_child(op_salvage, out, corpus, limits[i]);
      check_full("salvage", &r, out, before, before_len, NULL);
      unlink(out);
    }
  unlink(corpus);
}

/* /dev/full fails every write with ENOSPC. */
Test(disk_full, export_to_dev_full_fd) {
  char corpus[512], msg[512];
  tu_tmp_path(corpus, sizeof corpus, "full-fd.quire");
  cr_assert_eq(
      hd_write_generated(corpus, 50, SEED, QUIRE_ORDER_INPUT, 0, 1, msg),
      QUIRE_OK);
  int fd = open("/dev/full", O_WRONLY);
  if (fd < 0)
    cr_skip_test("/dev/full is not available");
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(corpus, &c), QUIRE_OK);
  quire_export *exp;
  cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
  cr_assert_eq(quire_export_to_fd(exp, fd), QUIRE_EIO);
  cr_assert(strstr(quire_export_errmsg(exp), strerror(ENOSPC)), "%s",
            quire_export_errmsg(exp));
  quire_export_free(exp);
  quire_corpus_free(c);
  close(fd);
  unlink(corpus);
}

/* Mounts a 256 KiB tmpfs at dir in new namespaces; 0 on success. Root in
 * a container may mount in a new mount namespace; anyone may in a new user
 * namespace where the system allows them. */
static int mount_small_tmpfs(const char *dir) {
  if (unshare(CLONE_NEWNS) != 0) {
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
      return -1;
    char map[64];
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    tu_write_file("/proc/self/setgroups", "deny", 4);
    if (tu_write_file("/proc/self/uid_map", map, strlen(map)) != 0)
      return -1;
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    if (tu_write_file("/proc/self/gid_map", map, strlen(map)) != 0)
      return -1;
  }
  mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
  return mount("tmpfs", dir, "tmpfs", 0, "size=256k");
}

/* Packs into a full tmpfs (ENOSPC): QUIRE_EIO, and the file system is left
 * as empty as it was. Runs in a child that owns the mount. */
Test(disk_full, writer_on_a_full_tmpfs, .timeout = 120) {
  char dir[512];
  tu_tmp_path(dir, sizeof dir, "tmpfs");
  cr_assert_eq(mkdir(dir, 0755), 0);
  int fd;
  pid_t pid = fork_with_pipe(&fd);
  if (pid == 0) {
    report r = {QUIRE_ENOTFOUND, "no tmpfs"};
    if (mount_small_tmpfs(dir) == 0) {
      char path[600];
      snprintf(path, sizeof path, "%s/out.quire", dir);
      for (int order = 0; order < 2 && r.status != QUIRE_EINVAL; order++) {
        r.status = hd_write_generated(path, 2000, SEED, order, 4096, 1, r.msg);
        if (r.status != QUIRE_EIO || !strstr(r.msg, strerror(ENOSPC)) ||
            hd_count_prefixed(dir, "out", 0) != 0)
          r.status = QUIRE_EINVAL; /* reported below */
      }
      if (r.status != QUIRE_EINVAL)
        r.status = QUIRE_EIO;
    }
    _exit(write(fd, &r, sizeof r) == sizeof r ? 0 : 1);
  }
  report r;
  cr_assert_eq(read(fd, &r, sizeof r), (ssize_t)sizeof r);
  close(fd);
  waitpid(pid, NULL, 0);
  rmdir(dir);
  if (r.status == QUIRE_ENOTFOUND)
    cr_skip_test("this system lets no test mount a tmpfs");
  cr_assert_eq(r.status, QUIRE_EIO,
               "a full tmpfs: the writer did not fail cleanly: %s", r.msg);
}
