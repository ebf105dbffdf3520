/*
** exec_hashjoin.c — the hash join algorithm: the build side is read once
** into rows plus a hash table from encoded key values to chains of rows;
** each probe row's keys are encoded the same way and its chain is the
** candidate list (exec_join.h).
**
**   keys (a, b) --tdbValueHashKey--> bytes --TdbHashSet--> id
**   head[id] -> row + 1 --next[row]--> row + 1 --> ... 0
**
** One key that is INTEGER in every build row (the common join on an id)
** skips the encoding: an int64 hash table (inthash.h) maps it straight to
** its chain; the first build key of another type turns the table into the
** encoded one (rebuilt from the rows so far, in the same chain order).
** A probe key that is a REAL looks up the INTEGER it equals, if any.
**
** A NULL key never matches (the row is kept for FULL / build-side outer
** joins but not hashed). The encoding makes values equal under `=` equal
** bytes within a type class (numbers; text; ...); when a probe key's class
** differs from a class seen among the build keys, that probe row compares
** against every build row with the comparison `=` uses, so mixed types give
** the same matches and errors as the nested loop would.
*/
#include "exec_join.h"

#include <math.h>

/* Type classes of key values: values of different classes never hash equal. */
static unsigned tdbKeyClass(int type) {
  switch (type) {
    case TDB_TYPE_INTEGER:
    case TDB_TYPE_REAL: return 1u;
    case TDB_TYPE_TEXT: return 2u;
    case TDB_TYPE_BLOB: return 4u;
    case TDB_TYPE_BOOLEAN: return 8u;
    case TDB_TYPE_TIMESTAMP: return 16u;
    case TDB_TYPE_JSON: return 32u;
    case TDB_TYPE_VECTOR: return 64u;
    default: return 128u;
  }
}

/* Encode the keys of row `row` of kv (stride TDB_CHUNK_ROWS) into r->kbuf;
** 0 when one is NULL. */
static int tdbHashEncode(TdbJoinRun *r, int nkeys, const TdbValue *kv, size_t stride,
                         size_t row) {
  int k;
  r->kbuf.n = 0;
  for (k = 0; k < nkeys; k++) {
    const TdbValue *v = &kv[(size_t)k * stride + row];
    if (TDB_VALUE_IS_NULL(v)) return 0;
    tdbValueHashKey(&r->kbuf, v);
  }
  return 1;
}

/* Add build row n (its encoded key in r->kbuf) to the encoded table. */
static int tdbHashAddEncoded(TdbExec *ex, TdbJoinRun *r, size_t n) {
  uint32_t id;
  int added, rc = tdbHashSetFind(&r->table, r->kbuf.z, r->kbuf.n, 1, &id, &added);
  if (rc != TDB_OK) return tdbErrNoMem(ex->err);
  if (id >= r->cap_head) {
    size_t cap = r->cap_head ? r->cap_head * 2 : 1024;
    uint32_t *g = tdbMemRealloc(ex->mem, r->head, sizeof(uint32_t) * cap);
    if (!g) return tdbErrNoMem(ex->err);
    r->head = g;
    r->cap_head = cap;
  }
  if (added) r->head[id] = 0;
  r->next[n] = r->head[id];
  r->head[id] = (uint32_t)n + 1;
  return TDB_OK;
}

/* A build key that is not INTEGER arrived: move rows [0, n) from the int64
** table to the encoded one, in row order (the chains come out as the
** encoded table alone would have built them). */
static int tdbHashLeaveIntKeys(TdbExec *ex, TdbJoinRun *r, size_t n) {
  size_t b;
  int rc = TDB_OK;
  r->intkeys = 0;
  tdbIntHashFree(ex->mem, &r->itab);
  for (b = 0; b < n && rc == TDB_OK; b++) {
    const TdbValue *kd = tdbRowSetRow(&r->bkv, b);
    if (TDB_VALUE_IS_NULL(&kd[0])) continue;
    r->kbuf.n = 0;
    tdbValueHashKey(&r->kbuf, &kd[0]);
    rc = r->kbuf.oom ? tdbErrNoMem(ex->err) : tdbHashAddEncoded(ex, r, b);
  }
  return rc;
}

/* The chain of build rows (first row + 1, 0 for none) whose INTEGER key
** equals v, a non-NULL number; *other when v is of another class (the
** caller compares it with every build row). */
static uint32_t tdbHashIntChain(const TdbJoinRun *r, const TdbValue *v, int *other) {
  const uint32_t *slot;
  *other = 0;
  if (v->type == TDB_TYPE_INTEGER) {
    slot = tdbIntHashGet(&r->itab, v->u.i);
    return slot ? *slot : 0;
  }
  if (v->type == TDB_TYPE_REAL) { /* only an integral value in range equals an INTEGER */
    double x = v->u.r;
    if (x >= -9223372036854775808.0 && x < 9223372036854775808.0 && x == floor(x)) {
      slot = tdbIntHashGet(&r->itab, (int64_t)x);
      return slot ? *slot : 0;
    }
    return 0;
  }
  *other = 1;
  return 0;
}

TDB_PRIVATE int tdbHashJoinBuild(TdbExec *ex, TdbPlan *p, TdbJoinRun *r) {
  int nkeys = p->nkeys, rc;
  TdbValue *kv;
  r->classes = tdbMemAllocZero(ex->mem, sizeof(unsigned) * (size_t)(nkeys + 1));
  kv = tdbMemAlloc(ex->mem, sizeof(TdbValue) * (size_t)(nkeys + 1) * TDB_CHUNK_ROWS);
  if (!r->classes || !kv) {
    tdbMemFree(ex->mem, kv);
    return tdbErrNoMem(ex->err);
  }
  {
    int i;
    for (i = 0; i < (nkeys + 1) * TDB_CHUNK_ROWS; i++) tdbValueSetNull(&kv[i]);
  }
  r->intkeys = nkeys == 1;
  rc = tdbPlanOpen(ex, r->bplan, r->outer);
  while (rc == TDB_OK) {
    TdbChunk *b;
    int i, live;
    rc = tdbPlanNext(ex, r->bplan, &b);
    if (rc != TDB_OK) break;
    live = TDB_CHUNK_LIVE(b);
    if (live == 0) break;
    rc = tdbJoinEvalKeys(ex, r, r->bkeys, nkeys, b, r->boff, kv);
    for (i = 0; i < live && rc == TDB_OK; i++) {
      int row = TDB_CHUNK_ROW(b, i), k;
      size_t n = r->build.nrows;
      TdbValue *dst = tdbRowSetAdd(&r->build, ex->mem), *kd;
      if (!dst) {
        rc = tdbErrNoMem(ex->err);
        break;
      }
      rc = tdbJoinCopyBuildRow(ex, r, dst, b, row);
      kd = rc == TDB_OK ? tdbRowSetAdd(&r->bkv, ex->mem) : NULL;
      if (rc == TDB_OK && !kd) rc = tdbErrNoMem(ex->err);
      for (k = 0; k < nkeys && rc == TDB_OK; k++) {
        if (tdbValueCopy(ex->mem, &kd[k], &kv[k * TDB_CHUNK_ROWS + row]) != TDB_OK) {
          rc = tdbErrNoMem(ex->err);
        }
      }
      if (rc != TDB_OK) break;
      if (n >= r->cap_next) {
        size_t cap = r->cap_next ? r->cap_next * 2 : 1024;
        uint32_t *g = tdbMemRealloc(ex->mem, r->next, sizeof(uint32_t) * cap);
        if (!g) {
          rc = tdbErrNoMem(ex->err);
          break;
        }
        r->next = g;
        r->cap_next = cap;
      }
      r->next[n] = 0;
      if (n >= UINT32_MAX - 1) {
        rc = tdbErrSet(ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_LIMIT,
                       "hash join build side too large");
        break;
      }
      for (k = 0; k < nkeys && !TDB_VALUE_IS_NULL(&kd[k]); k++) {
      }
      if (k < nkeys) {
        r->build_null = 1;
        continue;
      }
      for (k = 0; k < nkeys; k++) r->classes[k] |= tdbKeyClass(kd[k].type);
      if (r->intkeys && kd[0].type != TDB_TYPE_INTEGER) {
        rc = tdbHashLeaveIntKeys(ex, r, n);
        if (rc != TDB_OK) break;
      }
      if (r->intkeys) {
        uint32_t *slot = tdbIntHashPut(ex->mem, &r->itab, kd[0].u.i);
        if (!slot) {
          rc = tdbErrNoMem(ex->err);
          break;
        }
        r->next[n] = *slot;
        *slot = (uint32_t)n + 1;
        continue;
      }
      tdbHashEncode(r, nkeys, kv, TDB_CHUNK_ROWS, (size_t)row);
      rc = r->kbuf.oom ? tdbErrNoMem(ex->err) : tdbHashAddEncoded(ex, r, n);
      if (rc != TDB_OK) break;
    }
  }
  {
    int i;
    for (i = 0; i < (nkeys + 1) * TDB_CHUNK_ROWS; i++) tdbValueClear(ex->mem, &kv[i]);
  }
  tdbMemFree(ex->mem, kv);
  tdbPlanClose(ex, r->bplan);
  return rc;
}

/* Does probe row `row` need the comparison fallback (a key class the build
** keys do not all share)? */
static int tdbHashMixed(const TdbPlan *p, const TdbJoinRun *r, int row) {
  int k;
  for (k = 0; k < p->nkeys; k++) {
    unsigned c = tdbKeyClass(r->pkv[k * TDB_CHUNK_ROWS + row].type);
    if (r->classes[k] & ~c) return 1;
  }
  return 0;
}

/* Fallback: compare probe row `row` with every build row as `=` does. */
static int tdbHashCompareAll(TdbExec *ex, const TdbPlan *p, TdbJoinRun *r, int row, int first_only,
                             int *found) {
  size_t b;
  int k, rc;
  *found = 0;
  for (b = 0; b < r->bkv.nrows; b++) {
    const TdbValue *kd = tdbRowSetRow(&r->bkv, b);
    int eq = 1;
    for (k = 0; k < p->nkeys && eq; k++) {
      int cmp;
      if (TDB_VALUE_IS_NULL(&kd[k])) {
        eq = 0;
        break;
      }
      rc = tdbValueCompare(ex->err, &r->pkv[k * TDB_CHUNK_ROWS + row], &kd[k], &cmp);
      if (rc != TDB_OK) return rc;
      eq = cmp == 0;
    }
    if (!eq) continue;
    *found = 1;
    if (first_only) return TDB_OK;
    rc = tdbJoinCandReserve(ex, r, r->ncand + 1);
    if (rc != TDB_OK) return rc;
    r->cand[r->ncand++] = b;
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbHashJoinCandidates(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int pi) {
  int row = r->psel[pi], found, rc;
  uint32_t id, b;
  if (r->intkeys) {
    const TdbValue *v = &r->pkv[row];
    int other;
    if (TDB_VALUE_IS_NULL(v)) return TDB_OK;
    b = tdbHashIntChain(r, v, &other);
    if (other) return tdbHashCompareAll(ex, p, r, row, 0, &found);
    for (; b; b = r->next[b - 1]) {
      if (r->ncand >= r->ccap) {
        rc = tdbJoinCandReserve(ex, r, r->ncand + 1);
        if (rc != TDB_OK) return rc;
      }
      r->cand[r->ncand++] = b - 1;
    }
    return TDB_OK;
  }
  if (!tdbHashEncode(r, p->nkeys, r->pkv, TDB_CHUNK_ROWS, (size_t)row)) return TDB_OK;
  if (r->kbuf.oom) return tdbErrNoMem(ex->err);
  if (tdbHashMixed(p, r, row)) return tdbHashCompareAll(ex, p, r, row, 0, &found);
  rc = tdbHashSetFind(&r->table, r->kbuf.z, r->kbuf.n, 0, &id, &found);
  if (rc == TDB_NOTFOUND) return TDB_OK;
  if (rc != TDB_OK) return tdbErrNoMem(ex->err);
  for (b = r->head[id]; b; b = r->next[b - 1]) {
    rc = tdbJoinCandReserve(ex, r, r->ncand + 1);
    if (rc != TDB_OK) return rc;
    r->cand[r->ncand++] = b - 1;
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbHashJoinKeep(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int row, int *keep) {
  int found = 0, rc, has_null, k;
  uint32_t id;
  if (r->intkeys) {
    has_null = TDB_VALUE_IS_NULL(&r->pkv[row]);
  } else {
    has_null = !tdbHashEncode(r, p->nkeys, r->pkv, TDB_CHUNK_ROWS, (size_t)row);
    if (r->kbuf.oom) return tdbErrNoMem(ex->err);
  }
  if (p->join_type == TDB_JTYPE_NOT_IN && r->build.nrows == 0) {
    *keep = 1; /* NOT IN of an empty set is true, even for NULL */
    return TDB_OK;
  }
  if (!has_null && r->intkeys) {
    int other;
    found = tdbHashIntChain(r, &r->pkv[row], &other) != 0;
    if (other) {
      rc = tdbHashCompareAll(ex, p, r, row, 1, &found);
      if (rc != TDB_OK) return rc;
    }
  } else if (!has_null) {
    if (tdbHashMixed(p, r, row)) {
      rc = tdbHashCompareAll(ex, p, r, row, 1, &found);
      if (rc != TDB_OK) return rc;
    } else {
      rc = tdbHashSetFind(&r->table, r->kbuf.z, r->kbuf.n, 0, &id, &k);
      if (rc != TDB_OK && rc != TDB_NOTFOUND) return tdbErrNoMem(ex->err);
      found = rc == TDB_OK;
    }
  }
  switch (p->join_type) {
    case TDB_JTYPE_SEMI: *keep = found; break;
    case TDB_JTYPE_ANTI: *keep = !found; break;
    default: /* NOT IN: true only when x is known to differ from every value */
      *keep = !has_null && !found && !r->build_null;
      break;
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbHashJoinFree(TdbMem *mem, TdbJoinRun *r) {
  tdbIntHashFree(mem, &r->itab);
  tdbHashSetFree(&r->table);
  tdbStrClear(&r->kbuf);
  tdbMemFree(mem, r->head);
  tdbMemFree(mem, r->next);
  tdbMemFree(mem, r->classes);
}
