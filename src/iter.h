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
/* Destroy an iterator; NULL is a no-op. */
TDB_PRIVATE void tdbIterFree(TdbIter *it);

/* An iterator over nothing that reports `rc` (TDB_OK for a plain empty one). */
TDB_PRIVATE TdbIter *tdbIterEmpty(TdbMem *mem, int rc);

/* Merge `n` child iterators (taking ownership of them and of the array
** contents, not the array) into one ordered by tdbIkeyCompare. Children
** must not yield equal keys. Returns NULL on out-of-memory (children freed). */
TDB_PRIVATE TdbIter *tdbIterMerge(TdbMem *mem, TdbIter **children, int n);

#endif /* TDB_ITER_H */
