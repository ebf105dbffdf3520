/*
** engine_lmdb.c — kvbench adapter for LMDB (liblmdb, Debian liblmdb-dev).
**
** One environment in the run directory (data.mdb + lock.mdb), the unnamed
** database, map size 16 GiB (virtual; the file grows only as pages are used),
** no MDB_WRITEMAP. Durability:
**   full    flags 0: every write transaction commit fdatasyncs (data pages,
**           then the meta page) before it returns
**   normal  MDB_NOSYNC, and the driver calls mdb_env_sync(force) every
**           1000 commits / 100 ms
**   off     MDB_NOSYNC: commits write pages to the OS, never sync
** A put or delete is one write transaction; a batch is one transaction.
** Gets reuse one read-only transaction (reset / renew around each get).
** settle = mdb_env_sync(force) (LMDB has no compaction to wait for).
*/
#include "kvbench.h"

#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

typedef struct lm_db {
  MDB_env *env;
  MDB_dbi dbi;
  MDB_txn *rtxn;  /* reset between gets */
  MDB_txn *wtxn;  /* open batch */
  char msg[256];
} lm_db;

static int lm_err(lm_db *d, const char *what, int rc) {
  kv_seterr(d->msg, sizeof d->msg, "%s: %s", what, mdb_strerror(rc));
  return -1;
}

static void *lm_open(const char *dir, kv_sync sync, char *err, size_t errlen) {
  lm_db *d = calloc(1, sizeof *d);
  MDB_txn *t;
  unsigned flags = sync == KV_SYNC_FULL ? 0u : (unsigned)MDB_NOSYNC;
  int rc;
  if (!d) { kv_seterr(err, errlen, "out of memory"); return NULL; }
  if ((rc = mdb_env_create(&d->env)) != 0 ||
      (rc = mdb_env_set_mapsize(d->env, (size_t)16 << 30)) != 0 ||
      (rc = mdb_env_open(d->env, dir, flags, 0644)) != 0 ||
      (rc = mdb_txn_begin(d->env, NULL, 0, &t)) != 0) {
    kv_seterr(err, errlen, "%s", mdb_strerror(rc));
    if (d->env) mdb_env_close(d->env);
    free(d);
    return NULL;
  }
  if ((rc = mdb_dbi_open(t, NULL, 0, &d->dbi)) != 0 || (rc = mdb_txn_commit(t)) != 0) {
    kv_seterr(err, errlen, "dbi open: %s", mdb_strerror(rc));
    mdb_env_close(d->env);
    free(d);
    return NULL;
  }
  return d;
}

static void lm_close(void *h) {
  lm_db *d = h;
  if (d->wtxn) mdb_txn_abort(d->wtxn);
  if (d->rtxn) mdb_txn_abort(d->rtxn);
  mdb_env_close(d->env);
  free(d);
}

static int lm_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  lm_db *d = h;
  MDB_txn *t;
  MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
  int rc = mdb_txn_begin(d->env, NULL, 0, &t);
  if (rc != 0) return lm_err(d, "txn begin", rc);
  if ((rc = mdb_put(t, d->dbi, &key, &val, 0)) != 0) {
    mdb_txn_abort(t);
    return lm_err(d, "put", rc);
  }
  if ((rc = mdb_txn_commit(t)) != 0) return lm_err(d, "commit", rc);
  return 0;
}

static int lm_get(void *h, const void *k, size_t kl, void *buf, size_t cap, size_t *vlen) {
  lm_db *d = h;
  MDB_val key = {kl, (void *)k}, val;
  int rc = d->rtxn ? mdb_txn_renew(d->rtxn) : mdb_txn_begin(d->env, NULL, MDB_RDONLY, &d->rtxn);
  if (rc != 0) return lm_err(d, "read txn", rc);
  rc = mdb_get(d->rtxn, d->dbi, &key, &val);
  if (rc == 0) {
    *vlen = val.mv_size;
    memcpy(buf, val.mv_data, val.mv_size < cap ? val.mv_size : cap);
  }
  mdb_txn_reset(d->rtxn);
  if (rc == MDB_NOTFOUND) return 0;
  if (rc != 0) return lm_err(d, "get", rc);
  return 1;
}

static int lm_del(void *h, const void *k, size_t kl) {
  lm_db *d = h;
  MDB_txn *t;
  MDB_val key = {kl, (void *)k};
  int rc = mdb_txn_begin(d->env, NULL, 0, &t);
  if (rc != 0) return lm_err(d, "txn begin", rc);
  rc = mdb_del(t, d->dbi, &key, NULL);
  if (rc != 0 && rc != MDB_NOTFOUND) {
    mdb_txn_abort(t);
    return lm_err(d, "del", rc);
  }
  if ((rc = mdb_txn_commit(t)) != 0) return lm_err(d, "commit", rc);
  return 0;
}

static int lm_batch_begin(void *h) {
  lm_db *d = h;
  int rc = mdb_txn_begin(d->env, NULL, 0, &d->wtxn);
  return rc == 0 ? 0 : lm_err(d, "txn begin", rc);
}

static int lm_batch_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  lm_db *d = h;
  MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
  int rc = mdb_put(d->wtxn, d->dbi, &key, &val, 0);
  return rc == 0 ? 0 : lm_err(d, "put", rc);
}

static int lm_batch_commit(void *h) {
  lm_db *d = h;
  int rc = mdb_txn_commit(d->wtxn);
  d->wtxn = NULL;
  return rc == 0 ? 0 : lm_err(d, "commit", rc);
}

static int lm_scan(void *h, kv_scan_fn fn, void *ctx) {
  lm_db *d = h;
  MDB_txn *t;
  MDB_cursor *c;
  MDB_val key, val;
  int rc = mdb_txn_begin(d->env, NULL, MDB_RDONLY, &t);
  if (rc != 0) return lm_err(d, "read txn", rc);
  if ((rc = mdb_cursor_open(t, d->dbi, &c)) != 0) {
    mdb_txn_abort(t);
    return lm_err(d, "cursor", rc);
  }
  for (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
    if (fn(ctx, key.mv_data, key.mv_size, val.mv_data, val.mv_size)) break;
  }
  mdb_cursor_close(c);
  mdb_txn_abort(t);
  if (rc != 0 && rc != MDB_NOTFOUND) return lm_err(d, "cursor get", rc);
  return 0;
}

static int lm_sync(void *h) {
  lm_db *d = h;
  int rc = mdb_env_sync(d->env, 1);
  return rc == 0 ? 0 : lm_err(d, "sync", rc);
}

static const char *lm_errmsg(void *h) { return ((lm_db *)h)->msg; }

const kv_engine kv_engine_lmdb = {
    "lmdb", lm_open, lm_close, lm_put, lm_get, lm_del, lm_batch_begin, lm_batch_put,
    lm_batch_commit, lm_scan, lm_sync, lm_sync, lm_errmsg,
};
