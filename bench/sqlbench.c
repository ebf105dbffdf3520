/*
** sqlbench.c — the SQL benchmark: the same SQL workloads on TensorDB and on
** SQLite, same machine, same run, same durability, one table of results.
**
**   sqlbench [--rows N] [--ops N] [--insert-rows N] [--sync-rows N] [--scans N]
**            [--sync off|full] [--dir DIR] [--engines tensordb,sqlite]
**            [--load auto|txn|multirow] [--load-batch N] [--cache-mb N]
**            [--max-secs S] [--timeout S] [--sqlite-locking exclusive|normal]
**            [--seed S] [--md] [--md-file PATH] [--note TEXT]
**            [--phases read,insert,insert-full,olap,temporal]
**
** The table, for both engines:
**   CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)
**   CREATE INDEX t_k ON t(k)
** Row id (1..N) has k = splitmix64(seed, id) mod max(1, N/4) (so about 4 rows
** per k value) and v = 100 letters cut from a fixed random buffer at an offset
** given by id. Every random order or argument comes from splitmix64 with a
** fixed seed (--seed), identical for both engines.
**
** Workloads (every statement prepared once, parameters bound per op):
**  1  INSERT INTO t(id, k, v) VALUES (?, ?, ?): one row per statement, each
**     its own autocommit transaction, ids 1..M in random order into a fresh
**     table that has the index on k; M = --insert-rows (default --rows), in
**     the --sync mode. With --sync off it runs once more with full sync
**     (--sync-rows rows, default 10000; 0 skips it). µs/insert.
**  load  --rows rows for 2-5, in random order, in INSERT ... VALUES statements
**     of 1000 rows (--load-batch; 3000 bound parameters) in a fresh table
**     with the index;
**     with --load txn all of them inside one BEGIN ... COMMIT, with multirow
**     each statement is its own autocommit transaction. auto (the default)
**     is txn when TensorDB accepts BEGIN/COMMIT, else multirow, and always
**     the same for both engines. Then the settle step (timed apart):
**     TensorDB tdb_flush + tdb_compact, SQLite PRAGMA wal_checkpoint(TRUNCATE).
**  2  SELECT k, v FROM t WHERE id = ?               random present ids, µs/op
**  3  SELECT id, k, v FROM t WHERE id BETWEEN ? AND ? + 99
**                                                   100 rows, random start, µs/op
**  4  SELECT id, v FROM t WHERE k = ?               random k, ~4 rows, µs/op
**  5  SELECT count(*), sum(k) FROM t WHERE k % 10 = 3
**                                                   full scan, mean of --scans, ms/op
**  6-9  the analytical workloads of issue 5 (target: TensorDB at least 3x
**     SQLite), in bench/sqlbench_olap.c (included below; its top comment has
**     the schema and the SQL): on a fact table f of N rows, a dimension d of
**     N/100 rows and a third table c of N/1000 rows (1M x 10k x 1k at the
**     default), loaded in id order with the same multi-row INSERTs (each
**     table in one transaction when the load is), settled, then ANALYZEd:
**       6  hash join f JOIN d, aggregated by d.g
**       7  GROUP BY over f into N/1000 groups: count, sum, avg
**       8  running sum(v) OVER (PARTITION BY g ORDER BY id) over all N rows,
**          folded into count, sum and max of the running sums
**       9  f JOIN d JOIN c with filters on f and c, aggregated by c.region
**     each the mean of --scans runs (ms/op), every run's rows checked against
**     sums computed from the generator; the report prints both engines'
**     plans (TensorDB EXPLAIN, SQLite EXPLAIN QUERY PLAN) under the table.
**  a-d  the temporal workloads of issue 6, in bench/sqlbench_temporal.c
**     (included below; its top comment has the tables and the SQL), in the
**     "temporal" phase, which only --phases temporal runs and which has a
**     table of its own: point lookups and a full-scan aggregate on a table
**     with 20 versions per row against one with 1, AS OF point lookups at
**     random past epochs, history-keeping UPDATEs against SQLite with a
**     trigger-maintained history table, SHOW DRIFT of a 100-version key.
** Ops per workload 2-4: --ops (default 100000). Every result row is read
** (integers with column_int64, text with column_text + column_bytes) and
** checked against the generator: a wrong answer is reported as such and gets
** no ratio. A workload stops early after --max-secs seconds (default 120)
** and says so; the per-op figure is then over the ops it did.
**
** Durability (the same for both engines):
**   off   TensorDB TDB_SYNC_OFF; SQLite synchronous=OFF
**   full  TensorDB TDB_SYNC_FULL (a commit returns once it is on disk);
**         SQLite synchronous=FULL (the WAL is fsynced at every commit)
** SQLite: journal_mode=WAL, page_size=4096, cache_size=-(cache-mb*1024),
** temp_store=MEMORY, locking_mode=EXCLUSIVE (one process owns the database,
** which is TensorDB's model: its flock admits one process; with NORMAL,
** SQLite's default, every autocommit statement also pays file-lock system
** calls, several µs on a small VM: --sqlite-locking normal); text bound with
** SQLITE_STATIC. TensorDB:
** tdb_config_default() with block_cache_bytes = cache-mb MiB (default 256 MiB
** for both) and the sync mode; its API copies bound text.
**
** Every engine x phase (read: load + 2-5; insert: 1; insert-full: 1f; olap:
** load + 6-9; temporal: a-d; --phases picks some, default all but temporal) runs
** in its own child process on a fresh directory under --dir (default: a new
** build/bench/sql.XXXXXX, removed afterwards), so a crash or a hang (--timeout,
** default 1800 s per child) of one engine still leaves a table: a failing
** statement shows as "n/a (error: <tdb_errmsg>)", a crash as "n/a (crashed:
** <signal>)" and the workloads after it as "n/a (not run: ...)". If CREATE
** INDEX fails, everything but workload 4 still runs and the write figures are
** marked "without the index on k" (no ratio). With --dir, the databases go
** in subdirectories of DIR (removed afterwards; DIR stays). The table goes to
** stdout (markdown); --md also writes it to bench/results/sql-YYYY-MM-DD.md
** (sql-YYYY-MM-DD-<N>rows.md when --rows is not 1000000, and -olap.md or
** -partial.md after it when --phases runs only olap or another subset;
** temporal-YYYY-MM-DD[-<N>rows].md for --phases temporal alone;
** relative to the working directory), --md-file PATH to PATH.
**
** Build (bench/run.sh --sql does this):
**   cc -std=c11 -O2 -Wall -Wextra -Iamalgamation bench/sqlbench.c \
**      build/libtensordb.a -llz4 -lsqlite3 -lpthread -lm -o build/bench/sqlbench
** or with -DSQLBENCH_NO_TENSORDB for SQLite alone.
*/
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#ifndef SQLBENCH_NO_TENSORDB
#include "tensordb.h"
#endif

#define VLEN 100                /* bytes of v */
#define LBUF (1u << 20)         /* the letters v is cut from */
#define RANGE_ROWS 100
#define K_DIV 4                 /* about K_DIV rows per k value */
#define MSG_LEN 300

/* ---- options ----------------------------------------------------------------- */

static struct {
  uint64_t rows, ops, insert_rows, sync_rows, scans, seed, load_batch;
  int sync_full;
  int load_txn; /* -1 auto, 0 multirow, 1 txn */
  int engines;  /* bit mask of E_* */
  uint64_t cache_mb;
  double max_secs;
  unsigned timeout;
  const char *dir;
  int sqlite_exclusive; /* PRAGMA locking_mode=EXCLUSIVE (TensorDB's model) */
  int md;
  const char *md_file;
  const char *note;
  int phases; /* bit mask of P_*; 0 (the default) is all of them */
} opt = {1000000, 100000, UINT64_MAX, 10000, 5, 0x5eed5eedull, 1000, 0, -1, 3, 256, 120.0, 1800,
         NULL, 1, 0, NULL, NULL, 0};

/* snprintf into a fixed buffer, truncating silently (paths and messages). */
static void setf(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void setf(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  if (cap == 0) return;
  va_start(ap, fmt);
  vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
}

/* ---- deterministic data --------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t mix(uint64_t x) {
  uint64_t s = x;
  return splitmix64(&s);
}

static char *letters; /* LBUF random letters a-z A-Z 0-9 */
static uint64_t kmax; /* k is in [0, kmax) */

static void make_letters(void) {
  static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  uint64_t s = opt.seed ^ 0x6c6574746572730aull;
  letters = malloc(LBUF);
  if (!letters) { fprintf(stderr, "sqlbench: out of memory\n"); exit(2); }
  for (size_t i = 0; i < LBUF; i++) letters[i] = al[splitmix64(&s) % (sizeof al - 1)];
}

static int64_t k_of(uint64_t id) { return (int64_t)(mix(opt.seed ^ (id * 0x2545F4914F6CDD1Dull)) % kmax); }
static const char *v_of(uint64_t id) { return letters + mix(opt.seed + id * 7919) % (LBUF - VLEN); }

/* A random permutation of 1..n (Fisher-Yates). */
static uint32_t *permutation(uint64_t n, uint64_t seed) {
  uint32_t *p = malloc((n ? n : 1) * sizeof *p);
  uint64_t s = seed;
  if (!p) { fprintf(stderr, "sqlbench: out of memory\n"); exit(2); }
  for (uint64_t i = 0; i < n; i++) p[i] = (uint32_t)(i + 1);
  for (uint64_t i = n; i > 1; i--) {
    uint64_t j = splitmix64(&s) % i;
    uint32_t t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
  }
  return p;
}

/* n random values in [lo, lo + span). */
static uint64_t *random_args(uint64_t n, uint64_t lo, uint64_t span, uint64_t seed) {
  uint64_t *a = malloc((n ? n : 1) * sizeof *a);
  uint64_t s = seed;
  if (!a) { fprintf(stderr, "sqlbench: out of memory\n"); exit(2); }
  for (uint64_t i = 0; i < n; i++) a[i] = lo + splitmix64(&s) % (span ? span : 1);
  return a;
}

/* ---- measurement ----------------------------------------------------------------- */

static double now_secs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long long dir_total;
static int du_cb(const char *p, const struct stat *st, int flag, struct FTW *f) {
  (void)p; (void)f;
  if (flag == FTW_F) dir_total += (unsigned long long)st->st_size;
  return 0;
}
static unsigned long long dir_bytes(const char *path) {
  dir_total = 0;
  nftw(path, du_cb, 16, FTW_PHYS);
  return dir_total;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f) {
  (void)st; (void)flag; (void)f;
  return remove(p);
}
static void rm_rf(const char *path) { nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

/* ---- the engine interface ----------------------------------------------------------
** Both engines behind the same few calls, so every workload is written once and
** runs the same SQL text with the same bindings on both. */

enum { E_TDB = 0, E_SQLITE = 1, N_ENG = 2 };
static const char *const eng_id[N_ENG] = {"tensordb", "sqlite"};

typedef struct eng {
  int which;
  int noindex; /* CREATE INDEX failed: workload 4 cannot run */
  void *db;
  char msg[MSG_LEN];
} eng;
typedef void stmt;

#define STEP_ROW 1
#define STEP_DONE 0
#define STEP_ERR (-1)

static void eng_err(eng *e, const char *what) {
  char m[MSG_LEN - 40];
  m[0] = 0;
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB && e->db) setf(m, sizeof m, "%s %s", tdb_sqlstate(e->db), tdb_errmsg(e->db));
#endif
  if (e->which == E_SQLITE && e->db) setf(m, sizeof m, "%s", sqlite3_errmsg(e->db));
  setf(e->msg, sizeof e->msg, "%s: %s", what, m[0] ? m : "error");
}

static int eng_open(eng *e, const char *path, int sync_full) {
  if (e->which == E_TDB) {
#ifndef SQLBENCH_NO_TENSORDB
    tdb_config cfg;
    tdb *db = NULL;
    int rc;
    tdb_config_default(&cfg);
    cfg.sync_mode = sync_full ? TDB_SYNC_FULL : TDB_SYNC_OFF;
    cfg.block_cache_bytes = (size_t)opt.cache_mb << 20;
    rc = tdb_open(path, &cfg, &db);
    if (rc != TDB_OK) {
      setf(e->msg, sizeof e->msg, "tdb_open %s: %s %s", path, tdb_errstr(rc), db ? tdb_errmsg(db) : "");
      tdb_close(db);
      return -1;
    }
    e->db = db;
    return 0;
#else
    (void)path; (void)sync_full;
    setf(e->msg, sizeof e->msg, "built without TensorDB");
    return -1;
#endif
  }
  {
    sqlite3 *db = NULL;
    char setup[512], *err = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
      setf(e->msg, sizeof e->msg, "sqlite3_open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
      sqlite3_close(db);
      return -1;
    }
    e->db = db;
    snprintf(setup, sizeof setup,
             "PRAGMA locking_mode=%s; PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
             "PRAGMA synchronous=%s; PRAGMA cache_size=-%llu; PRAGMA temp_store=MEMORY;",
             opt.sqlite_exclusive ? "EXCLUSIVE" : "NORMAL", sync_full ? "FULL" : "OFF",
             (unsigned long long)opt.cache_mb * 1024);
    if (sqlite3_exec(db, setup, NULL, NULL, &err) != SQLITE_OK) {
      setf(e->msg, sizeof e->msg, "pragmas: %s", err ? err : "error");
      sqlite3_free(err);
      return -1;
    }
    return 0;
  }
}

static void eng_close(eng *e) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) tdb_close(e->db);
#endif
  if (e->which == E_SQLITE) sqlite3_close(e->db);
  e->db = NULL;
}

static int eng_exec(eng *e, const char *sql) {
  char what[40];
  setf(what, sizeof what, "%.*s", (int)(strlen(sql) > 24 ? 24 : strlen(sql)), sql);
  if (strlen(sql) > 24) strcat(what, "...");
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) {
    if (tdb_exec(e->db, sql, NULL, NULL) == TDB_OK) return 0;
    eng_err(e, what);
    return -1;
  }
#endif
  if (sqlite3_exec(e->db, sql, NULL, NULL, NULL) == SQLITE_OK) return 0;
  eng_err(e, what);
  return -1;
}

static stmt *eng_prepare(eng *e, const char *sql) {
  char what[120];
  setf(what, sizeof what, "prepare %.48s%s", sql, strlen(sql) > 48 ? "..." : "");
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) {
    tdb_stmt *st = NULL;
    if (tdb_prepare(e->db, sql, -1, &st, NULL) == TDB_OK && st) return st;
    eng_err(e, what);
    return NULL;
  }
#endif
  {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK && st) return st;
    eng_err(e, what);
    return NULL;
  }
}

static void eng_finalize(eng *e, stmt *st) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) { tdb_finalize(st); return; }
#endif
  (void)e;
  sqlite3_finalize(st);
}

static int bind_int(eng *e, stmt *st, int i, int64_t v) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) return tdb_bind_int64(st, i, v) == TDB_OK ? 0 : -1;
#endif
  (void)e;
  return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? 0 : -1;
}

static int bind_text(eng *e, stmt *st, int i, const char *s, int n) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) return tdb_bind_text(st, i, s, n) == TDB_OK ? 0 : -1;
#endif
  (void)e;
  return sqlite3_bind_text(st, i, s, n, SQLITE_STATIC) == SQLITE_OK ? 0 : -1;
}

static int step(eng *e, stmt *st) {
  int rc;
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) {
    rc = tdb_step(st);
    return rc == TDB_ROW ? STEP_ROW : rc == TDB_DONE ? STEP_DONE : STEP_ERR;
  }
#endif
  (void)e;
  rc = sqlite3_step(st);
  return rc == SQLITE_ROW ? STEP_ROW : rc == SQLITE_DONE ? STEP_DONE : STEP_ERR;
}

static int reset(eng *e, stmt *st) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) return tdb_reset(st) == TDB_OK ? 0 : -1;
#endif
  (void)e;
  return sqlite3_reset(st) == SQLITE_OK ? 0 : -1;
}

static int64_t col_int(eng *e, stmt *st, int i) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) return tdb_column_int64(st, i);
#endif
  (void)e;
  return sqlite3_column_int64(st, i);
}

static double col_double(eng *e, stmt *st, int i) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) return tdb_column_double(st, i);
#endif
  (void)e;
  return sqlite3_column_double(st, i);
}

/* Column i as text (NULL for SQL NULL), valid until the next step/reset. */
static const char *col_text(eng *e, stmt *st, int i) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) return tdb_column_text(st, i);
#endif
  (void)e;
  return (const char *)sqlite3_column_text(st, i);
}

/* The text of column i: its first byte (0 if none) plus its length. */
static int64_t col_text_sig(eng *e, stmt *st, int i) {
  const unsigned char *t;
  int n;
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) {
    t = (const unsigned char *)tdb_column_text(st, i);
    n = tdb_column_bytes(st, i);
    return (t && n > 0 ? t[0] : 0) + (int64_t)n;
  }
#endif
  (void)e;
  t = sqlite3_column_text(st, i);
  n = sqlite3_column_bytes(st, i);
  return (t && n > 0 ? t[0] : 0) + (int64_t)n;
}
static int64_t v_sig(uint64_t id) { return (unsigned char)v_of(id)[0] + VLEN; }

static int eng_settle(eng *e) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) {
    int rc = tdb_flush(e->db);
    if (rc == TDB_OK) rc = tdb_compact(e->db);
    if (rc == TDB_OK) return 0;
    eng_err(e, "tdb_flush/tdb_compact");
    return -1;
  }
#endif
  return eng_exec(e, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* ---- results, passed from the child to the parent over a pipe ---------------------- */

enum { W_INSERT, W_INSERT_FULL, W_LOAD, W_SETTLE, W_POINT, W_RANGE, W_SECONDARY, W_AGG,
       W_DISK, W_RSS_READ, W_RSS_INSERT, W_NOINDEX,
       /* issue 5, sqlbench_olap.c; W_PLAN records carry a line of a plan */
       W_OLAP_LOAD, W_OLAP_SETTLE, W_OLAP_ANALYZE, W_JOIN, W_GROUP, W_WINDOW, W_JOIN3, W_OLAP_DISK,
       W_RSS_OLAP, W_PLAN,
       /* issue 6, sqlbench_temporal.c */
       W_T_LOAD, W_T_VERSIONS, W_T_SETTLE, W_T_DISK, W_T_POINT1, W_T_POINT20, W_T_SCAN1, W_T_SCAN20,
       W_T_ASOF, W_T_DRIFT, W_T_DRIFT2, W_T_HIST_OFF, W_T_HIST_FULL, W_RSS_TEMPORAL, N_W };
enum { ST_NONE = 0, ST_OK, ST_ERR, ST_WRONG, ST_CRASH, ST_SKIP };

static const char *const w_short[N_W] = {"insert", "insert (sync full)", "load", "settle", "point",
                                         "range", "secondary", "aggregate", "disk", "rss", "rss", "index",
                                         "olap load", "olap settle", "ANALYZE", "hash join",
                                         "GROUP BY", "window", "3-table join", "disk", "rss", "plan",
                                         "temporal load", "UPDATE rounds", "temporal settle", "disk",
                                         "point 1v", "point 20v", "scan 1v", "scan 20v", "AS OF",
                                         "SHOW DRIFT", "SHOW DRIFT (split)", "history UPDATE", "history UPDATE (sync full)",
                                         "rss"};

typedef struct rec {
  int eng, w, status, capped;
  uint64_t ops;   /* operations timed */
  double secs;    /* their total time */
  double value;   /* W_DISK bytes, W_RSS_* KiB */
  char msg[MSG_LEN];
} rec;

static rec results[N_ENG][N_W];
static int out_fd = -1;         /* child: the pipe */
static const char *current = ""; /* child: the workload under way, for stderr */

static void emit(const rec *r) {
  ssize_t n = write(out_fd, r, sizeof *r);
  (void)n;
}

static void emit_ok(eng *e, int w, uint64_t ops, double secs, int capped) {
  rec r;
  memset(&r, 0, sizeof r);
  r.eng = e->which; r.w = w; r.status = ST_OK; r.ops = ops; r.secs = secs; r.capped = capped;
  emit(&r);
}

static void emit_value(eng *e, int w, double value) {
  rec r;
  memset(&r, 0, sizeof r);
  r.eng = e->which; r.w = w; r.status = ST_OK; r.value = value;
  emit(&r);
}

static void emit_fail(eng *e, int w, int status, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void emit_fail(eng *e, int w, int status, const char *fmt, ...) {
  rec r;
  va_list ap;
  memset(&r, 0, sizeof r);
  r.eng = e->which; r.w = w; r.status = status;
  va_start(ap, fmt);
  vsnprintf(r.msg, sizeof r.msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "[sqlbench] %s %s: %s\n", eng_id[e->which], current, r.msg);
  emit(&r);
}

static void progress(eng *e, const char *what, uint64_t ops, double secs, const char *unit, double per) {
  fprintf(stderr, "[sqlbench] %-8s %-10s %9llu ops %8.2f s  %.3f %s\n", eng_id[e->which], what,
          (unsigned long long)ops, secs, per, unit);
}

/* ---- workloads (run in the child) ---------------------------------------------------- */

static const char *const ddl_table = "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)";
static const char *const ddl_index = "CREATE INDEX t_k ON t(k)";

/* The table and its index. Returns 0, or -1 when the table cannot be made. An
** engine without CREATE INDEX still runs everything but workload 4, and the
** report marks its write figures as made without the index. */
static int create_schema(eng *e, int w) {
  if (eng_exec(e, ddl_table) != 0) {
    emit_fail(e, w, ST_ERR, "%s", e->msg);
    return -1;
  }
  if (eng_exec(e, ddl_index) != 0) {
    rec r;
    memset(&r, 0, sizeof r);
    r.eng = e->which; r.w = W_NOINDEX; r.status = ST_ERR;
    setf(r.msg, sizeof r.msg, "%s", e->msg);
    fprintf(stderr, "[sqlbench] %s: %s; going on without the index on k\n", eng_id[e->which], e->msg);
    emit(&r);
    e->noindex = 1;
  }
  return 0;
}

static int capped_now(uint64_t i, double t0) {
  return (i & 15) == 15 && now_secs() - t0 > opt.max_secs;
}

/* Workload 1: n single-row autocommit INSERTs, ids 1..n in random order. */
static void w_insert(eng *e, int w, uint64_t n) {
  stmt *st;
  uint32_t *ids;
  uint64_t i;
  double t0, secs;
  int capped = 0;
  current = w == W_INSERT ? "insert" : "insert-full";
  if (create_schema(e, w) != 0) return;
  st = eng_prepare(e, "INSERT INTO t(id, k, v) VALUES (?, ?, ?)");
  if (!st) { emit_fail(e, w, ST_ERR, "%s", e->msg); return; }
  ids = permutation(n, opt.seed ^ 0x696e73657274ull);
  t0 = now_secs();
  for (i = 0; i < n; i++) {
    uint64_t id = ids[i];
    if (bind_int(e, st, 1, (int64_t)id) || bind_int(e, st, 2, k_of(id)) ||
        bind_text(e, st, 3, v_of(id), VLEN)) {
      eng_err(e, "bind");
      goto fail;
    }
    if (step(e, st) != STEP_DONE) { eng_err(e, "INSERT"); goto fail; }
    if (reset(e, st) != 0) { eng_err(e, "reset"); goto fail; }
    if (capped_now(i, t0)) { capped = 1; i++; break; }
  }
  secs = now_secs() - t0;
  free(ids);
  eng_finalize(e, st);
  progress(e, current, i, secs, "us/insert", secs * 1e6 / (double)(i ? i : 1));
  emit_ok(e, w, i, secs, capped);
  return;
fail:
  free(ids);
  emit_fail(e, w, ST_ERR, "%s (row %llu of %llu)", e->msg, (unsigned long long)i + 1,
            (unsigned long long)n);
  eng_finalize(e, st);
}

/* Binds the ncols values of row id at parameters first, first+1, ... of st. */
typedef int (*bind_row_fn)(eng *e, stmt *st, int first, uint64_t id);

/* Inserts n rows into `table(cols)` (ncols columns) with multi-row INSERT ...
** VALUES statements of up to `batch` rows (one prepared statement for the full
** batches, one for the remainder); row j has id ids[j], or j + 1 when ids is
** NULL; bind fills in its values. With txn, all of them inside one BEGIN ...
** COMMIT. Returns 0, or -1 with e->msg set and *done = the rows inserted
** before the failing statement. */
static int insert_rows(eng *e, const char *table, const char *cols, int ncols, uint64_t n, const uint32_t *ids,
                       bind_row_fn bind, uint64_t batch, int txn, uint64_t *done) {
  size_t cap = 64 + strlen(table) + strlen(cols) + (size_t)batch * (size_t)(4 + 3 * ncols);
  char *sql = malloc(cap);
  stmt *full = NULL, *st = NULL;
  uint64_t i = 0;
  if (!sql) { fprintf(stderr, "sqlbench: out of memory\n"); exit(2); }
  if (txn && eng_exec(e, "BEGIN") != 0) goto fail;
  while (i < n) {
    uint64_t m = n - i < batch ? n - i : batch, j;
    st = m == batch ? full : NULL;
    if (!st) {
      size_t len = (size_t)snprintf(sql, cap, "INSERT INTO %s(%s) VALUES ", table, cols);
      for (j = 0; j < m; j++) {
        len += (size_t)snprintf(sql + len, cap - len, "%s(?", j ? ", " : "");
        for (int c = 1; c < ncols; c++) len += (size_t)snprintf(sql + len, cap - len, ", ?");
        len += (size_t)snprintf(sql + len, cap - len, ")");
      }
      st = eng_prepare(e, sql);
      if (!st) goto fail;
      if (m == batch) full = st;
    }
    for (j = 0; j < m; j++) {
      if (bind(e, st, (int)((uint64_t)ncols * j + 1), ids ? ids[i + j] : i + j + 1) != 0) {
        eng_err(e, "bind");
        goto fail;
      }
    }
    if (step(e, st) != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, "multi-row INSERT");
      goto fail;
    }
    if (st != full) eng_finalize(e, st);
    st = NULL;
    i += m;
  }
  if (txn && eng_exec(e, "COMMIT") != 0) goto fail;
  eng_finalize(e, full);
  free(sql);
  *done = n;
  return 0;
fail:
  if (st && st != full) eng_finalize(e, st);
  eng_finalize(e, full);
  free(sql);
  *done = i;
  return -1;
}

static int bind_t_row(eng *e, stmt *st, int first, uint64_t id) {
  return bind_int(e, st, first, (int64_t)id) || bind_int(e, st, first + 1, k_of(id)) ||
                 bind_text(e, st, first + 2, v_of(id), VLEN)
             ? -1
             : 0;
}

/* The load: rows in random order, --load-batch rows per INSERT, optionally in one
** transaction. Returns 0 when the table is complete. */
static int w_load(eng *e, int txn) {
  uint32_t *ids;
  uint64_t done = 0, n = opt.rows;
  double t0, secs;
  current = "load";
  if (create_schema(e, W_LOAD) != 0) return -1;
  ids = permutation(n, opt.seed ^ 0x6c6f6164ull);
  t0 = now_secs();
  if (insert_rows(e, "t", "id, k, v", 3, n, ids, bind_t_row, opt.load_batch, txn, &done) != 0) {
    emit_fail(e, W_LOAD, ST_ERR, "%s (at row %llu of %llu)", e->msg, (unsigned long long)done,
              (unsigned long long)n);
    free(ids);
    return -1;
  }
  secs = now_secs() - t0;
  free(ids);
  progress(e, "load", n, secs, "us/row", secs * 1e6 / (double)(n ? n : 1));
  emit_ok(e, W_LOAD, n, secs, 0);
  current = "settle";
  t0 = now_secs();
  if (eng_settle(e) != 0) {
    emit_fail(e, W_SETTLE, ST_ERR, "%s", e->msg);
    return 0; /* the table is there; the reads can still run */
  }
  emit_ok(e, W_SETTLE, 1, now_secs() - t0, 0);
  return 0;
}

/* Workloads 2-4: ops executions of one SELECT with 1 or 2 bound integers, every
** row read; then the rows and a checksum compared with the generator. */
enum { Q_POINT, Q_RANGE, Q_SECONDARY };

static void w_select(eng *e, int kind) {
  static const char *const sqls[] = {
      "SELECT k, v FROM t WHERE id = ?",
      "SELECT id, k, v FROM t WHERE id BETWEEN ? AND ? + 99",
      "SELECT id, v FROM t WHERE k = ?",
  };
  static const int ws[] = {W_POINT, W_RANGE, W_SECONDARY};
  static const char *const names[] = {"point", "range", "secondary"};
  int w = ws[kind];
  uint64_t n = opt.ops, i, rows = 0, want_rows = 0;
  int64_t chk = 0, want = 0;
  uint64_t *args;
  stmt *st;
  double t0, secs;
  int capped = 0, rc = STEP_DONE;
  current = names[kind];
  if (kind == Q_SECONDARY && e->noindex) {
    emit_fail(e, w, ST_SKIP, "no index on k");
    return;
  }
  st = eng_prepare(e, sqls[kind]);
  if (!st) { emit_fail(e, w, ST_ERR, "%s", e->msg); return; }
  if (kind == Q_POINT) args = random_args(n, 1, opt.rows, opt.seed ^ 0x706f696e74ull);
  else if (kind == Q_RANGE)
    args = random_args(n, 1, opt.rows > RANGE_ROWS ? opt.rows - RANGE_ROWS + 1 : 1, opt.seed ^ 0x72616e6765ull);
  else args = random_args(n, 0, kmax, opt.seed ^ 0x6b6579ull);
  t0 = now_secs();
  for (i = 0; i < n; i++) {
    if (bind_int(e, st, 1, (int64_t)args[i]) || (kind == Q_RANGE && bind_int(e, st, 2, (int64_t)args[i]))) {
      eng_err(e, "bind");
      goto fail;
    }
    while ((rc = step(e, st)) == STEP_ROW) {
      rows++;
      if (kind == Q_POINT) chk += col_int(e, st, 0) + col_text_sig(e, st, 1);
      else if (kind == Q_RANGE) chk += col_int(e, st, 0) + col_int(e, st, 1) + col_text_sig(e, st, 2);
      else chk += col_int(e, st, 0) + col_text_sig(e, st, 1);
    }
    if (rc != STEP_DONE) { eng_err(e, sqls[kind]); goto fail; }
    if (reset(e, st) != 0) { eng_err(e, "reset"); goto fail; }
    if (capped_now(i, t0)) { capped = 1; i++; break; }
  }
  secs = now_secs() - t0;
  n = i;
  eng_finalize(e, st);
  /* what the answers should have been */
  if (kind == Q_SECONDARY) {
    uint64_t *cnt = calloc(kmax, sizeof *cnt);
    int64_t *sum = calloc(kmax, sizeof *sum);
    if (!cnt || !sum) { fprintf(stderr, "sqlbench: out of memory\n"); exit(2); }
    for (uint64_t id = 1; id <= opt.rows; id++) {
      int64_t k = k_of(id);
      cnt[k]++;
      sum[k] += (int64_t)id + v_sig(id);
    }
    for (i = 0; i < n; i++) { want_rows += cnt[args[i]]; want += sum[args[i]]; }
    free(cnt);
    free(sum);
  } else {
    for (i = 0; i < n; i++) {
      uint64_t a = args[i], b = kind == Q_POINT ? a : a + RANGE_ROWS - 1;
      for (uint64_t id = a; id <= b && id <= opt.rows; id++) {
        want_rows++;
        want += (kind == Q_RANGE ? (int64_t)id : 0) + k_of(id) + v_sig(id);
      }
    }
  }
  free(args);
  if (rows != want_rows || chk != want) {
    emit_fail(e, w, ST_WRONG, "wrong result: %llu rows (expected %llu), checksum %s", (unsigned long long)rows,
              (unsigned long long)want_rows, chk == want ? "ok" : "differs");
    return;
  }
  progress(e, names[kind], n, secs, "us/op", secs * 1e6 / (double)(n ? n : 1));
  emit_ok(e, w, n, secs, capped);
  return;
fail:
  emit_fail(e, w, ST_ERR, "%s", e->msg);
  free(args);
  eng_finalize(e, st);
}

/* Workload 5: the full-scan aggregate, --scans times. */
static void w_agg(eng *e) {
  const char *sql = "SELECT count(*), sum(k) FROM t WHERE k % 10 = 3";
  int64_t want_n = 0, want_s = 0, got_n = -1, got_s = -1;
  uint64_t i, rows;
  stmt *st;
  double t0, secs;
  int rc, capped = 0;
  current = "aggregate";
  for (uint64_t id = 1; id <= opt.rows; id++) {
    int64_t k = k_of(id);
    if (k % 10 == 3) { want_n++; want_s += k; }
  }
  st = eng_prepare(e, sql);
  if (!st) { emit_fail(e, W_AGG, ST_ERR, "%s", e->msg); return; }
  t0 = now_secs();
  for (i = 0; i < opt.scans; i++) {
    rows = 0;
    while ((rc = step(e, st)) == STEP_ROW) {
      rows++;
      got_n = col_int(e, st, 0);
      got_s = col_int(e, st, 1);
    }
    if (rc != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, sql);
      emit_fail(e, W_AGG, ST_ERR, "%s", e->msg);
      eng_finalize(e, st);
      return;
    }
    if (rows != 1 || got_n != want_n || got_s != want_s) {
      emit_fail(e, W_AGG, ST_WRONG, "wrong result: %llu rows, count %lld sum %lld (expected %lld, %lld)",
                (unsigned long long)rows, (long long)got_n, (long long)got_s, (long long)want_n,
                (long long)want_s);
      eng_finalize(e, st);
      return;
    }
    if (now_secs() - t0 > opt.max_secs) { capped = i + 1 < opt.scans; i++; break; }
  }
  secs = now_secs() - t0;
  eng_finalize(e, st);
  progress(e, "aggregate", i, secs, "ms/op", secs * 1e3 / (double)(i ? i : 1));
  emit_ok(e, W_AGG, i, secs, capped);
}

/* The phases, each one child process per engine (--phases picks them). */
enum { P_READ, P_INSERT, P_INSERT_FULL, P_OLAP, P_TEMPORAL, N_P };
static const char *const phase_name[N_P] = {"read", "insert", "insert-full", "olap", "temporal"};
/* The phases run without --phases: all but temporal (its own table and file). */
#define DEFAULT_PHASES ((1 << P_TEMPORAL) - 1)

static void row(FILE *f, const char *label, int w, double scale, const char *unit);
static int figure(int which, int w, double scale, const char *unit, char *out, size_t cap, double *val);

#include "sqlbench_olap.c" /* workloads 6-9 (issue 5): hash join, GROUP BY, window, 3-table join */
#include "sqlbench_temporal.c" /* issue 6: temporal overhead, AS OF, history UPDATE, SHOW DRIFT */

static long peak_rss_kb(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  return ru.ru_maxrss;
}

/* The workloads of each phase, in the order they run (-1: none). */
#define PHASE_WS 13
static const int phase_ws[N_P][PHASE_WS] = {
    {W_LOAD, W_SETTLE, W_POINT, W_RANGE, W_SECONDARY, W_AGG, -1, -1, -1, -1, -1, -1, -1},
    {W_INSERT, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
    {W_INSERT_FULL, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1},
    {W_OLAP_LOAD, W_OLAP_SETTLE, W_OLAP_ANALYZE, W_JOIN, W_GROUP, W_WINDOW, W_JOIN3, -1, -1, -1, -1, -1, -1},
    {W_T_LOAD, W_T_VERSIONS, W_T_SETTLE, W_T_POINT1, W_T_POINT20, W_T_SCAN1, W_T_SCAN20, W_T_ASOF,
     W_T_DRIFT, W_T_DRIFT2, W_T_HIST_OFF, W_T_HIST_FULL, -1},
};

static void run_phase(int which, int phase, const char *dir, int txn) {
  eng e;
  char path[4096];
  int sync_full = phase == P_INSERT_FULL ? 1 : opt.sync_full;
  memset(&e, 0, sizeof e);
  e.which = which;
  const int first_w = phase_ws[phase][0];
  current = phase_name[phase];
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    setf(e.msg, sizeof e.msg, "mkdir %s: %s", dir, strerror(errno));
    emit_fail(&e, first_w, ST_ERR, "%s", e.msg);
    return;
  }
  setf(path, sizeof path, "%s/%s", dir, which == E_TDB ? "db.tdb" : "db.sqlite");
  if (eng_open(&e, path, sync_full) != 0) {
    emit_fail(&e, first_w, ST_ERR, "%s", e.msg);
    eng_close(&e);
    return;
  }
  if (phase == P_TEMPORAL) {
    run_temporal(&e, dir, path, txn);
    emit_value(&e, W_RSS_TEMPORAL, (double)peak_rss_kb());
  } else if (phase == P_OLAP) {
    run_olap(&e, dir, txn);
    emit_value(&e, W_RSS_OLAP, (double)peak_rss_kb());
  } else if (phase == P_READ) {
    if (w_load(&e, txn) == 0) {
      emit_value(&e, W_DISK, (double)dir_bytes(dir));
      w_select(&e, Q_POINT);
      w_select(&e, Q_RANGE);
      w_select(&e, Q_SECONDARY);
      w_agg(&e);
    }
    emit_value(&e, W_RSS_READ, (double)peak_rss_kb());
  } else {
    w_insert(&e, phase == P_INSERT ? W_INSERT : W_INSERT_FULL,
             phase == P_INSERT ? opt.insert_rows : opt.sync_rows);
    if (phase == P_INSERT) emit_value(&e, W_RSS_INSERT, (double)peak_rss_kb());
  }
  eng_close(&e);
}

/* ---- the parent ----------------------------------------------------------------------- */

/* Fork a child for (engine, phase); collect its records; explain a crash. */
static void spawn(int which, int phase, const char *base, int txn) {
  int fds[2], status = 0;
  pid_t pid;
  char dir[4096];
  rec r;
  double t0 = now_secs();
  setf(dir, sizeof dir, "%s/%s-%s", base, phase_name[phase], eng_id[which]);
  rm_rf(dir);
  fflush(stdout);
  fflush(stderr);
  if (pipe(fds) != 0) { perror("pipe"); exit(2); }
  pid = fork();
  if (pid < 0) { perror("fork"); exit(2); }
  if (pid == 0) {
    close(fds[0]);
    out_fd = fds[1];
    alarm(opt.timeout);
    run_phase(which, phase, dir, txn);
    _exit(0);
  }
  close(fds[1]);
  for (;;) {
    ssize_t got = read(fds[0], &r, sizeof r);
    if (got < 0 && errno == EINTR) continue;
    if (got != (ssize_t)sizeof r) break;
    if (r.w == W_PLAN) { olap_collect_plan(&r); continue; }
    if (r.eng >= 0 && r.eng < N_ENG && r.w >= 0 && r.w < N_W) results[r.eng][r.w] = r;
  }
  close(fds[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  {
    /* workloads of the phase without a record: say why they did not run */
    char why[MSG_LEN];
    int crashed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0), first = crashed, died_in = 0;
    why[0] = 0;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
      setf(why, sizeof why, "timeout after %u s", opt.timeout);
    else if (WIFSIGNALED(status))
      setf(why, sizeof why, "crashed: %s", strsignal(WTERMSIG(status)));
    else if (crashed)
      setf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
    if (crashed) fprintf(stderr, "[sqlbench] %s %s: %s\n", eng_id[which], phase_name[phase], why);
    for (int j = 0; j < PHASE_WS; j++) {
      int w = phase_ws[phase][j];
      rec *x;
      if (w < 0) continue;
      x = &results[which][w];
      if (x->status == ST_ERR && !why[0]) setf(why, sizeof why, "%s failed", w_short[w]);
      if (x->status != ST_NONE) continue;
      x->eng = which; x->w = w; x->status = first ? ST_CRASH : ST_SKIP;
      if (first) { setf(x->msg, sizeof x->msg, "%s", why); died_in = w; }
      else if (crashed) setf(x->msg, sizeof x->msg, "%.200s in %s", why, w_short[died_in]);
      else setf(x->msg, sizeof x->msg, "%s", why[0] ? why : "no result");
      first = 0;
    }
  }
  rm_rf(dir);
  fprintf(stderr, "[sqlbench] %s %s phase done in %.1f s\n", eng_id[which], phase_name[phase], now_secs() - t0);
}

/* Does TensorDB run BEGIN ... COMMIT around an INSERT? Probed in a child. */
static int probe_txn(const char *base) {
#ifdef SQLBENCH_NO_TENSORDB
  (void)base;
  return 0;
#else
  int status = 0;
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    eng e;
    char dir[4096], path[4200];
    int ok;
    memset(&e, 0, sizeof e);
    e.which = E_TDB;
    alarm(60);
    setf(dir, sizeof dir, "%s/probe", base);
    rm_rf(dir);
    mkdir(dir, 0755);
    setf(path, sizeof path, "%s/db.tdb", dir);
    ok = eng_open(&e, path, 0) == 0 && eng_exec(&e, ddl_table) == 0 && eng_exec(&e, "BEGIN") == 0 &&
         eng_exec(&e, "INSERT INTO t(id, k, v) VALUES (1, 2, 'x'), (2, 3, 'y')") == 0 &&
         eng_exec(&e, "COMMIT") == 0;
    if (!ok) fprintf(stderr, "[sqlbench] tensordb: no transactions yet (%s)\n", e.msg);
    eng_close(&e);
    rm_rf(dir);
    _exit(ok ? 0 : 1);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
#endif
}

/* ---- the report --------------------------------------------------------------------------- */

/* A message made safe for a table cell. */
static void cell_msg(char *out, size_t cap, const char *m) {
  size_t o = 0;
  for (; *m && o + 4 < cap; m++) {
    char c = *m;
    if (c == '|') { out[o++] = '\\'; out[o++] = '|'; continue; }
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    out[o++] = c;
  }
  if (*m && o + 4 >= cap && cap > 4) { out[cap - 4] = '.'; out[cap - 3] = '.'; out[cap - 2] = '.'; o = cap - 1; }
  out[o] = 0;
}

static void fmt_num(char *out, size_t cap, double x) {
  if (x >= 100) setf(out, cap, "%.0f", x);
  else if (x >= 10) setf(out, cap, "%.1f", x);
  else setf(out, cap, "%.2f", x);
}

/* The workload whose success a side figure (settle, ANALYZE, disk, RSS)
** depends on, or -1 for a workload of its own. */
static int figure_depends_on(int w) {
  switch (w) {
  case W_SETTLE: case W_DISK: case W_RSS_READ: return W_LOAD;
  case W_RSS_INSERT: return W_INSERT;
  case W_OLAP_SETTLE: case W_OLAP_ANALYZE: case W_OLAP_DISK: case W_RSS_OLAP: return W_OLAP_LOAD;
  case W_T_SETTLE: case W_T_DISK: case W_RSS_TEMPORAL: return W_T_LOAD;
  default: return -1;
  }
}
static int figure_is_value(int w) {
  return w == W_DISK || w == W_RSS_READ || w == W_RSS_INSERT || w == W_OLAP_DISK || w == W_RSS_OLAP ||
         w == W_T_DISK || w == W_RSS_TEMPORAL;
}

/* The figure of one cell and whether it is a number (for the ratio). */
static int figure(int which, int w, double scale, const char *unit, char *out, size_t cap, double *val) {
  rec *r = &results[which][w];
  char num[32], m[140];
  int dep = figure_depends_on(w);
#ifdef SQLBENCH_NO_TENSORDB
  if (which == E_TDB) { setf(out, cap, "n/a (sqlbench built without TensorDB)"); return 0; }
#endif
  if (!(opt.engines & (1 << which))) { setf(out, cap, "not run"); return 0; }
  if (dep >= 0 && (r->status == ST_NONE || results[which][dep].status != ST_OK)) {
    setf(out, cap, "—");
    return 0;
  }
  if (r->status == ST_NONE) { setf(out, cap, "n/a (not run)"); return 0; }
  if (r->status != ST_OK && figure_is_value(w)) {
    setf(out, cap, "—");
    return 0;
  }
  if (r->status != ST_OK) {
    static const char *const pre[] = {"", "", "error: ", "", "", "not run: "};
    cell_msg(m, sizeof m, r->msg);
    setf(out, cap, "n/a (%s%s)", pre[r->status], m);
    return 0;
  }
  if (figure_is_value(w)) *val = r->value * scale;
  else if (dep >= 0) *val = r->secs * scale; /* settle, ANALYZE: one timed step */
  else *val = r->secs * scale / (double)(r->ops ? r->ops : 1);
  fmt_num(num, sizeof num, *val);
  if (r->capped)
    setf(out, cap, "%s %s (stopped after %llu ops, %.0f s)", num, unit, (unsigned long long)r->ops, r->secs);
  else
    setf(out, cap, "%s %s", num, unit);
  return 1;
}

static void row(FILE *f, const char *label, int w, double scale, const char *unit) {
  char a[256], b[256], ratio[32] = "";
  double va = 0, vb = 0;
  int oka = figure(E_TDB, w, scale, unit, a, sizeof a, &va);
  int okb = figure(E_SQLITE, w, scale, unit, b, sizeof b, &vb);
  int noidx = oka && results[E_TDB][W_NOINDEX].status == ST_ERR &&
              (w == W_INSERT || w == W_INSERT_FULL || w == W_LOAD || w == W_DISK);
  if (noidx) {
    size_t l = strlen(a);
    setf(a + l, sizeof a - l, " (without the index on k)");
    snprintf(ratio, sizeof ratio, "— (no index)");
  } else if (oka && okb && va > 0) snprintf(ratio, sizeof ratio, "%.2fx", vb / va);
  else snprintf(ratio, sizeof ratio, "—");
  fprintf(f, "| %s | %s | %s | %s |\n", label, a, b, ratio);
}

static void read_file_line(const char *path, const char *key, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  char line[512];
  out[0] = 0;
  if (!f) return;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, strlen(key)) == 0) {
      char *p = strchr(line, ':');
      p = p ? p + 1 : line + strlen(key);
      while (*p == ' ' || *p == '\t') p++;
      p[strcspn(p, "\n")] = 0;
      setf(out, cap, "%s", p);
      break;
    }
  }
  fclose(f);
}

static void report(FILE *f, int txn, const char *fstype, const char *load0, const char *load1, double elapsed) {
  char cpu[256], mem[64], label[256];
  struct utsname u;
  const char *syn = opt.sync_full ? "full" : "off";
  read_file_line("/proc/cpuinfo", "model name", cpu, sizeof cpu);
  read_file_line("/proc/meminfo", "MemTotal", mem, sizeof mem);
  if (mem[0]) setf(mem, sizeof mem, "%.1f GiB", strtod(mem, NULL) / 1048576.0);
  if (uname(&u) != 0) snprintf(u.release, sizeof u.release, "?");
  {
    char date[32];
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
    fprintf(f, "## SQL benchmark, %s\n\n", date);
  }
  fprintf(f, "Machine: %ld cores, %s, %s RAM, Linux %s, %s; load average at start %s, at end %s",
          sysconf(_SC_NPROCESSORS_ONLN), cpu[0] ? cpu : "?", mem[0] ? mem : "?", u.release, fstype, load0,
          load1);
  fprintf(f, "%s.\n", strtod(load0, NULL) > 0.5 || strtod(load1, NULL) > 0.5
                          ? " (above ~0.5: the machine was busy, figures are noisy)" : "");
#ifndef SQLBENCH_NO_TENSORDB
  fprintf(f, "TensorDB %s", tdb_libversion());
#else
  fprintf(f, "TensorDB not built in");
#endif
  fprintf(f, "%s%s; SQLite %s; compiler %s; whole run %.0f s.\n\n", opt.note ? " " : "", opt.note ? opt.note : "",
          sqlite3_libversion(),
#if defined(__clang__)
          "clang " __clang_version__,
#elif defined(__GNUC__)
          "gcc " __VERSION__,
#else
          "?",
#endif
          elapsed);
  if (opt.phases & ((1 << P_READ) | (1 << P_INSERT) | (1 << P_INSERT_FULL))) {
    fprintf(f, "Table `t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)` + `CREATE INDEX t_k ON t(k)`, %llu rows for 2-5;\n"
               "k pseudo-random in [0, %llu) (~%d rows per value), v 100 letters. Fixed seed 0x%llx, the same\n"
               "random orders and arguments for both engines. %llu ops for 2-4, %llu scans for 5.\n",
            (unsigned long long)opt.rows, (unsigned long long)kmax, K_DIV, (unsigned long long)opt.seed,
            (unsigned long long)opt.ops, (unsigned long long)opt.scans);
    fprintf(f, "Load for 2-5: `INSERT ... VALUES` of %llu rows each (%llu bound parameters), in random id order, %s,\n"
               "the same for both engines; then settle (TensorDB flush + compact, SQLite WAL checkpoint).\n",
            (unsigned long long)opt.load_batch, (unsigned long long)opt.load_batch * 3,
            txn ? "all inside one BEGIN ... COMMIT"
            : opt.load_txn < 0 ? "each statement its own autocommit transaction (TensorDB has no BEGIN/COMMIT yet)"
                               : "each statement its own autocommit transaction (--load multirow)");
  }
  if (opt.phases & ~(1 << P_TEMPORAL)) { /* the main table (the temporal one has its own) */
    fprintf(f, "Ratio = SQLite / TensorDB: above 1x TensorDB is faster (or smaller).\n\n");
    fprintf(f, "| workload | TensorDB | SQLite | ratio |\n|---|---:|---:|---:|\n");
  }
  if (opt.phases & (1 << P_INSERT)) {
    setf(label, sizeof label, "1. INSERT one row per statement, autocommit, random ids (%llu rows), sync %s",
         (unsigned long long)opt.insert_rows, syn);
    row(f, label, W_INSERT, 1e6, "µs/insert");
  }
  if ((opt.phases & (1 << P_INSERT_FULL)) && !opt.sync_full && opt.sync_rows > 0) {
    setf(label, sizeof label, "1f. the same, sync full (%llu rows)", (unsigned long long)opt.sync_rows);
    row(f, label, W_INSERT_FULL, 1e6, "µs/insert");
  }
  if (opt.phases & (1 << P_READ)) {
    setf(label, sizeof label, "2. point SELECT by id (`WHERE id = ?`), sync %s", syn);
    row(f, label, W_POINT, 1e6, "µs/op");
    row(f, "3. range SELECT of 100 rows (`WHERE id BETWEEN ? AND ? + 99`)", W_RANGE, 1e6, "µs/op");
    row(f, "4. secondary index lookup (`WHERE k = ?`)", W_SECONDARY, 1e6, "µs/op");
    setf(label, sizeof label, "5. full-scan aggregate `count(*), sum(k) WHERE k %% 10 = 3` (%llu rows)",
         (unsigned long long)opt.rows);
    row(f, label, W_AGG, 1e3, "ms/op");
    setf(label, sizeof label, "load for 2-5 (%llu-row INSERTs%s), sync %s", (unsigned long long)opt.load_batch,
         txn ? ", one transaction" : "", syn);
    row(f, label, W_LOAD, 1e6, "µs/row");
    row(f, "settle after the load", W_SETTLE, 1e3, "ms");
    row(f, "on disk after load + settle", W_DISK, 1.0 / 1048576, "MiB");
    row(f, "peak RSS, load + 2-5", W_RSS_READ, 1.0 / 1024, "MiB");
  }
  if (opt.phases & (1 << P_INSERT)) row(f, "peak RSS, workload 1", W_RSS_INSERT, 1.0 / 1024, "MiB");
  if (opt.phases & (1 << P_OLAP)) olap_report_rows(f);
  if (opt.phases & (1 << P_OLAP)) olap_report_text(f, txn);
  if (opt.phases & (1 << P_TEMPORAL)) temporal_report_rows(f);
  fprintf(f, "\nDurability, the same for both engines in each row: **off** = TensorDB `TDB_SYNC_OFF`, SQLite\n"
             "`synchronous=OFF`; **full** = TensorDB `TDB_SYNC_FULL` (a commit returns once on disk), SQLite\n"
             "`synchronous=FULL` (WAL fsynced at every commit). SQLite: `journal_mode=WAL`, `page_size=4096`,\n"
             "`cache_size=-%llu` (%llu MiB), `temp_store=MEMORY`, `locking_mode=%s`%s, text bound\n"
             "`SQLITE_STATIC`. TensorDB: `tdb_config_default()` with `block_cache_bytes` = %llu MiB. Each\n"
             "engine x phase ran in its own process on a fresh directory; every answer was checked against\n"
             "the data generator. A workload stops after %.0f s (noted in its cell).\n",
          (unsigned long long)opt.cache_mb * 1024, (unsigned long long)opt.cache_mb,
          opt.sqlite_exclusive ? "EXCLUSIVE" : "NORMAL",
          opt.sqlite_exclusive
              ? " (one process owns the database, as TensorDB's\nflock does; SQLite's default NORMAL pays file-lock system calls on every autocommit\nstatement: `--sqlite-locking normal`)"
              : " (SQLite's default: file-lock system calls on every\nautocommit statement, although TensorDB lets only one process open a database)",
          (unsigned long long)opt.cache_mb, opt.max_secs);
  olap_report_plans(f);
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(void) {
  fprintf(stderr,
          "usage: sqlbench [--rows N] [--ops N] [--insert-rows N] [--sync-rows N] [--scans N]\n"
          "                [--sync off|full] [--dir DIR] [--engines tensordb,sqlite]\n"
          "                [--load auto|txn|multirow] [--load-batch N] [--cache-mb N]\n"
          "                [--max-secs S] [--timeout S] [--sqlite-locking exclusive|normal]\n"
          "                [--seed S] [--md] [--md-file PATH] [--note TEXT]\n"
          "                [--phases read,insert,insert-full,olap,temporal]\n");
  exit(2);
}

static uint64_t num_arg(const char *a, const char *v) {
  char *end;
  unsigned long long x;
  if (!v) usage();
  errno = 0;
  x = strtoull(v, &end, 0);
  if (errno || *end || end == v) {
    fprintf(stderr, "sqlbench: %s wants a number, got '%s'\n", a, v);
    exit(2);
  }
  return (uint64_t)x;
}

int main(int argc, char **argv) {
  char base[4096], load0[64] = "?", load1[64] = "?", fstype[64] = "?";
  int own_dir = 0, txn;
  double t0, elapsed;
  struct statfs sf;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--rows") == 0) opt.rows = num_arg(a, v), i++;
    else if (strcmp(a, "--ops") == 0) opt.ops = num_arg(a, v), i++;
    else if (strcmp(a, "--insert-rows") == 0) opt.insert_rows = num_arg(a, v), i++;
    else if (strcmp(a, "--sync-rows") == 0) opt.sync_rows = num_arg(a, v), i++;
    else if (strcmp(a, "--scans") == 0) opt.scans = num_arg(a, v), i++;
    else if (strcmp(a, "--load-batch") == 0) opt.load_batch = num_arg(a, v), i++;
    else if (strcmp(a, "--seed") == 0) opt.seed = num_arg(a, v), i++;
    else if (strcmp(a, "--cache-mb") == 0) opt.cache_mb = num_arg(a, v), i++;
    else if (strcmp(a, "--max-secs") == 0) opt.max_secs = (double)num_arg(a, v), i++;
    else if (strcmp(a, "--timeout") == 0) opt.timeout = (unsigned)num_arg(a, v), i++;
    else if (strcmp(a, "--dir") == 0 && v) opt.dir = v, i++;
    else if (strcmp(a, "--md") == 0) opt.md = 1;
    else if (strcmp(a, "--md-file") == 0 && v) opt.md_file = v, i++;
    else if (strcmp(a, "--note") == 0 && v) opt.note = v, i++;
    else if (strcmp(a, "--sync") == 0 && v) {
      if (strcmp(v, "off") == 0) opt.sync_full = 0;
      else if (strcmp(v, "full") == 0) opt.sync_full = 1;
      else usage();
      i++;
    } else if (strcmp(a, "--sqlite-locking") == 0 && v) {
      if (strcmp(v, "exclusive") == 0) opt.sqlite_exclusive = 1;
      else if (strcmp(v, "normal") == 0) opt.sqlite_exclusive = 0;
      else usage();
      i++;
    } else if (strcmp(a, "--load") == 0 && v) {
      if (strcmp(v, "auto") == 0) opt.load_txn = -1;
      else if (strcmp(v, "txn") == 0) opt.load_txn = 1;
      else if (strcmp(v, "multirow") == 0) opt.load_txn = 0;
      else usage();
      i++;
    } else if (strcmp(a, "--phases") == 0 && v) {
      char list[256], *tok, *save = NULL;
      setf(list, sizeof list, "%s", v);
      opt.phases = 0;
      for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int p = 0;
        while (p < N_P && strcmp(tok, phase_name[p]) != 0) p++;
        if (p == N_P) usage();
        opt.phases |= 1 << p;
      }
      if (!opt.phases) usage();
      i++;
    } else if (strcmp(a, "--engines") == 0 && v) {
      opt.engines = 0;
      if (strstr(v, "tensordb")) opt.engines |= 1 << E_TDB;
      if (strstr(v, "sqlite")) opt.engines |= 1 << E_SQLITE;
      if (!opt.engines) usage();
      i++;
    } else usage();
  }
#ifdef SQLBENCH_NO_TENSORDB
  if (opt.engines & (1 << E_TDB)) fprintf(stderr, "[sqlbench] built without TensorDB: SQLite only\n");
  opt.engines &= ~(1 << E_TDB);
  if (!opt.engines) return 2;
#endif
  if (opt.rows < 1 || opt.rows > UINT32_MAX || opt.scans < 1 || opt.load_batch < 1 || opt.load_batch > 10000) {
    fprintf(stderr, "sqlbench: --rows must be 1..%u, --scans at least 1, --load-batch 1..10000\n", UINT32_MAX);
    return 2;
  }
  if (opt.insert_rows == UINT64_MAX) opt.insert_rows = opt.rows;
  if (opt.insert_rows > UINT32_MAX || opt.sync_rows > UINT32_MAX) return 2;
  if (!opt.phases) opt.phases = DEFAULT_PHASES;
  kmax = opt.rows / K_DIV ? opt.rows / K_DIV : 1;
  olap_init();
  make_letters();

  /* the run directory */
  if (opt.dir) {
    setf(base, sizeof base, "%s", opt.dir);
    if (mkdir(base, 0755) != 0 && errno != EEXIST) {
      fprintf(stderr, "sqlbench: mkdir %s: %s\n", base, strerror(errno));
      return 2;
    }
  } else {
    struct stat st;
    setf(base, sizeof base, "%s", stat("build/bench", &st) == 0 ? "build/bench/sql.XXXXXX" : "sqlbench.XXXXXX");
    if (!mkdtemp(base)) { fprintf(stderr, "sqlbench: mkdtemp %s: %s\n", base, strerror(errno)); return 2; }
    own_dir = 1;
  }
  if (statfs(base, &sf) == 0) {
    if (sf.f_type == 0x01021994) setf(fstype, sizeof fstype, "tmpfs (sync figures mean nothing there)");
    else if (sf.f_type == 0xEF53) setf(fstype, sizeof fstype, "ext4");
    else if (sf.f_type == 0x58465342) setf(fstype, sizeof fstype, "xfs");
    else if (sf.f_type == 0x9123683E) setf(fstype, sizeof fstype, "btrfs");
    else if (sf.f_type == 0x794c7630) setf(fstype, sizeof fstype, "overlayfs");
    else setf(fstype, sizeof fstype, "filesystem 0x%lx", (unsigned long)sf.f_type);
    if (sf.f_type == 0x01021994) fprintf(stderr, "[sqlbench] warning: %s is on tmpfs\n", base);
  }
  read_file_line("/proc/loadavg", "", load0, sizeof load0);
  load0[strlen(load0) > 14 ? 14 : strlen(load0)] = 0;

  t0 = now_secs();
  txn = opt.load_txn;
  if (txn < 0) txn = (opt.engines & (1 << E_TDB)) ? probe_txn(base) : 1;
  fprintf(stderr, "[sqlbench] rows=%llu ops=%llu insert-rows=%llu sync-rows=%llu sync=%s load=%llu-row INSERTs %s dir=%s\n",
          (unsigned long long)opt.rows, (unsigned long long)opt.ops, (unsigned long long)opt.insert_rows,
          (unsigned long long)opt.sync_rows, opt.sync_full ? "full" : "off", (unsigned long long)opt.load_batch,
          txn ? "in one transaction" : "autocommit each", base);
  for (int p = 0; p < N_P; p++) {
    if (!(opt.phases & (1 << p))) continue;
    if (p == P_INSERT_FULL && (opt.sync_full || opt.sync_rows == 0)) continue;
    if (p == P_INSERT && opt.insert_rows == 0) continue;
    for (int e = 0; e < N_ENG; e++)
      if (opt.engines & (1 << e)) spawn(e, p, base, txn);
  }
  read_file_line("/proc/loadavg", "", load1, sizeof load1);
  load1[strlen(load1) > 14 ? 14 : strlen(load1)] = 0;
  if (own_dir) rm_rf(base);

  elapsed = now_secs() - t0;
  report(stdout, txn, fstype, load0, load1, elapsed);
  fflush(stdout);
  if (opt.md || opt.md_file) {
    char path[4096], date[32];
    FILE *f;
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
    if (opt.md_file) setf(path, sizeof path, "%s", opt.md_file);
    else {
      /* sql-DATE[-Nrows][-olap|-partial].md: a run of some phases does not overwrite the full table;
      ** temporal-DATE[-Nrows].md for the temporal phase alone */
      char rows[40] = "";
      const char *part = opt.phases == DEFAULT_PHASES ? "" : opt.phases == 1 << P_OLAP ? "-olap" : "-partial";
      if (opt.rows != 1000000) setf(rows, sizeof rows, "-%llurows", (unsigned long long)opt.rows);
      if (opt.phases == 1 << P_TEMPORAL) setf(path, sizeof path, "bench/results/temporal-%s%s.md", date, rows);
      else setf(path, sizeof path, "bench/results/sql-%s%s%s.md", date, rows, part);
    }
    f = fopen(path, "w");
    if (!f) {
      fprintf(stderr, "sqlbench: cannot write %s: %s\n", path, strerror(errno));
      return 1;
    }
    report(f, txn, fstype, load0, load1, elapsed);
    fclose(f);
    fprintf(stderr, "[sqlbench] written: %s\n", path);
  }
  return 0;
}
