/*
** txn.c — explicit transactions and the reads that see their own writes
** (txn.h; TEMPORAL.md §1.7, docs/sql.md "Transactions").
*/
#include "txn.h"
#include "overlay.h"
#include "db.h"
#include "ikey.h"
#include "stats.h"

#include <strings.h>

static int tdbTxnReloadCatalog(tdb *db);

/* ---- reads ------------------------------------------------------------------------------ */

/* The pending writes a read at as_of sees: the transaction's own, for a
** read of its working state (as_of 0 or its snapshot). */
static TdbMemtable *tdbTxnVisiblePending(tdb *db, uint64_t *as_of) {
  TdbTxn *txn = &db->txn;
  if (!txn->active) return NULL;
  if (*as_of == 0) *as_of = txn->snapshot;
  return *as_of == txn->snapshot ? txn->overlay : NULL;
}

TDB_PRIVATE int tdbTxnIter(tdb *db, uint64_t as_of, TdbDbIter **out) {
  TdbMemtable *pending = tdbTxnVisiblePending(db, &as_of);
  return tdbStoreIterWith(db->store, as_of, pending, &db->err, out);
}

TDB_PRIVATE int tdbTxnGet(tdb *db, uint64_t as_of, const void *key, size_t klen, TdbStr *value,
                          int *found) {
  TdbMemtable *pending = tdbTxnVisiblePending(db, &as_of);
  if (pending) {
    const unsigned char *v;
    size_t vn;
    int hit = 0, kind = 0;
    if (tdbMemtableGet(pending, key, klen, TDB_IKEY_MAX_SEQ, &hit, &kind, &v, &vn) != TDB_OK) {
      return tdbErrNoMem(&db->err);
    }
    if (hit) { /* the transaction wrote this key: its last write decides */
      *found = kind == TDB_KIND_VALUE;
      value->n = 0;
      if (*found) tdbStrAppend(value, (const char *)v, vn);
      return value->oom ? tdbErrNoMem(&db->err) : TDB_OK;
    }
  }
  return tdbStoreGet(db->store, as_of, key, klen, value, found, &db->err);
}

/* ---- writes ----------------------------------------------------------------------------- */

TDB_PRIVATE int tdbTxnWrite(tdb *db, TdbBatch *b) {
  TdbTxn *txn = &db->txn;
  uint64_t before = txn->next_seq;
  int rc;
  if (!txn->active) return tdbStoreWrite(db->store, b, NULL, &db->err);
  if (b->oom) return tdbErrNoMem(&db->err);
  rc = tdbOverlayAdd(&db->mem, &txn->overlay, &txn->next_seq, b);
  if (rc != TDB_OK) { /* the statement fails: nothing of it stays */
    if (tdbOverlayCut(&db->mem, &txn->overlay, &txn->next_seq, before) != TDB_OK) {
      /* cannot even restore the overlay: end the transaction (rolled back) */
      int ddl = txn->ddl > 0;
      tdbTxnAbandon(db);
      if (ddl) tdbTxnReloadCatalog(db);
      return tdbErrSet(&db->err, TDB_NOMEM, TDB_SQLSTATE_OUT_OF_MEMORY,
                       "out of memory: the transaction was rolled back");
    }
    return rc == TDB_NOMEM ? tdbErrNoMem(&db->err)
                           : tdbErrSet(&db->err, rc, TDB_SQLSTATE_LIMIT,
                                       "the transaction's writes exceed a size limit");
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbTxnNoteWrite(tdb *db, int ddl) {
  if (!db->txn.active) return;
  db->txn.wrote = 1;
  if (ddl) db->txn.ddl++;
}

/* ---- control ---------------------------------------------------------------------------- */

static void tdbTxnFreeSavepoints(tdb *db, int from) {
  TdbTxn *txn = &db->txn;
  int i;
  for (i = from; i < txn->nsp; i++) tdbMemFree(&db->mem, txn->sp[i].name);
  if (from < txn->nsp) txn->nsp = from;
}

/* Forget everything of the transaction and end it. */
static void tdbTxnEnd(tdb *db) {
  TdbTxn *txn = &db->txn;
  tdbTxnFreeSavepoints(db, 0);
  tdbMemFree(&db->mem, txn->sp);
  tdbMemtableUnref(txn->overlay);
  tdbStoreUnpinSnapshot(db->store, txn->snapshot);
  memset(txn, 0, sizeof *txn);
  tdbShareWriteUnlock(db); /* if its first write took it */
}

/* Is a statement other than `self` in the middle of returning rows? */
static int tdbTxnOtherReader(tdb *db, const tdb_stmt *self) {
  const tdb_stmt *o;
  for (o = db->stmts; o; o = o->next) {
    if (o != self && o->state == TDB_STMT_HAS_ROW) return 1;
  }
  return 0;
}

/* Reload the catalog (and statistics) from the snapshot plus the pending
** writes: DDL was undone. Prepared statements re-prepare (the version
** moves on). On an error the old catalog stays. */
static int tdbTxnReloadCatalog(tdb *db) {
  TdbCatalog fresh;
  uint64_t version = db->catalog.version;
  TdbMemtable *pending = db->txn.overlay;
  uint64_t as_of = db->txn.snapshot;
  int rc;
  if (!db->txn.active) return tdbShareLoadCatalog(db); /* the head's */
  tdbCatalogInit(&fresh, &db->mem);
  rc = tdbCatalogLoadAt(&fresh, db->store, as_of, pending, &db->err);
  if (rc == TDB_OK) rc = tdbStatsLoadAt(&fresh, db->store, as_of, pending, &db->err);
  if (rc != TDB_OK) {
    tdbCatalogFree(&fresh);
    return rc;
  }
  tdbCatalogFree(&db->catalog);
  db->catalog = fresh;
  db->catalog.version = version + 1;
  return TDB_OK;
}

static int tdbTxnBegin(tdb_stmt *st) {
  tdb *db = st->db;
  TdbTxn *txn = &db->txn;
  if (txn->active) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_ACTIVE_TXN,
                     "cannot BEGIN: a transaction is already open (COMMIT or ROLLBACK it first)");
  }
  memset(txn, 0, sizeof *txn);
  /* the statement's snapshot (its catalog is the one loaded for it) becomes
  ** the transaction's, pin and all */
  txn->snapshot = st->exec.snapshot;
  st->pinned = 0;
  txn->next_seq = TDB_IKEY_PENDING_SEQ;
  txn->cvt = st->exec.cvt; /* the statement time of BEGIN */
  txn->active = 1;
  return TDB_OK;
}

static int tdbTxnCommit(tdb_stmt *st) {
  tdb *db = st->db;
  TdbTxn *txn = &db->txn;
  int rc = TDB_OK, undo_ddl;
  if (!txn->active) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_NO_TXN,
                     "cannot COMMIT: there is no transaction (BEGIN starts one)");
  }
  if (txn->doomed) { /* a write failed with a conflict: nothing can commit */
    tdbTxnEnd(db);
    return tdbErrSet(&db->err, TDB_CONFLICT, TDB_SQLSTATE_SERIALIZATION,
                     "could not serialize access: the transaction met a write conflict "
                     "earlier and was rolled back; retry it");
  }
  if (txn->wrote) {
    /* one batch with the last write of every key, in key order: the store
    ** applies it to its memtable as it is. The overlay goes first, so the
    ** commit never holds more than one more copy of the writes. */
    TdbBatch commit;
    tdbBatchInit(&commit, &db->mem);
    rc = tdbOverlayCommitBatch(txn->overlay, &commit);
    tdbMemtableUnref(txn->overlay);
    txn->overlay = NULL;
    if (rc == TDB_OK) {
      rc = tdbStoreWrite(db->store, &commit, NULL, &db->err);
    } else {
      rc = rc == TDB_NOMEM ? tdbErrNoMem(&db->err)
                           : tdbErrSet(&db->err, rc, TDB_SQLSTATE_LIMIT,
                                       "cannot COMMIT: the transaction's writes exceed a size "
                                       "limit; it was rolled back");
    }
    tdbBatchFree(&commit);
  }
  undo_ddl = rc != TDB_OK && txn->ddl > 0;
  tdbTxnEnd(db); /* committed, or lost with the failed write */
  if (undo_ddl) tdbTxnReloadCatalog(db); /* the catalog follows the store */
  return rc;
}

static int tdbTxnRollback(tdb_stmt *st) {
  tdb *db = st->db;
  TdbTxn *txn = &db->txn;
  int undo_ddl;
  if (!txn->active) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_NO_TXN,
                     "cannot ROLLBACK: there is no transaction (BEGIN starts one)");
  }
  undo_ddl = txn->ddl > 0;
  if (undo_ddl && tdbTxnOtherReader(db, st)) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_OBJECT_IN_USE,
                     "cannot ROLLBACK schema changes while another statement is returning "
                     "rows: reset or finalize it first");
  }
  tdbTxnEnd(db);
  return undo_ddl ? tdbTxnReloadCatalog(db) : TDB_OK;
}

/* The newest savepoint called name, or -1. */
static int tdbTxnFindSavepoint(const TdbTxn *txn, const char *name) {
  int i;
  for (i = txn->nsp - 1; i >= 0; i--) {
    if (strcasecmp(txn->sp[i].name, name) == 0) return i;
  }
  return -1;
}

static int tdbTxnNoSavepoint(tdb *db, const char *what, const char *name) {
  if (!db->txn.active) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_NO_TXN,
                     "cannot %s: there is no transaction (BEGIN starts one)", what);
  }
  return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_NO_SAVEPOINT,
                   "cannot %s: no savepoint named \"%s\"", what, name);
}

static int tdbTxnSavepoint(tdb_stmt *st, const char *name) {
  tdb *db = st->db;
  TdbTxn *txn = &db->txn;
  TdbSavepoint *sp;
  if (!txn->active) return tdbTxnNoSavepoint(db, "SAVEPOINT", name);
  if (txn->nsp == txn->cap_sp) {
    void *buf = txn->sp;
    size_t cap = (size_t)txn->cap_sp;
    if (tdbMemGrow(&db->mem, &buf, &cap, (size_t)txn->nsp + 1, sizeof *txn->sp) != 0) {
      return tdbErrNoMem(&db->err);
    }
    txn->sp = buf;
    txn->cap_sp = (int)cap;
  }
  sp = &txn->sp[txn->nsp];
  sp->name = tdbMemStrndup(&db->mem, name, strlen(name));
  if (!sp->name) return tdbErrNoMem(&db->err);
  sp->seq = txn->next_seq;
  sp->wrote = txn->wrote;
  sp->ddl = txn->ddl;
  txn->nsp++;
  return TDB_OK;
}

static int tdbTxnRollbackTo(tdb_stmt *st, const char *name) {
  tdb *db = st->db;
  TdbTxn *txn = &db->txn;
  int i = db->txn.active ? tdbTxnFindSavepoint(txn, name) : -1, rc, undo_ddl;
  if (i < 0) return tdbTxnNoSavepoint(db, "ROLLBACK TO", name);
  undo_ddl = txn->ddl > txn->sp[i].ddl;
  if (undo_ddl && tdbTxnOtherReader(db, st)) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_OBJECT_IN_USE,
                     "cannot ROLLBACK TO \"%s\" past schema changes while another statement "
                     "is returning rows: reset or finalize it first", name);
  }
  rc = tdbOverlayCut(&db->mem, &txn->overlay, &txn->next_seq, txn->sp[i].seq);
  txn->wrote = txn->sp[i].wrote;
  txn->ddl = txn->sp[i].ddl;
  tdbTxnFreeSavepoints(db, i + 1); /* the savepoint itself stays */
  if (rc == TDB_OK && undo_ddl) rc = tdbTxnReloadCatalog(db);
  if (rc != TDB_OK) {
    int ddl = txn->ddl > 0;
    tdbTxnEnd(db);
    if (ddl) tdbTxnReloadCatalog(db);
    return tdbErrSet(&db->err, rc, TDB_SQLSTATE_OUT_OF_MEMORY,
                     "out of memory in ROLLBACK TO: the transaction was rolled back");
  }
  return TDB_OK;
}

static int tdbTxnRelease(tdb_stmt *st, const char *name) {
  tdb *db = st->db;
  int i = db->txn.active ? tdbTxnFindSavepoint(&db->txn, name) : -1;
  if (i < 0) return tdbTxnNoSavepoint(db, "RELEASE", name);
  tdbTxnFreeSavepoints(db, i); /* it and every later one */
  return TDB_OK;
}

TDB_PRIVATE int tdbTxnExec(tdb_stmt *st) {
  const TdbAstStmt *a = st->ast;
  switch (a->kind) {
    case TDB_STMT_BEGIN: return tdbTxnBegin(st);
    case TDB_STMT_COMMIT: return tdbTxnCommit(st);
    case TDB_STMT_ROLLBACK: return tdbTxnRollback(st);
    case TDB_STMT_SAVEPOINT: return tdbTxnSavepoint(st, a->name);
    case TDB_STMT_ROLLBACK_TO: return tdbTxnRollbackTo(st, a->name);
    case TDB_STMT_RELEASE: return tdbTxnRelease(st, a->name);
    default: return tdbErrSet(&st->db->err, TDB_INTERNAL, TDB_SQLSTATE_INTERNAL,
                              "not a transaction statement");
  }
}

TDB_PRIVATE void tdbTxnAbandon(tdb *db) {
  if (db->txn.active) tdbTxnEnd(db);
}
