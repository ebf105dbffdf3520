/*
** rows.c — row keys, index keys and row values of tables (rows.h).
*/
#include "rows.h"
#include "keycodec.h"
#include "rowcodec.h"
#include "expr.h"

TDB_PRIVATE void tdbRowKeyPrefix(TdbStr *out, int keyspace, uint32_t table_id) {
  unsigned char b[5];
  b[0] = (unsigned char)keyspace;
  tdbKeyPutU32BE(b + 1, table_id);
  tdbStrAppend(out, (const char *)b, 5);
}

TDB_PRIVATE int tdbRowKeyAppendPk(TdbStr *out, const TdbTableDef *t, const TdbValue *vals,
                                  int64_t rowid) {
  int k, rc;
  if (t->npk == 0) {
    TdbValue v;
    tdbValueSetInt(&v, rowid);
    return tdbKeyEncodeValue(out, &v);
  }
  for (k = 0; k < t->npk; k++) {
    rc = tdbKeyEncodeValue(out, &vals[t->pk[k]]);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbIndexKey(TdbStr *out, const TdbIndexDef *ix, const TdbValue *vals,
                            const char *rowkey, size_t rowkey_len) {
  int k, rc;
  tdbRowKeyPrefix(out, TDB_KEYSPACE_INDEX, ix->id);
  for (k = 0; k < ix->ncols; k++) {
    rc = tdbKeyEncodeValue(out, &vals[ix->col[k]]);
    if (rc != TDB_OK) return rc;
  }
  tdbStrAppend(out, rowkey + 5, rowkey_len - 5);
  return out->oom ? TDB_NOMEM : TDB_OK;
}

TDB_PRIVATE int tdbRowValue(TdbStr *out, const TdbTableDef *t, const TdbValue *vals, int flags,
                            int op, int64_t valid_to) {
  TdbValue stack[32], *slots = stack;
  TdbRow row;
  uint32_t n = t->next_pos, i;
  int c, rc;
  if (n > 32) {
    slots = tdbMemAlloc(out->mem, sizeof(TdbValue) * n);
    if (!slots) return TDB_NOMEM;
  }
  for (i = 0; i < n; i++) tdbValueSetNull(&slots[i]);
  for (c = 0; c < t->ncols; c++) {
    slots[t->cols[c].pos] = vals[c];
    slots[t->cols[c].pos].owned = 0;
  }
  row.flags = (uint8_t)flags;
  row.op = (uint8_t)op;
  row.valid_to = valid_to;
  row.ncol = n;
  row.col = slots;
  row.nstored = n;
  rc = tdbRowEncode(out, &row);
  if (slots != stack) tdbMemFree(out->mem, slots);
  return rc;
}

TDB_PRIVATE int tdbCurrentValue(const unsigned char *v, size_t n, int64_t *valid_from,
                                const unsigned char **row, size_t *row_len) {
  if (n < 8 + TDB_ROW_HEADER_MIN) return TDB_CORRUPT;
  *valid_from = tdbKeyGetI64BE(v);
  *row = v + 8;
  *row_len = n - 8;
  return TDB_OK;
}

/* Hand one row version to fn: a current row (history 0: key k of 0x03,
** value valid_from | version) or a history piece (history 1: key k of
** 0x04 ending in valid_from, value the version; REMOVED markers skipped). */
static int tdbPieceVisit(tdb *db, const TdbTableDef *t, int history, const unsigned char *k,
                         size_t kn, const unsigned char *v, size_t vn, TdbValue *slots,
                         uint32_t nslots, TdbValue *vals, const TdbValue *defaults,
                         TdbPieceFn fn, void *ctx) {
  const unsigned char *rv = v;
  size_t rn = vn, pkn;
  TdbRow row;
  TdbPiece piece;
  int c;
  if (history) {
    if (kn < 5 + 1 + 8) goto corrupt;
    piece.valid_from = tdbKeyGetI64BE(k + kn - 8);
    pkn = kn - 8;
  } else {
    if (kn < 5 + 1 || tdbCurrentValue(v, vn, &piece.valid_from, &rv, &rn) != TDB_OK) goto corrupt;
    pkn = kn;
  }
  row.col = slots;
  row.ncol = nslots;
  if (tdbRowDecode(rv, rn, &row) != TDB_OK) {
    return tdbErrSet(&db->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT,
                     "a row of table %s does not decode", t->name);
  }
  if (row.flags & TDB_ROW_FLAG_REMOVED) return TDB_OK;
  for (c = 0; c < t->ncols; c++) {
    uint32_t pos = t->cols[c].pos;
    if (TDB_ROW_ABSENT(&row, pos)) {
      if (defaults) vals[c] = defaults[c];
      else tdbValueSetNull(&vals[c]);
    } else {
      vals[c] = slots[pos];
    }
    vals[c].owned = 0;
  }
  piece.key = k;
  piece.key_len = kn;
  piece.valid_to = row.valid_to;
  piece.flags = row.flags;
  piece.vals = vals;
  piece.rowid = 0;
  if (t->npk == 0 && pkn == 5 + 9) piece.rowid = tdbKeyGetI64BE(k + 6);
  return fn(ctx, &piece);
corrupt:
  return tdbErrSet(&db->err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT, "a row of table %s is damaged",
                   t->name);
}

TDB_PRIVATE int tdbTableDefaults(TdbMem *mem, TdbErr *err, int64_t now, const TdbTableDef *t,
                                 TdbValue *out) {
  TdbEvalCtx ctx;
  int i, rc = TDB_OK;
  memset(&ctx, 0, sizeof ctx);
  ctx.mem = mem;
  ctx.err = err;
  ctx.now_micros = now;
  for (i = 0; i < t->ncols; i++) tdbValueSetNull(&out[i]);
  for (i = 0; i < t->ncols && rc == TDB_OK; i++) {
    TdbValue v;
    int type = t->cols[i].type;
    if (!t->cols[i].dflt) continue;
    tdbValueSetNull(&v);
    rc = tdbExprEval(&ctx, t->cols[i].dflt, &v);
    if (rc == TDB_OK && v.type == TDB_TYPE_INTERVAL) {
      rc = tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_FEATURE,
                     "INTERVAL values cannot be stored (the default of column \"%s\")",
                     t->cols[i].name);
    } else if (rc == TDB_OK) {
      if (!TDB_VALUE_IS_NULL(&v) && type != TDB_TYPE_NULL && v.type != type) {
        rc = tdbValueCast(mem, err, &v, type, &out[i]);
      } else if (tdbValueCopy(mem, &out[i], &v) != TDB_OK) {
        rc = tdbErrNoMem(err);
      }
    }
    tdbValueClear(mem, &v);
  }
  if (rc != TDB_OK) tdbTableDefaultsClear(mem, t, out);
  return rc;
}

TDB_PRIVATE void tdbTableDefaultsClear(TdbMem *mem, const TdbTableDef *t, TdbValue *vals) {
  int i;
  for (i = 0; vals && i < t->ncols; i++) tdbValueClear(mem, &vals[i]);
}

/* Every key under prefix in the working state (the head with the
** transaction's pending writes) handed to fn as a piece: current rows
** (history 0) or history pieces of exactly prefix + valid_from (history 1). */
static int tdbPiecesScan(tdb *db, const TdbTableDef *t, int history, const TdbStr *prefix,
                         TdbValue *slots, uint32_t nslots, TdbValue *vals,
                         const TdbValue *defaults, TdbPieceFn fn, void *ctx) {
  TdbDbIter *it = NULL;
  int rc = tdbTxnIter(db, 0, &it);
  if (rc != TDB_OK) return rc;
  for (tdbDbIterSeek(it, prefix->z, prefix->n); tdbDbIterValid(it); tdbDbIterNext(it)) {
    size_t kn, vn;
    const unsigned char *k = tdbDbIterKey(it, &kn);
    const unsigned char *v = tdbDbIterValue(it, &vn);
    if (kn < prefix->n || memcmp(k, prefix->z, prefix->n) != 0) break;
    if (history && kn != prefix->n + 8) continue; /* another key with this prefix */
    rc = tdbPieceVisit(db, t, history, k, kn, v, vn, slots, nslots, vals, defaults, fn, ctx);
    if (rc != TDB_OK) break; /* fn's answer (it set any error) */
  }
  if (rc == TDB_OK && (rc = tdbDbIterStatus(it)) != TDB_OK) {
    rc = tdbErrSet(&db->err, rc, NULL, "reading table %s failed", t->name);
  }
  tdbDbIterFree(it);
  return rc;
}

TDB_PRIVATE int tdbTableForEach(tdb *db, const TdbTableDef *t, const char *pk, size_t pk_len,
                                const TdbValue *defaults, TdbPieceFn fn, void *ctx) {
  TdbStr prefix;
  TdbValue *slots = NULL, *vals = NULL;
  uint32_t nslots = t->next_pos ? t->next_pos : 1;
  int rc;
  tdbStrInit(&prefix, &db->mem);
  tdbRowKeyPrefix(&prefix, TDB_KEYSPACE_ROWS, t->id);
  if (pk) tdbStrAppend(&prefix, pk, pk_len);
  if (prefix.oom) {
    rc = tdbErrNoMem(&db->err);
    goto done;
  }
  if (pk) {
    /* one key: a point read (the decoding buffers only when it is there) */
    TdbStr v;
    int found = 0;
    tdbStrInit(&v, &db->mem);
    rc = tdbTxnGet(db, 0, prefix.z, prefix.n, &v, &found);
    if (rc == TDB_OK && found) {
      slots = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * nslots);
      vals = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * (size_t)t->ncols);
      if (!slots || !vals) rc = tdbErrNoMem(&db->err);
    }
    if (rc == TDB_OK && found) {
      rc = tdbPieceVisit(db, t, 0, (const unsigned char *)prefix.z, prefix.n,
                         (const unsigned char *)v.z, v.n, slots, nslots, vals, defaults, fn, ctx);
    }
    tdbStrClear(&v);
    goto done;
  }
  slots = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * nslots);
  vals = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * (size_t)t->ncols);
  if (!slots || !vals) {
    rc = tdbErrNoMem(&db->err);
    goto done;
  }
  rc = tdbPiecesScan(db, t, 0, &prefix, slots, nslots, vals, defaults, fn, ctx);
done:
  tdbStrClear(&prefix);
  tdbMemFree(&db->mem, slots);
  tdbMemFree(&db->mem, vals);
  return rc;
}

TDB_PRIVATE int tdbKeyPiecesForEach(tdb *db, const TdbTableDef *t, const char *pk, size_t pk_len,
                                    const TdbValue *defaults, TdbPieceFn fn, void *ctx) {
  TdbStr prefix;
  TdbValue *slots = NULL, *vals = NULL;
  uint32_t nslots = t->next_pos ? t->next_pos : 1;
  int rc;
  tdbStrInit(&prefix, &db->mem);
  tdbRowKeyPrefix(&prefix, TDB_KEYSPACE_HISTORY, t->id);
  tdbStrAppend(&prefix, pk, pk_len);
  slots = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * nslots);
  vals = tdbMemAllocZero(&db->mem, sizeof(TdbValue) * (size_t)t->ncols);
  if (prefix.oom || !slots || !vals) {
    rc = tdbErrNoMem(&db->err);
    goto done;
  }
  rc = tdbPiecesScan(db, t, 1, &prefix, slots, nslots, vals, defaults, fn, ctx);
done:
  tdbStrClear(&prefix);
  tdbMemFree(&db->mem, slots);
  tdbMemFree(&db->mem, vals);
  return rc;
}
