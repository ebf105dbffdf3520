/*
** func.h — the built-in scalar function library: lookup by name with
** argument-count checks and "did you mean" suggestions. docs/functions.md
** documents every function.
**
** One file per family implements the functions: func_string.c (text),
** func_numeric.c (numbers), func_datetime.c (TIMESTAMP / INTERVAL),
** func_cond.c (conditional and utility), func_json.c (JSON). func.c holds
** the registry (one table in name order), lookup, suggestions and the
** argument helpers the families share.
*/
#ifndef TDB_FUNC_H
#define TDB_FUNC_H

#include "expr.h"

/* A scalar function: argv[0..argc) are evaluated arguments (never modified);
** *out is clear on entry. */
typedef int (*TdbScalarFn)(TdbEvalCtx *ctx, int argc, const TdbValue *argv,
                           TdbValue *out);

/* A function that evaluates its own arguments, for short-circuit semantics
** (coalesce stops at the first non-NULL, if() evaluates one branch). */
typedef int (*TdbLazyFn)(TdbEvalCtx *ctx, const TdbExprList *args, TdbValue *out);

struct TdbFuncDef {
  const char *name;        /* lower case */
  int min_args, max_args;  /* max_args -1: variadic */
  TdbScalarFn fn;          /* or NULL when lazy is set */
  TdbLazyFn lazy;
};
typedef struct TdbFuncDef TdbFuncDef;

/* Longest TEXT / BLOB / JSON a function builds (repeat, lpad, concat, ...):
** a longer result is error 54000 instead of an attempt to allocate it. */
#define TDB_FUNC_MAX_BYTES 100000000

/* Function i of the library in name order; NULL past the end. */
TDB_PRIVATE const TdbFuncDef *tdbFuncAt(int i);

/* Find a function by (lower-case) name; NULL if there is none. */
TDB_PRIVATE const TdbFuncDef *tdbFuncFind(const char *name);

/* The closest known function name to `name` by edit distance, or NULL when
** nothing is close enough to suggest. */
TDB_PRIVATE const char *tdbFuncSuggest(const char *name);

/* Edit distance (Levenshtein) of two short strings, case-insensitive;
** strings longer than 64 bytes get a large distance. */
TDB_PRIVATE int tdbEditDistance(const char *a, const char *b);

/* ---- helpers shared by the families (func.c) ---- */

/* Error 42883 "function f(TYPE) does not exist (expected WANT)". */
TDB_PRIVATE int tdbFuncArgType(TdbEvalCtx *ctx, const char *fn, const TdbValue *v,
                               const char *want);
/* Error 54000 when n bytes exceed TDB_FUNC_MAX_BYTES; TDB_OK otherwise. */
TDB_PRIVATE int tdbFuncCheckSize(TdbEvalCtx *ctx, const char *fn, uint64_t n);
/* *out = an owned value of `type` with the n bytes at z (NOMEM reported). */
TDB_PRIVATE int tdbFuncSetBytes(TdbEvalCtx *ctx, TdbValue *out, int type, const char *z,
                                size_t n);
/* *out = the text built in s (which is consumed), as `type`; reports NOMEM
** and 54000 for a result over TDB_FUNC_MAX_BYTES. */
TDB_PRIVATE int tdbFuncTakeStr(TdbEvalCtx *ctx, const char *fn, TdbStr *s, int type,
                               TdbValue *out);
/* The INTEGER argument v of fn as int64, or 42883 for another type (a REAL
** with an integral value is accepted). */
TDB_PRIVATE int tdbFuncInt(TdbEvalCtx *ctx, const char *fn, const TdbValue *v, int64_t *out);
/* Bytes of the UTF-8 character at s[0..n) (1 for a stray byte), and the byte
** offset of character k of s (n when s has fewer characters). */
TDB_PRIVATE size_t tdbUtf8CharLen(const char *s, size_t n);
TDB_PRIVATE size_t tdbUtf8Offset(const char *s, size_t n, int64_t k);
TDB_PRIVATE int64_t tdbUtf8Count(const char *s, size_t n);

/* ---- the functions (one family per file) ---- */
#define TDB_FN(name) TDB_PRIVATE int name(TdbEvalCtx *ctx, int argc, const TdbValue *argv, TdbValue *out)
/* func_string.c */
TDB_FN(tdbFnUpper); TDB_FN(tdbFnLower); TDB_FN(tdbFnLength); TDB_FN(tdbFnOctetLength);
TDB_FN(tdbFnSubstr); TDB_FN(tdbFnTrim); TDB_FN(tdbFnLtrim); TDB_FN(tdbFnRtrim);
TDB_FN(tdbFnReplace); TDB_FN(tdbFnConcat); TDB_FN(tdbFnConcatWs); TDB_FN(tdbFnLeft);
TDB_FN(tdbFnRight); TDB_FN(tdbFnLpad); TDB_FN(tdbFnRpad); TDB_FN(tdbFnReverse);
TDB_FN(tdbFnSplitPart); TDB_FN(tdbFnRepeat); TDB_FN(tdbFnStrpos); TDB_FN(tdbFnInitcap);
/* func_numeric.c */
TDB_FN(tdbFnAbs); TDB_FN(tdbFnRound); TDB_FN(tdbFnCeil); TDB_FN(tdbFnFloor); TDB_FN(tdbFnMod);
TDB_FN(tdbFnPower); TDB_FN(tdbFnSqrt); TDB_FN(tdbFnLog10); TDB_FN(tdbFnLog); TDB_FN(tdbFnLn);
TDB_FN(tdbFnExp); TDB_FN(tdbFnSign); TDB_FN(tdbFnRandom); TDB_FN(tdbFnPi); TDB_FN(tdbFnTrunc);
/* func_datetime.c */
TDB_FN(tdbFnNow); TDB_FN(tdbFnEpoch); TDB_FN(tdbFnDatePart); TDB_FN(tdbFnDateTrunc);
TDB_FN(tdbFnToChar); TDB_FN(tdbFnToTimestamp);
/* func_cond.c */
TDB_FN(tdbFnNullif); TDB_FN(tdbFnGreatest); TDB_FN(tdbFnLeast); TDB_FN(tdbFnTypeof);
TDB_PRIVATE int tdbFnCoalesce(TdbEvalCtx *ctx, const TdbExprList *args, TdbValue *out);
TDB_PRIVATE int tdbFnIf(TdbEvalCtx *ctx, const TdbExprList *args, TdbValue *out);
/* func_json.c */
TDB_FN(tdbFnJsonExtract); TDB_FN(tdbFnJsonType); TDB_FN(tdbFnJsonArrayLength);
TDB_FN(tdbFnJsonObject); TDB_FN(tdbFnJsonArray); TDB_FN(tdbFnJsonValid);


#endif /* TDB_FUNC_H */
