/*
 * test_fuzz_replay.c: replays, through the fuzz targets themselves, every
 * seed in tests/fuzz/corpus/ and every input that once crashed a target,
 * kept in tests/fuzz/regressions/ (each named after the bug it found). The
 * targets abort on any broken promise, so a fixed bug coming back fails
 * here, and under .ci/sanitize.sh with ASan and UBSan too.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

/* Each target defines LLVMFuzzerTestOneInput: give each its own name. */
#define LLVMFuzzerTestOneInput fuzz_corpus_one
#include "fuzz/fuzz_corpus.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_csv_one
#include "fuzz/fuzz_csv.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_date_one
#include "fuzz/fuzz_date.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_dedup_one
#include "fuzz/fuzz_dedup.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_dict_one
#include "fuzz/fuzz_dict.c"
#undef LLVMFuzzerTestOneInput

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

/* The tests/fuzz directory, found from this file's path. */
static const char *fuzz_dir(void) {
  static char dir[4096];
  if (!dir[0]) {
    char file[4096];
    snprintf(file, sizeof file, "%s", __FILE__);
    snprintf(dir, sizeof dir, "%s/fuzz", dirname(file));
  }
  return dir;
}

/* Runs every file of tests/fuzz/<kind>/<target> through fn; returns how
 * many there were. */
static int replay_dir(const char *kind, const char *target, fuzz_fn fn) {
  char dir[4096 + 64];
  snprintf(dir, sizeof dir, "%s/%s/%s", fuzz_dir(), kind, target);
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[sizeof dir + 256];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *data = tu_read_file(path, &len);
    cr_assert_not_null(data, "cannot read %s", path);
    fn((const uint8_t *)data, len);
    free(data);
    count++;
  }
  closedir(d);
  return count;
}

static void replay(const char *target, fuzz_fn fn) {
  int seeds = replay_dir("corpus", target, fn);
  int regressions = replay_dir("regressions", target, fn);
  cr_assert_gt(seeds, 0, "no seeds for fuzz_%s in %s", target, fuzz_dir());
  cr_log_info("fuzz_%s: %d seeds and %d regression inputs replayed", target,
              seeds, regressions);
}

Test(fuzz_replay, corpus_target, .timeout = 120) {
  replay("corpus", fuzz_corpus_one);
}

Test(fuzz_replay, csv_target, .timeout = 120) {
  replay("csv", fuzz_csv_one);
}

Test(fuzz_replay, date_target, .timeout = 60) {
  replay("date", fuzz_date_one);
}

Test(fuzz_replay, dedup_target, .timeout = 60) {
  replay("dedup", fuzz_dedup_one);
}

Test(fuzz_replay, dict_target, .timeout = 120) {
  replay("dict", fuzz_dict_one);
}
