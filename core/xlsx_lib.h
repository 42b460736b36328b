/*
 * xlsx_lib.h: libxlsxwriter, loaded at the first XLSX export (xlsx_lib.c)
 * rather than with libquire.
 *
 * Why: libxlsxwriter brings minizip and OpenSSL's libcrypto with it, and
 * loading and relocating them took about 0.85 ms of every process that
 * linked libquire, a quarter of a `quire count`, for an export most runs
 * never make. The functions keep the exact types of <xlsxwriter.h>.
 */
#ifndef QUIRE_XLSX_LIB_H
#define QUIRE_XLSX_LIB_H

#include <xlsxwriter.h>

#define Q_XLSX_FN(name) __typeof__(name) *name

/* The libxlsxwriter functions the XLSX export calls. */
typedef struct q_xlsx {
  Q_XLSX_FN(workbook_new_opt);
  Q_XLSX_FN(workbook_add_worksheet);
  Q_XLSX_FN(workbook_add_format);
  Q_XLSX_FN(workbook_close);
  Q_XLSX_FN(worksheet_set_column);
  Q_XLSX_FN(worksheet_write_string);
  Q_XLSX_FN(worksheet_write_number);
  Q_XLSX_FN(worksheet_write_datetime);
  Q_XLSX_FN(worksheet_freeze_panes);
  Q_XLSX_FN(worksheet_set_landscape);
  Q_XLSX_FN(worksheet_fit_to_pages);
  Q_XLSX_FN(worksheet_repeat_rows);
  Q_XLSX_FN(worksheet_autofilter);
  Q_XLSX_FN(format_set_num_format);
  Q_XLSX_FN(format_set_bold);
  Q_XLSX_FN(lxw_strerror);
  Q_XLSX_FN(lxw_version);
} q_xlsx;

/* Loads libxlsxwriter once per process (any thread may ask) and returns
 * its functions; NULL, with a message in msg, when it cannot be loaded or
 * is not the version libquire was built against. */
const q_xlsx *q_xlsx_get(char *msg);

#endif
