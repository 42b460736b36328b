/*
 * writer.c: the writer's API: opening, options, adding documents one at a
 * time, finishing and closing; source names. How the file is built:
 * writer_blocks.c cuts and compresses the blocks, writer_spill.c holds
 * documents in the spill file (clustered order, dictionary training) and
 * replays them, writer_layout.c writes the sections, the footer and the
 * header, writer_copy.c copies whole corpora.
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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writer.h"

/* The metadata dictionary is this fraction of the text one
 * (benchmarks/ANALYSIS.md; writer_spill.c trains both). */
#define Q_META_DICT_SHARE 8

/* ---- opening, options, closing ----------------------------------------------
 */

/* Whether fd is where a corpus can be written: at offset 0, able to seek
 * back there, and not appending (an appending descriptor would put the
 * header at the end). */
static int at_its_start(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && !(flags & O_APPEND) && lseek(fd, 0, SEEK_CUR) == 0;
}

int quire_writer_open(const char *path, quire_writer **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_writer *w = q_calloc(1, sizeof *w);
  *out = w;
  if (!w)
    return QUIRE_ENOMEM;
  w->out.fd = w->out.dest_fd = w->spill_fd = -1;
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
  /* The header is written last, once the file size is known; reserve it.
   * That needs a destination that can seek back: not a pipe. */
  if (w->out.direct && !at_its_start(w->out.fd)) {
    q_fail(w->msg, QUIRE_EIO,
           "cannot write a corpus to %s: it cannot seek back to where it "
           "starts (the header is written last, at the start)",
           path);
    return q_writer_fail(w, QUIRE_EIO, NULL);
  }
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

int q_writer_parses_ahead(const quire_writer *w) {
  return w->threads > 1 && w->order == QUIRE_ORDER_CLUSTERED;
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
  q_buf_free(&w->meta_run);
  q_buf_free(&w->compressed);
  q_buf_free(&w->repaired);
  q_buf_free(&w->dict_dir);
  q_buf_free(&w->dict_bytes);
  q_buf_free(&w->dict_frames);
  q_buf_free(&w->frame_bytes);
  q_buf_free(&w->wsum_plan);
  q_writer_copy_free(w);
  q_packer_free(w->packer);
  q_zdict_free(w->zdict[0]);
  q_zdict_free(w->zdict[1]);
  q_dedup_free(w->dedup);
  q_wsum_builder_free(w->wordsum);
  q_post_builder_free(w->postings);
  q_buf_free(&w->word_hashes);
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
    /* The calling thread is the n-th (q_wpool_help()). */
    int status = q_wpool_new(&w->pool, w->threads - 1, &w->config, w->msg);
    if (status != QUIRE_OK)
      return q_writer_fail(w, status, NULL);
  }
  /* Input order with a dictionary: the first documents wait in the spill
   * file until there are enough of them to train it. */
  w->sampling = w->order == QUIRE_ORDER_INPUT && w->dict_size > 0;
  if (w->order == QUIRE_ORDER_CLUSTERED || w->sampling) {
    /* Beside the output, whose file system is meant to hold it; for an
     * output that is not a file there (/dev/stdout), in $TMPDIR. */
    w->spill_fd = w->out.direct ? q_scratch_open(q_tmp_dir(), "/quire-spl-")
                                : q_scratch_open(w->out.path, ".spl-");
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

/* ---- adding documents
 * ----------------------------------------------------------- */

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
                   ? q_writer_spill_document(w, d, &f)
                   : q_writer_emit_document(w, d, &f);
  if (status != QUIRE_OK)
    return status;
  w->doc_count++;
  w->raw_size +=
      source_len + date_len + title_len + author_len + url_len + text_len;
  if (w->sampling && (w->sampled_text += text_len) >= q_writer_sample_budget(w))
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

/* Tells the progress callback that done of total documents are in blocks. */
int q_writer_report_progress(quire_writer *w, uint64_t done, uint64_t total) {
  if (!w->progress || w->progress(w->progress_ctx, done, total) == 0)
    return QUIRE_OK;
  return q_writer_fail(w, QUIRE_ECALLBACK,
                       "the progress callback asked to stop");
}

static int finish_file(quire_writer *w) {
  if (q_writer_copy_base(w) != QUIRE_OK)
    return w->status;
  if (!w->started && q_writer_start(w) != QUIRE_OK)
    return w->status;
  uint32_t *rank = NULL, *by_rank = NULL;
  int status = rank_sources(w, &rank, &by_rank);
  if (status == QUIRE_OK)
    status = q_writer_copy_queued(w, rank);
  if (status == QUIRE_OK && w->order == QUIRE_ORDER_CLUSTERED)
    status = q_writer_replay_clustered(w, rank);
  if (status == QUIRE_OK && w->sampling)
    status = q_writer_end_sampling(w);
  if (status == QUIRE_OK)
    status = q_writer_flush_all(w);
  if (status == QUIRE_OK) /* every document is in a block */
    status = q_writer_report_progress(w, quire_writer_doc_count(w),
                                      quire_writer_doc_count(w));
  if (status == QUIRE_OK)
    status = q_writer_write_layout(w, rank, by_rank);
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
