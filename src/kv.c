/*
** kv.c — the public ledger key-value API (tensordb.h) over the store.
**
** Public keys live in their own keyspace: the stored key is
** TDB_KEYSPACE_KV | user key, so SQL data and metadata never collide with
** them, and iterators stop at the keyspace's end.
**
** Unlike statements, these functions may be called from several threads on
** one connection: each call collects its error in a TdbErr of its own and
** copies it into the connection only when it fails, so tdb_errmsg() is
** meaningful when no other call on the connection is running.
*/
#include "db.h"
#include "ikey.h"

struct tdb_kv_batch {
  tdb *db;
  TdbBatch batch;
  unsigned char *scratch;   /* prefixed key being added */
  size_t scratch_cap;
};

struct tdb_kv_iter {
  tdb *db;
  TdbDbIter *it;
  int valid;                /* positioned inside the KV keyspace */
  unsigned char *seek;
  size_t seek_cap;
};

/* The stored form of a user key: keyspace byte + key, in *buf (grown). */
static int tdbKvPrefixed(TdbMem *mem, unsigned char **buf, size_t *cap, const void *key,
                         size_t klen) {
  void *b = *buf;
  if (klen > SIZE_MAX - 1) return TDB_TOOBIG;
  if (tdbMemGrow(mem, &b, cap, klen + 1, 1) != 0) return TDB_NOMEM;
  *buf = b;
  (*buf)[0] = TDB_KEYSPACE_KV;
  if (klen) memcpy(*buf + 1, key, klen);
  return TDB_OK;
}

/* Report the outcome of a call into the connection's error state. */
static int tdbKvFinish(tdb *db, TdbErr *err, int rc) {
  if (rc == TDB_OK || rc == TDB_NOTFOUND) {
    tdbErrClear(err);
    return rc;
  }
  tdbMemFree(&db->mem, db->err.msg);
  db->err = *err; /* move the message */
  err->msg = NULL;
  return rc;
}

static int tdbKvCheck(tdb *db, const void *key, size_t klen) {
  if (!db) return TDB_MISUSE;
  if (!db->store) return tdbErrSet(&db->err, TDB_MISUSE, NULL, "the database is not open");
  if (!key && klen) return tdbErrSet(&db->err, TDB_MISUSE, NULL, "NULL key with a length");
  return TDB_OK;
}

TDB_API uint64_t tdb_kv_head(tdb *db) {
  return db && db->store ? tdbStoreHead(db->store) : 0;
}

TDB_API int tdb_kv_put(tdb *db, const void *key, size_t klen, const void *value,
                       size_t vlen, uint64_t *epoch) {
  tdb_kv_batch *b = NULL;
  int rc = tdbKvCheck(db, key, klen);
  if (rc != TDB_OK) return rc;
  rc = tdb_kv_batch_new(db, &b);
  if (rc == TDB_OK) rc = tdb_kv_batch_put(b, key, klen, value, vlen);
  if (rc == TDB_OK) rc = tdb_kv_write(db, b, epoch);
  else if (rc == TDB_NOMEM) tdbErrNoMem(&db->err);
  tdb_kv_batch_free(b);
  return rc;
}

TDB_API int tdb_kv_delete(tdb *db, const void *key, size_t klen, uint64_t *epoch) {
  tdb_kv_batch *b = NULL;
  int rc = tdbKvCheck(db, key, klen);
  if (rc != TDB_OK) return rc;
  rc = tdb_kv_batch_new(db, &b);
  if (rc == TDB_OK) rc = tdb_kv_batch_delete(b, key, klen);
  if (rc == TDB_OK) rc = tdb_kv_write(db, b, epoch);
  else if (rc == TDB_NOMEM) tdbErrNoMem(&db->err);
  tdb_kv_batch_free(b);
  return rc;
}

TDB_API int tdb_kv_get(tdb *db, const tdb_read_options *ro, const void *key, size_t klen,
                       void **value, size_t *vlen) {
  unsigned char stack[128], *buf = stack;
  size_t cap = sizeof stack;
  TdbStr out;
  TdbErr err;
  int rc = tdbKvCheck(db, key, klen), found = 0;
  if (rc != TDB_OK) return rc;
  if (!value || !vlen) return tdbErrSet(&db->err, TDB_MISUSE, NULL, "NULL value pointer");
  *value = NULL;
  *vlen = 0;
  if (klen + 1 > sizeof stack) {
    buf = NULL;
    cap = 0;
  }
  if (tdbKvPrefixed(&db->mem, &buf, &cap, key, klen) != TDB_OK) return tdbErrNoMem(&db->err);
  tdbErrInit(&err, &db->mem);
  tdbStrInit(&out, &db->mem);
  rc = tdbStoreGet(db->store, ro ? ro->as_of_epoch : 0, buf, klen + 1, &out, &found, &err);
  if (buf != stack) tdbMemFree(&db->mem, buf);
  if (rc == TDB_OK && !found) rc = TDB_NOTFOUND;
  if (rc == TDB_OK) {
    *vlen = out.n;
    *value = tdbStrFinish(&out); /* NUL-terminated copy, even when empty */
    if (!*value) rc = tdbErrNoMem(&err);
  }
  tdbStrClear(&out);
  return tdbKvFinish(db, &err, rc);
}

TDB_API void tdb_free(tdb *db, void *p) {
  if (db) tdbMemFree(&db->mem, p);
}

/* ---- batches ------------------------------------------------------------------- */

TDB_API int tdb_kv_batch_new(tdb *db, tdb_kv_batch **out) {
  tdb_kv_batch *b;
  if (!db || !out) return TDB_MISUSE;
  *out = NULL;
  b = tdbMemAllocZero(&db->mem, sizeof *b);
  if (!b) return tdbErrNoMem(&db->err);
  b->db = db;
  tdbBatchInit(&b->batch, &db->mem);
  *out = b;
  return TDB_OK;
}

TDB_API int tdb_kv_batch_put(tdb_kv_batch *b, const void *key, size_t klen,
                             const void *value, size_t vlen) {
  int rc;
  if (!b || (!key && klen) || (!value && vlen)) return TDB_MISUSE;
  rc = tdbKvPrefixed(&b->db->mem, &b->scratch, &b->scratch_cap, key, klen);
  if (rc == TDB_OK) rc = tdbBatchPut(&b->batch, b->scratch, klen + 1, value, vlen);
  return rc;
}

TDB_API int tdb_kv_batch_delete(tdb_kv_batch *b, const void *key, size_t klen) {
  int rc;
  if (!b || (!key && klen)) return TDB_MISUSE;
  rc = tdbKvPrefixed(&b->db->mem, &b->scratch, &b->scratch_cap, key, klen);
  if (rc == TDB_OK) rc = tdbBatchDelete(&b->batch, b->scratch, klen + 1);
  return rc;
}

TDB_API void tdb_kv_batch_clear(tdb_kv_batch *b) {
  if (b) tdbBatchClear(&b->batch);
}

TDB_API void tdb_kv_batch_free(tdb_kv_batch *b) {
  if (!b) return;
  tdbBatchFree(&b->batch);
  tdbMemFree(&b->db->mem, b->scratch);
  tdbMemFree(&b->db->mem, b);
}

TDB_API int tdb_kv_write(tdb *db, tdb_kv_batch *b, uint64_t *epoch) {
  TdbErr err;
  int rc, held;
  if (!db || !b || b->db != db) return TDB_MISUSE;
  if (!db->store) return tdbErrSet(&db->err, TDB_MISUSE, NULL, "the database is not open");
  held = db->write_locked; /* an SQL transaction of this connection holds it */
  if (!held && (rc = tdbShareWriteLockPlain(db)) != TDB_OK) return rc;
  tdbErrInit(&err, &db->mem);
  rc = tdbStoreWrite(db->store, &b->batch, epoch, &err);
  if (!held) tdbShareWriteUnlock(db);
  return tdbKvFinish(db, &err, rc);
}

/* ---- iterators ---------------------------------------------------------------------- */

/* After a move: valid only inside the KV keyspace. */
static int tdbKvIterSettle(tdb_kv_iter *it) {
  size_t n;
  const unsigned char *k;
  it->valid = 0;
  if (!tdbDbIterValid(it->it)) {
    int rc = tdbDbIterStatus(it->it);
    if (rc != TDB_OK) return tdbErrSet(&it->db->err, rc, NULL, "iteration failed: %s",
                                       tdb_errstr(rc));
    return TDB_OK;
  }
  k = tdbDbIterKey(it->it, &n);
  it->valid = n >= 1 && k[0] == TDB_KEYSPACE_KV;
  return TDB_OK;
}

TDB_API int tdb_kv_iter_new(tdb *db, const tdb_read_options *ro, tdb_kv_iter **out) {
  tdb_kv_iter *it;
  TdbErr err;
  int rc;
  if (!db || !out) return TDB_MISUSE;
  *out = NULL;
  if (!db->store) return tdbErrSet(&db->err, TDB_MISUSE, NULL, "the database is not open");
  it = tdbMemAllocZero(&db->mem, sizeof *it);
  if (!it) return tdbErrNoMem(&db->err);
  it->db = db;
  tdbErrInit(&err, &db->mem);
  rc = tdbStoreIter(db->store, ro ? ro->as_of_epoch : 0, &err, &it->it);
  if (rc != TDB_OK) {
    tdbMemFree(&db->mem, it);
    return tdbKvFinish(db, &err, rc);
  }
  tdbErrClear(&err);
  *out = it;
  return TDB_OK;
}

TDB_API int tdb_kv_iter_seek(tdb_kv_iter *it, const void *key, size_t klen) {
  if (!it || (!key && klen)) return TDB_MISUSE;
  if (tdbKvPrefixed(&it->db->mem, &it->seek, &it->seek_cap, key, klen) != TDB_OK) {
    return tdbErrNoMem(&it->db->err);
  }
  tdbDbIterSeek(it->it, it->seek, klen + 1);
  return tdbKvIterSettle(it);
}

TDB_API int tdb_kv_iter_seek_first(tdb_kv_iter *it) {
  return tdb_kv_iter_seek(it, NULL, 0);
}

TDB_API int tdb_kv_iter_seek_last(tdb_kv_iter *it) {
  unsigned char next = TDB_KEYSPACE_KV + 1;
  if (!it) return TDB_MISUSE;
  /* the last key before the next keyspace */
  tdbDbIterSeek(it->it, &next, 1);
  if (tdbDbIterValid(it->it)) tdbDbIterPrev(it->it);
  else tdbDbIterSeekLast(it->it);
  return tdbKvIterSettle(it);
}

TDB_API int tdb_kv_iter_next(tdb_kv_iter *it) {
  if (!it) return TDB_MISUSE;
  if (!it->valid) return TDB_OK;
  tdbDbIterNext(it->it);
  return tdbKvIterSettle(it);
}

TDB_API int tdb_kv_iter_prev(tdb_kv_iter *it) {
  if (!it) return TDB_MISUSE;
  if (!it->valid) return TDB_OK;
  tdbDbIterPrev(it->it);
  return tdbKvIterSettle(it);
}

TDB_API int tdb_kv_iter_valid(tdb_kv_iter *it) {
  return it && it->valid;
}

TDB_API const void *tdb_kv_iter_key(tdb_kv_iter *it, size_t *klen) {
  size_t n;
  const unsigned char *k;
  if (!it || !it->valid) {
    if (klen) *klen = 0;
    return NULL;
  }
  k = tdbDbIterKey(it->it, &n);
  if (klen) *klen = n - 1;
  return k + 1;
}

TDB_API const void *tdb_kv_iter_value(tdb_kv_iter *it, size_t *vlen) {
  size_t n;
  const unsigned char *v;
  if (!it || !it->valid) {
    if (vlen) *vlen = 0;
    return NULL;
  }
  v = tdbDbIterValue(it->it, &n);
  if (vlen) *vlen = n;
  return v;
}

TDB_API void tdb_kv_iter_free(tdb_kv_iter *it) {
  if (!it) return;
  tdbDbIterFree(it->it);
  tdbMemFree(&it->db->mem, it->seek);
  tdbMemFree(&it->db->mem, it);
}

/* ---- maintenance ------------------------------------------------------------------------ */

static int tdbKvMaintain(tdb *db, int (*fn)(TdbStore *, TdbErr *)) {
  TdbErr err;
  if (!db) return TDB_MISUSE;
  if (!db->store) return tdbErrSet(&db->err, TDB_MISUSE, NULL, "the database is not open");
  tdbErrInit(&err, &db->mem);
  return tdbKvFinish(db, &err, fn(db->store, &err));
}

TDB_API int tdb_flush(tdb *db) {
  return tdbKvMaintain(db, tdbStoreFlush);
}

TDB_API int tdb_compact(tdb *db) {
  return tdbKvMaintain(db, tdbStoreCompact);
}

TDB_API int tdb_check(tdb *db, char **report) {
  TdbStr text;
  TdbErr err;
  int rc;
  if (report) *report = NULL;
  if (!db) return TDB_MISUSE;
  if (!db->store) return tdbErrSet(&db->err, TDB_MISUSE, NULL, "the database is not open");
  tdbErrInit(&err, &db->mem);
  tdbStrInit(&text, &db->mem);
  rc = tdbStoreCheck(db->store, &text, &err);
  if (report) *report = tdbStrFinish(&text);
  tdbStrClear(&text);
  return tdbKvFinish(db, &err, rc);
}
