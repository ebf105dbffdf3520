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

#include <stdlib.h>

/* ---- lifetime ---------------------------------------------------------------- */

/* Release the current row's values and rendered texts (either array may be
** missing when preparing ran out of memory), and the source row. */
static void tdbStmtClearRow(tdb_stmt *st) {
  int i;
  for (i = 0; st->src_row && i < st->nsrc; i++) tdbValueClear(&st->db->mem, &st->src_row[i]);
  for (i = 0; i < st->ncols; i++) {
    if (st->row) tdbValueClear(&st->db->mem, &st->row[i]);
    if (st->col_text) {
      tdbMemFree(&st->db->mem, st->col_text[i]);
      st->col_text[i] = NULL;
    }
  }
}

static void tdbStmtFree(tdb_stmt *st) {
  TdbMem *mem = &st->db->mem;
  int i;
  tdbStmtClearRow(st);
  for (i = 0; i < st->nparams; i++) tdbValueClear(mem, &st->params[i]);
  if (st->col_names) {
    for (i = 0; i < st->ncols; i++) tdbMemFree(mem, st->col_names[i]);
  }
  tdbMemFree(mem, st->col_names);
  tdbMemFree(mem, st->col_text);
  tdbMemFree(mem, st->row);
  tdbMemFree(mem, st->src_row);
  tdbMemFree(mem, st->params);
  tdbAstStmtFree(mem, st->ast);
  tdbMemFree(mem, st->sql);
  tdbMemFree(mem, st);
}

/* Allocate the per-column arrays and names of a bound SELECT. */
static int tdbStmtSetupColumns(tdb_stmt *st) {
  TdbMem *mem = &st->db->mem;
  TdbExprList *cols = st->ast->select->columns;
  int i;
  st->ncols = cols->n;
  st->col_names = tdbMemAllocZero(mem, sizeof(char *) * (size_t)st->ncols);
  st->col_text = tdbMemAllocZero(mem, sizeof(char *) * (size_t)st->ncols);
  st->row = tdbMemAllocZero(mem, sizeof(TdbValue) * (size_t)st->ncols);
  if (!st->col_names || !st->col_text || !st->row) return tdbErrNoMem(&st->db->err);
  if (st->ast->select->from) {
    int j;
    st->nsrc = st->ast->select->from->view->ncols;
    st->src_row = tdbMemAllocZero(mem, sizeof(TdbValue) * (size_t)st->nsrc);
    if (!st->src_row) return tdbErrNoMem(&st->db->err);
    for (j = 0; j < st->nsrc; j++) tdbValueSetNull(&st->src_row[j]);
  }
  for (i = 0; i < st->ncols; i++) {
    tdbValueSetNull(&st->row[i]);
    st->col_names[i] = tdbBindColumnName(mem, st->sql, &cols->items[i]);
    if (!st->col_names[i]) return tdbErrNoMem(&st->db->err);
  }
  return TDB_OK;
}

TDB_API int tdb_prepare(tdb *db, const char *sql, int nbytes, tdb_stmt **out,
                        const char **tail) {
  TdbParse parse;
  tdb_stmt *st = NULL;
  size_t len, consumed = 0;
  char *text;
  int rc;
  if (out) *out = NULL;
  if (tail) *tail = sql;
  if (!db || !sql || !out) {
    if (db) tdbErrSet(&db->err, TDB_MISUSE, NULL, "tdb_prepare: NULL argument");
    return TDB_MISUSE;
  }
  tdbErrClear(&db->err);
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
  tdbParseInit(&parse, &db->mem, &db->err);
  rc = tdbParseOne(&parse, text, &consumed);
  if (tail) *tail = sql + consumed;
  if (rc != TDB_OK || !parse.stmt) {
    tdbMemFree(&db->mem, text);
    return rc;
  }
  st = tdbMemAllocZero(&db->mem, sizeof *st);
  if (!st) {
    tdbAstStmtFree(&db->mem, parse.stmt);
    tdbMemFree(&db->mem, text);
    return tdbErrNoMem(&db->err);
  }
  st->db = db;
  st->sql = text;
  st->ast = parse.stmt;
  st->state = TDB_STMT_READY;
  rc = tdbBindSelect(&db->mem, &db->err, text, st->ast->select);
  if (rc == TDB_OK) rc = tdbStmtSetupColumns(st);
  if (rc == TDB_OK && parse.nparam > 0) {
    int i;
    st->params = tdbMemAlloc(&db->mem, sizeof(TdbValue) * (size_t)parse.nparam);
    if (!st->params) {
      rc = tdbErrNoMem(&db->err);
    } else {
      st->nparams = parse.nparam;
      for (i = 0; i < st->nparams; i++) tdbValueSetNull(&st->params[i]);
    }
  }
  if (rc != TDB_OK) {
    tdbStmtFree(st);
    return rc;
  }
  /* keep only this statement's text for tdb_stmt_sql */
  while (consumed > 0 && (text[consumed - 1] == ';' || text[consumed - 1] == ' ' ||
                          text[consumed - 1] == '\n' || text[consumed - 1] == '\t' ||
                          text[consumed - 1] == '\r')) {
    consumed--;
  }
  text[consumed] = '\0';
  st->next = db->stmts;
  if (db->stmts) db->stmts->prev = st;
  db->stmts = st;
  *out = st;
  return TDB_OK;
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
  tdbStmtClearRow(st);
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

/* Produce the next result row into st->row: TDB_ROW, TDB_DONE when the
** relation is exhausted (a FROM-less SELECT has one row), or an error. */
static int tdbStmtNextRow(tdb_stmt *st) {
  TdbEvalCtx ctx;
  TdbSelect *sel = st->ast->select;
  int i, rc = TDB_OK;
  ctx.mem = &st->db->mem;
  ctx.err = &st->db->err;
  ctx.params = st->params;
  ctx.nparams = st->nparams;
  ctx.row = st->src_row;
  ctx.nrow = st->nsrc;
  ctx.now_micros = tdbTimeNowMicros();
  for (;;) {
    tdbStmtClearRow(st);
    if (sel->from) {
      int got = sel->from->view->row(&st->db->mem, st->next_src++, st->src_row);
      if (got == 0) return TDB_DONE;
      if (got < 0) return -got == TDB_NOMEM ? tdbErrNoMem(ctx.err)
                                            : tdbErrSet(ctx.err, -got, NULL, "reading %s failed",
                                                        sel->from->name);
    } else if (st->next_src++ > 0) {
      return TDB_DONE;
    }
    if (sel->where) {
      TdbValue cond;
      int truth = 0;
      tdbValueSetNull(&cond);
      rc = tdbExprEval(&ctx, sel->where, &cond);
      if (rc == TDB_OK) rc = tdbExprTruth(&ctx, &cond, &truth);
      tdbValueClear(ctx.mem, &cond);
      if (rc != TDB_OK) return rc;
      if (truth != 1) continue;
    }
    for (i = 0; rc == TDB_OK && i < st->ncols; i++) {
      TdbValue v;
      tdbValueSetNull(&v);
      rc = tdbExprEval(&ctx, sel->columns->items[i].expr, &v);
      /* own the result: it must stay valid while the row is current */
      if (rc == TDB_OK && !v.owned && TDB_TYPE_HAS_BYTES(v.type)) {
        if (tdbValueCopy(ctx.mem, &st->row[i], &v) != TDB_OK) rc = tdbErrNoMem(ctx.err);
      } else {
        st->row[i] = v;
      }
    }
    return rc == TDB_OK ? TDB_ROW : rc;
  }
}

TDB_API int tdb_step(tdb_stmt *st) {
  int rc;
  if (!st) return TDB_MISUSE;
  tdbErrClear(&st->db->err);
  if (st->state == TDB_STMT_DONE) tdb_reset(st); /* a finished statement starts over */
  if (st->state == TDB_STMT_READY) {
    st->db->changes = 0;
    st->next_src = 0;
  }
  rc = tdbStmtNextRow(st);
  if (rc != TDB_ROW) {
    tdbStmtClearRow(st);
    st->state = TDB_STMT_DONE;
    return rc;
  }
  st->state = TDB_STMT_HAS_ROW;
  return TDB_ROW;
}

/* ---- columns ---------------------------------------------------------------------- */

static const TdbValue *tdbStmtColumn(tdb_stmt *st, int col) {
  if (!st || st->state != TDB_STMT_HAS_ROW || col < 0 || col >= st->ncols) return NULL;
  return &st->row[col];
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
