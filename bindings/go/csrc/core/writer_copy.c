/*
 * writer_copy.c: whole corpora added to a writer by copying their compressed
 * blocks verbatim (quire_writer_add_corpus(), quire_writer_open_append()):
 * what merge and append are made of.
 *
 * A block is self-described (docs/FORMAT.md, "Blocks"): its compressed
 * bytes, its record and the dictionary it names are all it takes to read
 * it, so it is copied as it is. Only the document rows (new block and source
 * ids), the block records (new offsets, dictionary numbers, statistics), the
 * indexes, the dictionaries directory and the word summaries are made anew.
 * A block is decompressed only when duplicate detection needs its texts, and
 * compressed again only when a duplicate is dropped from it: its remaining
 * documents are then added one by one, as quire_writer_add_document() adds
 * them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "writer.h"

/* A corpus given to the writer, with the writer's numbers of its sources
 * and dictionaries. */
typedef struct wcorpus {
  const quire_corpus *c;
  uint32_t *sources; /* writer source id of each source of c */
  uint32_t *dicts;   /* writer dictionary number of c's number i, 0 unknown */
  uint32_t dict_count;
} wcorpus;

/* A block queued for copying at finish (clustered order). */
typedef struct wcopy {
  uint32_t corpus, block;
  uint32_t first_source; /* writer source id of its first document */
  uint32_t rank;         /* the same as the file will number it */
  int64_t first_date;
  uint64_t seq; /* queueing order, which keeps the sort stable */
} wcopy;

/* ---- dictionaries -------------------------------------------------------- */

/* Where a directory entry's stored frame is in frame_bytes (len 0: none). */
typedef struct q_dict_frame {
  uint64_t at;
  uint32_t len;
} q_dict_frame;

/* Keeps frame as the stored form of directory entry i, unless it has one. */
static int keep_frame(quire_writer *w, size_t i, const void *frame,
                      uint32_t frame_size) {
  q_dict_frame *frames = (q_dict_frame *)w->dict_frames.data;
  if (!frame || frames[i].len)
    return QUIRE_OK;
  q_dict_frame f = {w->frame_bytes.len, frame_size};
  if (q_buf_append(&w->frame_bytes, frame, frame_size) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for a dictionary");
  frames[i] = f;
  return QUIRE_OK;
}

int q_writer_dict_add(quire_writer *w, uint32_t id, uint32_t use,
                      const void *bytes, uint32_t size, const void *frame,
                      uint32_t frame_size, uint32_t *number) {
  size_t count = w->dict_dir.len / QXD_ENTRY;
  for (size_t i = 0; i < count; i++) {
    const uint8_t *e = (const uint8_t *)w->dict_dir.data + i * QXD_ENTRY;
    if (ld32(e + QXD_ID) == id && ld32(e + QXD_SIZE) == size &&
        memcmp(w->dict_bytes.data + ld64(e + QXD_OFFSET), bytes, size) == 0) {
      *number = (uint32_t)i + 1;
      return keep_frame(w, i, frame, frame_size);
    }
  }
  if (count >= QF_MAX_DICT_NUMBER)
    return q_writer_fail(w, QUIRE_ELIMIT, "more than 16777215 dictionaries");
  uint8_t e[QXD_ENTRY] = {0};
  st32(e + QXD_ID, id);
  st32(e + QXD_USE, use);
  st64(e + QXD_OFFSET, w->dict_bytes.len); /* moved past the directory later */
  st32(e + QXD_SIZE, size);
  st32(e + QXD_CRC, q_crc32(bytes, size));
  q_dict_frame none = {0, 0};
  if (q_buf_append(&w->dict_bytes, bytes, size) != QUIRE_OK ||
      q_buf_append(&w->dict_dir, e, sizeof e) != QUIRE_OK ||
      q_buf_append(&w->dict_frames, &none, sizeof none) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for a dictionary");
  *number = (uint32_t)count + 1;
  return keep_frame(w, count, frame, frame_size);
}

/* The level dictionaries are stored at: a 1 MiB dictionary takes about
 * 40 ms at 9, where 19 takes 0.8 s to save another 6%. */
#define Q_DICT_STORE_LEVEL 9

/* Appends dictionary bytes[0, size) to out as stored: a zstd frame when
 * that is smaller (it nearly always is, to about a third), else as it is.
 * A dictionary copied from another file with its frame keeps that frame:
 * compressing it again would take as long and give the same size. Fills
 * the entry's use flag, size and CRC of what was stored. */
static int store_dict(quire_writer *w, q_zcompressor **z, const void *bytes,
                      uint32_t size, const q_dict_frame *frame, uint8_t *entry,
                      q_buf *out) {
  size_t at = out->len;
  if (q_buf_reserve(out, frame->len ? frame->len : q_zstd_bound(size)) !=
      QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for a dictionary");
  size_t packed = 0;
  if (frame->len) {
    memcpy(out->data + at, w->frame_bytes.data + frame->at, frame->len);
    packed = frame->len;
  } else {
    if (!*z && !(*z = q_zcompressor_new(Q_DICT_STORE_LEVEL)))
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for a dictionary");
    packed = q_zcompress(*z, NULL, bytes, size, out->data + at, out->cap - at);
  }
  if (packed > 0 && packed < size) {
    out->len = at + packed;
    st32(entry + QXD_USE, ld32(entry + QXD_USE) | QXD_STORED_ZSTD);
  } else {
    memcpy(out->data + at, bytes, size);
    out->len = at + size;
  }
  st32(entry + QXD_SIZE, (uint32_t)(out->len - at));
  st32(entry + QXD_CRC, q_crc32(out->data + at, out->len - at));
  return QUIRE_OK;
}

/* The section: head, directory, then the dictionaries' stored bytes. */
int q_writer_dict_section(quire_writer *w, q_buf *out) {
  if (!w->dict_dir.len)
    return QUIRE_OK;
  size_t base = out->len, count = w->dict_dir.len / QXD_ENTRY;
  uint8_t head[QXD_HEAD] = {0};
  st32(head + QXD_COUNT, (uint32_t)count);
  if (q_buf_append(out, head, sizeof head) != QUIRE_OK ||
      q_buf_append(out, w->dict_dir.data, w->dict_dir.len) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for a dictionary");
  q_zcompressor *z = NULL; /* made for the first dictionary without a frame */
  int status = QUIRE_OK;
  for (size_t i = 0; i < count && status == QUIRE_OK; i++) {
    const uint8_t *raw = (const uint8_t *)w->dict_dir.data + i * QXD_ENTRY;
    uint8_t entry[QXD_ENTRY];
    memcpy(entry, raw, sizeof entry);
    st64(entry + QXD_OFFSET, out->len - base);
    status =
        store_dict(w, &z, w->dict_bytes.data + ld64(raw + QXD_OFFSET),
                   ld32(raw + QXD_SIZE),
                   (const q_dict_frame *)w->dict_frames.data + i, entry, out);
    /* out moved as it grew: the entry goes in once the bytes are there */
    if (status == QUIRE_OK)
      memcpy(out->data + base + QXD_HEAD + i * QXD_ENTRY, entry, sizeof entry);
  }
  q_zcompressor_free(z);
  return status;
}

/* The writer's number of dictionary number (of corpus wc), storing it in
 * the file on first use. */
static int map_dict(quire_writer *w, wcorpus *wc, uint32_t number,
                    uint32_t *mapped) {
  *mapped = 0;
  if (number == 0)
    return QUIRE_OK;
  if (number > wc->dict_count)
    return q_writer_fail(w,
                         q_damage(wc->c, w->msg,
                                  "a block names dictionary %u of %u", number,
                                  wc->dict_count),
                         NULL);
  if (wc->dicts[number]) {
    *mapped = wc->dicts[number];
    return QUIRE_OK;
  }
  q_dict_info info;
  int status = q_dict_info_get(wc->c, number, &info, w->msg);
  if (status == QUIRE_OK) {
    status = q_writer_dict_add(w, info.id, info.use, info.bytes, info.size,
                               info.frame, info.frame ? info.stored : 0,
                               &wc->dicts[number]);
    q_dict_info_free(&info);
  } else
    q_writer_fail(w, status, NULL);
  *mapped = wc->dicts[number];
  return status;
}

/* A writer that has compressed nothing yet compresses its own blocks with
 * the first corpus's dictionaries when their codecs agree, instead of
 * training new ones: appended documents then compress as well as the rest,
 * and the file holds one set of dictionaries. */
static int adopt_dictionaries(quire_writer *w, wcorpus *wc) {
  if (w->doc_count || w->copied_docs || w->dict_dir.len || !w->dict_size ||
      w->config.codec != QUIRE_CODEC_ZSTD || wc->c->blocks == 0)
    return QUIRE_OK;
  for (int kind = 0; kind < 2; kind++) {
    q_block_desc d;
    int status = q_block_describe(wc->c, kind, 0, &d, w->msg);
    if (status != QUIRE_OK)
      return q_writer_fail(w, status, NULL);
    if (d.codec != QF_CODEC_ZSTD || d.dict == 0)
      continue;
    uint32_t number;
    if (map_dict(w, wc, d.dict, &number) != QUIRE_OK)
      return w->status;
    const uint8_t *e =
        (const uint8_t *)w->dict_dir.data + (size_t)(number - 1) * QXD_ENTRY;
    w->zdict[kind] = q_zdict_new(w->dict_bytes.data + ld64(e + QXD_OFFSET),
                                 ld32(e + QXD_SIZE), w->level, w->block_size);
    /* zstd refused it (or memory ran out): the writer's own blocks go
     * without; the copied blocks that name it are copied all the same. */
    if (!w->zdict[kind])
      continue;
    w->dict_number[kind] = number;
    w->config.dict[kind] = w->zdict[kind];
    w->dicts_fixed = 1;
  }
  if (w->dicts_fixed)
    w->sampling = 0; /* nothing waits: no document was added */
  return QUIRE_OK;
}

/* ---- the corpora --------------------------------------------------------- */

static void corpus_free(wcorpus *wc) {
  q_free(wc->sources);
  q_free(wc->dicts);
}

void q_writer_copy_free(quire_writer *w) {
  for (uint32_t i = 0; i < w->corpus_count; i++) {
    corpus_free(&w->corpora[i]);
    q_corpus_drop(w->corpora[i].c);
  }
  q_free(w->corpora);
  q_free(w->copies);
  quire_corpus_free(w->base);
  w->corpora = NULL;
  w->copies = NULL;
  w->base = NULL;
}

/* Adds c to the writer's corpora. */
static int register_corpus(quire_writer *w, const quire_corpus *c,
                           wcorpus **out) {
  if (w->corpus_count == w->corpus_cap) {
    wcorpus *grown = q_grow(w->corpora, &w->corpus_cap,
                            (size_t)w->corpus_count + 1, sizeof *grown, 4);
    if (!grown)
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
    w->corpora = grown;
  }
  wcorpus *wc = &w->corpora[w->corpus_count];
  memset(wc, 0, sizeof *wc);
  wc->c = c;
  wc->dict_count = q_dict_count(c);
  wc->sources =
      q_malloc((size_t)(c->sources ? c->sources : 1) * sizeof *wc->sources);
  wc->dicts = q_calloc((size_t)wc->dict_count + 1, sizeof *wc->dicts);
  if (!wc->sources || !wc->dicts) {
    corpus_free(wc);
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
  }
  /* The writer holds the corpus, as an Arrow stream does, until it is
   * closed: a caller that closes the corpus first frees nothing. */
  q_corpus_hold(c);
  w->corpus_count++;
  /* Sources are interned when a copied document names them, so that a
   * shard lists only its own. */
  memset(wc->sources, 0xFF,
         (size_t)(c->sources ? c->sources : 1) * sizeof *wc->sources);
  *out = wc;
  return QUIRE_OK;
}

/* Stores in *out the writer's number of source s of wc (QF_NO_SOURCE for
 * none), interning its name on first use. */
static int map_source(quire_writer *w, wcorpus *wc, uint32_t s, uint32_t *out) {
  *out = s;
  if (s == QF_NO_SOURCE)
    return QUIRE_OK;
  if (s >= wc->c->sources)
    return q_writer_fail(w,
                         q_damage(wc->c, w->msg,
                                  "a document names source %u of %llu", s,
                                  (unsigned long long)wc->c->sources),
                         NULL);
  if (wc->sources[s] == UINT32_MAX) {
    const char *name;
    size_t len;
    int status = quire_corpus_source(wc->c, s, &name, &len, NULL);
    /* No writer names a source "": documents without one have none. */
    if (status == QUIRE_OK && len == 0)
      status = q_damage(wc->c, w->msg, "source %u has an empty name", s);
    if (status == QUIRE_OK)
      status = q_writer_source(w, name, len, &wc->sources[s]);
    if (status != QUIRE_OK)
      return q_writer_fail(w, status,
                           status == QUIRE_ECORRUPT ? quire_corpus_errmsg(wc->c)
                                                    : NULL);
  }
  *out = wc->sources[s];
  return QUIRE_OK;
}

/* ---- duplicate detection ------------------------------------------------- */

/* What the duplicate pass found, block by block. */
typedef struct wkeep {
  const uint8_t *doc; /* 1 for each document kept, or NULL for all */
  uint8_t *own;       /* doc, when made here */
  uint32_t *kept;     /* documents kept, by block */
  uint64_t *raw;      /* duplicates: their raw size (quire_corpus_raw_size()) */
} wkeep;

static void keep_free(wkeep *k) {
  q_free(k->own);
  q_free(k->kept);
  q_free(k->raw);
}

/* The size of a document's fields as quire_corpus_raw_size() counts them. */
static int doc_raw_size(quire_cursor *cur, uint64_t *size) {
  static const int fields[] = {QUIRE_FIELD_SOURCE, QUIRE_FIELD_DATE,
                               QUIRE_FIELD_TITLE,  QUIRE_FIELD_AUTHOR,
                               QUIRE_FIELD_URL,    QUIRE_FIELD_TEXT};
  *size = 0;
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    const char *data;
    size_t len;
    int status = quire_cursor_field(cur, fields[i], &data, &len);
    if (status != QUIRE_OK)
      return status;
    *size += len;
  }
  return QUIRE_OK;
}

/* Stores in *block the number of the text block holding doc, moving on
 * from the block found last (documents come in order). */
static int block_of(const quire_corpus *c, uint64_t doc, uint32_t *block,
                    uint32_t *next, uint64_t *end, char *msg) {
  while (doc >= *end) {
    q_block_desc d;
    if (*next >= c->blocks)
      return q_damage(c, msg, "document %llu is in no block",
                      (unsigned long long)doc);
    int status = q_block_describe(c, 0, *next, &d, msg);
    if (status != QUIRE_OK)
      return status;
    *block = (*next)++;
    *end = (uint64_t)d.first_doc + d.docs;
  }
  return QUIRE_OK;
}

/* Gives one document to the duplicate detector; keeps it if it duplicates
 * nothing kept before. */
static int check_document(quire_writer *w, quire_cursor *cur, uint32_t block,
                          wkeep *k) {
  const char *url, *text;
  size_t url_len, text_len;
  q_dup_match m;
  uint64_t raw;
  int status = quire_cursor_field(cur, QUIRE_FIELD_URL, &url, &url_len);
  if (status == QUIRE_OK)
    status = quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &text_len);
  if (status != QUIRE_OK)
    return q_fail(w->msg, status, "%s", quire_cursor_errmsg(cur));
  status =
      q_dedup_add(w->dedup, url, url_len, text, text_len, w->given++, 1, &m);
  if (status != QUIRE_OK)
    return q_fail(w->msg, status, "out of memory finding duplicates");
  if (m.any) {
    w->dropped++;
    return QUIRE_OK;
  }
  if ((status = doc_raw_size(cur, &raw)) != QUIRE_OK)
    return q_fail(w->msg, status, "%s", quire_cursor_errmsg(cur));
  k->own[quire_cursor_doc(cur)] = 1;
  k->kept[block]++;
  k->raw[block] += raw;
  return QUIRE_OK;
}

/* Gives every document of c (of select, when not NULL), in order, to the
 * writer's duplicate detector; those that duplicate a document kept before
 * are dropped. */
static int find_duplicates(quire_writer *w, const quire_corpus *c,
                           const uint8_t *select, wkeep *k) {
  k->doc = k->own = q_calloc(c->docs ? c->docs : 1, 1);
  k->kept = q_calloc(c->blocks ? c->blocks : 1, sizeof *k->kept);
  k->raw = q_calloc(c->blocks ? c->blocks : 1, sizeof *k->raw);
  quire_cursor *cur = NULL;
  int status = k->own && k->kept && k->raw ? quire_cursor_open(c, NULL, &cur)
                                           : QUIRE_ENOMEM;
  if (status == QUIRE_ENOMEM)
    q_fail(w->msg, status, "out of memory finding duplicates");
  else if (status != QUIRE_OK)
    q_fail(w->msg, status, "%s", quire_corpus_errmsg(c));
  uint32_t block = 0, next = 0;
  uint64_t end = 0;
  while (status == QUIRE_OK &&
         (status = q_cursor_step(cur, w->msg)) == QUIRE_ROW) {
    uint64_t doc = quire_cursor_doc(cur);
    status = QUIRE_OK;
    if (select && !select[doc])
      continue;
    status = block_of(c, doc, &block, &next, &end, w->msg);
    if (status == QUIRE_OK)
      status = check_document(w, cur, block, k);
  }
  if (status == QUIRE_DONE)
    status = QUIRE_OK;
  quire_cursor_free(cur);
  return status == QUIRE_OK ? QUIRE_OK : q_writer_fail(w, status, NULL);
}

/* Counts, block by block, the documents of select (one byte per document
 * of c). */
static int count_selected(quire_writer *w, const quire_corpus *c,
                          const uint8_t *select, wkeep *k) {
  k->doc = select;
  k->kept = q_calloc(c->blocks ? c->blocks : 1, sizeof *k->kept);
  if (!k->kept)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
  uint32_t block = 0, next = 0;
  uint64_t end = 0;
  for (uint64_t doc = 0; doc < c->docs; doc++) {
    if (!select[doc])
      continue;
    if (block_of(c, doc, &block, &next, &end, w->msg) != QUIRE_OK)
      return q_writer_fail(w, QUIRE_ECORRUPT, NULL);
    k->kept[block]++;
  }
  return QUIRE_OK;
}

/* What reading one corpus's blocks takes, made on first use and kept for
 * all its blocks: a cursor for the documents added again, an inflater and
 * a buffer for metadata blocks. */
typedef struct wscratch {
  quire_cursor *cur;
  q_inflater *inflater;
  q_buf meta;
} wscratch;

static void scratch_free(wscratch *x) {
  quire_cursor_free(x->cur);
  q_inflater_free(x->inflater);
  q_buf_free(&x->meta);
}

/* The raw size (quire_corpus_raw_size()) of the documents of block b of
 * c, from their rows and their metadata block. */
static int block_raw_size(quire_writer *w, const quire_corpus *c, uint32_t b,
                          const q_block_desc *t, wscratch *x, uint64_t *raw) {
  if (!x->inflater)
    x->inflater = q_inflater_new();
  q_buf *meta = &x->meta;
  int status = x->inflater ? q_block_load(c, 1, b, x->inflater, meta, w->msg)
                           : QUIRE_ENOMEM;
  *raw = 0;
  for (uint32_t i = 0; status == QUIRE_OK && i < t->docs; i++) {
    const uint8_t *row = q_record(c, QS_DOCS, t->first_doc + i, w->msg);
    uint64_t at = row ? ld32(row + QD_META_OFFSET) : 0;
    if (!row || at + QF_META_HEAD > meta->len) {
      status = row ? q_damage(c, w->msg, "metadata block %u is damaged", b)
                   : QUIRE_ECORRUPT;
      break;
    }
    const uint8_t *head = (const uint8_t *)meta->data + at;
    *raw += (uint64_t)ld32(head + QM_TITLE_LEN) + ld32(head + QM_AUTHOR_LEN) +
            ld32(head + QM_URL_LEN) + ld32(row + QD_LENGTH);
    const char *name;
    size_t len = 0;
    uint32_t s = ld32(row + QD_SOURCE);
    if (s != QF_NO_SOURCE &&
        (status = quire_corpus_source(c, s, &name, &len, NULL)) != QUIRE_OK)
      break;
    q_date d = {ldi64(row + QD_DATE), row[QD_PRECISION], row[QD_TZ_KIND],
                (int16_t)ld16(row + QD_TZ_MINUTES)};
    char text[64];
    *raw += len + q_date_format(&d, text, sizeof text);
  }
  if (status == QUIRE_ENOMEM)
    return q_writer_fail(w, status, "out of memory");
  return status == QUIRE_OK ? QUIRE_OK : q_writer_fail(w, status, NULL);
}

/* Adds document doc of the cursor's corpus again, as
 * quire_writer_add_document() would. A document the writer refuses (bad UTF-8,
 * a bad date, over a limit) can only come from a damaged file. */
static int add_again(quire_writer *w, quire_cursor *cur, uint64_t doc) {
  static const int fields[] = {QUIRE_FIELD_SOURCE, QUIRE_FIELD_DATE,
                               QUIRE_FIELD_TITLE,  QUIRE_FIELD_AUTHOR,
                               QUIRE_FIELD_URL,    QUIRE_FIELD_TEXT};
  const char *v[6];
  size_t len[6];
  int status = quire_cursor_seek(cur, doc);
  if (status == QUIRE_ROW)
    status = QUIRE_OK;
  for (int i = 0; i < 6 && status == QUIRE_OK; i++)
    status = quire_cursor_field(cur, fields[i], &v[i], &len[i]);
  if (status != QUIRE_OK)
    return q_writer_fail(w, status == QUIRE_ENOMEM ? status : QUIRE_ECORRUPT,
                         quire_cursor_errmsg(cur));
  status = q_writer_add_checked(w, v[0], len[0], v[1], len[1], v[2], len[2],
                                v[3], len[3], v[4], len[4], v[5], len[5]);
  if (status == QUIRE_EUTF8 || status == QUIRE_EDATE ||
      status == QUIRE_ELIMIT) {
    char why[Q_MSG_CAP];
    snprintf(why, sizeof why, "%s", w->msg);
    q_fail(w->msg, QUIRE_ECORRUPT, "document %llu is damaged: %.400s",
           (unsigned long long)doc, why);
    return q_writer_fail(w, QUIRE_ECORRUPT, NULL);
  }
  return status == QUIRE_OK || w->status != QUIRE_OK
             ? status
             : q_writer_fail(w, status, NULL);
}

/* Adds again, one by one, the documents of block b that were kept: a
 * duplicate was dropped from it, so it cannot be copied whole. */
static int add_kept(quire_writer *w, const quire_corpus *c, const wkeep *k,
                    uint32_t b, wscratch *x) {
  q_block_desc d;
  int status = q_block_describe(c, 0, b, &d, w->msg);
  if (status != QUIRE_OK)
    return q_writer_fail(w, status, NULL);
  if (!x->cur && (status = quire_cursor_open(c, NULL, &x->cur)) != QUIRE_OK)
    return q_writer_fail(w, status, quire_corpus_errmsg(c));
  for (uint64_t doc = d.first_doc;
       status == QUIRE_OK && doc < (uint64_t)d.first_doc + d.docs; doc++)
    if (doc < c->docs && k->doc[doc])
      status = add_again(w, x->cur, doc);
  return status;
}

/* ---- copying blocks ------------------------------------------------------ */

/* Appends the rows of block b of wc, renumbered for the new file. */
static int copy_rows(quire_writer *w, wcorpus *wc, uint32_t b,
                     const q_block_desc *t, const q_block_desc *m) {
  if (q_buf_reserve(&w->rows, (size_t)t->docs * QF_ROW) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory for the rows");
  for (uint32_t i = 0; i < t->docs; i++) {
    const uint8_t *row = q_record(wc->c, QS_DOCS, t->first_doc + i, w->msg);
    uint64_t doc = (uint64_t)t->first_doc + i;
    /* Damage in the input is refused rather than carried over. */
    if (!row || q_row_check(wc->c, row, doc, w->msg) != QUIRE_OK ||
        q_row_in_blocks(wc->c, row, doc, b, t, m, w->msg) != QUIRE_OK)
      return q_writer_fail(w, QUIRE_ECORRUPT, NULL);
    uint32_t s;
    if (map_source(w, wc, ld32(row + QD_SOURCE), &s) != QUIRE_OK)
      return w->status;
    uint8_t *out = (uint8_t *)w->rows.data + w->rows.len;
    memcpy(out, row, QF_ROW);
    st32(out + QD_SOURCE, s);
    st32(out + QD_BLOCK, w->text.cut);
    w->rows.len += QF_ROW;
  }
  return QUIRE_OK;
}

/* Writes the compressed bytes of one block and its record. */
static int copy_bytes(quire_writer *w, wcorpus *wc, int kind,
                      const uint8_t *bytes, const q_block_desc *d,
                      uint32_t first_doc) {
  uint32_t dict;
  if (map_dict(w, wc, d->dict, &dict) != QUIRE_OK)
    return w->status;
  if (d->codec != QF_CODEC_DEFLATE || dict)
    w->zstd_copied = 1;
  return q_writer_put_block(w, kind, bytes, d->csize, d->usize, d->crc,
                            first_doc, d->docs, QBF_MAKE(d->codec, dict));
}

/* Copies text block b of corpus number corpus and its metadata block, as
 * the next blocks of the file. queued: its documents were counted when it
 * was queued. */
static int copy_block(quire_writer *w, uint32_t corpus, uint32_t b,
                      int queued) {
  wcorpus *wc = &w->corpora[corpus];
  const uint8_t *text, *meta;
  q_block_desc t, m;
  /* Documents waiting for the dictionaries (input order) go first. */
  if (w->sampling && q_writer_end_sampling(w) != QUIRE_OK)
    return w->status;
  int status = q_writer_flush_all(w);
  if (status != QUIRE_OK)
    return status;
  if ((status = q_block_raw(wc->c, 0, b, &text, &t, w->msg)) != QUIRE_OK ||
      (status = q_block_raw(wc->c, 1, b, &meta, &m, w->msg)) != QUIRE_OK)
    return q_writer_fail(w, status, NULL);
  if (m.first_doc != t.first_doc || m.docs != t.docs)
    return q_writer_fail(
        w, q_damage(wc->c, w->msg, "text and metadata block %u disagree", b),
        NULL);
  uint32_t first = q_writer_rows(w);
  status = copy_rows(w, wc, b, &t, &m);
  if (status == QUIRE_OK)
    status = copy_bytes(w, wc, 0, text, &t, first);
  if (status == QUIRE_OK)
    status = copy_bytes(w, wc, 1, meta, &m, first);
  if (status != QUIRE_OK)
    return status;
  q_wsum_origin origin = {corpus + 1, b};
  if (q_buf_append(&w->wsum_plan, &origin, sizeof origin) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
  w->text.cut++;
  w->meta.cut++;
  if (!queued)
    w->copied_docs += t.docs;
  q_release(wc->c, t.offset, t.csize);
  q_release(wc->c, m.offset, m.csize);
  return QUIRE_OK;
}

/* Describes text block b of c, which must hold documents of c. */
static int describe_text_block(quire_writer *w, const quire_corpus *c,
                               uint32_t b, q_block_desc *t) {
  if (q_block_describe(c, 0, b, t, w->msg) != QUIRE_OK)
    return q_writer_fail(w, QUIRE_ECORRUPT, NULL);
  if (t->docs == 0 || (uint64_t)t->first_doc + t->docs > c->docs)
    return q_writer_fail(
        w,
        q_damage(c, w->msg, "text block %u: holds documents %u to %llu of %llu",
                 b, t->first_doc, (unsigned long long)t->first_doc + t->docs,
                 (unsigned long long)c->docs),
        NULL);
  return QUIRE_OK;
}

/* Clustered order: remembers block b, to be copied at finish. */
static int queue_block(quire_writer *w, uint32_t corpus, uint32_t b) {
  wcorpus *wc = &w->corpora[corpus];
  q_block_desc t;
  if (describe_text_block(w, wc->c, b, &t) != QUIRE_OK)
    return w->status;
  const uint8_t *row =
      t.docs ? q_record(wc->c, QS_DOCS, t.first_doc, w->msg) : NULL;
  uint32_t s = row ? ld32(row + QD_SOURCE) : QF_NO_SOURCE;
  if (!row || (s != QF_NO_SOURCE && s >= wc->c->sources))
    return q_writer_fail(
        w, q_damage(wc->c, w->msg, "the first row of block %u is damaged", b),
        NULL);
  if (w->copy_count == w->copy_cap) {
    wcopy *grown = q_grow(w->copies, &w->copy_cap, (size_t)w->copy_count + 1,
                          sizeof *grown, 64);
    if (!grown)
      return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
    w->copies = grown;
  }
  wcopy *q = &w->copies[w->copy_count];
  q->corpus = corpus;
  q->block = b;
  /* Every source of the block is interned now: the file's source ids
   * are fixed at finish, before the queued blocks are copied. */
  if (map_source(w, wc, s, &q->first_source) != QUIRE_OK)
    return w->status;
  for (uint32_t i = 1; i < t.docs; i++) {
    const uint8_t *other = q_record(wc->c, QS_DOCS, t.first_doc + i, w->msg);
    uint32_t ignored;
    if (!other)
      return q_writer_fail(w, QUIRE_ECORRUPT, NULL);
    if (map_source(w, wc, ld32(other + QD_SOURCE), &ignored) != QUIRE_OK)
      return w->status;
  }
  q->first_date = ldi64(row + QD_DATE);
  q->seq = w->copy_count++;
  w->copied_docs += t.docs; /* counted now, so that limits hold */
  return QUIRE_OK;
}

/* Prefixes the writer's message with the corpus it is about: a block copied
 * at finish fails long after its quire_writer_add_corpus() returned, when
 * the caller can no longer tell which corpus it was. Returns status. */
static int name_input(quire_writer *w, uint32_t corpus, int status) {
  char msg[Q_MSG_CAP];
  memcpy(msg, w->msg, sizeof msg);
  const char *path = w->corpora[corpus].c->path;
  if (path)
    snprintf(w->msg, sizeof w->msg, "%.200s: %.300s", path, msg);
  else
    snprintf(w->msg, sizeof w->msg, "added corpus %u: %.400s", corpus + 1, msg);
  return status;
}

static int compare_copies(const void *a, const void *b) {
  const wcopy *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  if (x->first_date != y->first_date)
    return x->first_date < y->first_date ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

int q_writer_copy_queued(quire_writer *w, const uint32_t *rank) {
  if (!w->copy_count)
    return QUIRE_OK;
  for (uint64_t i = 0; i < w->copy_count; i++) {
    uint32_t s = w->copies[i].first_source;
    w->copies[i].rank = s == QF_NO_SOURCE ? QF_NO_SOURCE : rank[s];
  }
  qsort(w->copies, w->copy_count, sizeof *w->copies, compare_copies);
  for (uint64_t i = 0; i < w->copy_count; i++) {
    int status = copy_block(w, w->copies[i].corpus, w->copies[i].block, 1);
    if (status != QUIRE_OK)
      return name_input(w, w->copies[i].corpus, status);
  }
  w->copy_count = 0;
  return QUIRE_OK;
}

/* Copying a block takes the dictionary it names along. A selection whose
 * compressed size is under Q_COPY_DICT_FACTOR times the dictionaries' (as
 * stored) would mostly be dictionary (a small shard): its documents are
 * compressed again instead, with what suits their size. */
#define Q_COPY_DICT_FACTOR 16

static int small_selection(const quire_corpus *c, const wkeep *keep) {
  uint64_t dicts = 0, selected = 0;
  char msg[Q_MSG_CAP];
  for (uint32_t d = 1; d <= q_dict_count(c); d++) {
    q_dict_info info;
    if (q_dict_info_get(c, d, &info, msg) == QUIRE_OK)
      dicts += info.stored;
    q_dict_info_free(&info);
  }
  for (uint32_t b = 0; dicts && b < c->blocks; b++) {
    q_block_desc t, m;
    if (keep->kept[b] && q_block_describe(c, 0, b, &t, msg) == QUIRE_OK &&
        q_block_describe(c, 1, b, &m, msg) == QUIRE_OK)
      selected += ((uint64_t)t.csize + m.csize) * keep->kept[b] / t.docs;
  }
  return selected < dicts * Q_COPY_DICT_FACTOR;
}

/* 1 when some block of c is kept whole. */
static int copies_whole_blocks(quire_writer *w, const quire_corpus *c,
                               const wkeep *keep) {
  if (!keep->doc)
    return c->blocks > 0;
  for (uint32_t b = 0; b < c->blocks; b++) {
    q_block_desc t;
    if (keep->kept[b] && q_block_describe(c, 0, b, &t, w->msg) == QUIRE_OK &&
        keep->kept[b] == t.docs)
      return 1;
  }
  return 0;
}

/* Copies or queues every block of c (the blocks of select's documents
 * when select is not NULL), minus the duplicates; the documents of blocks
 * taken in part are added one by one. in_place: copy the blocks now, in
 * their order, whatever the writer's order (the corpus of an append, whose
 * documents keep their numbers). */
static int copy_corpus(quire_writer *w, const quire_corpus *c, int in_place,
                       const uint8_t *select) {
  uint64_t total = w->doc_count + w->copied_docs + c->docs;
  if (total > QUIRE_MAX_DOCUMENTS)
    return q_fail(w->msg, QUIRE_ELIMIT, "more than %u documents",
                  QUIRE_MAX_DOCUMENTS);
  if (!w->started && q_writer_start(w) != QUIRE_OK)
    return w->status;
  wcorpus *wc = NULL;
  if (register_corpus(w, c, &wc) != QUIRE_OK)
    return w->status;
  uint32_t corpus = w->corpus_count - 1;
  wkeep keep = {0};
  int status = w->dedup ? find_duplicates(w, c, select, &keep)
               : select ? count_selected(w, c, select, &keep)
                        : QUIRE_OK;
  /* The dictionaries of copied blocks are stored anyway: the writer's own
   * blocks use them too. When nothing is copied whole (a small selection)
   * they would only cost room, and the writer decides as for any input. */
  int recompress =
      status == QUIRE_OK && select && !w->dedup && small_selection(c, &keep);
  if (status == QUIRE_OK && !recompress && copies_whole_blocks(w, c, &keep))
    status = adopt_dictionaries(w, wc);
  if (status != QUIRE_OK) {
    keep_free(&keep);
    return w->status;
  }
  if (!keep.doc)
    w->raw_size += c->raw_size;
  wscratch scratch = {0};
  for (uint32_t b = 0; b < c->blocks && status == QUIRE_OK; b++) {
    q_block_desc t;
    if ((status = describe_text_block(w, c, b, &t)) != QUIRE_OK)
      break;
    if (keep.doc && (keep.kept[b] < t.docs || recompress)) {
      if (keep.kept[b])
        status = add_kept(w, c, &keep, b, &scratch);
      continue;
    }
    uint64_t raw = 0;
    if (keep.raw)
      w->raw_size += keep.raw[b];
    else if (keep.doc &&
             (status = block_raw_size(w, c, b, &t, &scratch, &raw)) == QUIRE_OK)
      w->raw_size += raw;
    if (status != QUIRE_OK)
      break;
    status = w->order == QUIRE_ORDER_CLUSTERED && !in_place
                 ? queue_block(w, corpus, b)
                 : copy_block(w, corpus, b, 0);
  }
  scratch_free(&scratch);
  keep_free(&keep);
  return status;
}

int q_writer_copy_base(quire_writer *w) {
  if (!w->base_pending)
    return QUIRE_OK;
  w->base_pending = 0;
  return copy_corpus(w, w->base, 1, NULL);
}

int q_writer_add_selection(quire_writer *w, const quire_corpus *c,
                           const uint8_t *select) {
  if (w->status != QUIRE_OK || w->finished)
    return q_fail(w->msg, QUIRE_ESTATE, "writer is finished or failed");
  return copy_corpus(w, c, 0, select);
}

/* ---- word summaries ----------------------------------------------------- */

int q_writer_wsum_section(quire_writer *w, const q_buf *built, q_buf *out) {
  if (!w->corpus_count) /* nothing copied: the builder's section as it is */
    return built->len && q_buf_append(out, built->data, built->len) != QUIRE_OK
               ? q_writer_fail(w, QUIRE_ENOMEM, "out of memory")
               : QUIRE_OK;
  size_t parts = (size_t)w->corpus_count + 1;
  q_wsum_view *views = q_calloc(parts, sizeof *views);
  int *valid = q_calloc(parts, sizeof *valid);
  if (!views || !valid) {
    q_free(views);
    q_free(valid);
    return q_writer_fail(w, QUIRE_ENOMEM, "out of memory");
  }
  valid[0] = q_wsum_view_parse((const uint8_t *)built->data, built->len,
                               w->built_blocks, &views[0]);
  for (uint32_t i = 0; i < w->corpus_count; i++) {
    const quire_corpus *c = w->corpora[i].c;
    const q_section *sec = q_ext(c, QX_WORD_SUMMARIES);
    char msg[Q_MSG_CAP];
    /* Damaged summaries are left out: the blocks then pass every word. */
    const uint8_t *bytes =
        sec ? q_section_bytes(c, sec, 0, sec->length, msg) : NULL;
    valid[i + 1] =
        bytes && q_wsum_view_parse(bytes, sec->length, (uint32_t)c->blocks,
                                   &views[i + 1]);
  }
  int status =
      q_wsum_join(views, valid, parts, (const q_wsum_origin *)w->wsum_plan.data,
                  w->wsum_plan.len / sizeof(q_wsum_origin), out);
  q_free(views);
  q_free(valid);
  return status == QUIRE_OK
             ? QUIRE_OK
             : q_writer_fail(w, status, "out of memory for word summaries");
}

/* ---- the public functions ------------------------------------------------ */

int quire_writer_add_corpus(quire_writer *w, const quire_corpus *corpus) {
  if (!w)
    return QUIRE_EINVAL;
  if (w->status != QUIRE_OK || w->finished)
    return q_fail(w->msg, QUIRE_ESTATE, "writer is finished or failed");
  if (!corpus || corpus->status != QUIRE_OK)
    return q_fail(w->msg, QUIRE_EINVAL, "corpus is NULL or failed to open");
  if (q_writer_copy_base(w) != QUIRE_OK)
    return w->status;
  return copy_corpus(w, corpus, 0, NULL);
}

/* The settings the corpus was written with, for the appended blocks. */
static void take_settings(quire_writer *w, const quire_corpus *c) {
  int codec = QUIRE_CODEC_DEFLATE, level = 0;
  uint32_t block_size = 0;
  if (quire_corpus_codec(c, &codec, &level, &block_size) == QUIRE_OK) {
    w->config.codec = codec;
    w->level = level;
    if (block_size >= QUIRE_MIN_BLOCK_SIZE &&
        block_size <= QUIRE_MAX_BLOCK_SIZE)
      w->block_size = block_size;
  }
  const uint8_t *footer = c->data + c->size - QF_FOOTER_SIZE;
  w->order = ld32(footer + QFT_ORDER) == QUIRE_ORDER_INPUT
                 ? QUIRE_ORDER_INPUT
                 : QUIRE_ORDER_CLUSTERED;
}

int quire_writer_open_append(const char *path, quire_writer **out) {
  int status = quire_writer_open(path, out);
  if (status != QUIRE_OK)
    return status;
  quire_writer *w = *out;
  quire_corpus *c = NULL;
  status = quire_corpus_open(path, &c);
  if (status != QUIRE_OK) {
    q_fail(w->msg, status, "cannot append to %s: %s", path,
           c ? quire_corpus_errmsg(c) : quire_strerror(status));
    w->status = status;
    quire_corpus_free(c);
    return status;
  }
  take_settings(w, c);
  w->base = c;
  w->base_pending = 1;
  return QUIRE_OK;
}
