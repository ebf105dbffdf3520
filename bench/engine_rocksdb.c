/*
** engine_rocksdb.c — kvbench adapter for RocksDB through its C API
** (rocksdb/c.h, Debian librocksdb-dev).
**
** Options: RocksDB defaults (write buffer 64 MiB, leveled compaction,
** 2 background jobs, Snappy compression) plus a block-based table with an
** LRU block cache of 64 MiB and a bloom filter of 10 bits/key, to match
** TensorDB's defaults. Durability (the WAL is always on):
**   full    WriteOptions.sync = true on every write (WAL fdatasync'd)
**   normal  sync = false, and the driver's sync() every 1000 commits /
**           100 ms calls FlushWAL(sync = true)
**   off     sync = false: each write reaches the OS, never synced
** settle = Flush (wait) then CompactRange over the whole key space.
*/
#include "kvbench.h"

#include <rocksdb/c.h>
#include <stdlib.h>
#include <string.h>

typedef struct rdb {
  rocksdb_t *db;
  rocksdb_options_t *opt;
  rocksdb_block_based_table_options_t *bbto;
  rocksdb_cache_t *cache;
  rocksdb_writeoptions_t *wo;
  rocksdb_readoptions_t *ro;
  rocksdb_writebatch_t *wb;
  char msg[512];
} rdb;

static int rd_err(rdb *d, const char *what, char *e) {
  kv_seterr(d->msg, sizeof d->msg, "%s: %s", what, e ? e : "error");
  rocksdb_free(e);
  return -1;
}

static void rd_free(rdb *d) {
  if (d->db) rocksdb_close(d->db);
  if (d->wb) rocksdb_writebatch_destroy(d->wb);
  if (d->wo) rocksdb_writeoptions_destroy(d->wo);
  if (d->ro) rocksdb_readoptions_destroy(d->ro);
  if (d->opt) rocksdb_options_destroy(d->opt);
  if (d->bbto) rocksdb_block_based_options_destroy(d->bbto);
  if (d->cache) rocksdb_cache_destroy(d->cache);
  free(d);
}

static void *rd_open(const char *dir, kv_sync sync, char *err, size_t errlen) {
  rdb *d = calloc(1, sizeof *d);
  char *e = NULL;
  if (!d) { kv_seterr(err, errlen, "out of memory"); return NULL; }
  d->opt = rocksdb_options_create();
  rocksdb_options_set_create_if_missing(d->opt, 1);
  d->bbto = rocksdb_block_based_options_create();
  d->cache = rocksdb_cache_create_lru((size_t)64 << 20);
  rocksdb_block_based_options_set_block_cache(d->bbto, d->cache);
  /* the table options take ownership of the filter policy */
  rocksdb_block_based_options_set_filter_policy(d->bbto, rocksdb_filterpolicy_create_bloom(10));
  rocksdb_options_set_block_based_table_factory(d->opt, d->bbto);
  d->wo = rocksdb_writeoptions_create();
  rocksdb_writeoptions_set_sync(d->wo, sync == KV_SYNC_FULL);
  d->ro = rocksdb_readoptions_create();
  d->wb = rocksdb_writebatch_create();
  d->db = rocksdb_open(d->opt, dir, &e);
  if (e) {
    kv_seterr(err, errlen, "%s", e);
    rocksdb_free(e);
    rd_free(d);
    return NULL;
  }
  return d;
}

static void rd_close(void *h) { rd_free(h); }

static int rd_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  rdb *d = h;
  char *e = NULL;
  rocksdb_put(d->db, d->wo, k, kl, v, vl, &e);
  return e ? rd_err(d, "put", e) : 0;
}

static int rd_get(void *h, const void *k, size_t kl, void *buf, size_t cap, size_t *vlen) {
  rdb *d = h;
  char *e = NULL;
  size_t n = 0;
  char *v = rocksdb_get(d->db, d->ro, k, kl, &n, &e);
  if (e) return rd_err(d, "get", e);
  if (!v) return 0;
  *vlen = n;
  memcpy(buf, v, n < cap ? n : cap);
  rocksdb_free(v);
  return 1;
}

static int rd_del(void *h, const void *k, size_t kl) {
  rdb *d = h;
  char *e = NULL;
  rocksdb_delete(d->db, d->wo, k, kl, &e);
  return e ? rd_err(d, "delete", e) : 0;
}

static int rd_batch_begin(void *h) {
  rocksdb_writebatch_clear(((rdb *)h)->wb);
  return 0;
}

static int rd_batch_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  rocksdb_writebatch_put(((rdb *)h)->wb, k, kl, v, vl);
  return 0;
}

static int rd_batch_commit(void *h) {
  rdb *d = h;
  char *e = NULL;
  rocksdb_write(d->db, d->wo, d->wb, &e);
  return e ? rd_err(d, "write", e) : 0;
}

static int rd_scan(void *h, kv_scan_fn fn, void *ctx) {
  rdb *d = h;
  char *e = NULL;
  rocksdb_iterator_t *it = rocksdb_create_iterator(d->db, d->ro);
  for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
    size_t kl, vl;
    const char *k = rocksdb_iter_key(it, &kl);
    const char *v = rocksdb_iter_value(it, &vl);
    if (fn(ctx, k, kl, v, vl)) break;
  }
  rocksdb_iter_get_error(it, &e);
  rocksdb_iter_destroy(it);
  return e ? rd_err(d, "iterator", e) : 0;
}

static int rd_sync(void *h) {
  rdb *d = h;
  char *e = NULL;
  rocksdb_flush_wal(d->db, 1, &e);
  return e ? rd_err(d, "flush wal", e) : 0;
}

static int rd_settle(void *h) {
  rdb *d = h;
  char *e = NULL;
  rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
  rocksdb_flushoptions_set_wait(fo, 1);
  rocksdb_flush(d->db, fo, &e);
  rocksdb_flushoptions_destroy(fo);
  if (e) return rd_err(d, "flush", e);
  rocksdb_compact_range(d->db, NULL, 0, NULL, 0);
  return 0;
}

static const char *rd_errmsg(void *h) { return ((rdb *)h)->msg; }

const kv_engine kv_engine_rocksdb = {
    "rocksdb", rd_open, rd_close, rd_put, rd_get, rd_del, rd_batch_begin, rd_batch_put,
    rd_batch_commit, rd_scan, rd_sync, rd_settle, rd_errmsg,
};
