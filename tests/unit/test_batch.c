/*
** test_batch.c — tdbBatchForEachLast against a model: records of 1 to 40
** random puts and deletes over a few short keys (so most keys are written
** several times and some are prefixes of others), through the small path
** (up to 16 ops, sorted on the stack), the ascending walk and the sorted
** index: exactly one call per distinct key, with that key's last op (kind
** and value), in strictly ascending key order; and a callback's error
** stops the walk and is returned.
*/
#include "tensordb.c"
#include "test.h"

enum { MAX_OPS = 40 };

typedef struct ModelOp {
  unsigned char key[4];
  size_t klen;
  int kind;
  unsigned char value[2];
} ModelOp;

typedef struct Calls {
  TdbBatchOp op[MAX_OPS];
  int n;
  int fail_at; /* return TDB_CORRUPT from this call (1-based; 0: never) */
} Calls;

static int recordCall(void *ctx, const TdbBatchOp *op) {
  Calls *c = ctx;
  if (c->n >= MAX_OPS) return TDB_MISUSE;
  c->op[c->n++] = *op;
  return c->fail_at && c->n == c->fail_at ? TDB_CORRUPT : TDB_OK;
}

/* Faults of the calls against the ops: each distinct key called once with
** its last op, keys strictly ascending. */
static int faultsOf(const ModelOp *ops, int count, const Calls *c) {
  int faults = 0, i, j, distinct = 0;
  for (i = 0; i < c->n; i++) {
    int last = -1;
    if (i && tdbIkeyCompareUser(c->op[i - 1].key, c->op[i - 1].klen, c->op[i].key,
                                c->op[i].klen) >= 0) {
      faults++;
    }
    for (j = 0; j < count; j++) {
      if (ops[j].klen == c->op[i].klen && memcmp(ops[j].key, c->op[i].key, ops[j].klen) == 0) {
        last = j;
      }
    }
    if (last < 0) { faults++; continue; }
    if (c->op[i].kind != ops[last].kind) faults++;
    if (ops[last].kind == TDB_KIND_VALUE &&
        (c->op[i].vlen != 2 || memcmp(c->op[i].value, ops[last].value, 2) != 0)) {
      faults++;
    }
  }
  for (i = 0; i < count; i++) {
    int seen = 0;
    for (j = 0; j < i && !seen; j++) {
      seen = ops[j].klen == ops[i].klen && memcmp(ops[j].key, ops[i].key, ops[i].klen) == 0;
    }
    if (!seen) distinct++;
  }
  if (c->n != distinct) faults++;
  return faults;
}

static void testForEachLast(void) {
  TdbMem mem;
  TdbBatch b;
  TdbStr rec;
  ModelOp ops[MAX_OPS];
  uint64_t rng = 2024;
  int round, faults = 0, sorted_records = 0;
  tdbMemInit(&mem, NULL);
  tdbBatchInit(&b, &mem);
  tdbStrInit(&rec, &mem);
  for (round = 0; round < 4000; round++) {
    int count = 1 + round % MAX_OPS, i, ascending = round % 5 == 0;
    Calls calls;
    tdbBatchClear(&b);
    for (i = 0; i < count; i++) {
      ModelOp *o = &ops[i];
      size_t j;
      if (ascending) { /* distinct ascending keys: the walk without a sort */
        o->klen = 3;
        o->key[0] = 'k';
        o->key[1] = (unsigned char)('a' + i / 26);
        o->key[2] = (unsigned char)('a' + i % 26);
      } else {
        o->klen = 1 + (size_t)(tdbTestRand(&rng) % 3);
        for (j = 0; j < o->klen; j++) o->key[j] = (unsigned char)("ab"[tdbTestRand(&rng) % 2]);
      }
      o->kind = tdbTestRand(&rng) % 4 ? TDB_KIND_VALUE : TDB_KIND_DELETE;
      o->value[0] = (unsigned char)round;
      o->value[1] = (unsigned char)i;
      if (o->kind == TDB_KIND_VALUE) {
        CHECK_EQ(tdbBatchPut(&b, o->key, o->klen, o->value, 2), TDB_OK);
      } else {
        CHECK_EQ(tdbBatchDelete(&b, o->key, o->klen), TDB_OK);
      }
    }
    if (ascending) sorted_records++;
    rec.n = 0;
    CHECK_EQ(tdbBatchEncode(&b, (uint64_t)round + 1, 0, &rec), TDB_OK);
    memset(&calls, 0, sizeof calls);
    CHECK_EQ(tdbBatchForEachLast(&mem, (const unsigned char *)rec.z, rec.n, recordCall, &calls),
             TDB_OK);
    faults += faultsOf(ops, count, &calls);
    /* an error from the callback ends the walk there */
    memset(&calls, 0, sizeof calls);
    calls.fail_at = 1;
    CHECK_EQ(tdbBatchForEachLast(&mem, (const unsigned char *)rec.z, rec.n, recordCall, &calls),
             TDB_CORRUPT);
    CHECK_EQ(calls.n, 1);
  }
  CHECK_EQ(faults, 0);
  CHECK(sorted_records > 0);
  tdbStrClear(&rec);
  tdbBatchFree(&b);
}

int main(void) {
  TEST_RUN(testForEachLast);
  return tdbTestFinish();
}
