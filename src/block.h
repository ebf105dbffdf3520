/*
** block.h — the sorted key/value blocks of an SSTable (data blocks and the
** index block): a builder that prefix-compresses keys and a bounds-checked
** reader with an iterator.
**
** Block contents (what the SSTable stores before its 5-byte trailer):
**
**   +---------+-----+-----------+------------+-----+--------------+-----+
**   | entry 0 | ... | entry n-1 | restart[0] | ... | restart[r-1] |  r  |
**   +---------+-----+-----------+------------+-----+--------------+-----+
**                               \____ fixed32 LE offsets ______/ fixed32
**   entry:
**   +-------------+---------------+--------------+---------------+-------+
**   | shared(v32) | unshared(v32) | val len(v32) | key[shared..] | value |
**   +-------------+---------------+--------------+---------------+-------+
**     shared   = bytes of the key in common with the previous entry's key
**     unshared = bytes of the key that follow (stored here)
**
** Every `restart interval` entries (16 for data blocks) an entry is stored
** with shared = 0 and its offset goes to the restart array, so a reader can
** binary-search the restart points and then scan at most one interval.
** restart[0] = 0; offsets strictly ascend and lie before the restart array.
** An empty block is just r = 0 (4 bytes), which the builder writes when it
** has no entries.
**
** Keys are ordered by a comparator given to the iterator (any total order
** consistent with how the builder was fed; the builder does not compare).
**
** Robustness: tdbBlockParse checks the restart array; the iterator checks
** every varint and length against the entry region and never reads outside
** [data, data + size). A malformed entry stops the iterator (not valid) with
** rc TDB_CORRUPT and err_off = the block offset of the bad entry.
*/
#ifndef TDB_BLOCK_H
#define TDB_BLOCK_H

#include "tdb_internal.h"
#include "mem.h"

/* Entries between restart points of a data block. A point read binary-
** searches the restarts, then walks at most this many entries, copying each
** key: with SQL rows of ~130 bytes, 16 meant walking ~8 entries (~1 KiB,
** ~16 cache lines) per lookup; 4 walks ~2 after two more probes, for ~1.5%
** more bytes (a restart stores its whole key and 4 bytes of offset). Readers
** take any interval, so files written with 16 stay as they are. */
#define TDB_BLOCK_RESTART_INTERVAL 4

/* Key order: <0, 0, >0 (same signature as tdbIkeyCompare, so the engine can
** pass it directly). */
typedef int (*TdbBlockCmpFn)(const void *a, size_t an, const void *b,
                             size_t bn);

/* ---- Builder ------------------------------------------------------------- */

typedef struct TdbBlockBuilder {
  TdbMem *mem;
  int interval;       /* restart interval (>= 1) */
  int counter;        /* entries since the last restart */
  unsigned char *buf; /* entries so far (then the restart array) */
  size_t len, cap;
  uint32_t *restarts;
  size_t nrestarts, rcap;
  unsigned char *last; /* the previous key */
  size_t last_len, last_cap;
  uint64_t nentries;
  int finished;
} TdbBlockBuilder;

/* An empty builder (interval <= 0 picks TDB_BLOCK_RESTART_INTERVAL). Never
** allocates; pair with tdbBlockBuilderClear. */
TDB_PRIVATE void tdbBlockBuilderInit(TdbBlockBuilder *b, TdbMem *mem,
                                     int interval);

/* Append an entry; keys must come in the iterator's ascending order.
** TDB_OK, TDB_NOMEM (the builder is unchanged), or TDB_TOOBIG when the block
** would pass 4 GiB. Not after Finish (until Reset). */
TDB_PRIVATE int tdbBlockBuilderAdd(TdbBlockBuilder *b, const void *key,
                                   size_t klen, const void *val, size_t vlen);

/* The size the block would have if finished now. */
TDB_PRIVATE size_t tdbBlockBuilderSize(const TdbBlockBuilder *b);

/* Append the restart array and return the contents in *out (valid until
** the next Reset/Clear). TDB_OK or TDB_NOMEM. */
TDB_PRIVATE int tdbBlockBuilderFinish(TdbBlockBuilder *b,
                                      const unsigned char **out, size_t *n);

/* Start a new block, keeping the buffers. */
TDB_PRIVATE void tdbBlockBuilderReset(TdbBlockBuilder *b);

/* Free the buffers (the builder may be re-initialized afterwards). */
TDB_PRIVATE void tdbBlockBuilderClear(TdbBlockBuilder *b);

/* ---- Reader -------------------------------------------------------------- */

/* A parsed block; points into the caller's bytes (no ownership). */
typedef struct TdbBlock {
  const unsigned char *data;
  size_t size;
  uint32_t restarts; /* offset of restart[0] == end of the entries */
  uint32_t nrestarts;
  /* Optional seek hint (NULL after tdbBlockParse; tdbBlockIterSeekHint):
  ** rk[j] for j < nrk is an order-preserving 64-bit window of the key of
  ** restart j * rk_stride, as the block's owner computed it: a restart key
  ** below another never has a larger window. The owner keeps rk alive. */
  const uint64_t *rk;
  uint32_t nrk, rk_stride;
} TdbBlock;

/* Check data[0..size) as block contents and fill *b. TDB_OK, or
** TDB_CORRUPT with *why and *err_off (offset in the block) when the size,
** the restart count or a restart offset is impossible. */
TDB_PRIVATE int tdbBlockParse(TdbBlock *b, const unsigned char *data,
                              size_t size, const char **why, uint32_t *err_off);

/* The key of restart point i < b->nrestarts (stored whole: shared = 0).
** TDB_OK, or TDB_CORRUPT when that entry is malformed. */
TDB_PRIVATE int tdbBlockRestartKey(const TdbBlock *b, uint32_t i, const unsigned char **key,
                                   uint32_t *klen);

/* A cursor over one block. Do not copy a live iterator (key may point into
** it); several iterators may read one block at once. */
typedef struct TdbBlockIter {
  TdbMem *mem;
  TdbBlockCmpFn cmp;
  TdbBlock blk;
  uint32_t cur;  /* offset of the current entry */
  uint32_t next; /* offset just past it */
  int valid;
  int rc;           /* TDB_OK, TDB_CORRUPT or TDB_NOMEM */
  uint32_t err_off; /* with TDB_CORRUPT: offset of the bad entry */
  const char *why;  /* with TDB_CORRUPT: what was wrong */
  size_t klen;
  unsigned char *kheap; /* key buffer when kinline is too small */
  size_t kcap;          /* bytes of kheap */
  const unsigned char *val;
  uint32_t vlen;
  unsigned char kinline[96];
} TdbBlockIter;

/* Start an iterator over blk (NULL: an empty block), not positioned. */
TDB_PRIVATE void tdbBlockIterInit(TdbBlockIter *it, TdbMem *mem,
                                  TdbBlockCmpFn cmp, const TdbBlock *blk);

/* Point a live iterator at another block (keeps its key buffer). */
TDB_PRIVATE void tdbBlockIterSetBlock(TdbBlockIter *it, const TdbBlock *blk);

/* Free the iterator's key buffer. */
TDB_PRIVATE void tdbBlockIterClear(TdbBlockIter *it);

/* Positioning; afterwards check it->valid, and it->rc to tell the end of
** the block (TDB_OK) from an error. Seek: the first entry with key >=
** target. Next/Prev on an invalid iterator are no-ops. */
TDB_PRIVATE void tdbBlockIterSeekToFirst(TdbBlockIter *it);
TDB_PRIVATE void tdbBlockIterSeekToLast(TdbBlockIter *it);
TDB_PRIVATE void tdbBlockIterSeek(TdbBlockIter *it, const void *target,
                                  size_t tlen);
/* Seek with the block's hint: `window` is the target's window, computed
** the way the owner computed blk.rk, and meaningful (the caller checked
** that the target is comparable that way, e.g. shares the prefix the
** windows skip). The restart samples whose window differs from the
** target's bound the binary search without reading a key; only restarts
** between them (ties) are decoded. The same result as tdbBlockIterSeek,
** which it is when the block has no hint. */
TDB_PRIVATE void tdbBlockIterSeekHint(TdbBlockIter *it, const void *target, size_t tlen,
                                      uint64_t window);
TDB_PRIVATE void tdbBlockIterNext(TdbBlockIter *it);
TDB_PRIVATE void tdbBlockIterPrev(TdbBlockIter *it);

/* Forward bulk read of the block from the current entry: fn(ctx, key, klen,
** value, vlen) for each entry with key < bound (by it->cmp; bound NULL: to
** the end of the block), stepping past each visited one. Returns fn's first
** nonzero result (the iterator then past that entry), else 0: at the bound
** (valid, on the first key >= bound), at the end of the block, or on a
** malformed entry (not valid; it->rc says which). */
TDB_PRIVATE int tdbBlockIterVisit(TdbBlockIter *it, const unsigned char *bound, size_t bn,
                                  int (*fn)(void *ctx, const unsigned char *k, size_t kn,
                                            const unsigned char *v, size_t vn),
                                  void *ctx);

/* The current key (valid iterator only; until the next move). */
static inline const unsigned char *tdbBlockIterKey(const TdbBlockIter *it) {
  return it->kheap ? it->kheap : it->kinline;
}

#endif /* TDB_BLOCK_H */
