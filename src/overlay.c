/*
** overlay.c — a transaction's pending writes by key: adding a statement's
** ops, cutting back to a savepoint, the commit batch (see overlay.h).
*/
#include "overlay.h"
#include "ikey.h"

/* ---- adding a statement's ops ------------------------------------------------------------ */

typedef struct TdbOverlayFill {
  TdbMemtable *overlay;
  uint64_t base;  /* seq of the batch's op 0 */
} TdbOverlayFill;

static int tdbOverlayAddOp(void *ctx, const TdbBatchOp *op, uint32_t pos) {
  const TdbOverlayFill *f = ctx;
  return tdbMemtableAdd(f->overlay, f->base + pos, op->kind, op->key, op->klen, op->value,
                        op->vlen);
}

TDB_PRIVATE int tdbOverlayAdd(TdbMem *mem, TdbMemtable **overlay, uint64_t *next_seq,
                              const TdbBatch *b) {
  TdbOverlayFill f;
  int rc;
  if (b->oom) return TDB_NOMEM;
  if (b->count == 0) return TDB_OK;
  if (!*overlay) {
    *overlay = tdbMemtableNew(mem);
    if (!*overlay) return TDB_NOMEM;
  }
  /* seqs only move up (a savepoint's mark stays valid) */
  if (*next_seq < TDB_IKEY_PENDING_SEQ) *next_seq = TDB_IKEY_PENDING_SEQ;
  /* 2^40 pending seqs: a transaction would run out of memory long before */
  if (b->count > TDB_IKEY_MAX_SEQ - *next_seq) return TDB_TOOBIG;
  f.overlay = *overlay;
  f.base = *next_seq;
  /* key order (a key's ops oldest first: each at its own, higher seq), so
  ** the skiplist's finger makes the inserts cheap */
  rc = tdbBatchForEachByKey(b, tdbOverlayAddOp, &f);
  if (rc == TDB_MISUSE) rc = TDB_TOOBIG; /* a seq or kind out of range: cannot */
  if (rc != TDB_OK) return rc;
  *next_seq += b->count;
  return TDB_OK;
}

/* ---- cutting back to a mark -------------------------------------------------------------- */

TDB_PRIVATE int tdbOverlayCut(TdbMem *mem, TdbMemtable **overlay, uint64_t *next_seq,
                              uint64_t mark) {
  TdbMemtable *old = *overlay, *kept;
  TdbMemtableIter it;
  int rc = TDB_OK;
  if (!old) return TDB_OK;
  if (mark <= TDB_IKEY_PENDING_SEQ) { /* nothing stays */
    tdbMemtableUnref(old);
    *overlay = NULL;
    *next_seq = TDB_IKEY_PENDING_SEQ;
    return TDB_OK;
  }
  kept = tdbMemtableNew(mem);
  if (!kept) return TDB_NOMEM;
  /* in internal-key order: ascending, as the finger wants */
  tdbMemtableIterInit(&it, old);
  for (tdbMemtableIterSeekToFirst(&it); rc == TDB_OK && tdbMemtableIterValid(&it);
       tdbMemtableIterNext(&it)) {
    TdbIkeyParsed v;
    const unsigned char *ikey, *value;
    size_t n, vlen;
    ikey = tdbMemtableIterKey(&it, &n);
    if (tdbIkeyDecode(ikey, n, &v) != TDB_OK) { /* written by tdbMemtableAdd: cannot */
      rc = TDB_CORRUPT;
      break;
    }
    if (v.seq >= mark) continue;
    value = tdbMemtableIterValue(&it, &vlen);
    rc = tdbMemtableAdd(kept, v.seq, v.kind, v.user_key, v.user_len, value, vlen);
  }
  if (rc != TDB_OK) {
    tdbMemtableFree(kept);
    return rc == TDB_CORRUPT ? TDB_CORRUPT : TDB_NOMEM;
  }
  tdbMemtableUnref(old);
  if (tdbMemtableCount(kept) == 0) {
    tdbMemtableFree(kept);
    kept = NULL;
  }
  *overlay = kept;
  *next_seq = mark;
  return TDB_OK;
}

/* ---- the commit batch -------------------------------------------------------------------- */

TDB_PRIVATE int tdbOverlayCommitBatch(TdbMemtable *overlay, TdbBatch *out) {
  TdbMemtableIter it;
  const unsigned char *last_key = NULL;
  size_t last_len = 0;
  int rc = TDB_OK;
  if (!overlay) return TDB_OK;
  /* the overlay's arena bounds the batch: every op is there with an 8-byte
  ** tag and a node on top; the untouched rest of the reservation costs no
  ** memory until it is given back */
  rc = tdbBatchReserve(out, tdbMemtableApproximateBytes(overlay));
  if (rc != TDB_OK) return rc;
  tdbMemtableIterInit(&it, overlay);
  for (tdbMemtableIterSeekToFirst(&it); rc == TDB_OK && tdbMemtableIterValid(&it);
       tdbMemtableIterNext(&it)) {
    TdbIkeyParsed v;
    const unsigned char *ikey, *value;
    size_t n, vlen;
    ikey = tdbMemtableIterKey(&it, &n);
    if (tdbIkeyDecode(ikey, n, &v) != TDB_OK) return TDB_CORRUPT; /* cannot */
    /* newest first within a key: its first version is its last write */
    if (last_key && tdbIkeyCompareUser(last_key, last_len, v.user_key, v.user_len) == 0) {
      continue;
    }
    last_key = v.user_key;
    last_len = v.user_len;
    if (v.kind == TDB_KIND_DELETE) {
      rc = tdbBatchDelete(out, v.user_key, v.user_len);
    } else {
      value = tdbMemtableIterValue(&it, &vlen);
      rc = tdbBatchPut(out, v.user_key, v.user_len, value, vlen);
    }
  }
  if (rc == TDB_OK) tdbBatchShrink(out);
  return rc;
}
