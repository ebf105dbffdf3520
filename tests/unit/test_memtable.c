/*
** test_memtable.c — the memtable: AS OF gets at every seq for keys with many
** versions and deletes against a model, missing keys (including prefixes of
** present ones), the iterator's order, argument errors, out of memory
** (NULL / TDB_NOMEM, the table unchanged, nothing leaked), long keys,
** the key filter through its rebuilds, two versions added as a pair
** (tdbMemtableAddPair) and its refusals, reference counting, and (with
** TDB_THREADS) one writer with two readers doing AS OF gets and sorted,
** growing scans.
*/
#include "tensordb.c"
#include "test.h"

#if TDB_THREADS
#include <pthread.h>
#include <stdatomic.h>
#endif

static TdbMem gMem;

static void testNewFree(void) {
  TdbMemtable *mt;
  tdbMemInit(&gMem, NULL);
  tdbMemtableFree(NULL);
  tdbMemtableUnref(NULL);
  mt = tdbMemtableNew(&gMem);
  CHECK(mt != NULL);
  if (!mt) return;
  CHECK_EQ(tdbMemtableCount(mt), 0);
  CHECK(tdbMemtableApproximateBytes(mt) > 0); /* the head node's block */
  tdbMemtableFree(mt);
}

/* The model: NKEYS keys "key<i>", versions at seq 1..NSEQ, each seq writing
** one random key (20% deletes). */
enum { NKEYS = 40, NSEQ = 2000 };
typedef struct Version {
  int key;          /* index, -1: none */
  int kind;
  char value[24];
} Version;
static Version gVersions[NSEQ + 1]; /* by seq; [0] unused */

static size_t keyName(int i, char *out) {
  return (size_t)snprintf(out, 16, "key%d", i);
}

/* The model's answer for key k as of seq s: the seq of the newest version,
** or 0 if none. */
static int modelGet(int k, uint64_t s) {
  uint64_t q;
  if (s > NSEQ) s = NSEQ;
  for (q = s; q >= 1; q--) {
    if (gVersions[q].key == k) return (int)q;
  }
  return 0;
}

static TdbMemtable *buildTable(TdbMem *mem) {
  TdbMemtable *mt = tdbMemtableNew(mem);
  uint64_t rng = 31337, s;
  if (!mt) return NULL;
  for (s = 1; s <= NSEQ; s++) {
    Version *v = &gVersions[s];
    char name[16];
    size_t kn;
    int rc;
    v->key = (int)(tdbTestRand(&rng) % NKEYS);
    v->kind = tdbTestRand(&rng) % 5 == 0 ? TDB_KIND_DELETE : TDB_KIND_VALUE;
    snprintf(v->value, sizeof(v->value), "v%d@%d", v->key, (int)s);
    kn = keyName(v->key, name);
    rc = tdbMemtableAdd(mt, s, v->kind, name, kn, v->value, strlen(v->value));
    if (rc != TDB_OK) {
      tdbMemtableFree(mt);
      return NULL;
    }
  }
  return mt;
}

static void testAsOfEverySeq(void) {
  TdbMemtable *mt;
  uint64_t s;
  int k, bad = 0;
  tdbMemInit(&gMem, NULL);
  mt = buildTable(&gMem);
  CHECK(mt != NULL);
  if (!mt) return;
  CHECK_EQ(tdbMemtableCount(mt), NSEQ);
  for (k = 0; k < NKEYS; k++) {
    char name[16];
    size_t kn = keyName(k, name);
    for (s = 0; s <= NSEQ + 2; s++) {
      int found = -1, kind = -1;
      const unsigned char *val = NULL;
      size_t vlen = 12345;
      int want = modelGet(k, s);
      int rc = tdbMemtableGet(mt, name, kn, s, &found, &kind, &val, &vlen);
      if (rc != TDB_OK) { bad++; continue; }
      if (!want) {
        if (found != 0) bad++;
        continue;
      }
      if (found != 1 || kind != gVersions[want].kind) { bad++; continue; }
      if (kind == TDB_KIND_DELETE) {
        if (vlen != 0) bad++;
      } else if (vlen != strlen(gVersions[want].value) ||
                 memcmp(val, gVersions[want].value, vlen) != 0) {
        bad++;
      }
    }
    /* As of "the latest" (above the maximum seq). */
    {
      int found = -1, kind = -1;
      const unsigned char *val;
      size_t vlen;
      int want = modelGet(k, NSEQ);
      CHECK_EQ(tdbMemtableGet(mt, name, kn, UINT64_MAX, &found, &kind, &val, &vlen), TDB_OK);
      CHECK_EQ(found, want != 0);
      if (want) CHECK_EQ(kind, gVersions[want].kind);
    }
  }
  CHECK_EQ(bad, 0);
  tdbMemtableFree(mt);
}

static void testMissingKeys(void) {
  static const char *missing[] = {"", "k", "ke", "key", "key4x", "key400",
                                  "key-1", "kez", "zzz", "key\0"};
  static const size_t lens[] = {0, 1, 2, 3, 5, 6, 5, 3, 3, 4};
  TdbMemtable *mt;
  size_t i;
  tdbMemInit(&gMem, NULL);
  mt = buildTable(&gMem);
  if (!mt) { CHECK(0); return; }
  for (i = 0; i < TDB_ARRAY_LEN(missing); i++) {
    int found = -1, kind;
    const unsigned char *val;
    size_t vlen;
    CHECK_EQ(tdbMemtableGet(mt, missing[i], lens[i], NSEQ, &found, &kind, &val, &vlen), TDB_OK);
    CHECK_EQ(found, 0);
    CHECK_EQ(tdbMemtableGet(mt, missing[i], lens[i], 0, &found, &kind, &val, &vlen), TDB_OK);
    CHECK_EQ(found, 0);
  }
  tdbMemtableFree(mt);
  /* An empty table. */
  mt = tdbMemtableNew(&gMem);
  if (!mt) { CHECK(0); return; }
  {
    int found = -1, kind;
    const unsigned char *val;
    size_t vlen;
    CHECK_EQ(tdbMemtableGet(mt, "a", 1, 5, &found, &kind, &val, &vlen), TDB_OK);
    CHECK_EQ(found, 0);
  }
  tdbMemtableFree(mt);
}

static void testDeleteThenValue(void) {
  TdbMemtable *mt;
  int found, kind;
  const unsigned char *val;
  size_t vlen;
  tdbMemInit(&gMem, NULL);
  mt = tdbMemtableNew(&gMem);
  if (!mt) { CHECK(0); return; }
  CHECK_EQ(tdbMemtableAdd(mt, 10, TDB_KIND_VALUE, "a", 1, "one", 3), TDB_OK);
  /* A delete's value is ignored (stored empty). */
  CHECK_EQ(tdbMemtableAdd(mt, 20, TDB_KIND_DELETE, "a", 1, "ignored", 7), TDB_OK);
  CHECK_EQ(tdbMemtableAdd(mt, 30, TDB_KIND_VALUE, "a", 1, "", 0), TDB_OK);
  CHECK_EQ(tdbMemtableGet(mt, "a", 1, 9, &found, &kind, &val, &vlen), TDB_OK);
  CHECK_EQ(found, 0);
  CHECK_EQ(tdbMemtableGet(mt, "a", 1, 19, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && kind == TDB_KIND_VALUE && vlen == 3 && memcmp(val, "one", 3) == 0);
  CHECK_EQ(tdbMemtableGet(mt, "a", 1, 20, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && kind == TDB_KIND_DELETE && vlen == 0);
  CHECK_EQ(tdbMemtableGet(mt, "a", 1, 29, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && kind == TDB_KIND_DELETE);
  CHECK_EQ(tdbMemtableGet(mt, "a", 1, 30, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && kind == TDB_KIND_VALUE && vlen == 0); /* empty value */
  /* Sequence 0 and the maximum are valid versions. */
  CHECK_EQ(tdbMemtableAdd(mt, 0, TDB_KIND_VALUE, "b", 1, "zero", 4), TDB_OK);
  CHECK_EQ(tdbMemtableAdd(mt, TDB_IKEY_MAX_SEQ, TDB_KIND_VALUE, "b", 1, "max", 3), TDB_OK);
  CHECK_EQ(tdbMemtableGet(mt, "b", 1, 0, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && vlen == 4 && memcmp(val, "zero", 4) == 0);
  CHECK_EQ(tdbMemtableGet(mt, "b", 1, TDB_IKEY_MAX_SEQ - 1, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && vlen == 4);
  CHECK_EQ(tdbMemtableGet(mt, "b", 1, TDB_IKEY_MAX_SEQ, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && vlen == 3 && memcmp(val, "max", 3) == 0);
  tdbMemtableFree(mt);
}

static void testIterator(void) {
  TdbMemtable *mt;
  TdbMemtableIter it;
  TdbIkeyParsed prev, cur;
  unsigned char seek[32];
  const unsigned char *p;
  size_t n, count = 0;
  int have_prev = 0, bad = 0;
  tdbMemInit(&gMem, NULL);
  mt = buildTable(&gMem);
  if (!mt) { CHECK(0); return; }
  memset(&prev, 0, sizeof(prev));
  tdbMemtableIterInit(&it, mt);
  CHECK(!tdbMemtableIterValid(&it));
  for (tdbMemtableIterSeekToFirst(&it); tdbMemtableIterValid(&it); tdbMemtableIterNext(&it)) {
    size_t vlen;
    const unsigned char *v;
    p = tdbMemtableIterKey(&it, &n);
    if (tdbIkeyDecode(p, n, &cur) != TDB_OK) { bad++; break; }
    if (have_prev) {
      int c = tdbIkeyCompareUser(prev.user_key, prev.user_len, cur.user_key, cur.user_len);
      if (c > 0 || (c == 0 && prev.seq <= cur.seq)) bad++; /* newest first */
    }
    /* The entry is the model's version at that seq. */
    if (cur.seq < 1 || cur.seq > NSEQ || gVersions[cur.seq].kind != cur.kind) {
      bad++;
    } else {
      v = tdbMemtableIterValue(&it, &vlen);
      if (cur.kind == TDB_KIND_VALUE &&
          (vlen != strlen(gVersions[cur.seq].value) ||
           memcmp(v, gVersions[cur.seq].value, vlen) != 0)) {
        bad++;
      }
    }
    prev = cur;
    have_prev = 1;
    count++;
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(count, NSEQ);
  /* Backward gives the same count. */
  count = 0;
  for (tdbMemtableIterSeekToLast(&it); tdbMemtableIterValid(&it); tdbMemtableIterPrev(&it)) count++;
  CHECK_EQ(count, NSEQ);
  /* Seek "key7" as of 1000: the newest version <= 1000. */
  n = tdbIkeySeekKey(seek, "key7", 4, 1000);
  tdbMemtableIterSeek(&it, seek, n);
  if (modelGet(7, 1000)) {
    CHECK(tdbMemtableIterValid(&it));
    if (tdbMemtableIterValid(&it)) {
      p = tdbMemtableIterKey(&it, &n);
      CHECK_EQ(tdbIkeyDecode(p, n, &cur), TDB_OK);
      CHECK_EQ(cur.seq, modelGet(7, 1000));
    }
  }
  tdbMemtableFree(mt);
}

static void testErrors(void) {
  TdbMemtable *mt;
  size_t count;
  tdbMemInit(&gMem, NULL);
  mt = tdbMemtableNew(&gMem);
  if (!mt) { CHECK(0); return; }
  CHECK_EQ(tdbMemtableAdd(mt, 1, TDB_KIND_VALUE, "a", 1, "x", 1), TDB_OK);
  CHECK_EQ(tdbMemtableAdd(mt, 1, TDB_KIND_VALUE, "a", 1, "y", 1), TDB_MISUSE);
  CHECK_EQ(tdbMemtableAdd(mt, 2, 2, "a", 1, "x", 1), TDB_MISUSE);
  CHECK_EQ(tdbMemtableAdd(mt, 2, -1, "a", 1, "x", 1), TDB_MISUSE);
  CHECK_EQ(tdbMemtableAdd(mt, TDB_IKEY_MAX_SEQ + 1, TDB_KIND_VALUE, "a", 1, "x", 1), TDB_MISUSE);
  CHECK_EQ(tdbMemtableAdd(mt, 3, TDB_KIND_VALUE, "a", 1, "x", (size_t)UINT32_MAX + 1), TDB_TOOBIG);
  CHECK_EQ(tdbMemtableAdd(mt, 3, TDB_KIND_VALUE, "a", (size_t)UINT32_MAX, "x", 1), TDB_TOOBIG);
  count = tdbMemtableCount(mt);
  CHECK_EQ(count, 1);
  {
    int found, kind;
    const unsigned char *val;
    size_t vlen;
    CHECK_EQ(tdbMemtableGet(mt, "a", 1, 5, &found, &kind, &val, &vlen), TDB_OK);
    CHECK(found == 1 && vlen == 1 && val[0] == 'x');
  }
  tdbMemtableFree(mt);
}

/* Keys longer than the stack seek buffer: a heap buffer, whose failure is
** TDB_NOMEM. */
static void testLongKeys(void) {
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbMemtable *mt;
  static unsigned char key[5000];
  int found, kind, i;
  const unsigned char *val;
  size_t vlen;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  mt = tdbMemtableNew(&mem);
  if (!mt) { CHECK(0); return; }
  for (i = 0; i < (int)sizeof(key); i++) key[i] = (unsigned char)(i % 251);
  CHECK_EQ(tdbMemtableAdd(mt, 5, TDB_KIND_VALUE, key, sizeof(key), "long", 4), TDB_OK);
  CHECK_EQ(tdbMemtableAdd(mt, 6, TDB_KIND_VALUE, key, 248, "edge", 4), TDB_OK);
  CHECK_EQ(tdbMemtableAdd(mt, 7, TDB_KIND_VALUE, key, 249, "over", 4), TDB_OK);
  CHECK_EQ(tdbMemtableGet(mt, key, sizeof(key), 5, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && vlen == 4 && memcmp(val, "long", 4) == 0);
  CHECK_EQ(tdbMemtableGet(mt, key, sizeof(key), 4, &found, &kind, &val, &vlen), TDB_OK);
  CHECK_EQ(found, 0);
  CHECK_EQ(tdbMemtableGet(mt, key, 248, 100, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && memcmp(val, "edge", 4) == 0);
  CHECK_EQ(tdbMemtableGet(mt, key, 249, 100, &found, &kind, &val, &vlen), TDB_OK);
  CHECK(found == 1 && memcmp(val, "over", 4) == 0);
  CHECK_EQ(tdbMemtableGet(mt, key, 250, 100, &found, &kind, &val, &vlen), TDB_OK);
  CHECK_EQ(found, 0);
  ta.calls = 0;
  ta.fail_at = 1;
  found = -1;
  CHECK_EQ(tdbMemtableGet(mt, key, sizeof(key), 5, &found, &kind, &val, &vlen), TDB_NOMEM);
  CHECK_EQ(found, 0);
  ta.fail_at = 0;
  tdbMemtableFree(mt);
  CHECK_EQ(ta.live, 0);
}

/* Every allocation failing in turn: New gives NULL without a leak; an Add
** that fails leaves the table exactly as it was. */
/* Many keys, so the key filter is rebuilt larger several times: every key
** added is found right after, and all of them at checkpoints (a filter
** that lost a key would hide it); keys never added are not. */
static void testFilterGrowth(void) {
  enum { N = 40000 };
  TdbMemtable *mt;
  int i, j;
  tdbMemInit(&gMem, NULL);
  mt = tdbMemtableNew(&gMem);
  if (!mt) { CHECK(0); return; }
  for (i = 0; i < N; i++) {
    char name[32];
    size_t kn = (size_t)snprintf(name, sizeof(name), "%s%d", i % 3 ? "row/" : "r", i * 7);
    int found = 0, kind = -1, bad = 0;
    const unsigned char *val;
    size_t vlen;
    CHECK_EQ(tdbMemtableAdd(mt, (uint64_t)i + 1, i % 5 ? TDB_KIND_VALUE : TDB_KIND_DELETE, name,
                            kn, "v", 1), TDB_OK);
    CHECK_EQ(tdbMemtableGet(mt, name, kn, UINT64_MAX, &found, &kind, &val, &vlen), TDB_OK);
    CHECK(found && kind == (i % 5 ? TDB_KIND_VALUE : TDB_KIND_DELETE));
    if ((i & (i + 1)) != 0 && i != N - 1) continue; /* checkpoints: i = 2^k - 1, the last */
    for (j = 0; j <= i; j++) {
      kn = (size_t)snprintf(name, sizeof(name), "%s%d", j % 3 ? "row/" : "r", j * 7);
      if (tdbMemtableGet(mt, name, kn, UINT64_MAX, &found, &kind, &val, &vlen) != TDB_OK ||
          !found) {
        bad++;
      }
      kn = (size_t)snprintf(name, sizeof(name), "%s%d", j % 3 ? "row/" : "r", j * 7 + 1);
      if (tdbMemtableGet(mt, name, kn, UINT64_MAX, &found, &kind, &val, &vlen) != TDB_OK ||
          found) {
        bad++;
      }
    }
    CHECK_EQ(bad, 0);
  }
  tdbMemtableFree(mt);
}

static void testOutOfMemory(void) {
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbMemtable *mt;
  static char big[30000];
  long at;
  int i, ok = 0, nomem = 0;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  for (at = 1; at <= 3; at++) {
    ta.calls = 0;
    ta.fail_at = at;
    mt = tdbMemtableNew(&mem);
    /* New takes 2 allocations: the table and the arena's first block. */
    if (at <= 2) CHECK(mt == NULL);
    else CHECK(mt != NULL);
    tdbMemtableFree(mt);
    CHECK_EQ(ta.live, 0);
  }
  CHECK_EQ(ta.failures, 2);
  ta.fail_at = 0;
  mt = tdbMemtableNew(&mem);
  if (!mt) { CHECK(0); return; }
  memset(big, 'b', sizeof(big));
  for (i = 0; i < 200; i++) {
    char name[16];
    size_t kn = (size_t)snprintf(name, sizeof(name), "k%d", i), before;
    int rc;
    before = tdbMemtableApproximateBytes(mt);
    ta.calls = 0;
    ta.fail_at = i % 2 ? 1 : 0; /* big values need their own block */
    rc = tdbMemtableAdd(mt, (uint64_t)i + 1, TDB_KIND_VALUE, name, kn, big,
                        (size_t)(i % 4 == 1 ? 20000 : 10));
    ta.fail_at = 0;
    if (rc == TDB_OK) {
      ok++;
    } else {
      CHECK_EQ(rc, TDB_NOMEM);
      CHECK_EQ(tdbMemtableApproximateBytes(mt), before);
      nomem++;
    }
    CHECK_EQ(tdbMemtableCount(mt), (size_t)ok);
    {
      int found = -1, kind;
      const unsigned char *val;
      size_t vlen;
      CHECK_EQ(tdbMemtableGet(mt, name, kn, UINT64_MAX, &found, &kind, &val, &vlen), TDB_OK);
      CHECK_EQ(found, rc == TDB_OK);
    }
  }
  CHECK(nomem > 0);
  CHECK(ok > 0);
  tdbMemtableFree(mt);
  CHECK_EQ(ta.live, 0);
}

/* One get: whether user key k (kn bytes) has a version <= as_of whose value
** is want (wn bytes; NULL: a DELETE). */
static int getIs(TdbMemtable *mt, const char *k, size_t kn, uint64_t as_of, const char *want,
                 size_t wn) {
  int found = 0, kind = -1;
  const unsigned char *val = NULL;
  size_t vlen = 0;
  if (tdbMemtableGet(mt, k, kn, as_of, &found, &kind, &val, &vlen) != TDB_OK || !found) return 0;
  if (!want) return kind == TDB_KIND_DELETE;
  return kind == TDB_KIND_VALUE && vlen == wn && memcmp(val, want, wn) == 0;
}

/* tdbMemtableAddPair: 20000 pairs (a current row and a history key, as the
** store adds a record's first two ops) over 5000 keys, so the filter is
** rebuilt under them and keys get many versions: both of each pair are
** found right after at their seq and, at checkpoints, every key's newest
** version; then the refusals (keys not ascending, a bad kind, a key too
** long, a version already there, no memory), each leaving the table as it
** was. */
static void testAddPair(void) {
  enum { N = 20000, KEYS = 5000 };
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbMemtable *mt;
  TdbMemtableEntry a, b;
  char ka[32], kb[32], va[32];
  size_t kan, kbn, van, count;
  int i, j, bad = 0;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  mt = tdbMemtableNew(&mem);
  if (!mt) { CHECK(0); return; }
  for (i = 0; i < N; i++) {
    int key = (int)((uint32_t)i * 2654435761u % KEYS);
    kan = (size_t)snprintf(ka, sizeof(ka), "\x03row%05d", key);
    kbn = (size_t)snprintf(kb, sizeof(kb), "\x04hist%05d.%05d", key, i);
    van = (size_t)snprintf(va, sizeof(va), "v%d", i);
    a.kind = TDB_KIND_VALUE;
    a.key = ka;
    a.klen = kan;
    a.value = va;
    a.vlen = van;
    b.kind = i % 7 ? TDB_KIND_VALUE : TDB_KIND_DELETE;
    b.key = kb;
    b.klen = kbn;
    b.value = va;
    b.vlen = van;
    if (tdbMemtableAddPair(mt, (uint64_t)i + 1, &a, &b) != TDB_OK) bad++;
    if (!getIs(mt, ka, kan, (uint64_t)i + 1, va, van)) bad++;
    if (!getIs(mt, kb, kbn, UINT64_MAX, i % 7 ? va : NULL, van)) bad++;
    if (getIs(mt, kb, kbn, (uint64_t)i, i % 7 ? va : NULL, van)) bad++; /* not before its seq */
    if ((i & (i + 1)) != 0 && i != N - 1) continue; /* checkpoints: i = 2^k - 1, the last */
    for (j = i; j >= 0 && j > i - KEYS; j--) { /* the newest version of each key written */
      int key2 = (int)((uint32_t)j * 2654435761u % KEYS);
      kan = (size_t)snprintf(ka, sizeof(ka), "\x03row%05d", key2);
      van = (size_t)snprintf(va, sizeof(va), "v%d", j);
      kbn = (size_t)snprintf(kb, sizeof(kb), "\x04hist%05d.%05d", key2, j);
      if (!getIs(mt, ka, kan, (uint64_t)j + 1, va, van)) bad++;
      if (!getIs(mt, kb, kbn, UINT64_MAX, j % 7 ? va : NULL, van)) bad++;
    }
  }
  CHECK_EQ(bad, 0);
  CHECK_EQ(tdbMemtableCount(mt), (size_t)2 * N);
  /* refusals: the table unchanged */
  count = tdbMemtableCount(mt);
  a.kind = b.kind = TDB_KIND_VALUE;
  a.key = "\x03new";
  a.klen = 4;
  b.key = "\x04new";
  b.klen = 4;
  a.value = b.value = "x";
  a.vlen = b.vlen = 1;
  CHECK_EQ(tdbMemtableAddPair(mt, N + 1, &b, &a), TDB_MISUSE);  /* not ascending */
  CHECK_EQ(tdbMemtableAddPair(mt, N + 1, &a, &a), TDB_MISUSE);  /* the same key */
  /* the same user key, two kinds: distinct internal keys, a's first */
  b.key = a.key;
  a.kind = TDB_KIND_DELETE;
  CHECK_EQ(tdbMemtableAddPair(mt, N + 1, &a, &b), TDB_MISUSE);
  a.kind = TDB_KIND_VALUE;
  b.key = "\x04new";
  b.kind = 7;
  CHECK_EQ(tdbMemtableAddPair(mt, N + 1, &a, &b), TDB_MISUSE);  /* b's kind */
  b.kind = TDB_KIND_VALUE;
  b.klen = (size_t)UINT32_MAX;
  CHECK_EQ(tdbMemtableAddPair(mt, N + 1, &a, &b), TDB_TOOBIG);
  b.klen = 4;
  CHECK_EQ(tdbMemtableAddPair(mt, TDB_IKEY_MAX_SEQ + 1, &a, &b), TDB_MISUSE);
  /* a version already there, as either key of the pair */
  kan = (size_t)snprintf(ka, sizeof(ka), "\x03row%05d", 0);
  a.key = ka;
  a.klen = kan;
  CHECK_EQ(tdbMemtableAddPair(mt, 1, &a, &b), TDB_MISUSE);
  a.key = "\x03new";
  a.klen = 4;
  kbn = (size_t)snprintf(kb, sizeof(kb), "\x04hist%05d.%05d", 0, 0);
  b.key = kb;
  b.klen = kbn;
  b.kind = TDB_KIND_DELETE; /* as pair 0 wrote it (0 % 7 == 0) */
  CHECK_EQ(tdbMemtableAddPair(mt, 1, &a, &b), TDB_MISUSE);
  b.kind = TDB_KIND_VALUE;
  b.key = "\x04new";
  b.klen = 4;
  /* no memory for either node (large values need a block of their own) */
  {
    static char big[30000];
    memset(big, 'b', sizeof(big));
    a.value = b.value = big;
    a.vlen = b.vlen = sizeof(big);
    for (j = 1; j <= 2; j++) {
      ta.calls = 0;
      ta.fail_at = j;
      CHECK_EQ(tdbMemtableAddPair(mt, N + 1, &a, &b), TDB_NOMEM);
      ta.fail_at = 0;
    }
  }
  CHECK_EQ(tdbMemtableCount(mt), count);
  CHECK(!getIs(mt, "\x03new", 4, UINT64_MAX, "x", 1));
  CHECK(!getIs(mt, "\x04new", 4, UINT64_MAX, "x", 1));
  a.value = b.value = "x";
  a.vlen = b.vlen = 1;
  CHECK_EQ(tdbMemtableAddPair(mt, N + 1, &a, &b), TDB_OK);
  CHECK(getIs(mt, "\x03new", 4, UINT64_MAX, "x", 1));
  CHECK(getIs(mt, "\x04new", 4, UINT64_MAX, "x", 1));
  CHECK_EQ(tdbMemtableCount(mt), count + 2);
  tdbMemtableFree(mt);
  CHECK_EQ(ta.live, 0);
}

static void testApproximateBytes(void) {
  TdbMemtable *mt;
  size_t start, data = 0;
  int i;
  tdbMemInit(&gMem, NULL);
  mt = tdbMemtableNew(&gMem);
  if (!mt) { CHECK(0); return; }
  start = tdbMemtableApproximateBytes(mt);
  for (i = 0; i < 20000; i++) {
    char name[16], value[100];
    size_t kn = (size_t)snprintf(name, sizeof(name), "%08d", i);
    memset(value, 'v', sizeof(value));
    CHECK_EQ(tdbMemtableAdd(mt, (uint64_t)i, TDB_KIND_VALUE, name, kn, value, sizeof(value)), TDB_OK);
    data += kn + TDB_IKEY_TAG_SIZE + sizeof(value);
  }
  CHECK(tdbMemtableApproximateBytes(mt) >= start + data);
  /* Overhead per entry (node, links, lengths, block tails) stays modest. */
  CHECK(tdbMemtableApproximateBytes(mt) < start + data + 20000 * 48);
  tdbMemtableFree(mt);
}

static void testRefCounting(void) {
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbMemtable *mt;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  mt = tdbMemtableNew(&mem);
  if (!mt) { CHECK(0); return; }
  CHECK_EQ(tdbMemtableAdd(mt, 1, TDB_KIND_VALUE, "a", 1, "x", 1), TDB_OK);
  tdbMemtableRef(mt);
  tdbMemtableRef(mt);
  tdbMemtableUnref(mt);
  tdbMemtableUnref(mt);
  CHECK(ta.live > 0); /* one reference left */
  {
    int found, kind;
    const unsigned char *val;
    size_t vlen;
    CHECK_EQ(tdbMemtableGet(mt, "a", 1, 1, &found, &kind, &val, &vlen), TDB_OK);
    CHECK_EQ(found, 1);
  }
  tdbMemtableUnref(mt);
  CHECK_EQ(ta.live, 0);
}

#if TDB_THREADS
enum { CONC_KEYS = 64, CONC_SEQ = 30000 };

typedef struct ConcState {
  TdbMemtable *mt;
  atomic_uint_fast64_t committed; /* every seq <= this is in the table */
} ConcState;

/* One reader's own counters (no sharing between threads). */
typedef struct ConcReader {
  ConcState *shared;
  int failures;
  long passes, gets;
} ConcReader;

/* Key and value of the version at seq: deterministic, so readers know them. */
static size_t concKey(uint64_t seq, char *out) {
  return (size_t)snprintf(out, 16, "c%02d", (int)(seq * 7919 % CONC_KEYS));
}

static void *concReader(void *arg) {
  ConcReader *st = (ConcReader *)arg;
  ConcState *sh = st->shared;
  TdbMemtableIter it;
  size_t last_count = 0;
  uint64_t rng = (uint64_t)(uintptr_t)&it;
  int final_pass = 0;
  tdbMemtableIterInit(&it, sh->mt);
  for (;;) {
    uint64_t committed = atomic_load(&sh->committed);
    const unsigned char *prev = NULL;
    size_t prev_n = 0, count = 0;
    int g;
    for (tdbMemtableIterSeekToFirst(&it); tdbMemtableIterValid(&it); tdbMemtableIterNext(&it)) {
      size_t n;
      const unsigned char *p = tdbMemtableIterKey(&it, &n);
      if (prev && tdbIkeyCompare(prev, prev_n, p, n) >= 0) st->failures++;
      prev = p;
      prev_n = n;
      count++;
    }
    if (count < last_count || count < committed) st->failures++;
    last_count = count;
    st->passes++;
    /* AS OF gets at committed seqs: exactly the model's answer. */
    for (g = 0; g < 50 && committed > 0; g++) {
      uint64_t s = 1 + tdbTestRand(&rng) % committed, q;
      char name[16], want[24];
      size_t kn = concKey(s, name);
      int found = 0, kind = 0;
      const unsigned char *val = NULL;
      size_t vlen = 0;
      /* the newest seq q <= s writing the same key */
      for (q = s; q >= 1; q--) {
        char other[16];
        if (concKey(q, other) == kn && memcmp(other, name, kn) == 0) break;
      }
      snprintf(want, sizeof(want), "%llu", (unsigned long long)q);
      if (tdbMemtableGet(sh->mt, name, kn, s, &found, &kind, &val, &vlen) != TDB_OK ||
          !found || kind != TDB_KIND_VALUE || vlen != strlen(want) ||
          memcmp(val, want, vlen) != 0) {
        st->failures++;
      }
      st->gets++;
    }
    if (final_pass) {
      if (count != CONC_SEQ) st->failures++;
      break;
    }
    if (committed == CONC_SEQ) final_pass = 1;
  }
  return NULL;
}

static void testConcurrentReaders(void) {
  TdbMem mem;
  ConcState st;
  ConcReader r[2];
  pthread_t readers[2];
  uint64_t s;
  int i;
  tdbMemInit(&mem, NULL);
  memset(&st, 0, sizeof(st));
  st.mt = tdbMemtableNew(&mem);
  if (!st.mt) { CHECK(0); return; }
  atomic_init(&st.committed, 0);
  memset(r, 0, sizeof(r));
  for (i = 0; i < 2; i++) {
    r[i].shared = &st;
    CHECK(pthread_create(&readers[i], NULL, concReader, &r[i]) == 0);
  }
  for (s = 1; s <= CONC_SEQ; s++) {
    char name[16], value[24];
    size_t kn = concKey(s, name);
    snprintf(value, sizeof(value), "%llu", (unsigned long long)s);
    CHECK_EQ(tdbMemtableAdd(st.mt, s, TDB_KIND_VALUE, name, kn, value, strlen(value)), TDB_OK);
    atomic_store(&st.committed, s);
  }
  pthread_join(readers[0], NULL);
  pthread_join(readers[1], NULL);
  for (i = 0; i < 2; i++) {
    CHECK_EQ(r[i].failures, 0);
    CHECK(r[i].passes >= 2 && r[i].gets > 0);
  }
  tdbMemtableUnref(st.mt);
}
#endif

int main(void) {
  TEST_RUN(testNewFree);
  TEST_RUN(testAsOfEverySeq);
  TEST_RUN(testMissingKeys);
  TEST_RUN(testDeleteThenValue);
  TEST_RUN(testIterator);
  TEST_RUN(testErrors);
  TEST_RUN(testLongKeys);
  TEST_RUN(testFilterGrowth);
  TEST_RUN(testAddPair);
  TEST_RUN(testOutOfMemory);
  TEST_RUN(testApproximateBytes);
  TEST_RUN(testRefCounting);
#if TDB_THREADS
  TEST_RUN(testConcurrentReaders);
#endif
  return tdbTestFinish();
}
