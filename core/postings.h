/*
 * postings.h: word postings (postings.c): for each rare word of a corpus,
 * the exact list of the documents whose title or text holds it. A filter
 * whose terms are such words is answered from the list without reading a
 * block; a term with one such word reads only the blocks of its documents.
 * The section's layout (QWP_*) is in format.h.
 */
#ifndef QUIRE_POSTINGS_H
#define QUIRE_POSTINGS_H

#include "format.h"
#include "words.h"

/* ---- writing ---------------------------------------------------------------
 */

typedef struct q_post_builder q_post_builder;

/* Returns QUIRE_OK or QUIRE_ENOMEM (*out NULL). */
int q_post_builder_new(q_post_builder **out);

/* Adds the docs documents of the next text block, numbered from first_doc:
 * rows are their document-table rows (format.h), which place each text in
 * text and each metadata record (only the title is read) in meta. Appends
 * to hashes the q_word_hash() of the words of each document, each distinct
 * word once per document (the word summaries' input). QUIRE_OK or
 * QUIRE_ENOMEM; running out of the builder's own memory budget is not a
 * failure: words first seen after it are not listed. */
int q_post_builder_block(q_post_builder *b, const char *text, size_t text_len,
                         const char *meta, size_t meta_len, const uint8_t *rows,
                         uint32_t first_doc, uint32_t docs, q_buf *hashes);

/* Appends the section for a file of docs documents to out, listing the
 * rarest words first while they fit in budget bytes; leaves out unchanged
 * when no word fits. QUIRE_OK or QUIRE_ENOMEM. */
int q_post_builder_finish(q_post_builder *b, uint64_t docs, uint64_t budget,
                          q_buf *out);

void q_post_builder_free(q_post_builder *b);

/* ---- reading ---------------------------------------------------------------
 */

/* What q_postings_restrict() did. */
enum {
  Q_POSTINGS_UNUSED = 0, /* nothing: the terms' words are not listed */
  Q_POSTINGS_NARROWED,   /* fewer candidates, which still need checking */
  Q_POSTINGS_EXACT       /* the candidates are the answer */
};

/* Narrows *matches (a bitmap of the corpus's documents, or NULL for all,
 * then allocated) to the documents that may hold the terms, by the words
 * the file's postings list: a term any of whose words is listed can only
 * be in that word's documents. When every term is one listed word, the
 * bitmap is the answer and no document needs checking. A file without
 * usable postings (none, damaged, or for another document count) leaves
 * *matches unchanged: the caller reads the blocks. Stores a Q_POSTINGS_*
 * in *use. QUIRE_OK or QUIRE_ENOMEM. */
int q_postings_restrict(const quire_corpus *c, const q_terms *terms,
                        uint64_t **matches, int *use);

#endif
