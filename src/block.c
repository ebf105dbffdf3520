/*
** block.c — SSTable block builder and reader (format in block.h).
*/
#include "block.h"
#include "coding.h"

/* ---- Builder ------------------------------------------------------------- */

TDB_PRIVATE void tdbBlockBuilderInit(TdbBlockBuilder *b, TdbMem *mem,
                                     int interval) {
  memset(b, 0, sizeof *b);
  b->mem = mem;
  b->interval = interval > 0 ? interval : TDB_BLOCK_RESTART_INTERVAL;
}

TDB_PRIVATE void tdbBlockBuilderReset(TdbBlockBuilder *b) {
  b->len = 0;
  b->nrestarts = 0;
  b->counter = 0;
  b->last_len = 0;
  b->nentries = 0;
  b->finished = 0;
}

TDB_PRIVATE void tdbBlockBuilderClear(TdbBlockBuilder *b) {
  tdbMemFree(b->mem, b->buf);
  tdbMemFree(b->mem, b->restarts);
  tdbMemFree(b->mem, b->last);
  b->buf = NULL;
  b->restarts = NULL;
  b->last = NULL;
  b->cap = b->rcap = b->last_cap = 0;
  tdbBlockBuilderReset(b);
}

TDB_PRIVATE size_t tdbBlockBuilderSize(const TdbBlockBuilder *b) {
  if (b->finished)
    return b->len;
  return b->len + 4 * (b->nrestarts ? b->nrestarts : 1) + 4;
}

TDB_PRIVATE int tdbBlockBuilderAdd(TdbBlockBuilder *b, const void *key,
                                   size_t klen, const void *val, size_t vlen) {
  const unsigned char *k = (const unsigned char *)key;
  size_t shared = 0, unshared, need;
  int restart = (b->counter == 0 || b->counter >= b->interval);
  unsigned char *dst;
  if (b->finished)
    return TDB_MISUSE;
  if (!restart) {
    size_t lim = TDB_MIN(b->last_len, klen);
    while (shared < lim && b->last[shared] == k[shared])
      shared++;
  }
  unshared = klen - shared;
  if (klen > UINT32_MAX || vlen > UINT32_MAX)
    return TDB_TOOBIG;
  need = 3 * TDB_VARINT32_MAX + unshared + vlen;
  /* the finished block (entries + restarts + count) must fit 32-bit offsets */
  if ((uint64_t)b->len + need + 4 * ((uint64_t)b->nrestarts + 2) >
      (uint64_t)UINT32_MAX) {
    return TDB_TOOBIG;
  }
  if (tdbMemGrow(b->mem, (void **)&b->buf, &b->cap, b->len + need, 1) != 0) {
    return TDB_NOMEM;
  }
  if (restart && tdbMemGrow(b->mem, (void **)&b->restarts, &b->rcap,
                            b->nrestarts + 1, sizeof(uint32_t)) != 0) {
    return TDB_NOMEM;
  }
  if (tdbMemGrow(b->mem, (void **)&b->last, &b->last_cap, klen ? klen : 1, 1) !=
      0) {
    return TDB_NOMEM;
  }
  if (restart) {
    b->restarts[b->nrestarts++] = (uint32_t)b->len;
    b->counter = 0;
  }
  dst = b->buf + b->len;
  dst += tdbPutVarint32(dst, (uint32_t)shared);
  dst += tdbPutVarint32(dst, (uint32_t)unshared);
  dst += tdbPutVarint32(dst, (uint32_t)vlen);
  if (unshared)
    memcpy(dst, k + shared, unshared);
  dst += unshared;
  if (vlen)
    memcpy(dst, val, vlen);
  dst += vlen;
  b->len = (size_t)(dst - b->buf);
  if (unshared)
    memcpy(b->last + shared, k + shared, unshared);
  b->last_len = klen;
  b->counter++;
  b->nentries++;
  return TDB_OK;
}

TDB_PRIVATE int tdbBlockBuilderFinish(TdbBlockBuilder *b,
                                      const unsigned char **out, size_t *n) {
  size_t i;
  if (!b->finished) {
    if (tdbMemGrow(b->mem, (void **)&b->buf, &b->cap,
                   b->len + 4 * b->nrestarts + 4, 1) != 0) {
      return TDB_NOMEM;
    }
    for (i = 0; i < b->nrestarts; i++) {
      tdbPutFixed32(b->buf + b->len, b->restarts[i]);
      b->len += 4;
    }
    tdbPutFixed32(b->buf + b->len, (uint32_t)b->nrestarts);
    b->len += 4;
    b->finished = 1;
  }
  *out = b->buf;
  *n = b->len;
  return TDB_OK;
}

/* ---- Reader -------------------------------------------------------------- */

TDB_PRIVATE int tdbBlockParse(TdbBlock *b, const unsigned char *data,
                              size_t size, const char **why,
                              uint32_t *err_off) {
  uint32_t n, i, prev = 0, off;
  uint64_t rstart;
  memset(b, 0, sizeof *b);
  if (size < 4 || size > (size_t)UINT32_MAX) {
    *why = "block too small for its restart count";
    *err_off = 0;
    return TDB_CORRUPT;
  }
  n = tdbGetFixed32(data + size - 4);
  if ((uint64_t)n * 4 > (uint64_t)size - 4) {
    *why = "block restart count exceeds the block";
    *err_off = (uint32_t)(size - 4);
    return TDB_CORRUPT;
  }
  rstart = (uint64_t)size - 4 - (uint64_t)n * 4;
  if (n == 0 && rstart != 0) {
    *why = "block has entries but no restart point";
    *err_off = (uint32_t)(size - 4);
    return TDB_CORRUPT;
  }
  for (i = 0; i < n; i++) {
    off = tdbGetFixed32(data + rstart + 4 * (uint64_t)i);
    if ((i == 0 && off != 0) || (i > 0 && off <= prev) || off >= rstart) {
      *why = "block restart offset out of order or out of range";
      *err_off = (uint32_t)(rstart + 4 * (uint64_t)i);
      return TDB_CORRUPT;
    }
    prev = off;
  }
  b->data = data;
  b->size = size;
  b->restarts = (uint32_t)rstart;
  b->nrestarts = n;
  return TDB_OK;
}

static uint32_t tdbBlockRestart(const TdbBlock *b, uint32_t i) {
  return tdbGetFixed32(b->data + b->restarts + 4 * (size_t)i);
}

TDB_PRIVATE void tdbBlockIterInit(TdbBlockIter *it, TdbMem *mem,
                                  TdbBlockCmpFn cmp, const TdbBlock *blk) {
  memset(it, 0, sizeof *it);
  it->mem = mem;
  it->cmp = cmp;
  tdbBlockIterSetBlock(it, blk);
}

TDB_PRIVATE void tdbBlockIterSetBlock(TdbBlockIter *it, const TdbBlock *blk) {
  if (blk) {
    it->blk = *blk;
  } else {
    memset(&it->blk, 0, sizeof it->blk);
  }
  it->cur = it->next = it->blk.restarts;
  it->valid = 0;
  it->rc = TDB_OK;
  it->err_off = 0;
  it->why = NULL;
  it->klen = 0;
  it->val = NULL;
  it->vlen = 0;
}

TDB_PRIVATE void tdbBlockIterClear(TdbBlockIter *it) {
  tdbMemFree(it->mem, it->kheap);
  it->kheap = NULL;
  it->kcap = 0;
  it->valid = 0;
}

static void tdbBlockIterCorrupt(TdbBlockIter *it, uint32_t off,
                                const char *why) {
  it->valid = 0;
  it->rc = TDB_CORRUPT;
  it->err_off = off;
  it->why = why;
}

/* Decode the entry header at off: TDB_OK with the three lengths, the header
** size and all of key delta and value inside the entry region. */
static int tdbBlockDecode(const TdbBlock *b, uint32_t off, uint32_t *shared,
                          uint32_t *unshared, uint32_t *vlen, uint32_t *hdr) {
  const unsigned char *p = b->data + off, *end = b->data + b->restarts;
  size_t n1, n2, n3;
  if (off >= b->restarts)
    return TDB_CORRUPT;
  if (end - p >= 3 && (p[0] | p[1] | p[2]) < 0x80) {
    /* the common case: three one-byte lengths */
    *shared = p[0];
    *unshared = p[1];
    *vlen = p[2];
    *hdr = 3;
    if ((uint64_t)*unshared + *vlen > (uint64_t)(end - p) - 3)
      return TDB_CORRUPT;
    return TDB_OK;
  }
  if (end - p >= 4 && (p[0] | p[1] | p[3]) < 0x80) {
    /* one-byte key lengths, a two-byte value length (128..16383: SQL rows) */
    *shared = p[0];
    *unshared = p[1];
    *vlen = (uint32_t)(p[2] & 0x7f) | ((uint32_t)p[3] << 7);
    *hdr = 4;
    if ((uint64_t)*unshared + *vlen > (uint64_t)(end - p) - 4)
      return TDB_CORRUPT;
    return TDB_OK;
  }
  n1 = tdbGetVarint32(p, end, shared);
  if (!n1)
    return TDB_CORRUPT;
  n2 = tdbGetVarint32(p + n1, end, unshared);
  if (!n2)
    return TDB_CORRUPT;
  n3 = tdbGetVarint32(p + n1 + n2, end, vlen);
  if (!n3)
    return TDB_CORRUPT;
  *hdr = (uint32_t)(n1 + n2 + n3);
  if ((uint64_t)*unshared + *vlen > (uint64_t)(end - p) - *hdr) {
    return TDB_CORRUPT;
  }
  return TDB_OK;
}

/* Make room for a key of n bytes; keeps the first `keep` bytes. */
static int tdbBlockIterKeyRoom(TdbBlockIter *it, size_t n, size_t keep) {
  unsigned char *nb;
  size_t cap;
  if (it->kheap ? n <= it->kcap : n <= sizeof it->kinline)
    return TDB_OK;
  cap = it->kheap ? it->kcap : sizeof it->kinline;
  while (cap < n)
    cap *= 2;
  nb = (unsigned char *)tdbMemAlloc(it->mem, cap);
  if (!nb)
    return TDB_NOMEM;
  if (keep)
    memcpy(nb, tdbBlockIterKey(it), keep);
  tdbMemFree(it->mem, it->kheap);
  it->kheap = nb;
  it->kcap = cap;
  return TDB_OK;
}

/* tdbBlockIterParseNext for every entry its inline part does not take:
** longer lengths, a key in kheap or growing past kinline, malformed ones. */
static TDB_NOINLINE void tdbBlockIterParseSlow(TdbBlockIter *it) {
  const TdbBlock *b = &it->blk;
  uint32_t shared, unshared, vlen, hdr, off = it->next;
  const unsigned char *p;
  if (tdbBlockDecode(b, off, &shared, &unshared, &vlen, &hdr) != TDB_OK) {
    tdbBlockIterCorrupt(it, off, "block entry lengths out of range");
    return;
  }
  if (shared > it->klen) {
    tdbBlockIterCorrupt(it, off,
                        "block entry shares more than its predecessor");
    return;
  }
  if (tdbBlockIterKeyRoom(it, (size_t)shared + unshared, shared) != TDB_OK) {
    it->valid = 0;
    it->rc = TDB_NOMEM;
    return;
  }
  p = b->data + off + hdr;
  if (unshared) memcpy((it->kheap ? it->kheap : it->kinline) + shared, p, unshared);
  it->klen = (size_t)shared + unshared;
  it->val = p + unshared;
  it->vlen = vlen;
  it->cur = off;
  it->next = off + hdr + unshared + vlen;
  it->valid = 1;
}

/* Step onto the entry at it->next (after the current key, whose bytes are
** the prefix source). Sets valid = 0 at the end of the entries. Inline: the
** scan's common entry (one-byte key lengths, a value length of one or two
** bytes, a key that stays in kinline), checked as tdbBlockDecode checks it,
** its key delta copied as overlapping 8-byte words when it has 8..32 bytes;
** everything else goes to tdbBlockIterParseSlow. */
static TDB_ALWAYS_INLINE void tdbBlockIterParseNext(TdbBlockIter *it) {
  const TdbBlock *b = &it->blk;
  uint32_t shared, unshared, vlen, hdr, off = it->next, room;
  const unsigned char *p;
  if (off >= b->restarts) {
    it->valid = 0;
    it->cur = it->next = b->restarts;
    return;
  }
  p = b->data + off;
  room = b->restarts - off;
  if (TDB_UNLIKELY(it->kheap != NULL || room < 4 || ((p[0] | p[1]) & 0x80) != 0)) {
    tdbBlockIterParseSlow(it);
    return;
  }
  shared = p[0];
  unshared = p[1];
  if (p[2] < 0x80) {
    vlen = p[2];
    hdr = 3;
  } else if (p[3] < 0x80) {
    vlen = (uint32_t)(p[2] & 0x7f) | ((uint32_t)p[3] << 7);
    hdr = 4;
  } else {
    tdbBlockIterParseSlow(it);
    return;
  }
  if (TDB_UNLIKELY(shared > it->klen || shared + unshared > sizeof it->kinline ||
                   (uint64_t)unshared + vlen > (uint64_t)room - hdr)) {
    tdbBlockIterParseSlow(it);
    return;
  }
  p += hdr;
  {
    unsigned char *dst = it->kinline + shared;
    if (unshared >= 8 && unshared <= 32) {
      /* 8..16 bytes: two overlapping words; 17..32 (a restart's whole key):
      ** four (the first two, the last two) */
      uint64_t w0, w1, w2, w3;
      memcpy(&w0, p, 8);
      memcpy(&w1, p + unshared - 8, 8);
      if (unshared > 16) {
        memcpy(&w2, p + 8, 8);
        memcpy(&w3, p + unshared - 16, 8);
        memcpy(dst + 8, &w2, 8);
        memcpy(dst + unshared - 16, &w3, 8);
      }
      memcpy(dst, &w0, 8);
      memcpy(dst + unshared - 8, &w1, 8);
    } else if (unshared < 8) {
      uint32_t i;
      for (i = 0; i < unshared; i++) dst[i] = p[i];
    } else {
      memcpy(dst, p, unshared);
    }
  }
  it->klen = (size_t)shared + unshared;
  it->val = p + unshared;
  it->vlen = vlen;
  it->cur = off;
  it->next = off + hdr + unshared + vlen;
  it->valid = 1;
}

static void tdbBlockIterToRestart(TdbBlockIter *it, uint32_t r) {
  it->klen = 0; /* so a restart entry must have shared == 0 */
  it->next = tdbBlockRestart(&it->blk, r);
  it->valid = 0;
}

TDB_PRIVATE void tdbBlockIterSeekToFirst(TdbBlockIter *it) {
  if (it->rc != TDB_OK)
    return;
  if (it->blk.nrestarts == 0) {
    it->valid = 0;
    return;
  }
  tdbBlockIterToRestart(it, 0);
  tdbBlockIterParseNext(it);
}

TDB_PRIVATE void tdbBlockIterSeekToLast(TdbBlockIter *it) {
  if (it->rc != TDB_OK)
    return;
  if (it->blk.nrestarts == 0) {
    it->valid = 0;
    return;
  }
  tdbBlockIterToRestart(it, it->blk.nrestarts - 1);
  tdbBlockIterParseNext(it);
  while (it->valid && it->next < it->blk.restarts)
    tdbBlockIterParseNext(it);
}

TDB_PRIVATE void tdbBlockIterNext(TdbBlockIter *it) {
  if (!it->valid)
    return;
  tdbBlockIterParseNext(it);
}

TDB_PRIVATE int tdbBlockIterVisit(TdbBlockIter *it, const unsigned char *bound, size_t bn,
                                  int (*fn)(void *ctx, const unsigned char *k, size_t kn,
                                            const unsigned char *v, size_t vn),
                                  void *ctx) {
  while (it->valid) {
    const unsigned char *k = tdbBlockIterKey(it);
    int r;
    if (bound && it->cmp(k, it->klen, bound, bn) >= 0)
      return 0;
    r = fn(ctx, k, it->klen, it->val, it->vlen);
    tdbBlockIterParseNext(it);
    if (r)
      return r;
  }
  return 0;
}

TDB_PRIVATE void tdbBlockIterPrev(TdbBlockIter *it) {
  uint32_t target = it->cur, r, lo = 0, hi;
  if (!it->valid)
    return;
  if (tdbBlockRestart(&it->blk, 0) >= target) { /* the first entry: no predecessor */
    it->valid = 0;
    it->cur = it->next = it->blk.restarts;
    return;
  }
  /* the last restart point before the current entry (restart 0 is) */
  hi = it->blk.nrestarts - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (tdbBlockRestart(&it->blk, mid) < target) lo = mid;
    else hi = mid - 1;
  }
  r = lo;
  tdbBlockIterToRestart(it, r);
  for (;;) {
    tdbBlockIterParseNext(it);
    if (!it->valid) {
      if (it->rc == TDB_OK) {
        tdbBlockIterCorrupt(it, target, "block entries do not chain");
      }
      return;
    }
    if (it->next == target)
      return;
    if (it->next > target) {
      tdbBlockIterCorrupt(it, it->cur, "block entries do not chain");
      return;
    }
  }
}

/* Most bytes of a restart interval tdbBlockPrefetchInterval asks for. */
#define TDB_BLOCK_PREFETCH_BYTES 1024

/* Ask the memory system for the lines of restart interval r (up to
** TDB_BLOCK_PREFETCH_BYTES) before a seek walks it: each entry's length
** decides where the next begins, so the walk alone would miss on one line
** after the other, where the prefetches let the misses overlap. */
static void tdbBlockPrefetchInterval(const TdbBlock *b, uint32_t r) {
  uint32_t from = tdbBlockRestart(b, r), to;
  uintptr_t line, last;
  to = r + 1 < b->nrestarts ? tdbBlockRestart(b, r + 1) : b->restarts;
  if (to > b->restarts || to <= from) return; /* the walk reports the damage */
  if (to - from > TDB_BLOCK_PREFETCH_BYTES) to = from + TDB_BLOCK_PREFETCH_BYTES;
  line = (uintptr_t)(b->data + from) & ~(uintptr_t)63;
  last = (uintptr_t)(b->data + to - 1);
  for (; line <= last; line += 64) TDB_PREFETCH((const void *)line);
}

/* Seek to the first key >= target, knowing that the last restart point
** whose key is < target (or restart 0) is among restarts lo..hi. */
static void tdbBlockIterSeekIn(TdbBlockIter *it, const void *target, size_t tlen,
                               uint32_t lo, uint32_t hi) {
  const TdbBlock *b = &it->blk;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    uint32_t off = tdbBlockRestart(b, mid), shared, unshared, vlen, hdr;
    if (tdbBlockDecode(b, off, &shared, &unshared, &vlen, &hdr) != TDB_OK ||
        shared != 0) {
      tdbBlockIterCorrupt(it, off, "bad entry at a block restart point");
      return;
    }
    if (it->cmp(b->data + off + hdr, unshared, target, tlen) < 0) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  tdbBlockIterToRestart(it, lo);
  tdbBlockPrefetchInterval(b, lo);
  for (;;) {
    tdbBlockIterParseNext(it);
    if (!it->valid)
      return;
    if (it->cmp(tdbBlockIterKey(it), it->klen, target, tlen) >= 0)
      return;
  }
}

TDB_PRIVATE void tdbBlockIterSeek(TdbBlockIter *it, const void *target,
                                  size_t tlen) {
  if (it->rc != TDB_OK)
    return;
  if (it->blk.nrestarts == 0) {
    it->valid = 0;
    return;
  }
  tdbBlockIterSeekIn(it, target, tlen, 0, it->blk.nrestarts - 1);
}

TDB_PRIVATE void tdbBlockIterSeekHint(TdbBlockIter *it, const void *target, size_t tlen,
                                      uint64_t window) {
  const TdbBlock *b = &it->blk;
  uint32_t below = 0, upto, n, lo, hi;
  if (it->rc != TDB_OK)
    return;
  if (!b->rk || b->nrk == 0 || b->nrestarts == 0) {
    tdbBlockIterSeek(it, target, tlen);
    return;
  }
  /* below: samples with a window < the target's (their keys are < target);
  ** upto: samples with a window <= it (the ones after have keys > target) */
  n = b->nrk;
  while (below < n) {
    uint32_t mid = below + (n - below) / 2;
    if (b->rk[mid] < window) below = mid + 1;
    else n = mid;
  }
  upto = below;
  n = b->nrk;
  while (upto < n) {
    uint32_t mid = upto + (n - upto) / 2;
    if (b->rk[mid] <= window) upto = mid + 1;
    else n = mid;
  }
  lo = below > 0 ? (below - 1) * b->rk_stride : 0;
  hi = upto < b->nrk ? (upto > 0 ? upto * b->rk_stride - 1 : 0) : b->nrestarts - 1;
  if (hi >= b->nrestarts) hi = b->nrestarts - 1;
  if (lo > hi) lo = hi;
  tdbBlockIterSeekIn(it, target, tlen, lo, hi);
}

TDB_PRIVATE int tdbBlockRestartKey(const TdbBlock *b, uint32_t i, const unsigned char **key,
                                   uint32_t *klen) {
  uint32_t off, shared, unshared, vlen, hdr;
  if (i >= b->nrestarts) return TDB_CORRUPT;
  off = tdbBlockRestart(b, i);
  if (tdbBlockDecode(b, off, &shared, &unshared, &vlen, &hdr) != TDB_OK || shared != 0)
    return TDB_CORRUPT;
  *key = b->data + off + hdr;
  *klen = unshared;
  return TDB_OK;
}
