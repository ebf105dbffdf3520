/*
** dbshare.h — one database shared by several connections of a process:
** the process-wide registry of open stores, the database write lock, and
** keeping each connection's cached schema current (docs/design.md
** "Concurrency", docs/sql.md "Concurrency").
**
**   process                                      registry (one mutex)
**   +--------------------------------------+     +----------------------+
**   | tdb A --+                            |     | TdbShared "/data/db" |
**   | tdb B --+--> TdbShared --> TdbStore -+--+  |  (device, inode)     |
**   | tdb C --+    write lock, nconn       |  |  +----------------------+
**   +--------------------------------------+  +--> LOCK file: flock held,
**                                                  holds this process's pid
**   another process: tdb_open -> TDB_BUSY "open in another process (pid N)"
**
** A path database is registered by the identity of its directory (device
** and inode, so "db", "./db" and a symlink to it are one database); every
** tdb_open of it in the process shares one TdbStore: one WAL, one memtable,
** one head. The store is opened with the first connection's configuration
** and allocator and closed with the last connection. ":memory:" and the
** "memory" VFS make a private database per connection, never shared.
**
** Each connection keeps its own catalog, session state and transaction.
** Statements read a snapshot pinned in the store; the store also reports
** the latest epoch that wrote the catalog or statistics (its watched
** keyspaces), atomically with the pin, so a connection whose catalog was
** loaded at another watch epoch reloads it before the statement runs.
**
** The write lock. At most one connection writes at a time:
**
**   autocommit write statement   lock -> pin head -> run, commit -> unlock
**   transaction                  BEGIN pins the snapshot; the first write
**                                statement locks (head > snapshot: conflict);
**                                COMMIT / ROLLBACK unlocks
**
** A writer that finds the lock held waits up to tdb_config.busy_timeout_ms,
** then fails with TDB_BUSY (55P03). A transaction whose snapshot is stale
** when it takes the lock fails that statement with TDB_CONFLICT (40001)
** and is doomed: its writes are refused, COMMIT rolls it back and reports
** 40001 again; only ROLLBACK ends it cleanly.
*/
#ifndef TDB_DBSHARE_H
#define TDB_DBSHARE_H

#include "store.h"
#include "thread.h"

struct tdb;
struct tdb_stmt;

typedef struct TdbShared TdbShared;

/* Open the store of db->path for db (db->store, db->shared): a registered
** path database already open in the process is shared, anything else is
** opened. Errors go to db->err: those of tdbStoreOpen, TDB_BUSY (55P03)
** for a read-write open of a database the process has open read-only. */
TDB_PRIVATE int tdbShareOpen(struct tdb *db, TdbVfs *vfs);
/* Release db's use of its store (closed with the last connection).
** The write lock must not be held. NULL-safe. */
TDB_PRIVATE void tdbShareClose(struct tdb *db);

/* Take the write lock for db (a no-op while db holds it). Inside a
** transaction, a head past the transaction's snapshot is TDB_CONFLICT
** (the lock is not kept, the transaction is doomed); a doomed
** transaction's writes are TDB_CONFLICT too. TDB_BUSY after
** busy_timeout_ms; TDB_READONLY for a read-only connection. */
TDB_PRIVATE int tdbShareWriteLock(struct tdb *db);
/* The same without a transaction's conflict check: the writes of the
** key-value API, which are not part of SQL transactions. */
TDB_PRIVATE int tdbShareWriteLockPlain(struct tdb *db);
/* Release the write lock if db holds it. */
TDB_PRIVATE void tdbShareWriteUnlock(struct tdb *db);

/* Pin the head as the snapshot of a statement outside a transaction and
** bring db's catalog to it (reloaded when another connection changed the
** schema; prepared statements then re-prepare). On success *epoch is
** pinned (the caller unpins). TDB_BUSY (55006) when the schema must be
** reloaded while another statement of db is returning rows. */
TDB_PRIVATE int tdbSharePinCurrent(struct tdb *db, uint64_t *epoch);
/* tdbSharePinCurrent for tdb_prepare: the catalog is brought up to date
** when that is possible now; nothing stays pinned. */
TDB_PRIVATE int tdbShareRefresh(struct tdb *db);
/* A statement runs at `snapshot`: drop the caches other connections' writes
** may have made stale (the next _rowid of tables, the largest write CVT). */
TDB_PRIVATE void tdbShareNoteSnapshot(struct tdb *db, uint64_t snapshot);
/* Load db's catalog and statistics from the head (at open, and after a
** ROLLBACK undid DDL), remembering the watch epoch they belong to. On an
** error the old catalog stays. */
TDB_PRIVATE int tdbShareLoadCatalog(struct tdb *db);

/* Does the statement write (take the write lock when it runs)? */
TDB_PRIVATE int tdbStmtWrites(const struct tdb_stmt *st);

#endif /* TDB_DBSHARE_H */
