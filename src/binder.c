/*
** binder.c — resolve and check a parsed statement before it runs (binder.h):
** the FROM relation, `*` expansion, column references (with "did you mean"),
** functions and their argument counts. Today FROM names a catalog view
** (views.h); tables arrive with the SQL engine core and extend this file.
*/
#include "binder.h"
#include "func.h"
#include "views.h"

typedef struct TdbBinder {
  TdbMem *mem;
  TdbErr *err;
  const char *sql;
  const TdbSource *src;   /* the FROM relation, or NULL */
} TdbBinder;

/* Record an error at `span` of the statement text. */
static int tdbBindErrorAt(TdbBinder *b, TdbSpan span, int code, const char *sqlstate,
                          const char *what) {
  int line, col;
  tdbErrLineCol(b->sql, span.start, &line, &col);
  return tdbErrSet(b->err, code, sqlstate, "%s at line %d, column %d", what, line, col);
}

/* Finish a message built in msg and report it at span. */
static int tdbBindFail(TdbBinder *b, TdbStr *msg, TdbSpan span, int code,
                       const char *sqlstate) {
  int rc;
  if (msg->oom) {
    tdbStrClear(msg);
    return tdbErrNoMem(b->err);
  }
  rc = tdbBindErrorAt(b, span, code, sqlstate, msg->z);
  tdbStrClear(msg);
  return rc;
}

static int tdbBindExpr(TdbBinder *b, TdbExpr *e, int depth);

static int tdbBindList(TdbBinder *b, TdbExprList *l, int depth) {
  int i, rc;
  if (!l) return TDB_OK;
  for (i = 0; i < l->n; i++) {
    rc = tdbBindExpr(b, l->items[i].expr, depth);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

static int tdbBindFunc(TdbBinder *b, TdbExpr *e) {
  const TdbFuncDef *def = tdbFuncFind(e->name);
  int argc = e->list ? e->list->n : 0;
  TdbStr msg;
  if (def && argc >= def->min_args && (def->max_args < 0 || argc <= def->max_args) &&
      !e->star && !e->distinct) {
    e->func = def; /* evaluation calls it without looking it up again */
    return TDB_OK;
  }
  tdbStrInit(&msg, b->mem);
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
  return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_FUNCTION);
}

/* Does a qualifier name the FROM relation? (With an alias only the alias.) */
static int tdbBindQualifies(const TdbSource *src, const char *table) {
  return strcmp(table, src->alias ? src->alias : src->name) == 0;
}

/* Resolve a column reference against the FROM relation. */
static int tdbBindColumn(TdbBinder *b, TdbExpr *e) {
  const TdbView *v = b->src ? b->src->view : NULL;
  const char *hint = NULL;
  int i, best = 3; /* suggest within two edits */
  TdbStr msg;
  if (v && (!e->table || tdbBindQualifies(b->src, e->table))) {
    for (i = 0; i < v->ncols; i++) {
      int d;
      if (strcmp(v->cols[i].name, e->name) == 0) {
        e->column = i;
        return TDB_OK;
      }
      d = tdbEditDistance(v->cols[i].name, e->name);
      if (d < best) {
        best = d;
        hint = v->cols[i].name;
      }
    }
  }
  tdbStrInit(&msg, b->mem);
  if (e->table && (!b->src || !tdbBindQualifies(b->src, e->table))) {
    tdbStrAppendf(&msg, "missing FROM entry for table \"%s\"", e->table);
  } else {
    tdbStrAppendf(&msg, "no such column: %s%s%s", e->table ? e->table : "",
                  e->table ? "." : "", e->name);
    if (hint) tdbStrAppendf(&msg, " (did you mean \"%s\"?)", hint);
  }
  return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA,
                     e->table && (!b->src || !tdbBindQualifies(b->src, e->table))
                         ? TDB_SQLSTATE_UNDEFINED_TABLE
                         : TDB_SQLSTATE_UNDEFINED_COLUMN);
}

static int tdbBindExpr(TdbBinder *b, TdbExpr *e, int depth) {
  int rc;
  if (!e) return TDB_OK;
  if (depth > TDB_MAX_EXPR_DEPTH) {
    return tdbBindErrorAt(b, e->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_TOO_COMPLEX,
                          "expression nested too deeply");
  }
  switch (e->kind) {
    case TDB_EXPR_COLUMN:
      return tdbBindColumn(b, e);
    case TDB_EXPR_STAR: /* expanded before binding when there is a FROM */
      return tdbBindErrorAt(b, e->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                            b->src ? "* is only valid in the select list"
                                   : "SELECT * needs a FROM clause");
    case TDB_EXPR_FUNC:
      rc = tdbBindFunc(b, e);
      if (rc != TDB_OK) return rc;
      break;
    default:
      break;
  }
  rc = tdbBindExpr(b, e->left, depth + 1);
  if (rc == TDB_OK) rc = tdbBindExpr(b, e->right, depth + 1);
  if (rc == TDB_OK) rc = tdbBindExpr(b, e->third, depth + 1);
  if (rc == TDB_OK) rc = tdbBindList(b, e->list, depth + 1);
  return rc;
}

/* A bound reference to column i of view v, for `*` expansion. */
static TdbExpr *tdbBindColumnRef(TdbMem *mem, const TdbView *v, int i, TdbSpan span) {
  TdbExpr *e = tdbMemAllocZero(mem, sizeof *e);
  if (!e) return NULL;
  e->kind = TDB_EXPR_COLUMN;
  tdbValueSetNull(&e->value);
  e->span = span;
  e->column = i;
  e->name = tdbMemStrndup(mem, v->cols[i].name, strlen(v->cols[i].name));
  if (!e->name) {
    tdbMemFree(mem, e);
    return NULL;
  }
  return e;
}

/* Replace every `*` / `t.*` of the select list by the relation's columns. */
static int tdbBindExpandStars(TdbBinder *b, TdbSelect *s) {
  const TdbView *v = b->src->view;
  TdbExprList *cols = s->columns;
  TdbExprItem *items;
  int i, j, n = 0, stars = 0;
  for (i = 0; i < cols->n; i++) {
    const TdbExpr *e = cols->items[i].expr;
    if (e->kind != TDB_EXPR_STAR) continue;
    if (e->table && !tdbBindQualifies(b->src, e->table)) {
      TdbStr msg;
      tdbStrInit(&msg, b->mem);
      tdbStrAppendf(&msg, "missing FROM entry for table \"%s\"", e->table);
      return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE);
    }
    stars++;
  }
  if (!stars) return TDB_OK;
  if ((size_t)cols->n + (size_t)stars * (size_t)v->ncols > TDB_MAX_COLUMNS) {
    return tdbErrSet(b->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                     "too many result columns (at most %d)", TDB_MAX_COLUMNS);
  }
  items = tdbMemAllocZero(b->mem, sizeof *items * (size_t)(cols->n + stars * v->ncols));
  if (!items) return tdbErrNoMem(b->err);
  /* first build every new reference, so a failure leaves the list intact */
  for (i = 0; i < cols->n; i++) {
    TdbExprItem *it = &cols->items[i];
    if (it->expr->kind != TDB_EXPR_STAR) {
      items[n++] = *it;
      continue;
    }
    for (j = 0; j < v->ncols; j++, n++) {
      items[n].expr = tdbBindColumnRef(b->mem, v, j, it->expr->span);
      if (!items[n].expr) {
        int k, m = 0;
        for (k = 0; k < cols->n; k++) { /* free only the references made here */
          if (cols->items[k].expr->kind != TDB_EXPR_STAR) {
            m++;
            continue;
          }
          for (j = 0; j < v->ncols && m < n; j++, m++) tdbExprFree(b->mem, items[m].expr);
        }
        tdbMemFree(b->mem, items);
        return tdbErrNoMem(b->err);
      }
    }
  }
  for (i = 0; i < cols->n; i++) { /* the stars themselves are replaced */
    if (cols->items[i].expr->kind == TDB_EXPR_STAR) {
      tdbExprFree(b->mem, cols->items[i].expr);
      tdbMemFree(b->mem, cols->items[i].alias);
    }
  }
  tdbMemFree(b->mem, cols->items);
  cols->items = items;
  cols->n = cols->cap = n;
  return TDB_OK;
}

TDB_PRIVATE int tdbBindSelect(TdbMem *mem, TdbErr *err, const char *sql, TdbSelect *s) {
  TdbBinder b;
  int rc;
  b.mem = mem;
  b.err = err;
  b.sql = sql;
  b.src = s->from;
  if (s->from) {
    s->from->view = tdbViewFind(s->from->name);
    if (!s->from->view) {
      TdbStr msg;
      tdbStrInit(&msg, mem);
      tdbStrAppendf(&msg, "no such table: %s", s->from->name);
      return tdbBindFail(&b, &msg, s->from->span, TDB_ERROR_SCHEMA,
                         TDB_SQLSTATE_UNDEFINED_TABLE);
    }
    rc = tdbBindExpandStars(&b, s);
    if (rc != TDB_OK) return rc;
  }
  if (s->columns->n > TDB_MAX_COLUMNS) {
    return tdbErrSet(err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                     "too many result columns: %d (at most %d)", s->columns->n,
                     TDB_MAX_COLUMNS);
  }
  rc = tdbBindList(&b, s->columns, 0);
  if (rc == TDB_OK) rc = tdbBindExpr(&b, s->where, 0);
  return rc;
}

TDB_PRIVATE char *tdbBindColumnName(TdbMem *mem, const char *sql, const TdbExprItem *item) {
  const TdbExpr *e = item->expr;
  if (item->alias) return tdbMemStrndup(mem, item->alias, strlen(item->alias));
  if (e->kind == TDB_EXPR_COLUMN) return tdbMemStrndup(mem, e->name, strlen(e->name));
  return tdbMemStrndup(mem, sql + e->span.start, e->span.end - e->span.start);
}
