/*
** dbshare.c — the process-wide registry of open stores, the database write
** lock and schema freshness of connections that share a store (dbshare.h).
**
** Locking order: the registry mutex, then a TdbShared's mutex, then the
** store's own mutex (taken inside tdbStore* calls). No function holds a
** TdbShared's mutex while it calls into the store, except the pins, which
** only take the store's mutex briefly.
*/
#include "dbshare.h"
#include "db.h"
#include "stats.h"

#include <time.h>
#ifndef TDB_OMIT_VFS_POSIX
#include <sys/stat.h>
#endif

struct TdbShared {
  TdbMem mem;              /* the store's allocator: a copy of the first connection's */
  TdbStore *store;
  int read_only;           /* the store was opened read-only */
  int registered;          /* in the registry (a path database) */
  long pid;                /* the process that opened it: a child of fork()
                              does not share its parent's stores */
  uint64_t dev, ino;       /* its directory's identity, when registered */
  int nconn;               /* connections using it (registry mutex when registered) */
  TdbShared *next;         /* the registry's list */
  /* guarded by mu */
  TdbMutex mu;
  TdbCond released;        /* the write lock was released */
  const tdb *writer;       /* the connection holding the write lock, or NULL */
  int multi;               /* a second connection has used the store: caches of
                              what others may write cannot be trusted */
};

static TdbMutex tdbRegistryMu = TDB_MUTEX_STATIC_INIT;
static TdbShared *tdbRegistry; /* every registered TdbShared */

/* ---- the registry ---------------------------------------------------------------------- */

/* The identity of the directory at path: 1 and *dev, *ino, or 0 when it
** cannot be had (missing, or no posix file system in the build). */
static int tdbShareIdentity(const char *path, uint64_t *dev, uint64_t *ino) {
#ifndef TDB_OMIT_VFS_POSIX
  struct stat sb;
  if (stat(path, &sb) != 0) return 0;
  *dev = (uint64_t)sb.st_dev;
  *ino = (uint64_t)sb.st_ino;
  return 1;
#else
  (void)path;
  (void)dev;
  (void)ino;
  return 0;
#endif
}

/* May a database opened with this path and configuration be shared? Only
** posix path databases: ":memory:" and the memory VFS are private. */
static int tdbShareable(const char *path, const tdb_config *cfg) {
#ifndef TDB_OMIT_VFS_POSIX
  return strcmp(path, ":memory:") != 0 && (!cfg->vfs || strcmp(cfg->vfs, "posix") == 0);
#else
  (void)path;
  (void)cfg;
  return 0;
#endif
}

/* The registered database with this identity (registry mutex held). */
static TdbShared *tdbShareFind(uint64_t dev, uint64_t ino) {
  TdbShared *sh;
  for (sh = tdbRegistry; sh; sh = sh->next) {
    if (sh->dev == dev && sh->ino == ino && sh->pid == tdbVfsProcessId()) return sh;
  }
  return NULL;
}

static void tdbShareFree(TdbShared *sh) {
  TdbMem mem = sh->mem;
  tdbStoreClose(sh->store);
  tdbCondDestroy(&sh->released);
  tdbMutexDestroy(&sh->mu);
  tdbMemFree(&mem, sh);
}

/* A new TdbShared with its store opened (registry mutex held when shareable). */
static int tdbShareCreate(tdb *db, TdbVfs *vfs, TdbShared **out) {
  TdbShared *sh = tdbMemAllocZero(&db->mem, sizeof *sh);
  int rc;
  *out = NULL;
  if (!sh) return tdbErrNoMem(&db->err);
  sh->mem = db->mem;
  if (tdbMutexInit(&sh->mu) != TDB_OK) {
    tdbMemFree(&db->mem, sh);
    return tdbErrSet(&db->err, TDB_NOMEM, NULL, "cannot create a mutex");
  }
  if (tdbCondInit(&sh->released) != TDB_OK) {
    tdbMutexDestroy(&sh->mu);
    tdbMemFree(&db->mem, sh);
    return tdbErrSet(&db->err, TDB_NOMEM, NULL, "cannot create a condition variable");
  }
  sh->nconn = 1;
  sh->read_only = db->config.read_only != 0;
  rc = vfs ? tdbStoreOpenVfs(&sh->mem, vfs, db->path, &db->config, &db->err, &sh->store)
           : tdbStoreOpen(&sh->mem, db->path, &db->config, &db->err, &sh->store);
  if (rc != TDB_OK) {
    tdbShareFree(sh);
    return rc;
  }
  /* before anyone else can reach the store (tdbStoreWatchKeyspace's rule) */
  tdbStoreSetLatestKeyspace(sh->store, TDB_KEYSPACE_ROWS);
  tdbStoreSetLatestKeyspace(sh->store, TDB_KEYSPACE_INDEX);
  tdbStoreSetLatestKeyspace(sh->store, TDB_KEYSPACE_STATS);
  tdbStoreWatchKeyspace(sh->store, TDB_KEYSPACE_CATALOG);
  tdbStoreWatchKeyspace(sh->store, TDB_KEYSPACE_NAMES);
  tdbStoreWatchKeyspace(sh->store, TDB_KEYSPACE_STATS);
  *out = sh;
  return TDB_OK;
}

TDB_PRIVATE int tdbShareOpen(tdb *db, TdbVfs *vfs) {
  TdbShared *sh = NULL;
  uint64_t dev = 0, ino = 0;
  int rc;
  db->catalog_watch = UINT64_MAX; /* nothing loaded yet */
  if (vfs || !tdbShareable(db->path, &db->config)) { /* a test's own VFS: private */
    rc = tdbShareCreate(db, vfs, &sh);
  } else {
    tdbMutexLock(&tdbRegistryMu);
    if (tdbShareIdentity(db->path, &dev, &ino) && (sh = tdbShareFind(dev, ino)) != NULL) {
      if (sh->read_only && !db->config.read_only) {
        tdbMutexUnlock(&tdbRegistryMu);
        return tdbErrSet(&db->err, TDB_BUSY, NULL,
                         "database \"%s\" is open read-only by another connection of this "
                         "process: a read-write connection cannot share it", db->path);
      }
      sh->nconn++;
      tdbMutexLock(&sh->mu);
      sh->multi = 1;
      tdbMutexUnlock(&sh->mu);
      rc = TDB_OK;
    } else {
      rc = tdbShareCreate(db, NULL, &sh);
      /* the directory exists now (the store made it) */
      if (rc == TDB_OK && tdbShareIdentity(db->path, &sh->dev, &sh->ino)) {
        sh->registered = 1;
        sh->pid = tdbVfsProcessId();
        sh->next = tdbRegistry;
        tdbRegistry = sh;
      }
    }
    tdbMutexUnlock(&tdbRegistryMu);
  }
  if (rc != TDB_OK) return rc;
  db->shared = sh;
  db->store = sh->store;
  return TDB_OK;
}

TDB_PRIVATE void tdbShareClose(tdb *db) {
  TdbShared *sh = db->shared, **pp;
  int last;
  if (!sh) return;
  tdbShareWriteUnlock(db);
  db->shared = NULL;
  db->store = NULL;
  if (!sh->registered) {
    tdbShareFree(sh);
    return;
  }
  tdbMutexLock(&tdbRegistryMu);
  last = --sh->nconn == 0;
  if (last) {
    for (pp = &tdbRegistry; *pp && *pp != sh; pp = &(*pp)->next) {}
    if (*pp) *pp = sh->next;
  }
  tdbMutexUnlock(&tdbRegistryMu);
  if (last) tdbShareFree(sh); /* unreachable now: close outside the registry mutex */
}

/* ---- the write lock -------------------------------------------------------------------- */

#if TDB_THREADS
/* Milliseconds on a clock that does not jump with the wall-clock. */
static int64_t tdbShareNowMs(void) {
  struct timespec ts;
#ifdef CLOCK_MONOTONIC
  if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  }
#endif
  if (timespec_get(&ts, TIME_UTC) == TIME_UTC) {
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  }
  return 0;
}
#endif

static int tdbShareDoomedError(tdb *db) {
  return tdbErrSet(&db->err, TDB_CONFLICT, TDB_SQLSTATE_SERIALIZATION,
                   "could not serialize access: an earlier write of this transaction "
                   "conflicted with another connection's commit; only ROLLBACK can end it");
}

TDB_PRIVATE int tdbShareWriteLockPlain(tdb *db) {
  TdbShared *sh = db->shared;
  if (db->config.read_only) {
    return tdbErrSet(&db->err, TDB_READONLY, NULL, "the database was opened read-only");
  }
  if (db->write_locked) return TDB_OK;
  tdbMutexLock(&sh->mu);
  if (sh->writer && sh->writer != db) {
#if TDB_THREADS
    int64_t deadline = tdbShareNowMs() + db->config.busy_timeout_ms, left;
    while (sh->writer && sh->writer != db && (left = deadline - tdbShareNowMs()) > 0) {
      tdbCondTimedWait(&sh->released, &sh->mu, left);
    }
#endif
    /* without threads nobody else can release it while we wait */
    if (sh->writer && sh->writer != db) {
      tdbMutexUnlock(&sh->mu);
      return tdbErrSet(&db->err, TDB_BUSY, NULL,
                       "database \"%s\" is locked: another connection holds the write lock "
                       "(waited %d ms, tdb_config.busy_timeout_ms)",
                       db->path, db->config.busy_timeout_ms);
    }
  }
  sh->writer = db;
  tdbMutexUnlock(&sh->mu);
  db->write_locked = 1;
  return TDB_OK;
}

TDB_PRIVATE int tdbShareWriteLock(tdb *db) {
  uint64_t head;
  int rc;
  if (db->txn.active && db->txn.doomed) return tdbShareDoomedError(db);
  if (db->write_locked) return TDB_OK;
  if ((rc = tdbShareWriteLockPlain(db)) != TDB_OK || !db->txn.active) return rc;
  /* a transaction's first write: nothing may have committed since its snapshot */
  head = tdbStoreHead(db->store);
  if (head > db->txn.snapshot) {
    tdbShareWriteUnlock(db);
    db->txn.doomed = 1;
    return tdbErrSet(&db->err, TDB_CONFLICT, TDB_SQLSTATE_SERIALIZATION,
                     "could not serialize access: the transaction reads the database as of "
                     "epoch %llu, but epoch %llu was committed since; ROLLBACK and retry it",
                     (unsigned long long)db->txn.snapshot, (unsigned long long)head);
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbShareWriteUnlock(tdb *db) {
  TdbShared *sh = db->shared;
  if (!db->write_locked || !sh) return;
  tdbMutexLock(&sh->mu);
  if (sh->writer == db) {
    sh->writer = NULL;
    tdbCondSignal(&sh->released); /* one waiter takes it; the rest keep waiting */
  }
  tdbMutexUnlock(&sh->mu);
  db->write_locked = 0;
}

/* ---- freshness ------------------------------------------------------------------------- */

/* Is a statement of db in the middle of returning rows (its plans point into
** the catalog)? */
static int tdbShareReading(const tdb *db) {
  const tdb_stmt *o;
  for (o = db->stmts; o; o = o->next) {
    if (o->state == TDB_STMT_HAS_ROW) return 1;
  }
  return 0;
}

/* Replace db's catalog (and statistics) by the state at epoch. On an error
** the old catalog stays. */
static int tdbShareReloadCatalog(tdb *db, uint64_t epoch) {
  TdbCatalog fresh;
  uint64_t version = db->catalog.version;
  int rc;
  tdbCatalogInit(&fresh, &db->mem);
  rc = tdbCatalogLoadAt(&fresh, db->store, epoch, NULL, &db->err);
  if (rc == TDB_OK) rc = tdbStatsLoadAt(&fresh, db->store, epoch, NULL, &db->err);
  if (rc != TDB_OK) {
    tdbCatalogFree(&fresh);
    return rc;
  }
  tdbCatalogFree(&db->catalog);
  db->catalog = fresh;
  db->catalog.version = version + 1; /* prepared statements re-prepare */
  return TDB_OK;
}

TDB_PRIVATE int tdbSharePinCurrent(tdb *db, uint64_t *epoch) {
  uint64_t watch = 0;
  int rc;
  if (tdbStorePinSnapshotWatch(db->store, epoch, &watch) != TDB_OK) return tdbErrNoMem(&db->err);
  if (watch == db->catalog_watch) return TDB_OK;
  if (tdbShareReading(db)) {
    tdbStoreUnpinSnapshot(db->store, *epoch);
    return tdbErrSet(&db->err, TDB_BUSY, TDB_SQLSTATE_OBJECT_IN_USE,
                     "another connection changed the schema (epoch %llu) while a statement of "
                     "this connection is returning rows: reset or finalize it first",
                     (unsigned long long)watch);
  }
  rc = tdbShareReloadCatalog(db, *epoch);
  if (rc != TDB_OK) {
    tdbStoreUnpinSnapshot(db->store, *epoch);
    return rc;
  }
  db->catalog_watch = watch;
  return TDB_OK;
}

TDB_PRIVATE int tdbShareRefresh(tdb *db) {
  uint64_t epoch;
  int rc;
  if (db->txn.active || tdbShareReading(db)) return TDB_OK; /* the statement's start checks */
  rc = tdbSharePinCurrent(db, &epoch);
  if (rc == TDB_OK) tdbStoreUnpinSnapshot(db->store, epoch);
  return rc;
}

TDB_PRIVATE void tdbShareNoteSnapshot(tdb *db, uint64_t snapshot) {
  TdbShared *sh = db->shared;
  int multi, i;
  if (snapshot == db->seen_head) return;
  db->seen_head = snapshot;
  tdbMutexLock(&sh->mu);
  multi = sh->multi;
  tdbMutexUnlock(&sh->mu);
  if (!multi) return; /* only this connection writes: its caches follow its writes */
  for (i = 0; i < db->catalog.ntables; i++) {
    db->catalog.tables[i]->rowid_loaded = 0;
    db->catalog.tables[i]->end_bound_loaded = 0; /* temporal_session.c */
  }
}

TDB_PRIVATE int tdbShareLoadCatalog(tdb *db) {
  uint64_t epoch, watch = 0;
  int rc;
  if (tdbStorePinSnapshotWatch(db->store, &epoch, &watch) != TDB_OK) return tdbErrNoMem(&db->err);
  rc = tdbShareReloadCatalog(db, epoch);
  if (rc == TDB_OK) db->catalog_watch = watch;
  tdbStoreUnpinSnapshot(db->store, epoch);
  return rc;
}

TDB_PRIVATE int tdbStmtWrites(const tdb_stmt *st) {
  const TdbAstStmt *a = st->ast;
  if (!a || a->explain) return 0;
  switch (a->kind) {
    case TDB_STMT_INSERT:
    case TDB_STMT_UPDATE:
    case TDB_STMT_DELETE:
    case TDB_STMT_CREATE_TABLE:
    case TDB_STMT_CREATE_INDEX:
    case TDB_STMT_CREATE_VIEW:
    case TDB_STMT_DROP:
    case TDB_STMT_ALTER:
    case TDB_STMT_ANALYZE:
    case TDB_STMT_RESTORE:
    case TDB_STMT_PURGE_HISTORY:
    case TDB_STMT_PURGE:
      return 1;
    default:
      return 0;
  }
}
