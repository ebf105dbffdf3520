/*
** engine_leveldb.c — kvbench adapter for LevelDB through its C API
** (leveldb/c.h, Debian libleveldb-dev).
**
** Options, chosen to match TensorDB's defaults where LevelDB has the knob:
** write buffer (memtable) 64 MiB, block cache LRU 64 MiB, bloom filter
** 10 bits/key, block size 4 KiB (default), Snappy compression (default),
** max_open_files 1000 (default). Durability:
**   full    WriteOptions.sync = true on every write (log fdatasync'd)
**   normal  sync = false, and the driver's sync() every 1000 commits /
**           100 ms writes an empty batch with sync = true (syncs the log)
**   off     sync = false: each write reaches the OS, never synced
** settle = CompactRange over the whole key space (flushes the memtable and
** compacts every level).
*/
#include "kvbench.h"

#include <leveldb/c.h>
#include <stdlib.h>
#include <string.h>

typedef struct ldb {
  leveldb_t *db;
  leveldb_options_t *opt;
  leveldb_cache_t *cache;
  leveldb_filterpolicy_t *bloom;
  leveldb_writeoptions_t *wo, *wsync;
  leveldb_readoptions_t *ro;
  leveldb_writebatch_t *wb;
  char msg[512];
} ldb;

static int ld_err(ldb *d, const char *what, char *e) {
  kv_seterr(d->msg, sizeof d->msg, "%s: %s", what, e ? e : "error");
  leveldb_free(e);
  return -1;
}

static void ld_free(ldb *d) {
  if (d->db) leveldb_close(d->db);
  if (d->wb) leveldb_writebatch_destroy(d->wb);
  if (d->wo) leveldb_writeoptions_destroy(d->wo);
  if (d->wsync) leveldb_writeoptions_destroy(d->wsync);
  if (d->ro) leveldb_readoptions_destroy(d->ro);
  if (d->opt) leveldb_options_destroy(d->opt);
  if (d->bloom) leveldb_filterpolicy_destroy(d->bloom);
  if (d->cache) leveldb_cache_destroy(d->cache);
  free(d);
}

static void *ld_open(const char *dir, kv_sync sync, char *err, size_t errlen) {
  ldb *d = calloc(1, sizeof *d);
  char *e = NULL;
  if (!d) { kv_seterr(err, errlen, "out of memory"); return NULL; }
  d->opt = leveldb_options_create();
  d->cache = leveldb_cache_create_lru((size_t)64 << 20);
  d->bloom = leveldb_filterpolicy_create_bloom(10);
  leveldb_options_set_create_if_missing(d->opt, 1);
  leveldb_options_set_write_buffer_size(d->opt, (size_t)64 << 20);
  leveldb_options_set_cache(d->opt, d->cache);
  leveldb_options_set_filter_policy(d->opt, d->bloom);
  d->wo = leveldb_writeoptions_create();
  leveldb_writeoptions_set_sync(d->wo, sync == KV_SYNC_FULL);
  d->wsync = leveldb_writeoptions_create();
  leveldb_writeoptions_set_sync(d->wsync, 1);
  d->ro = leveldb_readoptions_create();
  d->wb = leveldb_writebatch_create();
  d->db = leveldb_open(d->opt, dir, &e);
  if (e) {
    kv_seterr(err, errlen, "%s", e);
    leveldb_free(e);
    ld_free(d);
    return NULL;
  }
  return d;
}

static void ld_close(void *h) { ld_free(h); }

static int ld_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  ldb *d = h;
  char *e = NULL;
  leveldb_put(d->db, d->wo, k, kl, v, vl, &e);
  return e ? ld_err(d, "put", e) : 0;
}

static int ld_get(void *h, const void *k, size_t kl, void *buf, size_t cap, size_t *vlen) {
  ldb *d = h;
  char *e = NULL;
  size_t n = 0;
  char *v = leveldb_get(d->db, d->ro, k, kl, &n, &e);
  if (e) return ld_err(d, "get", e);
  if (!v) return 0;
  *vlen = n;
  memcpy(buf, v, n < cap ? n : cap);
  leveldb_free(v);
  return 1;
}

static int ld_del(void *h, const void *k, size_t kl) {
  ldb *d = h;
  char *e = NULL;
  leveldb_delete(d->db, d->wo, k, kl, &e);
  return e ? ld_err(d, "delete", e) : 0;
}

static int ld_batch_begin(void *h) {
  leveldb_writebatch_clear(((ldb *)h)->wb);
  return 0;
}

static int ld_batch_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  leveldb_writebatch_put(((ldb *)h)->wb, k, kl, v, vl);
  return 0;
}

static int ld_batch_commit(void *h) {
  ldb *d = h;
  char *e = NULL;
  leveldb_write(d->db, d->wo, d->wb, &e);
  return e ? ld_err(d, "write", e) : 0;
}

static int ld_scan(void *h, kv_scan_fn fn, void *ctx) {
  ldb *d = h;
  char *e = NULL;
  leveldb_iterator_t *it = leveldb_create_iterator(d->db, d->ro);
  for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
    size_t kl, vl;
    const char *k = leveldb_iter_key(it, &kl);
    const char *v = leveldb_iter_value(it, &vl);
    if (fn(ctx, k, kl, v, vl)) break;
  }
  leveldb_iter_get_error(it, &e);
  leveldb_iter_destroy(it);
  return e ? ld_err(d, "iterator", e) : 0;
}

static int ld_sync(void *h) {
  ldb *d = h;
  char *e = NULL;
  leveldb_writebatch_t *empty = leveldb_writebatch_create();
  leveldb_write(d->db, d->wsync, empty, &e);
  leveldb_writebatch_destroy(empty);
  return e ? ld_err(d, "sync", e) : 0;
}

static int ld_settle(void *h) {
  leveldb_compact_range(((ldb *)h)->db, NULL, 0, NULL, 0);
  return 0;
}

static const char *ld_errmsg(void *h) { return ((ldb *)h)->msg; }

const kv_engine kv_engine_leveldb = {
    "leveldb", ld_open, ld_close, ld_put, ld_get, ld_del, ld_batch_begin, ld_batch_put,
    ld_batch_commit, ld_scan, ld_sync, ld_settle, ld_errmsg,
};
