/*
** test_cache.c — the block cache: eviction by byte budget in CLOCK order (oldest first, a recent hit gets a second chance),
** pinned entries surviving eviction, erase/replace of pinned entries,
** oversized entries, erase by table id, shards, and (with threads) a
** concurrent smoke test, and handles embedded in their values. Deleter
** calls are counted so nothing leaks.
*/
#include "tensordb.c"
#include "test.h"

static TdbMem cacheMem;
static long cacheDeleted;

typedef struct CacheVal {
  uint64_t tag;
} CacheVal;

static void cacheDeleter(void *ctx, void *value) {
  long *count = (long *)ctx;
  (*count)++;
  free(value);
}

static CacheVal *cacheVal(uint64_t tag) {
  CacheVal *v = (CacheVal *)malloc(sizeof *v);
  v->tag = tag;
  return v;
}

/* Insert (id, off) with charge and release the handle at once. */
static void cachePut(TdbCache *c, uint64_t id, uint64_t off, size_t charge) {
  TdbCacheHandle *h = NULL;
  CHECK_EQ(tdbCacheInsert(c, id, off, cacheVal(id * 1000 + off), charge,
                          cacheDeleter, &cacheDeleted, &h),
           TDB_OK);
  CHECK(h != NULL);
  tdbCacheRelease(c, h);
}

static int cacheHas(TdbCache *c, uint64_t id, uint64_t off) {
  TdbCacheHandle *h = tdbCacheLookup(c, id, off);
  if (!h)
    return 0;
  CHECK_EQ(((CacheVal *)tdbCacheValue(h))->tag, id * 1000 + off);
  tdbCacheRelease(c, h);
  return 1;
}

static void testEvictionByBudget(void) {
  TdbCache *c = NULL;
  uint64_t i;
  cacheDeleted = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 1000, 0, &c), TDB_OK);
  for (i = 0; i < 10; i++)
    cachePut(c, 1, i, 100);
  CHECK_EQ(tdbCacheUsage(c), 1000);
  CHECK_EQ(cacheDeleted, 0);
  cachePut(c, 1, 10, 100); /* evicts the oldest: 0 */
  CHECK_EQ(tdbCacheUsage(c), 1000);
  CHECK_EQ(cacheDeleted, 1);
  CHECK(!cacheHas(c, 1, 0));
  CHECK(cacheHas(c, 1, 1)); /* now 1 is the most recent */
  cachePut(c, 1, 11, 250);  /* evicts 2, 3, 4 (oldest unpinned) */
  CHECK(cacheHas(c, 1, 1));
  CHECK(!cacheHas(c, 1, 2));
  CHECK(!cacheHas(c, 1, 3));
  CHECK(!cacheHas(c, 1, 4));
  CHECK(cacheHas(c, 1, 5));
  CHECK(tdbCacheUsage(c) <= 1000);
  CHECK_EQ(cacheDeleted, 4);
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 4 + 8); /* 1, 5..11 */
}

static void testPinnedSurvive(void) {
  TdbCache *c = NULL;
  TdbCacheHandle *pin = NULL, *h;
  uint64_t i;
  cacheDeleted = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 500, 0, &c), TDB_OK);
  CHECK_EQ(tdbCacheInsert(c, 7, 0, cacheVal(7000), 100, cacheDeleter,
                          &cacheDeleted, &pin),
           TDB_OK);
  for (i = 1; i <= 50; i++)
    cachePut(c, 7, i, 100);
  /* the pinned entry is still cached and its value alive */
  CHECK_EQ(((CacheVal *)tdbCacheValue(pin))->tag, 7000);
  CHECK(cacheHas(c, 7, 0));
  CHECK_EQ(tdbCachePinnedUsage(c), 100);
  CHECK(tdbCacheUsage(c) <= 500);
  /* pinned entries may push usage over the budget */
  h = tdbCacheLookup(c, 7, 50);
  CHECK(h != NULL);
  for (i = 100; i < 110; i++)
    cachePut(c, 7, i, 100);
  CHECK(h && ((CacheVal *)tdbCacheValue(h))->tag == 7050);
  tdbCacheRelease(c, h);
  tdbCacheRelease(c, pin);
  CHECK(tdbCacheUsage(c) <= 500);
  CHECK_EQ(tdbCachePinnedUsage(c), 0);
  /* now unpinned and old: the hand passes it once (it was looked up, so
  ** it has a second chance), and evicts it the next time round: two turns
  ** of a ring of 5 entries */
  for (i = 200; i < 212; i++)
    cachePut(c, 7, i, 100);
  CHECK(!cacheHas(c, 7, 0));
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 1 + 50 + 10 + 12);
}

static void testEraseAndReplacePinned(void) {
  TdbCache *c = NULL;
  TdbCacheHandle *h = NULL, *h2 = NULL;
  cacheDeleted = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 1000, 0, &c), TDB_OK);
  CHECK_EQ(tdbCacheInsert(c, 1, 1, cacheVal(1001), 10, cacheDeleter,
                          &cacheDeleted, &h),
           TDB_OK);
  tdbCacheErase(c, 1, 1);
  CHECK(!cacheHas(c, 1, 1));
  CHECK_EQ(cacheDeleted, 0); /* still pinned */
  CHECK_EQ(((CacheVal *)tdbCacheValue(h))->tag, 1001);
  CHECK_EQ(tdbCacheUsage(c), 0);
  tdbCacheRelease(c, h);
  CHECK_EQ(cacheDeleted, 1);
  /* replace while pinned: the old value lives until released */
  CHECK_EQ(
      tdbCacheInsert(c, 2, 2, cacheVal(1), 10, cacheDeleter, &cacheDeleted, &h),
      TDB_OK);
  CHECK_EQ(tdbCacheInsert(c, 2, 2, cacheVal(2002), 20, cacheDeleter,
                          &cacheDeleted, &h2),
           TDB_OK);
  CHECK_EQ(((CacheVal *)tdbCacheValue(h))->tag, 1);
  CHECK_EQ(tdbCacheUsage(c), 20);
  tdbCacheRelease(c, h);
  CHECK_EQ(cacheDeleted, 2);
  tdbCacheRelease(c, h2);
  CHECK(cacheHas(c, 2, 2));
  /* erase by table id */
  cachePut(c, 3, 1, 10);
  cachePut(c, 3, 2, 10);
  cachePut(c, 4, 1, 10);
  tdbCacheEraseId(c, 3);
  CHECK(!cacheHas(c, 3, 1));
  CHECK(!cacheHas(c, 3, 2));
  CHECK(cacheHas(c, 4, 1));
  CHECK_EQ(cacheDeleted, 4);
  CHECK(tdbCacheNewId(c) != tdbCacheNewId(c));
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 6);
}

/* A hit gives an entry a second chance: the hand passes it (clearing the
** flag) and evicts the next entry nobody looked up, even a newer one. */
static void testSecondChance(void) {
  TdbCache *c = NULL;
  uint64_t i;
  cacheDeleted = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 400, 0, &c), TDB_OK);
  for (i = 0; i < 4; i++)
    cachePut(c, 3, i, 100);
  CHECK(cacheHas(c, 3, 0)); /* 0 is the oldest, and referenced */
  cachePut(c, 3, 4, 100);   /* the hand passes 0, evicts 1 */
  CHECK(!cacheHas(c, 3, 1));
  CHECK(cacheHas(c, 3, 2) && cacheHas(c, 3, 3)); /* flags 2 and 3 */
  cachePut(c, 3, 5, 100); /* the hand passes 2 and 3, evicts 4 (never looked up) */
  CHECK(!cacheHas(c, 3, 4));
  CHECK(cacheHas(c, 3, 0) && cacheHas(c, 3, 2) && cacheHas(c, 3, 3) && cacheHas(c, 3, 5));
  CHECK_EQ(tdbCacheUsage(c), 400);
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 6);
}

static void testOversized(void) {
  TdbCache *c = NULL;
  TdbCacheHandle *h = NULL;
  cacheDeleted = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 100, 0, &c), TDB_OK);
  cachePut(c, 1, 1, 50);
  CHECK_EQ(tdbCacheInsert(c, 1, 2, cacheVal(1002), 101, cacheDeleter,
                          &cacheDeleted, &h),
           TDB_OK);
  CHECK_EQ(((CacheVal *)tdbCacheValue(h))->tag, 1002);
  CHECK(!cacheHas(c, 1, 2)); /* not cached */
  CHECK(cacheHas(c, 1, 1));  /* and evicted nothing */
  tdbCacheRelease(c, h);
  CHECK_EQ(cacheDeleted, 1);
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 2);
  /* a zero budget caches nothing */
  CHECK_EQ(tdbCacheNew(&cacheMem, 0, 0, &c), TDB_OK);
  cachePut(c, 1, 1, 1);
  CHECK(!cacheHas(c, 1, 1));
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 3);
}

static void testShards(void) {
  TdbCache *c = NULL;
  uint64_t i, present = 0;
  cacheDeleted = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 16 * 1000, 4, &c), TDB_OK);
  for (i = 0; i < 5000; i++)
    cachePut(c, i % 3, i, 10);
  CHECK(tdbCacheUsage(c) <= 16 * 1000);
  CHECK(tdbCacheUsage(c) > 12 * 1000); /* shards fill up evenly enough */
  for (i = 0; i < 5000; i++)
    present += (uint64_t)cacheHas(c, i % 3, i);
  CHECK_EQ(present * 10, tdbCacheUsage(c));
  CHECK(cacheHas(c, 4999 % 3, 4999));
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 5000);
}

static void testNoMem(void) {
  TdbTestAlloc a;
  tdb_allocator hooks;
  TdbMem mem;
  TdbCache *c = NULL;
  TdbCacheHandle *h = NULL;
  long k;
  for (k = 1; k < 6; k++) {
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    a.fail_at = k;
    c = NULL;
    if (tdbCacheNew(&mem, 1000, 1, &c) == TDB_OK) {
      CacheVal *v = cacheVal(1);
      int rc = tdbCacheInsert(c, 1, 1, v, 10, cacheDeleter, &cacheDeleted, &h);
      if (rc == TDB_OK) {
        tdbCacheRelease(c, h);
      } else {
        CHECK_EQ(rc, TDB_NOMEM);
        free(v); /* not taken */
      }
      tdbCacheFree(c);
    }
    CHECK_EQ(a.live, 0);
  }
}

#if TDB_THREADS
/* Deleters run on any thread: this one touches no shared counter. */
static void cacheFreeOnly(void *ctx, void *value) {
  TDB_UNUSED(ctx);
  free(value);
}

typedef struct CacheWorker {
  TdbCache *c;
  uint64_t seed;
  long hits;
} CacheWorker;

static void cacheWorkerRun(void *arg) {
  CacheWorker *w = (CacheWorker *)arg;
  int i;
  for (i = 0; i < 20000; i++) {
    uint64_t off = tdbTestRand(&w->seed) % 300;
    TdbCacheHandle *h = tdbCacheLookup(w->c, 9, off);
    if (h) {
      if (((CacheVal *)tdbCacheValue(h))->tag == 9000 + off)
        w->hits++;
      tdbCacheRelease(w->c, h);
    } else if (tdbCacheInsert(w->c, 9, off, cacheVal(9000 + off), 10,
                              cacheFreeOnly, NULL, &h) == TDB_OK) {
      tdbCacheRelease(w->c, h);
    }
  }
}
#endif

/* A value carrying its own handle (tdbCacheInsertIn): freeing the value
** frees the handle, so the cache must not touch it after the deleter. */
typedef struct CacheEmbedded {
  TdbCacheHandle handle;
  uint64_t tag;
} CacheEmbedded;

static TdbCacheHandle *cachePutEmbedded(TdbCache *c, uint64_t id, uint64_t off, size_t charge) {
  CacheEmbedded *v = (CacheEmbedded *)malloc(sizeof *v);
  TdbCacheHandle *h = NULL;
  v->tag = id * 1000 + off;
  tdbCacheInsertIn(c, &v->handle, id, off, v, charge, cacheDeleter, &cacheDeleted, &h);
  CHECK(h == &v->handle);
  return h;
}

static void testEmbeddedHandles(void) {
  TdbCache *c = NULL;
  TdbCacheHandle *pinned, *h;
  uint64_t i;
  cacheDeleted = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 300, 0, &c), TDB_OK);
  for (i = 0; i < 3; i++) tdbCacheRelease(c, cachePutEmbedded(c, 1, i, 100));
  h = tdbCacheLookup(c, 1, 1);
  CHECK(h != NULL);
  CHECK_EQ(((CacheEmbedded *)tdbCacheValue(h))->tag, 1001);
  tdbCacheRelease(c, h);
  tdbCacheRelease(c, cachePutEmbedded(c, 1, 3, 100)); /* evicts 0 (1 had a hit) */
  CHECK_EQ(cacheDeleted, 1);
  CHECK(tdbCacheLookup(c, 1, 0) == NULL);
  /* replace a pinned entry: the old value (and handle) lives until released */
  pinned = tdbCacheLookup(c, 1, 1);
  CHECK(pinned != NULL);
  tdbCacheRelease(c, cachePutEmbedded(c, 1, 1, 100));
  CHECK_EQ(((CacheEmbedded *)tdbCacheValue(pinned))->tag, 1001);
  CHECK_EQ(cacheDeleted, 1); /* the replaced value lives while pinned */
  tdbCacheRelease(c, pinned);
  CHECK_EQ(cacheDeleted, 2);
  tdbCacheEraseId(c, 1);
  CHECK_EQ(tdbCacheUsage(c), 0);
  CHECK_EQ(cacheDeleted, 5);
  tdbCacheRelease(c, cachePutEmbedded(c, 2, 0, 100)); /* freed with the cache */
  tdbCacheFree(c);
  CHECK_EQ(cacheDeleted, 6);
}

static void testThreads(void) {
#if TDB_THREADS
  /* 4 threads looking up and inserting 300 keys in a 100-entry budget:
  ** no crash, no race (run under TSan too), consistent accounting */
  TdbCache *c = NULL;
  TdbThread t[4];
  CacheWorker w[4];
  int i;
  long hits = 0;
  CHECK_EQ(tdbCacheNew(&cacheMem, 1000, 2, &c), TDB_OK);
  for (i = 0; i < 4; i++) {
    w[i].c = c;
    w[i].seed = (uint64_t)i + 1;
    w[i].hits = 0;
    CHECK_EQ(tdbThreadStart(&t[i], cacheWorkerRun, &w[i]), TDB_OK);
  }
  for (i = 0; i < 4; i++) {
    tdbThreadJoin(&t[i]);
    hits += w[i].hits;
  }
  CHECK(hits > 0);
  CHECK(tdbCacheUsage(c) <= 1000);
  CHECK_EQ(tdbCachePinnedUsage(c), 0);
  tdbCacheFree(c);
#endif
}

int main(void) {
  tdbMemInit(&cacheMem, NULL);
  TEST_RUN(testEvictionByBudget);
  TEST_RUN(testPinnedSurvive);
  TEST_RUN(testEraseAndReplacePinned);
  TEST_RUN(testSecondChance);
  TEST_RUN(testOversized);
  TEST_RUN(testShards);
  TEST_RUN(testNoMem);
  TEST_RUN(testEmbeddedHandles);
  TEST_RUN(testThreads);
  return tdbTestFinish();
}
