/*
 * criterion_shim.h: the few Criterion macros the hardening tests use, for
 * building a test file as a plain program. ThreadSanitizer cannot run
 * Criterion's runner (it fails with "Could not initialize inheritable
 * arena", Snaipe/Criterion issue 274), so tests/tsan/ builds
 * test_concurrency.c against this instead.
 *
 * Tests run one after another in one process; the first failed assertion
 * prints its message and exits 1. The last line has Criterion's format:
 * "[====] Synthesis: Tested: N | Passing: N | Failing: 0 | Crashing: 0".
 */
#ifndef QUIRE_CRITERION_SHIM_H
#define QUIRE_CRITERION_SHIM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct shim_test {
  const char *suite, *name;
  void (*fn)(void);
  struct shim_test *next;
} shim_test;

static shim_test *shim_tests;
static jmp_buf shim_skip;

/* Extra arguments such as .timeout are accepted and ignored. */
#define Test(suite, name, ...)                                                 \
  static void suite##_##name##_impl(void);                                     \
  static shim_test suite##_##name##_entry = {#suite, #name,                    \
                                             suite##_##name##_impl, NULL};     \
  __attribute__((constructor)) static void suite##_##name##_add(void) {        \
    suite##_##name##_entry.next = shim_tests;                                  \
    shim_tests = &suite##_##name##_entry;                                      \
  }                                                                            \
  static void suite##_##name##_impl(void)

__attribute__((format(printf, 4, 5))) static inline void
shim_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
  fprintf(stderr, "[FAIL] %s:%d: %s:", file, line, expr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n[====] Synthesis: Failing: 1\n");
  exit(1);
}

/* The message is optional, as in Criterion: " " joins a format if given. */
#define cr_assert(cond, ...)                                                   \
  do {                                                                         \
    if (!(cond))                                                               \
      shim_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__);                   \
  } while (0)
#define cr_assert_not(cond, ...) cr_assert(!(cond), __VA_ARGS__)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...) cr_assert((a) > (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b), __VA_ARGS__)
#define cr_assert_not_null(p, ...) cr_assert((p) != NULL, __VA_ARGS__)
#define cr_log_info(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))
#define cr_log_warn(...) cr_log_info(__VA_ARGS__)
#define cr_skip_test(...)                                                      \
  do {                                                                         \
    cr_log_info("skipped: " __VA_ARGS__);                                      \
    longjmp(shim_skip, 1);                                                     \
  } while (0)

/* Runs one test; 0 when it skipped itself. Nothing here lives across the
 * longjmp of a skip. */
static int shim_run(void (*fn)(void)) {
  if (setjmp(shim_skip) != 0)
    return 0;
  fn();
  return 1;
}

int main(void) {
  int tested = 0, skipped = 0;
  for (shim_test *t = shim_tests; t; t = t->next) {
    fprintf(stderr, "[RUN ] %s::%s\n", t->suite, t->name);
    tested++;
    skipped += !shim_run(t->fn);
  }
  fprintf(stderr,
          "[====] Synthesis: Tested: %d | Passing: %d | Failing: 0 | "
          "Crashing: 0 | Skipped: %d\n",
          tested, tested - skipped, skipped);
  return 0;
}

#endif
