/*
 * hardening.h: helpers shared by the hardening tests (test_damage.c,
 * test_crash.c, test_oom.c, test_concurrency.c, test_limits.c,
 * test_fuzz_replay.c) and the fuzz targets in tests/fuzz/.
 *
 * Header-only (static inline) because the build links each test with
 * testutil.c alone, and the fuzz targets are built by their own CMakeLists.
 * Nothing here uses Criterion: callers check the results.
 */
#ifndef QUIRE_HARDENING_H
#define QUIRE_HARDENING_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "codec.h"
#include "format.h"
#include "quire.h"
#include "testutil.h" /* tu_writer_add(), inline */

/* Aborts with the failed condition: the fuzz targets' oracle, which the
 * fuzzer and test_fuzz_replay.c both see as a crash. */
#define HD_CHECK(cond)                                                         \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* Splits a fuzz input into its leading mode byte and an exactly sized
 * private copy of the rest (so that reading one byte too far is caught).
 * Returns NULL for an empty input; free() the copy. */
static inline uint8_t *hd_fuzz_input(const uint8_t *data, size_t size,
                                     uint8_t *mode, size_t *len) {
  if (size < 1)
    return NULL;
  *mode = data[0];
  *len = size - 1;
  uint8_t *copy = malloc(*len ? *len : 1);
  if (copy && *len)
    memcpy(copy, data + 1, *len);
  return copy;
}

/* ---- a growable byte string ------------------------------------------------
 */

typedef struct hd_bytes {
  char *data;
  size_t len, cap;
} hd_bytes;

static inline void hd_bytes_put(hd_bytes *b, const void *data, size_t len) {
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + len + 1)
      cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown)
      abort(); /* test memory, never the library's */
    b->data = grown;
    b->cap = cap;
  }
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

static inline void hd_bytes_free(hd_bytes *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

/* 1 when two byte strings are equal; either may be NULL when empty. */
static inline int hd_same(const void *a, size_t a_len, const void *b,
                          size_t b_len) {
  return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* A quire_write_fn appending to an hd_bytes. */
static inline int hd_collect(void *ctx, const char *data, size_t len) {
  hd_bytes_put(ctx, data, len);
  return 0;
}

/* Writes len bytes to path, replacing it; 0 on success. */
static inline int hd_write_file(const char *path, const void *data,
                                size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  int ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* ---- compressed inputs ----------------------------------------------------
 */

/* data as one gzip member, as gzip(1) writes it. */
static inline hd_bytes hd_gzip(const void *data, size_t len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  HD_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
           Z_OK);
  uLong bound = deflateBound(&z, (uLong)len);
  hd_bytes out = {malloc(bound + 1), 0, bound + 1};
  HD_CHECK(out.data != NULL);
  z.next_in = (Bytef *)(uintptr_t)data;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out.data;
  z.avail_out = (uInt)bound;
  HD_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.len = z.total_out;
  deflateEnd(&z);
  return out;
}

/* data as one zstd frame with a checksum, as zstd(1) writes it. */
static inline hd_bytes hd_zstd(const void *data, size_t len) {
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  HD_CHECK(cctx != NULL);
  HD_CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)));
  size_t bound = ZSTD_compressBound(len);
  hd_bytes out = {malloc(bound + 1), 0, bound + 1};
  HD_CHECK(out.data != NULL);
  out.len = ZSTD_compress2(cctx, out.data, bound, data, len);
  HD_CHECK(!ZSTD_isError(out.len));
  ZSTD_freeCCtx(cctx);
  return out;
}

/* ---- generated documents ----------------------------------------------------
 */

/* The six input fields of a document, owned by the struct. */
typedef struct hd_doc {
  char *field[6]; /* source, date, title, author, url, text */
  size_t len[6];
} hd_doc;

static inline uint64_t hd_rand(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline char *hd_strdup(const char *s, size_t *len) {
  *len = strlen(s);
  char *copy = malloc(*len + 1);
  if (!copy)
    abort();
  memcpy(copy, s, *len + 1);
  return copy;
}

/* Fills d with document i of a deterministic corpus shaped like real news:
 * a few sources (one missing, one with a comma and quotes, one Cyrillic),
 * dates of every precision and both syntaxes (some missing), titles with
 * CSV specials, Unicode text of 0 bytes to tens of kilobytes. */
static inline void hd_make_doc(uint64_t seed, size_t i, hd_doc *d) {
  static const char *const sources[] = {"Belarus in Focus",
                                        "Eurasia Daily Monitor",
                                        "South China Morning Post",
                                        "Радио Свобода",
                                        "",
                                        "Wire, \"Quoted\" Ltd",
                                        "Reuters"};
  static const char *const words[] = {
      "Minsk", "Beijing",    "Kremlin",  "cooperation", "trade",
      "the",   "and",        "Беларусь", "Китай",       "中国",
      "🚀",     "\"quoted\"", "comma,",   "line\n",      "tab\t",
      "naïve", "—",          "report",   "of",          "a"};
  uint64_t st = seed * 1000003u + i;
  hd_rand(&st);
  char buf[256];
  d->field[0] = hd_strdup(sources[hd_rand(&st) % 7], &d->len[0]);

  int y = 1990 + (int)(hd_rand(&st) % 35), mo = 1 + (int)(hd_rand(&st) % 12),
      da = 1 + (int)(hd_rand(&st) % 28), h = (int)(hd_rand(&st) % 24),
      mi = (int)(hd_rand(&st) % 60), se = (int)(hd_rand(&st) % 60);
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  switch (hd_rand(&st) % 9) {
  case 0:
    buf[0] = '\0';
    break;
  case 1:
    snprintf(buf, sizeof buf, "%04d", y);
    break;
  case 2:
    snprintf(buf, sizeof buf, "%04d-%02d", y, mo);
    break;
  case 3:
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, mo, da);
    break;
  case 4:
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d", y, mo, da, h, mi);
    break;
  case 5:
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, da, h,
             mi, se);
    break;
  case 6:
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d+02:00", y, mo, da, h,
             mi);
    break;
  case 7:
    snprintf(buf, sizeof buf, "%02d %s %04d %02d:%02d:%02d -0500", da,
             mon[mo - 1], y, h, mi, se);
    break;
  default:
    snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.250", y, mo, da, h,
             mi, se);
    break;
  }
  d->field[1] = hd_strdup(buf, &d->len[1]);

  /* Titles of 20 to 200 bytes: a few hundred documents fill several
   * metadata blocks. */
  hd_bytes title = {0};
  snprintf(buf, sizeof buf, "Title %zu:", i);
  hd_bytes_put(&title, buf, strlen(buf));
  for (uint64_t k = 2 + hd_rand(&st) % 24; k > 0; k--) {
    const char *w = words[hd_rand(&st) % 20];
    hd_bytes_put(&title, " ", 1);
    hd_bytes_put(&title, w, strlen(w));
  }
  d->field[2] = title.data;
  d->len[2] = title.len;
  snprintf(buf, sizeof buf, "%s", hd_rand(&st) % 3 ? "" : "Nikola Mikovic");
  d->field[3] = hd_strdup(buf, &d->len[3]);
  if (hd_rand(&st) % 2)
    snprintf(buf, sizeof buf, "https://example.org/%zu?q=%d", i, y);
  else
    buf[0] = '\0';
  d->field[4] = hd_strdup(buf, &d->len[4]);

  /* Mostly under a kilobyte; some empty; a few larger than a 4 KiB block. */
  uint64_t pick = hd_rand(&st) % 40;
  size_t target = pick == 0   ? 0
                  : pick == 1 ? 5000 + hd_rand(&st) % 5000
                              : hd_rand(&st) % 1200;
  hd_bytes text = {0};
  while (text.len < target) {
    const char *w = words[hd_rand(&st) % 20];
    hd_bytes_put(&text, w, strlen(w));
    hd_bytes_put(&text, " ", 1);
  }
  if (!text.data)
    hd_bytes_put(&text, "", 0);
  d->field[5] = text.data;
  d->len[5] = text.len;
}

static inline void hd_doc_free(hd_doc *d) {
  for (int f = 0; f < 6; f++)
    free(d->field[f]);
  memset(d, 0, sizeof *d);
}

static inline int hd_add(quire_writer *w, const hd_doc *d) {
  return tu_writer_add(w, d->field[0], d->len[0], d->field[1], d->len[1],
                       d->field[2], d->len[2], d->field[3], d->len[3],
                       d->field[4], d->len[4], d->field[5], d->len[5]);
}

/* The codec the hardening suites write with: QUIRE_TEST_CODEC=deflate in
 * the environment makes them run over DEFLATE files (format 1.0's codec);
 * zstd with a dictionary otherwise. hd_dictionary_size, when not negative,
 * overrides the dictionary size. */
static int hd_dictionary_size = -1;
static inline int hd_codec(void) {
  const char *e = getenv("QUIRE_TEST_CODEC");
  return e && strcmp(e, "deflate") == 0 ? QUIRE_CODEC_DEFLATE
                                        : QUIRE_CODEC_ZSTD;
}

/* The number of dictionaries of a corpus in memory (0 when it does not
 * open): the suites check that their zstd corpora have some, so that they
 * cover dictionaries. */
static inline uint64_t hd_dictionaries(const void *bytes, size_t len) {
  quire_corpus *c;
  uint64_t n = 0;
  if (quire_corpus_open_buffer(bytes, len, &c) == QUIRE_OK)
    n = quire_corpus_dictionary_count(c);
  quire_corpus_free(c);
  return n;
}
#define HD_COVERS_CODEC(bytes, len)                                            \
  cr_assert(hd_codec() == QUIRE_CODEC_DEFLATE ||                               \
                hd_dictionaries(bytes, len) >= 1,                              \
            "the zstd corpus has no dictionary: dictionaries go untested")

/* How hd_write_with() packs: codec HD_SUITE_CODEC is hd_codec(); level,
 * block_size and threads 0 and dict_size -1 leave the writer's default
 * (dict_size -1 takes hd_dictionary_size when that is set). */
#define HD_SUITE_CODEC (-1)
typedef struct hd_options {
  int codec, level;
  uint32_t block_size;
  int64_t dict_size;
  int order, threads;
} hd_options;

static inline int hd_set_options(quire_writer *w, const hd_options *o) {
  int64_t dict_size = o->dict_size >= 0 ? o->dict_size : hd_dictionary_size;
  int status = quire_writer_set_codec(w, o->codec == HD_SUITE_CODEC ? hd_codec()
                                                                    : o->codec);
  if (status == QUIRE_OK && o->level)
    status = quire_writer_set_level(w, o->level);
  if (status == QUIRE_OK && o->block_size)
    status = quire_writer_set_block_size(w, o->block_size);
  if (status == QUIRE_OK && dict_size >= 0)
    status = quire_writer_set_dictionary_size(w, (uint32_t)dict_size);
  if (status == QUIRE_OK)
    status = quire_writer_set_order(w, o->order);
  if (status == QUIRE_OK && o->threads)
    status = quire_writer_set_threads(w, o->threads);
  return status;
}

/* Writes n documents generated from seed to path with options o. Returns
 * QUIRE_OK or the failing status with the writer's message in msg (512
 * bytes, or NULL). */
static inline int hd_write_with(const char *path, size_t n, uint64_t seed,
                                const hd_options *o, char *msg) {
  quire_writer *w;
  int status = quire_writer_open(path, &w);
  if (status == QUIRE_OK)
    status = hd_set_options(w, o);
  for (size_t i = 0; i < n && status == QUIRE_OK; i++) {
    hd_doc d;
    hd_make_doc(seed, i, &d);
    status = hd_add(w, &d);
    hd_doc_free(&d);
  }
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  if (msg)
    snprintf(msg, 512, "%s", w ? quire_writer_errmsg(w) : "out of memory");
  quire_writer_free(w);
  return status;
}

/* Writes n generated documents to path with the suites' codec. Returns
 * QUIRE_OK or the failing status with the writer's message in msg. */
static inline int hd_write_generated(const char *path, size_t n, uint64_t seed,
                                     int order, uint32_t block_size,
                                     int threads, char *msg) {
  hd_options o = {HD_SUITE_CODEC, 0, block_size, -1, order, threads};
  return hd_write_with(path, n, seed, &o, msg);
}

/* Packs the real sample (../shared/seeds: manifest.csv naming text files)
 * to path through the CSV importer. Returns QUIRE_OK, QUIRE_ENOTFOUND when
 * the seeds are absent, or the failing status with a message in msg. */
static inline int hd_pack_seeds(const char *seeds_dir, const char *path,
                                int order, char *msg) {
  char manifest[4096];
  if (!seeds_dir)
    return QUIRE_ENOTFOUND;
  snprintf(manifest, sizeof manifest, "%s/manifest.csv", seeds_dir);
  if (access(manifest, R_OK) != 0)
    return QUIRE_ENOTFOUND;
  quire_writer *w;
  quire_import *imp = NULL;
  hd_options o = {HD_SUITE_CODEC, 0, 0, -1, order, 0};
  int status = quire_writer_open(path, &w);
  if (status == QUIRE_OK)
    status = hd_set_options(w, &o);
  if (status == QUIRE_OK)
    status = quire_import_new(&imp);
  if (status == QUIRE_OK)
    status = quire_import_csv_path(imp, w, manifest);
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  if (msg)
    snprintf(msg, 512, "%s | %s", imp ? quire_import_errmsg(imp) : "",
             w ? quire_writer_errmsg(w) : "");
  quire_import_free(imp);
  quire_writer_free(w);
  return status;
}

/* ---- filters ------------------------------------------------------------- */

/* The filters the hardening tests read every corpus through: a source, a
 * date range, two sources with undated ones and a bound, dated only, an
 * upper bound. NULL when memory runs out. */
#define HD_FILTERS 5

static inline quire_filter *hd_make_filter(int which) {
  quire_filter *f;
  if (quire_filter_new(&f) != QUIRE_OK)
    return NULL;
  int s = QUIRE_OK;
  switch (which) {
  case 0:
    s = quire_filter_add_source(f, "Belarus in Focus", 16);
    break;
  case 1:
    s = quire_filter_set_from(f, "2000", 4);
    if (s == QUIRE_OK)
      s = quire_filter_set_to(f, "2010-06", 7);
    break;
  case 2:
    s = quire_filter_add_source(f, "Reuters", 7);
    if (s == QUIRE_OK)
      s = quire_filter_add_source(f, "Радио Свобода", strlen("Радио Свобода"));
    if (s == QUIRE_OK)
      s = quire_filter_set_from(f, "2015", 4);
    if (s == QUIRE_OK)
      s = quire_filter_set_undated(f, QUIRE_UNDATED_INCLUDE);
    break;
  case 3:
    s = quire_filter_set_undated(f, QUIRE_UNDATED_EXCLUDE);
    break;
  default:
    s = quire_filter_set_to(f, "2005-03-04T05:06Z", 17);
    break;
  }
  if (s != QUIRE_OK) {
    quire_filter_free(f);
    return NULL;
  }
  return f;
}

/* ---- the files a directory holds ----------------------------------------- */

/* Counts the entries of dir whose names start with prefix; removes them
 * when remove is set. Used to find temporary files a writer left. */
static inline int hd_count_prefixed(const char *dir, const char *prefix,
                                    int remove) {
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  int count = 0;
  size_t n = strlen(prefix);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, n) != 0)
      continue;
    count++;
    if (remove) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  }
  closedir(d);
  return count;
}

/* ---- rewriting checksums ------------------------------------------------- */

/* Recomputes every checksum of a (possibly edited) corpus held in buf, as a
 * hostile writer would, so that edits reach the parsing behind the checks.
 * Works on any bytes: whatever does not fit is left alone. what is a bit
 * set: 1 header and footer (and their file sizes), 2 section chunk tables,
 * 4 block CRCs. */
#define HD_FIX_HEADER 1
#define HD_FIX_SECTIONS 2
#define HD_FIX_BLOCKS 4

static inline void hd_fix_blocks(uint8_t *buf, size_t len, const uint8_t *f) {
  for (int s = QS_BLOCKS; s <= QS_META_BLOCKS; s++) {
    const uint8_t *e = f + QFT_SECTIONS + s * QF_SECTION_ENTRY;
    uint64_t off = ld64(e), n = ld64(e + 8);
    uint64_t width = s == QS_BLOCKS ? 64 : 32;
    if (off > len || n > len - off)
      continue;
    for (uint64_t r = 0; r + width <= n; r += width) {
      uint8_t *rec = buf + off + r;
      uint64_t at = ld64(rec + QB_OFFSET);
      uint32_t csize = ld32(rec + QB_CSIZE);
      if (at <= len && csize <= len - at)
        st32(rec + QB_CRC, q_crc32(buf + at, csize));
    }
  }
}

/* Recomputes the chunk table and its CRC of the section whose entry (u64
 * offset, u64 length, u32 width, u32 table CRC) is at e. */
static inline void hd_fix_section(uint8_t *buf, size_t len, uint8_t *e) {
  uint64_t off = ld64(e), n = ld64(e + 8);
  uint64_t chunks = (n + QF_CHUNK - 1) / QF_CHUNK;
  if (off > len || n > len - off || chunks * 4 > len - off - n)
    return;
  uint8_t *table = buf + off + n;
  for (uint64_t c = 0; c < chunks; c++) {
    uint64_t start = c * QF_CHUNK;
    uint64_t k = n - start < QF_CHUNK ? n - start : QF_CHUNK;
    st32(table + c * 4, q_crc32(buf + off + start, (size_t)k));
  }
  st32(e + 20, q_crc32(table, (size_t)chunks * 4));
}

/* Format 1.1: the extension table, or NULL; *count its entries. */
static inline uint8_t *hd_ext_table(uint8_t *buf, size_t len, uint8_t *f,
                                    uint32_t *count) {
  (void)buf;
  *count = 0;
  uint32_t size = ld32(f + QFT_EXT_SIZE);
  if (size < QX_HEAD + 4 || size > len - QF_FOOTER_SIZE)
    return NULL;
  uint8_t *t = f - size;
  *count = ld32(t + 8);
  if (ld32(t + 12) != QX_ENTRY ||
      QX_HEAD + (uint64_t)*count * QX_ENTRY + 4 != size)
    return NULL;
  return t;
}

/* The extension section of kind, or NULL; *length its length. */
static inline uint8_t *hd_ext_section(uint8_t *buf, size_t len, int kind,
                                      uint64_t *length) {
  uint32_t count;
  uint8_t *t = hd_ext_table(buf, len, buf + len - QF_FOOTER_SIZE, &count);
  for (uint32_t i = 0; t && i < count; i++) {
    uint8_t *e = t + QX_HEAD + i * QX_ENTRY;
    uint64_t off = ld64(e + 8), n = ld64(e + 16);
    if ((int)ld32(e) == kind && off <= len && n <= len - off) {
      *length = n;
      return buf + off;
    }
  }
  return NULL;
}

static inline void hd_fix_sections(uint8_t *buf, size_t len, uint8_t *f) {
  for (int s = 0; s < QS_COUNT; s++)
    hd_fix_section(buf, len, f + QFT_SECTIONS + s * QF_SECTION_ENTRY);
  uint32_t count;
  uint8_t *t = hd_ext_table(buf, len, f, &count);
  if (!t)
    return;
  for (uint32_t i = 0; i < count; i++)
    hd_fix_section(buf, len, t + QX_HEAD + i * QX_ENTRY + 8);
  size_t size = QX_HEAD + (size_t)count * QX_ENTRY;
  st32(t + size, q_crc32(t, size));
}

/* Recomputes the CRC of every dictionary in the directory. */
static inline void hd_fix_dictionaries(uint8_t *buf, size_t len) {
  uint64_t n;
  uint8_t *d = hd_ext_section(buf, len, QX_DICTIONARIES, &n);
  if (!d || n < QXD_HEAD)
    return;
  uint32_t count = ld32(d);
  for (uint64_t k = 0; k < count && QXD_HEAD + (k + 1) * QXD_ENTRY <= n; k++) {
    uint8_t *e = d + QXD_HEAD + k * QXD_ENTRY;
    uint64_t off = ld64(e + QXD_OFFSET);
    uint32_t size = ld32(e + QXD_SIZE);
    if (off <= n && size <= n - off)
      st32(e + QXD_CRC, q_crc32(d + off, size));
  }
}

static inline void hd_fix_checksums(uint8_t *buf, size_t len, int what) {
  if (len < QF_HEADER_SIZE + QF_FOOTER_SIZE)
    return;
  uint8_t *f = buf + len - QF_FOOTER_SIZE;
  if (what & HD_FIX_BLOCKS) {
    hd_fix_blocks(buf, len, f);
    hd_fix_dictionaries(buf, len);
  }
  if (what & HD_FIX_SECTIONS)
    hd_fix_sections(buf, len, f);
  if (what & HD_FIX_HEADER) {
    st64(buf + QH_FILE_SIZE, len);
    st32(buf + QH_CRC, q_crc32(buf, QH_CRC));
    st64(f + QFT_FILE_SIZE, len);
    st32(f + QFT_CRC, q_crc32(f, QFT_CRC));
  }
}

/* ---- naming damage ------------------------------------------------------- */

/* Returns 1 when msg names a part of a corpus file (or says the file is
 * not one), as every corrupt-file message must. */
static inline int hd_names_damage(const char *msg) {
  static const char *const parts[] = {
      "header", "footer", "truncated", "source names", "source table",
      "source index", "date index", "document", "text block", "metadata block",
      "not a quire", "index entry", "version", "longer than",
      /* format 1.1 */
      "extension table", "dictionar", "writer settings", "word summaries",
      "near-duplicate", "word postings"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (strstr(msg, parts[i]))
      return 1;
  return 0;
}

#endif
