/*
 * csv_import.c: reads CSV files into a quire_writer.
 *
 * libcsv parses the input in strict RFC 4180 mode, 64 KiB at a time, and
 * hands over one field at a time; the fields of the current record that map
 * to a document field are copied into one row buffer, and each complete
 * record goes to quire_writer_add_document(). Memory therefore grows with the
 * largest row, never with the input.
 *
 * The header row names the columns. Names are matched case-insensitively
 * against the caller's explicit mappings first, then the aliases real
 * datasets use; "id" (which exports carry) is dropped silently and any other
 * unknown column is named in a warning and not stored.
 *
 * Every error names the input, the record ("row", the header being row 1)
 * and, where there is one, the column as the header spells it.
 */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_pipe.h"
#include "internal.h"

/* Input bytes between two calls of the progress callback. */
#define PROGRESS_STEP (1u << 20)
#define SKIPPED_ROWS_KEPT 1000u
/* Each skipped row also leaves one warning line, up to this many. */
#define SKIP_WARNINGS_KEPT 100u

/* The parts of a row that columns fill. QUIRE_FIELD_TEXT and
 * QUIRE_FIELD_FILE share one slot: both give the text. */
enum {
  SLOT_SOURCE,
  SLOT_DATE,
  SLOT_TITLE,
  SLOT_AUTHOR,
  SLOT_URL,
  SLOT_TEXT,
  SLOT_COUNT
};

static const char *const slot_names[SLOT_COUNT] = {"source", "date", "title",
                                                   "author", "url",  "text"};

/* Returns the slot a field fills, or -1 for QUIRE_FIELD_IGNORE. */
static int slot_of(int field) {
  if (field >= QUIRE_FIELD_SOURCE && field <= QUIRE_FIELD_TEXT)
    return field - QUIRE_FIELD_SOURCE;
  return field == QUIRE_FIELD_FILE ? SLOT_TEXT : -1;
}

static const struct alias {
  const char *name;
  int field;
} aliases[] = {
    {"source", QUIRE_FIELD_SOURCE}, {"publication", QUIRE_FIELD_SOURCE},
    {"site", QUIRE_FIELD_SOURCE},   {"outlet", QUIRE_FIELD_SOURCE},
    {"date", QUIRE_FIELD_DATE},     {"published", QUIRE_FIELD_DATE},
    {"pubdate", QUIRE_FIELD_DATE},  {"datetime", QUIRE_FIELD_DATE},
    {"title", QUIRE_FIELD_TITLE},   {"headline", QUIRE_FIELD_TITLE},
    {"author", QUIRE_FIELD_AUTHOR}, {"byline", QUIRE_FIELD_AUTHOR},
    {"url", QUIRE_FIELD_URL},       {"link", QUIRE_FIELD_URL},
    {"text", QUIRE_FIELD_TEXT},     {"content", QUIRE_FIELD_TEXT},
    {"body", QUIRE_FIELD_TEXT},     {"article", QUIRE_FIELD_TEXT},
    {"file", QUIRE_FIELD_FILE},     {"id", QUIRE_FIELD_IGNORE},
};

typedef struct mapping {
  char *name;
  size_t len;
  int field;
} mapping;

struct quire_import {
  mapping *maps;
  size_t map_count;
  size_t map_cap;
  int skip_bad_rows;
  char *base_dir; /* NULL: the CSV file's directory, or "." for buffers */
  quire_progress_fn progress;
  void *progress_ctx;
  uint64_t rows;
  uint64_t skipped;
  uint64_t skipped_rows[SKIPPED_ROWS_KEPT];
  q_buf warnings; /* NUL-terminated when not empty */
  char msg[Q_MSG_CAP];
};

/* A column of the header: where its name is and what it fills. */
typedef struct column {
  size_t name_off;
  size_t name_len;
  int field; /* QUIRE_FIELD_*, or -1 when unknown */
} column;

/* The state of one run over one input. */
typedef struct run {
  quire_import *imp;
  quire_writer *writer;
  const char *name; /* the input, as messages name it */
  const char *base_dir;
  struct csv_parser parser;
  q_buf names; /* the header's column names */
  column *columns;
  size_t column_count;
  size_t column_cap;
  int header_done;
  int slot_column[SLOT_COUNT]; /* the column filling each slot, or -1 */
  int text_from_file;
  int fed;            /* some input has been given to the parser */
  uint64_t record;    /* records finished; the header is record 1 */
  size_t field_index; /* fields seen so far in the current record */
  q_buf row;          /* the current record's stored fields */
  size_t slot_off[SLOT_COUNT];
  size_t slot_len[SLOT_COUNT];
  q_buf file_text;   /* the text of a QUIRE_FIELD_FILE column */
  uint64_t consumed; /* input bytes given to the parser */
  uint64_t reported; /* consumed when progress was last reported */
  uint64_t total;    /* the input's size, 0 when not known */
  int status;        /* the first error that stops the run */
} run;

/* ---- messages ------------------------------------------------------------ */

static const char *column_name(const run *r, int col, size_t *len) {
  *len = r->columns[col].name_len;
  /* When every name is empty the buffer was never allocated. */
  return r->names.data ? r->names.data + r->columns[col].name_off : "";
}

/* Appends one line to the warnings. Running out of memory here loses the
 * warning, not the import. */
static void warn(run *r, const char *line, size_t len) {
  q_buf *w = &r->imp->warnings;
  if (q_buf_reserve(w, len + 2) != QUIRE_OK)
    return;
  memcpy(w->data + w->len, line, len);
  w->len += len;
  w->data[w->len++] = '\n';
  w->data[w->len] = '\0';
}

/* Copies at most MESSAGE_EXCERPT bytes of data into out as a C string, with
 * control bytes shown as '?', so that a message stays one line. */
#define MESSAGE_EXCERPT 100
static void excerpt(char *out, const char *data, size_t len) {
  if (len > MESSAGE_EXCERPT)
    len = MESSAGE_EXCERPT;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)data[i];
    out[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
  }
  out[len] = '\0';
}

/* Formats "name: row N, column C: detail" into msg. col may be -1. */
static void row_message(const run *r, char *msg, uint64_t row, int col,
                        const char *detail) {
  if (col < 0) {
    snprintf(msg, Q_MSG_CAP, "%s: row %llu: %s", r->name,
             (unsigned long long)row, detail);
    return;
  }
  size_t len;
  const char *name = column_name(r, col, &len);
  char shown[MESSAGE_EXCERPT + 1];
  excerpt(shown, name, len);
  snprintf(msg, Q_MSG_CAP, "%s: row %llu, column %s: %s", r->name,
           (unsigned long long)row, shown, detail);
}

/* Reports a bad row: skipped and recorded in skip mode, else the end of the
 * run. */
static void bad_row(run *r, int status, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad_row(run *r, int status, int col, const char *fmt, ...) {
  char detail[Q_MSG_CAP];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  quire_import *imp = r->imp;
  if (!imp->skip_bad_rows) {
    row_message(r, imp->msg, r->record, col, detail);
    r->status = status;
    return;
  }
  if (imp->skipped < SKIPPED_ROWS_KEPT)
    imp->skipped_rows[imp->skipped] = r->record;
  if (imp->skipped < SKIP_WARNINGS_KEPT) {
    char line[Q_MSG_CAP];
    row_message(r, line, r->record, col, detail);
    warn(r, line, strlen(line));
  }
  imp->skipped++;
}

/* Stops the run with a status and a message naming only the input. */
static void fail_run(run *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_run(run *r, int status, const char *fmt, ...) {
  char *msg = r->imp->msg;
  int used = snprintf(msg, Q_MSG_CAP, "%s: ", r->name);
  if (used >= 0 && used < (int)Q_MSG_CAP) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + used, Q_MSG_CAP - (size_t)used, fmt, ap);
    va_end(ap);
  }
  r->status = status;
}

/* ---- the header ---------------------------------------------------------- */

static int add_column_name(run *r, const char *data, size_t len) {
  column *columns = q_grow(r->columns, &r->column_cap, r->column_count + 1,
                           sizeof *columns, 16);
  if (!columns)
    return QUIRE_ENOMEM;
  r->columns = columns;
  /* Surrounding blanks are not part of a name ("Title , Body"). */
  while (len > 0 && (*data == ' ' || *data == '\t'))
    data++, len--;
  while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\t'))
    len--;
  column *c = &r->columns[r->column_count];
  c->name_off = r->names.len;
  c->name_len = len;
  c->field = -1;
  if (q_buf_append(&r->names, data, len) != QUIRE_OK)
    return QUIRE_ENOMEM;
  r->column_count++;
  return QUIRE_OK;
}

static int lookup_field(const quire_import *imp, const char *name, size_t len) {
  for (size_t i = imp->map_count; i-- > 0;) /* the latest mapping wins */
    if (imp->maps[i].len == len &&
        strncasecmp(imp->maps[i].name, name, len) == 0)
      return imp->maps[i].field;
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strlen(aliases[i].name) == len &&
        strncasecmp(aliases[i].name, name, len) == 0)
      return aliases[i].field;
  return -1;
}

/* Appends a column name to a warning line, quoted, with any invalid UTF-8
 * replaced so that the warnings stay valid text, and control bytes shown as
 * '?': a NUL would end the warnings string and a newline split the line. */
static int append_quoted_name(q_buf *line, const char *name, size_t len) {
  if (len > 100)
    len = 100;
  int status = q_buf_append(line, "\"", 1);
  size_t start = line->len;
  if (status == QUIRE_OK)
    status = q_utf8_repair(name, len, line);
  for (size_t i = start; status == QUIRE_OK && i < line->len; i++)
    if ((unsigned char)line->data[i] < 0x20 || line->data[i] == 0x7F)
      line->data[i] = '?';
  if (status == QUIRE_OK)
    status = q_buf_append(line, "\"", 1);
  return status;
}

/* Warns once about every column that is neither known nor mapped. */
static void warn_unknown_columns(run *r) {
  q_buf line = {0};
  int status = QUIRE_OK;
  for (size_t i = 0; i < r->column_count && status == QUIRE_OK; i++) {
    if (r->columns[i].field >= 0)
      continue;
    const char *sep = line.len ? ", " : "";
    if (!line.len) {
      status = q_buf_append(&line, r->name, strlen(r->name));
      if (status == QUIRE_OK)
        status = q_buf_append(&line, ": unknown columns not stored: ", 30);
    }
    if (status == QUIRE_OK)
      status = q_buf_append(&line, sep, strlen(sep));
    size_t len;
    const char *name = column_name(r, (int)i, &len);
    if (status == QUIRE_OK)
      status = append_quoted_name(&line, name, len);
  }
  if (status == QUIRE_OK && line.len)
    warn(r, line.data, line.len);
  q_buf_free(&line);
}

/* Resolves what every column fills, refusing two columns for one slot. */
static void finish_header(run *r) {
  int known = 0;
  for (size_t i = 0; i < r->column_count; i++) {
    size_t len;
    const char *name = column_name(r, (int)i, &len);
    int field = lookup_field(r->imp, name, len);
    r->columns[i].field = field;
    int slot = field < 0 ? -1 : slot_of(field);
    if (field >= 0)
      known = 1;
    if (slot < 0)
      continue;
    if (r->slot_column[slot] >= 0) {
      size_t other_len;
      const char *other = column_name(r, r->slot_column[slot], &other_len);
      char first[MESSAGE_EXCERPT + 1], second[MESSAGE_EXCERPT + 1];
      excerpt(first, other, other_len);
      excerpt(second, name, len);
      fail_run(r, QUIRE_EINVAL, "columns \"%s\" and \"%s\" both map to %s",
               first, second, slot_names[slot]);
      return;
    }
    r->slot_column[slot] = (int)i;
    if (field == QUIRE_FIELD_FILE)
      r->text_from_file = 1;
  }
  if (!known) {
    fail_run(r, QUIRE_ECSV,
             "row 1: the header names no known column (expected some of "
             "source, date, title, author, url, text, file)");
    return;
  }
  warn_unknown_columns(r);
  r->header_done = 1;
}

/* ---- rows ---------------------------------------------------------------- */

/* Reads the text file a QUIRE_FIELD_FILE column names into r->file_text. */
static int read_text_file(run *r, const char *name, size_t len, char *detail) {
  if (len == 0)
    return q_fail(detail, QUIRE_ENOTFOUND, "empty file name");
  if (memchr(name, '\0', len))
    return q_fail(detail, QUIRE_EINVAL, "file name holds a NUL byte");
  char path[4096];
  int n = name[0] == '/'
              ? snprintf(path, sizeof path, "%s", name)
              : snprintf(path, sizeof path, "%s/%s", r->base_dir, name);
  if (n < 0 || (size_t)n >= sizeof path)
    return q_fail(detail, QUIRE_ELIMIT, "file path is too long");
  /* O_NONBLOCK: opening a FIFO would wait for a writer forever; it is
   * refused below as not a regular file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  int err = errno;
  if (fd < 0)
    return q_fail(detail, err == ENOENT ? QUIRE_ENOTFOUND : QUIRE_EIO,
                  "cannot open \"%s\": %s", path, strerror(err));
  struct stat st;
  int status = QUIRE_OK;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    status = q_fail(detail, QUIRE_EIO, "\"%s\" is not a regular file", path);
  else if ((uint64_t)st.st_size > QUIRE_MAX_TEXT_LENGTH)
    status = q_fail(detail, QUIRE_ELIMIT,
                    "\"%s\" holds %llu bytes, over the text limit of %u", path,
                    (unsigned long long)st.st_size, QUIRE_MAX_TEXT_LENGTH);
  r->file_text.len = 0;
  while (status == QUIRE_OK) {
    if (q_buf_reserve(&r->file_text, Q_CSV_READ_CHUNK) != QUIRE_OK) {
      status = q_fail(detail, QUIRE_ENOMEM, "out of memory");
      break;
    }
    size_t got = q_io_read(fd, r->file_text.data + r->file_text.len,
                           Q_CSV_READ_CHUNK, Q_IO_HERE);
    if (got < Q_CSV_READ_CHUNK && errno != 0)
      status = q_fail(detail, QUIRE_EIO, "cannot read \"%s\": %s", path,
                      strerror(errno));
    r->file_text.len += got;
    if (got < Q_CSV_READ_CHUNK)
      break;
    if (r->file_text.len > QUIRE_MAX_TEXT_LENGTH)
      status =
          q_fail(detail, QUIRE_ELIMIT, "\"%s\" is over the text limit", path);
  }
  close(fd);
  return status;
}

static uint64_t slot_limit(int slot) {
  if (slot == SLOT_SOURCE)
    return QUIRE_MAX_SOURCE_LENGTH;
  return slot == SLOT_TEXT ? QUIRE_MAX_TEXT_LENGTH : QUIRE_MAX_FIELD_LENGTH;
}

/* The bytes that go to the writer for a slot. */
static const char *slot_data(const run *r, int slot, size_t *len) {
  if (slot == SLOT_TEXT && r->text_from_file) {
    *len = r->file_text.len;
    return r->file_text.data;
  }
  *len = r->slot_len[slot];
  return r->row.data ? r->row.data + r->slot_off[slot] : NULL;
}

/* The writer refused the row for bad data: finds and names the column. The
 * writer checks everything itself, so the happy path pays for no second
 * check; this runs only on the way to an error. */
static void blame_column(run *r, int status) {
  for (int slot = 0; slot < SLOT_COUNT; slot++) {
    size_t len;
    const char *data = slot_data(r, slot, &len);
    int col = r->slot_column[slot];
    if (status == QUIRE_EDATE && slot == SLOT_DATE) {
      char shown[MESSAGE_EXCERPT + 1];
      excerpt(shown, data, len);
      bad_row(r, status, col, "bad date \"%s\" (expected ISO 8601 or RFC 2822)",
              shown);
      return;
    }
    size_t valid = status == QUIRE_EUTF8 ? q_utf8_valid(data, len) : len;
    if (valid < len) {
      bad_row(r, status, col, "invalid UTF-8 at byte %zu of the %s", valid,
              slot_names[slot]);
      return;
    }
    if (status == QUIRE_ELIMIT && len > slot_limit(slot)) {
      bad_row(r, status, col, "%zu bytes, over the limit of %llu", len,
              (unsigned long long)slot_limit(slot));
      return;
    }
    /* Under QUIRE_UTF8_REPLACE each invalid byte becomes three: a field
     * within the limit can pass it once repaired. */
    if (status == QUIRE_ELIMIT && q_utf8_valid(data, len) < len) {
      bad_row(r, status, col,
              "over the limit of %llu bytes once its "
              "invalid UTF-8 is replaced",
              (unsigned long long)slot_limit(slot));
      return;
    }
  }
  /* Not a column's fault: a limit of the whole corpus. */
  fail_run(r, status, "row %llu: %s", (unsigned long long)r->record,
           quire_writer_errmsg(r->writer));
}

static void add_row(run *r) {
  if (r->text_from_file) {
    char detail[Q_MSG_CAP];
    size_t len;
    const char *name = r->row.data + r->slot_off[SLOT_TEXT];
    len = r->slot_len[SLOT_TEXT];
    int status = read_text_file(r, name, len, detail);
    if (status != QUIRE_OK) {
      bad_row(r, status, r->slot_column[SLOT_TEXT], "%s", detail);
      return;
    }
  }
  const char *d[SLOT_COUNT];
  size_t n[SLOT_COUNT];
  for (int slot = 0; slot < SLOT_COUNT; slot++)
    d[slot] = slot_data(r, slot, &n[slot]);
  quire_document doc = QUIRE_DOCUMENT_INIT;
  doc.source = d[SLOT_SOURCE];
  doc.source_len = n[SLOT_SOURCE];
  doc.date = d[SLOT_DATE];
  doc.date_len = n[SLOT_DATE];
  doc.title = d[SLOT_TITLE];
  doc.title_len = n[SLOT_TITLE];
  doc.author = d[SLOT_AUTHOR];
  doc.author_len = n[SLOT_AUTHOR];
  doc.url = d[SLOT_URL];
  doc.url_len = n[SLOT_URL];
  doc.text = d[SLOT_TEXT];
  doc.text_len = n[SLOT_TEXT];
  int status = quire_writer_add_document(r->writer, &doc);
  if (status == QUIRE_OK) {
    r->imp->rows++;
  } else if (status == QUIRE_EDATE || status == QUIRE_EUTF8 ||
             status == QUIRE_ELIMIT) {
    blame_column(r, status);
  } else {
    fail_run(r, status, "row %llu: %s", (unsigned long long)r->record,
             quire_writer_errmsg(r->writer));
  }
}

/* ---- libcsv callbacks ---------------------------------------------------- */

static void on_field(void *data, size_t len, void *ctx) {
  run *r = ctx;
  if (r->status != QUIRE_OK)
    return; /* libcsv cannot be stopped mid-chunk: ignore the rest */
  if (!r->header_done) {
    if (add_column_name(r, data, len) != QUIRE_OK)
      fail_run(r, QUIRE_ENOMEM, "out of memory");
    return;
  }
  size_t index = r->field_index++;
  if (index >= r->column_count)
    return; /* counted, and refused at the end of the record */
  int field = r->columns[index].field;
  int slot = field < 0 ? -1 : slot_of(field);
  if (slot < 0)
    return;
  r->slot_off[slot] = r->row.len;
  r->slot_len[slot] = len;
  /* One more byte so that every stored field is NUL-terminated: a file name
   * is used as a C string. */
  if (q_buf_append(&r->row, data, len) != QUIRE_OK ||
      q_buf_append(&r->row, "", 1) != QUIRE_OK)
    fail_run(r, QUIRE_ENOMEM, "out of memory");
}

static void start_record(run *r) {
  r->field_index = 0;
  r->row.len = 0;
  memset(r->slot_off, 0, sizeof r->slot_off);
  memset(r->slot_len, 0, sizeof r->slot_len);
}

static void on_record(int terminator, void *ctx) {
  (void)terminator;
  run *r = ctx;
  if (r->status != QUIRE_OK)
    return;
  r->record++;
  if (!r->header_done) {
    finish_header(r);
  } else if (r->field_index != r->column_count) {
    bad_row(r, QUIRE_ECSV, -1, "expected %zu fields, found %zu",
            r->column_count, r->field_index);
  } else {
    add_row(r);
  }
  start_record(r);
}

/* ---- parsing ------------------------------------------------------------- */

/* Stops the run on a parse error: error is csv_error(), stopped the byte
 * libcsv stopped at. */
static void parse_error(run *r, int error, char stopped) {
  if (error != CSV_EPARSE) {
    fail_run(r, QUIRE_ENOMEM, "out of memory while parsing");
    return;
  }
  int col = r->header_done && r->field_index < r->column_count
                ? (int)r->field_index
                : -1;
  const char *what = stopped == '"'
                         ? "a quote inside an unquoted field (quote the "
                           "field and double the quote)"
                         : "unexpected character after a closing quote";
  r->record++; /* the record being read */
  row_message(r, r->imp->msg, r->record, col, what);
  r->status = QUIRE_ECSV;
}

static int no_space(unsigned char c) {
  (void)c;
  return 0;
}

static int run_start(run *r, quire_import *imp, quire_writer *writer,
                     const char *name, const char *base_dir) {
  memset(r, 0, sizeof *r);
  r->imp = imp;
  r->writer = writer;
  r->name = name;
  r->base_dir = base_dir;
  for (int slot = 0; slot < SLOT_COUNT; slot++)
    r->slot_column[slot] = -1;
  imp->msg[0] = '\0';
  imp->warnings.len = 0;
  if (imp->warnings.data)
    imp->warnings.data[0] = '\0';
  if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL))
    return q_fail(imp->msg, QUIRE_ENOMEM, "out of memory");
  csv_set_realloc_func(&r->parser, q_csv_realloc);
  csv_set_free_func(&r->parser, q_csv_free);
  /* RFC 4180: spaces belong to the field. libcsv would trim them. */
  csv_set_space_func(&r->parser, no_space);
  return QUIRE_OK;
}

/* Feeds one piece of input to the parser. */
static void run_feed(run *r, const char *data, size_t len) {
  q_csv_skip_bom(!r->fed, &data, &len);
  r->fed = 1;
  size_t parsed = csv_parse(&r->parser, data, len, on_field, on_record, r);
  if (parsed < len && r->status == QUIRE_OK)
    parse_error(r, csv_error(&r->parser), data[parsed]);
}

/* Calls the progress callback when a step more has been read, or at the
 * end of the input. */
static void report_progress(run *r, int at_end) {
  quire_import *imp = r->imp;
  if (!imp->progress || r->status != QUIRE_OK)
    return;
  if (!at_end && r->consumed - r->reported < PROGRESS_STEP)
    return;
  r->reported = r->consumed;
  if (imp->progress(imp->progress_ctx, r->consumed, r->total) != 0)
    fail_run(r, QUIRE_ECALLBACK, "the progress callback asked to stop");
}

/* Feeds a piece of input and counts it for the progress callback: read is
 * the bytes of the input it came from (fewer, for a compressed file). */
static void run_feed_counted(run *r, const char *data, size_t len,
                             uint64_t read) {
  run_feed(r, data, len);
  r->consumed += read;
  report_progress(r, 0);
}

static void unbalanced_quotes(run *r) {
  fail_run(r, QUIRE_ECSV,
           "row %llu: unbalanced quotes: a quoted field is still open at "
           "the end of the input",
           (unsigned long long)r->record + 1);
}

/* Ends the run: the parser's end of input (unless a parsing thread did
 * it), and the checks only the whole input allows. */
static int run_end(run *r, int parsed_to_end) {
  if (r->status == QUIRE_OK && !parsed_to_end &&
      csv_fini(&r->parser, on_field, on_record, r) != 0 &&
      r->status == QUIRE_OK)
    unbalanced_quotes(r);
  if (r->status == QUIRE_OK && !r->header_done)
    fail_run(r, QUIRE_ECSV, "no header row: the input is empty");
  csv_free(&r->parser);
  q_buf_free(&r->names);
  q_buf_free(&r->row);
  q_buf_free(&r->file_text);
  q_free(r->columns);
  return r->status;
}

/* Replays one batch of what the parsing thread found, in the order the
 * calling thread would have met it (see parse_source()); returns 1 once the
 * input has ended. */
static int replay_batch(run *r, q_csv_batch *b) {
  size_t at = 0;
  q_csv_event e;
  char *data;
  int ended = 0;
  while (r->status == QUIRE_OK && q_csv_batch_event(b, &at, &e, &data)) {
    if (e.kind == Q_CSV_FIELD) {
      on_field(data, (size_t)e.len, r);
    } else if (e.kind == Q_CSV_RECORD) {
      on_record(e.arg, r);
    } else if (e.kind == Q_CSV_CONSUMED) {
      r->consumed += e.len;
      report_progress(r, 0);
    } else if (e.kind == Q_CSV_PARSE_ERROR) {
      parse_error(r, e.arg, (char)e.len);
    } else if (e.kind == Q_CSV_SOURCE_ERROR) {
      fail_run(r, e.arg, "%s", data);
    } else if (e.kind == Q_CSV_END) {
      report_progress(r, 1);
      ended = 1;
    } else if (e.kind == Q_CSV_UNBALANCED) {
      unbalanced_quotes(r);
    }
  }
  if (r->status == QUIRE_OK && b->oom)
    fail_run(r, QUIRE_ENOMEM, "out of memory while parsing");
  return ended;
}

/* Parses the source on a thread of its own (csv_pipe.h) and stores its
 * rows here. */
static int parse_ahead(run *r, q_csv_pipe *pipe) {
  int ended = 0;
  q_csv_batch *b;
  while (r->status == QUIRE_OK && !ended &&
         (b = q_csv_pipe_next(pipe)) != NULL) {
    ended = replay_batch(r, b);
    q_csv_pipe_release(pipe, b);
  }
  q_csv_pipe_free(pipe); /* stops it when the run failed first */
  if (r->status == QUIRE_OK && !ended)
    fail_run(r, QUIRE_ENOMEM, "out of memory while parsing");
  return run_end(r, 1);
}

static int parse_source(run *r, q_csv_source *source) {
  /* A regular file or memory only (total > 0): the thread may read ahead
   * of a failed run, and reading a pipe or terminal ahead could wait for
   * input forever. */
  q_csv_pipe *pipe = NULL;
  if (r->total > 0 && q_writer_parses_ahead(r->writer) &&
      q_csv_pipe_start(&pipe, source, &r->parser) == QUIRE_OK)
    return parse_ahead(r, pipe);
  char *chunk = q_malloc(Q_CSV_READ_CHUNK);
  if (!chunk) {
    fail_run(r, QUIRE_ENOMEM, "out of memory");
    return run_end(r, 0);
  }
  while (r->status == QUIRE_OK) {
    int status = QUIRE_OK;
    char msg[Q_MSG_CAP];
    uint64_t before = q_csv_source_consumed(source);
    size_t got =
        q_csv_source_read(source, chunk, Q_CSV_READ_CHUNK, &status, msg);
    if (status != QUIRE_OK) {
      fail_run(r, status, "%s", msg);
      break;
    }
    if (got == 0)
      break;
    run_feed_counted(r, chunk, got, q_csv_source_consumed(source) - before);
  }
  q_free(chunk);
  report_progress(r, 1);
  return run_end(r, 0);
}

/* Decompressed bytes read past a row error to look for damage. */
#define DAMAGE_LOOKAHEAD ((uint64_t)64 << 20)

/* A row error in a compressed input may be what damaged data, found only
 * further on, produced: the message then names the damage, the cause, and
 * the row error after it. Returns the run's status, or QUIRE_ECSV. */
static int blame_damage(quire_import *imp, q_csv_source *source,
                        const char *name, int status) {
  if (status != QUIRE_ECSV && status != QUIRE_EDATE && status != QUIRE_EUTF8 &&
      status != QUIRE_ELIMIT)
    return status;
  char damage[Q_MSG_CAP];
  if (q_csv_source_check_ahead(source, DAMAGE_LOOKAHEAD, damage) != QUIRE_ECSV)
    return status;
  char first[Q_MSG_CAP];
  size_t prefix = strlen(name) + 2; /* fail_run()'s "NAME: " */
  const char *row_error = imp->msg;
  if (strncmp(row_error, name, strlen(name)) == 0 &&
      strlen(row_error) >= prefix)
    row_error += prefix;
  snprintf(first, sizeof first, "%s", row_error);
  snprintf(imp->msg, Q_MSG_CAP, "%s: %s; the first error it caused: %s", name,
           damage, first);
  return QUIRE_ECSV;
}

/* The directory of path, for file names relative to it. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return q_strndup(".", 1);
  return q_strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* ---- the public functions ------------------------------------------------ */

int quire_import_new(quire_import **out) {
  if (!out)
    return QUIRE_EINVAL;
  *out = q_calloc(1, sizeof **out);
  return *out ? QUIRE_OK : QUIRE_ENOMEM;
}

void quire_import_free(quire_import *imp) {
  if (!imp)
    return;
  for (size_t i = 0; i < imp->map_count; i++)
    q_free(imp->maps[i].name);
  q_free(imp->maps);
  q_free(imp->base_dir);
  q_buf_free(&imp->warnings);
  q_free(imp);
}

int quire_import_map_column(quire_import *imp, const char *name, size_t len,
                            int field) {
  if (!imp)
    return QUIRE_EINVAL;
  if (!name && len)
    return q_fail(imp->msg, QUIRE_EINVAL, "column name is NULL");
  if (field < QUIRE_FIELD_SOURCE || field > QUIRE_FIELD_IGNORE)
    return q_fail(imp->msg, QUIRE_EINVAL,
                  "field %d cannot be imported (expected "
                  "QUIRE_FIELD_SOURCE to QUIRE_FIELD_IGNORE)",
                  field);
  mapping *maps =
      q_grow(imp->maps, &imp->map_cap, imp->map_count + 1, sizeof *maps, 8);
  if (!maps)
    return q_fail(imp->msg, QUIRE_ENOMEM, "out of memory");
  imp->maps = maps;
  char *copy = q_strndup(name ? name : "", len);
  if (!copy)
    return q_fail(imp->msg, QUIRE_ENOMEM, "out of memory");
  imp->maps[imp->map_count++] = (mapping){copy, len, field};
  return QUIRE_OK;
}

int quire_import_set_skip_bad_rows(quire_import *imp, int skip) {
  if (!imp)
    return QUIRE_EINVAL;
  imp->skip_bad_rows = skip != 0;
  return QUIRE_OK;
}

int quire_import_set_base_dir(quire_import *imp, const char *dir) {
  if (!imp)
    return QUIRE_EINVAL;
  char *copy = NULL;
  if (dir && !(copy = q_strndup(dir, strlen(dir))))
    return q_fail(imp->msg, QUIRE_ENOMEM, "out of memory");
  q_free(imp->base_dir);
  imp->base_dir = copy;
  return QUIRE_OK;
}

int quire_import_csv_path(quire_import *imp, quire_writer *writer,
                          const char *path) {
  if (!imp)
    return QUIRE_EINVAL;
  if (!writer || !path)
    return q_fail(imp->msg, QUIRE_EINVAL, "writer or path is NULL");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  int err = errno;
  if (fd < 0)
    return q_fail(imp->msg, err == ENOENT ? QUIRE_ENOTFOUND : QUIRE_EIO,
                  "cannot open %s: %s", path, strerror(err));
  char *dir = imp->base_dir ? NULL : dir_of(path);
  if (!imp->base_dir && !dir) {
    close(fd);
    return q_fail(imp->msg, QUIRE_ENOMEM, "out of memory");
  }
  run r;
  int status =
      run_start(&r, imp, writer, path, imp->base_dir ? imp->base_dir : dir);
  struct stat st;
  if (status == QUIRE_OK && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    r.total = (uint64_t)st.st_size;
  q_csv_source *source = NULL;
  if (status == QUIRE_OK && q_csv_source_new(&source, fd) != QUIRE_OK) {
    fail_run(&r, QUIRE_ENOMEM, "out of memory");
    status = run_end(&r, 0);
  } else if (status == QUIRE_OK) {
    status = blame_damage(imp, source, path, parse_source(&r, source));
  }
  q_csv_source_free(source);
  close(fd);
  q_free(dir);
  return status;
}

/* gzip or zstd data in memory, decompressed as the parser asks for it, as
 * a compressed file is: memory stays bounded whatever the data's size. */
static int import_compressed_buffer(run *r, quire_import *imp, const char *data,
                                    size_t len) {
  q_csv_source *source = NULL;
  if (q_csv_source_new_memory(&source, data, len) != QUIRE_OK) {
    fail_run(r, QUIRE_ENOMEM, "out of memory");
    return run_end(r, 0);
  }
  int status = blame_damage(imp, source, r->name, parse_source(r, source));
  q_csv_source_free(source);
  return status;
}

int quire_import_csv_buffer(quire_import *imp, quire_writer *writer,
                            const char *data, size_t len, const char *name) {
  if (!imp)
    return QUIRE_EINVAL;
  if (!writer || (!data && len))
    return q_fail(imp->msg, QUIRE_EINVAL, "writer or data is NULL");
  run r;
  int status = run_start(&r, imp, writer, name ? name : "CSV buffer",
                         imp->base_dir ? imp->base_dir : ".");
  if (status != QUIRE_OK)
    return status;
  r.total = len;
  if (data && q_csv_compression_of(data, len) != Q_SOURCE_PLAIN)
    return import_compressed_buffer(&r, imp, data, len);
  for (size_t at = 0; at < len && r.status == QUIRE_OK; at += PROGRESS_STEP) {
    size_t n = len - at < PROGRESS_STEP ? len - at : PROGRESS_STEP;
    run_feed_counted(&r, data + at, n, n);
  }
  report_progress(&r, 1);
  return run_end(&r, 0);
}

int quire_import_set_progress(quire_import *imp, quire_progress_fn progress,
                              void *ctx) {
  if (!imp)
    return QUIRE_EINVAL;
  imp->progress = progress;
  imp->progress_ctx = progress ? ctx : NULL;
  return QUIRE_OK;
}

uint64_t quire_import_rows(const quire_import *imp) {
  return imp ? imp->rows : 0;
}

uint64_t quire_import_skipped(const quire_import *imp) {
  return imp ? imp->skipped : 0;
}

int quire_import_skipped_row(const quire_import *imp, uint64_t index,
                             uint64_t *row) {
  if (!imp || !row)
    return QUIRE_EINVAL;
  if (index >= imp->skipped || index >= SKIPPED_ROWS_KEPT)
    return QUIRE_ENOTFOUND;
  *row = imp->skipped_rows[index];
  return QUIRE_OK;
}

const char *quire_import_warnings(const quire_import *imp) {
  if (!imp || !imp->warnings.len)
    return "";
  return imp->warnings.data;
}

const char *quire_import_errmsg(const quire_import *imp) {
  return imp ? imp->msg : "importer is NULL";
}
