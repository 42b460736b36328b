/*
 * arrow_stream.c: the Arrow C Stream Interface over a cursor
 * (quire_arrow_stream_open()).
 *
 * Written against the Arrow specification alone (quire_arrow.h holds its
 * structs); no Arrow library and no nanoarrow: the nine columns are simple
 * enough that building their buffers by hand is shorter than vendoring one.
 *
 * Ownership. Every batch is a struct array whose children each own their
 * buffers (private_data), so that a consumer may move a child out and
 * release the parent first, as the specification allows. The source column's
 * dictionary (the corpus's source table) is built once per stream and
 * shared, with an atomic count, by every batch that still holds it. The
 * stream holds the corpus (q_corpus_hold()), so a stream outliving
 * quire_corpus_free() fails cleanly instead of reading unmapped memory.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "quire_arrow.h"
#include "reader.h"

enum {
  QA_DOC,
  QA_SOURCE,
  QA_DATE,
  QA_PRECISION,
  QA_DATE_TEXT,
  QA_TITLE,
  QA_AUTHOR,
  QA_URL,
  QA_TEXT,
  QA_COUNT
};

static const struct {
  const char *name, *format;
  int nullable, field; /* field: QUIRE_FIELD_* for string columns, else -1 */
} columns_def[QA_COUNT] = {
    {"doc", "L", 0, -1},
    {"source", "i", 1, -1}, /* dictionary<int32, utf8> */
    {"date", "tss:UTC", 1, -1},
    {"date_precision", "c", 1, -1},
    {"date_text", "u", 1, QUIRE_FIELD_DATE},
    {"title", "u", 1, QUIRE_FIELD_TITLE},
    {"author", "u", 1, QUIRE_FIELD_AUTHOR},
    {"url", "u", 1, QUIRE_FIELD_URL},
    {"text", "U", 0, QUIRE_FIELD_TEXT},
};

/* The source table as a utf8 array, shared by the batches of one stream. */
typedef struct q_adict {
  atomic_long refs;
  int64_t count;
  int32_t *offsets;
  char *data;
} q_adict;

static void dict_drop(q_adict *d) {
  if (!d || atomic_fetch_sub(&d->refs, 1) > 1)
    return;
  q_free(d->offsets);
  q_free(d->data);
  q_free(d);
}

typedef struct q_astream {
  const quire_corpus *corpus; /* held, or NULL for a failed stream */
  quire_cursor *cursor;
  int cols[QA_COUNT];
  int ncols;
  int need_text; /* text blocks: the text column */
  int need_meta; /* metadata blocks: title, author or url */
  uint64_t batch;
  int pending; /* the cursor's current document is not yet in a batch */
  int done;
  int status; /* QUIRE_OK, or the failure every call now reports */
  q_adict *dict;
  /* Per column, the string bytes the last full batch held: the next batch
   * reserves about that much at once, instead of growing by doublings that
   * copy the strings again and again. */
  size_t data_hint[QA_COUNT];
  uint64_t rows_sent; /* rows of the batches before this one */
  char date_text[48]; /* the current row's date_text (q_date_format) */
  char msg[Q_MSG_CAP];
} q_astream;

/* ---- arrays ------------------------------------------------------------- */

/* What an array owns. The parent's kids block holds the child pointers and
 * structs; each child's buffers are its own. A buffer with its capacity in
 * caps goes back to the spare buffers (spare.c) when released. */
typedef struct q_aarr {
  const void *bufs[3];
  void *owned[3];
  size_t caps[3];
  struct ArrowArray **kids;
  struct ArrowArray *dict; /* the source column's dictionary struct */
  q_adict *shared;         /* the dictionary array's shared buffers */
} q_aarr;

static void array_release(struct ArrowArray *a) {
  if (!a || !a->release)
    return;
  q_aarr *p = a->private_data;
  for (int64_t i = 0; i < a->n_children; i++)
    if (a->children[i]->release)
      a->children[i]->release(a->children[i]);
  if (a->dictionary && a->dictionary->release)
    a->dictionary->release(a->dictionary);
  for (int i = 0; i < 3; i++)
    if (p->caps[i])
      q_spare_give(p->owned[i], p->caps[i]);
    else
      q_free(p->owned[i]);
  dict_drop(p->shared);
  q_free(p->kids);
  q_free(p->dict);
  q_free(p);
  a->release = NULL;
}

/* Fills *a as an array of length rows over the given buffers, taking
 * ownership of them (they are freed even on failure). */
static int array_make(struct ArrowArray *a, int64_t rows, int64_t nulls,
                      int nbufs, void *b0, void *b1, void *b2) {
  memset(a, 0, sizeof *a);
  q_aarr *p = q_calloc(1, sizeof *p);
  if (!p) {
    q_free(b0);
    q_free(b1);
    q_free(b2);
    return QUIRE_ENOMEM;
  }
  p->bufs[0] = p->owned[0] = b0;
  p->bufs[1] = p->owned[1] = b1;
  p->bufs[2] = p->owned[2] = b2;
  a->length = rows;
  a->null_count = nulls;
  a->n_buffers = nbufs;
  a->buffers = p->bufs;
  a->release = array_release;
  a->private_data = p;
  return QUIRE_OK;
}

/* ---- column builders -------------------------------------------------- */

#define Q_HUGE_PAGE ((uintptr_t)2 << 20)

/* Asks for transparent huge pages under a large string buffer, before its
 * pages are first touched. Filling a batch's text column writes hundreds of
 * MiB of fresh memory; in 4 KiB pages, the page faults took a quarter of the
 * time of reading a whole corpus. Only advice: where the memory is not an
 * anonymous mapping, or the system has no huge pages, nothing changes. */
static void advise_huge(q_buf *b) {
  uintptr_t start = (uintptr_t)(b->data + b->len);
  uintptr_t end = (uintptr_t)(b->data + b->cap);
  start = (start + Q_HUGE_PAGE - 1) & ~(Q_HUGE_PAGE - 1);
  end &= ~(Q_HUGE_PAGE - 1);
  if (b->data && end > start)
    (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

typedef struct q_acol {
  q_buf values; /* fixed-width values, or offsets */
  q_buf data;   /* string bytes */
  uint8_t *valid;
  int64_t nulls;
} q_acol;

static void col_free(q_acol *c) {
  q_buf_free(&c->values);
  q_buf_free(&c->data);
  q_free(c->valid);
  memset(c, 0, sizeof *c);
}

/* Gives b room for need bytes, from a buffer a released batch left when
 * there is one of the right size: its pages are already there, where fresh
 * memory would be zeroed page by page as it is first written. */
static int col_reserve(q_buf *b, size_t need) {
  if (need <= b->cap - b->len)
    return QUIRE_OK;
  if (need > SIZE_MAX - b->len)
    return QUIRE_ENOMEM;
  size_t cap;
  char *spare = q_spare_take(b->len + need, &cap);
  if (!spare) {
    /* Exactly the room asked for, not a doubling: a released buffer is kept
     * by its capacity, and doubling would reserve up to twice the room. */
    char *grown = q_realloc(b->data, b->len + need);
    if (!grown)
      return QUIRE_ENOMEM;
    b->data = grown;
    b->cap = b->len + need;
    advise_huge(b);
    return QUIRE_OK;
  }
  if (b->len)
    memcpy(spare, b->data, b->len);
  q_free(b->data);
  b->data = spare;
  b->cap = cap;
  return QUIRE_OK;
}

static int col_start(q_acol *c, int col, size_t cap, size_t data_hint) {
  static const size_t widths[QA_COUNT] = {8, 4, 8, 1, 4, 4, 4, 4, 8};
  memset(c, 0, sizeof *c);
  size_t width = widths[col];
  int strings = columns_def[col].field >= 0;
  if (col_reserve(&c->values, (cap + 1) * width) != QUIRE_OK)
    return QUIRE_ENOMEM;
  if (strings) {
    (void)col_reserve(&c->data, data_hint); /* room, not a need */
    /* the first offset */
    memset(c->values.data, 0, width);
    c->values.len = width;
  }
  if (columns_def[col].nullable) {
    c->valid = q_calloc(cap / 8 + 1, 1);
    if (!c->valid)
      return QUIRE_ENOMEM;
  }
  return QUIRE_OK;
}

static void col_valid(q_acol *c, int64_t row, int ok) {
  if (ok)
    c->valid[row / 8] |= (uint8_t)(1u << (row % 8));
  else
    c->nulls++;
}

/* ---- the stream --------------------------------------------------------- */

static int errno_of(int status) {
  switch (status) {
  case QUIRE_ENOMEM:
    return ENOMEM;
  case QUIRE_ECORRUPT:
  case QUIRE_EIO:
    return EIO;
  default:
    return EINVAL;
  }
}

/* Checks the stream can still be used; returns 0 or the errno code. */
static int usable(q_astream *s) {
  if (s->status == QUIRE_OK && s->corpus &&
      atomic_load(&s->corpus->state->closed))
    s->status = q_fail(s->msg, QUIRE_EINVAL, "corpus is closed");
  return s->status == QUIRE_OK ? 0 : errno_of(s->status);
}

static void schema_release(struct ArrowSchema *sc) {
  if (!sc || !sc->release)
    return;
  for (int64_t i = 0; i < sc->n_children; i++)
    if (sc->children[i]->release)
      sc->children[i]->release(sc->children[i]);
  if (sc->dictionary) {
    if (sc->dictionary->release)
      sc->dictionary->release(sc->dictionary);
    q_free(sc->dictionary);
  }
  q_free(sc->private_data); /* the kids block of a struct schema */
  sc->release = NULL;
}

static void schema_leaf(struct ArrowSchema *sc, const char *format,
                        const char *name, int64_t flags) {
  memset(sc, 0, sizeof *sc);
  sc->format = format;
  sc->name = name;
  sc->flags = flags;
  sc->release = schema_release;
}

static int stream_get_schema(struct ArrowArrayStream *st,
                             struct ArrowSchema *out) {
  q_astream *s = st->private_data;
  int err = usable(s);
  if (err)
    return err;
  size_t n = (size_t)s->ncols;
  /* One block: the child pointers, then the child structs. */
  void *kids = q_calloc(1, n * (sizeof(void *) + sizeof(struct ArrowSchema)));
  if (!kids)
    return errno_of(q_fail(s->msg, QUIRE_ENOMEM, "out of memory"));
  schema_leaf(out, "+s", "", 0);
  out->n_children = (int64_t)n;
  out->children = kids;
  out->private_data = kids;
  struct ArrowSchema *child = (struct ArrowSchema *)((void **)kids + n);
  for (size_t i = 0; i < n; i++)
    out->children[i] = &child[i]; /* zeroed: release NULL until made */
  for (size_t i = 0; i < n; i++) {
    int col = s->cols[i];
    schema_leaf(&child[i], columns_def[col].format, columns_def[col].name,
                columns_def[col].nullable ? ARROW_FLAG_NULLABLE : 0);
    if (col == QA_SOURCE) {
      struct ArrowSchema *dict = q_malloc(sizeof *dict);
      if (!dict) {
        schema_release(out);
        return errno_of(q_fail(s->msg, QUIRE_ENOMEM, "out of memory"));
      }
      schema_leaf(dict, "u", NULL, 0);
      child[i].dictionary = dict;
    }
  }
  return 0;
}

/* Builds the source table's utf8 array once per stream. */
static int load_dict(q_astream *s) {
  if (s->dict)
    return QUIRE_OK;
  const quire_corpus *c = s->corpus;
  q_adict *d = q_calloc(1, sizeof *d);
  if (!d)
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  atomic_init(&d->refs, 1);
  s->dict = d;
  d->count = (int64_t)quire_corpus_source_count(c);
  d->offsets = q_malloc(((size_t)d->count + 1) * sizeof(int32_t));
  if (!d->offsets)
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  q_buf names = {0};
  d->offsets[0] = 0;
  for (int64_t i = 0; i < d->count; i++) {
    const char *name;
    size_t len;
    int status = quire_corpus_source(c, (uint64_t)i, &name, &len, NULL);
    if (status != QUIRE_OK) {
      q_buf_free(&names);
      return q_fail(s->msg, status, "%s", quire_corpus_errmsg(c));
    }
    if (len > (size_t)INT32_MAX - names.len) {
      q_buf_free(&names);
      return q_fail(s->msg, QUIRE_ELIMIT,
                    "source names exceed 2 GiB, the limit of an Arrow utf8 "
                    "dictionary");
    }
    if (q_buf_append(&names, name, len) != QUIRE_OK) {
      q_buf_free(&names);
      return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
    }
    d->offsets[i + 1] = (int32_t)names.len;
  }
  /* q_malloc(0) is a valid pointer: the data buffer is never NULL. */
  d->data = names.data ? names.data : q_malloc(0);
  if (!d->data)
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  return QUIRE_OK;
}

/* The dictionary array for one batch: a struct of its own sharing the
 * stream's buffers. */
static int dict_array(q_astream *s, struct ArrowArray **out) {
  struct ArrowArray *a = q_malloc(sizeof *a);
  if (!a)
    return QUIRE_ENOMEM;
  if (array_make(a, s->dict->count, 0, 3, NULL, NULL, NULL) != QUIRE_OK) {
    q_free(a);
    return QUIRE_ENOMEM;
  }
  q_aarr *p = a->private_data;
  p->bufs[1] = s->dict->offsets;
  p->bufs[2] = s->dict->data;
  p->shared = s->dict;
  atomic_fetch_add(&s->dict->refs, 1);
  *out = a;
  return QUIRE_OK;
}

/* The current row's date as text, into s->date_text; its length, or 0
 * (undated). A dated row whose date cannot be written is reported as
 * quire_cursor_field() reports it. */
static int read_date_text(q_astream *s, const char **data, size_t *len) {
  const q_date *d = q_cursor_date_parts(s->cursor);
  *data = s->date_text;
  *len = d ? q_date_format(d, s->date_text, sizeof s->date_text) : 0;
  if (*len > 0 || !d || d->precision == QUIRE_DATE_NONE)
    return QUIRE_OK;
  return quire_cursor_field(s->cursor, QUIRE_FIELD_DATE, data, len);
}

/* Reads the strings of the cursor's document for the string columns; a
 * NULL pointer in data[col] means "not asked for". Title, author and url
 * come from the cursor in one call: rows are built millions of times. */
static int read_strings(q_astream *s, const char **data, size_t *lens) {
  int have_meta = 0;
  for (int i = 0; i < s->ncols; i++) {
    int col = s->cols[i], status = QUIRE_OK;
    if (col == QA_DATE_TEXT) {
      status = read_date_text(s, &data[col], &lens[col]);
    } else if (col >= QA_TITLE && col <= QA_URL) {
      if (!have_meta)
        status = q_cursor_meta(s->cursor, &data[QA_TITLE], &lens[QA_TITLE]);
      have_meta = 1;
    } else if (col == QA_TEXT) {
      status = quire_cursor_field(s->cursor, QUIRE_FIELD_TEXT, &data[col],
                                  &lens[col]);
    }
    if (status != QUIRE_OK)
      return q_fail(s->msg, status, "%s", quire_cursor_errmsg(s->cursor));
  }
  return QUIRE_OK;
}

/* Appends len bytes to a column's string data; room is usually reserved
 * already, so the call to q_buf_append() is the exception. */
static inline int put_string(q_buf *b, const char *data, size_t len) {
  if (b->cap - b->len < len)
    return q_buf_append(b, data, len);
  if (len) /* an empty column may have no buffer yet */
    memcpy(b->data + b->len, data, len);
  b->len += len;
  return QUIRE_OK;
}

/* Appends the cursor's document as row `row` of the batch being built. */
static int append_row(q_astream *s, q_acol *cols, int64_t row,
                      const char **data, const size_t *lens) {
  quire_cursor *cur = s->cursor;
  for (int i = 0; i < s->ncols; i++) {
    int col = s->cols[i];
    q_acol *c = &cols[i];
    switch (col) {
    case QA_DOC: {
      uint64_t v = quire_cursor_doc(cur);
      memcpy(c->values.data + c->values.len, &v, 8);
      c->values.len += 8;
      break;
    }
    case QA_SOURCE: {
      int64_t id = quire_cursor_source_id(cur);
      int32_t v = id < 0 ? 0 : (int32_t)id;
      col_valid(c, row, id >= 0);
      memcpy(c->values.data + c->values.len, &v, 4);
      c->values.len += 4;
      break;
    }
    case QA_DATE: {
      int64_t v = quire_cursor_date(cur);
      col_valid(c, row, v != QUIRE_NO_DATE);
      if (v == QUIRE_NO_DATE)
        v = 0;
      memcpy(c->values.data + c->values.len, &v, 8);
      c->values.len += 8;
      break;
    }
    case QA_PRECISION: {
      int8_t v = (int8_t)quire_cursor_date_precision(cur);
      col_valid(c, row, v != QUIRE_DATE_NONE);
      c->values.data[c->values.len++] = (char)v;
      break;
    }
    default: {
      size_t len = lens[col];
      if (put_string(&c->data, data[col], len) != QUIRE_OK)
        return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
      if (col == QA_TEXT) {
        int64_t end = (int64_t)c->data.len;
        memcpy(c->values.data + c->values.len, &end, 8);
        c->values.len += 8;
      } else {
        int32_t end = (int32_t)c->data.len;
        col_valid(c, row, len > 0);
        memcpy(c->values.data + c->values.len, &end, 4);
        c->values.len += 4;
      }
    }
    }
  }
  return QUIRE_OK;
}

/* Whether adding the strings would take a utf8 column to 2 GiB. */
static int would_overflow(const q_astream *s, const q_acol *cols,
                          const size_t *lens) {
  for (int i = 0; i < s->ncols; i++) {
    int col = s->cols[i];
    if (columns_def[col].field >= 0 && col != QA_TEXT &&
        lens[col] > (size_t)INT32_MAX - cols[i].data.len)
      return 1;
  }
  return 0;
}

/* Records the capacities of a column's values and data buffers, so that
 * releasing it gives them to the spare buffers. */
static void set_caps(struct ArrowArray *a, size_t values_cap, size_t data_cap) {
  q_aarr *p = a->private_data;
  p->caps[1] = values_cap;
  p->caps[2] = data_cap;
}

/* Turns the built columns into the children of out. */
static int assemble(q_astream *s, q_acol *cols, int64_t rows,
                    struct ArrowArray *out) {
  size_t n = (size_t)s->ncols;
  void *kids = q_calloc(1, n * (sizeof(void *) + sizeof(struct ArrowArray)));
  int status =
      kids ? array_make(out, rows, 0, 1, NULL, NULL, NULL) : QUIRE_ENOMEM;
  if (status != QUIRE_OK) {
    q_free(kids);
    out->release = NULL;
    return q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  }
  q_aarr *parent = out->private_data;
  parent->kids = kids;
  out->n_children = (int64_t)n;
  out->children = kids;
  struct ArrowArray *child = (struct ArrowArray *)((void **)kids + n);
  for (size_t i = 0; i < n; i++)
    out->children[i] = &child[i]; /* zeroed: release NULL until made */
  for (size_t i = 0; i < n && status == QUIRE_OK; i++) {
    int col = s->cols[i];
    q_acol *c = &cols[i];
    void *valid = c->nulls ? (void *)c->valid : NULL;
    if (!c->nulls)
      q_free(c->valid);
    int64_t nulls = c->nulls;
    if (columns_def[col].field >= 0) {
      /* q_malloc(0): the data buffer is never NULL, even when empty. */
      void *bytes = c->data.data ? c->data.data : q_malloc(0);
      status = bytes ? array_make(&child[i], rows, nulls, 3, valid,
                                  c->values.data, bytes)
                     : QUIRE_ENOMEM;
      if (status == QUIRE_OK)
        set_caps(&child[i], c->values.cap,
                 bytes == c->data.data ? c->data.cap : 0);
      if (!bytes) {
        q_free(valid);
        q_free(c->values.data);
      }
    } else {
      status =
          array_make(&child[i], rows, nulls, 2, valid, c->values.data, NULL);
      if (status == QUIRE_OK)
        set_caps(&child[i], c->values.cap, 0);
    }
    /* Ownership has passed to the child (or been freed). */
    c->valid = NULL;
    c->values.data = c->data.data = NULL;
    if (status == QUIRE_OK && col == QA_SOURCE) {
      q_aarr *p = child[i].private_data;
      status = dict_array(s, &p->dict);
      child[i].dictionary = p->dict;
    }
  }
  if (status != QUIRE_OK) {
    array_release(out);
    return q_fail(s->msg, status, "out of memory");
  }
  return QUIRE_OK;
}

/* The first batch has no earlier one to go by: after its first rows, each
 * string column reserves what the whole batch would take at their average
 * size, with an eighth more. (Pages reserved and never written are never
 * touched, and a reservation that cannot be had is done without.) */
#define Q_ASTREAM_SAMPLE_ROWS 1024
static void reserve_as_sampled(q_astream *s, q_acol *cols, int64_t rows) {
  /* No more rows than the corpus has left: a small corpus read in one
   * batch does not reserve for a full one. */
  uint64_t docs = quire_corpus_doc_count(s->corpus);
  uint64_t left = docs > s->rows_sent ? docs - s->rows_sent : 0;
  double batch_rows = (double)(left < s->batch ? left : s->batch);
  for (int i = 0; i < s->ncols; i++) {
    q_acol *c = &cols[i];
    if (columns_def[s->cols[i]].field < 0 || s->data_hint[s->cols[i]])
      continue;
    double whole = (double)c->data.len / (double)rows * batch_rows;
    whole += whole / 8;
    if (whole > (double)INT32_MAX && s->cols[i] != QA_TEXT)
      whole = (double)INT32_MAX; /* a utf8 column stops at 2 GiB anyway */
    if (whole > 1e12 || whole <= (double)c->data.len)
      continue;
    /* Room, not a need: without it the column grows as it goes. */
    (void)col_reserve(&c->data, (size_t)whole - c->data.len);
  }
}

/* Keeps, for the next batch, what this full batch's strings took, with an
 * eighth more so that a slightly larger batch still fits. */
static void remember_sizes(q_astream *s, const q_acol *cols) {
  for (int i = 0; i < s->ncols; i++) {
    size_t len = cols[i].data.len;
    s->data_hint[s->cols[i]] = len > SIZE_MAX / 2 ? 0 : len + len / 8;
  }
}

static int stream_get_next(struct ArrowArrayStream *st,
                           struct ArrowArray *out) {
  q_astream *s = st->private_data;
  int err = usable(s);
  if (err)
    return err;
  if (s->done && !s->pending) {
    out->release = NULL; /* the end of the stream */
    return 0;
  }
  int status = QUIRE_OK;
  for (int i = 0; i < s->ncols; i++)
    if (s->cols[i] == QA_SOURCE)
      status = load_dict(s);
  q_acol cols[QA_COUNT];
  memset(cols, 0, sizeof cols);
  for (int i = 0; i < s->ncols && status == QUIRE_OK; i++)
    if (col_start(&cols[i], s->cols[i], (size_t)s->batch,
                  s->data_hint[s->cols[i]]) != QUIRE_OK)
      status = q_fail(s->msg, QUIRE_ENOMEM, "out of memory");
  int64_t rows = 0;
  while (status == QUIRE_OK && (uint64_t)rows < s->batch) {
    if (!s->pending) {
      int rc = quire_cursor_next(s->cursor);
      if (rc == QUIRE_DONE) {
        s->done = 1;
        break;
      }
      if (rc < 0) {
        status = q_fail(s->msg, rc, "%s", quire_cursor_errmsg(s->cursor));
        break;
      }
      s->pending = 1;
    }
    const char *data[QA_COUNT] = {0};
    size_t lens[QA_COUNT] = {0};
    status = read_strings(s, data, lens);
    if (status != QUIRE_OK)
      break;
    if (would_overflow(s, cols, lens)) {
      if (rows > 0)
        break; /* the document opens the next batch */
      status =
          q_fail(s->msg, QUIRE_ELIMIT, "document %llu: a field exceeds 2 GiB",
                 (unsigned long long)quire_cursor_doc(s->cursor));
      break;
    }
    status = append_row(s, cols, rows, data, lens);
    if (status == QUIRE_OK) {
      s->pending = 0;
      rows++;
      if (rows == Q_ASTREAM_SAMPLE_ROWS && (uint64_t)rows * 4 < s->batch)
        reserve_as_sampled(s, cols, rows);
    }
  }
  if (status == QUIRE_OK && (uint64_t)rows == s->batch)
    remember_sizes(s, cols);
  if (status == QUIRE_OK)
    s->rows_sent += (uint64_t)rows;
  if (status == QUIRE_OK && rows == 0) {
    out->release = NULL; /* nothing matched after the last batch */
  } else if (status == QUIRE_OK) {
    status = assemble(s, cols, rows, out);
  }
  for (int i = 0; i < s->ncols; i++)
    col_free(&cols[i]);
  if (status != QUIRE_OK) {
    s->status = status;
    return errno_of(status);
  }
  return 0;
}

static const char *stream_last_error(struct ArrowArrayStream *st) {
  q_astream *s = st->private_data;
  return s->msg[0] ? s->msg : NULL;
}

static void stream_release(struct ArrowArrayStream *st) {
  if (!st || !st->release)
    return;
  q_astream *s = st->private_data;
  quire_cursor_free(s->cursor);
  dict_drop(s->dict);
  if (s->corpus)
    q_corpus_drop(s->corpus);
  q_free(s);
  st->release = NULL;
}

/* Parses the column list into s->cols. */
static int parse_columns(q_astream *s, const char *list, size_t len) {
  if (!list && len)
    return q_fail(s->msg, QUIRE_EINVAL, "column list is NULL");
  if (len == 0) {
    for (int i = 0; i < QA_COUNT; i++)
      s->cols[i] = i;
    s->ncols = QA_COUNT;
    s->need_text = s->need_meta = 1;
    return QUIRE_OK;
  }
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && list[i] != ',')
      continue;
    const char *name = list + start;
    size_t n = i - start;
    start = i + 1;
    int col = -1;
    for (int k = 0; k < QA_COUNT && col < 0; k++)
      if (strlen(columns_def[k].name) == n &&
          strncasecmp(name, columns_def[k].name, n) == 0)
        col = k;
    if (col < 0)
      return q_fail(s->msg, QUIRE_EINVAL,
                    "unknown column \"%.*s\" (known: doc, source, date, "
                    "date_precision, date_text, title, author, url, text)",
                    (int)(n > 64 ? 64 : n), name);
    for (int k = 0; k < s->ncols; k++)
      if (s->cols[k] == col)
        return q_fail(s->msg, QUIRE_EINVAL, "column \"%s\" is named twice",
                      columns_def[col].name);
    s->cols[s->ncols++] = col;
    if (col == QA_TEXT)
      s->need_text = 1;
    if (col == QA_TITLE || col == QA_AUTHOR || col == QA_URL)
      s->need_meta = 1;
  }
  return QUIRE_OK;
}

int quire_arrow_stream_open(const quire_corpus *corpus,
                            const quire_filter *filter, const char *columns,
                            size_t len, uint64_t batch_size, int threads,
                            struct ArrowArrayStream *out) {
  if (!out)
    return QUIRE_EINVAL;
  memset(out, 0, sizeof *out);
  q_astream *s = q_calloc(1, sizeof *s);
  if (!s)
    return QUIRE_ENOMEM;
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_last_error;
  out->release = stream_release;
  out->private_data = s;
  s->batch = batch_size ? batch_size : QUIRE_ARROW_DEFAULT_BATCH;
  int status = QUIRE_OK;
  if (!corpus || corpus->status != QUIRE_OK)
    status = q_fail(s->msg, QUIRE_EINVAL, "corpus is NULL or failed to open");
  else if (atomic_load(&corpus->state->closed))
    status = q_fail(s->msg, QUIRE_EINVAL, "corpus is closed");
  else if (batch_size > QUIRE_ARROW_MAX_BATCH)
    status =
        q_fail(s->msg, QUIRE_EINVAL, "batch size %llu is over the limit of %u",
               (unsigned long long)batch_size, QUIRE_ARROW_MAX_BATCH);
  else if (threads < 0 || threads > 2)
    status = q_fail(s->msg, QUIRE_EINVAL, "threads is %d: 0 (default), 1 or 2",
                    threads);
  if (status == QUIRE_OK)
    status = parse_columns(s, columns, len);
  if (status == QUIRE_OK) {
    q_corpus_hold(corpus);
    s->corpus = corpus;
    status = quire_cursor_open(corpus, filter, &s->cursor);
    if (status != QUIRE_OK)
      q_fail(s->msg, status, "%s",
             s->cursor ? quire_cursor_errmsg(s->cursor) : "out of memory");
  }
  /* A walk that reads blocks inflates the next ones on helper threads
   * while this one copies, as the CSV export does. */
  int kinds =
      (s->need_text ? Q_AHEAD_TEXT : 0) | (s->need_meta ? Q_AHEAD_META : 0);
  if (status == QUIRE_OK && kinds && threads != 1)
    q_cursor_read_ahead(s->cursor, kinds);
  s->status = status;
  if (status == QUIRE_ENOMEM) {
    stream_release(out);
    memset(out, 0, sizeof *out);
  }
  return status;
}
