/*
** parser.h — from SQL text to an AST: the lexer (grammar/lexer.re), the
** lemon parser (grammar/parse.y) and the error reporting both share.
*/
#ifndef TDB_PARSER_H
#define TDB_PARSER_H

#include "ast.h"
#include "temporal.h"

/* Scan one token at z (NUL-terminated text). Returns its length in bytes and
** sets *type to its TK_* code: TK_SPACE for blanks and comments, TK_ILLEGAL
** for text that is no token (an unterminated string, a stray character), 0
** at the terminating NUL (length 0). Generated from grammar/lexer.re. */
TDB_PRIVATE size_t tdbLexToken(const unsigned char *z, int *type);

/* Keywords, sorted by name: the lexer's lookup table. */
TDB_PRIVATE int tdbKeywordCount(void);
TDB_PRIVATE const char *tdbKeywordName(int i);
/* Is `name` (any case) a keyword, reserved or not? */
TDB_PRIVATE int tdbIsKeyword(const char *name);

/* Parse the first statement of NUL-terminated `sql` into p->stmt (NULL for an
** empty statement). *consumed is set to the bytes up to and including its
** terminating `;`. Returns TDB_OK or the error recorded in p->err. */
TDB_PRIVATE int tdbParseOne(TdbParse *p, const char *sql, size_t *consumed);

/* Error reporters called from the grammar and the driver. */
TDB_PRIVATE void tdbParseSyntaxError(TdbParse *p, int major, TdbToken tok);
TDB_PRIVATE void tdbParseStackOverflow(TdbParse *p);
TDB_PRIVATE void tdbParseIllegalToken(TdbParse *p, TdbToken tok);

/* Set up a parse context over an error slot and allocator. */
TDB_PRIVATE void tdbParseInit(TdbParse *p, TdbMem *mem, TdbErr *err);

#endif /* TDB_PARSER_H */
