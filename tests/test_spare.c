/*
 * test_spare.c: the buffers released Arrow batches leave for the next ones
 * (core/spare.c): which are kept, which are lent, and when they are freed.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <unistd.h>

#include "codec.h"
#include "hardening.h"
#include "internal.h"
#include "pool.h"
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

/* Defect: a take freed every buffer kept over a second, and the batches
 * of the read then wrote fresh memory, each page zeroed: a whole-corpus
 * read repeated every 1.2 s took 0.83 s, one repeated at once 0.49 s. A
 * take now lends what fits whatever its age and frees nothing; the next
 * give, of any size, frees what expired. The same for inflaters. */
Test(spare, a_take_lends_what_fits_however_long_it_was_kept) {
  q_spare_drain();
  char *fits = buffer(512 * KIB);
  q_spare_give(fits, 512 * KIB);
  q_spare_give(buffer(2048 * KIB), 2048 * KIB);
  q_inflater *older = q_inflater_take(), *newer = q_inflater_take();
  q_inflater_give(older);
  q_inflater_give(newer);
  usleep(1100 * 1000); /* over Q_SPARE_AGE_NS */
  size_t cap = 0;
  cr_assert_eq(q_spare_take(500 * KIB, &cap), fits);
  cr_assert_eq(cap, 512 * KIB);
  cr_assert_eq(q_spare_take(4096 * KIB, &cap), NULL);
  cr_assert_eq(q_spare_kept(), 2048 * KIB, "a take frees nothing");
  q_spare_give(buffer(100 * KIB), 100 * KIB); /* too small to keep */
  cr_assert_eq(q_spare_kept(), 0, "a give frees what expired");
  q_free(fits);
  cr_assert_eq(q_inflater_take(), newer);
  cr_assert_eq(q_inflaters_kept(), 1);
  q_inflater_give(newer);
  cr_assert_eq(q_inflaters_kept(), 1, "the older one expired");
  cr_assert_eq(q_inflater_take(), newer);
  q_inflater_free(newer);
}

static void nothing(void *arg) {
  (void)arg;
}

/* Kept buffers and inflaters are freed by a parked pool thread once kept
 * for the idle time, with no further call to the library; never before. */
Test(spare, what_is_kept_is_freed_when_the_library_is_idle) {
  q_spare_drain();
  q_spare_set_idle_ns(200 * 1000000ull);
  q_pool_job job = {nothing, NULL, 0};
  cr_assert_eq(q_pool_run(&job), 0, "no pool thread");
  q_pool_wait(&job);
  uint64_t start = q_now_ns();
  q_spare_give(buffer(512 * KIB), 512 * KIB);
  q_inflater_give(q_inflater_take());
  cr_assert_eq(q_spare_kept(), 512 * KIB);
  cr_assert_eq(q_inflaters_kept(), 1);
  while ((q_spare_kept() > 0 || q_inflaters_kept() > 0) &&
         q_now_ns() - start < 5 * 1000000000ull)
    usleep(5 * 1000);
  cr_expect_eq(q_spare_kept(), 0);
  cr_expect_eq(q_inflaters_kept(), 0);
  cr_expect_geq(q_now_ns() - start, 200 * 1000000ull,
                "freed before the idle time");
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

/* ---- inflaters ---------------------------------------------------------- */

/* The last inflater given back is the first lent; at most four are kept. */
Test(spare, released_inflaters_are_lent_again) {
  q_inflater *first = q_inflater_take(), *second = q_inflater_take();
  cr_assert(first && second && first != second);
  q_inflater_give(first);
  q_inflater_give(second);
  cr_assert_eq(q_inflaters_kept(), 2);
  cr_assert_eq(q_inflater_take(), second);
  cr_assert_eq(q_inflater_take(), first);
  cr_assert_eq(q_inflaters_kept(), 0);
  q_inflater *many[6];
  for (int i = 0; i < 6; i++)
    many[i] = i < 2 ? (i ? second : first) : q_inflater_take();
  for (int i = 0; i < 6; i++)
    q_inflater_give(many[i]);
  cr_assert_eq(q_inflaters_kept(), 4);
  q_spare_expire(3600ull * 1000000000u);
  cr_assert_eq(q_inflaters_kept(), 4);
  q_spare_expire(0);
  cr_assert_eq(q_inflaters_kept(), 0);
}

/* A cursor's first block set up its inflater's zstd context and dictionary
 * window, 80 to 115 us that were most of a filtered read of a few
 * documents: a cursor now gives its inflater back, and the next takes it,
 * windows filled. */
Test(spare, a_cursor_takes_the_inflater_the_last_one_gave_back) {
  char path[512], msg[512];
  tu_tmp_path(path, sizeof path, "spare-inflaters.quire");
  cr_assert_eq(
      hd_write_generated(path, 200, 5, QUIRE_ORDER_CLUSTERED, 4096, 1, msg),
      QUIRE_OK, "%s", msg);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  q_spare_drain();
  char *first_title = NULL;
  for (int round = 0; round < 2; round++) {
    quire_cursor *cur;
    cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
    cr_assert_eq(q_inflaters_kept(), 0, "round %d: the kept one is lent",
                 round);
    cr_assert_eq(quire_cursor_next(cur), QUIRE_ROW);
    const char *title;
    size_t len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TITLE, &title, &len),
                 QUIRE_OK);
    if (round == 0)
      first_title = strdup(title);
    else
      cr_assert_str_eq(title, first_title, "read through a reused window");
    quire_cursor_free(cur);
    cr_assert_eq(q_inflaters_kept(), 1);
  }
  free(first_title);
  q_spare_drain();
  quire_corpus_free(c);
  unlink(path);
}

/* Kept inflaters are freed with the allocator that made them. */
Test(spare, changing_the_allocator_frees_kept_inflaters) {
  q_spare_drain();
  cr_assert_eq(tu_counting_allocator(1), QUIRE_OK);
  long base = tu_live_bytes();
  q_inflater_give(q_inflater_take());
  cr_assert_eq(q_inflaters_kept(), 1);
  cr_assert_gt(tu_live_bytes(), base);
  cr_assert_eq(tu_counting_allocator(0), QUIRE_OK);
  cr_assert_eq(q_inflaters_kept(), 0);
  cr_assert_eq(tu_live_bytes(), base, "a kept inflater leaked");
}

/* ---- fork ---------------------------------------------------------------- */

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int hammering;

/* Gives and takes kept buffers, as a thread releasing Arrow batches does,
 * and asks what is kept in between, so that the spare lock is held most of
 * the time. */
static void *hammer(void *arg) {
  (void)arg;
  while (atomic_load(&hammering)) {
    for (int i = 0; i < 1000; i++)
      (void)q_spare_kept();
    size_t cap = 0;
    void *p = q_spare_take(512 * KIB, &cap);
    if (p)
      q_spare_give(p, cap);
    else
      q_spare_give(q_malloc(512 * KIB), 512 * KIB);
  }
  return NULL;
}

/* A fork() while another thread held the spare lock left the child's copy
 * of it locked: the child's first batch released or built hung forever.
 * Python's multiprocessing and PySpark's workers fork processes that go on
 * reading. The lock is now held across fork() (pthread_atfork). */
Test(spare, a_child_forked_while_buffers_move_can_use_them) {
  atomic_store(&hammering, 1);
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, hammer, NULL), 0);
  int hung = 0, forks = 0;
  for (; forks < 3000 && !hung; forks++) {
    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
      size_t cap = 0;
      void *p = q_spare_take(512 * KIB, &cap);
      q_spare_give(p ? p : q_malloc(512 * KIB), p ? cap : 512 * KIB);
      q_spare_drain();
      _exit(0);
    }
    hung = tu_child_exit(child, 5) != 0;
  }
  atomic_store(&hammering, 0);
  pthread_join(thread, NULL);
  q_spare_drain();
  cr_assert_not(hung, "child %d of a fork hung on the spare lock", forks);
}
