/*
** purge.h — the two statements that remove history (TEMPORAL.md §1.10):
** PURGE HISTORY [FROM t] BEFORE EPOCH n (a history horizon per table) and
** PURGE FROM t KEY k | WHERE pred (erasure of keys from every version).
**
** Metadata keys (keyspace 0x07, every version kept, carried by backups):
**
**   0x07 'H' | table id (u32 BE)                  -> horizon epoch (u64 BE)
**   0x07 'X' | table id (u32 BE) | key hash (u64 BE) -> empty: a purge marker
**
** The key hash is tdbPurgeKeyHash of the encoded primary key (or _rowid):
** the marker says that table t's key with that hash was erased at the
** marker's epoch, without holding the key itself.
*/
#ifndef TDB_PURGE_H
#define TDB_PURGE_H

#include "db.h"

#define TDB_META_HORIZON 'H'
#define TDB_META_ERASED 'X'

/* Run PURGE HISTORY / PURGE at the statement's first step. */
TDB_PRIVATE int tdbExecPurge(tdb_stmt *st);

/* Give the store the history floor of every table with a horizon (at open
** and after RESTORE). */
TDB_PRIVATE int tdbPurgeLoad(tdb *db);

/* After RESTORE committed epochs since+1 .. through: erase what the purge
** markers among them name (the backup may predate the erasure). */
TDB_PRIVATE int tdbPurgeReplayMarkers(tdb *db, uint64_t since, uint64_t through);

/* The history horizon of table `table_id` (0: none) into *out. */
TDB_PRIVATE int tdbPurgeHorizon(tdb *db, uint32_t table_id, uint64_t *out, TdbErr *err);

/* ERR_HISTORY_PURGED unless a system-time read of table t from epoch
** `from` (a point, or a range's lower bound) is at or above its horizon. */
TDB_PRIVATE int tdbPurgeCheckRead(tdb *db, const TdbTableDef *t, uint64_t from, TdbErr *err);

/* The marker hash of an encoded primary key of table `table_id`. */
TDB_PRIVATE uint64_t tdbPurgeKeyHash(uint32_t table_id, const void *pk, size_t n);

#endif /* TDB_PURGE_H */
