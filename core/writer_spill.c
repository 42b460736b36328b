/*
 * writer_spill.c: the spill file, where documents wait (clustered order, and
 * input order until the dictionaries are trained), training the
 * dictionaries on what waits, and replaying it into blocks in clustered or
 * input order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "writer.h"

/* Tuning of the dictionaries (benchmarks/ANALYSIS.md): training reads up to
 * Q_SAMPLE_FACTOR times the dictionary size of text, at most Q_SAMPLE_MAX,
 * at most Q_SAMPLE_DOC_MAX of each document; a dictionary is at most
 * 1/Q_DICT_FRACTION of the texts it serves (1/Q_META_DICT_FRACTION of the
 * metadata records: metadata blocks are cut with the text blocks, so they
 * are small, and a dictionary of their recurring names and url prefixes
 * saves most of them). Text dictionaries are made of segments of
 * Q_TEXT_SEGMENT bytes, metadata ones of Q_META_SEGMENT. */
#define Q_SAMPLE_FACTOR 50
#define Q_DICT_FRACTION 50
#define Q_META_DICT_FRACTION 10
#define Q_SAMPLE_MAX (32u << 20)
#define Q_SAMPLE_DOC_MAX (64u << 10)
#define Q_TEXT_SEGMENT 100
#define Q_META_SEGMENT 50

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

int q_writer_spill_document(quire_writer *w, wdoc *d, const wfields *f) {
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

/* ---- dictionaries
 * ------------------------------------------------------------- */

/* Text bytes to train the dictionaries on: zstd's advice is about 100 times
 * the dictionary; the cap keeps training time bounded. */
uint64_t q_writer_sample_budget(const quire_writer *w) {
  uint64_t budget = (uint64_t)w->dict_size * Q_SAMPLE_FACTOR;
  return budget > Q_SAMPLE_MAX ? Q_SAMPLE_MAX : budget;
}

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
  size_t size = q_zstd_train(dict, cap, samples->data, sizes, count,
                             kind == 0 ? Q_TEXT_SEGMENT : Q_META_SEGMENT);
  uint32_t id = size ? q_zstd_dict_id(dict, size) : 0;
  int status = QUIRE_OK;
  if (size >= QF_MIN_DICT_SIZE && id != 0) {
    w->zdict[kind] = q_zdict_new(dict, size, w->level, w->block_size);
    status =
        w->zdict[kind]
            ? q_writer_dict_add(w, id, kind == 0 ? QXD_USE_TEXT : QXD_USE_META,
                                dict, (uint32_t)size, NULL, 0,
                                &w->dict_number[kind])
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
  uint64_t budget = q_writer_sample_budget(w);
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

/* Documents emitted between two calls of the progress callback. */
#define PROGRESS_STEP 4096u

/* Emits spilled documents order[0..count) (0..count when order is NULL)
 * as documents 0..count of the file, telling the progress callback when
 * report is set. */
static int replay(quire_writer *w, const uint64_t *order, uint64_t count,
                  int report) {
  int status = spill_flush(w);
  q_buf record = {0};
  for (uint64_t k = 0; k < count && status == QUIRE_OK; k++) {
    if (report && k % PROGRESS_STEP == 0 && k > 0)
      status = q_writer_report_progress(w, k, quire_writer_doc_count(w));
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
    status = q_writer_emit_document(w, d, &f);
  }
  q_buf_free(&record);
  return status;
}

/* Emits the spilled documents in clustered order. */
int q_writer_replay_clustered(quire_writer *w, const uint32_t *rank) {
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
