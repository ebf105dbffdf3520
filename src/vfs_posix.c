/*
** vfs_posix.c — the POSIX implementation of the VFS (vfs.h).
**
** Files are plain file descriptors (O_CLOEXEC). I/O is pread/pwrite in loops
** that retry on EINTR and continue after short transfers. sync_data is
** fdatasync (F_FULLFSYNC on macOS, where fsync does not reach the platter).
** Locks are flock(LOCK_EX | LOCK_NB): they belong to the open file
** description, so a second handle of the same process conflicts too (fcntl
** record locks would not: they are per process and silently shared).
**
** Why sync_dir exists: POSIX makes no promise that a new, renamed or removed
** directory entry survives a crash until the directory itself is fsync'ed;
** fdatasync of the file covers its data only. Without it a freshly created
** WAL or SSTable may vanish after power loss even though its bytes were
** synced, and a CURRENT replaced by rename may come back as the old one.
** sync_dir opens the directory read-only and fsyncs it. Some file systems
** reject fsync on a directory with EINVAL; there is nothing better to do,
** so that is treated as success.
**
** Define TDB_OMIT_VFS_POSIX to leave this file out (e.g. firmware without a
** file system, which then uses the memory VFS or its own).
*/
#include "vfs.h"

#ifndef TDB_OMIT_VFS_POSIX

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct TdbVfsPosix {
  TdbVfs base;
  TdbMem mem;
} TdbVfsPosix;

typedef struct TdbVfsPosixFile {
  TdbVfsFile base;
  TdbVfsPosix *vfs;
  int fd;
  int locked;
  uint64_t size;         /* this handle's view of the size, for append */
  char path[1];          /* the path, allocated with the struct */
} TdbVfsPosixFile;

/* The rc for a failure of kind `io_rc` given errno e. */
static int tdbVfsPosixRc(int io_rc, int e) {
  if (e == ENOSPC) return TDB_FULL;
#ifdef EDQUOT
  if (e == EDQUOT) return TDB_FULL;
#endif
  return io_rc;
}

/* A file offset as the off_t of pread/pwrite, or -1 if it does not fit. */
static int tdbVfsPosixOffset(uint64_t offset, size_t n, off_t *out) {
  /* off_t is signed; its maximum is 2^(8*sizeof(off_t)-1) - 1. */
  uint64_t max = ((uint64_t)1 << (8 * sizeof(off_t) - 1)) - 1;
  if (offset > max || n > max - offset) return -1;
  *out = (off_t)offset;
  return 0;
}

static int64_t tdbVfsPosixPos(uint64_t offset) {
  return offset > (uint64_t)INT64_MAX ? -1 : (int64_t)offset;
}

/* ---- files ------------------------------------------------------------------ */

static void tdbVfsPosixClose(TdbVfsFile *file) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  /* close() is not retried on EINTR: on Linux the descriptor is gone
  ** either way, and retrying could close a descriptor reused by another
  ** thread. The flock, if any, goes with the last descriptor. */
  close(f->fd);
  tdbMemFree(&f->vfs->mem, f);
}

static int tdbVfsPosixRead(TdbVfsFile *file, uint64_t offset, void *buf,
                           size_t n, size_t *nread, TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  size_t done = 0;
  off_t off;
  *nread = 0;
  if (tdbVfsPosixOffset(offset, n, &off) != 0) {
    return tdbVfsErrSet(err, TDB_IOERR_READ, "pread", f->path,
                        tdbVfsPosixPos(offset), 0, "offset too large");
  }
  while (done < n) {
    size_t chunk = TDB_MIN(n - done, (size_t)SSIZE_MAX);
    ssize_t got = pread(f->fd, (char *)buf + done, chunk, off + (off_t)done);
    if (got < 0) {
      if (errno == EINTR) continue;
      *nread = done;
      return tdbVfsErrSet(err, TDB_IOERR_READ, "pread", f->path,
                          (int64_t)(off + (off_t)done), errno, NULL);
    }
    if (got == 0) break; /* end of file */
    done += (size_t)got;
  }
  *nread = done;
  return TDB_OK;
}

static int tdbVfsPosixWrite(TdbVfsFile *file, uint64_t offset,
                            const void *buf, size_t n, TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  size_t done = 0;
  off_t off;
  if (tdbVfsPosixOffset(offset, n, &off) != 0) {
    return tdbVfsErrSet(err, TDB_IOERR_WRITE, "pwrite", f->path,
                        tdbVfsPosixPos(offset), 0, "offset too large");
  }
  while (done < n) {
    size_t chunk = TDB_MIN(n - done, (size_t)SSIZE_MAX);
    ssize_t put = pwrite(f->fd, (const char *)buf + done, chunk,
                         off + (off_t)done);
    if (put < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (offset + done > f->size) f->size = offset + done;
      return tdbVfsErrSet(err, tdbVfsPosixRc(TDB_IOERR_WRITE, e), "pwrite",
                          f->path, (int64_t)(off + (off_t)done), e, NULL);
    }
    /* pwrite of a non-zero count returning 0 would loop forever. */
    if (put == 0) {
      return tdbVfsErrSet(err, TDB_IOERR_WRITE, "pwrite", f->path,
                          (int64_t)(off + (off_t)done), 0, "wrote nothing");
    }
    done += (size_t)put;
  }
  if (offset + n > f->size) f->size = offset + n;
  return TDB_OK;
}

static int tdbVfsPosixAppend(TdbVfsFile *file, const void *buf, size_t n,
                             TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  return tdbVfsPosixWrite(file, f->size, buf, n, err);
}

static int tdbVfsPosixSync(TdbVfsFile *file, TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  int r;
  do {
#if defined(__APPLE__) && defined(F_FULLFSYNC)
    r = fcntl(f->fd, F_FULLFSYNC);
    if (r != 0 && errno != EINTR) r = fsync(f->fd);
#else
    r = fdatasync(f->fd);
#endif
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    /* After a failed fdatasync the kernel may have dropped the dirty pages:
    ** the caller must treat the data as lost, not retry and carry on. */
    int e = errno;
    return tdbVfsErrSet(err, tdbVfsPosixRc(TDB_IOERR_SYNC, e), "fdatasync",
                        f->path, -1, e, NULL);
  }
  return TDB_OK;
}

static int tdbVfsPosixTruncate(TdbVfsFile *file, uint64_t size,
                               TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  off_t off;
  int r;
  if (tdbVfsPosixOffset(size, 0, &off) != 0) {
    return tdbVfsErrSet(err, TDB_IOERR_WRITE, "ftruncate", f->path,
                        tdbVfsPosixPos(size), 0, "size too large");
  }
  do {
    r = ftruncate(f->fd, off);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int e = errno;
    return tdbVfsErrSet(err, tdbVfsPosixRc(TDB_IOERR_WRITE, e), "ftruncate",
                        f->path, (int64_t)off, e, NULL);
  }
  f->size = size;
  return TDB_OK;
}

static int tdbVfsPosixSize(TdbVfsFile *file, uint64_t *size, TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  struct stat st;
  if (fstat(f->fd, &st) != 0) {
    return tdbVfsErrSet(err, TDB_IOERR_READ, "fstat", f->path, -1, errno,
                        NULL);
  }
  *size = (uint64_t)st.st_size;
  return TDB_OK;
}

static int tdbVfsPosixLock(TdbVfsFile *file, TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  int r;
  if (f->locked) return TDB_OK;
  do {
    r = flock(f->fd, LOCK_EX | LOCK_NB);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int e = errno;
    if (e == EWOULDBLOCK || e == EAGAIN) {
      return tdbVfsErrSet(err, TDB_BUSY, "lock", f->path, -1, 0,
                          "locked by another handle or process");
    }
    return tdbVfsErrSet(err, TDB_IOERR, "flock", f->path, -1, e, NULL);
  }
  f->locked = 1;
  return TDB_OK;
}

static int tdbVfsPosixUnlock(TdbVfsFile *file, TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  int r;
  if (!f->locked) return TDB_OK;
  do {
    r = flock(f->fd, LOCK_UN);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    return tdbVfsErrSet(err, TDB_IOERR, "unlock", f->path, -1, errno, NULL);
  }
  f->locked = 0;
  return TDB_OK;
}

static int tdbVfsPosixMap(TdbVfsFile *file, size_t len, const void **out,
                          TdbVfsErr *err) {
  TdbVfsPosixFile *f = (TdbVfsPosixFile *)file;
  void *p;
  TDB_UNUSED(err);
  *out = NULL;
  if (len == 0) return TDB_OK;
  p = mmap(NULL, len, PROT_READ, MAP_SHARED, f->fd, 0);
  if (p == MAP_FAILED) return TDB_OK; /* no address space etc.: use pread */
  *out = p;
  return TDB_OK;
}

static void tdbVfsPosixUnmap(TdbVfsFile *file, const void *p, size_t len) {
  TDB_UNUSED(file);
  if (p) munmap((void *)(uintptr_t)p, len);
}

static const TdbVfsFileMethods kTdbVfsPosixFileMethods = {
  TDB_VFS_VERSION,
  tdbVfsPosixClose,
  tdbVfsPosixRead,
  tdbVfsPosixWrite,
  tdbVfsPosixAppend,
  tdbVfsPosixSync,
  tdbVfsPosixTruncate,
  tdbVfsPosixSize,
  tdbVfsPosixLock,
  tdbVfsPosixUnlock,
  tdbVfsPosixMap,
  tdbVfsPosixUnmap,
};

/* ---- the file system ---------------------------------------------------- */

static int tdbVfsPosixOpen(TdbVfs *vfs, const char *path, int flags,
                           TdbVfsFile **out, TdbVfsErr *err) {
  TdbVfsPosix *pv = (TdbVfsPosix *)vfs->ctx;
  TdbVfsPosixFile *f;
  size_t plen = strlen(path);
  int oflags = O_CLOEXEC;
  int fd, e;
  struct stat st;
  *out = NULL;
  oflags |= (flags & TDB_VFS_WRITE) ? O_RDWR : O_RDONLY;
  if (flags & TDB_VFS_CREATE) {
    oflags |= O_CREAT;
    if (flags & TDB_VFS_EXCLUSIVE) oflags |= O_EXCL;
  }
  f = tdbMemAlloc(&pv->mem, sizeof *f + plen);
  if (!f) return tdbVfsErrSet(err, TDB_NOMEM, "open", path, -1, 0, "out of memory");
  do {
    fd = open(path, oflags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    e = errno;
    tdbMemFree(&pv->mem, f);
    return tdbVfsErrSet(err, e == ENOENT ? TDB_NOTFOUND : TDB_CANTOPEN, "open",
                        path, -1, e, NULL);
  }
  if (fstat(fd, &st) != 0) {
    e = errno;
    close(fd);
    tdbMemFree(&pv->mem, f);
    return tdbVfsErrSet(err, TDB_CANTOPEN, "fstat", path, -1, e, NULL);
  }
  if (S_ISDIR(st.st_mode)) {
    e = EISDIR;
    close(fd);
    tdbMemFree(&pv->mem, f);
    return tdbVfsErrSet(err, TDB_CANTOPEN, "open", path, -1, e, NULL);
  }
  f->base.methods = &kTdbVfsPosixFileMethods;
  memcpy(f->path, path, plen + 1);
  f->base.path = f->path;
  f->vfs = pv;
  f->fd = fd;
  f->locked = 0;
  f->size = (uint64_t)st.st_size;
  *out = &f->base;
  return TDB_OK;
}

static int tdbVfsPosixRemove(TdbVfs *vfs, const char *path, TdbVfsErr *err) {
  TDB_UNUSED(vfs);
  if (unlink(path) != 0) {
    int e = errno;
    return tdbVfsErrSet(err, e == ENOENT ? TDB_NOTFOUND : TDB_IOERR, "unlink",
                        path, -1, e, NULL);
  }
  return TDB_OK;
}

static int tdbVfsPosixRename(TdbVfs *vfs, const char *from, const char *to,
                             TdbVfsErr *err) {
  TDB_UNUSED(vfs);
  if (rename(from, to) != 0) {
    int e = errno;
    return tdbVfsErrSetPair(err, e == ENOENT ? TDB_NOTFOUND : TDB_IOERR,
                            "rename", from, to, -1, e, NULL);
  }
  return TDB_OK;
}

static int tdbVfsPosixExists(TdbVfs *vfs, const char *path, int *exists,
                             TdbVfsErr *err) {
  struct stat st;
  TDB_UNUSED(vfs);
  if (stat(path, &st) == 0) {
    *exists = 1;
    return TDB_OK;
  }
  if (errno == ENOENT || errno == ENOTDIR) {
    *exists = 0;
    return TDB_OK;
  }
  return tdbVfsErrSet(err, TDB_IOERR, "stat", path, -1, errno, NULL);
}

static int tdbVfsPosixList(TdbVfs *vfs, const char *dir, TdbVfsListFn fn,
                           void *ctx, TdbVfsErr *err) {
  TdbVfsPosix *pv = (TdbVfsPosix *)vfs->ctx;
  const char *d = dir[0] ? dir : ".";
  size_t dlen = strlen(d);
  DIR *dp = opendir(d);
  struct dirent *de;
  char *full = NULL;
  size_t fullcap = 0;
  int rc = TDB_OK;
  if (!dp) {
    int e = errno;
    return tdbVfsErrSet(err, e == ENOENT ? TDB_NOTFOUND : TDB_IOERR, "opendir",
                        d, -1, e, NULL);
  }
  for (;;) {
    struct stat st;
    size_t nlen;
    int is_dir;
    errno = 0;
    de = readdir(dp);
    if (!de) {
      if (errno != 0) rc = tdbVfsErrSet(err, TDB_IOERR, "readdir", d, -1, errno, NULL);
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    /* d_type is not POSIX: stat the entry to tell files from directories. */
    nlen = strlen(de->d_name);
    if (dlen + nlen + 2 > fullcap) {
      size_t ncap = dlen + nlen + 64;
      char *grown = tdbMemRealloc(&pv->mem, full, ncap);
      if (!grown) {
        rc = tdbVfsErrSet(err, TDB_NOMEM, "opendir", d, -1, 0, "out of memory");
        break;
      }
      full = grown;
      fullcap = ncap;
    }
    memcpy(full, d, dlen);
    full[dlen] = '/';
    memcpy(full + dlen + 1, de->d_name, nlen + 1);
    is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
    if (fn(ctx, de->d_name, is_dir)) break;
  }
  closedir(dp);
  tdbMemFree(&pv->mem, full);
  return rc;
}

static int tdbVfsPosixMkdir(TdbVfs *vfs, const char *path, TdbVfsErr *err) {
  TDB_UNUSED(vfs);
  if (mkdir(path, 0755) != 0) {
    int e = errno;
    struct stat st;
    if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return TDB_OK;
    return tdbVfsErrSet(err, e == ENOENT ? TDB_NOTFOUND : TDB_IOERR, "mkdir",
                        path, -1, e, NULL);
  }
  return TDB_OK;
}

static int tdbVfsPosixSyncDir(TdbVfs *vfs, const char *dir, TdbVfsErr *err) {
  const char *d = dir[0] ? dir : ".";
  int fd, r, e;
  TDB_UNUSED(vfs);
  do {
    fd = open(d, O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    e = errno;
    return tdbVfsErrSet(err, e == ENOENT ? TDB_NOTFOUND : TDB_IOERR_SYNC,
                        "open directory", d, -1, e, NULL);
  }
  do {
    r = fsync(fd);
  } while (r != 0 && errno == EINTR);
  e = errno;
  close(fd);
  if (r != 0 && e != EINVAL) {
    return tdbVfsErrSet(err, TDB_IOERR_SYNC, "fsync directory", d, -1, e, NULL);
  }
  return TDB_OK;
}

static int64_t tdbVfsPosixNow(TdbVfs *vfs) {
  struct timespec ts;
  TDB_UNUSED(vfs);
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000000 + (int64_t)(ts.tv_nsec / 1000);
}

TDB_PRIVATE int tdbVfsPosixNew(TdbMem *mem, TdbVfs **out) {
  TdbVfsPosix *pv = tdbMemAllocZero(mem, sizeof *pv);
  *out = NULL;
  if (!pv) return TDB_NOMEM;
  pv->mem = *mem;
  pv->base.version = TDB_VFS_VERSION;
  pv->base.name = "posix";
  pv->base.ctx = pv;
  pv->base.open_file = tdbVfsPosixOpen;
  pv->base.remove_file = tdbVfsPosixRemove;
  pv->base.rename_file = tdbVfsPosixRename;
  pv->base.file_exists = tdbVfsPosixExists;
  pv->base.list_dir = tdbVfsPosixList;
  pv->base.make_dir = tdbVfsPosixMkdir;
  pv->base.sync_dir = tdbVfsPosixSyncDir;
  pv->base.now_us = tdbVfsPosixNow;
  *out = &pv->base;
  return TDB_OK;
}

TDB_PRIVATE void tdbVfsPosixFree(TdbVfs *vfs) {
  TdbVfsPosix *pv;
  TdbMem mem;
  if (!vfs) return;
  pv = (TdbVfsPosix *)vfs->ctx;
  mem = pv->mem; /* the struct holds the allocator that frees it */
  tdbMemFree(&mem, pv);
}

#endif /* TDB_OMIT_VFS_POSIX */
