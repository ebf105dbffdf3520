/*
** fuzz_batch.c — libFuzzer harness for the write-batch decoder (src/batch.h):
** the input is one WAL record as the commit path encodes it.
**
** tdbBatchDecodeHeader validates it; a valid record is walked with
** tdbBatchForEachLast (the last operation of every key, as recovery applies
** them). Invariants:
**   - the last operations are at most `count`, with distinct keys, each op a
**     VALUE or DELETE whose bytes lie inside the record;
**   - a callback's non-zero return stops the walk and is returned;
**   - re-encoding the last operations (tdbBatchPut/Delete + tdbBatchEncode
**     with the same epoch and wall-clock) gives a record that validates, has
**     exactly those operations as its count, keeps the header, and yields
**     the same operations again (a fixed point).
*/
#include "tensordb.c"
#include "fuzz_common.h"

typedef struct FuzzBatchWalk {
  const unsigned char *rec;
  size_t n;
  TdbBatch *rebuild; /* NULL: do not rebuild */
  uint32_t ops;
  uint32_t stop_after; /* return 77 from this op on (0: never) */
  uint64_t hash;
} FuzzBatchWalk;

static int fuzzBatchOp(void *ctx, const TdbBatchOp *op) {
  FuzzBatchWalk *w = (FuzzBatchWalk *)ctx;
  FUZZ_CHECK(op->kind == TDB_KIND_VALUE || op->kind == TDB_KIND_DELETE, "op kind");
  FUZZ_CHECK(op->klen <= w->n && (op->klen == 0 || (op->key >= w->rec &&
                                                     op->key + op->klen <= w->rec + w->n)),
             "key outside the record");
  if (op->kind == TDB_KIND_VALUE) {
    FUZZ_CHECK(op->vlen <= w->n && (op->vlen == 0 || (op->value >= w->rec &&
                                                       op->value + op->vlen <= w->rec + w->n)),
               "value outside the record");
  } else {
    FUZZ_CHECK(op->vlen == 0, "delete with a value");
  }
  w->ops++;
  w->hash = fuzzHashU64(w->hash, (uint64_t)op->kind);
  w->hash = fuzzHashU64(fuzzHash(w->hash, op->key, op->klen), op->klen);
  w->hash = fuzzHashU64(fuzzHash(w->hash, op->value, op->vlen), op->vlen);
  if (w->rebuild) {
    int rc = op->kind == TDB_KIND_VALUE
                 ? tdbBatchPut(w->rebuild, op->key, op->klen, op->value, op->vlen)
                 : tdbBatchDelete(w->rebuild, op->key, op->klen);
    FUZZ_CHECK(rc == TDB_OK, "rebuild the batch");
  }
  if (w->stop_after && w->ops >= w->stop_after) return 77;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TdbMem mem;
  TdbBatchHeader h, h2;
  TdbBatch b;
  TdbStr enc;
  FuzzBatchWalk w, w2;
  int rc;

  tdbMemInit(&mem, NULL);
  if (tdbBatchDecodeHeader(data, size, &h) != TDB_OK) return 0;
  FUZZ_CHECK(size >= TDB_BATCH_HEADER + 1, "valid record shorter than a header");
  FUZZ_CHECK(h.count <= size, "more operations than bytes");

  /* Every last op, rebuilt into a new batch. */
  tdbBatchInit(&b, &mem);
  memset(&w, 0, sizeof w);
  w.rec = data;
  w.n = size;
  w.rebuild = &b;
  w.hash = FUZZ_HASH_INIT;
  rc = tdbBatchForEachLast(&mem, data, size, fuzzBatchOp, &w);
  FUZZ_CHECK(rc == TDB_OK, "walk of a validated record failed");
  FUZZ_CHECK(w.ops <= h.count, "more last operations than operations");

  /* Stopping early. */
  if (w.ops > 0) {
    memset(&w2, 0, sizeof w2);
    w2.rec = data;
    w2.n = size;
    w2.stop_after = 1 + (uint32_t)(size % w.ops);
    rc = tdbBatchForEachLast(&mem, data, size, fuzzBatchOp, &w2);
    FUZZ_CHECK(rc == 77 && w2.ops == w2.stop_after, "callback stop not honoured");
  }

  /* Re-encode and walk again: the same operations come back. */
  tdbStrInit(&enc, &mem);
  FUZZ_CHECK(tdbBatchEncode(&b, h.epoch, h.wall_us, &enc) == TDB_OK, "encode");
  FUZZ_CHECK(tdbBatchDecodeHeader((const unsigned char *)enc.z, enc.n, &h2) == TDB_OK,
             "re-encoded batch does not validate");
  FUZZ_CHECK(h2.epoch == h.epoch && h2.wall_us == h.wall_us, "header changed");
  FUZZ_CHECK(h2.count == w.ops, "re-encoded count is not the number of last ops");
  memset(&w2, 0, sizeof w2);
  w2.rec = (const unsigned char *)enc.z;
  w2.n = enc.n;
  w2.hash = FUZZ_HASH_INIT;
  rc = tdbBatchForEachLast(&mem, (const unsigned char *)enc.z, enc.n, fuzzBatchOp, &w2);
  FUZZ_CHECK(rc == TDB_OK, "walk of the re-encoded batch failed");
  FUZZ_CHECK(w2.ops == w.ops && w2.hash == w.hash,
             "re-encoded batch yields other operations");

  tdbStrClear(&enc);
  tdbBatchFree(&b);
  return 0;
}
