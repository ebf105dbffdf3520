/*
** func_cond.c — the conditional and utility functions of the library
** (docs/functions.md "Conditional and utility functions"): coalesce, nullif,
** greatest, least, if / iif and typeof. coalesce and if evaluate their
** arguments themselves (TdbLazyFn), so an argument that is not needed is
** never evaluated: `coalesce(x, 1 / 0)` is fine when x is not NULL, and
** `if(b <> 0, a / b, 0)` never divides by zero.
*/
#include "func.h"

/* coalesce(a, b, ...): the first non-NULL argument, evaluated left to right
** until one is found. */
TDB_PRIVATE int tdbFnCoalesce(TdbEvalCtx *ctx, const TdbExprList *args, TdbValue *out) {
  int i, rc;
  for (i = 0; i < args->n; i++) {
    rc = tdbExprEval(ctx, args->items[i].expr, out);
    if (rc != TDB_OK) return rc;
    if (!TDB_VALUE_IS_NULL(out)) return TDB_OK;
    tdbValueClear(ctx->mem, out);
  }
  return TDB_OK;
}

/* if(cond, a, b) / iif: a when cond is true, else b (false or NULL). cond is
** BOOLEAN (42804 otherwise); only the chosen branch is evaluated. */
TDB_PRIVATE int tdbFnIf(TdbEvalCtx *ctx, const TdbExprList *args, TdbValue *out) {
  TdbValue cond;
  int rc, truth = -1;
  tdbValueSetNull(&cond);
  rc = tdbExprEval(ctx, args->items[0].expr, &cond);
  if (rc == TDB_OK) rc = tdbExprTruth(ctx, &cond, &truth);
  tdbValueClear(ctx->mem, &cond);
  if (rc != TDB_OK) return rc;
  return tdbExprEval(ctx, args->items[truth == 1 ? 1 : 2].expr, out);
}

/* nullif(a, b): NULL if a = b, else a. */
TDB_FN(tdbFnNullif) {
  int cmp, rc;
  TDB_UNUSED(argc);
  if (!TDB_VALUE_IS_NULL(&argv[0]) && !TDB_VALUE_IS_NULL(&argv[1])) {
    rc = tdbValueCompare(ctx->err, &argv[0], &argv[1], &cmp);
    if (rc != TDB_OK) return rc;
    if (cmp == 0) return TDB_OK;
  }
  return tdbValueCopy(ctx->mem, out, &argv[0]) == TDB_OK ? TDB_OK : tdbErrNoMem(ctx->err);
}

/* The largest (want > 0) or smallest (want < 0) non-NULL argument; NULL only
** when every argument is NULL. Arguments that cannot be compared: 42883. */
static int tdbExtreme(TdbEvalCtx *ctx, int argc, const TdbValue *argv, int want, TdbValue *out) {
  const TdbValue *best = NULL;
  int i;
  for (i = 0; i < argc; i++) {
    int cmp;
    if (TDB_VALUE_IS_NULL(&argv[i])) continue;
    if (!best) {
      best = &argv[i];
      continue;
    }
    if (tdbValueCompare(ctx->err, &argv[i], best, &cmp) != TDB_OK) return ctx->err->code;
    if ((want > 0 && cmp > 0) || (want < 0 && cmp < 0)) best = &argv[i];
  }
  if (!best) return TDB_OK;
  return tdbValueCopy(ctx->mem, out, best) == TDB_OK ? TDB_OK : tdbErrNoMem(ctx->err);
}

TDB_FN(tdbFnGreatest) {
  return tdbExtreme(ctx, argc, argv, 1, out);
}

TDB_FN(tdbFnLeast) {
  return tdbExtreme(ctx, argc, argv, -1, out);
}

/* typeof(x): the type name of x, lower case ("integer", "null", ...). */
TDB_FN(tdbFnTypeof) {
  char name[16];
  const char *upper = tdbTypeName(argv[0].type);
  size_t i, n = strlen(upper);
  TDB_UNUSED(argc);
  for (i = 0; i < n && i + 1 < sizeof name; i++) {
    name[i] = (char)(upper[i] >= 'A' && upper[i] <= 'Z' ? upper[i] - 'A' + 'a' : upper[i]);
  }
  return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, name, i);
}
