/*
** ast.c — AST node builders and destructors (see ast.h for the ownership
** rules that keep syntax and memory errors leak-free).
*/
#include "ast.h"
#include "temporal.h"

#include <stdio.h>

/* Record out-of-memory once in the parse context; returns NULL. */
static void *tdbAstNoMem(TdbParse *p) {
  if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
  return NULL;
}

TDB_PRIVATE TdbSpan tdbSpanOfToken(TdbParse *p, TdbToken t) {
  TdbSpan s;
  s.start = (uint32_t)(t.z - p->sql);
  s.end = s.start + t.n;
  return s;
}

TDB_PRIVATE TdbSpan tdbSpanJoin(TdbSpan a, TdbSpan b) {
  TdbSpan s;
  s.start = TDB_MIN(a.start, b.start);
  s.end = TDB_MAX(a.end, b.end);
  return s;
}

static TdbExpr *tdbExprNew(TdbParse *p, int kind, TdbSpan span) {
  TdbExpr *e = tdbMemAllocZero(p->mem, sizeof *e);
  if (!e) return tdbAstNoMem(p);
  e->kind = (uint8_t)kind;
  e->agg = -1;
  e->win = -1;
  tdbValueSetNull(&e->value);
  e->span = span;
  return e;
}

TDB_PRIVATE void tdbExprFree(TdbMem *mem, TdbExpr *e) {
  if (!e) return;
  tdbValueClear(mem, &e->value);
  tdbMemFree(mem, e->name);
  tdbMemFree(mem, e->table);
  tdbExprFree(mem, e->left);
  tdbExprFree(mem, e->right);
  tdbExprFree(mem, e->third);
  tdbExprListFree(mem, e->list);
  tdbSelectFree(mem, e->select);
  tdbExprFree(mem, e->filter);
  tdbWindowFree(mem, e->over);
  tdbMemFree(mem, e);
}

TDB_PRIVATE TdbExpr *tdbExprInteger(TdbParse *p, TdbToken t) {
  TdbExpr *e = tdbExprNew(p, TDB_EXPR_LITERAL, tdbSpanOfToken(p, t));
  int64_t i;
  double r;
  if (!e) return NULL;
  if (tdbParseInt64(t.z, t.n, &i) == 0) {
    tdbValueSetInt(&e->value, i);
  } else if (tdbParseReal(t.z, t.n, &r) == 0) {
    tdbValueSetReal(&e->value, r); /* beyond 64 bits: an approximate REAL */
  } else {
    tdbExprFree(p->mem, e);
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_OUT_OF_RANGE,
                        "integer literal out of range: %.*s", (int)TDB_MIN(t.n, 64), t.z);
    }
    return NULL;
  }
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprReal(TdbParse *p, TdbToken t) {
  TdbExpr *e = tdbExprNew(p, TDB_EXPR_LITERAL, tdbSpanOfToken(p, t));
  double r = 0;
  if (!e) return NULL;
  if (tdbParseReal(t.z, t.n, &r) != 0) {
    tdbExprFree(p->mem, e);
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_OUT_OF_RANGE,
                        "numeric literal out of range: %.*s", (int)TDB_MIN(t.n, 64), t.z);
    }
    return NULL;
  }
  tdbValueSetReal(&e->value, r);
  return e;
}

/* Copy the body of a quoted token (quote char q), collapsing doubled quotes. */
static char *tdbUnquote(TdbParse *p, TdbToken t, char q, size_t *outlen) {
  size_t i, n = 0;
  char *z = tdbMemAlloc(p->mem, t.n);
  if (!z) return tdbAstNoMem(p);
  for (i = 1; i + 1 < t.n; i++) {
    z[n++] = t.z[i];
    if (t.z[i] == q) i++; /* the lexer guarantees quotes come in pairs here */
  }
  z[n] = '\0';
  *outlen = n;
  return z;
}

TDB_PRIVATE TdbExpr *tdbExprString(TdbParse *p, TdbToken t) {
  TdbExpr *e = tdbExprNew(p, TDB_EXPR_LITERAL, tdbSpanOfToken(p, t));
  size_t n;
  char *z;
  if (!e) return NULL;
  z = tdbUnquote(p, t, '\'', &n);
  if (!z) {
    tdbExprFree(p->mem, e);
    return NULL;
  }
  tdbValueTakeBytes(&e->value, TDB_TYPE_TEXT, z, n);
  return e;
}

static int tdbHexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

TDB_PRIVATE TdbExpr *tdbExprBlob(TdbParse *p, TdbToken t) {
  /* x'0A1b': the lexer guarantees an even number of hex digits */
  TdbExpr *e = tdbExprNew(p, TDB_EXPR_LITERAL, tdbSpanOfToken(p, t));
  size_t i, ndigits = t.n - 3;
  char *z;
  if (!e) return NULL;
  z = tdbMemAlloc(p->mem, ndigits / 2 + 1);
  if (!z) {
    tdbExprFree(p->mem, e);
    return tdbAstNoMem(p);
  }
  for (i = 0; i < ndigits / 2; i++) {
    z[i] = (char)(tdbHexDigit(t.z[2 + 2 * i]) * 16 + tdbHexDigit(t.z[3 + 2 * i]));
  }
  z[ndigits / 2] = '\0';
  tdbValueTakeBytes(&e->value, TDB_TYPE_BLOB, z, ndigits / 2);
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprNull(TdbParse *p, TdbToken t) {
  return tdbExprNew(p, TDB_EXPR_LITERAL, tdbSpanOfToken(p, t));
}

TDB_PRIVATE TdbExpr *tdbExprBool(TdbParse *p, TdbToken t, int value) {
  TdbExpr *e = tdbExprNew(p, TDB_EXPR_LITERAL, tdbSpanOfToken(p, t));
  if (e) tdbValueSetBool(&e->value, value);
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprParam(TdbParse *p, TdbToken t) {
  TdbExpr *e;
  int64_t index;
  if (t.z[0] == '?') {
    index = p->next_qmark++;
  } else if (tdbParseInt64(t.z + 1, t.n - 1, &index) != 0 || index < 1 ||
             index > TDB_MAX_PARAMS) {
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_UNDEFINED_PARAM,
                        "parameter %.*s out of range (1..%d)", (int)TDB_MIN(t.n, 32),
                        t.z, TDB_MAX_PARAMS);
    }
    return NULL;
  } else {
    /* `?` after `$n` continues after the highest number seen */
    if (index >= p->next_qmark) p->next_qmark = (int)index + 1;
  }
  if (index > TDB_MAX_PARAMS) {
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                        "too many parameters (at most %d)", TDB_MAX_PARAMS);
    }
    return NULL;
  }
  e = tdbExprNew(p, TDB_EXPR_PARAM, tdbSpanOfToken(p, t));
  if (!e) return NULL;
  e->param = (int)index;
  if (index > p->nparam) p->nparam = (int)index;
  return e;
}

TDB_PRIVATE char *tdbIdentifier(TdbParse *p, TdbToken t) {
  char *z;
  size_t i, n;
  if (t.n >= 2 && t.z[0] == '"') {
    z = tdbUnquote(p, t, '"', &n);
    return z;
  }
  z = tdbMemStrndup(p->mem, t.z, t.n);
  if (!z) return tdbAstNoMem(p);
  for (i = 0; i < t.n; i++) {
    if (z[i] >= 'A' && z[i] <= 'Z') z[i] = (char)(z[i] - 'A' + 'a');
  }
  return z;
}

TDB_PRIVATE TdbExpr *tdbExprColumn(TdbParse *p, TdbToken *table, TdbToken name) {
  TdbSpan span = tdbSpanOfToken(p, name);
  TdbExpr *e;
  if (table) span = tdbSpanJoin(tdbSpanOfToken(p, *table), span);
  e = tdbExprNew(p, TDB_EXPR_COLUMN, span);
  if (!e) return NULL;
  e->name = tdbIdentifier(p, name);
  if (table) e->table = tdbIdentifier(p, *table);
  if (!e->name || (table && !e->table)) {
    tdbExprFree(p->mem, e);
    return NULL;
  }
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprColumnNamed(TdbParse *p, const char *name, TdbSpan span) {
  TdbExpr *e = tdbExprNew(p, TDB_EXPR_COLUMN, span);
  if (!e) return NULL;
  e->name = tdbMemStrndup(p->mem, name, strlen(name));
  if (!e->name) {
    tdbExprFree(p->mem, e);
    return tdbAstNoMem(p);
  }
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprStar(TdbParse *p, TdbToken *table, TdbToken star) {
  TdbSpan span = tdbSpanOfToken(p, star);
  TdbExpr *e;
  if (table) span = tdbSpanJoin(tdbSpanOfToken(p, *table), span);
  e = tdbExprNew(p, TDB_EXPR_STAR, span);
  if (e && table && !(e->table = tdbIdentifier(p, *table))) {
    tdbExprFree(p->mem, e);
    return NULL;
  }
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprUnary(TdbParse *p, TdbToken optok, int op, TdbExpr *operand) {
  TdbExpr *e;
  if (!operand) return NULL;
  e = tdbExprNew(p, TDB_EXPR_UNARY, tdbSpanJoin(tdbSpanOfToken(p, optok), operand->span));
  if (!e) {
    tdbExprFree(p->mem, operand);
    return NULL;
  }
  e->op = (uint8_t)op;
  e->left = operand;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprBinary(TdbParse *p, int op, TdbExpr *l, TdbExpr *r) {
  TdbExpr *e;
  if (!l || !r) {
    tdbExprFree(p->mem, l);
    tdbExprFree(p->mem, r);
    return NULL;
  }
  e = tdbExprNew(p, TDB_EXPR_BINARY, tdbSpanJoin(l->span, r->span));
  if (!e) {
    tdbExprFree(p->mem, l);
    tdbExprFree(p->mem, r);
    return NULL;
  }
  e->op = (uint8_t)op;
  e->left = l;
  e->right = r;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprIs(TdbParse *p, int op, int negated, TdbExpr *l,
                               TdbExpr *r, TdbToken end) {
  TdbExpr *e;
  if (!l || (op == TDB_OP_IS_DISTINCT && !r)) {
    tdbExprFree(p->mem, l);
    tdbExprFree(p->mem, r);
    return NULL;
  }
  e = tdbExprNew(p, TDB_EXPR_IS, tdbSpanJoin(l->span, tdbSpanOfToken(p, end)));
  if (!e) {
    tdbExprFree(p->mem, l);
    tdbExprFree(p->mem, r);
    return NULL;
  }
  if (r) e->span = tdbSpanJoin(e->span, r->span);
  e->op = (uint8_t)op;
  e->negated = (uint8_t)negated;
  e->left = l;
  e->right = r;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprBetween(TdbParse *p, int negated, TdbExpr *x,
                                    TdbExpr *lo, TdbExpr *hi) {
  TdbExpr *e = NULL;
  if (x && lo && hi) e = tdbExprNew(p, TDB_EXPR_BETWEEN, tdbSpanJoin(x->span, hi->span));
  if (!e) {
    tdbExprFree(p->mem, x);
    tdbExprFree(p->mem, lo);
    tdbExprFree(p->mem, hi);
    return NULL;
  }
  e->negated = (uint8_t)negated;
  e->left = x;
  e->right = lo;
  e->third = hi;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprInList(TdbParse *p, int negated, TdbExpr *x,
                                   TdbExprList *list, TdbToken end) {
  TdbExpr *e = NULL;
  if (x && list) {
    e = tdbExprNew(p, TDB_EXPR_IN_LIST, tdbSpanJoin(x->span, tdbSpanOfToken(p, end)));
  }
  if (!e) {
    tdbExprFree(p->mem, x);
    tdbExprListFree(p->mem, list);
    return NULL;
  }
  e->negated = (uint8_t)negated;
  e->left = x;
  e->list = list;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprLike(TdbParse *p, int op, int negated, TdbExpr *x,
                                 TdbExpr *pattern, TdbExpr *escape) {
  TdbExpr *e = NULL;
  if (x && pattern) {
    e = tdbExprNew(p, TDB_EXPR_LIKE,
                   tdbSpanJoin(x->span, escape ? escape->span : pattern->span));
  }
  if (!e) {
    tdbExprFree(p->mem, x);
    tdbExprFree(p->mem, pattern);
    tdbExprFree(p->mem, escape);
    return NULL;
  }
  e->op = (uint8_t)op;
  e->negated = (uint8_t)negated;
  e->left = x;
  e->right = pattern;
  e->third = escape;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprCase(TdbParse *p, TdbToken start, TdbExpr *operand,
                                 TdbExprList *whens, TdbExpr *otherwise, TdbToken end) {
  TdbExpr *e = NULL;
  if (whens) {
    e = tdbExprNew(p, TDB_EXPR_CASE,
                   tdbSpanJoin(tdbSpanOfToken(p, start), tdbSpanOfToken(p, end)));
  }
  if (!e) {
    tdbExprFree(p->mem, operand);
    tdbExprListFree(p->mem, whens);
    tdbExprFree(p->mem, otherwise);
    return NULL;
  }
  e->left = operand;
  e->list = whens;
  e->right = otherwise;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprCast(TdbParse *p, TdbToken start, TdbExpr *x,
                                 TdbToken type, TdbToken end) {
  TdbExpr *e;
  int t;
  if (!x) return NULL;
  t = tdbTypeFromName(type.z, type.n);
  if (t < 0) {
    tdbExprFree(p->mem, x);
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_UNDEFINED_OBJECT,
                        "type \"%.*s\" does not exist", (int)TDB_MIN(type.n, 64), type.z);
    }
    return NULL;
  }
  e = tdbExprNew(p, TDB_EXPR_CAST,
                 tdbSpanJoin(tdbSpanJoin(tdbSpanOfToken(p, start), x->span),
                             tdbSpanOfToken(p, end)));
  if (!e) {
    tdbExprFree(p->mem, x);
    return NULL;
  }
  e->cast_type = t;
  e->left = x;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprFunc(TdbParse *p, TdbToken name, TdbExprList *args,
                                 int distinct, int star, TdbToken end) {
  TdbExpr *e = tdbExprNew(p, TDB_EXPR_FUNC,
                          tdbSpanJoin(tdbSpanOfToken(p, name), tdbSpanOfToken(p, end)));
  if (!e || !(e->name = tdbIdentifier(p, name))) {
    tdbExprFree(p->mem, e);
    tdbExprListFree(p->mem, args);
    return NULL;
  }
  e->list = args;
  e->distinct = (uint8_t)distinct;
  e->star = (uint8_t)star;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprWiden(TdbParse *p, TdbToken open, TdbExpr *e, TdbToken close) {
  if (e) {
    e->span = tdbSpanJoin(tdbSpanJoin(tdbSpanOfToken(p, open), e->span),
                          tdbSpanOfToken(p, close));
  }
  return e;
}

TDB_PRIVATE TdbExprList *tdbExprListAppend(TdbParse *p, TdbExprList *list, TdbExpr *e,
                                           TdbToken *alias) {
  TdbExprItem *item;
  size_t cap;
  void *items;
  if (!e) goto fail;
  if (!list) {
    list = tdbMemAllocZero(p->mem, sizeof *list);
    if (!list) goto fail;
  }
  if (list->n >= TDB_MAX_COLUMNS * 16) {
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                        "too many items in a list (at most %d)", TDB_MAX_COLUMNS * 16);
    }
    goto fail_quiet;
  }
  cap = (size_t)list->cap;
  items = list->items;
  if (tdbMemGrow(p->mem, &items, &cap, (size_t)list->n + 1, sizeof *list->items) != 0) {
    goto fail;
  }
  list->items = items;
  list->cap = (int)cap;
  item = &list->items[list->n];
  memset(item, 0, sizeof *item);
  item->expr = e;
  if (alias && !(item->alias = tdbIdentifier(p, *alias))) {
    item->expr = NULL;
    goto fail_quiet;
  }
  list->n++;
  return list;
fail:
  tdbAstNoMem(p);
fail_quiet:
  tdbExprFree(p->mem, e);
  tdbExprListFree(p->mem, list);
  return NULL;
}

TDB_PRIVATE TdbExpr *tdbExprCopy(TdbMem *mem, const TdbExpr *e, int *unsupported) {
  TdbExpr *c;
  int i;
  if (!e) return NULL;
  if (e->select) {
    *unsupported = 1;
    return NULL;
  }
  c = tdbMemAllocZero(mem, sizeof *c);
  if (!c) return NULL;
  *c = *e;
  c->name = c->table = NULL;
  c->left = c->right = c->third = NULL;
  c->list = NULL;
  c->plan = NULL;
  c->filter = NULL;
  c->over = NULL;
  tdbValueSetNull(&c->value);
  if ((e->name && !(c->name = tdbMemStrndup(mem, e->name, strlen(e->name)))) ||
      (e->table && !(c->table = tdbMemStrndup(mem, e->table, strlen(e->table)))) ||
      tdbValueCopy(mem, &c->value, &e->value) != TDB_OK) {
    goto fail;
  }
  if ((e->left && !(c->left = tdbExprCopy(mem, e->left, unsupported))) ||
      (e->right && !(c->right = tdbExprCopy(mem, e->right, unsupported))) ||
      (e->third && !(c->third = tdbExprCopy(mem, e->third, unsupported))) ||
      (e->filter && !(c->filter = tdbExprCopy(mem, e->filter, unsupported))) ||
      (e->over && !(c->over = tdbWindowCopy(mem, e->over, unsupported)))) {
    goto fail;
  }
  if (e->list) {
    c->list = tdbMemAllocZero(mem, sizeof *c->list);
    if (!c->list) goto fail;
    c->list->items = tdbMemAllocZero(mem, sizeof *c->list->items * (size_t)(e->list->n + 1));
    if (!c->list->items) goto fail;
    c->list->cap = e->list->n + 1;
    for (i = 0; i < e->list->n; i++) {
      TdbExprItem *it = &c->list->items[i];
      it->desc = e->list->items[i].desc;
      it->nulls = e->list->items[i].nulls;
      it->expr = tdbExprCopy(mem, e->list->items[i].expr, unsupported);
      if (!it->expr) goto fail;
      c->list->n++;
    }
  }
  return c;
fail:
  tdbExprFree(mem, c);
  return NULL;
}

TDB_PRIVATE TdbExprList *tdbExprListEmpty(TdbParse *p) {
  TdbExprList *list = tdbMemAllocZero(p->mem, sizeof *list);
  return list ? list : tdbAstNoMem(p);
}

TDB_PRIVATE TdbExprList *tdbExprListAppendSort(TdbParse *p, TdbExprList *list, TdbExpr *e,
                                               int desc, int nulls) {
  list = tdbExprListAppend(p, list, e, NULL);
  if (list) {
    list->items[list->n - 1].desc = (int8_t)desc;
    list->items[list->n - 1].nulls = (int8_t)nulls;
  }
  return list;
}

TDB_PRIVATE void tdbExprListFree(TdbMem *mem, TdbExprList *list) {
  int i;
  if (!list) return;
  for (i = 0; i < list->n; i++) {
    tdbExprFree(mem, list->items[i].expr);
    tdbMemFree(mem, list->items[i].alias);
  }
  tdbMemFree(mem, list->items);
  tdbMemFree(mem, list);
}

TDB_PRIVATE TdbExpr *tdbExprSubquery(TdbParse *p, int kind, int negated, TdbExpr *left,
                                     TdbToken open, TdbSelect *sub, TdbToken close) {
  TdbSpan span = tdbSpanJoin(tdbSpanOfToken(p, open), tdbSpanOfToken(p, close));
  TdbExpr *e;
  if (left) span = tdbSpanJoin(left->span, span);
  if (!sub || (kind == TDB_EXPR_IN_SELECT && !left)) {
    tdbExprFree(p->mem, left);
    tdbSelectFree(p->mem, sub);
    return NULL;
  }
  e = tdbExprNew(p, kind, span);
  if (!e) {
    tdbExprFree(p->mem, left);
    tdbSelectFree(p->mem, sub);
    return NULL;
  }
  e->negated = (uint8_t)negated;
  e->left = left;
  e->select = sub;
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprJson(TdbParse *p, int text, TdbExpr *l, TdbExpr *r) {
  TdbExpr *e = tdbExprBinary(p, TDB_OP_ADD, l, r);
  if (e) {
    e->kind = TDB_EXPR_JSON;
    e->op = (uint8_t)text;
  }
  return e;
}

TDB_PRIVATE TdbSource *tdbSourceNew(TdbParse *p, TdbToken name, TdbToken *alias) {
  TdbSource *src = tdbMemAllocZero(p->mem, sizeof *src);
  if (!src) return tdbAstNoMem(p);
  src->span = tdbSpanOfToken(p, name);
  src->name = tdbIdentifier(p, name);
  if (alias) src->alias = tdbIdentifier(p, *alias);
  if (!src->name || (alias && !src->alias)) {
    tdbSourceFree(p->mem, src);
    return NULL;
  }
  return src;
}

TDB_PRIVATE TdbSource *tdbSourceSubquery(TdbParse *p, TdbToken open, TdbSelect *sub,
                                         TdbToken *alias) {
  TdbSource *src;
  if (!sub) return NULL;
  src = tdbMemAllocZero(p->mem, sizeof *src);
  if (!src) {
    tdbSelectFree(p->mem, sub);
    return tdbAstNoMem(p);
  }
  src->span = tdbSpanOfToken(p, open);
  src->subquery = sub;
  if (alias && !(src->alias = tdbIdentifier(p, *alias))) {
    tdbSourceFree(p->mem, src);
    return NULL;
  }
  return src;
}

TDB_PRIVATE TdbSource *tdbSourceJoin(TdbParse *p, TdbSource *list, int join,
                                     TdbSource *item, TdbExpr *on, TdbNameList *names) {
  TdbSource *last;
  if (!list || !item) {
    tdbSourceFree(p->mem, list);
    tdbSourceFree(p->mem, item);
    tdbExprFree(p->mem, on);
    tdbNameListFree(p->mem, names);
    return NULL;
  }
  /* item may be a group: its first item carries the join with the list */
  item->join = join & ~TDB_JOIN_NATURAL;
  item->natural = (join & TDB_JOIN_NATURAL) != 0;
  item->on = on;
  item->using_names = names;
  for (last = list; last->next; last = last->next) {
  }
  last->next = item;
  return list;
}

TDB_PRIVATE TdbSource *tdbSourceGroup(TdbParse *p, TdbSource *list) {
  TdbSource *last;
  if (!list) return NULL;
  for (last = list; last->next; last = last->next) {
  }
  if (list->nopen == 255 || last->nclose == 255) {
    tdbSourceFree(p->mem, list);
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_TOO_COMPLEX,
                        "parenthesized joins nested too deeply (at most 255)");
    }
    return NULL;
  }
  list->nopen++;
  last->nclose++;
  return list;
}

TDB_PRIVATE void tdbJoinTreeFree(TdbMem *mem, TdbJoinTree *jt) {
  int i;
  if (!jt) return;
  for (i = 0; i < jt->n; i++) {
    tdbMemFree(mem, jt->nodes[i].use_left);
    tdbMemFree(mem, jt->nodes[i].use_right);
    tdbMemFree(mem, jt->nodes[i].use_out);
  }
  tdbMemFree(mem, jt->nodes);
  tdbMemFree(mem, jt->leaf);
  tdbMemFree(mem, jt);
}

TDB_PRIVATE void tdbSourceFree(TdbMem *mem, TdbSource *src) {
  while (src) {
    TdbSource *next = src->next;
    tdbNameListFree(mem, src->using_names);
    tdbMemFree(mem, src->name);
    tdbMemFree(mem, src->alias);
    tdbSelectFree(mem, src->subquery);
    tdbSelectFree(mem, src->view_select);
    tdbExprFree(mem, src->on);
    tdbTemporalFree(mem, src->temporal);
    tdbMemFree(mem, src->eff);
    tdbMemFree(mem, src);
    src = next;
  }
}

TDB_PRIVATE TdbSelect *tdbSelectNew(TdbParse *p, int distinct, TdbExprList *columns,
                                    TdbSource *from, TdbExpr *where, TdbExprList *group_by,
                                    TdbExpr *having) {
  TdbSelect *s = NULL;
  if (columns) s = tdbMemAllocZero(p->mem, sizeof *s);
  if (!s) {
    tdbExprListFree(p->mem, columns);
    tdbSourceFree(p->mem, from);
    tdbExprFree(p->mem, where);
    tdbExprListFree(p->mem, group_by);
    tdbExprFree(p->mem, having);
    return columns ? tdbAstNoMem(p) : NULL;
  }
  s->distinct = distinct;
  s->columns = columns;
  s->from = from;
  s->where = where;
  s->group_by = group_by;
  s->having = having;
  return s;
}

TDB_PRIVATE TdbSelect *tdbSelectFinish(TdbParse *p, TdbSelect *s, TdbExprList *order_by,
                                       TdbExpr *limit, TdbExpr *offset) {
  (void)p;
  if (!s) {
    tdbExprListFree(p->mem, order_by);
    tdbExprFree(p->mem, limit);
    tdbExprFree(p->mem, offset);
    return NULL;
  }
  s->order_by = order_by;
  s->limit = limit;
  s->offset = offset;
  return s;
}

TDB_PRIVATE void tdbSelectFree(TdbMem *mem, TdbSelect *s) {
  if (!s) return;
  tdbExprListFree(mem, s->columns);
  tdbSourceFree(mem, s->from);
  tdbExprFree(mem, s->where);
  tdbExprListFree(mem, s->group_by);
  tdbExprFree(mem, s->having);
  tdbExprListFree(mem, s->order_by);
  tdbExprFree(mem, s->limit);
  tdbExprFree(mem, s->offset);
  tdbWindowFree(mem, s->windows);
  tdbMemFree(mem, s->aggs);
  tdbMemFree(mem, s->wins);
  tdbMemFree(mem, s->sort_col);
  tdbMemFree(mem, s->coltypes);
  tdbSelectFree(mem, s->left);
  tdbSelectFree(mem, s->right);
  tdbWithFree(mem, s->with);
  tdbTemporalFree(mem, s->temporal);
  tdbJoinTreeFree(mem, s->jtree);
  if (s->colnames) {
    int i;
    for (i = 0; i < s->nresult; i++) tdbMemFree(mem, s->colnames[i]);
    tdbMemFree(mem, s->colnames);
  }
  tdbMemFree(mem, s);
}

TDB_PRIVATE TdbNameList *tdbNameListAppend(TdbParse *p, TdbNameList *l, TdbToken name,
                                           int desc) {
  size_t cap;
  void *a, *b, *c;
  char *z;
  if (!l) {
    l = tdbMemAllocZero(p->mem, sizeof *l);
    if (!l) return tdbAstNoMem(p);
  }
  if (l->n >= TDB_MAX_COLUMNS) {
    if (p->rc == TDB_OK) {
      p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_LIMIT,
                        "too many names in a list (at most %d)", TDB_MAX_COLUMNS);
    }
    tdbNameListFree(p->mem, l);
    return NULL;
  }
  if (l->n == l->cap) {
    cap = (size_t)(l->cap ? l->cap * 2 : 4);
    a = tdbMemRealloc(p->mem, l->names, cap * sizeof *l->names);
    if (a) l->names = a;
    b = a ? tdbMemRealloc(p->mem, l->spans, cap * sizeof *l->spans) : NULL;
    if (b) l->spans = b;
    c = b ? tdbMemRealloc(p->mem, l->desc, cap * sizeof *l->desc) : NULL;
    if (c) l->desc = c;
    if (!c) {
      tdbNameListFree(p->mem, l);
      return tdbAstNoMem(p);
    }
    l->cap = (int)cap;
  }
  z = tdbIdentifier(p, name);
  if (!z) {
    tdbNameListFree(p->mem, l);
    return NULL;
  }
  l->names[l->n] = z;
  l->spans[l->n] = tdbSpanOfToken(p, name);
  l->desc[l->n] = (int8_t)desc;
  l->n++;
  return l;
}

TDB_PRIVATE void tdbNameListFree(TdbMem *mem, TdbNameList *l) {
  int i;
  if (!l) return;
  for (i = 0; i < l->n; i++) tdbMemFree(mem, l->names[i]);
  tdbMemFree(mem, l->names);
  tdbMemFree(mem, l->spans);
  tdbMemFree(mem, l->desc);
  tdbMemFree(mem, l);
}
