/*
** exprprint.c — SQL text of an expression tree (ast.h: tdbExprToSql), for
** EXPLAIN and for rewriting stored CHECK / DEFAULT texts when a column is
** renamed. The text parses back to the same tree: binary operations are
** parenthesized, names that need it are double-quoted.
*/
#include "ast.h"
#include "parser.h"
#include "period.h"

static const char *tdbPrintOp(int op) {
  switch (op) {
    case TDB_OP_ADD: return "+";
    case TDB_OP_SUB: return "-";
    case TDB_OP_MUL: return "*";
    case TDB_OP_DIV: return "/";
    case TDB_OP_MOD: return "%";
    case TDB_OP_CONCAT: return "||";
    case TDB_OP_EQ: return "=";
    case TDB_OP_NE: return "<>";
    case TDB_OP_LT: return "<";
    case TDB_OP_LE: return "<=";
    case TDB_OP_GT: return ">";
    case TDB_OP_GE: return ">=";
    case TDB_OP_AND: return "AND";
    case TDB_OP_OR: return "OR";
    case TDB_OP_LIKE: return "LIKE";
    case TDB_OP_ILIKE: return "ILIKE";
    case TDB_OP_GLOB: return "GLOB";
    default: return "?";
  }
}

/* An identifier, quoted unless it is a plain lower-case name. */
TDB_PRIVATE void tdbPrintName(TdbStr *out, const char *name) {
  const char *c;
  int plain = (*name >= 'a' && *name <= 'z') || *name == '_';
  for (c = name; *c && plain; c++) {
    plain = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
  }
  if (plain && !tdbIsKeyword(name)) {
    tdbStrAppendz(out, name);
    return;
  }
  tdbStrAppendChar(out, '"');
  for (c = name; *c; c++) {
    if (*c == '"') tdbStrAppendChar(out, '"');
    tdbStrAppendChar(out, *c);
  }
  tdbStrAppendChar(out, '"');
}

static void tdbPrintLiteral(TdbStr *out, const TdbValue *v) {
  uint32_t i;
  switch (v->type) {
    case TDB_TYPE_NULL: tdbStrAppendz(out, "NULL"); return;
    case TDB_TYPE_BOOLEAN: tdbStrAppendz(out, v->u.i ? "TRUE" : "FALSE"); return;
    case TDB_TYPE_INTEGER: tdbValueRender(out, v); return;
    case TDB_TYPE_REAL: {
      /* a REAL must read back as a REAL: 2.0, not 2; non-finite as a cast */
      char buf[32];
      int n = tdbRealFormat(v->u.r, buf);
      if (v->u.r != v->u.r || v->u.r - v->u.r != 0) {
        tdbStrAppendf(out, "CAST('%.*s' AS REAL)", n, buf);
      } else {
        tdbStrAppend(out, buf, (size_t)n);
        if (!memchr(buf, '.', (size_t)n) && !memchr(buf, 'e', (size_t)n)) tdbStrAppendz(out, ".0");
      }
      return;
    }
    case TDB_TYPE_BLOB:
      tdbStrAppendz(out, "x'");
      for (i = 0; i < v->n; i++) tdbStrAppendf(out, "%02x", (unsigned char)v->u.z[i]);
      tdbStrAppendChar(out, '\'');
      return;
    default: {
      TdbStr text;
      const char *c;
      tdbStrInit(&text, out->mem);
      tdbValueRender(&text, v);
      tdbStrAppendChar(out, '\'');
      for (c = text.z; c && *c; c++) {
        if (*c == '\'') tdbStrAppendChar(out, '\'');
        tdbStrAppendChar(out, *c);
      }
      tdbStrAppendChar(out, '\'');
      tdbStrClear(&text);
      return;
    }
  }
}

static void tdbPrintList(TdbStr *out, const TdbExprList *l, int from) {
  int i;
  for (i = from; l && i < l->n; i++) {
    if (i > from) tdbStrAppendz(out, ", ");
    tdbExprToSql(out, l->items[i].expr);
  }
}

static void tdbPrintBound(TdbStr *out, const TdbFrameBound *b) {
  switch (b->kind) {
    case TDB_BOUND_UNBOUNDED_PRECEDING: tdbStrAppendz(out, "UNBOUNDED PRECEDING"); return;
    case TDB_BOUND_UNBOUNDED_FOLLOWING: tdbStrAppendz(out, "UNBOUNDED FOLLOWING"); return;
    case TDB_BOUND_CURRENT_ROW: tdbStrAppendz(out, "CURRENT ROW"); return;
    default:
      tdbExprToSql(out, b->offset);
      tdbStrAppendz(out, b->kind == TDB_BOUND_PRECEDING ? " PRECEDING" : " FOLLOWING");
      return;
  }
}

/* " OVER (PARTITION BY ... ORDER BY ... frame)" of a (resolved) window. */
static void tdbPrintWindow(TdbStr *out, const TdbWindowDef *w) {
  int i;
  const char *sep = "";
  if (w->bare_ref && w->base) {
    tdbStrAppendz(out, " OVER ");
    tdbPrintName(out, w->base);
    return;
  }
  tdbStrAppendz(out, " OVER (");
  if (w->base) {
    tdbPrintName(out, w->base);
    sep = " ";
  }
  if (w->partition_by) {
    tdbStrAppendf(out, "%sPARTITION BY ", sep);
    tdbPrintList(out, w->partition_by, 0);
    sep = " ";
  }
  if (w->order_by) {
    tdbStrAppendf(out, "%sORDER BY ", sep);
    for (i = 0; i < w->order_by->n; i++) {
      const TdbExprItem *it = &w->order_by->items[i];
      if (i) tdbStrAppendz(out, ", ");
      tdbExprToSql(out, it->expr);
      if (it->desc) tdbStrAppendz(out, " DESC");
      if (it->nulls) tdbStrAppendz(out, it->nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
    }
    sep = " ";
  }
  if (w->units) {
    tdbStrAppendf(out, "%s%s BETWEEN ", sep, w->units == TDB_FRAME_ROWS ? "ROWS" : "RANGE");
    tdbPrintBound(out, &w->start);
    tdbStrAppendz(out, " AND ");
    tdbPrintBound(out, &w->end);
  }
  tdbStrAppendChar(out, ')');
}

TDB_PRIVATE void tdbExprToSql(TdbStr *out, const TdbExpr *e) {
  int i;
  if (!e) return;
  switch (e->kind) {
    case TDB_EXPR_LITERAL: tdbPrintLiteral(out, &e->value); return;
    case TDB_EXPR_PARAM: tdbStrAppendf(out, "$%d", e->param); return;
    case TDB_EXPR_COLUMN:
      if (e->table) {
        tdbPrintName(out, e->table);
        tdbStrAppendChar(out, '.');
      }
      tdbPrintName(out, e->name ? e->name : "?column?");
      return;
    case TDB_EXPR_STAR: tdbStrAppendChar(out, '*'); return;
    case TDB_EXPR_UNARY:
      tdbStrAppendz(out, e->op == TDB_OP_NOT ? "(NOT " : e->op == TDB_OP_NEG ? "(-" : "(+");
      tdbExprToSql(out, e->left);
      tdbStrAppendChar(out, ')');
      return;
    case TDB_EXPR_BINARY:
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendf(out, " %s ", tdbPrintOp(e->op));
      tdbExprToSql(out, e->right);
      tdbStrAppendChar(out, ')');
      return;
    case TDB_EXPR_IS:
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendz(out, e->negated ? " IS NOT " : " IS ");
      if (e->op == TDB_OP_IS_NULL) tdbStrAppendz(out, "NULL");
      else if (e->op == TDB_OP_IS_TRUE) tdbStrAppendz(out, "TRUE");
      else if (e->op == TDB_OP_IS_FALSE) tdbStrAppendz(out, "FALSE");
      else {
        tdbStrAppendz(out, "DISTINCT FROM ");
        tdbExprToSql(out, e->right);
      }
      tdbStrAppendChar(out, ')');
      return;
    case TDB_EXPR_BETWEEN:
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendz(out, e->negated ? " NOT BETWEEN " : " BETWEEN ");
      tdbExprToSql(out, e->right);
      tdbStrAppendz(out, " AND ");
      tdbExprToSql(out, e->third);
      tdbStrAppendChar(out, ')');
      return;
    case TDB_EXPR_IN_LIST:
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendz(out, e->negated ? " NOT IN (" : " IN (");
      tdbPrintList(out, e->list, 0);
      tdbStrAppendz(out, "))");
      return;
    case TDB_EXPR_LIKE:
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendf(out, "%s %s ", e->negated ? " NOT" : "", tdbPrintOp(e->op));
      tdbExprToSql(out, e->right);
      if (e->third) {
        tdbStrAppendz(out, " ESCAPE ");
        tdbExprToSql(out, e->third);
      }
      tdbStrAppendChar(out, ')');
      return;
    case TDB_EXPR_CASE:
      tdbStrAppendz(out, "CASE");
      if (e->left) {
        tdbStrAppendChar(out, ' ');
        tdbExprToSql(out, e->left);
      }
      for (i = 0; e->list && i + 1 < e->list->n; i += 2) {
        tdbStrAppendz(out, " WHEN ");
        tdbExprToSql(out, e->list->items[i].expr);
        tdbStrAppendz(out, " THEN ");
        tdbExprToSql(out, e->list->items[i + 1].expr);
      }
      if (e->right) {
        tdbStrAppendz(out, " ELSE ");
        tdbExprToSql(out, e->right);
      }
      tdbStrAppendz(out, " END");
      return;
    case TDB_EXPR_CAST:
      tdbStrAppendz(out, "CAST(");
      tdbExprToSql(out, e->left);
      tdbStrAppendf(out, " AS %s)", tdbTypeName(e->cast_type));
      return;
    case TDB_EXPR_FUNC:
    case TDB_EXPR_AGGREF:
      tdbPrintName(out, e->name ? e->name : "?");
      tdbStrAppendChar(out, '(');
      if (e->star) tdbStrAppendChar(out, '*');
      if (e->distinct) tdbStrAppendz(out, "DISTINCT ");
      tdbPrintList(out, e->list, 0);
      tdbStrAppendChar(out, ')');
      if (e->filter) {
        tdbStrAppendz(out, " FILTER (WHERE ");
        tdbExprToSql(out, e->filter);
        tdbStrAppendChar(out, ')');
      }
      if (e->over) tdbPrintWindow(out, e->over);
      return;
    case TDB_EXPR_SUBQUERY: tdbStrAppendz(out, "(SELECT ...)"); return;
    case TDB_EXPR_EXISTS: tdbStrAppendz(out, "EXISTS (SELECT ...)"); return;
    case TDB_EXPR_IN_SELECT:
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendz(out, e->negated ? " NOT IN (SELECT ...))" : " IN (SELECT ...))");
      return;
    case TDB_EXPR_QUANTIFIED: {
      static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendf(out, " %s %s (SELECT ...))", ops[e->op - TDB_OP_EQ], e->quant_all ? "ALL" : "ANY");
      return;
    }
    case TDB_EXPR_PERIOD: tdbPeriodToSql(out, e); return;
    case TDB_EXPR_JSON:
      tdbStrAppendChar(out, '(');
      tdbExprToSql(out, e->left);
      tdbStrAppendz(out, e->op ? " ->> " : " -> ");
      tdbExprToSql(out, e->right);
      tdbStrAppendChar(out, ')');
      return;
    default:
      tdbStrAppendz(out, "?");
      return;
  }
}
