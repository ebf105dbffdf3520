/*
** test_store_retention.c — the "latest" retention of store keyspaces
** (store.h: tdbStoreSetLatestKeyspace, tdbStorePinSnapshot).
**
** In a latest keyspace, compaction keeps a key's versions newer than the
** oldest pinned snapshot and the newest one at or below it; everything
** older goes. Other keyspaces keep every version. The checks: a reader's
** pinned epoch reads exactly what it read before the compaction; the head
** reads the latest; unpinned old epochs of a latest key are gone after a
** compaction while they survive in a normal keyspace; the number of stored
** versions (seen through the table files' entries) really drops.
*/
#include "tensordb.c"
#include "test.h"

static TdbMem gMem;

/* Value of key at epoch (found = 0 when absent). */
static int tdbTestGet(TdbStore *s, uint64_t as_of, const char *key, size_t n, char *out,
                      size_t cap, int *found) {
  TdbStr v;
  TdbErr err;
  int rc;
  tdbStrInit(&v, &gMem);
  tdbErrInit(&err, &gMem);
  rc = tdbStoreGet(s, as_of, key, n, &v, found, &err);
  if (rc == TDB_OK && *found) {
    size_t m = v.n < cap - 1 ? v.n : cap - 1;
    memcpy(out, v.z, m);
    out[m] = '\0';
  }
  tdbStrClear(&v);
  tdbErrClear(&err);
  return rc;
}

/* Entries in every table file (a proxy for stored versions): the total of
** tdbStoreCheck's last line, "checked N tables, M entries, ...". */
static uint64_t tdbTestEntries(TdbStore *s) {
  TdbStr report;
  TdbErr err;
  uint64_t entries = 0;
  const char *p;
  tdbStrInit(&report, &gMem);
  tdbErrInit(&err, &gMem);
  if (tdbStoreCheck(s, &report, &err) == TDB_OK && report.z) {
    p = strstr(report.z, "checked ");
    if (p) p = strstr(p, " entries");
    if (p) {
      while (p > report.z && p[-1] >= '0' && p[-1] <= '9') p--;
      entries = strtoull(p, NULL, 10);
    }
  }
  tdbStrClear(&report);
  tdbErrClear(&err);
  return entries;
}

static void test_latest_retention(void) {
  TdbVfs *vfs = NULL;
  TdbStore *s = NULL;
  TdbBatch b;
  TdbErr err;
  tdb_config cfg;
  uint64_t e = 0, pinned = 0, e_before_pin = 0, entries_before, entries_after;
  char buf[64], want[64];
  int i, found = 0;
  tdbErrInit(&err, &gMem);
  tdbBatchInit(&b, &gMem);
  tdb_config_default(&cfg);
  cfg.threads = 0;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &vfs), TDB_OK);
  CHECK_EQ(tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s), TDB_OK);
  if (!s) return;
  tdbStoreSetLatestKeyspace(s, 0x03);
  /* 200 versions of a latest key "\x03k" and of a normal key "\x10k" */
  for (i = 1; i <= 200; i++) {
    snprintf(buf, sizeof buf, "v%d", i);
    tdbBatchClear(&b);
    CHECK_EQ(tdbBatchPut(&b, "\x03k", 2, buf, strlen(buf)), TDB_OK);
    CHECK_EQ(tdbBatchPut(&b, "\x10k", 2, buf, strlen(buf)), TDB_OK);
    CHECK_EQ(tdbStoreWrite(s, &b, &e, &err), TDB_OK);
    if (i == 100) {
      e_before_pin = e - 50; /* an old epoch nobody pins */
      CHECK_EQ(tdbStorePinSnapshot(s, &pinned), TDB_OK);
      CHECK_EQ(pinned, e);
    }
    if (i % 40 == 0) CHECK_EQ(tdbStoreFlush(s, &err), TDB_OK);
  }
  /* a deleted latest key keeps its tombstone, not its values */
  tdbBatchClear(&b);
  CHECK_EQ(tdbBatchPut(&b, "\x03gone", 5, "x", 1), TDB_OK);
  CHECK_EQ(tdbStoreWrite(s, &b, &e, &err), TDB_OK);
  tdbBatchClear(&b);
  CHECK_EQ(tdbBatchDelete(&b, "\x03gone", 5), TDB_OK);
  CHECK_EQ(tdbStoreWrite(s, &b, &e, &err), TDB_OK);
  CHECK_EQ(tdbStoreFlush(s, &err), TDB_OK);
  entries_before = tdbTestEntries(s);
  CHECK_EQ(tdbStoreCompact(s, &err), TDB_OK);
  entries_after = tdbTestEntries(s);

  /* the pinned reader reads what it read */
  CHECK_EQ(tdbTestGet(s, pinned, "\x03k", 2, buf, sizeof buf, &found), TDB_OK);
  CHECK(found);
  CHECK_STR(buf, "v100");
  /* the head reads the latest */
  CHECK_EQ(tdbTestGet(s, 0, "\x03k", 2, buf, sizeof buf, &found), TDB_OK);
  CHECK(found);
  CHECK_STR(buf, "v200");
  /* an unpinned older epoch of the latest key is gone ... */
  CHECK_EQ(tdbTestGet(s, e_before_pin, "\x03k", 2, buf, sizeof buf, &found), TDB_OK);
  CHECK(!found);
  /* ... while the normal keyspace keeps every version */
  snprintf(want, sizeof want, "v%d", (int)(100 - 50));
  CHECK_EQ(tdbTestGet(s, e_before_pin, "\x10k", 2, buf, sizeof buf, &found), TDB_OK);
  CHECK(found);
  CHECK_STR(buf, want);
  CHECK_EQ(tdbTestGet(s, 0, "\x03gone", 5, buf, sizeof buf, &found), TDB_OK);
  CHECK(!found);
  /* what is stored: 200 versions of the normal key; of the latest key the
  ** 100 newer than the pin and the newest at it; "gone" as value and
  ** tombstone (its value is newer than the pin) */
  CHECK(entries_after <= entries_before);
  /* + the epoch clock: one entry per commit (store.h), 202 so far */
  CHECK_EQ(entries_after, 200 + 101 + 2 + 202);

  /* unpinned: the next compaction keeps only the newest version */
  tdbStoreUnpinSnapshot(s, pinned);
  tdbBatchClear(&b);
  CHECK_EQ(tdbBatchPut(&b, "\x03k", 2, "last", 4), TDB_OK);
  CHECK_EQ(tdbStoreWrite(s, &b, &e, &err), TDB_OK);
  CHECK_EQ(tdbStoreFlush(s, &err), TDB_OK);
  CHECK_EQ(tdbStoreCompact(s, &err), TDB_OK);
  CHECK_EQ(tdbTestGet(s, pinned, "\x03k", 2, buf, sizeof buf, &found), TDB_OK);
  CHECK(!found);
  CHECK_EQ(tdbTestGet(s, 0, "\x03k", 2, buf, sizeof buf, &found), TDB_OK);
  CHECK(found);
  CHECK_STR(buf, "last");
  /* 200 + the newest version of "\x03k" + the clock of the 203 commits:
  ** the tombstone of "\x03gone" went too (no reader can see past it, and
  ** no level below the compaction's output holds the key), and the key
  ** stays gone */
  CHECK_EQ(tdbTestEntries(s), 200 + 1 + 203);
  CHECK_EQ(tdbTestGet(s, 0, "\x03gone", 5, buf, sizeof buf, &found), TDB_OK);
  CHECK(!found);

  tdbBatchFree(&b);
  tdbStoreClose(s);
  tdbVfsMemoryFree(vfs);
  tdbErrClear(&err);
}

int main(void) {
  tdbMemInit(&gMem, NULL);
  TEST_RUN(test_latest_retention);
  return tdbTestFinish();
}
