/*
** joinorder.c — the join planner: plans a FROM clause (the binder's join
** tree, ast.h) as a tree of JOIN operators chosen by cost, and turns
** decorrelatable [NOT] EXISTS / [NOT] IN subqueries into SEMI / ANTI joins.
**
** Blocks. The tree splits into blocks: a maximal run of inner and cross
** joins is one block whose units are FROM items and outer joins. Within a
** block the units may join in any order; an outer join is one unit, and its
** two sides are blocks of their own:
**
**   a JOIN b ON p LEFT JOIN (c JOIN d ON q) ON r WHERE w
**     top block: units { a, b } ... as the left side of the LEFT JOIN,
**     so: block{a, b} LEFT JOIN block{c, d}; r is the LEFT JOIN's condition
**
** Conjuncts. WHERE and inner ON conditions split at AND into a pool per
** block. A conjunct that reads one FROM item filters right above it (and may
** give it an access path); one that reads several units becomes a key or
** residual filter of the join where its last unit arrives; one with a
** subquery filters the block's result. Into an outer join go: WHERE terms
** over its preserved side only (they filter that side early), and the ON
** terms over its NULL-extended side only (they filter that side before the
** join); the other ON terms are the join's condition. RIGHT JOIN is a LEFT
** JOIN with the sides swapped (rows are scope rows, so order is free).
**
** Order. Up to 8 units: dynamic programming over subsets (left-deep; a unit
** joins the set before it through a condition when one exists, else as a
** cross product); more: greedy, cheapest next join first. Estimated rows of
** a set are the product of its units' rows and of its conditions'
** selectivities (an equality: 1 / the larger distinct count of its columns,
** from ANALYZE statistics, else 1 / rows for a one-column primary key or
** unique index, else 0.1; 0.33 for other conditions), so they do not depend
** on the order. Each join step takes the cheapest algorithm:
**
**   algorithm           when                                   cost (+ inputs)
**   nested loop         always                                 L x R
**   hash                an equality between the sides          2 min(L,R) + max(L,R)
**   merge               both sides primary-key scans, ordered  L + R
**                       on the equality's typed key columns
**   index nested loop   the right side is a table whose        L x (4 + 1) by primary key,
**                       primary key (all columns) or an index  L x (6 + 3 m) by index
**                       (leading columns) equals left values   (m rows per lookup); no R
**
** The hash join builds the smaller side by estimate.
*/
#include "planner_int.h"
#include "stats.h"

#define TDB_JOIN_DP_MAX 8

/* A conjunct the join planner places. */
typedef struct TdbJc {
  TdbExpr *e;
  int *used;            /* the owner's flag */
  uint64_t refs;        /* FROM items it reads */
  int sub;              /* holds a subquery (filters the top of its block) */
  int inherited;        /* passed down from an enclosing block */
} TdbJc;

typedef struct TdbJUnit {
  int node;             /* join tree node: a FROM item or an outer join */
  uint64_t leaves;
  TdbPlan *plan;
  TdbSource *leaf;      /* a FROM item: its own rows (columns from first_column) */
} TdbJUnit;

typedef struct TdbJPlan {
  TdbPlanner *pl;
  TdbSelect *s;
  TdbJoinTree *jt;
  uint64_t *colmask;    /* per scope column: the FROM items it stands for */
  uint8_t *used;        /* per scope column: the query reads it (NULL: all);
                        ** joins copy only these into their output rows */
  int width;
  int lateral;          /* some FROM item has a lateral temporal clause: the
                        ** join order is the FROM order */
  TdbConjuncts **locals;  /* ON conjunct lists made here (freed at the end) */
  int nlocals, caplocals;
} TdbJPlan;

/* What one join step would be. */
typedef struct TdbJChoice {
  int algo;
  double cost, rows;
  int build_left;
  const TdbIndexDef *index;  /* INDEX: NULL = primary key */
} TdbJChoice;

/* ---- conjuncts ------------------------------------------------------------------ */

static void tdbJRefs(const TdbJPlan *jp, const TdbExpr *e, uint64_t *m, int *sub) {
  int i;
  if (!e) return;
  if (e->kind == TDB_EXPR_COLUMN) {
    if (e->depth == 0 && e->column >= 0 && e->column < jp->width) *m |= jp->colmask[e->column];
    return;
  }
  if (e->select || e->kind == TDB_EXPR_AGGREF) *sub = 1;
  tdbJRefs(jp, e->left, m, sub);
  tdbJRefs(jp, e->right, m, sub);
  tdbJRefs(jp, e->third, m, sub);
  for (i = 0; e->list && i < e->list->n; i++) tdbJRefs(jp, e->list->items[i].expr, m, sub);
}

static TdbJc tdbJcOf(const TdbJPlan *jp, TdbExpr *e, int *used, int inherited) {
  TdbJc c;
  c.e = e;
  c.used = used;
  c.refs = 0;
  c.sub = 0;
  c.inherited = inherited;
  tdbJRefs(jp, e, &c.refs, &c.sub);
  return c;
}

/* A new conjunct list of e, owned by jp. */
static int tdbJLocal(TdbJPlan *jp, TdbExpr *e, TdbConjuncts **out) {
  TdbConjuncts *c;
  *out = NULL;
  if (jp->nlocals == jp->caplocals) {
    int cap = jp->caplocals ? jp->caplocals * 2 : 8;
    TdbConjuncts **g = tdbMemRealloc(jp->pl->mem, jp->locals, sizeof(*g) * (size_t)cap);
    if (!g) return TDB_NOMEM;
    jp->locals = g;
    jp->caplocals = cap;
  }
  c = tdbMemAllocZero(jp->pl->mem, sizeof *c);
  if (!c) return TDB_NOMEM;
  jp->locals[jp->nlocals++] = c;
  *out = c;
  return tdbConjAdd(jp->pl->mem, c, e);
}

/* Is e `A = B` with A over lmask and B over rmask (either way round)? */
static int tdbJEqui(const TdbJPlan *jp, TdbExpr *e, uint64_t lmask, uint64_t rmask,
                    TdbExpr **l, TdbExpr **r) {
  uint64_t a = 0, b = 0;
  int sa = 0, sb = 0;
  if (e->kind != TDB_EXPR_BINARY || e->op != TDB_OP_EQ) return 0;
  tdbJRefs(jp, e->left, &a, &sa);
  tdbJRefs(jp, e->right, &b, &sb);
  if (sa || sb || !a || !b) return 0;
  if ((a & ~lmask) == 0 && (b & ~rmask) == 0) {
    *l = e->left;
    *r = e->right;
    return 1;
  }
  if ((b & ~lmask) == 0 && (a & ~rmask) == 0) {
    *l = e->right;
    *r = e->left;
    return 1;
  }
  return 0;
}

/* The table column a plain column reference reads (leaf, column), or 0. */
static int tdbJTableColumn(const TdbJPlan *jp, const TdbExpr *e, const TdbSource **src, int *col) {
  int i;
  if (e->kind != TDB_EXPR_COLUMN || e->depth != 0) return 0;
  for (i = 0; i < jp->jt->nleaves; i++) {
    const TdbSource *s = jp->jt->leaf[i];
    if (s->table && e->column >= s->first_column && e->column < s->first_column + s->table->ncols) {
      *src = s;
      *col = e->column - s->first_column;
      return 1;
    }
  }
  return 0;
}

/* Fraction of rows of a table column's table equal to one value: a unique
** column (a one-column primary key or unique index) has one row per value. */
static double tdbJColumnEq(const TdbSource *src, int col) {
  const TdbTableDef *t = src->table;
  int k;
  if (t->stats) return tdbStatsSelectivity(t, col, TDB_OP_EQ, NULL);
  if (t->npk == 1 && t->pk[0] == col) return 1.0 / tdbTableRows(t);
  for (k = 0; k < t->nindexes; k++) {
    if (t->indexes[k]->unique && t->indexes[k]->ncols == 1 && t->indexes[k]->col[0] == col) {
      return 1.0 / tdbTableRows(t);
    }
  }
  return 0.1;
}

/* Selectivity of a join condition: an equality keeps 1 / the larger
** number of distinct values of its two columns. */
static double tdbJSelectivity(const TdbJPlan *jp, TdbExpr *e) {
  const TdbSource *sa, *sb;
  int ca, cb;
  if (e->kind == TDB_EXPR_BINARY && e->op == TDB_OP_EQ) {
    double fa = 0.1, fb = 0.1;
    if (tdbJTableColumn(jp, e->left, &sa, &ca)) fa = tdbJColumnEq(sa, ca);
    if (tdbJTableColumn(jp, e->right, &sb, &cb)) fb = tdbJColumnEq(sb, cb);
    if (fa <= 0) fa = 0.1;
    if (fb <= 0) fb = 0.1;
    return TDB_MIN(fa, fb);
  }
  return 0.33;
}

/* ---- plan pieces ----------------------------------------------------------------- */

/* The SCAN at the bottom of a FROM item's FILTER chain, or NULL. */
static TdbPlan *tdbJBottomScan(TdbPlan *p) {
  while (p && p->kind == TDB_PLAN_FILTER) p = p->child;
  return p && p->kind == TDB_PLAN_SCAN ? p : NULL;
}

/* Column copies of a side into the scope row: (from, to, count) triples. */
/* Append the copies of child columns [from, from + count) to scope columns
** [to, ...): the runs of them the query reads (jp->used). */
static void tdbJSegmentRuns(const TdbJPlan *jp, int from, int to, int count, int *s, int *n) {
  int i = 0;
  while (i < count) {
    int j;
    if (jp->used && !jp->used[to + i]) {
      i++;
      continue;
    }
    for (j = i + 1; j < count && (!jp->used || jp->used[to + j]); j++) {
    }
    s[3 * *n] = from + i;
    s[3 * *n + 1] = to + i;
    s[3 * *n + 2] = j - i;
    (*n)++;
    i = j;
  }
}

static int tdbJSegments(TdbJPlan *jp, uint64_t mask, const TdbSource *leaf, int ncols, int **seg,
                        int *nseg) {
  int n = 0, i, k, cap = jp->width + jp->jt->nleaves + jp->jt->nslots + 1;
  int *s = tdbMemAlloc(jp->pl->mem, sizeof(int) * 3 * (size_t)cap);
  if (!s) return TDB_NOMEM;
  if (leaf) {
    tdbJSegmentRuns(jp, 0, leaf->first_column, ncols, s, &n);
  } else {
    for (i = 0; i < jp->jt->nleaves; i++) {
      const TdbSource *src = jp->jt->leaf[i];
      if (!(mask & ((uint64_t)1 << i))) continue;
      tdbJSegmentRuns(jp, src->first_column, src->first_column, src->ncolumns, s, &n);
    }
    for (i = 0; i < jp->jt->n; i++) {
      const TdbJoinNode *jn = &jp->jt->nodes[i];
      if (jn->kind != TDB_JOIN_RIGHT && jn->kind != TDB_JOIN_FULL) continue;
      if (jn->leaves & ~mask) continue;
      for (k = 0; k < jn->nusing && n < cap; k++) {
        s[3 * n] = s[3 * n + 1] = jn->use_out[k];
        s[3 * n + 2] = 1;
        n++;
      }
    }
  }
  *seg = s;
  *nseg = n;
  return TDB_OK;
}

/* The cheapest way to join a left side (lrows, lcost; lleaf/lplan when it
** is one FROM item) with unit u under conditions conds. Costs include both
** inputs' costs; large intermediate results cost through the next join's
** input rows. */
static void tdbJChoose(TdbJPlan *jp, uint64_t lmask, double lrows, double lcost,
                       const TdbSource *lleaf, TdbPlan *lplan, const TdbJUnit *u, int type,
                       TdbJc *cs, int ncs, TdbJChoice *ch) {
  double rrows = u->plan->est_rows, rcost = u->plan->est_cost, sel = 1.0, c;
  int i, nkeys = 0, k;
  TdbPlan *rscan = u->leaf ? tdbJBottomScan(u->plan) : NULL;
  TdbPlan *lscan = lleaf ? tdbJBottomScan(lplan) : NULL;
  const TdbTableDef *rt = rscan ? rscan->table : NULL;
  int pk_eq[TDB_MAX_KEY_COLUMNS];
  int merge_ok = 0;
  memset(pk_eq, 0, sizeof pk_eq);
  for (i = 0; i < ncs; i++) {
    TdbExpr *l, *r;
    const TdbSource *src;
    int col;
    sel *= tdbJSelectivity(jp, cs[i].e);
    if (!tdbJEqui(jp, cs[i].e, lmask, u->leaves, &l, &r)) continue;
    nkeys++;
    if (rt && tdbJTableColumn(jp, r, &src, &col) && src == u->leaf) {
      for (k = 0; k < rt->npk; k++) {
        if (rt->pk[k] == col) pk_eq[k] = 1;
      }
      /* merge: both sides ordered by their first key column, same type */
      if (lscan && rt->npk > 0 && rt->pk[0] == col && rt->cols[col].type != TDB_TYPE_NULL &&
          (rscan->access == TDB_ACCESS_FULL || rscan->access == TDB_ACCESS_PK_RANGE) &&
          (lscan->access == TDB_ACCESS_FULL || lscan->access == TDB_ACCESS_PK_RANGE) &&
          !lscan->index && !rscan->index) {
        const TdbSource *ls;
        int lc;
        const TdbTableDef *lt = lscan->table;
        if (tdbJTableColumn(jp, l, &ls, &lc) && ls == lleaf && lt->npk > 0 && lt->pk[0] == lc &&
            lt->cols[lc].type == rt->cols[col].type) {
          merge_ok = 1;
        }
      }
    }
  }
  ch->rows = TDB_MAX(1.0, lrows * rrows * sel);
  ch->algo = TDB_JALGO_NL;
  ch->build_left = 0;
  ch->index = NULL;
  ch->cost = lcost + rcost + lrows * rrows;
  if (nkeys > 0) {
    double lo = TDB_MIN(lrows, rrows), hi = TDB_MAX(lrows, rrows);
    c = lcost + rcost + 2 * lo + hi;
    if (c < ch->cost) {
      ch->algo = TDB_JALGO_HASH;
      ch->cost = c;
      /* build the smaller side (the left one only where the join allows it) */
      ch->build_left = lrows < rrows && type != TDB_JTYPE_SEMI;
    }
  }
  if (merge_ok && (type == TDB_JTYPE_INNER || type == TDB_JTYPE_LEFT)) {
    c = lcost + rcost + lrows + rrows;
    if (c <= ch->cost) {
      ch->algo = TDB_JALGO_MERGE;
      ch->cost = c;
    }
  }
  if (rscan && rscan->access == TDB_ACCESS_FULL && nkeys > 0 &&
      (type == TDB_JTYPE_INNER || type == TDB_JTYPE_LEFT)) {
    double trows = tdbTableRows(rt);
    int all = rt->npk > 0;
    for (k = 0; k < rt->npk; k++) all = all && pk_eq[k];
    if (all) {
      c = lcost + lrows * 5.0;
      if (c < ch->cost) {
        ch->algo = TDB_JALGO_INDEX;
        ch->cost = c;
        ch->index = NULL;
      }
    }
    for (k = 0; k < rt->nindexes; k++) {
      const TdbIndexDef *ix = rt->indexes[k];
      double m;
      int j, col0 = ix->col[0];
      int found = 0;
      if (col0 < 0) continue;
      for (j = 0; j < ncs && !found; j++) {
        TdbExpr *l, *r;
        const TdbSource *src;
        int col;
        found = tdbJEqui(jp, cs[j].e, lmask, u->leaves, &l, &r) &&
                tdbJTableColumn(jp, r, &src, &col) && src == u->leaf && col == col0;
      }
      if (!found) continue;
      m = ix->unique && ix->ncols == 1 ? 1.0
                                        : TDB_MAX(1.0, trows * tdbStatsSelectivity(rt, col0, TDB_OP_EQ, NULL));
      c = lcost + lrows * (6.0 + 3.0 * m);
      if (c < ch->cost) {
        ch->algo = TDB_JALGO_INDEX;
        ch->cost = c;
        ch->index = ix;
      }
    }
  }
}

/* Make the right side's scan an index nested-loop lookup: its key values
** are the left sides of the equalities on its key columns. */
static void tdbJMakeLookup(TdbJPlan *jp, TdbPlan *scan, const TdbIndexDef *ix, uint64_t lmask,
                           const TdbJUnit *u, TdbJc *cs, int ncs) {
  const TdbTableDef *t = scan->table;
  int ncol = ix ? ix->ncols : t->npk, k, i, n = 0;
  for (k = 0; k < ncol; k++) {
    int want = ix ? ix->col[k] : t->pk[k];
    TdbExpr *v = NULL;
    for (i = 0; i < ncs && !v; i++) {
      TdbExpr *l, *r;
      const TdbSource *src;
      int col;
      if (tdbJEqui(jp, cs[i].e, lmask, u->leaves, &l, &r) && tdbJTableColumn(jp, r, &src, &col) &&
          src == u->leaf && col == want) {
        v = l;
      }
    }
    if (!v) break;
    scan->key[n++] = v;
  }
  scan->nkey = n;
  scan->access = ix ? TDB_ACCESS_INDEX_POINT : TDB_ACCESS_PK_POINT;
  scan->index = ix;
  scan->est_rows = ix ? TDB_MAX(1.0, tdbTableRows(t) * tdbStatsSelectivity(t, ix->col[0], TDB_OP_EQ, NULL)) : 1;
  if (ix && ix->unique && n == ix->ncols) scan->est_rows = 1;
  scan->est_cost = ix ? 3 * scan->est_rows + 2 : 2;
}

/* Join left (lmask; lleaf when one FROM item) with unit u under the
** conditions among cs that become applicable: keys and residual filters. */
static int tdbJMakeJoin(TdbJPlan *jp, TdbPlan *left, uint64_t lmask, TdbSource *lleaf,
                        const TdbJUnit *u, int type, TdbJc *cs, int ncs, int outer_node,
                        TdbPlan **out) {
  TdbPlanner *pl = jp->pl;
  TdbJc *conds = NULL;
  TdbJChoice ch;
  TdbPlan *p;
  int i, n = 0, rc = TDB_OK, nres = 0;
  uint64_t all = lmask | u->leaves;
  *out = NULL;
  conds = tdbMemAlloc(pl->mem, sizeof *conds * (size_t)(ncs + 1));
  if (!conds) return TDB_NOMEM;
  for (i = 0; i < ncs; i++) {
    if (*cs[i].used) continue;
    if (outer_node < 0 && (cs[i].sub || (cs[i].refs & ~all) || !(cs[i].refs & u->leaves) ||
                           !(cs[i].refs & lmask))) {
      continue;
    }
    conds[n++] = cs[i];
  }
  tdbJChoose(jp, lmask, left->est_rows, left->est_cost, lleaf, left, u, type, conds, n, &ch);
  if (u->leaf && u->leaf->eff && u->leaf->eff->lateral) {
    /* a temporal clause that reads the left row: open the right side per left row */
    ch.algo = TDB_JALGO_LATERAL;
    ch.build_left = 0;
  }
  p = tdbNode(pl, TDB_PLAN_JOIN, jp->width, left);
  if (!p) {
    tdbMemFree(pl->mem, conds);
    return TDB_NOMEM;
  }
  p->right = u->plan;
  p->join_algo = ch.algo;
  p->join_type = type;
  p->build_left = ch.algo == TDB_JALGO_HASH && ch.build_left;
  p->loff = lleaf ? lleaf->first_column : 0;
  p->roff = u->leaf ? u->leaf->first_column : 0;
  rc = tdbJSegments(jp, lmask, lleaf, left->ncols, &p->lseg, &p->nlseg);
  if (rc == TDB_OK) rc = tdbJSegments(jp, u->leaves, u->leaf, u->plan->ncols, &p->rseg, &p->nrseg);
  p->lkeys = tdbMemAlloc(pl->mem, sizeof(TdbExpr *) * (size_t)(n + 1));
  p->rkeys = tdbMemAlloc(pl->mem, sizeof(TdbExpr *) * (size_t)(n + 1));
  p->exprs = tdbMemAlloc(pl->mem, sizeof(TdbExpr *) * (size_t)(n + 1));
  if (!p->lkeys || !p->rkeys || !p->exprs) rc = TDB_NOMEM;
  for (i = 0; rc == TDB_OK && i < n; i++) {
    TdbExpr *l, *r;
    int key = (ch.algo == TDB_JALGO_HASH || (ch.algo == TDB_JALGO_MERGE && p->nkeys == 0)) &&
              tdbJEqui(jp, conds[i].e, lmask, u->leaves, &l, &r);
    if (key && ch.algo == TDB_JALGO_MERGE) {
      /* the merge key: the equality of the two first key columns */
      const TdbSource *ls, *rs;
      int lc, rcol;
      key = tdbJTableColumn(jp, l, &ls, &lc) && tdbJTableColumn(jp, r, &rs, &rcol) &&
            ls == lleaf && rs == u->leaf && ls->table->npk > 0 && ls->table->pk[0] == lc &&
            rs->table->npk > 0 && rs->table->pk[0] == rcol;
    }
    if (key) {
      p->lkeys[p->nkeys] = l;
      p->rkeys[p->nkeys++] = r;
    } else {
      p->exprs[nres++] = conds[i].e;
    }
    *conds[i].used = 1;
  }
  p->nexprs = nres;
  if (rc == TDB_OK && ch.algo == TDB_JALGO_INDEX) {
    p->param_scan = tdbJBottomScan(u->plan);
    tdbJMakeLookup(jp, p->param_scan, ch.index, lmask, u, conds, n);
  }
  p->est_rows = ch.rows;
  p->est_cost = ch.cost;
  if (outer_node >= 0) {
    const TdbJoinNode *jn = &jp->jt->nodes[outer_node];
    if (jn->nusing && (jn->kind == TDB_JOIN_RIGHT || jn->kind == TDB_JOIN_FULL)) {
      p->merge = tdbMemAlloc(pl->mem, sizeof(int) * 3 * (size_t)jn->nusing);
      if (!p->merge) rc = TDB_NOMEM;
      for (i = 0; rc == TDB_OK && i < jn->nusing; i++) {
        p->merge[3 * i] = jn->use_out[i];
        p->merge[3 * i + 1] = jn->use_left[i];
        p->merge[3 * i + 2] = jn->use_right[i];
      }
      if (rc == TDB_OK) p->nmerge = jn->nusing;
    }
  }
  tdbMemFree(pl->mem, conds);
  *out = p;
  return rc;
}

/* A FILTER of conjunct c above plan. */
static int tdbJFilter(TdbJPlan *jp, TdbPlan **plan, TdbJc *c, const TdbSource *leaf) {
  TdbPlan *f = tdbNode(jp->pl, TDB_PLAN_FILTER, (*plan)->ncols, *plan);
  if (!f) return TDB_NOMEM;
  f->pred = c->e;
  f->col_offset = leaf ? leaf->first_column : 0;
  f->est_rows = TDB_MAX(1.0, (*plan)->est_rows * 0.33);
  f->est_cost = (*plan)->est_cost + (*plan)->est_rows;
  *c->used = 1;
  *plan = f;
  return TDB_OK;
}

static int tdbJBlock(TdbJPlan *jp, int node, TdbJc *in, int nin, int top, TdbPlan **out);

/* ---- outer joins --------------------------------------------------------------- */

static int tdbJOuter(TdbJPlan *jp, int node, TdbJc *cs, int ncs, TdbPlan **out) {
  const TdbJoinNode *jn = &jp->jt->nodes[node];
  int kind = jn->kind, pres = kind == TDB_JOIN_RIGHT ? jn->right : jn->left;
  int nul = kind == TDB_JOIN_RIGHT ? jn->left : jn->right, i, rc, nin = 0, non = 0, nrest = 0;
  uint64_t pmask = jp->jt->nodes[pres].leaves, nmask = jp->jt->nodes[nul].leaves;
  TdbConjuncts *on = NULL;
  TdbJc *down = NULL, *ondown = NULL, *rest = NULL;
  TdbPlan *pp = NULL, *np = NULL;
  TdbJUnit u;
  rc = tdbJLocal(jp, jn->on, &on);
  if (rc != TDB_OK) return rc;
  down = tdbMemAlloc(jp->pl->mem, sizeof(TdbJc) * (size_t)(ncs + 1));
  ondown = tdbMemAlloc(jp->pl->mem, sizeof(TdbJc) * (size_t)(on->n + 1));
  rest = tdbMemAlloc(jp->pl->mem, sizeof(TdbJc) * (size_t)(on->n + 1));
  if (!down || !ondown || !rest) {
    rc = TDB_NOMEM;
    goto done;
  }
  if (kind != TDB_JOIN_FULL) {
    /* WHERE terms over the preserved side alone filter it first */
    for (i = 0; i < ncs; i++) {
      if (*cs[i].used || cs[i].sub || !cs[i].refs || (cs[i].refs & ~pmask)) continue;
      down[nin] = cs[i];
      down[nin++].inherited = 1;
    }
  }
  for (i = 0; i < on->n; i++) {
    TdbJc c = tdbJcOf(jp, on->e[i], &on->used[i], 1);
    if (kind != TDB_JOIN_FULL && !c.sub && c.refs && !(c.refs & ~nmask)) ondown[non++] = c;
    else rest[nrest++] = c;
  }
  rc = tdbJBlock(jp, pres, down, nin, 0, &pp);
  if (rc == TDB_OK) rc = tdbJBlock(jp, nul, ondown, non, 0, &np);
  if (rc != TDB_OK) goto done;
  /* ON terms over the NULL-extended side that could not go lower stay in the join */
  for (i = 0; i < non; i++) {
    if (!*ondown[i].used) rest[nrest++] = ondown[i];
  }
  u.node = nul;
  u.leaves = nmask;
  u.plan = np;
  u.leaf = jp->jt->nodes[nul].kind < 0 ? jp->jt->nodes[nul].src : NULL;
  rc = tdbJMakeJoin(jp, pp, pmask, jp->jt->nodes[pres].kind < 0 ? jp->jt->nodes[pres].src : NULL,
                    &u, kind == TDB_JOIN_FULL ? TDB_JTYPE_FULL : TDB_JTYPE_LEFT, rest, nrest, node,
                    out);
done:
  tdbMemFree(jp->pl->mem, down);
  tdbMemFree(jp->pl->mem, ondown);
  tdbMemFree(jp->pl->mem, rest);
  return rc;
}

/* ---- inner blocks ---------------------------------------------------------------- */

typedef struct TdbJBlockState {
  TdbJUnit units[64];
  int n;
  TdbJc *cs;
  int ncs, capcs;
} TdbJBlockState;

static int tdbJAddConj(TdbJPlan *jp, TdbJBlockState *b, TdbJc c) {
  if (b->ncs == b->capcs) {
    int cap = b->capcs ? b->capcs * 2 : 16;
    TdbJc *g = tdbMemRealloc(jp->pl->mem, b->cs, sizeof(TdbJc) * (size_t)cap);
    if (!g) return TDB_NOMEM;
    b->cs = g;
    b->capcs = cap;
  }
  b->cs[b->ncs++] = c;
  return TDB_OK;
}

/* Gather the units and inner ON terms of the block under node. */
static int tdbJCollect(TdbJPlan *jp, TdbJBlockState *b, int node) {
  const TdbJoinNode *jn = &jp->jt->nodes[node];
  int rc, i;
  if (jn->kind < 0 || jn->kind == TDB_JOIN_LEFT || jn->kind == TDB_JOIN_RIGHT ||
      jn->kind == TDB_JOIN_FULL) {
    TdbJUnit *u = &b->units[b->n++];
    u->node = node;
    u->leaves = jn->leaves;
    u->plan = NULL;
    u->leaf = jn->kind < 0 ? jn->src : NULL;
    return TDB_OK;
  }
  rc = tdbJCollect(jp, b, jn->left);
  if (rc == TDB_OK) rc = tdbJCollect(jp, b, jn->right);
  if (rc == TDB_OK && jn->on) {
    TdbConjuncts *on;
    rc = tdbJLocal(jp, jn->on, &on);
    for (i = 0; rc == TDB_OK && i < on->n; i++) {
      rc = tdbJAddConj(jp, b, tdbJcOf(jp, on->e[i], &on->used[i], 0));
    }
  }
  return rc;
}

/* Plan a FROM item with the block's conjuncts that read only it. */
static int tdbJLeaf(TdbJPlan *jp, TdbJBlockState *b, TdbJUnit *u) {
  TdbConjuncts tmp;
  int *owner[256];
  int i, rc, k = 0;
  memset(&tmp, 0, sizeof tmp);
  for (i = 0; i < b->ncs; i++) {
    if (*b->cs[i].used || b->cs[i].sub || b->cs[i].refs != u->leaves) continue;
    if (k == 256) break;
    if (tdbConjAdd(jp->pl->mem, &tmp, b->cs[i].e) != TDB_OK) {
      tdbConjFree(jp->pl->mem, &tmp);
      return TDB_NOMEM;
    }
    /* an AND inside a conjunct never reaches here: conjuncts are split */
    owner[k++] = b->cs[i].used;
  }
  rc = tdbPlanSource(jp->pl, jp->s, u->leaf, &tmp, 1, &u->plan);
  for (i = 0; rc == TDB_OK && i < k && i < tmp.n; i++) {
    if (tmp.used[i]) *owner[i] = 1;
  }
  tdbConjFree(jp->pl->mem, &tmp);
  return rc;
}

/* Conditions between set lmask and unit u (for estimates). */
static int tdbJEdges(const TdbJBlockState *b, uint64_t lmask, const TdbJUnit *u, TdbJc *out) {
  int i, n = 0;
  for (i = 0; i < b->ncs; i++) {
    const TdbJc *c = &b->cs[i];
    if (*c->used || c->sub || (c->refs & ~(lmask | u->leaves)) || !(c->refs & u->leaves) ||
        !(c->refs & lmask)) {
      continue;
    }
    out[n++] = *c;
  }
  return n;
}

/* Choose the order of the block's units into order[]. */
static int tdbJOrder(TdbJPlan *jp, TdbJBlockState *b, int *order) {
  int n = b->n, i;
  TdbJc *edges = tdbMemAlloc(jp->pl->mem, sizeof(TdbJc) * (size_t)(b->ncs + 1));
  if (!edges) return TDB_NOMEM;
  if (n <= TDB_JOIN_DP_MAX) {
    int full = (1 << n) - 1, S;
    double cost[1 << TDB_JOIN_DP_MAX], rows[1 << TDB_JOIN_DP_MAX];
    int last[1 << TDB_JOIN_DP_MAX];
    uint64_t masks[1 << TDB_JOIN_DP_MAX];
    for (S = 1; S <= full; S++) {
      int pass;
      masks[S] = 0;
      for (i = 0; i < n; i++) {
        if (S & (1 << i)) masks[S] |= b->units[i].leaves;
      }
      cost[S] = -1;
      last[S] = -1;
      if ((S & (S - 1)) == 0) {
        for (i = 0; !(S & (1 << i)); i++) {
        }
        cost[S] = b->units[i].plan->est_cost;
        rows[S] = b->units[i].plan->est_rows;
        last[S] = i;
        continue;
      }
      /* joins through a condition first; a cross product only when none */
      for (pass = 0; pass < 2 && cost[S] < 0; pass++) {
        for (i = 0; i < n; i++) {
          int prev = S & ~(1 << i), ne;
          TdbJChoice ch;
          const TdbJUnit *u = &b->units[i];
          TdbSource *lleaf = NULL;
          TdbPlan *lplan = NULL;
          if (!(S & (1 << i)) || cost[prev] < 0) continue;
          ne = tdbJEdges(b, masks[prev], u, edges);
          if (pass == 0 && ne == 0) continue;
          if ((prev & (prev - 1)) == 0) {
            int j;
            for (j = 0; !(prev & (1 << j)); j++) {
            }
            lleaf = b->units[j].leaf;
            lplan = b->units[j].plan;
          }
          tdbJChoose(jp, masks[prev], rows[prev], cost[prev], lleaf, lplan, u, TDB_JTYPE_INNER,
                     edges, ne, &ch);
          if (cost[S] < 0 || ch.cost < cost[S]) {
            cost[S] = ch.cost;
            rows[S] = ch.rows;
            last[S] = i;
          }
        }
      }
    }
    for (S = full, i = n - 1; i >= 0; i--) {
      order[i] = last[S];
      S &= ~(1 << last[S]);
    }
  } else {
    /* greedy: the smallest unit, then the cheapest next join */
    uint64_t done = 0, mask = 0;
    double rows, cost;
    int best = 0, k;
    for (i = 1; i < n; i++) {
      if (b->units[i].plan->est_rows < b->units[best].plan->est_rows) best = i;
    }
    order[0] = best;
    done = (uint64_t)1 << best;
    mask = b->units[best].leaves;
    rows = b->units[best].plan->est_rows;
    cost = b->units[best].plan->est_cost;
    for (k = 1; k < n; k++) {
      double bc = -1, br = 0;
      int pass;
      best = -1;
      for (pass = 0; pass < 2 && best < 0; pass++) {
        for (i = 0; i < n; i++) {
          TdbJChoice ch;
          int ne;
          if (done & ((uint64_t)1 << i)) continue;
          ne = tdbJEdges(b, mask, &b->units[i], edges);
          if (pass == 0 && ne == 0) continue;
          tdbJChoose(jp, mask, rows, cost, k == 1 ? b->units[order[0]].leaf : NULL,
                     k == 1 ? b->units[order[0]].plan : NULL, &b->units[i], TDB_JTYPE_INNER,
                     edges, ne, &ch);
          if (best < 0 || ch.cost < bc) {
            best = i;
            bc = ch.cost;
            br = ch.rows;
          }
        }
      }
      order[k] = best;
      done |= (uint64_t)1 << best;
      mask |= b->units[best].leaves;
      rows = br;
      cost = bc;
    }
  }
  tdbMemFree(jp->pl->mem, edges);
  return TDB_OK;
}

static int tdbJBlock(TdbJPlan *jp, int node, TdbJc *in, int nin, int top, TdbPlan **out) {
  TdbJBlockState *b = tdbMemAllocZero(jp->pl->mem, sizeof *b);
  TdbPlan *cur = NULL;
  uint64_t mask = 0, block = jp->jt->nodes[node].leaves;
  int order[64], i, k, rc = TDB_OK;
  *out = NULL;
  if (!b) return TDB_NOMEM;
  for (i = 0; i < nin && rc == TDB_OK; i++) rc = tdbJAddConj(jp, b, in[i]);
  if (rc == TDB_OK) rc = tdbJCollect(jp, b, node);
  /* each unit's own plan, with the conjuncts that read only it */
  for (i = 0; rc == TDB_OK && i < b->n; i++) {
    TdbJUnit *u = &b->units[i];
    if (u->leaf) {
      rc = tdbJLeaf(jp, b, u);
    } else {
      rc = tdbJOuter(jp, u->node, b->cs, b->ncs, &u->plan);
      for (k = 0; rc == TDB_OK && k < b->ncs; k++) {
        TdbJc *c = &b->cs[k];
        if (*c->used || c->sub || !c->refs || (c->refs & ~u->leaves)) continue;
        rc = tdbJFilter(jp, &u->plan, c, NULL);
      }
    }
  }
  if (rc == TDB_OK && b->n > 1 && !jp->lateral) {
    rc = tdbJOrder(jp, b, order);
  } else {
    for (k = 0; k < b->n; k++) order[k] = k; /* FROM order */
  }
  for (k = 0; rc == TDB_OK && k < b->n; k++) {
    TdbJUnit *u = &b->units[order[k]];
    if (k == 0) {
      cur = u->plan;
    } else {
      TdbSource *lleaf = k == 1 ? b->units[order[0]].leaf : NULL;
      rc = tdbJMakeJoin(jp, cur, mask, lleaf, u, TDB_JTYPE_INNER, b->cs, b->ncs, -1, &cur);
    }
    mask |= u->leaves;
  }
  /* what is left of the block's own terms filters its result */
  for (i = 0; rc == TDB_OK && i < b->ncs; i++) {
    TdbJc *c = &b->cs[i];
    if (*c->used) continue;
    if (c->inherited && (top || c->sub || !c->refs || (c->refs & ~block))) continue;
    rc = tdbJFilter(jp, &cur, c, b->n == 1 ? b->units[0].leaf : NULL);
  }
  tdbMemFree(jp->pl->mem, b->cs);
  tdbMemFree(jp->pl->mem, b);
  *out = cur;
  return rc;
}

TDB_PRIVATE int tdbPlanFrom(TdbPlanner *pl, TdbSelect *s, TdbConjuncts *cj, TdbPlan **out) {
  TdbJPlan jp;
  TdbJc *in = NULL;
  int i, k, rc = TDB_OK;
  *out = NULL;
  if (!s->from->next) return tdbPlanSource(pl, s, s->from, cj, 0, out);
  memset(&jp, 0, sizeof jp);
  jp.pl = pl;
  jp.s = s;
  jp.jt = s->jtree;
  jp.width = s->nsource_cols;
  jp.colmask = tdbMemAllocZero(pl->mem, sizeof(uint64_t) * (size_t)(jp.width + 1));
  in = tdbMemAlloc(pl->mem, sizeof(TdbJc) * (size_t)(cj->n + 1));
  if (!jp.colmask || !in) {
    rc = TDB_NOMEM;
    goto done;
  }
  for (i = 0; i < jp.jt->nleaves; i++) {
    const TdbSource *src = jp.jt->leaf[i];
    for (k = 0; k < src->ncolumns; k++) jp.colmask[src->first_column + k] = (uint64_t)1 << i;
    if (src->eff && src->eff->lateral) jp.lateral = 1;
  }
  for (i = 0; jp.lateral && i < jp.jt->n; i++) {
    /* the right side of an inner or LEFT join only (as PostgreSQL's LATERAL) */
    const TdbJoinNode *jn = &jp.jt->nodes[i];
    if (jn->kind != TDB_JOIN_RIGHT && jn->kind != TDB_JOIN_FULL) continue;
    for (k = 0; k < jp.jt->nleaves; k++) {
      const TdbSource *src = jp.jt->leaf[k];
      if ((jn->leaves & ((uint64_t)1 << k)) && src->eff && src->eff->lateral) {
        rc = tdbErrSet(pl->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_FEATURE,
                       "a temporal clause that reads another FROM item (on \"%s\") cannot be "
                       "used under a RIGHT or FULL join",
                       src->alias ? src->alias : src->name);
        goto done;
      }
    }
  }
  for (i = 0; i < jp.jt->n; i++) {
    const TdbJoinNode *jn = &jp.jt->nodes[i];
    for (k = 0; k < jn->nusing; k++) {
      if (jn->use_out[k] >= jp.jt->slot_first) jp.colmask[jn->use_out[k]] = jn->leaves;
    }
  }
  /* the columns the query reads: the scans emit only those (NULL for the
  ** rest), so the joins copy only those; USING merges read their sides from
  ** the output rows: copy everything then */
  for (i = 0, k = 0; i < jp.jt->n; i++) k += jp.jt->nodes[i].nusing;
  if (k == 0) jp.used = tdbUsedScope(pl, s, 0);
  for (i = 0; i < cj->n; i++) in[i] = tdbJcOf(&jp, cj->e[i], &cj->used[i], 1);
  rc = tdbJBlock(&jp, jp.jt->root, in, cj->n, 1, out);
done:
  if (rc == TDB_NOMEM) rc = tdbErrNoMem(pl->err);
  for (i = 0; i < jp.nlocals; i++) {
    tdbConjFree(pl->mem, jp.locals[i]);
    tdbMemFree(pl->mem, jp.locals[i]);
  }
  tdbMemFree(pl->mem, jp.locals);
  tdbMemFree(pl->mem, jp.colmask);
  tdbMemFree(pl->mem, jp.used);
  tdbMemFree(pl->mem, in);
  return rc;
}

/* ---- decorrelation ------------------------------------------------------------ */

static int tdbRefsBeyondSelect(const TdbSelect *sel, int k);

/* Does e read a column more than k queries out (beyond the subquery)? */
static int tdbRefsBeyond(const TdbExpr *e, int k) {
  int i;
  if (!e) return 0;
  if (e->kind == TDB_EXPR_COLUMN) return e->depth > k;
  if (e->select && tdbRefsBeyondSelect(e->select, k + 1)) return 1;
  if (tdbRefsBeyond(e->left, k) || tdbRefsBeyond(e->right, k) || tdbRefsBeyond(e->third, k)) {
    return 1;
  }
  for (i = 0; e->list && i < e->list->n; i++) {
    if (tdbRefsBeyond(e->list->items[i].expr, k)) return 1;
  }
  return 0;
}

static int tdbRefsBeyondList(const TdbExprList *l, int k) {
  int i;
  for (i = 0; l && i < l->n; i++) {
    if (tdbRefsBeyond(l->items[i].expr, k)) return 1;
  }
  return 0;
}

static int tdbRefsBeyondSelect(const TdbSelect *sel, int k) {
  const TdbSource *src;
  if (tdbRefsBeyondList(sel->columns, k) || tdbRefsBeyond(sel->where, k) ||
      tdbRefsBeyondList(sel->group_by, k) || tdbRefsBeyond(sel->having, k) ||
      tdbRefsBeyondList(sel->order_by, k) || tdbRefsBeyond(sel->limit, k) ||
      tdbRefsBeyond(sel->offset, k)) {
    return 1;
  }
  for (src = sel->from; src; src = src->next) {
    if (tdbRefsBeyond(src->on, k)) return 1;
    /* a derived table counts depths from the same place as sel */
    if (src->subquery && src->subquery->correlated && tdbRefsBeyondSelect(src->subquery, k)) return 1;
  }
  return 0;
}

/* Depth range of the column references of e: *lo..*hi; *sub when it holds
** a subquery. */
static void tdbDepths(const TdbExpr *e, int *lo, int *hi, int *sub) {
  int i;
  if (!e) return;
  if (e->kind == TDB_EXPR_COLUMN) {
    if (e->depth < *lo) *lo = e->depth;
    if (e->depth > *hi) *hi = e->depth;
    return;
  }
  if (e->select || e->kind == TDB_EXPR_AGGREF) *sub = 1;
  tdbDepths(e->left, lo, hi, sub);
  tdbDepths(e->right, lo, hi, sub);
  tdbDepths(e->third, lo, hi, sub);
  for (i = 0; e->list && i < e->list->n; i++) tdbDepths(e->list->items[i].expr, lo, hi, sub);
}

/* Read one level less: the outer side of a correlation, evaluated on the
** outer query's own rows. */
static void tdbDepthDown(TdbExpr *e) {
  int i;
  if (!e) return;
  if (e->kind == TDB_EXPR_COLUMN) {
    e->depth--;
    return;
  }
  tdbDepthDown(e->left);
  tdbDepthDown(e->right);
  tdbDepthDown(e->third);
  for (i = 0; e->list && i < e->list->n; i++) tdbDepthDown(e->list->items[i].expr);
}

/* Is e `inner = outer`: one side over the subquery's own columns only, the
** other over enclosing queries only (no subqueries)? */
static int tdbCorrelationPair(TdbExpr *e, TdbExpr **inner, TdbExpr **outer) {
  int llo = 1 << 30, lhi = -1, rlo = 1 << 30, rhi = -1, ls = 0, rs = 0;
  if (e->kind != TDB_EXPR_BINARY || e->op != TDB_OP_EQ) return 0;
  tdbDepths(e->left, &llo, &lhi, &ls);
  tdbDepths(e->right, &rlo, &rhi, &rs);
  if (ls || rs || lhi < 0 || rhi < 0) return 0;
  if (lhi == 0 && rlo >= 1) {
    *inner = e->left;
    *outer = e->right;
    return 1;
  }
  if (rhi == 0 && llo >= 1) {
    *inner = e->right;
    *outer = e->left;
    return 1;
  }
  return 0;
}

/* [NOT] EXISTS (SELECT ... WHERE inner = outer AND local ...), x IN (SELECT
** y ... [WHERE inner = outer ...]) and uncorrelated x NOT IN (SELECT y ...)
** become hash SEMI / ANTI / NOT_IN joins of `below` with the subquery's
** FROM and local conditions. A subquery that aggregates, limits, or reads
** the outer query any other way stays a per-row subquery. */
TDB_PRIVATE int tdbPlanSubqueryJoin(TdbPlanner *pl, TdbSelect *s, TdbExpr *conj, TdbPlan *below,
                                    TdbPlan **out) {
  TdbExpr *e = conj, *y = NULL;
  TdbSelect *sub;
  TdbConjuncts cj, local;
  TdbExpr *inner[TDB_MAX_KEY_COLUMNS], *outer[TDB_MAX_KEY_COLUMNS];
  TdbPlan *bplan = NULL, *p;
  int negated = 0, npairs = 0, i, rc = TDB_OK, type;
  (void)s;
  *out = NULL;
  if (e->kind == TDB_EXPR_UNARY && e->op == TDB_OP_NOT && e->left &&
      (e->left->kind == TDB_EXPR_EXISTS || e->left->kind == TDB_EXPR_IN_SELECT)) {
    negated = 1;
    e = e->left;
  }
  if (e->kind != TDB_EXPR_EXISTS && e->kind != TDB_EXPR_IN_SELECT) return TDB_OK;
  if (e->kind == TDB_EXPR_IN_SELECT && e->negated) negated = !negated;
  sub = e->select;
  /* WITH queries, compounds and window calls need the subquery's own plan */
  if (!sub || !sub->from || sub->grouped || sub->limit || sub->offset || sub->with ||
      sub->left || sub->nwins > 0) {
    return TDB_OK;
  }
  if (e->kind == TDB_EXPR_IN_SELECT) {
    int lo = 1 << 30, hi = -1, hs = 0;
    y = sub->columns->items[0].expr;
    tdbDepths(y, &lo, &hi, &hs);
    if (hs || hi != 0 || lo != 0) return TDB_OK;
    lo = 1 << 30, hi = -1, hs = 0;
    tdbDepths(e->left, &lo, &hi, &hs);
    if (hs) return TDB_OK;
  }
  memset(&cj, 0, sizeof cj);
  memset(&local, 0, sizeof local);
  if (tdbConjAdd(pl->mem, &cj, sub->where) != TDB_OK) goto nomem;
  for (i = 0; i < cj.n; i++) {
    TdbExpr *in, *ou;
    if (!tdbRefsBeyond(cj.e[i], 0)) {
      if (tdbConjAdd(pl->mem, &local, cj.e[i]) != TDB_OK) goto nomem;
    } else if (npairs < TDB_MAX_KEY_COLUMNS - 1 && tdbCorrelationPair(cj.e[i], &in, &ou)) {
      inner[npairs] = in;
      outer[npairs++] = ou;
    } else {
      goto done; /* read the outer query some other way */
    }
  }
  {
    /* tables and catalog views only: the subquery's FROM is planned again
    ** here, outside its own plan (which would set up derived tables and
    ** views the way the statement runs them) */
    const TdbSource *src;
    for (src = sub->from; src; src = src->next) {
      if (tdbRefsBeyond(src->on, 0)) goto done;
      if (!src->table && !src->view) goto done;
    }
  }
  if (e->kind == TDB_EXPR_EXISTS) {
    if (npairs == 0) goto done; /* uncorrelated: computed once anyway */
    type = negated ? TDB_JTYPE_ANTI : TDB_JTYPE_SEMI;
  } else if (negated) {
    if (npairs > 0) goto done; /* NOT IN per outer row: NULLs per group, left correlated */
    type = TDB_JTYPE_NOT_IN;
  } else {
    type = TDB_JTYPE_SEMI;
  }
  /* decided: the subquery's rows, without the correlation terms */
  rc = tdbPlanFrom(pl, sub, &local, &bplan);
  for (i = 0; rc == TDB_OK && i < local.n; i++) {
    if (local.used[i]) continue;
    p = tdbNode(pl, TDB_PLAN_FILTER, bplan->ncols, bplan);
    if (!p) goto nomem;
    p->pred = local.e[i];
    p->est_rows = TDB_MAX(1.0, bplan->est_rows * 0.33);
    p->est_cost = bplan->est_cost + bplan->est_rows;
    bplan = p;
  }
  if (rc != TDB_OK) goto done;
  p = tdbNode(pl, TDB_PLAN_JOIN, below->ncols, below);
  if (!p) goto nomem;
  p->right = bplan;
  p->join_algo = TDB_JALGO_HASH;
  p->join_type = type;
  p->nkeys = npairs + (y ? 1 : 0);
  p->lkeys = tdbMemAlloc(pl->mem, sizeof(TdbExpr *) * (size_t)(p->nkeys + 1));
  p->rkeys = tdbMemAlloc(pl->mem, sizeof(TdbExpr *) * (size_t)(p->nkeys + 1));
  if (!p->lkeys || !p->rkeys) goto nomem;
  for (i = 0; i < npairs; i++) {
    tdbDepthDown(outer[i]);
    p->lkeys[i] = outer[i];
    p->rkeys[i] = inner[i];
  }
  if (y) {
    p->lkeys[npairs] = e->left;
    p->rkeys[npairs] = y;
  }
  p->est_rows = TDB_MAX(1.0, below->est_rows * 0.5);
  p->est_cost = below->est_cost + bplan->est_cost + 2 * bplan->est_rows + below->est_rows;
  *out = p;
  goto done;
nomem:
  rc = tdbErrNoMem(pl->err);
done:
  tdbConjFree(pl->mem, &cj);
  tdbConjFree(pl->mem, &local);
  return rc;
}
