/*
** overlay.h — a transaction's pending writes by key (txn.h): a memtable
** holding every op of the transaction's successful statements as a version
** at its own seq, counted up from TDB_IKEY_PENDING_SEQ in statement order,
** so the newest version of a key is its last write.
**
**   seq:   PENDING_SEQ ... s1-1 | s1 ... s2-1 | s2 ...       next_seq
**          statement 1          | statement 2 | statement 3 |
**                               ^ a savepoint's mark is the next_seq
**                                 of the moment it was set
**
** The overlay is the only copy of the pending writes: a savepoint is a seq
** mark, ROLLBACK TO (or a statement that fails while being added) cuts the
** overlay back to a mark, and COMMIT turns it into one batch with the last
** op of every key, in key order (what the store would keep of the
** statements' batches anyway: all ops of a commit share its epoch).
**
** Every bulk step feeds a memtable keys in ascending order, which the
** skiplist's finger makes O(1) a key: a statement's ops are sorted before
** they are added, a cut copies the surviving versions in order, the commit
** batch is applied in order.
*/
#ifndef TDB_OVERLAY_H
#define TDB_OVERLAY_H

#include "batch.h"
#include "memtable.h"

/* Add the ops of b to *overlay (made if NULL; a *next_seq below
** TDB_IKEY_PENDING_SEQ starts there): op i at seq *next_seq + i, linked in
** key order. TDB_OK (*next_seq moved past them), TDB_NOMEM, or TDB_TOOBIG (the
** pending seqs are used up, or a key or value too long). On an error the
** overlay may hold some of b's ops at seqs >= *next_seq (unchanged): the
** caller cuts it back there (tdbOverlayCut). */
TDB_PRIVATE int tdbOverlayAdd(TdbMem *mem, TdbMemtable **overlay, uint64_t *next_seq,
                              const TdbBatch *b);

/* Drop every version at seq >= mark (a mark is a past *next_seq): the
** overlay is rebuilt from the versions below it (NULL when none are left)
** and *next_seq becomes mark. TDB_OK, or TDB_NOMEM with the overlay as it
** was. Readers holding a reference to the old overlay keep it. */
TDB_PRIVATE int tdbOverlayCut(TdbMem *mem, TdbMemtable **overlay, uint64_t *next_seq,
                              uint64_t mark);

/* Append to out (empty) the newest version of every key of overlay (NULL:
** none) as a put or a delete, in ascending key order. TDB_OK, TDB_NOMEM or
** TDB_TOOBIG (out is then unusable: free it). */
TDB_PRIVATE int tdbOverlayCommitBatch(TdbMemtable *overlay, TdbBatch *out);

#endif /* TDB_OVERLAY_H */
