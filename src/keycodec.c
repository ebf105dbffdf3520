/*
** keycodec.c — order-preserving key encoding of SQL values (format and
** contracts in keycodec.h, design in docs/sql-storage.md).
*/
#include "keycodec.h"
#include "coding.h"

#define TDB_KEY_SIGN 0x8000000000000000ull
#define TDB_KEY_NAN  0x7FF8000000000000ull   /* the one NaN a key holds */

/* Order-preserving u64 of a double (see keycodec.h). */
static uint64_t tdbKeyRealBits(double r) {
  uint64_t x;
  if (r == 0.0) r = 0.0;            /* -0.0 -> +0.0 */
  memcpy(&x, &r, sizeof x);
  if (r != r) x = TDB_KEY_NAN;      /* every NaN -> the canonical one */
  return (x & TDB_KEY_SIGN) ? ~x : (x | TDB_KEY_SIGN);
}

/* Inverse of tdbKeyRealBits; -1 when `k` is not what tdbKeyRealBits makes. */
static int tdbKeyRealFromBits(uint64_t k, double *out) {
  uint64_t x = (k & TDB_KEY_SIGN) ? (k & ~TDB_KEY_SIGN) : ~k;
  double r;
  memcpy(&r, &x, sizeof r);
  if (x == TDB_KEY_SIGN) return -1;                /* -0.0 */
  if (r != r && x != TDB_KEY_NAN) return -1;       /* another NaN */
  *out = r;
  return 0;
}

TDB_PRIVATE void tdbKeyPutU32BE(unsigned char *dst, uint32_t v) {
  dst[0] = (unsigned char)(v >> 24);
  dst[1] = (unsigned char)(v >> 16);
  dst[2] = (unsigned char)(v >> 8);
  dst[3] = (unsigned char)v;
}

TDB_PRIVATE uint32_t tdbKeyGetU32BE(const unsigned char *src) {
  return ((uint32_t)src[0] << 24) | ((uint32_t)src[1] << 16) |
         ((uint32_t)src[2] << 8) | (uint32_t)src[3];
}

TDB_PRIVATE void tdbKeyPutI64BE(unsigned char *dst, int64_t v) {
  tdbPutFixed64BE(dst, (uint64_t)v ^ TDB_KEY_SIGN);
}

TDB_PRIVATE int64_t tdbKeyGetI64BE(const unsigned char *src) {
  uint64_t u = tdbGetFixed64BE(src) ^ TDB_KEY_SIGN;
  /* Back to signed without an implementation-defined conversion. */
  return u <= (uint64_t)INT64_MAX ? (int64_t)u
                                  : (int64_t)(u - (uint64_t)INT64_MAX - 1) + INT64_MIN;
}

/* Append n bytes; TDB_OK or TDB_NOMEM. */
static int tdbKeyAppend(TdbStr *out, const unsigned char *b, size_t n) {
  if (out->oom) return TDB_NOMEM;
  tdbStrAppend(out, (const char *)b, n);
  return out->oom ? TDB_NOMEM : TDB_OK;
}

TDB_PRIVATE int tdbKeyEncodeU32BE(TdbStr *out, uint32_t v) {
  unsigned char b[4];
  tdbKeyPutU32BE(b, v);
  return tdbKeyAppend(out, b, 4);
}

TDB_PRIVATE int tdbKeyEncodeI64BE(TdbStr *out, int64_t v) {
  unsigned char b[8];
  tdbKeyPutI64BE(b, v);
  return tdbKeyAppend(out, b, 8);
}

TDB_PRIVATE int tdbKeyDecodeU32BE(const unsigned char *p, const unsigned char *end,
                                  uint32_t *out) {
  if (p > end || (size_t)(end - p) < 4) return TDB_CORRUPT;
  *out = tdbKeyGetU32BE(p);
  return TDB_OK;
}

TDB_PRIVATE int tdbKeyDecodeI64BE(const unsigned char *p, const unsigned char *end,
                                  int64_t *out) {
  if (p > end || (size_t)(end - p) < 8) return TDB_CORRUPT;
  *out = tdbKeyGetI64BE(p);
  return TDB_OK;
}

/* Append tag | escaped bytes | 00 00; a run without a 00 byte is one append. */
static void tdbKeyAppendEscaped(TdbStr *out, unsigned char tag, const char *z,
                                size_t n) {
  static const char tdbKeyEscZero[2] = {'\0', (char)0xFF};
  static const char tdbKeyEnd[2] = {'\0', '\0'};
  size_t i = 0;
  tdbStrAppendChar(out, (char)tag);
  while (i < n) {
    const char *zero = memchr(z + i, 0, n - i);
    size_t run = zero ? (size_t)(zero - (z + i)) : n - i;
    if (run) tdbStrAppend(out, z + i, run);
    i += run;
    if (zero) {
      tdbStrAppend(out, tdbKeyEscZero, 2);
      i++;
    }
  }
  tdbStrAppend(out, tdbKeyEnd, 2);
}

TDB_PRIVATE int tdbKeyEncodeValue(TdbStr *out, const TdbValue *v) {
  size_t start = out->n;
  unsigned char b[9];
  if (out->oom) return TDB_NOMEM;
  switch (v->type) {
    case TDB_TYPE_NULL:
      b[0] = TDB_KEY_TAG_NULL;
      tdbStrAppend(out, (const char *)b, 1);
      break;
    case TDB_TYPE_BOOLEAN:
      b[0] = v->u.i ? TDB_KEY_TAG_TRUE : TDB_KEY_TAG_FALSE;
      tdbStrAppend(out, (const char *)b, 1);
      break;
    case TDB_TYPE_INTEGER:
    case TDB_TYPE_TIMESTAMP:
      b[0] = v->type == TDB_TYPE_INTEGER ? TDB_KEY_TAG_INTEGER : TDB_KEY_TAG_TIMESTAMP;
      tdbKeyPutI64BE(b + 1, v->u.i);
      tdbStrAppend(out, (const char *)b, 9);
      break;
    case TDB_TYPE_REAL:
      b[0] = TDB_KEY_TAG_REAL;
      tdbPutFixed64BE(b + 1, tdbKeyRealBits(v->u.r));
      tdbStrAppend(out, (const char *)b, 9);
      break;
    case TDB_TYPE_TEXT:
    case TDB_TYPE_BLOB:
      tdbKeyAppendEscaped(out,
                          v->type == TDB_TYPE_TEXT ? TDB_KEY_TAG_TEXT : TDB_KEY_TAG_BLOB,
                          v->u.z, v->n);
      break;
    default:
      return TDB_MISUSE;   /* JSON, VECTOR: not key types */
  }
  if (out->oom) {
    /* TdbStr keeps its old bytes when a growth fails; drop the partial tail. */
    if (out->z && start <= out->n) {
      out->n = start;
      out->z[start] = '\0';
    }
    return TDB_NOMEM;
  }
  return TDB_OK;
}

/* Scan the escaped bytes of a TEXT/BLOB component that start at p (after
** the tag): *len gets the bytes up to and including the 00 00 terminator,
** *n the unescaped length. TDB_CORRUPT when truncated or badly escaped. */
static int tdbKeyScanEscaped(const unsigned char *p, const unsigned char *end,
                             size_t *len, size_t *n) {
  const unsigned char *q = p;
  size_t zeros = 0;
  for (;;) {
    const unsigned char *zero =
        q < end ? memchr(q, 0, (size_t)(end - q)) : NULL;
    if (!zero || end - zero < 2) return TDB_CORRUPT;
    if (zero[1] == 0x00) {
      *len = (size_t)(zero + 2 - p);
      *n = (size_t)(zero - p) - zeros;
      return TDB_OK;
    }
    if (zero[1] != 0xFF) return TDB_CORRUPT;
    zeros++;
    q = zero + 2;
  }
}

TDB_PRIVATE int tdbKeySkipValue(const unsigned char *p, const unsigned char *end,
                                size_t *len) {
  if (p >= end) return TDB_CORRUPT;
  switch (p[0]) {
    case TDB_KEY_TAG_NULL:
    case TDB_KEY_TAG_FALSE:
    case TDB_KEY_TAG_TRUE:
      *len = 1;
      return TDB_OK;
    case TDB_KEY_TAG_INTEGER:
    case TDB_KEY_TAG_TIMESTAMP:
      if (end - p < 9) return TDB_CORRUPT;
      *len = 9;
      return TDB_OK;
    case TDB_KEY_TAG_REAL: {
      double r;
      if (end - p < 9) return TDB_CORRUPT;
      if (tdbKeyRealFromBits(tdbGetFixed64BE(p + 1), &r) != 0) return TDB_CORRUPT;
      *len = 9;
      return TDB_OK;
    }
    case TDB_KEY_TAG_TEXT:
    case TDB_KEY_TAG_BLOB: {
      size_t body, n;
      if (tdbKeyScanEscaped(p + 1, end, &body, &n) != TDB_OK) return TDB_CORRUPT;
      *len = 1 + body;
      return TDB_OK;
    }
    default:
      return TDB_CORRUPT;
  }
}

TDB_PRIVATE int tdbKeyDecodeValue(const unsigned char *p, const unsigned char *end,
                                  TdbMem *mem, TdbValue *out, size_t *used) {
  tdbValueSetNull(out);
  if (p >= end) return TDB_CORRUPT;
  switch (p[0]) {
    case TDB_KEY_TAG_NULL:
      *used = 1;
      return TDB_OK;
    case TDB_KEY_TAG_FALSE:
    case TDB_KEY_TAG_TRUE:
      tdbValueSetBool(out, p[0] == TDB_KEY_TAG_TRUE);
      *used = 1;
      return TDB_OK;
    case TDB_KEY_TAG_INTEGER:
    case TDB_KEY_TAG_TIMESTAMP:
      if (end - p < 9) return TDB_CORRUPT;
      if (p[0] == TDB_KEY_TAG_INTEGER) tdbValueSetInt(out, tdbKeyGetI64BE(p + 1));
      else tdbValueSetTimestamp(out, tdbKeyGetI64BE(p + 1));
      *used = 9;
      return TDB_OK;
    case TDB_KEY_TAG_REAL: {
      double r;
      if (end - p < 9) return TDB_CORRUPT;
      if (tdbKeyRealFromBits(tdbGetFixed64BE(p + 1), &r) != 0) return TDB_CORRUPT;
      tdbValueSetReal(out, r);
      *used = 9;
      return TDB_OK;
    }
    case TDB_KEY_TAG_TEXT:
    case TDB_KEY_TAG_BLOB: {
      const unsigned char *q = p + 1;
      size_t body, left, n, i = 0;
      char *z;
      if (tdbKeyScanEscaped(q, end, &body, &n) != TDB_OK) return TDB_CORRUPT;
      if (n > UINT32_MAX - 1) return TDB_TOOBIG;
      z = tdbMemAlloc(mem, n + 1);
      if (!z) return TDB_NOMEM;
      /* The scan validated every escape: copy the runs between the 00 FF
      ** pairs; the last run ends at the 00 00 terminator. */
      left = body;
      for (;;) {
        const unsigned char *zero = memchr(q, 0, left);
        size_t run = (size_t)(zero - q);
        if (run) memcpy(z + i, q, run);
        i += run;
        if (zero[1] == 0x00) break;
        z[i++] = '\0';
        left -= run + 2;
        q = zero + 2;
      }
      z[n] = '\0';
      tdbValueTakeBytes(out, p[0] == TDB_KEY_TAG_TEXT ? TDB_TYPE_TEXT : TDB_TYPE_BLOB,
                        z, n);
      *used = 1 + body;
      return TDB_OK;
    }
    default:
      return TDB_CORRUPT;
  }
}
