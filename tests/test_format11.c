/*
 * test_format11.c: format 1.1: the codec options, zstd blocks and trained
 * dictionaries, how a 1.0 reader is kept out, the file's independence from
 * the thread count, and dictionaries that are damaged or lie.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocks.h"
#include "hardening.h"
#include "testutil.h"

/* Enough generated documents for both dictionaries to be trained: a
 * dictionary is at most 1/50 of the texts it serves. */
#define DICT_DOCS 1500

/* Writes n generated documents with the given options; returns the file's
 * bytes (malloc'd) in *len. */
static uint8_t *pack(size_t n, int codec, int level, uint32_t block_size,
                     int64_t dict_size, int order, int threads, size_t *len) {
  char path[512], msg[512];
  tu_tmp_path(path, sizeof path, "f11.quire");
  hd_options o = {codec, level, block_size, dict_size, order, threads};
  cr_assert_eq(hd_write_with(path, n, 11, &o, msg), QUIRE_OK, "%s", msg);
  uint8_t *bytes = (uint8_t *)tu_read_file(path, len);
  cr_assert(bytes);
  unlink(path);
  return bytes;
}

static hd_bytes export_all(const uint8_t *bytes, size_t len, int *status) {
  quire_corpus *c;
  hd_bytes out = {0};
  *status = quire_corpus_open_buffer(bytes, len, &c);
  if (*status == QUIRE_OK) {
    quire_export *exp;
    cr_assert_eq(quire_export_new(c, &exp), QUIRE_OK);
    *status = quire_export_to_callback(exp, hd_collect, &out);
    quire_export_free(exp);
  }
  quire_corpus_free(c);
  return out;
}

Test(format11, writer_options) {
  char path[512];
  tu_tmp_path(path, sizeof path, "opts.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_codec(w, 7), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_set_level(w, 22), QUIRE_OK); /* zstd's scale */
  cr_assert_eq(quire_writer_set_level(w, 23), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_set_level(w, 0), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_set_codec(w, QUIRE_CODEC_DEFLATE), QUIRE_OK);
  cr_assert_eq(quire_writer_set_level(w, 10), QUIRE_EINVAL);
  cr_assert(strstr(quire_writer_errmsg(w), "1..9"));
  cr_assert_eq(quire_writer_set_level(w, 9), QUIRE_OK);
  cr_assert_eq(quire_writer_set_dictionary_size(w, 100), QUIRE_EINVAL);
  cr_assert_eq(
      quire_writer_set_dictionary_size(w, QUIRE_MAX_DICTIONARY_SIZE + 1),
      QUIRE_EINVAL);
  cr_assert_eq(quire_writer_set_dictionary_size(w, 0), QUIRE_OK);
  cr_assert_eq(quire_writer_set_codec(NULL, QUIRE_CODEC_ZSTD), QUIRE_EINVAL);
  cr_assert_eq(quire_writer_set_dictionary_size(NULL, 0), QUIRE_EINVAL);
  cr_assert_eq(tu_writer_add(w, "", 0, "", 0, "t", 1, "", 0, "", 0, "x", 1),
               QUIRE_OK);
  cr_assert_eq(quire_writer_set_codec(w, QUIRE_CODEC_ZSTD), QUIRE_ESTATE);
  cr_assert_eq(quire_writer_set_dictionary_size(w, 0), QUIRE_ESTATE);
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK);
  quire_writer_free(w);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  int codec = -1, level = -1;
  uint32_t block_size = 0;
  cr_assert_eq(quire_corpus_codec(c, &codec, &level, &block_size), QUIRE_OK);
  cr_assert_eq(codec, QUIRE_CODEC_DEFLATE);
  cr_assert_eq(level, 9);
  cr_assert_eq(block_size, QUIRE_DEFAULT_DEFLATE_BLOCK_SIZE);
  cr_assert_eq(quire_corpus_dictionary_count(c), 0);
  cr_assert_eq(quire_corpus_dictionary(c, 0, NULL, NULL, NULL),
               QUIRE_ENOTFOUND);
  cr_assert_eq(quire_corpus_codec(NULL, &codec, NULL, NULL), QUIRE_EINVAL);
  quire_corpus_free(c);
  unlink(path);
}

/* Both codecs, with and without dictionaries, in both orders, give the same
 * documents; zstd files need the 1.1 reader, DEFLATE ones do not. */
Test(format11, codecs_read_alike) {
  size_t ref_len;
  uint8_t *ref = pack(400, QUIRE_CODEC_DEFLATE, 0, 0, -1, QUIRE_ORDER_CLUSTERED,
                      1, &ref_len);
  int status;
  hd_bytes want = export_all(ref, ref_len, &status);
  cr_assert_eq(status, QUIRE_OK);
  cr_assert_eq(ld32(ref + QH_REQUIRED), 0, "a DEFLATE file needs no new flag");
  struct {
    int codec, level;
    uint32_t block;
    int64_t dict;
    int order;
    int dicts;
  } cases[] = {
      {QUIRE_CODEC_ZSTD, 0, 0, -1, QUIRE_ORDER_CLUSTERED, 2},
      {QUIRE_CODEC_ZSTD, 1, 8192, 4096, QUIRE_ORDER_CLUSTERED, 1},
      {QUIRE_CODEC_ZSTD, 19, 16384, 0, QUIRE_ORDER_CLUSTERED, 0},
      {QUIRE_CODEC_ZSTD, 3, 8192, -1, QUIRE_ORDER_INPUT, 2},
      {QUIRE_CODEC_DEFLATE, 1, 4096, -1, QUIRE_ORDER_INPUT, 0},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    size_t len;
    uint8_t *bytes = pack(400, cases[k].codec, cases[k].level, cases[k].block,
                          cases[k].dict, cases[k].order, 2, &len);
    quire_corpus *c;
    cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
    int codec, level;
    uint32_t block;
    cr_assert_eq(quire_corpus_codec(c, &codec, &level, &block), QUIRE_OK);
    cr_assert_eq(codec, cases[k].codec, "case %zu", k);
    cr_assert_eq(level, cases[k].level ? cases[k].level
                        : cases[k].codec == QUIRE_CODEC_ZSTD
                            ? QUIRE_DEFAULT_ZSTD_LEVEL
                            : QUIRE_DEFAULT_DEFLATE_LEVEL);
    cr_assert_eq(block,
                 cases[k].block ? cases[k].block : QUIRE_DEFAULT_BLOCK_SIZE);
    cr_assert_geq(quire_corpus_dictionary_count(c), cases[k].dicts > 0,
                  "case %zu: %llu dictionaries", k,
                  (unsigned long long)quire_corpus_dictionary_count(c));
    if (cases[k].dicts == 0)
      cr_assert_eq(quire_corpus_dictionary_count(c), 0, "case %zu", k);
    for (uint64_t d = 0; d < quire_corpus_dictionary_count(c); d++) {
      uint32_t id = 0, size = 0;
      int meta = -1;
      cr_assert_eq(quire_corpus_dictionary(c, d, &id, &size, &meta), QUIRE_OK);
      cr_assert(id != 0 && size >= QUIRE_MIN_DICTIONARY_SIZE &&
                meta == (d > 0));
    }
    uint64_t damaged = 1;
    cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_OK);
    quire_corpus_free(c);
    uint32_t required = cases[k].codec == QUIRE_CODEC_ZSTD ? QF_REQ_CODECS : 0;
    cr_assert_eq(ld32(bytes + QH_REQUIRED), required, "case %zu", k);
    cr_assert_eq(ld32(bytes + len - QF_FOOTER_SIZE + QFT_REQUIRED), required);
    hd_bytes got = export_all(bytes, len, &status);
    cr_assert_eq(status, QUIRE_OK);
    if (cases[k].order == QUIRE_ORDER_CLUSTERED)
      cr_assert(hd_same(got.data, got.len, want.data, want.len), "case %zu", k);
    else
      cr_assert_eq(got.len, want.len, "case %zu", k);
    hd_bytes_free(&got);
    free(bytes);
  }
  hd_bytes_free(&want);
  free(ref);
}

/* A 1.0 reader knows no required flag (QF_REQUIRED_KNOWN was 0 in 1.0),
 * so it refuses a zstd file at the header. The same path, in this library,
 * refuses a required flag or a required extension kind it does not know. */
Test(format11, unknown_requirements_are_refused) {
  size_t len;
  uint8_t *bytes = pack(DICT_DOCS, QUIRE_CODEC_ZSTD, 0, 8192, -1,
                        QUIRE_ORDER_CLUSTERED, 1, &len);
  cr_assert_eq(ld32(bytes + QH_REQUIRED) & ~(uint32_t)0, QF_REQ_CODECS,
               "a 1.0 reader (known flags 0) sees an unknown required flag");
  uint8_t *copy = malloc(len);
  /* A required flag this library does not know, in header and footer. */
  memcpy(copy, bytes, len);
  st32(copy + QH_REQUIRED, QF_REQ_CODECS | 0x80u);
  st32(copy + len - QF_FOOTER_SIZE + QFT_REQUIRED, QF_REQ_CODECS | 0x80u);
  hd_fix_checksums(copy, len, HD_FIX_HEADER);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(copy, len, &c), QUIRE_EVERSION);
  cr_assert(strstr(quire_corpus_errmsg(c), "flags 0x00000080"), "%s",
            quire_corpus_errmsg(c));
  cr_assert(strstr(quire_corpus_errmsg(c), "upgrade libquire"));
  quire_corpus_free(c);
  /* A required extension kind this library does not know. */
  memcpy(copy, bytes, len);
  uint64_t n;
  cr_assert(hd_ext_section(copy, len, QX_WRITER, &n));
  uint32_t count;
  uint8_t *t = hd_ext_table(copy, len, copy + len - QF_FOOTER_SIZE, &count);
  for (uint32_t i = 0; i < count; i++) {
    uint8_t *e = t + QX_HEAD + i * QX_ENTRY;
    if (ld32(e) == QX_WRITER) {
      st32(e, 99);
      st32(e + 4, QXF_REQUIRED);
    }
  }
  hd_fix_checksums(copy, len, HD_FIX_SECTIONS | HD_FIX_HEADER);
  cr_assert_eq(quire_corpus_open_buffer(copy, len, &c), QUIRE_EVERSION);
  cr_assert(strstr(quire_corpus_errmsg(c), "kind 99"), "%s",
            quire_corpus_errmsg(c));
  quire_corpus_free(c);
  /* The same kind, optional: skipped, the file reads (without settings). */
  for (uint32_t i = 0; i < count; i++) {
    uint8_t *e = t + QX_HEAD + i * QX_ENTRY;
    if (ld32(e) == 99)
      st32(e + 4, 0);
  }
  hd_fix_checksums(copy, len, HD_FIX_SECTIONS | HD_FIX_HEADER);
  int status;
  hd_bytes a = export_all(copy, len, &status);
  cr_assert_eq(status, QUIRE_OK);
  hd_bytes b = export_all(bytes, len, &status);
  cr_assert(hd_same(a.data, a.len, b.data, b.len));
  hd_bytes_free(&a);
  hd_bytes_free(&b);
  /* Dictionaries in a file whose header does not declare them. */
  memcpy(copy, bytes, len);
  st32(copy + QH_REQUIRED, 0);
  st32(copy + len - QF_FOOTER_SIZE + QFT_REQUIRED, 0);
  hd_fix_checksums(copy, len, HD_FIX_HEADER);
  cr_assert_eq(quire_corpus_open_buffer(copy, len, &c), QUIRE_ECORRUPT);
  quire_corpus_free(c);
  free(copy);
  free(bytes);
}

/* The bytes of a file do not depend on the number of threads. */
Test(format11, same_bytes_whatever_the_threads) {
  for (int order = 0; order < 2; order++) {
    size_t len1;
    uint8_t *one = pack(600, QUIRE_CODEC_ZSTD, 0, 8192, -1, order, 1, &len1);
    for (int threads = 2; threads <= 5; threads += 3) {
      size_t len;
      uint8_t *many =
          pack(600, QUIRE_CODEC_ZSTD, 0, 8192, -1, order, threads, &len);
      cr_assert(hd_same(one, len1, many, len),
                "order %d: %d threads wrote other bytes", order, threads);
      free(many);
    }
    free(one);
  }
}

/* Where dictionary number k's bytes are in buf. */
static uint8_t *dictionary_bytes(uint8_t *buf, size_t len, uint32_t k,
                                 uint32_t *size) {
  uint64_t n;
  uint8_t *d = hd_ext_section(buf, len, QX_DICTIONARIES, &n);
  cr_assert(d && ld32(d) >= k);
  uint8_t *e = d + QXD_HEAD + (k - 1) * QXD_ENTRY;
  *size = ld32(e + QXD_SIZE);
  return d + ld64(e + QXD_OFFSET);
}

/* Decompresses dictionary k of buf where it is stored as a zstd frame,
 * applies edit to the dictionary itself, and stores it back as a frame at
 * level 19, smaller than the writer's, in the same place. The checksums are
 * left to hd_fix_checksums(). */
static void edit_dictionary(uint8_t *buf, size_t len, uint32_t k,
                            void (*edit)(uint8_t *dict, size_t size)) {
  uint64_t n;
  uint8_t *d = hd_ext_section(buf, len, QX_DICTIONARIES, &n);
  uint8_t *e = d + QXD_HEAD + (k - 1) * QXD_ENTRY;
  cr_assert(ld32(e + QXD_USE) & QXD_STORED_ZSTD);
  uint32_t stored = ld32(e + QXD_SIZE);
  uint8_t *frame = d + ld64(e + QXD_OFFSET);
  uint64_t size = q_zstd_content_size(frame, stored);
  cr_assert(size >= QF_MIN_DICT_SIZE && size <= QF_MAX_DICT_SIZE);
  uint8_t *dict = malloc(size), *again = malloc(q_zstd_bound(size));
  q_inflater *inflater = q_inflater_new();
  cr_assert_eq(q_zdecompress(inflater, NULL, frame, stored, dict, size), 0);
  q_inflater_free(inflater);
  edit(dict, size);
  q_zcompressor *z = q_zcompressor_new(19);
  size_t packed = q_zcompress(z, NULL, dict, size, again, q_zstd_bound(size));
  q_zcompressor_free(z);
  cr_assert(packed > 0 && packed <= stored, "%zu > %u", packed, stored);
  memcpy(frame, again, packed);
  st32(e + QXD_SIZE, (uint32_t)packed);
  free(again);
  free(dict);
}

static void spoil_entropy_tables(uint8_t *dict, size_t size) {
  cr_assert_gt(size, 72);
  memset(dict + 8, 0xFF, 64); /* after the magic and the id */
}

typedef struct lines {
  hd_bytes text;
} lines;

/* A damaged dictionary loses exactly the blocks that name it: with the text
 * dictionary damaged every text is lost but every title reads; with the
 * metadata one, the reverse. verify names the dictionary. */
Test(format11, damaged_dictionary_loses_its_blocks) {
  size_t len;
  uint8_t *bytes = pack(DICT_DOCS, QUIRE_CODEC_ZSTD, 0, 8192, -1,
                        QUIRE_ORDER_CLUSTERED, 1, &len);
  uint8_t *copy = malloc(len);
  for (uint32_t k = 1; k <= 2; k++) {
    memcpy(copy, bytes, len);
    uint32_t size;
    uint8_t *dict = dictionary_bytes(copy, len, k, &size);
    dict[size / 2] ^= 0x40;
    /* The section's chunks may hold the other dictionary and the directory
     * too: with their checksums fixed, the dictionary's own is what finds
     * the damage. */
    hd_fix_checksums(copy, len, HD_FIX_SECTIONS);
    quire_corpus *c;
    cr_assert_eq(quire_corpus_open_buffer(copy, len, &c), QUIRE_OK);
    hd_bytes report = {0};
    uint64_t damaged = 0;
    cr_assert_eq(quire_corpus_verify(c, &damaged, hd_collect, &report),
                 QUIRE_ECORRUPT);
    hd_bytes_put(&report, "", 1);
    char want[64];
    snprintf(want, sizeof want, "dictionary %u: its bytes are damaged", k);
    cr_assert(strstr(report.data, want), "%s", report.data);
    cr_assert(strstr(report.data, "blocks need it and are lost"), "%s",
              report.data);
    hd_bytes_free(&report);
    quire_cursor *cur;
    cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
    uint64_t docs = 0;
    while (quire_cursor_next(cur) == QUIRE_ROW) {
      const char *s;
      size_t n;
      int text = quire_cursor_field(cur, QUIRE_FIELD_TEXT, &s, &n);
      int title = quire_cursor_field(cur, QUIRE_FIELD_TITLE, &s, &n);
      cr_assert_eq(text, k == 1 ? QUIRE_ECORRUPT : QUIRE_OK);
      cr_assert_eq(title, k == 2 ? QUIRE_ECORRUPT : QUIRE_OK);
      if (k == 1)
        cr_assert(strstr(quire_cursor_errmsg(cur), "needs dictionary 1"), "%s",
                  quire_cursor_errmsg(cur));
      docs++;
    }
    cr_assert_eq(docs, DICT_DOCS);
    quire_cursor_free(cur);
    quire_corpus_free(c);
  }
  free(copy);
  free(bytes);
}

/* Hostile edits with every checksum fixed: the reader checks a dictionary's
 * entry and id itself, a zstd frame's stated size, and that a frame names
 * the dictionary its block does. */
Test(format11, lying_dictionaries_and_frames) {
  size_t len;
  uint8_t *bytes = pack(DICT_DOCS, QUIRE_CODEC_ZSTD, 0, 8192, -1,
                        QUIRE_ORDER_CLUSTERED, 1, &len);
  uint8_t *copy = malloc(len);
  const char *expect[] = {"dictionary 1: its directory entry",
                          "dictionary 1: its directory entry",
                          "dictionary 1: its id does not match",
                          "the file declares no such dictionary",
                          "dictionary 1: zstd refuses it",
                          "does not decompress",
                          "unknown codec",
                          "does not decompress",
                          "its stored frame does not decompress",
                          "dictionary 1: its id does not match",
                          "dictionary 1: its directory entry"};
  for (int edit = 0; edit < 11; edit++) {
    memcpy(copy, bytes, len);
    uint64_t n;
    uint8_t *d = hd_ext_section(copy, len, QX_DICTIONARIES, &n);
    uint8_t *e = d + QXD_HEAD;
    uint8_t *f = copy + len - QF_FOOTER_SIZE;
    uint8_t *blocks = copy + ld64(f + QFT_SECTIONS + QS_BLOCKS * 24);
    switch (edit) {
    case 0:
      st32(e + QXD_SIZE, 0xFFFFFFF0u); /* far past the section */
      break;
    case 1:
      st64(e + QXD_OFFSET, 2); /* inside the directory */
      break;
    case 2:
      st32(e + QXD_ID, ld32(e + QXD_ID) + 1);
      break;
    case 3:
      st32(blocks + QB_FLAGS, QBF_MAKE(QF_CODEC_ZSTD, 77));
      break;
    case 4: /* a wrong entropy table, id intact */
      edit_dictionary(copy, len, 1, spoil_entropy_tables);
      break;
    case 5:
      st32(blocks + QB_USIZE, ld32(blocks + QB_USIZE) + 1000);
      break;
    case 6:
      st32(blocks + QB_FLAGS, QBF_MAKE(5, 0));
      break;
    case 7: /* the metadata dictionary: the frame names another id */
      cr_assert_eq(ld32(blocks + QB_FLAGS), QBF_MAKE(QF_CODEC_ZSTD, 1));
      st32(blocks + QB_FLAGS, QBF_MAKE(QF_CODEC_ZSTD, 2));
      break;
    case 8: /* the stored frame cut short */
      st32(e + QXD_SIZE, ld32(e + QXD_SIZE) - 9);
      break;
    case 9: /* the frame taken for a dictionary as it is */
      st32(e + QXD_USE, ld32(e + QXD_USE) & ~QXD_STORED_ZSTD);
      break;
    case 10: /* a flag this format does not define */
      st32(e + QXD_USE, ld32(e + QXD_USE) | (QXD_STORED_ZSTD << 1));
      break;
    }
    hd_fix_checksums(copy, len,
                     HD_FIX_BLOCKS | HD_FIX_SECTIONS | HD_FIX_HEADER);
    quire_corpus *c;
    cr_assert_eq(quire_corpus_open_buffer(copy, len, &c), QUIRE_OK);
    quire_cursor *cur;
    cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
    cr_assert_eq(quire_cursor_seek(cur, 0), QUIRE_ROW);
    const char *s;
    size_t sl;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TEXT, &s, &sl),
                 QUIRE_ECORRUPT, "edit %d", edit);
    cr_assert(strstr(quire_cursor_errmsg(cur), expect[edit]), "edit %d: %s",
              edit, quire_cursor_errmsg(cur));
    quire_cursor_free(cur);
    uint64_t damaged = 0;
    cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_ECORRUPT);
    cr_assert_geq(damaged, 1);
    quire_corpus_free(c);
  }
  free(copy);
  free(bytes);
}

/* The writer stores its dictionaries as zstd frames, which the reader
 * decompresses: quire_corpus_dictionary() gives the dictionary's own size,
 * and the frame is smaller (a dictionary's content is recurring text). */
Test(format11, dictionaries_are_stored_compressed) {
  size_t len;
  uint8_t *bytes = pack(DICT_DOCS, QUIRE_CODEC_ZSTD, 0, 8192, 16 << 10,
                        QUIRE_ORDER_CLUSTERED, 1, &len);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  cr_assert_eq(quire_corpus_dictionary_count(c), 2);
  uint64_t n;
  uint8_t *d = hd_ext_section(bytes, len, QX_DICTIONARIES, &n);
  for (uint32_t k = 1; k <= 2; k++) {
    const uint8_t *e = d + QXD_HEAD + (k - 1) * QXD_ENTRY;
    cr_assert_eq(ld32(e + QXD_USE),
                 (k == 1 ? QXD_USE_TEXT : QXD_USE_META) | QXD_STORED_ZSTD);
    uint32_t id, size;
    int meta;
    cr_assert_eq(quire_corpus_dictionary(c, k - 1, &id, &size, &meta),
                 QUIRE_OK);
    cr_assert_eq(id, ld32(e + QXD_ID));
    cr_assert_eq(meta, k == 2);
    cr_assert_eq(size, q_zstd_content_size(d + ld64(e + QXD_OFFSET),
                                           ld32(e + QXD_SIZE)));
    cr_assert_lt(ld32(e + QXD_SIZE), size * 3 / 4, "dictionary %u: %u of %u", k,
                 ld32(e + QXD_SIZE), size);
  }
  cr_assert_eq(quire_corpus_verify(c, NULL, NULL, NULL), QUIRE_OK);
  quire_corpus_free(c);
  free(bytes);
}

static void keep_as_it_is(uint8_t *dict, size_t size) {
  (void)dict;
  (void)size;
}

/* A merge stores the dictionaries of the blocks it copies as the input
 * stored them: the frames are copied, not decompressed and compressed
 * again (40 ms a dictionary of 1 MiB, for each shard of a split). The
 * input's frames here are made at level 19, which the writer never uses,
 * so a frame compressed again would differ. */
Test(format11, a_merge_copies_dictionary_frames) {
  size_t len;
  uint8_t *bytes = pack(DICT_DOCS, QUIRE_CODEC_ZSTD, 0, 8192, 16 << 10,
                        QUIRE_ORDER_CLUSTERED, 1, &len);
  for (uint32_t k = 1; k <= 2; k++)
    edit_dictionary(bytes, len, k, keep_as_it_is);
  hd_fix_checksums(bytes, len, HD_FIX_BLOCKS | HD_FIX_SECTIONS | HD_FIX_HEADER);
  quire_corpus *in;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &in), QUIRE_OK);
  cr_assert_eq(quire_corpus_verify(in, NULL, NULL, NULL), QUIRE_OK);
  char path[512];
  tu_tmp_path(path, sizeof path, "f11-merged.quire");
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_add_corpus(w, in), QUIRE_OK, "%s",
               quire_writer_errmsg(w));
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);
  size_t merged_len;
  uint8_t *merged = (uint8_t *)tu_read_file(path, &merged_len);
  cr_assert(merged);
  unlink(path);
  for (uint32_t k = 1; k <= 2; k++) {
    uint32_t size, merged_size;
    const uint8_t *frame = dictionary_bytes(bytes, len, k, &size);
    const uint8_t *copied =
        dictionary_bytes(merged, merged_len, k, &merged_size);
    cr_assert(hd_same(frame, size, copied, merged_size),
              "dictionary %u: a frame of %u bytes stored as %u", k, size,
              merged_size);
  }
  int status;
  hd_bytes before = export_all(bytes, len, &status);
  cr_assert_eq(status, QUIRE_OK);
  hd_bytes after = export_all(merged, merged_len, &status);
  cr_assert_eq(status, QUIRE_OK);
  cr_assert(hd_same(before.data, before.len, after.data, after.len));
  hd_bytes_free(&before);
  hd_bytes_free(&after);
  quire_corpus_free(in);
  free(merged);
  free(bytes);
}

/* A block is self-described (core/blocks.h): its raw bytes, its record and
 * the dictionary it names are all it takes to decompress it, as a merge
 * copying blocks verbatim would. */
Test(format11, blocks_are_self_described) {
  size_t len;
  uint8_t *bytes = pack(DICT_DOCS, QUIRE_CODEC_ZSTD, 0, 8192, -1,
                        QUIRE_ORDER_CLUSTERED, 1, &len);
  quire_corpus *c;
  cr_assert_eq(quire_corpus_open_buffer(bytes, len, &c), QUIRE_OK);
  q_inflater *inflater = q_inflater_new();
  q_buf loaded = {0};
  char msg[Q_MSG_CAP];
  for (int kind = 0; kind < 2; kind++) {
    for (uint32_t b = 0; b < 3; b++) {
      const uint8_t *raw;
      q_block_desc d;
      cr_assert_eq(q_block_raw(c, kind, b, &raw, &d, msg), QUIRE_OK, "%s", msg);
      cr_assert_eq(d.codec, QF_CODEC_ZSTD);
      cr_assert_eq(d.dict, (uint32_t)kind + 1);
      q_dict_info info;
      cr_assert_eq(q_dict_info_get(c, d.dict, &info, msg), QUIRE_OK);
      cr_assert_eq(info.use, kind == 0 ? QXD_USE_TEXT : QXD_USE_META);
      /* A copy of the dictionary's bytes, as another file would hold it. */
      uint8_t *dict = malloc(info.size);
      memcpy(dict, info.bytes, info.size);
      q_dict_info_free(&info);
      int nomem;
      q_zddict *dd = q_zddict_new(dict, info.size, &nomem);
      cr_assert(dd);
      uint8_t *out = malloc(d.usize);
      cr_assert_eq(q_zdecompress(inflater, dd, raw, d.csize, out, d.usize), 0);
      cr_assert_eq(q_block_load(c, kind, b, inflater, &loaded, msg), QUIRE_OK);
      cr_assert(hd_same(out, d.usize, loaded.data, loaded.len));
      /* Without its dictionary, or with a frame cut short, it is refused. */
      cr_assert_eq(q_zdecompress(inflater, NULL, raw, d.csize, out, d.usize),
                   -1);
      cr_assert_eq(q_zdecompress(inflater, dd, raw, d.csize - 1, out, d.usize),
                   -1);
      q_zddict_free(dd);
      free(dict);
      free(out);
    }
  }
  q_buf_free(&loaded);
  q_inflater_free(inflater);
  quire_corpus_free(c);
  free(bytes);
}

/* The text of document d of dictionary_windows_*: mostly a few KiB, every
 * 40th 150 KiB (its block over the 128 KiB a window first has room for,
 * under the 256 KiB it may grow to) and every 170th 400 KiB (a block too
 * large for a window: inflated with the dictionary where it lies). Words
 * from a small vocabulary, so that the trained dictionary is used. */
static size_t window_doc_text(size_t d, char *buf) {
  static const char *words[] = {"minister", "parliament", "reform",  "border",
                                "economy",  "election",   "trade",   "energy",
                                "summit",   "agreement",  "protest", "budget"};
  size_t len = d % 170 == 85  ? 400u << 10
               : d % 40 == 20 ? 150u << 10
                              : 2000 + d * 37 % 3000;
  size_t at = 0, k = d;
  while (at < len) {
    k = k * 6364136223846793005u + 1442695040888963407u;
    const char *w = words[(k >> 33) % 12];
    size_t n = strlen(w);
    if (at + n + 1 > len)
      break;
    memcpy(buf + at, w, n);
    at += n;
    buf[at++] = (k >> 40) % 9 ? ' ' : '\n';
  }
  return at;
}

/* Each thread that inflates dictionary-made blocks does so into a copy of
 * the dictionary (core/codec.c, "window"): a window that grows for a
 * larger block, a block too large for any window, and the text and
 * metadata dictionaries taking turns on one cursor must all give back
 * exactly the texts written. */
Test(format11, dictionary_windows_give_back_every_text) {
  enum { DOCS = 1700 };
  char path[512];
  tu_tmp_path(path, sizeof path, "windows.quire");
  char *text = malloc(400u << 10);
  quire_writer *w;
  cr_assert_eq(quire_writer_open(path, &w), QUIRE_OK);
  cr_assert_eq(quire_writer_set_order(w, QUIRE_ORDER_INPUT), QUIRE_OK);
  for (size_t d = 0; d < DOCS; d++) {
    size_t len = window_doc_text(d, text);
    char title[32];
    int title_len = snprintf(title, sizeof title, "doc %zu", d);
    cr_assert_eq(tu_writer_add(w, "s", 1, "2020-01-02", 10, title,
                               (size_t)title_len, "a", 1, "u", 1, text, len),
                 QUIRE_OK, "%s", quire_writer_errmsg(w));
  }
  cr_assert_eq(quire_writer_finish(w), QUIRE_OK, "%s", quire_writer_errmsg(w));
  quire_writer_free(w);

  quire_corpus *c;
  cr_assert_eq(quire_corpus_open(path, &c), QUIRE_OK);
  cr_assert_eq(quire_corpus_dictionary_count(c), 2,
               "text and metadata dictionaries");
  quire_cursor *cur;
  cr_assert_eq(quire_cursor_open(c, NULL, &cur), QUIRE_OK);
  size_t d = 0;
  int status;
  while ((status = quire_cursor_next(cur)) == QUIRE_ROW) {
    const char *got, *title;
    size_t got_len, title_len;
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TITLE, &title, &title_len),
                 QUIRE_OK);
    char want_title[32];
    snprintf(want_title, sizeof want_title, "doc %zu", d);
    cr_assert(title_len == strlen(want_title) &&
                  memcmp(title, want_title, title_len) == 0,
              "document %zu: title", d);
    cr_assert_eq(quire_cursor_field(cur, QUIRE_FIELD_TEXT, &got, &got_len),
                 QUIRE_OK, "%s", quire_cursor_errmsg(cur));
    size_t want_len = window_doc_text(d, text);
    cr_assert(got_len == want_len && memcmp(got, text, want_len) == 0,
              "document %zu: text of %zu bytes, expected %zu", d, got_len,
              want_len);
    d++;
  }
  cr_assert_eq(status, QUIRE_DONE, "%s", quire_cursor_errmsg(cur));
  cr_assert_eq(d, DOCS);
  quire_cursor_free(cur);
  uint64_t damaged = 1;
  cr_assert_eq(quire_corpus_verify(c, &damaged, NULL, NULL), QUIRE_OK);
  cr_assert_eq(damaged, 0);
  quire_corpus_free(c);
  free(text);
  unlink(path);
}
