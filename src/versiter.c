/*
** versiter.c — every version of a key range with its epoch (versiter.h).
**
** A thin walk over the store's pinned internal iterator: entries newer than
** as_of are skipped, the rest are yielded in internal-key order (user key,
** then newest first). The previous entry's user key and epoch are kept so
** each version knows the epoch of the newer one that closed it.
*/
#include "versiter.h"
#include "ikey.h"

struct TdbVersionIter {
  TdbMem *mem;
  TdbIter *in;
  uint64_t as_of;
  int valid;
  int rc;
  TdbIkeyParsed cur;    /* the version yielded (user_key points into `in`) */
  uint64_t next_epoch;  /* the newer version's epoch, 0: none */
  TdbStr prev_key;      /* the user key of the previous yielded version */
  uint64_t prev_epoch;
  int have_prev;
  unsigned char *seek;  /* scratch for internal seek keys */
  size_t seek_cap;
  TdbStoreFloor *floors;/* history floors at open (PURGE HISTORY): hidden below */
  size_t nfloors;
};

TDB_PRIVATE int tdbVersionIterOpen(TdbStore *s, uint64_t as_of, TdbErr *err,
                                   TdbVersionIter **out) {
  TdbVersionIter *vi;
  TdbIter *in = NULL;
  uint64_t at = 0;
  TdbMem *mem;
  int rc;
  *out = NULL;
  rc = tdbStoreInternalIter(s, as_of, NULL, err, &in, &at);
  if (rc != TDB_OK) return rc;
  mem = tdbStoreMem(s);
  vi = tdbMemAllocZero(mem, sizeof *vi);
  if (!vi) {
    tdbIterFree(in);
    return tdbErrNoMem(err);
  }
  vi->mem = mem;
  vi->in = in;
  vi->as_of = at;
  tdbStrInit(&vi->prev_key, mem);
  if (tdbStoreFloors(s, mem, &vi->floors, &vi->nfloors) != TDB_OK) {
    tdbVersionIterFree(vi);
    return tdbErrNoMem(err);
  }
  *out = vi;
  return TDB_OK;
}

TDB_PRIVATE void tdbVersionIterFree(TdbVersionIter *vi) {
  if (!vi) return;
  tdbIterFree(vi->in);
  tdbStrClear(&vi->prev_key);
  tdbMemFree(vi->mem, vi->seek);
  tdbMemFree(vi->mem, vi->floors);
  tdbMemFree(vi->mem, vi);
}

/* From the internal position on: the first entry at or below as_of. */
static void tdbVersionIterSettle(TdbVersionIter *vi) {
  vi->valid = 0;
  while (tdbIterValid(vi->in)) {
    size_t kn;
    const unsigned char *k = tdbIterKey(vi->in, &kn);
    if (tdbIkeyDecode(k, kn, &vi->cur) != TDB_OK) {
      vi->rc = TDB_CORRUPT;
      return;
    }
    if (vi->cur.seq <= vi->as_of) {
      vi->next_epoch = 0;
      if (vi->have_prev && vi->prev_key.n == vi->cur.user_len &&
          memcmp(vi->prev_key.z, vi->cur.user_key, vi->cur.user_len) == 0) {
        vi->next_epoch = vi->prev_epoch;
      }
      vi->prev_key.n = 0;
      tdbStrAppend(&vi->prev_key, (const char *)vi->cur.user_key, vi->cur.user_len);
      if (vi->prev_key.oom) {
        vi->rc = TDB_NOMEM;
        return;
      }
      vi->prev_epoch = vi->cur.seq;
      vi->have_prev = 1;
      if (vi->nfloors && vi->next_epoch &&
          vi->next_epoch <= tdbStoreFloorOf(vi->floors, vi->nfloors, vi->cur.user_key,
                                            vi->cur.user_len)) {
        tdbIterNext(vi->in); /* closed at or before a history floor: purged */
        continue;
      }
      vi->valid = 1;
      return;
    }
    tdbIterNext(vi->in);
  }
  vi->rc = tdbIterStatus(vi->in);
}

TDB_PRIVATE void tdbVersionIterSeek(TdbVersionIter *vi, const void *key, size_t n) {
  if (vi->rc != TDB_OK) return;
  if (n + TDB_IKEY_TAG_SIZE > vi->seek_cap) {
    unsigned char *grown = tdbMemRealloc(vi->mem, vi->seek, n + TDB_IKEY_TAG_SIZE);
    if (!grown) {
      vi->rc = TDB_NOMEM;
      vi->valid = 0;
      return;
    }
    vi->seek = grown;
    vi->seek_cap = n + TDB_IKEY_TAG_SIZE;
  }
  /* the newest possible version of `key`: every version of it sorts after */
  tdbIkeyEncode(vi->seek, key, n, TDB_IKEY_MAX_SEQ, TDB_KIND_DELETE);
  vi->have_prev = 0;
  tdbIterSeek(vi->in, vi->seek, n + TDB_IKEY_TAG_SIZE);
  tdbVersionIterSettle(vi);
}

TDB_PRIVATE int tdbVersionIterValid(const TdbVersionIter *vi) {
  return vi->valid && vi->rc == TDB_OK;
}

TDB_PRIVATE void tdbVersionIterNext(TdbVersionIter *vi) {
  tdbIterNext(vi->in);
  tdbVersionIterSettle(vi);
}

TDB_PRIVATE const unsigned char *tdbVersionIterKey(const TdbVersionIter *vi, size_t *n) {
  *n = vi->cur.user_len;
  return vi->cur.user_key;
}

TDB_PRIVATE const unsigned char *tdbVersionIterValue(const TdbVersionIter *vi, size_t *n) {
  return tdbIterValue(vi->in, n);
}

TDB_PRIVATE uint64_t tdbVersionIterEpoch(const TdbVersionIter *vi) { return vi->cur.seq; }
TDB_PRIVATE uint64_t tdbVersionIterNextEpoch(const TdbVersionIter *vi) { return vi->next_epoch; }
TDB_PRIVATE int tdbVersionIterKind(const TdbVersionIter *vi) { return vi->cur.kind; }
TDB_PRIVATE int tdbVersionIterStatus(const TdbVersionIter *vi) { return vi->rc; }
