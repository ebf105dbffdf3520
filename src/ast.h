/*
** ast.h — the abstract syntax tree the parser builds (grammar/parse.y).
**
** Parser actions are one-line calls into the builders below. Builders take
** ownership of their children: on out-of-memory they free what they were
** given, record TDB_NOMEM in the parse context and return NULL, so every
** action can pass NULL children along and the tree is freed exactly once.
** Every node remembers the byte span of SQL it came from, for error
** positions and for naming result columns.
*/
#ifndef TDB_AST_H
#define TDB_AST_H

#include "value.h"

/* Expression node kinds. */
typedef enum TdbExprKind {
  TDB_EXPR_LITERAL,   /* value */
  TDB_EXPR_PARAM,     /* $n or ?: param (1-based) */
  TDB_EXPR_COLUMN,    /* [table.]name */
  TDB_EXPR_STAR,      /* * or table.* in a select list */
  TDB_EXPR_UNARY,     /* op left: TDB_OP_NEG, TDB_OP_PLUS, TDB_OP_NOT */
  TDB_EXPR_BINARY,    /* left op right */
  TDB_EXPR_IS,        /* left IS [NOT] NULL / TRUE / FALSE / DISTINCT FROM right */
  TDB_EXPR_BETWEEN,   /* left [NOT] BETWEEN right AND third */
  TDB_EXPR_IN_LIST,   /* left [NOT] IN (list) */
  TDB_EXPR_LIKE,      /* left [NOT] LIKE|ILIKE|GLOB right [ESCAPE third] */
  TDB_EXPR_CASE,      /* CASE [left] WHEN list[2i] THEN list[2i+1] ... ELSE right */
  TDB_EXPR_CAST,      /* CAST(left AS cast_type) */
  TDB_EXPR_FUNC,      /* name(list), star for COUNT(*), distinct flag */
  TDB_EXPR_SUBQUERY,  /* (SELECT ...): a scalar subquery, select */
  TDB_EXPR_EXISTS,    /* [NOT] EXISTS (select) */
  TDB_EXPR_IN_SELECT, /* left [NOT] IN (select) */
  TDB_EXPR_AGGREF,    /* set by the binder: aggregate result `column` of the
                         aggregation row, or a window function's result
                         column of the WINDOW operator's row (the FUNC keeps
                         its name, arguments, filter and window) */
  TDB_EXPR_JSON,      /* left -> right (op 0) or left ->> right (op 1) */
  TDB_EXPR_QUANTIFIED, /* left op ANY|SOME|ALL (select): op a comparison, quant_all */
  TDB_EXPR_PERIOD     /* PERIOD(a, b) op PERIOD(c, d) / CONTAINS t: op TDB_PERIOD_*,
                         list [a, b, c, d] or [a, b, t] (period.h) */
} TdbExprKind;

/* Operators (binary and unary). */
typedef enum TdbOp {
  TDB_OP_ADD, TDB_OP_SUB, TDB_OP_MUL, TDB_OP_DIV, TDB_OP_MOD,
  TDB_OP_CONCAT,
  TDB_OP_EQ, TDB_OP_NE, TDB_OP_LT, TDB_OP_LE, TDB_OP_GT, TDB_OP_GE,
  TDB_OP_AND, TDB_OP_OR,
  TDB_OP_NEG, TDB_OP_PLUS, TDB_OP_NOT,
  TDB_OP_IS_NULL, TDB_OP_IS_TRUE, TDB_OP_IS_FALSE, TDB_OP_IS_DISTINCT,
  TDB_OP_LIKE, TDB_OP_ILIKE, TDB_OP_GLOB
} TdbOp;

typedef struct TdbExpr TdbExpr;
typedef struct TdbExprList TdbExprList;

/* A span of the SQL text: [start, end) byte offsets. */
typedef struct TdbSpan {
  uint32_t start, end;
} TdbSpan;

struct TdbExpr {
  uint8_t kind;       /* TdbExprKind */
  uint8_t op;         /* TdbOp for UNARY, BINARY, IS, LIKE */
  uint8_t negated;    /* NOT variant of IS / BETWEEN / IN / LIKE */
  uint8_t distinct;   /* FUNC: name(DISTINCT ...) */
  uint8_t star;       /* FUNC: name(*) */
  uint8_t resolved;   /* COLUMN: bound when made (a `*` expansion) */
  uint8_t quant_all;  /* QUANTIFIED: 1 ALL, 0 ANY / SOME */
  int cast_type;      /* CAST: TDB_TYPE_* */
  int param;          /* PARAM: 1-based index */
  int column;         /* COLUMN: index in the source row, set by the binder */
  int depth;          /* COLUMN: 0 = this query's row, 1 = the enclosing
                         query's (a correlated reference), ... */
  int agg;            /* FUNC: index of the aggregate (binder), -1 if scalar */
  const struct TdbFuncDef *func;  /* FUNC: the function, set by the binder */
  const struct TdbAggDef *aggdef; /* FUNC: the aggregate, set by the binder */
  TdbValue value;     /* LITERAL (owns its bytes) */
  char *name;         /* COLUMN / FUNC / STAR qualifier: identifier (owned) */
  char *table;        /* COLUMN: qualifier or NULL (owned) */
  TdbExpr *left, *right, *third;
  TdbExprList *list;
  struct TdbSelect *select;  /* SUBQUERY, EXISTS, IN_SELECT, QUANTIFIED */
  struct TdbPlan *plan;      /* SUBQUERY, EXISTS, IN_SELECT: set by the planner */
  TdbExpr *filter;    /* FUNC: aggregate FILTER (WHERE filter), or NULL (owned) */
  struct TdbWindowDef *over;  /* FUNC: OVER window, or NULL (owned) */
  int win;            /* FUNC with over: index of the window call (binder), -1 */
  const struct TdbWinFuncDef *windef; /* FUNC: a window-only function (binder) */
  TdbSpan span;
};

/* Window frames: units, and the kinds of the start and end bounds. */
#define TDB_FRAME_DEFAULT 0   /* no frame clause */
#define TDB_FRAME_ROWS 1
#define TDB_FRAME_RANGE 2
#define TDB_BOUND_UNBOUNDED_PRECEDING 1
#define TDB_BOUND_PRECEDING 2       /* offset PRECEDING */
#define TDB_BOUND_CURRENT_ROW 3
#define TDB_BOUND_FOLLOWING 4       /* offset FOLLOWING */
#define TDB_BOUND_UNBOUNDED_FOLLOWING 5

/* One bound of a frame as the parser hands it up. */
typedef struct TdbFrameBound {
  int kind;           /* TDB_BOUND_* */
  TdbExpr *offset;    /* PRECEDING / FOLLOWING: the offset (owned), else NULL */
} TdbFrameBound;

/* A window: OVER (...), OVER name, or an item of the WINDOW clause.
**
**   OVER ( [base] [PARTITION BY ...] [ORDER BY ...] [ROWS|RANGE frame] )
**
** `base` names a window of the WINDOW clause whose parts this one starts
** from; the binder copies them in (ast_window.c), so after binding every
** window call owns complete partition, order and frame parts. */
typedef struct TdbWindowDef {
  char *name;         /* WINDOW clause item: its name (owned), else NULL */
  char *base;         /* the referenced window (owned), or NULL */
  int bare_ref;       /* OVER name (no parentheses): the window as it is */
  TdbExprList *partition_by;  /* or NULL (owned) */
  TdbExprList *order_by;      /* or NULL (owned) */
  int units;          /* TDB_FRAME_* */
  TdbFrameBound start, end;
  TdbSpan span;
  struct TdbWindowDef *next;  /* the next item of a WINDOW clause (owned) */
} TdbWindowDef;

/* One item of an expression list: an expression with an optional alias and,
** in ORDER BY, a direction. */
typedef struct TdbExprItem {
  TdbExpr *expr;
  char *alias;        /* owned, or NULL */
  int8_t desc;        /* ORDER BY: 1 = DESC */
  int8_t nulls;       /* ORDER BY: 0 default, 1 NULLS FIRST, 2 NULLS LAST */
} TdbExprItem;

struct TdbExprList {
  int n, cap;
  TdbExprItem *items;
};

/* Join kinds between a FROM item and the items before it. */
typedef enum TdbJoinKind {
  TDB_JOIN_CROSS,     /* `,` or CROSS JOIN */
  TDB_JOIN_INNER,     /* [INNER] JOIN ... ON */
  TDB_JOIN_LEFT,      /* LEFT [OUTER] JOIN ... ON */
  TDB_JOIN_RIGHT,     /* RIGHT [OUTER] JOIN ... ON */
  TDB_JOIN_FULL       /* FULL [OUTER] JOIN ... ON */
} TdbJoinKind;
/* Or-ed into the parser's join kind for NATURAL joins. */
#define TDB_JOIN_NATURAL 16

/* The join tree of a FROM clause, built by the binder (binder.c, "joins").
** FROM items are the leaves, numbered in FROM order; a join node joins the
** items of its left subtree with those of its right one. A join's USING
** columns (also NATURAL's) appear once in the joined row: INNER and LEFT
** take the left side's column, RIGHT and FULL a merged column (the left
** value unless NULL, else the right one) kept in an extra slot of the scope
** row after every item's columns. */
typedef struct TdbJoinNode {
  int kind;           /* TdbJoinKind, or -1 for a leaf */
  int left, right;    /* join: child node indexes */
  struct TdbSource *src;  /* leaf: the item; join: the item that holds on/using */
  struct TdbExpr *on; /* join: the condition (borrowed from src->on), or NULL */
  uint64_t leaves;    /* bit i: FROM item i is below */
  int nusing;         /* USING / NATURAL columns */
  int *use_left, *use_right, *use_out; /* scope columns: the two sides, the result */
} TdbJoinNode;

typedef struct TdbJoinTree {
  int n, root;
  TdbJoinNode *nodes;
  int nleaves;
  int has_using;      /* some join has USING / NATURAL columns */
  int slot_first, nslots; /* merged-column slots in the scope row */
  struct TdbSource **leaf; /* leaf i's item */
} TdbJoinTree;
TDB_PRIVATE void tdbJoinTreeFree(TdbMem *mem, TdbJoinTree *jt);

/* An item of FROM: a named relation (table, view, catalog view) or a
** derived table, with an optional alias; joined to the items before it. */
typedef struct TdbSource {
  char *name;         /* owned, folded like identifiers; NULL: derived table */
  char *alias;        /* owned, or NULL */
  struct TdbSelect *subquery;  /* derived table (owned), or NULL */
  int join;           /* TdbJoinKind with the items before it */
  int natural;        /* NATURAL join */
  struct TdbExpr *on; /* join condition, or NULL (USING: made by the binder) */
  struct TdbNameList *using_names; /* USING (columns), or NULL */
  /* parenthesized joins: groups that open before this item / close after it */
  uint8_t nopen, nclose;
  TdbSpan span;
  struct TdbSource *next;      /* the next item of the FROM list (owned) */
  /* set by the binder: */
  const struct TdbView *view;       /* a catalog view */
  const struct TdbTableDef *table;  /* a table */
  struct TdbSelect *view_select;    /* a user view's parsed body (owned) */
  struct TdbCte *cte;  /* a WITH query of an enclosing statement (borrowed) */
  int cte_self;       /* that reference is the recursive one (the working table) */
  int first_column;   /* offset of this item's columns in the scope row */
  int ncolumns;
  /* temporal clauses written on the item (temporal.h), or NULL (owned);
  ** set by the binder for a base table: what it reads (owned) */
  struct TdbTemporal *temporal;
  struct TdbTemporalEff *eff;
} TdbSource;

/* Compound SELECT operators (TdbSelect.op). WRAP: a parenthesized SELECT
** with its own ORDER BY / LIMIT / WITH that gets another one around it. */
typedef enum TdbSetOp {
  TDB_SETOP_NONE,
  TDB_SETOP_UNION, TDB_SETOP_UNION_ALL,
  TDB_SETOP_INTERSECT, TDB_SETOP_INTERSECT_ALL,
  TDB_SETOP_EXCEPT, TDB_SETOP_EXCEPT_ALL,
  TDB_SETOP_WRAP
} TdbSetOp;

/* One WITH query: name [(columns)] AS (body). */
typedef struct TdbCte {
  char *name;
  struct TdbNameList *columns;  /* or NULL */
  struct TdbSelect *body;
  TdbSpan span;
  /* set by the binder: */
  int ncols;
  char **colnames;    /* ncols (owned) */
  int *coltypes;      /* ncols static types, -1 unknown (owned) */
  int recursive;      /* body is `non-recursive UNION [ALL] recursive` reading itself */
  int nself;          /* recursive references seen */
  /* set by the planner: the TDB_PLAN_CTE node */
  struct TdbPlan *plan;
} TdbCte;

/* WITH [RECURSIVE] cte, ... (owned by the SELECT it introduces). */
typedef struct TdbWith {
  int recursive;
  int n, cap;
  TdbCte **items;
} TdbWith;

/* SELECT. */
typedef struct TdbSelect {
  TdbExprList *columns;
  TdbSource *from;    /* list, or NULL */
  TdbExpr *where;     /* or NULL */
  TdbExprList *group_by;
  TdbExpr *having;
  TdbExprList *order_by;
  TdbExpr *limit, *offset;
  int distinct;
  int op;             /* TdbSetOp: a compound of left and right (columns NULL) */
  struct TdbSelect *left, *right;
  TdbWith *with;      /* WITH queries visible in this SELECT, or NULL */
  TdbWindowDef *windows;  /* WINDOW clause, or NULL (owned) */
  /* set by the binder: */
  int *coltypes;      /* nresult static result types, -1 unknown (owned) */
  int nsource_cols;   /* width of the FROM row */
  int naggs;          /* aggregate calls (TDB_EXPR_FUNC with agg >= 0) */
  TdbExpr **aggs;     /* borrowed pointers to them, naggs entries */
  int nwins;          /* window function calls (TDB_EXPR_FUNC with over) */
  TdbExpr **wins;     /* borrowed pointers to them, nwins entries */
  int grouped;        /* GROUP BY or aggregates: rows are groups */
  int nresult;        /* visible result columns (columns->n after * expansion) */
  int nsort_extra;    /* ORDER BY keys computed beside the result columns */
  int *sort_col;      /* ORDER BY item i sorts by projected column sort_col[i] */
  char **colnames;    /* nresult result column names (owned) */
  int correlated;     /* refers to columns of an enclosing query */
  TdbJoinTree *jtree; /* the FROM clause's joins (binder; owned), or NULL */
  struct TdbPlan *plan;
  struct TdbTemporal *temporal;  /* query-level temporal clauses (temporal.h), or NULL */
} TdbSelect;

/* A column definition of CREATE TABLE / ALTER TABLE ADD COLUMN. */
typedef struct TdbColumnSpec {
  char *name;
  int type;           /* TDB_TYPE_* */
  int dim;            /* VECTOR(n): n */
  int notnull, primary, unique;
  TdbExpr *dflt;      /* DEFAULT expression, or NULL */
  TdbSpan dflt_span;
  TdbSpan span;
} TdbColumnSpec;

/* A table constraint: PRIMARY KEY (...), UNIQUE (...) or CHECK (...). */
typedef struct TdbConstraintSpec {
  int kind;           /* TDB_CONS_* */
  char **names;       /* PRIMARY KEY / UNIQUE columns */
  int nnames;
  TdbExpr *check;     /* CHECK expression */
  TdbSpan span;
} TdbConstraintSpec;

#define TDB_CONS_PRIMARY 1
#define TDB_CONS_UNIQUE 2
#define TDB_CONS_CHECK 3

/* A list of names: INSERT columns, index columns. */
typedef struct TdbNameList {
  int n, cap;
  char **names;
  TdbSpan *spans;
  int8_t *desc;
} TdbNameList;

typedef enum TdbStmtKind {
  TDB_STMT_SELECT,
  TDB_STMT_CREATE_TABLE,
  TDB_STMT_CREATE_INDEX,
  TDB_STMT_CREATE_VIEW,
  TDB_STMT_DROP,          /* object: TDB_OBJ_* */
  TDB_STMT_ALTER,         /* alter: TDB_ALTER_* */
  TDB_STMT_INSERT,
  TDB_STMT_UPDATE,
  TDB_STMT_DELETE,
  TDB_STMT_SHOW_TABLES,
  TDB_STMT_DESCRIBE,
  TDB_STMT_ANALYZE,
  TDB_STMT_SET,           /* SET name = where (NULL: DEFAULT) (temporal.c) */
  TDB_STMT_SHOW_DRIFT,    /* SHOW DRIFT name KEY set (temporal.c) */
  TDB_STMT_BEGIN,         /* transaction control (txn.c) */
  TDB_STMT_COMMIT,
  TDB_STMT_ROLLBACK,
  TDB_STMT_SAVEPOINT,     /* name: the savepoint */
  TDB_STMT_ROLLBACK_TO,
  TDB_STMT_RELEASE,
  /* backup.c: name = the directory; where = the SINCE EPOCH expression */
  TDB_STMT_BACKUP,
  TDB_STMT_RESTORE,
  TDB_STMT_VERIFY_BACKUP,
  /* purge.c: name = the table (NULL: every table); where = the BEFORE EPOCH
  ** expression / name = the table; set = the KEY values or where = the
  ** predicate */
  TDB_STMT_PURGE_HISTORY,
  TDB_STMT_PURGE
} TdbStmtKind;

#define TDB_OBJ_TABLE 1
#define TDB_OBJ_INDEX 2
#define TDB_OBJ_VIEW 3

#define TDB_ALTER_ADD_COLUMN 1
#define TDB_ALTER_DROP_COLUMN 2
#define TDB_ALTER_RENAME_COLUMN 3
#define TDB_ALTER_RENAME_TABLE 4

/* Conflict handling of INSERT: plain, OR REPLACE (REPLACE INTO), OR IGNORE. */
#define TDB_CONFLICT_ABORT 0
#define TDB_CONFLICT_REPLACE 1
#define TDB_CONFLICT_IGNORE 2

/* One parsed statement. Which fields are used depends on kind; all are
** owned and freed by tdbAstStmtFree. */
typedef struct TdbAstStmt {
  TdbStmtKind kind;
  int explain;            /* 1 EXPLAIN, 2 EXPLAIN ANALYZE */
  TdbSelect *select;      /* SELECT; INSERT ... SELECT; CREATE VIEW body */
  char *name;             /* table / index / view name */
  TdbSpan name_span;
  char *name2;            /* CREATE INDEX: the table; ALTER: a column or new name */
  char *name3;            /* ALTER RENAME COLUMN: the new name */
  TdbSpan name2_span;
  int if_exists;          /* IF [NOT] EXISTS */
  int object;             /* DROP: TDB_OBJ_* */
  int alter;              /* ALTER: TDB_ALTER_* */
  int unique;             /* CREATE UNIQUE INDEX */
  int conflict;           /* INSERT: TDB_CONFLICT_* */
  int default_values;     /* INSERT ... DEFAULT VALUES */
  TdbColumnSpec *cols;    /* CREATE TABLE columns; ALTER ADD: one */
  int ncols, cap_cols;
  TdbConstraintSpec *cons;/* CREATE TABLE table constraints */
  int ncons, cap_cons;
  TdbNameList *names;     /* INSERT columns; CREATE INDEX columns; UPDATE SET targets */
  TdbExprList **rows;     /* INSERT VALUES rows */
  int nrows, cap_rows;
  TdbExprList *set;       /* UPDATE SET values (parallel to names) */
  TdbExpr *where;         /* UPDATE / DELETE */
  TdbExprList *returning; /* INSERT / UPDATE / DELETE RETURNING */
  char *alias;            /* UPDATE / DELETE target alias */
  /* temporal writes (TEMPORAL.md §1.6; dml.c): UPDATE is also PATCH, DELETE
  ** also SOFT DELETE and UNDELETE */
  int row_op;             /* UPDATE / DELETE: TDB_ROW_OP_* of the statement */
  struct TdbTemporal *wclauses; /* FOR PORTION OF ... (temporal.h: portion) */
  TdbExprList *key;       /* PATCH / SOFT DELETE / UNDELETE ... KEY values */
  uint32_t body_start;    /* CREATE VIEW: offset of the body's SELECT */
  TdbSpan span;
} TdbAstStmt;

/* The parse context shared by the lexer driver and the grammar actions. */
typedef struct TdbParse {
  TdbMem *mem;
  TdbErr *err;
  const char *sql;      /* whole statement text being parsed */
  int rc;               /* first error: TDB_OK until something fails */
  int depth;            /* expression nesting, bounded by TDB_MAX_EXPR_DEPTH */
  int nparam;           /* highest parameter index used */
  int next_qmark;       /* the index the next `?` gets */
  TdbAstStmt *stmt;     /* the result (DDL rules build it in place) */
} TdbParse;

/* A token as the lexer hands it to the parser. */
typedef struct TdbToken {
  const char *z;        /* points into TdbParse.sql */
  uint32_t n;
} TdbToken;

TDB_PRIVATE TdbSpan tdbSpanOfToken(TdbParse *p, TdbToken t);
TDB_PRIVATE TdbSpan tdbSpanJoin(TdbSpan a, TdbSpan b);

/* ---- builders (take ownership of their arguments) ---- */
TDB_PRIVATE TdbExpr *tdbExprInteger(TdbParse *p, TdbToken t);
TDB_PRIVATE TdbExpr *tdbExprReal(TdbParse *p, TdbToken t);
TDB_PRIVATE TdbExpr *tdbExprString(TdbParse *p, TdbToken t);
TDB_PRIVATE TdbExpr *tdbExprBlob(TdbParse *p, TdbToken t);
TDB_PRIVATE TdbExpr *tdbExprNull(TdbParse *p, TdbToken t);
TDB_PRIVATE TdbExpr *tdbExprBool(TdbParse *p, TdbToken t, int value);
TDB_PRIVATE TdbExpr *tdbExprParam(TdbParse *p, TdbToken t);
TDB_PRIVATE TdbExpr *tdbExprColumn(TdbParse *p, TdbToken *table, TdbToken name);
/* A column reference by name (copied), for statements rewritten after
** parsing (PATCH ... KEY k becomes WHERE pk = k); span: where to point
** errors. */
TDB_PRIVATE TdbExpr *tdbExprColumnNamed(TdbParse *p, const char *name, TdbSpan span);
TDB_PRIVATE TdbExpr *tdbExprStar(TdbParse *p, TdbToken *table, TdbToken star);
TDB_PRIVATE TdbExpr *tdbExprUnary(TdbParse *p, TdbToken optok, int op, TdbExpr *e);
TDB_PRIVATE TdbExpr *tdbExprBinary(TdbParse *p, int op, TdbExpr *l, TdbExpr *r);
/* IS family: op is TDB_OP_IS_NULL/TRUE/FALSE (r NULL) or IS_DISTINCT. `end`
** is the last token, for the span. */
TDB_PRIVATE TdbExpr *tdbExprIs(TdbParse *p, int op, int negated, TdbExpr *l,
                               TdbExpr *r, TdbToken end);
TDB_PRIVATE TdbExpr *tdbExprBetween(TdbParse *p, int negated, TdbExpr *e,
                                    TdbExpr *lo, TdbExpr *hi);
TDB_PRIVATE TdbExpr *tdbExprInList(TdbParse *p, int negated, TdbExpr *e,
                                   TdbExprList *list, TdbToken end);
TDB_PRIVATE TdbExpr *tdbExprLike(TdbParse *p, int op, int negated, TdbExpr *e,
                                 TdbExpr *pattern, TdbExpr *escape);
TDB_PRIVATE TdbExpr *tdbExprCase(TdbParse *p, TdbToken start, TdbExpr *operand,
                                 TdbExprList *whens, TdbExpr *otherwise, TdbToken end);
TDB_PRIVATE TdbExpr *tdbExprCast(TdbParse *p, TdbToken start, TdbExpr *e,
                                 TdbToken type, TdbToken end);
TDB_PRIVATE TdbExpr *tdbExprFunc(TdbParse *p, TdbToken name, TdbExprList *args,
                                 int distinct, int star, TdbToken end);
/* SQL-standard call forms (ast_func.c), rewritten into plain calls:
** TDB_FORM_FROM f(x FROM y [FOR z]) for substring, trim and extract;
** TDB_FORM_FOR substring(x FOR z); TDB_FORM_TRIM trim(side [x] FROM y) with
** flag 0 BOTH, 1 LEADING, 2 TRAILING; TDB_FORM_POSITION position(x IN y);
** TDB_FORM_NOW CURRENT_TIMESTAMP. For the other forms flag is DISTINCT
** (an error). Takes ownership of x, y, z (any may be NULL). */
#define TDB_FORM_FROM 1
#define TDB_FORM_FOR 2
#define TDB_FORM_TRIM 3
#define TDB_FORM_POSITION 4
#define TDB_FORM_NOW 5
TDB_PRIVATE TdbExpr *tdbExprFuncForm(TdbParse *p, TdbToken name, int form, int flag,
                                     TdbExpr *x, TdbExpr *y, TdbExpr *z, TdbToken end);
/* Widen an expression's span to include tokens around it (parentheses). */
TDB_PRIVATE TdbExpr *tdbExprWiden(TdbParse *p, TdbToken open, TdbExpr *e, TdbToken close);
TDB_PRIVATE void tdbExprFree(TdbMem *mem, TdbExpr *e);

/* Append (expr, alias) to list (NULL list: a new one). Returns the list. */
TDB_PRIVATE TdbExprList *tdbExprListAppend(TdbParse *p, TdbExprList *list, TdbExpr *e,
                                           TdbToken *alias);
TDB_PRIVATE void tdbExprListFree(TdbMem *mem, TdbExprList *list);
/* Deep copy of an unbound expression; NULL on out-of-memory or when it
** holds a subquery (*unsupported set). */
TDB_PRIVATE TdbExpr *tdbExprCopy(TdbMem *mem, const TdbExpr *e, int *unsupported);
/* An empty list: `x IN ()` (false; NOT IN () is true, whatever x is). */
TDB_PRIVATE TdbExprList *tdbExprListEmpty(TdbParse *p);
/* ORDER BY item: append e with its direction (1 DESC) and NULLS placement. */
TDB_PRIVATE TdbExprList *tdbExprListAppendSort(TdbParse *p, TdbExprList *list, TdbExpr *e,
                                               int desc, int nulls);

TDB_PRIVATE TdbSelect *tdbSelectNew(TdbParse *p, int distinct, TdbExprList *columns,
                                    TdbSource *from, TdbExpr *where, TdbExprList *group_by,
                                    TdbExpr *having);
/* Attach ORDER BY and LIMIT/OFFSET to a SELECT (which owns them after). */
TDB_PRIVATE TdbSelect *tdbSelectFinish(TdbParse *p, TdbSelect *s, TdbExprList *order_by,
                                       TdbExpr *limit, TdbExpr *offset);
TDB_PRIVATE TdbSource *tdbSourceNew(TdbParse *p, TdbToken name, TdbToken *alias);
TDB_PRIVATE TdbSource *tdbSourceSubquery(TdbParse *p, TdbToken open, TdbSelect *sub,
                                         TdbToken *alias);
/* Append item (joined with `join`, condition on) to list; returns the list. */
TDB_PRIVATE TdbSource *tdbSourceJoin(TdbParse *p, TdbSource *list, int join,
                                     TdbSource *item, TdbExpr *on, struct TdbNameList *names);
/* A parenthesized list of items: it joins as one item. */
TDB_PRIVATE TdbSource *tdbSourceGroup(TdbParse *p, TdbSource *list);
TDB_PRIVATE void tdbSourceFree(TdbMem *mem, TdbSource *src);
TDB_PRIVATE void tdbSelectFree(TdbMem *mem, TdbSelect *s);
/* Subquery expressions: kind TDB_EXPR_SUBQUERY / EXISTS / IN_SELECT. */
TDB_PRIVATE TdbExpr *tdbExprSubquery(TdbParse *p, int kind, int negated, TdbExpr *left,
                                     TdbToken open, TdbSelect *sub, TdbToken close);
TDB_PRIVATE TdbExpr *tdbExprJson(TdbParse *p, int text, TdbExpr *l, TdbExpr *r);

/* ---- compound SELECT, WITH, quantified comparisons (ast_compound.c) ---- */
/* l op r (op TDB_SETOP_UNION / INTERSECT / EXCEPT; all: the ALL variant). */
TDB_PRIVATE TdbSelect *tdbSelectCompound(TdbParse *p, TdbSelect *l, int op, int all,
                                         TdbSelect *r);
/* Attach WITH, ORDER BY and LIMIT/OFFSET to a (compound) SELECT; wraps it
** when it already has its own (a parenthesized operand). */
TDB_PRIVATE TdbSelect *tdbSelectFinishAll(TdbParse *p, TdbWith *with, TdbSelect *s,
                                          TdbExprList *order_by, TdbExpr *limit,
                                          TdbExpr *offset);
/* Append `name [(columns)] AS (body)` to w (NULL: a new list). */
TDB_PRIVATE TdbWith *tdbWithAppend(TdbParse *p, TdbWith *w, TdbToken name,
                                   TdbNameList *columns, TdbSelect *body, TdbToken end);
TDB_PRIVATE TdbWith *tdbWithRecursive(TdbWith *w);
TDB_PRIVATE void tdbWithFree(TdbMem *mem, TdbWith *w);
/* left op ANY|ALL (sub); op a TDB_OP_EQ..GE. */
TDB_PRIVATE TdbExpr *tdbExprQuantified(TdbParse *p, int op, int all, TdbExpr *left,
                                       TdbSelect *sub, TdbToken end);
/* ---- windows and aggregate FILTER (ast_window.c) ---- */
/* Attach FILTER (WHERE filter) and OVER window to a function call (either
** may be NULL); widens the call's span over them. */
TDB_PRIVATE TdbExpr *tdbExprWindowed(TdbParse *p, TdbExpr *call, TdbExpr *filter,
                                     TdbWindowDef *over);
/* OVER name. */
TDB_PRIVATE TdbWindowDef *tdbWindowRef(TdbParse *p, TdbToken name);
/* ( [base] [PARTITION BY] [ORDER BY] [frame] ): base.z NULL when absent;
** frame is a def carrying only units and bounds, or NULL. */
TDB_PRIVATE TdbWindowDef *tdbWindowNew(TdbParse *p, TdbToken base, TdbExprList *partition,
                                       TdbExprList *order, TdbWindowDef *frame);
/* ( base parts ): w (the parts) starting from window `base`. */
TDB_PRIVATE TdbWindowDef *tdbWindowBase(TdbParse *p, TdbToken base, TdbWindowDef *w);
/* A frame: units with start and end bounds (end NULL: CURRENT ROW). */
TDB_PRIVATE TdbWindowDef *tdbWindowFrame(TdbParse *p, int units, TdbFrameBound start,
                                         const TdbFrameBound *end);
TDB_PRIVATE TdbWindowDef *tdbWindowWiden(TdbParse *p, TdbToken open, TdbWindowDef *w,
                                         TdbToken close);
/* WINDOW clause: append `name AS (w)` to list. */
TDB_PRIVATE TdbWindowDef *tdbWindowAppend(TdbParse *p, TdbWindowDef *list, TdbToken name,
                                          TdbWindowDef *w);
/* Give a SELECT its WINDOW clause (taken). */
TDB_PRIVATE TdbSelect *tdbSelectWindows(TdbParse *p, TdbSelect *s, TdbWindowDef *windows);
TDB_PRIVATE void tdbWindowFree(TdbMem *mem, TdbWindowDef *w);
/* Deep copy of one unbound window (not its `next`); NULL on out-of-memory
** or a subquery inside (*unsupported set). */
TDB_PRIVATE TdbWindowDef *tdbWindowCopy(TdbMem *mem, const TdbWindowDef *w, int *unsupported);
/* Deep copy of an unbound expression list; NULL as tdbExprCopy. */
TDB_PRIVATE TdbExprList *tdbExprListCopy(TdbMem *mem, const TdbExprList *l, int *unsupported);

/* Names (INSERT columns, index columns). */
TDB_PRIVATE TdbNameList *tdbNameListAppend(TdbParse *p, TdbNameList *l, TdbToken name,
                                           int desc);
TDB_PRIVATE void tdbNameListFree(TdbMem *mem, TdbNameList *l);

/* ---- statements (ast_stmt.c) ---- */
/* The start rule: hand a SELECT to the parse context. */
TDB_PRIVATE void tdbParseFinishSelect(TdbParse *p, TdbSelect *s);
/* Begin a statement of `kind` built in place by the DDL actions below. */
TDB_PRIVATE TdbAstStmt *tdbParseBegin(TdbParse *p, int kind);
/* tdbParseBegin + the object name + IF [NOT] EXISTS. NULL on out-of-memory. */
TDB_PRIVATE TdbAstStmt *tdbParseBeginNamed(TdbParse *p, int kind, TdbToken name,
                                           int if_exists);
TDB_PRIVATE void tdbParseExplain(TdbParse *p, int level);
/* CREATE VIEW: `as` is the AS token; the body text starts after it. */
TDB_PRIVATE void tdbParseViewBody(TdbParse *p, TdbToken as, TdbSelect *body);
TDB_PRIVATE void tdbParseDrop(TdbParse *p, int object, int if_exists, TdbToken name);
TDB_PRIVATE void tdbParseAlter(TdbParse *p, int what);
TDB_PRIVATE void tdbParseSetName(TdbParse *p, TdbToken name);
/* ast_admin.c: BACKUP TO / RESTORE FROM / VERIFY BACKUP 'dir' [SINCE EPOCH e]
** (kind TDB_STMT_BACKUP, _RESTORE, _VERIFY_BACKUP; since NULL when absent),
** PURGE HISTORY [FROM t] BEFORE EPOCH e (table NULL: every table), PURGE
** FROM t KEY k | WHERE pred (one of key, pred). */
TDB_PRIVATE void tdbParseBackup(TdbParse *p, int kind, TdbToken dir, TdbExpr *since);
TDB_PRIVATE void tdbParsePurgeHistory(TdbParse *p, const TdbToken *table, TdbExpr *epoch);
TDB_PRIVATE void tdbParsePurge(TdbParse *p, TdbToken table, TdbExprList *key, TdbExpr *pred);
TDB_PRIVATE void tdbParseSetName2(TdbParse *p, TdbToken name);
TDB_PRIVATE void tdbParseSetName3(TdbParse *p, TdbToken name);
/* CREATE TABLE / ADD COLUMN: a new column of type token `type` (z NULL:
** no type; dim for VECTOR(n) or -1). */
TDB_PRIVATE void tdbParseAddColumn(TdbParse *p, TdbToken name, TdbToken type, TdbToken *dim);
/* Column constraints on the last column: TDB_CONS_PRIMARY, UNIQUE, NOT NULL (4). */
TDB_PRIVATE void tdbParseColumnFlag(TdbParse *p, int what);
TDB_PRIVATE void tdbParseColumnDefault(TdbParse *p, TdbExpr *e);
/* Table constraints. names is taken. */
TDB_PRIVATE void tdbParseTableKey(TdbParse *p, int kind, TdbNameList *names);
TDB_PRIVATE void tdbParseTableCheck(TdbParse *p, TdbExpr *e);
/* INSERT / UPDATE / DELETE parts (ownership taken). */
TDB_PRIVATE void tdbParseSetNames(TdbParse *p, TdbNameList *names);
TDB_PRIVATE void tdbParseAddRow(TdbParse *p, TdbExprList *row);
TDB_PRIVATE void tdbParseSetSelect(TdbParse *p, TdbSelect *s);
TDB_PRIVATE void tdbParseSetWhere(TdbParse *p, TdbExpr *e);
TDB_PRIVATE void tdbParseSetReturning(TdbParse *p, TdbExprList *l);
TDB_PRIVATE void tdbParseAddSet(TdbParse *p, TdbToken column, TdbExpr *e);
TDB_PRIVATE void tdbParseSetAlias(TdbParse *p, TdbToken alias);
TDB_PRIVATE void tdbAstStmtFree(TdbMem *mem, TdbAstStmt *stmt);

/* Append SQL text of e that parses back to the same tree (exprprint.c). */
TDB_PRIVATE void tdbExprToSql(TdbStr *out, const TdbExpr *e);
/* Append an identifier, double-quoted when it is not a plain lower-case
** name or is a keyword (exprprint.c). */
TDB_PRIVATE void tdbPrintName(TdbStr *out, const char *name);

/* An identifier token as a NUL-terminated name: quotes removed ("a""b" is
** a"b); unquoted names fold to lower case. NULL on out-of-memory. */
TDB_PRIVATE char *tdbIdentifier(TdbParse *p, TdbToken t);

#endif /* TDB_AST_H */
