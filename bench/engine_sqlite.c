/*
** engine_sqlite.c — kvbench adapter for SQLite (Debian libsqlite3-dev).
**
** One file kv.db in the run directory holding
**   CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID
** accessed only through prepared statements (bound with SQLITE_STATIC).
** Pragmas: page_size = 4096, journal_mode = WAL, cache_size = -65536
** (64 MiB, matching TensorDB's block cache), wal_autocheckpoint = 1000
** (default), mmap_size = 0 (default), locking_mode = NORMAL (default), and
**   full    synchronous = FULL: every commit fsyncs the WAL
**   normal  synchronous = NORMAL: the WAL is synced only at checkpoints
**           (SQLite's own "normal"; the driver adds no syncs)
**   off     synchronous = OFF: never synced
** A put (INSERT OR REPLACE) or delete is one autocommit transaction; a
** batch is BEGIN ... COMMIT. settle = PRAGMA wal_checkpoint(TRUNCATE).
*/
#include "kvbench.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sq_db {
  sqlite3 *db;
  sqlite3_stmt *put, *get, *del, *begin, *commit, *scan;
  char msg[512];
} sq_db;

static int sq_err(sq_db *d, const char *what) {
  kv_seterr(d->msg, sizeof d->msg, "%s: %s", what, sqlite3_errmsg(d->db));
  return -1;
}

static void sq_free(sq_db *d) {
  sqlite3_finalize(d->put);
  sqlite3_finalize(d->get);
  sqlite3_finalize(d->del);
  sqlite3_finalize(d->begin);
  sqlite3_finalize(d->commit);
  sqlite3_finalize(d->scan);
  sqlite3_close(d->db);
  free(d);
}

static void *sq_open(const char *dir, kv_sync sync, char *err, size_t errlen) {
  sq_db *d = calloc(1, sizeof *d);
  char path[4096], setup[512];
  char *e = NULL;
  const char *syn = sync == KV_SYNC_FULL ? "FULL" : sync == KV_SYNC_NORMAL ? "NORMAL" : "OFF";
  if (!d) { kv_seterr(err, errlen, "out of memory"); return NULL; }
  snprintf(path, sizeof path, "%s/kv.db", dir);
  if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    kv_seterr(err, errlen, "open %s: %s", path, d->db ? sqlite3_errmsg(d->db) : "no memory");
    sq_free(d);
    return NULL;
  }
  snprintf(setup, sizeof setup,
           "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
           "PRAGMA cache_size=-65536;"
           "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;",
           syn);
  if (sqlite3_exec(d->db, setup, NULL, NULL, &e) != SQLITE_OK) {
    kv_seterr(err, errlen, "setup: %s", e ? e : "error");
    sqlite3_free(e);
    sq_free(d);
    return NULL;
  }
  if (sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)", -1, &d->put, NULL) ||
      sqlite3_prepare_v2(d->db, "SELECT v FROM kv WHERE k = ?1", -1, &d->get, NULL) ||
      sqlite3_prepare_v2(d->db, "DELETE FROM kv WHERE k = ?1", -1, &d->del, NULL) ||
      sqlite3_prepare_v2(d->db, "BEGIN", -1, &d->begin, NULL) ||
      sqlite3_prepare_v2(d->db, "COMMIT", -1, &d->commit, NULL) ||
      sqlite3_prepare_v2(d->db, "SELECT k, v FROM kv ORDER BY k", -1, &d->scan, NULL)) {
    kv_seterr(err, errlen, "prepare: %s", sqlite3_errmsg(d->db));
    sq_free(d);
    return NULL;
  }
  return d;
}

static void sq_close(void *h) { sq_free(h); }

/* Step a statement that returns no rows, then reset it. */
static int sq_run(sq_db *d, sqlite3_stmt *st, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : sq_err(d, what);
}

static int sq_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  sq_db *d = h;
  sqlite3_bind_blob(d->put, 1, k, (int)kl, SQLITE_STATIC);
  sqlite3_bind_blob(d->put, 2, v, (int)vl, SQLITE_STATIC);
  return sq_run(d, d->put, "put");
}

static int sq_get(void *h, const void *k, size_t kl, void *buf, size_t cap, size_t *vlen) {
  sq_db *d = h;
  int rc;
  sqlite3_bind_blob(d->get, 1, k, (int)kl, SQLITE_STATIC);
  rc = sqlite3_step(d->get);
  if (rc == SQLITE_ROW) {
    const void *v = sqlite3_column_blob(d->get, 0);
    size_t n = (size_t)sqlite3_column_bytes(d->get, 0);
    *vlen = n;
    if (n) memcpy(buf, v, n < cap ? n : cap);
    sqlite3_reset(d->get);
    return 1;
  }
  sqlite3_reset(d->get);
  return rc == SQLITE_DONE ? 0 : sq_err(d, "get");
}

static int sq_del(void *h, const void *k, size_t kl) {
  sq_db *d = h;
  sqlite3_bind_blob(d->del, 1, k, (int)kl, SQLITE_STATIC);
  return sq_run(d, d->del, "delete");
}

static int sq_batch_begin(void *h) {
  sq_db *d = h;
  return sq_run(d, d->begin, "begin");
}

static int sq_batch_commit(void *h) {
  sq_db *d = h;
  return sq_run(d, d->commit, "commit");
}

static int sq_scan(void *h, kv_scan_fn fn, void *ctx) {
  sq_db *d = h;
  int rc;
  while ((rc = sqlite3_step(d->scan)) == SQLITE_ROW) {
    const void *k = sqlite3_column_blob(d->scan, 0);
    size_t kl = (size_t)sqlite3_column_bytes(d->scan, 0);
    const void *v = sqlite3_column_blob(d->scan, 1);
    size_t vl = (size_t)sqlite3_column_bytes(d->scan, 1);
    if (fn(ctx, k, kl, v, vl)) { rc = SQLITE_DONE; break; }
  }
  sqlite3_reset(d->scan);
  return rc == SQLITE_DONE ? 0 : sq_err(d, "scan");
}

static int sq_settle(void *h) {
  sq_db *d = h;
  char *e = NULL;
  if (sqlite3_exec(d->db, "PRAGMA wal_checkpoint(TRUNCATE);", NULL, NULL, &e) != SQLITE_OK) {
    kv_seterr(d->msg, sizeof d->msg, "checkpoint: %s", e ? e : "error");
    sqlite3_free(e);
    return -1;
  }
  return 0;
}

static const char *sq_errmsg(void *h) { return ((sq_db *)h)->msg; }

const kv_engine kv_engine_sqlite = {
    "sqlite", sq_open, sq_close, sq_put, sq_get, sq_del, sq_batch_begin, sq_put,
    sq_batch_commit, sq_scan, NULL, sq_settle, sq_errmsg,
};
