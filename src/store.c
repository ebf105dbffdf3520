/*
** store.c — the storage engine: open/recovery, group commit, reads, flush,
** compaction and verification (see store.h for the data flow).
**
** Locking: `mu` guards the commit queue, the memtable pointers, the current
** version, `head`, background state and the sticky error. Table and WAL I/O
** of flushes and compactions run without it; the commit leader writes the
** WAL without it while followers wait, so readers are never blocked by I/O.
**
** Without threads (TDB_THREADS == 0 or cfg->threads == 0) flushes and
** compactions run inline in the writer that needs them.
*/
#include "store.h"
#include "filename.h"
#include "ikey.h"
#include "manifest.h"
#include "tablecache.h"

#include <stdio.h>
#include <stdlib.h>

/* Wall-clocks of consecutive epochs first .. first + n - 1 not yet in a
** table file: the epoch clock of one memtable's commits (store.h). */
/* The head commit's wall-clock: every statement reads it at its start
** (tdbStoreHeadWall), so with threads it is an atomic that readers load
** without the store mutex; it is only written with the mutex held, after
** the head it belongs to. */
#if TDB_THREADS
#include <stdatomic.h>
typedef _Atomic(int64_t) TdbStoreWall;
#define TDB_WALL_GET(p) atomic_load_explicit((p), memory_order_acquire)
#define TDB_WALL_SET(p, v) atomic_store_explicit((p), (v), memory_order_release)
#else
typedef int64_t TdbStoreWall;
#define TDB_WALL_GET(p) (*(p))
#define TDB_WALL_SET(p, v) (*(p) = (v))
#endif

typedef struct TdbClockRun {
  uint64_t first;
  size_t n, cap;
  int64_t *wall;
} TdbClockRun;

static size_t tdbClockEntry(const TdbClockRun *run, size_t i, unsigned char *ck,
                            unsigned char *cv);

/* One waiting committer. */
typedef struct TdbCommitReq {
  const TdbBatch *batch;
  uint64_t epoch;
  int64_t at_wall;            /* tdbStoreWriteAt: the wall-clock to commit with, else 0 */
  int rc;
  int done;
  TdbErr *err;
  struct TdbCommitReq *next;
} TdbCommitReq;

struct TdbStore {
  TdbMem *mem;
  TdbVfs *vfs;
  int own_vfs;
  char *dir;
  tdb_config cfg;
  TdbVfsFile *lock_file;
  TdbMutex mu;
  TdbCond commit_cv;          /* a commit finished or the leader changed */
  TdbCond bg_cv;              /* background work to do, or done */
  /* write path */
  TdbCommitReq *queue, *queue_tail;
  TdbWalWriter *wal;
  uint64_t wal_number;
  TdbMemtable *active, *imm;
  uint64_t imm_last_epoch;    /* every epoch <= this is in imm or older */
  TdbClockRun clock_active;   /* the clock of the commits in active / imm: */
  TdbClockRun clock_imm;      /* written into the table file when it flushes */
  uint64_t head;              /* latest published epoch */
  TdbStoreWall head_wall;     /* its wall-clock (read without mu by
                              ** tdbStoreHeadWall; written with mu held) */
  uint64_t unsynced_records;  /* TDB_SYNC_NORMAL bookkeeping */
  int64_t last_sync_us;
  /* structure */
  TdbVersionSet vs;
  TdbTableCache *tables;
  unsigned char *compact_pointer[TDB_LEVELS_MAX];  /* round-robin per level */
  size_t compact_pointer_len[TDB_LEVELS_MAX];
  /* background */
  int threaded;
  TdbThread bg;
  int bg_started, bg_active, bg_requested, shutting_down;
  int manual_compaction;      /* tdbStoreCompact is waiting */
  int writer_busy;            /* the commit leader is writing without mu */
  TdbStr rec;                 /* the leader's WAL records (while writer_busy),
                              ** kept between groups up to TDB_STORE_REC_KEEP */
  int sync_ready;             /* mu and the conds exist */
  int sticky_rc;              /* a failed durable write: refuse writes */
  char sticky_msg[320];
  TdbErr bg_err;
  /* retention: keyspaces whose keys keep only the versions live readers
  ** need (tdbStoreSetLatestKeyspace), and the epochs readers have pinned */
  uint8_t latest_ks[256];
  /* watched keyspaces (tdbStoreWatchKeyspace) and the latest epoch that
  ** wrote a key in one of them (0: none since the store opened) */
  uint8_t watch_ks[256];
  uint64_t watch_epoch;
  uint64_t *pins;
  size_t npins, cap_pins;
  /* PURGE: history floors per key prefix (tdbStoreSetHistoryFloor), and an
  ** erasure in progress (tdbStoreErase: background compactions wait) */
  TdbStoreFloor *floors;
  size_t nfloors;
  int erasing;
};

/* ---- small helpers -------------------------------------------------------------- */

static void tdbStoreLog(TdbStore *s, int level, const char *msg) {
  if (s->cfg.log_fn) s->cfg.log_fn(s->cfg.log_ctx, level, msg);
}

/* Enter the sticky error state after a failed durable write (mu held). */
static void tdbStoreSetSticky(TdbStore *s, int rc, const char *msg) {
  if (s->sticky_rc) return;
  s->sticky_rc = rc;
  snprintf(s->sticky_msg, sizeof s->sticky_msg, "%s", msg);
  tdbStoreLog(s, TDB_LOG_ERROR, s->sticky_msg);
}

static int tdbStoreStickyError(TdbStore *s, TdbErr *err) {
  return tdbErrSet(err, s->sticky_rc, NULL,
                   "the database refuses writes after an earlier failure: %s", s->sticky_msg);
}

static uint64_t tdbLevelBudget(const TdbStore *s, int level) {
  uint64_t b = TDB_DEFAULT_L1_BYTES;
  int i;
  for (i = 1; i < level; i++) b *= (uint64_t)s->cfg.level_size_ratio;
  return b;
}

/* How urgently a level needs compaction: >= 1 means now. */
static double tdbLevelScore(const TdbStore *s, const TdbVersion *v, int level) {
  if (level == 0) return (double)v->nfiles[0] / (double)s->cfg.l0_compaction_trigger;
  return (double)tdbVersionLevelBytes(v, level) / (double)tdbLevelBudget(s, level);
}

/* The level most in need of compaction (never the last), or -1. A manual
** compaction (`force`) first merges every level down into the deepest one
** that holds tables, whatever the scores: the shallowest non-empty level
** above it goes next (L0 into L1 when only L0 has tables). Every version
** and deletion of a key then meets in one merge, so what no reader can see
** goes (latest keyspaces) and a current-state scan steps over nothing. */
static int tdbStorePickLevel(const TdbStore *s, const TdbVersion *v, int force) {
  int l, best = -1;
  double best_score = 1.0;
  if (force && v->nlevels > 1) {
    int deepest = v->nlevels - 1;
    while (deepest > 0 && v->nfiles[deepest] == 0) deepest--;
    if (deepest == 0 && v->nfiles[0] > 0) return 0;
    for (l = 0; l < deepest; l++) {
      if (v->nfiles[l] > 0) return l;
    }
  }
  for (l = 0; l + 1 < v->nlevels; l++) {
    double score = tdbLevelScore(s, v, l);
    if (score >= best_score) {
      best = l;
      best_score = score;
    }
  }
  return best;
}

/* ---- obsolete files ------------------------------------------------------------------ */

/* FileMeta callback: the last version holding table `number` is gone. */
static void tdbStoreTableObsolete(void *ctx, uint64_t number) {
  TdbStore *s = ctx;
  char *path;
  if (s->shutting_down == 2) return; /* closing: the files stay */
  tdbTableCacheEvict(s->tables, number);
  path = tdbFileName(s->mem, s->dir, TDB_FILE_TABLE, number);
  if (path) s->vfs->remove_file(s->vfs, path, NULL);
  tdbMemFree(s->mem, path);
}

static void tdbStoreWatch(TdbStore *s, TdbFileMeta *f) {
  f->on_obsolete = tdbStoreTableObsolete;
  f->obsolete_ctx = s;
}

/* Remove WAL files older than the version set's log number. */
static void tdbStoreRemoveOldLogs(TdbStore *s, uint64_t below) {
  uint64_t n;
  for (n = below; n > 0; n--) {
    char *path = tdbFileName(s->mem, s->dir, TDB_FILE_LOG, n - 1);
    int exists = 0;
    if (!path) return;
    s->vfs->file_exists(s->vfs, path, &exists, NULL);
    if (exists) s->vfs->remove_file(s->vfs, path, NULL);
    tdbMemFree(s->mem, path);
    if (!exists && below - n > 64) break; /* older ones were removed before */
  }
}

/* ---- flush ------------------------------------------------------------------------------ */

/* Write the immutable memtable to an L0 table and log the edit (mu held;
** released during the table I/O). */
static int tdbStoreFlushImm(TdbStore *s, TdbErr *err) {
  TdbMemtable *imm = s->imm;
  TdbTableWriter *w = NULL;
  TdbFileMeta *meta = NULL;
  TdbVersionEdit edit;
  TdbIter *it;
  uint64_t number = tdbVsNewFileNumber(&s->vs);
  int rc = TDB_OK;
  tdbMemtableRef(imm);
  tdbMutexUnlock(&s->mu);
  it = tdbMemtableIterNew(s->mem, imm);
  if (!it) rc = tdbErrNoMem(err);
  if (rc == TDB_OK && (tdbMemtableCount(imm) > 0 || s->clock_imm.n > 0)) {
    /* the memtable's entries merged with its epoch clock, in key order */
    const TdbClockRun *run = &s->clock_imm; /* stable: only a switch changes it */
    unsigned char ck[TDB_EPOCH_CLOCK_KEY_LEN + TDB_IKEY_TAG_SIZE], cv[8];
    size_t ci = 0, ckn = 0;
    rc = tdbTableWriterOpen(s->mem, s->vfs, s->dir, &s->cfg, number, &w, err);
    if (rc == TDB_OK) tdbTableWriterFillCache(w, s->tables, s->latest_ks);
    if (rc == TDB_OK && run->n > 0) ckn = tdbClockEntry(run, 0, ck, cv);
    for (tdbIterSeekFirst(it); rc == TDB_OK && tdbIterValid(it); tdbIterNext(it)) {
      size_t kn, vn;
      const unsigned char *k = tdbIterKey(it, &kn), *v = tdbIterValue(it, &vn);
      while (rc == TDB_OK && ci < run->n && tdbIkeyCompare(ck, ckn, k, kn) < 0) {
        rc = tdbTableWriterAdd(w, ck, ckn, cv, sizeof cv, err);
        if (++ci < run->n) ckn = tdbClockEntry(run, ci, ck, cv);
      }
      if (rc == TDB_OK) rc = tdbTableWriterAdd(w, k, kn, v, vn, err);
    }
    while (rc == TDB_OK && ci < run->n) {
      rc = tdbTableWriterAdd(w, ck, ckn, cv, sizeof cv, err);
      if (++ci < run->n) ckn = tdbClockEntry(run, ci, ck, cv);
    }
    if (rc == TDB_OK) rc = tdbTableWriterFinish(w, &meta, err);
  }
  tdbIterFree(it);
  tdbMutexLock(&s->mu);
  tdbEditInit(&edit);
  if (rc == TDB_OK && meta) {
    tdbStoreWatch(s, meta);
    rc = tdbEditAddFile(s->mem, &edit, 0, meta);
    if (rc != TDB_OK) rc = tdbErrNoMem(err);
  }
  if (rc == TDB_OK) {
    edit.has_last_epoch = 1;
    edit.last_epoch = s->imm_last_epoch;
    /* the memtable's logs are older than the active one; while recovering
    ** there is no active log yet and the replayed ones must stay */
    edit.has_log_number = 1;
    edit.log_number = s->wal_number ? s->wal_number : s->vs.log_number;
    rc = tdbVsLogAndApply(&s->vs, &edit, err);
  }
  tdbEditClear(s->mem, &edit);
  tdbFileMetaUnref(s->mem, meta); /* the version holds it now (or it is removed) */
  tdbTableWriterFree(w);
  tdbMemtableUnref(imm);
  if (rc == TDB_OK) {
    tdbMemtableUnref(s->imm);
    s->imm = NULL;
    s->clock_imm.n = 0; /* in the table file now */
    tdbStoreRemoveOldLogs(s, s->vs.log_number);
  }
  tdbCondBroadcast(&s->bg_cv);
  return rc;
}

/* ---- compaction ---------------------------------------------------------------------- */

/* User key of an internal key. */
static const unsigned char *tdbUk(const unsigned char *ik, size_t n, size_t *un) {
  *un = n >= TDB_IKEY_TAG_SIZE ? n - TDB_IKEY_TAG_SIZE : n;
  return ik;
}

/* Pick the inputs of one compaction out of `level` (mu held). in[0] are the
** level's files, in[1] the overlapping ones of level + 1. */
static int tdbStorePickInputs(TdbStore *s, const TdbVersion *v, int level,
                              TdbFileMeta ***in0, int *n0, size_t *c0,
                              TdbFileMeta ***in1, int *n1, size_t *c1) {
  const unsigned char *lo = NULL, *hi = NULL;
  size_t lon = 0, hin = 0;
  int i, rc = TDB_OK;
  if (level == 0) {
    /* L0 files overlap: take all of them */
    for (i = 0; rc == TDB_OK && i < v->nfiles[0]; i++) {
      void *arr = *in0;
      if (tdbMemGrow(s->mem, &arr, c0, (size_t)*n0 + 1, sizeof(TdbFileMeta *)) != 0) {
        return TDB_NOMEM;
      }
      *in0 = arr;
      (*in0)[(*n0)++] = v->files[0][i];
    }
  } else {
    /* round robin: the first file after the last compacted key */
    int pick = 0;
    if (s->compact_pointer[level]) {
      pick = tdbVersionFindFile(v, level, s->compact_pointer[level],
                                s->compact_pointer_len[level]);
      while (pick < v->nfiles[level] &&
             tdbIkeyCompare(v->files[level][pick]->largest, v->files[level][pick]->largest_len,
                            s->compact_pointer[level], s->compact_pointer_len[level]) <= 0) {
        pick++;
      }
      if (pick >= v->nfiles[level]) pick = 0;
    }
    {
      void *arr = *in0;
      if (tdbMemGrow(s->mem, &arr, c0, 1, sizeof(TdbFileMeta *)) != 0) return TDB_NOMEM;
      *in0 = arr;
      (*in0)[(*n0)++] = v->files[level][pick];
    }
  }
  for (i = 0; i < *n0; i++) {
    size_t sn, ln;
    const unsigned char *sk = tdbUk((*in0)[i]->smallest, (*in0)[i]->smallest_len, &sn);
    const unsigned char *lk = tdbUk((*in0)[i]->largest, (*in0)[i]->largest_len, &ln);
    if (!lo || tdbIkeyCompareUser(sk, sn, lo, lon) < 0) {
      lo = sk;
      lon = sn;
    }
    if (!hi || tdbIkeyCompareUser(lk, ln, hi, hin) > 0) {
      hi = lk;
      hin = ln;
    }
  }
  rc = tdbVersionOverlapping(s->mem, v, level + 1, lo, lon, hi, hin, in1, n1, c1);
  return rc;
}

/* The oldest epoch a reader has pinned, or the head (mu held). */
static uint64_t tdbStoreMinPin(const TdbStore *s) {
  uint64_t m = s->head;
  size_t i;
  for (i = 0; i < s->npins; i++) {
    if (s->pins[i] < m) m = s->pins[i];
  }
  return m;
}

TDB_PRIVATE void tdbStoreSetLatestKeyspace(TdbStore *s, int first_byte) {
  tdbMutexLock(&s->mu);
  s->latest_ks[first_byte & 0xff] = 1;
  tdbMutexUnlock(&s->mu);
}

TDB_PRIVATE void tdbStoreWatchKeyspace(TdbStore *s, int first_byte) {
  tdbMutexLock(&s->mu);
  s->watch_ks[first_byte & 0xff] = 1;
  tdbMutexUnlock(&s->mu);
}

TDB_PRIVATE int tdbStorePinSnapshot(TdbStore *s, uint64_t *epoch) {
  return tdbStorePinSnapshotWatch(s, epoch, NULL);
}

TDB_PRIVATE int tdbStorePinSnapshotWatch(TdbStore *s, uint64_t *epoch, uint64_t *watch) {
  int rc = TDB_OK;
  tdbMutexLock(&s->mu);
  if (s->npins == s->cap_pins) {
    size_t cap = s->cap_pins ? s->cap_pins * 2 : 8;
    uint64_t *grown = tdbMemRealloc(s->mem, s->pins, sizeof *grown * cap);
    if (!grown) rc = TDB_NOMEM;
    else {
      s->pins = grown;
      s->cap_pins = cap;
    }
  }
  if (rc == TDB_OK) s->pins[s->npins++] = *epoch = s->head;
  if (rc == TDB_OK && watch) *watch = s->watch_epoch;
  tdbMutexUnlock(&s->mu);
  return rc;
}

TDB_PRIVATE void tdbStoreUnpinSnapshot(TdbStore *s, uint64_t epoch) {
  size_t i;
  tdbMutexLock(&s->mu);
  for (i = 0; i < s->npins; i++) {
    if (s->pins[i] == epoch) {
      s->pins[i] = s->pins[--s->npins];
      break;
    }
  }
  tdbMutexUnlock(&s->mu);
}

/* The history floor of user key k: the largest floor of a prefix of k, 0 if
** none (floors[0..n) as tdbStoreFloors copies them). */
TDB_PRIVATE uint64_t tdbStoreFloorOf(const TdbStoreFloor *floors, size_t n,
                                     const unsigned char *k, size_t kn) {
  uint64_t best = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    if (floors[i].n <= kn && memcmp(floors[i].prefix, k, floors[i].n) == 0 &&
        floors[i].floor > best) {
      best = floors[i].floor;
    }
  }
  return best;
}

/* The erasure bound of user key k in the sorted set e[0..n): versions with
** an epoch below it are erased; 0 when k is not in the set. */
static uint64_t tdbStoreEraseBound(const TdbEraseKey *e, size_t n, const unsigned char *k,
                                   size_t kn) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = tdbIkeyCompareUser(e[mid].key, e[mid].n, k, kn);
    if (c == 0) return e[mid].below;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

/* What a merge keeps (taken under mu, used without it). */
typedef struct TdbMergeRules {
  uint64_t min_pin;           /* latest keyspaces: the oldest pinned snapshot */
  const TdbVersion *base;     /* NULL, or: the merge writes level out_level of */
  int out_level;              /* this version (deletions may go, see below) */
  TdbStoreFloor *floors;      /* history floors (a copy) */
  size_t nfloors;
  const TdbEraseKey *erase;   /* tdbStoreErase's keys, sorted; NULL: none */
  size_t nerase;
} TdbMergeRules;

/* Does a level below r->out_level of r->base hold user key uk? Called with
** ascending keys: below[l] is the first file of level l that may hold the
** key, and only moves forward. */
static int tdbMergeKeyBelow(const TdbMergeRules *r, int *below, const unsigned char *uk,
                            size_t un) {
  int l;
  for (l = r->out_level + 1; l < r->base->nlevels; l++) {
    int n = r->base->nfiles[l];
    while (below[l] < n) {
      const TdbFileMeta *f = r->base->files[l][below[l]];
      size_t ln;
      const unsigned char *lk = tdbUk(f->largest, f->largest_len, &ln);
      if (tdbIkeyCompareUser(lk, ln, uk, un) >= 0) break;
      below[l]++;
    }
    if (below[l] < n) {
      const TdbFileMeta *f = r->base->files[l][below[l]];
      size_t sn;
      const unsigned char *sk = tdbUk(f->smallest, f->smallest_len, &sn);
      if (tdbIkeyCompareUser(sk, sn, uk, un) <= 0) return 1;
    }
  }
  return 0;
}

/* Merge the table files in[0..n) (mu NOT held) into new tables cut only
** between user keys, appended to *outs. Per user key, newest version first:
**   - "latest" keyspaces keep the versions newer than min_pin and the newest
**     one at or below it (older ones no reader can see); when that one is a
**     deletion and no level below the output (of r->base) holds the key, it
**     goes too: every reader sees the key absent either way;
**   - under a history floor f (PURGE HISTORY), a version whose next newer
**     version in the merge has an epoch <= f was closed at or before f: it
**     is dropped (a newer version outside the inputs is not seen, so the
**     version is kept: never more is dropped than the rule says);
**   - a key of the erase set loses every version with an epoch below its
**     bound (PURGE). */
static int tdbStoreMergeFiles(TdbStore *s, TdbFileMeta **in, int n, const TdbMergeRules *r,
                              TdbFileMeta ***outs_io, int *nouts_io, size_t *couts_io,
                              TdbErr *err) {
  TdbFileMeta **outs = *outs_io;
  size_t couts = *couts_io;
  int nouts = *nouts_io, i, rc = TDB_OK;
  TdbIter **kids = NULL, *merged = NULL;
  TdbTableWriter *w = NULL;
  unsigned char *last_user = NULL;
  size_t last_user_n = 0, last_user_cap = 0;
  int kept_old = 0;           /* this user key already kept a version <= min_pin */
  uint64_t floor = 0, erase_below = 0, newer = 0; /* per user key */
  int below[TDB_LEVELS_MAX] = {0}; /* per level under the output: tdbMergeKeyBelow */
  kids = tdbMemAlloc(s->mem, sizeof(TdbIter *) * (size_t)(n > 0 ? n : 1));
  if (!kids) rc = tdbErrNoMem(err);
  for (i = 0; rc == TDB_OK && i < n; i++) {
    kids[i] = tdbTableCacheIter(s->tables, in[i], err);
    if (!kids[i]) {
      int j;
      for (j = 0; j < i; j++) tdbIterFree(kids[j]);
      rc = tdbErrNoMem(err);
    }
  }
  if (rc == TDB_OK) {
    merged = tdbIterMerge(s->mem, kids, n);
    if (!merged) rc = tdbErrNoMem(err);
  }
  if (rc == TDB_OK) tdbIterSeekFirst(merged);
  while (rc == TDB_OK && tdbIterValid(merged)) {
    size_t kn, vn, un;
    const unsigned char *k = tdbIterKey(merged, &kn), *val = tdbIterValue(merged, &vn);
    const unsigned char *uk = tdbUk(k, kn, &un);
    int new_user = !last_user || tdbIkeyCompareUser(uk, un, last_user, last_user_n) != 0;
    TdbIkeyParsed pk;
    int parsed = kn >= TDB_IKEY_TAG_SIZE && tdbIkeyDecode(k, kn, &pk) == TDB_OK;
    if (new_user) {
      void *buf = last_user;
      if (tdbMemGrow(s->mem, &buf, &last_user_cap, un ? un : 1, 1) != 0) {
        rc = tdbErrNoMem(err);
        break;
      }
      last_user = buf; /* before any version is dropped: the next is no new key */
      if (un) memcpy(last_user, uk, un);
      last_user_n = un;
      kept_old = 0;
      newer = 0;
      floor = r->nfloors ? tdbStoreFloorOf(r->floors, r->nfloors, uk, un) : 0;
      erase_below = r->nerase ? tdbStoreEraseBound(r->erase, r->nerase, uk, un) : 0;
    }
    if (parsed) {
      uint64_t closer = newer;
      newer = pk.seq;
      if (erase_below && pk.seq < erase_below) { /* erased */
        tdbIterNext(merged);
        continue;
      }
      if (floor && closer && closer <= floor) { /* closed before the history floor */
        tdbIterNext(merged);
        continue;
      }
      if (un > 0 && s->latest_ks[uk[0]] && pk.seq <= r->min_pin) {
        if (kept_old && !new_user) { /* shadowed for every reader: drop it */
          tdbIterNext(merged);
          continue;
        }
        kept_old = 1;
        if (pk.kind == TDB_KIND_DELETE && r->base && !tdbMergeKeyBelow(r, below, uk, un)) {
          tdbIterNext(merged); /* older versions in the inputs follow: shadowed, dropped */
          continue;
        }
      }
    }
    if (w && new_user && tdbTableWriterSize(w) >= TDB_TARGET_FILE_BYTES) {
      TdbFileMeta *meta = NULL;
      void *arr = outs;
      rc = tdbTableWriterFinish(w, &meta, err);
      if (rc == TDB_OK &&
          tdbMemGrow(s->mem, &arr, &couts, (size_t)nouts + 1, sizeof *outs) != 0) {
        tdbFileMetaUnref(s->mem, meta);
        rc = tdbErrNoMem(err);
      }
      if (rc != TDB_OK) break;
      outs = arr;
      outs[nouts++] = meta;
      tdbTableWriterFree(w);
      w = NULL;
    }
    if (!w) {
      uint64_t number;
      tdbMutexLock(&s->mu);
      number = tdbVsNewFileNumber(&s->vs);
      tdbMutexUnlock(&s->mu);
      rc = tdbTableWriterOpen(s->mem, s->vfs, s->dir, &s->cfg, number, &w, err);
      if (rc != TDB_OK) break;
      tdbTableWriterFillCache(w, s->tables, s->latest_ks);
    }
    rc = tdbTableWriterAdd(w, k, kn, val, vn, err);
    if (rc == TDB_OK) tdbIterNext(merged);
  }
  if (rc == TDB_OK && merged) rc = tdbIterStatus(merged);
  if (rc == TDB_OK && w) {
    TdbFileMeta *meta = NULL;
    void *arr = outs;
    rc = tdbTableWriterFinish(w, &meta, err);
    if (rc == TDB_OK && tdbMemGrow(s->mem, &arr, &couts, (size_t)nouts + 1, sizeof *outs) != 0) {
      tdbFileMetaUnref(s->mem, meta);
      rc = tdbErrNoMem(err);
    }
    if (rc == TDB_OK) {
      outs = arr;
      outs[nouts++] = meta;
    }
  }
  tdbIterFree(merged);
  tdbMemFree(s->mem, kids);
  tdbTableWriterFree(w);
  tdbMemFree(s->mem, last_user);
  *outs_io = outs;
  *nouts_io = nouts;
  *couts_io = couts;
  return rc;
}

/* Copy the history floors for a merge (mu held). */
static int tdbStoreRulesInit(TdbStore *s, TdbMergeRules *r) {
  memset(r, 0, sizeof *r);
  r->min_pin = tdbStoreMinPin(s);
  if (s->nfloors) {
    r->floors = tdbMemAlloc(s->mem, sizeof *r->floors * s->nfloors);
    if (!r->floors) return TDB_NOMEM;
    memcpy(r->floors, s->floors, sizeof *r->floors * s->nfloors);
    r->nfloors = s->nfloors;
  }
  return TDB_OK;
}

/* Run one compaction from `level` (mu held; released during the I/O): the
** level's chosen files and the overlapping ones below merge into level + 1
** (tdbStoreMergeFiles says which versions stay). */
static int tdbStoreCompactLevel(TdbStore *s, int level, TdbErr *err) {
  TdbVersion *v = s->vs.current;
  TdbFileMeta **in0 = NULL, **in1 = NULL, **outs = NULL, **all = NULL;
  size_t c0 = 0, c1 = 0, couts = 0;
  int n0 = 0, n1 = 0, nouts = 0, i, rc;
  TdbVersionEdit edit;
  TdbMergeRules rules;
  tdbVersionRef(v);
  tdbEditInit(&edit);
  rc = tdbStoreRulesInit(s, &rules);
  rules.base = v; /* referenced until the merge is done */
  rules.out_level = level + 1;
  if (rc == TDB_OK) rc = tdbStorePickInputs(s, v, level, &in0, &n0, &c0, &in1, &n1, &c1);
  if (rc != TDB_OK) {
    rc = tdbErrNoMem(err);
    goto done_locked;
  }
  if (n0 == 1 && n1 == 0) {
    /* trivial move: nothing to merge with below */
    rc = tdbEditDeleteFile(s->mem, &edit, level, in0[0]->number);
    if (rc == TDB_OK) rc = tdbEditAddFile(s->mem, &edit, level + 1, in0[0]);
    if (rc != TDB_OK) rc = tdbErrNoMem(err);
    else rc = tdbVsLogAndApply(&s->vs, &edit, err);
    goto remember_pointer;
  }
  tdbMutexUnlock(&s->mu);
  all = tdbMemAlloc(s->mem, sizeof *all * (size_t)(n0 + n1));
  if (!all) rc = tdbErrNoMem(err);
  else {
    for (i = 0; i < n0; i++) all[i] = in0[i];
    for (i = 0; i < n1; i++) all[n0 + i] = in1[i];
    rc = tdbStoreMergeFiles(s, all, n0 + n1, &rules, &outs, &nouts, &couts, err);
  }
  tdbMemFree(s->mem, all);
  tdbMutexLock(&s->mu);
  for (i = 0; i < nouts; i++) tdbStoreWatch(s, outs[i]);
  if (rc == TDB_OK) {
    for (i = 0; rc == TDB_OK && i < n0; i++) rc = tdbEditDeleteFile(s->mem, &edit, level, in0[i]->number);
    for (i = 0; rc == TDB_OK && i < n1; i++) rc = tdbEditDeleteFile(s->mem, &edit, level + 1, in1[i]->number);
    for (i = 0; rc == TDB_OK && i < nouts; i++) rc = tdbEditAddFile(s->mem, &edit, level + 1, outs[i]);
    if (rc != TDB_OK) rc = tdbErrNoMem(err);
    else rc = tdbVsLogAndApply(&s->vs, &edit, err);
  }
  for (i = 0; i < nouts; i++) tdbFileMetaUnref(s->mem, outs[i]);
  tdbMemFree(s->mem, outs);
remember_pointer:
  if (rc == TDB_OK && level > 0 && n0 > 0) {
    unsigned char *copy = tdbMemAlloc(s->mem, in0[n0 - 1]->largest_len);
    if (copy) {
      memcpy(copy, in0[n0 - 1]->largest, in0[n0 - 1]->largest_len);
      tdbMemFree(s->mem, s->compact_pointer[level]);
      s->compact_pointer[level] = copy;
      s->compact_pointer_len[level] = in0[n0 - 1]->largest_len;
    }
  }
done_locked:
  tdbEditClear(s->mem, &edit);
  tdbMemFree(s->mem, in0);
  tdbMemFree(s->mem, in1);
  tdbMemFree(s->mem, rules.floors);
  tdbVersionUnref(s->mem, v);
  tdbCondBroadcast(&s->bg_cv);
  return rc;
}

/* ---- background work ---------------------------------------------------------------------- */

/* Do whatever is due: flush, then compactions (mu held). A failure is sticky:
** background writes must not be half-trusted. */
static void tdbStoreDoWork(TdbStore *s) {
  int rc = TDB_OK;
  while (!s->sticky_rc && rc == TDB_OK) {
    int level;
    if (s->imm) {
      rc = tdbStoreFlushImm(s, &s->bg_err);
      continue;
    }
    if (s->shutting_down || s->erasing) break; /* tdbStoreErase owns the levels */
    level = tdbStorePickLevel(s, s->vs.current, s->manual_compaction);
    if (level < 0) break;
    rc = tdbStoreCompactLevel(s, level, &s->bg_err);
  }
  if (rc != TDB_OK) tdbStoreSetSticky(s, rc, tdbErrMessage(&s->bg_err));
}

#if TDB_THREADS
/* TDB_SYNC_NORMAL: sync the WAL when records have waited sync_interval_ms
** (mu held; released during the sync, with the WAL reserved like a leader). */
static void tdbStoreTimedSync(TdbStore *s) {
  int64_t now = s->vfs->now_us(s->vfs);
  int rc;
  if (s->cfg.sync_mode != TDB_SYNC_NORMAL || s->unsynced_records == 0 || s->writer_busy ||
      s->sticky_rc || !s->wal ||
      now - s->last_sync_us < (int64_t)s->cfg.sync_interval_ms * 1000) {
    return;
  }
  s->writer_busy = 1;
  tdbMutexUnlock(&s->mu);
  rc = tdbWalSync(s->wal);
  tdbMutexLock(&s->mu);
  s->writer_busy = 0;
  if (rc == TDB_OK) {
    s->unsynced_records = 0;
    s->last_sync_us = now;
  } else {
    tdbStoreSetSticky(s, rc, "periodic sync of the write-ahead log failed");
  }
  tdbCondBroadcast(&s->commit_cv);
}

static void tdbStoreBackgroundMain(void *arg) {
  TdbStore *s = arg;
  tdbMutexLock(&s->mu);
  /* at shutdown, flush what is pending unless writes already failed */
  while (!(s->shutting_down && (!s->imm || s->sticky_rc))) {
    if (!s->bg_requested) {
      if (s->cfg.sync_mode == TDB_SYNC_NORMAL) {
        tdbCondTimedWait(&s->bg_cv, &s->mu, s->cfg.sync_interval_ms);
        tdbStoreTimedSync(s);
      } else {
        tdbCondWait(&s->bg_cv, &s->mu);
      }
      continue;
    }
    s->bg_requested = 0;
    s->bg_active = 1;
    tdbStoreDoWork(s);
    s->bg_active = 0;
    tdbCondBroadcast(&s->bg_cv);
  }
  tdbMutexUnlock(&s->mu);
}
#endif

/* Ask for background work (mu held); inline without a thread. */
static void tdbStoreScheduleWork(TdbStore *s) {
  if (s->threaded) {
    s->bg_requested = 1;
    tdbCondBroadcast(&s->bg_cv);
  } else if (!s->bg_active) {
    s->bg_active = 1;
    tdbStoreDoWork(s);
    s->bg_active = 0;
  }
}

/* Wait until no background work is pending or running (mu held). */
static void tdbStoreWaitIdle(TdbStore *s) {
  while (s->threaded && (s->bg_requested || s->bg_active)) tdbCondWait(&s->bg_cv, &s->mu);
}

/* ---- WAL files ------------------------------------------------------------------------------ */

/* Bytes a synced WAL grows by at a time (zeros written ahead of the log). */
#define TDB_STORE_WAL_PREALLOC ((size_t)1 << 20)

/* Start a new WAL file (mu held). */
static int tdbStoreNewWal(TdbStore *s, TdbErr *err) {
  uint64_t number = tdbVsNewFileNumber(&s->vs);
  char *path = tdbFileName(s->mem, s->dir, TDB_FILE_LOG, number);
  TdbWalWriter *w = NULL;
  TdbVfsErr verr;
  int rc;
  memset(&verr, 0, sizeof verr);
  if (!path) return tdbErrNoMem(err);
  rc = tdbWalWriterOpen(s->mem, s->vfs, path, number, 0, &w, &verr);
  if (rc == TDB_OK) rc = s->vfs->sync_dir(s->vfs, s->dir, &verr);
  tdbMemFree(s->mem, path);
  if (rc != TDB_OK) {
    tdbWalWriterClose(w);
    return tdbErrFromVfs(err, rc, &verr, "create write-ahead log");
  }
  /* a log synced at commits grows by preallocated zeros: each sync then
  ** flushes data, not also the new file size (wal.h); not in memory, where
  ** a sync costs nothing and the zeros would only take room */
  if (s->cfg.sync_mode != TDB_SYNC_OFF &&
      !(s->vfs->name && strcmp(s->vfs->name, "memory") == 0)) {
    tdbWalWriterPreallocate(w, TDB_STORE_WAL_PREALLOC);
  }
  if (s->wal) {
    /* the old log must be complete on disk before its memtable is trusted
    ** to it alone */
    tdbWalSync(s->wal);
    tdbWalWriterClose(s->wal);
  }
  s->wal = w;
  s->wal_number = number;
  return TDB_OK;
}

/* Turn the active memtable into the immutable one (mu held, no imm yet).
** Every committed epoch is in it or older, empty batches included, so its
** flush records them all. */
static void tdbStoreSwitchMemtable(TdbStore *s, TdbMemtable *fresh) {
  TdbClockRun spare = s->clock_imm; /* empty: no imm yet */
  s->imm = s->active;
  s->imm_last_epoch = s->head;
  s->active = fresh;
  s->clock_imm = s->clock_active;
  s->clock_active = spare;
  s->clock_active.n = 0;
}

/* Make room in the memtable for a write (mu held): switch to a new memtable
** and log when full, waiting for the previous flush if it is still running. */
static int tdbStoreMakeRoom(TdbStore *s, TdbErr *err) {
  for (;;) {
    if (s->sticky_rc) return tdbStoreStickyError(s, err);
    if (s->vs.current->nfiles[0] >= TDB_L0_STOP_FILES && s->threaded) {
      tdbStoreScheduleWork(s);
      tdbCondWait(&s->bg_cv, &s->mu);
      continue;
    }
    /* (an empty memtable always has room: its arena block alone may exceed
    ** a tiny memtable_bytes) */
    if (tdbMemtableApproximateBytes(s->active) + s->clock_active.n * 32 < s->cfg.memtable_bytes ||
        (tdbMemtableCount(s->active) == 0 && s->clock_active.n == 0)) {
      return TDB_OK;
    }
    if (s->imm) {
      tdbStoreScheduleWork(s);
      if (s->imm && s->threaded) tdbCondWait(&s->bg_cv, &s->mu);
      continue;
    }
    {
      TdbMemtable *fresh = tdbMemtableNew(s->mem);
      int rc;
      if (!fresh) return tdbErrNoMem(err);
      rc = tdbStoreNewWal(s, err);
      if (rc != TDB_OK) {
        tdbMemtableUnref(fresh);
        return rc;
      }
      tdbStoreSwitchMemtable(s, fresh);
      tdbStoreScheduleWork(s);
    }
  }
}

/* ---- group commit ----------------------------------------------------------------------------- */

typedef struct TdbApplyCtx {
  TdbMemtable *mt;
  uint64_t epoch;
  const uint8_t *watch;  /* the store's watched keyspaces */
  int watched;           /* set when an op wrote a watched key */
  uint32_t ops;          /* ops of the record seen so far */
  TdbMemtableEntry held; /* the first of them, added with the second */
} TdbApplyCtx;

static void tdbStoreEntryOf(TdbMemtableEntry *e, const TdbBatchOp *op) {
  e->kind = op->kind;
  e->key = op->key;
  e->klen = op->klen;
  e->value = op->value;
  e->vlen = op->vlen;
}

/* The ops come in key order (tdbBatchForEachLast): the first two, far apart
** as a rule (an UPDATE's current row and history piece, an INSERT's row and
** its index entry), go in together so their skiplist searches overlap; the
** rest one by one, found from the finger (an UPDATE's new history piece
** follows the closed one). The op data lives in the record, which outlives
** the walk, so the first is held (pointers into it) until the second comes (or
** tdbStoreApplyRecord adds it alone). */
static int tdbStoreApplyOp(void *ctx, const TdbBatchOp *op) {
  TdbApplyCtx *a = ctx;
  if (op->klen > 0 && a->watch[((const unsigned char *)op->key)[0]]) a->watched = 1;
  if (a->ops < 2) {
    if (a->ops++ == 0) {
      tdbStoreEntryOf(&a->held, op);
      return TDB_OK;
    } else {
      TdbMemtableEntry second;
      tdbStoreEntryOf(&second, op);
      return tdbMemtableAddPair(a->mt, a->epoch, &a->held, &second);
    }
  }
  return tdbMemtableAdd(a->mt, a->epoch, op->kind, op->key, op->klen, op->value, op->vlen);
}

/* Add the last op of every key of the batch record rec[0..n) to a->mt at
** a->epoch (a->watched set when one wrote a watched keyspace). */
static int tdbStoreApplyRecord(TdbApplyCtx *a, TdbMem *mem, const unsigned char *rec, size_t n) {
  int rc;
  a->ops = 0;
  rc = tdbBatchForEachLast(mem, rec, n, tdbStoreApplyOp, a);
  if (rc == TDB_OK && a->ops == 1) {
    rc = tdbMemtableAdd(a->mt, a->epoch, a->held.kind, a->held.key, a->held.klen, a->held.value,
                        a->held.vlen);
  }
  return rc;
}

/* The epoch clock (store.h): key TDB_EPOCH_CLOCK_PREFIX | epoch (8 B BE)
** -> wall-clock (8 B BE, sign bit flipped). A commit only appends its
** wall-clock to the active memtable's clock run (no memtable insert: the
** commit path stays one batch); the flush of that memtable writes the run
** into the table file, merged in key order, at each entry's own epoch. The
** WAL record carries the wall-clock, so recovery rebuilds the run and the
** log grows by nothing. */
static void tdbEpochClockKey(unsigned char *k, uint64_t epoch) {
  int i;
  k[0] = TDB_EPOCH_CLOCK_PREFIX0;
  k[1] = TDB_EPOCH_CLOCK_PREFIX1;
  for (i = 0; i < 8; i++) k[2 + i] = (unsigned char)(epoch >> (56 - 8 * i));
}

/* Entry i of a run as an internal key (ck) and value (cv); its key length. */
static size_t tdbClockEntry(const TdbClockRun *run, size_t i, unsigned char *ck,
                            unsigned char *cv) {
  unsigned char k[TDB_EPOCH_CLOCK_KEY_LEN];
  uint64_t epoch = run->first + i, u = (uint64_t)run->wall[i] ^ (UINT64_C(1) << 63);
  int j;
  tdbEpochClockKey(k, epoch);
  for (j = 0; j < 8; j++) cv[j] = (unsigned char)(u >> (56 - 8 * j));
  return tdbIkeyEncode(ck, k, sizeof k, epoch, TDB_KIND_VALUE);
}

/* Room for `more` entries (before the commits that append them). */
static int tdbClockReserve(TdbStore *s, TdbClockRun *run, size_t more) {
  size_t cap;
  int64_t *grown;
  if (run->n + more <= run->cap) return TDB_OK;
  cap = run->cap ? run->cap * 2 : 256;
  while (cap < run->n + more) cap *= 2;
  grown = tdbMemRealloc(s->mem, run->wall, cap * sizeof *grown);
  if (!grown) return TDB_NOMEM;
  run->wall = grown;
  run->cap = cap;
  return TDB_OK;
}

/* Append wall(epoch) to a reserved run: epochs follow each other. */
static void tdbClockAppend(TdbClockRun *run, uint64_t epoch, int64_t wall) {
  if (run->n == 0) run->first = epoch;
  run->wall[run->n++] = wall;
}

static int tdbClockFind(const TdbClockRun *run, uint64_t epoch, int64_t *wall) {
  if (run->n == 0 || epoch < run->first || epoch - run->first >= run->n) return 0;
  *wall = run->wall[epoch - run->first];
  return 1;
}

/* Whether this group must be synced (mu held). */
static int tdbStoreWantSync(TdbStore *s, int nrecords, int64_t now) {
  switch (s->cfg.sync_mode) {
    case TDB_SYNC_OFF: return 0;
    case TDB_SYNC_NORMAL:
      s->unsynced_records += (uint64_t)nrecords;
      if (s->unsynced_records >= (uint64_t)s->cfg.sync_interval_records ||
          now - s->last_sync_us >= (int64_t)s->cfg.sync_interval_ms * 1000) {
        return 1;
      }
      return 0;
    default: return 1;
  }
}

#define TDB_GROUP_MAX 64

/* The WAL record buffer the commit leader keeps between groups: bytes. */
#define TDB_STORE_REC_KEEP ((size_t)1 << 20)

/* The leader commits up to TDB_GROUP_MAX queued batches (mu held on entry and
** exit): epochs in queue order, one WAL record each, one sync. */
static void tdbStoreCommitGroup(TdbStore *s) {
  TdbCommitReq *group[TDB_GROUP_MAX], *r;
  size_t offs[TDB_GROUP_MAX + 1];
  int64_t walls[TDB_GROUP_MAX];  /* the group's wall-clocks, for the epoch clock */
  TdbStr *rec = &s->rec;
  TdbErr *err;
  uint64_t first = s->head + 1;
  int64_t wall = TDB_WALL_GET(&s->head_wall), now;
  uint64_t watched = 0;       /* the group's last epoch that wrote a watched key */
  int n = 0, i, rc, sync;
  TdbMemtable *mt;
  err = s->queue->err;
  rc = tdbStoreMakeRoom(s, err);
  if (rc != TDB_OK) {
    /* only the leader's request fails; others retry as leaders */
    r = s->queue;
    s->queue = r->next;
    if (!s->queue) s->queue_tail = NULL;
    r->rc = rc;
    r->done = 1;
    tdbCondBroadcast(&s->commit_cv);
    return;
  }
  for (r = s->queue; r && n < TDB_GROUP_MAX; r = r->next) group[n++] = r;
  if (tdbClockReserve(s, &s->clock_active, (size_t)n) != TDB_OK) {
    r = s->queue; /* as above: only the leader's request fails */
    s->queue = r->next;
    if (!s->queue) s->queue_tail = NULL;
    r->rc = tdbErrNoMem(err);
    r->done = 1;
    tdbCondBroadcast(&s->commit_cv);
    return;
  }
  now = s->vfs->now_us(s->vfs);
  sync = tdbStoreWantSync(s, n, now);
  mt = s->active;
  tdbMemtableRef(mt);
  s->writer_busy = 1;
  tdbMutexUnlock(&s->mu);
  /* WAL: one record per batch, with its epoch and wall-clock, encoded once
  ** into `rec` (offs[i] is where record i starts) */
  rec->n = 0;
  rec->oom = 0;
  rc = TDB_OK;
  for (i = 0; rc == TDB_OK && i < n; i++) {
    /* strictly increasing wall-clocks; a restored commit brings its own
    ** (tdbStoreWriteAt checked that it is after the head's) */
    wall = group[i]->at_wall ? group[i]->at_wall : now > wall ? now : wall + 1;
    group[i]->epoch = first + (uint64_t)i;
    walls[i] = wall;
    offs[i] = rec->n;
    rc = tdbBatchEncode(group[i]->batch, group[i]->epoch, wall, rec);
  }
  offs[n] = rec->n;
  for (i = 0; rc == TDB_OK && i < n; i++) {
    rc = tdbWalAppend(s->wal, rec->z + offs[i], offs[i + 1] - offs[i]);
  }
  if (rc == TDB_OK && sync) rc = tdbWalSync(s->wal);
  /* memtable: only the leader inserts, so the single-writer rule holds */
  for (i = 0; rc == TDB_OK && i < n; i++) {
    TdbApplyCtx a;
    a.mt = mt;
    a.epoch = group[i]->epoch;
    a.watch = s->watch_ks; /* set before the store is shared: read without mu */
    a.watched = 0;
    rc = tdbStoreApplyRecord(&a, s->mem, (const unsigned char *)rec->z + offs[i],
                             offs[i + 1] - offs[i]);
    if (a.watched) watched = a.epoch;
  }
  if (rec->cap > TDB_STORE_REC_KEEP || rec->oom) tdbStrClear(rec);
  tdbMemtableUnref(mt);
  tdbMutexLock(&s->mu);
  s->writer_busy = 0;
  if (rc == TDB_OK) {
    /* the memtable cannot have switched: only a leader (us) or a flush
    ** that waits for writer_busy switches it */
    for (i = 0; i < n; i++) tdbClockAppend(&s->clock_active, first + (uint64_t)i, walls[i]);
    s->head = first + (uint64_t)n - 1;
    TDB_WALL_SET(&s->head_wall, wall);
    if (watched) s->watch_epoch = watched; /* published with the head */
    if (sync) {
      s->unsynced_records = 0;
      s->last_sync_us = now;
    }
  } else {
    const TdbVfsErr *verr = tdbWalWriterErr(s->wal);
    char msg[300];
    snprintf(msg, sizeof msg, "commit of epoch %llu failed: %s", (unsigned long long)first,
             verr && verr->msg[0] ? verr->msg : tdb_errstr(rc));
    /* the log may now hold part of a group: never trust this state */
    tdbStoreSetSticky(s, rc, msg);
  }
  for (i = 0; i < n; i++) {
    r = group[i];
    if (rc != TDB_OK) {
      r->rc = tdbErrSet(r->err, rc, NULL, "%s", s->sticky_msg);
    }
    r->done = 1;
  }
  s->queue = group[n - 1]->next;
  if (!s->queue) s->queue_tail = NULL;
  tdbCondBroadcast(&s->commit_cv);
}

/* Queue req and wait until it is committed (mu NOT held). A request with
** at_wall must be the next epoch `at_epoch` with a wall-clock after the
** head's, and is only accepted when no other commit is queued (so it leads
** its group and gets exactly head + 1). */
static int tdbStoreSubmit(TdbStore *s, TdbCommitReq *req, uint64_t at_epoch) {
  TdbErr *err = req->err;
  tdbMutexLock(&s->mu);
  if (s->sticky_rc) {
    int rc = tdbStoreStickyError(s, err);
    tdbMutexUnlock(&s->mu);
    return rc;
  }
  if (s->cfg.read_only) {
    tdbMutexUnlock(&s->mu);
    return tdbErrSet(err, TDB_READONLY, NULL, "the database was opened read-only");
  }
  if (req->at_wall) {
    int rc = TDB_OK;
    if (s->queue || s->writer_busy) {
      rc = tdbErrSet(err, TDB_BUSY, NULL, "cannot commit epoch %llu at a given time while "
                     "another commit is in progress", (unsigned long long)at_epoch);
    } else if (at_epoch != s->head + 1) {
      rc = tdbErrSet(err, TDB_MISUSE, NULL, "cannot commit epoch %llu: the next epoch is %llu",
                     (unsigned long long)at_epoch, (unsigned long long)(s->head + 1));
    } else if (s->head > 0 && req->at_wall <= TDB_WALL_GET(&s->head_wall)) { /* epoch 0 has no clock */
      rc = tdbErrSet(err, TDB_CORRUPT, NULL, "epoch %llu: wall-clock %lld is not after the "
                     "wall-clock %lld of epoch %llu", (unsigned long long)at_epoch,
                     (long long)req->at_wall, (long long)TDB_WALL_GET(&s->head_wall),
                     (unsigned long long)s->head);
    }
    if (rc != TDB_OK) {
      tdbMutexUnlock(&s->mu);
      return rc;
    }
  }
  if (s->queue_tail) s->queue_tail->next = req;
  else s->queue = req;
  s->queue_tail = req;
  while (!req->done) {
    if (s->queue == req && !s->writer_busy) tdbStoreCommitGroup(s);
    else tdbCondWait(&s->commit_cv, &s->mu);
  }
  tdbMutexUnlock(&s->mu);
  return req->rc;
}

TDB_PRIVATE int tdbStoreWrite(TdbStore *s, const TdbBatch *b, uint64_t *epoch, TdbErr *err) {
  TdbCommitReq req;
  int rc;
  if (b->oom) return tdbErrNoMem(err);
  memset(&req, 0, sizeof req);
  req.batch = b;
  req.err = err;
  rc = tdbStoreSubmit(s, &req, 0);
  if (rc == TDB_OK && epoch) *epoch = req.epoch;
  return rc;
}

TDB_PRIVATE int tdbStoreWriteAt(TdbStore *s, const TdbBatch *b, uint64_t epoch, int64_t wall,
                                TdbErr *err) {
  TdbCommitReq req;
  if (b->oom) return tdbErrNoMem(err);
  if (wall <= 0) {
    return tdbErrSet(err, TDB_CORRUPT, NULL, "epoch %llu: wall-clock %lld is not a time",
                     (unsigned long long)epoch, (long long)wall);
  }
  memset(&req, 0, sizeof req);
  req.batch = b;
  req.err = err;
  req.at_wall = wall;
  return tdbStoreSubmit(s, &req, epoch);
}

TDB_PRIVATE int64_t tdbStoreHeadWall(TdbStore *s) {
  return TDB_WALL_GET(&s->head_wall); /* every statement's start: no lock */
}

TDB_PRIVATE TdbMem *tdbStoreMem(TdbStore *s) { return s->mem; }

TDB_PRIVATE uint64_t tdbStoreHead(TdbStore *s) {
  uint64_t h;
  tdbMutexLock(&s->mu);
  h = s->head;
  tdbMutexUnlock(&s->mu);
  return h;
}

/* ---- reads ------------------------------------------------------------------------------------ */

/* Pin what a read needs (mu held). */
typedef struct TdbReadState {
  TdbMemtable *active, *imm;
  TdbVersion *v;
  uint64_t as_of;
} TdbReadState;

static int tdbStorePin(TdbStore *s, uint64_t as_of, TdbReadState *rs, TdbErr *err) {
  tdbMutexLock(&s->mu);
  if (as_of > s->head) {
    uint64_t head = s->head;
    tdbMutexUnlock(&s->mu);
    return tdbErrSet(err, TDB_RANGE, NULL, "epoch %llu is beyond the latest commit (%llu)",
                     (unsigned long long)as_of, (unsigned long long)head);
  }
  rs->as_of = as_of ? as_of : s->head;
  rs->active = s->active;
  rs->imm = s->imm;
  rs->v = s->vs.current;
  tdbMemtableRef(rs->active);
  if (rs->imm) tdbMemtableRef(rs->imm);
  tdbVersionRef(rs->v);
  tdbMutexUnlock(&s->mu);
  return TDB_OK;
}

static void tdbStoreUnpin(TdbStore *s, TdbReadState *rs) {
  tdbMemtableUnref(rs->active);
  tdbMemtableUnref(rs->imm);
  tdbMutexLock(&s->mu);
  tdbVersionUnref(s->mem, rs->v);
  tdbMutexUnlock(&s->mu);
}

static int tdbMemtableLookup(TdbMemtable *mt, const void *key, size_t klen, uint64_t as_of,
                             TdbStr *value, int *found, int *kind, TdbErr *err) {
  const unsigned char *v;
  size_t vn;
  int rc = tdbMemtableGet(mt, key, klen, as_of, found, kind, &v, &vn);
  if (rc != TDB_OK) return tdbErrNoMem(err);
  if (*found && *kind == TDB_KIND_VALUE) {
    tdbStrAppend(value, (const char *)v, vn);
    if (value->oom) return tdbErrNoMem(err);
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbStoreGet(TdbStore *s, uint64_t as_of, const void *key, size_t klen,
                            TdbStr *value, int *found, TdbErr *err) {
  TdbReadState rs;
  unsigned char stack_seek[256], *seek = stack_seek;
  size_t seekn;
  int rc, kind = TDB_KIND_DELETE, hit = 0, l, i;
  value->n = 0;
  *found = 0;
  rc = tdbStorePin(s, as_of, &rs, err);
  if (rc != TDB_OK) return rc;
  rc = tdbMemtableLookup(rs.active, key, klen, rs.as_of, value, &hit, &kind, err);
  if (rc == TDB_OK && !hit && rs.imm) {
    rc = tdbMemtableLookup(rs.imm, key, klen, rs.as_of, value, &hit, &kind, err);
  }
  if (rc == TDB_OK && !hit) {
    if (klen + TDB_IKEY_TAG_SIZE > sizeof stack_seek) {
      seek = tdbMemAlloc(s->mem, klen + TDB_IKEY_TAG_SIZE);
      if (!seek) rc = tdbErrNoMem(err);
    }
  }
  if (rc == TDB_OK && !hit) {
    seekn = tdbIkeySeekKey(seek, key, klen, rs.as_of);
    for (l = 0; rc == TDB_OK && !hit && l < rs.v->nlevels; l++) {
      const TdbVersion *v = rs.v;
      if (l == 0) {
        for (i = 0; rc == TDB_OK && !hit && i < v->nfiles[0]; i++) {
          const TdbFileMeta *f = v->files[0][i];
          size_t sn, ln;
          const unsigned char *sk = tdbUk(f->smallest, f->smallest_len, &sn);
          const unsigned char *lk = tdbUk(f->largest, f->largest_len, &ln);
          if (tdbIkeyCompareUser(key, klen, sk, sn) < 0 ||
              tdbIkeyCompareUser(key, klen, lk, ln) > 0 || f->min_epoch > rs.as_of) {
            continue;
          }
          rc = tdbTableCacheGet(s->tables, f, seek, seekn, key, klen, &hit, &kind, value, err);
        }
      } else if (v->nfiles[l] > 0) {
        i = tdbVersionFindFile(v, l, seek, seekn);
        if (i < v->nfiles[l]) {
          const TdbFileMeta *f = v->files[l][i];
          size_t sn;
          const unsigned char *sk = tdbUk(f->smallest, f->smallest_len, &sn);
          if (tdbIkeyCompareUser(key, klen, sk, sn) >= 0 && f->min_epoch <= rs.as_of) {
            rc = tdbTableCacheGet(s->tables, f, seek, seekn, key, klen, &hit, &kind, value,
                                  err);
          }
        }
      }
    }
  }
  if (seek != stack_seek) tdbMemFree(s->mem, seek);
  tdbStoreUnpin(s, &rs);
  if (rc == TDB_OK) *found = hit && kind == TDB_KIND_VALUE;
  return rc;
}

/* A level of sorted, disjoint files as one iterator: opens the file that
** covers the position, moving to the neighbour at either end. */
typedef struct TdbLevelIter {
  TdbIter base;
  TdbStore *s;
  TdbVersion *v;
  int level, index;
  TdbIter *file;
  TdbErr *err;
  int rc;
} TdbLevelIter;

static void tdbLevelOpen(TdbLevelIter *li, int index) {
  tdbIterFree(li->file);
  li->file = NULL;
  li->index = index;
  if (index < 0 || index >= li->v->nfiles[li->level]) return;
  li->file = tdbTableCacheIter(li->s->tables, li->v->files[li->level][index], li->err);
  if (!li->file) li->rc = TDB_NOMEM;
}

/* Skip files that turn out empty in the direction of travel. */
static void tdbLevelSettle(TdbLevelIter *li, int forward) {
  while (li->file && !tdbIterValid(li->file)) {
    int rc = tdbIterStatus(li->file);
    if (rc != TDB_OK) {
      li->rc = rc;
      return;
    }
    tdbLevelOpen(li, li->index + (forward ? 1 : -1));
    if (li->file) {
      if (forward) tdbIterSeekFirst(li->file);
      else tdbIterSeekLast(li->file);
    }
  }
}

static int tdbLiValid(TdbIter *it) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  return li->rc == TDB_OK && li->file && tdbIterValid(li->file);
}
static void tdbLiSeekFirst(TdbIter *it) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  tdbLevelOpen(li, 0);
  if (li->file) tdbIterSeekFirst(li->file);
  tdbLevelSettle(li, 1);
}
static void tdbLiSeekLast(TdbIter *it) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  tdbLevelOpen(li, li->v->nfiles[li->level] - 1);
  if (li->file) tdbIterSeekLast(li->file);
  tdbLevelSettle(li, 0);
}
static void tdbLiSeek(TdbIter *it, const unsigned char *k, size_t n) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  int idx = tdbVersionFindFile(li->v, li->level, k, n);
  if (!li->file || li->index != idx) tdbLevelOpen(li, idx);
  if (li->file) tdbIterSeek(li->file, k, n);
  tdbLevelSettle(li, 1);
}
static void tdbLiNext(TdbIter *it) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  tdbIterNext(li->file);
  tdbLevelSettle(li, 1);
}
static void tdbLiPrev(TdbIter *it) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  tdbIterPrev(li->file);
  tdbLevelSettle(li, 0);
}
static const unsigned char *tdbLiKey(TdbIter *it, size_t *n) {
  return tdbIterKey(((TdbLevelIter *)it)->file, n);
}
static const unsigned char *tdbLiValue(TdbIter *it, size_t *n) {
  return tdbIterValue(((TdbLevelIter *)it)->file, n);
}
static int tdbLiStatus(TdbIter *it) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  if (li->rc != TDB_OK) return li->rc;
  return li->file ? tdbIterStatus(li->file) : TDB_OK;
}
static void tdbLiDestroy(TdbIter *it) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  tdbIterFree(li->file);
  tdbMemFree(li->s->mem, li);
}

/* Visit file by file (files of a level are disjoint and ordered). */
static int tdbLiVisit(TdbIter *it, const unsigned char *bound, size_t bn, TdbIterVisitFn fn,
                      void *ctx) {
  TdbLevelIter *li = (TdbLevelIter *)it;
  while (tdbLiValid(it)) {
    int r = tdbIterVisit(li->file, bound, bn, fn, ctx);
    if (tdbIterValid(li->file)) return r; /* stopped by fn or at the bound */
    tdbLevelSettle(li, 1);                /* the file ended: the next one */
    if (r) return r;
  }
  return 0;
}

static const TdbIterMethods tdbLevelIterMethods = {
    tdbLiValid, tdbLiSeekFirst, tdbLiSeekLast, tdbLiSeek,   tdbLiNext,
    tdbLiPrev,  tdbLiKey,       tdbLiValue,    tdbLiStatus, tdbLiDestroy,
    tdbLiVisit};

/* The pinned state as one internal iterator; the read state is released when
** it is destroyed. */
typedef struct TdbPinnedIter {
  TdbIter base;
  TdbStore *s;
  TdbReadState rs;
  TdbIter *merged;
} TdbPinnedIter;

static int tdbPiValid(TdbIter *it) { return tdbIterValid(((TdbPinnedIter *)it)->merged); }
static void tdbPiSeekFirst(TdbIter *it) { tdbIterSeekFirst(((TdbPinnedIter *)it)->merged); }
static void tdbPiSeekLast(TdbIter *it) { tdbIterSeekLast(((TdbPinnedIter *)it)->merged); }
static void tdbPiSeek(TdbIter *it, const unsigned char *k, size_t n) {
  tdbIterSeek(((TdbPinnedIter *)it)->merged, k, n);
}
static void tdbPiNext(TdbIter *it) { tdbIterNext(((TdbPinnedIter *)it)->merged); }
static void tdbPiPrev(TdbIter *it) { tdbIterPrev(((TdbPinnedIter *)it)->merged); }
static const unsigned char *tdbPiKey(TdbIter *it, size_t *n) {
  return tdbIterKey(((TdbPinnedIter *)it)->merged, n);
}
static const unsigned char *tdbPiValue(TdbIter *it, size_t *n) {
  return tdbIterValue(((TdbPinnedIter *)it)->merged, n);
}
static int tdbPiStatus(TdbIter *it) { return tdbIterStatus(((TdbPinnedIter *)it)->merged); }
static void tdbPiDestroy(TdbIter *it) {
  TdbPinnedIter *pi = (TdbPinnedIter *)it;
  tdbIterFree(pi->merged);
  tdbStoreUnpin(pi->s, &pi->rs);
  tdbMemFree(pi->s->mem, pi);
}

static int tdbPiVisit(TdbIter *it, const unsigned char *bound, size_t bn, TdbIterVisitFn fn,
                      void *ctx) {
  return tdbIterVisit(((TdbPinnedIter *)it)->merged, bound, bn, fn, ctx);
}

static const TdbIterMethods tdbPinnedIterMethods = {
    tdbPiValid, tdbPiSeekFirst, tdbPiSeekLast, tdbPiSeek,   tdbPiNext,
    tdbPiPrev,  tdbPiKey,       tdbPiValue,    tdbPiStatus, tdbPiDestroy,
    tdbPiVisit};

TDB_PRIVATE int tdbStoreInternalIter(TdbStore *s, uint64_t as_of, TdbMemtable *pending, TdbErr *err,
                                     TdbIter **out, uint64_t *resolved) {
  TdbPinnedIter *pi;
  TdbIter **kids;
  int n = 0, l, i, rc;
  *out = NULL;
  pi = tdbMemAllocZero(s->mem, sizeof *pi);
  if (!pi) return tdbErrNoMem(err);
  rc = tdbStorePin(s, as_of, &pi->rs, err);
  if (rc != TDB_OK) {
    tdbMemFree(s->mem, pi);
    return rc;
  }
  pi->base.m = &tdbPinnedIterMethods;
  pi->s = s;
  kids = tdbMemAlloc(s->mem, sizeof(TdbIter *) * (size_t)(3 + pi->rs.v->nfiles[0] +
                                                           pi->rs.v->nlevels));
  if (!kids) goto nomem;
  if (pending) {
    kids[n] = tdbMemtableIterNew(s->mem, pending);
    if (!kids[n++]) goto nomem_kids;
  }
  kids[n] = tdbMemtableIterNew(s->mem, pi->rs.active);
  if (!kids[n++]) goto nomem_kids;
  if (pi->rs.imm) {
    kids[n] = tdbMemtableIterNew(s->mem, pi->rs.imm);
    if (!kids[n++]) goto nomem_kids;
  }
  for (i = 0; i < pi->rs.v->nfiles[0]; i++) {
    kids[n] = tdbTableCacheIter(s->tables, pi->rs.v->files[0][i], err);
    if (!kids[n++]) goto nomem_kids;
  }
  for (l = 1; l < pi->rs.v->nlevels; l++) {
    TdbLevelIter *li;
    if (pi->rs.v->nfiles[l] == 0) continue;
    li = tdbMemAllocZero(s->mem, sizeof *li);
    if (!li) goto nomem_kids;
    li->base.m = &tdbLevelIterMethods;
    li->s = s;
    li->v = pi->rs.v;
    li->level = l;
    li->index = -1;
    li->err = err;
    kids[n++] = &li->base;
  }
  pi->merged = tdbIterMerge(s->mem, kids, n);
  tdbMemFree(s->mem, kids);
  if (!pi->merged) {
    tdbStoreUnpin(s, &pi->rs);
    tdbMemFree(s->mem, pi);
    return tdbErrNoMem(err);
  }
  *resolved = pi->rs.as_of;
  *out = &pi->base;
  return TDB_OK;
nomem_kids:
  for (i = 0; i < n; i++) tdbIterFree(kids[i]);
  tdbMemFree(s->mem, kids);
nomem:
  tdbStoreUnpin(s, &pi->rs);
  tdbMemFree(s->mem, pi);
  return tdbErrNoMem(err);
}

TDB_PRIVATE int tdbStoreIterWith(TdbStore *s, uint64_t as_of, TdbMemtable *pending, TdbErr *err,
                                 TdbDbIter **out) {
  TdbIter *in;
  uint64_t at;
  int rc = tdbStoreInternalIter(s, as_of, pending, err, &in, &at);
  *out = NULL;
  if (rc != TDB_OK) return rc;
  *out = tdbDbIterNew(s->mem, in, at);
  if (*out && pending) tdbDbIterShowPending(*out);
  return *out ? TDB_OK : tdbErrNoMem(err);
}

TDB_PRIVATE int tdbStoreIter(TdbStore *s, uint64_t as_of, TdbErr *err, TdbDbIter **out) {
  return tdbStoreIterWith(s, as_of, NULL, err, out);
}

TDB_PRIVATE int tdbStoreEpochWall(TdbStore *s, uint64_t epoch, int64_t *wall, int *found,
                                  TdbErr *err) {
  unsigned char k[TDB_EPOCH_CLOCK_KEY_LEN];
  TdbStr v;
  uint64_t head, u = 0;
  int rc, i;
  *found = 0;
  *wall = 0;
  tdbMutexLock(&s->mu);
  head = s->head;
  if (epoch == head && epoch > 0) {
    *wall = TDB_WALL_GET(&s->head_wall);
    *found = 1;
  } else if (epoch > 0 && epoch <= head) {
    *found = tdbClockFind(&s->clock_active, epoch, wall) || tdbClockFind(&s->clock_imm, epoch, wall);
  }
  tdbMutexUnlock(&s->mu);
  if (*found || epoch == 0 || epoch > head) return TDB_OK;
  tdbEpochClockKey(k, epoch);
  tdbStrInit(&v, s->mem);
  rc = tdbStoreGet(s, 0, k, sizeof k, &v, found, err);
  if (rc == TDB_OK && *found) {
    if (v.n != 8) {
      rc = tdbErrSet(err, TDB_CORRUPT, NULL, "the wall-clock of epoch %llu is damaged",
                     (unsigned long long)epoch);
    } else {
      for (i = 0; i < 8; i++) u = (u << 8) | (unsigned char)v.z[i];
      *wall = (int64_t)(u ^ (UINT64_C(1) << 63));
    }
  }
  tdbStrClear(&v);
  return rc;
}

TDB_PRIVATE int tdbStoreEpochAt(TdbStore *s, int64_t ts, int inclusive, uint64_t upto,
                                uint64_t *epoch, TdbErr *err) {
  uint64_t lo = 1, hi = upto, best = 0;
  *epoch = 0;
  while (lo <= hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    int64_t w;
    int found, rc = tdbStoreEpochWall(s, mid, &w, &found, err);
    if (rc != TDB_OK) return rc;
    /* an epoch without a recorded clock predates it: treat as long ago */
    if (!found || (inclusive ? w <= ts : w < ts)) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  *epoch = best;
  return TDB_OK;
}

/* ---- maintenance ------------------------------------------------------------------------------- */

TDB_PRIVATE int tdbStoreFlush(TdbStore *s, TdbErr *err) {
  int rc = TDB_OK;
  tdbMutexLock(&s->mu);
  while (s->writer_busy) tdbCondWait(&s->commit_cv, &s->mu); /* the WAL is ours */
  tdbStoreWaitIdle(s);
  while (s->imm && !s->sticky_rc) { /* an earlier switch still flushing */
    tdbStoreScheduleWork(s);
    tdbStoreWaitIdle(s);
  }
  if (!s->sticky_rc && (tdbMemtableCount(s->active) > 0 || s->clock_active.n > 0)) {
    TdbMemtable *fresh = tdbMemtableNew(s->mem);
    if (!fresh) rc = tdbErrNoMem(err);
    if (rc == TDB_OK) rc = tdbStoreNewWal(s, err);
    if (rc == TDB_OK) {
      tdbStoreSwitchMemtable(s, fresh);
      fresh = NULL;
      tdbStoreScheduleWork(s);
      tdbStoreWaitIdle(s);
    }
    tdbMemtableUnref(fresh);
  }
  if (rc == TDB_OK && s->sticky_rc) rc = tdbStoreStickyError(s, err);
  tdbMutexUnlock(&s->mu);
  return rc;
}

TDB_PRIVATE int tdbStoreCompact(TdbStore *s, TdbErr *err) {
  int rc = tdbStoreFlush(s, err);
  if (rc != TDB_OK) return rc;
  tdbMutexLock(&s->mu);
  s->manual_compaction = 1;
  tdbStoreScheduleWork(s);
  tdbStoreWaitIdle(s);
  s->manual_compaction = 0;
  if (s->sticky_rc) rc = tdbStoreStickyError(s, err);
  tdbMutexUnlock(&s->mu);
  return rc;
}

/* ---- PURGE support: history floors, erasure -------------------------------------------- */

TDB_PRIVATE int tdbStoreSetHistoryFloor(TdbStore *s, const void *prefix, size_t n,
                                        uint64_t floor) {
  size_t i;
  int rc = TDB_OK;
  if (n == 0 || n > TDB_STORE_FLOOR_PREFIX_MAX) return TDB_MISUSE;
  tdbMutexLock(&s->mu);
  for (i = 0; i < s->nfloors; i++) {
    if (s->floors[i].n == n && memcmp(s->floors[i].prefix, prefix, n) == 0) break;
  }
  if (i == s->nfloors) {
    TdbStoreFloor *grown = tdbMemRealloc(s->mem, s->floors, sizeof *grown * (s->nfloors + 1));
    if (!grown) rc = TDB_NOMEM;
    else {
      s->floors = grown;
      memset(&s->floors[i], 0, sizeof s->floors[i]);
      memcpy(s->floors[i].prefix, prefix, n);
      s->floors[i].n = n;
      s->nfloors++;
    }
  }
  if (rc == TDB_OK && floor > s->floors[i].floor) s->floors[i].floor = floor;
  tdbMutexUnlock(&s->mu);
  return rc;
}

TDB_PRIVATE int tdbStoreFloors(TdbStore *s, TdbMem *mem, TdbStoreFloor **out, size_t *n) {
  int rc = TDB_OK;
  *out = NULL;
  *n = 0;
  tdbMutexLock(&s->mu);
  if (s->nfloors) {
    *out = tdbMemAlloc(mem, sizeof **out * s->nfloors);
    if (!*out) rc = TDB_NOMEM;
    else {
      memcpy(*out, s->floors, sizeof **out * s->nfloors);
      *n = s->nfloors;
    }
  }
  tdbMutexUnlock(&s->mu);
  return rc;
}

static int tdbEraseKeyCompare(const void *a, const void *b) {
  const TdbEraseKey *x = a, *y = b;
  return tdbIkeyCompareUser(x->key, x->n, y->key, y->n);
}

TDB_PRIVATE int tdbStoreErase(TdbStore *s, TdbEraseKey *keys, size_t n, TdbErr *err) {
  TdbVersion *v;
  TdbFileMeta **in = NULL, **outs = NULL;
  int *levels = NULL, nin = 0, nouts = 0, l, i, last, rc;
  size_t couts = 0, total = 0;
  TdbMergeRules rules;
  TdbVersionEdit edit;
  if (n > 1) qsort(keys, n, sizeof *keys, tdbEraseKeyCompare);
  rc = tdbStoreFlush(s, err); /* the memtable (and so the log) into a table */
  if (rc != TDB_OK) return rc;
  tdbMutexLock(&s->mu);
  /* wait for running background work and for another erasure */
  while (s->erasing || s->bg_active || (s->threaded && s->bg_requested)) {
    tdbCondWait(&s->bg_cv, &s->mu);
  }
  if (s->sticky_rc) {
    rc = tdbStoreStickyError(s, err);
    tdbMutexUnlock(&s->mu);
    return rc;
  }
  s->erasing = 1;
  v = s->vs.current;
  tdbVersionRef(v);
  tdbEditInit(&edit);
  last = v->nlevels - 1;
  for (l = 0; l < v->nlevels; l++) total += (size_t)v->nfiles[l];
  rc = tdbStoreRulesInit(s, &rules);
  if (rc == TDB_OK && total > 0) {
    in = tdbMemAlloc(s->mem, sizeof *in * total);
    levels = tdbMemAlloc(s->mem, sizeof *levels * total);
    if (!in || !levels) rc = TDB_NOMEM;
  }
  if (rc != TDB_OK) rc = tdbErrNoMem(err);
  for (l = 0; rc == TDB_OK && l < v->nlevels; l++) {
    for (i = 0; i < v->nfiles[l]; i++) {
      in[nin] = v->files[l][i];
      levels[nin++] = l;
    }
  }
  rules.erase = keys;
  rules.nerase = n;
  if (rc == TDB_OK && nin > 0) {
    /* every file into the last level: all versions of a key meet in this
    ** merge, and files flushed meanwhile only hold newer epochs */
    tdbMutexUnlock(&s->mu);
    rc = tdbStoreMergeFiles(s, in, nin, &rules, &outs, &nouts, &couts, err);
    tdbMutexLock(&s->mu);
    for (i = 0; i < nouts; i++) tdbStoreWatch(s, outs[i]);
    if (rc == TDB_OK) {
      for (i = 0; rc == TDB_OK && i < nin; i++) {
        rc = tdbEditDeleteFile(s->mem, &edit, levels[i], in[i]->number);
      }
      for (i = 0; rc == TDB_OK && i < nouts; i++) rc = tdbEditAddFile(s->mem, &edit, last, outs[i]);
      if (rc != TDB_OK) rc = tdbErrNoMem(err);
      else rc = tdbVsLogAndApply(&s->vs, &edit, err);
    }
    for (i = 0; i < nouts; i++) tdbFileMetaUnref(s->mem, outs[i]);
    /* the old manifest's records name the erased keys as file bounds */
    if (rc == TDB_OK) rc = tdbVsRollManifest(&s->vs, err);
  }
  tdbEditClear(s->mem, &edit);
  tdbMemFree(s->mem, outs);
  tdbMemFree(s->mem, in);
  tdbMemFree(s->mem, levels);
  tdbMemFree(s->mem, rules.floors);
  tdbVersionUnref(s->mem, v); /* the replaced files go with the last reader */
  for (l = 0; l < TDB_LEVELS_MAX; l++) { /* the round-robin pointers start over */
    tdbMemFree(s->mem, s->compact_pointer[l]);
    s->compact_pointer[l] = NULL;
    s->compact_pointer_len[l] = 0;
  }
  s->erasing = 0;
  tdbCondBroadcast(&s->bg_cv);
  tdbStoreScheduleWork(s);
  tdbMutexUnlock(&s->mu);
  return rc;
}

TDB_PRIVATE int tdbStoreCheck(TdbStore *s, TdbStr *report, TdbErr *err) {
  TdbVersion *v;
  uint64_t files = 0, entries = 0, bytes = 0;
  int l, i, rc = TDB_OK;
  tdbMutexLock(&s->mu);
  v = s->vs.current;
  tdbVersionRef(v);
  tdbMutexUnlock(&s->mu);
  for (l = 0; rc == TDB_OK && l < v->nlevels; l++) {
    uint64_t lentries = 0;
    for (i = 0; rc == TDB_OK && i < v->nfiles[l]; i++) {
      uint64_t n = 0;
      rc = tdbTableCacheVerify(s->tables, v->files[l][i], &n, err);
      lentries += n;
      bytes += v->files[l][i]->size;
    }
    if (v->nfiles[l]) {
      tdbStrAppendf(report, "L%d: %d tables, %llu entries, %llu bytes: %s\n", l, v->nfiles[l],
                    (unsigned long long)lentries,
                    (unsigned long long)tdbVersionLevelBytes(v, l), rc == TDB_OK ? "ok" : "FAILED");
    }
    files += (uint64_t)v->nfiles[l];
    entries += lentries;
  }
  tdbMutexLock(&s->mu);
  tdbStrAppendf(report, "memtable: %zu versions; head epoch %llu\n",
                tdbMemtableCount(s->active), (unsigned long long)s->head);
  tdbVersionUnref(s->mem, v);
  tdbMutexUnlock(&s->mu);
  tdbStrAppendf(report, "checked %llu tables, %llu entries, %llu bytes: %s\n",
                (unsigned long long)files, (unsigned long long)entries,
                (unsigned long long)bytes, rc == TDB_OK ? "ok" : tdbErrMessage(err));
  if (rc == TDB_OK && report->oom) rc = tdbErrNoMem(err);
  return rc;
}

/* ---- open and recovery --------------------------------------------------------------------------- */

/* The numbered files of the directory at open: logs to replay, and every
** file for the clean-up of what a crash left behind. */
typedef struct TdbLogList {
  TdbMem *mem;
  uint64_t *numbers;          /* WAL numbers */
  size_t n, cap;
  struct TdbDirFile {
    TdbFileKind kind;
    uint64_t number;
  } *files;
  size_t nfiles, files_cap;
  uint64_t max_number;
  int oom;
} TdbLogList;

static int tdbStoreListEntry(void *ctx, const char *name, int is_dir) {
  TdbLogList *ll = ctx;
  uint64_t number;
  TdbFileKind kind;
  if (is_dir) return 0;
  kind = tdbFileParse(name, &number);
  if (kind == TDB_FILE_UNKNOWN || kind == TDB_FILE_LOCK || kind == TDB_FILE_CURRENT) return 0;
  if (number > ll->max_number) ll->max_number = number;
  {
    void *arr = ll->files;
    if (tdbMemGrow(ll->mem, &arr, &ll->files_cap, ll->nfiles + 1, sizeof *ll->files) != 0) {
      ll->oom = 1;
      return 1;
    }
    ll->files = arr;
    ll->files[ll->nfiles].kind = kind;
    ll->files[ll->nfiles].number = number;
    ll->nfiles++;
  }
  if (kind == TDB_FILE_LOG) {
    void *arr = ll->numbers;
    if (tdbMemGrow(ll->mem, &arr, &ll->cap, ll->n + 1, sizeof(uint64_t)) != 0) {
      ll->oom = 1;
      return 1;
    }
    ll->numbers = arr;
    ll->numbers[ll->n++] = number;
  }
  return 0;
}

static int tdbU64Compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Replay WAL file `number` into the active memtable. */
static int tdbStoreReplayLog(TdbStore *s, uint64_t number, uint64_t *nrecords, TdbErr *err) {
  char *path = tdbFileName(s->mem, s->dir, TDB_FILE_LOG, number);
  TdbWalReader *r = NULL;
  TdbVfsErr verr;
  uint64_t records = 0;
  int rc;
  memset(&verr, 0, sizeof verr);
  if (!path) return tdbErrNoMem(err);
  rc = tdbWalReaderOpen(s->mem, s->vfs, path, number, &r, &verr);
  if (rc != TDB_OK) {
    tdbMemFree(s->mem, path);
    return tdbErrFromVfs(err, rc, &verr, "open write-ahead log");
  }
  for (;;) {
    const unsigned char *rec;
    size_t n;
    TdbBatchHeader h;
    TdbApplyCtx a;
    rc = tdbWalReadRecord(r, &rec, &n);
    if (rc == TDB_DONE) {
      const TdbWalTail *tail = tdbWalReaderTail(r);
      rc = TDB_OK;
      if (tail && tail->torn) tdbStoreLog(s, TDB_LOG_WARN, tail->note);
      break;
    }
    if (rc != TDB_OK) {
      rc = tdbErrFromVfs(err, (rc & 0xff) == TDB_CORRUPT ? TDB_CORRUPT_WAL : rc,
                         tdbWalReaderErr(r), "recover write-ahead log");
      break;
    }
    if (tdbBatchDecodeHeader(rec, n, &h) != TDB_OK) {
      rc = tdbErrSet(err, TDB_CORRUPT_WAL, NULL,
                     "write-ahead log '%s': record %llu has a valid checksum but is not a batch",
                     path, (unsigned long long)records + 1);
      break;
    }
    records++;
    if (h.epoch <= s->head) continue; /* already in a table (flushed before the crash) */
    if (h.epoch != s->head + 1) {
      rc = tdbErrSet(err, TDB_CORRUPT_WAL, NULL,
                     "write-ahead log '%s': epoch %llu follows %llu (a commit is missing): "
                     "MANIFEST-%06llu lost edits or a log file was removed", path,
                     (unsigned long long)h.epoch, (unsigned long long)s->head,
                     (unsigned long long)s->vs.manifest_number);
      break;
    }
    a.mt = s->active;
    a.epoch = h.epoch;
    a.watch = s->watch_ks; /* none yet: recovery runs before any connection watches */
    a.watched = 0;
    rc = tdbStoreApplyRecord(&a, s->mem, rec, n);
    if (rc == TDB_OK && tdbClockReserve(s, &s->clock_active, 1) != TDB_OK) rc = TDB_NOMEM;
    if (rc == TDB_OK) tdbClockAppend(&s->clock_active, h.epoch, h.wall_us);
    if (rc != TDB_OK) {
      rc = rc == TDB_NOMEM ? tdbErrNoMem(err)
                           : tdbErrSet(err, TDB_CORRUPT_WAL, NULL,
                                       "write-ahead log '%s': record %llu cannot be applied",
                                       path, (unsigned long long)records);
      break;
    }
    s->head = h.epoch;
    TDB_WALL_SET(&s->head_wall, h.wall_us);
    if (tdbMemtableApproximateBytes(s->active) >= s->cfg.memtable_bytes) {
      /* recovery flushes as writes would: keep memory bounded */
      TdbMemtable *fresh = tdbMemtableNew(s->mem);
      if (!fresh) {
        rc = tdbErrNoMem(err);
        break;
      }
      tdbStoreSwitchMemtable(s, fresh);
      tdbMutexLock(&s->mu);
      rc = tdbStoreFlushImm(s, err);
      tdbMutexUnlock(&s->mu);
      if (rc != TDB_OK) break;
    }
  }
  tdbWalReaderClose(r);
  tdbMemFree(s->mem, path);
  *nrecords = records;
  return rc;
}

/* Is table `number` part of the current version? */
static int tdbStoreTableLive(const TdbStore *s, uint64_t number) {
  const TdbVersion *v = s->vs.current;
  int l, i;
  for (l = 0; l < v->nlevels; l++) {
    for (i = 0; i < v->nfiles[l]; i++) {
      if (v->files[l][i]->number == number) return 1;
    }
  }
  return 0;
}

/* Check the directory against the recovered state, then remove what an
** interrupted run left behind: logs already in tables, tables no version
** names (an unfinished flush or compaction), other manifests, temporary
** files. Two findings mean acknowledged commits would be lost, so opening
** fails with TDB_CORRUPT_MANIFEST instead:
**   - a table the current version names is missing;
**   - an unnamed table holds epochs beyond what the manifest and the logs
**     recovered (the manifest lost edits: an unfinished flush's table only
**     holds commits its log still has).
** Removal failures only leave garbage, so they are ignored. */
static int tdbStoreCheckFiles(TdbStore *s, const TdbLogList *ll, TdbErr *err) {
  const TdbVersion *v = s->vs.current;
  size_t i;
  int l, j;
  for (l = 0; l < v->nlevels; l++) {
    for (j = 0; j < v->nfiles[l]; j++) {
      uint64_t number = v->files[l][j]->number;
      char *path = tdbFileName(s->mem, s->dir, TDB_FILE_TABLE, number);
      int present = 0, rc;
      if (!path) return tdbErrNoMem(err);
      /* asked of the VFS: recovery may have flushed tables after the listing */
      rc = s->vfs->file_exists(s->vfs, path, &present, NULL);
      tdbMemFree(s->mem, path);
      if (rc != TDB_OK || !present) {
        return tdbErrSet(err, TDB_CORRUPT_MANIFEST, NULL,
                         "database \"%s\": MANIFEST-%06llu names table %06llu.sst (level %d), "
                         "which is missing: the manifest is damaged or the file was removed",
                         s->dir, (unsigned long long)s->vs.manifest_number,
                         (unsigned long long)number, l);
      }
    }
  }
  for (i = 0; i < ll->nfiles; i++) {
    TdbFileKind kind = ll->files[i].kind;
    uint64_t number = ll->files[i].number;
    int obsolete = (kind == TDB_FILE_LOG && number < s->vs.log_number) ||
                   (kind == TDB_FILE_TABLE && !tdbStoreTableLive(s, number)) ||
                   (kind == TDB_FILE_MANIFEST && number != s->vs.manifest_number) ||
                   kind == TDB_FILE_TEMP;
    if (kind == TDB_FILE_TABLE && obsolete) {
      uint64_t lo = 0, hi = 0;
      if (tdbTableReadEpochs(s->mem, s->vfs, s->dir, &s->cfg, number, &lo, &hi) == TDB_OK &&
          hi > s->head) {
        return tdbErrSet(err, TDB_CORRUPT_MANIFEST, NULL,
                         "database \"%s\": table %06llu.sst holds commits up to epoch %llu "
                         "but MANIFEST-%06llu and the logs recover only up to %llu: the "
                         "manifest lost edits", s->dir, (unsigned long long)number,
                         (unsigned long long)hi, (unsigned long long)s->vs.manifest_number,
                         (unsigned long long)s->head);
      }
    }
    if (obsolete) {
      char *path = tdbFileName(s->mem, s->dir, kind, number);
      if (path) s->vfs->remove_file(s->vfs, path, NULL);
      tdbMemFree(s->mem, path);
    }
  }
  return TDB_OK;
}

static int tdbStoreRecover(TdbStore *s, TdbErr *err) {
  TdbLogList ll;
  TdbVfsErr verr;
  int rc, exists = 0;
  size_t i;
  memset(&verr, 0, sizeof verr);
  rc = tdbVsRecover(&s->vs, err, &exists);
  if (rc != TDB_OK) return rc;
  if (!exists && !s->cfg.create_if_missing) {
    return tdbErrSet(err, TDB_CANTOPEN, NULL, "no database at \"%s\" (create_if_missing is off)",
                     s->dir);
  }
  s->head = s->vs.last_epoch;
  memset(&ll, 0, sizeof ll);
  ll.mem = s->mem;
  rc = s->vfs->list_dir(s->vfs, s->dir, tdbStoreListEntry, &ll, &verr);
  if (rc != TDB_OK || ll.oom) {
    tdbMemFree(s->mem, ll.numbers);
    tdbMemFree(s->mem, ll.files);
    return ll.oom ? tdbErrNoMem(err) : tdbErrFromVfs(err, rc, &verr, "list database directory");
  }
  if (ll.max_number >= s->vs.next_file) s->vs.next_file = ll.max_number + 1;
  if (ll.n) qsort(ll.numbers, ll.n, sizeof(uint64_t), tdbU64Compare);
  for (i = 0; rc == TDB_OK && i < ll.n; i++) {
    uint64_t records = 0;
    if (ll.numbers[i] < s->vs.log_number) {
      ll.numbers[i] = 0;
      continue;
    }
    rc = tdbStoreReplayLog(s, ll.numbers[i], &records, err);
    if (records > 0) ll.numbers[i] = 0; /* keep: its data is in the memtable only */
  }
  /* ll.numbers now lists the replayed logs that held no record (what every
  ** open without a write leaves): removed below once the new log exists,
  ** so reopening many times does not pile them up */
  if (rc == TDB_OK) rc = tdbStoreCheckFiles(s, &ll, err);
  tdbMemFree(s->mem, ll.files);
  if (rc != TDB_OK) {
    tdbMemFree(s->mem, ll.numbers);
    return rc;
  }
  /* every table of the recovered version is watched from now on */
  {
    int l, j;
    for (l = 0; l < s->vs.current->nlevels; l++) {
      for (j = 0; j < s->vs.current->nfiles[l]; j++) tdbStoreWatch(s, s->vs.current->files[l][j]);
    }
  }
  /* a new log for new writes; the replayed ones stay until their data is
  ** flushed; the manifest gets a first edit so a new database is durable */
  rc = tdbStoreNewWal(s, err);
  if (rc == TDB_OK && !exists) {
    TdbVersionEdit e;
    tdbEditInit(&e);
    rc = tdbVsLogAndApply(&s->vs, &e, err);
    tdbEditClear(s->mem, &e);
  }
  for (i = 0; rc == TDB_OK && i < ll.n; i++) {
    char *path;
    if (ll.numbers[i] == 0 || ll.numbers[i] == s->wal_number) continue;
    path = tdbFileName(s->mem, s->dir, TDB_FILE_LOG, ll.numbers[i]);
    if (path) s->vfs->remove_file(s->vfs, path, NULL); /* empty: nothing is lost */
    tdbMemFree(s->mem, path);
  }
  tdbMemFree(s->mem, ll.numbers);
  return rc;
}

/* The LOCK file holds the decimal process id of the process that holds its
** lock, for the message a second process gets: "<pid>\n". Advisory only: a
** failure to write it changes nothing but that message. */
static void tdbStoreLockWritePid(TdbStore *s) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%ld\n", tdbVfsProcessId());
  if (n <= 0 || tdbVfsProcessId() <= 0) return;
  if (s->lock_file->methods->truncate_to(s->lock_file, 0, NULL) == TDB_OK) {
    s->lock_file->methods->write_at(s->lock_file, 0, buf, (size_t)n, NULL);
  }
}

/* The process id written in the LOCK file by its holder, 0 if none. */
static long tdbStoreLockReadPid(TdbStore *s) {
  char buf[32];
  size_t n = 0, i;
  long pid = 0;
  if (s->lock_file->methods->read_at(s->lock_file, 0, buf, sizeof buf - 1, &n, NULL) != TDB_OK) {
    return 0;
  }
  for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9' && pid < 100000000L; i++) {
    pid = pid * 10 + (buf[i] - '0');
  }
  return i < n && buf[i] == '\n' ? pid : 0;
}

TDB_PRIVATE int tdbStoreOpen(TdbMem *mem, const char *path, const tdb_config *cfg,
                             TdbErr *err, TdbStore **out) {
  return tdbStoreOpenVfs(mem, NULL, path, cfg, err, out);
}

TDB_PRIVATE int tdbStoreOpenVfs(TdbMem *mem, TdbVfs *vfs, const char *path,
                                const tdb_config *cfg, TdbErr *err, TdbStore **out) {
  TdbStore *s;
  TdbVfsErr verr;
  char *lock_path = NULL;
  int rc, in_memory = strcmp(path, ":memory:") == 0;
  *out = NULL;
  memset(&verr, 0, sizeof verr);
  s = tdbMemAllocZero(mem, sizeof *s);
  if (!s) return tdbErrNoMem(err);
  s->mem = mem;
  tdbStrInit(&s->rec, mem);
  s->cfg = *cfg;
  tdbErrInit(&s->bg_err, mem);
  s->dir = tdbMemStrndup(mem, in_memory ? "memdb" : path, strlen(in_memory ? "memdb" : path));
  if (!s->dir) {
    rc = tdbErrNoMem(err);
    goto fail;
  }
  if (vfs) {
    s->vfs = vfs;
  } else {
    int memory = in_memory || (cfg->vfs && strcmp(cfg->vfs, "memory") == 0);
    if (cfg->vfs && strcmp(cfg->vfs, "memory") != 0 && strcmp(cfg->vfs, "posix") != 0) {
      rc = tdbErrSet(err, TDB_MISUSE, NULL, "unknown VFS \"%s\" (posix or memory)", cfg->vfs);
      goto fail;
    }
#ifdef TDB_OMIT_VFS_POSIX
    if (!memory) {
      rc = tdbErrSet(err, TDB_CANTOPEN, NULL, "this build has no posix VFS (TDB_OMIT_VFS_POSIX)");
      goto fail;
    }
    rc = tdbVfsMemoryNew(mem, &s->vfs);
#else
    rc = memory ? tdbVfsMemoryNew(mem, &s->vfs) : tdbVfsPosixNew(mem, &s->vfs);
#endif
    if (rc != TDB_OK) {
      rc = tdbErrNoMem(err);
      goto fail;
    }
    s->own_vfs = 1;
  }
  if (cfg->create_if_missing) {
    rc = s->vfs->make_dir(s->vfs, s->dir, &verr);
    if (rc != TDB_OK) {
      rc = tdbErrFromVfs(err, rc == TDB_NOTFOUND ? TDB_CANTOPEN : rc, &verr,
                         "create database directory");
      goto fail;
    }
  }
  lock_path = tdbFileName(mem, s->dir, TDB_FILE_LOCK, 0);
  if (!lock_path) {
    rc = tdbErrNoMem(err);
    goto fail;
  }
  rc = s->vfs->open_file(s->vfs, lock_path, TDB_VFS_WRITE | TDB_VFS_CREATE, &s->lock_file,
                         &verr);
  if (rc == TDB_OK) rc = s->lock_file->methods->lock_file(s->lock_file, &verr);
  if (rc == TDB_OK) tdbStoreLockWritePid(s);
  if (rc != TDB_OK) {
    if (rc == TDB_BUSY) {
      long pid = tdbStoreLockReadPid(s);
      if (pid > 0 && pid != tdbVfsProcessId()) {
        rc = tdbErrSet(err, TDB_BUSY, NULL, "database \"%s\" is open in another process (pid %ld)",
                       path, pid);
      } else {
        rc = tdbErrSet(err, TDB_BUSY, NULL,
                       "database \"%s\" is open in another process or through another "
                       "handle of this one", path);
      }
    } else {
      rc = tdbErrFromVfs(err, rc == TDB_NOTFOUND ? TDB_CANTOPEN : rc, &verr,
                         "open database");
    }
    goto fail;
  }
  if (tdbMutexInit(&s->mu) != TDB_OK || tdbCondInit(&s->commit_cv) != TDB_OK ||
      tdbCondInit(&s->bg_cv) != TDB_OK) {
    rc = tdbErrSet(err, TDB_INTERNAL, NULL, "cannot create a mutex");
    goto fail;
  }
  s->sync_ready = 1;
  rc = tdbTableCacheNew(mem, s->vfs, s->dir, &s->cfg, &s->tables);
  if (rc == TDB_OK) rc = tdbVsInit(&s->vs, mem, s->vfs, s->dir, s->cfg.max_levels);
  s->vs.log_fn = s->cfg.log_fn;
  s->vs.log_ctx = s->cfg.log_ctx;
  if (rc == TDB_OK && !(s->active = tdbMemtableNew(mem))) rc = TDB_NOMEM;
  if (rc != TDB_OK) {
    rc = tdbErrNoMem(err);
    goto fail;
  }
  s->last_sync_us = s->vfs->now_us(s->vfs);
  rc = tdbStoreRecover(s, err);
  if (rc != TDB_OK) goto fail;
  if (TDB_WALL_GET(&s->head_wall) == 0) TDB_WALL_SET(&s->head_wall, s->vfs->now_us(s->vfs));
#if TDB_THREADS
  if (s->cfg.threads > 0) {
    s->threaded = 1;
    if (tdbThreadStart(&s->bg, tdbStoreBackgroundMain, s) != TDB_OK) {
      s->threaded = 0; /* run background work inline instead */
    } else {
      s->bg_started = 1;
    }
  }
#endif
  tdbMemFree(mem, lock_path);
  *out = s;
  return TDB_OK;
fail:
  tdbMemFree(mem, lock_path);
  tdbStoreClose(s);
  return rc;
}

TDB_PRIVATE void tdbStoreClose(TdbStore *s) {
  int l;
  if (!s) return;
  if (s->bg_started) {
    tdbMutexLock(&s->mu);
    s->shutting_down = 1;
    tdbCondBroadcast(&s->bg_cv);
    tdbMutexUnlock(&s->mu);
    tdbThreadJoin(&s->bg);
  }
  s->shutting_down = 2; /* from here on, releasing versions deletes no file */
  if (s->wal) {
    tdbWalSync(s->wal);
    tdbWalWriterClose(s->wal);
  }
  tdbVsClose(&s->vs);
  tdbMemtableUnref(s->active);
  tdbMemtableUnref(s->imm);
  tdbTableCacheFree(s->tables);
  for (l = 0; l < TDB_LEVELS_MAX; l++) tdbMemFree(s->mem, s->compact_pointer[l]);
  tdbMemFree(s->mem, s->clock_active.wall);
  tdbMemFree(s->mem, s->clock_imm.wall);
  if (s->lock_file) s->lock_file->methods->close_file(s->lock_file);
  if (s->sync_ready) {
    tdbCondDestroy(&s->bg_cv);
    tdbCondDestroy(&s->commit_cv);
    tdbMutexDestroy(&s->mu);
  }
  if (s->own_vfs && s->vfs) {
    if (strcmp(s->vfs->name, "memory") == 0) tdbVfsMemoryFree(s->vfs);
#ifndef TDB_OMIT_VFS_POSIX
    else tdbVfsPosixFree(s->vfs);
#endif
  }
  tdbErrClear(&s->bg_err);
  tdbStrClear(&s->rec);
  tdbMemFree(s->mem, s->pins);
  tdbMemFree(s->mem, s->floors);
  tdbMemFree(s->mem, s->dir);
  tdbMemFree(s->mem, s);
}
