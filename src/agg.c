/*
** agg.c — aggregate functions (agg.h). NULL arguments are skipped, as in
** SQL: count(x) counts non-NULL values, sum/avg/min/max of no values is NULL,
** total of no values is 0.0, count of no values is 0.
**
** sum over INTEGER stays exact and fails with 22003 on overflow; once a REAL
** is fed the sum continues in double. avg is always REAL.
*/
#include "agg.h"

static const TdbAggDef tdbAggDefs[] = {
  {"avg", 1, 1, TDB_AGG_AVG},
  {"bool_and", 1, 1, TDB_AGG_BOOL_AND},
  {"bool_or", 1, 1, TDB_AGG_BOOL_OR},
  {"count", 0, 1, TDB_AGG_COUNT},
  {"every", 1, 1, TDB_AGG_BOOL_AND},
  {"group_concat", 1, 2, TDB_AGG_GROUP_CONCAT},
  {"max", 1, 1, TDB_AGG_MAX},
  {"min", 1, 1, TDB_AGG_MIN},
  {"string_agg", 2, 2, TDB_AGG_GROUP_CONCAT},
  {"sum", 1, 1, TDB_AGG_SUM},
  {"total", 1, 1, TDB_AGG_TOTAL},
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
  st->truth = -1;
}

TDB_PRIVATE void tdbAggClear(TdbMem *mem, TdbAggState *st) {
  tdbValueClear(mem, &st->best);
  tdbStrClear(&st->text);
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
      if (st->truth < 0) st->truth = truth;
      else if (kind == TDB_AGG_BOOL_AND) st->truth = st->truth && truth;
      else st->truth = st->truth || truth;
      st->count++;
      return TDB_OK;
    }
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "unknown aggregate %d", kind);
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
      *out = st->best; /* hand the owned copy over */
      tdbValueSetNull(&st->best);
      return TDB_OK;
    case TDB_AGG_GROUP_CONCAT:
      if (st->count == 0) return TDB_OK;
      if (st->text.oom) return tdbErrNoMem(ctx->err);
      return tdbValueSetBytes(ctx->mem, out, TDB_TYPE_TEXT, st->text.z ? st->text.z : "",
                              st->text.n) == TDB_OK
                 ? TDB_OK
                 : tdbErrNoMem(ctx->err);
    case TDB_AGG_BOOL_AND:
    case TDB_AGG_BOOL_OR:
      if (st->truth >= 0) tdbValueSetBool(out, st->truth);
      return TDB_OK;
    default:
      return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "unknown aggregate %d", kind);
  }
}
