/*
** test_coding.c — integer encodings: exact byte layouts, big-endian order
** == numeric order, varint round trips at every 7-bit boundary, truncated
** and malformed varints rejected without reading past the end (inputs live
** in exactly-sized heap blocks so ASan catches any overread), zigzag, and
** seeded random round trips.
*/
#include "tensordb.c"
#include "test.h"

static void testFixedLayout(void) {
  unsigned char b[8];
  static const unsigned char le32[4] = {0x78, 0x56, 0x34, 0x12};
  static const unsigned char le64[8] = {0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01};
  static const unsigned char be64[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
  tdbPutFixed32(b, 0x12345678u);
  CHECK_MEM(b, le32, 4);
  CHECK_EQ(tdbGetFixed32(b), 0x12345678u);
  tdbPutFixed64(b, 0x0123456789ABCDEFull);
  CHECK_MEM(b, le64, 8);
  CHECK_EQ(tdbGetFixed64(b), 0x0123456789ABCDEFull);
  tdbPutFixed64BE(b, 0x0123456789ABCDEFull);
  CHECK_MEM(b, be64, 8);
  CHECK_EQ(tdbGetFixed64BE(b), 0x0123456789ABCDEFull);
  tdbPutFixed32(b, 0xFFFFFFFFu);
  CHECK_EQ(tdbGetFixed32(b), 0xFFFFFFFFu);
  tdbPutFixed64(b, UINT64_MAX);
  CHECK_EQ(tdbGetFixed64(b), UINT64_MAX);
  tdbPutFixed64BE(b, 0);
  CHECK_EQ(tdbGetFixed64BE(b), 0);
  /* Unaligned access. */
  {
    unsigned char u[16];
    tdbPutFixed64(u + 3, 0x1122334455667788ull);
    CHECK_EQ(tdbGetFixed64(u + 3), 0x1122334455667788ull);
    tdbPutFixed32(u + 1, 0xA1B2C3D4u);
    CHECK_EQ(tdbGetFixed32(u + 1), 0xA1B2C3D4u);
  }
}

/* memcmp order of BE encodings == numeric order; of ~seq: newest first. */
static void testBigEndianOrder(void) {
  uint64_t seed = 1;
  unsigned char a[8], b[8];
  int i, bad = 0, bad_inv = 0;
  for (i = 0; i < 10000; i++) {
    uint64_t x = tdbTestRand(&seed) >> (tdbTestRand(&seed) % 64);
    uint64_t y = tdbTestRand(&seed) >> (tdbTestRand(&seed) % 64);
    int c;
    tdbPutFixed64BE(a, x);
    tdbPutFixed64BE(b, y);
    c = memcmp(a, b, 8);
    if ((x < y) != (c < 0) || (x == y) != (c == 0)) bad++;
    tdbPutFixed64BE(a, ~x);
    tdbPutFixed64BE(b, ~y);
    c = memcmp(a, b, 8);
    if (x > y && !(c < 0)) bad_inv++; /* larger seq sorts first */
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(bad_inv, 0);
}

/* Decode from an exactly-sized heap copy of src[0..n). */
static size_t decode64Exact(const unsigned char *src, size_t n, uint64_t *out) {
  unsigned char *p = malloc(n ? n : 1);
  size_t r;
  if (!p) return 0;
  memcpy(p, src, n);
  r = tdbGetVarint64(p, p + n, out);
  free(p);
  return r;
}

static size_t decode32Exact(const unsigned char *src, size_t n, uint32_t *out) {
  unsigned char *p = malloc(n ? n : 1);
  size_t r;
  if (!p) return 0;
  memcpy(p, src, n);
  r = tdbGetVarint32(p, p + n, out);
  free(p);
  return r;
}

static void testVarintBoundaries(void) {
  unsigned char buf[TDB_VARINT64_MAX];
  int bits;
  static const unsigned char v300[2] = {0xAC, 0x02};
  CHECK_EQ(tdbPutVarint32(buf, 300), 2);
  CHECK_MEM(buf, v300, 2);
  CHECK_EQ(tdbPutVarint32(buf, 0), 1);
  CHECK_EQ(buf[0], 0);
  for (bits = 0; bits <= 64; bits++) {
    /* 2^bits - 1, 2^bits, 2^bits + 1 (within range) */
    uint64_t base = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits);
    uint64_t vals[3];
    int j;
    vals[0] = base - 1;
    vals[1] = base;
    vals[2] = base + 1;
    for (j = 0; j < 3; j++) {
      uint64_t v = vals[j], got = 12345;
      size_t len = tdbPutVarint64(buf, v), expect = 1, k;
      uint64_t t = v;
      while (t >= 128) { t >>= 7; expect++; }
      CHECK_EQ(len, expect);
      CHECK_EQ(tdbVarintLength(v), len);
      CHECK_EQ(decode64Exact(buf, len, &got), len);
      CHECK_EQ(got, v);
      /* Every truncation is rejected and leaves *out alone. */
      for (k = 0; k < len; k++) {
        got = 777;
        CHECK_EQ(decode64Exact(buf, k, &got), 0);
        CHECK_EQ(got, 777);
      }
      if (v <= UINT32_MAX) {
        uint32_t g32 = 0;
        CHECK_EQ(tdbPutVarint32(buf, (uint32_t)v), len);
        CHECK_EQ(decode32Exact(buf, len, &g32), len);
        CHECK_EQ(g32, v);
      } else {
        uint32_t g32 = 555;
        CHECK_EQ(decode32Exact(buf, len, &g32), 0); /* too big for 32 bits */
        CHECK_EQ(g32, 555);
      }
    }
  }
  CHECK_EQ(tdbPutVarint32(buf, UINT32_MAX), TDB_VARINT32_MAX);
  CHECK_EQ(tdbPutVarint64(buf, UINT64_MAX), TDB_VARINT64_MAX);
}

static void testVarintMalformed(void) {
  uint32_t v32 = 9;
  uint64_t v64 = 9;
  /* varint32: 5th byte may carry 4 bits only. */
  static const unsigned char max32[5] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  static const unsigned char over32[5] = {0xFF, 0xFF, 0xFF, 0xFF, 0x10};
  static const unsigned char long32[6] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  static const unsigned char pad32[5] = {0x81, 0x80, 0x80, 0x80, 0x00};
  /* varint64: 10th byte may carry 1 bit only. */
  static const unsigned char max64[10] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                          0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  static const unsigned char over64[10] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                           0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  static const unsigned char long64[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                           0x80, 0x80, 0x80, 0x80, 0x00};
  static const unsigned char cont[3] = {0x80, 0x80, 0x80};
  CHECK_EQ(decode32Exact(max32, 5, &v32), 5);
  CHECK_EQ(v32, UINT32_MAX);
  v32 = 9;
  CHECK_EQ(decode32Exact(over32, 5, &v32), 0);
  CHECK_EQ(decode32Exact(long32, 6, &v32), 0);
  CHECK_EQ(v32, 9);
  /* Non-minimal encodings are accepted (decoders are not canonicalisers). */
  CHECK_EQ(decode32Exact(pad32, 5, &v32), 5);
  CHECK_EQ(v32, 1);
  CHECK_EQ(decode64Exact(max64, 10, &v64), 10);
  CHECK_EQ(v64, UINT64_MAX);
  v64 = 9;
  CHECK_EQ(decode64Exact(over64, 10, &v64), 0);
  CHECK_EQ(decode64Exact(long64, 11, &v64), 0);
  CHECK_EQ(decode64Exact(cont, 3, &v64), 0);
  CHECK_EQ(v64, 9);
  /* Empty input. */
  CHECK_EQ(tdbGetVarint64(cont, cont, &v64), 0);
  CHECK_EQ(tdbGetVarint32(cont, cont, &v32), 0);
  /* Trailing bytes after a complete varint are not consumed. */
  {
    static const unsigned char two[3] = {0x05, 0x06, 0x07};
    CHECK_EQ(decode64Exact(two, 3, &v64), 1);
    CHECK_EQ(v64, 5);
  }
}

static void testZigzag(void) {
  uint64_t seed = 5;
  int i, bad = 0;
  CHECK_EQ(tdbZigzagEncode64(0), 0);
  CHECK_EQ(tdbZigzagEncode64(-1), 1);
  CHECK_EQ(tdbZigzagEncode64(1), 2);
  CHECK_EQ(tdbZigzagEncode64(-2), 3);
  CHECK_EQ(tdbZigzagEncode64(INT64_MAX), UINT64_MAX - 1);
  CHECK_EQ(tdbZigzagEncode64(INT64_MIN), UINT64_MAX);
  CHECK_EQ(tdbZigzagDecode64(UINT64_MAX), INT64_MIN);
  CHECK_EQ(tdbZigzagDecode64(UINT64_MAX - 1), INT64_MAX);
  CHECK_EQ(tdbZigzagDecode64(3), -2);
  for (i = 0; i < 100000; i++) {
    int64_t v = (int64_t)(tdbTestRand(&seed) >> (tdbTestRand(&seed) % 64));
    if (tdbTestRand(&seed) & 1) v = -v - 1;
    if (tdbZigzagDecode64(tdbZigzagEncode64(v)) != v) bad++;
  }
  CHECK_EQ(bad, 0);
  /* Small magnitudes stay short. */
  CHECK_EQ(tdbVarintLength(tdbZigzagEncode64(-64)), 1);
  CHECK_EQ(tdbVarintLength(tdbZigzagEncode64(-65)), 2);
}

/* Many random varints back to back in one exactly-sized buffer. */
static void testRandomStream(void) {
  enum { N = 20000 };
  uint64_t seed = 20240601;
  uint64_t *vals = malloc(N * sizeof *vals);
  unsigned char *buf = malloc((size_t)N * TDB_VARINT64_MAX), *copy;
  size_t len = 0, pos = 0;
  int i, bad = 0;
  CHECK(vals && buf);
  if (!vals || !buf) {
    free(vals);
    free(buf);
    return;
  }
  for (i = 0; i < N; i++) {
    uint64_t v = tdbTestRand(&seed) >> (tdbTestRand(&seed) % 64);
    if (i % 2) {
      vals[i] = (uint32_t)v;
      len += tdbPutVarint32(buf + len, (uint32_t)v);
    } else {
      vals[i] = v;
      len += tdbPutVarint64(buf + len, v);
    }
  }
  copy = malloc(len);
  CHECK(copy != NULL);
  if (copy) {
    memcpy(copy, buf, len);
    for (i = 0; i < N; i++) {
      size_t r;
      if (i % 2) {
        uint32_t v32 = 0;
        r = tdbGetVarint32(copy + pos, copy + len, &v32);
        if (r == 0 || v32 != vals[i]) bad++;
      } else {
        uint64_t v64 = 0;
        r = tdbGetVarint64(copy + pos, copy + len, &v64);
        if (r == 0 || v64 != vals[i]) bad++;
      }
      if (r == 0) break;
      pos += r;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(pos, len);
    free(copy);
  }
  free(vals);
  free(buf);
}

int main(void) {
  TEST_RUN(testFixedLayout);
  TEST_RUN(testBigEndianOrder);
  TEST_RUN(testVarintBoundaries);
  TEST_RUN(testVarintMalformed);
  TEST_RUN(testZigzag);
  TEST_RUN(testRandomStream);
  return tdbTestFinish();
}
