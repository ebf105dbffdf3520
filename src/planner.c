/*
** planner.c — build executable plans (exec.h) from bound statements.
**
** For a SELECT: one leaf per FROM item (a table scan with the cheapest
** access path the WHERE conjuncts allow, a catalog view, or the plan of a
** derived table / view body), joined left-deep by nested loops; conjuncts
** that read only one FROM item are filtered right above its leaf (before
** the join materializes it); the rest filter the joined rows. Then
** aggregation, HAVING, window functions, projection, DISTINCT, ORDER BY
** and LIMIT.
**
** Access paths, cheapest first: primary-key point (every key column equal
** to a value known before the scan: a constant, a parameter, an outer
** column), index point (all or leading index columns), primary-key range
** and index range (on the first column), full scan. The conjuncts that
** chose a path stay in the filter, so a path only narrows what is read.
** Estimates use ANALYZE's row counts when there are some (planner.h).
*/
#include "planner_int.h"
#include "temporal.h"
#include "binder.h"
#include "stats.h"

TDB_PRIVATE int tdbConjAdd(TdbMem *mem, TdbConjuncts *c, TdbExpr *e) {
  if (!e) return TDB_OK;
  if (e->kind == TDB_EXPR_BINARY && e->op == TDB_OP_AND) {
    int rc = tdbConjAdd(mem, c, e->left);
    return rc == TDB_OK ? tdbConjAdd(mem, c, e->right) : rc;
  }
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 8;
    TdbExpr **ne = tdbMemRealloc(mem, c->e, sizeof(TdbExpr *) * (size_t)cap);
    int *nu;
    if (!ne) return TDB_NOMEM;
    c->e = ne;
    nu = tdbMemRealloc(mem, c->used, sizeof(int) * (size_t)cap);
    if (!nu) return TDB_NOMEM;
    c->used = nu;
    c->cap = cap;
  }
  c->used[c->n] = 0;
  c->e[c->n++] = e;
  return TDB_OK;
}

TDB_PRIVATE void tdbConjFree(TdbMem *mem, TdbConjuncts *c) {
  tdbMemFree(mem, c->e);
  tdbMemFree(mem, c->used);
}

TDB_PRIVATE void tdbExprColumns(const TdbExpr *e, int *lo, int *hi, int *has_sub) {
  int i;
  if (!e) return;
  if (e->kind == TDB_EXPR_COLUMN && e->depth == 0) {
    if (e->column < *lo) *lo = e->column;
    if (e->column > *hi) *hi = e->column;
    return;
  }
  if (e->kind == TDB_EXPR_SUBQUERY || e->kind == TDB_EXPR_EXISTS ||
      e->kind == TDB_EXPR_IN_SELECT || e->kind == TDB_EXPR_QUANTIFIED ||
      e->kind == TDB_EXPR_AGGREF) {
    *has_sub = 1;
  }
  tdbExprColumns(e->left, lo, hi, has_sub);
  tdbExprColumns(e->right, lo, hi, has_sub);
  tdbExprColumns(e->third, lo, hi, has_sub);
  for (i = 0; e->list && i < e->list->n; i++) tdbExprColumns(e->list->items[i].expr, lo, hi, has_sub);
}

/* Is e known before a scan starts (no depth-0 columns, no subqueries)? */
static int tdbExprIsRunConstant(const TdbExpr *e) {
  int lo = 1 << 30, hi = -1, sub = 0;
  tdbExprColumns(e, &lo, &hi, &sub);
  return lo > hi && !sub;
}

/* If e is `col op value` (either side) over scan column `first + c`, set
** *col = c, *op (normalized to col on the left), *value. */
static int tdbMatchCompare(TdbExpr *e, int first, int width, int *col, int *op,
                           TdbExpr **value) {
  TdbExpr *l, *r;
  int o;
  if (e->kind != TDB_EXPR_BINARY) return 0;
  o = e->op;
  if (o != TDB_OP_EQ && o != TDB_OP_LT && o != TDB_OP_LE && o != TDB_OP_GT && o != TDB_OP_GE) {
    return 0;
  }
  l = e->left;
  r = e->right;
  if (r->kind == TDB_EXPR_COLUMN && r->depth == 0 && !(l->kind == TDB_EXPR_COLUMN && l->depth == 0)) {
    TdbExpr *t = l;
    l = r;
    r = t;
    o = o == TDB_OP_LT ? TDB_OP_GT : o == TDB_OP_GT ? TDB_OP_LT
      : o == TDB_OP_LE ? TDB_OP_GE : o == TDB_OP_GE ? TDB_OP_LE : o;
  }
  if (l->kind != TDB_EXPR_COLUMN || l->depth != 0) return 0;
  if (l->column < first || l->column >= first + width) return 0;
  if (!tdbExprIsRunConstant(r)) return 0;
  *col = l->column - first;
  *op = o;
  *value = r;
  return 1;
}

/* Equality value for scan column c among the conjuncts, or NULL. */
static TdbExpr *tdbFindEq(const TdbConjuncts *cj, int first, int width, int c) {
  int i, col, op;
  TdbExpr *v;
  for (i = 0; i < cj->n; i++) {
    if (tdbMatchCompare(cj->e[i], first, width, &col, &op, &v) && col == c && op == TDB_OP_EQ) {
      return v;
    }
  }
  return NULL;
}

/* An IN list of values known before the scan on scan column c, or NULL. */
static TdbExprList *tdbFindIn(const TdbConjuncts *cj, int first, int c) {
  int i, j;
  for (i = 0; i < cj->n; i++) {
    const TdbExpr *e = cj->e[i];
    int ok;
    if (e->kind != TDB_EXPR_IN_LIST || e->negated || e->left->kind != TDB_EXPR_COLUMN ||
        e->left->depth != 0 || e->left->column != first + c || e->list->n == 0) {
      continue;
    }
    ok = 1;
    for (j = 0; j < e->list->n && ok; j++) ok = tdbExprIsRunConstant(e->list->items[j].expr);
    if (ok) return e->list;
  }
  return NULL;
}

/* Range bounds for scan column c: *lo / *hi (either may stay NULL). */
static void tdbFindRange(const TdbConjuncts *cj, int first, int width, int c, TdbExpr **lo,
                         TdbExpr **hi) {
  int i, col, op;
  TdbExpr *v;
  *lo = *hi = NULL;
  for (i = 0; i < cj->n; i++) {
    TdbExpr *e = cj->e[i];
    if (e->kind == TDB_EXPR_BETWEEN && !e->negated && e->left->kind == TDB_EXPR_COLUMN &&
        e->left->depth == 0 && e->left->column == first + c &&
        tdbExprIsRunConstant(e->right) && tdbExprIsRunConstant(e->third)) {
      *lo = e->right;
      *hi = e->third;
      continue;
    }
    if (!tdbMatchCompare(e, first, width, &col, &op, &v) || col != c) continue;
    if (op == TDB_OP_GT || op == TDB_OP_GE) *lo = v;
    if (op == TDB_OP_LT || op == TDB_OP_LE) *hi = v;
  }
}

/* Estimated current rows of a table (ANALYZE statistics, else a guess). */
TDB_PRIVATE double tdbTableRows(const TdbTableDef *t) {
  return t->stat_rows > 0 ? (double)t->stat_rows : 1000.0;
}

/* Estimated fraction of the rows of t (columns from `first` in the scope
** row) for which conjunct e holds. */
static double tdbConjSelectivity(const TdbTableDef *t, int first, TdbExpr *e) {
  int col, op;
  TdbExpr *v;
  if (t && tdbMatchCompare(e, first, tdbScanWidth(t), &col, &op, &v) && col < t->ncols) {
    return tdbStatsSelectivity(t, col, op, v);
  }
  if (t && e->kind == TDB_EXPR_BETWEEN && !e->negated && e->left->kind == TDB_EXPR_COLUMN &&
      e->left->depth == 0 && e->left->column >= first && e->left->column < first + t->ncols) {
    int c = e->left->column - first;
    double lo = tdbStatsSelectivity(t, c, TDB_OP_GE, e->right);
    double hi = tdbStatsSelectivity(t, c, TDB_OP_LE, e->third);
    return TDB_MAX(0.001, lo + hi - 1.0);
  }
  if (t && e->kind == TDB_EXPR_IN_LIST && !e->negated && e->left->kind == TDB_EXPR_COLUMN &&
      e->left->depth == 0 && e->left->column >= first && e->left->column < first + t->ncols) {
    double f = e->list->n * tdbStatsSelectivity(t, e->left->column - first, TDB_OP_EQ, NULL);
    return TDB_MIN(1.0, f);
  }
  return 0.33;
}

/* Choose the access path of a scan of table t whose columns start at
** `first` in the scope row, from the conjuncts. */
static void tdbChooseAccess(TdbPlan *scan, const TdbTableDef *t, const TdbConjuncts *cj,
                            int first) {
  int width = tdbScanWidth(t), k, j, best_n = 0;
  double rows = tdbTableRows(t);
  const TdbIndexDef *best = NULL;
  TdbExpr *lo, *hi;
  scan->access = TDB_ACCESS_FULL;
  scan->est_rows = rows;
  scan->est_cost = rows;
  /* primary key: every column (or leading ones) equal */
  if (t->npk == 0) {
    TdbExpr *v = tdbFindEq(cj, first, width, tdbScanPseudo(t, TDB_PSEUDO_ROWID));
    if (v) {
      scan->access = TDB_ACCESS_PK_POINT;
      scan->nkey = 1;
      scan->key[0] = v;
      scan->est_rows = 1;
      scan->est_cost = 2;
      return;
    }
  } else {
    int n = 0;
    for (k = 0; k < t->npk; k++) {
      TdbExpr *v = tdbFindEq(cj, first, width, t->pk[k]);
      if (!v) break;
      scan->key[n++] = v;
    }
    if (n == t->npk) {
      scan->access = TDB_ACCESS_PK_POINT;
      scan->nkey = n;
      scan->est_rows = 1;
      scan->est_cost = 2;
      return;
    }
    if (n > 0) {
      scan->access = TDB_ACCESS_PK_POINT; /* a key prefix */
      scan->nkey = n;
      scan->est_rows = TDB_MAX(1.0, rows * tdbStatsSelectivity(t, t->pk[0], TDB_OP_EQ, NULL));
      scan->est_cost = 2 + scan->est_rows;
    }
  }
  /* secondary indexes: most leading columns equal */
  for (j = 0; j < t->nindexes; j++) {
    const TdbIndexDef *ix = t->indexes[j];
    int n = 0;
    for (k = 0; k < ix->ncols; k++) {
      if (ix->col[k] < 0 || !tdbFindEq(cj, first, width, ix->col[k])) break;
      n++;
    }
    if (n > best_n || (n == best_n && n > 0 && ix->unique && best && !best->unique)) {
      best = ix;
      best_n = n;
    }
  }
  if (best && (scan->access == TDB_ACCESS_FULL || (best->unique && best_n == best->ncols))) {
    scan->access = TDB_ACCESS_INDEX_POINT;
    scan->index = best;
    scan->nkey = best_n;
    for (k = 0; k < best_n; k++) scan->key[k] = tdbFindEq(cj, first, width, best->col[k]);
    scan->est_rows = best->unique && best_n == best->ncols
                         ? 1
                         : TDB_MAX(1.0, rows * tdbStatsSelectivity(t, best->col[0], TDB_OP_EQ, NULL));
    scan->est_cost = 3 * scan->est_rows + 2;
    return;
  }
  if (scan->access != TDB_ACCESS_FULL) return;
  /* IN lists on the first key column, then on an index's first column */
  {
    int c = t->npk > 0 ? t->pk[0] : tdbScanPseudo(t, TDB_PSEUDO_ROWID);
    TdbExprList *in = tdbFindIn(cj, first, c);
    if (in) {
      scan->access = TDB_ACCESS_PK_IN;
      scan->in_values = in;
      scan->est_rows = in->n;
      scan->est_cost = 2.0 * in->n;
      return;
    }
    for (j = 0; j < t->nindexes; j++) {
      const TdbIndexDef *ix = t->indexes[j];
      if (ix->col[0] < 0 || !(in = tdbFindIn(cj, first, ix->col[0]))) continue;
      scan->access = TDB_ACCESS_INDEX_IN;
      scan->index = ix;
      scan->in_values = in;
      scan->est_rows = TDB_MAX(1.0, in->n * (ix->unique ? 1.0 : rows / 100));
      scan->est_cost = 3 * scan->est_rows + 2.0 * in->n;
      return;
    }
  }
  /* ranges on the first key column, then on an index's first column */
  {
    int c = t->npk > 0 ? t->pk[0] : tdbScanPseudo(t, TDB_PSEUDO_ROWID);
    /* an untyped column may hold INTEGER and REAL keys, which sort apart */
    int typed = t->npk == 0 || t->cols[c].type != TDB_TYPE_NULL;
    lo = hi = NULL;
    if (typed) tdbFindRange(cj, first, width, c, &lo, &hi);
    if (lo || hi) {
      double f = 1.0;
      if (lo) f *= tdbStatsSelectivity(t, c < t->ncols ? c : -1, TDB_OP_GE, lo);
      if (hi) f *= tdbStatsSelectivity(t, c < t->ncols ? c : -1, TDB_OP_LE, hi);
      scan->access = TDB_ACCESS_PK_RANGE;
      scan->lo = lo;
      scan->hi = hi;
      scan->est_rows = TDB_MAX(1.0, rows * f);
      scan->est_cost = 2 + scan->est_rows;
      return;
    }
  }
  for (j = 0; j < t->nindexes; j++) {
    const TdbIndexDef *ix = t->indexes[j];
    if (ix->col[0] < 0 || t->cols[ix->col[0]].type == TDB_TYPE_NULL) continue;
    tdbFindRange(cj, first, width, ix->col[0], &lo, &hi);
    if (lo || hi) {
      double f = 1.0;
      if (lo) f *= tdbStatsSelectivity(t, ix->col[0], TDB_OP_GE, lo);
      if (hi) f *= tdbStatsSelectivity(t, ix->col[0], TDB_OP_LE, hi);
      scan->access = TDB_ACCESS_INDEX_RANGE;
      scan->index = ix;
      scan->lo = lo;
      scan->hi = hi;
      scan->est_rows = TDB_MAX(1.0, rows * f);
      scan->est_cost = 2 + 3 * scan->est_rows;
      return;
    }
  }
}

static int tdbPlanSubqueries(TdbPlanner *pl, TdbExpr *e);
static int tdbPlanCteScan(TdbPlanner *pl, const TdbSource *src, TdbPlan **out);

/* ---- which columns a query reads ------------------------------------------- */

typedef struct TdbUsed {
  uint8_t *mark;        /* per column of the scope row */
  int width;
  int all;              /* could not tell: every column */
  int skip_windows;     /* do not look into the window calls of the query
                        ** itself (what reads their results, not their input) */
} TdbUsed;

static void tdbUsedSelect(const TdbSelect *s, int level, TdbUsed *u);
static void tdbUsedList(const TdbExprList *l, int level, TdbUsed *u);

/* Mark the columns of the scope `level` queries up that e reads. */
static void tdbUsedExpr(const TdbExpr *e, int level, TdbUsed *u) {
  int i;
  if (!e || u->all) return;
  if (u->skip_windows && level == 0 && e->over) return;
  if (e->kind == TDB_EXPR_COLUMN) {
    if (e->depth == level && e->column >= 0 && e->column < u->width) u->mark[e->column] = 1;
    return;
  }
  if (e->select) tdbUsedSelect(e->select, level + 1, u);
  tdbUsedExpr(e->left, level, u);
  tdbUsedExpr(e->right, level, u);
  tdbUsedExpr(e->third, level, u);
  tdbUsedExpr(e->filter, level, u);
  for (i = 0; e->list && i < e->list->n; i++) tdbUsedExpr(e->list->items[i].expr, level, u);
  if (e->over) {
    tdbUsedList(e->over->partition_by, level, u);
    tdbUsedList(e->over->order_by, level, u);
    tdbUsedExpr(e->over->start.offset, level, u);
    tdbUsedExpr(e->over->end.offset, level, u);
  }
}

static void tdbUsedList(const TdbExprList *l, int level, TdbUsed *u) {
  int i;
  for (i = 0; l && i < l->n; i++) tdbUsedExpr(l->items[i].expr, level, u);
}

static void tdbUsedSelect(const TdbSelect *s, int level, TdbUsed *u) {
  const TdbSource *src;
  int i;
  tdbUsedList(s->columns, level, u);
  tdbUsedExpr(s->where, level, u);
  tdbUsedList(s->group_by, level, u);
  tdbUsedExpr(s->having, level, u);
  tdbUsedList(s->order_by, level, u);
  tdbUsedExpr(s->limit, level, u);
  tdbUsedExpr(s->offset, level, u);
  /* the operands of a compound and the WITH queries read the same scopes */
  if (s->left) tdbUsedSelect(s->left, level, u);
  if (s->right) tdbUsedSelect(s->right, level, u);
  for (i = 0; s->with && i < s->with->n; i++) tdbUsedSelect(s->with->items[i]->body, level, u);
  for (src = s->from; src; src = src->next) {
    tdbUsedExpr(src->on, level, u);
    if (src->temporal) { /* lateral clauses read the items to their left */
      tdbUsedExpr(src->temporal->sys.a, level, u);
      tdbUsedExpr(src->temporal->sys.b, level, u);
      tdbUsedExpr(src->temporal->valid.a, level, u);
      tdbUsedExpr(src->temporal->valid.b, level, u);
    }
    /* a derived table inside a subquery sees the scopes above it with
    ** depths this walk does not follow: keep every column */
    if (level > 0 && (src->subquery || src->view_select)) u->all = 1;
  }
}

/* The columns of FROM item src that s reads, as a per-column mask for its
** scan (NULL: all, or out of memory, which only costs speed). */
static uint8_t *tdbUsedColumns(TdbPlanner *pl, const TdbSelect *s, const TdbSource *src) {
  TdbUsed u;
  uint8_t *mask;
  int i;
  u.width = s->nsource_cols;
  u.all = 0;
  u.skip_windows = 0;
  u.mark = tdbMemAllocZero(pl->mem, (size_t)u.width + 1);
  if (!u.mark) return NULL;
  tdbUsedSelect(s, 0, &u);
  /* the table's columns and its pseudo-columns (exec.c, tdbScanPseudo) */
  mask = u.all ? NULL : tdbMemAllocZero(pl->mem, (size_t)src->ncolumns + 1);
  for (i = 0; mask && i < src->ncolumns; i++) mask[i] = u.mark[src->first_column + i];
  tdbMemFree(pl->mem, u.mark);
  return mask;
}

TDB_PRIVATE uint8_t *tdbUsedScope(TdbPlanner *pl, const TdbSelect *s, int skip_windows) {
  TdbUsed u;
  u.width = s->nsource_cols;
  u.all = 0;
  u.skip_windows = skip_windows;
  u.mark = tdbMemAllocZero(pl->mem, (size_t)u.width + 1);
  if (!u.mark) return NULL;
  tdbUsedSelect(s, 0, &u);
  if (u.all) {
    tdbMemFree(pl->mem, u.mark);
    return NULL;
  }
  return u.mark;
}

/* Plan the subqueries of every expression in a list. */
static int tdbPlanListSubqueries(TdbPlanner *pl, TdbExprList *l) {
  int i, rc;
  for (i = 0; l && i < l->n; i++) {
    rc = tdbPlanSubqueries(pl, l->items[i].expr);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

static int tdbPlanSubqueries(TdbPlanner *pl, TdbExpr *e) {
  int rc = TDB_OK;
  if (!e) return TDB_OK;
  if (e->select && !e->select->plan) {
    rc = tdbPlanSelect(pl, e->select, &e->select->plan);
    if (rc != TDB_OK) return rc;
  }
  rc = tdbPlanSubqueries(pl, e->left);
  if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, e->right);
  if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, e->third);
  if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, e->filter);
  if (rc == TDB_OK) rc = tdbPlanListSubqueries(pl, e->list);
  if (rc == TDB_OK && e->over) {
    rc = tdbPlanListSubqueries(pl, e->over->partition_by);
    if (rc == TDB_OK) rc = tdbPlanListSubqueries(pl, e->over->order_by);
  }
  return rc;
}

/* Rows left after filtering the rows of `below` with pred. A conjunct the
** access path already applied (below is the scan that used it) keeps them. */
static double tdbFilterRows(const TdbPlan *below, const TdbTableDef *t, int first, TdbExpr *pred) {
  const TdbPlan *scan = below;
  int k;
  while (scan && scan->kind == TDB_PLAN_FILTER) scan = scan->child;
  if (scan && scan->kind == TDB_PLAN_SCAN && scan == below) {
    if (pred->kind == TDB_EXPR_IN_LIST && scan->in_values == pred->list) return below->est_rows;
    if (pred->kind == TDB_EXPR_BETWEEN && (scan->lo == pred->right || scan->hi == pred->third)) {
      return below->est_rows;
    }
    for (k = 0; k < scan->nkey; k++) {
      if (pred->kind == TDB_EXPR_BINARY && (scan->key[k] == pred->right || scan->key[k] == pred->left)) {
        return below->est_rows;
      }
    }
    if (pred->kind == TDB_EXPR_BINARY && (scan->lo == pred->right || scan->hi == pred->right ||
                                          scan->lo == pred->left || scan->hi == pred->left) &&
        (scan->lo || scan->hi)) {
      return below->est_rows;
    }
  }
  return TDB_MAX(1.0, below->est_rows * tdbConjSelectivity(t, first, pred));
}

/* Set f->implied_by when f (a FILTER whose predicate numbers the scope
** row's columns from `first` on) is one of the key equalities of the
** primary-key point SCAN under it. A point lookup returns only the row whose
** stored key equals the looked-up value converted exactly to the key
** column's type (exec.c, tdbKeyCoerce); for INTEGER and TEXT key columns and
** the hidden rowid, equal stored keys are equal SQL values, so the predicate
** holds on every row the lookup returns. A value with no exact conversion
** makes the scan fall back to a full scan, where the FILTER runs again. */
static void tdbPlanMarkImplied(TdbPlan *f, int first) {
  TdbPlan *scan = f->child;
  const TdbTableDef *t;
  TdbExpr *v;
  int col, op, i;
  while (scan && scan->kind == TDB_PLAN_FILTER) scan = scan->child;
  if (!scan || scan->kind != TDB_PLAN_SCAN || scan->access != TDB_ACCESS_PK_POINT ||
      scan->index || scan->temporal || scan->history != 0 || scan->param_row) {
    return;
  }
  t = scan->table;
  if (scan->nkey != TDB_MAX(t->npk, 1)) return;
  if (!tdbMatchCompare(f->pred, first, tdbScanWidth(t), &col, &op, &v) || op != TDB_OP_EQ) return;
  for (i = 0; i < scan->nkey; i++) {
    int kc = t->npk > 0 ? t->pk[i] : tdbScanPseudo(t, TDB_PSEUDO_ROWID);
    int type = t->npk > 0 ? t->cols[kc].type : TDB_TYPE_INTEGER;
    if (scan->key[i] == v && kc == col && (type == TDB_TYPE_INTEGER || type == TDB_TYPE_TEXT)) {
      f->implied_by = scan;
      return;
    }
  }
}

TDB_PRIVATE TdbPlan *tdbNode(TdbPlanner *pl, int kind, int ncols, TdbPlan *child) {
  TdbPlan *p = tdbPlanNew(pl->mem, pl->all, kind, ncols);
  if (!p) {
    tdbErrNoMem(pl->err);
    return NULL;
  }
  p->child = child;
  if (child) {
    p->est_rows = child->est_rows;
    p->est_cost = child->est_cost;
  }
  return p;
}

/* A table reference with temporal selections reads the history
** (exec_history.c); so does a default read that needs a system-time
** pseudo-column, which the current rows do not carry. */
static int tdbPlanTemporal(TdbPlanner *pl, TdbPlan *leaf, const TdbSource *src) {
  const TdbTemporalEff *eff = src->eff;
  int k, rc = TDB_OK;
  if (eff && (eff->sys || eff->valid || eff->including_deleted)) leaf->temporal = eff;
  for (k = TDB_PSEUDO_SYSTEM_FROM; k < TDB_PSEUDO_COUNT; k++) {
    int c = tdbScanPseudo(src->table, k);
    if (leaf->needed && leaf->needed[c]) leaf->history = 1;
  }
  if (eff && eff->sys) {
    rc = tdbPlanSubqueries(pl, eff->sys->a);
    if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, eff->sys->b);
  }
  if (rc == TDB_OK && eff && eff->valid) {
    rc = tdbPlanSubqueries(pl, eff->valid->a);
    if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, eff->valid->b);
  }
  return rc;
}

/* The leaf plan of one FROM item, with the conjuncts that read only it. */
TDB_PRIVATE int tdbPlanSource(TdbPlanner *pl, TdbSelect *s, TdbSource *src, TdbConjuncts *cj,
                              int pushable, TdbPlan **out) {
  TdbPlan *leaf;
  int i, rc;
  *out = NULL;
  if (src->table) {
    leaf = tdbNode(pl, TDB_PLAN_SCAN, src->ncolumns, NULL);
    if (!leaf) return TDB_NOMEM;
    leaf->table = src->table;
    tdbChooseAccess(leaf, src->table, cj, src->first_column);
    leaf->needed = tdbUsedColumns(pl, s, src);
    rc = tdbPlanTemporal(pl, leaf, src);
    if (rc != TDB_OK) return rc;
  } else if (src->view) {
    leaf = tdbNode(pl, TDB_PLAN_VIEW, src->ncolumns, NULL);
    if (!leaf) return TDB_NOMEM;
    leaf->view = src->view;
    leaf->est_rows = 100;
    leaf->est_cost = 100;
  } else if (src->cte) {
    rc = tdbPlanCteScan(pl, src, &leaf);
    if (rc != TDB_OK) return rc;
  } else {
    TdbSelect *sub = src->subquery ? src->subquery : src->view_select;
    rc = tdbPlanSelect(pl, sub, &sub->plan);
    if (rc != TDB_OK) return rc;
    leaf = sub->plan;
  }
  if (pushable) {
    /* conjuncts reading only this item filter right above it, one FILTER each */
    for (i = 0; i < cj->n; i++) {
      int lo = 1 << 30, hi = -1, sub = 0;
      TdbPlan *f;
      tdbExprColumns(cj->e[i], &lo, &hi, &sub);
      if (cj->used[i] || sub || lo > hi) continue;
      if (lo < src->first_column || hi >= src->first_column + src->ncolumns) continue;
      cj->used[i] = 1;
      f = tdbNode(pl, TDB_PLAN_FILTER, leaf->ncols, leaf);
      if (!f) return TDB_NOMEM;
      f->pred = cj->e[i];
      f->col_offset = src->first_column;
      tdbPlanMarkImplied(f, src->first_column);
      f->est_rows = tdbFilterRows(leaf, src->table, src->first_column, f->pred);
      f->est_cost = leaf->est_cost + leaf->est_rows;
      leaf = f;
    }
  }
  *out = leaf;
  return TDB_OK;
}

/* One SELECT without set operators or WITH (tdbPlanSelect does those). */
static int tdbPlanSelectCore(TdbPlanner *pl, TdbSelect *s, TdbPlan **out) {
  TdbConjuncts cj;
  TdbPlan *cur = NULL, *p;
  TdbSource *src;
  int i, rc = TDB_OK, multi = s->from && s->from->next;
  int ngroup = s->group_by ? s->group_by->n : 0;
  *out = NULL;
  memset(&cj, 0, sizeof cj);
  if (tdbConjAdd(pl->mem, &cj, s->where) != TDB_OK) goto nomem;
  /* subqueries anywhere in the statement */
  rc = tdbPlanListSubqueries(pl, s->columns);
  if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, s->where);
  if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, s->having);
  if (rc == TDB_OK) rc = tdbPlanListSubqueries(pl, s->group_by);
  if (rc == TDB_OK) rc = tdbPlanListSubqueries(pl, s->order_by);
  if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, s->limit);
  if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, s->offset);
  for (src = s->from; rc == TDB_OK && src; src = src->next) rc = tdbPlanSubqueries(pl, src->on);
  if (rc == TDB_OK && s->from) rc = tdbPlanFrom(pl, s, &cj, &cur);
  if (rc != TDB_OK) goto done;

  if (!cur) {
    cur = tdbNode(pl, TDB_PLAN_ONE_ROW, 0, NULL);
    if (!cur) goto nomem;
    cur->est_rows = 1;
  }
  for (i = 0; i < cj.n; i++) {
    if (cj.used[i]) continue;
    /* [NOT] EXISTS / IN (subquery) as a SEMI / ANTI join where possible */
    rc = tdbPlanSubqueryJoin(pl, s, cj.e[i], cur, &p);
    if (rc != TDB_OK) goto done;
    if (p) {
      cur = p;
      continue;
    }
    p = tdbNode(pl, TDB_PLAN_FILTER, cur->ncols, cur);
    if (!p) goto nomem;
    p->pred = cj.e[i];
    p->est_rows = tdbFilterRows(cur, multi ? NULL : s->from ? s->from->table : NULL, 0, cj.e[i]);
    tdbPlanMarkImplied(p, 0);
    p->est_cost = cur->est_cost + cur->est_rows;
    cur = p;
  }
  if (s->grouped) {
    p = tdbNode(pl, TDB_PLAN_AGGREGATE, ngroup + s->naggs, cur);
    if (!p) goto nomem;
    p->group_by = s->group_by;
    p->naggs = s->naggs;
    p->aggs = s->aggs;
    p->est_rows = ngroup ? TDB_MAX(1.0, cur->est_rows / 10) : 1;
    p->est_cost = cur->est_cost + cur->est_rows;
    cur = p;
    if (s->having) {
      p = tdbNode(pl, TDB_PLAN_FILTER, cur->ncols, cur);
      if (!p) goto nomem;
      p->pred = s->having;
      cur = p;
    }
  }
  if (s->nwins > 0) { /* window calls: after HAVING, before the projection */
    p = tdbNode(pl, TDB_PLAN_WINDOW, cur->ncols + s->nwins, cur);
    if (!p) goto nomem;
    p->nwins = s->nwins;
    p->wins = s->wins;
    /* ungrouped: the input is the FROM row, of which the query may read few
    ** columns (a table's pseudo-columns, say): the operator keeps those */
    if (!s->grouped && cur->ncols == s->nsource_cols) p->needed = tdbUsedScope(pl, s, 1);
    p->est_cost = cur->est_cost + cur->est_rows * 3;
    cur = p;
  }
  p = tdbNode(pl, TDB_PLAN_PROJECT, s->nresult + s->nsort_extra, cur);
  if (!p) goto nomem;
  p->nexprs = s->nresult + s->nsort_extra;
  p->exprs = tdbMemAlloc(pl->mem, sizeof(TdbExpr *) * (size_t)(p->nexprs ? p->nexprs : 1));
  if (!p->exprs) goto nomem;
  for (i = 0; i < s->nresult; i++) p->exprs[i] = s->columns->items[i].expr;
  for (i = 0; s->order_by && i < s->order_by->n; i++) {
    if (s->sort_col[i] >= s->nresult) p->exprs[s->sort_col[i]] = s->order_by->items[i].expr;
  }
  cur = p;
  if (s->distinct) {
    p = tdbNode(pl, TDB_PLAN_DISTINCT, cur->ncols, cur);
    if (!p) goto nomem;
    p->key_cols = s->nresult;
    cur = p;
  }
  if (s->order_by) {
    p = tdbNode(pl, TDB_PLAN_SORT, s->nresult, cur);
    if (!p) goto nomem;
    p->nsort = s->order_by->n;
    p->sort = tdbMemAlloc(pl->mem, sizeof(TdbSortKey) * (size_t)p->nsort);
    if (!p->sort) goto nomem;
    for (i = 0; i < p->nsort; i++) {
      const TdbExprItem *it = &s->order_by->items[i];
      p->sort[i].column = s->sort_col[i];
      p->sort[i].desc = it->desc;
      /* NULLs sort as the smallest value unless NULLS FIRST/LAST says otherwise */
      p->sort[i].nulls_first = it->nulls ? it->nulls == 1 : !it->desc;
    }
    p->est_cost = cur->est_cost + cur->est_rows * 2;
    /* a history scan of one key can deliver its versions in this order
    ** (when the SORT does not also drop extra ORDER BY columns) */
    if (cur->ncols == p->ncols) p->presorted = tdbHistoryClaimOrder(cur, p->sort, p->nsort);
    cur = p;
  }
  if (s->limit || s->offset) {
    p = tdbNode(pl, TDB_PLAN_LIMIT, cur->ncols, cur);
    if (!p) goto nomem;
    p->limit = s->limit;
    p->offset = s->offset;
    cur = p;
  }
  *out = cur;
  s->plan = cur;
  goto done;
nomem:
  rc = tdbErrNoMem(pl->err);
done:
  tdbConjFree(pl->mem, &cj);
  return rc;
}

/* compound SELECTs and WITH: a file of their own sharing the statics above */
#include "planner_compound.c"

TDB_PRIVATE int tdbPlanTableRows(TdbPlanner *pl, TdbSource *target, TdbExpr *where,
                                 TdbPlan **out) {
  TdbConjuncts cj;
  TdbPlan *cur, *p;
  int i, rc;
  *out = NULL;
  memset(&cj, 0, sizeof cj);
  if (tdbConjAdd(pl->mem, &cj, where) != TDB_OK) {
    tdbConjFree(pl->mem, &cj);
    return tdbErrNoMem(pl->err);
  }
  rc = tdbPlanSubqueries(pl, where);
  cur = rc == TDB_OK ? tdbNode(pl, TDB_PLAN_SCAN, tdbScanWidth(target->table), NULL) : NULL;
  if (rc == TDB_OK && !cur) rc = TDB_NOMEM;
  if (rc == TDB_OK) {
    cur->table = target->table;
    cur->history = -1; /* a write's targets: the current rows (dml.c) */
    tdbChooseAccess(cur, target->table, &cj, 0);
    for (i = 0; i < cj.n; i++) {
      p = tdbNode(pl, TDB_PLAN_FILTER, cur->ncols, cur);
      if (!p) {
        rc = TDB_NOMEM;
        break;
      }
      p->pred = cj.e[i];
      p->est_rows = tdbFilterRows(cur, target->table, 0, cj.e[i]);
      p->est_cost = cur->est_cost + cur->est_rows;
      cur = p;
    }
  }
  tdbConjFree(pl->mem, &cj);
  if (rc == TDB_NOMEM) return tdbErrNoMem(pl->err);
  *out = cur;
  return rc;
}

TDB_PRIVATE int tdbPlanList(TdbPlanner *pl, TdbExprList *l) {
  return tdbPlanListSubqueries(pl, l);
}
