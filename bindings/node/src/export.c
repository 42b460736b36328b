/* export.c: CSV export of a selection to a path (split into numbered files
 * or not), and XLSX export. */

#include "qn.h"

static int fail(napi_env env, quire_export *exp, int status) {
  qn_throw_status(env, status, quire_export_errmsg(exp));
  return -1;
}

/* Applies the filter, the columns ("id,source,...") and the dialect. */
static int configure(napi_env env, quire_export *exp, napi_value filter_v,
                     napi_value columns_v, napi_value dialect_v) {
  quire_filter *filter = NULL;
  qn_str columns;
  int64_t dialect;
  int has, status = QUIRE_OK;
  if (qn_filter_from_js(env, filter_v, &filter) != 0)
    return -1;
  if (filter)
    status = quire_export_set_filter(exp, filter);
  quire_filter_free(filter);
  if (status != QUIRE_OK)
    return fail(env, exp, status);
  if (qn_get_str(env, columns_v, "columns", &columns) != 0)
    return -1;
  if (columns.len)
    status = quire_export_set_columns(exp, columns.data, columns.len);
  qn_str_free(&columns);
  if (status != QUIRE_OK)
    return fail(env, exp, status);
  if (qn_get_opt_int(env, dialect_v, "dialect", &has, &dialect) != 0)
    return -1;
  if (has && (status = quire_export_set_dialect(exp, (int)dialect)))
    return fail(env, exp, status);
  return 0;
}

quire_export *qn_export_make(napi_env env, qn_corpus *c, napi_value filter,
                             napi_value columns, napi_value dialect) {
  quire_export *exp = NULL;
  int status = quire_export_new(c->corpus, &exp);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, exp ? quire_export_errmsg(exp) : NULL);
    quire_export_free(exp);
    return NULL;
  }
  if (configure(env, exp, filter, columns, dialect) != 0) {
    quire_export_free(exp);
    return NULL;
  }
  return exp;
}

void qn_export_throw(napi_env env, quire_export *exp, int status) {
  fail(env, exp, status);
}

napi_value qn_export_result(napi_env env, const quire_export *exp) {
  napi_value obj;
  QN_CALL(env, napi_create_object(env, &obj));
  if (qn_set(env, obj, "rows",
             qn_number(env, (double)quire_export_rows(exp))) ||
      qn_set(env, obj, "cellsCut",
             qn_number(env, (double)quire_export_cells_cut(exp))) ||
      qn_set(env, obj, "rowsOverSheet",
             qn_number(env, (double)quire_export_rows_over_sheet(exp))) ||
      qn_set(env, obj, "files",
             qn_number(env, (double)quire_export_files(exp))))
    return NULL;
  return obj;
}

/* exportToPath(corpus, path, filter, columns, dialect, splitRows, xlsx,
 * onProgress) -> {rows, cellsCut, rowsOverSheet, files}. Runs on the
 * calling thread, onProgress(rows, total) too; each file appears
 * atomically. splitRows (undefined: one file) writes numbered files; xlsx
 * (1) writes a workbook instead of CSV. */
napi_value qn_export_to_path(napi_env env, napi_callback_info info) {
  napi_value argv[8], result = NULL;
  qn_corpus *c;
  quire_export *exp;
  qn_progress progress;
  qn_str path;
  int status, has_split, has_xlsx;
  int64_t split = 0, xlsx = 0;
  if (qn_args(env, info, 8, argv) != 0 || !(c = qn_corpus_get(env, argv[0])))
    return NULL;
  if (qn_get_opt_int(env, argv[5], "splitRows", &has_split, &split) != 0 ||
      qn_get_opt_int(env, argv[6], "xlsx", &has_xlsx, &xlsx) != 0 ||
      qn_progress_init(env, argv[7], &progress) != 0)
    return NULL;
  if (qn_get_path(env, argv[1], &path) != 0)
    return NULL;
  if ((exp = qn_export_make(env, c, argv[2], argv[3], argv[4]))) {
    status = has_split ? quire_export_set_split_rows(exp, (uint64_t)split)
                       : QUIRE_OK;
    if (status == QUIRE_OK && progress.fn)
      status =
          quire_export_set_progress(exp, qn_progress_fn(&progress), &progress);
    /* onProgress may close the corpus: the hold keeps it until the end. */
    qn_corpus_hold(c);
    if (status == QUIRE_OK)
      status = xlsx ? quire_export_to_xlsx(exp, path.data)
                    : quire_export_to_path(exp, path.data);
    if (status != QUIRE_OK)
      qn_export_throw(env, exp, status);
    else
      result = qn_export_result(env, exp);
    quire_export_free(exp);
    qn_corpus_release(c);
  }
  qn_str_free(&path);
  return result;
}
