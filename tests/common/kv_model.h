/*
** kv_model.h — an in-memory reference model of the versioned store for the
** randomized, crash and corruption tests (test_store_model.c,
** test_store_crash.c, test_store_corrupt.c), and the comparisons of a real
** TdbStore against it.
**
** The model keeps the FULL history: for every key of a fixed, sorted key
** pool, the list of its versions (epoch, value or tombstone) in ascending
** epoch order. Epoch e's state is, for every key, its last version with
** epoch <= e. A commit is a list of operations applied at epoch head + 1;
** one key written twice in a commit keeps only its last operation (the
** engine's rule, batch.h).
**
** The key pool is chosen to stress ordering: keys that are prefixes of each
** other ("a", "a\0", "a\0\0", "ab"), bytes 0x00 and 0xFF, lengths 1..12,
** all ordered bytewise with the shorter key first on a common prefix (the
** engine's user-key order, ikey.h).
**
** The comparisons return an outcome instead of failing a test by themselves,
** so the corruption test can tell a wrong answer (MV_WRONG: always a
** failure) from a reported error (MV_ERROR: acceptable when it is the
** TDB_CORRUPT class and names the file). `why` receives a description.
**
** Included after tensordb.c and test.h (it uses the engine's internals and
** tdbTestRand).
*/
#ifndef TDB_KV_MODEL_H
#define TDB_KV_MODEL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MV_OK 0    /* the store answered exactly as the model */
#define MV_WRONG 1 /* the store answered, but differently: a wrong answer */
#define MV_ERROR 2 /* the store reported an error (rc in *rc_out) */

typedef struct ModelVer {
  uint64_t epoch;
  int live;             /* 0: tombstone */
  unsigned char *val;
  size_t vlen;
} ModelVer;

typedef struct ModelKey {
  unsigned char key[16];
  size_t klen;
  ModelVer *v;
  size_t nv, cap;
} ModelKey;

typedef struct Model {
  ModelKey *keys;       /* sorted, distinct */
  size_t nkeys;
  uint64_t head;        /* the last committed epoch */
} Model;

/* One operation of a pending commit. */
typedef struct ModelOp {
  size_t ki;            /* index into keys */
  int live;
  unsigned char *val;   /* owned by the op until applied */
  size_t vlen;
} ModelOp;

typedef struct ModelBatch {
  ModelOp *ops;
  size_t n, cap;
} ModelBatch;

/* ---- the key pool --------------------------------------------------------- */

static TDB_TEST_UNUSED int mvKeyCmp(const unsigned char *a, size_t an, const unsigned char *b,
                                    size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c;
  return an < bn ? -1 : an > bn;
}

static int mvKeySortFn(const void *x, const void *y) {
  const ModelKey *a = x, *b = y;
  return mvKeyCmp(a->key, a->klen, b->key, b->klen);
}

/* Build a pool of about `want` keys from `seed` (deterministic). */
static TDB_TEST_UNUSED void mvInit(Model *m, size_t want, uint64_t seed) {
  static const unsigned char alpha[] = {0x00, 0x01, 'a', 'b', 'k', 0x7f, 0x80, 0xff};
  uint64_t r = seed ^ 0x5eedULL;
  size_t cap = want * 3 + 8, n = 0, i, j;
  ModelKey *k = calloc(cap, sizeof *k);
  memset(m, 0, sizeof *m);
  if (!k) abort();
  while (n + 13 < cap && n < want) {
    size_t len = 1 + (size_t)(tdbTestRand(&r) % 12);
    unsigned char buf[16];
    for (i = 0; i < len; i++) buf[i] = alpha[tdbTestRand(&r) % sizeof alpha];
    memcpy(k[n].key, buf, len);
    k[n++].klen = len;
    /* every third key brings its prefixes: keys that are prefixes of keys */
    if (tdbTestRand(&r) % 3 == 0) {
      for (j = 1; j < len && n < cap; j++) {
        memcpy(k[n].key, buf, j);
        k[n++].klen = j;
      }
    }
  }
  qsort(k, n, sizeof *k, mvKeySortFn);
  for (i = 0, j = 0; i < n; i++) {
    if (j && mvKeyCmp(k[j - 1].key, k[j - 1].klen, k[i].key, k[i].klen) == 0) continue;
    k[j++] = k[i];
  }
  m->keys = k;
  m->nkeys = j;
}

static TDB_TEST_UNUSED void mvFree(Model *m) {
  size_t i, j;
  for (i = 0; i < m->nkeys; i++) {
    for (j = 0; j < m->keys[i].nv; j++) free(m->keys[i].v[j].val);
    free(m->keys[i].v);
  }
  free(m->keys);
  memset(m, 0, sizeof *m);
}

/* ---- commits ----------------------------------------------------------------- */

/* A value of `len` bytes whose content depends on (epoch-ish tag, key). */
static TDB_TEST_UNUSED unsigned char *mvMakeValue(uint64_t *rng, size_t len) {
  unsigned char *v = malloc(len ? len : 1);
  uint64_t x = tdbTestRand(rng);
  size_t i;
  if (!v) abort();
  for (i = 0; i < len; i++) {
    if ((i & 7) == 0) x = tdbTestRand(rng);
    v[i] = (unsigned char)(x >> ((i & 7) * 8));
  }
  return v;
}

static TDB_TEST_UNUSED void mvBatchAdd(ModelBatch *b, size_t ki, int live, unsigned char *val,
                                       size_t vlen) {
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 8;
    b->ops = realloc(b->ops, b->cap * sizeof *b->ops);
    if (!b->ops) abort();
  }
  b->ops[b->n].ki = ki;
  b->ops[b->n].live = live;
  b->ops[b->n].val = live ? val : NULL;
  b->ops[b->n].vlen = live ? vlen : 0;
  if (!live) free(val);
  b->n++;
}

/* Forget the operations (freeing values not yet applied). */
static TDB_TEST_UNUSED void mvBatchReset(ModelBatch *b) {
  size_t i;
  for (i = 0; i < b->n; i++) free(b->ops[i].val);
  b->n = 0;
}

static TDB_TEST_UNUSED void mvBatchFree(ModelBatch *b) {
  mvBatchReset(b);
  free(b->ops);
  memset(b, 0, sizeof *b);
}

/* The same operations as an engine batch (cleared first). */
static TDB_TEST_UNUSED int mvBatchToStore(const Model *m, const ModelBatch *b, TdbBatch *tb) {
  size_t i;
  int rc = TDB_OK;
  tdbBatchClear(tb);
  for (i = 0; rc == TDB_OK && i < b->n; i++) {
    const ModelKey *k = &m->keys[b->ops[i].ki];
    if (b->ops[i].live) {
      rc = tdbBatchPut(tb, k->key, k->klen, b->ops[i].val, b->ops[i].vlen);
    } else {
      rc = tdbBatchDelete(tb, k->key, k->klen);
    }
  }
  return rc;
}

/* Commit the batch to the model as epoch head + 1; the values move into the
** model (the batch is left empty). */
static TDB_TEST_UNUSED void mvCommit(Model *m, ModelBatch *b) {
  uint64_t e = ++m->head;
  size_t i;
  for (i = 0; i < b->n; i++) {
    ModelKey *k = &m->keys[b->ops[i].ki];
    ModelVer *v;
    if (k->nv && k->v[k->nv - 1].epoch == e) {
      v = &k->v[k->nv - 1]; /* same key again in this commit: last op wins */
      free(v->val);
    } else {
      if (k->nv == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 4;
        k->v = realloc(k->v, k->cap * sizeof *k->v);
        if (!k->v) abort();
      }
      v = &k->v[k->nv++];
    }
    v->epoch = e;
    v->live = b->ops[i].live;
    v->val = b->ops[i].val;
    v->vlen = b->ops[i].vlen;
    b->ops[i].val = NULL;
  }
  b->n = 0;
}

/* Drop every version after epoch `e` (a crash test's unacknowledged tail). */
static TDB_TEST_UNUSED void mvTruncate(Model *m, uint64_t e) {
  size_t i;
  for (i = 0; i < m->nkeys; i++) {
    ModelKey *k = &m->keys[i];
    while (k->nv && k->v[k->nv - 1].epoch > e) free(k->v[--k->nv].val);
  }
  if (m->head > e) m->head = e;
}

/* The visible version of key ki at epoch e, or NULL (absent or deleted). */
static TDB_TEST_UNUSED const ModelVer *mvGet(const Model *m, size_t ki, uint64_t e) {
  const ModelKey *k = &m->keys[ki];
  size_t lo = 0, hi = k->nv;
  while (lo < hi) { /* first version with epoch > e */
    size_t mid = (lo + hi) / 2;
    if (k->v[mid].epoch <= e) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0 || !k->v[lo - 1].live) return NULL;
  return &k->v[lo - 1];
}

/* The live key indexes at epoch e, in key order; returns the count. */
static TDB_TEST_UNUSED size_t mvLive(const Model *m, uint64_t e, size_t *out) {
  size_t i, n = 0;
  for (i = 0; i < m->nkeys; i++) {
    if (mvGet(m, i, e)) out[n++] = i;
  }
  return n;
}

/* ---- comparisons against a store ------------------------------------------------ */

static TDB_TEST_UNUSED void mvHex(char *out, size_t cap, const unsigned char *p, size_t n) {
  size_t i, o = 0;
  if (cap) out[0] = '\0';
  for (i = 0; i < n && o + 3 < cap; i++) o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
}

/* Get key ki at epoch e (0 = head) and compare. */
static TDB_TEST_UNUSED int mvCheckGet(TdbStore *s, TdbMem *mem, const Model *m, size_t ki,
                                      uint64_t e, int *rc_out, char *why, size_t whyn) {
  TdbStr val;
  TdbErr err;
  const ModelVer *want = mvGet(m, ki, e ? e : m->head);
  int found = 0, rc, out = MV_OK;
  char hex[40];
  tdbStrInit(&val, mem);
  tdbErrInit(&err, mem);
  rc = tdbStoreGet(s, e, m->keys[ki].key, m->keys[ki].klen, &val, &found, &err);
  mvHex(hex, sizeof hex, m->keys[ki].key, m->keys[ki].klen);
  if (rc_out) *rc_out = rc;
  if (rc != TDB_OK) {
    snprintf(why, whyn, "get %s at %llu: rc %d: %s", hex, (unsigned long long)e, rc,
             tdbErrMessage(&err));
    out = MV_ERROR;
  } else if (!want != !found) {
    snprintf(why, whyn, "get %s at %llu: found %d, model %d", hex, (unsigned long long)e, found,
             want != NULL);
    out = MV_WRONG;
  } else if (want && (val.n != want->vlen || (val.n && memcmp(val.z, want->val, val.n) != 0))) {
    snprintf(why, whyn, "get %s at %llu: value of %zu bytes, model %zu bytes (epoch %llu)", hex,
             (unsigned long long)e, val.n, want->vlen, (unsigned long long)want->epoch);
    out = MV_WRONG;
  }
  tdbStrClear(&val);
  tdbErrClear(&err);
  return out;
}

/* Compare the iterator's current entry with live key `ki` of epoch e. */
static int mvCheckEntry(const Model *m, TdbDbIter *it, size_t ki, uint64_t e, char *why,
                        size_t whyn, const char *where) {
  size_t kn, vn;
  const unsigned char *k = tdbDbIterKey(it, &kn), *v = tdbDbIterValue(it, &vn);
  const ModelVer *want = mvGet(m, ki, e);
  char hex[40], hex2[40];
  if (mvKeyCmp(k, kn, m->keys[ki].key, m->keys[ki].klen) != 0) {
    mvHex(hex, sizeof hex, k, kn);
    mvHex(hex2, sizeof hex2, m->keys[ki].key, m->keys[ki].klen);
    snprintf(why, whyn, "%s at epoch %llu: key %s, model %s", where, (unsigned long long)e, hex,
             hex2);
    return MV_WRONG;
  }
  if (!want || vn != want->vlen || (vn && memcmp(v, want->val, vn) != 0)) {
    mvHex(hex, sizeof hex, k, kn);
    snprintf(why, whyn, "%s at epoch %llu: key %s: value of %zu bytes differs (model %zu)", where,
             (unsigned long long)e, hex, vn, want ? want->vlen : 0);
    return MV_WRONG;
  }
  return MV_OK;
}

static int mvIterEnd(TdbDbIter *it, uint64_t e, int *rc_out, char *why, size_t whyn,
                     const char *where) {
  int rc = tdbDbIterStatus(it);
  if (rc_out) *rc_out = rc;
  if (rc != TDB_OK) {
    snprintf(why, whyn, "%s at epoch %llu: iterator status %d", where, (unsigned long long)e, rc);
    return MV_ERROR;
  }
  return MV_OK;
}

/* Append the iterator's error message (the TdbErr its levels report into). */
static void mvAppendErr(char *why, size_t whyn, const TdbErr *err) {
  size_t n = strlen(why);
  if (err->code != TDB_OK && n + 3 < whyn) snprintf(why + n, whyn - n, ": %s", tdbErrMessage(err));
}

/* The store's epoch clock (store.h: 0x07 'W' | epoch, one per commit) is
** not part of the model: iterators step over it. */
static TDB_TEST_UNUSED int mvIsClockKey(TdbDbIter *it) {
  size_t n;
  const unsigned char *k = tdbDbIterKey(it, &n);
  return n == TDB_EPOCH_CLOCK_KEY_LEN && k[0] == TDB_EPOCH_CLOCK_PREFIX0 &&
         k[1] == TDB_EPOCH_CLOCK_PREFIX1;
}

static TDB_TEST_UNUSED void mvSkipClock(TdbDbIter *it, int backward) {
  while (tdbDbIterValid(it) && mvIsClockKey(it)) {
    if (backward) tdbDbIterPrev(it);
    else tdbDbIterNext(it);
  }
}

/* A full scan at epoch e (forward, or backward from the last key). `live`
** is scratch of m->nkeys entries. */
static TDB_TEST_UNUSED int mvCheckScan(TdbStore *s, TdbMem *mem, const Model *m, uint64_t e,
                                       int backward, size_t *live, int *rc_out, char *why,
                                       size_t whyn) {
  static const unsigned char none[1] = {0};
  TdbDbIter *it = NULL;
  TdbErr err;
  uint64_t me = e ? e : m->head; /* 0 reads the head */
  size_t n = mvLive(m, me, live), i = 0;
  int rc, out = MV_OK;
  const char *where = backward ? "backward scan" : "forward scan";
  tdbErrInit(&err, mem);
  rc = tdbStoreIter(s, e, &err, &it);
  if (rc_out) *rc_out = rc;
  if (rc != TDB_OK) {
    snprintf(why, whyn, "iterator at %llu: rc %d: %s", (unsigned long long)e, rc,
             tdbErrMessage(&err));
    tdbErrClear(&err);
    return MV_ERROR;
  }
  if (backward) tdbDbIterSeekLast(it);
  else tdbDbIterSeek(it, none, 0);
  mvSkipClock(it, backward);
  while (out == MV_OK && tdbDbIterValid(it)) {
    if (i >= n) {
      snprintf(why, whyn, "%s at epoch %llu: more than the model's %zu keys", where,
               (unsigned long long)e, n);
      out = MV_WRONG;
      break;
    }
    out = mvCheckEntry(m, it, live[backward ? n - 1 - i : i], me, why, whyn, where);
    i++;
    if (backward) tdbDbIterPrev(it);
    else tdbDbIterNext(it);
    mvSkipClock(it, backward);
  }
  if (out == MV_OK) out = mvIterEnd(it, e, rc_out, why, whyn, where);
  if (out == MV_ERROR) mvAppendErr(why, whyn, &err);
  if (out == MV_OK && i != n) {
    snprintf(why, whyn, "%s at epoch %llu: %zu keys, model %zu", where, (unsigned long long)e, i,
             n);
    out = MV_WRONG;
  }
  tdbDbIterFree(it);
  tdbErrClear(&err);
  return out;
}

/* Seek to a random key (a pool key, one just after it, or random bytes),
** then a random walk of `moves` next/prev steps, each checked. */
static TDB_TEST_UNUSED int mvCheckSeekWalk(TdbStore *s, TdbMem *mem, const Model *m, uint64_t e,
                                           uint64_t *rng, int moves, size_t *live, int *rc_out,
                                           char *why, size_t whyn) {
  TdbDbIter *it = NULL;
  TdbErr err;
  unsigned char key[20];
  uint64_t me = e ? e : m->head; /* 0 reads the head */
  size_t klen, n = mvLive(m, me, live), pos, i;
  int rc, out = MV_OK, step, r = (int)(tdbTestRand(rng) % 3);
  tdbErrInit(&err, mem);
  if (r < 2 && m->nkeys) {
    const ModelKey *k = &m->keys[tdbTestRand(rng) % m->nkeys];
    memcpy(key, k->key, k->klen);
    klen = k->klen;
    if (r == 1) key[klen++] = (unsigned char)(tdbTestRand(rng) % 3 == 0 ? 0 : tdbTestRand(rng));
  } else {
    klen = (size_t)(tdbTestRand(rng) % 6);
    for (i = 0; i < klen; i++) key[i] = (unsigned char)tdbTestRand(rng);
  }
  for (pos = 0; pos < n; pos++) { /* model: first live key >= the seek key */
    const ModelKey *k = &m->keys[live[pos]];
    if (mvKeyCmp(k->key, k->klen, key, klen) >= 0) break;
  }
  rc = tdbStoreIter(s, e, &err, &it);
  if (rc_out) *rc_out = rc;
  if (rc != TDB_OK) {
    snprintf(why, whyn, "iterator at %llu: rc %d: %s", (unsigned long long)e, rc,
             tdbErrMessage(&err));
    tdbErrClear(&err);
    return MV_ERROR;
  }
  tdbDbIterSeek(it, key, klen);
  mvSkipClock(it, 0);
  for (step = 0; out == MV_OK; step++) {
    int valid = tdbDbIterValid(it);
    if (valid != (pos < n)) {
      if (!valid) out = mvIterEnd(it, e, rc_out, why, whyn, "seek walk");
      if (out == MV_OK) {
        snprintf(why, whyn, "seek walk at epoch %llu, step %d: valid %d, model %d",
                 (unsigned long long)e, step, valid, pos < n);
        out = MV_WRONG;
      }
      break;
    }
    if (!valid) break;
    out = mvCheckEntry(m, it, live[pos], me, why, whyn, "seek walk");
    if (step >= moves) break;
    if (tdbTestRand(rng) % 2) {
      tdbDbIterNext(it);
      mvSkipClock(it, 0);
      pos++;
    } else {
      tdbDbIterPrev(it);
      mvSkipClock(it, 1);
      pos = pos == 0 ? n : pos - 1; /* before the first: invalid */
    }
  }
  if (out == MV_OK) out = mvIterEnd(it, e, rc_out, why, whyn, "seek walk");
  if (out == MV_ERROR) mvAppendErr(why, whyn, &err);
  tdbDbIterFree(it);
  tdbErrClear(&err);
  return out;
}

#endif /* TDB_KV_MODEL_H */
