/*
** test_ikey.c — internal keys: the byte layout, encode/decode round trips,
** the order (newer versions first, user keys that are prefixes of each
** other, kinds) against a model on random keys, malformed input, and the
** seek key of "user key as of seq".
*/
#include "tensordb.c"
#include "test.h"

static void testLayout(void) {
  unsigned char buf[16];
  static const unsigned char want[] = {'k', 0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xfe, 0x01};
  static const unsigned char want0[] = {0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0x00};
  static const unsigned char wantmax[] = {'a', 'b', 0, 0, 0, 0, 0, 0, 0, 0x01};
  CHECK_EQ(tdbIkeyEncode(buf, "k", 1, 1, TDB_KIND_VALUE), 9);
  CHECK_MEM(buf, want, 9);
  CHECK_EQ(tdbIkeyEncode(buf, NULL, 0, 0, TDB_KIND_DELETE), 8);
  CHECK_MEM(buf, want0, 8);
  CHECK_EQ(tdbIkeyEncode(buf, "ab", 2, TDB_IKEY_MAX_SEQ, TDB_KIND_VALUE), 10);
  CHECK_MEM(buf, wantmax, 10);
  CHECK_EQ(tdbIkeyPackTag(1, TDB_KIND_VALUE), 0xfffffffffffffe01ull);
  CHECK_EQ(TDB_KIND_DELETE, 0); /* on-disk values */
  CHECK_EQ(TDB_KIND_VALUE, 1);
  CHECK_EQ(TDB_IKEY_TAG_SIZE, 8);
  CHECK_EQ(TDB_IKEY_MAX_SEQ, 0x00ffffffffffffffull);
}

static void testRoundTrip(void) {
  static const uint64_t seqs[] = {0, 1, 2, 255, 256, 0x123456789abcull,
                                  TDB_IKEY_MAX_SEQ - 1, TDB_IKEY_MAX_SEQ};
  unsigned char buf[64];
  uint64_t rng = 7;
  size_t i;
  int kind, r;
  for (i = 0; i < TDB_ARRAY_LEN(seqs); i++) {
    for (kind = 0; kind <= TDB_KIND_MAX; kind++) {
      TdbIkeyParsed p;
      size_t ulen;
      size_t n = tdbIkeyEncode(buf, "user\0key", 8, seqs[i], kind);
      memset(&p, 0, sizeof(p));
      CHECK_EQ(n, 16);
      CHECK_EQ(tdbIkeyDecode(buf, n, &p), TDB_OK);
      CHECK(p.user_key == buf);
      CHECK_EQ(p.user_len, 8);
      CHECK_EQ(p.seq, seqs[i]);
      CHECK_EQ(p.kind, kind);
      CHECK(tdbIkeyUserKey(buf, n, &ulen) == buf);
      CHECK_EQ(ulen, 8);
    }
  }
  for (r = 0; r < 1000; r++) {
    TdbIkeyParsed p;
    uint64_t seq = tdbTestRand(&rng) & TDB_IKEY_MAX_SEQ;
    size_t klen = (size_t)(tdbTestRand(&rng) % 40), k, n;
    unsigned char key[40];
    kind = (int)(tdbTestRand(&rng) & 1);
    memset(&p, 0, sizeof(p));
    for (k = 0; k < klen; k++) key[k] = (unsigned char)tdbTestRand(&rng);
    n = tdbIkeyEncode(buf, key, klen, seq, kind);
    CHECK_EQ(tdbIkeyDecode(buf, n, &p), TDB_OK);
    CHECK_EQ(p.seq, seq);
    CHECK_EQ(p.kind, kind);
    CHECK_EQ(p.user_len, klen);
    CHECK(klen == 0 || memcmp(p.user_key, key, klen) == 0);
  }
}

static void testMalformed(void) {
  unsigned char buf[16];
  TdbIkeyParsed p;
  size_t n, ulen = 99;
  int kind;
  p.seq = 12345;
  for (n = 0; n < TDB_IKEY_TAG_SIZE; n++) {
    unsigned char *exact = malloc(n ? n : 1); /* ASan: no read past n */
    memset(exact, 0xff, n ? n : 1);
    CHECK_EQ(tdbIkeyDecode(exact, n, &p), TDB_CORRUPT);
    CHECK_EQ(p.seq, 12345); /* untouched */
    CHECK(tdbIkeyUserKey(exact, n, &ulen) == NULL);
    CHECK_EQ(ulen, 0);
    /* The comparator never reads outside a malformed key either. */
    CHECK(tdbIkeyCompare(exact, n, "\xff\xff\xff\xff\xff\xff\xff\xff"
                         "\xff\xff\xff\xff\xff\xff\xff\xff", 16) < 0);
    CHECK(tdbIkeyCompare(exact, n, exact, n) == 0);
    free(exact);
  }
  for (kind = 2; kind < 256; kind++) {
    n = tdbIkeyEncode(buf, "x", 1, 5, TDB_KIND_VALUE);
    buf[n - 1] = (unsigned char)kind;
    CHECK_EQ(tdbIkeyDecode(buf, n, &p), TDB_CORRUPT);
  }
}

static void testOrderExamples(void) {
  unsigned char a[32], b[32];
  size_t an, bn;
  /* Newer first. */
  an = tdbIkeyEncode(a, "a", 1, 9, TDB_KIND_VALUE);
  bn = tdbIkeyEncode(b, "a", 1, 5, TDB_KIND_VALUE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  CHECK(tdbIkeyCompare(b, bn, a, an) > 0);
  CHECK(tdbIkeyCompare(a, an, a, an) == 0);
  /* A user key before its extensions, whatever the versions. */
  an = tdbIkeyEncode(a, "a", 1, 1, TDB_KIND_VALUE);
  bn = tdbIkeyEncode(b, "ab", 2, 100, TDB_KIND_VALUE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  an = tdbIkeyEncode(a, "a", 1, 100, TDB_KIND_VALUE);
  bn = tdbIkeyEncode(b, "a\0", 2, 1, TDB_KIND_VALUE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  /* A plain memcmp of whole internal keys would get this one wrong: the tag
  ** of "a"@MAX begins with 0x00, below "a\x01"'s second byte... and with
  ** 0xff bytes in the user key the other way. */
  an = tdbIkeyEncode(a, "a", 1, TDB_IKEY_MAX_SEQ, TDB_KIND_DELETE);
  bn = tdbIkeyEncode(b, "a\x01", 2, 3, TDB_KIND_VALUE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  an = tdbIkeyEncode(a, "a", 1, 0, TDB_KIND_VALUE);       /* tag ff.. */
  bn = tdbIkeyEncode(b, "a\x01", 2, 3, TDB_KIND_VALUE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  /* The empty user key first. */
  an = tdbIkeyEncode(a, NULL, 0, 0, TDB_KIND_VALUE);
  bn = tdbIkeyEncode(b, "\0", 1, TDB_IKEY_MAX_SEQ, TDB_KIND_DELETE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  /* Same version: DELETE (0) before VALUE (1). */
  an = tdbIkeyEncode(a, "k", 1, 7, TDB_KIND_DELETE);
  bn = tdbIkeyEncode(b, "k", 1, 7, TDB_KIND_VALUE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  /* Different user keys: versions do not matter. */
  an = tdbIkeyEncode(a, "b", 1, 1, TDB_KIND_VALUE);
  bn = tdbIkeyEncode(b, "c", 1, 1000, TDB_KIND_DELETE);
  CHECK(tdbIkeyCompare(a, an, b, bn) < 0);
  CHECK(tdbIkeyCompareUser("a", 1, "ab", 2) < 0);
  CHECK(tdbIkeyCompareUser("ab", 2, "a", 1) > 0);
  CHECK(tdbIkeyCompareUser("ab", 2, "ab", 2) == 0);
  CHECK(tdbIkeyCompareUser(NULL, 0, NULL, 0) == 0);
  CHECK(tdbIkeyCompareUser("\xff", 1, "\x01", 1) > 0); /* unsigned bytes */
}

/* The model order: user key (memcmp, then length), seq descending, kind
** ascending. */
typedef struct ModelKey {
  unsigned char user[24];
  size_t ulen;
  uint64_t seq;
  int kind;
} ModelKey;

static int modelCompare(const ModelKey *a, const ModelKey *b) {
  size_t n = a->ulen < b->ulen ? a->ulen : b->ulen;
  int c = n ? memcmp(a->user, b->user, n) : 0;
  if (c) return c < 0 ? -1 : 1;
  if (a->ulen != b->ulen) return a->ulen < b->ulen ? -1 : 1;
  if (a->seq != b->seq) return a->seq > b->seq ? -1 : 1;
  if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
  return 0;
}

static void randomModelKey(uint64_t *rng, ModelKey *k) {
  static const unsigned char alphabet[] = {0x00, 0x01, 'a', 0x7f, 0x80, 0xff};
  size_t i;
  uint64_t r = tdbTestRand(rng);
  /* short keys, and ones past a word or two (the compare's word loop) */
  k->ulen = (size_t)(r % 2 ? r % 5 : (r >> 1) % 21);
  for (i = 0; i < k->ulen; i++) {
    k->user[i] = alphabet[tdbTestRand(rng) % sizeof(alphabet)];
  }
  /* Small seqs (collisions) and extreme ones (0x00/0xff tag bytes). */
  switch ((r >> 8) % 4) {
  case 0: k->seq = (r >> 16) % 4; break;
  case 1: k->seq = TDB_IKEY_MAX_SEQ - (r >> 16) % 4; break;
  default: k->seq = tdbTestRand(rng) & TDB_IKEY_MAX_SEQ; break;
  }
  k->kind = (int)((r >> 12) & 1);
}

static int sign(int c) { return c < 0 ? -1 : c > 0; }

static void testOrderModel(void) {
  uint64_t rng = 2024;
  int i;
  for (i = 0; i < 200000; i++) {
    ModelKey ka, kb;
    unsigned char a[32], b[32];
    size_t an, bn;
    randomModelKey(&rng, &ka);
    if (i % 3 == 0) {
      kb = ka; /* same user key, maybe same version */
      if (tdbTestRand(&rng) & 1) kb.seq = tdbTestRand(&rng) % 4;
      kb.kind = (int)(tdbTestRand(&rng) & 1);
    } else if (i % 3 == 1) {
      /* the same user key but one byte, or a prefix or extension of it: the
      ** keys differ late (any byte of a word, or only in length) */
      size_t at;
      randomModelKey(&rng, &kb);
      memcpy(kb.user, ka.user, ka.ulen);
      if (kb.ulen < ka.ulen || tdbTestRand(&rng) % 4 == 0) kb.ulen = ka.ulen;
      at = kb.ulen ? (size_t)(tdbTestRand(&rng) % kb.ulen) : 0;
      if (kb.ulen && tdbTestRand(&rng) & 1) kb.user[at] ^= (unsigned char)(1u << (tdbTestRand(&rng) % 8));
    } else {
      randomModelKey(&rng, &kb);
    }
    an = tdbIkeyEncode(a, ka.user, ka.ulen, ka.seq, ka.kind);
    bn = tdbIkeyEncode(b, kb.user, kb.ulen, kb.seq, kb.kind);
    if (sign(tdbIkeyCompare(a, an, b, bn)) != modelCompare(&ka, &kb)) {
      CHECK(sign(tdbIkeyCompare(a, an, b, bn)) == modelCompare(&ka, &kb));
    }
    /* Antisymmetry. */
    if (sign(tdbIkeyCompare(a, an, b, bn)) != -sign(tdbIkeyCompare(b, bn, a, an))) {
      CHECK(0);
    }
  }
}

/* User keys of 0-40 bytes that differ at one random place, or by length,
** or not at all: the word-wise comparison (8 bytes at a time, the last word
** overlapping) orders them as memcmp does. */
static void testOrderLongKeys(void) {
  static const unsigned char alphabet[] = {0x00, 0x01, 'a', 0x7f, 0x80, 0xff};
  uint64_t rng = 77;
  int i;
  for (i = 0; i < 200000; i++) {
    unsigned char a[48], b[48], ea[56], eb[56];
    size_t an = (size_t)(tdbTestRand(&rng) % 41), bn = an, k, n, ean, ebn;
    int want, c;
    for (k = 0; k < an; k++) a[k] = alphabet[tdbTestRand(&rng) % sizeof alphabet];
    memcpy(b, a, an);
    switch (tdbTestRand(&rng) % 3) {
      case 0: /* one byte differs */
        if (an > 0) b[tdbTestRand(&rng) % an] = alphabet[tdbTestRand(&rng) % sizeof alphabet];
        break;
      case 1: /* shorter or longer */
        bn = (size_t)(tdbTestRand(&rng) % 41);
        for (k = an; k < bn; k++) b[k] = alphabet[tdbTestRand(&rng) % sizeof alphabet];
        break;
      default: /* equal */
        break;
    }
    n = an < bn ? an : bn;
    want = n ? sign(memcmp(a, b, n)) : 0;
    if (want == 0) want = an < bn ? -1 : an > bn;
    c = sign(tdbIkeyCompareUser(a, an, b, bn));
    if (c != want) CHECK_EQ(c, want);
    ean = tdbIkeyEncode(ea, a, an, 5, TDB_KIND_VALUE);
    ebn = tdbIkeyEncode(eb, b, bn, 5, TDB_KIND_VALUE);
    c = sign(tdbIkeyCompare(ea, ean, eb, ebn));
    if (c != want) CHECK_EQ(c, want);
  }
}

/* For a key with versions {1, 3, 5, 9} (both kinds at 5) between two
** neighbouring user keys, the seek key as of s lands exactly on the newest
** version with seq <= s, in a sorted array of all of them. */
static void testSeekKey(void) {
  enum { M = 9 };
  unsigned char keys[M][16];
  size_t lens[M];
  /* Already in order: "a"@2, "ab"@9, "ab"@5 DELETE, "ab"@5, "ab"@3, "ab"@1,
  ** "ab\0"@100, "ab\0"@0, "b"@4. */
  static const char *users[M] = {"a", "ab", "ab", "ab", "ab", "ab", "ab\0", "ab\0", "b"};
  static const size_t ulens[M] = {1, 2, 2, 2, 2, 2, 3, 3, 1};
  static const uint64_t seqs[M] = {2, 9, 5, 5, 3, 1, 100, 0, 4};
  static const int kinds[M] = {1, 1, 0, 1, 1, 1, 1, 1, 1};
  unsigned char seek[16];
  uint64_t s;
  int i;
  for (i = 0; i < M; i++) {
    lens[i] = tdbIkeyEncode(keys[i], users[i], ulens[i], seqs[i], kinds[i]);
  }
  for (i = 0; i + 1 < M; i++) {
    CHECK(tdbIkeyCompare(keys[i], lens[i], keys[i + 1], lens[i + 1]) < 0);
  }
  for (s = 0; s <= 12; s++) {
    size_t n = tdbIkeySeekKey(seek, "ab", 2, s);
    int first = M, want;
    CHECK_EQ(n, 10);
    for (i = 0; i < M; i++) {
      if (tdbIkeyCompare(keys[i], lens[i], seek, n) >= 0) {
        first = i;
        break;
      }
    }
    /* newest version of "ab" with seq <= s, else the next user key */
    if (s >= 9) want = 1;
    else if (s >= 5) want = 2;
    else if (s >= 3) want = 4;
    else if (s >= 1) want = 5;
    else want = 6;
    CHECK_EQ(first, want);
  }
  /* Above the maximum: clamped, i.e. the newest of all. */
  {
    size_t n = tdbIkeySeekKey(seek, "ab", 2, UINT64_MAX);
    unsigned char max[16];
    size_t mn = tdbIkeyEncode(max, "ab", 2, TDB_IKEY_MAX_SEQ, TDB_KIND_DELETE);
    CHECK_EQ(n, mn);
    CHECK_MEM(seek, max, n);
    CHECK(tdbIkeyCompare(seek, n, keys[1], lens[1]) < 0);
    CHECK(tdbIkeyCompare(seek, n, keys[0], lens[0]) > 0);
  }
}

int main(void) {
  TEST_RUN(testLayout);
  TEST_RUN(testRoundTrip);
  TEST_RUN(testMalformed);
  TEST_RUN(testOrderExamples);
  TEST_RUN(testOrderModel);
  TEST_RUN(testOrderLongKeys);
  TEST_RUN(testSeekKey);
  return tdbTestFinish();
}
