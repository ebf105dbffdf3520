/*
** func.h — the built-in scalar function library: lookup by name with
** argument-count checks and "did you mean" suggestions. docs/functions.md
** documents every function.
*/
#ifndef TDB_FUNC_H
#define TDB_FUNC_H

#include "expr.h"

/* A scalar function: argv[0..argc) are evaluated arguments (never modified);
** *out is clear on entry. */
typedef int (*TdbScalarFn)(TdbEvalCtx *ctx, int argc, const TdbValue *argv,
                           TdbValue *out);

struct TdbFuncDef {
  const char *name;     /* lower case */
  int min_args, max_args;  /* max_args -1: variadic */
  TdbScalarFn fn;
};
typedef struct TdbFuncDef TdbFuncDef;

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

#endif /* TDB_FUNC_H */
