/*
** fault_vfs.c — the fault-injecting VFS of the tests (model and API in
** fault_vfs.h).
**
** How power loss is simulated on top of an inner VFS that only knows the
** current state:
**
**   inodes    one record per file the wrapper has touched, following the
**             file across renames (`path` = its current inner name, NULL
**             once it no longer exists), with an undo log of the data
**             changes since its last sync_data:
**                 {offset, old_size, old bytes of [offset, offset+nold)}
**             replayed newest first, this restores the synced image.
**   journal   the directory changes not yet made durable by sync_dir, in
**             order: CREATE(path), REMOVE(path -> grave), RENAME(from -> to,
**             replaced file -> grave). A removed or replaced file is not
**             deleted but moved to a hidden grave name, so a crash can bring
**             it back; a durable REMOVE/RENAME deletes its grave.
**   last      a copy of the most recent write, for the torn write.
**
**   crash:  close inner handles -> undo the journal newest first -> replay
**           each inode's undo log -> write the kept prefix of `last` ->
**           forget everything (the inner state is now all durable).
**
** One mutex (with TDB_THREADS) serialises the wrapper's calls.
*/
#include "fault_vfs.h"

#include <stdio.h>
#if TDB_THREADS
#include <pthread.h>
#endif

#define TDB_FAULT_GRAVE ".tdbfault-"

typedef struct TdbFaultUndo {
  uint64_t offset;
  uint64_t old_size;
  unsigned char *old;
  size_t nold;
} TdbFaultUndo;

typedef struct TdbFaultInode {
  char *path;                  /* current inner name; NULL: gone */
  TdbFaultUndo *undo;
  size_t nundo, capundo;
  struct TdbFaultInode *next;
} TdbFaultInode;

enum { TDB_FAULT_OP_CREATE, TDB_FAULT_OP_REMOVE, TDB_FAULT_OP_RENAME };

typedef struct TdbFaultOp {
  int kind;
  TdbFaultInode *ino;          /* the file created / removed / renamed */
  TdbFaultInode *displaced;    /* RENAME: the file `to` named before, or NULL */
  char *a;                     /* CREATE: path; REMOVE: path; RENAME: from */
  char *b;                     /* REMOVE: its grave; RENAME: to */
  char *grave;                 /* RENAME: where `displaced` went */
  char *dir_a, *dir_b;         /* directories to sync (dir_b NULL: one) */
  int synced_a, synced_b;
} TdbFaultOp;

typedef struct TdbFaultFile TdbFaultFile;

typedef struct TdbFaultVfs {
  TdbVfs base;
  TdbMem mem;
  TdbVfs *inner;
#if TDB_THREADS
  pthread_mutex_t mutex;
#endif
  /* counters and rules */
  uint64_t calls[TDB_FAULT_NKINDS];
  uint64_t sync_points;
  uint64_t injected;
  int rule_kind;               /* failure rule: kind, absolute target, sticky */
  uint64_t rule_at;            /* 0: none */
  int rule_sticky;
  int64_t disk_left;           /* < 0: unlimited */
  uint64_t crash_at;           /* absolute sync point that cuts power; 0 none */
  int powered_off;
  int64_t tear_keep;           /* < 0: no torn write */
  uint64_t generation;         /* bumped by every crash */
  uint64_t grave_seq;
  /* state for power loss */
  TdbFaultInode *inodes;
  TdbFaultOp *ops;
  size_t nops, capops;
  TdbFaultInode *last_ino;     /* the most recent write, if unsynced */
  uint64_t last_offset;
  unsigned char *last_data;
  size_t last_n;
  TdbFaultFile *files;         /* open handles */
} TdbFaultVfs;

struct TdbFaultFile {
  TdbVfsFile base;
  TdbFaultVfs *fv;
  TdbVfsFile *inner;           /* NULL once a crash killed the handle */
  TdbFaultInode *ino;
  uint64_t generation;
  TdbFaultFile *next;
  char path[1];
};

static void tdbFaultLock(TdbFaultVfs *fv) {
#if TDB_THREADS
  pthread_mutex_lock(&fv->mutex);
#else
  TDB_UNUSED(fv);
#endif
}

static void tdbFaultUnlock(TdbFaultVfs *fv) {
#if TDB_THREADS
  pthread_mutex_unlock(&fv->mutex);
#else
  TDB_UNUSED(fv);
#endif
}

static TdbFaultVfs *tdbFaultOf(TdbVfs *vfs) { return (TdbFaultVfs *)vfs->ctx; }

static int64_t tdbFaultPos(uint64_t offset) {
  return offset > (uint64_t)INT64_MAX ? -1 : (int64_t)offset;
}

/* Count a call of `kind`; return the rc to fail it with (filling err), or
** TDB_OK to let it through. `fail_rc` is the code an injected failure of
** this call returns. */
static int tdbFaultCount(TdbFaultVfs *fv, TdbFaultKind kind, int fail_rc,
                         const char *op, const char *path, int64_t offset,
                         TdbVfsErr *err) {
  uint64_t n;
  char why[64];
  if (fv->powered_off) {
    return tdbVfsErrSet(err, fail_rc == TDB_CANTOPEN ? TDB_CANTOPEN : TDB_IOERR,
                        op, path, offset, 0, "power is off (simulated crash)");
  }
  fv->calls[TDB_FAULT_ANY]++;
  fv->calls[kind]++;
  if (fv->rule_at == 0) return TDB_OK;
  n = fv->calls[fv->rule_kind];
  if (fv->rule_kind != TDB_FAULT_ANY && fv->rule_kind != (int)kind) return TDB_OK;
  if (n == fv->rule_at || (fv->rule_sticky && n > fv->rule_at)) {
    fv->injected++;
    snprintf(why, sizeof why, "injected fault (call %llu)",
             (unsigned long long)fv->calls[TDB_FAULT_ANY]);
    return tdbVfsErrSet(err, fail_rc, op, path, offset, 0, why);
  }
  return TDB_OK;
}

/* Handle checks shared by the file methods. */
static int tdbFaultDead(TdbFaultFile *f, const char *op, TdbVfsErr *err) {
  if (!f->inner || f->generation != f->fv->generation) {
    return tdbVfsErrSet(err, TDB_IOERR, op, f->path, -1, 0,
                        "file handle from before the crash");
  }
  return TDB_OK;
}

/* ---- inodes and the journal ---------------------------------------------- */

static TdbFaultInode *tdbFaultFindInode(TdbFaultVfs *fv, const char *path) {
  TdbFaultInode *ino;
  for (ino = fv->inodes; ino; ino = ino->next) {
    if (ino->path && strcmp(ino->path, path) == 0) return ino;
  }
  return NULL;
}

/* The record of the file at `path`, created (for a file that existed
** already, or a new one) if absent. NULL on OOM. */
static TdbFaultInode *tdbFaultInodeFor(TdbFaultVfs *fv, const char *path) {
  TdbFaultInode *ino = tdbFaultFindInode(fv, path);
  if (ino) return ino;
  ino = tdbMemAllocZero(&fv->mem, sizeof *ino);
  if (!ino) return NULL;
  ino->path = tdbMemStrndup(&fv->mem, path, strlen(path));
  if (!ino->path) {
    tdbMemFree(&fv->mem, ino);
    return NULL;
  }
  ino->next = fv->inodes;
  fv->inodes = ino;
  return ino;
}

static void tdbFaultSetPath(TdbFaultVfs *fv, TdbFaultInode *ino, char *path) {
  tdbMemFree(&fv->mem, ino->path);
  ino->path = path;
}

static void tdbFaultClearUndo(TdbFaultVfs *fv, TdbFaultInode *ino) {
  size_t i;
  for (i = 0; i < ino->nundo; i++) tdbMemFree(&fv->mem, ino->undo[i].old);
  ino->nundo = 0;
  if (fv->last_ino == ino) fv->last_ino = NULL;
}

/* A copy of the directory of `path`, spelled for comparison ("." for the
** current directory). */
static char *tdbFaultDirOf(TdbFaultVfs *fv, const char *path) {
  size_t n = tdbVfsDirLen(path);
  return n ? tdbMemStrndup(&fv->mem, path, n) : tdbMemStrndup(&fv->mem, ".", 1);
}

/* The same spelling for a directory given to sync_dir. */
static int tdbFaultSameDir(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  while (na > 1 && a[na - 1] == '/') na--;
  while (nb > 1 && b[nb - 1] == '/') nb--;
  if (na == 0) { a = "."; na = 1; }
  if (nb == 0) { b = "."; nb = 1; }
  return na == nb && memcmp(a, b, na) == 0;
}

/* A fresh hidden name in the directory of `path`. */
static char *tdbFaultGraveFor(TdbFaultVfs *fv, const char *path) {
  size_t n = tdbVfsDirLen(path);
  char *g = tdbMemAlloc(&fv->mem, n + sizeof TDB_FAULT_GRAVE + 24);
  if (!g) return NULL;
  if (n == 0) {
    snprintf(g, sizeof TDB_FAULT_GRAVE + 24, TDB_FAULT_GRAVE "%llu",
             (unsigned long long)++fv->grave_seq);
  } else {
    memcpy(g, path, n);
    snprintf(g + n, sizeof TDB_FAULT_GRAVE + 24, "%s" TDB_FAULT_GRAVE "%llu",
             (n == 1 && path[0] == '/') ? "" : "/",
             (unsigned long long)++fv->grave_seq);
  }
  return g;
}

static void tdbFaultFreeOp(TdbFaultVfs *fv, TdbFaultOp *op) {
  tdbMemFree(&fv->mem, op->a);
  tdbMemFree(&fv->mem, op->b);
  tdbMemFree(&fv->mem, op->grave);
  tdbMemFree(&fv->mem, op->dir_a);
  tdbMemFree(&fv->mem, op->dir_b);
}

/* Append a journal op; takes ownership of the strings (freed on failure). */
static int tdbFaultAddOp(TdbFaultVfs *fv, int kind, TdbFaultInode *ino,
                         TdbFaultInode *displaced, char *a, char *b,
                         char *grave) {
  TdbFaultOp op;
  memset(&op, 0, sizeof op);
  op.kind = kind;
  op.ino = ino;
  op.displaced = displaced;
  op.a = a;
  op.b = b;
  op.grave = grave;
  op.dir_a = tdbFaultDirOf(fv, a);
  if (kind == TDB_FAULT_OP_RENAME) {
    op.dir_b = tdbFaultDirOf(fv, b);
    if (op.dir_b && op.dir_a && strcmp(op.dir_a, op.dir_b) == 0) {
      tdbMemFree(&fv->mem, op.dir_b);
      op.dir_b = NULL;
      op.synced_b = 1;
    } else if (!op.dir_b) {
      tdbMemFree(&fv->mem, op.dir_a);
      op.dir_a = NULL; /* take the OOM path below */
    }
  } else {
    op.synced_b = 1;
  }
  if (!op.dir_a ||
      tdbMemGrow(&fv->mem, (void **)&fv->ops, &fv->capops, fv->nops + 1,
                 sizeof *fv->ops) != 0) {
    tdbFaultFreeOp(fv, &op);
    return TDB_NOMEM;
  }
  fv->ops[fv->nops++] = op;
  return TDB_OK;
}

/* Push an undo record for a change of [offset, offset+n) (or, for a
** truncation, of the size) of the inode's file. */
static int tdbFaultPushUndo(TdbFaultVfs *fv, TdbFaultInode *ino,
                            TdbVfsFile *inner, uint64_t offset, size_t n,
                            TdbVfsErr *err) {
  TdbFaultUndo u;
  uint64_t size;
  size_t got;
  int rc = inner->methods->get_size(inner, &size, err);
  if (rc != TDB_OK) return rc;
  memset(&u, 0, sizeof u);
  u.offset = offset;
  u.old_size = size;
  if (offset < size) u.nold = (size_t)TDB_MIN((uint64_t)n, size - offset);
  if (u.nold) {
    u.old = tdbMemAlloc(&fv->mem, u.nold);
    if (!u.old) return TDB_NOMEM;
    rc = inner->methods->read_at(inner, offset, u.old, u.nold, &got, err);
    if (rc != TDB_OK || got != u.nold) {
      tdbMemFree(&fv->mem, u.old);
      return rc != TDB_OK ? rc : TDB_IOERR_READ;
    }
  }
  if (tdbMemGrow(&fv->mem, (void **)&ino->undo, &ino->capundo, ino->nundo + 1,
                 sizeof *ino->undo) != 0) {
    tdbMemFree(&fv->mem, u.old);
    return TDB_NOMEM;
  }
  ino->undo[ino->nundo++] = u;
  return TDB_OK;
}

/* Whether `path` names a regular file in the inner VFS (opening it for
** reading works): *is_file 0 or 1 and TDB_OK, or the error that kept us
** from knowing (e.g. TDB_NOMEM). */
static int tdbFaultIsFile(TdbFaultVfs *fv, const char *path, int *is_file,
                          TdbVfsErr *err) {
  TdbVfsFile *f = NULL;
  int rc = fv->inner->open_file(fv->inner, path, TDB_VFS_READ, &f, err);
  *is_file = rc == TDB_OK;
  if (rc == TDB_OK) f->methods->close_file(f);
  return rc == TDB_NOTFOUND || rc == TDB_CANTOPEN ? TDB_OK : rc;
}

/* ---- files ------------------------------------------------------------------ */

static void tdbFaultClose(TdbVfsFile *file) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  TdbFaultVfs *fv = f->fv;
  TdbFaultFile **pp;
  tdbFaultLock(fv);
  for (pp = &fv->files; *pp; pp = &(*pp)->next) {
    if (*pp == f) {
      *pp = f->next;
      break;
    }
  }
  if (f->inner) f->inner->methods->close_file(f->inner);
  tdbFaultUnlock(fv);
  tdbMemFree(&fv->mem, f);
}

static int tdbFaultRead(TdbVfsFile *file, uint64_t offset, void *buf, size_t n,
                        size_t *nread, TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  int rc;
  *nread = 0;
  tdbFaultLock(f->fv);
  rc = tdbFaultCount(f->fv, TDB_FAULT_READ, TDB_IOERR_READ, "read", f->path,
                     tdbFaultPos(offset), err);
  if (rc == TDB_OK) rc = tdbFaultDead(f, "read", err);
  if (rc == TDB_OK) rc = f->inner->methods->read_at(f->inner, offset, buf, n, nread, err);
  tdbFaultUnlock(f->fv);
  return rc;
}

/* A write of n bytes at offset (UINT64_MAX: at the end), lock held. */
static int tdbFaultWriteLocked(TdbFaultFile *f, uint64_t offset,
                               const void *buf, size_t n, TdbVfsErr *err) {
  TdbFaultVfs *fv = f->fv;
  size_t allowed = n;
  int rc = tdbFaultCount(fv, TDB_FAULT_WRITE, TDB_IOERR_WRITE, "write",
                         f->path, offset == UINT64_MAX ? -1 : tdbFaultPos(offset),
                         err);
  if (rc == TDB_OK) rc = tdbFaultDead(f, "write", err);
  if (rc != TDB_OK) return rc;
  if (offset == UINT64_MAX) {
    rc = f->inner->methods->get_size(f->inner, &offset, err);
    if (rc != TDB_OK) return rc;
  }
  if (fv->disk_left >= 0 && (uint64_t)fv->disk_left < n) allowed = (size_t)fv->disk_left;
  if (allowed > 0) {
    unsigned char *copy = tdbMemAlloc(&fv->mem, allowed);
    if (!copy) return tdbVfsErrSet(err, TDB_NOMEM, "write", f->path, -1, 0, "out of memory");
    rc = tdbFaultPushUndo(fv, f->ino, f->inner, offset, allowed, err);
    if (rc == TDB_OK) {
      rc = f->inner->methods->write_at(f->inner, offset, buf, allowed, err);
    }
    if (rc != TDB_OK) {
      tdbMemFree(&fv->mem, copy);
      return rc;
    }
    memcpy(copy, buf, allowed);
    tdbMemFree(&fv->mem, fv->last_data);
    fv->last_data = copy;
    fv->last_n = allowed;
    fv->last_offset = offset;
    fv->last_ino = f->ino;
    if (fv->disk_left >= 0) fv->disk_left -= (int64_t)allowed;
  }
  if (allowed < n) {
    fv->injected++;
    return tdbVfsErrSet(err, TDB_FULL, "write", f->path,
                        tdbFaultPos(offset + allowed), 0,
                        "no space left on device (injected)");
  }
  return TDB_OK;
}

static int tdbFaultWrite(TdbVfsFile *file, uint64_t offset, const void *buf,
                         size_t n, TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  int rc;
  if (offset == UINT64_MAX) {
    return tdbVfsErrSet(err, TDB_FULL, "write", f->path, -1, 0, "file too large");
  }
  tdbFaultLock(f->fv);
  rc = tdbFaultWriteLocked(f, offset, buf, n, err);
  tdbFaultUnlock(f->fv);
  return rc;
}

static int tdbFaultAppend(TdbVfsFile *file, const void *buf, size_t n,
                          TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  int rc;
  tdbFaultLock(f->fv);
  rc = tdbFaultWriteLocked(f, UINT64_MAX, buf, n, err);
  tdbFaultUnlock(f->fv);
  return rc;
}

/* Count a sync point; cut the power if it is the chosen one. Lock held. */
static int tdbFaultSyncPoint(TdbFaultVfs *fv, const char *op, const char *path,
                             TdbVfsErr *err) {
  int rc = tdbFaultCount(fv, TDB_FAULT_SYNC, TDB_IOERR_SYNC, op, path, -1, NULL);
  if (fv->powered_off) {
    return tdbVfsErrSet(err, TDB_IOERR, op, path, -1, 0,
                        "power is off (simulated crash)");
  }
  fv->sync_points++;
  if (fv->crash_at != 0 && fv->sync_points == fv->crash_at) {
    char why[64];
    fv->powered_off = 1;
    fv->injected++;
    snprintf(why, sizeof why, "power cut at sync point %llu",
             (unsigned long long)fv->sync_points);
    return tdbVfsErrSet(err, TDB_IOERR_SYNC, op, path, -1, 0, why);
  }
  if (rc != TDB_OK) {
    /* Redo the message into the caller's err (counted once above). */
    char why[64];
    snprintf(why, sizeof why, "injected fault (call %llu)",
             (unsigned long long)fv->calls[TDB_FAULT_ANY]);
    return tdbVfsErrSet(err, rc, op, path, -1, 0, why);
  }
  return TDB_OK;
}

static int tdbFaultSync(TdbVfsFile *file, TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  int rc;
  tdbFaultLock(f->fv);
  rc = tdbFaultSyncPoint(f->fv, "fdatasync", f->path, err);
  if (rc == TDB_OK) rc = tdbFaultDead(f, "fdatasync", err);
  if (rc == TDB_OK) rc = f->inner->methods->sync_data(f->inner, err);
  if (rc == TDB_OK) tdbFaultClearUndo(f->fv, f->ino);
  tdbFaultUnlock(f->fv);
  return rc;
}

static int tdbFaultTruncate(TdbVfsFile *file, uint64_t size, TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  uint64_t cur = 0;
  int rc;
  tdbFaultLock(f->fv);
  rc = tdbFaultCount(f->fv, TDB_FAULT_WRITE, TDB_IOERR_WRITE, "truncate",
                     f->path, tdbFaultPos(size), err);
  if (rc == TDB_OK) rc = tdbFaultDead(f, "truncate", err);
  if (rc == TDB_OK) rc = f->inner->methods->get_size(f->inner, &cur, err);
  if (rc == TDB_OK) {
    /* Save the bytes a shrink cuts off (a grow only needs the old size). */
    size_t cut = cur > size ? (size_t)(cur - size) : 0;
    rc = tdbFaultPushUndo(f->fv, f->ino, f->inner, size, cut, err);
  }
  if (rc == TDB_OK) rc = f->inner->methods->truncate_to(f->inner, size, err);
  tdbFaultUnlock(f->fv);
  return rc;
}

static int tdbFaultSize(TdbVfsFile *file, uint64_t *size, TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  int rc;
  tdbFaultLock(f->fv);
  rc = tdbFaultCount(f->fv, TDB_FAULT_READ, TDB_IOERR_READ, "fstat", f->path, -1, err);
  if (rc == TDB_OK) rc = tdbFaultDead(f, "fstat", err);
  if (rc == TDB_OK) rc = f->inner->methods->get_size(f->inner, size, err);
  tdbFaultUnlock(f->fv);
  return rc;
}

static int tdbFaultLockFile(TdbVfsFile *file, TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  int rc;
  tdbFaultLock(f->fv);
  rc = tdbFaultCount(f->fv, TDB_FAULT_LOCK, TDB_IOERR, "lock", f->path, -1, err);
  if (rc == TDB_OK) rc = tdbFaultDead(f, "lock", err);
  if (rc == TDB_OK) rc = f->inner->methods->lock_file(f->inner, err);
  tdbFaultUnlock(f->fv);
  return rc;
}

static int tdbFaultUnlockFile(TdbVfsFile *file, TdbVfsErr *err) {
  TdbFaultFile *f = (TdbFaultFile *)file;
  int rc = TDB_OK;
  tdbFaultLock(f->fv);
  if (f->inner && f->generation == f->fv->generation) {
    rc = f->inner->methods->unlock_file(f->inner, err);
  }
  tdbFaultUnlock(f->fv);
  return rc;
}

static int tdbFaultMap(TdbVfsFile *file, size_t len, const void **out,
                       TdbVfsErr *err) {
  TDB_UNUSED(file);
  TDB_UNUSED(len);
  TDB_UNUSED(err);
  *out = NULL; /* always read through read_at, where faults can be injected */
  return TDB_OK;
}

static void tdbFaultUnmap(TdbVfsFile *file, const void *p, size_t len) {
  TDB_UNUSED(file);
  TDB_UNUSED(p);
  TDB_UNUSED(len);
}

static const TdbVfsFileMethods kTdbFaultFileMethods = {
  TDB_VFS_VERSION,
  tdbFaultClose,
  tdbFaultRead,
  tdbFaultWrite,
  tdbFaultAppend,
  tdbFaultSync,
  tdbFaultTruncate,
  tdbFaultSize,
  tdbFaultLockFile,
  tdbFaultUnlockFile,
  tdbFaultMap,
  tdbFaultUnmap,
};

/* ---- the file system ---------------------------------------------------- */

#define TDB_FAULT_OOM(err, op, path) \
  tdbVfsErrSet((err), TDB_NOMEM, (op), (path), -1, 0, "out of memory")

static int tdbFaultOpen(TdbVfs *vfs, const char *path, int flags,
                        TdbVfsFile **out, TdbVfsErr *err) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  size_t plen = strlen(path);
  TdbFaultFile *f;
  TdbVfsFile *inner = NULL;
  int existed = 1, rc;
  *out = NULL;
  f = tdbMemAllocZero(&fv->mem, sizeof *f + plen);
  if (!f) return TDB_FAULT_OOM(err, "open", path);
  tdbFaultLock(fv);
  rc = tdbFaultCount(fv, TDB_FAULT_OPEN, TDB_CANTOPEN, "open", path, -1, err);
  if (rc == TDB_OK && (flags & TDB_VFS_CREATE)) {
    rc = fv->inner->file_exists(fv->inner, path, &existed, err);
  }
  if (rc == TDB_OK) rc = fv->inner->open_file(fv->inner, path, flags, &inner, err);
  if (rc == TDB_OK) {
    f->ino = existed ? tdbFaultInodeFor(fv, path) : NULL;
    if (!existed) {
      /* A new file: a fresh record (an old record of this name, if any, is
      ** stale) and a CREATE in the journal until its directory is synced. */
      TdbFaultInode *stale = tdbFaultFindInode(fv, path);
      char *a = tdbMemStrndup(&fv->mem, path, plen);
      if (stale) tdbFaultSetPath(fv, stale, NULL);
      f->ino = tdbFaultInodeFor(fv, path);
      if (!f->ino || !a ||
          tdbFaultAddOp(fv, TDB_FAULT_OP_CREATE, f->ino, NULL, a, NULL, NULL) !=
              TDB_OK) {
        if (!f->ino) tdbMemFree(&fv->mem, a);
        if (f->ino) tdbFaultSetPath(fv, f->ino, NULL);
        f->ino = NULL;
      }
    }
    if (!f->ino) {
      inner->methods->close_file(inner);
      if (!existed) fv->inner->remove_file(fv->inner, path, NULL);
      rc = TDB_FAULT_OOM(err, "open", path);
    }
  }
  if (rc == TDB_OK) {
    f->base.methods = &kTdbFaultFileMethods;
    memcpy(f->path, path, plen + 1);
    f->base.path = f->path;
    f->fv = fv;
    f->inner = inner;
    f->generation = fv->generation;
    f->next = fv->files;
    fv->files = f;
    *out = &f->base;
    f = NULL;
  }
  tdbFaultUnlock(fv);
  tdbMemFree(&fv->mem, f);
  return rc;
}

static int tdbFaultRemove(TdbVfs *vfs, const char *path, TdbVfsErr *err) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  TdbFaultInode *ino;
  char *grave = NULL, *a = NULL;
  int rc, is_file = 0;
  tdbFaultLock(fv);
  rc = tdbFaultCount(fv, TDB_FAULT_NAMESPACE, TDB_IOERR, "unlink", path, -1, err);
  if (rc != TDB_OK) goto done;
  rc = tdbFaultIsFile(fv, path, &is_file, err);
  if (rc != TDB_OK) goto done;
  if (!is_file) {
    /* Missing or a directory: let the inner VFS say so. */
    rc = fv->inner->remove_file(fv->inner, path, err);
    goto done;
  }
  ino = tdbFaultInodeFor(fv, path);
  grave = tdbFaultGraveFor(fv, path);
  a = tdbMemStrndup(&fv->mem, path, strlen(path));
  if (!ino || !grave || !a) {
    rc = TDB_FAULT_OOM(err, "unlink", path);
    goto done;
  }
  rc = fv->inner->rename_file(fv->inner, path, grave, err);
  if (rc != TDB_OK) goto done;
  {
    char *gcopy = tdbMemStrndup(&fv->mem, grave, strlen(grave));
    if (!gcopy) {
      fv->inner->rename_file(fv->inner, grave, path, NULL);
      rc = TDB_FAULT_OOM(err, "unlink", path);
      goto done;
    }
    tdbFaultSetPath(fv, ino, gcopy);
  }
  rc = tdbFaultAddOp(fv, TDB_FAULT_OP_REMOVE, ino, NULL, a, grave, NULL);
  a = grave = NULL;
  if (rc != TDB_OK) rc = TDB_FAULT_OOM(err, "unlink", path);
done:
  tdbFaultUnlock(fv);
  tdbMemFree(&fv->mem, grave);
  tdbMemFree(&fv->mem, a);
  return rc;
}

static int tdbFaultRename(TdbVfs *vfs, const char *from, const char *to,
                          TdbVfsErr *err) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  TdbFaultInode *ino, *displaced = NULL;
  char *grave = NULL, *a = NULL, *b = NULL, *p;
  int rc, is_file = 0;
  tdbFaultLock(fv);
  rc = tdbFaultCount(fv, TDB_FAULT_NAMESPACE, TDB_IOERR, "rename", from, -1, err);
  if (rc == TDB_OK) rc = tdbFaultIsFile(fv, from, &is_file, err);
  if (rc != TDB_OK) goto done;
  if (strcmp(from, to) == 0 || !is_file) {
    rc = fv->inner->rename_file(fv->inner, from, to, err);
    goto done;
  }
  ino = tdbFaultInodeFor(fv, from);
  a = tdbMemStrndup(&fv->mem, from, strlen(from));
  b = tdbMemStrndup(&fv->mem, to, strlen(to));
  if (!ino || !a || !b) {
    rc = TDB_FAULT_OOM(err, "rename", from);
    goto done;
  }
  rc = tdbFaultIsFile(fv, to, &is_file, err);
  if (rc != TDB_OK) goto done;
  if (is_file) {
    /* Keep the file being replaced in a grave until the rename is durable. */
    displaced = tdbFaultInodeFor(fv, to);
    grave = tdbFaultGraveFor(fv, to);
    p = grave ? tdbMemStrndup(&fv->mem, grave, strlen(grave)) : NULL;
    if (!displaced || !p) {
      tdbMemFree(&fv->mem, p);
      rc = TDB_FAULT_OOM(err, "rename", from);
      goto done;
    }
    rc = fv->inner->rename_file(fv->inner, to, grave, err);
    if (rc != TDB_OK) {
      tdbMemFree(&fv->mem, p);
      goto done;
    }
    tdbFaultSetPath(fv, displaced, p);
  }
  rc = fv->inner->rename_file(fv->inner, from, to, err);
  if (rc != TDB_OK) {
    if (displaced) {
      fv->inner->rename_file(fv->inner, grave, to, NULL);
      tdbFaultSetPath(fv, displaced, tdbMemStrndup(&fv->mem, to, strlen(to)));
    }
    goto done;
  }
  p = tdbMemStrndup(&fv->mem, to, strlen(to));
  if (!p) {
    rc = TDB_FAULT_OOM(err, "rename", from);
    goto done;
  }
  tdbFaultSetPath(fv, ino, p);
  rc = tdbFaultAddOp(fv, TDB_FAULT_OP_RENAME, ino, displaced, a, b, grave);
  a = b = grave = NULL;
  if (rc != TDB_OK) rc = TDB_FAULT_OOM(err, "rename", from);
done:
  tdbFaultUnlock(fv);
  tdbMemFree(&fv->mem, a);
  tdbMemFree(&fv->mem, b);
  tdbMemFree(&fv->mem, grave);
  return rc;
}

static int tdbFaultExists(TdbVfs *vfs, const char *path, int *exists,
                          TdbVfsErr *err) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  int rc;
  tdbFaultLock(fv);
  rc = tdbFaultCount(fv, TDB_FAULT_READ, TDB_IOERR, "stat", path, -1, err);
  if (rc == TDB_OK) rc = fv->inner->file_exists(fv->inner, path, exists, err);
  tdbFaultUnlock(fv);
  return rc;
}

typedef struct TdbFaultNames {
  TdbFaultVfs *fv;
  char **names;
  int *isdir;
  size_t n, cap, capdir;
  int oom;
} TdbFaultNames;

static int tdbFaultCollect(void *ctx, const char *name, int is_dir) {
  TdbFaultNames *c = (TdbFaultNames *)ctx;
  if (strncmp(name, TDB_FAULT_GRAVE, sizeof TDB_FAULT_GRAVE - 1) == 0) return 0;
  if (tdbMemGrow(&c->fv->mem, (void **)&c->names, &c->cap, c->n + 1,
                 sizeof *c->names) != 0 ||
      tdbMemGrow(&c->fv->mem, (void **)&c->isdir, &c->capdir, c->n + 1,
                 sizeof *c->isdir) != 0 ||
      !(c->names[c->n] = tdbMemStrndup(&c->fv->mem, name, strlen(name)))) {
    c->oom = 1;
    return 1;
  }
  c->isdir[c->n++] = is_dir;
  return 0;
}

static int tdbFaultList(TdbVfs *vfs, const char *dir, TdbVfsListFn fn,
                        void *ctx, TdbVfsErr *err) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  TdbFaultNames c;
  size_t i;
  int rc, stop = 0;
  memset(&c, 0, sizeof c);
  c.fv = fv;
  tdbFaultLock(fv);
  rc = tdbFaultCount(fv, TDB_FAULT_READ, TDB_IOERR, "opendir", dir, -1, err);
  if (rc == TDB_OK) rc = fv->inner->list_dir(fv->inner, dir, tdbFaultCollect, &c, err);
  if (rc == TDB_OK && c.oom) rc = TDB_FAULT_OOM(err, "opendir", dir);
  tdbFaultUnlock(fv);
  for (i = 0; i < c.n; i++) {
    if (rc == TDB_OK && !stop) stop = fn(ctx, c.names[i], c.isdir[i]);
    tdbMemFree(&fv->mem, c.names[i]);
  }
  tdbMemFree(&fv->mem, c.names);
  tdbMemFree(&fv->mem, c.isdir);
  return rc;
}

static int tdbFaultMkdir(TdbVfs *vfs, const char *path, TdbVfsErr *err) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  int rc;
  tdbFaultLock(fv);
  rc = tdbFaultCount(fv, TDB_FAULT_NAMESPACE, TDB_IOERR, "mkdir", path, -1, err);
  if (rc == TDB_OK) rc = fv->inner->make_dir(fv->inner, path, err);
  tdbFaultUnlock(fv);
  return rc;
}

/* Make durable the journal ops whose directories are all synced: delete
** their graves and forget them. Lock held. */
static void tdbFaultSettle(TdbFaultVfs *fv) {
  size_t i, keep = 0;
  for (i = 0; i < fv->nops; i++) {
    TdbFaultOp *op = &fv->ops[i];
    if (!(op->synced_a && op->synced_b)) {
      fv->ops[keep++] = *op;
      continue;
    }
    if (op->kind == TDB_FAULT_OP_REMOVE) {
      fv->inner->remove_file(fv->inner, op->b, NULL);
      if (op->ino->path && strcmp(op->ino->path, op->b) == 0) {
        tdbFaultSetPath(fv, op->ino, NULL);
      }
    } else if (op->kind == TDB_FAULT_OP_RENAME && op->displaced) {
      fv->inner->remove_file(fv->inner, op->grave, NULL);
      if (op->displaced->path && strcmp(op->displaced->path, op->grave) == 0) {
        tdbFaultSetPath(fv, op->displaced, NULL);
      }
    }
    tdbFaultFreeOp(fv, op);
  }
  fv->nops = keep;
}

static int tdbFaultSyncDir(TdbVfs *vfs, const char *dir, TdbVfsErr *err) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  size_t i;
  int rc;
  tdbFaultLock(fv);
  rc = tdbFaultSyncPoint(fv, "fsync directory", dir, err);
  if (rc == TDB_OK) rc = fv->inner->sync_dir(fv->inner, dir, err);
  if (rc == TDB_OK) {
    for (i = 0; i < fv->nops; i++) {
      TdbFaultOp *op = &fv->ops[i];
      if (tdbFaultSameDir(op->dir_a, dir)) op->synced_a = 1;
      if (op->dir_b && tdbFaultSameDir(op->dir_b, dir)) op->synced_b = 1;
    }
    tdbFaultSettle(fv);
  }
  tdbFaultUnlock(fv);
  return rc;
}

static int64_t tdbFaultNow(TdbVfs *vfs) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  return fv->inner->now_us(fv->inner);
}

/* ---- power loss ------------------------------------------------------------ */

/* Forget all crash state (after a crash, or at Free). Lock held. */
static void tdbFaultForget(TdbFaultVfs *fv) {
  TdbFaultInode *ino, *next;
  TdbFaultFile *f;
  size_t i;
  for (i = 0; i < fv->nops; i++) tdbFaultFreeOp(fv, &fv->ops[i]);
  fv->nops = 0;
  for (ino = fv->inodes; ino; ino = next) {
    next = ino->next;
    tdbFaultClearUndo(fv, ino);
    tdbMemFree(&fv->mem, ino->undo);
    tdbMemFree(&fv->mem, ino->path);
    tdbMemFree(&fv->mem, ino);
  }
  fv->inodes = NULL;
  for (f = fv->files; f; f = f->next) f->ino = NULL;
  tdbMemFree(&fv->mem, fv->last_data);
  fv->last_data = NULL;
  fv->last_ino = NULL;
}

/* Keep the first rc != TDB_OK. */
static void tdbFaultFirst(int *rc, int r) {
  if (*rc == TDB_OK && r != TDB_OK) *rc = r;
}

/* Restore the synced image of one inode's file. */
static int tdbFaultReplayUndo(TdbFaultVfs *fv, TdbFaultInode *ino) {
  TdbVfsFile *f = NULL;
  size_t i;
  int rc = fv->inner->open_file(fv->inner, ino->path, TDB_VFS_READ | TDB_VFS_WRITE,
                                &f, NULL);
  if (rc != TDB_OK) return rc;
  for (i = ino->nundo; i-- > 0;) {
    const TdbFaultUndo *u = &ino->undo[i];
    if (u->nold) tdbFaultFirst(&rc, f->methods->write_at(f, u->offset, u->old, u->nold, NULL));
    tdbFaultFirst(&rc, f->methods->truncate_to(f, u->old_size, NULL));
  }
  f->methods->close_file(f);
  return rc;
}

TDB_PRIVATE int tdbFaultVfsCrash(TdbVfs *vfs) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  TdbVfs *in = fv->inner;
  TdbFaultFile *f;
  TdbFaultInode *ino;
  size_t i;
  int rc = TDB_OK;
  tdbFaultLock(fv);
  /* 1. The processes die: their files close, their locks go. */
  for (f = fv->files; f; f = f->next) {
    if (f->inner) f->inner->methods->close_file(f->inner);
    f->inner = NULL;
  }
  /* 2. Directory changes not made durable are undone, newest first. */
  for (i = fv->nops; i-- > 0;) {
    TdbFaultOp *op = &fv->ops[i];
    switch (op->kind) {
      case TDB_FAULT_OP_CREATE:
        if (op->ino->path) tdbFaultFirst(&rc, in->remove_file(in, op->ino->path, NULL));
        tdbFaultSetPath(fv, op->ino, NULL);
        break;
      case TDB_FAULT_OP_REMOVE:
        tdbFaultFirst(&rc, in->rename_file(in, op->b, op->a, NULL));
        tdbFaultSetPath(fv, op->ino, op->a);
        op->a = NULL;
        break;
      default: /* RENAME */
        tdbFaultFirst(&rc, in->rename_file(in, op->b, op->a, NULL));
        tdbFaultSetPath(fv, op->ino, op->a);
        op->a = NULL;
        if (op->displaced) {
          tdbFaultFirst(&rc, in->rename_file(in, op->grave, op->b, NULL));
          tdbFaultSetPath(fv, op->displaced, op->b);
          op->b = NULL;
        }
        break;
    }
  }
  /* 3. Unsynced data is dropped. */
  for (ino = fv->inodes; ino; ino = ino->next) {
    if (ino->path && ino->nundo > 0) tdbFaultFirst(&rc, tdbFaultReplayUndo(fv, ino));
  }
  /* 4. Part of the last write had reached the disk. */
  if (fv->tear_keep >= 0 && fv->last_ino && fv->last_ino->path && fv->last_n > 0 &&
      fv->last_ino->nundo > 0) {
    size_t keep = (size_t)TDB_MIN((uint64_t)fv->tear_keep, (uint64_t)fv->last_n);
    if (keep > 0) {
      TdbVfsFile *t = NULL;
      int r = in->open_file(in, fv->last_ino->path, TDB_VFS_READ | TDB_VFS_WRITE, &t, NULL);
      if (r == TDB_OK) {
        r = t->methods->write_at(t, fv->last_offset, fv->last_data, keep, NULL);
        t->methods->close_file(t);
      }
      tdbFaultFirst(&rc, r);
    }
  }
  /* 5. Power on: what the inner VFS holds now is the durable state. */
  tdbFaultForget(fv);
  fv->generation++;
  fv->powered_off = 0;
  fv->crash_at = 0;
  tdbFaultUnlock(fv);
  return rc;
}

/* ---- control ------------------------------------------------------------------ */

TDB_PRIVATE void tdbFaultVfsFailAt(TdbVfs *vfs, TdbFaultKind kind, uint64_t nth,
                                   int sticky) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  tdbFaultLock(fv);
  fv->rule_kind = (int)kind;
  fv->rule_at = nth ? fv->calls[kind] + nth : 0;
  fv->rule_sticky = sticky;
  tdbFaultUnlock(fv);
}

TDB_PRIVATE void tdbFaultVfsSetDiskLimit(TdbVfs *vfs, int64_t bytes) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  tdbFaultLock(fv);
  fv->disk_left = bytes < 0 ? -1 : bytes;
  tdbFaultUnlock(fv);
}

TDB_PRIVATE void tdbFaultVfsCrashAtSync(TdbVfs *vfs, uint64_t nth) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  tdbFaultLock(fv);
  fv->crash_at = nth ? fv->sync_points + nth : 0;
  tdbFaultUnlock(fv);
}

TDB_PRIVATE void tdbFaultVfsSetTear(TdbVfs *vfs, int64_t keep) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  tdbFaultLock(fv);
  fv->tear_keep = keep < 0 ? -1 : keep;
  tdbFaultUnlock(fv);
}

TDB_PRIVATE void tdbFaultVfsClearFaults(TdbVfs *vfs) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  tdbFaultLock(fv);
  fv->rule_at = 0;
  fv->disk_left = -1;
  fv->crash_at = 0;
  tdbFaultUnlock(fv);
}

TDB_PRIVATE uint64_t tdbFaultVfsCalls(TdbVfs *vfs, TdbFaultKind kind) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  uint64_t n;
  tdbFaultLock(fv);
  n = fv->calls[kind];
  tdbFaultUnlock(fv);
  return n;
}

TDB_PRIVATE uint64_t tdbFaultVfsSyncPoints(TdbVfs *vfs) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  uint64_t n;
  tdbFaultLock(fv);
  n = fv->sync_points;
  tdbFaultUnlock(fv);
  return n;
}

TDB_PRIVATE uint64_t tdbFaultVfsInjected(TdbVfs *vfs) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  uint64_t n;
  tdbFaultLock(fv);
  n = fv->injected;
  tdbFaultUnlock(fv);
  return n;
}

TDB_PRIVATE int tdbFaultVfsPoweredOff(TdbVfs *vfs) {
  TdbFaultVfs *fv = tdbFaultOf(vfs);
  int off;
  tdbFaultLock(fv);
  off = fv->powered_off;
  tdbFaultUnlock(fv);
  return off;
}

TDB_PRIVATE int tdbFaultVfsNew(TdbMem *mem, TdbVfs *inner, TdbVfs **out) {
  TdbFaultVfs *fv = tdbMemAllocZero(mem, sizeof *fv);
  *out = NULL;
  if (!fv) return TDB_NOMEM;
  fv->mem = *mem;
  fv->inner = inner;
#if TDB_THREADS
  if (pthread_mutex_init(&fv->mutex, NULL) != 0) {
    tdbMemFree(mem, fv);
    return TDB_NOMEM;
  }
#endif
  fv->disk_left = -1;
  fv->tear_keep = -1;
  fv->base.version = TDB_VFS_VERSION;
  fv->base.name = "fault";
  fv->base.ctx = fv;
  fv->base.open_file = tdbFaultOpen;
  fv->base.remove_file = tdbFaultRemove;
  fv->base.rename_file = tdbFaultRename;
  fv->base.file_exists = tdbFaultExists;
  fv->base.list_dir = tdbFaultList;
  fv->base.make_dir = tdbFaultMkdir;
  fv->base.sync_dir = tdbFaultSyncDir;
  fv->base.now_us = tdbFaultNow;
  *out = &fv->base;
  return TDB_OK;
}

TDB_PRIVATE void tdbFaultVfsFree(TdbVfs *vfs) {
  TdbFaultVfs *fv;
  TdbMem mem;
  if (!vfs) return;
  fv = tdbFaultOf(vfs);
  /* Graves of removals that never became durable are the removed files:
  ** delete them now, so the inner VFS shows the live state. */
  {
    size_t i;
    for (i = 0; i < fv->nops; i++) {
      const TdbFaultOp *op = &fv->ops[i];
      if (op->kind == TDB_FAULT_OP_REMOVE) fv->inner->remove_file(fv->inner, op->b, NULL);
      if (op->kind == TDB_FAULT_OP_RENAME && op->grave) {
        fv->inner->remove_file(fv->inner, op->grave, NULL);
      }
    }
  }
  tdbFaultForget(fv);
  tdbMemFree(&fv->mem, fv->ops);
  mem = fv->mem;
#if TDB_THREADS
  pthread_mutex_destroy(&fv->mutex);
#endif
  tdbMemFree(&mem, fv);
}
