/*
** dml.c — INSERT, UPDATE, DELETE, PATCH, SOFT DELETE and UNDELETE
** (TEMPORAL.md §1.6): preparing them, their valid-time portion, choosing
** the target pieces, the SET list and RETURNING. The piece writes and key
** checks are dml_piece.c's (dml.h draws the keys).
**
** A statement is atomic: every write goes into one store batch committed as
** one epoch at the end (inside a transaction: appended to its pending
** writes); an error anywhere discards the batch, so nothing of the
** statement remains and no epoch is used.
**
**   INSERT    a new piece [vf, vt): the listed _valid_from / _valid_to, else
**             [CVT, +inf); it must not overlap any piece of its key in W
**   UPDATE    the targets are the pieces of W overlapping the portion P
**   PATCH     (FOR PORTION OF, else [CVT, +inf)) for which WHERE holds:
**             live ones (UPDATE, PATCH, SOFT DELETE), tombstones (UNDELETE)
**   DELETE    or both (DELETE). Each target leaves W; its parts outside P
**   SOFT ..   stay; its part inside P gets the new content (nothing for
**   UNDELETE  DELETE). A new content equal to the old is no change at all.
**
** All targets are chosen before anything changes, and a key moved by SET
** is checked only after every removal, so `SET id = 3 - id` swaps keys.
*/
#include "db.h"
#include "binder.h"
#include "dml.h"
#include "json.h"
#include "keycodec.h"
#include "planner.h"
#include "rowcodec.h"
#include "rows.h"
#include "temporal.h"
#include "temporal_session.h"

/* ---- preparing ------------------------------------------------------------------ */

static int tdbDmlTarget(tdb_stmt *st, TdbTableDef **out) {
  tdb *db = st->db;
  TdbTableDef *t = tdbCatalogTable(&db->catalog, st->ast->name);
  *out = t;
  if (t) return TDB_OK;
  if (tdbCatalogView(&db->catalog, st->ast->name) || tdbViewFind(st->ast->name)) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WRONG_OBJECT_TYPE,
                     "cannot change view \"%s\": views are read-only", st->ast->name);
  }
  return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE,
                   "no such table: %s", st->ast->name);
}

/* Is name a pseudo-column an INSERT may list (TEMPORAL.md §1.5)? */
static int tdbPeriodColumnName(const char *name) {
  return strcmp(name, "_valid_from") == 0 || strcmp(name, "_valid_to") == 0;
}

/* Resolve a column name of the target for writing; `period`: _valid_from
** and _valid_to may be listed (INSERT; *col is -1 for them). */
static int tdbDmlColumn(tdb *db, const TdbTableDef *t, const char *name, int period, int *col) {
  *col = tdbTableColumn(t, name);
  if (*col >= 0 || (period && tdbPeriodColumnName(name))) return TDB_OK;
  if (tdbPseudoColumnName(name)) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_GENERATED_ALWAYS,
                     "column \"%s\" of table \"%s\" cannot be written", name, t->name);
  }
  {
    const char *hint = tdbTableSuggest(t, name);
    if (hint) {
      return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN,
                       "no such column: %s (did you mean \"%s\"?)", name, hint);
    }
  }
  return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN,
                   "no such column: %s", name);
}

/* PATCH / SOFT DELETE / UNDELETE ... KEY k: the condition pk = k (one
** value per key column, or the _rowid). */
static int tdbDmlPrepareKey(tdb_stmt *st, const TdbTableDef *t) {
  TdbAstStmt *a = st->ast;
  TdbParse p;
  TdbExpr *where = NULL;
  int i, nkey = t->npk ? t->npk : 1;
  if (!a->key) return TDB_OK;
  if (a->key->n != nkey) {
    return tdbErrSet(&st->db->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                     "KEY of table %s takes %d value%s (its %s), not %d", t->name, nkey,
                     nkey == 1 ? "" : "s", t->npk ? "primary key" : "_rowid", a->key->n);
  }
  memset(&p, 0, sizeof p);
  p.mem = &st->db->mem;
  p.err = &st->db->err;
  p.sql = st->sql;
  for (i = 0; i < nkey; i++) {
    TdbExpr *k = a->key->items[i].expr, *col, *eq;
    col = tdbExprColumnNamed(&p, t->npk ? t->cols[t->pk[i]].name : "_rowid", k->span);
    a->key->items[i].expr = NULL; /* moved into the condition */
    eq = tdbExprBinary(&p, TDB_OP_EQ, col, k);
    where = where ? tdbExprBinary(&p, TDB_OP_AND, where, eq) : eq;
    if (!where) return p.rc != TDB_OK ? p.rc : tdbErrNoMem(&st->db->err);
  }
  tdbExprFree(&st->db->mem, a->where);
  a->where = where;
  return TDB_OK;
}

/* FOR PORTION OF ... FROM a TO b: constant arguments (subqueries allowed). */
static int tdbDmlPreparePortion(tdb_stmt *st, TdbPlanner *pl) {
  tdb *db = st->db;
  const TdbTemporal *w = st->ast->wclauses;
  TdbExprItem items[2];
  TdbExprList l;
  int rc;
  if (!w || w->portion.kind != TDB_TSEL_FROM_TO) return TDB_OK;
  memset(items, 0, sizeof items);
  items[0].expr = w->portion.a;
  items[1].expr = w->portion.b;
  l.n = l.cap = 2;
  l.items = items;
  rc = tdbBindTableList(&db->mem, &db->err, st->sql, &db->catalog, NULL, &l);
  if (rc == TDB_OK) rc = tdbPlanList(pl, &l);
  return rc;
}

TDB_PRIVATE int tdbPrepareDml(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbPlanner pl;
  TdbTableDef *t;
  int rc, i, j;
  pl.mem = &db->mem;
  pl.err = &db->err;
  pl.all = &st->plans;
  rc = tdbDmlTarget(st, &t);
  if (rc != TDB_OK) return rc;
  st->target = tdbMemAllocZero(&db->mem, sizeof *st->target);
  if (!st->target) return tdbErrNoMem(&db->err);
  st->target->table = t;
  st->target->name = tdbMemStrndup(&db->mem, t->name, strlen(t->name));
  if (!st->target->name) return tdbErrNoMem(&db->err);
  if (a->alias) {
    st->target->alias = tdbMemStrndup(&db->mem, a->alias, strlen(a->alias));
    if (!st->target->alias) return tdbErrNoMem(&db->err);
  }
  if (a->names && a->kind != TDB_STMT_CREATE_INDEX) {
    for (i = 0; i < a->names->n; i++) {
      int c;
      rc = tdbDmlColumn(db, t, a->names->names[i], a->kind == TDB_STMT_INSERT, &c);
      if (rc != TDB_OK) return rc;
      for (j = 0; a->kind == TDB_STMT_INSERT && j < i; j++) {
        if (strcmp(a->names->names[j], a->names->names[i]) == 0) {
          return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_COLUMN,
                           "column \"%s\" specified more than once", a->names->names[i]);
        }
      }
    }
  }
  if (a->kind == TDB_STMT_INSERT) {
    int want = a->names ? a->names->n : tdbTableVisibleColumns(t);
    for (i = 0; i < a->nrows; i++) {
      if (a->rows[i]->n != want) {
        return tdbErrSet(&db->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                         "INSERT has %s expressions than target columns (%d for %d)",
                         a->rows[i]->n > want ? "more" : "fewer", a->rows[i]->n, want);
      }
      rc = tdbBindTableList(&db->mem, &db->err, st->sql, &db->catalog, NULL, a->rows[i]);
      if (rc == TDB_OK) rc = tdbPlanList(&pl, a->rows[i]);
      if (rc != TDB_OK) return rc;
    }
    if (a->select) {
      rc = tdbBindSelect(&db->mem, &db->err, st->sql, &db->catalog, a->select);
      if (rc != TDB_OK) return rc;
      if (a->select->nresult != want) {
        return tdbErrSet(&db->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                         "INSERT has %s expressions than target columns (%d for %d)",
                         a->select->nresult > want ? "more" : "fewer", a->select->nresult, want);
      }
      rc = tdbPlanSelect(&pl, a->select, &st->root);
      if (rc != TDB_OK) return rc;
    }
  } else {
    rc = tdbDmlPrepareKey(st, t);
    if (rc == TDB_OK) rc = tdbDmlPreparePortion(st, &pl);
    if (rc != TDB_OK) return rc;
    if (a->kind == TDB_STMT_UPDATE) {
      rc = tdbBindTableList(&db->mem, &db->err, st->sql, &db->catalog, st->target, a->set);
      if (rc == TDB_OK) rc = tdbPlanList(&pl, a->set);
      if (rc != TDB_OK) return rc;
    }
    rc = tdbBindTableCondition(&db->mem, &db->err, st->sql, &db->catalog, st->target, a->where,
                               "WHERE");
    if (rc == TDB_OK) rc = tdbPlanTableRows(&pl, st->target, a->where, &st->target_rows);
    if (rc != TDB_OK) return rc;
  }
  if (a->returning) {
    rc = tdbBindReturning(&db->mem, &db->err, st->sql, &db->catalog, st->target, a->returning);
    if (rc == TDB_OK) rc = tdbPlanList(&pl, a->returning);
    if (rc == TDB_OK && !a->explain) {
      char **names = tdbMemAllocZero(&db->mem, sizeof(char *) * (size_t)a->returning->n);
      if (!names) return tdbErrNoMem(&db->err);
      for (i = 0; i < a->returning->n && rc == TDB_OK; i++) {
        names[i] = tdbBindColumnName(&db->mem, st->sql, &a->returning->items[i]);
        if (!names[i]) rc = tdbErrNoMem(&db->err);
      }
      if (rc == TDB_OK) rc = tdbStmtSetColumns(st, a->returning->n, names);
      for (i = 0; i < a->returning->n; i++) tdbMemFree(&db->mem, names[i]);
      tdbMemFree(&db->mem, names);
    }
  }
  return rc;
}

/* ---- values --------------------------------------------------------------------- */

/* Convert v for storing in column c of t (the assignment rules of
** docs/types.md): NULL stays NULL; an untyped column takes any value; TEXT
** into JSON is validated, into VECTOR parsed; otherwise CAST. *out owned. */
static int tdbAssign(TdbDml *d, int c, const TdbValue *v, TdbValue *out) {
  const TdbColumnDef *col = &d->t->cols[c];
  TdbErr *err = &d->db->err;
  int rc;
  tdbValueSetNull(out);
  if (v->type == TDB_TYPE_INTERVAL) {
    return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_FEATURE,
                     "INTERVAL values cannot be stored (column \"%s\" of table \"%s\")",
                     col->name, d->t->name);
  }
  if (col->type == TDB_TYPE_NULL && v->type == TDB_TYPE_REAL && v->u.r >= -9.2e18 &&
      v->u.r <= 9.2e18 && v->u.r == (double)(int64_t)v->u.r) {
    /* an untyped column stores integral numbers as INTEGER, so 1.0 and 1 are
    ** one key in any index created later */
    tdbValueSetInt(out, (int64_t)v->u.r);
    return TDB_OK;
  }
  if (TDB_VALUE_IS_NULL(v) || col->type == TDB_TYPE_NULL || v->type == col->type) {
    if (col->type == TDB_TYPE_VECTOR && v->type == TDB_TYPE_VECTOR && col->dim > 0 &&
        v->n != (uint32_t)col->dim * 4) {
      return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DATA, "expected %d dimensions, got %u",
                       col->dim, (unsigned)(v->n / 4));
    }
    return tdbValueCopy(&d->db->mem, out, v) == TDB_OK ? TDB_OK : tdbErrNoMem(err);
  }
  if (col->type == TDB_TYPE_JSON && v->type == TDB_TYPE_TEXT) {
    rc = tdbJsonValidate(err, v->u.z, v->n);
    if (rc != TDB_OK) return rc;
    return tdbValueSetBytes(&d->db->mem, out, TDB_TYPE_JSON, v->u.z, v->n) == TDB_OK
               ? TDB_OK
               : tdbErrNoMem(err);
  }
  if (col->type == TDB_TYPE_VECTOR && (v->type == TDB_TYPE_TEXT || v->type == TDB_TYPE_JSON)) {
    return tdbVectorParse(&d->db->mem, err, v->u.z, v->n, col->dim, out);
  }
  rc = tdbValueCast(&d->db->mem, err, v, col->type, out);
  if (rc != TDB_OK) {
    /* say which column the value was for */
    TdbStr msg;
    tdbStrInit(&msg, &d->db->mem);
    tdbStrAppendf(&msg, "%s (column \"%s\" of table \"%s\")", tdbErrMessage(err), col->name,
                  d->t->name);
    if (!msg.oom) {
      char state[6];
      memcpy(state, err->sqlstate, 6);
      rc = tdbErrSet(err, err->code, state, "%s", msg.z);
    }
    tdbStrClear(&msg);
  }
  return rc;
}

/* An evaluation context over one row of scan width (vals). */
static void tdbDmlRowCtx(TdbDml *d, TdbEvalCtx *ctx, TdbValue **ptrs, TdbValue *vals) {
  int c;
  for (c = 0; c < d->width; c++) ptrs[c] = &vals[c];
  memset(ctx, 0, sizeof *ctx);
  ctx->mem = &d->db->mem;
  ctx->err = &d->db->err;
  ctx->params = d->ex->params;
  ctx->nparams = d->ex->nparams;
  ctx->cols = ptrs;
  ctx->ncols = d->width;
  ctx->rowidx = 0;
  ctx->exec = d->ex;
  ctx->now_micros = d->ex->now;
}

/* NOT NULL and CHECK constraints of a new row (scan width, pseudo-columns
** set). */
static int tdbDmlCheckRow(TdbDml *d, TdbValue *row) {
  const TdbTableDef *t = d->t;
  TdbValue **ptrs;
  TdbEvalCtx ctx;
  int c, i, rc = TDB_OK;
  for (c = 0; c < t->ncols; c++) {
    if (t->cols[c].notnull && TDB_VALUE_IS_NULL(&row[c])) {
      return tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_NOT_NULL,
                       "null value in column \"%s\" of table \"%s\" violates not-null constraint",
                       t->cols[c].name, t->name);
    }
  }
  if (t->nchecks == 0) return TDB_OK;
  ptrs = tdbMemAlloc(&d->db->mem, sizeof(TdbValue *) * (size_t)d->width);
  if (!ptrs) return tdbErrNoMem(&d->db->err);
  tdbDmlRowCtx(d, &ctx, ptrs, row);
  for (i = 0; i < t->nchecks && rc == TDB_OK; i++) {
    TdbValue v;
    int truth = 1;
    tdbValueSetNull(&v);
    rc = tdbExprEval(&ctx, t->checks[i].expr, &v);
    if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&v)) rc = tdbExprTruth(&ctx, &v, &truth);
    tdbValueClear(&d->db->mem, &v);
    if (rc == TDB_OK && truth == 0) {
      rc = tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_CHECK,
                     "new row for table \"%s\" violates check constraint %s", t->name,
                     t->checks[i].sql);
    }
  }
  tdbMemFree(&d->db->mem, ptrs);
  return rc;
}

/* ---- RETURNING --------------------------------------------------------------------- */

static int tdbDmlReturn(TdbDml *d, TdbValue *row) {
  TdbExprList *l = d->st->ast->returning;
  TdbValue **ptrs, *out;
  TdbEvalCtx ctx;
  int i, rc = TDB_OK;
  if (!l) return TDB_OK;
  ptrs = tdbMemAlloc(&d->db->mem, sizeof(TdbValue *) * (size_t)d->width);
  if (!ptrs) return tdbErrNoMem(&d->db->err);
  tdbDmlRowCtx(d, &ctx, ptrs, row);
  out = tdbRowSetAdd(&d->st->result, &d->db->mem);
  if (!out) rc = tdbErrNoMem(&d->db->err);
  for (i = 0; i < l->n && rc == TDB_OK; i++) {
    TdbValue v;
    tdbValueSetNull(&v);
    rc = tdbExprEval(&ctx, l->items[i].expr, &v);
    if (rc == TDB_OK && tdbValueCopy(&d->db->mem, &out[i], &v) != TDB_OK) rc = tdbErrNoMem(&d->db->err);
    tdbValueClear(&d->db->mem, &v);
  }
  tdbMemFree(&d->db->mem, ptrs);
  return rc;
}


/* ---- INSERT ------------------------------------------------------------------------ */

/* The next _rowid of a table without a declared key: one past the largest
** ever written (the history keyspace keeps every one, so none is reused). */
static int tdbLoadRowid(TdbDml *d) {
  TdbTableDef *t = d->t;
  TdbDbIter *it = NULL;
  unsigned char next[5];
  int rc;
  if (t->rowid_loaded) return TDB_OK;
  rc = tdbTxnIter(d->db, 0, &it);
  if (rc != TDB_OK) return rc;
  next[0] = TDB_KEYSPACE_HISTORY;
  tdbKeyPutU32BE(next + 1, t->id + 1);
  tdbDbIterSeek(it, next, 5);
  if (tdbDbIterValid(it)) tdbDbIterPrev(it);
  else tdbDbIterSeekLast(it);
  t->next_rowid = 1;
  if (tdbDbIterValid(it)) {
    size_t kn;
    const unsigned char *k = tdbDbIterKey(it, &kn);
    if (kn == 5 + 9 + 8 && k[0] == TDB_KEYSPACE_HISTORY && tdbKeyGetU32BE(k + 1) == t->id) {
      t->next_rowid = tdbKeyGetI64BE(k + 6) + 1;
    }
  }
  rc = tdbDbIterStatus(it);
  tdbDbIterFree(it);
  if (rc != TDB_OK) return tdbErrSet(&d->db->err, rc, NULL, "reading table %s failed", t->name);
  t->rowid_loaded = 1;
  return TDB_OK;
}

static void tdbDmlNoteBoundary(TdbDml *d, int64_t b) {
  if (b != INT64_MIN && b != INT64_MAX && b > d->boundary) d->boundary = b;
}

/* The valid period of a new row: the supplied _valid_from / _valid_to
** (src[i] for the listed names; NULL: unbounded), else [CVT, +inf). */
static int tdbDmlInsertPeriod(TdbDml *d, const TdbValue *src, int n, int64_t *vf, int64_t *vt) {
  const TdbNameList *names = d->st->ast->names;
  int i, from = 0, rc = TDB_OK;
  *vf = d->ex->cvt;
  *vt = INT64_MAX;
  for (i = 0; names && i < names->n && i < n && rc == TDB_OK; i++) {
    int is_from;
    if (names->names[i][0] != '_') continue; /* a column: neither name */
    is_from = strcmp(names->names[i], "_valid_from") == 0;
    int64_t *dst = is_from ? vf : vt;
    if (!is_from && strcmp(names->names[i], "_valid_to") != 0) continue;
    from |= is_from;
    if (TDB_VALUE_IS_NULL(&src[i])) *dst = is_from ? INT64_MIN : INT64_MAX;
    else rc = tdbValidInstant(d->ex, &src[i], dst);
  }
  if (rc != TDB_OK) return rc;
  tdbDmlNoteBoundary(d, *vt); /* a bounded piece ends there */
  d->insert_default_from = !from && !d->ex->cvt_fixed;
  if (*vf >= *vt) {
    return tdbErrSet(&d->db->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_INVALID_PERIOD,
                     "a row of table %s would be valid from %lld to %lld: _valid_from must be "
                     "below _valid_to", d->t->name, (long long)*vf, (long long)*vt);
  }
  return TDB_OK;
}

/* 23505 for a new piece of row over [vf, vt) overlapping its key's. */
static int tdbDmlDuplicateKey(TdbDml *d, const TdbValue *row, int64_t vf, int64_t vt) {
  const TdbTableDef *t = d->t;
  TdbStr keytext;
  int k, rc;
  tdbStrInit(&keytext, &d->db->mem);
  for (k = 0; k < t->npk; k++) {
    if (k) tdbStrAppendz(&keytext, ", ");
    tdbValueRender(&keytext, &row[t->pk[k]]);
  }
  if (vf == d->ex->cvt && vt == INT64_MAX) {
    rc = tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_UNIQUE,
                   "duplicate key value violates the primary key of table \"%s\": (%s)",
                   t->name, keytext.z ? keytext.z : "");
  } else {
    char from[24], to[24];
    if (vf == INT64_MIN) strcpy(from, "-inf");
    else snprintf(from, sizeof from, "%lld", (long long)vf);
    if (vt == INT64_MAX) strcpy(to, "+inf");
    else snprintf(to, sizeof to, "%lld", (long long)vt);
    rc = tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_UNIQUE,
                   "duplicate key value violates the primary key of table \"%s\": (%s) is "
                   "already valid during part of [%s, %s)", t->name, keytext.z ? keytext.z : "",
                   from, to);
  }
  tdbStrClear(&keytext);
  return rc;
}

/* The primary key and unique indexes for a new piece [vf, vt) of row.
** With REPLACE the overlapping coverage of the key is removed first (a
** DELETE over [vf, vt)); *skip is set for IGNORE. */
static int tdbDmlCheckNew(TdbDml *d, TdbValue *row, const TdbStr *rowkey, int64_t vf, int64_t vt,
                          int conflict, int *skip) {
  const TdbIndexDef *hit = NULL;
  int in_stmt = 0, found = 0, rc = TDB_OK;
  *skip = 0;
  if (d->t->npk > 0) { /* rowids are fresh: never in conflict */
    TdbRowSet old;
    tdbRowSetInit(&old, d->width);
    rc = tdbDmlKeyOverlap(d, rowkey->z, rowkey->n, vf, vt,
                          conflict == TDB_CONFLICT_REPLACE ? &old : NULL, &in_stmt, &found);
    if (rc == TDB_OK && (in_stmt || found)) {
      if (conflict == TDB_CONFLICT_IGNORE) {
        *skip = 1;
      } else if (conflict == TDB_CONFLICT_REPLACE && !in_stmt) {
        size_t r;
        int op = d->op;
        d->op = TDB_ROW_OP_DELETE; /* the replaced coverage is deleted */
        /* the pieces kept before the new row end at its valid_from */
        if (!d->insert_default_from) tdbDmlNoteBoundary(d, vf);
        for (r = 0; r < old.nrows && rc == TDB_OK; r++) {
          const TdbValue *o = tdbRowSetRow(&old, r);
          int64_t ovf, ovt;
          tdbDmlPieceTimes(d, o, &ovf, &ovt);
          rc = tdbDmlSplit(d, rowkey->z, rowkey->n, o, tdbDmlPieceFlags(d, o), ovf, ovt,
                           TDB_MAX(ovf, vf), TDB_MIN(ovt, vt));
        }
        d->op = op;
      } else {
        rc = tdbDmlDuplicateKey(d, row, vf, vt);
      }
    }
    tdbRowSetFree(&old, &d->db->mem);
  }
  if (rc != TDB_OK || *skip || vt != INT64_MAX) return rc;
  rc = tdbDmlUniqueHit(d, row, &hit);
  if (rc == TDB_OK && hit) {
    if (conflict == TDB_CONFLICT_IGNORE) {
      *skip = 1;
    } else {
      rc = tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_UNIQUE,
                     "duplicate key value violates unique constraint \"%s\"", hit->name);
    }
  }
  return rc;
}

/* Insert one row whose supplied values are src[0..n) for the listed
** columns (all columns when the statement lists none). */
static int tdbDmlInsertRow(TdbDml *d, const TdbValue *src, int n) {
  const TdbAstStmt *a = d->st->ast;
  const TdbTableDef *t = d->t;
  TdbValue *row = tdbMemAllocZero(&d->db->mem, sizeof(TdbValue) * (size_t)d->width);
  TdbEvalCtx ctx;
  TdbStr *rowkey = &d->newkey; /* kept with the statement (dml.h) */
  int64_t vf = 0, vt = 0;
  int c, i, rc = TDB_OK, skip = 0;
  if (!row) return tdbErrNoMem(&d->db->err);
  for (c = 0; c < d->width; c++) tdbValueSetNull(&row[c]);
  tdbExecEvalCtx(d->ex, &ctx, NULL, NULL, 0);
  /* defaults first, then the supplied values */
  for (c = 0; c < t->ncols && rc == TDB_OK; c++) {
    int supplied = 0;
    if (!t->cols[c].dflt) continue; /* nothing to put before the supplied values */
    if (a->names) {
      for (i = 0; i < a->names->n; i++) supplied |= strcmp(a->names->names[i], t->cols[c].name) == 0;
    } else {
      supplied = n > 0;
    }
    if (!supplied) {
      TdbValue v;
      tdbValueSetNull(&v);
      rc = tdbExprEval(&ctx, t->cols[c].dflt, &v);
      if (rc == TDB_OK) rc = tdbAssign(d, c, &v, &row[c]);
      tdbValueClear(&d->db->mem, &v);
    }
  }
  for (i = 0; i < n && rc == TDB_OK; i++) {
    c = a->names ? tdbTableColumn(t, a->names->names[i]) : tdbTableVisibleColumn(t, i);
    if (c < 0) continue; /* _valid_from / _valid_to: the period below */
    tdbValueClear(&d->db->mem, &row[c]);
    rc = tdbAssign(d, c, &src[i], &row[c]);
  }
  if (rc == TDB_OK) rc = tdbDmlInsertPeriod(d, src, n, &vf, &vt);
  if (rc == TDB_OK && t->npk == 0) {
    tdbValueSetInt(&row[tdbScanPseudo(t, TDB_PSEUDO_ROWID)], d->t->next_rowid);
  }
  if (rc == TDB_OK) {
    tdbDmlSetTimes(d, row, vf, vt);
    rc = tdbDmlCheckRow(d, row);
  }
  if (rc == TDB_OK) rc = tdbDmlRowKey(d, rowkey, row);
  if (rc == TDB_OK) rc = tdbDmlCheckNew(d, row, rowkey, vf, vt, a->conflict, &skip);
  if (rc == TDB_OK && !skip) {
    if (t->npk == 0) d->t->next_rowid++;
    rc = tdbDmlPutPiece(d, rowkey->z, rowkey->n, row, 0, vf, vt);
    if (rc == TDB_OK) rc = tdbDmlReturn(d, row);
    d->changes++;
  }
  for (c = 0; c < d->width; c++) tdbValueClear(&d->db->mem, &row[c]);
  tdbMemFree(&d->db->mem, row);
  return rc;
}

static int tdbDmlInsert(TdbDml *d) {
  tdb_stmt *st = d->st;
  const TdbAstStmt *a = st->ast;
  int rc = TDB_OK, i, j;
  if (d->t->npk == 0) {
    rc = tdbLoadRowid(d);
    if (rc != TDB_OK) return rc;
  }
  /* one row: no later row of the statement can meet its piece or values */
  d->note_added = a->default_values || (a->nrows == 1 && !a->select) ? 0 : 1;
  if (a->default_values) return tdbDmlInsertRow(d, NULL, 0);
  for (i = 0; i < a->nrows && rc == TDB_OK; i++) {
    const TdbExprList *l = a->rows[i];
    TdbValue *vals = tdbMemAllocZero(&d->db->mem, sizeof(TdbValue) * (size_t)l->n);
    TdbEvalCtx ctx;
    if (!vals) return tdbErrNoMem(&d->db->err);
    tdbExecEvalCtx(d->ex, &ctx, NULL, NULL, 0);
    for (j = 0; j < l->n && rc == TDB_OK; j++) {
      tdbValueSetNull(&vals[j]);
      rc = tdbExprEval(&ctx, l->items[j].expr, &vals[j]);
    }
    if (rc == TDB_OK) rc = tdbDmlInsertRow(d, vals, l->n);
    for (j = 0; j < l->n; j++) tdbValueClear(&d->db->mem, &vals[j]);
    tdbMemFree(&d->db->mem, vals);
  }
  if (a->select && rc == TDB_OK) {
    /* the SELECT reads the state before the statement: collect it first */
    TdbRowSet rows;
    size_t r;
    tdbRowSetInit(&rows, a->select->nresult);
    rc = tdbPlanOpen(d->ex, st->root, NULL);
    while (rc == TDB_OK) {
      TdbChunk *ch;
      int live, k;
      rc = tdbPlanNext(d->ex, st->root, &ch);
      if (rc != TDB_OK) break;
      live = TDB_CHUNK_LIVE(ch);
      if (live == 0) break;
      for (k = 0; k < live && rc == TDB_OK; k++) {
        TdbValue *out = tdbRowSetAdd(&rows, &d->db->mem);
        int rr = TDB_CHUNK_ROW(ch, k);
        if (!out) rc = tdbErrNoMem(&d->db->err);
        for (j = 0; j < rows.ncols && rc == TDB_OK; j++) {
          if (tdbValueCopy(&d->db->mem, &out[j], &ch->col[j][rr]) != TDB_OK) rc = tdbErrNoMem(&d->db->err);
        }
      }
    }
    tdbPlanClose(d->ex, st->root);
    for (r = 0; r < rows.nrows && rc == TDB_OK; r++) {
      rc = tdbDmlInsertRow(d, tdbRowSetRow(&rows, r), rows.ncols);
    }
    tdbRowSetFree(&rows, &d->db->mem);
  }
  return rc;
}

/* CREATE TABLE ... AS: insert rows (one value per visible column each) into
** the new table t, which is not in the catalog yet, adding the writes to
** *batch (not committed: the caller commits them with the catalog entry). */
TDB_PRIVATE int tdbDmlFillNewTable(tdb_stmt *st, TdbTableDef *t, const TdbRowSet *rows,
                                   TdbBatch *batch) {
  TdbDml d;
  size_t r;
  int rc = TDB_OK;
  tdbDmlInit(&d, st, t);
  tdbBatchFree(&d.batch);
  d.batch = *batch; /* moved in, moved back below */
  for (r = 0; r < rows->nrows && rc == TDB_OK; r++) {
    rc = tdbDmlInsertRow(&d, tdbRowSetRow(rows, r), rows->ncols);
  }
  if (rc == TDB_OK) d.db->changes = d.changes;
  *batch = d.batch;
  tdbBatchInit(&d.batch, &d.db->mem);
  tdbDmlFree(&d);
  return rc;
}

/* ---- UPDATE, PATCH, DELETE, SOFT DELETE, UNDELETE ---------------------------------- */

/* The portion [pa, pb) the statement acts on: FOR PORTION OF, else
** [CVT, +inf). */
static int tdbDmlPortion(TdbDml *d) {
  const TdbTemporal *w = d->st->ast->wclauses;
  TdbEvalCtx ctx;
  TdbValue a, b;
  int rc;
  d->pa = d->ex->cvt;
  d->pb = INT64_MAX;
  if (!w || !w->portion.kind) {
    /* the pieces kept before the portion end at the CVT */
    if (d->ex->cvt_fixed) tdbDmlNoteBoundary(d, d->ex->cvt);
    return TDB_OK;
  }
  d->pa = INT64_MIN;
  if (w->portion.kind == TDB_TSEL_ALL) return TDB_OK;
  tdbExecEvalCtx(d->ex, &ctx, NULL, NULL, 0);
  tdbValueSetNull(&a);
  tdbValueSetNull(&b);
  rc = tdbExprEval(&ctx, w->portion.a, &a);
  if (rc == TDB_OK) rc = tdbExprEval(&ctx, w->portion.b, &b);
  if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&a)) rc = tdbValidInstant(d->ex, &a, &d->pa);
  if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&b)) rc = tdbValidInstant(d->ex, &b, &d->pb);
  tdbValueClear(&d->db->mem, &a);
  tdbValueClear(&d->db->mem, &b);
  if (rc != TDB_OK) return rc;
  if (d->pa > d->pb) {
    return tdbErrSet(&d->db->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_INVALID_PERIOD,
                     "FOR PORTION OF ... FROM %lld TO %lld: the portion ends before it starts",
                     (long long)d->pa, (long long)d->pb);
  }
  tdbDmlNoteBoundary(d, d->pa);
  tdbDmlNoteBoundary(d, d->pb);
  return TDB_OK;
}

/* Collect the target pieces (scan width) before changing anything: those
** of W overlapping the portion, live ones, tombstones or both by the kind
** of statement. */
static int tdbDmlTargets(TdbDml *d, TdbRowSet *rows) { /* rows: empty, scan width */
  TdbPlan *p = d->st->target_rows, *leaf = p;
  int rc, j;
  if (d->pa >= d->pb) return TDB_OK; /* an empty portion matches nothing */
  while (leaf->kind != TDB_PLAN_SCAN && leaf->child) leaf = leaf->child;
  leaf->tgt_deleted = d->op == TDB_ROW_OP_DELETE ? 1 : d->op == TDB_ROW_OP_UNDELETE ? 2 : 0;
  leaf->tgt_from = d->pa;
  leaf->tgt_to = d->pb;
  /* below the current bound a key may have bounded pieces: the history */
  leaf->tgt_history = d->pa < d->bound;
  rc = tdbPlanOpen(d->ex, p, NULL);
  while (rc == TDB_OK) {
    TdbChunk *ch;
    int live, k;
    rc = tdbPlanNext(d->ex, p, &ch);
    if (rc != TDB_OK) break;
    live = TDB_CHUNK_LIVE(ch);
    if (live == 0) break;
    for (k = 0; k < live && rc == TDB_OK; k++) {
      TdbValue *out = tdbRowSetAdd(rows, &d->db->mem);
      int rr = TDB_CHUNK_ROW(ch, k);
      if (!out) rc = tdbErrNoMem(&d->db->err);
      for (j = 0; j < d->width && rc == TDB_OK; j++) {
        if (tdbValueCopy(&d->db->mem, &out[j], &ch->col[j][rr]) != TDB_OK) rc = tdbErrNoMem(&d->db->err);
      }
    }
  }
  tdbPlanClose(d->ex, p);
  return rc;
}

static int tdbSameValue(const TdbValue *a, const TdbValue *b) {
  if (a->type != b->type) return 0;
  if (a->type == TDB_TYPE_NULL) return 1;
  if (TDB_TYPE_HAS_BYTES(a->type)) return a->n == b->n && memcmp(a->u.z, b->u.z, a->n) == 0;
  if (a->type == TDB_TYPE_REAL) return memcmp(&a->u.r, &b->u.r, sizeof(double)) == 0;
  return a->u.i == b->u.i;
}

/* The new content N of target `old` into nv (a copy of old): the SET list
** of UPDATE / PATCH; SOFT DELETE and UNDELETE only change the flag. */
static int tdbDmlNewContent(TdbDml *d, TdbValue *old, TdbValue *nv, TdbValue **ptrs) {
  const TdbAstStmt *a = d->st->ast;
  TdbEvalCtx ctx;
  int c, i, rc = TDB_OK;
  for (c = 0; c < d->width && rc == TDB_OK; c++) {
    if (tdbValueCopy(&d->db->mem, &nv[c], &old[c]) != TDB_OK) rc = tdbErrNoMem(&d->db->err);
  }
  if (d->op != TDB_ROW_OP_UPDATE && d->op != TDB_ROW_OP_PATCH) return rc;
  tdbDmlRowCtx(d, &ctx, ptrs, old);
  for (i = 0; i < a->set->n && rc == TDB_OK; i++) {
    TdbValue v;
    c = tdbTableColumn(d->t, a->names->names[i]);
    tdbValueSetNull(&v);
    rc = tdbExprEval(&ctx, a->set->items[i].expr, &v);
    if (rc == TDB_OK) {
      tdbValueClear(&d->db->mem, &nv[c]);
      rc = tdbAssign(d, c, &v, &nv[c]);
    }
    tdbValueClear(&d->db->mem, &v);
  }
  return rc;
}

static const char *tdbDmlOpName(int op) {
  switch (op) {
    case TDB_ROW_OP_PATCH: return "PATCH";
    case TDB_ROW_OP_SOFT_DELETE: return "SOFT DELETE";
    case TDB_ROW_OP_UNDELETE: return "UNDELETE";
    case TDB_ROW_OP_DELETE: return "DELETE";
    default: return "UPDATE";
  }
}

/* UPDATE, PATCH, DELETE, SOFT DELETE, UNDELETE: the replacement rule of
** TEMPORAL.md §1.6 for every target, in two phases (all removals first,
** then the new pieces, checked against the state the removals leave). */
static int tdbDmlModify(TdbDml *d) {
  const TdbAstStmt *a = d->st->ast;
  TdbRowSet *targets = &d->targets, *news = &d->news;
  TdbStr *oldkey = &d->oldkey, *newkey = &d->newkey;
  TdbValue **ptrs;
  uint8_t *skip = NULL;   /* per target: 1 no-op, 2 deleted (no new piece) */
  size_t r;
  int rc, c;
  ptrs = tdbMemAlloc(&d->db->mem, sizeof(TdbValue *) * (size_t)d->width);
  rc = ptrs ? tdbDmlPortion(d) : tdbErrNoMem(&d->db->err);
  if (rc == TDB_OK) rc = tdbDmlTargets(d, targets);
  if (rc == TDB_OK && a->key && targets->nrows == 0) {
    rc = tdbErrSet(&d->db->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_NO_SUCH_KEY,
                   "%s %s KEY ...: no %s of that key is valid in the portion", tdbDmlOpName(d->op),
                   d->t->name, d->op == TDB_ROW_OP_UNDELETE ? "deleted row" : "row");
  }
  if (rc == TDB_OK) skip = tdbMemAllocZero(&d->db->mem, targets->nrows + 1);
  if (rc == TDB_OK && !skip) rc = tdbErrNoMem(&d->db->err);
  /* phase 1: the new contents; the targets leave W, keeping their parts
  ** outside the portion */
  for (r = 0; r < targets->nrows && rc == TDB_OK; r++) {
    TdbValue *old = tdbRowSetRow(targets, r);
    TdbValue *nv = tdbRowSetAdd(news, &d->db->mem);
    int64_t vf, vt, of, ot;
    int flags = tdbDmlPieceFlags(d, old), nflags = flags, same = 1;
    if (!nv) {
      rc = tdbErrNoMem(&d->db->err);
      break;
    }
    tdbDmlPieceTimes(d, old, &vf, &vt);
    of = TDB_MAX(vf, d->pa);
    ot = TDB_MIN(vt, d->pb);
    rc = tdbDmlNewContent(d, old, nv, ptrs);
    if (rc != TDB_OK) break;
    if (d->op == TDB_ROW_OP_SOFT_DELETE) nflags = TDB_ROW_FLAG_TOMBSTONE;
    if (d->op == TDB_ROW_OP_UNDELETE) nflags = 0;
    d->changes++;
    for (c = 0; c < d->t->ncols; c++) {
      if (!tdbSameValue(&nv[c], &old[c])) same = 0;
    }
    if (d->op != TDB_ROW_OP_DELETE && same && nflags == flags) {
      skip[r] = 1; /* no-op elision: the version stays as it is */
      rc = tdbDmlReturn(d, old);
      continue;
    }
    rc = tdbDmlRowKey(d, oldkey, old);
    if (rc == TDB_OK) rc = tdbDmlSplit(d, oldkey->z, oldkey->n, old, flags, vf, vt, of, ot);
    if (rc != TDB_OK) break;
    if (d->op == TDB_ROW_OP_DELETE) {
      skip[r] = 2;
      rc = tdbDmlReturn(d, old);
      continue;
    }
    tdbDmlSetTimes(d, nv, of, ot);
    tdbValueSetBool(&nv[tdbScanPseudo(d->t, TDB_PSEUDO_IS_DELETED)], nflags != 0);
    if (!nflags) rc = tdbDmlCheckRow(d, nv);
  }
  /* phase 2: the new pieces; a moved key must be free over the portion */
  for (r = 0; r < news->nrows && rc == TDB_OK; r++) {
    TdbValue *old = tdbRowSetRow(targets, r), *nv = tdbRowSetRow(news, r);
    int64_t of, ot;
    int nflags = tdbDmlPieceFlags(d, nv);
    if (skip[r]) continue;
    tdbDmlPieceTimes(d, nv, &of, &ot);
    rc = tdbDmlRowKey(d, oldkey, old);
    if (rc == TDB_OK) rc = tdbDmlRowKey(d, newkey, nv);
    if (rc == TDB_OK && (newkey->n != oldkey->n || memcmp(newkey->z, oldkey->z, newkey->n) != 0)) {
      int in_stmt = 0, found = 0;
      rc = tdbDmlKeyOverlap(d, newkey->z, newkey->n, of, ot, NULL, &in_stmt, &found);
      if (rc == TDB_OK && (in_stmt || found)) rc = tdbDmlDuplicateKey(d, nv, of, ot);
    }
    if (rc == TDB_OK && ot == INT64_MAX && !nflags) {
      const TdbIndexDef *hit = NULL;
      rc = tdbDmlUniqueHit(d, nv, &hit);
      if (rc == TDB_OK && hit) {
        rc = tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_UNIQUE,
                       "duplicate key value violates unique constraint \"%s\"", hit->name);
      }
    }
    if (rc == TDB_OK) rc = tdbDmlPutPiece(d, newkey->z, newkey->n, nv, nflags, of, ot);
    if (rc == TDB_OK) rc = tdbDmlReturn(d, nv);
  }
  tdbMemFree(&d->db->mem, skip);
  tdbMemFree(&d->db->mem, ptrs);
  return rc; /* targets, news, oldkey, newkey: tdbDmlFree */
}

TDB_PRIVATE int tdbExecDml(tdb_stmt *st) {
  TdbDml d;
  const TdbAstStmt *a = st->ast;
  int64_t saved_rowid;
  int rc, saved_loaded;
  tdbDmlInit(&d, st, (TdbTableDef *)st->target->table);
  if (a->kind == TDB_STMT_UPDATE) d.op = a->row_op ? a->row_op : TDB_ROW_OP_UPDATE;
  else if (a->kind == TDB_STMT_DELETE) d.op = a->row_op ? a->row_op : TDB_ROW_OP_DELETE;
  saved_rowid = d.t->next_rowid;
  saved_loaded = d.t->rowid_loaded;
  tdbRowSetFree(&st->result, &d.db->mem);
  tdbRowSetInit(&st->result, a->returning ? a->returning->n : 0);
  rc = tdbTemporalCurrentBound(d.ex, d.t, &d.bound);
  if (rc == TDB_OK) rc = a->kind == TDB_STMT_INSERT ? tdbDmlInsert(&d) : tdbDmlModify(&d);
  if (rc == TDB_OK && d.batch.count > 0) {
    rc = tdbTemporalNoteWrite(d.db, &d.batch, d.t, d.boundary);
  }
  if (rc == TDB_OK && d.batch.count > 0) rc = tdbDbCommit(d.db, &d.batch);
  if (rc == TDB_OK) {
    d.db->changes = d.changes;
    st->use_result = a->returning != NULL;
  } else {
    d.t->next_rowid = saved_rowid; /* nothing of the statement remains */
    d.t->rowid_loaded = saved_loaded;
    tdbRowSetFree(&st->result, &d.db->mem);
  }
  tdbDmlFree(&d);
  return rc;
}
