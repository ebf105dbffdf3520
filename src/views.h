/*
** views.h — catalog views: read-only relations the engine describes itself,
** usable in FROM (`SELECT name FROM tdb_functions`).
**
**   tdb_tables     name TEXT, sql TEXT          one row per table (the shell's
**                                               .tables and .schema read it)
**   tdb_functions  name TEXT, min_args INTEGER, max_args INTEGER (NULL: variadic)
**   tdb_keywords   name TEXT
**
**   tdb_views      name TEXT, sql TEXT
**   tdb_columns    table_name, name, type TEXT, position INTEGER (1-based),
**                  notnull BOOLEAN, default_value TEXT, pk INTEGER (position
**                  in the primary key, 0 if not part of it)
**   tdb_indexes    name, table_name TEXT, unique BOOLEAN, columns TEXT, sql TEXT
*/
#ifndef TDB_VIEWS_H
#define TDB_VIEWS_H

#include "value.h"

struct TdbCatalog;

typedef struct TdbViewColumn {
  const char *name;
  int type;                   /* TDB_TYPE_* */
} TdbViewColumn;

typedef struct TdbView {
  const char *name;
  int ncols;
  const TdbViewColumn *cols;
  /* Fill out[0..ncols) (cleared on entry) with row i. Returns 1 for a row,
  ** 0 past the last row, or a negative TDB_* code negated on failure. */
  int (*row)(const struct TdbCatalog *cat, TdbMem *mem, int64_t i, TdbValue *out);
} TdbView;

/* The view called `name` (lower case), or NULL. */
TDB_PRIVATE const TdbView *tdbViewFind(const char *name);

#endif /* TDB_VIEWS_H */
