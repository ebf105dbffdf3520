/*
** purge.c — PURGE HISTORY [FROM t] BEFORE EPOCH n and PURGE FROM t KEY k |
** WHERE pred (TEMPORAL.md §1.10): the only statements that remove history.
**
** PURGE HISTORY is one commit writing each table's horizon key (purge.h);
** then the store gets a history floor for the table's history keys
** (0x04 | table id, store.h): the versions iterator hides at once every
** version closed at or before n (`_system_to <= n`), compaction drops them
** from the files, and exec_history.c refuses a system point below the
** horizon or a range whose lower bound is below it (ERR_HISTORY_PURGED).
** States at n and later keep every version they need: a version current at
** an epoch >= n was closed after n, or is still open.
**
** PURGE (erasure) first finds the keys: every primary key (or _rowid) of a
** version of t, at any system and valid time, tombstones included, that
** satisfies the predicate (an internal history query). Then it collects the
** exact stored keys of those rows in every keyspace — the current row
** (0x03), every history piece (0x04) and every entry of the table's indexes
** (0x05) — and has the store erase all their versions (tdbStoreErase:
** flush, merge every file into the last level without them, new manifest,
** old log and tables deleted). Only then it commits one epoch holding a
** purge marker per key: table id and key hash, never the key. A statement
** that fails before that commit may have erased the keys already (no
** marker then); one that succeeded left nothing of them on disk.
**
** RESTORE replays markers: a backup taken before an erasure still holds the
** erased rows, and the increment that carries the marker erases them again
** (tdbPurgeReplayMarkers: every stored key of the table whose primary key
** hashes to a marker loses its versions older than the marker).
*/
#include "purge.h"
#include "backup.h"
#include "coding.h"
#include "hashset.h"
#include "hll.h"
#include "keycodec.h"
#include "rows.h"
#include "versiter.h"

#include <stdio.h>
#include <stdlib.h>

#define TDB_META_KEY_LEN 6        /* 0x07 | tag | table id */
#define TDB_MARKER_KEY_LEN 14     /* 0x07 'X' | table id | hash */

static void tdbMetaKey(unsigned char *k, int tag, uint32_t table_id) {
  k[0] = TDB_EPOCH_CLOCK_PREFIX0; /* the metadata keyspace */
  k[1] = (unsigned char)tag;
  tdbKeyPutU32BE(k + 2, table_id);
}

TDB_PRIVATE uint64_t tdbPurgeKeyHash(uint32_t table_id, const void *pk, size_t n) {
  return tdbHash64Bytes(pk, n, 0x7470757267650000ULL ^ (uint64_t)table_id);
}

/* ---- horizons ------------------------------------------------------------------------ */

TDB_PRIVATE int tdbPurgeHorizon(tdb *db, uint32_t table_id, uint64_t *out, TdbErr *err) {
  unsigned char k[TDB_META_KEY_LEN];
  TdbStr v;
  int found = 0, rc;
  *out = 0;
  tdbMetaKey(k, TDB_META_HORIZON, table_id);
  tdbStrInit(&v, &db->mem);
  rc = tdbStoreGet(db->store, 0, k, sizeof k, &v, &found, err);
  if (rc == TDB_OK && found) {
    if (v.n != 8) {
      rc = tdbErrSet(err, TDB_CORRUPT, NULL, "the history horizon of table id %lu is %zu bytes, "
                     "not 8", (unsigned long)table_id, v.n);
    } else {
      *out = tdbGetFixed64BE((const unsigned char *)v.z);
    }
  }
  tdbStrClear(&v);
  return rc;
}

TDB_PRIVATE int tdbPurgeCheckRead(tdb *db, const TdbTableDef *t, uint64_t from, TdbErr *err) {
  uint64_t h = 0;
  int rc = tdbPurgeHorizon(db, t->id, &h, err);
  if (rc != TDB_OK || from >= h) return rc;
  return tdbErrSet(err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_HISTORY_PURGED,
                   "the history of table %s before epoch %llu was purged (PURGE HISTORY): "
                   "epoch %llu cannot be read; read from epoch %llu on, or FOR SYSTEM_TIME ALL",
                   t->name, (unsigned long long)h, (unsigned long long)from,
                   (unsigned long long)h);
}

static int tdbPurgeSetFloor(tdb *db, uint32_t table_id, uint64_t floor) {
  unsigned char p[5];
  p[0] = TDB_KEYSPACE_HISTORY;
  tdbKeyPutU32BE(p + 1, table_id);
  if (tdbStoreSetHistoryFloor(db->store, p, sizeof p, floor) != TDB_OK) {
    return tdbErrNoMem(&db->err);
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbPurgeLoad(tdb *db) {
  unsigned char pre[2] = {TDB_EPOCH_CLOCK_PREFIX0, TDB_META_HORIZON};
  TdbDbIter *it = NULL;
  int rc = tdbStoreIter(db->store, 0, &db->err, &it);
  if (rc != TDB_OK) return rc;
  for (tdbDbIterSeek(it, pre, sizeof pre); rc == TDB_OK && tdbDbIterValid(it); tdbDbIterNext(it)) {
    size_t kn, vn;
    const unsigned char *k = tdbDbIterKey(it, &kn), *v = tdbDbIterValue(it, &vn);
    if (kn < 2 || memcmp(k, pre, 2) != 0) break;
    if (kn != TDB_META_KEY_LEN || vn != 8) {
      rc = tdbErrSet(&db->err, TDB_CORRUPT, NULL, "a history horizon key of %zu bytes (value %zu "
                     "bytes) is malformed", kn, vn);
      break;
    }
    rc = tdbPurgeSetFloor(db, tdbKeyGetU32BE(k + 2), tdbGetFixed64BE(v));
  }
  if (rc == TDB_OK && tdbDbIterStatus(it) != TDB_OK) {
    rc = tdbErrSet(&db->err, tdbDbIterStatus(it), NULL, "reading the history horizons failed");
  }
  tdbDbIterFree(it);
  return rc;
}

/* ---- PURGE HISTORY ------------------------------------------------------------------------- */

static int tdbPurgeHistory(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  uint64_t n = 0, head = st->exec.snapshot;
  TdbTableDef *one = NULL;
  uint32_t *moved = NULL;
  int nmoved = 0, i, rc, ntables;
  TdbBatch b;
  rc = tdbAdminEpochArg(st, a->where, "PURGE HISTORY ... BEFORE EPOCH", &n);
  if (rc != TDB_OK) return rc;
  if (n > head) {
    return tdbErrSet(&db->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_FUTURE_EPOCH,
                     "PURGE HISTORY BEFORE EPOCH %llu: epoch %llu is in the future: the latest "
                     "commit is epoch %llu", (unsigned long long)n, (unsigned long long)n,
                     (unsigned long long)head);
  }
  if (a->name) {
    one = tdbCatalogTable(&db->catalog, a->name);
    if (!one) {
      return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE,
                       "no such table: %s", a->name);
    }
  }
  ntables = one ? 1 : db->catalog.ntables;
  if (ntables > 0) {
    moved = tdbMemAlloc(&db->mem, sizeof *moved * (size_t)ntables);
    if (!moved) return tdbErrNoMem(&db->err);
  }
  tdbBatchInit(&b, &db->mem);
  for (i = 0; rc == TDB_OK && i < ntables; i++) {
    const TdbTableDef *t = one ? one : db->catalog.tables[i];
    unsigned char k[TDB_META_KEY_LEN], v[8];
    uint64_t cur = 0;
    rc = tdbPurgeHorizon(db, t->id, &cur, &db->err);
    if (rc != TDB_OK || cur >= n) continue; /* a horizon never moves back */
    tdbMetaKey(k, TDB_META_HORIZON, t->id);
    tdbPutFixed64BE(v, n);
    rc = tdbBatchPut(&b, k, sizeof k, v, sizeof v);
    if (rc != TDB_OK) rc = tdbErrNoMem(&db->err);
    else moved[nmoved++] = t->id;
  }
  if (rc == TDB_OK) rc = tdbDbCommit(db, &b); /* one epoch, even when nothing moved */
  for (i = 0; rc == TDB_OK && i < nmoved; i++) rc = tdbPurgeSetFloor(db, moved[i], n);
  if (rc == TDB_OK) db->changes = nmoved;
  tdbBatchFree(&b);
  tdbMemFree(&db->mem, moved);
  return rc;
}

/* ---- collecting the stored keys of erased rows --------------------------------------------- */

/* Exact user keys to erase, with their bounds (owned copies). */
typedef struct TdbEraseList {
  TdbMem *mem;
  TdbEraseKey *keys;
  size_t n, cap;
} TdbEraseList;

static void tdbEraseListFree(TdbEraseList *l) {
  size_t i;
  for (i = 0; i < l->n; i++) tdbMemFree(l->mem, (void *)l->keys[i].key);
  tdbMemFree(l->mem, l->keys);
  l->keys = NULL;
  l->n = l->cap = 0;
}

static int tdbEraseListAdd(TdbEraseList *l, const unsigned char *k, size_t n, uint64_t below) {
  void *arr = l->keys;
  unsigned char *copy;
  if (tdbMemGrow(l->mem, &arr, &l->cap, l->n + 1, sizeof *l->keys) != 0) return TDB_NOMEM;
  l->keys = arr;
  copy = tdbMemAlloc(l->mem, n ? n : 1);
  if (!copy) return TDB_NOMEM;
  if (n) memcpy(copy, k, n);
  l->keys[l->n].key = copy;
  l->keys[l->n].n = n;
  l->keys[l->n].below = below;
  l->n++;
  return TDB_OK;
}

/* Does the encoded primary key belong to an erased row? *below gets the
** bound (versions older than it go). */
typedef int (*TdbPurgeMatchFn)(void *ctx, const unsigned char *pk, size_t n, uint64_t *below);

/* Where the primary key lies in a stored key of `keyspace` (0x03, 0x04 or
** an index with `index_cols` columns): 1 and [*pk, *pk + *n), or 0 when the
** key does not have that shape. */
static int tdbPurgePkOf(int keyspace, int index_cols, const unsigned char *k, size_t kn,
                        const unsigned char **pk, size_t *n) {
  const unsigned char *p = k + 5, *end = k + kn;
  int c;
  if (kn < 5) return 0;
  if (keyspace == TDB_KEYSPACE_HISTORY) {
    if (kn < 5 + 8) return 0;
    end -= 8; /* valid_from */
  } else if (keyspace == TDB_KEYSPACE_INDEX) {
    for (c = 0; c < index_cols; c++) {
      size_t len;
      if (p >= end || tdbKeySkipValue(p, end, &len) != TDB_OK) return 0;
      p += len;
    }
  }
  *pk = p;
  *n = (size_t)(end - p);
  return 1;
}

/* Every distinct stored key under `prefix` (5 bytes) whose primary key
** matches goes to out. */
static int tdbPurgeScanPrefix(tdb *db, TdbVersionIter *vi, const unsigned char *prefix,
                              int keyspace, int index_cols, TdbPurgeMatchFn fn, void *ctx,
                              TdbEraseList *out) {
  TdbStr last;
  int rc = TDB_OK, have = 0;
  tdbStrInit(&last, &db->mem);
  for (tdbVersionIterSeek(vi, prefix, 5); rc == TDB_OK && tdbVersionIterValid(vi);
       tdbVersionIterNext(vi)) {
    size_t kn, pn;
    const unsigned char *k = tdbVersionIterKey(vi, &kn), *pk;
    uint64_t below = 0;
    if (kn < 5 || memcmp(k, prefix, 5) != 0) break;
    if (have && last.n == kn && memcmp(last.z, k, kn) == 0) continue; /* an older version */
    last.n = 0;
    tdbStrAppend(&last, (const char *)k, kn);
    if (last.oom) rc = TDB_NOMEM;
    have = 1;
    if (rc == TDB_OK && tdbPurgePkOf(keyspace, index_cols, k, kn, &pk, &pn) &&
        fn(ctx, pk, pn, &below)) {
      rc = tdbEraseListAdd(out, k, kn, below);
    }
  }
  if (rc == TDB_OK) rc = tdbVersionIterStatus(vi);
  tdbStrClear(&last);
  if (rc == TDB_NOMEM) return tdbErrNoMem(&db->err);
  if (rc != TDB_OK) return tdbErrSet(&db->err, rc, NULL, "PURGE: reading the store failed");
  return TDB_OK;
}

/* The stored keys of table `table_id` whose primary key matches: its
** current rows, its history and the entries of its indexes in the catalog
** (a dropped table's own keys only). */
static int tdbPurgeCollect(tdb *db, uint32_t table_id, TdbPurgeMatchFn fn, void *ctx,
                           TdbEraseList *out) {
  TdbVersionIter *vi = NULL;
  unsigned char prefix[5];
  int rc, i;
  rc = tdbVersionIterOpen(db->store, 0, &db->err, &vi);
  if (rc != TDB_OK) return rc;
  prefix[0] = TDB_KEYSPACE_ROWS;
  tdbKeyPutU32BE(prefix + 1, table_id);
  rc = tdbPurgeScanPrefix(db, vi, prefix, TDB_KEYSPACE_ROWS, 0, fn, ctx, out);
  if (rc == TDB_OK) {
    prefix[0] = TDB_KEYSPACE_HISTORY;
    rc = tdbPurgeScanPrefix(db, vi, prefix, TDB_KEYSPACE_HISTORY, 0, fn, ctx, out);
  }
  for (i = 0; rc == TDB_OK && i < db->catalog.nindexes; i++) {
    const TdbIndexDef *ix = db->catalog.indexes[i];
    if (ix->table_id != table_id) continue;
    prefix[0] = TDB_KEYSPACE_INDEX;
    tdbKeyPutU32BE(prefix + 1, ix->id);
    rc = tdbPurgeScanPrefix(db, vi, prefix, TDB_KEYSPACE_INDEX, ix->ncols, fn, ctx, out);
  }
  tdbVersionIterFree(vi);
  return rc;
}

/* ---- PURGE FROM t KEY k | WHERE pred ---------------------------------------------------------- */

typedef struct TdbExactMatch {
  TdbHashSet *pks;
  uint64_t below;
} TdbExactMatch;

static int tdbPurgeMatchExact(void *ctx, const unsigned char *pk, size_t n, uint64_t *below) {
  TdbExactMatch *m = ctx;
  uint32_t id;
  int added;
  if (tdbHashSetFind(m->pks, pk, n, 0, &id, &added) != TDB_OK) return 0;
  *below = m->below;
  return 1;
}

/* A piece of the user's statement copied into the internal query: bytes
** [at, at + n) of the query are [from, from + n) of the statement. */
typedef struct TdbSlice {
  size_t at, from, n;
} TdbSlice;

/* An error of the internal query that names "at line L, column C" of its
** text is made to name the same place in the user's statement. */
static void tdbPurgeRemapError(tdb *db, const char *query, const TdbSlice *sl, int nsl,
                               const char *orig) {
  const char *msg = tdbErrMessage(&db->err), *p, *hit = NULL;
  int line, col, l = 1, c = 1, i, consumed = 0;
  size_t off = 0;
  TdbStr out;
  for (p = msg; (p = strstr(p, "at line ")) != NULL; p++) hit = p;
  if (!hit || sscanf(hit, "at line %d, column %d%n", &line, &col, &consumed) != 2) return;
  while (query[off] && (l < line || (l == line && c < col))) { /* tdbErrLineCol reversed */
    if (query[off] == '\n') {
      l++;
      c = 1;
    } else if (((unsigned char)query[off] & 0xc0) != 0x80) {
      c++;
    }
    off++;
    while (query[off] && ((unsigned char)query[off] & 0xc0) == 0x80) off++;
  }
  for (i = 0; i < nsl; i++) { /* a slice, or the parenthesis just around it */
    if (off + 1 >= sl[i].at && off <= sl[i].at + sl[i].n + 1) break;
  }
  if (i == nsl) return;
  if (off < sl[i].at) off = sl[i].at;
  if (off > sl[i].at + sl[i].n) off = sl[i].at + sl[i].n;
  tdbErrLineCol(orig, sl[i].from + (off - sl[i].at), &l, &c);
  tdbStrInit(&out, &db->mem);
  tdbStrAppend(&out, msg, (size_t)(hit - msg));
  tdbStrAppendf(&out, "at line %d, column %d", l, c);
  tdbStrAppendz(&out, hit + consumed);
  if (!out.oom) {
    int code = db->err.code;
    char state[6];
    memcpy(state, db->err.sqlstate, sizeof state);
    tdbErrSet(&db->err, code, state, "%.*s", (int)out.n, out.z);
  }
  tdbStrClear(&out);
}

/* The encoded primary keys of every version of t (any system and valid
** time, tombstones too) that satisfies the statement's KEY or WHERE. */
static int tdbPurgeFindKeys(tdb_stmt *st, const TdbTableDef *t, TdbHashSet *pks) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  int nkey = t->npk ? t->npk : 1, i, rc;
  tdb_stmt *q = NULL;
  TdbStr sql, pk;
  TdbSlice sl[TDB_MAX_KEY_COLUMNS + 1];
  int nsl = 0;
  char *text;
  if (a->set && a->set->n != nkey) {
    return tdbErrSet(&db->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                     "PURGE FROM %s KEY takes %d value%s (its %s), not %d", t->name, nkey,
                     nkey == 1 ? "" : "s", t->npk ? "primary key" : "_rowid", a->set->n);
  }
  tdbStrInit(&sql, &db->mem);
  tdbStrAppendz(&sql, "SELECT ");
  for (i = 0; i < nkey; i++) {
    if (i) tdbStrAppendz(&sql, ", ");
    if (t->npk) tdbStrAppendIdent(&sql, t->cols[t->pk[i]].name);
    else tdbStrAppendz(&sql, "_rowid");
  }
  tdbStrAppendz(&sql, " FROM ");
  tdbStrAppendIdent(&sql, t->name);
  tdbStrAppendz(&sql, " FOR SYSTEM_TIME ALL FOR APPLICATION_TIME ALL INCLUDING DELETED WHERE ");
  if (a->set) {
    for (i = 0; i < nkey; i++) {
      const TdbExpr *e = a->set->items[i].expr;
      if (i) tdbStrAppendz(&sql, " AND ");
      if (t->npk) tdbStrAppendIdent(&sql, t->cols[t->pk[i]].name);
      else tdbStrAppendz(&sql, "_rowid");
      tdbStrAppendz(&sql, " = (");
      sl[nsl].at = sql.n;
      sl[nsl].from = e->span.start;
      sl[nsl++].n = e->span.end - e->span.start;
      tdbStrAppend(&sql, st->sql + e->span.start, e->span.end - e->span.start);
      tdbStrAppendChar(&sql, ')');
    }
  } else {
    tdbStrAppendChar(&sql, '(');
    sl[nsl].at = sql.n;
    sl[nsl].from = a->where->span.start;
    sl[nsl++].n = a->where->span.end - a->where->span.start;
    tdbStrAppend(&sql, st->sql + a->where->span.start, a->where->span.end - a->where->span.start);
    tdbStrAppendChar(&sql, ')');
  }
  text = tdbStrFinish(&sql);
  if (!text) return tdbErrNoMem(&db->err);
  rc = tdb_prepare(db, text, -1, &q, NULL);
  if (rc != TDB_OK) {
    tdbPurgeRemapError(db, text, sl, nsl, st->sql);
    tdbMemFree(&db->mem, text);
    return rc;
  }
  /* the KEY values and the predicate are slices of this statement's text:
  ** their parameters keep their numbers */
  for (i = 0; rc == TDB_OK && i < q->nparams && i < st->nparams; i++) {
    tdbValueClear(&db->mem, &q->params[i]);
    if (tdbValueCopy(&db->mem, &q->params[i], &st->params[i]) != TDB_OK) {
      rc = tdbErrNoMem(&db->err);
    }
  }
  tdbStrInit(&pk, &db->mem);
  while (rc == TDB_OK && (rc = tdb_step(q)) == TDB_ROW) {
    uint32_t id;
    int added;
    rc = TDB_OK;
    pk.n = 0;
    for (i = 0; rc == TDB_OK && i < nkey; i++) rc = tdbKeyEncodeValue(&pk, tdbStmtColumn(q, i));
    if (rc == TDB_OK && pk.oom) rc = TDB_NOMEM;
    if (rc == TDB_OK) rc = tdbHashSetFind(pks, pk.z, pk.n, 1, &id, &added);
    if (rc != TDB_OK) rc = tdbErrNoMem(&db->err);
  }
  if (rc == TDB_DONE) rc = TDB_OK;
  else if (rc != TDB_OK) tdbPurgeRemapError(db, text, sl, nsl, st->sql);
  tdbMemFree(&db->mem, text);
  tdbStrClear(&pk);
  /* keep the query's error: finalizing does not touch it */
  tdb_finalize(q);
  return rc;
}

static int tdbPurgeErase(tdb_stmt *st) {
  tdb *db = st->db;
  const TdbTableDef *t = tdbCatalogTable(&db->catalog, st->ast->name);
  TdbHashSet pks;
  TdbEraseList keys;
  TdbExactMatch m;
  TdbBatch b;
  uint32_t i, count;
  int rc;
  tdb_stmt *o;
  if (!t) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE,
                     "no such table: %s", st->ast->name);
  }
  for (o = db->stmts; o; o = o->next) {
    if (o != st && o->state == TDB_STMT_HAS_ROW) {
      return tdbErrSet(&db->err, TDB_BUSY, TDB_SQLSTATE_OBJECT_IN_USE,
                       "cannot PURGE while another statement is returning rows (finish or "
                       "reset it first)");
    }
  }
  tdbHashSetInit(&pks, &db->mem);
  memset(&keys, 0, sizeof keys);
  keys.mem = &db->mem;
  tdbBatchInit(&b, &db->mem);
  rc = tdbPurgeFindKeys(st, t, &pks);
  count = pks.count;
  if (rc == TDB_OK && count > 0) {
    m.pks = &pks;
    m.below = tdbStoreHead(db->store) + 1; /* every committed version */
    rc = tdbPurgeCollect(db, t->id, tdbPurgeMatchExact, &m, &keys);
    if (rc == TDB_OK) rc = tdbStoreErase(db->store, keys.keys, keys.n, &db->err);
    for (i = 0; rc == TDB_OK && i < count; i++) {
      unsigned char k[TDB_MARKER_KEY_LEN];
      size_t n;
      const unsigned char *pk = tdbHashSetKey(&pks, i, &n);
      tdbMetaKey(k, TDB_META_ERASED, t->id);
      tdbPutFixed64BE(k + TDB_META_KEY_LEN, tdbPurgeKeyHash(t->id, pk, n));
      if (tdbBatchPut(&b, k, sizeof k, "", 0) != TDB_OK) rc = tdbErrNoMem(&db->err);
    }
    if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
  }
  if (rc == TDB_OK) db->changes = count;
  tdbBatchFree(&b);
  tdbEraseListFree(&keys);
  tdbHashSetFree(&pks);
  return rc;
}

TDB_PRIVATE int tdbExecPurge(tdb_stmt *st) {
  tdb *db = st->db;
  if (db->txn.active) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_ACTIVE_TXN,
                     "PURGE cannot run inside a transaction: it cannot be rolled back "
                     "(COMMIT or ROLLBACK first)");
  }
  return st->ast->kind == TDB_STMT_PURGE_HISTORY ? tdbPurgeHistory(st) : tdbPurgeErase(st);
}

/* ---- replaying markers after RESTORE ---------------------------------------------------------- */

typedef struct TdbMarker {
  uint32_t table_id;
  uint64_t hash, epoch;
} TdbMarker;

static int tdbMarkerCompare(const void *a, const void *b) {
  const TdbMarker *x = a, *y = b;
  if (x->table_id != y->table_id) return x->table_id < y->table_id ? -1 : 1;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
}

typedef struct TdbHashMatch {
  const TdbMarker *m;     /* one table's markers, sorted by hash */
  size_t n;
} TdbHashMatch;

static int tdbPurgeMatchHash(void *ctx, const unsigned char *pk, size_t n, uint64_t *below) {
  TdbHashMatch *hm = ctx;
  uint64_t h;
  size_t lo = 0, hi = hm->n;
  if (hm->n == 0) return 0;
  h = tdbPurgeKeyHash(hm->m[0].table_id, pk, n);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (hm->m[mid].hash < h) lo = mid + 1;
    else hi = mid;
  }
  if (lo == hm->n || hm->m[lo].hash != h) return 0;
  while (lo + 1 < hm->n && hm->m[lo + 1].hash == h) lo++; /* the latest marker */
  *below = hm->m[lo].epoch;
  return 1;
}

TDB_PRIVATE int tdbPurgeReplayMarkers(tdb *db, uint64_t since, uint64_t through) {
  unsigned char pre[2] = {TDB_EPOCH_CLOCK_PREFIX0, TDB_META_ERASED};
  TdbVersionIter *vi = NULL;
  TdbMarker *ms = NULL;
  size_t n = 0, cap = 0, i, j;
  TdbEraseList keys;
  int rc;
  rc = tdbVersionIterOpen(db->store, 0, &db->err, &vi);
  if (rc != TDB_OK) return rc;
  for (tdbVersionIterSeek(vi, pre, 2); rc == TDB_OK && tdbVersionIterValid(vi);
       tdbVersionIterNext(vi)) {
    size_t kn;
    const unsigned char *k = tdbVersionIterKey(vi, &kn);
    uint64_t e = tdbVersionIterEpoch(vi);
    void *arr = ms;
    if (kn < 2 || memcmp(k, pre, 2) != 0) break;
    if (kn != TDB_MARKER_KEY_LEN || tdbVersionIterKind(vi) != TDB_KIND_VALUE || e <= since ||
        e > through) {
      continue;
    }
    if (tdbMemGrow(&db->mem, &arr, &cap, n + 1, sizeof *ms) != 0) {
      rc = tdbErrNoMem(&db->err);
      break;
    }
    ms = arr;
    ms[n].table_id = tdbKeyGetU32BE(k + 2);
    ms[n].hash = tdbGetFixed64BE(k + TDB_META_KEY_LEN);
    ms[n].epoch = e;
    n++;
  }
  if (rc == TDB_OK && tdbVersionIterStatus(vi) != TDB_OK) {
    rc = tdbErrSet(&db->err, tdbVersionIterStatus(vi), NULL, "reading the purge markers failed");
  }
  tdbVersionIterFree(vi);
  memset(&keys, 0, sizeof keys);
  keys.mem = &db->mem;
  if (rc == TDB_OK && n > 0) {
    qsort(ms, n, sizeof *ms, tdbMarkerCompare);
    for (i = 0; rc == TDB_OK && i < n; i = j) {
      TdbHashMatch hm;
      for (j = i; j < n && ms[j].table_id == ms[i].table_id; j++) {}
      hm.m = ms + i;
      hm.n = j - i;
      rc = tdbPurgeCollect(db, ms[i].table_id, tdbPurgeMatchHash, &hm, &keys);
    }
    if (rc == TDB_OK && keys.n > 0) rc = tdbStoreErase(db->store, keys.keys, keys.n, &db->err);
  }
  tdbEraseListFree(&keys);
  tdbMemFree(&db->mem, ms);
  return rc;
}
