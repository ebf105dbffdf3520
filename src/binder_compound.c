/*
** binder_compound.c — binding of compound SELECTs (UNION / INTERSECT /
** EXCEPT [ALL]) and of WITH [RECURSIVE] queries. Compiled as part of
** binder.c (included at its end, sharing its static scope helpers); it is
** not listed in tools/amalgamation.list.
**
** Compound: both operands are bound as queries of their own with the same
** enclosing scope; they must have as many columns; the result takes the
** first operand's column names; a column whose two static types are known
** must have equal or both numeric types (else 42804). ORDER BY names result
** columns (by name or position), never expressions.
**
** WITH: each query is bound in order with the earlier ones visible (a
** frame on b->ctes), then the body. Under RECURSIVE a query may read
** itself when it has the form `non-recursive UNION [ALL] recursive`: the
** non-recursive term is bound first (a reference to the query there is
** 42P19) and fixes the column names; the recursive term may reference the
** query once, directly in its FROM (not in a subquery: 42P19), and must be
** one SELECT without aggregates (42P19).
*/

#define TDB_SELF_NONE 0     /* the query being bound is not visible to itself */
#define TDB_SELF_NONREC 1   /* inside its non-recursive term */
#define TDB_SELF_FORM 2     /* it is not `... UNION [ALL] ...` */
#define TDB_SELF_OK 3       /* inside its recursive term */

static const char *tdbSetOpName(int op) {
  switch (op) {
    case TDB_SETOP_UNION: case TDB_SETOP_UNION_ALL: return "UNION";
    case TDB_SETOP_INTERSECT: case TDB_SETOP_INTERSECT_ALL: return "INTERSECT";
    case TDB_SETOP_EXCEPT: case TDB_SETOP_EXCEPT_ALL: return "EXCEPT";
    default: return "SELECT";
  }
}

/* Resolve FROM item src against the WITH queries in scope. TDB_NOTFOUND
** when none has its name; TDB_OK with src->cte set; or an error. */
static int tdbBindCteRef(TdbBinder *b, TdbSource *src) {
  TdbCteFrame *f;
  int i;
  for (f = b->ctes; f; f = f->up) {
    TdbCte *self = f->self;
    if (self && f->self_mode != TDB_SELF_NONE && strcmp(self->name, src->name) == 0) {
      TdbStr msg;
      tdbStrInit(&msg, b->mem);
      if (f->self_mode == TDB_SELF_NONREC) {
        tdbStrAppendf(&msg, "recursive reference to query \"%s\" must not appear within its "
                      "non-recursive term", self->name);
      } else if (f->self_mode == TDB_SELF_FORM) {
        tdbStrAppendf(&msg, "recursive query \"%s\" does not have the form non-recursive-term "
                      "UNION [ALL] recursive-term", self->name);
      } else if (b->sub_level != f->self_level) {
        tdbStrAppendf(&msg, "recursive reference to query \"%s\" must not appear within a "
                      "subquery", self->name);
      } else if (self->nself > 0) {
        tdbStrAppendf(&msg, "recursive reference to query \"%s\" must not appear more than "
                      "once", self->name);
      } else {
        tdbStrClear(&msg);
        self->nself++;
        src->cte = self;
        src->cte_self = 1;
        return TDB_OK;
      }
      return tdbBindFail(b, &msg, src->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_RECURSION);
    }
    for (i = f->nvisible - 1; i >= 0; i--) {
      if (strcmp(f->with->items[i]->name, src->name) == 0) {
        src->cte = f->with->items[i];
        return TDB_OK;
      }
    }
  }
  return TDB_NOTFOUND;
}

/* Copy n strings (NULL on out-of-memory, with nothing left allocated). */
static char **tdbCopyNames(TdbMem *mem, char *const *names, int n) {
  char **out = tdbMemAllocZero(mem, sizeof(char *) * (size_t)(n ? n : 1));
  int i;
  for (i = 0; out && i < n; i++) {
    out[i] = tdbMemStrndup(mem, names[i], strlen(names[i]));
    if (!out[i]) {
      while (i-- > 0) tdbMemFree(mem, out[i]);
      tdbMemFree(mem, out);
      return NULL;
    }
  }
  return out;
}

/* The columns of WITH query c from its bound query q (and its column list). */
static int tdbCteSetColumns(TdbBinder *b, TdbCte *c, const TdbSelect *q) {
  int i;
  if (c->columns && c->columns->n != q->nresult) {
    return tdbBindErrorAt(b, c->span, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                          c->columns->n > q->nresult
                              ? "WITH query has fewer result columns than its column list names"
                              : "WITH query has more result columns than its column list names");
  }
  if (!c->colnames) {
    c->ncols = q->nresult;
    c->colnames = tdbCopyNames(b->mem, c->columns ? c->columns->names : q->colnames, q->nresult);
    c->coltypes = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(q->nresult ? q->nresult : 1));
    if (!c->colnames || !c->coltypes) return tdbErrNoMem(b->err);
  }
  for (i = 0; i < q->nresult; i++) c->coltypes[i] = q->coltypes ? q->coltypes[i] : -1;
  return TDB_OK;
}

static int tdbBindCompoundFinish(TdbBinder *b, TdbSelect *s, TdbScope *outer);

/* The body of WITH RECURSIVE query c (frame f has c as its `self`). */
static int tdbBindRecursiveBody(TdbBinder *b, TdbCte *c, TdbCteFrame *f, TdbScope *outer) {
  TdbSelect *body = c->body;
  int rc;
  if ((body->op != TDB_SETOP_UNION && body->op != TDB_SETOP_UNION_ALL) || body->with ||
      body->order_by || body->limit || body->offset) {
    f->self_mode = TDB_SELF_FORM; /* fine as long as it does not read itself */
    rc = tdbBindSelectIn(b, body, outer);
    f->self_mode = TDB_SELF_NONE;
    return rc == TDB_OK ? tdbCteSetColumns(b, c, body) : rc;
  }
  f->self_mode = TDB_SELF_NONREC;
  rc = tdbBindSelectIn(b, body->left, outer);
  if (rc == TDB_OK) rc = tdbCteSetColumns(b, c, body->left);
  if (rc != TDB_OK) return rc;
  f->self_mode = TDB_SELF_OK;
  f->self_level = b->sub_level;
  c->nself = 0;
  rc = tdbBindSelectIn(b, body->right, outer);
  f->self_mode = TDB_SELF_NONE;
  if (rc != TDB_OK) return rc;
  if (c->nself > 0) {
    const char *why = body->right->op != TDB_SETOP_NONE
                          ? "must be a single SELECT, not a UNION, INTERSECT or EXCEPT"
                          : body->right->grouped ? "must not use aggregate functions or GROUP BY"
                          : NULL;
    if (why) {
      return tdbErrSet(b->err, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_RECURSION,
                       "the recursive term of query \"%s\" %s", c->name, why);
    }
    c->recursive = 1;
  }
  rc = tdbBindCompoundFinish(b, body, outer);
  return rc == TDB_OK ? tdbCteSetColumns(b, c, body) : rc;
}

/* Bind the WITH list of s; f is its frame, on top of b->ctes. */
static int tdbBindWith(TdbBinder *b, TdbSelect *s, TdbScope *outer, TdbCteFrame *f) {
  TdbWith *w = s->with;
  int i, j, rc;
  for (i = 0; i < w->n; i++) {
    TdbCte *c = w->items[i];
    for (j = 0; j < i; j++) {
      if (strcmp(w->items[j]->name, c->name) == 0) {
        TdbStr msg;
        tdbStrInit(&msg, b->mem);
        tdbStrAppendf(&msg, "WITH query name \"%s\" specified more than once", c->name);
        return tdbBindFail(b, &msg, c->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_DUPLICATE_ALIAS);
      }
    }
    if (w->recursive) {
      f->self = c;
      rc = tdbBindRecursiveBody(b, c, f, outer);
      f->self = NULL;
    } else {
      rc = tdbBindSelectIn(b, c->body, outer);
      if (rc == TDB_OK) rc = tdbCteSetColumns(b, c, c->body);
    }
    if (rc != TDB_OK) return rc;
    if (c->body->correlated) s->correlated = 1; /* it runs again per outer row */
    f->nvisible = i + 1;
  }
  return TDB_OK;
}

/* ORDER BY of a compound: result column positions or names only. */
static int tdbBindCompoundOrderBy(TdbBinder *b, TdbSelect *s) {
  TdbExprList *ob = s->order_by;
  int i, j;
  if (!ob) return TDB_OK;
  s->sort_col = tdbMemAllocZero(b->mem, sizeof(int) * (size_t)ob->n);
  if (!s->sort_col) return tdbErrNoMem(b->err);
  for (i = 0; i < ob->n; i++) {
    const TdbExpr *e = ob->items[i].expr;
    TdbStr msg;
    s->sort_col[i] = -1;
    if (e->kind == TDB_EXPR_LITERAL && e->value.type == TDB_TYPE_INTEGER) {
      if (e->value.u.i >= 1 && e->value.u.i <= s->nresult) {
        s->sort_col[i] = (int)e->value.u.i - 1;
        continue;
      }
      tdbStrInit(&msg, b->mem);
      tdbStrAppendf(&msg, "ORDER BY position %lld is not in select list", (long long)e->value.u.i);
      return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_COLUMN_REF);
    }
    if (e->kind == TDB_EXPR_COLUMN && !e->table) {
      for (j = 0; j < s->nresult && s->sort_col[i] < 0; j++) {
        if (strcmp(s->colnames[j], e->name) == 0) s->sort_col[i] = j;
      }
      if (s->sort_col[i] >= 0) continue;
    }
    tdbStrInit(&msg, b->mem);
    tdbStrAppendf(&msg, "ORDER BY of a %s result must name one of its columns or a position",
                  tdbSetOpName(s->op));
    return tdbBindFail(b, &msg, e->span, TDB_ERROR_SCHEMA, TDB_SQLSTATE_INVALID_COLUMN_REF);
  }
  return TDB_OK;
}

/* Result columns, type check, ORDER BY and LIMIT of compound s whose
** operands are bound. */
static int tdbBindCompoundFinish(TdbBinder *b, TdbSelect *s, TdbScope *outer) {
  TdbSelect *l = s->left, *r = s->right;
  TdbScope empty;
  int i, rc;
  if (r && l->nresult != r->nresult) {
    return tdbErrSet(b->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                     "each %s query must have the same number of columns (%d and %d)",
                     tdbSetOpName(s->op), l->nresult, r->nresult);
  }
  s->nresult = l->nresult;
  s->colnames = tdbCopyNames(b->mem, l->colnames, l->nresult);
  s->coltypes = tdbMemAlloc(b->mem, sizeof(int) * (size_t)(s->nresult ? s->nresult : 1));
  if (!s->colnames || !s->coltypes) return tdbErrNoMem(b->err);
  for (i = 0; i < s->nresult; i++) {
    int lt = l->coltypes ? l->coltypes[i] : -1, rt = r && r->coltypes ? r->coltypes[i] : lt;
    if (lt >= 0 && rt >= 0 && lt != rt && !(TDB_TYPE_IS_NUMERIC(lt) && TDB_TYPE_IS_NUMERIC(rt))) {
      return tdbErrSet(b->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                       "%s types %s and %s cannot be matched (column %d, \"%s\")",
                       tdbSetOpName(s->op), tdbTypeName(lt), tdbTypeName(rt), i + 1,
                       s->colnames[i]);
    }
    s->coltypes[i] = lt == rt ? lt : -1; /* values keep their own type */
  }
  if (l->correlated || (r && r->correlated)) s->correlated = 1;
  rc = tdbBindCompoundOrderBy(b, s);
  if (rc != TDB_OK) return rc;
  memset(&empty, 0, sizeof empty);
  empty.outer = outer;
  empty.agg_where = "LIMIT";
  rc = tdbBindExpr(b, &empty, s->limit, 0);
  if (rc == TDB_OK) rc = tdbBindExpr(b, &empty, s->offset, 0);
  return rc;
}

static int tdbBindSelectIn(TdbBinder *b, TdbSelect *s, TdbScope *outer) {
  TdbCteFrame frame, *saved = b->ctes;
  int rc = TDB_OK;
  if (s->with) {
    memset(&frame, 0, sizeof frame);
    frame.with = s->with;
    frame.up = saved;
    b->ctes = &frame;
    rc = tdbBindWith(b, s, outer, &frame);
  }
  if (rc == TDB_OK) {
    if (s->op == TDB_SETOP_NONE) {
      rc = tdbBindSelectCore(b, s, outer);
    } else {
      rc = tdbBindSelectIn(b, s->left, outer);
      if (rc == TDB_OK && s->right) rc = tdbBindSelectIn(b, s->right, outer);
      if (rc == TDB_OK) rc = tdbBindCompoundFinish(b, s, outer);
    }
  }
  b->ctes = saved;
  return rc;
}
