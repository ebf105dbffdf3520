/*
** exec_mergejoin.c — the merge join algorithm: both sides arrive ordered
** on the join key (the planner picks it for primary-key scans of typed key
** columns), the left side is the probe side, and the right side is read
** once, one group of equal keys at a time:
**
**   left keys   1  2  2  5          right groups  [1 1] [2] [4] [5 5 5]
**   probe 1 -> group [1 1]; probe 2 -> [2] (kept for the next 2);
**   probe 5 -> skips [4], -> [5 5 5]
**
** The group's rows are copies (they outlive the right chunk they came
** from), so its candidates are copied into the output too. NULL keys never
** match.
*/
#include "exec_join.h"

/* Fetch the next right chunk and its keys; rdone when there is none. */
static int tdbMergeFetch(TdbExec *ex, TdbJoinRun *r) {
  const uint16_t *sel;
  int rc = tdbPlanNext(ex, r->bplan, &r->rchunk);
  if (rc != TDB_OK) return rc;
  sel = tdbChunkSelection(r->rchunk, &r->rlive);
  memcpy(r->rsel, sel, sizeof(uint16_t) * (size_t)r->rlive);
  r->ri = 0;
  if (r->rlive == 0) {
    r->rdone = 1;
    return TDB_OK;
  }
  return tdbJoinEvalKeys(ex, r, r->bkeys, 1, r->rchunk, r->boff, r->rkv);
}

/* The right row at the cursor, fetching chunks as needed; NULL at the end. */
static int tdbMergeCurrent(TdbExec *ex, TdbJoinRun *r, const TdbValue **key) {
  int rc;
  *key = NULL;
  while (!r->rdone && (!r->rchunk || r->ri >= r->rlive)) {
    rc = tdbMergeFetch(ex, r);
    if (rc != TDB_OK) return rc;
  }
  if (!r->rdone) *key = &r->rkv[r->rsel[r->ri]];
  return TDB_OK;
}

/* Read the next group of right rows with equal (non-NULL) keys into
** r->build; gvalid stays 0 when the right side is done. */
static int tdbMergeNextGroup(TdbExec *ex, TdbJoinRun *r) {
  const TdbValue *key;
  int rc;
  tdbRowSetFree(&r->build, ex->mem);
  tdbRowSetInit(&r->build, r->nbcols);
  tdbValueClear(ex->mem, &r->gkey);
  r->gvalid = 0;
  for (;;) {
    rc = tdbMergeCurrent(ex, r, &key);
    if (rc != TDB_OK || !key) return rc;
    if (!TDB_VALUE_IS_NULL(key)) break;
    r->ri++;
  }
  if (tdbValueCopy(ex->mem, &r->gkey, key) != TDB_OK) return tdbErrNoMem(ex->err);
  r->gvalid = 1;
  for (;;) {
    int cmp, row;
    TdbValue *dst;
    rc = tdbMergeCurrent(ex, r, &key);
    if (rc != TDB_OK || !key) return rc;
    if (TDB_VALUE_IS_NULL(key)) return TDB_OK; /* NULLs sort first: none follow a key */
    rc = tdbValueCompare(ex->err, key, &r->gkey, &cmp);
    if (rc != TDB_OK) return rc;
    if (cmp != 0) return TDB_OK;
    row = r->rsel[r->ri++];
    dst = tdbRowSetAdd(&r->build, ex->mem);
    if (!dst) return tdbErrNoMem(ex->err);
    rc = tdbJoinCopyBuildRow(ex, r, dst, r->rchunk, row);
    if (rc != TDB_OK) return rc;
  }
}

TDB_PRIVATE int tdbMergeJoinCandidates(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int pi) {
  const TdbValue *lk = &r->pkv[r->psel[pi]];
  (void)p; /* one key: the first */
  int rc, cmp;
  if (TDB_VALUE_IS_NULL(lk)) return TDB_OK;
  for (;;) {
    if (!r->gvalid) {
      if (r->rdone) return TDB_OK;
      rc = tdbMergeNextGroup(ex, r);
      if (rc != TDB_OK) return rc;
      if (!r->gvalid) return TDB_OK;
    }
    rc = tdbValueCompare(ex->err, lk, &r->gkey, &cmp);
    if (rc != TDB_OK) return rc;
    if (cmp < 0) return TDB_OK;
    if (cmp == 0) {
      r->cand_all = 1;
      r->ncand = r->build.nrows;
      return TDB_OK;
    }
    r->gvalid = 0; /* the group is behind the left key */
  }
}

TDB_PRIVATE void tdbMergeJoinFree(TdbMem *mem, TdbJoinRun *r) {
  tdbValueClear(mem, &r->gkey);
}
