/*
** test_skiplist.c — the memtable's skiplist: the empty list, 10k random
** internal keys against a sorted-array model (forward, backward, seek to
** existing and absent keys, values), edge cases of seek/prev/next/first/
** last, duplicates refused, out of memory leaving the list unchanged,
** repeatable heights, and (with TDB_THREADS) one writer with two readers
** that check every pass is sorted and only grows. The writer's finger (the
** search path of the last link) is checked by linking the same model in
** ascending, descending, random, interleaved-runs and zig-zag orders, with
** duplicates refused at every step of the way (the last key, its
** neighbours, keys far back), and by the concurrent test in ascending and
** runs orders too. Pairs linked together (tdbSkiplistLinkPair) are checked
** the same way, mixed with single links, with their refusals, in small
** lists of near keys, level by level, and under concurrent readers.
*/
#include "tensordb.c"
#include "test.h"

#if TDB_THREADS
#include <pthread.h>
#include <stdatomic.h>
#endif

typedef struct Key {
  unsigned char bytes[24];
  size_t n;
} Key;

static int keyCompare(const void *a, const void *b) {
  const Key *ka = (const Key *)a, *kb = (const Key *)b;
  return tdbIkeyCompare(ka->bytes, ka->n, kb->bytes, kb->n);
}

/* A random internal key: short user keys over a small alphabet, so many
** share a user key or are prefixes of one another. */
static void randomKey(uint64_t *rng, Key *k) {
  unsigned char user[12];
  size_t ulen = (size_t)(tdbTestRand(rng) % 6), i;
  for (i = 0; i < ulen; i++) user[i] = (unsigned char)("\0az\xff"[tdbTestRand(rng) % 4]);
  k->n = tdbIkeyEncode(k->bytes, user, ulen, tdbTestRand(rng) % 50,
                       (int)(tdbTestRand(rng) & 1));
}

/* The value stored with a key: derived from it, so it can be checked. */
static size_t valueOf(const Key *k, unsigned char *out) {
  size_t i, n = k->n % 7;
  for (i = 0; i < n; i++) out[i] = (unsigned char)(k->bytes[k->n - 1 - i] ^ 0x5a);
  return n;
}

static int sameKey(const unsigned char *p, size_t n, const Key *k) {
  return n == k->n && memcmp(p, k->bytes, n) == 0;
}

static void testEmpty(void) {
  TdbMem mem;
  TdbArena arena;
  TdbSkiplist *list;
  TdbSkiplistIter it;
  unsigned char seek[16];
  size_t n;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  list = tdbSkiplistNew(&arena);
  CHECK(list != NULL);
  if (!list) return;
  CHECK_EQ(tdbSkiplistCount(list), 0);
  tdbSkiplistIterInit(&it, list);
  CHECK(!tdbSkiplistIterValid(&it));
  tdbSkiplistIterSeekToFirst(&it);
  CHECK(!tdbSkiplistIterValid(&it));
  tdbSkiplistIterSeekToLast(&it);
  CHECK(!tdbSkiplistIterValid(&it));
  n = tdbIkeySeekKey(seek, "a", 1, 5);
  tdbSkiplistIterSeek(&it, seek, n);
  CHECK(!tdbSkiplistIterValid(&it));
  tdbSkiplistIterSeek(&it, NULL, 0);
  CHECK(!tdbSkiplistIterValid(&it));
  tdbArenaFree(&arena);
}

enum { NKEYS = 10000 };
static Key gKeys[NKEYS];   /* insertion order */
static Key gSorted[NKEYS]; /* the model */

/* Build the model: NKEYS distinct random keys, and the same sorted. */
static size_t buildModel(uint64_t seed) {
  uint64_t rng = seed;
  size_t n = 0, i, j;
  while (n < NKEYS) {
    randomKey(&rng, &gKeys[n]);
    /* distinct: keep a key only if new (quadratic is too slow; check a
    ** sorted copy at the end instead and regenerate duplicates) */
    n++;
  }
  for (;;) {
    int dup = 0;
    memcpy(gSorted, gKeys, sizeof(gKeys));
    qsort(gSorted, NKEYS, sizeof(Key), keyCompare);
    for (i = 1; i < NKEYS; i++) {
      if (keyCompare(&gSorted[i - 1], &gSorted[i]) == 0) {
        /* replace one copy in gKeys by a longer, fresh key */
        for (j = 0; j < NKEYS; j++) {
          if (keyCompare(&gKeys[j], &gSorted[i]) == 0) {
            unsigned char user[16];
            size_t ulen = 6 + (size_t)(tdbTestRand(&rng) % 10), k;
            for (k = 0; k < ulen; k++) user[k] = (unsigned char)tdbTestRand(&rng);
            gKeys[j].n = tdbIkeyEncode(gKeys[j].bytes, user, ulen,
                                       tdbTestRand(&rng) % 50, TDB_KIND_VALUE);
            break;
          }
        }
        dup = 1;
      }
    }
    if (!dup) break;
  }
  return NKEYS;
}

/* Index of the first model key >= target (NKEYS if none). */
static size_t lowerBound(const unsigned char *t, size_t tn) {
  size_t lo = 0, hi = NKEYS;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (tdbIkeyCompare(gSorted[mid].bytes, gSorted[mid].n, t, tn) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static void testRandomAgainstModel(void) {
  TdbMem mem;
  TdbArena arena;
  TdbSkiplist *list;
  TdbSkiplistIter it;
  unsigned char val[8];
  uint64_t rng = 99;
  size_t i, n, vn, bad;
  const unsigned char *p;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  list = tdbSkiplistNew(&arena);
  CHECK(list != NULL);
  if (!list) return;
  buildModel(12345);
  for (i = 0; i < NKEYS; i++) {
    vn = valueOf(&gKeys[i], val);
    CHECK_EQ(tdbSkiplistInsert(list, gKeys[i].bytes, gKeys[i].n, val, vn), TDB_OK);
  }
  CHECK_EQ(tdbSkiplistCount(list), NKEYS);

  /* Forward. */
  tdbSkiplistIterInit(&it, list);
  tdbSkiplistIterSeekToFirst(&it);
  bad = 0;
  for (i = 0; i < NKEYS && tdbSkiplistIterValid(&it); i++) {
    const unsigned char *v;
    p = tdbSkiplistIterKey(&it, &n);
    if (!sameKey(p, n, &gSorted[i])) bad++;
    v = tdbSkiplistIterValue(&it, &n);
    vn = valueOf(&gSorted[i], val);
    if (n != vn || (n && memcmp(v, val, n) != 0)) bad++;
    tdbSkiplistIterNext(&it);
  }
  CHECK_EQ(i, NKEYS);
  CHECK(!tdbSkiplistIterValid(&it));
  CHECK_EQ(bad, 0);

  /* Backward. */
  tdbSkiplistIterSeekToLast(&it);
  bad = 0;
  for (i = NKEYS; i > 0 && tdbSkiplistIterValid(&it); i--) {
    p = tdbSkiplistIterKey(&it, &n);
    if (!sameKey(p, n, &gSorted[i - 1])) bad++;
    tdbSkiplistIterPrev(&it);
  }
  CHECK_EQ(i, 0);
  CHECK(!tdbSkiplistIterValid(&it));
  CHECK_EQ(bad, 0);

  /* Seek to every key, and to random targets (mostly absent). */
  bad = 0;
  for (i = 0; i < NKEYS; i++) {
    tdbSkiplistIterSeek(&it, gKeys[i].bytes, gKeys[i].n);
    if (!tdbSkiplistIterValid(&it)) { bad++; continue; }
    p = tdbSkiplistIterKey(&it, &n);
    if (!sameKey(p, n, &gKeys[i])) bad++;
  }
  CHECK_EQ(bad, 0);
  bad = 0;
  for (i = 0; i < 20000; i++) {
    Key t;
    size_t lb;
    randomKey(&rng, &t);
    if (i % 5 == 0) t.n = (size_t)(tdbTestRand(&rng) % 8); /* malformed */
    lb = lowerBound(t.bytes, t.n);
    tdbSkiplistIterSeek(&it, t.bytes, t.n);
    if (lb == NKEYS) {
      if (tdbSkiplistIterValid(&it)) bad++;
      continue;
    }
    if (!tdbSkiplistIterValid(&it)) { bad++; continue; }
    p = tdbSkiplistIterKey(&it, &n);
    if (!sameKey(p, n, &gSorted[lb])) bad++;
    /* and one step each way from there */
    tdbSkiplistIterPrev(&it);
    if (lb == 0) {
      if (tdbSkiplistIterValid(&it)) bad++;
    } else {
      if (!tdbSkiplistIterValid(&it)) { bad++; continue; }
      p = tdbSkiplistIterKey(&it, &n);
      if (!sameKey(p, n, &gSorted[lb - 1])) bad++;
      tdbSkiplistIterNext(&it);
      p = tdbSkiplistIterKey(&it, &n);
      if (!sameKey(p, n, &gSorted[lb])) bad++;
    }
  }
  CHECK_EQ(bad, 0);

  /* Every key again: refused, nothing added. */
  bad = 0;
  for (i = 0; i < NKEYS; i += 7) {
    if (tdbSkiplistInsert(list, gKeys[i].bytes, gKeys[i].n, "x", 1) != TDB_MISUSE) bad++;
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(tdbSkiplistCount(list), NKEYS);
  tdbArenaFree(&arena);
}

static void testEdges(void) {
  TdbMem mem;
  TdbArena arena;
  TdbSkiplist *list;
  TdbSkiplistIter it;
  unsigned char k[3][16], t[16];
  size_t kn[3], n, tn;
  const unsigned char *p;
  int i;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  list = tdbSkiplistNew(&arena);
  if (!list) { CHECK(0); return; }
  kn[0] = tdbIkeyEncode(k[0], "b", 1, 5, TDB_KIND_VALUE);
  kn[1] = tdbIkeyEncode(k[1], "b", 1, 2, TDB_KIND_VALUE);
  kn[2] = tdbIkeyEncode(k[2], "d", 1, 1, TDB_KIND_DELETE);
  /* One entry: first == last; next and prev leave the list. */
  CHECK_EQ(tdbSkiplistInsert(list, k[1], kn[1], "v1", 2), TDB_OK);
  tdbSkiplistIterInit(&it, list);
  tdbSkiplistIterSeekToFirst(&it);
  CHECK(tdbSkiplistIterValid(&it));
  tdbSkiplistIterNext(&it);
  CHECK(!tdbSkiplistIterValid(&it));
  tdbSkiplistIterSeekToLast(&it);
  CHECK(tdbSkiplistIterValid(&it));
  tdbSkiplistIterPrev(&it);
  CHECK(!tdbSkiplistIterValid(&it));
  /* Empty value; insertion out of order. */
  CHECK_EQ(tdbSkiplistInsert(list, k[2], kn[2], NULL, 0), TDB_OK);
  CHECK_EQ(tdbSkiplistInsert(list, k[0], kn[0], "v0", 2), TDB_OK);
  CHECK_EQ(tdbSkiplistInsert(list, k[0], kn[0], "again", 5), TDB_MISUSE);
  tdbSkiplistIterSeekToFirst(&it);
  for (i = 0; i < 3; i++) {
    CHECK(tdbSkiplistIterValid(&it));
    if (!tdbSkiplistIterValid(&it)) break;
    p = tdbSkiplistIterKey(&it, &n);
    CHECK(n == kn[i] && memcmp(p, k[i], n) == 0);
    tdbSkiplistIterNext(&it);
  }
  CHECK(!tdbSkiplistIterValid(&it));
  tdbSkiplistIterSeekToLast(&it);
  p = tdbSkiplistIterValue(&it, &n);
  CHECK_EQ(n, 0);
  tdbSkiplistIterSeekToFirst(&it);
  p = tdbSkiplistIterValue(&it, &n);
  CHECK(n == 2 && memcmp(p, "v0", 2) == 0);
  /* Seek before everything, between, exactly, past the end. */
  tn = tdbIkeySeekKey(t, "a", 1, 100);
  tdbSkiplistIterSeek(&it, t, tn);
  p = tdbSkiplistIterKey(&it, &n);
  CHECK(n == kn[0] && memcmp(p, k[0], n) == 0);
  tn = tdbIkeySeekKey(t, "b", 1, 4); /* b@5 is too new: b@2 */
  tdbSkiplistIterSeek(&it, t, tn);
  p = tdbSkiplistIterKey(&it, &n);
  CHECK(n == kn[1] && memcmp(p, k[1], n) == 0);
  tn = tdbIkeySeekKey(t, "b", 1, 1); /* no b at <= 1: next user key */
  tdbSkiplistIterSeek(&it, t, tn);
  p = tdbSkiplistIterKey(&it, &n);
  CHECK(n == kn[2] && memcmp(p, k[2], n) == 0);
  tdbSkiplistIterSeek(&it, k[2], kn[2]);
  CHECK(tdbSkiplistIterValid(&it));
  tn = tdbIkeySeekKey(t, "d", 1, 0);
  tdbSkiplistIterSeek(&it, t, tn);
  CHECK(!tdbSkiplistIterValid(&it));
  tn = tdbIkeySeekKey(t, "e", 1, 100);
  tdbSkiplistIterSeek(&it, t, tn);
  CHECK(!tdbSkiplistIterValid(&it));
  tdbArenaFree(&arena);
}

/* Orders of the model's keys for testOrders: a permutation of 0..NKEYS-1
** (indexes into gSorted). */
enum { ORDER_ASCENDING, ORDER_DESCENDING, ORDER_RANDOM, ORDER_RUNS, ORDER_ZIGZAG,
       ORDER_COUNT };
static size_t gOrder[NKEYS];

static void makeOrder(int order, uint64_t *rng) {
  size_t i, j, n = 0;
  switch (order) {
    case ORDER_ASCENDING:
      for (i = 0; i < NKEYS; i++) gOrder[i] = i;
      break;
    case ORDER_DESCENDING:
      for (i = 0; i < NKEYS; i++) gOrder[i] = NKEYS - 1 - i;
      break;
    case ORDER_RANDOM:
      for (i = 0; i < NKEYS; i++) gOrder[i] = i;
      for (i = NKEYS - 1; i > 0; i--) {
        size_t t;
        j = (size_t)(tdbTestRand(rng) % (i + 1));
        t = gOrder[i];
        gOrder[i] = gOrder[j];
        gOrder[j] = t;
      }
      break;
    case ORDER_RUNS:
      /* 16 interleaved ascending runs (key i goes to run i % 16), the runs
      ** one after the other: each run jumps back to the start and then
      ** climbs over the keys the earlier runs linked. */
      for (j = 0; j < 16; j++) {
        for (i = j; i < NKEYS; i += 16) gOrder[n++] = i;
      }
      break;
    default: /* ORDER_ZIGZAG: from both ends toward the middle */
      for (i = 0; n < NKEYS; i++) {
        gOrder[n++] = i;
        if (n < NKEYS) gOrder[n++] = NKEYS - 1 - i;
      }
      break;
  }
}

/* Link the model in each order; after every 97th link, refuse the last key
** again, its neighbours in the model that are already there, and a key
** from the start; at the end the list must be exactly the model. */
static void testOrders(void) {
  uint64_t rng = 4242;
  int order;
  buildModel(777);
  for (order = 0; order < ORDER_COUNT; order++) {
    TdbMem mem;
    TdbArena arena;
    TdbSkiplist *list;
    TdbSkiplistIter it;
    unsigned char val[8];
    static unsigned char present[NKEYS];
    size_t i, n, vn, bad = 0, refused = 0;
    const unsigned char *p;
    tdbMemInit(&mem, NULL);
    tdbArenaInit(&arena, &mem, 0);
    list = tdbSkiplistNew(&arena);
    if (!list) { CHECK(0); return; }
    makeOrder(order, &rng);
    memset(present, 0, sizeof(present));
    for (i = 0; i < NKEYS; i++) {
      const Key *k = &gSorted[gOrder[i]];
      vn = valueOf(k, val);
      if (tdbSkiplistInsert(list, k->bytes, k->n, val, vn) != TDB_OK) bad++;
      present[gOrder[i]] = 1;
      if (i % 97 == 0) {
        size_t probe[4], m;
        probe[0] = gOrder[i];
        probe[1] = gOrder[i] > 0 ? gOrder[i] - 1 : gOrder[i];
        probe[2] = gOrder[i] + 1 < NKEYS ? gOrder[i] + 1 : gOrder[i];
        probe[3] = gOrder[i / 2];
        for (m = 0; m < 4; m++) {
          const Key *d = &gSorted[probe[m]];
          if (!present[probe[m]]) continue;
          refused++;
          if (tdbSkiplistInsert(list, d->bytes, d->n, "dup", 3) != TDB_MISUSE) bad++;
        }
      }
      if (tdbSkiplistCount(list) != i + 1) bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK(refused >= NKEYS / 97);
    CHECK_EQ(tdbSkiplistCount(list), NKEYS);
    /* forward: the model, with the values of the first (only) link */
    tdbSkiplistIterInit(&it, list);
    tdbSkiplistIterSeekToFirst(&it);
    for (i = 0; i < NKEYS && tdbSkiplistIterValid(&it); i++) {
      const unsigned char *v;
      p = tdbSkiplistIterKey(&it, &n);
      if (!sameKey(p, n, &gSorted[i])) bad++;
      v = tdbSkiplistIterValue(&it, &n);
      vn = valueOf(&gSorted[i], val);
      if (n != vn || (n && memcmp(v, val, n) != 0)) bad++;
      tdbSkiplistIterNext(&it);
    }
    CHECK_EQ(i, NKEYS);
    CHECK(!tdbSkiplistIterValid(&it));
    CHECK_EQ(bad, 0);
    /* every upper level is sorted too: seeks land exactly, and backward
    ** steps (searches from the head through all levels) agree */
    for (i = 0; i < NKEYS; i += 13) {
      tdbSkiplistIterSeek(&it, gSorted[i].bytes, gSorted[i].n);
      if (!tdbSkiplistIterValid(&it)) { bad++; continue; }
      p = tdbSkiplistIterKey(&it, &n);
      if (!sameKey(p, n, &gSorted[i])) bad++;
      tdbSkiplistIterPrev(&it);
      if (i == 0) {
        if (tdbSkiplistIterValid(&it)) bad++;
        continue;
      }
      if (!tdbSkiplistIterValid(&it)) { bad++; continue; }
      p = tdbSkiplistIterKey(&it, &n);
      if (!sameKey(p, n, &gSorted[i - 1])) bad++;
    }
    CHECK_EQ(bad, 0);
    tdbArenaFree(&arena);
  }
}

/* The finger across a failed link: a node allocated but refused (a
** duplicate) and an insert that ran out of memory leave the path as it was,
** and the next ascending links still land right. */
static void testFingerAfterRefusal(void) {
  TdbMem mem;
  TdbArena arena;
  TdbSkiplist *list;
  TdbSkiplistIter it;
  unsigned char k[16];
  size_t kn, n, i;
  const unsigned char *p;
  char user[16];
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  list = tdbSkiplistNew(&arena);
  if (!list) { CHECK(0); return; }
  for (i = 0; i < 3000; i++) {
    snprintf(user, sizeof(user), "k%05zu", i * 2);
    kn = tdbIkeyEncode(k, user, 6, 1, TDB_KIND_VALUE);
    CHECK_EQ(tdbSkiplistInsert(list, k, kn, NULL, 0), TDB_OK);
    if (i % 10 == 0) CHECK_EQ(tdbSkiplistInsert(list, k, kn, NULL, 0), TDB_MISUSE);
  }
  /* the odd keys, ascending: each lands between two even ones */
  for (i = 0; i < 3000; i++) {
    snprintf(user, sizeof(user), "k%05zu", i * 2 + 1);
    kn = tdbIkeyEncode(k, user, 6, 1, TDB_KIND_VALUE);
    CHECK_EQ(tdbSkiplistInsert(list, k, kn, NULL, 0), TDB_OK);
    snprintf(user, sizeof(user), "k%05zu", i * 2 + 2); /* the next even one */
    kn = tdbIkeyEncode(k, user, 6, 1, TDB_KIND_VALUE);
    if (i + 1 < 3000) CHECK_EQ(tdbSkiplistInsert(list, k, kn, NULL, 0), TDB_MISUSE);
  }
  CHECK_EQ(tdbSkiplistCount(list), 6000);
  tdbSkiplistIterInit(&it, list);
  i = 0;
  for (tdbSkiplistIterSeekToFirst(&it); tdbSkiplistIterValid(&it); tdbSkiplistIterNext(&it)) {
    p = tdbSkiplistIterKey(&it, &n);
    snprintf(user, sizeof(user), "k%05zu", i++);
    CHECK(n == 6 + TDB_IKEY_TAG_SIZE && memcmp(p, user, 6) == 0);
  }
  CHECK_EQ(i, 6000);
  tdbArenaFree(&arena);
}

/* Every level of the list is sorted and holds exactly the nodes tall
** enough for it (each node at level i is at every level below), and the
** list's height covers the tallest node: what searches rely on, checked
** directly (a node linked at a wrong place of an upper level can leave
** level 0 right). Returns the number of faults. */
static size_t levelFaults(const TdbSkiplist *list) {
  size_t faults = 0, tall[TDB_SKIPLIST_MAX_HEIGHT], i;
  const TdbSkipNode *x;
  int level, top = 0;
  memset(tall, 0, sizeof(tall));
  for (x = TDB_SKIP_LOAD(&list->head->next[0]); x; x = TDB_SKIP_LOAD(&x->next[0])) {
    int h = tdbSkipNodeHeight(x);
    if (h < 1 || h > TDB_SKIPLIST_MAX_HEIGHT) return faults + 1;
    for (level = 0; level < h; level++) tall[level]++;
    if (h > top) top = h;
  }
  if (top > tdbSkipHeight(list)) faults++;
  for (level = 0; level < TDB_SKIPLIST_MAX_HEIGHT; level++) {
    const unsigned char *prev = NULL;
    size_t prev_n = 0, n, count = 0;
    for (x = TDB_SKIP_LOAD(&list->head->next[level]); x; x = TDB_SKIP_LOAD(&x->next[level])) {
      const unsigned char *k = tdbSkipEntryKey(x->entry, &n);
      if (tdbSkipNodeHeight(x) <= level) faults++;
      if (prev && tdbIkeyCompare(prev, prev_n, k, n) >= 0) faults++;
      prev = k;
      prev_n = n;
      if (++count > NKEYS) return faults + 1; /* a cycle */
    }
    if (count != tall[level]) faults++;
  }
  for (i = 0; i + 1 < TDB_SKIPLIST_MAX_HEIGHT; i++) {
    if (tall[i] < tall[i + 1]) faults++;
  }
  return faults;
}

/* A node for key k (value valueOf(k)), not linked. */
static TdbSkipNode *nodeOf(TdbSkiplist *list, const Key *k) {
  unsigned char val[8], *kdst, *vdst;
  size_t vn = valueOf(k, val);
  TdbSkipNode *node = tdbSkiplistAllocNode(list, k->n, vn, &kdst, &vdst);
  if (!node) return NULL;
  memcpy(kdst, k->bytes, k->n);
  if (vn) memcpy(vdst, val, vn);
  return node;
}

/* Link gSorted[x] and gSorted[y] (x != y) with tdbSkiplistLinkPair, the
** smaller first: the TDB_* code. */
static int linkPair(TdbSkiplist *list, size_t x, size_t y) {
  TdbSkipNode *a, *b;
  if (x > y) {
    size_t t = x;
    x = y;
    y = t;
  }
  a = nodeOf(list, &gSorted[x]);
  b = nodeOf(list, &gSorted[y]);
  if (!a || !b) return TDB_NOMEM;
  return tdbSkiplistLinkPair(list, a, b);
}

/* The list holds exactly the model's keys with present[i] set, in order,
** with their values: the number of faults. */
static size_t modelFaults(const TdbSkiplist *list, const unsigned char *present) {
  TdbSkiplistIter it;
  unsigned char val[8];
  size_t i, n, vn, faults = 0, want = 0;
  tdbSkiplistIterInit(&it, list);
  tdbSkiplistIterSeekToFirst(&it);
  for (i = 0; i < NKEYS; i++) {
    const unsigned char *p, *v;
    if (!present[i]) continue;
    want++;
    if (!tdbSkiplistIterValid(&it)) return faults + 1;
    p = tdbSkiplistIterKey(&it, &n);
    if (!sameKey(p, n, &gSorted[i])) faults++;
    v = tdbSkiplistIterValue(&it, &n);
    vn = valueOf(&gSorted[i], val);
    if (n != vn || (n && memcmp(v, val, n) != 0)) faults++;
    tdbSkiplistIterNext(&it);
  }
  if (tdbSkiplistIterValid(&it)) faults++;
  if (tdbSkiplistCount(list) != want) faults++;
  return faults;
}

/* tdbSkiplistLinkPair: the model linked two keys at a time (every fifth
** step one key alone, by the finger), in random, ascending, runs and
** zig-zag orders; every 97th pair, pairs refused first: the keys in the
** wrong order, one of them already there (either side), the same key
** twice; the list unchanged by each. Then many small lists made only of
** pairs, where a pair's keys are often neighbours and new levels are
** common. Every level is checked, not only the bottom one. */
static void testPairs(void) {
  static const int orders[] = {ORDER_RANDOM, ORDER_ASCENDING, ORDER_RUNS, ORDER_ZIGZAG};
  static unsigned char present[NKEYS];
  uint64_t rng = 991;
  size_t o;
  buildModel(4711);
  for (o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
    TdbMem mem;
    TdbArena arena;
    TdbSkiplist *list;
    size_t i = 0, step = 0, bad = 0, refused = 0;
    tdbMemInit(&mem, NULL);
    tdbArenaInit(&arena, &mem, 0);
    list = tdbSkiplistNew(&arena);
    if (!list) { CHECK(0); return; }
    makeOrder(orders[o], &rng);
    memset(present, 0, sizeof(present));
    while (i < NKEYS) {
      size_t x = gOrder[i];
      if (step++ % 5 == 4 || i + 1 == NKEYS) {
        unsigned char val[8];
        size_t vn = valueOf(&gSorted[x], val);
        if (tdbSkiplistInsert(list, gSorted[x].bytes, gSorted[x].n, val, vn) != TDB_OK) bad++;
        present[x] = 1;
        i++;
        continue;
      }
      if (step % 97 == 0 && i > 0) {
        size_t old = gOrder[i / 2], count = tdbSkiplistCount(list);
        size_t lo = x < old ? x : old, hi = x < old ? old : x;
        TdbSkipNode *a = nodeOf(list, &gSorted[lo]), *b = nodeOf(list, &gSorted[hi]);
        if (!a || !b || tdbSkiplistLinkPair(list, a, b) != TDB_MISUSE) bad++;
        a = nodeOf(list, &gSorted[x]);
        b = nodeOf(list, &gSorted[x]);
        if (!a || !b || tdbSkiplistLinkPair(list, a, b) != TDB_MISUSE) bad++;
        {
          size_t y = gOrder[i + 1]; /* != x: the order is a permutation */
          a = nodeOf(list, &gSorted[x > y ? x : y]);
          b = nodeOf(list, &gSorted[x > y ? y : x]);
          if (!a || !b || tdbSkiplistLinkPair(list, a, b) != TDB_MISUSE) bad++;
        }
        if (tdbSkiplistCount(list) != count) bad++;
        refused += 3;
      }
      if (linkPair(list, x, gOrder[i + 1]) != TDB_OK) bad++;
      present[x] = present[gOrder[i + 1]] = 1;
      i += 2;
    }
    CHECK_EQ(bad, 0);
    CHECK(refused >= 3 * 40); /* ~46 steps of the ~5,600 */
    CHECK_EQ(modelFaults(list, present), 0);
    CHECK_EQ(levelFaults(list), 0);
    /* seeks through every level land exactly */
    for (i = 0; i < NKEYS; i += 7) {
      TdbSkiplistIter it;
      const unsigned char *p;
      size_t n;
      tdbSkiplistIterInit(&it, list);
      tdbSkiplistIterSeek(&it, gSorted[i].bytes, gSorted[i].n);
      if (!tdbSkiplistIterValid(&it)) { bad++; continue; }
      p = tdbSkiplistIterKey(&it, &n);
      if (!sameKey(p, n, &gSorted[i])) bad++;
    }
    CHECK_EQ(bad, 0);
    tdbArenaFree(&arena);
  }
  /* small lists of pairs of random model keys */
  {
    size_t lists, faults = 0, bad = 0;
    for (lists = 0; lists < 400; lists++) {
      TdbMem mem;
      TdbArena arena;
      TdbSkiplist *list;
      size_t pairs = 1 + lists % 24, j, base = (size_t)(tdbTestRand(&rng) % (NKEYS - 64));
      tdbMemInit(&mem, NULL);
      tdbArenaInit(&arena, &mem, 0);
      list = tdbSkiplistNew(&arena);
      if (!list) { CHECK(0); return; }
      memset(present, 0, sizeof(present));
      /* keys from a window of 64 model keys, so pairs are often adjacent */
      for (j = 0; j < pairs; j++) {
        size_t x = base + (size_t)(tdbTestRand(&rng) % 64);
        size_t y = base + (size_t)(tdbTestRand(&rng) % 64);
        if (x == y || present[x] || present[y]) continue;
        if (linkPair(list, x, y) != TDB_OK) bad++;
        present[x] = present[y] = 1;
      }
      faults += modelFaults(list, present) + levelFaults(list);
      tdbArenaFree(&arena);
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(faults, 0);
  }
}

/* Large keys and values (multi-byte varint lengths, own arena blocks). */
static void testLargeEntries(void) {
  TdbMem mem;
  TdbArena arena;
  TdbSkiplist *list;
  TdbSkiplistIter it;
  static unsigned char key[70000], val[200000];
  const unsigned char *p;
  size_t n;
  int i;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  list = tdbSkiplistNew(&arena);
  if (!list) { CHECK(0); return; }
  for (i = 0; i < (int)sizeof(key); i++) key[i] = (unsigned char)(i * 7);
  for (i = 0; i < (int)sizeof(val); i++) val[i] = (unsigned char)(i * 13);
  for (i = 0; i < 4; i++) {
    size_t kl = (size_t)(200 << (4 * i)) % sizeof(key);
    CHECK_EQ(tdbSkiplistInsert(list, key, kl, val, sizeof(val) >> i), TDB_OK);
  }
  CHECK_EQ(tdbSkiplistInsert(list, key, 1, val, (size_t)UINT32_MAX + 1), TDB_TOOBIG);
  tdbSkiplistIterInit(&it, list);
  for (tdbSkiplistIterSeekToFirst(&it); tdbSkiplistIterValid(&it); tdbSkiplistIterNext(&it)) {
    size_t kl;
    p = tdbSkiplistIterKey(&it, &kl);
    CHECK(memcmp(p, key, kl) == 0);
    p = tdbSkiplistIterValue(&it, &n);
    CHECK(n <= sizeof(val) && memcmp(p, val, n) == 0);
  }
  tdbArenaFree(&arena);
}

static void testOutOfMemory(void) {
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbArena arena;
  TdbSkiplist *list;
  TdbSkiplistIter it;
  unsigned char k[16];
  size_t kn, n;
  int i, nomem = 0, ok = 0;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  /* New fails cleanly. */
  tdbArenaInit(&arena, &mem, 256);
  ta.fail_at = 1;
  CHECK(tdbSkiplistNew(&arena) == NULL);
  tdbArenaFree(&arena);
  CHECK_EQ(ta.live, 0);
  /* Inserts fail at every 3rd block: each failure leaves the list as it was. */
  ta.fail_at = 0;
  tdbArenaInit(&arena, &mem, 256);
  list = tdbSkiplistNew(&arena);
  if (!list) { CHECK(0); return; }
  for (i = 0; i < 300; i++) {
    int rc;
    char user[16];
    snprintf(user, sizeof(user), "k%03d", i % 1000);
    kn = tdbIkeyEncode(k, user, 4, 1, TDB_KIND_VALUE);
    ta.calls = 0;
    ta.fail_at = (i % 3 == 0) ? 1 : 0;
    rc = tdbSkiplistInsert(list, k, kn, "0123456789012345678901234567890123456789", 40);
    if (rc == TDB_NOMEM) nomem++;
    else if (rc == TDB_OK) ok++;
    else CHECK(0);
    CHECK_EQ(tdbSkiplistCount(list), (size_t)ok);
  }
  ta.fail_at = 0;
  CHECK(nomem > 0);
  CHECK(ok > 0);
  /* The list holds exactly the entries whose insert succeeded. */
  n = 0;
  tdbSkiplistIterInit(&it, list);
  for (tdbSkiplistIterSeekToFirst(&it); tdbSkiplistIterValid(&it); tdbSkiplistIterNext(&it)) n++;
  CHECK_EQ(n, (size_t)ok);
  tdbArenaFree(&arena);
  CHECK_EQ(ta.live, 0);
}

/* The same inserts give the same heights, hence the same memory use. */
static void testRepeatable(void) {
  TdbMem mem;
  TdbArena a1, a2;
  TdbSkiplist *l1, *l2;
  uint64_t rng1 = 5, rng2 = 5;
  int i;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&a1, &mem, 0);
  tdbArenaInit(&a2, &mem, 0);
  l1 = tdbSkiplistNew(&a1);
  l2 = tdbSkiplistNew(&a2);
  if (!l1 || !l2) { CHECK(0); return; }
  for (i = 0; i < 2000; i++) {
    Key k1, k2;
    randomKey(&rng1, &k1);
    randomKey(&rng2, &k2);
    tdbSkiplistInsert(l1, k1.bytes, k1.n, NULL, 0);
    tdbSkiplistInsert(l2, k2.bytes, k2.n, NULL, 0);
  }
  CHECK_EQ(tdbArenaMemoryUsage(&a1), tdbArenaMemoryUsage(&a2));
  CHECK_EQ(a1.left, a2.left);
  tdbArenaFree(&a1);
  tdbArenaFree(&a2);
}

#if TDB_THREADS
enum { CONC_KEYS = 20000 };

typedef struct ConcState {
  TdbSkiplist *list;
  atomic_int done;
} ConcState;

/* One reader's own counters (no sharing between threads). */
typedef struct ConcReader {
  ConcState *shared;
  int failures;
  long passes;
} ConcReader;

static void *concReader(void *arg) {
  ConcReader *st = (ConcReader *)arg;
  ConcState *sh = st->shared;
  TdbSkiplistIter it;
  size_t last_count = 0;
  int final_pass = 0;
  tdbSkiplistIterInit(&it, sh->list);
  for (;;) {
    const unsigned char *prev = NULL;
    size_t prev_n = 0, count = 0;
    /* Read `done` before the pass: a pass begun after done sees everything. */
    int was_done = atomic_load(&sh->done);
    for (tdbSkiplistIterSeekToFirst(&it); tdbSkiplistIterValid(&it); tdbSkiplistIterNext(&it)) {
      size_t n;
      const unsigned char *p = tdbSkiplistIterKey(&it, &n);
      if (prev && tdbIkeyCompare(prev, prev_n, p, n) >= 0) st->failures++;
      prev = p;
      prev_n = n;
      count++;
    }
    if (count < last_count) st->failures++; /* only grows */
    last_count = count;
    st->passes++;
    /* And backwards from the last key once in a while. */
    if (st->passes % 16 == 0) {
      size_t back = 0;
      for (tdbSkiplistIterSeekToLast(&it); tdbSkiplistIterValid(&it) && back < 200;
           tdbSkiplistIterPrev(&it)) {
        size_t n;
        const unsigned char *p = tdbSkiplistIterKey(&it, &n);
        if (back && tdbIkeyCompare(p, n, prev, prev_n) >= 0) st->failures++;
        prev = p;
        prev_n = n;
        back++;
      }
    }
    if (final_pass) {
      if (count != CONC_KEYS) st->failures++;
      break;
    }
    if (was_done) final_pass = 1;
  }
  return NULL;
}

/* A node holding key k[0..kn) with an 8-byte value. */
static TdbSkipNode *concNode(TdbSkiplist *list, const unsigned char *k, size_t kn,
                             const unsigned char *value) {
  unsigned char *kdst, *vdst;
  TdbSkipNode *node = tdbSkiplistAllocNode(list, kn, 8, &kdst, &vdst);
  if (!node) return NULL;
  memcpy(kdst, k, kn);
  memcpy(vdst, value, 8);
  return node;
}

/* One writer linking CONC_KEYS keys in `order` (ORDER_ASCENDING, _RUNS or
** _RANDOM), one by one or (pairs) two at a time with tdbSkiplistLinkPair,
** two readers checking every pass. */
static void concurrentReaders(int order, int pairs) {
  TdbMem mem;
  TdbArena arena;
  ConcState st;
  ConcReader r[2];
  pthread_t readers[2];
  uint64_t rng = 77;
  int i;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  memset(&st, 0, sizeof(st));
  st.list = tdbSkiplistNew(&arena);
  if (!st.list) { CHECK(0); return; }
  atomic_init(&st.done, 0);
  memset(r, 0, sizeof(r));
  for (i = 0; i < 2; i++) {
    r[i].shared = &st;
    CHECK(pthread_create(&readers[i], NULL, concReader, &r[i]) == 0);
  }
  for (i = 0; i < CONC_KEYS; i++) {
    static unsigned char held[24], held_user[8];
    static size_t held_n;
    unsigned char k[24];
    unsigned char user[8];
    size_t kn, j;
    /* the key's rank, big-endian in front, gives the order: ascending, or
    ** 8 ascending runs of interleaved keys, one run after the other */
    uint32_t run_len = CONC_KEYS / 8;
    uint32_t rank = order == ORDER_RUNS ? (uint32_t)((i % run_len) * 8 + i / run_len)
                                        : (uint32_t)i;
    for (j = 0; j < 8; j++) user[j] = (unsigned char)tdbTestRand(&rng);
    if (order != ORDER_RANDOM) {
      user[0] = (unsigned char)(rank >> 24);
      user[1] = (unsigned char)(rank >> 16);
      user[2] = (unsigned char)(rank >> 8);
      user[3] = (unsigned char)rank;
    }
    kn = tdbIkeyEncode(k, user, 8, (uint64_t)i, TDB_KIND_VALUE);
    if (!pairs) {
      CHECK_EQ(tdbSkiplistInsert(st.list, k, kn, user, 8), TDB_OK);
    } else if (i % 2 == 0) { /* held for the next key (CONC_KEYS is even) */
      memcpy(held, k, kn);
      memcpy(held_user, user, 8);
      held_n = kn;
    } else {
      int first = tdbIkeyCompare(held, held_n, k, kn) < 0;
      TdbSkipNode *a = first ? concNode(st.list, held, held_n, held_user) : concNode(st.list, k, kn, user);
      TdbSkipNode *b = first ? concNode(st.list, k, kn, user) : concNode(st.list, held, held_n, held_user);
      CHECK(a && b);
      if (a && b) CHECK_EQ(tdbSkiplistLinkPair(st.list, a, b), TDB_OK);
    }
  }
  atomic_store(&st.done, 1);
  pthread_join(readers[0], NULL);
  pthread_join(readers[1], NULL);
  for (i = 0; i < 2; i++) {
    CHECK_EQ(r[i].failures, 0);
    CHECK(r[i].passes >= 2);
  }
  tdbArenaFree(&arena);
}

static void testConcurrentReaders(void) { concurrentReaders(ORDER_RANDOM, 0); }
static void testConcurrentReadersAscending(void) { concurrentReaders(ORDER_ASCENDING, 0); }
static void testConcurrentReadersRuns(void) { concurrentReaders(ORDER_RUNS, 0); }
static void testConcurrentReadersPairs(void) { concurrentReaders(ORDER_RANDOM, 1); }
#endif

int main(void) {
  TEST_RUN(testEmpty);
  TEST_RUN(testRandomAgainstModel);
  TEST_RUN(testEdges);
  TEST_RUN(testLargeEntries);
  TEST_RUN(testOutOfMemory);
  TEST_RUN(testRepeatable);
  TEST_RUN(testOrders);
  TEST_RUN(testFingerAfterRefusal);
  TEST_RUN(testPairs);
#if TDB_THREADS
  TEST_RUN(testConcurrentReaders);
  TEST_RUN(testConcurrentReadersAscending);
  TEST_RUN(testConcurrentReadersRuns);
  TEST_RUN(testConcurrentReadersPairs);
#endif
  return tdbTestFinish();
}
