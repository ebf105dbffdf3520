/*
** agg.h — aggregate functions: count, sum, total, avg, min, max,
** group_concat / string_agg, bool_and, bool_or. An accumulator is a small
** struct the aggregation operator keeps per group; DISTINCT is handled by
** the operator (it feeds each distinct value once).
*/
#ifndef TDB_AGG_H
#define TDB_AGG_H

#include "expr.h"

typedef enum TdbAggKind {
  TDB_AGG_COUNT_STAR, TDB_AGG_COUNT, TDB_AGG_SUM, TDB_AGG_TOTAL, TDB_AGG_AVG,
  TDB_AGG_MIN, TDB_AGG_MAX, TDB_AGG_GROUP_CONCAT, TDB_AGG_BOOL_AND, TDB_AGG_BOOL_OR
} TdbAggKind;

typedef struct TdbAggDef {
  const char *name;
  int min_args, max_args;
  int kind;             /* TdbAggKind (count(*) is chosen by the binder) */
} TdbAggDef;

/* The state of one aggregate over one group. */
typedef struct TdbAggState {
  int64_t count;        /* rows fed (non-NULL arguments, or all for count(*)) */
  int64_t isum;         /* exact integer sum while is_real == 0 */
  double rsum;          /* REAL sum (and the integer sum once it is REAL) */
  int is_real;          /* the sum has become REAL */
  TdbValue best;        /* min / max (owned copy) */
  TdbStr text;          /* group_concat */
  int truth;            /* bool_and / bool_or: 1, 0, or -1 before any row */
} TdbAggState;

/* The aggregate called `name` (lower case), or NULL. */
TDB_PRIVATE const TdbAggDef *tdbAggFind(const char *name);
TDB_PRIVATE void tdbAggInit(TdbAggState *st, TdbMem *mem);
/* Feed one row: argv[0..argc) are the evaluated arguments (argc 0 for
** count(*)). Errors (integer overflow of sum, bad types) go to ctx->err. */
TDB_PRIVATE int tdbAggStep(TdbEvalCtx *ctx, int kind, TdbAggState *st, int argc,
                           const TdbValue *argv);
/* The result into *out (clear on entry; an owned value). */
TDB_PRIVATE int tdbAggFinal(TdbEvalCtx *ctx, int kind, TdbAggState *st, TdbValue *out);
TDB_PRIVATE void tdbAggClear(TdbMem *mem, TdbAggState *st);

#endif /* TDB_AGG_H */
