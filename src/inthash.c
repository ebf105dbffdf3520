/*
** inthash.c — the int64 -> uint32 open-addressing hash table (inthash.h).
*/
#include "inthash.h"

static size_t tdbIntHashSlot(const TdbIntHash *h, int64_t key) {
  uint64_t x = (uint64_t)key * 0x9E3779B97F4A7C15ull;
  return (size_t)((x ^ (x >> 29)) & (h->cap - 1));
}

TDB_PRIVATE void tdbIntHashInit(TdbIntHash *h) {
  memset(h, 0, sizeof *h);
}

TDB_PRIVATE void tdbIntHashFree(TdbMem *mem, TdbIntHash *h) {
  tdbMemFree(mem, h->keys);
  tdbMemFree(mem, h->vals);
  tdbIntHashInit(h);
}

TDB_PRIVATE uint32_t *tdbIntHashGet(const TdbIntHash *h, int64_t key) {
  size_t i;
  if (h->n == 0) return NULL;
  for (i = tdbIntHashSlot(h, key); h->vals[i]; i = (i + 1) & (h->cap - 1)) {
    if (h->keys[i] == key) return &h->vals[i];
  }
  return NULL;
}

/* Double the slots (or make the first 64), moving every key. */
static int tdbIntHashGrow(TdbMem *mem, TdbIntHash *h) {
  TdbIntHash g;
  size_t i;
  g.cap = h->cap ? h->cap * 2 : 64;
  g.n = h->n;
  if (g.cap > SIZE_MAX / sizeof(int64_t)) return TDB_NOMEM;
  g.keys = tdbMemAlloc(mem, sizeof(int64_t) * g.cap);
  g.vals = tdbMemAllocZero(mem, sizeof(uint32_t) * g.cap);
  if (!g.keys || !g.vals) {
    tdbMemFree(mem, g.keys);
    tdbMemFree(mem, g.vals);
    return TDB_NOMEM;
  }
  for (i = 0; i < h->cap; i++) {
    size_t j;
    if (!h->vals[i]) continue;
    for (j = tdbIntHashSlot(&g, h->keys[i]); g.vals[j]; j = (j + 1) & (g.cap - 1)) {
    }
    g.keys[j] = h->keys[i];
    g.vals[j] = h->vals[i];
  }
  tdbMemFree(mem, h->keys);
  tdbMemFree(mem, h->vals);
  *h = g;
  return TDB_OK;
}

TDB_PRIVATE uint32_t *tdbIntHashPut(TdbMem *mem, TdbIntHash *h, int64_t key) {
  uint32_t *v = tdbIntHashGet(h, key);
  size_t i;
  if (v) return v;
  if ((h->n + 1) * 2 > h->cap && tdbIntHashGrow(mem, h) != TDB_OK) return NULL;
  for (i = tdbIntHashSlot(h, key); h->vals[i]; i = (i + 1) & (h->cap - 1)) {
  }
  h->keys[i] = key;
  h->n++;
  return &h->vals[i];
}
