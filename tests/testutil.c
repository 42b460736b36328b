#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef QUIRE_TEST_TMP
#define QUIRE_TEST_TMP "/tmp"
#endif

char *tu_tmp_path(char *buf, size_t cap, const char *name) {
  static unsigned counter;
  mkdir(QUIRE_TEST_TMP, 0755);
  snprintf(buf, cap, "%s/%ld-%u-%s", QUIRE_TEST_TMP, (long)getpid(),
           __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED), name);
  return buf;
}

const char *tu_seeds_dir(void) {
  const char *dir = getenv("QUIRE_SEEDS_DIR");
#ifdef QUIRE_SEEDS_DIR
  if (!dir)
    dir = QUIRE_SEEDS_DIR;
#endif
  static char manifest[4096];
  if (!dir)
    return NULL;
  snprintf(manifest, sizeof manifest, "%s/manifest.csv", dir);
  return tu_exists(manifest) ? dir : NULL;
}

char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, used = 0;
  char *data = malloc(cap + 1);
  size_t got;
  while (data && (got = fread(data + used, 1, cap - used, f)) > 0) {
    used += got;
    if (used == cap) {
      char *bigger = realloc(data, cap * 2 + 1);
      if (!bigger) {
        free(data);
        data = NULL;
        break;
      }
      data = bigger;
      cap *= 2;
    }
  }
  fclose(f);
  if (data) {
    data[used] = '\0';
    *len = used;
  }
  return data;
}

int tu_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t put = fwrite(data, 1, len, f);
  return (fclose(f) == 0 && put == len) ? 0 : -1;
}

int tu_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

uint64_t tu_rand(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* ---- a counting allocator ---------------------------------------------- */

static atomic_long live_bytes, peak_bytes;

/* Each block carries its size in 16 bytes before it (malloc's alignment). */
static void *sized_malloc(void *ctx, size_t size) {
  (void)ctx;
  size_t *p = malloc(size + 16);
  if (!p)
    return NULL;
  *p = size;
  long now = atomic_fetch_add(&live_bytes, (long)size) + (long)size;
  long peak = atomic_load(&peak_bytes);
  while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now))
    ;
  return (char *)p + 16;
}

static void sized_free(void *ctx, void *ptr) {
  (void)ctx;
  if (!ptr)
    return;
  size_t *p = (size_t *)((char *)ptr - 16);
  atomic_fetch_sub(&live_bytes, (long)*p);
  free(p);
}

static void *sized_realloc(void *ctx, void *ptr, size_t size) {
  void *fresh = sized_malloc(ctx, size);
  if (fresh && ptr) {
    size_t old = *(size_t *)((char *)ptr - 16);
    memcpy(fresh, ptr, old < size ? old : size);
    sized_free(ctx, ptr);
  }
  return fresh;
}

int tu_counting_allocator(int on) {
  return on ? quire_set_allocator(sized_malloc, sized_realloc, sized_free, NULL)
            : quire_set_allocator(NULL, NULL, NULL, NULL);
}

long tu_live_bytes(void) {
  return atomic_load(&live_bytes);
}

long tu_peak_bytes(void) {
  return atomic_load(&peak_bytes);
}

void tu_peak_reset(void) {
  atomic_store(&peak_bytes, atomic_load(&live_bytes));
}

static void *read_pipe(void *arg) {
  tu_pipe_reader *r = arg;
  int fd = open(r->path, O_RDONLY);
  char chunk[4096];
  ssize_t got;
  while (fd >= 0 && (got = read(fd, chunk, sizeof chunk)) > 0) {
    char *grown = realloc(r->data, r->len + (size_t)got);
    if (!grown)
      break;
    r->data = grown;
    memcpy(r->data + r->len, chunk, (size_t)got);
    r->len += (size_t)got;
  }
  if (fd >= 0)
    close(fd);
  return NULL;
}

int tu_pipe_reader_start(tu_pipe_reader *r, const char *path) {
  r->path = path;
  r->data = NULL;
  r->len = 0;
  unlink(path);
  if (mkfifo(path, 0600) != 0)
    return -1;
  return pthread_create(&r->thread, NULL, read_pipe, r) == 0 ? 0 : -1;
}

void tu_pipe_reader_join(tu_pipe_reader *r) {
  pthread_join(r->thread, NULL);
}

int tu_child_exit(int child, int seconds) {
  struct timespec tick = {0, 1000000};
  for (long waited = 0; waited < seconds * 1000L; waited++) {
    int status;
    if (waitpid(child, &status, WNOHANG) == child)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    nanosleep(&tick, NULL);
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return -1;
}
