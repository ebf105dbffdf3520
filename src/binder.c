/*
** binder.c — resolve and check a parsed statement before it is planned
** (binder.h): FROM items (tables, views, catalog views, derived tables),
** `*` expansion, column references through nested scopes (correlated
** subqueries get depth > 0), functions and aggregates, ORDER BY by alias,
** position or expression, and the GROUP BY rewrite that makes expressions
** above an aggregation read its output row.
*/
#include "binder.h"
#include "agg.h"
#include "datetime.h"
#include "exec.h"
#include "func.h"
#include "parser.h"
#include "temporal.h"
#include "views.h"

/* The names visible to an expression: the FROM items of one query, and
** the queries around it. */
typedef struct TdbScope {
  TdbSelect *sel;           /* the query (NULL for a DML target scope) */
  TdbSource *sources;
  struct TdbScope *outer;
  int allow_aggs;           /* aggregates may appear here */
  int in_agg;               /* inside an aggregate's arguments */
  const char *agg_where;    /* where aggregates are not allowed, for the message */
} TdbScope;

/* The WITH queries visible while binding: one frame per WITH list being
** bound, innermost first (bind_compound.c). */
typedef struct TdbCteFrame {
  TdbWith *with;
  int nvisible;             /* with->items[0..nvisible) are visible */
  TdbCte *self;             /* WITH RECURSIVE: the query being bound, or NULL */
  int self_mode;            /* TDB_SELF_*: what a reference to `self` means now */
  int self_level;           /* sub_level of its recursive term */
  struct TdbCteFrame *up;
} TdbCteFrame;

typedef struct TdbBinder {
  TdbMem *mem;
  TdbErr *err;
  const char *sql;          /* text the spans point into, or NULL */
  const TdbCatalog *cat;
  int view_depth;
  TdbCteFrame *ctes;        /* WITH queries in scope (NULL: none) */
  int sub_level;            /* subqueries and derived tables entered */
  TdbTemporalEff inherit;   /* temporal defaults from enclosing view references and
                               the query level (temporal.h), for base tables */
} TdbBinder;

static int tdbBindSelectIn(TdbBinder *b, TdbSelect *s, TdbScope *outer);
static int tdbBindCteRef(TdbBinder *b, TdbSource *src);

static void tdbBinderInit(TdbBinder *b, TdbMem *mem, TdbErr *err, const char *sql,
                          const TdbCatalog *cat) {
  b->mem = mem;
  b->err = err;
  b->sql = sql;
  b->cat = cat;
  b->view_depth = 0;
  b->ctes = NULL;
  b->sub_level = 0;
  memset(&b->inherit, 0, sizeof b->inherit);
}

/* Record an error at `span` of the statement text. */
static int tdbBindErrorAt(TdbBinder *b, TdbSpan span, int code, const char *sqlstate,
                          const char *what) {
  int line, col;
  if (!b->sql) return tdbErrSet(b->err, code, sqlstate, "%s", what);
  tdbErrLineCol(b->sql, span.start, &line, &col);
  return tdbErrSet(b->err, code, sqlstate, "%s at line %d, column %d", what, line, col);
}

/* Finish a message built in msg and report it at span. */
static int tdbBindFail(TdbBinder *b, TdbStr *msg, TdbSpan span, int code,
                       const char *sqlstate) {
  int rc;
  if (msg->oom) {
    tdbStrClear(msg);
    return tdbErrNoMem(b->err);
  }
  rc = tdbBindErrorAt(b, span, code, sqlstate, msg->z);
  tdbStrClear(msg);
  return rc;
}

/* ---- the columns of a FROM item ------------------------------------------------ */

static const char *const tdbPseudoNames[TDB_PSEUDO_COUNT] = {
    "_rowid",      "_valid_from",       "_valid_to",       "_system_from", "_system_to",
    "_system_from_time", "_system_to_time", "_row_op",  "_is_deleted"};

/* Columns a FROM item contributes to its scope's row (pseudo-columns too). */
static int tdbSrcWidth(const TdbSource *s) {
  if (s->table) return tdbScanWidth(s->table);
  if (s->view) return s->view->ncols;
  if (s->cte) return s->cte->ncols;
  return s->subquery ? s->subquery->nresult : s->view_select->nresult;
}

/* Columns `*` expands to, and the FROM-item column of the k-th of them. */
static int tdbSrcVisible(const TdbSource *s) {
  return s->table ? tdbTableVisibleColumns(s->table) : tdbSrcWidth(s);
}

static int tdbSrcVisibleColumn(const TdbSource *s, int k) {
  return s->table ? tdbTableVisibleColumn(s->table, k) : k;
}

static const char *tdbSrcColName(const TdbSource *s, int i) {
  if (s->table) {
    int k;
    if (i < s->table->ncols) return s->table->cols[i].name;
    for (k = 0; k < TDB_PSEUDO_COUNT; k++) {
      if (tdbScanPseudo(s->table, k) == i) return tdbPseudoNames[k];
    }
    return "?";
  }
  if (s->view) return s->view->cols[i].name;
  if (s->cte) return s->cte->colnames[i];
  return s->subquery ? s->subquery->colnames[i] : s->view_select->colnames[i];
}

/* Does a qualifier name the FROM item? (With an alias only the alias.) */
static int tdbBindQualifies(const TdbSource *src, const char *table) {
  const char *name = src->alias ? src->alias : src->name;
  return name && strcmp(table, name) == 0;
}

/* ---- expressions --------------------------------------------------------------- */

static int tdbBindExpr(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth);

static int tdbBindList(TdbBinder *b, TdbScope *sc, TdbExprList *l, int depth) {
  int i, rc;
  if (!l) return TDB_OK;
  for (i = 0; i < l->n; i++) {
    rc = tdbBindExpr(b, sc, l->items[i].expr, depth);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

static int tdbBindAggregate(TdbBinder *b, TdbScope *sc, TdbExpr *e, const TdbAggDef *def,
                            int depth) {
  int argc = e->list ? e->list->n : 0;
  TdbSelect *s = sc->sel;
  TdbStr msg;
  void *grown;
  int rc;
  tdbStrInit(&msg, b->mem);
  if (!sc->allow_aggs || !s) {
    tdbStrAppendf(&msg, "aggregate functions are not allowed in %s",
                  sc->agg_where ? sc->agg_where : "this context");
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_GROUPING);
  }
  if (sc->in_agg) {
    tdbStrAppendf(&msg, "aggregate function calls cannot be nested");
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_GROUPING);
  }
  if (e->star ? (def->kind != TDB_AGG_COUNT || argc != 0)
              : (argc < TDB_MAX(def->min_args, 1) || argc > def->max_args)) {
    if (e->star) tdbStrAppendf(&msg, "%s(*) is only valid for count", e->name);
    else tdbStrAppendf(&msg, "wrong number of arguments to %s(): %d given", e->name, argc);
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_FUNCTION);
  }
  sc->in_agg = 1;
  rc = tdbBindList(b, sc, e->list, depth + 1);
  sc->in_agg = 0;
  if (rc != TDB_OK) return rc;
  grown = tdbMemRealloc(b->mem, s->aggs, sizeof(TdbExpr *) * (size_t)(s->naggs + 1));
  if (!grown) return tdbErrNoMem(b->err);
  s->aggs = grown;
  e->agg = s->naggs;
  e->aggdef = def;
  s->aggs[s->naggs++] = e;
  return TDB_OK;
}

static int tdbBindFunc(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth) {
  const TdbFuncDef *def = tdbFuncFind(e->name);
  const TdbAggDef *agg = def ? NULL : tdbAggFind(e->name);
  int argc = e->list ? e->list->n : 0;
  TdbStr msg;
  if (agg) return tdbBindAggregate(b, sc, e, agg, depth);
  if (def && argc >= def->min_args && (def->max_args < 0 || argc <= def->max_args) &&
      !e->star && !e->distinct) {
    e->func = def; /* evaluation calls it without looking it up again */
    return tdbBindList(b, sc, e->list, depth + 1);
  }
  tdbStrInit(&msg, b->mem);
  if (!def) {
    const char *hint = tdbFuncSuggest(e->name);
    tdbStrAppendf(&msg, "no such function: %s", e->name);
    if (hint) tdbStrAppendf(&msg, " (did you mean \"%s\"?)", hint);
  } else if (e->star || e->distinct) {
    tdbStrAppendf(&msg, "%s(%s) is only valid for aggregate functions", e->name,
                  e->star ? "*" : "DISTINCT ...");
  } else {
    tdbStrAppendf(&msg, "wrong number of arguments to %s(): %d given", e->name, argc);
  }
  return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_FUNCTION);
}

/* Resolve a column reference through the scopes, innermost first. */
static int tdbBindColumn(TdbBinder *b, TdbScope *sc, TdbExpr *e) {
  TdbScope *s;
  int depth = 0, qualifier_seen = 0;
  TdbStr msg;
  const char *hint = NULL;
  int best = 3;
  for (s = sc; s; s = s->outer, depth++) {
    TdbSource *src, *found_src = NULL;
    int found = -1;
    for (src = s->sources; src; src = src->next) {
      int i, w;
      if (e->table && !tdbBindQualifies(src, e->table)) continue;
      if (e->table) qualifier_seen = 1;
      w = tdbSrcWidth(src);
      for (i = 0; i < w; i++) {
        const char *cn = tdbSrcColName(src, i);
        if (strcmp(cn, e->name) == 0) {
          if (found_src) {
            tdbStrInit(&msg, b->mem);
            tdbStrAppendf(&msg, "column reference \"%s\" is ambiguous", e->name);
            return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA,
                               TDB_SQLSTATE_AMBIGUOUS_COLUMN);
          }
          found_src = src;
          found = i;
        } else if (s == sc) {
          int d = tdbEditDistance(cn, e->name);
          if (d < best) {
            best = d;
            hint = cn;
          }
        }
      }
    }
    if (found_src) {
      TdbScope *t;
      e->depth = depth;
      e->column = found_src->first_column + found;
      for (t = sc; t != s; t = t->outer) {
        if (t->sel) t->sel->correlated = 1;
      }
      return TDB_OK;
    }
  }
  tdbStrInit(&msg, b->mem);
  if (e->table && !qualifier_seen) {
    tdbStrAppendf(&msg, "missing FROM entry for table \"%s\"", e->table);
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE);
  }
  tdbStrAppendf(&msg, "no such column: %s%s%s", e->table ? e->table : "",
                e->table ? "." : "", e->name);
  if (hint) tdbStrAppendf(&msg, " (did you mean \"%s\"?)", hint);
  return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN);
}

static int tdbBindSubquery(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth) {
  int rc = TDB_OK;
  if (e->left) rc = tdbBindExpr(b, sc, e->left, depth + 1);
  b->sub_level++;
  if (rc == TDB_OK) rc = tdbBindSelectIn(b, e->select, sc);
  b->sub_level--;
  if (rc == TDB_OK && e->kind != TDB_EXPR_EXISTS && e->select->nresult != 1) {
    rc = tdbBindErrorAt(b, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_SYNTAX,
                        "subquery must return only one column");
  }
  return rc;
}

static int tdbBindExpr(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth) {
  int rc;
  if (!e) return TDB_OK;
  if (depth > TDB_MAX_EXPR_DEPTH) {
    return tdbBindErrorAt(b, e->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_TOO_COMPLEX,
                          "expression nested too deeply");
  }
  switch (e->kind) {
    case TDB_EXPR_COLUMN:
      return e->resolved ? TDB_OK : tdbBindColumn(b, sc, e);
    case TDB_EXPR_STAR: /* expanded before binding when there is a FROM */
      return tdbBindErrorAt(b, e->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                            sc && sc->sources ? "* is only valid in the select list"
                                              : "SELECT * needs a FROM clause");
    case TDB_EXPR_FUNC:
      return tdbBindFunc(b, sc, e, depth);
    case TDB_EXPR_SUBQUERY:
    case TDB_EXPR_EXISTS:
    case TDB_EXPR_IN_SELECT:
    case TDB_EXPR_QUANTIFIED:
      return tdbBindSubquery(b, sc, e, depth);
    default:
      break;
  }
  rc = tdbBindExpr(b, sc, e->left, depth + 1);
  if (rc == TDB_OK) rc = tdbBindExpr(b, sc, e->right, depth + 1);
  if (rc == TDB_OK) rc = tdbBindExpr(b, sc, e->third, depth + 1);
  if (rc == TDB_OK) rc = tdbBindList(b, sc, e->list, depth + 1);
  return rc;
}

/* ---- static types ----------------------------------------------------------- */

/* The type e will have when it is known before running it, else -1. */
static int tdbStaticType(const TdbScope *sc, const TdbExpr *e) {
  int l, r;
  switch (e->kind) {
    case TDB_EXPR_LITERAL:
      return e->value.type == TDB_TYPE_NULL ? -1 : e->value.type;
    case TDB_EXPR_COLUMN: {
      const TdbScope *s = sc;
      const TdbSource *src;
      int d;
      for (d = e->depth; d > 0 && s; d--) s = s->outer;
      for (src = s ? s->sources : NULL; src; src = src->next) {
        int i = e->column - src->first_column;
        const TdbSelect *sub = src->subquery ? src->subquery : src->view_select;
        if (i < 0 || i >= src->ncolumns) continue;
        if (src->table && i < src->table->ncols && src->table->cols[i].type != TDB_TYPE_NULL) {
          return src->table->cols[i].type;
        }
        /* a WITH query or derived table: the static type of its result column */
        if (src->cte && src->cte->coltypes && i < src->cte->ncols) return src->cte->coltypes[i];
        if (!src->cte && sub && sub->coltypes && i < sub->nresult) return sub->coltypes[i];
        return -1;
      }
      return -1;
    }
    case TDB_EXPR_UNARY:
      return e->op == TDB_OP_NOT ? TDB_TYPE_BOOLEAN : tdbStaticType(sc, e->left);
    case TDB_EXPR_BINARY:
      if (e->op >= TDB_OP_EQ && e->op <= TDB_OP_OR) return TDB_TYPE_BOOLEAN;
      if (e->op == TDB_OP_CONCAT) return TDB_TYPE_TEXT;
      l = tdbStaticType(sc, e->left);
      r = tdbStaticType(sc, e->right);
      if (l == TDB_TYPE_INTEGER && r == TDB_TYPE_INTEGER) return TDB_TYPE_INTEGER;
      if (TDB_TYPE_IS_NUMERIC(l) && TDB_TYPE_IS_NUMERIC(r)) return TDB_TYPE_REAL;
      return -1;
    case TDB_EXPR_IS:
    case TDB_EXPR_BETWEEN:
    case TDB_EXPR_IN_LIST:
    case TDB_EXPR_LIKE:
    case TDB_EXPR_EXISTS:
    case TDB_EXPR_IN_SELECT:
    case TDB_EXPR_QUANTIFIED:
      return TDB_TYPE_BOOLEAN;
    case TDB_EXPR_CAST:
      return e->cast_type;
    case TDB_EXPR_FUNC:
      return e->aggdef && (e->star || e->aggdef->kind == TDB_AGG_COUNT) ? TDB_TYPE_INTEGER : -1;
    default:
      return -1;
  }
}

/* A condition (WHERE, ON, HAVING, CHECK) must be BOOLEAN: fail with 42804
** now when its type is known to be something else. */
static int tdbCheckCondition(TdbBinder *b, const TdbScope *sc, const TdbExpr *e,
                             const char *what) {
  int type;
  TdbStr msg;
  if (!e) return TDB_OK;
  type = tdbStaticType(sc, e);
  if (type < 0 || type == TDB_TYPE_BOOLEAN) return TDB_OK;
  tdbStrInit(&msg, b->mem);
  tdbStrAppendf(&msg, "argument of %s must be type BOOLEAN, not type %s", what, tdbTypeName(type));
  return tdbBindFail(b, &msg, e->span, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH);
}

/* GROUP BY 2 and GROUP BY alias stand for a result column's expression. */
static int tdbBindGroupRefs(TdbBinder *b, TdbSelect *s, TdbScope *sc) {
  int i, j;
  for (i = 0; s->group_by && i < s->group_by->n; i++) {
    TdbExpr *g = s->group_by->items[i].expr, *copy;
    int k = -1, unsupported = 0;
    if (g->kind == TDB_EXPR_LITERAL && g->value.type == TDB_TYPE_INTEGER) {
      if (g->value.u.i < 1 || g->value.u.i > s->columns->n) {
        TdbStr msg;
        tdbStrInit(&msg, b->mem);
        tdbStrAppendf(&msg, "GROUP BY position %lld is not in select list",
                      (long long)g->value.u.i);
        return tdbBindFail(b, &msg, g->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_COLUMN_REF);
      }
      k = (int)g->value.u.i - 1;
    } else if (g->kind == TDB_EXPR_COLUMN && !g->table) {
      /* an input column of that name wins over a result alias */
      const TdbSource *src;
      int input = 0;
      for (src = sc->sources; src && !input; src = src->next) {
        for (j = 0; j < tdbSrcWidth(src) && !input; j++) input = strcmp(tdbSrcColName(src, j), g->name) == 0;
      }
      for (j = 0; !input && j < s->columns->n; j++) {
        if (s->columns->items[j].alias && strcmp(s->columns->items[j].alias, g->name) == 0) k = j;
      }
    }
    if (k < 0) continue;
    copy = tdbExprCopy(b->mem, s->columns->items[k].expr, &unsupported);
    if (!copy) {
      if (unsupported) {
        return tdbBindErrorAt(b, g->span, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                              "GROUP BY a result column that holds a subquery is not supported");
      }
      return tdbErrNoMem(b->err);
    }
    tdbExprFree(b->mem, g);
    s->group_by->items[i].expr = copy;
  }
  return TDB_OK;
}

/* ---- FROM ------------------------------------------------------------------------ */

/* ---- temporal clauses (temporal.h) ---- */

/* Does e read the row of its own scope (a lateral reference to a FROM item
** on the left), directly or through a correlated subquery? */
static int tdbExprReadsRow(const TdbExpr *e) {
  int i;
  if (!e) return 0;
  if (e->kind == TDB_EXPR_COLUMN && e->depth == 0) return 1;
  if (e->select && e->select->correlated) return 1;
  if (tdbExprReadsRow(e->left) || tdbExprReadsRow(e->right) || tdbExprReadsRow(e->third)) {
    return 1;
  }
  for (i = 0; e->list && i < e->list->n; i++) {
    if (tdbExprReadsRow(e->list->items[i].expr)) return 1;
  }
  return 0;
}

/* DriftDB spellings: AS OF "@seq:100" and AS OF "2025-01-01T00:00:00Z" are
** strings in double quotes, which the lexer reads as identifiers: such an
** argument becomes the text literal it stands for. */
static int tdbTemporalQuotedArg(TdbBinder *b, TdbExpr *e) {
  int64_t ts;
  size_t n;
  char *name;
  if (!e || e->kind != TDB_EXPR_COLUMN || e->table || !b->sql || b->sql[e->span.start] != '"') {
    return TDB_OK;
  }
  name = e->name;
  n = strlen(name);
  if (!(n > 5 && memcmp(name, "@seq:", 5) == 0) && tdbTimeParseIso(name, n, &ts) != 0) {
    return TDB_OK;
  }
  if (tdbValueSetBytes(b->mem, &e->value, TDB_TYPE_TEXT, name, n) != TDB_OK) {
    return tdbErrNoMem(b->err);
  }
  e->kind = TDB_EXPR_LITERAL;
  e->name = NULL;
  tdbMemFree(b->mem, name);
  return TDB_OK;
}

/* Does e read any column (of its row or of an enclosing query's)? */
static int tdbExprReadsColumns(const TdbExpr *e) {
  int i;
  if (!e) return 0;
  if (e->kind == TDB_EXPR_COLUMN || (e->select && e->select->correlated)) return 1;
  if (tdbExprReadsColumns(e->left) || tdbExprReadsColumns(e->right) ||
      tdbExprReadsColumns(e->third)) {
    return 1;
  }
  for (i = 0; e->list && i < e->list->n; i++) {
    if (tdbExprReadsColumns(e->list->items[i].expr)) return 1;
  }
  return 0;
}

/* Bind the arguments of clauses t in scope sc (NULL: constants only);
** *lateral: one reads the scope's row; *correlated: one reads any row. */
static int tdbBindTemporalArgs(TdbBinder *b, TdbScope *sc, TdbTemporal *t, int *lateral,
                               int *correlated) {
  TdbScope none;
  TdbExpr *args[4];
  int i, rc;
  if (!t) return TDB_OK;
  memset(&none, 0, sizeof none);
  none.agg_where = "temporal clauses";
  if (!sc) sc = &none;
  args[0] = t->sys.a;
  args[1] = t->sys.b;
  args[2] = t->valid.a;
  args[3] = t->valid.b;
  for (i = 0; i < 4; i++) {
    rc = tdbTemporalQuotedArg(b, args[i]);
    if (rc == TDB_OK) rc = tdbBindExpr(b, sc, args[i], 0);
    if (rc != TDB_OK) return rc;
    if (lateral && tdbExprReadsRow(args[i])) *lateral = 1;
    if (correlated && tdbExprReadsColumns(args[i])) *correlated = 1;
  }
  return TDB_OK;
}

/* The selections clauses t set over the defaults `base` (t NULL: base). */
static void tdbTemporalOver(TdbTemporalEff *out, const TdbTemporal *t,
                            const TdbTemporalEff *base) {
  *out = *base;
  out->lateral = out->correlated = out->sys_own = out->valid_own = 0;
  if (!t) return;
  if (t->sys.kind) out->sys = &t->sys;
  if (t->valid.kind) out->valid = &t->valid;
  if (t->including_deleted) out->including_deleted = 1;
}

/* ERR_NOT_TEMPORAL: clauses on a FROM item that has no history. */
static int tdbTemporalNotTable(TdbBinder *b, const TdbSource *src, const char *what) {
  TdbStr msg;
  tdbStrInit(&msg, b->mem);
  tdbStrAppendf(&msg, "%s \"%s\" is not temporal: put the clause on its base tables or "
                "write it at query level", what,
                src->alias ? src->alias : src->name ? src->name : "(subquery)");
  return tdbBindFail(b, &msg, src->temporal->span, TDB_ERROR_TEMPORAL,
                     TDB_SQLSTATE_NOT_TEMPORAL);
}

/* Parse and bind the body of user view v into src->view_select. */
static int tdbBindView(TdbBinder *b, TdbSource *src, const TdbViewDef *v) {
  TdbParse parse;
  TdbBinder inner;
  size_t consumed = 0;
  int rc;
  if (b->view_depth >= 32) {
    return tdbBindErrorAt(b, src->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_TOO_COMPLEX,
                          "views nested too deeply");
  }
  tdbParseInit(&parse, b->mem, b->err);
  rc = tdbParseOne(&parse, v->body, &consumed);
  if (rc != TDB_OK) return rc;
  if (!parse.stmt || parse.stmt->kind != TDB_STMT_SELECT) {
    tdbAstStmtFree(b->mem, parse.stmt);
    return tdbErrSet(b->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT,
                     "the body of view %s is not a SELECT", v->name);
  }
  src->view_select = parse.stmt->select;
  parse.stmt->select = NULL;
  tdbAstStmtFree(b->mem, parse.stmt);
  inner = *b;
  inner.sql = v->body;
  inner.view_depth = b->view_depth + 1;
  inner.ctes = NULL; /* a view does not see the WITH queries of its user */
  inner.sub_level = 0;
  /* defaults inside: the body's own query-level clause, then the clause on
  ** this reference, then what this reference inherits (TEMPORAL.md §1.8) */
  rc = tdbBindTemporalArgs(b, NULL, src->temporal, NULL, NULL);
  if (rc == TDB_OK) rc = tdbBindTemporalArgs(&inner, NULL, src->view_select->temporal, NULL, NULL);
  if (rc != TDB_OK) return rc;
  {
    TdbTemporalEff ref;
    tdbTemporalOver(&ref, src->temporal, &b->inherit);
    tdbTemporalOver(&inner.inherit, src->view_select->temporal, &ref);
  }
  return tdbBindSelectIn(&inner, src->view_select, NULL);
}

static int tdbBindSources(TdbBinder *b, TdbSelect *s, TdbScope *sc) {
  TdbSource *src;
  int offset = 0, rc;
  for (src = s->from; src; src = src->next) {
    if (src->temporal && src->subquery) return tdbTemporalNotTable(b, src, "derived table");
    if (src->subquery) {
      b->sub_level++;
      rc = tdbBindSelectIn(b, src->subquery, sc->outer);
      b->sub_level--;
      if (rc != TDB_OK) return rc;
      /* it reads the queries around this one: so does this one */
      if (src->subquery->correlated) s->correlated = 1;
    } else if ((rc = tdbBindCteRef(b, src)) != TDB_NOTFOUND) {
      if (rc != TDB_OK) return rc; /* a WITH query: it hides tables of that name */
      if (src->temporal) return tdbTemporalNotTable(b, src, "WITH query");
    } else {
      const TdbViewDef *v;
      src->table = b->cat ? tdbCatalogTable(b->cat, src->name) : NULL;
      if (!src->table) {
        v = b->cat ? tdbCatalogView(b->cat, src->name) : NULL;
        if (v) {
          rc = tdbBindView(b, src, v);
          if (rc != TDB_OK) return rc;
        } else {
          src->view = tdbViewFind(src->name);
          if (!src->view) {
            TdbStr msg;
            tdbStrInit(&msg, b->mem);
            tdbStrAppendf(&msg, "no such table: %s", src->name);
            return tdbBindFail(b, &msg, src->span, TDB_ERROR_SCHEMA,
                               TDB_SQLSTATE_UNDEFINED_TABLE);
          }
          if (src->temporal) return tdbTemporalNotTable(b, src, "catalog view");
        }
      } else {
        /* a base table: what it reads, after precedence (TEMPORAL.md §1.3) */
        if (!src->eff && !(src->eff = tdbMemAllocZero(b->mem, sizeof *src->eff))) {
          return tdbErrNoMem(b->err);
        }
        tdbTemporalOver(src->eff, src->temporal, &b->inherit);
        src->eff->sys_own = src->temporal && src->temporal->sys.kind;
        src->eff->valid_own = src->temporal && src->temporal->valid.kind;
      }
    }
    src->first_column = offset;
    src->ncolumns = tdbSrcWidth(src);
    offset += src->ncolumns;
    if (offset > TDB_MAX_COLUMNS * 4) { /* pseudo-columns come on top of a table's */
      return tdbErrSet(b->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                       "too many columns in FROM (at most %d)", TDB_MAX_COLUMNS * 4);
    }
  }
  /* duplicate names among the items */
  for (src = s->from; src; src = src->next) {
    const TdbSource *o;
    const char *n1 = src->alias ? src->alias : src->name;
    if (!n1) continue;
    for (o = src->next; o; o = o->next) {
      const char *n2 = o->alias ? o->alias : o->name;
      if (n2 && strcmp(n1, n2) == 0) {
        TdbStr msg;
        tdbStrInit(&msg, b->mem);
        tdbStrAppendf(&msg, "table name \"%s\" specified more than once", n1);
        return tdbBindFail(b, &msg, o->span, TDB_ERROR_SCHEMA,
                           TDB_SQLSTATE_DUPLICATE_ALIAS);
      }
    }
  }
  s->nsource_cols = offset;
  return TDB_OK;
}

/* A bound reference to column i of FROM item src, for `*` expansion. */
static TdbExpr *tdbBindColumnRef(TdbMem *mem, const TdbSource *src, int i, TdbSpan span) {
  TdbExpr *e = tdbMemAllocZero(mem, sizeof *e);
  const char *name = tdbSrcColName(src, i);
  if (!e) return NULL;
  e->kind = TDB_EXPR_COLUMN;
  e->agg = -1;
  tdbValueSetNull(&e->value);
  e->span = span;
  e->column = src->first_column + i;
  e->resolved = 1;
  e->name = tdbMemStrndup(mem, name, strlen(name));
  if (!e->name) {
    tdbMemFree(mem, e);
    return NULL;
  }
  return e;
}

/* Replace every `*` / `t.*` of the select list by the columns it stands for. */
static int tdbBindExpandStars(TdbBinder *b, TdbSelect *s) {
  TdbExprList *cols = s->columns;
  TdbExprItem *items;
  TdbSource *src;
  int i, j, n = 0, total = 0, stars = 0;
  for (i = 0; i < cols->n; i++) {
    const TdbExpr *e = cols->items[i].expr;
    int matched = 0;
    if (e->kind != TDB_EXPR_STAR) {
      total++;
      continue;
    }
    stars++;
    if (!s->from) {
      return tdbBindErrorAt(b, e->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                            "SELECT * needs a FROM clause");
    }
    for (src = s->from; src; src = src->next) {
      if (e->table && !tdbBindQualifies(src, e->table)) continue;
      matched = 1;
      total += tdbSrcVisible(src);
    }
    if (!matched) {
      TdbStr msg;
      tdbStrInit(&msg, b->mem);
      tdbStrAppendf(&msg, "missing FROM entry for table \"%s\"", e->table);
      return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE);
    }
  }
  if (!stars) return TDB_OK;
  if (total > TDB_MAX_COLUMNS) {
    return tdbErrSet(b->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                     "too many result columns (at most %d)", TDB_MAX_COLUMNS);
  }
  items = tdbMemAllocZero(b->mem, sizeof *items * (size_t)(total ? total : 1));
  if (!items) return tdbErrNoMem(b->err);
  for (i = 0; i < cols->n; i++) {
    TdbExprItem *it = &cols->items[i];
    if (it->expr->kind != TDB_EXPR_STAR) {
      items[n++] = *it;
      continue;
    }
    for (src = s->from; src; src = src->next) {
      if (it->expr->table && !tdbBindQualifies(src, it->expr->table)) continue;
      for (j = 0; j < tdbSrcVisible(src); j++) {
        items[n].expr = tdbBindColumnRef(b->mem, src, tdbSrcVisibleColumn(src, j), it->expr->span);
        if (!items[n].expr) {
          /* free only the references made here; the list stays intact */
          int k, m;
          for (k = 0, m = 0; k < n; k++) {
            while (m < cols->n && cols->items[m].expr->kind == TDB_EXPR_STAR) m++;
            if (m < cols->n && items[k].expr == cols->items[m].expr) {
              m++;
              continue;
            }
            tdbExprFree(b->mem, items[k].expr);
          }
          tdbMemFree(b->mem, items);
          return tdbErrNoMem(b->err);
        }
        n++;
      }
    }
  }
  for (i = 0; i < cols->n; i++) { /* the stars themselves are replaced */
    if (cols->items[i].expr->kind == TDB_EXPR_STAR) {
      tdbExprFree(b->mem, cols->items[i].expr);
      tdbMemFree(b->mem, cols->items[i].alias);
    }
  }
  tdbMemFree(b->mem, cols->items);
  cols->items = items;
  cols->n = cols->cap = n;
  return TDB_OK;
}

/* ---- GROUP BY rewrite -------------------------------------------------------- */

TDB_PRIVATE int tdbExprEqual(const TdbExpr *a, const TdbExpr *b) {
  int i;
  if (a == b) return 1;
  if (!a || !b) return 0;
  if (a->kind != b->kind || a->op != b->op || a->negated != b->negated ||
      a->distinct != b->distinct || a->star != b->star || a->cast_type != b->cast_type) {
    return 0;
  }
  switch (a->kind) {
    case TDB_EXPR_LITERAL:
      if (a->value.type != b->value.type) return 0;
      if (TDB_TYPE_HAS_BYTES(a->value.type)) {
        if (a->value.n != b->value.n || memcmp(a->value.u.z, b->value.u.z, a->value.n)) return 0;
      } else if (a->value.u.i != b->value.u.i) {
        return 0;
      }
      break;
    case TDB_EXPR_PARAM:
      if (a->param != b->param) return 0;
      break;
    case TDB_EXPR_COLUMN:
    case TDB_EXPR_AGGREF:
      return a->column == b->column && a->depth == b->depth;
    case TDB_EXPR_FUNC:
      if (strcmp(a->name, b->name) != 0) return 0;
      break;
    case TDB_EXPR_SUBQUERY:
    case TDB_EXPR_EXISTS:
    case TDB_EXPR_IN_SELECT:
    case TDB_EXPR_QUANTIFIED:
      return 0;
    default:
      break;
  }
  if (!tdbExprEqual(a->left, b->left) || !tdbExprEqual(a->right, b->right) ||
      !tdbExprEqual(a->third, b->third)) {
    return 0;
  }
  if (!a->list != !b->list) return 0;
  if (a->list) {
    if (a->list->n != b->list->n) return 0;
    for (i = 0; i < a->list->n; i++) {
      if (!tdbExprEqual(a->list->items[i].expr, b->list->items[i].expr)) return 0;
    }
  }
  return 1;
}

/* Turn e into a reference to column `col` of the aggregation row. */
static void tdbBecomeGroupRef(TdbMem *mem, TdbExpr *e, int col) {
  tdbExprFree(mem, e->left);
  tdbExprFree(mem, e->right);
  tdbExprFree(mem, e->third);
  tdbExprListFree(mem, e->list);
  tdbSelectFree(mem, e->select);
  tdbValueClear(mem, &e->value);
  e->left = e->right = e->third = NULL;
  e->list = NULL;
  e->select = NULL;
  if (!e->name) {
    e->name = tdbMemStrndup(mem, "?column?", 8);
  }
  e->kind = TDB_EXPR_COLUMN;
  e->depth = 0;
  e->column = col;
}

/* Make e read the aggregation row: group expressions become its first
** columns, aggregate calls its later ones; a bare column outside both is
** an error. */
static int tdbBindGrouped(TdbBinder *b, TdbSelect *s, TdbExpr *e) {
  int i, ngroup = s->group_by ? s->group_by->n : 0, rc;
  if (!e) return TDB_OK;
  for (i = 0; i < ngroup; i++) {
    if (tdbExprEqual(e, s->group_by->items[i].expr)) {
      tdbBecomeGroupRef(b->mem, e, i);
      return TDB_OK;
    }
  }
  switch (e->kind) {
    case TDB_EXPR_FUNC:
      if (e->agg >= 0) {
        e->kind = TDB_EXPR_AGGREF;
        e->column = ngroup + e->agg;
        return TDB_OK;
      }
      break;
    case TDB_EXPR_COLUMN:
      if (e->depth == 0) {
        TdbStr msg;
        tdbStrInit(&msg, b->mem);
        tdbStrAppendf(&msg,
                      "column \"%s\" must appear in the GROUP BY clause or be used in an "
                      "aggregate function",
                      e->name);
        return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_GROUPING);
      }
      return TDB_OK;
    case TDB_EXPR_SUBQUERY:
    case TDB_EXPR_EXISTS:
    case TDB_EXPR_IN_SELECT:
    case TDB_EXPR_QUANTIFIED:
      if (e->select->correlated) {
        return tdbBindErrorAt(b, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_FEATURE,
                              "correlated subqueries in a grouped query are not supported yet");
      }
      return tdbBindGrouped(b, s, e->left);
    default:
      break;
  }
  rc = tdbBindGrouped(b, s, e->left);
  if (rc == TDB_OK) rc = tdbBindGrouped(b, s, e->right);
  if (rc == TDB_OK) rc = tdbBindGrouped(b, s, e->third);
  for (i = 0; rc == TDB_OK && e->list && i < e->list->n; i++) {
    rc = tdbBindGrouped(b, s, e->list->items[i].expr);
  }
  return rc;
}

/* ---- ORDER BY ------------------------------------------------------------------ */

/* Map each ORDER BY item to a projected column: a position, a result alias,
** an expression equal to a result column, or an extra sort column appended
** after the result columns. */
static int tdbBindOrderBy(TdbBinder *b, TdbSelect *s, TdbScope *sc) {
  TdbExprList *ob = s->order_by;
  int i, j, rc;
  if (!ob) return TDB_OK;
  s->sort_col = tdbMemAllocZero(b->mem, sizeof(int) * (size_t)ob->n);
  if (!s->sort_col) return tdbErrNoMem(b->err);
  for (i = 0; i < ob->n; i++) {
    TdbExpr *e = ob->items[i].expr;
    s->sort_col[i] = -1;
    if (e->kind == TDB_EXPR_LITERAL && e->value.type == TDB_TYPE_INTEGER) {
      if (e->value.u.i < 1 || e->value.u.i > s->nresult) {
        TdbStr msg;
        tdbStrInit(&msg, b->mem);
        tdbStrAppendf(&msg, "ORDER BY position %lld is not in select list",
                      (long long)e->value.u.i);
        return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_COLUMN_REF);
      }
      s->sort_col[i] = (int)e->value.u.i - 1;
      continue;
    }
    if (e->kind == TDB_EXPR_COLUMN && !e->table) {
      for (j = 0; j < s->nresult; j++) {
        if (s->columns->items[j].alias && strcmp(s->columns->items[j].alias, e->name) == 0) {
          s->sort_col[i] = j;
          break;
        }
      }
      if (s->sort_col[i] >= 0) continue;
    }
    rc = tdbBindExpr(b, sc, e, 0);
    if (rc != TDB_OK) return rc;
    for (j = 0; j < s->nresult; j++) {
      if (tdbExprEqual(e, s->columns->items[j].expr)) {
        s->sort_col[i] = j;
        break;
      }
    }
    if (s->sort_col[i] >= 0) continue;
    if (s->distinct) {
      return tdbBindErrorAt(b, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_COLUMN_REF,
                            "for SELECT DISTINCT, ORDER BY expressions must appear in "
                            "select list");
    }
    s->sort_col[i] = s->nresult + s->nsort_extra++;
  }
  return TDB_OK;
}

/* ---- SELECT ---------------------------------------------------------------------- */

/* One SELECT without set operators or WITH (tdbBindSelectIn does those). */
static int tdbBindSelectCore(TdbBinder *b, TdbSelect *s, TdbScope *outer) {
  TdbScope sc;
  TdbSource *src;
  int i, rc;
  memset(&sc, 0, sizeof sc);
  sc.sel = s;
  sc.sources = s->from;
  sc.outer = outer;
  rc = tdbBindSources(b, s, &sc);
  if (rc != TDB_OK) return rc;
  {
    /* clauses on base tables may read the FROM items to their left */
    TdbSource *prev = NULL;
    for (src = s->from; src; prev = src, src = src->next) {
      TdbScope left;
      int lateral = 0, correlated = 0;
      if (!src->temporal || !src->table) continue;
      memset(&left, 0, sizeof left);
      left.sel = s;
      left.outer = sc.outer;
      left.agg_where = "temporal clauses";
      if (prev) {
        prev->next = NULL;
        left.sources = s->from;
      }
      rc = tdbBindTemporalArgs(b, &left, src->temporal, &lateral, &correlated);
      if (prev) prev->next = src;
      if (rc != TDB_OK) return rc;
      src->eff->lateral = lateral;
      src->eff->correlated = correlated;
    }
  }
  rc = tdbBindExpandStars(b, s);
  if (rc != TDB_OK) return rc;
  if (s->columns->n > TDB_MAX_COLUMNS) {
    return tdbErrSet(b->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                     "too many result columns: %d (at most %d)", s->columns->n,
                     TDB_MAX_COLUMNS);
  }
  s->nresult = s->columns->n;
  sc.agg_where = "JOIN conditions";
  for (src = s->from; src; src = src->next) {
    rc = tdbBindExpr(b, &sc, src->on, 0);
    if (rc == TDB_OK) rc = tdbCheckCondition(b, &sc, src->on, "JOIN/ON");
    if (rc != TDB_OK) return rc;
  }
  sc.agg_where = "WHERE";
  rc = tdbBindExpr(b, &sc, s->where, 0);
  if (rc == TDB_OK) rc = tdbCheckCondition(b, &sc, s->where, "WHERE");
  if (rc != TDB_OK) return rc;
  sc.agg_where = "GROUP BY";
  rc = tdbBindGroupRefs(b, s, &sc);
  if (rc == TDB_OK) rc = tdbBindList(b, &sc, s->group_by, 0);
  if (rc != TDB_OK) return rc;
  sc.allow_aggs = 1;
  rc = tdbBindList(b, &sc, s->columns, 0);
  if (rc == TDB_OK) rc = tdbBindExpr(b, &sc, s->having, 0);
  if (rc == TDB_OK) rc = tdbCheckCondition(b, &sc, s->having, "HAVING");
  if (rc == TDB_OK) rc = tdbBindOrderBy(b, s, &sc);
  if (rc != TDB_OK) return rc;
  sc.allow_aggs = 0;
  sc.agg_where = "LIMIT";
  {
    /* LIMIT and OFFSET cannot read the rows they limit */
    TdbScope empty;
    memset(&empty, 0, sizeof empty);
    empty.outer = sc.outer;
    empty.agg_where = "LIMIT";
    rc = tdbBindExpr(b, &empty, s->limit, 0);
    if (rc == TDB_OK) rc = tdbBindExpr(b, &empty, s->offset, 0);
    if (rc != TDB_OK) return rc;
  }
  /* result names, before the GROUP BY rewrite changes expressions */
  s->colnames = tdbMemAllocZero(b->mem, sizeof(char *) * (size_t)(s->nresult ? s->nresult : 1));
  if (!s->colnames) return tdbErrNoMem(b->err);
  for (i = 0; i < s->nresult; i++) {
    s->colnames[i] = tdbBindColumnName(b->mem, b->sql, &s->columns->items[i]);
    if (!s->colnames[i]) return tdbErrNoMem(b->err);
  }
  /* ... and their static types (UNION checks, CREATE TABLE AS, outer queries) */
  s->coltypes = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(s->nresult ? s->nresult : 1));
  if (!s->coltypes) return tdbErrNoMem(b->err);
  for (i = 0; i < s->nresult; i++) s->coltypes[i] = tdbStaticType(&sc, s->columns->items[i].expr);
  s->grouped = s->group_by || s->naggs > 0 || s->having;
  if (s->grouped) {
    for (i = 0; i < s->nresult; i++) {
      rc = tdbBindGrouped(b, s, s->columns->items[i].expr);
      if (rc != TDB_OK) return rc;
    }
    rc = tdbBindGrouped(b, s, s->having);
    if (rc != TDB_OK) return rc;
    for (i = 0; s->order_by && i < s->order_by->n; i++) {
      if (s->sort_col[i] < s->nresult) continue;
      rc = tdbBindGrouped(b, s, s->order_by->items[i].expr);
      if (rc != TDB_OK) return rc;
    }
  }
  return TDB_OK;
}

/* compound SELECTs and WITH: a file of their own that shares the statics above */
#include "binder_compound.c"

TDB_PRIVATE int tdbBindSelect(TdbMem *mem, TdbErr *err, const char *sql,
                              const TdbCatalog *cat, TdbSelect *s) {
  TdbBinder b;
  int rc;
  tdbBinderInit(&b, mem, err, sql, cat);
  /* query-level clauses: constant defaults for every base table inside */
  rc = tdbBindTemporalArgs(&b, NULL, s->temporal, NULL, NULL);
  if (rc != TDB_OK) return rc;
  tdbTemporalOver(&b.inherit, s->temporal, &b.inherit);
  return tdbBindSelectIn(&b, s, NULL);
}

TDB_PRIVATE int tdbBindTableExpr(TdbMem *mem, TdbErr *err, const char *sql,
                                 const TdbCatalog *cat, TdbSource *target, TdbExpr *e) {
  TdbBinder b;
  TdbScope sc;
  tdbBinderInit(&b, mem, err, sql, cat);
  memset(&sc, 0, sizeof sc);
  sc.sources = target;
  sc.agg_where = "this statement";
  if (target) {
    target->first_column = 0;
    target->ncolumns = tdbSrcWidth(target);
  }
  return tdbBindExpr(&b, &sc, e, 0);
}

TDB_PRIVATE int tdbBindTableCondition(TdbMem *mem, TdbErr *err, const char *sql,
                                      const TdbCatalog *cat, TdbSource *target, TdbExpr *e,
                                      const char *what) {
  TdbBinder b;
  TdbScope sc;
  int rc = tdbBindTableExpr(mem, err, sql, cat, target, e);
  if (rc != TDB_OK || !e) return rc;
  tdbBinderInit(&b, mem, err, sql, cat);
  memset(&sc, 0, sizeof sc);
  sc.sources = target;
  return tdbCheckCondition(&b, &sc, e, what);
}

TDB_PRIVATE int tdbBindTableList(TdbMem *mem, TdbErr *err, const char *sql,
                                 const TdbCatalog *cat, TdbSource *target, TdbExprList *l) {
  int i, rc;
  for (i = 0; l && i < l->n; i++) {
    rc = tdbBindTableExpr(mem, err, sql, cat, target, l->items[i].expr);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbBindReturning(TdbMem *mem, TdbErr *err, const char *sql,
                                 const TdbCatalog *cat, TdbSource *target, TdbExprList *l) {
  TdbBinder b;
  TdbSelect tmp;
  int rc;
  tdbBinderInit(&b, mem, err, sql, cat);
  memset(&tmp, 0, sizeof tmp);
  tmp.columns = l;
  tmp.from = target;
  target->first_column = 0;
  target->ncolumns = tdbSrcWidth(target);
  rc = tdbBindExpandStars(&b, &tmp);
  if (rc == TDB_OK) rc = tdbBindTableList(mem, err, sql, cat, target, l);
  return rc;
}

TDB_PRIVATE char *tdbBindColumnName(TdbMem *mem, const char *sql, const TdbExprItem *item) {
  const TdbExpr *e = item->expr;
  if (item->alias) return tdbMemStrndup(mem, item->alias, strlen(item->alias));
  if (e->kind == TDB_EXPR_COLUMN && e->name) return tdbMemStrndup(mem, e->name, strlen(e->name));
  if (!sql) return tdbMemStrndup(mem, "?column?", 8);
  return tdbMemStrndup(mem, sql + e->span.start, e->span.end - e->span.start);
}
