/*
** stats.c — table statistics for the planner (stats.h): ANALYZE gathers
** them, the statistics keyspace (0x06) keeps them, the planner turns them
** into row estimates.
**
** Per table: the number of current rows. Per column: distinct non-NULL
** values, NULLs, and an equi-depth histogram of up to TDB_STATS_BUCKETS
** buckets (the boundary values of the sorted non-NULL values).
**
** Gathering is one pass in bounded memory. Distinct values are counted
** exactly up to TDB_STATS_EXACT_DISTINCT per column, then estimated by a
** HyperLogLog sketch (hll.h, 0.81 % standard error) that saw every value
** from the start. The histogram comes from every value up to
** TDB_STATS_SAMPLE values per column, beyond that from a uniform reservoir
** sample of that many (a fixed-seed generator: the same data gives the
** same statistics).
**
**   key    0x06 | table id (u32 BE)
**   value  varint rows | varint ncols | per column:
**            varint position | varint distinct | varint nulls |
**            varint nbounds | row-codec value of the nbounds bounds
**            (rowcodec.h, as a row of nbounds columns)
*/
#include "stats.h"
#include "binder.h"
#include "coding.h"
#include "hashset.h"
#include "hll.h"
#include "keycodec.h"
#include "rowcodec.h"
#include "rows.h"

TDB_PRIVATE void tdbStatsFree(TdbMem *mem, TdbTableStats *st) {
  int c, i;
  if (!st) return;
  for (c = 0; c < st->ncols; c++) {
    for (i = 0; i < st->cols[c].nbounds; i++) tdbValueClear(mem, &st->cols[c].bounds[i]);
    tdbMemFree(mem, st->cols[c].bounds);
  }
  tdbMemFree(mem, st->cols);
  tdbMemFree(mem, st);
}

/* ---- gathering -------------------------------------------------------------- */

typedef struct TdbGather {
  tdb *db;
  const TdbTableDef *t;
  int64_t cvt, rows;
  TdbHashSet *distinct;   /* per column, until it passes TDB_STATS_EXACT_DISTINCT */
  int *estimated;         /* per column: distinct is too many, the sketch counts */
  TdbHll *sketch;         /* per column: every non-NULL value */
  int64_t *nulls;
  TdbRowSet *values;      /* per column: the histogram's values (the sample) */
  int64_t *ordered;       /* per column: non-NULL values of an order seen */
  uint64_t rng;           /* xorshift64 state of the reservoir */
  TdbStr key;
} TdbGather;

static int tdbGatherRow(void *ctx, const TdbPiece *piece) {
  TdbGather *g = ctx;
  int c;
  if (piece->valid_from > g->cvt || piece->valid_to <= g->cvt ||
      (piece->flags & TDB_ROW_FLAG_TOMBSTONE)) {
    return TDB_OK;
  }
  g->rows++;
  for (c = 0; c < g->t->ncols; c++) {
    const TdbValue *v = &piece->vals[c];
    TdbValue *slot;
    uint32_t id;
    if (TDB_VALUE_IS_NULL(v)) {
      g->nulls[c]++;
      continue;
    }
    if (tdbHllAdd(&g->db->mem, &g->sketch[c], tdbHashValue(v)) != TDB_OK)
      return tdbErrNoMem(&g->db->err);
    if (!g->estimated[c]) {
      g->key.n = 0;
      tdbStrAppendChar(&g->key, (char)v->type);
      if (TDB_TYPE_HAS_BYTES(v->type)) tdbStrAppend(&g->key, v->u.z, v->n);
      else tdbStrAppend(&g->key, (const char *)&v->u, sizeof v->u);
      if (g->key.oom ||
          tdbHashSetFind(&g->distinct[c], g->key.z, g->key.n, 1, &id, NULL) != TDB_OK) {
        return tdbErrNoMem(&g->db->err);
      }
      if (g->distinct[c].count > TDB_STATS_EXACT_DISTINCT) { /* the sketch takes over */
        g->estimated[c] = 1;
        tdbHashSetFree(&g->distinct[c]);
        tdbHashSetInit(&g->distinct[c], &g->db->mem);
      }
    }
    if (v->type == TDB_TYPE_JSON || v->type == TDB_TYPE_VECTOR) continue; /* no order */
    g->ordered[c]++;
    if (g->values[c].nrows < TDB_STATS_SAMPLE) {
      slot = tdbRowSetAdd(&g->values[c], &g->db->mem);
    } else { /* reservoir: the n-th value replaces a random one with p = SAMPLE/n */
      uint64_t x = g->rng;
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      g->rng = x;
      x %= (uint64_t)g->ordered[c];
      if (x >= TDB_STATS_SAMPLE) continue;
      slot = &g->values[c].v[x];
      tdbValueClear(&g->db->mem, slot);
    }
    if (!slot || tdbValueCopy(&g->db->mem, slot, v) != TDB_OK) return tdbErrNoMem(&g->db->err);
  }
  return TDB_OK;
}

/* A total order over values of any types (an untyped column may mix
** them): numbers by value, else by type, then within the type. */
static int tdbStatsCompare(TdbErr *err, const TdbValue *a, const TdbValue *b, int *cmp) {
  int na = TDB_TYPE_IS_NUMERIC(a->type), nb = TDB_TYPE_IS_NUMERIC(b->type);
  if (a->type != b->type && !(na && nb)) {
    *cmp = (na ? TDB_TYPE_INTEGER : a->type) < (nb ? TDB_TYPE_INTEGER : b->type) ? -1 : 1;
    return TDB_OK;
  }
  return tdbValueCompare(err, a, b, cmp);
}

/* Sort values with tdbStatsCompare: a bottom-up merge sort. */
static int tdbSortValues(TdbMem *mem, TdbErr *err, TdbValue *v, size_t n) {
  size_t width, i;
  TdbValue *tmp = tdbMemAlloc(mem, sizeof(TdbValue) * (n + 1));
  if (!tmp) return tdbErrNoMem(err);
  for (width = 1; width < n; width *= 2) {
    for (i = 0; i < n; i += 2 * width) {
      size_t lo = i, mid = TDB_MIN(i + width, n), hi = TDB_MIN(i + 2 * width, n);
      size_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi) {
        int cmp = 0;
        if (tdbStatsCompare(err, &v[a], &v[b], &cmp) != TDB_OK) {
          tdbMemFree(mem, tmp);
          return err->code;
        }
        tmp[k++] = cmp <= 0 ? v[a++] : v[b++];
      }
      while (a < mid) tmp[k++] = v[a++];
      while (b < hi) tmp[k++] = v[b++];
    }
    memcpy(v, tmp, sizeof(TdbValue) * n);
  }
  tdbMemFree(mem, tmp);
  return TDB_OK;
}

TDB_PRIVATE int tdbStatsGather(tdb *db, const TdbTableDef *t, int64_t cvt, TdbTableStats **out) {
  TdbGather g;
  TdbTableStats *st = NULL;
  int c, rc;
  *out = NULL;
  memset(&g, 0, sizeof g);
  g.db = db;
  g.t = t;
  g.cvt = cvt;
  tdbStrInit(&g.key, &db->mem);
  g.rng = UINT64_C(0x9E3779B97F4A7C15) ^ t->id; /* nonzero: xorshift state */
  g.distinct = tdbMemAllocZero(&db->mem, sizeof *g.distinct * (size_t)t->ncols);
  g.estimated = tdbMemAllocZero(&db->mem, sizeof *g.estimated * (size_t)t->ncols);
  g.sketch = tdbMemAllocZero(&db->mem, sizeof *g.sketch * (size_t)t->ncols);
  g.nulls = tdbMemAllocZero(&db->mem, sizeof *g.nulls * (size_t)t->ncols);
  g.values = tdbMemAllocZero(&db->mem, sizeof *g.values * (size_t)t->ncols);
  g.ordered = tdbMemAllocZero(&db->mem, sizeof *g.ordered * (size_t)t->ncols);
  st = tdbMemAllocZero(&db->mem, sizeof *st);
  if (st) st->cols = tdbMemAllocZero(&db->mem, sizeof *st->cols * (size_t)t->ncols);
  if (!g.distinct || !g.estimated || !g.sketch || !g.nulls || !g.values || !g.ordered || !st ||
      !st->cols) {
    rc = tdbErrNoMem(&db->err);
    goto done;
  }
  st->ncols = t->ncols;
  for (c = 0; c < t->ncols; c++) {
    tdbHashSetInit(&g.distinct[c], &db->mem);
    tdbHllInit(&g.sketch[c]);
    tdbRowSetInit(&g.values[c], 1);
  }
  rc = tdbTableForEach(db, t, NULL, 0, NULL, tdbGatherRow, &g);
  st->rows = g.rows;
  for (c = 0; rc == TDB_OK && c < t->ncols; c++) {
    TdbColumnStats *cs = &st->cols[c];
    size_t n = g.values[c].nrows, b;
    cs->pos = t->cols[c].pos;
    cs->distinct = g.estimated[c] ? tdbHllEstimate(&g.sketch[c]) : (int64_t)g.distinct[c].count;
    cs->nulls = g.nulls[c];
    if (n == 0) continue;
    rc = tdbSortValues(&db->mem, &db->err, g.values[c].v, n);
    if (rc != TDB_OK) break;
    cs->nbounds = (int)TDB_MIN((size_t)TDB_STATS_BUCKETS + 1, n);
    cs->bounds = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * (size_t)cs->nbounds);
    if (!cs->bounds) {
      cs->nbounds = 0;
      rc = tdbErrNoMem(&db->err);
      break;
    }
    for (b = 0; b < (size_t)cs->nbounds; b++) {
      size_t at = cs->nbounds == 1 ? 0 : b * (n - 1) / (size_t)(cs->nbounds - 1);
      if (tdbValueCopy(&db->mem, &cs->bounds[b], &g.values[c].v[at]) != TDB_OK) {
        rc = tdbErrNoMem(&db->err);
        break;
      }
    }
  }
done:
  for (c = 0; g.distinct && c < t->ncols; c++) tdbHashSetFree(&g.distinct[c]);
  for (c = 0; g.sketch && c < t->ncols; c++) tdbHllClear(&db->mem, &g.sketch[c]);
  for (c = 0; g.values && c < t->ncols; c++) tdbRowSetFree(&g.values[c], &db->mem);
  tdbMemFree(&db->mem, g.distinct);
  tdbMemFree(&db->mem, g.estimated);
  tdbMemFree(&db->mem, g.sketch);
  tdbMemFree(&db->mem, g.nulls);
  tdbMemFree(&db->mem, g.values);
  tdbMemFree(&db->mem, g.ordered);
  tdbStrClear(&g.key);
  if (rc != TDB_OK) {
    tdbStatsFree(&db->mem, st);
    return rc;
  }
  *out = st;
  return TDB_OK;
}

/* ---- encoding ----------------------------------------------------------------- */

static void tdbStatsPutVar(TdbStr *out, uint64_t v) {
  unsigned char buf[10];
  tdbStrAppend(out, (const char *)buf, tdbPutVarint64(buf, v));
}

TDB_PRIVATE int tdbStatsKey(TdbStr *out, uint32_t table_id) {
  tdbStrAppendChar(out, (char)TDB_KEYSPACE_STATS);
  return tdbKeyEncodeU32BE(out, table_id);
}

TDB_PRIVATE int tdbStatsEncode(TdbStr *out, const TdbTableStats *st) {
  int c, rc;
  tdbStatsPutVar(out, (uint64_t)st->rows);
  tdbStatsPutVar(out, (uint64_t)st->ncols);
  for (c = 0; c < st->ncols; c++) {
    const TdbColumnStats *cs = &st->cols[c];
    TdbStr row;
    TdbRow r;
    tdbStatsPutVar(out, cs->pos);
    tdbStatsPutVar(out, (uint64_t)cs->distinct);
    tdbStatsPutVar(out, (uint64_t)cs->nulls);
    tdbStatsPutVar(out, (uint64_t)cs->nbounds);
    memset(&r, 0, sizeof r);
    r.op = TDB_ROW_OP_INSERT;
    r.ncol = (uint32_t)cs->nbounds;
    r.col = cs->bounds;
    tdbStrInit(&row, out->mem);
    rc = tdbRowEncode(&row, &r);
    if (rc == TDB_OK) {
      tdbStatsPutVar(out, row.n);
      tdbStrAppend(out, row.z ? row.z : "", row.n);
    }
    tdbStrClear(&row);
    if (rc != TDB_OK) return rc;
  }
  return out->oom ? TDB_NOMEM : TDB_OK;
}

/* Decode stats of t from v[0..n): TDB_OK, TDB_CORRUPT, TDB_NOMEM. Columns
** that no longer exist are dropped; new ones have no statistics. */
static int tdbStatsDecode(TdbMem *mem, const TdbTableDef *t, const unsigned char *p, size_t n,
                          TdbTableStats **out) {
  const unsigned char *end = p + n;
  TdbTableStats *st = tdbMemAllocZero(mem, sizeof *st);
  uint64_t rows, ncols, i;
  size_t used;
  int rc = TDB_CORRUPT;
  *out = NULL;
  if (!st) return TDB_NOMEM;
  st->cols = tdbMemAllocZero(mem, sizeof *st->cols * (size_t)(t->ncols + 1));
  if (!st->cols) goto fail_nomem;
  st->ncols = t->ncols;
  for (i = 0; i < (uint64_t)t->ncols; i++) st->cols[i].pos = t->cols[i].pos;
  if (!(used = tdbGetVarint64(p, end, &rows))) goto fail;
  p += used;
  if (!(used = tdbGetVarint64(p, end, &ncols))) goto fail;
  p += used;
  st->rows = (int64_t)rows;
  for (i = 0; i < ncols; i++) {
    uint64_t pos, distinct, nulls, nbounds, len;
    TdbColumnStats *cs = NULL;
    TdbRow r;
    int c;
    if (!(used = tdbGetVarint64(p, end, &pos))) goto fail;
    p += used;
    if (!(used = tdbGetVarint64(p, end, &distinct))) goto fail;
    p += used;
    if (!(used = tdbGetVarint64(p, end, &nulls))) goto fail;
    p += used;
    if (!(used = tdbGetVarint64(p, end, &nbounds))) goto fail;
    p += used;
    if (!(used = tdbGetVarint64(p, end, &len))) goto fail;
    p += used;
    if (len > (uint64_t)(end - p) || nbounds > TDB_STATS_BUCKETS + 1) goto fail;
    for (c = 0; c < t->ncols; c++) {
      if (t->cols[c].pos == pos) cs = &st->cols[c];
    }
    if (cs && nbounds > 0) {
      cs->bounds = tdbMemAllocZero(mem, sizeof(TdbValue) * (size_t)nbounds);
      if (!cs->bounds) goto fail_nomem;
      r.col = cs->bounds;
      r.ncol = (uint32_t)nbounds;
      rc = tdbRowDecodeCopy(p, (size_t)len, mem, &r);
      if (rc != TDB_OK) goto fail;
      cs->nbounds = (int)nbounds;
    }
    if (cs) {
      cs->distinct = (int64_t)distinct;
      cs->nulls = (int64_t)nulls;
    }
    p += len;
  }
  if (p != end) goto fail;
  *out = st;
  return TDB_OK;
fail_nomem:
  rc = TDB_NOMEM;
fail:
  tdbStatsFree(mem, st);
  return rc == TDB_NOMEM ? TDB_NOMEM : TDB_CORRUPT;
}

TDB_PRIVATE int tdbStatsLoadAt(TdbCatalog *cat, TdbStore *store, uint64_t as_of,
                               struct TdbMemtable *pending, TdbErr *err) {
  TdbDbIter *it = NULL;
  unsigned char prefix = TDB_KEYSPACE_STATS;
  int rc = tdbStoreIterWith(store, as_of, pending, err, &it);
  if (rc != TDB_OK) return rc;
  for (tdbDbIterSeek(it, &prefix, 1); tdbDbIterValid(it); tdbDbIterNext(it)) {
    size_t kn, vn;
    const unsigned char *k = tdbDbIterKey(it, &kn);
    const unsigned char *v = tdbDbIterValue(it, &vn);
    TdbTableDef *t;
    TdbTableStats *st;
    if (kn == 0 || k[0] != TDB_KEYSPACE_STATS) break;
    if (kn != 5) continue;
    t = tdbCatalogTableById(cat, tdbKeyGetU32BE(k + 1));
    if (!t) continue; /* a dropped table */
    rc = tdbStatsDecode(cat->mem, t, v, vn, &st);
    if (rc == TDB_NOMEM) {
      tdbDbIterFree(it);
      return tdbErrNoMem(err);
    }
    if (rc != TDB_OK) continue; /* statistics only guide the planner: ignore bad ones */
    tdbStatsFree(cat->mem, t->stats);
    t->stats = st;
    t->stat_rows = st->rows > 0 ? st->rows : 1;
  }
  rc = tdbDbIterStatus(it);
  tdbDbIterFree(it);
  return rc == TDB_OK ? TDB_OK : tdbErrSet(err, rc, NULL, "reading statistics failed");
}

/* ---- estimates ---------------------------------------------------------------- */

/* Fraction of the histogram of cs at or below v (0..1), or -1 unknown. */
static double tdbHistFraction(const TdbColumnStats *cs, const TdbValue *v) {
  TdbErr err;
  TdbMem mem;
  int k, cmp, below = 0;
  if (cs->nbounds < 2) return -1;
  tdbMemInit(&mem, NULL);
  tdbErrInit(&err, &mem);
  for (k = 0; k < cs->nbounds; k++) {
    if (tdbValueCompare(&err, &cs->bounds[k], v, &cmp) != TDB_OK) {
      tdbErrClear(&err);
      return -1;
    }
    if (cmp <= 0) below = k;
  }
  tdbErrClear(&err);
  if (tdbValueCompare(&err, &cs->bounds[0], v, &cmp) == TDB_OK && cmp > 0) {
    tdbErrClear(&err);
    return 0;
  }
  tdbErrClear(&err);
  if (below + 1 < cs->nbounds && TDB_TYPE_IS_NUMERIC(v->type) &&
      TDB_TYPE_IS_NUMERIC(cs->bounds[below].type) && TDB_TYPE_IS_NUMERIC(cs->bounds[below + 1].type)) {
    /* numbers: interpolate inside the bucket */
    double x = v->type == TDB_TYPE_REAL ? v->u.r : (double)v->u.i;
    const TdbValue *lo = &cs->bounds[below], *hi = &cs->bounds[below + 1];
    double from = lo->type == TDB_TYPE_REAL ? lo->u.r : (double)lo->u.i;
    double to = hi->type == TDB_TYPE_REAL ? hi->u.r : (double)hi->u.i;
    double part = to > from ? (x - from) / (to - from) : 0;
    if (part < 0) part = 0;
    if (part > 1) part = 1;
    return ((double)below + part) / (double)(cs->nbounds - 1);
  }
  return (double)below / (double)(cs->nbounds - 1);
}

TDB_PRIVATE double tdbStatsSelectivity(const TdbTableDef *t, int col, int op,
                                       const TdbExpr *value) {
  const TdbColumnStats *cs;
  double f;
  if (!t->stats || col < 0 || col >= t->stats->ncols) {
    return op == TDB_OP_EQ ? 0.1 : 0.33;
  }
  cs = &t->stats->cols[col];
  if (op == TDB_OP_EQ) return cs->distinct > 0 ? 1.0 / (double)cs->distinct : 0.0;
  if (!value || value->kind != TDB_EXPR_LITERAL) return 0.33;
  f = tdbHistFraction(cs, &value->value);
  if (f < 0) return 0.33;
  if (op == TDB_OP_LT || op == TDB_OP_LE) return TDB_MAX(f, 0.001);
  return TDB_MAX(1.0 - f, 0.001);
}
