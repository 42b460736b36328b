/*
 * writer_blocks.c: cutting documents into text and metadata blocks,
 * compressing them (here or on the helper threads) and writing them with
 * their records; the word summaries of each text block.
 */
#include <string.h>

#include "writer.h"

/* Writes bytes at the end of the output file. */
int q_writer_write(quire_writer *w, const void *data, size_t len) {
  int status = q_outfile_write(&w->out, data, len, w->msg);
  if (status != QUIRE_OK)
    return q_writer_fail(w, status, NULL);
  w->out_pos += len;
  return QUIRE_OK;
}

/* Metadata blocks are small (a 64 KiB text block's titles, authors and urls
 * compress to about 600 bytes), and written each after its text block they
 * lie 64 KiB apart: a walk of the metadata alone (an Arrow stream without
 * the text, a titles export) then faults in a page for each of them and
 * the kernel maps the text around it, most of the walk's time. So they are
 * gathered and written in runs of this many bytes, which such a walk reads
 * as one region. Readers go by the block tables, never by position. */
#define Q_META_RUN (1u << 20)

/* Appends the block's table record; offset is where its compressed bytes
 * are (for a queued metadata block, where they are in meta_run). The
 * statistics of text blocks are filled in at finish, when the final source
 * ids are known. */
static int record_block(quire_writer *w, int kind, uint64_t offset,
                        size_t csize, uint32_t usize, uint32_t crc,
                        uint32_t first_doc, uint32_t docs, uint32_t flags) {
  uint8_t rec[QB_SIZE] = {0};
  wblock *b = kind == 0 ? &w->text : &w->meta;
  st32(rec + QB_FLAGS, flags);
  st64(rec + QB_OFFSET, offset);
  st32(rec + QB_CSIZE, (uint32_t)csize);
  st32(rec + QB_USIZE, usize);
  st32(rec + QB_CRC, crc);
  st32(rec + QB_FIRST_DOC, first_doc);
  st32(rec + QB_DOCS, docs);
  size_t width = kind == 0 ? QB_SIZE : QMB_SIZE;
  if (q_buf_append(&b->table, rec, width) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for the block table");
  b->count++;
  return QUIRE_OK;
}

/* Writes the queued metadata blocks and turns their records' offsets into
 * file offsets. */
static int write_meta_run(quire_writer *w) {
  if (w->meta_queued == 0)
    return QUIRE_OK;
  uint64_t base = w->out_pos;
  int status = q_writer_write(w, w->meta_run.data, w->meta_run.len);
  if (status != QUIRE_OK)
    return status;
  uint8_t *rec = (uint8_t *)w->meta.table.data +
                 (size_t)(w->meta.count - w->meta_queued) * QMB_SIZE;
  for (uint32_t i = 0; i < w->meta_queued; i++, rec += QMB_SIZE)
    st64(rec + QB_OFFSET, base + ld64(rec + QB_OFFSET));
  w->meta_run.len = 0;
  w->meta_queued = 0;
  return QUIRE_OK;
}

int q_writer_put_block(quire_writer *w, int kind, const void *bytes,
                       size_t csize, uint32_t usize, uint32_t crc,
                       uint32_t first_doc, uint32_t docs, uint32_t flags) {
  if (kind == 0) {
    uint64_t offset = w->out_pos;
    int status = q_writer_write(w, bytes, csize);
    return status != QUIRE_OK ? status
                              : record_block(w, 0, offset, csize, usize, crc,
                                             first_doc, docs, flags);
  }
  if (w->meta_run.len + csize > Q_META_RUN) {
    int status = write_meta_run(w);
    if (status != QUIRE_OK)
      return status;
  }
  uint64_t offset = w->meta_run.len;
  if (q_buf_append(&w->meta_run, bytes, csize) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for metadata blocks");
  int status =
      record_block(w, 1, offset, csize, usize, crc, first_doc, docs, flags);
  if (status == QUIRE_OK)
    w->meta_queued++;
  return status;
}

/* The flags of a block compressed here. */
static uint32_t own_flags(const quire_writer *w, int kind) {
  return QBF_MAKE(w->config.codec, w->dict_number[kind]);
}

/* Writes a compressed block that the thread pool handed back. */
static int take_pool_result(quire_writer *w, q_wjob *job) {
  return q_writer_put_block(w, job->kind, job->out, job->out_len, job->in_len,
                            q_crc32(job->out, job->out_len), job->first_doc,
                            job->docs, own_flags(w, job->kind));
}

static int drain_pool(quire_writer *w, int wait_all) {
  /* Rather than wait for the helpers, the calling thread compresses what
   * none of them has started. */
  while (q_wpool_help(w->pool, w->packer, wait_all))
    ;
  q_wjob *job;
  while ((job = q_wpool_next_done(w->pool, wait_all)) != NULL) {
    int status = job->failed
                     ? q_writer_fail(w, QUIRE_ENOMEM,
                                     "out of memory compressing a block")
                     : take_pool_result(w, job);
    q_wpool_release(w->pool, job);
    if (status != QUIRE_OK)
      return status;
  }
  return QUIRE_OK;
}

/* Gives up the word summaries (their temporary file failed): the file is
 * written without them, which changes no result. */
void q_writer_drop_word_summaries(quire_writer *w) {
  q_wsum_builder_free(w->wordsum);
  w->wordsum = NULL;
  q_post_builder_free(w->postings);
  w->postings = NULL;
  w->wordsum_section.len = 0;
  w->no_word_summaries = 1;
  w->msg[0] = '\0';
}

/* Compresses and writes the block being filled, then empties it. */
static int flush_block(quire_writer *w, wblock *b) {
  if (b->docs == 0)
    return QUIRE_OK;
  int status = QUIRE_OK;
  /* The metadata block of these documents is flushed right after. */
  if (b == &w->text && !w->no_word_summaries) {
    if ((!w->wordsum && q_wsum_builder_new(&w->wordsum) != QUIRE_OK) ||
        (!w->postings && q_post_builder_new(&w->postings) != QUIRE_OK))
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for word summaries");
    /* One pass over the words feeds both. */
    w->word_hashes.len = 0;
    if (q_post_builder_block(
            w->postings, b->data.data, b->data.len, w->meta.data.data,
            w->meta.data.len,
            (const uint8_t *)w->rows.data + (size_t)b->first_doc * QF_ROW,
            b->first_doc, b->docs, &w->word_hashes) != QUIRE_OK)
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for word summaries");
    status = q_wsum_builder_hashes(w->wordsum, &w->word_hashes, w->msg);
    if (status == QUIRE_EIO) { /* no temporary file: no summaries */
      q_writer_drop_word_summaries(w);
      status = QUIRE_OK;
    }
    if (status != QUIRE_OK)
      return q_writer_fail(w, status, NULL);
  }
  if (b == &w->text) {
    q_wsum_origin origin = {0, w->built_blocks++};
    if (q_buf_append(&w->wsum_plan, &origin, sizeof origin) != QUIRE_OK)
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
  }
  if (w->pool) {
    /* Blocks come back in the order they were queued, so block numbers and
     * file order stay those of a single thread. */
    status = q_wpool_submit(w->pool, b == &w->text ? 0 : 1, &b->data,
                            b->first_doc, b->docs, w->msg);
    if (status != QUIRE_OK)
      return q_writer_fail(w, status, NULL);
    status = drain_pool(w, 0);
  } else {
    size_t bound = q_packer_bound(w->packer, b->data.len);
    w->compressed.len = 0;
    if (q_buf_reserve(&w->compressed, bound) != QUIRE_OK)
      return q_writer_fail(w, QUIRE_ENOMEM,
                           "out of memory compressing a block");
    size_t csize = q_pack(w->packer, w->config.dict[b == &w->text ? 0 : 1],
                          b->data.data, b->data.len, w->compressed.data, bound);
    if (csize == 0)
      return q_writer_fail(w, QUIRE_ENOMEM, "cannot compress a block");
    int kind = b == &w->text ? 0 : 1;
    status = q_writer_put_block(w, kind, w->compressed.data, csize,
                                (uint32_t)b->data.len,
                                q_crc32(w->compressed.data, csize),
                                b->first_doc, b->docs, own_flags(w, kind));
  }
  b->data.len = 0;
  b->docs = 0;
  b->cut++;
  return status;
}

/* Cuts the current text and metadata blocks (always together, so that
 * metadata block i describes the documents of text block i) when a
 * document of these sizes would take either past the block size, and makes
 * room for it. */
static int block_room(quire_writer *w, size_t text_len, size_t meta_len,
                      uint32_t doc) {
  if (w->text.docs > 0 && (w->text.data.len + text_len > w->block_size ||
                           w->meta.data.len + meta_len > w->block_size)) {
    int status = flush_block(w, &w->text);
    if (status == QUIRE_OK)
      status = flush_block(w, &w->meta);
    if (status != QUIRE_OK)
      return status;
  }
  if (w->text.docs == 0)
    w->text.first_doc = w->meta.first_doc = doc;
  if (q_buf_reserve(&w->text.data, text_len) != QUIRE_OK ||
      q_buf_reserve(&w->meta.data, meta_len) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory filling a block");
  return QUIRE_OK;
}

int q_writer_flush_all(quire_writer *w) {
  int status = flush_block(w, &w->text);
  if (status == QUIRE_OK)
    status = flush_block(w, &w->meta);
  if (status == QUIRE_OK && w->pool)
    status = drain_pool(w, 1);
  if (status == QUIRE_OK)
    status = write_meta_run(w);
  return status;
}

uint32_t q_writer_rows(const quire_writer *w) {
  return (uint32_t)(w->rows.len / QF_ROW);
}

/* Puts document d into the current blocks and appends its row: it is the
 * next document of the file. */
int q_writer_emit_document(quire_writer *w, const wdoc *d, const wfields *f) {
  uint32_t doc = q_writer_rows(w);
  /* Every string is followed by a NUL, so that readers return them in
   * place, terminated. */
  size_t meta_len =
      QF_META_HEAD + (size_t)d->title_len + d->author_len + d->url_len + 3;
  int status = block_room(w, (size_t)d->text_len + 1, meta_len, doc);
  if (status == QUIRE_OK && q_buf_reserve(&w->rows, QF_ROW) != QUIRE_OK)
    status = q_writer_fail(w, QUIRE_ENOMEM, "out of memory for the rows");
  if (status != QUIRE_OK)
    return status;

  uint8_t *row = (uint8_t *)w->rows.data + w->rows.len;
  memset(row, 0, QF_ROW);
  sti64(row + QD_DATE, d->date);
  st32(row + QD_SOURCE, d->source); /* renumbered at finish */
  st32(row + QD_BLOCK, w->text.cut);
  st32(row + QD_OFFSET, (uint32_t)w->text.data.len);
  st32(row + QD_LENGTH, d->text_len);
  st32(row + QD_META_OFFSET, (uint32_t)w->meta.data.len);
  row[QD_PRECISION] = d->precision;
  row[QD_TZ_KIND] = d->tz_kind;
  st16(row + QD_TZ_MINUTES, (uint16_t)d->tz_minutes);
  w->rows.len += QF_ROW;

  q_buf_append(&w->text.data, f->text, d->text_len);
  q_buf_append(&w->text.data, "", 1);
  w->text.docs++;
  uint8_t head[QF_META_HEAD];
  st32(head + QM_TITLE_LEN, d->title_len);
  st32(head + QM_AUTHOR_LEN, d->author_len);
  st32(head + QM_URL_LEN, d->url_len);
  q_buf_append(&w->meta.data, head, sizeof head);
  q_buf_append(&w->meta.data, f->title, d->title_len);
  q_buf_append(&w->meta.data, "", 1);
  q_buf_append(&w->meta.data, f->author, d->author_len);
  q_buf_append(&w->meta.data, "", 1);
  q_buf_append(&w->meta.data, f->url, d->url_len);
  q_buf_append(&w->meta.data, "", 1);
  w->meta.docs++;
  return QUIRE_OK;
}
