/*
 * csv_export.c: writes any selection of a corpus as CSV (RFC 4180).
 *
 * The export walks the selection with a public quire_cursor and writes each
 * cell through a 64 KiB buffer to one of three sinks: an atomic output file,
 * a file descriptor or a caller's callback. Nothing grows with the corpus:
 * the cursor holds one inflated block at a time and cells larger than the
 * buffer go straight to the sink. Past its first few buffers, an export to
 * a file or descriptor hands each full buffer to a thread that writes it
 * while the next fills (bgwrite.h).
 *
 * A cell is quoted only when it must be (it holds a comma, a quote, CR or
 * LF, or starts or ends with a space or tab, which some readers would trim).
 * Each cell is scanned once with a byte-class table to decide that, and
 * quotes are doubled run by run with memchr() (see put_escaped()).
 *
 * The excel dialect adds a UTF-8 BOM and CRLF line ends, quotes every text
 * cell (so that no separator a spreadsheet's import may try, comma,
 * semicolon or tab, splits one, and "format quoted field as text" keeps
 * 00123 or 2016-04-22 as written), makes cells that a spreadsheet would run
 * as a formula inert by prefixing a single quote (the OWASP advice on CSV
 * injection) and cuts cells to the 32,767 characters a spreadsheet cell
 * holds, counting each cut. The plain dialect never alters a byte of data.
 *
 * Besides the fields, the columns may be derived from the date (year, month,
 * day, datetime_utc, date_precision; see q_export_cell()), and an export to
 * a path may be split into numbered files of at most split_rows rows.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bgwrite.h"
#include "export.h"
#include "reader.h"
#include "words.h"

#define OUT_BUFFER_SIZE (64u << 10)
/* Buffers written on the calling thread before a writing thread starts: a
 * short export is over before the thread would pay for itself. */
#define OUT_FLUSHES_BEFORE_THREAD 4
/* The buffers handed to the writing thread: with 64 KiB ones, handing them
 * over cost more than writing on the thread itself saved (the filtered
 * export of the 1M corpus took 42 ms against 35 ms); 256 KiB took 29 ms,
 * 1 MiB no less. */
#define THREAD_BUFFER_SIZE (256u << 10)
#define MAX_COLUMNS Q_EXPORT_MAX_COLUMNS
#define EXCEL_CELL_MAX Q_CELL_MAX

const char *const q_export_column_names[Q_COL_COUNT] = {
    "id",   "source", "date",  "title", "author",       "url",
    "text", "year",   "month", "day",   "datetime_utc", "date_precision"};
#define column_names q_export_column_names
#define COLUMN_NAME_COUNT ((size_t)Q_COL_COUNT)
/* The columns an export has unless told otherwise: the fields. */
#define DEFAULT_COLUMN_COUNT ((size_t)QUIRE_FIELD_TEXT + 1)

/* ---- the buffered output ------------------------------------------------- */

/* SINK_PULL keeps the output for quire_export_read() to hand over. */
enum sink_kind { SINK_FILE, SINK_FD, SINK_CALLBACK, SINK_PULL };

typedef struct out {
  char *buf;
  size_t len;
  enum sink_kind kind;
  q_outfile *file;
  int fd;
  quire_write_fn write;
  void *ctx;
  q_buf *pending;
  char *msg;
  size_t cap;       /* bytes of buf */
  q_bgwrite *bg;    /* the writing thread, once started, or NULL */
  unsigned flushes; /* buffers written so far, up to the thread's start */
} out;

/* Writes to SINK_FILE or SINK_FD, with the message going to msg: the
 * writing thread has a message of its own (a callback is always called on
 * the caller's thread, so it never goes there). */
static int write_file_sink(void *ctx, const char *data, size_t len, char *msg) {
  const out *o = ctx;
  if (o->kind == SINK_FILE)
    return q_outfile_write(o->file, data, len, msg);
  return q_write_all(o->fd, data, len, "the export's file descriptor", msg);
}

/* Starts the writing thread once enough buffers went out to pay for it. */
static void start_thread_when_due(out *o) {
  if (o->bg || (o->kind != SINK_FILE && o->kind != SINK_FD) ||
      ++o->flushes < OUT_FLUSHES_BEFORE_THREAD)
    return;
  if (o->cap < THREAD_BUFFER_SIZE) {
    char *bigger = q_realloc(o->buf, THREAD_BUFFER_SIZE);
    if (!bigger)
      return;
    o->buf = bigger;
    o->cap = THREAD_BUFFER_SIZE;
  }
  o->bg = q_bgwrite_start(write_file_sink, o, o->cap);
}

static int sink_write(out *o, const char *data, size_t len) {
  switch (o->kind) {
  case SINK_FILE:
  case SINK_FD:
    return write_file_sink(o, data, len, o->msg);
  case SINK_CALLBACK:
    if (o->write(o->ctx, data, len) != 0)
      return q_fail(o->msg, QUIRE_ECALLBACK,
                    "the write callback asked to stop");
    return QUIRE_OK;
  case SINK_PULL:
    if (q_buf_append(o->pending, data, len) != QUIRE_OK)
      return q_fail(o->msg, QUIRE_ENOMEM, "out of memory");
    return QUIRE_OK;
  }
  return q_fail(o->msg, QUIRE_EINVAL, "unknown output");
}

static int out_flush(out *o) {
  if (o->len == 0)
    return QUIRE_OK;
  int status = o->bg ? q_bgwrite_swap(o->bg, &o->buf, o->len, o->msg)
                     : sink_write(o, o->buf, o->len);
  o->len = 0;
  start_thread_when_due(o);
  return status;
}

/* Flushes o and waits for its writing thread, which then stops. */
static int out_end(out *o) {
  int status = out_flush(o);
  int written = q_bgwrite_finish(o->bg, o->msg);
  o->bg = NULL;
  o->flushes = 0;
  return status == QUIRE_OK ? written : status;
}

/* Stops o's writing thread after a failure, keeping the message there. */
static void out_drop(out *o) {
  char ignored[Q_MSG_CAP];
  (void)q_bgwrite_finish(o->bg, ignored);
  o->bg = NULL;
  o->flushes = 0;
  o->len = 0;
}

static int out_put(out *o, const char *data, size_t len) {
  if (len <= o->cap - o->len) {
    memcpy(o->buf + o->len, data, len);
    o->len += len;
    return QUIRE_OK;
  }
  int status = out_flush(o);
  if (status != QUIRE_OK)
    return status;
  if (len >= o->cap && !o->bg)
    return sink_write(o, data, len); /* too big to be worth a copy */
  /* The writing thread writes buffers in order: a large cell goes through
   * them too, so that it does not overtake the buffer in flight. */
  while (len >= o->cap) {
    size_t chunk = o->cap;
    memcpy(o->buf, data, chunk);
    o->len = chunk;
    if ((status = out_flush(o)) != QUIRE_OK)
      return status;
    data += chunk;
    len -= chunk;
  }
  memcpy(o->buf, data, len);
  o->len = len;
  return QUIRE_OK;
}

static int out_byte(out *o, char c) {
  if (o->len == o->cap) {
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
 * quoted as needed, or always when quote is non-zero. */
static int put_cell(out *o, const char *prefix, size_t prefix_len,
                    const char *data, size_t len, int alone, int quote) {
  enum quoting q = cell_quoting(data, len);
  if (q == QUOTE_NONE && quote)
    q = QUOTE_PLAIN;
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

size_t q_utf16_prefix(const char *data, size_t len, size_t limit) {
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

/* The columns that hold numbers (or are empty) in every row; the others
 * are text, which the excel dialect always quotes. datetime_utc is left
 * unquoted too, so that a spreadsheet may read it as the instant it is. */
static int is_number_column(int column) {
  return column == QUIRE_FIELD_ID || column == Q_COL_YEAR ||
         column == Q_COL_MONTH || column == Q_COL_DAY ||
         column == Q_COL_DATETIME_UTC;
}

/* Writes a cell in the excel dialect: text quoted, formula guard and length
 * cut. */
static int put_excel_cell(quire_export *exp, out *o, int column,
                          const char *data, size_t len, int alone) {
  if (is_number_column(column))
    return put_cell(o, NULL, 0, data, len, alone, 0);
  size_t prefix_len = starts_formula(data, len) ? 1 : 0;
  size_t keep = q_utf16_prefix(data, len, EXCEL_CELL_MAX - prefix_len);
  if (keep < len)
    exp->cells_cut++;
  return put_cell(o, "'", prefix_len, data, keep, alone, 1);
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
  char buf[48];
  for (size_t i = 0; i < exp->column_count; i++) {
    const char *data;
    size_t len;
    int status = q_export_cell(exp, cur, exp->columns[i], buf, &data, &len);
    if (status != QUIRE_OK)
      return status;
    if (i > 0 && (status = out_byte(o, ',')) != QUIRE_OK)
      return status;
    status = exp->dialect == QUIRE_CSV_EXCEL
                 ? put_excel_cell(exp, o, exp->columns[i], data, len, alone)
                 : put_cell(o, NULL, 0, data, len, alone, 0);
    if (status != QUIRE_OK)
      return status;
  }
  return put_line_end(exp, o);
}

/* ---- what both exports share (export.h) ---------------------------------- */

/* Rows between two calls of the progress callback. */
#define PROGRESS_STEP 1024u

/* Whether a file's rows_in_file-th data row is past a spreadsheet sheet. */
static int over_sheet(uint64_t rows_in_file) {
  return rows_in_file > Q_SHEET_ROWS - 1;
}

/* ---- the pull-style run (quire_export_read) ------------------------------ */

enum pull_state { PULL_RUNNING, PULL_DONE, PULL_FAILED };

/* A quire_export_read() run: rows go through o, whose buffer empties into
 * pending, from which reads copy them out. */
typedef struct q_pull {
  out o;
  q_buf pending;
  size_t pending_at;    /* bytes of pending already read */
  quire_cursor *cursor; /* NULL once every row is in o or pending */
  uint64_t in_file;
  enum pull_state state;
} q_pull;

static void pull_release(q_pull *p) {
  quire_cursor_free(p->cursor);
  p->cursor = NULL;
  q_free(p->o.buf);
  p->o.buf = NULL;
  q_buf_free(&p->pending);
  p->pending_at = 0;
}

static void pull_free(quire_export *exp) {
  if (!exp->pull)
    return;
  pull_release(exp->pull);
  q_free(exp->pull);
  exp->pull = NULL;
}

int q_export_idle(quire_export *exp) {
  if (exp->pull && exp->pull->state == PULL_RUNNING)
    return q_fail(exp->msg, QUIRE_ESTATE,
                  "a quire_export_read() run is under way: read it to the "
                  "end or free the export");
  pull_free(exp);
  return QUIRE_OK;
}

/* The selection's size when the sources and dates decide it; counting the
 * matches of terms would read the texts twice. */
static uint64_t selection_size(const quire_export *exp) {
  uint64_t count = 0;
  if (exp->filter && q_filter_terms(exp->filter))
    return 0;
  if (quire_corpus_count_matches(exp->corpus, exp->filter, &count) != QUIRE_OK)
    return 0;
  return count;
}

int q_export_begin(quire_export *exp) {
  int status = q_export_idle(exp);
  if (status != QUIRE_OK)
    return status;
  exp->rows = 0;
  exp->cells_cut = 0;
  exp->rows_over_sheet = 0;
  exp->files = 0;
  exp->msg[0] = '\0';
  exp->progress_total = exp->progress ? selection_size(exp) : 0;
  return QUIRE_OK;
}

static int report_progress(quire_export *exp) {
  if (exp->progress(exp->progress_ctx, exp->rows, exp->progress_total) == 0)
    return QUIRE_OK;
  return q_fail(exp->msg, QUIRE_ECALLBACK,
                "the progress callback asked to stop");
}

int q_export_count_row(quire_export *exp, int over_sheet) {
  exp->rows++;
  if (over_sheet)
    exp->rows_over_sheet++;
  if (exp->progress && exp->rows % PROGRESS_STEP == 0)
    return report_progress(exp);
  return QUIRE_OK;
}

int q_export_report_end(quire_export *exp) {
  return exp->progress ? report_progress(exp) : QUIRE_OK;
}

int q_export_cursor(quire_export *exp, quire_cursor **out_cur) {
  quire_cursor *cur = NULL;
  int status = quire_cursor_open(exp->corpus, exp->filter, &cur);
  if (status != QUIRE_OK) {
    q_fail(exp->msg, status, "%s",
           cur ? quire_cursor_errmsg(cur) : quire_strerror(status));
    quire_cursor_free(cur);
    return status;
  }
  /* Inflating blocks is most of the work: inflate the next ones on the
   * other core while this one writes. Optional: without the threads it is
   * slower only. */
  int kinds = 0;
  for (size_t i = 0; i < exp->column_count; i++) {
    int field = exp->columns[i];
    if (field == QUIRE_FIELD_TEXT)
      kinds |= Q_AHEAD_TEXT;
    else if (field >= QUIRE_FIELD_TITLE && field <= QUIRE_FIELD_URL)
      kinds |= Q_AHEAD_META;
  }
  if (kinds)
    q_cursor_read_ahead(cur, kinds);
  *out_cur = cur;
  return QUIRE_OK;
}

/* Reads the digits of the date as given ("2016-01-31T09:22+03:00"): the year
 * at 0, the month at 5, the day at 8, so that they say the calendar date
 * the source wrote, whatever its zone. */
static size_t date_part(const char *date, size_t len, size_t at, size_t n,
                        char *buf) {
  if (len < at + n)
    return 0;
  size_t start = at;
  while (start + 1 < at + n && date[start] == '0')
    start++; /* 7, not 07, and 1, not 0001: an integer */
  memcpy(buf, date + start, at + n - start);
  buf[at + n - start] = '\0';
  return at + n - start;
}

static const char *const precision_names[] = {"",    "year",   "month",
                                              "day", "minute", "second"};

int q_export_cell(quire_export *exp, quire_cursor *cur, int column, char *buf,
                  const char **data, size_t *len) {
  int field = column <= QUIRE_FIELD_TEXT ? column : QUIRE_FIELD_DATE;
  int status = quire_cursor_field(cur, field, data, len);
  if (status != QUIRE_OK)
    return q_fail(exp->msg, status, "document %llu: %s",
                  (unsigned long long)quire_cursor_doc(cur),
                  quire_cursor_errmsg(cur));
  if (column <= QUIRE_FIELD_TEXT)
    return QUIRE_OK;
  int precision = quire_cursor_date_precision(cur);
  const char *date = *data;
  size_t date_len = *len;
  *data = buf;
  *len = 0;
  buf[0] = '\0';
  switch (column) {
  case Q_COL_YEAR:
    if (precision >= QUIRE_DATE_YEAR)
      *len = date_part(date, date_len, 0, 4, buf);
    break;
  case Q_COL_MONTH:
    if (precision >= QUIRE_DATE_MONTH)
      *len = date_part(date, date_len, 5, 2, buf);
    break;
  case Q_COL_DAY:
    if (precision >= QUIRE_DATE_DAY)
      *len = date_part(date, date_len, 8, 2, buf);
    break;
  case Q_COL_DATETIME_UTC:
    if (precision != QUIRE_DATE_NONE)
      *len =
          quire_date_format(quire_cursor_date(cur), QUIRE_DATE_SECOND, buf, 32);
    break;
  default: /* Q_COL_DATE_PRECISION */
    if (precision >= 0 && precision <= QUIRE_DATE_SECOND) {
      *data = precision_names[precision];
      *len = strlen(*data);
    }
    break;
  }
  return QUIRE_OK;
}

char *q_export_part_path(const char *path, uint64_t part) {
  size_t len = strlen(path);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  /* A leading dot (".csv") names a hidden file, not an extension. */
  size_t stem = dot && dot > base ? (size_t)(dot - path) : len;
  size_t cap = len + 32;
  char *name = q_malloc(cap);
  if (name)
    snprintf(name, cap, "%.*s-%03llu%s", (int)stem, path,
             (unsigned long long)part, path + stem);
  return name;
}

void q_export_remove_parts(const char *path, uint64_t count) {
  for (uint64_t part = 1; part <= count; part++) {
    char *name = q_export_part_path(path, part);
    if (name)
      unlink(name);
    q_free(name);
  }
}

/* ---- runs ---------------------------------------------------------------- */

/* Writes every row of cur after the header into o. */
static int run_rows(quire_export *exp, quire_cursor *cur, out *o) {
  int status = put_header(exp, o);
  int step = QUIRE_DONE;
  uint64_t in_file = 0;
  while (status == QUIRE_OK && (step = quire_cursor_next(cur)) == QUIRE_ROW) {
    status = put_row(exp, cur, o);
    if (status == QUIRE_OK)
      status = q_export_count_row(exp, over_sheet(++in_file));
  }
  if (status == QUIRE_OK && step != QUIRE_DONE)
    status = q_fail(exp->msg, step, "%s", quire_cursor_errmsg(cur));
  if (status == QUIRE_OK)
    status = q_export_report_end(exp);
  if (status == QUIRE_OK)
    exp->files = 1;
  if (status == QUIRE_OK)
    return out_end(o);
  out_drop(o);
  return status;
}

/* Starts a run: clears the counters and makes the output buffer. */
static int run_start(quire_export *exp, out *o) {
  int status = q_export_begin(exp);
  if (status != QUIRE_OK)
    return status;
  o->msg = exp->msg;
  o->len = 0;
  o->buf = q_malloc(OUT_BUFFER_SIZE);
  o->cap = OUT_BUFFER_SIZE;
  if (!o->buf)
    return q_fail(exp->msg, QUIRE_ENOMEM, "out of memory");
  return QUIRE_OK;
}

/* Runs the export into the sink o describes. */
static int run(quire_export *exp, out *o) {
  if (!exp)
    return QUIRE_EINVAL;
  int status = run_start(exp, o);
  if (status != QUIRE_OK)
    return status;
  if (exp->split_rows)
    status = q_fail(exp->msg, QUIRE_EINVAL,
                    "an export split into files needs a path");
  quire_cursor *cur = NULL;
  if (status == QUIRE_OK)
    status = q_export_cursor(exp, &cur);
  if (status == QUIRE_OK)
    status = run_rows(exp, cur, o);
  quire_cursor_free(cur);
  q_free(o->buf);
  return status;
}

static int run_start(quire_export *exp, out *o);

/* Starts a quire_export_read() run, with the header waiting in its output. */
static int pull_start(quire_export *exp) {
  if (exp->split_rows)
    return q_fail(exp->msg, QUIRE_EINVAL,
                  "an export split into files needs a path");
  q_pull *p = q_calloc(1, sizeof *p);
  if (!p)
    return q_fail(exp->msg, QUIRE_ENOMEM, "out of memory");
  p->o.kind = SINK_PULL;
  p->o.pending = &p->pending;
  int status = run_start(exp, &p->o);
  if (status == QUIRE_OK)
    status = q_export_cursor(exp, &p->cursor);
  if (status == QUIRE_OK)
    status = put_header(exp, &p->o);
  if (status != QUIRE_OK) {
    pull_release(p);
    q_free(p);
    return status;
  }
  exp->pull = p;
  return QUIRE_OK;
}

/* Moves the run one row on; after the last row, flushes o. */
static int pull_step(quire_export *exp, q_pull *p) {
  int step = quire_cursor_next(p->cursor);
  if (step == QUIRE_ROW) {
    int status = put_row(exp, p->cursor, &p->o);
    if (status != QUIRE_OK)
      return status;
    return q_export_count_row(exp, over_sheet(++p->in_file));
  }
  if (step != QUIRE_DONE)
    return q_fail(exp->msg, step, "%s", quire_cursor_errmsg(p->cursor));
  quire_cursor_free(p->cursor);
  p->cursor = NULL;
  int status = q_export_report_end(exp);
  if (status == QUIRE_OK)
    status = out_flush(&p->o);
  if (status == QUIRE_OK)
    exp->files = 1;
  return status;
}

/* Copies what pending holds, as much as fits, into buf from *n on. */
static void pull_copy(q_pull *p, char *buf, size_t cap, size_t *n) {
  size_t len = p->pending.len - p->pending_at;
  if (len > cap - *n)
    len = cap - *n;
  memcpy(buf + *n, p->pending.data + p->pending_at, len);
  p->pending_at += len;
  *n += len;
  if (p->pending_at == p->pending.len)
    p->pending.len = p->pending_at = 0;
}

/* Fills buf from the run; ends it on a failure or when nothing is left. */
static int pull_fill(quire_export *exp, q_pull *p, char *buf, size_t cap,
                     size_t *n) {
  int status = QUIRE_OK;
  while (*n < cap && status == QUIRE_OK) {
    if (p->pending.len > p->pending_at)
      pull_copy(p, buf, cap, n);
    else if (p->cursor)
      status = pull_step(exp, p);
    else
      break;
  }
  if (status != QUIRE_OK) {
    *n = 0;
    p->state = PULL_FAILED;
    pull_release(p);
    return status;
  }
  if (*n > 0)
    return QUIRE_OK;
  p->state = PULL_DONE;
  pull_release(p);
  return QUIRE_DONE;
}

/* Opens part number part of a split export as o's file, with its header. */
static int part_open(quire_export *exp, const char *path, uint64_t part,
                     q_outfile *file, out *o) {
  char *name = q_export_part_path(path, part);
  if (!name)
    return q_fail(exp->msg, QUIRE_ENOMEM, "out of memory");
  int status = q_outfile_open(file, name, exp->msg);
  q_free(name);
  if (status != QUIRE_OK)
    return status;
  o->kind = SINK_FILE;
  o->file = file;
  o->len = 0;
  status = put_header(exp, o);
  if (status != QUIRE_OK) {
    out_drop(o);
    q_outfile_abort(file);
  }
  return status;
}

/* Flushes and commits the part being written. */
static int part_close(quire_export *exp, q_outfile *file, out *o) {
  int status = out_end(o);
  if (status == QUIRE_OK)
    return q_outfile_commit(file, exp->msg);
  q_outfile_abort(file);
  return status;
}

/* Writes the selection to numbered files of at most split_rows rows each;
 * an empty selection still makes one file, with the header only. */
static int run_split(quire_export *exp, quire_cursor *cur, const char *path,
                     out *o) {
  q_outfile file;
  int open = 0, status = QUIRE_OK, step;
  uint64_t in_file = 0;
  while ((step = quire_cursor_next(cur)) == QUIRE_ROW) {
    if (!open) {
      if ((status = part_open(exp, path, exp->files + 1, &file, o)) != QUIRE_OK)
        break;
      open = 1;
      in_file = 0;
    }
    if ((status = put_row(exp, cur, o)) != QUIRE_OK ||
        (status = q_export_count_row(exp, over_sheet(++in_file))) != QUIRE_OK)
      break;
    if (in_file == exp->split_rows) {
      open = 0;
      if ((status = part_close(exp, &file, o)) != QUIRE_OK)
        break;
      exp->files++;
    }
  }
  if (status == QUIRE_OK && step != QUIRE_DONE)
    status = q_fail(exp->msg, step, "%s", quire_cursor_errmsg(cur));
  if (status == QUIRE_OK)
    status = q_export_report_end(exp);
  if (status == QUIRE_OK && !open && exp->files == 0) {
    status = part_open(exp, path, 1, &file, o);
    open = status == QUIRE_OK;
  }
  if (open) {
    if (status == QUIRE_OK)
      status = part_close(exp, &file, o);
    else {
      out_drop(o);
      q_outfile_abort(&file);
    }
    if (status == QUIRE_OK)
      exp->files++;
  }
  if (status != QUIRE_OK) {
    q_export_remove_parts(path, exp->files);
    exp->files = 0;
  }
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
  for (size_t i = 0; i < DEFAULT_COLUMN_COUNT; i++)
    exp->columns[i] = (int)i;
  exp->column_count = DEFAULT_COLUMN_COUNT;
  exp->dialect = QUIRE_CSV_PLAIN;
  *out_exp = exp;
  if (!corpus)
    return q_fail(exp->msg, QUIRE_EINVAL, "corpus is NULL");
  return QUIRE_OK;
}

void quire_export_free(quire_export *exp) {
  if (!exp)
    return;
  pull_free(exp);
  quire_filter_free(exp->filter);
  q_free(exp);
}

int quire_export_set_filter(quire_export *exp, const quire_filter *filter) {
  if (!exp)
    return QUIRE_EINVAL;
  if (q_export_idle(exp) != QUIRE_OK)
    return QUIRE_ESTATE;
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
  if (q_export_idle(exp) != QUIRE_OK)
    return QUIRE_ESTATE;
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
                    "title, author, url, text, year, month, day, "
                    "datetime_utc, date_precision)",
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
  if (q_export_idle(exp) != QUIRE_OK)
    return QUIRE_ESTATE;
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
  out o = {.kind = SINK_FILE};
  int status = run_start(exp, &o);
  quire_cursor *cur = NULL;
  if (status == QUIRE_OK)
    status = q_export_cursor(exp, &cur);
  if (status == QUIRE_OK && exp->split_rows)
    status = run_split(exp, cur, path, &o);
  else if (status == QUIRE_OK) {
    q_outfile file;
    status = q_outfile_open(&file, path, exp->msg);
    if (status == QUIRE_OK) {
      o.file = &file;
      status = run_rows(exp, cur, &o);
      if (status == QUIRE_OK)
        status = q_outfile_commit(&file, exp->msg);
      else
        q_outfile_abort(&file);
    }
  }
  quire_cursor_free(cur);
  q_free(o.buf);
  return status;
}

int quire_export_read(quire_export *exp, char *buf, size_t cap, size_t *n) {
  if (!exp)
    return QUIRE_EINVAL;
  if (!n || !buf || cap == 0)
    return q_fail(exp->msg, QUIRE_EINVAL, "buf or n is NULL, or cap is 0");
  *n = 0;
  if (!exp->pull) {
    int status = pull_start(exp);
    if (status != QUIRE_OK)
      return status;
  }
  switch (exp->pull->state) {
  case PULL_DONE:
    return QUIRE_DONE;
  case PULL_FAILED:
    return q_fail(exp->msg, QUIRE_ESTATE,
                  "the export's run failed: change a setting or start the "
                  "export again");
  case PULL_RUNNING:
    break;
  }
  return pull_fill(exp, exp->pull, buf, cap, n);
}

int quire_export_set_progress(quire_export *exp, quire_progress_fn progress,
                              void *ctx) {
  if (!exp)
    return QUIRE_EINVAL;
  int status = q_export_idle(exp);
  if (status != QUIRE_OK)
    return status;
  exp->progress = progress;
  exp->progress_ctx = progress ? ctx : NULL;
  return QUIRE_OK;
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

int quire_export_set_split_rows(quire_export *exp, uint64_t rows) {
  if (!exp)
    return QUIRE_EINVAL;
  if (q_export_idle(exp) != QUIRE_OK)
    return QUIRE_ESTATE;
  exp->split_rows = rows;
  return QUIRE_OK;
}

uint64_t quire_export_rows_over_sheet(const quire_export *exp) {
  return exp ? exp->rows_over_sheet : 0;
}

uint64_t quire_export_files(const quire_export *exp) {
  return exp ? exp->files : 0;
}

const char *quire_export_errmsg(const quire_export *exp) {
  return exp ? exp->msg : "export is NULL";
}
