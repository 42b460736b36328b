/*
 * zstd_blocks.h: what the zstd analysis tools here share: texts cut into
 * 64 KiB blocks and a dictionary trained on them, as quire's writer does.
 */
#ifndef QUIRE_ANALYSIS_ZSTD_BLOCKS_H
#define QUIRE_ANALYSIS_ZSTD_BLOCKS_H

#define ZDICT_STATIC_LINKING_ONLY
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

#include "cpu_file.h"

#define BLOCK (64u << 10)

/* The texts' lengths (NUL included) into *lens; returns their count. */
static size_t split_texts(const char *buf, size_t len, size_t **lens) {
  size_t count = 0, cap = 1024;
  *lens = malloc(cap * sizeof **lens);
  for (size_t at = 0; at < len;) {
    const char *end = memchr(buf + at, 0, len - at);
    size_t n = end ? (size_t)(end - (buf + at)) + 1 : len - at;
    if (count == cap)
      *lens = realloc(*lens, (cap *= 2) * sizeof **lens);
    (*lens)[count++] = n;
    at += n;
  }
  return count;
}

/* Block sizes: whole texts, cut before a text that would pass BLOCK. */
static size_t cut_blocks(const size_t *lens, size_t count, size_t *blocks) {
  size_t n = 0, fill = 0;
  for (size_t i = 0; i < count; i++) {
    if (fill && fill + lens[i] > BLOCK) {
      blocks[n++] = fill;
      fill = 0;
    }
    fill += lens[i];
  }
  if (fill)
    blocks[n++] = fill;
  return n;
}

static size_t train(const char *buf, size_t len, const size_t *lens,
                    size_t count, char *dict, size_t cap) {
  size_t budget = cap * 50 > (32u << 20) ? (32u << 20) : cap * 50;
  size_t step = len / budget > 1 ? len / budget : 1;
  char *samples = malloc(budget);
  size_t *sizes = malloc(count * sizeof *sizes), used = 0, at = 0;
  unsigned n = 0;
  for (size_t i = 0; i < count; at += lens[i], i++) {
    if (i % step == 0 && used + lens[i] <= budget) {
      memcpy(samples + used, buf + at, lens[i]);
      sizes[n++] = lens[i];
      used += lens[i];
    }
  }
  ZDICT_fastCover_params_t params = {0};
  params.k = 100;
  params.d = 8;
  params.accel = 4;
  params.zParams.compressionLevel = ZSTD_CLEVEL_DEFAULT;
  size_t size =
      ZDICT_trainFromBuffer_fastCover(dict, cap, samples, sizes, n, params);
  free(samples);
  free(sizes);
  return ZDICT_isError(size) ? 0 : size;
}

/* Reads the texts at path (each ended by a NUL byte, as in a text block)
 * into *buf (*len bytes), their lengths into *lens (*count of them) and the
 * sizes of the blocks the writer would cut them into into *blocks. Returns
 * the number of blocks, or 0 (with a message) when path cannot be read. */
static size_t read_blocks(const char *path, char **buf, size_t *len,
                          size_t **lens, size_t *count, size_t **blocks) {
  *buf = read_file(path, len);
  if (!*buf) {
    perror(path);
    return 0;
  }
  *count = split_texts(*buf, *len, lens);
  *blocks = malloc(*count * sizeof **blocks);
  return cut_blocks(*lens, *count, *blocks);
}

#endif
