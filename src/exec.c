/*
** exec.c — the operators of the executor (exec.h): scans, filter, nested
** loop join, aggregation, projection, distinct, sort, limit, and subquery
** evaluation. Every operator hands out batches of up to TDB_CHUNK_ROWS rows.
*/
#include "exec.h"
#include "agg.h"
#include "arena.h"
#include "db.h"
#include "hashset.h"
#include "inthash.h"
#include "interval.h"
#include "keycodec.h"
#include "normkey.h"
#include "rowcodec.h"
#include "rows.h"
#include "window.h"

#include <math.h>
#include <time.h>

/* ---- batches -------------------------------------------------------------------- */

TDB_PRIVATE int tdbChunkInit(TdbChunk *b, TdbMem *mem, int ncols) {
  int c, r;
  memset(b, 0, sizeof *b);
  b->ncols = ncols;
  b->col = tdbMemAllocZero(mem, sizeof(TdbValue *) * (size_t)(ncols ? ncols : 1));
  b->sel_buf = tdbMemAlloc(mem, sizeof(uint16_t) * TDB_CHUNK_ROWS);
  for (c = 0; b->col && b->sel_buf && c < ncols; c++) {
    b->col[c] = tdbMemAlloc(mem, sizeof(TdbValue) * TDB_CHUNK_ROWS);
    if (!b->col[c]) break;
    for (r = 0; r < TDB_CHUNK_ROWS; r++) tdbValueSetNull(&b->col[c][r]);
  }
  if (!b->col || !b->sel_buf || c < ncols) {
    tdbChunkFree(b, mem); /* all or nothing: the next open tries again */
    return TDB_NOMEM;
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbChunkReset(TdbChunk *b, TdbMem *mem) {
  int c, r;
  if (!b->col) return;
  for (c = 0; c < b->ncols; c++) {
    if (!b->col[c]) continue;
    for (r = 0; r < b->n; r++) {
      /* rows past n are rewritten before they are read: only free */
      if (b->col[c][r].owned) tdbValueClear(mem, &b->col[c][r]);
    }
  }
  b->n = 0;
  b->sel = NULL;
  b->nsel = 0;
}

TDB_PRIVATE void tdbChunkForget(TdbChunk *b) {
  b->n = 0;
  b->sel = NULL;
  b->nsel = 0;
}

TDB_PRIVATE void tdbChunkFree(TdbChunk *b, TdbMem *mem) {
  int c;
  tdbChunkReset(b, mem);
  if (b->col) {
    for (c = 0; c < b->ncols; c++) tdbMemFree(mem, b->col[c]);
  }
  tdbMemFree(mem, b->col);
  tdbMemFree(mem, b->sel_buf);
  memset(b, 0, sizeof *b);
}

/* ---- materialized rows ------------------------------------------------------------ */

TDB_PRIVATE void tdbRowSetInit(TdbRowSet *rs, int ncols) {
  memset(rs, 0, sizeof *rs);
  rs->ncols = ncols;
}

TDB_PRIVATE void tdbRowSetFree(TdbRowSet *rs, TdbMem *mem) {
  size_t i;
  for (i = 0; i < rs->nrows * (size_t)rs->ncols; i++) tdbValueClear(mem, &rs->v[i]);
  tdbMemFree(mem, rs->v);
  tdbRowSetInit(rs, rs->ncols);
}

TDB_PRIVATE void tdbRowSetClear(TdbRowSet *rs, TdbMem *mem) {
  size_t i;
  for (i = 0; i < rs->nrows * (size_t)rs->ncols; i++) tdbValueClear(mem, &rs->v[i]);
  rs->nrows = 0;
}

/* A new row at the end (values NULL); NULL on out-of-memory. */
TDB_PRIVATE TdbValue *tdbRowSetAdd(TdbRowSet *rs, TdbMem *mem) {
  TdbValue *row;
  int c;
  if (rs->nrows == rs->cap) {
    size_t cap = rs->cap ? rs->cap * 2 : 64;
    TdbValue *v = tdbMemRealloc(mem, rs->v, sizeof(TdbValue) * cap * (size_t)(rs->ncols ? rs->ncols : 1));
    if (!v) return NULL;
    rs->v = v;
    rs->cap = cap;
  }
  row = &rs->v[rs->nrows * (size_t)rs->ncols];
  for (c = 0; c < rs->ncols; c++) tdbValueSetNull(&row[c]);
  rs->nrows++;
  return row;
}

TDB_PRIVATE int tdbRowSetReserve(TdbRowSet *rs, TdbMem *mem, size_t n) {
  TdbValue *v;
  size_t width = (size_t)(rs->ncols ? rs->ncols : 1);
  if (n <= rs->cap) return TDB_OK;
  if (n > SIZE_MAX / sizeof(TdbValue) / width) return TDB_NOMEM;
  v = tdbMemRealloc(mem, rs->v, sizeof(TdbValue) * n * width);
  if (!v) return TDB_NOMEM;
  rs->v = v;
  rs->cap = n;
  return TDB_OK;
}

TDB_PRIVATE TdbValue *tdbRowSetRow(const TdbRowSet *rs, size_t i) {
  return &rs->v[i * (size_t)rs->ncols];
}

/* Copy row r of batch b (first rs->ncols columns) into a new row. */
static int tdbRowSetAppendBatchRow(TdbRowSet *rs, TdbMem *mem, const TdbChunk *b, int r) {
  TdbValue *row = tdbRowSetAdd(rs, mem);
  int c;
  if (!row) return TDB_NOMEM;
  for (c = 0; c < rs->ncols; c++) {
    if (tdbValueCopy(mem, &row[c], &b->col[c][r]) != TDB_OK) return TDB_NOMEM;
  }
  return TDB_OK;
}

/* Fill batch `out` with borrowed copies of rows [*pos, ...) of rs. */
TDB_PRIVATE void tdbRowSetEmit(const TdbRowSet *rs, const size_t *order, size_t *pos,
                               TdbChunk *out, int ncols) {
  int c;
  out->n = 0;
  out->sel = NULL;
  while (*pos < rs->nrows && out->n < TDB_CHUNK_ROWS) {
    const TdbValue *row = tdbRowSetRow(rs, order ? order[*pos] : *pos);
    for (c = 0; c < ncols; c++) {
      out->col[c][out->n] = row[c];
      out->col[c][out->n].owned = 0;
    }
    out->n++;
    (*pos)++;
  }
}

/* ---- plans ----------------------------------------------------------------------- */

TDB_PRIVATE TdbPlan *tdbPlanNew(TdbMem *mem, TdbPlan **all, int kind, int ncols) {
  TdbPlan *p = tdbMemAllocZero(mem, sizeof *p);
  if (!p) return NULL;
  p->kind = (TdbPlanKind)kind;
  p->ncols = ncols;
  tdbValueSetNull(&p->cache_value);
  p->all_next = *all;
  *all = p;
  return p;
}

static void tdbPlanFreeState(TdbMem *mem, TdbPlan *p);

TDB_PRIVATE void tdbPlanFreeAll(TdbMem *mem, TdbPlan *all) {
  while (all) {
    TdbPlan *next = all->all_next;
    int i;
    tdbPlanFreeState(mem, all);
    tdbChunkFree(&all->out, mem);
    tdbValueClear(mem, &all->cache_value);
    for (i = 0; i < all->cache_n; i++) tdbValueClear(mem, &all->cache_set[i]);
    tdbMemFree(mem, all->cache_set);
    tdbMemFree(mem, all->exprs);
    tdbMemFree(mem, all->sort);
    tdbMemFree(mem, all->needed);
    tdbMemFree(mem, all->conds);
    tdbMemFree(mem, all->ctes);
    tdbMemFree(mem, all->lkeys);
    tdbMemFree(mem, all->rkeys);
    tdbMemFree(mem, all->lseg);
    tdbMemFree(mem, all->rseg);
    tdbMemFree(mem, all->merge);
    tdbMemFree(mem, all);
    all = next;
  }
}

TDB_PRIVATE int tdbScanWidth(const TdbTableDef *t) {
  return t->ncols + (t->npk == 0 ? 1 : 0) + TDB_PSEUDO_COUNT - 1;
}

TDB_PRIVATE int tdbScanPseudo(const TdbTableDef *t, int k) {
  int rowid = t->npk == 0;
  if (k == TDB_PSEUDO_ROWID) return rowid ? t->ncols : -1;
  if (k > 0 && k < TDB_PSEUDO_COUNT) return t->ncols + rowid + k - 1;
  return -1;
}

TDB_PRIVATE void tdbExecEvalCtx(TdbExec *ex, TdbEvalCtx *ctx, const TdbEvalCtx *outer,
                                const TdbChunk *b, int r) {
  memset(ctx, 0, sizeof *ctx);
  ctx->mem = ex->mem;
  ctx->err = ex->err;
  ctx->params = ex->params;
  ctx->nparams = ex->nparams;
  ctx->cols = b ? b->col : NULL;
  ctx->ncols = b ? b->ncols : 0;
  ctx->rowidx = r;
  ctx->outer = outer;
  ctx->exec = ex;
  ctx->now_micros = ex->now;
}

/* ---- scan -------------------------------------------------------------------------- */

/* A column the scan hands out: its index in the table (and the chunk), its
** position in the row encoding, its DEFAULT for rows written before it. */
typedef struct TdbScanEmitCol {
  int col;
  uint32_t pos;
  const TdbValue *dflt;
} TdbScanEmitCol;

/* A condition the scan checks before emitting a row (TdbPlan.conds): table
** column `col` op k, op one of TDB_OP_EQ .. TDB_OP_GE; with mod > 0, the
** column's value modulo mod (`col % mod op k`, SQL's INTEGER %: the sign of
** the dividend) is compared instead. */
typedef struct TdbScanCond {
  int col;
  int op;
  int64_t k;
  int64_t mod;          /* 0: none; else the divisor (> 0) */
  uint64_t mod_inv;     /* tdbModInverse(mod) */
  uint64_t lo, span;    /* op and k as a range (tdbScanCondRange): the
                        ** condition holds when (x - lo) <= span, as 64-bit
                        ** unsigned numbers, differs from neg */
  int neg;
} TdbScanCond;

/* The inverse of divisor d (1 <= d): floor((2^64 - 1) / d) + 1, modulo 2^64,
** for tdbModBy (Lemire, Kaser and Kurz's "faster remainder by direct
** computation"). */
static uint64_t tdbModInverse(int64_t d) {
  return UINT64_MAX / (uint64_t)d + 1;
}

/* x % d as C (and SQL's INTEGER %) computes it, for a divisor d >= 1 whose
** tdbModInverse is inv: when |x| and d fit in 32 bits, the remainder of |x|
** is the high word of (inv * |x| mod 2^64) * d, two multiplications instead
** of a division (exact for every such |x| and d); otherwise the division. */
static inline int64_t tdbModBy(int64_t x, int64_t d, uint64_t inv) {
  uint64_t u = x < 0 ? 0u - (uint64_t)x : (uint64_t)x, r;
  if ((u | (uint64_t)d) >> 32) return x % d;
  {
    uint64_t low = inv * u; /* the fraction u / d, in 64 bits */
    r = ((low >> 32) * (uint64_t)d + (((low & 0xFFFFFFFFu) * (uint64_t)d) >> 32)) >> 32;
  }
  return x < 0 ? -(int64_t)r : (int64_t)r;
}

typedef struct TdbScanState {
  TdbDbIter *it;
  TdbStr start;         /* first key to visit */
  TdbStr prefix;        /* every visited key starts with it */
  TdbStr limit;         /* the first key past the prefix (tdbScanLimit) */
  TdbValue hi;          /* RANGE: upper bound of the first key column */
  int has_hi;
  int empty;            /* nothing can match */
  int *slot;            /* per row position (next_pos of them): the chunk column
                        ** it is decoded into, -1 when the plan does not read it
                        ** (tdbRowDecodeSlots) */
  uint32_t nslot;
  uint32_t decode_upto; /* row positions below it hold a column the plan reads */
  TdbScanEmitCol *emit; /* the table columns the plan reads, in order */
  int nemit;
  TdbValue *defaults;   /* per column: the DEFAULT for absent columns,
                        ** computed at the first row that lacks a column */
  int ndefaults;
  int defaults_ready;   /* this execution has computed `defaults` */
  int index_scan;
  TdbStr rowkey, rowval;
  const TdbEvalCtx *outer;
  TdbArena bytes;       /* TEXT/BLOB bytes of the current chunk's values */
  int point;            /* prefix is a whole current row key: read it, no iterator */
  TdbStr in_keys;       /* IN: the encoded prefixes, sorted, one after another */
  size_t *in_off;       /* IN: start of prefix i in in_keys (nin + 1 entries) */
  int nin, cur_in;
  int fast;             /* tdbScanFastRow may take this scan's rows: a plain
                        ** current-state read of the table's own keys (no
                        ** index, no upper bound) that reads no pseudo-column */
  int undecided;        /* rows of the current chunk kept although a condition's
                        ** column held neither an INTEGER nor NULL: the FILTER
                        ** above decides them (tdbScanCondsHold) */
} TdbScanState;

/* Free a scan's state. It may outlive its table's definition (a plan is
** freed after the DDL that made it stale), so it reads nothing of it. */
static void tdbScanFree(TdbMem *mem, TdbScanState *s) {
  int i;
  if (!s) return;
  tdbDbIterFree(s->it);
  tdbArenaFree(&s->bytes);
  tdbStrClear(&s->in_keys);
  tdbMemFree(mem, s->in_off);
  tdbStrClear(&s->start);
  tdbStrClear(&s->prefix);
  tdbStrClear(&s->limit);
  tdbStrClear(&s->rowkey);
  tdbStrClear(&s->rowval);
  tdbValueClear(mem, &s->hi);
  tdbMemFree(mem, s->slot);
  if (s->defaults) {
    for (i = 0; i < s->ndefaults; i++) tdbValueClear(mem, &s->defaults[i]);
  }
  tdbMemFree(mem, s->defaults);
  tdbMemFree(mem, s->emit);
  tdbMemFree(mem, s);
}

/* Convert a lookup value to the key column's type when that is exact:
** 1 converted (or already the type), 0 no exact conversion. */
static int tdbKeyCoerce(const TdbValue *in, int type, TdbValue *out) {
  *out = *in;
  out->owned = 0;
  if (type == TDB_TYPE_NULL && in->type == TDB_TYPE_REAL) {
    /* untyped key columns store integral REALs as INTEGER (dml.c) */
    double r = in->u.r;
    if (r >= -9223372036854775808.0 && r < 9223372036854775808.0 && r == floor(r)) {
      tdbValueSetInt(out, (int64_t)r);
    }
    return 1;
  }
  if (in->type == type || type == TDB_TYPE_NULL) return 1;
  if (type == TDB_TYPE_INTEGER && in->type == TDB_TYPE_REAL) {
    double r = in->u.r;
    if (r >= -9223372036854775808.0 && r < 9223372036854775808.0 && r == floor(r)) {
      tdbValueSetInt(out, (int64_t)r);
      return 1;
    }
    return 0;
  }
  if (type == TDB_TYPE_REAL && in->type == TDB_TYPE_INTEGER) {
    double r = (double)in->u.i;
    tdbValueSetReal(out, r);
    return r >= -9223372036854775808.0 && r < 9223372036854775808.0 && (int64_t)r == in->u.i;
  }
  return 0;
}

/* Column type of key component i of the plan's access path. */
static int tdbKeyColumnType(const TdbPlan *p, int i) {
  const TdbTableDef *t = p->table;
  if (p->index) return t->cols[p->index->col[i]].type;
  if (t->npk == 0) return TDB_TYPE_INTEGER;
  return t->cols[t->pk[i]].type;
}

typedef struct TdbKeySpan {
  const char *z;
  size_t n;
} TdbKeySpan;

static int tdbKeySpanCompare(const TdbKeySpan *a, const TdbKeySpan *b) {
  size_t n = a->n < b->n ? a->n : b->n;
  int c = memcmp(a->z, b->z, n);
  return c ? c : (a->n < b->n ? -1 : a->n > b->n);
}

/* IN access: one prefix per distinct value, in key order. *full is set when
** a value cannot be encoded exactly (the caller scans the whole table). */
static int tdbScanInKeys(TdbExec *ex, TdbPlan *p, TdbScanState *s, TdbEvalCtx *ctx, int *full) {
  TdbStr enc;
  TdbKeySpan *spans = NULL;
  size_t *offs = NULL;
  int i, n = p->in_values->n, k = 0, rc = TDB_OK, type = tdbKeyColumnType(p, 0);
  tdbStrInit(&enc, ex->mem);
  offs = tdbMemAlloc(ex->mem, sizeof(size_t) * (size_t)(n + 1));
  if (!offs) return tdbErrNoMem(ex->err);
  for (i = 0; i < n && rc == TDB_OK && !*full; i++) {
    TdbValue v, kv;
    tdbValueSetNull(&v);
    rc = tdbExprEval(ctx, p->in_values->items[i].expr, &v);
    if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&v)) {
      if (!tdbKeyCoerce(&v, type, &kv) || !TDB_KEY_TYPE_OK(kv.type)) {
        *full = 1;
      } else {
        offs[k++] = enc.n;
        tdbStrAppend(&enc, s->prefix.z, s->prefix.n);
        if (tdbKeyEncodeValue(&enc, &kv) != TDB_OK) rc = tdbErrNoMem(ex->err);
      }
    }
    tdbValueClear(ex->mem, &v);
  }
  if (rc == TDB_OK && enc.oom) rc = tdbErrNoMem(ex->err);
  if (rc == TDB_OK && !*full) {
    /* sort and drop duplicates, so every row comes once */
    spans = tdbMemAlloc(ex->mem, sizeof *spans * (size_t)(k + 1));
    if (!spans) rc = tdbErrNoMem(ex->err);
    for (i = 0; rc == TDB_OK && i < k; i++) {
      spans[i].z = enc.z + offs[i];
      spans[i].n = (i + 1 < k ? offs[i + 1] : enc.n) - offs[i];
    }
    for (i = 1; rc == TDB_OK && i < k; i++) { /* insertion sort: IN lists are short */
      TdbKeySpan x = spans[i];
      int j = i - 1;
      while (j >= 0 && tdbKeySpanCompare(&spans[j], &x) > 0) {
        spans[j + 1] = spans[j];
        j--;
      }
      spans[j + 1] = x;
    }
    tdbStrInit(&s->in_keys, ex->mem);
    s->nin = 0;
    for (i = 0; rc == TDB_OK && i < k; i++) {
      if (i > 0 && tdbKeySpanCompare(&spans[i - 1], &spans[i]) == 0) continue;
      offs[s->nin++] = s->in_keys.n;
      tdbStrAppend(&s->in_keys, spans[i].z, spans[i].n);
    }
    offs[s->nin] = s->in_keys.n;
    if (s->in_keys.oom) rc = tdbErrNoMem(ex->err);
    s->in_off = offs;
    offs = NULL;
    if (s->nin == 0) s->empty = 1;
  }
  tdbMemFree(ex->mem, spans);
  tdbMemFree(ex->mem, offs);
  tdbStrClear(&enc);
  return rc;
}

/* Make IN prefix i the current prefix (and the start key). */
static void tdbScanUseIn(TdbScanState *s, int i) {
  s->cur_in = i;
  s->prefix.n = 0;
  tdbStrAppend(&s->prefix, s->in_keys.z + s->in_off[i], s->in_off[i + 1] - s->in_off[i]);
  s->start.n = 0;
  tdbStrAppend(&s->start, s->prefix.z, s->prefix.n);
}

/* Build start/prefix for the access path. Falls back to a full scan when a
** value cannot be encoded exactly (the filter above still decides). */
static int tdbScanBounds(TdbExec *ex, TdbPlan *p, TdbScanState *s) {
  TdbEvalCtx ctx;
  int i, rc = TDB_OK, full = 0;
  unsigned char tid[5];
  tid[0] = p->index ? TDB_KEYSPACE_INDEX : TDB_KEYSPACE_ROWS;
  tdbKeyPutU32BE(tid + 1, p->index ? p->index->id : p->table->id);
  tdbStrAppend(&s->prefix, (const char *)tid, 5);
  tdbExecEvalCtx(ex, &ctx, s->outer, NULL, 0);
  if (p->param_row) ctx = *p->param_row; /* INDEX join: keys from the outer row */
  if (p->access == TDB_ACCESS_PK_POINT || p->access == TDB_ACCESS_INDEX_POINT) {
    /* the key values go straight after the table prefix (its buffer is kept
    ** from one execution to the next); a value that cannot be encoded
    ** exactly makes a full scan, which cuts the prefix back below */
    for (i = 0; i < p->nkey && rc == TDB_OK && !full && !s->empty; i++) {
      TdbValue v, k;
      tdbValueSetNull(&v);
      rc = tdbExprEval(&ctx, p->key[i], &v);
      if (rc == TDB_OK) {
        if (TDB_VALUE_IS_NULL(&v)) s->empty = 1;
        else if (!tdbKeyCoerce(&v, tdbKeyColumnType(p, i), &k) || !TDB_KEY_TYPE_OK(k.type)) full = 1;
        else if (tdbKeyEncodeValue(&s->prefix, &k) != TDB_OK) rc = tdbErrNoMem(ex->err);
      }
      tdbValueClear(ex->mem, &v);
    }
  } else if (p->access == TDB_ACCESS_PK_IN || p->access == TDB_ACCESS_INDEX_IN) {
    rc = tdbScanInKeys(ex, p, s, &ctx, &full);
    if (rc == TDB_OK && !full && !s->empty) {
      tdbScanUseIn(s, 0);
      return s->prefix.oom || s->start.oom ? tdbErrNoMem(ex->err) : TDB_OK;
    }
    if (full) {
      tdbStrClear(&s->in_keys);
      tdbMemFree(ex->mem, s->in_off);
      s->in_off = NULL;
      s->nin = 0;
    }
  } else if (p->access == TDB_ACCESS_PK_RANGE || p->access == TDB_ACCESS_INDEX_RANGE) {
    TdbValue v, k;
    int type = tdbKeyColumnType(p, 0);
    tdbStrAppend(&s->start, s->prefix.z, s->prefix.n);
    if (p->lo) {
      tdbValueSetNull(&v);
      rc = tdbExprEval(&ctx, p->lo, &v);
      if (rc == TDB_OK) {
        if (TDB_VALUE_IS_NULL(&v)) s->empty = 1;
        else if (!tdbKeyCoerce(&v, type, &k) || !TDB_KEY_TYPE_OK(k.type)) full = 1;
        else if (tdbKeyEncodeValue(&s->start, &k) != TDB_OK) rc = tdbErrNoMem(ex->err);
      }
      tdbValueClear(ex->mem, &v);
    }
    if (rc == TDB_OK && p->hi && !full && !s->empty) {
      tdbValueSetNull(&v);
      rc = tdbExprEval(&ctx, p->hi, &v);
      if (rc == TDB_OK) {
        if (TDB_VALUE_IS_NULL(&v)) s->empty = 1;
        else if (!tdbKeyCoerce(&v, type, &k)) full = 1;
        else if (tdbValueCopy(ex->mem, &s->hi, &k) != TDB_OK) rc = tdbErrNoMem(ex->err);
        else s->has_hi = 1;
      }
      tdbValueClear(ex->mem, &v);
    }
    if (full) {
      s->has_hi = 0;
      tdbValueClear(ex->mem, &s->hi);
    }
  }
  if (full || (s->start.n == 0)) {
    tdbStrEmpty(&s->start);
    tdbStrAppend(&s->start, s->prefix.z, s->prefix.n);
  }
  if (full && p->index) { /* the index cannot help: scan the table */
    s->index_scan = 0;
    s->prefix.n = 0;
    tid[0] = TDB_KEYSPACE_ROWS;
    tdbKeyPutU32BE(tid + 1, p->table->id);
    tdbStrAppend(&s->prefix, (const char *)tid, 5);
    tdbStrEmpty(&s->start);
    tdbStrAppend(&s->start, s->prefix.z, s->prefix.n);
  } else if (full) {
    s->prefix.n = 5;
    s->prefix.z[5] = '\0';
  }
  if (rc == TDB_OK && (s->prefix.oom || s->start.oom)) rc = tdbErrNoMem(ex->err);
  return rc;
}

/* Forget one execution's scan, keeping the buffers for the next one (a
** prepared point lookup then allocates nothing). */
static void tdbScanReset(TdbMem *mem, TdbScanState *s) {
  int i;
  tdbDbIterFree(s->it);
  s->it = NULL;
  tdbArenaReset(&s->bytes); /* keeps one block for the next execution */
  tdbStrClear(&s->in_keys);
  tdbMemFree(mem, s->in_off);
  s->in_off = NULL;
  s->nin = s->cur_in = 0;
  s->start.n = s->prefix.n = 0;
  tdbValueClear(mem, &s->hi);
  s->has_hi = s->empty = s->point = s->fast = 0;
  for (i = 0; s->defaults_ready && i < s->ndefaults; i++) tdbValueClear(mem, &s->defaults[i]);
  s->defaults_ready = 0;
}

static int tdbScanOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  const TdbTableDef *t = p->table;
  TdbScanState *s = p->state;
  int rc;
  if (!s) {
    s = tdbMemAllocZero(ex->mem, sizeof *s);
    if (!s) return tdbErrNoMem(ex->err);
    tdbStrInit(&s->start, ex->mem);
    tdbStrInit(&s->prefix, ex->mem);
    tdbStrInit(&s->limit, ex->mem);
    tdbStrInit(&s->rowkey, ex->mem);
    tdbStrInit(&s->rowval, ex->mem);
    tdbStrInit(&s->in_keys, ex->mem);
    tdbValueSetNull(&s->hi);
    tdbArenaInit(&s->bytes, ex->mem, (size_t)64 << 10);
    s->nslot = t->next_pos ? t->next_pos : 1;
    s->slot = tdbMemAlloc(ex->mem, sizeof(int) * s->nslot);
    s->defaults = tdbMemAllocZero(ex->mem, sizeof(TdbValue) * (size_t)(t->ncols + 1));
    s->emit = tdbMemAlloc(ex->mem, sizeof(TdbScanEmitCol) * (size_t)(t->ncols + 1));
    if (!s->slot || !s->defaults || !s->emit) {
      tdbScanFree(ex->mem, s); /* all or nothing: the next open starts over */
      return tdbErrNoMem(ex->err);
    }
    s->ndefaults = t->ncols;
    p->state = s;
    /* what the plan reads, once: the plan and its table stay as they are */
    {
      int i;
      for (i = 0; i < (int)s->nslot; i++) s->slot[i] = -1;
      for (i = 0; i < t->ncols; i++) {
        if (p->needed && !p->needed[i]) continue;
        s->slot[t->cols[i].pos] = i;
        s->emit[s->nemit].col = i;
        s->emit[s->nemit].pos = t->cols[i].pos;
        s->emit[s->nemit++].dflt = &s->defaults[i];
        if (t->cols[i].pos + 1 > s->decode_upto) s->decode_upto = t->cols[i].pos + 1;
      }
    }
  } else {
    tdbScanReset(ex->mem, s);
  }
  s->outer = outer;
  s->index_scan = p->index != NULL;
  rc = tdbScanBounds(ex, p, s);
  if (rc != TDB_OK) return rc;
  if (s->empty) return TDB_OK;
  /* every key column given: each prefix is one row's key, read directly */
  s->point = !p->index && s->prefix.n > 5 &&
             ((p->access == TDB_ACCESS_PK_POINT && p->nkey == TDB_MAX(p->table->npk, 1)) ||
              (p->access == TDB_ACCESS_PK_IN && TDB_MAX(p->table->npk, 1) == 1 && s->nin > 0));
  if (s->point) return TDB_OK;
  {
    int pc[3], j, pseudo = 0;
    pc[0] = tdbScanPseudo(t, TDB_PSEUDO_ROWID);
    pc[1] = tdbScanPseudo(t, TDB_PSEUDO_VALID_FROM);
    pc[2] = tdbScanPseudo(t, TDB_PSEUDO_VALID_TO);
    for (j = 0; j < 3; j++) pseudo |= pc[j] >= 0 && (!p->needed || p->needed[pc[j]]);
    s->fast = p->history >= 0 && !p->tgt_deleted && !s->index_scan && !s->has_hi && !pseudo;
  }
  rc = tdbTxnIter(ex->db, ex->snapshot, &s->it);
  if (rc != TDB_OK) return rc;
  tdbDbIterSeek(s->it, s->start.z, s->start.n);
  return TDB_OK;
}

/* c's op and k as the range test of tdbScanCondsHold: x op k holds for the
** x of [lo, lo + span] (NE: outside [k, k]); an empty range (x < INT64_MIN,
** x > INT64_MAX) is the whole one negated. */
static void tdbScanCondRange(TdbScanCond *c) {
  uint64_t umin = (uint64_t)INT64_MIN, k = (uint64_t)c->k;
  c->neg = 0;
  switch (c->op) {
    case TDB_OP_EQ: c->lo = k; c->span = 0; break;
    case TDB_OP_NE: c->lo = k; c->span = 0; c->neg = 1; break;
    case TDB_OP_LT: /* [INT64_MIN, k - 1] */
    case TDB_OP_LE: /* [INT64_MIN, k] */
      c->lo = umin;
      c->span = k - umin;
      if (c->op == TDB_OP_LT) {
        if (c->k == INT64_MIN) c->span = UINT64_MAX, c->neg = 1;
        else c->span--;
      }
      break;
    case TDB_OP_GT: /* [k + 1, INT64_MAX] */
    default: /* TDB_OP_GE: [k, INT64_MAX] */
      c->lo = k;
      c->span = (uint64_t)INT64_MAX - k;
      if (c->op == TDB_OP_GT) {
        if (c->k == INT64_MAX) c->span = UINT64_MAX, c->neg = 1;
        else c->lo++, c->span--;
      }
      break;
  }
}

/* Does x op k hold, for c's op and k (its range, tdbScanCondRange)? */
static TDB_ALWAYS_INLINE int tdbScanCondCompare(const TdbScanCond *c, int64_t x) {
  return ((uint64_t)x - c->lo <= c->span) != c->neg;
}

/* Do the scan's conditions (p->conds) hold for row r of its chunk? 0 when
** one is false or unknown (its column NULL): the FILTER above would reject
** the row, and a comparison of an INTEGER or a NULL with an INTEGER never
** fails, so rejecting it here changes nothing but the work. A column of
** another type (a REAL, a TEXT) leaves its condition to the FILTER: the row
** is kept and counted in s->undecided. */
static TDB_ALWAYS_INLINE int tdbScanCondsHold(const TdbPlan *p, TdbScanState *s, int r) {
  int i, undecided = 0;
  for (i = 0; i < p->nconds; i++) {
    const TdbScanCond *c = &p->conds[i];
    const TdbValue *v = &p->out.col[c->col][r];
    int64_t x;
    if (v->type != TDB_TYPE_INTEGER) {
      if (v->type == TDB_TYPE_NULL) return 0;
      undecided = 1;
      continue;
    }
    x = v->u.i;
    if (c->mod) x = tdbModBy(x, c->mod, c->mod_inv);
    if (!tdbScanCondCompare(c, x)) return 0;
  }
  s->undecided += undecided;
  return 1;
}

/* The current-state rule of a plain read (docs/sql-storage.md): a current
** row's piece [vf, valid_to) is read at valid time cvt when it is no
** tombstone and vf <= cvt < valid_to. tdbScanEmit and tdbScanFastRow both
** decide by it. */
static inline int tdbScanPieceVisible(int64_t vf, int64_t valid_to, int flags, int64_t cvt) {
  return vf <= cvt && cvt < valid_to && !(flags & TDB_ROW_FLAG_TOMBSTONE);
}

/* Decode a row version (key k of the rows keyspace, value v) into row r of
** out when it is visible at the statement's valid time and passes the
** FILTER's conditions (p->conds). 1 when emitted. */
static int tdbScanEmit(TdbExec *ex, TdbPlan *p, TdbScanState *s, const unsigned char *k,
                       size_t kn, const unsigned char *v, size_t vn, int *emitted) {
  const TdbTableDef *t = p->table;
  TdbChunk *out = &p->out;
  TdbRow row;
  int64_t vf;
  const unsigned char *rv;
  size_t rn;
  int j, r = out->n, rc, nbytes = 0;
  *emitted = 0;
  if (kn < 5 + 1 || tdbCurrentValue(v, vn, &vf, &rv, &rn) != TDB_OK) {
    return tdbErrSet(ex->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT, "a row of table %s is damaged",
                     t->name);
  }
  if (p->history < 0) {
    if (vf >= p->tgt_to) return TDB_OK; /* a write's target: after its portion */
  } else if (vf > ex->cvt) {
    return TDB_OK; /* valid only later */
  }
  /* Only the columns the plan reads, straight into row r of the chunk (kept
  ** only when the row is emitted): the others stay NULL from tdbChunkInit,
  ** as nothing ever writes them. */
  rc = tdbRowDecodeSlots(rv, rn, s->decode_upto, s->slot, out->col, r, &row, &nbytes);
  if (rc != TDB_OK) {
    return tdbErrSet(ex->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT,
                     "row of table %s does not decode", t->name);
  }
  if (p->history >= 0 && !p->tgt_deleted) {
    if (!tdbScanPieceVisible(vf, row.valid_to, row.flags, ex->cvt)) return TDB_OK;
  } else {
    if (row.flags & TDB_ROW_FLAG_TOMBSTONE) {
      if (!p->tgt_deleted) return TDB_OK; /* only a write's targets may want them */
    } else if (p->tgt_deleted == 2) {
      return TDB_OK;
    }
    if (row.valid_to <= ex->cvt) return TDB_OK;
  }
  /* columns the row lacks (added later) read as their DEFAULT, computed
  ** once per execution (a DEFAULT may read the statement's time) */
  if (row.nstored < s->decode_upto && !s->defaults_ready) {
    rc = tdbTableDefaults(ex->mem, ex->err, ex->now, t, s->defaults);
    if (rc != TDB_OK) return rc;
    s->defaults_ready = 1;
  }
  for (j = 0; row.nstored < s->decode_upto && j < s->nemit; j++) {
    const TdbScanEmitCol *ec = &s->emit[j];
    if (TDB_ROW_ABSENT(&row, ec->pos)) {
      TdbValue *dst = &out->col[ec->col][r];
      *dst = *ec->dflt;
      dst->owned = 0;
    }
  }
  /* the FILTER's conditions, before anything is copied for the row */
  if (p->nconds > 0 && !tdbScanCondsHold(p, s, r)) return TDB_OK;
  /* TEXT and BLOB bytes point into the row, which goes away with the
  ** iterator: they are copied into the chunk's arena */
  for (j = 0; nbytes > 0 && j < s->nemit; j++) {
    const TdbScanEmitCol *ec = &s->emit[j];
    TdbValue *dst = &out->col[ec->col][r];
    if (!TDB_ROW_ABSENT(&row, ec->pos) && TDB_TYPE_HAS_BYTES(dst->type)) {
      char *z = tdbArenaAlloc(&s->bytes, (size_t)dst->n + 1);
      if (!z) return tdbErrNoMem(ex->err);
      memcpy(z, dst->u.z, dst->n);
      z[dst->n] = '\0';
      dst->u.z = z;
    }
  }
  if (t->npk == 0) {
    int c = tdbScanPseudo(t, TDB_PSEUDO_ROWID);
    TdbValue id;
    size_t used;
    if (!p->needed || p->needed[c]) {
      rc = tdbKeyDecodeValue(k + 5, k + kn, ex->mem, &id, &used);
      if (rc != TDB_OK) {
        return tdbErrSet(ex->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT, "bad rowid key");
      }
      out->col[c][r] = id;
    }
  }
  {
    int c = tdbScanPseudo(t, TDB_PSEUDO_VALID_FROM);
    if (!p->needed || p->needed[c]) {
      if (vf == INT64_MIN) tdbValueSetNull(&out->col[c][r]);
      else tdbValueSetInt(&out->col[c][r], vf);
    }
    c = tdbScanPseudo(t, TDB_PSEUDO_VALID_TO);
    if (!p->needed || p->needed[c]) {
      if (row.valid_to == INT64_MAX) tdbValueSetNull(&out->col[c][r]);
      else tdbValueSetInt(&out->col[c][r], row.valid_to);
    }
    if (p->history < 0) { /* a write's targets: dml.c reads the flag */
      c = tdbScanPseudo(t, TDB_PSEUDO_IS_DELETED);
      tdbValueSetBool(&out->col[c][r], (row.flags & TDB_ROW_FLAG_TOMBSTONE) != 0);
    }
  }
  out->n++;
  *emitted = 1;
  return TDB_OK;
}

/* RANGE: has the first key component passed the upper bound? */
static int tdbScanPastHi(TdbExec *ex, TdbScanState *s, const unsigned char *k, size_t kn,
                         int *past) {
  TdbValue v;
  size_t used;
  int cmp = 0, rc;
  *past = 0;
  if (!s->has_hi) return TDB_OK;
  rc = tdbKeyDecodeValue(k + 5, k + kn, ex->mem, &v, &used);
  if (rc != TDB_OK) return tdbErrSet(ex->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT, "bad key");
  if (!TDB_VALUE_IS_NULL(&v)) rc = tdbValueCompare(ex->err, &v, &s->hi, &cmp);
  tdbValueClear(ex->mem, &v);
  *past = cmp > 0;
  return rc;
}

/* Index entry key -> the row key (rows keyspace | table | pk | valid_from). */
static int tdbIndexRowKey(TdbExec *ex, const TdbPlan *p, const unsigned char *k, size_t kn,
                          TdbStr *rowkey) {
  const unsigned char *q = k + 5, *end = k + kn;
  unsigned char tid[5];
  int i;
  for (i = 0; i < p->index->ncols; i++) {
    size_t len;
    if (tdbKeySkipValue(q, end, &len) != TDB_OK) {
      return tdbErrSet(ex->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT, "index %s: bad entry",
                       p->index->name);
    }
    q += len;
  }
  rowkey->n = 0;
  tid[0] = TDB_KEYSPACE_ROWS;
  tdbKeyPutU32BE(tid + 1, p->table->id);
  tdbStrAppend(rowkey, (const char *)tid, 5);
  tdbStrAppend(rowkey, (const char *)q, (size_t)(end - q));
  return rowkey->oom ? tdbErrNoMem(ex->err) : TDB_OK;
}

/* Point mode: read the current prefix's row, then the next IN value's. */
static int tdbScanPoints(TdbExec *ex, TdbPlan *p, TdbScanState *s) {
  int rc;
  while (!s->empty && p->out.n < TDB_CHUNK_ROWS) {
    int found = 0, emitted;
    rc = tdbTxnGet(ex->db, ex->snapshot, s->prefix.z, s->prefix.n, &s->rowval, &found);
    if (rc != TDB_OK) return rc;
    if (found) {
      rc = tdbScanEmit(ex, p, s, (const unsigned char *)s->prefix.z, s->prefix.n,
                       (const unsigned char *)s->rowval.z, s->rowval.n, &emitted);
      if (rc != TDB_OK) return rc;
    }
    if (s->nin > 0 && s->cur_in + 1 < s->nin) {
      tdbScanUseIn(s, s->cur_in + 1);
      if (s->prefix.oom) return tdbErrNoMem(ex->err);
    } else {
      s->empty = 1;
    }
  }
  return TDB_OK;
}

/* The scan's visitor of the store's visible entries (tdbDbIterVisit, which
** keeps the keys inside the prefix): each key becomes a row of the chunk.
** It stops the visit when the chunk is full, when the key passes the upper
** bound, and on an error. */
typedef struct TdbScanVisit {
  TdbExec *ex;
  TdbPlan *p;
  TdbScanState *s;
  int rc;
  const unsigned char *k, *v; /* the entry tdbScanFastRow left to the general path */
  size_t kn, vn;
} TdbScanVisit;

/* The scan's common row inline (s->fast): a row version whose header is
** well formed with a one-byte column count, that stores every column the
** plan reads (no DEFAULT to substitute), and whose columns up to the last
** one read are INTEGERs or NULLs. Such a row is decided here by the same
** rule (tdbScanPieceVisible) and conditions (tdbScanCondsHold) as in
** tdbScanEmit: 1 with the row emitted or dropped, 0 when the row is not of
** that kind (tdbScanEmit then decides it; values written into the chunk's
** row are overwritten there). */
static TDB_ALWAYS_INLINE int tdbScanFastRow(TdbExec *ex, TdbPlan *p, TdbScanState *s,
                                            const unsigned char *v, size_t vn) {
  const unsigned char *rv = v + 8, *q, *end = v + vn;
  TdbChunk *out = &p->out;
  uint32_t i, upto = s->decode_upto, count;
  int r = out->n;
  if (vn < 8 + TDB_ROW_HEADER_MIN) return 0;
  count = rv[10];
  if (count >= 0x80 || count < upto || count > vn - 8 - TDB_ROW_HEADER_MIN ||
      (rv[0] & ~TDB_ROW_FLAG_MASK) != 0 || rv[1] < TDB_ROW_OP_INSERT ||
      rv[1] > TDB_ROW_OP_UNDELETE) {
    return 0;
  }
  if (!tdbScanPieceVisible(tdbKeyGetI64BE(v), tdbKeyGetI64BE(rv + 2), rv[0], ex->cvt)) return 1;
  q = rv + TDB_ROW_HEADER_MIN;
  for (i = 0; i < upto; i++) {
    int sl = s->slot[i];
    size_t used;
    if (end - q >= 4 && q[0] == TDB_TYPE_INTEGER) {
      used = tdbRowIntegerAt(q, end, sl >= 0 ? &out->col[sl][r] : NULL);
      if (used == 0) return 0;
    } else if (q < end && q[0] == TDB_TYPE_NULL) {
      used = 1;
      if (sl >= 0) tdbValueSetNull(&out->col[sl][r]);
    } else {
      return 0;
    }
    q += used;
  }
  if (upto >= count && q != end) return 0; /* tdbScanEmit reports it */
  if (p->nconds > 0 && !tdbScanCondsHold(p, s, r)) return 1;
  out->n++;
  return 1;
}

/* tdbScanVisitRow for every row tdbScanFastRow does not take. */
static TDB_NOINLINE int tdbScanVisitGeneral(TdbScanVisit *sv, const unsigned char *k, size_t kn,
                                            const unsigned char *v, size_t vn) {
  TdbExec *ex = sv->ex;
  TdbPlan *p = sv->p;
  TdbScanState *s = sv->s;
  int past = 0, emitted, rc = TDB_OK;
  if (s->has_hi) rc = tdbScanPastHi(ex, s, k, kn, &past);
  if (rc == TDB_OK && past) {
    s->empty = 1;
    return 1;
  }
  if (rc == TDB_OK && s->index_scan) {
    int found = 0;
    rc = tdbIndexRowKey(ex, p, k, kn, &s->rowkey);
    if (rc == TDB_OK) {
      rc = tdbTxnGet(ex->db, ex->snapshot, s->rowkey.z, s->rowkey.n, &s->rowval, &found);
    }
    if (rc == TDB_OK && found) {
      rc = tdbScanEmit(ex, p, s, (const unsigned char *)s->rowkey.z, s->rowkey.n,
                       (const unsigned char *)s->rowval.z, s->rowval.n, &emitted);
    }
  } else if (rc == TDB_OK) {
    rc = tdbScanEmit(ex, p, s, k, kn, v, vn, &emitted);
  }
  if (rc != TDB_OK) {
    sv->rc = rc;
    return 1;
  }
  return p->out.n >= TDB_CHUNK_ROWS;
}

static int tdbScanVisitRow(void *ctx, const unsigned char *k, size_t kn, const unsigned char *v,
                           size_t vn) {
  TdbScanVisit *sv = ctx;
  TdbPlan *p = sv->p;
  sv->k = k; /* kept in memory, not in registers the fast path needs */
  sv->kn = kn;
  sv->v = v;
  sv->vn = vn;
  if (TDB_LIKELY(sv->s->fast) && tdbScanFastRow(sv->ex, p, sv->s, v, vn)) {
    return p->out.n >= TDB_CHUNK_ROWS;
  }
  return tdbScanVisitGeneral(sv, sv->k, sv->kn, sv->v, sv->vn);
}

/* limit = the smallest key above every key that starts with the prefix
** (the prefix with its last non-0xFF byte raised and what follows cut);
** 0 when there is none (a prefix of 0xFF bytes only). */
static int tdbScanLimit(TdbScanState *s) {
  size_t n = s->prefix.n;
  s->limit.n = 0;
  while (n > 0 && (unsigned char)s->prefix.z[n - 1] == 0xFF) n--;
  if (n == 0) return 0;
  tdbStrAppend(&s->limit, s->prefix.z, n);
  if (s->limit.oom) return 0;
  s->limit.z[n - 1] = (char)((unsigned char)s->limit.z[n - 1] + 1);
  return 1;
}

static int tdbScanNext(TdbExec *ex, TdbPlan *p) {
  TdbScanState *s = p->state;
  TdbScanVisit sv;
  int rc;
  /* a scan's chunk never owns a value (bytes live in s->bytes, the rest are
  ** scalars): forgetting the rows is enough, whatever the table's width */
  tdbChunkForget(&p->out);
  tdbArenaReset(&s->bytes); /* the previous chunk's bytes */
  s->undecided = 0;
  if (s->point) return tdbScanPoints(ex, p, s);
  if (s->empty || !s->it) return TDB_OK;
  sv.ex = ex;
  sv.p = p;
  sv.s = s;
  sv.rc = TDB_OK;
  while (p->out.n < TDB_CHUNK_ROWS && !s->empty && tdbDbIterStatus(s->it) == TDB_OK) {
    int has_limit;
    if (!tdbDbIterValid(s->it)) { /* the prefix's range ended */
      if (s->nin > 0 && s->cur_in + 1 < s->nin) { /* IN: the next value */
        tdbScanUseIn(s, s->cur_in + 1);
        if (s->prefix.oom) return tdbErrNoMem(ex->err);
        tdbDbIterSeek(s->it, s->start.z, s->start.n);
        continue;
      }
      s->empty = 1;
      break;
    }
    has_limit = tdbScanLimit(s);
    if (s->limit.oom) return tdbErrNoMem(ex->err);
    tdbDbIterVisit(s->it, has_limit ? s->limit.z : NULL, s->limit.n, tdbScanVisitRow, &sv);
    if (sv.rc != TDB_OK) return sv.rc;
  }
  rc = tdbDbIterStatus(s->it);
  if (rc != TDB_OK) return tdbErrSet(ex->err, rc, NULL, "scan of %s failed", p->table->name);
  return TDB_OK;
}

/* ---- the direct primary-key lookup ------------------------------------------------ */

TDB_PRIVATE TdbPlan *tdbPointScanOf(const TdbPlan *root) {
  TdbPlan *scan, *f;
  int c;
  if (!root || root->kind != TDB_PLAN_PROJECT || !root->child) return NULL;
  scan = root->child;
  while (scan->kind == TDB_PLAN_FILTER && scan->child) scan = scan->child;
  /* at least one FILTER, each implied by the scan: tdbPlanMarkImplied has
  ** checked the access path (complete key, current state, no index) */
  if (scan == root->child || scan->kind != TDB_PLAN_SCAN) return NULL;
  for (f = root->child; f != scan; f = f->child) {
    if (f->implied_by != scan || f->col_offset != 0) return NULL;
  }
  for (c = 0; c < root->nexprs; c++) {
    const TdbExpr *e = root->exprs[c];
    if (e->kind != TDB_EXPR_COLUMN || e->depth != 0 || e->column < 0 || e->column >= scan->ncols) {
      return NULL;
    }
  }
  return scan;
}

TDB_PRIVATE int tdbPointScanRun(TdbExec *ex, TdbPlan *scan, int *ran) {
  TdbScanState *s;
  int rc, wanted;
  *ran = 0;
  rc = tdbHistoryWanted(ex, scan, &wanted);
  if (rc != TDB_OK || wanted) return rc;
  if (!scan->out.col && tdbChunkInit(&scan->out, ex->mem, scan->ncols) != TDB_OK) {
    return tdbErrNoMem(ex->err);
  }
  scan->hactive = 0;
  scan->nconds = 0; /* a FILTER's conditions of an earlier execution */
  rc = tdbScanOpen(ex, scan, NULL);
  s = scan->state;
  if (rc == TDB_OK && (s->point || s->empty)) rc = tdbScanNext(ex, scan);
  if (rc != TDB_OK || !(s->point || s->empty)) {
    if (s) tdbScanReset(ex->mem, s); /* the plan tree opens the scan again */
    return rc;
  }
  *ran = 1;
  return TDB_OK;
}

/* ---- catalog views, one row ------------------------------------------------------- */

typedef struct TdbCounterState {
  int64_t next;
} TdbCounterState;

static int tdbViewNext(TdbExec *ex, TdbPlan *p) {
  TdbCounterState *s = p->state;
  TdbValue row[16];
  int c;
  tdbChunkReset(&p->out, ex->mem);
  while (!p->done && p->out.n < TDB_CHUNK_ROWS) {
    int got;
    for (c = 0; c < p->view->ncols; c++) tdbValueSetNull(&row[c]);
    got = p->view->row(&ex->db->catalog, ex->mem, s->next++, row);
    if (got < 0) {
      for (c = 0; c < p->view->ncols; c++) tdbValueClear(ex->mem, &row[c]);
      return got == -TDB_NOMEM ? tdbErrNoMem(ex->err)
                               : tdbErrSet(ex->err, -got, NULL, "reading %s failed", p->view->name);
    }
    if (got == 0) {
      p->done = 1;
      break;
    }
    for (c = 0; c < p->view->ncols; c++) p->out.col[c][p->out.n] = row[c];
    p->out.n++;
  }
  return TDB_OK;
}

static int tdbOneRowNext(TdbExec *ex, TdbPlan *p) {
  tdbChunkReset(&p->out, ex->mem);
  if (!p->done) {
    p->out.n = 1;
    p->done = 1;
  }
  return TDB_OK;
}

/* ---- filter ------------------------------------------------------------------------ */

typedef struct TdbOuterState {
  const TdbEvalCtx *outer;
  TdbValue **shift;     /* FILTER with col_offset: column pointers by scope number */
  int pushed_all;       /* FILTER: every conjunct of pred is a condition of the
                        ** scan below (tdbFilterPushConds) */
} TdbOuterState;

/* The conjuncts of e (its operands through nested ANDs). */
static int tdbConjunctCount(const TdbExpr *e) {
  if (e->kind == TDB_EXPR_BINARY && e->op == TDB_OP_AND) {
    return tdbConjunctCount(e->left) + tdbConjunctCount(e->right);
  }
  return 1;
}

/* The INTEGER constant e stands for at the FILTER's open (an INTEGER literal
** or a parameter bound to an INTEGER), or NULL. */
static const TdbValue *tdbScanCondConst(const TdbExec *ex, const TdbExpr *e) {
  const TdbValue *kv;
  if (e->kind == TDB_EXPR_LITERAL) {
    kv = &e->value;
  } else if (e->kind == TDB_EXPR_PARAM && e->param >= 1 && e->param <= ex->nparams) {
    kv = &ex->params[e->param - 1];
  } else {
    return NULL;
  }
  return kv->type == TDB_TYPE_INTEGER ? kv : NULL;
}

/* Is e a column, or `column % m` with m an INTEGER constant >= 1? Then the
** column expression, with *mod = m (0 for the bare column). A divisor of 0
** (an error), a negative one or a non-INTEGER one stays with the FILTER. */
static const TdbExpr *tdbScanCondColumn(const TdbExec *ex, const TdbExpr *e, int64_t *mod) {
  *mod = 0;
  if (e->kind == TDB_EXPR_BINARY && e->op == TDB_OP_MOD) {
    const TdbValue *m = tdbScanCondConst(ex, e->right);
    if (!m || m->u.i < 1) return NULL;
    *mod = m->u.i;
    e = e->left;
  }
  return e->kind == TDB_EXPR_COLUMN ? e : NULL;
}

/* Is e, a conjunct of FILTER p's predicate, `column op constant` or
** `column % m op constant` (either way round) where the column is a table
** column of the scan below, read by the plan, and the constants INTEGER
** literals or INTEGER parameters (m >= 1)? Then *c is it as a scan condition
** (op turned round for `constant op column`). */
static int tdbScanCondOf(const TdbExec *ex, const TdbPlan *p, const TdbExpr *e, TdbScanCond *c) {
  const TdbPlan *scan = p->child;
  const TdbExpr *col;
  const TdbValue *kv;
  int64_t mod;
  int op, flip, cn;
  if (e->kind != TDB_EXPR_BINARY || e->op < TDB_OP_EQ || e->op > TDB_OP_GE) return 0;
  flip = tdbScanCondColumn(ex, e->left, &mod) == NULL;
  col = tdbScanCondColumn(ex, flip ? e->right : e->left, &mod);
  if (!col || col->depth != 0) return 0;
  cn = col->column - p->col_offset;
  if (cn < 0 || cn >= scan->table->ncols || (scan->needed && !scan->needed[cn])) return 0;
  kv = tdbScanCondConst(ex, flip ? e->left : e->right);
  if (!kv) return 0;
  op = e->op;
  if (flip) {
    op = op == TDB_OP_LT ? TDB_OP_GT : op == TDB_OP_GT ? TDB_OP_LT
       : op == TDB_OP_LE ? TDB_OP_GE : op == TDB_OP_GE ? TDB_OP_LE : op;
  }
  c->col = cn;
  c->op = op;
  c->k = kv->u.i;
  c->mod = mod;
  c->mod_inv = mod ? tdbModInverse(mod) : 0;
  tdbScanCondRange(c);
  return 1;
}

static void tdbFilterCollectConds(const TdbExec *ex, const TdbPlan *p, const TdbExpr *e) {
  TdbPlan *scan = p->child;
  if (e->kind == TDB_EXPR_BINARY && e->op == TDB_OP_AND) {
    tdbFilterCollectConds(ex, p, e->left);
    tdbFilterCollectConds(ex, p, e->right);
    return;
  }
  if (scan->nconds < scan->ncond_cap && tdbScanCondOf(ex, p, e, &scan->conds[scan->nconds])) {
    scan->nconds++;
  }
}

/* At the open of FILTER p over a table SCAN: hand the conjuncts of its
** predicate that compare a column with an INTEGER constant to the scan,
** which then emits only the rows where they hold (tdbScanCondsHold). The
** FILTER still evaluates its whole predicate on the rows that come up, unless
** every conjunct went down and the scan decided them all (st->pushed_all
** and no undecided rows): then it passes the chunk on. The conjuncts the
** scan checks cannot fail on the rows it decides, and the others are
** evaluated on a subset of the rows they were evaluated on before (those
** the pushed ones let through). */
static int tdbFilterPushConds(TdbExec *ex, TdbPlan *p, TdbOuterState *st) {
  TdbPlan *scan = p->child;
  int total;
  st->pushed_all = 0;
  if (!scan || scan->kind != TDB_PLAN_SCAN || !scan->table || !p->pred) return TDB_OK;
  scan->nconds = 0;
  total = tdbConjunctCount(p->pred);
  if (scan->ncond_cap < total) {
    tdbMemFree(ex->mem, scan->conds);
    scan->ncond_cap = 0;
    scan->conds = tdbMemAlloc(ex->mem, sizeof(TdbScanCond) * (size_t)total);
    if (!scan->conds) return tdbErrNoMem(ex->err);
    scan->ncond_cap = total;
  }
  tdbFilterCollectConds(ex, p, p->pred);
  st->pushed_all = scan->nconds == total;
  return TDB_OK;
}

/* The live rows of c as a selection (the identity when c has none). */
TDB_PRIVATE const uint16_t *tdbChunkSelection(TdbChunk *c, int *n) {
  int i;
  *n = TDB_CHUNK_LIVE(c);
  if (c->sel) return c->sel;
  for (i = 0; i < c->n; i++) c->sel_buf[i] = (uint16_t)i;
  return c->sel_buf;
}

static int tdbFilterNext(TdbExec *ex, TdbPlan *p, TdbChunk **out) {
  TdbOuterState *st = p->state;
  if (p->implied_by && !p->implied_by->hactive && p->implied_by->state &&
      ((const TdbScanState *)p->implied_by->state)->point) {
    return tdbPlanNext(ex, p->child, out); /* the key lookup made pred true */
  }
  for (;;) {
    TdbChunk *b, shifted;
    TdbVecCtx vc;
    TdbValue *res;
    const uint16_t *sel;
    int i, k = 0, rc, live, mark;
    rc = tdbPlanNext(ex, p->child, &b);
    if (rc != TDB_OK) return rc;
    if (TDB_CHUNK_LIVE(b) == 0) {
      *out = b;
      return TDB_OK;
    }
    if (st->pushed_all && !p->child->hactive && p->child->state &&
        ((const TdbScanState *)p->child->state)->undecided == 0) {
      *out = b; /* the scan has applied the whole predicate */
      return TDB_OK;
    }
    vc.ex = ex;
    vc.outer = st->outer;
    vc.chunk = b;
    if (p->col_offset > 0) {
      /* the predicate numbers columns as the scope row does */
      int c;
      for (c = 0; c < b->ncols; c++) st->shift[p->col_offset + c] = b->col[c];
      shifted = *b;
      shifted.col = st->shift;
      shifted.ncols = p->col_offset + b->ncols;
      vc.chunk = &shifted;
    }
    sel = tdbChunkSelection(b, &live);
    mark = tdbVecMark(&vc);
    rc = tdbVecEval(&vc, p->pred, sel, live, &res);
    for (i = 0; i < live && rc == TDB_OK; i++) {
      const TdbValue *v = &res[sel[i]];
      if (v->type == TDB_TYPE_BOOLEAN) {
        if (v->u.i) b->sel_buf[k++] = sel[i]; /* k <= i: writes never pass reads */
      } else if (v->type != TDB_TYPE_NULL) {
        TdbEvalCtx ctx;
        int truth;
        tdbExecEvalCtx(ex, &ctx, st->outer, b, sel[i]);
        rc = tdbExprTruth(&ctx, v, &truth); /* fails: not a BOOLEAN */
      }
    }
    tdbVecRelease(&vc, mark, sel, live);
    if (rc != TDB_OK) return rc;
    b->sel = b->sel_buf;
    b->nsel = k;
    if (k > 0) {
      *out = b;
      return TDB_OK;
    }
  }
}

/* ---- aggregation ----------------------------------------------------------------- */

/* Append a hashable, equality-preserving encoding of v (GROUP BY, DISTINCT):
** integral REALs encode as the INTEGER they equal, -0.0 as 0.0. */
TDB_PRIVATE void tdbValueHashKey(TdbStr *out, const TdbValue *v) {
  unsigned char buf[9];
  int type = v->type;
  int64_t i = 0;
  if (type == TDB_TYPE_INTERVAL) { /* equal intervals (1 mon = 30 days) share a key */
    unsigned char key[17];
    tdbIntervalHashKey(key, TDB_INTERVAL_MONTHS(v), v->u.i);
    tdbStrAppend(out, (const char *)key, sizeof key);
    return;
  }
  if (type == TDB_TYPE_REAL) {
    double r = v->u.r;
    if (r == floor(r) && r >= -9223372036854775808.0 && r < 9223372036854775808.0) {
      type = TDB_TYPE_INTEGER;
      i = (int64_t)r;
    } else if (r != r) {
      memcpy(buf + 1, "\x7f\xf8\0\0\0\0\0\0", 8);
      buf[0] = (unsigned char)type;
      tdbStrAppend(out, (const char *)buf, 9);
      return;
    } else {
      memcpy(&i, &r, 8);
    }
  } else if (!TDB_TYPE_HAS_BYTES(type)) {
    i = v->u.i;
  }
  buf[0] = (unsigned char)type;
  if (TDB_TYPE_HAS_BYTES(type)) {
    tdbPutFixed32(buf + 1, v->n);
    tdbStrAppend(out, (const char *)buf, 5);
    tdbStrAppend(out, v->u.z, v->n);
  } else if (type == TDB_TYPE_NULL) {
    tdbStrAppend(out, (const char *)buf, 1);
  } else {
    tdbPutFixed64(buf + 1, (uint64_t)i);
    tdbStrAppend(out, (const char *)buf, 9);
  }
}

typedef struct TdbAggOpState {
  const TdbEvalCtx *outer;
  TdbHashSet groups;
  TdbIntHash int_groups;  /* one INTEGER group key: value -> group id + 1 */
  TdbHashSet seen;        /* DISTINCT aggregates: (agg, group, value) */
  TdbRowSet keys;         /* group key values, one row per group */
  TdbAggState *states;    /* ngroups * naggs */
  size_t cap_states;
  TdbRowSet result;
  size_t pos;
  int built;
} TdbAggOpState;

static void tdbAggOpFree(TdbMem *mem, TdbAggOpState *s, int naggs) {
  size_t i;
  if (!s) return;
  tdbHashSetFree(&s->groups);
  tdbIntHashFree(mem, &s->int_groups);
  tdbHashSetFree(&s->seen);
  for (i = 0; i < s->keys.nrows * (size_t)naggs; i++) tdbAggClear(mem, &s->states[i]);
  tdbMemFree(mem, s->states);
  tdbRowSetFree(&s->keys, mem);
  tdbRowSetFree(&s->result, mem);
  tdbMemFree(mem, s);
}

static int tdbAggKindOf(const TdbExpr *e) {
  if (e->star) return TDB_AGG_COUNT_STAR;
  return e->aggdef->kind;
}

/* The group of the group key values gv[0..ngroup) (created when new: the
** values are copied). */
static int tdbAggGroupOf(TdbExec *ex, TdbPlan *p, TdbAggOpState *s, const TdbValue *gv,
                         TdbStr *key, uint32_t *gid) {
  int ngroup = p->group_by ? p->group_by->n : 0, i, added, rc = TDB_OK;
  key->n = 0;
  for (i = 0; i < ngroup; i++) tdbValueHashKey(key, &gv[i]);
  if (key->oom) rc = tdbErrNoMem(ex->err);
  if (rc == TDB_OK) {
    rc = tdbHashSetFind(&s->groups, key->z ? key->z : "", key->n, 1, gid, &added);
    if (rc != TDB_OK) rc = tdbErrNoMem(ex->err);
  }
  if (rc == TDB_OK && added) {
    TdbValue *row = tdbRowSetAdd(&s->keys, ex->mem);
    size_t need = s->keys.nrows * (size_t)p->naggs;
    if (!row) rc = tdbErrNoMem(ex->err);
    for (i = 0; i < ngroup && rc == TDB_OK; i++) {
      if (tdbValueCopy(ex->mem, &row[i], &gv[i]) != TDB_OK) rc = tdbErrNoMem(ex->err);
    }
    if (rc == TDB_OK && need > s->cap_states) {
      size_t cap = s->cap_states ? s->cap_states * 2 : 64;
      TdbAggState *st;
      while (cap < need) cap *= 2;
      st = tdbMemRealloc(ex->mem, s->states, sizeof *st * cap);
      if (!st) rc = tdbErrNoMem(ex->err);
      else {
        s->states = st;
        s->cap_states = cap;
      }
    }
    if (rc == TDB_OK) {
      for (i = 0; i < p->naggs; i++) tdbAggInit(&s->states[(size_t)*gid * (size_t)p->naggs + (size_t)i], ex->mem);
    } else if (row) {
      for (i = 0; i < ngroup; i++) tdbValueClear(ex->mem, &row[i]); /* copied so far */
      s->keys.nrows--; /* the set has the key: keep them in step by failing the statement */
    }
  }
  return rc;
}

/* The group of the row ctx stands on (created when new). */
static int tdbAggGroup(TdbExec *ex, TdbPlan *p, TdbAggOpState *s, TdbEvalCtx *ctx,
                       TdbStr *key, uint32_t *gid) {
  int ngroup = p->group_by ? p->group_by->n : 0, i, rc = TDB_OK;
  TdbValue vals[64];
  TdbValue *heap = NULL, *gv = vals;
  if (ngroup > 64) {
    heap = tdbMemAllocZero(ex->mem, sizeof(TdbValue) * (size_t)ngroup);
    if (!heap) return tdbErrNoMem(ex->err);
    gv = heap;
  }
  for (i = 0; i < ngroup; i++) tdbValueSetNull(&gv[i]);
  for (i = 0; i < ngroup && rc == TDB_OK; i++) rc = tdbExprEval(ctx, p->group_by->items[i].expr, &gv[i]);
  if (rc == TDB_OK) rc = tdbAggGroupOf(ex, p, s, gv, key, gid);
  for (i = 0; i < ngroup; i++) tdbValueClear(ex->mem, &gv[i]);
  tdbMemFree(ex->mem, heap);
  return rc;
}

static int tdbAggFeed(TdbExec *ex, TdbPlan *p, TdbAggOpState *s, TdbEvalCtx *ctx,
                      uint32_t gid, TdbStr *key) {
  int a, i, rc = TDB_OK;
  for (a = 0; a < p->naggs && rc == TDB_OK; a++) {
    const TdbExpr *e = p->aggs[a];
    int argc = e->star ? 0 : e->list->n;
    TdbValue argv[2];
    TdbAggState *st = &s->states[(size_t)gid * (size_t)p->naggs + (size_t)a];
    for (i = 0; i < 2; i++) tdbValueSetNull(&argv[i]);
    if (e->filter) { /* FILTER (WHERE ...): only rows where it is true */
      TdbValue f;
      int truth = 0;
      tdbValueSetNull(&f);
      rc = tdbExprEval(ctx, e->filter, &f);
      if (rc == TDB_OK) rc = tdbExprTruth(ctx, &f, &truth);
      tdbValueClear(ex->mem, &f);
      if (rc != TDB_OK || truth != 1) continue;
    }
    for (i = 0; i < argc && i < 2 && rc == TDB_OK; i++) {
      rc = tdbExprEval(ctx, e->list->items[i].expr, &argv[i]);
    }
    if (rc == TDB_OK && e->distinct && argc > 0) {
      unsigned char hdr[8];
      uint32_t id;
      int added = 0;
      if (TDB_VALUE_IS_NULL(&argv[0])) goto next;
      key->n = 0;
      tdbPutFixed32(hdr, (uint32_t)a);
      tdbPutFixed32(hdr + 4, gid);
      tdbStrAppend(key, (const char *)hdr, 8);
      tdbValueHashKey(key, &argv[0]);
      if (key->oom || tdbHashSetFind(&s->seen, key->z, key->n, 1, &id, &added) != TDB_OK) {
        rc = tdbErrNoMem(ex->err);
        goto next;
      }
      if (!added) goto next;
    }
    if (rc == TDB_OK) rc = tdbAggStep(ctx, tdbAggKindOf(e), st, argc, argv);
  next:
    for (i = 0; i < 2; i++) tdbValueClear(ex->mem, &argv[i]);
  }
  return rc;
}

/* Do some aggregates need rows one at a time (DISTINCT)? */
static int tdbAggNeedsRows(const TdbPlan *p) {
  int a;
  for (a = 0; a < p->naggs; a++) {
    if (p->aggs[a]->distinct) return 1;
  }
  return 0;
}

/* Feed a whole chunk (no DISTINCT aggregate, at most TDB_AGG_VEC_KEYS group
** keys): the group keys and then each aggregate's arguments evaluated as
** vectors, each row's values stepped into its group's state. Without GROUP
** BY every row goes to the one group. A single group key with an INTEGER
** value finds its group in an int64 table (s->int_groups, which mirrors the
** groups those values made in s->groups); other keys go by their hash-key
** bytes. Groups are made in row order, as row-at-a-time feeding does. */
#define TDB_AGG_VEC_KEYS 8
static int tdbAggFeedChunk(TdbExec *ex, TdbPlan *p, TdbAggOpState *s, TdbChunk *b, TdbStr *key) {
  TdbVecCtx vc;
  TdbEvalCtx ctx;
  const uint16_t *all;
  uint16_t passed[TDB_CHUNK_ROWS];
  uint32_t gid[TDB_CHUNK_ROWS], pgid[TDB_CHUNK_ROWS];
  TdbValue *gvec[TDB_AGG_VEC_KEYS], gv[TDB_AGG_VEC_KEYS];
  int ngroup = p->group_by ? p->group_by->n : 0, a, g, i, nall, mark, rc = TDB_OK;
  vc.ex = ex;
  vc.outer = s->outer;
  vc.chunk = b;
  all = tdbChunkSelection(b, &nall);
  if (ngroup == 0) { /* the one group, made before the first row */
    if (s->keys.nrows == 0) {
      tdbExecEvalCtx(ex, &ctx, s->outer, NULL, 0);
      rc = tdbAggGroup(ex, p, s, &ctx, key, &gid[0]);
      if (rc != TDB_OK) return rc;
    }
    memset(gid, 0, sizeof gid[0] * (size_t)nall);
  }
  tdbExecEvalCtx(ex, &ctx, s->outer, b, 0);
  mark = tdbVecMark(&vc);
  for (g = 0; g < ngroup && rc == TDB_OK; g++) {
    rc = tdbVecEval(&vc, p->group_by->items[g].expr, all, nall, &gvec[g]);
  }
  for (i = 0; i < nall && rc == TDB_OK && ngroup > 0; i++) {
    int r = all[i];
    if (ngroup == 1 && gvec[0][r].type == TDB_TYPE_INTEGER) {
      uint32_t *slot = tdbIntHashGet(&s->int_groups, gvec[0][r].u.i);
      if (slot) {
        gid[i] = *slot - 1;
        continue;
      }
      rc = tdbAggGroupOf(ex, p, s, &gvec[0][r], key, &gid[i]);
      if (rc != TDB_OK) break;
      slot = tdbIntHashPut(ex->mem, &s->int_groups, gvec[0][r].u.i);
      if (!slot) rc = tdbErrNoMem(ex->err);
      else *slot = gid[i] + 1;
      continue;
    }
    for (g = 0; g < ngroup; g++) gv[g] = gvec[g][r];
    rc = tdbAggGroupOf(ex, p, s, gv, key, &gid[i]);
  }
  for (a = 0; a < p->naggs && rc == TDB_OK; a++) {
    const TdbExpr *e = p->aggs[a];
    TdbValue *v0 = NULL, *v1 = NULL, argv[2];
    int argc = e->star ? 0 : e->list->n, kind = tdbAggKindOf(e), amark, live = nall;
    const uint16_t *sel = all;
    const uint32_t *sgid = gid;
    if (e->filter) { /* FILTER (WHERE ...): the rows where it is true */
      TdbValue *f;
      int truth;
      amark = tdbVecMark(&vc);
      rc = tdbVecEval(&vc, e->filter, all, nall, &f);
      for (i = 0, live = 0; i < nall && rc == TDB_OK; i++) {
        const TdbValue *v = &f[all[i]];
        if (v->type == TDB_TYPE_BOOLEAN && v->u.i) {
          pgid[live] = gid[i];
          passed[live++] = all[i];
        } else if (v->type != TDB_TYPE_BOOLEAN && v->type != TDB_TYPE_NULL) {
          rc = tdbExprTruth(&ctx, v, &truth); /* fails: not a BOOLEAN */
        }
      }
      tdbVecRelease(&vc, amark, all, nall);
      if (rc != TDB_OK) break;
      sel = passed;
      sgid = pgid;
    }
    if (kind == TDB_AGG_COUNT_STAR) {
      for (i = 0; i < live; i++) s->states[(size_t)sgid[i] * (size_t)p->naggs + (size_t)a].count++;
      continue;
    }
    if (live == 0) continue;
    amark = tdbVecMark(&vc);
    rc = tdbVecEval(&vc, e->list->items[0].expr, sel, live, &v0);
    if (rc == TDB_OK && argc > 1) rc = tdbVecEval(&vc, e->list->items[1].expr, sel, live, &v1);
    for (i = 0; i < live && rc == TDB_OK; i++) {
      argv[0] = v0[sel[i]];
      if (v1) argv[1] = v1[sel[i]];
      ctx.rowidx = sel[i];
      rc = tdbAggStep(&ctx, kind, &s->states[(size_t)sgid[i] * (size_t)p->naggs + (size_t)a],
                      argc > 2 ? 2 : argc, argv);
    }
    tdbVecRelease(&vc, amark, sel, live);
  }
  tdbVecRelease(&vc, mark, all, nall);
  return rc;
}

static int tdbAggBuild(TdbExec *ex, TdbPlan *p, TdbAggOpState *s) {
  int ngroup = p->group_by ? p->group_by->n : 0, rc = TDB_OK, i;
  TdbStr key;
  size_t g;
  tdbStrInit(&key, ex->mem);
  for (;;) {
    TdbChunk *b;
    int live;
    rc = tdbPlanNext(ex, p->child, &b);
    if (rc != TDB_OK) break;
    live = TDB_CHUNK_LIVE(b);
    if (live == 0) break;
    if (ngroup <= TDB_AGG_VEC_KEYS && !tdbAggNeedsRows(p)) {
      rc = tdbAggFeedChunk(ex, p, s, b, &key);
      if (rc != TDB_OK) break;
      continue;
    }
    for (i = 0; i < live && rc == TDB_OK; i++) {
      TdbEvalCtx ctx;
      uint32_t gid;
      tdbExecEvalCtx(ex, &ctx, s->outer, b, TDB_CHUNK_ROW(b, i));
      rc = tdbAggGroup(ex, p, s, &ctx, &key, &gid);
      if (rc == TDB_OK) rc = tdbAggFeed(ex, p, s, &ctx, gid, &key);
    }
    if (rc != TDB_OK) break;
  }
  if (rc == TDB_OK && ngroup == 0 && s->keys.nrows == 0) {
    uint32_t gid;
    TdbEvalCtx ctx;
    tdbExecEvalCtx(ex, &ctx, s->outer, NULL, 0);
    rc = tdbAggGroup(ex, p, s, &ctx, &key, &gid); /* no rows: one empty group */
  }
  tdbStrClear(&key);
  if (rc != TDB_OK) return rc;
  tdbRowSetInit(&s->result, p->ncols);
  for (g = 0; g < s->keys.nrows && rc == TDB_OK; g++) {
    TdbValue *row = tdbRowSetAdd(&s->result, ex->mem);
    TdbValue *kr = tdbRowSetRow(&s->keys, g);
    TdbEvalCtx ctx;
    int a;
    if (!row) return tdbErrNoMem(ex->err);
    tdbExecEvalCtx(ex, &ctx, s->outer, NULL, 0);
    for (i = 0; i < ngroup; i++) {
      row[i] = kr[i]; /* move the key values */
      tdbValueSetNull(&kr[i]);
    }
    for (a = 0; a < p->naggs && rc == TDB_OK; a++) {
      rc = tdbAggFinal(&ctx, tdbAggKindOf(p->aggs[a]),
                       &s->states[g * (size_t)p->naggs + (size_t)a], &row[ngroup + a]);
    }
  }
  s->built = 1;
  return rc;
}

static int tdbAggNext(TdbExec *ex, TdbPlan *p) {
  TdbAggOpState *s = p->state;
  int rc;
  tdbChunkReset(&p->out, ex->mem);
  if (!s->built) {
    rc = tdbAggBuild(ex, p, s);
    if (rc != TDB_OK) return rc;
  }
  tdbRowSetEmit(&s->result, NULL, &s->pos, &p->out, p->ncols);
  return TDB_OK;
}

/* ---- projection ------------------------------------------------------------------- */

static int tdbProjectNext(TdbExec *ex, TdbPlan *p) {
  TdbChunk *b, *out = &p->out;
  TdbVecCtx vc;
  const uint16_t *sel;
  int i, c, rc, live;
  tdbChunkReset(out, ex->mem);
  rc = tdbPlanNext(ex, p->child, &b);
  if (rc != TDB_OK) return rc;
  live = TDB_CHUNK_LIVE(b);
  if (live == 0) return TDB_OK;
  vc.ex = ex;
  vc.outer = ((TdbOuterState *)p->state)->outer;
  vc.chunk = b;
  sel = tdbChunkSelection(b, &live);
  out->n = live;
  for (c = 0; c < p->nexprs; c++) {
    TdbValue *res;
    int mark = tdbVecMark(&vc);
    rc = tdbVecEval(&vc, p->exprs[c], sel, live, &res);
    if (rc == TDB_OK) {
      const TdbExpr *e = p->exprs[c];
      int borrowed = ((e->kind == TDB_EXPR_COLUMN && e->depth == 0) || e->kind == TDB_EXPR_AGGREF) &&
                     e->column >= 0 && e->column < b->ncols && res == b->col[e->column];
      int scratch = !borrowed;
      for (i = 0; i < live; i++) {
        TdbValue *v = &res[sel[i]];
        out->col[c][i] = *v;
        if (scratch) tdbValueSetNull(v); /* moved: the chunk owns it now */
        else out->col[c][i].owned = 0;
      }
    }
    tdbVecRelease(&vc, mark, sel, live);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

/* ---- distinct ---------------------------------------------------------------------- */

typedef struct TdbDistinctState {
  TdbHashSet seen;
} TdbDistinctState;

static int tdbDistinctNext(TdbExec *ex, TdbPlan *p, TdbChunk **out) {
  TdbDistinctState *s = p->state;
  TdbStr key;
  int rc = TDB_OK;
  tdbStrInit(&key, ex->mem);
  for (;;) {
    TdbChunk *b;
    int i, k = 0, live, c;
    rc = tdbPlanNext(ex, p->child, &b);
    if (rc != TDB_OK) break;
    live = TDB_CHUNK_LIVE(b);
    *out = b;
    if (live == 0) break;
    for (i = 0; i < live; i++) {
      int r = TDB_CHUNK_ROW(b, i), added = 0;
      uint32_t id;
      key.n = 0;
      for (c = 0; c < p->key_cols; c++) tdbValueHashKey(&key, &b->col[c][r]);
      if (key.oom || tdbHashSetFind(&s->seen, key.z ? key.z : "", key.n, 1, &id, &added) != TDB_OK) {
        rc = tdbErrNoMem(ex->err);
        break;
      }
      if (added) b->sel_buf[k++] = (uint16_t)r;
    }
    if (rc != TDB_OK) break;
    b->sel = b->sel_buf;
    b->nsel = k;
    if (k > 0) break;
  }
  tdbStrClear(&key);
  return rc;
}

/* ---- sort ------------------------------------------------------------------------- */

typedef struct TdbSortState {
  TdbRowSet rows;
  size_t *order;
  size_t pos;
  int built;
  int passthrough;      /* the input comes in order (p->presorted): passed on */
} TdbSortState;

typedef struct TdbSortCtx {
  const TdbSortKey *keys;
  int nkeys;
  const TdbRowSet *rows;
  TdbErr *err;
  int failed;
} TdbSortCtx;

TDB_PRIVATE int tdbSortKeysCompare(TdbErr *err, const TdbValue *ra, const TdbValue *rb,
                                   const TdbSortKey *keys, int nkeys, int *failed) {
  int k;
  for (k = 0; k < nkeys; k++) {
    const TdbSortKey *key = &keys[k];
    const TdbValue *x = &ra[key->column], *y = &rb[key->column];
    int nx = TDB_VALUE_IS_NULL(x), ny = TDB_VALUE_IS_NULL(y), cmp = 0;
    if (x->type == TDB_TYPE_INTEGER && y->type == TDB_TYPE_INTEGER) { /* the common case */
      if (x->u.i == y->u.i) continue;
      cmp = x->u.i < y->u.i ? -1 : 1;
      return key->desc ? -cmp : cmp;
    }
    if (nx || ny) {
      if (nx && ny) continue;
      /* NULL first or last, whatever the direction */
      return nx ? (key->nulls_first ? -1 : 1) : (key->nulls_first ? 1 : -1);
    }
    if (tdbValueCompare(err, x, y, &cmp) != TDB_OK) {
      *failed = 1;
      return 0;
    }
    if (cmp != 0) return key->desc ? -cmp : cmp;
  }
  return 0;
}

/* ORDER BY comparison of two materialized rows. */
static int tdbSortCompare(TdbSortCtx *sc, size_t a, size_t b) {
  int cmp = tdbSortKeysCompare(sc->err, tdbRowSetRow(sc->rows, a), tdbRowSetRow(sc->rows, b),
                               sc->keys, sc->nkeys, &sc->failed);
  if (cmp != 0 || sc->failed) return cmp;
  return a < b ? -1 : a > b; /* stable */
}

/* Merge sort of order[0..n) with tmp as scratch. */
static void tdbMergeSort(TdbSortCtx *sc, size_t *order, size_t *tmp, size_t n) {
  size_t width, i;
  for (width = 1; width < n && !sc->failed; width *= 2) {
    for (i = 0; i < n; i += 2 * width) {
      size_t lo = i, mid = TDB_MIN(i + width, n), hi = TDB_MIN(i + 2 * width, n);
      size_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi) {
        tmp[k++] = tdbSortCompare(sc, order[a], order[b]) <= 0 ? order[a++] : order[b++];
      }
      while (a < mid) tmp[k++] = order[a++];
      while (b < hi) tmp[k++] = order[b++];
    }
    memcpy(order, tmp, sizeof(size_t) * n);
  }
}

TDB_PRIVATE int tdbRowSetSort(TdbExec *ex, const TdbRowSet *rows, const TdbSortKey *keys,
                              int nkeys, size_t *order) {
  TdbSortCtx sc;
  TdbNormKeys nk;
  size_t *tmp, i;
  int rc = tdbNormKeysBuild(ex->mem, rows, keys, nkeys, &nk);
  if (rc == TDB_OK) { /* fixed-width typed keys: the radix sort (normkey.h) */
    rc = tdbNormKeysSort(ex->mem, &nk, order);
    tdbNormKeysFree(ex->mem, &nk);
    return rc == TDB_OK ? TDB_OK : tdbErrNoMem(ex->err);
  }
  if (rc == TDB_NOMEM) return tdbErrNoMem(ex->err);
  tmp = tdbMemAlloc(ex->mem, sizeof(size_t) * (rows->nrows + 1));
  if (!tmp) return tdbErrNoMem(ex->err);
  for (i = 0; i < rows->nrows; i++) order[i] = i;
  sc.keys = keys;
  sc.nkeys = nkeys;
  sc.rows = rows;
  sc.err = ex->err;
  sc.failed = 0;
  tdbMergeSort(&sc, order, tmp, rows->nrows);
  tdbMemFree(ex->mem, tmp);
  return sc.failed ? TDB_ERROR_DATA : TDB_OK;
}

static int tdbSortBuild(TdbExec *ex, TdbPlan *p, TdbSortState *s) {
  int rc = TDB_OK;
  tdbRowSetInit(&s->rows, p->child->ncols);
  for (;;) {
    TdbChunk *b;
    int live, j;
    rc = tdbPlanNext(ex, p->child, &b);
    if (rc != TDB_OK) return rc;
    live = TDB_CHUNK_LIVE(b);
    if (live == 0) break;
    for (j = 0; j < live; j++) {
      if (tdbRowSetAppendBatchRow(&s->rows, ex->mem, b, TDB_CHUNK_ROW(b, j)) != TDB_OK) {
        return tdbErrNoMem(ex->err);
      }
    }
  }
  s->order = tdbMemAlloc(ex->mem, sizeof(size_t) * (s->rows.nrows + 1));
  if (!s->order) return tdbErrNoMem(ex->err);
  rc = tdbRowSetSort(ex, &s->rows, p->sort, p->nsort, s->order);
  s->built = 1;
  return rc;
}

static int tdbSortNext(TdbExec *ex, TdbPlan *p, TdbChunk **pass) {
  TdbSortState *s = p->state;
  TdbChunk *out = &p->out;
  int rc;
  if (!s->built && p->presorted && tdbHistoryOrdered(p->presorted)) s->passthrough = s->built = 1;
  if (s->passthrough) return tdbPlanNext(ex, p->child, pass);
  tdbChunkReset(out, ex->mem);
  if (!s->built) {
    rc = tdbSortBuild(ex, p, s);
    if (rc != TDB_OK) return rc;
  }
  tdbRowSetEmit(&s->rows, s->order, &s->pos, out, p->ncols);
  return TDB_OK;
}

/* ---- limit ------------------------------------------------------------------------- */

typedef struct TdbLimitState {
  int64_t skip, left;   /* rows still to skip; rows still to emit (-1: no limit) */
} TdbLimitState;

static int tdbLimitValue(TdbExec *ex, const TdbEvalCtx *outer, const TdbExpr *e,
                         const char *what, int64_t *out) {
  TdbEvalCtx ctx;
  TdbValue v, iv;
  int rc;
  tdbExecEvalCtx(ex, &ctx, outer, NULL, 0);
  tdbValueSetNull(&v);
  tdbValueSetNull(&iv);
  rc = tdbExprEval(&ctx, e, &v);
  if (rc == TDB_OK && TDB_VALUE_IS_NULL(&v)) {
    *out = -1;
  } else if (rc == TDB_OK) {
    rc = tdbValueCast(ex->mem, ex->err, &v, TDB_TYPE_INTEGER, &iv);
    if (rc == TDB_OK && iv.u.i < 0) {
      rc = tdbErrSet(ex->err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_ROW_COUNT,
                     "%s must not be negative", what);
    }
    *out = iv.u.i;
  }
  tdbValueClear(ex->mem, &v);
  tdbValueClear(ex->mem, &iv);
  return rc;
}

static int tdbLimitNext(TdbExec *ex, TdbPlan *p, TdbChunk **out) {
  TdbLimitState *s = p->state;
  for (;;) {
    TdbChunk *b;
    int i, k = 0, live, rc;
    if (s->left == 0) {
      tdbChunkReset(&p->out, ex->mem);
      *out = &p->out; /* empty: the end */
      return TDB_OK;
    }
    rc = tdbPlanNext(ex, p->child, &b);
    if (rc != TDB_OK) return rc;
    live = TDB_CHUNK_LIVE(b);
    *out = b;
    if (live == 0) return TDB_OK;
    for (i = 0; i < live; i++) {
      int r = TDB_CHUNK_ROW(b, i);
      if (s->skip > 0) {
        s->skip--;
        continue;
      }
      if (s->left == 0) break;
      if (s->left > 0) s->left--;
      b->sel_buf[k++] = (uint16_t)r;
    }
    b->sel = b->sel_buf;
    b->nsel = k;
    if (k > 0) return TDB_OK;
  }
}

/* ---- generic open / next / close ------------------------------------------------ */

static int tdbNowNs(int64_t *ns) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  *ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  return 0;
}

static int tdbPlanOwnsBatch(const TdbPlan *p) {
  return p->kind != TDB_PLAN_FILTER && p->kind != TDB_PLAN_DISTINCT &&
         p->kind != TDB_PLAN_SETOP && p->kind != TDB_PLAN_WITH && !TDB_JOIN_PASSES_LEFT(p);
}

TDB_PRIVATE int tdbPlanOpen(TdbExec *ex, TdbPlan *p, const TdbEvalCtx *outer) {
  int rc = TDB_OK;
  if (p->opened) tdbPlanClose(ex, p);
  p->opened = 1;
  p->done = 0;
  p->loops++;
  if (tdbPlanOwnsBatch(p) && !p->out.col) {
    if (tdbChunkInit(&p->out, ex->mem, p->ncols) != TDB_OK) return tdbErrNoMem(ex->err);
  } else if (p->kind == TDB_PLAN_LIMIT && !p->out.col) {
    if (tdbChunkInit(&p->out, ex->mem, p->ncols) != TDB_OK) return tdbErrNoMem(ex->err);
  }
  switch (p->kind) {
    case TDB_PLAN_SCAN:
      rc = tdbHistoryWanted(ex, p, &p->hactive);
      if (rc != TDB_OK) return rc;
      if (p->hactive) return tdbHistoryOpen(ex, p, outer);
      return tdbScanOpen(ex, p, outer);
    case TDB_PLAN_VIEW:
      p->state = tdbMemAllocZero(ex->mem, sizeof(TdbCounterState));
      return p->state ? TDB_OK : tdbErrNoMem(ex->err);
    case TDB_PLAN_ONE_ROW:
      return TDB_OK;
    case TDB_PLAN_FILTER:
    case TDB_PLAN_PROJECT: {
      /* kept from the previous execution (tdbPlanClose), as its size is the plan's */
      TdbOuterState *s = p->state;
      if (!s) {
        s = tdbMemAllocZero(ex->mem, sizeof *s);
        if (!s) return tdbErrNoMem(ex->err);
        p->state = s;
      }
      s->outer = outer;
      if (p->col_offset > 0 && !s->shift) {
        s->shift = tdbMemAllocZero(ex->mem, sizeof(TdbValue *) *
                                                (size_t)(p->col_offset + p->child->ncols));
        if (!s->shift) return tdbErrNoMem(ex->err);
      }
      if (p->kind == TDB_PLAN_FILTER) {
        rc = tdbFilterPushConds(ex, p, s);
        if (rc != TDB_OK) return rc;
      }
      return tdbPlanOpen(ex, p->child, outer);
    }
    case TDB_PLAN_JOIN:
      return tdbJoinOpen(ex, p, outer);
    case TDB_PLAN_AGGREGATE: {
      TdbAggOpState *s = tdbMemAllocZero(ex->mem, sizeof *s);
      if (!s) return tdbErrNoMem(ex->err);
      s->outer = outer;
      tdbHashSetInit(&s->groups, ex->mem);
      tdbIntHashInit(&s->int_groups);
      tdbHashSetInit(&s->seen, ex->mem);
      tdbRowSetInit(&s->keys, p->group_by ? p->group_by->n : 0);
      tdbRowSetInit(&s->result, p->ncols);
      p->state = s;
      return tdbPlanOpen(ex, p->child, outer);
    }
    case TDB_PLAN_DISTINCT: {
      TdbDistinctState *s = tdbMemAllocZero(ex->mem, sizeof *s);
      if (!s) return tdbErrNoMem(ex->err);
      tdbHashSetInit(&s->seen, ex->mem);
      p->state = s;
      return tdbPlanOpen(ex, p->child, outer);
    }
    case TDB_PLAN_SORT:
      p->state = tdbMemAllocZero(ex->mem, sizeof(TdbSortState));
      if (!p->state) return tdbErrNoMem(ex->err);
      return tdbPlanOpen(ex, p->child, outer);
    case TDB_PLAN_WINDOW:
      return tdbWindowOpen(ex, p, outer);
    case TDB_PLAN_LIMIT: {
      TdbLimitState *s = tdbMemAllocZero(ex->mem, sizeof *s);
      if (!s) return tdbErrNoMem(ex->err);
      p->state = s;
      s->left = -1;
      if (p->limit) rc = tdbLimitValue(ex, outer, p->limit, "LIMIT", &s->left);
      if (rc == TDB_OK && p->offset) rc = tdbLimitValue(ex, outer, p->offset, "OFFSET", &s->skip);
      if (s->skip < 0) s->skip = 0;
      if (rc == TDB_OK) rc = tdbPlanOpen(ex, p->child, outer);
      return rc;
    }
    case TDB_PLAN_SETOP:
    case TDB_PLAN_WITH:
    case TDB_PLAN_CTE:
    case TDB_PLAN_CTE_SCAN:
      return tdbSetOpPlanOpen(ex, p, outer);
    default:
      return tdbErrSet(ex->err, TDB_INTERNAL, NULL, "unknown plan node %d", p->kind);
  }
}

TDB_PRIVATE int tdbPlanNext(TdbExec *ex, TdbPlan *p, TdbChunk **out) {
  int rc;
  int64_t t0 = 0, t1 = 0;
  if (ex->analyze) tdbNowNs(&t0);
  *out = &p->out;
  switch (p->kind) {
    case TDB_PLAN_SCAN: rc = p->hactive ? tdbHistoryNext(ex, p) : tdbScanNext(ex, p); break;
    case TDB_PLAN_VIEW: rc = tdbViewNext(ex, p); break;
    case TDB_PLAN_ONE_ROW: rc = tdbOneRowNext(ex, p); break;
    case TDB_PLAN_FILTER: rc = tdbFilterNext(ex, p, out); break;
    case TDB_PLAN_JOIN: rc = tdbJoinNext(ex, p, out); break;
    case TDB_PLAN_AGGREGATE: rc = tdbAggNext(ex, p); break;
    case TDB_PLAN_PROJECT: rc = tdbProjectNext(ex, p); break;
    case TDB_PLAN_DISTINCT: rc = tdbDistinctNext(ex, p, out); break;
    case TDB_PLAN_SORT: rc = tdbSortNext(ex, p, out); break;
    case TDB_PLAN_LIMIT: rc = tdbLimitNext(ex, p, out); break;
    case TDB_PLAN_SETOP:
    case TDB_PLAN_WITH:
    case TDB_PLAN_CTE:
    case TDB_PLAN_CTE_SCAN: rc = tdbSetOpPlanNext(ex, p, out); break;
    case TDB_PLAN_WINDOW: rc = tdbWindowNext(ex, p); break;
    default: rc = tdbErrSet(ex->err, TDB_INTERNAL, NULL, "unknown plan node %d", p->kind);
  }
  if (rc == TDB_OK) p->actual_rows += TDB_CHUNK_LIVE(*out);
  if (ex->analyze) {
    tdbNowNs(&t1);
    p->actual_ns += t1 - t0;
  }
  return rc;
}

static void tdbPlanFreeState(TdbMem *mem, TdbPlan *p) {
  if (p->hstate) tdbHistoryFree(mem, p);
  if (!p->state) return;
  switch (p->kind) {
    case TDB_PLAN_SCAN:
      tdbScanFree(mem, p->state);
      break;
    case TDB_PLAN_JOIN:
      tdbJoinFree(mem, p);
      break;
    case TDB_PLAN_AGGREGATE:
      tdbAggOpFree(mem, p->state, p->naggs);
      break;
    case TDB_PLAN_DISTINCT:
      tdbHashSetFree(&((TdbDistinctState *)p->state)->seen);
      tdbMemFree(mem, p->state);
      break;
    case TDB_PLAN_SORT:
      tdbRowSetFree(&((TdbSortState *)p->state)->rows, mem);
      tdbMemFree(mem, ((TdbSortState *)p->state)->order);
      tdbMemFree(mem, p->state);
      break;
    case TDB_PLAN_WINDOW:
      tdbWindowFreeState(mem, p);
      break;
    case TDB_PLAN_FILTER:
    case TDB_PLAN_PROJECT:
      tdbMemFree(mem, ((TdbOuterState *)p->state)->shift);
      tdbMemFree(mem, p->state);
      break;
    case TDB_PLAN_SETOP:
    case TDB_PLAN_CTE:
    case TDB_PLAN_CTE_SCAN:
      tdbSetOpFreeState(mem, p);
      break;
    default:
      tdbMemFree(mem, p->state);
      break;
  }
  p->state = NULL;
}

TDB_PRIVATE void tdbPlanClose(TdbExec *ex, TdbPlan *p) {
  if (!p || !p->opened) return;
  p->opened = 0;
  if (tdbPlanOwnsBatch(p) || p->kind == TDB_PLAN_LIMIT) tdbChunkReset(&p->out, ex->mem);
  if (p->kind == TDB_PLAN_SCAN && p->state) {
    tdbScanReset(ex->mem, p->state); /* buffers stay for the next open */
  } else if (p->kind == TDB_PLAN_FILTER || p->kind == TDB_PLAN_PROJECT) {
    /* the state holds nothing of an execution: it stays for the next open */
  } else {
    tdbPlanFreeState(ex->mem, p);
  }
  if (p->kind == TDB_PLAN_SETOP || p->kind == TDB_PLAN_WITH || p->kind == TDB_PLAN_CTE) {
    tdbSetOpPlanClose(ex, p); /* the inputs beside `child` */
  }
  if (p->child) tdbPlanClose(ex, p->child);
  if (p->kind == TDB_PLAN_JOIN && p->right) tdbPlanClose(ex, p->right);
}

/* ---- subqueries ------------------------------------------------------------------- */

/* Run sub's plan for the row of ctx and collect column 0 of its rows: all
** of them (want < 0) or up to `want`. */
static int tdbSubqueryRows(TdbEvalCtx *ctx, TdbPlan *plan, int want, TdbRowSet *rows) {
  TdbExec *ex = ctx->exec;
  int rc = tdbPlanOpen(ex, plan, ctx);
  tdbRowSetInit(rows, 1);
  while (rc == TDB_OK) {
    TdbChunk *b;
    int i, live;
    rc = tdbPlanNext(ex, plan, &b);
    if (rc != TDB_OK) break;
    live = TDB_CHUNK_LIVE(b);
    if (live == 0) break;
    for (i = 0; i < live && rc == TDB_OK; i++) {
      if (want >= 0 && (int)rows->nrows >= want) break;
      if (tdbRowSetAppendBatchRow(rows, ex->mem, b, TDB_CHUNK_ROW(b, i)) != TDB_OK) {
        rc = tdbErrNoMem(ex->err);
      }
    }
    if (want >= 0 && (int)rows->nrows >= want) break;
  }
  tdbPlanClose(ex, plan);
  return rc;
}

/* Membership of v in the set: 1 found, 0 not found, -1 unknown (NULLs). */
static int tdbInSet(TdbEvalCtx *ctx, const TdbPlan *plan, const TdbValue *v, int *result) {
  int i, rc, cmp;
  *result = 0;
  if (plan->cache_n == 0) return TDB_OK;
  if (TDB_VALUE_IS_NULL(v)) {
    *result = -1;
    return TDB_OK;
  }
  for (i = 0; i < plan->cache_n; i++) {
    if (TDB_VALUE_IS_NULL(&plan->cache_set[i])) continue;
    rc = tdbValueCompare(ctx->err, v, &plan->cache_set[i], &cmp);
    if (rc != TDB_OK) return rc;
    if (cmp == 0) {
      *result = 1;
      return TDB_OK;
    }
  }
  *result = plan->cache_null ? -1 : 0;
  return TDB_OK;
}

/* v op ANY|ALL (the set): three-valued. ANY is true when some comparison
** is true, ALL false when some is false; otherwise a NULL on either side
** makes it NULL; over no rows ANY is false and ALL true. */
static int tdbQuantified(TdbEvalCtx *ctx, const TdbExpr *e, const TdbPlan *plan,
                         const TdbValue *v, TdbValue *out) {
  int i, rc, cmp, unknown = 0;
  for (i = 0; i < plan->cache_n; i++) {
    const TdbValue *s = &plan->cache_set[i];
    int t;
    if (TDB_VALUE_IS_NULL(v) || TDB_VALUE_IS_NULL(s)) {
      unknown = 1;
      continue;
    }
    rc = tdbValueCompare(ctx->err, v, s, &cmp);
    if (rc != TDB_OK) return rc;
    switch (e->op) {
      case TDB_OP_EQ: t = cmp == 0; break;
      case TDB_OP_NE: t = cmp != 0; break;
      case TDB_OP_LT: t = cmp < 0; break;
      case TDB_OP_LE: t = cmp <= 0; break;
      case TDB_OP_GT: t = cmp > 0; break;
      default: t = cmp >= 0; break;
    }
    if (t != e->quant_all) { /* ANY: a true one decides; ALL: a false one */
      tdbValueSetBool(out, t);
      return TDB_OK;
    }
  }
  if (unknown) tdbValueSetNull(out);
  else tdbValueSetBool(out, e->quant_all);
  return TDB_OK;
}

TDB_PRIVATE int tdbExecSubquery(TdbEvalCtx *ctx, const TdbExpr *e, TdbValue *out) {
  TdbExec *ex = ctx->exec;
  TdbPlan *plan = e->select ? e->select->plan : NULL;
  int cached, rc = TDB_OK, i;
  TdbRowSet rows;
  tdbValueSetNull(out);
  if (!ex || !plan) {
    return tdbErrSet(ctx->err, TDB_INTERNAL, NULL, "subquery without a plan");
  }
  cached = !e->select->correlated && plan->cache_serial == ex->serial && plan->cache_ok;
  if (!cached) {
    int want = e->kind == TDB_EXPR_EXISTS ? 1 : e->kind == TDB_EXPR_SUBQUERY ? 2 : -1;
    tdbValueClear(ex->mem, &plan->cache_value);
    for (i = 0; i < plan->cache_n; i++) tdbValueClear(ex->mem, &plan->cache_set[i]);
    tdbMemFree(ex->mem, plan->cache_set);
    plan->cache_set = NULL;
    plan->cache_n = 0;
    plan->cache_null = 0;
    plan->cache_ok = 0;
    rc = tdbSubqueryRows(ctx, plan, want, &rows);
    if (rc == TDB_OK) {
      if (e->kind == TDB_EXPR_EXISTS) {
        tdbValueSetBool(&plan->cache_value, rows.nrows > 0);
      } else if (e->kind == TDB_EXPR_SUBQUERY) {
        if (rows.nrows > 1) {
          rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_CARDINALITY,
                         "more than one row returned by a subquery used as an expression");
        } else if (rows.nrows == 1) {
          plan->cache_value = rows.v[0];
          tdbValueSetNull(&rows.v[0]);
        }
      } else {
        plan->cache_set = rows.v; /* take the values */
        plan->cache_n = (int)rows.nrows;
        for (i = 0; i < plan->cache_n; i++) {
          if (TDB_VALUE_IS_NULL(&plan->cache_set[i])) plan->cache_null = 1;
        }
        rows.v = NULL;
        rows.nrows = 0;
      }
    }
    tdbRowSetFree(&rows, ex->mem);
    if (rc != TDB_OK) return rc;
    plan->cache_ok = 1;
    plan->cache_serial = ex->serial;
  }
  if (e->kind == TDB_EXPR_QUANTIFIED) {
    TdbValue v;
    tdbValueSetNull(&v);
    rc = tdbExprEval(ctx, e->left, &v);
    if (rc == TDB_OK) rc = tdbQuantified(ctx, e, plan, &v, out);
    tdbValueClear(ex->mem, &v);
    return rc;
  }
  if (e->kind == TDB_EXPR_IN_SELECT) {
    TdbValue v;
    int found = 0;
    tdbValueSetNull(&v);
    rc = tdbExprEval(ctx, e->left, &v);
    if (rc == TDB_OK) rc = tdbInSet(ctx, plan, &v, &found);
    tdbValueClear(ex->mem, &v);
    if (rc != TDB_OK) return rc;
    if (found < 0) tdbValueSetNull(out);
    else tdbValueSetBool(out, e->negated ? !found : found);
    return TDB_OK;
  }
  /* a copy: the cache changes with the next outer row while this value
  ** may still be in a chunk */
  return tdbValueCopy(ex->mem, out, &plan->cache_value) == TDB_OK ? TDB_OK : tdbErrNoMem(ex->err);
}

/* ---- EXPLAIN -------------------------------------------------------------------- */

static const char *tdbAccessName(TdbAccess a) {
  switch (a) {
    case TDB_ACCESS_FULL: return "full scan";
    case TDB_ACCESS_PK_POINT: return "primary key lookup";
    case TDB_ACCESS_PK_RANGE: return "primary key range";
    case TDB_ACCESS_INDEX_POINT: return "index lookup";
    case TDB_ACCESS_INDEX_RANGE: return "index range";
    case TDB_ACCESS_PK_IN: return "primary key IN lookups";
    case TDB_ACCESS_INDEX_IN: return "index IN lookups";
  }
  return "?";
}

static void tdbExplainNode(TdbStr *out, const TdbPlan *p, int depth, int analyze) {
  int i;
  for (i = 0; i < depth; i++) tdbStrAppendz(out, "  ");
  if (depth > 0) tdbStrAppendz(out, "-> ");
  switch (p->kind) {
    case TDB_PLAN_SCAN:
      tdbStrAppendf(out, "SCAN %s (%s", p->table->name, tdbAccessName(p->access));
      if (p->index) tdbStrAppendf(out, " using %s", p->index->name);
      if (p->access == TDB_ACCESS_PK_POINT || p->access == TDB_ACCESS_INDEX_POINT) {
        tdbStrAppendz(out, ": ");
        for (i = 0; i < p->nkey; i++) {
          if (i) tdbStrAppendz(out, ", ");
          tdbExprToSql(out, p->key[i]);
        }
      } else if (p->access == TDB_ACCESS_PK_IN || p->access == TDB_ACCESS_INDEX_IN) {
        tdbStrAppendf(out, ": %d values", p->in_values->n);
      } else if (p->access != TDB_ACCESS_FULL) {
        tdbStrAppendz(out, ": ");
        if (p->lo) tdbExprToSql(out, p->lo);
        tdbStrAppendz(out, " .. ");
        if (p->hi) tdbExprToSql(out, p->hi);
      }
      tdbStrAppendChar(out, ')');
      if (p->temporal || p->history > 0) tdbStrAppendz(out, " through the history");
      if (p->hist_ordered) tdbStrAppendz(out, " in system-time order for one key");
      break;
    case TDB_PLAN_VIEW: tdbStrAppendf(out, "SCAN %s (catalog view)", p->view->name); break;
    case TDB_PLAN_ONE_ROW: tdbStrAppendz(out, "ONE ROW"); break;
    case TDB_PLAN_FILTER:
      tdbStrAppendz(out, "FILTER ");
      tdbExprToSql(out, p->pred);
      break;
    case TDB_PLAN_JOIN:
      tdbJoinExplain(out, p);
      break;
    case TDB_PLAN_AGGREGATE:
      tdbStrAppendf(out, "AGGREGATE (%d group keys, %d aggregates)",
                    p->group_by ? p->group_by->n : 0, p->naggs);
      break;
    case TDB_PLAN_PROJECT:
      tdbStrAppendf(out, "PROJECT (%d column%s)", p->nexprs, p->nexprs == 1 ? "" : "s");
      break;
    case TDB_PLAN_DISTINCT: tdbStrAppendz(out, "DISTINCT"); break;
    case TDB_PLAN_SORT:
      tdbStrAppendf(out, "SORT (%d keys%s)", p->nsort,
                    p->presorted ? ", skipped when the scan reads one key" : "");
      break;
    case TDB_PLAN_LIMIT: tdbStrAppendz(out, "LIMIT"); break;
    case TDB_PLAN_SETOP:
    case TDB_PLAN_WITH:
    case TDB_PLAN_CTE:
    case TDB_PLAN_CTE_SCAN: tdbSetOpExplain(out, p); break;
    case TDB_PLAN_WINDOW: tdbWindowExplain(out, p); break;
    default: tdbStrAppendz(out, "?"); break;
  }
  tdbStrAppendf(out, "  (rows=%.0f cost=%.1f)", p->est_rows, p->est_cost);
  if (analyze) {
    tdbStrAppendf(out, " (actual rows=%lld loops=%lld time=%.3f ms)", (long long)p->actual_rows,
                  (long long)p->loops, (double)p->actual_ns / 1e6);
  }
  tdbStrAppendChar(out, '\n');
  for (i = 0; p->kind == TDB_PLAN_WITH && i < p->nctes; i++) {
    tdbExplainNode(out, p->ctes[i], depth + 1, analyze);
  }
  if (p->child) tdbExplainNode(out, p->child, depth + 1, analyze);
  if (p->right) tdbExplainNode(out, p->right, depth + 1, analyze);
}

TDB_PRIVATE void tdbPlanExplain(TdbStr *out, const TdbPlan *p, const char *sql, int analyze) {
  (void)sql;
  tdbExplainNode(out, p, 0, analyze);
}
