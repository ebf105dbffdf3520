/*
** ikey.h — internal keys: a user key with the version (commit sequence) and
** kind of one write appended, so the storage engine can keep every version
** of every key in one ordered keyspace (docs/design.md §5).
**
** Format (memtable entries, SSTable blocks, anything that sorts versions):
**
**   +----------------------+------------------------------+--------+
**   | user key (n bytes)   | ~seq, low 56 bits, BE (7 B)  | kind   |
**   +----------------------+------------------------------+--------+
**                          \_______ tag: 8 bytes, one big-endian uint64 ____/
**
**   tag = ((TDB_IKEY_MAX_SEQ - seq) << 8) | kind      (TDB_IKEY_MAX_SEQ - seq
**                                                      == ~seq in 56 bits)
**
** Decision: the sequence is 56 bits (TDB_IKEY_MAX_SEQ = 2^56 - 1, i.e. 72e15
** commits) so that ~seq and the kind share one 8-byte tag: 8 bytes of
** overhead per version instead of 9, and a tag comparison is one 64-bit
** compare. The user key is not length-prefixed: the tag is always the last
** TDB_IKEY_TAG_SIZE bytes, so the user key is everything before it.
**
** Order (tdbIkeyCompare): user keys bytewise (memcmp over the common length,
** then the shorter first, so user keys need not be prefix-free); for equal
** user keys, the tag ascending. A higher seq gives a smaller ~seq, so NEWER
** versions sort FIRST; for the same seq a DELETE (0) sorts before a VALUE (1).
**
**   "a"@9 < "a"@5 < "a"@1 < "ab"@7 < "b"@3
*/
#ifndef TDB_IKEY_H
#define TDB_IKEY_H

#include "tdb_internal.h"

/* Kinds of version, stored in the tag's low byte.
** On-disk: do not renumber. */
#define TDB_KIND_DELETE 0   /* a tombstone: the key has no value from here */
#define TDB_KIND_VALUE 1    /* a value */
#define TDB_KIND_MAX TDB_KIND_VALUE

#define TDB_IKEY_TAG_SIZE 8
#define TDB_IKEY_MAX_SEQ ((UINT64_C(1) << 56) - 1)
/* A transaction's uncommitted writes are versions at seq >= this (txn.c):
** far above any epoch a store reaches, so they sort before every committed
** version of their key. */
#define TDB_IKEY_PENDING_SEQ (TDB_IKEY_MAX_SEQ - (UINT64_C(1) << 40))

/* An internal key taken apart; user_key points into the decoded buffer. */
typedef struct TdbIkeyParsed {
  const unsigned char *user_key;
  size_t user_len;
  uint64_t seq;
  int kind;
} TdbIkeyParsed;

/* The tag of (seq, kind). seq must be <= TDB_IKEY_MAX_SEQ (higher bits are
** dropped) and kind a TDB_KIND_*. */
TDB_PRIVATE uint64_t tdbIkeyPackTag(uint64_t seq, int kind);

/* Write user_key | tag at dst, which has room for klen + TDB_IKEY_TAG_SIZE
** bytes; return that length. user_key may be NULL when klen is 0. */
TDB_PRIVATE size_t tdbIkeyEncode(unsigned char *dst, const void *user_key,
                                 size_t klen, uint64_t seq, int kind);

/* Take apart the internal key ikey[0..n). TDB_OK, or TDB_CORRUPT (and *out
** untouched) when n < TDB_IKEY_TAG_SIZE or the kind byte is unknown. */
TDB_PRIVATE int tdbIkeyDecode(const void *ikey, size_t n, TdbIkeyParsed *out);

/* The user key of ikey[0..n) and its length in *user_len. A malformed key
** (n < TDB_IKEY_TAG_SIZE) yields NULL with *user_len 0. */
TDB_PRIVATE TDB_MAYBE_UNUSED const unsigned char *tdbIkeyUserKey(
    const void *ikey, size_t n, size_t *user_len);

/* The order of user keys (memcmp, then the shorter first): <0, 0, >0. */
TDB_PRIVATE int tdbIkeyCompareUser(const void *a, size_t an, const void *b,
                                   size_t bn);

/* The order of internal keys described above: <0, 0, >0. Safe on malformed
** keys (shorter than a tag): such a key is treated as a whole user key with
** tag 0, so no byte outside [a, a+an) or [b, b+bn) is read. */
TDB_PRIVATE int tdbIkeyCompare(const void *a, size_t an, const void *b,
                               size_t bn);

/* Write at dst (room for klen + TDB_IKEY_TAG_SIZE) the seek key of user_key
** as of seq and return its length: the internal key K such that, among the
** versions of user_key, exactly those with version seq <= seq sort at or
** after K (the one seeking finds first is the newest visible at seq), and
** every key of a smaller user key sorts before K. It is user_key with the
** tag of (seq, TDB_KIND_DELETE), the smallest kind. seq above
** TDB_IKEY_MAX_SEQ is clamped to it ("the latest"). */
TDB_PRIVATE size_t tdbIkeySeekKey(unsigned char *dst, const void *user_key,
                                  size_t klen, uint64_t seq);

#endif /* TDB_IKEY_H */
