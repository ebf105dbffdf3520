/*
** binder.h — name resolution and checks between parsing and planning:
** resolves FROM items against the catalog, column references (through
** enclosing queries for correlated subqueries), functions and aggregates,
** and names result columns. Errors carry the SQL position.
*/
#ifndef TDB_BINDER_H
#define TDB_BINDER_H

#include "catalog.h"

/* Bind a SELECT of the statement text `sql` (NULL: no positions in
** messages). Returns TDB_OK or an error in err. */
TDB_PRIVATE int tdbBindSelect(TdbMem *mem, TdbErr *err, const char *sql,
                              const TdbCatalog *cat, TdbSelect *s);

/* Bind an expression (or a list) over the single FROM item `target` (a
** table for UPDATE / DELETE / RETURNING / CHECK; NULL: no columns, as for
** INSERT VALUES and DEFAULT). */
TDB_PRIVATE int tdbBindTableExpr(TdbMem *mem, TdbErr *err, const char *sql,
                                 const TdbCatalog *cat, TdbSource *target, TdbExpr *e);
TDB_PRIVATE int tdbBindTableList(TdbMem *mem, TdbErr *err, const char *sql,
                                 const TdbCatalog *cat, TdbSource *target, TdbExprList *l);

/* tdbBindTableExpr for a condition (WHERE, CHECK): also fails with 42804
** when its type is known not to be BOOLEAN. `what` names it in the message. */
TDB_PRIVATE int tdbBindTableCondition(TdbMem *mem, TdbErr *err, const char *sql,
                                      const TdbCatalog *cat, TdbSource *target, TdbExpr *e,
                                      const char *what);

/* RETURNING: expand `*` to target's columns and bind the list over it. */
TDB_PRIVATE int tdbBindReturning(TdbMem *mem, TdbErr *err, const char *sql,
                                 const TdbCatalog *cat, TdbSource *target, TdbExprList *l);

/* Structural equality of two bound expressions. */
TDB_PRIVATE int tdbExprEqual(const TdbExpr *a, const TdbExpr *b);

/* The name of a result column (owned by the caller): its alias, the column
** name, or the expression's SQL text. */
TDB_PRIVATE char *tdbBindColumnName(TdbMem *mem, const char *sql, const TdbExprItem *item);

#endif /* TDB_BINDER_H */
