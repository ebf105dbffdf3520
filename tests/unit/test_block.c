/*
** test_block.c — SSTable blocks: builder/reader round trips over random keys
** with shared prefixes and short and long values (fixed seed) at several
** restart intervals, seek and
** prev edge cases, restart-point boundaries, empty keys and values, and
** every single-byte corruption and every truncation of a small block
** handled without reading out of bounds (run under ASan to prove it), and
** the seek hint (tdbBlockIterSeekHint) agreeing with the plain seek; every
** round trip is also read by tdbBlockIterVisit, whole and up to bounds, and
** keys of up to 40 bytes give key deltas of every length the reader's
** inline copy distinguishes.
*/
#include "tensordb.c"
#include "test.h"

static TdbMem blkMem;

static int blkCmp(const void *a, size_t an, const void *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  if (c)
    return c;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

typedef struct BlkKv {
  unsigned char k[40];
  size_t kn;
  unsigned char v[300];
  size_t vn;
} BlkKv;

static int blkKvCmp(const void *a, const void *b) {
  const BlkKv *x = (const BlkKv *)a, *y = (const BlkKv *)b;
  return blkCmp(x->k, x->kn, y->k, y->kn);
}

/* n sorted, distinct random keys over a tiny alphabet (long shared
** prefixes), random values; returns the count after removing duplicates. */
static size_t blkRandomKvs(BlkKv *kv, size_t n, uint64_t seed) {
  size_t i, j, out = 0;
  for (i = 0; i < n; i++) {
    kv[i].kn = 1 + tdbTestRand(&seed) % 24;
    for (j = 0; j < kv[i].kn; j++)
      kv[i].k[j] = (unsigned char)("abc"[tdbTestRand(&seed) % 3]);
    /* mostly short values (one-byte lengths); one in four of 128..299
    ** bytes, whose two-byte length takes the reader's other fast path */
    kv[i].vn = tdbTestRand(&seed) % 4 == 0 ? 128 + tdbTestRand(&seed) % 172
                                           : tdbTestRand(&seed) % 40;
    for (j = 0; j < kv[i].vn; j++)
      kv[i].v[j] = (unsigned char)tdbTestRand(&seed);
  }
  qsort(kv, n, sizeof *kv, blkKvCmp);
  for (i = 0; i < n; i++) {
    if (out > 0 && blkKvCmp(&kv[out - 1], &kv[i]) == 0)
      continue;
    kv[out++] = kv[i];
  }
  return out;
}

/* Build a block of kv[0..n) at `interval` into a malloc'd copy. */
static unsigned char *blkBuild(const BlkKv *kv, size_t n, int interval,
                               size_t *size) {
  TdbBlockBuilder b;
  const unsigned char *out;
  unsigned char *copy;
  size_t i, len = 0;
  tdbBlockBuilderInit(&b, &blkMem, interval);
  for (i = 0; i < n; i++) {
    CHECK_EQ(tdbBlockBuilderAdd(&b, kv[i].k, kv[i].kn, kv[i].v, kv[i].vn),
             TDB_OK);
  }
  CHECK_EQ(tdbBlockBuilderSize(&b),
           b.len + 4 * (b.nrestarts ? b.nrestarts : 1) + 4);
  CHECK_EQ(tdbBlockBuilderFinish(&b, &out, &len), TDB_OK);
  CHECK_EQ(tdbBlockBuilderAdd(&b, "z", 1, "", 0), TDB_MISUSE);
  copy = (unsigned char *)malloc(len ? len : 1);
  memcpy(copy, out, len);
  *size = len;
  tdbBlockBuilderClear(&b);
  return copy;
}

static int blkIterIs(const TdbBlockIter *it, const BlkKv *kv) {
  return it->valid && it->klen == kv->kn &&
         memcmp(tdbBlockIterKey(it), kv->k, kv->kn) == 0 &&
         it->vlen == kv->vn &&
         (kv->vn == 0 || memcmp(it->val, kv->v, kv->vn) == 0);
}

/* A visitor that checks each entry against the next of kv[]. */
typedef struct BlkVisit {
  const BlkKv *kv;
  size_t n, i, bad;
} BlkVisit;

static int blkVisitFn(void *ctx, const unsigned char *k, size_t kn, const unsigned char *v,
                      size_t vn) {
  BlkVisit *bv = (BlkVisit *)ctx;
  const BlkKv *want = bv->i < bv->n ? &bv->kv[bv->i] : NULL;
  if (!want || kn != want->kn || memcmp(k, want->k, kn) != 0 || vn != want->vn ||
      (vn && memcmp(v, want->v, vn) != 0)) {
    bv->bad++;
  }
  bv->i++;
  return 0;
}

/* Every way of reading the block must give back kv[0..n). */
static void blkCheckAll(const unsigned char *data, size_t size, const BlkKv *kv,
                        size_t n) {
  TdbBlock blk;
  TdbBlockIter it;
  const char *why = NULL;
  uint32_t pos = 0;
  size_t i, bad = 0;
  unsigned char probe[48];
  CHECK_EQ(tdbBlockParse(&blk, data, size, &why, &pos), TDB_OK);
  tdbBlockIterInit(&it, &blkMem, blkCmp, &blk);
  /* forward */
  i = 0;
  for (tdbBlockIterSeekToFirst(&it); it.valid; tdbBlockIterNext(&it)) {
    if (i >= n || !blkIterIs(&it, &kv[i]))
      bad++;
    i++;
  }
  CHECK_EQ(it.rc, TDB_OK);
  CHECK_EQ(i, n);
  /* visit, whole and from each restart-interval's middle to a bound */
  {
    BlkVisit bv;
    bv.kv = kv;
    bv.n = n;
    bv.i = bv.bad = 0;
    tdbBlockIterSeekToFirst(&it);
    CHECK_EQ(tdbBlockIterVisit(&it, NULL, 0, blkVisitFn, &bv), 0);
    CHECK(!it.valid);
    CHECK_EQ(it.rc, TDB_OK);
    CHECK_EQ(bv.i, n);
    bad += bv.bad;
    for (i = 1; i + 3 < n; i += 7) {
      bv.kv = kv + i;
      bv.n = 2;
      bv.i = 0;
      tdbBlockIterSeek(&it, kv[i].k, kv[i].kn);
      CHECK_EQ(tdbBlockIterVisit(&it, kv[i + 2].k, kv[i + 2].kn, blkVisitFn, &bv), 0);
      if (bv.i != 2 || !blkIterIs(&it, &kv[i + 2])) bad++;
      bad += bv.bad;
    }
  }
  /* backward */
  i = n;
  for (tdbBlockIterSeekToLast(&it); it.valid; tdbBlockIterPrev(&it)) {
    if (i == 0 || !blkIterIs(&it, &kv[i - 1]))
      bad++;
    i--;
  }
  CHECK_EQ(it.rc, TDB_OK);
  CHECK_EQ(i, 0);
  /* seek exact, and to just after each key (key + "\0") */
  for (i = 0; i < n; i++) {
    tdbBlockIterSeek(&it, kv[i].k, kv[i].kn);
    if (!blkIterIs(&it, &kv[i]))
      bad++;
    memcpy(probe, kv[i].k, kv[i].kn);
    probe[kv[i].kn] = 0;
    tdbBlockIterSeek(&it, probe, kv[i].kn + 1);
    if (i + 1 < n ? !blkIterIs(&it, &kv[i + 1]) : it.valid)
      bad++;
    /* seek then step back: the entry before */
    tdbBlockIterSeek(&it, kv[i].k, kv[i].kn);
    tdbBlockIterPrev(&it);
    if (i > 0 ? !blkIterIs(&it, &kv[i - 1]) : it.valid)
      bad++;
    /* and forward again from there */
    if (i > 0) {
      tdbBlockIterNext(&it);
      if (!blkIterIs(&it, &kv[i]))
        bad++;
    }
  }
  /* before the first, after the last */
  tdbBlockIterSeek(&it, "", 0);
  if (n ? !blkIterIs(&it, &kv[0]) : it.valid)
    bad++;
  tdbBlockIterSeek(&it, "\xff", 1);
  CHECK(!it.valid);
  CHECK_EQ(it.rc, TDB_OK);
  CHECK_EQ(bad, 0);
  tdbBlockIterClear(&it);
}

static void testRoundTrips(void) {
  static const int intervals[] = {1, 2, 3, 16, 1000};
  static BlkKv kv[3000];
  size_t n, i, size;
  unsigned char *data;
  uint64_t seed;
  for (seed = 1; seed <= 3; seed++) {
    n = blkRandomKvs(kv, 3000, seed);
    CHECK(n > 1000);
    for (i = 0; i < TDB_ARRAY_LEN(intervals); i++) {
      data = blkBuild(kv, n, intervals[i], &size);
      blkCheckAll(data, size, kv, n);
      free(data);
    }
  }
}

/* Keys of up to 40 bytes over two letters: key deltas of every length from
** 0 to 40 (the reader copies 8..32 bytes as words, fewer byte by byte, more
** with memcpy), restarts that store whole keys of 17..40 bytes. */
static void testKeyDeltas(void) {
  static const int intervals[] = {1, 4, 16};
  static BlkKv kv[2000];
  size_t n, i, j, size, seen[41];
  unsigned char *data;
  uint64_t seed = 77;
  for (i = 0; i < 2000; i++) {
    kv[i].kn = 1 + tdbTestRand(&seed) % 40;
    for (j = 0; j < kv[i].kn; j++) kv[i].k[j] = (unsigned char)("ab"[tdbTestRand(&seed) % 2]);
    kv[i].vn = tdbTestRand(&seed) % 2 ? 130 + tdbTestRand(&seed) % 100 : tdbTestRand(&seed) % 20;
    for (j = 0; j < kv[i].vn; j++) kv[i].v[j] = (unsigned char)tdbTestRand(&seed);
  }
  qsort(kv, 2000, sizeof *kv, blkKvCmp);
  for (i = n = 0; i < 2000; i++) {
    if (n > 0 && blkKvCmp(&kv[n - 1], &kv[i]) == 0) continue;
    kv[n++] = kv[i];
  }
  /* every delta length occurs (interval 1: the whole key is the delta) */
  memset(seen, 0, sizeof seen);
  for (i = 0; i < n; i++) seen[kv[i].kn]++;
  for (i = 1; i <= 40; i++) CHECK(seen[i] > 0);
  for (i = 0; i < TDB_ARRAY_LEN(intervals); i++) {
    data = blkBuild(kv, n, intervals[i], &size);
    blkCheckAll(data, size, kv, n);
    free(data);
  }
}

/* Around the restart boundaries: 0, 1, 15, 16, 17, 31, 32, 33 entries. */
static void testRestartBoundaries(void) {
  static const size_t counts[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 48};
  static BlkKv kv[64];
  size_t c, i, size;
  for (i = 0; i < 64; i++) {
    kv[i].kn =
        (size_t)snprintf((char *)kv[i].k, sizeof kv[i].k, "user%03zu", i * 7);
    kv[i].vn = i % 5;
    memset(kv[i].v, (int)i, kv[i].vn);
  }
  for (c = 0; c < TDB_ARRAY_LEN(counts); c++) {
    unsigned char *data = blkBuild(kv, counts[c], 16, &size);
    TdbBlock blk;
    const char *why;
    uint32_t pos;
    CHECK_EQ(tdbBlockParse(&blk, data, size, &why, &pos), TDB_OK);
    CHECK_EQ(blk.nrestarts, (counts[c] + 15) / 16);
    blkCheckAll(data, size, kv, counts[c]);
    free(data);
  }
}

/* Empty key and empty values, a long key (heap key buffer), binary bytes. */
static void testOddEntries(void) {
  static BlkKv kv[4];
  TdbBlockBuilder b;
  TdbBlock blk;
  TdbBlockIter it;
  const unsigned char *out;
  unsigned char big[300];
  size_t size, i;
  const char *why;
  uint32_t pos;
  kv[0].kn = 0;
  kv[0].vn = 0;
  kv[1].kn = 1;
  kv[1].k[0] = 0;
  kv[1].vn = 3;
  memcpy(kv[1].v, "\0\1\2", 3);
  kv[2].kn = 2;
  memcpy(kv[2].k, "\0\0", 2);
  kv[2].vn = 0;
  unsigned char *data = blkBuild(kv, 3, 16, &size);
  blkCheckAll(data, size, kv, 3);
  free(data);
  /* keys longer than the iterator's inline buffer */
  tdbBlockBuilderInit(&b, &blkMem, 2);
  for (i = 0; i < 5; i++) {
    memset(big, 'k', sizeof big);
    big[sizeof big - 1] = (unsigned char)('0' + i);
    CHECK_EQ(tdbBlockBuilderAdd(&b, big, sizeof big - 50 * (i % 2), "v", 1),
             TDB_OK);
  }
  CHECK_EQ(tdbBlockBuilderFinish(&b, &out, &size), TDB_OK);
  CHECK_EQ(tdbBlockParse(&blk, out, size, &why, &pos), TDB_OK);
  tdbBlockIterInit(&it, &blkMem, blkCmp, &blk);
  i = 0;
  for (tdbBlockIterSeekToFirst(&it); it.valid; tdbBlockIterNext(&it))
    i++;
  CHECK_EQ(i, 5);
  tdbBlockIterSeekToLast(&it);
  CHECK(it.valid);
  CHECK_EQ(it.klen, 300 - 50 * (4 % 2));
  tdbBlockIterClear(&it);
  tdbBlockBuilderClear(&b);
}

static void testParseRejects(void) {
  TdbBlock blk;
  const char *why = NULL;
  uint32_t pos = 0;
  unsigned char d[16];
  memset(d, 0, sizeof d);
  CHECK_EQ(tdbBlockParse(&blk, d, 0, &why, &pos), TDB_CORRUPT);
  CHECK_EQ(tdbBlockParse(&blk, d, 3, &why, &pos), TDB_CORRUPT);
  CHECK_EQ(tdbBlockParse(&blk, d, 4, &why, &pos), TDB_OK); /* empty block */
  CHECK_EQ(blk.nrestarts, 0);
  CHECK_EQ(tdbBlockParse(&blk, d, 8, &why, &pos),
           TDB_CORRUPT); /* entries, no restart */
  tdbPutFixed32(d + 4, 1000);
  CHECK_EQ(tdbBlockParse(&blk, d, 8, &why, &pos),
           TDB_CORRUPT); /* count too big */
  CHECK_EQ(pos, 4);
  tdbPutFixed32(d + 8, 5); /* restart offset beyond the entries */
  tdbPutFixed32(d + 12, 1);
  CHECK_EQ(tdbBlockParse(&blk, d, 16, &why, &pos), TDB_CORRUPT);
  CHECK_EQ(pos, 8);
  CHECK(why != NULL);
}

/* Walk a (possibly damaged) block every way; never loops forever or reads
** outside data[0..size). Returns 1 if anything reported corruption. */
static int blkExercise(const unsigned char *data, size_t size, const BlkKv *kv,
                       size_t n) {
  TdbBlock blk;
  TdbBlockIter it;
  const char *why = NULL;
  uint32_t pos = 0;
  size_t steps, i;
  int corrupt = 0;
  if (tdbBlockParse(&blk, data, size, &why, &pos) != TDB_OK) {
    CHECK(pos <= size);
    return 1;
  }
  tdbBlockIterInit(&it, &blkMem, blkCmp, &blk);
  steps = 0;
  for (tdbBlockIterSeekToFirst(&it); it.valid && steps < 10000;
       tdbBlockIterNext(&it))
    steps++;
  CHECK(steps < 10000);
  if (it.rc != TDB_OK) {
    corrupt = 1;
    CHECK(it.err_off < size);
  }
  tdbBlockIterSetBlock(&it, &blk);
  steps = 0;
  for (tdbBlockIterSeekToLast(&it); it.valid && steps < 10000;
       tdbBlockIterPrev(&it))
    steps++;
  CHECK(steps < 10000);
  if (it.rc != TDB_OK)
    corrupt = 1;
  for (i = 0; i < n; i++) {
    tdbBlockIterSetBlock(&it, &blk);
    tdbBlockIterSeek(&it, kv[i].k, kv[i].kn);
    if (it.rc != TDB_OK)
      corrupt = 1;
  }
  tdbBlockIterClear(&it);
  return corrupt;
}

static void testEveryCorruption(void) {
  static BlkKv kv[40];
  static const unsigned char flips[] = {0x01, 0x80, 0xff};
  size_t n = blkRandomKvs(kv, 40, 42), size, pos, f, rejected = 0, total = 0;
  unsigned char *data = blkBuild(kv, n, 4, &size);
  for (pos = 0; pos < size; pos++) {
    for (f = 0; f <= TDB_ARRAY_LEN(flips); f++) {
      unsigned char *copy = (unsigned char *)malloc(size);
      memcpy(copy, data, size);
      if (f == TDB_ARRAY_LEN(flips)) {
        copy[pos] = 0;
      } else {
        copy[pos] ^= flips[f];
      }
      if (copy[pos] != data[pos]) {
        total++;
        rejected += (size_t)blkExercise(copy, size, kv, n);
      }
      free(copy);
    }
  }
  printf(
      "# block: %zu of %zu single-byte corruptions of a %zu-byte block "
      "reported TDB_CORRUPT (the rest decode to other entries; checksums "
      "catch them in an SSTable)\n",
      rejected, total, size);
  CHECK(rejected > 0);
  free(data);
}

static void testEveryTruncation(void) {
  static BlkKv kv[40];
  size_t n = blkRandomKvs(kv, 40, 7), size, len, rejected = 0;
  unsigned char *data = blkBuild(kv, n, 4, &size);
  for (len = 0; len < size; len++) {
    /* exact-size copies: ASan flags any read past the end */
    unsigned char *copy = (unsigned char *)malloc(len ? len : 1);
    memcpy(copy, data, len);
    rejected += (size_t)blkExercise(copy, len, kv, n);
    free(copy);
  }
  printf("# block: %zu of %zu truncations reported TDB_CORRUPT\n", rejected,
         size);
  CHECK(rejected > size / 2);
  free(data);
}

/* The failing allocator: an out-of-memory builder stays consistent. */
/* The window of key k after skip bytes (big-endian, zero-padded): the
** order-preserving view a hint's owner may use (sstable.c's, on user keys). */
static uint64_t blkWindow(const unsigned char *k, size_t kn, size_t skip) {
  uint64_t w = 0;
  size_t i;
  for (i = 0; i < 8; i++)
    w = (w << 8) | (skip + i < kn ? k[skip + i] : 0);
  return w;
}

/* A hinted seek lands where the plain one does, for every target (present
** keys, keys between them, before and after all), with sample strides 1..5
** and skips 0..3 over keys of a tiny alphabet, so windows often tie. */
static void testSeekHint(void) {
  static BlkKv kv[400];
  uint64_t seed = 77;
  int round;
  for (round = 0; round < 12; round++) {
    size_t n = blkRandomKvs(kv, 60 + (size_t)round * 25, seed + (uint64_t)round), size, i;
    int interval = 1 + round % 4;
    unsigned char *data = blkBuild(kv, n, interval, &size);
    TdbBlock blk;
    const char *why = NULL;
    uint32_t off = 0, stride;
    CHECK_EQ(tdbBlockParse(&blk, data, size, &why, &off), TDB_OK);
    for (stride = 1; stride <= 5; stride++) {
      size_t skip;
      for (skip = 0; skip < 4; skip++) {
        uint64_t rk[400];
        uint32_t j, m = (blk.nrestarts + stride - 1) / stride;
        TdbBlock hinted = blk;
        int ok = 1;
        /* the windows are order-preserving only among keys that share the
        ** first `skip` bytes: use a skip only when every restart key does */
        for (j = 0; j < blk.nrestarts && ok; j++) {
          const unsigned char *k;
          uint32_t kn;
          CHECK_EQ(tdbBlockRestartKey(&blk, j, &k, &kn), TDB_OK);
          ok = kn >= skip && memcmp(k, kv[0].k, skip) == 0;
        }
        if (!ok) continue;
        for (j = 0; j < m; j++) {
          const unsigned char *k;
          uint32_t kn;
          CHECK_EQ(tdbBlockRestartKey(&blk, j * stride, &k, &kn), TDB_OK);
          rk[j] = blkWindow(k, kn, skip);
        }
        hinted.rk = rk;
        hinted.nrk = m;
        hinted.rk_stride = stride;
        for (i = 0; i <= n; i++) {
          /* the key itself, and one just below it (its last byte dropped) */
          int variant;
          for (variant = 0; variant < 2; variant++) {
            const BlkKv *t = &kv[i < n ? i : n - 1];
            unsigned char target[41];
            size_t tn = t->kn;
            TdbBlockIter a, b;
            memcpy(target, t->k, tn);
            if (i == n) target[tn++] = 'z';          /* after every key */
            else if (variant && tn > 1) tn--;        /* a prefix: sorts before */
            if (tn < skip || memcmp(target, kv[0].k, skip) != 0) continue;
            tdbBlockIterInit(&a, &blkMem, blkCmp, &blk);
            tdbBlockIterInit(&b, &blkMem, blkCmp, &hinted);
            tdbBlockIterSeek(&a, target, tn);
            tdbBlockIterSeekHint(&b, target, tn, blkWindow(target, tn, skip));
            CHECK_EQ(a.valid, b.valid);
            if (a.valid && b.valid) {
              CHECK_EQ(a.klen, b.klen);
              CHECK(memcmp(tdbBlockIterKey(&a), tdbBlockIterKey(&b), a.klen) == 0);
            }
            tdbBlockIterClear(&a);
            tdbBlockIterClear(&b);
          }
        }
      }
    }
    free(data);
  }
}

static void testBuilderNoMem(void) {
  TdbTestAlloc a;
  tdb_allocator hooks;
  TdbMem mem;
  TdbBlockBuilder b;
  long k;
  for (k = 1; k < 12; k++) {
    int i, ok = 0;
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    a.fail_at = k;
    tdbBlockBuilderInit(&b, &mem, 2);
    for (i = 0; i < 20; i++) {
      char key[16];
      int rc = tdbBlockBuilderAdd(
          &b, key, (size_t)snprintf(key, sizeof key, "k%04d", i), "v", 1);
      CHECK(rc == TDB_OK || rc == TDB_NOMEM);
      if (rc == TDB_OK)
        ok++;
    }
    CHECK_EQ(b.nentries, (uint64_t)ok);
    tdbBlockBuilderClear(&b);
    CHECK_EQ(a.live, 0);
  }
}

int main(void) {
  tdbMemInit(&blkMem, NULL);
  TEST_RUN(testRoundTrips);
  TEST_RUN(testKeyDeltas);
  TEST_RUN(testRestartBoundaries);
  TEST_RUN(testOddEntries);
  TEST_RUN(testParseRejects);
  TEST_RUN(testEveryCorruption);
  TEST_RUN(testEveryTruncation);
  TEST_RUN(testSeekHint);
  TEST_RUN(testBuilderNoMem);
  return tdbTestFinish();
}
