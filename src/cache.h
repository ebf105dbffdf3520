/*
** cache.h — the block cache: a CLOCK (second-chance) cache with a byte
** budget (block_cache_bytes), keyed by (table id, block offset).
**
** Entries are reference counted. Lookup and Insert return a pinned handle;
** the value stays alive until the handle is released, even if the entry is
** evicted or replaced meanwhile (then its deleter runs at the last release).
** Only unpinned entries are evicted, while the charge of all cached entries
** exceeds the budget: the oldest first, except that an entry looked up since
** the clock hand last passed it survives one more turn. A hit writes only
** the entry itself (no list relinking). Pinned entries count against the
** budget but are never dropped, so usage may exceed the budget while many
** handles are held. An entry whose charge alone exceeds the budget of its
** shard is not cached at all (Insert still returns a handle).
**
** Thread safety: with TDB_THREADS every shard has a mutex and all calls may
** come from any thread. The key space is split into 2^shard_bits shards by
** hash, each with its own budget (capacity >> shard_bits) and lock.
**
**   shard:  hash table (chains) --> entries
**           ring: every cached entry, oldest at the hand, newest behind it
*/
#ifndef TDB_CACHE_H
#define TDB_CACHE_H

#include "tdb_internal.h"
#include "mem.h"

#define TDB_CACHE_MAX_SHARD_BITS 8

/* The engine and the tests call all of these; TDB_MAYBE_UNUSED keeps the
** amalgamation free of -Wunused-function while a build leaves one uncalled. */

typedef struct TdbCache TdbCache;
typedef struct TdbCacheHandle TdbCacheHandle;
/* Frees a value when its entry dies (called without the shard lock). */
typedef void (*TdbCacheDeleter)(void *ctx, void *value);

/* A cache entry. Its fields belong to cache.c; the type is here so that a
** value can carry the memory of its own handle (tdbCacheInsertIn): a hit
** then reads the entry and the value from adjacent memory. */
struct TdbCacheHandle {
  TdbCacheHandle *chain; /* next in the hash bucket */
  TdbCacheHandle *prev, *next;
  uint64_t id, off;
  uint32_t hash;
  uint32_t refs;
  unsigned char in_cache;
  unsigned char referenced; /* looked up since the hand last passed */
  unsigned char embedded;   /* lives in the value's memory (InsertIn) */
  void *value;
  size_t charge;
  TdbCacheDeleter del;
  void *del_ctx;
};


/* A cache of `capacity` bytes split into 2^shard_bits shards (0..8).
** TDB_OK or TDB_NOMEM. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbCacheNew(TdbMem *mem, size_t capacity,
                                             int shard_bits, TdbCache **out);

/* Free the cache and every value. Every handle must have been released.
** NULL is a no-op. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCacheFree(TdbCache *c);

/* A pinned handle of (id, off), or NULL when it is not cached. */
TDB_PRIVATE TDB_MAYBE_UNUSED TdbCacheHandle *tdbCacheLookup(TdbCache *c,
                                                            uint64_t id,
                                                            uint64_t off);

/* Cache `value` under (id, off) with `charge` bytes, replacing any entry of
** that key, and return a pinned handle in *out. On TDB_OK the cache owns
** value (deleter(del_ctx, value) frees it); on TDB_NOMEM it does not. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbCacheInsert(
    TdbCache *c, uint64_t id, uint64_t off, void *value, size_t charge,
    TdbCacheDeleter del, void *del_ctx, TdbCacheHandle **out);

/* Insert as tdbCacheInsert, with the entry's handle placed in `space`
** (memory the caller provides, usually part of the value's allocation)
** instead of allocated, so it cannot fail. The deleter must free that
** memory or leave it to whoever does: the cache does not touch the handle
** once it has called the deleter. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCacheInsertIn(
    TdbCache *c, TdbCacheHandle *space, uint64_t id, uint64_t off, void *value,
    size_t charge, TdbCacheDeleter del, void *del_ctx, TdbCacheHandle **out);
TDB_PRIVATE TDB_MAYBE_UNUSED void *tdbCacheValue(const TdbCacheHandle *h);

/* Unpin (NULL is a no-op). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCacheRelease(TdbCache *c,
                                                  TdbCacheHandle *h);

/* Drop (id, off) / every entry of table `id` from the cache (pinned ones
** live on until released). Call EraseId when a table file is deleted. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCacheErase(TdbCache *c, uint64_t id,
                                                uint64_t off);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCacheEraseId(TdbCache *c, uint64_t id);

/* A new table id, unique within this cache (1, 2, ...). The engine may use
** file numbers instead. */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbCacheNewId(TdbCache *c);

/* Charge of all cached entries (pinned or not) / of pinned ones only. */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbCacheUsage(TdbCache *c);
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbCachePinnedUsage(TdbCache *c);
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbCacheCapacity(const TdbCache *c);

#endif /* TDB_CACHE_H */
