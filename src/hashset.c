/*
** hashset.c — byte-string set with dense ids (hashset.h).
*/
#include "hashset.h"

TDB_PRIVATE uint32_t tdbHashBytes(const void *p, size_t n) {
  /* FNV-1a, then a final avalanche so low bits mix well for the mask */
  const unsigned char *s = p;
  uint32_t h = 2166136261u;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= s[i];
    h *= 16777619u;
  }
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

TDB_PRIVATE void tdbHashSetInit(TdbHashSet *h, TdbMem *mem) {
  memset(h, 0, sizeof *h);
  h->mem = mem;
}

TDB_PRIVATE void tdbHashSetFree(TdbHashSet *h) {
  tdbMemFree(h->mem, h->slots);
  tdbMemFree(h->mem, h->offsets);
  tdbMemFree(h->mem, h->hashes);
  tdbMemFree(h->mem, h->bytes);
  tdbHashSetInit(h, h->mem);
}

TDB_PRIVATE void tdbHashSetClear(TdbHashSet *h) {
  if (h->slots) memset(h->slots, 0, sizeof *h->slots * ((size_t)h->mask + 1));
  h->count = 0;
  h->nbytes = 0;
}

TDB_PRIVATE size_t tdbHashSetBytes(const TdbHashSet *h) {
  return (h->slots ? sizeof *h->slots * ((size_t)h->mask + 1) : 0) +
         h->cap_ids * (sizeof *h->offsets + sizeof *h->hashes) + h->cap_bytes;
}

TDB_PRIVATE const unsigned char *tdbHashSetKey(const TdbHashSet *h, uint32_t id, size_t *n) {
  size_t end = id + 1 < h->count ? h->offsets[id + 1] : h->nbytes;
  *n = end - h->offsets[id];
  return h->bytes + h->offsets[id];
}

static int tdbHashSetGrow(TdbHashSet *h) {
  uint32_t nslots = h->slots ? (h->mask + 1) * 2 : 64, i;
  uint32_t *slots;
  if (nslots == 0) return TDB_NOMEM;
  slots = tdbMemAllocZero(h->mem, sizeof *slots * (size_t)nslots);
  if (!slots) return TDB_NOMEM;
  for (i = 0; i < h->count; i++) {
    uint32_t s = h->hashes[i] & (nslots - 1);
    while (slots[s]) s = (s + 1) & (nslots - 1);
    slots[s] = i + 1;
  }
  tdbMemFree(h->mem, h->slots);
  h->slots = slots;
  h->mask = nslots - 1;
  return TDB_OK;
}

TDB_PRIVATE int tdbHashSetFind(TdbHashSet *h, const void *key, size_t n, int insert,
                               uint32_t *id, int *added) {
  uint32_t hash = tdbHashBytes(key, n), s;
  if (added) *added = 0;
  if (!h->slots) {
    if (!insert) return TDB_NOTFOUND;
    if (tdbHashSetGrow(h) != TDB_OK) return TDB_NOMEM;
  }
  for (s = hash & h->mask; h->slots[s]; s = (s + 1) & h->mask) {
    uint32_t cand = h->slots[s] - 1;
    size_t kn;
    const unsigned char *k;
    if (h->hashes[cand] != hash) continue;
    k = tdbHashSetKey(h, cand, &kn);
    if (kn == n && (n == 0 || memcmp(k, key, n) == 0)) {
      *id = cand;
      return TDB_OK;
    }
  }
  if (!insert) return TDB_NOTFOUND;
  if (h->count == UINT32_MAX - 1) return TDB_NOMEM;
  if ((size_t)h->count + 1 > h->cap_ids) {
    size_t cap = h->cap_ids ? h->cap_ids * 2 : 64;
    size_t *offs = tdbMemRealloc(h->mem, h->offsets, sizeof *offs * cap);
    uint32_t *hs;
    if (!offs) return TDB_NOMEM;
    h->offsets = offs;
    hs = tdbMemRealloc(h->mem, h->hashes, sizeof *hs * cap);
    if (!hs) return TDB_NOMEM;
    h->hashes = hs;
    h->cap_ids = cap;
  }
  if (h->nbytes + n > h->cap_bytes) {
    size_t cap = h->cap_bytes ? h->cap_bytes : 1024;
    unsigned char *b;
    while (cap < h->nbytes + n) cap *= 2;
    b = tdbMemRealloc(h->mem, h->bytes, cap);
    if (!b) return TDB_NOMEM;
    h->bytes = b;
    h->cap_bytes = cap;
  }
  if (n) memcpy(h->bytes + h->nbytes, key, n);
  h->offsets[h->count] = h->nbytes;
  h->hashes[h->count] = hash;
  h->nbytes += n;
  h->slots[s] = h->count + 1;
  *id = h->count++;
  if (added) *added = 1;
  if ((size_t)h->count * 2 > (size_t)h->mask + 1) {
    if (tdbHashSetGrow(h) != TDB_OK) return TDB_NOMEM; /* the key is in; lookups still work */
  }
  return TDB_OK;
}
