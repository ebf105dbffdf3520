/*
** stmt.c — prepared statements: tdb_prepare, parameter binding, tdb_step,
** column access, reset and finalize, and tdb_exec on top of them.
**
** A statement is parsed and bound once in tdb_prepare; tdb_step runs it. A
** SELECT without FROM yields exactly one row, evaluated at its first step.
*/
#include "db.h"
#include "binder.h"
#include "datetime.h"
#include "expr.h"
#include "parser.h"
#include "planner.h"
#include "temporal_session.h"
#include "backup.h"
#include "purge.h"
#include "dml.h"

#include <stdlib.h>

/* ---- lifetime ---------------------------------------------------------------- */

/* Release the current row's values and rendered texts (either array may be
** missing when preparing ran out of memory). */
static void tdbStmtClearRow(tdb_stmt *st) {
  int i;
  st->cur_row = NULL;
  st->cur_r = 0;
  if (st->ntext == 0) return;
  for (i = 0; i < st->ncols; i++) { /* the columns read as text (tdb_column_text) */
    tdbMemFree(&st->db->mem, st->col_text[i]);
    st->col_text[i] = NULL;
  }
  st->ntext = 0;
}

/* Stop a running execution: close the plan, drop computed rows. */
static void tdbStmtStop(tdb_stmt *st) {
  tdbStmtClearRow(st);
  if (st->pinned) {
    tdbStoreUnpinSnapshot(st->db->store, st->exec.snapshot);
    st->pinned = 0;
  }
  if (st->root) tdbPlanClose(&st->exec, st->root);
  if (st->target_rows) tdbPlanClose(&st->exec, st->target_rows);
  tdbRowSetFree(&st->result, &st->db->mem);
  st->result_pos = 0;
  st->use_result = 0;
  st->chunk = NULL;
  st->chunk_pos = 0;
  st->point_ran = 0;
}

/* Free what compiling made: the AST, plans, result columns. */
static void tdbStmtFreeCompiled(tdb_stmt *st) {
  TdbMem *mem = &st->db->mem;
  int i;
  tdbStmtStop(st);
  if (st->col_names) {
    for (i = 0; i < st->ncols; i++) tdbMemFree(mem, st->col_names[i]);
  }
  tdbMemFree(mem, st->col_names);
  tdbMemFree(mem, st->col_text);
  st->col_names = NULL;
  st->col_text = NULL;
  st->ncols = 0;
  tdbPlanFreeAll(mem, st->plans);
  st->plans = NULL;
  st->root = NULL;
  st->point = NULL;
  st->target_rows = NULL;
  tdbSourceFree(mem, st->target);
  st->target = NULL;
  tdbAstStmtFree(mem, st->ast);
  st->ast = NULL;
}

static void tdbStmtFree(tdb_stmt *st) {
  TdbMem *mem = &st->db->mem;
  int i;
  tdbStmtFreeCompiled(st);
  tdbDmlKeepFree(st);
  tdbVecPoolFree(mem, st->pool);
  for (i = 0; i < st->nparams; i++) tdbValueClear(mem, &st->params[i]);
  tdbMemFree(mem, st->params);
  tdbMemFree(mem, st->sql);
  tdbMemFree(mem, st);
}

/* Give the statement n result columns named names[0..n) (copied). */
TDB_PRIVATE int tdbStmtSetColumns(tdb_stmt *st, int n, char *const *names) {
  TdbMem *mem = &st->db->mem;
  int i;
  st->ncols = n;
  if (n == 0) return TDB_OK;
  st->col_names = tdbMemAllocZero(mem, sizeof(char *) * (size_t)n);
  st->col_text = tdbMemAllocZero(mem, sizeof(char *) * (size_t)n);
  if (!st->col_names || !st->col_text) {
    st->ncols = st->col_names ? n : 0;
    return tdbErrNoMem(&st->db->err);
  }
  for (i = 0; i < n; i++) {
    st->col_names[i] = tdbMemStrndup(mem, names[i], strlen(names[i]));
    if (!st->col_names[i]) return tdbErrNoMem(&st->db->err);
  }
  return TDB_OK;
}

/* SHOW TABLES and DESCRIBE are SELECTs over the catalog views: the SQL to
** parse instead, or NULL (out of memory). */
static char *tdbStmtRewrite(tdb *db, const TdbAstStmt *ast) {
  TdbStr q;
  const char *c;
  tdbStrInit(&q, &db->mem);
  if (ast->kind == TDB_STMT_SHOW_TABLES) {
    tdbStrAppendz(&q, "SELECT name FROM tdb_tables ORDER BY name");
  } else {
    tdbStrAppendz(&q, "SELECT name, type, notnull, default_value, pk FROM tdb_columns "
                      "WHERE table_name = '");
    for (c = ast->name; *c; c++) {
      if (*c == '\'') tdbStrAppendChar(&q, '\'');
      tdbStrAppendChar(&q, *c);
    }
    tdbStrAppendz(&q, "' ORDER BY position");
  }
  return tdbStrFinish(&q);
}

/* Parse `text` into a statement; *consumed gets the bytes used. */
static int tdbStmtParse(tdb *db, const char *text, size_t *consumed, TdbAstStmt **out,
                        int *nparam) {
  TdbParse parse;
  int rc;
  tdbParseInit(&parse, &db->mem, &db->err);
  rc = tdbParseOne(&parse, text, consumed);
  *out = parse.stmt;
  *nparam = parse.nparam;
  return rc;
}

/* Bind and plan st->ast (after parsing, or again after a schema change). */
static int tdbStmtCompile(tdb_stmt *st) {
  tdb *db = st->db;
  TdbPlanner pl;
  int rc = TDB_OK;
  if (!db->schema_past.store) tdbSchemaPastInit(&db->schema_past, &db->mem, db->store);
  db->catalog.past = &db->schema_past; /* a reload may have replaced the catalog */
  pl.mem = &db->mem;
  pl.err = &db->err;
  pl.all = &st->plans;
  if (st->ast->kind == TDB_STMT_SHOW_TABLES || st->ast->kind == TDB_STMT_DESCRIBE ||
      st->ast->kind == TDB_STMT_SHOW_DRIFT) {
    char *q;
    TdbAstStmt *sel = NULL;
    size_t used;
    int np, explain = st->ast->explain;
    if (st->ast->kind == TDB_STMT_DESCRIBE && !tdbCatalogTable(&db->catalog, st->ast->name)) {
      return tdbErrSet(&db->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE,
                       "no such table: %s", st->ast->name);
    }
    if (st->ast->kind == TDB_STMT_SHOW_DRIFT) {
      rc = tdbDriftSql(db, st->ast, st->sql, &q); /* temporal_session.c */
      if (rc != TDB_OK) return rc;
    } else {
      q = tdbStmtRewrite(db, st->ast);
    }
    if (!q) return tdbErrNoMem(&db->err);
    rc = tdbStmtParse(db, q, &used, &sel, &np);
    if (rc == TDB_OK && sel) {
      tdbAstStmtFree(&db->mem, st->ast);
      st->ast = sel;
      st->ast->explain = explain;
      rc = tdbBindSelect(&db->mem, &db->err, q, &db->catalog, st->ast->select);
      if (rc == TDB_OK) {
        rc = tdbStmtSetColumns(st, st->ast->select->nresult, st->ast->select->colnames);
      }
    } else {
      tdbAstStmtFree(&db->mem, sel);
    }
    tdbMemFree(&db->mem, q);
    if (rc != TDB_OK) return rc;
    rc = tdbPlanSelect(&pl, st->ast->select, &st->root);
  } else if (st->ast->kind == TDB_STMT_SELECT) {
    rc = tdbBindSelect(&db->mem, &db->err, st->sql, &db->catalog, st->ast->select);
    if (rc == TDB_OK) rc = tdbPlanSelect(&pl, st->ast->select, &st->root);
    if (rc == TDB_OK && !st->ast->explain) {
      rc = tdbStmtSetColumns(st, st->ast->select->nresult, st->ast->select->colnames);
      st->point = tdbPointScanOf(st->root);
    }
  } else if (st->ast->kind == TDB_STMT_CREATE_TABLE && st->ast->select) {
    rc = tdbPrepareCreateTableAs(st);
  } else if (st->ast->kind == TDB_STMT_INSERT || st->ast->kind == TDB_STMT_UPDATE ||
             st->ast->kind == TDB_STMT_DELETE) {
    rc = tdbPrepareDml(st);
  } else if (st->ast->kind == TDB_STMT_BACKUP || st->ast->kind == TDB_STMT_RESTORE ||
             st->ast->kind == TDB_STMT_VERIFY_BACKUP) {
    char *const *names;
    int n = tdbBackupColumns(st->ast->kind, &names); /* backup.c */
    if (!st->col_names) rc = tdbStmtSetColumns(st, n, names);
  }
  if (rc == TDB_OK && st->ast->explain) {
    char *name = "plan";
    if (st->ast->kind != TDB_STMT_SELECT && !st->target_rows) {
      return tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                       "EXPLAIN supports SELECT, UPDATE and DELETE");
    }
    if (st->col_names) {
      int i;
      for (i = 0; i < st->ncols; i++) tdbMemFree(&db->mem, st->col_names[i]);
      tdbMemFree(&db->mem, st->col_names);
      tdbMemFree(&db->mem, st->col_text);
      st->col_names = NULL;
      st->col_text = NULL;
      st->ncols = 0;
    }
    rc = tdbStmtSetColumns(st, 1, &name);
  }
  if (rc == TDB_OK) st->schema_version = db->catalog.version; /* else: compile again */
  return rc;
}

TDB_API int tdb_prepare(tdb *db, const char *sql, int nbytes, tdb_stmt **out,
                        const char **tail) {
  tdb_stmt *st = NULL;
  TdbAstStmt *ast = NULL;
  size_t len, consumed = 0;
  char *text;
  int rc, nparam = 0;
  if (out) *out = NULL;
  if (tail) *tail = sql;
  if (!db || !sql || !out) {
    if (db) tdbErrSet(&db->err, TDB_MISUSE, NULL, "tdb_prepare: NULL argument");
    return TDB_MISUSE;
  }
  tdbErrClear(&db->err);
  if (!db->store) {
    return tdbErrSet(&db->err, TDB_MISUSE, NULL, "tdb_prepare: the database is not open");
  }
  /* bind against the schema other connections may have changed */
  if ((rc = tdbShareRefresh(db)) != TDB_OK) return rc;
  len = nbytes < 0 ? strlen(sql) : strnlen(sql, (size_t)nbytes);
  if (nbytes >= 0 && len < (size_t)nbytes) {
    /* a NUL inside the given length would silently cut the text */
    if (tail) *tail = sql + nbytes;
    return tdbErrSet(&db->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                     "SQL text contains a NUL byte at offset %zu", len);
  }
  if (len > TDB_MAX_SQL_LENGTH) {
    return tdbErrSet(&db->err, TDB_TOOBIG, TDB_SQLSTATE_LIMIT,
                     "SQL text of %zu bytes exceeds the limit of %d", len,
                     TDB_MAX_SQL_LENGTH);
  }
  text = tdbMemStrndup(&db->mem, sql, len); /* NUL-terminated for the lexer */
  if (!text) return tdbErrNoMem(&db->err);
  rc = tdbStmtParse(db, text, &consumed, &ast, &nparam);
  if (tail) *tail = sql + consumed;
  if (rc != TDB_OK || !ast) {
    tdbAstStmtFree(&db->mem, ast);
    tdbMemFree(&db->mem, text);
    return rc;
  }
  st = tdbMemAllocZero(&db->mem, sizeof *st);
  if (!st) {
    tdbAstStmtFree(&db->mem, ast);
    tdbMemFree(&db->mem, text);
    return tdbErrNoMem(&db->err);
  }
  st->db = db;
  st->sql = text;
  st->ast = ast;
  st->state = TDB_STMT_READY;
  tdbRowSetInit(&st->result, 0);
  /* keep only this statement's text for tdb_stmt_sql */
  while (consumed > 0 && (text[consumed - 1] == ';' || text[consumed - 1] == ' ' ||
                          text[consumed - 1] == '\n' || text[consumed - 1] == '\t' ||
                          text[consumed - 1] == '\r')) {
    consumed--;
  }
  text[consumed] = '\0';
  rc = tdbStmtCompile(st);
  if (rc == TDB_OK && nparam > 0) {
    int i;
    st->params = tdbMemAlloc(&db->mem, sizeof(TdbValue) * (size_t)nparam);
    if (!st->params) {
      rc = tdbErrNoMem(&db->err);
    } else {
      st->nparams = nparam;
      for (i = 0; i < st->nparams; i++) tdbValueSetNull(&st->params[i]);
    }
  }
  if (rc != TDB_OK) {
    tdbStmtFree(st);
    return rc;
  }
  st->next = db->stmts;
  if (db->stmts) db->stmts->prev = st;
  db->stmts = st;
  *out = st;
  return TDB_OK;
}

/* The schema changed since the statement was compiled: parse, bind and
** plan it again (the bound parameters stay). */
static int tdbStmtRecompile(tdb_stmt *st) {
  size_t consumed;
  int nparam, rc;
  tdbStmtFreeCompiled(st);
  rc = tdbStmtParse(st->db, st->sql, &consumed, &st->ast, &nparam);
  if (rc == TDB_OK && !st->ast) rc = tdbErrSet(&st->db->err, TDB_INTERNAL, NULL, "empty statement");
  if (rc == TDB_OK && nparam > st->nparams) {
    rc = tdbErrSet(&st->db->err, TDB_INTERNAL, NULL, "parameters changed on re-prepare");
  }
  if (rc == TDB_OK) rc = tdbStmtCompile(st);
  return rc;
}

TDB_API int tdb_finalize(tdb_stmt *st) {
  tdb *db;
  if (!st) return TDB_OK;
  db = st->db;
  if (st->prev) st->prev->next = st->next;
  else db->stmts = st->next;
  if (st->next) st->next->prev = st->prev;
  tdbStmtFree(st);
  return TDB_OK;
}

TDB_API int tdb_reset(tdb_stmt *st) {
  if (!st) return TDB_MISUSE;
  tdbStmtStop(st);
  st->state = TDB_STMT_READY;
  return TDB_OK;
}

TDB_API const char *tdb_stmt_sql(tdb_stmt *st) {
  return st ? st->sql : NULL;
}

/* ---- binding -------------------------------------------------------------------- */

/* Validate a parameter index and clear its old value; NULL if out of range. */
static TdbValue *tdbStmtParam(tdb_stmt *st, int idx) {
  if (!st) return NULL;
  if (st->state != TDB_STMT_READY) tdb_reset(st);
  if (idx < 1 || idx > st->nparams) {
    tdbErrSet(&st->db->err, TDB_RANGE, NULL, "parameter index %d out of range (1..%d)", idx,
              st->nparams);
    return NULL;
  }
  tdbValueClear(&st->db->mem, &st->params[idx - 1]);
  return &st->params[idx - 1];
}

TDB_API int tdb_bind_parameter_count(tdb_stmt *st) {
  return st ? st->nparams : 0;
}

TDB_API int tdb_bind_null(tdb_stmt *st, int idx) {
  return tdbStmtParam(st, idx) ? TDB_OK : TDB_RANGE;
}

TDB_API int tdb_bind_bool(tdb_stmt *st, int idx, int value) {
  TdbValue *v = tdbStmtParam(st, idx);
  if (!v) return TDB_RANGE;
  tdbValueSetBool(v, value);
  return TDB_OK;
}

TDB_API int tdb_bind_int64(tdb_stmt *st, int idx, int64_t value) {
  TdbValue *v = tdbStmtParam(st, idx);
  if (!v) return TDB_RANGE;
  tdbValueSetInt(v, value);
  return TDB_OK;
}

TDB_API int tdb_bind_double(tdb_stmt *st, int idx, double value) {
  TdbValue *v = tdbStmtParam(st, idx);
  if (!v) return TDB_RANGE;
  tdbValueSetReal(v, value);
  return TDB_OK;
}

TDB_API int tdb_bind_timestamp(tdb_stmt *st, int idx, int64_t micros) {
  TdbValue *v = tdbStmtParam(st, idx);
  if (!v) return TDB_RANGE;
  tdbValueSetTimestamp(v, micros);
  return TDB_OK;
}

static int tdbStmtBindBytes(tdb_stmt *st, int idx, int type, const void *p, size_t n) {
  TdbValue *v = tdbStmtParam(st, idx);
  if (!v) return TDB_RANGE;
  if (!p) return TDB_OK; /* NULL data binds SQL NULL */
  if (tdbValueSetBytes(&st->db->mem, v, type, p, n) != TDB_OK) {
    return tdbErrNoMem(&st->db->err);
  }
  return TDB_OK;
}

TDB_API int tdb_bind_text(tdb_stmt *st, int idx, const char *text, int nbytes) {
  size_t n = 0;
  if (text) n = nbytes < 0 ? strlen(text) : (size_t)nbytes;
  return tdbStmtBindBytes(st, idx, TDB_TYPE_TEXT, text, n);
}

TDB_API int tdb_bind_blob(tdb_stmt *st, int idx, const void *data, int nbytes) {
  if (nbytes < 0) {
    if (st) tdbErrSet(&st->db->err, TDB_MISUSE, NULL, "tdb_bind_blob: negative size");
    return TDB_MISUSE;
  }
  return tdbStmtBindBytes(st, idx, TDB_TYPE_BLOB, data, (size_t)nbytes);
}

TDB_API int tdb_clear_bindings(tdb_stmt *st) {
  int i;
  if (!st) return TDB_MISUSE;
  for (i = 0; i < st->nparams; i++) tdbValueClear(&st->db->mem, &st->params[i]);
  return TDB_OK;
}

/* ---- execution -------------------------------------------------------------------- */

/* EXPLAIN [ANALYZE]: the plan as text rows (ANALYZE runs it first). */
static int tdbStmtExplain(tdb_stmt *st) {
  TdbPlan *root = st->root ? st->root : st->target_rows;
  TdbStr text;
  int rc = TDB_OK;
  char *line, *nl;
  if (st->ast->explain == 2) {
    TdbChunk *c;
    st->exec.analyze = 1;
    rc = tdbPlanOpen(&st->exec, root, NULL);
    while (rc == TDB_OK) {
      rc = tdbPlanNext(&st->exec, root, &c);
      if (rc != TDB_OK || TDB_CHUNK_LIVE(c) == 0) break;
    }
    tdbPlanClose(&st->exec, root);
    if (rc != TDB_OK) return rc;
  }
  tdbStrInit(&text, &st->db->mem);
  tdbPlanExplain(&text, root, st->sql, st->ast->explain == 2);
  if (text.oom) {
    tdbStrClear(&text);
    return tdbErrNoMem(&st->db->err);
  }
  tdbRowSetInit(&st->result, 1);
  for (line = text.z; line && *line && rc == TDB_OK; line = nl + 1) {
    TdbValue *row;
    nl = strchr(line, '\n');
    if (!nl) nl = line + strlen(line);
    row = tdbRowSetAdd(&st->result, &st->db->mem);
    if (!row || tdbValueSetBytes(&st->db->mem, &row[0], TDB_TYPE_TEXT, line,
                                 (size_t)(nl - line)) != TDB_OK) {
      rc = tdbErrNoMem(&st->db->err);
    }
    if (!*nl) break;
  }
  tdbStrClear(&text);
  st->use_result = 1;
  return rc;
}

/* Start an execution (the write lock is held when the statement writes):
** take the statement's snapshot (the catalog brought up to it),
** re-prepare after a schema change, set its times, run what runs before
** the first row. */
static int tdbStmtRun(tdb_stmt *st) {
  tdb *db = st->db;
  TdbExec *ex = &st->exec;
  uint64_t serial = ex->serial, snapshot;
  int rc;
  if (db->txn.active) {
    snapshot = db->txn.snapshot; /* the transaction holds the pin */
  } else if ((rc = tdbSharePinCurrent(db, &snapshot)) != TDB_OK) {
    return rc;
  }
  if (st->schema_version != db->catalog.version || !st->ast) {
    rc = tdbStmtRecompile(st);
    if (rc != TDB_OK) {
      if (!db->txn.active) tdbStoreUnpinSnapshot(db->store, snapshot);
      return rc;
    }
  }
  tdbShareNoteSnapshot(db, snapshot);
  db->changes = 0;
  memset(ex, 0, sizeof *ex);
  ex->db = db;
  ex->mem = &db->mem;
  ex->err = &db->err;
  ex->params = st->params;
  ex->nparams = st->nparams;
  ex->now = tdbStatementTime(db);
  ex->snapshot = snapshot;
  if (db->txn.active) { /* the transaction's valid time */
    ex->cvt = db->txn.cvt;
  } else {
    st->pinned = 1;
    ex->cvt = ex->now;
  }
  /* SET CURRENT_VALID_TIME overrides ex->cvt (temporal_session.c) */
  if ((rc = tdbTemporalStart(db, ex)) != TDB_OK) return rc;
  ex->serial = serial + 1;
  if (!st->pool && !(st->pool = tdbVecPoolNew(&db->mem))) return tdbErrNoMem(&db->err);
  ex->pool = st->pool;
  if (st->ast->explain) return tdbStmtExplain(st);
  switch (st->ast->kind) {
    case TDB_STMT_SELECT:
      if (st->point) { /* the row without the batch machinery, when it can */
        rc = tdbPointScanRun(ex, st->point, &st->point_ran);
        if (rc != TDB_OK || st->point_ran) return rc;
      }
      return tdbPlanOpen(ex, st->root, NULL);
    case TDB_STMT_SHOW_TABLES:
    case TDB_STMT_DESCRIBE:
      return tdbPlanOpen(ex, st->root, NULL);
    case TDB_STMT_INSERT:
    case TDB_STMT_UPDATE:
    case TDB_STMT_DELETE:
      rc = tdbExecDml(st);
      if (rc == TDB_OK) tdbTxnNoteWrite(db, 0);
      return rc;
    case TDB_STMT_BEGIN:
    case TDB_STMT_COMMIT:
    case TDB_STMT_ROLLBACK:
    case TDB_STMT_SAVEPOINT:
    case TDB_STMT_ROLLBACK_TO:
    case TDB_STMT_RELEASE:
      return tdbTxnExec(st);
    case TDB_STMT_BACKUP: /* not a write; RESTORE commits the backed-up epochs */
    case TDB_STMT_RESTORE:
    case TDB_STMT_VERIFY_BACKUP:
      return tdbExecBackup(st);
    case TDB_STMT_PURGE_HISTORY:
    case TDB_STMT_PURGE:
      return tdbExecPurge(st);
    default:
      rc = tdbExecDdl(st);
      if (rc == TDB_OK) tdbTxnNoteWrite(db, 1);
      return rc;
  }
}

/* Start an execution: a write statement runs holding the database write
** lock (dbshare.h): an autocommit one for itself, one inside a
** transaction until COMMIT / ROLLBACK. */
static int tdbStmtStart(tdb_stmt *st) {
  tdb *db = st->db;
  int rc, writes;
  if (!st->ast) { /* an earlier re-prepare failed: compile to learn what it is */
    if ((rc = tdbShareRefresh(db)) != TDB_OK || (rc = tdbStmtRecompile(st)) != TDB_OK) return rc;
  }
  writes = tdbStmtWrites(st);
  if (writes && (rc = tdbShareWriteLock(db)) != TDB_OK) return rc;
  rc = tdbStmtRun(st);
  if (writes && !db->txn.active) tdbShareWriteUnlock(db); /* the autocommit write is over */
  return rc;
}

/* Move to the next result row (st->cur_row / st->cur_r, read in place by
** tdb_column_*, valid until the next step): TDB_ROW, TDB_DONE, or an error. */
static int tdbStmtNextRow(tdb_stmt *st) {
  tdbStmtClearRow(st);
  if (st->use_result) {
    if (st->result_pos >= st->result.nrows) return TDB_DONE;
    st->cur_row = tdbRowSetRow(&st->result, st->result_pos++);
    return TDB_ROW;
  }
  if (!st->root || (st->ast->kind != TDB_STMT_SELECT && st->ast->kind != TDB_STMT_SHOW_TABLES &&
                    st->ast->kind != TDB_STMT_DESCRIBE)) {
    return TDB_DONE;
  }
  if (st->point_ran) { /* the direct lookup's one row, or none */
    TdbChunk *b = &st->point->out;
    if (st->chunk || b->n == 0) return TDB_DONE;
    st->chunk = b;
    st->cur_r = 0;
    return TDB_ROW;
  }
  while (!st->chunk || st->chunk_pos >= TDB_CHUNK_LIVE(st->chunk)) {
    int rc = tdbPlanNext(&st->exec, st->root, &st->chunk);
    st->chunk_pos = 0;
    if (rc != TDB_OK) {
      st->chunk = NULL;
      return rc;
    }
    if (TDB_CHUNK_LIVE(st->chunk) == 0) {
      st->chunk = NULL;
      return TDB_DONE;
    }
  }
  st->cur_r = TDB_CHUNK_ROW(st->chunk, st->chunk_pos);
  st->chunk_pos++;
  return TDB_ROW;
}

TDB_API int tdb_step(tdb_stmt *st) {
  int rc;
  if (!st) return TDB_MISUSE;
  tdbErrClear(&st->db->err);
  if (st->state == TDB_STMT_DONE) tdb_reset(st); /* a finished statement starts over */
  if (st->state == TDB_STMT_READY) {
    rc = tdbStmtStart(st);
    if (rc != TDB_OK) {
      tdbStmtStop(st);
      st->state = TDB_STMT_DONE;
      return rc;
    }
  }
  rc = tdbStmtNextRow(st);
  if (rc != TDB_ROW) {
    tdbStmtStop(st);
    st->state = TDB_STMT_DONE;
    return rc;
  }
  st->state = TDB_STMT_HAS_ROW;
  return TDB_ROW;
}

/* ---- columns ---------------------------------------------------------------------- */

TDB_PRIVATE const TdbValue *tdbStmtColumn(tdb_stmt *st, int col) {
  if (!st || st->state != TDB_STMT_HAS_ROW || col < 0 || col >= st->ncols) return NULL;
  if (st->cur_row) return &st->cur_row[col];
  if (st->point_ran) col = st->root->exprs[col]->column;
  return &st->chunk->col[col][st->cur_r];
}

TDB_API int tdb_column_count(tdb_stmt *st) {
  return st ? st->ncols : 0;
}

TDB_API const char *tdb_column_name(tdb_stmt *st, int col) {
  if (!st || col < 0 || col >= st->ncols) return NULL;
  return st->col_names[col];
}

TDB_API int tdb_column_type(tdb_stmt *st, int col) {
  const TdbValue *v = tdbStmtColumn(st, col);
  return v ? v->type : TDB_TYPE_NULL;
}

TDB_API int64_t tdb_column_int64(tdb_stmt *st, int col) {
  const TdbValue *v = tdbStmtColumn(st, col);
  int64_t i = 0;
  if (!v) return 0;
  switch (v->type) {
    case TDB_TYPE_INTEGER: case TDB_TYPE_BOOLEAN: case TDB_TYPE_TIMESTAMP: return v->u.i;
    case TDB_TYPE_REAL:
      /* truncate toward zero, saturating at the int64 range */
      if (v->u.r != v->u.r) return 0;
      if (v->u.r >= 9223372036854775807.0) return INT64_MAX;
      if (v->u.r <= -9223372036854775808.0) return INT64_MIN;
      return (int64_t)v->u.r;
    case TDB_TYPE_TEXT:
      if (tdbParseInt64(v->u.z, v->n, &i) == 0) return i;
      {
        double r;
        if (tdbParseReal(v->u.z, v->n, &r) == 0 && r == r && r < 9.2e18 && r > -9.2e18) {
          return (int64_t)r;
        }
      }
      return 0;
    default: return 0;
  }
}

TDB_API double tdb_column_double(tdb_stmt *st, int col) {
  const TdbValue *v = tdbStmtColumn(st, col);
  double r = 0;
  if (!v) return 0;
  switch (v->type) {
    case TDB_TYPE_REAL: return v->u.r;
    case TDB_TYPE_INTEGER: case TDB_TYPE_BOOLEAN: case TDB_TYPE_TIMESTAMP:
      return (double)v->u.i;
    case TDB_TYPE_TEXT: return tdbParseReal(v->u.z, v->n, &r) == 0 ? r : 0;
    default: return 0;
  }
}

TDB_API const char *tdb_column_text(tdb_stmt *st, int col) {
  const TdbValue *v = tdbStmtColumn(st, col);
  TdbStr s;
  if (!v || v->type == TDB_TYPE_NULL) return NULL;
  if (v->type == TDB_TYPE_TEXT || v->type == TDB_TYPE_JSON) return v->u.z;
  if (!st->col_text[col]) {
    tdbStrInit(&s, &st->db->mem);
    tdbValueRender(&s, v);
    st->col_text[col] = tdbStrFinish(&s);
    if (st->col_text[col]) st->ntext++;
  }
  return st->col_text[col];
}

TDB_API const void *tdb_column_blob(tdb_stmt *st, int col) {
  const TdbValue *v = tdbStmtColumn(st, col);
  if (!v || v->type == TDB_TYPE_NULL) return NULL;
  if (TDB_TYPE_HAS_BYTES(v->type)) return v->u.z;
  return tdb_column_text(st, col);
}

TDB_API int tdb_column_bytes(tdb_stmt *st, int col) {
  const TdbValue *v = tdbStmtColumn(st, col);
  const char *text;
  if (!v || v->type == TDB_TYPE_NULL) return 0;
  if (TDB_TYPE_HAS_BYTES(v->type)) return (int)v->n;
  text = tdb_column_text(st, col);
  return text ? (int)strlen(text) : 0;
}

/* ---- tdb_exec ---------------------------------------------------------------------- */

/* Run one prepared statement to completion, feeding rows to the callback. */
static int tdbExecStatement(tdb *db, tdb_stmt *st, tdb_row_fn callback, void *ctx) {
  const char *stack_vals[16], *stack_names[16];
  const char **vals = stack_vals, **names = stack_names;
  int rc, i, n = tdb_column_count(st);
  if (callback && n > (int)TDB_ARRAY_LEN(stack_vals)) {
    vals = tdbMemAlloc(&db->mem, sizeof(char *) * (size_t)n);
    names = tdbMemAlloc(&db->mem, sizeof(char *) * (size_t)n);
    if (!vals || !names) {
      rc = tdbErrNoMem(&db->err);
      goto done;
    }
  }
  for (i = 0; callback && i < n; i++) names[i] = tdb_column_name(st, i);
  while ((rc = tdb_step(st)) == TDB_ROW) {
    if (!callback) continue;
    for (i = 0; i < n; i++) {
      vals[i] = tdb_column_text(st, i);
      if (!vals[i] && tdb_column_type(st, i) != TDB_TYPE_NULL) {
        rc = tdbErrNoMem(&db->err);
        goto done;
      }
    }
    if (callback(ctx, n, vals, names) != 0) {
      rc = tdbErrSet(&db->err, TDB_INTERRUPT, NULL, "tdb_exec: the callback asked to stop");
      goto done;
    }
  }
  if (rc == TDB_DONE) rc = TDB_OK;
done:
  if (vals != stack_vals) tdbMemFree(&db->mem, (void *)vals);
  if (names != stack_names) tdbMemFree(&db->mem, (void *)names);
  return rc;
}

TDB_API int tdb_exec(tdb *db, const char *sql, tdb_row_fn callback, void *ctx) {
  const char *rest = sql;
  int rc = TDB_OK;
  if (!db || !sql) {
    if (db) tdbErrSet(&db->err, TDB_MISUSE, NULL, "tdb_exec: NULL argument");
    return TDB_MISUSE;
  }
  while (rc == TDB_OK && *rest) {
    tdb_stmt *st = NULL;
    const char *tail = rest;
    rc = tdb_prepare(db, rest, -1, &st, &tail);
    if (rc == TDB_OK && st) {
      rc = tdbExecStatement(db, st, callback, ctx);
      tdb_finalize(st);
    }
    if (tail == rest) break; /* nothing consumed: only blanks remain */
    rest = tail;
  }
  return rc;
}
