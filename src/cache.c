/*
** cache.c — sharded CLOCK block cache with reference-counted handles
** (contract in cache.h).
**
** An entry has one reference for being in the cache (in_cache) plus one per
** handle. Every cached entry sits on its shard's ring, newest just behind
** the hand; !in_cache entries are on no ring and are freed when their last
** handle goes. A hit only bumps refs and sets `referenced` in the entry
** itself: no list is relinked, so a hit touches the entry's cache line and
** its hash chain, not its neighbours'. Eviction moves the hand forward:
** pinned entries (refs > 1) are passed, a referenced one loses its flag and
** is passed once (second chance), anything else is evicted.
**
**   ring:  sentinel -> e1 -> e2 -> ... -> en -> sentinel   (circular)
**                       ^hand                ^newest (inserted before hand)
*/
#include "cache.h"
#include "thread.h"

typedef struct TdbCacheShard {
  TdbMutex mu;
  size_t capacity, usage, pinned;
  TdbCacheHandle ring; /* sentinel of the circular list of cached entries */
  TdbCacheHandle *hand; /* the next entry eviction looks at (may be &ring) */
  TdbCacheHandle **buckets;
  size_t nbuckets; /* power of two */
  size_t count;
} TdbCacheShard;

struct TdbCache {
  TdbMem *mem;
  size_t capacity;
  int shard_bits;
  TdbMutex id_mu;
  uint64_t last_id;
  TdbCacheShard *shards;
};

static uint32_t tdbCacheHash(uint64_t id, uint64_t off) {
  uint64_t h = id * UINT64_C(0x9E3779B97F4A7C15) ^ off;
  h ^= h >> 31;
  h *= UINT64_C(0xBF58476D1CE4E5B9);
  h ^= h >> 29;
  return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static void tdbCacheListRemove(TdbCacheHandle *e) {
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->prev = e->next = NULL;
}

/* Link e just before x: with x the hand, e becomes the newest entry. */
static void tdbCacheListInsertBefore(TdbCacheHandle *x, TdbCacheHandle *e) {
  e->next = x;
  e->prev = x->prev;
  e->prev->next = e;
  x->prev = e;
}

static TdbCacheHandle **tdbCacheFind(TdbCacheShard *s, uint64_t id,
                                     uint64_t off, uint32_t hash) {
  TdbCacheHandle **p = &s->buckets[hash & (s->nbuckets - 1)];
  while (*p && ((*p)->hash != hash || (*p)->id != id || (*p)->off != off)) {
    p = &(*p)->chain;
  }
  return p;
}

/* Double the bucket array (best effort: on no memory keep chaining). */
static void tdbCacheResize(TdbCache *c, TdbCacheShard *s) {
  size_t n = s->nbuckets * 2, i;
  TdbCacheHandle **nb;
  if (n > SIZE_MAX / sizeof *nb)
    return;
  nb = (TdbCacheHandle **)tdbMemAllocZero(c->mem, n * sizeof *nb);
  if (!nb)
    return;
  for (i = 0; i < s->nbuckets; i++) {
    TdbCacheHandle *e = s->buckets[i];
    while (e) {
      TdbCacheHandle *nx = e->chain;
      TdbCacheHandle **slot = &nb[e->hash & (n - 1)];
      e->chain = *slot;
      *slot = e;
      e = nx;
    }
  }
  tdbMemFree(c->mem, s->buckets);
  s->buckets = nb;
  s->nbuckets = n;
}

/* Free a dead entry: its value, then the handle unless it lives inside the
** value's memory (tdbCacheInsertIn), which the deleter has just freed. */
static void tdbCacheFreeEntry(TdbCache *c, TdbCacheHandle *e) {
  int embedded = e->embedded;
  if (e->del)
    e->del(e->del_ctx, e->value);
  if (!embedded)
    tdbMemFree(c->mem, e);
}

/* Take e (found at *slot) out of the cache; returns 1 when the caller must
** free it (no handle left). Shard locked. */
static int tdbCacheDetach(TdbCacheShard *s, TdbCacheHandle **slot,
                          TdbCacheHandle *e) {
  *slot = e->chain;
  e->chain = NULL;
  if (s->hand == e)
    s->hand = e->next;
  tdbCacheListRemove(e);
  e->in_cache = 0;
  s->usage -= e->charge;
  s->count--;
  if (e->refs > 1)
    s->pinned -= e->charge;
  e->refs--;
  return e->refs == 0;
}

/* Evict unpinned entries until usage <= capacity; collect them on *dead
** (freed by the caller after unlocking). Two turns of the hand clear every
** flag and reach every unpinned entry, so the sweep stops after that many
** steps even when pinned entries keep usage over the budget. Shard locked. */
static void tdbCacheEvict(TdbCacheShard *s, TdbCacheHandle **dead) {
  size_t steps = 2 * (s->count + 1);
  while (s->usage > s->capacity && steps-- > 0) {
    TdbCacheHandle *e = s->hand, **slot;
    s->hand = e->next;
    if (e == &s->ring || e->refs > 1)
      continue;
    if (e->referenced) {
      e->referenced = 0;
      continue;
    }
    slot = tdbCacheFind(s, e->id, e->off, e->hash);
    if (tdbCacheDetach(s, slot, e)) {
      e->chain = *dead;
      *dead = e;
    }
  }
}

static void tdbCacheFreeList(TdbCache *c, TdbCacheHandle *dead) {
  while (dead) {
    TdbCacheHandle *nx = dead->chain;
    tdbCacheFreeEntry(c, dead);
    dead = nx;
  }
}

TDB_PRIVATE int tdbCacheNew(TdbMem *mem, size_t capacity, int shard_bits,
                            TdbCache **out) {
  TdbCache *c;
  size_t n, i;
  *out = NULL;
  if (shard_bits < 0)
    shard_bits = 0;
  if (shard_bits > TDB_CACHE_MAX_SHARD_BITS)
    shard_bits = TDB_CACHE_MAX_SHARD_BITS;
  n = (size_t)1 << shard_bits;
  c = (TdbCache *)tdbMemAllocZero(mem, sizeof *c);
  if (!c)
    return TDB_NOMEM;
  c->mem = mem;
  c->capacity = capacity;
  c->shard_bits = shard_bits;
  c->shards = (TdbCacheShard *)tdbMemAllocZero(mem, n * sizeof *c->shards);
  if (!c->shards || tdbMutexInit(&c->id_mu) != TDB_OK) {
    tdbMemFree(mem, c->shards);
    tdbMemFree(mem, c);
    return TDB_NOMEM;
  }
  for (i = 0; i < n; i++) {
    TdbCacheShard *s = &c->shards[i];
    s->capacity = capacity >> shard_bits;
    s->ring.next = s->ring.prev = &s->ring;
    s->hand = &s->ring;
    s->nbuckets = 16;
    s->buckets =
        (TdbCacheHandle **)tdbMemAllocZero(mem, 16 * sizeof *s->buckets);
    if (!s->buckets || tdbMutexInit(&s->mu) != TDB_OK) {
      tdbMemFree(mem, s->buckets);
      s->buckets = NULL;
      while (i-- > 0) {
        tdbMutexDestroy(&c->shards[i].mu);
        tdbMemFree(mem, c->shards[i].buckets);
      }
      tdbMutexDestroy(&c->id_mu);
      tdbMemFree(mem, c->shards);
      tdbMemFree(mem, c);
      return TDB_NOMEM;
    }
  }
  *out = c;
  return TDB_OK;
}

TDB_PRIVATE void tdbCacheFree(TdbCache *c) {
  size_t n, i, b;
  if (!c)
    return;
  n = (size_t)1 << c->shard_bits;
  for (i = 0; i < n; i++) {
    TdbCacheShard *s = &c->shards[i];
    for (b = 0; b < s->nbuckets; b++) {
      TdbCacheHandle *e = s->buckets[b];
      while (e) {
        TdbCacheHandle *nx = e->chain;
        tdbCacheFreeEntry(c, e); /* handles must all be released by now */
        e = nx;
      }
    }
    tdbMemFree(c->mem, s->buckets);
    tdbMutexDestroy(&s->mu);
  }
  tdbMutexDestroy(&c->id_mu);
  tdbMemFree(c->mem, c->shards);
  tdbMemFree(c->mem, c);
}

static TdbCacheShard *tdbCacheShardOf(TdbCache *c, uint32_t hash) {
  return &c->shards[c->shard_bits ? hash >> (32 - c->shard_bits) : 0];
}

/* Pin e (shard locked). */
static void tdbCacheRef(TdbCacheShard *s, TdbCacheHandle *e) {
  if (e->refs == 1 && e->in_cache)
    s->pinned += e->charge;
  e->refs++;
  e->referenced = 1;
}

TDB_PRIVATE TdbCacheHandle *tdbCacheLookup(TdbCache *c, uint64_t id,
                                           uint64_t off) {
  uint32_t hash = tdbCacheHash(id, off);
  TdbCacheShard *s = tdbCacheShardOf(c, hash);
  TdbCacheHandle *e;
  tdbMutexLock(&s->mu);
  e = *tdbCacheFind(s, id, off, hash);
  if (e)
    tdbCacheRef(s, e);
  tdbMutexUnlock(&s->mu);
  return e;
}

/* Link the handle e (allocated by the caller, or inside the value's memory
** when embedded) into the cache as (id, off) and return it pinned in *out. */
static void tdbCacheAdd(TdbCache *c, TdbCacheHandle *e, int embedded,
                        uint64_t id, uint64_t off, void *value, size_t charge,
                        TdbCacheDeleter del, void *del_ctx,
                        TdbCacheHandle **out) {
  uint32_t hash = tdbCacheHash(id, off);
  TdbCacheShard *s = tdbCacheShardOf(c, hash);
  TdbCacheHandle **slot, *dead = NULL;
  memset(e, 0, sizeof *e);
  e->embedded = (unsigned char)embedded;
  e->id = id;
  e->off = off;
  e->hash = hash;
  e->value = value;
  e->charge = charge;
  e->del = del;
  e->del_ctx = del_ctx;
  e->refs = 1; /* the caller's handle */
  tdbMutexLock(&s->mu);
  slot = tdbCacheFind(s, id, off, hash);
  if (*slot) { /* replace: the old entry lives on while pinned */
    TdbCacheHandle *old = *slot;
    if (tdbCacheDetach(s, slot, old)) {
      old->chain = dead;
      dead = old;
    }
  }
  if (charge <= s->capacity) {
    slot = tdbCacheFind(s, id, off, hash);
    e->in_cache = 1;
    e->refs++;
    *slot = e;
    tdbCacheListInsertBefore(s->hand, e);
    s->usage += charge;
    s->pinned += charge;
    s->count++;
    if (s->count > s->nbuckets)
      tdbCacheResize(c, s);
    tdbCacheEvict(s, &dead);
  }
  tdbMutexUnlock(&s->mu);
  tdbCacheFreeList(c, dead);
  *out = e;
}

TDB_PRIVATE int tdbCacheInsert(TdbCache *c, uint64_t id, uint64_t off,
                               void *value, size_t charge, TdbCacheDeleter del,
                               void *del_ctx, TdbCacheHandle **out) {
  TdbCacheHandle *e = (TdbCacheHandle *)tdbMemAlloc(c->mem, sizeof *e);
  *out = NULL;
  if (!e)
    return TDB_NOMEM;
  tdbCacheAdd(c, e, 0, id, off, value, charge, del, del_ctx, out);
  return TDB_OK;
}

TDB_PRIVATE void tdbCacheInsertIn(TdbCache *c, TdbCacheHandle *space,
                                  uint64_t id, uint64_t off, void *value,
                                  size_t charge, TdbCacheDeleter del,
                                  void *del_ctx, TdbCacheHandle **out) {
  tdbCacheAdd(c, space, 1, id, off, value, charge, del, del_ctx, out);
}

TDB_PRIVATE void *tdbCacheValue(const TdbCacheHandle *h) {
  return h->value;
}

TDB_PRIVATE void tdbCacheRelease(TdbCache *c, TdbCacheHandle *h) {
  TdbCacheShard *s;
  TdbCacheHandle *dead = NULL;
  int free_it = 0;
  if (!h)
    return;
  s = tdbCacheShardOf(c, h->hash);
  tdbMutexLock(&s->mu);
  h->refs--;
  if (h->refs == 0) {
    free_it = 1; /* already out of the cache */
  } else if (h->refs == 1 && h->in_cache) {
    s->pinned -= h->charge;
    if (s->usage > s->capacity)
      tdbCacheEvict(s, &dead); /* pinned entries may have held usage high */
  }
  tdbMutexUnlock(&s->mu);
  tdbCacheFreeList(c, dead);
  if (free_it)
    tdbCacheFreeEntry(c, h);
}

TDB_PRIVATE void tdbCacheErase(TdbCache *c, uint64_t id, uint64_t off) {
  uint32_t hash = tdbCacheHash(id, off);
  TdbCacheShard *s = tdbCacheShardOf(c, hash);
  TdbCacheHandle **slot, *e, *dead = NULL;
  tdbMutexLock(&s->mu);
  slot = tdbCacheFind(s, id, off, hash);
  e = *slot;
  if (e && tdbCacheDetach(s, slot, e))
    dead = e;
  tdbMutexUnlock(&s->mu);
  if (dead)
    tdbCacheFreeEntry(c, dead);
}

TDB_PRIVATE void tdbCacheEraseId(TdbCache *c, uint64_t id) {
  size_t n = (size_t)1 << c->shard_bits, i, b;
  for (i = 0; i < n; i++) {
    TdbCacheShard *s = &c->shards[i];
    TdbCacheHandle *dead = NULL;
    tdbMutexLock(&s->mu);
    for (b = 0; b < s->nbuckets; b++) {
      TdbCacheHandle **slot = &s->buckets[b];
      while (*slot) {
        TdbCacheHandle *e = *slot;
        if (e->id != id) {
          slot = &e->chain;
          continue;
        }
        if (tdbCacheDetach(s, slot, e)) { /* *slot now is e's successor */
          e->chain = dead;
          dead = e;
        }
      }
    }
    tdbMutexUnlock(&s->mu);
    tdbCacheFreeList(c, dead);
  }
}

TDB_PRIVATE uint64_t tdbCacheNewId(TdbCache *c) {
  uint64_t id;
  tdbMutexLock(&c->id_mu);
  id = ++c->last_id;
  tdbMutexUnlock(&c->id_mu);
  return id;
}

static size_t tdbCacheSum(TdbCache *c, int pinned) {
  size_t n = (size_t)1 << c->shard_bits, i, total = 0;
  for (i = 0; i < n; i++) {
    TdbCacheShard *s = &c->shards[i];
    tdbMutexLock(&s->mu);
    total += pinned ? s->pinned : s->usage;
    tdbMutexUnlock(&s->mu);
  }
  return total;
}

TDB_PRIVATE size_t tdbCacheUsage(TdbCache *c) {
  return tdbCacheSum(c, 0);
}
TDB_PRIVATE size_t tdbCachePinnedUsage(TdbCache *c) {
  return tdbCacheSum(c, 1);
}
TDB_PRIVATE size_t tdbCacheCapacity(const TdbCache *c) {
  return c->capacity;
}
