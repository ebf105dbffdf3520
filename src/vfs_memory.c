/*
** vfs_memory.c — an in-memory file system behind the VFS interface (vfs.h),
** for ":memory:" databases and tests. Same semantics as the POSIX VFS:
** directories (one level created at a time by make_dir; "." and "/" always
** exist), files whose data outlives their name while a handle is open,
** rename atomically replacing its target, exclusive locks between handles,
** read-only mappings. Everything it stores is "durable": sync_data and
** sync_dir succeed and do nothing (tests that need power loss wrap it in the
** fault VFS of tests/common).
**
** Layout: a flat table of entries {normalised path -> node}; a directory is
** an entry without a node. A node is the data of one file, reference counted
** by its directory entry (links) and its open handles (opens):
**
**   entries[]                 nodes
**   +-------------+------+    +------------------------------------------+
**   | "db"        | NULL |    | data[0..size) cap, links, opens, maps,   |
**   | "db/CURRENT"|  *---+--->| lock_holder                              |
**   | "db/000001" |  *---+--->| ...                                      |
**   +-------------+------+    +------------------------------------------+
**
** Paths are normalised before lookup: repeated '/' collapse, trailing '/'
** and leading "./" are dropped, "" means ".". One mutex per file system
** (when TDB_THREADS) serialises every call; mapped data is read without it,
** which is safe because a mapped file refuses writes and truncation.
** Renaming or removing directories is not supported (TDB_IOERR).
*/
#include "vfs.h"

#include <time.h>
#if TDB_THREADS
#include <pthread.h>
#endif

typedef struct TdbVfsMemFile TdbVfsMemFile;

typedef struct TdbVfsMemNode {
  unsigned char *data;
  size_t size, cap;
  int links;                  /* directory entries naming it: 0 or 1 */
  int opens;                  /* open handles */
  int maps;                   /* live map_file mappings */
  TdbVfsMemFile *lock_holder; /* the handle holding the lock, or NULL */
} TdbVfsMemNode;

typedef struct TdbVfsMemEntry {
  char *path;                 /* normalised */
  TdbVfsMemNode *node;        /* NULL for a directory */
} TdbVfsMemEntry;

typedef struct TdbVfsMemory {
  TdbVfs base;
  TdbMem mem;
#if TDB_THREADS
  pthread_mutex_t mutex;
#endif
  TdbVfsMemEntry *entries;
  size_t nentries, cap;
} TdbVfsMemory;

struct TdbVfsMemFile {
  TdbVfsFile base;
  TdbVfsMemory *vfs;
  TdbVfsMemNode *node;
  int writable;
  int maps;                   /* this handle's share of node->maps */
  char path[1];               /* as opened, for messages */
};

static void tdbVfsMemLock(TdbVfsMemory *mv) {
#if TDB_THREADS
  pthread_mutex_lock(&mv->mutex);
#else
  TDB_UNUSED(mv);
#endif
}

static void tdbVfsMemUnlock(TdbVfsMemory *mv) {
#if TDB_THREADS
  pthread_mutex_unlock(&mv->mutex);
#else
  TDB_UNUSED(mv);
#endif
}

/* A normalised copy of path (see the top of the file), or NULL on OOM. */
static char *tdbVfsMemNormalize(TdbVfsMemory *mv, const char *path) {
  size_t n = strlen(path), i, j = 0;
  char *out = tdbMemAlloc(&mv->mem, n + 2);
  if (!out) return NULL;
  for (i = 0; i < n; i++) {
    if (path[i] == '/' && j > 0 && out[j - 1] == '/') continue;
    out[j++] = path[i];
  }
  out[j] = '\0';
  while (j > 1 && out[j - 1] == '/') out[--j] = '\0';
  while (out[0] == '.' && out[1] == '/' && out[2] != '\0') {
    memmove(out, out + 2, j - 1);
    j -= 2;
  }
  if (j == 0) {
    out[0] = '.';
    out[1] = '\0';
  }
  return out;
}

/* The entry of normalised path p, or NULL. */
static TdbVfsMemEntry *tdbVfsMemFind(TdbVfsMemory *mv, const char *p) {
  size_t i;
  for (i = 0; i < mv->nentries; i++) {
    if (strcmp(mv->entries[i].path, p) == 0) return &mv->entries[i];
  }
  return NULL;
}

/* 1 if normalised directory path d (of length n) exists. */
static int tdbVfsMemDirExists(TdbVfsMemory *mv, const char *d, size_t n) {
  size_t i;
  if (n == 0 || (n == 1 && (d[0] == '/' || d[0] == '.'))) return 1;
  for (i = 0; i < mv->nentries; i++) {
    const TdbVfsMemEntry *e = &mv->entries[i];
    if (!e->node && strlen(e->path) == n && memcmp(e->path, d, n) == 0) return 1;
  }
  return 0;
}

/* 1 if the parent directory of normalised path p exists. */
static int tdbVfsMemParentExists(TdbVfsMemory *mv, const char *p) {
  return tdbVfsMemDirExists(mv, p, tdbVfsDirLen(p));
}

/* Add an entry that takes ownership of `path`. */
static int tdbVfsMemAdd(TdbVfsMemory *mv, char *path, TdbVfsMemNode *node) {
  if (tdbMemGrow(&mv->mem, (void **)&mv->entries, &mv->cap, mv->nentries + 1,
                 sizeof *mv->entries) != 0) {
    return TDB_NOMEM;
  }
  mv->entries[mv->nentries].path = path;
  mv->entries[mv->nentries].node = node;
  mv->nentries++;
  return TDB_OK;
}

static void tdbVfsMemNodeRelease(TdbVfsMemory *mv, TdbVfsMemNode *node) {
  if (node->links == 0 && node->opens == 0) {
    tdbMemFree(&mv->mem, node->data);
    tdbMemFree(&mv->mem, node);
  }
}

/* Drop entry e from the table (unlinking its node, if any). */
static void tdbVfsMemDrop(TdbVfsMemory *mv, TdbVfsMemEntry *e) {
  TdbVfsMemNode *node = e->node;
  tdbMemFree(&mv->mem, e->path);
  *e = mv->entries[--mv->nentries];
  if (node) {
    node->links--;
    tdbVfsMemNodeRelease(mv, node);
  }
}

/* ---- files ------------------------------------------------------------------ */

static void tdbVfsMemClose(TdbVfsFile *file) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  TdbVfsMemory *mv = f->vfs;
  tdbVfsMemLock(mv);
  if (f->node->lock_holder == f) f->node->lock_holder = NULL;
  f->node->maps -= f->maps;
  f->node->opens--;
  tdbVfsMemNodeRelease(mv, f->node);
  tdbVfsMemUnlock(mv);
  tdbMemFree(&mv->mem, f);
}

static int tdbVfsMemRead(TdbVfsFile *file, uint64_t offset, void *buf,
                         size_t n, size_t *nread, TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  size_t got = 0;
  TDB_UNUSED(err);
  tdbVfsMemLock(f->vfs);
  if (offset < f->node->size) {
    got = TDB_MIN(n, f->node->size - (size_t)offset);
    memcpy(buf, f->node->data + offset, got);
  }
  tdbVfsMemUnlock(f->vfs);
  *nread = got;
  return TDB_OK;
}

/* Check that f may change its node; 0 or an error code. */
static int tdbVfsMemCanWrite(TdbVfsMemFile *f, const char *op, uint64_t offset,
                             TdbVfsErr *err) {
  int64_t pos = offset > (uint64_t)INT64_MAX ? -1 : (int64_t)offset;
  if (!f->writable) {
    return tdbVfsErrSet(err, TDB_IOERR_WRITE, op, f->path, pos, 0,
                        "file not opened for writing");
  }
  if (f->node->maps > 0) {
    return tdbVfsErrSet(err, TDB_IOERR_WRITE, op, f->path, pos, 0,
                        "file is mapped");
  }
  return TDB_OK;
}

/* Make the node hold `size` bytes, zero-filling new ones. Lock held. */
static int tdbVfsMemResize(TdbVfsMemFile *f, uint64_t size, const char *op,
                           TdbVfsErr *err) {
  TdbVfsMemNode *node = f->node;
  if (size > (uint64_t)(SIZE_MAX / 2)) {
    return tdbVfsErrSet(err, TDB_FULL, op, f->path, -1, 0, "file too large");
  }
  if (size > node->cap) {
    size_t ncap = node->cap ? node->cap : 4096;
    unsigned char *grown;
    while (ncap < size) ncap *= 2;
    grown = tdbMemRealloc(&f->vfs->mem, node->data, ncap);
    if (!grown) {
      return tdbVfsErrSet(err, TDB_NOMEM, op, f->path, -1, 0, "out of memory");
    }
    node->data = grown;
    node->cap = ncap;
  }
  if (size > node->size) memset(node->data + node->size, 0, (size_t)size - node->size);
  node->size = (size_t)size;
  return TDB_OK;
}

/* write_at with the lock held; offset == UINT64_MAX means append. */
static int tdbVfsMemWriteLocked(TdbVfsMemFile *f, uint64_t offset,
                                const void *buf, size_t n, TdbVfsErr *err) {
  int rc;
  if (offset == UINT64_MAX) offset = f->node->size;
  rc = tdbVfsMemCanWrite(f, "write", offset, err);
  if (rc != TDB_OK) return rc;
  if (offset > UINT64_MAX - n) {
    return tdbVfsErrSet(err, TDB_FULL, "write", f->path, -1, 0, "file too large");
  }
  if (offset + n > f->node->size) {
    rc = tdbVfsMemResize(f, offset + n, "write", err);
    if (rc != TDB_OK) return rc;
  }
  if (n) memcpy(f->node->data + offset, buf, n);
  return TDB_OK;
}

static int tdbVfsMemWrite(TdbVfsFile *file, uint64_t offset, const void *buf,
                          size_t n, TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  int rc;
  if (offset == UINT64_MAX) {
    return tdbVfsErrSet(err, TDB_FULL, "write", f->path, -1, 0, "file too large");
  }
  tdbVfsMemLock(f->vfs);
  rc = tdbVfsMemWriteLocked(f, offset, buf, n, err);
  tdbVfsMemUnlock(f->vfs);
  return rc;
}

static int tdbVfsMemAppend(TdbVfsFile *file, const void *buf, size_t n,
                           TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  int rc;
  tdbVfsMemLock(f->vfs);
  rc = tdbVfsMemWriteLocked(f, UINT64_MAX, buf, n, err);
  tdbVfsMemUnlock(f->vfs);
  return rc;
}

static int tdbVfsMemSync(TdbVfsFile *file, TdbVfsErr *err) {
  TDB_UNUSED(file);
  TDB_UNUSED(err);
  return TDB_OK;
}

static int tdbVfsMemTruncate(TdbVfsFile *file, uint64_t size, TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  int rc;
  tdbVfsMemLock(f->vfs);
  rc = tdbVfsMemCanWrite(f, "truncate", size, err);
  if (rc == TDB_OK) rc = tdbVfsMemResize(f, size, "truncate", err);
  tdbVfsMemUnlock(f->vfs);
  return rc;
}

static int tdbVfsMemSize(TdbVfsFile *file, uint64_t *size, TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  TDB_UNUSED(err);
  tdbVfsMemLock(f->vfs);
  *size = f->node->size;
  tdbVfsMemUnlock(f->vfs);
  return TDB_OK;
}

static int tdbVfsMemLockFile(TdbVfsFile *file, TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  int rc = TDB_OK;
  tdbVfsMemLock(f->vfs);
  if (f->node->lock_holder && f->node->lock_holder != f) {
    rc = tdbVfsErrSet(err, TDB_BUSY, "lock", f->path, -1, 0,
                      "locked by another handle");
  } else {
    f->node->lock_holder = f;
  }
  tdbVfsMemUnlock(f->vfs);
  return rc;
}

static int tdbVfsMemUnlockFile(TdbVfsFile *file, TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  TDB_UNUSED(err);
  tdbVfsMemLock(f->vfs);
  if (f->node->lock_holder == f) f->node->lock_holder = NULL;
  tdbVfsMemUnlock(f->vfs);
  return TDB_OK;
}

static int tdbVfsMemMap(TdbVfsFile *file, size_t len, const void **out,
                        TdbVfsErr *err) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  TDB_UNUSED(err);
  *out = NULL;
  tdbVfsMemLock(f->vfs);
  if (len > 0 && len <= f->node->size) {
    f->node->maps++;
    f->maps++;
    *out = f->node->data;
  }
  tdbVfsMemUnlock(f->vfs);
  return TDB_OK;
}

static void tdbVfsMemUnmap(TdbVfsFile *file, const void *p, size_t len) {
  TdbVfsMemFile *f = (TdbVfsMemFile *)file;
  TDB_UNUSED(len);
  if (!p) return;
  tdbVfsMemLock(f->vfs);
  if (f->maps > 0) {
    f->maps--;
    f->node->maps--;
  }
  tdbVfsMemUnlock(f->vfs);
}

static const TdbVfsFileMethods kTdbVfsMemFileMethods = {
  TDB_VFS_VERSION,
  tdbVfsMemClose,
  tdbVfsMemRead,
  tdbVfsMemWrite,
  tdbVfsMemAppend,
  tdbVfsMemSync,
  tdbVfsMemTruncate,
  tdbVfsMemSize,
  tdbVfsMemLockFile,
  tdbVfsMemUnlockFile,
  tdbVfsMemMap,
  tdbVfsMemUnmap,
};

/* ---- the file system ---------------------------------------------------- */

#define TDB_VFS_MEM_OOM(err, op, path) \
  tdbVfsErrSet((err), TDB_NOMEM, (op), (path), -1, 0, "out of memory")

static int tdbVfsMemOpen(TdbVfs *vfs, const char *path, int flags,
                         TdbVfsFile **out, TdbVfsErr *err) {
  TdbVfsMemory *mv = (TdbVfsMemory *)vfs->ctx;
  size_t plen = strlen(path);
  TdbVfsMemFile *f;
  TdbVfsMemEntry *e;
  TdbVfsMemNode *node;
  char *p;
  int rc = TDB_OK;
  *out = NULL;
  p = tdbVfsMemNormalize(mv, path);
  f = tdbMemAllocZero(&mv->mem, sizeof *f + plen);
  if (!p || !f) {
    tdbMemFree(&mv->mem, p);
    tdbMemFree(&mv->mem, f);
    return TDB_VFS_MEM_OOM(err, "open", path);
  }
  tdbVfsMemLock(mv);
  e = tdbVfsMemFind(mv, p);
  if (e && !e->node) {
    rc = tdbVfsErrSet(err, TDB_CANTOPEN, "open", path, -1, 0, "is a directory");
  } else if (e && (flags & TDB_VFS_CREATE) && (flags & TDB_VFS_EXCLUSIVE)) {
    rc = tdbVfsErrSet(err, TDB_CANTOPEN, "open", path, -1, 0, "file exists");
  } else if (!e && !(flags & TDB_VFS_CREATE)) {
    rc = tdbVfsErrSet(err, TDB_NOTFOUND, "open", path, -1, 0,
                      "no such file or directory");
  } else if (!e && !tdbVfsMemParentExists(mv, p)) {
    rc = tdbVfsErrSet(err, TDB_NOTFOUND, "open", path, -1, 0,
                      "no such directory");
  }
  if (rc == TDB_OK && !e) {
    node = tdbMemAllocZero(&mv->mem, sizeof *node);
    if (!node || tdbVfsMemAdd(mv, p, node) != TDB_OK) {
      tdbMemFree(&mv->mem, node);
      rc = TDB_VFS_MEM_OOM(err, "open", path);
    } else {
      node->links = 1;
      p = NULL; /* owned by the entry now */
      e = &mv->entries[mv->nentries - 1];
    }
  }
  if (rc == TDB_OK) {
    e->node->opens++;
    f->base.methods = &kTdbVfsMemFileMethods;
    memcpy(f->path, path, plen + 1);
    f->base.path = f->path;
    f->vfs = mv;
    f->node = e->node;
    f->writable = (flags & TDB_VFS_WRITE) != 0;
    *out = &f->base;
    f = NULL;
  }
  tdbVfsMemUnlock(mv);
  tdbMemFree(&mv->mem, p);
  tdbMemFree(&mv->mem, f);
  return rc;
}

static int tdbVfsMemRemove(TdbVfs *vfs, const char *path, TdbVfsErr *err) {
  TdbVfsMemory *mv = (TdbVfsMemory *)vfs->ctx;
  TdbVfsMemEntry *e;
  int rc = TDB_OK;
  char *p = tdbVfsMemNormalize(mv, path);
  if (!p) return TDB_VFS_MEM_OOM(err, "unlink", path);
  tdbVfsMemLock(mv);
  e = tdbVfsMemFind(mv, p);
  if (!e) {
    rc = tdbVfsErrSet(err, TDB_NOTFOUND, "unlink", path, -1, 0,
                      "no such file or directory");
  } else if (!e->node) {
    rc = tdbVfsErrSet(err, TDB_IOERR, "unlink", path, -1, 0, "is a directory");
  } else {
    tdbVfsMemDrop(mv, e);
  }
  tdbVfsMemUnlock(mv);
  tdbMemFree(&mv->mem, p);
  return rc;
}

static int tdbVfsMemRename(TdbVfs *vfs, const char *from, const char *to,
                           TdbVfsErr *err) {
  TdbVfsMemory *mv = (TdbVfsMemory *)vfs->ctx;
  TdbVfsMemEntry *src, *dst;
  int rc = TDB_OK;
  char *pf = tdbVfsMemNormalize(mv, from);
  char *pt = tdbVfsMemNormalize(mv, to);
  if (!pf || !pt) {
    tdbMemFree(&mv->mem, pf);
    tdbMemFree(&mv->mem, pt);
    return TDB_VFS_MEM_OOM(err, "rename", from);
  }
  tdbVfsMemLock(mv);
  src = tdbVfsMemFind(mv, pf);
  dst = tdbVfsMemFind(mv, pt);
  if (!src) {
    rc = tdbVfsErrSetPair(err, TDB_NOTFOUND, "rename", from, to, -1, 0,
                          "no such file or directory");
  } else if (!src->node || (dst && !dst->node)) {
    rc = tdbVfsErrSetPair(err, TDB_IOERR, "rename", from, to, -1, 0,
                          "renaming directories is not supported");
  } else if (!dst && !tdbVfsMemParentExists(mv, pt)) {
    rc = tdbVfsErrSetPair(err, TDB_NOTFOUND, "rename", from, to, -1, 0,
                          "no such directory");
  } else if (src != dst) {
    if (dst) {
      /* Point the target entry at the source node, so the name never stops
      ** existing (that is the "atomic replace"), then drop the source entry
      ** without unlinking the node it no longer owns. */
      TdbVfsMemNode *old = dst->node;
      dst->node = src->node;
      src->node = NULL;
      tdbVfsMemDrop(mv, src); /* may move entries: dst is stale after this */
      old->links--;
      tdbVfsMemNodeRelease(mv, old);
    } else {
      /* Re-key the entry in place. */
      tdbMemFree(&mv->mem, src->path);
      src->path = pt;
      pt = NULL;
    }
  }
  tdbVfsMemUnlock(mv);
  tdbMemFree(&mv->mem, pf);
  tdbMemFree(&mv->mem, pt);
  return rc;
}

static int tdbVfsMemExists(TdbVfs *vfs, const char *path, int *exists,
                           TdbVfsErr *err) {
  TdbVfsMemory *mv = (TdbVfsMemory *)vfs->ctx;
  char *p = tdbVfsMemNormalize(mv, path);
  if (!p) return TDB_VFS_MEM_OOM(err, "stat", path);
  tdbVfsMemLock(mv);
  *exists = tdbVfsMemFind(mv, p) != NULL || tdbVfsMemDirExists(mv, p, strlen(p));
  tdbVfsMemUnlock(mv);
  tdbMemFree(&mv->mem, p);
  return TDB_OK;
}

/* The entry name of normalised path p if its parent directory is the
** normalised directory d, else NULL. */
static const char *tdbVfsMemChildName(const char *p, const char *d) {
  size_t plen = tdbVfsDirLen(p), dlen = strlen(d);
  int dot = dlen == 1 && d[0] == '.';
  if (dot ? plen != 0 : (plen != dlen || memcmp(p, d, dlen) != 0)) return NULL;
  p += plen;
  while (*p == '/') p++;
  return *p ? p : NULL;
}

static int tdbVfsMemList(TdbVfs *vfs, const char *dir, TdbVfsListFn fn,
                         void *ctx, TdbVfsErr *err) {
  TdbVfsMemory *mv = (TdbVfsMemory *)vfs->ctx;
  char **names = NULL;
  int *isdir = NULL;
  size_t n = 0, i;
  int rc = TDB_OK;
  char *d = tdbVfsMemNormalize(mv, dir);
  if (!d) return TDB_VFS_MEM_OOM(err, "opendir", dir);
  /* Snapshot the names under the lock, call back without it (the callback
  ** may remove or create files). */
  tdbVfsMemLock(mv);
  if (!tdbVfsMemDirExists(mv, d, strlen(d))) {
    rc = tdbVfsErrSet(err, tdbVfsMemFind(mv, d) ? TDB_IOERR : TDB_NOTFOUND,
                      "opendir", dir, -1, 0,
                      tdbVfsMemFind(mv, d) ? "not a directory"
                                           : "no such file or directory");
  } else if (mv->nentries > 0) {
    names = tdbMemAllocZero(&mv->mem, mv->nentries * sizeof *names);
    isdir = tdbMemAlloc(&mv->mem, mv->nentries * sizeof *isdir);
    if (!names || !isdir) rc = TDB_VFS_MEM_OOM(err, "opendir", dir);
    for (i = 0; rc == TDB_OK && i < mv->nentries; i++) {
      const char *name = tdbVfsMemChildName(mv->entries[i].path, d);
      if (!name) continue;
      names[n] = tdbMemStrndup(&mv->mem, name, strlen(name));
      if (!names[n]) {
        rc = TDB_VFS_MEM_OOM(err, "opendir", dir);
        break;
      }
      isdir[n++] = mv->entries[i].node == NULL;
    }
  }
  tdbVfsMemUnlock(mv);
  for (i = 0; i < n; i++) {
    if (rc == TDB_OK && fn(ctx, names[i], isdir[i])) rc = -1; /* stopped */
    tdbMemFree(&mv->mem, names[i]);
  }
  if (rc == -1) rc = TDB_OK;
  tdbMemFree(&mv->mem, names);
  tdbMemFree(&mv->mem, isdir);
  tdbMemFree(&mv->mem, d);
  return rc;
}

static int tdbVfsMemMkdir(TdbVfs *vfs, const char *path, TdbVfsErr *err) {
  TdbVfsMemory *mv = (TdbVfsMemory *)vfs->ctx;
  TdbVfsMemEntry *e;
  int rc = TDB_OK;
  char *p = tdbVfsMemNormalize(mv, path);
  if (!p) return TDB_VFS_MEM_OOM(err, "mkdir", path);
  tdbVfsMemLock(mv);
  e = tdbVfsMemFind(mv, p);
  if (e && e->node) {
    rc = tdbVfsErrSet(err, TDB_IOERR, "mkdir", path, -1, 0, "file exists");
  } else if (!e && !tdbVfsMemDirExists(mv, p, strlen(p))) {
    if (!tdbVfsMemParentExists(mv, p)) {
      rc = tdbVfsErrSet(err, TDB_NOTFOUND, "mkdir", path, -1, 0,
                        "no such file or directory");
    } else if (tdbVfsMemAdd(mv, p, NULL) != TDB_OK) {
      rc = TDB_VFS_MEM_OOM(err, "mkdir", path);
    } else {
      p = NULL;
    }
  }
  tdbVfsMemUnlock(mv);
  tdbMemFree(&mv->mem, p);
  return rc;
}

static int tdbVfsMemSyncDir(TdbVfs *vfs, const char *dir, TdbVfsErr *err) {
  TdbVfsMemory *mv = (TdbVfsMemory *)vfs->ctx;
  int rc = TDB_OK;
  char *d = tdbVfsMemNormalize(mv, dir);
  if (!d) return TDB_VFS_MEM_OOM(err, "fsync directory", dir);
  tdbVfsMemLock(mv);
  if (!tdbVfsMemDirExists(mv, d, strlen(d))) {
    rc = tdbVfsErrSet(err, TDB_NOTFOUND, "fsync directory", dir, -1, 0,
                      "no such directory");
  }
  tdbVfsMemUnlock(mv);
  tdbMemFree(&mv->mem, d);
  return rc;
}

static int64_t tdbVfsMemNow(TdbVfs *vfs) {
  struct timespec ts;
  TDB_UNUSED(vfs);
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
  return (int64_t)ts.tv_sec * 1000000 + (int64_t)(ts.tv_nsec / 1000);
}

TDB_PRIVATE int tdbVfsMemoryNew(TdbMem *mem, TdbVfs **out) {
  TdbVfsMemory *mv = tdbMemAllocZero(mem, sizeof *mv);
  *out = NULL;
  if (!mv) return TDB_NOMEM;
  mv->mem = *mem;
#if TDB_THREADS
  if (pthread_mutex_init(&mv->mutex, NULL) != 0) {
    tdbMemFree(mem, mv);
    return TDB_NOMEM;
  }
#endif
  mv->base.version = TDB_VFS_VERSION;
  mv->base.name = "memory";
  mv->base.ctx = mv;
  mv->base.open_file = tdbVfsMemOpen;
  mv->base.remove_file = tdbVfsMemRemove;
  mv->base.rename_file = tdbVfsMemRename;
  mv->base.file_exists = tdbVfsMemExists;
  mv->base.list_dir = tdbVfsMemList;
  mv->base.make_dir = tdbVfsMemMkdir;
  mv->base.sync_dir = tdbVfsMemSyncDir;
  mv->base.now_us = tdbVfsMemNow;
  *out = &mv->base;
  return TDB_OK;
}

TDB_PRIVATE void tdbVfsMemoryFree(TdbVfs *vfs) {
  TdbVfsMemory *mv;
  TdbMem mem;
  if (!vfs) return;
  mv = (TdbVfsMemory *)vfs->ctx;
  while (mv->nentries > 0) tdbVfsMemDrop(mv, &mv->entries[mv->nentries - 1]);
  mem = mv->mem;
  tdbMemFree(&mem, mv->entries);
#if TDB_THREADS
  pthread_mutex_destroy(&mv->mutex);
#endif
  tdbMemFree(&mem, mv);
}
