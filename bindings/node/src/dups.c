/* dups.c: groups of duplicate documents across corpora (quire_dups_*). */
#include <stdio.h>

#include "qn.h"

/* Reads an optional number in (0, 1]; 0 when undefined or null. Returns 0,
 * or -1 with a TypeError pending. */
int qn_get_opt_similarity(napi_env env, napi_value value, double *out) {
  napi_valuetype type;
  *out = 0;
  if (napi_typeof(env, value, &type) != napi_ok) {
    qn_throw_napi(env);
    return -1;
  }
  if (type == napi_undefined || type == napi_null)
    return 0;
  if (type != napi_number ||
      napi_get_value_double(env, value, out) != napi_ok) {
    qn_throw_type(env, "similarity must be a number");
    return -1;
  }
  return 0;
}

/* One group as [kind, corpus, doc, similarity, corpus, doc, ...]. */
static napi_value group_array(napi_env env, const quire_dups *d, uint64_t g) {
  napi_value arr;
  int kind, status;
  uint64_t size;
  if ((status = quire_dups_group(d, g, &kind, &size)) != QUIRE_OK) {
    qn_throw_status(env, status, quire_dups_errmsg(d));
    return NULL;
  }
  QN_CALL(env, napi_create_array_with_length(env, 1 + 3 * (size_t)size, &arr));
  QN_CALL(env, napi_set_element(env, arr, 0, qn_number(env, kind)));
  for (uint64_t m = 0; m < size; m++) {
    uint32_t corpus;
    uint64_t doc;
    double sim;
    if ((status = quire_dups_member(d, g, m, &corpus, &doc, &sim)) !=
        QUIRE_OK) {
      qn_throw_status(env, status, quire_dups_errmsg(d));
      return NULL;
    }
    uint32_t at = 1 + 3 * (uint32_t)m;
    QN_CALL(env, napi_set_element(env, arr, at, qn_number(env, corpus)));
    QN_CALL(env,
            napi_set_element(env, arr, at + 1, qn_number(env, (double)doc)));
    QN_CALL(env, napi_set_element(env, arr, at + 2, qn_number(env, sim)));
  }
  return arr;
}

/* Adds every corpus of the array, then returns the groups. */
static napi_value find(napi_env env, quire_dups *d, napi_value list) {
  uint32_t n;
  napi_value result;
  int status;
  if (napi_get_array_length(env, list, &n) != napi_ok) {
    qn_throw_type(env, "corpora must be an array");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    qn_corpus *c;
    QN_CALL(env, napi_get_element(env, list, i, &item));
    if (!(c = qn_corpus_get(env, item)))
      return NULL;
    if ((status = quire_dups_add_corpus(d, c->corpus)) != QUIRE_OK) {
      qn_throw_status(env, status, quire_dups_errmsg(d));
      return NULL;
    }
  }
  uint64_t count = quire_dups_group_count(d);
  QN_CALL(env, napi_create_array_with_length(env, (size_t)count, &result));
  for (uint64_t g = 0; g < count; g++) {
    napi_value group = group_array(env, d, g);
    if (!group)
      return NULL;
    QN_CALL(env, napi_set_element(env, result, (uint32_t)g, group));
  }
  return result;
}

/* dupsFind(corpora, kinds, similarity) -> [[kind, corpus, doc, sim, ...]] */
napi_value qn_dups_find(napi_env env, napi_callback_info info) {
  napi_value argv[3], result = NULL;
  quire_dups *d = NULL;
  int has, status;
  int64_t kinds;
  double similarity;
  if (qn_args(env, info, 3, argv) != 0 ||
      qn_get_opt_int(env, argv[1], "kinds", &has, &kinds) != 0 ||
      qn_get_opt_similarity(env, argv[2], &similarity) != 0)
    return NULL;
  if ((status = quire_dups_new(&d)) != QUIRE_OK) {
    qn_throw_status(env, status, NULL);
    return NULL;
  }
  if (has && (kinds < INT32_MIN || kinds > INT32_MAX))
    kinds = 0;
  if (has && (status = quire_dups_set_kinds(d, (int)kinds)) != QUIRE_OK)
    qn_throw_status(env, status, quire_dups_errmsg(d));
  else if (similarity != 0 &&
           (status = quire_dups_set_similarity(d, similarity)) != QUIRE_OK)
    qn_throw_status(env, status, quire_dups_errmsg(d));
  else
    result = find(env, d, argv[0]);
  quire_dups_free(d);
  return result;
}
