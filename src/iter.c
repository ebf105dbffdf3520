/*
** iter.c — the empty iterator and the merging iterator (see iter.h).
**
** The merging iterator keeps every child positioned and yields the smallest
** (forward) or largest (backward) current key. Changing direction re-seeks
** the other children around the current key so each sits just after
** (forward) or just before (backward) it: the classic LSM merge.
*/
#include "iter.h"
#include "ikey.h"
#include "mem.h"

TDB_PRIVATE void tdbIterFree(TdbIter *it) {
  if (it) it->m->destroy(it);
}

/* ---- empty ------------------------------------------------------------------ */

typedef struct TdbEmptyIter {
  TdbIter base;
  TdbMem *mem;
  int rc;
} TdbEmptyIter;

static int tdbEmptyValid(TdbIter *it) { TDB_UNUSED(it); return 0; }
static void tdbEmptyMove(TdbIter *it) { TDB_UNUSED(it); }
static void tdbEmptySeek(TdbIter *it, const unsigned char *k, size_t n) {
  TDB_UNUSED(it);
  TDB_UNUSED(k);
  TDB_UNUSED(n);
}
static const unsigned char *tdbEmptyBytes(TdbIter *it, size_t *n) {
  TDB_UNUSED(it);
  *n = 0;
  return NULL;
}
static int tdbEmptyStatus(TdbIter *it) { return ((TdbEmptyIter *)it)->rc; }
static void tdbEmptyDestroy(TdbIter *it) {
  TdbEmptyIter *e = (TdbEmptyIter *)it;
  tdbMemFree(e->mem, e);
}

static const TdbIterMethods tdbEmptyMethods = {
    tdbEmptyValid, tdbEmptyMove,  tdbEmptyMove,  tdbEmptySeek,   tdbEmptyMove,
    tdbEmptyMove,  tdbEmptyBytes, tdbEmptyBytes, tdbEmptyStatus, tdbEmptyDestroy,
    tdbIterVisitGeneric};

TDB_PRIVATE TdbIter *tdbIterEmpty(TdbMem *mem, int rc) {
  TdbEmptyIter *e = tdbMemAlloc(mem, sizeof *e);
  if (!e) return NULL;
  e->base.m = &tdbEmptyMethods;
  e->mem = mem;
  e->rc = rc;
  return &e->base;
}

TDB_PRIVATE int tdbIterVisitGeneric(TdbIter *it, const unsigned char *bound, size_t bn,
                                    TdbIterVisitFn fn, void *ctx) {
  while (tdbIterValid(it)) {
    size_t kn, vn;
    const unsigned char *k = tdbIterKey(it, &kn), *v;
    int r;
    if (bound && tdbIkeyCompare(k, kn, bound, bn) >= 0) return 0;
    v = tdbIterValue(it, &vn);
    r = fn(ctx, k, kn, v, vn);
    tdbIterNext(it);
    if (r) return r;
  }
  return 0;
}

/* ---- merging ------------------------------------------------------------------ */

typedef struct TdbMergeIter {
  TdbIter base;
  TdbMem *mem;
  TdbIter **kids;
  int n;
  int current;       /* index of the child at the merged position, or -1 */
  int forward;       /* direction of the last move */
} TdbMergeIter;

static int tdbMergeCompareKids(TdbMergeIter *mi, int a, int b) {
  size_t an, bn;
  const unsigned char *ka = tdbIterKey(mi->kids[a], &an);
  const unsigned char *kb = tdbIterKey(mi->kids[b], &bn);
  return tdbIkeyCompare(ka, an, kb, bn);
}

/* Point `current` at the smallest (forward) or largest valid child. */
static void tdbMergePick(TdbMergeIter *mi) {
  int i, best = -1;
  for (i = 0; i < mi->n; i++) {
    if (!tdbIterValid(mi->kids[i])) continue;
    if (best < 0) {
      best = i;
    } else {
      int c = tdbMergeCompareKids(mi, i, best);
      if (mi->forward ? c < 0 : c > 0) best = i;
    }
  }
  mi->current = best;
}

static int tdbMergeValid(TdbIter *it) {
  return ((TdbMergeIter *)it)->current >= 0;
}

static void tdbMergeSeekFirst(TdbIter *it) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  int i;
  for (i = 0; i < mi->n; i++) tdbIterSeekFirst(mi->kids[i]);
  mi->forward = 1;
  tdbMergePick(mi);
}

static void tdbMergeSeekLast(TdbIter *it) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  int i;
  for (i = 0; i < mi->n; i++) tdbIterSeekLast(mi->kids[i]);
  mi->forward = 0;
  tdbMergePick(mi);
}

static void tdbMergeSeek(TdbIter *it, const unsigned char *k, size_t n) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  int i;
  for (i = 0; i < mi->n; i++) tdbIterSeek(mi->kids[i], k, n);
  mi->forward = 1;
  tdbMergePick(mi);
}

static void tdbMergeNext(TdbIter *it) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  TdbIter *cur = mi->kids[mi->current];
  if (!mi->forward) {
    /* other children sit before the current key: move each just past it */
    size_t kn;
    const unsigned char *k = tdbIterKey(cur, &kn);
    int i;
    for (i = 0; i < mi->n; i++) {
      TdbIter *kid = mi->kids[i];
      size_t n2;
      if (i == mi->current) continue;
      tdbIterSeek(kid, k, kn);
      if (tdbIterValid(kid) && tdbIkeyCompare(k, kn, tdbIterKey(kid, &n2), n2) == 0) {
        tdbIterNext(kid);
      }
    }
    mi->forward = 1;
  }
  tdbIterNext(cur);
  tdbMergePick(mi);
}

static void tdbMergePrev(TdbIter *it) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  TdbIter *cur = mi->kids[mi->current];
  if (mi->forward) {
    /* other children sit at or after the current key: move each before it */
    size_t kn;
    const unsigned char *k = tdbIterKey(cur, &kn);
    int i;
    for (i = 0; i < mi->n; i++) {
      TdbIter *kid = mi->kids[i];
      if (i == mi->current) continue;
      tdbIterSeek(kid, k, kn);
      if (tdbIterValid(kid)) tdbIterPrev(kid);
      else tdbIterSeekLast(kid);
    }
    mi->forward = 0;
  }
  tdbIterPrev(cur);
  tdbMergePick(mi);
}

static const unsigned char *tdbMergeKey(TdbIter *it, size_t *n) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  return tdbIterKey(mi->kids[mi->current], n);
}

static const unsigned char *tdbMergeValue(TdbIter *it, size_t *n) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  return tdbIterValue(mi->kids[mi->current], n);
}

static int tdbMergeStatus(TdbIter *it) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  int i;
  for (i = 0; i < mi->n; i++) {
    int rc = tdbIterStatus(mi->kids[i]);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

static void tdbMergeDestroy(TdbIter *it) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  int i;
  for (i = 0; i < mi->n; i++) tdbIterFree(mi->kids[i]);
  tdbMemFree(mi->mem, mi->kids);
  tdbMemFree(mi->mem, mi);
}

/* Visit: hand the run of the smallest child that lies below every other
** child's key (and the caller's bound) to that child's own visit, then pick
** again. With one child holding the range, a scan is that child's loop. */
static int tdbMergeVisit(TdbIter *it, const unsigned char *bound, size_t bn, TdbIterVisitFn fn,
                         void *ctx) {
  TdbMergeIter *mi = (TdbMergeIter *)it;
  if (!mi->forward) return tdbIterVisitGeneric(it, bound, bn, fn, ctx);
  while (mi->current >= 0) {
    TdbIter *cur = mi->kids[mi->current];
    const unsigned char *lim = bound;
    size_t limn = bn;
    int i, r;
    for (i = 0; i < mi->n; i++) {
      size_t kn;
      const unsigned char *k;
      if (i == mi->current || !tdbIterValid(mi->kids[i])) continue;
      k = tdbIterKey(mi->kids[i], &kn);
      if (!lim || tdbIkeyCompare(k, kn, lim, limn) < 0) {
        lim = k;
        limn = kn;
      }
    }
    r = tdbIterVisit(cur, lim, limn, fn, ctx);
    tdbMergePick(mi);
    if (r) return r;
    if (tdbIterStatus(cur) != TDB_OK) return 0;
    if (bound && mi->current >= 0) {
      size_t kn;
      const unsigned char *k = tdbIterKey(mi->kids[mi->current], &kn);
      if (tdbIkeyCompare(k, kn, bound, bn) >= 0) return 0;
    }
  }
  return 0;
}

static const TdbIterMethods tdbMergeMethods = {
    tdbMergeValid, tdbMergeSeekFirst, tdbMergeSeekLast, tdbMergeSeek,   tdbMergeNext,
    tdbMergePrev,  tdbMergeKey,       tdbMergeValue,    tdbMergeStatus, tdbMergeDestroy,
    tdbMergeVisit};

TDB_PRIVATE TdbIter *tdbIterMerge(TdbMem *mem, TdbIter **children, int n) {
  TdbMergeIter *mi;
  int i;
  if (n == 1) return children[0];
  mi = tdbMemAllocZero(mem, sizeof *mi);
  if (mi) mi->kids = tdbMemAlloc(mem, sizeof(TdbIter *) * (size_t)(n ? n : 1));
  if (!mi || !mi->kids) {
    for (i = 0; i < n; i++) tdbIterFree(children[i]);
    tdbMemFree(mem, mi);
    return NULL;
  }
  mi->base.m = &tdbMergeMethods;
  mi->mem = mem;
  memcpy(mi->kids, children, sizeof(TdbIter *) * (size_t)n);
  mi->n = n;
  mi->current = -1;
  mi->forward = 1;
  return &mi->base;
}
