/*
** agg.c — aggregate functions (agg.h). NULL arguments are skipped, as in
** SQL: count(x) counts non-NULL values, sum/avg/min/max of no values is NULL,
** total of no values is 0.0, count of no values is 0.
**
** sum over INTEGER stays exact and fails with 22003 on overflow; once a REAL
** is fed the sum continues in double. avg is always REAL.
**
** Variance and standard deviation use Welford's method: a running mean and
** the sum m2 of squared deviations from it, updated per value, which does
** not lose precision the way sum(x^2) - sum(x)^2/n does when the values are
** large and close together. var_pop = m2 / n, var_samp = m2 / (n - 1) (NULL
** for fewer than 2 values), stddev_* the square roots. Removal (for sliding
** window frames) runs the update backwards.
**
** approx_count_distinct feeds value hashes into a HyperLogLog sketch (hll.h:
** exact up to 256 distinct values, then 0.81 % standard error).
*/
#include "agg.h"

#include <math.h>

static const TdbAggDef tdbAggDefs[] = {
  {"approx_count_distinct", 1, 1, TDB_AGG_APPROX_COUNT_DISTINCT},
  {"avg", 1, 1, TDB_AGG_AVG},
  {"bool_and", 1, 1, TDB_AGG_BOOL_AND},
  {"bool_or", 1, 1, TDB_AGG_BOOL_OR},
  {"count", 0, 1, TDB_AGG_COUNT},
  {"every", 1, 1, TDB_AGG_BOOL_AND},
  {"group_concat", 1, 2, TDB_AGG_GROUP_CONCAT},
  {"max", 1, 1, TDB_AGG_MAX},
  {"min", 1, 1, TDB_AGG_MIN},
  {"stddev", 1, 1, TDB_AGG_STDDEV_SAMP},
  {"stddev_pop", 1, 1, TDB_AGG_STDDEV_POP},
  {"stddev_samp", 1, 1, TDB_AGG_STDDEV_SAMP},
  {"string_agg", 2, 2, TDB_AGG_GROUP_CONCAT},
  {"sum", 1, 1, TDB_AGG_SUM},
  {"total", 1, 1, TDB_AGG_TOTAL},
  {"var_pop", 1, 1, TDB_AGG_VAR_POP},
  {"var_samp", 1, 1, TDB_AGG_VAR_SAMP},
  {"variance", 1, 1, TDB_AGG_VAR_SAMP},
};

TDB_PRIVATE const TdbAggDef *tdbAggFind(const char *name) {
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(tdbAggDefs); i++) {
    if (strcmp(tdbAggDefs[i].name, name) == 0) return &tdbAggDefs[i];
  }
  return NULL;
}

TDB_PRIVATE void tdbAggInit(TdbAggState *st, TdbMem *mem) {
  memset(st, 0, sizeof *st);
  tdbValueSetNull(&st->best);
  tdbStrInit(&st->text, mem);
  tdbHllInit(&st->hll);
}

TDB_PRIVATE void tdbAggClear(TdbMem *mem, TdbAggState *st) {
  tdbValueClear(mem, &st->best);
  tdbStrClear(&st->text);
  tdbHllClear(mem, &st->hll);
}

/* The value of a numeric argument as a double, or an error for other types. */
static int tdbAggReal(TdbEvalCtx *ctx, const TdbValue *v, const char *fn, double *x) {
  if (v->type == TDB_TYPE_INTEGER) *x = (double)v->u.i;
  else if (v->type == TDB_TYPE_REAL) *x = v->u.r;
  else return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                        "function %s(%s) does not exist", fn, tdbTypeName(v->type));
  return TDB_OK;
}

static const char *tdbAggWelfordName(int kind) {
  switch (kind) {
    case TDB_AGG_STDDEV_POP: return "stddev_pop";
    case TDB_AGG_STDDEV_SAMP: return "stddev_samp";
    case TDB_AGG_VAR_POP: return "var_pop";
    default: return "var_samp";
  }
}

static int tdbAggNotNumeric(TdbEvalCtx *ctx, const char *fn, int type) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                   "function %s(%s) does not exist", fn, tdbTypeName(type));
}

/* Add v to the sum. `exact`: sum() keeps INTEGER sums exact and fails on
** overflow; avg() and total() go on in REAL. */
static int tdbAggAdd(TdbEvalCtx *ctx, TdbAggState *st, const TdbValue *v, const char *fn,
                     int exact) {
  if (v->type == TDB_TYPE_INTEGER) {
    if (!st->is_real) {
      int64_t r;
      if (tdbAddInt(st->isum, v->u.i, &r) != 0) {
        if (exact) {
          return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE,
                           "integer out of range in %s()", fn);
        }
        st->is_real = 1;
        st->rsum = (double)st->isum + (double)v->u.i;
        return TDB_OK;
      }
      st->isum = r;
    } else {
      st->rsum += (double)v->u.i;
    }
    return TDB_OK;
  }
  if (v->type == TDB_TYPE_REAL) {
    if (!st->is_real) {
      st->is_real = 1;
      st->rsum = (double)st->isum;
    }
    st->rsum += v->u.r;
    return TDB_OK;
  }
  return tdbAggNotNumeric(ctx, fn, v->type);
}

TDB_PRIVATE int tdbAggStep(TdbEvalCtx *ctx, int kind, TdbAggState *st, int argc,
                           const TdbValue *argv) {
  const TdbValue *v = argc > 0 ? &argv[0] : NULL;
  int cmp, rc;
  if (kind == TDB_AGG_COUNT_STAR) {
    st->count++;
    return TDB_OK;
  }
  if (!v || TDB_VALUE_IS_NULL(v)) return TDB_OK;
  switch (kind) {
    case TDB_AGG_COUNT:
      st->count++;
      return TDB_OK;
    case TDB_AGG_SUM:
    case TDB_AGG_TOTAL:
    case TDB_AGG_AVG:
      rc = tdbAggAdd(ctx, st, v, kind == TDB_AGG_SUM ? "sum" : kind == TDB_AGG_AVG ? "avg" : "total",
                     kind == TDB_AGG_SUM);
      if (rc == TDB_OK) st->count++;
      return rc;
    case TDB_AGG_MIN:
    case TDB_AGG_MAX:
      if (st->count > 0) {
        rc = tdbValueCompare(ctx->err, v, &st->best, &cmp);
        if (rc != TDB_OK) return rc;
        if (kind == TDB_AGG_MIN ? cmp >= 0 : cmp <= 0) return TDB_OK;
        tdbValueClear(ctx->mem, &st->best);
      }
      if (tdbValueCopy(ctx->mem, &st->best, v) != TDB_OK) return tdbErrNoMem(ctx->err);
      st->count++;
      return TDB_OK;
    case TDB_AGG_GROUP_CONCAT: {
      TdbStr tmp;
      if (st->count > 0) {
        if (argc > 1 && !TDB_VALUE_IS_NULL(&argv[1])) {
          tdbStrInit(&tmp, ctx->mem);
          tdbValueRender(&tmp, &argv[1]);
          tdbStrAppend(&st->text, tmp.z ? tmp.z : "", tmp.n);
          tdbStrClear(&tmp);
        } else if (argc == 1) {
          tdbStrAppendChar(&st->text, ',');
        }
      }
      tdbValueRender(&st->text, v);
      st->count++;
      return st->text.oom ? tdbErrNoMem(ctx->err) : TDB_OK;
    }
    case TDB_AGG_BOOL_AND:
    case TDB_AGG_BOOL_OR: {
      int truth;
      rc = tdbExprTruth(ctx, v, &truth);
      if (rc != TDB_OK) return rc;
      st->ntrue += truth == 1;
      st->count++;
      return TDB_OK;
    }
    case TDB_AGG_STDDEV_POP:
    case TDB_AGG_STDDEV_SAMP:
    case TDB_AGG_VAR_POP:
    case TDB_AGG_VAR_SAMP: {
      double x = 0.0, delta;
      rc = tdbAggReal(ctx, v, tdbAggWelfordName(kind), &x);
      if (rc != TDB_OK) return rc;
      st->count++;
      delta = x - st->mean;
      st->mean += delta / (double)st->count;
      st->m2 += delta * (x - st->mean);
      return TDB_OK;
    }
    case TDB_AGG_APPROX_COUNT_DISTINCT:
      if (tdbHllAdd(ctx->mem, &st->hll, tdbHashValue(v)) != TDB_OK) return tdbErrNoMem(ctx->err);
      st->count++;
      return TDB_OK;
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "unknown aggregate %d", kind);
  }
}

TDB_PRIVATE int tdbAggInvertible(int kind) {
  switch (kind) {
    case TDB_AGG_COUNT_STAR:
    case TDB_AGG_COUNT:
    case TDB_AGG_SUM:
    case TDB_AGG_TOTAL:
    case TDB_AGG_AVG:
    case TDB_AGG_BOOL_AND:
    case TDB_AGG_BOOL_OR:
    case TDB_AGG_STDDEV_POP:
    case TDB_AGG_STDDEV_SAMP:
    case TDB_AGG_VAR_POP:
    case TDB_AGG_VAR_SAMP:
      return 1;
    default:
      return 0;
  }
}

TDB_PRIVATE int tdbAggRemove(TdbEvalCtx *ctx, int kind, TdbAggState *st, int argc,
                             const TdbValue *argv) {
  const TdbValue *v = argc > 0 ? &argv[0] : NULL;
  if (kind == TDB_AGG_COUNT_STAR) {
    st->count--;
    return TDB_OK;
  }
  if (!v || TDB_VALUE_IS_NULL(v)) return TDB_OK;
  switch (kind) {
    case TDB_AGG_COUNT:
      st->count--;
      return TDB_OK;
    case TDB_AGG_SUM:
    case TDB_AGG_TOTAL:
    case TDB_AGG_AVG:
      if (--st->count == 0) { /* empty again: start over exactly */
        st->isum = 0;
        st->rsum = 0.0;
        st->is_real = 0;
        return TDB_OK;
      }
      if (!st->is_real && v->type == TDB_TYPE_INTEGER) {
        int64_t r;
        if (tdbSubInt(st->isum, v->u.i, &r) != 0) {
          return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE,
                           "integer out of range in %s()",
                           kind == TDB_AGG_SUM ? "sum" : kind == TDB_AGG_AVG ? "avg" : "total");
        }
        st->isum = r;
      } else {
        st->rsum -= v->type == TDB_TYPE_INTEGER ? (double)v->u.i : v->u.r;
      }
      return TDB_OK;
    case TDB_AGG_BOOL_AND:
    case TDB_AGG_BOOL_OR:
      st->ntrue -= v->type == TDB_TYPE_BOOLEAN && v->u.i;
      st->count--;
      return TDB_OK;
    case TDB_AGG_STDDEV_POP:
    case TDB_AGG_STDDEV_SAMP:
    case TDB_AGG_VAR_POP:
    case TDB_AGG_VAR_SAMP: {
      double x = v->type == TDB_TYPE_INTEGER ? (double)v->u.i : v->u.r, delta;
      if (--st->count == 0) {
        st->mean = st->m2 = 0.0;
        return TDB_OK;
      }
      delta = x - st->mean;
      st->mean -= delta / (double)st->count;
      st->m2 -= delta * (x - st->mean);
      if (st->m2 < 0.0) st->m2 = 0.0; /* rounding */
      return TDB_OK;
    }
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "aggregate %d cannot remove values", kind);
  }
}

TDB_PRIVATE int tdbAggFinal(TdbEvalCtx *ctx, int kind, TdbAggState *st, TdbValue *out) {
  tdbValueSetNull(out);
  switch (kind) {
    case TDB_AGG_COUNT_STAR:
    case TDB_AGG_COUNT:
      tdbValueSetInt(out, st->count);
      return TDB_OK;
    case TDB_AGG_SUM:
      if (st->count == 0) return TDB_OK;
      if (st->is_real) tdbValueSetReal(out, st->rsum);
      else tdbValueSetInt(out, st->isum);
      return TDB_OK;
    case TDB_AGG_TOTAL:
      tdbValueSetReal(out, st->is_real ? st->rsum : (double)st->isum);
      return TDB_OK;
    case TDB_AGG_AVG:
      if (st->count == 0) return TDB_OK;
      tdbValueSetReal(out, (st->is_real ? st->rsum : (double)st->isum) / (double)st->count);
      return TDB_OK;
    case TDB_AGG_MIN:
    case TDB_AGG_MAX:
      if (st->count == 0) return TDB_OK;
      return tdbValueCopy(ctx->mem, out, &st->best) == TDB_OK ? TDB_OK : tdbErrNoMem(ctx->err);
    case TDB_AGG_GROUP_CONCAT:
      if (st->count == 0) return TDB_OK;
      if (st->text.oom) return tdbErrNoMem(ctx->err);
      return tdbValueSetBytes(ctx->mem, out, TDB_TYPE_TEXT, st->text.z ? st->text.z : "",
                              st->text.n) == TDB_OK
                 ? TDB_OK
                 : tdbErrNoMem(ctx->err);
    case TDB_AGG_BOOL_AND:
      if (st->count > 0) tdbValueSetBool(out, st->ntrue == st->count);
      return TDB_OK;
    case TDB_AGG_BOOL_OR:
      if (st->count > 0) tdbValueSetBool(out, st->ntrue > 0);
      return TDB_OK;
    case TDB_AGG_STDDEV_POP:
    case TDB_AGG_VAR_POP:
      if (st->count == 0) return TDB_OK;
      tdbValueSetReal(out, kind == TDB_AGG_VAR_POP ? st->m2 / (double)st->count
                                                   : sqrt(st->m2 / (double)st->count));
      return TDB_OK;
    case TDB_AGG_STDDEV_SAMP:
    case TDB_AGG_VAR_SAMP:
      if (st->count < 2) return TDB_OK;
      tdbValueSetReal(out, kind == TDB_AGG_VAR_SAMP ? st->m2 / (double)(st->count - 1)
                                                    : sqrt(st->m2 / (double)(st->count - 1)));
      return TDB_OK;
    case TDB_AGG_APPROX_COUNT_DISTINCT:
      tdbValueSetInt(out, tdbHllEstimate(&st->hll));
      return TDB_OK;
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "unknown aggregate %d", kind);
  }
}
