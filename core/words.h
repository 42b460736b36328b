/*
 * words.h: the word rules of the term filter (words.c) and the matcher the
 * cursor runs on each candidate document.
 *
 * A word is a maximal run of code points of Unicode general category L
 * (letters) or N (numbers); everything else separates words. Words compare
 * by Unicode simple case folding, code point by code point (q_fold()).
 * docs/guide.md, "Terms", says the same for users.
 */
#ifndef QUIRE_WORDS_H
#define QUIRE_WORDS_H

#include "internal.h"

/* Returns the simple case folding of code point cp (cp itself when it has
 * none). */
int32_t q_fold(int32_t cp);

/* Returns 1 when cp is a word character (general category L or N). */
int q_is_word_char(int32_t cp);

/* Calls word(ctx, folded, len) for each word of the UTF-8 text, with its
 * folded UTF-8 bytes (valid until the call returns). Bytes that are not
 * valid UTF-8 separate words. Returns QUIRE_OK, QUIRE_ENOMEM, or the first
 * non-zero value word returned. */
typedef int (*q_word_fn)(void *ctx, const char *folded, size_t len);
int q_words_each(const char *text, size_t len, q_word_fn word, void *ctx);

/* The terms of a filter, parsed into folded words, with the scratch state
 * of one matching document at a time (so a q_terms is used by one thread at
 * a time: cursors take their own copy). */
typedef struct q_terms q_terms;

/* Parses term (UTF-8) into its words and adds it to *terms (created when
 * NULL) as a term that must occur (any == 0) or as one of the terms of
 * which at least one must occur (any != 0). Returns QUIRE_OK, QUIRE_EUTF8,
 * QUIRE_EINVAL (no word in it) or QUIRE_ENOMEM, with a message in msg. */
int q_terms_add(q_terms **terms, const char *term, size_t len, int any,
                char *msg);
/* A copy with fresh scratch state, or NULL when memory ran out. */
q_terms *q_terms_clone(const q_terms *terms);
void q_terms_free(q_terms *terms);

/* Matching one document: begin, feed its fields one by one (a phrase does
 * not run from one field into the next), then read the verdict. feed
 * returns 1 as soon as the document is known to match (the remaining
 * fields need not be fed), 0 otherwise. */
void q_terms_begin(q_terms *terms);
int q_terms_feed(q_terms *terms, const char *text, size_t len);
int q_terms_matched(const q_terms *terms);

/* The parsed terms, for word summaries (wordsum.c): term k is an any-of
 * term or not, and has words 0 .. q_terms_words(k) - 1, folded. */
uint32_t q_terms_count(const q_terms *terms);
int q_terms_is_any(const q_terms *terms, uint32_t k);
uint32_t q_terms_words(const q_terms *terms, uint32_t k);
void q_terms_word(const q_terms *terms, uint32_t k, uint32_t j,
                  const char **folded, size_t *len);

/* The terms of a filter, or NULL when it has none (filter.c). */
const q_terms *q_filter_terms(const quire_filter *filter);

/* Counts the documents matching a filter that has terms, by reading the
 * candidates its sources and dates select (cursor.c). */
int q_count_terms(const quire_corpus *corpus, const quire_filter *filter,
                  uint64_t *count);

#endif
