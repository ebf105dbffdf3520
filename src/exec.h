/*
** exec.h — the query executor: plans (trees of operators) that exchange
** chunks of up to TDB_CHUNK_ROWS rows.
**
** A chunk (TdbChunk) is column-major: col[c][r] is the value of column c in row r, for
** r < n. A selection vector (sel[0..nsel)) names the rows that are live;
** when sel is NULL every row 0..n-1 is. Filters narrow the selection instead
** of copying rows. A NULL is a value of type TDB_TYPE_NULL (the per-value
** type tag is the null mask).
**
**   operator tree for SELECT a, count(*) FROM t WHERE b > 1 GROUP BY a
**   ORDER BY 2 LIMIT 5:
**
**     LIMIT 5
**      └─ SORT [col 1]
**          └─ PROJECT [a, count(*)]
**              └─ AGGREGATE group [a] aggs [count(*)]
**                  └─ FILTER b > 1
**                      └─ SCAN t (full | pk point | pk range | index)
**
** Ownership of batch values: a batch's values belong to the operator that
** produced it and stay valid until that operator's next call (or close).
** Operators that keep rows across calls (sort, aggregate, distinct, the
** inner side of a join) copy them.
**
** A plan node is both the description the planner built and the runtime
** state of one execution: tdbPlanOpen resets the state, so a plan can run
** many times (a correlated subquery runs once per outer row), never twice
** at once.
*/
#ifndef TDB_EXEC_H
#define TDB_EXEC_H

#include "catalog.h"
#include "expr.h"
#include "views.h"

#define TDB_CHUNK_ROWS 1024

typedef struct TdbChunk {
  int ncols;
  int n;                /* rows filled */
  TdbValue **col;       /* ncols column vectors of TDB_CHUNK_ROWS values */
  uint16_t *sel;        /* live rows, or NULL: all n */
  int nsel;
  uint16_t *sel_buf;    /* storage sel points into when set */
} TdbChunk;

/* Rows live in a batch: nsel when there is a selection vector, else n. */
#define TDB_CHUNK_LIVE(b) ((b)->sel ? (b)->nsel : (b)->n)
/* The row index of the i-th live row. */
#define TDB_CHUNK_ROW(b, i) ((b)->sel ? (int)(b)->sel[i] : (i))

typedef enum TdbPlanKind {
  TDB_PLAN_SCAN,        /* a table: access path in `access` */
  TDB_PLAN_VIEW,        /* a catalog view */
  TDB_PLAN_ONE_ROW,     /* no FROM: one row without columns */
  TDB_PLAN_FILTER,      /* child rows where pred is true */
  TDB_PLAN_JOIN,        /* child x right by join_algo / join_type (exec_join.c) */
  TDB_PLAN_AGGREGATE,   /* groups of child rows: [group keys..., aggregates...] */
  TDB_PLAN_PROJECT,     /* exprs over child rows */
  TDB_PLAN_DISTINCT,    /* first `key_cols` columns distinct */
  TDB_PLAN_SORT,        /* by sort keys */
  TDB_PLAN_LIMIT,       /* limit / offset */
  /* exec_setop.c: */
  TDB_PLAN_SETOP,       /* child `setop` right (UNION / INTERSECT / EXCEPT [ALL]) */
  TDB_PLAN_WITH,        /* the child, with the WITH queries `ctes` in scope */
  TDB_PLAN_CTE,         /* one WITH query, materialized on first use: child (and,
                           recursive, right: the recursive term) */
  TDB_PLAN_CTE_SCAN,    /* the rows of `cte` (cte_self: its working table) */
  TDB_PLAN_WINDOW       /* child rows + one column per window call (exec_window.c) */
} TdbPlanKind;

/* Table access paths. */
typedef enum TdbAccess {
  TDB_ACCESS_FULL,      /* every current row of the table */
  TDB_ACCESS_PK_POINT,  /* key = values of all primary-key columns */
  TDB_ACCESS_PK_RANGE,  /* lo <= first key column <= hi (either bound optional) */
  TDB_ACCESS_INDEX_POINT,  /* index columns = values */
  TDB_ACCESS_INDEX_RANGE,  /* lo <= first index column <= hi */
  TDB_ACCESS_PK_IN,     /* first key column IN (values) */
  TDB_ACCESS_INDEX_IN   /* first index column IN (values) */
} TdbAccess;

typedef struct TdbSortKey {
  int column;           /* column of the child's rows */
  int desc;
  int nulls_first;      /* 1 NULLs first, 0 NULLs last */
} TdbSortKey;

/* Materialized rows: nrows rows of ncols owned values each. */
typedef struct TdbRowSet {
  int ncols;
  size_t nrows, cap;
  TdbValue *v;
} TdbRowSet;

TDB_PRIVATE void tdbRowSetInit(TdbRowSet *rs, int ncols);
TDB_PRIVATE void tdbRowSetFree(TdbRowSet *rs, TdbMem *mem);
/* Remove every row (their values freed), keeping the memory for rows. */
TDB_PRIVATE void tdbRowSetClear(TdbRowSet *rs, TdbMem *mem);
/* A new row at the end (values NULL); NULL on out-of-memory. */
TDB_PRIVATE TdbValue *tdbRowSetAdd(TdbRowSet *rs, TdbMem *mem);
/* Room for n rows without growing (a size known in advance, so that the
** rows are not copied as they grow). TDB_OK or TDB_NOMEM (unchanged). */
TDB_PRIVATE int tdbRowSetReserve(TdbRowSet *rs, TdbMem *mem, size_t n);
TDB_PRIVATE TdbValue *tdbRowSetRow(const TdbRowSet *rs, size_t i);
/* Compare rows ra and rb by keys (ORDER BY rules: NULLs first or last as
** each key says, equal to each other): <0, 0, >0. An incomparable pair sets
** *failed (the error is in err) and returns 0. */
TDB_PRIVATE int tdbSortKeysCompare(TdbErr *err, const TdbValue *ra, const TdbValue *rb,
                                   const struct TdbSortKey *keys, int nkeys, int *failed);
/* Stable sort of the row numbers of rows by keys into order[0..nrows). */
/* Move rows of rs from *pos on (in `order`, or stored order when NULL) into
** out, up to a chunk, borrowing their values; advances *pos. */
TDB_PRIVATE void tdbRowSetEmit(const TdbRowSet *rs, const size_t *order, size_t *pos,
                               TdbChunk *out, int ncols);
TDB_PRIVATE int tdbRowSetSort(struct TdbExec *ex, const TdbRowSet *rows,
                              const struct TdbSortKey *keys, int nkeys, size_t *order);
typedef struct TdbExec TdbExec;
typedef struct TdbPlan TdbPlan;

struct TdbPlan {
  TdbPlanKind kind;
  int ncols;            /* width of the output rows */
  TdbPlan *child, *right;
  TdbPlan *all_next;    /* every plan of a statement, for freeing */

  /* SCAN */
  const TdbTableDef *table;
  TdbAccess access;
  const TdbIndexDef *index;
  int nkey;             /* POINT: key values given */
  TdbExpr *key[TDB_MAX_KEY_COLUMNS];  /* POINT values (borrowed from the AST) */
  TdbExpr *lo, *hi;     /* RANGE bounds, or NULL (borrowed) */
  TdbExprList *in_values; /* IN: the values (borrowed) */
  /* SCAN directly under a FILTER: the FILTER's conjuncts that compare a
  ** table column with an INTEGER constant (tdbFilterPushConds, per
  ** execution), checked on each row before it is emitted; an owned array of
  ** ncond_cap, nconds of them in use */
  struct TdbScanCond *conds;
  int nconds, ncond_cap;
  uint8_t *needed;      /* per scan column (the table's, then its pseudo-
                        ** columns): read by the query (NULL: all);
                        ** WINDOW: per child column, kept (NULL: all) */
  /* SCAN through the history (exec_history.c): the reference's temporal
  ** selections (borrowed from the AST), or NULL for a current-state read;
  ** `history` 1 makes even a default read go there (it needs a system-time
  ** pseudo-column), -1 never (the targets of a write); `hstate` is that
  ** operator's state */
  const struct TdbTemporalEff *temporal;
  int history;
  int hactive;          /* runtime: this execution reads the history */
  int hist_ordered;     /* the history scan of one key emits its versions by
                        ** (_system_from, _valid_from) when the key value
                        ** narrows it, and the SORT above passes them on
                        ** (tdbHistoryClaimOrder, tdbHistoryOrdered) */
  void *hstate;
  /* the targets of a write (history -1; dml.c sets these per execution):
  ** tgt_history reads them through the history, valid over [tgt_from,
  ** tgt_to); tgt_deleted 0: live pieces, 1: live and tombstones, 2:
  ** tombstones only. The _is_deleted pseudo-column is always filled. */
  int tgt_history, tgt_deleted;
  int64_t tgt_from, tgt_to;
  /* JOIN: the right side reads the left row (a lateral temporal clause):
  ** it is read again for every left row */
  int lateral;
  /* VIEW */
  const TdbView *view;
  /* FILTER, JOIN: predicate (borrowed; JOIN: the residual of the condition) */
  TdbExpr *pred;
  /* JOIN (exec_join.c). Its rows are scope rows of the query: every FROM
  ** item's columns at their place (first_column), items not joined yet
  ** NULL. A child that is one FROM item's own plan has its columns from
  ** scope column loff / roff on; a join child is a scope row (offset 0). */
  int join_algo;        /* TDB_JALGO_* */
  int join_type;        /* TDB_JTYPE_*: which unmatched rows are kept */
  int build_left;       /* HASH: the left child is the build side */
  int nkeys;            /* equi-join keys: lkeys[i] = rkeys[i] (owned arrays) */
  TdbExpr **lkeys, **rkeys;
  int loff, roff;
  int nlseg, nrseg;     /* column copies child -> output: (from, to, count) triples */
  int *lseg, *rseg;
  int nmerge;           /* merged USING columns: (out, left, right) triples */
  int *merge;
  TdbPlan *param_scan;  /* INDEX: the inner SCAN keyed by the outer row */
  /* SCAN under an INDEX join: key values are read from this row */
  const TdbEvalCtx *param_row;
  /* AGGREGATE */
  TdbExprList *group_by;  /* borrowed */
  int naggs;
  TdbExpr **aggs;         /* borrowed FUNC nodes */
  /* WINDOW: the window calls (borrowed FUNC nodes, kind AGGREF) */
  int nwins;
  TdbExpr **wins;
  /* PROJECT */
  int nexprs;
  TdbExpr **exprs;        /* borrowed, ncols of them */
  /* DISTINCT: key_cols; SORT: keys; LIMIT: limit/offset exprs (borrowed) */
  int key_cols;
  int nsort;
  TdbSortKey *sort;
  /* SORT: a history scan below that may deliver this order itself
  ** (tdbHistoryClaimOrder); when it does, the SORT passes its input on */
  TdbPlan *presorted;
  TdbExpr *limit, *offset;
  /* FILTER over one FROM item of a join: the predicate's column numbers
  ** are those of the scope row, where the item's columns start here */
  int col_offset;
  /* FILTER: the current-state primary-key point SCAN below (through other
  ** FILTERs) looks up exactly the key this equality predicate names
  ** (tdbPlanMarkImplied). While that scan reads its key in point mode,
  ** every row it returns satisfies pred and the FILTER passes rows on. */
  TdbPlan *implied_by;
  /* SETOP: TdbSetOp; CTE (recursive): TDB_SETOP_UNION or UNION_ALL */
  int setop;
  /* WITH: its queries; CTE_SCAN: the CTE node read; CTE: its name */
  int nctes;
  TdbPlan **ctes;
  TdbPlan *cte;
  int cte_self;
  const char *cte_name;
  /* subquery result cache (the root plan of an uncorrelated subquery) */
  uint64_t cache_serial;
  int cache_ok;
  TdbValue cache_value;   /* scalar subquery / EXISTS */
  TdbValue *cache_set;    /* IN (subquery): the values */
  int cache_n, cache_null;

  /* planner estimates and EXPLAIN ANALYZE measurements */
  double est_rows, est_cost;
  int64_t actual_rows;
  int64_t actual_ns;
  int64_t loops;

  /* runtime */
  TdbChunk out;
  int opened, done;
  void *state;          /* operator-specific (exec.c) */
};

/* Join algorithms. */
#define TDB_JALGO_NL 0      /* nested loop over the materialized right side */
#define TDB_JALGO_HASH 1    /* hash table over the build side, probed by chunks */
#define TDB_JALGO_MERGE 2   /* both sides ordered on the key */
#define TDB_JALGO_INDEX 3   /* the right side's key looked up per left row */
#define TDB_JALGO_LATERAL 4 /* the right side opened again per left row: its temporal
                               clause reads the left row (ex->lateral) */
/* Join types (which rows come out besides the matched pairs). */
#define TDB_JTYPE_INNER 0
#define TDB_JTYPE_LEFT 1    /* left rows without a match, right side NULL */
#define TDB_JTYPE_FULL 2    /* also right rows without a match */
#define TDB_JTYPE_SEMI 3    /* left rows with a match (left columns only) */
#define TDB_JTYPE_ANTI 4    /* left rows without a match */
#define TDB_JTYPE_NOT_IN 5  /* ANTI with NOT IN's NULLs: one key; nothing when the
                               right side has a NULL, everything when it is empty */

typedef struct TdbVecPool TdbVecPool;  /* scratch vectors (vexpr.c) */

/* What one execution of a statement needs. */
struct TdbExec {
  struct tdb *db;
  TdbMem *mem;
  TdbErr *err;
  const TdbValue *params;
  int nparams;
  uint64_t snapshot;    /* store epoch the statement reads (0: head) */
  int64_t cvt;          /* current valid time of the statement (µs) */
  int64_t now;          /* statement start time (µs) */
  uint64_t serial;      /* bumped per execution: invalidates subquery caches */
  int analyze;          /* EXPLAIN ANALYZE: time operators */
  int cvt_fixed;        /* the CVT is the session's fixed one (SET CURRENT_VALID_TIME) */
  int64_t current_bound; /* wall(head) at the start: the current rows of a table
                           answer reads at valid times >= max(it, the table's
                           kept bound) (temporal_session.h) */
  const TdbEvalCtx *lateral;  /* the left row a lateral right side is opened for */
  TdbVecPool *pool;     /* scratch vectors, owned by the statement */
};

/* Vector evaluation over the live rows of a chunk (vexpr.c). */
typedef struct TdbVecCtx {
  TdbExec *ex;
  const TdbEvalCtx *outer;
  const TdbChunk *chunk;
} TdbVecCtx;

/* Evaluate e for rows sel[0..n) of vc->chunk: *res[sel[i]] are the
** values. *res is the chunk's column (a column reference) or a scratch
** vector from the pool, released with tdbVecRelease(mark, sel, n) where
** mark was tdbVecMark before the call. */
TDB_PRIVATE int tdbVecEval(TdbVecCtx *vc, const TdbExpr *e, const uint16_t *sel, int n,
                           TdbValue **res);
TDB_PRIVATE int tdbVecMark(TdbVecCtx *vc);
TDB_PRIVATE void tdbVecRelease(TdbVecCtx *vc, int mark, const uint16_t *sel, int n);
TDB_PRIVATE TdbVecPool *tdbVecPoolNew(TdbMem *mem);
TDB_PRIVATE void tdbVecPoolFree(TdbMem *mem, TdbVecPool *pool);

/* Scan rows of a table: its columns, then the pseudo-columns below
** (TEMPORAL.md §1.5; the rowid only for a table without a declared key). */
#define TDB_PSEUDO_ROWID 0
#define TDB_PSEUDO_VALID_FROM 1
#define TDB_PSEUDO_VALID_TO 2
#define TDB_PSEUDO_SYSTEM_FROM 3
#define TDB_PSEUDO_SYSTEM_TO 4
#define TDB_PSEUDO_SYSTEM_FROM_TIME 5
#define TDB_PSEUDO_SYSTEM_TO_TIME 6
#define TDB_PSEUDO_ROW_OP 7
#define TDB_PSEUDO_IS_DELETED 8
#define TDB_PSEUDO_COUNT 9
/* Width of a scan of t, and where pseudo-column k is (-1 if t has none). */
TDB_PRIVATE int tdbScanWidth(const TdbTableDef *t);
TDB_PRIVATE int tdbScanPseudo(const TdbTableDef *t, int k);

TDB_PRIVATE int tdbChunkInit(TdbChunk *b, TdbMem *mem, int ncols);
TDB_PRIVATE void tdbChunkReset(TdbChunk *b, TdbMem *mem);  /* clear values, n = 0 */
/* n = 0 without looking at the values: only for a chunk that owns none of
** them (every value borrowed), where clearing would walk every column of
** every row for nothing. */
TDB_PRIVATE void tdbChunkForget(TdbChunk *b);
TDB_PRIVATE void tdbChunkFree(TdbChunk *b, TdbMem *mem);

/* Allocate a plan node of `kind` linked into *all (freed by tdbPlanFreeAll). */
TDB_PRIVATE TdbPlan *tdbPlanNew(TdbMem *mem, TdbPlan **all, int kind, int ncols);
TDB_PRIVATE void tdbPlanFreeAll(TdbMem *mem, TdbPlan *all);

/* Run a plan: open, then next until it returns 0 rows, then close. `outer`
** is the enclosing query's row for correlated references (or NULL). next
** sets *out to the plan's batch (live rows may be 0 only at the end). */
TDB_PRIVATE int tdbPlanOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer);
TDB_PRIVATE int tdbPlanNext(TdbExec *ex, TdbPlan *p, TdbChunk **out);
TDB_PRIVATE void tdbPlanClose(TdbExec *ex, TdbPlan *p);

/* The direct primary-key lookup (exec.c). A SELECT whose plan is a PROJECT
** of plain columns over FILTERs that a current-state primary-key point SCAN
** implies (tdbPlanMarkImplied) reads its row without opening the plan tree:
** tdbPointScanOf gives that SCAN (NULL for any other plan); output column
** c of the statement is then column root->exprs[c]->column of the scan's
** chunk. tdbPointScanRun runs the lookup: *ran 1 and the scan's chunk
** holds the row (or none), or *ran 0 when this execution needs the plan tree
** (a history read, a key value with no exact conversion to the key type),
** with nothing left open. The FILTERs are skipped: in point mode every row
** the scan returns satisfies them. */
TDB_PRIVATE TdbPlan *tdbPointScanOf(const TdbPlan *root);
TDB_PRIVATE int tdbPointScanRun(TdbExec *ex, TdbPlan *scan, int *ran);

/* Evaluate a subquery expression (SUBQUERY, EXISTS, IN_SELECT) for the row
** of ctx. Called by tdbExprEval. */
TDB_PRIVATE int tdbExecSubquery(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out);

/* An evaluation context for row r of batch b. */
TDB_PRIVATE void tdbExecEvalCtx(TdbExec *ex, TdbEvalCtx *ctx, const TdbEvalCtx *outer,
                                const TdbChunk *b, int r);

/* Append a hashable, equality-preserving encoding of v (GROUP BY, DISTINCT,
** set operations): NULLs are equal, and 1 and 1.0 encode alike. */
TDB_PRIVATE void tdbValueHashKey(TdbStr *out, const TdbValue *v);

/* The operators of exec_setop.c, dispatched from exec.c's generic calls. */
TDB_PRIVATE int tdbSetOpPlanOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer);
TDB_PRIVATE int tdbSetOpPlanNext(TdbExec *ex, TdbPlan *p, TdbChunk **out);
TDB_PRIVATE void tdbSetOpPlanClose(TdbExec *ex, TdbPlan *p);  /* its other inputs */
TDB_PRIVATE void tdbSetOpFreeState(TdbMem *mem, TdbPlan *p);
TDB_PRIVATE void tdbSetOpExplain(TdbStr *out, const TdbPlan *p);

/* The history scan (exec_history.c): a SCAN whose table reference has
** temporal selections, or a default read the current rows cannot answer. */
TDB_PRIVATE int tdbHistoryWanted(TdbExec *ex, const TdbPlan *p, int *wanted);
TDB_PRIVATE int tdbHistoryOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer);
/* A valid-time argument (not NULL) as an instant: an integer as it is, a
** timestamp or ISO-8601 text in µs; other types are ERR_TYPE (42804). */
TDB_PRIVATE int tdbValidInstant(TdbExec *ex, const TdbValue *v, int64_t *t);
TDB_PRIVATE int tdbHistoryNext(TdbExec *ex, TdbPlan *p);
TDB_PRIVATE void tdbHistoryFree(TdbMem *mem, TdbPlan *p);
/* Planner: `below` is the input of an ORDER BY with these keys (columns of
** below's rows). When it is a PROJECT over FILTERs over a system-time
** history scan of one primary key and the keys are `_system_from [,
** _valid_from]` ascending with NULLs first, the scan may deliver that order
** (its hist_ordered is set) and this returns the scan, for the SORT's
** `presorted`; else NULL. */
TDB_PRIVATE TdbPlan *tdbHistoryClaimOrder(TdbPlan *below, const TdbSortKey *keys, int nkeys);
/* Does the claimed scan (tdbHistoryClaimOrder's result) deliver that order
** in this execution (opened, through the history, narrowed to its key)? */
TDB_PRIVATE int tdbHistoryOrdered(const TdbPlan *scan);
/* Join operator (exec_join.c). */
TDB_PRIVATE int tdbJoinOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer);
TDB_PRIVATE int tdbJoinNext(TdbExec *ex, TdbPlan *p, TdbChunk **out);
TDB_PRIVATE void tdbJoinFree(TdbMem *mem, TdbPlan *p);
TDB_PRIVATE void tdbJoinExplain(TdbStr *out, const TdbPlan *p);
/* A SEMI / ANTI / NOT_IN join hands out its left child's chunks. */
#define TDB_JOIN_PASSES_LEFT(p) \
  ((p)->kind == TDB_PLAN_JOIN && (p)->join_type >= TDB_JTYPE_SEMI)

/* Chunk live rows as a selection (identity when c has none). */
TDB_PRIVATE const uint16_t *tdbChunkSelection(TdbChunk *c, int *n);

/* EXPLAIN text of a plan tree (ANALYZE figures when measured). */
TDB_PRIVATE void tdbPlanExplain(TdbStr *out, const TdbPlan *p, const char *sql, int analyze);

#endif /* TDB_EXEC_H */
