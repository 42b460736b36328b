/* addon.c: the module's table of functions, and the library-wide ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qn.h"

/* versionNumber() -> MAJOR*10000 + MINOR*100 + PATCH of the loaded library */
static napi_value version_number(napi_env env, napi_callback_info info) {
  (void)info;
  return qn_number(env, quire_version_number());
}

/* versionString() -> "1.0.0" */
static napi_value version_string(napi_env env, napi_callback_info info) {
  const char *v = quire_version_string();
  (void)info;
  return qn_string(env, v, strlen(v));
}

/* formatDate(seconds, precision) -> ISO 8601 text, or null */
static napi_value format_date(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  char buf[32];
  double seconds;
  int has;
  int64_t precision;
  size_t len;
  if (qn_args(env, info, 2, argv) != 0 ||
      qn_get_opt_int(env, argv[1], "precision", &has, &precision))
    return NULL;
  if (napi_get_value_double(env, argv[0], &seconds) != napi_ok ||
      seconds != seconds) { /* NaN: undated */
    QN_CALL(env, napi_get_null(env, &result));
    return result;
  }
  len = quire_date_format((int64_t)seconds, has ? (int)precision : 0, buf,
                          sizeof buf);
  if (!len) {
    QN_CALL(env, napi_get_null(env, &result));
    return result;
  }
  return qn_string(env, buf, len);
}

/* parseDate(text) -> [seconds, precision]; throws QUIRE_EDATE */
static napi_value parse_date(napi_env env, napi_callback_info info) {
  napi_value argv[1], arr;
  qn_str text;
  int64_t seconds = 0;
  int precision = 0, status;
  if (qn_args(env, info, 1, argv) != 0 ||
      qn_get_str(env, argv[0], "date", &text) != 0)
    return NULL;
  status = quire_date_parse(text.data, text.len, &seconds, &precision);
  if (status != QUIRE_OK) {
    char msg[160];
    snprintf(msg, sizeof msg, "not an ISO 8601 or RFC 2822 date: \"%.100s\"",
             text.data);
    qn_str_free(&text);
    qn_throw_status(env, status, msg);
    return NULL;
  }
  qn_str_free(&text);
  QN_CALL(env, napi_create_array_with_length(env, 2, &arr));
  QN_CALL(env, napi_set_element(env, arr, 0, qn_number(env, (double)seconds)));
  QN_CALL(env, napi_set_element(env, arr, 1, qn_number(env, precision)));
  return arr;
}

/* strerror(code) -> the library's description of a status */
static napi_value str_error(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int has;
  int64_t code;
  const char *text;
  if (qn_args(env, info, 1, argv) != 0 ||
      qn_get_opt_int(env, argv[0], "code", &has, &code))
    return NULL;
  text = quire_strerror(has ? (int)code : 0);
  return qn_string(env, text, strlen(text));
}

#define FN(name, fn)                                                           \
  { name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL }

static napi_value init(napi_env env, napi_value exports) {
  static const napi_property_descriptor fns[] = {
      FN("setErrorClass", qn_set_error_class),
      FN("versionNumber", version_number),
      FN("versionString", version_string),
      FN("strerror", str_error),
      FN("formatDate", format_date),
      FN("parseDate", parse_date),
      FN("salvage", qn_salvage),
      FN("corpusOpen", qn_corpus_open),
      FN("corpusOpenBuffer", qn_corpus_open_buffer),
      FN("corpusClose", qn_corpus_close),
      FN("corpusInfo", qn_corpus_info),
      FN("corpusPacking", qn_corpus_packing),
      FN("corpusDateSpan", qn_corpus_date_span),
      FN("corpusSources", qn_corpus_sources),
      FN("corpusCount", qn_corpus_count),
      FN("corpusVerify", qn_corpus_verify),
      FN("corpusRead", qn_corpus_read),
      FN("cursorOpen", qn_cursor_open),
      FN("cursorNext", qn_cursor_next_batch),
      FN("cursorColumns", qn_cursor_next_columns),
      FN("cursorClose", qn_cursor_close),
      FN("writerOpen", qn_writer_open),
      FN("writerAdd", qn_writer_add),
      FN("writerCount", qn_writer_count),
      FN("writerFinish", qn_writer_finish),
      FN("writerClose", qn_writer_close),
      FN("writerImportCsv", qn_writer_import_csv),
      FN("writerDropped", qn_writer_dropped),
      FN("writerOpenAppend", qn_writer_open_append),
      FN("writerAddCorpus", qn_writer_add_corpus),
      FN("dupsFind", qn_dups_find),
      FN("exportToPath", qn_export_to_path),
      FN("streamOpen", qn_stream_open),
      FN("streamRead", qn_stream_read),
      FN("streamCancel", qn_stream_cancel),
      FN("arrowOpen", qn_arrow_open),
      FN("arrowNext", qn_arrow_next),
  };
  napi_value nums;
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) !=
          napi_ok ||
      !(nums = qn_number(env, QN_NUMS)) ||
      napi_set_named_property(env, exports, "NUMBERS_PER_DOC", nums) !=
          napi_ok) {
    qn_throw_napi(env);
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
