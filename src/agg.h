/*
** agg.h — aggregate functions: count, sum, total, avg, min, max,
** group_concat / string_agg, bool_and, bool_or, stddev_pop / stddev_samp,
** var_pop / var_samp, approx_count_distinct. An accumulator is a small
** struct the aggregation operator keeps per group; DISTINCT and FILTER are
** handled by the operator (it feeds each distinct, qualifying value once).
** The WINDOW operator also removes values from an accumulator, for the
** aggregates that allow it (tdbAggInvertible), to slide a frame.
*/
#ifndef TDB_AGG_H
#define TDB_AGG_H

#include "expr.h"
#include "hll.h"

typedef enum TdbAggKind {
  TDB_AGG_COUNT_STAR, TDB_AGG_COUNT, TDB_AGG_SUM, TDB_AGG_TOTAL, TDB_AGG_AVG,
  TDB_AGG_MIN, TDB_AGG_MAX, TDB_AGG_GROUP_CONCAT, TDB_AGG_BOOL_AND, TDB_AGG_BOOL_OR,
  TDB_AGG_STDDEV_POP, TDB_AGG_STDDEV_SAMP, TDB_AGG_VAR_POP, TDB_AGG_VAR_SAMP,
  TDB_AGG_APPROX_COUNT_DISTINCT
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
  int64_t ntrue;        /* bool_and / bool_or: TRUE values among count */
  double mean, m2;      /* stddev / variance: Welford's running mean and sum
                           of squared deviations from it */
  TdbHll hll;           /* approx_count_distinct */
} TdbAggState;

/* The aggregate called `name` (lower case), or NULL. */
TDB_PRIVATE const TdbAggDef *tdbAggFind(const char *name);
TDB_PRIVATE void tdbAggInit(TdbAggState *st, TdbMem *mem);
/* Feed one row: argv[0..argc) are the evaluated arguments (argc 0 for
** count(*)). Errors (integer overflow of sum, bad types) go to ctx->err. */
TDB_PRIVATE int tdbAggStep(TdbEvalCtx *ctx, int kind, TdbAggState *st, int argc,
                           const TdbValue *argv);
/* The result into *out (clear on entry; an owned value). The state is left
** as it was, so more rows may be fed and the result asked for again. */
TDB_PRIVATE int tdbAggFinal(TdbEvalCtx *ctx, int kind, TdbAggState *st, TdbValue *out);
TDB_PRIVATE void tdbAggClear(TdbMem *mem, TdbAggState *st);
/* Can a value fed to an aggregate of `kind` be taken out again? */
TDB_PRIVATE int tdbAggInvertible(int kind);
/* Undo one tdbAggStep with the same arguments (invertible kinds only). */
TDB_PRIVATE int tdbAggRemove(TdbEvalCtx *ctx, int kind, TdbAggState *st, int argc,
                             const TdbValue *argv);

#endif /* TDB_AGG_H */
