/*
** test_fault_vfs.c — the fault-injecting VFS of tests/common: the Nth call
** fails (over all calls, per kind, sticky), the disk fills up, power loss
** drops unsynced data, creates, removes and renames, a torn write keeps a
** prefix, the power can be cut at every sync point in turn, and handles and
** locks of before a crash are gone after it.
*/
#include "tensordb.c"
#include "test.h"
#include "fault_vfs.c"

#include <unistd.h> /* rmdir */

static TdbMem gMem;
static TdbVfs *gInner; /* memory VFS */
static TdbVfs *gFault; /* fault VFS over gInner */

static void setUp(void) {
  gInner = gFault = NULL;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &gInner), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, gInner, &gFault), TDB_OK);
  CHECK_EQ(gFault->make_dir(gFault, "db", NULL), TDB_OK);
}

static void tearDown(void) {
  tdbFaultVfsFree(gFault);
  tdbVfsMemoryFree(gInner);
  gInner = gFault = NULL;
}

static TdbVfsFile *openW(TdbVfs *vfs, const char *path) {
  TdbVfsFile *f = NULL;
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  return f;
}

/* Contents of path on vfs as a string ("<missing>" if it does not exist). */
static const char *contents(TdbVfs *vfs, const char *path) {
  static char buf[4][256];
  static int next;
  char *b = buf[next++ & 3];
  TdbVfsFile *f = NULL;
  size_t n = 0;
  int rc = vfs->open_file(vfs, path, TDB_VFS_READ, &f, NULL);
  if (rc == TDB_NOTFOUND) return "<missing>";
  CHECK_EQ(rc, TDB_OK);
  if (rc != TDB_OK) return "<error>";
  rc = f->methods->read_at(f, 0, b, sizeof buf[0] - 1, &n, NULL);
  CHECK_EQ(rc, TDB_OK);
  b[rc == TDB_OK ? n : 0] = '\0';
  tdbVfsClose(f);
  return b;
}

/* Create path with data, synced, and its directory entry synced. */
static void durableFile(const char *path, const char *data) {
  TdbVfsFile *f = openW(gFault, path);
  if (!f) return;
  CHECK_EQ(f->methods->write_at(f, 0, data, strlen(data), NULL), TDB_OK);
  CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
  tdbVfsClose(f);
  CHECK_EQ(gFault->sync_dir(gFault, "db", NULL), TDB_OK);
}

/* ---- failing calls ------------------------------------------------------------ */

static void testFailNthAny(void) {
  TdbVfsFile *f;
  TdbVfsErr err;
  uint64_t before;
  int e;
  setUp();
  f = openW(gFault, "db/a");
  if (f) {
    before = tdbFaultVfsCalls(gFault, TDB_FAULT_ANY);
    tdbFaultVfsFailAt(gFault, TDB_FAULT_ANY, 3, 0);
    CHECK_EQ(f->methods->append(f, "1", 1, NULL), TDB_OK);         /* call 1 */
    CHECK_EQ(gFault->file_exists(gFault, "db/a", &e, NULL), TDB_OK); /* call 2 */
    memset(&err, 0, sizeof err);
    CHECK_EQ(f->methods->sync_data(f, &err), TDB_IOERR_SYNC);       /* call 3 */
    CHECK_EQ(err.rc, TDB_IOERR_SYNC);
    CHECK_CONTAINS(err.msg, "injected");
    CHECK_CONTAINS(err.msg, "db/a");
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);               /* call 4: once only */
    CHECK_EQ(tdbFaultVfsCalls(gFault, TDB_FAULT_ANY), before + 4);
    CHECK_EQ(tdbFaultVfsInjected(gFault), 1);
    tdbVfsClose(f);
  }
  /* An injected open failure. */
  tdbFaultVfsFailAt(gFault, TDB_FAULT_ANY, 1, 0);
  f = (TdbVfsFile *)1;
  CHECK_EQ(gFault->open_file(gFault, "db/b", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL),
           TDB_CANTOPEN);
  CHECK(f == NULL);
  CHECK_STR(contents(gInner, "db/b"), "<missing>");
  tearDown();
}

static void testFailNthPerKindAndSticky(void) {
  TdbVfsFile *f;
  char buf[8];
  size_t n;
  setUp();
  f = openW(gFault, "db/a");
  if (f) {
    tdbFaultVfsFailAt(gFault, TDB_FAULT_WRITE, 2, 0);
    CHECK_EQ(f->methods->append(f, "a", 1, NULL), TDB_OK);
    CHECK_EQ(f->methods->read_at(f, 0, buf, 1, &n, NULL), TDB_OK); /* other kind */
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    CHECK_EQ(f->methods->append(f, "b", 1, NULL), TDB_IOERR_WRITE);
    CHECK_EQ(f->methods->append(f, "c", 1, NULL), TDB_OK);
    CHECK_STR(contents(gFault, "db/a"), "ac"); /* the failed write wrote nothing */
    /* Sticky: from the 1st read on, every read fails. */
    tdbFaultVfsFailAt(gFault, TDB_FAULT_READ, 1, 1);
    CHECK_EQ(f->methods->read_at(f, 0, buf, 1, &n, NULL), TDB_IOERR_READ);
    CHECK_EQ(f->methods->read_at(f, 0, buf, 1, &n, NULL), TDB_IOERR_READ);
    CHECK_EQ(f->methods->get_size(f, (uint64_t *)buf, NULL), TDB_IOERR_READ);
    CHECK_EQ(f->methods->append(f, "d", 1, NULL), TDB_OK); /* writes unaffected */
    tdbFaultVfsClearFaults(gFault);
    CHECK_EQ(f->methods->read_at(f, 0, buf, 3, &n, NULL), TDB_OK);
    CHECK_EQ(n, 3);
    /* Namespace and lock kinds. */
    tdbFaultVfsFailAt(gFault, TDB_FAULT_NAMESPACE, 1, 0);
    CHECK_EQ(gFault->rename_file(gFault, "db/a", "db/b", NULL), TDB_IOERR);
    CHECK_STR(contents(gFault, "db/a"), "acd");
    tdbFaultVfsFailAt(gFault, TDB_FAULT_LOCK, 1, 0);
    CHECK_EQ(f->methods->lock_file(f, NULL), TDB_IOERR);
    CHECK_EQ(f->methods->lock_file(f, NULL), TDB_OK);
    tdbFaultVfsFailAt(gFault, TDB_FAULT_SYNC, 1, 0);
    CHECK_EQ(gFault->sync_dir(gFault, "db", NULL), TDB_IOERR_SYNC);
    tdbFaultVfsFailAt(gFault, TDB_FAULT_OPEN, 0, 0); /* cancel */
    CHECK(tdbFaultVfsCalls(gFault, TDB_FAULT_WRITE) >= 4);
    CHECK(tdbFaultVfsCalls(gFault, TDB_FAULT_OPEN) >= 1);
    tdbVfsClose(f);
  }
  tearDown();
}

static void testDiskFull(void) {
  TdbVfsFile *f;
  TdbVfsErr err;
  uint64_t size = 0;
  setUp();
  f = openW(gFault, "db/wal");
  if (f) {
    tdbFaultVfsSetDiskLimit(gFault, 10);
    CHECK_EQ(f->methods->append(f, "123456", 6, NULL), TDB_OK);
    memset(&err, 0, sizeof err);
    CHECK_EQ(f->methods->append(f, "abcdef", 6, &err), TDB_FULL);
    CHECK_EQ(err.rc, TDB_FULL);
    CHECK_EQ(err.offset, 10);
    CHECK_CONTAINS(err.msg, "db/wal");
    CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
    CHECK_EQ(size, 10); /* the part that fitted */
    CHECK_STR(contents(gFault, "db/wal"), "123456abcd");
    CHECK_EQ(f->methods->write_at(f, 0, "x", 1, NULL), TDB_FULL);
    /* Syncing and reading still work on a full disk. */
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    tdbFaultVfsSetDiskLimit(gFault, -1);
    CHECK_EQ(f->methods->append(f, "!", 1, NULL), TDB_OK);
    CHECK_STR(contents(gFault, "db/wal"), "123456abcd!");
    tdbVfsClose(f);
  }
  tearDown();
}

/* ---- power loss -------------------------------------------------------------- */

static void testCrashDropsUnsyncedData(void) {
  TdbVfsFile *f;
  setUp();
  durableFile("db/log", "AAAA");
  f = NULL;
  CHECK_EQ(gFault->open_file(gFault, "db/log", TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) {
    CHECK_EQ(f->methods->append(f, "BBBB", 4, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    CHECK_EQ(f->methods->append(f, "CCCC", 4, NULL), TDB_OK);    /* unsynced */
    CHECK_EQ(f->methods->write_at(f, 0, "zz", 2, NULL), TDB_OK); /* unsynced */
    CHECK_EQ(f->methods->truncate_to(f, 3, NULL), TDB_OK);       /* unsynced */
    CHECK_STR(contents(gFault, "db/log"), "zzA");
  }
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/log"), "AAAABBBB");
  /* The old handle is dead but can be closed. */
  if (f) {
    CHECK_EQ(f->methods->append(f, "D", 1, NULL), TDB_IOERR);
    tdbVfsClose(f);
  }
  CHECK_STR(contents(gInner, "db/log"), "AAAABBBB");
  tearDown();
}

static void testCrashDropsUnsyncedCreate(void) {
  TdbVfsFile *f;
  setUp();
  /* Data synced, directory not: the file is lost. */
  f = openW(gFault, "db/000001.log");
  if (f) {
    CHECK_EQ(f->methods->append(f, "rec", 3, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  /* Directory synced, data not: the file survives, empty. */
  f = openW(gFault, "db/000002.log");
  CHECK_EQ(gFault->sync_dir(gFault, "db", NULL), TDB_OK);
  if (f) {
    CHECK_EQ(f->methods->append(f, "lost", 4, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  /* Created after the last directory sync: lost (data synced or not). */
  durableFile("db/000003.log", "kept");
  f = openW(gFault, "db/000004.log");
  tdbVfsClose(f);
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/000001.log"), "rec"); /* made durable by the later sync_dir */
  CHECK_STR(contents(gFault, "db/000002.log"), "");
  CHECK_STR(contents(gFault, "db/000003.log"), "kept");
  CHECK_STR(contents(gFault, "db/000004.log"), "<missing>");
  tearDown();

  /* Without any directory sync. */
  setUp();
  f = openW(gFault, "db/x");
  if (f) {
    CHECK_EQ(f->methods->append(f, "data", 4, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/x"), "<missing>");
  tearDown();
}

/* The CURRENT-switch protocol: write tmp, sync, rename over CURRENT. */
static void testCrashUndoesUnsyncedRename(void) {
  TdbVfsFile *f;
  setUp();
  durableFile("db/CURRENT", "MANIFEST-1");
  f = openW(gFault, "db/CURRENT.tmp");
  if (f) {
    CHECK_EQ(f->methods->append(f, "MANIFEST-2", 10, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  CHECK_EQ(gFault->rename_file(gFault, "db/CURRENT.tmp", "db/CURRENT", NULL), TDB_OK);
  CHECK_STR(contents(gFault, "db/CURRENT"), "MANIFEST-2");
  CHECK_STR(contents(gFault, "db/CURRENT.tmp"), "<missing>");
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/CURRENT"), "MANIFEST-1"); /* the old one is back */
  CHECK_STR(contents(gFault, "db/CURRENT.tmp"), "<missing>"); /* its create was not durable */
  tearDown();

  /* The same with the directory synced after the rename: durable. */
  setUp();
  durableFile("db/CURRENT", "MANIFEST-1");
  f = openW(gFault, "db/CURRENT.tmp");
  if (f) {
    CHECK_EQ(f->methods->append(f, "MANIFEST-2", 10, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  CHECK_EQ(gFault->rename_file(gFault, "db/CURRENT.tmp", "db/CURRENT", NULL), TDB_OK);
  CHECK_EQ(gFault->sync_dir(gFault, "db", NULL), TDB_OK);
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/CURRENT"), "MANIFEST-2");
  CHECK_STR(contents(gFault, "db/CURRENT.tmp"), "<missing>");
  tearDown();

  /* A durable file renamed (no replace), not synced: moves back. */
  setUp();
  durableFile("db/a", "A");
  CHECK_EQ(gFault->rename_file(gFault, "db/a", "db/b", NULL), TDB_OK);
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/a"), "A");
  CHECK_STR(contents(gFault, "db/b"), "<missing>");
  tearDown();
}

static int countEntries(void *ctx, const char *name, int is_dir) {
  TDB_UNUSED(name);
  TDB_UNUSED(is_dir);
  (*(int *)ctx)++;
  return 0;
}

static void testCrashUndoesUnsyncedRemove(void) {
  int n = 0;
  TdbVfsFile *f;
  setUp();
  durableFile("db/old.sst", "table");
  /* Unsynced data on the file before its removal is dropped too. */
  f = NULL;
  CHECK_EQ(gFault->open_file(gFault, "db/old.sst", TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) {
    CHECK_EQ(f->methods->append(f, "-more", 5, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  CHECK_EQ(gFault->remove_file(gFault, "db/old.sst", NULL), TDB_OK);
  CHECK_STR(contents(gFault, "db/old.sst"), "<missing>");
  CHECK_EQ(gFault->remove_file(gFault, "db/old.sst", NULL), TDB_NOTFOUND);
  /* The hidden grave does not show in listings. */
  CHECK_EQ(gFault->list_dir(gFault, "db", countEntries, &n, NULL), TDB_OK);
  CHECK_EQ(n, 0);
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/old.sst"), "table");
  n = 0;
  CHECK_EQ(gFault->list_dir(gFault, "db", countEntries, &n, NULL), TDB_OK);
  CHECK_EQ(n, 1);
  /* Removed and synced: gone for good, and the grave is deleted. */
  CHECK_EQ(gFault->remove_file(gFault, "db/old.sst", NULL), TDB_OK);
  CHECK_EQ(gFault->sync_dir(gFault, "db", NULL), TDB_OK);
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_STR(contents(gFault, "db/old.sst"), "<missing>");
  n = 0;
  CHECK_EQ(gInner->list_dir(gInner, "db", countEntries, &n, NULL), TDB_OK);
  CHECK_EQ(n, 0);
  /* Freeing the fault VFS with a pending removal leaves the live state. */
  durableFile("db/y", "y");
  CHECK_EQ(gFault->remove_file(gFault, "db/y", NULL), TDB_OK);
  tdbFaultVfsFree(gFault);
  gFault = NULL;
  n = 0;
  CHECK_EQ(gInner->list_dir(gInner, "db", countEntries, &n, NULL), TDB_OK);
  CHECK_EQ(n, 0);
  tearDown();
}

static void testTornWrite(void) {
  TdbVfsFile *f;
  setUp();
  durableFile("db/wal", "xxxx");
  tdbFaultVfsSetTear(gFault, 3);
  f = NULL;
  CHECK_EQ(gFault->open_file(gFault, "db/wal", TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) {
    CHECK_EQ(f->methods->append(f, "abcdef", 6, NULL), TDB_OK);
    CHECK_EQ(f->methods->append(f, "123456", 6, NULL), TDB_OK); /* the last write */
  }
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  tdbVfsClose(f);
  /* Everything unsynced is dropped except a 3-byte prefix of the last
  ** write, at its offset (the gap before it reads as zeros). */
  {
    TdbVfsFile *r = NULL;
    unsigned char buf[32];
    size_t n = 0;
    static const unsigned char want[13] = {'x', 'x', 'x', 'x', 0, 0, 0, 0, 0, 0, '1', '2', '3'};
    CHECK_EQ(gFault->open_file(gFault, "db/wal", TDB_VFS_READ, &r, NULL), TDB_OK);
    if (r) {
      CHECK_EQ(r->methods->read_at(r, 0, buf, sizeof buf, &n, NULL), TDB_OK);
      CHECK_EQ(n, 13);
      CHECK_MEM(buf, want, 13);
      tdbVfsClose(r);
    }
  }
  /* A torn overwrite in the middle keeps its prefix on the synced image. */
  durableFile("db/page", "abcdefgh");
  f = NULL;
  CHECK_EQ(gFault->open_file(gFault, "db/page", TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) {
    CHECK_EQ(f->methods->write_at(f, 2, "XYZ", 3, NULL), TDB_OK);
    CHECK_EQ(f->methods->write_at(f, 0, "QQ", 2, NULL), TDB_OK);
  }
  tdbFaultVfsSetTear(gFault, 1);
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  tdbVfsClose(f);
  CHECK_STR(contents(gFault, "db/page"), "Qbcdefgh");
  /* A synced last write is not torn. */
  f = NULL;
  CHECK_EQ(gFault->open_file(gFault, "db/page", TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) {
    CHECK_EQ(f->methods->append(f, "ij", 2, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
  }
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  tdbVfsClose(f);
  CHECK_STR(contents(gFault, "db/page"), "Qbcdefghij");
  tearDown();
}

static void testCrashAtSyncPoint(void) {
  TdbVfsFile *f, *g = NULL;
  uint64_t before;
  TdbVfsErr err;
  setUp();
  f = openW(gFault, "db/wal");
  CHECK_EQ(gFault->sync_dir(gFault, "db", NULL), TDB_OK);
  before = tdbFaultVfsSyncPoints(gFault);
  tdbFaultVfsCrashAtSync(gFault, 2);
  if (f) {
    CHECK_EQ(f->methods->append(f, "one", 3, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);               /* point +1 */
    CHECK_EQ(f->methods->append(f, "two", 3, NULL), TDB_OK);
    memset(&err, 0, sizeof err);
    CHECK_EQ(f->methods->sync_data(f, &err), TDB_IOERR_SYNC);       /* point +2: power cut */
    CHECK_CONTAINS(err.msg, "power cut");
    CHECK_EQ(tdbFaultVfsPoweredOff(gFault), 1);
    CHECK_EQ(tdbFaultVfsSyncPoints(gFault), before + 2);
    /* Everything fails while the power is off. */
    CHECK_EQ(f->methods->append(f, "three", 5, NULL) & 0xff, TDB_IOERR);
    CHECK_EQ(gFault->open_file(gFault, "db/other", TDB_VFS_WRITE | TDB_VFS_CREATE, &g, NULL),
             TDB_CANTOPEN);
    CHECK(g == NULL);
    CHECK_EQ(f->methods->sync_data(f, NULL) & 0xff, TDB_IOERR);
    CHECK_EQ(tdbFaultVfsSyncPoints(gFault), before + 2); /* not counted while off */
  }
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  CHECK_EQ(tdbFaultVfsPoweredOff(gFault), 0);
  tdbVfsClose(f);
  CHECK_STR(contents(gFault, "db/wal"), "one");
  CHECK_STR(contents(gFault, "db/other"), "<missing>");
  tearDown();
}

/* Locks and handles do not survive a crash. */
static void testCrashReleasesLocks(void) {
  TdbVfsFile *a, *b;
  setUp();
  a = openW(gFault, "db/LOCK");
  CHECK_EQ(gFault->sync_dir(gFault, "db", NULL), TDB_OK);
  if (a) CHECK_EQ(a->methods->lock_file(a, NULL), TDB_OK);
  b = openW(gFault, "db/LOCK");
  if (b) {
    CHECK_EQ(b->methods->lock_file(b, NULL), TDB_BUSY);
    tdbVfsClose(b);
  }
  CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
  b = openW(gFault, "db/LOCK");
  if (b) {
    CHECK_EQ(b->methods->lock_file(b, NULL), TDB_OK);
    tdbVfsClose(b);
  }
  if (a) {
    char c;
    size_t n;
    CHECK_EQ(a->methods->read_at(a, 0, &c, 1, &n, NULL), TDB_IOERR);
    CHECK_EQ(a->methods->unlock_file(a, NULL), TDB_OK);
    tdbVfsClose(a);
  }
  tearDown();
}

/*
** The crash-test pattern: a toy log that appends fixed-size records and
** syncs after each (a commit is acknowledged when its sync returned OK).
** Run it once to count the sync points S, then for k = 1..S cut the power at
** sync point k, crash, and check that the file holds every acknowledged
** record, whole, and nothing but a prefix of the next one.
*/
enum { kLogRecords = 8, kRecordSize = 16 };

static void recordBytes(int i, unsigned char *out) {
  int j;
  for (j = 0; j < kRecordSize; j++) out[j] = (unsigned char)('a' + (i * 3 + j) % 26);
}

/* Returns the number of acknowledged records. */
static int runLog(TdbVfs *vfs) {
  TdbVfsFile *f = NULL;
  unsigned char rec[kRecordSize];
  int i, acked = 0;
  if (vfs->open_file(vfs, "db/wal", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL) != TDB_OK) return 0;
  if (vfs->sync_dir(vfs, "db", NULL) != TDB_OK) goto out;
  for (i = 0; i < kLogRecords; i++) {
    recordBytes(i, rec);
    if (f->methods->append(f, rec, kRecordSize, NULL) != TDB_OK) break;
    if (f->methods->sync_data(f, NULL) != TDB_OK) break;
    acked++;
  }
out:
  tdbVfsClose(f);
  return acked;
}

static void testEverySyncPoint(void) {
  uint64_t total, k;
  int tear;
  setUp();
  total = tdbFaultVfsSyncPoints(gFault);
  CHECK_EQ(runLog(gFault), kLogRecords);
  total = tdbFaultVfsSyncPoints(gFault) - total;
  CHECK_EQ(total, kLogRecords + 1);
  tearDown();
  for (tear = -1; tear <= kRecordSize; tear += 5) {
    for (k = 1; k <= total; k++) {
      int acked;
      TdbVfsFile *f = NULL;
      unsigned char buf[kLogRecords * kRecordSize + 1], rec[kRecordSize];
      size_t n = 0;
      setUp();
      tdbFaultVfsSetTear(gFault, tear);
      tdbFaultVfsCrashAtSync(gFault, k);
      acked = runLog(gFault);
      CHECK(tdbFaultVfsPoweredOff(gFault));
      CHECK_EQ(tdbFaultVfsCrash(gFault), TDB_OK);
      if (gFault->open_file(gFault, "db/wal", TDB_VFS_READ, &f, NULL) == TDB_OK) {
        int i;
        CHECK_EQ(f->methods->read_at(f, 0, buf, sizeof buf, &n, NULL), TDB_OK);
        tdbVfsClose(f);
        CHECK(n >= (size_t)acked * kRecordSize);
        CHECK(n <= (size_t)acked * kRecordSize + (tear > 0 ? (size_t)tear : 0));
        for (i = 0; i * kRecordSize < (int)n; i++) {
          size_t len = TDB_MIN((size_t)kRecordSize, n - (size_t)i * kRecordSize);
          recordBytes(i, rec);
          CHECK_MEM(buf + (size_t)i * kRecordSize, rec, len);
        }
      } else {
        /* Only if the power went at the first sync point (the dir sync). */
        CHECK_EQ(k, 1);
        CHECK_EQ(acked, 0);
      }
      tearDown();
    }
  }
}

/* The model also runs over the POSIX VFS (graves are real files there). */
static void testOverPosix(void) {
  TdbVfs *posix = NULL, *fault = NULL;
  char dir[512], path[600], cur[600], tmp[600];
  const char *t = getenv("TMPDIR");
  TdbVfsFile *f = NULL;
  int n = 0;
  snprintf(dir, sizeof dir, "%s/tdb-fault-XXXXXX", t && *t ? t : "/tmp");
  CHECK(mkdtemp(dir) != NULL);
  CHECK_EQ(tdbVfsPosixNew(&gMem, &posix), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, posix, &fault), TDB_OK);
  if (!posix || !fault) goto out;
  snprintf(path, sizeof path, "%s/data", dir);
  snprintf(cur, sizeof cur, "%s/CURRENT", dir);
  snprintf(tmp, sizeof tmp, "%s/CURRENT.tmp", dir);
  f = openW(fault, cur);
  if (f) {
    CHECK_EQ(f->methods->append(f, "v1", 2, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  CHECK_EQ(fault->sync_dir(fault, dir, NULL), TDB_OK);
  f = openW(fault, tmp);
  if (f) {
    CHECK_EQ(f->methods->append(f, "v2", 2, NULL), TDB_OK);
    CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  CHECK_EQ(fault->rename_file(fault, tmp, cur, NULL), TDB_OK);
  f = openW(fault, path);
  tdbVfsClose(f);
  CHECK_EQ(tdbFaultVfsCrash(fault), TDB_OK);
  CHECK_STR(contents(fault, cur), "v1");
  CHECK_STR(contents(fault, tmp), "<missing>");
  CHECK_STR(contents(fault, path), "<missing>");
  CHECK_EQ(posix->list_dir(posix, dir, countEntries, &n, NULL), TDB_OK);
  CHECK_EQ(n, 1); /* CURRENT only: no graves left behind */
  CHECK_EQ(posix->remove_file(posix, cur, NULL), TDB_OK);
out:
  tdbFaultVfsFree(fault);
  tdbVfsPosixFree(posix);
  rmdir(dir);
}

/* Allocation failures inside the fault VFS: errors, never crashes/leaks. */
static int faultScenario(TdbMem *mem) {
  TdbVfs *inner = NULL, *fault = NULL;
  TdbVfsFile *f = NULL;
  int rc, n = 0;
  rc = tdbVfsMemoryNew(mem, &inner);
  if (rc == TDB_OK) rc = tdbFaultVfsNew(mem, inner, &fault);
  if (rc == TDB_OK) rc = fault->make_dir(fault, "d", NULL);
  if (rc == TDB_OK) rc = fault->open_file(fault, "d/a", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL);
  if (rc == TDB_OK) rc = f->methods->append(f, "abc", 3, NULL);
  if (rc == TDB_OK) rc = f->methods->write_at(f, 1, "Z", 1, NULL);
  if (rc == TDB_OK) rc = f->methods->truncate_to(f, 2, NULL);
  tdbVfsClose(f);
  f = NULL;
  if (rc == TDB_OK) rc = fault->open_file(fault, "d/b", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL);
  tdbVfsClose(f);
  if (rc == TDB_OK) rc = fault->rename_file(fault, "d/a", "d/b", NULL);
  if (rc == TDB_OK) rc = fault->list_dir(fault, "d", countEntries, &n, NULL);
  if (rc == TDB_OK) rc = fault->remove_file(fault, "d/b", NULL);
  if (rc == TDB_OK) rc = tdbFaultVfsCrash(fault);
  tdbFaultVfsFree(fault);
  tdbVfsMemoryFree(inner);
  return rc;
}

static void testFaultOutOfMemory(void) {
  long n;
  int ok = 0;
  for (n = 1; n < 400 && !ok; n++) {
    TdbTestAlloc a;
    tdb_allocator hooks;
    TdbMem mem;
    int rc;
    memset(&a, 0, sizeof a);
    a.fail_at = n;
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    rc = faultScenario(&mem);
    if (rc == TDB_OK) ok = 1;
    else if (rc != TDB_NOMEM) tdbTestFail(__FILE__, __LINE__, "fail_at %ld: rc %d", n, rc);
    CHECK_EQ(a.live, 0);
  }
  CHECK(ok);
}

int main(void) {
  tdbMemInit(&gMem, NULL);
  TEST_RUN(testFailNthAny);
  TEST_RUN(testFailNthPerKindAndSticky);
  TEST_RUN(testDiskFull);
  TEST_RUN(testCrashDropsUnsyncedData);
  TEST_RUN(testCrashDropsUnsyncedCreate);
  TEST_RUN(testCrashUndoesUnsyncedRename);
  TEST_RUN(testCrashUndoesUnsyncedRemove);
  TEST_RUN(testTornWrite);
  TEST_RUN(testCrashAtSyncPoint);
  TEST_RUN(testCrashReleasesLocks);
  TEST_RUN(testEverySyncPoint);
  TEST_RUN(testOverPosix);
  TEST_RUN(testFaultOutOfMemory);
  return tdbTestFinish();
}
