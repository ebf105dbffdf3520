/*
** exec_join.c — the join operator (TDB_PLAN_JOIN): the driver shared by
** every algorithm (exec_join.h draws it), the nested loop and index nested
** loop algorithms, SEMI / ANTI joins, and the EXPLAIN line of a join.
**
** Output rows are scope rows of the query (exec.h, TdbPlan.join_*): each
** side's columns are copied to their scope positions by (from, to, count)
** segments, a NULL-extended side gets NULLs there, and merged USING columns
** (RIGHT / FULL) take the left value unless it is NULL. Values are borrowed
** from the probe chunk and the build rows, except when the build rows change
** per probe row (INDEX, MERGE): those are copied into the output chunk.
*/
#include "exec_join.h"

enum { TDB_JP_NEXT_PROBE, TDB_JP_GEN, TDB_JP_UNMATCHED, TDB_JP_FINAL, TDB_JP_DONE };

TDB_PRIVATE int tdbJoinCandReserve(TdbExec *ex, TdbJoinRun *r, size_t n) {
  size_t *grown, cap;
  if (n <= r->ccap) return TDB_OK;
  cap = r->ccap ? r->ccap : 16;
  while (cap < n) cap *= 2;
  grown = tdbMemRealloc(ex->mem, r->cand, sizeof(size_t) * cap);
  if (!grown) return tdbErrNoMem(ex->err);
  r->cand = grown;
  r->ccap = cap;
  return TDB_OK;
}

TDB_PRIVATE int tdbJoinCopyBuildRow(TdbExec *ex, TdbJoinRun *r, TdbValue *dst, const TdbChunk *c,
                                    int row) {
  int j;
  for (j = 0; j < r->nbcols; j++) {
    if (tdbValueCopy(ex->mem, &dst[j], &c->col[r->bcols[j]][row]) != TDB_OK) {
      return tdbErrNoMem(ex->err);
    }
  }
  return TDB_OK;
}

/* Narrow the build rows to the columns bseg copies (r->bcols, r->cbseg):
** a build side that is a join carries the whole scope row, most of it
** columns the query does not read. */
static int tdbJoinNarrowBuild(TdbExec *ex, TdbJoinRun *r) {
  int s, k, n = 0;
  for (s = 0; s < r->nbseg; s++) n += r->bseg[3 * s + 2];
  r->bcols = tdbMemAlloc(ex->mem, sizeof(int) * (size_t)(n + 1));
  r->cbseg = tdbMemAlloc(ex->mem, sizeof(int) * (size_t)(3 * r->nbseg + 1));
  if (!r->bcols || !r->cbseg) return tdbErrNoMem(ex->err);
  for (s = 0, n = 0; s < r->nbseg; s++) {
    r->cbseg[3 * s] = n;
    r->cbseg[3 * s + 1] = r->bseg[3 * s + 1];
    r->cbseg[3 * s + 2] = r->bseg[3 * s + 2];
    for (k = 0; k < r->bseg[3 * s + 2]; k++) r->bcols[n++] = r->bseg[3 * s] + k;
  }
  r->nbcols = n;
  return TDB_OK;
}

/* A view of chunk c whose columns are numbered from scope column off. */
static const TdbChunk *tdbJoinView(TdbJoinRun *r, TdbChunk *c, int off, TdbChunk *view) {
  int i;
  if (off == 0) return c;
  for (i = 0; i < c->ncols && off + i < r->nshift; i++) r->shift[off + i] = c->col[i];
  *view = *c;
  view->col = r->shift;
  view->ncols = off + c->ncols;
  return view;
}

TDB_PRIVATE int tdbJoinEvalKeys(TdbExec *ex, TdbJoinRun *r, TdbExpr **keys, int nkeys,
                                TdbChunk *c, int off, TdbValue *dst) {
  TdbChunk view;
  TdbVecCtx vc;
  const uint16_t *sel;
  int k, i, live, rc = TDB_OK;
  for (i = 0; i < nkeys * TDB_CHUNK_ROWS; i++) {
    if (dst[i].type != TDB_TYPE_NULL) tdbValueClear(ex->mem, &dst[i]);
  }
  if (nkeys == 0) return TDB_OK;
  sel = tdbChunkSelection(c, &live);
  vc.ex = ex;
  vc.outer = r->outer;
  vc.chunk = tdbJoinView(r, c, off, &view);
  for (k = 0; k < nkeys && rc == TDB_OK; k++) {
    TdbValue *res;
    int mark = tdbVecMark(&vc);
    rc = tdbVecEval(&vc, keys[k], sel, live, &res);
    for (i = 0; i < live && rc == TDB_OK; i++) {
      if (tdbValueCopy(ex->mem, &dst[k * TDB_CHUNK_ROWS + sel[i]], &res[sel[i]]) != TDB_OK) {
        rc = tdbErrNoMem(ex->err);
      }
    }
    tdbVecRelease(&vc, mark, sel, live);
  }
  return rc;
}

/* ---- writing output rows -------------------------------------------------------- */

static void tdbJoinPutChunkRow(TdbChunk *out, int row, const int *seg, int nseg,
                               const TdbChunk *c, int crow) {
  int s, k;
  for (s = 0; s < nseg; s++) {
    for (k = 0; k < seg[3 * s + 2]; k++) {
      TdbValue *v = &out->col[seg[3 * s + 1] + k][row];
      *v = c->col[seg[3 * s] + k][crow];
      v->owned = 0;
    }
  }
}

static int tdbJoinPutRow(TdbExec *ex, TdbChunk *out, int row, const int *seg, int nseg,
                         const TdbValue *src, int copy) {
  int s, k;
  for (s = 0; s < nseg; s++) {
    for (k = 0; k < seg[3 * s + 2]; k++) {
      TdbValue *v = &out->col[seg[3 * s + 1] + k][row];
      if (copy) {
        if (tdbValueCopy(ex->mem, v, &src[seg[3 * s] + k]) != TDB_OK) return tdbErrNoMem(ex->err);
      } else {
        *v = src[seg[3 * s] + k];
        v->owned = 0;
      }
    }
  }
  return TDB_OK;
}

static void tdbJoinPutNulls(TdbChunk *out, int row, const int *seg, int nseg) {
  int s, k;
  for (s = 0; s < nseg; s++) {
    for (k = 0; k < seg[3 * s + 2]; k++) tdbValueSetNull(&out->col[seg[3 * s + 1] + k][row]);
  }
}

/* Merged USING columns of the row just written. */
static void tdbJoinPutMerged(const TdbPlan *p, TdbChunk *out, int row) {
  int m;
  for (m = 0; m < p->nmerge; m++) {
    const TdbValue *l = &out->col[p->merge[3 * m + 1]][row];
    const TdbValue *rv = &out->col[p->merge[3 * m + 2]][row];
    TdbValue *o = &out->col[p->merge[3 * m]][row];
    *o = TDB_VALUE_IS_NULL(l) ? *rv : *l;
    o->owned = 0;
  }
}

/* ---- candidates ------------------------------------------------------------------ */

/* Copy every row of the opened build plan into r->build (owned copies). */
static int tdbJoinReadBuild(TdbExec *ex, TdbJoinRun *r) {
  int rc = TDB_OK, i;
  while (rc == TDB_OK) {
    TdbChunk *b;
    rc = tdbPlanNext(ex, r->bplan, &b);
    if (rc != TDB_OK || TDB_CHUNK_LIVE(b) == 0) break;
    for (i = 0; i < TDB_CHUNK_LIVE(b) && rc == TDB_OK; i++) {
      TdbValue *row = tdbRowSetAdd(&r->build, ex->mem);
      if (!row) {
        rc = tdbErrNoMem(ex->err);
        break;
      }
      rc = tdbJoinCopyBuildRow(ex, r, row, b, TDB_CHUNK_ROW(b, i));
    }
  }
  return rc;
}

/* INDEX: look the right side up for probe row pi (its scan reads the keys
** from the probe row) and keep its rows as the candidates. */
static int tdbIndexJoinCandidates(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int pi) {
  TdbChunk view;
  const TdbChunk *pc = tdbJoinView(r, r->probe, r->poff, &view);
  int rc;
  tdbRowSetFree(&r->build, ex->mem);
  tdbRowSetInit(&r->build, r->nbcols);
  tdbExecEvalCtx(ex, &r->pctx, r->outer, pc, r->psel[pi]);
  if (p->join_algo == TDB_JALGO_LATERAL) ex->lateral = &r->pctx; /* read at open */
  else p->param_scan->param_row = &r->pctx;
  rc = tdbPlanOpen(ex, r->bplan, r->outer);
  ex->lateral = NULL;
  if (rc == TDB_OK) rc = tdbJoinReadBuild(ex, r);
  tdbPlanClose(ex, r->bplan);
  if (p->param_scan) p->param_scan->param_row = NULL;
  r->cand_all = 1;
  r->ncand = r->build.nrows;
  return rc;
}

static int tdbJoinCandidates(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int pi) {
  r->cpos = 0;
  r->ncand = 0;
  r->cand_all = 0;
  switch (p->join_algo) {
    case TDB_JALGO_HASH: return tdbHashJoinCandidates(ex, p, r, pi);
    case TDB_JALGO_MERGE: return tdbMergeJoinCandidates(ex, p, r, pi);
    case TDB_JALGO_INDEX:
    case TDB_JALGO_LATERAL: return tdbIndexJoinCandidates(ex, p, r, pi);
    default:
      r->cand_all = 1;
      r->ncand = r->build.nrows;
      return TDB_OK;
  }
}

/* ---- open / next / free ---------------------------------------------------------- */

/* Materialize the build side of a nested loop. */
static int tdbJoinMaterialize(TdbExec *ex, TdbJoinRun *r) {
  int rc = tdbPlanOpen(ex, r->bplan, r->outer);
  if (rc == TDB_OK) rc = tdbJoinReadBuild(ex, r);
  tdbPlanClose(ex, r->bplan);
  return rc;
}

TDB_PRIVATE int tdbJoinOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  TdbJoinRun *r = tdbMemAllocZero(ex->mem, sizeof *r);
  int swap = p->join_algo == TDB_JALGO_HASH && p->build_left, i, rc = TDB_OK;
  if (!r) return tdbErrNoMem(ex->err);
  p->state = r;
  r->outer = outer;
  r->pplan = swap ? p->right : p->child;
  r->bplan = swap ? p->child : p->right;
  r->pkeys = swap ? p->rkeys : p->lkeys;
  r->bkeys = swap ? p->lkeys : p->rkeys;
  r->poff = swap ? p->roff : p->loff;
  r->boff = swap ? p->loff : p->roff;
  r->pseg = swap ? p->rseg : p->lseg;
  r->npseg = swap ? p->nrseg : p->nlseg;
  r->bseg = swap ? p->lseg : p->rseg;
  r->nbseg = swap ? p->nlseg : p->nrseg;
  if (swap) {
    r->keep_probe = p->join_type == TDB_JTYPE_FULL;
    r->keep_build = p->join_type == TDB_JTYPE_LEFT || p->join_type == TDB_JTYPE_FULL;
  } else {
    r->keep_probe = p->join_type == TDB_JTYPE_LEFT || p->join_type == TDB_JTYPE_FULL;
    r->keep_build = p->join_type == TDB_JTYPE_FULL;
  }
  r->copy_build = p->join_algo == TDB_JALGO_INDEX || p->join_algo == TDB_JALGO_MERGE ||
                  p->join_algo == TDB_JALGO_LATERAL;
  rc = tdbJoinNarrowBuild(ex, r);
  if (rc != TDB_OK) return rc;
  tdbRowSetInit(&r->build, r->nbcols);
  tdbRowSetInit(&r->bkv, p->nkeys);
  tdbHashSetInit(&r->table, ex->mem);
  tdbStrInit(&r->kbuf, ex->mem);
  tdbValueSetNull(&r->gkey);
  r->nshift = TDB_MAX(r->poff + r->pplan->ncols, r->boff + r->bplan->ncols) + 1;
  r->shift = tdbMemAllocZero(ex->mem, sizeof(TdbValue *) * (size_t)r->nshift);
  r->pkv = tdbMemAlloc(ex->mem, sizeof(TdbValue) * (size_t)(p->nkeys + 1) * TDB_CHUNK_ROWS);
  r->rkv = tdbMemAlloc(ex->mem, sizeof(TdbValue) * (size_t)(p->nkeys + 1) * TDB_CHUNK_ROWS);
  if (!r->shift || !r->pkv || !r->rkv) {
    tdbMemFree(ex->mem, r->pkv);
    tdbMemFree(ex->mem, r->rkv);
    r->pkv = r->rkv = NULL;
    return tdbErrNoMem(ex->err);
  }
  for (i = 0; i < (p->nkeys + 1) * TDB_CHUNK_ROWS; i++) {
    tdbValueSetNull(&r->pkv[i]);
    tdbValueSetNull(&r->rkv[i]);
  }
  r->phase = TDB_JP_NEXT_PROBE;
  switch (p->join_algo) {
    case TDB_JALGO_HASH: rc = tdbHashJoinBuild(ex, p, r); break;
    case TDB_JALGO_MERGE: rc = tdbPlanOpen(ex, r->bplan, outer); break;
    case TDB_JALGO_INDEX:
    case TDB_JALGO_LATERAL: break;
    default: rc = tdbJoinMaterialize(ex, r); break;
  }
  if (rc == TDB_OK && r->keep_build) {
    r->bmatched = tdbMemAllocZero(ex->mem, r->build.nrows + 1);
    if (!r->bmatched) rc = tdbErrNoMem(ex->err);
  }
  if (rc == TDB_OK) rc = tdbPlanOpen(ex, r->pplan, outer);
  return rc;
}

TDB_PRIVATE void tdbJoinFree(TdbMem *mem, TdbPlan *p) {
  TdbJoinRun *r = p->state;
  int i;
  if (!r) return;
  if (r->pkv) {
    for (i = 0; i < (p->nkeys + 1) * TDB_CHUNK_ROWS; i++) tdbValueClear(mem, &r->pkv[i]);
  }
  if (r->rkv) {
    for (i = 0; i < (p->nkeys + 1) * TDB_CHUNK_ROWS; i++) tdbValueClear(mem, &r->rkv[i]);
  }
  tdbMemFree(mem, r->pkv);
  tdbMemFree(mem, r->rkv);
  tdbMemFree(mem, r->cand);
  tdbRowSetFree(&r->build, mem);
  tdbRowSetFree(&r->bkv, mem);
  tdbMemFree(mem, r->bcols);
  tdbMemFree(mem, r->cbseg);
  tdbMemFree(mem, r->bmatched);
  tdbMemFree(mem, r->shift);
  tdbHashJoinFree(mem, r);
  tdbMergeJoinFree(mem, r);
  if (p->param_scan) p->param_scan->param_row = NULL;
  tdbMemFree(mem, r);
  p->state = NULL;
}

/* Fetch the next probe chunk: 0 rows when the probe side is done. */
static int tdbJoinFetchProbe(TdbExec *ex, TdbPlan *p, TdbJoinRun *r) {
  const uint16_t *sel;
  int rc = tdbPlanNext(ex, r->pplan, &r->probe);
  if (rc != TDB_OK) return rc;
  sel = tdbChunkSelection(r->probe, &r->plive);
  memcpy(r->psel, sel, sizeof(uint16_t) * (size_t)r->plive);
  if (r->plive == 0) return TDB_OK;
  memset(r->pmatched, 0, (size_t)r->plive);
  r->pi = 0;
  r->upos = 0;
  r->cand_ready = 0;
  return tdbJoinEvalKeys(ex, r, r->pkeys, p->nkeys, r->probe, r->poff, r->pkv);
}

/* SEMI / ANTI / NOT_IN: the probe chunk with the rows that stay selected. */
static int tdbJoinNextFiltered(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, TdbChunk **out) {
  for (;;) {
    int i, k = 0, rc;
    rc = tdbJoinFetchProbe(ex, p, r);
    if (rc != TDB_OK) return rc;
    if (r->plive == 0) {
      *out = r->probe;
      return TDB_OK;
    }
    for (i = 0; i < r->plive; i++) {
      int keep = 0;
      rc = tdbHashJoinKeep(ex, p, r, r->psel[i], &keep);
      if (rc != TDB_OK) return rc;
      if (keep) r->probe->sel_buf[k++] = r->psel[i];
    }
    r->probe->sel = r->probe->sel_buf;
    r->probe->nsel = k;
    if (k > 0) {
      *out = r->probe;
      return TDB_OK;
    }
  }
}

/* Evaluate the residual over the output rows and note the matches; the
** output keeps the rows where it holds. */
static int tdbJoinResidual(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, TdbChunk *out) {
  int i, j, k = out->n, rc = TDB_OK;
  for (j = 0; j < p->nexprs && k > 0; j++) {
    TdbVecCtx vc;
    TdbValue *res;
    int live, mark;
    const uint16_t *sel = tdbChunkSelection(out, &live);
    vc.ex = ex;
    vc.outer = r->outer;
    vc.chunk = out;
    mark = tdbVecMark(&vc);
    rc = tdbVecEval(&vc, p->exprs[j], sel, live, &res);
    k = 0;
    for (i = 0; i < live && rc == TDB_OK; i++) {
      const TdbValue *v = &res[sel[i]];
      if (v->type == TDB_TYPE_BOOLEAN) {
        if (v->u.i) out->sel_buf[k++] = sel[i]; /* k <= i: writes never pass reads */
      } else if (v->type != TDB_TYPE_NULL) {
        TdbEvalCtx ctx;
        int truth;
        tdbExecEvalCtx(ex, &ctx, r->outer, out, sel[i]);
        rc = tdbExprTruth(&ctx, v, &truth); /* fails: not a BOOLEAN */
      }
    }
    tdbVecRelease(&vc, mark, sel, live);
    if (rc != TDB_OK) return rc;
    out->sel = out->sel_buf;
    out->nsel = k;
  }
  for (i = 0; i < k; i++) {
    int row = out->sel ? out->sel[i] : i;
    r->pmatched[r->orig_p[row]] = 1;
    if (r->bmatched) r->bmatched[r->orig_b[row]] = 1;
  }
  return TDB_OK;
}

/* Empty the output chunk. Its values are borrowed from the probe chunk and
** the build rows (tdbJoinPutChunkRow, tdbJoinPutRow without copy, NULLs,
** merged columns) unless build rows are copied out: only then is there
** anything to free. */
static void tdbJoinForgetOut(TdbExec *ex, const TdbJoinRun *r, TdbChunk *out) {
  if (r->copy_build) tdbChunkReset(out, ex->mem);
  else tdbChunkForget(out);
}

TDB_PRIVATE int tdbJoinNext(TdbExec *ex, TdbPlan *p, TdbChunk **out_chunk) {
  TdbJoinRun *r = p->state;
  TdbChunk *out = &p->out;
  int rc;
  if (TDB_JOIN_PASSES_LEFT(p)) return tdbJoinNextFiltered(ex, p, r, out_chunk);
  tdbJoinForgetOut(ex, r, out);
  for (;;) {
    switch (r->phase) {
      case TDB_JP_NEXT_PROBE:
        rc = tdbJoinFetchProbe(ex, p, r);
        if (rc != TDB_OK) return rc;
        if (r->plive == 0) {
          r->phase = r->keep_build ? TDB_JP_FINAL : TDB_JP_DONE;
          r->bpos = 0;
        } else {
          r->phase = TDB_JP_GEN;
        }
        break;
      case TDB_JP_GEN:
        while (out->n < TDB_CHUNK_ROWS && r->pi < r->plive) {
          int prow = r->psel[r->pi];
          if (!r->cand_ready) {
            rc = tdbJoinCandidates(ex, p, r, r->pi);
            if (rc != TDB_OK) return rc;
            r->cand_ready = 1;
          }
          while (out->n < TDB_CHUNK_ROWS && r->cpos < r->ncand) {
            size_t b = r->cand_all ? r->cpos : r->cand[r->cpos];
            r->cpos++;
            tdbJoinPutChunkRow(out, out->n, r->pseg, r->npseg, r->probe, prow);
            rc = tdbJoinPutRow(ex, out, out->n, r->cbseg, r->nbseg, tdbRowSetRow(&r->build, b),
                               r->copy_build);
            if (rc != TDB_OK) {
              out->n++; /* its copies are freed with the chunk */
              return rc;
            }
            tdbJoinPutMerged(p, out, out->n);
            r->orig_p[out->n] = r->pi;
            r->orig_b[out->n] = b;
            out->n++;
          }
          if (r->cpos >= r->ncand) {
            r->pi++;
            r->cand_ready = 0;
          }
        }
        if (r->pi >= r->plive) r->phase = r->keep_probe ? TDB_JP_UNMATCHED : TDB_JP_NEXT_PROBE;
        if (out->n > 0) {
          rc = tdbJoinResidual(ex, p, r, out);
          if (rc != TDB_OK) return rc;
          if (TDB_CHUNK_LIVE(out) > 0) return TDB_OK;
          tdbJoinForgetOut(ex, r, out);
        }
        break;
      case TDB_JP_UNMATCHED:
        while (r->upos < r->plive && out->n < TDB_CHUNK_ROWS) {
          int pi = r->upos++;
          if (r->pmatched[pi]) continue;
          tdbJoinPutChunkRow(out, out->n, r->pseg, r->npseg, r->probe, r->psel[pi]);
          tdbJoinPutNulls(out, out->n, r->bseg, r->nbseg);
          tdbJoinPutMerged(p, out, out->n);
          out->n++;
        }
        if (r->upos >= r->plive) r->phase = TDB_JP_NEXT_PROBE;
        if (out->n > 0) return TDB_OK;
        break;
      case TDB_JP_FINAL:
        while (r->bpos < r->build.nrows && out->n < TDB_CHUNK_ROWS) {
          size_t b = r->bpos++;
          if (r->bmatched[b]) continue;
          tdbJoinPutNulls(out, out->n, r->pseg, r->npseg);
          tdbJoinPutRow(ex, out, out->n, r->cbseg, r->nbseg, tdbRowSetRow(&r->build, b), 0);
          tdbJoinPutMerged(p, out, out->n);
          out->n++;
        }
        if (r->bpos >= r->build.nrows) r->phase = TDB_JP_DONE;
        if (out->n > 0) return TDB_OK;
        break;
      default:
        return TDB_OK;
    }
  }
}

/* ---- EXPLAIN --------------------------------------------------------------------- */

TDB_PRIVATE void tdbJoinExplain(TdbStr *out, const TdbPlan *p) {
  static const char *const algo[] = {"NESTED LOOP", "HASH", "MERGE", "INDEX NESTED LOOP",
                                     "LATERAL NESTED LOOP"};
  static const char *const type[] = {"JOIN", "LEFT JOIN", "FULL JOIN", "SEMI JOIN", "ANTI JOIN",
                                     "ANTI JOIN (NOT IN)"};
  int i;
  tdbStrAppendf(out, "%s %s", algo[p->join_algo % 5], type[p->join_type % 6]);
  if (p->join_algo == TDB_JALGO_LATERAL) tdbStrAppendz(out, " (inner side per outer row)");
  if (p->join_algo == TDB_JALGO_HASH) {
    tdbStrAppendf(out, " (build %s)", p->build_left ? "left" : "right");
  }
  for (i = 0; i < p->nkeys; i++) {
    tdbStrAppendz(out, i ? " AND " : " ON ");
    tdbExprToSql(out, p->lkeys[i]);
    tdbStrAppendz(out, " = ");
    tdbExprToSql(out, p->rkeys[i]);
  }
  for (i = 0; i < p->nexprs; i++) {
    tdbStrAppendz(out, i ? " AND " : p->nkeys ? " FILTER " : " ON ");
    tdbExprToSql(out, p->exprs[i]);
  }
}
