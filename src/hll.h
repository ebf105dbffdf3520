/*
** hll.h — 64-bit hashing of SQL values and a HyperLogLog distinct-count
** sketch, for approx_count_distinct (agg.c).
**
** A sketch starts exact: it keeps the distinct hashes themselves (sorted)
** until there are more than TDB_HLL_SPARSE_MAX of them, so small groups
** cost little memory and count exactly (up to 64-bit hash collisions).
** Then it turns into 2^TDB_HLL_P one-byte registers (16 KiB) and estimates
** with Ertl's improved raw estimator ("New cardinality estimation algorithms
** for HyperLogLog sketches", 2017), which needs no bias tables and no
** switch to linear counting. Its relative standard error is
** 1.04 / sqrt(2^14) = 0.81 %; 99.7 % of estimates fall within 3 standard
** errors (2.44 %).
*/
#ifndef TDB_HLL_H
#define TDB_HLL_H

#include "value.h"

#define TDB_HLL_P 14
#define TDB_HLL_SPARSE_MAX 256

typedef struct TdbHll {
  uint8_t *reg;         /* 2^TDB_HLL_P registers once dense, else NULL */
  uint64_t *hashes;     /* exact mode: the distinct hashes, ascending */
  uint32_t nhashes, cap;
} TdbHll;

/* A 64-bit finalizer with full avalanche (every input bit flips every
** output bit with probability ~1/2). */
TDB_PRIVATE uint64_t tdbHashMix64(uint64_t x);
/* Hash n bytes with a seed. */
TDB_PRIVATE uint64_t tdbHash64Bytes(const void *p, size_t n, uint64_t seed);
/* Hash of a non-NULL value consistent with SQL equality: 2 and 2.0 hash
** alike, as do 0.0 and -0.0; every NaN hashes alike. */
TDB_PRIVATE uint64_t tdbHashValue(const TdbValue *v);

TDB_PRIVATE void tdbHllInit(TdbHll *h);
/* Add a hash. TDB_OK or TDB_NOMEM (the sketch is unchanged then). */
TDB_PRIVATE int tdbHllAdd(TdbMem *mem, TdbHll *h, uint64_t hash);
/* The estimated number of distinct hashes added. */
TDB_PRIVATE int64_t tdbHllEstimate(const TdbHll *h);
TDB_PRIVATE void tdbHllClear(TdbMem *mem, TdbHll *h);

#endif /* TDB_HLL_H */
