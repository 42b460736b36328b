/*
 * internal.h: helpers shared by every file of core/. Not installed; nothing
 * here is part of the ABI.
 */
#ifndef QUIRE_INTERNAL_H
#define QUIRE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "quire.h"

/* Allocation, routed through quire_set_allocator(). q_malloc(0) returns a
 * valid unique pointer; every function returns NULL when memory runs out. */
void *q_malloc(size_t size);
void *q_calloc(size_t count, size_t size); /* NULL on overflow too */
void *q_realloc(void *ptr, size_t size);
void q_free(void *ptr);
char *q_strndup(const char *s, size_t len);
/* The allocator in the form libcsv takes it (no context pointer). */
void *q_csv_realloc(void *ptr, size_t size);
void q_csv_free(void *ptr);

/* Every handle carries a fixed message buffer of this size, so that
 * reporting an error never allocates. */
#define Q_MSG_CAP 512

/* Formats a message into msg (Q_MSG_CAP bytes; NULL for none) and is
 * status, so that callers can write:
 *   return q_fail(w->msg, QUIRE_EIO, "cannot write %s", p);
 * A macro, so that the value is visible where it is used (the static
 * analyser follows each path's status); status is evaluated once, after
 * the message is written. */
void q_fail_message(char *msg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int q_fail_status(int status) {
  return status;
}
#define q_fail(msg, status, ...)                                               \
  (q_fail_message((msg), __VA_ARGS__), q_fail_status(status))

/* Grows an array of elements of size bytes whose capacity is *cap so that
 * it holds at least need of them: the capacity doubles (starting from first,
 * or from need when first is 0) until need fits. Returns the array, moved or
 * not, with *cap updated; NULL when memory runs out or the byte count would
 * overflow, the array and *cap then unchanged and still the caller's.
 * Parallel arrays sharing one capacity each grow from a copy of it and
 * store the last one's. */
void *q_grow(void *array, size_t *cap, size_t need, size_t size, size_t first);

/* A growable byte buffer. */
typedef struct q_buf {
  char *data;
  size_t len;
  size_t cap;
} q_buf;
int q_buf_reserve(q_buf *b, size_t extra); /* QUIRE_OK or QUIRE_ENOMEM */
int q_buf_append(q_buf *b, const void *data, size_t len);
/* Empties b and gives it room for exactly need bytes, for contents whose
 * size is known in advance (an inflated block): it grows to need, not to a
 * doubling, and lets go of what a much larger earlier content left, so that
 * a buffer reused for every block of a walk holds about one block, not the
 * largest block of the corpus. QUIRE_OK or QUIRE_ENOMEM (b then empty and
 * unchanged). */
int q_buf_fit(q_buf *b, size_t need);
void q_buf_free(q_buf *b);

/* Large buffers released by an Arrow consumer, kept a moment for the next
 * batches instead of freed (spare.c says why and for how long).
 * q_spare_take() returns a kept buffer of at least need bytes, with its
 * capacity in *cap, or NULL (then allocate as usual); the caller owns it.
 * q_spare_give() takes ownership of a q_malloc()ed buffer of cap bytes and
 * keeps it or frees it, and frees what has been kept over a second (and
 * a parked pool thread frees what has been kept 10 s, pool.h).
 * q_spare_expire() frees what has been kept age_ns or longer;
 * q_spare_drain() frees everything, the kept read-ahead queues too
 * (quire_set_allocator() calls it before the allocator changes).
 * q_spare_kept(): the bytes kept now. */
void *q_spare_take(size_t need, size_t *cap);
void q_spare_give(void *data, size_t cap);
void q_spare_expire(uint64_t age_ns);
void q_spare_drain(void);
size_t q_spare_kept(void);
/* For the tests: how long a buffer, inflater or read-ahead queue is kept
 * before a parked helper thread frees it even if the library is not
 * called (10 s). */
void q_spare_set_idle_ns(uint64_t ns);
/* Asks for the tending of what is kept (ahead.c calls it when it keeps a
 * stopped read-ahead queue). */
void q_spare_tend_soon(void);

/* CLOCK_MONOTONIC now, in nanoseconds (util.c). */
uint64_t q_now_ns(void);

/* How many fork()s made this process a child, counted from the first use
 * of spare.c (spare.c): helper threads started in another generation do not
 * exist in this process. */
unsigned q_fork_generation(void);

/* An output file that appears at its path only when committed: the bytes go
 * to a temporary file in the same directory, which q_outfile_commit() syncs
 * and renames over the path. Where the system has them (Linux, O_TMPFILE)
 * the temporary file has no name until commit, so that a killed process
 * leaves nothing behind; q_outfile_open_named() always names it (for
 * libraries that want a path). q_outfile_abort() (and commit on failure)
 * removes the temporary file.
 * A destination that exists and is not a regular file (a pipe, /dev/null,
 * a terminal) is written directly, with no temporary file and no rename,
 * so that it stays what it is (a named output goes to a temporary file in
 * $TMPDIR that commit copies there); so is a name of a descriptor the
 * process has open (/dev/stdout, /dev/fd/N), through that descriptor. A
 * symbolic link to a regular file is followed, so that the link stays a
 * link. */
typedef struct q_outfile {
  int fd;
  int dest_fd;      /* a direct named output's destination, copied into */
  int unnamed;      /* O_TMPFILE: no name until commit */
  int direct;       /* written straight to path, not renamed */
  char *path;       /* final path */
  char *tmp_path;   /* the temporary file's name, if it has one */
  uint64_t written; /* bytes appended by q_outfile_write() */
  uint64_t flushed; /* of which handed to the disk already */
} q_outfile;
int q_outfile_open(q_outfile *f, const char *path, char *msg);
int q_outfile_open_named(q_outfile *f, const char *path, char *msg);
int q_outfile_write(q_outfile *f, const void *data, size_t len, char *msg);
int q_outfile_pwrite(q_outfile *f, const void *data, size_t len,
                     uint64_t offset, char *msg);
int q_outfile_commit(q_outfile *f, char *msg);
void q_outfile_abort(q_outfile *f);

/* The one loop around read(), write(), pread() and pwrite(): moves len
 * bytes between fd and the buffer, at offset, or at (and advancing) the
 * file position when offset is Q_IO_HERE, retrying EINTR and short counts.
 * Returns the bytes moved: len, or fewer when a read meets the end of the
 * file (errno then 0) or a call fails (errno says why; 0 when a write
 * moved nothing). */
#define Q_IO_HERE (-1)
size_t q_io_read(int fd, void *buf, size_t len, int64_t offset);
size_t q_io_write(int fd, const void *data, size_t len, int64_t offset);

/* Writes all of data to fd at its file position (q_io_write()). Returns
 * QUIRE_OK or QUIRE_EIO with errno's text in msg. */
int q_write_all(int fd, const void *data, size_t len, const char *what,
                char *msg);

/* Opens a scratch file named head, tail and a unique suffix, and unlinks it
 * at once, so that it vanishes when its descriptor is closed, a killed
 * process included. Returns the descriptor, or -1 with errno set (ENOMEM
 * when the name cannot be made). */
int q_scratch_open(const char *head, const char *tail);
/* The system's directory for temporary files: $TMPDIR, else /tmp. */
const char *q_tmp_dir(void);

/* 1 when a CSV import into w parses its input on a thread of its own
 * (csv_pipe.h): w may use more than one thread and only stores the rows
 * it is given until quire_writer_finish() (clustered order), so the
 * parsing would otherwise leave its threads idle. */
int q_writer_parses_ahead(const quire_writer *w);

/* UTF-8. q_utf8_valid() returns the offset of the first invalid byte, or len
 * when all of data is valid. q_utf8_repair() appends data to out with each
 * invalid sequence replaced by U+FFFD. */
size_t q_utf8_valid(const char *data, size_t len);
int q_utf8_repair(const char *data, size_t len, q_buf *out);

/* Dates as stored: the instant, its precision, and how its zone was written
 * (so that it is written back as given). */
#define Q_TZ_NONE 0   /* no zone given: read as UTC, written without one */
#define Q_TZ_UTC 1    /* "Z" */
#define Q_TZ_OFFSET 2 /* +hh:mm or -hh:mm, in tz_minutes */
typedef struct q_date {
  int64_t seconds; /* UTC instant of the first moment; QUIRE_NO_DATE if none */
  int precision;   /* QUIRE_DATE_* */
  int tz_kind;     /* Q_TZ_* */
  int tz_minutes;  /* offset east of UTC, for Q_TZ_OFFSET */
} q_date;
/* Parses ISO 8601 or RFC 2822; QUIRE_OK or QUIRE_EDATE. */
int q_date_parse(const char *text, size_t len, q_date *out);
/* Writes the date as given (local time and zone of the original), ISO 8601;
 * returns the length, 0 for an undated date. buf holds at least 40 bytes. */
size_t q_date_format(const q_date *d, char *buf, size_t cap);
/* The last second of the period a partial date names. */
int64_t q_date_period_end(const q_date *d);

#endif /* QUIRE_INTERNAL_H */
