/*
** test_concurrency.c — several connections to one database (src/dbshare.c,
** docs/sql.md "Concurrency"):
**
**   - bank transfers: 4 writer threads, each with its own connection, move
**     money between 10 accounts in BEGIN .. COMMIT transactions that read
**     the balances and write the computed values (a lost update would show),
**     retrying on 40001 and TDB_BUSY, while a reader thread checks the total
**     at its snapshot, inside a read transaction and AS OF past epochs.
**     Afterwards every epoch after the load holds the invariant total and
**     changed exactly two accounts, the epochs equal the committed
**     transfers, and each account's balance is what the transfers say;
**   - two connections: the first write of a transaction whose snapshot is
**     stale fails with 40001 naming both epochs, the transaction is doomed
**     (writes refused, reads still at the snapshot, COMMIT rolls back with
**     40001); a writer waiting for the write lock gets TDB_BUSY (55P03)
**     after busy_timeout_ms, or the lock when it is released; autocommit
**     writes read the head; read transactions are repeatable;
**   - a second process (fork) gets TDB_BUSY naming the first one's pid, and
**     opens the database once the first closed it;
**   - sharing: the same path twice (also through another spelling) is one
**     database, ":memory:" twice is two; catalog changes of one connection
**     reach the other (prepared statements re-prepare); _rowid values of
**     inserts from two connections never repeat; a schema change while a
**     statement of the other connection is returning rows is 55006 until it
**     finishes; read-only connections next to read-write ones.
*/
#include "tensordb.c"
#include "test.h"
#include "sqlcheck.h"
#include "watchdog.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char gTmp[64];

#define NACCT 10
#define START_BAL 100
#define NWRITERS 4
#define TRANSFERS_PER_WRITER 100

static tdb *openPath(const char *path, int busy_ms, int read_only) {
  tdb *db = NULL;
  tdb_config cfg;
  tdb_config_default(&cfg);
  cfg.sync_mode = TDB_SYNC_OFF;
  cfg.busy_timeout_ms = busy_ms;
  cfg.read_only = read_only;
  if (tdb_open(path, &cfg, &db) != TDB_OK) {
    printf("# tdb_open(%s): %s\n", path, db ? tdb_errmsg(db) : "out of memory");
    tdb_close(db);
    return NULL;
  }
  return db;
}

/* One integer from a query, or INT64_MIN with *rc the error (thread-safe:
** no static buffers). */
static int64_t queryInt(tdb *db, const char *sql, int *rc) {
  tdb_stmt *st = NULL;
  int64_t v = INT64_MIN;
  *rc = tdb_prepare(db, sql, -1, &st, NULL);
  if (*rc != TDB_OK) return v;
  *rc = tdb_step(st);
  if (*rc == TDB_ROW) {
    v = tdb_column_int64(st, 0);
    *rc = TDB_OK;
  } else if (*rc == TDB_DONE) {
    *rc = TDB_NOTFOUND;
  }
  tdb_finalize(st);
  return v;
}

/* ---- bank transfers ------------------------------------------------------------------ */

typedef struct Transfer {
  int from, to;
  int64_t amount;
} Transfer;

typedef struct Writer {
  pthread_t thread;
  const char *path;
  unsigned seed;
  Transfer done[TRANSFERS_PER_WRITER]; /* the committed transfers */
  int ndone;
  int conflicts, busy, skipped;
  int errors;                          /* anything else: a failure */
  char error[300];
} Writer;

typedef struct Reader {
  pthread_t thread;
  const char *path;
  atomic_int *stop;
  uint64_t load_epoch;
  unsigned seed;
  int reads, as_of_reads, bad;
  char error[300];
} Reader;

static void noteError(char *buf, size_t cap, const char *what, tdb *db) {
  if (buf[0]) return; /* keep the first */
  snprintf(buf, cap, "%s: %s [%s]", what, db ? tdb_errmsg(db) : "?", db ? tdb_sqlstate(db) : "");
}

/* One transfer transaction. TDB_OK: committed (or nothing to do: *skip);
** TDB_CONFLICT / TDB_BUSY: rolled back, retry; anything else: an error. */
static int transferOnce(Writer *w, tdb *db, int from, int to, int64_t amount, int *skip) {
  char sql[160];
  int64_t a, b;
  int rc;
  *skip = 0;
  if ((rc = tdb_exec(db, "BEGIN", NULL, NULL)) != TDB_OK) return rc;
  snprintf(sql, sizeof sql, "SELECT bal FROM acct WHERE id = %d", from);
  a = queryInt(db, sql, &rc);
  if (rc == TDB_OK) {
    snprintf(sql, sizeof sql, "SELECT bal FROM acct WHERE id = %d", to);
    b = queryInt(db, sql, &rc);
  }
  if (rc != TDB_OK) goto fail;
  if (a < amount) { /* not enough money: a read-only transaction */
    *skip = 1;
    return tdb_exec(db, "COMMIT", NULL, NULL);
  }
  sched_yield(); /* let the others commit between our reads and our writes */
  /* computed values, not bal - x: a write on a stale snapshot would lose updates */
  snprintf(sql, sizeof sql, "UPDATE acct SET bal = %lld WHERE id = %d", (long long)(a - amount),
           from);
  if ((rc = tdb_exec(db, sql, NULL, NULL)) != TDB_OK) goto fail;
  snprintf(sql, sizeof sql, "UPDATE acct SET bal = %lld WHERE id = %d", (long long)(b + amount),
           to);
  if ((rc = tdb_exec(db, sql, NULL, NULL)) != TDB_OK) goto fail;
  rc = tdb_exec(db, "COMMIT", NULL, NULL);
  if (rc != TDB_OK) noteError(w->error, sizeof w->error, "COMMIT", db);
  return rc;
fail:
  if (rc != TDB_CONFLICT && rc != TDB_BUSY) noteError(w->error, sizeof w->error, sql, db);
  if (rc == TDB_CONFLICT && strcmp(tdb_sqlstate(db), "40001") != 0) {
    noteError(w->error, sizeof w->error, "conflict without 40001", db);
    rc = TDB_ERROR;
  }
  if (tdb_exec(db, "ROLLBACK", NULL, NULL) != TDB_OK) {
    noteError(w->error, sizeof w->error, "ROLLBACK", db);
    rc = TDB_ERROR;
  }
  return rc;
}

static void *writerMain(void *arg) {
  Writer *w = arg;
  tdb *db = openPath(w->path, 5000, 0);
  int attempts = 0;
  if (!db) {
    w->errors++;
    snprintf(w->error, sizeof w->error, "open failed");
    return NULL;
  }
  while (w->ndone < TRANSFERS_PER_WRITER && attempts < 200 * TRANSFERS_PER_WRITER) {
    int from = (int)(rand_r(&w->seed) % NACCT) + 1, to, skip, rc;
    int64_t amount = (int64_t)(rand_r(&w->seed) % 30) + 1;
    do to = (int)(rand_r(&w->seed) % NACCT) + 1; while (to == from);
    for (;;) {
      attempts++;
      rc = transferOnce(w, db, from, to, amount, &skip);
      if (rc == TDB_CONFLICT) w->conflicts++;
      else if (rc == TDB_BUSY) w->busy++;
      else break;
    }
    if (rc != TDB_OK) {
      w->errors++;
      break;
    }
    if (skip) {
      w->skipped++;
      continue;
    }
    w->done[w->ndone].from = from;
    w->done[w->ndone].to = to;
    w->done[w->ndone].amount = amount;
    w->ndone++;
  }
  tdb_close(db);
  return NULL;
}

static void *readerMain(void *arg) {
  Reader *r = arg;
  tdb *db = openPath(r->path, 5000, 0);
  char sql[128];
  int rc;
  if (!db) {
    r->bad++;
    snprintf(r->error, sizeof r->error, "open failed");
    return NULL;
  }
  while (!atomic_load(r->stop) && !r->bad) {
    int64_t sum = queryInt(db, "SELECT sum(bal) FROM acct", &rc), sum2;
    uint64_t head, e;
    r->reads++;
    if (rc != TDB_OK || sum != NACCT * START_BAL) {
      r->bad++;
      snprintf(r->error, sizeof r->error, "SUM at the snapshot: %lld (rc %d: %s)",
               (long long)sum, rc, tdb_errmsg(db));
      break;
    }
    /* a read transaction: both reads see its snapshot */
    if (tdb_exec(db, "BEGIN", NULL, NULL) == TDB_OK) {
      sum = queryInt(db, "SELECT sum(bal) FROM acct", &rc);
      sched_yield();
      sum2 = queryInt(db, "SELECT sum(bal) + count(*) * 0 FROM acct", &rc);
      if (tdb_exec(db, "COMMIT", NULL, NULL) != TDB_OK || sum != NACCT * START_BAL ||
          sum2 != sum) {
        r->bad++;
        snprintf(r->error, sizeof r->error, "SUM in a read transaction: %lld then %lld",
                 (long long)sum, (long long)sum2);
        break;
      }
    }
    head = tdb_kv_head(db);
    e = r->load_epoch + (head > r->load_epoch ? rand_r(&r->seed) % (head - r->load_epoch + 1) : 0);
    snprintf(sql, sizeof sql, "SELECT sum(bal) FROM acct AS OF %llu", (unsigned long long)e);
    sum = queryInt(db, sql, &rc);
    r->as_of_reads++;
    if (rc != TDB_OK || sum != NACCT * START_BAL) {
      r->bad++;
      snprintf(r->error, sizeof r->error, "SUM AS OF %llu: %lld (rc %d: %s)",
               (unsigned long long)e, (long long)sum, rc, tdb_errmsg(db));
    }
  }
  tdb_close(db);
  return NULL;
}

static void testTransfers(void) {
  char path[128], sql[256];
  tdb *db;
  Writer w[NWRITERS];
  Reader r;
  atomic_int stop;
  int64_t expect[NACCT + 1];
  uint64_t load, head, e;
  int i, j, committed = 0, conflicts = 0, busy = 0, rc, bad_epochs = 0;
  atomic_init(&stop, 0);
  snprintf(path, sizeof path, "%s/bank.tdb", gTmp);
  db = openPath(path, 5000, 0);
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE acct (id INT PRIMARY KEY, bal INT NOT NULL)");
  for (i = 1; i <= NACCT; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO acct VALUES (%d, %d)", i, START_BAL);
    EXEC_OK(db, sql);
    expect[i] = START_BAL;
  }
  load = tdb_kv_head(db);
  memset(w, 0, sizeof w);
  memset(&r, 0, sizeof r);
  r.path = path;
  r.stop = &stop;
  r.load_epoch = load;
  r.seed = 7;
  tdbWatchdogNote("testTransfers: threads running");
  CHECK_EQ(pthread_create(&r.thread, NULL, readerMain, &r), 0);
  for (i = 0; i < NWRITERS; i++) {
    w[i].path = path;
    w[i].seed = 1000u + (unsigned)i * 7919u;
    CHECK_EQ(pthread_create(&w[i].thread, NULL, writerMain, &w[i]), 0);
  }
  for (i = 0; i < NWRITERS; i++) pthread_join(w[i].thread, NULL);
  atomic_store(&stop, 1);
  pthread_join(r.thread, NULL);
  tdbWatchdogNote("testTransfers: checking epochs");
  for (i = 0; i < NWRITERS; i++) {
    if (w[i].error[0]) printf("# writer %d: %s\n", i, w[i].error);
    CHECK_EQ(w[i].errors, 0);
    CHECK_EQ(w[i].ndone, TRANSFERS_PER_WRITER);
    committed += w[i].ndone;
    conflicts += w[i].conflicts;
    busy += w[i].busy;
    for (j = 0; j < w[i].ndone; j++) {
      expect[w[i].done[j].from] -= w[i].done[j].amount;
      expect[w[i].done[j].to] += w[i].done[j].amount;
    }
  }
  if (r.error[0]) printf("# reader: %s\n", r.error);
  CHECK_EQ(r.bad, 0);
  CHECK(r.reads > 0);
  printf("# %d transfers committed, %d conflicts (40001) and %d busy retried; reader: %d reads, "
         "%d AS OF\n", committed, conflicts, busy, r.reads, r.as_of_reads);
  /* one epoch per committed transfer, and nothing else committed */
  head = tdb_kv_head(db);
  CHECK_EQ(head - load, (uint64_t)committed);
  /* every epoch: the invariant total, and exactly the two accounts of one
  ** transfer changed (a half-applied transfer would change one) */
  for (e = load; e <= head; e++) {
    int64_t sum, changed = 0;
    snprintf(sql, sizeof sql, "SELECT sum(bal) FROM acct AS OF %llu", (unsigned long long)e);
    sum = queryInt(db, sql, &rc);
    if (rc != TDB_OK || sum != NACCT * START_BAL) bad_epochs++;
    if (e > load) {
      snprintf(sql, sizeof sql,
               "SELECT count(*) FROM acct AS OF %llu a JOIN acct AS OF %llu b "
               "ON a.id = b.id WHERE a.bal <> b.bal",
               (unsigned long long)e, (unsigned long long)(e - 1));
      changed = queryInt(db, sql, &rc);
      if (rc != TDB_OK || changed != 2) bad_epochs++;
    }
    if (bad_epochs == 1) {
      printf("# epoch %llu: sum %lld, %lld accounts changed (%s)\n", (unsigned long long)e,
             (long long)sum, (long long)changed, rc == TDB_OK ? "ok" : tdb_errmsg(db));
      bad_epochs++; /* print the first only */
    }
  }
  CHECK_EQ(bad_epochs, 0);
  /* the balances are exactly what the committed transfers say: no lost update */
  for (i = 1; i <= NACCT; i++) {
    snprintf(sql, sizeof sql, "SELECT bal FROM acct WHERE id = %d", i);
    CHECK_EQ(sqlInt(db, sql), expect[i]);
  }
  tdb_close(db);
}

/* ---- two connections: conflicts, the busy timeout ------------------------------------ */

typedef struct Waiter {
  tdb *db;
  int rc;
} Waiter;

static void *waiterMain(void *arg) {
  Waiter *wt = arg;
  wt->rc = tdb_exec(wt->db, "UPDATE acct SET bal = bal + 1 WHERE id = 2", NULL, NULL);
  return NULL;
}

static void testConflict(void) {
  char path[128];
  tdb *c1, *c2, *c3;
  uint64_t snap, head;
  pthread_t t;
  Waiter wt;
  snprintf(path, sizeof path, "%s/conflict.tdb", gTmp);
  c1 = openPath(path, 5000, 0);
  c2 = openPath(path, 5000, 0);
  c3 = openPath(path, 0, 0); /* never waits */
  CHECK(c1 && c2 && c3);
  if (!c1 || !c2 || !c3) goto done;
  EXEC_OK(c1, "CREATE TABLE acct (id INT PRIMARY KEY, bal INT)");
  EXEC_OK(c1, "INSERT INTO acct VALUES (1, 10), (2, 20)");
  /* T1 reads, T2 commits, T1's first write: 40001 naming both epochs */
  EXEC_OK(c1, "BEGIN");
  CHECK_STR(sqlRows(c1, "SELECT bal FROM acct WHERE id = 1"), "10");
  snap = tdb_kv_head(c1);
  EXEC_OK(c2, "UPDATE acct SET bal = 11 WHERE id = 1");
  head = tdb_kv_head(c2);
  CHECK_EQ(head, snap + 1);
  CHECK_EQ(tdb_exec(c1, "UPDATE acct SET bal = 0 WHERE id = 1", NULL, NULL), TDB_CONFLICT);
  CHECK_STR(tdb_sqlstate(c1), "40001");
  {
    char want[64];
    snprintf(want, sizeof want, "as of epoch %llu", (unsigned long long)snap);
    CHECK_CONTAINS(tdb_errmsg(c1), want);
    snprintf(want, sizeof want, "epoch %llu was committed", (unsigned long long)head);
    CHECK_CONTAINS(tdb_errmsg(c1), want);
  }
  /* doomed: still open, reads its snapshot, every write refused */
  CHECK_STR(sqlRows(c1, "SELECT bal FROM acct WHERE id = 1"), "10");
  EXEC_FAILS(c1, "INSERT INTO acct VALUES (3, 30)", "40001");
  EXEC_FAILS(c1, "BEGIN", "25001");
  /* COMMIT rolls it back and says so */
  EXEC_FAILS(c1, "COMMIT", "40001");
  CHECK_CONTAINS(tdb_errmsg(c1), "rolled back");
  EXEC_FAILS(c1, "ROLLBACK", "25P01");
  CHECK_EQ(tdb_kv_head(c1), head);
  CHECK_STR(sqlRows(c1, "SELECT id, bal FROM acct ORDER BY id"), "1|11;2|20");
  /* ROLLBACK ends a doomed transaction cleanly */
  EXEC_OK(c1, "BEGIN");
  EXEC_OK(c2, "UPDATE acct SET bal = 12 WHERE id = 1");
  EXEC_FAILS(c1, "DELETE FROM acct", "40001");
  EXEC_OK(c1, "ROLLBACK");
  /* a transaction that writes first, with nothing committed since BEGIN, wins;
  ** a later writer waits for it */
  EXEC_OK(c1, "BEGIN");
  EXEC_OK(c1, "UPDATE acct SET bal = bal + 100 WHERE id = 1");
  EXEC_OK(c2, "SELECT * FROM acct"); /* readers are not blocked */
  CHECK_EQ(tdb_exec(c3, "UPDATE acct SET bal = 0 WHERE id = 2", NULL, NULL), TDB_BUSY);
  CHECK_STR(tdb_sqlstate(c3), "55P03");
  CHECK_CONTAINS(tdb_errmsg(c3), "busy_timeout_ms");
  CHECK_EQ(tdb_exec(c3, "BEGIN; INSERT INTO acct VALUES (9, 9)", NULL, NULL), TDB_BUSY);
  EXEC_OK(c3, "ROLLBACK");
  wt.db = c2;
  wt.rc = -1;
  CHECK_EQ(pthread_create(&t, NULL, waiterMain, &wt), 0); /* waits for c1's lock */
  {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  EXEC_OK(c1, "COMMIT");
  pthread_join(t, NULL);
  CHECK_EQ(wt.rc, TDB_OK);
  CHECK_STR(sqlRows(c2, "SELECT id, bal FROM acct ORDER BY id"), "1|112;2|21");
  /* an autocommit write of a connection that last read long ago reads the head */
  EXEC_OK(c3, "UPDATE acct SET bal = bal * 2");
  CHECK_STR(sqlRows(c1, "SELECT id, bal FROM acct ORDER BY id"), "1|224;2|42");
  /* a read transaction is repeatable and commits whatever others did */
  EXEC_OK(c1, "BEGIN");
  CHECK_STR(sqlRows(c1, "SELECT sum(bal) FROM acct"), "266");
  EXEC_OK(c2, "DELETE FROM acct WHERE id = 2");
  CHECK_STR(sqlRows(c1, "SELECT sum(bal) FROM acct"), "266");
  EXEC_OK(c1, "COMMIT");
  CHECK_STR(sqlRows(c1, "SELECT sum(bal) FROM acct"), "224");
  /* KV writes take the lock too */
  EXEC_OK(c1, "BEGIN");
  EXEC_OK(c1, "INSERT INTO acct VALUES (5, 5)");
  CHECK_EQ(tdb_kv_put(c3, "k", 1, "v", 1, NULL), TDB_BUSY);
  EXEC_OK(c1, "COMMIT");
  CHECK_EQ(tdb_kv_put(c3, "k", 1, "v", 1, NULL), TDB_OK);
done:
  tdb_close(c1);
  tdb_close(c2);
  tdb_close(c3);
}

/* ---- a second process ---------------------------------------------------------------- */

/* In a child: open path, exit 0 when the result is `want` (and for
** TDB_BUSY the message names the parent's pid), else 1. */
static int childOpen(const char *path, int want, long parent) {
  pid_t pid = fork();
  int status = 0;
  if (pid < 0) return -1;
  if (pid == 0) {
    tdb *db = NULL;
    int rc = tdb_open(path, NULL, &db), ok = rc == want;
    if (ok && want == TDB_BUSY) {
      char pidtext[64];
      snprintf(pidtext, sizeof pidtext, "open in another process (pid %ld)", parent);
      ok = db && strstr(tdb_errmsg(db), pidtext) != NULL && strcmp(tdb_sqlstate(db), "55P03") == 0;
      if (!ok) printf("# child: %s [%s]\n", db ? tdb_errmsg(db) : "?", db ? tdb_sqlstate(db) : "");
    }
    if (ok && want == TDB_OK) ok = sqlInt(db, "SELECT count(*) FROM t") == 1;
    tdb_close(db);
    fflush(stdout);
    _exit(ok ? 0 : 1);
  }
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void testSecondProcess(void) {
  char path[128];
  tdb *db;
  snprintf(path, sizeof path, "%s/proc.tdb", gTmp);
  db = openPath(path, 5000, 0);
  CHECK(db != NULL);
  if (!db) return;
  EXEC_OK(db, "CREATE TABLE t (a INT); INSERT INTO t VALUES (1)");
  fflush(stdout);
  CHECK_EQ(childOpen(path, TDB_BUSY, (long)getpid()), 0);
  tdb_close(db);
  CHECK_EQ(childOpen(path, TDB_OK, (long)getpid()), 0);
}

/* ---- sharing and the catalog --------------------------------------------------------- */

static void testSharing(void) {
  char path[128], other[160];
  tdb *c1, *c2, *m1, *m2, *ro;
  tdb_stmt *st = NULL;
  snprintf(path, sizeof path, "%s/share.tdb", gTmp);
  c1 = openPath(path, 5000, 0);
  snprintf(other, sizeof other, "%s/./share.tdb/", gTmp); /* another spelling of it */
  c2 = openPath(other, 5000, 0);
  CHECK(c1 && c2);
  if (!c1 || !c2) goto done;
  /* one database: the same head, each other's writes */
  EXEC_OK(c1, "CREATE TABLE t (a INT PRIMARY KEY, b TEXT)");
  EXEC_OK(c1, "INSERT INTO t VALUES (1, 'x')");
  CHECK_EQ(tdb_kv_head(c2), tdb_kv_head(c1));
  CHECK_STR(sqlRows(c2, "SELECT a, b FROM t"), "1|x");
  /* catalog changes reach the other connection, prepared statements re-prepare */
  CHECK_STR(sqlRows(c2, "SELECT * FROM u"), "ERROR 42P01");
  CHECK_EQ(tdb_prepare(c2, "SELECT * FROM t", -1, &st, NULL), TDB_OK);
  EXEC_OK(c1, "CREATE TABLE u (x INT); INSERT INTO u VALUES (7)");
  EXEC_OK(c1, "ALTER TABLE t ADD COLUMN c INT DEFAULT 5");
  CHECK_STR(sqlRows(c2, "SELECT * FROM u"), "7");
  if (st) {
    CHECK_EQ(tdb_step(st), TDB_ROW);
    CHECK_EQ(tdb_column_count(st), 3);
    CHECK_EQ(tdb_column_int64(st, 2), 5);
    tdb_finalize(st);
    st = NULL;
  }
  EXEC_OK(c2, "INSERT INTO t VALUES (2, 'y', 6)");
  CHECK_STR(sqlRows(c1, "SELECT a, b, c FROM t ORDER BY a"), "1|x|5;2|y|6");
  EXEC_OK(c2, "DROP TABLE u");
  CHECK_STR(sqlRows(c1, "SELECT * FROM u"), "ERROR 42P01");
  /* a schema change while the other connection is returning rows */
  CHECK_EQ(tdb_prepare(c2, "SELECT a FROM t ORDER BY a", -1, &st, NULL), TDB_OK);
  if (st) {
    CHECK_EQ(tdb_step(st), TDB_ROW);
    EXEC_OK(c1, "CREATE INDEX t_b ON t (b)");
    EXEC_FAILS(c2, "SELECT count(*) FROM t", "55006");
    CHECK_EQ(tdb_step(st), TDB_ROW); /* the running one goes on at its snapshot */
    CHECK_EQ(tdb_column_int64(st, 0), 2);
    tdb_finalize(st);
    st = NULL;
  }
  CHECK_STR(sqlRows(c2, "SELECT name FROM tdb_indexes WHERE name = 't_b'"), "t_b");
  /* inserts into a table without a key from both: distinct _rowid values */
  EXEC_OK(c1, "CREATE TABLE r (v INT)");
  EXEC_OK(c1, "INSERT INTO r VALUES (1)");
  EXEC_OK(c2, "INSERT INTO r VALUES (2)");
  EXEC_OK(c1, "INSERT INTO r VALUES (3)");
  EXEC_OK(c2, "BEGIN; INSERT INTO r VALUES (4); COMMIT");
  EXEC_OK(c1, "INSERT INTO r VALUES (5)");
  CHECK_STR(sqlRows(c2, "SELECT count(DISTINCT _rowid), count(*) FROM r"), "5|5");
  /* a scheduled change written by one connection: the other's default reads
  ** of that table stop trusting its current rows (temporal_session.c) */
  EXEC_OK(c1, "CREATE TABLE p (id INT PRIMARY KEY, v TEXT); INSERT INTO p VALUES (1, 'now')");
  CHECK_STR(sqlRows(c2, "SELECT v FROM p"), "now");
  EXEC_OK(c1, "UPDATE p FOR PORTION OF APPLICATION_TIME FROM '2999-01-01T00:00:00Z' TO NULL "
              "SET v = 'later'");
  CHECK_STR(sqlRows(c2, "SELECT v FROM p"), "now");
  CHECK_STR(sqlRows(c2, "SELECT v FROM p VALID AT '2999-06-01T00:00:00Z'"), "later");
  EXEC_FAILS(c2, "INSERT INTO p VALUES (1, 'dup')", "23505");
  /* a read-only connection shares it and cannot write; a read-write one
  ** cannot share a database the process opened read-only */
  ro = openPath(path, 5000, 1);
  CHECK(ro != NULL);
  if (ro) {
    CHECK_STR(sqlRows(ro, "SELECT count(*) FROM r"), "5");
    EXEC_FAILS(ro, "INSERT INTO r VALUES (6)", "25006");
    tdb_close(ro);
  }
  /* ":memory:" is private to its connection */
  m1 = openPath(":memory:", 5000, 0);
  m2 = openPath(":memory:", 5000, 0);
  CHECK(m1 && m2);
  if (m1 && m2) {
    EXEC_OK(m1, "CREATE TABLE only_m1 (a INT)");
    CHECK_STR(sqlRows(m2, "SELECT * FROM only_m1"), "ERROR 42P01");
  }
  tdb_close(m1);
  tdb_close(m2);
done:
  tdb_close(c1);
  tdb_close(c2);
}

static void testReadOnlyFirst(void) {
  char path[128];
  tdb *rw = NULL, *ro;
  int rc;
  snprintf(path, sizeof path, "%s/share.tdb", gTmp); /* made by testSharing */
  ro = openPath(path, 5000, 1);
  CHECK(ro != NULL);
  if (!ro) return;
  rc = tdb_open(path, NULL, &rw);
  CHECK_EQ(rc, TDB_BUSY);
  if (rw) CHECK_CONTAINS(tdb_errmsg(rw), "read-only");
  tdb_close(rw);
  tdb_close(ro);
}

int main(void) {
  snprintf(gTmp, sizeof gTmp, "/tmp/tdb-conc-XXXXXX");
  if (!mkdtemp(gTmp)) {
    printf("cannot create a temporary directory\n0 passed, 1 failed\n");
    return 1;
  }
  tdbWatchdogArm(120, "test_concurrency");
  TEST_RUN(testConflict);
  TEST_RUN(testSharing);
  TEST_RUN(testReadOnlyFirst);
  TEST_RUN(testSecondProcess);
  TEST_RUN(testTransfers);
  {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", gTmp);
    if (system(cmd) != 0) printf("# could not remove %s\n", gTmp);
  }
  return tdbTestFinish();
}
