/*
** hll.c — value hashing and the HyperLogLog sketch of hll.h.
**
** Dense layout: hash bits 63..50 pick the register (TDB_HLL_P = 14 bits);
** the other 50 bits w give rho = (leading zeros of w within 50 bits) + 1,
** 1..51; a register keeps the largest rho it has seen (0: none).
**
**   hash: [ index: 14 bits | w: 50 bits ]
*/
#include "hll.h"

#include <math.h>

#define TDB_HLL_M (1u << TDB_HLL_P)
#define TDB_HLL_Q (64 - TDB_HLL_P) /* bits of w; register values 0..Q+1 */

TDB_PRIVATE uint64_t tdbHashMix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

static uint64_t tdbHashLoad64(const unsigned char *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
         (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
         (uint64_t)p[7] << 56;
}

/* Word-at-a-time: each 8-byte word is mixed into the state by a multiply
** and rotate, the tail is zero-padded, the length is folded in, and the
** result goes through the finalizer. Byte order independent. */
TDB_PRIVATE uint64_t tdbHash64Bytes(const void *p, size_t n, uint64_t seed) {
  const unsigned char *s = p;
  uint64_t h = seed ^ 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = tdbHashLoad64(s + i) * 0x87c37b91114253d5ULL;
    w = (w << 31) | (w >> 33);
    h ^= w * 0x4cf5ad432745937fULL;
    h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
  }
  if (i < n) {
    unsigned char tail[8] = {0};
    uint64_t w;
    memcpy(tail, s + i, n - i);
    w = tdbHashLoad64(tail) * 0x87c37b91114253d5ULL;
    w = (w << 31) | (w >> 33);
    h ^= w * 0x4cf5ad432745937fULL;
  }
  return tdbHashMix64(h ^ (uint64_t)n);
}

TDB_PRIVATE uint64_t tdbHashValue(const TdbValue *v) {
  uint64_t bits;
  int type = v->type;
  if (TDB_TYPE_HAS_BYTES(type)) return tdbHash64Bytes(v->u.z, v->n, (uint64_t)type);
  if (type == TDB_TYPE_REAL) {
    double r = v->u.r;
    if (r != r) {
      bits = 0x7ff8000000000000ULL;
    } else if (r == floor(r) && r >= -9223372036854775808.0 && r < 9223372036854775808.0) {
      type = TDB_TYPE_INTEGER; /* 2.0 = 2; -0.0 becomes 0 */
      bits = (uint64_t)(int64_t)r;
    } else {
      memcpy(&bits, &r, 8);
    }
  } else {
    bits = (uint64_t)v->u.i;
  }
  return tdbHashMix64(bits ^ tdbHashMix64((uint64_t)type + 1));
}

TDB_PRIVATE void tdbHllInit(TdbHll *h) {
  memset(h, 0, sizeof *h);
}

TDB_PRIVATE void tdbHllClear(TdbMem *mem, TdbHll *h) {
  tdbMemFree(mem, h->reg);
  tdbMemFree(mem, h->hashes);
  tdbHllInit(h);
}

static void tdbHllSet(uint8_t *reg, uint64_t hash) {
  uint32_t idx = (uint32_t)(hash >> TDB_HLL_Q);
  uint64_t w = hash & ((1ULL << TDB_HLL_Q) - 1);
  uint8_t rho = 1;
  while (rho <= TDB_HLL_Q && !(w & (1ULL << (TDB_HLL_Q - rho)))) rho++;
  if (rho > reg[idx]) reg[idx] = rho;
}

TDB_PRIVATE int tdbHllAdd(TdbMem *mem, TdbHll *h, uint64_t hash) {
  uint32_t lo = 0, hi = h->nhashes, i;
  if (h->reg) {
    tdbHllSet(h->reg, hash);
    return TDB_OK;
  }
  while (lo < hi) { /* binary search for the insertion point */
    uint32_t mid = lo + (hi - lo) / 2;
    if (h->hashes[mid] < hash) lo = mid + 1;
    else hi = mid;
  }
  if (lo < h->nhashes && h->hashes[lo] == hash) return TDB_OK;
  if (h->nhashes == TDB_HLL_SPARSE_MAX) { /* full: become dense */
    uint8_t *reg = tdbMemAllocZero(mem, TDB_HLL_M);
    if (!reg) return TDB_NOMEM;
    for (i = 0; i < h->nhashes; i++) tdbHllSet(reg, h->hashes[i]);
    tdbHllSet(reg, hash);
    tdbMemFree(mem, h->hashes);
    h->hashes = NULL;
    h->nhashes = h->cap = 0;
    h->reg = reg;
    return TDB_OK;
  }
  if (h->nhashes == h->cap) {
    uint32_t cap = h->cap ? h->cap * 2 : 8;
    uint64_t *grown = tdbMemRealloc(mem, h->hashes, sizeof(uint64_t) * cap);
    if (!grown) return TDB_NOMEM;
    h->hashes = grown;
    h->cap = cap;
  }
  memmove(&h->hashes[lo + 1], &h->hashes[lo], sizeof(uint64_t) * (h->nhashes - lo));
  h->hashes[lo] = hash;
  h->nhashes++;
  return TDB_OK;
}

/* sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for the count of empty registers. */
static double tdbHllSigma(double x) {
  double y = 1.0, z = x, prev;
  if (x == 1.0) return HUGE_VAL;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z != prev);
  return z;
}

/* tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for saturated registers. */
static double tdbHllTau(double x) {
  double y = 1.0, z, prev;
  if (x == 0.0 || x == 1.0) return 0.0;
  z = 1.0 - x;
  do {
    x = sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != prev);
  return z / 3.0;
}

TDB_PRIVATE int64_t tdbHllEstimate(const TdbHll *h) {
  uint32_t count[TDB_HLL_Q + 2];
  double m = (double)TDB_HLL_M, z;
  uint32_t i;
  int k;
  if (!h->reg) return (int64_t)h->nhashes;
  memset(count, 0, sizeof count);
  for (i = 0; i < TDB_HLL_M; i++) count[h->reg[i]]++;
  z = m * tdbHllTau((m - count[TDB_HLL_Q + 1]) / m);
  for (k = TDB_HLL_Q; k >= 1; k--) z = 0.5 * (z + count[k]);
  z += m * tdbHllSigma(count[0] / m);
  return (int64_t)llround(m * m / (2.0 * log(2.0)) / z);
}
