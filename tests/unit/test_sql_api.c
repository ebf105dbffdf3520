/*
** test_sql_api.c — the SQL engine through the public C API of tensordb.h
** only: prepare once / bind ($n and ?) / step / reset / re-execute with new
** bindings (INSERT and primary-key SELECT), tdb_changes after INSERT, UPDATE
** and DELETE, every column accessor on every value type; transparent
** re-prepare after ALTER TABLE (ADD / DROP / RENAME COLUMN), 42P01 for a
** statement whose table was dropped and recovery once it is re-created; DDL
** while another statement is mid-iteration (TDB_BUSY, 55006); EXPLAIN
** access paths and EXPLAIN ANALYZE; statement atomicity (a failing
** multi-row INSERT leaves no rows and uses no epoch, tdb_kv_head); a file
** database with tables, indexes and views closed and reopened (data,
** tdb_tables / tdb_columns / tdb_indexes, index use); a database whose log
** was preallocated (sync full) reopened in every sync mode and after a torn
** write into its zero tail; and errors that must
** never crash: NULL arguments, out-of-range columns, steps after errors,
** long identifiers, TDB_MAX_COLUMNS columns (and one more), deeply nested
** subqueries; a prepared UPDATE run many times (kept buffers) against
** fresh statements on a twin table.
*/
#include "tensordb.c"
#include "test.h"
#include "sqlcheck.h"

#include <dirent.h>
#include <unistd.h>

static char gTmp[64];

/* ---- helpers (EXEC_OK, EXEC_FAILS, sqlRows, sqlInt: tests/common/sqlcheck.h) ---- */

/* Every row of EXPLAIN sql joined by '\n'. */
static const char *sqlExplain(tdb *db, const char *sql) {
  static char buf[8192];
  tdb_stmt *st = NULL;
  size_t n = 0;
  int rc;
  buf[0] = '\0';
  if (tdb_prepare(db, sql, -1, &st, NULL) != TDB_OK || !st) {
    snprintf(buf, sizeof buf, "ERROR %s: %s", tdb_sqlstate(db), tdb_errmsg(db));
    return buf;
  }
  while ((rc = tdb_step(st)) == TDB_ROW) {
    const char *t = tdb_column_text(st, 0);
    int w = snprintf(buf + n, sizeof buf - n, "%s\n", t ? t : "(null)");
    if (w > 0) n += (size_t)w;
    if (n >= sizeof buf) n = sizeof buf - 1;
  }
  if (rc != TDB_DONE) snprintf(buf, sizeof buf, "ERROR %s: %s", tdb_sqlstate(db), tdb_errmsg(db));
  tdb_finalize(st);
  return buf;
}

/* Step st to its end: the first column of every row joined by '\n' (or
** "ERROR <sqlstate>: <message>"). The statement is left finished. */
static const char *stmtAllText(tdb_stmt *st) {
  static char buf[8192];
  size_t n = 0;
  int rc;
  buf[0] = '\0';
  while ((rc = tdb_step(st)) == TDB_ROW) {
    const char *t = tdb_column_text(st, 0);
    int w = snprintf(buf + n, sizeof buf - n, "%s\n", t ? t : "(null)");
    if (w > 0) n += (size_t)w;
    if (n >= sizeof buf) n = sizeof buf - 1;
  }
  if (rc != TDB_DONE) {
    tdb *db = NULL;
    (void)db;
    snprintf(buf, sizeof buf, "ERROR rc=%d", rc);
  }
  return buf;
}

static tdb *openMemory(void) {
  tdb *db = NULL;
  tdb_config cfg;
  tdb_config_default(&cfg);
  cfg.threads = 0;
  if (tdb_open(":memory:", &cfg, &db) != TDB_OK) {
    tdb_close(db);
    return NULL;
  }
  return db;
}

/* ---- WITH RECURSIVE iteration limit (tdb_config.recursion_limit) ---------------- */

static void testRecursionLimit(void) {
  tdb *db = NULL;
  tdb_config cfg;
  tdb_config_default(&cfg);
  cfg.threads = 0;
  cfg.recursion_limit = 10;
  CHECK_EQ(tdb_open(":memory:", &cfg, &db), TDB_OK);
  if (!db) return;
  /* 1..10: the recursive term runs 10 times (the last one adds nothing) */
  CHECK_EQ(sqlInt(db, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                      "WHERE n < 10) SELECT count(*) FROM c"), 10);
  /* 1..11 needs 11 runs: one more than the limit */
  sqlExecFails(db, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                   "WHERE n < 11) SELECT count(*) FROM c", "54001", __FILE__, __LINE__);
  CHECK(strstr(tdb_errmsg(db), "\"c\"") != NULL);
  CHECK(strstr(tdb_errmsg(db), "10 iterations") != NULL);
  /* UNION stops a cycle long before the limit */
  EXEC_OK(db, "CREATE TABLE e(a INT, b INT)");
  EXEC_OK(db, "INSERT INTO e VALUES (1, 2), (2, 1)");
  CHECK_EQ(sqlInt(db, "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT b FROM e, r WHERE a = n) "
                      "SELECT count(*) FROM r"), 2);
  /* a prepared WITH / compound statement computes its queries again per execution */
  {
    tdb_stmt *st = NULL;
    CHECK_EQ(tdb_prepare(db, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                             "WHERE n < $1) SELECT count(*) FROM c UNION ALL SELECT 0", -1, &st, NULL),
             TDB_OK);
    if (st) {
      CHECK_EQ(tdb_bind_int64(st, 1, 5), TDB_OK);
      CHECK_EQ(tdb_step(st), TDB_ROW);
      CHECK_EQ(tdb_column_int64(st, 0), 5);
      CHECK_EQ(tdb_reset(st), TDB_OK); /* stopped between rows */
      CHECK_EQ(tdb_bind_int64(st, 1, 7), TDB_OK);
      CHECK_EQ(tdb_step(st), TDB_ROW);
      CHECK_EQ(tdb_column_int64(st, 0), 7);
      CHECK_EQ(tdb_step(st), TDB_ROW);
      CHECK_EQ(tdb_column_int64(st, 0), 0);
      CHECK_EQ(tdb_step(st), TDB_DONE);
      CHECK_EQ(tdb_bind_int64(st, 1, 20), TDB_OK); /* past the limit of 10 */
      CHECK(tdb_step(st) != TDB_ROW);
      CHECK_STR(tdb_sqlstate(db), "54001");
      tdb_finalize(st);
    }
  }
  tdb_close(db);
}

/* ---- 1. prepare / bind / step / reset, tdb_changes, column accessors ----------- */

static void testPrepareBindReuse(void) {
  tdb *db = openMemory();
  tdb_stmt *ins = NULL, *sel = NULL, *q = NULL;
  int i, rc;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE kv(id INTEGER PRIMARY KEY, name TEXT, score REAL)");
  /* $n parameters */
  CHECK_EQ(tdb_prepare(db, "INSERT INTO kv VALUES ($1, $2, $3)", -1, &ins, NULL), TDB_OK);
  CHECK(ins != NULL);
  CHECK_EQ(tdb_bind_parameter_count(ins), 3);
  CHECK_STR(tdb_stmt_sql(ins), "INSERT INTO kv VALUES ($1, $2, $3)");
  /* ? parameters */
  CHECK_EQ(tdb_prepare(db, "SELECT name, score FROM kv WHERE id = ?", -1, &sel, NULL), TDB_OK);
  CHECK(sel != NULL);
  CHECK_EQ(tdb_bind_parameter_count(sel), 1);
  if (!ins || !sel) goto done;
  for (i = 1; i <= 200; i++) {
    char name[32];
    snprintf(name, sizeof name, "name-%d", i);
    CHECK_EQ(tdb_bind_int64(ins, 1, i), TDB_OK);
    CHECK_EQ(tdb_bind_text(ins, 2, name, -1), TDB_OK);
    CHECK_EQ(tdb_bind_double(ins, 3, i * 0.5), TDB_OK);
    rc = tdb_step(ins);
    CHECK_EQ(rc, TDB_DONE);
    if (rc != TDB_DONE) printf("# step: %s\n", tdb_errmsg(db));
    CHECK_EQ(tdb_changes(db), 1);
    CHECK_EQ(tdb_reset(ins), TDB_OK);
  }
  /* a step after TDB_DONE without reset starts over: id 200 again is a dup */
  CHECK_EQ(tdb_step(ins), TDB_CONSTRAINT);
  CHECK_STR(tdb_sqlstate(db), "23505");
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM kv"), 200);
  /* point SELECTs, re-bound without reset (binding resets) and with reset */
  for (i = 1; i <= 200; i += 7) {
    char want[32];
    snprintf(want, sizeof want, "name-%d", i);
    CHECK_EQ(tdb_bind_int64(sel, 1, i), TDB_OK);
    CHECK_EQ(tdb_step(sel), TDB_ROW);
    CHECK_STR(tdb_column_text(sel, 0), want);
    CHECK(tdb_column_double(sel, 1) == i * 0.5);
    CHECK_EQ(tdb_step(sel), TDB_DONE);
    CHECK_EQ(tdb_reset(sel), TDB_OK);
  }
  /* a row that is not there; then bindings persist across reset */
  CHECK_EQ(tdb_bind_int64(sel, 1, 1000), TDB_OK);
  CHECK_EQ(tdb_step(sel), TDB_DONE);
  CHECK_EQ(tdb_reset(sel), TDB_OK);
  CHECK_EQ(tdb_step(sel), TDB_DONE);
  CHECK_EQ(tdb_bind_int64(sel, 1, 3), TDB_OK);
  CHECK_EQ(tdb_step(sel), TDB_ROW);
  CHECK_EQ(tdb_reset(sel), TDB_OK); /* reset mid-iteration */
  CHECK_EQ(tdb_step(sel), TDB_ROW);
  CHECK_STR(tdb_column_text(sel, 0), "name-3");
  /* clear bindings: id = NULL matches nothing */
  CHECK_EQ(tdb_clear_bindings(sel), TDB_OK);
  CHECK_EQ(tdb_reset(sel), TDB_OK);
  CHECK_EQ(tdb_step(sel), TDB_DONE);
  /* out-of-range parameter indexes */
  CHECK_EQ(tdb_bind_int64(sel, 0, 1), TDB_RANGE);
  CHECK_EQ(tdb_bind_int64(sel, 2, 1), TDB_RANGE);
  CHECK_EQ(tdb_errcode(db), TDB_RANGE);
  CHECK_EQ(tdb_bind_text(sel, -1, "x", 1), TDB_RANGE);

  /* mixed $n and ?: ? continues after the highest $n */
  CHECK_EQ(tdb_prepare(db, "SELECT $2, $1, ?", -1, &q, NULL), TDB_OK);
  if (q) {
    CHECK_EQ(tdb_bind_parameter_count(q), 3);
    tdb_bind_int64(q, 1, 10);
    tdb_bind_int64(q, 2, 20);
    tdb_bind_int64(q, 3, 30);
    CHECK_EQ(tdb_step(q), TDB_ROW);
    CHECK_EQ(tdb_column_int64(q, 0), 20);
    CHECK_EQ(tdb_column_int64(q, 1), 10);
    CHECK_EQ(tdb_column_int64(q, 2), 30);
    tdb_finalize(q);
    q = NULL;
  }

  /* tdb_changes after UPDATE and DELETE */
  EXEC_OK(db, "UPDATE kv SET score = score + 1 WHERE id <= 10");
  CHECK_EQ(tdb_changes(db), 10);
  EXEC_OK(db, "UPDATE kv SET score = 0 WHERE id = 5000");
  CHECK_EQ(tdb_changes(db), 0);
  CHECK_EQ(tdb_prepare(db, "DELETE FROM kv WHERE id > $1", -1, &q, NULL), TDB_OK);
  if (q) {
    tdb_bind_int64(q, 1, 150);
    CHECK_EQ(tdb_step(q), TDB_DONE);
    CHECK_EQ(tdb_changes(db), 50);
    tdb_reset(q);
    tdb_bind_int64(q, 1, 140);
    CHECK_EQ(tdb_step(q), TDB_DONE);
    CHECK_EQ(tdb_changes(db), 10);
    tdb_finalize(q);
    q = NULL;
  }
  EXEC_OK(db, "INSERT INTO kv VALUES (1001, 'a', 1), (1002, 'b', 2), (1003, 'c', 3)");
  CHECK_EQ(tdb_changes(db), 3);
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM kv"), 143);
  CHECK_STR(sqlRows(db, "SELECT id, name, score FROM kv WHERE id IN (1, 10, 11, 1002) ORDER BY id"),
            "1|name-1|1.5;10|name-10|6;11|name-11|5.5;1002|b|2");
  /* RETURNING rows */
  CHECK_STR(sqlRows(db, "UPDATE kv SET name = upper(name) WHERE id >= 1002 RETURNING id, name"),
            "1002|B;1003|C");
  CHECK_EQ(tdb_changes(db), 2);
  CHECK_STR(sqlRows(db, "DELETE FROM kv WHERE id = 1001 RETURNING name"), "a");
  CHECK_EQ(tdb_changes(db), 1);
done:
  tdb_finalize(ins);
  tdb_finalize(sel);
  tdb_close(db);
}

/* Every accessor on every value type. */
static void testColumnTypes(void) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL;
  const unsigned char *b;
  float f[3];
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db,
          "CREATE TABLE ty(id INTEGER PRIMARY KEY, b BOOLEAN, i INTEGER, r REAL, t TEXT, "
          "bl BLOB, ts TIMESTAMP, j JSON, v VECTOR(3), n INTEGER)");
  CHECK_EQ(tdb_prepare(db, "INSERT INTO ty VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, NULL)", -1,
                       &st, NULL),
           TDB_OK);
  if (st) {
    CHECK_EQ(tdb_bind_parameter_count(st), 8);
    CHECK_EQ(tdb_bind_bool(st, 1, 1), TDB_OK);
    CHECK_EQ(tdb_bind_int64(st, 2, INT64_C(-9007199254740993)), TDB_OK);
    CHECK_EQ(tdb_bind_double(st, 3, 2.5), TDB_OK);
    CHECK_EQ(tdb_bind_text(st, 4, "héllo wörld", -1), TDB_OK);
    CHECK_EQ(tdb_bind_blob(st, 5, "\x00\x01\xff\x00", 4), TDB_OK);
    CHECK_EQ(tdb_bind_timestamp(st, 6, INT64_C(1735689600000000)), TDB_OK); /* 2025-01-01 */
    CHECK_EQ(tdb_bind_text(st, 7, "{\"a\": [1, 2]}", -1), TDB_OK);
    CHECK_EQ(tdb_bind_text(st, 8, "[1.5, -2, 0.25]", -1), TDB_OK);
    CHECK_EQ(tdb_step(st), TDB_DONE);
    if (tdb_errcode(db) != TDB_OK) printf("# insert: %s\n", tdb_errmsg(db));
    CHECK_EQ(tdb_changes(db), 1);
    tdb_finalize(st);
    st = NULL;
  }
  CHECK_EQ(tdb_prepare(db, "SELECT b, i, r, t, bl, ts, j, v, n FROM ty WHERE id = 1", -1, &st,
                       NULL),
           TDB_OK);
  if (!st) goto done;
  CHECK_EQ(tdb_column_count(st), 9);
  CHECK_STR(tdb_column_name(st, 0), "b");
  CHECK_STR(tdb_column_name(st, 8), "n");
  CHECK(tdb_column_name(st, 9) == NULL);
  CHECK(tdb_column_name(st, -1) == NULL);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  /* BOOLEAN */
  CHECK_EQ(tdb_column_type(st, 0), TDB_TYPE_BOOLEAN);
  CHECK_EQ(tdb_column_int64(st, 0), 1);
  CHECK(tdb_column_double(st, 0) == 1.0);
  CHECK_STR(tdb_column_text(st, 0), "true");
  CHECK_EQ(tdb_column_bytes(st, 0), 4);
  /* INTEGER */
  CHECK_EQ(tdb_column_type(st, 1), TDB_TYPE_INTEGER);
  CHECK_EQ(tdb_column_int64(st, 1), INT64_C(-9007199254740993));
  CHECK_STR(tdb_column_text(st, 1), "-9007199254740993");
  CHECK_EQ(tdb_column_bytes(st, 1), 17);
  /* REAL */
  CHECK_EQ(tdb_column_type(st, 2), TDB_TYPE_REAL);
  CHECK(tdb_column_double(st, 2) == 2.5);
  CHECK_EQ(tdb_column_int64(st, 2), 2); /* truncated */
  CHECK_STR(tdb_column_text(st, 2), "2.5");
  /* TEXT */
  CHECK_EQ(tdb_column_type(st, 3), TDB_TYPE_TEXT);
  CHECK_STR(tdb_column_text(st, 3), "héllo wörld");
  CHECK_EQ(tdb_column_bytes(st, 3), strlen("héllo wörld"));
  CHECK(tdb_column_blob(st, 3) != NULL && memcmp(tdb_column_blob(st, 3), "héllo", 6) == 0);
  CHECK_EQ(tdb_column_int64(st, 3), 0);
  /* BLOB */
  CHECK_EQ(tdb_column_type(st, 4), TDB_TYPE_BLOB);
  CHECK_EQ(tdb_column_bytes(st, 4), 4);
  b = tdb_column_blob(st, 4);
  CHECK(b != NULL && memcmp(b, "\x00\x01\xff\x00", 4) == 0);
  CHECK_STR(tdb_column_text(st, 4), "\\x0001ff00");
  /* TIMESTAMP */
  CHECK_EQ(tdb_column_type(st, 5), TDB_TYPE_TIMESTAMP);
  CHECK_EQ(tdb_column_int64(st, 5), INT64_C(1735689600000000));
  CHECK_STR(tdb_column_text(st, 5), "2025-01-01T00:00:00Z");
  CHECK_EQ(tdb_column_bytes(st, 5), 20);
  /* JSON: kept as written */
  CHECK_EQ(tdb_column_type(st, 6), TDB_TYPE_JSON);
  CHECK_STR(tdb_column_text(st, 6), "{\"a\": [1, 2]}");
  CHECK_EQ(tdb_column_bytes(st, 6), 13);
  /* VECTOR: 3 float32s as the blob, the text form without blanks */
  CHECK_EQ(tdb_column_type(st, 7), TDB_TYPE_VECTOR);
  CHECK_EQ(tdb_column_bytes(st, 7), 12);
  b = tdb_column_blob(st, 7);
  CHECK(b != NULL);
  if (b) {
    memcpy(f, b, sizeof f);
    CHECK(f[0] == 1.5f && f[1] == -2.0f && f[2] == 0.25f);
  }
  CHECK_STR(tdb_column_text(st, 7), "[1.5,-2,0.25]");
  /* NULL */
  CHECK_EQ(tdb_column_type(st, 8), TDB_TYPE_NULL);
  CHECK(tdb_column_text(st, 8) == NULL);
  CHECK(tdb_column_blob(st, 8) == NULL);
  CHECK_EQ(tdb_column_bytes(st, 8), 0);
  CHECK_EQ(tdb_column_int64(st, 8), 0);
  CHECK(tdb_column_double(st, 8) == 0.0);
  /* out of range */
  CHECK_EQ(tdb_column_type(st, 9), TDB_TYPE_NULL);
  CHECK(tdb_column_text(st, 9) == NULL);
  CHECK(tdb_column_blob(st, -1) == NULL);
  CHECK_EQ(tdb_column_bytes(st, 100), 0);
  CHECK_EQ(tdb_column_int64(st, -5), 0);
  CHECK_EQ(tdb_step(st), TDB_DONE);
  /* after DONE no row: accessors are safe and empty */
  CHECK(tdb_column_text(st, 0) == NULL);
  CHECK_EQ(tdb_column_type(st, 0), TDB_TYPE_NULL);
  tdb_finalize(st);
  st = NULL;
  /* literal forms of the same types, and typeof */
  CHECK_STR(sqlRows(db, "SELECT TRUE, 42, 0.1, 'x', x'00ff', CAST('2024-02-29T12:00:00Z' AS "
                        "TIMESTAMP), CAST('[1,true,null]' AS JSON), CAST('[0.5]' AS VECTOR(1)), NULL"),
            "true|42|0.1|x|\\x00ff|2024-02-29T12:00:00Z|[1,true,null]|[0.5]|NULL");
  CHECK_STR(sqlRows(db, "SELECT typeof(b), typeof(i), typeof(r), typeof(t), typeof(bl), "
                        "typeof(ts), typeof(n) FROM ty"),
            "boolean|integer|real|text|blob|timestamp|null");
  /* a bound blob and a NULL pointer bind (NULL) */
  CHECK_EQ(tdb_prepare(db, "SELECT $1, $2, $3", -1, &st, NULL), TDB_OK);
  if (st) {
    CHECK_EQ(tdb_bind_blob(st, 1, "", 0), TDB_OK);
    CHECK_EQ(tdb_bind_text(st, 2, NULL, 5), TDB_OK);
    CHECK_EQ(tdb_bind_blob(st, 3, "ab", -1), TDB_MISUSE);
    CHECK_EQ(tdb_step(st), TDB_ROW);
    CHECK_EQ(tdb_column_type(st, 0), TDB_TYPE_BLOB);
    CHECK_EQ(tdb_column_bytes(st, 0), 0);
    CHECK_EQ(tdb_column_type(st, 1), TDB_TYPE_NULL);
    CHECK_EQ(tdb_column_type(st, 2), TDB_TYPE_NULL);
    tdb_finalize(st);
    st = NULL;
  }
  /* invalid JSON / VECTOR values are data errors */
  EXEC_FAILS(db, "INSERT INTO ty(id, j) VALUES (2, '{bad')", "22032");
  EXEC_FAILS(db, "INSERT INTO ty(id, v) VALUES (3, '[1, 2]')", "22000");
done:
  tdb_finalize(st);
  tdb_close(db);
}

/* ---- 2. re-prepare after schema changes ------------------------------------------ */

static void testReprepare(void) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL, *pk = NULL, *ins = NULL;
  int rc;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INTEGER)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'one', 10), (2, 'two', 20)");
  CHECK_EQ(tdb_prepare(db, "SELECT * FROM t ORDER BY id", -1, &st, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "SELECT a FROM t WHERE id = $1", -1, &pk, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "INSERT INTO t VALUES ($1, NULL, NULL)", -1, &ins, NULL), TDB_OK);
  if (!st || !pk || !ins) goto done;
  CHECK_EQ(tdb_column_count(st), 3);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_column_count(st), 3);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_step(st), TDB_DONE);

  /* ADD COLUMN */
  EXEC_OK(db, "ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'dflt'");
  rc = tdb_step(st);
  CHECK_EQ(rc, TDB_ROW);
  CHECK_EQ(tdb_column_count(st), 4);
  CHECK_STR(tdb_column_name(st, 3), "c");
  CHECK_STR(tdb_column_text(st, 3), "dflt");
  CHECK_STR(tdb_column_text(st, 1), "one");
  tdb_reset(st);
  /* the positional INSERT now has too few values: an error at step */
  tdb_bind_int64(ins, 1, 3);
  rc = tdb_step(ins);
  CHECK_EQ(rc & 0xff, TDB_ERROR);
  CHECK_STR(tdb_sqlstate(db), "42601");
  tdb_reset(ins);

  /* DROP COLUMN */
  EXEC_OK(db, "ALTER TABLE t DROP COLUMN a");
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_column_count(st), 3);
  CHECK_STR(tdb_column_name(st, 0), "id");
  CHECK_STR(tdb_column_name(st, 1), "b");
  CHECK_STR(tdb_column_name(st, 2), "c");
  CHECK_EQ(tdb_column_int64(st, 1), 10);
  tdb_reset(st);
  /* the statement naming the dropped column fails at its next step, 42703 */
  tdb_bind_int64(pk, 1, 1);
  CHECK_EQ(tdb_step(pk) & 0xff, TDB_ERROR);
  CHECK_STR(tdb_sqlstate(db), "42703");
  /* the INSERT fits the table again (id, b, c) */
  tdb_reset(ins);
  tdb_bind_int64(ins, 1, 3);
  CHECK_EQ(tdb_step(ins), TDB_DONE);
  CHECK_STR(sqlRows(db, "SELECT * FROM t WHERE id = 3"), "3|NULL|NULL");
  EXEC_OK(db, "DELETE FROM t WHERE id = 3");

  /* RENAME COLUMN: b -> a, so the old `SELECT a ... WHERE id = $1` works again */
  EXEC_OK(db, "ALTER TABLE t RENAME COLUMN b TO a");
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_column_count(st), 3);
  CHECK_STR(tdb_column_name(st, 1), "a");
  CHECK_EQ(tdb_column_int64(st, 1), 10);
  tdb_reset(st);
  CHECK_EQ(tdb_step(pk), TDB_ROW); /* the binding survived the re-prepares */
  CHECK_EQ(tdb_column_int64(pk, 0), 10);
  CHECK_EQ(tdb_step(pk), TDB_DONE);

  /* DROP TABLE: 42P01 at the next step, twice, no crash */
  EXEC_OK(db, "DROP TABLE t");
  rc = tdb_step(st);
  CHECK_EQ(rc, TDB_ERROR_SCHEMA);
  CHECK_STR(tdb_sqlstate(db), "42P01");
  CHECK_CONTAINS(tdb_errmsg(db), "t");
  CHECK_EQ(tdb_step(pk), TDB_ERROR_SCHEMA);
  CHECK_STR(tdb_sqlstate(db), "42P01");
  CHECK_EQ(tdb_step(ins), TDB_ERROR_SCHEMA);
  CHECK_STR(tdb_sqlstate(db), "42P01");
  CHECK_EQ(tdb_column_count(st) >= 0, 1);
  (void)tdb_column_name(st, 0);
  (void)tdb_column_text(st, 0);
  /* an unrelated DDL bumps the version: still 42P01 (and not a second step
  ** at the same version: testStepAfterFailedReprepare) */
  EXEC_OK(db, "CREATE TABLE other(x INTEGER)");
  CHECK_EQ(tdb_step(st), TDB_ERROR_SCHEMA);
  CHECK_STR(tdb_sqlstate(db), "42P01");
  EXEC_OK(db, "DROP TABLE other");

  /* re-created with another shape: the old statements work again */
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT)");
  EXEC_OK(db, "INSERT INTO t VALUES (7, 'seven')");
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_column_count(st), 2);
  CHECK_EQ(tdb_column_int64(st, 0), 7);
  CHECK_STR(tdb_column_text(st, 1), "seven");
  CHECK_EQ(tdb_step(st), TDB_DONE);
  tdb_bind_int64(pk, 1, 7);
  CHECK_EQ(tdb_step(pk), TDB_ROW);
  CHECK_STR(tdb_column_text(pk, 0), "seven");
  tdb_reset(pk);

  /* an EXPLAIN statement across DROP TABLE as well */
  {
    tdb_stmt *ex = NULL;
    CHECK_EQ(tdb_prepare(db, "EXPLAIN SELECT * FROM t WHERE id = 7", -1, &ex, NULL), TDB_OK);
    if (ex) {
      CHECK_CONTAINS(stmtAllText(ex), "primary key lookup");
      EXEC_OK(db, "DROP TABLE t");
      CHECK_EQ(tdb_step(ex), TDB_ERROR_SCHEMA);
      CHECK_STR(tdb_sqlstate(db), "42P01");
      EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT)");
      CHECK_CONTAINS(stmtAllText(ex), "primary key lookup");
      tdb_finalize(ex);
    }
  }
  /* a view whose table went away */
  EXEC_OK(db, "CREATE TABLE base(x INTEGER)");
  EXEC_OK(db, "INSERT INTO base VALUES (1), (2)");
  EXEC_OK(db, "CREATE VIEW vb AS SELECT x * 10 AS y FROM base");
  CHECK_STR(sqlRows(db, "SELECT y FROM vb ORDER BY y"), "10;20");
  {
    tdb_stmt *vs = NULL;
    CHECK_EQ(tdb_prepare(db, "SELECT y FROM vb ORDER BY y", -1, &vs, NULL), TDB_OK);
    rc = tdb_exec(db, "DROP TABLE base", NULL, NULL);
    if (rc == TDB_OK) { /* allowed or refused (dependent view), never a crash */
      rc = tdb_step(vs);
      CHECK(rc != TDB_ROW && rc != TDB_DONE);
      CHECK_EQ(strlen(tdb_sqlstate(db)), 5);
      CHECK(strcmp(tdb_sqlstate(db), "00000") != 0);
    }
    tdb_finalize(vs);
  }
done:
  tdb_finalize(st);
  tdb_finalize(pk);
  tdb_finalize(ins);
  tdb_close(db);
}

/* A statement whose re-prepare failed (its table was dropped) is stepped
** again at the same schema version: it must fail again, never run the plan
** it no longer has. Each kind in its own test (a crash ends the test). */
static void stepAfterFailedReprepare(const char *prepared, const char *ddl, const char *state) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL;
  int rc, i;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INTEGER)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'one', 10)");
  CHECK_EQ(tdb_prepare(db, prepared, -1, &st, NULL), TDB_OK);
  if (!st) {
    tdb_close(db);
    return;
  }
  if (tdb_bind_parameter_count(st) > 0) tdb_bind_int64(st, 1, 1);
  rc = tdb_step(st);
  CHECK(rc == TDB_ROW || rc == TDB_DONE);
  tdb_reset(st);
  EXEC_OK(db, ddl);
  for (i = 0; i < 3; i++) {
    rc = tdb_step(st);
    CHECK_EQ(rc & 0xff, TDB_ERROR);
    CHECK_STR(tdb_sqlstate(db), state);
    if (i == 1) tdb_reset(st);
  }
  (void)tdb_column_count(st);
  (void)tdb_column_text(st, 0);
  /* and it recovers when the table is back */
  EXEC_OK(db, "DROP TABLE IF EXISTS t");
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INTEGER)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'one', 10)");
  tdb_reset(st);
  rc = tdb_step(st);
  CHECK(rc == TDB_ROW || rc == TDB_DONE);
  tdb_finalize(st);
  tdb_close(db);
}

static void testStepAfterFailedReprepareSelect(void) {
  stepAfterFailedReprepare("SELECT * FROM t", "DROP TABLE t", "42P01");
}
static void testStepAfterFailedReprepareColumn(void) {
  stepAfterFailedReprepare("SELECT a FROM t WHERE id = $1", "ALTER TABLE t DROP COLUMN a", "42703");
}
static void testStepAfterFailedReprepareExplain(void) {
  stepAfterFailedReprepare("EXPLAIN SELECT * FROM t WHERE id = 1", "DROP TABLE t", "42P01");
}
static void testStepAfterFailedReprepareInsert(void) {
  stepAfterFailedReprepare("INSERT INTO t VALUES (2, 'two', 20)", "DROP TABLE t", "42P01");
}
static void testStepAfterFailedReprepareUpdate(void) {
  stepAfterFailedReprepare("UPDATE t SET b = b + 1 WHERE id = $1", "DROP TABLE t", "42P01");
}
static void testStepAfterFailedReprepareDelete(void) {
  stepAfterFailedReprepare("DELETE FROM t WHERE id = 5", "DROP TABLE t", "42P01");
}
static void testStepAfterFailedReprepareDescribe(void) {
  stepAfterFailedReprepare("DESCRIBE t", "DROP TABLE t", "42P01");
}

/* ---- 3. DDL while another statement returns rows --------------------------------- */

static void testDdlBusy(void) {
  tdb *db = openMemory();
  tdb_stmt *sel = NULL, *ddl = NULL;
  int rc, n = 0;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  CHECK_EQ(tdb_prepare(db, "SELECT id, v FROM t ORDER BY id", -1, &sel, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "ALTER TABLE t ADD COLUMN w INTEGER", -1, &ddl, NULL), TDB_OK);
  if (!sel || !ddl) goto done;
  CHECK_EQ(tdb_step(sel), TDB_ROW);
  CHECK_EQ(tdb_column_int64(sel, 0), 1);
  /* every kind of DDL is refused */
  rc = tdb_step(ddl);
  CHECK_EQ(rc, TDB_BUSY);
  CHECK_STR(tdb_sqlstate(db), "55006");
  CHECK_EQ(tdb_errcode(db), TDB_BUSY);
  EXEC_FAILS(db, "DROP TABLE t", "55006");
  EXEC_FAILS(db, "CREATE TABLE t2(x INTEGER)", "55006");
  EXEC_FAILS(db, "CREATE INDEX t_v ON t(v)", "55006");
  EXEC_FAILS(db, "CREATE VIEW tv AS SELECT id FROM t", "55006");
  EXEC_FAILS(db, "ALTER TABLE t RENAME COLUMN v TO vv", "55006");
  /* the running statement is intact and continues */
  CHECK_EQ(tdb_step(sel), TDB_ROW);
  CHECK_EQ(tdb_column_int64(sel, 0), 2);
  CHECK_STR(tdb_column_text(sel, 1), "b");
  /* DML is allowed meanwhile; the running SELECT keeps its snapshot */
  EXEC_OK(db, "INSERT INTO t VALUES (4, 'd')");
  CHECK_EQ(tdb_step(sel), TDB_ROW);
  CHECK_EQ(tdb_column_int64(sel, 0), 3);
  CHECK_EQ(tdb_step(sel), TDB_DONE);
  CHECK_EQ(tdb_column_count(sel), 2);
  /* a finished statement does not block */
  CHECK_EQ(tdb_step(ddl), TDB_DONE);
  /* again: mid-iteration, refused; after tdb_reset of the reader, done */
  CHECK_EQ(tdb_step(sel), TDB_ROW); /* re-prepared: 3 columns */
  CHECK_EQ(tdb_column_count(sel), 2); /* the explicit list: id, v */
  EXEC_FAILS(db, "DROP TABLE t", "55006");
  CHECK_EQ(tdb_reset(sel), TDB_OK);
  EXEC_OK(db, "CREATE INDEX t_v ON t(v)");
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t WHERE w IS NULL"), 4);
  /* the statement that was refused (after an error state) runs once free */
  while ((rc = tdb_step(sel)) == TDB_ROW) n++;
  CHECK_EQ(rc, TDB_DONE);
  CHECK_EQ(n, 4);
done:
  tdb_finalize(sel);
  tdb_finalize(ddl);
  tdb_close(db);
}

/* ---- 4. EXPLAIN --------------------------------------------------------------------- */

static void testExplain(void) {
  tdb *db = openMemory();
  const char *p;
  tdb_stmt *st = NULL;
  int i;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE e(id INTEGER PRIMARY KEY, k INTEGER, s TEXT)");
  for (i = 1; i <= 300; i++) {
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO e VALUES (%d, %d, 's%d')", i, i % 17, i);
    if (EXEC_OK(db, sql) != TDB_OK) break;
  }
  p = sqlExplain(db, "EXPLAIN SELECT * FROM e WHERE id = 5");
  CHECK_CONTAINS(p, "SCAN e");
  CHECK_CONTAINS(p, "primary key lookup");
  p = sqlExplain(db, "EXPLAIN SELECT * FROM e WHERE id BETWEEN 5 AND 9");
  CHECK_CONTAINS(p, "primary key range");
  p = sqlExplain(db, "EXPLAIN SELECT * FROM e WHERE k = 3");
  CHECK_CONTAINS(p, "full scan");
  p = sqlExplain(db, "EXPLAIN SELECT * FROM e");
  CHECK_CONTAINS(p, "full scan");
  EXEC_OK(db, "CREATE INDEX e_k ON e(k)");
  /* a statement with a parameter chooses the index */
  CHECK_EQ(tdb_prepare(db, "EXPLAIN SELECT * FROM e WHERE k = ?", -1, &st, NULL), TDB_OK);
  if (st) {
    int rows = 0, found = 0, rc;
    CHECK_EQ(tdb_column_count(st), 1);
    CHECK_STR(tdb_column_name(st, 0), "plan");
    while ((rc = tdb_step(st)) == TDB_ROW) {
      const char *t = tdb_column_text(st, 0);
      CHECK_EQ(tdb_column_type(st, 0), TDB_TYPE_TEXT);
      rows++;
      if (t && strstr(t, "index lookup") && strstr(t, "using e_k")) found = 1;
    }
    CHECK_EQ(rc, TDB_DONE);
    CHECK(rows >= 1);
    CHECK(found);
    tdb_finalize(st);
    st = NULL;
  }
  p = sqlExplain(db, "EXPLAIN SELECT * FROM e WHERE k > 3 AND k < 5");
  CHECK_CONTAINS(p, "index range");
  p = sqlExplain(db, "EXPLAIN SELECT * FROM e WHERE id = 5 AND k = 5");
  CHECK_CONTAINS(p, "primary key lookup");
  p = sqlExplain(db, "EXPLAIN SELECT k, count(*) FROM e GROUP BY k ORDER BY k LIMIT 3");
  CHECK_CONTAINS(p, "AGGREGATE");
  CHECK_CONTAINS(p, "SORT");
  CHECK_CONTAINS(p, "LIMIT");
  /* EXPLAIN of UPDATE / DELETE names the path that finds the rows */
  p = sqlExplain(db, "EXPLAIN UPDATE e SET s = 'x' WHERE id = 9");
  CHECK_CONTAINS(p, "primary key lookup");
  p = sqlExplain(db, "EXPLAIN DELETE FROM e WHERE k = 2");
  CHECK_CONTAINS(p, "index lookup");
  /* ... without changing anything */
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM e WHERE s = 'x'"), 0);
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM e WHERE k = 2"), 18);
  /* EXPLAIN ANALYZE: actual rows of the run */
  p = sqlExplain(db, "EXPLAIN ANALYZE SELECT * FROM e WHERE k = 3");
  CHECK_CONTAINS(p, "actual rows=");
  CHECK_CONTAINS(p, "actual rows=18");
  p = sqlExplain(db, "EXPLAIN ANALYZE SELECT * FROM e WHERE id = 5");
  CHECK_CONTAINS(p, "actual rows=1 ");
  p = sqlExplain(db, "EXPLAIN ANALYZE SELECT count(*) FROM e");
  CHECK_CONTAINS(p, "actual rows=300");
  /* EXPLAIN of what has no plan is an error, not a crash */
  CHECK(strncmp(sqlExplain(db, "EXPLAIN CREATE TABLE zz(a INTEGER)"), "ERROR", 5) == 0);
  CHECK(strncmp(sqlExplain(db, "EXPLAIN INSERT INTO e VALUES (1000, 1, 'x')"), "ERROR", 5) == 0);
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM e"), 300);
  /* after DROP INDEX the same query re-plans to a full scan */
  CHECK_EQ(tdb_prepare(db, "EXPLAIN SELECT * FROM e WHERE k = 3", -1, &st, NULL), TDB_OK);
  if (st) {
    CHECK_CONTAINS(stmtAllText(st), "index lookup");
    EXEC_OK(db, "DROP INDEX e_k");
    CHECK_CONTAINS(stmtAllText(st), "full scan");
    tdb_finalize(st);
  }
  tdb_close(db);
}

/* ---- 5. atomicity and persistence --------------------------------------------------- */

static void testAtomicity(void) {
  tdb *db = openMemory();
  uint64_t head;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER CHECK (n >= 0))");
  EXEC_OK(db, "CREATE UNIQUE INDEX a_v ON a(v)");
  head = tdb_kv_head(db);
  CHECK(head > 0);
  /* 3rd row: duplicate key within the statement */
  EXEC_FAILS(db, "INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (1, 'z', 3)", "23505");
  CHECK_EQ(tdb_kv_head(db), head);
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM a"), 0);
  /* 3rd row: NULL into NOT NULL */
  EXEC_FAILS(db, "INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, NULL, 3)", "23502");
  CHECK_EQ(tdb_kv_head(db), head);
  /* 3rd row: CHECK */
  EXEC_FAILS(db, "INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', -3)", "23514");
  CHECK_EQ(tdb_kv_head(db), head);
  /* 3rd row: unique index */
  EXEC_FAILS(db, "INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, 'x', 3)", "23505");
  CHECK_EQ(tdb_kv_head(db), head);
  /* 3rd row: runtime error in an expression */
  EXEC_FAILS(db, "INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', 1 / 0)", "22012");
  CHECK_EQ(tdb_kv_head(db), head);
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM a"), 0);
  CHECK_STR(sqlRows(db, "SELECT * FROM a"), "");
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM a WHERE v = 'x'"), 0);
  /* after all that the same rows go in, in one epoch */
  EXEC_OK(db, "INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', 3)");
  CHECK_EQ(tdb_kv_head(db), head + 1);
  CHECK_EQ(tdb_changes(db), 3);
  head = tdb_kv_head(db);
  /* a failing UPDATE changes nothing */
  EXEC_FAILS(db, "UPDATE a SET n = 2 - n", "23514");
  CHECK_EQ(tdb_kv_head(db), head);
  CHECK_STR(sqlRows(db, "SELECT id, n FROM a ORDER BY id"), "1|1;2|2;3|3");
  EXEC_FAILS(db, "UPDATE a SET v = 'x' WHERE id >= 2", "23505");
  CHECK_EQ(tdb_kv_head(db), head);
  CHECK_STR(sqlRows(db, "SELECT v FROM a ORDER BY id"), "x;y;z");
  /* a failing DDL neither (duplicates in the unique index build) */
  EXEC_OK(db, "INSERT INTO a VALUES (4, 'w', 1)");
  head = tdb_kv_head(db);
  EXEC_FAILS(db, "CREATE UNIQUE INDEX a_n ON a(n)", "23505");
  CHECK_EQ(tdb_kv_head(db), head);
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_indexes WHERE table_name = 'a' ORDER BY name"),
            "a_v");
  /* a SELECT uses no epoch */
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM a"), 4);
  CHECK_EQ(tdb_kv_head(db), head);
  /* the rowids a failed INSERT would have used are not burnt visibly */
  EXEC_OK(db, "CREATE TABLE r(x INTEGER)");
  EXEC_OK(db, "INSERT INTO r VALUES (1)");
  EXEC_FAILS(db, "INSERT INTO r VALUES (2), (3), (1 / 0)", "22012");
  EXEC_OK(db, "INSERT INTO r VALUES (4)");
  CHECK_STR(sqlRows(db, "SELECT _rowid, x FROM r ORDER BY _rowid"), "1|1;2|4");
  tdb_close(db);
}

static void testPersistence(void) {
  char path[128];
  tdb *db = NULL;
  tdb_config cfg;
  const char *p;
  int i;
  tdb_config_default(&cfg);
  cfg.threads = 0;
  snprintf(path, sizeof path, "%s/persist.tdb", gTmp);
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE acct(id INTEGER PRIMARY KEY, owner TEXT NOT NULL, bal INTEGER "
              "DEFAULT 0, tag TEXT UNIQUE)");
  EXEC_OK(db, "CREATE TABLE ev(at TIMESTAMP, doc JSON, emb VECTOR(2), raw BLOB, ok BOOLEAN, "
              "f REAL)");
  EXEC_OK(db, "CREATE INDEX acct_owner ON acct(owner)");
  EXEC_OK(db, "CREATE VIEW rich AS SELECT id, owner FROM acct WHERE bal >= 100");
  for (i = 1; i <= 50; i++) {
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT INTO acct VALUES (%d, 'owner%d', %d, 'tag%d')", i, i % 5,
             i * 10, i);
    if (EXEC_OK(db, sql) != TDB_OK) break;
  }
  EXEC_OK(db, "INSERT INTO ev VALUES ('2025-03-04T05:06:07Z', '{\"k\": 1}', '[0.5, 2]', "
              "x'cafe', TRUE, -1.25)");
  EXEC_OK(db, "UPDATE acct SET bal = 0 WHERE id = 50");
  EXEC_OK(db, "DELETE FROM acct WHERE id = 49");
  EXEC_OK(db, "ALTER TABLE acct ADD COLUMN note TEXT DEFAULT 'n/a'");
  CHECK_EQ(tdb_close(db), TDB_OK);
  db = NULL;

  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM acct"), 49);
  CHECK_EQ(sqlInt(db, "SELECT sum(bal) FROM acct"), 10 * (48 * 49 / 2));
  CHECK_STR(sqlRows(db, "SELECT * FROM acct WHERE id = 7"), "7|owner2|70|tag7|n/a");
  CHECK_STR(sqlRows(db, "SELECT id FROM acct WHERE id >= 48 ORDER BY id"), "48;50");
  CHECK_STR(sqlRows(db, "SELECT * FROM ev"),
            "2025-03-04T05:06:07Z|{\"k\": 1}|[0.5,2]|\\xcafe|true|-1.25");
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM rich"), "39"); /* ids 10..48 */
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_tables ORDER BY name"), "acct;ev");
  CHECK_STR(sqlRows(db, "SELECT name, type, position, notnull, pk FROM tdb_columns WHERE "
                        "table_name = 'acct' ORDER BY position"),
            "id|INTEGER|1|true|1;owner|TEXT|2|true|0;bal|INTEGER|3|false|0;tag|TEXT|4|false|0;"
            "note|TEXT|5|false|0");
  CHECK_STR(sqlRows(db, "SELECT name, table_name, \"unique\", columns FROM tdb_indexes ORDER BY name"),
            "acct_owner|acct|false|owner;acct_tag_key|acct|true|tag");
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_views"), "rich");
  /* the index is used and returns the right rows */
  p = sqlExplain(db, "EXPLAIN SELECT id FROM acct WHERE owner = 'owner3'");
  CHECK_CONTAINS(p, "index lookup");
  CHECK_CONTAINS(p, "acct_owner");
  CHECK_STR(sqlRows(db, "SELECT id FROM acct WHERE owner = 'owner3' ORDER BY id"),
            "3;8;13;18;23;28;33;38;43;48");
  /* constraints survive: unique tag, not null owner, primary key */
  EXEC_FAILS(db, "INSERT INTO acct VALUES (100, 'x', 0, 'tag1', NULL)", "23505");
  EXEC_FAILS(db, "INSERT INTO acct(id) VALUES (101)", "23502");
  EXEC_FAILS(db, "INSERT INTO acct(id, owner) VALUES (1, 'dup')", "23505");
  /* the catalog can still change and the ids of new objects do not collide */
  EXEC_OK(db, "CREATE TABLE later(x INTEGER PRIMARY KEY)");
  EXEC_OK(db, "INSERT INTO later VALUES (1), (2)");
  EXEC_OK(db, "DROP INDEX acct_owner");
  EXEC_OK(db, "CREATE INDEX acct_bal ON acct(bal)");
  EXEC_OK(db, "INSERT INTO acct(id, owner, bal) VALUES (200, 'late', 5)");
  CHECK_EQ(tdb_close(db), TDB_OK);
  db = NULL;

  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_tables ORDER BY name"), "acct;ev;later");
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_indexes ORDER BY name"), "acct_bal;acct_tag_key");
  CHECK_STR(sqlRows(db, "SELECT x FROM later ORDER BY x"), "1;2");
  p = sqlExplain(db, "EXPLAIN SELECT id FROM acct WHERE bal = 5");
  CHECK_CONTAINS(p, "index lookup");
  CHECK_STR(sqlRows(db, "SELECT id, owner FROM acct WHERE bal = 5"), "200|late");
  CHECK_STR(sqlRows(db, "SELECT id FROM acct WHERE owner = 'owner3' ORDER BY id LIMIT 2"), "3;8");
  CHECK_EQ(tdb_flush(db), TDB_OK);
  CHECK_EQ(tdb_close(db), TDB_OK);
  db = NULL;
  /* after a flush to SSTables, once more */
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM acct"), 50);
  CHECK_STR(sqlRows(db, "SELECT id, owner FROM acct WHERE bal = 5"), "200|late");
  CHECK_EQ(tdb_check(db, NULL), TDB_OK);
  tdb_close(db);
}

/* ---- WAL preallocation (wal.h, store.c) ------------------------------------------ */

static char gLogNotes[4096];

static void noteLog(void *ctx, int level, const char *message) {
  size_t n = strlen(gLogNotes);
  (void)ctx;
  (void)level;
  snprintf(gLogNotes + n, sizeof gLogNotes - n, "%s\n", message);
}

/* The newest *.log file of dir whose size is a nonzero multiple of 1 MiB
** (a preallocated log that holds records) into path; its size, or 0. */
static long preallocatedLog(const char *dir, char *path, size_t cap) {
  DIR *d = opendir(dir);
  struct dirent *e;
  long best = 0;
  char name[256] = "";
  if (!d) return 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    char full[512];
    FILE *f;
    long size;
    if (n < 5 || strcmp(e->d_name + n - 4, ".log") != 0) continue;
    snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
    f = fopen(full, "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    if (size > 0 && size % (1L << 20) == 0 && strcmp(e->d_name, name) > 0) {
      snprintf(name, sizeof name, "%s", e->d_name);
      best = size;
    }
  }
  closedir(d);
  snprintf(path, cap, "%s/%s", dir, name);
  return best;
}

/* Commits with TDB_SYNC_FULL write their log over preallocated zeros; a
** reopen reads it whole with no torn-tail note (the zero tail is the log's
** clean end), in any sync mode; garbage written into the zeros after the
** last record (a torn write) is dropped with a note and loses nothing. */
static void testWalPrealloc(void) {
  char path[128], log[640];
  tdb *db = NULL;
  tdb_config cfg;
  long size;
  int i;
  tdb_config_default(&cfg);
  cfg.threads = 0;
  cfg.sync_mode = TDB_SYNC_FULL;
  cfg.log_fn = noteLog;
  snprintf(path, sizeof path, "%s/prealloc.tdb", gTmp);
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)");
  for (i = 1; i <= 200; i++) {
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, %d)", i, i * 3);
    if (EXEC_OK(db, sql) != TDB_OK) break;
  }
  EXEC_OK(db, "UPDATE t SET v = v + 1 WHERE id = 7");
  CHECK_EQ(tdb_close(db), TDB_OK);
  db = NULL;
  size = preallocatedLog(path, log, sizeof log);
  CHECK_EQ(size, 1L << 20);
  /* reopen, with and without sync: whole, no note */
  gLogNotes[0] = '\0';
  cfg.sync_mode = TDB_SYNC_OFF;
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t"), 200);
  CHECK_EQ(sqlInt(db, "SELECT v FROM t WHERE id = 7"), 22);
  CHECK(strstr(gLogNotes, "torn") == NULL);
  EXEC_OK(db, "INSERT INTO t VALUES (201, 0)");
  CHECK_EQ(tdb_close(db), TDB_OK);
  db = NULL;
  cfg.sync_mode = TDB_SYNC_FULL;
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t"), 201);
  CHECK(strstr(gLogNotes, "torn") == NULL);
  CHECK_EQ(tdb_close(db), TDB_OK);
  db = NULL;
  /* a torn write: garbage in the zeros a little after the last record */
  {
    FILE *f = fopen(log, "r+b");
    unsigned char *img = malloc((size_t)size);
    long last = -1, k;
    CHECK(f != NULL && img != NULL);
    if (f && img && fread(img, 1, (size_t)size, f) == (size_t)size) {
      for (k = 0; k < size; k++) if (img[k]) last = k;
      CHECK(last > 0 && last + 100 < size);
      fseek(f, last + 40, SEEK_SET);
      fwrite("\x5a\x17\x99\x03\x42\x42\x01\x77", 1, 8, f);
    }
    if (f) fclose(f);
    free(img);
  }
  gLogNotes[0] = '\0';
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t"), 201);
  CHECK_EQ(sqlInt(db, "SELECT sum(v) FROM t"), 3 * 200 * 201 / 2 + 1);
  CHECK_CONTAINS(gLogNotes, "torn tail");
  CHECK_EQ(tdb_check(db, NULL), TDB_OK);
  tdb_close(db);
}

/* ---- schema changes and indexes ----------------------------------------------------- */

/* An index created after ADD COLUMN ... DEFAULT must index the default of
** the rows that existed before the column (they read back with it). */
static void testIndexOnAddedColumn(void) {
  tdb *db = openMemory();
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')");
  EXEC_OK(db, "ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7");
  CHECK_STR(sqlRows(db, "SELECT id, b FROM t ORDER BY id"), "1|7;2|7;3|7");
  EXEC_OK(db, "CREATE INDEX t_b ON t(b)");
  CHECK_CONTAINS(sqlExplain(db, "EXPLAIN SELECT id FROM t WHERE b = 7"), "index lookup");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b + 0 = 7 ORDER BY id"), "1;2;3");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b = 7 ORDER BY id"), "1;2;3");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b > 0 ORDER BY id"), "1;2;3");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b IS NULL"), "");
  EXEC_OK(db, "UPDATE t SET b = 8 WHERE id = 2");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b = 7 ORDER BY id"), "1;3");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b = 8"), "2");
  /* a unique index over the same default: every old row has 1, so the
  ** index cannot be built (or, once built, must refuse another 1) */
  EXEC_OK(db, "CREATE TABLE u(id INTEGER PRIMARY KEY, a TEXT)");
  EXEC_OK(db, "INSERT INTO u VALUES (1, 'p'), (2, 'q')");
  EXEC_OK(db, "ALTER TABLE u ADD COLUMN c INTEGER DEFAULT 1");
  EXEC_FAILS(db, "CREATE UNIQUE INDEX u_c ON u(c)", "23505");
  if (sqlInt(db, "SELECT count(*) FROM tdb_indexes WHERE name = 'u_c'") == 1) {
    EXEC_FAILS(db, "INSERT INTO u VALUES (3, 'r', 1)", "23505");
  }
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM u WHERE c = 1"), 2);
  tdb_close(db);
}

/* A column CHECK of ADD COLUMN is enforced (or refused), never ignored. */
static void testAddColumnCheck(void) {
  tdb *db = openMemory();
  int rc;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER CHECK (a > 0))");
  EXEC_FAILS(db, "INSERT INTO t VALUES (1, -1)", "23514");
  rc = tdb_exec(db, "ALTER TABLE t ADD COLUMN m INTEGER CHECK (m > 0)", NULL, NULL);
  if (rc == TDB_OK) {
    EXEC_FAILS(db, "INSERT INTO t VALUES (2, 1, -5)", "23514");
    EXEC_OK(db, "INSERT INTO t VALUES (3, 1, 5)");
    EXEC_FAILS(db, "UPDATE t SET m = 0", "23514");
    CHECK_STR(sqlRows(db, "SELECT * FROM t"), "3|1|5");
  } else {
    CHECK_STR(tdb_sqlstate(db), "0A000");
  }
  tdb_close(db);
}

/* ADD COLUMN on a table with rows: the new column's NOT NULL and DEFAULT
** must hold for the rows already there. */
static void testAddColumnOverRows(void) {
  tdb *db = openMemory();
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 1)");
  EXEC_FAILS(db, "ALTER TABLE t ADD COLUMN m INTEGER NOT NULL", "23502");
  /* NOT NULL with a NULL default would give the old row a NULL */
  EXEC_FAILS(db, "ALTER TABLE t ADD COLUMN m2 INTEGER NOT NULL DEFAULT NULL", "23502");
  CHECK_STR(sqlRows(db, "SELECT * FROM t"), "1|1");
  (void)tdb_exec(db, "ALTER TABLE t DROP COLUMN m2", NULL, NULL); /* if it went in */
  /* a default that does not convert to the column type: the ALTER fails,
  ** rather than every later read of the table */
  EXEC_FAILS(db, "ALTER TABLE t ADD COLUMN m3 INTEGER DEFAULT 'abc'", "22P02");
  CHECK_STR(sqlRows(db, "SELECT * FROM t"), "1|1");
  (void)tdb_exec(db, "ALTER TABLE t DROP COLUMN m3", NULL, NULL); /* if it went in */
  EXEC_OK(db, "ALTER TABLE t ADD COLUMN m4 INTEGER DEFAULT '12'");
  CHECK_STR(sqlRows(db, "SELECT * FROM t"), "1|1|12");
  tdb_close(db);
}

/* `*` and `t.*` over a join of tables that share column names expand to
** every column (duplicates allowed, as in PostgreSQL and SQLite). */
static void testStarOverJoin(void) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE e(id INTEGER PRIMARY KEY, k INTEGER)");
  EXEC_OK(db, "CREATE TABLE f(id INTEGER, z INTEGER)");
  EXEC_OK(db, "INSERT INTO e VALUES (1, 1), (2, 1)");
  EXEC_OK(db, "INSERT INTO f VALUES (1, 9)");
  CHECK_STR(sqlRows(db, "SELECT a.id, b.id FROM e a, e b WHERE a.id = 1 ORDER BY b.id"), "1|1;1|2");
  CHECK_STR(sqlRows(db, "SELECT * FROM e JOIN f ON e.id = f.id"), "1|1|1|9");
  CHECK_STR(sqlRows(db, "SELECT e.*, f.z FROM e JOIN f ON e.id = f.id"), "1|1|9");
  CHECK_STR(sqlRows(db, "SELECT * FROM e a JOIN e b ON a.k = b.id ORDER BY a.id"), "1|1|1|1;2|1|1|1");
  CHECK_STR(sqlRows(db, "SELECT * FROM (SELECT 1 AS x, 2 AS x) s"), "1|2");
  CHECK_EQ(tdb_prepare(db, "SELECT * FROM e, f", -1, &st, NULL), TDB_OK);
  if (st) {
    CHECK_EQ(tdb_column_count(st), 4);
    CHECK_STR(tdb_column_name(st, 0), "id");
    CHECK_STR(tdb_column_name(st, 2), "id");
    tdb_finalize(st);
  }
  /* an unqualified reference to the shared name stays ambiguous */
  EXEC_FAILS(db, "SELECT id FROM e, f", "42702");
  tdb_close(db);
}

/* An untyped column keeps integral REALs and INTEGERs apart as values but
** they compare equal: an index built over existing rows must find both, and
** a unique one must see them as duplicates. */
static void testUntypedIndex(void) {
  tdb *db = openMemory();
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, u)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 1), (3, 3.0), (5, 2.5), (6, 3)");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE u = 3 ORDER BY id"), "3;6");
  EXEC_OK(db, "CREATE INDEX t_u ON t(u)"); /* built over the rows */
  CHECK_CONTAINS(sqlExplain(db, "EXPLAIN SELECT id FROM t WHERE u = 3"), "index lookup");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE u = 3 ORDER BY id"), "3;6");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE u = 3.0 ORDER BY id"), "3;6");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE u IN (3, 1) ORDER BY id"), "1;3;6");
  EXEC_FAILS(db, "CREATE UNIQUE INDEX t_uu ON t(u)", "23505");
  /* the same when the index exists before the rows */
  EXEC_OK(db, "CREATE TABLE t2(id INTEGER PRIMARY KEY, u)");
  EXEC_OK(db, "CREATE INDEX t2_u ON t2(u)");
  EXEC_OK(db, "INSERT INTO t2 VALUES (1, 1), (3, 3.0), (5, 2.5), (6, 3)");
  CHECK_STR(sqlRows(db, "SELECT id FROM t2 WHERE u = 3 ORDER BY id"), "3;6");
  tdb_close(db);
}

/* ANALYZE works over any data, including an untyped column holding values
** of types that do not compare. */
static void testAnalyzeMixedTypes(void) {
  tdb *db = openMemory();
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE m(id INTEGER PRIMARY KEY, u)");
  EXEC_OK(db, "INSERT INTO m VALUES (1, 1), (2, 'x'), (3, x'00'), (4, NULL), (5, TRUE)");
  EXEC_OK(db, "ANALYZE m");
  EXEC_OK(db, "ANALYZE");
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM m"), 5);
  CHECK_STR(sqlRows(db, "SELECT id FROM m WHERE id = 2"), "2");
  tdb_close(db);
}

/* The estimate of the plan's FILTER: its rows=N. */
static long explainLeafRows(tdb *db, const char *sql) {
  const char *p = strstr(sqlExplain(db, sql), "FILTER"), *r = p ? strstr(p, "rows=") : NULL;
  return r ? atol(r + 5) : -1;
}

/* ANALYZE in bounded memory: past TDB_STATS_EXACT_DISTINCT distinct values
** a column's count is a HyperLogLog estimate (within 3 %: 3.7 standard
** errors), past TDB_STATS_SAMPLE values its histogram is a reservoir sample
** (range fractions within a few percent); small columns stay exact. */
static void testAnalyzeBounded(void) {
  tdb *db = openMemory();
  char *sql = malloc(64 * 1000 + 64);
  long i, b, est;
  CHECK(db != NULL && sql != NULL);
  if (!db || !sql) { free(sql); tdb_close(db); return; }
  EXEC_OK(db, "CREATE TABLE big(id INTEGER PRIMARY KEY, g INTEGER, s INTEGER, u TEXT)");
  for (b = 0; b < 100; b++) {
    size_t n = (size_t)sprintf(sql, "INSERT INTO big VALUES ");
    for (i = b * 1000; i < b * 1000 + 1000; i++) {
      n += (size_t)sprintf(sql + n, "%s(%ld, %ld, %ld, 'u%ld')", i > b * 1000 ? "," : "", i,
                           i % 7, (i * 7919) % 40000, i % 30000);
    }
    if (EXEC_OK(db, sql) != TDB_OK) break;
  }
  EXEC_OK(db, "ANALYZE big");
  /* 7 distinct: exact, 100000 / 7 */
  CHECK_EQ(explainLeafRows(db, "EXPLAIN SELECT * FROM big WHERE g = 3"), 14286);
  /* 40000 and 30000 distinct: estimated, rows / distinct = 2.5 and 3.33 */
  est = explainLeafRows(db, "EXPLAIN SELECT * FROM big WHERE s = 3");
  CHECK(est >= 2 && est <= 3);
  est = explainLeafRows(db, "EXPLAIN SELECT * FROM big WHERE u = 'u5'");
  CHECK(est >= 3 && est <= 4);
  /* a quarter of the rows (s is uniform over 0..39999), from a 30000-value
  ** sample of 100000 */
  est = explainLeafRows(db, "EXPLAIN SELECT * FROM big WHERE s < 10000");
  CHECK(est >= 22000 && est <= 28000);
  /* the same data gives the same statistics */
  {
    char first[8192];
    snprintf(first, sizeof first, "%s", sqlExplain(db, "EXPLAIN SELECT * FROM big WHERE s < 9000"));
    EXEC_OK(db, "ANALYZE big");
    CHECK_STR(sqlExplain(db, "EXPLAIN SELECT * FROM big WHERE s < 9000"), first);
  }
  free(sql);
  tdb_close(db);
}

/* DROP COLUMN of a column that many indexes cover (more than 128). */
static void testDropColumnManyIndexes(void) {
  tdb *db = openMemory();
  char sql[128];
  int i;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)");
  for (i = 0; i < 140; i++) {
    snprintf(sql, sizeof sql, "CREATE INDEX ix%d ON t(%s)", i, i % 2 ? "a" : "b, a");
    if (EXEC_OK(db, sql) != TDB_OK) break;
  }
  EXEC_OK(db, "CREATE INDEX keep_b ON t(b)");
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM tdb_indexes"), 141);
  EXEC_OK(db, "ALTER TABLE t DROP COLUMN a");
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_indexes"), "keep_b");
  CHECK_STR(sqlRows(db, "SELECT * FROM t WHERE b = 2"), "2|2");
  tdb_close(db);
}

/* Indexes follow UPDATE and DELETE; DROP COLUMN takes its indexes along and
** keeps the others working; RENAME TABLE keeps indexes. */
static void testIndexMaintenance(void) {
  tdb *db = openMemory();
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'x', 10, 'p'), (2, 'y', 20, 'q'), (3, 'z', 30, 'r')");
  EXEC_OK(db, "CREATE INDEX t_b ON t(b)");
  EXEC_OK(db, "CREATE INDEX t_c ON t(c)");
  EXEC_OK(db, "CREATE INDEX t_ab ON t(a, b)");
  EXEC_OK(db, "UPDATE t SET b = b + 100 WHERE id <= 2");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b = 10"), "");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b = 110"), "1");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b > 25 ORDER BY id"), "1;2;3");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE a = 'y' AND b = 120"), "2");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE a = 'y' AND b = 20"), "");
  EXEC_OK(db, "DELETE FROM t WHERE c = 'q'");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE c = 'q'"), "");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE b = 120"), "");
  /* a key swap in one statement */
  EXEC_OK(db, "UPDATE t SET id = 4 - id");
  CHECK_STR(sqlRows(db, "SELECT id, a FROM t ORDER BY id"), "1|z;3|x");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE c = 'p'"), "3");
  EXEC_OK(db, "ALTER TABLE t DROP COLUMN b");
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_indexes ORDER BY name"), "t_c");
  CHECK_CONTAINS(sqlExplain(db, "EXPLAIN SELECT * FROM t WHERE c = 'r'"), "using t_c");
  CHECK_STR(sqlRows(db, "SELECT * FROM t WHERE c = 'r'"), "1|z|r");
  EXEC_OK(db, "INSERT INTO t VALUES (5, 'w', 's')");
  CHECK_STR(sqlRows(db, "SELECT id FROM t WHERE c = 's'"), "5");
  EXEC_OK(db, "ALTER TABLE t RENAME TO t2");
  CHECK_STR(sqlRows(db, "SELECT name, table_name FROM tdb_indexes"), "t_c|t2");
  CHECK_STR(sqlRows(db, "SELECT id FROM t2 WHERE c = 's'"), "5");
  EXEC_FAILS(db, "SELECT * FROM t", "42P01");
  /* a dropped and re-added column does not bring back the old values */
  EXEC_OK(db, "ALTER TABLE t2 DROP COLUMN a");
  EXEC_OK(db, "ALTER TABLE t2 ADD COLUMN a TEXT");
  CHECK_STR(sqlRows(db, "SELECT id, a FROM t2 ORDER BY id"), "1|NULL;3|NULL;5|NULL");
  tdb_close(db);
}

/* DDL from inside a tdb_exec callback: the outer SELECT is returning rows. */
typedef struct CallbackCtx {
  tdb *db;
  int rows, ddl_rc, dml_rc;
  char state[8];
} CallbackCtx;

static int ddlInCallback(void *ctx, int ncols, const char *const *values,
                         const char *const *names) {
  CallbackCtx *c = ctx;
  (void)ncols;
  (void)values;
  (void)names;
  if (c->rows++ == 0) {
    c->ddl_rc = tdb_exec(c->db, "DROP TABLE t", NULL, NULL);
    snprintf(c->state, sizeof c->state, "%s", tdb_sqlstate(c->db));
    c->dml_rc = tdb_exec(c->db, "INSERT INTO t VALUES (100, 'new')", NULL, NULL);
  }
  return 0;
}

static void testDdlInCallback(void) {
  tdb *db = openMemory();
  CallbackCtx c;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  memset(&c, 0, sizeof c);
  c.db = db;
  CHECK_EQ(tdb_exec(db, "SELECT * FROM t", ddlInCallback, &c), TDB_OK);
  CHECK_EQ(c.ddl_rc, TDB_BUSY);
  CHECK_STR(c.state, "55006");
  CHECK_EQ(c.dml_rc, TDB_OK);
  CHECK_EQ(c.rows, 3); /* the outer SELECT kept its snapshot */
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t"), 4);
  EXEC_OK(db, "DROP TABLE t");
  tdb_close(db);
}

/* Access paths agree with full scans: the same predicates with the key or
** indexed column hidden behind an expression (+ 0, || '') must select the
** same rows, over random data with updates and deletes. */
/* A prepared primary-key point SELECT skips the key's FILTER while the
** lookup reads the key exactly (planner.c, tdbPlanMarkImplied). Every binding
** that cannot be looked up exactly must still go through the FILTER: a
** non-integral REAL finds nothing, TEXT against an INTEGER key is the
** comparison's 42883, NULL finds nothing; a second conjunct still filters;
** a TEXT key is looked up as such. */
static char gState[8];

static int stepCount(tdb *db, tdb_stmt *st, int *rc_out) {
  int n = 0, rc;
  while ((rc = tdb_step(st)) == TDB_ROW) n++;
  *rc_out = rc;
  snprintf(gState, sizeof gState, "%s", rc == TDB_DONE ? "" : tdb_sqlstate(db));
  tdb_reset(st);
  return n;
}

static void testPointFilterImplied(void) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL, *st2 = NULL, *st3 = NULL;
  int rc;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE p(id INTEGER PRIMARY KEY, k INTEGER)");
  EXEC_OK(db, "INSERT INTO p VALUES (1, 10), (2, 20), (3, 30)");
  EXEC_OK(db, "CREATE TABLE s(name TEXT PRIMARY KEY, k INTEGER)");
  EXEC_OK(db, "INSERT INTO s VALUES ('2', 1), ('a', 2)");
  CHECK_EQ(tdb_prepare(db, "SELECT k FROM p WHERE id = ?", -1, &st, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "SELECT k FROM p WHERE id = ? AND k = 30", -1, &st2, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "SELECT k FROM s WHERE name = ?", -1, &st3, NULL), TDB_OK);
  if (!st || !st2 || !st3) goto done;
  tdb_bind_int64(st, 1, 2);
  CHECK_EQ(stepCount(db, st, &rc), 1);
  CHECK_EQ(rc, TDB_DONE);
  tdb_bind_double(st, 1, 2.0);
  CHECK_EQ(stepCount(db, st, &rc), 1);
  tdb_bind_double(st, 1, 2.5);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  CHECK_EQ(rc, TDB_DONE);
  tdb_bind_text(st, 1, "2", -1);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  CHECK(rc != TDB_DONE && rc != TDB_ROW);
  CHECK_STR(gState, "42883");
  tdb_bind_null(st, 1);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  CHECK_EQ(rc, TDB_DONE);
  tdb_bind_int64(st, 1, 4);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  tdb_bind_int64(st2, 1, 2);
  CHECK_EQ(stepCount(db, st2, &rc), 0);
  tdb_bind_int64(st2, 1, 3);
  CHECK_EQ(stepCount(db, st2, &rc), 1);
  tdb_bind_text(st3, 1, "a", -1);
  CHECK_EQ(stepCount(db, st3, &rc), 1);
  tdb_bind_int64(st3, 1, 2);
  CHECK_EQ(stepCount(db, st3, &rc), 0);
  CHECK_STR(gState, "42883");
done:
  tdb_finalize(st);
  tdb_finalize(st2);
  tdb_finalize(st3);
  tdb_close(db);
}

/* The direct primary-key lookup (exec.c, tdbPointScanOf / tdbPointScanRun):
** a prepared `SELECT cols FROM t WHERE pk = ?` reads its row without the
** plan tree. Output columns in any order (and repeated) come from the
** scan's chunk; an execution that reads the history (a past valid time)
** goes through the plan tree, and the FILTER conditions it hands the scan
** must not stay for the next direct lookup; the transaction's own writes,
** a column added later (its DEFAULT), rows valid only later and deleted
** rows read as through the plan tree. */
static void testPointDirect(void) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL;
  int rc;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE q(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)");
  EXEC_OK(db, "INSERT INTO q VALUES (1, 10, 'one'), (2, 20, 'two'), (3, 30, 'three')");
  EXEC_OK(db, "INSERT INTO q (id, k, v, _valid_from) VALUES (9, 90, 'later', 4102444800000000)");
  CHECK_EQ(tdb_prepare(db, "SELECT v, id, k, v FROM q WHERE id = ?", -1, &st, NULL), TDB_OK);
  if (!st) goto done;
  tdb_bind_int64(st, 1, 2);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_STR(tdb_column_text(st, 0), "two");
  CHECK_EQ(tdb_column_int64(st, 1), 2);
  CHECK_EQ(tdb_column_int64(st, 2), 20);
  CHECK_STR(tdb_column_text(st, 3), "two");
  CHECK_EQ(tdb_step(st), TDB_DONE);
  tdb_reset(st);
  /* a past valid time: the history read, where the FILTER pushes id = 3 */
  EXEC_OK(db, "SET CURRENT_VALID_TIME = 100");
  tdb_bind_int64(st, 1, 3);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  CHECK_EQ(rc, TDB_DONE);
  EXEC_OK(db, "SET CURRENT_VALID_TIME = DEFAULT");
  tdb_bind_int64(st, 1, 1);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_column_int64(st, 2), 10);
  tdb_reset(st);
  /* valid only later; missing */
  tdb_bind_int64(st, 1, 9);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  tdb_bind_int64(st, 1, 5);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  /* the transaction's own writes, then its rollback */
  EXEC_OK(db, "BEGIN");
  EXEC_OK(db, "INSERT INTO q VALUES (5, 50, 'five')");
  EXEC_OK(db, "UPDATE q SET v = 'TWO' WHERE id = 2");
  EXEC_OK(db, "DELETE FROM q WHERE id = 3");
  tdb_bind_int64(st, 1, 5);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_STR(tdb_column_text(st, 0), "five");
  tdb_reset(st);
  tdb_bind_int64(st, 1, 2);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_STR(tdb_column_text(st, 3), "TWO");
  tdb_reset(st);
  tdb_bind_int64(st, 1, 3);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  EXEC_OK(db, "ROLLBACK");
  tdb_bind_int64(st, 1, 3);
  CHECK_EQ(stepCount(db, st, &rc), 1);
  tdb_bind_int64(st, 1, 5);
  CHECK_EQ(stepCount(db, st, &rc), 0);
  /* a column added later reads as its DEFAULT (the statement re-prepares) */
  EXEC_OK(db, "ALTER TABLE q ADD COLUMN w INTEGER DEFAULT 7");
  tdb_finalize(st);
  st = NULL;
  CHECK_EQ(tdb_prepare(db, "SELECT w, k FROM q WHERE id = ?", -1, &st, NULL), TDB_OK);
  if (!st) goto done;
  tdb_bind_int64(st, 1, 1);
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_column_int64(st, 0), 7);
  CHECK_EQ(tdb_column_int64(st, 1), 10);
  CHECK_EQ(tdb_step(st), TDB_DONE);
  /* a finished statement stepped again starts over */
  CHECK_EQ(tdb_step(st), TDB_ROW);
  CHECK_EQ(tdb_column_int64(st, 1), 10);
done:
  tdb_finalize(st);
  tdb_close(db);
}

static void testAccessPathsAgree(void) {
  tdb *db = openMemory();
  uint64_t seed = 42;
  int i, q;
  static const char *const ops[] = {"=", "<", "<=", ">", ">="};
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE d(id INTEGER PRIMARY KEY, k INTEGER, r REAL, s TEXT)");
  EXEC_OK(db, "CREATE INDEX d_k ON d(k)");
  EXEC_OK(db, "CREATE INDEX d_r ON d(r DESC)");
  EXEC_OK(db, "CREATE INDEX d_s ON d(s)");
  EXEC_OK(db, "CREATE INDEX d_ks ON d(k, s)");
  for (i = 0; i < 400; i++) {
    char sql[200];
    uint64_t x = tdbTestRand(&seed);
    int id = (int)(x % 500) - 100;
    snprintf(sql, sizeof sql, "INSERT INTO d VALUES (%d, %s, %s, %s)", id,
             x % 11 == 0 ? "NULL" : (x >> 8) % 2 ? "-5" : "3",
             x % 13 == 0 ? "NULL" : (x >> 16) % 3 == 0 ? "-0.5" : "2.25",
             x % 7 == 0 ? "NULL" : (x >> 24) % 2 ? "'ab'" : "'b'");
    /* vary the values more than the ternaries above */
    if ((x >> 32) % 3 == 0) {
      snprintf(sql, sizeof sql, "INSERT INTO d VALUES (%d, %d, %d.5, 's%d')", id,
               (int)((x >> 40) % 40) - 20, (int)((x >> 20) % 30) - 15, (int)((x >> 48) % 50));
    }
    (void)tdb_exec(db, sql, NULL, NULL); /* duplicate ids fail: fine */
    if (i % 50 == 49) {
      snprintf(sql, sizeof sql, "UPDATE d SET k = k + 1 WHERE id %% 7 = %d", i % 7);
      EXEC_OK(db, sql);
      snprintf(sql, sizeof sql, "DELETE FROM d WHERE id %% 11 = %d", i % 11);
      EXEC_OK(db, sql);
    }
  }
  CHECK(sqlInt(db, "SELECT count(*) FROM d") > 100);
  for (q = 0; q < 300; q++) {
    char a[400], b[400], pa[128], pb[128];
    uint64_t x = tdbTestRand(&seed);
    const char *op = ops[x % 5];
    int v = (int)((x >> 8) % 60) - 30;
    const char *r1, *r2;
    switch ((x >> 16) % 8) {
      case 0:
        snprintf(pa, sizeof pa, "id %s %d", op, v * 10);
        snprintf(pb, sizeof pb, "id + 0 %s %d", op, v * 10);
        break;
      case 1:
        snprintf(pa, sizeof pa, "k %s %d", op, v / 2);
        snprintf(pb, sizeof pb, "k + 0 %s %d", op, v / 2);
        break;
      case 2:
        snprintf(pa, sizeof pa, "r %s %d.5", op, v / 2);
        snprintf(pb, sizeof pb, "r + 0 %s %d.5", op, v / 2);
        break;
      case 3:
        snprintf(pa, sizeof pa, "s %s 's%d'", op, v + 30);
        snprintf(pb, sizeof pb, "s || '' %s 's%d'", op, v + 30);
        break;
      case 4:
        snprintf(pa, sizeof pa, "k = %d AND s %s 's%d'", v / 2, op, v + 30);
        snprintf(pb, sizeof pb, "k + 0 = %d AND s || '' %s 's%d'", v / 2, op, v + 30);
        break;
      case 5:
        snprintf(pa, sizeof pa, "id IN (%d, %d, %d.0, NULL, %d)", v * 10, v * 7, v * 3, v * 10);
        snprintf(pb, sizeof pb, "id + 0 IN (%d, %d, %d.0, NULL, %d)", v * 10, v * 7, v * 3, v * 10);
        break;
      case 6:
        snprintf(pa, sizeof pa, "k IN (%d, %d.0, %d) AND s IN ('s%d', 'ab', 'b')", v / 2, v / 3,
                 -5, v + 30);
        snprintf(pb, sizeof pb, "k + 0 IN (%d, %d.0, %d) AND s || '' IN ('s%d', 'ab', 'b')", v / 2,
                 v / 3, -5, v + 30);
        break;
      default:
        snprintf(pa, sizeof pa, "k %s %d.0 AND id > %d", op, v / 3, v * 5);
        snprintf(pb, sizeof pb, "k + 0 %s %d.0 AND id + 0 > %d", op, v / 3, v * 5);
        break;
    }
    snprintf(a, sizeof a, "SELECT id FROM d WHERE %s ORDER BY id", pa);
    snprintf(b, sizeof b, "SELECT id FROM d WHERE %s ORDER BY id", pb);
    r1 = sqlRows(db, a);
    r2 = sqlRows(db, b);
    if (strcmp(r1, r2) != 0) {
      tdbTestFail(__FILE__, __LINE__, "%s gives \"%.200s\", %s gives \"%.200s\"", a, r1, b, r2);
    }
  }
  tdb_close(db);
}

/* A SELECT stopped mid-iteration keeps reading its snapshot while the
** table is rewritten, flushed and compacted under it (by a primary-key scan
** and by an index range); afterwards the current state is right, through
** the index too. */
static void testReaderAcrossCompaction(void) {
  tdb *db = openMemory();
  tdb_stmt *ins = NULL, *byPk = NULL, *byIx = NULL;
  int i, rc, rows, bad;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, s TEXT)");
  EXEC_OK(db, "CREATE INDEX t_v ON t(v)");
  CHECK_EQ(tdb_prepare(db, "INSERT INTO t VALUES ($1, $1, 'row')", -1, &ins, NULL), TDB_OK);
  for (i = 1; ins && i <= 3000; i++) {
    tdb_bind_int64(ins, 1, i);
    if (tdb_step(ins) != TDB_DONE) {
      CHECK(0 && "insert");
      break;
    }
    tdb_reset(ins);
  }
  tdb_finalize(ins);
  CHECK_EQ(tdb_prepare(db, "SELECT id, v FROM t", -1, &byPk, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "SELECT id, v FROM t WHERE v > 0", -1, &byIx, NULL), TDB_OK);
  if (!byPk || !byIx) goto done;
  CHECK_CONTAINS(sqlExplain(db, "EXPLAIN SELECT id, v FROM t WHERE v > 0"), "index range");
  CHECK_EQ(tdb_step(byPk), TDB_ROW);
  CHECK_EQ(tdb_step(byIx), TDB_ROW);
  for (i = 0; i < 4; i++) {
    EXEC_OK(db, "UPDATE t SET v = v + 100000");
    CHECK_EQ(tdb_flush(db), TDB_OK);
  }
  EXEC_OK(db, "DELETE FROM t WHERE id % 2 = 0");
  CHECK_EQ(tdb_compact(db), TDB_OK);
  for (rows = 1, bad = 0; (rc = tdb_step(byPk)) == TDB_ROW; rows++) {
    if (tdb_column_int64(byPk, 0) != tdb_column_int64(byPk, 1)) bad++;
  }
  CHECK_EQ(rc, TDB_DONE);
  CHECK_EQ(rows, 3000);
  CHECK_EQ(bad, 0);
  for (rows = 1, bad = 0; (rc = tdb_step(byIx)) == TDB_ROW; rows++) {
    if (tdb_column_int64(byIx, 0) != tdb_column_int64(byIx, 1)) bad++;
  }
  CHECK_EQ(rc, TDB_DONE);
  CHECK_EQ(rows, 3000);
  CHECK_EQ(bad, 0);
  /* the current state, through the table and the index */
  CHECK_STR(sqlRows(db, "SELECT count(*), sum(v - id) FROM t"), "1500|600000000");
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t WHERE v > 400000 AND v <= 403000"), 1500);
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t WHERE v = 1 OR v = 100001 OR v = 400002"), 0);
  /* the same statements run again see the new state */
  for (rows = 0; (rc = tdb_step(byIx)) == TDB_ROW; rows++) {
  }
  CHECK_EQ(rc, TDB_DONE);
  CHECK_EQ(rows, 1500);
  CHECK_EQ(tdb_check(db, NULL), TDB_OK);
done:
  tdb_finalize(byPk);
  tdb_finalize(byIx);
  tdb_close(db);
}

/* A read-only database: reads work; every write fails with TDB_READONLY
** (25006) however often it is stepped, and leaves nothing behind. */
static void testReadOnlyDatabase(void) {
  char path[128];
  tdb *db = NULL;
  tdb_config cfg;
  static const char *const writes[] = {
      "CREATE VIEW v AS SELECT x, x + 1 AS y FROM base",
      "CREATE TABLE t2(a INTEGER PRIMARY KEY, b TEXT UNIQUE, CHECK (a > 0))",
      "CREATE INDEX base_x ON base(x)",
      "INSERT INTO base VALUES (2) RETURNING x",
      "UPDATE base SET x = x + 1",
      "DELETE FROM base",
      "ALTER TABLE base ADD COLUMN y TEXT",
      "DROP TABLE base",
  };
  size_t i;
  tdb_config_default(&cfg);
  cfg.threads = 0;
  snprintf(path, sizeof path, "%s/readonly.tdb", gTmp);
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE base(x INTEGER)");
  EXEC_OK(db, "INSERT INTO base VALUES (1)");
  tdb_close(db);
  db = NULL;
  cfg.read_only = 1;
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  for (i = 0; i < TDB_ARRAY_LEN(writes); i++) {
    tdb_stmt *st = NULL;
    int k;
    CHECK_EQ(tdb_prepare(db, writes[i], -1, &st, NULL), TDB_OK);
    for (k = 0; st && k < 3; k++) {
      int rc = tdb_step(st);
      if (rc != TDB_READONLY) {
        tdbTestFail(__FILE__, __LINE__, "%s: step %d gave %d (%s), expected TDB_READONLY", writes[i],
                    k, rc, tdb_errmsg(db));
      }
      CHECK_STR(tdb_sqlstate(db), "25006");
    }
    tdb_finalize(st);
  }
  CHECK_STR(sqlRows(db, "SELECT x FROM base"), "1");
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_tables"), "base");
  CHECK_STR(sqlRows(db, "SELECT count(*) FROM tdb_views"), "0");
  tdb_close(db);
}

/* The *.log files of a database directory. */
static int countLogs(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len > 4 && strcmp(e->d_name + len - 4, ".log") == 0) n++;
  }
  closedir(d);
  return n;
}

/* Opening and closing a database again and again (an application that
** opens it per request) must not pile up files: each open starts a new
** WAL, and the old ones (empty, or replayed into the memtable) must not
** stay forever, or every open replays more logs. */
static void testReopenCycles(void) {
  char path[128];
  tdb *db = NULL;
  tdb_config cfg;
  int i, logs;
  tdb_config_default(&cfg);
  cfg.threads = 0;
  snprintf(path, sizeof path, "%s/cycles.tdb", gTmp);
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 'one')");
  tdb_close(db);
  for (i = 0; i < 30; i++) {
    db = NULL;
    CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
    if (!db) return;
    if (i % 10 == 9) {
      char sql[64];
      snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, 'x')", 100 + i);
      EXEC_OK(db, sql);
    }
    CHECK_STR(sqlRows(db, "SELECT v FROM t WHERE id = 1"), "one");
    tdb_close(db);
  }
  logs = countLogs(path);
  if (logs > 4) printf("# %d WAL files after 31 opens of %s\n", logs, path);
  CHECK(logs >= 1 && logs <= 4);
}

/* ---- 6. errors never crash ---------------------------------------------------------- */

static void testNullArguments(void) {
  tdb *db = openMemory();
  tdb_stmt *st = (tdb_stmt *)1;
  const char *tail = NULL;
  CHECK(db != NULL);
  if (!db) return;
  CHECK_EQ(tdb_prepare(NULL, "SELECT 1", -1, &st, NULL), TDB_MISUSE);
  CHECK(st == NULL);
  CHECK_EQ(tdb_prepare(db, NULL, -1, &st, NULL), TDB_MISUSE);
  CHECK_EQ(tdb_errcode(db), TDB_MISUSE);
  CHECK_EQ(tdb_prepare(db, "SELECT 1", -1, NULL, NULL), TDB_MISUSE);
  CHECK_EQ(tdb_exec(NULL, "SELECT 1", NULL, NULL), TDB_MISUSE);
  CHECK_EQ(tdb_exec(db, NULL, NULL, NULL), TDB_MISUSE);
  CHECK_EQ(tdb_step(NULL), TDB_MISUSE);
  CHECK_EQ(tdb_reset(NULL), TDB_MISUSE);
  CHECK_EQ(tdb_finalize(NULL), TDB_OK);
  CHECK_EQ(tdb_clear_bindings(NULL), TDB_MISUSE);
  CHECK(tdb_bind_int64(NULL, 1, 1) != TDB_OK);
  CHECK(tdb_bind_null(NULL, 1) != TDB_OK);
  CHECK(tdb_bind_bool(NULL, 1, 1) != TDB_OK);
  CHECK(tdb_bind_double(NULL, 1, 1) != TDB_OK);
  CHECK(tdb_bind_text(NULL, 1, "x", -1) != TDB_OK);
  CHECK(tdb_bind_blob(NULL, 1, "x", 1) != TDB_OK);
  CHECK(tdb_bind_blob(NULL, 1, "x", -1) != TDB_OK);
  CHECK(tdb_bind_timestamp(NULL, 1, 1) != TDB_OK);
  CHECK_EQ(tdb_bind_parameter_count(NULL), 0);
  CHECK_EQ(tdb_column_count(NULL), 0);
  CHECK(tdb_column_name(NULL, 0) == NULL);
  CHECK_EQ(tdb_column_type(NULL, 0), TDB_TYPE_NULL);
  CHECK_EQ(tdb_column_int64(NULL, 0), 0);
  CHECK(tdb_column_double(NULL, 0) == 0.0);
  CHECK(tdb_column_text(NULL, 0) == NULL);
  CHECK(tdb_column_blob(NULL, 0) == NULL);
  CHECK_EQ(tdb_column_bytes(NULL, 0), 0);
  CHECK(tdb_stmt_sql(NULL) == NULL);
  CHECK_EQ(tdb_changes(NULL), 0);
  CHECK(tdb_errmsg(NULL) != NULL);
  CHECK(tdb_sqlstate(NULL) != NULL);
  CHECK_EQ(tdb_close(NULL), TDB_OK);
  /* empty statements: OK and no statement */
  st = (tdb_stmt *)1;
  CHECK_EQ(tdb_prepare(db, "", -1, &st, &tail), TDB_OK);
  CHECK(st == NULL);
  st = (tdb_stmt *)1;
  CHECK_EQ(tdb_prepare(db, "  -- nothing\n /* here */ ", -1, &st, NULL), TDB_OK);
  CHECK(st == NULL);
  /* an explicit length stops the text; a NUL inside it is an error */
  CHECK_EQ(tdb_prepare(db, "SELECT 1; garbage", 9, &st, &tail), TDB_OK);
  CHECK(st != NULL);
  if (st) {
    CHECK_EQ(tdb_step(st), TDB_ROW);
    CHECK_EQ(tdb_column_int64(st, 0), 1);
    tdb_finalize(st);
  }
  CHECK_EQ(tdb_prepare(db, "SELECT 1\0 2", 11, &st, NULL), TDB_ERROR_SYNTAX);
  CHECK(st == NULL);
  /* a script runs statement by statement through the tail */
  {
    const char *script = "CREATE TABLE s(x INTEGER); INSERT INTO s VALUES (1), (2); SELECT sum(x) FROM s;";
    const char *rest = script;
    int n = 0;
    int64_t sum = 0;
    while (*rest && n < 10) {
      tdb_stmt *one = NULL;
      CHECK_EQ(tdb_prepare(db, rest, -1, &one, &tail), TDB_OK);
      if (!one) break;
      while (tdb_step(one) == TDB_ROW) sum = tdb_column_int64(one, 0);
      tdb_finalize(one);
      CHECK(tail > rest);
      rest = tail;
      n++;
    }
    CHECK_EQ(n, 3);
    CHECK_EQ(sum, 3);
  }
  tdb_close(db);
}

/* A prepared UPDATE run again and again (its write buffers are kept on the
** statement between runs, tdb_stmt.dml_keep) writes what fresh statements
** write: a twin table given the same UPDATEs by tdb_exec, in the same order
** at the same valid times, ends with the same history. Runs failing on a
** unique violation leave nothing, and runs over every row (buffers past
** what a statement keeps) work in between. */
static void testPreparedUpdateHistory(void) {
  tdb *db = openMemory();
  tdb_stmt *up = NULL, *setu = NULL, *all = NULL;
  char sql[200], want[200];
  int i, fails = 0;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE h(id INTEGER PRIMARY KEY, u INTEGER UNIQUE, v INTEGER)");
  EXEC_OK(db, "CREATE TABLE h2(id INTEGER PRIMARY KEY, u INTEGER UNIQUE, v INTEGER)");
  EXEC_OK(db, "SET CURRENT_VALID_TIME = 1");
  for (i = 1; i <= 1000; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO h VALUES (%d, %d, %d)", i, i, i * 3);
    EXEC_OK(db, sql);
    snprintf(sql, sizeof sql, "INSERT INTO h2 VALUES (%d, %d, %d)", i, i, i * 3);
    EXEC_OK(db, sql);
  }
  CHECK_EQ(tdb_prepare(db, "UPDATE h SET v = v + 1 WHERE id = ?", -1, &up, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "UPDATE h SET u = ? WHERE id = ?", -1, &setu, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "UPDATE h SET v = v + 1 WHERE id <= ?", -1, &all, NULL), TDB_OK);
  if (!up || !setu || !all) goto done;
  for (i = 0; i < 600; i++) {
    int id = 1 + (i * 37) % 1000, rc, rc2;
    tdb_stmt *st;
    snprintf(sql, sizeof sql, "SET CURRENT_VALID_TIME = %d", 10 + i);
    EXEC_OK(db, sql);
    if (i % 5 == 4) { /* odd ids take the next id's u: a unique violation while it has it */
      int u = id % 2 ? id + 1 : 5000 + i;
      st = setu;
      CHECK_EQ(tdb_bind_int64(setu, 1, u), TDB_OK);
      CHECK_EQ(tdb_bind_int64(setu, 2, id), TDB_OK);
      snprintf(sql, sizeof sql, "UPDATE h2 SET u = %d WHERE id = %d", u, id);
    } else if (i % 97 == 50) {
      st = all;
      CHECK_EQ(tdb_bind_int64(all, 1, 1000), TDB_OK);
      snprintf(sql, sizeof sql, "UPDATE h2 SET v = v + 1 WHERE id <= 1000");
    } else {
      st = up;
      CHECK_EQ(tdb_bind_int64(up, 1, id), TDB_OK);
      snprintf(sql, sizeof sql, "UPDATE h2 SET v = v + 1 WHERE id = %d", id);
    }
    rc = tdb_step(st);
    snprintf(want, sizeof want, "%s", rc == TDB_DONE ? "00000" : tdb_sqlstate(db));
    tdb_reset(st);
    rc2 = tdb_exec(db, sql, NULL, NULL);
    CHECK_EQ(rc, rc2 == TDB_OK ? TDB_DONE : rc2);
    CHECK_STR(want, rc2 == TDB_OK ? "00000" : tdb_sqlstate(db));
    fails += rc != TDB_DONE;
  }
  CHECK(fails > 0);
  {
    static const char *q = "SELECT count(*), sum(id * 7 + v * 3 + u), sum(_valid_from), "
                           "sum(coalesce(_valid_to, -1)) FROM %s "
                           "FOR SYSTEM_TIME ALL FOR APPLICATION_TIME ALL";
    char a[200], b[200];
    snprintf(sql, sizeof sql, q, "h");
    snprintf(a, sizeof a, "%s", sqlRows(db, sql));
    snprintf(sql, sizeof sql, q, "h2");
    snprintf(b, sizeof b, "%s", sqlRows(db, sql));
    CHECK_STR(a, b);
    CHECK(sqlInt(db, "SELECT count(*) FROM h FOR SYSTEM_TIME ALL FOR APPLICATION_TIME ALL") > 6000);
    CHECK_STR(sqlRows(db, "SELECT sum(v), sum(u) FROM h"), sqlRows(db, "SELECT sum(v), sum(u) FROM h2"));
  }
done:
  tdb_finalize(up);
  tdb_finalize(setu);
  tdb_finalize(all);
  tdb_close(db);
}

static void testErrorsThenReuse(void) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL;
  int i, rc;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)");
  EXEC_OK(db, "INSERT INTO t VALUES (1, 1), (2, 0), (3, 5)");
  /* a runtime error mid-scan; stepping again and again restarts and fails again */
  CHECK_EQ(tdb_prepare(db, "SELECT 10 / v FROM t ORDER BY id", -1, &st, NULL), TDB_OK);
  if (st) {
    int rows = 0;
    for (i = 0; i < 5; i++) {
      while ((rc = tdb_step(st)) == TDB_ROW) rows++;
      CHECK_EQ(rc & 0xff, TDB_ERROR);
      CHECK_STR(tdb_sqlstate(db), "22012");
      CHECK(tdb_column_text(st, 0) == NULL); /* no row after an error */
      (void)tdb_column_int64(st, 5);
    }
    CHECK(rows <= 5);
    tdb_reset(st);
    EXEC_OK(db, "UPDATE t SET v = 2 WHERE id = 2");
    CHECK_STR(sqlRows(db, "SELECT 10 / v FROM t ORDER BY id"), "10;5;2");
    rows = 0;
    while ((rc = tdb_step(st)) == TDB_ROW) rows++;
    CHECK_EQ(rc, TDB_DONE);
    CHECK_EQ(rows, 3);
    tdb_finalize(st);
    st = NULL;
  }
  /* errors of prepare leave no statement and a message */
  CHECK_EQ(tdb_prepare(db, "SELEC 1", -1, &st, NULL), TDB_ERROR_SYNTAX);
  CHECK(st == NULL);
  CHECK_STR(tdb_sqlstate(db), "42601");
  CHECK(strlen(tdb_errmsg(db)) > 0);
  CHECK_EQ(tdb_prepare(db, "SELECT * FROM nope", -1, &st, NULL), TDB_ERROR_SCHEMA);
  CHECK_STR(tdb_sqlstate(db), "42P01");
  CHECK_EQ(tdb_prepare(db, "SELECT nope FROM t", -1, &st, NULL), TDB_ERROR_SCHEMA);
  CHECK_STR(tdb_sqlstate(db), "42703");
  CHECK_EQ(tdb_prepare(db, "INSERT INTO tdb_tables VALUES ('a', 'b')", -1, &st, NULL) & 0xff,
           TDB_ERROR);
  CHECK(st == NULL);
  /* a successful statement clears the error */
  CHECK_EQ(sqlInt(db, "SELECT 1"), 1);
  CHECK_EQ(tdb_errcode(db), TDB_OK);
  CHECK_STR(tdb_sqlstate(db), "00000");
  /* duplicate table / index / column names */
  EXEC_FAILS(db, "CREATE TABLE t(x INTEGER)", "42P07");
  EXEC_FAILS(db, "CREATE TABLE d(x INTEGER, x TEXT)", "42701");
  EXEC_FAILS(db, "DROP TABLE nope", "42P01");
  EXEC_OK(db, "DROP TABLE IF EXISTS nope");
  EXEC_OK(db, "CREATE TABLE IF NOT EXISTS t(x INTEGER)");
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM t"), 3);
  tdb_close(db);
}

static void testLongIdentifiers(void) {
  tdb *db = openMemory();
  char *name, *sql;
  size_t len = 100000, i;
  int rc;
  CHECK(db != NULL);
  if (!db) return;
  name = malloc(len + 1);
  sql = malloc(3 * len + 200);
  if (!name || !sql) {
    free(name);
    free(sql);
    tdb_close(db);
    return;
  }
  for (i = 0; i < len; i++) name[i] = (char)('a' + i % 26);
  name[len] = '\0';
  snprintf(sql, 3 * len + 200, "CREATE TABLE %s(%s INTEGER PRIMARY KEY)", name, name);
  rc = tdb_exec(db, sql, NULL, NULL);
  if (rc == TDB_OK) {
    snprintf(sql, 3 * len + 200, "INSERT INTO %s VALUES (42)", name);
    EXEC_OK(db, sql);
    snprintf(sql, 3 * len + 200, "SELECT %s FROM %s WHERE %s = 42", name, name, name);
    CHECK_STR(sqlRows(db, sql), "42");
    CHECK_EQ(sqlInt(db, "SELECT length(name) FROM tdb_tables"), (int64_t)len);
    snprintf(sql, 3 * len + 200, "DROP TABLE %s", name);
    EXEC_OK(db, sql);
  } else {
    CHECK_EQ(strlen(tdb_sqlstate(db)), 5);
    CHECK(strlen(tdb_errmsg(db)) > 0);
  }
  /* a long quoted identifier, a long alias, a long unknown name in a message */
  snprintf(sql, 3 * len + 200, "SELECT 1 AS \"%s\"", name);
  {
    tdb_stmt *st = NULL;
    rc = tdb_prepare(db, sql, -1, &st, NULL);
    if (rc == TDB_OK && st) {
      CHECK_EQ(tdb_step(st), TDB_ROW);
      CHECK(tdb_column_name(st, 0) != NULL && strlen(tdb_column_name(st, 0)) == len);
    }
    tdb_finalize(st);
  }
  snprintf(sql, 3 * len + 200, "SELECT * FROM %s", name);
  CHECK_EQ(tdb_exec(db, sql, NULL, NULL), TDB_ERROR_SCHEMA);
  CHECK_STR(tdb_sqlstate(db), "42P01");
  CHECK(tdb_errmsg(db) != NULL);
  free(name);
  free(sql);
  tdb_close(db);
}

/* CREATE TABLE with n INTEGER columns c0..c(n-1). */
static char *wideTableSql(const char *table, int n) {
  size_t cap = (size_t)n * 20 + 100, len;
  char *sql = malloc(cap);
  int i;
  if (!sql) return NULL;
  len = (size_t)snprintf(sql, cap, "CREATE TABLE %s(", table);
  for (i = 0; i < n; i++) len += (size_t)snprintf(sql + len, cap - len, "%sc%d INTEGER", i ? ", " : "", i);
  snprintf(sql + len, cap - len, ")");
  return sql;
}

static void testManyColumns(void) {
  tdb *db = openMemory();
  char *sql;
  tdb_stmt *st = NULL;
  int i;
  CHECK(db != NULL);
  if (!db) return;
  sql = wideTableSql("w", TDB_MAX_COLUMNS);
  CHECK(sql != NULL);
  if (sql) {
    EXEC_OK(db, sql);
    free(sql);
  }
  EXEC_OK(db, "INSERT INTO w(c0, c1999) VALUES (1, 2)");
  CHECK_EQ(tdb_prepare(db, "SELECT * FROM w", -1, &st, NULL), TDB_OK);
  if (st) {
    CHECK_EQ(tdb_column_count(st), TDB_MAX_COLUMNS);
    CHECK_EQ(tdb_step(st), TDB_ROW);
    CHECK_EQ(tdb_column_int64(st, 0), 1);
    CHECK_EQ(tdb_column_int64(st, 1999), 2);
    CHECK_EQ(tdb_column_type(st, 1000), TDB_TYPE_NULL);
    CHECK_STR(tdb_column_name(st, 1999), "c1999");
    CHECK_EQ(tdb_step(st), TDB_DONE);
    tdb_finalize(st);
    st = NULL;
  }
  /* the callback of tdb_exec gets all of them */
  EXEC_OK(db, "UPDATE w SET c1000 = c0 + c1999");
  CHECK_EQ(sqlInt(db, "SELECT c1000 FROM w"), 3);
  CHECK_EQ(sqlInt(db, "SELECT count(*) FROM tdb_columns WHERE table_name = 'w'"), TDB_MAX_COLUMNS);
  /* one more column is an error */
  EXEC_FAILS(db, "ALTER TABLE w ADD COLUMN c2000 INTEGER", "54000");
  sql = wideTableSql("w2", TDB_MAX_COLUMNS + 1);
  if (sql) {
    CHECK_EQ(tdb_exec(db, sql, NULL, NULL) & 0xff, TDB_ERROR);
    CHECK_STR(tdb_sqlstate(db), "54000");
    free(sql);
  }
  CHECK_STR(sqlRows(db, "SELECT name FROM tdb_tables"), "w");
  /* a result of 2001 columns */
  {
    size_t cap = 20000, len = 0;
    char *q = malloc(cap);
    if (q) {
      len = (size_t)snprintf(q, cap, "SELECT ");
      for (i = 0; i <= TDB_MAX_COLUMNS; i++) len += (size_t)snprintf(q + len, cap - len, "%s%d", i ? "," : "", i);
      CHECK_EQ(tdb_prepare(db, q, -1, &st, NULL) & 0xff, TDB_ERROR);
      CHECK(st == NULL);
      CHECK_STR(tdb_sqlstate(db), "54000");
      tdb_finalize(st);
      st = NULL;
      /* SELECT *, * of the 2000-column table */
      CHECK_EQ(tdb_prepare(db, "SELECT *, * FROM w", -1, &st, NULL) & 0xff, TDB_ERROR);
      CHECK_STR(tdb_sqlstate(db), "54000");
      tdb_finalize(st);
      st = NULL;
      free(q);
    }
  }
  tdb_close(db);
}

static void testDeepNesting(void) {
  tdb *db = openMemory();
  int depth, i;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE n(x INTEGER)");
  EXEC_OK(db, "INSERT INTO n VALUES (1)");
  for (depth = 10; depth <= 2000; depth *= 4) {
    static const char *const forms[] = {"(SELECT ", "(SELECT x + ", "(SELECT 1 FROM n WHERE x IN "};
    size_t f;
    for (f = 0; f < TDB_ARRAY_LEN(forms); f++) {
      size_t cap = (size_t)depth * 40 + 100, len = 0;
      char *q = malloc(cap);
      tdb_stmt *st = NULL;
      int rc;
      if (!q) continue;
      len += (size_t)snprintf(q + len, cap - len, "SELECT ");
      for (i = 0; i < depth; i++) len += (size_t)snprintf(q + len, cap - len, "%s", forms[f]);
      len += (size_t)snprintf(q + len, cap - len, f == 2 ? "(1)" : "1");
      for (i = 0; i < depth; i++) len += (size_t)snprintf(q + len, cap - len, f == 1 ? " FROM n)" : ")");
      rc = tdb_prepare(db, q, -1, &st, NULL);
      if (rc == TDB_OK && st) {
        rc = tdb_step(st);
        if (rc == TDB_ROW) {
          if (f == 0) CHECK_EQ(tdb_column_int64(st, 0), 1);
          if (f == 1) CHECK_EQ(tdb_column_int64(st, 0), depth + 1);
          rc = tdb_step(st);
          CHECK_EQ(rc, TDB_DONE);
        } else {
          CHECK(rc != TDB_DONE);
          CHECK_EQ(strlen(tdb_sqlstate(db)), 5);
          /* deep but sane nesting must work */
          if (depth <= 200) {
            printf("# depth %d form %zu: step: %s [%s]\n", depth, f, tdb_errmsg(db),
                   tdb_sqlstate(db));
            CHECK(depth > 200);
          }
        }
      } else {
        CHECK(rc != TDB_OK);
        CHECK(st == NULL);
        CHECK_EQ(strlen(tdb_sqlstate(db)), 5);
        CHECK(strcmp(tdb_sqlstate(db), "00000") != 0);
        /* deep but sane nesting must work */
        if (depth <= 200) {
          printf("# depth %d form %zu: %s\n", depth, f, tdb_errmsg(db));
          CHECK(depth > 200);
        }
      }
      tdb_finalize(st);
      free(q);
    }
  }
  /* 200 levels of (SELECT (SELECT ...)) as the brief's exact shape */
  {
    size_t cap = 200 * 10 + 100, len = 0;
    char *q = malloc(cap);
    if (q) {
      len += (size_t)snprintf(q + len, cap - len, "SELECT ");
      for (i = 0; i < 200; i++) len += (size_t)snprintf(q + len, cap - len, "(SELECT ");
      len += (size_t)snprintf(q + len, cap - len, "42");
      for (i = 0; i < 200; i++) len += (size_t)snprintf(q + len, cap - len, ")");
      CHECK_STR(sqlRows(db, q), "42");
      free(q);
    }
  }
  /* deep parentheses and long operator chains */
  {
    size_t cap = 200000, len = 0;
    char *q = malloc(cap);
    if (q) {
      len += (size_t)snprintf(q + len, cap - len, "SELECT ");
      for (i = 0; i < 50000; i++) q[len++] = '(';
      q[len++] = '1';
      for (i = 0; i < 50000; i++) q[len++] = ')';
      q[len] = '\0';
      {
        const char *r = sqlRows(db, q);
        CHECK(strcmp(r, "1") == 0 || strncmp(r, "ERROR", 5) == 0);
      }
      len = (size_t)snprintf(q, cap, "SELECT 1");
      for (i = 0; i < 20000; i++) len += (size_t)snprintf(q + len, cap - len, "+1");
      {
        const char *r = sqlRows(db, q);
        CHECK(strcmp(r, "20001") == 0 || strncmp(r, "ERROR", 5) == 0);
      }
      len = (size_t)snprintf(q, cap, "SELECT ");
      for (i = 0; i < 20000; i++) len += (size_t)snprintf(q + len, cap - len, "NOT ");
      snprintf(q + len, cap - len, "TRUE");
      {
        const char *r = sqlRows(db, q);
        CHECK(strcmp(r, "true") == 0 || strncmp(r, "ERROR", 5) == 0);
      }
      free(q);
    }
  }
  tdb_close(db);
}

/* A tdb_exec callback that asks to stop at its first row. */
static int stopAfterOne(void *ctx, int ncols, const char *const *values, const char *const *names) {
  (void)ncols;
  (void)values;
  (void)names;
  if (ctx) (*(int *)ctx)++;
  return 1;
}

/* Misuse sequences around statement lifetime. */
static void testLifetime(void) {
  tdb *db = openMemory();
  tdb_stmt *a = NULL, *b = NULL;
  int i;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t(id INTEGER PRIMARY KEY)");
  EXEC_OK(db, "INSERT INTO t VALUES (1), (2), (3)");
  /* many open statements, closed by tdb_close */
  for (i = 0; i < 50; i++) {
    tdb_stmt *st = NULL;
    CHECK_EQ(tdb_prepare(db, "SELECT id FROM t ORDER BY id", -1, &st, NULL), TDB_OK);
    if (st && i % 2) CHECK_EQ(tdb_step(st), TDB_ROW);
  }
  /* two statements interleaved over the same table */
  CHECK_EQ(tdb_prepare(db, "SELECT id FROM t ORDER BY id", -1, &a, NULL), TDB_OK);
  CHECK_EQ(tdb_prepare(db, "SELECT id FROM t ORDER BY id DESC", -1, &b, NULL), TDB_OK);
  if (a && b) {
    CHECK_EQ(tdb_step(a), TDB_ROW);
    CHECK_EQ(tdb_step(b), TDB_ROW);
    CHECK_EQ(tdb_column_int64(a, 0), 1);
    CHECK_EQ(tdb_column_int64(b, 0), 3);
    CHECK_EQ(tdb_step(a), TDB_ROW);
    CHECK_EQ(tdb_column_int64(a, 0), 2);
    tdb_finalize(b); /* finalize mid-iteration */
    b = NULL;
    CHECK_EQ(tdb_step(a), TDB_ROW);
    CHECK_EQ(tdb_column_int64(a, 0), 3);
    CHECK_EQ(tdb_step(a), TDB_DONE);
    CHECK_EQ(tdb_step(a), TDB_ROW); /* starts over */
    CHECK_EQ(tdb_column_int64(a, 0), 1);
  }
  /* a tdb_exec callback that stops the statement: TDB_INTERRUPT */
  {
    int calls = 0;
    CHECK_EQ(tdb_exec(db, "SELECT id FROM t; SELECT 1", stopAfterOne, &calls), TDB_INTERRUPT);
    CHECK_EQ(calls, 1);
    CHECK_EQ(tdb_errcode(db), TDB_INTERRUPT);
    CHECK_EQ(tdb_exec(db, "SELECT id FROM t", stopAfterOne, NULL), TDB_INTERRUPT);
  }
  tdb_close(db); /* with a and the 50 statements still open */
}

/* Run a test in a child process, so that a crash (or a sanitizer report) in
** it is one failed test and the others still run. The child runs the test
** and exits 0 (passed) or 3 (a check failed); anything else is a crash. */
#include <sys/wait.h>

static void runIsolated(const char *name, TdbTestFn fn) {
  pid_t pid;
  int status = 0;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0) { /* no fork: run it here */
    tdbTestRunNamed(name, fn);
    return;
  }
  if (pid == 0) {
    int before = tdbTestFailed;
    tdbTestRunNamed(name, fn);
    fflush(stdout);
    exit(tdbTestFailed != before ? 3 : 0);
  }
  if (waitpid(pid, &status, 0) != pid) status = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    tdbTestPassed++;
    if (getenv("TDB_TEST_VERBOSE") && getenv("TDB_TEST_VERBOSE")[0] == '1') printf("ok %s\n", name);
  } else {
    tdbTestFailed++;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 3)) {
      if (WIFSIGNALED(status)) {
        printf("FAIL %s: crashed (signal %d)\n", name, WTERMSIG(status));
      } else {
        printf("FAIL %s: crashed or a sanitizer report (exit status %d)\n", name,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      }
    }
  }
  fflush(stdout);
}
#define TEST_ISOLATED(fn) runIsolated(#fn, fn)

/* EXPLAIN of a window query; window frame offsets from parameters:
** evaluated per execution, so a re-bound prepared statement frames
** differently; a negative one is 22013, NULL 22004. */
static void testWindowFrameParameters(void) {
  tdb *db = openMemory();
  tdb_stmt *st = NULL;
  int64_t sums[3][5] = {{1, 2, 3, 4, 5}, {1, 3, 5, 7, 9}, {1, 3, 6, 10, 15}};
  int k, i;
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE w(x INT PRIMARY KEY)");
  EXEC_OK(db, "INSERT INTO w VALUES (1), (2), (3), (4), (5)");
  /* EXPLAIN: WINDOW above HAVING and the aggregation, below projection,
  ** DISTINCT, ORDER BY and LIMIT; calls with one window share a sort */
  CHECK_STR(sqlExplain(db, "EXPLAIN SELECT DISTINCT x % 2, rank() OVER (ORDER BY count(*)), "
                           "sum(x % 2) OVER (ORDER BY count(*)) FROM w GROUP BY x % 2 "
                           "HAVING count(*) > 0 ORDER BY 1 LIMIT 5"),
            "LIMIT  (rows=100 cost=2500.0)\n"
            "  -> SORT (1 keys)  (rows=100 cost=2500.0)\n"
            "    -> DISTINCT  (rows=100 cost=2300.0)\n"
            "      -> PROJECT (3 columns)  (rows=100 cost=2300.0)\n"
            "        -> WINDOW (2 functions, 1 sort: rank() OVER (ORDER BY count(*)), "
            "sum(\"?column?\") OVER (ORDER BY count(*)))  (rows=100 cost=2300.0)\n"
            "          -> FILTER (count(*) > 0)  (rows=100 cost=2000.0)\n"
            "            -> AGGREGATE (1 group keys, 3 aggregates)  (rows=100 cost=2000.0)\n"
            "              -> SCAN w (full scan)  (rows=1000 cost=1000.0)\n");
  CHECK_EQ(tdb_prepare(db,
                       "SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN $1 PRECEDING AND CURRENT ROW) "
                       "FROM w ORDER BY x",
                       -1, &st, NULL),
           TDB_OK);
  if (!st) goto done;
  for (k = 0; k < 3; k++) {
    CHECK_EQ(tdb_bind_int64(st, 1, k == 2 ? 100 : k), TDB_OK);
    for (i = 0; i < 5; i++) {
      CHECK_EQ(tdb_step(st), TDB_ROW);
      CHECK_EQ(tdb_column_int64(st, 0), sums[k][i]);
    }
    CHECK_EQ(tdb_step(st), TDB_DONE);
    CHECK_EQ(tdb_reset(st), TDB_OK);
  }
  CHECK_EQ(tdb_bind_int64(st, 1, -1), TDB_OK);
  CHECK(tdb_step(st) != TDB_ROW);
  CHECK_STR(tdb_sqlstate(db), "22013");
  CHECK_EQ(tdb_reset(st), TDB_OK);
  CHECK_EQ(tdb_bind_null(st, 1), TDB_OK);
  CHECK(tdb_step(st) != TDB_ROW);
  CHECK_STR(tdb_sqlstate(db), "22004");
done:
  tdb_finalize(st);
  tdb_close(db);
}

int main(void) {
  snprintf(gTmp, sizeof gTmp, "/tmp/tdb-sqlapi-XXXXXX");
  if (!mkdtemp(gTmp)) {
    printf("FAIL cannot create a temporary directory\n0 passed, 1 failed\n");
    return 1;
  }
  TEST_ISOLATED(testPrepareBindReuse);
  TEST_ISOLATED(testWindowFrameParameters);
  TEST_ISOLATED(testColumnTypes);
  TEST_ISOLATED(testReprepare);
  TEST_ISOLATED(testStepAfterFailedReprepareSelect);
  TEST_ISOLATED(testStepAfterFailedReprepareColumn);
  TEST_ISOLATED(testStepAfterFailedReprepareExplain);
  TEST_ISOLATED(testStepAfterFailedReprepareInsert);
  TEST_ISOLATED(testStepAfterFailedReprepareUpdate);
  TEST_ISOLATED(testStepAfterFailedReprepareDelete);
  TEST_ISOLATED(testStepAfterFailedReprepareDescribe);
  TEST_ISOLATED(testDdlBusy);
  TEST_ISOLATED(testExplain);
  TEST_ISOLATED(testAtomicity);
  TEST_ISOLATED(testPersistence);
  TEST_ISOLATED(testWalPrealloc);
  TEST_ISOLATED(testIndexOnAddedColumn);
  TEST_ISOLATED(testAddColumnCheck);
  TEST_ISOLATED(testAddColumnOverRows);
  TEST_ISOLATED(testStarOverJoin);
  TEST_ISOLATED(testUntypedIndex);
  TEST_ISOLATED(testAnalyzeMixedTypes);
  TEST_ISOLATED(testAnalyzeBounded);
  TEST_ISOLATED(testDropColumnManyIndexes);
  TEST_ISOLATED(testIndexMaintenance);
  TEST_ISOLATED(testDdlInCallback);
  TEST_ISOLATED(testPointFilterImplied);
  TEST_ISOLATED(testPointDirect);
  TEST_ISOLATED(testAccessPathsAgree);
  TEST_ISOLATED(testReaderAcrossCompaction);
  TEST_ISOLATED(testReadOnlyDatabase);
  TEST_ISOLATED(testReopenCycles);
  TEST_ISOLATED(testNullArguments);
  TEST_ISOLATED(testErrorsThenReuse);
  TEST_ISOLATED(testPreparedUpdateHistory);
  TEST_ISOLATED(testLongIdentifiers);
  TEST_ISOLATED(testManyColumns);
  TEST_ISOLATED(testDeepNesting);
  TEST_ISOLATED(testLifetime);
  TEST_ISOLATED(testRecursionLimit);
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
    if (system(cmd) != 0) printf("# could not remove %s\n", gTmp);
  }
  return tdbTestFinish();
}
