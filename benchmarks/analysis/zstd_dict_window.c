/*
 * zstd_dict_window.c: compresses texts in 64 KiB blocks with a trained
 * dictionary, as quire's writer does, then decompresses every block two
 * ways: with a ZSTD_DDict over the dictionary where it lies ("apart", what
 * quire did before), and into memory that directly follows a copy of the
 * dictionary, with a ZSTD_DDict referring to that copy ("window", what
 * core/codec.c does now). In the second case zstd takes the dictionary for
 * earlier output of the same frame and copies its matches inline; in the
 * first each match reaching into the dictionary is a memmove() call.
 * Checks that both give back the texts, and prints the CPU time of the
 * decompressions alone (best of RUNS) and their speed.
 * benchmarks/ANALYSIS.md, "Dictionary next to the output", has results.
 *
 *   cc -O2 -o /tmp/zstd_dict_window benchmarks/analysis/zstd_dict_window.c \
 *       -lzstd
 *   /tmp/zstd_dict_window TEXTS [LEVEL [DICT_BYTES [RUNS]]]
 *
 * TEXTS holds the documents' texts, each ended by a NUL byte, in block
 * order (ANALYSIS.md's "Reproducing" makes one from a CSV). DICT_BYTES
 * defaults to the writer's 1 MiB, at most a fiftieth of the texts.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cpu_file.h"
#include "zstd_blocks.h"

typedef struct packed {
  char **frames;
  size_t *sizes;
  size_t count, bytes;
} packed;

static int pack_blocks(const char *buf, const size_t *blocks, size_t nblocks,
                       const ZSTD_CDict *cdict, packed *out) {
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  out->frames = malloc(nblocks * sizeof *out->frames);
  out->sizes = malloc(nblocks * sizeof *out->sizes);
  out->count = nblocks;
  out->bytes = 0;
  size_t at = 0;
  for (size_t b = 0; b < nblocks; at += blocks[b], b++) {
    size_t cap = ZSTD_compressBound(blocks[b]);
    out->frames[b] = malloc(cap);
    size_t n = ZSTD_compress_usingCDict(cctx, out->frames[b], cap, buf + at,
                                        blocks[b], cdict);
    if (ZSTD_isError(n)) {
      fprintf(stderr, "%s\n", ZSTD_getErrorName(n));
      return -1;
    }
    out->sizes[b] = n;
    out->bytes += n;
  }
  ZSTD_freeCCtx(cctx);
  return 0;
}

/* Decompresses every block into dst (room bytes) with ddict, checking each
 * against the texts; returns the CPU seconds of the best of runs, or -1. */
static double unpack_blocks(const packed *p, const char *buf,
                            const size_t *blocks, const ZSTD_DDict *ddict,
                            char *dst, size_t room, int runs, int cold) {
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  double best = 1e30;
  for (int run = 0; run < runs; run++) {
    double took = 0;
    size_t at = 0;
    for (size_t b = 0; b < p->count; at += blocks[b], b++) {
      double start = cpu_seconds();
      if (cold) /* forgets the last dictionary: zstd then prefetches */
        ZSTD_decompressBegin(dctx);
      size_t n = ZSTD_decompress_usingDDict(dctx, dst, room, p->frames[b],
                                            p->sizes[b], ddict);
      took += cpu_seconds() - start;
      if (ZSTD_isError(n) || n != blocks[b] || memcmp(dst, buf + at, n)) {
        fprintf(stderr, "block %zu does not decompress to its texts\n", b);
        return -1;
      }
    }
    if (took < best)
      best = took;
  }
  ZSTD_freeDCtx(dctx);
  return best;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s TEXTS [LEVEL [DICT_BYTES [RUNS]]]\n", argv[0]);
    return 2;
  }
  int level = argc > 2 ? atoi(argv[2]) : 5;
  size_t dict_want = argc > 3 ? (size_t)atol(argv[3]) : (1u << 20);
  int runs = argc > 4 ? atoi(argv[4]) : 5;
  size_t len, *lens, count, *blocks;
  char *buf;
  size_t nblocks = read_blocks(argv[1], &buf, &len, &lens, &count, &blocks);
  if (!nblocks)
    return 1;
  size_t room = 0;
  for (size_t b = 0; b < nblocks; b++)
    room = blocks[b] > room ? blocks[b] : room;
  size_t dict_cap = len / 50 < dict_want ? len / 50 : dict_want;
  /* The window: the dictionary, then room for the largest block. */
  char *window = malloc(dict_cap + room);
  size_t dict_size = train(buf, len, lens, count, window, dict_cap);
  if (!dict_size) {
    fprintf(stderr, "training failed\n");
    return 1;
  }
  ZSTD_CDict *cdict = ZSTD_createCDict(window, dict_size, level);
  packed p;
  if (pack_blocks(buf, blocks, nblocks, cdict, &p) != 0)
    return 1;
  ZSTD_DDict *apart = ZSTD_createDDict(window, dict_size); /* a copy */
  ZSTD_DDict *in_window = ZSTD_createDDict_byReference(window, dict_size);
  char *out = malloc(room);
  double t_apart = unpack_blocks(&p, buf, blocks, apart, out, room, runs, 0);
  double t_window = unpack_blocks(&p, buf, blocks, in_window,
                                  window + dict_size, room, runs, 0);
  double t_cold = unpack_blocks(&p, buf, blocks, in_window, window + dict_size,
                                room, runs, 1);
  if (t_apart < 0 || t_window < 0 || t_cold < 0)
    return 1;
  printf("level %d: %zu blocks, %zu bytes of texts, dictionary %zu bytes, "
         "%zu compressed\n",
         level, nblocks, len, dict_size, p.bytes);
  printf("apart:  %.3f s CPU, %.0f MB/s\n", t_apart,
         (double)len / t_apart / 1e6);
  printf("window: %.3f s CPU, %.0f MB/s\n", t_window,
         (double)len / t_window / 1e6);
  printf("window, dictionary taken as cold: %.3f s CPU, %.0f MB/s\n", t_cold,
         (double)len / t_cold / 1e6);
  for (size_t b = 0; b < p.count; b++)
    free(p.frames[b]);
  free(p.frames);
  free(p.sizes);
  ZSTD_freeDDict(apart);
  ZSTD_freeDDict(in_window);
  ZSTD_freeCDict(cdict);
  free(out);
  free(window);
  free(blocks);
  free(lens);
  free(buf);
  return 0;
}
