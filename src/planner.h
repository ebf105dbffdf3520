/*
** planner.h — turn bound statements into plans (exec.h). See planner.c for
** how access paths and pushdown are chosen.
*/
#ifndef TDB_PLANNER_H
#define TDB_PLANNER_H

#include "exec.h"

typedef struct TdbPlanner {
  TdbMem *mem;
  TdbErr *err;
  TdbPlan **all;        /* every node made is linked here (tdbPlanFreeAll) */
} TdbPlanner;

/* Plan a bound SELECT (and its subqueries); *out is its root. */
TDB_PRIVATE int tdbPlanSelect(TdbPlanner *pl, TdbSelect *s, TdbPlan **out);
/* The current rows of target->table where `where` (bound over target, may
** be NULL) holds: a scan with an access path, plus filters. */
TDB_PRIVATE int tdbPlanTableRows(TdbPlanner *pl, TdbSource *target, TdbExpr *where,
                                 TdbPlan **out);
/* Plan the subqueries inside an expression list (VALUES, SET, RETURNING). */
TDB_PRIVATE int tdbPlanList(TdbPlanner *pl, TdbExprList *l);

#endif /* TDB_PLANNER_H */
