/*
** iter.h — the internal iterator interface of the storage engine.
**
** Memtables, SSTables, levels and the merge of all of them expose ordered
** sequences of (internal key, value) pairs through one small vtable, so the
** read path composes them without knowing what is underneath:
**
**   db iterator (visible versions at an epoch)
**     └─ merging iterator
**          ├─ memtable iterator        (newest)
**          ├─ immutable memtable iterators
**          ├─ L0 table iterators       (one per file, newest first)
**          └─ level iterators L1..L6   (one per level, over its files)
**
** Keys are internal keys (ikey.h) ordered by tdbIkeyCompare. An iterator
** that hits an error becomes invalid and reports it through status(), which
** returns the TDB_* code (the message is in the TdbErr it was created with).
*/
#ifndef TDB_ITER_H
#define TDB_ITER_H

#include "tdb_internal.h"

typedef struct TdbIter TdbIter;

/* A visitor of iterator entries (see the visit method): return 0 to go on,
** anything else to stop after this entry. The key and value bytes are valid
** only during the call. */
typedef int (*TdbIterVisitFn)(void *ctx, const unsigned char *ikey, size_t kn,
                              const unsigned char *val, size_t vn);

typedef struct TdbIterMethods {
  int (*valid)(TdbIter *it);
  void (*seek_first)(TdbIter *it);
  void (*seek_last)(TdbIter *it);
  void (*seek)(TdbIter *it, const unsigned char *ikey, size_t n); /* first >= ikey */
  void (*next)(TdbIter *it);   /* requires valid */
  void (*prev)(TdbIter *it);   /* requires valid */
  const unsigned char *(*key)(TdbIter *it, size_t *n);
  const unsigned char *(*value)(TdbIter *it, size_t *n);
  int (*status)(TdbIter *it);
  void (*destroy)(TdbIter *it);
  /* Forward bulk read, the scan fast path: from the current position, call
  ** fn on each entry whose key is < bound (bound NULL: no bound), in order,
  ** moving past each entry it was called on. Stops when fn returns nonzero
  ** (returned, the iterator past that entry), at the bound (0, the iterator
  ** on the first key >= bound) or at the end or an error (0; see status).
  ** Only after a forward positioning (seek, seek_first, next). Iterators
  ** without a faster way use tdbIterVisitGeneric. */
  int (*visit)(TdbIter *it, const unsigned char *bound, size_t bn, TdbIterVisitFn fn,
               void *ctx);
} TdbIterMethods;

struct TdbIter {
  const TdbIterMethods *m;
};

#define tdbIterValid(it) ((it)->m->valid(it))
#define tdbIterSeekFirst(it) ((it)->m->seek_first(it))
#define tdbIterSeekLast(it) ((it)->m->seek_last(it))
#define tdbIterSeek(it, k, n) ((it)->m->seek((it), (k), (n)))
#define tdbIterNext(it) ((it)->m->next(it))
#define tdbIterPrev(it) ((it)->m->prev(it))
#define tdbIterKey(it, n) ((it)->m->key((it), (n)))
#define tdbIterValue(it, n) ((it)->m->value((it), (n)))
#define tdbIterStatus(it) ((it)->m->status(it))
#define tdbIterVisit(it, b, bn, fn, ctx) ((it)->m->visit((it), (b), (bn), (fn), (ctx)))

/* The visit method over valid/key/value/next, for any iterator. */
TDB_PRIVATE int tdbIterVisitGeneric(TdbIter *it, const unsigned char *bound, size_t bn,
                                    TdbIterVisitFn fn, void *ctx);
/* Destroy an iterator; NULL is a no-op. */
TDB_PRIVATE void tdbIterFree(TdbIter *it);

/* An iterator over nothing that reports `rc` (TDB_OK for a plain empty one). */
TDB_PRIVATE TdbIter *tdbIterEmpty(TdbMem *mem, int rc);

/* Merge `n` child iterators (taking ownership of them and of the array
** contents, not the array) into one ordered by tdbIkeyCompare. Children
** must not yield equal keys. Returns NULL on out-of-memory (children freed). */
TDB_PRIVATE TdbIter *tdbIterMerge(TdbMem *mem, TdbIter **children, int n);

#endif /* TDB_ITER_H */
