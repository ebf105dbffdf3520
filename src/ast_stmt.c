/*
** ast_stmt.c — statement nodes of the AST (ast.h): the statement the grammar
** builds in place for DDL and DML, and its destructor.
**
** DDL rules (CREATE TABLE's columns and constraints, ALTER TABLE) carry no
** values up the parser stack: each action edits the statement under
** construction in the parse context (p->stmt), begun by tdbParseBegin. A
** syntax error midway leaves a half-built statement there, which the parse
** driver frees; so nothing here can leak or be freed twice.
*/
#include "ast.h"
#include "temporal.h"

static void *tdbStmtNoMem(TdbParse *p) {
  if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
  return NULL;
}

TDB_PRIVATE TdbAstStmt *tdbParseBegin(TdbParse *p, int kind) {
  TdbAstStmt *stmt;
  if (p->stmt) {
    if (p->stmt->kind == (TdbStmtKind)kind) return p->stmt;
    tdbAstStmtFree(p->mem, p->stmt);
    p->stmt = NULL;
  }
  stmt = tdbMemAllocZero(p->mem, sizeof *stmt);
  if (!stmt) return tdbStmtNoMem(p);
  stmt->kind = (TdbStmtKind)kind;
  p->stmt = stmt;
  return stmt;
}

TDB_PRIVATE TdbAstStmt *tdbParseBeginNamed(TdbParse *p, int kind, TdbToken name,
                                           int if_exists) {
  TdbAstStmt *st = tdbParseBegin(p, kind);
  if (!st) return NULL;
  st->if_exists = if_exists;
  tdbParseSetName(p, name);
  return p->rc == TDB_OK ? st : NULL;
}

TDB_PRIVATE void tdbParseExplain(TdbParse *p, int level) {
  if (p->rc == TDB_OK && p->stmt) p->stmt->explain = level;
}

TDB_PRIVATE void tdbParseViewBody(TdbParse *p, TdbToken as, TdbSelect *body) {
  if (p->rc != TDB_OK || !p->stmt) {
    tdbSelectFree(p->mem, body);
    return;
  }
  p->stmt->body_start = (uint32_t)(as.z + as.n - p->sql);
  tdbParseSetSelect(p, body);
}

TDB_PRIVATE void tdbParseDrop(TdbParse *p, int object, int if_exists, TdbToken name) {
  TdbAstStmt *st = tdbParseBeginNamed(p, TDB_STMT_DROP, name, if_exists);
  if (st) st->object = object;
}

TDB_PRIVATE void tdbParseAlter(TdbParse *p, int what) {
  if (p->rc == TDB_OK && p->stmt) p->stmt->alter = what;
}

/* The statement under construction, or NULL after an out-of-memory. */
static TdbAstStmt *tdbCur(TdbParse *p) {
  return p->rc == TDB_OK ? p->stmt : NULL;
}

TDB_PRIVATE void tdbParseFinishSelect(TdbParse *p, TdbSelect *s) {
  TdbAstStmt *stmt;
  if (!s) return;
  stmt = tdbParseBegin(p, TDB_STMT_SELECT);
  if (!stmt) {
    tdbSelectFree(p->mem, s);
    return;
  }
  tdbSelectFree(p->mem, stmt->select);
  stmt->select = s;
}

static void tdbSetName(TdbParse *p, char **slot, TdbSpan *span, TdbToken name) {
  TdbAstStmt *st = tdbCur(p);
  char *z;
  if (!st) return;
  z = tdbIdentifier(p, name);
  if (!z) return;
  tdbMemFree(p->mem, *slot);
  *slot = z;
  if (span) *span = tdbSpanOfToken(p, name);
}

TDB_PRIVATE void tdbParseSetName(TdbParse *p, TdbToken name) {
  if (tdbCur(p)) tdbSetName(p, &p->stmt->name, &p->stmt->name_span, name);
}

TDB_PRIVATE void tdbParseSetName2(TdbParse *p, TdbToken name) {
  if (tdbCur(p)) tdbSetName(p, &p->stmt->name2, &p->stmt->name2_span, name);
}

TDB_PRIVATE void tdbParseSetName3(TdbParse *p, TdbToken name) {
  if (tdbCur(p)) tdbSetName(p, &p->stmt->name3, NULL, name);
}

TDB_PRIVATE void tdbParseAddColumn(TdbParse *p, TdbToken name, TdbToken type, TdbToken *dim) {
  TdbAstStmt *st = tdbCur(p);
  TdbColumnSpec *col;
  size_t cap;
  void *cols;
  if (!st) return;
  if (st->ncols >= TDB_MAX_COLUMNS) {
    p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                      "too many columns (at most %d)", TDB_MAX_COLUMNS);
    return;
  }
  cap = (size_t)st->cap_cols;
  cols = st->cols;
  if (tdbMemGrow(p->mem, &cols, &cap, (size_t)st->ncols + 1, sizeof *st->cols) != 0) {
    tdbStmtNoMem(p);
    return;
  }
  st->cols = cols;
  st->cap_cols = (int)cap;
  col = &st->cols[st->ncols];
  memset(col, 0, sizeof *col);
  col->span = tdbSpanOfToken(p, name);
  col->dim = -1;
  if (!(col->name = tdbIdentifier(p, name))) return;
  st->ncols++;
  if (!type.z) {
    col->type = TDB_TYPE_NULL; /* no declared type: the binder picks TEXT-like ANY */
  } else {
    col->type = tdbTypeFromName(type.z, type.n);
    if (col->type < 0) {
      int line, c;
      tdbErrLineCol(p->sql, (size_t)(type.z - p->sql), &line, &c);
      p->rc = tdbErrSet(p->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_OBJECT,
                        "unknown type \"%.*s\" at line %d, column %d", (int)TDB_MIN(type.n, 64),
                        type.z, line, c);
      return;
    }
    if (col->type == TDB_TYPE_INTERVAL) {
      int line, c;
      tdbErrLineCol(p->sql, (size_t)(type.z - p->sql), &line, &c);
      p->rc = tdbErrSet(p->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_FEATURE,
                        "type INTERVAL cannot be used for a table column (column \"%s\" at "
                        "line %d, column %d): intervals are computed values only",
                        col->name, line, c);
      return;
    }
  }
  if (dim && dim->z) {
    int64_t n = 0;
    if (tdbParseInt64(dim->z, dim->n, &n) != 0 || n < 0 || n > 65536) n = -1;
    col->dim = (int)n;
  }
}

static TdbColumnSpec *tdbLastColumn(TdbParse *p) {
  TdbAstStmt *st = tdbCur(p);
  if (!st || st->ncols == 0) return NULL;
  return &st->cols[st->ncols - 1];
}

TDB_PRIVATE void tdbParseColumnFlag(TdbParse *p, int what) {
  TdbColumnSpec *col = tdbLastColumn(p);
  if (!col) return;
  if (what == TDB_CONS_PRIMARY) col->primary = 1;
  if (what == TDB_CONS_UNIQUE) col->unique = 1;
  if (what == 4) col->notnull = 1;
}

TDB_PRIVATE void tdbParseColumnDefault(TdbParse *p, TdbExpr *e) {
  TdbColumnSpec *col = tdbLastColumn(p);
  if (!col || !e) {
    tdbExprFree(p->mem, e);
    return;
  }
  tdbExprFree(p->mem, col->dflt);
  col->dflt = e;
  col->dflt_span = e->span;
}

static TdbConstraintSpec *tdbAddConstraint(TdbParse *p, int kind) {
  TdbAstStmt *st = tdbCur(p);
  TdbConstraintSpec *c;
  size_t cap;
  void *arr;
  if (!st) return NULL;
  cap = (size_t)st->cap_cons;
  arr = st->cons;
  if (tdbMemGrow(p->mem, &arr, &cap, (size_t)st->ncons + 1, sizeof *st->cons) != 0) {
    return tdbStmtNoMem(p);
  }
  st->cons = arr;
  st->cap_cons = (int)cap;
  c = &st->cons[st->ncons++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  return c;
}

TDB_PRIVATE void tdbParseTableKey(TdbParse *p, int kind, TdbNameList *names) {
  TdbConstraintSpec *c;
  if (!names) return;
  c = tdbAddConstraint(p, kind);
  if (!c) {
    tdbNameListFree(p->mem, names);
    return;
  }
  /* take the names array; the list shell is freed */
  c->names = names->names;
  c->nnames = names->n;
  c->span = names->spans[0];
  names->names = NULL;
  names->n = 0;
  tdbNameListFree(p->mem, names);
}

TDB_PRIVATE void tdbParseTableCheck(TdbParse *p, TdbExpr *e) {
  TdbConstraintSpec *c;
  if (!e) return;
  c = tdbAddConstraint(p, TDB_CONS_CHECK);
  if (!c) {
    tdbExprFree(p->mem, e);
    return;
  }
  c->check = e;
  c->span = e->span;
}

TDB_PRIVATE void tdbParseSetNames(TdbParse *p, TdbNameList *names) {
  TdbAstStmt *st = tdbCur(p);
  if (!st) {
    tdbNameListFree(p->mem, names);
    return;
  }
  tdbNameListFree(p->mem, st->names);
  st->names = names;
}

TDB_PRIVATE void tdbParseAddRow(TdbParse *p, TdbExprList *row) {
  TdbAstStmt *st = tdbCur(p);
  size_t cap;
  void *arr;
  if (!st || !row) {
    tdbExprListFree(p->mem, row);
    return;
  }
  cap = (size_t)st->cap_rows;
  arr = st->rows;
  if (tdbMemGrow(p->mem, &arr, &cap, (size_t)st->nrows + 1, sizeof *st->rows) != 0) {
    tdbExprListFree(p->mem, row);
    tdbStmtNoMem(p);
    return;
  }
  st->rows = arr;
  st->cap_rows = (int)cap;
  st->rows[st->nrows++] = row;
}

TDB_PRIVATE void tdbParseSetSelect(TdbParse *p, TdbSelect *s) {
  TdbAstStmt *st = tdbCur(p);
  if (!st) {
    tdbSelectFree(p->mem, s);
    return;
  }
  tdbSelectFree(p->mem, st->select);
  st->select = s;
}

TDB_PRIVATE void tdbParseSetWhere(TdbParse *p, TdbExpr *e) {
  TdbAstStmt *st = tdbCur(p);
  if (!st) {
    tdbExprFree(p->mem, e);
    return;
  }
  tdbExprFree(p->mem, st->where);
  st->where = e;
}

TDB_PRIVATE void tdbParseSetReturning(TdbParse *p, TdbExprList *l) {
  TdbAstStmt *st = tdbCur(p);
  if (!st) {
    tdbExprListFree(p->mem, l);
    return;
  }
  tdbExprListFree(p->mem, st->returning);
  st->returning = l;
}

TDB_PRIVATE void tdbParseAddSet(TdbParse *p, TdbToken column, TdbExpr *e) {
  TdbAstStmt *st = tdbCur(p);
  TdbNameList *names;
  TdbExprList *set;
  if (!st || !e) {
    tdbExprFree(p->mem, e);
    return;
  }
  names = tdbNameListAppend(p, st->names, column, 0);
  st->names = names;
  if (!names) {
    tdbExprFree(p->mem, e);
    return;
  }
  set = tdbExprListAppend(p, st->set, e, NULL);
  st->set = set;
}

TDB_PRIVATE void tdbParseSetAlias(TdbParse *p, TdbToken alias) {
  TdbAstStmt *st = tdbCur(p);
  char *z;
  if (!st || !alias.z) return;
  z = tdbIdentifier(p, alias);
  if (!z) return;
  tdbMemFree(p->mem, st->alias);
  st->alias = z;
}

TDB_PRIVATE void tdbAstStmtFree(TdbMem *mem, TdbAstStmt *stmt) {
  int i, j;
  if (!stmt) return;
  tdbSelectFree(mem, stmt->select);
  tdbMemFree(mem, stmt->name);
  tdbMemFree(mem, stmt->name2);
  tdbMemFree(mem, stmt->name3);
  for (i = 0; i < stmt->ncols; i++) {
    tdbMemFree(mem, stmt->cols[i].name);
    tdbExprFree(mem, stmt->cols[i].dflt);
  }
  tdbMemFree(mem, stmt->cols);
  for (i = 0; i < stmt->ncons; i++) {
    for (j = 0; j < stmt->cons[i].nnames; j++) tdbMemFree(mem, stmt->cons[i].names[j]);
    tdbMemFree(mem, stmt->cons[i].names);
    tdbExprFree(mem, stmt->cons[i].check);
  }
  tdbMemFree(mem, stmt->cons);
  tdbNameListFree(mem, stmt->names);
  for (i = 0; i < stmt->nrows; i++) tdbExprListFree(mem, stmt->rows[i]);
  tdbMemFree(mem, stmt->rows);
  tdbExprListFree(mem, stmt->set);
  tdbExprFree(mem, stmt->where);
  tdbExprListFree(mem, stmt->returning);
  tdbMemFree(mem, stmt->alias);
  tdbTemporalFree(mem, stmt->wclauses);
  tdbExprListFree(mem, stmt->key);
  tdbMemFree(mem, stmt);
}
