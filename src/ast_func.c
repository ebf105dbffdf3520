/*
** ast_func.c — the SQL-standard call forms of a few functions, rewritten by
** the parser into plain calls of the function library (docs/functions.md):
**
**   substring(s FROM a [FOR b])        -> substring(s, a [, b])
**   substring(s FOR b)                 -> substring(s, 1, b)
**   trim([LEADING|TRAILING|BOTH] [c] FROM s)
**                                      -> ltrim / rtrim / trim(s [, c])
**   extract(field FROM ts)             -> date_part('field', ts)
**   position(a IN b)                   -> strpos(b, a)
**   CURRENT_TIMESTAMP                  -> now()
**
** The rewritten call keeps the span of the whole original text, so result
** column names and error positions show what was written.
*/
#include "ast.h"

/* Rename a FUNC node to `name` (lower case). TDB_OK or TDB_NOMEM. */
static int tdbFuncRename(TdbParse *p, TdbExpr *e, const char *name) {
  char *z = tdbMemStrndup(p->mem, name, strlen(name));
  if (!z) {
    if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
    return TDB_NOMEM;
  }
  tdbMemFree(p->mem, e->name);
  e->name = z;
  return TDB_OK;
}

static TdbExpr *tdbFormFail(TdbParse *p, TdbExpr *e, const char *what, TdbToken at) {
  int line, col;
  tdbErrLineCol(p->sql, (size_t)(at.z - p->sql), &line, &col);
  if (p->rc == TDB_OK) {
    p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                      "%s(...) does not take %s (at line %d, column %d)",
                      e && e->name ? e->name : "function", what, line, col);
  }
  tdbExprFree(p->mem, e);
  return NULL;
}

/* A call node of `name` with the given arguments (NULL ends the list; a
** NULL argument before that is an earlier failure). Frees them on error. */
static TdbExpr *tdbFormCall(TdbParse *p, TdbToken name, TdbToken end, TdbExpr *a, TdbExpr *b,
                            TdbExpr *c, int nargs) {
  TdbExprList *list = NULL;
  TdbExpr *args[3];
  int i;
  args[0] = a;
  args[1] = b;
  args[2] = c;
  for (i = 0; i < nargs; i++) {
    if (!args[i]) { /* an argument failed to build: free the rest */
      int k;
      for (k = i + 1; k < nargs; k++) tdbExprFree(p->mem, args[k]);
      tdbExprListFree(p->mem, list);
      return NULL;
    }
    list = tdbExprListAppend(p, list, args[i], 0);
    if (!list) {
      int k;
      for (k = i + 1; k < nargs; k++) tdbExprFree(p->mem, args[k]);
      return NULL;
    }
  }
  return tdbExprFunc(p, name, list, 0, 0, end);
}

/* A TEXT literal holding the name of a column reference (EXTRACT's field). */
static TdbExpr *tdbFieldLiteral(TdbParse *p, TdbExpr *field) {
  TdbValue v;
  if (!field || field->kind != TDB_EXPR_COLUMN || field->table) return field;
  if (tdbValueSetBytes(p->mem, &v, TDB_TYPE_TEXT, field->name, strlen(field->name)) != TDB_OK) {
    if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
    tdbExprFree(p->mem, field);
    return NULL;
  }
  tdbMemFree(p->mem, field->name);
  field->name = NULL;
  field->kind = TDB_EXPR_LITERAL;
  field->value = v;
  return field;
}

/* The INTEGER literal 1 (substring's default start), spanning token `at`. */
static TdbExpr *tdbOneLiteral(TdbParse *p, TdbToken at) {
  TdbExpr *e = tdbExprNull(p, at);
  if (e) tdbValueSetInt(&e->value, 1);
  return e;
}

TDB_PRIVATE TdbExpr *tdbExprFuncForm(TdbParse *p, TdbToken name, int form, int flag,
                                     TdbExpr *x, TdbExpr *y, TdbExpr *z, TdbToken end) {
  TdbExpr *e;
  const char *rename = NULL;
  char fn[16];
  size_t i;
  for (i = 0; i < name.n && i + 1 < sizeof fn; i++) {
    char c = name.z[i];
    fn[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  fn[i] = '\0';
  if (i != name.n) fn[0] = '\0'; /* longer than any name with a special form */
  switch (form) {
    case TDB_FORM_NOW:
      e = tdbFormCall(p, name, end, NULL, NULL, NULL, 0);
      rename = "now";
      break;
    case TDB_FORM_POSITION:
      e = tdbFormCall(p, name, end, y, x, NULL, 2);
      rename = "strpos";
      break;
    case TDB_FORM_TRIM: /* x: the characters or NULL; y: the string */
      if (strcmp(fn, "trim") != 0) {
        tdbExprFree(p->mem, x);
        return tdbFormFail(p, tdbFormCall(p, name, end, y, NULL, NULL, 1),
                           "LEADING / TRAILING / BOTH", name);
      }
      e = x ? tdbFormCall(p, name, end, y, x, NULL, 2) : tdbFormCall(p, name, end, y, NULL, NULL, 1);
      rename = flag == 1 ? "ltrim" : flag == 2 ? "rtrim" : "trim";
      break;
    case TDB_FORM_FOR: /* substring(x FOR z) */
      if (strcmp(fn, "substring") != 0 && strcmp(fn, "substr") != 0) {
        return tdbFormFail(p, tdbFormCall(p, name, end, x, z, NULL, 2), "FOR", name);
      }
      e = tdbFormCall(p, name, end, x, tdbOneLiteral(p, name), z, 3);
      break;
    default: /* TDB_FORM_FROM: f(x FROM y [FOR z]) */
      if (strcmp(fn, "substring") == 0 || strcmp(fn, "substr") == 0) {
        e = tdbFormCall(p, name, end, x, y, z, z ? 3 : 2);
      } else if (z) {
        return tdbFormFail(p, tdbFormCall(p, name, end, x, y, z, 3), "FOR", name);
      } else if (strcmp(fn, "trim") == 0 || strcmp(fn, "ltrim") == 0 || strcmp(fn, "rtrim") == 0) {
        e = x ? tdbFormCall(p, name, end, y, x, NULL, 2) : tdbFormCall(p, name, end, y, NULL, NULL, 1);
      } else if (strcmp(fn, "extract") == 0) {
        e = tdbFormCall(p, name, end, tdbFieldLiteral(p, x), y, NULL, 2);
        rename = "date_part";
      } else {
        return tdbFormFail(p, tdbFormCall(p, name, end, x, y, NULL, x ? 2 : 1), "FROM", name);
      }
      break;
  }
  if (e && flag && form != TDB_FORM_TRIM) return tdbFormFail(p, e, "DISTINCT", name);
  if (e && rename && tdbFuncRename(p, e, rename) != TDB_OK) {
    tdbExprFree(p->mem, e);
    return NULL;
  }
  return e;
}
