/*
** dml_piece.c — the writes of valid-time pieces and the checks of keys
** (dml.h; TEMPORAL.md §1.6, §1.12).
**
** Writes of one piece [vf, vt) of a key, all into the statement's batch:
**
**   new piece      put 0x04 | t | pk | vf -> version; if vt = +inf also put
**                  0x03 | t | pk -> vf | version, and its index entries when
**                  it is live (not a tombstone)
**   remove piece   put 0x04 | t | pk | vf -> REMOVED; if it was open-ended,
**                  delete its 0x03 key and index entries
**   split piece    (UPDATE and friends over a portion o) the parts of the
**                  piece before and after o become pieces of their own
**
**   piece v  [vf ...................................... vt)
**   portion          [of ............ ot)
**   result   [vf, of) v's content  |  o: new content  |  [ot, vt) v's content
**            (key vf: a new version)   (the caller)     (key ot: a new key)
**
** A key is written several times in one batch (removed, then given its
** new content); the last operation wins. The primary key is unique over
** valid time: a new piece must not overlap any piece of its key in W (live
** or tombstone) that the statement has not removed, nor one it added.
*/
#include "dml.h"
#include "keycodec.h"
#include "rowcodec.h"
#include "rows.h"

TDB_PRIVATE void tdbDmlInit(TdbDml *d, tdb_stmt *st, TdbTableDef *t) {
  memset(d, 0, sizeof *d);
  d->st = st;
  d->db = st->db;
  d->t = t;
  d->ex = &st->exec;
  d->width = tdbScanWidth(t);
  d->op = TDB_ROW_OP_INSERT;
  d->pa = INT64_MIN;
  d->pb = INT64_MAX;
  d->bound = d->ex->current_bound;
  d->boundary = INT64_MIN;
  d->note_added = 1;
  tdbBatchInit(&d->batch, &d->db->mem);
  tdbHashSetInit(&d->removed, &d->db->mem);
  tdbHashSetInit(&d->added_pk, &d->db->mem);
  tdbHashSetInit(&d->added_uniq, &d->db->mem);
  tdbStrInit(&d->key2, &d->db->mem);
  tdbStrInit(&d->val, &d->db->mem);
  tdbStrInit(&d->oldkey, &d->db->mem);
  tdbStrInit(&d->newkey, &d->db->mem);
  tdbRowSetInit(&d->targets, d->width);
  tdbRowSetInit(&d->news, d->width);
  if (st->dml_keep) { /* the buffers of the last execution, empty */
    TdbDmlKeep *k = st->dml_keep;
    d->batch = k->batch;
    d->removed = k->removed;
    d->added_pk = k->added_pk;
    d->added_uniq = k->added_uniq;
    d->added_last = k->added_last;
    d->cap_last = k->cap_last;
    d->added = k->added;
    d->cap_added = k->cap_added;
    d->key2 = k->key2;
    d->val = k->val;
    d->oldkey = k->oldkey;
    d->newkey = k->newkey;
    if (k->targets.ncols == d->width) d->targets = k->targets;
    else tdbRowSetFree(&k->targets, &d->db->mem); /* the table changed */
    if (k->news.ncols == d->width) d->news = k->news;
    else tdbRowSetFree(&k->news, &d->db->mem);
    memset(k, 0, sizeof *k);
  }
}

/* Give a string back to the keep: emptied when small, else freed (it stays
** usable, empty, with its TdbMem). */
static void tdbDmlKeepStr(TdbStr *from, TdbStr *to) {
  if (from->cap <= TDB_DML_KEEP_BYTES && !from->oom) tdbStrEmpty(from);
  else tdbStrClear(from);
  *to = *from;
}

/* Free everything a keep holds (its struct stays). */
static void tdbDmlKeepRelease(TdbMem *mem, TdbDmlKeep *k) {
  tdbBatchFree(&k->batch);
  tdbHashSetFree(&k->removed);
  tdbHashSetFree(&k->added_pk);
  tdbHashSetFree(&k->added_uniq);
  tdbMemFree(mem, k->added_last);
  tdbMemFree(mem, k->added);
  tdbStrClear(&k->key2);
  tdbStrClear(&k->val);
  tdbStrClear(&k->oldkey);
  tdbStrClear(&k->newkey);
  tdbRowSetFree(&k->targets, mem);
  tdbRowSetFree(&k->news, mem);
}

static void tdbDmlKeepSet(TdbMem *mem, TdbHashSet *from, TdbHashSet *to) {
  if (tdbHashSetBytes(from) <= TDB_DML_KEEP_BYTES) {
    tdbHashSetClear(from);
    *to = *from;
  } else {
    tdbHashSetFree(from);
    tdbHashSetInit(to, mem);
  }
}

static void tdbDmlKeepRows(TdbMem *mem, TdbRowSet *from, TdbRowSet *to) {
  tdbRowSetClear(from, mem);
  if (from->cap * sizeof(TdbValue) * (size_t)(from->ncols ? from->ncols : 1) <= TDB_DML_KEEP_BYTES) {
    *to = *from;
  } else {
    tdbRowSetFree(from, mem);
    tdbRowSetInit(to, from->ncols);
  }
}

TDB_PRIVATE void tdbDmlFree(TdbDml *d) {
  TdbMem *mem = &d->db->mem;
  TdbDmlKeep *k = d->st->dml_keep, spare;
  tdbTableDefaultsClear(mem, d->t, d->defaults);
  tdbMemFree(mem, d->defaults);
  if (!k) k = d->st->dml_keep = tdbMemAllocZero(mem, sizeof *k);
  if (!k) { /* no memory for a keep: hand the buffers to one that is freed */
    memset(&spare, 0, sizeof spare);
    k = &spare;
  }
  tdbBatchClear(&d->batch);
  if (d->batch.cap > TDB_DML_KEEP_BYTES) tdbBatchFree(&d->batch);
  k->batch = d->batch;
  /* added_last is kept all zero: clear the entries of the keys added */
  if (d->added_last) memset(d->added_last, 0, sizeof(uint32_t) * TDB_MIN(d->cap_last, d->added_pk.count));
  if (d->cap_last * sizeof(uint32_t) <= TDB_DML_KEEP_BYTES) {
    k->added_last = d->added_last;
    k->cap_last = d->cap_last;
  } else {
    tdbMemFree(mem, d->added_last);
  }
  if (d->cap_added * sizeof(TdbDmlAdded) <= TDB_DML_KEEP_BYTES) {
    k->added = d->added;
    k->cap_added = d->cap_added;
  } else {
    tdbMemFree(mem, d->added);
  }
  tdbDmlKeepSet(mem, &d->removed, &k->removed);
  tdbDmlKeepSet(mem, &d->added_pk, &k->added_pk);
  tdbDmlKeepSet(mem, &d->added_uniq, &k->added_uniq);
  tdbDmlKeepStr(&d->key2, &k->key2);
  tdbDmlKeepStr(&d->val, &k->val);
  tdbDmlKeepStr(&d->oldkey, &k->oldkey);
  tdbDmlKeepStr(&d->newkey, &k->newkey);
  tdbDmlKeepRows(mem, &d->targets, &k->targets);
  tdbDmlKeepRows(mem, &d->news, &k->news);
  if (k == &spare) tdbDmlKeepRelease(mem, &spare);
}

TDB_PRIVATE void tdbDmlKeepFree(tdb_stmt *st) {
  TdbMem *mem = &st->db->mem;
  TdbDmlKeep *k = st->dml_keep;
  if (!k) return;
  tdbDmlKeepRelease(mem, k);
  tdbMemFree(mem, k);
  st->dml_keep = NULL;
}

TDB_PRIVATE int tdbDmlRowKey(TdbDml *d, TdbStr *out, const TdbValue *row) {
  const TdbTableDef *t = d->t;
  int64_t rowid = 0;
  int rc;
  out->n = 0;
  if (t->npk == 0) rowid = row[tdbScanPseudo(t, TDB_PSEUDO_ROWID)].u.i;
  tdbRowKeyPrefix(out, TDB_KEYSPACE_ROWS, t->id);
  rc = tdbRowKeyAppendPk(out, t, row, rowid);
  if (rc == TDB_OK && out->oom) rc = TDB_NOMEM;
  if (rc == TDB_NOMEM) return tdbErrNoMem(&d->db->err);
  if (rc != TDB_OK) {
    return tdbErrSet(&d->db->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                     "a key value of table %s cannot be stored", t->name);
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbDmlPieceTimes(const TdbDml *d, const TdbValue *row, int64_t *vf,
                                  int64_t *vt) {
  const TdbValue *f = &row[tdbScanPseudo(d->t, TDB_PSEUDO_VALID_FROM)];
  const TdbValue *t = &row[tdbScanPseudo(d->t, TDB_PSEUDO_VALID_TO)];
  *vf = TDB_VALUE_IS_NULL(f) ? INT64_MIN : f->u.i;
  *vt = TDB_VALUE_IS_NULL(t) ? INT64_MAX : t->u.i;
}

TDB_PRIVATE void tdbDmlSetTimes(const TdbDml *d, TdbValue *row, int64_t vf, int64_t vt) {
  TdbValue *f = &row[tdbScanPseudo(d->t, TDB_PSEUDO_VALID_FROM)];
  TdbValue *to = &row[tdbScanPseudo(d->t, TDB_PSEUDO_VALID_TO)];
  if (vf == INT64_MIN) tdbValueSetNull(f);
  else tdbValueSetInt(f, vf);
  if (vt == INT64_MAX) tdbValueSetNull(to);
  else tdbValueSetInt(to, vt);
}

TDB_PRIVATE int tdbDmlPieceFlags(const TdbDml *d, const TdbValue *row) {
  const TdbValue *del = &row[tdbScanPseudo(d->t, TDB_PSEUDO_IS_DELETED)];
  return del->type == TDB_TYPE_BOOLEAN && del->u.i ? TDB_ROW_FLAG_TOMBSTONE : 0;
}

/* The history key of the piece of rowkey starting at vf, into d->key2. */
static int tdbDmlHistoryKey(TdbDml *d, const char *rowkey, size_t kn, int64_t vf) {
  unsigned char from[8];
  tdbKeyPutI64BE(from, vf);
  d->key2.n = 0;
  tdbStrAppend(&d->key2, rowkey, kn);
  tdbStrAppend(&d->key2, (const char *)from, 8);
  if (d->key2.oom) return tdbErrNoMem(&d->db->err);
  d->key2.z[0] = TDB_KEYSPACE_HISTORY;
  return TDB_OK;
}

/* ---- writes ----------------------------------------------------------------------- */

/* Put or delete the index entries of a piece. */
static int tdbDmlIndexEntries(TdbDml *d, const char *k, size_t kn, const TdbValue *vals, int put) {
  int i, rc;
  for (i = 0; i < d->t->nindexes; i++) {
    d->key2.n = 0;
    rc = tdbIndexKey(&d->key2, d->t->indexes[i], vals, k, kn);
    if (rc == TDB_NOMEM) return tdbErrNoMem(&d->db->err);
    if (rc != TDB_OK) {
      return tdbErrSet(&d->db->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATATYPE_MISMATCH,
                       "index \"%s\": a JSON or VECTOR value cannot be indexed",
                       d->t->indexes[i]->name);
    }
    rc = put ? tdbBatchPut(&d->batch, d->key2.z, d->key2.n, "", 0)
             : tdbBatchDelete(&d->batch, d->key2.z, d->key2.n);
    if (rc != TDB_OK) return tdbErrNoMem(&d->db->err);
  }
  return TDB_OK;
}

/* Remember the piece [vf, vt) added to the key of rowkey, and the unique
** index values of an open-ended live one. */
static int tdbDmlNoteAdded(TdbDml *d, const TdbValue *row, const char *rowkey, size_t kn,
                           int flags, int64_t vf, int64_t vt) {
  const TdbTableDef *t = d->t;
  uint32_t id;
  int i, k;
  if (!d->note_added) return TDB_OK; /* a one-row INSERT: nothing to check against */
  if (t->npk > 0) {
    if (tdbHashSetFind(&d->added_pk, rowkey + 5, kn - 5, 1, &id, NULL) != TDB_OK) {
      return tdbErrNoMem(&d->db->err);
    }
    if (id >= d->cap_last) {
      size_t cap = d->cap_last ? d->cap_last * 2 : 64;
      uint32_t *nl;
      while (cap <= id) cap *= 2;
      nl = tdbMemRealloc(&d->db->mem, d->added_last, sizeof(uint32_t) * cap);
      if (!nl) return tdbErrNoMem(&d->db->err);
      memset(nl + d->cap_last, 0, sizeof(uint32_t) * (cap - d->cap_last));
      d->added_last = nl;
      d->cap_last = cap;
    }
    if (d->nadded == d->cap_added) {
      size_t cap = d->cap_added ? d->cap_added * 2 : 64;
      TdbDmlAdded *na = tdbMemRealloc(&d->db->mem, d->added, sizeof(TdbDmlAdded) * cap);
      if (!na) return tdbErrNoMem(&d->db->err);
      d->added = na;
      d->cap_added = cap;
    }
    d->added[d->nadded].vf = vf;
    d->added[d->nadded].vt = vt;
    d->added[d->nadded].next = d->added_last[id];
    d->added_last[id] = (uint32_t)++d->nadded;
  }
  if (vt != INT64_MAX || (flags & TDB_ROW_FLAG_TOMBSTONE)) return TDB_OK;
  for (i = 0; i < t->nindexes; i++) {
    const TdbIndexDef *ix = t->indexes[i];
    int has_null = 0;
    if (!ix->unique) continue;
    for (k = 0; k < ix->ncols; k++) has_null |= TDB_VALUE_IS_NULL(&row[ix->col[k]]);
    if (has_null) continue;
    d->key2.n = 0;
    tdbRowKeyPrefix(&d->key2, TDB_KEYSPACE_INDEX, ix->id);
    for (k = 0; k < ix->ncols; k++) tdbKeyEncodeValue(&d->key2, &row[ix->col[k]]);
    if (d->key2.oom || tdbHashSetFind(&d->added_uniq, d->key2.z, d->key2.n, 1, &id, NULL) != TDB_OK) {
      return tdbErrNoMem(&d->db->err);
    }
  }
  return TDB_OK;
}

/* Put the row version [vf, vt) under its history key (rowkey | vf), and
** with `current` under the current row key too. */
static int tdbDmlPutVersion(TdbDml *d, const char *rowkey, size_t kn, const TdbValue *vals,
                            int flags, int64_t vf, int64_t vt, int current) {
  unsigned char from[8];
  int rc;
  d->val.n = 0;
  tdbKeyPutI64BE(from, vf);
  tdbStrAppend(&d->val, (const char *)from, 8); /* a current value starts with valid_from */
  rc = tdbRowValue(&d->val, d->t, vals, flags, d->op, vt);
  if (rc != TDB_OK) return rc == TDB_NOMEM ? tdbErrNoMem(&d->db->err)
                                           : tdbErrSet(&d->db->err, rc, NULL, "row encoding failed");
  if (d->val.oom) return tdbErrNoMem(&d->db->err);
  if (current && tdbBatchPut(&d->batch, rowkey, kn, d->val.z, d->val.n) != TDB_OK) {
    return tdbErrNoMem(&d->db->err);
  }
  rc = tdbDmlHistoryKey(d, rowkey, kn, vf);
  if (rc != TDB_OK) return rc;
  if (tdbBatchPut(&d->batch, d->key2.z, d->key2.n, d->val.z + 8, d->val.n - 8) != TDB_OK) {
    return tdbErrNoMem(&d->db->err);
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbDmlPutPiece(TdbDml *d, const char *rowkey, size_t kn, const TdbValue *row,
                               int flags, int64_t vf, int64_t vt) {
  int open = vt == INT64_MAX, rc;
  rc = tdbDmlPutVersion(d, rowkey, kn, row, flags, vf, vt, open);
  if (rc == TDB_OK && open && !(flags & TDB_ROW_FLAG_TOMBSTONE)) {
    rc = tdbDmlIndexEntries(d, rowkey, kn, row, 1);
  }
  if (rc == TDB_OK) rc = tdbDmlNoteAdded(d, row, rowkey, kn, flags, vf, vt);
  return rc;
}

TDB_PRIVATE int tdbDmlSplit(TdbDml *d, const char *rowkey, size_t kn, const TdbValue *vals,
                            int flags, int64_t vf, int64_t vt, int64_t of, int64_t ot) {
  uint32_t id;
  int rc = tdbDmlHistoryKey(d, rowkey, kn, vf);
  if (rc != TDB_OK) return rc;
  if (tdbHashSetFind(&d->removed, d->key2.z, d->key2.n, 1, &id, NULL) != TDB_OK) {
    return tdbErrNoMem(&d->db->err);
  }
  if (vt == INT64_MAX) {
    /* the open-ended piece leaves the current rows and indexes */
    if (tdbBatchDelete(&d->batch, rowkey, kn) != TDB_OK) return tdbErrNoMem(&d->db->err);
    if (!(flags & TDB_ROW_FLAG_TOMBSTONE)) {
      rc = tdbDmlIndexEntries(d, rowkey, kn, vals, 0);
      if (rc != TDB_OK) return rc;
    }
  }
  if (vf < of) {
    rc = tdbDmlPutPiece(d, rowkey, kn, vals, flags, vf, of); /* the part before */
  } else {
    rc = tdbDmlPutVersion(d, rowkey, kn, vals, TDB_ROW_FLAG_REMOVED, vf, vt, 0);
  }
  if (rc == TDB_OK && ot < vt) rc = tdbDmlPutPiece(d, rowkey, kn, vals, flags, ot, vt);
  return rc;
}

/* ---- checks ----------------------------------------------------------------------- */

typedef struct TdbOverlap {
  TdbDml *d;
  int history;          /* pieces come with history keys (else current row keys) */
  int64_t vf, vt;
  int found;
  TdbRowSet *collect;
} TdbOverlap;

static int tdbOverlapFn(void *ctx, const TdbPiece *piece) {
  TdbOverlap *o = ctx;
  TdbDml *d = o->d;
  uint32_t id;
  int c, rc;
  if (!(piece->valid_from < o->vt && o->vf < piece->valid_to)) return TDB_OK;
  if (o->history) {
    d->key2.n = 0;
    tdbStrAppend(&d->key2, (const char *)piece->key, piece->key_len);
    if (d->key2.oom) return tdbErrNoMem(&d->db->err);
  } else {
    rc = tdbDmlHistoryKey(d, (const char *)piece->key, piece->key_len, piece->valid_from);
    if (rc != TDB_OK) return rc;
  }
  if (tdbHashSetFind(&d->removed, d->key2.z, d->key2.n, 0, &id, NULL) == TDB_OK) return TDB_OK;
  o->found = 1;
  if (!o->collect) return TDB_DONE;
  {
    TdbValue *out = tdbRowSetAdd(o->collect, &d->db->mem);
    if (!out) return tdbErrNoMem(&d->db->err);
    for (c = 0; c < d->t->ncols; c++) {
      if (tdbValueCopy(&d->db->mem, &out[c], &piece->vals[c]) != TDB_OK) {
        return tdbErrNoMem(&d->db->err);
      }
    }
    if (d->t->npk == 0) tdbValueSetInt(&out[tdbScanPseudo(d->t, TDB_PSEUDO_ROWID)], piece->rowid);
    tdbDmlSetTimes(d, out, piece->valid_from, piece->valid_to);
    tdbValueSetBool(&out[tdbScanPseudo(d->t, TDB_PSEUDO_IS_DELETED)],
                    (piece->flags & TDB_ROW_FLAG_TOMBSTONE) != 0);
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbDmlKeyOverlap(TdbDml *d, const char *rowkey, size_t kn, int64_t vf,
                                 int64_t vt, TdbRowSet *collect, int *in_stmt, int *found) {
  TdbOverlap o;
  uint32_t id;
  int rc;
  *in_stmt = 0;
  *found = 0;
  /* the pieces this statement added to the key */
  if (tdbHashSetFind(&d->added_pk, rowkey + 5, kn - 5, 0, &id, NULL) == TDB_OK) {
    uint32_t i;
    for (i = d->added_last[id]; i; i = d->added[i - 1].next) {
      if (d->added[i - 1].vf < vt && vf < d->added[i - 1].vt) {
        *in_stmt = 1;
        return TDB_OK;
      }
    }
  }
  memset(&o, 0, sizeof o);
  o.d = d;
  o.vf = vf;
  o.vt = vt;
  o.collect = collect;
  if (!d->defaults && collect) { /* collected rows read absent columns as their DEFAULT */
    d->defaults = tdbMemAllocZero(&d->db->mem, sizeof(TdbValue) * (size_t)(d->t->ncols + 1));
    rc = d->defaults ? tdbTableDefaults(&d->db->mem, &d->db->err, d->ex->now, d->t, d->defaults)
                     : tdbErrNoMem(&d->db->err);
    if (rc != TDB_OK) return rc;
  }
  /* From the current bound on, only the open-ended piece (the current row)
  ** can overlap: every bounded piece ends at or before the bound. */
  if (vf >= d->bound) {
    rc = tdbTableForEach(d->db, d->t, rowkey + 5, kn - 5, d->defaults, tdbOverlapFn, &o);
  } else {
    o.history = 1;
    rc = tdbKeyPiecesForEach(d->db, d->t, rowkey + 5, kn - 5, d->defaults, tdbOverlapFn, &o);
  }
  if (rc == TDB_DONE) rc = TDB_OK;
  *found = o.found;
  return rc;
}

TDB_PRIVATE int tdbDmlUniqueHit(TdbDml *d, const TdbValue *row, const TdbIndexDef **hit) {
  const TdbTableDef *t = d->t;
  uint32_t id;
  int rc = TDB_OK, i, k;
  *hit = NULL;
  for (i = 0; rc == TDB_OK && !*hit && i < t->nindexes; i++) {
    const TdbIndexDef *ix = t->indexes[i];
    TdbDbIter *it = NULL;
    TdbStr prefix;
    int has_null = 0;
    if (!ix->unique) continue;
    for (k = 0; k < ix->ncols; k++) has_null |= TDB_VALUE_IS_NULL(&row[ix->col[k]]);
    if (has_null) continue;
    tdbStrInit(&prefix, &d->db->mem);
    tdbRowKeyPrefix(&prefix, TDB_KEYSPACE_INDEX, ix->id);
    for (k = 0; k < ix->ncols && rc == TDB_OK; k++) {
      if (tdbKeyEncodeValue(&prefix, &row[ix->col[k]]) != TDB_OK) rc = tdbErrNoMem(&d->db->err);
    }
    if (rc == TDB_OK && prefix.oom) rc = tdbErrNoMem(&d->db->err);
    if (rc == TDB_OK && tdbHashSetFind(&d->added_uniq, prefix.z, prefix.n, 0, &id, NULL) == TDB_OK) {
      *hit = ix;
    }
    if (rc == TDB_OK && !*hit) rc = tdbTxnIter(d->db, 0, &it);
    if (rc == TDB_OK && !*hit) {
      for (tdbDbIterSeek(it, prefix.z, prefix.n); tdbDbIterValid(it) && rc == TDB_OK;
           tdbDbIterNext(it)) {
        size_t kn;
        const unsigned char *key = tdbDbIterKey(it, &kn);
        TdbStr rowkey;
        int found = 0;
        if (kn < prefix.n || memcmp(key, prefix.z, prefix.n) != 0) break;
        /* the current row of the entry: rows keyspace | table | entry tail */
        tdbStrInit(&rowkey, &d->db->mem);
        tdbRowKeyPrefix(&rowkey, TDB_KEYSPACE_ROWS, t->id);
        tdbStrAppend(&rowkey, (const char *)key + prefix.n, kn - prefix.n);
        rc = rowkey.oom ? tdbErrNoMem(&d->db->err)
                        : tdbTxnGet(d->db, 0, rowkey.z, rowkey.n, &d->val, &found);
        if (rc == TDB_OK && found) {
          TdbRow hdr;
          size_t off, rn;
          const unsigned char *rv;
          int64_t vf;
          if (tdbCurrentValue((const unsigned char *)d->val.z, d->val.n, &vf, &rv, &rn) == TDB_OK &&
              tdbRowDecodeHeader(rv, rn, &hdr, &off) == TDB_OK &&
              !(hdr.flags & TDB_ROW_FLAG_TOMBSTONE)) {
            rc = tdbDmlHistoryKey(d, rowkey.z, rowkey.n, vf);
            if (rc == TDB_OK &&
                tdbHashSetFind(&d->removed, d->key2.z, d->key2.n, 0, &id, NULL) != TDB_OK) {
              *hit = ix; /* not removed by this statement */
            }
          }
        }
        tdbStrClear(&rowkey);
        if (*hit) break;
      }
      if (rc == TDB_OK) rc = tdbDbIterStatus(it);
      tdbDbIterFree(it);
    }
    tdbStrClear(&prefix);
  }
  return rc;
}
