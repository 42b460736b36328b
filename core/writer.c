/*
 * writer.c: builds a .quire file from documents added one at a time.
 *
 * Texts never stay in memory: in input order each document goes straight
 * into the current text block, which is compressed and written as soon as it
 * is full. In clustered order (the default) documents are first appended to
 * an unlinked spill file, then replayed sorted by source and date at finish,
 * so that a filter on sources and dates touches few blocks. Only per-document
 * metadata (about 100 bytes a document) is held until the end, where the
 * indexes are built from it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writer.h"

/* Tuning of the dictionaries (benchmarks/ANALYSIS.md): the metadata
 * dictionary is this fraction of the text one; training reads up to
 * Q_SAMPLE_FACTOR times the dictionary size of text, at most Q_SAMPLE_MAX,
 * at most Q_SAMPLE_DOC_MAX of each document; a dictionary is at most
 * 1/Q_DICT_FRACTION of the texts it serves (1/Q_META_DICT_FRACTION of the
 * metadata records: metadata blocks are cut with the text blocks, so they
 * are small, and a dictionary of their recurring names and url prefixes
 * saves most of them). */
#define Q_META_DICT_SHARE 8
#define Q_SAMPLE_FACTOR 50
#define Q_DICT_FRACTION 50
#define Q_META_DICT_FRACTION 10
#define Q_SAMPLE_MAX (32u << 20)
#define Q_SAMPLE_DOC_MAX (64u << 10)

/* ---- opening, options, closing ----------------------------------------------
 */

int quire_writer_open(const char *path, quire_writer **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_writer *w = q_calloc(1, sizeof *w);
  *out = w;
  if (!w)
    return QUIRE_ENOMEM;
  w->out.fd = w->spill_fd = -1;
  w->config.codec = QUIRE_CODEC_ZSTD;
  w->dict_size = UINT32_MAX;
  w->order = QUIRE_ORDER_CLUSTERED;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  w->threads = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
  if (!path || !*path)
    return q_writer_fail(w, QUIRE_EINVAL, "output path is NULL or empty");
  int status = q_outfile_open(&w->out, path, w->msg);
  if (status == QUIRE_ENOMEM) { /* the handle convention: no handle */
    quire_writer_free(w);
    *out = NULL;
  }
  if (status != QUIRE_OK) {
    if (*out)
      w->status = status;
    return status;
  }
  /* The header is written last, once the file size is known; reserve it. */
  uint8_t zero[QF_HEADER_SIZE] = {0};
  status = q_outfile_write(&w->out, zero, sizeof zero, w->msg);
  if (status != QUIRE_OK) {
    w->status = status;
    return status;
  }
  w->out_pos = QF_HEADER_SIZE;
  return QUIRE_OK;
}

static int check_option(quire_writer *w) {
  if (!w)
    return QUIRE_EINVAL;
  if (w->status != QUIRE_OK || w->finished)
    return q_fail(w->msg, QUIRE_ESTATE, "writer is finished or failed");
  if (w->started)
    return q_fail(w->msg, QUIRE_ESTATE,
                  "options must be set before the first document");
  return QUIRE_OK;
}

int quire_writer_set_block_size(quire_writer *w, uint32_t size) {
  int status = check_option(w);
  if (status != QUIRE_OK)
    return status;
  if (size < QUIRE_MIN_BLOCK_SIZE || size > QUIRE_MAX_BLOCK_SIZE)
    return q_fail(w->msg, QUIRE_EINVAL, "block size %u is outside %u..%u bytes",
                  size, QUIRE_MIN_BLOCK_SIZE, QUIRE_MAX_BLOCK_SIZE);
  w->block_size = size;
  return QUIRE_OK;
}

int quire_writer_set_level(quire_writer *w, int level) {
  int status = check_option(w);
  if (status != QUIRE_OK)
    return status;
  int top = w->config.codec == QUIRE_CODEC_ZSTD ? 22 : 9;
  if (level < 1 || level > top)
    return q_fail(w->msg, QUIRE_EINVAL,
                  "compression level %d is not 1..%d (%s)", level, top,
                  w->config.codec == QUIRE_CODEC_ZSTD ? "zstd" : "DEFLATE");
  w->level = level;
  return QUIRE_OK;
}

int quire_writer_set_codec(quire_writer *w, int codec) {
  int status = check_option(w);
  if (status != QUIRE_OK)
    return status;
  if (codec != QUIRE_CODEC_ZSTD && codec != QUIRE_CODEC_DEFLATE)
    return q_fail(w->msg, QUIRE_EINVAL, "unknown codec %d", codec);
  if (codec != w->config.codec)
    w->level = 0; /* levels are on each codec's own scale */
  w->config.codec = codec;
  return QUIRE_OK;
}

int quire_writer_set_dictionary_size(quire_writer *w, uint32_t size) {
  int status = check_option(w);
  if (status != QUIRE_OK)
    return status;
  if (size != 0 &&
      (size < QUIRE_MIN_DICTIONARY_SIZE || size > QUIRE_MAX_DICTIONARY_SIZE))
    return q_fail(w->msg, QUIRE_EINVAL,
                  "dictionary size %u is neither 0 nor %u..%u bytes", size,
                  QUIRE_MIN_DICTIONARY_SIZE, QUIRE_MAX_DICTIONARY_SIZE);
  w->dict_size = size;
  return QUIRE_OK;
}

int quire_writer_set_word_summaries(quire_writer *w, int on) {
  int status = check_option(w);
  if (status == QUIRE_OK)
    w->no_word_summaries = !on;
  return status;
}

int quire_writer_set_order(quire_writer *w, int order) {
  int status = check_option(w);
  if (status != QUIRE_OK)
    return status;
  if (order != QUIRE_ORDER_CLUSTERED && order != QUIRE_ORDER_INPUT)
    return q_fail(w->msg, QUIRE_EINVAL, "unknown order %d", order);
  w->order = order;
  return QUIRE_OK;
}

int quire_writer_set_utf8(quire_writer *w, int policy) {
  if (!w)
    return QUIRE_EINVAL;
  if (policy != QUIRE_UTF8_REJECT && policy != QUIRE_UTF8_REPLACE)
    return q_fail(w->msg, QUIRE_EINVAL, "unknown UTF-8 policy %d", policy);
  w->utf8_policy = policy;
  return QUIRE_OK;
}

int quire_writer_set_threads(quire_writer *w, int threads) {
  int status = check_option(w);
  if (status != QUIRE_OK)
    return status;
  if (threads < 1 || threads > 64)
    return q_fail(w->msg, QUIRE_EINVAL, "thread count %d is not 1..64",
                  threads);
  w->threads = threads;
  return QUIRE_OK;
}

int quire_writer_set_dedup(quire_writer *w, int kinds, double similarity) {
  int status = check_option(w);
  if (status != QUIRE_OK)
    return status;
  if (kinds < 0 || (kinds & ~QUIRE_DUP_ALL))
    return q_fail(w->msg, QUIRE_EINVAL, "kinds %d is not a mask of QUIRE_DUP_*",
                  kinds);
  if (similarity == 0)
    similarity = QUIRE_DEFAULT_SIMILARITY;
  if (!(similarity > 0 && similarity <= 1))
    return q_fail(w->msg, QUIRE_EINVAL,
                  "similarity %g is not above 0 and at most 1", similarity);
  q_dedup_free(w->dedup);
  w->dedup = NULL;
  if (kinds && !(w->dedup = q_dedup_new(kinds, similarity)))
    return q_fail(w->msg, QUIRE_ENOMEM, "out of memory");
  return QUIRE_OK;
}

uint64_t quire_writer_dropped(const quire_writer *w) {
  return w ? w->dropped : 0;
}

uint64_t quire_writer_doc_count(const quire_writer *w) {
  if (!w)
    return 0;
  /* An append's corpus counts from the start, though it is copied later. */
  uint64_t pending = w->base_pending ? w->base->docs : 0;
  return w->doc_count + w->copied_docs + pending;
}

const char *quire_writer_errmsg(const quire_writer *w) {
  return w ? w->msg : "writer is NULL";
}

void quire_writer_free(quire_writer *w) {
  if (!w)
    return;
  q_wpool_free(w->pool);
  if (!w->finished)
    q_outfile_abort(&w->out);
  if (w->spill_fd >= 0)
    close(w->spill_fd);
  q_buf_free(&w->names);
  q_free(w->sources);
  q_free(w->slots);
  q_free(w->docs);
  q_buf_free(&w->spill_buf);
  q_buf_free(&w->rows);
  q_buf_free(&w->text.data);
  q_buf_free(&w->text.table);
  q_buf_free(&w->meta.data);
  q_buf_free(&w->meta.table);
  q_buf_free(&w->compressed);
  q_buf_free(&w->repaired);
  q_buf_free(&w->dict_dir);
  q_buf_free(&w->dict_bytes);
  q_buf_free(&w->wsum_plan);
  q_writer_copy_free(w);
  q_packer_free(w->packer);
  q_zdict_free(w->zdict[0]);
  q_zdict_free(w->zdict[1]);
  q_dedup_free(w->dedup);
  q_wsum_builder_free(w->wordsum);
  q_buf_free(&w->wordsum_section);
  q_free(w);
}

/* Everything the first document needs: the compressor, the spill file, the
 * helper threads. Options are fixed from here on. */
int q_writer_start(quire_writer *w) {
  w->started = 1;
  int zstd = w->config.codec == QUIRE_CODEC_ZSTD;
  if (!w->level)
    w->level = zstd ? QUIRE_DEFAULT_ZSTD_LEVEL : QUIRE_DEFAULT_DEFLATE_LEVEL;
  if (!w->block_size)
    w->block_size =
        zstd ? QUIRE_DEFAULT_BLOCK_SIZE : QUIRE_DEFAULT_DEFLATE_BLOCK_SIZE;
  if (w->dict_size == UINT32_MAX)
    w->dict_size = zstd ? QUIRE_DEFAULT_DICTIONARY_SIZE : 0;
  if (!zstd)
    w->dict_size = 0; /* DEFLATE blocks take no dictionary */
  w->meta_dict_size = w->dict_size / Q_META_DICT_SHARE;
  if (w->meta_dict_size && w->meta_dict_size < QUIRE_MIN_DICTIONARY_SIZE)
    w->meta_dict_size = QUIRE_MIN_DICTIONARY_SIZE;
  w->config.level = w->level;
  w->packer = q_packer_new(w->config.codec, w->level);
  if (!w->packer)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for the compressor");
  if (w->threads > 1) {
    int status = q_wpool_new(&w->pool, w->threads, &w->config, w->msg);
    if (status != QUIRE_OK)
      return q_writer_fail(w, status, NULL);
  }
  /* Input order with a dictionary: the first documents wait in the spill
   * file until there are enough of them to train it. */
  w->sampling = w->order == QUIRE_ORDER_INPUT && w->dict_size > 0;
  if (w->order == QUIRE_ORDER_CLUSTERED || w->sampling) {
    /* Beside the output, whose file system is meant to hold it. */
    w->spill_fd = q_scratch_open(w->out.path, ".spl-");
    if (w->spill_fd < 0 && errno == ENOMEM)
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
    if (w->spill_fd < 0)
      return q_writer_fail(w,
                           q_fail(w->msg, QUIRE_EIO,
                                  "cannot create a spill file: %s",
                                  strerror(errno)),
                           NULL);
  }
  return QUIRE_OK;
}

/* ---- sources
 * ------------------------------------------------------------------ */

static uint32_t hash_name(const char *s, size_t len) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int grow_slots(quire_writer *w) {
  uint32_t count = w->slot_count ? w->slot_count * 2 : 64;
  uint32_t *slots = q_calloc(count, sizeof *slots);
  if (!slots)
    return QUIRE_ENOMEM;
  for (uint32_t i = 0; i < w->source_count; i++) {
    uint32_t j = w->sources[i].hash & (count - 1);
    while (slots[j])
      j = (j + 1) & (count - 1);
    slots[j] = i + 1;
  }
  q_free(w->slots);
  w->slots = slots;
  w->slot_count = count;
  return QUIRE_OK;
}

/* Stores in *id the number of source name, adding it if it is new. */
static int intern_source(quire_writer *w, const char *name, size_t len,
                         uint32_t *id) {
  uint32_t h = hash_name(name, len);
  if ((uint64_t)(w->source_count + 1) * 2 > w->slot_count &&
      grow_slots(w) != QUIRE_OK)
    return QUIRE_ENOMEM;
  uint32_t j = h & (w->slot_count - 1);
  for (; w->slots[j]; j = (j + 1) & (w->slot_count - 1)) {
    const wsource *s = &w->sources[w->slots[j] - 1];
    if (s->hash == h && s->name_len == len &&
        (len == 0 || memcmp(w->names.data + s->name_offset, name, len) == 0)) {
      *id = w->slots[j] - 1;
      return QUIRE_OK;
    }
  }
  if (w->source_count >= QUIRE_MAX_SOURCES)
    return q_fail(w->msg, QUIRE_ELIMIT, "more than %u distinct sources",
                  QUIRE_MAX_SOURCES);
  if (w->source_count == w->source_cap) {
    wsource *grown = q_grow(w->sources, &w->source_cap,
                            (size_t)w->source_count + 1, sizeof *grown, 64);
    if (!grown)
      return QUIRE_ENOMEM;
    w->sources = grown;
  }
  wsource *s = &w->sources[w->source_count];
  s->name_offset = w->names.len;
  s->name_len = (uint32_t)len;
  s->hash = h;
  if (q_buf_append(&w->names, name, len) != QUIRE_OK)
    return QUIRE_ENOMEM;
  w->slots[j] = ++w->source_count;
  *id = w->source_count - 1;
  return QUIRE_OK;
}

/* ---- blocks
 * ------------------------------------------------------------------- */

/* Writes bytes at the end of the output file. */
int q_writer_write(quire_writer *w, const void *data, size_t len) {
  int status = q_outfile_write(&w->out, data, len, w->msg);
  if (status != QUIRE_OK)
    return q_writer_fail(w, status, NULL);
  w->out_pos += len;
  return QUIRE_OK;
}

/* Appends the block's table record once its compressed bytes are written
 * at offset. The statistics of text blocks are filled in at finish, when the
 * final source ids are known. */
int q_writer_record_block(quire_writer *w, int kind, uint64_t offset,
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

/* The flags of a block compressed here. */
static uint32_t own_flags(const quire_writer *w, int kind) {
  return QBF_MAKE(w->config.codec, w->dict_number[kind]);
}

/* Writes a compressed block that the thread pool handed back. */
static int take_pool_result(quire_writer *w, q_wjob *job) {
  uint64_t offset = w->out_pos;
  int status = q_writer_write(w, job->out, job->out_len);
  if (status == QUIRE_OK)
    status =
        q_writer_record_block(w, job->kind, offset, job->out_len, job->in_len,
                              q_crc32(job->out, job->out_len), job->first_doc,
                              job->docs, own_flags(w, job->kind));
  return status;
}

static int drain_pool(quire_writer *w, int wait_all) {
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
static void drop_word_summaries(quire_writer *w) {
  q_wsum_builder_free(w->wordsum);
  w->wordsum = NULL;
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
    if (!w->wordsum && q_wsum_builder_new(&w->wordsum) != QUIRE_OK)
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for word summaries");
    status = q_wsum_builder_block(w->wordsum, b->data.data, b->data.len,
                                  w->meta.data.data, w->meta.data.len, w->msg);
    if (status == QUIRE_EIO) { /* no temporary file: no summaries */
      drop_word_summaries(w);
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
    uint64_t offset = w->out_pos;
    status = q_writer_write(w, w->compressed.data, csize);
    if (status == QUIRE_OK)
      status = q_writer_record_block(
          w, b == &w->text ? 0 : 1, offset, csize, (uint32_t)b->data.len,
          q_crc32(w->compressed.data, csize), b->first_doc, b->docs,
          own_flags(w, b == &w->text ? 0 : 1));
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
  return status;
}

uint32_t q_writer_rows(const quire_writer *w) {
  return (uint32_t)(w->rows.len / QF_ROW);
}

/* The fields of one document as they go into the file. */
typedef struct wfields {
  const char *title, *author, *url, *text;
} wfields;

/* Puts document d into the current blocks and appends its row: it is the
 * next document of the file. */
static int emit_document(quire_writer *w, const wdoc *d, const wfields *f) {
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

/* ---- dictionaries
 * ------------------------------------------------------------- */

/* Text bytes to train the dictionaries on: zstd's advice is about 100 times
 * the dictionary; the cap keeps training time bounded. */
static uint64_t sample_budget(const quire_writer *w) {
  uint64_t budget = (uint64_t)w->dict_size * Q_SAMPLE_FACTOR;
  return budget > Q_SAMPLE_MAX ? Q_SAMPLE_MAX : budget;
}

static int read_spill(quire_writer *w, uint64_t offset, q_buf *into,
                      size_t len);
static int spill_flush(quire_writer *w);

/* Adds to the file the dictionary trained from samples (at most cap
 * bytes), makes its compression dictionary and gives it the next number.
 * Training that finds nothing to learn leaves the kind without a
 * dictionary. */
static int train_one(quire_writer *w, int kind, uint32_t cap,
                     uint64_t corpus_bytes, const q_buf *samples,
                     const size_t *sizes, unsigned count) {
  /* A dictionary is stored in the file: it pays only when it is small next
   * to what it compresses, and it needs samples of many times its size. */
  uint64_t fraction = kind == 0 ? Q_DICT_FRACTION : Q_META_DICT_FRACTION;
  if (cap > corpus_bytes / fraction)
    cap = (uint32_t)(corpus_bytes / fraction);
  if (cap > samples->len / 8)
    cap = (uint32_t)(samples->len / 8);
  if (count < 8 || cap < QUIRE_MIN_DICTIONARY_SIZE)
    return QUIRE_OK;
  uint8_t *dict = q_malloc(cap);
  if (!dict)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for a dictionary");
  size_t size = q_zstd_train(dict, cap, samples->data, sizes, count);
  uint32_t id = size ? q_zstd_dict_id(dict, size) : 0;
  int status = QUIRE_OK;
  if (size >= QF_MIN_DICT_SIZE && id != 0) {
    w->zdict[kind] = q_zdict_new(dict, size, w->level, w->block_size);
    status =
        w->zdict[kind]
            ? q_writer_dict_add(w, id, kind == 0 ? QXD_USE_TEXT : QXD_USE_META,
                                dict, (uint32_t)size, &w->dict_number[kind])
            : q_writer_fail(w, QUIRE_ENOMEM, "out of memory for a dictionary");
    if (status == QUIRE_OK)
      w->config.dict[kind] = w->zdict[kind];
  }
  q_free(dict);
  return status;
}

/* Trains the text and metadata dictionaries on the spilled documents
 * [0, count) (input order), taking every k-th so that the sample spreads
 * over the whole corpus and fits the budget; then lays out the
 * QX_DICTIONARIES section. Runs on the calling thread only, so the bytes
 * never depend on the thread count. */
static int train_dictionaries(quire_writer *w, uint64_t count) {
  if (w->dict_size == 0 || count == 0 || w->dicts_fixed)
    return QUIRE_OK;
  int status = spill_flush(w);
  if (status != QUIRE_OK)
    return status;
  uint64_t total = 0, meta_total = 0;
  for (uint64_t i = 0; i < count; i++) {
    const wdoc *d = &w->docs[i];
    total += d->text_len;
    meta_total +=
        QF_META_HEAD + (uint64_t)d->title_len + d->author_len + d->url_len + 3;
  }
  /* One block's worth of text or less: a block is its own best dictionary. */
  if (total <= w->block_size)
    return QUIRE_OK;
  uint64_t budget = sample_budget(w);
  uint64_t step = total <= budget ? 1 : (total + budget - 1) / budget;
  q_buf text = {0}, meta = {0}, one = {0};
  size_t *text_sizes = q_malloc((size_t)(count / step + 1) * sizeof(size_t));
  size_t *meta_sizes = q_malloc((size_t)(count / step + 1) * sizeof(size_t));
  unsigned n = 0;
  if (!text_sizes || !meta_sizes)
    status = q_writer_fail(w, QUIRE_ENOMEM, "out of memory for samples");
  for (uint64_t i = 0; i < count && status == QUIRE_OK; i += step) {
    const wdoc *d = &w->docs[i];
    size_t fields = (size_t)d->title_len + d->author_len + d->url_len;
    size_t take =
        d->text_len < Q_SAMPLE_DOC_MAX ? d->text_len : Q_SAMPLE_DOC_MAX;
    status = read_spill(w, d->spill_offset + Q_SPILL_HEAD, &one, fields + take);
    if (status != QUIRE_OK)
      break;
    uint8_t head[QF_META_HEAD];
    st32(head + QM_TITLE_LEN, d->title_len);
    st32(head + QM_AUTHOR_LEN, d->author_len);
    st32(head + QM_URL_LEN, d->url_len);
    const char *t = one.data;
    if (q_buf_append(&text, t + fields, take) != QUIRE_OK ||
        q_buf_append(&meta, head, sizeof head) != QUIRE_OK ||
        q_buf_append(&meta, t, d->title_len) != QUIRE_OK ||
        q_buf_append(&meta, "", 1) != QUIRE_OK ||
        q_buf_append(&meta, t + d->title_len, d->author_len) != QUIRE_OK ||
        q_buf_append(&meta, "", 1) != QUIRE_OK ||
        q_buf_append(&meta, t + d->title_len + d->author_len, d->url_len) !=
            QUIRE_OK ||
        q_buf_append(&meta, "", 1) != QUIRE_OK) {
      status = q_writer_fail(w, QUIRE_ENOMEM, "out of memory for samples");
      break;
    }
    text_sizes[n] = take;
    meta_sizes[n] = QF_META_HEAD + fields + 3;
    n++;
  }
  if (status == QUIRE_OK)
    status = train_one(w, 0, w->dict_size, total, &text, text_sizes, n);
  if (status == QUIRE_OK && w->meta_dict_size)
    status =
        train_one(w, 1, w->meta_dict_size, meta_total, &meta, meta_sizes, n);
  q_buf_free(&text);
  q_buf_free(&meta);
  q_buf_free(&one);
  q_free(text_sizes);
  q_free(meta_sizes);
  return status;
}

static int replay(quire_writer *w, const uint64_t *order, uint64_t count,
                  int report);

/* Input order: the sample is complete (or the input ended). Trains, then
 * writes the waiting documents in their order; later ones go straight into
 * blocks. */
int q_writer_end_sampling(quire_writer *w) {
  w->sampling = 0;
  int status = train_dictionaries(w, w->doc_count);
  if (status == QUIRE_OK)
    status = replay(w, NULL, w->doc_count, 0);
  return status;
}

/* ---- adding documents
 * ----------------------------------------------------------- */

static int spill_flush(quire_writer *w) {
  if (w->spill_buf.len == 0)
    return QUIRE_OK;
  int status = q_write_all(w->spill_fd, w->spill_buf.data, w->spill_buf.len,
                           "the spill file", w->msg);
  w->spill_buf.len = 0;
  return status == QUIRE_OK ? QUIRE_OK : q_writer_fail(w, status, NULL);
}

static int spill_append(quire_writer *w, const void *data, size_t len) {
  if (w->spill_buf.len + len > (1u << 20)) {
    int status = spill_flush(w);
    if (status != QUIRE_OK)
      return status;
  }
  if (len >= (1u << 20)) { /* large texts bypass the buffer */
    int status = q_write_all(w->spill_fd, data, len, "the spill file", w->msg);
    return status == QUIRE_OK ? QUIRE_OK : q_writer_fail(w, status, NULL);
  }
  if (q_buf_append(&w->spill_buf, data, len) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for the spill buffer");
  return QUIRE_OK;
}

static int spill_document(quire_writer *w, wdoc *d, const wfields *f) {
  d->spill_offset = w->spill_size;
  uint8_t head[Q_SPILL_HEAD];
  st32(head + QM_TITLE_LEN, d->title_len);
  st32(head + QM_AUTHOR_LEN, d->author_len);
  st32(head + QM_URL_LEN, d->url_len);
  st32(head + Q_SPILL_TEXT_LEN, d->text_len);
  int status = spill_append(w, head, sizeof head);
  if (status == QUIRE_OK)
    status = spill_append(w, f->title, d->title_len);
  if (status == QUIRE_OK)
    status = spill_append(w, f->author, d->author_len);
  if (status == QUIRE_OK)
    status = spill_append(w, f->url, d->url_len);
  if (status == QUIRE_OK)
    status = spill_append(w, f->text, d->text_len);
  w->spill_size += sizeof head + (uint64_t)d->title_len + d->author_len +
                   d->url_len + d->text_len;
  return status;
}

/* What check_string() says of a string it does not refuse (a refusal is a
 * negative QUIRE_E* status). */
enum { Q_STRING_VALID = QUIRE_OK, Q_STRING_NEEDS_REPAIR = 1 };

/* Checks one string argument: its length and its UTF-8. Under the replace
 * policy invalid UTF-8 is Q_STRING_NEEDS_REPAIR (repair_strings()). */
static int check_string(quire_writer *w, const char *name, const char **data,
                        size_t *len, size_t limit) {
  if (!*data && *len)
    return q_fail(w->msg, QUIRE_EINVAL, "%s is NULL with length %zu", name,
                  *len);
  if (!*data)
    *data = "";
  if (*len > limit)
    return q_fail(w->msg, QUIRE_ELIMIT, "%s is %zu bytes, over the %zu limit",
                  name, *len, limit);
  size_t bad = q_utf8_valid(*data, *len);
  if (bad == *len)
    return Q_STRING_VALID;
  if (w->utf8_policy == QUIRE_UTF8_REJECT)
    return q_fail(w->msg, QUIRE_EUTF8,
                  "%s is not valid UTF-8 (byte 0x%02x at offset %zu)", name,
                  (unsigned char)(*data)[bad], bad);
  return Q_STRING_NEEDS_REPAIR;
}

/* Repairs the strings that need it into one scratch buffer. Offsets are
 * recorded first and turned into pointers once the buffer stops moving.
 * Each U+FFFD takes three bytes, so a repaired string is held to its own
 * limit again. */
static int repair_strings(quire_writer *w, const char **data[], size_t *lens[],
                          const int *needs, int count, const char *const *names,
                          const size_t *limits) {
  size_t starts[6];
  w->repaired.len = 0;
  for (int i = 0; i < count; i++) {
    if (!needs[i])
      continue;
    starts[i] = w->repaired.len;
    if (q_utf8_repair(*data[i], *lens[i], &w->repaired) != QUIRE_OK)
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory repairing UTF-8");
    *lens[i] = w->repaired.len - starts[i];
    if (*lens[i] > limits[i])
      return q_fail(w->msg, QUIRE_ELIMIT,
                    "%s is %zu bytes once its invalid UTF-8 is replaced, "
                    "over the %zu limit",
                    names[i], *lens[i], limits[i]);
  }
  for (int i = 0; i < count; i++)
    if (needs[i])
      *data[i] = w->repaired.data + starts[i];
  return QUIRE_OK;
}

static int grow_docs(quire_writer *w) {
  if (w->doc_count < w->doc_cap)
    return QUIRE_OK;
  wdoc *docs = q_grow(w->docs, &w->doc_cap, (size_t)w->doc_count + 1,
                      sizeof *docs, 1024);
  if (!docs)
    return q_writer_fail(w, QUIRE_ENOMEM,
                         "out of memory for document metadata");
  w->docs = docs;
  return QUIRE_OK;
}

/* quire_writer_add_document(), duplicate detection when check_dups is set. */
static int add_document(quire_writer *w, const char *source, size_t source_len,
                        const char *date, size_t date_len, const char *title,
                        size_t title_len, const char *author, size_t author_len,
                        const char *url, size_t url_len, const char *text,
                        size_t text_len, int check_dups) {
  if (!w)
    return QUIRE_EINVAL;
  if (w->status != QUIRE_OK || w->finished)
    return q_fail(w->msg, QUIRE_ESTATE, "writer is finished or failed");
  if (check_dups && q_writer_copy_base(w) != QUIRE_OK)
    return w->status;
  if (w->doc_count + w->copied_docs >= QUIRE_MAX_DOCUMENTS)
    return q_fail(w->msg, QUIRE_ELIMIT, "more than %u documents",
                  QUIRE_MAX_DOCUMENTS);

  const char **strings[] = {&source, &title, &author, &url, &text};
  size_t *lens[] = {&source_len, &title_len, &author_len, &url_len, &text_len};
  static const char *const names[] = {"source", "title", "author", "url",
                                      "text"};
  const size_t limits[] = {QUIRE_MAX_SOURCE_LENGTH, QUIRE_MAX_FIELD_LENGTH,
                           QUIRE_MAX_FIELD_LENGTH, QUIRE_MAX_FIELD_LENGTH,
                           QUIRE_MAX_TEXT_LENGTH};
  int needs[5] = {0}, any_repair = 0;
  for (int i = 0; i < 5; i++) {
    int status = check_string(w, names[i], strings[i], lens[i], limits[i]);
    if (status == Q_STRING_NEEDS_REPAIR)
      needs[i] = any_repair = 1;
    else if (status != Q_STRING_VALID)
      return status;
  }
  q_date parsed = {QUIRE_NO_DATE, QUIRE_DATE_NONE, Q_TZ_NONE, 0};
  if (date_len > 0) {
    if (!date)
      return q_fail(w->msg, QUIRE_EINVAL, "date is NULL with length %zu",
                    date_len);
    if (q_date_parse(date, date_len, &parsed) != QUIRE_OK)
      return q_fail(w->msg, QUIRE_EDATE,
                    "bad date \"%.*s\": not ISO 8601 or RFC 2822",
                    (int)(date_len > 64 ? 64 : date_len), date);
  }
  if (any_repair) {
    int status = repair_strings(w, strings, lens, needs, 5, names, limits);
    if (status != QUIRE_OK)
      return status;
  }
  if (w->dedup && check_dups) {
    q_dup_match m;
    int status =
        q_dedup_add(w->dedup, url, url_len, text, text_len, w->given, 1, &m);
    if (status != QUIRE_OK)
      return q_writer_fail(w, status, "out of memory for duplicate detection");
    w->given++;
    if (m.any) {
      w->dropped++;
      return QUIRE_OK;
    }
  }
  if (!w->started && q_writer_start(w) != QUIRE_OK)
    return w->status;
  if (grow_docs(w) != QUIRE_OK)
    return w->status;

  wdoc *d = &w->docs[w->doc_count];
  d->date = parsed.seconds;
  d->precision = (uint8_t)parsed.precision;
  d->tz_kind = (uint8_t)parsed.tz_kind;
  d->tz_minutes = (int16_t)parsed.tz_minutes;
  d->source = QF_NO_SOURCE;
  if (source_len > 0) {
    int status = intern_source(w, source, source_len, &d->source);
    if (status == QUIRE_ENOMEM)
      return q_writer_fail(w, status, "out of memory for source names");
    if (status != QUIRE_OK)
      return status;
  }
  d->title_len = (uint32_t)title_len;
  d->author_len = (uint32_t)author_len;
  d->url_len = (uint32_t)url_len;
  d->text_len = (uint32_t)text_len;
  wfields f = {title, author, url, text};
  int status = w->order == QUIRE_ORDER_CLUSTERED || w->sampling
                   ? spill_document(w, d, &f)
                   : emit_document(w, d, &f);
  if (status != QUIRE_OK)
    return status;
  w->doc_count++;
  w->raw_size +=
      source_len + date_len + title_len + author_len + url_len + text_len;
  if (w->sampling && (w->sampled_text += text_len) >= sample_budget(w))
    return q_writer_end_sampling(w);
  return QUIRE_OK;
}

/* Callers compiled against a later header pass a larger struct; its fields
 * beyond ours are accepted only when unset, so that nothing they ask for is
 * silently ignored. The cap keeps a garbage size from reading far. */
#define DOCUMENT_MAX_SIZE 4096u

static int check_document_size(quire_writer *w, const quire_document *doc) {
  if (!doc)
    return q_fail(w->msg, QUIRE_EINVAL, "document is NULL");
  if (doc->size < sizeof *doc || doc->size > DOCUMENT_MAX_SIZE)
    return q_fail(w->msg, QUIRE_EINVAL,
                  "document size is %zu, not sizeof(quire_document) (%zu): "
                  "initialise it with QUIRE_DOCUMENT_INIT",
                  doc->size, sizeof *doc);
  const unsigned char *bytes = (const unsigned char *)doc;
  for (size_t i = sizeof *doc; i < doc->size; i++)
    if (bytes[i] != 0)
      return q_fail(w->msg, QUIRE_EINVAL,
                    "the document sets fields this library (%s) does not "
                    "know",
                    QUIRE_VERSION_STRING);
  return QUIRE_OK;
}

int quire_writer_add_document(quire_writer *w, const quire_document *doc) {
  if (!w)
    return QUIRE_EINVAL;
  int status = check_document_size(w, doc);
  if (status != QUIRE_OK)
    return status;
  return add_document(w, doc->source, doc->source_len, doc->date, doc->date_len,
                      doc->title, doc->title_len, doc->author, doc->author_len,
                      doc->url, doc->url_len, doc->text, doc->text_len, 1);
}

int q_writer_add_checked(quire_writer *w, const char *source, size_t source_len,
                         const char *date, size_t date_len, const char *title,
                         size_t title_len, const char *author,
                         size_t author_len, const char *url, size_t url_len,
                         const char *text, size_t text_len) {
  return add_document(w, source, source_len, date, date_len, title, title_len,
                      author, author_len, url, url_len, text, text_len, 0);
}

int q_writer_source(quire_writer *w, const char *name, size_t len,
                    uint32_t *id) {
  int status = intern_source(w, name, len, id);
  if (status == QUIRE_ENOMEM)
    return q_writer_fail(w, status, "out of memory for source names");
  return status;
}

/* ---- finishing
 * ------------------------------------------------------------------ */

/* Sort keys carry everything the comparison needs, because qsort passes no
 * context and two writers may finish on two threads at once. */
typedef struct source_key {
  const char *name;
  uint32_t len;
  uint32_t source;
} source_key;

/* The order of sources in the file: by name, bytewise. */
static int compare_sources(const void *a, const void *b) {
  const source_key *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->name, y->name, n) : 0;
  if (c)
    return c;
  return (x->len > y->len) - (x->len < y->len);
}

/* Stores in *rank (allocated) the file number of each source, and in
 * *by_rank the inverse. */
static int rank_sources(quire_writer *w, uint32_t **rank, uint32_t **by_rank) {
  size_t n = w->source_count;
  *rank = q_malloc(n * sizeof **rank);
  *by_rank = q_malloc(n * sizeof **by_rank);
  source_key *keys = q_malloc(n * sizeof *keys);
  if (!*rank || !*by_rank || !keys) {
    q_free(keys);
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory sorting sources");
  }
  for (uint32_t i = 0; i < n; i++) {
    keys[i].name = w->names.data + w->sources[i].name_offset;
    keys[i].len = w->sources[i].name_len;
    keys[i].source = i;
  }
  qsort(keys, n, sizeof *keys, compare_sources);
  for (uint32_t i = 0; i < n; i++) {
    (*by_rank)[i] = keys[i].source;
    (*rank)[keys[i].source] = i;
  }
  q_free(keys);
  return QUIRE_OK;
}

typedef struct cluster_key {
  uint32_t rank; /* source id in the file; QF_NO_SOURCE sorts last */
  int64_t date;  /* QUIRE_NO_DATE sorts first */
  uint64_t doc;  /* input order, which keeps the sort stable */
} cluster_key;

static int compare_clustered(const void *a, const void *b) {
  const cluster_key *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  if (x->date != y->date)
    return x->date < y->date ? -1 : 1;
  return (x->doc > y->doc) - (x->doc < y->doc);
}

static int read_spill(quire_writer *w, uint64_t offset, q_buf *into,
                      size_t len) {
  into->len = 0;
  /* One byte more, so that the buffer exists even for a record whose fields
   * are all empty: they are pointers into it (NULL + 0 is undefined). */
  if (q_buf_reserve(into, len + 1) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory replaying documents");
  if (q_io_read(w->spill_fd, into->data, len, (int64_t)offset) < len)
    return q_writer_fail(w,
                         q_fail(w->msg, QUIRE_EIO,
                                "cannot read the spill file: %s",
                                errno ? strerror(errno) : "short read"),
                         NULL);
  into->len = len;
  return QUIRE_OK;
}

/* Documents emitted between two calls of the progress callback. */
#define PROGRESS_STEP 4096u

/* Tells the progress callback that done of total documents are in blocks. */
static int report_progress(quire_writer *w, uint64_t done, uint64_t total) {
  if (!w->progress || w->progress(w->progress_ctx, done, total) == 0)
    return QUIRE_OK;
  return q_writer_fail(w, QUIRE_ECALLBACK,
                       "the progress callback asked to stop");
}

/* Emits spilled documents order[0..count) (0..count when order is NULL)
 * as documents 0..count of the file, telling the progress callback when
 * report is set. */
static int replay(quire_writer *w, const uint64_t *order, uint64_t count,
                  int report) {
  int status = spill_flush(w);
  q_buf record = {0};
  for (uint64_t k = 0; k < count && status == QUIRE_OK; k++) {
    if (report && k % PROGRESS_STEP == 0 && k > 0)
      status = report_progress(w, k, quire_writer_doc_count(w));
    if (status != QUIRE_OK)
      break;
    const wdoc *d = &w->docs[order ? order[k] : k];
    size_t len =
        (size_t)d->title_len + d->author_len + d->url_len + d->text_len;
    status = read_spill(w, d->spill_offset + Q_SPILL_HEAD, &record, len);
    if (status != QUIRE_OK)
      break;
    wfields f;
    f.title = record.data;
    f.author = f.title + d->title_len;
    f.url = f.author + d->author_len;
    f.text = f.url + d->url_len;
    status = emit_document(w, d, &f);
  }
  q_buf_free(&record);
  return status;
}

/* Emits the spilled documents in clustered order. */
static int replay_clustered(quire_writer *w, const uint32_t *rank) {
  int status = spill_flush(w);
  if (status != QUIRE_OK)
    return status;
  cluster_key *order = q_malloc(w->doc_count * sizeof *order);
  if (!order)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory sorting documents");
  for (uint64_t i = 0; i < w->doc_count; i++) {
    uint32_t s = w->docs[i].source;
    order[i].rank = s == QF_NO_SOURCE ? QF_NO_SOURCE : rank[s];
    order[i].date = w->docs[i].date;
    order[i].doc = i;
  }
  qsort(order, w->doc_count, sizeof *order, compare_clustered);
  /* The sort keys become the list of documents, in place. */
  uint64_t *docs = (uint64_t *)order;
  for (uint64_t k = 0; k < w->doc_count; k++)
    docs[k] = order[k].doc;
  status = train_dictionaries(w, w->doc_count);
  if (status == QUIRE_OK)
    status = replay(w, docs, w->doc_count, 1);
  q_free(order);
  return status;
}

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
  uint8_t table[QX_HEAD + 3 * QX_ENTRY + QF_CRC_SIZE] = {0};
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
  /* Word summaries, sized to about 2.5% of the file (wordsum.c), then
   * joined with those of copied blocks. */
  q_buf built = {0};
  if (status == QUIRE_OK && w->wordsum) {
    status = q_wsum_builder_finish(w->wordsum, w->out_pos / 40, &built, w->msg);
    if (status == QUIRE_EIO) { /* the temporary file failed: none */
      drop_word_summaries(w);
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

static int finish_file(quire_writer *w) {
  if (q_writer_copy_base(w) != QUIRE_OK)
    return w->status;
  if (!w->started && q_writer_start(w) != QUIRE_OK)
    return w->status;
  uint32_t *rank = NULL, *by_rank = NULL;
  uint8_t footer[QF_FOOTER_SIZE] = {0};
  int status = rank_sources(w, &rank, &by_rank);
  if (status == QUIRE_OK)
    status = q_writer_copy_queued(w, rank);
  if (status == QUIRE_OK && w->order == QUIRE_ORDER_CLUSTERED)
    status = replay_clustered(w, rank);
  if (status == QUIRE_OK && w->sampling)
    status = q_writer_end_sampling(w);
  if (status == QUIRE_OK)
    status = flush_block(w, &w->text);
  if (status == QUIRE_OK)
    status = flush_block(w, &w->meta);
  if (status == QUIRE_OK && w->pool)
    status = drain_pool(w, 1);
  if (status == QUIRE_OK) /* every document is in a block */
    status = report_progress(w, quire_writer_doc_count(w),
                             quire_writer_doc_count(w));
  uint64_t undated = 0;
  int64_t min_date = 0, max_date = 0;
  if (status == QUIRE_OK) {
    finish_rows_and_blocks(w, rank, &undated, &min_date, &max_date);
    status = write_indexes(w, footer, by_rank);
  }
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
  q_free(rank);
  q_free(by_rank);
  return status;
}

int quire_writer_set_progress(quire_writer *w, quire_progress_fn progress,
                              void *ctx) {
  if (!w)
    return QUIRE_EINVAL;
  w->progress = progress;
  w->progress_ctx = progress ? ctx : NULL;
  return QUIRE_OK;
}

int quire_writer_finish(quire_writer *w) {
  if (!w)
    return QUIRE_EINVAL;
  if (w->status != QUIRE_OK || w->finished)
    return q_fail(w->msg, QUIRE_ESTATE, "writer is finished or failed");
  int status = finish_file(w);
  if (status == QUIRE_OK) {
    status = q_outfile_commit(&w->out, w->msg);
    if (status != QUIRE_OK)
      w->status = status;
  }
  if (status != QUIRE_OK) {
    if (w->status == QUIRE_OK)
      w->status = status;
    q_outfile_abort(&w->out);
    return status;
  }
  w->finished = 1;
  return QUIRE_OK;
}
