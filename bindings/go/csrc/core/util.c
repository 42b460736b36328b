/*
 * util.c: allocation, error messages, growable arrays and buffers, reading
 * and writing file descriptors, atomic output files and the version and
 * status-name functions.
 */
#define _GNU_SOURCE /* O_TMPFILE, linkat() */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "internal.h"

/* ---- allocation ---------------------------------------------------------- */

static void *default_malloc(void *ctx, size_t size) {
  (void)ctx;
  return malloc(size);
}
static void *default_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  return realloc(ptr, size);
}
static void default_free(void *ctx, void *ptr) {
  (void)ctx;
  free(ptr);
}

static quire_malloc_fn alloc_malloc = default_malloc;
static quire_realloc_fn alloc_realloc = default_realloc;
static quire_free_fn alloc_free = default_free;
static void *alloc_ctx;

int quire_set_allocator(quire_malloc_fn malloc_fn, quire_realloc_fn realloc_fn,
                        quire_free_fn free_fn, void *ctx) {
  if ((malloc_fn || realloc_fn || free_fn) &&
      (!malloc_fn || !realloc_fn || !free_fn))
    return QUIRE_EINVAL;
  /* Kept batch buffers were allocated by the functions being replaced. */
  q_spare_drain();
  if (!malloc_fn) {
    alloc_malloc = default_malloc;
    alloc_realloc = default_realloc;
    alloc_free = default_free;
    alloc_ctx = NULL;
    q_codec_set_allocator(q_malloc, q_free);
    return QUIRE_OK;
  }
  alloc_malloc = malloc_fn;
  alloc_realloc = realloc_fn;
  alloc_free = free_fn;
  alloc_ctx = ctx;
  q_codec_set_allocator(q_malloc, q_free);
  return QUIRE_OK;
}

void *q_malloc(size_t size) {
  return alloc_malloc(alloc_ctx, size ? size : 1);
}

void *q_calloc(size_t count, size_t size) {
  if (size && count > SIZE_MAX / size)
    return NULL;
  void *p = q_malloc(count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

void *q_realloc(void *ptr, size_t size) {
  return alloc_realloc(alloc_ctx, ptr, size ? size : 1);
}

void q_free(void *ptr) {
  if (ptr)
    alloc_free(alloc_ctx, ptr);
}

char *q_strndup(const char *s, size_t len) {
  char *copy = q_malloc(len + 1);
  if (copy) {
    if (len)
      memcpy(copy, s, len);
    copy[len] = '\0';
  }
  return copy;
}

/* libcsv's realloc hook has no context and may be called with NULL. */
void *q_csv_realloc(void *ptr, size_t size) {
  return q_realloc(ptr, size);
}
void q_csv_free(void *ptr) {
  q_free(ptr);
}

/* ---- messages and status names ------------------------------------------- */

void q_fail_message(char *msg, const char *fmt, ...) {
  if (msg) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, Q_MSG_CAP, fmt, ap);
    va_end(ap);
  }
}

const char *quire_strerror(int status) {
  switch (status) {
  case QUIRE_OK:
    return "ok";
  case QUIRE_ROW:
    return "a document is ready";
  case QUIRE_DONE:
    return "no more documents";
  case QUIRE_ENOTFOUND:
    return "not found";
  case QUIRE_ECORRUPT:
    return "file is corrupt";
  case QUIRE_EIO:
    return "input/output error";
  case QUIRE_ENOMEM:
    return "out of memory";
  case QUIRE_EINVAL:
    return "invalid argument";
  case QUIRE_EVERSION:
    return "unsupported format version";
  case QUIRE_ENOTQUIRE:
    return "not a quire file";
  case QUIRE_EDATE:
    return "invalid date";
  case QUIRE_EUTF8:
    return "invalid UTF-8";
  case QUIRE_ECSV:
    return "malformed CSV";
  case QUIRE_ELIMIT:
    return "limit exceeded";
  case QUIRE_ESTATE:
    return "handle is finished, failed or closed";
  case QUIRE_ECALLBACK:
    return "stopped by callback";
  default:
    return "unknown status";
  }
}

int quire_version_number(void) {
  return QUIRE_VERSION_NUMBER;
}
const char *quire_version_string(void) {
  return QUIRE_VERSION_STRING;
}

/* ---- growable buffers ------------------------------------------------------
 */

void *q_grow(void *array, size_t *cap, size_t need, size_t size, size_t first) {
  if (array && need <= *cap)
    return array;
  size_t grown = *cap ? *cap : first ? first : need;
  while (grown < need)
    grown = grown > SIZE_MAX / 2 ? need : grown * 2;
  /* Doubling past what memory can address falls back to exactly need. */
  if (size && grown > SIZE_MAX / size)
    grown = need;
  if (size && grown > SIZE_MAX / size)
    return NULL;
  void *bigger = q_realloc(array, grown * size);
  if (bigger)
    *cap = grown;
  return bigger;
}

int q_buf_reserve(q_buf *b, size_t extra) {
  if (extra > SIZE_MAX - b->len)
    return QUIRE_ENOMEM;
  if (b->len + extra <= b->cap)
    return QUIRE_OK;
  char *data = q_grow(b->data, &b->cap, b->len + extra, 1, 256);
  if (!data)
    return QUIRE_ENOMEM;
  b->data = data;
  return QUIRE_OK;
}

/* A buffer of at most this much is never shrunk: metadata blocks of a few
 * KiB vary from one to the next, and reallocating for each would cost more
 * than the memory saved. */
#define Q_BUF_KEEP ((size_t)64 << 10)
#define Q_BUF_PAGE ((size_t)4096)

int q_buf_fit(q_buf *b, size_t need) {
  b->len = 0;
  /* Sizes rounded up to whole pages leave the allocator a few sizes to
   * reuse, not one for every block. */
  if (need > SIZE_MAX - Q_BUF_PAGE)
    return QUIRE_ENOMEM;
  size_t want = (need + Q_BUF_PAGE - 1) / Q_BUF_PAGE * Q_BUF_PAGE;
  size_t keep = want > Q_BUF_KEEP ? want : Q_BUF_KEEP;
  int fits = need <= b->cap;
  if (fits && b->cap <= keep + keep / 4)
    return QUIRE_OK;
  char *data = q_realloc(b->data, want);
  if (!data)
    return fits ? QUIRE_OK : QUIRE_ENOMEM;
  b->data = data;
  b->cap = want;
  return QUIRE_OK;
}

int q_buf_append(q_buf *b, const void *data, size_t len) {
  if (q_buf_reserve(b, len) != QUIRE_OK)
    return QUIRE_ENOMEM;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  return QUIRE_OK;
}

void q_buf_free(q_buf *b) {
  q_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* ---- reading and writing file descriptors -------------------------------- */

/* One transfer of q_io_read() or q_io_write(): exactly one of in and out is
 * set. */
typedef struct io_op {
  int fd;
  char *in;        /* a read's buffer */
  const char *out; /* a write's bytes */
  int64_t offset;  /* or Q_IO_HERE */
} io_op;

/* One system call moving up to len bytes, done bytes into the transfer. */
static ssize_t io_call(const io_op *op, size_t done, size_t len) {
  off_t at = (off_t)(op->offset + (int64_t)done);
  if (op->in)
    return op->offset == Q_IO_HERE ? read(op->fd, op->in + done, len)
                                   : pread(op->fd, op->in + done, len, at);
  return op->offset == Q_IO_HERE ? write(op->fd, op->out + done, len)
                                 : pwrite(op->fd, op->out + done, len, at);
}

static size_t io_loop(const io_op *op, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = io_call(op, done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = 0; /* the end of the file, or a write that made no room */
      break;
    }
    done += (size_t)n;
  }
  return done;
}

size_t q_io_read(int fd, void *buf, size_t len, int64_t offset) {
  io_op op = {fd, buf, NULL, offset};
  return io_loop(&op, len);
}

size_t q_io_write(int fd, const void *data, size_t len, int64_t offset) {
  io_op op = {fd, NULL, data, offset};
  return io_loop(&op, len);
}

int q_write_all(int fd, const void *data, size_t len, const char *what,
                char *msg) {
  if (q_io_write(fd, data, len, Q_IO_HERE) < len)
    return q_fail(msg, QUIRE_EIO, "cannot write %s: %s", what,
                  errno ? strerror(errno) : "no space written");
  return QUIRE_OK;
}

const char *q_tmp_dir(void) {
  const char *dir = getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

/* Opens an unnamed read-write file (O_TMPFILE) in the directory of path,
 * or returns -1 where the system or the file system has none. Unlike a
 * named file unlinked after mkstemp(), it exists under no name even for
 * an instant, so a process killed at any point leaves nothing behind. */
static int open_unnamed_in(const char *path) {
#ifdef O_TMPFILE
  char *copy = q_strndup(path, strlen(path));
  if (!copy)
    return -1;
  int fd = open(dirname(copy), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  q_free(copy);
  return fd;
#else
  (void)path;
  return -1;
#endif
}

int q_scratch_open(const char *head, const char *tail) {
  size_t len = strlen(head) + strlen(tail) + sizeof "XXXXXX";
  char *name = q_malloc(len);
  if (!name) {
    errno = ENOMEM;
    return -1;
  }
  snprintf(name, len, "%s%sXXXXXX", head, tail);
  int fd = open_unnamed_in(name);
  if (fd < 0) {
    fd = mkstemp(name);
    if (fd >= 0)
      unlink(name);
  }
  int err = errno;
  q_free(name);
  errno = err;
  return fd;
}

/* ---- atomic output files ----------------------------------------------------
 */

/* Opens an unnamed file in the directory of f->path (O_TMPFILE), which a
 * killed process cannot leave behind; commit names it. 0 when the system
 * or the file system has no such files, or /proc (which names them) is
 * missing: the caller falls back to a named temporary file. */
static int open_unnamed(q_outfile *f) {
#ifdef O_TMPFILE
  if (access("/proc/self/fd", X_OK) != 0)
    return 0;
  char *copy = q_strndup(f->path, strlen(f->path));
  if (!copy)
    return 0;
  f->fd = open(dirname(copy), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  q_free(copy);
  f->unnamed = f->fd >= 0;
  return f->unnamed;
#else
  (void)f;
  return 0;
#endif
}

/* Opens f->tmp_path, a new file beside the destination (so that rename()
 * stays on one file system). */
static int open_named(q_outfile *f, char *msg) {
  size_t len = strlen(f->path) + 16;
  f->tmp_path = q_malloc(len);
  if (!f->tmp_path)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  snprintf(f->tmp_path, len, "%s.tmp-XXXXXX", f->path);
  f->fd = mkstemp(f->tmp_path);
  if (f->fd < 0) {
    int err = errno;
    q_free(f->tmp_path);
    f->tmp_path = NULL;
    return q_fail(msg, err == ENOENT ? QUIRE_ENOTFOUND : QUIRE_EIO,
                  "cannot create a file beside %s: %s", f->path, strerror(err));
  }
  return QUIRE_OK;
}

/* A named output whose destination is not a regular file: the library that
 * writes it by name (libxlsxwriter) seeks back, which a pipe cannot, so it
 * writes a temporary file in the system's temporary directory instead, and
 * commit copies that into the destination. A failure then sends nothing. */
static int open_direct_named(q_outfile *f, char *msg) {
  const char *dir = q_tmp_dir();
  size_t len = strlen(dir) + sizeof "/quire-XXXXXX";
  f->tmp_path = q_malloc(len);
  if (!f->tmp_path)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  snprintf(f->tmp_path, len, "%s/quire-XXXXXX", dir);
  f->fd = mkstemp(f->tmp_path);
  if (f->fd < 0) {
    int err = errno;
    q_free(f->tmp_path);
    f->tmp_path = NULL;
    return q_fail(msg, QUIRE_EIO, "cannot create a temporary file in %s: %s",
                  dir, strerror(err));
  }
  return QUIRE_OK;
}

/* The descriptor that path names when it is another name of one the
 * process has open (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N),
 * else -1. */
static int inherited_fd(const char *path) {
  if (strcmp(path, "/dev/stdout") == 0)
    return 1;
  if (strcmp(path, "/dev/stderr") == 0)
    return 2;
  const char *digits = NULL;
  if (strncmp(path, "/dev/fd/", 8) == 0)
    digits = path + 8;
  else if (strncmp(path, "/proc/self/fd/", 14) == 0)
    digits = path + 14;
  if (!digits || *digits < '0' || *digits > '9')
    return -1;
  char *end;
  errno = 0;
  long fd = strtol(digits, &end, 10);
  return *end || errno || fd > INT_MAX ? -1 : (int)fd;
}

/* Opens the destination itself into *fd. A name of a descriptor the
 * process has open is that descriptor (duplicated), with the offset and
 * flags the shell gave it: `-o /dev/stdout >> log` appends to log, as a
 * new opening of the file would not. */
static int open_destination(q_outfile *f, int *fd, char *msg) {
  int inherited = inherited_fd(f->path);
  *fd = inherited >= 0 ? fcntl(inherited, F_DUPFD_CLOEXEC, 0)
                       : open(f->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (*fd < 0)
    return q_fail(msg, QUIRE_EIO, "cannot open %s: %s", f->path,
                  strerror(errno));
  return QUIRE_OK;
}

/* Opens a destination that is not a regular file (a pipe, a terminal,
 * /dev/null, a disk), or a descriptor's name, for writing straight into
 * it: renaming a new file over it would replace the device or pipe the
 * user named with a regular file. */
static int open_direct(q_outfile *f, int named, char *msg) {
  f->direct = 1;
  if (!named)
    return open_destination(f, &f->fd, msg);
  int status = open_destination(f, &f->dest_fd, msg);
  return status == QUIRE_OK ? open_direct_named(f, msg) : status;
}

/* Sets f->path to the file the bytes must end up in: path itself, or,
 * where path is a symbolic link to a regular file, the file it points to,
 * so that the link stays a link. Fills *st when something is there
 * (st_mode 0 when nothing is). */
static int resolve_destination(q_outfile *f, const char *path, struct stat *st,
                               char *msg) {
  char *resolved = NULL;
  struct stat link;
  if (stat(path, st) != 0)
    memset(st, 0, sizeof *st);
  else if (S_ISREG(st->st_mode) && lstat(path, &link) == 0 &&
           S_ISLNK(link.st_mode))
    resolved = realpath(path, NULL);
  const char *target = resolved ? resolved : path;
  f->path = q_strndup(target, strlen(target));
  free(resolved); /* realpath() allocates with malloc() */
  if (!f->path)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  return QUIRE_OK;
}

/* Opens a name of a descriptor the process has open, as it is: not
 * resolved to the file behind it, which the descriptor may append to. */
static int open_inherited(q_outfile *f, const char *path, int named,
                          char *msg) {
  f->path = q_strndup(path, strlen(path));
  if (!f->path)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  return open_direct(f, named, msg);
}

/* Opens path as what is there calls for: a temporary file beside a regular
 * file or nothing, the thing itself otherwise; a directory is refused. */
static int open_by_kind(q_outfile *f, const char *path, int named, char *msg) {
  struct stat st;
  int status = resolve_destination(f, path, &st, msg);
  if (status != QUIRE_OK)
    return status;
  if (S_ISDIR(st.st_mode))
    return q_fail(msg, QUIRE_EIO, "%s is a directory", path);
  if (st.st_mode && !S_ISREG(st.st_mode))
    return open_direct(f, named, msg);
  return !named && open_unnamed(f) ? QUIRE_OK : open_named(f, msg);
}

static int outfile_open(q_outfile *f, const char *path, int named, char *msg) {
  f->fd = f->dest_fd = -1;
  f->unnamed = f->direct = 0;
  f->written = f->flushed = 0;
  f->path = f->tmp_path = NULL;
  if (!path || !*path)
    return q_fail(msg, QUIRE_EINVAL, "output path is empty");
  int status = inherited_fd(path) >= 0 ? open_inherited(f, path, named, msg)
                                       : open_by_kind(f, path, named, msg);
  if (status != QUIRE_OK) {
    q_outfile_abort(f);
    return status;
  }
  if (!f->direct)
    fchmod(f->fd, 0644);
  return QUIRE_OK;
}

int q_outfile_open(q_outfile *f, const char *path, char *msg) {
  return outfile_open(f, path, 0, msg);
}

int q_outfile_open_named(q_outfile *f, const char *path, char *msg) {
  return outfile_open(f, path, 1, msg);
}

/* Every this many bytes written, the file's new pages are handed to the
 * disk without waiting: the sync at commit then has little left to wait
 * for, instead of the whole file. */
#define Q_WRITEBACK_STEP ((uint64_t)8 << 20)

static void start_writeback(q_outfile *f) {
#ifdef SYNC_FILE_RANGE_WRITE
  uint64_t pending = f->written - f->flushed;
  if (f->direct || pending < Q_WRITEBACK_STEP)
    return;
  /* Only a hint: a file system without it writes back on its own. */
  (void)sync_file_range(f->fd, (off64_t)f->flushed, (off64_t)pending,
                        SYNC_FILE_RANGE_WRITE);
  f->flushed = f->written;
#else
  (void)f;
#endif
}

int q_outfile_write(q_outfile *f, const void *data, size_t len, char *msg) {
  int status = q_write_all(f->fd, data, len, f->path, msg);
  if (status == QUIRE_OK) {
    f->written += len;
    start_writeback(f);
  }
  return status;
}

int q_outfile_pwrite(q_outfile *f, const void *data, size_t len,
                     uint64_t offset, char *msg) {
  if (q_io_write(f->fd, data, len, (int64_t)offset) < len)
    return q_fail(msg, QUIRE_EIO, "cannot write %s: %s", f->path,
                  errno ? strerror(errno) : "no space written");
  return QUIRE_OK;
}

/* Syncs the directory holding path so that the rename itself is durable. */
static void sync_parent_dir(const char *path) {
  char *copy = q_strndup(path, strlen(path));
  if (!copy)
    return;
  int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  q_free(copy);
}

/* Gives the unnamed file f a name: the destination itself when there is
 * none yet (atomic: linkat() never replaces), else a temporary name that
 * the rename then moves over the old file. */
static int name_unnamed(q_outfile *f, char *msg) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
  if (linkat(AT_FDCWD, proc, AT_FDCWD, f->path, AT_SYMLINK_FOLLOW) == 0)
    return QUIRE_OK;
  if (errno != EEXIST)
    return q_fail(msg, QUIRE_EIO, "cannot name %s: %s", f->path,
                  strerror(errno));
  size_t len = strlen(f->path) + 32;
  f->tmp_path = q_malloc(len);
  if (!f->tmp_path)
    return q_fail(msg, QUIRE_ENOMEM, "out of memory");
  for (unsigned attempt = 0; attempt < 100; attempt++) {
    snprintf(f->tmp_path, len, "%s.tmp-%ld-%u", f->path, (long)getpid(),
             attempt);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp_path, AT_SYMLINK_FOLLOW) == 0)
      return QUIRE_OK;
    if (errno != EEXIST)
      break;
  }
  int err = errno;
  q_free(f->tmp_path);
  f->tmp_path = NULL;
  return q_fail(msg, QUIRE_EIO, "cannot name a file beside %s: %s", f->path,
                strerror(err));
}

/* Copies a direct named output's temporary file into its destination. */
static int copy_into_destination(q_outfile *f, char *msg) {
  struct stat st;
  if (fstat(f->fd, &st) != 0)
    return q_fail(msg, QUIRE_EIO, "cannot read back %s: %s", f->tmp_path,
                  strerror(errno));
  int out = f->dest_fd;
  enum { CHUNK = 64 * 1024 };
  char *chunk = q_malloc(CHUNK);
  int status = chunk ? QUIRE_OK : q_fail(msg, QUIRE_ENOMEM, "out of memory");
  for (uint64_t done = 0; status == QUIRE_OK && done < (uint64_t)st.st_size;) {
    uint64_t left = (uint64_t)st.st_size - done;
    size_t want = left < CHUNK ? (size_t)left : CHUNK;
    if (q_io_read(f->fd, chunk, want, (int64_t)done) < want)
      status = q_fail(msg, QUIRE_EIO, "cannot read back %s: %s", f->tmp_path,
                      errno ? strerror(errno) : "it shrank");
    else
      status = q_write_all(out, chunk, want, f->path, msg);
    done += want;
  }
  q_free(chunk);
  f->dest_fd = -1;
  if (close(out) != 0 && status == QUIRE_OK)
    status =
        q_fail(msg, QUIRE_EIO, "cannot close %s: %s", f->path, strerror(errno));
  return status;
}

/* Commits a direct output: the bytes are already where they belong, or in
 * a temporary file to copy there. A pipe or a character device cannot be
 * synced, and need not be. */
static int commit_direct(q_outfile *f, char *msg) {
  if (f->tmp_path) {
    int status = copy_into_destination(f, msg);
    q_outfile_abort(f);
    return status;
  }
  int status = QUIRE_OK;
  if (f->fd >= 0 && fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS &&
      errno != ENOTSUP)
    status =
        q_fail(msg, QUIRE_EIO, "cannot sync %s: %s", f->path, strerror(errno));
  if (f->fd >= 0 && close(f->fd) != 0 && status == QUIRE_OK)
    status =
        q_fail(msg, QUIRE_EIO, "cannot close %s: %s", f->path, strerror(errno));
  f->fd = -1;
  q_outfile_abort(f);
  return status;
}

int q_outfile_commit(q_outfile *f, char *msg) {
  if (f->direct)
    return commit_direct(f, msg);
  int status = QUIRE_OK;
  if (fsync(f->fd) != 0)
    status =
        q_fail(msg, QUIRE_EIO, "cannot sync %s: %s", f->path, strerror(errno));
  if (status == QUIRE_OK && f->unnamed)
    status = name_unnamed(f, msg);
  /* An unnamed file linked straight to its path has no temporary name.
   * The rename comes right after the naming, before the close, because a
   * process killed between the two leaves the named file behind. */
  if (status == QUIRE_OK && f->tmp_path) {
    if (rename(f->tmp_path, f->path) != 0) {
      status = q_fail(msg, QUIRE_EIO, "cannot rename onto %s: %s", f->path,
                      strerror(errno));
    } else { /* the name is gone: q_outfile_abort() has nothing to remove */
      q_free(f->tmp_path);
      f->tmp_path = NULL;
    }
  }
  if (close(f->fd) != 0 && status == QUIRE_OK)
    status =
        q_fail(msg, QUIRE_EIO, "cannot close %s: %s", f->path, strerror(errno));
  f->fd = -1;
  if (status == QUIRE_OK)
    sync_parent_dir(f->path);
  q_outfile_abort(f);
  return status;
}

void q_outfile_abort(q_outfile *f) {
  if (f->fd >= 0)
    close(f->fd);
  f->fd = -1;
  if (f->direct && f->dest_fd >= 0)
    close(f->dest_fd);
  f->dest_fd = -1;
  if (f->tmp_path)
    unlink(f->tmp_path);
  q_free(f->tmp_path);
  q_free(f->path);
  f->tmp_path = f->path = NULL;
}

uint64_t q_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
