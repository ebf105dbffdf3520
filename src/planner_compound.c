/*
** planner_compound.c — plans of compound SELECTs and WITH queries.
** Compiled as part of planner.c (included there, sharing its statics); it
** is not listed in tools/amalgamation.list.
**
**   WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5)
**   SELECT n FROM r UNION SELECT 0 ORDER BY 1:
**
**     WITH
**      ├─ CTE r (recursive, UNION ALL)       materialized on first use
**      │   ├─ PROJECT [1]                      the non-recursive term
**      │   └─ PROJECT [n + 1]                  the recursive term, run per
**      │       └─ FILTER n < 5                 iteration over the rows the
**      │           └─ SCAN WORKING TABLE r     previous one added
**      └─ SORT
**          └─ HASH UNION
**              ├─ PROJECT [n] <- SCAN CTE r
**              └─ PROJECT [0] <- ONE ROW
*/

/* A FROM item that reads WITH query src->cte (its TDB_PLAN_CTE is made). */
static int tdbPlanCteScan(TdbPlanner *pl, const TdbSource *src, TdbPlan **out) {
  TdbPlan *cte = src->cte->plan, *leaf;
  *out = NULL;
  if (!cte) return tdbErrSet(pl->err, TDB_INTERNAL, NULL, "WITH query %s has no plan", src->cte->name);
  leaf = tdbNode(pl, TDB_PLAN_CTE_SCAN, src->ncolumns, NULL);
  if (!leaf) return TDB_NOMEM;
  leaf->cte = cte;
  leaf->cte_self = src->cte_self;
  leaf->cte_name = src->cte->name;
  leaf->est_rows = src->cte_self ? TDB_MAX(1.0, cte->est_rows / 10) : cte->est_rows;
  leaf->est_cost = leaf->est_rows;
  *out = leaf;
  return TDB_OK;
}

/* The TDB_PLAN_WITH node of s and the TDB_PLAN_CTE node of each query. */
static int tdbPlanWith(TdbPlanner *pl, TdbSelect *s, TdbPlan **out) {
  TdbPlan *with = tdbNode(pl, TDB_PLAN_WITH, 0, NULL);
  int i, rc;
  *out = NULL;
  if (!with) return TDB_NOMEM;
  with->ctes = tdbMemAllocZero(pl->mem, sizeof(TdbPlan *) * (size_t)s->with->n);
  if (!with->ctes) return tdbErrNoMem(pl->err);
  with->nctes = s->with->n;
  for (i = 0; i < s->with->n; i++) {
    TdbCte *c = s->with->items[i];
    TdbPlan *node = tdbNode(pl, TDB_PLAN_CTE, c->ncols, NULL);
    if (!node) return TDB_NOMEM;
    node->cte_name = c->name;
    c->plan = node; /* before its body: the recursive term scans it */
    with->ctes[i] = node;
    if (c->recursive) {
      node->setop = c->body->op;
      rc = tdbPlanSelect(pl, c->body->left, &node->child);
      if (rc == TDB_OK) node->est_rows = node->child->est_rows * 10; /* a guess */
      if (rc == TDB_OK) rc = tdbPlanSelect(pl, c->body->right, &node->right);
    } else {
      rc = tdbPlanSelect(pl, c->body, &node->child);
    }
    if (rc != TDB_OK) return rc;
    node->est_rows = c->recursive ? node->child->est_rows * 10 : node->child->est_rows;
    node->est_cost = node->child->est_cost + (node->right ? node->right->est_cost * 10 : 0);
  }
  *out = with;
  return TDB_OK;
}

/* SORT and LIMIT over the result of compound s (ORDER BY names result columns). */
static int tdbPlanCompoundTail(TdbPlanner *pl, TdbSelect *s, TdbPlan **cur) {
  TdbPlan *p;
  int i, rc;
  if (s->order_by) {
    p = tdbNode(pl, TDB_PLAN_SORT, s->nresult, *cur);
    if (!p) return TDB_NOMEM;
    p->nsort = s->order_by->n;
    p->sort = tdbMemAlloc(pl->mem, sizeof(TdbSortKey) * (size_t)p->nsort);
    if (!p->sort) return tdbErrNoMem(pl->err);
    for (i = 0; i < p->nsort; i++) {
      const TdbExprItem *it = &s->order_by->items[i];
      p->sort[i].column = s->sort_col[i];
      p->sort[i].desc = it->desc;
      p->sort[i].nulls_first = it->nulls ? it->nulls == 1 : !it->desc;
    }
    p->est_cost = (*cur)->est_cost + (*cur)->est_rows * 2;
    *cur = p;
  }
  if (s->limit || s->offset) {
    rc = tdbPlanSubqueries(pl, s->limit);
    if (rc == TDB_OK) rc = tdbPlanSubqueries(pl, s->offset);
    if (rc != TDB_OK) return rc;
    p = tdbNode(pl, TDB_PLAN_LIMIT, (*cur)->ncols, *cur);
    if (!p) return TDB_NOMEM;
    p->limit = s->limit;
    p->offset = s->offset;
    *cur = p;
  }
  return TDB_OK;
}

/* A compound: SETOP over the plans of both operands, then SORT / LIMIT. */
static int tdbPlanCompound(TdbPlanner *pl, TdbSelect *s, TdbPlan **out) {
  TdbPlan *l = NULL, *r = NULL, *cur;
  int rc = tdbPlanSelect(pl, s->left, &l);
  *out = NULL;
  if (rc != TDB_OK) return rc;
  cur = l;
  if (s->op != TDB_SETOP_WRAP) {
    rc = tdbPlanSelect(pl, s->right, &r);
    if (rc != TDB_OK) return rc;
    cur = tdbNode(pl, TDB_PLAN_SETOP, s->nresult, l);
    if (!cur) return TDB_NOMEM;
    cur->right = r;
    cur->setop = s->op;
    cur->est_rows = s->op <= TDB_SETOP_UNION_ALL ? l->est_rows + r->est_rows : l->est_rows;
    cur->est_cost = l->est_cost + r->est_cost + l->est_rows + r->est_rows;
  }
  rc = tdbPlanCompoundTail(pl, s, &cur);
  if (rc == TDB_OK) *out = cur;
  return rc;
}

TDB_PRIVATE int tdbPlanSelect(TdbPlanner *pl, TdbSelect *s, TdbPlan **out) {
  TdbPlan *with = NULL, *cur = NULL;
  int rc = TDB_OK, i;
  *out = NULL;
  if (s->with) rc = tdbPlanWith(pl, s, &with);
  if (rc == TDB_OK) {
    rc = s->op == TDB_SETOP_NONE ? tdbPlanSelectCore(pl, s, &cur) : tdbPlanCompound(pl, s, &cur);
  }
  if (rc != TDB_OK) return rc;
  if (with) {
    with->child = cur;
    with->ncols = cur->ncols;
    with->est_rows = cur->est_rows;
    with->est_cost = cur->est_cost;
    for (i = 0; i < with->nctes; i++) with->est_cost += with->ctes[i]->est_cost;
    cur = with;
  }
  s->plan = cur;
  *out = cur;
  return TDB_OK;
}
