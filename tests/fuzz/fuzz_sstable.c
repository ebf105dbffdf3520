/*
** fuzz_sstable.c — libFuzzer harness for the SSTable reader (src/sstable.h):
** the input is a whole table file, put into an in-memory VFS.
**
** The table is opened with the engine's options (tdbTableOptions: internal-
** key order, bloom filter on the user key) three times — mapped with a block
** cache, read with pread and no cache, read with pread and a tiny cache that
** evicts on every load — and each time: properties and an engine property
** lookup, every entry forward and backward, seeks to every key seen and to
** its neighbours and to slices of the input with Next/Prev zig-zags, point
** lookups (tdbSstGet) and filter probes of the same keys, two iterators at
** once. Invariants:
**   - the three passes see the same thing (open code, entry sequence both
**     ways, lookup results): a cache or mmap must never change an answer;
**   - a failure is a TDB_CORRUPT-class code (or TDB_NOMEM) with a message
**     naming the file;
**   - tdbSstGet returning an entry agrees with tdbSstIterSeek to the same key;
**   - when the entries come out strictly ascending, a seek returns the first
**     entry >= the target (compared with the list read forward).
** Mappings are exact-size heap copies (FuzzExactFile) so ASan sees over-reads.
*/
#include "tensordb.c"
#include "fuzz_common.h"

#define FUZZ_SST_MAX_KEYS 128
#define FUZZ_SST_PATH "000007.sst"

typedef struct FuzzSstKey {
  unsigned char *p;
  size_t n;
} FuzzSstKey;

/* What one pass observed, to compare the passes. */
typedef struct FuzzSstPass {
  int open_rc;
  int fwd_rc, bwd_rc;
  uint64_t fwd_n, bwd_n;
  uint64_t fwd_hash, bwd_hash;
  uint64_t probe_hash; /* gets, seeks, filter probes */
} FuzzSstPass;

typedef struct FuzzSstGot {
  int calls;
  uint64_t hash;
  unsigned char *key;
  size_t klen;
} FuzzSstGot;

static void fuzzSstGetFn(void *ctx, const unsigned char *key, size_t klen,
                         const unsigned char *val, size_t vlen) {
  FuzzSstGot *g = (FuzzSstGot *)ctx;
  g->calls++;
  g->hash = fuzzHash(fuzzHash(g->hash, key, klen), val, vlen);
  free(g->key);
  g->key = (unsigned char *)malloc(klen + 1);
  if (g->key) memcpy(g->key, key, klen);
  g->klen = klen;
}

static void fuzzSstCheckErr(int rc, const TdbVfsErr *err) {
  FUZZ_CHECK((rc & 0xff) == TDB_CORRUPT || rc == TDB_NOMEM,
             "reader failed with a code that is not TDB_CORRUPT-class");
  if ((rc & 0xff) == TDB_CORRUPT) {
    FUZZ_CHECK(strstr(err->msg, FUZZ_SST_PATH) != NULL,
               "corruption message does not name the file");
  }
}

static void fuzzSstCheckIter(const TdbSstIter *it) {
  if (!tdbSstIterValid(it) && it->rc != TDB_OK) fuzzSstCheckErr(it->rc, &it->err);
}

/* Hash the current entry of a valid iterator (touches every byte). */
static uint64_t fuzzSstHashEntry(uint64_t h, const TdbSstIter *it) {
  size_t kn, vn;
  const unsigned char *k = tdbSstIterKey(it, &kn), *v = tdbSstIterValue(it, &vn);
  return fuzzHash(fuzzHashU64(fuzzHash(h, k, kn), kn), v, vn);
}

static int fuzzSstSorted(const TdbSstOptions *o, const FuzzSstKey *keys, int n) {
  int i;
  for (i = 1; i < n; i++) {
    if (o->compare(keys[i - 1].p, keys[i - 1].n, keys[i].p, keys[i].n) >= 0) return 0;
  }
  return 1;
}

/* Seek to t in a fresh iterator, zig-zag, and fold what it saw into *h.
** With `oracle` (all entries known and ascending), check the seek result. */
static void fuzzSstSeek(TdbSstReader *r, const TdbSstOptions *o, const void *t,
                        size_t tn, const FuzzSstKey *keys, int nkeys, int oracle,
                        uint64_t *h) {
  TdbSstIter it;
  int i;
  tdbSstIterInit(&it, r);
  tdbSstIterSeek(&it, t, tn);
  fuzzSstCheckIter(&it);
  if (oracle && it.rc == TDB_OK) {
    int want = -1;
    for (i = 0; i < nkeys; i++) {
      if (o->compare(keys[i].p, keys[i].n, t, tn) >= 0) {
        want = i;
        break;
      }
    }
    if (want < 0) {
      FUZZ_CHECK(!tdbSstIterValid(&it), "seek past the last key found an entry");
    } else {
      size_t kn;
      const unsigned char *k;
      FUZZ_CHECK(tdbSstIterValid(&it), "seek missed an entry >= target");
      k = tdbSstIterKey(&it, &kn);
      FUZZ_CHECK(kn == keys[want].n && memcmp(k, keys[want].p, kn) == 0,
                 "seek returned an entry other than the first >= target");
    }
  }
  *h = fuzzHashU64(*h, (uint64_t)it.rc);
  for (i = 0; i < 3 && tdbSstIterValid(&it); i++) {
    *h = fuzzSstHashEntry(*h, &it);
    tdbSstIterNext(&it);
    fuzzSstCheckIter(&it);
  }
  for (i = 0; i < 5 && tdbSstIterValid(&it); i++) {
    tdbSstIterPrev(&it);
    fuzzSstCheckIter(&it);
    if (tdbSstIterValid(&it)) *h = fuzzSstHashEntry(*h, &it);
  }
  *h = fuzzHashU64(*h, (uint64_t)it.rc);
  tdbSstIterClear(&it);
}

/* Point lookup of t; cross-checked against a seek. */
static void fuzzSstGet(TdbSstReader *r, const void *t, size_t tn, uint64_t *h) {
  FuzzSstGot got;
  TdbVfsErr err;
  size_t ulen = 0;
  const unsigned char *uk;
  int rc;
  memset(&got, 0, sizeof got);
  memset(&err, 0, sizeof err);
  rc = tdbSstGet(r, t, tn, fuzzSstGetFn, &got, &err);
  if (rc == TDB_OK) {
    TdbSstIter it;
    FUZZ_CHECK(got.calls == 1, "tdbSstGet OK without exactly one callback");
    if (got.key) {
      tdbSstIterInit(&it, r);
      tdbSstIterSeek(&it, t, tn);
      if (it.rc == TDB_OK) {
        size_t kn;
        const unsigned char *k;
        FUZZ_CHECK(tdbSstIterValid(&it), "get found an entry a seek does not");
        k = tdbSstIterKey(&it, &kn);
        FUZZ_CHECK(kn == got.klen && memcmp(k, got.key, kn) == 0,
                   "get and seek disagree");
      }
      tdbSstIterClear(&it);
    }
  } else if (rc != TDB_NOTFOUND) {
    FUZZ_CHECK(got.calls == 0, "tdbSstGet failed after calling back");
    fuzzSstCheckErr(rc, &err);
  }
  *h = fuzzHashU64(fuzzHashU64(*h, (uint64_t)rc), got.hash);
  uk = tdbIkeyUserKey(t, tn, &ulen);
  if (uk) *h = fuzzHashU64(*h, (uint64_t)tdbSstMayContain(r, uk, ulen));
  free(got.key);
}

/* Probe with key k: as is, and its neighbours (in a copy: the oracle reads
** the kept keys). */
static void fuzzSstProbe(TdbSstReader *r, const TdbSstOptions *o,
                         const FuzzSstKey *k, const FuzzSstKey *keys, int nkeys,
                         int oracle, uint64_t *h) {
  unsigned char *t = (unsigned char *)malloc(k->n + 1);
  size_t n = k->n;
  FUZZ_CHECK(t != NULL, "malloc");
  memcpy(t, k->p, n);
  fuzzSstGet(r, t, n, h);
  fuzzSstSeek(r, o, t, n, keys, nkeys, oracle, h);
  if (n > 0) {
    t[n - 1]++;
    fuzzSstGet(r, t, n, h);
    fuzzSstSeek(r, o, t, n, keys, nkeys, oracle, h);
    t[n - 1] -= 2;
    fuzzSstSeek(r, o, t, n, keys, nkeys, oracle, h);
    t[n - 1]++;
    fuzzSstSeek(r, o, t, n - 1, keys, nkeys, oracle, h);
  }
  free(t);
}

static void fuzzSstPass(TdbMem *mem, TdbVfs *vfs, const uint8_t *data,
                        size_t size, int no_mmap, size_t cache_bytes,
                        FuzzSstPass *out) {
  tdb_config cfg;
  TdbSstOptions o;
  TdbVfsFile *file = NULL;
  TdbCache *cache = NULL;
  TdbSstReader *r = NULL;
  TdbVfsErr err;
  TdbSstIter it, it2;
  FuzzSstKey keys[FUZZ_SST_MAX_KEYS];
  int nkeys = 0, all = 1, oracle, i, rc;
  uint64_t h = FUZZ_HASH_INIT, n;

  memset(out, 0, sizeof *out);
  memset(&err, 0, sizeof err);
  tdb_config_default(&cfg);
  tdbTableOptions(&cfg, &o);
  o.no_mmap = no_mmap;
  FUZZ_CHECK(fuzzExactOpen(vfs, FUZZ_SST_PATH, &file) == TDB_OK, "open the input file");
  if (cache_bytes) FUZZ_CHECK(tdbCacheNew(mem, cache_bytes, 0, &cache) == TDB_OK, "cache");

  rc = tdbSstReaderOpen(mem, &o, file, cache, 7, &r, &err);
  out->open_rc = rc;
  if (rc != TDB_OK) {
    FUZZ_CHECK(r == NULL, "failed open left a reader");
    fuzzSstCheckErr(rc, &err);
    goto done;
  }

  /* Properties: touch the keys; an engine property (usually absent). */
  {
    const TdbSstProps *p = tdbSstReaderProps(r);
    const unsigned char *pv = NULL;
    size_t pn = 0;
    h = fuzzHash(h, p->min_key, p->min_key_len);
    h = fuzzHash(h, p->max_key, p->max_key_len);
    h = fuzzHashU64(h, p->entries);
    if (tdbSstReaderProperty(r, TDB_SST_PROP_USER, &pv, &pn) == TDB_OK) {
      h = fuzzHash(h, pv, pn);
    }
  }

  /* Forward over everything, keeping keys. */
  tdbSstIterInit(&it, r);
  out->fwd_hash = FUZZ_HASH_INIT;
  for (tdbSstIterSeekToFirst(&it); tdbSstIterValid(&it); tdbSstIterNext(&it)) {
    size_t kn;
    const unsigned char *k = tdbSstIterKey(&it, &kn);
    out->fwd_hash = fuzzSstHashEntry(out->fwd_hash, &it);
    FUZZ_CHECK(++out->fwd_n <= size, "more entries than bytes");
    if (nkeys < FUZZ_SST_MAX_KEYS) {
      keys[nkeys].p = (unsigned char *)malloc(kn + 1);
      FUZZ_CHECK(keys[nkeys].p != NULL, "malloc");
      memcpy(keys[nkeys].p, k, kn);
      keys[nkeys].n = kn;
      nkeys++;
    } else {
      all = 0;
    }
  }
  fuzzSstCheckIter(&it);
  out->fwd_rc = it.rc;
  tdbSstIterClear(&it);

  /* Backward over everything. */
  tdbSstIterInit(&it, r);
  out->bwd_hash = FUZZ_HASH_INIT;
  for (tdbSstIterSeekToLast(&it); tdbSstIterValid(&it); tdbSstIterPrev(&it)) {
    out->bwd_hash = fuzzSstHashEntry(out->bwd_hash, &it);
    FUZZ_CHECK(++out->bwd_n <= size, "more entries than bytes");
  }
  fuzzSstCheckIter(&it);
  out->bwd_rc = it.rc;
  tdbSstIterClear(&it);
  if (out->fwd_rc == TDB_OK && out->bwd_rc == TDB_OK) {
    FUZZ_CHECK(out->fwd_n == out->bwd_n, "forward and backward counts differ");
  }

  /* Probes of every kept key, then of slices of the input. */
  oracle = all && out->fwd_rc == TDB_OK && fuzzSstSorted(&o, keys, nkeys);
  for (i = 0; i < nkeys; i++) fuzzSstProbe(r, &o, &keys[i], keys, nkeys, oracle, &h);
  fuzzSstSeek(r, &o, "", 0, keys, nkeys, oracle, &h);
  fuzzSstGet(r, "", 0, &h);
  n = size < 40 ? size : 40;
  fuzzSstSeek(r, &o, data, (size_t)n, keys, nkeys, oracle, &h);
  fuzzSstGet(r, data, (size_t)n, &h);
  if (size > 80) {
    fuzzSstSeek(r, &o, data + size - 80, 16, keys, nkeys, oracle, &h);
    fuzzSstGet(r, data + size - 80, 16, &h);
  }

  /* Two live iterators over one reader (shared cache entries). */
  tdbSstIterInit(&it, r);
  tdbSstIterInit(&it2, r);
  tdbSstIterSeekToFirst(&it);
  tdbSstIterSeekToLast(&it2);
  for (i = 0; i < 64 && (tdbSstIterValid(&it) || tdbSstIterValid(&it2)); i++) {
    if (tdbSstIterValid(&it)) {
      h = fuzzSstHashEntry(h, &it);
      tdbSstIterNext(&it);
    }
    if (tdbSstIterValid(&it2)) {
      h = fuzzSstHashEntry(h, &it2);
      tdbSstIterPrev(&it2);
    }
  }
  fuzzSstCheckIter(&it);
  fuzzSstCheckIter(&it2);
  tdbSstIterClear(&it2);
  tdbSstIterClear(&it);
  out->probe_hash = h;

  for (i = 0; i < nkeys; i++) free(keys[i].p);
done:
  tdbSstReaderClose(r);
  tdbCacheFree(cache);
  tdbVfsClose(file);
}

static int fuzzSstSame(const FuzzSstPass *x, const FuzzSstPass *y) {
  return x->open_rc == y->open_rc && x->fwd_rc == y->fwd_rc &&
         x->bwd_rc == y->bwd_rc && x->fwd_n == y->fwd_n && x->bwd_n == y->bwd_n &&
         x->fwd_hash == y->fwd_hash && x->bwd_hash == y->bwd_hash &&
         x->probe_hash == y->probe_hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TdbMem mem;
  TdbVfs *vfs = NULL;
  FuzzSstPass a, b, c;

  tdbMemInit(&mem, NULL);
  FUZZ_CHECK(tdbVfsMemoryNew(&mem, &vfs) == TDB_OK, "memory VFS");
  FUZZ_CHECK(fuzzPutFile(vfs, FUZZ_SST_PATH, data, size) == TDB_OK, "write input");

  fuzzSstPass(&mem, vfs, data, size, 0, (size_t)1 << 20, &a); /* mmap + cache */
  fuzzSstPass(&mem, vfs, data, size, 1, 0, &b);               /* pread */
  fuzzSstPass(&mem, vfs, data, size, 1, 64, &c);              /* pread + tiny cache */

  FUZZ_CHECK(a.open_rc == b.open_rc && b.open_rc == c.open_rc,
             "open result depends on mmap/cache");
  FUZZ_CHECK(fuzzSstSame(&a, &b) && fuzzSstSame(&b, &c),
             "reads depend on mmap/cache");

  tdbVfsMemoryFree(vfs);
  return 0;
}
