/*
** sqlcheck.h — checks of SQL through the public API for the C unit tests
** (include after test.h): run statements expecting success (EXEC_OK) or a
** SQLSTATE (EXEC_FAILS), and read results as text (sqlRows) or as one
** integer (sqlInt).
*/
#ifndef TDB_SQLCHECK_H
#define TDB_SQLCHECK_H

/* Run every statement of sql; report the error message when it fails. */
static TDB_TEST_UNUSED int sqlExec(tdb *db, const char *sql, const char *file, int line) {
  int rc = tdb_exec(db, sql, NULL, NULL);
  if (rc != TDB_OK) {
    tdbTestFail(file, line, "tdb_exec(\"%.200s\") = %d: %s [%s]", sql, rc, tdb_errmsg(db),
                tdb_sqlstate(db));
  }
  return rc;
}
#define EXEC_OK(db, sql) sqlExec((db), (sql), __FILE__, __LINE__)

/* Expect sql to fail with SQLSTATE state. */
static TDB_TEST_UNUSED void sqlExecFails(tdb *db, const char *sql, const char *state, const char *file,
                         int line) {
  int rc = tdb_exec(db, sql, NULL, NULL);
  if (rc == TDB_OK) {
    tdbTestFail(file, line, "tdb_exec(\"%.200s\") succeeded, expected SQLSTATE %s", sql, state);
  } else if (strcmp(tdb_sqlstate(db), state) != 0) {
    tdbTestFail(file, line, "tdb_exec(\"%.200s\"): SQLSTATE %s (%s), expected %s", sql,
                tdb_sqlstate(db), tdb_errmsg(db), state);
  }
}
#define EXEC_FAILS(db, sql, state) sqlExecFails((db), (sql), (state), __FILE__, __LINE__)

/* The rows of a query as text: columns separated by '|', rows by ';', SQL
** NULL as "NULL". On an error: "ERROR <sqlstate>". Returns a static buffer
** (one of a few, so two results can be compared in one check). */
static TDB_TEST_UNUSED const char *sqlRows(tdb *db, const char *sql) {
  static char bufs[4][8192];
  static int which;
  char *buf = bufs[which++ & 3];
  size_t n = 0;
  tdb_stmt *st = NULL;
  int rc, c, first = 1;
  buf[0] = '\0';
  rc = tdb_prepare(db, sql, -1, &st, NULL);
  if (rc != TDB_OK || !st) {
    snprintf(buf, sizeof bufs[0], "ERROR %s", rc != TDB_OK ? tdb_sqlstate(db) : "(empty)");
    return buf;
  }
  while ((rc = tdb_step(st)) == TDB_ROW) {
    if (!first && n < sizeof bufs[0] - 1) buf[n++] = ';';
    first = 0;
    for (c = 0; c < tdb_column_count(st); c++) {
      const char *t = tdb_column_text(st, c);
      int w = snprintf(buf + n, sizeof bufs[0] - n, "%s%s", c ? "|" : "", t ? t : "NULL");
      if (w > 0) n += (size_t)w;
      if (n >= sizeof bufs[0]) n = sizeof bufs[0] - 1;
    }
  }
  if (rc != TDB_DONE) snprintf(buf, sizeof bufs[0], "ERROR %s", tdb_sqlstate(db));
  tdb_finalize(st);
  return buf;
}

/* The single integer a query returns (INT64_MIN on an error or no row). */
static TDB_TEST_UNUSED int64_t sqlInt(tdb *db, const char *sql) {
  tdb_stmt *st = NULL;
  int64_t v = INT64_MIN;
  if (tdb_prepare(db, sql, -1, &st, NULL) != TDB_OK || !st) return v;
  if (tdb_step(st) == TDB_ROW) v = tdb_column_int64(st, 0);
  tdb_finalize(st);
  return v;
}

#endif /* TDB_SQLCHECK_H */
