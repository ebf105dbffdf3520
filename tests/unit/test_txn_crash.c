/*
** test_txn_crash.c — power loss at every sync point of a transactional SQL
** workload; after recovery every committed transaction is entirely present
** at every epoch and nothing uncommitted is visible (issue 6).
**
** The workload (generated once from TDB_SEED, the same in every run) is a
** script of SQL statements run through the public API on a connection
** opened with tdbOpenVfs over the fault VFS (tests/common/fault_vfs.c)
** wrapping the memory VFS, sync_mode FULL, a 128 KiB memtable and an L0
** trigger of 2 so flushes, compactions and manifest edits happen during it,
** once with threads 0 (inline flushes and compactions: a deterministic sync
** sequence) and once with threads 1 (a background thread: the cut lands in
** a flush or compaction racing commits):
**   - ~72 transactions over two tables, acct (id, owner, bal) and entry (id,
**     acct, amount, memo): BEGIN; 1-7 INSERT / UPDATE (single-row and
**     multi-row) / DELETE (and re-INSERT of deleted keys); COMMIT. About one
**     in six ends in ROLLBACK instead; some run a statement that fails
**     (duplicate key, 23505), which must leave the transaction as it was;
**     some have savepoints (ROLLBACK TO, RELEASE, nested); a few are
**     autocommit statements and one is read-only (no epoch);
**   - DDL inside transactions: CREATE TABLE acct and entry (with rows in the
**     same transaction), CREATE INDEX on entry (acct), a CREATE TABLE in a
**     transaction that is rolled back and one undone by ROLLBACK TO;
**   - every transaction at its own CURRENT_VALID_TIME (1000, 2000, ...), so
**     valid periods are deterministic; values written by anything that is
**     rolled back start with "rb";
**   - a clean close and reopen half way (a new manifest and WAL).
** While generating the script, a model applies the contract's write rules
** (TEMPORAL.md §1.6-1.7: a plain UPDATE at CVT c closes the open version
** and writes [vf, c) old + [c, +inf) new, DELETE writes [vf, c) old, a
** version written twice in one transaction is committed once with the last
** statement's _row_op, a pending version deleted in its transaction never
** exists, ROLLBACK / ROLLBACK TO discard) and records every version with the
** epoch that wrote it and the epoch that closed it.
**
** A clean run first counts the sync points. Then for EVERY sync point k (and
** torn-write variants at every 5th, tdbFaultVfsSetTear with several prefix
** sizes): a fresh VFS, the script with tdbFaultVfsCrashAtSync(k) until the
** first statement that does not behave as scripted (the power cut: the k-th
** sync fails and every later I/O call fails), the connection is closed,
** tdbFaultVfsCrash() drops every unsynced change, and the database is
** reopened. With `acked` = the transactions whose COMMIT (or autocommit
** statement) returned TDB_OK, the test proves:
**   (i)   head = acked, or acked + 1 only when the statement that failed was
**         the COMMIT of the next transaction (the cut came after its WAL
**         record was durable — a flush or manifest sync of the same commit —
**         or a torn write kept the whole unsynced record); any other head
**         fails;
**   (ii)  for every epoch e <= head, both tables read FOR SYSTEM_TIME AS OF e
**         FOR APPLICATION_TIME ALL (every column and pseudo-column, with
**         _system_to as the recovered head knows it), AS OF e at a valid
**         time after every write (SELECT *, _system_from), and an index
**         lookup AS OF e on entry (acct), equal the model after transaction
**         e; a table read before its creation epoch is 42P01; the complete
**         history (FOR SYSTEM_TIME ALL FOR APPLICATION_TIME ALL) and the
**         plain current state equal the model at head;
**   (iii) nothing rolled back or uncommitted is visible: the equalities
**         above exclude every such version, no "rb" value appears in any
**         history, and the tables created only by rolled-back work do not
**         exist;
** then tdbStoreCheck passes and the database takes a new transaction that
** survives another reopen.
**
**   TDB_CRASH_STRIDE=n   try every n-th sync point only (default 1: all)
**   TDB_SEED=n           another workload
**   TDB_TXN_CRASH_DUMP=1 print the script and one line per case
*/
#include "tensordb.c"
#include "test.h"
#include "fault_vfs.c"
#include "sqlcheck.h"
#include "watchdog.h"

#define TX_COUNT 72          /* transactions in the script (incl. rolled back) */
#define TX_REOPEN_AT 36      /* clean close + reopen before this transaction */
#define VT_INF INT64_MAX     /* _valid_to = +inf (NULL) */
#define READ_CVT "1000000000000000" /* a valid time after every write */
#define NTAB 2               /* 0 = acct, 1 = entry */

static TdbMem gMem;
static uint64_t gSeed = 6606;
static uint64_t gStride = 1;
static int gThreads;            /* cfg.threads of the case being run */

/* ---- the model ------------------------------------------------------------ */

/* One row version. acct: id, owner = s, bal = x. entry: id, acct = y,
** amount = x, memo = s. sf: the epoch that wrote it (pending: the epoch the
** open transaction will commit as); st: the epoch that closed it, 0 = never. */
typedef struct Ver {
  int tab;
  int64_t id, x, y;
  char *s;
  int64_t vf, vt;
  uint64_t sf, st;
  const char *op;
} Ver;

typedef struct VerSet {
  Ver *v;
  size_t n, cap;
} VerSet;

static void vsPush(VerSet *vs, const Ver *v) {
  if (vs->n == vs->cap) {
    vs->cap = vs->cap ? vs->cap * 2 : 64;
    vs->v = realloc(vs->v, vs->cap * sizeof *vs->v);
    if (!vs->v) abort();
  }
  vs->v[vs->n] = *v;
  vs->v[vs->n].s = strdup(v->s);
  if (!vs->v[vs->n].s) abort();
  vs->n++;
}

static void vsFree(VerSet *vs) {
  size_t i;
  for (i = 0; i < vs->n; i++) free(vs->v[i].s);
  free(vs->v);
  memset(vs, 0, sizeof *vs);
}

static void vsCopy(VerSet *dst, const VerSet *src) {
  size_t i;
  vsFree(dst);
  for (i = 0; i < src->n; i++) vsPush(dst, &src->v[i]);
}

/* The version of (tab, id) that is current in the working state and open in
** valid time (the only one a write at a CVT after every earlier one can
** touch), or NULL when the key has no live coverage at +inf. */
static Ver *vsOpen(VerSet *vs, int tab, int64_t id) {
  size_t i;
  for (i = 0; i < vs->n; i++) {
    Ver *v = &vs->v[i];
    if (v->tab == tab && v->id == id && v->st == 0 && v->vt == VT_INF) return v;
  }
  return NULL;
}

/* ---- the script -------------------------------------------------------------- */

typedef enum StepKind {
  STEP_EXEC,    /* must succeed */
  STEP_FAILS,   /* must fail with `state`, leaving the transaction open */
  STEP_COMMIT,  /* COMMIT or an autocommit write: commits epoch `epoch` */
  STEP_REOPEN   /* clean close and reopen of the connection */
} StepKind;

typedef struct Step {
  StepKind kind;
  char *sql;
  const char *state;
  uint64_t epoch;
} Step;

static Step *gSteps;
static size_t gNSteps, gCapSteps;
static VerSet gFinal;           /* every committed version, closings included */
static uint64_t gEpochs;        /* epochs the script commits */
static uint64_t gCreated[NTAB]; /* the epoch that created each table */
static char *gGhosts[4];        /* tables only rolled-back work created */
static int gNGhosts;

static TDB_TEST_PRINTF(3, 4) void addStep(StepKind kind, uint64_t epoch, const char *fmt, ...) {
  char buf[2400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (gNSteps == gCapSteps) {
    gCapSteps = gCapSteps ? gCapSteps * 2 : 256;
    gSteps = realloc(gSteps, gCapSteps * sizeof *gSteps);
    if (!gSteps) abort();
  }
  gSteps[gNSteps].kind = kind;
  gSteps[gNSteps].sql = strdup(buf);
  gSteps[gNSteps].state = NULL;
  gSteps[gNSteps].epoch = epoch;
  if (!gSteps[gNSteps].sql) abort();
  gNSteps++;
}

/* The generator's state for the transaction being written. */
typedef struct Gen {
  uint64_t rng;
  VerSet committed, w;
  VerSet sp[4];                 /* savepoint copies of w */
  char spname[4][8];
  int nsp;
  uint64_t e;                   /* the epoch the open transaction would take */
  int64_t cvt;
  int64_t next_id[NTAB];
  int have[NTAB];               /* the table exists in the working state */
  int committed_have[NTAB];
  int rb;                       /* the section being written will be rolled back */
} Gen;

static uint64_t genRand(Gen *g, uint64_t n) { return tdbTestRand(&g->rng) % n; }

/* A text value: "ok"/"rb", a number, then 150..1149 letters. */
static void genText(Gen *g, char *out, size_t cap) {
  size_t n = 150 + (size_t)genRand(g, 1000), i, p;
  int w = snprintf(out, cap, "%s%llu-", g->rb ? "rb" : "ok",
                   (unsigned long long)genRand(g, 100000));
  p = w > 0 ? (size_t)w : 0;
  for (i = 0; i < n && p + 1 < cap; i++) out[p++] = (char)('a' + genRand(g, 26));
  out[p] = '\0';
}

/* Live keys of `tab` in the working state into ids (at most cap). */
static size_t genLive(Gen *g, int tab, int64_t *ids, size_t cap) {
  size_t i, n = 0;
  for (i = 0; i < g->w.n && n < cap; i++) {
    const Ver *v = &g->w.v[i];
    if (v->tab == tab && v->st == 0 && v->vt == VT_INF) ids[n++] = v->id;
  }
  return n;
}

static void modelInsert(Gen *g, int tab, int64_t id, int64_t x, int64_t y, const char *s) {
  Ver v;
  memset(&v, 0, sizeof v);
  v.tab = tab;
  v.id = id;
  v.x = x;
  v.y = y;
  v.s = (char *)s;
  v.vf = g->cvt;
  v.vt = VT_INF;
  v.sf = g->e;
  v.op = "INSERT";
  vsPush(&g->w, &v);
}

/* UPDATE of the open version of (tab, id) to (x, y, s) at the CVT. */
static void modelUpdate(Gen *g, int tab, int64_t id, int64_t x, int64_t y, const char *s) {
  Ver *v = vsOpen(&g->w, tab, id), old, piece;
  if (!v) abort();
  if (v->x == x && v->y == y && strcmp(v->s, s) == 0) return; /* no-op elision */
  if (v->sf == g->e) { /* pending: rewritten in place, the last statement's op */
    char *ns = strdup(s);
    if (!ns) abort();
    free(v->s);
    v->s = ns;
    v->x = x;
    v->y = y;
    v->op = "UPDATE";
    return;
  }
  v->st = g->e;
  old = *v;
  if (old.vf < g->cvt) {
    piece = old;
    piece.vt = g->cvt;
    piece.sf = g->e;
    piece.st = 0;
    piece.op = "UPDATE";
    vsPush(&g->w, &piece);
  }
  piece = old;
  piece.x = x;
  piece.y = y;
  piece.s = (char *)s;
  piece.vf = g->cvt;
  piece.vt = VT_INF;
  piece.sf = g->e;
  piece.st = 0;
  piece.op = "UPDATE";
  vsPush(&g->w, &piece);
}

static void modelDelete(Gen *g, int tab, int64_t id) {
  Ver *v = vsOpen(&g->w, tab, id), old;
  if (!v) abort();
  if (v->sf == g->e) { /* pending: it never exists */
    free(v->s);
    *v = g->w.v[--g->w.n];
    return;
  }
  v->st = g->e;
  old = *v;
  if (old.vf < g->cvt) {
    old.vt = g->cvt;
    old.sf = g->e;
    old.st = 0;
    old.op = "DELETE";
    vsPush(&g->w, &old);
  }
}

static const char *tabName(int tab) { return tab ? "entry" : "acct"; }

/* One random write statement (or the scripted failing one) on the working
** state; returns 1 if it is a write that succeeds. */
static int genOp(Gen *g, int allow_fail) {
  int64_t live[256];
  char s[1200];
  size_t nlive;
  int tab = g->have[1] && genRand(g, 2) ? 1 : 0;
  uint64_t r = genRand(g, 100);
  nlive = genLive(g, tab, live, 256);
  if (allow_fail && r < 8 && nlive) { /* a duplicate key: 23505, nothing changes */
    int64_t id = live[genRand(g, nlive)];
    if (tab == 0) addStep(STEP_FAILS, 0, "INSERT INTO acct VALUES (%lld, 'dup', 1)", (long long)id);
    else addStep(STEP_FAILS, 0, "INSERT INTO entry VALUES (%lld, 1, 1, 'dup')", (long long)id);
    gSteps[gNSteps - 1].state = "23505";
    return 0;
  }
  if (r < 40 || nlive < 3) { /* INSERT: a new key, or one with no live coverage */
    int64_t id = g->next_id[tab]++, x = (int64_t)genRand(g, 1000), y = 1 + (int64_t)genRand(g, 6);
    if (id > 1 && genRand(g, 3) == 0) { /* an older key: a deleted one comes back */
      int64_t cand = 1 + (int64_t)genRand(g, (uint64_t)id - 1);
      if (!vsOpen(&g->w, tab, cand)) {
        g->next_id[tab]--;
        id = cand;
      }
    }
    genText(g, s, sizeof s);
    if (tab == 0) {
      addStep(STEP_EXEC, 0, "INSERT INTO acct VALUES (%lld, '%s', %lld)", (long long)id, s,
              (long long)x);
    } else {
      addStep(STEP_EXEC, 0, "INSERT INTO entry (id, acct, amount, memo) VALUES (%lld, %lld, "
              "%lld, '%s')", (long long)id, (long long)y, (long long)x, s);
    }
    modelInsert(g, tab, id, x, tab ? y : 0, s);
    return 1;
  }
  if (r < 55) { /* a multi-row UPDATE */
    int64_t m = 2 + (int64_t)genRand(g, 3), rem = (int64_t)genRand(g, (uint64_t)m);
    size_t i;
    if (tab == 0) {
      addStep(STEP_EXEC, 0, "UPDATE acct SET bal = bal + 7 WHERE id %% %lld = %lld",
              (long long)m, (long long)rem);
    } else {
      addStep(STEP_EXEC, 0, "UPDATE entry SET amount = amount * 2 + 1 WHERE id %% %lld = %lld",
              (long long)m, (long long)rem);
    }
    for (i = 0; i < nlive; i++) {
      const Ver *v;
      if (live[i] % m != rem) continue;
      v = vsOpen(&g->w, tab, live[i]);
      if (tab == 0) modelUpdate(g, tab, live[i], v->x + 7, v->y, v->s);
      else modelUpdate(g, tab, live[i], v->x * 2 + 1, v->y, v->s);
    }
    return 1;
  }
  if (r < 85) { /* a single-row UPDATE of the text and a number */
    int64_t id = live[genRand(g, nlive)], x = (int64_t)genRand(g, 1000);
    int64_t y = 1 + (int64_t)genRand(g, 6);
    genText(g, s, sizeof s);
    if (tab == 0) {
      addStep(STEP_EXEC, 0, "UPDATE acct SET owner = '%s', bal = %lld WHERE id = %lld", s,
              (long long)x, (long long)id);
      modelUpdate(g, tab, id, x, 0, s);
    } else {
      addStep(STEP_EXEC, 0, "UPDATE entry SET memo = '%s', amount = %lld, acct = %lld WHERE "
              "id = %lld", s, (long long)x, (long long)y, (long long)id);
      modelUpdate(g, tab, id, x, y, s);
    }
    return 1;
  }
  { /* DELETE of one key */
    int64_t id = live[genRand(g, nlive)];
    addStep(STEP_EXEC, 0, "DELETE FROM %s WHERE id = %lld", tabName(tab), (long long)id);
    modelDelete(g, tab, id);
    return 1;
  }
}

/* n statements; returns how many were successful writes. */
static int genOps(Gen *g, int n, int allow_fail) {
  int i, wrote = 0;
  for (i = 0; i < n; i++) wrote += genOp(g, allow_fail);
  return wrote;
}

static void genSavepoint(Gen *g, const char *name) {
  addStep(STEP_EXEC, 0, "SAVEPOINT %s", name);
  if (g->nsp == 4) abort();
  memset(&g->sp[g->nsp], 0, sizeof g->sp[g->nsp]);
  vsCopy(&g->sp[g->nsp], &g->w);
  snprintf(g->spname[g->nsp], sizeof g->spname[0], "%s", name);
  g->nsp++;
}

static int genFindSp(Gen *g, const char *name) {
  int i;
  for (i = g->nsp - 1; i >= 0; i--)
    if (strcmp(g->spname[i], name) == 0) return i;
  abort();
}

static void genRollbackTo(Gen *g, const char *name, int have1) {
  int i = genFindSp(g, name), j;
  addStep(STEP_EXEC, 0, "ROLLBACK TO SAVEPOINT %s", name);
  vsCopy(&g->w, &g->sp[i]);
  for (j = i + 1; j < g->nsp; j++) vsFree(&g->sp[j]);
  g->nsp = i + 1;
  g->have[1] = have1;
}

static void genRelease(Gen *g, const char *name) {
  int i = genFindSp(g, name), j;
  addStep(STEP_EXEC, 0, "RELEASE SAVEPOINT %s", name);
  for (j = i; j < g->nsp; j++) vsFree(&g->sp[j]);
  g->nsp = i;
}

static void genBegin(Gen *g) {
  addStep(STEP_EXEC, 0, "BEGIN");
  vsCopy(&g->w, &g->committed);
  g->e = gEpochs + 1;
  g->rb = 0;
}

static void genCommit(Gen *g) {
  int j;
  gEpochs++;
  addStep(STEP_COMMIT, gEpochs, "COMMIT");
  vsCopy(&g->committed, &g->w);
  for (j = 0; j < g->nsp; j++) vsFree(&g->sp[j]);
  g->nsp = 0;
  memcpy(g->committed_have, g->have, sizeof g->have);
}

static void genRollback(Gen *g) {
  int j;
  addStep(STEP_EXEC, 0, "ROLLBACK");
  vsCopy(&g->w, &g->committed);
  for (j = 0; j < g->nsp; j++) vsFree(&g->sp[j]);
  g->nsp = 0;
  memcpy(g->have, g->committed_have, sizeof g->have);
  g->rb = 0;
}

static void makeWorkload(void) {
  Gen g;
  int t, j;
  memset(&g, 0, sizeof g);
  g.rng = gSeed;
  g.next_id[0] = g.next_id[1] = 1;
  for (t = 0; t < TX_COUNT; t++) {
    g.cvt = 1000 * (int64_t)(t + 1);
    if (t == TX_REOPEN_AT) addStep(STEP_REOPEN, 0, "(reopen)");
    addStep(STEP_EXEC, 0, "SET CURRENT_VALID_TIME = %lld", (long long)g.cvt);
    if (t == 0) { /* DDL + rows in one transaction */
      genBegin(&g);
      addStep(STEP_EXEC, 0, "CREATE TABLE acct (id INT PRIMARY KEY, owner TEXT, bal INT)");
      g.have[0] = 1;
      genOps(&g, 6, 0);
      genCommit(&g);
      gCreated[0] = gEpochs;
    } else if (t == 5) { /* the second table, filled and an acct change in one commit */
      genBegin(&g);
      addStep(STEP_EXEC, 0, "CREATE TABLE entry (id INT PRIMARY KEY, acct INT, amount INT, "
              "memo TEXT)");
      g.have[1] = 1;
      for (j = 0; j < 5; j++) genOp(&g, 0);
      genCommit(&g);
      gCreated[1] = gEpochs;
    } else if (t == 9 || t == 31) { /* DDL and rows, all rolled back */
      const char *ghost = t == 9 ? "ghost" : "ghost_late";
      genBegin(&g);
      g.rb = 1;
      addStep(STEP_EXEC, 0, "CREATE TABLE %s (g INT PRIMARY KEY, t TEXT)", ghost);
      addStep(STEP_EXEC, 0, "INSERT INTO %s VALUES (1, 'rb-ghost')", ghost);
      genOps(&g, 4, 1);
      genRollback(&g);
      gGhosts[gNGhosts++] = (char *)ghost;
    } else if (t == 12) { /* an index created inside a transaction with DML */
      genBegin(&g);
      genOp(&g, 0);
      addStep(STEP_EXEC, 0, "CREATE INDEX entry_acct ON entry (acct)");
      genOps(&g, 3, 0);
      genCommit(&g);
    } else if (t == 16) { /* DDL undone by ROLLBACK TO; then more writes */
      genBegin(&g);
      genOp(&g, 0);
      genSavepoint(&g, "s1");
      g.rb = 1;
      addStep(STEP_EXEC, 0, "CREATE TABLE ghost_sp (g INT PRIMARY KEY)");
      addStep(STEP_EXEC, 0, "INSERT INTO ghost_sp VALUES (7)");
      genOps(&g, 2, 0);
      genRollbackTo(&g, "s1", g.have[1]);
      g.rb = 0;
      genOps(&g, 2, 0);
      genCommit(&g);
      gGhosts[gNGhosts++] = "ghost_sp";
    } else if (t == 20) { /* nested savepoints */
      genBegin(&g);
      genSavepoint(&g, "a");
      g.rb = 1;
      genOps(&g, 2, 1);
      genSavepoint(&g, "b");
      genOps(&g, 2, 0);
      genRelease(&g, "b");
      genOp(&g, 0);
      genRollbackTo(&g, "a", g.have[1]);
      g.rb = 0;
      genOps(&g, 2, 0);
      genSavepoint(&g, "c");
      genOps(&g, 1, 0);
      genRelease(&g, "c");
      genCommit(&g);
    } else if (t == 27) { /* read-only: no epoch */
      addStep(STEP_EXEC, 0, "BEGIN");
      addStep(STEP_EXEC, 0, "SELECT count(*) FROM acct");
      addStep(STEP_EXEC, 0, "COMMIT");
    } else if (t % 8 == 3) { /* an autocommit statement */
      g.e = gEpochs + 1;
      vsCopy(&g.w, &g.committed);
      genOp(&g, 0);
      gEpochs++;
      gSteps[gNSteps - 1].kind = STEP_COMMIT;
      gSteps[gNSteps - 1].epoch = gEpochs;
      vsCopy(&g.committed, &g.w);
    } else {
      int rollback = genRand(&g, 6) == 0;
      genBegin(&g);
      g.rb = rollback;
      int wrote = genOps(&g, 1 + (int)genRand(&g, 3), 1);
      if (!wrote) genOp(&g, 0); /* at least one write: the transaction takes an epoch */
      if (genRand(&g, 3) == 0) {
        int undo = genRand(&g, 2) == 0;
        genSavepoint(&g, "sp");
        if (undo) g.rb = 1;
        genOps(&g, 1 + (int)genRand(&g, 2), 1);
        if (undo) genRollbackTo(&g, "sp", g.have[1]);
        else genRelease(&g, "sp");
        g.rb = rollback;
        genOps(&g, 1, 0); /* a write after it */
      }
      if (rollback) genRollback(&g);
      else genCommit(&g);
    }
  }
  vsCopy(&gFinal, &g.committed);
  vsFree(&g.committed);
  vsFree(&g.w);
}

/* ---- reading: the database and the model as text ----------------------------- */

typedef struct Buf {
  char *p;
  size_t n, cap;
} Buf;

static void bufAdd(Buf *b, const char *s) {
  size_t len = strlen(s);
  if (b->n + len + 1 > b->cap) {
    b->cap = (b->n + len + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  memcpy(b->p + b->n, s, len + 1);
  b->n += len;
}

static void bufReset(Buf *b) {
  b->n = 0;
  bufAdd(b, "");
}

/* The rows of sql as text: columns separated by '|', rows ended by '\n',
** NULL as "NULL"; an error as "ERROR <sqlstate>". */
static void dumpQuery(tdb *db, const char *sql, Buf *out) {
  tdb_stmt *st = NULL;
  int rc, c;
  bufReset(out);
  rc = tdb_prepare(db, sql, -1, &st, NULL);
  if (rc != TDB_OK || !st) {
    bufReset(out);
    bufAdd(out, "ERROR ");
    bufAdd(out, rc != TDB_OK ? tdb_sqlstate(db) : "(empty)");
    return;
  }
  while ((rc = tdb_step(st)) == TDB_ROW) {
    for (c = 0; c < tdb_column_count(st); c++) {
      const char *t = tdb_column_text(st, c);
      if (c) bufAdd(out, "|");
      bufAdd(out, t ? t : "NULL");
    }
    bufAdd(out, "\n");
  }
  if (rc != TDB_DONE) {
    bufReset(out);
    bufAdd(out, "ERROR ");
    bufAdd(out, tdb_sqlstate(db));
  }
  tdb_finalize(st);
}

static int64_t gSortMode; /* 0: (id, vf); 1: (id, sf, vf) */

static int cmpVer(const void *pa, const void *pb) {
  const Ver *a = *(const Ver *const *)pa, *b = *(const Ver *const *)pb;
  if (a->id != b->id) return a->id < b->id ? -1 : 1;
  if (gSortMode && a->sf != b->sf) return a->sf < b->sf ? -1 : 1;
  if (a->vf != b->vf) return a->vf < b->vf ? -1 : 1;
  return 0;
}

/* The shapes of the queries the checks run. */
enum {
  SHAPE_BITEMPORAL, /* AS OF e (or ALL): every column and pseudo-column */
  SHAPE_CURRENT,    /* SELECT *, _system_from at a valid time after every write */
  SHAPE_IDS         /* SELECT id */
};

/* The model's answer for table `tab` over the versions current at epoch e
** (e == 0: every version committed by `head`), as known at `head`; with
** shape SHAPE_CURRENT only the versions open in valid time, with acct_eq > 0
** only entry rows with that acct. */
static void modelRows(int tab, uint64_t e, uint64_t head, int shape, int64_t acct_eq, Buf *out) {
  const Ver **sel = malloc((gFinal.n + 1) * sizeof *sel);
  size_t i, n = 0;
  char line[1400], vt[32], st[32];
  if (!sel) abort();
  bufReset(out);
  for (i = 0; i < gFinal.n; i++) {
    const Ver *v = &gFinal.v[i];
    uint64_t stop = v->st && v->st <= head ? v->st : UINT64_MAX;
    if (v->tab != tab || v->sf > head) continue;
    if (e && !(v->sf <= e && e < stop)) continue;
    if (shape != SHAPE_BITEMPORAL && v->vt != VT_INF) continue;
    if (acct_eq && v->y != acct_eq) continue;
    sel[n++] = v;
  }
  gSortMode = e == 0;
  qsort(sel, n, sizeof *sel, cmpVer);
  for (i = 0; i < n; i++) {
    const Ver *v = sel[i];
    if (v->vt == VT_INF) snprintf(vt, sizeof vt, "NULL");
    else snprintf(vt, sizeof vt, "%lld", (long long)v->vt);
    if (v->st && v->st <= head) snprintf(st, sizeof st, "%llu", (unsigned long long)v->st);
    else snprintf(st, sizeof st, "NULL");
    if (shape == SHAPE_IDS) {
      snprintf(line, sizeof line, "%lld\n", (long long)v->id);
    } else if (shape == SHAPE_CURRENT) {
      if (tab == 0) {
        snprintf(line, sizeof line, "%lld|%s|%lld|%llu\n", (long long)v->id, v->s,
                 (long long)v->x, (unsigned long long)v->sf);
      } else {
        snprintf(line, sizeof line, "%lld|%lld|%lld|%s|%llu\n", (long long)v->id,
                 (long long)v->y, (long long)v->x, v->s, (unsigned long long)v->sf);
      }
    } else if (tab == 0) {
      snprintf(line, sizeof line, "%lld|%s|%lld|%lld|%s|%llu|%s|%s\n", (long long)v->id, v->s,
               (long long)v->x, (long long)v->vf, vt, (unsigned long long)v->sf, st, v->op);
    } else {
      snprintf(line, sizeof line, "%lld|%lld|%lld|%s|%lld|%s|%llu|%s|%s\n", (long long)v->id,
               (long long)v->y, (long long)v->x, v->s, (long long)v->vf, vt,
               (unsigned long long)v->sf, st, v->op);
    }
    bufAdd(out, line);
  }
  free(sel);
}

static const char *colsOf(int tab) {
  return tab ? "id, acct, amount, memo" : "id, owner, bal";
}

typedef struct Checker {
  tdb *db;
  const char *what;
  Buf got, want;
  int bad;
  long queries;
} Checker;

static void checkQuery(Checker *c, const char *sql, const char *state_or_null, int tab,
                       uint64_t e, uint64_t head, int shape, int64_t acct_eq) {
  if (c->bad) return;
  c->queries++;
  dumpQuery(c->db, sql, &c->got);
  if (state_or_null) {
    bufReset(&c->want);
    bufAdd(&c->want, "ERROR ");
    bufAdd(&c->want, state_or_null);
  } else {
    modelRows(tab, e, head, shape, acct_eq, &c->want);
  }
  if (strcmp(c->got.p, c->want.p) != 0) {
    tdbTestFail(__FILE__, __LINE__, "%s: head %llu: %s\n--- got:\n%.3000s--- want:\n%.3000s",
                c->what, (unsigned long long)head, sql, c->got.p, c->want.p);
    c->bad = 1;
  }
}

/* Checks (ii) and (iii) of the file comment on a connection whose head is
** `head`. */
static void checkContents(Checker *c, uint64_t head) {
  char sql[512];
  uint64_t e;
  int tab, i;
  if (tdb_exec(c->db, "SET CURRENT_VALID_TIME = " READ_CVT, NULL, NULL) != TDB_OK) {
    tdbTestFail(__FILE__, __LINE__, "%s: SET: %s", c->what, tdb_errmsg(c->db));
    c->bad = 1;
    return;
  }
  for (tab = 0; tab < NTAB; tab++) {
    const char *t = tabName(tab), *cols = colsOf(tab);
    if (head < gCreated[tab]) {
      snprintf(sql, sizeof sql, "SELECT * FROM %s", t);
      checkQuery(c, sql, "42P01", tab, 0, head, 0, 0);
      continue;
    }
    for (e = 1; e <= head; e++) {
      const char *not_yet = e < gCreated[tab] ? "42P01" : NULL;
      snprintf(sql, sizeof sql, "SELECT %s, _valid_from, _valid_to, _system_from, _system_to, "
               "_row_op FROM %s FOR SYSTEM_TIME AS OF %llu FOR APPLICATION_TIME ALL ORDER BY "
               "id, _valid_from", cols, t, (unsigned long long)e);
      checkQuery(c, sql, not_yet, tab, e, head, SHAPE_BITEMPORAL, 0);
      if (not_yet) continue;
      snprintf(sql, sizeof sql, "SELECT *, _system_from FROM %s AS OF %llu ORDER BY id", t,
               (unsigned long long)e);
      checkQuery(c, sql, NULL, tab, e, head, SHAPE_CURRENT, 0);
      if (tab == 1) {
        for (i = 1; i <= 2; i++) {
          snprintf(sql, sizeof sql, "SELECT id FROM entry AS OF %llu WHERE acct = %d ORDER BY "
                   "id", (unsigned long long)e, i);
          checkQuery(c, sql, NULL, tab, e, head, SHAPE_IDS, i);
        }
      }
    }
    snprintf(sql, sizeof sql, "SELECT %s, _valid_from, _valid_to, _system_from, _system_to, "
             "_row_op FROM %s FOR SYSTEM_TIME ALL FOR APPLICATION_TIME ALL ORDER BY id, "
             "_system_from, _valid_from", cols, t);
    checkQuery(c, sql, NULL, tab, 0, head, SHAPE_BITEMPORAL, 0);
    snprintf(sql, sizeof sql, "SELECT *, _system_from FROM %s ORDER BY id", t);
    checkQuery(c, sql, NULL, tab, head, head, SHAPE_CURRENT, 0);
    /* (iii) explicitly: no value written by rolled-back work, anywhere */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s FOR SYSTEM_TIME ALL FOR "
             "APPLICATION_TIME ALL INCLUDING DELETED WHERE %s LIKE 'rb%%'", t,
             tab ? "memo" : "owner");
    dumpQuery(c->db, sql, &c->got);
    if (!c->bad && strcmp(c->got.p, "0\n") != 0) {
      tdbTestFail(__FILE__, __LINE__, "%s: %s: %s", c->what, sql, c->got.p);
      c->bad = 1;
    }
  }
  for (i = 0; i < gNGhosts; i++) {
    snprintf(sql, sizeof sql, "SELECT * FROM %s", gGhosts[i]);
    checkQuery(c, sql, "42P01", 0, 0, head, 0, 0);
  }
}

/* ---- running ------------------------------------------------------------------ */

static void txnConfig(tdb_config *cfg) {
  tdb_config_default(cfg);
  cfg->memtable_bytes = 128 << 10;
  cfg->block_bytes = 1024;
  cfg->l0_compaction_trigger = 2;
  cfg->sync_mode = TDB_SYNC_FULL;
  cfg->threads = gThreads;
}

static int openDb(TdbVfs *vfs, tdb **out) {
  tdb_config cfg;
  int rc;
  txnConfig(&cfg);
  rc = tdbOpenVfs("db", &cfg, vfs, out);
  if (rc != TDB_OK) {
    tdb_close(*out);
    *out = NULL;
  }
  return rc;
}

typedef struct RunResult {
  uint64_t acked;      /* commits that returned TDB_OK */
  long failed_step;    /* the first step that did not go as scripted; -1: none */
  int open_failed;
} RunResult;

/* Run the script on `vfs` until the first step that does not go as
** scripted. `verbose`: report such a step as a failure (the clean run). */
static void runWorkload(TdbVfs *vfs, int verbose, RunResult *res) {
  tdb *db = NULL;
  size_t i;
  memset(res, 0, sizeof *res);
  res->failed_step = -1;
  if (openDb(vfs, &db) != TDB_OK) {
    res->open_failed = 1;
    res->failed_step = 0;
    return;
  }
  for (i = 0; i < gNSteps; i++) {
    const Step *s = &gSteps[i];
    int rc, ok;
    if (s->kind == STEP_REOPEN) {
      tdb_close(db);
      db = NULL;
      if (openDb(vfs, &db) != TDB_OK) {
        res->open_failed = 1;
        res->failed_step = (long)i;
        break;
      }
      continue;
    }
    rc = tdb_exec(db, s->sql, NULL, NULL);
    if (s->kind == STEP_FAILS) ok = rc != TDB_OK && strcmp(tdb_sqlstate(db), s->state) == 0;
    else ok = rc == TDB_OK;
    if (ok && s->kind == STEP_COMMIT && tdbStoreHead(db->store) != s->epoch) {
      tdbTestFail(__FILE__, __LINE__, "step %zu (%s) committed as epoch %llu, want %llu", i,
                  s->sql, (unsigned long long)tdbStoreHead(db->store),
                  (unsigned long long)s->epoch);
    }
    if (!ok) {
      if (verbose) {
        tdbTestFail(__FILE__, __LINE__, "clean run: step %zu: %.300s: rc %d [%s] %s", i, s->sql,
                    rc, tdb_sqlstate(db), tdb_errmsg(db));
      }
      res->failed_step = (long)i;
      break;
    }
    if (s->kind == STEP_COMMIT) res->acked++;
  }
  tdb_close(db);
}

typedef struct CrashStats {
  long cases, cut, not_reached, failed_present, failed_absent, open_failed, torn, queries;
} CrashStats;

/* Reopen after the crash and run every check (see the file comment). */
static void verifyAfterCrash(TdbVfs *vfs, const RunResult *res, const char *what,
                             CrashStats *st) {
  tdb *db = NULL;
  Checker c;
  uint64_t head, allowed;
  TdbStr report;
  TdbErr err;
  int rc;
  const Step *failed = res->failed_step >= 0 ? &gSteps[res->failed_step] : NULL;
  memset(&c, 0, sizeof c);
  c.what = what;
  rc = openDb(vfs, &db);
  if (rc != TDB_OK) {
    tdbTestFail(__FILE__, __LINE__, "%s: reopen after the crash: rc %d", what, rc);
    return;
  }
  c.db = db;
  head = tdbStoreHead(db->store);
  /* (i) a commit counts once it returned OK; only a failed COMMIT may be there */
  allowed = res->acked + (failed && failed->kind == STEP_COMMIT ? 1 : 0);
  if (failed && failed->kind == STEP_COMMIT && failed->epoch != res->acked + 1) {
    tdbTestFail(__FILE__, __LINE__, "%s: the failed commit is epoch %llu after %llu acked",
                what, (unsigned long long)failed->epoch, (unsigned long long)res->acked);
  }
  if (head < res->acked || head > allowed) {
    tdbTestFail(__FILE__, __LINE__, "%s: head %llu after the crash; %llu commits acknowledged, "
                "failed step %ld (%s)", what, (unsigned long long)head,
                (unsigned long long)res->acked, res->failed_step, failed ? failed->sql : "-");
    tdb_close(db);
    return;
  }
  if (getenv("TDB_TXN_CRASH_DUMP")) {
    printf("# %s: acked %llu, failed step %ld (%s), head %llu\n", what,
           (unsigned long long)res->acked, res->failed_step, failed ? failed->sql : "-",
           (unsigned long long)head);
  }
  if (head > res->acked) st->failed_present++;
  else if (failed && failed->kind == STEP_COMMIT) st->failed_absent++;
  if (sqlInt(db, "SELECT current_epoch()") != (int64_t)head) {
    tdbTestFail(__FILE__, __LINE__, "%s: current_epoch() %lld, store head %llu", what,
                (long long)sqlInt(db, "SELECT current_epoch()"), (unsigned long long)head);
  }
  /* (ii), (iii) */
  checkContents(&c, head);
  st->queries += c.queries;
  tdbErrInit(&err, &gMem);
  tdbStrInit(&report, &gMem);
  rc = tdbStoreCheck(db->store, &report, &err);
  if (rc != TDB_OK) {
    tdbTestFail(__FILE__, __LINE__, "%s: check after the crash: rc %d: %s", what, rc,
                tdbErrMessage(&err));
  }
  tdbStrClear(&report);
  tdbErrClear(&err);
  /* the recovered database takes a new transaction, and it survives a reopen */
  if (head >= gCreated[0]) {
    rc = tdb_exec(db, "BEGIN; INSERT INTO acct VALUES (999999, 'after', 1); COMMIT", NULL, NULL);
    if (rc != TDB_OK || tdbStoreHead(db->store) != head + 1) {
      tdbTestFail(__FILE__, __LINE__, "%s: write after recovery: rc %d head %llu: %s", what, rc,
                  (unsigned long long)tdbStoreHead(db->store), tdb_errmsg(db));
    }
    tdb_close(db);
    db = NULL;
    rc = openDb(vfs, &db);
    if (rc != TDB_OK || tdbStoreHead(db->store) != head + 1 ||
        sqlInt(db, "SELECT bal FROM acct WHERE id = 999999") != 1) {
      tdbTestFail(__FILE__, __LINE__, "%s: second reopen: rc %d head %llu, want %llu", what,
                  rc, (unsigned long long)(db ? tdbStoreHead(db->store) : 0),
                  (unsigned long long)head + 1);
    }
  }
  tdb_close(db);
  free(c.got.p);
  free(c.want.p);
}

/* One case: power cut at sync point k (0: none, the clean run) with a torn
** write keeping `tear` bytes (< 0: none). Returns the sync points seen. */
static uint64_t crashCase(uint64_t k, int64_t tear, CrashStats *st) {
  TdbVfs *inner = NULL, *fault = NULL;
  RunResult res;
  uint64_t points;
  char what[160];
  snprintf(what, sizeof what, "threads %d, crash at sync point %llu, tear %lld", gThreads,
           (unsigned long long)k, (long long)tear);
  tdbWatchdogArm(20, what); /* a hang in the workload or recovery fails the test */
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &inner), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, inner, &fault), TDB_OK);
  if (!fault) return 0;
  if (k) tdbFaultVfsCrashAtSync(fault, k);
  if (tear >= 0) tdbFaultVfsSetTear(fault, tear);
  runWorkload(fault, k == 0, &res);
  points = tdbFaultVfsSyncPoints(fault);
  if (k) {
    if (tdbFaultVfsPoweredOff(fault)) st->cut++;
    else st->not_reached++;
  }
  if (res.open_failed) st->open_failed++;
  if (tear >= 0) st->torn++;
  if (!k && res.acked != gEpochs) {
    tdbTestFail(__FILE__, __LINE__, "clean run: %llu of %llu commits acknowledged",
                (unsigned long long)res.acked, (unsigned long long)gEpochs);
  }
  CHECK_EQ(tdbFaultVfsCrash(fault), TDB_OK);
  tdbFaultVfsClearFaults(fault);
  verifyAfterCrash(fault, &res, what, st);
  tdbFaultVfsFree(fault);
  tdbVfsMemoryFree(inner);
  st->cases++;
  return points;
}

/* The clean run is checked like a crash (head = every epoch), then every
** sync point is cut. */
static void crashAll(int threads) {
  CrashStats st;
  uint64_t total, k;
  static const int64_t tears[] = {0, 1, 13, 200, 4096, (int64_t)1 << 30};
  int t = 0;
  gThreads = threads;
  memset(&st, 0, sizeof st);
  total = crashCase(0, -1, &st);
  CHECK(total > gEpochs); /* at least one sync per commit */
  for (k = 1; k <= total + 2 && tdbTestCurrentFailures == 0; k += gStride) {
    crashCase(k, -1, &st);
    if (k % 5 == 0) crashCase(k, tears[t++ % 6], &st);
  }
  /* nearly every point must have been reached (threads 1 varies a little) */
  CHECK(st.cut + 3 >= (long)(total / gStride));
  printf("# txn crash, threads %d: %llu epochs in %zu statements, %llu sync points in a clean run; %ld "
         "cases (%ld torn), power cut in %ld, not reached %ld; failed commit durable "
         "afterwards %ld, absent %ld; open failed during the workload %ld; %ld checking "
         "queries\n", threads, (unsigned long long)gEpochs, gNSteps, (unsigned long long)total, st.cases,
         st.torn, st.cut, st.not_reached, st.failed_present, st.failed_absent, st.open_failed,
         st.queries);
}

/* Inline flushes and compactions: the same sync sequence every run. */
static void testCrashEverySyncPointInline(void) { crashAll(0); }
/* A background thread: the cut lands in flushes/compactions racing commits. */
static void testCrashEverySyncPointThreaded(void) { crashAll(1); }

int main(void) {
  const char *stride = getenv("TDB_CRASH_STRIDE"), *seed = getenv("TDB_SEED");
  size_t i;
  tdbMemInit(&gMem, NULL);
  if (stride && *stride && strtoull(stride, NULL, 0) > 0) gStride = strtoull(stride, NULL, 0);
  if (seed && *seed) gSeed = strtoull(seed, NULL, 0);
  printf("# test_txn_crash: TDB_SEED=%llu TDB_CRASH_STRIDE=%llu\n", (unsigned long long)gSeed,
         (unsigned long long)gStride);
  makeWorkload();
  if (getenv("TDB_TXN_CRASH_DUMP")) { /* print the script */
    for (i = 0; i < gNSteps; i++) {
      printf("# %zu %d %llu %s\n", i, (int)gSteps[i].kind, (unsigned long long)gSteps[i].epoch,
             gSteps[i].sql);
    }
  }
  TEST_RUN(testCrashEverySyncPointInline);
  TEST_RUN(testCrashEverySyncPointThreaded);
  for (i = 0; i < gNSteps; i++) free(gSteps[i].sql);
  free(gSteps);
  vsFree(&gFinal);
  return tdbTestFinish();
}
