/*
** test_hll.c — the HyperLogLog sketch and value hashing of src/hll.c:
** exact counts up to TDB_HLL_SPARSE_MAX distinct hashes, duplicates ignored
** in both modes, estimates within 3 standard errors (3 x 0.81 %) of the
** true count from 257 to 2,000,000 distinct values (deterministic inputs,
** printed), SQL-equality hashing (2 = 2.0, 0.0 = -0.0, one NaN), and an
** avalanche check of the 64-bit mixer.
*/
#include "tensordb.c"
#include "test.h"

#include <math.h>

static TdbMem hllMem;

static void testExactSmall(void) {
  TdbHll h;
  uint64_t i;
  tdbHllInit(&h);
  CHECK_EQ(tdbHllEstimate(&h), 0);
  for (i = 0; i < TDB_HLL_SPARSE_MAX; i++) {
    CHECK_EQ(tdbHllAdd(&hllMem, &h, tdbHashMix64(i)), TDB_OK);
    CHECK_EQ(tdbHllAdd(&hllMem, &h, tdbHashMix64(i / 2)), TDB_OK); /* duplicates */
    CHECK_EQ(tdbHllEstimate(&h), (int64_t)i + 1);
  }
  CHECK(h.reg == NULL);
  CHECK_EQ(tdbHllAdd(&hllMem, &h, tdbHashMix64(100000)), TDB_OK); /* the 257th: dense */
  CHECK(h.reg != NULL);
  CHECK(llabs(tdbHllEstimate(&h) - 257) <= 7);
  tdbHllClear(&hllMem, &h);
}

static void testEstimateBound(void) {
  static const uint64_t sizes[] = {257, 1000, 5000, 20000, 50000, 100000, 300000, 2000000};
  size_t k;
  for (k = 0; k < TDB_ARRAY_LEN(sizes); k++) {
    TdbHll h;
    uint64_t i, n = sizes[k];
    double err;
    tdbHllInit(&h);
    for (i = 0; i < n; i++) {
      TdbValue v;
      tdbValueSetInt(&v, (int64_t)(i * 7919 + k));
      CHECK_EQ(tdbHllAdd(&hllMem, &h, tdbHashValue(&v)), TDB_OK);
      if (i % 3 == 0) CHECK_EQ(tdbHllAdd(&hllMem, &h, tdbHashValue(&v)), TDB_OK);
    }
    err = ((double)tdbHllEstimate(&h) - (double)n) / (double)n;
    printf("# %7llu distinct: estimate %lld (%+.3f %%)\n", (unsigned long long)n,
           (long long)tdbHllEstimate(&h), err * 100);
    CHECK(fabs(err) <= 3 * 1.04 / sqrt(16384.0));
    tdbHllClear(&hllMem, &h);
  }
}

static void testValueHash(void) {
  TdbValue a, b;
  tdbValueSetInt(&a, 2);
  tdbValueSetReal(&b, 2.0);
  CHECK(tdbHashValue(&a) == tdbHashValue(&b));
  tdbValueSetReal(&a, 0.0);
  tdbValueSetReal(&b, -0.0);
  CHECK(tdbHashValue(&a) == tdbHashValue(&b));
  tdbValueSetReal(&a, NAN);
  tdbValueSetReal(&b, -NAN);
  CHECK(tdbHashValue(&a) == tdbHashValue(&b));
  tdbValueSetReal(&a, 2.5);
  tdbValueSetInt(&b, 2);
  CHECK(tdbHashValue(&a) != tdbHashValue(&b));
  /* the same bytes as TEXT and BLOB differ; so do TRUE and 1 */
  CHECK_EQ(tdbValueSetBytes(&hllMem, &a, TDB_TYPE_TEXT, "ab", 2), TDB_OK);
  CHECK_EQ(tdbValueSetBytes(&hllMem, &b, TDB_TYPE_BLOB, "ab", 2), TDB_OK);
  CHECK(tdbHashValue(&a) != tdbHashValue(&b));
  tdbValueClear(&hllMem, &a);
  tdbValueClear(&hllMem, &b);
  tdbValueSetBool(&a, 1);
  tdbValueSetInt(&b, 1);
  CHECK(tdbHashValue(&a) != tdbHashValue(&b));
  /* byte strings: every length up to 17 hashes apart from its neighbours */
  {
    char buf[18] = "abcdefghijklmnopq";
    size_t n;
    for (n = 1; n < sizeof buf; n++) {
      CHECK(tdbHash64Bytes(buf, n, 0) != tdbHash64Bytes(buf, n - 1, 0));
    }
  }
}

/* Flipping one input bit flips each output bit about half the time. */
static void testAvalanche(void) {
  int bit, out;
  double worst = 0;
  for (bit = 0; bit < 64; bit++) {
    int flips[64] = {0};
    uint64_t x;
    for (x = 0; x < 2000; x++) {
      uint64_t in = x * 0x9e3779b97f4a7c15ULL;
      uint64_t d = tdbHashMix64(in) ^ tdbHashMix64(in ^ (1ULL << bit));
      for (out = 0; out < 64; out++) flips[out] += (int)((d >> out) & 1);
    }
    for (out = 0; out < 64; out++) {
      double bias = fabs(flips[out] / 2000.0 - 0.5);
      if (bias > worst) worst = bias;
    }
  }
  printf("# worst avalanche bias %.3f\n", worst);
  CHECK(worst < 0.05);
}

int main(void) {
  tdbMemInit(&hllMem, NULL);
  TEST_RUN(testExactSmall);
  TEST_RUN(testEstimateBound);
  TEST_RUN(testValueHash);
  TEST_RUN(testAvalanche);
  return tdbTestFinish();
}
