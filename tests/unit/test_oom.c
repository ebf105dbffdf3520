/*
** test_oom.c — out-of-memory robustness through the public API.
**
** A counting allocator installed through tdb_config.allocator fails the Nth
** allocation. For every N from 1 until a workload completes without hitting
** the failure, the workload runs again: each API call must either succeed or
** return TDB_NOMEM (or an error caused by it), never crash, leak (ASan's leak
** check runs at exit) or leave the connection unusable for tdb_close. The
** workloads cover parsing and evaluating SQL, errors with messages, the SQL
** engine (DDL, prepared DML with parameters, RETURNING, index use, EXPLAIN
** ANALYZE, ALTER TABLE with re-prepare of an open statement, DROP) and the
** key-value API over an in-memory database (open, writes, flush, reads,
** iterators). The SQL engine workload also checks statement atomicity
** under failure: a statement that fails must leave the head epoch and its
** table as they were. The sql-open workload opens a file database with a
** catalog (keys, CHECK, DEFAULTs, indexes, a view) and queries it: answers
** are right or errors, and the database stays usable.
*/
#include "tensordb.c"
#include "test.h"

#include <stdlib.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct OomAlloc {
  long calls;     /* allocations so far */
  long fail_at;   /* the allocation that fails (0: none) */
  int failed;     /* a failure was injected */
} OomAlloc;

static void *oomMalloc(void *ctx, size_t n) {
  OomAlloc *a = ctx;
  if (++a->calls == a->fail_at) {
    a->failed = 1;
    return NULL;
  }
  return malloc(n);
}

static void *oomRealloc(void *ctx, void *p, size_t n) {
  OomAlloc *a = ctx;
  if (++a->calls == a->fail_at) {
    a->failed = 1;
    return NULL;
  }
  return realloc(p, n);
}

static void oomFree(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

/* Defaults with the failing allocator installed. */
static void oomConfig(tdb_config *cfg, OomAlloc *a) {
  tdb_config_default(cfg);
  cfg->allocator.malloc_fn = oomMalloc;
  cfg->allocator.realloc_fn = oomRealloc;
  cfg->allocator.free_fn = oomFree;
  cfg->allocator.ctx = a;
}

/* An acceptable outcome of a call under injected failure. */
static int oomAcceptable(int rc, const OomAlloc *a) {
  if (rc == TDB_OK || rc == TDB_ROW || rc == TDB_DONE) return 1;
  return a->failed; /* any clean error once memory ran out */
}

static const char *const oomStatements[] = {
    "SELECT 1 + 2 AS x, 'tensor' || 'db', NULL IS NULL",
    "SELECT CASE WHEN 1 < 2 THEN 'yes' ELSE 'no' END, CAST('12' AS INT) + 1",
    "SELECT 3 BETWEEN 1 AND 5, 2 IN (1, 2, 3), 'abc' LIKE 'a%', upper('x')",
    "SELECT coalesce(NULL, 'a', 'b'), length('héllo'), $1 || 'p', ?",
    "SELECT 1 FORM t",            /* syntax error with a message */
    "SELECT abss(1)",             /* unknown function with a suggestion */
    "SELECT 1/0",                 /* runtime error */
    "SELECT 'unterminated",
    "SELECT *, f.*, upper(name) FROM tdb_functions f WHERE f.min_args > 0", /* `*` expansion */
    "SELECT nmae FROM tdb_keywords",  /* unknown column with a suggestion */
    /* the function library: strings, JSON, date/time, INTERVAL, call forms */
    "SELECT lpad('x', 5, 'ab'), replace('aXa', 'X', 'yy'), split_part('a,b', ',', 2), "
    "concat_ws('-', 'a', 1), reverse('h\xc3\xa9llo'), initcap('ab cd'), repeat('ab', 3)",
    "SELECT json_object('a', json_array(1, 'x', now())), json_extract('{\"a\": [1, \"s\"]}', "
    "'$.a[1]', '$.a'), json_extract('{\"a\": \"s\"}', '$.a'), json_type('[1]', '$[0]')",
    "SELECT to_char(now(), 'YYYY-MM-DD Day'), CAST('2025-01-31' AS TIMESTAMP) + INTERVAL "
    "'1 month', date_trunc('week', now()), EXTRACT(dow FROM now()), INTERVAL '1 day 2 hours'",
    "SELECT substring('hello' FROM 2 FOR 2), trim(LEADING 'x' FROM 'xa'), position('b' IN 'abc'), "
    "coalesce(NULL, upper('a')), iif(TRUE, lower('B'), 'c'), greatest('a', 'b')",
};

/* Prepare, bind and step every statement; returns 0 when all went as they
** would without failures, 1 when an injected failure was seen. */
static int oomRunSql(OomAlloc *a) {
  tdb_config cfg;
  tdb *db = NULL;
  size_t i;
  int rc;
  oomConfig(&cfg, a);
  rc = tdb_open(":memory:", &cfg, &db);
  CHECK(oomAcceptable(rc, a));
  if (rc != TDB_OK) {
    tdb_close(db);
    return a->failed;
  }
  for (i = 0; i < TDB_ARRAY_LEN(oomStatements); i++) {
    tdb_stmt *st = NULL;
    rc = tdb_prepare(db, oomStatements[i], -1, &st, NULL);
    if (rc == TDB_OK && st) {
      if (tdb_bind_parameter_count(st) >= 2) {
        CHECK(oomAcceptable(tdb_bind_text(st, 1, "hello", -1), a));
        CHECK(oomAcceptable(tdb_bind_int64(st, 2, 42), a));
      }
      while ((rc = tdb_step(st)) == TDB_ROW) {
        int c;
        for (c = 0; c < tdb_column_count(st); c++) (void)tdb_column_text(st, c);
      }
      CHECK(rc == TDB_DONE || (rc & 0xff) == TDB_ERROR || oomAcceptable(rc, a));
    } else {
      CHECK((rc & 0xff) == TDB_ERROR || oomAcceptable(rc, a));
    }
    (void)tdb_errmsg(db);
    tdb_finalize(st);
  }
  rc = tdb_exec(db, "SELECT 1; SELECT 'two'", NULL, NULL);
  CHECK(oomAcceptable(rc, a));
  tdb_close(db);
  return a->failed;
}

/* ---- the SQL engine: DDL, DML, indexes, re-prepare ----------------------------- */

/* The count(*) of a query, or -1 when it cannot be run. */
static long oomCount(tdb *db, const char *sql) {
  tdb_stmt *st = NULL;
  long n = -1;
  if (tdb_prepare(db, sql, -1, &st, NULL) == TDB_OK && st) {
    if (tdb_step(st) == TDB_ROW) {
      n = (long)tdb_column_int64(st, 0);
      if (tdb_step(st) != TDB_DONE) n = -1;
    }
  }
  tdb_finalize(st);
  return n;
}

/* Whether oomStmtX steps a failed statement once more (the "sql-engine-restep"
** sweep) or finalizes it at once (the "sql-engine" sweep). */
static int gOomRestep;

/* Run one statement to its end (rows read through tdb_column_text); when
** `fails` it fails even with enough memory. A statement that fails must
** not have committed anything: the head epoch stays; with gOomRestep,
** stepped once more, it fails again or runs (never crashes). Returns the
** result code (TDB_OK for TDB_DONE). */
static int oomStmtX(tdb *db, OomAlloc *a, const char *sql, int fails) {
  uint64_t head = tdb_kv_head(db);
  tdb_stmt *st = NULL;
  int rc = tdb_prepare(db, sql, -1, &st, NULL);
  if (rc == TDB_OK && st) {
    while ((rc = tdb_step(st)) == TDB_ROW) {
      int c;
      for (c = 0; c < tdb_column_count(st); c++) (void)tdb_column_text(st, c);
    }
    if (rc == TDB_DONE) rc = TDB_OK;
  }
  if (!(oomAcceptable(rc, a) || (fails && (rc & 0xff) != TDB_INTERNAL))) {
    printf("# failing allocation %ld (%s): rc %d (%s) from %s\n", a->fail_at,
           a->failed ? "failed" : "not reached", rc, tdb_errmsg(db), sql);
    CHECK(0 && "a statement failed without a cause");
  }
  if (rc != TDB_OK && tdb_kv_head(db) != head) {
    printf("# failing allocation %ld: the statement failed (rc %d, %s) after committing: %s\n",
           a->fail_at, rc, tdb_errmsg(db), sql);
    CHECK(0 && "a failed statement advanced the head epoch");
  }
  if (rc != TDB_OK && st && gOomRestep) { /* step it once more: it fails again or runs */
    int again;
    while ((again = tdb_step(st)) == TDB_ROW) {
    }
    CHECK(again == TDB_DONE || oomAcceptable(again, a) || fails);
    if (again == TDB_DONE && !fails) rc = TDB_OK;
  }
  tdb_finalize(st);
  return rc;
}
#define oomStmt(db, a, sql) oomStmtX((db), (a), (sql), 0)

static int oomRunSqlEngine(OomAlloc *a) {
  static const char *const setup[] = {
      ("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL DEFAULT 1.5, "
       "tag TEXT UNIQUE, CHECK (score >= 0))"),
      "CREATE INDEX t_name ON t(name)",
      "CREATE VIEW v AS SELECT id, name FROM t WHERE score > 1",
  };
  static const char *const work[] = { /* the first and the fourth fail anyway */
      "INSERT INTO t VALUES (10, 'x', 1, 'a'), (11, 'y', 2, 'b'), (10, 'z', 3, 'c')", /* dup */
      "INSERT INTO t(id, name, tag) VALUES (20, 'n20', 't20'), (21, 'n21', NULL)",
      "UPDATE t SET score = score * 2 WHERE name = 'n2' RETURNING id, score",
      "UPDATE t SET score = -1 WHERE id = 1",                   /* CHECK fails */
      "SELECT id, name FROM t WHERE name = 'n3'",
      "SELECT count(*), max(name) FROM v",
      "EXPLAIN ANALYZE SELECT * FROM t WHERE id = 2",
      "DELETE FROM t WHERE id = 4 RETURNING *",
      "SELECT * FROM tdb_indexes",
      ("SELECT id, row_number() OVER (PARTITION BY name ORDER BY id), sum(score) OVER "
       "(ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), lag(name, 1, 'none') OVER w, "
       "min(name) OVER w, group_concat(name) OVER (w RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) "
       "FROM t WINDOW w AS (ORDER BY score) ORDER BY id"),
      ("SELECT name, count(*) FILTER (WHERE score > 1), stddev(score), approx_count_distinct(id), "
       "rank() OVER (ORDER BY count(*) DESC) FROM t GROUP BY name"),
      /* joins: hash (FULL, USING), index nested loop, merge, nested loop, SEMI / NOT IN */
      "SELECT * FROM t a FULL JOIN t b USING (name) WHERE a.id < 5 OR b.id IS NULL",
      "SELECT a.id, b.id FROM t a JOIN t b ON b.id = a.id + 1 JOIN t c ON c.id = b.id",
      "SELECT count(*) FROM t a LEFT JOIN (t b JOIN v ON v.id = b.id) ON a.id > b.id",
      "SELECT id FROM t x WHERE EXISTS (SELECT 1 FROM t y WHERE y.name = x.name AND y.id <> x.id)",
      "SELECT id FROM t WHERE name NOT IN (SELECT tag FROM t) AND id IN (SELECT id FROM v)",
      /* temporal reads (exec_history.c, temporal_session.c) */
      "SELECT id, name, _system_from, _system_to, _row_op FROM t FOR SYSTEM_TIME ALL "
      "FOR APPLICATION_TIME ALL WHERE id < 5",
      "SELECT a.name, b.name FROM t a JOIN t AS OF a.id + 4 b ON b.id = a.id WHERE a.id < 3",
      "SELECT name FROM v WHERE id = 2 AS OF 5",
      "SHOW DRIFT t KEY 2",
      "SELECT epoch_time(2), epoch_at(epoch_time(3)), current_epoch()",
      "SET CURRENT_VALID_TIME = 5",
      "SELECT count(*) FROM t",
      "SET CURRENT_VALID_TIME = DEFAULT",
  };
  tdb_config cfg;
  tdb *db = NULL;
  tdb_stmt *ins = NULL, *all = NULL;
  size_t i;
  int rc;
  oomConfig(&cfg, a);
  cfg.threads = 0;
  rc = tdb_open(":memory:", &cfg, &db);
  CHECK(oomAcceptable(rc, a));
  if (rc != TDB_OK) {
    tdb_close(db);
    return a->failed;
  }
  for (i = 0; i < TDB_ARRAY_LEN(setup); i++) {
    if (oomStmt(db, a, setup[i]) != TDB_OK) goto done;
  }
  /* a prepared INSERT re-executed with new bindings */
  rc = tdb_prepare(db, "INSERT INTO t VALUES ($1, $2, ?, NULL)", -1, &ins, NULL);
  CHECK(oomAcceptable(rc, a));
  if (rc != TDB_OK) goto done;
  for (i = 1; i <= 5; i++) {
    char name[16];
    long before = oomCount(db, "SELECT count(*) FROM t"), after;
    uint64_t head = tdb_kv_head(db);
    snprintf(name, sizeof name, "n%d", (int)i);
    rc = tdb_bind_int64(ins, 1, (int64_t)i);
    if (rc == TDB_OK) rc = tdb_bind_text(ins, 2, name, -1);
    if (rc == TDB_OK) rc = tdb_bind_double(ins, 3, (double)i);
    if (rc == TDB_OK) rc = tdb_step(ins);
    CHECK(rc == TDB_DONE || oomAcceptable(rc, a));
    after = oomCount(db, "SELECT count(*) FROM t");
    if (rc == TDB_DONE && before >= 0 && after >= 0) CHECK(after == before + 1);
    if (rc != TDB_DONE) {
      CHECK(tdb_kv_head(db) == head);
      if (before >= 0 && after >= 0) CHECK(after == before);
    }
    tdb_reset(ins);
  }
  for (i = 0; i < TDB_ARRAY_LEN(work); i++) {
    long before = oomCount(db, "SELECT count(*) FROM t");
    rc = oomStmtX(db, a, work[i], i == 0 || i == 3);
    if (rc != TDB_OK && before >= 0) {
      long after = oomCount(db, "SELECT count(*) FROM t");
      if (after >= 0) CHECK(after == before);
    }
  }
  /* an open statement re-prepared across ALTER TABLE */
  rc = tdb_prepare(db, "SELECT * FROM t ORDER BY id", -1, &all, NULL);
  CHECK(oomAcceptable(rc, a));
  oomStmt(db, a, "ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'e'");
  oomStmt(db, a, "ALTER TABLE t RENAME COLUMN tag TO label");
  if (all) {
    while ((rc = tdb_step(all)) == TDB_ROW) (void)tdb_column_text(all, tdb_column_count(all) - 1);
    CHECK(rc == TDB_DONE || oomAcceptable(rc, a));
  }
  oomStmt(db, a, "ALTER TABLE t DROP COLUMN extra");
  oomStmt(db, a, "SELECT label, count(*) FROM t GROUP BY label ORDER BY 2 DESC");
  /* the index agrees with a full scan after whatever failed */
  {
    long via_index = oomCount(db, "SELECT count(*) FROM t WHERE name = 'n3'");
    long via_scan = oomCount(db, "SELECT count(*) FROM t WHERE name || '' = 'n3'");
    if (via_index >= 0 && via_scan >= 0 && via_index != via_scan) {
      printf("# failing allocation %ld: the index finds %ld rows, a scan %ld\n", a->fail_at,
             via_index, via_scan);
      CHECK(via_index == via_scan);
    }
  }
  oomStmt(db, a, "DROP VIEW v");
  oomStmt(db, a, "DROP INDEX t_name");
  oomStmt(db, a, "DROP TABLE t");
done:
  tdb_finalize(ins);
  tdb_finalize(all);
  tdb_close(db);
  return a->failed;
}

/* Writes, a flush to an SSTable, gets and an iterator over the memory VFS. */
static int oomRunKv(OomAlloc *a) {
  tdb_config cfg;
  tdb *db = NULL;
  tdb_kv_iter *it = NULL;
  char key[16], val[32];
  int i, rc;
  oomConfig(&cfg, a);
  cfg.threads = 0; /* deterministic: flushes run inline */
  rc = tdb_open(":memory:", &cfg, &db);
  CHECK(oomAcceptable(rc, a));
  if (rc != TDB_OK) {
    tdb_close(db);
    return a->failed;
  }
  for (i = 0; i < 40; i++) {
    snprintf(key, sizeof key, "k%03d", i);
    snprintf(val, sizeof val, "value %d", i);
    rc = tdb_kv_put(db, key, strlen(key), val, strlen(val), NULL);
    CHECK(oomAcceptable(rc, a));
    if (rc != TDB_OK) goto done; /* a failed durable write is sticky */
  }
  rc = tdb_flush(db);
  CHECK(oomAcceptable(rc, a));
  for (i = 0; i < 40; i += 7) {
    void *v = NULL;
    size_t vn = 0;
    snprintf(key, sizeof key, "k%03d", i);
    rc = tdb_kv_get(db, NULL, key, strlen(key), &v, &vn);
    CHECK(oomAcceptable(rc, a));
    tdb_free(db, v);
  }
  rc = tdb_kv_iter_new(db, NULL, &it);
  CHECK(oomAcceptable(rc, a));
  if (rc == TDB_OK) {
    for (tdb_kv_iter_seek_first(it); tdb_kv_iter_valid(it); tdb_kv_iter_next(it)) {
    }
    tdb_kv_iter_free(it);
  }
done:
  tdb_close(db);
  return a->failed;
}

/* Run `fn` failing allocation 1, 2, 3, ... until a run sees no failure.
** A workload of more than TDB_OOM_POINTS (default 150) allocations is
** swept with a stride instead, every allocation point 1..stride-1 plus each
** stride-th after them, so the whole suite stays fast under the sanitizers;
** TDB_OOM_POINTS=0 sweeps every point. */
static void oomSweep(const char *name, int (*fn)(OomAlloc *)) {
  const char *env = getenv("TDB_OOM_POINTS");
  long n, total, stride = 1, points = env ? atol(env) : 150, swept = 0;
  OomAlloc a;
  memset(&a, 0, sizeof a); /* a clean run first: how many allocations */
  a.fail_at = 0;
  CHECK(!fn(&a));
  total = a.calls;
  if (points > 0 && total > points) stride = (total + points - 1) / points;
  for (n = 1; n < 200000; n += (n < stride ? 1 : stride)) {
    memset(&a, 0, sizeof a);
    a.fail_at = n;
    swept++;
    if (!fn(&a)) {
      printf("# %s: %ld of %ld allocation points failed in turn (stride %ld), then a clean run "
             "(%ld allocations)\n",
             name, swept - 1, total, stride, a.calls);
      CHECK(n > 1); /* the workload allocates at all */
      return;
    }
  }
  CHECK(0 && "the sweep never reached a clean run");
}

static void testSqlOom(void) {
  oomSweep("sql", oomRunSql);
}

/* Run a sweep in a child process so that a crash in it is one failed test
** (and the other sweeps still run); the child's exit runs the leak check. */
static void oomSweepIsolated(const char *name, int (*fn)(OomAlloc *)) {
  pid_t pid;
  int status = 0;
  fflush(stdout);
  pid = fork();
  if (pid < 0) {
    oomSweep(name, fn);
    return;
  }
  if (pid == 0) {
    int before = tdbTestCurrentFailures;
    oomSweep(name, fn);
    fflush(stdout);
    exit(tdbTestCurrentFailures != before ? 3 : 0);
  }
  if (waitpid(pid, &status, 0) != pid) status = -1;
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 3)) {
      printf("# %s: crashed, or a sanitizer report (status %d)\n", name, status);
    }
    CHECK(0 && "the sweep failed");
  }
}

static void testSqlEngineOom(void) {
  gOomRestep = 0;
  oomSweepIsolated("sql-engine", oomRunSqlEngine);
}

/* The same with every failed statement stepped once more. */
static void testSqlEngineRestepOom(void) {
  gOomRestep = 1;
  oomSweepIsolated("sql-engine-restep", oomRunSqlEngine);
}

/* ---- opening a file database with a catalog ---------------------------------------- */

static char gOomDir[64]; /* the sql-open sweep: DIR/template.tdb, copied to DIR/open.tdb */

/* Copy every file of directory `from` into directory `to` (made if absent,
** emptied first). 0 on success. */
static int oomCopyDir(const char *from, const char *to) {
  char src[512], dst[512], buf[8192];
  DIR *d;
  struct dirent *e;
  int rc = 0;
  mkdir(to, 0700);
  d = opendir(to);
  if (!d) return -1;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
    unlink(dst);
  }
  closedir(d);
  d = opendir(from);
  if (!d) return -1;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    FILE *in, *out;
    size_t n;
    if (e->d_name[0] == '.') continue;
    snprintf(src, sizeof src, "%s/%s", from, e->d_name);
    snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
    in = fopen(src, "rb");
    out = fopen(dst, "wb");
    if (!in || !out) rc = -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0) {
      if (fwrite(buf, 1, n, out) != n) rc = -1;
    }
    if (in) fclose(in);
    if (out && fclose(out) != 0) rc = -1;
  }
  closedir(d);
  return rc;
}

/* The text of the single value a query returns, into out ("" on no row,
** "<rc N>" on an error). */
static void oomText(tdb *db, const char *sql, char *out, size_t cap) {
  tdb_stmt *st = NULL;
  int rc = tdb_prepare(db, sql, -1, &st, NULL);
  snprintf(out, cap, "<rc %d>", rc);
  if (rc == TDB_OK && st) {
    rc = tdb_step(st);
    if (rc == TDB_ROW) {
      const char *t = tdb_column_text(st, 0);
      snprintf(out, cap, "%s", t ? t : "NULL");
      if (!t && tdb_column_type(st, 0) != TDB_TYPE_NULL) snprintf(out, cap, "<no text>");
      rc = tdb_step(st);
      if (rc != TDB_DONE) snprintf(out, cap, "<rc %d>", rc);
    } else if (rc == TDB_DONE) {
      out[0] = '\0';
    } else {
      snprintf(out, cap, "<rc %d>", rc);
    }
  }
  tdb_finalize(st);
}

/* Open the database of gOomDir (its catalog: tables with keys, a CHECK,
** DEFAULTs, an ADD COLUMN default, a unique and a plain index, a view) and
** query it: every answer is right or an error, never a wrong value. */
static int oomRunSqlOpen(OomAlloc *a) {
  static const struct {
    const char *sql, *want;
  } queries[] = {
      {"SELECT count(*) FROM t", "3"},
      {"SELECT name FROM t WHERE id = 2", "b"},
      {"SELECT id FROM t WHERE tag = 'y'", "2"},
      {"SELECT id FROM t WHERE name = 'c'", "3"},
      {"SELECT extra FROM t WHERE id = 1", "dflt"},
      {"SELECT score FROM t WHERE id = 3", "1.5"},
      {"SELECT sum(id) FROM v", "3"}, /* score 2 and 3; the default 1.5 is not > 1.5 */
      {"SELECT count(*) FROM tdb_indexes", "2"},
      {"SELECT group_concat(name) FROM tdb_columns WHERE table_name = 't'", NULL},
  };
  tdb_config cfg;
  tdb *db = NULL;
  char path[128], got[128];
  size_t i;
  int rc;
  oomConfig(&cfg, a);
  cfg.threads = 0;
  cfg.sync_mode = TDB_SYNC_OFF;
  snprintf(path, sizeof path, "%s/template.tdb", gOomDir);
  snprintf(got, sizeof got, "%s/open.tdb", gOomDir);
  if (oomCopyDir(path, got) != 0) {
    CHECK(0 && "copy the template database");
    return 0;
  }
  snprintf(path, sizeof path, "%s/open.tdb", gOomDir);
  rc = tdb_open(path, &cfg, &db);
  CHECK(oomAcceptable(rc, a));
  if (rc != TDB_OK) {
    tdb_close(db);
    return a->failed;
  }
  for (i = 0; i < TDB_ARRAY_LEN(queries); i++) {
    if (!queries[i].want) continue;
    oomText(db, queries[i].sql, got, sizeof got);
    if (got[0] == '<') {
      CHECK(a->failed);
    } else if (strcmp(got, queries[i].want) != 0) {
      printf("# failing allocation %ld: %s gave \"%s\", expected \"%s\"\n", a->fail_at,
             queries[i].sql, got, queries[i].want);
      CHECK(0 && "a wrong answer after reopening");
    }
  }
  /* the CHECK and the unique index were loaded: these fail, and commit nothing */
  {
    uint64_t head = tdb_kv_head(db);
    rc = tdb_exec(db, "INSERT INTO t(id, name, score) VALUES (9, 'n', -1)", NULL, NULL);
    CHECK(rc == TDB_CONSTRAINT || a->failed);
    rc = tdb_exec(db, "INSERT INTO t(id, name, tag) VALUES (9, 'n', 'x')", NULL, NULL);
    CHECK(rc == TDB_CONSTRAINT || a->failed);
    CHECK(tdb_kv_head(db) == head);
  }
  tdb_close(db);
  /* whatever failed, the database opens again and answers */
  if (a->failed) {
    tdb_config_default(&cfg);
    cfg.threads = 0;
    db = NULL;
    rc = tdb_open(path, &cfg, &db);
    if (rc != TDB_OK) {
      printf("# failing allocation %ld: the database does not open afterwards: %s\n", a->fail_at,
             tdb_errmsg(db));
      CHECK(0 && "a failed open damaged the database");
    } else {
      oomText(db, "SELECT count(*) FROM t WHERE name = 'b'", got, sizeof got);
      if (strcmp(got, "1") != 0) {
        printf("# failing allocation %ld: afterwards the index lookup gives \"%s\"\n", a->fail_at,
               got);
        CHECK(0 && "a failed open damaged the database");
      }
    }
    tdb_close(db);
  }
  return a->failed;
}

/* A transaction with a savepoint, DDL, ROLLBACK TO and COMMIT, every
** allocation failed in turn: any statement may fail cleanly, and what is
** committed in the end reads the same through a scan and key lookups. The
** 30-row INSERT is past the 16 ops a batch compares pairwise: its ops are
** sorted into the overlay, and the commit batch built from the overlay. */
static int oomRunTxn(OomAlloc *a) {
  static const char *const work[] = {
      "BEGIN",
      "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
      "INSERT INTO t WITH RECURSIVE s(n) AS (SELECT 39 UNION ALL SELECT n - 1 FROM s "
      "WHERE n > 10) SELECT n, 'r' FROM s",
      "SAVEPOINT s",
      "UPDATE t SET v = 'B' WHERE id = 2",
      "CREATE INDEX t_v ON t(v)",
      "SELECT id FROM t WHERE v = 'B'",
      "ROLLBACK TO s",
      "INSERT INTO t VALUES (3, 'c')",
      "SELECT count(*) FROM t",
      "COMMIT",
  };
  tdb_config cfg;
  tdb *db = NULL;
  size_t i;
  long scanned, found = 0;
  int rc;
  oomConfig(&cfg, a);
  cfg.threads = 0;
  rc = tdb_open(":memory:", &cfg, &db);
  CHECK(oomAcceptable(rc, a));
  if (rc != TDB_OK) {
    tdb_close(db);
    return a->failed;
  }
  if (oomStmt(db, a, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)") != TDB_OK) goto done;
  for (i = 0; i < TDB_ARRAY_LEN(work); i++) (void)oomStmt(db, a, work[i]);
  (void)tdb_exec(db, "ROLLBACK", NULL, NULL); /* when COMMIT or BEGIN did not run */
  scanned = oomCount(db, "SELECT count(*) FROM t");
  for (i = 1; i <= 3; i++) {
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE id = %d", (int)i);
    found += oomCount(db, sql) == 1;
  }
  found += oomCount(db, "SELECT count(*) FROM t WHERE id BETWEEN 10 AND 39");
  if (scanned >= 0) CHECK(scanned == found || a->failed);
  if (!a->failed) CHECK(scanned == 33);
done:
  tdb_close(db);
  return a->failed;
}

/* Temporal writes (dml_piece.c): periods, portions, splits, tombstones. A
** failed statement leaves nothing: the pieces of a key never overlap, and
** the current rows agree with the history at the default valid time. */
static int oomRunTemporalWrites(OomAlloc *a) {
  static const char *const work[] = {
      "SET CURRENT_VALID_TIME = 100",
      "INSERT INTO t (id, v, _valid_from, _valid_to) VALUES (1, 'a', NULL, 50), (1, 'b', 50, NULL), "
      "(2, 'c', 0, NULL)",
      "UPDATE t FOR PORTION OF APPLICATION_TIME FROM 20 TO 70 SET v = v || '!'",
      "DELETE FROM t FOR PORTION OF APPLICATION_TIME FROM 30 TO 40 WHERE id = 2",
      "SOFT DELETE FROM t KEY 2 FOR PORTION OF APPLICATION_TIME FROM 60 TO NULL",
      "PATCH t KEY 1 SET v = 'p'",
      "UNDELETE FROM t WHERE id = 2",
      "INSERT OR REPLACE INTO t (id, v, _valid_from, _valid_to) VALUES (1, 'r', 10, 25)",
      "UPDATE t SET id = 3 - id",
      "SET CURRENT_VALID_TIME = DEFAULT",
  };
  tdb_config cfg;
  tdb *db = NULL;
  size_t i;
  long overlaps, scanned, found = 0;
  int rc;
  oomConfig(&cfg, a);
  cfg.threads = 0;
  rc = tdb_open(":memory:", &cfg, &db);
  CHECK(oomAcceptable(rc, a));
  if (rc != TDB_OK) {
    tdb_close(db);
    return a->failed;
  }
  if (oomStmt(db, a, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)") != TDB_OK) goto done;
  for (i = 0; i < TDB_ARRAY_LEN(work); i++) (void)oomStmt(db, a, work[i]);
  (void)tdb_exec(db, "SET CURRENT_VALID_TIME = DEFAULT", NULL, NULL);
  overlaps = oomCount(db,
                      "SELECT count(*) FROM t FOR APPLICATION_TIME ALL INCLUDING DELETED AS x "
                      "JOIN t FOR APPLICATION_TIME ALL INCLUDING DELETED AS y ON x.id = y.id AND "
                      "x._valid_from IS NOT DISTINCT FROM y._valid_from IS FALSE AND "
                      "coalesce(x._valid_from, -1000) < coalesce(y._valid_from, -1000) AND "
                      "coalesce(y._valid_from, -1000) < coalesce(x._valid_to, 1000000000000000000)");
  if (overlaps >= 0) CHECK(overlaps == 0);
  scanned = oomCount(db, "SELECT count(*) FROM t");
  for (i = 1; i <= 2; i++) {
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE id = %d", (int)i);
    found += oomCount(db, sql) == 1;
  }
  if (scanned >= 0) CHECK(scanned == found || a->failed);
  if (!a->failed) {
    CHECK(scanned == 2);
    long pieces = oomCount(db, "SELECT count(*) FROM t FOR APPLICATION_TIME ALL INCLUDING DELETED");
    CHECK(pieces == 12 || a->failed); /* (this count may meet the failure itself) */
  }
done:
  tdb_close(db);
  return a->failed;
}

static void testTemporalWritesOom(void) {
  gOomRestep = 0;
  oomSweepIsolated("temporal-writes", oomRunTemporalWrites);
}

static void testTxnOom(void) {
  gOomRestep = 0;
  oomSweepIsolated("txn", oomRunTxn);
}

static void testSqlOpenOom(void) {
  tdb *db = NULL;
  tdb_config cfg;
  char path[128], cmd[128];
  snprintf(gOomDir, sizeof gOomDir, "/tmp/tdb-oom-XXXXXX");
  if (!mkdtemp(gOomDir)) {
    CHECK(0 && "mkdtemp");
    return;
  }
  tdb_config_default(&cfg);
  cfg.threads = 0;
  snprintf(path, sizeof path, "%s/template.tdb", gOomDir);
  CHECK_EQ(tdb_open(path, &cfg, &db), TDB_OK);
  CHECK_EQ(tdb_exec(db,
                    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                    "score REAL DEFAULT 1.5 CHECK (score >= 0), tag TEXT UNIQUE);"
                    "CREATE INDEX t_name ON t(name);"
                    "INSERT INTO t VALUES (1, 'a', 2, 'x'), (2, 'b', 3, 'y');"
                    "INSERT INTO t(id, name) VALUES (3, 'c');"
                    "ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'dflt';"
                    "CREATE VIEW v AS SELECT id FROM t WHERE score > 1.5",
                    NULL, NULL),
           TDB_OK);
  if (tdb_errcode(db) != TDB_OK) printf("# setup: %s\n", tdb_errmsg(db));
  tdb_close(db);
  oomSweepIsolated("sql-open", oomRunSqlOpen);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", gOomDir);
  if (system(cmd) != 0) printf("# could not remove %s\n", gOomDir);
}

static void testKvOom(void) {
  oomSweep("kv", oomRunKv);
}

int main(void) {
  TEST_RUN(testSqlOom);
  TEST_RUN(testSqlEngineOom);
  TEST_RUN(testSqlEngineRestepOom);
  TEST_RUN(testSqlOpenOom);
  TEST_RUN(testTxnOom);
  TEST_RUN(testTemporalWritesOom);
  TEST_RUN(testKvOom);
  return tdbTestFinish();
}
