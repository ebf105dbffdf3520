/*
** test_txn.c — explicit transactions (src/txn.c) through the public API:
** one epoch per committed write transaction and none for ROLLBACK, a
** read-only one or a failed statement; the transaction's reads see its own
** writes through every access path (primary-key point, scan, secondary
** index, count); SAVEPOINT / ROLLBACK TO / RELEASE (TEMPORAL.md S17);
** a failing statement leaves the transaction open and its earlier writes
** in place; DDL inside a transaction is undone by ROLLBACK and ROLLBACK TO
** (prepared statements re-prepare), and refused while another statement is
** reading; the valid time is frozen at BEGIN; tdb_close rolls back; a
** committed transaction survives reopening; the errors of misuse.
*/
#include "tensordb.c"
#include "test.h"
#include "sqlcheck.h"

#include <time.h>

static char gTmp[64];

static tdb *openAt(const char *path) {
  tdb *db = NULL;
  tdb_config cfg;
  tdb_config_default(&cfg);
  cfg.threads = 0;
  cfg.sync_mode = TDB_SYNC_OFF;
  if (tdb_open(path, &cfg, &db) != TDB_OK) {
    tdb_close(db);
    return NULL;
  }
  return db;
}

static void testOneEpochPerCommit(void) {
  tdb *db = openAt(":memory:");
  uint64_t h;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE acct (id INT PRIMARY KEY, bal INT)");
  h = tdb_kv_head(db);
  EXEC_OK(db, "BEGIN");
  EXEC_OK(db, "INSERT INTO acct VALUES (1, 10)");
  EXEC_OK(db, "UPDATE acct SET bal = 20 WHERE id = 1");
  EXEC_OK(db, "INSERT INTO acct VALUES (2, 5)");
  CHECK_EQ(tdb_kv_head(db), h); /* nothing committed yet */
  CHECK_STR(sqlRows(db, "SELECT id, bal FROM acct ORDER BY id"), "1|20;2|5");
  EXEC_OK(db, "COMMIT");
  CHECK_EQ(tdb_kv_head(db), h + 1);
  CHECK_STR(sqlRows(db, "SELECT id, bal FROM acct ORDER BY id"), "1|20;2|5");
  /* a read-only transaction and a rolled-back one take no epoch */
  EXEC_OK(db, "BEGIN TRANSACTION; SELECT * FROM acct; COMMIT TRANSACTION");
  EXEC_OK(db, "BEGIN; DELETE FROM acct; ROLLBACK");
  CHECK_EQ(tdb_kv_head(db), h + 1);
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM acct"), "2");
  /* a write statement that changed nothing still makes a write transaction */
  EXEC_OK(db, "BEGIN; UPDATE acct SET bal = 0 WHERE id = 99; COMMIT");
  CHECK_EQ(tdb_kv_head(db), h + 2);
  tdb_close(db);
}

static void testReadOwnWrites(void) {
  tdb *db = openAt(":memory:");
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t (id INT PRIMARY KEY, k INT, v TEXT)");
  EXEC_OK(db, "CREATE INDEX t_k ON t(k)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c')");
  EXEC_OK(db, "BEGIN");
  EXEC_OK(db, "INSERT INTO t VALUES (4, 40, 'd')");
  EXEC_OK(db, "UPDATE t SET k = 21, v = 'B' WHERE id = 2");
  EXEC_OK(db, "DELETE FROM t WHERE id = 3");
  CHECK_STR(sqlRows(db, "SELECT v FROM t WHERE id = 4"), "d");          /* point read */
  CHECK_STR(sqlRows(db, "SELECT v FROM t WHERE id = 3"), "");
  CHECK_STR(sqlRows(db, "SELECT id, k, v FROM t ORDER BY id"), "1|10|a;2|21|B;4|40|d");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE k = 21"), "2");         /* index */
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE k = 20"), "");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE k = 30"), "");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE id IN (1, 3, 4) ORDER BY id"), "1;4");
  CHECK_STR(sqlRows(db, "SELECT count(*), sum(k) FROM t"), "3|71");
  /* uniqueness sees the pending rows, and the removed one */
  EXEC_FAILS(db, "INSERT INTO t VALUES (4, 0, 'x')", "23505");
  EXEC_OK(db, "INSERT INTO t VALUES (3, 31, 'again')");
  /* a row written twice in the transaction */
  EXEC_OK(db, "UPDATE t SET v = 'dd' WHERE id = 4");
  EXEC_OK(db, "COMMIT");
  CHECK_STR(sqlRows(db, "SELECT id, k, v FROM t ORDER BY id"),
            "1|10|a;2|21|B;3|31|again;4|40|dd");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE k = 31"), "3");
  tdb_close(db);
}

static void testFailedStatementKeepsTransaction(void) {
  tdb *db = openAt(":memory:");
  uint64_t h;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t (id INT PRIMARY KEY, v INT CHECK (v >= 0))");
  h = tdb_kv_head(db);
  EXEC_OK(db, "BEGIN");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 1)");
  /* the second row fails: nothing of this statement stays */
  EXEC_FAILS(db, "INSERT INTO t VALUES (2, 2), (3, -3)", "23514");
  EXEC_FAILS(db, "INSERT INTO t VALUES (1, 9)", "23505");
  EXEC_FAILS(db, "SELECT * FROM nope", "42P01");
  CHECK_STR(sqlRows(db, "SELECT id, v FROM t ORDER BY id"), "1|1");
  EXEC_OK(db, "INSERT INTO t VALUES (2, 2)");
  EXEC_OK(db, "COMMIT");
  CHECK_EQ(tdb_kv_head(db), h + 1);
  CHECK_STR(sqlRows(db, "SELECT id, v FROM t ORDER BY id"), "1|1;2|2");
  tdb_close(db);
}

/* TEMPORAL.md S17 (without the system-time columns). */
static void testSavepoints(void) {
  tdb *db = openAt(":memory:");
  uint64_t h;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE acct (id INT PRIMARY KEY, bal INT)");
  h = tdb_kv_head(db);
  EXEC_OK(db, "BEGIN");
  EXEC_OK(db, "INSERT INTO acct VALUES (1, 10)");
  EXEC_OK(db, "SAVEPOINT s1");
  EXEC_OK(db, "INSERT INTO acct VALUES (2, 20)");
  EXEC_OK(db, "UPDATE acct SET bal = 11 WHERE id = 1");
  CHECK_STR(sqlRows(db, "SELECT id, bal FROM acct ORDER BY id"), "1|11;2|20");
  EXEC_OK(db, "ROLLBACK TO SAVEPOINT s1");
  CHECK_STR(sqlRows(db, "SELECT id, bal FROM acct ORDER BY id"), "1|10");
  EXEC_OK(db, "INSERT INTO acct VALUES (3, 30)");
  EXEC_OK(db, "SAVEPOINT s2");
  EXEC_OK(db, "UPDATE acct SET bal = 31 WHERE id = 3");
  EXEC_OK(db, "RELEASE SAVEPOINT s2");
  EXEC_FAILS(db, "ROLLBACK TO s2", "3B001"); /* released */
  /* ROLLBACK TO keeps the savepoint: a second one goes back there again */
  EXEC_OK(db, "SAVEPOINT s3");
  EXEC_OK(db, "DELETE FROM acct");
  EXEC_OK(db, "ROLLBACK TO s3");
  EXEC_OK(db, "DELETE FROM acct WHERE id = 1");
  EXEC_OK(db, "ROLLBACK TRANSACTION TO s3");
  /* a reused name refers to the newest */
  EXEC_OK(db, "SAVEPOINT dup; INSERT INTO acct VALUES (7, 7); SAVEPOINT dup");
  EXEC_OK(db, "INSERT INTO acct VALUES (8, 8); ROLLBACK TO dup");
  CHECK_STR(sqlRows(db, "SELECT id FROM acct WHERE id > 6"), "7");
  EXEC_OK(db, "RELEASE dup; RELEASE dup"); /* the newest, then the older one */
  EXEC_FAILS(db, "RELEASE dup", "3B001");
  EXEC_OK(db, "DELETE FROM acct WHERE id = 7");
  EXEC_OK(db, "COMMIT");
  CHECK_EQ(tdb_kv_head(db), h + 1);
  CHECK_STR(sqlRows(db, "SELECT id, bal FROM acct ORDER BY id"), "1|10;3|31");
  EXEC_FAILS(db, "ROLLBACK TO SAVEPOINT s1", "25P01");
  EXEC_FAILS(db, "SAVEPOINT x", "25P01");
  EXEC_FAILS(db, "RELEASE x", "25P01");
  EXEC_FAILS(db, "COMMIT", "25P01");
  EXEC_FAILS(db, "ROLLBACK", "25P01");
  EXEC_OK(db, "BEGIN");
  EXEC_FAILS(db, "BEGIN", "25001");
  EXEC_FAILS(db, "ROLLBACK TO nowhere", "3B001");
  EXEC_OK(db, "ROLLBACK");
  /* a savepoint before any write: ROLLBACK TO it makes a read-only transaction */
  EXEC_OK(db, "BEGIN; SAVEPOINT a; INSERT INTO acct VALUES (9, 9); ROLLBACK TO a; COMMIT");
  CHECK_EQ(tdb_kv_head(db), h + 1);
  tdb_close(db);
}

static void testDdlRollback(void) {
  tdb *db = openAt(":memory:");
  tdb_stmt *st = NULL, *reader = NULL;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE a (id INT PRIMARY KEY, v TEXT)");
  EXEC_OK(db, "INSERT INTO a VALUES (1, 'x'), (2, 'y')");
  CHECK_EQ(tdb_prepare(db, "SELECT * FROM a ORDER BY id", -1, &st, NULL), TDB_OK);
  EXEC_OK(db, "BEGIN");
  EXEC_OK(db, "CREATE TABLE b (x INT)");
  EXEC_OK(db, "INSERT INTO b VALUES (5)");
  EXEC_OK(db, "ALTER TABLE a ADD COLUMN w INT DEFAULT 7");
  CHECK_STR(sqlRows(db, "SELECT * FROM a ORDER BY id"), "1|x|7;2|y|7");
  CHECK_STR(sqlRows(db, "SELECT x FROM b"), "5");
  EXEC_OK(db, "ROLLBACK");
  EXEC_FAILS(db, "SELECT * FROM b", "42P01");
  CHECK_STR(sqlRows(db, "SELECT * FROM a ORDER BY id"), "1|x;2|y");
  if (st) { /* prepared before: re-prepares against the restored schema */
    CHECK_EQ(tdb_step(st), TDB_ROW);
    CHECK_EQ(tdb_column_count(st), 2);
    tdb_finalize(st);
  }
  /* ROLLBACK TO past a CREATE INDEX; the DDL before the savepoint stays */
  EXEC_OK(db, "BEGIN; CREATE TABLE c (id INT PRIMARY KEY, k INT); SAVEPOINT s");
  EXEC_OK(db, "CREATE INDEX c_k ON c(k); INSERT INTO c VALUES (1, 2)");
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_indexes WHERE name = 'c_k'"), "c_k");
  EXEC_OK(db, "ROLLBACK TO s");
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_indexes WHERE name = 'c_k'"), "");
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM c"), "0");
  EXEC_OK(db, "INSERT INTO c VALUES (3, 4); COMMIT");
  CHECK_STR(sqlRows(db, "SELECT id, k FROM c"), "3|4");
  /* undoing DDL while another statement is reading is refused */
  EXEC_OK(db, "BEGIN; CREATE TABLE d (x INT)");
  CHECK_EQ(tdb_prepare(db, "SELECT id FROM a", -1, &reader, NULL), TDB_OK);
  if (reader) {
    CHECK_EQ(tdb_step(reader), TDB_ROW);
    EXEC_FAILS(db, "ROLLBACK", "55006");
    tdb_finalize(reader);
  }
  EXEC_OK(db, "ROLLBACK");
  EXEC_FAILS(db, "SELECT * FROM d", "42P01");
  tdb_close(db);
}

/* The current valid time is frozen at BEGIN: every row written in the
** transaction starts at the same instant. */
static void testFrozenValidTime(void) {
  tdb *db = openAt(":memory:");
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t (id INT PRIMARY KEY)");
  EXEC_OK(db, "BEGIN; INSERT INTO t VALUES (1)");
  {
    struct timespec ts = {0, 2000000}; /* 2 ms: a later statement time */
    nanosleep(&ts, NULL);
  }
  EXEC_OK(db, "INSERT INTO t VALUES (2); COMMIT");
  CHECK_STR(sqlRows(db, "SELECT count(DISTINCT _valid_from) FROM t"), "1");
  EXEC_OK(db, "INSERT INTO t VALUES (3)");
  CHECK_STR(sqlRows(db, "SELECT count(DISTINCT _valid_from) FROM t"), "2");
  tdb_close(db);
}

static void testCloseAndReopen(void) {
  char path[128];
  tdb *db;
  uint64_t h;
  snprintf(path, sizeof path, "%s/txn.tdb", gTmp);
  db = openAt(path);
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
  EXEC_OK(db, "BEGIN; INSERT INTO t VALUES (1, 'kept'); CREATE INDEX t_v ON t(v); COMMIT");
  h = tdb_kv_head(db);
  EXEC_OK(db, "BEGIN; INSERT INTO t VALUES (2, 'lost'); CREATE TABLE gone (x INT)");
  tdb_close(db); /* with the transaction open: rolled back */
  db = openAt(path);
  CHECK(db != NULL);
  if (!db) return;
  CHECK_EQ(tdb_kv_head(db), h);
  CHECK_STR(sqlRows(db, "SELECT id, v FROM t ORDER BY id"), "1|kept");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE v = 'kept'"), "1");
  EXEC_FAILS(db, "SELECT * FROM gone", "42P01");
  tdb_close(db);
}

int main(void) {
  snprintf(gTmp, sizeof gTmp, "/tmp/tdb-txn-XXXXXX");
  if (!mkdtemp(gTmp)) {
    printf("FAIL cannot create a temporary directory\n0 passed, 1 failed\n");
    return 1;
  }
  TEST_RUN(testOneEpochPerCommit);
  TEST_RUN(testReadOwnWrites);
  TEST_RUN(testFailedStatementKeepsTransaction);
  TEST_RUN(testSavepoints);
  TEST_RUN(testDdlRollback);
  TEST_RUN(testFrozenValidTime);
  TEST_RUN(testCloseAndReopen);
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
    if (system(cmd) != 0) printf("# could not remove %s\n", gTmp);
  }
  return tdbTestFinish();
}
