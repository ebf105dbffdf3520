/*
** compress.c — the LZ4 wrapper of SSTable blocks (format in compress.h).
** Without TDB_ENABLE_LZ4 the functions compile to "not available" stubs so
** the rest of the engine needs no #if.
*/
#include "compress.h"
#include "coding.h"

#ifdef TDB_ENABLE_LZ4
#include <limits.h>
#include <lz4.h>
#endif

TDB_PRIVATE int tdbCompressHasLz4(void) {
#ifdef TDB_ENABLE_LZ4
  return 1;
#else
  return 0;
#endif
}

TDB_PRIVATE size_t tdbCompressLz4Bound(size_t n) {
#ifdef TDB_ENABLE_LZ4
  if (n > (size_t)LZ4_MAX_INPUT_SIZE)
    return 0;
  return (size_t)LZ4_compressBound((int)n) + TDB_VARINT32_MAX;
#else
  TDB_UNUSED(n);
  return 0;
#endif
}

TDB_PRIVATE size_t tdbCompressLz4(const unsigned char *src, size_t n,
                                  unsigned char *dst, size_t dst_cap) {
#ifdef TDB_ENABLE_LZ4
  size_t hdr, limit;
  int c;
  if (n == 0 || n > (size_t)LZ4_MAX_INPUT_SIZE)
    return 0;
  if (dst_cap < tdbCompressLz4Bound(n))
    return 0;
  hdr = tdbPutVarint32(dst, (uint32_t)n);
  limit = n - n / 8; /* must shrink by at least 1/8 to be worth it */
  if (limit <= hdr)
    return 0;
  c = LZ4_compress_default(
      (const char *)src, (char *)dst + hdr, (int)n,
      (int)(dst_cap - hdr > (size_t)INT_MAX ? (size_t)INT_MAX : dst_cap - hdr));
  if (c <= 0)
    return 0;
  if (hdr + (size_t)c > limit)
    return 0;
  return hdr + (size_t)c;
#else
  TDB_UNUSED(src);
  TDB_UNUSED(n);
  TDB_UNUSED(dst);
  TDB_UNUSED(dst_cap);
  return 0;
#endif
}

TDB_PRIVATE int tdbDecompressLz4(TdbMem *mem, const unsigned char *src,
                                 size_t n, size_t head, unsigned char **out,
                                 size_t *out_len, const char **why) {
#ifdef TDB_ENABLE_LZ4
  uint32_t raw = 0;
  size_t hdr = tdbGetVarint32(src, src + n, &raw);
  unsigned char *buf;
  int got;
  *out = NULL;
  *out_len = 0;
  if (hdr == 0) {
    *why = "bad LZ4 length prefix";
    return TDB_CORRUPT;
  }
  if (raw == 0 || (uint64_t)raw > (uint64_t)(n - hdr) * 255u + 64u ||
      raw > (uint32_t)LZ4_MAX_INPUT_SIZE) {
    *why = "LZ4 raw length out of range";
    return TDB_CORRUPT;
  }
  if (head > SIZE_MAX - raw)
    return TDB_NOMEM;
  buf = (unsigned char *)tdbMemAlloc(mem, head + raw);
  if (!buf)
    return TDB_NOMEM;
  got = LZ4_decompress_safe((const char *)src + hdr, (char *)buf + head,
                            (int)(n - hdr), (int)raw);
  if (got < 0 || (uint32_t)got != raw) {
    tdbMemFree(mem, buf);
    *why = "LZ4 data does not decompress to its stated length";
    return TDB_CORRUPT;
  }
  *out = buf;
  *out_len = raw;
  return TDB_OK;
#else
  TDB_UNUSED(mem);
  TDB_UNUSED(src);
  TDB_UNUSED(n);
  TDB_UNUSED(head);
  *out = NULL;
  *out_len = 0;
  *why = "needs LZ4 support";
  return TDB_MISUSE;
#endif
}
