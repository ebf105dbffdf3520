/*
** test_backup.c — BACKUP / RESTORE / VERIFY BACKUP and the two PURGE
** statements through SQL, checked against the store underneath:
**   - a full backup and two increments of a workload that flushes and
**     compacts (small memtable), restored into a new database: the same
**     head, the same wall-clock for every epoch (tdbStoreEpochWall), the same
**     stored versions (key, epoch, closing epoch, kind, value) of every
**     "every version" keyspace, and the same SQL history dumps;
**   - damaged backups: every byte of the manifest and bytes all over a
**     segment flipped, every file cut short at many lengths, a segment
**     removed, an extra byte appended: VERIFY and RESTORE fail cleanly with
**     58T02 and RESTORE commits nothing;
**   - PURGE erasure: a distinctive value (and an indexed one) written into
**     table files, the WAL and several versions is found by grepping the
**     database directory before, and nowhere (tables, WAL, manifest) after;
**   - PURGE HISTORY: versions closed before the horizon are hidden at once,
**     physically gone after a compaction, ERR_HISTORY_PURGED for a point
**     and a range below it, and the horizon survives a reopen;
**   - BACKUP errors: SINCE EPOCH beyond the head (22T01), a non-empty or
**     non-directory target (58T01).
*/
#include "tensordb.c"
#include "test.h"
#include "sqlcheck.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static char gRoot[64];

static void removeTree(const char *path) {
  DIR *d = opendir(path);
  struct dirent *e;
  if (!d) {
    unlink(path);
    return;
  }
  while ((e = readdir(d)) != NULL) {
    char sub[512];
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    removeTree(sub);
  }
  closedir(d);
  rmdir(path);
}

static const char *sub(const char *name) {
  static char bufs[4][256];
  static int which;
  char *b = bufs[which++ & 3];
  snprintf(b, sizeof bufs[0], "%s/%s", gRoot, name);
  return b;
}

static tdb *openDb(const char *path) {
  tdb_config cfg;
  tdb *db = NULL;
  tdb_config_default(&cfg);
  cfg.memtable_bytes = 256 * 1024; /* several flushes, so compactions too */
  cfg.l0_compaction_trigger = 2;
  cfg.sync_mode = TDB_SYNC_OFF; /* durability is not what this tests */
  if (tdb_open(path, &cfg, &db) != TDB_OK) {
    printf("cannot open %s: %s\n", path, db ? tdb_errmsg(db) : "?");
    tdb_close(db);
    return NULL;
  }
  return db;
}

/* A digest of every stored version of the "every version" keyspaces (and a
** count): key, epoch, closing epoch, kind and value. */
static uint64_t storeDigest(tdb *db, uint64_t *count) {
  TdbVersionIter *vi = NULL;
  TdbErr err;
  uint64_t h = 1469598103934665603ULL;
  *count = 0;
  tdbErrInit(&err, &db->mem);
  if (tdbVersionIterOpen(db->store, 0, &err, &vi) != TDB_OK) return 0;
  for (tdbVersionIterSeek(vi, "", 0); tdbVersionIterValid(vi); tdbVersionIterNext(vi)) {
    size_t kn, vn = 0;
    const unsigned char *k = tdbVersionIterKey(vi, &kn), *v = NULL;
    uint64_t parts[3];
    if (kn == 0 || k[0] == TDB_KEYSPACE_ROWS || k[0] == TDB_KEYSPACE_INDEX ||
        k[0] == TDB_KEYSPACE_STATS) {
      continue; /* latest keyspaces: older versions may be compacted away */
    }
    if (kn >= 2 && k[0] == TDB_EPOCH_CLOCK_PREFIX0 && k[1] == TDB_EPOCH_CLOCK_PREFIX1) {
      continue; /* the clock: stored keys only after a flush; compared per epoch */
    }
    if (tdbVersionIterKind(vi) == TDB_KIND_VALUE) v = tdbVersionIterValue(vi, &vn);
    parts[0] = tdbVersionIterEpoch(vi);
    parts[1] = tdbVersionIterNextEpoch(vi);
    parts[2] = (uint64_t)tdbVersionIterKind(vi);
    h = tdbHash64Bytes(k, kn, h);
    h = tdbHash64Bytes(parts, sizeof parts, h);
    if (v) h = tdbHash64Bytes(v, vn, h);
    (*count)++;
  }
  tdbVersionIterFree(vi);
  tdbErrClear(&err);
  return h;
}

/* The latest state of the latest keyspaces (current rows, indexes, stats). */
static uint64_t latestDigest(tdb *db, uint64_t *count) {
  TdbDbIter *it = NULL;
  TdbErr err;
  uint64_t h = 7;
  *count = 0;
  tdbErrInit(&err, &db->mem);
  if (tdbStoreIter(db->store, 0, &err, &it) != TDB_OK) return 0;
  for (tdbDbIterSeek(it, "\x03", 1); tdbDbIterValid(it); tdbDbIterNext(it)) {
    size_t kn, vn;
    const unsigned char *k = tdbDbIterKey(it, &kn), *v = tdbDbIterValue(it, &vn);
    if (k[0] > TDB_KEYSPACE_STATS) break;
    if (k[0] == TDB_KEYSPACE_HISTORY) continue;
    h = tdbHash64Bytes(k, kn, h);
    h = tdbHash64Bytes(v, vn, h);
    (*count)++;
  }
  tdbDbIterFree(it);
  tdbErrClear(&err);
  return h;
}

static const char *kHistory =
    "SELECT id, grp, note, _system_from, _system_to, _valid_from, _valid_to, _row_op, "
    "_is_deleted FROM big FOR SYSTEM_TIME ALL FOR APPLICATION_TIME ALL INCLUDING DELETED "
    "ORDER BY id, _system_from, _valid_from LIMIT 60";

static void workload(tdb *db, int from, int to) {
  char sql[256];
  int i;
  for (i = from; i < to; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO big(id, grp, note) VALUES (%d, %d, 'note number %d padded out "
             "to take some room in the memtable')", i, i % 7, i);
    EXEC_OK(db, sql);
    if (i % 3 == 0) {
      snprintf(sql, sizeof sql, "UPDATE big SET note = 'changed %d' WHERE id = %d", i, i / 2);
      EXEC_OK(db, sql);
    }
    if (i % 11 == 0) {
      snprintf(sql, sizeof sql, "DELETE FROM big WHERE id = %d", i / 3);
      EXEC_OK(db, sql);
    }
    if (i % 17 == 0) {
      char k[16];
      snprintf(k, sizeof k, "kv%d", i);
      CHECK_EQ(tdb_kv_put(db, k, strlen(k), sql, strlen(sql), NULL), TDB_OK);
    }
  }
}

static void testRoundTrip(void) {
  tdb *src = openDb(sub("src")), *dst;
  TdbErr err;
  char sql[512];
  uint64_t head, e, n1, n2, c1, c2;
  if (!src) {
    CHECK(0);
    return;
  }
  EXEC_OK(src, "SET CURRENT_VALID_TIME = 1000");
  EXEC_OK(src, "CREATE TABLE big(id INT PRIMARY KEY, grp INT, note TEXT)");
  EXEC_OK(src, "CREATE INDEX big_grp ON big(grp)");
  EXEC_OK(src, "CREATE TABLE plain(x TEXT)");
  workload(src, 0, 150);
  EXEC_OK(src, "INSERT INTO plain VALUES ('p1'), ('p2')");
  head = tdbStoreHead(src->store);
  CHECK(head > 200);
  snprintf(sql, sizeof sql, "BACKUP TO '%s'", sub("full"));
  {
    char want[64];
    snprintf(want, sizeof want, "0|%llu|%llu", (unsigned long long)head,
             (unsigned long long)head);
    CHECK_STR(sqlRows(src, sql), want);
    snprintf(sql, sizeof sql, "VERIFY BACKUP '%s'", sub("full"));
    snprintf(want, sizeof want, "0|%llu|%llu|ok", (unsigned long long)head,
             (unsigned long long)head);
    CHECK_STR(sqlRows(src, sql), want);
  }
  EXEC_OK(src, "SET CURRENT_VALID_TIME = 2000");
  workload(src, 150, 260);
  EXEC_OK(src, "ALTER TABLE big ADD COLUMN extra INT DEFAULT 5");
  EXEC_OK(src, "ANALYZE");
  snprintf(sql, sizeof sql, "BACKUP TO '%s' SINCE EPOCH %llu", sub("inc1"),
           (unsigned long long)head);
  CHECK(strncmp(sqlRows(src, sql), "ERROR", 5) != 0);
  head = tdbStoreHead(src->store);
  tdbErrInit(&err, &src->mem);
  CHECK_EQ(tdbStoreCompact(src->store, &err), TDB_OK);
  EXEC_OK(src, "SET CURRENT_VALID_TIME = 3000");
  workload(src, 260, 330);
  EXEC_OK(src, "PURGE HISTORY FROM big BEFORE EPOCH 40");
  EXEC_OK(src, "PURGE FROM big KEY 7");
  EXEC_OK(src, "DROP TABLE plain");
  snprintf(sql, sizeof sql, "BACKUP TO '%s' SINCE EPOCH %llu", sub("inc2"),
           (unsigned long long)head);
  CHECK(strncmp(sqlRows(src, sql), "ERROR", 5) != 0);
  head = tdbStoreHead(src->store);

  dst = openDb(sub("dst"));
  if (!dst) {
    CHECK(0);
    tdb_close(src);
    return;
  }
  snprintf(sql, sizeof sql, "RESTORE FROM '%s'", sub("full"));
  CHECK_CONTAINS(sqlRows(dst, sql), "0|");
  snprintf(sql, sizeof sql, "RESTORE FROM '%s'", sub("inc1"));
  CHECK(strncmp(sqlRows(dst, sql), "ERROR", 5) != 0);
  snprintf(sql, sizeof sql, "RESTORE FROM '%s'", sub("inc2"));
  CHECK(strncmp(sqlRows(dst, sql), "ERROR", 5) != 0);
  CHECK_EQ(tdbStoreHead(dst->store), head);
  for (e = 1; e <= head; e++) {
    int64_t w1 = 0, w2 = -1;
    int f1 = 0, f2 = 0;
    CHECK_EQ(tdbStoreEpochWall(src->store, e, &w1, &f1, &err), TDB_OK);
    CHECK_EQ(tdbStoreEpochWall(dst->store, e, &w2, &f2, &err), TDB_OK);
    CHECK(f1 && f2);
    if (w1 != w2) {
      CHECK_EQ(w1, w2);
      break;
    }
  }
  n1 = storeDigest(src, &c1);
  n2 = storeDigest(dst, &c2);
  CHECK(c1 > 500);
  CHECK_EQ(c1, c2);
  CHECK_EQ(n1, n2);
  n1 = latestDigest(src, &c1);
  n2 = latestDigest(dst, &c2);
  CHECK(c1 > 100);
  CHECK_EQ(c1, c2);
  CHECK_EQ(n1, n2);
  CHECK_STR(sqlRows(dst, kHistory), sqlRows(src, kHistory));
  CHECK_STR(sqlRows(dst, "SELECT count(*), sum(id), max(_system_from) FROM big FOR SYSTEM_TIME "
                         "ALL FOR APPLICATION_TIME ALL INCLUDING DELETED"),
            sqlRows(src, "SELECT count(*), sum(id), max(_system_from) FROM big FOR SYSTEM_TIME "
                         "ALL FOR APPLICATION_TIME ALL INCLUDING DELETED"));
  CHECK_STR(sqlRows(dst, "SELECT id, grp FROM big WHERE grp = 3 ORDER BY id"),
            sqlRows(src, "SELECT id, grp FROM big WHERE grp = 3 ORDER BY id"));
  CHECK_STR(sqlRows(dst, "SELECT count(*) FROM big AS OF 100 VALID AT 1500"),
            sqlRows(src, "SELECT count(*) FROM big AS OF 100 VALID AT 1500"));
  CHECK_STR(sqlRows(dst, "SHOW DRIFT big KEY 7"), "");
  CHECK_STR(sqlRows(dst, "SELECT * FROM big AS OF 39"), "ERROR 22T05");
  {
    TdbStr v1, v2;
    int f1 = 0, f2 = 0;
    tdbStrInit(&v1, &src->mem);
    tdbStrInit(&v2, &dst->mem);
    CHECK_EQ(tdbStoreGet(src->store, 0, "\x10kv289", 6, &v1, &f1, &err), TDB_OK);
    CHECK_EQ(tdbStoreGet(dst->store, 0, "\x10kv289", 6, &v2, &f2, &err), TDB_OK);
    CHECK(f1 && f2 && v1.n == v2.n && memcmp(v1.z, v2.z, v1.n) == 0);
    tdbStrClear(&v1);
    tdbStrClear(&v2);
  }
  /* the restored database goes on: reopen, write, read */
  tdb_close(dst);
  dst = openDb(sub("dst"));
  CHECK(dst != NULL);
  if (dst) {
    CHECK_EQ(tdbStoreHead(dst->store), head);
    CHECK_STR(sqlRows(dst, kHistory), sqlRows(src, kHistory));
    EXEC_OK(dst, "INSERT INTO big VALUES (100000, 1, 'after', 0)");
    CHECK_EQ(tdbStoreHead(dst->store), head + 1);
    tdb_close(dst);
  }
  tdbErrClear(&err);
  tdb_close(src);
}

/* ---- damaged backups ---------------------------------------------------------- */

static long fileSize(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void copyFile(const char *from, const char *to) {
  FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
  int c;
  if (a && b) {
    while ((c = fgetc(a)) != EOF) fputc(c, b);
  }
  if (a) fclose(a);
  if (b) fclose(b);
}

/* VERIFY and RESTORE of dir must fail with 58T02, leaving `fresh` empty. */
static void expectDamaged(tdb *fresh, const char *dir, const char *what, long at) {
  char sql[300];
  const char *r;
  snprintf(sql, sizeof sql, "VERIFY BACKUP '%s'", dir);
  r = sqlRows(fresh, sql);
  if (strcmp(r, "ERROR 58T02") != 0) {
    printf("  %s at %ld: VERIFY gave %s\n", what, at, r);
    CHECK_STR(r, "ERROR 58T02");
  }
  snprintf(sql, sizeof sql, "RESTORE FROM '%s'", dir);
  r = sqlRows(fresh, sql);
  if (strcmp(r, "ERROR 58T02") != 0) {
    printf("  %s at %ld: RESTORE gave %s\n", what, at, r);
    CHECK_STR(r, "ERROR 58T02");
  }
  CHECK_EQ(tdbStoreHead(fresh->store), 0);
}

static void testDamaged(void) {
  tdb *db = openDb(sub("dmg-src")), *fresh;
  const char *names[2] = {"BACKUP", "epochs-000001.tdbk"};
  char sql[300], good[2][256], bad[256];
  int f;
  if (!db) {
    CHECK(0);
    return;
  }
  EXEC_OK(db, "CREATE TABLE t(id INT PRIMARY KEY, v TEXT)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
  EXEC_OK(db, "UPDATE t SET v = 'uno' WHERE id = 1");
  snprintf(sql, sizeof sql, "BACKUP TO '%s'", sub("dmg"));
  CHECK_STR(sqlRows(db, sql), "0|3|3");
  tdb_close(db);
  fresh = openDb(sub("dmg-dst"));
  if (!fresh) {
    CHECK(0);
    return;
  }
  snprintf(bad, sizeof bad, "%s", sub("dmg-bad"));
  mkdir(bad, 0755);
  for (f = 0; f < 2; f++) snprintf(good[f], sizeof good[f], "%s/%s", sub("dmg"), names[f]);
  for (f = 0; f < 2; f++) {
    long size = fileSize(good[f]), at, step = f == 0 ? 1 : (size / 97 > 0 ? size / 97 : 1);
    char target[300], other[300];
    snprintf(target, sizeof target, "%s/%s", bad, names[f]);
    snprintf(other, sizeof other, "%s/%s", bad, names[1 - f]);
    copyFile(good[1 - f], other);
    CHECK(size > 40);
    /* one flipped byte anywhere */
    for (at = 0; at < size; at += step) {
      FILE *fp;
      int c;
      copyFile(good[f], target);
      fp = fopen(target, "r+b");
      fseek(fp, at, SEEK_SET);
      c = fgetc(fp);
      fseek(fp, at, SEEK_SET);
      fputc(c ^ 0x20, fp);
      fclose(fp);
      expectDamaged(fresh, bad, names[f], at);
    }
    /* cut short at many lengths, and one byte too many */
    for (at = 0; at < size; at += step) {
      copyFile(good[f], target);
      CHECK_EQ(truncate(target, at), 0);
      expectDamaged(fresh, bad, names[f], -at);
    }
    copyFile(good[f], target);
    {
      FILE *fp = fopen(target, "ab");
      fputc(0, fp);
      fclose(fp);
    }
    expectDamaged(fresh, bad, names[f], size);
    copyFile(good[f], target);
  }
  /* a missing segment */
  {
    char seg[300];
    snprintf(seg, sizeof seg, "%s/%s", bad, names[1]);
    unlink(seg);
    expectDamaged(fresh, bad, "missing segment", 0);
    copyFile(good[1], seg);
  }
  /* the undamaged copy restores */
  snprintf(sql, sizeof sql, "RESTORE FROM '%s'", bad);
  CHECK_STR(sqlRows(fresh, sql), "0|3|3");
  CHECK_STR(sqlRows(fresh, "SELECT id, v FROM t ORDER BY id"), "1|uno;2|two");
  tdb_close(fresh);
}

/* ---- PURGE erasure reaches every file ------------------------------------------- */

/* Does any file under dir hold `needle`? */
static int dirHolds(const char *dir, const char *needle) {
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t nl = strlen(needle);
  int found = 0;
  if (!d) return 0;
  while (!found && (e = readdir(d)) != NULL) {
    char path[512];
    FILE *fp;
    char *buf;
    long size;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size = fileSize(path);
    fp = fopen(path, "rb");
    if (!fp || size < 0) {
      if (fp) fclose(fp);
      continue;
    }
    buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, fp) == (size_t)size) {
      long i;
      for (i = 0; !found && i + (long)nl <= size; i++) {
        if (memcmp(buf + i, needle, nl) == 0) found = 1;
      }
    }
    free(buf);
    fclose(fp);
  }
  closedir(d);
  return found;
}

static void testErasure(void) {
  const char *path = sub("erase");
  tdb *db = openDb(path);
  TdbErr err;
  char sql[256];
  int i;
  if (!db) {
    CHECK(0);
    return;
  }
  tdbErrInit(&err, &db->mem);
  EXEC_OK(db, "CREATE TABLE person(id INT PRIMARY KEY, email TEXT, secret TEXT)");
  EXEC_OK(db, "CREATE INDEX person_email ON person(email)");
  EXEC_OK(db, "INSERT INTO person VALUES (1, 'mail-QJX-indexed', 'ZQXJ-SECRET-4711-a')");
  for (i = 2; i < 200; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO person VALUES (%d, 'm%d', 'filler %d')", i, i, i);
    EXEC_OK(db, sql);
  }
  CHECK_EQ(tdbStoreCompact(db->store, &err), TDB_OK); /* into a table file */
  EXEC_OK(db, "UPDATE person SET secret = 'ZQXJ-SECRET-4711-b' WHERE id = 1");
  CHECK_EQ(tdbStoreFlush(db->store, &err), TDB_OK);
  EXEC_OK(db, "UPDATE person SET secret = 'ZQXJ-SECRET-4711-c' WHERE id = 1"); /* WAL only */
  CHECK(dirHolds(path, "ZQXJ-SECRET-4711-a"));
  CHECK(dirHolds(path, "ZQXJ-SECRET-4711-c"));
  CHECK(dirHolds(path, "mail-QJX-indexed"));
  EXEC_OK(db, "PURGE FROM person WHERE secret LIKE 'ZQXJ%'");
  CHECK_EQ(tdb_changes(db), 1);
  CHECK(!dirHolds(path, "ZQXJ-SECRET"));
  CHECK(!dirHolds(path, "mail-QJX"));
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM person FOR SYSTEM_TIME ALL FOR APPLICATION_TIME "
                        "ALL INCLUDING DELETED WHERE id = 1"), "0");
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM person AS OF 3"), "0"); /* only key 1 then */
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM person AS OF 4"), "1");
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM person"), "198");
  /* later writes and a background compaction bring nothing back */
  for (i = 200; i < 400; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO person VALUES (%d, 'm%d', 'filler %d')", i, i, i);
    EXEC_OK(db, sql);
  }
  CHECK_EQ(tdbStoreCompact(db->store, &err), TDB_OK);
  tdb_close(db);
  CHECK(!dirHolds(path, "ZQXJ-SECRET"));
  CHECK(!dirHolds(path, "mail-QJX"));
  db = openDb(path);
  CHECK(db != NULL);
  if (db) {
    CHECK_STR(sqlRows(db, "SELECT count(*) FROM person WHERE id = 1"), "0");
    CHECK_STR(sqlRows(db, "SELECT count(*) FROM person"), "398");
    tdb_close(db);
  }
  tdbErrClear(&err);
}

/* ---- PURGE HISTORY drops versions from the files ---------------------------------- */

/* Stored versions (physically, hidden or not) under the history of table 1. */
static int rawHistoryVersions(tdb *db) {
  TdbIter *in = NULL;
  TdbErr err;
  uint64_t at;
  int n = 0;
  tdbErrInit(&err, &db->mem);
  if (tdbStoreInternalIter(db->store, 0, NULL, &err, &in, &at) != TDB_OK) return -1;
  for (tdbIterSeekFirst(in); tdbIterValid(in); tdbIterNext(in)) {
    size_t kn;
    const unsigned char *k = tdbIterKey(in, &kn);
    if (kn > 5 + TDB_IKEY_TAG_SIZE && k[0] == TDB_KEYSPACE_HISTORY) n++;
  }
  tdbIterFree(in);
  tdbErrClear(&err);
  return n;
}

static void testHistoryPurge(void) {
  const char *path = sub("hist");
  tdb *db = openDb(path);
  TdbErr err;
  int i, before, after;
  if (!db) {
    CHECK(0);
    return;
  }
  tdbErrInit(&err, &db->mem);
  EXEC_OK(db, "SET CURRENT_VALID_TIME = 10");
  EXEC_OK(db, "CREATE TABLE h(id INT PRIMARY KEY, v INT)");          /* epoch 1 */
  EXEC_OK(db, "INSERT INTO h VALUES (1, 0), (2, 0)");                /* epoch 2 */
  for (i = 1; i <= 20; i++) EXEC_OK(db, "UPDATE h SET v = v + 1 WHERE id = 1"); /* 3..22 */
  CHECK_EQ(tdbStoreFlush(db->store, &err), TDB_OK);
  before = rawHistoryVersions(db);
  CHECK_EQ(before, 22);
  EXEC_OK(db, "PURGE HISTORY FROM h BEFORE EPOCH 12");               /* epoch 23 */
  /* hidden at once: id 1's versions of epochs 2..11 were closed by 12 */
  CHECK_STR(sqlRows(db, "SELECT min(_system_from), count(*) FROM h FOR SYSTEM_TIME ALL "
                        "WHERE id = 1"), "12|11");
  CHECK_EQ(rawHistoryVersions(db), before);
  CHECK_EQ(tdbStoreCompact(db->store, &err), TDB_OK);
  after = rawHistoryVersions(db);
  CHECK_EQ(after, 12);
  CHECK_STR(sqlRows(db, "SELECT v FROM h AS OF 12 WHERE id = 1"), "10");
  CHECK_STR(sqlRows(db, "SELECT v FROM h AS OF 11 WHERE id = 1"), "ERROR 22T05");
  CHECK_STR(sqlRows(db, "SELECT v FROM h FOR SYSTEM_TIME FROM 5 TO 30 WHERE id = 2"),
            "ERROR 22T05");
  CHECK_STR(sqlRows(db, "SELECT v FROM h FOR SYSTEM_TIME BETWEEN 12 AND 13 WHERE id = 1 "
                        "ORDER BY v"), "10;11");
  CHECK_STR(sqlRows(db, "SELECT v FROM h AS OF 2 WHERE id = 2"), "ERROR 22T05");
  tdb_close(db);
  db = openDb(path);
  CHECK(db != NULL);
  if (db) {
    CHECK_STR(sqlRows(db, "SELECT v FROM h AS OF 11 WHERE id = 1"), "ERROR 22T05");
    CHECK_STR(sqlRows(db, "SELECT count(*) FROM h FOR SYSTEM_TIME ALL WHERE id = 1"), "11");
    tdb_close(db);
  }
  tdbErrClear(&err);
}

static void testBackupErrors(void) {
  tdb *db = openDb(sub("err"));
  char sql[300];
  FILE *fp;
  if (!db) {
    CHECK(0);
    return;
  }
  EXEC_OK(db, "CREATE TABLE t(a INT)");
  snprintf(sql, sizeof sql, "BACKUP TO '%s' SINCE EPOCH 2", sub("err-b1"));
  CHECK_STR(sqlRows(db, sql), "ERROR 22T01");
  mkdir(sub("err-full"), 0755);
  fp = fopen(sub("err-full/x"), "w");
  if (fp) fclose(fp);
  snprintf(sql, sizeof sql, "BACKUP TO '%s'", sub("err-full"));
  CHECK_STR(sqlRows(db, sql), "ERROR 58T01");
  snprintf(sql, sizeof sql, "BACKUP TO '%s'", sub("err-full/x"));
  CHECK_STR(sqlRows(db, sql), "ERROR 58T01");
  mkdir(sub("err-empty"), 0755); /* an existing empty directory is fine */
  snprintf(sql, sizeof sql, "BACKUP TO '%s'", sub("err-empty"));
  CHECK_STR(sqlRows(db, sql), "0|1|1");
  snprintf(sql, sizeof sql, "BACKUP TO '%s' SINCE EPOCH 1", sub("err-empty2"));
  CHECK_STR(sqlRows(db, sql), "1|1|0");
  snprintf(sql, sizeof sql, "VERIFY BACKUP '%s'", sub("err-empty2"));
  CHECK_STR(sqlRows(db, sql), "1|1|0|ok");
  tdb_close(db);
}

int main(void) {
  snprintf(gRoot, sizeof gRoot, "/tmp/tdb_backup.XXXXXX");
  if (!mkdtemp(gRoot)) {
    printf("cannot make a temporary directory\n");
    return 1;
  }
  TEST_RUN(testRoundTrip);
  TEST_RUN(testDamaged);
  TEST_RUN(testErasure);
  TEST_RUN(testHistoryPurge);
  TEST_RUN(testBackupErrors);
  removeTree(gRoot);
  return tdbTestFinish();
}
