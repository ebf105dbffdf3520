/*
** exec_history.c — the history scan: a table reference read through the
** row history (keyspace 0x04, docs/sql-storage.md) with its system-time and
** application-time selections (TEMPORAL.md §1.3, §1.4, §1.13).
**
** With the default system selection the scan reads the working state: the
** newest version of each history key at the statement's snapshot S, with a
** transaction's own pending writes over it (those have no epoch yet). With
** any other, every stored version of every history key of the table comes
** from the versions iterator (versiter.h) at S, newest first per key, with
** the epoch that wrote it and the epoch of the next version of the same key
** (which closed it):
**
**   history key  0x04 | table id | pk | valid_from      (one valid-time piece)
**   its versions @e3 [vf, vt) v3 (next -)   system period [e3, +inf)
**                @e2 [vf, +inf) v2 (next e3)              [e2, e3)
**                @e1 REMOVED (next e2)      not a row version: nothing
**
** A version is a row when it is not a REMOVED marker and passes
**
**   system   default: current at S;  AS OF n: e <= n < next;
**            [x, y) (FROM/BETWEEN, intersected with 0..S): e < y and next > x;
**            ALL: every version
**   valid    default: vf <= CVT < vt;  AS OF t: vf <= t < vt;
**            FROM a TO b: vf < b and vt > a (nothing when a >= b);
**            BETWEEN a AND b: vf <= b and vt > a;  ALL: every piece
**   deleted  tombstones only with INCLUDING DELETED
**
** Arguments are evaluated when the scan opens: once per statement, or once
** per left row for a lateral clause (the join hands the row in
** ex->lateral). A primary-key point lookup narrows the key range to one key.
** The targets of a write (p->history < 0, dml.c) read the working state
** over the write's portion, live pieces, tombstones or both.
*/
#include "db.h"
#include "datetime.h"
#include "keycodec.h"
#include "purge.h"
#include "rowcodec.h"
#include "rows.h"
#include "temporal.h"
#include "versiter.h"
#include "dbiter.h"
#include "ikey.h"
#include "txn.h"
#include "temporal_session.h"

#define TDB_EPOCH_INF UINT64_MAX

/* One stored version held by an ordered scan (p->hist_ordered): its key and
** value are copies in TdbHistState.held_bytes. */
typedef struct TdbHistHeld {
  uint64_t e, next;       /* the epoch that wrote it, the one that closed it */
  int64_t vf;             /* its piece's valid_from (from the key) */
  const unsigned char *k, *v;
  size_t kn, vn;
} TdbHistHeld;

typedef struct TdbHistState {
  TdbVersionIter *vi;     /* a system-time selection: every stored version */
  TdbDbIter *cur;         /* the default selection: the working state, the
                          ** newest version of each key at the snapshot with
                          ** the transaction's own pending writes over it */
  TdbStr prefix;          /* 0x04 | table id [| pk]: every key read starts with it */
  TdbValue *decoded;      /* next_pos slots for tdbRowDecode */
  uint32_t ndecoded;
  TdbValue *defaults;     /* per column: the DEFAULT for versions without it */
  int ndefaults;
  TdbArena bytes;         /* TEXT/BLOB bytes of the current chunk's values */
  int empty;              /* nothing (more) can match */
  /* the resolved selections */
  int sys_kind;           /* TDB_TSEL_* (BETWEEN becomes FROM_TO) */
  uint64_t sys_a, sys_b;  /* AS OF: a; FROM_TO: [a, b) */
  int valid_kind;         /* TDB_TSEL_*; DEFAULT becomes AS_OF CVT */
  int64_t va, vb;
  int including_deleted;
  int only_deleted;       /* UNDELETE's targets: tombstones only */
  /* an ordered scan (p->hist_ordered): every version of the key is read
  ** at the first call, put in (_system_from, _valid_from) order, then
  ** handed out from held_pos on */
  TdbHistHeld *held, *held_tmp;
  size_t nheld, held_cap, tmp_cap, held_pos;
  size_t *runs;           /* start of each run (the versions of one piece) */
  size_t runs_cap;
  TdbArena held_bytes;
  int held_loaded;
  int ordered;            /* this execution: hist_ordered and narrowed to one key */
  /* the last wall-clock looked up */
  uint64_t wall_epoch;
  int64_t wall;
  int wall_found;
} TdbHistState;

TDB_PRIVATE int tdbHistoryWanted(TdbExec *ex, const TdbPlan *p, int *wanted) {
  int64_t bound;
  int rc;
  *wanted = 1;
  if (p->history < 0) { /* the targets of a write (dml.c) */
    *wanted = p->tgt_history;
    return TDB_OK;
  }
  if (p->temporal || p->history) return TDB_OK;
  rc = tdbTemporalCurrentBound(ex, p->table, &bound);
  *wanted = ex->cvt < bound;
  return rc;
}

TDB_PRIVATE void tdbHistoryFree(TdbMem *mem, TdbPlan *p) {
  TdbHistState *h = p->hstate;
  int i;
  if (!h) return;
  tdbVersionIterFree(h->vi);
  tdbDbIterFree(h->cur);
  tdbStrClear(&h->prefix);
  tdbArenaFree(&h->bytes);
  tdbArenaFree(&h->held_bytes);
  tdbMemFree(mem, h->held);
  tdbMemFree(mem, h->held_tmp);
  tdbMemFree(mem, h->runs);
  tdbMemFree(mem, h->decoded);
  for (i = 0; i < h->ndefaults; i++) tdbValueClear(mem, &h->defaults[i]);
  tdbMemFree(mem, h->defaults);
  tdbMemFree(mem, h);
  p->hstate = NULL;
}

/* ---- arguments --------------------------------------------------------------------- */

/* The kinds a system-time argument resolves to. */
#define TDB_SYSARG_EPOCH 1
#define TDB_SYSARG_TIME 2

static int tdbHistTypeError(TdbExec *ex, int arg, const TdbValue *v) {
  return tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TYPE, "%s, not %s",
                   arg == TDB_TARG_EPOCH ? "AS OF EPOCH takes an epoch (integer or '@seq:n')"
                   : arg == TDB_TARG_TIMESTAMP
                       ? "AS OF TIMESTAMP takes a timestamp"
                       : "a system-time argument is an epoch (integer or '@seq:n') or a timestamp",
                   tdbTypeName(v->type));
}

/* A system-time argument: an epoch or a wall-clock instant (§1.4). */
static int tdbHistSysValue(TdbExec *ex, int arg, const TdbValue *v, int *kind, uint64_t *epoch,
                           int64_t *ts) {
  if (v->type == TDB_TYPE_INTEGER && arg != TDB_TARG_TIMESTAMP) {
    if (v->u.i < 0) {
      return tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_RANGE,
                       "epoch %lld is negative: epochs count commits from 0",
                       (long long)v->u.i);
    }
    *kind = TDB_SYSARG_EPOCH;
    *epoch = (uint64_t)v->u.i;
    return TDB_OK;
  }
  if (v->type == TDB_TYPE_TIMESTAMP && arg != TDB_TARG_EPOCH) {
    *kind = TDB_SYSARG_TIME;
    *ts = v->u.i;
    return TDB_OK;
  }
  if (v->type == TDB_TYPE_TEXT) {
    int64_t n;
    if (arg != TDB_TARG_TIMESTAMP && v->n > 5 && memcmp(v->u.z, "@seq:", 5) == 0) {
      if (tdbParseInt64(v->u.z + 5, v->n - 5, &n) != 0 || n < 0) {
        return tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TYPE,
                         "'%s' is not an epoch: '@seq:' must be followed by a non-negative "
                         "integer", v->u.z);
      }
      *kind = TDB_SYSARG_EPOCH;
      *epoch = (uint64_t)n;
      return TDB_OK;
    }
    if (arg != TDB_TARG_EPOCH) {
      if (tdbTimeParseIso(v->u.z, v->n, ts) != 0) {
        return tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_DATETIME_FORMAT,
                         "'%s' is neither '@seq:n' nor an ISO-8601 timestamp", v->u.z);
      }
      *kind = TDB_SYSARG_TIME;
      return TDB_OK;
    }
  }
  return tdbHistTypeError(ex, arg, v);
}

TDB_PRIVATE int tdbValidInstant(TdbExec *ex, const TdbValue *v, int64_t *t) {
  if (v->type == TDB_TYPE_INTEGER || v->type == TDB_TYPE_TIMESTAMP) {
    *t = v->u.i;
    return TDB_OK;
  }
  if (v->type == TDB_TYPE_TEXT) {
    if (tdbTimeParseIso(v->u.z, v->n, t) == 0) return TDB_OK;
    return tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_DATETIME_FORMAT,
                     "'%s' is not an ISO-8601 timestamp", v->u.z);
  }
  return tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TYPE,
                   "an application-time argument must be an integer or a timestamp, not %s",
                   tdbTypeName(v->type));
}

static int tdbHistEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  tdbValueSetNull(out);
  return e ? tdbExprEval(ctx, e, out) : TDB_OK;
}

static int tdbHistNullPoint(TdbExec *ex, const TdbTemporalEff *eff, TdbHistState *h,
                            const char *axis) {
  if (eff->correlated) { /* a NULL read from a row matches nothing (§1.13.9) */
    h->empty = 1;
    return TDB_OK;
  }
  return tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_INVALID_PERIOD,
                   "%s AS OF NULL: a point in time cannot be NULL", axis);
}

/* The epoch in which table t was created: the oldest version of its
** catalog object (0x01 | id keeps every version). Cached in the definition. */
static int tdbHistCreatedEpoch(TdbExec *ex, const TdbTableDef *t, uint64_t *out) {
  TdbVersionIter *vi = NULL;
  TdbStr key;
  uint64_t oldest = 0;
  int rc;
  if (t->created_epoch) {
    *out = t->created_epoch;
    return TDB_OK;
  }
  tdbStrInit(&key, ex->mem);
  if (tdbCatalogObjectKey(&key, t->id) != TDB_OK) return tdbErrNoMem(ex->err);
  rc = tdbVersionIterOpen(ex->db->store, 0, ex->err, &vi);
  if (rc == TDB_OK) {
    size_t kn;
    for (tdbVersionIterSeek(vi, key.z, key.n); tdbVersionIterValid(vi); tdbVersionIterNext(vi)) {
      const unsigned char *k = tdbVersionIterKey(vi, &kn);
      if (kn != key.n || memcmp(k, key.z, kn) != 0) break;
      oldest = tdbVersionIterEpoch(vi);
    }
    rc = tdbVersionIterStatus(vi);
    if (rc != TDB_OK) rc = tdbErrSet(ex->err, rc, NULL, "reading the catalog failed");
  }
  tdbVersionIterFree(vi);
  tdbStrClear(&key);
  if (rc == TDB_OK) {
    ((TdbTableDef *)t)->created_epoch = oldest;
    *out = oldest;
  }
  return rc;
}

/* Resolve the system selection into h (sys_kind, sys_a, sys_b). */
static int tdbHistResolveSystem(TdbExec *ex, const TdbPlan *p, TdbEvalCtx *ctx,
                                TdbHistState *h) {
  const TdbTemporalEff *eff = p->temporal;
  const TdbTimeSel *sel = eff ? eff->sys : NULL;
  uint64_t head = ex->snapshot, ea = 0, eb = 0;
  int64_t ta = 0, tb = 0;
  int ka = 0, kb = 0, rc;
  TdbValue a, b;
  h->sys_kind = sel ? sel->kind : TDB_TSEL_DEFAULT;
  if (!sel || sel->kind == TDB_TSEL_ALL) return TDB_OK;
  rc = tdbHistEval(ctx, sel->a, &a);
  if (rc == TDB_OK) rc = tdbHistEval(ctx, sel->b, &b);
  if (rc != TDB_OK) {
    tdbValueClear(ex->mem, &a);
    return rc;
  }
  if (sel->kind == TDB_TSEL_AS_OF) {
    uint64_t n = 0, created;
    if (TDB_VALUE_IS_NULL(&a)) {
      rc = tdbHistNullPoint(ex, eff, h, "FOR SYSTEM_TIME");
      goto done;
    }
    rc = tdbHistSysValue(ex, sel->arg, &a, &ka, &ea, &ta);
    if (rc != TDB_OK) goto done;
    if (ka == TDB_SYSARG_EPOCH) {
      if (ea > head) {
        rc = tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_FUTURE_EPOCH,
                       "epoch %llu is in the future: the latest commit is epoch %llu",
                       (unsigned long long)ea, (unsigned long long)head);
        goto done;
      }
      n = ea;
    } else {
      if (ta >= ex->now) {
        char buf[40];
        tdbTimeFormatIso(ta, buf);
        rc = tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_FUTURE_TIME,
                       "AS OF %s is not in the past: a later commit could still land "
                       "before it", buf);
        goto done;
      }
      rc = tdbStoreEpochAt(ex->db->store, ta, 1, head, &n, ex->err);
      if (rc != TDB_OK) goto done;
    }
    rc = tdbHistCreatedEpoch(ex, p->table, &created);
    if (rc != TDB_OK) goto done;
    if (n < created) {
      rc = tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_NOT_YET_CREATED,
                     "table %s did not exist yet at epoch %llu (created in epoch %llu)",
                     p->table->name, (unsigned long long)n, (unsigned long long)created);
      goto done;
    }
    rc = tdbPurgeCheckRead(ex->db, p->table, n, ex->err); /* ERR_HISTORY_PURGED */
    if (rc != TDB_OK) goto done;
    h->sys_a = n;
    goto done;
  }
  /* FROM a TO b / BETWEEN a AND b: NULL is unbounded on its side */
  if (!TDB_VALUE_IS_NULL(&a)) rc = tdbHistSysValue(ex, sel->arg, &a, &ka, &ea, &ta);
  if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&b)) rc = tdbHistSysValue(ex, sel->arg, &b, &kb, &eb, &tb);
  if (rc != TDB_OK) goto done;
  if (ka && kb && ka != kb) {
    rc = tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TYPE,
                   "the bounds of a system-time range must both be epochs or both timestamps");
    goto done;
  }
  if (ka && kb && (ka == TDB_SYSARG_EPOCH ? ea > eb : ta > tb)) {
    rc = tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_INVALID_PERIOD,
                   "the system-time range ends before it starts");
    goto done;
  }
  /* as epochs [lo, hi), hi == TDB_EPOCH_INF: unbounded */
  {
    uint64_t lo = 0, hi = TDB_EPOCH_INF, e;
    if (ka == TDB_SYSARG_EPOCH) lo = ea;
    else if (ka == TDB_SYSARG_TIME) {
      rc = tdbStoreEpochAt(ex->db->store, ta, 1, head, &lo, ex->err);
      if (rc != TDB_OK) goto done;
    }
    if (kb == TDB_SYSARG_EPOCH) {
      hi = sel->kind == TDB_TSEL_BETWEEN ? (eb == TDB_EPOCH_INF ? eb : eb + 1) : eb;
    } else if (kb == TDB_SYSARG_TIME) {
      rc = tdbStoreEpochAt(ex->db->store, tb, sel->kind == TDB_TSEL_BETWEEN, head, &e, ex->err);
      if (rc != TDB_OK) goto done;
      hi = e + 1;
    }
    if (ka) { /* an explicit lower bound below the horizon: ERR_HISTORY_PURGED */
      rc = tdbPurgeCheckRead(ex->db, p->table, lo, ex->err);
      if (rc != TDB_OK) goto done;
    }
    if (hi > head + 1) hi = head + 1; /* ranges meet the committed epochs 0..head */
    if (lo >= hi) h->empty = 1;
    h->sys_kind = TDB_TSEL_FROM_TO;
    h->sys_a = lo;
    h->sys_b = hi;
  }
done:
  tdbValueClear(ex->mem, &a);
  tdbValueClear(ex->mem, &b);
  return rc;
}

/* Resolve the valid-time selection into h (valid_kind, va, vb). */
static int tdbHistResolveValid(TdbExec *ex, const TdbPlan *p, TdbEvalCtx *ctx,
                               TdbHistState *h) {
  const TdbTemporalEff *eff = p->temporal;
  const TdbTimeSel *sel = eff ? eff->valid : NULL;
  TdbValue a, b;
  int rc;
  if (!sel) {
    h->valid_kind = TDB_TSEL_AS_OF;
    h->va = ex->cvt;
    return TDB_OK;
  }
  h->valid_kind = sel->kind;
  if (sel->kind == TDB_TSEL_ALL) return TDB_OK;
  rc = tdbHistEval(ctx, sel->a, &a);
  if (rc == TDB_OK) rc = tdbHistEval(ctx, sel->b, &b);
  if (rc != TDB_OK) {
    tdbValueClear(ex->mem, &a);
    return rc;
  }
  if (sel->kind == TDB_TSEL_AS_OF) {
    if (TDB_VALUE_IS_NULL(&a)) rc = tdbHistNullPoint(ex, eff, h, "FOR APPLICATION_TIME");
    else rc = tdbValidInstant(ex, &a, &h->va);
  } else {
    h->va = INT64_MIN;
    h->vb = INT64_MAX;
    if (!TDB_VALUE_IS_NULL(&a)) rc = tdbValidInstant(ex, &a, &h->va);
    if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&b)) rc = tdbValidInstant(ex, &b, &h->vb);
    if (rc == TDB_OK && h->va > h->vb) {
      rc = tdbErrSet(ex->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_INVALID_PERIOD,
                     "the application-time range ends (%lld) before it starts (%lld)",
                     (long long)h->vb, (long long)h->va);
    }
    if (rc == TDB_OK && sel->kind == TDB_TSEL_FROM_TO && h->va == h->vb) h->empty = 1;
  }
  tdbValueClear(ex->mem, &a);
  tdbValueClear(ex->mem, &b);
  return rc;
}

/* PK point access: narrow the prefix to the one key when every key value
** encodes exactly in its column's type (else the filter above decides). */
static int tdbHistNarrow(TdbExec *ex, const TdbPlan *p, TdbEvalCtx *ctx, TdbHistState *h) {
  const TdbTableDef *t = p->table;
  size_t base = h->prefix.n;
  int i, rc = TDB_OK, ok = 1;
  if (p->access != TDB_ACCESS_PK_POINT || p->index || p->nkey != TDB_MAX(t->npk, 1)) {
    return TDB_OK;
  }
  for (i = 0; i < p->nkey && ok && rc == TDB_OK; i++) {
    TdbValue v;
    int type = t->npk ? t->cols[t->pk[i]].type : TDB_TYPE_INTEGER;
    rc = tdbHistEval(ctx, p->key[i], &v);
    if (rc == TDB_OK) {
      if (TDB_VALUE_IS_NULL(&v)) h->empty = 1;
      else if ((v.type != type && type != TDB_TYPE_NULL) || !TDB_KEY_TYPE_OK(v.type) ||
               (type == TDB_TYPE_NULL && v.type == TDB_TYPE_REAL)) ok = 0;
      else if (tdbKeyEncodeValue(&h->prefix, &v) != TDB_OK) rc = tdbErrNoMem(ex->err);
    }
    tdbValueClear(ex->mem, &v);
  }
  if (!ok) h->prefix.n = base;
  /* the order of one key's versions is the merge of its pieces' runs */
  h->ordered = p->hist_ordered && ok && rc == TDB_OK;
  return rc;
}

TDB_PRIVATE int tdbHistoryOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  const TdbTableDef *t = p->table;
  TdbHistState *h = p->hstate;
  TdbEvalCtx own, *ctx;
  int rc, i;
  if (!h) {
    h = tdbMemAllocZero(ex->mem, sizeof *h);
    if (!h) return tdbErrNoMem(ex->err);
    tdbStrInit(&h->prefix, ex->mem);
    tdbArenaInit(&h->bytes, ex->mem, (size_t)64 << 10);
    tdbArenaInit(&h->held_bytes, ex->mem, (size_t)16 << 10);
    h->ndecoded = t->next_pos ? t->next_pos : 1;
    h->decoded = tdbMemAllocZero(ex->mem, sizeof(TdbValue) * h->ndecoded);
    h->defaults = tdbMemAllocZero(ex->mem, sizeof(TdbValue) * (size_t)(t->ncols + 1));
    p->hstate = h;
    if (!h->decoded || !h->defaults) {
      tdbHistoryFree(ex->mem, p);
      return tdbErrNoMem(ex->err);
    }
    h->ndefaults = t->ncols;
  } else {
    tdbVersionIterFree(h->vi);
    h->vi = NULL;
    tdbDbIterFree(h->cur);
    h->cur = NULL;
    tdbArenaReset(&h->bytes);
    tdbArenaReset(&h->held_bytes);
    for (i = 0; i < h->ndefaults; i++) tdbValueClear(ex->mem, &h->defaults[i]);
  }
  h->empty = 0;
  h->nheld = 0;
  h->held_pos = 0;
  h->held_loaded = 0;
  h->ordered = 0;
  h->wall_epoch = 0;
  h->wall_found = 0;
  h->prefix.n = 0;
  h->including_deleted = p->temporal && p->temporal->including_deleted;
  h->only_deleted = 0;
  if (p->history < 0) h->including_deleted = p->tgt_deleted, h->only_deleted = p->tgt_deleted == 2;
  tdbRowKeyPrefix(&h->prefix, TDB_KEYSPACE_HISTORY, t->id);
  if (h->prefix.oom) return tdbErrNoMem(ex->err);
  rc = tdbTableDefaults(ex->mem, ex->err, ex->now, t, h->defaults);
  if (rc != TDB_OK) return rc;
  /* lateral arguments read the left row the join opened us for */
  if (p->temporal && p->temporal->lateral && ex->lateral) {
    ctx = (TdbEvalCtx *)ex->lateral;
  } else {
    tdbExecEvalCtx(ex, &own, outer, NULL, 0);
    ctx = &own;
  }
  if (p->history < 0) {
    /* a write's targets: the working state over its portion */
    h->sys_kind = TDB_TSEL_DEFAULT;
    h->valid_kind = TDB_TSEL_FROM_TO;
    h->va = p->tgt_from;
    h->vb = p->tgt_to;
    h->empty = h->va >= h->vb;
    rc = TDB_OK;
  } else {
    rc = tdbHistResolveSystem(ex, p, ctx, h);
    if (rc == TDB_OK) rc = tdbHistResolveValid(ex, p, ctx, h);
  }
  if (rc != TDB_OK || h->empty) return rc;
  tdbExecEvalCtx(ex, &own, outer, NULL, 0);
  rc = tdbHistNarrow(ex, p, &own, h);
  if (rc != TDB_OK || h->empty) return rc;
  if (h->sys_kind == TDB_TSEL_DEFAULT) {
    rc = tdbTxnIter(ex->db, ex->snapshot, &h->cur);
    if (rc != TDB_OK) return rc;
    tdbDbIterSeek(h->cur, h->prefix.z, h->prefix.n);
    return TDB_OK;
  }
  rc = tdbVersionIterOpen(ex->db->store, ex->snapshot, ex->err, &h->vi);
  if (rc != TDB_OK) return rc;
  tdbVersionIterSeek(h->vi, h->prefix.z, h->prefix.n);
  return TDB_OK;
}

/* Does a version written at epoch e and closed at `next` (0: not closed)
** pass the system selection? */
static int tdbHistSystemPasses(const TdbHistState *h, uint64_t e, uint64_t next) {
  uint64_t to = next ? next : TDB_EPOCH_INF;
  switch (h->sys_kind) {
    case TDB_TSEL_DEFAULT: return next == 0;
    case TDB_TSEL_AS_OF: return e <= h->sys_a && h->sys_a < to;
    case TDB_TSEL_FROM_TO: return e < h->sys_b && to > h->sys_a;
    default: return 1;
  }
}

static int tdbHistValidPasses(const TdbHistState *h, int64_t vf, int64_t vt) {
  switch (h->valid_kind) {
    case TDB_TSEL_AS_OF: return vf <= h->va && h->va < vt;
    case TDB_TSEL_FROM_TO: return vf < h->vb && vt > h->va;
    case TDB_TSEL_BETWEEN: return vf <= h->vb && vt > h->va;
    default: return 1;
  }
}

static const char *const tdbRowOpNames[] = {"",      "INSERT", "UPDATE",     "DELETE",
                                            "PATCH", "SOFT_DELETE", "UNDELETE"};

/* wall(e) for the _system_*_time pseudo-columns (NULL when unknown). */
static int tdbHistWall(TdbExec *ex, TdbHistState *h, uint64_t e, TdbValue *out) {
  if (e != h->wall_epoch) {
    int rc = tdbStoreEpochWall(ex->db->store, e, &h->wall, &h->wall_found, ex->err);
    if (rc != TDB_OK) return rc;
    h->wall_epoch = e;
  }
  if (h->wall_found) tdbValueSetTimestamp(out, h->wall);
  else tdbValueSetNull(out);
  return TDB_OK;
}

#define TDB_HIST_NEEDED(p, c) (!(p)->needed || (p)->needed[c])

/* One version (history key k, value v) as row out->n, if it passes. */
static int tdbHistEmit(TdbExec *ex, TdbPlan *p, TdbHistState *h, const unsigned char *k,
                       size_t kn, const unsigned char *v, size_t vn, uint64_t e, uint64_t next) {
  const TdbTableDef *t = p->table;
  TdbChunk *out = &p->out;
  TdbRow row;
  int64_t vf;
  int c, r = out->n, rc;
  if (kn < 5 + 1 + 8) goto corrupt;
  vf = tdbKeyGetI64BE(k + kn - 8);
  row.col = h->decoded;
  row.ncol = h->ndecoded;
  if (tdbRowDecode(v, vn, &row) != TDB_OK) goto corrupt;
  if (row.flags & TDB_ROW_FLAG_REMOVED) return TDB_OK;
  if (!tdbHistValidPasses(h, vf, row.valid_to)) return TDB_OK;
  if (row.flags & TDB_ROW_FLAG_TOMBSTONE) {
    if (!h->including_deleted) return TDB_OK;
  } else if (h->only_deleted) {
    return TDB_OK;
  }
  for (c = 0; c < t->ncols; c++) {
    const TdbValue *src;
    TdbValue *dst = &out->col[c][r];
    uint32_t pos = t->cols[c].pos;
    if (!TDB_HIST_NEEDED(p, c)) continue;
    src = TDB_ROW_ABSENT(&row, pos) ? &h->defaults[c] : &row.col[pos];
    *dst = *src;
    dst->owned = 0;
    if (TDB_TYPE_HAS_BYTES(src->type) && src != &h->defaults[c]) {
      char *z = tdbArenaAlloc(&h->bytes, (size_t)src->n + 1);
      if (!z) return tdbErrNoMem(ex->err);
      memcpy(z, src->u.z, src->n);
      z[src->n] = '\0';
      dst->u.z = z;
    }
  }
  if (t->npk == 0 && TDB_HIST_NEEDED(p, tdbScanPseudo(t, TDB_PSEUDO_ROWID))) {
    TdbValue id;
    size_t used;
    if (tdbKeyDecodeValue(k + 5, k + kn - 8, ex->mem, &id, &used) != TDB_OK) goto corrupt;
    out->col[tdbScanPseudo(t, TDB_PSEUDO_ROWID)][r] = id;
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_VALID_FROM);
  if (TDB_HIST_NEEDED(p, c)) {
    if (vf == INT64_MIN) tdbValueSetNull(&out->col[c][r]);
    else tdbValueSetInt(&out->col[c][r], vf);
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_VALID_TO);
  if (TDB_HIST_NEEDED(p, c)) {
    if (row.valid_to == INT64_MAX) tdbValueSetNull(&out->col[c][r]);
    else tdbValueSetInt(&out->col[c][r], row.valid_to);
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_SYSTEM_FROM);
  if (TDB_HIST_NEEDED(p, c)) {
    if (e) tdbValueSetInt(&out->col[c][r], (int64_t)e);
    else tdbValueSetNull(&out->col[c][r]); /* pending: no epoch yet */
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_SYSTEM_TO);
  if (TDB_HIST_NEEDED(p, c)) {
    if (next) tdbValueSetInt(&out->col[c][r], (int64_t)next);
    else tdbValueSetNull(&out->col[c][r]);
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_SYSTEM_FROM_TIME);
  if (TDB_HIST_NEEDED(p, c)) {
    if (!e) tdbValueSetNull(&out->col[c][r]);
    else if ((rc = tdbHistWall(ex, h, e, &out->col[c][r])) != TDB_OK) return rc;
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_SYSTEM_TO_TIME);
  if (TDB_HIST_NEEDED(p, c)) {
    if (!next) tdbValueSetNull(&out->col[c][r]);
    else if ((rc = tdbHistWall(ex, h, next, &out->col[c][r])) != TDB_OK) return rc;
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_ROW_OP);
  if (TDB_HIST_NEEDED(p, c)) {
    TdbValue *dst = &out->col[c][r];
    const char *name = row.op < TDB_ARRAY_LEN(tdbRowOpNames) ? tdbRowOpNames[row.op] : "";
    dst->type = TDB_TYPE_TEXT;
    dst->owned = 0;
    dst->u.z = (char *)name; /* a static string: never freed */
    dst->n = (uint32_t)strlen(name);
  }
  c = tdbScanPseudo(t, TDB_PSEUDO_IS_DELETED);
  if (TDB_HIST_NEEDED(p, c) || p->history < 0) {
    tdbValueSetBool(&out->col[c][r], (row.flags & TDB_ROW_FLAG_TOMBSTONE) != 0);
  }
  out->n++;
  return TDB_OK;
corrupt:
  return tdbErrSet(ex->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT,
                   "a history row of table %s is damaged", t->name);
}

/* The default system selection: the newest visible version of each key
** (pending ones have no epoch: e = 0), never closed. */
static int tdbHistoryNextCurrent(TdbExec *ex, TdbPlan *p, TdbHistState *h) {
  int rc;
  while (p->out.n < TDB_CHUNK_ROWS && tdbDbIterValid(h->cur)) {
    size_t kn, vn;
    const unsigned char *k = tdbDbIterKey(h->cur, &kn);
    const unsigned char *v;
    uint64_t e;
    if (kn < h->prefix.n || memcmp(k, h->prefix.z, h->prefix.n) != 0) {
      h->empty = 1;
      return TDB_OK;
    }
    v = tdbDbIterValue(h->cur, &vn);
    e = tdbDbIterSeq(h->cur);
    rc = tdbHistEmit(ex, p, h, k, kn, v, vn, e >= TDB_IKEY_PENDING_SEQ ? 0 : e, 0);
    if (rc != TDB_OK) return rc;
    tdbDbIterNext(h->cur);
  }
  rc = tdbDbIterStatus(h->cur);
  if (rc != TDB_OK) {
    return tdbErrSet(ex->err, rc, rc == TDB_CORRUPT ? TDB_SQLSTATE_CORRUPT : NULL,
                     "reading table %s failed", p->table->name);
  }
  return TDB_OK;
}

/* ---- the ordered scan of one key (p->hist_ordered) ----------------------------------- */

/* The version iterator gives the pieces of a key in valid_from order and
** the versions of each piece newest first, so each piece, reversed, is a run
** ascending by epoch; the runs are merged pairwise into (epoch, valid_from)
** order, which is ORDER BY _system_from, _valid_from (a key has one version
** per piece and epoch, so there are no ties):
**
**   read    piece vf=10: e9 e5 e2 | piece vf=40: e9 e7      (newest first)
**   runs    [e2 e5 e9]            | [e7 e9]                 (each reversed)
**   merged  (e2,10) (e5,10) (e7,40) (e9,10) (e9,40)
**
** Without the narrowing to one key (a key value that does not encode in its
** column's type) the scan streams as usual and the SORT above sorts: the
** versions of a whole table are not held. */

static int tdbHistHeldBefore(const TdbHistHeld *a, const TdbHistHeld *b) {
  return a->e != b->e ? a->e < b->e : a->vf < b->vf;
}

/* Reverse held[lo, hi): a piece's versions, newest first, become a run. */
static void tdbHistReverse(TdbHistHeld *held, size_t lo, size_t hi) {
  while (hi > lo + 1) {
    TdbHistHeld t = held[lo];
    held[lo++] = held[--hi];
    held[hi] = t;
  }
}

/* Merge the runs of h->held (h->runs[0..nruns), ending at nheld) into one;
** uses h->held_tmp of nheld entries. */
static void tdbHistMergeRuns(TdbHistState *h, size_t nruns) {
  while (nruns > 1) {
    size_t r, out = 0, kept = 0;
    for (r = 0; r < nruns; r += 2) {
      size_t a = h->runs[r], mid = r + 1 < nruns ? h->runs[r + 1] : h->nheld;
      size_t end = r + 2 < nruns ? h->runs[r + 2] : h->nheld, b = mid;
      h->runs[kept++] = out;
      while (a < mid && b < end) {
        h->held_tmp[out++] = tdbHistHeldBefore(&h->held[b], &h->held[a]) ? h->held[b++] : h->held[a++];
      }
      while (a < mid) h->held_tmp[out++] = h->held[a++];
      while (b < end) h->held_tmp[out++] = h->held[b++];
    }
    {
      TdbHistHeld *t = h->held;
      size_t c = h->held_cap;
      h->held = h->held_tmp;
      h->held_cap = h->tmp_cap;
      h->held_tmp = t;
      h->tmp_cap = c;
    }
    nruns = kept;
  }
}

/* Hold a copy of the iterator's current version (key k, epochs e, next). */
static int tdbHistHold(TdbExec *ex, TdbHistState *h, const unsigned char *k, size_t kn,
                       uint64_t e, uint64_t next, size_t *nruns) {
  TdbHistHeld *x;
  size_t vn;
  const unsigned char *v = tdbVersionIterValue(h->vi, &vn);
  unsigned char *kc, *vc;
  void *grown;
  if (kn < 5 + 1 + 8) {
    return tdbErrSet(ex->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT, "a history key is damaged");
  }
  /* a new piece starts a run (a piece's versions come one after another) */
  if (h->nheld == h->held_cap) {
    grown = h->held;
    if (tdbMemGrow(ex->mem, &grown, &h->held_cap, h->nheld + 1, sizeof *h->held) != 0) {
      return tdbErrNoMem(ex->err);
    }
    h->held = grown;
  }
  /* the versions of a piece come one after another (its key compared from
  ** the end: keys of one scan share their prefix) */
  if (h->nheld == 0 || h->held[h->nheld - 1].kn != kn ||
      memcmp(h->held[h->nheld - 1].k + kn - 8, k + kn - 8, 8) != 0 ||
      memcmp(h->held[h->nheld - 1].k, k, kn - 8) != 0) {
    if (*nruns == h->runs_cap) {
      grown = h->runs;
      if (tdbMemGrow(ex->mem, &grown, &h->runs_cap, *nruns + 1, sizeof *h->runs) != 0) {
        return tdbErrNoMem(ex->err);
      }
      h->runs = grown;
    }
    h->runs[(*nruns)++] = h->nheld;
    kc = tdbArenaAlloc(&h->held_bytes, kn + vn);   /* key and value in one */
    if (!kc) return tdbErrNoMem(ex->err);
    memcpy(kc, k, kn);
    vc = kc + kn;
  } else {
    kc = (unsigned char *)h->held[h->nheld - 1].k; /* the same key: share its copy */
    vc = tdbArenaAlloc(&h->held_bytes, vn ? vn : 1);
    if (!vc) return tdbErrNoMem(ex->err);
  }
  if (vn) memcpy(vc, v, vn);
  x = &h->held[h->nheld++];
  x->e = e;
  x->next = next;
  x->vf = tdbKeyGetI64BE(kc + kn - 8);
  x->k = kc;
  x->kn = kn;
  x->v = vc;
  x->vn = vn;
  return TDB_OK;
}

/* Read every version under the prefix that passes the system selection,
** then order them (see above). */
static int tdbHistLoadOrdered(TdbExec *ex, TdbPlan *p, TdbHistState *h) {
  size_t nruns = 0, r;
  int rc;
  while (tdbVersionIterValid(h->vi)) {
    size_t kn;
    const unsigned char *k = tdbVersionIterKey(h->vi, &kn);
    uint64_t e = tdbVersionIterEpoch(h->vi), next = tdbVersionIterNextEpoch(h->vi);
    if (kn < h->prefix.n || memcmp(k, h->prefix.z, h->prefix.n) != 0) break;
    if (tdbVersionIterKind(h->vi) == TDB_KIND_VALUE && tdbHistSystemPasses(h, e, next)) {
      rc = tdbHistHold(ex, h, k, kn, e, next, &nruns);
      if (rc != TDB_OK) return rc;
    }
    tdbVersionIterNext(h->vi);
  }
  rc = tdbVersionIterStatus(h->vi);
  if (rc != TDB_OK) {
    return tdbErrSet(ex->err, rc, rc == TDB_CORRUPT ? TDB_SQLSTATE_CORRUPT : NULL,
                     "reading the history of table %s failed", p->table->name);
  }
  for (r = 0; r < nruns; r++) {
    tdbHistReverse(h->held, h->runs[r], r + 1 < nruns ? h->runs[r + 1] : h->nheld);
  }
  if (nruns > 1) {
    void *grown = h->held_tmp;
    if (tdbMemGrow(ex->mem, &grown, &h->tmp_cap, h->nheld, sizeof *h->held_tmp) != 0) {
      return tdbErrNoMem(ex->err);
    }
    h->held_tmp = grown;
    tdbHistMergeRuns(h, nruns);
  }
  h->held_loaded = 1;
  return TDB_OK;
}

static int tdbHistoryNextOrdered(TdbExec *ex, TdbPlan *p, TdbHistState *h) {
  int rc;
  if (!h->held_loaded) {
    rc = tdbHistLoadOrdered(ex, p, h);
    if (rc != TDB_OK) return rc;
  }
  while (p->out.n < TDB_CHUNK_ROWS && h->held_pos < h->nheld) {
    const TdbHistHeld *x = &h->held[h->held_pos++];
    rc = tdbHistEmit(ex, p, h, x->k, x->kn, x->v, x->vn, x->e, x->next);
    if (rc != TDB_OK) return rc;
  }
  if (h->held_pos == h->nheld) h->empty = 1;
  return TDB_OK;
}

TDB_PRIVATE int tdbHistoryOrdered(const TdbPlan *scan) {
  const TdbHistState *h = scan->hstate;
  return scan->hactive && h && h->ordered;
}

TDB_PRIVATE TdbPlan *tdbHistoryClaimOrder(TdbPlan *below, const TdbSortKey *keys, int nkeys) {
  static const int want[2] = {TDB_PSEUDO_SYSTEM_FROM, TDB_PSEUDO_VALID_FROM};
  TdbPlan *scan;
  const TdbTableDef *t;
  int i;
  if (!below || below->kind != TDB_PLAN_PROJECT || nkeys < 1 || nkeys > 2) return NULL;
  for (scan = below->child; scan && scan->kind == TDB_PLAN_FILTER; scan = scan->child) {
  }
  if (!scan || scan->kind != TDB_PLAN_SCAN || !scan->table || scan->history < 0 ||
      !scan->temporal || !scan->temporal->sys || scan->temporal->sys->kind == TDB_TSEL_DEFAULT ||
      scan->access != TDB_ACCESS_PK_POINT || scan->index ||
      scan->nkey != TDB_MAX(scan->table->npk, 1)) {
    return NULL;
  }
  t = scan->table;
  for (i = 0; i < nkeys; i++) {
    const TdbExpr *e;
    if (keys[i].desc || !keys[i].nulls_first || keys[i].column < 0 ||
        keys[i].column >= below->nexprs) {
      return NULL;
    }
    e = below->exprs[keys[i].column];
    if (!e || e->kind != TDB_EXPR_COLUMN || e->depth != 0 ||
        e->column != tdbScanPseudo(t, want[i])) {
      return NULL;
    }
  }
  scan->hist_ordered = 1;
  return scan;
}

TDB_PRIVATE int tdbHistoryNext(TdbExec *ex, TdbPlan *p) {
  TdbHistState *h = p->hstate;
  int rc;
  /* as for the current-rows scan: no value of the chunk is owned (bytes
  ** live in h->bytes, _row_op names are static) */
  p->out.n = 0;
  p->out.sel = NULL;
  p->out.nsel = 0;
  tdbArenaReset(&h->bytes);
  if (h->empty) return TDB_OK;
  if (h->cur) return tdbHistoryNextCurrent(ex, p, h);
  if (!h->vi) return TDB_OK;
  if (h->ordered) return tdbHistoryNextOrdered(ex, p, h);
  while (p->out.n < TDB_CHUNK_ROWS && tdbVersionIterValid(h->vi)) {
    size_t kn, vn;
    const unsigned char *k = tdbVersionIterKey(h->vi, &kn);
    uint64_t e = tdbVersionIterEpoch(h->vi), next = tdbVersionIterNextEpoch(h->vi);
    if (kn < h->prefix.n || memcmp(k, h->prefix.z, h->prefix.n) != 0) {
      h->empty = 1;
      return TDB_OK;
    }
    if (tdbVersionIterKind(h->vi) == TDB_KIND_VALUE && tdbHistSystemPasses(h, e, next)) {
      const unsigned char *v = tdbVersionIterValue(h->vi, &vn);
      rc = tdbHistEmit(ex, p, h, k, kn, v, vn, e, next);
      if (rc != TDB_OK) return rc;
    }
    tdbVersionIterNext(h->vi);
  }
  rc = tdbVersionIterStatus(h->vi);
  if (rc != TDB_OK) {
    return tdbErrSet(ex->err, rc, rc == TDB_CORRUPT ? TDB_SQLSTATE_CORRUPT : NULL,
                     "reading the history of table %s failed", p->table->name);
  }
  return TDB_OK;
}
