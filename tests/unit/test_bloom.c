/*
** test_bloom.c — Bloom filters: no false negatives, the false-positive rate
** at 10 bits per key over 100k absent keys (printed; must be < 2%), k from
** bits per key, malformed filters, and the hash pinned to known values (it
** is part of the SSTable format).
*/
#include "tensordb.c"
#include "test.h"

static TdbMem bloomMem;

/* Key i of a set: "key-<i>" or, for absent ones, "absent-<i>". */
static size_t bloomKey(char *buf, const char *prefix, unsigned i) {
  return (size_t)snprintf(buf, 32, "%s%08u", prefix, i);
}

static unsigned char *bloomBuildSet(unsigned n, int bits, size_t *flen) {
  TdbBloomKey *keys = (TdbBloomKey *)malloc((n ? n : 1) * sizeof *keys);
  char *store = (char *)malloc((size_t)(n ? n : 1) * 32);
  unsigned char *f = NULL;
  unsigned i;
  for (i = 0; i < n; i++) {
    keys[i].data = store + (size_t)i * 32;
    keys[i].len = bloomKey(store + (size_t)i * 32, "key-", i);
  }
  CHECK_EQ(tdbBloomBuild(&bloomMem, keys, n, bits, &f, flen), TDB_OK);
  free(keys);
  free(store);
  return f;
}

static double bloomFpRate(const unsigned char *f, size_t flen, unsigned n) {
  char buf[32];
  unsigned i, fp = 0;
  for (i = 0; i < n; i++) {
    size_t len = bloomKey(buf, "absent-", i);
    fp += (unsigned)tdbBloomMayContain(f, flen, buf, len);
  }
  return (double)fp / n;
}

static void testNoFalseNegatives(void) {
  static const unsigned sizes[] = {0, 1, 2, 7, 100, 1000, 100000};
  size_t s;
  for (s = 0; s < TDB_ARRAY_LEN(sizes); s++) {
    size_t flen = 0;
    unsigned char *f = bloomBuildSet(sizes[s], 10, &flen);
    unsigned i, missing = 0;
    char buf[32];
    CHECK(f != NULL);
    if (!f)
      continue;
    CHECK(tdbBloomValid(f, flen));
    CHECK_EQ(flen, tdbBloomSize(sizes[s], 10));
    for (i = 0; i < sizes[s]; i++) {
      size_t len = bloomKey(buf, "key-", i);
      if (!tdbBloomMayContain(f, flen, buf, len))
        missing++;
    }
    CHECK_EQ(missing, 0);
    tdbMemFree(&bloomMem, f);
  }
}

static void testFalsePositiveRate(void) {
  size_t flen = 0;
  unsigned char *f = bloomBuildSet(100000, 10, &flen);
  double rate;
  CHECK(f != NULL);
  if (!f)
    return;
  rate = bloomFpRate(f, flen, 100000);
  printf(
      "# bloom: 10 bits/key, k=%d, 100000 keys, %zu bytes: "
      "false-positive rate %.3f%% over 100000 absent keys\n",
      tdbBloomK(10), flen, rate * 100.0);
  CHECK(rate < 0.02);
  CHECK(rate > 0.0); /* a filter that never says yes would be suspicious */
  tdbMemFree(&bloomMem, f);
}

static void testRateFallsWithBits(void) {
  static const int bits[] = {4, 10, 16};
  double prev = 1.0;
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(bits); i++) {
    size_t flen = 0;
    unsigned char *f = bloomBuildSet(20000, bits[i], &flen);
    double rate;
    if (!f)
      continue;
    rate = bloomFpRate(f, flen, 20000);
    printf("# bloom: %d bits/key: false-positive rate %.3f%%\n", bits[i],
           rate * 100.0);
    CHECK(rate < prev);
    prev = rate;
    tdbMemFree(&bloomMem, f);
  }
}

static void testK(void) {
  CHECK_EQ(tdbBloomK(10), 7);
  CHECK_EQ(tdbBloomK(0), tdbBloomK(TDB_DEFAULT_BLOOM_BITS));
  CHECK_EQ(tdbBloomK(1), 1);
  CHECK_EQ(tdbBloomK(5), 3);
  CHECK_EQ(tdbBloomK(20), 14);
  CHECK_EQ(tdbBloomK(1000), TDB_BLOOM_MAX_K);
  CHECK_EQ(tdbBloomSize(0, 10), TDB_BLOOM_MIN_BYTES + 1);
  /* 10000 bits round up to whole 64-byte lines: 20 lines */
  CHECK_EQ(tdbBloomSize(1000, 10), 20 * TDB_BLOOM_LINE_BYTES + 1);
  CHECK_EQ(tdbBloomSize(1, 10), TDB_BLOOM_LINE_BYTES + 1);
}

static void testMalformedFilters(void) {
  unsigned char f[2 * TDB_BLOOM_LINE_BYTES + 1];
  const size_t one = TDB_BLOOM_LINE_BYTES + 1; /* one line + the k byte */
  memset(f, 0, sizeof f);
  CHECK(!tdbBloomValid(NULL, 0));
  CHECK(!tdbBloomValid(f, 0));
  CHECK(!tdbBloomValid(f, TDB_BLOOM_LINE_BYTES)); /* less than one line of bits */
  CHECK(!tdbBloomValid(f, one + 1));              /* not whole lines */
  CHECK(!tdbBloomValid(f, one));                  /* k = 0 */
  f[one - 1] = 31;
  CHECK(!tdbBloomValid(f, one)); /* k too large */
  f[one - 1] = 3;
  CHECK(tdbBloomValid(f, one));
  CHECK_EQ(tdbBloomMayContain(f, one, "x", 1), 0); /* all bits clear */
  f[one - 1] = 0;
  CHECK_EQ(tdbBloomMayContain(f, one, "x", 1), 1); /* malformed: maybe */
  CHECK_EQ(tdbBloomMayContain(f, 3, "x", 1), 1);
}

/* The hash is on-disk format: these values must never change. */
static void testHashPinned(void) {
  CHECK_EQ(tdbBloomHash(NULL, 0), tdbBloomHash("", 0));
  CHECK(tdbBloomHash("a", 1) != tdbBloomHash("b", 1));
  CHECK(tdbBloomHash("abcdefgh", 8) != tdbBloomHash("abcdefgh\0", 9));
  CHECK_EQ(tdbBloomHash("", 0), UINT64_C(0xf490368aba8bfeac));
  CHECK_EQ(tdbBloomHash("a", 1), UINT64_C(0x80fab60da747dbb5));
  CHECK_EQ(tdbBloomHash("hello, tensordb!", 16), UINT64_C(0x503007a2c8c6bf72));
  /* a 1..7-byte tail after whole words (read as the key's last word) */
  CHECK_EQ(tdbBloomHash("tensordb!", 9), UINT64_C(0xeb61c5ec4e3717a8));
  CHECK_EQ(tdbBloomHash("0123456789abcde", 15), UINT64_C(0x56b12c920daa24f4));
}

int main(void) {
  tdbMemInit(&bloomMem, NULL);
  TEST_RUN(testNoFalseNegatives);
  TEST_RUN(testFalsePositiveRate);
  TEST_RUN(testRateFallsWithBits);
  TEST_RUN(testK);
  TEST_RUN(testMalformedFilters);
  TEST_RUN(testHashPinned);
  return tdbTestFinish();
}
