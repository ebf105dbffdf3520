/*
** period.h — PERIOD(a, b) and the period predicates (TEMPORAL.md §1.5,
** docs/temporal.md "Period predicates"):
**
**   PERIOD(ps, pe) OVERLAPS | CONTAINS | PRECEDES | SUCCEEDS |
**                  IMMEDIATELY PRECEDES | IMMEDIATELY SUCCEEDS | EQUALS PERIOD(qs, qe)
**   PERIOD(ps, pe) CONTAINS t
**
** A period is closed-open, [ps, pe); a NULL start is -infinity, a NULL end
** +infinity, so the predicates are total (never NULL) except CONTAINS with
** a NULL instant t, which is NULL. Bounds are INTEGER or TIMESTAMP values,
** all of one type in one predicate (42804 otherwise); ps >= pe is 22T03.
**
** The parser builds one TDB_EXPR_PERIOD node per predicate: op is the
** TDB_PERIOD_* predicate and list holds the bound expressions [ps, pe, qs,
** qe], or [ps, pe, t] for CONTAINS with an instant. PERIOD(...) is not a
** value: anywhere else it is a 42804 error (the binder reports it).
*/
#ifndef TDB_PERIOD_H
#define TDB_PERIOD_H

#include "expr.h"

/* The predicates (TdbExpr.op of a TDB_EXPR_PERIOD node). */
#define TDB_PERIOD_OVERLAPS 1
#define TDB_PERIOD_CONTAINS 2
#define TDB_PERIOD_PRECEDES 3
#define TDB_PERIOD_SUCCEEDS 4
#define TDB_PERIOD_IMM_PRECEDES 5  /* IMMEDIATELY PRECEDES */
#define TDB_PERIOD_IMM_SUCCEEDS 6  /* IMMEDIATELY SUCCEEDS */
#define TDB_PERIOD_EQUALS 7

/* The message of a PERIOD(...) used anywhere but as a predicate operand. */
#define TDB_PERIOD_MISUSE \
  "a period can only be compared with OVERLAPS, CONTAINS, PRECEDES, SUCCEEDS, " \
  "IMMEDIATELY PRECEDES, IMMEDIATELY SUCCEEDS or EQUALS"

/* Parser action: `l pred r`, with optok the predicate's (first) token.
** l must be PERIOD(a, b); r must be PERIOD(c, d), or for CONTAINS any
** expression (an instant). Anything else is a 42804 error recorded in p.
** Takes ownership of l and r; returns the TDB_EXPR_PERIOD node or NULL. */
TDB_PRIVATE TdbExpr *tdbExprPeriodPred(TdbParse *p, int pred, TdbToken optok, TdbExpr *l,
                                       TdbExpr *r);

/* Is e a call PERIOD(...) (the parser turns those it accepts into
** TDB_EXPR_PERIOD operands, so any left for the binder is misplaced)? */
TDB_PRIVATE int tdbPeriodIsCall(const TdbExpr *e);

/* Bind-time type check of a TDB_EXPR_PERIOD node: types[i] is the static
** type of e->list item i (-1 unknown). Returns -1 when the known types are
** fine, else the index of the offending item, with the reason in msg. */
TDB_PRIVATE int tdbPeriodCheckTypes(const TdbExpr *e, const int *types, TdbStr *msg);

/* Evaluate a TDB_EXPR_PERIOD node into a BOOLEAN (or NULL: CONTAINS with a
** NULL instant). Errors: 42804 (bound type), 22T03 (start >= end). */
TDB_PRIVATE int tdbPeriodEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out);

/* Append e's SQL text (parenthesized, parses back to the same node). */
TDB_PRIVATE void tdbPeriodToSql(TdbStr *out, const TdbExpr *e);

#endif /* TDB_PERIOD_H */
