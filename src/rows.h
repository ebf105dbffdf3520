/*
** rows.h — the keys and values of table rows and index entries
** (docs/sql-storage.md), shared by DDL (index builds, ANALYZE) and DML.
**
**   current row key    0x03 | table id (u32 BE) | pk components
**   current row value  valid_from (8 B, as in keys) | row version
**   history key        0x04 | table id (u32 BE) | pk components | valid_from (8 B)
**   history value      row version
**   index key          0x05 | index id (u32 BE) | indexed columns | pk
**                      (the tail after the id is the current row key's tail,
**                      so an entry leads back to its row)
**   row version        rowcodec.h, columns at their physical positions
**
** The current rows hold the one piece of each key that is valid from its
** write on (dml.c), so a primary-key lookup is a point read of the store.
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
/* An index entry for the row whose key (any keyspace) is rowkey. */
TDB_PRIVATE int tdbIndexKey(TdbStr *out, const TdbIndexDef *ix, const TdbValue *vals,
                            const char *rowkey, size_t rowkey_len);
/* Encode a row version of t from vals (table column order). */
TDB_PRIVATE int tdbRowValue(TdbStr *out, const TdbTableDef *t, const TdbValue *vals, int flags,
                            int op, int64_t valid_to);
/* Split a current row value into valid_from and the row version. TDB_OK or
** TDB_CORRUPT (too short). */
TDB_PRIVATE int tdbCurrentValue(const unsigned char *v, size_t n, int64_t *valid_from,
                                const unsigned char **row, size_t *row_len);

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

/* Call fn for every current row of t (keyspace 0x03) at the store's
** head (every row, or with `pk` the one of that key: a point read). Columns absent from an old version read as their DEFAULT
** when `defaults` is given, else NULL. A non-OK return of fn stops and is
** returned. */
TDB_PRIVATE int tdbTableForEach(tdb *db, const TdbTableDef *t, const char *pk, size_t pk_len,
                                const TdbValue *defaults, TdbPieceFn fn, void *ctx);

/* Call fn for every piece of key pk (the key-encoded primary key or rowid)
** of t in the working state: the newest version of each history key
** 0x04 | table | pk | valid_from at the head, with the transaction's own
** pending writes, REMOVED markers skipped; live pieces and tombstones, in
** valid_from order. piece->key is the history key. */
TDB_PRIVATE int tdbKeyPiecesForEach(tdb *db, const TdbTableDef *t, const char *pk, size_t pk_len,
                                    const TdbValue *defaults, TdbPieceFn fn, void *ctx);

#endif /* TDB_ROWS_H */
