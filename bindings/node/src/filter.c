/* filter.c: a quire_filter from the filter object lib/index.js builds. */
#include <stdio.h>

#include "qn.h"

static int get_prop(napi_env env, napi_value obj, const char *name,
                    napi_value *out) {
  if (napi_get_named_property(env, obj, name, out) != napi_ok) {
    qn_throw_napi(env);
    return -1;
  }
  return 0;
}

/* Adds each string of list (undefined: none) with add: sources, terms. */
static int add_list(napi_env env, quire_filter *f, napi_value list,
                    const char *what,
                    int (*add)(quire_filter *, const char *, size_t)) {
  bool is_array = false;
  uint32_t n = 0, i;
  napi_valuetype type;
  if (napi_typeof(env, list, &type) != napi_ok)
    return qn_throw_napi(env), -1;
  if (type == napi_undefined || type == napi_null)
    return 0;
  if (napi_is_array(env, list, &is_array) != napi_ok || !is_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an array of strings", what);
    qn_throw_type(env, msg);
    return -1;
  }
  napi_get_array_length(env, list, &n);
  for (i = 0; i < n; i++) {
    napi_value item;
    qn_str name;
    int status;
    if (napi_get_element(env, list, i, &item) != napi_ok)
      return qn_throw_napi(env), -1;
    if (qn_get_str(env, item, what, &name) != 0)
      return -1;
    status = add(f, name.data, name.len);
    qn_str_free(&name);
    if (status != QUIRE_OK) {
      qn_throw_status(env, status, quire_filter_errmsg(f));
      return -1;
    }
  }
  return 0;
}

/* Sets one date bound; an absent or empty one leaves it unset. */
static int set_bound(napi_env env, quire_filter *f, napi_value value,
                     const char *what,
                     int (*set)(quire_filter *, const char *, size_t)) {
  qn_str date;
  int status;
  if (qn_get_str(env, value, what, &date) != 0)
    return -1;
  status = date.len ? set(f, date.data, date.len) : QUIRE_OK;
  qn_str_free(&date);
  if (status != QUIRE_OK) {
    qn_throw_status(env, status, quire_filter_errmsg(f));
    return -1;
  }
  return 0;
}

static int fill(napi_env env, quire_filter *f, napi_value spec) {
  napi_value sources, from, to, undated, match, match_any;
  int has;
  int64_t mode;
  int status;
  if (get_prop(env, spec, "sources", &sources) ||
      get_prop(env, spec, "from", &from) || get_prop(env, spec, "to", &to) ||
      get_prop(env, spec, "undated", &undated) ||
      get_prop(env, spec, "match", &match) ||
      get_prop(env, spec, "matchAny", &match_any) ||
      add_list(env, f, sources, "sources", quire_filter_add_source) ||
      add_list(env, f, match, "match", quire_filter_add_term) ||
      add_list(env, f, match_any, "matchAny", quire_filter_add_any_term) ||
      set_bound(env, f, from, "from", quire_filter_set_from) ||
      set_bound(env, f, to, "to", quire_filter_set_to) ||
      qn_get_opt_int(env, undated, "undated mode", &has, &mode))
    return -1;
  if (has && (status = quire_filter_set_undated(f, (int)mode)) != QUIRE_OK) {
    qn_throw_status(env, status, quire_filter_errmsg(f));
    return -1;
  }
  return 0;
}

int qn_filter_from_js(napi_env env, napi_value spec, quire_filter **out) {
  napi_valuetype type;
  quire_filter *f = NULL;
  int status;
  *out = NULL;
  if (napi_typeof(env, spec, &type) != napi_ok)
    return qn_throw_napi(env), -1;
  if (type == napi_undefined || type == napi_null)
    return 0;
  if (type != napi_object) {
    qn_throw_type(env, "a filter must be an object");
    return -1;
  }
  if ((status = quire_filter_new(&f)) != QUIRE_OK) {
    qn_throw_status(env, status, NULL);
    return -1;
  }
  if (fill(env, f, spec) != 0) {
    quire_filter_free(f);
    return -1;
  }
  *out = f;
  return 0;
}
