/*
** memtable.c — the in-memory table of recent versions (see memtable.h).
*/
#include "memtable.h"
#include "arena.h"
#include "bloom.h"

/* The reference count: atomic with threads (readers and the flush drop
** their references on their own threads). */
#if TDB_THREADS
#include <stdatomic.h>
typedef atomic_int TdbMemtableRefs;
#define TDB_MEMTABLE_REFS_INIT(p, v) atomic_init((p), (v))
#define TDB_MEMTABLE_REFS_INC(p) \
  ((void)atomic_fetch_add_explicit((p), 1, memory_order_relaxed))
/* Acquire-release: the freeing thread sees every use by the others. */
#define TDB_MEMTABLE_REFS_DEC(p) \
  (atomic_fetch_sub_explicit((p), 1, memory_order_acq_rel) - 1)
#else
typedef int TdbMemtableRefs;
#define TDB_MEMTABLE_REFS_INIT(p, v) (*(p) = (v))
#define TDB_MEMTABLE_REFS_INC(p) ((void)++*(p))
#define TDB_MEMTABLE_REFS_DEC(p) (--*(p))
#endif

/* The filter's words: relaxed atomics with threads (the writer sets bits
** while readers test them; a reader relies only on bits of versions
** published before its snapshot, which the store's publication orders). */
#if TDB_THREADS
typedef _Atomic(uint64_t) TdbFilterWord;
typedef _Atomic(struct TdbMemFilter *) TdbFilterLink;
#define TDB_FILTER_LOAD(p) atomic_load_explicit((p), memory_order_relaxed)
#define TDB_FILTER_STORE(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define TDB_FILTER_INIT(p, v) atomic_init((p), (v))
#define TDB_FILTER_LINK_LOAD(p) atomic_load_explicit((p), memory_order_acquire)
#define TDB_FILTER_LINK_STORE(p, v) atomic_store_explicit((p), (v), memory_order_release)
#else
typedef uint64_t TdbFilterWord;
typedef struct TdbMemFilter *TdbFilterLink;
#define TDB_FILTER_LOAD(p) (*(p))
#define TDB_FILTER_STORE(p, v) (*(p) = (v))
#define TDB_FILTER_INIT(p, v) (*(p) = (v))
#define TDB_FILTER_LINK_LOAD(p) (*(p))
#define TDB_FILTER_LINK_STORE(p, v) (*(p) = (v))
#endif

/* A filter over the user keys in the table, so a point read of a key the
** table lacks (most reads, once the data outgrows the memtable) skips the
** skiplist search. One 64-bit word per key, four bits in it (a blocked
** Bloom filter: one cache line per test), at least TDB_MEMTABLE_FILTER_BITS
** bits per entry: when the entries outgrow that, the writer builds one four
** times larger from the list and publishes it (the old one stays in the
** arena: readers may still test it, and it holds every key it had). */
#define TDB_MEMTABLE_FILTER_BITS 8
#define TDB_MEMTABLE_FILTER_MIN_WORDS 64
typedef struct TdbMemFilter {
  uint64_t mask;          /* words - 1 (a power of two) */
  TdbFilterWord w[];
} TdbMemFilter;

/* The word index and bits of the key of hash h. */
#define TDB_FILTER_BITS_OF(h)                                           \
  ((UINT64_C(1) << (((h) >> 40) & 63)) | (UINT64_C(1) << (((h) >> 46) & 63)) | \
   (UINT64_C(1) << (((h) >> 52) & 63)) | (UINT64_C(1) << ((h) >> 58)))

/* Arena block size: large enough that a 64 MiB table takes ~1000 blocks,
** small enough for a tiny one. */
#define TDB_MEMTABLE_ARENA_BLOCK ((size_t)64 << 10)

/* Seek keys up to this many bytes are built on the stack in tdbMemtableGet. */
#define TDB_MEMTABLE_SEEK_STACK 256

struct TdbMemtable {
  TdbMem *mem;
  TdbArena arena;
  TdbSkiplist *list;
  TdbMemtableRefs refs;
  TdbFilterLink filter;   /* NULL: none (no memory for one): test nothing */
  size_t filter_cap;      /* writer: entries the filter is sized for */
};

/* A filter of 2^k >= words words, all clear, from the arena (NULL: none). */
static TdbMemFilter *tdbMemFilterNew(TdbArena *arena, size_t words) {
  TdbMemFilter *f;
  size_t i, n = TDB_MEMTABLE_FILTER_MIN_WORDS;
  while (n < words && n <= SIZE_MAX / 4 / sizeof(TdbFilterWord)) n *= 2;
  f = (TdbMemFilter *)tdbArenaAllocAligned(arena, sizeof(*f) + n * sizeof(TdbFilterWord));
  if (!f) return NULL;
  f->mask = n - 1;
  for (i = 0; i < n; i++) TDB_FILTER_INIT(&f->w[i], 0);
  return f;
}

/* Writer: set the bits of hash h. */
static void tdbMemFilterSet(TdbMemFilter *f, uint64_t h) {
  TdbFilterWord *w = &f->w[h & f->mask];
  TDB_FILTER_STORE(w, TDB_FILTER_LOAD(w) | TDB_FILTER_BITS_OF(h));
}

/* Writer: a filter for the entries to come, from the list, once they
** outgrow the current one; kept as it is (more false hits, tried again at
** twice the entries) when there is no memory. */
static void tdbMemFilterGrow(TdbMemtable *mt) {
  size_t want = tdbSkiplistCount(mt->list) * 4 + 1, n;
  TdbMemFilter *f = NULL;
  TdbSkiplistIter it;
  if (want <= SIZE_MAX / TDB_MEMTABLE_FILTER_BITS) {
    f = tdbMemFilterNew(&mt->arena, want * TDB_MEMTABLE_FILTER_BITS / 64);
  }
  if (!f) {
    mt->filter_cap = mt->filter_cap <= SIZE_MAX / 2 ? mt->filter_cap * 2 : SIZE_MAX;
    return;
  }
  tdbSkiplistIterInit(&it, mt->list);
  for (tdbSkiplistIterSeekToFirst(&it); tdbSkiplistIterValid(&it); tdbSkiplistIterNext(&it)) {
    const unsigned char *k = tdbSkiplistIterKey(&it, &n);
    tdbMemFilterSet(f, tdbBloomHash(k, n - TDB_IKEY_TAG_SIZE));
  }
  mt->filter_cap = (size_t)(f->mask + 1) * 64 / TDB_MEMTABLE_FILTER_BITS;
  TDB_FILTER_LINK_STORE(&mt->filter, f);
}

TDB_PRIVATE TdbMemtable *tdbMemtableNew(TdbMem *mem) {
  TdbMemtable *mt = (TdbMemtable *)tdbMemAlloc(mem, sizeof(*mt));
  if (!mt) return NULL;
  mt->mem = mem;
  tdbArenaInit(&mt->arena, mem, TDB_MEMTABLE_ARENA_BLOCK);
  mt->list = tdbSkiplistNew(&mt->arena);
  if (!mt->list) {
    tdbArenaFree(&mt->arena);
    tdbMemFree(mem, mt);
    return NULL;
  }
  TDB_MEMTABLE_REFS_INIT(&mt->refs, 1);
  {
    TdbMemFilter *f = tdbMemFilterNew(&mt->arena, TDB_MEMTABLE_FILTER_MIN_WORDS);
    TDB_FILTER_INIT(&mt->filter, f);
    mt->filter_cap = f ? TDB_MEMTABLE_FILTER_MIN_WORDS * 64 / TDB_MEMTABLE_FILTER_BITS : 0;
  }
  return mt;
}

TDB_PRIVATE void tdbMemtableFree(TdbMemtable *mt) {
  if (!mt) return;
  tdbArenaFree(&mt->arena);
  tdbMemFree(mt->mem, mt);
}

TDB_PRIVATE void tdbMemtableRef(TdbMemtable *mt) {
  TDB_MEMTABLE_REFS_INC(&mt->refs);
}

TDB_PRIVATE void tdbMemtableUnref(TdbMemtable *mt) {
  if (!mt) return;
  if (TDB_MEMTABLE_REFS_DEC(&mt->refs) == 0) tdbMemtableFree(mt);
}

/* Writer: a node for the version (seq, kind) of user_key with its key and
** value written, not linked (the arguments of tdbMemtableAdd). *rc: TDB_OK,
** or (NULL returned) TDB_MISUSE, TDB_TOOBIG or TDB_NOMEM. */
static TdbSkipNode *tdbMemtableNode(TdbMemtable *mt, uint64_t seq, int kind,
                                    const void *user_key, size_t klen, const void *value,
                                    size_t vlen, int *rc) {
  TdbSkipNode *node;
  unsigned char *kdst, *vdst;
  *rc = TDB_MISUSE;
  if (kind != TDB_KIND_DELETE && kind != TDB_KIND_VALUE) return NULL;
  if (seq > TDB_IKEY_MAX_SEQ) return NULL;
  if (kind == TDB_KIND_DELETE) vlen = 0;
  *rc = TDB_TOOBIG;
  if (klen > UINT32_MAX - TDB_IKEY_TAG_SIZE || vlen > UINT32_MAX) return NULL;
  *rc = TDB_NOMEM;
  node = tdbSkiplistAllocNode(mt->list, klen + TDB_IKEY_TAG_SIZE, vlen, &kdst, &vdst);
  if (!node) return NULL;
  tdbIkeyEncode(kdst, user_key, klen, seq, kind);
  if (vlen) memcpy(vdst, value, vlen);
  *rc = TDB_OK;
  return node;
}

/* Writer: the filter to set the keys of `adding` more entries in, grown
** first when the entries outgrow it (NULL: none). */
static TdbMemFilter *tdbMemtableFilterFor(TdbMemtable *mt, size_t adding) {
  TdbMemFilter *f = TDB_FILTER_LINK_LOAD(&mt->filter);
  if (f && tdbSkiplistCount(mt->list) + adding > mt->filter_cap) {
    tdbMemFilterGrow(mt);
    f = TDB_FILTER_LINK_LOAD(&mt->filter);
  }
  return f;
}

TDB_PRIVATE int tdbMemtableAdd(TdbMemtable *mt, uint64_t seq, int kind,
                               const void *user_key, size_t klen,
                               const void *value, size_t vlen) {
  TdbMemFilter *f;
  int rc;
  TdbSkipNode *node = tdbMemtableNode(mt, seq, kind, user_key, klen, value, vlen, &rc);
  if (!node) return rc;
  /* the filter has the key before the list does */
  f = tdbMemtableFilterFor(mt, 1);
  if (f) tdbMemFilterSet(f, tdbBloomHash(user_key, klen));
  return tdbSkiplistLink(mt->list, node);
}

TDB_PRIVATE int tdbMemtableAddPair(TdbMemtable *mt, uint64_t seq, const TdbMemtableEntry *a,
                                   const TdbMemtableEntry *b) {
  TdbSkipNode *na, *nb;
  TdbMemFilter *f;
  uint64_t ha, hb;
  int rc;
  if (tdbIkeyCompareUser(a->key, a->klen, b->key, b->klen) >= 0) return TDB_MISUSE;
  /* a node made and not linked only wastes arena space */
  na = tdbMemtableNode(mt, seq, a->kind, a->key, a->klen, a->value, a->vlen, &rc);
  if (!na) return rc;
  nb = tdbMemtableNode(mt, seq, b->kind, b->key, b->klen, b->value, b->vlen, &rc);
  if (!nb) return rc;
  /* the filter has the keys before the list does (a bit set for a pair
  ** refused below is only a false hit); its two words load together */
  f = tdbMemtableFilterFor(mt, 2);
  if (f) {
    ha = tdbBloomHash(a->key, a->klen);
    TDB_PREFETCH(&f->w[ha & f->mask]);
    hb = tdbBloomHash(b->key, b->klen);
    tdbMemFilterSet(f, ha);
    tdbMemFilterSet(f, hb);
  }
  return tdbSkiplistLinkPair(mt->list, na, nb);
}

TDB_PRIVATE int tdbMemtableGet(TdbMemtable *mt, const void *user_key,
                               size_t klen, uint64_t as_of_seq, int *found,
                               int *kind, const unsigned char **value,
                               size_t *vlen) {
  unsigned char stack[TDB_MEMTABLE_SEEK_STACK];
  unsigned char *seek = stack;
  const unsigned char *key;
  size_t n;
  TdbSkiplistIter it;
  TdbIkeyParsed parsed;

  *found = 0;
  {
    TdbMemFilter *f = TDB_FILTER_LINK_LOAD(&mt->filter);
    if (f) {
      uint64_t h = tdbBloomHash(user_key, klen), bits = TDB_FILTER_BITS_OF(h);
      if ((TDB_FILTER_LOAD(&f->w[h & f->mask]) & bits) != bits) {
        return TDB_OK; /* surely no version of the key */
      }
    }
  }
  if (klen > sizeof(stack) - TDB_IKEY_TAG_SIZE) {
    if (klen > UINT32_MAX - TDB_IKEY_TAG_SIZE) return TDB_OK; /* never stored */
    seek = (unsigned char *)tdbMemAlloc(mt->mem, klen + TDB_IKEY_TAG_SIZE);
    if (!seek) return TDB_NOMEM;
  }
  n = tdbIkeySeekKey(seek, user_key, klen, as_of_seq);
  tdbSkiplistIterInit(&it, mt->list);
  tdbSkiplistIterSeek(&it, seek, n);
  if (seek != stack) tdbMemFree(mt->mem, seek);
  if (!tdbSkiplistIterValid(&it)) return TDB_OK;
  key = tdbSkiplistIterKey(&it, &n);
  /* Every stored key is well formed (tdbMemtableAdd wrote it). */
  if (tdbIkeyDecode(key, n, &parsed) != TDB_OK) return TDB_OK;
  if (tdbIkeyCompareUser(parsed.user_key, parsed.user_len, user_key, klen)) {
    return TDB_OK;   /* the next user key: no version of ours at <= as_of */
  }
  *found = 1;
  *kind = parsed.kind;
  *value = tdbSkiplistIterValue(&it, vlen);
  return TDB_OK;
}

TDB_PRIVATE size_t tdbMemtableApproximateBytes(const TdbMemtable *mt) {
  return tdbArenaMemoryUsage(&mt->arena);
}

TDB_PRIVATE size_t tdbMemtableCount(const TdbMemtable *mt) {
  return tdbSkiplistCount(mt->list);
}

/* ---- Iterators ----------------------------------------------------------- */

TDB_PRIVATE void tdbMemtableIterInit(TdbMemtableIter *it,
                                     const TdbMemtable *mt) {
  tdbSkiplistIterInit(&it->it, mt->list);
}

TDB_PRIVATE int tdbMemtableIterValid(const TdbMemtableIter *it) {
  return tdbSkiplistIterValid(&it->it);
}

TDB_PRIVATE const unsigned char *tdbMemtableIterKey(const TdbMemtableIter *it,
                                                    size_t *klen) {
  return tdbSkiplistIterKey(&it->it, klen);
}

TDB_PRIVATE const unsigned char *tdbMemtableIterValue(
    const TdbMemtableIter *it, size_t *vlen) {
  return tdbSkiplistIterValue(&it->it, vlen);
}

TDB_PRIVATE void tdbMemtableIterNext(TdbMemtableIter *it) {
  tdbSkiplistIterNext(&it->it);
}

TDB_PRIVATE void tdbMemtableIterPrev(TdbMemtableIter *it) {
  tdbSkiplistIterPrev(&it->it);
}

TDB_PRIVATE void tdbMemtableIterSeek(TdbMemtableIter *it, const void *ikey,
                                     size_t n) {
  tdbSkiplistIterSeek(&it->it, ikey, n);
}

TDB_PRIVATE void tdbMemtableIterSeekToFirst(TdbMemtableIter *it) {
  tdbSkiplistIterSeekToFirst(&it->it);
}

TDB_PRIVATE void tdbMemtableIterSeekToLast(TdbMemtableIter *it) {
  tdbSkiplistIterSeekToLast(&it->it);
}
