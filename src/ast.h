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
  TDB_EXPR_FUNC       /* name(list), star for COUNT(*), distinct flag */
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
  int cast_type;      /* CAST: TDB_TYPE_* */
  int param;          /* PARAM: 1-based index */
  int column;         /* COLUMN: index in the source row, set by the binder */
  const struct TdbFuncDef *func;  /* FUNC: the function, set by the binder */
  TdbValue value;     /* LITERAL (owns its bytes) */
  char *name;         /* COLUMN / FUNC / STAR qualifier: identifier (owned) */
  char *table;        /* COLUMN: qualifier or NULL (owned) */
  TdbExpr *left, *right, *third;
  TdbExprList *list;
  TdbSpan span;
};

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

/* A relation in FROM: a name with an optional alias. */
typedef struct TdbSource {
  char *name;         /* owned, folded like identifiers */
  char *alias;        /* owned, or NULL */
  TdbSpan span;
  const struct TdbView *view;  /* set by the binder */
} TdbSource;

/* SELECT. Clauses beyond the select list arrive with the SQL engine issues;
** the parser rejects what the executor cannot run yet. */
typedef struct TdbSelect {
  TdbExprList *columns;
  TdbSource *from;    /* or NULL */
  TdbExpr *where;     /* or NULL */
  int distinct;
} TdbSelect;

typedef enum TdbStmtKind {
  TDB_STMT_SELECT
} TdbStmtKind;

typedef struct TdbAstStmt {
  TdbStmtKind kind;
  TdbSelect *select;
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
  TdbAstStmt *stmt;     /* the result, set by the start rule */
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
/* Widen an expression's span to include tokens around it (parentheses). */
TDB_PRIVATE TdbExpr *tdbExprWiden(TdbParse *p, TdbToken open, TdbExpr *e, TdbToken close);
TDB_PRIVATE void tdbExprFree(TdbMem *mem, TdbExpr *e);

/* Append (expr, alias) to list (NULL list: a new one). Returns the list. */
TDB_PRIVATE TdbExprList *tdbExprListAppend(TdbParse *p, TdbExprList *list, TdbExpr *e,
                                           TdbToken *alias);
TDB_PRIVATE void tdbExprListFree(TdbMem *mem, TdbExprList *list);

TDB_PRIVATE TdbSelect *tdbSelectNew(TdbParse *p, int distinct, TdbExprList *columns,
                                    TdbSource *from, TdbExpr *where);
TDB_PRIVATE TdbSource *tdbSourceNew(TdbParse *p, TdbToken name, TdbToken *alias);
TDB_PRIVATE void tdbSourceFree(TdbMem *mem, TdbSource *src);
TDB_PRIVATE void tdbSelectFree(TdbMem *mem, TdbSelect *s);

/* The start rule: hand the statement to the parse context. */
TDB_PRIVATE void tdbParseFinishSelect(TdbParse *p, TdbSelect *s);
TDB_PRIVATE void tdbAstStmtFree(TdbMem *mem, TdbAstStmt *stmt);

/* An identifier token as a NUL-terminated name: quotes removed ("a""b" is
** a"b); unquoted names fold to lower case. NULL on out-of-memory. */
TDB_PRIVATE char *tdbIdentifier(TdbParse *p, TdbToken t);

#endif /* TDB_AST_H */
