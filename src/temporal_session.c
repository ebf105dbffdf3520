/*
** temporal_session.c — the session side of time (TEMPORAL.md §1.1, §1.4,
** §1.9): SET CURRENT_VALID_TIME, the statement's CVT, the epoch-clock
** functions EPOCH_AT / EPOCH_TIME / CURRENT_EPOCH / CURRENT_VALID_TIME, and
** SHOW DRIFT as the SELECT it stands for.
**
** When can a default read use the current rows (0x03)? They hold the
** open-ended piece [vf, +inf) of each key, if it has one; every bounded
** piece [vf, vt) lives only in the history. A read at valid time T finds
** its piece there exactly when no bounded piece contains T: when T >= the
** largest valid_to of every bounded piece of the table (an open piece that
** starts after T is skipped by the read itself). A default write's bounds
** are its CVT, the statement time, never later than wall(e) of its commit;
** so the bound to keep per table is the largest valid_to written otherwise
** (a fixed CVT, FOR PORTION OF, INSERT with _valid_to) beyond the clock,
** persisted in the metadata keyspace and written only when it exceeds both
** the kept one and wall(head):
**
**   key 0x07 'C' | table id (u32 BE)  ->  the bound (i64 BE, sign bit flipped)
**
** A read of the table with CVT below max(bound, wall(head)) goes through
** the history (exec_history.c); so do the targets of a write whose portion
** starts below it (dml.c). Ordinary sessions never write the key.
*/
#include "db.h"
#include "binder.h"
#include "func.h"
#include "keycodec.h"
#include "temporal.h"

/* The table's key 0x07 'C' | id into k. Every byte of the key is written:
** a key with a byte left over would differ from one write to the next. */
#define TDB_END_BOUND_KEY_SIZE 6
static void tdbEndBoundKey(unsigned char k[TDB_END_BOUND_KEY_SIZE], uint32_t table_id) {
  k[0] = 0x07;
  k[1] = 'C';
  tdbKeyPutU32BE(k + 2, table_id);
}

/* The kept bound of table t, read once per definition. */
static int tdbEndBound(tdb *db, TdbTableDef *t, int64_t *out) {
  if (!t->end_bound_loaded) {
    unsigned char k[TDB_END_BOUND_KEY_SIZE];
    TdbStr v;
    int found = 0, rc;
    tdbEndBoundKey(k, t->id);
    tdbStrInit(&v, &db->mem);
    rc = tdbStoreGet(db->store, 0, k, sizeof k, &v, &found, &db->err);
    if (rc != TDB_OK) {
      tdbStrClear(&v);
      return rc;
    }
    t->end_bound = INT64_MIN;
    if (found && v.n == 8) t->end_bound = tdbKeyGetI64BE((const unsigned char *)v.z);
    tdbStrClear(&v);
    t->end_bound_loaded = 1;
  }
  *out = t->end_bound;
  return TDB_OK;
}

TDB_PRIVATE int tdbTemporalStart(tdb *db, TdbExec *ex) {
  ex->cvt_fixed = db->cvt_fixed;
  if (db->cvt_fixed) ex->cvt = db->cvt; /* else the caller's default */
  ex->current_bound = tdbStoreHeadWall(db->store);
  return TDB_OK;
}

TDB_PRIVATE int tdbTemporalCurrentBound(TdbExec *ex, const TdbTableDef *t, int64_t *bound) {
  int64_t kept;
  int rc = tdbEndBound(ex->db, (TdbTableDef *)t, &kept);
  *bound = kept > ex->current_bound ? kept : ex->current_bound;
  return rc;
}

TDB_PRIVATE int tdbTemporalNoteWrite(tdb *db, TdbBatch *b, TdbTableDef *t, int64_t boundary) {
  int64_t kept;
  unsigned char k[TDB_END_BOUND_KEY_SIZE], v[8];
  int rc;
  if (boundary == INT64_MIN || boundary == INT64_MAX) return TDB_OK;
  rc = tdbEndBound(db, t, &kept);
  if (rc != TDB_OK) return rc;
  if (boundary <= kept || boundary < tdbStoreHeadWall(db->store)) return TDB_OK;
  tdbEndBoundKey(k, t->id);
  tdbKeyPutI64BE(v, boundary);
  tdbBatchPut(b, k, sizeof k, v, sizeof v);
  if (b->oom) return tdbErrNoMem(&db->err);
  /* memory follows before the commit: a failed one leaves the bound higher
  ** than needed, which costs speed only */
  t->end_bound = boundary;
  return TDB_OK;
}

/* Does e contain a subquery (not allowed in SET)? */
static int tdbSetHasSubquery(const TdbExpr *e) {
  int i;
  if (!e) return 0;
  if (e->select) return 1;
  if (tdbSetHasSubquery(e->left) || tdbSetHasSubquery(e->right) || tdbSetHasSubquery(e->third)) return 1;
  for (i = 0; e->list && i < e->list->n; i++) {
    if (tdbSetHasSubquery(e->list->items[i].expr)) return 1;
  }
  return 0;
}

TDB_PRIVATE int tdbExecSet(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbEvalCtx ctx;
  TdbValue v;
  int rc;
  if (strcmp(a->name, "current_valid_time") != 0) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_OBJECT,
                     "unknown setting \"%s\" (the only one is CURRENT_VALID_TIME)", a->name);
  }
  if (!a->where) {
    db->cvt_fixed = 0;
    return TDB_OK;
  }
  if (tdbSetHasSubquery(a->where)) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_FEATURE,
                     "SET CURRENT_VALID_TIME takes a constant, not a subquery");
  }
  rc = tdbBindTableExpr(&db->mem, &db->err, st->sql, &db->catalog, NULL, a->where);
  if (rc != TDB_OK) return rc;
  tdbExecEvalCtx(&st->exec, &ctx, NULL, NULL, 0);
  tdbValueSetNull(&v);
  rc = tdbExprEval(&ctx, a->where, &v);
  if (rc != TDB_OK) return rc;
  if (v.type == TDB_TYPE_INTEGER || v.type == TDB_TYPE_TIMESTAMP) {
    db->cvt_fixed = 1;
    db->cvt = v.u.i;
  } else if (v.type == TDB_TYPE_TEXT && tdbTimeParseIso(v.u.z, v.n, &db->cvt) == 0) {
    db->cvt_fixed = 1;
  } else {
    rc = tdbErrSet(&db->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TYPE,
                   "CURRENT_VALID_TIME must be an integer, a timestamp or DEFAULT, not %s",
                   tdbTypeName(v.type));
  }
  tdbValueClear(&db->mem, &v);
  return rc;
}

/* ---- functions ---------------------------------------------------------------------- */

static int tdbNeedExec(TdbEvalCtx *ctx, const char *fn) {
  if (ctx->exec && ctx->exec->db) return TDB_OK;
  return tdbErrSet(ctx->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_FEATURE,
                   "%s() reads the database: it cannot be used here", fn);
}

/* epoch_at(ts): the last epoch committed at or before ts (0 if none). */
static int tdbFnEpochAt(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  int64_t ts;
  uint64_t e;
  int rc;
  TDB_UNUSED(argc);
  if ((rc = tdbNeedExec(ctx, "epoch_at")) != TDB_OK) return rc;
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (argv[0].type == TDB_TYPE_TIMESTAMP) {
    ts = argv[0].u.i;
  } else if (argv[0].type == TDB_TYPE_TEXT) {
    if (tdbTimeParseIso(argv[0].u.z, argv[0].n, &ts) != 0) {
      return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATETIME_FORMAT,
                       "epoch_at('%s'): not an ISO-8601 timestamp", argv[0].u.z);
    }
  } else {
    return tdbErrSet(ctx->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TYPE,
                     "epoch_at() takes a timestamp, not %s", tdbTypeName(argv[0].type));
  }
  rc = tdbStoreEpochAt(ctx->exec->db->store, ts, 1, ctx->exec->snapshot, &e, ctx->err);
  if (rc == TDB_OK) tdbValueSetInt(out, (int64_t)e);
  return rc;
}

/* epoch_time(n): wall(n) as a TIMESTAMP; NULL for 0; ERR_FUTURE_EPOCH past the head. */
static int tdbFnEpochTime(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  int64_t wall;
  int found, rc;
  TDB_UNUSED(argc);
  if ((rc = tdbNeedExec(ctx, "epoch_time")) != TDB_OK) return rc;
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (argv[0].type != TDB_TYPE_INTEGER) {
    return tdbErrSet(ctx->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TYPE,
                     "epoch_time() takes an epoch (integer), not %s", tdbTypeName(argv[0].type));
  }
  if (argv[0].u.i < 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_RANGE,
                     "epoch_time(%lld): epochs are not negative", (long long)argv[0].u.i);
  }
  if ((uint64_t)argv[0].u.i > ctx->exec->snapshot) {
    return tdbErrSet(ctx->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_FUTURE_EPOCH,
                     "epoch %lld is in the future: the latest commit is epoch %llu",
                     (long long)argv[0].u.i, (unsigned long long)ctx->exec->snapshot);
  }
  if (argv[0].u.i == 0) return TDB_OK;
  rc = tdbStoreEpochWall(ctx->exec->db->store, (uint64_t)argv[0].u.i, &wall, &found, ctx->err);
  if (rc == TDB_OK && found) tdbValueSetTimestamp(out, wall);
  return rc;
}

static int tdbFnCurrentEpoch(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  int rc;
  TDB_UNUSED(argc);
  TDB_UNUSED(argv);
  if ((rc = tdbNeedExec(ctx, "current_epoch")) != TDB_OK) return rc;
  tdbValueSetInt(out, (int64_t)ctx->exec->snapshot);
  return TDB_OK;
}

static int tdbFnCurrentValidTime(TdbEvalCtx *ctx, int argc, const TdbValue *argv,
                                 TdbValue *out) {
  int rc;
  TDB_UNUSED(argc);
  TDB_UNUSED(argv);
  if ((rc = tdbNeedExec(ctx, "current_valid_time")) != TDB_OK) return rc;
  tdbValueSetInt(out, ctx->exec->cvt);
  return TDB_OK;
}

/* Sorted by name. */
static const TdbFuncDef tdbTemporalFuncs[] = {
    {"current_epoch", 0, 0, tdbFnCurrentEpoch, NULL},
    {"current_valid_time", 0, 0, tdbFnCurrentValidTime, NULL},
    {"epoch_at", 1, 1, tdbFnEpochAt, NULL},
    {"epoch_time", 1, 1, tdbFnEpochTime, NULL},
};

TDB_PRIVATE const TdbFuncDef *tdbTemporalFuncAt(int i) {
  return i >= 0 && i < (int)TDB_ARRAY_LEN(tdbTemporalFuncs) ? &tdbTemporalFuncs[i] : NULL;
}

TDB_PRIVATE const TdbFuncDef *tdbTemporalFuncFind(const char *name) {
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(tdbTemporalFuncs); i++) {
    if (strcmp(name, tdbTemporalFuncs[i].name) == 0) return &tdbTemporalFuncs[i];
  }
  return NULL;
}

/* ---- SHOW DRIFT ----------------------------------------------------------------------- */

TDB_PRIVATE int tdbDriftSql(tdb *db, const TdbAstStmt *a, const char *sql, char **out) {
  const TdbTableDef *t = tdbCatalogTable(&db->catalog, a->name);
  TdbStr q;
  int i, nkey;
  *out = NULL;
  if (!t) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE,
                     "no such table: %s", a->name);
  }
  nkey = t->npk ? t->npk : 1;
  if (a->set->n != nkey) {
    return tdbErrSet(&db->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                     "SHOW DRIFT %s KEY takes %d value%s (its %s), not %d", t->name, nkey,
                     nkey == 1 ? "" : "s", t->npk ? "primary key" : "_rowid", a->set->n);
  }
  tdbStrInit(&q, &db->mem);
  tdbStrAppendz(&q, "SELECT _system_from, _system_to, _valid_from, _valid_to, _row_op, "
                    "_is_deleted, * FROM ");
  tdbStrAppendIdent(&q, t->name);
  tdbStrAppendz(&q, " FOR SYSTEM_TIME ALL FOR APPLICATION_TIME ALL INCLUDING DELETED WHERE ");
  for (i = 0; i < nkey; i++) {
    const TdbExpr *e = a->set->items[i].expr;
    if (i) tdbStrAppendz(&q, " AND ");
    if (t->npk) tdbStrAppendIdent(&q, t->cols[t->pk[i]].name);
    else tdbStrAppendz(&q, "_rowid");
    tdbStrAppendz(&q, " = (");
    tdbStrAppend(&q, sql + e->span.start, e->span.end - e->span.start);
    tdbStrAppendChar(&q, ')');
  }
  tdbStrAppendz(&q, " ORDER BY _system_from, _valid_from");
  *out = tdbStrFinish(&q);
  return *out ? TDB_OK : tdbErrNoMem(&db->err);
}
