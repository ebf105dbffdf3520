/*
** skiplist.c — arena-backed skiplist, one writer and lock-free readers
** (see skiplist.h).
*/
#include "skiplist.h"
#include "coding.h"
#include "ikey.h"

/* Links between nodes. With threads: C11 atomics, release stores when a
** node is published, acquire loads when a reader follows a link; relaxed
** where no publication happens (a node not yet linked, the list height).
** Without threads: plain pointers and ints. */
#if TDB_THREADS
#include <stdatomic.h>
typedef _Atomic(TdbSkipNode *) TdbSkipLink;
typedef atomic_int TdbSkipHeight;
#define TDB_SKIP_LOAD(p) atomic_load_explicit((p), memory_order_acquire)
#define TDB_SKIP_STORE(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define TDB_SKIP_INIT(p, v) atomic_init((p), (v))
#define TDB_SKIP_LOAD_RELAXED(p) atomic_load_explicit((p), memory_order_relaxed)
#define TDB_SKIP_STORE_RELAXED(p, v) \
  atomic_store_explicit((p), (v), memory_order_relaxed)
#else
typedef TdbSkipNode *TdbSkipLink;
typedef int TdbSkipHeight;
#define TDB_SKIP_LOAD(p) (*(p))
#define TDB_SKIP_STORE(p, v) (*(p) = (v))
#define TDB_SKIP_INIT(p, v) (*(p) = (v))
#define TDB_SKIP_LOAD_RELAXED(p) (*(p))
#define TDB_SKIP_STORE_RELAXED(p, v) (*(p) = (v))
#endif

struct TdbSkipNode {
  const unsigned char *entry;  /* right after next[height-1]; NULL: head */
  TdbSkipLink next[];          /* next[i]: successor at level i */
};

struct TdbSkiplist {
  TdbArena *arena;
  TdbSkipNode *head;           /* sentinel, TDB_SKIPLIST_MAX_HEIGHT links */
  TdbSkipHeight height;        /* levels in use, 1..MAX (readers: relaxed) */
  uint64_t rng;                /* xorshift64 state: writer only */
  size_t count;                /* entries linked: writer only */
  /* Writer only: the search path of the last key linked. finger[i] is the
  ** last node at level i whose key is <= that key (the node itself at its
  ** own levels; the head where none, and before the first link), so the
  ** next link of a greater key can start there (tdbSkipFindFromFinger). */
  TdbSkipNode *finger[TDB_SKIPLIST_MAX_HEIGHT];
};

#define TDB_SKIP_NODE_BYTES(h) \
  (offsetof(TdbSkipNode, next) + (size_t)(h) * sizeof(TdbSkipLink))

/* Fixed seed (any nonzero value) so heights, hence tests, are repeatable. */
#define TDB_SKIP_SEED UINT64_C(0x9E3779B97F4A7C15)

/* The key of an entry written by tdbSkiplistAllocNode (well-formed). */
static const unsigned char *tdbSkipEntryKey(const unsigned char *entry,
                                            size_t *klen) {
  uint32_t n = 0;
  size_t used;
  if (TDB_LIKELY(entry[0] < 0x80)) {
    *klen = entry[0];
    return entry + 1;
  }
  used = tdbGetVarint32(entry, entry + TDB_VARINT32_MAX, &n);
  *klen = n;
  return entry + used;
}

/* The node's key against key: <0 (node's is smaller), 0, >0. */
static int tdbSkipCompare(const TdbSkipNode *node, const void *key,
                          size_t klen) {
  size_t nlen;
  const unsigned char *nkey = tdbSkipEntryKey(node->entry, &nlen);
  return tdbIkeyCompare(nkey, nlen, key, klen);
}

static int tdbSkipRandomHeight(TdbSkiplist *list) {
  int h = 1;
  uint64_t x = list->rng;
  for (;;) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (h >= TDB_SKIPLIST_MAX_HEIGHT || (x % TDB_SKIPLIST_BRANCHING) != 0) break;
    h++;
  }
  list->rng = x;
  return h;
}

TDB_PRIVATE TdbSkiplist *tdbSkiplistNew(TdbArena *arena) {
  TdbSkiplist *list;
  TdbSkipNode *head;
  int i;
  list = (TdbSkiplist *)tdbArenaAllocAligned(arena, sizeof(*list));
  if (!list) return NULL;
  head = (TdbSkipNode *)tdbArenaAllocAligned(
      arena, TDB_SKIP_NODE_BYTES(TDB_SKIPLIST_MAX_HEIGHT));
  if (!head) return NULL;
  head->entry = NULL;
  for (i = 0; i < TDB_SKIPLIST_MAX_HEIGHT; i++) {
    TDB_SKIP_INIT(&head->next[i], NULL);
    list->finger[i] = head;
  }
  list->arena = arena;
  list->head = head;
  TDB_SKIP_INIT(&list->height, 1);
  list->rng = TDB_SKIP_SEED;
  list->count = 0;
  return list;
}

static int tdbSkipNodeHeight(const TdbSkipNode *node) {
  return (int)((size_t)(node->entry - (const unsigned char *)node->next) /
               sizeof(TdbSkipLink));
}

TDB_PRIVATE TdbSkipNode *tdbSkiplistAllocNode(TdbSkiplist *list, size_t klen,
                                              size_t vlen, unsigned char **key,
                                              unsigned char **value) {
  TdbSkipNode *node;
  unsigned char *p;
  size_t klen_bytes, vlen_bytes, entry_bytes;
  int h;
  if (klen > UINT32_MAX || vlen > UINT32_MAX) return NULL;
  klen_bytes = tdbVarintLength(klen);
  vlen_bytes = tdbVarintLength(vlen);
  /* klen, vlen <= 2^32 - 1, so this cannot overflow a 64-bit size_t; on a
  ** 32-bit one the checks below catch it. */
  entry_bytes = klen_bytes + klen;
  if (entry_bytes < klen) return NULL;
  entry_bytes += vlen_bytes;
  if (entry_bytes > SIZE_MAX - vlen) return NULL;
  entry_bytes += vlen;
  if (entry_bytes > SIZE_MAX - TDB_SKIP_NODE_BYTES(TDB_SKIPLIST_MAX_HEIGHT)) {
    return NULL;
  }
  h = tdbSkipRandomHeight(list);
  node = (TdbSkipNode *)tdbArenaAllocAligned(list->arena,
                                             TDB_SKIP_NODE_BYTES(h) + entry_bytes);
  if (!node) return NULL;
  p = (unsigned char *)node + TDB_SKIP_NODE_BYTES(h);
  node->entry = p;
  p += tdbPutVarint32(p, (uint32_t)klen);
  *key = p;
  p += klen;
  p += tdbPutVarint32(p, (uint32_t)vlen);
  *value = p;
  return node;
}

/* The list height as a reader sees it. Atomic loads want a non-const
** object; the list is not actually const, only this view of it. */
static int tdbSkipHeight(const TdbSkiplist *list) {
  return TDB_SKIP_LOAD_RELAXED(&((TdbSkiplist *)list)->height);
}

/* Start loading what a compare with node reads: its entry pointer and the
** key after its links. The key often starts or ends in the next cache line,
** which a load would only ask for once the pointer has come in: 40 bytes
** on is in that line then for a short key (a SQL row key) of a node 1 or 2
** high. Measured: -4% CPU time of a random single-row UPDATE on a 1M-row
** table. NULL is fine: a prefetch reads nothing (the address is formed as
** an integer, so no arithmetic is done on a null pointer). */
static void tdbSkipPrefetch(const TdbSkipNode *node) {
  TDB_PREFETCH(node);
  TDB_PREFETCH((const void *)((uintptr_t)node + 40));
}

/* The search down from node x (< key, or the head) at `level`: the first
** node whose key is >= key (NULL: none). With prev, also store in prev[i],
** i <= level, the last node at level i whose key is < key; with eq, whether
** the node found has key itself. `stop` (with its compare result stop_c >=
** 0; NULL: none) is a node known not to be < key: the node that ends a
** level is often the next one of the level below, and is not compared
** again. */
static TdbSkipNode *tdbSkipDescend(TdbSkipNode *x, int level, const void *key, size_t klen,
                                   TdbSkipNode **prev, int *eq, TdbSkipNode *stop,
                                   int stop_c) {
  for (;;) {
    TdbSkipNode *next = TDB_SKIP_LOAD(&x->next[level]);
    int c;
    if (level > 0) tdbSkipPrefetch(TDB_SKIP_LOAD_RELAXED(&x->next[level - 1]));
    c = !next ? 1 : next == stop ? stop_c : tdbSkipCompare(next, key, klen);
    if (c < 0) {
      x = next;
    } else {
      if (prev) prev[level] = x;
      if (level == 0) {
        if (eq) *eq = next && c == 0;
        return next;
      }
      stop = next;
      stop_c = c;
      level--;
    }
  }
}

/* The first node whose key is >= key (NULL: none). With prev, also store in
** prev[i] the last node at level i whose key is < key (the head if none). */
static TdbSkipNode *tdbSkipFindGreaterOrEqual(const TdbSkiplist *list,
                                              const void *key, size_t klen,
                                              TdbSkipNode **prev) {
  return tdbSkipDescend(list->head, tdbSkipHeight(list) - 1, key, klen, prev, NULL, NULL, 1);
}

/* The last node whose key is < key: the head if none. */
static TdbSkipNode *tdbSkipFindLessThan(const TdbSkiplist *list,
                                        const void *key, size_t klen) {
  TdbSkipNode *x = list->head;
  int level = tdbSkipHeight(list) - 1;
  for (;;) {
    TdbSkipNode *next = TDB_SKIP_LOAD(&x->next[level]);
    if (next && tdbSkipCompare(next, key, klen) < 0) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

/* The last node: the head if the list is empty. */
static TdbSkipNode *tdbSkipFindLast(const TdbSkiplist *list) {
  TdbSkipNode *x = list->head;
  int level = tdbSkipHeight(list) - 1;
  for (;;) {
    TdbSkipNode *next = TDB_SKIP_LOAD(&x->next[level]);
    if (next) {
      x = next;
    } else {
      if (level == 0) return x;
      level--;
    }
  }
}

/* Writer: what tdbSkipFindGreaterOrEqual(list, key, klen, prev) returns and
** stores, found from the finger when key is greater than the last key linked
** (from the head otherwise).
**
** The finger is the last link's search path, so for a greater key each
** finger[i] is a node < key at level i, and where the finger's successor at
** level i is already >= key (or NULL), finger[i] is prev[i] -- and then so
** is finger[j] at every level j above: the successor at level j is a node at
** level i too, past the last key, so no nearer to it than the one at level i.
** So the search climbs from level 0 while the successor is still < key, and
** descends as usual from the level where it stopped:
**
**   level 2  head ---------------> F2 ------------------------> ...
**   level 1  head -------> F1 ---> ...      (climb: F1's next < key)
**   level 0  head -> .. -> F0 -> n -> key?  (F0's next n < key: climb)
**
** Keys linked in ascending order cost O(1) amortized (a gap of g entries
** after the last key costs O(log g)); a smaller key costs one compare more
** than a search from the head. A key past the finger's successor at level 1
** is tested against the top level's at once: when that is < key too (a far
** key: a random one), the search descends from the top with no climb.
** *eq: whether the node returned has key itself. */
static TdbSkipNode *tdbSkipFindFromFinger(const TdbSkiplist *list, const void *key,
                                          size_t klen, TdbSkipNode **prev, int *eq) {
  TdbSkipNode *const *finger = list->finger;
  TdbSkipNode *next = NULL;
  int height = tdbSkipHeight(list), level = 0, j, c = 1;
  if (finger[0] != list->head && tdbSkipCompare(finger[0], key, klen) >= 0) {
    return tdbSkipDescend(list->head, height - 1, key, klen, prev, eq, NULL, 1);
  }
  while (level < height - 1) {
    next = TDB_SKIP_LOAD(&finger[level]->next[level]);
    c = next ? tdbSkipCompare(next, key, klen) : 1;
    if (c >= 0) break;
    level++;
    if (level == 2 && height > 3) {
      TdbSkipNode *top = TDB_SKIP_LOAD(&finger[height - 1]->next[height - 1]);
      if (top && tdbSkipCompare(top, key, klen) < 0) {
        return tdbSkipDescend(top, height - 1, key, klen, prev, eq, NULL, 1);
      }
    }
    next = NULL;
    c = 1;
  }
  for (j = level + 1; j < height; j++) prev[j] = finger[j];
  return tdbSkipDescend(finger[level], level, key, klen, prev, eq, next, c);
}

/* Writer: link node after prev[i] at each of its levels i, prev[i] being
** the last node < its key at level i for every i below the list height
** (levels the node adds above it are the head's), and make its path the
** finger. */
static void tdbSkipLinkAt(TdbSkiplist *list, TdbSkipNode *node, TdbSkipNode **prev) {
  int h = tdbSkipNodeHeight(node), height = TDB_SKIP_LOAD_RELAXED(&list->height), i;
  if (h > height) {
    for (i = height; i < h; i++) prev[i] = list->head;
    /* A reader that sees the new height before the node only finds NULL
    ** links at the new levels of the head, and drops down: harmless. */
    TDB_SKIP_STORE_RELAXED(&list->height, h);
    height = h;
  }
  for (i = 0; i < h; i++) {
    /* The node is not reachable yet: its own links need no ordering. The
    ** release store into prev[i] publishes it with everything written. */
    TDB_SKIP_INIT(&node->next[i], TDB_SKIP_LOAD_RELAXED(&prev[i]->next[i]));
    TDB_SKIP_STORE(&prev[i]->next[i], node);
  }
  /* The new search path: the node at its levels, prev above them (levels
  ** at or past the height keep the head). */
  for (i = 0; i < h; i++) list->finger[i] = node;
  for (; i < height; i++) list->finger[i] = prev[i];
  list->count++;
}

TDB_PRIVATE int tdbSkiplistLink(TdbSkiplist *list, TdbSkipNode *node) {
  TdbSkipNode *prev[TDB_SKIPLIST_MAX_HEIGHT];
  TdbSkipNode *x;
  const unsigned char *key;
  size_t klen;
  int eq = 0;
  key = tdbSkipEntryKey(node->entry, &klen);
  x = tdbSkipFindFromFinger(list, key, klen, prev, &eq);
  if (x && eq) return TDB_MISUSE;
  tdbSkipLinkAt(list, node, prev);
  return TDB_OK;
}

/* One search of tdbSkiplistLinkPair: tdbSkipDescend's state, advanced one
** node at a time so that two searches can take turns. */
typedef struct TdbSkipLane {
  TdbSkipNode *x;            /* the current node, < key (or the head) */
  TdbSkipNode *stop;         /* as tdbSkipDescend's stop and stop_c */
  TdbSkipNode **prev;        /* prev[i]: the last node < key at level i */
  const unsigned char *key;
  size_t klen;
  int level, stop_c;
  int eq;                    /* at the end: the key is in the list */
} TdbSkipLane;

/* One step of tdbSkipDescend on a lane: compare the candidate (x's
** successor at its level) and go right or down. Returns 1 once the search
** has ended (prev filled, eq set). Before returning it prefetches the next
** candidate, and while comparing the one below, so the other lane's step
** runs while they load. */
static inline int tdbSkipLaneStep(TdbSkipLane *l) {
  TdbSkipNode *next = TDB_SKIP_LOAD(&l->x->next[l->level]);
  int c;
  if (l->level > 0) tdbSkipPrefetch(TDB_SKIP_LOAD_RELAXED(&l->x->next[l->level - 1]));
  c = !next ? 1 : next == l->stop ? l->stop_c : tdbSkipCompare(next, l->key, l->klen);
  if (c < 0) {
    l->x = next;
  } else {
    l->prev[l->level] = l->x;
    if (l->level == 0) {
      l->eq = next && c == 0;
      return 1;
    }
    l->stop = next;
    l->stop_c = c;
    l->level--;
  }
  tdbSkipPrefetch(TDB_SKIP_LOAD_RELAXED(&l->x->next[l->level]));
  return 0;
}

static void tdbSkipLaneInit(TdbSkipLane *l, const TdbSkiplist *list, const TdbSkipNode *node,
                            TdbSkipNode **prev) {
  l->key = tdbSkipEntryKey(node->entry, &l->klen);
  l->x = list->head;
  l->stop = NULL;
  l->prev = prev;
  l->level = tdbSkipHeight(list) - 1;
  l->stop_c = 1;
  l->eq = 0;
}

TDB_PRIVATE int tdbSkiplistLinkPair(TdbSkiplist *list, TdbSkipNode *a, TdbSkipNode *b) {
  TdbSkipNode *pa[TDB_SKIPLIST_MAX_HEIGHT], *pb[TDB_SKIPLIST_MAX_HEIGHT];
  TdbSkipLane la, lb;
  int da = 0, db = 0, height = tdbSkipHeight(list), ha = tdbSkipNodeHeight(a), i;
  tdbSkipLaneInit(&la, list, a, pa);
  tdbSkipLaneInit(&lb, list, b, pb);
  if (tdbIkeyCompare(la.key, la.klen, lb.key, lb.klen) >= 0) return TDB_MISUSE;
  /* both searches from the head, a step of each in turn: their cache
  ** misses overlap */
  while (!da || !db) {
    if (!da) da = tdbSkipLaneStep(&la);
    if (!db) db = tdbSkipLaneStep(&lb);
  }
  if (la.eq || lb.eq) return TDB_MISUSE;
  /* the levels a adds to the list: both paths pass the head there */
  for (i = height; i < ha; i++) pa[i] = pb[i] = list->head;
  /* b's path once a is linked: a is now the last node < b's key at each of
  ** a's levels where nothing lay between them, i.e. where both paths pass
  ** the same node (a < b) */
  for (i = 0; i < ha; i++) {
    if (pb[i] == pa[i]) pb[i] = a;
  }
  tdbSkipLinkAt(list, a, pa);
  tdbSkipLinkAt(list, b, pb);
  return TDB_OK;
}

TDB_PRIVATE int tdbSkiplistInsert(TdbSkiplist *list, const void *key,
                                  size_t klen, const void *value,
                                  size_t vlen) {
  unsigned char *kdst, *vdst;
  TdbSkipNode *node;
  if (klen > UINT32_MAX || vlen > UINT32_MAX) return TDB_TOOBIG;
  node = tdbSkiplistAllocNode(list, klen, vlen, &kdst, &vdst);
  if (!node) return TDB_NOMEM;
  if (klen) memcpy(kdst, key, klen);
  if (vlen) memcpy(vdst, value, vlen);
  return tdbSkiplistLink(list, node);
}

TDB_PRIVATE size_t tdbSkiplistCount(const TdbSkiplist *list) {
  return list->count;
}

/* ---- Iterators ----------------------------------------------------------- */

TDB_PRIVATE void tdbSkiplistIterInit(TdbSkiplistIter *it,
                                     const TdbSkiplist *list) {
  it->list = list;
  it->node = NULL;
}

TDB_PRIVATE int tdbSkiplistIterValid(const TdbSkiplistIter *it) {
  return it->node != NULL;
}

TDB_PRIVATE const unsigned char *tdbSkiplistIterKey(const TdbSkiplistIter *it,
                                                    size_t *klen) {
  return tdbSkipEntryKey(it->node->entry, klen);
}

TDB_PRIVATE const unsigned char *tdbSkiplistIterValue(
    const TdbSkiplistIter *it, size_t *vlen) {
  size_t klen;
  const unsigned char *p = tdbSkipEntryKey(it->node->entry, &klen) + klen;
  uint32_t n = 0;
  size_t used = tdbGetVarint32(p, p + TDB_VARINT32_MAX, &n);
  *vlen = n;
  return p + used;
}

TDB_PRIVATE void tdbSkiplistIterNext(TdbSkiplistIter *it) {
  it->node = TDB_SKIP_LOAD(&((TdbSkipNode *)it->node)->next[0]);
}

TDB_PRIVATE void tdbSkiplistIterPrev(TdbSkiplistIter *it) {
  size_t klen;
  const unsigned char *key = tdbSkipEntryKey(it->node->entry, &klen);
  const TdbSkipNode *x = tdbSkipFindLessThan(it->list, key, klen);
  it->node = x == it->list->head ? NULL : x;
}

TDB_PRIVATE void tdbSkiplistIterSeek(TdbSkiplistIter *it, const void *target,
                                     size_t tlen) {
  it->node = tdbSkipFindGreaterOrEqual(it->list, target, tlen, NULL);
}

TDB_PRIVATE void tdbSkiplistIterSeekToFirst(TdbSkiplistIter *it) {
  it->node = TDB_SKIP_LOAD(&it->list->head->next[0]);
}

TDB_PRIVATE void tdbSkiplistIterSeekToLast(TdbSkiplistIter *it) {
  const TdbSkipNode *x = tdbSkipFindLast(it->list);
  it->node = x == it->list->head ? NULL : x;
}
