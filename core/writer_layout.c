/*
 * writer_layout.c: what follows the blocks at finish: the rows' final
 * source ids and the blocks' statistics, the indexes and the other
 * sections with their chunk CRC tables, the extension sections and table,
 * the footer, then the header (format.h).
 */
#include <stdlib.h>
#include <string.h>

#include "writer.h"

/* Gives every row its final source id and every text block its date and
 * source statistics. */
static void finish_rows_and_blocks(quire_writer *w, const uint32_t *rank,
                                   uint64_t *undated, int64_t *min_date,
                                   int64_t *max_date) {
  uint8_t *rows = (uint8_t *)w->rows.data;
  *undated = 0;
  *min_date = INT64_MAX;
  *max_date = INT64_MIN;
  for (uint32_t b = 0; b < w->text.count; b++) {
    uint8_t *rec = (uint8_t *)w->text.table.data + (size_t)b * QB_SIZE;
    uint32_t first = ld32(rec + QB_FIRST_DOC), docs = ld32(rec + QB_DOCS);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    uint32_t smin = QF_NO_SOURCE, smax = 0;
    uint64_t bits = 0;
    for (uint32_t i = first; i < first + docs; i++) {
      uint8_t *row = rows + (size_t)i * QF_ROW;
      uint32_t s = ld32(row + QD_SOURCE);
      if (s != QF_NO_SOURCE) {
        s = rank[s];
        st32(row + QD_SOURCE, s);
        smin = s < smin ? s : smin;
        smax = s > smax ? s : smax;
        bits |= 1ull << (s % 64);
      }
      int64_t date = ldi64(row + QD_DATE);
      if (date == QUIRE_NO_DATE) {
        (*undated)++;
        continue;
      }
      lo = date < lo ? date : lo;
      hi = date > hi ? date : hi;
    }
    sti64(rec + QB_MIN_DATE, lo);
    sti64(rec + QB_MAX_DATE, hi);
    st32(rec + QB_MIN_SOURCE, smin);
    st32(rec + QB_MAX_SOURCE, smin == QF_NO_SOURCE ? QF_NO_SOURCE : smax);
    st64(rec + QB_SOURCE_BITS, bits);
    *min_date = lo < *min_date ? lo : *min_date;
    *max_date = hi > *max_date ? hi : *max_date;
  }
}

/* Writes a section and its chunk CRC table, recording its entry for the
 * footer. */
static int write_section_at(quire_writer *w, uint8_t *entry, const void *data,
                            uint64_t len, uint32_t width) {
  st64(entry + QSE_OFFSET, w->out_pos);
  st64(entry + QSE_LENGTH, len);
  st32(entry + QSE_WIDTH, width);
  int status = len ? q_writer_write(w, data, (size_t)len) : QUIRE_OK;
  uint64_t chunks = (len + QF_CHUNK - 1) / QF_CHUNK;
  uint8_t *table = q_malloc((size_t)chunks * QF_CRC_SIZE);
  if (!table)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for checksums");
  for (uint64_t c = 0; c < chunks; c++) {
    uint64_t start = c * QF_CHUNK;
    uint64_t n = len - start < QF_CHUNK ? len - start : QF_CHUNK;
    st32(table + c * QF_CRC_SIZE,
         q_crc32((const uint8_t *)data + start, (size_t)n));
  }
  st32(entry + QSE_TABLE_CRC, q_crc32(table, (size_t)chunks * QF_CRC_SIZE));
  if (status == QUIRE_OK && chunks)
    status = q_writer_write(w, table, (size_t)chunks * QF_CRC_SIZE);
  q_free(table);
  return status;
}

/* The same for main section index, whose entry is in the footer. */
static int write_section(quire_writer *w, uint8_t *footer, int index,
                         const void *data, uint64_t len, uint32_t width) {
  return write_section_at(w, footer + QFT_SECTIONS + index * QF_SECTION_ENTRY,
                          data, len, width);
}

/* Format 1.1: writes the extension sections (the dictionaries, the writer's
 * settings), then the extension table, whose size goes in the footer. An
 * extension entry holds, from its byte QXE_SECTION, the same fields as a
 * footer entry. */
static int write_extensions(quire_writer *w, uint8_t *footer) {
  uint8_t table[QX_HEAD + 4 * QX_ENTRY + QF_CRC_SIZE] = {0};
  uint32_t count = 0;
  q_buf dicts = {0};
  int status = q_writer_dict_section(w, &dicts);
  if (status == QUIRE_OK && dicts.len) {
    uint8_t *e = table + QX_HEAD + count++ * QX_ENTRY;
    st32(e + QXE_KIND, QX_DICTIONARIES);
    st32(e + QXE_FLAGS, QXF_REQUIRED);
    status = write_section_at(w, e + QXE_SECTION, dicts.data, dicts.len, 1);
  }
  q_buf_free(&dicts);
  uint8_t settings[QXW_SIZE] = {0};
  st32(settings + QXW_CODEC, (uint32_t)w->config.codec);
  st32(settings + QXW_LEVEL, (uint32_t)w->level);
  st32(settings + QXW_BLOCK_SIZE, w->block_size);
  st32(settings + QXW_DICT_SIZE, w->dict_size);
  st32(settings + QXW_META_DICT_SIZE, w->meta_dict_size);
  uint8_t *e = table + QX_HEAD + count++ * QX_ENTRY;
  st32(e + QXE_KIND, QX_WRITER);
  if (status == QUIRE_OK)
    status = write_section_at(w, e + QXE_SECTION, settings, sizeof settings, 1);
  /* Postings of the rare words (postings.c) in up to 1.25% of the file,
   * word summaries (wordsum.c) of every word in the rest of 2.9%, joined
   * with those of copied blocks (benchmarks/ANALYSIS.md, "Word postings",
   * measures the split). Copied blocks renumber documents: a file that has
   * any gets no postings, and its summaries must hold every word. */
  q_buf built = {0}, postings = {0};
  uint64_t budget = w->out_pos / 1000 * 29;
  if (status == QUIRE_OK && w->postings && !w->corpus_count &&
      q_post_builder_finish(w->postings, q_writer_rows(w), w->out_pos / 80,
                            &postings) != QUIRE_OK)
    status = q_writer_fail(w, QUIRE_ENOMEM, "out of memory for word postings");
  if (status == QUIRE_OK && w->wordsum) {
    status = q_wsum_builder_finish(
        w->wordsum, budget > postings.len ? budget - postings.len : 0, &built,
        w->msg);
    if (status == QUIRE_EIO) { /* the temporary file failed: none */
      q_writer_drop_word_summaries(w);
      status = QUIRE_OK;
    }
    if (status != QUIRE_OK)
      q_writer_fail(w, status, NULL);
  }
  if (status == QUIRE_OK && !w->no_word_summaries)
    status = q_writer_wsum_section(w, &built, &w->wordsum_section);
  q_buf_free(&built);
  if (status == QUIRE_OK && w->wordsum_section.len) {
    e = table + QX_HEAD + count++ * QX_ENTRY;
    st32(e + QXE_KIND, QX_WORD_SUMMARIES);
    status = write_section_at(w, e + QXE_SECTION, w->wordsum_section.data,
                              w->wordsum_section.len, 1);
  }
  if (status == QUIRE_OK && postings.len && !w->no_word_summaries) {
    e = table + QX_HEAD + count++ * QX_ENTRY;
    st32(e + QXE_KIND, QX_WORD_POSTINGS);
    status =
        write_section_at(w, e + QXE_SECTION, postings.data, postings.len, 1);
  }
  q_buf_free(&postings);
  memcpy(table, QX_MAGIC, QF_MAGIC_SIZE);
  st32(table + QX_COUNT, count);
  st32(table + QX_WIDTH, QX_ENTRY);
  size_t size = QX_HEAD + count * QX_ENTRY + QF_CRC_SIZE;
  st32(table + size - QF_CRC_SIZE, q_crc32(table, size - QF_CRC_SIZE));
  if (status == QUIRE_OK)
    status = q_writer_write(w, table, size);
  st32(footer + QFT_EXT_SIZE, (uint32_t)size);
  return status;
}

/* Index entries are sorted as (date, document) pairs, then stored as the
 * document alone. */
typedef struct entry {
  int64_t date;
  uint32_t doc;
} entry;

static int compare_entries(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->date != y->date)
    return x->date < y->date ? -1 : 1;
  return (x->doc > y->doc) - (x->doc < y->doc);
}

/* Sorts n entries and stores their document numbers at out. */
static void store_sorted(entry *entries, size_t n, uint8_t *out) {
  qsort(entries, n, sizeof *entries, compare_entries);
  for (size_t i = 0; i < n; i++)
    st32(out + i * 4, entries[i].doc);
}

/* Builds and writes the source names, source table, source lists and date
 * index from the finished rows. */
static int write_indexes(quire_writer *w, uint8_t *footer,
                         const uint32_t *by_rank) {
  const uint8_t *rows = (const uint8_t *)w->rows.data;
  uint64_t n = q_writer_rows(w);
  uint32_t ns = w->source_count;
  uint64_t *starts = q_calloc((size_t)ns + 1, sizeof *starts);
  uint8_t *names_sorted = q_malloc(w->names.len + ns);
  uint8_t *table = q_calloc(ns ? ns : 1, QSRC_SIZE);
  entry *lists = q_malloc((size_t)n * sizeof *lists);
  entry *dates = q_malloc((size_t)n * sizeof *dates);
  int status = QUIRE_OK;
  if (!starts || !names_sorted || !table || !lists || !dates) {
    status = q_writer_fail(w, QUIRE_ENOMEM, "out of memory building indexes");
    goto done;
  }
  for (uint64_t i = 0; i < n; i++) {
    uint32_t s = ld32(rows + i * QF_ROW + QD_SOURCE);
    if (s != QF_NO_SOURCE)
      starts[s + 1]++;
  }
  uint64_t name_pos = 0;
  for (uint32_t s = 0; s < ns; s++) {
    const wsource *src = &w->sources[by_rank[s]];
    memcpy(names_sorted + name_pos, w->names.data + src->name_offset,
           src->name_len);
    names_sorted[name_pos + src->name_len] = '\0';
    uint8_t *rec = table + (size_t)s * QSRC_SIZE;
    st64(rec + QSRC_NAME_OFFSET, name_pos);
    st64(rec + QSRC_LIST_START, starts[s]);
    st32(rec + QSRC_NAME_LEN, src->name_len);
    st32(rec + QSRC_DOCS, (uint32_t)starts[s + 1]);
    name_pos += src->name_len + 1;
    starts[s + 1] += starts[s];
  }
  uint64_t listed = ns ? starts[ns] : 0;
  for (uint64_t i = 0; i < n; i++) {
    const uint8_t *row = rows + i * QF_ROW;
    entry e = {ldi64(row + QD_DATE), (uint32_t)i};
    dates[i] = e;
    uint32_t s = ld32(row + QD_SOURCE);
    if (s != QF_NO_SOURCE)
      lists[starts[s]++] = e;
  }
  /* starts[s] now ends source s: sort each source's run by date. The
   * entries are stored in place, QF_INDEX_ENTRY bytes each, over the
   * 16-byte pairs. */
  uint8_t *list_out = (uint8_t *)lists, *date_out = (uint8_t *)dates;
  for (uint32_t s = 0; s < ns; s++) {
    uint64_t begin = ld64(table + (size_t)s * QSRC_SIZE + QSRC_LIST_START);
    qsort(lists + begin, starts[s] - begin, sizeof *lists, compare_entries);
  }
  for (uint64_t i = 0; i < listed; i++)
    st32(list_out + i * QF_INDEX_ENTRY, lists[i].doc);
  store_sorted(dates, (size_t)n, date_out);

  status = write_section(w, footer, QS_SOURCE_NAMES, names_sorted, name_pos, 1);
  if (status == QUIRE_OK)
    status = write_section(w, footer, QS_SOURCES, table,
                           (uint64_t)ns * QSRC_SIZE, QSRC_SIZE);
  if (status == QUIRE_OK)
    status = write_section(w, footer, QS_SOURCE_LISTS, list_out,
                           listed * QF_INDEX_ENTRY, QF_INDEX_ENTRY);
  if (status == QUIRE_OK)
    status = write_section(w, footer, QS_DATE_INDEX, date_out,
                           n * QF_INDEX_ENTRY, QF_INDEX_ENTRY);
done:
  q_free(starts);
  q_free(names_sorted);
  q_free(table);
  q_free(lists);
  q_free(dates);
  return status;
}

static void write_version(const quire_writer *w, uint8_t *p) {
  memcpy(p, QF_MAGIC, QF_MAGIC_SIZE);
  st16(p + QH_MAJOR, QUIRE_FORMAT_MAJOR);
  st16(p + QH_MINOR, QUIRE_FORMAT_MINOR);
  /* A file of DEFLATE blocks without dictionaries needs nothing new: a 1.0
   * reader reads it. */
  int needs = w->config.codec != QUIRE_CODEC_DEFLATE || w->dict_dir.len ||
              w->zstd_copied;
  st32(p + QH_REQUIRED, needs ? QF_REQ_CODECS : 0);
  st32(p + QH_OPTIONAL, w->wordsum_section.len ? QF_OPT_WORD_SUMMARIES : 0);
}

/* Writes the footer, then the header now that the file size is known. */
static int write_footer_and_header(quire_writer *w, uint8_t *footer,
                                   uint64_t undated, int64_t min_date,
                                   int64_t max_date) {
  uint64_t file_size = w->out_pos + QF_FOOTER_SIZE;
  write_version(w, footer);
  memcpy(footer, QF_FOOTER_MAGIC, QF_MAGIC_SIZE);
  st32(footer + QFT_SIZE, QF_FOOTER_SIZE);
  st64(footer + QFT_FILE_SIZE, file_size);
  st64(footer + QFT_DOCS, q_writer_rows(w));
  st64(footer + QFT_SOURCES, w->source_count);
  st64(footer + QFT_UNDATED, undated);
  st64(footer + QFT_BLOCKS, w->text.count);
  st64(footer + QFT_META_BLOCKS, w->meta.count);
  st64(footer + QFT_RAW_SIZE, w->raw_size);
  sti64(footer + QFT_MIN_DATE, min_date);
  sti64(footer + QFT_MAX_DATE, max_date);
  st32(footer + QFT_BLOCK_SIZE, w->block_size);
  st32(footer + QFT_ORDER, (uint32_t)w->order);
  memcpy(footer + QFT_END, QF_END_MAGIC, QF_MAGIC_SIZE);
  st32(footer + QFT_CRC, q_crc32(footer, QFT_CRC));
  int status = q_writer_write(w, footer, QF_FOOTER_SIZE);
  if (status != QUIRE_OK)
    return status;
  uint8_t header[QF_HEADER_SIZE] = {0};
  write_version(w, header);
  st32(header + QH_SIZE, QF_HEADER_SIZE);
  st64(header + QH_FILE_SIZE, file_size);
  st32(header + QH_CRC, q_crc32(header, QH_CRC));
  status = q_outfile_pwrite(&w->out, header, sizeof header, 0, w->msg);
  return status == QUIRE_OK ? QUIRE_OK : q_writer_fail(w, status, NULL);
}

int q_writer_write_layout(quire_writer *w, const uint32_t *rank,
                          const uint32_t *by_rank) {
  uint8_t footer[QF_FOOTER_SIZE] = {0};
  uint64_t undated = 0;
  int64_t min_date = 0, max_date = 0;
  finish_rows_and_blocks(w, rank, &undated, &min_date, &max_date);
  int status = write_indexes(w, footer, by_rank);
  if (status == QUIRE_OK)
    status =
        write_section(w, footer, QS_DOCS, w->rows.data, w->rows.len, QF_ROW);
  if (status == QUIRE_OK)
    status = write_section(w, footer, QS_BLOCKS, w->text.table.data,
                           (uint64_t)w->text.count * QB_SIZE, QB_SIZE);
  if (status == QUIRE_OK)
    status = write_section(w, footer, QS_META_BLOCKS, w->meta.table.data,
                           (uint64_t)w->meta.count * QMB_SIZE, QMB_SIZE);
  if (status == QUIRE_OK)
    status = write_extensions(w, footer);
  if (status == QUIRE_OK)
    status = write_footer_and_header(w, footer, undated, min_date, max_date);
  return status;
}
