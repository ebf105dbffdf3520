/*
** expr.c — scalar expression evaluation (see expr.h). Semantics follow
** PostgreSQL (docs/sql.md): integer overflow is an error (22003), division by
** zero is an error (22012), integer `/` truncates toward zero, NULL
** propagates through operators, AND/OR/NOT use three-valued logic.
*/
#include "expr.h"
#include "exec.h"
#include "json.h"
#include "func.h"
#include "interval.h"
#include "period.h"

#include <math.h>

static int tdbExprOverflow(TdbEvalCtx *ctx, const char *what) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE, "%s out of range",
                   what);
}

static int tdbExprDivZero(TdbEvalCtx *ctx) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_DIVISION_BY_ZERO,
                   "division by zero");
}

static const char *tdbOpSymbol(int op) {
  static const char *const tdbOpSymbols[] = {"+", "-", "*", "/", "%", "||", "=", "<>",
                                             "<", "<=", ">", ">=", "AND", "OR"};
  return op >= 0 && op < (int)TDB_ARRAY_LEN(tdbOpSymbols) ? tdbOpSymbols[op] : "?";
}

static int tdbExprNoOperator(TdbEvalCtx *ctx, int op, int ta, int tb) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                   "operator does not exist: %s %s %s", tdbTypeName(ta), tdbOpSymbol(op),
                   tdbTypeName(tb));
}

/* Checked 64-bit integer arithmetic: 0 on success, -1 on overflow. */
TDB_PRIVATE int tdbAddInt(int64_t a, int64_t b, int64_t *r) {
  if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return -1;
  *r = a + b;
  return 0;
}

TDB_PRIVATE int tdbSubInt(int64_t a, int64_t b, int64_t *r) {
  if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b)) return -1;
  *r = a - b;
  return 0;
}

TDB_PRIVATE int tdbMulInt(int64_t a, int64_t b, int64_t *r) {
  if (a == 0 || b == 0) {
    *r = 0;
    return 0;
  }
  if (a > 0) {
    if (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a) return -1;
  } else {
    if (b > 0 ? a < INT64_MIN / b : (a != 0 && b < INT64_MAX / a)) return -1;
  }
  *r = a * b;
  return 0;
}

static int tdbExprArithInt(TdbEvalCtx *ctx, int op, int64_t a, int64_t b, TdbValue *out) {
  int64_t r = 0;
  int bad = 0;
  switch (op) {
    case TDB_OP_ADD: bad = tdbAddInt(a, b, &r); break;
    case TDB_OP_SUB: bad = tdbSubInt(a, b, &r); break;
    case TDB_OP_MUL: bad = tdbMulInt(a, b, &r); break;
    case TDB_OP_DIV:
      if (b == 0) return tdbExprDivZero(ctx);
      if (a == INT64_MIN && b == -1) bad = 1;
      else r = a / b; /* C99: truncates toward zero, as PostgreSQL */
      break;
    case TDB_OP_MOD:
      if (b == 0) return tdbExprDivZero(ctx);
      r = (b == -1) ? 0 : a % b;
      break;
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "bad integer operator %d", op);
  }
  if (bad) return tdbExprOverflow(ctx, "integer");
  tdbValueSetInt(out, r);
  return TDB_OK;
}

static int tdbExprArithReal(TdbEvalCtx *ctx, int op, double a, double b, TdbValue *out) {
  double r;
  switch (op) {
    case TDB_OP_ADD: r = a + b; break;
    case TDB_OP_SUB: r = a - b; break;
    case TDB_OP_MUL: r = a * b; break;
    case TDB_OP_DIV:
      if (b == 0) return tdbExprDivZero(ctx);
      r = a / b;
      break;
    case TDB_OP_MOD:
      if (b == 0) return tdbExprDivZero(ctx);
      r = fmod(a, b);
      break;
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "bad real operator %d", op);
  }
  if (isinf(r) && !isinf(a) && !isinf(b)) return tdbExprOverflow(ctx, "REAL value");
  tdbValueSetReal(out, r);
  return TDB_OK;
}

static int tdbExprConcat(TdbEvalCtx *ctx, const TdbValue *a, const TdbValue *b,
                         TdbValue *out) {
  TdbStr s;
  size_t n;
  char *z;
  tdbStrInit(&s, ctx->mem);
  tdbValueRender(&s, a);
  tdbValueRender(&s, b);
  n = s.n;
  z = tdbStrFinish(&s);
  if (!z) return tdbErrNoMem(ctx->err);
  tdbValueTakeBytes(out, TDB_TYPE_TEXT, z, n);
  return TDB_OK;
}

TDB_PRIVATE int tdbExprArith(TdbEvalCtx *ctx, int op, const TdbValue *a,
                             const TdbValue *b, TdbValue *out) {
  int ta = a->type, tb = b->type;
  if (op == TDB_OP_CONCAT) return tdbExprConcat(ctx, a, b, out);
  if (ta == TDB_TYPE_INTEGER && tb == TDB_TYPE_INTEGER) {
    return tdbExprArithInt(ctx, op, a->u.i, b->u.i, out);
  }
  if (TDB_TYPE_IS_NUMERIC(ta) && TDB_TYPE_IS_NUMERIC(tb)) {
    double x = ta == TDB_TYPE_REAL ? a->u.r : (double)a->u.i;
    double y = tb == TDB_TYPE_REAL ? b->u.r : (double)b->u.i;
    return tdbExprArithReal(ctx, op, x, y, out);
  }
  if (op <= TDB_OP_DIV) {
    static const char tdbArithChar[] = {'+', '-', '*', '/'};
    int rc = tdbDatetimeArith(ctx->err, tdbArithChar[op], a, b, out);
    if (rc != 1) return rc;
  }
  return tdbExprNoOperator(ctx, op, ta, tb);
}

TDB_PRIVATE int tdbExprTruth(TdbEvalCtx *ctx, const TdbValue *v, int *truth) {
  switch (v->type) {
    case TDB_TYPE_NULL: *truth = -1; return TDB_OK;
    case TDB_TYPE_BOOLEAN: *truth = v->u.i != 0; return TDB_OK;
    default:
      return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                       "argument of a boolean condition must be BOOLEAN, not %s",
                       tdbTypeName(v->type));
  }
}

/* Evaluate e and its truth in one step; the value is cleared. */
static int tdbExprEvalTruth(TdbEvalCtx *ctx, const TdbExpr *e, int *truth) {
  TdbValue v;
  int rc;
  tdbValueSetNull(&v);
  rc = tdbExprEval(ctx, e, &v);
  if (rc == TDB_OK) rc = tdbExprTruth(ctx, &v, truth);
  tdbValueClear(ctx->mem, &v);
  return rc;
}

static void tdbSetTruth(TdbValue *out, int truth) {
  if (truth < 0) tdbValueSetNull(out);
  else tdbValueSetBool(out, truth);
}

/* AND/OR with three-valued logic, short-circuiting on the deciding value. */
static int tdbExprLogic(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  int l, r, rc, decisive = e->op == TDB_OP_OR; /* OR is decided by true */
  rc = tdbExprEvalTruth(ctx, e->left, &l);
  if (rc != TDB_OK) return rc;
  if (l == decisive) {
    tdbValueSetBool(out, decisive);
    return TDB_OK;
  }
  rc = tdbExprEvalTruth(ctx, e->right, &r);
  if (rc != TDB_OK) return rc;
  if (r == decisive) tdbValueSetBool(out, decisive);
  else if (l < 0 || r < 0) tdbValueSetNull(out);
  else tdbValueSetBool(out, !decisive);
  return TDB_OK;
}

/* Compare with operator op into a truth value (-1 when either is NULL). */
TDB_PRIVATE int tdbExprCompareOp(TdbEvalCtx *ctx, int op, const TdbValue *a, const TdbValue *b,
                            int *truth) {
  int cmp, rc;
  if (TDB_VALUE_IS_NULL(a) || TDB_VALUE_IS_NULL(b)) {
    *truth = -1;
    return TDB_OK;
  }
  rc = tdbValueCompare(ctx->err, a, b, &cmp);
  if (rc != TDB_OK) return rc;
  switch (op) {
    case TDB_OP_EQ: *truth = cmp == 0; break;
    case TDB_OP_NE: *truth = cmp != 0; break;
    case TDB_OP_LT: *truth = cmp < 0; break;
    case TDB_OP_LE: *truth = cmp <= 0; break;
    case TDB_OP_GT: *truth = cmp > 0; break;
    default: *truth = cmp >= 0; break;
  }
  return TDB_OK;
}

/* Evaluate both operands of a binary node into a[0], a[1]. */
static int tdbExprEvalPair(TdbEvalCtx *ctx, const TdbExpr *l, const TdbExpr *r,
                           TdbValue *a) {
  int rc;
  tdbValueSetNull(&a[0]);
  tdbValueSetNull(&a[1]);
  rc = tdbExprEval(ctx, l, &a[0]);
  if (rc == TDB_OK) rc = tdbExprEval(ctx, r, &a[1]);
  return rc;
}

static int tdbExprBinaryEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue a[2];
  int rc;
  if (e->op == TDB_OP_AND || e->op == TDB_OP_OR) return tdbExprLogic(ctx, e, out);
  rc = tdbExprEvalPair(ctx, e->left, e->right, a);
  if (rc == TDB_OK) {
    if (e->op >= TDB_OP_EQ && e->op <= TDB_OP_GE) {
      int truth;
      rc = tdbExprCompareOp(ctx, e->op, &a[0], &a[1], &truth);
      if (rc == TDB_OK) tdbSetTruth(out, truth);
    } else if (TDB_VALUE_IS_NULL(&a[0]) || TDB_VALUE_IS_NULL(&a[1])) {
      tdbValueSetNull(out);
    } else {
      rc = tdbExprArith(ctx, e->op, &a[0], &a[1], out);
    }
  }
  tdbValueClear(ctx->mem, &a[0]);
  tdbValueClear(ctx->mem, &a[1]);
  return rc;
}

static int tdbExprUnaryEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue v;
  int rc, truth;
  tdbValueSetNull(&v);
  rc = tdbExprEval(ctx, e->left, &v);
  if (rc != TDB_OK) goto done;
  if (e->op == TDB_OP_NOT) {
    rc = tdbExprTruth(ctx, &v, &truth);
    if (rc == TDB_OK) tdbSetTruth(out, truth < 0 ? -1 : !truth);
  } else if (TDB_VALUE_IS_NULL(&v)) {
    tdbValueSetNull(out);
  } else if (v.type == TDB_TYPE_INTEGER) {
    if (e->op == TDB_OP_NEG && v.u.i == INT64_MIN) rc = tdbExprOverflow(ctx, "integer");
    else tdbValueSetInt(out, e->op == TDB_OP_NEG ? -v.u.i : v.u.i);
  } else if (v.type == TDB_TYPE_REAL) {
    tdbValueSetReal(out, e->op == TDB_OP_NEG ? -v.u.r : v.u.r);
  } else if (v.type == TDB_TYPE_INTERVAL) {
    if (e->op == TDB_OP_NEG) rc = tdbIntervalNegate(ctx->err, &v, out);
    else *out = v;
  } else {
    rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                   "operator does not exist: %s%s", e->op == TDB_OP_NEG ? "-" : "+",
                   tdbTypeName(v.type));
  }
done:
  tdbValueClear(ctx->mem, &v);
  return rc;
}

/* IS [NOT] NULL / TRUE / FALSE / DISTINCT FROM: never NULL. */
static int tdbExprIsEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue a[2];
  int rc, result = 0, truth;
  if (e->op == TDB_OP_IS_DISTINCT) {
    rc = tdbExprEvalPair(ctx, e->left, e->right, a);
  } else {
    tdbValueSetNull(&a[1]);
    tdbValueSetNull(&a[0]);
    rc = tdbExprEval(ctx, e->left, &a[0]);
  }
  if (rc != TDB_OK) goto done;
  switch (e->op) {
    case TDB_OP_IS_NULL:
      result = TDB_VALUE_IS_NULL(&a[0]);
      break;
    case TDB_OP_IS_TRUE:
    case TDB_OP_IS_FALSE:
      rc = tdbExprTruth(ctx, &a[0], &truth);
      result = truth == (e->op == TDB_OP_IS_TRUE);
      break;
    default: { /* IS DISTINCT FROM: NULL equals NULL */
      int na = TDB_VALUE_IS_NULL(&a[0]), nb = TDB_VALUE_IS_NULL(&a[1]);
      if (na || nb) {
        result = na != nb;
      } else {
        int cmp;
        rc = tdbValueCompare(ctx->err, &a[0], &a[1], &cmp);
        result = cmp != 0;
      }
      break;
    }
  }
  if (rc == TDB_OK) tdbValueSetBool(out, e->negated ? !result : result);
done:
  tdbValueClear(ctx->mem, &a[0]);
  tdbValueClear(ctx->mem, &a[1]);
  return rc;
}

static int tdbExprBetweenEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue x, bound;
  int rc, lo = -1, hi = -1, truth;
  tdbValueSetNull(&x);
  tdbValueSetNull(&bound);
  rc = tdbExprEval(ctx, e->left, &x);
  if (rc == TDB_OK) rc = tdbExprEval(ctx, e->right, &bound);
  if (rc == TDB_OK) rc = tdbExprCompareOp(ctx, TDB_OP_GE, &x, &bound, &lo);
  tdbValueClear(ctx->mem, &bound);
  if (rc == TDB_OK) rc = tdbExprEval(ctx, e->third, &bound);
  if (rc == TDB_OK) rc = tdbExprCompareOp(ctx, TDB_OP_LE, &x, &bound, &hi);
  tdbValueClear(ctx->mem, &bound);
  tdbValueClear(ctx->mem, &x);
  if (rc != TDB_OK) return rc;
  /* lo AND hi in three-valued logic */
  if (lo == 0 || hi == 0) truth = 0;
  else if (lo < 0 || hi < 0) truth = -1;
  else truth = 1;
  if (e->negated && truth >= 0) truth = !truth;
  tdbSetTruth(out, truth);
  return TDB_OK;
}

/* x IN (list): true if some item equals x; else NULL if x or an item is NULL. */
static int tdbExprInListEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue x, item;
  int rc, i, truth = 0, saw_null = 0;
  tdbValueSetNull(&x);
  rc = tdbExprEval(ctx, e->left, &x);
  for (i = 0; rc == TDB_OK && truth != 1 && i < e->list->n; i++) {
    int t = 0;
    tdbValueSetNull(&item);
    rc = tdbExprEval(ctx, e->list->items[i].expr, &item);
    if (rc == TDB_OK) rc = tdbExprCompareOp(ctx, TDB_OP_EQ, &x, &item, &t);
    tdbValueClear(ctx->mem, &item);
    if (t < 0) saw_null = 1;
    else if (t == 1) truth = 1;
  }
  tdbValueClear(ctx->mem, &x);
  if (rc != TDB_OK) return rc;
  if (!truth && saw_null) truth = -1;
  if (e->negated && truth >= 0) truth = !truth;
  tdbSetTruth(out, truth);
  return TDB_OK;
}

/* Length in bytes of the UTF-8 character starting at s (1 for stray bytes). */
static size_t tdbUtf8Len(const char *s, size_t n) {
  unsigned char c = (unsigned char)s[0];
  size_t len = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
  return len > n ? n : len;
}

static int tdbFoldAscii(int c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

TDB_PRIVATE int tdbLikeMatch(const char *s, size_t n, const char *pat, size_t pn,
                             int escape, int nocase) {
  size_t si = 0, pi = 0;
  if (escape >= 0) { /* the whole pattern is checked, whatever matches first */
    for (pi = 0; pi < pn; pi++) {
      if ((unsigned char)pat[pi] == (unsigned)escape && ++pi >= pn) return -1;
    }
    pi = 0;
  }
  size_t star_p = (size_t)-1, star_s = 0; /* backtrack point after the last % */
  while (si < n) {
    if (pi < pn && pat[pi] == '%') {
      while (pi < pn && pat[pi] == '%') pi++;
      star_p = pi;
      star_s = si;
      continue;
    }
    if (pi < pn) {
      size_t plen;
      int literal = 0;
      if (escape >= 0 && (unsigned char)pat[pi] == (unsigned)escape) {
        pi++; /* checked above: an escape is never the last byte */
        literal = 1;
      }
      plen = tdbUtf8Len(pat + pi, pn - pi);
      if (!literal && pat[pi] == '_') {
        si += tdbUtf8Len(s + si, n - si);
        pi += plen;
        continue;
      }
      if (plen == 1 ? (nocase ? tdbFoldAscii((unsigned char)s[si]) ==
                                    tdbFoldAscii((unsigned char)pat[pi])
                              : s[si] == pat[pi])
                    : (si + plen <= n && memcmp(s + si, pat + pi, plen) == 0)) {
        si += plen;
        pi += plen;
        continue;
      }
    }
    if (star_p == (size_t)-1) return 0;
    /* retry: let the last % absorb one more character */
    star_s += tdbUtf8Len(s + star_s, n - star_s);
    si = star_s;
    pi = star_p;
  }
  while (pi < pn && pat[pi] == '%') pi++;
  return pi == pn;
}

/* Does c (one byte) match the GLOB class starting after '['? Sets *end to the
** index after ']'. Returns -1 for an unterminated class (no match). */
static int tdbGlobClass(const char *pat, size_t pn, size_t pi, unsigned char c,
                        size_t *end) {
  int negate = 0, matched = 0;
  size_t i = pi;
  if (i < pn && (pat[i] == '^' || pat[i] == '!')) {
    negate = 1;
    i++;
  }
  if (i < pn && pat[i] == ']') { /* a leading ] is literal */
    matched |= c == ']';
    i++;
  }
  while (i < pn && pat[i] != ']') {
    unsigned char lo = (unsigned char)pat[i];
    if (i + 2 < pn && pat[i + 1] == '-' && pat[i + 2] != ']') {
      matched |= c >= lo && c <= (unsigned char)pat[i + 2];
      i += 3;
    } else {
      matched |= c == lo;
      i++;
    }
  }
  if (i >= pn) return -1;
  *end = i + 1;
  return matched != negate;
}

TDB_PRIVATE int tdbGlobMatch(const char *s, size_t n, const char *pat, size_t pn) {
  size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
  while (si < n) {
    if (pi < pn && pat[pi] == '*') {
      while (pi < pn && pat[pi] == '*') pi++;
      star_p = pi;
      star_s = si;
      continue;
    }
    if (pi < pn && pat[pi] == '?') {
      si += tdbUtf8Len(s + si, n - si);
      pi++;
      continue;
    }
    if (pi < pn && pat[pi] == '[') {
      size_t end;
      int m = tdbGlobClass(pat, pn, pi + 1, (unsigned char)s[si], &end);
      if (m == 1) {
        si++;
        pi = end;
        continue;
      }
    } else if (pi < pn && pat[pi] == s[si]) {
      si++;
      pi++;
      continue;
    }
    if (star_p == (size_t)-1) return 0;
    star_s++;
    si = star_s;
    pi = star_p;
  }
  while (pi < pn && pat[pi] == '*') pi++;
  return pi == pn;
}

static int tdbExprLikeEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue a[2], esc;
  int rc, m, escape = -1;
  tdbValueSetNull(&esc);
  rc = tdbExprEvalPair(ctx, e->left, e->right, a);
  if (rc == TDB_OK && e->third) rc = tdbExprEval(ctx, e->third, &esc);
  if (rc != TDB_OK) goto done;
  if (TDB_VALUE_IS_NULL(&a[0]) || TDB_VALUE_IS_NULL(&a[1]) ||
      (e->third && TDB_VALUE_IS_NULL(&esc))) {
    tdbValueSetNull(out);
    goto done;
  }
  if (a[0].type != TDB_TYPE_TEXT || a[1].type != TDB_TYPE_TEXT ||
      (e->third && esc.type != TDB_TYPE_TEXT)) {
    rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                   "LIKE/GLOB needs TEXT operands, not %s and %s", tdbTypeName(a[0].type),
                   tdbTypeName(a[1].type));
    goto done;
  }
  if (e->third) {
    if (esc.n != 1) {
      rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_ESCAPE,
                     "ESCAPE must be a single character");
      goto done;
    }
    escape = (unsigned char)esc.u.z[0];
  } else if (e->op != TDB_OP_GLOB) {
    escape = '\\'; /* PostgreSQL's default escape character */
  }
  if (e->op == TDB_OP_GLOB) {
    m = tdbGlobMatch(a[0].u.z, a[0].n, a[1].u.z, a[1].n);
  } else {
    m = tdbLikeMatch(a[0].u.z, a[0].n, a[1].u.z, a[1].n, escape, e->op == TDB_OP_ILIKE);
  }
  if (m < 0) {
    rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_ESCAPE,
                   "LIKE pattern must not end with the escape character");
    goto done;
  }
  tdbValueSetBool(out, e->negated ? !m : m);
done:
  tdbValueClear(ctx->mem, &a[0]);
  tdbValueClear(ctx->mem, &a[1]);
  tdbValueClear(ctx->mem, &esc);
  return rc;
}

/* CASE [operand] WHEN w THEN t ... [ELSE x] END: list holds w, t pairs. */
static int tdbExprCaseEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue operand, w;
  int rc, i;
  tdbValueSetNull(&operand);
  rc = e->left ? tdbExprEval(ctx, e->left, &operand) : TDB_OK;
  for (i = 0; rc == TDB_OK && i + 1 < e->list->n; i += 2) {
    int truth;
    tdbValueSetNull(&w);
    rc = tdbExprEval(ctx, e->list->items[i].expr, &w);
    if (rc == TDB_OK) {
      if (e->left) rc = tdbExprCompareOp(ctx, TDB_OP_EQ, &operand, &w, &truth);
      else rc = tdbExprTruth(ctx, &w, &truth);
    }
    tdbValueClear(ctx->mem, &w);
    if (rc == TDB_OK && truth == 1) {
      tdbValueClear(ctx->mem, &operand);
      return tdbExprEval(ctx, e->list->items[i + 1].expr, out);
    }
  }
  tdbValueClear(ctx->mem, &operand);
  if (rc != TDB_OK) return rc;
  if (e->right) return tdbExprEval(ctx, e->right, out);
  tdbValueSetNull(out);
  return TDB_OK;
}

static int tdbExprCastEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue v;
  int rc;
  tdbValueSetNull(&v);
  rc = tdbExprEval(ctx, e->left, &v);
  if (rc == TDB_OK) rc = tdbValueCast(ctx->mem, ctx->err, &v, e->cast_type, out);
  tdbValueClear(ctx->mem, &v);
  return rc;
}

static int tdbExprFuncEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue stack_args[8], *args = stack_args;
  const TdbFuncDef *def = e->func;
  int rc = TDB_OK, i, argc = e->list ? e->list->n : 0;
  if (!def) { /* the binder resolves every call before execution */
    return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "unbound function %s", e->name);
  }
  if (def->lazy) return def->lazy(ctx, e->list, out); /* evaluates its own arguments */
  if (argc > (int)TDB_ARRAY_LEN(stack_args)) {
    args = tdbMemAlloc(ctx->mem, sizeof *args * (size_t)argc);
    if (!args) return tdbErrNoMem(ctx->err);
  }
  for (i = 0; i < argc; i++) tdbValueSetNull(&args[i]);
  for (i = 0; rc == TDB_OK && i < argc; i++) {
    rc = tdbExprEval(ctx, e->list->items[i].expr, &args[i]);
  }
  if (rc == TDB_OK) rc = def->fn(ctx, argc, args, out);
  for (i = 0; i < argc; i++) tdbValueClear(ctx->mem, &args[i]);
  if (args != stack_args) tdbMemFree(ctx->mem, args);
  return rc;
}

/* left -> key / left ->> key over a JSON (or TEXT holding JSON) value. */
static int tdbExprJsonEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbValue v[2];
  TdbValue a, b;
  int rc = tdbExprEvalPair(ctx, e->left, e->right, v);
  a = v[0];
  b = v[1];
  tdbValueSetNull(out);
  if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&a) && !TDB_VALUE_IS_NULL(&b)) {
    if (a.type != TDB_TYPE_JSON && a.type != TDB_TYPE_TEXT) {
      rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                     "operator does not exist: %s %s %s", tdbTypeName(a.type),
                     e->op ? "->>" : "->", tdbTypeName(b.type));
    } else if (b.type != TDB_TYPE_TEXT && b.type != TDB_TYPE_INTEGER) {
      rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                     "operator does not exist: %s %s %s", tdbTypeName(a.type),
                     e->op ? "->>" : "->", tdbTypeName(b.type));
    } else {
      rc = tdbJsonGet(ctx->mem, ctx->err, a.u.z, a.n, &b, e->op, out);
    }
  }
  tdbValueClear(ctx->mem, &a);
  tdbValueClear(ctx->mem, &b);
  return rc;
}

TDB_PRIVATE int tdbExprEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  switch (e->kind) {
    case TDB_EXPR_LITERAL:
      *out = e->value;
      out->owned = 0; /* borrow the literal's bytes from the AST */
      return TDB_OK;
    case TDB_EXPR_PARAM:
      if (e->param <= ctx->nparams) {
        *out = ctx->params[e->param - 1];
        out->owned = 0;
      } else {
        tdbValueSetNull(out); /* an unbound parameter is NULL */
      }
      return TDB_OK;
    case TDB_EXPR_COLUMN:
    case TDB_EXPR_AGGREF: {
      const TdbEvalCtx *c = ctx;
      int d;
      for (d = e->kind == TDB_EXPR_COLUMN ? e->depth : 0; d > 0 && c; d--) c = c->outer;
      if (!c || e->column < 0 || e->column >= c->ncols) {
        return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "column %s is not bound to a row",
                         e->name ? e->name : "?");
      }
      *out = c->cols[e->column][c->rowidx];
      out->owned = 0; /* borrow from the batch */
      return TDB_OK;
    }
    case TDB_EXPR_SUBQUERY:
    case TDB_EXPR_EXISTS:
    case TDB_EXPR_IN_SELECT:
    case TDB_EXPR_QUANTIFIED:
      return tdbExecSubquery(ctx, e, out);
    case TDB_EXPR_JSON: return tdbExprJsonEval(ctx, e, out);
    case TDB_EXPR_UNARY: return tdbExprUnaryEval(ctx, e, out);
    case TDB_EXPR_BINARY: return tdbExprBinaryEval(ctx, e, out);
    case TDB_EXPR_IS: return tdbExprIsEval(ctx, e, out);
    case TDB_EXPR_BETWEEN: return tdbExprBetweenEval(ctx, e, out);
    case TDB_EXPR_IN_LIST: return tdbExprInListEval(ctx, e, out);
    case TDB_EXPR_LIKE: return tdbExprLikeEval(ctx, e, out);
    case TDB_EXPR_CASE: return tdbExprCaseEval(ctx, e, out);
    case TDB_EXPR_CAST: return tdbExprCastEval(ctx, e, out);
    case TDB_EXPR_FUNC: return tdbExprFuncEval(ctx, e, out);
    case TDB_EXPR_PERIOD: return tdbPeriodEval(ctx, e, out);
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL,
                       "expression kind %d cannot be evaluated here", e->kind);
  }
}
