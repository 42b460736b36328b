/*
 * reader.c: opening a corpus (mmap or a caller's buffer), checking sections
 * and blocks as they are first read, and the corpus-wide accessors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocks.h"
#include "reader.h"

static const char *const section_names[QS_COUNT] = QS_NAMES_LIST;

/* ---- damage -----------------------------------------------------------------
 */

int q_damage(const quire_corpus *c, char *msg, const char *fmt, ...) {
  char text[Q_MSG_CAP];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (msg)
    memcpy(msg, text, sizeof text);
  /* The corpus is shared by threads; its damage message is written once,
   * by whichever thread finds damage first, and never changes after. */
  q_corpus_state *state = c->state;
  int expected = 0;
  if (atomic_compare_exchange_strong(&state->damage_state, &expected, 1)) {
    memcpy(state->damage, text, sizeof text);
    atomic_store(&state->damage_state, 2);
  }
  return QUIRE_ECORRUPT;
}

/* ---- sections
 * ------------------------------------------------------------------ */

static int check_table(const quire_corpus *c, const q_section *sec, char *msg) {
  unsigned char state =
      atomic_load_explicit(sec->table_state, memory_order_acquire);
  if (state == Q_UNCHECKED) {
    const uint8_t *table = c->data + sec->offset + sec->length;
    state = q_crc32(table, (size_t)sec->chunks * QF_CRC_SIZE) == sec->table_crc
                ? Q_GOOD
                : Q_BAD;
    atomic_store_explicit(sec->table_state, state, memory_order_release);
  }
  if (state == Q_BAD)
    return q_damage(c, msg, "%s: checksum table is damaged", sec->name);
  return QUIRE_OK;
}

static int check_chunk(const quire_corpus *c, const q_section *sec,
                       uint64_t chunk, char *msg) {
  unsigned char state =
      atomic_load_explicit(&sec->chunk_state[chunk], memory_order_acquire);
  if (state == Q_UNCHECKED) {
    int status = check_table(c, sec, msg);
    if (status != QUIRE_OK)
      return status;
    uint64_t start = chunk * QF_CHUNK;
    uint64_t len =
        sec->length - start < QF_CHUNK ? sec->length - start : QF_CHUNK;
    uint32_t want =
        ld32(c->data + sec->offset + sec->length + chunk * QF_CRC_SIZE);
    state = q_crc32(c->data + sec->offset + start, (size_t)len) == want ? Q_GOOD
                                                                        : Q_BAD;
    atomic_store_explicit(&sec->chunk_state[chunk], state,
                          memory_order_release);
  }
  if (state == Q_BAD)
    return q_damage(c, msg, "%s: bytes %llu..%llu are damaged (checksum)",
                    sec->name, (unsigned long long)(chunk * QF_CHUNK),
                    (unsigned long long)(chunk * QF_CHUNK + QF_CHUNK - 1));
  return QUIRE_OK;
}

const uint8_t *q_section_bytes(const quire_corpus *c, const q_section *sec,
                               uint64_t offset, uint64_t len, char *msg) {
  if (offset > sec->length || len > sec->length - offset || len == 0) {
    q_damage(c, msg, "%s: bytes %llu..%llu lie outside the section", sec->name,
             (unsigned long long)offset,
             (unsigned long long)(offset + len - (len > 0)));
    return NULL;
  }
  uint64_t first = offset / QF_CHUNK, last = (offset + len - 1) / QF_CHUNK;
  for (uint64_t chunk = first; chunk <= last; chunk++)
    if (check_chunk(c, sec, chunk, msg) != QUIRE_OK)
      return NULL;
  return c->data + sec->offset + offset;
}

const uint8_t *q_record_checked(const quire_corpus *c, int s, uint64_t index,
                                char *msg) {
  const q_section *sec = &c->sec[s];
  if (index >= sec->records) {
    q_damage(c, msg, "%s: record %llu is out of range", sec->name,
             (unsigned long long)index);
    return NULL;
  }
  return q_section_bytes(c, sec, index * sec->width, sec->width, msg);
}

const q_section *q_ext(const quire_corpus *c, int kind) {
  if (kind < 1 || kind > QX_KNOWN_LAST || !c->ext[kind].present)
    return NULL;
  return &c->ext[kind];
}

/* ---- dictionaries
 * --------------------------------------------------------------- */

static const char *const dict_why[] = {
    "",
    "its directory entry is damaged or out of bounds",
    "its bytes are damaged (checksum)",
    "its id does not match its directory entry",
    "zstd refuses it",
    "the file declares no such dictionary",
    "its stored frame does not decompress to a dictionary",
};
enum {
  WHY_NONE,
  WHY_ENTRY,
  WHY_CHECKSUM,
  WHY_ID,
  WHY_ZSTD,
  WHY_MISSING,
  WHY_FRAME,
  WHY_NOMEM /* not damage: the check can be made again */
};

uint32_t q_dict_count(const quire_corpus *c) {
  const q_section *sec = q_ext(c, QX_DICTIONARIES);
  if (!sec)
    return 0;
  const uint8_t *head = q_section_bytes(c, sec, 0, QXD_HEAD, NULL);
  if (!head)
    return 0;
  uint32_t n = ld32(head + QXD_COUNT);
  return n <= c->dict_slots ? n : 0;
}

void q_dict_info_free(q_dict_info *info) {
  q_free(info->owned);
  info->owned = NULL;
  info->bytes = NULL;
}

/* A dictionary stored as a zstd frame (QXD_STORED_ZSTD): its frame must
 * state a size a reader accepts before anything is allocated, and
 * decompress to exactly that. Returns a WHY_*. */
static int dict_unpack(const uint8_t *stored, uint32_t stored_size,
                       q_dict_info *out) {
  uint64_t size = q_zstd_content_size(stored, stored_size);
  if (size < QF_MIN_DICT_SIZE || size > QF_MAX_DICT_SIZE)
    return WHY_FRAME;
  q_inflater *inflater = q_inflater_new();
  uint8_t *bytes = inflater ? q_malloc((size_t)size) : NULL;
  int got = bytes ? q_zdecompress(inflater, NULL, stored, stored_size, bytes,
                                  (size_t)size)
                  : -2;
  q_inflater_free(inflater);
  if (got != 0) {
    q_free(bytes);
    return got == -2 ? WHY_NOMEM : WHY_FRAME;
  }
  out->owned = bytes;
  out->bytes = bytes;
  out->size = (uint32_t)size;
  return WHY_NONE;
}

/* Checks dictionary number's entry and bytes; returns a WHY_* (WHY_NONE
 * when good, and then out holds the dictionary). */
static int dict_check(const quire_corpus *c, uint32_t number, q_dict_info *out,
                      char *msg) {
  memset(out, 0, sizeof *out);
  const q_section *sec = q_ext(c, QX_DICTIONARIES);
  if (!sec || number == 0 || number > c->dict_slots)
    return WHY_MISSING;
  const uint8_t *head = q_section_bytes(c, sec, 0, QXD_HEAD, msg);
  if (!head)
    return WHY_ENTRY;
  uint32_t count = ld32(head + QXD_COUNT);
  if (count > c->dict_slots)
    return WHY_ENTRY;
  if (number > count)
    return WHY_MISSING;
  uint64_t dir_end = QXD_HEAD + (uint64_t)count * QXD_ENTRY;
  const uint8_t *e = q_section_bytes(
      c, sec, QXD_HEAD + (uint64_t)(number - 1) * QXD_ENTRY, QXD_ENTRY, msg);
  if (!e)
    return WHY_ENTRY;
  uint64_t offset = ld64(e + QXD_OFFSET);
  uint32_t size = ld32(e + QXD_SIZE);
  uint32_t use = ld32(e + QXD_USE);
  if (size == 0 || size > QF_MAX_DICT_SIZE || offset < dir_end ||
      offset > sec->length || size > sec->length - offset ||
      (use & ~(QXD_USE_MASK | QXD_STORED_ZSTD)) != 0)
    return WHY_ENTRY;
  const uint8_t *bytes = q_section_bytes(c, sec, offset, size, msg);
  if (!bytes || q_crc32(bytes, size) != ld32(e + QXD_CRC))
    return WHY_CHECKSUM;
  out->bytes = bytes;
  out->size = size;
  out->stored = size;
  if (use & QXD_STORED_ZSTD) {
    int why = dict_unpack(bytes, size, out);
    if (why != WHY_NONE)
      return why;
    out->frame = bytes;
  } else if (size < QF_MIN_DICT_SIZE) {
    return WHY_ENTRY;
  }
  uint32_t id = ld32(e + QXD_ID);
  if (id == 0 || q_zstd_dict_id(out->bytes, out->size) != id) {
    q_dict_info_free(out);
    return WHY_ID;
  }
  out->id = id;
  out->use = use & QXD_USE_MASK;
  return WHY_NONE;
}

int q_dict_info_get(const quire_corpus *c, uint32_t number, q_dict_info *out,
                    char *msg) {
  int why = dict_check(c, number, out, NULL);
  if (why == WHY_NOMEM)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory loading dictionary %u",
                  number);
  if (why != WHY_NONE)
    return q_damage(c, msg, "dictionary %u: %s", number, dict_why[why]);
  return QUIRE_OK;
}

/* Checks dictionary number and makes its decompression dictionary into
 * the slot; returns a WHY_* (WHY_NOMEM leaves the slot unchecked). */
static int dict_load(const quire_corpus *c, uint32_t number, q_dict *slot) {
  q_dict_info info;
  int why = dict_check(c, number, &info, NULL);
  if (why != WHY_NONE)
    return why;
  int nomem = 0;
  q_zddict *made = info.owned ? q_zddict_adopt(info.owned, info.size, &nomem)
                              : q_zddict_new(info.bytes, info.size, &nomem);
  if (!made)
    return nomem ? WHY_NOMEM : WHY_ZSTD;
  atomic_store_explicit(&slot->ddict, made, memory_order_relaxed);
  return WHY_NONE;
}

int q_dict_get(const quire_corpus *c, uint32_t number, const q_zddict **out,
               char *msg) {
  if (number == 0 || number > c->dict_slots)
    return q_damage(c, msg, "dictionary %u: %s", number, dict_why[WHY_MISSING]);
  q_dict *slot = &c->dicts[number - 1];
  unsigned char state =
      atomic_load_explicit(&slot->state, memory_order_acquire);
  if (state == Q_UNCHECKED) {
    /* One thread loads it while the others wait: helpers starting together
     * on the first blocks would otherwise each decompress and build a 1 MiB
     * dictionary, and all but one throw theirs away. */
    pthread_mutex_lock(&c->state->dict_lock);
    state = atomic_load_explicit(&slot->state, memory_order_acquire);
    int why = WHY_NONE;
    if (state == Q_UNCHECKED) {
      why = dict_load(c, number, slot);
      if (why != WHY_NOMEM) {
        atomic_store_explicit(&slot->why, (unsigned char)why,
                              memory_order_relaxed);
        state = why == WHY_NONE ? Q_GOOD : Q_BAD;
        atomic_store_explicit(&slot->state, state, memory_order_release);
      }
    }
    pthread_mutex_unlock(&c->state->dict_lock);
    if (why == WHY_NOMEM)
      return q_fail(msg, QUIRE_ENOMEM, "out of memory loading dictionary %u",
                    number);
  }
  if (state == Q_BAD)
    return q_damage(
        c, msg, "dictionary %u: %s", number,
        dict_why[atomic_load_explicit(&slot->why, memory_order_relaxed)]);
  *out = atomic_load_explicit(&slot->ddict, memory_order_relaxed);
  return QUIRE_OK;
}

/* Hands [start, end) to the kernel: only whole pages inside the range, as
 * its neighbours may be in use. */
static void release_now(const quire_corpus *c, uint64_t start, uint64_t end) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  start = (start + page - 1) / page * page;
  end = end / page * page;
  if (end > start)
    madvise(c->map + start, (size_t)(end - start), MADV_DONTNEED);
}

/* A madvise() per block cost more than the block: with helper threads
 * running, each one interrupts every other core to flush its TLB (and
 * splits a huge page mapping of the file where the kernel made one). So
 * ranges are gathered per corpus into a few runs of adjacent ones (a walk
 * releases its text blocks, metadata blocks and rows, each run in file
 * order, in any order between threads), and a run is handed over once it
 * reaches RELEASE_RUN bytes or is pushed out by a new run. */
#define RELEASE_RUN (1u << 20)
/* A range this large (the rows or block records a walk passed) already
 * pays for its call, and goes at once with the run it joins. */
#define RELEASE_BULK (64u << 10)

/* Whether run r (if not empty) overlaps or touches [start, end). */
static int touches(const q_run *r, uint64_t start, uint64_t end) {
  return r->end > r->start && start <= r->end && end >= r->start;
}

void q_release(const quire_corpus *c, uint64_t offset, uint64_t len) {
  if (!c->mapped || offset > c->size || len > c->size - offset || len == 0)
    return;
  q_corpus_state *s = c->state;
  q_run add = {offset, offset + len}, out[2] = {{0, 0}, {0, 0}};
  pthread_mutex_lock(&s->release_lock);
  /* The range joins every run it touches (helpers release blocks out of
   * order, so a range may bridge two), in the place of the first. */
  unsigned into = Q_RELEASE_RUNS, empty = Q_RELEASE_RUNS;
  for (unsigned i = 0; i < Q_RELEASE_RUNS; i++) {
    q_run *r = &s->released[i];
    if (touches(r, add.start, add.end)) {
      add.start = r->start < add.start ? r->start : add.start;
      add.end = r->end > add.end ? r->end : add.end;
      r->start = r->end = 0;
      into = into < Q_RELEASE_RUNS ? into : i;
    }
    if (r->end == r->start && empty == Q_RELEASE_RUNS)
      empty = i;
  }
  if (into == Q_RELEASE_RUNS && empty < Q_RELEASE_RUNS) {
    into = empty;
  } else if (into == Q_RELEASE_RUNS) { /* all in use: the oldest goes */
    into = s->release_next;
    s->release_next = (into + 1) % Q_RELEASE_RUNS;
    out[0] = s->released[into];
  }
  if (add.end - add.start >= RELEASE_RUN || len >= RELEASE_BULK) {
    out[1] = add;
    /* The run's last page, only partly in it, is kept as a run of its own:
     * the walk's next range touches it, and it goes with that range's run.
     * Dropped here, one page a MiB stayed resident to the walk's end. */
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t tail = add.end / page * page;
    s->released[into] = (q_run){0, 0}; /* it may hold the run pushed out */
    if (tail > add.start && tail < add.end)
      s->released[into] = (q_run){tail, add.end};
  } else {
    s->released[into] = add;
  }
  pthread_mutex_unlock(&s->release_lock);
  for (int k = 0; k < 2; k++)
    if (out[k].end > out[k].start)
      release_now(c, out[k].start, out[k].end);
}

/* ---- blocks
 * --------------------------------------------------------------------- */

int q_block_describe(const quire_corpus *c, int kind, uint32_t index,
                     q_block_desc *d, char *msg) {
  const char *what = kind == 0 ? "text block" : "metadata block";
  const uint8_t *rec =
      q_record(c, kind == 0 ? QS_BLOCKS : QS_META_BLOCKS, index, msg);
  if (!rec)
    return QUIRE_ECORRUPT;
  d->offset = ld64(rec + QB_OFFSET);
  d->csize = ld32(rec + QB_CSIZE);
  d->usize = ld32(rec + QB_USIZE);
  d->crc = ld32(rec + QB_CRC);
  d->first_doc = ld32(rec + QB_FIRST_DOC);
  d->docs = ld32(rec + QB_DOCS);
  uint32_t flags = ld32(rec + QB_FLAGS);
  d->codec = QBF_CODEC(flags);
  d->dict = QBF_DICT(flags);
  uint64_t data_end = c->size - QF_FOOTER_SIZE;
  /* Bound everything read from the file before trusting it: the bytes must
   * lie between header and footer, the codec and dictionary must be ones
   * the file declares, and the size claimed must be one the codec can
   * produce from them. */
  if (d->offset < QF_HEADER_SIZE || d->offset > data_end ||
      d->csize > data_end - d->offset)
    return q_damage(c, msg, "%s %u: lies outside the file", what, index);
  if ((flags != 0 && !(c->required & QF_REQ_CODECS)) ||
      (d->codec == QF_CODEC_DEFLATE && d->dict != 0) ||
      d->codec > QF_CODEC_ZSTD)
    return q_damage(c, msg, "%s %u: unknown codec 0x%08x", what, index, flags);
  uint32_t ratio = d->codec == QF_CODEC_ZSTD ? QF_MAX_ZSTD_RATIO : QF_MAX_RATIO;
  if (d->usize > (uint64_t)d->csize * ratio ||
      d->usize > QUIRE_MAX_BLOCK_SIZE + QUIRE_MAX_TEXT_LENGTH)
    return q_damage(c, msg, "%s %u: impossible size %u", what, index, d->usize);
  return QUIRE_OK;
}

int q_block_raw(const quire_corpus *c, int kind, uint32_t index,
                const uint8_t **bytes, q_block_desc *d, char *msg) {
  int status = q_block_describe(c, kind, index, d, msg);
  if (status != QUIRE_OK)
    return status;
  *bytes = c->data + d->offset;
  if (q_crc32(*bytes, d->csize) != d->crc)
    return q_damage(c, msg, "%s %u: damaged (checksum)",
                    kind == 0 ? "text block" : "metadata block", index);
  return QUIRE_OK;
}

/* The kernel maps this much of a file around the page a read faults in
 * (fault_around_bytes, 64 KiB by default). */
#define FAULT_AROUND (64u << 10)

/* Lets go of block index of this kind (described by d) and of the block of
 * the other kind with the same number when it lies within FAULT_AROUND of
 * it. A file written before metadata blocks were gathered into runs (see
 * writer_blocks.c) lays each text block just before its metadata block, and
 * the kernel maps the pages around the one a read touches: a walk of the
 * metadata alone maps most of the text blocks between them (129 MB of
 * resident memory for a 137 MB file), which releasing both, as one run of
 * adjacent ranges, lets go of. Releasing a range no one read is harmless,
 * but costs a call when it is far from what was read. */
static void release_pair(const quire_corpus *c, int kind, uint32_t index,
                         const q_block_desc *d) {
  q_release(c, d->offset, d->csize);
  const q_section *sec = &c->sec[kind == 0 ? QS_META_BLOCKS : QS_BLOCKS];
  if (sec->width && (uint64_t)index < sec->length / sec->width) {
    /* The record is read unchecked, as a hint to the kernel only: a
     * damaged one cannot make anything read wrong, and a block the caller
     * did not ask for is not reported damaged. */
    const uint8_t *rec = c->data + sec->offset + (uint64_t)index * sec->width;
    uint64_t offset = ld64(rec + QB_OFFSET), len = ld32(rec + QB_CSIZE);
    uint64_t start = d->offset > FAULT_AROUND ? d->offset - FAULT_AROUND : 0;
    uint64_t end = d->offset + d->csize + FAULT_AROUND;
    if (offset < end && offset + len > start)
      q_release(c, offset, len);
  }
}

int q_block_load(const quire_corpus *c, int kind, uint32_t index,
                 q_inflater *inflater, q_buf *out, char *msg) {
  const char *what = kind == 0 ? "text block" : "metadata block";
  const uint8_t *bytes;
  q_block_desc d;
  int status = q_block_raw(c, kind, index, &bytes, &d, msg);
  if (status != QUIRE_OK)
    return status;
  const q_zddict *ddict = NULL;
  if (d.dict != 0) {
    char why[Q_MSG_CAP];
    status = q_dict_get(c, d.dict, &ddict, why);
    if (status == QUIRE_ENOMEM)
      return q_fail(msg, status, "%s", why);
    if (status != QUIRE_OK)
      return q_damage(c, msg, "%s %u: needs %s", what, index, why);
  }
  if (q_buf_fit(out, (size_t)d.usize + 1) != QUIRE_OK)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory inflating %s %u", what,
                  index);
  int r =
      d.codec == QF_CODEC_ZSTD
          ? q_zdecompress(inflater, ddict, bytes, d.csize, out->data, d.usize)
          : q_inflate(inflater, bytes, d.csize, out->data, d.usize);
  release_pair(c, kind, index, &d);
  if (r == -2)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory inflating %s %u", what,
                  index);
  if (r != 0)
    return q_damage(c, msg, "%s %u: does not %s to %u bytes", what, index,
                    d.codec == QF_CODEC_ZSTD ? "decompress" : "inflate",
                    d.usize);
  out->len = d.usize;
  return QUIRE_OK;
}

/* Allocates a section's verdicts, all Q_UNCHECKED: one per chunk, then
 * the table's. */
static int section_states(q_section *sec) {
  sec->records = sec->width ? sec->length / sec->width : 0;
  sec->chunk_state = q_calloc((size_t)sec->chunks + 1, 1);
  if (!sec->chunk_state)
    return QUIRE_ENOMEM;
  sec->table_state = sec->chunk_state + sec->chunks;
  return QUIRE_OK;
}

/* ---- opening
 * ---------------------------------------------------------------------- */

static int open_fail(quire_corpus *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int open_fail(quire_corpus *c, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg, sizeof c->msg, fmt, ap);
  va_end(ap);
  c->status = status;
  return status;
}

static int check_version(quire_corpus *c, const uint8_t *p, const char *where) {
  int major = ld16(p + QH_MAJOR), minor = ld16(p + QH_MINOR);
  uint32_t required = ld32(p + QH_REQUIRED);
  if (major != QUIRE_FORMAT_MAJOR)
    return open_fail(c, QUIRE_EVERSION,
                     "%s: format version %d.%d, this library reads %d.x", where,
                     major, minor, QUIRE_FORMAT_MAJOR);
  if (required & ~QF_REQUIRED_KNOWN)
    return open_fail(c, QUIRE_EVERSION,
                     "%s: needs features unknown to this library (flags "
                     "0x%08x); upgrade libquire",
                     where, required & ~QF_REQUIRED_KNOWN);
  c->major = major;
  c->minor = minor;
  c->required = required;
  c->optional = ld32(p + QH_OPTIONAL);
  return QUIRE_OK;
}

static int parse_header(quire_corpus *c) {
  const uint8_t *h = c->data;
  if (c->size < QF_MAGIC_SIZE || memcmp(h, QF_MAGIC, QF_MAGIC_SIZE) != 0)
    return open_fail(c, QUIRE_ENOTQUIRE, "not a quire file (bad magic)");
  if (c->size < QF_HEADER_SIZE)
    return open_fail(c, QUIRE_ECORRUPT, "file is truncated: %zu bytes",
                     c->size);
  if (q_crc32(h, QH_CRC) != ld32(h + QH_CRC))
    return open_fail(c, QUIRE_ECORRUPT, "header is damaged (checksum)");
  int status = check_version(c, h, "header");
  if (status != QUIRE_OK)
    return status;
  uint64_t file_size = ld64(h + QH_FILE_SIZE);
  if (file_size != c->size)
    return open_fail(c, QUIRE_ECORRUPT,
                     "file is %s: %zu bytes, the header says %llu",
                     c->size < file_size ? "truncated" : "longer than written",
                     c->size, (unsigned long long)file_size);
  return QUIRE_OK;
}

static int parse_sections(quire_corpus *c, const uint8_t *f) {
  static const uint32_t widths[QS_COUNT] = QS_WIDTHS;
  const uint64_t expected[QS_COUNT] = {0,
                                       c->sources * QSRC_SIZE,
                                       0,
                                       c->docs * QF_INDEX_ENTRY,
                                       c->docs * QF_ROW,
                                       c->blocks * QB_SIZE,
                                       c->meta_blocks * QMB_SIZE};
  uint64_t data_end = c->size - QF_FOOTER_SIZE;
  for (int s = 0; s < QS_COUNT; s++) {
    const uint8_t *e = f + QFT_SECTIONS + s * QF_SECTION_ENTRY;
    q_section *sec = &c->sec[s];
    sec->name = section_names[s];
    sec->offset = ld64(e + QSE_OFFSET);
    sec->length = ld64(e + QSE_LENGTH);
    sec->width = ld32(e + QSE_WIDTH);
    sec->table_crc = ld32(e + QSE_TABLE_CRC);
    sec->chunks = (sec->length + QF_CHUNK - 1) / QF_CHUNK;
    int bad_size =
        sec->width != widths[s] || sec->length % widths[s] != 0 ||
        (s != QS_SOURCE_NAMES && s != QS_SOURCE_LISTS &&
         sec->length != expected[s]) ||
        (s == QS_SOURCE_LISTS && sec->length > c->docs * QF_INDEX_ENTRY);
    if (bad_size || sec->offset < QF_HEADER_SIZE || sec->offset > data_end ||
        sec->length > data_end - sec->offset ||
        sec->chunks * QF_CRC_SIZE > data_end - sec->offset - sec->length)
      return open_fail(c, QUIRE_ECORRUPT, "footer: %s has impossible bounds",
                       section_names[s]);
    if (section_states(sec) != QUIRE_OK)
      return open_fail(c, QUIRE_ENOMEM, "out of memory opening the corpus");
  }
  return QUIRE_OK;
}

static const char *const ext_names[QX_KNOWN_LAST + 1] = {
    "",
    "dictionaries",
    "writer settings",
    "word summaries",
    "near-duplicate signatures",
    "word postings"};

/* Sets up one extension section from its table entry, with the same bounds
 * checks as a main section; its bytes must end before the table. */
static int parse_extension(quire_corpus *c, const uint8_t *e,
                           uint64_t ext_start) {
  uint32_t kind = ld32(e + QXE_KIND);
  q_section *sec = &c->ext[kind];
  if (sec->present)
    return open_fail(c, QUIRE_ECORRUPT, "extension table: %s listed twice",
                     ext_names[kind]);
  sec->present = 1;
  sec->name = ext_names[kind];
  const uint8_t *entry = e + QXE_SECTION;
  sec->offset = ld64(entry + QSE_OFFSET);
  sec->length = ld64(entry + QSE_LENGTH);
  sec->width = ld32(entry + QSE_WIDTH);
  sec->table_crc = ld32(entry + QSE_TABLE_CRC);
  sec->chunks = (sec->length + QF_CHUNK - 1) / QF_CHUNK;
  int bad =
      sec->width == 0 || sec->length % sec->width != 0 ||
      ((kind == QX_DICTIONARIES || kind == QX_WRITER) && sec->width != 1) ||
      (kind == QX_WRITER && sec->length < QXW_SIZE) ||
      (kind == QX_DICTIONARIES && sec->length < QXD_HEAD);
  if (bad || sec->offset < QF_HEADER_SIZE || sec->offset > ext_start ||
      sec->length > ext_start - sec->offset ||
      sec->chunks * QF_CRC_SIZE > ext_start - sec->offset - sec->length)
    return open_fail(c, QUIRE_ECORRUPT,
                     "extension table: %s has impossible "
                     "bounds",
                     sec->name);
  if (section_states(sec) != QUIRE_OK)
    return open_fail(c, QUIRE_ENOMEM, "out of memory opening the corpus");
  if (kind == QX_DICTIONARIES) {
    uint64_t slots = (sec->length - QXD_HEAD) / QXD_ENTRY;
    uint32_t n = slots > QF_MAX_DICTS ? QF_MAX_DICTS : (uint32_t)slots;
    c->dicts = q_calloc(n ? n : 1, sizeof *c->dicts);
    if (!c->dicts)
      return open_fail(c, QUIRE_ENOMEM, "out of memory opening the corpus");
    c->dict_slots = n;
  }
  return QUIRE_OK;
}

/* Format 1.1: reads the extension table, the size bytes before the footer.
 * Its own checksum is checked at open, as the footer's is: without it the
 * reader cannot know which sections a file needs. */
static int parse_extensions(quire_corpus *c, uint32_t size) {
  if (size == 0)
    return QUIRE_OK;
  uint64_t data_end = c->size - QF_FOOTER_SIZE;
  if (size < QX_HEAD + QF_CRC_SIZE || size > data_end - QF_HEADER_SIZE)
    return open_fail(c, QUIRE_ECORRUPT,
                     "footer: extension table has "
                     "impossible bounds");
  uint64_t start = data_end - size;
  const uint8_t *t = c->data + start;
  uint32_t count = ld32(t + QX_COUNT), width = ld32(t + QX_WIDTH);
  if (memcmp(t, QX_MAGIC, QF_MAGIC_SIZE) != 0 || count > QX_MAX_ENTRIES ||
      width < QX_ENTRY || width > 1024 ||
      QX_HEAD + (uint64_t)count * width + QF_CRC_SIZE != size)
    return open_fail(c, QUIRE_ECORRUPT, "extension table is damaged");
  if (q_crc32(t, size - QF_CRC_SIZE) != ld32(t + size - QF_CRC_SIZE))
    return open_fail(c, QUIRE_ECORRUPT,
                     "extension table is damaged (checksum)");
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t *e = t + QX_HEAD + (size_t)i * width;
    uint32_t kind = ld32(e + QXE_KIND), flags = ld32(e + QXE_FLAGS);
    if (kind == 0 || kind > QX_KNOWN_LAST) {
      if (flags & QXF_REQUIRED)
        return open_fail(c, QUIRE_EVERSION,
                         "the file needs a section of kind %u, unknown to "
                         "this library; upgrade libquire",
                         kind);
      continue; /* an optional section of a later version */
    }
    int status = parse_extension(c, e, start);
    if (status != QUIRE_OK)
      return status;
  }
  if ((c->required & QF_REQ_CODECS) == 0 && c->ext[QX_DICTIONARIES].present)
    return open_fail(c, QUIRE_ECORRUPT,
                     "extension table: dictionaries in a file whose header "
                     "does not declare them");
  return QUIRE_OK;
}

static int parse_footer(quire_corpus *c) {
  if (c->size < QF_HEADER_SIZE + QF_FOOTER_SIZE)
    return open_fail(c, QUIRE_ECORRUPT, "file is truncated: %zu bytes",
                     c->size);
  const uint8_t *f = c->data + c->size - QF_FOOTER_SIZE;
  if (memcmp(f + QFT_END, QF_END_MAGIC, QF_MAGIC_SIZE) != 0 ||
      memcmp(f, QF_FOOTER_MAGIC, QF_MAGIC_SIZE) != 0)
    return open_fail(c, QUIRE_ECORRUPT,
                     "footer not found at the end: file is truncated or "
                     "damaged");
  if (q_crc32(f, QFT_CRC) != ld32(f + QFT_CRC))
    return open_fail(c, QUIRE_ECORRUPT, "footer is damaged (checksum)");
  int status = check_version(c, f, "footer");
  if (status != QUIRE_OK)
    return status;
  if (ld64(f + QFT_FILE_SIZE) != c->size)
    return open_fail(c, QUIRE_ECORRUPT, "footer: file size does not match");
  c->docs = ld64(f + QFT_DOCS);
  c->sources = ld64(f + QFT_SOURCES);
  c->undated = ld64(f + QFT_UNDATED);
  c->blocks = ld64(f + QFT_BLOCKS);
  c->meta_blocks = ld64(f + QFT_META_BLOCKS);
  c->raw_size = ld64(f + QFT_RAW_SIZE);
  c->min_date = ldi64(f + QFT_MIN_DATE);
  c->max_date = ldi64(f + QFT_MAX_DATE);
  /* Counts bound every later multiplication: check them before use. */
  c->block_size = ld32(f + QFT_BLOCK_SIZE);
  if (c->docs > QUIRE_MAX_DOCUMENTS || c->sources > QUIRE_MAX_SOURCES ||
      c->undated > c->docs || c->blocks > c->docs ||
      c->meta_blocks != c->blocks)
    return open_fail(c, QUIRE_ECORRUPT, "footer: impossible counts");
  int status2 = parse_sections(c, f);
  if (status2 == QUIRE_OK)
    status2 = parse_extensions(c, ld32(f + QFT_EXT_SIZE));
  return status2;
}

static int corpus_new(quire_corpus **out) {
  quire_corpus *c = q_calloc(1, sizeof *c);
  q_corpus_state *state = q_calloc(1, sizeof *state);
  *out = c;
  if (!c || !state) {
    q_free(c);
    q_free(state);
    *out = NULL;
    return QUIRE_ENOMEM;
  }
  c->state = state;
  state->corpus = c;
  atomic_init(&state->damage_state, 0);
  atomic_init(&state->holds, 0);
  atomic_init(&state->closed, 0);
  pthread_mutex_init(&state->release_lock, NULL);
  pthread_mutex_init(&state->dict_lock, NULL);
  return QUIRE_OK;
}

static int corpus_parse(quire_corpus *c) {
  int status = parse_header(c);
  if (status == QUIRE_OK)
    status = parse_footer(c);
  return status;
}

/* The handle convention: on QUIRE_ENOMEM the caller gets no handle. */
static int opened(quire_corpus *c, int status, quire_corpus **out) {
  if (status == QUIRE_ENOMEM) {
    quire_corpus_free(c);
    *out = NULL;
  }
  return status;
}

int quire_corpus_open(const char *path, quire_corpus **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_corpus *c;
  if (corpus_new(&c) != QUIRE_OK) {
    *out = NULL;
    return QUIRE_ENOMEM;
  }
  *out = c;
  if (!path)
    return open_fail(c, QUIRE_EINVAL, "path is NULL");
  c->path = q_strndup(path, strlen(path)); /* NULL only costs messages */
  /* O_NONBLOCK: opening a FIFO would wait for a writer forever; it is
   * refused below as not a regular file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return open_fail(c, errno == ENOENT ? QUIRE_ENOTFOUND : QUIRE_EIO,
                     "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return open_fail(c, QUIRE_EIO, "%s is not a regular file", path);
  }
  c->size = (size_t)st.st_size;
  if (c->size == 0) {
    close(fd);
    return open_fail(c, QUIRE_ENOTQUIRE, "%s is empty, not a quire file", path);
  }
  void *map = mmap(NULL, c->size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return open_fail(c, QUIRE_EIO, "cannot map %s: %s", path, strerror(errno));
  c->data = map;
  c->map = map;
  c->mapped = 1;
  int status = corpus_parse(c);
  if (status != QUIRE_OK) {
    char detail[Q_MSG_CAP];
    memcpy(detail, c->msg, sizeof detail);
    snprintf(c->msg, sizeof c->msg, "%.200s: %.300s", path, detail);
  }
  return opened(c, status, out);
}

int quire_corpus_open_buffer(const void *data, size_t len, quire_corpus **out) {
  if (!out)
    return QUIRE_EINVAL;
  quire_corpus *c;
  if (corpus_new(&c) != QUIRE_OK) {
    *out = NULL;
    return QUIRE_ENOMEM;
  }
  *out = c;
  if (!data)
    return open_fail(c, QUIRE_EINVAL, "buffer is NULL");
  c->data = data;
  c->size = len;
  return opened(c, corpus_parse(c), out);
}

void q_corpus_hold(const quire_corpus *c) {
  atomic_fetch_add(&c->state->holds, 1);
}

/* The closing corpus counts as one hold: whoever drops the last frees it. */
void q_corpus_drop(const quire_corpus *held) {
  q_corpus_state *state = held->state;
  if (atomic_fetch_sub(&state->holds, 1) > 0)
    return;
  quire_corpus *c = state->corpus;
  if (c->mapped)
    munmap(c->map, c->size);
  for (int s = 0; s < QS_COUNT; s++)
    q_free(c->sec[s].chunk_state);
  for (int k = 0; k <= QX_KNOWN_LAST; k++)
    q_free(c->ext[k].chunk_state);
  for (uint32_t d = 0; d < c->dict_slots; d++)
    q_zddict_free(atomic_load(&c->dicts[d].ddict));
  q_free(c->dicts);
  q_free(c->path);
  pthread_mutex_destroy(&state->release_lock);
  pthread_mutex_destroy(&state->dict_lock);
  q_free(state);
  q_free(c);
}

void quire_corpus_free(quire_corpus *c) {
  if (!c)
    return;
  atomic_store(&c->state->closed, 1);
  q_corpus_drop(c);
}

const char *quire_corpus_errmsg(const quire_corpus *c) {
  if (!c)
    return "corpus is NULL";
  if (c->status != QUIRE_OK)
    return c->msg;
  if (atomic_load(&c->state->damage_state) == 2)
    return c->state->damage;
  return "";
}

/* ---- accessors
 * ------------------------------------------------------------------ */

static int usable(const quire_corpus *c) {
  return c && c->status == QUIRE_OK;
}

uint64_t quire_corpus_doc_count(const quire_corpus *c) {
  return usable(c) ? c->docs : 0;
}
uint64_t quire_corpus_source_count(const quire_corpus *c) {
  return usable(c) ? c->sources : 0;
}
uint64_t quire_corpus_undated_count(const quire_corpus *c) {
  return usable(c) ? c->undated : 0;
}
uint64_t quire_corpus_file_size(const quire_corpus *c) {
  return usable(c) ? c->size : 0;
}
uint64_t quire_corpus_raw_size(const quire_corpus *c) {
  return usable(c) ? c->raw_size : 0;
}

int quire_corpus_format_version(const quire_corpus *c, int *major, int *minor) {
  if (!usable(c) || !major || !minor)
    return QUIRE_EINVAL;
  *major = c->major;
  *minor = c->minor;
  return QUIRE_OK;
}

int quire_corpus_codec(const quire_corpus *c, int *codec, int *level,
                       uint32_t *block_size) {
  if (!usable(c))
    return QUIRE_EINVAL;
  int the_codec = QUIRE_CODEC_DEFLATE, the_level = 0;
  uint32_t size = c->block_size;
  const q_section *sec = q_ext(c, QX_WRITER);
  if (sec) {
    const uint8_t *w = q_section_bytes(c, sec, 0, QXW_SIZE, NULL);
    if (!w)
      return QUIRE_ECORRUPT;
    the_codec = (int)ld32(w + QXW_CODEC);
    the_level = (int)ld32(w + QXW_LEVEL);
    size = ld32(w + QXW_BLOCK_SIZE);
  } else if (c->blocks > 0) {
    /* No settings recorded: the first block tells the codec. */
    const uint8_t *rec = q_record(c, QS_BLOCKS, 0, NULL);
    if (!rec)
      return QUIRE_ECORRUPT;
    the_codec = (int)QBF_CODEC(ld32(rec + QB_FLAGS));
  }
  if (codec)
    *codec = the_codec;
  if (level)
    *level = the_level;
  if (block_size)
    *block_size = size;
  return QUIRE_OK;
}

uint64_t quire_corpus_dictionary_count(const quire_corpus *c) {
  return usable(c) ? q_dict_count(c) : 0;
}

int quire_corpus_dictionary(const quire_corpus *c, uint64_t index, uint32_t *id,
                            uint32_t *size, int *metadata) {
  if (!usable(c))
    return QUIRE_EINVAL;
  if (index >= q_dict_count(c))
    return QUIRE_ENOTFOUND;
  q_dict_info info = {0};
  int status = q_dict_info_get(c, (uint32_t)index + 1, &info, NULL);
  if (status != QUIRE_OK)
    return status;
  if (id)
    *id = info.id;
  if (size)
    *size = info.size;
  if (metadata)
    *metadata = info.use == QXD_USE_META;
  q_dict_info_free(&info);
  return QUIRE_OK;
}

int quire_corpus_date_span(const quire_corpus *c, int64_t *first,
                           int64_t *last) {
  if (!usable(c) || !first || !last)
    return QUIRE_EINVAL;
  if (c->docs == c->undated)
    return QUIRE_ENOTFOUND;
  *first = c->min_date;
  *last = c->max_date;
  return QUIRE_OK;
}

/* Stores the name of source id; checks it lies inside the names section. */
static int source_name(const quire_corpus *c, const uint8_t *rec,
                       const char **name, size_t *len, char *msg) {
  uint64_t offset = ld64(rec + QSRC_NAME_OFFSET);
  uint32_t n = ld32(rec + QSRC_NAME_LEN);
  const q_section *names = &c->sec[QS_SOURCE_NAMES];
  /* Each name is followed by a NUL, which is part of the check. */
  if (offset > names->length || n >= names->length - offset ||
      n > QUIRE_MAX_SOURCE_LENGTH)
    return q_damage(c, msg, "source table: a name lies outside the names");
  for (uint64_t i = offset; i <= offset + n; i += QF_CHUNK - i % QF_CHUNK)
    if (!q_record(c, QS_SOURCE_NAMES, i, msg))
      return QUIRE_ECORRUPT;
  if (!q_record(c, QS_SOURCE_NAMES, offset + n, msg))
    return QUIRE_ECORRUPT;
  if (c->data[names->offset + offset + n] != '\0')
    return q_damage(c, msg, "source table: a name is not terminated");
  *name = (const char *)c->data + names->offset + offset;
  *len = n;
  return QUIRE_OK;
}

int quire_corpus_source(const quire_corpus *c, uint64_t source_id,
                        const char **name, size_t *len, uint64_t *docs) {
  if (!usable(c) || !name || !len)
    return QUIRE_EINVAL;
  if (source_id >= c->sources)
    return QUIRE_ENOTFOUND;
  const uint8_t *rec = q_record(c, QS_SOURCES, source_id, NULL);
  if (!rec)
    return QUIRE_ECORRUPT;
  int status = source_name(c, rec, name, len, NULL);
  if (status == QUIRE_OK && docs)
    *docs = ld32(rec + QSRC_DOCS);
  return status;
}

int q_row_check(const quire_corpus *c, const uint8_t *row, uint64_t doc,
                char *msg) {
  int64_t date = ldi64(row + QD_DATE);
  uint8_t precision = row[QD_PRECISION];
  uint32_t source = ld32(row + QD_SOURCE);
  if (precision > QUIRE_DATE_SECOND ||
      (date == QUIRE_NO_DATE) != (precision == QUIRE_DATE_NONE) ||
      row[QD_TZ_KIND] > Q_TZ_OFFSET ||
      (source != QF_NO_SOURCE && source >= c->sources) ||
      ld32(row + QD_BLOCK) >= c->blocks ||
      ld32(row + QD_LENGTH) > QUIRE_MAX_TEXT_LENGTH)
    return q_damage(c, msg, "document %llu: row is inconsistent",
                    (unsigned long long)doc);
  return QUIRE_OK;
}

int q_row_in_blocks(const quire_corpus *c, const uint8_t *row, uint64_t doc,
                    uint32_t b, const q_block_desc *t, const q_block_desc *m,
                    char *msg) {
  uint64_t end = (uint64_t)ld32(row + QD_OFFSET) + ld32(row + QD_LENGTH);
  if (ld32(row + QD_BLOCK) != b || end >= t->usize ||
      (uint64_t)ld32(row + QD_META_OFFSET) + QF_META_HEAD > m->usize)
    return q_damage(c, msg, "document %llu: row lies outside block %u",
                    (unsigned long long)doc, b);
  return QUIRE_OK;
}

int q_source_find(const quire_corpus *c, const char *name, size_t len,
                  uint32_t *id, char *msg) {
  uint64_t lo = 0, hi = c->sources;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    const uint8_t *rec = q_record(c, QS_SOURCES, mid, msg);
    const char *other = NULL;
    size_t other_len = 0;
    if (!rec || source_name(c, rec, &other, &other_len, msg) != QUIRE_OK)
      return QUIRE_ECORRUPT;
    size_t n = len < other_len ? len : other_len;
    int cmp = n ? memcmp(other, name, n) : 0;
    if (cmp == 0)
      cmp = (other_len > len) - (other_len < len);
    if (cmp == 0) {
      *id = (uint32_t)mid;
      return QUIRE_OK;
    }
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return QUIRE_ENOTFOUND;
}
