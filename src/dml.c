/*
** dml.c — INSERT, UPDATE and DELETE (TEMPORAL.md §1.6 with the default
** valid-time portion [CVT, +inf)).
**
** A statement is atomic: every write goes into one store batch committed as
** one epoch at the end; an error anywhere discards the batch, so nothing of
** the statement remains and no epoch is used. UPDATE and DELETE choose all
** their target rows before changing anything, and uniqueness is checked
** after the statement's removals are known, so `SET id = 3 - id` swaps keys.
**
** Writes of one row version (rows.h has the keys):
**
**   new piece       put 0x03 key -> value; put 0x04 key -> value; put index
**                   entries
**   close at CVT    (piece started before CVT) delete the 0x03 key and its
**                   index entries; put the 0x04 key -> the old content with
**                   valid_to = CVT
**   remove          (piece starts at or after CVT) delete the 0x03 key and
**                   its index entries; put the 0x04 key with the REMOVED flag
**
** So the current rows (0x03) and indexes (0x05) hold only pieces valid from
** the time of their write on; with the store's "latest" retention for those
** keyspaces (store.h) a key updated a thousand times costs a scan what a key
** written once does. Past pieces are read from the history (0x04).
*/
#include "db.h"
#include "binder.h"
#include "hashset.h"
#include "json.h"
#include "keycodec.h"
#include "planner.h"
#include "rowcodec.h"
#include "rows.h"
#include "temporal.h"
#include "temporal_session.h"

typedef struct TdbDml {
  tdb_stmt *st;
  tdb *db;
  TdbTableDef *t;
  TdbExec *ex;
  TdbBatch batch;
  TdbHashSet removed;     /* row keys (0x03) this statement closed or removed */
  TdbHashSet added_pk;    /* primary keys this statement gave a piece over [CVT, inf) */
  TdbHashSet added_uniq;  /* index id | values of unique entries added */
  int width;              /* scan width of the table */
  TdbValue *defaults;     /* the table's DEFAULTs, for old versions (lazily) */
  int64_t changes;
  TdbStr key2, val;
} TdbDml;

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

/* Resolve a column name of the target for writing. */
static int tdbDmlColumn(tdb *db, const TdbTableDef *t, const char *name, int *col) {
  *col = tdbTableColumn(t, name);
  if (*col >= 0) return TDB_OK;
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
      rc = tdbDmlColumn(db, t, a->names->names[i], &c);
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

/* ---- row keys and uniqueness ---------------------------------------------------- */

/* The current row key of row (keyspace ks): prefix and primary key. */
static int tdbDmlRowKey(TdbDml *d, TdbStr *out, int ks, const TdbValue *row) {
  const TdbTableDef *t = d->t;
  int64_t rowid = 0;
  int rc;
  out->n = 0;
  if (t->npk == 0) rowid = row[tdbScanPseudo(t, TDB_PSEUDO_ROWID)].u.i;
  tdbRowKeyPrefix(out, ks, t->id);
  rc = tdbRowKeyAppendPk(out, t, row, rowid);
  if (rc == TDB_OK && out->oom) rc = TDB_NOMEM;
  if (rc == TDB_NOMEM) return tdbErrNoMem(&d->db->err);
  if (rc != TDB_OK) {
    return tdbErrSet(&d->db->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                     "a key value of table %s cannot be stored", t->name);
  }
  return TDB_OK;
}

typedef struct TdbConflict {
  TdbDml *d;
  int found;
  TdbStr rowkey;        /* the conflicting piece */
  TdbValue *vals;       /* its values (scan width, owned), for REPLACE */
  int64_t vf, vt;
} TdbConflict;

/* A current piece of the key overlapping [CVT, inf) that this statement did
** not already remove. */
static int tdbPkConflictFn(void *ctx, const TdbPiece *piece) {
  TdbConflict *cf = ctx;
  uint32_t id;
  int c;
  if (piece->valid_to <= cf->d->ex->cvt) return TDB_OK;
  if (tdbHashSetFind(&cf->d->removed, piece->key, piece->key_len, 0, &id, NULL) == TDB_OK) {
    return TDB_OK;
  }
  cf->found = 1;
  tdbStrAppend(&cf->rowkey, (const char *)piece->key, piece->key_len);
  if (cf->vals) {
    for (c = 0; c < cf->d->t->ncols; c++) {
      if (tdbValueCopy(&cf->d->db->mem, &cf->vals[c], &piece->vals[c]) != TDB_OK) return TDB_NOMEM;
    }
    if (cf->d->t->npk == 0) tdbValueSetInt(&cf->vals[tdbScanPseudo(cf->d->t, TDB_PSEUDO_ROWID)], piece->rowid);
  }
  cf->vf = piece->valid_from;
  cf->vt = piece->valid_to;
  return TDB_DONE;
}

/* Write the removal of piece (key k of the current rows keyspace, values
** vals, valid [vf, vt)) over [CVT, inf): close it at CVT or remove it. */
static int tdbDmlRemovePiece(TdbDml *d, const char *k, size_t kn, const TdbValue *vals,
                             int64_t vf, int64_t vt, int op);

/* Does a new piece with row `row` conflict with the primary key or a unique
** index? With REPLACE the conflicting rows are removed instead. *skip is set
** for IGNORE. */
static int tdbDmlCheckUnique(TdbDml *d, TdbValue *row, int conflict, int *skip) {
  const TdbTableDef *t = d->t;
  TdbConflict cf;
  TdbStr pk;
  uint32_t id;
  int rc = TDB_OK, i, k, pass;
  *skip = 0;
  tdbStrInit(&pk, &d->db->mem);
  memset(&cf, 0, sizeof cf);
  cf.d = d;
  tdbStrInit(&cf.rowkey, &d->db->mem);
  /* the primary key (rowids are fresh: never in conflict) */
  if (t->npk > 0) {
    rc = tdbDmlRowKey(d, &pk, TDB_KEYSPACE_ROWS, row);
    for (pass = 0; rc == TDB_OK && pass < 2; pass++) {
      int in_stmt = tdbHashSetFind(&d->added_pk, pk.z + 5, pk.n - 5, 0, &id, NULL) == TDB_OK;
      cf.found = 0;
      cf.rowkey.n = 0;
      cf.vals = NULL;
      if (!in_stmt) {
        rc = tdbTableForEach(d->db, t, pk.z + 5, pk.n - 5, NULL, tdbPkConflictFn, &cf);
        if (rc == TDB_DONE) rc = TDB_OK;
      }
      if (rc != TDB_OK || (!in_stmt && !cf.found)) break;
      if (conflict == TDB_CONFLICT_IGNORE) {
        *skip = 1;
        break;
      }
      if (conflict != TDB_CONFLICT_REPLACE || in_stmt || pass > 0) {
        TdbStr keytext;
        tdbStrInit(&keytext, &d->db->mem);
        for (k = 0; k < t->npk; k++) {
          if (k) tdbStrAppendz(&keytext, ", ");
          tdbValueRender(&keytext, &row[t->pk[k]]);
        }
        rc = tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_UNIQUE,
                       "duplicate key value violates the primary key of table \"%s\": (%s)",
                       t->name, keytext.z ? keytext.z : "");
        tdbStrClear(&keytext);
        break;
      }
      /* REPLACE: remove the old row, then check again */
      cf.vals = tdbMemAllocZero(&d->db->mem, sizeof(TdbValue) * (size_t)d->width);
      if (!cf.vals) {
        rc = tdbErrNoMem(&d->db->err);
        break;
      }
      cf.found = 0;
      cf.rowkey.n = 0;
      if (!d->defaults) { /* the old row's absent columns read their DEFAULT */
        d->defaults = tdbMemAllocZero(&d->db->mem, sizeof(TdbValue) * (size_t)(t->ncols + 1));
        rc = d->defaults ? tdbTableDefaults(&d->db->mem, &d->db->err, d->ex->now, t, d->defaults)
                         : tdbErrNoMem(&d->db->err);
        if (rc != TDB_OK) break;
      }
      rc = tdbTableForEach(d->db, t, pk.z + 5, pk.n - 5, d->defaults, tdbPkConflictFn, &cf);
      if (rc == TDB_DONE) rc = TDB_OK;
      if (rc == TDB_OK && cf.found) {
        rc = tdbDmlRemovePiece(d, cf.rowkey.z, cf.rowkey.n, cf.vals, cf.vf, cf.vt,
                               TDB_ROW_OP_DELETE);
      }
      for (k = 0; k < d->width; k++) tdbValueClear(&d->db->mem, &cf.vals[k]);
      tdbMemFree(&d->db->mem, cf.vals);
      cf.vals = NULL;
    }
  }
  /* unique indexes */
  for (i = 0; rc == TDB_OK && !*skip && i < t->nindexes; i++) {
    const TdbIndexDef *ix = t->indexes[i];
    TdbDbIter *it = NULL;
    TdbStr prefix;
    int has_null = 0, hit = 0;
    if (!ix->unique) continue;
    for (k = 0; k < ix->ncols; k++) has_null |= TDB_VALUE_IS_NULL(&row[ix->col[k]]);
    if (has_null) continue;
    tdbStrInit(&prefix, &d->db->mem);
    tdbRowKeyPrefix(&prefix, TDB_KEYSPACE_INDEX, ix->id);
    for (k = 0; k < ix->ncols && rc == TDB_OK; k++) {
      if (tdbKeyEncodeValue(&prefix, &row[ix->col[k]]) != TDB_OK) rc = tdbErrNoMem(&d->db->err);
    }
    if (rc == TDB_OK && prefix.oom) rc = tdbErrNoMem(&d->db->err);
    if (rc == TDB_OK && tdbHashSetFind(&d->added_uniq, prefix.z, prefix.n, 0, &id, NULL) == TDB_OK) {
      hit = 1;
    }
    if (rc == TDB_OK && !hit) rc = tdbTxnIter(d->db, 0, &it);
    if (rc == TDB_OK && !hit) {
      for (tdbDbIterSeek(it, prefix.z, prefix.n); tdbDbIterValid(it) && rc == TDB_OK;
           tdbDbIterNext(it)) {
        size_t kn;
        const unsigned char *key = tdbDbIterKey(it, &kn);
        int found = 0;
        if (kn < prefix.n || memcmp(key, prefix.z, prefix.n) != 0) break;
        /* the row of the entry: rows keyspace | table | entry tail */
        d->key2.n = 0;
        tdbRowKeyPrefix(&d->key2, TDB_KEYSPACE_ROWS, t->id);
        tdbStrAppend(&d->key2, (const char *)key + prefix.n, kn - prefix.n);
        if (d->key2.oom) {
          rc = tdbErrNoMem(&d->db->err);
          break;
        }
        if (tdbHashSetFind(&d->removed, d->key2.z, d->key2.n, 0, &id, NULL) == TDB_OK) continue;
        rc = tdbTxnGet(d->db, 0, d->key2.z, d->key2.n, &d->val, &found);
        if (rc == TDB_OK && found) {
          TdbRow hdr;
          size_t off, rn;
          const unsigned char *rv;
          int64_t vf;
          if (tdbCurrentValue((const unsigned char *)d->val.z, d->val.n, &vf, &rv, &rn) == TDB_OK &&
              tdbRowDecodeHeader(rv, rn, &hdr, &off) == TDB_OK && hdr.valid_to > d->ex->cvt) {
            hit = 1;
            break;
          }
        }
      }
      if (rc == TDB_OK) rc = tdbDbIterStatus(it);
      tdbDbIterFree(it);
    }
    tdbStrClear(&prefix);
    if (rc == TDB_OK && hit) {
      if (conflict == TDB_CONFLICT_IGNORE) {
        *skip = 1;
      } else {
        rc = tdbErrSet(&d->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_UNIQUE,
                       "duplicate key value violates unique constraint \"%s\"", ix->name);
      }
    }
  }
  tdbStrClear(&pk);
  tdbStrClear(&cf.rowkey);
  return rc;
}

/* Record the unique index values and the key of a new piece. */
static int tdbDmlNoteAdded(TdbDml *d, const TdbValue *row, const char *rowkey, size_t n) {
  const TdbTableDef *t = d->t;
  uint32_t id;
  int i, k;
  if (t->npk > 0 && tdbHashSetFind(&d->added_pk, rowkey + 5, n - 5, 1, &id, NULL) != TDB_OK) {
    return tdbErrNoMem(&d->db->err);
  }
  for (i = 0; i < t->nindexes; i++) {
    const TdbIndexDef *ix = t->indexes[i];
    int has_null = 0;
    if (!ix->unique) continue;
    for (k = 0; k < ix->ncols; k++) has_null |= TDB_VALUE_IS_NULL(&row[ix->col[k]]);
    if (has_null) continue;
    d->key2.n = 0;
    tdbRowKeyPrefix(&d->key2, TDB_KEYSPACE_INDEX, ix->id);
    for (k = 0; k < ix->ncols; k++) tdbKeyEncodeValue(&d->key2, &row[ix->col[k]]);
    if (d->key2.oom || tdbHashSetFind(&d->added_uniq, d->key2.z, d->key2.n, 1, &id, NULL) != TDB_OK) {
      return tdbErrNoMem(&d->db->err);
    }
  }
  return TDB_OK;
}

/* ---- writes ----------------------------------------------------------------------- */

/* Put a row version [vf, vt) into the history, and with `current` into the
** current rows too. k is its current row key. */
static int tdbDmlPutVersion(TdbDml *d, const char *k, size_t kn, const TdbValue *vals, int flags,
                            int op, int64_t vf, int64_t vt, int current) {
  unsigned char from[8];
  int rc;
  d->val.n = 0;
  tdbKeyPutI64BE(from, vf);
  tdbStrAppend(&d->val, (const char *)from, 8); /* the current value starts with valid_from */
  rc = tdbRowValue(&d->val, d->t, vals, flags, op, vt);
  if (rc != TDB_OK) return rc == TDB_NOMEM ? tdbErrNoMem(&d->db->err)
                                           : tdbErrSet(&d->db->err, rc, NULL, "row encoding failed");
  if (d->val.oom) return tdbErrNoMem(&d->db->err);
  if (current && tdbBatchPut(&d->batch, k, kn, d->val.z, d->val.n) != TDB_OK) {
    return tdbErrNoMem(&d->db->err);
  }
  /* history key: the current key with valid_from after it */
  d->key2.n = 0;
  tdbStrAppend(&d->key2, k, kn);
  tdbStrAppend(&d->key2, (const char *)from, 8);
  if (d->key2.oom) return tdbErrNoMem(&d->db->err);
  d->key2.z[0] = TDB_KEYSPACE_HISTORY;
  if (tdbBatchPut(&d->batch, d->key2.z, d->key2.n, d->val.z + 8, d->val.n - 8) != TDB_OK) {
    return tdbErrNoMem(&d->db->err);
  }
  return TDB_OK;
}

/* Put or delete the index entries of a piece. */
static int tdbDmlIndexEntries(TdbDml *d, const char *k, size_t kn, const TdbValue *vals, int put) {
  int i, rc;
  for (i = 0; i < d->t->nindexes; i++) {
    d->key2.n = 0;
    rc = tdbIndexKey(&d->key2, d->t->indexes[i], vals, k, kn);
    if (rc == TDB_NOMEM) return tdbErrNoMem(&d->db->err);
    if (rc != TDB_OK) {
      return tdbErrSet(&d->db->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                       "index \"%s\": a JSON or VECTOR value cannot be indexed",
                       d->t->indexes[i]->name);
    }
    rc = put ? tdbBatchPut(&d->batch, d->key2.z, d->key2.n, "", 0)
             : tdbBatchDelete(&d->batch, d->key2.z, d->key2.n);
    if (rc != TDB_OK) return tdbErrNoMem(&d->db->err);
  }
  return TDB_OK;
}

static int tdbDmlRemovePiece(TdbDml *d, const char *k, size_t kn, const TdbValue *vals,
                             int64_t vf, int64_t vt, int op) {
  uint32_t id;
  int rc;
  if (tdbHashSetFind(&d->removed, k, kn, 1, &id, NULL) != TDB_OK) return tdbErrNoMem(&d->db->err);
  /* the current rows and indexes hold only pieces valid from now on */
  rc = tdbBatchDelete(&d->batch, k, kn) == TDB_OK ? TDB_OK : tdbErrNoMem(&d->db->err);
  if (rc == TDB_OK) rc = tdbDmlIndexEntries(d, k, kn, vals, 0);
  if (rc != TDB_OK) return rc;
  if (vf < d->ex->cvt) {
    /* the history keeps its past: [vf, CVT) */
    return tdbDmlPutVersion(d, k, kn, vals, 0, op, vf, d->ex->cvt, 0);
  }
  return tdbDmlPutVersion(d, k, kn, vals, TDB_ROW_FLAG_REMOVED, op, vf, vt, 0);
}

/* Write a new piece [vf, vt) of row (scan width). */
static int tdbDmlAddPiece(TdbDml *d, TdbValue *row, int64_t vf, int64_t vt, int op) {
  TdbStr k;
  int rc;
  tdbStrInit(&k, &d->db->mem);
  rc = tdbDmlRowKey(d, &k, TDB_KEYSPACE_ROWS, row);
  if (rc == TDB_OK) rc = tdbDmlPutVersion(d, k.z, k.n, row, 0, op, vf, vt, 1);
  if (rc == TDB_OK) rc = tdbDmlIndexEntries(d, k.z, k.n, row, 1);
  if (rc == TDB_OK) rc = tdbDmlNoteAdded(d, row, k.z, k.n);
  tdbStrClear(&k);
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

/* Set the pseudo-columns of a new row version. */
static void tdbDmlSetPseudo(TdbDml *d, TdbValue *row, int64_t vf, int64_t vt) {
  const TdbTableDef *t = d->t;
  TdbValue *f = &row[tdbScanPseudo(t, TDB_PSEUDO_VALID_FROM)];
  TdbValue *to = &row[tdbScanPseudo(t, TDB_PSEUDO_VALID_TO)];
  if (vf == INT64_MIN) tdbValueSetNull(f);
  else tdbValueSetInt(f, vf);
  if (vt == INT64_MAX) tdbValueSetNull(to);
  else tdbValueSetInt(to, vt);
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

/* Insert one row whose supplied values are src[0..n) for the listed
** columns (all columns when the statement lists none). */
static int tdbDmlInsertRow(TdbDml *d, const TdbValue *src, int n) {
  const TdbAstStmt *a = d->st->ast;
  const TdbTableDef *t = d->t;
  TdbValue *row = tdbMemAllocZero(&d->db->mem, sizeof(TdbValue) * (size_t)d->width);
  TdbEvalCtx ctx;
  int c, i, rc = TDB_OK, skip = 0;
  if (!row) return tdbErrNoMem(&d->db->err);
  for (c = 0; c < d->width; c++) tdbValueSetNull(&row[c]);
  tdbExecEvalCtx(d->ex, &ctx, NULL, NULL, 0);
  /* defaults first, then the supplied values */
  for (c = 0; c < t->ncols && rc == TDB_OK; c++) {
    int supplied = 0;
    if (a->names) {
      for (i = 0; i < a->names->n; i++) supplied |= strcmp(a->names->names[i], t->cols[c].name) == 0;
    } else {
      supplied = n > 0;
    }
    if (!supplied && t->cols[c].dflt) {
      TdbValue v;
      tdbValueSetNull(&v);
      rc = tdbExprEval(&ctx, t->cols[c].dflt, &v);
      if (rc == TDB_OK) rc = tdbAssign(d, c, &v, &row[c]);
      tdbValueClear(&d->db->mem, &v);
    }
  }
  for (i = 0; i < n && rc == TDB_OK; i++) {
    c = a->names ? tdbTableColumn(t, a->names->names[i]) : tdbTableVisibleColumn(t, i);
    tdbValueClear(&d->db->mem, &row[c]);
    rc = tdbAssign(d, c, &src[i], &row[c]);
  }
  if (rc == TDB_OK && t->npk == 0) {
    tdbValueSetInt(&row[tdbScanPseudo(t, TDB_PSEUDO_ROWID)], d->t->next_rowid);
  }
  tdbDmlSetPseudo(d, row, d->ex->cvt, INT64_MAX);
  if (rc == TDB_OK) rc = tdbDmlCheckRow(d, row);
  if (rc == TDB_OK) rc = tdbDmlCheckUnique(d, row, a->conflict, &skip);
  if (rc == TDB_OK && !skip) {
    if (t->npk == 0) d->t->next_rowid++;
    rc = tdbDmlAddPiece(d, row, d->ex->cvt, INT64_MAX, TDB_ROW_OP_INSERT);
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
  memset(&d, 0, sizeof d);
  d.st = st;
  d.db = st->db;
  d.t = t;
  d.ex = &st->exec;
  d.width = tdbScanWidth(t);
  d.batch = *batch; /* moved in, moved back below */
  tdbHashSetInit(&d.removed, &d.db->mem);
  tdbHashSetInit(&d.added_pk, &d.db->mem);
  tdbHashSetInit(&d.added_uniq, &d.db->mem);
  tdbStrInit(&d.key2, &d.db->mem);
  tdbStrInit(&d.val, &d.db->mem);
  for (r = 0; r < rows->nrows && rc == TDB_OK; r++) {
    rc = tdbDmlInsertRow(&d, tdbRowSetRow(rows, r), rows->ncols);
  }
  if (rc == TDB_OK) d.db->changes = d.changes;
  *batch = d.batch;
  tdbTableDefaultsClear(&d.db->mem, d.t, d.defaults);
  tdbMemFree(&d.db->mem, d.defaults);
  tdbHashSetFree(&d.removed);
  tdbHashSetFree(&d.added_pk);
  tdbHashSetFree(&d.added_uniq);
  tdbStrClear(&d.key2);
  tdbStrClear(&d.val);
  return rc;
}

/* ---- UPDATE / DELETE ---------------------------------------------------------------- */

/* Collect the target rows (scan width) before changing anything. */
static int tdbDmlTargets(TdbDml *d, TdbRowSet *rows) {
  TdbPlan *p = d->st->target_rows;
  int rc, j;
  tdbRowSetInit(rows, d->width);
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

static void tdbPieceTimes(const TdbDml *d, const TdbValue *row, int64_t *vf, int64_t *vt) {
  const TdbValue *f = &row[tdbScanPseudo(d->t, TDB_PSEUDO_VALID_FROM)];
  const TdbValue *t = &row[tdbScanPseudo(d->t, TDB_PSEUDO_VALID_TO)];
  *vf = TDB_VALUE_IS_NULL(f) ? INT64_MIN : f->u.i;
  *vt = TDB_VALUE_IS_NULL(t) ? INT64_MAX : t->u.i;
}

static int tdbSameValue(const TdbValue *a, const TdbValue *b) {
  if (a->type != b->type) return 0;
  if (a->type == TDB_TYPE_NULL) return 1;
  if (TDB_TYPE_HAS_BYTES(a->type)) return a->n == b->n && memcmp(a->u.z, b->u.z, a->n) == 0;
  if (a->type == TDB_TYPE_REAL) return memcmp(&a->u.r, &b->u.r, sizeof(double)) == 0;
  return a->u.i == b->u.i;
}

static int tdbDmlUpdate(TdbDml *d) {
  const TdbAstStmt *a = d->st->ast;
  const TdbTableDef *t = d->t;
  TdbRowSet targets, news;
  TdbValue **ptrs;
  uint8_t *noop = NULL;   /* per target: the SET changed nothing */
  size_t r;
  int rc, c, i;
  rc = tdbDmlTargets(d, &targets);
  tdbRowSetInit(&news, d->width);
  ptrs = tdbMemAlloc(&d->db->mem, sizeof(TdbValue *) * (size_t)d->width);
  if (rc == TDB_OK) noop = tdbMemAllocZero(&d->db->mem, targets.nrows + 1);
  if (rc == TDB_OK && (!ptrs || !noop)) rc = tdbErrNoMem(&d->db->err);
  /* phase 1: new contents; close or remove the old pieces */
  for (r = 0; r < targets.nrows && rc == TDB_OK; r++) {
    TdbValue *old = tdbRowSetRow(&targets, r);
    TdbValue *nv = tdbRowSetAdd(&news, &d->db->mem);
    TdbEvalCtx ctx;
    int64_t vf, vt;
    int same = 1;
    if (!nv) {
      rc = tdbErrNoMem(&d->db->err);
      break;
    }
    tdbPieceTimes(d, old, &vf, &vt);
    for (c = 0; c < d->width && rc == TDB_OK; c++) {
      if (tdbValueCopy(&d->db->mem, &nv[c], &old[c]) != TDB_OK) rc = tdbErrNoMem(&d->db->err);
    }
    tdbDmlRowCtx(d, &ctx, ptrs, old);
    for (i = 0; i < a->set->n && rc == TDB_OK; i++) {
      TdbValue v;
      c = tdbTableColumn(t, a->names->names[i]);
      tdbValueSetNull(&v);
      rc = tdbExprEval(&ctx, a->set->items[i].expr, &v);
      if (rc == TDB_OK) {
        tdbValueClear(&d->db->mem, &nv[c]);
        rc = tdbAssign(d, c, &v, &nv[c]);
      }
      tdbValueClear(&d->db->mem, &v);
    }
    if (rc != TDB_OK) break;
    d->changes++;
    for (c = 0; c < t->ncols; c++) {
      if (!tdbSameValue(&nv[c], &old[c])) same = 0;
    }
    if (same) {
      /* no-op elision: the version stays as it is */
      noop[r] = 1;
      rc = tdbDmlReturn(d, old);
      continue;
    }
    {
      TdbStr k;
      tdbStrInit(&k, &d->db->mem);
      rc = tdbDmlRowKey(d, &k, TDB_KEYSPACE_ROWS, old);
      if (rc == TDB_OK) rc = tdbDmlRemovePiece(d, k.z, k.n, old, vf, vt, TDB_ROW_OP_UPDATE);
      tdbStrClear(&k);
    }
    tdbDmlSetPseudo(d, nv, vf > d->ex->cvt ? vf : d->ex->cvt, vt);
    if (rc == TDB_OK) rc = tdbDmlCheckRow(d, nv);
  }
  /* phase 2: the new pieces, checked for uniqueness against the final state */
  for (r = 0; r < news.nrows && rc == TDB_OK; r++) {
    TdbValue *nv = tdbRowSetRow(&news, r);
    int64_t vf, vt;
    int skip = 0;
    if (noop[r]) continue;
    tdbPieceTimes(d, nv, &vf, &vt);
    rc = tdbDmlCheckUnique(d, nv, TDB_CONFLICT_ABORT, &skip);
    if (rc == TDB_OK) rc = tdbDmlAddPiece(d, nv, vf, vt, TDB_ROW_OP_UPDATE);
    if (rc == TDB_OK) rc = tdbDmlReturn(d, nv);
  }
  tdbMemFree(&d->db->mem, noop);
  tdbMemFree(&d->db->mem, ptrs);
  tdbRowSetFree(&targets, &d->db->mem);
  tdbRowSetFree(&news, &d->db->mem);
  return rc;
}

static int tdbDmlDelete(TdbDml *d) {
  TdbRowSet targets;
  size_t r;
  int rc = tdbDmlTargets(d, &targets);
  for (r = 0; r < targets.nrows && rc == TDB_OK; r++) {
    TdbValue *old = tdbRowSetRow(&targets, r);
    TdbStr k;
    int64_t vf, vt;
    tdbPieceTimes(d, old, &vf, &vt);
    tdbStrInit(&k, &d->db->mem);
    rc = tdbDmlRowKey(d, &k, TDB_KEYSPACE_ROWS, old);
    if (rc == TDB_OK) rc = tdbDmlRemovePiece(d, k.z, k.n, old, vf, vt, TDB_ROW_OP_DELETE);
    tdbStrClear(&k);
    if (rc == TDB_OK) rc = tdbDmlReturn(d, old);
    d->changes++;
  }
  tdbRowSetFree(&targets, &d->db->mem);
  return rc;
}

TDB_PRIVATE int tdbExecDml(tdb_stmt *st) {
  TdbDml d;
  int64_t saved_rowid;
  int rc, saved_loaded;
  memset(&d, 0, sizeof d);
  d.st = st;
  d.db = st->db;
  d.t = (TdbTableDef *)st->target->table;
  d.ex = &st->exec;
  d.width = tdbScanWidth(d.t);
  saved_rowid = d.t->next_rowid;
  saved_loaded = d.t->rowid_loaded;
  tdbBatchInit(&d.batch, &d.db->mem);
  tdbHashSetInit(&d.removed, &d.db->mem);
  tdbHashSetInit(&d.added_pk, &d.db->mem);
  tdbHashSetInit(&d.added_uniq, &d.db->mem);
  tdbStrInit(&d.key2, &d.db->mem);
  tdbStrInit(&d.val, &d.db->mem);
  tdbRowSetFree(&st->result, &d.db->mem);
  tdbRowSetInit(&st->result, st->ast->returning ? st->ast->returning->n : 0);
  switch (st->ast->kind) {
    case TDB_STMT_INSERT: rc = tdbDmlInsert(&d); break;
    case TDB_STMT_UPDATE: rc = tdbDmlUpdate(&d); break;
    default: rc = tdbDmlDelete(&d); break;
  }
  if (rc == TDB_OK && d.batch.count > 0) rc = tdbTemporalNoteWrite(d.db, &d.batch, d.ex);
  if (rc == TDB_OK && d.batch.count > 0) rc = tdbDbCommit(d.db, &d.batch);
  if (rc == TDB_OK) {
    d.db->changes = d.changes;
    st->use_result = st->ast->returning != NULL;
  } else {
    d.t->next_rowid = saved_rowid; /* nothing of the statement remains */
    d.t->rowid_loaded = saved_loaded;
    tdbRowSetFree(&st->result, &d.db->mem);
  }
  tdbTableDefaultsClear(&d.db->mem, d.t, d.defaults);
  tdbMemFree(&d.db->mem, d.defaults);
  tdbBatchFree(&d.batch);
  tdbHashSetFree(&d.removed);
  tdbHashSetFree(&d.added_pk);
  tdbHashSetFree(&d.added_uniq);
  tdbStrClear(&d.key2);
  tdbStrClear(&d.val);
  return rc;
}
