/*
** func_numeric.c — the numeric functions of the library (docs/functions.md
** "Numeric functions"). INTEGER stays INTEGER where the result is exact
** (abs, round, ceil, floor, trunc, mod, sign); the transcendental functions
** compute in REAL. Domain errors follow PostgreSQL: sqrt of a negative and
** bad power() operands are 2201F, a logarithm of zero or a negative is 2201E,
** mod by zero is 22012, a result beyond the type's range is 22003.
*/
#include "func.h"
#include "datetime.h"

#include <math.h>

/* A number argument as double, or 42883. */
static int tdbNumArg(TdbEvalCtx *ctx, const char *fn, const TdbValue *v, double *out) {
  if (v->type == TDB_TYPE_REAL) *out = v->u.r;
  else if (v->type == TDB_TYPE_INTEGER) *out = (double)v->u.i;
  else return tdbFuncArgType(ctx, fn, v, "a number");
  return TDB_OK;
}

/* *out = REAL r, or 22003 when r overflowed from finite operands. */
static int tdbRealResult(TdbEvalCtx *ctx, const char *fn, double r, int finite_in, TdbValue *out) {
  if (isinf(r) && finite_in) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE,
                     "value out of range: overflow in %s()", fn);
  }
  tdbValueSetReal(out, r);
  return TDB_OK;
}

static int tdbOverflow(TdbEvalCtx *ctx) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE, "integer out of range");
}

/* abs(x): absolute value of an INTEGER or REAL; abs(INT64_MIN) overflows. */
TDB_FN(tdbFnAbs) {
  TDB_UNUSED(argc);
  switch (argv[0].type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_INTEGER:
      if (argv[0].u.i == INT64_MIN) return tdbOverflow(ctx);
      tdbValueSetInt(out, argv[0].u.i < 0 ? -argv[0].u.i : argv[0].u.i);
      return TDB_OK;
    case TDB_TYPE_REAL:
      tdbValueSetReal(out, fabs(argv[0].u.r));
      return TDB_OK;
    default:
      return tdbFuncArgType(ctx, "abs", &argv[0], "a number");
  }
}

/* 10^k for |k| <= 308 (exact for k in 0..22). */
static double tdbPow10(int64_t k) {
  return pow(10.0, (double)k);
}

/* mode 0 round (half away from zero), 1 trunc (toward zero). INTEGER input
** with places < 0 rounds to tens, hundreds, ... and stays INTEGER. */
static int tdbRoundTo(TdbEvalCtx *ctx, const char *fn, int argc, const TdbValue *argv, int mode,
                      TdbValue *out) {
  int64_t places = 0;
  if (TDB_VALUE_IS_NULL(&argv[0]) || (argc > 1 && TDB_VALUE_IS_NULL(&argv[1]))) return TDB_OK;
  if (argc > 1 && tdbFuncInt(ctx, fn, &argv[1], &places) != TDB_OK) return ctx->err->code;
  if (places > 400) places = 400; /* beyond every digit of both types: no change */
  if (places < -400) places = -400; /* below every digit: 0 */
  if (argv[0].type == TDB_TYPE_INTEGER) {
    int64_t x = argv[0].u.i, unit = 1, q, r;
    int64_t k;
    if (places >= 0) {
      tdbValueSetInt(out, x);
      return TDB_OK;
    }
    for (k = 0; k < -places; k++) {
      if (unit > INT64_MAX / 10) { /* more places than digits */
        tdbValueSetInt(out, 0);
        return TDB_OK;
      }
      unit *= 10;
    }
    q = x / unit;
    r = x % unit;
    if (mode == 0 && (r >= 0 ? r : -r) * 2 >= unit) q += x < 0 ? -1 : 1;
    if (tdbMulInt(q, unit, &q) != 0) return tdbOverflow(ctx);
    tdbValueSetInt(out, q);
    return TDB_OK;
  }
  if (argv[0].type == TDB_TYPE_REAL) {
    double x = argv[0].u.r, scale, y;
    if (!isfinite(x) || places > 308) {
      tdbValueSetReal(out, x);
      return TDB_OK;
    }
    if (places < -308) {
      tdbValueSetReal(out, 0.0 * x);
      return TDB_OK;
    }
    scale = tdbPow10(places < 0 ? -places : places);
    y = places >= 0 ? x * scale : x / scale;
    if (!isfinite(y) || fabs(y) >= 4503599627370496.0) { /* already integral at that scale */
      tdbValueSetReal(out, x);
      return TDB_OK;
    }
    y = mode == 0 ? round(y) : trunc(y);
    tdbValueSetReal(out, places >= 0 ? y / scale : y * scale);
    return TDB_OK;
  }
  return tdbFuncArgType(ctx, fn, &argv[0], "a number");
}

TDB_FN(tdbFnRound) {
  return tdbRoundTo(ctx, "round", argc, argv, 0, out);
}

TDB_FN(tdbFnTrunc) {
  return tdbRoundTo(ctx, "trunc", argc, argv, 1, out);
}

static int tdbCeilFloor(TdbEvalCtx *ctx, const char *fn, const TdbValue *v, int ceil_, TdbValue *out) {
  switch (v->type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_INTEGER: *out = *v; return TDB_OK;
    case TDB_TYPE_REAL: tdbValueSetReal(out, ceil_ ? ceil(v->u.r) : floor(v->u.r)); return TDB_OK;
    default: return tdbFuncArgType(ctx, fn, v, "a number");
  }
}

TDB_FN(tdbFnCeil) {
  TDB_UNUSED(argc);
  return tdbCeilFloor(ctx, "ceil", &argv[0], 1, out);
}

TDB_FN(tdbFnFloor) {
  TDB_UNUSED(argc);
  return tdbCeilFloor(ctx, "floor", &argv[0], 0, out);
}

/* mod(a, b): the `%` operator (remainder with the sign of a; 22012 for b = 0). */
TDB_FN(tdbFnMod) {
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0]) || TDB_VALUE_IS_NULL(&argv[1])) return TDB_OK;
  if (!TDB_TYPE_IS_NUMERIC(argv[0].type)) return tdbFuncArgType(ctx, "mod", &argv[0], "a number");
  if (!TDB_TYPE_IS_NUMERIC(argv[1].type)) return tdbFuncArgType(ctx, "mod", &argv[1], "a number");
  return tdbExprArith(ctx, TDB_OP_MOD, &argv[0], &argv[1], out);
}

/* power(a, b) = a^b in REAL. */
TDB_FN(tdbFnPower) {
  double a = 0, b = 0;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0]) || TDB_VALUE_IS_NULL(&argv[1])) return TDB_OK;
  if (tdbNumArg(ctx, "power", &argv[0], &a) || tdbNumArg(ctx, "power", &argv[1], &b)) {
    return ctx->err->code;
  }
  if (a == 0 && b < 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_POWER_ARGUMENT,
                     "zero raised to a negative power is undefined");
  }
  if (a < 0 && isfinite(b) && b != floor(b)) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_POWER_ARGUMENT,
                     "a negative number raised to a non-integer power yields a complex result");
  }
  return tdbRealResult(ctx, "power", pow(a, b), isfinite(a) && isfinite(b), out);
}

TDB_FN(tdbFnSqrt) {
  double a = 0;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (tdbNumArg(ctx, "sqrt", &argv[0], &a) != TDB_OK) return ctx->err->code;
  if (a < 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_POWER_ARGUMENT,
                     "cannot take square root of a negative number");
  }
  tdbValueSetReal(out, sqrt(a));
  return TDB_OK;
}

/* Check a logarithm's argument: 2201E for zero and negatives. */
static int tdbLogArg(TdbEvalCtx *ctx, double a) {
  if (a == 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_LOG_ARGUMENT,
                     "cannot take logarithm of zero");
  }
  if (a < 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_LOG_ARGUMENT,
                     "cannot take logarithm of a negative number");
  }
  return TDB_OK;
}

static int tdbLog1(TdbEvalCtx *ctx, const char *fn, const TdbValue *v, int base10, TdbValue *out) {
  double a = 0;
  if (TDB_VALUE_IS_NULL(v)) return TDB_OK;
  if (tdbNumArg(ctx, fn, v, &a) != TDB_OK || tdbLogArg(ctx, a) != TDB_OK) return ctx->err->code;
  tdbValueSetReal(out, base10 ? log10(a) : log(a));
  return TDB_OK;
}

TDB_FN(tdbFnLn) {
  TDB_UNUSED(argc);
  return tdbLog1(ctx, "ln", &argv[0], 0, out);
}

TDB_FN(tdbFnLog10) {
  TDB_UNUSED(argc);
  return tdbLog1(ctx, "log10", &argv[0], 1, out);
}

/* log(x) is log10(x); log(b, x) the logarithm of x to base b. */
TDB_FN(tdbFnLog) {
  double b = 0, x = 0, lb;
  if (argc == 1) return tdbLog1(ctx, "log", &argv[0], 1, out);
  if (TDB_VALUE_IS_NULL(&argv[0]) || TDB_VALUE_IS_NULL(&argv[1])) return TDB_OK;
  if (tdbNumArg(ctx, "log", &argv[0], &b) || tdbNumArg(ctx, "log", &argv[1], &x) ||
      tdbLogArg(ctx, b) || tdbLogArg(ctx, x)) {
    return ctx->err->code;
  }
  lb = log(b);
  if (lb == 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_DIVISION_BY_ZERO,
                     "division by zero (logarithm to base 1)");
  }
  tdbValueSetReal(out, log(x) / lb);
  return TDB_OK;
}

TDB_FN(tdbFnExp) {
  double a = 0;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (tdbNumArg(ctx, "exp", &argv[0], &a) != TDB_OK) return ctx->err->code;
  return tdbRealResult(ctx, "exp", exp(a), isfinite(a), out);
}

/* sign(x): -1, 0 or 1 of x's type. */
TDB_FN(tdbFnSign) {
  TDB_UNUSED(argc);
  switch (argv[0].type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_INTEGER: tdbValueSetInt(out, (argv[0].u.i > 0) - (argv[0].u.i < 0)); return TDB_OK;
    case TDB_TYPE_REAL:
      tdbValueSetReal(out, isnan(argv[0].u.r) ? argv[0].u.r
                                              : (double)((argv[0].u.r > 0) - (argv[0].u.r < 0)));
      return TDB_OK;
    default: return tdbFuncArgType(ctx, "sign", &argv[0], "a number");
  }
}

/* random(): a REAL in [0, 1) from a per-thread xorshift64* generator seeded
** from the clock and the generator's address. Not for cryptography. */
TDB_FN(tdbFnRandom) {
  static _Thread_local uint64_t state;
  TDB_UNUSED(ctx);
  TDB_UNUSED(argc);
  TDB_UNUSED(argv);
  if (state == 0) {
    state = (uint64_t)tdbTimeNowMicros() ^ (uint64_t)(uintptr_t)&state ^ UINT64_C(0x9e3779b97f4a7c15);
    if (state == 0) state = 1;
  }
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  tdbValueSetReal(out, (double)((state * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0);
  return TDB_OK;
}

TDB_FN(tdbFnPi) {
  TDB_UNUSED(ctx);
  TDB_UNUSED(argc);
  TDB_UNUSED(argv);
  tdbValueSetReal(out, 3.14159265358979323846);
  return TDB_OK;
}
