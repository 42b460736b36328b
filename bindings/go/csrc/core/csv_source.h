/*
 * csv_source.h: the bytes of a CSV input, read from a file descriptor or
 * from memory as they are or, when the input starts with the magic number
 * of gzip or of zstd, decompressed as they are read (csv_source.c).
 *
 * Why: corpora are kept as articles.csv.gz (the peer benchmarks/ compares
 * with) or .csv.zst, and packing one should not need a decompressed copy on
 * disk. The input is recognized by its first bytes, not its name, so a
 * compressed stream on standard input works too. Concatenated gzip members
 * and zstd frames are read one after the other, as zcat and zstdcat do.
 */
#ifndef QUIRE_CSV_SOURCE_H
#define QUIRE_CSV_SOURCE_H

#include "internal.h"

typedef struct q_csv_source q_csv_source;

/* What the input turned out to be (known after the first read). */
enum { Q_SOURCE_PLAIN, Q_SOURCE_GZIP, Q_SOURCE_ZSTD };

/* What the first len bytes of an input say it is: Q_SOURCE_GZIP or
 * Q_SOURCE_ZSTD for their magic numbers, else Q_SOURCE_PLAIN. */
int q_csv_compression_of(const char *data, size_t len);

/* Makes a source reading fd, which stays the caller's to close. Returns
 * QUIRE_OK or QUIRE_ENOMEM (*out NULL). */
int q_csv_source_new(q_csv_source **out, int fd);

/* Makes a source reading data[0, len), which must stay valid and unchanged
 * until the source is freed; messages call it "the input" where a file's
 * say "the file". Returns QUIRE_OK or QUIRE_ENOMEM (*out NULL). */
int q_csv_source_new_memory(q_csv_source **out, const char *data, size_t len);

/* Frees the source. NULL is a no-op. */
void q_csv_source_free(q_csv_source *s);

/* Reads up to len bytes of CSV into buf and returns how many; 0 at the end
 * of the input or on failure. A failure sets *status to QUIRE_EIO (reading
 * failed), QUIRE_ECSV (the compressed data is damaged, or ends inside a
 * member or frame) or QUIRE_ENOMEM, with a message in msg; otherwise
 * *status is left as it was. The bytes made before a failure come first,
 * and the failure with the next read, as with read(2); from then on every
 * read returns 0 with the same status. */
size_t q_csv_source_read(q_csv_source *s, char *buf, size_t len, int *status,
                         char *msg);

/* Reads on and discards at most limit more bytes, looking for damage that
 * zlib or zstd find only further on than a row error it caused (gzip
 * checks a member's CRC at its end). Returns QUIRE_ECSV with a message in
 * msg when the compressed data is damaged or cut short there, else
 * QUIRE_OK: nothing found, or the input is not compressed. */
int q_csv_source_check_ahead(q_csv_source *s, uint64_t limit, char *msg);

/* Bytes read from the descriptor (or memory) so far: what progress is counted
 * in, so that it ends at the file's size even when the file is compressed. */
uint64_t q_csv_source_consumed(const q_csv_source *s);

/* One of Q_SOURCE_*. */
int q_csv_source_kind(const q_csv_source *s);

#endif
