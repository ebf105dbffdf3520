/*
** binder.c — resolve and check a parsed statement before it runs (binder.h).
** Today a SELECT has no FROM clause, so every column reference is unknown;
** the catalog arrives with the SQL engine core and extends this file.
*/
#include "binder.h"
#include "func.h"

/* Record an error at the position of `e` in `sql`. */
static int tdbBindError(TdbErr *err, const char *sql, const TdbExpr *e, int code,
                        const char *sqlstate, const char *what) {
  int line, col;
  tdbErrLineCol(sql, e->span.start, &line, &col);
  return tdbErrSet(err, code, sqlstate, "%s at line %d, column %d", what, line, col);
}

static int tdbBindExpr(TdbMem *mem, TdbErr *err, const char *sql, const TdbExpr *e,
                       int depth);

static int tdbBindList(TdbMem *mem, TdbErr *err, const char *sql, const TdbExprList *l,
                       int depth) {
  int i, rc;
  if (!l) return TDB_OK;
  for (i = 0; i < l->n; i++) {
    rc = tdbBindExpr(mem, err, sql, l->items[i].expr, depth);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

static int tdbBindFunc(TdbMem *mem, TdbErr *err, const char *sql, const TdbExpr *e) {
  const TdbFuncDef *def = tdbFuncFind(e->name);
  int argc = e->list ? e->list->n : 0;
  TdbStr msg;
  int rc;
  if (def && argc >= def->min_args && (def->max_args < 0 || argc <= def->max_args) &&
      !e->star && !e->distinct) {
    return TDB_OK;
  }
  tdbStrInit(&msg, mem);
  if (!def) {
    const char *hint = tdbFuncSuggest(e->name);
    tdbStrAppendf(&msg, "no such function: %s", e->name);
    if (hint) tdbStrAppendf(&msg, " (did you mean \"%s\"?)", hint);
  } else if (e->star || e->distinct) {
    tdbStrAppendf(&msg, "%s(%s) is only valid for aggregate functions", e->name,
                  e->star ? "*" : "DISTINCT ...");
  } else {
    tdbStrAppendf(&msg, "wrong number of arguments to %s(): %d given", e->name, argc);
  }
  if (msg.oom) {
    tdbStrClear(&msg);
    return tdbErrNoMem(err);
  }
  rc = tdbBindError(err, sql, e, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_FUNCTION, msg.z);
  tdbStrClear(&msg);
  return rc;
}

static int tdbBindExpr(TdbMem *mem, TdbErr *err, const char *sql, const TdbExpr *e,
                       int depth) {
  int rc;
  if (!e) return TDB_OK;
  if (depth > TDB_MAX_EXPR_DEPTH) {
    return tdbBindError(err, sql, e, TDB_ERROR_SYNTAX, TDB_SQLSTATE_TOO_COMPLEX,
                        "expression nested too deeply");
  }
  switch (e->kind) {
    case TDB_EXPR_COLUMN: {
      TdbStr msg;
      tdbStrInit(&msg, mem);
      tdbStrAppendf(&msg, "no such column: %s%s%s", e->table ? e->table : "",
                    e->table ? "." : "", e->name);
      if (msg.oom) {
        tdbStrClear(&msg);
        return tdbErrNoMem(err);
      }
      rc = tdbBindError(err, sql, e, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN, msg.z);
      tdbStrClear(&msg);
      return rc;
    }
    case TDB_EXPR_STAR:
      return tdbBindError(err, sql, e, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                          "SELECT * needs a FROM clause");
    case TDB_EXPR_FUNC:
      rc = tdbBindFunc(mem, err, sql, e);
      if (rc != TDB_OK) return rc;
      break;
    default:
      break;
  }
  rc = tdbBindExpr(mem, err, sql, e->left, depth + 1);
  if (rc == TDB_OK) rc = tdbBindExpr(mem, err, sql, e->right, depth + 1);
  if (rc == TDB_OK) rc = tdbBindExpr(mem, err, sql, e->third, depth + 1);
  if (rc == TDB_OK) rc = tdbBindList(mem, err, sql, e->list, depth + 1);
  return rc;
}

TDB_PRIVATE int tdbBindSelect(TdbMem *mem, TdbErr *err, const char *sql, TdbSelect *s) {
  int rc;
  if (s->columns->n > TDB_MAX_COLUMNS) {
    return tdbErrSet(err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                     "too many result columns: %d (at most %d)", s->columns->n,
                     TDB_MAX_COLUMNS);
  }
  rc = tdbBindList(mem, err, sql, s->columns, 0);
  if (rc == TDB_OK) rc = tdbBindExpr(mem, err, sql, s->where, 0);
  return rc;
}

TDB_PRIVATE char *tdbBindColumnName(TdbMem *mem, const char *sql, const TdbExprItem *item) {
  const TdbExpr *e = item->expr;
  if (item->alias) return tdbMemStrndup(mem, item->alias, strlen(item->alias));
  if (e->kind == TDB_EXPR_COLUMN) return tdbMemStrndup(mem, e->name, strlen(e->name));
  return tdbMemStrndup(mem, sql + e->span.start, e->span.end - e->span.start);
}
