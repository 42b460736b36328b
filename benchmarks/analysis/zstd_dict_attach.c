/*
 * zstd_dict_attach.c: compresses texts in 64 KiB blocks with a trained
 * dictionary, as quire's writer does, with the dictionary's match tables
 * either copied into the context for each block (zstd's default for inputs
 * over 32 KiB at level 5) or attached (ZSTD_dictForceAttach), and with the
 * tables made smaller. Prints the CPU time of the compressions alone (best
 * of --runs) and the bytes. benchmarks/ANALYSIS.md, "Dictionary tables
 * attached instead of copied", has the results.
 *
 *   cc -O2 -o /tmp/zstd_dict_attach benchmarks/analysis/zstd_dict_attach.c \
 *       -lzstd
 *   /tmp/zstd_dict_attach TEXTS MODE [LEVEL [HASHLOG CHAINLOG [RUNS]]]
 *
 * TEXTS holds the documents' texts, each ended by a NUL byte (as in a text
 * block), in the order the blocks take them. MODE is copy or attach;
 * HASHLOG and CHAINLOG 0 keep what ZSTD_getCParams() gives. The dictionary
 * is trained as the writer trains it (fastCover, k 100, d 8, accel 4, at
 * most 1 MiB and a fiftieth of the texts, on every n-th text up to 50
 * times its size or 32 MiB).
 */
#define ZSTD_STATIC_LINKING_ONLY
#define ZDICT_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zdict.h>
#include <zstd.h>

#include "cpu_file.h"
#include "zstd_blocks.h"

static size_t compress_block(ZSTD_CCtx *cctx, const ZSTD_CDict *cdict,
                             int attach, int level, const char *src, size_t len,
                             char *dst, size_t cap) {
  if (!attach)
    return ZSTD_compress_usingCDict(cctx, dst, cap, src, len, cdict);
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach);
  ZSTD_CCtx_refCDict(cctx, cdict);
  return ZSTD_compress2(cctx, dst, cap, src, len);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s TEXTS copy|attach [LEVEL [HASHLOG CHAINLOG "
            "[RUNS]]]\n",
            argv[0]);
    return 2;
  }
  int attach = strcmp(argv[2], "attach") == 0;
  int level = argc > 3 ? atoi(argv[3]) : 5;
  unsigned hash_log = argc > 5 ? (unsigned)atoi(argv[4]) : 0;
  unsigned chain_log = argc > 5 ? (unsigned)atoi(argv[5]) : 0;
  int runs = argc > 6 ? atoi(argv[6]) : 5;
  size_t len, *lens, count, *blocks;
  char *buf;
  size_t nblocks = read_blocks(argv[1], &buf, &len, &lens, &count, &blocks);
  if (!nblocks)
    return 1;
  size_t dict_cap = len / 50 < (1u << 20) ? len / 50 : (1u << 20);
  char *dict = malloc(dict_cap);
  size_t dict_size = train(buf, len, lens, count, dict, dict_cap);
  if (!dict_size) {
    fprintf(stderr, "training failed\n");
    return 1;
  }
  ZSTD_compressionParameters params = ZSTD_getCParams(level, BLOCK, dict_size);
  if (hash_log)
    params.hashLog = hash_log;
  if (chain_log)
    params.chainLog = chain_log;
  ZSTD_CDict *cdict =
      ZSTD_createCDict_advanced(dict, dict_size, ZSTD_dlm_byCopy,
                                ZSTD_dct_fullDict, params, ZSTD_defaultCMem);
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  size_t cap = ZSTD_compressBound(2 * BLOCK), total = 0;
  char *out = malloc(cap);
  double best = 1e30;
  for (int run = 0; run < runs; run++) {
    double start = cpu_seconds();
    size_t at = 0;
    total = 0;
    for (size_t b = 0; b < nblocks; at += blocks[b], b++) {
      size_t n = compress_block(cctx, cdict, attach, level, buf + at, blocks[b],
                                out, cap);
      if (ZSTD_isError(n)) {
        fprintf(stderr, "%s\n", ZSTD_getErrorName(n));
        return 1;
      }
      total += n;
    }
    double took = cpu_seconds() - start;
    if (took < best)
      best = took;
  }
  printf("%s level %d hashLog %u chainLog %u: %zu blocks, dictionary %zu "
         "bytes, CDict %zu bytes, compress %.3f s CPU, %zu bytes\n",
         attach ? "attach" : "copy", level, params.hashLog, params.chainLog,
         nblocks, dict_size, ZSTD_sizeof_CDict(cdict), best, total);
  ZSTD_freeCCtx(cctx);
  ZSTD_freeCDict(cdict);
  free(out);
  free(dict);
  free(blocks);
  free(lens);
  free(buf);
  return 0;
}
