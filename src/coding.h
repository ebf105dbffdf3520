/*
** coding.h — fixed-width and variable-length integer encodings used by every
** on-disk and in-memory format of the storage layers (WAL records, SSTable
** blocks, manifest edits, ledger keys).
**
**   fixed32 LE   b0 b1 b2 b3                    least significant byte first
**   fixed64 LE   b0 b1 ... b7
**   fixed64 BE   b7 b6 ... b0                   most significant byte first, so
**                                               memcmp order == numeric order
**                                               (ledger keys store ~commit_seq
**                                               this way: newest sorts first)
**   varint       7 value bits per byte, least significant group first; the
**                high bit (0x80) says "another byte follows":
**
**                300 = 0b1_0010_1100  ->  [1 0101100] [0 0000010]  = AC 02
**
**                a varint32 takes 1..5 bytes, a varint64 1..10 bytes.
**   zigzag       signed -> unsigned so small magnitudes stay short:
**                0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, ... (n << 1) ^ (n >> 63)
**
** Decoders are bounds-checked: they never read at or past `end` and return
** the number of bytes consumed, or 0 when the input is truncated or
** malformed (a varint32 whose value exceeds 32 bits, a varint longer than
** its maximum length, a 10th varint64 byte carrying more than 1 bit).
**
** Everything here is used by the storage layers and the unit tests; while a
** build leaves a helper uncalled, TDB_MAYBE_UNUSED keeps the amalgamation
** (TDB_PRIVATE = static) free of -Wunused-function warnings.
*/
#ifndef TDB_CODING_H
#define TDB_CODING_H

#include "tdb_internal.h"

#define TDB_VARINT32_MAX 5   /* bytes of the longest varint32 */
#define TDB_VARINT64_MAX 10  /* bytes of the longest varint64 */

/* Fixed-width: `dst`/`src` need not be aligned and must hold 4 or 8 bytes. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbPutFixed32(unsigned char *dst, uint32_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbPutFixed64(unsigned char *dst, uint64_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED uint32_t tdbGetFixed32(const unsigned char *src);
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbGetFixed64(const unsigned char *src);
/* Big-endian fixed64 (the internal keys' tags and key columns): defined
** here, as one load and a byte swap, so that every comparison inlines it;
** the portable expression is left to compilers without the builtin. */
static inline uint64_t tdbGetFixed64BE(const unsigned char *src) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t v;
  memcpy(&v, src, sizeof v);
  return __builtin_bswap64(v);
#else
  return ((uint64_t)src[0] << 56) | ((uint64_t)src[1] << 48) | ((uint64_t)src[2] << 40) |
         ((uint64_t)src[3] << 32) | ((uint64_t)src[4] << 24) | ((uint64_t)src[5] << 16) |
         ((uint64_t)src[6] << 8) | (uint64_t)src[7];
#endif
}

/* Big-endian fixed64 at dst: the store of tdbGetFixed64BE, inlined for the
** same reason (every key tag and INTEGER key column is written with it). */
static inline void tdbPutFixed64BE(unsigned char *dst, uint64_t v) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
  memcpy(dst, &v, sizeof v);
#else
  int i;
  for (i = 0; i < 8; i++) dst[i] = (unsigned char)(v >> (56 - 8 * i));
#endif
}

/* Write the varint of v at dst (room for TDB_VARINT32_MAX / _64_MAX bytes);
** return the number of bytes written. */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbPutVarint32(unsigned char *dst,
                                                   uint32_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbPutVarint64(unsigned char *dst,
                                                   uint64_t v);

/* Bytes the varint of v takes (1..10). */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbVarintLength(uint64_t v);

/* Decode one varint from [p, end). On success store it in *out and return
** the bytes consumed (>= 1); on truncated or malformed input return 0 and
** leave *out unchanged. Never reads at or past `end`; p == end is allowed
** (returns 0). */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbGetVarint32(const unsigned char *p,
                                                   const unsigned char *end,
                                                   uint32_t *out);
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbGetVarint64(const unsigned char *p,
                                                   const unsigned char *end,
                                                   uint64_t *out);

/* Zigzag mapping between signed and unsigned 64-bit integers. */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbZigzagEncode64(int64_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED int64_t tdbZigzagDecode64(uint64_t v);

#endif /* TDB_CODING_H */
