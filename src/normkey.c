/*
** normkey.c — normalized sort keys and their radix sort (normkey.h).
*/
#include "normkey.h"

#define TDB_NK_SIGN 0x8000000000000000ull
#define TDB_NK_SMALL 48  /* records up to this many: insertion sort */

/* The order-preserving word of a REAL (see normkey.h). */
static uint64_t tdbNkReal(double r) {
  uint64_t x;
  if (r == 0.0) r = 0.0; /* -0.0 -> +0.0 */
  memcpy(&x, &r, sizeof x);
  if (r != r) x = 0x7FF8000000000000ull; /* every NaN -> one NaN, above +Infinity */
  return (x & TDB_NK_SIGN) ? ~x : (x | TDB_NK_SIGN);
}

static int tdbNkFixedType(int type) {
  return type == TDB_TYPE_INTEGER || type == TDB_TYPE_TIMESTAMP || type == TDB_TYPE_BOOLEAN ||
         type == TDB_TYPE_REAL;
}

TDB_PRIVATE void tdbNormKeysFree(TdbMem *mem, TdbNormKeys *nk) {
  tdbMemFree(mem, nk->rec);
  nk->rec = NULL;
  nk->n = 0;
}

TDB_PRIVATE int tdbNormKeysBuild(TdbMem *mem, const TdbRowSet *rows, const TdbSortKey *keys,
                                 int nkeys, TdbNormKeys *nk) {
  int type[TDB_NORMKEY_MAX_WORDS], nulls[TDB_NORMKEY_MAX_WORDS], k, w = 0;
  size_t n = rows->nrows, i;
  memset(nk, 0, sizeof *nk);
  if (nkeys > TDB_NORMKEY_MAX_WORDS) return TDB_NOTFOUND;
  /* qualify each key column: one fixed-width type among its non-NULLs */
  for (k = 0; k < nkeys; k++) {
    int col = keys[k].column;
    type[k] = TDB_TYPE_NULL;
    nulls[k] = 0;
    for (i = 0; i < n; i++) {
      int t = tdbRowSetRow(rows, i)[col].type;
      if (t == TDB_TYPE_NULL) nulls[k] = 1;
      else if (t != type[k]) {
        if (type[k] != TDB_TYPE_NULL || !tdbNkFixedType(t)) return TDB_NOTFOUND;
        type[k] = t;
      }
    }
    nk->first[k] = w;
    w += 1 + nulls[k];
    if (w > TDB_NORMKEY_MAX_WORDS) return TDB_NOTFOUND;
  }
  nk->first[nkeys] = w;
  nk->nkeys = nkeys;
  nk->nw = w;
  nk->stride = w + 1;
  nk->n = n;
  nk->rec = tdbMemAlloc(mem, sizeof(uint64_t) * (size_t)nk->stride * (n ? n : 1));
  if (!nk->rec) {
    nk->n = 0;
    return TDB_NOMEM;
  }
  for (i = 0; i < n; i++) {
    const TdbValue *row = tdbRowSetRow(rows, i);
    uint64_t *r = nk->rec + i * (size_t)nk->stride;
    for (k = 0; k < nkeys; k++) {
      const TdbValue *v = &row[keys[k].column];
      uint64_t *kw = r + nk->first[k];
      if (nulls[k]) {
        int isnull = v->type == TDB_TYPE_NULL;
        *kw++ = (uint64_t)(keys[k].nulls_first ? !isnull : isnull);
        if (isnull) {
          *kw = 0;
          continue;
        }
      }
      *kw = type[k] == TDB_TYPE_REAL ? tdbNkReal(v->u.r) : (uint64_t)v->u.i ^ TDB_NK_SIGN;
      if (keys[k].desc) *kw = ~*kw;
    }
    r[w] = (uint64_t)i;
  }
  return TDB_OK;
}

/* Lexicographic comparison of the key words of two records. */
static int tdbNkCompare(const uint64_t *a, const uint64_t *b, int nw) {
  int k;
  for (k = 0; k < nw; k++) {
    if (a[k] != b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}

/* Stable insertion sort of the records (small inputs). */
static void tdbNkInsertionSort(TdbNormKeys *nk) {
  size_t i, j, s = (size_t)nk->stride;
  uint64_t tmp[TDB_NORMKEY_MAX_WORDS + 1];
  for (i = 1; i < nk->n; i++) {
    uint64_t *r = nk->rec + i * s;
    if (tdbNkCompare(r - s, r, nk->nw) <= 0) continue;
    memcpy(tmp, r, sizeof(uint64_t) * s);
    for (j = i; j > 0 && tdbNkCompare(nk->rec + (j - 1) * s, tmp, nk->nw) > 0; j--) {
      memcpy(nk->rec + j * s, nk->rec + (j - 1) * s, sizeof(uint64_t) * s);
    }
    memcpy(nk->rec + j * s, tmp, sizeof(uint64_t) * s);
  }
}

/* LSD radix sort by the bytes that vary; TDB_OK or TDB_NOMEM. */
static int tdbNkRadixSort(TdbMem *mem, TdbNormKeys *nk) {
  size_t n = nk->n, s = (size_t)nk->stride, i, *count;
  uint64_t lo[TDB_NORMKEY_MAX_WORDS], hi[TDB_NORMKEY_MAX_WORDS], *src = nk->rec, *dst;
  int nw = nk->nw, w, b, npos = 0, pos[TDB_NORMKEY_MAX_WORDS * 8], p;
  /* which bytes differ between records: the AND and OR of every word */
  for (w = 0; w < nw; w++) lo[w] = hi[w] = src[w];
  for (i = 1; i < n; i++) {
    const uint64_t *r = src + i * s;
    for (w = 0; w < nw; w++) {
      lo[w] &= r[w];
      hi[w] |= r[w];
    }
  }
  for (w = nw - 1; w >= 0; w--) { /* least significant byte first */
    uint64_t diff = lo[w] ^ hi[w];
    for (b = 0; b < 8; b++) {
      if ((diff >> (8 * b)) & 0xFF) pos[npos++] = w * 8 + b; /* word w, shift 8 * b */
    }
  }
  if (npos == 0) return TDB_OK; /* all keys equal: already in (stable) order */
  count = tdbMemAllocZero(mem, sizeof(size_t) * 256 * (size_t)npos);
  dst = tdbMemAlloc(mem, sizeof(uint64_t) * s * n);
  if (!count || !dst) {
    tdbMemFree(mem, count);
    tdbMemFree(mem, dst);
    return TDB_NOMEM;
  }
  /* all histograms in one pass */
  for (i = 0; i < n; i++) {
    const uint64_t *r = src + i * s;
    for (p = 0; p < npos; p++) {
      count[(size_t)p * 256 + ((r[pos[p] / 8] >> (8 * (pos[p] % 8))) & 0xFF)]++;
    }
  }
  for (p = 0; p < npos; p++) {
    size_t *c = count + (size_t)p * 256, sum = 0, t;
    int word = pos[p] / 8, shift = 8 * (pos[p] % 8);
    uint64_t *swap;
    for (b = 0; b < 256; b++) {
      t = c[b];
      c[b] = sum;
      sum += t;
    }
    if (s == 3) { /* the common shape: two key words */
      for (i = 0; i < n; i++) {
        const uint64_t *r = src + i * 3;
        uint64_t *d = dst + c[(r[word] >> shift) & 0xFF]++ * 3;
        d[0] = r[0];
        d[1] = r[1];
        d[2] = r[2];
      }
    } else {
      for (i = 0; i < n; i++) {
        const uint64_t *r = src + i * s;
        memcpy(dst + c[(r[word] >> shift) & 0xFF]++ * s, r, sizeof(uint64_t) * s);
      }
    }
    swap = src;
    src = dst;
    dst = swap;
  }
  nk->rec = src;
  tdbMemFree(mem, dst);
  tdbMemFree(mem, count);
  return TDB_OK;
}

TDB_PRIVATE int tdbNormKeysSort(TdbMem *mem, TdbNormKeys *nk, size_t *order) {
  size_t i, s = (size_t)nk->stride;
  if (nk->n <= TDB_NK_SMALL) tdbNkInsertionSort(nk);
  else if (tdbNkRadixSort(mem, nk) != TDB_OK) return TDB_NOMEM;
  for (i = 0; i < nk->n; i++) order[i] = (size_t)nk->rec[i * s + (size_t)nk->nw];
  return TDB_OK;
}

TDB_PRIVATE int tdbNormKeysEqual(const TdbNormKeys *nk, size_t i, size_t j, int k) {
  const uint64_t *a = nk->rec + i * (size_t)nk->stride, *b = nk->rec + j * (size_t)nk->stride;
  int w, end = nk->first[k];
  for (w = 0; w < end; w++) {
    if (a[w] != b[w]) return 0;
  }
  return 1;
}
