/*
** skiplist.h — the memtable's ordered index: a skiplist whose nodes and
** entries live in an arena, ordered by tdbIkeyCompare on the entry keys.
**
** Concurrency: ONE writer (inserts) and any number of readers (iterators) on
** other threads, without locks. A node is fully written before a release
** store links it in, and readers follow links with acquire loads, so a
** reader sees every node it reaches complete. Nodes are never removed or
** changed once linked; they live until the arena is freed. With
** TDB_THREADS == 0 the links are plain pointers.
**
** Node, allocated in one piece (tdbArenaAllocAligned):
**
**   +-------+------------+-----+--------------+---------------------------+
**   | entry | next[0]    | ... | next[h-1]    | entry bytes               |
**   +-------+------------+-----+--------------+---------------------------+
**      |                                       ^
**      +---------------------------------------+   (h = node height, 1..12,
**                                                   = (entry - next) / link)
**   entry bytes:
**   +---------------+-----------+-----------------+--------------+
**   | klen varint32 | key bytes | vlen varint32   | value bytes  |
**   +---------------+-----------+-----------------+--------------+
**
** The writer keeps the search path of its last link (a "finger"): a key
** greater than the last one linked is searched from there instead of from
** the head, so keys linked in ascending order (a sorted batch, a copy of
** another list) cost O(1) each, and a run of nearby keys O(log gap). Any
** order stays correct; only the cost differs. Two far keys can be linked
** together (tdbSkiplistLinkPair): their searches take turns, one node each,
** prefetching the next, so the two chains of cache misses overlap.
**
** Heights are drawn from a per-list xorshift generator with a fixed seed
** (tests repeat exactly): P(height > k) = 4^-k, capped at
** TDB_SKIPLIST_MAX_HEIGHT.
*/
#ifndef TDB_SKIPLIST_H
#define TDB_SKIPLIST_H

#include "tdb_internal.h"
#include "arena.h"

#define TDB_SKIPLIST_MAX_HEIGHT 12
#define TDB_SKIPLIST_BRANCHING 4

typedef struct TdbSkiplist TdbSkiplist;
typedef struct TdbSkipNode TdbSkipNode;

/* A position in a list; NULL node: not valid. Plain value, no cleanup. */
typedef struct TdbSkiplistIter {
  const TdbSkiplist *list;
  const TdbSkipNode *node;
} TdbSkiplistIter;

/* An empty list allocated in `arena` (which must outlive it), or NULL when
** the arena has no memory. */
TDB_PRIVATE TdbSkiplist *tdbSkiplistNew(TdbArena *arena);

/* Writer, step 1 of an insert: allocate a node for an entry with a key of
** klen bytes and a value of vlen bytes and return it, with *key and *value
** set to where the caller writes them (the lengths are already encoded).
** NULL when the arena has no memory or a length exceeds UINT32_MAX; the list
** is unchanged either way (an unlinked node only wastes arena space). */
TDB_PRIVATE TdbSkipNode *tdbSkiplistAllocNode(TdbSkiplist *list, size_t klen,
                                              size_t vlen, unsigned char **key,
                                              unsigned char **value);

/* Writer, step 2: link a node from tdbSkiplistAllocNode, its key and value
** written, into the list, publishing it to readers. TDB_OK, or TDB_MISUSE
** (node not linked, list unchanged) when an equal key is already there. */
TDB_PRIVATE int tdbSkiplistLink(TdbSkiplist *list, TdbSkipNode *node);

/* Writer: step 2 for two nodes, a's key below b's, that are not near each
** other: the two searches run from the head a step of each in turn, so their
** cache misses overlap (a search from the finger, as tdbSkiplistLink does,
** would cost a far key a full search anyway). b is linked last (the finger
** is its path). TDB_OK, or TDB_MISUSE (neither linked, list unchanged) when
** a's key is not below b's or either key is already there. */
TDB_PRIVATE int tdbSkiplistLinkPair(TdbSkiplist *list, TdbSkipNode *a, TdbSkipNode *b);

/* Both steps with copies of key and value: TDB_OK, TDB_NOMEM, TDB_TOOBIG
** (a length over UINT32_MAX) or TDB_MISUSE (the key is already there). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSkiplistInsert(TdbSkiplist *list,
                                                   const void *key,
                                                   size_t klen,
                                                   const void *value,
                                                   size_t vlen);

/* Entries linked so far (writer, or any thread once writes have stopped). */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbSkiplistCount(const TdbSkiplist *list);

/* Iterators: safe on any thread concurrently with the writer. An iterator
** starts not valid; Key/Value/Next/Prev require a valid one. The key and
** value pointers stay valid as long as the arena. Prev is a search from the
** head (O(log n)), as nodes have no back links. */
TDB_PRIVATE void tdbSkiplistIterInit(TdbSkiplistIter *it,
                                     const TdbSkiplist *list);
TDB_PRIVATE int tdbSkiplistIterValid(const TdbSkiplistIter *it);
TDB_PRIVATE const unsigned char *tdbSkiplistIterKey(const TdbSkiplistIter *it,
                                                    size_t *klen);
TDB_PRIVATE const unsigned char *tdbSkiplistIterValue(
    const TdbSkiplistIter *it, size_t *vlen);
TDB_PRIVATE void tdbSkiplistIterNext(TdbSkiplistIter *it);
TDB_PRIVATE void tdbSkiplistIterPrev(TdbSkiplistIter *it);
/* Position at the first entry whose key is >= target (not valid if none). */
TDB_PRIVATE void tdbSkiplistIterSeek(TdbSkiplistIter *it, const void *target,
                                     size_t tlen);
TDB_PRIVATE void tdbSkiplistIterSeekToFirst(TdbSkiplistIter *it);
TDB_PRIVATE void tdbSkiplistIterSeekToLast(TdbSkiplistIter *it);

#endif /* TDB_SKIPLIST_H */
