/*
** ikey.c — internal keys: encoding, decoding and the order (see ikey.h).
*/
#include "ikey.h"
#include "coding.h"

TDB_PRIVATE uint64_t tdbIkeyPackTag(uint64_t seq, int kind) {
  return ((TDB_IKEY_MAX_SEQ - (seq & TDB_IKEY_MAX_SEQ)) << 8) |
         (uint64_t)(kind & 0xff);
}

TDB_PRIVATE size_t tdbIkeyEncode(unsigned char *dst, const void *user_key,
                                 size_t klen, uint64_t seq, int kind) {
  if (klen) memcpy(dst, user_key, klen);
  tdbPutFixed64BE(dst + klen, tdbIkeyPackTag(seq, kind));
  return klen + TDB_IKEY_TAG_SIZE;
}

TDB_PRIVATE int tdbIkeyDecode(const void *ikey, size_t n, TdbIkeyParsed *out) {
  const unsigned char *p = (const unsigned char *)ikey;
  uint64_t tag;
  int kind;
  if (n < TDB_IKEY_TAG_SIZE) return TDB_CORRUPT;
  tag = tdbGetFixed64BE(p + n - TDB_IKEY_TAG_SIZE);
  kind = (int)(tag & 0xff);
  if (kind > TDB_KIND_MAX) return TDB_CORRUPT;
  out->user_key = p;
  out->user_len = n - TDB_IKEY_TAG_SIZE;
  out->seq = TDB_IKEY_MAX_SEQ - (tag >> 8);
  out->kind = kind;
  return TDB_OK;
}

TDB_PRIVATE const unsigned char *tdbIkeyUserKey(const void *ikey, size_t n,
                                                size_t *user_len) {
  if (n < TDB_IKEY_TAG_SIZE) {
    *user_len = 0;
    return NULL;
  }
  *user_len = n - TDB_IKEY_TAG_SIZE;
  return (const unsigned char *)ikey;
}

/* Bytewise order of a[0..n) and b[0..n), by big-endian 8-byte words: the
** keys the engine compares most (SQL row and index keys, 10-20 bytes) take
** two word comparisons and no call. Past the first word, the last word is
** compared overlapping the bytes already known equal, which cannot change
** where the first difference is. */
static inline int tdbIkeyCompareBytes(const unsigned char *a, const unsigned char *b, size_t n) {
  uint64_t x, y;
  size_t i;
  if (n < 8) return n ? memcmp(a, b, n) : 0;
  for (i = 0; i + 8 <= n; i += 8) {
    x = tdbGetFixed64BE(a + i);
    y = tdbGetFixed64BE(b + i);
    if (x != y) return x < y ? -1 : 1;
  }
  if (i == n) return 0;
  x = tdbGetFixed64BE(a + n - 8);
  y = tdbGetFixed64BE(b + n - 8);
  return x == y ? 0 : x < y ? -1 : 1;
}

TDB_PRIVATE int tdbIkeyCompareUser(const void *a, size_t an, const void *b,
                                   size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = tdbIkeyCompareBytes((const unsigned char *)a, (const unsigned char *)b, n);
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

TDB_PRIVATE int tdbIkeyCompare(const void *a, size_t an, const void *b,
                               size_t bn) {
  const unsigned char *pa = (const unsigned char *)a;
  const unsigned char *pb = (const unsigned char *)b;
  uint64_t ta = 0, tb = 0;
  int c;
  if (TDB_LIKELY(an >= TDB_IKEY_TAG_SIZE && bn >= TDB_IKEY_TAG_SIZE)) {
    /* Well-formed keys, compared a word at a time. Every word read ends at
    ** or before the key's end: the last (partial) word of the common
    ** length n reaches into the tag, whose bytes the shift drops. */
    size_t ua = an - TDB_IKEY_TAG_SIZE, ub = bn - TDB_IKEY_TAG_SIZE;
    size_t n = ua < ub ? ua : ub, i;
    for (i = 0; i + 8 <= n; i += 8) {
      ta = tdbGetFixed64BE(pa + i);
      tb = tdbGetFixed64BE(pb + i);
      if (ta != tb) return ta < tb ? -1 : 1;
    }
    if (i < n) {
      unsigned shift = (unsigned)(8 - (n - i)) * 8u;
      ta = tdbGetFixed64BE(pa + i) >> shift;
      tb = tdbGetFixed64BE(pb + i) >> shift;
      if (ta != tb) return ta < tb ? -1 : 1;
    }
    if (ua != ub) return ua < ub ? -1 : 1;
    ta = tdbGetFixed64BE(pa + ua);
    tb = tdbGetFixed64BE(pb + ub);
    return ta < tb ? -1 : ta > tb;
  }
  if (an >= TDB_IKEY_TAG_SIZE) {
    an -= TDB_IKEY_TAG_SIZE;
    ta = tdbGetFixed64BE(pa + an);
  }
  if (bn >= TDB_IKEY_TAG_SIZE) {
    bn -= TDB_IKEY_TAG_SIZE;
    tb = tdbGetFixed64BE(pb + bn);
  }
  c = tdbIkeyCompareBytes(pa, pb, an < bn ? an : bn);
  if (c) return c;
  if (an != bn) return an < bn ? -1 : 1;
  return ta < tb ? -1 : ta > tb;
}

TDB_PRIVATE size_t tdbIkeySeekKey(unsigned char *dst, const void *user_key,
                                  size_t klen, uint64_t seq) {
  if (seq > TDB_IKEY_MAX_SEQ) seq = TDB_IKEY_MAX_SEQ;
  return tdbIkeyEncode(dst, user_key, klen, seq, TDB_KIND_DELETE);
}
