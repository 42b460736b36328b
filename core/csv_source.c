/*
 * csv_source.c: a CSV input read as it is, or decompressed from gzip
 * (zlib) or zstd (libzstd's streaming API) when its first bytes say so
 * (see csv_source.h).
 *
 * A plain input is read straight into the caller's buffer, as before this
 * file existed: recognizing it costs one comparison. A compressed one is
 * read a chunk at a time into the source's own buffer and inflated into the
 * caller's, so memory stays bounded whatever the input's size.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_WINDOWLOG_LIMIT_DEFAULT */
#include "csv_source.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec.h"

/* Compressed bytes read from the descriptor at a time. */
#define RAW_CHUNK (64u << 10)

struct q_csv_source {
  int fd; /* -1: the input is mem[0, mem_len) */
  const char *mem;
  size_t mem_len;
  const char *noun; /* what messages call the input: "file" or "input" */
  int kind;         /* Q_SOURCE_* */
  int started;      /* the first read has looked at the magic number */
  int status;       /* QUIRE_OK, or the failure every read now reports */
  char msg[Q_MSG_CAP];
  uint64_t consumed; /* bytes read from fd or mem */
  int eof;           /* the input has given its last byte */
  /* Compressed bytes read and not yet decompressed: raw[raw_at, raw_len). */
  unsigned char *raw;
  size_t raw_cap, raw_at, raw_len;
  int in_member; /* a gzip member or zstd frame has begun and not ended */
  z_stream zlib;
  int zlib_ready; /* inflateInit2() succeeded: inflateEnd() is owed */
  ZSTD_DCtx *zstd;
};

static const char *kind_name(int kind) {
  return kind == Q_SOURCE_GZIP ? "gzip" : "zstd";
}

static int source_fail(q_csv_source *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int source_fail(q_csv_source *s, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->msg, sizeof s->msg, fmt, ap);
  va_end(ap);
  s->status = status;
  return status;
}

/* ---- the source ---------------------------------------------------------- */

int q_csv_source_new(q_csv_source **out, int fd) {
  q_csv_source *s = q_calloc(1, sizeof *s);
  *out = s;
  if (!s)
    return QUIRE_ENOMEM;
  s->fd = fd;
  s->noun = "file";
  return QUIRE_OK;
}

int q_csv_source_new_memory(q_csv_source **out, const char *data, size_t len) {
  int status = q_csv_source_new(out, -1);
  if (status == QUIRE_OK) {
    (*out)->mem = data;
    (*out)->mem_len = len;
    (*out)->noun = "input";
  }
  return status;
}

void q_csv_source_free(q_csv_source *s) {
  if (!s)
    return;
  if (s->zlib_ready)
    inflateEnd(&s->zlib);
  ZSTD_freeDCtx(s->zstd);
  q_free(s->raw);
  q_free(s);
}

uint64_t q_csv_source_consumed(const q_csv_source *s) {
  return s->consumed;
}

int q_csv_source_kind(const q_csv_source *s) {
  return s->kind;
}

/* Copies up to len bytes of the input in memory into buf. */
static size_t read_memory(q_csv_source *s, void *buf, size_t len) {
  size_t left = (size_t)(s->mem_len - s->consumed);
  size_t got = left < len ? left : len;
  if (got > 0)
    memcpy(buf, s->mem + s->consumed, got);
  s->consumed += got;
  if (got < len)
    s->eof = 1;
  return got;
}

/* Reads up to len bytes of the input into buf; returns how many (fewer
 * only at its end, which sets eof, or on failure). */
static size_t read_input(q_csv_source *s, void *buf, size_t len) {
  if (s->fd < 0)
    return read_memory(s, buf, len);
  size_t got = q_io_read(s->fd, buf, len, Q_IO_HERE);
  if (got < len && errno != 0) {
    source_fail(s, QUIRE_EIO, "cannot read: %s", strerror(errno));
    return 0;
  }
  s->consumed += got;
  if (got < len)
    s->eof = 1;
  return got;
}

static int has_magic(const char *buf, size_t len, const char *magic,
                     size_t magic_len) {
  return len >= magic_len && memcmp(buf, magic, magic_len) == 0;
}

int q_csv_compression_of(const char *data, size_t len) {
  if (has_magic(data, len, "\x1f\x8b", 2))
    return Q_SOURCE_GZIP;
  if (has_magic(data, len, "\x28\xb5\x2f\xfd", 4))
    return Q_SOURCE_ZSTD;
  return Q_SOURCE_PLAIN;
}

/* Makes the decompressor of the kind found, and keeps the first bytes read
 * (got of them, in buf) as its first input. */
static int start_decompressing(q_csv_source *s, const char *buf, size_t got) {
  s->raw_cap = got > RAW_CHUNK ? got : RAW_CHUNK;
  s->raw = q_malloc(s->raw_cap);
  if (!s->raw)
    return source_fail(s, QUIRE_ENOMEM, "out of memory");
  memcpy(s->raw, buf, got);
  s->raw_len = got;
  if (s->kind == Q_SOURCE_GZIP) {
    q_zlib_use_allocator(&s->zlib);
    /* 15 + 16: a 32 KiB window, gzip headers only (the magic said gzip). */
    int rc = inflateInit2(&s->zlib, 15 + 16);
    if (rc != Z_OK)
      return source_fail(s, rc == Z_MEM_ERROR ? QUIRE_ENOMEM : QUIRE_EIO,
                         "cannot start reading gzip: %s",
                         rc == Z_MEM_ERROR ? "out of memory" : zError(rc));
    s->zlib_ready = 1;
  } else {
    s->zstd = q_zstd_dctx_new();
    if (!s->zstd)
      return source_fail(s, QUIRE_ENOMEM, "out of memory");
  }
  return QUIRE_OK;
}

/* The first read: len bytes of the input into buf, and what they say the
 * input is. Returns the bytes to hand the caller (0 for a compressed input,
 * whose bytes are kept to decompress). */
static size_t first_read(q_csv_source *s, char *buf, size_t len) {
  s->started = 1;
  size_t got = read_input(s, buf, len);
  if (s->status != QUIRE_OK)
    return 0;
  s->kind = q_csv_compression_of(buf, got);
  if (s->kind == Q_SOURCE_PLAIN)
    return got;
  start_decompressing(s, buf, got);
  return 0;
}

/* Refills raw from the descriptor once its bytes are all decompressed. */
static void refill(q_csv_source *s) {
  s->raw_at = 0;
  s->raw_len = read_input(s, s->raw, s->raw_cap);
}

/* Inflates raw into out; returns the bytes made. */
static size_t gzip_step(q_csv_source *s, char *out, size_t len) {
  if (!s->in_member) {
    /* The next member of a concatenation, or the first. */
    if (inflateReset(&s->zlib) != Z_OK) {
      source_fail(s, QUIRE_EIO, "cannot read gzip: zlib's state is broken");
      return 0;
    }
    s->in_member = 1;
  }
  size_t in_len = s->raw_len - s->raw_at;
  s->zlib.next_in = s->raw + s->raw_at;
  s->zlib.avail_in = in_len > UINT_MAX ? UINT_MAX : (uInt)in_len;
  s->zlib.next_out = (unsigned char *)out;
  s->zlib.avail_out = len > UINT_MAX ? UINT_MAX : (uInt)len;
  uInt out_room = s->zlib.avail_out, in_had = s->zlib.avail_in;
  int rc = inflate(&s->zlib, Z_NO_FLUSH);
  s->raw_at += in_had - s->zlib.avail_in;
  size_t made = out_room - s->zlib.avail_out;
  if (rc == Z_STREAM_END)
    s->in_member = 0;
  else if (rc == Z_MEM_ERROR)
    source_fail(s, QUIRE_ENOMEM, "out of memory reading gzip");
  else if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_STREAM_ERROR)
    source_fail(s, QUIRE_ECSV,
                "the gzip data is damaged: %s (found at byte %llu of the "
                "%s)",
                s->zlib.msg ? s->zlib.msg : zError(rc),
                (unsigned long long)(s->consumed - (s->raw_len - s->raw_at)),
                s->noun);
  return made;
}

/* Decompresses raw into out with zstd; returns the bytes made. */
static size_t zstd_step(q_csv_source *s, char *out, size_t len) {
  ZSTD_inBuffer in = {s->raw, s->raw_len, s->raw_at};
  ZSTD_outBuffer o = {out, len, 0};
  size_t rc = ZSTD_decompressStream(s->zstd, &o, &in);
  s->raw_at = in.pos;
  if (ZSTD_isError(rc)) {
    if (ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation)
      source_fail(s, QUIRE_ENOMEM, "out of memory reading zstd");
    else if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
      /* zstd's own limit (128 MiB), which bounds the memory a file can
       * make the reader take; zstd --long writes larger windows. */
      source_fail(s, QUIRE_ELIMIT,
                  "the zstd data needs a window of more than %u MiB "
                  "(written with zstd --long?): decompress it first, as in "
                  "zstd -dc --long=31 FILE | quire pack -o OUT -",
                  (1u << ZSTD_WINDOWLOG_LIMIT_DEFAULT) >> 20);
    else
      source_fail(s, QUIRE_ECSV,
                  "the zstd data is damaged: %s (found at byte %llu of the "
                  "%s)",
                  ZSTD_getErrorName(rc),
                  (unsigned long long)(s->consumed - (s->raw_len - s->raw_at)),
                  s->noun);
    return 0;
  }
  /* 0: the frame is over and all of it handed out; the next byte, if any,
   * starts another. */
  s->in_member = rc != 0;
  return o.pos;
}

/* Fills out with decompressed bytes; fewer than len only at the end of
 * the input or on failure. */
static size_t decompress(q_csv_source *s, char *out, size_t len) {
  size_t made = 0;
  while (made < len && s->status == QUIRE_OK) {
    if (s->raw_at == s->raw_len && !s->eof) {
      refill(s);
      if (s->status != QUIRE_OK)
        break;
    }
    int no_input = s->raw_at == s->raw_len;
    if (no_input && !s->in_member)
      break; /* the end, between members or frames */
    size_t before_at = s->raw_at;
    size_t step = s->kind == Q_SOURCE_GZIP
                      ? gzip_step(s, out + made, len - made)
                      : zstd_step(s, out + made, len - made);
    made += step;
    /* A step that neither read nor wrote: with every byte of the file read,
     * a member or frame is cut short (a decoder still flushing what it
     * holds writes: step > 0); with input left, the decoder is stuck, which
     * only damaged data could make it. */
    if (s->status == QUIRE_OK && step == 0 && s->raw_at == before_at) {
      if (no_input)
        source_fail(s, QUIRE_ECSV,
                    "the %s data ends early: the %s is truncated",
                    kind_name(s->kind), s->noun);
      else
        source_fail(s, QUIRE_ECSV,
                    "the %s data is damaged: decoding makes no progress",
                    kind_name(s->kind));
    }
  }
  return made;
}

size_t q_csv_source_read(q_csv_source *s, char *buf, size_t len, int *status,
                         char *msg) {
  size_t got = 0;
  if (s->status == QUIRE_OK && len > 0) {
    if (!s->started)
      got = first_read(s, buf, len); /* 0 when it found a compressed input */
    else if (s->kind == Q_SOURCE_PLAIN && !s->eof)
      got = read_input(s, buf, len);
    if (s->kind != Q_SOURCE_PLAIN && s->status == QUIRE_OK)
      got = decompress(s, buf, len);
  }
  /* Bytes made before a failure are handed out first: the failure comes
   * with the next read, as with read(2). */
  if (s->status != QUIRE_OK && got == 0) {
    *status = s->status;
    memcpy(msg, s->msg, Q_MSG_CAP);
  }
  return got;
}

int q_csv_source_check_ahead(q_csv_source *s, uint64_t limit, char *msg) {
  if (s->kind == Q_SOURCE_PLAIN)
    return QUIRE_OK;
  if (s->status != QUIRE_OK) { /* a parsing thread read on and found it */
    memcpy(msg, s->msg, Q_MSG_CAP);
    return s->status == QUIRE_ECSV ? QUIRE_ECSV : QUIRE_OK;
  }
  char *scratch = q_malloc(RAW_CHUNK);
  if (!scratch)
    return QUIRE_OK; /* only a better message is lost */
  int status = QUIRE_OK;
  for (uint64_t seen = 0; seen < limit && status == QUIRE_OK;) {
    size_t got = q_csv_source_read(s, scratch, RAW_CHUNK, &status, msg);
    seen += got;
    if (got == 0)
      break;
  }
  q_free(scratch);
  return status == QUIRE_ECSV ? QUIRE_ECSV : QUIRE_OK;
}
