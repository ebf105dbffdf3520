/*
** test_wal.c — the write-ahead log (src/wal.c): round trips of records of
** every interesting size over the memory and posix VFS, 10k random records,
** reopen-and-append, every truncation length, every flipped byte, damage in
** the middle, broken fragment chains, stale bytes of another log number,
** zero holes, power loss through the fault VFS (unsynced data dropped, torn
** last write), preallocation (a clean zero tail, reopen, damage, power
** loss), and the writer's sticky error after a failed write, a failed
** sync and a full disk.
*/
#include "tensordb.c"
#include "test.h"
#include "fault_vfs.c"

#include <unistd.h> /* rmdir, for the temporary directory */

#define BLOCK TDB_WAL_BLOCK
#define HDR TDB_WAL_HEADER

static TdbMem gMem;
static TdbVfs *gMemVfs;
static TdbVfs *gPosix;
static char gDir[512];   /* the posix tests' temporary directory, or "" */

/* ---- helpers ------------------------------------------------------------------ */

/* The deterministic content of the record with tag `tag`. */
static void fillRecord(unsigned char *p, size_t n, uint64_t tag) {
  uint64_t s = tag * 0x100000001B3ull + 17, v = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    if (i % 8 == 0) v = tdbTestRand(&s);
    p[i] = (unsigned char)(v >> (8 * (i % 8)));
  }
}

/* A stream of records: record i has sizes[i] bytes and tag seed + i. */
typedef struct Stream {
  size_t count;
  const size_t *sizes;
  uint64_t seed;
  uint64_t *ends;          /* file size after record i (filled by writing) */
  uint64_t *starts;        /* offset of record i's first fragment */
} Stream;

static size_t maxSize(const Stream *s) {
  size_t i, m = 1;
  for (i = 0; i < s->count; i++) m = TDB_MAX(m, s->sizes[i]);
  return m;
}

/* Where a record appended at file size `size` puts its first fragment. */
static uint64_t fragmentStart(uint64_t size) {
  uint64_t left = BLOCK - size % BLOCK;
  return left < HDR ? size + left : size;
}

/* Append records [from, to) of s to the open writer; sync every `every`
** records (0: never). Returns the first failing rc. */
static int appendRange(TdbWalWriter *w, Stream *s, size_t from, size_t to,
                       size_t every) {
  unsigned char *buf = (unsigned char *)malloc(maxSize(s));
  size_t i;
  int rc = TDB_OK;
  for (i = from; i < to && rc == TDB_OK; i++) {
    uint64_t before = tdbWalWriterSize(w);
    fillRecord(buf, s->sizes[i], s->seed + i);
    rc = tdbWalAppend(w, buf, s->sizes[i]);
    if (rc != TDB_OK) break;
    if (s->starts) s->starts[i] = fragmentStart(before);
    if (s->ends) s->ends[i] = tdbWalWriterSize(w);
    if (every && (i + 1) % every == 0) rc = tdbWalSync(w);
  }
  free(buf);
  return rc;
}

/* Write the whole stream to a fresh (or appended) log and sync it. */
static int writeStream(TdbVfs *vfs, const char *path, uint64_t lognum,
                       Stream *s) {
  TdbWalWriter *w = NULL;
  TdbVfsErr err;
  int rc = tdbWalWriterOpen(&gMem, vfs, path, lognum, TDB_WAL_KEEP_SIZE, &w, &err);
  if (rc != TDB_OK) return rc;
  rc = appendRange(w, s, 0, s->count, 0);
  if (rc == TDB_OK) rc = tdbWalSync(w);
  tdbWalWriterClose(w);
  return rc;
}

typedef struct ReadResult {
  int rc;                  /* TDB_DONE, TDB_CORRUPT_WAL, ... */
  size_t nrec;             /* records returned */
  int wrong;               /* records that were not the expected ones */
  TdbWalTail tail;
  uint64_t valid_end;
  TdbVfsErr err;
} ReadResult;

/* Read the log and compare each record with the stream's. */
static ReadResult readAll(TdbVfs *vfs, const char *path, uint64_t lognum,
                          const Stream *s) {
  ReadResult res;
  TdbWalReader *r = NULL;
  unsigned char *want = (unsigned char *)malloc(maxSize(s));
  const unsigned char *data;
  size_t n;
  memset(&res, 0, sizeof res);
  res.rc = tdbWalReaderOpen(&gMem, vfs, path, lognum, &r, &res.err);
  if (res.rc != TDB_OK) {
    free(want);
    return res;
  }
  while ((res.rc = tdbWalReadRecord(r, &data, &n)) == TDB_OK) {
    if (res.nrec >= s->count || n != s->sizes[res.nrec]) {
      res.wrong++;
    } else {
      fillRecord(want, n, s->seed + res.nrec);
      if (n && memcmp(want, data, n) != 0) res.wrong++;
    }
    res.nrec++;
  }
  /* Sticky: asking again gives the same answer. */
  CHECK_EQ(tdbWalReadRecord(r, &data, &n), res.rc);
  if (res.rc == TDB_DONE) {
    res.tail = *tdbWalReaderTail(r);
    res.valid_end = tdbWalReaderValidEnd(r);
    CHECK(tdbWalReaderErr(r) == NULL);
  } else {
    CHECK(tdbWalReaderErr(r) != NULL);
    if (tdbWalReaderErr(r)) res.err = *tdbWalReaderErr(r);
  }
  tdbWalReaderClose(r);
  free(want);
  return res;
}

/* Whole file contents (malloc'ed) and size. */
static unsigned char *slurp(TdbVfs *vfs, const char *path, uint64_t *size) {
  TdbVfsFile *f = NULL;
  unsigned char *buf;
  size_t got = 0;
  *size = 0;
  if (vfs->open_file(vfs, path, TDB_VFS_READ, &f, NULL) != TDB_OK) return NULL;
  f->methods->get_size(f, size, NULL);
  buf = (unsigned char *)malloc((size_t)*size + 1);
  f->methods->read_at(f, 0, buf, (size_t)*size, &got, NULL);
  CHECK_EQ(got, *size);
  tdbVfsClose(f);
  return buf;
}

/* Replace the file with `n` bytes of `data`. */
static void spit(TdbVfs *vfs, const char *path, const unsigned char *data,
                 size_t n) {
  TdbVfsFile *f = NULL;
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_READ | TDB_VFS_WRITE | TDB_VFS_CREATE,
                          &f, NULL), TDB_OK);
  if (!f) return;
  CHECK_EQ(f->methods->truncate_to(f, 0, NULL), TDB_OK);
  if (n) CHECK_EQ(f->methods->write_at(f, 0, data, n, NULL), TDB_OK);
  tdbVfsClose(f);
}

/* A hand-made fragment (for chains the writer never produces). */
static size_t craft(unsigned char *dst, uint64_t lognum, unsigned type,
                    const char *payload) {
  uint32_t seeds[5];
  size_t len = strlen(payload);
  tdbWalSeeds(lognum, seeds);
  memcpy(dst + HDR, payload, len);
  tdbPutFixed32(dst, tdbWalFragmentCrc(seeds, type, dst + HDR, len));
  dst[4] = (unsigned char)(len & 0xFF);
  dst[5] = (unsigned char)(len >> 8);
  dst[6] = (unsigned char)type;
  return HDR + len;
}

/* Fragments of a clean log, parsed by the test itself. */
typedef struct Frag {
  uint64_t start, end;
} Frag;

static size_t parseFragments(const unsigned char *img, uint64_t size,
                             Frag *out, size_t cap) {
  uint64_t pos = 0;
  size_t n = 0;
  while (pos < size && n < cap) {
    size_t len;
    if (BLOCK - pos % BLOCK < HDR) {
      pos += BLOCK - pos % BLOCK;
      continue;
    }
    len = (size_t)img[pos + 4] | ((size_t)img[pos + 5] << 8);
    out[n].start = pos;
    out[n].end = pos + HDR + len;
    n++;
    pos += HDR + len;
  }
  return n;
}

/* ---- round trips -------------------------------------------------------------- */

static void roundTripSizes(TdbVfs *vfs, const char *path) {
  static const size_t sizes[] = {
      0, 1, 2, 6, 7, 8, 100,
      BLOCK - HDR - 1, BLOCK - HDR, BLOCK - HDR + 1,
      BLOCK - 1, BLOCK, BLOCK + 1,
      2 * BLOCK - 2 * HDR, 2 * BLOCK, 5 * BLOCK + 123,
      0, 100000, 0,
      (size_t)3 << 20,   /* bigger than one VFS append of the writer */
      1};
  uint64_t ends[TDB_ARRAY_LEN(sizes)];
  Stream s = {TDB_ARRAY_LEN(sizes), sizes, 1000, ends, NULL};
  ReadResult res;
  uint64_t size = 0;
  unsigned char *img;
  CHECK_EQ(writeStream(vfs, path, 5, &s), TDB_OK);
  res = readAll(vfs, path, 5, &s);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, s.count);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.tail.torn, 0);
  CHECK_EQ(res.valid_end, ends[s.count - 1]);
  img = slurp(vfs, path, &size);
  CHECK_EQ(size, ends[s.count - 1]);
  free(img);
  vfs->remove_file(vfs, path, NULL);
}

static void testSizesMemory(void) { roundTripSizes(gMemVfs, "sizes.log"); }

static void testSizesPosix(void) {
  char path[600];
  if (!gPosix) return;
  snprintf(path, sizeof path, "%s/sizes.log", gDir);
  roundTripSizes(gPosix, path);
}

/* 10k records of random sizes (mostly small, some spanning blocks). */
static void roundTripRandom(TdbVfs *vfs, const char *path) {
  enum { N = 10000 };
  size_t *sizes = (size_t *)malloc(N * sizeof *sizes);
  uint64_t *ends = (uint64_t *)malloc(N * sizeof *ends);
  uint64_t rng = 42;
  Stream s = {N, sizes, 77, ends, NULL};
  TdbWalWriter *w = NULL;
  TdbVfsErr err;
  ReadResult res;
  size_t i;
  for (i = 0; i < N; i++) {
    uint64_t r = tdbTestRand(&rng), pick = r % 100;
    r >>= 8;
    sizes[i] = pick < 90 ? (size_t)(r % 300)
             : pick < 98 ? (size_t)(r % 5000) : (size_t)(r % (3 * BLOCK));
  }
  CHECK_EQ(tdbWalWriterOpen(&gMem, vfs, path, 9, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
  if (!w) goto done;
  CHECK_EQ(appendRange(w, &s, 0, N, 100), TDB_OK);
  CHECK_EQ(tdbWalSync(w), TDB_OK);
  CHECK_EQ(tdbWalWriterSyncedSize(w), tdbWalWriterSize(w));
  CHECK_EQ(tdbWalWriterSize(w), ends[N - 1]);
  tdbWalWriterClose(w);
  res = readAll(vfs, path, 9, &s);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, N);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.tail.torn, 0);
done:
  vfs->remove_file(vfs, path, NULL);
  free(sizes);
  free(ends);
}

static void testRandomMemory(void) { roundTripRandom(gMemVfs, "random.log"); }

static void testRandomPosix(void) {
  char path[600];
  if (!gPosix) return;
  snprintf(path, sizeof path, "%s/random.log", gDir);
  roundTripRandom(gPosix, path);
}

/* Close and reopen for appending, also with the file ending in a block's
** zero trailer; then a torn tail cut with truncate_at before appending. */
static void testReopenAppend(void) {
  static const size_t sizes[] = {10, 20, BLOCK - 3 * HDR - 30 - 3, 5, 40000, 7, 0, 9};
  uint64_t ends[TDB_ARRAY_LEN(sizes)];
  Stream s = {TDB_ARRAY_LEN(sizes), sizes, 5000, ends, NULL};
  TdbWalWriter *w = NULL;
  TdbVfsErr err;
  ReadResult res;
  size_t cut;
  unsigned char junk[40];
  TdbVfsFile *f = NULL;
  for (cut = 1; cut < s.count; cut++) {
    gMemVfs->remove_file(gMemVfs, "reopen.log", NULL);
    CHECK_EQ(tdbWalWriterOpen(&gMem, gMemVfs, "reopen.log", 3, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
    if (!w) return;
    CHECK_EQ(appendRange(w, &s, 0, cut, 0), TDB_OK);
    tdbWalWriterClose(w);
    CHECK_EQ(tdbWalWriterOpen(&gMem, gMemVfs, "reopen.log", 3, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
    if (!w) return;
    CHECK_EQ(tdbWalWriterSize(w), ends[cut - 1]);
    CHECK_EQ(appendRange(w, &s, cut, s.count, 0), TDB_OK);
    tdbWalWriterClose(w);
    res = readAll(gMemVfs, "reopen.log", 3, &s);
    CHECK_EQ(res.rc, TDB_DONE);
    CHECK_EQ(res.nrec, s.count);
    CHECK_EQ(res.wrong, 0);
    CHECK_EQ(res.tail.torn, 0);
  }
  /* Record 2 leaves exactly 3 bytes of block 0: a trailer. */
  CHECK_EQ(ends[2], BLOCK - 3);
  /* A torn tail, then truncate_at = valid end, then append: all clean. */
  gMemVfs->remove_file(gMemVfs, "reopen.log", NULL);
  CHECK_EQ(tdbWalWriterOpen(&gMem, gMemVfs, "reopen.log", 3, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
  if (!w) return;
  CHECK_EQ(appendRange(w, &s, 0, 2, 0), TDB_OK);
  tdbWalWriterClose(w);
  memset(junk, 0xAB, sizeof junk);
  CHECK_EQ(gMemVfs->open_file(gMemVfs, "reopen.log", TDB_VFS_READ | TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (f) CHECK_EQ(f->methods->append(f, junk, sizeof junk, NULL), TDB_OK);
  tdbVfsClose(f);
  res = readAll(gMemVfs, "reopen.log", 3, &s);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, 2);
  CHECK_EQ(res.tail.torn, 1);
  CHECK_EQ(res.tail.offset, ends[1]);
  CHECK_EQ(res.tail.dropped, sizeof junk);
  CHECK_EQ(res.valid_end, ends[1]);
  CHECK_CONTAINS(res.tail.note, "reopen.log");
  CHECK_CONTAINS(res.tail.note, "torn tail");
  CHECK_EQ(tdbWalWriterOpen(&gMem, gMemVfs, "reopen.log", 3, res.valid_end, &w, &err), TDB_OK);
  if (!w) return;
  CHECK_EQ(tdbWalWriterSize(w), ends[1]);
  CHECK_EQ(appendRange(w, &s, 2, s.count, 0), TDB_OK);
  tdbWalWriterClose(w);
  res = readAll(gMemVfs, "reopen.log", 3, &s);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, s.count);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.tail.torn, 0);
  gMemVfs->remove_file(gMemVfs, "reopen.log", NULL);
}

/* ---- truncation --------------------------------------------------------------- */

/* Cut the log of stream s at length L: the reader must give the records that
** end at or before L, then a clean end, or a torn tail starting at the next
** record's first fragment. */
static void checkTruncatedAt(Stream *s, uint64_t L) {
  ReadResult res = readAll(gMemVfs, "trunc.log", 11, s);
  size_t k = 0;
  while (k < s->count && s->ends[k] <= L) k++;
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.nrec, k);
  if (k < s->count && L > s->starts[k]) {
    CHECK_EQ(res.tail.torn, 1);
    CHECK_EQ(res.tail.offset, s->starts[k]);
    CHECK_EQ(res.tail.dropped, L - s->starts[k]);
    CHECK_EQ(res.valid_end, s->starts[k]);
  } else {
    CHECK_EQ(res.tail.torn, 0);
    CHECK_EQ(res.valid_end, L);
  }
  if (tdbTestCurrentFailures) printf("  (at truncation length %llu)\n", (unsigned long long)L);
}

/* Truncate at every length (`every`), or at the lengths near a record or
** block boundary and every 37th. */
static void truncationSweep(Stream *s, int every) {
  TdbVfsFile *f = NULL;
  uint64_t size, L;
  unsigned char *img;
  gMemVfs->remove_file(gMemVfs, "trunc.log", NULL);
  CHECK_EQ(writeStream(gMemVfs, "trunc.log", 11, s), TDB_OK);
  img = slurp(gMemVfs, "trunc.log", &size);
  CHECK_EQ(gMemVfs->open_file(gMemVfs, "trunc.log", TDB_VFS_READ | TDB_VFS_WRITE, &f, NULL), TDB_OK);
  if (!f || !img) return;
  for (L = size + 1; L-- > 0;) {
    int near = every;
    size_t i;
    for (i = 0; !near && i < s->count; i++) {
      uint64_t b = s->ends[i], st = s->starts[i];
      near = (L + 64 >= b && L <= b + 64) || (L + 64 >= st && L <= st + 64) ||
             L % BLOCK < 64 || BLOCK - L % BLOCK < 64;
    }
    if (!near && L % 37 != 0) continue;
    CHECK_EQ(f->methods->truncate_to(f, L, NULL), TDB_OK);
    checkTruncatedAt(s, L);
    if (tdbTestCurrentFailures > 5) break;
  }
  tdbVfsClose(f);
  free(img);
  gMemVfs->remove_file(gMemVfs, "trunc.log", NULL);
}

static void testTruncateSmall(void) {
  static const size_t sizes[] = {0, 1, 300, 7, 600, 0, 1200, 33, 5};
  uint64_t ends[TDB_ARRAY_LEN(sizes)], starts[TDB_ARRAY_LEN(sizes)];
  Stream s = {TDB_ARRAY_LEN(sizes), sizes, 300, ends, starts};
  truncationSweep(&s, 1);
}

/* Two blocks and more: a trailer, a record across a block boundary, a
** record over three blocks. Lengths near every boundary, and a stride. */
static void testTruncateBlocks(void) {
  static const size_t sizes[] = {0, 1, 300, BLOCK - 4 * HDR - 301 - 3, 100,
                                 40000, 50, 2 * BLOCK + 10, 3};
  uint64_t ends[TDB_ARRAY_LEN(sizes)], starts[TDB_ARRAY_LEN(sizes)];
  Stream s = {TDB_ARRAY_LEN(sizes), sizes, 400, ends, starts};
  truncationSweep(&s, 0);
  CHECK_EQ(ends[3], BLOCK - 3);   /* the trailer is there */
}

/* ---- flipped bytes -------------------------------------------------------------- */

/* Flip byte p of the log (xor 0xFF): a torn tail if the damaged fragment is
** the last one, else TDB_CORRUPT_WAL with the damage's offset; never a
** wrong record. */
static void flipSweep(Stream *s, int every) {
  Frag frags[64];
  size_t nfrag;
  uint64_t size, p;
  unsigned char *img;
  gMemVfs->remove_file(gMemVfs, "flip.log", NULL);
  CHECK_EQ(writeStream(gMemVfs, "flip.log", 12, s), TDB_OK);
  img = slurp(gMemVfs, "flip.log", &size);
  if (!img) return;
  nfrag = parseFragments(img, size, frags, TDB_ARRAY_LEN(frags));
  CHECK(nfrag < TDB_ARRAY_LEN(frags));
  for (p = 0; p < size; p++) {
    size_t j = 0, k = 0;
    ReadResult res;
    int in_frag, last;
    while (j < nfrag && frags[j].end <= p) j++;
    in_frag = j < nfrag && frags[j].start <= p;   /* else: in a trailer */
    if (!every && in_frag && p - frags[j].start >= HDR &&
        frags[j].end - p > 2 && p % 101 != 0) {
      continue;   /* sample payload bytes of the big log */
    }
    last = in_frag && j == nfrag - 1;
    while (k < s->count && s->ends[k] <= p) k++;
    img[p] ^= 0xFF;
    spit(gMemVfs, "flip.log", img, (size_t)size);
    img[p] ^= 0xFF;
    res = readAll(gMemVfs, "flip.log", 12, s);
    CHECK_EQ(res.wrong, 0);
    CHECK_EQ(res.nrec, k);
    if (last) {
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.tail.torn, 1);
      CHECK_EQ(res.tail.offset, s->starts[k]);
    } else {
      CHECK_EQ(res.rc, TDB_CORRUPT_WAL);
      CHECK(res.err.offset >= (int64_t)(k ? s->ends[k - 1] : 0) &&
            res.err.offset <= (int64_t)p);
      CHECK_CONTAINS(res.err.msg, "flip.log");
      CHECK_CONTAINS(res.err.msg, "at offset");
    }
    if (tdbTestCurrentFailures) {
      printf("  (flipped byte %llu)\n", (unsigned long long)p);
      break;
    }
  }
  free(img);
  gMemVfs->remove_file(gMemVfs, "flip.log", NULL);
}

static void testFlipSmall(void) {
  static const size_t sizes[] = {0, 1, 300, 7, 600, 0, 40, 5};
  uint64_t ends[TDB_ARRAY_LEN(sizes)], starts[TDB_ARRAY_LEN(sizes)];
  Stream s = {TDB_ARRAY_LEN(sizes), sizes, 500, ends, starts};
  flipSweep(&s, 1);
}

/* Headers, trailers and a sample of the payload bytes of a multi-block log,
** whose last record has three fragments (flips in its FIRST/MIDDLE are
** followed by a valid fragment, so they are corruption, not a tail). */
static void testFlipBlocks(void) {
  static const size_t sizes[] = {10, BLOCK - 2 * HDR - 10 - 3, 70000, 20, 2 * BLOCK};
  uint64_t ends[TDB_ARRAY_LEN(sizes)], starts[TDB_ARRAY_LEN(sizes)];
  Stream s = {TDB_ARRAY_LEN(sizes), sizes, 600, ends, starts};
  flipSweep(&s, 0);
}

/* ---- corruption in the middle, broken chains, stale bytes, holes --------------- */

static void testMiddleCorruption(void) {
  static const size_t sizes[] = {100, 200, 300, 400, 500};
  uint64_t ends[5], starts[5];
  Stream s = {5, sizes, 700, ends, starts};
  uint64_t size;
  unsigned char *img;
  ReadResult res;
  char want[64];
  CHECK_EQ(writeStream(gMemVfs, "mid.log", 4, &s), TDB_OK);
  img = slurp(gMemVfs, "mid.log", &size);
  if (!img) return;
  img[starts[2] + HDR + 150] ^= 0x01;   /* one bit of record 2's payload */
  spit(gMemVfs, "mid.log", img, (size_t)size);
  res = readAll(gMemVfs, "mid.log", 4, &s);
  CHECK_EQ(res.rc, TDB_CORRUPT_WAL);
  CHECK_EQ(res.nrec, 2);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.err.rc, TDB_CORRUPT_WAL);
  CHECK_EQ(res.err.offset, starts[2]);
  snprintf(want, sizeof want, "at offset %llu", (unsigned long long)starts[2]);
  CHECK_CONTAINS(res.err.msg, want);
  CHECK_CONTAINS(res.err.msg, "mid.log");
  CHECK_CONTAINS(res.err.msg, "checksum mismatch");
  CHECK_CONTAINS(res.err.msg, "not a torn tail");
  /* Garbage (not zeros) over a whole record in the middle: also corrupt. */
  img[starts[2] + HDR + 150] ^= 0x01;
  memset(img + starts[1], 0x5A, (size_t)(ends[1] - starts[1]));
  spit(gMemVfs, "mid.log", img, (size_t)size);
  res = readAll(gMemVfs, "mid.log", 4, &s);
  CHECK_EQ(res.rc, TDB_CORRUPT_WAL);
  CHECK_EQ(res.nrec, 1);
  CHECK_EQ(res.err.offset, starts[1]);
  free(img);
  gMemVfs->remove_file(gMemVfs, "mid.log", NULL);
}

typedef struct ChainCase {
  const char *name;
  unsigned types[4];        /* 0 ends the list */
  int rc;                   /* TDB_DONE or TDB_CORRUPT_WAL */
  size_t nrec;
  size_t bad_frag;          /* index of the fragment whose offset is reported */
} ChainCase;

/* Fragment chains the writer never writes. */
static void testBrokenChains(void) {
  static const ChainCase cases[] = {
      {"FIRST FULL", {TDB_WAL_FIRST, TDB_WAL_FULL}, TDB_CORRUPT_WAL, 0, 0},
      {"FIRST FIRST LAST", {TDB_WAL_FIRST, TDB_WAL_FIRST, TDB_WAL_LAST}, TDB_CORRUPT_WAL, 0, 0},
      {"MIDDLE", {TDB_WAL_MIDDLE}, TDB_CORRUPT_WAL, 0, 0},
      {"FULL LAST", {TDB_WAL_FULL, TDB_WAL_LAST}, TDB_CORRUPT_WAL, 1, 1},
      {"FULL FIRST", {TDB_WAL_FULL, TDB_WAL_FIRST}, TDB_DONE, 1, 1},
      {"FIRST MIDDLE", {TDB_WAL_FIRST, TDB_WAL_MIDDLE}, TDB_DONE, 0, 0},
      {"FIRST MIDDLE LAST FULL", {TDB_WAL_FIRST, TDB_WAL_MIDDLE, TDB_WAL_LAST, TDB_WAL_FULL}, TDB_DONE, 2, 0},
  };
  size_t c;
  for (c = 0; c < TDB_ARRAY_LEN(cases); c++) {
    unsigned char img[256];
    uint64_t offs[4];
    size_t n = 0, i, nrec = 0;
    TdbWalReader *r = NULL;
    TdbVfsErr err;
    const unsigned char *data;
    size_t len;
    int rc;
    for (i = 0; i < 4 && cases[c].types[i]; i++) {
      offs[i] = n;
      n += craft(img + n, 21, cases[c].types[i], "abc");
    }
    spit(gMemVfs, "chain.log", img, n);
    CHECK_EQ(tdbWalReaderOpen(&gMem, gMemVfs, "chain.log", 21, &r, &err), TDB_OK);
    if (!r) return;
    while ((rc = tdbWalReadRecord(r, &data, &len)) == TDB_OK) nrec++;
    CHECK_EQ(rc, cases[c].rc);
    CHECK_EQ(nrec, cases[c].nrec);
    if (rc == TDB_CORRUPT_WAL && tdbWalReaderErr(r)) {
      CHECK_EQ(tdbWalReaderErr(r)->offset, offs[cases[c].bad_frag]);
    } else if (rc == TDB_DONE) {
      const TdbWalTail *t = tdbWalReaderTail(r);
      int whole = cases[c].types[0] == TDB_WAL_FIRST && cases[c].types[3] == TDB_WAL_FULL;
      CHECK_EQ(t->torn, whole ? 0 : 1);
      if (!whole) {
        CHECK_EQ(t->offset, offs[cases[c].bad_frag]);
        CHECK_CONTAINS(t->note, "ends inside a record");
      }
    }
    if (tdbTestCurrentFailures) {
      printf("  (case %s)\n", cases[c].name);
      tdbWalReaderClose(r);
      break;
    }
    tdbWalReaderClose(r);
  }
  gMemVfs->remove_file(gMemVfs, "chain.log", NULL);
}

/* Another log number's bytes never pass: read with the wrong number, and a
** recycled file whose new, shorter content overwrote the start of an old
** log without truncating it. */
static void testStaleLogNumber(void) {
  static const size_t olds[] = {500, 600, 700, 800, 40000, 900};
  static const size_t news[] = {100, 300, 200};
  uint64_t oends[6], nends[3], nstarts[3];
  Stream so = {6, olds, 800, oends, NULL};
  Stream sn = {3, news, 900, nends, nstarts};
  ReadResult res;
  uint64_t osize, nsize;
  unsigned char *oimg, *nimg;
  CHECK_EQ(writeStream(gMemVfs, "old.log", 7, &so), TDB_OK);
  res = readAll(gMemVfs, "old.log", 8, &so);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, 0);
  CHECK_EQ(res.tail.torn, 1);
  CHECK_EQ(res.tail.offset, 0);
  CHECK_EQ(res.tail.dropped, oends[5]);
  CHECK_EQ(writeStream(gMemVfs, "new.log", 8, &sn), TDB_OK);
  oimg = slurp(gMemVfs, "old.log", &osize);
  nimg = slurp(gMemVfs, "new.log", &nsize);
  if (!oimg || !nimg) return;
  memcpy(oimg, nimg, (size_t)nsize);
  spit(gMemVfs, "recycled.log", oimg, (size_t)osize);
  res = readAll(gMemVfs, "recycled.log", 8, &sn);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, 3);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.tail.torn, 1);
  CHECK_EQ(res.tail.offset, nends[2]);
  CHECK_EQ(res.tail.dropped, osize - nends[2]);
  free(oimg);
  free(nimg);
  gMemVfs->remove_file(gMemVfs, "old.log", NULL);
  gMemVfs->remove_file(gMemVfs, "new.log", NULL);
  gMemVfs->remove_file(gMemVfs, "recycled.log", NULL);
}

/* Zero-filled space ends the log even when valid fragments follow (the
** shape a power loss leaves when pages land out of order); the note says
** where the valid bytes after the hole start. */
static void testZeroHole(void) {
  static const size_t sizes[] = {100, 200, 300, 400};
  uint64_t ends[4], starts[4];
  Stream s = {4, sizes, 1100, ends, starts};
  uint64_t size;
  unsigned char *img;
  ReadResult res;
  char want[64];
  CHECK_EQ(writeStream(gMemVfs, "hole.log", 6, &s), TDB_OK);
  img = slurp(gMemVfs, "hole.log", &size);
  if (!img) return;
  memset(img + starts[1], 0, (size_t)(ends[2] - starts[1]));
  spit(gMemVfs, "hole.log", img, (size_t)size);
  res = readAll(gMemVfs, "hole.log", 6, &s);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, 1);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.tail.torn, 1);
  CHECK_EQ(res.tail.offset, starts[1]);
  CHECK_EQ(res.tail.dropped, size - starts[1]);
  CHECK_CONTAINS(res.tail.note, "unwritten space");
  snprintf(want, sizeof want, "follow from offset %llu", (unsigned long long)starts[3]);
  CHECK_CONTAINS(res.tail.note, want);
  free(img);
  gMemVfs->remove_file(gMemVfs, "hole.log", NULL);
}

/* ---- power loss ------------------------------------------------------------------ */

/* S synced records, then u unsynced ones, power loss with a torn last
** write of `tear` bytes: recovery gives the synced records, maybe some of
** the later ones whole and in order, never a partial or wrong one, never
** TDB_CORRUPT. Then the log is cut to its valid end and appended to. */
static void testPowerLoss(void) {
  static const int64_t tears[] = {-1, 0, 1, 3, 6, 7, 8, 20, 100, 5000, 33000, 70000, 2000000};
  static const size_t unsynced[] = {0, 1, 2, 3, 6};
  enum { N = 40 };
  size_t sizes[N];
  uint64_t ends[N], starts[N];
  Stream s = {N, sizes, 1300, ends, starts};
  TdbVfs *inner = NULL, *fault = NULL;
  size_t t, u, i, total = 0;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &inner), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, inner, &fault), TDB_OK);
  if (!fault) return;
  for (i = 0; i < N; i++) sizes[i] = (i * 7919) % 3000;
  sizes[20] = 40000;          /* spans blocks */
  sizes[23] = (size_t)3 << 19; /* written in two VFS appends */
  for (t = 0; t < TDB_ARRAY_LEN(tears); t++) {
    for (u = 0; u < TDB_ARRAY_LEN(unsynced); u++) {
      size_t synced = 18 + t % 7, later = unsynced[u];
      TdbWalWriter *w = NULL;
      TdbVfsErr err;
      ReadResult res;
      fault->remove_file(fault, "p.log", NULL);
      fault->sync_dir(fault, "", NULL);
      CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "p.log", 2, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
      if (!w) goto out;
      CHECK_EQ(fault->sync_dir(fault, "", NULL), TDB_OK);
      CHECK_EQ(appendRange(w, &s, 0, synced, 5), TDB_OK);
      CHECK_EQ(tdbWalSync(w), TDB_OK);
      CHECK_EQ(appendRange(w, &s, synced, synced + later, 0), TDB_OK);
      tdbFaultVfsSetTear(fault, tears[t]);
      CHECK_EQ(tdbFaultVfsCrash(fault), TDB_OK);
      tdbWalWriterClose(w);
      res = readAll(fault, "p.log", 2, &s);
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.wrong, 0);
      CHECK(res.nrec >= synced && res.nrec <= synced + later);
      /* Cut at the valid end and go on appending: a clean log again. */
      CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "p.log", 2, res.valid_end, &w, &err), TDB_OK);
      if (!w) goto out;
      CHECK_EQ(tdbWalWriterSize(w), res.nrec ? ends[res.nrec - 1] : 0);
      CHECK_EQ(appendRange(w, &s, res.nrec, N, 0), TDB_OK);
      CHECK_EQ(tdbWalSync(w), TDB_OK);
      tdbWalWriterClose(w);
      res = readAll(fault, "p.log", 2, &s);
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.nrec, N);
      CHECK_EQ(res.wrong, 0);
      CHECK_EQ(res.tail.torn, 0);
      total++;
      if (tdbTestCurrentFailures) {
        printf("  (tear %lld, %zu unsynced)\n", (long long)tears[t], later);
        goto out;
      }
    }
  }
  CHECK_EQ(total, TDB_ARRAY_LEN(tears) * TDB_ARRAY_LEN(unsynced));
out:
  tdbFaultVfsFree(fault);
  tdbVfsMemoryFree(inner);
}

/* Power cut at the nth sync point of a log synced after every record: every
** record whose sync returned TDB_OK survives. */
static void testCrashAtEverySync(void) {
  enum { N = 12 };
  size_t sizes[N];
  uint64_t ends[N], starts[N];
  Stream s = {N, sizes, 1400, ends, starts};
  TdbVfs *inner = NULL, *fault = NULL;
  uint64_t nth;
  size_t i;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &inner), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, inner, &fault), TDB_OK);
  if (!fault) return;
  for (i = 0; i < N; i++) sizes[i] = 1000 + i * 4000;
  for (nth = 1; nth <= N + 1; nth++) {
    TdbWalWriter *w = NULL;
    TdbVfsErr err;
    ReadResult res;
    size_t acked = 0;
    int rc = TDB_OK;
    fault->remove_file(fault, "c.log", NULL);
    CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "c.log", 3, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
    if (!w) break;
    CHECK_EQ(fault->sync_dir(fault, "", NULL), TDB_OK);
    tdbFaultVfsSetTear(fault, (int64_t)(nth * 1237));
    tdbFaultVfsCrashAtSync(fault, nth);
    for (i = 0; i < N && rc == TDB_OK; i++) {
      rc = appendRange(w, &s, i, i + 1, 1);
      if (rc == TDB_OK) acked = i + 1;
    }
    CHECK(tdbWalWriterErr(w) != NULL || acked == N);
    CHECK_EQ(tdbFaultVfsCrash(fault), TDB_OK);
    tdbWalWriterClose(w);
    res = readAll(fault, "c.log", 3, &s);
    CHECK_EQ(res.rc, TDB_DONE);
    CHECK_EQ(res.wrong, 0);
    CHECK(res.nrec >= acked);
    CHECK(res.nrec <= acked + 1);
    if (tdbTestCurrentFailures) {
      printf("  (power cut at sync point %llu)\n", (unsigned long long)nth);
      break;
    }
  }
  tdbFaultVfsFree(fault);
  tdbVfsMemoryFree(inner);
}

/* ---- preallocation ------------------------------------------------------------ */

#define PREALLOC_STEP 50000  /* not a multiple of the block size, on purpose */

/* Open `path` (cut to `at`), preallocating, append records [from, to) of s
** with a sync every `every`, sync, close. Checks the physical size: the
** logical end rounded up to the step. */
static void preallocWrite(TdbVfs *vfs, const char *path, uint64_t at, Stream *s,
                          size_t from, size_t to, size_t every) {
  TdbWalWriter *w = NULL;
  TdbVfsErr err;
  TdbVfsFile *f = NULL;
  uint64_t logical, physical = 0;
  CHECK_EQ(tdbWalWriterOpen(&gMem, vfs, path, 9, at, &w, &err), TDB_OK);
  if (!w) return;
  tdbWalWriterPreallocate(w, PREALLOC_STEP);
  CHECK_EQ(appendRange(w, s, from, to, every), TDB_OK);
  CHECK_EQ(tdbWalSync(w), TDB_OK);
  logical = tdbWalWriterSize(w);
  CHECK_EQ(tdbWalWriterSyncedSize(w), logical);
  tdbWalWriterClose(w);
  CHECK_EQ(vfs->open_file(vfs, path, TDB_VFS_READ, &f, &err), TDB_OK);
  if (f) f->methods->get_size(f, &physical, NULL);
  tdbVfsClose(f);
  CHECK_EQ(physical % PREALLOC_STEP, 0);
  CHECK(physical >= logical && physical - logical < PREALLOC_STEP);
}

/* Records written over preallocated zeros read back whole; the zero tail
** ends the log cleanly (not torn), and the valid end is the logical size;
** reopening there and appending (preallocating again) gives one clean log. */
static void preallocRoundTrip(TdbVfs *vfs, const char *path) {
  static const size_t sizes[] = {0, 100, BLOCK - HDR, 40000, 7, 123456, 1, 50000 - HDR,
                                 3, 2 * BLOCK, 600, 0, 99999};
  enum { N = sizeof sizes / sizeof sizes[0], HALF = 7 };
  uint64_t ends[N], starts[N];
  Stream s = {N, sizes, 1700, ends, starts};
  ReadResult res;
  Stream first = s;
  vfs->remove_file(vfs, path, NULL);
  first.count = HALF;
  preallocWrite(vfs, path, 0, &s, 0, HALF, 2);
  res = readAll(vfs, path, 9, &first);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, HALF);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.tail.torn, 0);
  CHECK_EQ(res.valid_end, ends[HALF - 1]);
  /* reopen at the valid end: the zeros after it are cut, then grown again */
  preallocWrite(vfs, path, res.valid_end, &s, HALF, N, 3);
  res = readAll(vfs, path, 9, &s);
  CHECK_EQ(res.rc, TDB_DONE);
  CHECK_EQ(res.nrec, N);
  CHECK_EQ(res.wrong, 0);
  CHECK_EQ(res.tail.torn, 0);
  CHECK_EQ(res.valid_end, ends[N - 1]);
  vfs->remove_file(vfs, path, NULL);
}

static void testPreallocMemory(void) { preallocRoundTrip(gMemVfs, "pre.log"); }

static void testPreallocPosix(void) {
  char path[600];
  if (!gPosix) return;
  snprintf(path, sizeof path, "%s/pre.log", gDir);
  preallocRoundTrip(gPosix, path);
}

/* Damage inside a preallocated log keeps the strict policy: a record cut
** short by zeros (a torn last write) is a torn tail from its start; a
** flipped byte of the last record is a torn tail (nothing valid follows);
** a flipped byte with records after it is TDB_CORRUPT_WAL; a zero hole
** with records after it is a torn tail that says so. */
static void testPreallocDamage(void) {
  static const size_t sizes[] = {300, 40000, 500, 700};
  enum { N = 4 };
  uint64_t ends[N], starts[N], size;
  Stream s = {N, sizes, 1800, ends, starts};
  unsigned char *img;
  ReadResult res;
  int round;
  for (round = 0; round < 4; round++) {
    gMemVfs->remove_file(gMemVfs, "pd.log", NULL);
    preallocWrite(gMemVfs, "pd.log", 0, &s, 0, N, 0);
    img = slurp(gMemVfs, "pd.log", &size);
    if (!img) return;
    CHECK(size > ends[N - 1]);
    switch (round) {
      case 0: /* record 1 (three fragments) keeps its FIRST, the rest zeroed */
        memset(img + starts[1] + BLOCK - starts[1] % BLOCK, 0, (size_t)(size - (starts[1] + BLOCK - starts[1] % BLOCK)));
        break;
      case 1: img[ends[N - 1] - 3] ^= 0x40; break;
      case 2: img[starts[1] + HDR + 10] ^= 0x01; break;
      default: memset(img + starts[2], 0, sizes[2] + HDR); break;
    }
    spit(gMemVfs, "pd.log", img, (size_t)size);
    res = readAll(gMemVfs, "pd.log", 9, &s);
    CHECK_EQ(res.wrong, 0);
    if (round == 0) {
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.nrec, 1);
      CHECK_EQ(res.tail.torn, 1);
      CHECK_EQ(res.tail.offset, starts[1]);
      CHECK_EQ(res.valid_end, starts[1]);
    } else if (round == 1) {
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.nrec, N - 1);
      CHECK_EQ(res.tail.torn, 1);
      CHECK_EQ(res.valid_end, starts[N - 1]);
      CHECK_CONTAINS(res.tail.note, "checksum mismatch");
    } else if (round == 2) {
      CHECK_EQ(res.rc, TDB_CORRUPT_WAL);
      CHECK_EQ(res.nrec, 1);
      CHECK_CONTAINS(res.err.msg, "not a torn tail");
    } else {
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.nrec, 2);
      CHECK_EQ(res.tail.torn, 1);
      CHECK_CONTAINS(res.tail.note, "unwritten space");
    }
    free(img);
  }
  gMemVfs->remove_file(gMemVfs, "pd.log", NULL);
}

/* Power loss while preallocating (the fault VFS drops unsynced writes, the
** zeros included, and tears the last one): every synced record survives,
** nothing partial or wrong is returned, and after cutting at the valid end
** and appending again the log is whole and clean. */
static void testPreallocPowerLoss(void) {
  static const int64_t tears[] = {-1, 0, 1, 7, 100, 5000, 33000, 70000};
  static const size_t unsynced[] = {0, 1, 3};
  enum { N = 30 };
  size_t sizes[N];
  uint64_t ends[N], starts[N];
  Stream s = {N, sizes, 1900, ends, starts};
  TdbVfs *inner = NULL, *fault = NULL;
  size_t t, u, i, total = 0;
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &inner), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, inner, &fault), TDB_OK);
  if (!fault) return;
  for (i = 0; i < N; i++) sizes[i] = (i * 7919) % 9000;
  sizes[12] = 60000; /* crosses a preallocation step */
  for (t = 0; t < TDB_ARRAY_LEN(tears); t++) {
    for (u = 0; u < TDB_ARRAY_LEN(unsynced); u++) {
      size_t synced = 14 + t % 5, later = unsynced[u];
      TdbWalWriter *w = NULL;
      TdbVfsErr err;
      ReadResult res;
      fault->remove_file(fault, "pp.log", NULL);
      fault->sync_dir(fault, "", NULL);
      CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "pp.log", 9, 0, &w, &err), TDB_OK);
      if (!w) goto out;
      tdbWalWriterPreallocate(w, PREALLOC_STEP);
      CHECK_EQ(fault->sync_dir(fault, "", NULL), TDB_OK);
      CHECK_EQ(appendRange(w, &s, 0, synced, 4), TDB_OK);
      CHECK_EQ(tdbWalSync(w), TDB_OK);
      CHECK_EQ(appendRange(w, &s, synced, synced + later, 0), TDB_OK);
      tdbFaultVfsSetTear(fault, tears[t]);
      CHECK_EQ(tdbFaultVfsCrash(fault), TDB_OK);
      tdbWalWriterClose(w);
      res = readAll(fault, "pp.log", 9, &s);
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.wrong, 0);
      CHECK(res.nrec >= synced && res.nrec <= synced + later);
      CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "pp.log", 9, res.valid_end, &w, &err), TDB_OK);
      if (!w) goto out;
      tdbWalWriterPreallocate(w, PREALLOC_STEP);
      CHECK_EQ(tdbWalWriterSize(w), res.nrec ? ends[res.nrec - 1] : 0);
      CHECK_EQ(appendRange(w, &s, res.nrec, N, 0), TDB_OK);
      CHECK_EQ(tdbWalSync(w), TDB_OK);
      tdbWalWriterClose(w);
      res = readAll(fault, "pp.log", 9, &s);
      CHECK_EQ(res.rc, TDB_DONE);
      CHECK_EQ(res.nrec, N);
      CHECK_EQ(res.wrong, 0);
      CHECK_EQ(res.tail.torn, 0);
      total++;
      if (tdbTestCurrentFailures) {
        printf("  (tear %lld, %zu unsynced)\n", (long long)tears[t], later);
        goto out;
      }
    }
  }
  CHECK_EQ(total, TDB_ARRAY_LEN(tears) * TDB_ARRAY_LEN(unsynced));
out:
  tdbFaultVfsFree(fault);
  tdbVfsMemoryFree(inner);
}

/* ---- sticky errors ------------------------------------------------------------------ */

static void testStickyErrors(void) {
  TdbVfs *inner = NULL, *fault = NULL;
  TdbWalWriter *w = NULL;
  TdbVfsErr err;
  unsigned char rec[1000];
  uint64_t writes;
  memset(rec, 7, sizeof rec);
  CHECK_EQ(tdbVfsMemoryNew(&gMem, &inner), TDB_OK);
  CHECK_EQ(tdbFaultVfsNew(&gMem, inner, &fault), TDB_OK);
  if (!fault) return;
  /* A failed write. */
  CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "s.log", 1, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
  if (!w) goto out;
  CHECK_EQ(tdbWalAppend(w, rec, 10), TDB_OK);
  CHECK(tdbWalWriterErr(w) == NULL);
  tdbFaultVfsFailAt(fault, TDB_FAULT_WRITE, 1, 0);
  CHECK_EQ(tdbWalAppend(w, rec, 20), TDB_IOERR_WRITE);
  writes = tdbFaultVfsCalls(fault, TDB_FAULT_WRITE);
  CHECK_EQ(tdbWalAppend(w, rec, 30), TDB_IOERR_WRITE);   /* sticky, untouched */
  CHECK_EQ(tdbWalSync(w), TDB_IOERR_WRITE);
  CHECK_EQ(tdbFaultVfsCalls(fault, TDB_FAULT_WRITE), writes);
  CHECK(tdbWalWriterErr(w) != NULL);
  if (tdbWalWriterErr(w)) {
    CHECK_EQ(tdbWalWriterErr(w)->rc, TDB_IOERR_WRITE);
    CHECK_CONTAINS(tdbWalWriterErr(w)->msg, "s.log");
  }
  CHECK_EQ(tdbWalWriterSize(w), HDR + 10);
  tdbWalWriterClose(w);
  /* A failed sync. */
  fault->remove_file(fault, "s.log", NULL);
  CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "s.log", 1, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
  if (!w) goto out;
  CHECK_EQ(tdbWalAppend(w, rec, 10), TDB_OK);
  tdbFaultVfsFailAt(fault, TDB_FAULT_SYNC, 1, 0);
  CHECK_EQ(tdbWalSync(w), TDB_IOERR_SYNC);
  CHECK_EQ(tdbWalSync(w), TDB_IOERR_SYNC);
  CHECK_EQ(tdbWalAppend(w, rec, 10), TDB_IOERR_SYNC);
  CHECK_EQ(tdbWalWriterSyncedSize(w), 0);
  if (tdbWalWriterErr(w)) CHECK_CONTAINS(tdbWalWriterErr(w)->msg, "s.log");
  tdbWalWriterClose(w);
  /* A full disk: the write that crosses the limit stores what fits, which
  ** recovery then drops as a torn tail. */
  fault->remove_file(fault, "s.log", NULL);
  tdbFaultVfsClearFaults(fault);
  CHECK_EQ(tdbWalWriterOpen(&gMem, fault, "s.log", 1, TDB_WAL_KEEP_SIZE, &w, &err), TDB_OK);
  if (!w) goto out;
  CHECK_EQ(tdbWalAppend(w, rec, 100), TDB_OK);
  CHECK_EQ(tdbWalSync(w), TDB_OK);
  tdbFaultVfsSetDiskLimit(fault, 500);
  CHECK_EQ(tdbWalAppend(w, rec, 300), TDB_OK);
  CHECK_EQ(tdbWalAppend(w, rec, 300), TDB_FULL);
  CHECK_EQ(tdbWalAppend(w, rec, 1), TDB_FULL);
  CHECK_EQ(tdbWalSync(w), TDB_FULL);
  if (tdbWalWriterErr(w)) CHECK_EQ(tdbWalWriterErr(w)->rc, TDB_FULL);
  CHECK_EQ(tdbWalWriterSize(w), 2 * HDR + 400);
  tdbWalWriterClose(w);
  tdbFaultVfsClearFaults(fault);
  {
    static const size_t sizes[] = {100, 300, 300};
    Stream s = {3, sizes, 0, NULL, NULL};
    TdbWalReader *r = NULL;
    const unsigned char *data;
    size_t n, nrec = 0;
    int rc;
    (void)s;
    CHECK_EQ(tdbWalReaderOpen(&gMem, fault, "s.log", 1, &r, &err), TDB_OK);
    if (r) {
      while ((rc = tdbWalReadRecord(r, &data, &n)) == TDB_OK) {
        CHECK_EQ(n, sizes[nrec]);
        nrec++;
      }
      CHECK_EQ(rc, TDB_DONE);
      CHECK_EQ(nrec, 2);
      CHECK_EQ(tdbWalReaderTail(r)->torn, 1);
      CHECK_EQ(tdbWalReaderTail(r)->offset, 2 * HDR + 400);
      CHECK_EQ(tdbWalReaderTail(r)->dropped, 500 - (HDR + 300));
      tdbWalReaderClose(r);
    }
  }
out:
  tdbFaultVfsFree(fault);
  tdbVfsMemoryFree(inner);
}

/* Errors of open, and out of memory at every allocation of open/append/read. */
static void testOpenErrorsAndNoMem(void) {
  TdbWalReader *r = NULL;
  TdbWalWriter *w = NULL;
  TdbVfsErr err;
  TdbTestAlloc a;
  tdb_allocator hooks;
  TdbMem mem;
  long nth;
  unsigned char big[100000];
  CHECK_EQ(tdbWalReaderOpen(&gMem, gMemVfs, "missing.log", 1, &r, &err), TDB_NOTFOUND);
  CHECK(r == NULL);
  CHECK_CONTAINS(err.msg, "missing.log");
  memset(big, 3, sizeof big);
  for (nth = 1; nth < 40; nth++) {
    const unsigned char *data;
    size_t n;
    int rc, done = 0;
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    a.fail_at = nth;
    gMemVfs->remove_file(gMemVfs, "nomem.log", NULL);
    rc = tdbWalWriterOpen(&mem, gMemVfs, "nomem.log", 1, TDB_WAL_KEEP_SIZE, &w, &err);
    if (rc == TDB_OK) {
      rc = tdbWalAppend(w, big, sizeof big);
      if (rc == TDB_NOMEM) rc = tdbWalAppend(w, big, 10);  /* still usable */
      CHECK(rc == TDB_OK || rc == TDB_NOMEM);
      tdbWalWriterClose(w);
    } else {
      CHECK_EQ(rc, TDB_NOMEM);
      CHECK(w == NULL);
    }
    rc = tdbWalReaderOpen(&mem, gMemVfs, "nomem.log", 1, &r, &err);
    if (rc == TDB_OK) {
      while ((rc = tdbWalReadRecord(r, &data, &n)) == TDB_OK) {}
      CHECK(rc == TDB_DONE || rc == TDB_NOMEM);
      done = rc == TDB_DONE && a.failures == 0;
      tdbWalReaderClose(r);
    } else {
      CHECK(rc == TDB_NOMEM || rc == TDB_NOTFOUND);   /* NOTFOUND: no writer */
    }
    CHECK_EQ(a.live, 0);
    if (done) break;
  }
  CHECK(nth < 40);
  gMemVfs->remove_file(gMemVfs, "nomem.log", NULL);
}

/* ---- main ---------------------------------------------------------------------------- */

int main(void) {
  const char *tmp = getenv("TMPDIR");
  tdbMemInit(&gMem, NULL);
  if (tdbVfsMemoryNew(&gMem, &gMemVfs) != TDB_OK) return 1;
  snprintf(gDir, sizeof gDir, "%s/tdb-wal-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(gDir) || tdbVfsPosixNew(&gMem, &gPosix) != TDB_OK) {
    printf("note: no posix temporary directory; posix round trips skipped\n");
    gDir[0] = '\0';
    gPosix = NULL;
  }
  TEST_RUN(testSizesMemory);
  TEST_RUN(testSizesPosix);
  TEST_RUN(testRandomMemory);
  TEST_RUN(testRandomPosix);
  TEST_RUN(testReopenAppend);
  TEST_RUN(testTruncateSmall);
  TEST_RUN(testTruncateBlocks);
  TEST_RUN(testFlipSmall);
  TEST_RUN(testFlipBlocks);
  TEST_RUN(testMiddleCorruption);
  TEST_RUN(testBrokenChains);
  TEST_RUN(testStaleLogNumber);
  TEST_RUN(testZeroHole);
  TEST_RUN(testPowerLoss);
  TEST_RUN(testCrashAtEverySync);
  TEST_RUN(testPreallocMemory);
  TEST_RUN(testPreallocPosix);
  TEST_RUN(testPreallocDamage);
  TEST_RUN(testPreallocPowerLoss);
  TEST_RUN(testStickyErrors);
  TEST_RUN(testOpenErrorsAndNoMem);
  tdbVfsPosixFree(gPosix);
  if (gDir[0]) rmdir(gDir);
  tdbVfsMemoryFree(gMemVfs);
  return tdbTestFinish();
}
