/*
 * export.h: what the CSV export (csv_export.c) and the XLSX export
 * (xlsx_export.c) share: the export handle, its columns (the fields and the
 * derived date columns), the cell cut and the names of split files.
 */
#ifndef QUIRE_EXPORT_H
#define QUIRE_EXPORT_H

#include "internal.h"

#define Q_EXPORT_MAX_COLUMNS 16
/* Rows of one spreadsheet sheet, the header row included (Excel, LibreOffice
 * Calc since 7.4 with its default settings). */
#define Q_SHEET_ROWS 1048576u
/* A spreadsheet cell's limit, in UTF-16 code units (Excel stores strings as
 * UTF-16, so a character outside the BMP takes two of them). */
#define Q_CELL_MAX 32767u

/* Export columns: the document fields (numbered as QUIRE_FIELD_ID ..
 * QUIRE_FIELD_TEXT) then the columns derived from the date. */
enum {
  Q_COL_YEAR = QUIRE_FIELD_TEXT + 1,
  Q_COL_MONTH,
  Q_COL_DAY,
  Q_COL_DATETIME_UTC,
  Q_COL_DATE_PRECISION,
  Q_COL_COUNT
};

extern const char *const q_export_column_names[Q_COL_COUNT];

struct quire_export {
  const quire_corpus *corpus;
  quire_filter *filter; /* our own copy, or NULL for every document */
  int columns[Q_EXPORT_MAX_COLUMNS];
  size_t column_count;
  int dialect;
  uint64_t split_rows; /* data rows per file, 0 for one file */
  uint64_t rows;
  uint64_t cells_cut;
  uint64_t rows_over_sheet;
  uint64_t files;
  quire_progress_fn progress; /* quire_export_set_progress(), or NULL */
  void *progress_ctx;
  uint64_t progress_total; /* the run's selected documents, 0 if unknown */
  struct q_pull *pull;     /* quire_export_read()'s run, or NULL */
  char msg[Q_MSG_CAP];
};

/* Makes the export ready to change or to run: QUIRE_ESTATE while a
 * quire_export_read() run is under way, else ends a finished one. */
int q_export_idle(quire_export *exp);

/* Starts a run: as q_export_idle(), then clears the counters and message
 * and, when there is a progress callback, counts the selection. */
int q_export_begin(quire_export *exp);

/* Counts a row written, over_sheet when no spreadsheet sheet would hold it,
 * and tells the progress callback now and then. Returns QUIRE_ECALLBACK when
 * the callback asks to stop. */
int q_export_count_row(quire_export *exp, int over_sheet);

/* Tells the progress callback that the run wrote all its rows. */
int q_export_report_end(quire_export *exp);

/* Opens a cursor over the export's selection, reading text blocks ahead on
 * another thread when the text is among the columns. */
int q_export_cursor(quire_export *exp, quire_cursor **out);

/* Stores in *data and *len the cell of column (a Q_COL_* or field number)
 * for the cursor's current document: the field itself, or a derived column
 * written into buf (at least 32 bytes). */
int q_export_cell(quire_export *exp, quire_cursor *cur, int column, char *buf,
                  const char **data, size_t *len);

/* Returns how many bytes of the valid UTF-8 in data make at most limit
 * UTF-16 code units, never cutting inside a sequence. */
size_t q_utf16_prefix(const char *data, size_t len, size_t limit);

/* Returns the path of part number part (from 1) of a split export: "-" and
 * the number, at least three digits, before the extension of path's last
 * component ("out.csv" gives "out-001.csv", "out" gives "out-001"). Owned by
 * the caller (q_free), NULL when memory ran out. */
char *q_export_part_path(const char *path, uint64_t part);

/* Removes the files of parts 1 .. count of a split export (after a failure,
 * so that no partial set is left). */
void q_export_remove_parts(const char *path, uint64_t count);

#endif /* QUIRE_EXPORT_H */
