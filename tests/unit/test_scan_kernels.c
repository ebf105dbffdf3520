/*
** test_scan_kernels.c — the integer kernels of the table scan's pushed
** conditions (exec.c): tdbModBy, the remainder by a constant divisor through
** its inverse (tdbModInverse), against C's % (SQL's INTEGER %: the sign of
** the dividend) for divisors of 1, small, around 2^31, 2^32 - 1, 2^32 and
** beyond, and dividends that are random, small, just inside and outside 32
** bits, and the int64 extremes (fixed seed); and each comparison as the
** range test of a pushed condition (tdbScanCondRange, tdbScanCondCompare)
** against C's, for constants and values at and around the int64 extremes.
*/
#include "tensordb.c"
#include "test.h"

static void testModBy(void) {
  static const int64_t divisors[] = {1,          2,          3,          7,
                                     10,         16,         1000,       65535,
                                     65536,      99991,      2147483647, 2147483648LL,
                                     4294967295LL, 4294967296LL, 123456789012LL,
                                     INT64_MAX};
  static const int64_t edges[] = {0,
                                  1,
                                  -1,
                                  4294967295LL,
                                  -4294967295LL,
                                  4294967296LL,
                                  -4294967296LL,
                                  2147483647,
                                  -2147483648LL,
                                  INT64_MAX,
                                  INT64_MIN,
                                  INT64_MIN + 1};
  uint64_t seed = 20261202;
  size_t d, i, bad = 0;
  for (d = 0; d < TDB_ARRAY_LEN(divisors); d++) {
    int64_t m = divisors[d];
    uint64_t inv = tdbModInverse(m);
    for (i = 0; i < 200000; i++) {
      uint64_t r = tdbTestRand(&seed);
      int64_t x;
      switch (i % 4) {
        case 0: x = (int64_t)r; break;                                  /* any */
        case 1: x = (int64_t)(r >> 32) * ((r & 1) ? -1 : 1); break;     /* 32 bits */
        case 2: x = (int64_t)(r % 2001) - 1000; break;                  /* small */
        default: x = (int64_t)(r >> 31) * ((r & 1) ? -1 : 1); break;   /* 33 bits */
      }
      if (tdbModBy(x, m, inv) != x % m) bad++;
    }
    for (i = 0; i < TDB_ARRAY_LEN(edges); i++) {
      if (tdbModBy(edges[i], m, inv) != edges[i] % m) bad++;
    }
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(tdbModBy(-13, 10, tdbModInverse(10)), -3);
  CHECK_EQ(tdbModBy(13, 10, tdbModInverse(10)), 3);
  CHECK_EQ(tdbModBy(INT64_MIN, 10, tdbModInverse(10)), -8);
}

static void testCondRange(void) {
  static const int64_t vals[] = {INT64_MIN, INT64_MIN + 1, INT64_MIN + 2, -4294967296LL, -2, -1, 0,
                                 1,         2,             4294967296LL,  INT64_MAX - 2,
                                 INT64_MAX - 1, INT64_MAX};
  static const int ops[] = {TDB_OP_EQ, TDB_OP_NE, TDB_OP_LT, TDB_OP_LE, TDB_OP_GT, TDB_OP_GE};
  size_t o, i, j, bad = 0;
  for (o = 0; o < TDB_ARRAY_LEN(ops); o++) {
    for (i = 0; i < TDB_ARRAY_LEN(vals); i++) {
      TdbScanCond c;
      memset(&c, 0, sizeof c);
      c.op = ops[o];
      c.k = vals[i];
      tdbScanCondRange(&c);
      for (j = 0; j < TDB_ARRAY_LEN(vals); j++) {
        int64_t x = vals[j], k = vals[i];
        int want = c.op == TDB_OP_EQ ? x == k : c.op == TDB_OP_NE ? x != k
                 : c.op == TDB_OP_LT ? x < k : c.op == TDB_OP_LE ? x <= k
                 : c.op == TDB_OP_GT ? x > k : x >= k;
        if (tdbScanCondCompare(&c, x) != want) bad++;
      }
    }
  }
  CHECK_EQ(bad, 0);
}

int main(void) {
  TEST_RUN(testModBy);
  TEST_RUN(testCondRange);
  return tdbTestFinish();
}
