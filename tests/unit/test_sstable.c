/*
** test_sstable.c — SSTables end to end: build and read 100k entries over
** the memory VFS and the POSIX VFS (temp dir), with and without mmap, block
** cache and compression (LZ4 when the build has it); point lookups of
** present, absent and "as of" keys; iterator order both ways and seeks;
** properties; then every single-byte flip and every truncation of a small
** table -> a clean TDB_CORRUPT-class error naming the file and an offset,
** never a wrong answer; and the "needs LZ4 support" error.
**
** Keys imitate internal keys: a 10-byte user key "u%09u" then an 8-byte
** big-endian ~version (newer first), compared bytewise; the test-local
** extractor gives the user key (the engine plugs in tdbIkeyUserKey).
*/
#include "tensordb.c"
#include "test.h"

#include <unistd.h> /* rmdir, unlink */

static TdbMem sstMem;

#define SST_UKEY 10
#define SST_KEY (SST_UKEY + 8)

static const unsigned char *sstUserKey(const void *key, size_t n,
                                       size_t *user_len) {
  if (n < 8) {
    *user_len = 0;
    return NULL;
  }
  *user_len = n - 8;
  return (const unsigned char *)key;
}

/* Entry i: user key number 3 * (i / 2) (so 3k+1, 3k+2 are absent), with
** versions: every user key has 2 versions, 9 and 5 (version 9 first). */
static void sstKey(unsigned char *k, uint64_t i) {
  uint64_t u = 3 * (i / 2), ver = (i % 2) ? 5 : 9;
  snprintf((char *)k, SST_UKEY + 1, "u%09llu", (unsigned long long)u);
  tdbPutFixed64BE(k + SST_UKEY, ~ver);
}

static size_t sstValue(char *v, uint64_t i) {
  return (size_t)snprintf(v, 64, "value-%llu-payload-payload-payload",
                          (unsigned long long)i);
}

typedef struct SstFound {
  int calls;
  unsigned char key[64];
  size_t klen;
  char val[128];
  size_t vlen;
} SstFound;

static void sstGetFn(void *ctx, const unsigned char *key, size_t klen,
                     const unsigned char *val, size_t vlen) {
  SstFound *f = (SstFound *)ctx;
  f->calls++;
  f->klen = klen < sizeof f->key ? klen : sizeof f->key;
  memcpy(f->key, key, f->klen);
  f->vlen = vlen < sizeof f->val ? vlen : sizeof f->val;
  memcpy(f->val, val, f->vlen);
}

/* Write buf as the whole of `path`. */
static void sstWriteFile(TdbVfs *vfs, const char *path, const void *buf,
                         size_t n) {
  TdbVfsFile *f = NULL;
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL),
           TDB_OK);
  if (!f)
    return;
  CHECK_EQ(f->methods->truncate_to(f, 0, NULL), TDB_OK);
  if (n)
    CHECK_EQ(f->methods->write_at(f, 0, buf, n, NULL), TDB_OK);
  tdbVfsClose(f);
}

static unsigned char *sstReadFile(TdbVfs *vfs, const char *path, size_t *n) {
  TdbVfsFile *f = NULL;
  uint64_t size = 0;
  unsigned char *buf;
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_READ, &f, NULL), TDB_OK);
  if (!f)
    return NULL;
  f->methods->get_size(f, &size, NULL);
  buf = (unsigned char *)malloc(size ? size : 1);
  CHECK_EQ(tdbVfsReadExact(f, 0, buf, (size_t)size, NULL), TDB_OK);
  tdbVfsClose(f);
  *n = (size_t)size;
  return buf;
}

static void sstOptions(TdbSstOptions *o, int compression, size_t block_bytes) {
  memset(o, 0, sizeof *o);
  o->user_key = sstUserKey;
  o->compression = compression;
  o->block_bytes = block_bytes;
}

/* Build a table of entries 0..n-1 at path. */
static void sstBuild(TdbVfs *vfs, const char *path, const TdbSstOptions *o,
                     uint64_t n, TdbSstProps *props) {
  TdbVfsFile *f = NULL;
  TdbSstBuilder *b = NULL;
  unsigned char k[SST_KEY];
  char v[64];
  uint64_t i;
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL),
           TDB_OK);
  if (!f)
    return;
  CHECK_EQ(f->methods->truncate_to(f, 0, NULL), TDB_OK);
  CHECK_EQ(tdbSstBuilderNew(&sstMem, o, f, &b), TDB_OK);
  for (i = 0; i < n; i++) {
    sstKey(k, i);
    CHECK_EQ(tdbSstBuilderAdd(b, k, SST_KEY, v, sstValue(v, i)), TDB_OK);
  }
  if (n > 0) { /* out of order: refused, and not sticky */
    sstKey(k, 0);
    CHECK_EQ(tdbSstBuilderAdd(b, k, SST_KEY, "x", 1), TDB_MISUSE);
  }
  CHECK_EQ(tdbSstBuilderSetProperty(b, TDB_SST_PROP_USER + 1, "engine", 6),
           TDB_OK);
  CHECK_EQ(tdbSstBuilderSetProperty(b, 5, "x", 1), TDB_MISUSE);
  CHECK_EQ(tdbSstBuilderEntries(b), n);
  CHECK_EQ(tdbSstBuilderFinish(b, props), TDB_OK);
  CHECK_EQ(tdbSstBuilderFileSize(b), (uint64_t)0 + b->offset);
  tdbSstBuilderFree(b);
  tdbVfsClose(f);
}

/* Read everything back every way. */
static void sstVerify(TdbVfs *vfs, const char *path, const TdbSstOptions *o,
                      uint64_t n, TdbCache *cache, uint64_t cache_id) {
  TdbVfsFile *f = NULL;
  TdbSstReader *r = NULL;
  TdbVfsErr err;
  TdbSstIter it;
  const TdbSstProps *p;
  unsigned char k[SST_KEY], probe[SST_KEY];
  char v[64];
  uint64_t i, bad = 0, absent_pass = 0, absent_total = 0, seed = 99;
  size_t kl, vl;
  const unsigned char *pk, *pv;
  SstFound fd;
  int rc;
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_READ, &f, NULL), TDB_OK);
  if (!f)
    return;
  rc = tdbSstReaderOpen(&sstMem, o, f, cache, cache_id, &r, &err);
  CHECK_EQ(rc, TDB_OK);
  if (rc != TDB_OK) {
    printf("# open: %s\n", err.msg);
    tdbVfsClose(f);
    return;
  }
  p = tdbSstReaderProps(r);
  CHECK_EQ(p->entries, n);
  CHECK_EQ(p->raw_key_bytes, n * SST_KEY);
  CHECK_EQ(p->filter_keys, o->bloom_bits_per_key < 0 ? 0 : (n + 1) / 2);
  CHECK(p->data_blocks > 0 || n == 0);
  if (n > 0) {
    sstKey(k, 0);
    CHECK(p->min_key_len == SST_KEY && memcmp(p->min_key, k, SST_KEY) == 0);
    sstKey(k, n - 1);
    CHECK(p->max_key_len == SST_KEY && memcmp(p->max_key, k, SST_KEY) == 0);
  }
  if (o->compression != TDB_SST_COMPRESS_NONE && tdbCompressHasLz4() &&
      n > 100) {
    CHECK(p->lz4_blocks > 0);
    CHECK_EQ(p->compression, 1);
    CHECK(p->data_bytes < p->raw_data_bytes);
  } else if (o->compression == TDB_SST_COMPRESS_NONE || !tdbCompressHasLz4()) {
    CHECK_EQ(p->lz4_blocks, 0);
    CHECK_EQ(p->compression, 0);
  }
  CHECK(tdbSstReaderProperty(r, TDB_SST_PROP_USER + 1, &pk, &kl) == TDB_OK &&
        kl == 6 && memcmp(pk, "engine", 6) == 0);
  CHECK_EQ(tdbSstReaderProperty(r, TDB_SST_PROP_USER + 2, &pk, &kl),
           TDB_NOTFOUND);
  /* forward scan */
  tdbSstIterInit(&it, r);
  i = 0;
  for (tdbSstIterSeekToFirst(&it); tdbSstIterValid(&it); tdbSstIterNext(&it)) {
    sstKey(k, i);
    pk = tdbSstIterKey(&it, &kl);
    pv = tdbSstIterValue(&it, &vl);
    if (kl != SST_KEY || memcmp(pk, k, SST_KEY) != 0 || vl != sstValue(v, i) ||
        memcmp(pv, v, vl) != 0) {
      bad++;
    }
    i++;
  }
  CHECK_EQ(it.rc, TDB_OK);
  CHECK_EQ(i, n);
  /* backward scan */
  for (tdbSstIterSeekToLast(&it); tdbSstIterValid(&it); tdbSstIterPrev(&it)) {
    i--;
    sstKey(k, i);
    pk = tdbSstIterKey(&it, &kl);
    if (kl != SST_KEY || memcmp(pk, k, SST_KEY) != 0)
      bad++;
  }
  CHECK_EQ(it.rc, TDB_OK);
  CHECK_EQ(i, 0);
  /* random seeks, then a few steps each way */
  for (i = 0; n > 0 && i < 2000; i++) {
    uint64_t j = tdbTestRand(&seed) % n, s;
    sstKey(k, j);
    tdbSstIterSeek(&it, k, SST_KEY);
    for (s = 0; s < 3 && j + s < n; s++) {
      sstKey(k, j + s);
      pk = tdbSstIterKey(&it, &kl);
      if (!tdbSstIterValid(&it) || memcmp(pk, k, SST_KEY) != 0)
        bad++;
      tdbSstIterNext(&it);
    }
    sstKey(k, j);
    tdbSstIterSeek(&it, k, SST_KEY);
    tdbSstIterPrev(&it);
    if (j == 0) {
      if (tdbSstIterValid(&it))
        bad++;
    } else {
      sstKey(k, j - 1);
      pk = tdbSstIterKey(&it, &kl);
      if (!tdbSstIterValid(&it) || memcmp(pk, k, SST_KEY) != 0)
        bad++;
    }
  }
  /* past the end */
  memset(probe, 0xff, sizeof probe);
  tdbSstIterSeek(&it, probe, SST_KEY);
  CHECK(!tdbSstIterValid(&it));
  CHECK_EQ(it.rc, TDB_OK);
  tdbSstIterClear(&it);
  /* point lookups: every present entry; "as of" versions; absent keys */
  for (i = 0; i < n; i++) {
    sstKey(k, i);
    memset(&fd, 0, sizeof fd);
    rc = tdbSstGet(r, k, SST_KEY, sstGetFn, &fd, &err);
    if (rc != TDB_OK || fd.calls != 1 || fd.klen != SST_KEY ||
        memcmp(fd.key, k, SST_KEY) != 0 || fd.vlen != sstValue(v, i) ||
        memcmp(fd.val, v, fd.vlen) != 0) {
      bad++;
    }
  }
  for (i = 0; i + 1 < n; i += 2) {
    /* as of version 7: the newest version <= 7 is 5 (entry i + 1) */
    sstKey(probe, i);
    tdbPutFixed64BE(probe + SST_UKEY, ~(uint64_t)7);
    memset(&fd, 0, sizeof fd);
    rc = tdbSstGet(r, probe, SST_KEY, sstGetFn, &fd, &err);
    sstKey(k, i + 1);
    if (rc != TDB_OK || memcmp(fd.key, k, SST_KEY) != 0)
      bad++;
    /* as of version 3: none of this user key; the caller sees another key */
    tdbPutFixed64BE(probe + SST_UKEY, ~(uint64_t)3);
    memset(&fd, 0, sizeof fd);
    rc = tdbSstGet(r, probe, SST_KEY, sstGetFn, &fd, &err);
    if (rc == TDB_OK && memcmp(fd.key, probe, SST_UKEY) == 0)
      bad++;
    if (rc != TDB_OK && rc != TDB_NOTFOUND)
      bad++;
  }
  for (i = 0; i < n / 2; i++) {
    unsigned char ab[SST_KEY];
    snprintf((char *)ab, SST_UKEY + 1, "u%09llu",
             (unsigned long long)(3 * i + 1));
    tdbPutFixed64BE(ab + SST_UKEY, ~(uint64_t)100);
    absent_total++;
    if (tdbSstMayContain(r, ab, SST_UKEY))
      absent_pass++;
    memset(&fd, 0, sizeof fd);
    rc = tdbSstGet(r, ab, SST_KEY, sstGetFn, &fd, &err);
    if (rc == TDB_OK && memcmp(fd.key, ab, SST_UKEY) == 0)
      bad++;
    if (rc != TDB_OK && rc != TDB_NOTFOUND)
      bad++;
  }
  if (absent_total > 1000) {
    CHECK(absent_pass * 50 < absent_total); /* bloom: < 2% pass */
  }
  CHECK_EQ(bad, 0);
  if (cache)
    CHECK(tdbCacheUsage(cache) <= tdbCacheCapacity(cache));
  tdbSstReaderClose(r);
  if (cache)
    CHECK_EQ(tdbCachePinnedUsage(cache), 0);
  tdbVfsClose(f);
}

static char sstDir[256];

static void sstRunMatrix(TdbVfs *vfs, const char *dir) {
  static const int comp[] = {TDB_SST_COMPRESS_NONE, TDB_SST_COMPRESS_AUTO};
  TdbSstOptions o;
  TdbSstProps props;
  TdbCache *cache = NULL;
  char path[300];
  size_t c;
  CHECK_EQ(tdbCacheNew(&sstMem, 256 << 10, 2, &cache), TDB_OK);
  for (c = 0; c < TDB_ARRAY_LEN(comp); c++) {
    snprintf(path, sizeof path, "%s/%06d.sst", dir, (int)c + 1);
    sstOptions(&o, comp[c], 0);
    sstBuild(vfs, path, &o, 100000, &props);
    CHECK_EQ(props.entries, 100000);
    printf(
        "# sstable %s %s: 100000 entries, %llu data blocks, %llu LZ4, "
        "data %llu of %llu raw bytes\n",
        vfs->name, comp[c] == TDB_SST_COMPRESS_NONE ? "raw" : "auto",
        (unsigned long long)props.data_blocks,
        (unsigned long long)props.lz4_blocks,
        (unsigned long long)props.data_bytes,
        (unsigned long long)props.raw_data_bytes);
    o.no_mmap = 0;
    sstVerify(vfs, path, &o, 100000, NULL, 0);
    sstVerify(vfs, path, &o, 100000, cache, 100 + c);
    o.no_mmap = 1;
    sstVerify(vfs, path, &o, 100000, NULL, 0);
    sstVerify(vfs, path, &o, 100000, cache, 200 + c);
    CHECK_EQ(vfs->remove_file(vfs, path, NULL), TDB_OK);
  }
  /* small tables and odd block sizes */
  {
    static const uint64_t counts[] = {0, 1, 2, 33, 1000};
    size_t i;
    for (i = 0; i < TDB_ARRAY_LEN(counts); i++) {
      snprintf(path, sizeof path, "%s/small%zu.sst", dir, i);
      sstOptions(&o, TDB_SST_COMPRESS_AUTO, 1 + 97 * i);
      sstBuild(vfs, path, &o, counts[i], NULL);
      sstVerify(vfs, path, &o, counts[i], cache, 300 + i);
      o.bloom_bits_per_key = -1; /* no filter */
      sstBuild(vfs, path, &o, counts[i], NULL);
      sstVerify(vfs, path, &o, counts[i], NULL, 0);
      CHECK_EQ(vfs->remove_file(vfs, path, NULL), TDB_OK);
    }
  }
  tdbCacheFree(cache);
}

static void testMemoryVfs(void) {
  TdbVfs *vfs = NULL;
  CHECK_EQ(tdbVfsMemoryNew(&sstMem, &vfs), TDB_OK);
  if (!vfs)
    return;
  CHECK_EQ(vfs->make_dir(vfs, "db", NULL), TDB_OK);
  sstRunMatrix(vfs, "db");
  tdbVfsMemoryFree(vfs);
}

static void testPosixVfs(void) {
  TdbVfs *vfs = NULL;
  CHECK_EQ(tdbVfsPosixNew(&sstMem, &vfs), TDB_OK);
  if (!vfs)
    return;
  snprintf(sstDir, sizeof sstDir, "%s/tdb-sst.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  CHECK(mkdtemp(sstDir) != NULL);
  sstRunMatrix(vfs, sstDir);
  CHECK_EQ(rmdir(sstDir), 0);
  tdbVfsPosixFree(vfs);
}

/* ---- corruption --------------------------------------------------------- */

/* Open path and read all of it: TDB_OK when every entry came back right,
** else the first error (and *msg). An entry that comes back wrong is a
** failed check: damage must be reported, never answered around. */
static int sstReadAll(TdbVfs *vfs, const char *path, const TdbSstOptions *o,
                      uint64_t n, TdbCache *cache, char *msg, size_t cap) {
  TdbVfsFile *f = NULL;
  TdbSstReader *r = NULL;
  TdbVfsErr err;
  TdbSstIter it;
  unsigned char k[SST_KEY];
  char v[64];
  uint64_t i;
  size_t kl, vl;
  const unsigned char *pk, *pv;
  SstFound fd;
  int rc;
  msg[0] = 0;
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_READ, &f, NULL), TDB_OK);
  if (!f)
    return TDB_ERROR;
  memset(&err, 0, sizeof err);
  rc = tdbSstReaderOpen(&sstMem, o, f, cache, 1, &r, &err);
  if (rc != TDB_OK) {
    snprintf(msg, cap, "%s", err.msg);
    tdbVfsClose(f);
    return rc;
  }
  tdbSstIterInit(&it, r);
  i = 0;
  for (tdbSstIterSeekToFirst(&it); tdbSstIterValid(&it); tdbSstIterNext(&it)) {
    sstKey(k, i);
    pk = tdbSstIterKey(&it, &kl);
    pv = tdbSstIterValue(&it, &vl);
    CHECK(i < n && kl == SST_KEY && memcmp(pk, k, SST_KEY) == 0 &&
          vl == sstValue(v, i) && memcmp(pv, v, vl) == 0);
    i++;
  }
  rc = it.rc;
  if (rc != TDB_OK)
    snprintf(msg, cap, "%s", it.err.msg);
  if (rc == TDB_OK)
    CHECK_EQ(i, n);
  tdbSstIterClear(&it);
  for (i = 0; rc == TDB_OK && i < n; i += 5) { /* a lookup in every block */
    sstKey(k, i);
    memset(&fd, 0, sizeof fd);
    rc = tdbSstGet(r, k, SST_KEY, sstGetFn, &fd, &err);
    if (rc == TDB_OK) {
      CHECK(memcmp(fd.key, k, SST_KEY) == 0);
    } else {
      CHECK(rc != TDB_NOTFOUND); /* a present key must not vanish */
      snprintf(msg, cap, "%s", err.msg);
    }
  }
  tdbSstReaderClose(r);
  tdbVfsClose(f);
  return rc;
}

static void sstExpectCorrupt(int rc, const char *msg, const char *path,
                             size_t where) {
  if ((rc & 0xff) != TDB_CORRUPT || !strstr(msg, path) ||
      !strstr(msg, "at offset")) {
    tdbTestFail(__FILE__, __LINE__, "damage at byte %zu: rc %d, message \"%s\"",
                where, rc, msg);
  }
}

static void sstCorruptionSweep(int no_mmap, int compression) {
  TdbVfs *vfs = NULL;
  TdbSstOptions o;
  TdbCache *cache = NULL;
  unsigned char *orig, *copy;
  size_t size = 0, pos, len;
  char msg[TDB_VFS_MSG_MAX];
  const uint64_t n = 150;
  int rc;
  CHECK_EQ(tdbVfsMemoryNew(&sstMem, &vfs), TDB_OK);
  if (!vfs)
    return;
  sstOptions(&o, compression, 300);
  o.no_mmap = no_mmap;
  sstBuild(vfs, "t.sst", &o, n, NULL);
  orig = sstReadFile(vfs, "t.sst", &size);
  if (!orig)
    return;
  rc = sstReadAll(vfs, "t.sst", &o, n, NULL, msg, sizeof msg);
  CHECK_EQ(rc, TDB_OK);
  copy = (unsigned char *)malloc(size);
  /* every byte flipped, read with and without a cache */
  for (pos = 0; pos < size; pos++) {
    memcpy(copy, orig, size);
    copy[pos] ^= (unsigned char)(1u << (pos % 8));
    sstWriteFile(vfs, "bad.sst", copy, size);
    if (pos % 2) {
      CHECK_EQ(tdbCacheNew(&sstMem, 4096, 0, &cache), TDB_OK);
    }
    rc = sstReadAll(vfs, "bad.sst", &o, n, cache, msg, sizeof msg);
    tdbCacheFree(cache);
    cache = NULL;
    sstExpectCorrupt(rc, msg, "bad.sst", pos);
  }
  /* every truncation */
  for (len = 0; len < size; len++) {
    sstWriteFile(vfs, "short.sst", orig, len);
    rc = sstReadAll(vfs, "short.sst", &o, n, NULL, msg, sizeof msg);
    sstExpectCorrupt(rc, msg, "short.sst", len);
  }
  /* trailing garbage and zeroed regions */
  for (len = 1; len < 100; len += 7) {
    unsigned char *longer = (unsigned char *)calloc(size + len, 1);
    memcpy(longer, orig, size);
    sstWriteFile(vfs, "long.sst", longer, size + len);
    rc = sstReadAll(vfs, "long.sst", &o, n, NULL, msg, sizeof msg);
    sstExpectCorrupt(rc, msg, "long.sst", size + len);
    free(longer);
  }
  for (pos = 0; pos + 16 <= size; pos += 16) {
    memcpy(copy, orig, size);
    memset(copy + pos, 0, 16);
    if (memcmp(copy, orig, size) == 0)
      continue;
    sstWriteFile(vfs, "zero.sst", copy, size);
    rc = sstReadAll(vfs, "zero.sst", &o, n, NULL, msg, sizeof msg);
    sstExpectCorrupt(rc, msg, "zero.sst", pos);
  }
  printf(
      "# sstable corruption (%s, %s): %zu flips, %zu truncations of a "
      "%zu-byte table all rejected; e.g. \"%s\"\n",
      no_mmap ? "read_at" : "mmap",
      compression == TDB_SST_COMPRESS_NONE ? "raw" : "auto", size, size, size,
      msg);
  free(copy);
  free(orig);
  tdbVfsMemoryFree(vfs);
}

static void testCorruptionMmap(void) {
  sstCorruptionSweep(0, TDB_SST_COMPRESS_AUTO);
}
static void testCorruptionReadAt(void) {
  sstCorruptionSweep(1, TDB_SST_COMPRESS_NONE);
}

/* Rewrite the meta block of table bytes t[0..n) with lz4_blocks = 1 (and
** re-tile index and footer after it); returns the new bytes. */
static unsigned char *sstWithLz4Meta(const unsigned char *t, size_t n,
                                     size_t *out_n) {
  TdbSstFooter f, nf;
  TdbSstProps p;
  const char *why;
  uint32_t pos;
  unsigned char *meta = NULL, *out;
  size_t mlen = 0, at, ilen;
  CHECK_EQ(tdbSstFooterDecode(t + n - TDB_SST_FOOTER_SIZE, &f, &why, &pos),
           TDB_OK);
  CHECK_EQ(
      tdbSstPropsDecode(t + f.meta.offset, (size_t)f.meta.size, &p, &why, &pos),
      TDB_OK);
  p.lz4_blocks = 1;
  p.compression = 1;
  CHECK_EQ(tdbSstPropsEncode(&sstMem, &p, NULL, 0, &meta, &mlen), TDB_OK);
  ilen = (size_t)f.index.size + TDB_SST_TRAILER_SIZE;
  out = (unsigned char *)malloc(n + mlen + 64);
  at = (size_t)f.meta.offset;
  memcpy(out, t, at);
  nf = f;
  nf.meta.offset = at;
  nf.meta.size = mlen;
  memcpy(out + at, meta, mlen);
  tdbSstTrailerEncode(meta, mlen, TDB_SST_BLOCK_RAW, out + at + mlen);
  at += mlen + TDB_SST_TRAILER_SIZE;
  memcpy(out + at, t + f.index.offset, ilen);
  nf.index.offset = at;
  at += ilen;
  tdbSstFooterEncode(&nf, out + at);
  at += TDB_SST_FOOTER_SIZE;
  tdbMemFree(&sstMem, meta);
  *out_n = at;
  return out;
}

static void testNeedsLz4(void) {
  TdbVfs *vfs = NULL;
  TdbSstOptions o;
  TdbSstFooter f;
  unsigned char *t, *patched;
  size_t n = 0, pn = 0;
  const char *why;
  uint32_t pos;
  char msg[TDB_VFS_MSG_MAX];
  int rc;
  CHECK_EQ(tdbVfsMemoryNew(&sstMem, &vfs), TDB_OK);
  if (!vfs)
    return;
  sstOptions(&o, TDB_SST_COMPRESS_NONE, 512);
  sstBuild(vfs, "raw.sst", &o, 200, NULL);
  t = sstReadFile(vfs, "raw.sst", &n);
  if (!t)
    return;
  /* 1. the meta block says the table has LZ4 blocks: refused at open */
  patched = sstWithLz4Meta(t, n, &pn);
  sstWriteFile(vfs, "lz4meta.sst", patched, pn);
  rc = sstReadAll(vfs, "lz4meta.sst", &o, 200, NULL, msg, sizeof msg);
  if (tdbCompressHasLz4()) {
    CHECK_EQ(rc, TDB_OK); /* only a count: this build reads LZ4 */
  } else {
    CHECK_EQ(rc, TDB_SST_RC_NEEDS_LZ4);
    CHECK_CONTAINS(msg, "needs LZ4 support");
    CHECK_CONTAINS(msg, "lz4meta.sst");
  }
  free(patched);
  /* 2. a data block marked LZ4 (type byte 1, checksum recomputed) */
  CHECK_EQ(tdbSstFooterDecode(t + n - TDB_SST_FOOTER_SIZE, &f, &why, &pos),
           TDB_OK);
  patched = (unsigned char *)malloc(n);
  memcpy(patched, t, n);
  {
    /* the first data block starts at 0; its size is the first index value */
    TdbBlock ib;
    TdbBlockIter it;
    TdbSstHandle h;
    uint32_t epos;
    CHECK_EQ(tdbBlockParse(&ib, t + f.index.offset, (size_t)f.index.size, &why,
                           &epos),
             TDB_OK);
    tdbBlockIterInit(&it, &sstMem, tdbSstBytewise, &ib);
    tdbBlockIterSeekToFirst(&it);
    CHECK(it.valid);
    CHECK_EQ(tdbSstDecodeHandle(&it, &h), TDB_OK);
    tdbBlockIterClear(&it);
    tdbSstTrailerEncode(t + h.offset, (size_t)h.size, TDB_SST_BLOCK_LZ4,
                        patched + h.offset + h.size);
  }
  sstWriteFile(vfs, "lz4block.sst", patched, n);
  rc = sstReadAll(vfs, "lz4block.sst", &o, 200, NULL, msg, sizeof msg);
  if (tdbCompressHasLz4()) {
    CHECK_EQ(rc, TDB_CORRUPT_SST); /* raw bytes are no LZ4 stream */
    CHECK_CONTAINS(msg, "LZ4");
  } else {
    CHECK_EQ(rc, TDB_SST_RC_NEEDS_LZ4);
    CHECK_CONTAINS(msg, "needs LZ4 support");
  }
  CHECK_CONTAINS(msg, "lz4block.sst' at offset 0");
  printf("# needs-LZ4 case: \"%s\"\n", msg);
  free(patched);
  free(t);
  tdbVfsMemoryFree(vfs);
}

/* Allocation failures while building and opening: clean errors, no leaks. */
static void testNoMem(void) {
  TdbTestAlloc a;
  tdb_allocator hooks;
  TdbMem mem;
  TdbVfs *vfs = NULL;
  TdbSstOptions o;
  long k;
  int done = 0;
  CHECK_EQ(tdbVfsMemoryNew(&sstMem, &vfs), TDB_OK);
  if (!vfs)
    return;
  sstOptions(&o, TDB_SST_COMPRESS_AUTO, 256);
  for (k = 1; k < 400 && !done; k++) {
    TdbVfsFile *f = NULL;
    TdbSstBuilder *b = NULL;
    TdbSstReader *r = NULL;
    TdbVfsErr err;
    unsigned char key[SST_KEY];
    char v[64];
    uint64_t i;
    int rc = TDB_OK;
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    a.fail_at = k;
    CHECK_EQ(
        vfs->open_file(vfs, "nm.sst", TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL),
        TDB_OK);
    f->methods->truncate_to(f, 0, NULL);
    if (tdbSstBuilderNew(&mem, &o, f, &b) == TDB_OK) {
      for (i = 0; i < 200 && rc == TDB_OK; i++) {
        sstKey(key, i);
        rc = tdbSstBuilderAdd(b, key, SST_KEY, v, sstValue(v, i));
      }
      if (rc == TDB_OK)
        rc = tdbSstBuilderFinish(b, NULL);
      CHECK(rc == TDB_OK || rc == TDB_NOMEM);
      tdbSstBuilderFree(b);
    }
    tdbVfsClose(f);
    if (rc == TDB_OK && a.failures == 0)
      done = 1;
    if (rc == TDB_OK) {
      CHECK_EQ(vfs->open_file(vfs, "nm.sst", TDB_VFS_READ, &f, NULL), TDB_OK);
      a.calls = 0;
      rc = tdbSstReaderOpen(&mem, &o, f, NULL, 0, &r, &err);
      CHECK(rc == TDB_OK || rc == TDB_NOMEM);
      if (rc == TDB_OK) {
        SstFound fd;
        sstKey(key, 7);
        rc = tdbSstGet(r, key, SST_KEY, sstGetFn, &fd, &err);
        CHECK(rc == TDB_OK || rc == TDB_NOMEM);
      }
      tdbSstReaderClose(r);
      tdbVfsClose(f);
    }
    CHECK_EQ(a.live, 0);
  }
  CHECK(done);
  tdbVfsMemoryFree(vfs);
}

int main(void) {
  tdbMemInit(&sstMem, NULL);
  printf("# LZ4 in this build: %s\n", tdbCompressHasLz4() ? "yes" : "no");
  TEST_RUN(testMemoryVfs);
  TEST_RUN(testPosixVfs);
  TEST_RUN(testCorruptionMmap);
  TEST_RUN(testCorruptionReadAt);
  TEST_RUN(testNeedsLz4);
  TEST_RUN(testNoMem);
  return tdbTestFinish();
}
