/*
** db.c — connections: configuration defaults, tdb_open / tdb_close (the
** store itself comes from dbshare.c), the error accessors and version
** functions of the public API.
*/
#include "db.h"
#include "datetime.h"
#include "purge.h"
#include "stats.h"
#include "version.h"

TDB_API const char *tdb_libversion(void) {
  return TDB_VERSION;
}

TDB_API int tdb_libversion_number(void) {
  return TDB_VERSION_NUMBER;
}

TDB_API void tdb_config_default(tdb_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->version = TDB_CONFIG_VERSION;
  cfg->memtable_bytes = TDB_DEFAULT_MEMTABLE_BYTES;
  cfg->block_bytes = TDB_DEFAULT_BLOCK_BYTES;
  cfg->bloom_bits_per_key = TDB_DEFAULT_BLOOM_BITS;
  cfg->block_cache_bytes = TDB_DEFAULT_BLOCK_CACHE_BYTES;
  cfg->l0_compaction_trigger = TDB_DEFAULT_L0_TRIGGER;
  cfg->level_size_ratio = TDB_DEFAULT_LEVEL_RATIO;
  cfg->max_levels = TDB_DEFAULT_MAX_LEVELS;
  cfg->sync_mode = TDB_SYNC_FULL;
  cfg->sync_interval_ms = TDB_DEFAULT_SYNC_INTERVAL_MS;
  cfg->sync_interval_records = TDB_DEFAULT_SYNC_INTERVAL_RECORDS;
  cfg->threads = TDB_THREADS ? 1 : 0;
  cfg->create_if_missing = 1;
  cfg->recursion_limit = TDB_DEFAULT_RECURSION_LIMIT;
  cfg->busy_timeout_ms = TDB_DEFAULT_BUSY_TIMEOUT_MS;
}

/* Fill zero knobs with defaults so the rest of the engine sees final values. */
static void tdbConfigComplete(tdb_config *cfg) {
  tdb_config d;
  tdb_config_default(&d);
  if (!cfg->memtable_bytes) cfg->memtable_bytes = d.memtable_bytes;
  if (!cfg->block_bytes) cfg->block_bytes = d.block_bytes;
  if (!cfg->bloom_bits_per_key) cfg->bloom_bits_per_key = d.bloom_bits_per_key;
  if (!cfg->block_cache_bytes) cfg->block_cache_bytes = d.block_cache_bytes;
  if (!cfg->l0_compaction_trigger) cfg->l0_compaction_trigger = d.l0_compaction_trigger;
  if (!cfg->level_size_ratio) cfg->level_size_ratio = d.level_size_ratio;
  if (!cfg->max_levels) cfg->max_levels = d.max_levels;
  if (!cfg->sync_interval_ms) cfg->sync_interval_ms = d.sync_interval_ms;
  if (!cfg->sync_interval_records) cfg->sync_interval_records = d.sync_interval_records;
  if (!cfg->recursion_limit) cfg->recursion_limit = d.recursion_limit;
}

/* Reject knob values the engine cannot honour; the message names the field. */
static int tdbConfigCheck(const tdb_config *cfg, TdbErr *err) {
  const char *bad = NULL;
  if (cfg->max_levels < 2 || cfg->max_levels > TDB_LEVELS_MAX) bad = "max_levels (2..7)";
  else if (cfg->level_size_ratio < 2) bad = "level_size_ratio (>= 2)";
  else if (cfg->l0_compaction_trigger < 1) bad = "l0_compaction_trigger (>= 1)";
  else if (cfg->bloom_bits_per_key < 0 || cfg->bloom_bits_per_key > 64) {
    bad = "bloom_bits_per_key (0..64)";
  } else if (cfg->block_bytes < 256 || cfg->block_bytes > ((size_t)16 << 20)) {
    bad = "block_bytes (256 B .. 16 MiB)";
  } else if (cfg->memtable_bytes < ((size_t)64 << 10)) bad = "memtable_bytes (>= 64 KiB)";
  else if (cfg->sync_mode != TDB_SYNC_FULL && cfg->sync_mode != TDB_SYNC_NORMAL &&
           cfg->sync_mode != TDB_SYNC_OFF) {
    bad = "sync_mode";
  } else if (cfg->sync_interval_ms < 0 || cfg->sync_interval_records < 0 ||
             cfg->threads < 0 || cfg->busy_timeout_ms < 0) {
    bad = "sync_interval_ms, sync_interval_records, threads and busy_timeout_ms (>= 0)";
  }
  if (!bad) return TDB_OK;
  return tdbErrSet(err, TDB_MISUSE, "22023", "tdb_open: invalid configuration: %s", bad);
}

TDB_API int tdb_open(const char *path, const tdb_config *config, tdb **out) {
  return tdbOpenVfs(path, config, NULL, out);
}

TDB_PRIVATE int tdbOpenVfs(const char *path, const tdb_config *config, TdbVfs *vfs,
                           tdb **out) {
  tdb_config cfg;
  TdbMem mem;
  tdb *db;
  int rc;
  if (!out) return TDB_MISUSE;
  *out = NULL;
  if (config) {
    if (config->version != TDB_CONFIG_VERSION) return TDB_MISUSE;
    cfg = *config;
  } else {
    tdb_config_default(&cfg);
  }
  tdbConfigComplete(&cfg);
  tdbMemInit(&mem, &cfg.allocator);
  db = tdbMemAllocZero(&mem, sizeof *db);
  if (!db) return TDB_NOMEM;
  db->mem = mem;
  db->config = cfg;
  tdbErrInit(&db->err, &db->mem);
  *out = db;
  if (!path) {
    return tdbErrSet(&db->err, TDB_MISUSE, NULL, "tdb_open: path is NULL");
  }
  db->path = tdbMemStrndup(&db->mem, path, strlen(path));
  if (!db->path) return tdbErrNoMem(&db->err);
  if (tdbConfigCheck(&db->config, &db->err) != TDB_OK) return db->err.code;
  tdbCatalogInit(&db->catalog, &db->mem);
  rc = tdbShareOpen(db, vfs); /* the store, shared with the process's other connections */
  if (rc == TDB_OK) rc = tdbShareLoadCatalog(db);
  if (rc == TDB_OK) rc = tdbPurgeLoad(db); /* history floors of PURGE HISTORY */
  return rc;
}

TDB_PRIVATE int64_t tdbStatementTime(tdb *db) {
  int64_t now = tdbTimeNowMicros();
  int64_t wall = db->store ? tdbStoreHeadWall(db->store) : 0;
  if (now <= wall) now = wall + 1;
  if (now <= db->last_time) now = db->last_time + 1;
  db->last_time = now;
  return now;
}

TDB_PRIVATE int tdbDbCommit(tdb *db, TdbBatch *b) {
  return tdbTxnWrite(db, b);
}

TDB_API int tdb_close(tdb *db) {
  TdbMem mem;
  if (!db) return TDB_OK;
  while (db->stmts) tdb_finalize(db->stmts);
  if (db->store) tdbTxnAbandon(db); /* an open transaction is rolled back */
  tdbShareClose(db);                  /* the store closes with its last connection */
  if (db->catalog.mem) tdbCatalogFree(&db->catalog);
  tdbSchemaPastFree(&db->schema_past);
  mem = db->mem;
  tdbErrClear(&db->err);
  tdbMemFree(&mem, db->path);
  tdbMemFree(&mem, db);
  return TDB_OK;
}

TDB_API int64_t tdb_changes(tdb *db) {
  return db ? db->changes : 0;
}

TDB_API int tdb_errcode(tdb *db) {
  return db ? db->err.code : TDB_NOMEM;
}

TDB_API const char *tdb_errmsg(tdb *db) {
  return db ? tdbErrMessage(&db->err) : "out of memory";
}

TDB_API const char *tdb_sqlstate(tdb *db) {
  return db ? db->err.sqlstate : TDB_SQLSTATE_OUT_OF_MEMORY;
}
