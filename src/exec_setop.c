/*
** exec_setop.c — the executor's operators for compound SELECTs and WITH
** queries (exec.h): SETOP (UNION / INTERSECT / EXCEPT [ALL]), WITH, CTE
** (a materialized WITH query, recursive or not) and CTE_SCAN.
**
** SETOP streams: it hands out its inputs' own chunks with a narrowed
** selection, like DISTINCT. Rows are compared by the hash-key encoding of
** GROUP BY and DISTINCT (tdbValueHashKey), so NULLs are equal and 1 = 1.0.
**
**   UNION ALL        left's chunks, then right's
**   UNION            both, keeping rows whose key is new in `seen`
**   INTERSECT        right's keys into `right` first; left's rows whose key
**                    is in `right` and new in `seen`
**   EXCEPT           the same, keeping those whose key is not in `right`
**   INTERSECT ALL    `right` with a count per key; a left row is kept while
**                    its key's count lasts (min(m, n) copies)
**   EXCEPT ALL       a left row uses up one count, and is kept when none is
**                    left (max(m - n, 0) copies)
**
** A WITH query is computed once per opening of its WITH node, at the first
** scan of it, into a row set that every scan of it reads. A recursive one:
**
**   rows := non-recursive term          (UNION: without duplicates)
**   working table := rows [lo, hi) = all of them
**   while the working table is not empty:
**     run the recursive term, whose SCAN WORKING TABLE reads rows [lo, hi),
**     appending its rows (UNION: only keys never seen) to rows
**     lo, hi := hi, end of rows
**
** The recursive term may run at most tdb_config.recursion_limit times
** (error 54001 naming the query after that).
*/
#include "exec.h"
#include "db.h"
#include "hashset.h"

typedef struct TdbSetOpState {
  TdbHashSet seen;      /* keys handed out (distinct variants) */
  TdbHashSet right;     /* INTERSECT / EXCEPT: the keys of the right input */
  uint32_t *counts;     /* ... ALL: per key of `right`, copies not yet matched */
  size_t cap_counts;
  int on_right;         /* UNION [ALL]: reading the right input now */
  TdbStr key;
} TdbSetOpState;

typedef struct TdbCteState {
  const TdbEvalCtx *outer;  /* the row the WITH node was opened for */
  TdbRowSet rows;           /* every row of the query */
  size_t work_lo, work_hi;  /* recursive: the working table is rows[lo, hi) */
  TdbHashSet seen;          /* recursive UNION: keys of rows */
  int built, building;
} TdbCteState;

typedef struct TdbCteScanState {
  size_t pos, end;
} TdbCteScanState;

/* The key of row r of chunk b (its first ncols columns) in *key. */
static int tdbRowKey(TdbExec *ex, TdbStr *key, const TdbChunk *b, int r, int ncols) {
  int c;
  key->n = 0;
  for (c = 0; c < ncols; c++) tdbValueHashKey(key, &b->col[c][r]);
  return key->oom ? tdbErrNoMem(ex->err) : TDB_OK;
}

/* ---- SETOP ---------------------------------------------------------------------- */

/* INTERSECT / EXCEPT: read the right input into s->right (with counts). */
static int tdbSetOpBuildRight(TdbExec *ex, TdbPlan *p, TdbSetOpState *s) {
  int all = p->setop == TDB_SETOP_INTERSECT_ALL || p->setop == TDB_SETOP_EXCEPT_ALL;
  int rc = TDB_OK;
  while (rc == TDB_OK) {
    TdbChunk *b;
    int i, live;
    rc = tdbPlanNext(ex, p->right, &b);
    if (rc != TDB_OK || (live = TDB_CHUNK_LIVE(b)) == 0) break;
    for (i = 0; i < live && rc == TDB_OK; i++) {
      uint32_t id;
      int added;
      rc = tdbRowKey(ex, &s->key, b, TDB_CHUNK_ROW(b, i), p->ncols);
      if (rc != TDB_OK) break;
      if (tdbHashSetFind(&s->right, s->key.z ? s->key.z : "", s->key.n, 1, &id, &added) != TDB_OK) {
        rc = tdbErrNoMem(ex->err);
        break;
      }
      if (!all) continue;
      if (id >= s->cap_counts) {
        size_t cap = s->cap_counts ? s->cap_counts * 2 : 256;
        uint32_t *grown = tdbMemRealloc(ex->mem, s->counts, sizeof(uint32_t) * cap);
        if (!grown) {
          rc = tdbErrNoMem(ex->err);
          break;
        }
        memset(grown + s->cap_counts, 0, sizeof(uint32_t) * (cap - s->cap_counts));
        s->counts = grown;
        s->cap_counts = cap;
      }
      s->counts[id]++;
    }
  }
  tdbPlanClose(ex, p->right);
  return rc;
}

static int tdbSetOpOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  TdbSetOpState *s = tdbMemAllocZero(ex->mem, sizeof *s);
  int rc;
  if (!s) return tdbErrNoMem(ex->err);
  tdbHashSetInit(&s->seen, ex->mem);
  tdbHashSetInit(&s->right, ex->mem);
  tdbStrInit(&s->key, ex->mem);
  p->state = s;
  rc = tdbPlanOpen(ex, p->right, outer);
  if (rc == TDB_OK && p->setop >= TDB_SETOP_INTERSECT) rc = tdbSetOpBuildRight(ex, p, s);
  if (rc == TDB_OK) rc = tdbPlanOpen(ex, p->child, outer);
  return rc;
}

/* Does row r of b belong to the result (and account for it)? */
static int tdbSetOpKeep(TdbExec *ex, TdbPlan *p, TdbSetOpState *s, const TdbChunk *b, int r,
                        int *keep) {
  uint32_t id;
  int added = 0, in_right, rc = tdbRowKey(ex, &s->key, b, r, p->ncols);
  const char *k = s->key.z ? s->key.z : "";
  *keep = 0;
  if (rc != TDB_OK) return rc;
  if (p->setop == TDB_SETOP_UNION) {
    rc = tdbHashSetFind(&s->seen, k, s->key.n, 1, &id, keep);
    return rc == TDB_NOMEM ? tdbErrNoMem(ex->err) : TDB_OK;
  }
  rc = tdbHashSetFind(&s->right, k, s->key.n, 0, &id, &added);
  if (rc == TDB_NOMEM) return tdbErrNoMem(ex->err);
  in_right = rc == TDB_OK;
  switch (p->setop) {
    case TDB_SETOP_INTERSECT_ALL:
      if (in_right && s->counts[id] > 0) {
        s->counts[id]--;
        *keep = 1;
      }
      return TDB_OK;
    case TDB_SETOP_EXCEPT_ALL:
      if (in_right && s->counts[id] > 0) s->counts[id]--;
      else *keep = 1;
      return TDB_OK;
    default: /* INTERSECT, EXCEPT: each key once */
      if (in_right != (p->setop == TDB_SETOP_INTERSECT)) return TDB_OK;
      rc = tdbHashSetFind(&s->seen, k, s->key.n, 1, &id, keep);
      return rc == TDB_NOMEM ? tdbErrNoMem(ex->err) : TDB_OK;
  }
}

static int tdbSetOpNext(TdbExec *ex, TdbPlan *p, TdbChunk **out) {
  TdbSetOpState *s = p->state;
  int union_like = p->setop == TDB_SETOP_UNION || p->setop == TDB_SETOP_UNION_ALL;
  for (;;) {
    TdbChunk *b;
    int i, k = 0, live, rc;
    rc = tdbPlanNext(ex, s->on_right ? p->right : p->child, &b);
    if (rc != TDB_OK) return rc;
    live = TDB_CHUNK_LIVE(b);
    *out = b;
    if (live == 0) {
      if (union_like && !s->on_right) {
        s->on_right = 1;
        continue;
      }
      return TDB_OK;
    }
    if (p->setop == TDB_SETOP_UNION_ALL) return TDB_OK;
    for (i = 0; i < live; i++) {
      int r = TDB_CHUNK_ROW(b, i), keep;
      rc = tdbSetOpKeep(ex, p, s, b, r, &keep);
      if (rc != TDB_OK) return rc;
      if (keep) b->sel_buf[k++] = (uint16_t)r; /* k <= i: writes never pass reads */
    }
    b->sel = b->sel_buf;
    b->nsel = k;
    if (k > 0) return TDB_OK;
  }
}

/* ---- WITH queries -------------------------------------------------------------- */

/* Run `plan` (a term of WITH query cte) and append its rows to st->rows;
** recursive UNION keeps only rows whose key is new. */
static int tdbCteRun(TdbExec *ex, TdbPlan *cte, TdbPlan *plan, TdbCteState *st, TdbStr *key) {
  int dedup = cte->right && cte->setop == TDB_SETOP_UNION;
  int rc = tdbPlanOpen(ex, plan, st->outer);
  while (rc == TDB_OK) {
    TdbChunk *b;
    int i, c, live;
    rc = tdbPlanNext(ex, plan, &b);
    if (rc != TDB_OK || (live = TDB_CHUNK_LIVE(b)) == 0) break;
    for (i = 0; i < live && rc == TDB_OK; i++) {
      int r = TDB_CHUNK_ROW(b, i);
      TdbValue *row;
      if (dedup) {
        uint32_t id;
        int added;
        rc = tdbRowKey(ex, key, b, r, cte->ncols);
        if (rc != TDB_OK) break;
        if (tdbHashSetFind(&st->seen, key->z ? key->z : "", key->n, 1, &id, &added) != TDB_OK) {
          rc = tdbErrNoMem(ex->err);
          break;
        }
        if (!added) continue;
      }
      row = tdbRowSetAdd(&st->rows, ex->mem);
      if (!row) rc = tdbErrNoMem(ex->err);
      for (c = 0; c < cte->ncols && rc == TDB_OK; c++) {
        if (tdbValueCopy(ex->mem, &row[c], &b->col[c][r]) != TDB_OK) rc = tdbErrNoMem(ex->err);
      }
    }
  }
  tdbPlanClose(ex, plan);
  return rc;
}

/* Compute WITH query cte into its state's rows (see the top of the file). */
static int tdbCteMaterialize(TdbExec *ex, TdbPlan *cte, TdbCteState *st) {
  TdbStr key;
  int64_t iterations = 0, limit = ex->db->config.recursion_limit;
  int rc;
  tdbStrInit(&key, ex->mem);
  st->building = 1;
  rc = tdbCteRun(ex, cte, cte->child, st, &key);
  st->work_lo = 0;
  st->work_hi = st->rows.nrows;
  while (rc == TDB_OK && cte->right && st->work_hi > st->work_lo) {
    if (++iterations > limit) {
      rc = tdbErrSet(ex->err, TDB_ERROR, TDB_SQLSTATE_TOO_COMPLEX,
                     "recursive query \"%s\" did not finish within %lld iterations "
                     "(tdb_config.recursion_limit)",
                     cte->cte_name, (long long)limit);
      break;
    }
    rc = tdbCteRun(ex, cte, cte->right, st, &key);
    st->work_lo = st->work_hi;
    st->work_hi = st->rows.nrows;
  }
  tdbStrClear(&key);
  st->building = 0;
  st->built = rc == TDB_OK;
  cte->actual_rows = (int64_t)st->rows.nrows;
  return rc;
}

static int tdbCteScanOpen(TdbExec *ex, TdbPlan *p) {
  TdbPlan *cte = p->cte;
  TdbCteState *st = cte ? cte->state : NULL;
  TdbCteScanState *s;
  int rc;
  if (!st) {
    return tdbErrSet(ex->err, TDB_INTERNAL, NULL, "WITH query %s read outside its statement",
                     p->cte_name);
  }
  if (!p->cte_self && !st->built) {
    if (st->building) {
      return tdbErrSet(ex->err, TDB_INTERNAL, NULL, "WITH query %s reads itself", p->cte_name);
    }
    rc = tdbCteMaterialize(ex, cte, st);
    if (rc != TDB_OK) return rc;
  }
  s = tdbMemAllocZero(ex->mem, sizeof *s);
  if (!s) return tdbErrNoMem(ex->err);
  p->state = s;
  s->pos = p->cte_self ? st->work_lo : 0;
  s->end = p->cte_self ? st->work_hi : st->rows.nrows;
  return TDB_OK;
}

static int tdbCteScanNext(TdbExec *ex, TdbPlan *p) {
  TdbCteScanState *s = p->state;
  const TdbCteState *st = p->cte->state;
  TdbChunk *out = &p->out;
  int c;
  tdbChunkReset(out, ex->mem);
  while (s->pos < s->end && out->n < TDB_CHUNK_ROWS) {
    const TdbValue *row = tdbRowSetRow(&st->rows, s->pos++);
    for (c = 0; c < p->ncols; c++) {
      out->col[c][out->n] = row[c]; /* borrowed: the rows stay until the WITH closes */
      out->col[c][out->n].owned = 0;
    }
    out->n++;
  }
  return TDB_OK;
}

static int tdbWithOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  int i;
  for (i = 0; i < p->nctes; i++) {
    TdbPlan *cte = p->ctes[i];
    TdbCteState *st;
    tdbPlanClose(ex, cte); /* the rows of an earlier opening go */
    st = tdbMemAllocZero(ex->mem, sizeof *st);
    if (!st) return tdbErrNoMem(ex->err);
    st->outer = outer;
    tdbRowSetInit(&st->rows, cte->ncols);
    tdbHashSetInit(&st->seen, ex->mem);
    cte->state = st;
    cte->opened = 1;
    cte->loops++;
  }
  return tdbPlanOpen(ex, p->child, outer);
}

/* ---- dispatch ----------------------------------------------------------------- */

TDB_PRIVATE int tdbSetOpPlanOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  switch (p->kind) {
    case TDB_PLAN_SETOP: return tdbSetOpOpen(ex, p, outer);
    case TDB_PLAN_WITH: return tdbWithOpen(ex, p, outer);
    case TDB_PLAN_CTE_SCAN: return tdbCteScanOpen(ex, p);
    default:
      return tdbErrSet(ex->err, TDB_INTERNAL, NULL, "a WITH query is not opened by itself");
  }
}

TDB_PRIVATE int tdbSetOpPlanNext(TdbExec *ex, TdbPlan *p, TdbChunk **out) {
  switch (p->kind) {
    case TDB_PLAN_SETOP: return tdbSetOpNext(ex, p, out);
    case TDB_PLAN_WITH: return tdbPlanNext(ex, p->child, out);
    case TDB_PLAN_CTE_SCAN: return tdbCteScanNext(ex, p);
    default:
      return tdbErrSet(ex->err, TDB_INTERNAL, NULL, "a WITH query is not read by itself");
  }
}

TDB_PRIVATE void tdbSetOpPlanClose(TdbExec *ex, TdbPlan *p) {
  int i;
  if (p->kind == TDB_PLAN_WITH) {
    for (i = 0; i < p->nctes; i++) tdbPlanClose(ex, p->ctes[i]);
  } else if (p->right) {
    tdbPlanClose(ex, p->right);
  }
}

TDB_PRIVATE void tdbSetOpFreeState(TdbMem *mem, TdbPlan *p) {
  if (p->kind == TDB_PLAN_SETOP) {
    TdbSetOpState *s = p->state;
    tdbHashSetFree(&s->seen);
    tdbHashSetFree(&s->right);
    tdbMemFree(mem, s->counts);
    tdbStrClear(&s->key);
  } else if (p->kind == TDB_PLAN_CTE) {
    TdbCteState *st = p->state;
    tdbRowSetFree(&st->rows, mem);
    tdbHashSetFree(&st->seen);
  }
  tdbMemFree(mem, p->state);
  p->state = NULL;
}

TDB_PRIVATE void tdbSetOpExplain(TdbStr *out, const TdbPlan *p) {
  static const char *const names[] = {"?", "HASH UNION", "UNION ALL", "HASH INTERSECT",
                                      "HASH INTERSECT ALL", "HASH EXCEPT", "HASH EXCEPT ALL"};
  switch (p->kind) {
    case TDB_PLAN_SETOP:
      tdbStrAppendz(out, p->setop >= 1 && p->setop <= 6 ? names[p->setop] : "?");
      break;
    case TDB_PLAN_WITH:
      tdbStrAppendf(out, "WITH (%d quer%s)", p->nctes, p->nctes == 1 ? "y" : "ies");
      break;
    case TDB_PLAN_CTE:
      if (p->right) {
        tdbStrAppendf(out, "RECURSIVE CTE %s (%s)", p->cte_name,
                      p->setop == TDB_SETOP_UNION ? "UNION" : "UNION ALL");
      } else {
        tdbStrAppendf(out, "CTE %s (materialized)", p->cte_name);
      }
      break;
    case TDB_PLAN_CTE_SCAN:
      tdbStrAppendf(out, p->cte_self ? "SCAN WORKING TABLE %s" : "SCAN CTE %s", p->cte_name);
      break;
    default:
      tdbStrAppendz(out, "?");
      break;
  }
}
