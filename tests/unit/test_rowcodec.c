/*
** test_rowcodec.c — row version values (src/rowcodec.h): the exact layout,
** round trips of every type (JSON and VECTOR included) through the
** borrowing and the copying decoder, flags/ops/valid_to, empty rows, NULLs,
** big strings around the encoder's buffer sizes, absent columns (a reader
** expecting more columns than were written), tdbRowColumnAt against the full
** decode, every truncation and random garbage / mutations (inputs live in
** exactly-sized heap blocks so ASan catches an overread), the scan's
** decoder into column vectors (tdbRowDecodeSlots), misuse, failing
** allocations; and a printed (not asserted) encode/decode time for a
** 5-column integer row.
*/
#include "tensordb.c"
#include "test.h"

#include <math.h>
#include <time.h>

static TdbMem rcMem;

/* ---- helpers -------------------------------------------------------------- */

static void rcSetBytes(TdbValue *v, int type, const void *z, size_t n) {
  tdbValueSetNull(v);
  v->type = (uint8_t)type;
  v->n = (uint32_t)n;
  v->u.z = (char *)(uintptr_t)z;
}

/* Exact equality of two values (REAL by bits). */
static int rcSame(const TdbValue *a, const TdbValue *b) {
  if (a->type != b->type) return 0;
  switch (a->type) {
    case TDB_TYPE_NULL: return 1;
    case TDB_TYPE_REAL: return memcmp(&a->u.r, &b->u.r, sizeof(double)) == 0;
    case TDB_TYPE_BOOLEAN: return (a->u.i != 0) == (b->u.i != 0);
    case TDB_TYPE_INTEGER:
    case TDB_TYPE_TIMESTAMP: return a->u.i == b->u.i;
    default: return a->n == b->n && (a->n == 0 || memcmp(a->u.z, b->u.z, a->n) == 0);
  }
}

/* A heap copy of s's bytes of exactly its length. */
static unsigned char *rcExact(const TdbStr *s, size_t n) {
  unsigned char *p = malloc(n ? n : 1);
  if (n) memcpy(p, s->z, n);
  return p;
}

static int rcEncode(TdbStr *s, const TdbRow *row) {
  tdbStrInit(s, &rcMem);
  return tdbRowEncode(s, row);
}

/* Random column values. `pool` must hold 64 bytes; VECTOR lengths are
** multiples of 4. */
static void rcRandomValue(uint64_t *seed, TdbValue *v, char *pool) {
  uint64_t r = tdbTestRand(seed);
  int type = (int)(r % 9);
  r >>= 4;
  switch (type) {
    case TDB_TYPE_NULL: tdbValueSetNull(v); break;
    case TDB_TYPE_BOOLEAN: tdbValueSetBool(v, (int)(r & 1)); break;
    case TDB_TYPE_INTEGER:
    case TDB_TYPE_TIMESTAMP: {
      uint64_t u = tdbTestRand(seed) >> (tdbTestRand(seed) % 64);
      int64_t i = (r & 1) ? (int64_t)(u >> 1) : -(int64_t)(u >> 1) - 1;
      if ((r & 6) == 0) i = (r & 8) ? INT64_MIN : INT64_MAX;
      if (type == TDB_TYPE_INTEGER) tdbValueSetInt(v, i);
      else tdbValueSetTimestamp(v, i);
      break;
    }
    case TDB_TYPE_REAL: {
      uint64_t bits = tdbTestRand(seed);
      double d;
      memcpy(&d, &bits, sizeof d);
      tdbValueSetReal(v, d);
      break;
    }
    default: {
      size_t n = (size_t)(r % 65), i;
      if (type == TDB_TYPE_VECTOR) n &= ~(size_t)3;
      for (i = 0; i < n; i++) pool[i] = (char)tdbTestRand(seed);
      rcSetBytes(v, type, pool, n);
      break;
    }
  }
}

/* ---- tests ---------------------------------------------------------------- */

/* The example of rowcodec.h, byte for byte. */
static void testRowLayout(void) {
  static const unsigned char want[] = {0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0x03, 0x02, 0x0E, 0x00, 0x04, 0x02,
                                       'h',  'i',  0x00};
  TdbValue cols[3];
  TdbRow row = {0, TDB_ROW_OP_INSERT, INT64_MAX, 0, 3, cols};
  TdbStr s;
  tdbValueSetInt(&cols[0], 7);
  tdbValueSetNull(&cols[1]);
  rcSetBytes(&cols[2], TDB_TYPE_TEXT, "hi", 2);
  CHECK_EQ(rcEncode(&s, &row), TDB_OK);
  CHECK_EQ(s.n, sizeof want);
  if (s.n == sizeof want) CHECK_MEM(s.z, want, sizeof want);
  tdbStrClear(&s);
  /* Other scalar payloads. */
  {
    static const unsigned char w2[] = {0x03, 0x05, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x05,
                                       0x01, 0x01,                          /* TRUE */
                                       0x03, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,  /* 1.0 */
                                       0x06, 0x01,                          /* ts -1 */
                                       0x05, 0x01, 0xAB,                    /* blob */
                                       0x08, 0x04, 0, 0, 0x80, 0x3F};       /* [1.0] */
    static const unsigned char blob[] = {0xAB};
    static const unsigned char vec[] = {0, 0, 0x80, 0x3F};
    TdbValue c2[5];
    TdbRow r2 = {TDB_ROW_FLAG_TOMBSTONE | TDB_ROW_FLAG_REMOVED, TDB_ROW_OP_SOFT_DELETE, 0, 0,
                 5, c2};
    tdbValueSetBool(&c2[0], 1);
    tdbValueSetReal(&c2[1], 1.0);
    tdbValueSetTimestamp(&c2[2], -1);
    rcSetBytes(&c2[3], TDB_TYPE_BLOB, blob, 1);
    rcSetBytes(&c2[4], TDB_TYPE_VECTOR, vec, 4);
    CHECK_EQ(rcEncode(&s, &r2), TDB_OK);
    CHECK_EQ(s.n, sizeof w2);
    if (s.n == sizeof w2) CHECK_MEM(s.z, w2, sizeof w2);
    tdbStrClear(&s);
  }
}

/* Every type, edge values, every flag/op combination, valid_to extremes;
** borrow and copy decoders. */
static void testRowRoundTripTypes(void) {
  static const char json[] = "{\"a\": [1, 2, null]}";
  static const char textz[] = {'a', 0, 'b', (char)0xFF};
  float fl[3] = {0.5f, -1.25f, 3.0f};
  static const int64_t vts[] = {INT64_MIN, -1, 0, 1, 1700000000000000LL, INT64_MAX};
  TdbValue cols[16], out[16];
  int nc = 0, flags, op, t, bad = 0;
  tdbValueSetNull(&cols[nc++]);
  tdbValueSetBool(&cols[nc++], 0);
  tdbValueSetBool(&cols[nc++], 1);
  tdbValueSetInt(&cols[nc++], INT64_MIN);
  tdbValueSetInt(&cols[nc++], INT64_MAX);
  tdbValueSetInt(&cols[nc++], -1);
  tdbValueSetReal(&cols[nc++], -0.0);
  tdbValueSetReal(&cols[nc++], NAN);
  tdbValueSetReal(&cols[nc++], -INFINITY);
  tdbValueSetTimestamp(&cols[nc++], 1700000000123456LL);
  rcSetBytes(&cols[nc++], TDB_TYPE_TEXT, "", 0);
  rcSetBytes(&cols[nc++], TDB_TYPE_TEXT, textz, sizeof textz);
  rcSetBytes(&cols[nc++], TDB_TYPE_BLOB, textz, sizeof textz);
  rcSetBytes(&cols[nc++], TDB_TYPE_JSON, json, strlen(json));
  rcSetBytes(&cols[nc++], TDB_TYPE_VECTOR, fl, sizeof fl);
  rcSetBytes(&cols[nc++], TDB_TYPE_BLOB, "", 0);
  for (flags = 0; flags <= TDB_ROW_FLAG_MASK; flags++) {
    for (op = TDB_ROW_OP_INSERT; op <= TDB_ROW_OP_UNDELETE; op++) {
      for (t = 0; t < (int)TDB_ARRAY_LEN(vts); t++) {
        TdbRow row = {(uint8_t)flags, (uint8_t)op, vts[t], 0, (uint32_t)nc, cols};
        TdbRow got = {0, 0, 0, 0, (uint32_t)nc, out};
        TdbStr s;
        unsigned char *p;
        int i;
        CHECK_EQ(rcEncode(&s, &row), TDB_OK);
        p = rcExact(&s, s.n);
        CHECK_EQ(tdbRowDecode(p, s.n, &got), TDB_OK);
        if (got.flags != flags || got.op != op || got.valid_to != vts[t] ||
            got.nstored != (uint32_t)nc) {
          bad++;
        }
        for (i = 0; i < nc; i++) {
          if (!rcSame(&cols[i], &out[i])) bad++;
          if (out[i].owned) bad++;
          if (TDB_TYPE_HAS_BYTES(out[i].type)) {
            /* Borrowed: points into the input; text and JSON end in NUL. */
            if ((unsigned char *)out[i].u.z < p ||
                (unsigned char *)out[i].u.z + out[i].n > p + s.n) {
              bad++;
            }
            if ((out[i].type == TDB_TYPE_TEXT || out[i].type == TDB_TYPE_JSON) &&
                out[i].u.z[out[i].n] != '\0') {
              bad++;
            }
          }
        }
        /* Copy decode: owned, NUL-terminated, equal. */
        CHECK_EQ(tdbRowDecodeCopy(p, s.n, &rcMem, &got), TDB_OK);
        for (i = 0; i < nc; i++) {
          if (!rcSame(&cols[i], &out[i])) bad++;
          if (TDB_TYPE_HAS_BYTES(out[i].type) &&
              (!out[i].owned || out[i].u.z[out[i].n] != '\0' ||
               ((unsigned char *)out[i].u.z >= p && (unsigned char *)out[i].u.z < p + s.n))) {
            bad++;
          }
        }
        tdbRowClear(&rcMem, &got);
        free(p);
        tdbStrClear(&s);
      }
    }
  }
  CHECK_EQ(bad, 0);
}

/* Empty rows; NULL-only rows; rows read with more or fewer expected
** columns than stored. */
static void testRowEmptyAndAbsent(void) {
  TdbValue cols[4], out[6];
  TdbStr s;
  TdbRow row = {0, TDB_ROW_OP_DELETE, 5, 0, 0, cols};
  TdbRow got = {0, 0, 0, 0, 3, out};
  unsigned char *p;
  int i;
  /* No columns at all. */
  CHECK_EQ(rcEncode(&s, &row), TDB_OK);
  CHECK_EQ(s.n, TDB_ROW_HEADER_MIN);
  p = rcExact(&s, s.n);
  for (i = 0; i < 3; i++) tdbValueSetInt(&out[i], 99); /* overwritten */
  CHECK_EQ(tdbRowDecode(p, s.n, &got), TDB_OK);
  CHECK_EQ(got.nstored, 0);
  CHECK_EQ(got.op, TDB_ROW_OP_DELETE);
  CHECK_EQ(got.valid_to, 5);
  for (i = 0; i < 3; i++) {
    CHECK(TDB_ROW_ABSENT(&got, i));
    CHECK(out[i].type == TDB_TYPE_NULL);
  }
  {
    TdbValue v;
    CHECK_EQ(tdbRowColumnAt(p, s.n, 0, &v), TDB_NOTFOUND);
    CHECK(v.type == TDB_TYPE_NULL);
  }
  free(p);
  tdbStrClear(&s);
  /* Written with 2 columns (one NULL), read expecting 6 (ADD COLUMN x4). */
  tdbValueSetInt(&cols[0], 1);
  tdbValueSetNull(&cols[1]);
  row.ncol = 2;
  CHECK_EQ(rcEncode(&s, &row), TDB_OK);
  p = rcExact(&s, s.n);
  got.ncol = 6;
  CHECK_EQ(tdbRowDecode(p, s.n, &got), TDB_OK);
  CHECK_EQ(got.nstored, 2);
  CHECK(!TDB_ROW_ABSENT(&got, 0) && !TDB_ROW_ABSENT(&got, 1));
  CHECK(out[0].type == TDB_TYPE_INTEGER && out[0].u.i == 1);
  CHECK(out[1].type == TDB_TYPE_NULL);  /* present, and NULL */
  for (i = 2; i < 6; i++) CHECK(TDB_ROW_ABSENT(&got, i) && out[i].type == TDB_TYPE_NULL);
  {
    TdbValue v;
    CHECK_EQ(tdbRowColumnAt(p, s.n, 1, &v), TDB_OK);
    CHECK(v.type == TDB_TYPE_NULL);
    CHECK_EQ(tdbRowColumnAt(p, s.n, 2, &v), TDB_NOTFOUND);
    CHECK_EQ(tdbRowColumnAt(p, s.n, UINT32_MAX, &v), TDB_NOTFOUND);
  }
  /* Read expecting fewer (1) than stored (2): the rest is validated, ignored. */
  got.ncol = 1;
  out[1].type = TDB_TYPE_INTEGER; /* must stay untouched */
  out[1].u.i = 77;
  CHECK_EQ(tdbRowDecode(p, s.n, &got), TDB_OK);
  CHECK_EQ(got.nstored, 2);
  CHECK(out[0].u.i == 1 && out[1].u.i == 77);
  /* ... and a reader expecting 0 columns (header only). */
  got.ncol = 0;
  got.col = NULL;
  CHECK_EQ(tdbRowDecode(p, s.n, &got), TDB_OK);
  CHECK_EQ(got.nstored, 2);
  {
    TdbRow h;
    size_t off = 0;
    CHECK_EQ(tdbRowDecodeHeader(p, s.n, &h, &off), TDB_OK);
    CHECK_EQ(off, TDB_ROW_HEADER_MIN);
    CHECK_EQ(h.nstored, 2);
  }
  free(p);
  tdbStrClear(&s);
}

/* Byte values at and around the encoder's buffer sizes, and big ones. */
static void testRowBigStrings(void) {
  static const size_t sizes[] = {0, 1, 63, 64, 65, 127, 128, 255, 256, 257, 1000, 70000,
                                 (size_t)1 << 20};
  size_t k;
  int bad = 0;
  char *buf = malloc(((size_t)1 << 20) + 1);
  for (k = 0; k < ((size_t)1 << 20); k++) buf[k] = (char)('a' + k % 26);
  for (k = 0; k < TDB_ARRAY_LEN(sizes); k++) {
    TdbValue cols[5], out[5];
    TdbRow row = {0, TDB_ROW_OP_UPDATE, INT64_MAX, 0, 5, cols};
    TdbRow got = {0, 0, 0, 0, 5, out};
    TdbStr s;
    unsigned char *p;
    int i;
    size_t vn = sizes[k] & ~(size_t)3;
    tdbValueSetInt(&cols[0], (int64_t)k);
    rcSetBytes(&cols[1], TDB_TYPE_TEXT, buf, sizes[k]);
    rcSetBytes(&cols[2], TDB_TYPE_BLOB, buf + 1, sizes[k] ? sizes[k] - 1 : 0);
    rcSetBytes(&cols[3], TDB_TYPE_VECTOR, buf, vn);
    rcSetBytes(&cols[4], TDB_TYPE_JSON, buf, sizes[k]);
    CHECK_EQ(rcEncode(&s, &row), TDB_OK);
    p = rcExact(&s, s.n);
    CHECK_EQ(tdbRowDecode(p, s.n, &got), TDB_OK);
    for (i = 0; i < 5; i++) {
      TdbValue one;
      if (!rcSame(&cols[i], &out[i])) bad++;
      if (tdbRowColumnAt(p, s.n, (uint32_t)i, &one) != TDB_OK || !rcSame(&one, &out[i])) bad++;
    }
    free(p);
    tdbStrClear(&s);
  }
  free(buf);
  CHECK_EQ(bad, 0);
}

/* Random rows: full decode == original; tdbRowColumnAt(i) == col[i]. */
static void testRowRandom(void) {
  uint64_t seed = 5150;
  int k, bad = 0;
  for (k = 0; k < 5000; k++) {
    TdbValue cols[24], out[24];
    char pool[24][64];
    uint32_t nc = (uint32_t)(tdbTestRand(&seed) % 25), i;
    TdbRow row = {(uint8_t)(tdbTestRand(&seed) & 3), (uint8_t)(1 + tdbTestRand(&seed) % 6),
                  (int64_t)tdbTestRand(&seed), 0, nc, cols};
    TdbRow got = {0, 0, 0, 0, nc, out};
    TdbStr s;
    unsigned char *p;
    for (i = 0; i < nc; i++) rcRandomValue(&seed, &cols[i], pool[i]);
    CHECK_EQ(rcEncode(&s, &row), TDB_OK);
    p = rcExact(&s, s.n);
    if (tdbRowDecode(p, s.n, &got) != TDB_OK || got.nstored != nc ||
        got.valid_to != row.valid_to || got.flags != row.flags || got.op != row.op) {
      bad++;
    } else {
      for (i = 0; i < nc; i++) {
        TdbValue one;
        if (!rcSame(&cols[i], &out[i])) bad++;
        if (tdbRowColumnAt(p, s.n, i, &one) != TDB_OK || !rcSame(&one, &out[i])) bad++;
      }
    }
    free(p);
    tdbStrClear(&s);
  }
  CHECK_EQ(bad, 0);
}

/* tdbRowDecodeSlots (the scan's decoder) against tdbRowDecode: random rows
** (half their INTEGERs small, for the inline 1-3 byte varints), random slot
** maps and `upto`. Whole rows: the header and every mapped column below upto
** as the full decode has them, the others untouched, *nbytes the byte values
** written. A byte past the last column, and every truncation: TDB_CORRUPT
** when upto covers every stored
** column; otherwise TDB_OK only with exactly the full decode's values. */
static void testRowDecodeSlots(void) {
  uint64_t seed = 4242;
  int k, bad = 0;
  long cuts = 0;
  for (k = 0; k < 2000; k++) {
    TdbValue cols[12], full[12], vec[12][3], *vcols[12];
    char pool[12][64];
    int slot[12], nbytes, want_bytes = 0, rc;
    uint32_t nc = (uint32_t)(tdbTestRand(&seed) % 13), upto, i;
    TdbRow row = {(uint8_t)(tdbTestRand(&seed) & 3), (uint8_t)(1 + tdbTestRand(&seed) % 6),
                  (int64_t)tdbTestRand(&seed), 0, nc, cols};
    TdbRow whole = {0, 0, 0, 0, nc, full}, hdr;
    TdbStr s;
    size_t cut;
    unsigned char *p;
    for (i = 0; i < nc; i++) {
      rcRandomValue(&seed, &cols[i], pool[i]);
      if (cols[i].type == TDB_TYPE_INTEGER && (tdbTestRand(&seed) & 1)) {
        int64_t small = (int64_t)(tdbTestRand(&seed) % (1u << 21)) - (1 << 20);
        tdbValueSetInt(&cols[i], small);
      }
    }
    upto = (uint32_t)(tdbTestRand(&seed) % (nc + 2));
    for (i = 0; i < 12; i++) {
      slot[i] = (tdbTestRand(&seed) % 3) ? (int)(11 - i) : -1;
      vcols[i] = vec[i];
    }
    CHECK_EQ(rcEncode(&s, &row), TDB_OK);
    CHECK_EQ(tdbRowDecode((unsigned char *)s.z, s.n, &whole), TDB_OK);
    for (i = 0; i < TDB_MIN(upto, nc); i++) {
      if (slot[i] >= 0 && TDB_TYPE_HAS_BYTES(full[i].type)) want_bytes++;
    }
    p = rcExact(&s, s.n);
    for (i = 0; i < 12; i++) tdbValueSetInt(&vec[i][1], 77);
    if (tdbRowDecodeSlots(p, s.n, upto, slot, vcols, 1, &hdr, &nbytes) != TDB_OK ||
        hdr.nstored != nc || hdr.flags != row.flags || hdr.op != row.op ||
        hdr.valid_to != row.valid_to || nbytes != want_bytes) {
      bad++;
    } else {
      for (i = 0; i < 12; i++) {
        int mapped = i < upto && i < nc && slot[i] >= 0;
        const TdbValue *got = &vec[slot[i] >= 0 ? slot[i] : 0][1];
        if (mapped && !rcSame(got, &full[i])) bad++;
      }
      for (i = 0; i < 12; i++) { /* vectors no mapped column names are untouched */
        uint32_t j;
        int named = 0;
        for (j = 0; j < TDB_MIN(upto, nc); j++) named |= slot[j] == (int)i;
        if (!named && (vec[i][1].type != TDB_TYPE_INTEGER || vec[i][1].u.i != 77)) bad++;
      }
    }
    free(p);
    for (cut = 0; cut < s.n; cut++) {
      p = rcExact(&s, cut);
      rc = tdbRowDecodeSlots(p, cut, upto, slot, vcols, 2, &hdr, &nbytes);
      if (upto >= nc && rc != TDB_CORRUPT) bad++;
      if (rc == TDB_OK) {
        for (i = 0; i < TDB_MIN(upto, nc); i++) {
          if (slot[i] >= 0 && !rcSame(&vec[slot[i]][2], &full[i])) bad++;
        }
      } else if (rc != TDB_CORRUPT) {
        bad++;
      }
      free(p);
      cuts++;
    }
    /* a byte after the last column: corrupt when every column is read
    ** (last: the append may move the bytes `full` borrows) */
    tdbStrAppend(&s, "", 1);
    p = rcExact(&s, s.n);
    rc = tdbRowDecodeSlots(p, s.n, upto, slot, vcols, 2, &hdr, &nbytes);
    if (rc != (upto >= nc ? TDB_CORRUPT : TDB_OK)) bad++;
    free(p);
    tdbStrClear(&s);
  }
  CHECK_EQ(bad, 0);
  CHECK(cuts > 20000);
}

/* Every truncation of random rows: the full decoders fail with
** TDB_CORRUPT and leave all columns NULL; tdbRowColumnAt fails or returns
** exactly what the full decode has (when the cut is past that column). */
static void testRowTruncation(void) {
  uint64_t seed = 77;
  int k, bad = 0;
  long cuts = 0;
  for (k = 0; k < 300; k++) {
    TdbValue cols[8], out[8], full[8];
    char pool[8][64];
    uint32_t nc = (uint32_t)(tdbTestRand(&seed) % 9), i;
    TdbRow row = {0, TDB_ROW_OP_INSERT, (int64_t)tdbTestRand(&seed), 0, nc, cols};
    TdbRow whole = {0, 0, 0, 0, nc, full};
    TdbStr s;
    size_t cut;
    for (i = 0; i < nc; i++) rcRandomValue(&seed, &cols[i], pool[i]);
    CHECK_EQ(rcEncode(&s, &row), TDB_OK);
    CHECK_EQ(tdbRowDecode((unsigned char *)s.z, s.n, &whole), TDB_OK);
    for (cut = 0; cut < s.n; cut++) {
      unsigned char *p = rcExact(&s, cut);
      TdbRow got = {0, 0, 0, 0, nc, out};
      for (i = 0; i < nc; i++) tdbValueSetInt(&out[i], 5);
      if (tdbRowDecode(p, cut, &got) != TDB_CORRUPT) bad++;
      for (i = 0; i < nc; i++) if (out[i].type != TDB_TYPE_NULL) bad++;
      if (tdbRowDecodeCopy(p, cut, &rcMem, &got) != TDB_CORRUPT) bad++;
      for (i = 0; i < nc; i++) {
        TdbValue one;
        int rc = tdbRowColumnAt(p, cut, i, &one);
        if (rc == TDB_OK) {
          if (!rcSame(&one, &full[i])) bad++;
        } else if (rc != TDB_CORRUPT || one.type != TDB_TYPE_NULL) {
          bad++;
        }
      }
      free(p);
      cuts++;
    }
    tdbStrClear(&s);
  }
  CHECK_EQ(bad, 0);
  CHECK(cuts > 3000);
}

/* Random bytes and mutated valid encodings: the decoders return TDB_OK or
** TDB_CORRUPT, never read out of bounds; on TDB_OK every borrowed pointer
** lies inside the input, and tdbRowColumnAt and tdbRowDecodeCopy agree with
** tdbRowDecode. */
static void testRowGarbage(void) {
  uint64_t seed = 8086;
  int k, bad = 0, ok = 0;
  for (k = 0; k < 100000; k++) {
    TdbValue out[12];
    TdbRow got = {0, 0, 0, 0, 12, out};
    unsigned char *p;
    size_t n, i;
    int rc;
    if (k & 1) {
      /* Mutate a valid encoding: flip 1-3 bytes or cut/extend it. */
      TdbValue cols[6];
      char pool[6][64];
      uint32_t nc = (uint32_t)(tdbTestRand(&seed) % 7), c;
      TdbRow row = {0, TDB_ROW_OP_PATCH, 0, 0, nc, cols};
      TdbStr s;
      int flips = 1 + (int)(tdbTestRand(&seed) % 3), f;
      for (c = 0; c < nc; c++) rcRandomValue(&seed, &cols[c], pool[c]);
      CHECK_EQ(rcEncode(&s, &row), TDB_OK);
      n = s.n + (tdbTestRand(&seed) % 4 == 0 ? 1 : 0);
      p = malloc(n);
      memcpy(p, s.z, s.n);
      if (n > s.n) p[s.n] = (unsigned char)tdbTestRand(&seed);
      for (f = 0; f < flips; f++) {
        uint64_t r = tdbTestRand(&seed);
        p[r % n] = (r >> 32) & 1 ? (unsigned char)(r >> 40) : (unsigned char)((r >> 40) % 10);
      }
      tdbStrClear(&s);
    } else {
      n = (size_t)(tdbTestRand(&seed) % 40);
      p = malloc(n ? n : 1);
      for (i = 0; i < n; i++) {
        uint64_t r = tdbTestRand(&seed);
        p[i] = (r & 1) ? (unsigned char)((r >> 8) % 10) : (unsigned char)(r >> 8);
      }
      if (n > 1 && (k & 2)) { p[0] = 0; p[1] = 1; } /* a plausible header */
    }
    rc = tdbRowDecode(p, n, &got);
    if (rc == TDB_OK) {
      uint32_t c, stop = TDB_MIN(got.nstored, 12);
      ok++;
      for (c = 0; c < stop; c++) {
        TdbValue one;
        if (out[c].type > TDB_TYPE_VECTOR) bad++;
        if (TDB_TYPE_HAS_BYTES(out[c].type) &&
            ((unsigned char *)out[c].u.z < p || (unsigned char *)out[c].u.z + out[c].n > p + n)) {
          bad++;
        }
        if (tdbRowColumnAt(p, n, c, &one) != TDB_OK || !rcSame(&one, &out[c])) bad++;
      }
      {
        TdbValue copy[12];
        TdbRow cr = {0, 0, 0, 0, 12, copy};
        if (tdbRowDecodeCopy(p, n, &rcMem, &cr) != TDB_OK) bad++;
        for (c = 0; c < stop; c++) if (!rcSame(&copy[c], &out[c])) bad++;
        tdbRowClear(&rcMem, &cr);
      }
    } else {
      uint32_t c;
      if (rc != TDB_CORRUPT) bad++;
      for (c = 0; c < 12; c++) if (out[c].type != TDB_TYPE_NULL) bad++;
      /* ColumnAt must not crash either. */
      for (c = 0; c < 4; c++) {
        TdbValue one;
        int r1 = tdbRowColumnAt(p, n, c, &one);
        if (r1 != TDB_OK && r1 != TDB_CORRUPT && r1 != TDB_NOTFOUND) bad++;
      }
    }
    free(p);
  }
  CHECK_EQ(bad, 0);
  CHECK(ok > 1000);
  /* Specific malformed values. */
  {
    static const unsigned char hdr[] = {0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0};
    struct { unsigned char tail[8]; size_t n; } cases[] = {
        {{0x01, 0x01}, 2},                  /* count 1, missing column */
        {{0x01, 0x01, 0x02}, 3},            /* BOOLEAN 2 */
        {{0x01, 0x09}, 2},                  /* unknown type */
        {{0x01, 0x04, 0x01, 'a', 'b'}, 5},  /* TEXT without its NUL */
        {{0x01, 0x08, 0x03, 1, 2, 3}, 6},   /* VECTOR of 3 bytes */
        {{0x01, 0x02, 0x80}, 3},            /* truncated varint */
        {{0x00, 0x00}, 2},                  /* trailing byte */
        {{0x05, 0x00}, 2},                  /* count larger than the bytes */
        {{0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 7}, /* length past the end */
    };
    size_t c;
    for (c = 0; c < TDB_ARRAY_LEN(cases); c++) {
      size_t n = sizeof hdr + cases[c].n;
      unsigned char *p = malloc(n);
      TdbValue out[2];
      TdbRow got = {0, 0, 0, 0, 2, out};
      memcpy(p, hdr, sizeof hdr);
      memcpy(p + sizeof hdr, cases[c].tail, cases[c].n);
      CHECK_EQ(tdbRowDecode(p, n, &got), TDB_CORRUPT);
      free(p);
    }
    {
      unsigned char p[TDB_ROW_HEADER_MIN] = {0x04, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
      TdbRow got = {0, 0, 0, 0, 0, NULL};
      CHECK_EQ(tdbRowDecode(p, sizeof p, &got), TDB_CORRUPT); /* unknown flag */
      p[0] = 0;
      p[1] = 0;
      CHECK_EQ(tdbRowDecode(p, sizeof p, &got), TDB_CORRUPT); /* op 0 */
      p[1] = 7;
      CHECK_EQ(tdbRowDecode(p, sizeof p, &got), TDB_CORRUPT); /* op 7 */
      p[1] = 6;
      CHECK_EQ(tdbRowDecode(p, sizeof p, &got), TDB_OK);
      CHECK_EQ(tdbRowDecode(p, sizeof p - 1, &got), TDB_CORRUPT);
    }
  }
}

static void testRowMisuse(void) {
  TdbValue cols[2];
  TdbRow row = {0, TDB_ROW_OP_INSERT, 0, 0, 2, cols};
  TdbStr s;
  tdbStrInit(&s, &rcMem);
  tdbStrAppend(&s, "xyz", 3);
  tdbValueSetInt(&cols[0], 1);
  rcSetBytes(&cols[1], TDB_TYPE_VECTOR, "abc", 3);
  CHECK_EQ(tdbRowEncode(&s, &row), TDB_MISUSE);   /* vector of 3 bytes */
  cols[1].type = 9;
  CHECK_EQ(tdbRowEncode(&s, &row), TDB_MISUSE);   /* unknown type */
  tdbValueSetNull(&cols[1]);
  row.op = 0;
  CHECK_EQ(tdbRowEncode(&s, &row), TDB_MISUSE);
  row.op = 7;
  CHECK_EQ(tdbRowEncode(&s, &row), TDB_MISUSE);
  row.op = TDB_ROW_OP_INSERT;
  row.flags = 0x04;
  CHECK_EQ(tdbRowEncode(&s, &row), TDB_MISUSE);
  CHECK_EQ(s.n, 3);
  row.flags = 0;
  CHECK_EQ(tdbRowEncode(&s, &row), TDB_OK);       /* appends after "xyz" */
  CHECK(s.n > 3);
  CHECK_MEM(s.z, "xyz", 3);
  tdbStrClear(&s);
}

/* Failing allocations in the encoder's TdbStr and in tdbRowDecodeCopy. */
static void testRowOom(void) {
  TdbTestAlloc a;
  tdb_allocator hooks;
  TdbMem mem;
  TdbValue cols[4], out[4];
  char big[500];
  TdbRow row = {0, TDB_ROW_OP_INSERT, 0, 0, 4, cols};
  TdbStr enc;
  long fail;
  int nomem = 0;
  memset(big, 'q', sizeof big);
  rcSetBytes(&cols[0], TDB_TYPE_TEXT, big, 10);
  rcSetBytes(&cols[1], TDB_TYPE_BLOB, big, sizeof big);
  tdbValueSetInt(&cols[2], 3);
  rcSetBytes(&cols[3], TDB_TYPE_JSON, "[]", 2);
  for (fail = 1; fail <= 10; fail++) {
    TdbStr s;
    int rc;
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    tdbStrInit(&s, &mem);
    tdbStrAppend(&s, "k", 1);
    a.calls = 0;
    a.fail_at = fail;
    rc = tdbRowEncode(&s, &row);
    if (rc == TDB_NOMEM) {
      nomem++;
      CHECK(s.n == 1);
    } else {
      CHECK_EQ(rc, TDB_OK);
    }
    tdbStrClear(&s);
    CHECK_EQ(a.live, 0);
  }
  CHECK(nomem > 0);
  CHECK_EQ(rcEncode(&enc, &row), TDB_OK);
  nomem = 0;
  for (fail = 1; fail <= 4; fail++) {
    TdbRow got = {0, 0, 0, 0, 4, out};
    int rc, i;
    memset(&a, 0, sizeof a);
    a.fail_at = fail;
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    rc = tdbRowDecodeCopy((unsigned char *)enc.z, enc.n, &mem, &got);
    if (rc == TDB_NOMEM) {
      nomem++;
      CHECK_EQ(a.live, 0);
      for (i = 0; i < 4; i++) CHECK(out[i].type == TDB_TYPE_NULL);
    } else {
      CHECK_EQ(rc, TDB_OK);
      tdbRowClear(&mem, &got);
      CHECK_EQ(a.live, 0);
    }
  }
  CHECK_EQ(nomem, 3); /* three byte columns: the 1st, 2nd, 3rd copy fail */
  tdbStrClear(&enc);
  /* An already-failed TdbStr stays failed. */
  {
    TdbStr s;
    tdbStrInit(&s, &rcMem);
    s.oom = 1;
    CHECK_EQ(tdbRowEncode(&s, &row), TDB_NOMEM);
    tdbStrClear(&s);
  }
}

static double rcNow(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Prints encode, decode and column-at times of a 5-column integer row.
** Measured, never asserted (DESIGN.md §9). */
static void testRowSpeed(void) {
  enum { ROUNDS = 1000000 };
  TdbValue cols[5], out[5];
  TdbRow row = {0, TDB_ROW_OP_INSERT, INT64_MAX, 0, 5, cols};
  TdbRow got = {0, 0, 0, 0, 5, out};
  TdbStr s;
  double t0, t1, t2, t3;
  int64_t sum = 0;
  int i, j, bad = 0;
  tdbStrInit(&s, &rcMem);
  t0 = rcNow();
  for (i = 0; i < ROUNDS; i++) {
    for (j = 0; j < 5; j++) tdbValueSetInt(&cols[j], (int64_t)i * (j + 1) * 1000 - 7);
    s.n = 0;
    if (tdbRowEncode(&s, &row) != TDB_OK) bad++;
  }
  t1 = rcNow();
  for (i = 0; i < ROUNDS; i++) {
    if (tdbRowDecode((unsigned char *)s.z, s.n, &got) != TDB_OK) bad++;
    sum += out[4].u.i + i;
  }
  t2 = rcNow();
  for (i = 0; i < ROUNDS; i++) {
    TdbValue one;
    if (tdbRowColumnAt((unsigned char *)s.z, s.n, 3, &one) != TDB_OK) bad++;
    sum += one.u.i;
  }
  t3 = rcNow();
  CHECK_EQ(bad, 0);
  CHECK(sum != 1); /* keep the loops */
  printf("# rowcodec 5-INTEGER row (%zu bytes): encode %.1f ns, decode %.1f ns, "
         "encode+decode %.1f ns/row, column-at(3) %.1f ns\n",
         s.n, (t1 - t0) / ROUNDS, (t2 - t1) / ROUNDS, (t2 - t0) / ROUNDS, (t3 - t2) / ROUNDS);
  tdbStrClear(&s);
}

int main(void) {
  tdbMemInit(&rcMem, NULL);
  TEST_RUN(testRowLayout);
  TEST_RUN(testRowRoundTripTypes);
  TEST_RUN(testRowEmptyAndAbsent);
  TEST_RUN(testRowBigStrings);
  TEST_RUN(testRowRandom);
  TEST_RUN(testRowTruncation);
  TEST_RUN(testRowDecodeSlots);
  TEST_RUN(testRowGarbage);
  TEST_RUN(testRowMisuse);
  TEST_RUN(testRowOom);
  TEST_RUN(testRowSpeed);
  return tdbTestFinish();
}
