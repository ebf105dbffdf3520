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

TDB_PRIVATE int tdbBatchAppendBatch(TdbBatch *dst, const TdbBatch *src) {
  void *buf = dst->buf;
  if (dst->oom || src->oom) return TDB_NOMEM;
  if (src->count > UINT32_MAX - dst->count) return TDB_TOOBIG;
  if (src->len == 0) return TDB_OK;
  if (tdbMemGrow(dst->mem, &buf, &dst->cap, dst->len + src->len, 1) != 0) return TDB_NOMEM;
  dst->buf = buf;
  memcpy(dst->buf + dst->len, src->buf, src->len);
  dst->len += src->len;
  dst->count += src->count;
  return TDB_OK;
}

TDB_PRIVATE TdbBatchMark tdbBatchMarkOf(const TdbBatch *b) {
  TdbBatchMark m;
  m.len = b->len;
  m.count = b->count;
  return m;
}

TDB_PRIVATE void tdbBatchTruncate(TdbBatch *b, TdbBatchMark m) {
  if (m.len <= b->len && m.count <= b->count) {
    b->len = m.len;
    b->count = m.count;
  }
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

TDB_PRIVATE int tdbBatchForEach(const TdbBatch *b, TdbBatchOpFn fn, void *ctx) {
  const unsigned char *p = b->buf, *end = b->buf + b->len;
  uint32_t i;
  TdbBatchOp op;
  int rc;
  for (i = 0; i < b->count; i++) {
    if (tdbBatchNextOp(&p, end, &op) != 0) return TDB_CORRUPT; /* built here: cannot */
    rc = fn(ctx, &op);
    if (rc) return rc;
  }
  return 0;
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

typedef struct TdbBatchSlot {
  TdbBatchOp op;
  uint32_t pos;
} TdbBatchSlot;

/* Order by key, then by position: the last op of a key ends its run. */
static int tdbBatchSlotCompare(const void *pa, const void *pb) {
  const TdbBatchSlot *a = pa, *b = pb;
  int c = tdbIkeyCompareUser(a->op.key, a->op.klen, b->op.key, b->op.klen);
  if (c) return c;
  return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int tdbBatchSlotByPos(const void *pa, const void *pb) {
  const TdbBatchSlot *a = pa, *b = pb;
  return a->pos < b->pos ? -1 : a->pos > b->pos;
}

TDB_PRIVATE int tdbBatchForEachLast(TdbMem *mem, const unsigned char *rec, size_t n,
                                    TdbBatchOpFn fn, void *ctx) {
  const unsigned char *p, *end = rec + n;
  TdbBatchSlot *slots;
  uint32_t count, i, kept = 0;
  TdbBatchOp op;
  int rc = 0;
  if (tdbBatchOps(rec, n, &p, &count) != 0) return TDB_CORRUPT;
  if (count == 1) { /* the common case: no index needed */
    if (tdbBatchNextOp(&p, end, &op) != 0) return TDB_CORRUPT;
    return fn(ctx, &op);
  }
  if (count == 0) return TDB_OK;
  if (count <= 16) {
    /* a few ops (a row, its history and index entries): compare pairwise,
    ** no index to build */
    TdbBatchOp ops[16];
    for (i = 0; i < count; i++) {
      if (tdbBatchNextOp(&p, end, &ops[i]) != 0) return TDB_CORRUPT;
    }
    for (i = 0; rc == 0 && i < count; i++) {
      uint32_t j;
      int last = 1;
      for (j = i + 1; last && j < count; j++) {
        last = tdbIkeyCompareUser(ops[i].key, ops[i].klen, ops[j].key, ops[j].klen) != 0;
      }
      if (last) rc = fn(ctx, &ops[i]);
    }
    return rc;
  }
  slots = tdbMemAlloc(mem, sizeof *slots * count);
  if (!slots) return TDB_NOMEM;
  for (i = 0; i < count; i++) {
    if (tdbBatchNextOp(&p, end, &slots[i].op) != 0) {
      tdbMemFree(mem, slots);
      return TDB_CORRUPT;
    }
    slots[i].pos = i;
  }
  qsort(slots, count, sizeof *slots, tdbBatchSlotCompare);
  for (i = 0; i < count; i++) {
    int last = i + 1 == count ||
               tdbIkeyCompareUser(slots[i].op.key, slots[i].op.klen, slots[i + 1].op.key,
                                  slots[i + 1].op.klen) != 0;
    if (last) slots[kept++] = slots[i];
  }
  qsort(slots, kept, sizeof *slots, tdbBatchSlotByPos);
  for (i = 0; rc == 0 && i < kept; i++) rc = fn(ctx, &slots[i].op);
  tdbMemFree(mem, slots);
  return rc;
}
