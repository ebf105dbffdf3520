/*
** test_crc32c.c — CRC-32C: published vectors (RFC 3720 appendix B.4), the
** slice-by-8 tables against their recurrence, software == bit-by-bit
** reference == hardware path on random data at every alignment, extend ==
** one-shot at every split, and the mask round trip.
*/
#include "tensordb.c"
#include "test.h"

/* The definition: one bit at a time, reflected polynomial 0x82F63B78. */
static uint32_t refCrc32c(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}

static void testKnownVectors(void) {
  unsigned char buf[48];
  int i;
  CHECK_EQ(tdbCrc32c("", 0), 0x00000000u);
  CHECK_EQ(tdbCrc32c("123456789", 9), 0xE3069283u);
  CHECK_EQ(tdbCrc32cExtendSw(0, "123456789", 9), 0xE3069283u);
  CHECK_EQ(tdbCrc32c("a", 1), 0xC1D04330u);
  memset(buf, 0, 32);
  CHECK_EQ(tdbCrc32c(buf, 32), 0x8A9136AAu);
  CHECK_EQ(tdbCrc32cExtendSw(0, buf, 32), 0x8A9136AAu);
  memset(buf, 0xFF, 32);
  CHECK_EQ(tdbCrc32c(buf, 32), 0x62A8AB43u);
  for (i = 0; i < 32; i++) buf[i] = (unsigned char)i;
  CHECK_EQ(tdbCrc32c(buf, 32), 0x46DD794Eu);
  for (i = 0; i < 32; i++) buf[i] = (unsigned char)(31 - i);
  CHECK_EQ(tdbCrc32c(buf, 32), 0x113FDB5Cu);
  /* An iSCSI SCSI Read (10) command PDU. */
  {
    static const unsigned char pdu[48] = {
      0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    CHECK_EQ(tdbCrc32c(pdu, sizeof pdu), 0xD9963A56u);
    CHECK_EQ(tdbCrc32cExtendSw(0, pdu, sizeof pdu), 0xD9963A56u);
  }
}

/* The constant tables are exactly what their recurrence defines. */
static void testTables(void) {
  uint32_t t[8][256];
  int k, n, bad = 0;
  for (n = 0; n < 256; n++) {
    uint32_t c = (uint32_t)n;
    int b;
    for (b = 0; b < 8; b++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    t[0][n] = c;
  }
  for (k = 1; k < 8; k++) {
    for (n = 0; n < 256; n++) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFF];
  }
  for (k = 0; k < 8; k++) {
    for (n = 0; n < 256; n++) {
      if (t[k][n] != kTdbCrc32cTable[k][n]) bad++;
    }
  }
  CHECK_EQ(bad, 0);
}

/* Software, hardware (when present) and the reference agree on random data,
** every length 0..300 and every start alignment 0..7. */
static void testRandomAgainstReference(void) {
  unsigned char buf[320];
  uint64_t seed = 42;
  size_t i, len, off;
  int bad_sw = 0, bad_dispatch = 0;
  for (i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)tdbTestRand(&seed);
  for (off = 0; off < 8; off++) {
    for (len = 0; len + off <= 308; len++) {
      uint32_t want = refCrc32c(buf + off, len);
      if (tdbCrc32cExtendSw(0, buf + off, len) != want) bad_sw++;
      if (tdbCrc32c(buf + off, len) != want) bad_dispatch++;
    }
  }
  CHECK_EQ(bad_sw, 0);
  CHECK_EQ(bad_dispatch, 0);
  /* Big buffer: exercises the 8-byte loops for many iterations. */
  {
    size_t big = 1 << 16;
    unsigned char *p = malloc(big);
    CHECK(p != NULL);
    if (p) {
      for (i = 0; i < big; i++) p[i] = (unsigned char)tdbTestRand(&seed);
      CHECK_EQ(tdbCrc32cExtendSw(0, p, big), refCrc32c(p, big));
      CHECK_EQ(tdbCrc32c(p, big), refCrc32c(p, big));
      free(p);
    }
  }
  CHECK(tdbCrc32cHasHw() == 0 || tdbCrc32cHasHw() == 1);
}

static void testExtendEqualsOneShot(void) {
  unsigned char buf[100];
  uint64_t seed = 7;
  size_t i, split;
  int bad = 0, bad_sw = 0;
  for (i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)tdbTestRand(&seed);
  for (split = 0; split <= sizeof buf; split++) {
    uint32_t whole = tdbCrc32c(buf, sizeof buf);
    uint32_t a = tdbCrc32c(buf, split);
    if (tdbCrc32cExtend(a, buf + split, sizeof buf - split) != whole) bad++;
    if (tdbCrc32cExtendSw(tdbCrc32cExtendSw(0, buf, split), buf + split,
                          sizeof buf - split) != whole) {
      bad_sw++;
    }
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(bad_sw, 0);
  /* Three pieces. */
  CHECK_EQ(tdbCrc32cExtend(tdbCrc32cExtend(tdbCrc32c("123", 3), "456", 3), "789", 3),
           0xE3069283u);
}

static void testMask(void) {
  uint64_t seed = 99;
  int i, bad = 0, same = 0;
  uint32_t fixed[] = {0, 1, 0xFFFFFFFFu, 0x80000000u, 0xE3069283u};
  for (i = 0; i < (int)TDB_ARRAY_LEN(fixed); i++) {
    CHECK_EQ(tdbCrc32cUnmask(tdbCrc32cMask(fixed[i])), fixed[i]);
    CHECK(tdbCrc32cMask(fixed[i]) != fixed[i]);
  }
  for (i = 0; i < 100000; i++) {
    uint32_t c = (uint32_t)tdbTestRand(&seed);
    if (tdbCrc32cUnmask(tdbCrc32cMask(c)) != c) bad++;
    if (tdbCrc32cMask(c) == c) same++;
  }
  CHECK_EQ(bad, 0);
  CHECK(same < 5);
  /* Masking twice is not the identity (callers must mask exactly once). */
  CHECK(tdbCrc32cMask(tdbCrc32cMask(0x12345678u)) != 0x12345678u);
}

int main(void) {
  TEST_RUN(testKnownVectors);
  TEST_RUN(testTables);
  TEST_RUN(testRandomAgainstReference);
  TEST_RUN(testExtendEqualsOneShot);
  TEST_RUN(testMask);
  return tdbTestFinish();
}
