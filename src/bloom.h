/*
** bloom.h — Bloom filters over user keys: the SSTable filter block, which
** lets a point lookup skip a table that surely lacks the key.
**
** Filter format (on disk, inside the SSTable filter block): a blocked
** ("cache-local") Bloom filter — all probes of a key fall in one 64-byte
** line, so a lookup costs one cache miss instead of k.
**
**   +-----------+-----------+-----+---------------+--------+
**   | line 0    | line 1    | ... | line L-1      | k (1B) |
**   +-----------+-----------+-----+---------------+--------+
**   <- 64 B --->                                    L >= 1
**   bit i of a line is byte[i / 8] & (1 << (i % 8)), 0 <= i < 512
**
** Hashing: h = tdbBloomHash(key), a 64-bit mix of our own.
**   line   = ((h & 0xffffffff) * L) >> 32                 ("fast range")
**   probes: g = h >> 32; for j = 0..k-1: bit = g >> 23 (9 bits), then
**           g = g * 0x9E3779B9 (mod 2^32)
** k = round(bits_per_key * ln 2), clamped to 1..TDB_BLOOM_MAX_K. At 10 bits
** per key k = 7 and the false-positive rate is about 1%.
**
** The hash function and probe sequence are part of the on-disk format: do
** not change them without a new SSTable format version.
*/
#ifndef TDB_BLOOM_H
#define TDB_BLOOM_H

#include "tdb_internal.h"
#include "mem.h"

#define TDB_BLOOM_MAX_K 30
#define TDB_BLOOM_LINE_BYTES 64
#define TDB_BLOOM_LINE_BITS (TDB_BLOOM_LINE_BYTES * 8)
#define TDB_BLOOM_MIN_BYTES TDB_BLOOM_LINE_BYTES

/* The engine and the tests call all of these; TDB_MAYBE_UNUSED keeps the
** amalgamation free of -Wunused-function while a build leaves one uncalled. */

/* A key for tdbBloomBuild. */
typedef struct TdbBloomKey {
  const void *data;
  size_t len;
} TdbBloomKey;

/* The 64-bit hash of key[0..n) the filter uses (key may be NULL if n is 0). */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbBloomHash(const void *key, size_t n);

/* The probe count for bits_per_key (<= 0 picks TDB_DEFAULT_BLOOM_BITS). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbBloomK(int bits_per_key);

/* Bytes of the filter of nkeys keys at bits_per_key, including the k byte. */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbBloomSize(size_t nkeys,
                                                 int bits_per_key);

/* Write the filter of the key hashes hashes[0..n) (from tdbBloomHash) into
** dst, which holds exactly tdbBloomSize(n, bits_per_key) bytes. Duplicate
** hashes are fine (they set the same bits). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbBloomFill(unsigned char *dst,
                                               const uint64_t *hashes, size_t n,
                                               int bits_per_key);

/* Build the filter of keys[0..n) into a new buffer from mem (*out, *out_len;
** free with tdbMemFree). TDB_OK or TDB_NOMEM. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbBloomBuild(TdbMem *mem,
                                               const TdbBloomKey *keys,
                                               size_t n, int bits_per_key,
                                               unsigned char **out,
                                               size_t *out_len);

/* 0 when the filter f[0..n) proves that key (or hash) was not added; 1 when
** it may have been. A malformed filter (see tdbBloomValid) answers 1. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbBloomMayContain(const unsigned char *f,
                                                    size_t n, const void *key,
                                                    size_t keylen);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbBloomMayContainHash(const unsigned char *f,
                                                        size_t n,
                                                        uint64_t hash);
/* Start loading the one line tdbBloomMayContainHash(f, n, hash) reads, so
** that other work can overlap its cache miss. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbBloomPrefetch(const unsigned char *f, size_t n,
                                                   uint64_t hash);

/* 1 when f[0..n) is well-formed: n - 1 is a positive multiple of
** TDB_BLOOM_LINE_BYTES and 1 <= k <= TDB_BLOOM_MAX_K. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbBloomValid(const unsigned char *f,
                                               size_t n);

#endif /* TDB_BLOOM_H */
