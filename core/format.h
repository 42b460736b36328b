/*
 * format.h: the .quire file layout (docs/FORMAT.md says the same in
 * prose) and little-endian load/store helpers. Shared by writer and reader.
 *
 *   header (64 bytes)
 *   text and metadata blocks (raw DEFLATE or zstd frames), interleaved as
 *   they fill
 *   sections, each followed by its table of chunk CRCs (format 1.1: also the
 *   extension sections, e.g. the dictionaries)
 *   format 1.1: the extension table, ending where the footer begins
 *   footer (288 bytes)
 */
#ifndef QUIRE_FORMAT_H
#define QUIRE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define QF_MAGIC "QUIRE\0\r\n"     /* first 8 bytes of the file */
#define QF_END_MAGIC "QUIREEND"    /* last 8 bytes of the file */
#define QF_FOOTER_MAGIC "QUIREFTR" /* first 8 bytes of the footer */
#define QF_MAGIC_SIZE 8 /* every magic of the format, QX_MAGIC included */
#define QF_HEADER_SIZE 64
#define QF_FOOTER_SIZE 288
#define QF_CRC_SIZE 4 /* a u32 crc32 */

/* Flag bits. A reader refuses a file with a required bit it does not know
 * and ignores optional bits it does not know. Version 1.0 defines none.
 *
 * Format 1.1:
 *   QF_REQ_CODECS: block records name their codec and dictionary in
 *   QB_FLAGS, blocks may be zstd frames, and the file may hold dictionaries
 *   (extension section QX_DICTIONARIES). Set on every file with a zstd
 *   block or a dictionary; a 1.0 reader refuses such a file with
 *   QUIRE_EVERSION. A 1.1 file of DEFLATE blocks without dictionaries leaves
 *   it clear and is read by a 1.0 reader as it reads a 1.0 file.
 *   QF_OPT_WORD_SUMMARIES, QF_OPT_NEAR_DUP: set when the file holds the
 *   optional extension section of that name (reserved for issues 17 and
 *   13); informational, a reader goes by the extension table. */
#define QF_REQ_CODECS 0x1u
#define QF_OPT_WORD_SUMMARIES 0x1u
#define QF_OPT_NEAR_DUP 0x2u
#define QF_REQUIRED_KNOWN QF_REQ_CODECS
#define QF_OPTIONAL_KNOWN (QF_OPT_WORD_SUMMARIES | QF_OPT_NEAR_DUP)

/* Header fields (offsets). */
#define QH_MAJOR 8
#define QH_MINOR 10
#define QH_REQUIRED 12
#define QH_OPTIONAL 16
#define QH_SIZE 20
#define QH_FILE_SIZE 24
#define QH_CRC 60 /* crc32 of bytes 0..59 */

/* Footer fields (offsets from the footer's start). */
#define QFT_MAJOR 8
#define QFT_MINOR 10
#define QFT_REQUIRED 12
#define QFT_OPTIONAL 16
#define QFT_SIZE 20
#define QFT_FILE_SIZE 24
#define QFT_DOCS 32
#define QFT_SOURCES 40
#define QFT_UNDATED 48
#define QFT_BLOCKS 56
#define QFT_META_BLOCKS 64
#define QFT_RAW_SIZE 72
#define QFT_MIN_DATE 80
#define QFT_MAX_DATE 88
#define QFT_BLOCK_SIZE 96
#define QFT_ORDER 100
#define QFT_SECTIONS 104 /* QS_COUNT entries of QF_SECTION_ENTRY bytes */
#define QFT_EXT_SIZE                                                           \
  272               /* u32, format 1.1: bytes of the extension table,          \
                       0 when there is none (every 1.0 file) */
#define QFT_CRC 276 /* crc32 of footer bytes 0..275 */
#define QFT_END 280 /* QF_END_MAGIC */

/* A section entry: u64 offset, u64 length, u32 record width, u32 crc32 of
 * the section's chunk CRC table. The table, one u32 crc32 per QF_CHUNK
 * bytes of the section (the last chunk may be shorter), follows the
 * section's bytes directly. */
#define QF_SECTION_ENTRY 24
#define QSE_OFFSET 0
#define QSE_LENGTH 8
#define QSE_WIDTH 16
#define QSE_TABLE_CRC 20
#define QF_CHUNK 4096 /* section bytes per QF_CRC_SIZE entry of its table */

enum {
  QS_SOURCE_NAMES, /* width 1: the source names, concatenated */
  QS_SOURCES,      /* width 24: one per source, sorted by name */
  QS_SOURCE_LISTS, /* width 4: per source, its documents by date */
  QS_DATE_INDEX,   /* width 4: every document, by date */
  QS_DOCS,         /* width 32: one row per document */
  QS_BLOCKS,       /* width 64: one per text block */
  QS_META_BLOCKS,  /* width 32: one per metadata block */
  QS_COUNT
};
#define QS_NAMES_LIST                                                          \
  {                                                                            \
    "source names", "source table", "source index", "date index",              \
        "document table", "text block table", "metadata block table"           \
  }
#define QS_WIDTHS                                                              \
  { 1, QSRC_SIZE, QF_INDEX_ENTRY, QF_INDEX_ENTRY, QF_ROW, QB_SIZE, QMB_SIZE }

/* QS_SOURCES record. */
#define QSRC_NAME_OFFSET 0 /* u64 into QS_SOURCE_NAMES */
#define QSRC_LIST_START 8  /* u64 first entry in QS_SOURCE_LISTS */
#define QSRC_NAME_LEN 16   /* u32 */
#define QSRC_DOCS 20       /* u32 */
#define QSRC_SIZE 24       /* bytes in a record */

/* QS_SOURCE_LISTS and QS_DATE_INDEX records: a u32 document number. The
 * documents are ordered by their row's date (undated first), then number;
 * searches read the date from the row, which keeps the indexes small. */
#define QF_INDEX_ENTRY 4

/* QS_DOCS record. */
#define QD_DATE 0    /* i64 UTC seconds, QUIRE_NO_DATE when undated */
#define QD_SOURCE 8  /* u32 source id, QF_NO_SOURCE when none */
#define QD_BLOCK 12  /* u32 text block */
#define QD_OFFSET 16 /* u32 offset of the text in the inflated block */
#define QD_LENGTH 20 /* u32 length of the text */
#define QD_META_OFFSET                                                         \
  24                     /* u32 offset of the record in metadata block         \
                           number QD_BLOCK: the two are cut together */
#define QD_PRECISION 28  /* u8 QUIRE_DATE_* */
#define QD_TZ_KIND 29    /* u8 Q_TZ_* */
#define QD_TZ_MINUTES 30 /* i16 */
#define QF_ROW 32        /* bytes in a row */
#define QF_NO_SOURCE 0xFFFFFFFFu

/* A metadata record: u32 title length, u32 author length, u32 url length,
 * then the three strings. */
#define QM_TITLE_LEN 0
#define QM_AUTHOR_LEN 4
#define QM_URL_LEN 8
#define QF_META_HEAD 12 /* then title, NUL, author, NUL, url, NUL */

/* QS_BLOCKS record. */
#define QB_OFFSET 0       /* u64 file offset of the compressed bytes */
#define QB_CSIZE 8        /* u32 compressed size */
#define QB_USIZE 12       /* u32 uncompressed size */
#define QB_CRC 16         /* u32 crc32 of the compressed bytes */
#define QB_FIRST_DOC 20   /* u32 */
#define QB_DOCS 24        /* u32 */
#define QB_FLAGS 28       /* u32: codec and dictionary (QBF_*); 0 in 1.0 */
#define QB_MIN_DATE 32    /* i64, INT64_MAX when no document is dated */
#define QB_MAX_DATE 40    /* i64, INT64_MIN when no document is dated */
#define QB_MIN_SOURCE 48  /* u32, QF_NO_SOURCE when no document has one */
#define QB_MAX_SOURCE 52  /* u32 */
#define QB_SOURCE_BITS 56 /* u64: bit (source % 64) set for each source */
#define QB_SIZE 64        /* bytes in a record */

/* QS_META_BLOCKS record: the first 32 bytes of a QS_BLOCKS record (its
 * QB_FLAGS was "reserved, 0" in 1.0 and means the same as in QS_BLOCKS).
 * Metadata block i holds the title, author and url of exactly the documents
 * of text block i. */
#define QMB_SIZE 32

/* QB_FLAGS: bits 0-7 the codec, bits 8-31 the dictionary number (1-based
 * index into the QX_DICTIONARIES directory; 0 = none). A block is thereby
 * self-described: its record, its compressed bytes and the dictionary it
 * names are all that is needed to decompress it, so a merge can copy the
 * bytes verbatim into another file (with the dictionary, renumbered). */
#define QBF_CODEC(flags) ((flags)&0xFFu)
#define QBF_DICT(flags) ((flags) >> 8)
#define QBF_MAKE(codec, dict) ((uint32_t)(codec) | (uint32_t)(dict) << 8)
#define QF_CODEC_DEFLATE 0 /* raw DEFLATE (RFC 1951), no dictionary */
#define QF_CODEC_ZSTD                                                          \
  1 /* one zstd frame (RFC 8878) with its content                              \
       size, which must equal QB_USIZE */
#define QF_MAX_DICT_NUMBER 0xFFFFFFu

/* DEFLATE cannot expand more than 1032:1, so a block claiming more is
 * damaged; this bounds every allocation sized from the file. A zstd block
 * is bounded by its frame header, which must state exactly QB_USIZE, and by
 * zstd's own limit (an RLE block of 128 KiB in 4 bytes). */
#define QF_MAX_RATIO 1032u
#define QF_MAX_ZSTD_RATIO 32768u

/* ---- format 1.1: the extension table -----------------------------------
 *
 * When footer field QFT_EXT_SIZE is non-zero, the extension table is the
 * QFT_EXT_SIZE bytes just before the footer:
 *   0  "QUIRESEC"
 *   8  u32 entry count (at most QX_MAX_ENTRIES)
 *   12 u32 entry width (QX_ENTRY in 1.1; a reader accepts a larger width and
 *      reads the first QX_ENTRY bytes of each entry, so entries can grow)
 *   16 the entries
 *   .. u32 crc32 of every byte of the table before it
 * An entry describes one extension section exactly as a footer entry does a
 * main section (bytes, then their chunk CRC table), with a kind and flags:
 *   0  u32 kind (QX_*), each kind at most once
 *   4  u32 flags: QXF_REQUIRED, when a reader that does not know the kind
 *      must refuse the file (QUIRE_EVERSION); other bits 0
 *   8  u64 offset, 16 u64 length, 24 u32 record width, 28 u32 crc32 of
 *      the section's chunk CRC table
 * New section kinds are added this way without a format bump: a reader
 * ignores an optional kind it does not know. A new required kind must come
 * with a new QF_REQ_* header bit too, so that 1.0 readers (which never read
 * this table) refuse it. */
#define QX_MAGIC "QUIRESEC"
#define QX_COUNT 8  /* u32 entry count */
#define QX_WIDTH 12 /* u32 entry width */
#define QX_HEAD 16
#define QX_ENTRY 32
#define QXE_KIND 0
#define QXE_FLAGS 4
#define QXE_SECTION 8 /* a section entry (QSE_*), as in the footer */
#define QX_MAX_ENTRIES 64
#define QXF_REQUIRED 0x1u

enum {
  QX_DICTIONARIES = 1,   /* required: zstd dictionaries (below) */
  QX_WRITER = 2,         /* optional: how the file was packed (below) */
  QX_WORD_SUMMARIES = 3, /* optional, reserved: per-block word summaries
                            (issue 17); QF_OPT_WORD_SUMMARIES */
  QX_NEAR_DUP = 4,       /* optional, reserved: per-document near-duplicate
                            signatures (issue 13); QF_OPT_NEAR_DUP */
  QX_WORD_POSTINGS = 5,  /* optional: the documents of each rare word */
  QX_KNOWN_LAST = 5
};

/* QX_DICTIONARIES, width 1:
 *   0 u32 dictionary count n (1..QF_MAX_DICTS), 4 u32 reserved 0,
 *   8 n directory entries of QXD_ENTRY bytes, then the dictionaries' bytes.
 * Directory entry: u32 zstd dictionary id (non-zero, equal to the id inside
 * the dictionary), u32 use (bits 0-7 QXD_USE_*, informational; bit 8
 * QXD_STORED_ZSTD; the rest 0), u64 offset from the section's start, u32
 * size and u32 crc32 of the stored bytes. Stored bytes are the dictionary
 * itself or, with QXD_STORED_ZSTD, one zstd frame (no dictionary, content
 * size stated) whose content is the dictionary: a dictionary's content is
 * text chosen for recurring, so it compresses to about a third.
 * Dictionary number k (in QB_FLAGS) is directory entry k - 1. A reader checks
 * the entry's bounds, the crc32, the id and that zstd accepts the
 * dictionary before any block uses it; a bad dictionary loses exactly the
 * blocks that name it. */
#define QXD_COUNT 0
#define QXD_HEAD 8
#define QXD_ENTRY 24
#define QXD_ID 0
#define QXD_USE 4
#define QXD_OFFSET 8
#define QXD_SIZE 16
#define QXD_CRC 20
#define QXD_USE_TEXT 0
#define QXD_USE_META 1
#define QXD_USE_MASK 0xFFu
#define QXD_STORED_ZSTD (1u << 8)
#define QF_MAX_DICTS 4096u
#define QF_MIN_DICT_SIZE 256u
#define QF_MAX_DICT_SIZE (16u << 20)

/* QX_WRITER, width 1, QXW_SIZE bytes: u32 codec (QF_CODEC_*), i32 level on
 * that codec's scale, u32 block size, u32 dictionary size asked for (0 for
 * none), u32 metadata dictionary size asked for. Informational (quire
 * info); the thread count is not recorded: it does not change the bytes. */
#define QXW_CODEC 0
#define QXW_LEVEL 4
#define QXW_BLOCK_SIZE 8
#define QXW_DICT_SIZE 12
#define QXW_META_DICT_SIZE 16
#define QXW_SIZE 20

/* QX_WORD_SUMMARIES, width 1 (wordsum.c; docs/FORMAT.md, "Word summaries"):
 *   0   "QUIREWSM"
 *   8   u32 n, the number of text blocks it describes
 *   12  u32 k, bit positions per word (1 to QWS_MAX_K)
 *   16  u32 f, the number of frequent words
 *   20  u32 the block count above which a word was counted frequent
 *   24  f u32 hashes of the frequent words, ascending, distinct
 *   ..  n + 1 u64 offsets of each block's filter from the first filter's
 *       first byte, non-decreasing (the last is the filters' total size)
 *   ..  the filters: block i's is bytes [offset i, offset i + 1), a Bloom
 *       filter of m = 8 * its size bits (bit b is bit b % 8 of byte b / 8)
 * A frequent word is in no filter; every other word of block i's texts and
 * titles is in filter i. A filter of size 0 holds no word. */
#define QWS_MAGIC "QUIREWSM"
#define QWS_BLOCKS 8
#define QWS_K 12
#define QWS_FREQUENT 16
#define QWS_THRESHOLD 20
#define QWS_HEAD 24
#define QWS_HASH 4   /* bytes of a frequent word's hash */
#define QWS_OFFSET 8 /* bytes of a filter's offset */
#define QWS_MAX_K 16

/* QX_WORD_POSTINGS, width 1 (postings.c; docs/FORMAT.md, "Word postings"):
 *   0   "QUIREWPS"
 *   8   u32 n, the number of words listed
 *   12  u32 the largest document count a listed word was allowed
 *       (informational)
 *   16  u64 the number of documents of the file it describes
 *   24  n entries of QWP_ENTRY bytes, ascending by key: u32 key, the
 *       q_word_hash() of the folded word; u32 offset of its record from
 *       the first record's first byte
 *   ..  the records: varint word length (1 to QWP_MAX_WORD), the folded
 *       word, varint df (at least 1), then df varints: the first document
 *       number, then the gap (at least 1) to each next one
 * Varints are unsigned LEB128, at most 10 bytes. A listed word occurs in
 * the titles or texts of exactly the documents listed, and in no other. */
#define QWP_MAGIC "QUIREWPS"
#define QWP_WORDS 8
#define QWP_MAX_DF 12
#define QWP_DOCS 16
#define QWP_HEAD 24
#define QWP_ENTRY 8
#define QWP_MAX_WORD 64

/* ---- little-endian access --------------------------------------------------
 */

static inline uint16_t ld16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t ld32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}
static inline uint64_t ld64(const uint8_t *p) {
  return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}
static inline int64_t ldi64(const uint8_t *p) {
  uint64_t u = ld64(p);
  int64_t v;
  memcpy(&v, &u, 8);
  return v;
}
static inline void st16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline void st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline void sti64(uint8_t *p, int64_t v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  st64(p, u);
}

#endif /* QUIRE_FORMAT_H */
