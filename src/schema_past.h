/*
** schema_past.h — names of the past (TEMPORAL.md §1.10): a table that is
** absent from the current catalog but read at a system point n (its own
** clause, a view's or the query's) resolves in the catalog as of n, with
** its schema at n. So a dropped table stays readable at the epochs it
** existed in:
**
**   DROP TABLE t;                      -- epoch 9
**   SELECT * FROM t AS OF 8;           -- t as it was, from its history
**
** The catalogs of past epochs are loaded on first use and kept for the
** connection's life (the catalog of a past epoch never changes, and a
** prepared statement may hold a definition from it). The point must be a
** constant: an integer, '@seq:n' or ISO-8601 text.
*/
#ifndef TDB_SCHEMA_PAST_H
#define TDB_SCHEMA_PAST_H

#include "catalog.h"

typedef struct TdbPastCatalog {
  uint64_t epoch;
  TdbCatalog cat;
} TdbPastCatalog;

struct TdbSchemaPast {
  TdbMem *mem;
  struct TdbStore *store;
  TdbPastCatalog *past;   /* loaded catalogs, by first use */
  int n, cap;
};

TDB_PRIVATE void tdbSchemaPastInit(TdbSchemaPast *sp, TdbMem *mem, struct TdbStore *store);
TDB_PRIVATE void tdbSchemaPastFree(TdbSchemaPast *sp);
/* The definition of table `name` at system point `at` (a literal AS OF
** argument: integer epoch, '@seq:n', ISO-8601 text or TIMESTAMP), or NULL
** in *out when the point is no constant or the name was no table then.
** Errors: reading the catalog (out of memory, corruption). */
TDB_PRIVATE int tdbSchemaPastTable(TdbSchemaPast *sp, const char *name, const TdbValue *at,
                                   TdbErr *err, const TdbTableDef **out);

#endif /* TDB_SCHEMA_PAST_H */
