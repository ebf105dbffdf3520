/*
** tablecache.c — open tables by number, iterator adapters and the table
** writer (see tablecache.h).
*/
#include "tablecache.h"
#include "filename.h"
#include "ikey.h"
#include "manifest.h"
#include "coding.h"

#define TDB_TC_BUCKETS 256

typedef struct TdbTableEntry {
  uint64_t number;
  TdbVfsFile *file;
  TdbSstReader *reader;
  int refs;                    /* the cache's own (until evicted) + users */
  struct TdbTableEntry *next;  /* bucket chain */
} TdbTableEntry;

struct TdbTableCache {
  TdbMem *mem;
  TdbVfs *vfs;
  const char *dir;
  TdbSstOptions opts;
  TdbCache *blocks;
  TdbMutex mu;
  TdbTableEntry *buckets[TDB_TC_BUCKETS];
};

static int tdbTableCompare(const void *a, size_t an, const void *b, size_t bn) {
  return tdbIkeyCompare(a, an, b, bn);
}

TDB_PRIVATE void tdbTableOptions(const tdb_config *cfg, TdbSstOptions *o) {
  memset(o, 0, sizeof *o);
  o->compare = tdbTableCompare;
  o->user_key = tdbIkeyUserKey;
  o->block_bytes = cfg->block_bytes;
  o->bloom_bits_per_key = cfg->bloom_bits_per_key;
  o->compression = TDB_SST_COMPRESS_AUTO;
}

TDB_PRIVATE int tdbTableCacheNew(TdbMem *mem, TdbVfs *vfs, const char *dir,
                                 const tdb_config *cfg, TdbTableCache **out) {
  TdbTableCache *tc = tdbMemAllocZero(mem, sizeof *tc);
  int rc;
  *out = NULL;
  if (!tc) return TDB_NOMEM;
  tc->mem = mem;
  tc->vfs = vfs;
  tc->dir = dir;
  tdbTableOptions(cfg, &tc->opts);
  rc = tdbCacheNew(mem, cfg->block_cache_bytes, 4, &tc->blocks);
  if (rc == TDB_OK) rc = tdbMutexInit(&tc->mu);
  if (rc != TDB_OK) {
    tdbCacheFree(tc->blocks);
    tdbMemFree(mem, tc);
    return rc;
  }
  *out = tc;
  return TDB_OK;
}

static void tdbTableEntryFree(TdbTableCache *tc, TdbTableEntry *e) {
  tdbSstReaderClose(e->reader);
  if (e->file) e->file->methods->close_file(e->file);
  if (tc->blocks) tdbCacheEraseId(tc->blocks, e->number);
  tdbMemFree(tc->mem, e);
}

static void tdbTableRelease(TdbTableCache *tc, TdbTableEntry *e) {
  int last;
  tdbMutexLock(&tc->mu);
  last = --e->refs == 0;
  tdbMutexUnlock(&tc->mu);
  if (last) tdbTableEntryFree(tc, e);
}

TDB_PRIVATE void tdbTableCacheFree(TdbTableCache *tc) {
  int b;
  if (!tc) return;
  for (b = 0; b < TDB_TC_BUCKETS; b++) {
    TdbTableEntry *e = tc->buckets[b];
    while (e) {
      TdbTableEntry *next = e->next;
      tdbTableEntryFree(tc, e); /* no users remain when the store closes */
      e = next;
    }
  }
  tdbCacheFree(tc->blocks);
  tdbMutexDestroy(&tc->mu);
  tdbMemFree(tc->mem, tc);
}

/* Find or open table f; the caller gets a reference. */
static int tdbTableAcquire(TdbTableCache *tc, const TdbFileMeta *f, TdbTableEntry **out,
                           TdbErr *err) {
  TdbTableEntry *e;
  TdbVfsErr verr;
  char *path = NULL;
  int rc = TDB_OK, b = (int)(f->number % TDB_TC_BUCKETS);
  tdbMutexLock(&tc->mu);
  for (e = tc->buckets[b]; e; e = e->next) {
    if (e->number == f->number) break;
  }
  if (e) {
    e->refs++;
    tdbMutexUnlock(&tc->mu);
    *out = e;
    return TDB_OK;
  }
  memset(&verr, 0, sizeof verr);
  e = tdbMemAllocZero(tc->mem, sizeof *e);
  path = tdbFileName(tc->mem, tc->dir, TDB_FILE_TABLE, f->number);
  if (!e || !path) {
    rc = tdbErrNoMem(err);
    goto fail;
  }
  e->number = f->number;
  rc = tc->vfs->open_file(tc->vfs, path, TDB_VFS_READ, &e->file, &verr);
  if (rc == TDB_OK) {
    rc = tdbSstReaderOpen(tc->mem, &tc->opts, e->file, tc->blocks, f->number, &e->reader,
                          &verr);
  }
  if (rc != TDB_OK) {
    rc = tdbErrFromVfs(err, rc == TDB_NOTFOUND ? TDB_CORRUPT : rc, &verr, "open table");
    goto fail;
  }
  e->refs = 2; /* the cache's and the caller's */
  e->next = tc->buckets[b];
  tc->buckets[b] = e;
  tdbMutexUnlock(&tc->mu);
  tdbMemFree(tc->mem, path);
  *out = e;
  return TDB_OK;
fail:
  tdbMutexUnlock(&tc->mu);
  if (e) {
    if (e->file) e->file->methods->close_file(e->file);
    tdbMemFree(tc->mem, e);
  }
  tdbMemFree(tc->mem, path);
  return rc;
}

TDB_PRIVATE void tdbTableCacheEvict(TdbTableCache *tc, uint64_t number) {
  TdbTableEntry **pp, *e = NULL;
  int b = (int)(number % TDB_TC_BUCKETS);
  tdbMutexLock(&tc->mu);
  for (pp = &tc->buckets[b]; *pp; pp = &(*pp)->next) {
    if ((*pp)->number == number) {
      e = *pp;
      *pp = e->next;
      break;
    }
  }
  tdbMutexUnlock(&tc->mu);
  if (e) tdbTableRelease(tc, e);
  /* never opened, its blocks may still be cached from when it was written */
  else if (tc->blocks) tdbCacheEraseId(tc->blocks, number);
}

typedef struct TdbTableGetCtx {
  const unsigned char *ukey;
  size_t ukn;
  int *found, *kind;
  TdbStr *value;
} TdbTableGetCtx;

static void tdbTableGetFound(void *ctx, const unsigned char *key, size_t klen,
                             const unsigned char *val, size_t vlen) {
  TdbTableGetCtx *g = ctx;
  TdbIkeyParsed pk;
  if (tdbIkeyDecode(key, klen, &pk) != TDB_OK) return;
  if (tdbIkeyCompareUser(pk.user_key, pk.user_len, g->ukey, g->ukn) != 0) return;
  *g->found = 1;
  *g->kind = pk.kind;
  if (pk.kind == TDB_KIND_VALUE) tdbStrAppend(g->value, (const char *)val, vlen);
}

TDB_PRIVATE int tdbTableCacheGet(TdbTableCache *tc, const TdbFileMeta *f,
                                 const unsigned char *seek, size_t seekn,
                                 const unsigned char *ukey, size_t ukn, int *found,
                                 int *kind, TdbStr *value, TdbErr *err) {
  TdbTableEntry *e;
  TdbTableGetCtx g;
  TdbVfsErr verr;
  int rc = tdbTableAcquire(tc, f, &e, err);
  *found = 0;
  if (rc != TDB_OK) return rc;
  /* empty, as memset would leave it, without clearing the message buffer
  ** on every point read */
  verr.rc = TDB_OK;
  verr.sys_errno = 0;
  verr.offset = -1;
  verr.msg[0] = '\0';
  g.ukey = ukey;
  g.ukn = ukn;
  g.found = found;
  g.kind = kind;
  g.value = value;
  rc = tdbSstGet(e->reader, seek, seekn, tdbTableGetFound, &g, &verr);
  tdbTableRelease(tc, e);
  if (rc == TDB_NOTFOUND) return TDB_OK;
  if (rc != TDB_OK) return tdbErrFromVfs(err, rc, &verr, "read table");
  if (value->oom) return tdbErrNoMem(err);
  return TDB_OK;
}

/* ---- table iterator adapter ---------------------------------------------------- */

typedef struct TdbTableIter {
  TdbIter base;
  TdbTableCache *tc;
  TdbTableEntry *entry;
  TdbSstIter it;
  TdbErr *err;
  int reported;
} TdbTableIter;

static int tdbTiValid(TdbIter *it) {
  return tdbSstIterValid(&((TdbTableIter *)it)->it);
}
static void tdbTiSeekFirst(TdbIter *it) {
  tdbSstIterSeekToFirst(&((TdbTableIter *)it)->it);
}
static void tdbTiSeekLast(TdbIter *it) {
  tdbSstIterSeekToLast(&((TdbTableIter *)it)->it);
}
static void tdbTiSeek(TdbIter *it, const unsigned char *k, size_t n) {
  tdbSstIterSeek(&((TdbTableIter *)it)->it, k, n);
}
static void tdbTiNext(TdbIter *it) {
  tdbSstIterNext(&((TdbTableIter *)it)->it);
}
static void tdbTiPrev(TdbIter *it) {
  tdbSstIterPrev(&((TdbTableIter *)it)->it);
}
static const unsigned char *tdbTiKey(TdbIter *it, size_t *n) {
  return tdbSstIterKey(&((TdbTableIter *)it)->it, n);
}
static const unsigned char *tdbTiValue(TdbIter *it, size_t *n) {
  return tdbSstIterValue(&((TdbTableIter *)it)->it, n);
}
static int tdbTiStatus(TdbIter *it) {
  TdbTableIter *ti = (TdbTableIter *)it;
  if (ti->it.rc != TDB_OK && !ti->reported && ti->err) {
    tdbErrFromVfs(ti->err, ti->it.rc, &ti->it.err, "read table");
    ti->reported = 1;
  }
  return ti->it.rc;
}
static void tdbTiDestroy(TdbIter *it) {
  TdbTableIter *ti = (TdbTableIter *)it;
  tdbSstIterClear(&ti->it);
  tdbTableRelease(ti->tc, ti->entry);
  tdbMemFree(ti->tc->mem, ti);
}

static int tdbTiVisit(TdbIter *it, const unsigned char *bound, size_t bn, TdbIterVisitFn fn,
                      void *ctx) {
  return tdbSstIterVisit(&((TdbTableIter *)it)->it, bound, bn, fn, ctx);
}

static const TdbIterMethods tdbTableIterMethods = {
    tdbTiValid, tdbTiSeekFirst, tdbTiSeekLast, tdbTiSeek,   tdbTiNext,
    tdbTiPrev,  tdbTiKey,       tdbTiValue,    tdbTiStatus, tdbTiDestroy,
    tdbTiVisit};

TDB_PRIVATE TdbIter *tdbTableCacheIter(TdbTableCache *tc, const TdbFileMeta *f, TdbErr *err) {
  TdbTableEntry *e;
  TdbTableIter *ti;
  int rc = tdbTableAcquire(tc, f, &e, err);
  if (rc != TDB_OK) return tdbIterEmpty(tc->mem, rc);
  ti = tdbMemAllocZero(tc->mem, sizeof *ti);
  if (!ti) {
    tdbTableRelease(tc, e);
    return NULL;
  }
  ti->base.m = &tdbTableIterMethods;
  ti->tc = tc;
  ti->entry = e;
  ti->err = err;
  tdbSstIterInit(&ti->it, e->reader);
  return &ti->base;
}

TDB_PRIVATE int tdbTableCacheVerify(TdbTableCache *tc, const TdbFileMeta *f,
                                    uint64_t *entries, TdbErr *err) {
  TdbIter *it = tdbTableCacheIter(tc, f, err);
  unsigned char *prev = NULL;
  size_t prevn = 0, prevcap = 0;
  uint64_t count = 0;
  int rc = TDB_OK;
  if (!it) return tdbErrNoMem(err);
  for (tdbIterSeekFirst(it); tdbIterValid(it); tdbIterNext(it)) {
    size_t n;
    const unsigned char *k = tdbIterKey(it, &n);
    void *buf = prev;
    if (count && tdbIkeyCompare(prev, prevn, k, n) >= 0) {
      rc = tdbErrSet(err, TDB_CORRUPT_SST, NULL,
                     "table %06llu: entry %llu is out of order",
                     (unsigned long long)f->number, (unsigned long long)count);
      break;
    }
    if (tdbMemGrow(tc->mem, &buf, &prevcap, n, 1) != 0) {
      rc = tdbErrNoMem(err);
      break;
    }
    prev = buf;
    memcpy(prev, k, n);
    prevn = n;
    count++;
  }
  if (rc == TDB_OK) rc = tdbIterStatus(it);
  if (rc == TDB_OK && count != f->entries) {
    rc = tdbErrSet(err, TDB_CORRUPT_SST, NULL,
                   "table %06llu: %llu entries, the manifest says %llu",
                   (unsigned long long)f->number, (unsigned long long)count,
                   (unsigned long long)f->entries);
  }
  tdbMemFree(tc->mem, prev);
  tdbIterFree(it);
  *entries = count;
  return rc;
}

/* ---- memtable iterator adapter --------------------------------------------------- */

typedef struct TdbMemIter {
  TdbIter base;
  TdbMem *mem;
  TdbMemtable *mt;
  TdbMemtableIter it;
} TdbMemIter;

static int tdbMiValid(TdbIter *it) {
  return tdbMemtableIterValid(&((TdbMemIter *)it)->it);
}
static void tdbMiSeekFirst(TdbIter *it) {
  tdbMemtableIterSeekToFirst(&((TdbMemIter *)it)->it);
}
static void tdbMiSeekLast(TdbIter *it) {
  tdbMemtableIterSeekToLast(&((TdbMemIter *)it)->it);
}
static void tdbMiSeek(TdbIter *it, const unsigned char *k, size_t n) {
  tdbMemtableIterSeek(&((TdbMemIter *)it)->it, k, n);
}
static void tdbMiNext(TdbIter *it) {
  tdbMemtableIterNext(&((TdbMemIter *)it)->it);
}
static void tdbMiPrev(TdbIter *it) {
  tdbMemtableIterPrev(&((TdbMemIter *)it)->it);
}
static const unsigned char *tdbMiKey(TdbIter *it, size_t *n) {
  return tdbMemtableIterKey(&((TdbMemIter *)it)->it, n);
}
static const unsigned char *tdbMiValue(TdbIter *it, size_t *n) {
  return tdbMemtableIterValue(&((TdbMemIter *)it)->it, n);
}
static int tdbMiStatus(TdbIter *it) {
  TDB_UNUSED(it);
  return TDB_OK;
}
static void tdbMiDestroy(TdbIter *it) {
  TdbMemIter *mi = (TdbMemIter *)it;
  tdbMemtableUnref(mi->mt);
  tdbMemFree(mi->mem, mi);
}

static const TdbIterMethods tdbMemIterMethods = {
    tdbMiValid, tdbMiSeekFirst, tdbMiSeekLast, tdbMiSeek,   tdbMiNext,
    tdbMiPrev,  tdbMiKey,       tdbMiValue,    tdbMiStatus, tdbMiDestroy,
    tdbIterVisitGeneric};

TDB_PRIVATE TdbIter *tdbMemtableIterNew(TdbMem *mem, TdbMemtable *mt) {
  TdbMemIter *mi = tdbMemAllocZero(mem, sizeof *mi);
  if (!mi) return NULL;
  mi->base.m = &tdbMemIterMethods;
  mi->mem = mem;
  mi->mt = mt;
  tdbMemtableRef(mt);
  tdbMemtableIterInit(&mi->it, mt);
  return &mi->base;
}

/* ---- table writer -------------------------------------------------------------------- */

struct TdbTableWriter {
  TdbMem *mem;
  TdbVfs *vfs;
  const char *dir;
  char *path;
  uint64_t number;
  TdbVfsFile *file;
  TdbSstBuilder *b;
  uint64_t min_epoch, max_epoch;
  TdbCache *filled;  /* the block cache this table's blocks go into as written */
  int finished;
};

TDB_PRIVATE int tdbTableWriterOpen(TdbMem *mem, TdbVfs *vfs, const char *dir,
                                   const tdb_config *cfg, uint64_t number,
                                   TdbTableWriter **out, TdbErr *err) {
  TdbTableWriter *w = tdbMemAllocZero(mem, sizeof *w);
  TdbSstOptions o;
  TdbVfsErr verr;
  int rc;
  *out = NULL;
  if (!w) return tdbErrNoMem(err);
  memset(&verr, 0, sizeof verr);
  w->mem = mem;
  w->vfs = vfs;
  w->dir = dir;
  w->number = number;
  w->min_epoch = UINT64_MAX;
  w->path = tdbFileName(mem, dir, TDB_FILE_TABLE, number);
  if (!w->path) {
    tdbMemFree(mem, w);
    return tdbErrNoMem(err);
  }
  tdbTableOptions(cfg, &o);
  rc = vfs->open_file(vfs, w->path, TDB_VFS_WRITE | TDB_VFS_CREATE | TDB_VFS_EXCLUSIVE,
                      &w->file, &verr);
  if (rc != TDB_OK) {
    rc = tdbErrFromVfs(err, rc, &verr, "create table");
    tdbMemFree(mem, w->path);
    tdbMemFree(mem, w);
    return rc;
  }
  rc = tdbSstBuilderNew(mem, &o, w->file, &w->b);
  if (rc != TDB_OK) {
    tdbTableWriterFree(w);
    return tdbErrNoMem(err);
  }
  *out = w;
  return TDB_OK;
}

TDB_PRIVATE int tdbTableWriterAdd(TdbTableWriter *w, const unsigned char *ikey, size_t n,
                                  const unsigned char *value, size_t vn, TdbErr *err) {
  TdbIkeyParsed pk;
  int rc;
  if (tdbIkeyDecode(ikey, n, &pk) != TDB_OK) {
    return tdbErrSet(err, TDB_CORRUPT, NULL, "malformed internal key while writing table");
  }
  if (pk.seq < w->min_epoch) w->min_epoch = pk.seq;
  if (pk.seq > w->max_epoch) w->max_epoch = pk.seq;
  rc = tdbSstBuilderAdd(w->b, ikey, n, value, vn);
  if (rc != TDB_OK) return tdbErrFromVfs(err, rc, tdbSstBuilderErr(w->b), "write table");
  return TDB_OK;
}

TDB_PRIVATE void tdbTableWriterFillCache(TdbTableWriter *w, TdbTableCache *tc,
                                         const uint8_t *first_bytes) {
  if (!tc->blocks) return;
  w->filled = tc->blocks;
  tdbSstBuilderFillCache(w->b, tc->blocks, w->number, first_bytes);
}

TDB_PRIVATE uint64_t tdbTableWriterSize(const TdbTableWriter *w) {
  return tdbSstBuilderFileSize(w->b);
}

TDB_PRIVATE int tdbTableWriterFinish(TdbTableWriter *w, TdbFileMeta **meta, TdbErr *err) {
  TdbSstProps props;
  TdbFileMeta *f;
  TdbVfsErr verr;
  unsigned char epochs[16];
  int rc;
  memset(&props, 0, sizeof props);
  /* the epochs the table holds, so recovery can tell an orphan table whose
  ** commits the logs still have from one the manifest lost */
  tdbPutFixed64(epochs, w->min_epoch == UINT64_MAX ? 0 : w->min_epoch);
  tdbPutFixed64(epochs + 8, w->max_epoch);
  rc = tdbSstBuilderSetProperty(w->b, TDB_TABLE_PROP_EPOCHS, epochs, sizeof epochs);
  if (rc != TDB_OK) return tdbErrNoMem(err);
  rc = tdbSstBuilderFinish(w->b, &props);
  *meta = NULL;
  if (rc != TDB_OK) return tdbErrFromVfs(err, rc, tdbSstBuilderErr(w->b), "finish table");
  /* the new directory entry must be durable before a manifest names it */
  memset(&verr, 0, sizeof verr);
  rc = w->vfs->sync_dir(w->vfs, w->dir, &verr);
  if (rc != TDB_OK) return tdbErrFromVfs(err, rc, &verr, "sync database directory");
  f = tdbFileMetaNew(w->mem, w->number, tdbSstBuilderFileSize(w->b), props.min_key,
                     props.min_key_len, props.max_key, props.max_key_len);
  if (!f) return tdbErrNoMem(err);
  f->entries = props.entries;
  f->min_epoch = w->min_epoch == UINT64_MAX ? 0 : w->min_epoch;
  f->max_epoch = w->max_epoch;
  w->finished = 1;
  *meta = f;
  return TDB_OK;
}

TDB_PRIVATE int tdbTableReadEpochs(TdbMem *mem, TdbVfs *vfs, const char *dir,
                                   const tdb_config *cfg, uint64_t number,
                                   uint64_t *min_epoch, uint64_t *max_epoch) {
  char *path = tdbFileName(mem, dir, TDB_FILE_TABLE, number);
  TdbVfsFile *f = NULL;
  TdbSstReader *r = NULL;
  TdbSstOptions o;
  TdbVfsErr verr;
  const unsigned char *p;
  size_t n;
  int rc;
  if (!path) return TDB_NOMEM;
  memset(&verr, 0, sizeof verr);
  tdbTableOptions(cfg, &o);
  rc = vfs->open_file(vfs, path, TDB_VFS_READ, &f, &verr);
  if (rc == TDB_OK) rc = tdbSstReaderOpen(mem, &o, f, NULL, 0, &r, &verr);
  if (rc == TDB_OK) {
    rc = tdbSstReaderProperty(r, TDB_TABLE_PROP_EPOCHS, &p, &n);
    if (rc == TDB_OK && n != 16) rc = TDB_CORRUPT;
    if (rc == TDB_OK) {
      *min_epoch = tdbGetFixed64(p);
      *max_epoch = tdbGetFixed64(p + 8);
    }
  }
  tdbSstReaderClose(r);
  if (f) f->methods->close_file(f);
  tdbMemFree(mem, path);
  return rc;
}

TDB_PRIVATE void tdbTableWriterFree(TdbTableWriter *w) {
  if (!w) return;
  tdbSstBuilderFree(w->b);
  if (w->file) w->file->methods->close_file(w->file);
  if (!w->finished) {
    w->vfs->remove_file(w->vfs, w->path, NULL);
    if (w->filled) tdbCacheEraseId(w->filled, w->number); /* blocks of no table */
  }
  tdbMemFree(w->mem, w->path);
  tdbMemFree(w->mem, w);
}
