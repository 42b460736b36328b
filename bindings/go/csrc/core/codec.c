/*
 * codec.c: whole-block raw DEFLATE through libdeflate when available, else
 * zlib. Blocks are always whole buffers of known size, which is exactly what
 * libdeflate is fast at.
 */
#include "codec.h"

#define ZSTD_STATIC_LINKING_ONLY /* the custom allocator API */
/* For ZDICT_trainFromBuffer_fastCover() and its parameters (q_zstd_train()
 * says why): zstd's experimental section, exported by libzstd.so; its
 * structure is that of the zdict.h quire is built with, so quire runs with
 * the libzstd it was built against, as for the allocator API above. */
#define ZDICT_STATIC_LINKING_ONLY
#include <string.h>
#include <zdict.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "internal.h"

/* An inflater's zstd state (below): made on its first zstd block. */
typedef struct q_zread q_zread;
static void zread_free(q_zread *z);

/* zlib's allocations through quire's allocator: its DEFLATE blocks when
 * there is no libdeflate, and gzip'd CSV input (csv_source.c) always. */
static voidpf zalloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  return q_calloc(items, size);
}
static void zfree(voidpf opaque, voidpf ptr) {
  (void)opaque;
  q_free(ptr);
}

void q_zlib_use_allocator(struct z_stream_s *z) {
  z->zalloc = zalloc;
  z->zfree = zfree;
}

#ifdef QUIRE_HAVE_LIBDEFLATE
#include <libdeflate.h>

struct q_deflater {
  struct libdeflate_compressor *c;
};
struct q_inflater {
  struct libdeflate_decompressor *d;
  q_zread *zstd; /* made on first use */
};

q_deflater *q_deflater_new(int level) {
  q_deflater *d = q_malloc(sizeof *d);
  if (!d)
    return NULL;
  d->c = libdeflate_alloc_compressor(level);
  if (!d->c) {
    q_free(d);
    return NULL;
  }
  return d;
}

void q_deflater_free(q_deflater *d) {
  if (d) {
    libdeflate_free_compressor(d->c);
    q_free(d);
  }
}

size_t q_deflate_bound(q_deflater *d, size_t len) {
  return libdeflate_deflate_compress_bound(d->c, len);
}

size_t q_deflate(q_deflater *d, const void *src, size_t len, void *dst,
                 size_t cap) {
  return libdeflate_deflate_compress(d->c, src, len, dst, cap);
}

q_inflater *q_inflater_new(void) {
  q_inflater *i = q_calloc(1, sizeof *i);
  if (!i)
    return NULL;
  i->d = libdeflate_alloc_decompressor();
  if (!i->d) {
    q_free(i);
    return NULL;
  }
  return i;
}

void q_inflater_free(q_inflater *i) {
  if (i) {
    libdeflate_free_decompressor(i->d);
    zread_free(i->zstd);
    q_free(i);
  }
}

int q_inflate(q_inflater *i, const void *src, size_t len, void *out,
              size_t out_len) {
  size_t got = 0;
  enum libdeflate_result r =
      libdeflate_deflate_decompress(i->d, src, len, out, out_len, &got);
  return r == LIBDEFLATE_SUCCESS && got == out_len ? 0 : -1;
}

void q_codec_set_allocator(void *(*malloc_fn)(size_t),
                           void (*free_fn)(void *)) {
  libdeflate_set_memory_allocator(malloc_fn, free_fn);
}

#else /* zlib */

struct q_deflater {
  z_stream z;
};
struct q_inflater {
  z_stream z;
  q_zread *zstd; /* made on first use */
};

q_deflater *q_deflater_new(int level) {
  q_deflater *d = q_calloc(1, sizeof *d);
  if (!d)
    return NULL;
  q_zlib_use_allocator(&d->z);
  if (deflateInit2(&d->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    q_free(d);
    return NULL;
  }
  return d;
}

void q_deflater_free(q_deflater *d) {
  if (d) {
    deflateEnd(&d->z);
    q_free(d);
  }
}

size_t q_deflate_bound(q_deflater *d, size_t len) {
  return deflateBound(&d->z, (uLong)len);
}

size_t q_deflate(q_deflater *d, const void *src, size_t len, void *dst,
                 size_t cap) {
  if (deflateReset(&d->z) != Z_OK)
    return 0;
  d->z.next_in = (Bytef *)(uintptr_t)src;
  d->z.avail_in = (uInt)len;
  d->z.next_out = dst;
  d->z.avail_out = (uInt)cap;
  if (deflate(&d->z, Z_FINISH) != Z_STREAM_END)
    return 0;
  return cap - d->z.avail_out;
}

q_inflater *q_inflater_new(void) {
  q_inflater *i = q_calloc(1, sizeof *i);
  if (!i)
    return NULL;
  q_zlib_use_allocator(&i->z);
  if (inflateInit2(&i->z, -15) != Z_OK) {
    q_free(i);
    return NULL;
  }
  return i;
}

void q_inflater_free(q_inflater *i) {
  if (i) {
    inflateEnd(&i->z);
    zread_free(i->zstd);
    q_free(i);
  }
}

int q_inflate(q_inflater *i, const void *src, size_t len, void *out,
              size_t out_len) {
  if (inflateReset(&i->z) != Z_OK)
    return -1;
  i->z.next_in = (Bytef *)(uintptr_t)src;
  i->z.avail_in = (uInt)len;
  i->z.next_out = out;
  i->z.avail_out = (uInt)out_len;
  int r = inflate(&i->z, Z_FINISH);
  if (r == Z_MEM_ERROR)
    return -2;
  return r == Z_STREAM_END && i->z.avail_out == 0 ? 0 : -1;
}

void q_codec_set_allocator(void *(*malloc_fn)(size_t),
                           void (*free_fn)(void *)) {
  (void)malloc_fn;
  (void)free_fn;
}

#endif

/* The file's checksums are zlib's CRC-32; libdeflate computes the same one
 * with carry-less multiplication, three to five times faster than zlib's
 * tables on this project's machines, which matters when every block read
 * is checked first. */
uint32_t q_crc32(const void *data, size_t len) {
#ifdef QUIRE_HAVE_LIBDEFLATE
  return libdeflate_crc32(0, data, len);
#else
  uLong crc = crc32(0L, Z_NULL, 0);
  const Bytef *p = data;
  /* zlib's crc32 takes a uInt length. */
  while (len > 0) {
    uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
    crc = crc32(crc, p, n);
    p += n;
    len -= n;
  }
  return (uint32_t)crc;
#endif
}

/* ---- zstd -------------------------------------------------------------------
 */

/* Set when an allocation zstd asked for failed on this thread: zstd's
 * constructors return NULL both for that and for a bad dictionary. */
static _Thread_local int zstd_nomem;

static void *zstd_alloc(void *opaque, size_t size) {
  (void)opaque;
  void *p = q_malloc(size);
  if (!p)
    zstd_nomem = 1;
  return p;
}
static void zstd_free(void *opaque, void *ptr) {
  (void)opaque;
  q_free(ptr);
}
static const ZSTD_customMem zstd_mem = {zstd_alloc, zstd_free, NULL};

ZSTD_DCtx *q_zstd_dctx_new(void) {
  return ZSTD_createDCtx_advanced(zstd_mem);
}

struct q_zcompressor {
  ZSTD_CCtx *cctx;
  int level;
};
struct q_zdict {
  const ZSTD_CDict *cdict; /* lives in workspace */
  void *workspace;
};
struct q_zddict {
  ZSTD_DDict *ddict;
  void *bytes; /* the dictionary, held (and freed) by the q_zddict */
  size_t len;
  uint64_t serial; /* unique in the process: names it in inflaters' windows */
};

/* A copy of a dictionary followed by room for one block, with a ZSTD_DDict
 * that refers to the copy. zstd decompresses a frame whose output begins
 * right where its dictionary ends as if the dictionary were earlier output
 * of the same frame; with the dictionary elsewhere, each match that reaches
 * into it is copied by a separate memmove() call. Inflating 64 KiB text
 * blocks made with a 1 MiB dictionary went from about 760 to 1,160 MB/s
 * (benchmarks/ANALYSIS.md, "Dictionary next to the output").
 *
 * Each window has a decompression context of its own. zstd takes a
 * dictionary other than the one its context used last for "cold" and
 * decompresses with its prefetching decoder, a fifth slower on 64 KiB text
 * blocks (ANALYSIS.md, "A context per dictionary"); with one context, a
 * cursor reading text and metadata made every block cold. */
typedef struct q_zwindow {
  uint64_t serial; /* of the q_zddict copied here, 0 for none */
  char *bytes;     /* the dictionary, then room bytes for a block */
  size_t dict_len, room;
  ZSTD_DDict *ddict; /* by reference to bytes */
  ZSTD_DCtx *dctx;   /* kept when the window is filled again */
  uint64_t last_use;
} q_zwindow;

/* Two windows: a cursor alternates between text and metadata blocks, each
 * kind with a dictionary of its own. */
#define Q_ZWINDOWS 2
/* Larger blocks (a block holding a long document, or blocks packed larger
 * than the default 64 KiB) are decompressed with the dictionary where it is:
 * a window keeps its room for as long as the inflater lives, and a walk's
 * memory must not grow with the largest block it met (test
 * export::memory_does_not_keep_the_largest_block_of_the_corpus). */
#define Q_ZWINDOW_MAX_ROOM ((size_t)256 << 10)

struct q_zread {
  ZSTD_DCtx *dctx; /* for frames decompressed outside the windows */
  q_zwindow windows[Q_ZWINDOWS];
  uint64_t uses;
};

/* Empties w of its dictionary and room; its context stays. */
static void zwindow_clear(q_zwindow *w) {
  ZSTD_DCtx *dctx = w->dctx;
  ZSTD_freeDDict(w->ddict);
  q_free(w->bytes);
  memset(w, 0, sizeof *w);
  w->dctx = dctx;
}

static void zread_free(q_zread *z) {
  if (z) {
    for (int k = 0; k < Q_ZWINDOWS; k++) {
      zwindow_clear(&z->windows[k]);
      ZSTD_freeDCtx(z->windows[k].dctx);
    }
    ZSTD_freeDCtx(z->dctx);
    q_free(z);
  }
}

static q_zread *zread_new(void) {
  q_zread *z = q_calloc(1, sizeof *z);
  if (z)
    z->dctx = q_zstd_dctx_new();
  if (!z || !z->dctx) {
    zread_free(z);
    return NULL;
  }
  return z;
}

/* Fills w with dict and room for at least out_len bytes. Returns 0, or -1
 * when memory ran out (w is then empty). */
static int zwindow_fill(q_zwindow *w, const q_zddict *dict, size_t out_len) {
  size_t room = (size_t)64 << 10;
  while (room < out_len)
    room *= 2;
  zwindow_clear(w);
  if (!w->dctx && !(w->dctx = q_zstd_dctx_new()))
    return -1;
  w->bytes = q_malloc(dict->len + room);
  if (!w->bytes)
    return -1;
  memcpy(w->bytes, dict->bytes, dict->len);
  w->ddict = ZSTD_createDDict_advanced(w->bytes, dict->len, ZSTD_dlm_byRef,
                                       ZSTD_dct_fullDict, zstd_mem);
  if (!w->ddict) {
    zwindow_clear(w);
    return -1;
  }
  w->serial = dict->serial;
  w->dict_len = dict->len;
  w->room = room;
  return 0;
}

/* The window holding dict with room for out_len bytes, filled if need be
 * (in the one used least recently), or NULL when memory ran out. */
static q_zwindow *zwindow_for(q_zread *z, const q_zddict *dict,
                              size_t out_len) {
  q_zwindow *w = NULL;
  for (int k = 0; k < Q_ZWINDOWS && !w; k++)
    if (z->windows[k].serial == dict->serial)
      w = &z->windows[k];
  if (!w) {
    w = &z->windows[0];
    for (int k = 1; k < Q_ZWINDOWS; k++)
      if (z->windows[k].last_use < w->last_use)
        w = &z->windows[k];
  }
  if ((w->serial != dict->serial || w->room < out_len) &&
      zwindow_fill(w, dict, out_len) != 0)
    return NULL;
  w->last_use = ++z->uses;
  return w;
}

q_zcompressor *q_zcompressor_new(int level) {
  q_zcompressor *z = q_malloc(sizeof *z);
  if (!z)
    return NULL;
  z->cctx = ZSTD_createCCtx_advanced(zstd_mem);
  if (!z->cctx) {
    q_free(z);
    return NULL;
  }
  z->level = level;
  return z;
}

void q_zcompressor_free(q_zcompressor *z) {
  if (z) {
    ZSTD_freeCCtx(z->cctx);
    q_free(z);
  }
}

size_t q_zstd_bound(size_t len) {
  return ZSTD_compressBound(len);
}

size_t q_zcompress(q_zcompressor *z, const q_zdict *dict, const void *src,
                   size_t len, void *dst, size_t cap) {
  size_t n =
      dict ? ZSTD_compress_usingCDict(z->cctx, dst, cap, src, len, dict->cdict)
           : ZSTD_compressCCtx(z->cctx, dst, cap, src, len, z->level);
  return ZSTD_isError(n) ? 0 : n;
}

q_zdict *q_zdict_new(const void *dict, size_t len, int level,
                     size_t block_size) {
  q_zdict *d = q_malloc(sizeof *d);
  if (!d)
    return NULL;
  ZSTD_compressionParameters params =
      ZSTD_getCParams(level, (unsigned long long)block_size, len);
  /* The dictionary is built in memory allocated here, not by zstd: libzstd
   * 1.5.4's ZSTD_createCDict_advanced() dereferences NULL when its own
   * allocation fails. The memory must be zeroed: 1.5.4's
   * ZSTD_initStaticCDict() leaves the dictionary's compression level as the
   * memory held it, and for blocks over 128 KiB zstd then compresses at that
   * level (garbage: up to 22, fifty times slower) instead of params'. */
  size_t size = ZSTD_estimateCDictSize_advanced(len, params, ZSTD_dlm_byCopy);
  d->workspace = q_calloc(1, size);
  d->cdict = d->workspace ? ZSTD_initStaticCDict(d->workspace, size, dict, len,
                                                 ZSTD_dlm_byCopy,
                                                 ZSTD_dct_fullDict, params)
                          : NULL;
  if (!d->cdict) {
    q_free(d->workspace);
    q_free(d);
    return NULL;
  }
  return d;
}

void q_zdict_free(q_zdict *d) {
  if (d) {
    q_free(d->workspace); /* a static CDict is freed with its memory */
    q_free(d);
  }
}

q_zddict *q_zddict_adopt(void *dict, size_t len, int *nomem) {
  static _Atomic uint64_t last_serial;
  *nomem = 1;
  q_zddict *d = q_calloc(1, sizeof *d);
  if (!d) {
    q_free(dict);
    return NULL;
  }
  /* A full dictionary (magic, entropy tables, content) is required: zstd
   * then checks its tables here, once, instead of trusting them. */
  zstd_nomem = 0;
  d->ddict = ZSTD_createDDict_advanced(dict, len, ZSTD_dlm_byRef,
                                       ZSTD_dct_fullDict, zstd_mem);
  if (!d->ddict) {
    *nomem = zstd_nomem;
    q_free(dict);
    q_free(d);
    return NULL;
  }
  *nomem = 0;
  d->bytes = dict;
  d->len = len;
  d->serial = ++last_serial;
  return d;
}

q_zddict *q_zddict_new(const void *dict, size_t len, int *nomem) {
  void *copy = q_malloc(len ? len : 1);
  if (!copy) {
    *nomem = 1;
    return NULL;
  }
  memcpy(copy, dict, len);
  return q_zddict_adopt(copy, len, nomem);
}

void q_zddict_free(q_zddict *d) {
  if (d) {
    ZSTD_freeDDict(d->ddict);
    q_free(d->bytes);
    q_free(d);
  }
}

uint64_t q_zstd_content_size(const void *src, size_t len) {
  unsigned long long n = ZSTD_getFrameContentSize(src, len);
  return n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR
             ? UINT64_MAX
             : (uint64_t)n;
}

uint32_t q_zstd_dict_id(const void *dict, size_t len) {
  return ZSTD_getDictID_fromDict(dict, len);
}

/* Decompresses one frame into out: in a window when dict is given and one
 * can be had, else with the dictionary (if any) where it lies. Returns
 * zstd's result. */
static size_t zread_frame(q_zread *z, const q_zddict *dict, const void *src,
                          size_t len, void *out, size_t out_len) {
  if (!dict)
    return ZSTD_decompressDCtx(z->dctx, out, out_len, src, len);
  q_zwindow *w =
      out_len <= Q_ZWINDOW_MAX_ROOM ? zwindow_for(z, dict, out_len) : NULL;
  if (!w) /* too large for a window, or no memory for one */
    return ZSTD_decompress_usingDDict(z->dctx, out, out_len, src, len,
                                      dict->ddict);
  char *at = w->bytes + w->dict_len;
  size_t n =
      ZSTD_decompress_usingDDict(w->dctx, at, out_len, src, len, w->ddict);
  if (!ZSTD_isError(n))
    memcpy(out, at, n);
  return n;
}

int q_zdecompress(q_inflater *i, const q_zddict *dict, const void *src,
                  size_t len, void *out, size_t out_len) {
  /* The frame header is read before anything is allocated or written: it
   * must state exactly the size the block record does (no decompression
   * bombs, no frames without a size) and the dictionary it was made with. */
  unsigned long long claimed = ZSTD_getFrameContentSize(src, len);
  if (claimed != (unsigned long long)out_len)
    return -1;
  if (ZSTD_findFrameCompressedSize(src, len) != len)
    return -1; /* trailing bytes or a second frame */
  unsigned frame_dict = ZSTD_getDictID_fromFrame(src, len);
  if (frame_dict != 0 &&
      (!dict || frame_dict != ZSTD_getDictID_fromDDict(dict->ddict)))
    return -1;
  if (!i->zstd && !(i->zstd = zread_new()))
    return -2;
  size_t n = zread_frame(i->zstd, dict, src, len, out, out_len);
  if (ZSTD_isError(n)) {
    if (ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation)
      return -2;
    return -1;
  }
  return n == out_len ? 0 : -1;
}

size_t q_zstd_train(void *dict, size_t cap, const void *samples,
                    const size_t *sizes, unsigned count, unsigned segment) {
  /* ZDICT_trainFromBuffer() trains five dictionaries (segment sizes 50 to
   * 1998) on three quarters of the samples and keeps the one that
   * compresses the last quarter best: a fifth of the time of packing 10,000
   * articles. One dictionary with a segment size measured once on news-like
   * text and on real prose is as small or smaller, trained on every sample
   * (benchmarks/ANALYSIS.md, "Packing: one dictionary, the calling thread
   * compressing, words once"). */
  ZDICT_fastCover_params_t params = {0};
  params.k = segment;
  params.d = 8;
  /* accel 4 counts every other d-mer and sets the entropy tables from a
   * quarter of the samples: on 32 MiB of samples for a 1 MiB dictionary
   * it trains in half the time for a file 0.1% larger. */
  params.accel = 4;
  params.zParams.compressionLevel = ZSTD_CLEVEL_DEFAULT;
  size_t n =
      ZDICT_trainFromBuffer_fastCover(dict, cap, samples, sizes, count, params);
  return ZDICT_isError(n) ? 0 : n;
}

/* ---- either codec -----------------------------------------------------------
 */

struct q_packer {
  q_deflater *deflater;
  q_zcompressor *zstd;
};

q_packer *q_packer_new(int codec, int level) {
  q_packer *p = q_calloc(1, sizeof *p);
  if (!p)
    return NULL;
  if (codec == 1)
    p->zstd = q_zcompressor_new(level);
  else
    p->deflater = q_deflater_new(level);
  if (!p->zstd && !p->deflater) {
    q_free(p);
    return NULL;
  }
  return p;
}

void q_packer_free(q_packer *p) {
  if (p) {
    q_deflater_free(p->deflater);
    q_zcompressor_free(p->zstd);
    q_free(p);
  }
}

size_t q_packer_bound(q_packer *p, size_t len) {
  return p->zstd ? q_zstd_bound(len) : q_deflate_bound(p->deflater, len);
}

size_t q_pack(q_packer *p, const q_zdict *dict, const void *src, size_t len,
              void *dst, size_t cap) {
  return p->zstd ? q_zcompress(p->zstd, dict, src, len, dst, cap)
                 : q_deflate(p->deflater, src, len, dst, cap);
}
