/*
** versiter.h — every stored version of a key range, with its epoch: the
** store-level iterator behind FOR SYSTEM_TIME FROM/BETWEEN/ALL and the
** history scans of the SQL layer (exec_history.c).
**
** Where a dbiter (dbiter.h) shows one state, this shows them all:
**
**   internal:  a@9 DEL | a@5 "x" | a@2 "w" | b@7 "y"
**   as of 8:   a@5 "x" (next 0) | a@2 "w" (next 5) | b@7 "y" (next 0)
**   as of 9:   a@9 DEL (next 0) | a@5 "x" (next 9) | a@2 "w" (next 5) | b@7 ...
**
** Versions come in user-key order and, within a key, newest first. `next
** epoch` is the epoch of the next newer version of the same key visible at
** as_of (the epoch that closed this one), 0 while it is the newest: so a
** version was current exactly for the epochs [epoch, next) (next 0: up to
** as_of). Delete markers are yielded too (kind TDB_KIND_DELETE).
**
** Versions under a history floor (store.h, PURGE HISTORY) whose next epoch
** is at or below the floor are not yielded, whether or not compaction has
** removed them yet.
*/
#ifndef TDB_VERSITER_H
#define TDB_VERSITER_H

#include "store.h"

typedef struct TdbVersionIter TdbVersionIter;

/* Every version with epoch <= as_of (0 = head) of the store. */
TDB_PRIVATE int tdbVersionIterOpen(TdbStore *s, uint64_t as_of, TdbErr *err,
                                   TdbVersionIter **out);
TDB_PRIVATE void tdbVersionIterFree(TdbVersionIter *vi);
/* Position at the newest version of the first user key >= key. */
TDB_PRIVATE void tdbVersionIterSeek(TdbVersionIter *vi, const void *key, size_t n);
TDB_PRIVATE int tdbVersionIterValid(const TdbVersionIter *vi);
TDB_PRIVATE void tdbVersionIterNext(TdbVersionIter *vi);
TDB_PRIVATE const unsigned char *tdbVersionIterKey(const TdbVersionIter *vi, size_t *n);
TDB_PRIVATE const unsigned char *tdbVersionIterValue(const TdbVersionIter *vi, size_t *n);
TDB_PRIVATE uint64_t tdbVersionIterEpoch(const TdbVersionIter *vi);
TDB_PRIVATE uint64_t tdbVersionIterNextEpoch(const TdbVersionIter *vi);
TDB_PRIVATE int tdbVersionIterKind(const TdbVersionIter *vi);
/* TDB_OK, or the error that ended the iteration. */
TDB_PRIVATE int tdbVersionIterStatus(const TdbVersionIter *vi);

#endif /* TDB_VERSITER_H */
