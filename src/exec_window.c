/*
** exec_window.c — the WINDOW operator (window.h): window functions and
** aggregates over window frames.
**
** The operator reads all of its child's rows into one row set, each row
** widened with the values the calls need, evaluated once per row as vectors
** over the child's chunks:
**
**   row: [ kept child columns | per call: partition keys, order keys (the
**          first call of each window only), arguments, FILTER condition ]
**
** Of the child's columns a row keeps those read above the operator (the
** plan's `needed`, NULL: all) and those the calls read in place: a key,
** argument or condition that is a child column as it is gets no column of
** its own. The other child columns are emitted as NULL. The results live
** apart from the rows, one array per call.
**
** Calls with the same PARTITION BY and ORDER BY share one sort of the row
** numbers by partition keys then order keys: when every key's values share
** one fixed-width type, as normalized keys (normkey.h: a radix sort, and
** partitions and peers told apart by comparing words), else the stable
** merge sort of exec.c. Each partition of the sorted order is then walked
** once per call:
**
**   - ranking functions from the peer groups (rows equal on the order keys);
**   - lag / lead by position, first / last / nth_value from the frame;
**   - aggregates by keeping one accumulator over the current frame [fs, fe).
**     Both frame ends only move forward, so rows enter at fe and leave at
**     fs: a running frame (UNBOUNDED PRECEDING start) adds each row once,
**     a sliding frame removes rows when the aggregate is invertible (count,
**     sum, avg, total, bool_and/or, stddev/variance); a frame that ends at
**     UNBOUNDED FOLLOWING is walked backwards for min, max and
**     approx_count_distinct (it only grows that way); other frames are
**     recomputed when their start moves (min, max, group_concat,
**     approx_count_distinct). Rows whose frame equals the previous row's
**     (peers) reuse its result. Running count(*), count, sum, min and max
**     without FILTER over INTEGER arguments take one int64 pass instead
**     (tdbWinRunningInt; anything else, or a sum that overflows, goes the
**     general way, which reports 22003).
**
** RANGE frames with offsets find their ends by binary search over the
** sorted order key, so the whole operator is O(n log n) except the
** recomputed sliding frames (O(n * frame)). The rows are emitted in the
** order of the last window's sort; its calls keep their results by sorted
** position (written and read in sequence), the others by row number. The
** rows themselves are never moved: on a machine where first touching a
** page costs tens of microseconds, copying them into sorted order costs more
** than the random reads it saves.
*/
#include "window.h"
#include "agg.h"
#include "binder.h"
#include "normkey.h"

#include <math.h>

static const TdbWinFuncDef tdbWinFuncDefs[] = {
  {"cume_dist", 0, 0, TDB_WIN_CUME_DIST},
  {"dense_rank", 0, 0, TDB_WIN_DENSE_RANK},
  {"first_value", 1, 1, TDB_WIN_FIRST_VALUE},
  {"lag", 1, 3, TDB_WIN_LAG},
  {"last_value", 1, 1, TDB_WIN_LAST_VALUE},
  {"lead", 1, 3, TDB_WIN_LEAD},
  {"nth_value", 2, 2, TDB_WIN_NTH_VALUE},
  {"ntile", 1, 1, TDB_WIN_NTILE},
  {"percent_rank", 0, 0, TDB_WIN_PERCENT_RANK},
  {"rank", 0, 0, TDB_WIN_RANK},
  {"row_number", 0, 0, TDB_WIN_ROW_NUMBER},
};

TDB_PRIVATE const TdbWinFuncDef *tdbWinFuncFind(const char *name) {
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(tdbWinFuncDefs); i++) {
    if (strcmp(tdbWinFuncDefs[i].name, name) == 0) return &tdbWinFuncDefs[i];
  }
  return NULL;
}

/* One window call as the operator runs it. */
typedef struct TdbWinCall {
  const TdbExpr *e;
  int is_agg;           /* an aggregate (kind: TdbAggKind), else TdbWinKind */
  int kind;
  int leader;           /* index of the first call with the same window */
  int np, no, na;       /* partition keys, order keys, arguments */
  int *keycols;         /* leader: row columns of the np + no keys */
  int argcols[3];       /* row columns of the arguments */
  int filtercol;        /* row column of the FILTER condition, or -1 */
  int ordercol;         /* row column of the first order key (leader's), or -1 */
  int units;            /* TDB_FRAME_ROWS or TDB_FRAME_RANGE */
  int start_kind, end_kind;
  TdbValue start_off, end_off;  /* evaluated offsets (owned) */
  TdbSortKey *keys;     /* leader: np + no sort keys */
} TdbWinCall;

typedef struct TdbWindowState {
  const TdbEvalCtx *outer;
  int ncalls;
  TdbWinCall *calls;
  int nin;              /* child columns */
  int *map;             /* per child column: its row column, or -1 (not kept) */
  const uint8_t *emit;  /* per child column: read above (emitted), NULL: all */
  int base;             /* first evaluated column: the kept child columns before */
  TdbValue **res;       /* per call: its results (owned), by sorted position
                        ** for the calls of the last window sorted (the
                        ** order of emission), else by row number */
  int last;             /* the leader of the last window sorted */
  TdbRowSet rows;
  size_t *order;        /* sorted row numbers of the window being computed */
  size_t *peer_lo, *peer_hi;  /* per sorted position of the partition being
                              ** computed (from its start): its peer group
                              ** [lo, hi), as sorted positions */
  size_t peer_cap;            /* entries of peer_lo and peer_hi */
  size_t pos;           /* next row to emit */
  int built;
} TdbWindowState;

static void tdbWindowStateFree(TdbMem *mem, TdbWindowState *s) {
  int c;
  if (!s) return;
  for (c = 0; s->calls && c < s->ncalls; c++) {
    tdbValueClear(mem, &s->calls[c].start_off);
    tdbValueClear(mem, &s->calls[c].end_off);
    tdbMemFree(mem, s->calls[c].keys);
    tdbMemFree(mem, s->calls[c].keycols);
  }
  for (c = 0; s->res && c < s->ncalls; c++) {
    size_t i;
    for (i = 0; s->res[c] && i < s->rows.nrows; i++) tdbValueClear(mem, &s->res[c][i]);
    tdbMemFree(mem, s->res[c]);
  }
  tdbMemFree(mem, s->res);
  tdbMemFree(mem, s->calls);
  tdbMemFree(mem, s->map);
  tdbRowSetFree(&s->rows, mem);
  tdbMemFree(mem, s->order);
  tdbMemFree(mem, s->peer_lo);
  tdbMemFree(mem, s->peer_hi);
  tdbMemFree(mem, s);
}

TDB_PRIVATE void tdbWindowFreeState(TdbMem *mem, TdbPlan *p) {
  tdbWindowStateFree(mem, p->state);
  p->state = NULL;
}

/* Do two calls have the same PARTITION BY and ORDER BY? */
static int tdbWinSameWindow(const TdbWindowDef *a, const TdbWindowDef *b) {
  const TdbExprList *la[2], *lb[2];
  int k, i;
  la[0] = a->partition_by;
  la[1] = a->order_by;
  lb[0] = b->partition_by;
  lb[1] = b->order_by;
  for (k = 0; k < 2; k++) {
    int na = la[k] ? la[k]->n : 0, nb = lb[k] ? lb[k]->n : 0;
    if (na != nb) return 0;
    for (i = 0; i < na; i++) {
      const TdbExprItem *x = &la[k]->items[i], *y = &lb[k]->items[i];
      if (x->desc != y->desc || x->nulls != y->nulls || !tdbExprEqual(x->expr, y->expr)) return 0;
    }
  }
  return 1;
}

/* Evaluate a frame offset (a constant or parameter) into *out. */
static int tdbWinOffset(TdbExec *ex, const TdbEvalCtx *outer, const TdbExpr *e, int units,
                        const char *which, TdbValue *out) {
  TdbEvalCtx ctx;
  TdbValue v;
  int rc;
  tdbExecEvalCtx(ex, &ctx, outer, NULL, 0);
  tdbValueSetNull(&v);
  rc = tdbExprEval(&ctx, e, &v);
  if (rc != TDB_OK) goto done;
  if (TDB_VALUE_IS_NULL(&v)) {
    rc = tdbErrSet(ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_NULL_NOT_ALLOWED,
                   "frame %s offset must not be null", which);
    goto done;
  }
  if (units == TDB_FRAME_ROWS) {
    rc = tdbValueCast(ex->mem, ex->err, &v, TDB_TYPE_INTEGER, out);
  } else if (TDB_TYPE_IS_NUMERIC(v.type)) {
    rc = tdbValueCopy(ex->mem, out, &v) == TDB_OK ? TDB_OK : tdbErrNoMem(ex->err);
  } else {
    rc = tdbErrSet(ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                   "RANGE frame %s offset must be a number, not type %s", which,
                   tdbTypeName(v.type));
  }
  if (rc == TDB_OK &&
      (out->type == TDB_TYPE_INTEGER ? out->u.i < 0 : (out->u.r < 0 || out->u.r != out->u.r))) {
    rc = tdbErrSet(ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_FRAME_OFFSET,
                   "frame %s offset must not be negative", which);
  }
done:
  tdbValueClear(ex->mem, &v);
  return rc;
}

/* The child column e reads as it is, or -1. */
static int tdbWinDirect(const TdbWindowState *s, const TdbExpr *e) {
  if (((e->kind == TDB_EXPR_COLUMN && e->depth == 0) || e->kind == TDB_EXPR_AGGREF) &&
      e->column >= 0 && e->column < s->nin) {
    return e->column;
  }
  return -1;
}

/* The row column holding the value of e: the (kept) child's column when e
** reads one as it is, else a new evaluated column (*next, which advances). */
static int tdbWinColumn(const TdbWindowState *s, const TdbExpr *e, int *next) {
  int c = tdbWinDirect(s, e);
  return c >= 0 ? s->map[c] : (*next)++;
}

/* Lay out the rows: the child columns read above the operator (p->needed)
** and those the calls read in place, compacted; the evaluated columns
** follow (s->base). */
static int tdbWinLayout(TdbExec *ex, TdbPlan *p, TdbWindowState *s) {
  int c, k, col = 0;
  s->map = tdbMemAlloc(ex->mem, sizeof(int) * (size_t)(s->nin + 1));
  if (!s->map) return tdbErrNoMem(ex->err);
  for (c = 0; c < s->nin; c++) s->map[c] = !p->needed || p->needed[c] ? 0 : -1;
  for (c = 0; c < p->nwins; c++) {
    const TdbExpr *e = p->wins[c];
    const TdbExprList *l[3];
    int j, d;
    l[0] = e->over->partition_by;
    l[1] = e->over->order_by;
    l[2] = e->star ? NULL : e->list;
    for (j = 0; j < 3; j++) {
      for (k = 0; l[j] && k < l[j]->n; k++) {
        if ((d = tdbWinDirect(s, l[j]->items[k].expr)) >= 0) s->map[d] = 0;
      }
    }
    if (e->filter && (d = tdbWinDirect(s, e->filter)) >= 0) s->map[d] = 0;
  }
  for (c = 0; c < s->nin; c++) {
    if (s->map[c] == 0) s->map[c] = col++;
  }
  s->base = col;
  s->emit = p->needed;
  return TDB_OK;
}

TDB_PRIVATE int tdbWindowOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  TdbWindowState *s = tdbMemAllocZero(ex->mem, sizeof *s);
  int c, col, rc = TDB_OK;
  if (!s) return tdbErrNoMem(ex->err);
  p->state = s;
  s->outer = outer;
  s->nin = p->child->ncols;
  s->ncalls = p->nwins;
  tdbRowSetInit(&s->rows, 0);
  s->calls = tdbMemAllocZero(ex->mem, sizeof *s->calls * (size_t)(p->nwins ? p->nwins : 1));
  if (!s->calls) return tdbErrNoMem(ex->err);
  for (c = 0; c < p->nwins; c++) {
    tdbValueSetNull(&s->calls[c].start_off);
    tdbValueSetNull(&s->calls[c].end_off);
  }
  rc = tdbWinLayout(ex, p, s);
  if (rc != TDB_OK) return rc;
  col = s->base;
  for (c = 0; c < p->nwins && rc == TDB_OK; c++) {
    TdbWinCall *call = &s->calls[c];
    const TdbExpr *e = p->wins[c];
    const TdbWindowDef *w = e->over;
    int j, k;
    call->e = e;
    call->is_agg = e->aggdef != NULL;
    call->kind = call->is_agg ? (e->star ? TDB_AGG_COUNT_STAR : e->aggdef->kind) : e->windef->kind;
    call->np = w->partition_by ? w->partition_by->n : 0;
    call->no = w->order_by ? w->order_by->n : 0;
    call->na = e->star || !e->list ? 0 : e->list->n;
    call->leader = c;
    for (j = 0; j < c; j++) {
      if (tdbWinSameWindow(s->calls[j].e->over, w)) {
        call->leader = j;
        break;
      }
    }
    if (call->leader == c) {
      call->keys = tdbMemAlloc(ex->mem, sizeof(TdbSortKey) * (size_t)(call->np + call->no + 1));
      call->keycols = tdbMemAlloc(ex->mem, sizeof(int) * (size_t)(call->np + call->no + 1));
      if (!call->keys || !call->keycols) return tdbErrNoMem(ex->err);
      for (k = 0; k < call->np + call->no; k++) {
        const TdbExprItem *it = k < call->np ? &w->partition_by->items[k]
                                             : &w->order_by->items[k - call->np];
        call->keycols[k] = tdbWinColumn(s, it->expr, &col);
        call->keys[k].column = call->keycols[k];
        call->keys[k].desc = k < call->np ? 0 : it->desc;
        call->keys[k].nulls_first = k < call->np ? 1 : it->nulls ? it->nulls == 1 : !it->desc;
      }
      call->ordercol = call->no > 0 ? call->keycols[call->np] : -1;
    } else {
      call->ordercol = s->calls[call->leader].ordercol;
    }
    for (k = 0; k < call->na && k < 3; k++) {
      call->argcols[k] = tdbWinColumn(s, e->list->items[k].expr, &col);
    }
    call->filtercol = e->filter ? tdbWinColumn(s, e->filter, &col) : -1;
    /* the frame: the default is RANGE BETWEEN UNBOUNDED PRECEDING AND
    ** CURRENT ROW, which is the whole partition without ORDER BY */
    call->units = w->units ? w->units : TDB_FRAME_RANGE;
    call->start_kind = w->units ? w->start.kind : TDB_BOUND_UNBOUNDED_PRECEDING;
    call->end_kind = w->units ? w->end.kind : TDB_BOUND_CURRENT_ROW;
    if (w->start.offset) {
      rc = tdbWinOffset(ex, outer, w->start.offset, call->units, "starting", &call->start_off);
    }
    if (rc == TDB_OK && w->end.offset) {
      rc = tdbWinOffset(ex, outer, w->end.offset, call->units, "ending", &call->end_off);
    }
  }
  s->rows.ncols = col;
  if (rc != TDB_OK) return rc;
  return tdbPlanOpen(ex, p->child, outer);
}

/* ---- reading the input -------------------------------------------------------- */

/* Copy the values of e over the live rows of b into column `col` of rows
** first.. of the row set. */
static int tdbWinEvalColumn(TdbExec *ex, TdbWindowState *s, TdbChunk *b, const uint16_t *sel,
                            int live, const TdbExpr *e, int col, size_t first) {
  TdbVecCtx vc;
  TdbValue *res;
  int i, rc, mark;
  vc.ex = ex;
  vc.outer = s->outer;
  vc.chunk = b;
  mark = tdbVecMark(&vc);
  rc = tdbVecEval(&vc, e, sel, live, &res);
  for (i = 0; i < live && rc == TDB_OK; i++) {
    TdbValue *dst = &tdbRowSetRow(&s->rows, first + (size_t)i)[col];
    if (tdbValueCopy(ex->mem, dst, &res[sel[i]]) != TDB_OK) rc = tdbErrNoMem(ex->err);
  }
  tdbVecRelease(&vc, mark, sel, live);
  return rc;
}

/* The most rows reserved from an estimate (tdbWinMaterialize). */
#define TDB_WIN_RESERVE_MAX (16u * 1024 * 1024)

static int tdbWinMaterialize(TdbExec *ex, TdbPlan *p, TdbWindowState *s) {
  uint16_t ident[TDB_CHUNK_ROWS];
  int i, c, k, rc;
  for (i = 0; i < TDB_CHUNK_ROWS; i++) ident[i] = (uint16_t)i;
  /* room for the estimated rows up front: growing by doubling would copy
  ** them (and touch twice the memory); only a hint, so a failure is not one */
  if (p->child->est_rows >= 2 * TDB_CHUNK_ROWS) {
    double est = p->child->est_rows * 1.125 < (double)TDB_WIN_RESERVE_MAX
                     ? p->child->est_rows * 1.125 : (double)TDB_WIN_RESERVE_MAX;
    (void)tdbRowSetReserve(&s->rows, ex->mem, (size_t)est);
  }
  for (;;) {
    TdbChunk *b;
    const uint16_t *sel;
    size_t first = s->rows.nrows;
    int live;
    rc = tdbPlanNext(ex, p->child, &b);
    if (rc != TDB_OK) return rc;
    live = TDB_CHUNK_LIVE(b);
    if (live == 0) return TDB_OK;
    sel = b->sel ? b->sel : ident;
    for (i = 0; i < live; i++) {
      TdbValue *row = tdbRowSetAdd(&s->rows, ex->mem);
      if (!row) return tdbErrNoMem(ex->err);
      for (c = 0; c < s->nin; c++) {
        if (s->map[c] >= 0 &&
            tdbValueCopy(ex->mem, &row[s->map[c]], &b->col[c][sel[i]]) != TDB_OK) {
          return tdbErrNoMem(ex->err);
        }
      }
    }
    for (c = 0; c < s->ncalls; c++) {
      const TdbWinCall *call = &s->calls[c];
      const TdbWindowDef *w = call->e->over;
      for (k = 0; call->leader == c && k < call->np + call->no; k++) {
        const TdbExpr *e = k < call->np ? w->partition_by->items[k].expr
                                        : w->order_by->items[k - call->np].expr;
        if (call->keycols[k] < s->base) continue; /* the child's column */
        rc = tdbWinEvalColumn(ex, s, b, sel, live, e, call->keycols[k], first);
        if (rc != TDB_OK) return rc;
      }
      for (k = 0; k < call->na; k++) {
        if (call->argcols[k] < s->base) continue;
        rc = tdbWinEvalColumn(ex, s, b, sel, live, call->e->list->items[k].expr,
                              call->argcols[k], first);
        if (rc != TDB_OK) return rc;
      }
      if (call->filtercol >= s->base) {
        rc = tdbWinEvalColumn(ex, s, b, sel, live, call->e->filter, call->filtercol, first);
        if (rc != TDB_OK) return rc;
      }
    }
  }
}

/* ---- frames ------------------------------------------------------------------- */

/* One partition of the sorted order being computed. */
typedef struct TdbWinPart {
  TdbExec *ex;
  TdbWindowState *s;
  const TdbWinCall *call;
  size_t ps, pe;        /* sorted positions [ps, pe) */
  size_t nn_lo, nn_hi;  /* positions whose (single) order key is not NULL */
  int keycol;           /* row column of the (single) order key */
  int desc;             /* it sorts descending */
} TdbWinPart;

static TdbValue *tdbWinRow(const TdbWinPart *pt, size_t pos) {
  return tdbRowSetRow(&pt->s->rows, pt->s->order[pos]);
}

/* The result slot of call `callidx` for the row at sorted position pos. */
static TdbValue *tdbWinResult(const TdbWinPart *pt, size_t pos, int callidx) {
  const TdbWindowState *s = pt->s;
  return &s->res[callidx][s->calls[callidx].leader == s->last ? pos : s->order[pos]];
}

/* The peer group [lo, hi) of sorted position i of the partition. */
static size_t tdbWinPeerLo(const TdbWinPart *pt, size_t i) {
  return pt->s->peer_lo[i - pt->ps];
}
static size_t tdbWinPeerHi(const TdbWinPart *pt, size_t i) {
  return pt->s->peer_hi[i - pt->ps];
}

/* key +/- offset, toward PRECEDING (toward = -1) or FOLLOWING (+1) rows in
** the sort direction; an INTEGER result that overflows becomes an infinite
** REAL (every row is within the bound). */
static int tdbWinShift(const TdbWinPart *pt, const TdbValue *key, const TdbValue *off,
                       int toward, TdbValue *out) {
  int sign = pt->desc ? -toward : toward;
  if (!TDB_TYPE_IS_NUMERIC(key->type)) {
    return tdbErrSet(pt->ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                     "RANGE with offset PRECEDING/FOLLOWING needs a numeric ORDER BY "
                     "value, not type %s", tdbTypeName(key->type));
  }
  if (key->type == TDB_TYPE_INTEGER && off->type == TDB_TYPE_INTEGER) {
    int64_t r;
    int bad = sign > 0 ? tdbAddInt(key->u.i, off->u.i, &r) : tdbSubInt(key->u.i, off->u.i, &r);
    if (bad) tdbValueSetReal(out, sign > 0 ? HUGE_VAL : -HUGE_VAL);
    else tdbValueSetInt(out, r);
    return TDB_OK;
  }
  {
    double k = key->type == TDB_TYPE_INTEGER ? (double)key->u.i : key->u.r;
    double o = off->type == TDB_TYPE_INTEGER ? (double)off->u.i : off->u.r;
    tdbValueSetReal(out, sign > 0 ? k + o : k - o);
  }
  return TDB_OK;
}

/* The first position in [nn_lo, nn_hi) whose order key is past `bound` in
** the sort direction: at or past it, or (strict) beyond it. */
static int tdbWinSearch(const TdbWinPart *pt, const TdbValue *bound, int strict, size_t *out) {
  int col = pt->keycol, desc = pt->desc;
  size_t lo = pt->nn_lo, hi = pt->nn_hi;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp, past;
    if (tdbValueCompare(pt->ex->err, &tdbWinRow(pt, mid)[col], bound, &cmp) != TDB_OK) {
      return TDB_ERROR_DATA;
    }
    if (desc) cmp = -cmp;
    past = strict ? cmp > 0 : cmp >= 0;
    if (past) hi = mid;
    else lo = mid + 1;
  }
  *out = lo;
  return TDB_OK;
}

/* One end of the frame of the row at sorted position i. `is_end`: the
** exclusive end, else the start. */
static int tdbWinBound(const TdbWinPart *pt, size_t i, int kind, const TdbValue *off,
                       int is_end, size_t *out) {
  const TdbWinCall *call = pt->call;
  switch (kind) {
    case TDB_BOUND_UNBOUNDED_PRECEDING:
      *out = pt->ps;
      return TDB_OK;
    case TDB_BOUND_UNBOUNDED_FOLLOWING:
      *out = pt->pe;
      return TDB_OK;
    case TDB_BOUND_CURRENT_ROW:
      if (call->units == TDB_FRAME_ROWS) *out = is_end ? i + 1 : i;
      else *out = is_end ? tdbWinPeerHi(pt, i) : tdbWinPeerLo(pt, i);
      return TDB_OK;
    default:
      break;
  }
  if (call->units == TDB_FRAME_ROWS) {
    /* the row `offset` rows away, clamped to the partition */
    uint64_t n = (uint64_t)off->u.i, back = i - pt->ps, ahead = pt->pe - i;
    if (kind == TDB_BOUND_PRECEDING && n > back) *out = pt->ps;
    else if (kind == TDB_BOUND_FOLLOWING && n >= ahead) *out = pt->pe;
    else *out = (kind == TDB_BOUND_PRECEDING ? i - (size_t)n : i + (size_t)n) + (is_end ? 1 : 0);
    return TDB_OK;
  }
  {
    /* RANGE offset: rows whose key is within offset of the current key */
    const TdbValue *key = &tdbWinRow(pt, i)[pt->keycol];
    TdbValue bound;
    int rc;
    if (TDB_VALUE_IS_NULL(key)) { /* a NULL key's frame is its NULL peers */
      *out = is_end ? tdbWinPeerHi(pt, i) : tdbWinPeerLo(pt, i);
      return TDB_OK;
    }
    rc = tdbWinShift(pt, key, off, kind == TDB_BOUND_PRECEDING ? -1 : 1, &bound);
    if (rc == TDB_OK) rc = tdbWinSearch(pt, &bound, is_end, out);
    return rc;
  }
}

static int tdbWinFrame(const TdbWinPart *pt, size_t i, size_t *fs, size_t *fe) {
  const TdbWinCall *c = pt->call;
  int rc = tdbWinBound(pt, i, c->start_kind, &c->start_off, 0, fs);
  if (rc == TDB_OK) rc = tdbWinBound(pt, i, c->end_kind, &c->end_off, 1, fe);
  if (rc == TDB_OK && *fe < *fs) *fe = *fs; /* an empty frame */
  return rc;
}

/* ---- computing one call over one partition ---------------------------------------- */

/* Store v (copied) as the call's result in the row at position i. */
static int tdbWinSet(const TdbWinPart *pt, size_t i, int callidx, const TdbValue *v) {
  TdbValue *dst = tdbWinResult(pt, i, callidx);
  tdbValueClear(pt->ex->mem, dst);
  return tdbValueCopy(pt->ex->mem, dst, v) == TDB_OK ? TDB_OK : tdbErrNoMem(pt->ex->err);
}

/* Does the row at position j pass the call's FILTER? */
static int tdbWinPasses(const TdbWinPart *pt, size_t j, TdbEvalCtx *ctx, int *pass) {
  int truth = 1, rc = TDB_OK;
  if (pt->call->filtercol >= 0) {
    rc = tdbExprTruth(ctx, &tdbWinRow(pt, j)[pt->call->filtercol], &truth);
  }
  *pass = truth == 1;
  return rc;
}

static int tdbWinAggStep(const TdbWinPart *pt, TdbEvalCtx *ctx, TdbAggState *st, size_t j,
                         int remove) {
  const TdbWinCall *c = pt->call;
  int pass, rc = tdbWinPasses(pt, j, ctx, &pass), k;
  const TdbValue *row = tdbWinRow(pt, j);
  TdbValue argv[3];
  if (rc != TDB_OK || !pass) return rc;
  for (k = 0; k < c->na && k < 3; k++) argv[k] = row[c->argcols[k]]; /* borrowed */
  return remove ? tdbAggRemove(ctx, c->kind, st, c->na, argv)
                : tdbAggStep(ctx, c->kind, st, c->na, argv);
}

/* Frames that end at UNBOUNDED FOLLOWING for an aggregate that cannot
** remove values but does not care about order (min, max,
** approx_count_distinct): walk the partition backwards, where the frame only
** grows (its start moves back), so each row is added once. */
static int tdbWinAggregateBackwards(const TdbWinPart *pt, int callidx) {
  TdbExec *ex = pt->ex;
  TdbEvalCtx ctx;
  TdbAggState st;
  TdbValue result;
  size_t i, j, cur_fs = pt->pe, prev_fs = pt->pe + 1;
  int rc = TDB_OK;
  tdbExecEvalCtx(ex, &ctx, pt->s->outer, NULL, 0);
  tdbAggInit(&st, ex->mem);
  tdbValueSetNull(&result);
  for (i = pt->pe; i > pt->ps && rc == TDB_OK; i--) {
    size_t fs, fe;
    rc = tdbWinFrame(pt, i - 1, &fs, &fe);
    if (rc != TDB_OK) break;
    if (fs != prev_fs) {
      for (j = fs; j < cur_fs && rc == TDB_OK; j++) rc = tdbWinAggStep(pt, &ctx, &st, j, 0);
      if (fs < cur_fs) cur_fs = fs;
      tdbValueClear(ex->mem, &result);
      if (rc == TDB_OK) rc = tdbAggFinal(&ctx, pt->call->kind, &st, &result);
      prev_fs = fs;
    }
    if (rc == TDB_OK) rc = tdbWinSet(pt, i - 1, callidx, &result);
  }
  tdbValueClear(ex->mem, &result);
  tdbAggClear(ex->mem, &st);
  return rc;
}

/* The typed fast path of running aggregates: count(*), count, sum, min and
** max without FILTER over a frame from UNBOUNDED PRECEDING to CURRENT ROW
** (ROWS: the row, RANGE: its last peer) or UNBOUNDED FOLLOWING, whose
** argument is INTEGER (or NULL) in the whole partition. One int64
** accumulator walks the partition once and each result is an INTEGER
** written in place. *done is 0 when the call or its values do not fit (a
** non-INTEGER argument, a sum that overflows): the generic walk then
** computes the partition, with its errors, overwriting what was written. */
static void tdbWinRunningInt(const TdbWinPart *pt, int callidx, int *done) {
  const TdbWinCall *c = pt->call;
  int kind = c->kind, argcol = c->na > 0 ? c->argcols[0] : -1;
  int64_t count = 0, acc = 0;
  size_t i, j = pt->ps, fe;
  *done = 0;
  if (c->filtercol >= 0 || c->start_kind != TDB_BOUND_UNBOUNDED_PRECEDING ||
      (c->end_kind != TDB_BOUND_CURRENT_ROW && c->end_kind != TDB_BOUND_UNBOUNDED_FOLLOWING)) {
    return;
  }
  if (kind != TDB_AGG_COUNT_STAR && (c->na != 1 || (kind != TDB_AGG_COUNT && kind != TDB_AGG_SUM &&
                                                    kind != TDB_AGG_MIN && kind != TDB_AGG_MAX))) {
    return;
  }
  for (i = pt->ps; i < pt->pe; i++) {
    TdbValue *dst;
    fe = c->end_kind == TDB_BOUND_UNBOUNDED_FOLLOWING ? pt->pe
         : c->units == TDB_FRAME_ROWS                 ? i + 1
                                                      : tdbWinPeerHi(pt, i);
    for (; j < fe; j++) { /* rows enter the frame */
      const TdbValue *v;
      if (kind == TDB_AGG_COUNT_STAR) {
        count++;
        continue;
      }
      v = &tdbWinRow(pt, j)[argcol];
      if (v->type == TDB_TYPE_NULL) continue;
      if (v->type != TDB_TYPE_INTEGER) return;
      if (kind == TDB_AGG_SUM) {
        if (tdbAddInt(acc, v->u.i, &acc) != 0) return;
      } else if (kind == TDB_AGG_MIN) {
        if (count == 0 || v->u.i < acc) acc = v->u.i;
      } else if (kind == TDB_AGG_MAX) {
        if (count == 0 || v->u.i > acc) acc = v->u.i;
      }
      count++;
    }
    dst = tdbWinResult(pt, i, callidx);
    tdbValueClear(pt->ex->mem, dst);
    if (kind == TDB_AGG_COUNT_STAR || kind == TDB_AGG_COUNT) tdbValueSetInt(dst, count);
    else if (count > 0) tdbValueSetInt(dst, acc);
  }
  *done = 1;
}

static int tdbWinAggregate(const TdbWinPart *pt, int callidx) {
  TdbExec *ex = pt->ex;
  TdbEvalCtx ctx;
  TdbAggState st;
  TdbValue result;
  size_t i, j, cur_fs = pt->ps, cur_fe = pt->ps, prev_fs = 0, prev_fe = 0;
  int rc = TDB_OK, have_prev = 0, invertible = tdbAggInvertible(pt->call->kind);
  int kind = pt->call->kind, done;
  tdbWinRunningInt(pt, callidx, &done);
  if (done) return TDB_OK;
  if (!invertible && pt->call->end_kind == TDB_BOUND_UNBOUNDED_FOLLOWING &&
      pt->call->start_kind != TDB_BOUND_UNBOUNDED_PRECEDING &&
      (kind == TDB_AGG_MIN || kind == TDB_AGG_MAX || kind == TDB_AGG_APPROX_COUNT_DISTINCT)) {
    return tdbWinAggregateBackwards(pt, callidx);
  }
  tdbExecEvalCtx(ex, &ctx, pt->s->outer, NULL, 0);
  tdbAggInit(&st, ex->mem);
  tdbValueSetNull(&result);
  for (i = pt->ps; i < pt->pe && rc == TDB_OK; i++) {
    size_t fs, fe;
    rc = tdbWinFrame(pt, i, &fs, &fe);
    if (rc != TDB_OK) break;
    if (!have_prev || fs != prev_fs || fe != prev_fe) {
      if (invertible) {
        for (j = cur_fs; j < fs && j < cur_fe && rc == TDB_OK; j++) {
          rc = tdbWinAggStep(pt, &ctx, &st, j, 1);
        }
        if (fs > cur_fe) cur_fe = fs;
        cur_fs = fs;
      } else if (fs != cur_fs) { /* the start moved: recompute */
        tdbAggClear(ex->mem, &st);
        tdbAggInit(&st, ex->mem);
        cur_fs = cur_fe = fs;
      }
      for (j = cur_fe; j < fe && rc == TDB_OK; j++) rc = tdbWinAggStep(pt, &ctx, &st, j, 0);
      if (fe > cur_fe) cur_fe = fe;
      tdbValueClear(ex->mem, &result);
      if (rc == TDB_OK) rc = tdbAggFinal(&ctx, pt->call->kind, &st, &result);
      prev_fs = fs;
      prev_fe = fe;
      have_prev = 1;
    }
    if (rc == TDB_OK) rc = tdbWinSet(pt, i, callidx, &result);
  }
  tdbValueClear(ex->mem, &result);
  tdbAggClear(ex->mem, &st);
  return rc;
}

/* An INTEGER argument of a window function (ntile, lag/lead offset,
** nth_value): *isnull when NULL. */
static int tdbWinIntArg(const TdbWinPart *pt, const TdbValue *v, const char *fn, int64_t *out,
                        int *isnull) {
  TdbValue iv;
  int rc;
  *isnull = TDB_VALUE_IS_NULL(v);
  if (*isnull) return TDB_OK;
  tdbValueSetNull(&iv);
  rc = tdbValueCast(pt->ex->mem, pt->ex->err, v, TDB_TYPE_INTEGER, &iv);
  if (rc != TDB_OK) {
    return tdbErrSet(pt->ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                     "argument of %s must be an integer, not type %s", fn, tdbTypeName(v->type));
  }
  *out = iv.u.i;
  return TDB_OK;
}

static int tdbWinValueFunc(const TdbWinPart *pt, int callidx) {
  const TdbWinCall *c = pt->call;
  size_t n = pt->pe - pt->ps, i;
  int64_t dense = 0;
  int rc = TDB_OK;
  TdbValue null;
  tdbValueSetNull(&null);
  for (i = pt->ps; i < pt->pe && rc == TDB_OK; i++) {
    TdbValue v;
    const TdbValue *row = tdbWinRow(pt, i), *src = &null;
    size_t fs, fe;
    int64_t k = 0;
    int isnull = 0;
    tdbValueSetNull(&v);
    if (tdbWinPeerLo(pt, i) == i) dense++;
    switch (c->kind) {
      case TDB_WIN_ROW_NUMBER:
        tdbValueSetInt(&v, (int64_t)(i - pt->ps + 1));
        break;
      case TDB_WIN_RANK:
        tdbValueSetInt(&v, (int64_t)(tdbWinPeerLo(pt, i) - pt->ps + 1));
        break;
      case TDB_WIN_DENSE_RANK:
        tdbValueSetInt(&v, dense);
        break;
      case TDB_WIN_PERCENT_RANK:
        tdbValueSetReal(&v, n > 1 ? (double)(tdbWinPeerLo(pt, i) - pt->ps) / (double)(n - 1) : 0.0);
        break;
      case TDB_WIN_CUME_DIST:
        tdbValueSetReal(&v, (double)(tdbWinPeerHi(pt, i) - pt->ps) / (double)n);
        break;
      case TDB_WIN_NTILE: {
        rc = tdbWinIntArg(pt, &row[c->argcols[0]], "ntile", &k, &isnull);
        if (rc != TDB_OK || isnull) break;
        if (k <= 0) {
          rc = tdbErrSet(pt->ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_NTILE,
                         "argument of ntile must be greater than zero");
          break;
        }
        {
          /* n rows into k buckets: the first n % k buckets get one row more */
          uint64_t r = i - pt->ps, buckets = (uint64_t)k, size = n / buckets, extra = n % buckets;
          uint64_t b = size == 0 ? r
                       : r < extra * (size + 1) ? r / (size + 1)
                                                : extra + (r - extra * (size + 1)) / size;
          tdbValueSetInt(&v, (int64_t)b + 1);
        }
        break;
      }
      case TDB_WIN_LAG:
      case TDB_WIN_LEAD: {
        int64_t target;
        k = 1;
        if (c->na > 1) rc = tdbWinIntArg(pt, &row[c->argcols[1]], c->kind == TDB_WIN_LAG ? "lag" : "lead", &k, &isnull);
        if (rc != TDB_OK || isnull) break;
        if (c->kind == TDB_WIN_LAG && k != INT64_MIN) k = -k;
        else if (c->kind == TDB_WIN_LAG) k = INT64_MAX;
        if (tdbAddInt((int64_t)i, k, &target) == 0 && target >= (int64_t)pt->ps &&
            target < (int64_t)pt->pe) {
          src = &tdbWinRow(pt, (size_t)target)[c->argcols[0]];
        } else if (c->na > 2) {
          src = &row[c->argcols[2]];
        }
        break;
      }
      case TDB_WIN_FIRST_VALUE:
      case TDB_WIN_LAST_VALUE:
      case TDB_WIN_NTH_VALUE:
        if (c->kind == TDB_WIN_NTH_VALUE) {
          rc = tdbWinIntArg(pt, &row[c->argcols[1]], "nth_value", &k, &isnull);
          if (rc != TDB_OK || isnull) break;
          if (k <= 0) {
            rc = tdbErrSet(pt->ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_NTH_VALUE,
                           "argument of nth_value must be greater than zero");
            break;
          }
        }
        rc = tdbWinFrame(pt, i, &fs, &fe);
        if (rc != TDB_OK || fs == fe) break;
        if (c->kind == TDB_WIN_FIRST_VALUE) src = &tdbWinRow(pt, fs)[c->argcols[0]];
        else if (c->kind == TDB_WIN_LAST_VALUE) src = &tdbWinRow(pt, fe - 1)[c->argcols[0]];
        else if ((uint64_t)k <= fe - fs) src = &tdbWinRow(pt, fs + (size_t)k - 1)[c->argcols[0]];
        break;
      default:
        rc = tdbErrSet(pt->ex->err, TDB_INTERNAL, NULL, "unknown window function %d", c->kind);
        break;
    }
    if (rc == TDB_OK) rc = tdbWinSet(pt, i, callidx, TDB_VALUE_IS_NULL(&v) ? src : &v);
  }
  return rc;
}

/* Sort by the window of call `leader` and compute every call sharing it. */
/* Are sorted positions i and j equal on the partition keys (`order` 0) or
** on the order keys (1)? With normalized keys (nk) a comparison of words,
** else of the values. */
static int tdbWinKeysEqual(TdbExec *ex, const TdbWindowState *s, const TdbWinCall *lc,
                           const TdbNormKeys *nk, int order, size_t i, size_t j, int *failed) {
  if (nk) {
    /* the partition keys are the first np; rows equal on all keys whose
    ** partitions are equal are equal on the order keys */
    return tdbNormKeysEqual(nk, i, j, order ? lc->np + lc->no : lc->np);
  }
  return tdbSortKeysCompare(ex->err, tdbRowSetRow(&s->rows, s->order[i]),
                            tdbRowSetRow(&s->rows, s->order[j]), lc->keys + (order ? lc->np : 0),
                            order ? lc->no : lc->np, failed) == 0;
}

static int tdbWinComputeWindow(TdbExec *ex, TdbWindowState *s, int leader) {
  const TdbWinCall *lc = &s->calls[leader];
  size_t n = s->rows.nrows, i, ps;
  int failed = 0, rc, c;
  TdbNormKeys nkeys, *nk = NULL;
  /* fixed-width typed keys sort by radix and compare as words (normkey.h) */
  rc = tdbNormKeysBuild(ex->mem, &s->rows, lc->keys, lc->np + lc->no, &nkeys);
  if (rc == TDB_OK) {
    nk = &nkeys;
    if (tdbNormKeysSort(ex->mem, nk, s->order) != TDB_OK) rc = TDB_NOMEM;
  } else if (rc == TDB_NOTFOUND) {
    rc = tdbRowSetSort(ex, &s->rows, lc->keys, lc->np + lc->no, s->order);
  }
  if (rc == TDB_NOMEM) rc = tdbErrNoMem(ex->err);
  for (ps = 0; ps < n && rc == TDB_OK;) {
    TdbWinPart pt;
    size_t pe = ps + 1;
    while (pe < n && tdbWinKeysEqual(ex, s, lc, nk, 0, ps, pe, &failed) && !failed) pe++;
    if (failed) {
      rc = TDB_ERROR_DATA;
      break;
    }
    /* peer groups: rows equal on the order keys */
    if (pe - ps > s->peer_cap) {
      void *lo = s->peer_lo, *hi = s->peer_hi;
      size_t cap = s->peer_cap;
      int bad = tdbMemGrow(ex->mem, &lo, &cap, pe - ps, sizeof(size_t));
      s->peer_lo = lo;
      cap = s->peer_cap;
      bad = bad || tdbMemGrow(ex->mem, &hi, &cap, pe - ps, sizeof(size_t));
      s->peer_hi = hi;
      if (bad) {
        rc = tdbErrNoMem(ex->err);
        break;
      }
      s->peer_cap = cap;
    }
    for (i = ps; i < pe;) {
      size_t j = i + 1, k;
      while (j < pe && tdbWinKeysEqual(ex, s, lc, nk, 1, i, j, &failed) && !failed) j++;
      if (failed) {
        rc = TDB_ERROR_DATA;
        break;
      }
      for (k = i; k < j; k++) {
        s->peer_lo[k - ps] = i;
        s->peer_hi[k - ps] = j;
      }
      i = j;
    }
    if (rc != TDB_OK) break;
    pt.ex = ex;
    pt.s = s;
    pt.ps = ps;
    pt.pe = pe;
    pt.nn_lo = ps;
    pt.nn_hi = pe;
    pt.keycol = lc->ordercol;
    pt.desc = lc->no > 0 && lc->keys[lc->np].desc;
    if (lc->no == 1) { /* NULL order keys sit together at one end */
      int col = lc->ordercol;
      while (pt.nn_lo < pe && TDB_VALUE_IS_NULL(&tdbRowSetRow(&s->rows, s->order[pt.nn_lo])[col])) pt.nn_lo++;
      while (pt.nn_hi > pt.nn_lo && TDB_VALUE_IS_NULL(&tdbRowSetRow(&s->rows, s->order[pt.nn_hi - 1])[col])) pt.nn_hi--;
    }
    for (c = leader; c < s->ncalls && rc == TDB_OK; c++) {
      if (s->calls[c].leader != leader) continue;
      pt.call = &s->calls[c];
      rc = pt.call->is_agg ? tdbWinAggregate(&pt, c) : tdbWinValueFunc(&pt, c);
    }
    ps = pe;
  }
  if (nk) tdbNormKeysFree(ex->mem, nk);
  return rc;
}

static int tdbWinBuild(TdbExec *ex, TdbPlan *p, TdbWindowState *s) {
  size_t n;
  int c, rc = tdbWinMaterialize(ex, p, s);
  if (rc != TDB_OK) return rc;
  n = s->rows.nrows;
  s->order = tdbMemAlloc(ex->mem, sizeof(size_t) * (n + 1));
  s->res = tdbMemAllocZero(ex->mem, sizeof(TdbValue *) * (size_t)(s->ncalls + 1));
  if (!s->order || !s->res) return tdbErrNoMem(ex->err);
  for (c = 0; c < s->ncalls; c++) {
    size_t i;
    s->res[c] = tdbMemAlloc(ex->mem, sizeof(TdbValue) * (n + 1));
    if (!s->res[c]) return tdbErrNoMem(ex->err);
    for (i = 0; i < n; i++) tdbValueSetNull(&s->res[c][i]);
    if (s->calls[c].leader == c) s->last = c;
  }
  for (c = 0; c < s->ncalls && rc == TDB_OK; c++) {
    if (s->calls[c].leader == c) rc = tdbWinComputeWindow(ex, s, c);
  }
  s->built = 1;
  return rc;
}

TDB_PRIVATE int tdbWindowNext(TdbExec *ex, TdbPlan *p) {
  TdbWindowState *s = p->state;
  TdbChunk *out = &p->out;
  int rc;
  tdbChunkReset(out, ex->mem);
  if (!s->built) {
    rc = tdbWinBuild(ex, p, s);
    if (rc != TDB_OK) return rc;
  }
  /* the rows in sorted order, borrowed: [child columns | results]; a
  ** child column not read above is NULL */
  out->n = 0;
  out->sel = NULL;
  while (s->pos < s->rows.nrows && out->n < TDB_CHUNK_ROWS) {
    size_t row = s->order[s->pos];
    const TdbValue *rv = s->rows.ncols ? tdbRowSetRow(&s->rows, row) : NULL;
    int c;
    for (c = 0; c < s->nin; c++) {
      if ((!s->emit || s->emit[c]) && s->map[c] >= 0) {
        out->col[c][out->n] = rv[s->map[c]];
        out->col[c][out->n].owned = 0;
      } else {
        tdbValueSetNull(&out->col[c][out->n]);
      }
    }
    for (c = 0; c < s->ncalls; c++) {
      out->col[s->nin + c][out->n] = s->res[c][s->calls[c].leader == s->last ? s->pos : row];
      out->col[s->nin + c][out->n].owned = 0;
    }
    out->n++;
    s->pos++;
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbWindowExplain(TdbStr *out, const TdbPlan *p) {
  int c, j, windows = 0;
  for (c = 0; c < p->nwins; c++) {
    for (j = 0; j < c && !tdbWinSameWindow(p->wins[j]->over, p->wins[c]->over); j++) {
    }
    windows += j == c;
  }
  tdbStrAppendf(out, "WINDOW (%d function%s, %d sort%s:", p->nwins, p->nwins == 1 ? "" : "s",
                windows, windows == 1 ? "" : "s");
  for (c = 0; c < p->nwins; c++) {
    tdbStrAppendz(out, c ? ", " : " ");
    tdbExprToSql(out, p->wins[c]);
  }
  tdbStrAppendChar(out, ')');
}
