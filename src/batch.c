/*
** batch.c — write batches and their WAL record encoding (see batch.h).
*/
#include "batch.h"
#include "coding.h"
#include "ikey.h"

#include <stdlib.h>

TDB_PRIVATE void tdbBatchInit(TdbBatch *b, TdbMem *mem) {
  memset(b, 0, sizeof *b);
  b->mem = mem;
}

TDB_PRIVATE void tdbBatchClear(TdbBatch *b) {
  b->len = 0;
  b->count = 0;
  b->oom = 0;
}

TDB_PRIVATE void tdbBatchFree(TdbBatch *b) {
  tdbMemFree(b->mem, b->buf);
  tdbBatchInit(b, b->mem);
}

/* Append one op; the buffer grows geometrically. */
static int tdbBatchAppendOp(TdbBatch *b, int kind, const void *key, size_t klen,
                            const void *value, size_t vlen) {
  size_t need;
  void *buf = b->buf;
  unsigned char *p;
  if (b->oom) return TDB_NOMEM;
  if (klen > UINT32_MAX || vlen > UINT32_MAX || b->count == UINT32_MAX) return TDB_TOOBIG;
  need = b->len + 1 + 2 * TDB_VARINT32_MAX + klen + vlen;
  if (tdbMemGrow(b->mem, &buf, &b->cap, need, 1) != 0) {
    b->oom = 1;
    return TDB_NOMEM;
  }
  b->buf = buf;
  p = b->buf + b->len;
  *p++ = (unsigned char)kind;
  p += tdbPutVarint32(p, (uint32_t)klen);
  if (klen) memcpy(p, key, klen);
  p += klen;
  if (kind == TDB_KIND_VALUE) {
    p += tdbPutVarint32(p, (uint32_t)vlen);
    if (vlen) memcpy(p, value, vlen);
    p += vlen;
  }
  b->len = (size_t)(p - b->buf);
  b->count++;
  return TDB_OK;
}

TDB_PRIVATE int tdbBatchPut(TdbBatch *b, const void *key, size_t klen, const void *value,
                            size_t vlen) {
  return tdbBatchAppendOp(b, TDB_KIND_VALUE, key, klen, value, vlen);
}

TDB_PRIVATE int tdbBatchDelete(TdbBatch *b, const void *key, size_t klen) {
  return tdbBatchAppendOp(b, TDB_KIND_DELETE, key, klen, NULL, 0);
}

TDB_PRIVATE int tdbBatchEncode(const TdbBatch *b, uint64_t epoch, int64_t wall_us,
                               TdbStr *out) {
  unsigned char head[TDB_BATCH_HEADER + TDB_VARINT32_MAX];
  size_t n;
  if (b->oom) return TDB_NOMEM;
  tdbPutFixed64(head, epoch);
  tdbPutFixed64(head + 8, (uint64_t)wall_us);
  n = TDB_BATCH_HEADER + tdbPutVarint32(head + TDB_BATCH_HEADER, b->count);
  tdbStrAppend(out, (const char *)head, n);
  if (b->len) tdbStrAppend(out, (const char *)b->buf, b->len);
  return out->oom ? TDB_NOMEM : TDB_OK;
}

/* Decode the op at *p (bounded by end); advances *p. 0 or -1 (malformed). */
static int tdbBatchNextOp(const unsigned char **p, const unsigned char *end,
                          TdbBatchOp *op) {
  const unsigned char *q = *p;
  uint32_t len;
  size_t used;
  if (q >= end) return -1;
  op->kind = *q++;
  if (op->kind != TDB_KIND_VALUE && op->kind != TDB_KIND_DELETE) return -1;
  if (!(used = tdbGetVarint32(q, end, &len)) || len > (size_t)(end - q - used)) return -1;
  q += used;
  op->key = q;
  op->klen = len;
  q += len;
  op->value = NULL;
  op->vlen = 0;
  if (op->kind == TDB_KIND_VALUE) {
    if (!(used = tdbGetVarint32(q, end, &len)) || len > (size_t)(end - q - used)) return -1;
    q += used;
    op->value = q;
    op->vlen = len;
    q += len;
  }
  *p = q;
  return 0;
}

TDB_PRIVATE int tdbBatchReserve(TdbBatch *b, size_t more) {
  void *grown;
  if (b->oom) return TDB_NOMEM;
  if (more <= b->cap - b->len) return TDB_OK;
  if (more > SIZE_MAX - b->len) return TDB_TOOBIG;
  grown = tdbMemRealloc(b->mem, b->buf, b->len + more);
  if (!grown) return TDB_NOMEM;
  b->buf = grown;
  b->cap = b->len + more;
  return TDB_OK;
}

TDB_PRIVATE void tdbBatchShrink(TdbBatch *b) {
  void *smaller;
  if (b->cap <= b->len || b->len == 0) return;
  smaller = tdbMemRealloc(b->mem, b->buf, b->len);
  if (smaller) { /* else it keeps the larger buffer */
    b->buf = smaller;
    b->cap = b->len;
  }
}

/* Position of the first op and the count. -1 if the header is malformed. */
static int tdbBatchOps(const unsigned char *rec, size_t n, const unsigned char **ops,
                       uint32_t *count) {
  size_t used;
  if (n < TDB_BATCH_HEADER) return -1;
  used = tdbGetVarint32(rec + TDB_BATCH_HEADER, rec + n, count);
  if (!used) return -1;
  *ops = rec + TDB_BATCH_HEADER + used;
  return 0;
}

TDB_PRIVATE int tdbBatchDecodeHeader(const unsigned char *rec, size_t n,
                                     TdbBatchHeader *h) {
  const unsigned char *p, *end = rec + n;
  uint32_t count, i;
  TdbBatchOp op;
  if (tdbBatchOps(rec, n, &p, &count) != 0) return TDB_CORRUPT;
  for (i = 0; i < count; i++) {
    if (tdbBatchNextOp(&p, end, &op) != 0) return TDB_CORRUPT;
  }
  if (p != end) return TDB_CORRUPT;
  h->epoch = tdbGetFixed64(rec);
  h->wall_us = (int64_t)tdbGetFixed64(rec + 8);
  h->count = count;
  return TDB_OK;
}

/* One op of a record in the sort of tdbBatchForEachLast: where it starts
** (decoded again when it is applied), its key, and its position. */
typedef struct TdbBatchSlot {
  const unsigned char *op;
  const unsigned char *key;
  uint32_t klen;
  uint32_t pos;
} TdbBatchSlot;

/* Order by key, then by position: the last op of a key ends its run. */
static int tdbBatchSlotCompare(const void *pa, const void *pb) {
  const TdbBatchSlot *a = pa, *b = pb;
  int c = tdbIkeyCompareUser(a->key, a->klen, b->key, b->klen);
  if (c) return c;
  return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Whether the count ops from p have ascending keys: 2 strictly (so each
** is the last of its key, and key order is record order), 1 ascending with
** equal neighbours (record order is still (key, position) order), 0 not.
** -1: malformed. */
static int tdbBatchAscending(const unsigned char *p, const unsigned char *end, uint32_t count) {
  TdbBatchOp op, prev;
  uint32_t i;
  int strict = 1;
  memset(&prev, 0, sizeof prev);
  for (i = 0; i < count; i++) {
    if (tdbBatchNextOp(&p, end, &op) != 0) return -1;
    if (i) {
      int c = tdbIkeyCompareUser(prev.key, prev.klen, op.key, op.klen);
      if (c > 0) return 0;
      if (c == 0) strict = 0;
    }
    prev = op;
  }
  return strict ? 2 : 1;
}

/* The count ops from p (validated) as slots sorted by key, then position:
** *out (free with mem) or TDB_NOMEM / TDB_CORRUPT. */
static int tdbBatchSortSlots(TdbMem *mem, const unsigned char *p, const unsigned char *end,
                             uint32_t count, TdbBatchSlot **out) {
  TdbBatchSlot *slots;
  TdbBatchOp op;
  uint32_t i;
  slots = tdbMemAlloc(mem, sizeof *slots * (count ? count : 1));
  if (!slots) return TDB_NOMEM;
  for (i = 0; i < count; i++) {
    slots[i].op = p;
    if (tdbBatchNextOp(&p, end, &op) != 0) {
      tdbMemFree(mem, slots);
      return TDB_CORRUPT;
    }
    slots[i].key = op.key;
    slots[i].klen = (uint32_t)op.klen; /* a varint32 */
    slots[i].pos = i;
  }
  qsort(slots, count, sizeof *slots, tdbBatchSlotCompare);
  *out = slots;
  return TDB_OK;
}

/* Call fn for slots[0..n) (ops decoded again from their start). */
static int tdbBatchSlotsApply(const TdbBatchSlot *slots, uint32_t n, const unsigned char *end,
                              TdbBatchOpAtFn fn, void *ctx) {
  uint32_t i;
  int rc = 0;
  for (i = 0; rc == 0 && i < n; i++) {
    const unsigned char *q = slots[i].op;
    TdbBatchOp op;
    if (tdbBatchNextOp(&q, end, &op) != 0) return TDB_CORRUPT; /* decoded before: cannot */
    rc = fn(ctx, &op, slots[i].pos);
  }
  return rc;
}

TDB_PRIVATE int tdbBatchForEachByKey(const TdbBatch *b, TdbBatchOpAtFn fn, void *ctx) {
  const unsigned char *p = b->buf, *end = b->buf + b->len;
  TdbBatchSlot *slots;
  TdbBatchOp op;
  uint32_t i;
  int rc = 0, ascending;
  if (b->oom) return TDB_NOMEM;
  ascending = tdbBatchAscending(p, end, b->count);
  if (ascending < 0) return TDB_CORRUPT; /* built here: cannot */
  if (ascending) { /* already in order (one op, or ascending keys) */
    for (i = 0; rc == 0 && i < b->count; i++) {
      if (tdbBatchNextOp(&p, end, &op) != 0) return TDB_CORRUPT;
      rc = fn(ctx, &op, i);
    }
    return rc;
  }
  rc = tdbBatchSortSlots(b->mem, p, end, b->count, &slots);
  if (rc != TDB_OK) return rc;
  rc = tdbBatchSlotsApply(slots, b->count, end, fn, ctx);
  tdbMemFree(b->mem, slots);
  return rc;
}

/* Records of up to this many ops are ordered on the stack by
** tdbBatchSmallApply. */
#define TDB_BATCH_SMALL 16

/* Call fn for the last op of every distinct key of ops[0..count), count <=
** TDB_BATCH_SMALL, in ascending key order: an insertion sort of their
** indexes by (key, position), then one call per run of equal keys, for its
** last op. Key order matters to a memtable: an UPDATE's record is "delete
** the current row, the closed history piece, the new current row, the new
** history piece", and in record order every insert is a search from the
** head of the skiplist, while in key order the new history piece follows
** the closed one and is found from the finger (skiplist.h). */
static int tdbBatchSmallApply(const TdbBatchOp *ops, uint32_t count, TdbBatchOpFn fn,
                              void *ctx) {
  unsigned char ix[TDB_BATCH_SMALL];
  unsigned char eqnext[TDB_BATCH_SMALL]; /* ix[i]'s key equals ix[i + 1]'s */
  uint32_t i;
  int rc = 0;
  for (i = 0; i < count; i++) {
    uint32_t j = i;
    int c = 1;
    /* ix[0..i) sorted; sink op i from the end while a key is greater: an
    ** equal key stays before it (positions ascend) */
    while (j > 0) {
      const TdbBatchOp *a = &ops[ix[j - 1]];
      c = tdbIkeyCompareUser(a->key, a->klen, ops[i].key, ops[i].klen);
      if (c <= 0) break;
      ix[j] = ix[j - 1];
      eqnext[j] = eqnext[j - 1];
      j--;
    }
    /* every key after op i is greater, the one before it not */
    ix[j] = (unsigned char)i;
    eqnext[j] = 0;
    if (j > 0) eqnext[j - 1] = c == 0;
  }
  for (i = 0; rc == 0 && i < count; i++) {
    if (!eqnext[i]) rc = fn(ctx, &ops[ix[i]]);
  }
  return rc;
}

/* tdbBatchForEachLast's calls: a TdbBatchOpFn through a TdbBatchOpAtFn. */
typedef struct TdbBatchLastCall {
  TdbBatchOpFn fn;
  void *ctx;
} TdbBatchLastCall;

static int tdbBatchLastCallFn(void *ctx, const TdbBatchOp *op, uint32_t pos) {
  const TdbBatchLastCall *call = ctx;
  (void)pos;
  return call->fn(call->ctx, op);
}

TDB_PRIVATE int tdbBatchForEachLast(TdbMem *mem, const unsigned char *rec, size_t n,
                                    TdbBatchOpFn fn, void *ctx) {
  const unsigned char *p, *end = rec + n;
  TdbBatchSlot *slots;
  TdbBatchLastCall call;
  uint32_t count, i, kept = 0;
  TdbBatchOp op;
  int rc = 0, ascending;
  if (tdbBatchOps(rec, n, &p, &count) != 0) return TDB_CORRUPT;
  if (count == 1) { /* the common case: no index needed */
    if (tdbBatchNextOp(&p, end, &op) != 0) return TDB_CORRUPT;
    return fn(ctx, &op);
  }
  if (count == 0) return TDB_OK;
  if (count <= TDB_BATCH_SMALL) {
    /* a few ops (a row, its history and index entries): sorted on the
    ** stack, no index to allocate */
    TdbBatchOp ops[TDB_BATCH_SMALL];
    for (i = 0; i < count; i++) {
      if (tdbBatchNextOp(&p, end, &ops[i]) != 0) return TDB_CORRUPT;
    }
    return tdbBatchSmallApply(ops, count, fn, ctx);
  }
  /* a record already in key order (a transaction's commit, made from its
  ** overlay): every op is the last of its key, no index needed */
  ascending = tdbBatchAscending(p, end, count);
  if (ascending < 0) return TDB_CORRUPT;
  if (ascending == 2) {
    for (i = 0; rc == 0 && i < count; i++) {
      if (tdbBatchNextOp(&p, end, &op) != 0) return TDB_CORRUPT;
      rc = fn(ctx, &op);
    }
    return rc;
  }
  rc = tdbBatchSortSlots(mem, p, end, count, &slots);
  if (rc != TDB_OK) return rc;
  for (i = 0; i < count; i++) {
    int last = i + 1 == count ||
               tdbIkeyCompareUser(slots[i].key, slots[i].klen, slots[i + 1].key,
                                  slots[i + 1].klen) != 0;
    if (last) slots[kept++] = slots[i];
  }
  call.fn = fn;
  call.ctx = ctx;
  rc = tdbBatchSlotsApply(slots, kept, end, tdbBatchLastCallFn, &call);
  tdbMemFree(mem, slots);
  return rc;
}
