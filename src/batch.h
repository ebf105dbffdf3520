/*
** batch.h — write batches: the operations of one commit, encoded exactly as
** the WAL record that makes the commit durable.
**
** Record layout (little-endian fixed ints, LEB128 varints):
**
**   +--------------+--------------+-------------+----------------------+
**   | epoch  (u64) | wall µs (u64)| count (var) | op 1 | op 2 | ...     |
**   +--------------+--------------+-------------+----------------------+
**   op:  kind (1 byte: TDB_KIND_VALUE / TDB_KIND_DELETE, from ikey.h)
**        | klen (var) | key bytes | [ vlen (var) | value bytes ]  (VALUE only)
**
** The epoch and wall-clock are filled in when the batch commits; a batch
** being built has zeros there. All operations of a batch carry its epoch, so
** one key written twice in a batch keeps only its last operation
** (tdbBatchForEachLast).
*/
#ifndef TDB_BATCH_H
#define TDB_BATCH_H

#include "strbuf.h"

#define TDB_BATCH_HEADER 16     /* epoch + wall, before the count */

typedef struct TdbBatch {
  TdbMem *mem;
  unsigned char *buf;   /* header + ops; the count is kept in `count` */
  size_t len, cap;
  uint32_t count;
  int oom;              /* an append failed: the batch is unusable */
} TdbBatch;

TDB_PRIVATE void tdbBatchInit(TdbBatch *b, TdbMem *mem);
TDB_PRIVATE void tdbBatchClear(TdbBatch *b);     /* empty, keep memory */
TDB_PRIVATE void tdbBatchFree(TdbBatch *b);
TDB_PRIVATE int tdbBatchPut(TdbBatch *b, const void *key, size_t klen, const void *value,
                            size_t vlen);
TDB_PRIVATE int tdbBatchDelete(TdbBatch *b, const void *key, size_t klen);

/* Make room for `more` bytes of ops without a reallocation (exactly: a
** bulk build that knows a bound). TDB_OK, TDB_NOMEM or TDB_TOOBIG; the batch
** is unchanged on an error. */
TDB_PRIVATE int tdbBatchReserve(TdbBatch *b, size_t more);

/* Give back the buffer's unused capacity (after a bulk build). */
TDB_PRIVATE void tdbBatchShrink(TdbBatch *b);

/* Append the batch, encoded as a WAL record with its epoch and wall-clock,
** to out. Returns TDB_OK or TDB_NOMEM. */
TDB_PRIVATE int tdbBatchEncode(const TdbBatch *b, uint64_t epoch, int64_t wall_us,
                               TdbStr *out);

/* One decoded operation; key/value point into the record. */
typedef struct TdbBatchOp {
  int kind;
  const unsigned char *key, *value;
  size_t klen, vlen;
} TdbBatchOp;

/* Decoded record header. */
typedef struct TdbBatchHeader {
  uint64_t epoch;
  int64_t wall_us;
  uint32_t count;
} TdbBatchHeader;

/* Callback for each operation; a non-zero return stops and is returned. */
typedef int (*TdbBatchOpFn)(void *ctx, const TdbBatchOp *op);

/* Callback with the op's position in its batch (0 = first). */
typedef int (*TdbBatchOpAtFn)(void *ctx, const TdbBatchOp *op, uint32_t pos);

/* Call fn for every op of a batch in order of key, then position (a key's
** ops oldest first); a non-zero return stops and is returned. A batch in
** ascending key order is walked as it is; any other is sorted through a
** temporary index (24 bytes an op): TDB_NOMEM when it cannot be had. */
TDB_PRIVATE int tdbBatchForEachByKey(const TdbBatch *b, TdbBatchOpAtFn fn, void *ctx);

/* Validate a record and decode its header: TDB_OK or TDB_CORRUPT (malformed
** or trailing bytes). Every op is checked, so a corrupt record is rejected
** before any of it is applied. */
TDB_PRIVATE int tdbBatchDecodeHeader(const unsigned char *rec, size_t n,
                                     TdbBatchHeader *h);

/* Call fn for the last operation of every distinct key of a validated record,
** in ascending key order. Only which op of a key is last matters to the
** result (all ops of a record share its epoch), but the order does to the
** cost: a memtable so takes its inserts in ascending order (cheap with the
** skiplist's finger). Up to 16 ops are sorted on the stack; past that, a
** record already in strictly ascending key order is walked as it is, any
** other is sorted through a temporary index (mem, 24 bytes an op). */
TDB_PRIVATE int tdbBatchForEachLast(TdbMem *mem, const unsigned char *rec, size_t n,
                                    TdbBatchOpFn fn, void *ctx);

#endif /* TDB_BATCH_H */
