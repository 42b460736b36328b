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
/* The same, through the inflaters released in the last second and kept
 * (spare.c): q_inflater_take() returns one of them, or a new one (NULL
 * when memory runs out); q_inflater_give() keeps i or frees it. A kept
 * inflater still holds its zstd contexts and dictionary windows, so a
 * cursor that takes one inflates its first block without setting them up
 * again. q_inflaters_kept(): how many are kept now. */
q_inflater *q_inflater_take(void);
void q_inflater_give(q_inflater *i);
unsigned q_inflaters_kept(void);
/* Inflates exactly out_len bytes; returns 0 on success, -1 when the data is
 * not valid DEFLATE of that size, -2 when memory ran out. */
int q_inflate(q_inflater *i, const void *src, size_t len, void *out,
              size_t out_len);

uint32_t q_crc32(const void *data, size_t len);

/* ---- zstd (format 1.1) ------------------------------------------------------
 * Every zstd allocation goes through the quire allocator. A q_zdict (a
 * compression dictionary, ready for one level) and a q_zddict (the same for
 * decompression) are read-only once made: any number of threads may use one
 * at once, each with its own q_zcompressor or q_inflater. */
typedef struct q_zcompressor q_zcompressor;
typedef struct q_zdict q_zdict;
typedef struct q_zddict q_zddict;

q_zcompressor *q_zcompressor_new(int level);
void q_zcompressor_free(q_zcompressor *z);
size_t q_zstd_bound(size_t len);
/* Compresses src into one zstd frame stating its content size, with dict
 * (which fixes the level) or, when dict is NULL, at the compressor's level.
 * Returns the compressed size, or 0 on failure. */
size_t q_zcompress(q_zcompressor *z, const q_zdict *dict, const void *src,
                   size_t len, void *dst, size_t cap);

/* Makes a compression dictionary from dict (copied) for level, tuned for
 * inputs of about block_size bytes. NULL when memory runs out or zstd
 * refuses the dictionary. */
q_zdict *q_zdict_new(const void *dict, size_t len, int level,
                     size_t block_size);
void q_zdict_free(q_zdict *d);

/* Makes a decompression dictionary from dict (copied). Returns NULL and
 * *nomem = 1 when memory ran out, NULL and *nomem = 0 when zstd refuses the
 * dictionary. */
q_zddict *q_zddict_new(const void *dict, size_t len, int *nomem);
/* The same, taking dict (q_malloc'd) instead of copying it: the q_zddict
 * frees it, and a NULL result has freed it already. */
q_zddict *q_zddict_adopt(void *dict, size_t len, int *nomem);
void q_zddict_free(q_zddict *d);

/* The content size a zstd frame's header states, or UINT64_MAX when src
 * does not begin with a frame header that states one. */
uint64_t q_zstd_content_size(const void *src, size_t len);

/* The dictionary id stored in a zstd dictionary (0 when it has none). */
uint32_t q_zstd_dict_id(const void *dict, size_t len);

/* Decompresses one zstd frame of exactly out_len bytes with dict (NULL for
 * none): the frame must state content size out_len and, when it names a
 * dictionary, dict's id. Returns 0, -1 when the data is not such a frame,
 * -2 when memory ran out. Never writes past out_len. */
int q_zdecompress(q_inflater *i, const q_zddict *dict, const void *src,
                  size_t len, void *out, size_t out_len);

/* ---- a block compressor of either codec (QF_CODEC_*), one per thread ---- */
typedef struct q_packer q_packer;
q_packer *q_packer_new(int codec, int level);
void q_packer_free(q_packer *p);
size_t q_packer_bound(q_packer *p, size_t len);
/* Compresses src into dst (cap >= q_packer_bound()); dict (zstd only, may
 * be NULL) overrides the level with its own. Returns the size, 0 on
 * failure. */
size_t q_pack(q_packer *p, const q_zdict *dict, const void *src, size_t len,
              void *dst, size_t cap);

/* Trains a zstd dictionary of at most cap bytes into dict from count samples
 * laid end to end in samples (sizes[i] bytes each), choosing content in
 * segments of segment bytes (zstd's fastCover k; 8-byte d-mers). Returns its
 * size, or 0 when zstd cannot make one from these samples (too few or too
 * small). Deterministic: the same samples always give the same dictionary. */
size_t q_zstd_train(void *dict, size_t cap, const void *samples,
                    const size_t *sizes, unsigned count, unsigned segment);

/* Points a z_stream's allocations at quire's allocator (before its
 * inflateInit2() or deflateInit2()). */
struct z_stream_s;
void q_zlib_use_allocator(struct z_stream_s *z);

/* A zstd decompression context whose memory comes from quire's allocator,
 * or NULL when there is none. Free it with ZSTD_freeDCtx(). */
struct ZSTD_DCtx_s;
struct ZSTD_DCtx_s *q_zstd_dctx_new(void);

/* Routes libdeflate's allocations through the quire allocator. */
void q_codec_set_allocator(void *(*malloc_fn)(size_t), void (*free_fn)(void *));

#endif
