/*
** period.c — PERIOD(a, b) and its predicates (period.h; TEMPORAL.md §1.5):
** the parser action that turns `PERIOD(a, b) OVERLAPS PERIOD(c, d)` and its
** siblings into one TDB_EXPR_PERIOD node, the bind-time type check, the
** evaluator and the SQL text for EXPLAIN.
**
** A bound is compared as a pair (inf, value): inf -1 is -infinity (a NULL
** start), +1 +infinity (a NULL end), 0 a finite value. Every predicate is
** then a conjunction of total comparisons, so only a NULL instant on the
** right of CONTAINS gives NULL.
*/
#include "period.h"

/* ---- names ------------------------------------------------------------------ */

static const char *tdbPeriodPredName(int pred) {
  switch (pred) {
    case TDB_PERIOD_OVERLAPS: return "OVERLAPS";
    case TDB_PERIOD_CONTAINS: return "CONTAINS";
    case TDB_PERIOD_PRECEDES: return "PRECEDES";
    case TDB_PERIOD_SUCCEEDS: return "SUCCEEDS";
    case TDB_PERIOD_IMM_PRECEDES: return "IMMEDIATELY PRECEDES";
    case TDB_PERIOD_IMM_SUCCEEDS: return "IMMEDIATELY SUCCEEDS";
    case TDB_PERIOD_EQUALS: return "EQUALS";
    default: return "?";
  }
}

/* Which operand list item i is, for messages. */
static const char *tdbPeriodItemName(const TdbExpr *e, int i) {
  static const char *const names[] = {"start of the left period", "end of the left period",
                                      "start of the right period", "end of the right period"};
  if (i == 2 && e->list->n == 3) return "instant";
  return i >= 0 && i < 4 ? names[i] : "operand";
}

/* ---- parsing ---------------------------------------------------------------- */

TDB_PRIVATE int tdbPeriodIsCall(const TdbExpr *e) {
  return e && e->kind == TDB_EXPR_FUNC && e->name && strcmp(e->name, "period") == 0;
}

/* Record a 42804 error at byte offset pos of the statement. */
static void tdbPeriodParseError(TdbParse *p, uint32_t pos, const char *what, const char *pred) {
  int line, col;
  if (p->rc != TDB_OK) return;
  tdbErrLineCol(p->sql, pos, &line, &col);
  p->rc = tdbErrSet(p->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                    "%s %s at line %d, column %d", what, pred, line, col);
}

/* Is call e a well-formed PERIOD(a, b)? Records the error when it is not. */
static int tdbPeriodCallOk(TdbParse *p, const TdbExpr *e, const char *pred) {
  if (e->star || e->distinct || e->filter || e->over || !e->list || e->list->n != 2) {
    tdbPeriodParseError(p, e->span.start,
                        "PERIOD takes exactly two bounds, PERIOD(start, end), as an operand of",
                        pred);
    return 0;
  }
  return 1;
}

/* Move the arguments of call e to the end of list (which owns them after). */
static void tdbPeriodTakeArgs(TdbExprList *list, TdbExpr *e) {
  int i;
  for (i = 0; i < e->list->n; i++) {
    list->items[list->n].expr = e->list->items[i].expr;
    list->items[list->n].alias = NULL;
    list->n++;
    e->list->items[i].expr = NULL;
  }
}

TDB_PRIVATE TdbExpr *tdbExprPeriodPred(TdbParse *p, int pred, TdbToken optok, TdbExpr *l,
                                       TdbExpr *r) {
  const char *name = tdbPeriodPredName(pred);
  int instant;
  TdbExpr *e = NULL;
  TdbExprList *list = NULL;
  if (!l || !r) goto fail; /* an operand failed to build: already reported */
  if (!tdbPeriodIsCall(l)) {
    tdbPeriodParseError(p, l->span.start, "the left operand must be PERIOD(start, end) for",
                        name);
    goto fail;
  }
  if (!tdbPeriodCallOk(p, l, name)) goto fail;
  instant = !tdbPeriodIsCall(r);
  if (instant && pred != TDB_PERIOD_CONTAINS) {
    tdbPeriodParseError(p, r->span.start, "the right operand must be PERIOD(start, end) for",
                        name);
    goto fail;
  }
  if (!instant && !tdbPeriodCallOk(p, r, name)) goto fail;
  e = tdbMemAllocZero(p->mem, sizeof *e);
  list = tdbMemAllocZero(p->mem, sizeof *list);
  if (list) list->items = tdbMemAllocZero(p->mem, sizeof *list->items * 4);
  if (!e || !list || !list->items) {
    if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
    goto fail;
  }
  list->cap = 4;
  e->kind = TDB_EXPR_PERIOD;
  e->op = (uint8_t)pred;
  e->agg = -1;
  e->win = -1;
  tdbValueSetNull(&e->value);
  e->span = tdbSpanJoin(tdbSpanJoin(l->span, tdbSpanOfToken(p, optok)), r->span);
  tdbPeriodTakeArgs(list, l);
  if (instant) {
    list->items[list->n++].expr = r;
    r = NULL;
  } else {
    tdbPeriodTakeArgs(list, r);
  }
  e->list = list;
  tdbExprFree(p->mem, l);
  tdbExprFree(p->mem, r);
  return e;
fail:
  if (list) tdbExprListFree(p->mem, list);
  tdbMemFree(p->mem, e);
  tdbExprFree(p->mem, l);
  tdbExprFree(p->mem, r);
  return NULL;
}

/* ---- types ------------------------------------------------------------------ */

static int tdbPeriodTypeOk(int type) {
  return type == TDB_TYPE_INTEGER || type == TDB_TYPE_TIMESTAMP;
}

TDB_PRIVATE int tdbPeriodCheckTypes(const TdbExpr *e, const int *types, TdbStr *msg) {
  const char *pred = tdbPeriodPredName(e->op);
  int i, first = -1;
  for (i = 0; i < e->list->n; i++) {
    if (types[i] < 0 || types[i] == TDB_TYPE_NULL) continue;
    if (!tdbPeriodTypeOk(types[i])) {
      tdbStrAppendf(msg, "the %s of %s is %s; period bounds and instants are INTEGER or TIMESTAMP",
                    tdbPeriodItemName(e, i), pred, tdbTypeName(types[i]));
      return i;
    }
    if (first < 0) {
      first = i;
    } else if (types[i] != types[first]) {
      tdbStrAppendf(msg, "the %s of %s is %s but the %s is %s; all must be of one type",
                    tdbPeriodItemName(e, i), pred, tdbTypeName(types[i]),
                    tdbPeriodItemName(e, first), tdbTypeName(types[first]));
      return i;
    }
  }
  return -1;
}

/* ---- evaluation ------------------------------------------------------------- */

/* One bound or instant: inf -1 (-infinity), 0 (finite v) or +1 (+infinity). */
typedef struct TdbBound {
  int inf;
  int64_t v;
} TdbBound;

static int tdbBoundCmp(TdbBound a, TdbBound b) {
  if (a.inf != b.inf) return a.inf < b.inf ? -1 : 1;
  if (a.inf) return 0;
  return a.v < b.v ? -1 : a.v > b.v;
}

/* The message prefix naming the predicate: its SQL text. */
static void tdbPeriodWhere(TdbStr *s, const TdbExpr *e) {
  tdbStrAppendz(s, " in ");
  tdbPeriodToSql(s, e);
}

static int tdbPeriodFail(TdbEvalCtx *ctx, const TdbExpr *e, int code, const char *sqlstate,
                         TdbStr *msg) {
  int rc;
  tdbPeriodWhere(msg, e);
  if (msg->oom) {
    tdbStrClear(msg);
    return tdbErrNoMem(ctx->err);
  }
  rc = tdbErrSet(ctx->err, code, sqlstate, "%s", msg->z);
  tdbStrClear(msg);
  return rc;
}

TDB_PRIVATE int tdbPeriodEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue v[4];
  TdbBound b[4];
  int n = e->list ? e->list->n : 0, i, rc = TDB_OK, type = -1, first = -1, truth = 0;
  TdbStr msg;
  tdbValueSetNull(out);
  if (n != 3 && n != 4) {
    return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "period predicate with %d operands", n);
  }
  for (i = 0; i < n; i++) tdbValueSetNull(&v[i]);
  for (i = 0; rc == TDB_OK && i < n; i++) rc = tdbExprEval(ctx, e->list->items[i].expr, &v[i]);
  tdbStrInit(&msg, ctx->mem);
  for (i = 0; rc == TDB_OK && i < n; i++) {
    if (TDB_VALUE_IS_NULL(&v[i])) {
      /* a NULL start is -infinity, a NULL end +infinity (items 0, 2 start) */
      b[i].inf = (i % 2 == 0) ? -1 : 1;
      b[i].v = 0;
      continue;
    }
    if (!tdbPeriodTypeOk(v[i].type)) {
      tdbStrAppendf(&msg, "the %s is %s; period bounds and instants are INTEGER or TIMESTAMP",
                    tdbPeriodItemName(e, i), tdbTypeName(v[i].type));
      rc = tdbPeriodFail(ctx, e, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH, &msg);
      break;
    }
    if (first < 0) {
      first = i;
      type = v[i].type;
    } else if (v[i].type != type) {
      tdbStrAppendf(&msg, "the %s is %s but the %s is %s; all must be of one type",
                    tdbPeriodItemName(e, i), tdbTypeName(v[i].type), tdbPeriodItemName(e, first),
                    tdbTypeName(type));
      rc = tdbPeriodFail(ctx, e, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH, &msg);
      break;
    }
    b[i].inf = 0;
    b[i].v = v[i].u.i;
  }
  /* each period must start before it ends: [a, b) with a >= b is 22T03 */
  for (i = 0; rc == TDB_OK && i + 1 < n; i += 2) {
    if (tdbBoundCmp(b[i], b[i + 1]) >= 0) {
      tdbStrAppendz(&msg, "invalid period: the start ");
      tdbValueRender(&msg, &v[i]);
      tdbStrAppendz(&msg, " is not before the end ");
      tdbValueRender(&msg, &v[i + 1]);
      rc = tdbPeriodFail(ctx, e, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_INVALID_PERIOD, &msg);
    }
  }
  if (rc == TDB_OK) {
    const TdbBound ps = b[0], pe = b[1];
    if (n == 3) { /* p CONTAINS t: ps <= t < pe; a NULL t is unknown */
      if (!TDB_VALUE_IS_NULL(&v[2])) {
        truth = tdbBoundCmp(ps, b[2]) <= 0 && tdbBoundCmp(b[2], pe) < 0;
        tdbValueSetBool(out, truth);
      }
    } else {
      const TdbBound qs = b[2], qe = b[3];
      switch (e->op) {
        case TDB_PERIOD_OVERLAPS:
          truth = tdbBoundCmp(ps, qe) < 0 && tdbBoundCmp(qs, pe) < 0;
          break;
        case TDB_PERIOD_CONTAINS:
          truth = tdbBoundCmp(ps, qs) <= 0 && tdbBoundCmp(qe, pe) <= 0;
          break;
        case TDB_PERIOD_PRECEDES: truth = tdbBoundCmp(pe, qs) <= 0; break;
        case TDB_PERIOD_SUCCEEDS: truth = tdbBoundCmp(qe, ps) <= 0; break;
        case TDB_PERIOD_IMM_PRECEDES: truth = tdbBoundCmp(pe, qs) == 0; break;
        case TDB_PERIOD_IMM_SUCCEEDS: truth = tdbBoundCmp(qe, ps) == 0; break;
        case TDB_PERIOD_EQUALS:
          truth = tdbBoundCmp(ps, qs) == 0 && tdbBoundCmp(pe, qe) == 0;
          break;
        default:
          rc = tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "bad period predicate %d", e->op);
          break;
      }
      if (rc == TDB_OK) tdbValueSetBool(out, truth);
    }
  }
  tdbStrClear(&msg);
  for (i = 0; i < n; i++) tdbValueClear(ctx->mem, &v[i]);
  return rc;
}

/* ---- SQL text --------------------------------------------------------------- */

TDB_PRIVATE void tdbPeriodToSql(TdbStr *out, const TdbExpr *e) {
  const TdbExprList *l = e->list;
  if (!l || (l->n != 3 && l->n != 4)) {
    tdbStrAppendz(out, "?");
    return;
  }
  tdbStrAppendz(out, "(PERIOD(");
  tdbExprToSql(out, l->items[0].expr);
  tdbStrAppendz(out, ", ");
  tdbExprToSql(out, l->items[1].expr);
  tdbStrAppendf(out, ") %s ", tdbPeriodPredName(e->op));
  if (l->n == 3) {
    tdbExprToSql(out, l->items[2].expr);
  } else {
    tdbStrAppendz(out, "PERIOD(");
    tdbExprToSql(out, l->items[2].expr);
    tdbStrAppendz(out, ", ");
    tdbExprToSql(out, l->items[3].expr);
    tdbStrAppendChar(out, ')');
  }
  tdbStrAppendChar(out, ')');
}
