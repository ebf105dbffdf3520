/*
** bloom.c — Bloom filters (format and probe sequence in bloom.h).
*/
#include "bloom.h"

#define TDB_BLOOM_M1 UINT64_C(0x9E3779B97F4A7C15)
#define TDB_BLOOM_M2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define TDB_BLOOM_M3 UINT64_C(0x165667B19E3779F9)

static uint64_t tdbBloomRotl(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

/* Little-endian loads, byte by byte (alignment- and endian-free); one
** expression, which compilers turn into a single load. */
static uint64_t tdbBloomLoad64(const unsigned char *p) {
  return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) |
         ((uint64_t)p[3] << 24) | ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
         ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

/* Final avalanche: every input bit affects every output bit. */
static uint64_t tdbBloomFinal(uint64_t h) {
  h ^= h >> 33;
  h *= UINT64_C(0xFF51AFD7ED558CCD);
  h ^= h >> 33;
  h *= UINT64_C(0xC4CEB9FE1A85EC53);
  h ^= h >> 33;
  return h;
}

TDB_PRIVATE uint64_t tdbBloomHash(const void *key, size_t n) {
  const unsigned char *p = (const unsigned char *)key;
  uint64_t h = TDB_BLOOM_M3 ^ ((uint64_t)n * TDB_BLOOM_M1);
  uint64_t w;
  size_t i, len = n;
  while (n >= 8) {
    w = tdbBloomLoad64(p) * TDB_BLOOM_M2;
    h ^= tdbBloomRotl(w, 31) * TDB_BLOOM_M1;
    h = tdbBloomRotl(h, 27) * TDB_BLOOM_M1 + TDB_BLOOM_M3;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    /* the last 1..7 bytes, little-endian and zero-padded, as one load: of
    ** the word ending at the key's end (its first 8 - n bytes, already
    ** hashed, shifted out) when the key has 8 bytes, else of a copy */
    if (len >= 8) {
      w = tdbBloomLoad64(p + n - 8) >> (8u * (unsigned)(8 - n));
    } else {
      unsigned char tail[8] = {0};
      for (i = 0; i < n; i++)
        tail[i] = p[i];
      w = tdbBloomLoad64(tail);
    }
    w *= TDB_BLOOM_M2;
    h ^= tdbBloomRotl(w, 31) * TDB_BLOOM_M1;
    h = tdbBloomRotl(h, 27) * TDB_BLOOM_M1 + TDB_BLOOM_M3;
  }
  return tdbBloomFinal(h);
}

TDB_PRIVATE int tdbBloomK(int bits_per_key) {
  int k;
  if (bits_per_key <= 0)
    bits_per_key = TDB_DEFAULT_BLOOM_BITS;
  /* round(bits * ln 2) without libm: ln 2 ~= 0.693147 */
  k = (int)(((long)bits_per_key * 693147L + 500000L) / 1000000L);
  if (k < 1)
    k = 1;
  if (k > TDB_BLOOM_MAX_K)
    k = TDB_BLOOM_MAX_K;
  return k;
}

TDB_PRIVATE size_t tdbBloomSize(size_t nkeys, int bits_per_key) {
  size_t nbits, nbytes;
  if (bits_per_key <= 0)
    bits_per_key = TDB_DEFAULT_BLOOM_BITS;
  if (nkeys > (SIZE_MAX / 2) / (size_t)bits_per_key)
    nkeys = (SIZE_MAX / 2) / (size_t)bits_per_key;
  nbits = nkeys * (size_t)bits_per_key;
  /* whole cache lines: every probe of a key lands in one line */
  nbytes = (nbits + TDB_BLOOM_LINE_BITS - 1) / TDB_BLOOM_LINE_BITS * TDB_BLOOM_LINE_BYTES;
  if (nbytes < TDB_BLOOM_MIN_BYTES)
    nbytes = TDB_BLOOM_MIN_BYTES;
  /* the line count must fit the 32-bit fast-range mapping */
  if (nbytes / TDB_BLOOM_LINE_BYTES > (size_t)UINT32_MAX)
    nbytes = (size_t)UINT32_MAX * TDB_BLOOM_LINE_BYTES;
  return nbytes + 1;
}

/* The line of hash among nlines, and the first in-line probe state. The low
** half of the hash picks the line; the high half, multiplied by an odd
** constant between probes, gives 9-bit positions inside the 512-bit line. */
static const unsigned char *tdbBloomLine(const unsigned char *bits, uint32_t nlines,
                                         uint64_t hash) {
  uint32_t line = (uint32_t)(((uint64_t)(uint32_t)hash * nlines) >> 32);
  return bits + (size_t)line * TDB_BLOOM_LINE_BYTES;
}

#define TDB_BLOOM_PROBE_MULT 0x9E3779B9u

/* Set the k probes of hash in bits (nlines cache lines). */
static void tdbBloomSet(unsigned char *bits, uint32_t nlines, int k, uint64_t hash) {
  unsigned char *line = (unsigned char *)tdbBloomLine(bits, nlines, hash);
  uint32_t h = (uint32_t)(hash >> 32);
  int j;
  for (j = 0; j < k; j++) {
    uint32_t bit = h >> (32 - 9); /* 0..511 */
    line[bit >> 3] |= (unsigned char)(1u << (bit & 7));
    h *= TDB_BLOOM_PROBE_MULT;
  }
}

TDB_PRIVATE void tdbBloomFill(unsigned char *dst, const uint64_t *hashes,
                              size_t n, int bits_per_key) {
  size_t total = tdbBloomSize(n, bits_per_key);
  size_t nbytes = total - 1;
  int k = tdbBloomK(bits_per_key);
  size_t i;
  memset(dst, 0, nbytes);
  dst[nbytes] = (unsigned char)k;
  for (i = 0; i < n; i++) {
    tdbBloomSet(dst, (uint32_t)(nbytes / TDB_BLOOM_LINE_BYTES), k, hashes[i]);
  }
}

TDB_PRIVATE int tdbBloomBuild(TdbMem *mem, const TdbBloomKey *keys, size_t n,
                              int bits_per_key, unsigned char **out,
                              size_t *out_len) {
  size_t total = tdbBloomSize(n, bits_per_key);
  unsigned char *f = (unsigned char *)tdbMemAlloc(mem, total);
  uint64_t *hashes;
  size_t i;
  *out = NULL;
  *out_len = 0;
  if (!f)
    return TDB_NOMEM;
  hashes = (uint64_t *)tdbMemAlloc(mem, (n ? n : 1) * sizeof(uint64_t));
  if (!hashes) {
    tdbMemFree(mem, f);
    return TDB_NOMEM;
  }
  for (i = 0; i < n; i++)
    hashes[i] = tdbBloomHash(keys[i].data, keys[i].len);
  tdbBloomFill(f, hashes, n, bits_per_key);
  tdbMemFree(mem, hashes);
  *out = f;
  *out_len = total;
  return TDB_OK;
}

TDB_PRIVATE int tdbBloomValid(const unsigned char *f, size_t n) {
  if (!f || n < TDB_BLOOM_MIN_BYTES + 1)
    return 0;
  if ((n - 1) % TDB_BLOOM_LINE_BYTES != 0 ||
      (n - 1) / TDB_BLOOM_LINE_BYTES > (size_t)UINT32_MAX)
    return 0;
  return f[n - 1] >= 1 && f[n - 1] <= TDB_BLOOM_MAX_K;
}

TDB_PRIVATE int tdbBloomMayContainHash(const unsigned char *f, size_t n,
                                       uint64_t hash) {
  const unsigned char *line;
  uint32_t h;
  int k, j;
  if (!tdbBloomValid(f, n))
    return 1;
  k = f[n - 1];
  line = tdbBloomLine(f, (uint32_t)((n - 1) / TDB_BLOOM_LINE_BYTES), hash);
  h = (uint32_t)(hash >> 32);
  for (j = 0; j < k; j++) {
    uint32_t bit = h >> (32 - 9);
    if (!(line[bit >> 3] & (1u << (bit & 7))))
      return 0;
    h *= TDB_BLOOM_PROBE_MULT;
  }
  return 1;
}

TDB_PRIVATE void tdbBloomPrefetch(const unsigned char *f, size_t n, uint64_t hash) {
  if (tdbBloomValid(f, n))
    TDB_PREFETCH(tdbBloomLine(f, (uint32_t)((n - 1) / TDB_BLOOM_LINE_BYTES), hash));
}

TDB_PRIVATE int tdbBloomMayContain(const unsigned char *f, size_t n,
                                   const void *key, size_t keylen) {
  return tdbBloomMayContainHash(f, n, tdbBloomHash(key, keylen));
}
