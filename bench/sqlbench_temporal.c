/*
** sqlbench_temporal.c — the temporal workloads of the SQL benchmark (issue 6:
** "temporal overhead <= 1.2x, AS OF lookups, history-keeping UPDATEs >= 3x a
** SQLite trigger, SHOW DRIFT <= 50 µs"). Not compiled on its own: sqlbench.c
** includes it after its engine interface, result records and load helper,
** so it uses those (eng, stmt, insert_rows, emit_*, opt, mix) and runs in
** the "temporal" phase's child processes (--phases temporal; not part of the
** default phase set).
**
** TensorDB (one child, one database, N = --rows, default 1M):
**   t1(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER)    N rows, 1 version each
**   t20(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER)   N rows, 20 versions each
** Row id has k = k_of(id) (as in table t, ~4 rows per value) and v0 =
** T_V0(id). Both loaded in random id order with the main load's multi-row
** INSERTs (--load-batch rows; one transaction per table when the load runs
** in transactions), then TEMPORAL_ROUNDS = 19 rounds of the plain
** `UPDATE t20 SET v = v + 1`, each round one transaction (one epoch), so
** every t20 row has 20 system-time versions (the contract's plain UPDATE also
** splits valid time: each round closes the current piece and writes the
** closed old piece [vf, now) and the new [now, +inf)); then settled.
**   a  temporal overhead, t20 against t1 (ratio t20 / t1, target <= 1.2x):
**        SELECT k, v FROM tX WHERE id = ?                 --ops random ids, µs/op
**        SELECT count(*), sum(v) FROM tX WHERE k % 10 = 3 mean of --scans, ms/op
**   b  SELECT v FROM t20 AS OF ? WHERE id = ?             --ops (random id,
**        random epoch from the load's to the last round's), µs/op; the
**        answer is checked: v0 + the rounds committed by that epoch
**   d  SHOW DRIFT t1 KEY ? of one key updated 99 times by autocommit UPDATEs
**        at CURRENT_VALID_TIME = the key's _valid_from (each UPDATE closes
**        the version and writes one: 100 versions, 100 rows), --ops / 10
**        runs, every row read and checked, µs per SHOW DRIFT (target <= 50);
**        d' the same for another key updated at the default CVT (each UPDATE
**        also writes the closed old piece [vf, now): 199 rows)
**   c  the history-keeping UPDATE on t1: UPDATE t1 SET v = v + 1 WHERE id = ?,
**        one autocommit statement per update, random ids: --ops of them with
**        the run's --sync mode (default off), then the database reopened
**        with TDB_SYNC_FULL and --sync-rows more; µs/update
** SQLite (one child), for c, what people do today: a current table and a
** history table kept by a trigger, with the same durability:
**   h(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, valid_from INTEGER NOT NULL)
**   h_history(id INTEGER, k INTEGER, v INTEGER, valid_from INTEGER, valid_to INTEGER)
**   CREATE INDEX h_history_id ON h_history(id, valid_from)
**   CREATE TRIGGER h_keep AFTER UPDATE ON h BEGIN
**     INSERT INTO h_history VALUES (OLD.id, OLD.k, OLD.v, OLD.valid_from, NEW.valid_from); END
**   UPDATE h SET v = v + 1, valid_from = ? WHERE id = ?   (? = the wall-clock in µs)
** h loaded with the same N rows the same way. SQLite's pragmas are the main
** benchmark's (journal_mode=WAL, synchronous=OFF or FULL, ...): sync full is
** synchronous=FULL, the WAL fsynced at every commit, as TDB_SYNC_FULL syncs
** its WAL at every commit. The history row count is checked afterwards on
** SQLite, the changed-row count of every UPDATE on both.
** Every answer of a, b and d is checked against the generator; a wrong one
** shows as "n/a (wrong result: ...)".
*/

#define TEMPORAL_ROUNDS 19    /* UPDATE rounds on t20: 20 versions per row */
#define DRIFT_UPDATES 99      /* UPDATEs of the SHOW DRIFT key: 100 versions */
#define T_V0(id) ((int64_t)(mix(opt.seed ^ ((id) * 0x9E3779B97F4A7C15ull)) % 1000000))

static int bind_temporal_row(eng *e, stmt *st, int first, uint64_t id) {
  return bind_int(e, st, first, (int64_t)id) || bind_int(e, st, first + 1, k_of(id)) ||
                 bind_int(e, st, first + 2, T_V0(id))
             ? -1
             : 0;
}

/* Rows changed by the last statement (1 expected of each UPDATE by id). */
static int64_t eng_changes(eng *e) {
#ifndef SQLBENCH_NO_TENSORDB
  if (e->which == E_TDB) return tdb_changes(e->db);
#endif
  return sqlite3_changes(e->db);
}

/* One integer from a query without parameters (INT64_MIN on an error). */
static int64_t query_int(eng *e, const char *sql) {
  stmt *st = eng_prepare(e, sql);
  int64_t v = INT64_MIN;
  if (!st) return v;
  if (step(e, st) == STEP_ROW) v = col_int(e, st, 0);
  eng_finalize(e, st);
  return v;
}

/* Load table `name` with N rows in random order; `w` is the figure it
** reports under (the time is added to *secs). */
static int temporal_load(eng *e, const char *name, int txn, double *secs) {
  uint32_t *ids = permutation(opt.rows, opt.seed ^ 0x74656d70ull);
  uint64_t done = 0;
  double t0 = now_secs();
  int rc = insert_rows(e, name, "id, k, v", 3, opt.rows, ids, bind_temporal_row, opt.load_batch, txn, &done);
  *secs += now_secs() - t0;
  free(ids);
  if (rc != 0) {
    emit_fail(e, W_T_LOAD, ST_ERR, "%s: %s (at row %llu of %llu)", name, e->msg, (unsigned long long)done,
              (unsigned long long)opt.rows);
  }
  return rc;
}

/* a: point lookups by id on `table`, whose rows hold v0 + `plus`. */
static void t_point(eng *e, int w, const char *table, int64_t plus) {
  char sql[128];
  stmt *st;
  uint64_t *args = random_args(opt.ops, 1, opt.rows, opt.seed ^ 0x706f696e74ull), i;
  double t0, secs;
  int capped = 0;
  current = w == W_T_POINT1 ? "point-1v" : "point-20v";
  setf(sql, sizeof sql, "SELECT k, v FROM %s WHERE id = ?", table);
  st = eng_prepare(e, sql);
  if (!st) { emit_fail(e, w, ST_ERR, "%s", e->msg); free(args); return; }
  t0 = now_secs();
  for (i = 0; i < opt.ops; i++) {
    uint64_t id = args[i];
    if (bind_int(e, st, 1, (int64_t)id) != 0 || step(e, st) != STEP_ROW) {
      eng_err(e, "point SELECT");
      emit_fail(e, w, ST_ERR, "%s", e->msg);
      goto out;
    }
    if (col_int(e, st, 0) != k_of(id) || col_int(e, st, 1) != T_V0(id) + plus) {
      emit_fail(e, w, ST_WRONG, "id %llu: k %lld v %lld, want %lld %lld", (unsigned long long)id,
                (long long)col_int(e, st, 0), (long long)col_int(e, st, 1), (long long)k_of(id),
                (long long)(T_V0(id) + plus));
      goto out;
    }
    if (step(e, st) != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, "point SELECT end");
      emit_fail(e, w, ST_ERR, "%s", e->msg);
      goto out;
    }
    if (capped_now(i, t0)) { capped = 1; i++; break; }
  }
  secs = now_secs() - t0;
  progress(e, current, i, secs, "us/op", secs * 1e6 / (double)(i ? i : 1));
  emit_ok(e, w, i, secs, capped);
out:
  eng_finalize(e, st);
  free(args);
}

/* a: the full-scan aggregate on `table`, whose rows hold v0 + `plus`. */
static void t_scan(eng *e, int w, const char *table, int64_t plus) {
  char sql[128];
  stmt *st;
  int64_t want_n = 0, want_s = 0;
  uint64_t i, id;
  double t0, secs;
  int capped = 0;
  current = w == W_T_SCAN1 ? "scan-1v" : "scan-20v";
  for (id = 1; id <= opt.rows; id++) {
    if (k_of(id) % 10 == 3) { want_n++; want_s += T_V0(id) + plus; }
  }
  setf(sql, sizeof sql, "SELECT count(*), sum(v) FROM %s WHERE k %% 10 = 3", table);
  st = eng_prepare(e, sql);
  if (!st) { emit_fail(e, w, ST_ERR, "%s", e->msg); return; }
  t0 = now_secs();
  for (i = 0; i < opt.scans;) {
    if (step(e, st) != STEP_ROW) { eng_err(e, "aggregate"); emit_fail(e, w, ST_ERR, "%s", e->msg); goto out; }
    if (col_int(e, st, 0) != want_n || col_int(e, st, 1) != want_s) {
      emit_fail(e, w, ST_WRONG, "count %lld sum %lld, want %lld %lld", (long long)col_int(e, st, 0),
                (long long)col_int(e, st, 1), (long long)want_n, (long long)want_s);
      goto out;
    }
    if (step(e, st) != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, "aggregate end");
      emit_fail(e, w, ST_ERR, "%s", e->msg);
      goto out;
    }
    i++;
    if (now_secs() - t0 > opt.max_secs) { capped = i < opt.scans; break; }
  }
  secs = now_secs() - t0;
  progress(e, current, i, secs, "ms/op", secs * 1e3 / (double)(i ? i : 1));
  emit_ok(e, w, i, secs, capped);
out:
  eng_finalize(e, st);
}

/* b: AS OF point lookups on t20 at random epochs in [e_load, round_epoch[R-1]]. */
static void t_asof(eng *e, uint64_t e_load, const uint64_t *round_epoch) {
  stmt *st;
  uint64_t *ids = random_args(opt.ops, 1, opt.rows, opt.seed ^ 0x61736f66ull);
  uint64_t last = round_epoch[TEMPORAL_ROUNDS - 1];
  uint64_t *eps = random_args(opt.ops, e_load, last - e_load + 1, opt.seed ^ 0x65706f6368ull), i;
  double t0, secs;
  int capped = 0;
  current = "as-of";
  st = eng_prepare(e, "SELECT v FROM t20 AS OF ? WHERE id = ?");
  if (!st) { emit_fail(e, W_T_ASOF, ST_ERR, "%s", e->msg); goto done; }
  t0 = now_secs();
  for (i = 0; i < opt.ops; i++) {
    int64_t want = T_V0(ids[i]);
    for (int r = 0; r < TEMPORAL_ROUNDS; r++) want += round_epoch[r] <= eps[i];
    if (bind_int(e, st, 1, (int64_t)eps[i]) != 0 || bind_int(e, st, 2, (int64_t)ids[i]) != 0 ||
        step(e, st) != STEP_ROW) {
      eng_err(e, "AS OF SELECT");
      emit_fail(e, W_T_ASOF, ST_ERR, "%s", e->msg);
      goto out;
    }
    if (col_int(e, st, 0) != want) {
      emit_fail(e, W_T_ASOF, ST_WRONG, "id %llu AS OF %llu: v %lld, want %lld", (unsigned long long)ids[i],
                (unsigned long long)eps[i], (long long)col_int(e, st, 0), (long long)want);
      goto out;
    }
    if (step(e, st) != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, "AS OF SELECT end");
      emit_fail(e, W_T_ASOF, ST_ERR, "%s", e->msg);
      goto out;
    }
    if (capped_now(i, t0)) { capped = 1; i++; break; }
  }
  secs = now_secs() - t0;
  progress(e, current, i, secs, "us/op", secs * 1e6 / (double)(i ? i : 1));
  emit_ok(e, W_T_ASOF, i, secs, capped);
out:
  eng_finalize(e, st);
done:
  free(ids);
  free(eps);
}

/* d: SHOW DRIFT of one key of t1 after DRIFT_UPDATES updates of it. With
** `pinned` the updates run at CURRENT_VALID_TIME = the key's _valid_from,
** so each closes the version and writes one new one over the same valid
** period (100 versions, 100 rows: W_T_DRIFT); otherwise at the default CVT
** (the wall-clock), so each also writes the closed old piece [vf, now)
** (100 system-time states, 199 rows: W_T_DRIFT2). */
static void t_drift(eng *e, int pinned) {
  stmt *st, *up;
  uint64_t key = opt.rows / 2 + 1 + (pinned ? 0 : 1), runs = opt.ops / 10 ? opt.ops / 10 : 1, i;
  int64_t want_rows = pinned ? 1 + DRIFT_UPDATES : 1 + 2 * DRIFT_UPDATES, n;
  int w = pinned ? W_T_DRIFT : W_T_DRIFT2;
  double t0, secs;
  int capped = 0;
  char sql[128];
  current = pinned ? "show-drift" : "show-drift-split";
  if (pinned) {
    int64_t vf;
    setf(sql, sizeof sql, "SELECT _valid_from FROM t1 WHERE id = %llu", (unsigned long long)key);
    vf = query_int(e, sql);
    setf(sql, sizeof sql, "SET CURRENT_VALID_TIME = %lld", (long long)vf);
    if (vf == INT64_MIN || eng_exec(e, sql) != 0) { emit_fail(e, w, ST_ERR, "%s", e->msg); return; }
  }
  up = eng_prepare(e, "UPDATE t1 SET v = v + 1 WHERE id = ?");
  if (!up) { emit_fail(e, w, ST_ERR, "%s", e->msg); return; }
  for (i = 0; i < DRIFT_UPDATES; i++) {
    if (bind_int(e, up, 1, (int64_t)key) != 0 || step(e, up) != STEP_DONE || reset(e, up) != 0) {
      eng_err(e, "UPDATE of the drift key");
      emit_fail(e, w, ST_ERR, "%s", e->msg);
      eng_finalize(e, up);
      return;
    }
  }
  eng_finalize(e, up);
  if (pinned && eng_exec(e, "SET CURRENT_VALID_TIME = DEFAULT") != 0) { emit_fail(e, w, ST_ERR, "%s", e->msg); return; }
  st = eng_prepare(e, "SHOW DRIFT t1 KEY ?");
  if (!st) { emit_fail(e, w, ST_ERR, "%s", e->msg); return; }
  t0 = now_secs();
  for (i = 0; i < runs; i++) {
    int rc;
    int64_t last_v = 0;
    if (bind_int(e, st, 1, (int64_t)key) != 0) { eng_err(e, "bind"); emit_fail(e, w, ST_ERR, "%s", e->msg); goto out; }
    /* columns: _system_from, _system_to, _valid_from, _valid_to, _row_op, _is_deleted, id, k, v */
    for (n = 0; (rc = step(e, st)) == STEP_ROW; n++) last_v = col_int(e, st, 8);
    if (rc != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, "SHOW DRIFT");
      emit_fail(e, w, ST_ERR, "%s", e->msg);
      goto out;
    }
    if (n != want_rows || last_v != T_V0(key) + DRIFT_UPDATES) {
      emit_fail(e, w, ST_WRONG, "%lld rows, last v %lld; want %lld rows, v %lld", (long long)n,
                (long long)last_v, (long long)want_rows, (long long)(T_V0(key) + DRIFT_UPDATES));
      goto out;
    }
    if (capped_now(i, t0)) { capped = 1; i++; break; }
  }
  secs = now_secs() - t0;
  progress(e, current, i, secs, "us/op", secs * 1e6 / (double)(i ? i : 1));
  emit_ok(e, w, i, secs, capped);
out:
  eng_finalize(e, st);
}

/* c: n single-row history-keeping UPDATEs by random id, one autocommit
** statement each (TensorDB: t1, a plain UPDATE; SQLite: h, its trigger
** writing h_history). Returns the updates done (0 on a failure). */
static uint64_t t_hist_update(eng *e, int w, uint64_t n, uint64_t seed) {
  stmt *st;
  uint64_t *ids = random_args(n, 1, opt.rows, seed), i;
  double t0, secs;
  int capped = 0;
  current = w == W_T_HIST_FULL ? "history-update-full" : "history-update";
  st = eng_prepare(e, e->which == E_TDB ? "UPDATE t1 SET v = v + 1 WHERE id = ?"
                                        : "UPDATE h SET v = v + 1, valid_from = ? WHERE id = ?");
  if (!st) { emit_fail(e, w, ST_ERR, "%s", e->msg); free(ids); return 0; }
  t0 = now_secs();
  for (i = 0; i < n; i++) {
    int bad;
    if (e->which == E_TDB) {
      bad = bind_int(e, st, 1, (int64_t)ids[i]) != 0;
    } else {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      bad = bind_int(e, st, 1, (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000) != 0 ||
            bind_int(e, st, 2, (int64_t)ids[i]) != 0;
    }
    if (bad || step(e, st) != STEP_DONE || reset(e, st) != 0) {
      eng_err(e, "UPDATE");
      emit_fail(e, w, ST_ERR, "%s (update %llu)", e->msg, (unsigned long long)i + 1);
      i = 0;
      goto out;
    }
    if (eng_changes(e) != 1) {
      emit_fail(e, w, ST_WRONG, "UPDATE of id %llu changed %lld rows", (unsigned long long)ids[i],
                (long long)eng_changes(e));
      i = 0;
      goto out;
    }
    if (capped_now(i, t0)) { capped = 1; i++; break; }
  }
  secs = now_secs() - t0;
  progress(e, current, i, secs, "us/update", secs * 1e6 / (double)(i ? i : 1));
  emit_ok(e, w, i, secs, capped);
out:
  eng_finalize(e, st);
  free(ids);
  return i;
}

/* c, both engines: the updates with the run's sync mode, then reopened with
** full sync and --sync-rows more. `path` is the database. */
static void t_hist_both(eng *e, const char *path) {
  uint64_t done = t_hist_update(e, W_T_HIST_OFF, opt.ops, opt.seed ^ 0x68697374ull);
  if (opt.sync_rows == 0) return;
  eng_close(e);
  if (eng_open(e, path, 1) != 0) { emit_fail(e, W_T_HIST_FULL, ST_ERR, "%s", e->msg); return; }
  done += t_hist_update(e, W_T_HIST_FULL, opt.sync_rows, opt.seed ^ 0x66756c6cull);
  if (e->which == E_SQLITE) { /* the trigger kept one history row per update */
    int64_t got = query_int(e, "SELECT count(*) FROM h_history");
    if (got != (int64_t)done) {
      emit_fail(e, W_T_HIST_FULL, ST_WRONG, "h_history has %lld rows after %llu updates", (long long)got,
                (unsigned long long)done);
    }
  }
}

static void run_temporal(eng *e, const char *dir, const char *path, int txn) {
  uint64_t e_load, round_epoch[TEMPORAL_ROUNDS];
  double secs = 0, t0;
  (void)dir;
  current = "temporal-load";
  if (e->which == E_SQLITE) {
    static const char *const ddl =
        "CREATE TABLE h(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, valid_from INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE h_history(id INTEGER, k INTEGER, v INTEGER, valid_from INTEGER, valid_to INTEGER);"
        "CREATE INDEX h_history_id ON h_history(id, valid_from);"
        "CREATE TRIGGER h_keep AFTER UPDATE ON h BEGIN "
        "INSERT INTO h_history VALUES (OLD.id, OLD.k, OLD.v, OLD.valid_from, NEW.valid_from); END;";
    if (eng_exec(e, ddl) != 0) { emit_fail(e, W_T_LOAD, ST_ERR, "%s", e->msg); return; }
    if (temporal_load(e, "h", txn, &secs) != 0) return;
    emit_ok(e, W_T_LOAD, opt.rows, secs, 0);
    t_hist_both(e, path);
    return;
  }
  if (eng_exec(e, "CREATE TABLE t1(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER)") != 0 ||
      eng_exec(e, "CREATE TABLE t20(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER)") != 0) {
    emit_fail(e, W_T_LOAD, ST_ERR, "%s", e->msg);
    return;
  }
  if (temporal_load(e, "t1", txn, &secs) != 0 || temporal_load(e, "t20", txn, &secs) != 0) return;
  progress(e, current, 2 * opt.rows, secs, "us/row", secs * 1e6 / (double)(2 * opt.rows));
  emit_ok(e, W_T_LOAD, 2 * opt.rows, secs, 0);
  e_load = (uint64_t)query_int(e, "SELECT current_epoch()");
  /* the versions: one transaction (one epoch) per round */
  current = "temporal-versions";
  t0 = now_secs();
  for (int r = 0; r < TEMPORAL_ROUNDS; r++) {
    if (eng_exec(e, "BEGIN") != 0 || eng_exec(e, "UPDATE t20 SET v = v + 1") != 0 ||
        eng_changes(e) != (int64_t)opt.rows || eng_exec(e, "COMMIT") != 0) {
      emit_fail(e, W_T_VERSIONS, ST_ERR, "round %d: %s", r + 1, e->msg);
      return;
    }
    round_epoch[r] = (uint64_t)query_int(e, "SELECT current_epoch()");
    fprintf(stderr, "[sqlbench] tensordb round %d of %d at epoch %llu, %.1f s\n", r + 1, TEMPORAL_ROUNDS,
            (unsigned long long)round_epoch[r], now_secs() - t0);
  }
  secs = now_secs() - t0;
  emit_ok(e, W_T_VERSIONS, TEMPORAL_ROUNDS * opt.rows, secs, 0);
  current = "temporal-settle";
  t0 = now_secs();
  if (eng_settle(e) != 0) { emit_fail(e, W_T_SETTLE, ST_ERR, "%s", e->msg); return; }
  emit_ok(e, W_T_SETTLE, 1, now_secs() - t0, 0);
  emit_value(e, W_T_DISK, (double)dir_bytes(dir));
  t_point(e, W_T_POINT1, "t1", 0);
  t_point(e, W_T_POINT20, "t20", TEMPORAL_ROUNDS);
  t_scan(e, W_T_SCAN1, "t1", 0);
  t_scan(e, W_T_SCAN20, "t20", TEMPORAL_ROUNDS);
  t_asof(e, e_load, round_epoch);
  t_drift(e, 1);
  t_drift(e, 0);
  t_hist_both(e, path);
}

/* ---- the report ---------------------------------------------------------------------------- */

/* A figure of engine `which` as a number in `scale` units (0 if none) and its cell text. */
static int t_cell(int which, int w, double scale, const char *unit, char *out, size_t cap, double *val) {
  *val = 0;
  return figure(which, w, scale, unit, out, cap, val);
}

/* One row: figure a (TensorDB) against figure b of engine bw (-1: none);
** ratio b/a (or a/b with `inverse`), compared with `target` (0: none). */
static void t_row(FILE *f, const char *label, int wa, int bw, int wb, double scale, const char *unit,
                  int inverse, double target, const char *target_text) {
  char a[256], b[256] = "—", ratio[32] = "—", verdict[32] = "";
  double va, vb = 0, x = 0;
  int oka = t_cell(E_TDB, wa, scale, unit, a, sizeof a, &va), okb = 0;
  if (bw >= 0) okb = t_cell(bw, wb, scale, unit, b, sizeof b, &vb);
  if (oka && okb && va > 0 && vb > 0) {
    x = inverse ? va / vb : vb / va;
    snprintf(ratio, sizeof ratio, "%.2fx", x);
  }
  if (target > 0 && bw >= 0 && x > 0) setf(verdict, sizeof verdict, "%s", (inverse ? x <= target : x >= target) ? "met" : "missed");
  else if (target > 0 && bw < 0 && oka) setf(verdict, sizeof verdict, "%s", va <= target ? "met" : "missed");
  fprintf(f, "| %s | %s | %s | %s | %s | %s |\n", label, a, b, ratio, target_text, verdict);
}

static void temporal_report_rows(FILE *f) {
  char label[256];
  fprintf(f, "\n### Temporal (issue 6)\n\n");
  fprintf(f, "t1 and t20: `(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER)`, %llu rows each; t20 got %d rounds of\n"
             "`UPDATE t20 SET v = v + 1`, one transaction each, so each row has %d versions. Ratios: a = 20 versions /\n"
             "1 version (lower is better), c = SQLite / TensorDB (above 1x TensorDB is faster).\n\n",
          (unsigned long long)opt.rows, TEMPORAL_ROUNDS, TEMPORAL_ROUNDS + 1);
  fprintf(f, "| workload | TensorDB | baseline | ratio | target | |\n|---|---:|---:|---:|---:|---|\n");
  t_row(f, "a. point SELECT by id, 20 versions/row (baseline: 1 version/row)", W_T_POINT20, E_TDB, W_T_POINT1, 1e6,
        "µs/op", 1, 1.2, "<= 1.2x");
  t_row(f, "a. full-scan `count(*), sum(v) WHERE k % 10 = 3`, 20 versions/row (baseline: 1 version/row)",
        W_T_SCAN20, E_TDB, W_T_SCAN1, 1e3, "ms/op", 1, 1.2, "<= 1.2x");
  t_row(f, "b. `SELECT v FROM t20 AS OF ? WHERE id = ?`, random past epoch", W_T_ASOF, -1, 0, 1e6, "µs/op", 0, 0, "");
  setf(label, sizeof label, "c. history-keeping UPDATE by id, autocommit, sync full (baseline: SQLite + trigger, %llu updates)",
       (unsigned long long)opt.sync_rows);
  t_row(f, label, W_T_HIST_FULL, E_SQLITE, W_T_HIST_FULL, 1e6, "µs/update", 0, 3.0, ">= 3x");
  setf(label, sizeof label, "c. the same, sync %s (%llu updates)", opt.sync_full ? "full" : "off",
       (unsigned long long)opt.ops);
  t_row(f, label, W_T_HIST_OFF, E_SQLITE, W_T_HIST_OFF, 1e6, "µs/update", 0, 3.0, ">= 3x");
  setf(label, sizeof label, "d. `SHOW DRIFT t1 KEY ?`, one key with %d versions (%d rows) among %llu", DRIFT_UPDATES + 1,
       1 + DRIFT_UPDATES, (unsigned long long)opt.rows);
  t_row(f, label, W_T_DRIFT, -1, 0, 1e6, "µs/op", 0, 50.0, "<= 50 µs");
  setf(label, sizeof label, "d'. the same, the %d UPDATEs at the default valid time (%d rows: each also writes the "
       "closed old piece)", DRIFT_UPDATES, 1 + 2 * DRIFT_UPDATES);
  t_row(f, label, W_T_DRIFT2, -1, 0, 1e6, "µs/op", 0, 0, "");
  t_row(f, "load t1 + t20 (TensorDB) / h (SQLite)", W_T_LOAD, E_SQLITE, W_T_LOAD, 1e6, "µs/row", 0, 0, "");
  setf(label, sizeof label, "the %d UPDATE rounds of t20", TEMPORAL_ROUNDS);
  t_row(f, label, W_T_VERSIONS, -1, 0, 1e6, "µs/row", 0, 0, "");
  t_row(f, "settle after the rounds", W_T_SETTLE, -1, 0, 1e3, "ms", 0, 0, "");
  t_row(f, "on disk after settle (t1 + t20)", W_T_DISK, -1, 0, 1.0 / 1048576, "MiB", 0, 0, "");
  t_row(f, "peak RSS", W_RSS_TEMPORAL, E_SQLITE, W_RSS_TEMPORAL, 1.0 / 1024, "MiB", 0, 0, "");
  fprintf(f, "\nSQLite for c: `h(id INTEGER PRIMARY KEY, k, v, valid_from)` + `h_history(id, k, v, valid_from,\n"
             "valid_to)` with an index on `(id, valid_from)` and `AFTER UPDATE` trigger copying the old row;\n"
             "`UPDATE h SET v = v + 1, valid_from = ? WHERE id = ?` with the wall-clock bound. Sync full: TensorDB\n"
             "`TDB_SYNC_FULL`, SQLite `synchronous=FULL` with `journal_mode=WAL` (both fsync per commit).\n");
}
