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
/* Also show the versions at seq >= TDB_IKEY_PENDING_SEQ (a transaction's
** own writes, newer than every committed one), whatever as_of is. Call
** before the first positioning. */
TDB_PRIVATE void tdbDbIterShowPending(TdbDbIter *it);
TDB_PRIVATE void tdbDbIterFree(TdbDbIter *it);
TDB_PRIVATE int tdbDbIterValid(const TdbDbIter *it);
TDB_PRIVATE void tdbDbIterSeekLast(TdbDbIter *it);
TDB_PRIVATE void tdbDbIterSeek(TdbDbIter *it, const void *user_key, size_t n);
TDB_PRIVATE void tdbDbIterNext(TdbDbIter *it);
TDB_PRIVATE void tdbDbIterPrev(TdbDbIter *it);
TDB_PRIVATE const unsigned char *tdbDbIterKey(const TdbDbIter *it, size_t *n);
TDB_PRIVATE const unsigned char *tdbDbIterValue(const TdbDbIter *it, size_t *n);
/* The commit sequence (epoch) of the version under a forward iterator (a
** pending write's is >= TDB_IKEY_PENDING_SEQ); 0 after a backward step. */
TDB_PRIVATE uint64_t tdbDbIterSeq(const TdbDbIter *it);
/* Forward bulk read, the scan fast path: fn(ctx, user_key, klen, value,
** vlen) for the current entry and each visible one after it whose user key
** is below `limit` (NULL: no limit), in key order, until fn returns nonzero
** (that value is returned; the iterator stays valid when more may follow)
** or the range ends (0, and the iterator is not valid: also on an error,
** see status). The bytes are valid only during the call. Once visiting,
** the iterator is only visited again (going on after the last entry fn
** saw), sought or freed: key/value/next/prev are not meaningful until the
** next seek. */
typedef int (*TdbDbIterVisitFn)(void *ctx, const unsigned char *key, size_t kn,
                                const unsigned char *val, size_t vn);
TDB_PRIVATE int tdbDbIterVisit(TdbDbIter *it, const void *limit, size_t limit_n,
                               TdbDbIterVisitFn fn, void *ctx);

/* TDB_OK, or the error that ended the iteration (then it is not valid). */
TDB_PRIVATE int tdbDbIterStatus(const TdbDbIter *it);

#endif /* TDB_DBITER_H */
