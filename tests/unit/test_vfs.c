/*
** test_vfs.c — the same behavioural tests against the POSIX VFS (in a fresh
** mkdtemp directory) and the memory VFS: create/write/read/append/size,
** gaps and truncation read as zeros, rename replacing atomically, remove,
** list, mkdir, locks (a second lock is TDB_BUSY), mmap, error codes and
** messages for missing files; plus the shared helpers (error messages,
** dirname) and allocation-failure sweeps of the memory VFS.
*/
#include "tensordb.c"
#include "test.h"

#include <unistd.h> /* rmdir, for cleaning the temporary directory */

static TdbVfs *gVfs;        /* the VFS under test */
static char gRoot[512];     /* a directory of it, empty at the start */
static TdbMem gMem;

/* root/name in one of a few rotating buffers. */
static const char *P(const char *name) {
  static char bufs[4][640];
  static int next;
  char *b = bufs[next++ & 3];
  snprintf(b, sizeof bufs[0], "%s/%s", gRoot, name);
  return b;
}

static int writeFile(const char *path, const char *data) {
  TdbVfsFile *f = NULL;
  int rc = gVfs->open_file(gVfs, path, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL);
  if (rc != TDB_OK) return rc;
  rc = f->methods->truncate_to(f, 0, NULL);
  if (rc == TDB_OK) rc = f->methods->write_at(f, 0, data, strlen(data), NULL);
  if (rc == TDB_OK) rc = f->methods->sync_data(f, NULL);
  tdbVfsClose(f);
  return rc;
}

/* The whole file as a NUL-terminated string in buf (cap bytes), or "" on
** error (and a failed check). */
static const char *readFile(const char *path, char *buf, size_t cap) {
  TdbVfsFile *f = NULL;
  size_t n = 0;
  int rc = gVfs->open_file(gVfs, path, TDB_VFS_READ, &f, NULL);
  buf[0] = '\0';
  CHECK_EQ(rc, TDB_OK);
  if (rc != TDB_OK) return buf;
  rc = f->methods->read_at(f, 0, buf, cap - 1, &n, NULL);
  CHECK_EQ(rc, TDB_OK);
  buf[rc == TDB_OK ? n : 0] = '\0';
  tdbVfsClose(f);
  return buf;
}

static int existsPath(const char *path) {
  int e = -1;
  CHECK_EQ(gVfs->file_exists(gVfs, path, &e, NULL), TDB_OK);
  return e;
}

/* ---- list collector ---------------------------------------------------------- */

typedef struct Listing {
  char names[16][64];
  int isdir[16];
  int n;
  int stop_after;   /* 0: never stop */
} Listing;

static int collect(void *ctx, const char *name, int is_dir) {
  Listing *l = (Listing *)ctx;
  if (l->n < 16) {
    snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    l->isdir[l->n] = is_dir;
  }
  l->n++;
  return l->stop_after && l->n >= l->stop_after;
}

/* Index of name in the listing, or -1. */
static int listed(const Listing *l, const char *name) {
  int i;
  for (i = 0; i < l->n && i < 16; i++) {
    if (strcmp(l->names[i], name) == 0) return i;
  }
  return -1;
}

/* ---- the behavioural tests (run for each VFS) --------------------------------- */

static void tCreateWriteRead(void) {
  TdbVfsFile *f = NULL;
  char buf[64];
  size_t n = 99;
  uint64_t size = 0;
  CHECK_EQ(gVfs->open_file(gVfs, P("a"), TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  CHECK(f != NULL);
  if (!f) return;
  CHECK_STR(f->path, P("a"));
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  CHECK_EQ(size, 0);
  CHECK_EQ(f->methods->write_at(f, 0, "hello", 5, NULL), TDB_OK);
  CHECK_EQ(f->methods->append(f, " world", 6, NULL), TDB_OK);
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  CHECK_EQ(size, 11);
  CHECK_EQ(f->methods->read_at(f, 0, buf, sizeof buf, &n, NULL), TDB_OK);
  CHECK_EQ(n, 11);
  CHECK_MEM(buf, "hello world", 11);
  CHECK_EQ(f->methods->read_at(f, 6, buf, 5, &n, NULL), TDB_OK);
  CHECK_EQ(n, 5);
  CHECK_MEM(buf, "world", 5);
  CHECK_EQ(f->methods->read_at(f, 8, buf, 10, &n, NULL), TDB_OK); /* short */
  CHECK_EQ(n, 3);
  CHECK_EQ(f->methods->read_at(f, 11, buf, 10, &n, NULL), TDB_OK); /* at end */
  CHECK_EQ(n, 0);
  CHECK_EQ(f->methods->read_at(f, 1000, buf, 10, &n, NULL), TDB_OK); /* past */
  CHECK_EQ(n, 0);
  CHECK_EQ(f->methods->write_at(f, 0, "J", 1, NULL), TDB_OK);      /* overwrite */
  CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
  tdbVfsClose(f);
  tdbVfsClose(NULL);
  CHECK_STR(readFile(P("a"), buf, sizeof buf), "Jello world");
  /* Reopen for writing without CREATE: the content stays; append continues. */
  f = NULL;
  CHECK_EQ(gVfs->open_file(gVfs, P("a"), TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) {
    CHECK_EQ(f->methods->append(f, "!", 1, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  CHECK_STR(readFile(P("a"), buf, sizeof buf), "Jello world!");
  CHECK_EQ(existsPath(P("a")), 1);
}

static void tGapAndTruncate(void) {
  TdbVfsFile *f = NULL;
  unsigned char buf[200];
  size_t n = 0, i;
  uint64_t size = 0;
  int zeros = 1;
  CHECK_EQ(gVfs->open_file(gVfs, P("gap"), TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  if (!f) return;
  CHECK_EQ(f->methods->write_at(f, 100, "xyz", 3, NULL), TDB_OK);
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  CHECK_EQ(size, 103);
  CHECK_EQ(f->methods->read_at(f, 0, buf, sizeof buf, &n, NULL), TDB_OK);
  CHECK_EQ(n, 103);
  for (i = 0; i < 100; i++) zeros &= buf[i] == 0;
  CHECK(zeros);
  CHECK_MEM(buf + 100, "xyz", 3);
  /* Shrink, then grow: the regrown bytes are zeros, not the old data. */
  CHECK_EQ(f->methods->truncate_to(f, 101, NULL), TDB_OK);
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  CHECK_EQ(size, 101);
  CHECK_EQ(f->methods->truncate_to(f, 150, NULL), TDB_OK);
  CHECK_EQ(f->methods->read_at(f, 99, buf, sizeof buf, &n, NULL), TDB_OK);
  CHECK_EQ(n, 51);
  CHECK_EQ(buf[0], 0);
  CHECK_EQ(buf[1], 'x');
  CHECK_EQ(buf[2], 0);
  CHECK_EQ(buf[3], 0);
  /* append goes to the new end */
  CHECK_EQ(f->methods->append(f, "E", 1, NULL), TDB_OK);
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  CHECK_EQ(size, 151);
  CHECK_EQ(f->methods->truncate_to(f, 0, NULL), TDB_OK);
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  CHECK_EQ(size, 0);
  tdbVfsClose(f);
}

static void tRenameReplace(void) {
  char buf[64];
  TdbVfsFile *old = NULL;
  size_t n = 0;
  TdbVfsErr err;
  CHECK_EQ(writeFile(P("CURRENT"), "old"), TDB_OK);
  CHECK_EQ(writeFile(P("CURRENT.tmp"), "new"), TDB_OK);
  /* A handle on the file being replaced keeps reading it. */
  CHECK_EQ(gVfs->open_file(gVfs, P("CURRENT"), TDB_VFS_READ, &old, NULL), TDB_OK);
  CHECK_EQ(gVfs->rename_file(gVfs, P("CURRENT.tmp"), P("CURRENT"), NULL), TDB_OK);
  CHECK_EQ(gVfs->sync_dir(gVfs, gRoot, NULL), TDB_OK);
  CHECK_EQ(existsPath(P("CURRENT.tmp")), 0);
  CHECK_STR(readFile(P("CURRENT"), buf, sizeof buf), "new");
  if (old) {
    CHECK_EQ(old->methods->read_at(old, 0, buf, sizeof buf, &n, NULL), TDB_OK);
    CHECK_EQ(n, 3);
    CHECK_MEM(buf, "old", 3);
    tdbVfsClose(old);
  }
  /* Rename to a new name, and onto itself. */
  CHECK_EQ(gVfs->rename_file(gVfs, P("CURRENT"), P("MOVED"), NULL), TDB_OK);
  CHECK_EQ(existsPath(P("CURRENT")), 0);
  CHECK_EQ(gVfs->rename_file(gVfs, P("MOVED"), P("MOVED"), NULL), TDB_OK);
  CHECK_STR(readFile(P("MOVED"), buf, sizeof buf), "new");
  /* A missing source. */
  memset(&err, 0, sizeof err);
  CHECK_EQ(gVfs->rename_file(gVfs, P("nope"), P("MOVED"), &err), TDB_NOTFOUND);
  CHECK_EQ(err.rc, TDB_NOTFOUND);
  CHECK_CONTAINS(err.msg, "rename");
  CHECK_CONTAINS(err.msg, P("nope"));
  CHECK_CONTAINS(err.msg, P("MOVED"));
  CHECK_STR(readFile(P("MOVED"), buf, sizeof buf), "new");
  /* Into a missing directory. */
  CHECK_EQ(gVfs->rename_file(gVfs, P("MOVED"), P("nodir/x"), NULL), TDB_NOTFOUND);
  CHECK_EQ(existsPath(P("MOVED")), 1);
}

static void tRemove(void) {
  TdbVfsFile *f = NULL;
  char buf[16];
  size_t n = 0;
  TdbVfsErr err;
  CHECK_EQ(writeFile(P("victim"), "data"), TDB_OK);
  CHECK_EQ(gVfs->open_file(gVfs, P("victim"), TDB_VFS_READ, &f, NULL), TDB_OK);
  CHECK_EQ(gVfs->remove_file(gVfs, P("victim"), NULL), TDB_OK);
  CHECK_EQ(existsPath(P("victim")), 0);
  /* The open handle still reads the data (POSIX unlink semantics). */
  if (f) {
    CHECK_EQ(f->methods->read_at(f, 0, buf, sizeof buf, &n, NULL), TDB_OK);
    CHECK_EQ(n, 4);
    tdbVfsClose(f);
  }
  memset(&err, 0, sizeof err);
  CHECK_EQ(gVfs->remove_file(gVfs, P("victim"), &err), TDB_NOTFOUND);
  CHECK_EQ(err.rc, TDB_NOTFOUND);
  CHECK_CONTAINS(err.msg, P("victim"));
  /* A name can be created again after removal. */
  CHECK_EQ(writeFile(P("victim"), "again"), TDB_OK);
  CHECK_STR(readFile(P("victim"), buf, sizeof buf), "again");
}

static void tList(void) {
  Listing l;
  TdbVfsErr err;
  char sub[600];
  memset(&l, 0, sizeof l);
  CHECK_EQ(writeFile(P("x1"), "1"), TDB_OK);
  CHECK_EQ(writeFile(P("x2"), "2"), TDB_OK);
  CHECK_EQ(gVfs->make_dir(gVfs, P("sub"), NULL), TDB_OK);
  snprintf(sub, sizeof sub, "%s/sub/inner", gRoot);
  CHECK_EQ(writeFile(sub, "deep"), TDB_OK);
  CHECK_EQ(gVfs->list_dir(gVfs, gRoot, collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 3);
  CHECK(listed(&l, "x1") >= 0 && !l.isdir[listed(&l, "x1")]);
  CHECK(listed(&l, "x2") >= 0 && !l.isdir[listed(&l, "x2")]);
  CHECK(listed(&l, "sub") >= 0 && l.isdir[listed(&l, "sub")]);
  CHECK(listed(&l, "inner") < 0);
  /* The subdirectory lists its own entry only. */
  memset(&l, 0, sizeof l);
  CHECK_EQ(gVfs->list_dir(gVfs, P("sub"), collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 1);
  CHECK(listed(&l, "inner") == 0);
  /* A trailing slash names the same directory. */
  memset(&l, 0, sizeof l);
  CHECK_EQ(gVfs->list_dir(gVfs, P("sub/"), collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 1);
  /* Stopping early. */
  memset(&l, 0, sizeof l);
  l.stop_after = 1;
  CHECK_EQ(gVfs->list_dir(gVfs, gRoot, collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 1);
  /* Missing directory. */
  memset(&l, 0, sizeof l);
  memset(&err, 0, sizeof err);
  CHECK_EQ(gVfs->list_dir(gVfs, P("missing"), collect, &l, &err), TDB_NOTFOUND);
  CHECK_EQ(l.n, 0);
  CHECK_CONTAINS(err.msg, P("missing"));
  /* Removing everything empties it. */
  CHECK_EQ(gVfs->remove_file(gVfs, sub, NULL), TDB_OK);
  memset(&l, 0, sizeof l);
  CHECK_EQ(gVfs->list_dir(gVfs, P("sub"), collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 0);
}

static void tMkdir(void) {
  TdbVfsFile *f = NULL;
  TdbVfsErr err;
  CHECK_EQ(gVfs->make_dir(gVfs, P("d"), NULL), TDB_OK);
  CHECK_EQ(gVfs->make_dir(gVfs, P("d"), NULL), TDB_OK); /* already there */
  CHECK_EQ(existsPath(P("d")), 1);
  CHECK_EQ(gVfs->make_dir(gVfs, P("no/such/parent"), NULL), TDB_NOTFOUND);
  CHECK_EQ(writeFile(P("plain"), "f"), TDB_OK);
  CHECK(gVfs->make_dir(gVfs, P("plain"), NULL) != TDB_OK); /* a file is there */
  /* A directory cannot be opened as a file, nor removed as one. */
  memset(&err, 0, sizeof err);
  CHECK_EQ(gVfs->open_file(gVfs, P("d"), TDB_VFS_READ, &f, &err), TDB_CANTOPEN);
  CHECK(f == NULL);
  CHECK_CONTAINS(err.msg, P("d"));
  CHECK(gVfs->remove_file(gVfs, P("d"), NULL) != TDB_OK);
  CHECK_EQ(existsPath(P("d")), 1);
  CHECK_EQ(gVfs->sync_dir(gVfs, P("d"), NULL), TDB_OK);
  CHECK_EQ(gVfs->sync_dir(gVfs, P("nodir"), NULL), TDB_NOTFOUND);
}

static void tLockTwice(void) {
  TdbVfsFile *a = NULL, *b = NULL;
  TdbVfsErr err;
  CHECK_EQ(gVfs->open_file(gVfs, P("LOCK"), TDB_VFS_WRITE | TDB_VFS_CREATE, &a, NULL), TDB_OK);
  CHECK_EQ(gVfs->open_file(gVfs, P("LOCK"), TDB_VFS_WRITE | TDB_VFS_CREATE, &b, NULL), TDB_OK);
  if (!a || !b) {
    tdbVfsClose(a);
    tdbVfsClose(b);
    return;
  }
  CHECK_EQ(a->methods->lock_file(a, NULL), TDB_OK);
  memset(&err, 0, sizeof err);
  CHECK_EQ(b->methods->lock_file(b, &err), TDB_BUSY);
  CHECK_EQ(err.rc, TDB_BUSY);
  CHECK_CONTAINS(err.msg, P("LOCK"));
  CHECK_EQ(a->methods->lock_file(a, NULL), TDB_OK); /* re-lock by the holder */
  CHECK_EQ(a->methods->unlock_file(a, NULL), TDB_OK);
  CHECK_EQ(b->methods->lock_file(b, NULL), TDB_OK);
  CHECK_EQ(a->methods->lock_file(a, NULL), TDB_BUSY);
  tdbVfsClose(b); /* closing releases the lock */
  CHECK_EQ(a->methods->lock_file(a, NULL), TDB_OK);
  CHECK_EQ(a->methods->unlock_file(a, NULL), TDB_OK);
  CHECK_EQ(a->methods->unlock_file(a, NULL), TDB_OK); /* not held: fine */
  tdbVfsClose(a);
}

static void tOpenErrors(void) {
  TdbVfsFile *f = (TdbVfsFile *)1;
  TdbVfsErr err;
  memset(&err, 0, sizeof err);
  CHECK_EQ(gVfs->open_file(gVfs, P("absent"), TDB_VFS_READ, &f, &err), TDB_NOTFOUND);
  CHECK(f == NULL);
  CHECK_EQ(err.rc, TDB_NOTFOUND);
  CHECK_EQ(err.offset, -1);
  CHECK_CONTAINS(err.msg, "open");
  CHECK_CONTAINS(err.msg, P("absent"));
  CHECK_EQ(gVfs->open_file(gVfs, P("absent"), TDB_VFS_WRITE, &f, NULL), TDB_NOTFOUND);
  CHECK_EQ(existsPath(P("absent")), 0);
  /* Exclusive create of an existing file. */
  CHECK_EQ(gVfs->open_file(gVfs, P("excl"), TDB_VFS_WRITE | TDB_VFS_CREATE | TDB_VFS_EXCLUSIVE,
                           &f, NULL), TDB_OK);
  tdbVfsClose(f);
  f = NULL;
  CHECK_EQ(gVfs->open_file(gVfs, P("excl"), TDB_VFS_WRITE | TDB_VFS_CREATE | TDB_VFS_EXCLUSIVE,
                           &f, NULL), TDB_CANTOPEN);
  CHECK(f == NULL);
  /* Creating in a missing directory. */
  CHECK_EQ(gVfs->open_file(gVfs, P("nodir/file"), TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL),
           TDB_NOTFOUND);
  /* Writing through a read-only handle. */
  CHECK_EQ(gVfs->open_file(gVfs, P("excl"), TDB_VFS_READ, &f, NULL), TDB_OK);
  if (f) {
    memset(&err, 0, sizeof err);
    CHECK_EQ(f->methods->write_at(f, 0, "x", 1, &err), TDB_IOERR_WRITE);
    CHECK_EQ(err.rc, TDB_IOERR_WRITE);
    CHECK_CONTAINS(err.msg, P("excl"));
    CHECK_EQ(f->methods->truncate_to(f, 10, NULL) & 0xff, TDB_IOERR);
    tdbVfsClose(f);
  }
  /* No error struct at all is fine. */
  CHECK_EQ(gVfs->remove_file(gVfs, P("absent"), NULL), TDB_NOTFOUND);
}

static void tMap(void) {
  TdbVfsFile *f = NULL;
  const void *p = (const void *)1;
  unsigned char data[10000];
  size_t i;
  for (i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 7);
  CHECK_EQ(gVfs->open_file(gVfs, P("mapped"), TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  if (!f) return;
  CHECK_EQ(f->methods->map_file(f, 0, &p, NULL), TDB_OK);
  CHECK(p == NULL); /* len 0: not available */
  CHECK_EQ(f->methods->write_at(f, 0, data, sizeof data, NULL), TDB_OK);
  CHECK_EQ(f->methods->map_file(f, sizeof data, &p, NULL), TDB_OK);
  if (p) {
    CHECK_MEM(p, data, sizeof data);
    f->methods->unmap_file(f, p, sizeof data);
  }
  /* after unmapping, writes work */
  CHECK_EQ(f->methods->write_at(f, 0, "z", 1, NULL), TDB_OK);
  f->methods->unmap_file(f, NULL, 0); /* NULL is a no-op */
  tdbVfsClose(f);
}

static void tLargeFile(void) {
  TdbVfsFile *f = NULL;
  size_t n = 1 << 20, got = 0, i;
  unsigned char *a = malloc(n), *b = malloc(n);
  uint64_t seed = 3, size = 0;
  CHECK(a && b);
  if (!a || !b) goto out;
  for (i = 0; i < n; i++) a[i] = (unsigned char)tdbTestRand(&seed);
  CHECK_EQ(gVfs->open_file(gVfs, P("big"), TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  if (!f) goto out;
  for (i = 0; i < n; i += 4096) CHECK_EQ(f->methods->append(f, a + i, 4096, NULL), TDB_OK);
  CHECK_EQ(f->methods->sync_data(f, NULL), TDB_OK);
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  CHECK_EQ(size, n);
  CHECK_EQ(f->methods->read_at(f, 0, b, n, &got, NULL), TDB_OK);
  CHECK_EQ(got, n);
  CHECK_MEM(a, b, n);
  CHECK_EQ(tdbVfsReadExact(f, n - 10, b, 10, NULL), TDB_OK);
  CHECK_MEM(b, a + n - 10, 10);
  tdbVfsClose(f);
out:
  free(a);
  free(b);
}

static void tReadExactAndMessages(void) {
  TdbVfsFile *f = NULL;
  char buf[32];
  TdbVfsErr err;
  CHECK_EQ(writeFile(P("short"), "12345"), TDB_OK);
  CHECK_EQ(gVfs->open_file(gVfs, P("short"), TDB_VFS_READ, &f, NULL), TDB_OK);
  if (!f) return;
  CHECK_EQ(tdbVfsReadExact(f, 0, buf, 5, NULL), TDB_OK);
  memset(&err, 0, sizeof err);
  CHECK_EQ(tdbVfsReadExact(f, 2, buf, 10, &err), TDB_CORRUPT);
  CHECK_EQ(err.rc, TDB_CORRUPT);
  CHECK_EQ(err.offset, 2);
  CHECK_CONTAINS(err.msg, "short read (3 of 10 bytes)");
  CHECK_CONTAINS(err.msg, "at offset 2");
  CHECK_CONTAINS(err.msg, P("short"));
  tdbVfsClose(f);
}

static void tClock(void) {
  int64_t a = gVfs->now_us(gVfs), b = gVfs->now_us(gVfs);
  CHECK(a > INT64_C(1577836800000000)); /* after 2020-01-01 */
  CHECK(b >= a - 1000000);              /* wall clock, roughly monotonic */
}

typedef struct Case {
  const char *name;
  TdbTestFn fn;
} Case;

static const Case kCases[] = {
  {"create_write_read", tCreateWriteRead},
  {"gap_and_truncate", tGapAndTruncate},
  {"rename_replace", tRenameReplace},
  {"remove", tRemove},
  {"list", tList},
  {"mkdir", tMkdir},
  {"lock_twice", tLockTwice},
  {"open_errors", tOpenErrors},
  {"map", tMap},
  {"large_file", tLargeFile},
  {"read_exact_and_messages", tReadExactAndMessages},
  {"clock", tClock},
};

/* ---- backends ---------------------------------------------------------------- */

/* Remove everything under dir (posix), then dir itself. */
static void removeTree(TdbVfs *vfs, const char *dir) {
  Listing l;
  int i;
  char path[1024];
  memset(&l, 0, sizeof l);
  if (vfs->list_dir(vfs, dir, collect, &l, NULL) != TDB_OK) return;
  for (i = 0; i < l.n && i < 16; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, l.names[i]);
    if (l.isdir[i]) {
      removeTree(vfs, path);
    } else {
      vfs->remove_file(vfs, path, NULL);
    }
  }
  if (l.n > 16) removeTree(vfs, dir); /* more than one batch */
  else rmdir(dir);
}

static void runSuite(const char *backend) {
  size_t i;
  char name[128];
  for (i = 0; i < TDB_ARRAY_LEN(kCases); i++) {
    int made;
    /* A fresh directory per case. */
    if (strcmp(backend, "posix") == 0) {
      const char *tmp = getenv("TMPDIR");
      snprintf(gRoot, sizeof gRoot, "%s/tdb-vfs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
      made = mkdtemp(gRoot) != NULL;
    } else {
      snprintf(gRoot, sizeof gRoot, "mem%u", (unsigned)i);
      made = gVfs->make_dir(gVfs, gRoot, NULL) == TDB_OK;
    }
    snprintf(name, sizeof name, "%s/%s", backend, kCases[i].name);
    if (!made) {
      tdbTestCurrent = name;
      tdbTestFail(__FILE__, __LINE__, "cannot create the test directory %s", gRoot);
      tdbTestFailed++;
      continue;
    }
    tdbTestRunNamed(name, kCases[i].fn);
    if (strcmp(backend, "posix") == 0) removeTree(gVfs, gRoot);
  }
}

/* ---- helpers of vfs.c -------------------------------------------------------- */

static void testDirLen(void) {
  CHECK_EQ(tdbVfsDirLen("a/b/c"), 3);
  CHECK_EQ(tdbVfsDirLen("c"), 0);
  CHECK_EQ(tdbVfsDirLen("/c"), 1);
  CHECK_EQ(tdbVfsDirLen("a//c"), 1);
  CHECK_EQ(tdbVfsDirLen("a/b/"), 1);
  CHECK_EQ(tdbVfsDirLen("/"), 1);
  CHECK_EQ(tdbVfsDirLen(""), 0);
}

static void testErrMessages(void) {
  TdbVfsErr err;
  char longpath[600];
  CHECK_EQ(tdbVfsErrSet(NULL, TDB_IOERR_READ, "pread", "/x", 1, 5, NULL), TDB_IOERR_READ);
  CHECK_EQ(tdbVfsErrSet(&err, TDB_IOERR_READ, "pread", "/db/000012.sst", 8192, 0,
                        "Input/output error"), TDB_IOERR_READ);
  CHECK_STR(err.msg, "pread '/db/000012.sst' at offset 8192: Input/output error");
  CHECK_EQ(err.rc, TDB_IOERR_READ);
  CHECK_EQ(err.offset, 8192);
  CHECK_EQ(err.sys_errno, 0);
  tdbVfsErrSet(&err, TDB_NOTFOUND, "open", "f", -1, ENOENT, NULL);
  CHECK_EQ(err.sys_errno, ENOENT);
  CHECK(strncmp(err.msg, "open 'f': ", 10) == 0 && strlen(err.msg) > 10);
  tdbVfsErrSet(&err, TDB_IOERR, "sync", NULL, -1, 0, NULL);
  CHECK_STR(err.msg, "sync");
  tdbVfsErrSetPair(&err, TDB_IOERR, "rename", "a", "b", -1, 0, "why");
  CHECK_STR(err.msg, "rename 'a' -> 'b': why");
  /* A very long path is shortened in the middle; offset and reason stay. */
  memset(longpath, 'p', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = '\0';
  longpath[0] = '/';
  longpath[sizeof longpath - 2] = 'Z';
  tdbVfsErrSet(&err, TDB_IOERR_WRITE, "pwrite", longpath, 123456789, 0, "disk on fire");
  CHECK(strlen(err.msg) < sizeof err.msg);
  CHECK_CONTAINS(err.msg, "...");
  CHECK_CONTAINS(err.msg, "Z' at offset 123456789: disk on fire");
  CHECK(strncmp(err.msg, "pwrite '/ppp", 12) == 0);
  tdbVfsErrSetPair(&err, TDB_IOERR, "rename", longpath, longpath, -1, 0, "x");
  CHECK(strlen(err.msg) < sizeof err.msg);
  CHECK_CONTAINS(err.msg, "' -> '/");
  CHECK_CONTAINS(err.msg, "Z': x");
}

/* Memory VFS path normalisation: spellings of one path name one file. */
static void testMemoryPaths(void) {
  TdbVfs *vfs = NULL;
  TdbVfsFile *f = NULL;
  int e = 0;
  Listing l;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &vfs), TDB_OK);
  if (!vfs) return;
  CHECK_EQ(vfs->make_dir(vfs, "db", NULL), TDB_OK);
  CHECK_EQ(vfs->open_file(vfs, "db//x", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  tdbVfsClose(f);
  CHECK_EQ(vfs->file_exists(vfs, "./db/x", &e, NULL), TDB_OK);
  CHECK_EQ(e, 1);
  CHECK_EQ(vfs->file_exists(vfs, "db/", &e, NULL), TDB_OK);
  CHECK_EQ(e, 1);
  CHECK_EQ(vfs->open_file(vfs, "top", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  tdbVfsClose(f);
  memset(&l, 0, sizeof l);
  CHECK_EQ(vfs->list_dir(vfs, "", collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 2); /* db and top */
  CHECK(listed(&l, "db") >= 0 && listed(&l, "top") >= 0);
  memset(&l, 0, sizeof l);
  CHECK_EQ(vfs->list_dir(vfs, ".", collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 2);
  CHECK_EQ(vfs->open_file(vfs, "/abs", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
  tdbVfsClose(f);
  memset(&l, 0, sizeof l);
  CHECK_EQ(vfs->list_dir(vfs, "/", collect, &l, NULL), TDB_OK);
  CHECK_EQ(l.n, 1);
  CHECK(listed(&l, "abs") == 0);
  /* Listing a file is an error, not a crash. */
  CHECK(vfs->list_dir(vfs, "top", collect, &l, NULL) != TDB_OK);
  /* Files still open when their name goes, and mapped files refuse writes. */
  CHECK_EQ(vfs->open_file(vfs, "db/x", TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) {
    const void *p = NULL;
    CHECK_EQ(f->methods->write_at(f, 0, "abc", 3, NULL), TDB_OK);
    CHECK_EQ(f->methods->map_file(f, 3, &p, NULL), TDB_OK);
    CHECK(p != NULL);
    CHECK_EQ(f->methods->write_at(f, 0, "z", 1, NULL), TDB_IOERR_WRITE);
    CHECK_EQ(f->methods->map_file(f, 4, &p, NULL), TDB_OK); /* beyond EOF */
    CHECK(p == NULL);
    CHECK_EQ(vfs->remove_file(vfs, "db/x", NULL), TDB_OK);
    tdbVfsClose(f); /* closing with a live mapping drops it */
  }
  tdbVfsMemoryFree(vfs);
  tdbVfsMemoryFree(NULL);
}

/* A scenario over the memory VFS with a given allocator; TDB_OK or the
** first failure. Cleans up on every path. */
static int memoryScenario(TdbMem *mem) {
  TdbVfs *vfs = NULL;
  TdbVfsFile *f = NULL;
  Listing l;
  int rc = tdbVfsMemoryNew(mem, &vfs);
  if (rc != TDB_OK) return rc;
  rc = vfs->make_dir(vfs, "db", NULL);
  if (rc == TDB_OK) rc = vfs->open_file(vfs, "db/a", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL);
  if (rc == TDB_OK) rc = f->methods->append(f, "0123456789", 10, NULL);
  if (rc == TDB_OK) rc = f->methods->truncate_to(f, 5000, NULL);
  tdbVfsClose(f);
  f = NULL;
  if (rc == TDB_OK) rc = vfs->open_file(vfs, "db/b", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL);
  tdbVfsClose(f);
  if (rc == TDB_OK) rc = vfs->rename_file(vfs, "db/a", "db/b", NULL);
  memset(&l, 0, sizeof l);
  if (rc == TDB_OK) rc = vfs->list_dir(vfs, "db", collect, &l, NULL);
  if (rc == TDB_OK && l.n != 1) rc = TDB_INTERNAL;
  if (rc == TDB_OK) {
    int e = 0;
    rc = vfs->file_exists(vfs, "db/b", &e, NULL);
    if (rc == TDB_OK && !e) rc = TDB_INTERNAL;
  }
  if (rc == TDB_OK) rc = vfs->sync_dir(vfs, "db", NULL);
  if (rc == TDB_OK) rc = vfs->remove_file(vfs, "db/b", NULL);
  tdbVfsMemoryFree(vfs);
  return rc;
}

/* Fail the 1st, 2nd, ... allocation: every run returns TDB_NOMEM or OK,
** never crashes, and frees everything (live == 0). */
static void testMemoryOutOfMemory(void) {
  long n;
  int ok = 0;
  for (n = 1; n < 200 && !ok; n++) {
    TdbTestAlloc a;
    tdb_allocator hooks;
    TdbMem mem;
    int rc;
    memset(&a, 0, sizeof a);
    a.fail_at = n;
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    rc = memoryScenario(&mem);
    if (rc == TDB_OK) ok = 1;
    else CHECK_EQ(rc, TDB_NOMEM);
    CHECK_EQ(a.live, 0);
  }
  CHECK(ok);
}

int main(void) {
  tdbMemInit(&gMem, NULL);
  TEST_RUN(testDirLen);
  TEST_RUN(testErrMessages);
  TEST_RUN(testMemoryPaths);
  TEST_RUN(testMemoryOutOfMemory);
  if (tdbVfsPosixNew(&gMem, &gVfs) == TDB_OK) {
    runSuite("posix");
    tdbVfsPosixFree(gVfs);
  } else {
    printf("FAIL cannot create the posix VFS\n");
    tdbTestFailed++;
  }
  tdbVfsPosixFree(NULL);
  if (tdbVfsMemoryNew(&gMem, &gVfs) == TDB_OK) {
    runSuite("memory");
    tdbVfsMemoryFree(gVfs);
  } else {
    printf("FAIL cannot create the memory VFS\n");
    tdbTestFailed++;
  }
  return tdbTestFinish();
}
