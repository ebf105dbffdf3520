/*
** normkey.c — normalized sort keys and their radix sort (normkey.h).
*/
#include "normkey.h"

#define TDB_NK_SIGN 0x8000000000000000ull
#define TDB_NK_SMALL 48  /* records up to this many: insertion sort */

/* The layout of the key words of one row set (before packing). */
typedef struct TdbNkLayout {
  const TdbRowSet *rows;
  const TdbSortKey *keys;
  int nkeys, nw;
  int type[TDB_NORMKEY_MAX_WORDS];   /* per key: the type of its non-NULLs */
  int nulls[TDB_NORMKEY_MAX_WORDS];  /* per key: it has a NULL (a NULL word) */
  int first[TDB_NORMKEY_MAX_WORDS + 1];
} TdbNkLayout;

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

/* The key words of row i into w[0..nw). */
static void tdbNkWords(const TdbNkLayout *l, size_t i, uint64_t *w) {
  const TdbValue *row = tdbRowSetRow(l->rows, i);
  int k;
  for (k = 0; k < l->nkeys; k++) {
    const TdbValue *v = &row[l->keys[k].column];
    uint64_t *kw = w + l->first[k];
    if (l->nulls[k]) {
      int isnull = v->type == TDB_TYPE_NULL;
      *kw++ = (uint64_t)(l->keys[k].nulls_first ? !isnull : isnull);
      if (isnull) {
        *kw = 0;
        continue;
      }
    }
    *kw = l->type[k] == TDB_TYPE_REAL ? tdbNkReal(v->u.r) : (uint64_t)v->u.i ^ TDB_NK_SIGN;
    if (l->keys[k].desc) *kw = ~*kw;
  }
}

TDB_PRIVATE void tdbNormKeysFree(TdbMem *mem, TdbNormKeys *nk) {
  tdbMemFree(mem, nk->rec);
  nk->rec = NULL;
  nk->n = 0;
}

TDB_PRIVATE int tdbNormKeysBuild(TdbMem *mem, const TdbRowSet *rows, const TdbSortKey *keys,
                                 int nkeys, TdbNormKeys *nk) {
  TdbNkLayout l;
  uint64_t w[TDB_NORMKEY_MAX_WORDS], lo[TDB_NORMKEY_MAX_WORDS], hi[TDB_NORMKEY_MAX_WORDS];
  int wpos[TDB_NORMKEY_MAX_WORDS * 8], shift[TDB_NORMKEY_MAX_WORDS * 8];
  int k, q, nb = 0;
  size_t n = rows->nrows, i, last;
  memset(nk, 0, sizeof *nk);
  if (nkeys > TDB_NORMKEY_MAX_WORDS) return TDB_NOTFOUND;
  l.rows = rows;
  l.keys = keys;
  l.nkeys = nkeys;
  l.nw = 0;
  /* qualify each key column: one fixed-width type among its non-NULLs */
  for (k = 0; k < nkeys; k++) {
    int col = keys[k].column;
    l.type[k] = TDB_TYPE_NULL;
    l.nulls[k] = 0;
    for (i = 0; i < n; i++) {
      int t = tdbRowSetRow(rows, i)[col].type;
      if (t == TDB_TYPE_NULL) l.nulls[k] = 1;
      else if (t != l.type[k]) {
        if (l.type[k] != TDB_TYPE_NULL || !tdbNkFixedType(t)) return TDB_NOTFOUND;
        l.type[k] = t;
      }
    }
    l.first[k] = l.nw;
    l.nw += 1 + l.nulls[k];
    if (l.nw > TDB_NORMKEY_MAX_WORDS) return TDB_NOTFOUND;
  }
  l.first[nkeys] = l.nw;
  /* the bytes that vary: where the AND and the OR of all rows differ */
  for (k = 0; k < l.nw; k++) {
    lo[k] = ~0ull;
    hi[k] = 0;
  }
  for (i = 0; i < n; i++) {
    tdbNkWords(&l, i, w);
    for (k = 0; k < l.nw; k++) {
      lo[k] &= w[k];
      hi[k] |= w[k];
    }
  }
  for (k = 0; k < nkeys; k++) {
    int j, b;
    nk->prefix[k] = nb;
    for (j = l.first[k]; j < l.first[k + 1]; j++) {
      for (b = 56; b >= 0; b -= 8) {
        if (((lo[j] ^ hi[j]) >> b) & 0xFF) {
          wpos[nb] = j;
          shift[nb++] = b;
        }
      }
    }
  }
  nk->prefix[nkeys] = nb;
  nk->nkeys = nkeys;
  nk->nbytes = nb;
  for (last = n ? n - 1 : 0, nk->rbytes = 1; last > 0xFF; last >>= 8) nk->rbytes++;
  nk->stride = (nb + nk->rbytes + 7) / 8;
  nk->n = n;
  nk->rec = tdbMemAllocZero(mem, sizeof(uint64_t) * (size_t)nk->stride * (n ? n : 1));
  if (!nk->rec) {
    nk->n = 0;
    return TDB_NOMEM;
  }
  /* pack: the varying key bytes from the top, the row number at the bottom */
  for (i = 0; i < n; i++) {
    uint64_t *r = nk->rec + i * (size_t)nk->stride;
    tdbNkWords(&l, i, w);
    for (q = 0; q < nb; q++) {
      r[q >> 3] |= ((w[wpos[q]] >> shift[q]) & 0xFF) << (56 - 8 * (q & 7));
    }
    r[nk->stride - 1] |= (uint64_t)i; /* i < 2^(8 * rbytes): the low bytes */
  }
  return TDB_OK;
}

/* The row number of a record. */
static size_t tdbNkRow(const TdbNormKeys *nk, const uint64_t *r) {
  uint64_t mask = nk->rbytes >= 8 ? ~0ull : (1ull << (8 * nk->rbytes)) - 1;
  return (size_t)(r[nk->stride - 1] & mask);
}

/* Lexicographic comparison of two whole records. */
static int tdbNkCompare(const uint64_t *a, const uint64_t *b, int stride) {
  int k;
  for (k = 0; k < stride; k++) {
    if (a[k] != b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}

/* Insertion sort of the records (small inputs; row numbers break ties). */
static void tdbNkInsertionSort(TdbNormKeys *nk) {
  size_t i, j, s = (size_t)nk->stride;
  uint64_t tmp[TDB_NORMKEY_MAX_WORDS + 2];
  for (i = 1; i < nk->n; i++) {
    uint64_t *r = nk->rec + i * s;
    if (tdbNkCompare(r - s, r, nk->stride) <= 0) continue;
    memcpy(tmp, r, sizeof(uint64_t) * s);
    for (j = i; j > 0 && tdbNkCompare(nk->rec + (j - 1) * s, tmp, nk->stride) > 0; j--) {
      memcpy(nk->rec + j * s, nk->rec + (j - 1) * s, sizeof(uint64_t) * s);
    }
    memcpy(nk->rec + j * s, tmp, sizeof(uint64_t) * s);
  }
}

/* LSD radix sort by the key bytes; TDB_OK or TDB_NOMEM. */
static int tdbNkRadixSort(TdbMem *mem, TdbNormKeys *nk) {
  size_t n = nk->n, s = (size_t)nk->stride, i, *count;
  uint64_t *src = nk->rec, *dst;
  int nb = nk->nbytes, q, b;
  if (nb == 0) return TDB_OK; /* all keys equal: already in (row) order */
  count = tdbMemAllocZero(mem, sizeof(size_t) * 256 * (size_t)nb);
  dst = tdbMemAlloc(mem, sizeof(uint64_t) * s * n);
  if (!count || !dst) {
    tdbMemFree(mem, count);
    tdbMemFree(mem, dst);
    return TDB_NOMEM;
  }
  /* all histograms in one pass */
  for (i = 0; i < n; i++) {
    const uint64_t *r = src + i * s;
    for (q = 0; q < nb; q++) count[(size_t)q * 256 + ((r[q >> 3] >> (56 - 8 * (q & 7))) & 0xFF)]++;
  }
  for (q = nb - 1; q >= 0; q--) { /* least significant byte first */
    size_t *c = count + (size_t)q * 256, sum = 0, t;
    int word = q >> 3, sh = 56 - 8 * (q & 7);
    uint64_t *swap;
    for (b = 0; b < 256; b++) {
      t = c[b];
      c[b] = sum;
      sum += t;
    }
    if (s == 1) { /* the common shape: one word per record */
      for (i = 0; i < n; i++) dst[c[(src[i] >> sh) & 0xFF]++] = src[i];
    } else {
      for (i = 0; i < n; i++) {
        const uint64_t *r = src + i * s;
        memcpy(dst + c[(r[word] >> sh) & 0xFF]++ * s, r, sizeof(uint64_t) * s);
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
  for (i = 0; i < nk->n; i++) order[i] = tdbNkRow(nk, nk->rec + i * s);
  return TDB_OK;
}

TDB_PRIVATE int tdbNormKeysEqual(const TdbNormKeys *nk, size_t i, size_t j, int k) {
  const uint64_t *a = nk->rec + i * (size_t)nk->stride, *b = nk->rec + j * (size_t)nk->stride;
  int len = nk->prefix[k], w;
  for (w = 0; w < len >> 3; w++) {
    if (a[w] != b[w]) return 0;
  }
  if (len & 7) {
    uint64_t mask = ~0ull << (64 - 8 * (len & 7));
    if ((a[w] ^ b[w]) & mask) return 0;
  }
  return 1;
}
