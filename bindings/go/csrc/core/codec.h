/*
 * codec.h: raw DEFLATE compression and decompression of whole blocks, with
 * zlib or, when the build found it, libdeflate (same format, faster). A file
 * written with either is read by either.
 */
#ifndef QUIRE_CODEC_H
#define QUIRE_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef struct q_deflater q_deflater;
typedef struct q_inflater q_inflater;

q_deflater *q_deflater_new(int level);
void q_deflater_free(q_deflater *d);
/* The most bytes compressing len bytes can produce. */
size_t q_deflate_bound(q_deflater *d, size_t len);
/* Compresses src into dst (cap bytes, at least q_deflate_bound()); returns
 * the compressed size, or 0 on failure. */
size_t q_deflate(q_deflater *d, const void *src, size_t len, void *dst,
                 size_t cap);

q_inflater *q_inflater_new(void);
void q_inflater_free(q_inflater *i);
/* Inflates exactly out_len bytes; returns 0 on success, -1 when the data is
 * not valid DEFLATE of that size, -2 when memory ran out. */
int q_inflate(q_inflater *i, const void *src, size_t len, void *out,
              size_t out_len);

uint32_t q_crc32(const void *data, size_t len);

/* Routes libdeflate's allocations through the quire allocator. */
void q_codec_set_allocator(void *(*malloc_fn)(size_t), void (*free_fn)(void *));

#endif
