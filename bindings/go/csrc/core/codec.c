/*
 * codec.c: whole-block raw DEFLATE through libdeflate when available, else
 * zlib. Blocks are always whole buffers of known size, which is exactly what
 * libdeflate is fast at.
 */
#include "codec.h"

#include <zlib.h>

#include "internal.h"

#ifdef QUIRE_HAVE_LIBDEFLATE
#include <libdeflate.h>

struct q_deflater {
  struct libdeflate_compressor *c;
};
struct q_inflater {
  struct libdeflate_decompressor *d;
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
  q_inflater *i = q_malloc(sizeof *i);
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

static voidpf zalloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  return q_calloc(items, size);
}
static void zfree(voidpf opaque, voidpf ptr) {
  (void)opaque;
  q_free(ptr);
}

struct q_deflater {
  z_stream z;
};
struct q_inflater {
  z_stream z;
};

q_deflater *q_deflater_new(int level) {
  q_deflater *d = q_calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->z.zalloc = zalloc;
  d->z.zfree = zfree;
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
  i->z.zalloc = zalloc;
  i->z.zfree = zfree;
  if (inflateInit2(&i->z, -15) != Z_OK) {
    q_free(i);
    return NULL;
  }
  return i;
}

void q_inflater_free(q_inflater *i) {
  if (i) {
    inflateEnd(&i->z);
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

uint32_t q_crc32(const void *data, size_t len) {
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
}
