/*
 * xlsx_export.c: writes any selection of a corpus as an Excel workbook
 * (XLSX), through libxlsxwriter in its constant-memory mode.
 *
 * The export walks the selection with a public quire_cursor, as the CSV
 * export does, and writes each row as soon as it is read: libxlsxwriter's
 * constant-memory mode streams every finished row to a temporary file (in
 * the directory of the output) and keeps none of them in memory, so memory
 * stays flat whatever the corpus size.
 *
 * Cells are typed by column and never guessed from their contents: text is
 * written with worksheet_write_string() only (never a formula, a number or
 * a hyperlink, whatever it looks like), cut to the 32,767 characters a cell
 * holds and counted as in CSV; the id and the year, month and day columns
 * are numbers; a date of day precision or finer is a date cell in UTC and a
 * partial date is its ISO text. Each sheet has a frozen header row, a
 * filter on it and fixed column widths, and a new sheet starts after
 * QUIRE_SHEET_MAX_ROWS - 1 data rows. The workbook is written to a temporary
 * file beside the output and renamed over it once complete.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "xlsx_lib.h"

/* The first instant a spreadsheet shows as a date, 1900-03-01T00:00:00Z:
 * Excel's day numbers before it count the 29 February 1900 that never was,
 * and day numbers before 1900 do not exist. */
#define FIRST_SHEET_DATE (-2203891200LL)

/* Column widths, in characters of the default font. */
static const double column_widths[Q_COL_COUNT] = {
    [QUIRE_FIELD_ID] = 8,      [QUIRE_FIELD_SOURCE] = 22,
    [QUIRE_FIELD_DATE] = 18,   [QUIRE_FIELD_TITLE] = 50,
    [QUIRE_FIELD_AUTHOR] = 22, [QUIRE_FIELD_URL] = 40,
    [QUIRE_FIELD_TEXT] = 80,   [Q_COL_YEAR] = 7,
    [Q_COL_MONTH] = 7,         [Q_COL_DAY] = 6,
    [Q_COL_DATETIME_UTC] = 20, [Q_COL_DATE_PRECISION] = 15};

/* One run: the workbook being written and where in it. */
typedef struct book {
  quire_export *exp;
  const q_xlsx *x; /* libxlsxwriter, loaded at the first export */
  lxw_workbook *wb;
  lxw_worksheet *ws;
  lxw_format *formats[QUIRE_DATE_SECOND + 1]; /* date formats by precision */
  lxw_format *header;
  q_outfile file;
  int file_open;
  char *tmpdir;
  uint64_t sheets;
  uint32_t row; /* the next row of the current sheet */
  char *cut;    /* a cut cell, NUL-terminated for libxlsxwriter */
  size_t cut_cap;
} book;

static int lxw_fail(book *b, lxw_error err, const char *what) {
  int status = err == LXW_ERROR_MEMORY_MALLOC_FAILED ? QUIRE_ENOMEM : QUIRE_EIO;
  return q_fail(b->exp->msg, status, "cannot write the workbook (%s): %s", what,
                b->x->lxw_strerror(err));
}

/* Starts sheet number b->sheets + 1: widths, header row, frozen pane. */
static int sheet_start(book *b) {
  char name[32];
  b->sheets++;
  if (b->sheets == 1)
    snprintf(name, sizeof name, "documents");
  else
    snprintf(name, sizeof name, "documents %llu",
             (unsigned long long)b->sheets);
  b->ws = b->x->workbook_add_worksheet(b->wb, name);
  if (!b->ws)
    return q_fail(b->exp->msg, QUIRE_ENOMEM, "cannot add sheet %s", name);
  quire_export *exp = b->exp;
  for (size_t i = 0; i < exp->column_count; i++) {
    lxw_col_t col = (lxw_col_t)i;
    lxw_error err = b->x->worksheet_set_column(
        b->ws, col, col, column_widths[exp->columns[i]], NULL);
    if (err == LXW_NO_ERROR)
      err = b->x->worksheet_write_string(
          b->ws, 0, col, q_export_column_names[exp->columns[i]], b->header);
    if (err != LXW_NO_ERROR)
      return lxw_fail(b, err, "header");
  }
  b->x->worksheet_freeze_panes(b->ws, 1, 0);
  /* Printed: landscape, as wide as one page, the header on every page. */
  b->x->worksheet_set_landscape(b->ws);
  b->x->worksheet_fit_to_pages(b->ws, 1, 0);
  lxw_error err = b->x->worksheet_repeat_rows(b->ws, 0, 0);
  if (err != LXW_NO_ERROR)
    return lxw_fail(b, err, "header");
  b->row = 1;
  return QUIRE_OK;
}

/* Puts the filter on the finished sheet's header, over its rows. */
static int sheet_finish(book *b) {
  if (!b->ws || b->exp->column_count == 0)
    return QUIRE_OK;
  lxw_error err = b->x->worksheet_autofilter(
      b->ws, 0, 0, b->row - 1, (lxw_col_t)(b->exp->column_count - 1));
  return err == LXW_NO_ERROR ? QUIRE_OK : lxw_fail(b, err, "filter");
}

/* Makes the date formats and the header format of a new workbook. */
static int make_formats(book *b) {
  static const char *const patterns[] = {
      [QUIRE_DATE_DAY] = "yyyy-mm-dd",
      [QUIRE_DATE_MINUTE] = "yyyy-mm-dd hh:mm",
      [QUIRE_DATE_SECOND] = "yyyy-mm-dd hh:mm:ss"};
  for (int p = QUIRE_DATE_DAY; p <= QUIRE_DATE_SECOND; p++) {
    b->formats[p] = b->x->workbook_add_format(b->wb);
    if (!b->formats[p])
      return q_fail(b->exp->msg, QUIRE_ENOMEM, "out of memory");
    b->x->format_set_num_format(b->formats[p], patterns[p]);
  }
  b->header = b->x->workbook_add_format(b->wb);
  if (!b->header)
    return q_fail(b->exp->msg, QUIRE_ENOMEM, "out of memory");
  b->x->format_set_bold(b->header);
  return QUIRE_OK;
}

/* Opens the workbook at path (a temporary file beside it, or in $TMPDIR
 * when path is a pipe or a device) and its first sheet. */
static int book_open(book *b, const char *path) {
  int status = q_outfile_open_named(&b->file, path, b->exp->msg);
  if (status != QUIRE_OK)
    return status;
  b->file_open = 1;
  /* libxlsxwriter writes the workbook to a path of its own: our temporary
   * file, which q_outfile_commit() then syncs and renames (or copies into
   * a pipe). Its own temporary files go beside it too. */
  const char *book_path = b->file.tmp_path;
  const char *slash = strrchr(book_path, '/');
  size_t dir_len = slash ? (size_t)(slash - book_path) : 0;
  q_free(b->tmpdir);
  b->tmpdir =
      slash ? q_strndup(book_path, dir_len ? dir_len : 1) : q_strndup(".", 1);
  if (!b->tmpdir)
    return q_fail(b->exp->msg, QUIRE_ENOMEM, "out of memory");
  lxw_workbook_options options = {
      .constant_memory = LXW_TRUE, .tmpdir = b->tmpdir, .use_zip64 = LXW_TRUE};
  b->wb = b->x->workbook_new_opt(book_path, &options);
  if (!b->wb)
    return q_fail(b->exp->msg, QUIRE_ENOMEM, "cannot start a workbook for %s",
                  path);
  b->sheets = 0;
  b->ws = NULL;
  status = make_formats(b);
  return status == QUIRE_OK ? sheet_start(b) : status;
}

/* Finishes the workbook and renames it into place. */
static int book_close(book *b) {
  int status = sheet_finish(b);
  lxw_error err = b->x->workbook_close(b->wb);
  b->wb = NULL;
  b->ws = NULL;
  if (status == QUIRE_OK && err != LXW_NO_ERROR)
    status = lxw_fail(b, err, "closing");
  b->file_open = 0;
  if (status == QUIRE_OK)
    return q_outfile_commit(&b->file, b->exp->msg);
  q_outfile_abort(&b->file);
  return status;
}

/* Drops a workbook that failed: nothing is left at its path. */
static void book_abort(book *b) {
  if (b->wb) {
    /* Closing is the only way to free a workbook; what it writes goes to
     * the temporary file, removed just after. */
    b->x->workbook_close(b->wb);
    b->wb = NULL;
  }
  if (b->file_open)
    q_outfile_abort(&b->file);
  b->file_open = 0;
}

/* Writes text as a string cell, cut to the cell limit. */
static int put_text(book *b, lxw_col_t col, const char *data, size_t len) {
  if (len == 0)
    return QUIRE_OK; /* an empty cell */
  size_t keep = q_utf16_prefix(data, len, Q_CELL_MAX);
  if (keep < len) {
    b->exp->cells_cut++;
    char *grown = q_grow(b->cut, &b->cut_cap, keep + 1, 1, 0);
    if (!grown)
      return q_fail(b->exp->msg, QUIRE_ENOMEM, "out of memory");
    b->cut = grown;
    memcpy(b->cut, data, keep);
    b->cut[keep] = '\0';
    data = b->cut;
  }
  lxw_error err = b->x->worksheet_write_string(b->ws, b->row, col, data, NULL);
  return err == LXW_NO_ERROR ? QUIRE_OK : lxw_fail(b, err, "text cell");
}

/* Writes an integer held as decimal text (empty: no cell). */
static int put_number(book *b, lxw_col_t col, const char *data, size_t len) {
  if (len == 0)
    return QUIRE_OK;
  double value = 0;
  for (size_t i = 0; i < len; i++)
    value = value * 10 + (data[i] - '0');
  lxw_error err = b->x->worksheet_write_number(b->ws, b->row, col, value, NULL);
  return err == LXW_NO_ERROR ? QUIRE_OK : lxw_fail(b, err, "number cell");
}

/* Writes the UTC instant seconds as a date cell shown at precision. */
static int put_instant(book *b, lxw_col_t col, int64_t seconds, int precision) {
  time_t t = (time_t)seconds;
  struct tm tm;
  if (!gmtime_r(&t, &tm))
    return q_fail(b->exp->msg, QUIRE_ECORRUPT, "date out of range");
  lxw_datetime dt = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour,        tm.tm_min,     tm.tm_sec};
  lxw_error err = b->x->worksheet_write_datetime(b->ws, b->row, col, &dt,
                                                 b->formats[precision]);
  return err == LXW_NO_ERROR ? QUIRE_OK : lxw_fail(b, err, "date cell");
}

static int put_row(book *b, quire_cursor *cur) {
  quire_export *exp = b->exp;
  char buf[48];
  int64_t seconds = quire_cursor_date(cur);
  int precision = quire_cursor_date_precision(cur);
  int sheet_date = seconds != QUIRE_NO_DATE && seconds >= FIRST_SHEET_DATE;
  for (size_t i = 0; i < exp->column_count; i++) {
    lxw_col_t col = (lxw_col_t)i;
    int column = exp->columns[i];
    const char *data;
    size_t len;
    int status = q_export_cell(exp, cur, column, buf, &data, &len);
    if (status != QUIRE_OK)
      return status;
    switch (column) {
    case QUIRE_FIELD_ID:
    case Q_COL_YEAR:
    case Q_COL_MONTH:
    case Q_COL_DAY:
      status = put_number(b, col, data, len);
      break;
    case QUIRE_FIELD_DATE:
      if (sheet_date && precision >= QUIRE_DATE_DAY)
        status = put_instant(b, col, seconds, precision);
      else
        status = put_text(b, col, data, len);
      break;
    case Q_COL_DATETIME_UTC:
      if (sheet_date)
        status = put_instant(b, col, seconds, QUIRE_DATE_SECOND);
      else
        status = put_text(b, col, data, len);
      break;
    default:
      status = put_text(b, col, data, len);
      break;
    }
    if (status != QUIRE_OK)
      return status;
  }
  return QUIRE_OK;
}

/* Writes the selection into one workbook or, split, into numbered ones. */
static int run_books(book *b, quire_cursor *cur, const char *path) {
  quire_export *exp = b->exp;
  int status = QUIRE_OK, step, open = 0;
  uint64_t in_file = 0;
  char *name = NULL;
  while ((step = quire_cursor_next(cur)) == QUIRE_ROW) {
    if (!open) {
      q_free(name);
      name = exp->split_rows ? q_export_part_path(path, exp->files + 1)
                             : q_strndup(path, strlen(path));
      if (!name) {
        status = q_fail(exp->msg, QUIRE_ENOMEM, "out of memory");
        break;
      }
      if ((status = book_open(b, name)) != QUIRE_OK)
        break;
      open = 1;
      in_file = 0;
    }
    if (b->row == Q_SHEET_ROWS) {
      if ((status = sheet_finish(b)) != QUIRE_OK ||
          (status = sheet_start(b)) != QUIRE_OK)
        break;
    }
    if ((status = put_row(b, cur)) != QUIRE_OK ||
        (status = q_export_count_row(exp, 0)) != QUIRE_OK)
      break;
    b->row++;
    if (exp->split_rows && ++in_file == exp->split_rows) {
      open = 0;
      if ((status = book_close(b)) != QUIRE_OK)
        break;
      exp->files++;
    }
  }
  if (status == QUIRE_OK && step != QUIRE_DONE)
    status = q_fail(exp->msg, step, "%s", quire_cursor_errmsg(cur));
  if (status == QUIRE_OK)
    status = q_export_report_end(exp);
  if (status == QUIRE_OK && !open && exp->files == 0) {
    /* An empty selection: one workbook with the header row only. */
    name = exp->split_rows ? q_export_part_path(path, 1)
                           : q_strndup(path, strlen(path));
    status = name ? book_open(b, name)
                  : q_fail(exp->msg, QUIRE_ENOMEM, "out of memory");
    open = 1;
  }
  if (open && status == QUIRE_OK) {
    status = book_close(b);
    if (status == QUIRE_OK)
      exp->files++;
  }
  q_free(name);
  return status;
}

int quire_export_to_xlsx(quire_export *exp, const char *path) {
  if (!exp)
    return QUIRE_EINVAL;
  int status = q_export_begin(exp);
  if (status != QUIRE_OK)
    return status;
  if (!path)
    return q_fail(exp->msg, QUIRE_EINVAL, "path is NULL");
  book b = {.exp = exp, .x = q_xlsx_get(exp->msg)};
  if (!b.x)
    return QUIRE_EIO;
  quire_cursor *cur = NULL;
  status = q_export_cursor(exp, &cur);
  if (status == QUIRE_OK)
    status = run_books(&b, cur, path);
  if (status != QUIRE_OK) {
    book_abort(&b);
    if (exp->split_rows)
      q_export_remove_parts(path, exp->files);
    exp->files = 0;
  }
  quire_cursor_free(cur);
  q_free(b.cut);
  q_free(b.tmpdir);
  return status;
}
