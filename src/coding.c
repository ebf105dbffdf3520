/*
** coding.c — integer encodings (formats and contracts in coding.h).
**
** Byte-at-a-time shifts are endian-independent and free of alignment and
** aliasing traps; gcc and clang merge them into single loads/stores.
*/
#include "coding.h"

TDB_PRIVATE void tdbPutFixed32(unsigned char *dst, uint32_t v) {
  dst[0] = (unsigned char)v;
  dst[1] = (unsigned char)(v >> 8);
  dst[2] = (unsigned char)(v >> 16);
  dst[3] = (unsigned char)(v >> 24);
}

TDB_PRIVATE void tdbPutFixed64(unsigned char *dst, uint64_t v) {
  int i;
  for (i = 0; i < 8; i++) dst[i] = (unsigned char)(v >> (8 * i));
}

TDB_PRIVATE uint32_t tdbGetFixed32(const unsigned char *src) {
  return (uint32_t)src[0] | ((uint32_t)src[1] << 8) |
         ((uint32_t)src[2] << 16) | ((uint32_t)src[3] << 24);
}

TDB_PRIVATE uint64_t tdbGetFixed64(const unsigned char *src) {
  return (uint64_t)src[0] | ((uint64_t)src[1] << 8) | ((uint64_t)src[2] << 16) |
         ((uint64_t)src[3] << 24) | ((uint64_t)src[4] << 32) | ((uint64_t)src[5] << 40) |
         ((uint64_t)src[6] << 48) | ((uint64_t)src[7] << 56);
}

TDB_PRIVATE size_t tdbPutVarint64(unsigned char *dst, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80u) {
    dst[n++] = (unsigned char)(v | 0x80u);
    v >>= 7;
  }
  dst[n++] = (unsigned char)v;
  return n;
}

TDB_PRIVATE size_t tdbPutVarint32(unsigned char *dst, uint32_t v) {
  return tdbPutVarint64(dst, v);
}

TDB_PRIVATE size_t tdbVarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80u) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Shared decoder: at most `maxlen` bytes; the value must fit in `bits`. */
static size_t tdbCodingGetVarint(const unsigned char *p,
                                 const unsigned char *end, size_t maxlen,
                                 unsigned bits, uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  for (i = 0; i < maxlen && p + i < end; i++) {
    uint64_t b = p[i];
    unsigned shift = (unsigned)(7 * i);
    uint64_t group = b & 0x7Fu;
    /* The last possible byte may only carry the bits left of the width:
    ** 32 - 28 = 4 bits for a varint32, 64 - 63 = 1 bit for a varint64;
    ** anything more (or a continuation bit) is malformed. */
    if (shift + 7 > bits && (group >> (bits - shift)) != 0) return 0;
    v |= group << shift;
    if ((b & 0x80u) == 0) {
      *out = v;
      return i + 1;
    }
  }
  return 0; /* ran out of input or of allowed length */
}

TDB_PRIVATE size_t tdbGetVarint32(const unsigned char *p,
                                  const unsigned char *end, uint32_t *out) {
  uint64_t v;
  size_t n;
  if (p < end && p[0] < 0x80) { /* the common one-byte case */
    *out = p[0];
    return 1;
  }
  if (end - p >= 2 && p[1] < 0x80) { /* two bytes */
    *out = (uint32_t)(p[0] & 0x7Fu) | ((uint32_t)p[1] << 7);
    return 2;
  }
  if (end - p >= 3 && p[2] < 0x80) { /* three bytes */
    *out = (uint32_t)(p[0] & 0x7Fu) | ((uint32_t)(p[1] & 0x7Fu) << 7) | ((uint32_t)p[2] << 14);
    return 3;
  }
  n = tdbCodingGetVarint(p, end, TDB_VARINT32_MAX, 32, &v);
  if (n) *out = (uint32_t)v;
  return n;
}

TDB_PRIVATE size_t tdbGetVarint64(const unsigned char *p,
                                  const unsigned char *end, uint64_t *out) {
  if (p < end && p[0] < 0x80) { /* the common one-byte case */
    *out = p[0];
    return 1;
  }
  if (end - p >= 2 && p[1] < 0x80) { /* two bytes */
    *out = (uint64_t)(p[0] & 0x7Fu) | ((uint64_t)p[1] << 7);
    return 2;
  }
  if (end - p >= 3 && p[2] < 0x80) { /* three bytes */
    *out = (uint64_t)(p[0] & 0x7Fu) | ((uint64_t)(p[1] & 0x7Fu) << 7) | ((uint64_t)p[2] << 14);
    return 3;
  }
  return tdbCodingGetVarint(p, end, TDB_VARINT64_MAX, 64, out);
}

TDB_PRIVATE uint64_t tdbZigzagEncode64(int64_t v) {
  /* Unsigned arithmetic: a left shift of a negative int64 is undefined, and
  ** the arithmetic right shift is spelled as 0 - sign bit. */
  uint64_t u = (uint64_t)v;
  return (u << 1) ^ (0u - (u >> 63));
}

TDB_PRIVATE int64_t tdbZigzagDecode64(uint64_t v) {
  uint64_t u = (v >> 1) ^ (0u - (v & 1u));
  /* Convert back without implementation-defined unsigned->signed overflow. */
  if (u <= (uint64_t)INT64_MAX) return (int64_t)u;
  return -(int64_t)(~u) - 1;
}
