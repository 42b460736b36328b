/*
 * header_use.c: compiled as C and as C++ by header_test.sh (with the
 * experimental section declared), with every
 * warning an error, and linked against libquire.so. It includes quire.h
 * twice, uses its types and constants and takes the address of every
 * QUIRE_API function (api_functions.inc, generated from the header), so
 * that a function missing from the library, or declared without C linkage
 * in C++, fails the link.
 */
#include <quire.h>
#include <quire.h> /* the include guard works */

#include <string.h>

#if defined(__cplusplus)
#define STATIC_ASSERT(expr, why) static_assert(expr, why)
#elif __STDC_VERSION__ >= 201112L
#define STATIC_ASSERT(expr, why) _Static_assert(expr, why)
#else /* C99: an array of negative size fails to compile */
#define STATIC_ASSERT_AT(expr, line)                                           \
  typedef char assertion_##line[(expr) ? 1 : -1]
#define STATIC_ASSERT_LINE(expr, line) STATIC_ASSERT_AT(expr, line)
#define STATIC_ASSERT(expr, why) STATIC_ASSERT_LINE(expr, __LINE__)
#endif

STATIC_ASSERT(QUIRE_VERSION_NUMBER == QUIRE_VERSION_MAJOR * 10000 +
                                          QUIRE_VERSION_MINOR * 100 +
                                          QUIRE_VERSION_PATCH,
              "QUIRE_VERSION_NUMBER is MAJOR*10000 + MINOR*100 + PATCH");
STATIC_ASSERT(QUIRE_OK == 0 && QUIRE_ROW > 0 && QUIRE_DONE > 0 &&
                  QUIRE_ECALLBACK < 0,
              "success is 0, cursor steps positive, failures negative");
STATIC_ASSERT(QUIRE_NO_DATE == INT64_MIN, "undated is INT64_MIN");
STATIC_ASSERT(QUIRE_MIN_BLOCK_SIZE <= QUIRE_DEFAULT_BLOCK_SIZE &&
                  QUIRE_DEFAULT_BLOCK_SIZE <= QUIRE_MAX_BLOCK_SIZE,
              "the default block size is allowed");

/* The callback types take these shapes. */
static int sink(void *ctx, const char *data, size_t len) {
  (void)data;
  *(size_t *)ctx += len;
  return 0;
}
static void *my_malloc(void *ctx, size_t size) {
  (void)ctx;
  (void)size;
  return NULL;
}
static void *my_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  (void)ptr;
  (void)size;
  return NULL;
}
static void my_free(void *ctx, void *ptr) {
  (void)ctx;
  (void)ptr;
}
static int progress(void *ctx, uint64_t done, uint64_t total) {
  (void)ctx;
  return done > total;
}

typedef void (*any_function)(void);
static const any_function api_functions[] = {
#include "api_functions.inc"
};

int main(void) {
  quire_write_fn write_fn = sink;
  quire_malloc_fn malloc_fn = my_malloc;
  quire_realloc_fn realloc_fn = my_realloc;
  quire_free_fn free_fn = my_free;
  size_t written = 0;
  if (!write_fn || write_fn(&written, "abc", 3) != 0 || written != 3)
    return 1;
  quire_progress_fn progress_fn = progress;
  if (!malloc_fn || !realloc_fn || !free_fn || progress_fn(NULL, 1, 2) != 0)
    return 1;
  /* The document initialiser is valid C and C++ and says its size. */
  quire_document doc = QUIRE_DOCUMENT_INIT;
  if (doc.size != sizeof doc || doc.text != NULL || doc.text_len != 0)
    return 1;
  for (size_t i = 0; i < sizeof api_functions / sizeof api_functions[0]; i++)
    if (!api_functions[i])
      return 1;
  /* The library loaded was built from this header. */
  if (quire_version_number() != QUIRE_VERSION_NUMBER ||
      strcmp(quire_version_string(), QUIRE_VERSION_STRING) != 0)
    return 1;
  /* Opaque handles go through the library. */
  quire_filter *filter = NULL;
  if (quire_filter_new(&filter) != QUIRE_OK || !filter)
    return 1;
  quire_filter_free(filter);
  return strcmp(quire_strerror(QUIRE_ECORRUPT), "unknown status") == 0;
}
