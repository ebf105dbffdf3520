/*
** backup.c — BACKUP TO 'dir' [SINCE EPOCH n], RESTORE FROM 'dir', VERIFY
** BACKUP 'dir' (TEMPORAL.md §1.10).
**
** A backup is logical: for every commit n+1 .. head it holds the epoch, its
** wall-clock and the (key, op, value) entries the store keeps for that
** epoch, exactly as the commit's WAL record (batch.h). What this covers:
**
**   - every "every version" keyspace (catalog 0x01/0x02, row history 0x04,
**     metadata 0x07, key-value 0x10) has all its versions in the store, so
**     each epoch's entries there are complete: catalog changes, row
**     versions, tombstones, purge markers and history horizons (purge.c);
**   - the "latest" keyspaces (current rows 0x03, indexes 0x05, statistics
**     0x06) may have lost versions that a later version of the same key
**     shadows for every reader. What is left always contains the newest
**     version of every key, so replaying it gives the same head state; SQL
**     reads those keyspaces only at the head (every temporal read goes
**     through the history), so no query can tell;
**   - the epoch clock keys (0x07 'W') are not entries: each record carries
**     its wall-clock and RESTORE commits the epoch with it, so EPOCH_TIME(n)
**     is equal after a restore;
**   - versions hidden by a history floor (PURGE HISTORY) or erased (PURGE)
**     are not in the backup, and the records that set the floor or the
**     marker are, so a restore ends with the same history.
** Hence "identical epochs, wall-clocks and history": every SELECT with any
** temporal clause, EPOCH_TIME and SHOW DRIFT answer the same after
** RESTORE of a full backup and its increments in order.
**
** Directory:
**
**   dir/BACKUP               the manifest, written last (tmp file + rename)
**   dir/epochs-NNNNNN.tdbk   segment N (from 1): a run of consecutive epochs
**
** Manifest (integers little-endian):
**
**   +-----------------+-------------+---------+---------------+----------------+
**   | "TDBBKUP\n" (8) | version u32 | nseg u32| since u64     | through u64    |
**   +-----------------+-------------+---------+---------------+----------------+
**   | nseg x  first u64 | last u64 | file bytes u64 | file crc32c u32 | 0 u32 |
**   +----------------------------------------------------------------------------+
**   | masked crc32c of everything before (u32)                                   |
**   +----------------------------------------------------------------------------+
**   version 1. Segments tile since+1 .. through without gaps (none when
**   since == through).
**
** Segment file:
**
**   +-----------------+-------------+------------+-----------+----------+
**   | "TDBBSEG\n" (8) | version u32 | number u32 | first u64 | last u64 |   32 bytes
**   +-----------------+-------------+------------+-----------+----------+
**   | record: len u32 | masked crc32c of the record u32 | record (len) |   one per
**   | ...                                                             |   epoch,
**   +-----------------------------------------------------------------+   in order
**   record = the batch record of batch.h: epoch u64 | wall µs u64 |
**            count varint | ops (kind | klen | key | [vlen | value])
**
** Every byte read back is untrusted: lengths are checked against what is
** left, each record's checksum names the damaged epoch, the whole file's
** checksum (in the manifest) catches the rest, epochs must follow each other
** and wall-clocks strictly increase. RESTORE verifies the whole backup
** before it commits anything.
**
** Memory: BACKUP scans the store once to size every epoch, then once per
** segment (a segment holds about TDB_BACKUP_SEGMENT_BYTES of entries, or one
** larger epoch), sorting that segment's entries by epoch in memory. RESTORE
** and VERIFY hold one segment file at a time.
*/
#include "backup.h"
#include "binder.h"
#include "coding.h"
#include "crc32c.h"
#include "expr.h"
#include "ikey.h"
#include "purge.h"
#include "versiter.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef TDB_BACKUP_SEGMENT_BYTES
#define TDB_BACKUP_SEGMENT_BYTES (16u << 20)
#endif
#define TDB_BACKUP_VERSION 1
#define TDB_BACKUP_MANIFEST "BACKUP"
#define TDB_BACKUP_MANIFEST_TMP "BACKUP.tmp"
#define TDB_BACKUP_HEAD_BYTES 32      /* manifest before the segments; segment header */
#define TDB_BACKUP_SEG_ENTRY 32
#define TDB_BACKUP_MAX_SEGMENTS (1u << 20)
#define TDB_BACKUP_MAX_FILE ((uint64_t)1 << 32) /* a segment file read back whole */

static const char tdbBackupMagic[8] = {'T', 'D', 'B', 'B', 'K', 'U', 'P', '\n'};
static const char tdbSegmentMagic[8] = {'T', 'D', 'B', 'B', 'S', 'E', 'G', '\n'};

typedef struct TdbBackupSeg {
  uint64_t first, last, bytes;
  uint32_t crc;
} TdbBackupSeg;

typedef struct TdbBackupInfo {
  uint64_t since, through;
  uint32_t nseg;
  TdbBackupSeg *segs;
} TdbBackupInfo;

/* ---- shared helpers ------------------------------------------------------------------- */

static char *const tdbBackupCols[] = {"since_epoch", "through_epoch", "commits", "status"};

TDB_PRIVATE int tdbBackupColumns(int kind, char *const **names) {
  *names = tdbBackupCols;
  return kind == TDB_STMT_VERIFY_BACKUP ? 4 : 3;
}

TDB_PRIVATE int tdbAdminEpochArg(tdb_stmt *st, TdbExpr *e, const char *what, uint64_t *out) {
  tdb *db = st->db;
  TdbEvalCtx ctx;
  TdbValue v;
  int rc;
  rc = tdbBindTableExpr(&db->mem, &db->err, st->sql, &db->catalog, NULL, e);
  if (rc != TDB_OK) return rc;
  tdbExecEvalCtx(&st->exec, &ctx, NULL, NULL, 0);
  tdbValueSetNull(&v);
  rc = tdbExprEval(&ctx, e, &v);
  if (rc != TDB_OK) return rc;
  if (v.type != TDB_TYPE_INTEGER) {
    rc = tdbErrSet(&db->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                   "%s takes an integer epoch, not %s", what, tdbTypeName(v.type));
  } else if (v.u.i < 0) {
    rc = tdbErrSet(&db->err, TDB_ERROR_DATA, TDB_SQLSTATE_RANGE,
                   "%s %lld: an epoch cannot be negative", what, (long long)v.u.i);
  } else {
    *out = (uint64_t)v.u.i;
  }
  tdbValueClear(&db->mem, &v);
  return rc;
}

/* dir/name into a fresh string (NULL: out of memory). */
static char *tdbBackupPath(TdbMem *mem, const char *dir, const char *name) {
  TdbStr p;
  tdbStrInit(&p, mem);
  tdbStrAppendz(&p, dir);
  if (p.n == 0 || p.z[p.n - 1] != '/') tdbStrAppendChar(&p, '/');
  tdbStrAppendz(&p, name);
  return tdbStrFinish(&p);
}

static char *tdbSegmentPath(TdbMem *mem, const char *dir, uint32_t number) {
  char name[40];
  snprintf(name, sizeof name, "epochs-%06lu.tdbk", (unsigned long)number);
  return tdbBackupPath(mem, dir, name);
}

static int tdbBackupVfsErr(TdbErr *err, int rc, const TdbVfsErr *verr, const char *what,
                           const char *path) {
  if (rc == TDB_NOMEM) return tdbErrNoMem(err);
  return tdbErrSet(err, rc, rc == TDB_FULL ? TDB_SQLSTATE_DISK_FULL : TDB_SQLSTATE_IO,
                   "%s %s: %s", what, path, verr->msg[0] ? verr->msg : tdb_errstr(rc));
}

static int tdbBackupDamaged(TdbErr *err, const char *fmt, const char *path, const char *why) {
  return tdbErrSet(err, TDB_CORRUPT, TDB_SQLSTATE_BACKUP_DAMAGED, fmt, path, why);
}

/* Write `n` bytes as the new file `path` and make it durable. */
static int tdbBackupWriteFile(TdbVfs *vfs, TdbErr *err, const char *path, const void *p,
                              size_t n) {
  TdbVfsFile *f = NULL;
  TdbVfsErr verr;
  int rc;
  memset(&verr, 0, sizeof verr);
  rc = vfs->open_file(vfs, path, TDB_VFS_WRITE | TDB_VFS_CREATE | TDB_VFS_EXCLUSIVE, &f, &verr);
  if (rc == TDB_OK && n > 0) rc = f->methods->append(f, p, n, &verr);
  if (rc == TDB_OK) rc = f->methods->sync_data(f, &verr);
  tdbVfsClose(f);
  if (rc != TDB_OK) return tdbBackupVfsErr(err, rc, &verr, "cannot write", path);
  return TDB_OK;
}

/* Read the whole file `path` (at most `max` bytes) into *out. A missing
** file sets *missing (when not NULL) and returns TDB_NOTFOUND quietly. */
static int tdbBackupReadFile(TdbVfs *vfs, TdbMem *mem, TdbErr *err, const char *path,
                             uint64_t max, unsigned char **out, size_t *n, int *missing) {
  TdbVfsFile *f = NULL;
  TdbVfsErr verr;
  uint64_t size = 0;
  unsigned char *buf = NULL;
  int rc;
  *out = NULL;
  *n = 0;
  memset(&verr, 0, sizeof verr);
  rc = vfs->open_file(vfs, path, TDB_VFS_READ, &f, &verr);
  if (rc == TDB_NOTFOUND && missing) {
    *missing = 1;
    return rc;
  }
  if (rc == TDB_OK) rc = f->methods->get_size(f, &size, &verr);
  if (rc != TDB_OK) {
    tdbVfsClose(f);
    return tdbBackupVfsErr(err, rc, &verr, "cannot read", path);
  }
  if (size > max || size > (uint64_t)(SIZE_MAX - 1)) {
    tdbVfsClose(f);
    return tdbErrSet(err, TDB_CORRUPT, TDB_SQLSTATE_BACKUP_DAMAGED,
                     "backup file %s is damaged: %llu bytes, more than it should have",
                     path, (unsigned long long)size);
  }
  buf = tdbMemAlloc(mem, (size_t)size + 1);
  if (!buf) {
    tdbVfsClose(f);
    return tdbErrNoMem(err);
  }
  if (size > 0) rc = tdbVfsReadExact(f, 0, buf, (size_t)size, &verr);
  tdbVfsClose(f);
  if (rc != TDB_OK) {
    tdbMemFree(mem, buf);
    return tdbBackupVfsErr(err, rc, &verr, "cannot read", path);
  }
  *out = buf;
  *n = (size_t)size;
  return TDB_OK;
}

static void tdbPutU32(TdbStr *s, uint32_t v) {
  unsigned char b[4];
  tdbPutFixed32(b, v);
  tdbStrAppend(s, (const char *)b, 4);
}

static void tdbPutU64(TdbStr *s, uint64_t v) {
  unsigned char b[8];
  tdbPutFixed64(b, v);
  tdbStrAppend(s, (const char *)b, 8);
}

/* ---- reading a backup ---------------------------------------------------------------- */

/* Load and check dir/BACKUP into *info (segs allocated with mem). */
static int tdbBackupReadManifest(TdbVfs *vfs, TdbMem *mem, TdbErr *err, const char *dir,
                                 TdbBackupInfo *info) {
  char *path = tdbBackupPath(mem, dir, TDB_BACKUP_MANIFEST);
  unsigned char *b = NULL;
  size_t n = 0, i;
  int rc, missing = 0;
  uint64_t next;
  const char *fmt = "backup manifest %s is damaged: %s";
  memset(info, 0, sizeof *info);
  if (!path) return tdbErrNoMem(err);
  rc = tdbBackupReadFile(vfs, mem, err, path,
                         TDB_BACKUP_HEAD_BYTES + 4 +
                             (uint64_t)TDB_BACKUP_MAX_SEGMENTS * TDB_BACKUP_SEG_ENTRY,
                         &b, &n, &missing);
  if (rc != TDB_OK) {
    if (missing) {
      rc = tdbErrSet(err, TDB_NOTFOUND, TDB_SQLSTATE_BACKUP_DAMAGED,
                     "%s is not a backup: it has no file " TDB_BACKUP_MANIFEST, dir);
    }
    goto done;
  }
  if (n < TDB_BACKUP_HEAD_BYTES + 4 || memcmp(b, tdbBackupMagic, 8) != 0) {
    rc = tdbBackupDamaged(err, fmt, path, "not a TensorDB backup manifest");
    goto done;
  }
  if (tdbGetFixed32(b + 8) != TDB_BACKUP_VERSION) {
    rc = tdbErrSet(err, TDB_CORRUPT, TDB_SQLSTATE_BACKUP_DAMAGED,
                   "backup manifest %s has format version %lu; this build reads version %d",
                   path, (unsigned long)tdbGetFixed32(b + 8), TDB_BACKUP_VERSION);
    goto done;
  }
  info->nseg = tdbGetFixed32(b + 12);
  if (info->nseg > TDB_BACKUP_MAX_SEGMENTS ||
      n != TDB_BACKUP_HEAD_BYTES + (size_t)info->nseg * TDB_BACKUP_SEG_ENTRY + 4) {
    rc = tdbBackupDamaged(err, fmt, path, "its size does not match its segment count");
    goto done;
  }
  if (tdbCrc32cUnmask(tdbGetFixed32(b + n - 4)) != tdbCrc32c(b, n - 4)) {
    rc = tdbBackupDamaged(err, fmt, path, "checksum mismatch");
    goto done;
  }
  info->since = tdbGetFixed64(b + 16);
  info->through = tdbGetFixed64(b + 24);
  if (info->since > info->through || (info->nseg == 0) != (info->since == info->through)) {
    rc = tdbBackupDamaged(err, fmt, path, "its epochs and segments disagree");
    goto done;
  }
  if (info->nseg) {
    info->segs = tdbMemAlloc(mem, sizeof *info->segs * info->nseg);
    if (!info->segs) {
      rc = tdbErrNoMem(err);
      goto done;
    }
  }
  next = info->since + 1;
  for (i = 0; i < info->nseg; i++) {
    const unsigned char *e = b + TDB_BACKUP_HEAD_BYTES + i * TDB_BACKUP_SEG_ENTRY;
    TdbBackupSeg *sg = &info->segs[i];
    sg->first = tdbGetFixed64(e);
    sg->last = tdbGetFixed64(e + 8);
    sg->bytes = tdbGetFixed64(e + 16);
    sg->crc = tdbGetFixed32(e + 24);
    if (sg->first != next || sg->last < sg->first || sg->last > info->through) {
      rc = tdbBackupDamaged(err, fmt, path, "its segments do not cover the epochs in order");
      goto done;
    }
    next = sg->last + 1;
  }
  if (info->nseg && next != info->through + 1) {
    rc = tdbBackupDamaged(err, fmt, path, "its segments end before its last epoch");
    goto done;
  }
  rc = TDB_OK;
done:
  if (rc != TDB_OK) {
    tdbMemFree(mem, info->segs);
    info->segs = NULL;
  }
  tdbMemFree(mem, b);
  tdbMemFree(mem, path);
  return rc;
}

/* Called for each record of a segment, in epoch order. */
typedef int (*TdbBackupRecordFn)(void *ctx, const unsigned char *rec, size_t n,
                                 const TdbBatchHeader *h);

/* Does the record write a key the store owns (the epoch clock)? */
static int tdbBackupOpIsClock(void *ctx, const TdbBatchOp *op) {
  (void)ctx;
  return op->klen >= 2 && op->key[0] == TDB_EPOCH_CLOCK_PREFIX0 &&
         op->key[1] == TDB_EPOCH_CLOCK_PREFIX1;
}

/* Read segment i (1-based number i + 1) of the backup, check it whole and
** call fn (may be NULL) for each record. *wall is the wall-clock of the
** previous epoch (updated). */
static int tdbBackupScanSegment(TdbVfs *vfs, TdbMem *mem, TdbErr *err, const char *dir,
                                const TdbBackupSeg *sg, uint32_t i, int64_t *wall,
                                TdbBackupRecordFn fn, void *ctx) {
  char *path = tdbSegmentPath(mem, dir, i + 1);
  unsigned char *b = NULL;
  size_t n = 0, p;
  uint64_t expect = sg->first;
  int rc, missing = 0;
  char why[160];
  if (!path) return tdbErrNoMem(err);
  /* never more than the manifest says (a bigger file is damaged anyway) */
  rc = tdbBackupReadFile(vfs, mem, err, path,
                         sg->bytes < TDB_BACKUP_MAX_FILE ? sg->bytes : TDB_BACKUP_MAX_FILE, &b, &n,
                         &missing);
  if (rc != TDB_OK) {
    if (missing) {
      rc = tdbErrSet(err, TDB_NOTFOUND, TDB_SQLSTATE_BACKUP_DAMAGED,
                     "backup %s is incomplete: segment file %s (epochs %llu..%llu) is missing",
                     dir, path, (unsigned long long)sg->first, (unsigned long long)sg->last);
    }
    goto done;
  }
  if ((uint64_t)n != sg->bytes) {
    snprintf(why, sizeof why, "it has %llu bytes, the manifest says %llu",
             (unsigned long long)n, (unsigned long long)sg->bytes);
    rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
    goto done;
  }
  if (n < TDB_BACKUP_HEAD_BYTES || memcmp(b, tdbSegmentMagic, 8) != 0 ||
      tdbGetFixed32(b + 8) != TDB_BACKUP_VERSION || tdbGetFixed32(b + 12) != i + 1 ||
      tdbGetFixed64(b + 16) != sg->first || tdbGetFixed64(b + 24) != sg->last) {
    rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path,
                          "its header does not match the manifest");
    goto done;
  }
  for (p = TDB_BACKUP_HEAD_BYTES; rc == TDB_OK && p < n;) {
    TdbBatchHeader h;
    size_t len;
    if (expect > sg->last) {
      snprintf(why, sizeof why, "bytes follow the last epoch %llu at offset %zu",
               (unsigned long long)sg->last, p);
      rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
      break;
    }
    if (n - p < 8 || (len = tdbGetFixed32(b + p)) > n - p - 8) {
      snprintf(why, sizeof why, "the record of epoch %llu at offset %zu is cut short",
               (unsigned long long)expect, p);
      rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
      break;
    }
    if (tdbCrc32cUnmask(tdbGetFixed32(b + p + 4)) != tdbCrc32c(b + p + 8, len)) {
      snprintf(why, sizeof why, "the record of epoch %llu at offset %zu fails its checksum",
               (unsigned long long)expect, p);
      rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
      break;
    }
    if (tdbBatchDecodeHeader(b + p + 8, len, &h) != TDB_OK || h.epoch != expect) {
      snprintf(why, sizeof why, "the record at offset %zu is not a valid commit of epoch %llu",
               p, (unsigned long long)expect);
      rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
      break;
    }
    if (h.wall_us <= *wall) {
      snprintf(why, sizeof why, "the wall-clock of epoch %llu is not after the previous "
               "epoch's", (unsigned long long)expect);
      rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
      break;
    }
    rc = tdbBatchForEachLast(mem, b + p + 8, len, tdbBackupOpIsClock, NULL);
    if (rc == TDB_NOMEM) {
      rc = tdbErrNoMem(err);
      break;
    }
    if (rc != TDB_OK) {
      snprintf(why, sizeof why, "epoch %llu writes the epoch clock, which only the store "
               "writes", (unsigned long long)expect);
      rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
      break;
    }
    *wall = h.wall_us;
    if (fn) rc = fn(ctx, b + p + 8, len, &h);
    p += 8 + len;
    expect++;
  }
  if (rc == TDB_OK && expect != sg->last + 1) {
    snprintf(why, sizeof why, "it ends after epoch %llu, before epoch %llu",
             (unsigned long long)(expect - 1), (unsigned long long)sg->last);
    rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path, why);
  }
  if (rc == TDB_OK && tdbCrc32c(b, n) != sg->crc) {
    rc = tdbBackupDamaged(err, "backup file %s is damaged: %s", path,
                          "its checksum does not match the manifest");
  }
done:
  tdbMemFree(mem, b);
  tdbMemFree(mem, path);
  return rc;
}

/* Check every file of the backup; *info is filled (caller frees segs). */
static int tdbBackupVerify(TdbVfs *vfs, TdbMem *mem, TdbErr *err, const char *dir,
                           TdbBackupInfo *info) {
  int64_t wall = 0;
  uint32_t i;
  int rc = tdbBackupReadManifest(vfs, mem, err, dir, info);
  for (i = 0; rc == TDB_OK && i < info->nseg; i++) {
    rc = tdbBackupScanSegment(vfs, mem, err, dir, &info->segs[i], i, &wall, NULL, NULL);
  }
  return rc;
}

/* ---- BACKUP ----------------------------------------------------------------------------- */

/* Is `dir` usable as a target: missing (made here) or an empty directory? */
typedef struct TdbDirCount {
  int n;
} TdbDirCount;

static int tdbBackupCountEntry(void *ctx, const char *name, int is_dir) {
  (void)name;
  (void)is_dir;
  ((TdbDirCount *)ctx)->n++;
  return 1; /* one is enough */
}

static int tdbBackupPrepareDir(TdbVfs *vfs, TdbErr *err, const char *dir) {
  TdbVfsErr verr;
  TdbDirCount count;
  int exists = 0, rc;
  memset(&verr, 0, sizeof verr);
  if (!dir[0]) {
    return tdbErrSet(err, TDB_ERROR, TDB_SQLSTATE_BACKUP_TARGET,
                     "BACKUP TO '': the backup directory needs a name");
  }
  rc = vfs->file_exists(vfs, dir, &exists, &verr);
  if (rc != TDB_OK) return tdbBackupVfsErr(err, rc, &verr, "cannot look at", dir);
  if (!exists) {
    rc = vfs->make_dir(vfs, dir, &verr);
    if (rc != TDB_OK) return tdbBackupVfsErr(err, rc, &verr, "cannot create directory", dir);
    return TDB_OK;
  }
  count.n = 0;
  rc = vfs->list_dir(vfs, dir, tdbBackupCountEntry, &count, &verr);
  if (rc != TDB_OK) {
    return tdbErrSet(err, TDB_ERROR, TDB_SQLSTATE_BACKUP_TARGET,
                     "BACKUP TO '%s': it exists and is not a directory that can be listed (%s)",
                     dir, verr.msg[0] ? verr.msg : tdb_errstr(rc));
  }
  if (count.n) {
    return tdbErrSet(err, TDB_ERROR, TDB_SQLSTATE_BACKUP_TARGET,
                     "BACKUP TO '%s': the directory is not empty (a backup goes into a new "
                     "or empty directory)", dir);
  }
  return TDB_OK;
}

/* The entries of one segment, gathered in key order, sorted by epoch. */
typedef struct TdbSegEntry {
  uint64_t epoch;
  size_t off;             /* in the buffer: kind | klen varint | key | vlen varint | value */
} TdbSegEntry;

static int tdbSegEntryCompare(const void *a, const void *b) {
  const TdbSegEntry *x = a, *y = b;
  if (x->epoch != y->epoch) return x->epoch < y->epoch ? -1 : 1;
  return x->off < y->off ? -1 : x->off > y->off; /* key order within an epoch */
}

/* Is this stored key one a backup leaves out (the epoch clock)? */
static int tdbBackupSkipKey(const unsigned char *k, size_t n) {
  return n >= 2 && k[0] == TDB_EPOCH_CLOCK_PREFIX0 && k[1] == TDB_EPOCH_CLOCK_PREFIX1;
}

typedef struct TdbBackupRun {
  tdb *db;
  TdbVfs *vfs;
  const char *dir;
  uint64_t since, head;
  uint32_t *sizes;        /* bytes per epoch since+1 .. head (saturating) */
  TdbBackupSeg *segs;
  uint32_t nseg;
  size_t cap_seg;
} TdbBackupRun;

/* Pass 1: the bytes of every epoch's entries. */
static int tdbBackupSizeEpochs(TdbBackupRun *r) {
  tdb *db = r->db;
  TdbVersionIter *vi = NULL;
  int rc = tdbVersionIterOpen(db->store, r->head, &db->err, &vi);
  if (rc != TDB_OK) return rc;
  for (tdbVersionIterSeek(vi, "", 0); tdbVersionIterValid(vi); tdbVersionIterNext(vi)) {
    uint64_t e = tdbVersionIterEpoch(vi);
    size_t kn, vn = 0;
    const unsigned char *k = tdbVersionIterKey(vi, &kn);
    uint64_t add;
    uint32_t *slot;
    if (e <= r->since || e > r->head || tdbBackupSkipKey(k, kn)) continue;
    if (tdbVersionIterKind(vi) == TDB_KIND_VALUE) tdbVersionIterValue(vi, &vn);
    add = 1 + 10 + (uint64_t)kn + 10 + (uint64_t)vn;
    slot = &r->sizes[e - r->since - 1];
    *slot = (uint64_t)*slot + add > UINT32_MAX ? UINT32_MAX : (uint32_t)(*slot + add);
  }
  rc = tdbVersionIterStatus(vi);
  tdbVersionIterFree(vi);
  if (rc != TDB_OK) return tdbErrSet(&db->err, rc, NULL, "BACKUP: reading the store failed");
  return TDB_OK;
}

/* Cut since+1 .. head into segments of about TDB_BACKUP_SEGMENT_BYTES. */
static int tdbBackupPlanSegments(TdbBackupRun *r) {
  uint64_t e = r->since + 1;
  while (e <= r->head) {
    uint64_t first = e, bytes = 0;
    void *arr = r->segs;
    while (e <= r->head) {
      uint64_t sz = (uint64_t)r->sizes[e - r->since - 1] + 40;
      if (e > first && bytes + sz > TDB_BACKUP_SEGMENT_BYTES) break;
      bytes += sz;
      e++;
    }
    if (r->nseg >= TDB_BACKUP_MAX_SEGMENTS) {
      return tdbErrSet(&r->db->err, TDB_TOOBIG, TDB_SQLSTATE_LIMIT,
                       "BACKUP: more than %u segment files", TDB_BACKUP_MAX_SEGMENTS);
    }
    if (tdbMemGrow(&r->db->mem, &arr, &r->cap_seg, (size_t)r->nseg + 1, sizeof *r->segs) != 0) {
      return tdbErrNoMem(&r->db->err);
    }
    r->segs = arr;
    memset(&r->segs[r->nseg], 0, sizeof r->segs[0]);
    r->segs[r->nseg].first = first;
    r->segs[r->nseg].last = e - 1;
    r->nseg++;
  }
  return TDB_OK;
}

/* Gather, sort and write segment i. */
static int tdbBackupWriteSegment(TdbBackupRun *r, uint32_t i) {
  tdb *db = r->db;
  TdbMem *mem = &db->mem;
  TdbBackupSeg *sg = &r->segs[i];
  TdbVersionIter *vi = NULL;
  TdbStr buf, file;
  TdbSegEntry *ents = NULL;
  size_t nents = 0, cap = 0, j;
  TdbBatch b;
  char *path = NULL;
  uint64_t e;
  int rc;
  tdbStrInit(&buf, mem);
  tdbStrInit(&file, mem);
  tdbBatchInit(&b, mem);
  rc = tdbVersionIterOpen(db->store, r->head, &db->err, &vi);
  if (rc != TDB_OK) goto done;
  for (tdbVersionIterSeek(vi, "", 0); tdbVersionIterValid(vi); tdbVersionIterNext(vi)) {
    uint64_t ep = tdbVersionIterEpoch(vi);
    size_t kn, vn = 0;
    const unsigned char *k = tdbVersionIterKey(vi, &kn), *v = NULL;
    int kind = tdbVersionIterKind(vi);
    unsigned char hdr[1 + 10];
    size_t h;
    void *arr = ents;
    if (ep < sg->first || ep > sg->last || tdbBackupSkipKey(k, kn)) continue;
    if (kind == TDB_KIND_VALUE) v = tdbVersionIterValue(vi, &vn);
    if (tdbMemGrow(mem, &arr, &cap, nents + 1, sizeof *ents) != 0) {
      rc = tdbErrNoMem(&db->err);
      goto done;
    }
    ents = arr;
    ents[nents].epoch = ep;
    ents[nents].off = buf.n;
    nents++;
    hdr[0] = (unsigned char)kind;
    h = 1 + tdbPutVarint64(hdr + 1, kn);
    tdbStrAppend(&buf, (const char *)hdr, h);
    tdbStrAppend(&buf, (const char *)k, kn);
    if (kind == TDB_KIND_VALUE) {
      h = tdbPutVarint64(hdr, vn);
      tdbStrAppend(&buf, (const char *)hdr, h);
      tdbStrAppend(&buf, (const char *)v, vn);
    }
    if (buf.oom) {
      rc = tdbErrNoMem(&db->err);
      goto done;
    }
  }
  rc = tdbVersionIterStatus(vi);
  if (rc != TDB_OK) {
    rc = tdbErrSet(&db->err, rc, NULL, "BACKUP: reading the store failed");
    goto done;
  }
  if (nents > 1) qsort(ents, nents, sizeof *ents, tdbSegEntryCompare);
  /* header, then one record per epoch */
  tdbStrAppend(&file, tdbSegmentMagic, 8);
  tdbPutU32(&file, TDB_BACKUP_VERSION);
  tdbPutU32(&file, i + 1);
  tdbPutU64(&file, sg->first);
  tdbPutU64(&file, sg->last);
  for (e = sg->first, j = 0; rc == TDB_OK && e <= sg->last; e++) {
    int64_t wall = 0;
    int found = 0;
    size_t at;
    rc = tdbStoreEpochWall(db->store, e, &wall, &found, &db->err);
    if (rc != TDB_OK) break;
    if (!found) {
      rc = tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                     "BACKUP: epoch %llu has no recorded wall-clock (committed before the "
                     "epoch clock existed), so it cannot be restored faithfully",
                     (unsigned long long)e);
      break;
    }
    tdbBatchClear(&b);
    for (; j < nents && ents[j].epoch == e; j++) {
      /* our own encoding of the entry, from above */
      const unsigned char *p = (const unsigned char *)buf.z + ents[j].off;
      const unsigned char *end = (const unsigned char *)buf.z + buf.n;
      uint64_t kn = 0, vn = 0;
      size_t used = 1 + tdbGetVarint64(p + 1, end, &kn);
      if (p[0] == TDB_KIND_VALUE) {
        size_t u2 = tdbGetVarint64(p + used + kn, end, &vn);
        rc = tdbBatchPut(&b, p + used, (size_t)kn, p + used + kn + u2, (size_t)vn);
      } else {
        rc = tdbBatchDelete(&b, p + used, (size_t)kn);
      }
      if (rc != TDB_OK) break;
    }
    if (rc != TDB_OK || b.oom) {
      rc = rc == TDB_TOOBIG ? tdbErrSet(&db->err, TDB_TOOBIG, TDB_SQLSTATE_LIMIT,
                                        "BACKUP: epoch %llu is too large for one record",
                                        (unsigned long long)e)
                            : tdbErrNoMem(&db->err);
      break;
    }
    at = file.n;
    tdbPutU32(&file, 0); /* length and checksum, filled in below */
    tdbPutU32(&file, 0);
    if (tdbBatchEncode(&b, e, wall, &file) != TDB_OK || file.oom) {
      rc = tdbErrNoMem(&db->err);
      break;
    }
    if (file.n - at - 8 > UINT32_MAX) {
      rc = tdbErrSet(&db->err, TDB_TOOBIG, TDB_SQLSTATE_LIMIT,
                     "BACKUP: epoch %llu is too large for one record", (unsigned long long)e);
      break;
    }
    tdbPutFixed32((unsigned char *)file.z + at, (uint32_t)(file.n - at - 8));
    tdbPutFixed32((unsigned char *)file.z + at + 4,
                  tdbCrc32cMask(tdbCrc32c(file.z + at + 8, file.n - at - 8)));
  }
  if (rc != TDB_OK) goto done;
  if (file.oom) {
    rc = tdbErrNoMem(&db->err);
    goto done;
  }
  sg->bytes = file.n;
  sg->crc = tdbCrc32c(file.z, file.n);
  path = tdbSegmentPath(mem, r->dir, i + 1);
  if (!path) {
    rc = tdbErrNoMem(&db->err);
    goto done;
  }
  rc = tdbBackupWriteFile(r->vfs, &db->err, path, file.z, file.n);
done:
  tdbVersionIterFree(vi);
  tdbMemFree(mem, ents);
  tdbMemFree(mem, path);
  tdbBatchFree(&b);
  tdbStrClear(&buf);
  tdbStrClear(&file);
  return rc;
}

/* The manifest, written last: a backup without it is no backup. */
static int tdbBackupWriteManifest(TdbBackupRun *r) {
  TdbMem *mem = &r->db->mem;
  TdbStr m;
  TdbVfsErr verr;
  char *tmp = tdbBackupPath(mem, r->dir, TDB_BACKUP_MANIFEST_TMP);
  char *final = tdbBackupPath(mem, r->dir, TDB_BACKUP_MANIFEST);
  uint32_t i;
  int rc = TDB_OK;
  memset(&verr, 0, sizeof verr);
  tdbStrInit(&m, mem);
  tdbStrAppend(&m, tdbBackupMagic, 8);
  tdbPutU32(&m, TDB_BACKUP_VERSION);
  tdbPutU32(&m, r->nseg);
  tdbPutU64(&m, r->since);
  tdbPutU64(&m, r->head);
  for (i = 0; i < r->nseg; i++) {
    tdbPutU64(&m, r->segs[i].first);
    tdbPutU64(&m, r->segs[i].last);
    tdbPutU64(&m, r->segs[i].bytes);
    tdbPutU32(&m, r->segs[i].crc);
    tdbPutU32(&m, 0);
  }
  if (!m.oom) tdbPutU32(&m, tdbCrc32cMask(tdbCrc32c(m.z, m.n)));
  if (m.oom || !tmp || !final) rc = tdbErrNoMem(&r->db->err);
  if (rc == TDB_OK) rc = tdbBackupWriteFile(r->vfs, &r->db->err, tmp, m.z, m.n);
  if (rc == TDB_OK) {
    rc = r->vfs->rename_file(r->vfs, tmp, final, &verr);
    if (rc == TDB_OK) rc = r->vfs->sync_dir(r->vfs, r->dir, &verr);
    if (rc != TDB_OK) rc = tdbBackupVfsErr(&r->db->err, rc, &verr, "cannot finish", final);
  }
  tdbStrClear(&m);
  tdbMemFree(mem, tmp);
  tdbMemFree(mem, final);
  return rc;
}

static int tdbBackupRun(tdb_stmt *st, TdbVfs *vfs, uint64_t *since_out, uint64_t *head_out) {
  tdb *db = st->db;
  TdbBackupRun r;
  uint32_t i;
  int rc = TDB_OK;
  memset(&r, 0, sizeof r);
  r.db = db;
  r.vfs = vfs;
  r.dir = st->ast->name;
  r.head = st->exec.snapshot;
  if (st->ast->where) rc = tdbAdminEpochArg(st, st->ast->where, "BACKUP ... SINCE EPOCH", &r.since);
  if (rc != TDB_OK) return rc;
  if (r.since > r.head) {
    return tdbErrSet(&db->err, TDB_ERROR_TEMPORAL, TDB_SQLSTATE_FUTURE_EPOCH,
                     "BACKUP SINCE EPOCH %llu: epoch %llu is in the future: the latest "
                     "commit is epoch %llu", (unsigned long long)r.since,
                     (unsigned long long)r.since, (unsigned long long)r.head);
  }
  if (r.head - r.since > (uint64_t)(SIZE_MAX / sizeof(uint32_t))) {
    return tdbErrSet(&db->err, TDB_TOOBIG, TDB_SQLSTATE_LIMIT, "BACKUP: too many epochs");
  }
  rc = tdbBackupPrepareDir(vfs, &db->err, r.dir);
  if (rc != TDB_OK) return rc;
  if (r.head > r.since) {
    r.sizes = tdbMemAllocZero(&db->mem, sizeof *r.sizes * (size_t)(r.head - r.since));
    if (!r.sizes) rc = tdbErrNoMem(&db->err);
    if (rc == TDB_OK) rc = tdbBackupSizeEpochs(&r);
    if (rc == TDB_OK) rc = tdbBackupPlanSegments(&r);
  }
  for (i = 0; rc == TDB_OK && i < r.nseg; i++) rc = tdbBackupWriteSegment(&r, i);
  if (rc == TDB_OK) {
    TdbVfsErr verr;
    memset(&verr, 0, sizeof verr);
    rc = vfs->sync_dir(vfs, r.dir, &verr);
    if (rc != TDB_OK) rc = tdbBackupVfsErr(&db->err, rc, &verr, "cannot sync", r.dir);
  }
  if (rc == TDB_OK) rc = tdbBackupWriteManifest(&r);
  tdbMemFree(&db->mem, r.sizes);
  tdbMemFree(&db->mem, r.segs);
  *since_out = r.since;
  *head_out = r.head;
  return rc;
}

/* ---- RESTORE ---------------------------------------------------------------------------- */

typedef struct TdbRestoreRun {
  tdb *db;
  TdbBatch batch;
  uint64_t restored;      /* the last epoch committed */
} TdbRestoreRun;

static int tdbRestoreAddOp(void *ctx, const TdbBatchOp *op) {
  TdbRestoreRun *r = ctx;
  if (op->kind == TDB_KIND_VALUE) return tdbBatchPut(&r->batch, op->key, op->klen, op->value, op->vlen);
  return tdbBatchDelete(&r->batch, op->key, op->klen);
}

static int tdbRestoreRecord(void *ctx, const unsigned char *rec, size_t n,
                            const TdbBatchHeader *h) {
  TdbRestoreRun *r = ctx;
  tdb *db = r->db;
  int rc;
  tdbBatchClear(&r->batch);
  rc = tdbBatchForEachLast(&db->mem, rec, n, tdbRestoreAddOp, r);
  if (rc != TDB_OK || r->batch.oom) {
    if (rc == TDB_TOOBIG) {
      return tdbErrSet(&db->err, TDB_TOOBIG, TDB_SQLSTATE_LIMIT,
                       "RESTORE: epoch %llu is too large for one commit",
                       (unsigned long long)h->epoch);
    }
    return tdbErrNoMem(&db->err);
  }
  rc = tdbStoreWriteAt(db->store, &r->batch, h->epoch, h->wall_us, &db->err);
  if (rc == TDB_OK) r->restored = h->epoch;
  return rc;
}

/* The catalog, statistics, history horizons and erasures follow the
** restored store. */
static int tdbRestoreReload(tdb *db, uint64_t since, uint64_t through) {
  int rc = tdbShareLoadCatalog(db); /* new table definitions: their caches start empty */
  if (rc == TDB_OK) rc = tdbPurgeLoad(db);
  if (rc == TDB_OK) rc = tdbPurgeReplayMarkers(db, since, through);
  return rc;
}

static int tdbRestoreRun(tdb_stmt *st, TdbVfs *vfs, TdbBackupInfo *info) {
  tdb *db = st->db;
  const char *dir = st->ast->name;
  TdbRestoreRun r;
  uint64_t head;
  int64_t wall = 0;
  uint32_t i;
  int rc;
  if (db->txn.active) {
    return tdbErrSet(&db->err, TDB_ERROR_TXN, TDB_SQLSTATE_ACTIVE_TXN,
                     "RESTORE cannot run inside a transaction (COMMIT or ROLLBACK it first)");
  }
  rc = tdbBackupVerify(vfs, &db->mem, &db->err, dir, info); /* nothing is applied from a damaged backup */
  if (rc != TDB_OK) return rc;
  head = tdbStoreHead(db->store);
  if (info->since != head) {
    if (info->since == 0) {
      return tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_RESTORE_ORDER,
                       "RESTORE FROM '%s': a full backup restores only into an empty "
                       "database, and this one is at epoch %llu", dir,
                       (unsigned long long)head);
    }
    return tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_RESTORE_ORDER,
                     "RESTORE FROM '%s': the backup holds epochs %llu..%llu and needs a "
                     "database at epoch %llu, but this one is at epoch %llu (restore the "
                     "full backup and the increments in order)", dir,
                     (unsigned long long)(info->since + 1), (unsigned long long)info->through,
                     (unsigned long long)info->since, (unsigned long long)head);
  }
  if (head > 0) wall = tdbStoreHeadWall(db->store); /* the first restored epoch comes after */
  memset(&r, 0, sizeof r);
  r.db = db;
  r.restored = head;
  tdbBatchInit(&r.batch, &db->mem);
  for (i = 0; rc == TDB_OK && i < info->nseg; i++) {
    rc = tdbBackupScanSegment(vfs, &db->mem, &db->err, dir, &info->segs[i], i, &wall,
                              tdbRestoreRecord, &r);
  }
  tdbBatchFree(&r.batch);
  if (r.restored != head) {
    /* whatever committed is in the store: the schema must follow it */
    int rrc;
    TdbErr keep;
    tdbErrInit(&keep, &db->mem);
    if (rc != TDB_OK) { /* keep the first error's message */
      tdbErrSet(&keep, db->err.code, db->err.sqlstate, "%s", tdbErrMessage(&db->err));
    }
    rrc = tdbRestoreReload(db, head, r.restored);
    if (rc != TDB_OK) {
      tdbErrSet(&db->err, keep.code, keep.sqlstate, "%s (the database now holds epochs "
                "through %llu)", tdbErrMessage(&keep), (unsigned long long)r.restored);
    } else {
      rc = rrc;
    }
    tdbErrClear(&keep);
  }
  return rc;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static int tdbBackupRow(tdb_stmt *st, uint64_t since, uint64_t through, const char *status) {
  TdbValue *row;
  tdbRowSetFree(&st->result, &st->db->mem);
  tdbRowSetInit(&st->result, status ? 4 : 3);
  row = tdbRowSetAdd(&st->result, &st->db->mem);
  if (!row) return tdbErrNoMem(&st->db->err);
  tdbValueSetInt(&row[0], (int64_t)since);
  tdbValueSetInt(&row[1], (int64_t)through);
  tdbValueSetInt(&row[2], (int64_t)(through - since));
  if (status && tdbValueSetBytes(&st->db->mem, &row[3], TDB_TYPE_TEXT, status,
                                 strlen(status)) != TDB_OK) {
    return tdbErrNoMem(&st->db->err);
  }
  st->result_pos = 0;
  st->use_result = 1;
  return TDB_OK;
}

TDB_PRIVATE int tdbExecBackup(tdb_stmt *st) {
  tdb *db = st->db;
  TdbVfs *vfs = NULL;
  TdbBackupInfo info;
  uint64_t since = 0, through = 0;
  int rc;
  memset(&info, 0, sizeof info);
#ifdef TDB_OMIT_VFS_POSIX
  return tdbErrSet(&db->err, TDB_ERROR, TDB_SQLSTATE_FEATURE,
                   "backups need the posix file system, which this build omits");
#else
  if (tdbVfsPosixNew(&db->mem, &vfs) != TDB_OK) return tdbErrNoMem(&db->err);
  switch (st->ast->kind) {
    case TDB_STMT_BACKUP:
      rc = tdbBackupRun(st, vfs, &since, &through);
      if (rc == TDB_OK) rc = tdbBackupRow(st, since, through, NULL);
      break;
    case TDB_STMT_RESTORE:
      rc = tdbRestoreRun(st, vfs, &info);
      if (rc == TDB_OK) rc = tdbBackupRow(st, info.since, info.through, NULL);
      break;
    default:
      rc = tdbBackupVerify(vfs, &db->mem, &db->err, st->ast->name, &info);
      if (rc == TDB_OK) rc = tdbBackupRow(st, info.since, info.through, "ok");
      break;
  }
  tdbMemFree(&db->mem, info.segs);
  tdbVfsPosixFree(vfs);
  return rc;
#endif
}
