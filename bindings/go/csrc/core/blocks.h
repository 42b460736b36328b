/*
 * blocks.h: a block of a corpus as its record describes it, for code that
 * copies compressed blocks verbatim between files (merge, append) instead of
 * decompressing and compressing them again.
 *
 * A block is self-described (docs/FORMAT.md, "Blocks" and "Dictionaries"):
 * its record gives the offset, compressed and decompressed sizes, CRC of the
 * compressed bytes, its run of documents and, in QB_FLAGS, its codec and the
 * number of the dictionary it needs. To copy block b of corpus A into a new
 * file B:
 *   1. q_block_raw(A, kind, b, ...) gives the checked compressed bytes and
 *      the description;
 *   2. when desc.dict != 0, q_dict_info_get(A, desc.dict, ...) gives the
 *      checked dictionary bytes (decompressed when A stores them as a zstd
 *      frame; q_dict_info_free() releases them); B's writer stores them
 *      once in its own QX_DICTIONARIES section under its own number k
 *      (dictionaries are compared by id and bytes to store each once);
 *   3. B's record is A's with QB_OFFSET set to where the bytes go in B,
 *      QB_FLAGS = QBF_MAKE(desc.codec, k), QB_FIRST_DOC renumbered, and the
 *      statistics (text blocks) recomputed from B's rows; QB_CRC, QB_CSIZE
 *      and QB_USIZE stay as they are. Text block i and metadata block i
 *      must still hold the same documents, so both are copied together, and
 *      the documents' rows keep their QD_OFFSET and QD_META_OFFSET.
 * A zstd frame carries its dictionary's id, which the reader checks against
 * the dictionary the record names: a wrongly renumbered block is refused,
 * never misread.
 */
#ifndef QUIRE_BLOCKS_H
#define QUIRE_BLOCKS_H

#include "reader.h"

typedef struct q_block_desc {
  uint64_t offset; /* of the compressed bytes in the file */
  uint32_t csize;  /* compressed size */
  uint32_t usize;  /* decompressed size */
  uint32_t crc;    /* of the compressed bytes */
  uint32_t first_doc, docs;
  uint32_t codec; /* QF_CODEC_* */
  uint32_t dict;  /* dictionary number, 0 for none */
} q_block_desc;

/* Reads and bounds-checks the record of text block (kind 0) or metadata
 * block (kind 1) index: the bytes lie in the file, the codec and
 * dictionary are ones the file can declare, the sizes are possible.
 * QUIRE_OK or QUIRE_ECORRUPT with a message naming the block. */
int q_block_describe(const quire_corpus *c, int kind, uint32_t index,
                     q_block_desc *out, char *msg);

/* The same, then checks the compressed bytes' CRC and stores a pointer to
 * them (into the corpus, valid until it is closed) in *bytes. */
int q_block_raw(const quire_corpus *c, int kind, uint32_t index,
                const uint8_t **bytes, q_block_desc *out, char *msg);

/* Checks that the row of document doc lies in its blocks: it names block
 * b, whose text (record t) holds its text and NUL, and whose metadata
 * (record m) holds its record's head. QUIRE_OK or QUIRE_ECORRUPT. */
int q_row_in_blocks(const quire_corpus *c, const uint8_t *row, uint64_t doc,
                    uint32_t b, const q_block_desc *t, const q_block_desc *m,
                    char *msg);

#endif
