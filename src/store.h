/*
** store.h — the storage engine: one database directory (or an in-memory
** VFS) holding a log-structured, versioned key-value store.
**
**   write:  batch -> group commit (epochs assigned in order, one WAL record per
**           batch, one sync per group) -> memtable -> epoch published
**   flush:  full memtable -> immutable -> L0 SSTable -> manifest edit
**   compact: L0 -> L1 -> ... merging files; every version is kept
**   read:   memtable, immutable memtable, L0 newest first, then L1..L6 — the
**           first visible version of the key (epoch <= as_of) is the answer
**
** Thread safety: every tdbStore* function may be called from several threads
** at once; writers are serialized by the commit queue, readers never block on
** writers except briefly for the mutex that pins the current state.
*/
#ifndef TDB_STORE_H
#define TDB_STORE_H

#include "batch.h"
#include "dbiter.h"
#include "error.h"
#include "vfs.h"

typedef struct TdbStore TdbStore;

/* Open (or create) the store at `path` (":memory:" for an in-memory VFS).
** cfg must be complete (tdb_config_default values filled in). On failure *out
** is NULL and err explains. */
TDB_PRIVATE int tdbStoreOpen(TdbMem *mem, const char *path, const tdb_config *cfg,
                             TdbErr *err, TdbStore **out);
/* The same over a caller's VFS (borrowed: it must outlive the store), e.g.
** the fault-injecting VFS of the crash tests; `path` is the directory in it. */
TDB_PRIVATE int tdbStoreOpenVfs(TdbMem *mem, TdbVfs *vfs, const char *path,
                                const tdb_config *cfg, TdbErr *err, TdbStore **out);
/* Close: waits for background work, syncs the WAL. NULL is a no-op. */
TDB_PRIVATE void tdbStoreClose(TdbStore *s);

/* Commit a batch as the next epoch (*epoch set when not NULL). An empty batch
** still commits an epoch. Durable on return with TDB_SYNC_FULL. */
TDB_PRIVATE int tdbStoreWrite(TdbStore *s, const TdbBatch *b, uint64_t *epoch, TdbErr *err);

/* The wall-clock (µs) of the latest commit. */
TDB_PRIVATE int64_t tdbStoreHeadWall(TdbStore *s);

/* The allocator the store was opened with. */
TDB_PRIVATE TdbMem *tdbStoreMem(TdbStore *s);

/* The latest committed epoch. */
TDB_PRIVATE uint64_t tdbStoreHead(TdbStore *s);

/* The epoch clock: every commit's wall-clock is stored, at the commit's own
** epoch, as the key
**
**   0x07 'W' | epoch (u64 BE)  ->  wall-clock µs (i64 BE, sign bit flipped)
**
** so wall(e) survives flushes and reopens. A commit only appends to an
** in-memory run beside its memtable (no memtable insert, no extra WAL
** bytes: the log record carries the wall-clock and recovery rebuilds the
** run); the memtable's flush writes the run into the table file. 0x07 is the
** metadata keyspace (docs/sql-storage.md); the key is never deleted. */
#define TDB_EPOCH_CLOCK_PREFIX0 0x07
#define TDB_EPOCH_CLOCK_PREFIX1 'W'
#define TDB_EPOCH_CLOCK_KEY_LEN 10

/* wall(epoch) into *wall; *found = 0 for epoch 0, an epoch beyond the head,
** or an epoch committed before the clock was recorded. */
TDB_PRIVATE int tdbStoreEpochWall(TdbStore *s, uint64_t epoch, int64_t *wall, int *found,
                                  TdbErr *err);
/* The last epoch e <= `upto` with wall(e) <= ts (inclusive) or wall(e) < ts
** (!inclusive), 0 if none: a binary search over the strictly increasing
** clock, O(log upto) point reads. */
TDB_PRIVATE int tdbStoreEpochAt(TdbStore *s, int64_t ts, int inclusive, uint64_t upto,
                                uint64_t *epoch, TdbErr *err);

/* The pinned state as of `as_of` (0 = head) as one internal iterator
** (ikey.h keys: every version, newest first per user key); *resolved gets
** the epoch it was pinned at. The versions iterator (versiter.h) reads it. */
TDB_PRIVATE int tdbStoreInternalIter(TdbStore *s, uint64_t as_of, struct TdbMemtable *pending,
                                     TdbErr *err, TdbIter **out,
                                     uint64_t *resolved);

/* Look up `key` as of epoch `as_of` (0 = head). *found = 0 when absent or
** deleted; else the value is copied into *value (cleared first). */
TDB_PRIVATE int tdbStoreGet(TdbStore *s, uint64_t as_of, const void *key, size_t klen,
                            TdbStr *value, int *found, TdbErr *err);

/* An iterator over the visible keys as of `as_of` (0 = head). */
TDB_PRIVATE int tdbStoreIter(TdbStore *s, uint64_t as_of, TdbErr *err, TdbDbIter **out);
/* tdbStoreIter that also shows the versions of `pending` (a transaction's
** uncommitted writes, at seq >= TDB_IKEY_PENDING_SEQ) on top of the state
** at as_of; NULL pending is tdbStoreIter. */
TDB_PRIVATE int tdbStoreIterWith(TdbStore *s, uint64_t as_of, struct TdbMemtable *pending,
                                 TdbErr *err, TdbDbIter **out);

/* Keys whose first byte is `first_byte` keep only the versions some reader
** can still see: compaction drops a version when a newer one is at or
** below every pinned snapshot (the SQL current-rows and index keyspaces;
** their history lives in the history keyspace). */
TDB_PRIVATE void tdbStoreSetLatestKeyspace(TdbStore *s, int first_byte);
/* Pin the head as a reader's snapshot (*epoch gets it) / release it. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbStorePinSnapshot(TdbStore *s, uint64_t *epoch);
/* Watch the keys whose first byte is `first_byte`: the store remembers the
** latest epoch whose batch wrote one of them (the SQL catalog and
** statistics, so that connections sharing the store notice schema changes).
** Call before the store is shared by threads: commits read the set without
** the mutex. */
TDB_PRIVATE void tdbStoreWatchKeyspace(TdbStore *s, int first_byte);
/* tdbStorePinSnapshot that also returns, atomically with the pin, the latest
** epoch <= *epoch that wrote a watched key (0: none since the store opened;
** watch NULL: not wanted). Two pins with the same *watch see the same
** watched keys. */
TDB_PRIVATE int tdbStorePinSnapshotWatch(TdbStore *s, uint64_t *epoch, uint64_t *watch);
TDB_PRIVATE void tdbStoreUnpinSnapshot(TdbStore *s, uint64_t epoch);

/* Commit a batch as epoch `epoch` with wall-clock `wall` (RESTORE, backup.c):
** epoch must be head + 1 and wall after the head's wall-clock (else
** TDB_MISUSE / TDB_CORRUPT), and no other commit may be in flight
** (TDB_BUSY). The epoch clock records `wall` for it. */
TDB_PRIVATE int tdbStoreWriteAt(TdbStore *s, const TdbBatch *b, uint64_t epoch, int64_t wall,
                                TdbErr *err);

/* ---- PURGE (purge.c) --------------------------------------------------------------
** History floor: under a key prefix, a version whose next newer version has
** an epoch <= floor (it was closed at or before the floor) is history that
** PURGE HISTORY removed. Compaction drops such versions; the versions
** iterator (versiter.h) hides them at once. Floors only rise; they live in
** memory (the SQL layer persists them and sets them again at open). */
#define TDB_STORE_FLOOR_PREFIX_MAX 16
typedef struct TdbStoreFloor {
  unsigned char prefix[TDB_STORE_FLOOR_PREFIX_MAX];
  size_t n;
  uint64_t floor;
} TdbStoreFloor;
/* Raise the floor of `prefix` (1..TDB_STORE_FLOOR_PREFIX_MAX bytes) to
** `floor`. TDB_OK, TDB_NOMEM or TDB_MISUSE (bad length). */
TDB_PRIVATE int tdbStoreSetHistoryFloor(TdbStore *s, const void *prefix, size_t n,
                                        uint64_t floor);
/* A copy of every floor (allocated with mem; NULL when there are none). */
TDB_PRIVATE int tdbStoreFloors(TdbStore *s, TdbMem *mem, TdbStoreFloor **out, size_t *n);
/* The floor of user key k under floors[0..n): the largest floor of a prefix
** of k, 0 if none. */
TDB_PRIVATE uint64_t tdbStoreFloorOf(const TdbStoreFloor *floors, size_t n,
                                     const unsigned char *k, size_t kn);

/* Erasure: every version with an epoch below `below` of each exact user key
** keys[i].key is removed from every file. Flushes the memtable (so the WAL
** holding those versions is deleted), then merges every table file into the
** last level dropping those versions (background compaction waits), then
** starts a new manifest (file bounds of the old one may be erased keys).
** The replaced files are deleted when the last reader holding them ends.
** Sorts keys[] in place. */
typedef struct TdbEraseKey {
  const unsigned char *key;
  size_t n;
  uint64_t below;
} TdbEraseKey;
TDB_PRIVATE int tdbStoreErase(TdbStore *s, TdbEraseKey *keys, size_t n, TdbErr *err);

/* Flush the memtable; compact until no level is over budget. */
TDB_PRIVATE int tdbStoreFlush(TdbStore *s, TdbErr *err);
TDB_PRIVATE int tdbStoreCompact(TdbStore *s, TdbErr *err);

/* Verify every table and the level structure; append a summary to report. */
TDB_PRIVATE int tdbStoreCheck(TdbStore *s, TdbStr *report, TdbErr *err);

#endif /* TDB_STORE_H */
