/*
** test_store_crash.c — power loss at every sync point of a workload.
**
** The workload: 200 batches of 1-5 operations (puts of 200-1700 bytes and
** deletes over ~60 keys, the same key twice in a batch now and then) with
** a 128 KiB memtable and an L0 trigger of 2, so memtable switches, WAL
** rotations, flushes, compactions and manifest edits happen during it, and
** a clean close + reopen at batch 100 so a new manifest and a CURRENT
** switch happen too. It runs over the fault VFS (tests/common/fault_vfs.c)
** wrapping the memory VFS with sync_mode FULL.
**
** A clean run first counts the sync points (sync_data and sync_dir calls).
** Then for EVERY sync point k: a fresh VFS, the workload with
** tdbFaultVfsCrashAtSync(k) (the k-th sync fails and the power stays off:
** every later call fails), the store is closed, tdbFaultVfsCrash() drops
** everything not synced, and the store is reopened on the same file system.
** The test proves that
**   - the reopen succeeds;
**   - every acknowledged commit (tdbStoreWrite returned TDB_OK) is there with
**     its exact epoch: head >= acknowledged count;
**   - nothing unacknowledged is half-applied: head is the acknowledged count,
**     or one more when the one failed batch happened to reach the disk, and
**     then that epoch holds all of it (checked by the per-epoch scans);
**   - a scan AS OF every epoch 1..head equals the model, and point reads at
**     the head too;
**   - tdbStoreCheck passes, and the store accepts a new write that survives
**     another reopen.
** Torn-write variants (tdbFaultVfsSetTear: a prefix of the last unsynced
** write survives) run at every 5th point with several prefix sizes. All of
** it with cfg.threads = 0 (inline work: deterministic) and 1 (a background
** thread, so the cut lands in a flush or compaction racing commits).
**
**   TDB_CRASH_STRIDE=n   try every n-th sync point only (default 1: all)
*/
#include "tensordb.c"
#include "test.h"
#include "fault_vfs.c"
#include "kv_model.h"
#include "watchdog.h"

#define CRASH_BATCHES 200
#define CRASH_REOPEN_AT 100

static TdbMem gMem;
static Model gModelKeys;           /* the key pool (its history stays empty) */
static ModelBatch gWork[CRASH_BATCHES];
static uint64_t gSeed = 4242;
static uint64_t gStride = 1;

/* The workload, generated once: the same batches in every run. */
static void makeWorkload(void) {
  uint64_t rng = gSeed;
  int i, j;
  mvInit(&gModelKeys, 60, gSeed);
  for (i = 0; i < CRASH_BATCHES; i++) {
    int n = 1 + (int)(tdbTestRand(&rng) % 5);
    for (j = 0; j < n; j++) {
      size_t ki = (size_t)(tdbTestRand(&rng) % gModelKeys.nkeys);
      int live = tdbTestRand(&rng) % 6 != 0;
      size_t len = live ? 200 + (size_t)(tdbTestRand(&rng) % 1500) : 0;
      mvBatchAdd(&gWork[i], ki, live, live ? mvMakeValue(&rng, len) : NULL, len);
      if (j == 0 && n > 1 && tdbTestRand(&rng) % 4 == 0) { /* same key again */
        len = (size_t)(tdbTestRand(&rng) % 300);
        mvBatchAdd(&gWork[i], ki, 1, mvMakeValue(&rng, len), len);
      }
    }
  }
}

/* A copy of workload batch i into b (values duplicated). */
static void copyBatch(int i, ModelBatch *b) {
  size_t j;
  mvBatchReset(b);
  for (j = 0; j < gWork[i].n; j++) {
    const ModelOp *op = &gWork[i].ops[j];
    unsigned char *v = NULL;
    if (op->live) {
      v = malloc(op->vlen ? op->vlen : 1);
      if (!v) abort();
      if (op->vlen) memcpy(v, op->val, op->vlen);
    }
    mvBatchAdd(b, op->ki, op->live, v, op->vlen);
  }
}

static void crashConfig(tdb_config *cfg, int threads) {
  tdb_config_default(cfg);
  cfg->memtable_bytes = 128 << 10;
  cfg->block_bytes = 2048;
  cfg->l0_compaction_trigger = 2;
  cfg->sync_mode = TDB_SYNC_FULL;
  cfg->threads = threads;
}

/* Run the workload on `vfs`; returns how many batches were acknowledged.
** *failed_batch is the batch whose write failed (-1: none). */
static int runWorkload(TdbVfs *vfs, int threads, int *failed_batch, int *open_failed) {
  tdb_config cfg;
  TdbStore *s = NULL;
  TdbBatch tb;
  TdbErr err;
  int i, acked = 0;
  *failed_batch = -1;
  *open_failed = 0;
  crashConfig(&cfg, threads);
  tdbErrInit(&err, &gMem);
  tdbBatchInit(&tb, &gMem);
  if (tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s) != TDB_OK) {
    *open_failed = 1;
    *failed_batch = 0;
  }
  for (i = 0; s && i < CRASH_BATCHES; i++) {
    uint64_t e = 0;
    if (i == CRASH_REOPEN_AT) {
      tdbStoreClose(s);
      s = NULL;
      if (tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s) != TDB_OK) {
        *open_failed = 1;
        *failed_batch = i;
        break;
      }
    }
    CHECK_EQ(mvBatchToStore(&gModelKeys, &gWork[i], &tb), TDB_OK);
    if (tdbStoreWrite(s, &tb, &e, &err) != TDB_OK) {
      *failed_batch = i;
      break;
    }
    if (e != (uint64_t)i + 1) {
      tdbTestFail(__FILE__, __LINE__, "batch %d committed as epoch %llu", i,
                  (unsigned long long)e);
    }
    acked++;
  }
  tdbStoreClose(s);
  tdbBatchFree(&tb);
  tdbErrClear(&err);
  return acked;
}

typedef struct CrashStats {
  long points, cut, not_reached, failed_present, failed_absent, open_failed, torn;
} CrashStats;

/* Reopen after the crash and verify everything (see the file comment). */
static void verifyAfterCrash(TdbVfs *vfs, int threads, int acked, int failed_batch,
                             const char *what, CrashStats *st) {
  tdb_config cfg;
  TdbStore *s = NULL;
  TdbErr err;
  Model m;
  ModelBatch b;
  TdbBatch tb;
  TdbStr report;
  size_t *live;
  uint64_t head, e;
  int rc, i, bad = 0;
  char why[400];
  crashConfig(&cfg, threads);
  tdbErrInit(&err, &gMem);
  rc = tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s);
  if (rc != TDB_OK) {
    tdbTestFail(__FILE__, __LINE__, "%s: reopen after the crash: rc %d: %s", what, rc,
                tdbErrMessage(&err));
    tdbErrClear(&err);
    return;
  }
  head = tdbStoreHead(s);
  if (head < (uint64_t)acked) {
    tdbTestFail(__FILE__, __LINE__, "%s: head %llu after the crash, but %d commits were "
                "acknowledged (an acknowledged commit was lost)", what,
                (unsigned long long)head, acked);
    bad = 1;
  } else if (head > (uint64_t)acked + (failed_batch >= 0 ? 1 : 0)) {
    tdbTestFail(__FILE__, __LINE__, "%s: head %llu after the crash, acknowledged %d, failed "
                "batch %d: epochs that were never committed", what, (unsigned long long)head,
                acked, failed_batch);
    bad = 1;
  }
  if (head > (uint64_t)acked) st->failed_present++;
  else if (failed_batch >= 0) st->failed_absent++;
  /* the model: the first `head` batches, one epoch each */
  memset(&m, 0, sizeof m);
  memset(&b, 0, sizeof b);
  m.keys = calloc(gModelKeys.nkeys, sizeof *m.keys);
  m.nkeys = gModelKeys.nkeys;
  for (i = 0; i < (int)m.nkeys; i++) m.keys[i] = gModelKeys.keys[i];
  for (i = 0; i < (int)head && i < CRASH_BATCHES; i++) {
    copyBatch(i, &b);
    mvCommit(&m, &b);
  }
  live = calloc(m.nkeys + 1, sizeof *live);
  for (e = 1; !bad && e <= head; e++) {
    if (mvCheckScan(s, &gMem, &m, e, 0, live, NULL, why, sizeof why) != MV_OK) {
      tdbTestFail(__FILE__, __LINE__, "%s: %s", what, why);
      bad = 1;
    }
  }
  for (i = 0; !bad && i < (int)m.nkeys; i++) {
    if (mvCheckGet(s, &gMem, &m, (size_t)i, 0, NULL, why, sizeof why) != MV_OK) {
      tdbTestFail(__FILE__, __LINE__, "%s: %s", what, why);
      bad = 1;
    }
  }
  if (!bad && head) {
    uint64_t back = 1 + (head * 7) % head; /* one backward scan per case */
    if (mvCheckScan(s, &gMem, &m, back, 1, live, NULL, why, sizeof why) != MV_OK) {
      tdbTestFail(__FILE__, __LINE__, "%s: %s", what, why);
      bad = 1;
    }
  }
  tdbStrInit(&report, &gMem);
  rc = tdbStoreCheck(s, &report, &err);
  if (rc != TDB_OK) {
    tdbTestFail(__FILE__, __LINE__, "%s: check after the crash: rc %d: %s", what, rc,
                tdbErrMessage(&err));
  }
  tdbStrClear(&report);
  /* the recovered store takes new writes, and they survive a reopen */
  tdbBatchInit(&tb, &gMem);
  CHECK_EQ(tdbBatchPut(&tb, "after-crash", 11, "v", 1), TDB_OK);
  e = 0;
  rc = tdbStoreWrite(s, &tb, &e, &err);
  if (rc != TDB_OK || e != head + 1) {
    tdbTestFail(__FILE__, __LINE__, "%s: write after recovery: rc %d epoch %llu (head %llu): %s",
                what, rc, (unsigned long long)e, (unsigned long long)head, tdbErrMessage(&err));
  }
  tdbStoreClose(s);
  s = NULL;
  rc = tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s);
  if (rc != TDB_OK || tdbStoreHead(s) != head + 1) {
    tdbTestFail(__FILE__, __LINE__, "%s: second reopen: rc %d head %llu, want %llu: %s", what,
                rc, (unsigned long long)(s ? tdbStoreHead(s) : 0),
                (unsigned long long)head + 1, tdbErrMessage(&err));
  }
  tdbStoreClose(s);
  tdbBatchFree(&tb);
  free(live);
  for (i = 0; i < (int)m.nkeys; i++) { /* the pool's key bytes are shared: free versions only */
    size_t j;
    for (j = 0; j < m.keys[i].nv; j++) free(m.keys[i].v[j].val);
    free(m.keys[i].v);
  }
  free(m.keys);
  mvBatchFree(&b);
  tdbErrClear(&err);
}

/* One case: crash at sync point k (0: no crash, a clean run) with a torn
** write keeping `tear` bytes (< 0: none). Returns the sync points seen. */
static uint64_t crashCase(int threads, uint64_t k, int64_t tear, CrashStats *st) {
  TdbVfs *inner = NULL, *fault = NULL;
  int acked, failed_batch, open_failed;
  uint64_t points;
  char what[128];
  snprintf(what, sizeof what, "threads %d, crash at sync point %llu, tear %lld", threads,
           (unsigned long long)k, (long long)tear);
  tdbWatchdogArm(10, what); /* a hang in close/recovery fails the test */
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &inner), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, inner, &fault), TDB_OK);
  if (!fault) return 0;
  if (k) tdbFaultVfsCrashAtSync(fault, k);
  if (tear >= 0) tdbFaultVfsSetTear(fault, tear);
  acked = runWorkload(fault, threads, &failed_batch, &open_failed);
  points = tdbFaultVfsSyncPoints(fault);
  if (k) {
    if (tdbFaultVfsPoweredOff(fault)) st->cut++;
    else st->not_reached++;
  }
  if (open_failed) st->open_failed++;
  if (tear >= 0) st->torn++;
  if (!k && acked != CRASH_BATCHES) {
    tdbTestFail(__FILE__, __LINE__, "clean run: %d of %d batches acknowledged", acked,
                CRASH_BATCHES);
  }
  CHECK_EQ(tdbFaultVfsCrash(fault), TDB_OK);
  tdbFaultVfsClearFaults(fault);
  verifyAfterCrash(fault, threads, acked, failed_batch, what, st);
  tdbFaultVfsFree(fault);
  tdbVfsMemoryFree(inner);
  st->points++;
  return points;
}

static void crashAll(int threads) {
  CrashStats st;
  uint64_t total, k;
  static const int64_t tears[] = {0, 1, 7, 100, 4096, (int64_t)1 << 30};
  int t = 0;
  memset(&st, 0, sizeof st);
  total = crashCase(threads, 0, -1, &st);
  CHECK(total > CRASH_BATCHES); /* at least one sync per commit */
  for (k = 1; k <= total + 2; k += gStride) {
    crashCase(threads, k, -1, &st);
    if (k % 5 == 0) crashCase(threads, k, tears[t++ % 6], &st);
  }
  /* nearly every point must have been reached (threads 1 varies a little) */
  CHECK(st.cut + 3 >= (long)(total / gStride));
  printf("# crash threads %d: %llu sync points in a clean run; %ld cases (%ld torn), power cut "
         "in %ld, not reached %ld; failed batch on disk afterwards %ld, absent %ld; open "
         "failed during the workload %ld\n",
         threads, (unsigned long long)total, st.points, st.torn, st.cut, st.not_reached,
         st.failed_present, st.failed_absent, st.open_failed);
}

/* Inline work: the same sync sequence every run. */
static void testCrashEverySyncPointInline(void) { crashAll(0); }
/* A background thread: the cut lands in flushes/compactions racing commits. */
static void testCrashEverySyncPointThreaded(void) { crashAll(1); }

int main(void) {
  const char *stride = getenv("TDB_CRASH_STRIDE"), *seed = getenv("TDB_SEED");
  int i;
  tdbMemInit(&gMem, NULL);
  if (stride && *stride && strtoull(stride, NULL, 0) > 0) gStride = strtoull(stride, NULL, 0);
  if (seed && *seed) gSeed = strtoull(seed, NULL, 0);
  printf("# test_store_crash: TDB_SEED=%llu TDB_CRASH_STRIDE=%llu\n", (unsigned long long)gSeed,
         (unsigned long long)gStride);
  makeWorkload();
  TEST_RUN(testCrashEverySyncPointInline);
  TEST_RUN(testCrashEverySyncPointThreaded);
  for (i = 0; i < CRASH_BATCHES; i++) mvBatchFree(&gWork[i]);
  mvFree(&gModelKeys);
  return tdbTestFinish();
}
