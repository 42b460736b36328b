/*
 * meta_frames.c: how fast zstd gives back a corpus's metadata blocks (the
 * titles, authors and urls of one text block each, FORMAT.md) when they
 * are compressed as the file has them, one frame a block, or GROUP blocks
 * to a frame; at a LEVEL, with the file's metadata dictionary, and with
 * literals Huffman-coded (zstd's default) or stored raw ("raw" as the
 * fourth argument). Each frame is decompressed as core/codec.c does,
 * right after a copy of the dictionary ("window", then copied out), or
 * with the dictionary where it lies ("apart"). It asks whether metadata
 * frames cut with the text blocks bound a read of the metadata, which only
 * a format change could alter. Prints the frames' size and the best of
 * RUNS decompressions of all of them (CPU time of the process, one
 * thread). benchmarks/ANALYSIS.md, "zstd on the metadata blocks", has
 * results.
 *
 * It reads the blocks through libquire's internal reader, so it links the
 * static library built by CMake:
 *
 *   cc -O2 -Icore -Iinclude -Ibenchmarks/analysis -o /tmp/meta_frames \
 *       benchmarks/analysis/meta_frames.c build/libquire.a \
 *       -lzstd -lz -ldeflate -lcsv -lpthread -lm
 *   /tmp/meta_frames CORPUS.quire GROUP LEVEL [raw|huffman] [RUNS]
 *       [window|apart]
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "codec.h"
#include "reader.h"

#include "cpu_file.h"

/* The corpus's metadata dictionary (use 1 in its directory entry). */
static int metadata_dictionary(const quire_corpus *c, q_dict_info *out) {
  char msg[512];
  for (uint32_t d = 1; d <= q_dict_count(c); d++) {
    if (q_dict_info_get(c, d, out, msg) != QUIRE_OK)
      continue;
    if (out->use == 1)
      return 1;
    q_dict_info_free(out);
  }
  return 0;
}

/* Every metadata block of the corpus, inflated, one after another into
 * *all; their sizes into sizes[]. Returns the count, or 0. */
static size_t load_blocks(const quire_corpus *c, char **all, size_t **sizes,
                          size_t *total) {
  size_t count = (size_t)c->meta_blocks, at = 0, cap = 1 << 20;
  *all = malloc(cap);
  *sizes = malloc(count * sizeof **sizes);
  q_inflater *inflater = q_inflater_new();
  q_buf block = {0};
  char msg[512];
  for (size_t b = 0; b < count; b++) {
    if (q_block_load(c, 1, (uint32_t)b, inflater, &block, msg) != QUIRE_OK) {
      fprintf(stderr, "metadata block %zu: %s\n", b, msg);
      return 0;
    }
    while (at + block.len > cap)
      *all = realloc(*all, cap *= 2);
    memcpy(*all + at, block.data, block.len);
    (*sizes)[b] = block.len;
    at += block.len;
  }
  q_buf_free(&block);
  q_inflater_free(inflater);
  *total = at;
  return count;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s CORPUS GROUP LEVEL [raw|huffman] [RUNS]\n",
            argv[0]);
    return 2;
  }
  size_t group = (size_t)atoi(argv[2]);
  int level = atoi(argv[3]);
  int raw = argc > 4 && strcmp(argv[4], "raw") == 0;
  int runs = argc > 5 ? atoi(argv[5]) : 100;
  int apart = argc > 6 && strcmp(argv[6], "apart") == 0;
  quire_corpus *c;
  q_dict_info dict;
  if (group == 0 || quire_corpus_open(argv[1], &c) != QUIRE_OK ||
      !metadata_dictionary(c, &dict)) {
    fprintf(stderr, "%s: no corpus with a metadata dictionary\n", argv[1]);
    return 1;
  }
  char *all;
  size_t *sizes, total;
  size_t blocks = load_blocks(c, &all, &sizes, &total);
  if (!blocks)
    return 1;
  ZSTD_CDict *cdict = ZSTD_createCDict(dict.bytes, dict.size, level);
  ZSTD_DDict *ddict = ZSTD_createDDict(dict.bytes, dict.size);
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  size_t frames = (blocks + group - 1) / group, packed = 0, at = 0;
  void **frame = malloc(frames * sizeof *frame);
  size_t *frame_len = malloc(frames * sizeof *frame_len);
  size_t *plain_len = calloc(frames, sizeof *plain_len);
  for (size_t f = 0; f < frames; f++) {
    for (size_t b = f * group; b < blocks && b < (f + 1) * group; b++)
      plain_len[f] += sizes[b];
    size_t bound = ZSTD_compressBound(plain_len[f]);
    frame[f] = malloc(bound);
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
    if (raw)
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_literalCompressionMode,
                             ZSTD_ps_disable);
    ZSTD_CCtx_refCDict(cctx, cdict);
    frame_len[f] =
        ZSTD_compress2(cctx, frame[f], bound, all + at, plain_len[f]);
    if (ZSTD_isError(frame_len[f])) {
      fprintf(stderr, "compress: %s\n", ZSTD_getErrorName(frame_len[f]));
      return 1;
    }
    packed += frame_len[f];
    at += plain_len[f];
  }
  /* The window: a copy of the dictionary, then room for the largest frame;
   * its DDict refers to the copy, so that zstd takes the dictionary for
   * earlier output of the frame. */
  size_t largest = 0;
  for (size_t f = 0; f < frames; f++)
    largest = plain_len[f] > largest ? plain_len[f] : largest;
  char *window = malloc(dict.size + largest);
  memcpy(window, dict.bytes, dict.size);
  ZSTD_DDict *wdict = ZSTD_createDDict_advanced(
      window, dict.size, ZSTD_dlm_byRef, ZSTD_dct_fullDict, ZSTD_defaultCMem);
  char *room = window + dict.size;
  char *out = malloc(total);
  double best = 1e30;
  for (int r = 0; r < runs; r++) {
    double start = cpu_seconds();
    size_t o = 0;
    for (size_t f = 0; f < frames; f++) {
      size_t n =
          apart ? ZSTD_decompress_usingDDict(dctx, out + o, plain_len[f],
                                             frame[f], frame_len[f], ddict)
                : ZSTD_decompress_usingDDict(dctx, room, plain_len[f], frame[f],
                                             frame_len[f], wdict);
      if (ZSTD_isError(n) || n != plain_len[f]) {
        fprintf(stderr, "decompress: frame %zu\n", f);
        return 1;
      }
      if (!apart)
        memcpy(out + o, room, n);
      o += n;
    }
    double took = cpu_seconds() - start;
    if (took < best)
      best = took;
  }
  if (memcmp(out, all, total) != 0) {
    fprintf(stderr, "the blocks came back different\n");
    return 1;
  }
  printf("%zu metadata blocks (%zu bytes), %zu a frame, level %d, %s "
         "literals: %zu frames, %zu bytes; decompressed (%s) in %.3f ms "
         "(%.0f MB/s)\n",
         blocks, total, group, level, raw ? "raw" : "Huffman", frames, packed,
         apart ? "apart" : "window", best * 1e3, (double)total / best / 1e6);
  return 0;
}
