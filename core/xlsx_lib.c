/*
 * xlsx_lib.c: loads libxlsxwriter on first use (xlsx_lib.h says why).
 *
 * The library is looked up by the name its Debian package gives it
 * (QUIRE_XLSXWRITER_SONAME, set by the build from the library it found),
 * then by the development link name; it must report the major and minor
 * version of the header libquire was compiled with, so that the function
 * types above are its own.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "xlsx_lib.h"

#ifndef QUIRE_XLSXWRITER_SONAME
#define QUIRE_XLSXWRITER_SONAME "libxlsxwriter.so.4"
#endif
/* Set otherwise only by tests/test_xlsx_absent.c's build. */
#ifndef QUIRE_XLSXWRITER_DEVNAME
#define QUIRE_XLSXWRITER_DEVNAME "libxlsxwriter.so"
#endif

static const struct {
  const char *name;
  size_t offset;
} symbols[] = {
#define Q_XLSX_SYM(name)                                                       \
  { #name, offsetof(q_xlsx, name) }
    Q_XLSX_SYM(workbook_new_opt),
    Q_XLSX_SYM(workbook_add_worksheet),
    Q_XLSX_SYM(workbook_add_format),
    Q_XLSX_SYM(workbook_close),
    Q_XLSX_SYM(worksheet_set_column),
    Q_XLSX_SYM(worksheet_write_string),
    Q_XLSX_SYM(worksheet_write_number),
    Q_XLSX_SYM(worksheet_write_datetime),
    Q_XLSX_SYM(worksheet_freeze_panes),
    Q_XLSX_SYM(worksheet_set_landscape),
    Q_XLSX_SYM(worksheet_fit_to_pages),
    Q_XLSX_SYM(worksheet_repeat_rows),
    Q_XLSX_SYM(worksheet_autofilter),
    Q_XLSX_SYM(format_set_num_format),
    Q_XLSX_SYM(format_set_bold),
    Q_XLSX_SYM(lxw_strerror),
    Q_XLSX_SYM(lxw_version),
#undef Q_XLSX_SYM
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static q_xlsx functions;
static int loaded;
static char why[Q_MSG_CAP];

/* The "major.minor." prefix of a version string, dot included. */
static size_t minor_prefix(const char *version) {
  const char *dot = strchr(version, '.');
  dot = dot ? strchr(dot + 1, '.') : NULL;
  return dot ? (size_t)(dot - version) + 1 : strlen(version);
}

static void load(void) {
  static const char *const names[] = {QUIRE_XLSXWRITER_SONAME,
                                      QUIRE_XLSXWRITER_DEVNAME};
  void *lib = NULL;
  for (size_t i = 0; !lib && i < sizeof names / sizeof names[0]; i++)
    lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(why, sizeof why,
             "the XLSX export needs libxlsxwriter (%s), which cannot be "
             "loaded: %s",
             QUIRE_XLSXWRITER_SONAME, dlerror());
    return;
  }
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
    void *fn = dlsym(lib, symbols[i].name);
    if (!fn) {
      snprintf(why, sizeof why, "libxlsxwriter lacks %s", symbols[i].name);
      return;
    }
    /* POSIX makes dlsym's object pointer convertible to a function's. */
    memcpy((char *)&functions + symbols[i].offset, &fn, sizeof fn);
  }
  const char *version = functions.lxw_version();
  size_t n = minor_prefix(LXW_VERSION);
  if (!version || strncmp(version, LXW_VERSION, n) != 0) {
    snprintf(why, sizeof why,
             "libxlsxwriter %s is loaded, but libquire was built for %s",
             version ? version : "(unknown)", LXW_VERSION);
    return;
  }
  loaded = 1;
}

const q_xlsx *q_xlsx_get(char *msg) {
  pthread_once(&once, load);
  if (loaded)
    return &functions;
  q_fail_message(msg, "%s", why);
  return NULL;
}
