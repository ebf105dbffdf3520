/*
** temporal.c — the parsed form of temporal clauses (temporal.h): builders
** the grammar calls for FOR SYSTEM_TIME / FOR APPLICATION_TIME / AS OF /
** VALID AT / INCLUDING DELETED on a table reference or a query, SET and
** SHOW DRIFT, and the reserved pseudo-column names.
*/
#include "temporal.h"

static void *tdbTemporalNoMem(TdbParse *p) {
  if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
  return NULL;
}

static const char *const tdbPseudoReserved[] = {
    "_rowid",      "_valid_from",       "_valid_to",       "_system_from", "_system_to",
    "_system_from_time", "_system_to_time", "_row_op",  "_is_deleted"};

TDB_PRIVATE int tdbPseudoColumnName(const char *name) {
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(tdbPseudoReserved); i++) {
    if (strcmp(name, tdbPseudoReserved[i]) == 0) return 1;
  }
  return 0;
}

TDB_PRIVATE void tdbTemporalFree(TdbMem *mem, TdbTemporal *t) {
  if (!t) return;
  tdbExprFree(mem, t->sys.a);
  tdbExprFree(mem, t->sys.b);
  tdbExprFree(mem, t->valid.a);
  tdbExprFree(mem, t->valid.b);
  tdbExprFree(mem, t->portion.a);
  tdbExprFree(mem, t->portion.b);
  tdbMemFree(mem, t);
}

TDB_PRIVATE TdbTemporal *tdbTemporalClause(TdbParse *p, TdbToken at, int axis, int kind, int arg,
                                           TdbExpr *a, TdbExpr *b) {
  TdbTemporal *t;
  TdbTimeSel *sel;
  if (p->rc != TDB_OK || (kind != TDB_TSEL_ALL && !a) ||
      ((kind == TDB_TSEL_FROM_TO || kind == TDB_TSEL_BETWEEN) && !b)) {
    tdbExprFree(p->mem, a);
    tdbExprFree(p->mem, b);
    return NULL;
  }
  t = tdbMemAllocZero(p->mem, sizeof *t);
  if (!t) {
    tdbExprFree(p->mem, a);
    tdbExprFree(p->mem, b);
    return tdbTemporalNoMem(p);
  }
  sel = axis == TDB_AXIS_SYSTEM ? &t->sys : &t->valid;
  sel->kind = kind;
  sel->arg = arg;
  sel->a = a;
  sel->b = b;
  sel->span = tdbSpanOfToken(p, at);
  if (b) sel->span = tdbSpanJoin(sel->span, b->span);
  else if (a) sel->span = tdbSpanJoin(sel->span, a->span);
  t->span = sel->span;
  return t;
}

TDB_PRIVATE TdbTemporal *tdbTemporalDeleted(TdbParse *p, TdbToken at) {
  TdbTemporal *t;
  if (p->rc != TDB_OK) return NULL;
  t = tdbMemAllocZero(p->mem, sizeof *t);
  if (!t) return tdbTemporalNoMem(p);
  t->including_deleted = 1;
  t->span = tdbSpanOfToken(p, at);
  return t;
}

/* ERR_TEMPORAL_TARGET at `at`. */
static void tdbTemporalTargetError(TdbParse *p, TdbSpan at, const char *why) {
  int line, col;
  if (p->rc != TDB_OK) return;
  tdbErrLineCol(p->sql, at.start, &line, &col);
  p->rc = tdbErrSet(p->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_TEMPORAL_TARGET,
                    "%s (line %d, column %d)", why, line, col);
}

TDB_PRIVATE TdbTemporal *tdbTemporalPortion(TdbParse *p, TdbToken at, int axis, TdbExpr *a,
                                            TdbExpr *b, int all) {
  TdbTemporal *t;
  if (p->rc == TDB_OK && axis == TDB_AXIS_SYSTEM) {
    tdbTemporalTargetError(p, tdbSpanOfToken(p, at),
                           "FOR PORTION OF SYSTEM_TIME: system time is set by commits and "
                           "cannot be written; use APPLICATION_TIME");
  }
  if (p->rc != TDB_OK || (!all && (!a || !b))) {
    tdbExprFree(p->mem, a);
    tdbExprFree(p->mem, b);
    return NULL;
  }
  t = tdbMemAllocZero(p->mem, sizeof *t);
  if (!t) {
    tdbExprFree(p->mem, a);
    tdbExprFree(p->mem, b);
    return tdbTemporalNoMem(p);
  }
  t->portion.kind = all ? TDB_TSEL_ALL : TDB_TSEL_FROM_TO;
  t->portion.a = a;
  t->portion.b = b;
  t->portion.span = tdbSpanOfToken(p, at);
  if (b) t->portion.span = tdbSpanJoin(t->portion.span, b->span);
  t->span = t->portion.span;
  return t;
}

TDB_PRIVATE void tdbParseWriteClauses(TdbParse *p, TdbTemporal *c) {
  TdbAstStmt *st = p->rc == TDB_OK ? p->stmt : NULL;
  if (!c) return;
  if (st && (c->sys.kind || c->valid.kind || c->including_deleted)) {
    TdbSpan at = c->sys.kind ? c->sys.span : c->valid.kind ? c->valid.span : c->span;
    tdbTemporalTargetError(p, at,
                           "a read clause (AS OF, FOR SYSTEM_TIME, FOR APPLICATION_TIME, VALID "
                           "AT, INCLUDING DELETED) cannot apply to the target of a write; "
                           "use FOR PORTION OF APPLICATION_TIME FROM a TO b");
  }
  if (!st || p->rc != TDB_OK) {
    tdbTemporalFree(p->mem, c);
    return;
  }
  if (!st->wclauses) {
    st->wclauses = c;
    return;
  }
  st->wclauses = tdbTemporalMerge(p, st->wclauses, c);
}

TDB_PRIVATE void tdbParseWriteOp(TdbParse *p, int row_op) {
  if (p->rc == TDB_OK && p->stmt) p->stmt->row_op = row_op;
}

TDB_PRIVATE void tdbParseWriteKey(TdbParse *p, TdbExprList *key) {
  if (p->rc != TDB_OK || !p->stmt || !key) {
    tdbExprListFree(p->mem, key);
    return;
  }
  tdbExprListFree(p->mem, p->stmt->key);
  p->stmt->key = key;
}

/* ERR_DUPLICATE_CLAUSE at the second clause. */
static void tdbTemporalDuplicate(TdbParse *p, TdbSpan at, const char *what) {
  int line, col;
  if (p->rc != TDB_OK) return;
  tdbErrLineCol(p->sql, at.start, &line, &col);
  p->rc = tdbErrSet(p->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_DUPLICATE_CLAUSE,
                    "more than one %s clause for one table reference or query "
                    "(line %d, column %d)", what, line, col);
}

TDB_PRIVATE TdbTemporal *tdbTemporalMerge(TdbParse *p, TdbTemporal *l, TdbTemporal *r) {
  if (!l || !r || p->rc != TDB_OK) {
    tdbTemporalFree(p->mem, l);
    tdbTemporalFree(p->mem, r);
    return NULL;
  }
  if (r->sys.kind && l->sys.kind) {
    tdbTemporalDuplicate(p, r->sys.span, "system-time (FOR SYSTEM_TIME / AS OF)");
  } else if (r->valid.kind && l->valid.kind) {
    tdbTemporalDuplicate(p, r->valid.span, "application-time (FOR APPLICATION_TIME / VALID AT)");
  } else if (r->including_deleted && l->including_deleted) {
    tdbTemporalDuplicate(p, r->span, "INCLUDING DELETED");
  } else if (r->portion.kind && l->portion.kind) {
    tdbTemporalDuplicate(p, r->portion.span, "FOR PORTION OF");
  }
  if (p->rc != TDB_OK) {
    tdbTemporalFree(p->mem, l);
    tdbTemporalFree(p->mem, r);
    return NULL;
  }
  if (r->sys.kind) {
    l->sys = r->sys;
    memset(&r->sys, 0, sizeof r->sys);
  }
  if (r->valid.kind) {
    l->valid = r->valid;
    memset(&r->valid, 0, sizeof r->valid);
  }
  if (r->portion.kind) {
    l->portion = r->portion;
    memset(&r->portion, 0, sizeof r->portion);
  }
  l->including_deleted |= r->including_deleted;
  l->span = tdbSpanJoin(l->span, r->span);
  tdbTemporalFree(p->mem, r);
  return l;
}

TDB_PRIVATE TdbSource *tdbSourceSetTemporal(TdbParse *p, TdbSource *src, TdbTemporal *t) {
  if (!src || !t) {
    tdbSourceFree(p->mem, src);
    tdbTemporalFree(p->mem, t);
    return NULL;
  }
  src->temporal = t;
  return src;
}

TDB_PRIVATE TdbSelect *tdbSelectSetTemporal(TdbParse *p, TdbSelect *s, TdbTemporal *t) {
  if (!s || !t) {
    tdbSelectFree(p->mem, s);
    tdbTemporalFree(p->mem, t);
    return NULL;
  }
  s->temporal = t;
  return s;
}

TDB_PRIVATE void tdbParseSet(TdbParse *p, TdbToken name, TdbExpr *value) {
  TdbAstStmt *st;
  if (p->rc != TDB_OK) {
    tdbExprFree(p->mem, value);
    return;
  }
  st = tdbParseBegin(p, TDB_STMT_SET);
  if (!st) {
    tdbExprFree(p->mem, value);
    return;
  }
  tdbParseSetName(p, name);
  st->where = value;
}

TDB_PRIVATE void tdbParseShowDrift(TdbParse *p, TdbToken table, TdbExprList *key) {
  TdbAstStmt *st;
  if (p->rc != TDB_OK || !key) {
    tdbExprListFree(p->mem, key);
    return;
  }
  st = tdbParseBegin(p, TDB_STMT_SHOW_DRIFT);
  if (!st) {
    tdbExprListFree(p->mem, key);
    return;
  }
  tdbParseSetName(p, table);
  st->set = key;
}
