/*
 * csv_export.c: writes any selection of a corpus as CSV (RFC 4180).
 *
 * The export walks the selection with a public quire_cursor and writes each
 * cell through a 64 KiB buffer to one of three sinks: an atomic output file,
 * a file descriptor or a caller's callback. Nothing grows with the corpus:
 * the cursor holds one inflated block at a time and cells larger than the
 * buffer go straight to the sink.
 *
 * A cell is quoted only when it must be (it holds a comma, a quote, CR or
 * LF, or starts or ends with a space or tab, which some readers would trim).
 * Each cell is scanned once with a byte-class table to decide that, and
 * quotes are doubled run by run with memchr() (see put_escaped()).
 *
 * The excel dialect adds a UTF-8 BOM and CRLF line ends, makes cells that a
 * spreadsheet would run as a formula inert by prefixing a single quote (the
 * OWASP advice on CSV injection) and cuts cells to the 32,767 characters a
 * spreadsheet cell holds, counting each cut. The plain dialect never alters
 * a byte of data.
 */
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "reader.h"

#define OUT_BUFFER_SIZE (64u << 10)
/* Excel's documented cell limit, in UTF-16 code units (Excel stores strings
 * as UTF-16, so a character outside the BMP takes two of them). */
#define EXCEL_CELL_MAX 32767u
#define MAX_COLUMNS 16

static const char *const column_names[] = {"id",     "source", "date", "title",
                                           "author", "url",    "text"};
#define COLUMN_NAME_COUNT (sizeof column_names / sizeof column_names[0])

struct quire_export {
  const quire_corpus *corpus;
  quire_filter *filter; /* our own copy, or NULL for every document */
  int columns[MAX_COLUMNS];
  size_t column_count;
  int dialect;
  uint64_t rows;
  uint64_t cells_cut;
  char msg[Q_MSG_CAP];
};

/* ---- the buffered output ------------------------------------------------- */

enum sink_kind { SINK_FILE, SINK_FD, SINK_CALLBACK };

typedef struct out {
  char *buf;
  size_t len;
  enum sink_kind kind;
  q_outfile *file;
  int fd;
  quire_write_fn write;
  void *ctx;
  char *msg;
} out;

static int sink_write(out *o, const char *data, size_t len) {
  switch (o->kind) {
  case SINK_FILE:
    return q_outfile_write(o->file, data, len, o->msg);
  case SINK_FD:
    return q_write_all(o->fd, data, len, "the export's file descriptor",
                       o->msg);
  case SINK_CALLBACK:
    if (o->write(o->ctx, data, len) != 0)
      return q_fail(o->msg, QUIRE_ECALLBACK,
                    "the write callback asked to stop");
    return QUIRE_OK;
  }
  return q_fail(o->msg, QUIRE_EINVAL, "unknown output");
}

static int out_flush(out *o) {
  if (o->len == 0)
    return QUIRE_OK;
  int status = sink_write(o, o->buf, o->len);
  o->len = 0;
  return status;
}

static int out_put(out *o, const char *data, size_t len) {
  if (len <= OUT_BUFFER_SIZE - o->len) {
    memcpy(o->buf + o->len, data, len);
    o->len += len;
    return QUIRE_OK;
  }
  int status = out_flush(o);
  if (status != QUIRE_OK)
    return status;
  if (len >= OUT_BUFFER_SIZE)
    return sink_write(o, data, len); /* too big to be worth a copy */
  memcpy(o->buf, data, len);
  o->len = len;
  return QUIRE_OK;
}

static int out_byte(out *o, char c) {
  if (o->len == OUT_BUFFER_SIZE) {
    int status = out_flush(o);
    if (status != QUIRE_OK)
      return status;
  }
  o->buf[o->len++] = c;
  return QUIRE_OK;
}

/* ---- cells --------------------------------------------------------------- */

/* Byte classes for the quoting scan: 1 for bytes that force quoting, 2 for
 * the quote itself, which also needs escaping. */
static const unsigned char byte_class[256] = {
    [','] = 1, ['\r'] = 1, ['\n'] = 1, ['"'] = 2};

enum quoting { QUOTE_NONE, QUOTE_PLAIN, QUOTE_ESCAPED };

/* Decides, in one pass, whether the bytes of a cell force quoting. */
static enum quoting cell_quoting(const char *data, size_t len) {
  const unsigned char *p = (const unsigned char *)data;
  size_t i = 0;
  while (i < len && byte_class[p[i]] == 0)
    i++;
  if (i == len)
    return QUOTE_NONE;
  if (byte_class[p[i]] == 2 || memchr(p + i, '"', len - i))
    return QUOTE_ESCAPED;
  return QUOTE_PLAIN;
}

static int is_blank(char c) {
  return c == ' ' || c == '\t';
}

/* Writes the inside of a quoted cell with every quote doubled: the runs
 * between quotes are found with memchr() and copied whole. This writes the
 * same bytes as libcsv's csv_write() (test_csv.c checks it against that), but
 * csv_write() walks the cell a byte at a time into a destination of twice
 * its size, which measured 29% of a whole export's time. */
static int put_escaped(out *o, const char *data, size_t len) {
  const char *end = data + len;
  while (data < end) {
    const char *quote = memchr(data, '"', (size_t)(end - data));
    size_t run = quote ? (size_t)(quote - data) + 1 : (size_t)(end - data);
    int status = out_put(o, data, run);
    if (status == QUIRE_OK && quote)
      status = out_byte(o, '"');
    if (status != QUIRE_OK)
      return status;
    data += run;
  }
  return QUIRE_OK;
}

/* Writes one cell: prefix (0 or 1 byte, the excel formula guard) then data,
 * quoted as needed. */
static int put_cell(out *o, const char *prefix, size_t prefix_len,
                    const char *data, size_t len, int alone) {
  enum quoting q = cell_quoting(data, len);
  if (q == QUOTE_NONE) {
    /* Readers that trim would lose blanks at either end; and a lone empty
     * cell would be a blank line, which readers skip: write "" instead. */
    char first = prefix_len ? prefix[0] : len ? data[0] : '\0';
    char last = len ? data[len - 1] : '\0';
    if (is_blank(first) || is_blank(last) || (prefix_len + len == 0 && alone))
      q = QUOTE_PLAIN;
  }
  int status = QUIRE_OK;
  if (q != QUOTE_NONE)
    status = out_byte(o, '"');
  if (status == QUIRE_OK && prefix_len)
    status = out_put(o, prefix, prefix_len);
  if (status == QUIRE_OK)
    status =
        q == QUOTE_ESCAPED ? put_escaped(o, data, len) : out_put(o, data, len);
  if (status == QUIRE_OK && q != QUOTE_NONE)
    status = out_byte(o, '"');
  return status;
}

/* The first bytes a spreadsheet reads as the start of a formula. */
static int starts_formula(const char *data, size_t len) {
  return len > 0 && memchr("=+-@\t\r", data[0], 6) != NULL;
}

/* Returns how many bytes of the valid UTF-8 in data make at most limit
 * UTF-16 code units, never cutting inside a sequence. */
static size_t utf16_prefix(const char *data, size_t len, size_t limit) {
  if (len <= limit)
    return len; /* a code unit never takes less than one byte */
  const unsigned char *p = (const unsigned char *)data;
  size_t i = 0, units = 0;
  while (i < len) {
    size_t seq = p[i] < 0x80 ? 1 : p[i] < 0xE0 ? 2 : p[i] < 0xF0 ? 3 : 4;
    size_t cost = seq == 4 ? 2 : 1; /* a surrogate pair */
    if (units + cost > limit || seq > len - i)
      break;
    units += cost;
    i += seq;
  }
  return i;
}

/* Writes a cell in the excel dialect: formula guard and length cut. */
static int put_excel_cell(quire_export *exp, out *o, const char *data,
                          size_t len, int alone) {
  size_t prefix_len = starts_formula(data, len) ? 1 : 0;
  size_t keep = utf16_prefix(data, len, EXCEL_CELL_MAX - prefix_len);
  if (keep < len)
    exp->cells_cut++;
  return put_cell(o, "'", prefix_len, data, keep, alone);
}

/* ---- rows ---------------------------------------------------------------- */

static int put_line_end(const quire_export *exp, out *o) {
  if (exp->dialect == QUIRE_CSV_EXCEL)
    return out_put(o, "\r\n", 2);
  return out_byte(o, '\n');
}

static int put_header(quire_export *exp, out *o) {
  int status = QUIRE_OK;
  if (exp->dialect == QUIRE_CSV_EXCEL)
    status = out_put(o, "\xEF\xBB\xBF", 3);
  for (size_t i = 0; i < exp->column_count && status == QUIRE_OK; i++) {
    if (i > 0)
      status = out_byte(o, ',');
    if (status == QUIRE_OK) {
      const char *name = column_names[exp->columns[i]];
      status = out_put(o, name, strlen(name));
    }
  }
  return status == QUIRE_OK ? put_line_end(exp, o) : status;
}

static int put_row(quire_export *exp, quire_cursor *cur, out *o) {
  int alone = exp->column_count == 1;
  for (size_t i = 0; i < exp->column_count; i++) {
    const char *data;
    size_t len;
    int status = quire_cursor_field(cur, exp->columns[i], &data, &len);
    if (status != QUIRE_OK)
      return q_fail(exp->msg, status, "document %llu: %s",
                    (unsigned long long)quire_cursor_doc(cur),
                    quire_cursor_errmsg(cur));
    if (i > 0 && (status = out_byte(o, ',')) != QUIRE_OK)
      return status;
    status = exp->dialect == QUIRE_CSV_EXCEL
                 ? put_excel_cell(exp, o, data, len, alone)
                 : put_cell(o, NULL, 0, data, len, alone);
    if (status != QUIRE_OK)
      return status;
  }
  return put_line_end(exp, o);
}

static int run_rows(quire_export *exp, out *o) {
  quire_cursor *cur = NULL;
  int status = quire_cursor_open(exp->corpus, exp->filter, &cur);
  if (status != QUIRE_OK) {
    q_fail(exp->msg, status, "%s",
           cur ? quire_cursor_errmsg(cur) : quire_strerror(status));
    quire_cursor_free(cur);
    return status;
  }
  /* Texts are most of the work: inflate the next block on the other core
   * while this one writes. Optional: without the thread it is slower only. */
  for (size_t i = 0; i < exp->column_count; i++)
    if (exp->columns[i] == QUIRE_FIELD_TEXT) {
      q_cursor_read_ahead(cur);
      break;
    }
  status = put_header(exp, o);
  int step;
  while (status == QUIRE_OK && (step = quire_cursor_next(cur)) == QUIRE_ROW) {
    status = put_row(exp, cur, o);
    if (status == QUIRE_OK)
      exp->rows++;
  }
  if (status == QUIRE_OK && step != QUIRE_DONE)
    status = q_fail(exp->msg, step, "%s", quire_cursor_errmsg(cur));
  quire_cursor_free(cur);
  return status == QUIRE_OK ? out_flush(o) : status;
}

/* Runs the export into the sink o describes. */
static int run(quire_export *exp, out *o) {
  if (!exp)
    return QUIRE_EINVAL;
  exp->rows = 0;
  exp->cells_cut = 0;
  exp->msg[0] = '\0';
  o->msg = exp->msg;
  o->len = 0;
  o->buf = q_malloc(OUT_BUFFER_SIZE);
  if (!o->buf)
    return q_fail(exp->msg, QUIRE_ENOMEM, "out of memory");
  int status = run_rows(exp, o);
  q_free(o->buf);
  return status;
}

/* ---- the public functions ------------------------------------------------ */

int quire_export_new(const quire_corpus *corpus, quire_export **out_exp) {
  if (!out_exp)
    return QUIRE_EINVAL;
  *out_exp = NULL;
  quire_export *exp = q_calloc(1, sizeof *exp);
  if (!exp)
    return QUIRE_ENOMEM;
  exp->corpus = corpus;
  for (size_t i = 0; i < COLUMN_NAME_COUNT; i++)
    exp->columns[i] = (int)i;
  exp->column_count = COLUMN_NAME_COUNT;
  exp->dialect = QUIRE_CSV_PLAIN;
  *out_exp = exp;
  if (!corpus)
    return q_fail(exp->msg, QUIRE_EINVAL, "corpus is NULL");
  return QUIRE_OK;
}

void quire_export_free(quire_export *exp) {
  if (!exp)
    return;
  quire_filter_free(exp->filter);
  q_free(exp);
}

int quire_export_set_filter(quire_export *exp, const quire_filter *filter) {
  if (!exp)
    return QUIRE_EINVAL;
  quire_filter *copy = NULL;
  if (filter && !(copy = q_filter_clone(filter)))
    return q_fail(exp->msg, QUIRE_ENOMEM, "out of memory");
  quire_filter_free(exp->filter);
  exp->filter = copy;
  return QUIRE_OK;
}

/* Returns the column number of a name, case-insensitively, or -1. */
static int column_number(const char *name, size_t len) {
  for (size_t i = 0; i < COLUMN_NAME_COUNT; i++)
    if (strlen(column_names[i]) == len &&
        strncasecmp(column_names[i], name, len) == 0)
      return (int)i;
  return -1;
}

int quire_export_set_columns(quire_export *exp, const char *list, size_t len) {
  if (!exp)
    return QUIRE_EINVAL;
  if (!list && len)
    return q_fail(exp->msg, QUIRE_EINVAL, "column list is NULL");
  int columns[MAX_COLUMNS];
  size_t count = 0, start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && list[i] != ',')
      continue;
    const char *name = list + start;
    size_t name_len = i - start;
    start = i + 1;
    if (name_len == 0)
      return q_fail(exp->msg, QUIRE_EINVAL,
                    "column list has an empty column name");
    int column = column_number(name, name_len);
    if (column < 0)
      return q_fail(exp->msg, QUIRE_EINVAL,
                    "unknown column \"%.*s\" (known: id, source, date, "
                    "title, author, url, text)",
                    (int)(name_len > 64 ? 64 : name_len), name);
    if (count == MAX_COLUMNS)
      return q_fail(exp->msg, QUIRE_EINVAL, "more than %d columns in the list",
                    MAX_COLUMNS);
    columns[count++] = column;
  }
  memcpy(exp->columns, columns, count * sizeof columns[0]);
  exp->column_count = count;
  return QUIRE_OK;
}

int quire_export_set_dialect(quire_export *exp, int dialect) {
  if (!exp)
    return QUIRE_EINVAL;
  if (dialect != QUIRE_CSV_PLAIN && dialect != QUIRE_CSV_EXCEL)
    return q_fail(exp->msg, QUIRE_EINVAL, "unknown CSV dialect %d", dialect);
  exp->dialect = dialect;
  return QUIRE_OK;
}

int quire_export_to_path(quire_export *exp, const char *path) {
  if (!exp)
    return QUIRE_EINVAL;
  if (!path)
    return q_fail(exp->msg, QUIRE_EINVAL, "path is NULL");
  q_outfile file;
  int status = q_outfile_open(&file, path, exp->msg);
  if (status != QUIRE_OK)
    return status;
  out o = {.kind = SINK_FILE, .file = &file};
  status = run(exp, &o);
  if (status == QUIRE_OK)
    return q_outfile_commit(&file, exp->msg);
  q_outfile_abort(&file);
  return status;
}

int quire_export_to_fd(quire_export *exp, int fd) {
  if (!exp)
    return QUIRE_EINVAL;
  if (fd < 0)
    return q_fail(exp->msg, QUIRE_EINVAL, "file descriptor %d is invalid", fd);
  out o = {.kind = SINK_FD, .fd = fd};
  return run(exp, &o);
}

int quire_export_to_callback(quire_export *exp, quire_write_fn write,
                             void *ctx) {
  if (!exp)
    return QUIRE_EINVAL;
  if (!write)
    return q_fail(exp->msg, QUIRE_EINVAL, "write callback is NULL");
  out o = {.kind = SINK_CALLBACK, .write = write, .ctx = ctx};
  return run(exp, &o);
}

uint64_t quire_export_rows(const quire_export *exp) {
  return exp ? exp->rows : 0;
}

uint64_t quire_export_cells_cut(const quire_export *exp) {
  return exp ? exp->cells_cut : 0;
}

const char *quire_export_errmsg(const quire_export *exp) {
  return exp ? exp->msg : "export is NULL";
}
