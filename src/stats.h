/*
** stats.h — planner statistics gathered by ANALYZE (stats.c has the
** format of the statistics keyspace 0x06).
*/
#ifndef TDB_STATS_H
#define TDB_STATS_H

#include "db.h"

#define TDB_STATS_BUCKETS 16
/* ANALYZE's memory bounds per column (stats.c): distinct values counted
** exactly up to this many, then estimated; the histogram from at most this
** many values (a uniform sample beyond). */
#define TDB_STATS_EXACT_DISTINCT 20000
#define TDB_STATS_SAMPLE 30000

struct TdbColumnStats {
  uint32_t pos;           /* the column's physical position */
  int64_t distinct;       /* distinct non-NULL values */
  int64_t nulls;
  int nbounds;            /* histogram boundaries (owned values), sorted */
  TdbValue *bounds;
};

struct TdbTableStats {
  int64_t rows;
  int ncols;              /* the table's columns when gathered / loaded */
  TdbColumnStats *cols;   /* by column index */
};

TDB_PRIVATE void tdbStatsFree(TdbMem *mem, TdbTableStats *st);
/* Scan t's current rows (valid at cvt) and compute its statistics. */
TDB_PRIVATE int tdbStatsGather(tdb *db, const TdbTableDef *t, int64_t cvt, TdbTableStats **out);
TDB_PRIVATE int tdbStatsKey(TdbStr *out, uint32_t table_id);
TDB_PRIVATE int tdbStatsEncode(TdbStr *out, const TdbTableStats *st);
/* Read every table's statistics at as_of (0: the head; unreadable ones
** are ignored) with pending writes on top (tdbCatalogLoadAt). */
TDB_PRIVATE int tdbStatsLoadAt(TdbCatalog *cat, TdbStore *store, uint64_t as_of,
                               struct TdbMemtable *pending, TdbErr *err);
/* Estimated fraction of t's rows where column col op value holds (op
** TDB_OP_EQ/LT/LE/GT/GE); guesses without statistics. */
TDB_PRIVATE double tdbStatsSelectivity(const TdbTableDef *t, int col, int op,
                                       const TdbExpr *value);

#endif /* TDB_STATS_H */
