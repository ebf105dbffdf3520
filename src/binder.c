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
#include "period.h"
#include "temporal.h"
#include "views.h"
#include "window.h"

/* The names visible to an expression: the FROM items of one query, and
** the queries around it. */
typedef struct TdbScope {
  TdbSelect *sel;           /* the query (NULL for a DML target scope) */
  TdbSource *sources;
  struct TdbScope *outer;
  int allow_aggs;           /* aggregates may appear here */
  int in_agg;               /* inside an aggregate's arguments */
  const char *agg_where;    /* where aggregates are not allowed, for the message */
  int allow_windows;        /* window calls may appear here (select list, ORDER BY) */
  int in_window;            /* inside a window call's arguments or window */
  const char *win_where;    /* where window calls are not allowed, for the message */
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

static void tdbJoinLookup(const TdbJoinTree *jt, int node, const char *name, int *count,
                          int *col);

static int tdbBindExpr(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth);
static int tdbCheckCondition(TdbBinder *b, const TdbScope *sc, const TdbExpr *e,
                             const char *what);
static int tdbBindWindowCall(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth);

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
  if (rc == TDB_OK) rc = tdbBindExpr(b, sc, e->filter, depth + 1);
  sc->in_agg = 0;
  if (rc == TDB_OK) rc = tdbCheckCondition(b, sc, e->filter, "FILTER");
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
  if (e->over) return tdbBindWindowCall(b, sc, e, depth);
  if (agg) return tdbBindAggregate(b, sc, e, agg, depth);
  if (e->filter) {
    tdbStrInit(&msg, b->mem);
    if (tdbWinFuncFind(e->name)) tdbStrAppendf(&msg, "window function %s requires an OVER clause", e->name);
    else tdbStrAppendf(&msg, "FILTER specified, but %s is not an aggregate function", e->name);
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WRONG_OBJECT_TYPE);
  }
  if (!def && tdbWinFuncFind(e->name)) {
    tdbStrInit(&msg, b->mem);
    tdbStrAppendf(&msg, "window function %s requires an OVER clause", e->name);
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WRONG_OBJECT_TYPE);
  }
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
    if (!e->table && s->sel && s->sel->jtree && s->sel->jtree->has_using &&
        s->sources == s->sel->from) {
      /* USING columns show once: look the name up through the join tree */
      int count = 0, col = -1;
      tdbJoinLookup(s->sel->jtree, s->sel->jtree->root, e->name, &count, &col);
      if (count > 1) {
        tdbStrInit(&msg, b->mem);
        tdbStrAppendf(&msg, "column reference \"%s\" is ambiguous", e->name);
        return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_AMBIGUOUS_COLUMN);
      }
      if (count == 1) {
        TdbScope *t;
        e->depth = depth;
        e->column = col;
        for (t = sc; t != s; t = t->outer) {
          if (t->sel) t->sel->correlated = 1;
        }
        return TDB_OK;
      }
    }
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

static int tdbStaticType(const TdbScope *sc, const TdbExpr *e);

/* A period predicate (period.h): bind its bounds, check the types known now. */
static int tdbBindPeriod(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth) {
  int types[4] = {-1, -1, -1, -1}, i, bad, rc = tdbBindList(b, sc, e->list, depth + 1);
  TdbStr msg;
  for (i = 0; rc == TDB_OK && i < e->list->n && i < 4; i++) {
    types[i] = tdbStaticType(sc, e->list->items[i].expr);
  }
  if (rc != TDB_OK) return rc;
  tdbStrInit(&msg, b->mem);
  bad = tdbPeriodCheckTypes(e, types, &msg);
  if (bad < 0) {
    tdbStrClear(&msg);
    return TDB_OK;
  }
  return tdbBindFail(b, &msg, e->list->items[bad].expr->span, TDB_ERROR_DATA,
                     TDB_SQLSTATE_DATATYPE_MISMATCH);
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
      if (tdbPeriodIsCall(e)) { /* PERIOD(...) is no value (period.h) */
        return tdbBindErrorAt(b, e->span, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                              TDB_PERIOD_MISUSE);
      }
      return tdbBindFunc(b, sc, e, depth);
    case TDB_EXPR_PERIOD:
      return tdbBindPeriod(b, sc, e, depth);
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
    case TDB_EXPR_PERIOD:
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

/* ---- window calls ----------------------------------------------------------- */

/* The window of the WINDOW clause called name, or NULL. */
static const TdbWindowDef *tdbFindWindow(const TdbSelect *s, const char *name) {
  const TdbWindowDef *w;
  for (w = s->windows; w; w = w->next) {
    if (strcmp(w->name, name) == 0) return w;
  }
  return NULL;
}

static int tdbWindowError(TdbBinder *b, TdbSpan span, const char *sqlstate, const char *fmt,
                          const char *name) {
  TdbStr msg;
  tdbStrInit(&msg, b->mem);
  tdbStrAppendf(&msg, fmt, name);
  return tdbBindFail(b, &msg, span, TDB_ERROR_SCHEMA, sqlstate);
}

/* Copy list *from into *to (unbound); a subquery inside is not supported. */
static int tdbWindowCopyList(TdbBinder *b, const TdbWindowDef *w, const TdbExprList *from,
                             TdbExprList **to) {
  int unsupported = 0;
  if (!from) return TDB_OK;
  *to = tdbExprListCopy(b->mem, from, &unsupported);
  if (*to) return TDB_OK;
  if (unsupported) {
    return tdbWindowError(b, w->span, TDB_SQLSTATE_FEATURE,
                          "a subquery in named window \"%s\" is not supported", w->name);
  }
  return tdbErrNoMem(b->err);
}

/* Complete the window of a call from the named windows it refers to
** (OVER w takes w as it is; OVER (w ...) adds to w's partition and order). */
static int tdbResolveWindow(TdbBinder *b, const TdbSelect *s, TdbWindowDef *w) {
  int hops = 0, rc;
  while (w->base) {
    const TdbWindowDef *ref = tdbFindWindow(s, w->base);
    char *next;
    if (!ref) {
      return tdbWindowError(b, w->span, TDB_SQLSTATE_UNDEFINED_OBJECT,
                            "window \"%s\" does not exist", w->base);
    }
    if (++hops > 64) {
      return tdbWindowError(b, w->span, TDB_SQLSTATE_WINDOWING,
                            "window \"%s\" refers to itself", w->base);
    }
    if (w->partition_by) {
      return tdbWindowError(b, w->span, TDB_SQLSTATE_WINDOWING,
                            "cannot override PARTITION BY clause of window \"%s\"", ref->name);
    }
    if (!w->bare_ref && ref->order_by && w->order_by) {
      return tdbWindowError(b, w->span, TDB_SQLSTATE_WINDOWING,
                            "cannot override ORDER BY clause of window \"%s\"", ref->name);
    }
    if (!w->bare_ref && ref->units) {
      return tdbWindowError(b, w->span, TDB_SQLSTATE_WINDOWING,
                            "cannot copy window \"%s\" because it has a frame clause", ref->name);
    }
    rc = tdbWindowCopyList(b, ref, ref->partition_by, &w->partition_by);
    if (rc == TDB_OK && !w->order_by) rc = tdbWindowCopyList(b, ref, ref->order_by, &w->order_by);
    if (rc != TDB_OK) return rc;
    if (w->bare_ref && ref->units) {
      int unsupported = 0;
      w->units = ref->units;
      w->start.kind = ref->start.kind;
      w->end.kind = ref->end.kind;
      if ((ref->start.offset && !(w->start.offset = tdbExprCopy(b->mem, ref->start.offset, &unsupported))) ||
          (ref->end.offset && !(w->end.offset = tdbExprCopy(b->mem, ref->end.offset, &unsupported)))) {
        return unsupported ? tdbWindowError(b, w->span, TDB_SQLSTATE_FEATURE,
                                            "a subquery in named window \"%s\" is not supported",
                                            ref->name)
                           : tdbErrNoMem(b->err);
      }
    }
    next = NULL;
    if (ref->base && !(next = tdbMemStrndup(b->mem, ref->base, strlen(ref->base)))) {
      return tdbErrNoMem(b->err);
    }
    tdbMemFree(b->mem, w->base);
    w->base = next;
    w->bare_ref = 0;
  }
  return TDB_OK;
}

/* The frame rules of SQL: where each bound may stand. */
static int tdbCheckFrame(TdbBinder *b, const TdbWindowDef *w) {
  int s = w->start.kind, e = w->end.kind;
  const char *why = NULL;
  if (!w->units) return TDB_OK;
  if (s == TDB_BOUND_UNBOUNDED_FOLLOWING) why = "frame start cannot be UNBOUNDED FOLLOWING";
  else if (e == TDB_BOUND_UNBOUNDED_PRECEDING) why = "frame end cannot be UNBOUNDED PRECEDING";
  else if (s == TDB_BOUND_CURRENT_ROW && e == TDB_BOUND_PRECEDING)
    why = "frame starting from current row cannot have preceding rows";
  else if (s == TDB_BOUND_FOLLOWING && (e == TDB_BOUND_PRECEDING || e == TDB_BOUND_CURRENT_ROW))
    why = "frame starting from following row cannot have preceding rows";
  else if (w->units == TDB_FRAME_RANGE && (w->start.offset || w->end.offset) &&
           (!w->order_by || w->order_by->n != 1))
    why = "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column";
  if (!why) return TDB_OK;
  return tdbBindErrorAt(b, w->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WINDOWING, why);
}

/* f(args) [FILTER (WHERE ...)] OVER window: check where it stands, resolve
** the window, bind the arguments and the window's expressions, and
** register the call with its SELECT. */
static int tdbBindWindowCall(TdbBinder *b, TdbScope *sc, TdbExpr *e, int depth) {
  const TdbWinFuncDef *wdef = tdbWinFuncFind(e->name);
  const TdbAggDef *agg = wdef ? NULL : tdbAggFind(e->name);
  TdbSelect *s = sc->sel;
  TdbWindowDef *w = e->over;
  int argc = e->list ? e->list->n : 0, rc;
  TdbScope empty;
  TdbStr msg;
  void *grown;
  tdbStrInit(&msg, b->mem);
  if (!sc->allow_windows || !s) {
    tdbStrAppendf(&msg, "window functions are not allowed in %s",
                  sc->win_where ? sc->win_where : sc->agg_where ? sc->agg_where : "this context");
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WINDOWING);
  }
  if (sc->in_agg) {
    tdbStrAppendf(&msg, "aggregate function calls cannot contain window function calls");
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WINDOWING);
  }
  if (sc->in_window) {
    tdbStrAppendf(&msg, "window function calls cannot be nested");
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WINDOWING);
  }
  if (!wdef && !agg) {
    if (tdbFuncFind(e->name)) {
      tdbStrAppendf(&msg, "OVER specified, but %s is not a window function nor an aggregate function", e->name);
      return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_WRONG_OBJECT_TYPE);
    }
    tdbStrAppendf(&msg, "no such window function: %s", e->name);
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_FUNCTION);
  }
  if (e->star ? (!agg || agg->kind != TDB_AGG_COUNT || argc != 0)
              : wdef ? (argc < wdef->min_args || argc > wdef->max_args)
                     : (argc < TDB_MAX(agg->min_args, 1) || argc > agg->max_args)) {
    if (e->star) tdbStrAppendf(&msg, "%s(*) is only valid for count", e->name);
    else tdbStrAppendf(&msg, "wrong number of arguments to %s(): %d given", e->name, argc);
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_FUNCTION);
  }
  if (e->distinct) {
    tdbStrAppendf(&msg, "DISTINCT is not implemented for window functions");
    return tdbBindFail(b, &msg, e->span, TDB_ERROR, TDB_SQLSTATE_FEATURE);
  }
  if (wdef && e->filter) {
    tdbStrAppendf(&msg, "FILTER is not implemented for non-aggregate window functions");
    return tdbBindFail(b, &msg, e->span, TDB_ERROR, TDB_SQLSTATE_FEATURE);
  }
  tdbStrClear(&msg);
  rc = tdbResolveWindow(b, s, w);
  if (rc == TDB_OK) rc = tdbCheckFrame(b, w);
  if (rc != TDB_OK) return rc;
  sc->in_window = 1;
  rc = tdbBindList(b, sc, e->list, depth + 1);
  if (rc == TDB_OK && e->filter) {
    sc->in_agg = 1; /* no aggregates inside FILTER */
    rc = tdbBindExpr(b, sc, e->filter, depth + 1);
    sc->in_agg = 0;
    if (rc == TDB_OK) rc = tdbCheckCondition(b, sc, e->filter, "FILTER");
  }
  if (rc == TDB_OK) rc = tdbBindList(b, sc, w->partition_by, depth + 1);
  if (rc == TDB_OK) rc = tdbBindList(b, sc, w->order_by, depth + 1);
  sc->in_window = 0;
  if (rc != TDB_OK) return rc;
  /* frame offsets cannot read the rows they frame */
  memset(&empty, 0, sizeof empty);
  empty.outer = sc->outer;
  empty.agg_where = "window frame offsets";
  empty.win_where = "window frame offsets";
  rc = tdbBindExpr(b, &empty, w->start.offset, depth + 1);
  if (rc == TDB_OK) rc = tdbBindExpr(b, &empty, w->end.offset, depth + 1);
  if (rc != TDB_OK) return rc;
  grown = tdbMemRealloc(b->mem, s->wins, sizeof(TdbExpr *) * (size_t)(s->nwins + 1));
  if (!grown) return tdbErrNoMem(b->err);
  s->wins = grown;
  e->win = s->nwins;
  e->aggdef = agg;
  e->windef = wdef;
  s->wins[s->nwins++] = e;
  return TDB_OK;
}

/* The WINDOW clause: names are unique. */
static int tdbBindWindowClause(TdbBinder *b, const TdbSelect *s) {
  const TdbWindowDef *w, *o;
  for (w = s->windows; w; w = w->next) {
    for (o = w->next; o; o = o->next) {
      if (strcmp(w->name, o->name) == 0) {
        return tdbWindowError(b, o->span, TDB_SQLSTATE_WINDOWING,
                              "window \"%s\" is already defined", o->name);
      }
    }
  }
  return TDB_OK;
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

/* ---- joins: the join tree, USING / NATURAL, ON scope ---------------------------------
**
** The parser keeps FROM flat: items in order, each with the join that links
** it to what comes before, and counts of parentheses opening before it and
** closing after it. The tree is rebuilt here, left-deep within each group:
**
**   a JOIN (b JOIN c ON p) ON q        items: a | (b | c ON p) | ON q on b
**        join(q)                         the join of a group with what is
**        /     \                         before it sits on the group's first
**       a     join(p)                    item
**             /   \
**            b     c
*/

typedef struct TdbJoinBuild {
  TdbBinder *b;
  TdbJoinTree *jt;
  uint8_t *opens, *closes; /* remaining parentheses per leaf */
  int pos, last;           /* next leaf to read, last leaf read */
  int *parent;
} TdbJoinBuild;

static int tdbJoinGroup(TdbJoinBuild *jb, int *out);

static int tdbJoinNodeNew(TdbJoinBuild *jb, int kind) {
  TdbJoinNode *n = &jb->jt->nodes[jb->jt->n];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->left = n->right = -1;
  return jb->jt->n++;
}

static int tdbJoinItem(TdbJoinBuild *jb, int *out) {
  int i = jb->pos, node;
  if (jb->opens[i] > 0) {
    jb->opens[i]--;
    return tdbJoinGroup(jb, out);
  }
  node = tdbJoinNodeNew(jb, -1);
  jb->jt->nodes[node].src = jb->jt->leaf[i];
  jb->jt->nodes[node].leaves = (uint64_t)1 << i;
  jb->pos++;
  jb->last = i;
  *out = node;
  return TDB_OK;
}

static int tdbJoinGroup(TdbJoinBuild *jb, int *out) {
  int left, right, rc, node;
  rc = tdbJoinItem(jb, &left);
  if (rc != TDB_OK) return rc;
  for (;;) {
    TdbSource *src;
    TdbJoinNode *n;
    if (jb->closes[jb->last] > 0) {
      jb->closes[jb->last]--;
      break;
    }
    if (jb->pos >= jb->jt->nleaves) break;
    src = jb->jt->leaf[jb->pos];
    rc = tdbJoinItem(jb, &right);
    if (rc != TDB_OK) return rc;
    node = tdbJoinNodeNew(jb, src->join);
    n = &jb->jt->nodes[node];
    n->left = left;
    n->right = right;
    n->src = src;
    n->on = src->on;
    n->leaves = jb->jt->nodes[left].leaves | jb->jt->nodes[right].leaves;
    jb->parent[left] = jb->parent[right] = node;
    left = node;
  }
  *out = left;
  return TDB_OK;
}

/* The leaf of the FROM row holding scope column col, or -1 (a merged slot). */
static int tdbJoinLeafOf(const TdbJoinTree *jt, int col) {
  int i;
  for (i = 0; i < jt->nleaves; i++) {
    const TdbSource *s = jt->leaf[i];
    if (col >= s->first_column && col < s->first_column + s->ncolumns) return i;
  }
  return -1;
}

/* The leaves a scope column stands for (a merged slot: both sides). */
static uint64_t tdbJoinColLeaves(const TdbJoinTree *jt, int col) {
  int i, k, leaf = tdbJoinLeafOf(jt, col);
  if (leaf >= 0) return (uint64_t)1 << leaf;
  for (i = 0; i < jt->n; i++) {
    for (k = 0; k < jt->nodes[i].nusing; k++) {
      if (jt->nodes[i].use_out[k] == col) return jt->nodes[i].leaves;
    }
  }
  return 0;
}

/* The name of scope column col. */
static const char *tdbJoinColName(const TdbJoinTree *jt, int col) {
  int i, k, leaf = tdbJoinLeafOf(jt, col);
  if (leaf >= 0) return tdbSrcColName(jt->leaf[leaf], col - jt->leaf[leaf]->first_column);
  for (i = 0; i < jt->n; i++) {
    for (k = 0; k < jt->nodes[i].nusing; k++) {
      if (jt->nodes[i].use_out[k] == col) return tdbJoinColName(jt, jt->nodes[i].use_left[k]);
    }
  }
  return "?";
}

/* Count the columns named `name` that node shows unqualified (a join's
** USING columns hide the two they merge); *col is the last one found. */
static void tdbJoinLookup(const TdbJoinTree *jt, int node, const char *name, int *count,
                          int *col) {
  const TdbJoinNode *n = &jt->nodes[node];
  int k;
  if (n->kind < 0) {
    int w = tdbSrcWidth(n->src);
    for (k = 0; k < w; k++) {
      if (strcmp(tdbSrcColName(n->src, k), name) == 0) {
        (*count)++;
        *col = n->src->first_column + k;
      }
    }
    return;
  }
  for (k = 0; k < n->nusing; k++) {
    if (strcmp(tdbJoinColName(jt, n->use_left[k]), name) == 0) {
      (*count)++;
      *col = n->use_out[k];
      return;
    }
  }
  tdbJoinLookup(jt, n->left, name, count, col);
  tdbJoinLookup(jt, n->right, name, count, col);
}

/* The columns `*` shows for node, in order: a join's USING columns first,
** then the left side's other columns, then the right side's (SQL standard). */
static void tdbJoinStar(const TdbJoinTree *jt, int node, int *cols, int *n) {
  const TdbJoinNode *jn = &jt->nodes[node];
  int k, j, start;
  if (jn->kind < 0) {
    for (k = 0; k < tdbSrcVisible(jn->src); k++) {
      cols[(*n)++] = jn->src->first_column + tdbSrcVisibleColumn(jn->src, k);
    }
    return;
  }
  for (k = 0; k < jn->nusing; k++) cols[(*n)++] = jn->use_out[k];
  start = *n;
  tdbJoinStar(jt, jn->left, cols, n);
  tdbJoinStar(jt, jn->right, cols, n);
  /* drop the merged columns' sources */
  for (k = j = start; k < *n; k++) {
    int m, hidden = 0;
    for (m = 0; m < jn->nusing && !hidden; m++) {
      hidden = cols[k] == jn->use_left[m] || cols[k] == jn->use_right[m];
    }
    if (!hidden) cols[j++] = cols[k];
  }
  *n = j;
}

/* A bound reference to scope column col, qualified for EXPLAIN. */
static TdbExpr *tdbJoinColumnRef(TdbBinder *b, const TdbJoinTree *jt, int col, TdbSpan span) {
  TdbExpr *e = tdbMemAllocZero(b->mem, sizeof *e);
  const char *name = tdbJoinColName(jt, col);
  int leaf = tdbJoinLeafOf(jt, col);
  if (!e) return NULL;
  e->kind = TDB_EXPR_COLUMN;
  e->agg = -1;
  tdbValueSetNull(&e->value);
  e->span = span;
  e->column = col;
  e->resolved = 1;
  e->name = tdbMemStrndup(b->mem, name, strlen(name));
  if (leaf >= 0) {
    const TdbSource *s = jt->leaf[leaf];
    const char *q = s->alias ? s->alias : s->name;
    if (q) e->table = tdbMemStrndup(b->mem, q, strlen(q));
    if (q && !e->table) e->name = (tdbMemFree(b->mem, e->name), NULL);
  }
  if (!e->name) {
    tdbMemFree(b->mem, e->table);
    tdbMemFree(b->mem, e);
    return NULL;
  }
  return e;
}

/* AND `l = r` onto *cond (a USING / NATURAL condition). */
static int tdbJoinAddEq(TdbBinder *b, const TdbJoinTree *jt, TdbExpr **cond, int l, int r,
                        TdbSpan span) {
  TdbExpr *eq = tdbMemAllocZero(b->mem, sizeof *eq);
  if (!eq) return tdbErrNoMem(b->err);
  eq->kind = TDB_EXPR_BINARY;
  eq->op = TDB_OP_EQ;
  eq->agg = -1;
  eq->span = span;
  tdbValueSetNull(&eq->value);
  eq->left = tdbJoinColumnRef(b, jt, l, span);
  eq->right = tdbJoinColumnRef(b, jt, r, span);
  if (!eq->left || !eq->right) {
    tdbExprFree(b->mem, eq);
    return tdbErrNoMem(b->err);
  }
  if (*cond) {
    TdbExpr *and = tdbMemAllocZero(b->mem, sizeof *and);
    if (!and) {
      tdbExprFree(b->mem, eq);
      return tdbErrNoMem(b->err);
    }
    and->kind = TDB_EXPR_BINARY;
    and->op = TDB_OP_AND;
    and->agg = -1;
    and->span = span;
    tdbValueSetNull(&and->value);
    and->left = *cond;
    and->right = eq;
    *cond = and;
  } else {
    *cond = eq;
  }
  return TDB_OK;
}

/* Find USING column `name` on one side of a join: exactly one. */
static int tdbJoinUsingSide(TdbBinder *b, const TdbJoinTree *jt, int node, const char *name,
                            const char *side, TdbSpan span, int *col) {
  int count = 0;
  TdbStr msg;
  tdbJoinLookup(jt, node, name, &count, col);
  if (count == 1) return TDB_OK;
  tdbStrInit(&msg, b->mem);
  if (count == 0) {
    tdbStrAppendf(&msg, "column \"%s\" specified in USING clause does not exist in %s table",
                  name, side);
    return tdbBindFail(b, &msg, span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_COLUMN);
  }
  tdbStrAppendf(&msg, "column reference \"%s\" in USING clause is ambiguous in %s table", name,
                side);
  return tdbBindFail(b, &msg, span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_AMBIGUOUS_COLUMN);
}

/* Resolve the USING / NATURAL columns of join node i: the pairs it merges,
** the slot of a merged column, and the equality condition. */
static int tdbJoinResolveUsing(TdbBinder *b, TdbJoinTree *jt, int i, int *nslots) {
  TdbJoinNode *n = &jt->nodes[i];
  TdbSource *src = n->src;
  const char **names = NULL;
  int k, m, nnames = 0, rc = TDB_OK;
  int *lstar = NULL, nl = 0;
  if (src->natural && (src->on || src->using_names)) {
    return tdbBindErrorAt(b, src->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                          "a NATURAL join cannot have an ON or USING clause");
  }
  if (!src->natural && !src->using_names) return TDB_OK;
  if (src->join == TDB_JOIN_CROSS) {
    return tdbBindErrorAt(b, src->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                          "a CROSS JOIN cannot have a USING clause");
  }
  if (src->using_names) {
    nnames = src->using_names->n;
    names = tdbMemAlloc(b->mem, sizeof(char *) * (size_t)nnames);
    if (!names) return tdbErrNoMem(b->err);
    for (k = 0; k < nnames; k++) {
      names[k] = src->using_names->names[k];
      for (m = 0; m < k; m++) {
        if (strcmp(names[m], names[k]) == 0) {
          TdbStr msg;
          tdbStrInit(&msg, b->mem);
          tdbStrAppendf(&msg, "column name \"%s\" appears more than once in USING clause",
                        names[k]);
          tdbMemFree(b->mem, names);
          return tdbBindFail(b, &msg, src->using_names->spans[k], TDB_ERROR_SCHEMA,
                             TDB_SQLSTATE_DUPLICATE_COLUMN);
        }
      }
    }
  } else {
    /* NATURAL: the names `*` shows on both sides, in the left side's order */
    int *rstar, nr = 0;
    lstar = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(2 * jt->slot_first + 2));
    names = tdbMemAlloc(b->mem, sizeof(char *) * (size_t)(jt->slot_first + 1));
    if (!lstar || !names) {
      tdbMemFree(b->mem, lstar);
      tdbMemFree(b->mem, names);
      return tdbErrNoMem(b->err);
    }
    rstar = lstar + jt->slot_first + 1;
    tdbJoinStar(jt, n->left, lstar, &nl);
    tdbJoinStar(jt, n->right, rstar, &nr);
    for (k = 0; k < nl; k++) {
      const char *ln = tdbJoinColName(jt, lstar[k]);
      for (m = 0; m < nr; m++) {
        if (strcmp(ln, tdbJoinColName(jt, rstar[m])) == 0) {
          int d;
          for (d = 0; d < nnames && strcmp(names[d], ln) != 0; d++) {
          }
          if (d == nnames) names[nnames++] = ln;
          break;
        }
      }
    }
    tdbMemFree(b->mem, lstar);
  }
  n->use_left = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(nnames + 1));
  n->use_right = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(nnames + 1));
  n->use_out = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(nnames + 1));
  if (!n->use_left || !n->use_right || !n->use_out) rc = tdbErrNoMem(b->err);
  for (k = 0; k < nnames && rc == TDB_OK; k++) {
    TdbSpan sp = src->using_names ? src->using_names->spans[k] : src->span;
    int l = -1, r = -1;
    rc = tdbJoinUsingSide(b, jt, n->left, names[k], "left", sp, &l);
    if (rc == TDB_OK) rc = tdbJoinUsingSide(b, jt, n->right, names[k], "right", sp, &r);
    if (rc == TDB_OK) rc = tdbJoinAddEq(b, jt, &src->on, l, r, src->span);
    if (rc != TDB_OK) break;
    n->use_left[k] = l;
    n->use_right[k] = r;
    n->use_out[k] = n->kind == TDB_JOIN_RIGHT || n->kind == TDB_JOIN_FULL
                        ? jt->slot_first + (*nslots)++ : l;
    n->nusing = k + 1;
  }
  tdbMemFree(b->mem, names);
  n->on = src->on;
  if (nnames > 0) jt->has_using = 1;
  return rc;
}

/* Check that the ON of join node i reads only the items it joins (outer
** joins and joins inside parentheses; SQLite's rule). */
static int tdbJoinCheckOn(TdbBinder *b, const TdbJoinTree *jt, const TdbJoinNode *n,
                          const TdbExpr *e) {
  int i, rc;
  if (!e) return TDB_OK;
  if (e->kind == TDB_EXPR_COLUMN && e->depth == 0) {
    uint64_t m = tdbJoinColLeaves(jt, e->column);
    if (m & ~n->leaves) {
      TdbStr msg;
      int leaf = tdbJoinLeafOf(jt, e->column);
      const TdbSource *s = leaf >= 0 ? jt->leaf[leaf] : NULL;
      tdbStrInit(&msg, b->mem);
      tdbStrAppendf(&msg, "ON clause references table \"%s\" outside its join",
                    s ? (s->alias ? s->alias : s->name ? s->name : "?") : "?");
      return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_TABLE);
    }
    return TDB_OK;
  }
  if (e->select) return TDB_OK; /* a subquery's reads are its own */
  rc = tdbJoinCheckOn(b, jt, n, e->left);
  if (rc == TDB_OK) rc = tdbJoinCheckOn(b, jt, n, e->right);
  if (rc == TDB_OK) rc = tdbJoinCheckOn(b, jt, n, e->third);
  for (i = 0; rc == TDB_OK && e->list && i < e->list->n; i++) {
    rc = tdbJoinCheckOn(b, jt, n, e->list->items[i].expr);
  }
  return rc;
}

/* After ON is bound: every ON outside the top run of inner joins reads only
** its own items. */
static int tdbJoinCheckScopes(TdbBinder *b, const TdbJoinTree *jt, int node, int top) {
  const TdbJoinNode *n = &jt->nodes[node];
  int inner, rc;
  if (n->kind < 0) return TDB_OK;
  inner = n->kind == TDB_JOIN_INNER || n->kind == TDB_JOIN_CROSS;
  if (!(top && inner)) {
    rc = tdbJoinCheckOn(b, jt, n, n->on);
    if (rc != TDB_OK) return rc;
  }
  rc = tdbJoinCheckScopes(b, jt, n->left, top && inner);
  return rc == TDB_OK ? tdbJoinCheckScopes(b, jt, n->right, 0) : rc;
}

/* Build s->jtree over the bound FROM items (offsets set); merged USING
** columns get slots from *width on, which grows by their number. */
static int tdbBindJoinTree(TdbBinder *b, TdbSelect *s, int *width) {
  TdbJoinBuild jb;
  TdbJoinTree *jt;
  TdbSource *src;
  int n = 0, i, rc, nslots = 0;
  for (src = s->from; src; src = src->next) n++;
  if (n > 64) {
    return tdbErrSet(b->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                     "too many tables in FROM: %d (at most 64)", n);
  }
  jt = tdbMemAllocZero(b->mem, sizeof *jt);
  if (!jt) return tdbErrNoMem(b->err);
  s->jtree = jt;
  jt->nleaves = n;
  jt->nodes = tdbMemAllocZero(b->mem, sizeof(TdbJoinNode) * (size_t)(2 * n));
  jt->leaf = tdbMemAllocZero(b->mem, sizeof(TdbSource *) * (size_t)n);
  memset(&jb, 0, sizeof jb);
  jb.b = b;
  jb.jt = jt;
  jb.opens = tdbMemAlloc(b->mem, (size_t)n * 2);
  jb.parent = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(2 * n));
  if (!jt->nodes || !jt->leaf || !jb.opens || !jb.parent) {
    tdbMemFree(b->mem, jb.opens);
    tdbMemFree(b->mem, jb.parent);
    return tdbErrNoMem(b->err);
  }
  jb.closes = jb.opens + n;
  for (src = s->from, i = 0; src; src = src->next, i++) {
    jt->leaf[i] = src;
    jb.opens[i] = src->nopen;
    jb.closes[i] = src->nclose;
  }
  jt->slot_first = *width;
  rc = tdbJoinGroup(&jb, &jt->root);
  /* the parser pairs every parenthesis, so the whole list is read */
  tdbMemFree(b->mem, jb.opens);
  tdbMemFree(b->mem, jb.parent);
  for (i = 0; rc == TDB_OK && i < jt->n; i++) {
    if (jt->nodes[i].kind >= 0) rc = tdbJoinResolveUsing(b, jt, i, &nslots);
  }
  jt->nslots = nslots;
  *width += nslots;
  return rc;
}

/* A table absent from the current catalog read at a constant system point
** resolves in the catalog of that epoch (schema_past.h); src->table stays
** NULL when it does not. */
static int tdbBindPastTable(TdbBinder *b, TdbSource *src) {
  TdbTemporalEff eff;
  const TdbExpr *at;
  const TdbTableDef *t = NULL;
  int rc;
  if (!b->cat || !b->cat->past) return TDB_OK;
  memset(&eff, 0, sizeof eff);
  tdbTemporalOver(&eff, src->temporal, &b->inherit);
  if (!eff.sys || eff.sys->kind != TDB_TSEL_AS_OF) return TDB_OK;
  at = eff.sys->a;
  if (!at || at->kind != TDB_EXPR_LITERAL) return TDB_OK;
  rc = tdbSchemaPastTable(b->cat->past, src->name, &at->value, b->err, &t);
  if (rc == TDB_OK) src->table = (TdbTableDef *)t;
  return rc;
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
            rc = tdbBindPastTable(b, src);
            if (rc != TDB_OK) return rc;
          }
          if (!src->view && !src->table) {
            TdbStr msg;
            tdbStrInit(&msg, b->mem);
            tdbStrAppendf(&msg, "no such table: %s", src->name);
            return tdbBindFail(b, &msg, src->span, TDB_ERROR_SCHEMA,
                               TDB_SQLSTATE_UNDEFINED_TABLE);
          }
          if (src->view && src->temporal) return tdbTemporalNotTable(b, src, "catalog view");
        }
      }
      if (src->table) {
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
  if (s->from && s->from->next) {
    rc = tdbBindJoinTree(b, s, &offset);
    if (rc != TDB_OK) return rc;
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
    if (!e->table && s->jtree && s->jtree->has_using) {
      total += s->nsource_cols; /* at most; counted exactly below */
      continue;
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
    if (!it->expr->table && s->jtree && s->jtree->has_using) {
      /* USING columns once, first (the SQL standard's order) */
      int *star = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(s->nsource_cols + 1));
      int nstar = 0;
      if (star) tdbJoinStar(s->jtree, s->jtree->root, star, &nstar);
      for (j = 0; star && j < nstar; j++) {
        TdbExpr *ref = tdbJoinColumnRef(b, s->jtree, star[j], it->expr->span);
        if (!ref) break;
        tdbMemFree(b->mem, ref->table); /* the result column is named by the column alone */
        ref->table = NULL;
        items[n++].expr = ref;
      }
      tdbMemFree(b->mem, star);
      if (!star || j < nstar) goto nomem;
      continue;
    }
    for (src = s->from; src; src = src->next) {
      if (it->expr->table && !tdbBindQualifies(src, it->expr->table)) continue;
      for (j = 0; j < tdbSrcVisible(src); j++) {
        items[n].expr = tdbBindColumnRef(b->mem, src, tdbSrcVisibleColumn(src, j), it->expr->span);
        if (!items[n].expr) goto nomem;
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
nomem:
  {
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
}

/* ---- GROUP BY rewrite -------------------------------------------------------- */

static int tdbListEqual(const TdbExprList *a, const TdbExprList *b) {
  int i;
  if (!a || !b) return (a ? a->n : 0) == (b ? b->n : 0);
  if (a->n != b->n) return 0;
  for (i = 0; i < a->n; i++) {
    if (a->items[i].desc != b->items[i].desc || a->items[i].nulls != b->items[i].nulls ||
        !tdbExprEqual(a->items[i].expr, b->items[i].expr)) {
      return 0;
    }
  }
  return 1;
}

/* Same (resolved) window: partition, order and frame. */
static int tdbWindowEqual(const TdbWindowDef *a, const TdbWindowDef *b) {
  if (a->base || b->base) return 0; /* not resolved yet */
  return tdbListEqual(a->partition_by, b->partition_by) && tdbListEqual(a->order_by, b->order_by) &&
         a->units == b->units && a->start.kind == b->start.kind && a->end.kind == b->end.kind &&
         tdbExprEqual(a->start.offset, b->start.offset) && tdbExprEqual(a->end.offset, b->end.offset);
}

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
      return a->column == b->column && a->depth == b->depth;
    case TDB_EXPR_AGGREF:
      if (a->column == b->column) return 1;
      /* two calls of one aggregate over the same arguments (registered
      ** apart, so reading different columns) have the same value */
      if (a->agg < 0 || b->agg < 0 || a->over || b->over || strcmp(a->name, b->name) != 0 ||
          !tdbExprEqual(a->filter, b->filter)) {
        return 0;
      }
      break;
    case TDB_EXPR_FUNC:
      if (strcmp(a->name, b->name) != 0 || !tdbExprEqual(a->filter, b->filter)) return 0;
      if (!a->over != !b->over) return 0;
      if (a->over && !tdbWindowEqual(a->over, b->over)) return 0;
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
      if (e->over && e->win >= 0) {
        /* a window call reads the aggregation row: its arguments, FILTER,
        ** PARTITION BY and ORDER BY are rewritten, the call itself stays */
        rc = tdbBindGrouped(b, s, e->filter);
        for (i = 0; rc == TDB_OK && e->list && i < e->list->n; i++) {
          rc = tdbBindGrouped(b, s, e->list->items[i].expr);
        }
        for (i = 0; rc == TDB_OK && e->over->partition_by && i < e->over->partition_by->n; i++) {
          rc = tdbBindGrouped(b, s, e->over->partition_by->items[i].expr);
        }
        for (i = 0; rc == TDB_OK && e->over->order_by && i < e->over->order_by->n; i++) {
          rc = tdbBindGrouped(b, s, e->over->order_by->items[i].expr);
        }
        return rc;
      }
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
  int i, j, rc, nwins;
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
    nwins = s->nwins;
    rc = tdbBindExpr(b, sc, e, 0);
    if (rc != TDB_OK) return rc;
    for (j = 0; j < s->nresult; j++) {
      if (tdbExprEqual(e, s->columns->items[j].expr)) {
        s->sort_col[i] = j;
        break;
      }
    }
    if (s->sort_col[i] >= 0) {
      s->nwins = nwins; /* window calls it made are not computed: the column is */
      continue;
    }
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
  if (rc == TDB_OK) rc = tdbBindWindowClause(b, s);
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
  if (s->jtree) {
    rc = tdbJoinCheckScopes(b, s->jtree, s->jtree->root, 1);
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
  sc.allow_windows = 1;
  rc = tdbBindList(b, &sc, s->columns, 0);
  sc.allow_windows = 0;
  sc.win_where = "HAVING";
  if (rc == TDB_OK) rc = tdbBindExpr(b, &sc, s->having, 0);
  if (rc == TDB_OK) rc = tdbCheckCondition(b, &sc, s->having, "HAVING");
  sc.allow_windows = 1;
  sc.win_where = NULL;
  if (rc == TDB_OK) rc = tdbBindOrderBy(b, s, &sc);
  if (rc != TDB_OK) return rc;
  sc.allow_aggs = 0;
  sc.allow_windows = 0;
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
  /* window calls read the WINDOW operator's row: its input row, then one
  ** column per call */
  for (i = 0; i < s->nwins; i++) {
    TdbExpr *w = s->wins[i];
    w->kind = TDB_EXPR_AGGREF;
    w->column = (s->grouped ? (s->group_by ? s->group_by->n : 0) + s->naggs : s->nsource_cols) + i;
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
