/*
** temporal.h — the read side of system and application time
** (/work/shared/TEMPORAL.md §1.3-1.5, §1.9, §1.11; docs/temporal.md):
** the temporal clauses of a table reference or a query, how a base-table
** reference resolves them, the session's current valid time, the
** epoch-clock functions and SHOW DRIFT.
**
** Parsed clauses (one TdbTemporal per table reference or query):
**
**   FROM t FOR SYSTEM_TIME BETWEEN 3 AND 5 VALID AT 120 INCLUDING DELETED AS x
**          \_____________ sys ___________/ \__ valid __/ \__ deleted ___/
**
** Resolution, per base-table reference and per axis (§1.3): the clause on
** the reference, else the clause on the enclosing view reference (innermost
** view first), else the query-level clause, else the session default
** (system: the reader's snapshot; valid: AS OF CVT). The result is a
** TdbTemporalEff on the TdbSource; the executor turns it into epochs and
** instants when the scan opens (tdbTemporalResolve), once per statement or,
** for a correlated (lateral) clause, once per left row.
*/
#ifndef TDB_TEMPORAL_H
#define TDB_TEMPORAL_H

#include "ast.h"

/* Kinds of selection on one axis. */
#define TDB_TSEL_DEFAULT 0
#define TDB_TSEL_AS_OF 1
#define TDB_TSEL_FROM_TO 2
#define TDB_TSEL_BETWEEN 3
#define TDB_TSEL_ALL 4

/* How a system-time argument was written. */
#define TDB_TARG_ANY 0        /* AS OF x: integer epoch, '@seq:n', timestamp */
#define TDB_TARG_EPOCH 1      /* AS OF EPOCH n */
#define TDB_TARG_TIMESTAMP 2  /* AS OF TIMESTAMP ts */

#define TDB_AXIS_SYSTEM 0
#define TDB_AXIS_VALID 1

/* One axis of a clause. */
typedef struct TdbTimeSel {
  int kind;             /* TDB_TSEL_* */
  int arg;              /* TDB_TARG_* (system axis) */
  TdbExpr *a, *b;       /* AS OF: a; FROM a TO b; BETWEEN a AND b (owned) */
  TdbSpan span;
} TdbTimeSel;

/* The clauses written on one table reference or at query level; on the
** target of a write only `portion` (FOR PORTION OF APPLICATION_TIME FROM a
** TO b: kind FROM_TO, a / b NULL when unbounded; ... ALL: kind ALL). */
struct TdbTemporal {
  TdbTimeSel sys, valid;
  int including_deleted;
  TdbTimeSel portion;
  TdbSpan span;
};
typedef struct TdbTemporal TdbTemporal;

/* What a base-table reference reads, after precedence (binder). The
** selections are borrowed from the ASTs that hold them. */
struct TdbTemporalEff {
  const TdbTimeSel *sys;    /* NULL: the default (the snapshot) */
  const TdbTimeSel *valid;  /* NULL: the default (AS OF CVT) */
  int including_deleted;
  int lateral;              /* an argument reads a FROM item to the left */
  int correlated;           /* an argument reads a row (to the left or outside) */
  int sys_own;              /* sys / valid come from the reference itself */
  int valid_own;
};
typedef struct TdbTemporalEff TdbTemporalEff;

/* ---- parser builders (ownership as in ast.h) ---- */
TDB_PRIVATE TdbTemporal *tdbTemporalClause(TdbParse *p, TdbToken at, int axis, int kind, int arg,
                                           TdbExpr *a, TdbExpr *b);
TDB_PRIVATE TdbTemporal *tdbTemporalDeleted(TdbParse *p, TdbToken at);
/* FOR PORTION OF axis FROM a TO b (all = 0) or ... ALL (a, b NULL): only
** application time can be written (SYSTEM_TIME: ERR_TEMPORAL_TARGET). */
TDB_PRIVATE TdbTemporal *tdbTemporalPortion(TdbParse *p, TdbToken at, int axis, TdbExpr *a,
                                            TdbExpr *b, int all);
/* The clauses written on the target of a write statement (c consumed): a
** portion is kept in the statement; any read clause is ERR_TEMPORAL_TARGET
** (42T02). */
TDB_PRIVATE void tdbParseWriteClauses(TdbParse *p, TdbTemporal *c);
/* PATCH / SOFT DELETE / UNDELETE: the statement's kind of row write, and the
** KEY values (consumed). */
TDB_PRIVATE void tdbParseWriteOp(TdbParse *p, int row_op);
TDB_PRIVATE void tdbParseWriteKey(TdbParse *p, TdbExprList *key);
/* l and r merged (both consumed); a second clause for one axis is
** ERR_DUPLICATE_CLAUSE (42T01). */
TDB_PRIVATE TdbTemporal *tdbTemporalMerge(TdbParse *p, TdbTemporal *l, TdbTemporal *r);
TDB_PRIVATE void tdbTemporalFree(TdbMem *mem, TdbTemporal *t);
/* Attach clauses to a FROM item / to a query (query level). */
TDB_PRIVATE TdbSource *tdbSourceSetTemporal(TdbParse *p, TdbSource *src, TdbTemporal *t);
TDB_PRIVATE TdbSelect *tdbSelectSetTemporal(TdbParse *p, TdbSelect *s, TdbTemporal *t);
/* SET name = value | DEFAULT (value NULL), SHOW DRIFT t KEY values. */
TDB_PRIVATE void tdbParseSet(TdbParse *p, TdbToken name, TdbExpr *value);
TDB_PRIVATE void tdbParseShowDrift(TdbParse *p, TdbToken table, TdbExprList *key);

/* Is `name` a pseudo-column name (reserved for user columns)? */
TDB_PRIVATE int tdbPseudoColumnName(const char *name);

#endif /* TDB_TEMPORAL_H */
