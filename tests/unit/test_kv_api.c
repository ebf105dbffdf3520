/*
** test_kv_api.c — the public ledger key-value API of tensordb.h end to end
** through tdb_open (":memory:" and a file database in a temporary
** directory): put/get/delete, batches, iterators (seek, seek_first/last,
** next/prev, AS OF epochs), tdb_kv_head, TDB_NOTFOUND and TDB_RANGE, error
** messages, persistence across reopen, a second open of one path sharing
** the store (test_concurrency.c has the rest), tdb_check's report, tdb_flush/tdb_compact, the documented minimum
** memtable size, and group commit: 4 threads x 200 commits on one store with
** sync FULL over the fault VFS (counting its sync points).
*/
#include "tensordb.c"
#include "test.h"
#include "fault_vfs.c"
#include "watchdog.h"

#include <unistd.h>

static TdbMem gMem;
static char gTmp[64];

static int getStr(tdb *db, uint64_t as_of, const char *key, char *out, size_t cap) {
  tdb_read_options ro;
  void *v = NULL;
  size_t n = 0;
  int rc;
  ro.as_of_epoch = as_of;
  rc = tdb_kv_get(db, &ro, key, strlen(key), &v, &n);
  if (rc == TDB_OK) {
    snprintf(out, cap, "%.*s", (int)n, v ? (const char *)v : "");
    tdb_free(db, v);
  } else {
    snprintf(out, cap, "<rc %d>", rc);
  }
  return rc;
}

/* Put, get, delete, epochs, TDB_NOTFOUND, TDB_RANGE and AS OF reads. */
static void testPutGetDeleteAsOf(void) {
  tdb *db = NULL;
  uint64_t e1 = 0, e2 = 0, e3 = 0;
  char buf[64];
  void *v = (void *)1;
  size_t n = 7;
  CHECK_EQ(tdb_open(":memory:", NULL, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(tdb_kv_head(db), 0);
  CHECK_EQ(tdb_kv_put(db, "k", 1, "one", 3, &e1), TDB_OK);
  CHECK_EQ(tdb_kv_put(db, "k", 1, "two", 3, &e2), TDB_OK);
  CHECK_EQ(tdb_kv_delete(db, "k", 1, &e3), TDB_OK);
  CHECK_EQ(e1, 1);
  CHECK_EQ(e2, 2);
  CHECK_EQ(e3, 3);
  CHECK_EQ(tdb_kv_head(db), 3);
  CHECK_EQ(getStr(db, 1, "k", buf, sizeof buf), TDB_OK);
  CHECK_STR(buf, "one");
  CHECK_EQ(getStr(db, 2, "k", buf, sizeof buf), TDB_OK);
  CHECK_STR(buf, "two");
  CHECK_EQ(getStr(db, 3, "k", buf, sizeof buf), TDB_NOTFOUND);
  CHECK_EQ(getStr(db, 0, "k", buf, sizeof buf), TDB_NOTFOUND);
  CHECK_EQ(tdb_kv_get(db, NULL, "missing", 7, &v, &n), TDB_NOTFOUND);
  CHECK(v == NULL);
  CHECK_EQ(n, 0);
  /* AS OF beyond the head */
  CHECK_EQ(getStr(db, 4, "k", buf, sizeof buf), TDB_RANGE);
  CHECK_EQ(tdb_errcode(db), TDB_RANGE);
  CHECK_CONTAINS(tdb_errmsg(db), "beyond");
  /* empty value and empty key are values like any other */
  CHECK_EQ(tdb_kv_put(db, "", 0, "", 0, NULL), TDB_OK);
  CHECK_EQ(tdb_kv_get(db, NULL, "", 0, &v, &n), TDB_OK);
  CHECK_EQ(n, 0);
  tdb_free(db, v);
  /* misuse */
  CHECK_EQ(tdb_kv_put(db, NULL, 3, "x", 1, NULL), TDB_MISUSE);
  CHECK_EQ(tdb_kv_get(db, NULL, "k", 1, NULL, &n), TDB_MISUSE);
  tdb_close(db);
}

/* A batch commits as one epoch; the last op of a key wins; a reused batch. */
static void testBatches(void) {
  tdb *db = NULL;
  tdb_kv_batch *b = NULL;
  uint64_t e = 0;
  char buf[64];
  CHECK_EQ(tdb_open(":memory:", NULL, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(tdb_kv_batch_new(db, &b), TDB_OK);
  CHECK_EQ(tdb_kv_batch_put(b, "a", 1, "1", 1), TDB_OK);
  CHECK_EQ(tdb_kv_batch_put(b, "b", 1, "2", 1), TDB_OK);
  CHECK_EQ(tdb_kv_batch_put(b, "a", 1, "3", 1), TDB_OK);
  CHECK_EQ(tdb_kv_batch_delete(b, "b", 1), TDB_OK);
  CHECK_EQ(tdb_kv_batch_put(b, "c", 1, "4", 1), TDB_OK);
  CHECK_EQ(tdb_kv_write(db, b, &e), TDB_OK);
  CHECK_EQ(e, 1);
  CHECK_EQ(getStr(db, 1, "a", buf, sizeof buf), TDB_OK);
  CHECK_STR(buf, "3");
  CHECK_EQ(getStr(db, 1, "b", buf, sizeof buf), TDB_NOTFOUND);
  CHECK_EQ(getStr(db, 1, "c", buf, sizeof buf), TDB_OK);
  tdb_kv_batch_clear(b);
  CHECK_EQ(tdb_kv_batch_put(b, "b", 1, "5", 1), TDB_OK);
  CHECK_EQ(tdb_kv_write(db, b, &e), TDB_OK);
  CHECK_EQ(e, 2);
  CHECK_EQ(getStr(db, 0, "a", buf, sizeof buf), TDB_OK); /* untouched by the cleared batch */
  CHECK_STR(buf, "3");
  CHECK_EQ(getStr(db, 0, "b", buf, sizeof buf), TDB_OK);
  CHECK_STR(buf, "5");
  tdb_kv_batch_free(b);
  tdb_close(db);
}

/* Collect an iterator's keys as "k1,k2," forward or backward. */
static void scanKeys(tdb *db, uint64_t as_of, int backward, char *out, size_t cap) {
  tdb_read_options ro;
  tdb_kv_iter *it = NULL;
  size_t o = 0;
  ro.as_of_epoch = as_of;
  out[0] = '\0';
  if (tdb_kv_iter_new(db, &ro, &it) != TDB_OK) {
    snprintf(out, cap, "<iter rc %d>", tdb_errcode(db));
    return;
  }
  CHECK_EQ(backward ? tdb_kv_iter_seek_last(it) : tdb_kv_iter_seek_first(it), TDB_OK);
  while (tdb_kv_iter_valid(it) && o + 20 < cap) {
    size_t kn;
    const char *k = tdb_kv_iter_key(it, &kn);
    o += (size_t)snprintf(out + o, cap - o, "%.*s,", (int)kn, k);
    CHECK_EQ(backward ? tdb_kv_iter_prev(it) : tdb_kv_iter_next(it), TDB_OK);
  }
  tdb_kv_iter_free(it);
}

/* Iterators: order, seek, first/last, next/prev mixes, AS OF, keyspace ends. */
static void testIterators(void) {
  tdb *db = NULL;
  tdb_kv_iter *it = NULL;
  tdb_read_options ro;
  char buf[256];
  size_t n;
  const char *k;
  CHECK_EQ(tdb_open(":memory:", NULL, &db), TDB_OK);
  if (!db) return;
  scanKeys(db, 0, 0, buf, sizeof buf);
  CHECK_STR(buf, "");
  CHECK_EQ(tdb_kv_put(db, "b", 1, "1", 1, NULL), TDB_OK);  /* 1 */
  CHECK_EQ(tdb_kv_put(db, "a", 1, "1", 1, NULL), TDB_OK);  /* 2 */
  CHECK_EQ(tdb_kv_put(db, "ab", 2, "1", 1, NULL), TDB_OK); /* 3 */
  CHECK_EQ(tdb_kv_put(db, "c", 1, "1", 1, NULL), TDB_OK);  /* 4 */
  CHECK_EQ(tdb_kv_delete(db, "a", 1, NULL), TDB_OK);       /* 5 */
  scanKeys(db, 0, 0, buf, sizeof buf);
  CHECK_STR(buf, "ab,b,c,");
  scanKeys(db, 0, 1, buf, sizeof buf);
  CHECK_STR(buf, "c,b,ab,");
  scanKeys(db, 4, 0, buf, sizeof buf);
  CHECK_STR(buf, "a,ab,b,c,");
  scanKeys(db, 2, 1, buf, sizeof buf);
  CHECK_STR(buf, "b,a,");
  scanKeys(db, 1, 0, buf, sizeof buf);
  CHECK_STR(buf, "b,");
  /* the same after everything moved into tables */
  CHECK_EQ(tdb_flush(db), TDB_OK);
  CHECK_EQ(tdb_compact(db), TDB_OK);
  scanKeys(db, 4, 0, buf, sizeof buf);
  CHECK_STR(buf, "a,ab,b,c,");
  scanKeys(db, 0, 1, buf, sizeof buf);
  CHECK_STR(buf, "c,b,ab,");
  /* seek: first key >= target, then next/prev */
  ro.as_of_epoch = 4;
  CHECK_EQ(tdb_kv_iter_new(db, &ro, &it), TDB_OK);
  if (it) {
    CHECK_EQ(tdb_kv_iter_seek(it, "aa", 2), TDB_OK);
    k = tdb_kv_iter_key(it, &n);
    CHECK(tdb_kv_iter_valid(it) && n == 2 && memcmp(k, "ab", 2) == 0);
    CHECK_EQ(tdb_kv_iter_prev(it), TDB_OK);
    k = tdb_kv_iter_key(it, &n);
    CHECK(tdb_kv_iter_valid(it) && n == 1 && k[0] == 'a');
    CHECK_EQ(tdb_kv_iter_prev(it), TDB_OK);
    CHECK(!tdb_kv_iter_valid(it)); /* before the first key of the keyspace */
    CHECK(tdb_kv_iter_key(it, &n) == NULL);
    CHECK_EQ(tdb_kv_iter_seek(it, "b", 1), TDB_OK);
    k = tdb_kv_iter_key(it, &n);
    CHECK(n == 1 && k[0] == 'b');
    CHECK_EQ(tdb_kv_iter_next(it), TDB_OK);
    CHECK_EQ(tdb_kv_iter_next(it), TDB_OK);
    CHECK(!tdb_kv_iter_valid(it)); /* past "c": the end of the keyspace */
    CHECK_EQ(tdb_kv_iter_seek(it, "zz", 2), TDB_OK);
    CHECK(!tdb_kv_iter_valid(it));
    tdb_kv_iter_free(it);
  }
  ro.as_of_epoch = 99;
  it = NULL;
  CHECK_EQ(tdb_kv_iter_new(db, &ro, &it), TDB_RANGE);
  CHECK(it == NULL);
  tdb_close(db);
}

/* A file database keeps everything across close/open (values, history,
** head), a second open of the same path shares it, tdb_check reports. */
static void testFileDatabase(void) {
  tdb *db = NULL, *db2 = NULL;
  tdb_config cfg;
  char path[128], buf[64], *report = NULL;
  int i, rc;
  snprintf(path, sizeof path, "%s/kv.tdb", gTmp);
  tdb_config_default(&cfg);
  cfg.memtable_bytes = 128 << 10;
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  for (i = 0; i < 2000; i++) {
    char k[32], v[64];
    snprintf(k, sizeof k, "key%05d", i % 500);
    snprintf(v, sizeof v, "value %d", i);
    if (tdb_kv_put(db, k, strlen(k), v, strlen(v), NULL) != TDB_OK) break;
  }
  CHECK_EQ(i, 2000);
  CHECK_EQ(tdb_kv_head(db), 2000);
  /* a second connection of this process shares the store */
  rc = tdb_open(path, &cfg, &db2);
  CHECK_EQ(rc, TDB_OK);
  if (db2) {
    CHECK_EQ(tdb_kv_head(db2), 2000);
    CHECK_EQ(getStr(db2, 0, "key00007", buf, sizeof buf), TDB_OK);
    CHECK_STR(buf, "value 1507");
    tdb_close(db2);
    db2 = NULL;
  }
  CHECK_EQ(tdb_flush(db), TDB_OK);
  CHECK_EQ(tdb_check(db, &report), TDB_OK);
  CHECK_CONTAINS(report, "checked");
  CHECK_CONTAINS(report, "ok");
  tdb_free(db, report);
  tdb_close(db);
  db = NULL;
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(tdb_kv_head(db), 2000);
  CHECK_EQ(getStr(db, 0, "key00007", buf, sizeof buf), TDB_OK);
  CHECK_STR(buf, "value 1507");
  CHECK_EQ(getStr(db, 8, "key00007", buf, sizeof buf), TDB_OK); /* epoch 8 wrote i = 7 */
  CHECK_STR(buf, "value 7");
  CHECK_EQ(getStr(db, 7, "key00007", buf, sizeof buf), TDB_NOTFOUND);
  CHECK_EQ(tdb_compact(db), TDB_OK);
  CHECK_EQ(getStr(db, 508, "key00007", buf, sizeof buf), TDB_OK);
  CHECK_STR(buf, "value 507");
  CHECK_EQ(tdb_check(db, NULL), TDB_OK);
  tdb_close(db);
}

/* The documented minimum memtable (64 KiB, tensordb.h / config validation)
** must work. Engine bug: a fresh memtable's arena already reports 64 KiB,
** so tdbStoreMakeRoom switches memtables forever (the watchdog fails it). */
static void testKvMinMemtable(void) {
  tdb *db = NULL;
  tdb_config cfg;
  int i;
  tdb_config_default(&cfg);
  cfg.memtable_bytes = 64 << 10;
  cfg.threads = 0;
  tdbWatchdogArm(5, "testKvMinMemtable (memtable_bytes = 64 KiB, first put)");
  CHECK_EQ(tdb_open(":memory:", &cfg, &db), TDB_OK);
  for (i = 0; db && i < 100; i++) CHECK_EQ(tdb_kv_put(db, "k", 1, "v", 1, NULL), TDB_OK);
  CHECK_EQ(tdb_kv_head(db), 100);
  tdb_close(db);
  alarm(0);
}

/* ---- group commit ---------------------------------------------------------- */

#define GC_THREADS 4
#define GC_PUTS 200

typedef struct GcWriter {
  TdbStore *s;
  int id, failures;
  uint64_t epochs[GC_PUTS];
} GcWriter;

static void gcWriterMain(void *arg) {
  GcWriter *w = arg;
  TdbBatch b;
  TdbErr err;
  int i;
  tdbBatchInit(&b, &gMem);
  tdbErrInit(&err, &gMem);
  for (i = 0; i < GC_PUTS; i++) {
    char k[32], v[32];
    snprintf(k, sizeof k, "\x10w%d-%03d", w->id, i);
    snprintf(v, sizeof v, "v%d", i);
    tdbBatchClear(&b);
    tdbBatchPut(&b, k, strlen(k), v, strlen(v));
    if (tdbStoreWrite(w->s, &b, &w->epochs[i], &err) != TDB_OK) w->failures++;
  }
  tdbBatchFree(&b);
  tdbErrClear(&err);
}

/* 4 threads x 200 commits, sync FULL: every commit is there with a distinct
** epoch 1..800, and commits share syncs (group commit). The fault VFS wraps
** the POSIX VFS in a temporary directory: over the memory VFS a sync costs
** nothing, so commits never queue behind one another and every commit gets
** its own sync (measured: 800 syncs for 800 commits); a real fdatasync takes
** long enough for the other writers to queue up behind the leader. Each
** round asserts syncs <= commits and prints the ratio; "fewer syncs than
** commits" is asserted over the sum of the rounds, which holds unless the
** scheduler never once lets two writers meet during a sync. */
static void testGroupCommit(void) {
  TdbVfs *inner = NULL, *fault = NULL;
  TdbStore *s = NULL;
  TdbErr err;
  tdb_config cfg;
  GcWriter w[GC_THREADS];
  TdbThread t[GC_THREADS];
  static unsigned char seen[GC_THREADS * GC_PUTS + 1];
  uint64_t syncs_total = 0, commits_total = 0;
  int round, i, j;
  tdbErrInit(&err, &gMem);
  tdb_config_default(&cfg);
  cfg.sync_mode = TDB_SYNC_FULL;
  for (round = 0; round < 2; round++) {
    uint64_t before, syncs;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/gc%d", gTmp, round);
    CHECK_EQ(tdbVfsPosixNew(&gMem, &inner), TDB_OK);
    CHECK_EQ(tdbFaultVfsNew(&gMem, inner, &fault), TDB_OK);
    CHECK_EQ(tdbStoreOpenVfs(&gMem, fault, dir, &cfg, &err, &s), TDB_OK);
    if (!s) break;
    before = tdbFaultVfsSyncPoints(fault);
    memset(w, 0, sizeof w);
    for (i = 0; i < GC_THREADS; i++) {
      w[i].s = s;
      w[i].id = i;
      CHECK_EQ(tdbThreadStart(&t[i], gcWriterMain, &w[i]), TDB_OK);
    }
    for (i = 0; i < GC_THREADS; i++) tdbThreadJoin(&t[i]);
    syncs = tdbFaultVfsSyncPoints(fault) - before;
    memset(seen, 0, sizeof seen);
    for (i = 0; i < GC_THREADS; i++) {
      CHECK_EQ(w[i].failures, 0);
      for (j = 0; j < GC_PUTS; j++) {
        uint64_t e = w[i].epochs[j];
        CHECK(e >= 1 && e <= GC_THREADS * GC_PUTS);
        if (e >= 1 && e <= GC_THREADS * GC_PUTS) {
          CHECK(!seen[e]); /* distinct */
          seen[e] = 1;
        }
        if (j) CHECK(e > w[i].epochs[j - 1]); /* one writer's commits stay in order */
      }
    }
    CHECK_EQ(tdbStoreHead(s), GC_THREADS * GC_PUTS);
    /* every commit is readable at its own epoch and not before */
    for (i = 0; i < GC_THREADS; i++) {
      for (j = 0; j < GC_PUTS; j += 37) {
        char k[32];
        TdbStr v;
        int found = 0;
        snprintf(k, sizeof k, "\x10w%d-%03d", i, j);
        tdbStrInit(&v, &gMem);
        CHECK_EQ(tdbStoreGet(s, w[i].epochs[j], k, strlen(k), &v, &found, &err), TDB_OK);
        CHECK(found);
        if (w[i].epochs[j] > 1) { /* as_of 0 would mean the head */
          CHECK_EQ(tdbStoreGet(s, w[i].epochs[j] - 1, k, strlen(k), &v, &found, &err), TDB_OK);
          CHECK(!found);
        }
        tdbStrClear(&v);
      }
    }
    CHECK(syncs <= (uint64_t)GC_THREADS * GC_PUTS);
    syncs_total += syncs;
    commits_total += GC_THREADS * GC_PUTS;
    printf("# group commit round %d: %d commits, %llu syncs (%.2f commits per sync)\n", round,
           GC_THREADS * GC_PUTS, (unsigned long long)syncs,
           syncs ? (double)(GC_THREADS * GC_PUTS) / (double)syncs : 0.0);
    tdbStoreClose(s);
    s = NULL;
    tdbFaultVfsFree(fault);
    tdbVfsPosixFree(inner);
  }
  CHECK(syncs_total < commits_total);
  tdbErrClear(&err);
}

int main(void) {
  tdbMemInit(&gMem, NULL);
  snprintf(gTmp, sizeof gTmp, "/tmp/tdb-kv-XXXXXX");
  if (!mkdtemp(gTmp)) {
    printf("FAIL cannot create a temporary directory\n0 passed, 1 failed\n");
    return 1;
  }
  TEST_RUN(testPutGetDeleteAsOf);
  TEST_RUN(testBatches);
  TEST_RUN(testIterators);
  TEST_RUN(testFileDatabase);
  TEST_RUN(testGroupCommit);
  TEST_RUN(testKvMinMemtable); /* last: a hang ends the program */
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
    if (system(cmd) != 0) printf("# could not remove %s\n", gTmp);
  }
  return tdbTestFinish();
}
