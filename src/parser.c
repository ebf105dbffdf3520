/*
** parser.c — parse-context setup, syntax error messages and tdb_complete()
** (the lexer and grammar themselves are generated from grammar/).
*/
#include "parser.h"
#include "parse.h"

TDB_PRIVATE void tdbParseInit(TdbParse *p, TdbMem *mem, TdbErr *err) {
  memset(p, 0, sizeof *p);
  p->mem = mem;
  p->err = err;
  p->next_qmark = 1;
}

/* Byte offset of a token inside the statement being parsed. */
static size_t tdbParseOffset(TdbParse *p, TdbToken tok) {
  return (size_t)(tok.z - p->sql);
}

TDB_PRIVATE void tdbParseSyntaxError(TdbParse *p, int major, TdbToken tok) {
  int line, col;
  if (p->rc != TDB_OK) return; /* report the first error only */
  tdbErrLineCol(p->sql, tdbParseOffset(p, tok), &line, &col);
  if (major == 0) {
    p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                      "syntax error at end of input (line %d, column %d)", line, col);
  } else {
    p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                      "near \"%.*s\": syntax error at line %d, column %d",
                      (int)TDB_MIN(tok.n, 64), tok.z, line, col);
  }
}

TDB_PRIVATE void tdbParseStackOverflow(TdbParse *p) {
  if (p->rc != TDB_OK) return;
  p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_TOO_COMPLEX,
                    "statement too complex: nesting exceeds the parser stack");
}

TDB_PRIVATE void tdbParseIllegalToken(TdbParse *p, TdbToken tok) {
  int line, col;
  const char *what;
  if (p->rc != TDB_OK) return;
  tdbErrLineCol(p->sql, tdbParseOffset(p, tok), &line, &col);
  switch (tok.z[0]) {
    case '\'': what = "unterminated string literal"; break;
    case '"': what = "unterminated quoted identifier"; break;
    case '/': what = "unterminated comment"; break;
    case 'x': case 'X': what = "malformed blob literal"; break;
    default: what = "unrecognized token"; break;
  }
  p->rc = tdbErrSet(p->err, TDB_ERROR_SYNTAX, TDB_SQLSTATE_SYNTAX,
                    "%s \"%.*s\" at line %d, column %d", what,
                    (int)TDB_MIN(tok.n, 32), tok.z, line, col);
}

TDB_API int tdb_complete(const char *sql) {
  const unsigned char *z = (const unsigned char *)sql;
  int last = 0;
  if (!sql) return 0;
  for (;;) {
    int type;
    size_t len = tdbLexToken(z, &type);
    if (type == 0) break;
    if (type == TK_ILLEGAL && (z[0] == '\'' || z[0] == '"' || z[0] == '/')) {
      return 0; /* an open string, identifier or comment runs to the end */
    }
    if (type != TK_SPACE) last = type;
    z += len;
  }
  return last == TK_SEMI;
}

TDB_API int tdb_keyword_count(void) {
  return tdbKeywordCount();
}

TDB_API const char *tdb_keyword_name(int i) {
  return tdbKeywordName(i);
}
