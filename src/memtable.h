/*
** memtable.h — the in-memory table of recent writes: every version of every
** key written since the last flush, in internal-key order, in an arena.
**
** One writer (tdbMemtableAdd) and any number of concurrent readers
** (tdbMemtableGet, iterators) without locks; see skiplist.h. When the table
** is full (tdbMemtableApproximateBytes over the configured size) the engine
** stops adding to it and queues it, immutable, for a flush to an SSTable;
** readers and the flush hold references (tdbMemtableRef/Unref) and the
** memory goes with the last one.
**
** Entry of one version (one skiplist node; the key is an internal key,
** ikey.h):
**
**   +---------------+----------+-----------------+------------+-----------+
**   | klen varint32 | user key | ~seq|kind (8 B) | vlen       | value     |
**   | = n + 8       | (n B)    | tag, BE         | varint32   | (vlen B)  |
**   +---------------+----------+-----------------+------------+-----------+
**                   \___ internal key (klen bytes) _/
**
** A DELETE version is stored with an empty value.
*/
#ifndef TDB_MEMTABLE_H
#define TDB_MEMTABLE_H

#include "tdb_internal.h"
#include "mem.h"
#include "ikey.h"
#include "skiplist.h"

typedef struct TdbMemtable TdbMemtable;

/* A position among the internal keys of a memtable; thin over the skiplist
** iterator. The memtable must stay referenced while it is in use. */
typedef struct TdbMemtableIter {
  TdbSkiplistIter it;
} TdbMemtableIter;

/* The storage engine (store.c, tablecache.c) calls these; TDB_MAYBE_UNUSED
** keeps a build that leaves one uncalled (a TDB_OMIT_*, a refactor) free of
** -Wunused-function, as the unit tests reach them all. */

/* A new empty memtable holding one reference, or NULL on no memory. mem
** must outlive it. */
TDB_PRIVATE TDB_MAYBE_UNUSED TdbMemtable *tdbMemtableNew(TdbMem *mem);

/* Destroy at once, whatever the reference count (single-owner use and error
** paths; no other reference may be in use). NULL is a no-op. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableFree(TdbMemtable *mt);

/* Take one more reference (any thread). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableRef(TdbMemtable *mt);

/* Drop one reference (any thread); the last one frees the table. NULL is a
** no-op. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableUnref(TdbMemtable *mt);

/* Writer: add the version (seq, kind) of user_key with a value (ignored,
** stored empty, for TDB_KIND_DELETE). Returns TDB_OK; TDB_NOMEM (the table
** unchanged); TDB_TOOBIG (the key + 8 or the value exceeds UINT32_MAX
** bytes); TDB_MISUSE for a kind that is not a TDB_KIND_*, a seq above
** TDB_IKEY_MAX_SEQ, or a (user_key, seq, kind) already present. The caller
** gives each write of a key its own seq: two kinds of one key at one seq
** would both be kept, and the DELETE would sort (and read) first. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbMemtableAdd(TdbMemtable *mt, uint64_t seq,
                                                int kind, const void *user_key,
                                                size_t klen, const void *value,
                                                size_t vlen);

/* One version to add with tdbMemtableAddPair (the arguments of
** tdbMemtableAdd but seq). */
typedef struct TdbMemtableEntry {
  int kind;
  const void *key;
  size_t klen;
  const void *value;
  size_t vlen;
} TdbMemtableEntry;

/* Writer: tdbMemtableAdd of a and b at seq, a's user key before b's, in
** one step whose two skiplist searches overlap (tdbSkiplistLinkPair): for
** keys that are not near each other (a record's first two). Returns what
** tdbMemtableAdd would for either, and the table is unchanged unless it
** is TDB_OK; TDB_MISUSE too when a's user key is not before b's. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbMemtableAddPair(TdbMemtable *mt, uint64_t seq,
                                                    const TdbMemtableEntry *a,
                                                    const TdbMemtableEntry *b);

/* Any thread: look up the newest version of user_key with seq <= as_of_seq
** (TDB_IKEY_MAX_SEQ or above: the newest of all). *found = 1 and *kind, and
** for a VALUE *value and *vlen (valid while the table lives; DELETE: an empty
** value), or *found = 0 when no such version is here. Returns TDB_OK, or
** TDB_NOMEM when a long key needs a seek buffer that cannot be had. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbMemtableGet(TdbMemtable *mt,
                                                const void *user_key,
                                                size_t klen, uint64_t as_of_seq,
                                                int *found, int *kind,
                                                const unsigned char **value,
                                                size_t *vlen);

/* Bytes of memory the table holds (its arena): writer thread, or any thread
** once the table is immutable. */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbMemtableApproximateBytes(
    const TdbMemtable *mt);

/* Versions stored (writer thread, or any once immutable). */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbMemtableCount(const TdbMemtable *mt);

/* Iterators over the internal keys (ikey.h order: user key, newest first).
** Key returns the internal key, Value the value; same contracts as the
** skiplist iterator. Seek takes an internal key (tdbIkeySeekKey makes one
** for "user key as of seq"). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableIterInit(TdbMemtableIter *it,
                                                      const TdbMemtable *mt);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbMemtableIterValid(
    const TdbMemtableIter *it);
TDB_PRIVATE TDB_MAYBE_UNUSED const unsigned char *tdbMemtableIterKey(
    const TdbMemtableIter *it, size_t *klen);
TDB_PRIVATE TDB_MAYBE_UNUSED const unsigned char *tdbMemtableIterValue(
    const TdbMemtableIter *it, size_t *vlen);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableIterNext(TdbMemtableIter *it);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableIterPrev(TdbMemtableIter *it);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableIterSeek(TdbMemtableIter *it,
                                                      const void *ikey,
                                                      size_t n);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableIterSeekToFirst(
    TdbMemtableIter *it);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMemtableIterSeekToLast(
    TdbMemtableIter *it);

#endif /* TDB_MEMTABLE_H */
