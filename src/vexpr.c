/*
** vexpr.c — expression evaluation over the live rows of a chunk (exec.h:
** tdbVecEval). Column references hand out the chunk's own column vector;
** literals, parameters, arithmetic, comparisons, AND/OR/NOT and IS NULL
** run as loops over the selection with an INTEGER fast path; every other
** expression kind falls back to the scalar evaluator (expr.c) row by row,
** which is also the reference semantics the loops follow exactly.
**
** AND / OR keep SQL's short-circuit: the right side is evaluated only for
** the rows the left side does not decide, so `b <> 0 AND a / b > 1` never
** divides by zero.
**
** Result vectors come from a pool of scratch vectors (TdbVecPool) taken and
** released in stack order; a result may also be the chunk's column itself.
** Only the entries of the selected rows are meaningful.
*/
#include "exec.h"

/* Past this many vectors in use, expressions go row by row (a deep tree
** would otherwise hold a vector per level). The pool itself grows as
** nested subqueries need. */
#define TDB_VEC_DEEP 64

struct TdbVecPool {
  TdbValue **vec;
  int used, cap;
};

TDB_PRIVATE TdbVecPool *tdbVecPoolNew(TdbMem *mem) {
  return tdbMemAllocZero(mem, sizeof(TdbVecPool));
}

TDB_PRIVATE void tdbVecPoolFree(TdbMem *mem, TdbVecPool *pool) {
  int i;
  if (!pool) return;
  for (i = 0; i < pool->cap; i++) tdbMemFree(mem, pool->vec[i]);
  tdbMemFree(mem, pool->vec);
  tdbMemFree(mem, pool);
}

/* Take a scratch vector; NULL when out of memory. */
static TdbValue *tdbVecTake(TdbVecCtx *vc) {
  TdbVecPool *pool = vc->ex->pool;
  int r;
  if (!pool) return NULL;
  if (pool->used == pool->cap) {
    int cap = pool->cap ? pool->cap * 2 : 16;
    TdbValue **grown = tdbMemRealloc(vc->ex->mem, pool->vec, sizeof(TdbValue *) * (size_t)cap);
    if (!grown) return NULL;
    memset(grown + pool->cap, 0, sizeof(TdbValue *) * (size_t)(cap - pool->cap));
    pool->vec = grown;
    pool->cap = cap;
  }
  if (!pool->vec[pool->used]) {
    pool->vec[pool->used] = tdbMemAlloc(vc->ex->mem, sizeof(TdbValue) * TDB_CHUNK_ROWS);
    if (!pool->vec[pool->used]) return NULL;
    for (r = 0; r < TDB_CHUNK_ROWS; r++) tdbValueSetNull(&pool->vec[pool->used][r]);
  }
  return pool->vec[pool->used++];
}

TDB_PRIVATE int tdbVecMark(TdbVecCtx *vc) {
  return vc->ex->pool ? vc->ex->pool->used : 0;
}

TDB_PRIVATE void tdbVecRelease(TdbVecCtx *vc, int mark, const uint16_t *sel, int n) {
  TdbVecPool *pool = vc->ex->pool;
  int i;
  if (!pool) return;
  while (pool->used > mark) {
    TdbValue *v = pool->vec[--pool->used];
    /* back to NULL: the scalar evaluator (tdbVecRows) expects a NULL
    ** destination */
    for (i = 0; i < n; i++) tdbValueClear(vc->ex->mem, &v[sel[i]]);
  }
}

/* Row-by-row fallback into out. */
static int tdbVecRows(TdbVecCtx *vc, const TdbExpr *e, const uint16_t *sel, int n, TdbValue *out) {
  TdbEvalCtx ctx;
  int i, rc;
  tdbExecEvalCtx(vc->ex, &ctx, vc->outer, vc->chunk, 0);
  for (i = 0; i < n; i++) {
    ctx.rowidx = sel[i];
    rc = tdbExprEval(&ctx, e, &out[sel[i]]);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

/* The operands of an arithmetic or comparison loop: a vector indexed by row,
** or one value for every row (a literal: stride 0). */
typedef struct TdbVecArg {
  const TdbValue *v;
  int stride; /* 1: v[row]; 0: v[0] for every row */
} TdbVecArg;

#define TDB_VEC_AT(arg, r) (&(arg).v[(arg).stride ? (r) : 0])

static int tdbVecArith(TdbVecCtx *vc, const TdbExpr *e, const uint16_t *sel, int n,
                       TdbVecArg a, TdbVecArg b, TdbValue *out) {
  TdbEvalCtx ctx;
  int i, rc;
  tdbExecEvalCtx(vc->ex, &ctx, vc->outer, vc->chunk, 0);
  for (i = 0; i < n; i++) {
    int r = sel[i];
    const TdbValue *x = TDB_VEC_AT(a, r), *y = TDB_VEC_AT(b, r);
    if (x->type == TDB_TYPE_INTEGER && y->type == TDB_TYPE_INTEGER) {
      int64_t res;
      if ((e->op == TDB_OP_ADD && tdbAddInt(x->u.i, y->u.i, &res) == 0) ||
          (e->op == TDB_OP_SUB && tdbSubInt(x->u.i, y->u.i, &res) == 0) ||
          (e->op == TDB_OP_MUL && tdbMulInt(x->u.i, y->u.i, &res) == 0)) {
        tdbValueSetInt(&out[r], res);
        continue;
      }
      if (e->op == TDB_OP_MOD && y->u.i > 0) {
        tdbValueSetInt(&out[r], x->u.i % y->u.i);
        continue;
      }
    }
    if (TDB_VALUE_IS_NULL(x) || TDB_VALUE_IS_NULL(y)) {
      tdbValueSetNull(&out[r]);
      continue;
    }
    ctx.rowidx = r;
    rc = tdbExprArith(&ctx, e->op, x, y, &out[r]);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

static int tdbVecCompare(TdbVecCtx *vc, const TdbExpr *e, const uint16_t *sel, int n,
                         TdbVecArg a, TdbVecArg b, TdbValue *out) {
  TdbEvalCtx ctx;
  int i, rc;
  tdbExecEvalCtx(vc->ex, &ctx, vc->outer, vc->chunk, 0);
  for (i = 0; i < n; i++) {
    int r = sel[i], truth;
    const TdbValue *x = TDB_VEC_AT(a, r), *y = TDB_VEC_AT(b, r);
    if (x->type == TDB_TYPE_INTEGER && y->type == TDB_TYPE_INTEGER) {
      int64_t p = x->u.i, q = y->u.i;
      switch (e->op) {
        case TDB_OP_EQ: truth = p == q; break;
        case TDB_OP_NE: truth = p != q; break;
        case TDB_OP_LT: truth = p < q; break;
        case TDB_OP_LE: truth = p <= q; break;
        case TDB_OP_GT: truth = p > q; break;
        default: truth = p >= q; break;
      }
      tdbValueSetBool(&out[r], truth);
      continue;
    }
    rc = tdbExprCompareOp(&ctx, e->op, x, y, &truth);
    if (rc != TDB_OK) return rc;
    if (truth < 0) tdbValueSetNull(&out[r]);
    else tdbValueSetBool(&out[r], truth);
  }
  return TDB_OK;
}

/* Truth of v (BOOLEAN or NULL, else 42804): 1, 0, -1. */
static int tdbVecTruth(TdbVecCtx *vc, const TdbValue *v, int *truth) {
  TdbEvalCtx ctx;
  if (v->type == TDB_TYPE_BOOLEAN) {
    *truth = v->u.i != 0;
    return TDB_OK;
  }
  if (v->type == TDB_TYPE_NULL) {
    *truth = -1;
    return TDB_OK;
  }
  tdbExecEvalCtx(vc->ex, &ctx, vc->outer, vc->chunk, 0);
  return tdbExprTruth(&ctx, v, truth);
}

/* AND / OR with short-circuit over a sub-selection. */
static int tdbVecLogic(TdbVecCtx *vc, const TdbExpr *e, const uint16_t *sel, int n,
                       TdbValue *out) {
  int decisive = e->op == TDB_OP_OR, i, k = 0, rc, mark;
  uint16_t sub[TDB_CHUNK_ROWS];
  TdbValue *l, *r;
  mark = tdbVecMark(vc);
  rc = tdbVecEval(vc, e->left, sel, n, &l);
  for (i = 0; i < n && rc == TDB_OK; i++) {
    int t;
    rc = tdbVecTruth(vc, &l[sel[i]], &t);
    if (rc != TDB_OK) break;
    if (t == decisive) tdbValueSetBool(&out[sel[i]], decisive);
    else {
      /* remember the left side's NULL in out while the right is pending */
      if (t < 0) tdbValueSetNull(&out[sel[i]]);
      else tdbValueSetBool(&out[sel[i]], t);
      sub[k++] = sel[i];
    }
  }
  if (rc == TDB_OK && k > 0) {
    int mark2 = tdbVecMark(vc);
    rc = tdbVecEval(vc, e->right, sub, k, &r);
    for (i = 0; i < k && rc == TDB_OK; i++) {
      int row = sub[i], t, lt = out[row].type == TDB_TYPE_NULL ? -1 : 1;
      rc = tdbVecTruth(vc, &r[row], &t);
      if (rc != TDB_OK) break;
      if (t == decisive) tdbValueSetBool(&out[row], decisive);
      else if (lt < 0 || t < 0) tdbValueSetNull(&out[row]);
      else tdbValueSetBool(&out[row], !decisive);
    }
    tdbVecRelease(vc, mark2, sub, k);
  }
  tdbVecRelease(vc, mark, sel, n);
  return rc;
}

/* An operand of a binary operator: a literal stays one value (no vector is
** filled with copies of it); anything else is evaluated as a vector. */
static int tdbVecOperand(TdbVecCtx *vc, const TdbExpr *e, const uint16_t *sel, int n,
                         TdbVecArg *arg) {
  TdbValue *v;
  int rc;
  if (e->kind == TDB_EXPR_LITERAL) {
    arg->v = &e->value;
    arg->stride = 0;
    return TDB_OK;
  }
  rc = tdbVecEval(vc, e, sel, n, &v);
  arg->v = v;
  arg->stride = 1;
  return rc;
}

TDB_PRIVATE int tdbVecEval(TdbVecCtx *vc, const TdbExpr *e, const uint16_t *sel, int n,
                           TdbValue **res) {
  TdbValue *out, *a;
  TdbVecArg x, y;
  int i, rc, mark;
  if ((e->kind == TDB_EXPR_COLUMN && e->depth == 0) || e->kind == TDB_EXPR_AGGREF) {
    if (e->column >= 0 && e->column < vc->chunk->ncols) {
      *res = vc->chunk->col[e->column]; /* the column itself: no copy */
      return TDB_OK;
    }
  }
  out = tdbVecTake(vc);
  if (!out) return tdbErrNoMem(vc->ex->err);
  *res = out;
  if (vc->ex->pool->used > TDB_VEC_DEEP) {
    /* deep expressions: evaluate the rest of this subtree row by row */
    return tdbVecRows(vc, e, sel, n, out);
  }
  switch (e->kind) {
    case TDB_EXPR_LITERAL:
      for (i = 0; i < n; i++) {
        out[sel[i]] = e->value;
        out[sel[i]].owned = 0;
      }
      return TDB_OK;
    case TDB_EXPR_BINARY:
      if (e->op == TDB_OP_AND || e->op == TDB_OP_OR) return tdbVecLogic(vc, e, sel, n, out);
      if (e->op > TDB_OP_GE) break;
      mark = tdbVecMark(vc);
      rc = tdbVecOperand(vc, e->left, sel, n, &x);
      if (rc == TDB_OK) rc = tdbVecOperand(vc, e->right, sel, n, &y);
      if (rc == TDB_OK) {
        rc = e->op >= TDB_OP_EQ ? tdbVecCompare(vc, e, sel, n, x, y, out)
                                : tdbVecArith(vc, e, sel, n, x, y, out);
      }
      tdbVecRelease(vc, mark, sel, n);
      return rc;
    case TDB_EXPR_UNARY:
      if (e->op != TDB_OP_NOT) break;
      mark = tdbVecMark(vc);
      rc = tdbVecEval(vc, e->left, sel, n, &a);
      for (i = 0; i < n && rc == TDB_OK; i++) {
        int t;
        rc = tdbVecTruth(vc, &a[sel[i]], &t);
        if (rc != TDB_OK) break;
        if (t < 0) tdbValueSetNull(&out[sel[i]]);
        else tdbValueSetBool(&out[sel[i]], !t);
      }
      tdbVecRelease(vc, mark, sel, n);
      return rc;
    case TDB_EXPR_IS:
      if (e->op != TDB_OP_IS_NULL) break;
      mark = tdbVecMark(vc);
      rc = tdbVecEval(vc, e->left, sel, n, &a);
      for (i = 0; i < n && rc == TDB_OK; i++) {
        int isnull = a[sel[i]].type == TDB_TYPE_NULL;
        tdbValueSetBool(&out[sel[i]], e->negated ? !isnull : isnull);
      }
      tdbVecRelease(vc, mark, sel, n);
      return rc;
    default:
      break;
  }
  return tdbVecRows(vc, e, sel, n, out);
}
