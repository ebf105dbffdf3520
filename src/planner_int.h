/*
** planner_int.h — what planner.c shares with the join planner
** (joinorder.c): conjunct lists, expression column ranges, plan nodes and
** FROM-item leaves.
*/
#ifndef TDB_PLANNER_INT_H
#define TDB_PLANNER_INT_H

#include "planner.h"

/* Conjuncts of a condition (AND-ed terms), borrowed. */
typedef struct TdbConjuncts {
  int n, cap;
  TdbExpr **e;
  int *used;            /* applied below (pushed, a join key): not filtered on top */
} TdbConjuncts;

/* Append the AND-ed terms of e. TDB_OK or TDB_NOMEM. */
TDB_PRIVATE int tdbConjAdd(TdbMem *mem, TdbConjuncts *c, TdbExpr *e);
TDB_PRIVATE void tdbConjFree(TdbMem *mem, TdbConjuncts *c);
/* The range of depth-0 columns e reads: *lo..*hi (lo > hi: none). Sets
** *has_sub when e contains a subquery. */
TDB_PRIVATE void tdbExprColumns(const TdbExpr *e, int *lo, int *hi, int *has_sub);
/* A plan node of kind with ncols output columns over child (estimates copied). */
TDB_PRIVATE TdbPlan *tdbNode(TdbPlanner *pl, int kind, int ncols, TdbPlan *child);
/* The leaf plan of FROM item src with an access path from cj and, when
** pushable, a FILTER above it for each conjunct that reads only src. */
TDB_PRIVATE int tdbPlanSource(TdbPlanner *pl, TdbSelect *s, TdbSource *src, TdbConjuncts *cj,
                              int pushable, TdbPlan **out);
/* Estimated current rows of a table. */
TDB_PRIVATE double tdbTableRows(const TdbTableDef *t);

/* The plan of s's FROM clause (joinorder.c): FROM items, joins ordered by
** cost, and the conjuncts of cj (WHERE) that can be applied below the top
** (marked used). Its rows are scope rows. */
/* The columns of s's FROM row (all its items) that s reads, as a mask over
** its nsource_cols columns (NULL: all, or out of memory): what joins copy
** into their output rows. `skip_windows`: not those only s's own window
** calls read (what the WINDOW of an ungrouped query must pass on; it reads
** the calls' arguments and keys itself). */
TDB_PRIVATE uint8_t *tdbUsedScope(TdbPlanner *pl, const TdbSelect *s, int skip_windows);
TDB_PRIVATE int tdbPlanFrom(TdbPlanner *pl, TdbSelect *s, TdbConjuncts *cj, TdbPlan **out);
/* A SEMI / ANTI join for a WHERE conjunct that is [NOT] EXISTS or [NOT] IN
** of a subquery that can be decorrelated (joinorder.c); *out stays NULL
** when it cannot (the conjunct is then a FILTER). */
TDB_PRIVATE int tdbPlanSubqueryJoin(TdbPlanner *pl, TdbSelect *s, TdbExpr *conj, TdbPlan *below,
                                    TdbPlan **out);

#endif /* TDB_PLANNER_INT_H */
