/*
** ast_compound.c — AST builders for compound SELECTs (UNION / INTERSECT /
** EXCEPT), WITH lists and quantified comparisons (x op ANY|ALL (SELECT)).
** Same ownership rules as ast.c: a builder owns what it is given and frees
** it when it fails.
**
**   SELECT a FROM t UNION SELECT b FROM u INTERSECT SELECT c FROM v ORDER BY 1
**
**     TdbSelect op=UNION  (order_by: the whole result)
**      ├─ left:  SELECT a FROM t
**      └─ right: TdbSelect op=INTERSECT
**                 ├─ left:  SELECT b FROM u
**                 └─ right: SELECT c FROM v
*/
#include "ast.h"

static void *tdbCompoundNoMem(TdbParse *p) {
  if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
  return NULL;
}

TDB_PRIVATE TdbSelect *tdbSelectCompound(TdbParse *p, TdbSelect *l, int op, int all,
                                         TdbSelect *r) {
  TdbSelect *s;
  if (!l || !r) {
    tdbSelectFree(p->mem, l);
    tdbSelectFree(p->mem, r);
    return NULL;
  }
  s = tdbMemAllocZero(p->mem, sizeof *s);
  if (!s) {
    tdbSelectFree(p->mem, l);
    tdbSelectFree(p->mem, r);
    return tdbCompoundNoMem(p);
  }
  s->op = op + (all ? 1 : 0); /* each ALL variant follows its operator */
  s->left = l;
  s->right = r;
  return s;
}

TDB_PRIVATE TdbSelect *tdbSelectFinishAll(TdbParse *p, TdbWith *with, TdbSelect *s,
                                          TdbExprList *order_by, TdbExpr *limit,
                                          TdbExpr *offset) {
  if (!s) {
    tdbWithFree(p->mem, with);
    tdbExprListFree(p->mem, order_by);
    tdbExprFree(p->mem, limit);
    tdbExprFree(p->mem, offset);
    return NULL;
  }
  if ((with && s->with) ||
      ((order_by || limit || offset) && (s->order_by || s->limit || s->offset))) {
    /* (SELECT ... LIMIT 2) ORDER BY 1: a node of its own around it */
    TdbSelect *w = tdbMemAllocZero(p->mem, sizeof *w);
    if (!w) {
      tdbSelectFree(p->mem, s);
      tdbSelectFinishAll(p, with, NULL, order_by, limit, offset); /* frees them */
      return tdbCompoundNoMem(p);
    }
    w->op = TDB_SETOP_WRAP;
    w->left = s;
    s = w;
  }
  if (with) s->with = with;
  if (!order_by && !limit && !offset) return s;
  return tdbSelectFinish(p, s, order_by, limit, offset);
}

TDB_PRIVATE void tdbWithFree(TdbMem *mem, TdbWith *w) {
  int i, j;
  if (!w) return;
  for (i = 0; i < w->n; i++) {
    TdbCte *c = w->items[i];
    tdbMemFree(mem, c->name);
    tdbNameListFree(mem, c->columns);
    tdbSelectFree(mem, c->body);
    for (j = 0; c->colnames && j < c->ncols; j++) tdbMemFree(mem, c->colnames[j]);
    tdbMemFree(mem, c->colnames);
    tdbMemFree(mem, c->coltypes);
    tdbMemFree(mem, c);
  }
  tdbMemFree(mem, w->items);
  tdbMemFree(mem, w);
}

TDB_PRIVATE TdbWith *tdbWithAppend(TdbParse *p, TdbWith *w, TdbToken name,
                                   TdbNameList *columns, TdbSelect *body, TdbToken end) {
  TdbCte *c = NULL;
  if (!body || (!w && !(w = tdbMemAllocZero(p->mem, sizeof *w)))) goto fail;
  if (w->n == w->cap) {
    int cap = w->cap ? w->cap * 2 : 4;
    TdbCte **items = tdbMemRealloc(p->mem, w->items, sizeof(TdbCte *) * (size_t)cap);
    if (!items) goto fail;
    w->items = items;
    w->cap = cap;
  }
  c = tdbMemAllocZero(p->mem, sizeof *c);
  if (!c || !(c->name = tdbIdentifier(p, name))) goto fail;
  c->columns = columns;
  c->body = body;
  c->span = tdbSpanJoin(tdbSpanOfToken(p, name), tdbSpanOfToken(p, end));
  w->items[w->n++] = c;
  return w;
fail:
  tdbMemFree(p->mem, c);
  tdbNameListFree(p->mem, columns);
  tdbSelectFree(p->mem, body);
  tdbWithFree(p->mem, w);
  return body ? tdbCompoundNoMem(p) : NULL;
}

TDB_PRIVATE TdbWith *tdbWithRecursive(TdbWith *w) {
  if (w) w->recursive = 1;
  return w;
}

TDB_PRIVATE TdbExpr *tdbExprQuantified(TdbParse *p, int op, int all, TdbExpr *left,
                                       TdbSelect *sub, TdbToken end) {
  TdbExpr *e;
  if (!left || !sub) {
    tdbExprFree(p->mem, left);
    tdbSelectFree(p->mem, sub);
    return NULL;
  }
  e = tdbMemAllocZero(p->mem, sizeof *e);
  if (!e) {
    tdbExprFree(p->mem, left);
    tdbSelectFree(p->mem, sub);
    return tdbCompoundNoMem(p);
  }
  e->kind = TDB_EXPR_QUANTIFIED;
  e->op = (uint8_t)op;
  e->quant_all = (uint8_t)(all != 0);
  e->agg = -1;
  tdbValueSetNull(&e->value);
  e->left = left;
  e->select = sub;
  e->span = tdbSpanJoin(left->span, tdbSpanOfToken(p, end));
  return e;
}
