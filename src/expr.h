/*
** expr.h — scalar evaluation of expressions: arithmetic with overflow checks,
** three-valued logic, comparisons, LIKE/GLOB, CASE, CAST and function calls.
** The vectorized executor (later) evaluates whole batches; this evaluator is
** the reference semantics and the path for constants and single rows.
*/
#ifndef TDB_EXPR_H
#define TDB_EXPR_H

#include "ast.h"

typedef struct TdbEvalCtx {
  TdbMem *mem;
  TdbErr *err;
  const TdbValue *params;  /* bound parameters, 1-based index p at params[p-1] */
  int nparams;
  TdbValue *const *cols;   /* column vectors of the current batch: a column
                              reference reads cols[column][rowidx] */
  int ncols;
  int rowidx;
  const struct TdbEvalCtx *outer;  /* the enclosing query's row (correlated
                                      references with depth > 0), or NULL */
  struct TdbExec *exec;    /* the running statement (for subqueries), or NULL */
  int64_t now_micros;      /* statement start time, for NOW() */
} TdbEvalCtx;

/* Evaluate `e` into *out (which must be clear on entry). The result may
** borrow bytes from the AST or the parameters; tdbValueClear it after use.
** Returns TDB_OK or an error recorded in ctx->err. */
TDB_PRIVATE int tdbExprEval(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out);

/* Truth of a value in a boolean context: 1 true, 0 false, -1 NULL. Only
** BOOLEAN (and NULL) is accepted, as in PostgreSQL; other types fail with 42804. */
TDB_PRIVATE int tdbExprTruth(TdbEvalCtx *ctx, const TdbValue *v, int *truth);

/* Binary arithmetic/concatenation of two non-NULL values (TDB_OP_ADD ..
** TDB_OP_CONCAT) into *out. */
TDB_PRIVATE int tdbExprArith(TdbEvalCtx *ctx, int op, const TdbValue *a,
                             const TdbValue *b, TdbValue *out);

/* Checked 64-bit arithmetic: 0 and *r = a op b, or -1 on overflow. */
TDB_PRIVATE int tdbAddInt(int64_t a, int64_t b, int64_t *r);
TDB_PRIVATE int tdbSubInt(int64_t a, int64_t b, int64_t *r);
TDB_PRIVATE int tdbMulInt(int64_t a, int64_t b, int64_t *r);

/* Comparison operator (TDB_OP_EQ .. TDB_OP_GE) of two values: *truth 1, 0,
** or -1 when either is NULL. */
TDB_PRIVATE int tdbExprCompareOp(TdbEvalCtx *ctx, int op, const TdbValue *a, const TdbValue *b,
                                 int *truth);

/* Pattern matching: LIKE (% and _, optional escape character, case-insensitive
** when nocase), GLOB (* ? [...]). Returns 1 match, 0 no match, -1 bad escape. */
TDB_PRIVATE int tdbLikeMatch(const char *s, size_t n, const char *pat, size_t pn,
                             int escape, int nocase);
TDB_PRIVATE int tdbGlobMatch(const char *s, size_t n, const char *pat, size_t pn);

#endif /* TDB_EXPR_H */
