/*
** func.c — built-in scalar functions (see func.h; reference in
** docs/functions.md). Functions receive evaluated arguments; unless a
** function says otherwise, a NULL argument gives a NULL result.
*/
#include "func.h"
#include "temporal_session.h"

#include <stdio.h>

static int tdbFuncArgType(TdbEvalCtx *ctx, const char *fn, const TdbValue *v,
                          const char *want) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                   "function %s(%s) does not exist (expected %s)", fn,
                   tdbTypeName(v->type), want);
}

/* abs(x): absolute value of an INTEGER or REAL; abs(INT64_MIN) overflows. */
static int tdbFnAbs(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  TDB_UNUSED(argc);
  switch (argv[0].type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_INTEGER:
      if (argv[0].u.i == INT64_MIN) {
        return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE,
                         "integer out of range");
      }
      tdbValueSetInt(out, argv[0].u.i < 0 ? -argv[0].u.i : argv[0].u.i);
      return TDB_OK;
    case TDB_TYPE_REAL:
      tdbValueSetReal(out, argv[0].u.r < 0 ? -argv[0].u.r : argv[0].u.r);
      return TDB_OK;
    default:
      return tdbFuncArgType(ctx, "abs", &argv[0], "a number");
  }
}

/* coalesce(a, b, ...): the first non-NULL argument. */
static int tdbFnCoalesce(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  int i;
  for (i = 0; i < argc; i++) {
    if (!TDB_VALUE_IS_NULL(&argv[i])) return tdbValueCopy(ctx->mem, out, &argv[i]);
  }
  return TDB_OK;
}

/* nullif(a, b): NULL if a = b, else a. */
static int tdbFnNullif(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  int cmp, rc;
  TDB_UNUSED(argc);
  if (!TDB_VALUE_IS_NULL(&argv[0]) && !TDB_VALUE_IS_NULL(&argv[1])) {
    rc = tdbValueCompare(ctx->err, &argv[0], &argv[1], &cmp);
    if (rc != TDB_OK) return rc;
    if (cmp == 0) return TDB_OK;
  }
  return tdbValueCopy(ctx->mem, out, &argv[0]);
}

/* length(s): characters of TEXT (UTF-8), bytes of BLOB. */
static int tdbFnLength(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  int64_t count = 0;
  uint32_t i;
  TDB_UNUSED(argc);
  switch (argv[0].type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_TEXT:
      for (i = 0; i < argv[0].n; i++) count += ((unsigned char)argv[0].u.z[i] & 0xc0) != 0x80;
      tdbValueSetInt(out, count);
      return TDB_OK;
    case TDB_TYPE_BLOB:
      tdbValueSetInt(out, argv[0].n);
      return TDB_OK;
    default:
      return tdbFuncArgType(ctx, "length", &argv[0], "TEXT or BLOB");
  }
}

/* lower/upper of ASCII letters (other characters unchanged). */
static int tdbFnCase(TdbEvalCtx *ctx, const TdbValue *v, TdbValue *out, int upper) {
  uint32_t i;
  int rc;
  if (TDB_VALUE_IS_NULL(v)) return TDB_OK;
  if (v->type != TDB_TYPE_TEXT) return tdbFuncArgType(ctx, upper ? "upper" : "lower", v, "TEXT");
  rc = tdbValueSetBytes(ctx->mem, out, TDB_TYPE_TEXT, v->u.z, v->n);
  if (rc != TDB_OK) return tdbErrNoMem(ctx->err);
  for (i = 0; i < out->n; i++) {
    char c = out->u.z[i];
    if (upper && c >= 'a' && c <= 'z') out->u.z[i] = (char)(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') out->u.z[i] = (char)(c - 'A' + 'a');
  }
  return TDB_OK;
}

static int tdbFnLower(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  TDB_UNUSED(argc);
  return tdbFnCase(ctx, &argv[0], out, 0);
}

static int tdbFnUpper(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  TDB_UNUSED(argc);
  return tdbFnCase(ctx, &argv[0], out, 1);
}

/* typeof(x): the type name of x, lower case ("integer", "null", ...). */
static int tdbFnTypeof(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out) {
  char name[16];
  const char *upper = tdbTypeName(argv[0].type);
  size_t i, n = strlen(upper);
  TDB_UNUSED(argc);
  for (i = 0; i < n && i + 1 < sizeof name; i++) {
    name[i] = (char)(upper[i] >= 'A' && upper[i] <= 'Z' ? upper[i] - 'A' + 'a' : upper[i]);
  }
  if (tdbValueSetBytes(ctx->mem, out, TDB_TYPE_TEXT, name, i) != TDB_OK) {
    return tdbErrNoMem(ctx->err);
  }
  return TDB_OK;
}

/* Sorted by name. */
static const TdbFuncDef tdbFuncTable[] = {
    {"abs", 1, 1, tdbFnAbs},
    {"coalesce", 1, -1, tdbFnCoalesce},
    {"length", 1, 1, tdbFnLength},
    {"lower", 1, 1, tdbFnLower},
    {"nullif", 2, 2, tdbFnNullif},
    {"typeof", 1, 1, tdbFnTypeof},
    {"upper", 1, 1, tdbFnUpper},
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
