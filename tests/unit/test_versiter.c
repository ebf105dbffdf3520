/*
** test_versiter.c — the store's versions iterator (versiter.h) and its
** epoch clock (store.h: tdbStoreEpochWall, tdbStoreEpochAt).
**
** A model of every (key, epoch, kind, value) written is compared with what
** the iterator yields at several as_of epochs, while the versions move from
** the memtable into table files and through compactions: every version at or
** below as_of in key order, newest first per key, each with the epoch of the
** next newer version of its key (0 for the newest). The clock: wall(e) is
** strictly increasing, survives flushes and a reopen, and EpochAt inverts it.
*/
#include "tensordb.c"
#include "test.h"

static TdbMem gMem;

#define NKEYS 7
#define NEPOCHS 120

/* The model: at epoch e (1-based) key k got kind[e][k] (0 none, 1 value,
** 2 delete) with value "k<k>e<e>". */
static int gKind[NEPOCHS + 1][NKEYS];

/* keys 0x04 "k" + a number below 1000 */
static void tdbTestKey(char *buf, int k) { snprintf(buf, 8, "\x04k%u", (unsigned)k % 1000u); }

/* Check the iterator at as_of against the model. */
static void tdbTestCompare(TdbStore *s, uint64_t as_of) {
  TdbVersionIter *vi = NULL;
  TdbErr err;
  int k, e, seen = 0, want = 0;
  tdbErrInit(&err, &gMem);
  CHECK_EQ(tdbVersionIterOpen(s, as_of, &err, &vi), TDB_OK);
  if (!vi) return;
  tdbVersionIterSeek(vi, "\x04", 1);
  for (k = 0; k < NKEYS; k++) {
    char key[8];
    uint64_t newer = 0;
    tdbTestKey(key, k);
    for (e = as_of ? (int)as_of : NEPOCHS; e >= 1; e--) { /* as_of 0: the head */
      size_t kn, vn;
      const unsigned char *kz, *vz;
      char val[32];
      if (!gKind[e][k]) continue;
      want++;
      CHECK(tdbVersionIterValid(vi));
      if (!tdbVersionIterValid(vi)) break;
      kz = tdbVersionIterKey(vi, &kn);
      CHECK_EQ(kn, strlen(key));
      CHECK_MEM(kz, key, kn);
      CHECK_EQ(tdbVersionIterEpoch(vi), (uint64_t)e);
      CHECK_EQ(tdbVersionIterNextEpoch(vi), newer);
      if (gKind[e][k] == 1) {
        CHECK_EQ(tdbVersionIterKind(vi), TDB_KIND_VALUE);
        vz = tdbVersionIterValue(vi, &vn);
        snprintf(val, sizeof val, "k%de%d", k, e);
        CHECK_EQ(vn, strlen(val));
        CHECK_MEM(vz, val, vn);
      } else {
        CHECK_EQ(tdbVersionIterKind(vi), TDB_KIND_DELETE);
      }
      newer = (uint64_t)e;
      seen++;
      tdbVersionIterNext(vi);
    }
  }
  /* nothing after the model's last key inside the keyspace */
  if (tdbVersionIterValid(vi)) {
    size_t kn;
    const unsigned char *kz = tdbVersionIterKey(vi, &kn);
    CHECK(kn == 0 || kz[0] != 0x04);
  }
  CHECK_EQ(tdbVersionIterStatus(vi), TDB_OK);
  CHECK_EQ(seen, want);
  tdbVersionIterFree(vi);
  tdbErrClear(&err);
}

static void test_versions_and_clock(void) {
  TdbVfs *vfs = NULL;
  TdbStore *s = NULL;
  TdbBatch b;
  TdbErr err;
  tdb_config cfg;
  uint64_t e = 0, rng = 12345, at;
  int64_t walls[NEPOCHS + 1], w;
  int i, k, found;
  memset(gKind, 0, sizeof gKind);
  tdbErrInit(&err, &gMem);
  tdbBatchInit(&b, &gMem);
  tdb_config_default(&cfg);
  cfg.threads = 0;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &vfs), TDB_OK);
  CHECK_EQ(tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s), TDB_OK);
  if (!s) return;
  for (i = 1; i <= NEPOCHS; i++) {
    tdbBatchClear(&b);
    for (k = 0; k < NKEYS; k++) {
      char key[8], val[32];
      uint64_t r = tdbTestRand(&rng) % 10;
      if (r >= 3) continue; /* most keys are not written in an epoch */
      tdbTestKey(key, k);
      snprintf(val, sizeof val, "k%de%d", k, i);
      if (r == 0) {
        CHECK_EQ(tdbBatchDelete(&b, key, strlen(key)), TDB_OK);
        gKind[i][k] = 2;
      } else {
        CHECK_EQ(tdbBatchPut(&b, key, strlen(key), val, strlen(val)), TDB_OK);
        gKind[i][k] = 1;
      }
    }
    CHECK_EQ(tdbStoreWrite(s, &b, &e, &err), TDB_OK); /* an empty batch is an epoch too */
    CHECK_EQ(e, (uint64_t)i);
    if (i % 25 == 0) CHECK_EQ(tdbStoreFlush(s, &err), TDB_OK);
    if (i % 50 == 0) CHECK_EQ(tdbStoreCompact(s, &err), TDB_OK);
    if (i % 30 == 0) tdbTestCompare(s, (uint64_t)i);
  }
  tdbTestCompare(s, 1);
  tdbTestCompare(s, 57);
  tdbTestCompare(s, NEPOCHS);
  tdbTestCompare(s, 0); /* 0: the head */

  /* the clock: strictly increasing, one per epoch, none for 0 or the future */
  for (i = 1; i <= NEPOCHS; i++) {
    CHECK_EQ(tdbStoreEpochWall(s, (uint64_t)i, &walls[i], &found, &err), TDB_OK);
    CHECK(found);
    if (i > 1) CHECK(walls[i] > walls[i - 1]);
  }
  CHECK_EQ(tdbStoreEpochWall(s, 0, &w, &found, &err), TDB_OK);
  CHECK(!found);
  CHECK_EQ(tdbStoreEpochWall(s, NEPOCHS + 1, &w, &found, &err), TDB_OK);
  CHECK(!found);
  CHECK_EQ(tdbStoreEpochAt(s, walls[40], 1, NEPOCHS, &at, &err), TDB_OK);
  CHECK_EQ(at, 40);
  CHECK_EQ(tdbStoreEpochAt(s, walls[40], 0, NEPOCHS, &at, &err), TDB_OK);
  CHECK_EQ(at, 39);
  CHECK_EQ(tdbStoreEpochAt(s, walls[1] - 1, 1, NEPOCHS, &at, &err), TDB_OK);
  CHECK_EQ(at, 0);
  CHECK_EQ(tdbStoreEpochAt(s, walls[NEPOCHS] + 1000, 1, NEPOCHS, &at, &err), TDB_OK);
  CHECK_EQ(at, NEPOCHS);
  CHECK_EQ(tdbStoreEpochAt(s, walls[NEPOCHS] + 1000, 1, 77, &at, &err), TDB_OK);
  CHECK_EQ(at, 77);

  /* a reopen (recovery replays the unflushed log) keeps clock and versions */
  tdbStoreClose(s);
  s = NULL;
  CHECK_EQ(tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s), TDB_OK);
  if (s) {
    for (i = 1; i <= NEPOCHS; i++) {
      CHECK_EQ(tdbStoreEpochWall(s, (uint64_t)i, &w, &found, &err), TDB_OK);
      CHECK(found);
      CHECK_EQ(w, walls[i]);
    }
    tdbTestCompare(s, NEPOCHS);
    tdbTestCompare(s, 33);
    tdbStoreClose(s);
  }
  tdbBatchFree(&b);
  tdbVfsMemoryFree(vfs);
  tdbErrClear(&err);
}

int main(void) {
  tdbMemInit(&gMem, NULL);
  TEST_RUN(test_versions_and_clock);
  return tdbTestFinish();
}
