/*
 * consumer.c: a program built against an installed libquire, the way an
 * application would build it (tests/install/install_test.sh builds it with
 * pkg-config and with CMake). It writes a small corpus into the directory
 * given, reads it back and checks what it reads, then prints the file the
 * quire functions were loaded from, so that the test can tell the installed
 * library from the one in the build tree.
 */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <quire.h>
#include <stdio.h>
#include <string.h>

/* Prints what failed and returns 1, for: return fail(...). */
static int fail(const char *what, int status, const char *detail) {
  fprintf(stderr, "consumer: %s: %s (%s)\n", what, quire_strerror(status),
          detail ? detail : "");
  return 1;
}

static int write_corpus(const char *path) {
  quire_writer *w;
  int status = quire_writer_open(path, &w);
  quire_document doc = QUIRE_DOCUMENT_INIT;
  doc.source = "Daily Planet";
  doc.source_len = 12;
  doc.date = "2016-01-31";
  doc.date_len = 10;
  doc.title = "Heat wave";
  doc.title_len = 9;
  doc.author = "Lois Lane";
  doc.author_len = 9;
  doc.url = "http://dp/1";
  doc.url_len = 11;
  doc.text = "It was hot.";
  doc.text_len = 11;
  if (status == QUIRE_OK)
    status = quire_writer_add_document(w, &doc);
  quire_document undated = QUIRE_DOCUMENT_INIT; /* no source, no date */
  undated.title = "Untitled";
  undated.title_len = 8;
  undated.text = "Undated text.";
  undated.text_len = 13;
  if (status == QUIRE_OK)
    status = quire_writer_add_document(w, &undated);
  if (status == QUIRE_OK)
    status = quire_writer_finish(w);
  int result = status == QUIRE_OK
                   ? 0
                   : fail("writing", status, w ? quire_writer_errmsg(w) : NULL);
  quire_writer_free(w);
  return result;
}

/* Checks the corpus: counts, a filter, and the first document's fields
 * (clustered order puts the document with a source first). */
static int check_corpus(quire_corpus *c) {
  if (quire_corpus_doc_count(c) != 2 || quire_corpus_source_count(c) != 1 ||
      quire_corpus_undated_count(c) != 1)
    return fail("counts", QUIRE_ECORRUPT, "expected 2 documents, 1 source");
  quire_filter *f;
  uint64_t matches = 0;
  int status = quire_filter_new(&f);
  if (status == QUIRE_OK)
    status = quire_filter_add_source(f, "Daily Planet", 12);
  if (status == QUIRE_OK)
    status = quire_corpus_count_matches(c, f, &matches);
  quire_filter_free(f);
  if (status != QUIRE_OK || matches != 1)
    return fail("counting by source", status, "expected 1 match");
  quire_cursor *cur;
  const char *text = NULL;
  size_t len = 0;
  status = quire_cursor_open(c, NULL, &cur);
  if (status == QUIRE_OK && (status = quire_cursor_next(cur)) == QUIRE_ROW)
    status = quire_cursor_field(cur, QUIRE_FIELD_TEXT, &text, &len);
  int result = 0;
  if (status != QUIRE_OK)
    result = fail("reading", status, cur ? quire_cursor_errmsg(cur) : NULL);
  else if (len != 11 || memcmp(text, "It was hot.", 11) != 0)
    result = fail("reading", QUIRE_ECORRUPT, "wrong text");
  quire_cursor_free(cur);
  return result;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer DIRECTORY\n");
    return 2;
  }
  if (quire_version_number() != QUIRE_VERSION_NUMBER)
    return fail("version", QUIRE_EVERSION, "header and library differ");
  char path[4096];
  snprintf(path, sizeof path, "%s/consumer.quire", argv[1]);
  if (write_corpus(path) != 0)
    return 1;
  quire_corpus *c;
  int status = quire_corpus_open(path, &c);
  int result = status == QUIRE_OK
                   ? check_corpus(c)
                   : fail("opening", status, quire_corpus_errmsg(c));
  quire_corpus_free(c);
  if (result != 0)
    return result;
  /* POSIX lets a function pointer be held in a void *; ISO C has no
   * conversion for it, hence the copy. */
  const char *(*fn)(void) = quire_version_string;
  void *addr;
  memcpy(&addr, &fn, sizeof addr);
  Dl_info info;
  if (!dladdr(addr, &info) || !info.dli_fname)
    return fail("dladdr", QUIRE_ENOTFOUND, "cannot locate libquire");
  printf("libquire %s from %s\n", quire_version_string(), info.dli_fname);
  return 0;
}
