/*
** engine_tensordb.c — kvbench adapter for TensorDB's ledger key-value API
** (tensordb.h: tdb_kv_put / tdb_kv_get / tdb_kv_delete, batches, iterators,
** tdb_flush, tdb_compact).
**
** The database lives at DIR/tensordb inside the run directory; every other
** knob is tdb_config_default() (memtable 64 MiB, block 4 KiB, bloom
** 10 bits/key, block cache 64 MiB, one background thread). Durability maps
** one to one onto tdb_config.sync_mode:
**   full    TDB_SYNC_FULL: a commit returns once durable (group commit)
**   normal  TDB_SYNC_NORMAL: the engine syncs every 100 ms / 1000 records
**   off     TDB_SYNC_OFF
** so sync() is NULL: the driver never adds syncs for TensorDB. Gets read the
** latest state (ro NULL) and free the returned copy. settle = tdb_flush then
** tdb_compact (runs compactions until no level is over budget and waits for
** background work to be idle).
*/
#include "kvbench.h"

#include "tensordb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tdb_bench {
  tdb *db;
  tdb_kv_batch *batch;
  char msg[512];
} tdb_bench;

static int tb_err(tdb_bench *b, const char *what, int rc) {
  const char *m = b->db ? tdb_errmsg(b->db) : NULL;
  kv_seterr(b->msg, sizeof b->msg, "%s: %s (%s)", what, tdb_errstr(rc), m ? m : "");
  return -1;
}

static void *tb_open(const char *dir, kv_sync sync, char *err, size_t errlen) {
  tdb_bench *b = calloc(1, sizeof *b);
  tdb_config cfg;
  char path[4096];
  int rc;
  if (!b) { kv_seterr(err, errlen, "out of memory"); return NULL; }
  tdb_config_default(&cfg);
  cfg.sync_mode = sync == KV_SYNC_FULL ? TDB_SYNC_FULL
                  : sync == KV_SYNC_NORMAL ? TDB_SYNC_NORMAL : TDB_SYNC_OFF;
  snprintf(path, sizeof path, "%s/tensordb", dir);
  rc = tdb_open(path, &cfg, &b->db);
  if (rc != TDB_OK) {
    kv_seterr(err, errlen, "tdb_open %s: %s (%s)", path, tdb_errstr(rc),
              b->db ? tdb_errmsg(b->db) : "");
    tdb_close(b->db);
    free(b);
    return NULL;
  }
  rc = tdb_kv_batch_new(b->db, &b->batch);
  if (rc != TDB_OK) {
    kv_seterr(err, errlen, "tdb_kv_batch_new: %s", tdb_errstr(rc));
    tdb_close(b->db);
    free(b);
    return NULL;
  }
  return b;
}

static void tb_close(void *h) {
  tdb_bench *b = h;
  tdb_kv_batch_free(b->batch);
  tdb_close(b->db);
  free(b);
}

static int tb_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  tdb_bench *b = h;
  int rc = tdb_kv_put(b->db, k, kl, v, vl, NULL);
  return rc == TDB_OK ? 0 : tb_err(b, "tdb_kv_put", rc);
}

static int tb_get(void *h, const void *k, size_t kl, void *buf, size_t cap, size_t *vlen) {
  tdb_bench *b = h;
  void *v = NULL;
  size_t n = 0;
  int rc = tdb_kv_get(b->db, NULL, k, kl, &v, &n);
  if (rc == TDB_NOTFOUND) return 0;
  if (rc != TDB_OK) return tb_err(b, "tdb_kv_get", rc);
  *vlen = n;
  if (n) memcpy(buf, v, n < cap ? n : cap);
  tdb_free(b->db, v);
  return 1;
}

static int tb_del(void *h, const void *k, size_t kl) {
  tdb_bench *b = h;
  int rc = tdb_kv_delete(b->db, k, kl, NULL);
  return rc == TDB_OK ? 0 : tb_err(b, "tdb_kv_delete", rc);
}

static int tb_batch_begin(void *h) {
  tdb_kv_batch_clear(((tdb_bench *)h)->batch);
  return 0;
}

static int tb_batch_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  tdb_bench *b = h;
  int rc = tdb_kv_batch_put(b->batch, k, kl, v, vl);
  return rc == TDB_OK ? 0 : tb_err(b, "tdb_kv_batch_put", rc);
}

static int tb_batch_commit(void *h) {
  tdb_bench *b = h;
  int rc = tdb_kv_write(b->db, b->batch, NULL);
  return rc == TDB_OK ? 0 : tb_err(b, "tdb_kv_write", rc);
}

static int tb_scan(void *h, kv_scan_fn fn, void *ctx) {
  tdb_bench *b = h;
  tdb_kv_iter *it = NULL;
  int rc = tdb_kv_iter_new(b->db, NULL, &it);
  if (rc != TDB_OK) return tb_err(b, "tdb_kv_iter_new", rc);
  for (rc = tdb_kv_iter_seek_first(it); rc == TDB_OK && tdb_kv_iter_valid(it);
       rc = tdb_kv_iter_next(it)) {
    size_t kl = 0, vl = 0;
    const void *k = tdb_kv_iter_key(it, &kl);
    const void *v = tdb_kv_iter_value(it, &vl);
    if (fn(ctx, k, kl, v, vl)) break;
  }
  tdb_kv_iter_free(it);
  /* an iterator that runs off the end may say so with TDB_NOTFOUND */
  return rc == TDB_OK || rc == TDB_NOTFOUND ? 0 : tb_err(b, "iterator", rc);
}

static int tb_settle(void *h) {
  tdb_bench *b = h;
  int rc = tdb_flush(b->db);
  if (rc != TDB_OK) return tb_err(b, "tdb_flush", rc);
  rc = tdb_compact(b->db);
  return rc == TDB_OK ? 0 : tb_err(b, "tdb_compact", rc);
}

static const char *tb_errmsg(void *h) { return ((tdb_bench *)h)->msg; }

const kv_engine kv_engine_tensordb = {
    "tensordb", tb_open, tb_close, tb_put, tb_get, tb_del, tb_batch_begin, tb_batch_put,
    tb_batch_commit, tb_scan, NULL, tb_settle, tb_errmsg,
};
