/*
** inthash.h — an open-addressing hash table from int64 keys to nonzero
** uint32 values (linear probing, power-of-two capacity, at most half full).
** The hash join keeps its table of single INTEGER keys here instead of
** encoding each key into bytes for a TdbHashSet.
**
**   slot i: keys[i], vals[i]      vals[i] == 0: the slot is empty
**
** Contract: a value stored is never 0 (0 marks an empty slot), so a caller
** that adds a key sets its value to something nonzero before the next call.
*/
#ifndef TDB_INTHASH_H
#define TDB_INTHASH_H

#include "mem.h"

typedef struct TdbIntHash {
  int64_t *keys;
  uint32_t *vals;
  size_t cap;           /* slots: 0 or a power of two */
  size_t n;             /* keys stored */
} TdbIntHash;

TDB_PRIVATE void tdbIntHashInit(TdbIntHash *h);
TDB_PRIVATE void tdbIntHashFree(TdbMem *mem, TdbIntHash *h);

/* The value slot of key, or NULL when it is absent. */
TDB_PRIVATE uint32_t *tdbIntHashGet(const TdbIntHash *h, int64_t key);

/* The value slot of key, added (value 0: the caller sets it) when absent;
** NULL on out-of-memory (the table is unchanged). */
TDB_PRIVATE uint32_t *tdbIntHashPut(TdbMem *mem, TdbIntHash *h, int64_t key);

#endif /* TDB_INTHASH_H */
