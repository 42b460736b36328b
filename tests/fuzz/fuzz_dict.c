/*
 * fuzz_dict.c: format 1.1 files with zstd dictionaries, edited where
 * format 1.1 lives: the dictionaries section (directory and dictionary
 * bytes), the block tables (codec and dictionary numbers, sizes), the first
 * compressed blocks and the extension table.
 *
 * A valid corpus of generated documents, packed with zstd and its two
 * trained dictionaries, is made once. Each input is a mode byte, then edits
 * of 4 bytes: a region (byte 0), an offset in it (bytes 1-2, taken modulo
 * the region's length) and a byte XORed there (byte 3). With mode bits set
 * (as in fuzz_corpus.c) the checksums are rewritten after the edits, the
 * dictionaries' own CRCs included, so that the edits reach the dictionary
 * and frame checks behind them. Then the harness does everything a reader
 * can (fuzz_corpus.c's explore()) and checks the API's promises.
 */
#include <stdio.h>
#include <unistd.h>

/* fuzz_corpus.c's explore(), its entry point renamed (test_fuzz_replay.c
 * includes both files, with names of its own for the entry points). */
#pragma push_macro("LLVMFuzzerTestOneInput")
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_corpus_one
#include "fuzz_corpus.c"
#undef LLVMFuzzerTestOneInput
#pragma pop_macro("LLVMFuzzerTestOneInput")

static uint8_t *base;
static size_t base_len;

/* Packs the base corpus once: 300 documents in 8 KiB zstd blocks. */
static void make_base(void) {
  char path[] = "/tmp/quire-fuzz-dict-XXXXXX";
  int fd = mkstemp(path);
  HD_CHECK(fd >= 0);
  close(fd);
  char msg[512];
  HD_CHECK(hd_write_generated(path, 300, 11, QUIRE_ORDER_CLUSTERED, 8192, 1,
                              msg) == QUIRE_OK);
  FILE *f = fopen(path, "rb");
  HD_CHECK(f != NULL);
  fseek(f, 0, SEEK_END);
  base_len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  base = malloc(base_len);
  HD_CHECK(base && fread(base, 1, base_len, f) == base_len);
  fclose(f);
  unlink(path);
}

/* The regions edits go to: start and length in the file. */
static size_t regions(uint8_t *buf, size_t len, uint8_t *starts[5],
                      size_t lens[5]) {
  uint8_t *f = buf + len - QF_FOOTER_SIZE;
  uint64_t n = 0;
  starts[0] = hd_ext_section(buf, len, QX_DICTIONARIES, &n);
  lens[0] = (size_t)n;
  for (int s = 0; s < 2; s++) {
    const uint8_t *e = f + QFT_SECTIONS + (QS_BLOCKS + s) * QF_SECTION_ENTRY;
    starts[1 + s] = buf + ld64(e);
    lens[1 + s] = (size_t)ld64(e + 8);
  }
  /* The first text and metadata blocks' compressed bytes, and what lies
   * between them. */
  starts[3] = buf + QF_HEADER_SIZE;
  lens[3] =
      lens[1] ? ld32(starts[1] + QB_CSIZE) + ld32(starts[2] + QB_CSIZE) : 0;
  uint32_t count = 0;
  starts[4] = hd_ext_table(buf, len, f, &count);
  lens[4] = starts[4] ? QX_HEAD + (size_t)count * QX_ENTRY : 0;
  return 5;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!base)
    make_base();
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  uint8_t *bytes = malloc(base_len);
  memcpy(bytes, base, base_len);
  uint8_t *starts[5];
  size_t lens[5];
  size_t count = regions(bytes, base_len, starts, lens);
  for (size_t i = 1; i + 4 <= size; i += 4) {
    size_t r = data[i] % count;
    if (!starts[r] || lens[r] == 0)
      continue;
    size_t at = (size_t)(data[i + 1] | data[i + 2] << 8) % lens[r];
    starts[r][at] ^= data[i + 3];
  }
  hd_fix_checksums(bytes, base_len, mode & 7);
  quire_corpus *c;
  int status = quire_corpus_open_buffer(bytes, base_len, &c);
  HD_CHECK(status == QUIRE_OK || status == QUIRE_ECORRUPT ||
           status == QUIRE_EVERSION);
  if (status == QUIRE_OK) {
    explore(c, mode);
    /* The packing facts answer or say the file is damaged. */
    int codec, level;
    uint32_t block;
    HD_CHECK(clean(quire_corpus_codec(c, &codec, &level, &block)));
    for (uint64_t d = 0; d < quire_corpus_dictionary_count(c); d++) {
      uint32_t id, dsize;
      int meta;
      status = quire_corpus_dictionary(c, d, &id, &dsize, &meta);
      HD_CHECK(clean(status));
      if (status == QUIRE_OK)
        HD_CHECK(id != 0 && dsize >= QF_MIN_DICT_SIZE);
    }
  } else
    HD_CHECK(quire_corpus_errmsg(c)[0] != '\0');
  quire_corpus_free(c);
  free(bytes);
  return 0;
}
