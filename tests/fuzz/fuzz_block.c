/*
** fuzz_block.c — libFuzzer harness for the block reader (src/block.h): the
** input is the contents of one SSTable block (entries, restart array, count).
**
** tdbBlockParse checks it; a parsed block is then walked with the engine's
** comparator (tdbIkeyCompare): every entry forward and backward, seeks to
** every key seen (and to neighbours of it and slices of the input), and
** Next/Prev zig-zags after each seek. Invariants: the iterator only moves
** forward on Next and backward on Prev (so it terminates), a key it returns
** lies within the input's size, an error stops it with rc TDB_CORRUPT and an
** offset inside the block. Memory safety is AddressSanitizer's part.
*/
#include "tensordb.c"
#include "fuzz_common.h"

#define FUZZ_BLOCK_MAX_KEYS 64

typedef struct FuzzKey {
  unsigned char *p;
  size_t n;
} FuzzKey;

/* Check the state of an iterator after any move. */
static void fuzzBlockCheck(const TdbBlockIter *it, size_t size) {
  if (it->valid) {
    FUZZ_CHECK(it->rc == TDB_OK, "a valid iterator carries an error");
    FUZZ_CHECK(it->cur < it->next && it->next <= it->blk.restarts,
               "entry outside the entry region");
    FUZZ_CHECK(it->vlen <= size, "value longer than the block");
    FUZZ_CHECK(it->val >= it->blk.data &&
                   it->val + it->vlen <= it->blk.data + it->blk.size,
               "value outside the block");
    /* Touch the key and value bytes so ASan checks them. */
    (void)fuzzHash(fuzzHash(0, tdbBlockIterKey(it), it->klen), it->val, it->vlen);
  } else if (it->rc != TDB_OK) {
    FUZZ_CHECK(it->rc == TDB_CORRUPT || it->rc == TDB_NOMEM, "unexpected rc");
    if (it->rc == TDB_CORRUPT) {
      FUZZ_CHECK(it->err_off <= size, "error offset outside the block");
      FUZZ_CHECK(it->why != NULL, "TDB_CORRUPT without a reason");
    }
  }
}

/* A few Next/Prev steps after a seek. */
static void fuzzBlockZigzag(TdbBlockIter *it, size_t size) {
  int i;
  for (i = 0; i < 3 && it->valid; i++) {
    tdbBlockIterNext(it);
    fuzzBlockCheck(it, size);
  }
  for (i = 0; i < 5 && it->valid; i++) {
    tdbBlockIterPrev(it);
    fuzzBlockCheck(it, size);
  }
}

static void fuzzBlockSeek(TdbBlockIter *it, const void *t, size_t n,
                          size_t size) {
  tdbBlockIterSeek(it, t, n);
  fuzzBlockCheck(it, size);
  fuzzBlockZigzag(it, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TdbMem mem;
  TdbBlock blk;
  TdbBlockIter it;
  const char *why = NULL;
  uint32_t err_off = 0;
  FuzzKey keys[FUZZ_BLOCK_MAX_KEYS];
  int nkeys = 0, i;
  size_t count = 0;
  uint32_t last;

  tdbMemInit(&mem, NULL);
  if (tdbBlockParse(&blk, data, size, &why, &err_off) != TDB_OK) {
    FUZZ_CHECK(why != NULL, "parse failed without a reason");
    FUZZ_CHECK(err_off <= size, "parse error offset outside the input");
    return 0;
  }
  FUZZ_CHECK(blk.restarts <= size, "restart array outside the input");

  tdbBlockIterInit(&it, &mem, tdbIkeyCompare, &blk);

  /* Forward over every entry, keeping the first keys for seeks. */
  last = 0;
  for (tdbBlockIterSeekToFirst(&it); it.valid; tdbBlockIterNext(&it)) {
    fuzzBlockCheck(&it, size);
    FUZZ_CHECK(count == 0 || it.cur > last, "Next did not move forward");
    last = it.cur;
    FUZZ_CHECK(++count <= size, "more entries than bytes");
    if (nkeys < FUZZ_BLOCK_MAX_KEYS) {
      keys[nkeys].n = it.klen;
      keys[nkeys].p = (unsigned char *)malloc(it.klen + 1);
      if (!keys[nkeys].p) break;
      memcpy(keys[nkeys].p, tdbBlockIterKey(&it), it.klen);
      nkeys++;
    }
  }
  fuzzBlockCheck(&it, size);

  /* Backward over every entry. */
  count = 0;
  for (tdbBlockIterSeekToLast(&it); it.valid; tdbBlockIterPrev(&it)) {
    fuzzBlockCheck(&it, size);
    FUZZ_CHECK(count == 0 || it.cur < last, "Prev did not move backward");
    last = it.cur;
    FUZZ_CHECK(++count <= size, "more entries than bytes");
  }
  fuzzBlockCheck(&it, size);

  /* Seeks: every kept key, a key just before/after it, a prefix of it. */
  for (i = 0; i < nkeys; i++) {
    FuzzKey *k = &keys[i];
    fuzzBlockSeek(&it, k->p, k->n, size);
    if (k->n > 0) {
      fuzzBlockSeek(&it, k->p, k->n - 1, size);
      k->p[k->n - 1]++;
      fuzzBlockSeek(&it, k->p, k->n, size);
      k->p[k->n - 1] -= 2;
      fuzzBlockSeek(&it, k->p, k->n, size);
    }
    k->p[k->n] = 0xff;
    fuzzBlockSeek(&it, k->p, k->n + 1, size);
  }
  /* Seeks to slices of the input and to the extremes. */
  fuzzBlockSeek(&it, "", 0, size);
  fuzzBlockSeek(&it, data, size < 24 ? size : 24, size);
  if (size > 16) fuzzBlockSeek(&it, data + size - 16, 16, size);
  fuzzBlockSeek(&it, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10, size);

  /* Re-pointing a live iterator at the same block starts it over. */
  tdbBlockIterSetBlock(&it, &blk);
  tdbBlockIterSeekToLast(&it);
  fuzzBlockCheck(&it, size);
  fuzzBlockZigzag(&it, size);

  tdbBlockIterClear(&it);
  for (i = 0; i < nkeys; i++) free(keys[i].p);
  return 0;
}
