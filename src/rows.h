/*
** rows.h — the keys and values of table rows and index entries
** (docs/sql-storage.md), shared by DDL (index builds, ANALYZE) and DML.
**
**   row key    ks | table id (u32 BE) | pk components | valid_from (8 B)
**              ks 0x03 current rows, 0x04 row history
**   index key  0x05 | index id (u32 BE) | indexed columns | pk | valid_from
**              (the tail after the table id is the row key's tail, so an
**              entry leads back to its row)
**   row value  rowcodec.h, columns at their physical positions
*/
#ifndef TDB_ROWS_H
#define TDB_ROWS_H

#include "db.h"

/* Start a row key: keyspace byte and table id. */
TDB_PRIVATE void tdbRowKeyPrefix(TdbStr *out, int keyspace, uint32_t table_id);
/* The primary key of a row: the key columns of vals (table column order),
** or the rowid for a table without a declared key. */
TDB_PRIVATE int tdbRowKeyAppendPk(TdbStr *out, const TdbTableDef *t, const TdbValue *vals,
                                  int64_t rowid);
/* Append valid_from as 8 order-preserving bytes. */
TDB_PRIVATE int tdbRowKeyAppendTime(TdbStr *out, int64_t valid_from);
/* An index entry for the row whose key (any keyspace) is rowkey. */
TDB_PRIVATE int tdbIndexKey(TdbStr *out, const TdbIndexDef *ix, const TdbValue *vals,
                            const char *rowkey, size_t rowkey_len);
/* Encode a row version of t from vals (table column order). */
TDB_PRIVATE int tdbRowValue(TdbStr *out, const TdbTableDef *t, const TdbValue *vals, int flags,
                            int op, int64_t valid_to);

/* Evaluate the DEFAULT of every column of t into out[0..ncols) (owned
** values; NULL where a column has none), converted to the column's type.
** Errors are those of the expression or the conversion. */
TDB_PRIVATE int tdbTableDefaults(TdbMem *mem, TdbErr *err, int64_t now, const TdbTableDef *t,
                                 TdbValue *out);
TDB_PRIVATE void tdbTableDefaultsClear(TdbMem *mem, const TdbTableDef *t, TdbValue *vals);

/* One stored row version, as tdbTableForEach hands it over. vals are
** borrowed (valid during the callback), in table column order. */
typedef struct TdbPiece {
  const unsigned char *key;
  size_t key_len;
  int64_t valid_from, valid_to;
  int flags;
  const TdbValue *vals;
  int64_t rowid;        /* tables without a declared key */
} TdbPiece;

typedef int (*TdbPieceFn)(void *ctx, const TdbPiece *piece);

/* Call fn for every current row version of t (keyspace 0x03) at the
** store's head whose key starts with the row key prefix + `pk` (NULL:
** every row). Columns absent from an old version read as their DEFAULT
** when `defaults` is given, else NULL. A non-OK return of fn stops and is
** returned. */
TDB_PRIVATE int tdbTableForEach(tdb *db, const TdbTableDef *t, const char *pk, size_t pk_len,
                                const TdbValue *defaults, TdbPieceFn fn, void *ctx);

#endif /* TDB_ROWS_H */
