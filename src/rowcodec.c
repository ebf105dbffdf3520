/*
** rowcodec.c — row version values (format and contracts in rowcodec.h,
** design in docs/sql-storage.md).
**
** The encoder collects small pieces (header, type bytes, varints, fixed
** payloads) in a stack buffer and appends it to the TdbStr in chunks, so a
** row of scalar columns costs one or two appends; byte payloads are appended
** straight from the value.
*/
#include "rowcodec.h"
#include "coding.h"
#include "keycodec.h"

#define TDB_ROW_SCRATCH 256   /* bytes of the encoder's stack buffer */

/* The encoder's stack buffer in front of a TdbStr. */
typedef struct TdbRowWriter {
  TdbStr *out;
  size_t n;
  unsigned char buf[TDB_ROW_SCRATCH];
} TdbRowWriter;

static void tdbRowWriterFlush(TdbRowWriter *w) {
  if (w->n) tdbStrAppend(w->out, (const char *)w->buf, w->n);
  w->n = 0;
}

/* Room for `need` (<= TDB_ROW_SCRATCH) more bytes in the buffer. */
static unsigned char *tdbRowWriterRoom(TdbRowWriter *w, size_t need) {
  if (TDB_ROW_SCRATCH - w->n < need) tdbRowWriterFlush(w);
  return w->buf + w->n;
}

static int tdbRowTypeHasNul(int type) {
  return type == TDB_TYPE_TEXT || type == TDB_TYPE_JSON;
}

/* Check one column for the encoder. TDB_OK or TDB_MISUSE. */
static int tdbRowCheckColumn(const TdbValue *v) {
  if (v->type > TDB_TYPE_VECTOR) return TDB_MISUSE;
  if (TDB_TYPE_HAS_BYTES(v->type)) {
    if (v->n > UINT32_MAX - 1) return TDB_MISUSE;
    if (v->n && !v->u.z) return TDB_MISUSE;
    if (v->type == TDB_TYPE_VECTOR && v->n % 4 != 0) return TDB_MISUSE;
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbRowEncode(TdbStr *out, const TdbRow *row) {
  TdbRowWriter w;
  size_t start = out->n;
  uint32_t i;
  unsigned char *b;
  if (out->oom) return TDB_NOMEM;
  if ((row->flags & ~TDB_ROW_FLAG_MASK) != 0 || row->op < TDB_ROW_OP_INSERT ||
      row->op > TDB_ROW_OP_UNDELETE) {
    return TDB_MISUSE;
  }
  for (i = 0; i < row->ncol; i++) {
    if (tdbRowCheckColumn(&row->col[i]) != TDB_OK) return TDB_MISUSE;
  }
  w.out = out;
  w.n = 0;
  b = w.buf;
  b[0] = row->flags;
  b[1] = row->op;
  tdbKeyPutI64BE(b + 2, row->valid_to);
  w.n = 10 + tdbPutVarint32(b + 10, row->ncol);
  for (i = 0; i < row->ncol; i++) {
    const TdbValue *v = &row->col[i];
    b = tdbRowWriterRoom(&w, 1 + TDB_VARINT64_MAX);
    b[0] = v->type;
    switch (v->type) {
      case TDB_TYPE_NULL:
        w.n += 1;
        break;
      case TDB_TYPE_BOOLEAN:
        b[1] = v->u.i != 0;
        w.n += 2;
        break;
      case TDB_TYPE_INTEGER:
      case TDB_TYPE_TIMESTAMP:
        w.n += 1 + tdbPutVarint64(b + 1, tdbZigzagEncode64(v->u.i));
        break;
      case TDB_TYPE_REAL: {
        uint64_t bits;
        memcpy(&bits, &v->u.r, sizeof bits);
        tdbPutFixed64(b + 1, bits);
        w.n += 9;
        break;
      }
      default: /* TEXT, BLOB, JSON, VECTOR (tdbRowCheckColumn) */
        w.n += 1 + tdbPutVarint32(b + 1, v->n);
        if (v->n <= TDB_ROW_SCRATCH / 4) {
          b = tdbRowWriterRoom(&w, (size_t)v->n + 1);
          if (v->n) memcpy(b, v->u.z, v->n);
          w.n += v->n;
        } else {
          tdbRowWriterFlush(&w);
          tdbStrAppend(out, v->u.z, v->n);
        }
        if (tdbRowTypeHasNul(v->type)) {
          b = tdbRowWriterRoom(&w, 1);
          b[0] = 0;
          w.n += 1;
        }
        break;
    }
  }
  tdbRowWriterFlush(&w);
  if (out->oom) {
    /* TdbStr keeps its old bytes when a growth fails; drop the partial tail. */
    if (out->z && start <= out->n) {
      out->n = start;
      out->z[start] = '\0';
    }
    return TDB_NOMEM;
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbRowDecodeHeader(const unsigned char *p, size_t n, TdbRow *row,
                                   size_t *offset) {
  uint32_t count;
  size_t k;
  if (n < TDB_ROW_HEADER_MIN) return TDB_CORRUPT;
  if ((p[0] & ~TDB_ROW_FLAG_MASK) != 0 || p[1] < TDB_ROW_OP_INSERT ||
      p[1] > TDB_ROW_OP_UNDELETE) {
    return TDB_CORRUPT;
  }
  k = tdbGetVarint32(p + 10, p + n, &count);
  if (k == 0) return TDB_CORRUPT;
  /* Every column takes at least its type byte. */
  if (count > n - 10 - k) return TDB_CORRUPT;
  row->flags = p[0];
  row->op = p[1];
  row->valid_to = tdbKeyGetI64BE(p + 2);
  row->nstored = count;
  *offset = 10 + k;
  return TDB_OK;
}

/* tdbGetVarint64 with the one-byte case (small integers) inline. */
static size_t tdbRowGetVarint64(const unsigned char *p, const unsigned char *end,
                                uint64_t *out) {
  if (p < end && p[0] < 0x80) {
    *out = p[0];
    return 1;
  }
  return tdbGetVarint64(p, end, out);
}

/* Read the column at [p, end) into *out (borrowing; out may be NULL to only
** skip it); *used gets its length. TDB_OK or TDB_CORRUPT. */
static int tdbRowReadColumn(const unsigned char *p, const unsigned char *end,
                            TdbValue *out, size_t *used) {
  int type;
  size_t k;
  if (p >= end) return TDB_CORRUPT;
  type = p[0];
  switch (type) {
    case TDB_TYPE_NULL:
      if (out) tdbValueSetNull(out);
      *used = 1;
      return TDB_OK;
    case TDB_TYPE_BOOLEAN:
      if (end - p < 2 || p[1] > 1) return TDB_CORRUPT;
      if (out) tdbValueSetBool(out, p[1]);
      *used = 2;
      return TDB_OK;
    case TDB_TYPE_INTEGER:
    case TDB_TYPE_TIMESTAMP: {
      uint64_t u;
      k = tdbRowGetVarint64(p + 1, end, &u);
      if (k == 0) return TDB_CORRUPT;
      if (out) {
        if (type == TDB_TYPE_INTEGER) tdbValueSetInt(out, tdbZigzagDecode64(u));
        else tdbValueSetTimestamp(out, tdbZigzagDecode64(u));
      }
      *used = 1 + k;
      return TDB_OK;
    }
    case TDB_TYPE_REAL:
      if (end - p < 9) return TDB_CORRUPT;
      if (out) {
        uint64_t bits = tdbGetFixed64(p + 1);
        double r;
        memcpy(&r, &bits, sizeof r);
        tdbValueSetReal(out, r);
      }
      *used = 9;
      return TDB_OK;
    case TDB_TYPE_TEXT:
    case TDB_TYPE_BLOB:
    case TDB_TYPE_JSON:
    case TDB_TYPE_VECTOR: {
      uint32_t len;
      size_t nul = tdbRowTypeHasNul(type) ? 1 : 0;
      const unsigned char *z;
      k = tdbGetVarint32(p + 1, end, &len);
      if (k == 0 || len > UINT32_MAX - 1) return TDB_CORRUPT;
      z = p + 1 + k;
      if ((size_t)(end - z) < (size_t)len + nul) return TDB_CORRUPT;
      if (nul && z[len] != 0) return TDB_CORRUPT;
      if (type == TDB_TYPE_VECTOR && len % 4 != 0) return TDB_CORRUPT;
      if (out) {
        tdbValueSetNull(out);
        out->type = (uint8_t)type;
        out->n = len;
        out->u.z = (char *)(uintptr_t)z;   /* borrowed: see rowcodec.h */
      }
      *used = 1 + k + len + nul;
      return TDB_OK;
    }
    default:
      return TDB_CORRUPT;
  }
}

static void tdbRowSetAllNull(TdbRow *row) {
  uint32_t i;
  for (i = 0; i < row->ncol; i++) tdbValueSetNull(&row->col[i]);
}

TDB_PRIVATE int tdbRowDecode(const unsigned char *p, size_t n, TdbRow *row) {
  const unsigned char *q, *end = p + n;
  size_t off, used;
  uint32_t i;
  if (tdbRowDecodeHeader(p, n, row, &off) != TDB_OK) goto corrupt;
  q = p + off;
  for (i = 0; i < row->nstored; i++) {
    TdbValue *v = i < row->ncol ? &row->col[i] : NULL;
    if (tdbRowReadColumn(q, end, v, &used) != TDB_OK) goto corrupt;
    q += used;
  }
  if (q != end) goto corrupt;
  for (; i < row->ncol; i++) tdbValueSetNull(&row->col[i]);   /* absent */
  return TDB_OK;
corrupt:
  tdbRowSetAllNull(row);
  return TDB_CORRUPT;
}

TDB_PRIVATE int tdbRowDecodeUpTo(const unsigned char *p, size_t n, uint32_t upto,
                                 TdbRow *row) {
  const unsigned char *q, *end = p + n;
  size_t off, used;
  uint32_t i, stop;
  if (tdbRowDecodeHeader(p, n, row, &off) != TDB_OK) goto corrupt;
  if (upto >= row->nstored) return tdbRowDecode(p, n, row);
  q = p + off;
  stop = TDB_MIN(upto, row->ncol);
  for (i = 0; i < stop; i++) {
    if (tdbRowReadColumn(q, end, &row->col[i], &used) != TDB_OK) goto corrupt;
    q += used;
  }
  for (; i < row->ncol; i++) tdbValueSetNull(&row->col[i]); /* not read, or absent */
  return TDB_OK;
corrupt:
  tdbRowSetAllNull(row);
  return TDB_CORRUPT;
}

TDB_PRIVATE int tdbRowDecodeSlots(const unsigned char *p, size_t n, uint32_t upto,
                                  const int *slot, TdbValue *const *cols, int r, TdbRow *hdr,
                                  int *nbytes) {
  const unsigned char *q, *end = p + n;
  uint32_t i, stop;
  size_t used;
  int nb = 0;
  /* the header, as tdbRowDecodeHeader, with a one-byte column count inline */
  if (n >= TDB_ROW_HEADER_MIN && p[10] < 0x80 && (p[0] & ~TDB_ROW_FLAG_MASK) == 0 &&
      p[1] >= TDB_ROW_OP_INSERT && p[1] <= TDB_ROW_OP_UNDELETE) {
    if (p[10] > n - 11) return TDB_CORRUPT;
    hdr->flags = p[0];
    hdr->op = p[1];
    hdr->valid_to = tdbKeyGetI64BE(p + 2);
    hdr->nstored = p[10];
    q = p + 11;
  } else {
    size_t off;
    if (tdbRowDecodeHeader(p, n, hdr, &off) != TDB_OK) return TDB_CORRUPT;
    q = p + off;
  }
  stop = TDB_MIN(upto, hdr->nstored);
  for (i = 0; i < stop; i++) {
    int sl = slot[i];
    if (end - q >= 4 && q[0] == TDB_TYPE_INTEGER) { /* the common case inline */
      used = tdbRowIntegerAt(q, end, sl >= 0 ? &cols[sl][r] : NULL);
      if (used == 0) return TDB_CORRUPT;
    } else if (sl >= 0) {
      TdbValue *v = &cols[sl][r];
      if (tdbRowReadColumn(q, end, v, &used) != TDB_OK) return TDB_CORRUPT;
      nb += TDB_TYPE_HAS_BYTES(v->type);
    } else {
      if (tdbRowReadColumn(q, end, NULL, &used) != TDB_OK) return TDB_CORRUPT;
    }
    q += used;
  }
  if (upto >= hdr->nstored && q != end) return TDB_CORRUPT;
  *nbytes = nb;
  return TDB_OK;
}

TDB_PRIVATE int tdbRowDecodeCopy(const unsigned char *p, size_t n, TdbMem *mem,
                                 TdbRow *row) {
  uint32_t i, stop;
  int rc = tdbRowDecode(p, n, row);
  if (rc != TDB_OK) return rc;
  stop = TDB_MIN(row->nstored, row->ncol);
  for (i = 0; i < stop; i++) {
    TdbValue *v = &row->col[i];
    if (TDB_TYPE_HAS_BYTES(v->type)) {
      TdbValue borrowed = *v;
      rc = tdbValueCopy(mem, v, &borrowed);
      if (rc != TDB_OK) {
        uint32_t j;
        for (j = 0; j < i; j++) tdbValueClear(mem, &row->col[j]);
        tdbRowSetAllNull(row);
        return rc;
      }
    }
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbRowClear(TdbMem *mem, TdbRow *row) {
  uint32_t i;
  for (i = 0; i < row->ncol; i++) tdbValueClear(mem, &row->col[i]);
}

TDB_PRIVATE int tdbRowColumnAt(const unsigned char *p, size_t n, uint32_t pos,
                               TdbValue *out) {
  TdbRow hdr;
  const unsigned char *q, *end = p + n;
  size_t off, used;
  uint32_t i;
  tdbValueSetNull(out);
  if (tdbRowDecodeHeader(p, n, &hdr, &off) != TDB_OK) return TDB_CORRUPT;
  if (pos >= hdr.nstored) return TDB_NOTFOUND;
  q = p + off;
  for (i = 0; i < pos; i++) {
    if (tdbRowReadColumn(q, end, NULL, &used) != TDB_OK) return TDB_CORRUPT;
    q += used;
  }
  if (tdbRowReadColumn(q, end, out, &used) != TDB_OK) {
    tdbValueSetNull(out);
    return TDB_CORRUPT;
  }
  return TDB_OK;
}
