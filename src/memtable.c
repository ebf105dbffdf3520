/*
** memtable.c — the in-memory table of recent versions (see memtable.h).
*/
#include "memtable.h"
#include "arena.h"

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
};

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

TDB_PRIVATE int tdbMemtableAdd(TdbMemtable *mt, uint64_t seq, int kind,
                               const void *user_key, size_t klen,
                               const void *value, size_t vlen) {
  TdbSkipNode *node;
  unsigned char *kdst, *vdst;
  if (kind != TDB_KIND_DELETE && kind != TDB_KIND_VALUE) return TDB_MISUSE;
  if (seq > TDB_IKEY_MAX_SEQ) return TDB_MISUSE;
  if (kind == TDB_KIND_DELETE) vlen = 0;
  if (klen > UINT32_MAX - TDB_IKEY_TAG_SIZE || vlen > UINT32_MAX) {
    return TDB_TOOBIG;
  }
  node = tdbSkiplistAllocNode(mt->list, klen + TDB_IKEY_TAG_SIZE, vlen, &kdst,
                              &vdst);
  if (!node) return TDB_NOMEM;
  tdbIkeyEncode(kdst, user_key, klen, seq, kind);
  if (vlen) memcpy(vdst, value, vlen);
  return tdbSkiplistLink(mt->list, node);
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
