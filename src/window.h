/*
** window.h — window functions and the WINDOW operator (exec_window.c).
**
** A window call is `f(args) OVER (PARTITION BY ... ORDER BY ... frame)`;
** f is one of the window-only functions below or any aggregate (agg.h).
** The binder registers the calls of a SELECT (TdbSelect.wins) like
** aggregates; the planner puts one WINDOW node after aggregation / HAVING
** and before projection, DISTINCT, ORDER BY and LIMIT. The node's rows are
** its child's rows followed by one column per call, which the calls (now
** TDB_EXPR_AGGREF nodes) read.
*/
#ifndef TDB_WINDOW_H
#define TDB_WINDOW_H

#include "exec.h"

typedef enum TdbWinKind {
  TDB_WIN_ROW_NUMBER, TDB_WIN_RANK, TDB_WIN_DENSE_RANK, TDB_WIN_PERCENT_RANK,
  TDB_WIN_CUME_DIST, TDB_WIN_NTILE, TDB_WIN_LAG, TDB_WIN_LEAD, TDB_WIN_FIRST_VALUE,
  TDB_WIN_LAST_VALUE, TDB_WIN_NTH_VALUE
} TdbWinKind;

typedef struct TdbWinFuncDef {
  const char *name;
  int min_args, max_args;
  int kind;             /* TdbWinKind */
} TdbWinFuncDef;

/* The window-only function called `name` (lower case), or NULL. */
TDB_PRIVATE const TdbWinFuncDef *tdbWinFuncFind(const char *name);

/* The WINDOW operator, called by exec.c's open / next / free / EXPLAIN. */
TDB_PRIVATE int tdbWindowOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer);
TDB_PRIVATE int tdbWindowNext(TdbExec *ex, TdbPlan *p);
TDB_PRIVATE void tdbWindowFreeState(TdbMem *mem, TdbPlan *p);
TDB_PRIVATE void tdbWindowExplain(TdbStr *out, const TdbPlan *p);

#endif /* TDB_WINDOW_H */
