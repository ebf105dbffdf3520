/*
** hashset.h — a set of byte strings with dense ids (TdbHashSet), for GROUP
** BY groups, DISTINCT and the pending writes of a statement. Ids are
** 0, 1, 2, ... in insertion order; the set keeps its own copy of each key.
** Open addressing with linear probing over a power-of-two table of 32-bit
** slots, grown at 50% load; keys live in one growable byte arena.
*/
#ifndef TDB_HASHSET_H
#define TDB_HASHSET_H

#include "mem.h"

typedef struct TdbHashSet {
  TdbMem *mem;
  uint32_t *slots;      /* id + 1, 0 = empty */
  uint32_t mask;        /* slots - 1 */
  uint32_t count;
  size_t *offsets;      /* per id: start of its key in bytes[] */
  uint32_t *hashes;     /* per id */
  size_t cap_ids;
  unsigned char *bytes;
  size_t nbytes, cap_bytes;
} TdbHashSet;

TDB_PRIVATE void tdbHashSetInit(TdbHashSet *h, TdbMem *mem);
TDB_PRIVATE void tdbHashSetFree(TdbHashSet *h);
/* Empty the set, keeping its memory. */
TDB_PRIVATE void tdbHashSetClear(TdbHashSet *h);
/* The bytes the set holds allocated. */
TDB_PRIVATE size_t tdbHashSetBytes(const TdbHashSet *h);
/* Find key; when absent and `insert`, add it. *id gets its id; *added
** whether it was new. Returns TDB_OK, TDB_NOTFOUND (absent, not inserted)
** or TDB_NOMEM. */
TDB_PRIVATE int tdbHashSetFind(TdbHashSet *h, const void *key, size_t n, int insert,
                               uint32_t *id, int *added);
/* The key of id. */
TDB_PRIVATE const unsigned char *tdbHashSetKey(const TdbHashSet *h, uint32_t id, size_t *n);
TDB_PRIVATE uint32_t tdbHashBytes(const void *p, size_t n);

#endif /* TDB_HASHSET_H */
