/*
** ddl.c — schema statements: CREATE / DROP TABLE, INDEX, VIEW, ALTER
** TABLE, ANALYZE. Each builds the new definitions, writes them to the
** catalog keyspaces in one commit, and only then changes the in-memory
** catalog, so a failing statement changes nothing. The catalog version
** bump makes every prepared statement re-prepare at its next step.
*/
#include "db.h"
#include "binder.h"
#include "parser.h"
#include "keycodec.h"
#include "hashset.h"
#include "rows.h"
#include "rowcodec.h"
#include "stats.h"
#include "temporal.h"
#include "temporal_session.h"
#include "planner.h"

static int tdbDdlError(tdb *db, int code, const char *sqlstate, const char *fmt,
                       const char *name) {
  return tdbErrSet(&db->err, code, sqlstate, fmt, name);
}

/* Text of a span of the statement. */
static char *tdbSpanText(tdb *db, const char *sql, TdbSpan span) {
  return tdbMemStrndup(&db->mem, sql + span.start, span.end - span.start);
}

static const char *tdbObjectWord(int kind) {
  return kind == TDB_OBJ_TABLE ? "table" : kind == TDB_OBJ_INDEX ? "index" : "view";
}

static const char *tdbObjectArticle(int kind) {
  return kind == TDB_OBJ_INDEX ? "an" : "a";
}

/* Does e hold a subquery? (CHECK and DEFAULT cannot.) */
static int tdbHasSubquery(const TdbExpr *e) {
  int i;
  if (!e) return 0;
  if (e->select) return 1;
  if (tdbHasSubquery(e->left) || tdbHasSubquery(e->right) || tdbHasSubquery(e->third)) return 1;
  for (i = 0; e->list && i < e->list->n; i++) {
    if (tdbHasSubquery(e->list->items[i].expr)) return 1;
  }
  return 0;
}

/* Add CHECK constraint text `sql` (parsed and bound over t) to t. */
static int tdbAddCheck(tdb *db, TdbTableDef *t, char *sql) {
  TdbCheckDef *grown;
  TdbSource src;
  int rc;
  if (!sql) return tdbErrNoMem(&db->err);
  grown = tdbMemRealloc(&db->mem, t->checks, sizeof *grown * (size_t)(t->nchecks + 1));
  if (!grown) {
    tdbMemFree(&db->mem, sql);
    return tdbErrNoMem(&db->err);
  }
  t->checks = grown;
  memset(&t->checks[t->nchecks], 0, sizeof *grown);
  t->checks[t->nchecks].sql = sql;
  t->nchecks++;
  rc = tdbCatalogParseExpr(&db->mem, &db->err, sql, &t->checks[t->nchecks - 1].expr);
  if (rc != TDB_OK) return rc;
  if (tdbHasSubquery(t->checks[t->nchecks - 1].expr)) {
    return tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                     "cannot use a subquery in a CHECK constraint: %s", sql);
  }
  memset(&src, 0, sizeof src);
  src.table = t;
  return tdbBindTableCondition(&db->mem, &db->err, NULL, &db->catalog, &src,
                               t->checks[t->nchecks - 1].expr, "CHECK");
}

/* A name for a new object that no object has. */
static int tdbCheckNewName(tdb *db, const char *name) {
  int kind = tdbCatalogNameKind(&db->catalog, name);
  if (kind) {
    TdbStr msg;
    int rc;
    tdbStrInit(&msg, &db->mem);
    tdbStrAppendf(&msg, "%s \"%s\" already exists", tdbObjectWord(kind), name);
    rc = tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_TABLE, "%s",
                   msg.z ? msg.z : "name already exists");
    tdbStrClear(&msg);
    return rc;
  }
  if (strncmp(name, "tdb_", 4) == 0 && tdbViewFind(name)) {
    return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_TABLE,
                       "\"%s\" is a catalog view", name);
  }
  return TDB_OK;
}

static int tdbIsPseudoName(const char *name) {
  return tdbPseudoColumnName(name); /* temporal.c: ERR_RESERVED_NAME */
}

/* Put an object definition and its name into the batch. */
static int tdbPutObject(tdb *db, TdbBatch *b, uint32_t id, const char *name, TdbStr *def) {
  TdbStr key;
  unsigned char idb[4];
  int rc;
  tdbStrInit(&key, &db->mem);
  tdbCatalogObjectKey(&key, id);
  rc = key.oom || def->oom ? TDB_NOMEM : tdbBatchPut(b, key.z, key.n, def->z, def->n);
  if (rc == TDB_OK && name) {
    key.n = 0;
    tdbCatalogNameKey(&key, name);
    tdbKeyPutU32BE(idb, id);
    rc = key.oom ? TDB_NOMEM : tdbBatchPut(b, key.z, key.n, idb, 4);
  }
  tdbStrClear(&key);
  return rc == TDB_OK ? TDB_OK : tdbErrNoMem(&db->err);
}

/* Mark object id dropped and free its name. */
static int tdbPutDropped(tdb *db, TdbBatch *b, uint32_t id, int kind, const char *name) {
  TdbStr def, key;
  int rc;
  tdbStrInit(&def, &db->mem);
  tdbStrInit(&key, &db->mem);
  tdbCatalogEncodeDropped(&def, kind, name);
  rc = tdbPutObject(db, b, id, NULL, &def);
  if (rc == TDB_OK) {
    tdbCatalogNameKey(&key, name);
    rc = key.oom ? tdbErrNoMem(&db->err) : tdbBatchDelete(b, key.z, key.n);
  }
  tdbStrClear(&def);
  tdbStrClear(&key);
  return rc;
}

static int tdbKeyTypeOk(int type) {
  return type != TDB_TYPE_JSON && type != TDB_TYPE_VECTOR;
}

/* ---- index entries of existing rows -------------------------------------------- */

typedef struct TdbIndexBuild {
  tdb *db;
  const TdbIndexDef *ix;
  TdbBatch *batch;
  TdbHashSet values;    /* unique: values of live rows seen */
  int64_t cvt;
  TdbStr key;
} TdbIndexBuild;

static int tdbIndexBuildRow(void *ctx, const TdbPiece *piece) {
  TdbIndexBuild *ib = ctx;
  int rc;
  if (piece->flags & TDB_ROW_FLAG_TOMBSTONE) return TDB_OK; /* only live rows have entries */
  ib->key.n = 0;
  rc = tdbIndexKey(&ib->key, ib->ix, piece->vals, (const char *)piece->key, piece->key_len);
  if (rc == TDB_NOMEM) return tdbErrNoMem(&ib->db->err);
  if (rc != TDB_OK) {
    return tdbErrSet(&ib->db->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                     "index \"%s\": a JSON or VECTOR value cannot be indexed", ib->ix->name);
  }
  rc = tdbBatchPut(ib->batch, ib->key.z, ib->key.n, "", 0);
  if (rc != TDB_OK) return tdbErrNoMem(&ib->db->err);
  if (ib->ix->unique && !(piece->flags & TDB_ROW_FLAG_TOMBSTONE) && piece->valid_to > ib->cvt) {
    /* the indexed values alone: the entry key up to the row key tail */
    size_t vlen = ib->key.n - (piece->key_len - 5);
    uint32_t id;
    int added, k;
    for (k = 0; k < ib->ix->ncols; k++) {
      if (TDB_VALUE_IS_NULL(&piece->vals[ib->ix->col[k]])) return TDB_OK;
    }
    if (tdbHashSetFind(&ib->values, ib->key.z, vlen, 1, &id, &added) != TDB_OK) {
      return tdbErrNoMem(&ib->db->err);
    }
    if (!added) {
      return tdbErrSet(&ib->db->err, TDB_CONSTRAINT, TDB_SQLSTATE_UNIQUE,
                       "could not create unique index \"%s\": the table has duplicate values",
                       ib->ix->name);
    }
  }
  return TDB_OK;
}

static int tdbIndexBuildAll(tdb *db, const TdbTableDef *t, const TdbIndexDef *ix, TdbBatch *b,
                            int64_t cvt) {
  TdbIndexBuild ib;
  TdbValue *defaults = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * (size_t)(t->ncols + 1));
  int rc;
  if (!defaults) return tdbErrNoMem(&db->err);
  /* old versions read an added column's DEFAULT, so their entries hold it */
  rc = tdbTableDefaults(&db->mem, &db->err, cvt, t, defaults);
  if (rc != TDB_OK) {
    tdbMemFree(&db->mem, defaults);
    return rc;
  }
  ib.db = db;
  ib.ix = ix;
  ib.batch = b;
  ib.cvt = cvt;
  tdbHashSetInit(&ib.values, &db->mem);
  tdbStrInit(&ib.key, &db->mem);
  rc = tdbTableForEach(db, t, NULL, 0, defaults, tdbIndexBuildRow, &ib);
  tdbHashSetFree(&ib.values);
  tdbStrClear(&ib.key);
  tdbTableDefaultsClear(&db->mem, t, defaults);
  tdbMemFree(&db->mem, defaults);
  return rc;
}

/* Resolve index columns (names) of t into ix. */
static int tdbIndexColumns(tdb *db, const TdbTableDef *t, TdbIndexDef *ix, char **names,
                           const int8_t *desc, int n) {
  int k;
  if (n > TDB_MAX_KEY_COLUMNS) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_LIMIT,
                     "too many index columns (at most %d)", TDB_MAX_KEY_COLUMNS);
  }
  ix->ncols = n;
  for (k = 0; k < n; k++) {
    int c = tdbTableColumn(t, names[k]);
    if (c < 0) {
      return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN,
                         "no such column: %s", names[k]);
    }
    if (!tdbKeyTypeOk(t->cols[c].type)) {
      return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                       "column %s of type %s cannot be indexed", names[k],
                       tdbTypeName(t->cols[c].type));
    }
    ix->col[k] = c;
    ix->pos[k] = t->cols[c].pos;
    ix->desc[k] = desc ? desc[k] : 0;
  }
  return TDB_OK;
}

/* ---- CREATE TABLE ---------------------------------------------------------------- */

typedef struct TdbNewTable {
  TdbTableDef *t;
  TdbIndexDef *uniq[64];
  int nuniq;
} TdbNewTable;

static void tdbNewTableFree(tdb *db, TdbNewTable *nt) {
  int i;
  tdbTableDefFree(&db->mem, nt->t);
  for (i = 0; i < nt->nuniq; i++) tdbIndexDefFree(&db->mem, nt->uniq[i]);
}

/* Add a UNIQUE constraint on names[0..n) as an index of the new table. */
static int tdbAddUnique(tdb *db, TdbNewTable *nt, char **names, int n, const char *sql) {
  TdbIndexDef *ix;
  TdbStr name;
  int k, rc;
  if (nt->nuniq >= 64) {
    return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_LIMIT, "too many UNIQUE constraints");
  }
  ix = tdbMemAllocZero(&db->mem, sizeof *ix);
  if (!ix) return tdbErrNoMem(&db->err);
  nt->uniq[nt->nuniq++] = ix;
  ix->unique = 1;
  ix->table_id = nt->t->id;
  tdbStrInit(&name, &db->mem);
  tdbStrAppendz(&name, nt->t->name);
  for (k = 0; k < n; k++) tdbStrAppendf(&name, "_%s", names[k]);
  tdbStrAppendz(&name, "_key");
  ix->name = tdbStrFinish(&name);
  ix->sql = tdbMemStrndup(&db->mem, sql, strlen(sql));
  if (!ix->name || !ix->sql) return tdbErrNoMem(&db->err);
  rc = tdbIndexColumns(db, nt->t, ix, names, NULL, n);
  return rc;
}

static int tdbBuildTable(tdb_stmt *st, TdbNewTable *nt) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbTableDef *t;
  int i, j, npk_cols = 0, rc;
  t = tdbMemAllocZero(&db->mem, sizeof *t);
  if (!t) return tdbErrNoMem(&db->err);
  nt->t = t;
  t->name = tdbMemStrndup(&db->mem, a->name, strlen(a->name));
  t->sql = tdbMemStrndup(&db->mem, st->sql, strlen(st->sql));
  t->cols = tdbMemAllocZero(&db->mem, sizeof *t->cols * (size_t)(a->ncols + 1));
  if (!t->name || !t->sql || !t->cols) return tdbErrNoMem(&db->err);
  for (i = 0; i < a->ncols; i++) {
    TdbColumnSpec *cs = &a->cols[i];
    TdbColumnDef *c = &t->cols[i];
    if (tdbIsPseudoName(cs->name)) {
      return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_RESERVED_NAME,
                         "column name \"%s\" is reserved for a pseudo-column", cs->name);
    }
    for (j = 0; j < i; j++) {
      if (strcmp(a->cols[j].name, cs->name) == 0) {
        return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_COLUMN,
                           "column \"%s\" specified more than once", cs->name);
      }
    }
    t->ncols = i + 1;
    c->name = tdbMemStrndup(&db->mem, cs->name, strlen(cs->name));
    if (!c->name) return tdbErrNoMem(&db->err);
    c->type = cs->type;
    c->dim = cs->dim;
    c->notnull = cs->notnull || cs->primary;
    c->pos = (uint32_t)i;
    if (cs->dflt) {
      TdbExpr *probe;
      c->dflt_sql = tdbSpanText(db, st->sql, cs->dflt_span);
      if (!c->dflt_sql) return tdbErrNoMem(&db->err);
      rc = tdbCatalogParseExpr(&db->mem, &db->err, c->dflt_sql, &c->dflt);
      if (rc != TDB_OK) return rc;
      probe = c->dflt;
      if (tdbHasSubquery(probe)) {
        return tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                         "cannot use a subquery in a DEFAULT expression");
      }
      rc = tdbBindTableExpr(&db->mem, &db->err, NULL, &db->catalog, NULL, probe);
      if (rc != TDB_OK) return rc;
    }
    if (cs->primary) {
      if (npk_cols++ > 0) {
        return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_DEFINITION,
                           "multiple primary keys for table \"%s\" are not allowed", t->name);
      }
      t->npk = 1;
      t->pk[0] = i;
      c->pk = 1;
    }
  }
  t->next_pos = (uint32_t)t->ncols;
  for (i = 0; i < a->ncons; i++) {
    TdbConstraintSpec *cs = &a->cons[i];
    if (cs->kind != TDB_CONS_PRIMARY) continue;
    if (npk_cols++ > 0) {
      return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_DEFINITION,
                         "multiple primary keys for table \"%s\" are not allowed", t->name);
    }
    if (cs->nnames > TDB_MAX_KEY_COLUMNS) {
      return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_LIMIT,
                       "too many primary key columns (at most %d)", TDB_MAX_KEY_COLUMNS);
    }
    for (j = 0; j < cs->nnames; j++) {
      int c = tdbTableColumn(t, cs->names[j]);
      if (c < 0) {
        return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN,
                           "no such column: %s", cs->names[j]);
      }
      if (t->cols[c].pk) {
        return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_COLUMN,
                           "column \"%s\" appears twice in the primary key", cs->names[j]);
      }
      t->pk[j] = c;
      t->cols[c].pk = j + 1;
      t->cols[c].notnull = 1;
    }
    t->npk = cs->nnames;
  }
  for (i = 0; i < t->npk; i++) {
    const TdbColumnDef *c = &t->cols[t->pk[i]];
    if (!tdbKeyTypeOk(c->type)) {
      return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                       "column %s of type %s cannot be part of a primary key", c->name,
                       tdbTypeName(c->type));
    }
  }
  /* a table declared with only its key stores JSON documents in `doc` */
  if (t->npk > 0 && t->npk == t->ncols) {
    TdbColumnDef *c = &t->cols[t->ncols];
    if (tdbTableColumn(t, "doc") < 0) {
      c->name = tdbMemStrndup(&db->mem, "doc", 3);
      if (!c->name) return tdbErrNoMem(&db->err);
      c->type = TDB_TYPE_JSON;
      c->dim = -1;
      c->doc = 1;
      c->pos = t->next_pos++;
      t->ncols++;
    }
  }
  /* CHECK constraints: kept as text, validated against the columns now */
  for (i = 0; i < a->ncons; i++) {
    if (a->cons[i].kind != TDB_CONS_CHECK) continue;
    rc = tdbAddCheck(db, t, tdbSpanText(db, st->sql, a->cons[i].span));
    if (rc != TDB_OK) return rc;
  }
  t->id = db->catalog.next_id;
  /* UNIQUE constraints become unique indexes */
  for (i = 0; i < a->ncols; i++) {
    if (a->cols[i].unique && !a->cols[i].primary) {
      rc = tdbAddUnique(db, nt, &a->cols[i].name, 1, st->sql);
      if (rc != TDB_OK) return rc;
    }
  }
  for (i = 0; i < a->ncons; i++) {
    if (a->cons[i].kind != TDB_CONS_UNIQUE) continue;
    rc = tdbAddUnique(db, nt, a->cons[i].names, a->cons[i].nnames, st->sql);
    if (rc != TDB_OK) return rc;
  }
  for (i = 0; i < nt->nuniq; i++) {
    nt->uniq[i]->id = t->id + 1 + (uint32_t)i;
    rc = tdbCheckNewName(db, nt->uniq[i]->name);
    for (j = 0; rc == TDB_OK && j < i; j++) {
      if (strcmp(nt->uniq[j]->name, nt->uniq[i]->name) == 0) {
        rc = tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_TABLE,
                         "index \"%s\" already exists", nt->uniq[i]->name);
      }
    }
    if (rc != TDB_OK) return rc;
  }
  t->next_rowid = 1;
  t->rowid_loaded = 1; /* a new table has no rows */
  return TDB_OK;
}

/* ---- CREATE TABLE ... AS --------------------------------------------------------
** The query is bound and planned at prepare; its result columns become the
** table's columns: the name of each (alias, column name or expression text)
** and its static type when the binder knows it (a typed column, a CAST, a
** literal, a comparison, count(*), ...), else no type (ANY). No constraints.
** At the first step the query runs at the statement's snapshot and its rows
** are written in the same commit as the catalog entry: all or nothing. */

TDB_PRIVATE int tdbPrepareCreateTableAs(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbSelect *q = a->select;
  TdbPlanner pl;
  int i, rc;
  pl.mem = &db->mem;
  pl.err = &db->err;
  pl.all = &st->plans;
  rc = tdbBindSelect(&db->mem, &db->err, st->sql, &db->catalog, q);
  if (rc == TDB_OK) rc = tdbPlanSelect(&pl, q, &st->root);
  if (rc != TDB_OK || a->ncols > 0) return rc;
  a->cols = tdbMemAllocZero(&db->mem, sizeof *a->cols * (size_t)q->nresult);
  if (!a->cols) return tdbErrNoMem(&db->err);
  a->cap_cols = q->nresult;
  for (i = 0; i < q->nresult; i++) {
    TdbColumnSpec *c = &a->cols[i];
    int type = q->coltypes ? q->coltypes[i] : -1;
    c->name = tdbMemStrndup(&db->mem, q->colnames[i], strlen(q->colnames[i]));
    if (!c->name) return tdbErrNoMem(&db->err);
    a->ncols = i + 1;
    /* a VECTOR's dimension is not known statically: such columns take any value */
    c->type = type < 0 || type == TDB_TYPE_VECTOR ? TDB_TYPE_NULL : type;
    c->dim = -1;
  }
  return TDB_OK;
}

/* Run the CREATE TABLE ... AS query into rows (copies). */
static int tdbCreateTableRows(tdb_stmt *st, TdbRowSet *rows) {
  tdb *db = st->db;
  int rc, j;
  tdbRowSetInit(rows, st->ast->select->nresult);
  rc = tdbPlanOpen(&st->exec, st->root, NULL);
  while (rc == TDB_OK) {
    TdbChunk *ch;
    int live, k;
    rc = tdbPlanNext(&st->exec, st->root, &ch);
    if (rc != TDB_OK || (live = TDB_CHUNK_LIVE(ch)) == 0) break;
    for (k = 0; k < live && rc == TDB_OK; k++) {
      TdbValue *out = tdbRowSetAdd(rows, &db->mem);
      int r = TDB_CHUNK_ROW(ch, k);
      if (!out) rc = tdbErrNoMem(&db->err);
      for (j = 0; j < rows->ncols && rc == TDB_OK; j++) {
        if (tdbValueCopy(&db->mem, &out[j], &ch->col[j][r]) != TDB_OK) rc = tdbErrNoMem(&db->err);
      }
    }
  }
  tdbPlanClose(&st->exec, st->root);
  return rc;
}

static int tdbCreateTable(tdb_stmt *st) {
  tdb *db = st->db;
  TdbNewTable nt;
  TdbBatch b;
  TdbStr def;
  TdbRowSet rows;
  int rc, i;
  if (tdbCatalogNameKind(&db->catalog, st->ast->name) && st->ast->if_exists) return TDB_OK;
  rc = tdbCheckNewName(db, st->ast->name);
  if (rc != TDB_OK) return rc;
  memset(&nt, 0, sizeof nt);
  tdbRowSetInit(&rows, 0);
  if (st->ast->select) rc = tdbCreateTableRows(st, &rows);
  if (rc == TDB_OK) rc = tdbBuildTable(st, &nt);
  if (rc == TDB_OK && st->ast->select) {
    /* the stored text is a plain CREATE TABLE, not the query */
    char *ddl = tdbTableDdl(&db->mem, nt.t);
    if (!ddl) rc = tdbErrNoMem(&db->err);
    tdbMemFree(&db->mem, nt.t->sql);
    nt.t->sql = ddl;
  }
  tdbBatchInit(&b, &db->mem);
  tdbStrInit(&def, &db->mem);
  if (rc == TDB_OK && st->ast->select) rc = tdbDmlFillNewTable(st, nt.t, &rows, &b);
  tdbRowSetFree(&rows, &db->mem);
  if (rc == TDB_OK) {
    rc = tdbCatalogEncodeTable(&def, nt.t) == TDB_OK ? tdbPutObject(db, &b, nt.t->id, nt.t->name, &def)
                                                     : tdbErrNoMem(&db->err);
  }
  for (i = 0; rc == TDB_OK && i < nt.nuniq; i++) {
    def.n = 0;
    rc = tdbCatalogEncodeIndex(&def, nt.uniq[i]) == TDB_OK
             ? tdbPutObject(db, &b, nt.uniq[i]->id, nt.uniq[i]->name, &def)
             : tdbErrNoMem(&db->err);
  }
  /* room first: once committed, the catalog in memory must follow */
  if (rc == TDB_OK && tdbCatalogReserve(&db->catalog, nt.t, 1, nt.nuniq, 0) != TDB_OK) {
    rc = tdbErrNoMem(&db->err);
  }
  if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
  tdbBatchFree(&b);
  tdbStrClear(&def);
  if (rc == TDB_OK) rc = tdbCatalogAddTable(&db->catalog, nt.t) == TDB_OK ? TDB_OK : tdbErrNoMem(&db->err);
  if (rc != TDB_OK) {
    tdbNewTableFree(db, &nt);
    return rc;
  }
  for (i = 0; i < nt.nuniq; i++) {
    if (tdbCatalogAddIndex(&db->catalog, nt.uniq[i]) != TDB_OK) {
      int j;
      for (j = i; j < nt.nuniq; j++) tdbIndexDefFree(&db->mem, nt.uniq[j]);
      return tdbErrNoMem(&db->err);
    }
  }
  return TDB_OK;
}

/* ---- CREATE INDEX / VIEW ------------------------------------------------------- */

static int tdbCreateIndex(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbTableDef *t;
  TdbIndexDef *ix;
  TdbBatch b;
  TdbStr def;
  int rc;
  if (tdbCatalogNameKind(&db->catalog, a->name) && a->if_exists) return TDB_OK;
  rc = tdbCheckNewName(db, a->name);
  if (rc != TDB_OK) return rc;
  t = tdbCatalogTable(&db->catalog, a->name2);
  if (!t) {
    if (tdbCatalogView(&db->catalog, a->name2)) {
      return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WRONG_OBJECT_TYPE,
                         "\"%s\" is a view, not a table", a->name2);
    }
    return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE, "no such table: %s",
                       a->name2);
  }
  ix = tdbMemAllocZero(&db->mem, sizeof *ix);
  if (!ix) return tdbErrNoMem(&db->err);
  ix->id = db->catalog.next_id;
  ix->table_id = t->id;
  ix->unique = a->unique;
  ix->name = tdbMemStrndup(&db->mem, a->name, strlen(a->name));
  ix->sql = tdbMemStrndup(&db->mem, st->sql, strlen(st->sql));
  rc = ix->name && ix->sql ? tdbIndexColumns(db, t, ix, a->names->names, a->names->desc, a->names->n)
                           : tdbErrNoMem(&db->err);
  tdbBatchInit(&b, &db->mem);
  tdbStrInit(&def, &db->mem);
  if (rc == TDB_OK) rc = tdbIndexBuildAll(db, t, ix, &b, st->exec.cvt);
  if (rc == TDB_OK) {
    rc = tdbCatalogEncodeIndex(&def, ix) == TDB_OK ? tdbPutObject(db, &b, ix->id, ix->name, &def)
                                                   : tdbErrNoMem(&db->err);
  }
  if (rc == TDB_OK && tdbCatalogReserve(&db->catalog, NULL, 0, 1, 0) != TDB_OK) {
    rc = tdbErrNoMem(&db->err);
  }
  if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
  tdbBatchFree(&b);
  tdbStrClear(&def);
  if (rc == TDB_OK && tdbCatalogAddIndex(&db->catalog, ix) != TDB_OK) rc = tdbErrNoMem(&db->err);
  else if (rc == TDB_OK) return TDB_OK;
  tdbIndexDefFree(&db->mem, ix);
  return rc;
}

static int tdbCreateView(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbViewDef *v;
  TdbBatch b;
  TdbStr def;
  const char *body = st->sql + a->body_start;
  int rc;
  if (tdbCatalogNameKind(&db->catalog, a->name) && a->if_exists) return TDB_OK;
  rc = tdbCheckNewName(db, a->name);
  if (rc != TDB_OK) return rc;
  while (*body == ' ' || *body == '\t' || *body == '\n' || *body == '\r') body++;
  /* the body must bind now: a fresh parse of it, so stepping the statement
  ** again after an error binds a fresh tree too */
  {
    TdbParse parse;
    size_t consumed = 0;
    tdbParseInit(&parse, &db->mem, &db->err);
    rc = tdbParseOne(&parse, body, &consumed);
    if (rc == TDB_OK && (!parse.stmt || parse.stmt->kind != TDB_STMT_SELECT)) {
      rc = tdbErrSet(&db->err, TDB_INTERNAL, NULL, "the view body is not a SELECT");
    }
    if (rc == TDB_OK) rc = tdbBindSelect(&db->mem, &db->err, body, &db->catalog, parse.stmt->select);
    tdbAstStmtFree(&db->mem, parse.stmt);
    if (rc != TDB_OK) return rc;
  }
  v = tdbMemAllocZero(&db->mem, sizeof *v);
  if (!v) return tdbErrNoMem(&db->err);
  v->id = db->catalog.next_id;
  v->name = tdbMemStrndup(&db->mem, a->name, strlen(a->name));
  v->sql = tdbMemStrndup(&db->mem, st->sql, strlen(st->sql));
  v->body = tdbMemStrndup(&db->mem, body, strlen(body));
  tdbBatchInit(&b, &db->mem);
  tdbStrInit(&def, &db->mem);
  rc = v->name && v->sql && v->body ? TDB_OK : tdbErrNoMem(&db->err);
  if (rc == TDB_OK) {
    rc = tdbCatalogEncodeView(&def, v) == TDB_OK ? tdbPutObject(db, &b, v->id, v->name, &def)
                                                 : tdbErrNoMem(&db->err);
  }
  if (rc == TDB_OK && tdbCatalogReserve(&db->catalog, NULL, 0, 0, 1) != TDB_OK) {
    rc = tdbErrNoMem(&db->err);
  }
  if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
  tdbBatchFree(&b);
  tdbStrClear(&def);
  if (rc == TDB_OK && tdbCatalogAddView(&db->catalog, v) != TDB_OK) rc = tdbErrNoMem(&db->err);
  else if (rc == TDB_OK) return TDB_OK;
  tdbViewDefFree(&db->mem, v);
  return rc;
}

/* ---- DROP ------------------------------------------------------------------------- */

static int tdbDrop(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbBatch b;
  int rc = TDB_OK, kind = tdbCatalogNameKind(&db->catalog, a->name), i;
  if (kind != a->object) {
    if (kind) {
      TdbStr msg;
      tdbStrInit(&msg, &db->mem);
      tdbStrAppendf(&msg, "\"%s\" is %s %s, not %s %s", a->name, tdbObjectArticle(kind),
                    tdbObjectWord(kind), tdbObjectArticle(a->object), tdbObjectWord(a->object));
      rc = tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WRONG_OBJECT_TYPE, "%s",
                     msg.z ? msg.z : "wrong object type");
      tdbStrClear(&msg);
      return rc;
    }
    if (a->if_exists) return TDB_OK;
    if (a->object == TDB_OBJ_TABLE) {
      return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE, "no such table: %s",
                         a->name);
    }
    if (a->object == TDB_OBJ_VIEW) {
      return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE, "no such view: %s",
                         a->name);
    }
    return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_OBJECT, "no such index: %s",
                       a->name);
  }
  tdbBatchInit(&b, &db->mem);
  if (kind == TDB_OBJ_TABLE) {
    TdbTableDef *t = tdbCatalogTable(&db->catalog, a->name);
    rc = tdbPutDropped(db, &b, t->id, kind, t->name);
    for (i = 0; rc == TDB_OK && i < t->nindexes; i++) {
      rc = tdbPutDropped(db, &b, t->indexes[i]->id, TDB_OBJ_INDEX, t->indexes[i]->name);
    }
    if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
    if (rc == TDB_OK) tdbCatalogRemoveTable(&db->catalog, t);
  } else if (kind == TDB_OBJ_INDEX) {
    TdbIndexDef *ix = tdbCatalogIndex(&db->catalog, a->name);
    rc = tdbPutDropped(db, &b, ix->id, kind, ix->name);
    if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
    if (rc == TDB_OK) tdbCatalogRemoveIndex(&db->catalog, ix);
  } else {
    TdbViewDef *v = tdbCatalogView(&db->catalog, a->name);
    rc = tdbPutDropped(db, &b, v->id, kind, v->name);
    if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
    if (rc == TDB_OK) tdbCatalogRemoveView(&db->catalog, v);
  }
  tdbBatchFree(&b);
  return rc;
}

/* ---- ALTER TABLE ------------------------------------------------------------------- */

typedef struct TdbAnyRow {
  int64_t cvt;
  int found;
} TdbAnyRow;

static int tdbAnyRowFn(void *ctx, const TdbPiece *piece) {
  TdbAnyRow *ar = ctx;
  if (piece->valid_to > ar->cvt && !(piece->flags & TDB_ROW_FLAG_TOMBSTONE)) {
    ar->found = 1;
    return TDB_DONE; /* stop */
  }
  return TDB_OK;
}

/* Does a CHECK or DEFAULT of t mention column `name`? */
static int tdbExprMentions(const TdbExpr *e, const char *name) {
  int i;
  if (!e) return 0;
  if (e->kind == TDB_EXPR_COLUMN && e->name && strcmp(e->name, name) == 0) return 1;
  if (tdbExprMentions(e->left, name) || tdbExprMentions(e->right, name) ||
      tdbExprMentions(e->third, name)) {
    return 1;
  }
  for (i = 0; e->list && i < e->list->n; i++) {
    if (tdbExprMentions(e->list->items[i].expr, name)) return 1;
  }
  return 0;
}

static int tdbChecksMention(const TdbTableDef *t, const char *name) {
  int i;
  for (i = 0; i < t->nchecks; i++) {
    if (tdbExprMentions(t->checks[i].expr, name)) return 1;
  }
  return 0;
}

/* Rename column references `from` to `to` in e; 1 if any changed. */
static int tdbRenameRefs(TdbMem *mem, TdbExpr *e, const char *from, const char *to, int *oom) {
  int i, n = 0;
  if (!e) return 0;
  if (e->kind == TDB_EXPR_COLUMN && e->name && strcmp(e->name, from) == 0) {
    char *z = tdbMemStrndup(mem, to, strlen(to));
    if (!z) {
      *oom = 1;
      return 0;
    }
    tdbMemFree(mem, e->name);
    e->name = z;
    n = 1;
  }
  n |= tdbRenameRefs(mem, e->left, from, to, oom);
  n |= tdbRenameRefs(mem, e->right, from, to, oom);
  n |= tdbRenameRefs(mem, e->third, from, to, oom);
  for (i = 0; e->list && i < e->list->n; i++) n |= tdbRenameRefs(mem, e->list->items[i].expr, from, to, oom);
  return n;
}

/* After RENAME COLUMN: rewrite the stored texts of CHECKs and DEFAULTs
** that mention the column. */
static int tdbRenameInTexts(tdb *db, TdbTableDef *t, const char *from, const char *to) {
  int i, oom = 0;
  for (i = 0; i < t->nchecks + t->ncols; i++) {
    TdbExpr *e = i < t->nchecks ? t->checks[i].expr : t->cols[i - t->nchecks].dflt;
    char **sql = i < t->nchecks ? &t->checks[i].sql : &t->cols[i - t->nchecks].dflt_sql;
    TdbStr text;
    if (!e || !tdbRenameRefs(&db->mem, e, from, to, &oom)) continue;
    tdbStrInit(&text, &db->mem);
    tdbExprToSql(&text, e);
    if (text.oom) oom = 1;
    tdbMemFree(&db->mem, *sql);
    *sql = tdbStrFinish(&text);
    if (!*sql) {
      oom = 1;
    } else {
      /* the new text must read back (it is parsed again at every open) */
      TdbExpr *probe = NULL;
      int rc = tdbCatalogParseExpr(&db->mem, &db->err, *sql, &probe);
      tdbExprFree(&db->mem, probe);
      if (rc != TDB_OK) return rc;
    }
  }
  return oom ? tdbErrNoMem(&db->err) : TDB_OK;
}

/* Bind the CHECK expressions of t again (column positions changed). */
static int tdbRebindChecks(tdb *db, TdbTableDef *t) {
  int i, rc;
  for (i = 0; i < t->nchecks; i++) {
    TdbSource src;
    memset(&src, 0, sizeof src);
    src.table = t;
    rc = tdbBindTableExpr(&db->mem, &db->err, NULL, NULL, &src, t->checks[i].expr);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

static int tdbAlter(tdb_stmt *st) {
  tdb *db = st->db;
  TdbAstStmt *a = st->ast;
  TdbTableDef *old = tdbCatalogTable(&db->catalog, a->name), *t;
  TdbBatch b;
  TdbStr def, key;
  TdbIndexDef **dropped = NULL;   /* indexes DROP COLUMN takes with it */
  int ndropped = 0, rc = TDB_OK, c, i;
  if (!old) {
    return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE, "no such table: %s",
                       a->name);
  }
  t = tdbTableDefCopy(&db->mem, &db->err, old);
  if (!t) return db->err.code ? db->err.code : tdbErrNoMem(&db->err);
  tdbBatchInit(&b, &db->mem);
  tdbStrInit(&def, &db->mem);
  tdbStrInit(&key, &db->mem);
  switch (a->alter) {
    case TDB_ALTER_ADD_COLUMN: {
      TdbColumnSpec *cs = &a->cols[0];
      TdbColumnDef *col, *grown;
      if (tdbIsPseudoName(cs->name)) {
        rc = tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_RESERVED_NAME,
                         "column name \"%s\" is reserved for a pseudo-column", cs->name);
        break;
      }
      if (tdbTableColumn(t, cs->name) >= 0) {
        rc = tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_COLUMN,
                         "column \"%s\" already exists", cs->name);
        break;
      }
      if (cs->primary || cs->unique) {
        rc = tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                       "ADD COLUMN with PRIMARY KEY or UNIQUE is not supported");
        break;
      }
      if (t->ncols >= TDB_MAX_COLUMNS) {
        rc = tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_LIMIT, "too many columns");
        break;
      }
      grown = tdbMemRealloc(&db->mem, t->cols, sizeof *grown * (size_t)(t->ncols + 1));
      if (!grown) {
        rc = tdbErrNoMem(&db->err);
        break;
      }
      t->cols = grown;
      col = &t->cols[t->ncols];
      memset(col, 0, sizeof *col);
      t->ncols++;
      col->name = tdbMemStrndup(&db->mem, cs->name, strlen(cs->name));
      col->type = cs->type;
      col->dim = cs->dim;
      col->notnull = cs->notnull;
      col->pos = t->next_pos++;
      if (!col->name) {
        rc = tdbErrNoMem(&db->err);
        break;
      }
      if (cs->dflt) {
        col->dflt_sql = tdbSpanText(db, st->sql, cs->dflt_span);
        if (!col->dflt_sql) {
          rc = tdbErrNoMem(&db->err);
          break;
        }
        rc = tdbCatalogParseExpr(&db->mem, &db->err, col->dflt_sql, &col->dflt);
        if (rc == TDB_OK && tdbHasSubquery(col->dflt)) {
          rc = tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                         "cannot use a subquery in a DEFAULT expression");
        }
        if (rc == TDB_OK) rc = tdbBindTableExpr(&db->mem, &db->err, NULL, &db->catalog, NULL, col->dflt);
        if (rc != TDB_OK) break;
      }
      for (i = 0; i < a->ncons && rc == TDB_OK; i++) {
        if (a->cons[i].kind == TDB_CONS_CHECK) {
          rc = tdbAddCheck(db, t, tdbSpanText(db, st->sql, a->cons[i].span));
        }
      }
      if (rc != TDB_OK) break;
      {
        /* the DEFAULT must evaluate and convert now: old rows will read it */
        int null_default = 1;
        if (col->dflt) {
          TdbValue *dv = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * (size_t)t->ncols);
          if (!dv) {
            rc = tdbErrNoMem(&db->err);
            break;
          }
          rc = tdbTableDefaults(&db->mem, &db->err, st->exec.cvt, t, dv);
          if (rc == TDB_OK) null_default = TDB_VALUE_IS_NULL(&dv[t->ncols - 1]);
          tdbTableDefaultsClear(&db->mem, t, dv);
          tdbMemFree(&db->mem, dv);
          if (rc != TDB_OK) break;
        }
        if (col->notnull && null_default) {
          TdbAnyRow ar;
          ar.cvt = st->exec.cvt;
          ar.found = 0;
          rc = tdbTableForEach(db, old, NULL, 0, NULL, tdbAnyRowFn, &ar);
          if (rc == TDB_DONE) rc = TDB_OK;
          if (rc == TDB_OK && ar.found) {
            rc = tdbDdlError(db, TDB_CONSTRAINT, TDB_SQLSTATE_NOT_NULL,
                             "column \"%s\" is NOT NULL without a non-NULL DEFAULT and the table "
                             "has rows",
                             col->name);
          }
        }
      }
      break;
    }
    case TDB_ALTER_DROP_COLUMN:
      c = tdbTableColumn(t, a->name2);
      if (c < 0) {
        rc = tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN, "no such column: %s",
                         a->name2);
      } else if (t->cols[c].pk) {
        rc = tdbDdlError(db, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                         "cannot drop primary key column \"%s\"", a->name2);
      } else if (t->ncols == 1) {
        rc = tdbDdlError(db, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                         "cannot drop the only column of table \"%s\"", t->name);
      } else if (tdbChecksMention(t, a->name2)) {
        rc = tdbDdlError(db, TDB_ERROR, TDB_SQLSTATE_DEPENDENT_OBJECTS,
                         "cannot drop column \"%s\": a CHECK constraint uses it", a->name2);
      } else {
        int k;
        /* indexes over the column go with it */
        dropped = tdbMemAllocZero(&db->mem, sizeof *dropped * (size_t)(old->nindexes + 1));
        if (!dropped) rc = tdbErrNoMem(&db->err);
        for (i = 0; i < old->nindexes && rc == TDB_OK; i++) {
          for (k = 0; k < old->indexes[i]->ncols; k++) {
            if (old->indexes[i]->pos[k] == t->cols[c].pos) {
              dropped[ndropped++] = old->indexes[i];
              rc = tdbPutDropped(db, &b, old->indexes[i]->id, TDB_OBJ_INDEX, old->indexes[i]->name);
              break;
            }
          }
        }
        tdbMemFree(&db->mem, t->cols[c].name);
        tdbMemFree(&db->mem, t->cols[c].dflt_sql);
        tdbExprFree(&db->mem, t->cols[c].dflt);
        memmove(&t->cols[c], &t->cols[c + 1], sizeof *t->cols * (size_t)(t->ncols - c - 1));
        t->ncols--;
        for (i = 0; i < t->npk; i++) {
          if (t->pk[i] > c) t->pk[i]--;
        }
      }
      break;
    case TDB_ALTER_RENAME_COLUMN:
      c = tdbTableColumn(t, a->name2);
      if (c < 0) {
        rc = tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN, "no such column: %s",
                         a->name2);
      } else if (tdbIsPseudoName(a->name3)) {
        rc = tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_RESERVED_NAME,
                         "column name \"%s\" is reserved for a pseudo-column", a->name3);
      } else if (tdbTableColumn(t, a->name3) >= 0) {
        rc = tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_COLUMN,
                         "column \"%s\" already exists", a->name3);
      } else {
        char *nn = tdbMemStrndup(&db->mem, a->name3, strlen(a->name3));
        if (!nn) {
          rc = tdbErrNoMem(&db->err);
        } else {
          tdbMemFree(&db->mem, t->cols[c].name);
          t->cols[c].name = nn;
          rc = tdbRenameInTexts(db, t, a->name2, a->name3);
        }
      }
      break;
    case TDB_ALTER_RENAME_TABLE: {
      char *nn;
      rc = tdbCheckNewName(db, a->name2);
      if (rc != TDB_OK) break;
      nn = tdbMemStrndup(&db->mem, a->name2, strlen(a->name2));
      if (!nn) {
        rc = tdbErrNoMem(&db->err);
        break;
      }
      tdbCatalogNameKey(&key, old->name);
      rc = key.oom ? tdbErrNoMem(&db->err) : tdbBatchDelete(&b, key.z, key.n);
      tdbMemFree(&db->mem, t->name);
      t->name = nn;
      break;
    }
    default:
      rc = tdbErrSet(&db->err, TDB_INTERNAL, NULL, "unknown ALTER TABLE action");
  }
  if (rc == TDB_OK) rc = tdbRebindChecks(db, t);
  if (rc == TDB_OK && tdbCatalogReserve(&db->catalog, t, 0, 0, 0) != TDB_OK) rc = tdbErrNoMem(&db->err);
  if (rc == TDB_OK) {
    char *ddl = tdbTableDdl(&db->mem, t); /* tdb_tables.sql shows the table as it is now */
    if (!ddl) {
      rc = tdbErrNoMem(&db->err);
    } else {
      tdbMemFree(&db->mem, t->sql);
      t->sql = ddl;
    }
  }
  if (rc == TDB_OK) {
    rc = tdbCatalogEncodeTable(&def, t) == TDB_OK ? tdbPutObject(db, &b, t->id, t->name, &def)
                                                  : tdbErrNoMem(&db->err);
  }
  if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
  tdbBatchFree(&b);
  tdbStrClear(&def);
  tdbStrClear(&key);
  if (rc != TDB_OK) {
    tdbTableDefFree(&db->mem, t);
    tdbMemFree(&db->mem, dropped);
    return rc;
  }
  for (i = 0; i < ndropped; i++) tdbCatalogRemoveIndex(&db->catalog, dropped[i]);
  tdbMemFree(&db->mem, dropped);
  tdbCatalogReplaceTable(&db->catalog, old, t);
  return TDB_OK;
}

/* ---- ANALYZE ---------------------------------------------------------------------- */

/* Gather statistics of every table (or the named one), store them in the
** statistics keyspace in one commit, then hand them to the planner. */
static int tdbAnalyze(tdb_stmt *st) {
  tdb *db = st->db;
  TdbTableStats **fresh;
  TdbBatch b;
  TdbStr key, val;
  int i, rc = TDB_OK;
  if (st->ast->name && !tdbCatalogTable(&db->catalog, st->ast->name)) {
    return tdbDdlError(db, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE, "no such table: %s",
                       st->ast->name);
  }
  fresh = tdbMemAllocZero(&db->mem, sizeof *fresh * (size_t)(db->catalog.ntables + 1));
  if (!fresh) return tdbErrNoMem(&db->err);
  tdbBatchInit(&b, &db->mem);
  tdbStrInit(&key, &db->mem);
  tdbStrInit(&val, &db->mem);
  for (i = 0; i < db->catalog.ntables && rc == TDB_OK; i++) {
    TdbTableDef *t = db->catalog.tables[i];
    if (st->ast->name && strcmp(st->ast->name, t->name) != 0) continue;
    rc = tdbStatsGather(db, t, st->exec.cvt, &fresh[i]);
    if (rc != TDB_OK) break;
    key.n = val.n = 0;
    tdbStatsKey(&key, t->id);
    rc = tdbStatsEncode(&val, fresh[i]);
    if (rc == TDB_OK && !key.oom) rc = tdbBatchPut(&b, key.z, key.n, val.z, val.n);
    if (rc != TDB_OK || key.oom) rc = tdbErrNoMem(&db->err);
  }
  if (rc == TDB_OK) rc = tdbDbCommit(db, &b);
  for (i = 0; i < db->catalog.ntables; i++) {
    TdbTableDef *t = db->catalog.tables[i];
    if (!fresh[i]) continue;
    if (rc == TDB_OK) {
      tdbStatsFree(&db->mem, t->stats);
      t->stats = fresh[i];
      t->stat_rows = fresh[i]->rows > 0 ? fresh[i]->rows : 1;
    } else {
      tdbStatsFree(&db->mem, fresh[i]);
    }
  }
  tdbMemFree(&db->mem, fresh);
  tdbBatchFree(&b);
  tdbStrClear(&key);
  tdbStrClear(&val);
  if (rc == TDB_OK) db->catalog.version++; /* plans made with the old estimates are re-made */
  return rc;
}

/* ---- dispatch ----------------------------------------------------------------------- */

/* Is another statement of the connection in the middle of returning rows? */
static int tdbOtherStatementRunning(tdb_stmt *st) {
  tdb_stmt *o;
  for (o = st->db->stmts; o; o = o->next) {
    if (o != st && o->state == TDB_STMT_HAS_ROW) return 1;
  }
  return 0;
}

TDB_PRIVATE int tdbExecDdl(tdb_stmt *st) {
  if (st->ast->kind != TDB_STMT_ANALYZE && tdbOtherStatementRunning(st)) {
    return tdbErrSet(&st->db->err, TDB_BUSY, TDB_SQLSTATE_OBJECT_IN_USE,
                     "cannot change the schema while another statement is returning rows "
                     "(finish or reset it first)");
  }
  switch (st->ast->kind) {
    case TDB_STMT_CREATE_TABLE: return tdbCreateTable(st);
    case TDB_STMT_CREATE_INDEX: return tdbCreateIndex(st);
    case TDB_STMT_CREATE_VIEW: return tdbCreateView(st);
    case TDB_STMT_DROP: return tdbDrop(st);
    case TDB_STMT_ALTER: return tdbAlter(st);
    case TDB_STMT_ANALYZE: return tdbAnalyze(st);
    case TDB_STMT_SET: return tdbExecSet(st); /* a session setting, not a write */
    default:
      return tdbErrSet(&st->db->err, TDB_INTERNAL, NULL, "statement kind %d is not DDL",
                       st->ast->kind);
  }
}
