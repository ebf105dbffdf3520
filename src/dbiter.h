/*
** dbiter.h — the user-visible view of a merged internal iterator at one
** epoch: for every user key, the newest version with epoch <= as_of, and only
** when that version is a value (a tombstone hides the key).
**
**   internal:  a@9 DEL | a@5 "x" | b@7 "y" | b@3 "z" | c@2 "w"
**   as of 6:   a -> "x", b -> "z", c -> "w"
**   as of 9:   b -> "y", c -> "w"           (a is deleted at 9)
**
** Forward steps skip the older versions of the current key; backward steps
** walk a key's versions oldest to newest and keep the last visible one, so
** key()/value() then come from the iterator's own copies.
*/
#ifndef TDB_DBITER_H
#define TDB_DBITER_H

#include "iter.h"
#include "strbuf.h"

typedef struct TdbDbIter TdbDbIter;

/* Wrap `internal` (ownership taken) to show the state as of epoch `as_of`. */
TDB_PRIVATE TdbDbIter *tdbDbIterNew(TdbMem *mem, TdbIter *internal, uint64_t as_of);
TDB_PRIVATE void tdbDbIterFree(TdbDbIter *it);
TDB_PRIVATE int tdbDbIterValid(const TdbDbIter *it);
TDB_PRIVATE void tdbDbIterSeekLast(TdbDbIter *it);
TDB_PRIVATE void tdbDbIterSeek(TdbDbIter *it, const void *user_key, size_t n);
TDB_PRIVATE void tdbDbIterNext(TdbDbIter *it);
TDB_PRIVATE void tdbDbIterPrev(TdbDbIter *it);
TDB_PRIVATE const unsigned char *tdbDbIterKey(const TdbDbIter *it, size_t *n);
TDB_PRIVATE const unsigned char *tdbDbIterValue(const TdbDbIter *it, size_t *n);
/* TDB_OK, or the error that ended the iteration (then it is not valid). */
TDB_PRIVATE int tdbDbIterStatus(const TdbDbIter *it);

#endif /* TDB_DBITER_H */
