/*
** test_keycodec.c — the order-preserving key encoding (src/keycodec.h):
** exact byte layouts; memcmp order of encodings == tdbValueCompare order
** for seeded random pairs and every pair of edge values (INT64_MIN/MAX,
** -0.0, ±Infinity, NaNs, empty strings, 0x00/0xFF bytes, prefixes), NULL
** first; composite keys compare component-wise; decode(encode(v)) == v;
** prefix-freeness; every truncation and random garbage (in exactly-sized
** heap blocks, so ASan catches an overread) decodes to an error or to a
** value that re-encodes to the same bytes; misuse and out-of-memory paths.
*/
#include "tensordb.c"
#include "test.h"

#include <float.h>
#include <math.h>

static TdbMem kcMem;

/* ---- helpers -------------------------------------------------------------- */

static double kcRealFromBits(uint64_t bits) {
  double r;
  memcpy(&r, &bits, sizeof r);
  return r;
}

/* Bytes drawn from a small alphabet rich in 0x00 and 0xFF, so equal
** strings, prefixes and escape sequences are frequent. */
static char kcByte(uint64_t *seed) {
  static const unsigned char alphabet[] = {0x00, 0x00, 0x01, 0x61, 0x62, 0xFE, 0xFF, 0xFF};
  return (char)alphabet[tdbTestRand(seed) % sizeof alphabet];
}

/* A string value (borrowed: points at `buf`, which holds cap bytes). */
static void kcSetBytes(TdbValue *v, int type, char *buf, size_t n) {
  tdbValueSetNull(v);
  v->type = (uint8_t)type;
  v->n = (uint32_t)n;
  v->u.z = buf;
}

static const int64_t kcInts[] = {INT64_MIN, INT64_MIN + 1, -4294967296LL, -256, -255,
                                 -1, 0, 1, 127, 128, 255, 256, 4294967296LL,
                                 INT64_MAX - 1, INT64_MAX};

static uint64_t kcRealSpecialBits(int i) {
  static const uint64_t bits[] = {
      0x7FF8000000000000ull, /* NaN */
      0xFFF8000000000000ull, /* -NaN */
      0x7FF0000000000001ull, /* signalling NaN payload */
      0xFFFFFFFFFFFFFFFFull, /* -NaN, all payload bits */
      0x7FF0000000000000ull, /* +Inf */
      0xFFF0000000000000ull, /* -Inf */
      0x0000000000000000ull, /* +0.0 */
      0x8000000000000000ull, /* -0.0 */
      0x0000000000000001ull, /* smallest denormal */
      0x8000000000000001ull,
      0x0010000000000000ull, /* DBL_MIN */
      0x8010000000000000ull,
      0x3FF0000000000000ull, /* 1.0 */
      0xBFF0000000000000ull, /* -1.0 */
      0x7FEFFFFFFFFFFFFFull, /* DBL_MAX */
      0xFFEFFFFFFFFFFFFFull,
      0x3FF0000000000001ull, /* 1.0 + ulp */
      0xBFF0000000000001ull,
  };
  return bits[i];
}
#define KC_NREAL_SPECIAL 18

/* A random value of `type`; about one in four is an edge value. `pool`
** (KC_POOL bytes) backs TEXT/BLOB bytes. */
#define KC_POOL 24
static void kcRandomValue(uint64_t *seed, int type, TdbValue *v, char *pool) {
  uint64_t r = tdbTestRand(seed);
  int edge = (r & 3) == 0;
  r >>= 2;
  switch (type) {
    case TDB_TYPE_NULL:
      tdbValueSetNull(v);
      break;
    case TDB_TYPE_BOOLEAN:
      tdbValueSetBool(v, (int)(r & 1));
      break;
    case TDB_TYPE_INTEGER:
    case TDB_TYPE_TIMESTAMP: {
      int64_t i;
      if (edge) {
        i = kcInts[r % TDB_ARRAY_LEN(kcInts)];
      } else {
        uint64_t u = tdbTestRand(seed) >> (tdbTestRand(seed) % 64);
        i = (r & 1) ? (int64_t)(u >> 1) : -(int64_t)(u >> 1) - 1;
        if ((r & 6) == 0) i %= 8; /* small values collide often */
      }
      if (type == TDB_TYPE_INTEGER) tdbValueSetInt(v, i);
      else tdbValueSetTimestamp(v, i);
      break;
    }
    case TDB_TYPE_REAL: {
      uint64_t bits;
      if (edge) bits = kcRealSpecialBits((int)(r % KC_NREAL_SPECIAL));
      else if (r & 1) bits = tdbTestRand(seed);  /* any bits, NaNs included */
      else {
        double d = (double)(int64_t)(tdbTestRand(seed) % 2001) / 8.0 - 125.0;
        memcpy(&bits, &d, sizeof bits);
      }
      tdbValueSetReal(v, kcRealFromBits(bits));
      break;
    }
    default: { /* TEXT, BLOB */
      size_t n = edge ? 0 : (size_t)(r % (KC_POOL + 1)), i;
      for (i = 0; i < n; i++) pool[i] = kcByte(seed);
      kcSetBytes(v, type, pool, n);
      break;
    }
  }
}

/* b becomes a random relative of a (same type): a prefix, an extension or
** a one-byte change for strings; a neighbour for numbers; or a fresh value. */
static void kcRelated(uint64_t *seed, const TdbValue *a, TdbValue *b, char *pool) {
  uint64_t r = tdbTestRand(seed);
  if (TDB_TYPE_HAS_BYTES(a->type) && (r & 3) != 0) {
    size_t n = a->n;
    if (n) memcpy(pool, a->u.z, n);
    switch ((r >> 2) % 3) {
      case 0:
        n = n ? (size_t)(tdbTestRand(seed) % n) : 0;
        break;
      case 1:
        while (n < KC_POOL && (tdbTestRand(seed) & 1)) pool[n++] = kcByte(seed);
        if (n < KC_POOL) pool[n++] = kcByte(seed);
        break;
      default:
        if (n) pool[tdbTestRand(seed) % n] = kcByte(seed);
        break;
    }
    kcSetBytes(b, a->type, pool, n);
    return;
  }
  if ((a->type == TDB_TYPE_INTEGER || a->type == TDB_TYPE_TIMESTAMP) && (r & 3) != 0) {
    int64_t d = (int64_t)((r >> 2) % 3) - 1, i = a->u.i;
    if (!((d > 0 && i == INT64_MAX) || (d < 0 && i == INT64_MIN))) i += d;
    *b = *a;
    b->u.i = i;
    return;
  }
  kcRandomValue(seed, a->type, b, pool);
}

/* Encode v into a fresh TdbStr; returns the rc (the str is always init). */
static int kcEncode(TdbStr *s, const TdbValue *v) {
  tdbStrInit(s, &kcMem);
  return tdbKeyEncodeValue(s, v);
}

/* The sign of memcmp order, shorter-is-smaller on a common prefix. */
static int kcMemOrder(const TdbStr *a, const TdbStr *b) {
  size_t n = TDB_MIN(a->n, b->n);
  int c = n ? memcmp(a->z, b->z, n) : 0;
  if (c) return c < 0 ? -1 : 1;
  return a->n < b->n ? -1 : a->n > b->n;
}

/* SQL order with NULL first, as a sign. */
static int kcValueOrder(const TdbValue *a, const TdbValue *b) {
  TdbErr err;
  int cmp = 0, rc;
  if (TDB_VALUE_IS_NULL(a) || TDB_VALUE_IS_NULL(b)) {
    return TDB_VALUE_IS_NULL(a) ? (TDB_VALUE_IS_NULL(b) ? 0 : -1) : 1;
  }
  tdbErrInit(&err, &kcMem);
  rc = tdbValueCompare(&err, a, b, &cmp);
  tdbErrClear(&err);
  CHECK_EQ(rc, TDB_OK);
  return cmp < 0 ? -1 : cmp > 0;
}

/* decode(encode(v)) is v: same type and bytes, numerically equal (REAL
** -0.0 comes back as +0.0, any NaN as NaN). */
static int kcSameValue(const TdbValue *a, const TdbValue *b) {
  if (a->type != b->type) return 0;
  switch (a->type) {
    case TDB_TYPE_NULL: return 1;
    case TDB_TYPE_REAL:
      if (isnan(a->u.r)) return isnan(b->u.r);
      if (a->u.r != b->u.r) return 0;
      return b->u.r != 0.0 || !signbit(b->u.r);
    case TDB_TYPE_TEXT:
    case TDB_TYPE_BLOB:
      return a->n == b->n && (a->n == 0 || memcmp(a->u.z, b->u.z, a->n) == 0);
    default: return a->u.i == b->u.i;
  }
}

static const int kcKeyTypes[] = {TDB_TYPE_BOOLEAN, TDB_TYPE_INTEGER, TDB_TYPE_REAL,
                                 TDB_TYPE_TIMESTAMP, TDB_TYPE_TEXT, TDB_TYPE_BLOB};

/* ---- tests ---------------------------------------------------------------- */

static void kcCheckBytes(const TdbValue *v, const unsigned char *want, size_t n) {
  TdbStr s;
  CHECK_EQ(kcEncode(&s, v), TDB_OK);
  CHECK_EQ(s.n, n);
  if (s.n == n) CHECK_MEM(s.z, want, n);
  tdbStrClear(&s);
}

static void testKeyLayout(void) {
  TdbValue v;
  char text[] = {'a', 0, 'b'};
  char ff[] = {(char)0xFF, 0};
  {
    static const unsigned char w[] = {0x05};
    tdbValueSetNull(&v);
    kcCheckBytes(&v, w, sizeof w);
  }
  {
    static const unsigned char f[] = {0x10}, t[] = {0x11};
    tdbValueSetBool(&v, 0);
    kcCheckBytes(&v, f, 1);
    tdbValueSetBool(&v, 1);
    kcCheckBytes(&v, t, 1);
  }
  {
    static const unsigned char one[] = {0x20, 0x80, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char m1[] = {0x20, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const unsigned char mn[] = {0x20, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char mx[] = {0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const unsigned char ts[] = {0x40, 0x80, 0, 0, 0, 0, 0, 0, 0};
    tdbValueSetInt(&v, 1);
    kcCheckBytes(&v, one, 9);
    tdbValueSetInt(&v, -1);
    kcCheckBytes(&v, m1, 9);
    tdbValueSetInt(&v, INT64_MIN);
    kcCheckBytes(&v, mn, 9);
    tdbValueSetInt(&v, INT64_MAX);
    kcCheckBytes(&v, mx, 9);
    tdbValueSetTimestamp(&v, 0);
    kcCheckBytes(&v, ts, 9);
  }
  {
    static const unsigned char zero[] = {0x30, 0x80, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char one[] = {0x30, 0xBF, 0xF0, 0, 0, 0, 0, 0, 0};
    static const unsigned char m1[] = {0x30, 0x40, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const unsigned char nan[] = {0x30, 0xFF, 0xF8, 0, 0, 0, 0, 0, 0};
    static const unsigned char inf[] = {0x30, 0xFF, 0xF0, 0, 0, 0, 0, 0, 0};
    tdbValueSetReal(&v, 0.0);
    kcCheckBytes(&v, zero, 9);
    tdbValueSetReal(&v, -0.0);
    kcCheckBytes(&v, zero, 9);          /* -0.0 is written as 0.0 */
    tdbValueSetReal(&v, 1.0);
    kcCheckBytes(&v, one, 9);
    tdbValueSetReal(&v, -1.0);
    kcCheckBytes(&v, m1, 9);
    tdbValueSetReal(&v, kcRealFromBits(0xFFF8000000000123ull));
    kcCheckBytes(&v, nan, 9);           /* every NaN is the canonical one */
    tdbValueSetReal(&v, INFINITY);
    kcCheckBytes(&v, inf, 9);
  }
  {
    static const unsigned char w[] = {0x50, 'a', 0x00, 0xFF, 'b', 0x00, 0x00};
    static const unsigned char e[] = {0x50, 0x00, 0x00};
    static const unsigned char b[] = {0x60, 0xFF, 0x00, 0xFF, 0x00, 0x00};
    kcSetBytes(&v, TDB_TYPE_TEXT, text, 3);
    kcCheckBytes(&v, w, sizeof w);
    kcSetBytes(&v, TDB_TYPE_TEXT, text, 0);
    kcCheckBytes(&v, e, sizeof e);
    kcSetBytes(&v, TDB_TYPE_BLOB, ff, 2);
    kcCheckBytes(&v, b, sizeof b);
  }
}

/* Fixed-width helpers: layouts, order, truncation. */
static void testKeyFixed(void) {
  TdbStr s;
  unsigned char b[8];
  uint32_t u;
  int64_t i;
  uint64_t seed = 7;
  int k, bad = 0;
  static const unsigned char id[] = {0x12, 0x34, 0x56, 0x78};
  static const unsigned char zero[] = {0x80, 0, 0, 0, 0, 0, 0, 0};
  tdbStrInit(&s, &kcMem);
  CHECK_EQ(tdbKeyEncodeU32BE(&s, 0x12345678u), TDB_OK);
  CHECK_EQ(tdbKeyEncodeI64BE(&s, 0), TDB_OK);
  CHECK_EQ(s.n, 12);
  CHECK_MEM(s.z, id, 4);
  CHECK_MEM(s.z + 4, zero, 8);
  CHECK_EQ(tdbKeyDecodeU32BE((unsigned char *)s.z, (unsigned char *)s.z + 4, &u), TDB_OK);
  CHECK_EQ(u, 0x12345678u);
  CHECK_EQ(tdbKeyDecodeI64BE((unsigned char *)s.z + 4, (unsigned char *)s.z + 12, &i), TDB_OK);
  CHECK_EQ(i, 0);
  CHECK_EQ(tdbKeyDecodeU32BE((unsigned char *)s.z, (unsigned char *)s.z + 3, &u), TDB_CORRUPT);
  CHECK_EQ(tdbKeyDecodeI64BE((unsigned char *)s.z + 4, (unsigned char *)s.z + 11, &i),
           TDB_CORRUPT);
  tdbStrClear(&s);
  for (k = 0; k < (int)TDB_ARRAY_LEN(kcInts); k++) {
    tdbKeyPutI64BE(b, kcInts[k]);
    if (tdbKeyGetI64BE(b) != kcInts[k]) bad++;
  }
  for (k = 0; k < 20000; k++) {
    unsigned char x[8], y[8];
    int64_t a = (int64_t)(tdbTestRand(&seed) >> (tdbTestRand(&seed) % 64)) *
                ((tdbTestRand(&seed) & 1) ? -1 : 1);
    int64_t c = k % 3 ? (int64_t)tdbTestRand(&seed) : a + (k & 1);
    int m;
    uint32_t ua = (uint32_t)tdbTestRand(&seed), uc = (uint32_t)tdbTestRand(&seed);
    tdbKeyPutI64BE(x, a);
    tdbKeyPutI64BE(y, c);
    m = memcmp(x, y, 8);
    if ((m < 0) != (a < c) || (m == 0) != (a == c)) bad++;
    if (tdbKeyGetI64BE(x) != a) bad++;
    tdbKeyPutU32BE(x, ua);
    tdbKeyPutU32BE(y, uc);
    m = memcmp(x, y, 4);
    if ((m < 0) != (ua < uc) || tdbKeyGetU32BE(x) != ua) bad++;
  }
  CHECK_EQ(bad, 0);
}

/* memcmp order == SQL order for random same-type pairs (and NULL first);
** equal values encode identically. */
static void testKeyOrderRandom(void) {
  uint64_t seed = 42;
  int t, k, bad = 0, equal = 0, total = 0;
  char pa[KC_POOL], pb[KC_POOL];
  for (t = 0; t < (int)TDB_ARRAY_LEN(kcKeyTypes); t++) {
    for (k = 0; k < 20000; k++) {
      TdbValue a, b;
      TdbStr ea, eb;
      int want, got;
      kcRandomValue(&seed, kcKeyTypes[t], &a, pa);
      kcRelated(&seed, &a, &b, pb);
      if (k % 50 == 0) tdbValueSetNull(k % 100 ? &a : &b);
      CHECK_EQ(kcEncode(&ea, &a), TDB_OK);
      CHECK_EQ(kcEncode(&eb, &b), TDB_OK);
      want = kcValueOrder(&a, &b);
      got = kcMemOrder(&ea, &eb);
      if (want != got) {
        if (bad < 5) {
          printf("order mismatch type %d: want %d got %d\n", kcKeyTypes[t], want, got);
        }
        bad++;
      }
      equal += want == 0;
      total++;
      tdbStrClear(&ea);
      tdbStrClear(&eb);
    }
  }
  CHECK_EQ(bad, 0);
  CHECK(equal > 1000); /* the generator does produce ties */
  CHECK_EQ(total, 120000);
}

/* Every pair of edge values of each type. */
static void testKeyOrderEdges(void) {
  TdbValue vals[64];
  char bytes[16][4];
  int nv, t, i, j, bad = 0;
  static const struct { const char *z; size_t n; } strs[] = {
      {"", 0}, {"\0", 1}, {"\0\0", 2}, {"\0\xFF", 2}, {"\x01", 1}, {"a", 1},
      {"a\0", 2}, {"a\0a", 3}, {"a\x01", 2}, {"ab", 2}, {"\xFE", 1}, {"\xFF", 1},
      {"\xFF\0", 2}, {"\xFF\xFF", 2}, {"\xFF\xFF\xFF", 3}};
  for (t = 0; t < (int)TDB_ARRAY_LEN(kcKeyTypes); t++) {
    int type = kcKeyTypes[t];
    nv = 0;
    tdbValueSetNull(&vals[nv++]);
    if (type == TDB_TYPE_BOOLEAN) {
      tdbValueSetBool(&vals[nv++], 0);
      tdbValueSetBool(&vals[nv++], 1);
    } else if (type == TDB_TYPE_INTEGER || type == TDB_TYPE_TIMESTAMP) {
      for (i = 0; i < (int)TDB_ARRAY_LEN(kcInts); i++) {
        if (type == TDB_TYPE_INTEGER) tdbValueSetInt(&vals[nv++], kcInts[i]);
        else tdbValueSetTimestamp(&vals[nv++], kcInts[i]);
      }
    } else if (type == TDB_TYPE_REAL) {
      for (i = 0; i < KC_NREAL_SPECIAL; i++) {
        tdbValueSetReal(&vals[nv++], kcRealFromBits(kcRealSpecialBits(i)));
      }
      tdbValueSetReal(&vals[nv++], 1e300);
      tdbValueSetReal(&vals[nv++], -1e-300);
    } else {
      for (i = 0; i < (int)TDB_ARRAY_LEN(strs); i++) {
        memcpy(bytes[i], strs[i].z, strs[i].n);
        kcSetBytes(&vals[nv++], type, bytes[i], strs[i].n);
      }
    }
    for (i = 0; i < nv; i++) {
      for (j = 0; j < nv; j++) {
        TdbStr ea, eb;
        CHECK_EQ(kcEncode(&ea, &vals[i]), TDB_OK);
        CHECK_EQ(kcEncode(&eb, &vals[j]), TDB_OK);
        if (kcMemOrder(&ea, &eb) != kcValueOrder(&vals[i], &vals[j])) {
          if (bad < 5) printf("edge order mismatch type %d: #%d vs #%d\n", type, i, j);
          bad++;
        }
        tdbStrClear(&ea);
        tdbStrClear(&eb);
      }
    }
  }
  CHECK_EQ(bad, 0);
}

/* Composite keys of 2-3 components of random column types: memcmp of the
** concatenations == lexicographic component-wise SQL order. */
static void testKeyComposite(void) {
  uint64_t seed = 4242;
  int k, bad = 0;
  for (k = 0; k < 30000; k++) {
    int ncomp = 2 + (int)(tdbTestRand(&seed) % 2), c, want = 0;
    int types[3];
    TdbValue a[3], b[3];
    char pa[3][KC_POOL], pb[3][KC_POOL];
    TdbStr ea, eb;
    tdbStrInit(&ea, &kcMem);
    tdbStrInit(&eb, &kcMem);
    for (c = 0; c < ncomp; c++) {
      types[c] = kcKeyTypes[tdbTestRand(&seed) % TDB_ARRAY_LEN(kcKeyTypes)];
      kcRandomValue(&seed, types[c], &a[c], pa[c]);
      /* Often equal leading components, so later ones decide. */
      if (tdbTestRand(&seed) % 3) {
        b[c] = a[c];
      } else {
        kcRelated(&seed, &a[c], &b[c], pb[c]);
      }
      if (tdbTestRand(&seed) % 16 == 0) tdbValueSetNull(&a[c]);
      if (tdbTestRand(&seed) % 16 == 0) tdbValueSetNull(&b[c]);
      CHECK_EQ(tdbKeyEncodeValue(&ea, &a[c]), TDB_OK);
      CHECK_EQ(tdbKeyEncodeValue(&eb, &b[c]), TDB_OK);
    }
    for (c = 0; c < ncomp && want == 0; c++) want = kcValueOrder(&a[c], &b[c]);
    if (kcMemOrder(&ea, &eb) != want) bad++;
    /* Decoding the concatenation gives the components back. */
    {
      const unsigned char *p = (const unsigned char *)ea.z, *end = p + ea.n;
      for (c = 0; c < ncomp; c++) {
        TdbValue d;
        size_t used = 0, skip = 0;
        if (tdbKeySkipValue(p, end, &skip) != TDB_OK) {
          bad++;
          break;
        }
        if (tdbKeyDecodeValue(p, end, &kcMem, &d, &used) != TDB_OK) {
          bad++;
          break;
        }
        if (!kcSameValue(&a[c], &d) || used != skip) bad++;
        tdbValueClear(&kcMem, &d);
        p += used;
      }
      if (p != end) bad++;
    }
    tdbStrClear(&ea);
    tdbStrClear(&eb);
  }
  CHECK_EQ(bad, 0);
}

/* decode(encode(v)) == v, used == skip == length, decoded bytes are owned
** NUL-terminated copies; re-encoding the decoded value gives the bytes. */
static void testKeyRoundTrip(void) {
  uint64_t seed = 99;
  int t, k, bad = 0;
  char pool[KC_POOL];
  for (t = 0; t < (int)TDB_ARRAY_LEN(kcKeyTypes) + 1; t++) {
    int type = t == (int)TDB_ARRAY_LEN(kcKeyTypes) ? TDB_TYPE_NULL : kcKeyTypes[t];
    for (k = 0; k < 5000; k++) {
      TdbValue v, d;
      TdbStr e, e2;
      size_t used = 0, skip = 0;
      unsigned char *copy;
      kcRandomValue(&seed, type, &v, pool);
      CHECK_EQ(kcEncode(&e, &v), TDB_OK);
      /* An exactly-sized copy, so any overread is an ASan error. */
      copy = malloc(e.n);
      memcpy(copy, e.z, e.n);
      if (tdbKeyDecodeValue(copy, copy + e.n, &kcMem, &d, &used) != TDB_OK) {
        bad++;
      } else {
        if (!kcSameValue(&v, &d) || used != e.n) bad++;
        if (TDB_TYPE_HAS_BYTES(d.type) && (!d.owned || d.u.z[d.n] != '\0')) bad++;
        CHECK_EQ(kcEncode(&e2, &d), TDB_OK);
        if (e2.n != e.n || memcmp(e2.z, e.z, e.n) != 0) bad++;
        tdbStrClear(&e2);
        tdbValueClear(&kcMem, &d);
      }
      if (tdbKeySkipValue(copy, copy + e.n, &skip) != TDB_OK || skip != e.n) bad++;
      free(copy);
      tdbStrClear(&e);
    }
  }
  CHECK_EQ(bad, 0);
  /* -0.0 decodes as +0.0; NaN as NaN. */
  {
    TdbValue v, d;
    TdbStr e;
    size_t used;
    tdbValueSetReal(&v, -0.0);
    CHECK_EQ(kcEncode(&e, &v), TDB_OK);
    CHECK_EQ(tdbKeyDecodeValue((unsigned char *)e.z, (unsigned char *)e.z + e.n, &kcMem, &d,
                               &used), TDB_OK);
    CHECK(d.type == TDB_TYPE_REAL && d.u.r == 0.0 && !signbit(d.u.r));
    tdbStrClear(&e);
    tdbValueSetReal(&v, NAN);
    CHECK_EQ(kcEncode(&e, &v), TDB_OK);
    CHECK_EQ(tdbKeyDecodeValue((unsigned char *)e.z, (unsigned char *)e.z + e.n, &kcMem, &d,
                               &used), TDB_OK);
    CHECK(d.type == TDB_TYPE_REAL && isnan(d.u.r));
    tdbStrClear(&e);
  }
}

/* No encoding is a proper prefix of another's; every proper prefix of an
** encoding fails to decode. */
static void testKeyPrefixFree(void) {
  uint64_t seed = 2024;
  int k, bad = 0, truncs = 0;
  char pa[KC_POOL], pb[KC_POOL];
  for (k = 0; k < 30000; k++) {
    int ta = kcKeyTypes[tdbTestRand(&seed) % TDB_ARRAY_LEN(kcKeyTypes)];
    TdbValue a, b;
    TdbStr ea, eb;
    kcRandomValue(&seed, ta, &a, pa);
    if (k & 1) kcRelated(&seed, &a, &b, pb);
    else kcRandomValue(&seed, kcKeyTypes[tdbTestRand(&seed) % TDB_ARRAY_LEN(kcKeyTypes)], &b, pb);
    CHECK_EQ(kcEncode(&ea, &a), TDB_OK);
    CHECK_EQ(kcEncode(&eb, &b), TDB_OK);
    if (ea.n != eb.n || memcmp(ea.z, eb.z, ea.n) != 0) {
      size_t n = TDB_MIN(ea.n, eb.n);
      if (memcmp(ea.z, eb.z, n) == 0) bad++; /* one is a prefix of the other */
    }
    if (k % 10 == 0) {
      size_t cut;
      for (cut = 0; cut < ea.n; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1);
        TdbValue d;
        size_t used = 0, skip = 0;
        memcpy(copy, ea.z, cut);
        if (tdbKeyDecodeValue(copy, copy + cut, &kcMem, &d, &used) != TDB_CORRUPT) bad++;
        if (d.type != TDB_TYPE_NULL) bad++;
        if (tdbKeySkipValue(copy, copy + cut, &skip) != TDB_CORRUPT) bad++;
        tdbValueClear(&kcMem, &d);
        free(copy);
        truncs++;
      }
    }
    tdbStrClear(&ea);
    tdbStrClear(&eb);
  }
  CHECK_EQ(bad, 0);
  CHECK(truncs > 10000);
}

/* Random bytes (biased to tags, 0x00 and 0xFF) in exactly-sized blocks:
** decode is an error or a value that re-encodes to exactly the bytes it
** consumed; skip agrees with decode. */
static void testKeyGarbage(void) {
  static const unsigned char pick[] = {0x05, 0x10, 0x11, 0x20, 0x30, 0x40, 0x50, 0x60,
                                       0x00, 0x00, 0xFF, 0xFF, 0x7F, 0x80, 0x61, 0x12};
  uint64_t seed = 31337;
  int k, bad = 0, ok = 0;
  for (k = 0; k < 200000; k++) {
    size_t n = (size_t)(tdbTestRand(&seed) % 24), i, used = 0, skip = 0;
    unsigned char *p = malloc(n ? n : 1);
    TdbValue d;
    int rc, rs;
    for (i = 0; i < n; i++) {
      uint64_t r = tdbTestRand(&seed);
      p[i] = (r & 1) ? pick[(r >> 1) % sizeof pick] : (unsigned char)(r >> 8);
    }
    rc = tdbKeyDecodeValue(p, p + n, &kcMem, &d, &used);
    rs = tdbKeySkipValue(p, p + n, &skip);
    if (rc != TDB_OK && rc != TDB_CORRUPT) bad++;
    if ((rc == TDB_OK) != (rs == TDB_OK)) bad++;
    if (rc == TDB_OK) {
      TdbStr e;
      ok++;
      if (used == 0 || used > n || used != skip) bad++;
      CHECK_EQ(kcEncode(&e, &d), TDB_OK);
      if (e.n != used || memcmp(e.z, p, used) != 0) bad++;
      tdbStrClear(&e);
    } else if (d.type != TDB_TYPE_NULL) {
      bad++;
    }
    tdbValueClear(&kcMem, &d);
    free(p);
  }
  CHECK_EQ(bad, 0);
  CHECK(ok > 10000);
  /* Specific malformed inputs. */
  {
    static const unsigned char bad1[] = {0x50, 'a', 0x00, 0x01, 0x00, 0x00}; /* bad escape */
    static const unsigned char bad2[] = {0x30, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const unsigned char bad3[] = {0x30, 0xFF, 0xF8, 0, 0, 0, 0, 0, 1}; /* other NaN */
    static const unsigned char bad4[] = {0x06};
    static const unsigned char bad5[] = {0x60, 0x00, 0xFF}; /* unterminated */
    const unsigned char *cases[] = {bad1, bad2, bad3, bad4, bad5};
    size_t lens[] = {sizeof bad1, sizeof bad2, sizeof bad3, sizeof bad4, sizeof bad5};
    for (k = 0; k < 5; k++) {
      TdbValue d;
      size_t used, skip;
      CHECK_EQ(tdbKeyDecodeValue(cases[k], cases[k] + lens[k], &kcMem, &d, &used), TDB_CORRUPT);
      CHECK_EQ(tdbKeySkipValue(cases[k], cases[k] + lens[k], &skip), TDB_CORRUPT);
    }
  }
}

static void testKeyMisuse(void) {
  TdbValue v;
  TdbStr s;
  char json[] = "{}";
  char vec[8] = {0};
  tdbStrInit(&s, &kcMem);
  tdbStrAppend(&s, "ab", 2);
  kcSetBytes(&v, TDB_TYPE_JSON, json, 2);
  CHECK_EQ(tdbKeyEncodeValue(&s, &v), TDB_MISUSE);
  kcSetBytes(&v, TDB_TYPE_VECTOR, vec, 8);
  CHECK_EQ(tdbKeyEncodeValue(&s, &v), TDB_MISUSE);
  v.type = 200;
  CHECK_EQ(tdbKeyEncodeValue(&s, &v), TDB_MISUSE);
  CHECK_EQ(s.n, 2);
  CHECK(!TDB_KEY_TYPE_OK(TDB_TYPE_JSON) && !TDB_KEY_TYPE_OK(TDB_TYPE_VECTOR));
  CHECK(TDB_KEY_TYPE_OK(TDB_TYPE_NULL) && TDB_KEY_TYPE_OK(TDB_TYPE_TIMESTAMP));
  tdbStrClear(&s);
}

/* Failing allocations: encode reports TDB_NOMEM and leaves out as it was;
** decode of TEXT reports TDB_NOMEM; nothing leaks. */
static void testKeyOom(void) {
  TdbTestAlloc a;
  tdb_allocator hooks;
  TdbMem mem;
  char big[300];
  TdbValue v, d;
  long fail;
  int nomem = 0;
  memset(big, 0, sizeof big); /* all 0x00: the escaped form doubles */
  kcSetBytes(&v, TDB_TYPE_BLOB, big, sizeof big);
  for (fail = 1; fail <= 12; fail++) {
    TdbStr s;
    int rc;
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    tdbStrInit(&s, &mem);
    tdbStrAppend(&s, "key", 3);
    a.fail_at = fail;
    a.calls = 0;
    rc = tdbKeyEncodeValue(&s, &v);
    if (rc == TDB_NOMEM) {
      nomem++;
      CHECK(s.oom);
      CHECK(s.n == 3 || s.z == NULL);
    } else {
      CHECK_EQ(rc, TDB_OK);
      CHECK_EQ(s.n, 3 + 1 + 600 + 2);
    }
    tdbStrClear(&s);
    CHECK_EQ(a.live, 0);
  }
  CHECK(nomem > 0);
  /* Decode with every allocation refused. */
  {
    TdbStr s;
    size_t used;
    CHECK_EQ(kcEncode(&s, &v), TDB_OK);
    memset(&a, 0, sizeof a);
    a.fail_at = 1;
    a.sticky = 1;
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    CHECK_EQ(tdbKeyDecodeValue((unsigned char *)s.z, (unsigned char *)s.z + s.n, &mem, &d,
                               &used), TDB_NOMEM);
    CHECK(d.type == TDB_TYPE_NULL);
    CHECK_EQ(a.live, 0);
    tdbStrClear(&s);
  }
  /* An already-failed TdbStr stays failed. */
  {
    TdbStr s;
    TdbValue i;
    tdbStrInit(&s, &kcMem);
    s.oom = 1;
    tdbValueSetInt(&i, 5);
    CHECK_EQ(tdbKeyEncodeValue(&s, &i), TDB_NOMEM);
    CHECK_EQ(tdbKeyEncodeI64BE(&s, 5), TDB_NOMEM);
    tdbStrClear(&s);
  }
}

int main(void) {
  tdbMemInit(&kcMem, NULL);
  TEST_RUN(testKeyLayout);
  TEST_RUN(testKeyFixed);
  TEST_RUN(testKeyOrderRandom);
  TEST_RUN(testKeyOrderEdges);
  TEST_RUN(testKeyComposite);
  TEST_RUN(testKeyRoundTrip);
  TEST_RUN(testKeyPrefixFree);
  TEST_RUN(testKeyGarbage);
  TEST_RUN(testKeyMisuse);
  TEST_RUN(testKeyOom);
  return tdbTestFinish();
}
