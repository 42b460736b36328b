/* util.c: errors, arguments and handles shared by the whole addon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qn.h"

/* What the addon keeps per Node environment (main thread or worker). */
typedef struct qn_data {
  napi_ref error_class; /* QuireError from lib/index.js, or NULL */
} qn_data;

static const char *status_name(int status) {
  static const char *const names[] = {
      "QUIRE_OK",     "QUIRE_ENOTFOUND", "QUIRE_ECORRUPT", "QUIRE_EIO",
      "QUIRE_ENOMEM", "QUIRE_EINVAL",    "QUIRE_EVERSION", "QUIRE_ENOTQUIRE",
      "QUIRE_EDATE",  "QUIRE_EUTF8",     "QUIRE_ECSV",     "QUIRE_ELIMIT",
      "QUIRE_ESTATE", "QUIRE_ECALLBACK"};
  if (status <= 0 && -status < (int)(sizeof names / sizeof names[0]))
    return names[-status];
  return "QUIRE_EUNKNOWN";
}

static napi_value error_object(napi_env env, napi_value msg) {
  qn_data *data = NULL;
  napi_value ctor, err;
  if (napi_get_instance_data(env, (void **)&data) == napi_ok && data &&
      data->error_class &&
      napi_get_reference_value(env, data->error_class, &ctor) == napi_ok &&
      ctor && napi_new_instance(env, ctor, 1, &msg, &err) == napi_ok)
    return err;
  if (napi_create_error(env, NULL, msg, &err) != napi_ok)
    return NULL;
  return err;
}

napi_value qn_status_error(napi_env env, int status, const char *message) {
  const char *text = (message && *message) ? message : quire_strerror(status);
  napi_value msg, err, code, name;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
      !(err = error_object(env, msg)) ||
      napi_create_int32(env, status, &code) != napi_ok ||
      napi_create_string_utf8(env, status_name(status), NAPI_AUTO_LENGTH,
                              &name) != napi_ok ||
      napi_set_named_property(env, err, "code", code) != napi_ok ||
      napi_set_named_property(env, err, "quireCode", name) != napi_ok)
    return NULL;
  return err;
}

void qn_throw_status(napi_env env, int status, const char *message) {
  bool pending = false;
  napi_value err;
  napi_is_exception_pending(env, &pending);
  if (pending)
    return;
  err = qn_status_error(env, status, message);
  if (!err || napi_throw(env, err) != napi_ok)
    napi_throw_error(env, status_name(status),
                     (message && *message) ? message : quire_strerror(status));
}

void qn_throw_type(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending)
    napi_throw_type_error(env, NULL, message);
}

void qn_throw_napi(napi_env env) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending)
    return;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, NULL,
                   info && info->error_message ? info->error_message
                                               : "Node-API call failed");
}

int qn_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    qn_throw_napi(env);
    return -1;
  }
  return 0;
}

static int is_nullish(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok)
    return 0;
  return type == napi_undefined || type == napi_null;
}

int qn_get_str(napi_env env, napi_value value, const char *what, qn_str *out) {
  size_t len = 0;
  out->data = out->small;
  out->len = 0;
  out->small[0] = '\0';
  if (is_nullish(env, value))
    return 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a string", what);
    qn_throw_type(env, msg);
    return -1;
  }
  if (len >= sizeof out->small && !(out->data = malloc(len + 1))) {
    out->data = out->small;
    qn_throw_status(env, QUIRE_ENOMEM, "out of memory copying a string");
    return -1;
  }
  napi_get_value_string_utf8(env, value, out->data, len + 1, &out->len);
  return 0;
}

int qn_get_path(napi_env env, napi_value value, qn_str *out) {
  if (qn_get_str(env, value, "path", out) != 0)
    return -1;
  if (out->len == 0 || strlen(out->data) != out->len) {
    qn_str_free(out);
    qn_throw_status(env, QUIRE_EINVAL,
                    out->len ? "path contains a NUL character"
                             : "path is empty");
    return -1;
  }
  return 0;
}

void qn_str_free(qn_str *s) {
  if (s->data != s->small)
    free(s->data);
  s->data = s->small;
  s->len = 0;
}

int qn_get_opt_int(napi_env env, napi_value value, const char *what, int *has,
                   int64_t *out) {
  double d;
  *has = 0;
  if (is_nullish(env, value))
    return 0;
  if (napi_get_value_double(env, value, &d) != napi_ok || d != d ||
      d < -9007199254740991.0 || d > 9007199254740991.0 ||
      d != (double)(int64_t)d) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be an integer", what);
    qn_throw_type(env, msg);
    return -1;
  }
  *has = 1;
  *out = (int64_t)d;
  return 0;
}

napi_value qn_number(napi_env env, double value) {
  napi_value v;
  QN_CALL(env, napi_create_double(env, value, &v));
  return v;
}

napi_value qn_string(napi_env env, const char *data, size_t len) {
  napi_value v;
  QN_CALL(env, napi_create_string_utf8(env, len ? data : "", len, &v));
  return v;
}

napi_value qn_undefined(napi_env env) {
  napi_value v;
  QN_CALL(env, napi_get_undefined(env, &v));
  return v;
}

int qn_set(napi_env env, napi_value obj, const char *name, napi_value value) {
  if (!value || napi_set_named_property(env, obj, name, value) != napi_ok) {
    qn_throw_napi(env);
    return -1;
  }
  return 0;
}

/* One random tag per kind of handle (napi_type_tag_object). */
static const napi_type_tag tags[QN_KIND_COUNT] = {
    {0x6a1f3c2be9d04c11ULL, 0x8f0e6d35a2b7c401ULL},
    {0x1c7d2e4f5a6b3c22ULL, 0x9e8d7c6b5a4f3e02ULL},
    {0x2b8e3f5a6c7d4e33ULL, 0xa9f8e7d6c5b4a303ULL},
    {0x3c9f4a6b7d8e5f44ULL, 0xbaf9e8d7c6b5a404ULL},
    {0x4da05b7c8e9f6a55ULL, 0xcb0af9e8d7c6b505ULL},
};

static const char *const kind_names[QN_KIND_COUNT] = {
    "a corpus handle", "a cursor handle", "a writer handle",
    "an export stream handle", "an Arrow stream handle"};

napi_value qn_wrap(napi_env env, qn_kind kind, void *ptr, napi_finalize fin) {
  napi_value ext;
  if (napi_create_external(env, ptr, fin, NULL, &ext) != napi_ok) {
    qn_throw_napi(env);
    return NULL;
  }
  /* From here on the finalizer owns ptr, so a failure must not free it. */
  if (napi_type_tag_object(env, ext, &tags[kind]) != napi_ok) {
    qn_throw_napi(env);
    return NULL;
  }
  return ext;
}

void *qn_unwrap(napi_env env, napi_value value, qn_kind kind) {
  bool ok = false;
  void *ptr = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_external &&
      napi_check_object_type_tag(env, value, &tags[kind], &ok) == napi_ok &&
      ok && napi_get_value_external(env, value, &ptr) == napi_ok && ptr)
    return ptr;
  char msg[64];
  snprintf(msg, sizeof msg, "expected %s", kind_names[kind]);
  qn_throw_type(env, msg);
  return NULL;
}

static void free_data(napi_env env, void *ptr, void *hint) {
  qn_data *data = ptr;
  (void)hint;
  if (data->error_class)
    napi_delete_reference(env, data->error_class);
  free(data);
}

napi_value qn_set_error_class(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_valuetype type;
  qn_data *data = NULL;
  if (qn_args(env, info, 1, argv) != 0)
    return NULL;
  QN_CALL(env, napi_typeof(env, argv[0], &type));
  if (type != napi_function) {
    qn_throw_type(env, "setErrorClass expects a constructor");
    return NULL;
  }
  napi_get_instance_data(env, (void **)&data);
  if (!data) {
    if (!(data = calloc(1, sizeof *data))) {
      qn_throw_status(env, QUIRE_ENOMEM, NULL);
      return NULL;
    }
    if (napi_set_instance_data(env, data, free_data, NULL) != napi_ok) {
      free(data);
      qn_throw_napi(env);
      return NULL;
    }
  }
  if (data->error_class)
    napi_delete_reference(env, data->error_class);
  data->error_class = NULL;
  QN_CALL(env, napi_create_reference(env, argv[0], 1, &data->error_class));
  return qn_undefined(env);
}

int qn_buf_append(void *ctx, const char *data, size_t len) {
  qn_buf *b = ctx;
  if (b->len + len + 1 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 256) + len;
    char *grown = realloc(b->data, cap);
    if (!grown) {
      b->oom = 1;
      return 1;
    }
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

int qn_progress_init(napi_env env, napi_value fn, qn_progress *p) {
  napi_valuetype type;
  p->env = env;
  p->fn = NULL;
  p->threw = 0;
  if (is_nullish(env, fn))
    return 0;
  if (napi_typeof(env, fn, &type) != napi_ok || type != napi_function) {
    qn_throw_type(env, "onProgress must be a function");
    return -1;
  }
  p->fn = fn;
  return 0;
}

int qn_progress_call(void *ctx, uint64_t done, uint64_t total) {
  qn_progress *p = ctx;
  napi_handle_scope scope;
  napi_value argv[2], undefined, result;
  napi_valuetype type = napi_undefined;
  bool stop = false;
  if (p->threw)
    return 1;
  if (napi_open_handle_scope(p->env, &scope) != napi_ok)
    return 1;
  napi_get_undefined(p->env, &undefined);
  if (!(argv[0] = qn_number(p->env, (double)done)) ||
      !(argv[1] = qn_number(p->env, (double)total)) ||
      napi_call_function(p->env, undefined, p->fn, 2, argv, &result) !=
          napi_ok) {
    p->threw = 1; /* the exception stays pending for the caller */
  } else if (napi_typeof(p->env, result, &type) == napi_ok &&
             type == napi_boolean) {
    napi_get_value_bool(p->env, result, &stop);
    stop = !stop; /* false stops */
  }
  napi_close_handle_scope(p->env, scope);
  return p->threw || stop;
}

quire_progress_fn qn_progress_fn(const qn_progress *p) {
  return p->fn ? qn_progress_call : NULL;
}
