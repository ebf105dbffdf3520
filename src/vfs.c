/*
** vfs.c — helpers shared by the VFS implementations and their callers
** (interface and contracts in vfs.h).
*/
#include "vfs.h"

#include <errno.h>
#include <stdio.h>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

/* The text of errno value e into buf (always NUL-terminated). */
static void tdbVfsErrnoText(int e, char *buf, size_t cap) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  /* GNU strerror_r returns the text, maybe not in buf. */
  const char *s = strerror_r(e, buf, cap);
  if (s != buf) snprintf(buf, cap, "%s", s);
#else
  if (strerror_r(e, buf, cap) != 0) snprintf(buf, cap, "errno %d", e);
#endif
}

/* Append `s` to dst[*len..cap), keeping at most `budget` characters of it:
** a longer string keeps its head and tail around "...". */
static void tdbVfsErrPut(char *dst, size_t cap, size_t *len, const char *s,
                         size_t budget) {
  size_t n = strlen(s), room = cap - 1 - *len;
  if (budget > room) budget = room;
  if (n <= budget) {
    memcpy(dst + *len, s, n);
    *len += n;
  } else if (budget >= 5) {
    size_t head = (budget - 3) / 2, tail = budget - 3 - head;
    memcpy(dst + *len, s, head);
    memcpy(dst + *len + head, "...", 3);
    memcpy(dst + *len + head + 3, s + n - tail, tail);
    *len += budget;
  }
  dst[*len] = '\0';
}

TDB_PRIVATE int tdbVfsErrSetPair(TdbVfsErr *err, int rc, const char *op,
                                 const char *path, const char *path2,
                                 int64_t offset, int sys_errno,
                                 const char *reason) {
  char why[128], tail[192];
  size_t len = 0, cap = sizeof err->msg, taillen, room, budget;
  int k;
  if (!err) return rc;
  err->rc = rc;
  err->sys_errno = sys_errno;
  err->offset = offset;
  if (sys_errno) {
    tdbVfsErrnoText(sys_errno, why, sizeof why);
    reason = why;
  }
  /* The position and reason matter most: they are kept whole, and the
  ** paths share what room is left. */
  if (offset >= 0) {
    k = snprintf(tail, sizeof tail, " at offset %lld", (long long)offset);
  } else {
    k = 0;
    tail[0] = '\0';
  }
  taillen = k < 0 ? 0 : TDB_MIN((size_t)k, sizeof tail - 1);
  if (reason) {
    tdbVfsErrPut(tail, sizeof tail, &taillen, ": ", 2);
    tdbVfsErrPut(tail, sizeof tail, &taillen, reason, sizeof tail);
  }
  err->msg[0] = '\0';
  tdbVfsErrPut(err->msg, cap, &len, op ? op : "I/O", 32);
  room = cap - 1 - len;
  room = room > taillen ? room - taillen : 0;
  budget = room > 12 ? (room - 12) / (path2 ? 2 : 1) : 0; /* quotes, " -> " */
  if (path) {
    tdbVfsErrPut(err->msg, cap, &len, " '", 2);
    tdbVfsErrPut(err->msg, cap, &len, path, budget);
    tdbVfsErrPut(err->msg, cap, &len, "'", 1);
  }
  if (path2) {
    tdbVfsErrPut(err->msg, cap, &len, " -> '", 5);
    tdbVfsErrPut(err->msg, cap, &len, path2, budget);
    tdbVfsErrPut(err->msg, cap, &len, "'", 1);
  }
  tdbVfsErrPut(err->msg, cap, &len, tail, taillen);
  return rc;
}

TDB_PRIVATE int tdbVfsErrSet(TdbVfsErr *err, int rc, const char *op,
                             const char *path, int64_t offset, int sys_errno,
                             const char *reason) {
  return tdbVfsErrSetPair(err, rc, op, path, NULL, offset, sys_errno, reason);
}

TDB_PRIVATE size_t tdbVfsDirLen(const char *path) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--;      /* trailing separators */
  while (n > 0 && path[n - 1] != '/') n--;      /* the last component */
  if (n == 0) return 0;                         /* no separator: "." */
  while (n > 1 && path[n - 1] == '/') n--;      /* "a//c" -> "a" */
  return n;                                     /* "/c" -> "/" (1) */
}

TDB_PRIVATE void tdbVfsClose(TdbVfsFile *f) {
  if (f) f->methods->close_file(f);
}

TDB_PRIVATE int tdbVfsReadExact(TdbVfsFile *f, uint64_t offset, void *buf,
                                size_t n, TdbVfsErr *err) {
  size_t got = 0;
  int rc = f->methods->read_at(f, offset, buf, n, &got, err);
  if (rc != TDB_OK) return rc;
  if (got != n) {
    char why[64];
    snprintf(why, sizeof why, "short read (%zu of %zu bytes)", got, n);
    return tdbVfsErrSet(err, TDB_CORRUPT, "read", f->path,
                        offset > INT64_MAX ? -1 : (int64_t)offset, 0, why);
  }
  return TDB_OK;
}

TDB_PRIVATE long tdbVfsProcessId(void) {
#if defined(__unix__) || defined(__APPLE__)
  return (long)getpid();
#else
  return 0;
#endif
}
