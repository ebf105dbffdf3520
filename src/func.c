/*
** func.c — the scalar function registry (see func.h; reference in
** docs/functions.md): the table of every built-in function in name order,
** lookup by binary search, "did you mean" suggestions by edit distance, and
** the argument helpers the family files (func_*.c) share. Unless a function
** says otherwise, a NULL argument gives a NULL result.
*/
#include "func.h"
#include "temporal_session.h"

#include <math.h>
#include <stdio.h>

TDB_PRIVATE int tdbFuncArgType(TdbEvalCtx *ctx, const char *fn, const TdbValue *v,
                               const char *want) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                   "function %s(%s) does not exist (expected %s)", fn,
                   tdbTypeName(v->type), want);
}

TDB_PRIVATE int tdbFuncCheckSize(TdbEvalCtx *ctx, const char *fn, uint64_t n) {
  if (n <= TDB_FUNC_MAX_BYTES) return TDB_OK;
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_LIMIT,
                   "result of %s() exceeds the limit of %d bytes", fn, TDB_FUNC_MAX_BYTES);
}

TDB_PRIVATE int tdbFuncSetBytes(TdbEvalCtx *ctx, TdbValue *out, int type, const char *z,
                                size_t n) {
  if (tdbValueSetBytes(ctx->mem, out, type, z, n) != TDB_OK) return tdbErrNoMem(ctx->err);
  return TDB_OK;
}

TDB_PRIVATE int tdbFuncTakeStr(TdbEvalCtx *ctx, const char *fn, TdbStr *s, int type,
                               TdbValue *out) {
  size_t n = s->n;
  char *z;
  if (s->oom) {
    tdbStrClear(s);
    return tdbErrNoMem(ctx->err);
  }
  if (tdbFuncCheckSize(ctx, fn, n) != TDB_OK) {
    tdbStrClear(s);
    return ctx->err->code;
  }
  z = tdbStrFinish(s);
  if (!z) return tdbErrNoMem(ctx->err);
  tdbValueTakeBytes(out, type, z, n);
  return TDB_OK;
}

TDB_PRIVATE int tdbFuncInt(TdbEvalCtx *ctx, const char *fn, const TdbValue *v, int64_t *out) {
  if (v->type == TDB_TYPE_INTEGER) {
    *out = v->u.i;
    return TDB_OK;
  }
  if (v->type == TDB_TYPE_REAL && v->u.r == floor(v->u.r) && v->u.r >= -9.2e18 &&
      v->u.r <= 9.2e18) {
    *out = (int64_t)v->u.r;
    return TDB_OK;
  }
  return tdbFuncArgType(ctx, fn, v, "an INTEGER");
}

TDB_PRIVATE size_t tdbUtf8CharLen(const char *s, size_t n) {
  unsigned char c = (unsigned char)s[0];
  size_t len = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, i;
  if (len > n) return 1;
  for (i = 1; i < len; i++) {
    if (((unsigned char)s[i] & 0xc0) != 0x80) return 1; /* a stray lead byte */
  }
  return len;
}

TDB_PRIVATE size_t tdbUtf8Offset(const char *s, size_t n, int64_t k) {
  size_t i = 0;
  while (k > 0 && i < n) {
    i += tdbUtf8CharLen(s + i, n - i);
    k--;
  }
  return i;
}

TDB_PRIVATE int64_t tdbUtf8Count(const char *s, size_t n) {
  size_t i = 0;
  int64_t count = 0;
  while (i < n) {
    i += tdbUtf8CharLen(s + i, n - i);
    count++;
  }
  return count;
}

#define TDB_EAGER(name, lo, hi, fn) {name, lo, hi, fn, NULL}
#define TDB_LAZY(name, lo, hi, fn) {name, lo, hi, NULL, fn}

/* Every built-in scalar function, sorted by name (strcmp order). */
static const TdbFuncDef tdbFuncTable[] = {
    TDB_EAGER("abs", 1, 1, tdbFnAbs),
    TDB_EAGER("btrim", 1, 2, tdbFnTrim),
    TDB_EAGER("ceil", 1, 1, tdbFnCeil),
    TDB_EAGER("ceiling", 1, 1, tdbFnCeil),
    TDB_EAGER("char_length", 1, 1, tdbFnLength),
    TDB_EAGER("character_length", 1, 1, tdbFnLength),
    TDB_LAZY("coalesce", 1, -1, tdbFnCoalesce),
    TDB_EAGER("concat", 1, -1, tdbFnConcat),
    TDB_EAGER("concat_ws", 2, -1, tdbFnConcatWs),
    TDB_EAGER("date_part", 2, 2, tdbFnDatePart),
    TDB_EAGER("date_trunc", 2, 2, tdbFnDateTrunc),
    TDB_EAGER("epoch", 1, 1, tdbFnEpoch),
    TDB_EAGER("exp", 1, 1, tdbFnExp),
    TDB_EAGER("extract", 2, 2, tdbFnDatePart),
    TDB_EAGER("floor", 1, 1, tdbFnFloor),
    TDB_EAGER("greatest", 1, -1, tdbFnGreatest),
    TDB_LAZY("if", 3, 3, tdbFnIf),
    TDB_LAZY("iif", 3, 3, tdbFnIf),
    TDB_EAGER("initcap", 1, 1, tdbFnInitcap),
    TDB_EAGER("json_array", 0, -1, tdbFnJsonArray),
    TDB_EAGER("json_array_length", 1, 2, tdbFnJsonArrayLength),
    TDB_EAGER("json_extract", 2, -1, tdbFnJsonExtract),
    TDB_EAGER("json_object", 0, -1, tdbFnJsonObject),
    TDB_EAGER("json_type", 1, 2, tdbFnJsonType),
    TDB_EAGER("json_valid", 1, 1, tdbFnJsonValid),
    TDB_EAGER("least", 1, -1, tdbFnLeast),
    TDB_EAGER("left", 2, 2, tdbFnLeft),
    TDB_EAGER("length", 1, 1, tdbFnLength),
    TDB_EAGER("ln", 1, 1, tdbFnLn),
    TDB_EAGER("log", 1, 2, tdbFnLog),
    TDB_EAGER("log10", 1, 1, tdbFnLog10),
    TDB_EAGER("lower", 1, 1, tdbFnLower),
    TDB_EAGER("lpad", 2, 3, tdbFnLpad),
    TDB_EAGER("ltrim", 1, 2, tdbFnLtrim),
    TDB_EAGER("mod", 2, 2, tdbFnMod),
    TDB_EAGER("now", 0, 0, tdbFnNow),
    TDB_EAGER("nullif", 2, 2, tdbFnNullif),
    TDB_EAGER("octet_length", 1, 1, tdbFnOctetLength),
    TDB_EAGER("pi", 0, 0, tdbFnPi),
    TDB_EAGER("pow", 2, 2, tdbFnPower),
    TDB_EAGER("power", 2, 2, tdbFnPower),
    TDB_EAGER("random", 0, 0, tdbFnRandom),
    TDB_EAGER("repeat", 2, 2, tdbFnRepeat),
    TDB_EAGER("replace", 3, 3, tdbFnReplace),
    TDB_EAGER("reverse", 1, 1, tdbFnReverse),
    TDB_EAGER("right", 2, 2, tdbFnRight),
    TDB_EAGER("round", 1, 2, tdbFnRound),
    TDB_EAGER("rpad", 2, 3, tdbFnRpad),
    TDB_EAGER("rtrim", 1, 2, tdbFnRtrim),
    TDB_EAGER("sign", 1, 1, tdbFnSign),
    TDB_EAGER("split_part", 3, 3, tdbFnSplitPart),
    TDB_EAGER("sqrt", 1, 1, tdbFnSqrt),
    TDB_EAGER("strpos", 2, 2, tdbFnStrpos),
    TDB_EAGER("substr", 2, 3, tdbFnSubstr),
    TDB_EAGER("substring", 2, 3, tdbFnSubstr),
    TDB_EAGER("to_char", 2, 2, tdbFnToChar),
    TDB_EAGER("to_timestamp", 1, 1, tdbFnToTimestamp),
    TDB_EAGER("trim", 1, 2, tdbFnTrim),
    TDB_EAGER("trunc", 1, 2, tdbFnTrunc),
    TDB_EAGER("typeof", 1, 1, tdbFnTypeof),
    TDB_EAGER("upper", 1, 1, tdbFnUpper),
};

TDB_PRIVATE const TdbFuncDef *tdbFuncAt(int i) {
  /* this table and the time functions (temporal_session.c), merged by name */
  int a = 0, b = 0, n = (int)TDB_ARRAY_LEN(tdbFuncTable);
  if (i < 0) return NULL;
  for (;;) {
    const TdbFuncDef *x = a < n ? &tdbFuncTable[a] : NULL, *y = tdbTemporalFuncAt(b);
    const TdbFuncDef *next = !y || (x && strcmp(x->name, y->name) < 0) ? x : y;
    if (!next || i == 0) return next;
    if (next == x) a++;
    else b++;
    i--;
  }
}

TDB_PRIVATE const TdbFuncDef *tdbFuncFind(const char *name) {
  int lo = 0, hi = (int)TDB_ARRAY_LEN(tdbFuncTable) - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2, c = strcmp(name, tdbFuncTable[mid].name);
    if (c == 0) return &tdbFuncTable[mid];
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return tdbTemporalFuncFind(name); /* temporal_session.c */
}

TDB_PRIVATE int tdbEditDistance(const char *a, const char *b) {
  int prev[65], cur[65];
  size_t la = strlen(a), lb = strlen(b), i, j;
  if (la > 64 || lb > 64) return 1000;
  for (j = 0; j <= lb; j++) prev[j] = (int)j;
  for (i = 1; i <= la; i++) {
    cur[0] = (int)i;
    for (j = 1; j <= lb; j++) {
      int ca = a[i - 1], cb = b[j - 1];
      int cost = (ca | 0x20) == (cb | 0x20) ? 0 : 1;
      int best = prev[j - 1] + cost;
      if (prev[j] + 1 < best) best = prev[j] + 1;
      if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
      cur[j] = best;
    }
    memcpy(prev, cur, sizeof(int) * (lb + 1));
  }
  return prev[lb];
}

TDB_PRIVATE const char *tdbFuncSuggest(const char *name) {
  const char *best = NULL;
  const TdbFuncDef *f;
  int best_d = 3; /* suggest only within two edits */
  int i;
  for (i = 0; (f = tdbFuncAt(i)) != NULL; i++) {
    int d = tdbEditDistance(name, f->name);
    if (d < best_d) {
      best_d = d;
      best = f->name;
    }
  }
  return best;
}
