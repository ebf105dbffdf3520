/*
** sqlbench_olap.c — the analytical workloads of the SQL benchmark (issue 5:
** "hash join, GROUP BY, window functions, multi-way joins at least 3x SQLite").
** Not compiled on its own: sqlbench.c includes it after its engine interface,
** result records and load helper, so it uses those (eng, stmt, insert_rows,
** emit_*, opt, letters, mix) and runs in the "olap" phase's child process.
**
** Schema, both engines, no secondary indexes (the same tables for both):
**
**   f(id INTEGER PRIMARY KEY, d INTEGER, g INTEGER, v INTEGER)    N rows (fact)
**   d(id INTEGER PRIMARY KEY, g INTEGER, c INTEGER, name TEXT)    N/100 rows
**   c(id INTEGER PRIMARY KEY, region INTEGER, name TEXT)          N/1000 rows
**
**        f.d ──> d.id        d.c ──> c.id        (every reference exists)
**
** N = --rows; at 1M: 10k d rows, 1k c rows, f.g in [0, 1000) (1k groups of
** ~1000 rows, also the window partitions), d.g in [0, 100), c.region in
** [0, 10), v in [0, 1000000), names 16 letters. Every value is a hash of
** (seed, column, id), so the expected answers are computed here from the
** generator alone, not from either engine.
**
** Load: the three tables in id order (a fact table is appended in order; it
** also gives SQLite's B-trees their densest pages) with the multi-row INSERT
** ... VALUES statements of the main load (--load-batch rows each), each table
** inside one BEGIN ... COMMIT when the load runs in transactions; then the
** settle step, then ANALYZE (both engines, timed apart) so that both planners
** know the table sizes. Queries (each prepared once, run --scans times, every
** run checked; the figure is the mean per run):
**
**   6  hash join      SELECT d.g, count(*), sum(f.v) FROM f JOIN d ON f.d = d.id GROUP BY d.g
**   7  GROUP BY       SELECT g, count(*), sum(v), avg(v) FROM f GROUP BY g
**   8  window         SELECT count(*), sum(rs), max(rs) FROM
**                       (SELECT sum(v) OVER (PARTITION BY g ORDER BY id) AS rs FROM f) AS w
**                     (the running sum of every one of the N rows, folded into a
**                      checksum so the result stays one row)
**   9  3-table join   SELECT c.region, count(*), sum(f.v) FROM f JOIN d ON f.d = d.id
**                       JOIN c ON d.c = c.id WHERE f.v < 500000 AND c.region < 5
**                       GROUP BY c.region
**
** The plans (TensorDB EXPLAIN, SQLite EXPLAIN QUERY PLAN) are sent to the
** parent line by line as W_PLAN records and printed under the table.
*/

#define OLAP_VMAX 1000000 /* f.v in [0, OLAP_VMAX) */
#define OLAP_REGIONS 10   /* c.region in [0, OLAP_REGIONS) */
#define OLAP_NAME_LEN 16
#define OLAP_PLAN_CAP 4096 /* bytes of plan text kept per engine x query */

enum { Q_JOIN, Q_GROUP, Q_WINDOW, Q_JOIN3, N_OLAPQ };

static const struct olap_query {
  int w;
  const char *name; /* for progress lines */
  const char *sql;
  int keyed;        /* column 0 is a group key */
  int nint;         /* integer columns after the key */
  int avg;          /* one REAL column after them: sum / count */
} olap_q[N_OLAPQ] = {
    {W_JOIN, "hash-join", "SELECT d.g, count(*), sum(f.v) FROM f JOIN d ON f.d = d.id GROUP BY d.g", 1, 2, 0},
    {W_GROUP, "group-by", "SELECT g, count(*), sum(v), avg(v) FROM f GROUP BY g", 1, 2, 1},
    {W_WINDOW, "window",
     "SELECT count(*), sum(rs), max(rs) FROM (SELECT sum(v) OVER (PARTITION BY g ORDER BY id) AS rs FROM f) AS w", 0,
     3, 0},
    {W_JOIN3, "join3",
     "SELECT c.region, count(*), sum(f.v) FROM f JOIN d ON f.d = d.id JOIN c ON d.c = c.id "
     "WHERE f.v < 500000 AND c.region < 5 GROUP BY c.region",
     1, 2, 0},
};

/* table sizes, set by olap_init() from --rows */
static uint64_t olap_nd, olap_nc, olap_ng, olap_dg;

/* the plans, collected by the parent */
static char olap_plan[N_ENG][N_OLAPQ][OLAP_PLAN_CAP];

static void olap_init(void) {
  olap_nd = opt.rows / 100 ? opt.rows / 100 : 1;
  olap_nc = opt.rows / 1000 ? opt.rows / 1000 : 1;
  olap_ng = opt.rows / 1000 ? opt.rows / 1000 : 1;
  olap_dg = olap_nd / 100 ? olap_nd / 100 : 1;
}

/* ---- the generator ---------------------------------------------------------------- */

/* A hash of (seed, column, id): the value of one column of one row. */
static uint64_t col_hash(uint64_t column, uint64_t id) {
  return mix(opt.seed ^ (column << 56) ^ (id * 0xD6E8FEB86659FD93ull));
}
static int64_t f_d(uint64_t id) { return 1 + (int64_t)(col_hash(1, id) % olap_nd); }
static int64_t f_g(uint64_t id) { return (int64_t)(col_hash(2, id) % olap_ng); }
static int64_t f_v(uint64_t id) { return (int64_t)(col_hash(3, id) % OLAP_VMAX); }
static int64_t d_g(uint64_t id) { return (int64_t)(col_hash(4, id) % olap_dg); }
static int64_t d_c(uint64_t id) { return 1 + (int64_t)(col_hash(5, id) % olap_nc); }
static int64_t c_region(uint64_t id) { return (int64_t)(col_hash(6, id) % OLAP_REGIONS); }
static const char *name_of(uint64_t column, uint64_t id) {
  return letters + col_hash(column, id) % (LBUF - OLAP_NAME_LEN);
}

static int bind_f_row(eng *e, stmt *st, int first, uint64_t id) {
  return bind_int(e, st, first, (int64_t)id) || bind_int(e, st, first + 1, f_d(id)) ||
                 bind_int(e, st, first + 2, f_g(id)) || bind_int(e, st, first + 3, f_v(id))
             ? -1
             : 0;
}
static int bind_d_row(eng *e, stmt *st, int first, uint64_t id) {
  return bind_int(e, st, first, (int64_t)id) || bind_int(e, st, first + 1, d_g(id)) ||
                 bind_int(e, st, first + 2, d_c(id)) || bind_text(e, st, first + 3, name_of(7, id), OLAP_NAME_LEN)
             ? -1
             : 0;
}
static int bind_c_row(eng *e, stmt *st, int first, uint64_t id) {
  return bind_int(e, st, first, (int64_t)id) || bind_int(e, st, first + 1, c_region(id)) ||
                 bind_text(e, st, first + 2, name_of(8, id), OLAP_NAME_LEN)
             ? -1
             : 0;
}

/* ---- expected answers, from the generator ------------------------------------------ */

/* The expected result of one query: nkeys rows of nint integers (key = row
** index; a keyed row with count 0 must not appear), or one row when unkeyed. */
typedef struct expect {
  uint64_t nkeys;
  int64_t *val; /* nkeys x nint */
} expect;

static void *olap_calloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) { fprintf(stderr, "sqlbench: out of memory\n"); exit(2); }
  return p;
}

static void olap_expect(int q, expect *x) {
  const struct olap_query *oq = &olap_q[q];
  int64_t *dg = NULL, *dc = NULL, *cr = NULL, *run = NULL;
  x->nkeys = q == Q_JOIN ? olap_dg : q == Q_GROUP ? olap_ng : q == Q_JOIN3 ? OLAP_REGIONS : 1;
  x->val = olap_calloc(x->nkeys * (size_t)oq->nint, sizeof *x->val);
  if (q == Q_JOIN || q == Q_JOIN3) {
    dg = olap_calloc(olap_nd + 1, sizeof *dg);
    dc = olap_calloc(olap_nd + 1, sizeof *dc);
    cr = olap_calloc(olap_nc + 1, sizeof *cr);
    for (uint64_t id = 1; id <= olap_nd; id++) { dg[id] = d_g(id); dc[id] = d_c(id); }
    for (uint64_t id = 1; id <= olap_nc; id++) cr[id] = c_region(id);
  }
  if (q == Q_WINDOW) run = olap_calloc(olap_ng, sizeof *run);
  for (uint64_t id = 1; id <= opt.rows; id++) {
    int64_t v = f_v(id), *row;
    if (q == Q_JOIN) {
      row = x->val + 2 * dg[f_d(id)];
    } else if (q == Q_GROUP) {
      row = x->val + 2 * f_g(id);
    } else if (q == Q_JOIN3) {
      int64_t region = cr[dc[f_d(id)]];
      if (!(v < OLAP_VMAX / 2 && region < OLAP_REGIONS / 2)) continue;
      row = x->val + 2 * region;
    } else { /* window: rows in id order, a running sum per partition g */
      int64_t rs = run[f_g(id)] += v;
      x->val[0]++;
      x->val[1] += rs;
      if (rs > x->val[2] || x->val[0] == 1) x->val[2] = rs;
      continue;
    }
    row[0]++;
    row[1] += v;
  }
  free(dg);
  free(dc);
  free(cr);
  free(run);
}

/* The rows one run returned: up to cap of them kept, n counted. */
typedef struct got_rows {
  uint64_t n, cap;
  int64_t *ints; /* cap x (1 + nint): key (0 if unkeyed), then the integers */
  double *avg;   /* cap */
} got_rows;

/* Compares one run's rows with the expected ones; on a difference, writes
** what differs into why and returns -1. */
static int olap_check(int q, const expect *x, const got_rows *g, char *why, size_t cap) {
  const struct olap_query *oq = &olap_q[q];
  const int w = 1 + oq->nint;
  uint64_t want_rows = 0;
  char *seen = olap_calloc(x->nkeys, 1);
  int rc = 0;
  for (uint64_t k = 0; k < x->nkeys; k++) want_rows += !oq->keyed || x->val[k * (size_t)oq->nint] > 0;
  if (g->n != want_rows) {
    setf(why, cap, "%llu rows (expected %llu)", (unsigned long long)g->n, (unsigned long long)want_rows);
    rc = -1;
  }
  for (uint64_t r = 0; rc == 0 && r < g->n; r++) {
    const int64_t *row = g->ints + r * (size_t)w;
    int64_t key = oq->keyed ? row[0] : 0;
    const int64_t *want;
    if (key < 0 || (uint64_t)key >= x->nkeys || (oq->keyed && x->val[(size_t)key * (size_t)oq->nint] == 0)) {
      setf(why, cap, "group %lld should not exist", (long long)key);
      rc = -1;
      break;
    }
    if (seen[key]++) {
      setf(why, cap, "group %lld twice", (long long)key);
      rc = -1;
      break;
    }
    want = x->val + (size_t)key * (size_t)oq->nint;
    for (int c = 0; c < oq->nint; c++) {
      if (row[1 + c] != want[c]) {
        if (oq->keyed)
          setf(why, cap, "group %lld column %d: %lld (expected %lld)", (long long)key, c + 2,
               (long long)row[1 + c], (long long)want[c]);
        else
          setf(why, cap, "column %d: %lld (expected %lld)", c + 1, (long long)row[1 + c], (long long)want[c]);
        rc = -1;
        break;
      }
    }
    if (rc == 0 && oq->avg) {
      double a = (double)want[1] / (double)want[0], d = g->avg[r] - a;
      if (!(d <= 1e-9 * (a < 0 ? -a : a) + 1e-9 && -d <= 1e-9 * (a < 0 ? -a : a) + 1e-9)) {
        setf(why, cap, "group %lld avg %.17g (expected %.17g)", (long long)key, g->avg[r], a);
        rc = -1;
      }
    }
  }
  free(seen);
  return rc;
}

/* ---- the phase ------------------------------------------------------------------------ */

static void emit_plan_line(eng *e, int q, const char *line) {
  rec r;
  memset(&r, 0, sizeof r);
  r.eng = e->which; r.w = W_PLAN; r.status = ST_OK; r.ops = (uint64_t)q;
  setf(r.msg, sizeof r.msg, "%s", line);
  emit(&r);
}

/* The plan of query q, sent line by line: TensorDB EXPLAIN (one text column),
** SQLite EXPLAIN QUERY PLAN (id, parent, notused, detail; indented by depth). */
static void olap_explain(eng *e, int q) {
  char sql[1024], line[MSG_LEN];
  int ids[64], depth[64], nids = 0, rc;
  stmt *st;
  setf(sql, sizeof sql, "%s %s", e->which == E_TDB ? "EXPLAIN" : "EXPLAIN QUERY PLAN", olap_q[q].sql);
  st = eng_prepare(e, sql);
  if (!st) { emit_plan_line(e, q, e->msg); return; }
  while ((rc = step(e, st)) == STEP_ROW) {
    if (e->which == E_TDB) {
      const char *t = col_text(e, st, 0);
      emit_plan_line(e, q, t ? t : "");
    } else {
      int id = (int)col_int(e, st, 0), parent = (int)col_int(e, st, 1), dep = 0;
      const char *t = col_text(e, st, 3);
      for (int i = 0; i < nids; i++)
        if (ids[i] == parent) dep = depth[i] + 1;
      if (nids < 64) { ids[nids] = id; depth[nids] = dep; nids++; }
      setf(line, sizeof line, "%*s%s", 2 * dep, "", t ? t : "");
      emit_plan_line(e, q, line);
    }
  }
  if (rc != STEP_DONE) { eng_err(e, "EXPLAIN"); emit_plan_line(e, q, e->msg); }
  eng_finalize(e, st);
}

/* Query q: --scans runs, each timed from the first step to the last row read
** and then checked (untimed) against the generator. */
static void olap_run_query(eng *e, int q) {
  const struct olap_query *oq = &olap_q[q];
  const int w = 1 + oq->nint;
  expect x;
  got_rows g;
  stmt *st;
  double secs = 0, t_start;
  uint64_t i;
  int rc, capped = 0;
  char why[MSG_LEN - 40];
  current = oq->name;
  olap_explain(e, q);
  olap_expect(q, &x);
  g.cap = x.nkeys + 1;
  g.ints = olap_calloc(g.cap * (size_t)w, sizeof *g.ints);
  g.avg = olap_calloc(g.cap, sizeof *g.avg);
  st = eng_prepare(e, oq->sql);
  if (!st) { emit_fail(e, oq->w, ST_ERR, "%s", e->msg); goto done; }
  t_start = now_secs();
  for (i = 0; i < opt.scans; i++) {
    double t0 = now_secs();
    g.n = 0;
    while ((rc = step(e, st)) == STEP_ROW) {
      if (g.n < g.cap) {
        int64_t *row = g.ints + g.n * (size_t)w;
        int c0 = oq->keyed ? 1 : 0;
        row[0] = oq->keyed ? col_int(e, st, 0) : 0;
        for (int c = 0; c < oq->nint; c++) row[1 + c] = col_int(e, st, c0 + c);
        if (oq->avg) g.avg[g.n] = col_double(e, st, c0 + oq->nint);
      }
      g.n++;
    }
    if (rc != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, oq->name);
      emit_fail(e, oq->w, ST_ERR, "%s", e->msg);
      goto done;
    }
    secs += now_secs() - t0;
    if (olap_check(q, &x, &g, why, sizeof why) != 0) {
      emit_fail(e, oq->w, ST_WRONG, "wrong result: %s", why);
      goto done;
    }
    if (now_secs() - t_start > opt.max_secs) { capped = i + 1 < opt.scans; i++; break; }
  }
  progress(e, oq->name, i, secs, "ms/op", secs * 1e3 / (double)(i ? i : 1));
  emit_ok(e, oq->w, i, secs, capped);
done:
  eng_finalize(e, st);
  free(x.val);
  free(g.ints);
  free(g.avg);
}

static const char *const olap_ddl[3] = {
    "CREATE TABLE c(id INTEGER PRIMARY KEY, region INTEGER, name TEXT)",
    "CREATE TABLE d(id INTEGER PRIMARY KEY, g INTEGER, c INTEGER, name TEXT)",
    "CREATE TABLE f(id INTEGER PRIMARY KEY, d INTEGER, g INTEGER, v INTEGER)",
};

/* The olap phase: make and load c, d, f; settle; ANALYZE; the four queries. */
static void run_olap(eng *e, const char *dir, int txn) {
  static const char *const tables[3] = {"c", "d", "f"};
  static const char *const cols[3] = {"id, region, name", "id, g, c, name", "id, d, g, v"};
  static const int ncols[3] = {3, 4, 4};
  static const bind_row_fn binds[3] = {bind_c_row, bind_d_row, bind_f_row};
  const uint64_t rows[3] = {olap_nc, olap_nd, opt.rows};
  uint64_t done = 0, total = 0;
  double t0, secs;
  current = "olap-load";
  for (int t = 0; t < 3; t++) {
    if (eng_exec(e, olap_ddl[t]) != 0) { emit_fail(e, W_OLAP_LOAD, ST_ERR, "%s", e->msg); return; }
  }
  t0 = now_secs();
  for (int t = 0; t < 3; t++) {
    /* SQLite allows 32766 bound parameters per statement */
    uint64_t batch = opt.load_batch < 32766 / (uint64_t)ncols[t] ? opt.load_batch : 32766 / (uint64_t)ncols[t];
    if (insert_rows(e, tables[t], cols[t], ncols[t], rows[t], NULL, binds[t], batch, txn, &done) != 0) {
      emit_fail(e, W_OLAP_LOAD, ST_ERR, "%s (table %s, at row %llu of %llu)", e->msg, tables[t],
                (unsigned long long)done, (unsigned long long)rows[t]);
      return;
    }
    total += rows[t];
  }
  secs = now_secs() - t0;
  progress(e, "olap-load", total, secs, "us/row", secs * 1e6 / (double)total);
  emit_ok(e, W_OLAP_LOAD, total, secs, 0);
  current = "olap-settle";
  t0 = now_secs();
  if (eng_settle(e) != 0) emit_fail(e, W_OLAP_SETTLE, ST_ERR, "%s", e->msg);
  else emit_ok(e, W_OLAP_SETTLE, 1, now_secs() - t0, 0);
  current = "analyze";
  t0 = now_secs();
  if (eng_exec(e, "ANALYZE") != 0) emit_fail(e, W_OLAP_ANALYZE, ST_ERR, "%s", e->msg);
  else emit_ok(e, W_OLAP_ANALYZE, 1, now_secs() - t0, 0);
  emit_value(e, W_OLAP_DISK, (double)dir_bytes(dir));
  for (int q = 0; q < N_OLAPQ; q++) olap_run_query(e, q);
}

/* ---- the report ------------------------------------------------------------------------- */

static void olap_report_rows(FILE *f) {
  char label[300];
  fprintf(f, "| **issue 5, analytical (target: TensorDB ≥ 3x SQLite)** | | | |\n");
  setf(label, sizeof label,
       "6. issue 5: hash join f ⋈ d (%llu x %llu rows), `GROUP BY d.g` (%llu groups) (target ≥ 3x)",
       (unsigned long long)opt.rows, (unsigned long long)olap_nd, (unsigned long long)olap_dg);
  row(f, label, W_JOIN, 1e3, "ms/op");
  setf(label, sizeof label, "7. issue 5: `GROUP BY g` over %llu rows into %llu groups: count, sum, avg (target ≥ 3x)",
       (unsigned long long)opt.rows, (unsigned long long)olap_ng);
  row(f, label, W_GROUP, 1e3, "ms/op");
  setf(label, sizeof label,
       "8. issue 5: window, running `sum(v) OVER (PARTITION BY g ORDER BY id)` over %llu rows, %llu partitions (target ≥ 3x)",
       (unsigned long long)opt.rows, (unsigned long long)olap_ng);
  row(f, label, W_WINDOW, 1e3, "ms/op");
  setf(label, sizeof label,
       "9. issue 5: 3-table join f ⋈ d ⋈ c (%llu x %llu x %llu rows), filters on f and c, `GROUP BY c.region` (target ≥ 3x)",
       (unsigned long long)opt.rows, (unsigned long long)olap_nd, (unsigned long long)olap_nc);
  row(f, label, W_JOIN3, 1e3, "ms/op");
  setf(label, sizeof label, "load for 6-9 (f, d, c: %llu rows, in id order)",
       (unsigned long long)(opt.rows + olap_nd + olap_nc));
  row(f, label, W_OLAP_LOAD, 1e6, "µs/row");
  row(f, "settle after the load for 6-9", W_OLAP_SETTLE, 1e3, "ms");
  row(f, "`ANALYZE` after the settle", W_OLAP_ANALYZE, 1e3, "ms");
  row(f, "on disk after load + settle + ANALYZE for 6-9", W_OLAP_DISK, 1.0 / 1048576, "MiB");
  row(f, "peak RSS, load + 6-9", W_RSS_OLAP, 1.0 / 1024, "MiB");
}

static void olap_report_text(FILE *f, int txn) {
  fprintf(f,
          "\nWorkloads 6-9 (issue 5): tables `f(id INTEGER PRIMARY KEY, d INTEGER, g INTEGER, v INTEGER)` (%llu rows),\n"
          "`d(id INTEGER PRIMARY KEY, g INTEGER, c INTEGER, name TEXT)` (%llu rows) and\n"
          "`c(id INTEGER PRIMARY KEY, region INTEGER, name TEXT)` (%llu rows), no secondary indexes; f.d and d.c always\n"
          "reference an existing row; f.g in [0, %llu), d.g in [0, %llu), c.region in [0, %d), v in [0, %d). Loaded in id\n"
          "order with the same `INSERT ... VALUES` statements of %llu rows, %s, then\n"
          "settled and `ANALYZE`d (both engines). Each query is the mean of %llu runs; every run's rows were\n"
          "checked against sums computed from the generator.\n",
          (unsigned long long)opt.rows, (unsigned long long)olap_nd, (unsigned long long)olap_nc,
          (unsigned long long)olap_ng, (unsigned long long)olap_dg, OLAP_REGIONS, OLAP_VMAX,
          (unsigned long long)opt.load_batch,
          txn ? "each table inside one BEGIN ... COMMIT" : "each statement its own autocommit transaction",
          (unsigned long long)opt.scans);
}

/* The SQL and both engines' plans of 6-9. */
static void olap_report_plans(FILE *f) {
  if (!(opt.phases & (1 << P_OLAP))) return;
  fprintf(f, "\nPlans of workloads 6-9 (TensorDB `EXPLAIN`, SQLite `EXPLAIN QUERY PLAN`, after `ANALYZE`):\n");
  for (int q = 0; q < N_OLAPQ; q++) {
    fprintf(f, "\n%d. `%s`\n", 6 + q, olap_q[q].sql);
    for (int e = 0; e < N_ENG; e++) {
      if (!(opt.engines & (1 << e))) continue;
      fprintf(f, "\n```\n-- %s\n%s```\n", e == E_TDB ? "TensorDB" : "SQLite",
              olap_plan[e][q][0] ? olap_plan[e][q] : "(no plan: the query did not run)\n");
    }
  }
}

/* Parent: one W_PLAN record, a line of the plan of query r->ops. */
static void olap_collect_plan(const rec *r) {
  char *p;
  size_t len;
  if (r->eng < 0 || r->eng >= N_ENG || r->ops >= N_OLAPQ) return;
  p = olap_plan[r->eng][r->ops];
  len = strlen(p);
  setf(p + len, OLAP_PLAN_CAP - len, "%s\n", r->msg);
}
