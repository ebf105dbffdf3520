/*
** test_store_corrupt.c — damaged files: flipped bytes, zeroed ranges and
** truncations of every kind of file of a database, each reopened and read.
**
** A small database is built once on the memory VFS (sync FULL, so every
** commit is durable): three flushed SSTables, a WAL holding the commits
** after the last flush, a MANIFEST and CURRENT. Its files are saved, and
** each case restores them into a fresh memory VFS, damages one file at one
** position, opens the store and exercises it: a scan AS OF every epoch, a
** point read of every key at the head, and tdbStoreCheck. Every case must end
** in one of these outcomes (counted and printed):
**   open-corrupt   the open fails with a TDB_CORRUPT-class code whose message
**                  names the damaged file (and, for SST and WAL, an offset);
**   read-corrupt   the open succeeds; a read or tdbStoreCheck fails with such
**                  an error; every answer given before that was right;
**   clean          the open succeeds and every read is right (allowed only
**                  where the damage cannot matter, e.g. a MANIFEST or WAL
**                  byte past the valid data — never for an SST byte, which a
**                  checksum covers: that is "undetected" and a FAILURE);
**   tail-dropped   WAL damage the reader must treat as a torn tail (zeros
**                  or a truncation, by the policy of wal.h): the store opens
**                  with a PREFIX of the commits and says so in a log note
**                  naming the file. All data here was synced, so this is
**                  accepted only with that note; a silent drop, a hole in
**                  the epochs, or any wrong value is a FAILURE. (A flipped
**                  byte in the LAST record also reads as a torn tail: nothing
**                  valid follows it. Those are counted apart and printed.)
**   cut-at-record-boundary  a WAL truncated exactly between records opens
**                  with a prefix and no note: the file holds nothing that
**                  tells such a cut from records that were never written, so
**                  it is counted (and documented) rather than failed.
** Anything else — a wrong answer, an error of another class, an error that
** does not name the file, a crash (ASan/UBSan) — fails the test.
*/
#include "tensordb.c"
#include "test.h"
#include "kv_model.h"

static TdbMem gMem;

typedef struct SavedFile {
  char name[64];
  unsigned char *data;
  size_t n;
} SavedFile;

static SavedFile gFiles[32];
static int gNFiles;
static Model gModel;
static size_t *gLive;

/* Log notes of the store being tested. */
static char gLog[4096];
static void logFn(void *ctx, int level, const char *msg) {
  size_t n = strlen(gLog);
  (void)ctx;
  (void)level;
  snprintf(gLog + n, sizeof gLog - n, "%s\n", msg);
}

static void corruptConfig(tdb_config *cfg) {
  tdb_config_default(cfg);
  cfg->memtable_bytes = 128 << 10;
  cfg->block_bytes = 1024;
  cfg->threads = 0;
  cfg->l0_compaction_trigger = 8; /* keep the flushed tables in L0 as built */
  cfg->log_fn = logFn;
}

static int saveEntry(void *ctx, const char *name, int is_dir) {
  TdbVfs *vfs = ctx;
  char path[128];
  TdbVfsFile *f = NULL;
  uint64_t size = 0;
  size_t got = 0;
  SavedFile *sf;
  if (is_dir || strcmp(name, "LOCK") == 0 || gNFiles == 32) return 0;
  sf = &gFiles[gNFiles++];
  snprintf(sf->name, sizeof sf->name, "%s", name);
  snprintf(path, sizeof path, "db/%.60s", name);
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_READ, &f, NULL), TDB_OK);
  if (!f) return 0;
  CHECK_EQ(f->methods->get_size(f, &size, NULL), TDB_OK);
  sf->n = (size_t)size;
  sf->data = malloc(sf->n ? sf->n : 1);
  CHECK_EQ(f->methods->read_at(f, 0, sf->data, sf->n, &got, NULL), TDB_OK);
  CHECK_EQ(got, sf->n);
  tdbVfsClose(f);
  return 0;
}

/* Build the database and save its files. With `flush_all` everything ends
** in tables and the WAL is empty, so nothing but the MANIFEST knows about
** the data (a damaged MANIFEST can no longer be caught by the WAL's epochs). */
static const char *gVariant = "";
static void buildDatabase(int flush_all) {
  TdbVfs *vfs = NULL;
  TdbStore *s = NULL;
  TdbErr err;
  TdbBatch tb;
  ModelBatch mb;
  tdb_config cfg;
  uint64_t rng = 77;
  int i, j, tables = 0;
  memset(&mb, 0, sizeof mb);
  mvInit(&gModel, 50, 77);
  gLive = calloc(gModel.nkeys + 1, sizeof *gLive);
  corruptConfig(&cfg);
  tdbErrInit(&err, &gMem);
  tdbBatchInit(&tb, &gMem);
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &vfs), TDB_OK);
  CHECK_EQ(tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s), TDB_OK);
  for (i = 0; s && i < 120; i++) {
    int n = 1 + (int)(tdbTestRand(&rng) % 4);
    uint64_t e = 0;
    for (j = 0; j < n; j++) {
      int live = tdbTestRand(&rng) % 5 != 0;
      size_t len = live ? (size_t)(tdbTestRand(&rng) % 300) : 0;
      mvBatchAdd(&mb, (size_t)(tdbTestRand(&rng) % gModel.nkeys), live,
                 live ? mvMakeValue(&rng, len) : NULL, len);
    }
    CHECK_EQ(mvBatchToStore(&gModel, &mb, &tb), TDB_OK);
    CHECK_EQ(tdbStoreWrite(s, &tb, &e, &err), TDB_OK);
    mvCommit(&gModel, &mb);
    if (i == 29 || i == 59 || i == 89) { /* three tables; 30 commits stay in the WAL */
      CHECK_EQ(tdbStoreFlush(s, &err), TDB_OK);
      tables++;
    }
  }
  if (s && flush_all) CHECK_EQ(tdbStoreFlush(s, &err), TDB_OK);
  if (s) CHECK_EQ(s->vs.current->nfiles[0], 3 + flush_all); /* the flushes, not compacted */
  tdbStoreClose(s);
  vfs->list_dir(vfs, "db", saveEntry, vfs, NULL);
  tdbVfsMemoryFree(vfs);
  tdbBatchFree(&tb);
  tdbErrClear(&err);
  mvBatchFree(&mb);
  (void)tables;
}

/* A fresh memory VFS holding the saved files. */
static TdbVfs *restore(void) {
  TdbVfs *vfs = NULL;
  int i;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &vfs), TDB_OK);
  CHECK_EQ(vfs->make_dir(vfs, "db", NULL), TDB_OK);
  for (i = 0; i < gNFiles; i++) {
    char path[128];
    TdbVfsFile *f = NULL;
    snprintf(path, sizeof path, "db/%.60s", gFiles[i].name);
    CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL), TDB_OK);
    if (!f) continue;
    if (gFiles[i].n) CHECK_EQ(f->methods->write_at(f, 0, gFiles[i].data, gFiles[i].n, NULL), TDB_OK);
    tdbVfsClose(f);
  }
  return vfs;
}

enum { DMG_FLIP, DMG_ZERO, DMG_TRUNCATE };
enum {
  OUT_OPEN_CORRUPT,
  OUT_READ_CORRUPT,
  OUT_CLEAN,
  OUT_TAIL_DROPPED,
  OUT_UNDETECTABLE,
  OUT_FAILED,
  OUT_N
};
static const char *const gOutName[OUT_N] = {"open-corrupt", "read-corrupt", "clean",
                                            "tail-dropped", "cut-at-record-boundary",
                                            "FAILED"};
static long gOut[8][OUT_N]; /* per file kind */
static long gTailFlips;     /* tail-dropped cases caused by a flipped byte */

static void damage(TdbVfs *vfs, const SavedFile *sf, int how, size_t pos, size_t len) {
  char path[128];
  TdbVfsFile *f = NULL;
  snprintf(path, sizeof path, "db/%.60s", sf->name);
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (!f) return;
  if (how == DMG_FLIP && pos < sf->n) {
    unsigned char b = (unsigned char)(sf->data[pos] ^ (pos % 2 ? 0x80 : 0x01));
    CHECK_EQ(f->methods->write_at(f, pos, &b, 1, NULL), TDB_OK);
  } else if (how == DMG_ZERO && pos < sf->n) {
    unsigned char z[512];
    memset(z, 0, sizeof z);
    if (len > sizeof z) len = sizeof z;
    if (pos + len > sf->n) len = sf->n - pos;
    CHECK_EQ(f->methods->write_at(f, pos, z, len, NULL), TDB_OK);
  } else if (how == DMG_TRUNCATE) {
    CHECK_EQ(f->methods->truncate_to(f, pos, NULL), TDB_OK);
  }
  tdbVfsClose(f);
}

/* Whether an error message names the file (and an offset when required). */
static int namesFile(const char *msg, const SavedFile *sf, int need_offset) {
  const char *base = sf->name;
  char manifest[16];
  if (!msg) return 0;
  if (strncmp(base, "MANIFEST-", 9) == 0) {
    snprintf(manifest, sizeof manifest, "MANIFEST");
    base = manifest; /* a damaged CURRENT/MANIFEST may be named either way */
  }
  if (!strstr(msg, base) && !(strcmp(sf->name, "CURRENT") == 0 && strstr(msg, "MANIFEST"))) {
    return 0;
  }
  return !need_offset || strstr(msg, "offset") != NULL;
}

static int isCorrupt(int rc) { return (rc & 0xff) == TDB_CORRUPT; }

/* Open and exercise the damaged database; returns the outcome. */
static int exercise(TdbVfs *vfs, const SavedFile *sf, TdbFileKind kind, int how, char *why,
                    size_t whyn) {
  tdb_config cfg;
  TdbStore *s = NULL;
  TdbErr err;
  TdbStr report;
  uint64_t head, e;
  int rc, out = OUT_CLEAN, need_offset = kind == TDB_FILE_TABLE || kind == TDB_FILE_LOG;
  size_t i;
  char msg[600];
  corruptConfig(&cfg);
  gLog[0] = '\0';
  tdbErrInit(&err, &gMem);
  rc = tdbStoreOpenVfs(&gMem, vfs, "db", &cfg, &err, &s);
  if (rc != TDB_OK) {
    snprintf(why, whyn, "open: rc %d: %s", rc, tdbErrMessage(&err));
    out = isCorrupt(rc) && namesFile(tdbErrMessage(&err), sf, need_offset) ? OUT_OPEN_CORRUPT
                                                                            : OUT_FAILED;
    tdbErrClear(&err);
    return out;
  }
  head = tdbStoreHead(s);
  if (head > gModel.head) {
    snprintf(why, whyn, "head %llu beyond the %llu commits", (unsigned long long)head,
             (unsigned long long)gModel.head);
    out = OUT_FAILED;
  } else if (head < gModel.head) {
    /* only a WAL tail the reader may take for torn, and only with a note */
    if (kind == TDB_FILE_LOG && strstr(gLog, sf->name)) {
      out = OUT_TAIL_DROPPED;
      if (how == DMG_FLIP) gTailFlips++; /* not zeros: see the report line */
    } else if (kind == TDB_FILE_LOG && how == DMG_TRUNCATE) {
      /* The log cut exactly at a record boundary looks like a log whose last
      ** records were never written: nothing inside the file can tell them
      ** apart (docs/storage.md, "Recovery"). Counted, not failed. */
      out = OUT_UNDETECTABLE;
    } else {
      snprintf(why, whyn, "head %llu < %llu: acknowledged, synced commits dropped (log: %s)",
               (unsigned long long)head, (unsigned long long)gModel.head,
               gLog[0] ? gLog : "nothing");
      out = OUT_FAILED;
    }
  }
  /* every epoch that is there must read exactly right */
  for (e = 1; out != OUT_FAILED && out != OUT_READ_CORRUPT && e <= head; e++) {
    int r, erc = 0;
    r = mvCheckScan(s, &gMem, &gModel, e, e % 2, gLive, &erc, msg, sizeof msg);
    if (r == MV_WRONG) {
      snprintf(why, whyn, "WRONG ANSWER: %s", msg);
      out = OUT_FAILED;
    } else if (r == MV_ERROR) {
      snprintf(why, whyn, "%s", msg);
      out = isCorrupt(erc) && namesFile(msg, sf, need_offset) ? OUT_READ_CORRUPT : OUT_FAILED;
    }
  }
  for (i = 0; out != OUT_FAILED && out != OUT_READ_CORRUPT && head && i < gModel.nkeys; i++) {
    int r, erc = 0;
    r = mvCheckGet(s, &gMem, &gModel, i, head, &erc, msg, sizeof msg);
    if (r == MV_WRONG) {
      snprintf(why, whyn, "WRONG ANSWER: %s", msg);
      out = OUT_FAILED;
    } else if (r == MV_ERROR) {
      snprintf(why, whyn, "%s", msg);
      out = isCorrupt(erc) && namesFile(msg, sf, need_offset) ? OUT_READ_CORRUPT : OUT_FAILED;
    }
  }
  if (out == OUT_CLEAN || out == OUT_TAIL_DROPPED) {
    tdbStrInit(&report, &gMem);
    rc = tdbStoreCheck(s, &report, &err);
    if (rc != TDB_OK) {
      snprintf(why, whyn, "check: rc %d: %s", rc, tdbErrMessage(&err));
      out = isCorrupt(rc) && namesFile(tdbErrMessage(&err), sf, need_offset) ? OUT_READ_CORRUPT
                                                                             : OUT_FAILED;
    }
    tdbStrClear(&report);
  }
  if (out == OUT_CLEAN && kind == TDB_FILE_TABLE) {
    snprintf(why, whyn, "UNDETECTED: damage to a checksummed SSTable passed every read and the "
             "check");
    out = OUT_FAILED;
  }
  tdbStoreClose(s);
  tdbErrClear(&err);
  return out;
}

static const char *dmgName(int how) {
  return how == DMG_FLIP ? "flip" : how == DMG_ZERO ? "zero" : "truncate";
}

static long gCases;

static void runCase(const SavedFile *sf, TdbFileKind kind, int how, size_t pos, size_t len) {
  TdbVfs *vfs = restore();
  char why[800];
  int out;
  why[0] = '\0';
  if (!vfs) return;
  damage(vfs, sf, how, pos, len);
  out = exercise(vfs, sf, kind, how, why, sizeof why);
  gOut[kind][out]++;
  gCases++;
  if (out == OUT_FAILED) {
    tdbTestFail(__FILE__, __LINE__, "%s%s %s at %zu (len %zu) of %zu bytes: %s", gVariant,
                sf->name, dmgName(how), pos, len, sf->n, why);
  } else if (getenv("TDB_CORRUPT_VERBOSE")) {
    printf("# %s %s at %zu: %s %s\n", sf->name, dmgName(how), pos, gOutName[out], why);
  }
  tdbVfsMemoryFree(vfs);
}

/* Positions spread over [lo, hi): n of them, first and last included. */
static void spread(const SavedFile *sf, TdbFileKind kind, size_t lo, size_t hi, int n) {
  int i;
  if (hi <= lo) return;
  for (i = 0; i < n; i++) {
    size_t pos = lo + (size_t)((double)(hi - lo - 1) * i / (n > 1 ? n - 1 : 1));
    runCase(sf, kind, DMG_FLIP, pos, 1);
    if (i % 2 == 0) runCase(sf, kind, DMG_ZERO, pos, i % 4 == 0 ? 16 : 512);
    if (i % 3 == 0) runCase(sf, kind, DMG_TRUNCATE, pos, 0);
  }
}

static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* SSTables: data blocks, filter, meta, index and the footer (parsed). */
static void testCorruptSstables(void) {
  int i, tables = 0;
  for (i = 0; i < gNFiles; i++) {
    const SavedFile *sf = &gFiles[i];
    uint64_t num;
    size_t foot, index_off, filter_off, meta_off;
    if (tdbFileParse(sf->name, &num) != TDB_FILE_TABLE || sf->n < TDB_SST_FOOTER_SIZE) continue;
    tables++;
    foot = sf->n - TDB_SST_FOOTER_SIZE;
    index_off = (size_t)le64(sf->data + foot);
    filter_off = (size_t)le64(sf->data + foot + 16);
    meta_off = (size_t)le64(sf->data + foot + 32);
    CHECK(index_off < foot && meta_off < index_off);
    if (!(index_off < foot && meta_off < index_off)) continue;
    if (filter_off == 0) filter_off = meta_off;
    spread(sf, TDB_FILE_TABLE, 0, filter_off, tables == 1 ? 16 : 6);      /* data blocks */
    spread(sf, TDB_FILE_TABLE, filter_off, meta_off, 3);                  /* filter */
    spread(sf, TDB_FILE_TABLE, meta_off, index_off, 3);                   /* meta */
    spread(sf, TDB_FILE_TABLE, index_off, foot, 4);                       /* index */
    spread(sf, TDB_FILE_TABLE, foot, sf->n, tables == 1 ? 16 : 8);        /* footer */
    runCase(sf, TDB_FILE_TABLE, DMG_TRUNCATE, 0, 0);
    runCase(sf, TDB_FILE_TABLE, DMG_TRUNCATE, sf->n - 1, 0);
  }
  CHECK(tables >= 3);
}

/* The WAL: header, payload, tail; truncations anywhere. */
static void testCorruptWal(void) {
  int i, logs = 0;
  for (i = 0; i < gNFiles; i++) {
    const SavedFile *sf = &gFiles[i];
    uint64_t num;
    if (tdbFileParse(sf->name, &num) != TDB_FILE_LOG || sf->n == 0) continue;
    logs++;
    spread(sf, TDB_FILE_LOG, 0, TDB_WAL_HEADER, 7);                   /* first header */
    spread(sf, TDB_FILE_LOG, TDB_WAL_HEADER, sf->n, 24);              /* payload */
    spread(sf, TDB_FILE_LOG, sf->n > 64 ? sf->n - 64 : 0, sf->n, 8);  /* tail */
  }
  CHECK(logs >= 1);
}

static void testCorruptManifestAndCurrent(void) {
  int i, seen = 0;
  for (i = 0; i < gNFiles; i++) {
    const SavedFile *sf = &gFiles[i];
    uint64_t num;
    TdbFileKind kind = tdbFileParse(sf->name, &num);
    if (kind == TDB_FILE_MANIFEST) {
      seen++;
      spread(sf, kind, 0, sf->n, 24);
      runCase(sf, kind, DMG_TRUNCATE, 0, 0);
    } else if (kind == TDB_FILE_CURRENT) {
      seen++;
      spread(sf, kind, 0, sf->n, (int)sf->n);
      runCase(sf, kind, DMG_TRUNCATE, 0, 0);
    }
  }
  CHECK(seen >= 2);
}

/* The undamaged copy opens and reads right (so the cases above can fail
** only because of the damage). */
static void testIntactCopy(void) {
  TdbVfs *vfs = restore();
  char why[800];
  SavedFile none;
  memset(&none, 0, sizeof none);
  snprintf(none.name, sizeof none.name, "none");
  why[0] = '\0';
  if (!vfs) return;
  CHECK_EQ(exercise(vfs, &none, TDB_FILE_UNKNOWN, DMG_FLIP, why, sizeof why), OUT_CLEAN);
  if (why[0]) printf("# intact: %s\n", why);
  tdbVfsMemoryFree(vfs);
}

int main(void) {
  static const char *const kinds[] = {"unknown", "LOCK", "CURRENT", "MANIFEST", "WAL", "SST",
                                      "temp"};
  int k, o, i;
  tdbMemInit(&gMem, NULL);
  buildDatabase(0);
  TEST_RUN(testIntactCopy);
  TEST_RUN(testCorruptSstables);
  TEST_RUN(testCorruptWal);
  TEST_RUN(testCorruptManifestAndCurrent);
  /* the same MANIFEST/CURRENT damage when the WAL holds nothing */
  for (i = 0; i < gNFiles; i++) free(gFiles[i].data);
  gNFiles = 0;
  mvFree(&gModel);
  free(gLive);
  gVariant = "(all flushed) ";
  buildDatabase(1);
  TEST_RUN(testIntactCopy);
  TEST_RUN(testCorruptManifestAndCurrent);
  printf("# corrupt: %ld cases over %d files:", gCases, gNFiles);
  for (k = 2; k <= 5; k++) {
    printf(" %s", kinds[k]);
    for (o = 0; o < OUT_N; o++) {
      if (gOut[k][o]) printf(" %s %ld", gOutName[o], gOut[k][o]);
    }
    printf(";");
  }
  printf(" (tail-dropped after a flipped byte, not zeros: %ld)\n", gTailFlips);
  for (i = 0; i < gNFiles; i++) free(gFiles[i].data);
  mvFree(&gModel);
  free(gLive);
  return tdbTestFinish();
}
