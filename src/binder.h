/*
** binder.h — name resolution and checks between parsing and execution:
** resolves column references, checks functions exist with the right number of
** arguments, and names result columns. Errors carry the SQL position.
*/
#ifndef TDB_BINDER_H
#define TDB_BINDER_H

#include "ast.h"

/* Check a SELECT of the statement text `sql`. Returns TDB_OK or an error in err. */
TDB_PRIVATE int tdbBindSelect(TdbMem *mem, TdbErr *err, const char *sql, TdbSelect *s);

/* The name of result column i of a bound SELECT (owned by the caller):
** its alias, the column name, or the expression's SQL text. */
TDB_PRIVATE char *tdbBindColumnName(TdbMem *mem, const char *sql, const TdbExprItem *item);

#endif /* TDB_BINDER_H */
