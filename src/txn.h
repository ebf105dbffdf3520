/*
** txn.h — explicit transactions of a connection (TEMPORAL.md §1.7):
** BEGIN ... COMMIT / ROLLBACK, SAVEPOINT / ROLLBACK TO / RELEASE, and the
** reads that see a transaction's own uncommitted writes.
**
** Outside a transaction every write statement commits its own batch (one
** epoch). Inside one, a statement that succeeds appends its batch to the
** transaction's pending writes instead, and COMMIT writes them all as one
** batch: one epoch, one wall-clock, the last write of each key wins.
**
**   overlay   every op of the successful statements, in a memtable at
**             seqs from TDB_IKEY_PENDING_SEQ on in statement order
**             (overlay.h), so reads merge them over the snapshot (newest
**             first); the only copy of the pending writes
**   snapshot  head at BEGIN (pinned): the transaction reads that state
**   cvt       statement time of BEGIN: the frozen current valid time
**
** A savepoint records the overlay's next seq (and how much DDL had run);
** ROLLBACK TO cuts the overlay back there. COMMIT makes one batch of the
** overlay: the last op of every key, in key order.
** DDL changes the in-memory catalog when its statement succeeds, so undoing
** DDL (ROLLBACK, or ROLLBACK TO past a DDL statement) reloads the catalog
** from the snapshot plus what stays pending.
**
** One connection writes at a time (the store has one database-wide head):
** the first write statement of a transaction takes the database write lock
** (dbshare.h), which fails with a serialization conflict (40001, the
** transaction is then doomed) when another connection committed after the
** snapshot. From then on nothing else commits, so the snapshot is the head
** and the overlay's versions sit on top of it; COMMIT or ROLLBACK releases
** the lock.
*/
#ifndef TDB_TXN_H
#define TDB_TXN_H

#include "batch.h"
#include "memtable.h"

typedef struct TdbSavepoint {
  char *name;            /* owned, as written (names compare case-insensitively) */
  uint64_t seq;          /* the overlay's next_seq then: later versions go */
  int wrote;             /* a write statement had succeeded before it */
  uint64_t ddl;          /* DDL statements before it */
} TdbSavepoint;

typedef struct TdbTxn {
  int active;            /* between BEGIN and COMMIT / ROLLBACK */
  int doomed;            /* a write met a serialization conflict: COMMIT rolls back */
  uint64_t snapshot;     /* head at BEGIN, pinned in the store */
  int64_t cvt;           /* current valid time, frozen at BEGIN */
  TdbMemtable *overlay;  /* the pending writes by key (NULL: none) */
  uint64_t next_seq;     /* seq of the next overlay version */
  int wrote;             /* a write statement succeeded: COMMIT takes an epoch */
  uint64_t ddl;          /* DDL statements that succeeded in the transaction */
  TdbSavepoint *sp;      /* savepoints, oldest first */
  int nsp, cap_sp;
} TdbTxn;

struct tdb;
struct tdb_stmt;

/* Run a transaction-control statement (BEGIN, COMMIT, ROLLBACK, SAVEPOINT,
** ROLLBACK TO, RELEASE). Errors: 25001 BEGIN inside a transaction, 25P01
** no transaction, 3B001 no such savepoint, 55006 ROLLBACK that must undo
** DDL while another statement is reading, and those of the commit. */
TDB_PRIVATE int tdbTxnExec(struct tdb_stmt *st);

/* The writes of a statement that is about to succeed: commit them
** (outside a transaction: one epoch) or add them to the transaction's
** pending writes. On an error nothing of b is kept anywhere. */
TDB_PRIVATE int tdbTxnWrite(struct tdb *db, TdbBatch *b);

/* A write statement succeeded (`ddl`: a schema statement), whether or not
** it wrote anything: inside a transaction, COMMIT then takes an epoch. */
TDB_PRIVATE void tdbTxnNoteWrite(struct tdb *db, int ddl);

/* Reads of the connection's working state at as_of (0: the transaction's
** snapshot inside a transaction, else the head), with the transaction's
** pending writes on top when as_of is 0 or its snapshot. */
TDB_PRIVATE int tdbTxnIter(struct tdb *db, uint64_t as_of, TdbDbIter **out);
TDB_PRIVATE int tdbTxnGet(struct tdb *db, uint64_t as_of, const void *key, size_t klen,
                          TdbStr *value, int *found);

/* End an open transaction without committing (tdb_close). */
TDB_PRIVATE void tdbTxnAbandon(struct tdb *db);

#endif /* TDB_TXN_H */
