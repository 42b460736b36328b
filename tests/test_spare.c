/*
 * test_spare.c: the buffers released Arrow batches leave for the next ones
 * (core/spare.c): which are kept, which are lent, and when they are freed.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "internal.h"
#include "testutil.h"

#define KIB ((size_t)1 << 10)

/* A buffer of cap bytes from the library's allocator, its first byte set. */
static void *buffer(size_t cap) {
  char *p = q_malloc(cap);
  cr_assert_not_null(p);
  p[0] = 1;
  return p;
}

Test(spare, small_buffers_are_freed_not_kept) {
  q_spare_give(buffer(100 * KIB), 100 * KIB);
  cr_assert_eq(q_spare_kept(), 0);
  size_t cap = 0;
  cr_assert_null(q_spare_take(100 * KIB, &cap));
}

Test(spare, a_buffer_is_lent_only_to_a_need_it_fits) {
  q_spare_give(buffer(1024 * KIB), 1024 * KIB);
  cr_assert_eq(q_spare_kept(), 1024 * KIB);
  size_t cap = 0;
  /* Over twice the need: the batch would hold it all for a third of it. */
  cr_assert_null(q_spare_take(300 * KIB, &cap));
  cr_assert_null(q_spare_take(2048 * KIB, &cap));
  char *p = q_spare_take(600 * KIB, &cap);
  cr_assert_not_null(p);
  cr_assert_eq(cap, 1024 * KIB);
  cr_assert_eq(q_spare_kept(), 0);
  /* Lent memory is the borrower's to write, all of it. */
  memset(p, 7, cap);
  q_free(p);
}

Test(spare, the_smallest_buffer_that_fits_is_lent) {
  q_spare_give(buffer(2048 * KIB), 2048 * KIB);
  q_spare_give(buffer(512 * KIB), 512 * KIB);
  q_spare_give(buffer(1024 * KIB), 1024 * KIB);
  size_t cap = 0;
  char *p = q_spare_take(500 * KIB, &cap);
  cr_assert_eq(cap, 512 * KIB);
  q_free(p);
  p = q_spare_take(900 * KIB, &cap);
  cr_assert_eq(cap, 1024 * KIB);
  q_free(p);
  cr_assert_eq(q_spare_kept(), 2048 * KIB);
  q_spare_drain();
  cr_assert_eq(q_spare_kept(), 0);
}

Test(spare, expired_buffers_are_freed) {
  q_spare_give(buffer(512 * KIB), 512 * KIB);
  q_spare_expire(3600ull * 1000000000u);
  cr_assert_eq(q_spare_kept(), 512 * KIB);
  q_spare_expire(0);
  cr_assert_eq(q_spare_kept(), 0);
}

/* Kept buffers count as live in a counting allocator until given back, and
 * changing the allocator frees them with the one that made them. */
Test(spare, changing_the_allocator_frees_what_is_kept) {
  cr_assert_eq(tu_counting_allocator(1), QUIRE_OK);
  long base = tu_live_bytes();
  for (int i = 0; i < 3; i++)
    q_spare_give(buffer(256 * KIB << i), 256 * KIB << i);
  cr_assert_eq(q_spare_kept(), 1792 * KIB);
  cr_assert_geq(tu_live_bytes() - base, (long)(1792 * KIB));
  cr_assert_eq(tu_counting_allocator(0), QUIRE_OK);
  cr_assert_eq(q_spare_kept(), 0);
  cr_assert_eq(tu_live_bytes(), base, "kept buffers leaked");
}

/* More than the cap in all: the oldest go first. */
Test(spare, at_most_a_gibibyte_is_kept) {
  size_t big = (size_t)400 << 20;
  for (int i = 0; i < 3; i++)
    q_spare_give(buffer(big), big);
  cr_assert_eq(q_spare_kept(), 2 * big);
  q_spare_drain();
}
