/*
 * deflate_blocks.c: what DEFLATE itself can do on a file cut in blocks, as
 * quire cuts texts: the compressed size and the CPU-time speed of zlib and
 * libdeflate at several levels, and libdeflate's inflate speed. It bounds
 * what quire's size and pack speed can reach with its format.
 *
 *   cc -O2 -o deflate_blocks deflate_blocks.c -ldeflate -lz
 *   ./deflate_blocks FILE [BLOCK_BYTES]      (default 1048576)
 */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "cpu_file.h"

/* One raw DEFLATE stream per block with zlib, as gzip would write it. */
static void zlib_blocks(const char *d, size_t n, size_t blk, int level,
                        char *out, size_t cap) {
  size_t total = 0;
  double t0 = cpu_seconds();
  for (size_t p = 0; p < n; p += blk) {
    z_stream s;
    memset(&s, 0, sizeof s);
    deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    s.next_in = (Bytef *)d + p;
    s.avail_in = (uInt)(n - p < blk ? n - p : blk);
    s.next_out = (Bytef *)out;
    s.avail_out = (uInt)cap;
    deflate(&s, Z_FINISH);
    total += s.total_out;
    deflateEnd(&s);
  }
  printf("zlib-%d       %10zu bytes  %6.1f MB/s compress\n", level, total,
         (double)n / 1e6 / (cpu_seconds() - t0));
}

static void libdeflate_blocks(const char *d, size_t n, size_t blk, int level,
                              char *out, size_t cap, char *back) {
  struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
  struct libdeflate_decompressor *dc = libdeflate_alloc_decompressor();
  size_t total = 0;
  double comp = 0, infl = 0;
  for (size_t p = 0; p < n; p += blk) {
    size_t len = n - p < blk ? n - p : blk, got = 0;
    double t0 = cpu_seconds();
    size_t r = libdeflate_deflate_compress(c, d + p, len, out, cap);
    double t1 = cpu_seconds();
    if (libdeflate_deflate_decompress(dc, out, r, back, blk, &got) !=
            LIBDEFLATE_SUCCESS ||
        got != len || memcmp(back, d + p, len) != 0) {
      fprintf(stderr, "round trip failed\n");
      exit(1);
    }
    infl += cpu_seconds() - t1;
    comp += t1 - t0;
    total += r;
  }
  printf("libdeflate-%-2d %10zu bytes  %6.1f MB/s compress  %6.0f MB/s "
         "inflate\n",
         level, total, (double)n / 1e6 / comp, (double)n / 1e6 / infl);
  libdeflate_free_compressor(c);
  libdeflate_free_decompressor(dc);
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: deflate_blocks FILE [BLOCK_BYTES]\n");
    return 2;
  }
  size_t blk = argc == 3 ? strtoul(argv[2], NULL, 10) : 1u << 20, n;
  char *d = read_file(argv[1], &n);
  if (!d || blk < 1024) {
    fprintf(stderr, "deflate_blocks: cannot read %s or bad block size\n",
            argv[1]);
    return 1;
  }
  size_t cap = blk + blk / 8 + 1024;
  char *out = malloc(cap), *back = malloc(blk);
  if (!out || !back)
    return 1;
  printf("%s: %zu bytes in blocks of %zu\n", argv[1], n, blk);
  zlib_blocks(d, n, blk, 6, out, cap);
  zlib_blocks(d, n, blk, 9, out, cap);
  static const int levels[] = {1, 4, 6, 7, 8, 9, 12};
  for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
    libdeflate_blocks(d, n, blk, levels[i], out, cap, back);
  free(d);
  free(out);
  free(back);
  return 0;
}
