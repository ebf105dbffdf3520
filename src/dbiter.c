/*
** dbiter.c — visible versions at an epoch over a merged iterator (dbiter.h).
*/
#include "dbiter.h"
#include "ikey.h"
#include "mem.h"

struct TdbDbIter {
  TdbMem *mem;
  TdbIter *in;
  uint64_t as_of;
  int valid;
  int forward;          /* forward: `in` sits on the yielded version;
                        ** backward: `in` sits before the yielded key, which
                        ** is held in saved_key/saved_value */
  int rc;
  uint64_t pending_from;  /* versions at seq >= it are visible at any as_of */
  int visiting;         /* tdbDbIterVisit is reading: `in` is past the last
                        ** entry handed out */
  int visit_have;       /* visiting: saved_key is a user key already
                        ** resolved (its older versions are skipped) */
  TdbStr saved_key, saved_value;
  unsigned char *seek_key;  /* scratch for internal seek keys */
  size_t seek_cap;
  unsigned char *bound_key; /* visit: the internal key of the limit */
  size_t bound_cap;
};

TDB_PRIVATE TdbDbIter *tdbDbIterNew(TdbMem *mem, TdbIter *internal, uint64_t as_of) {
  TdbDbIter *it;
  if (!internal) return NULL;
  it = tdbMemAllocZero(mem, sizeof *it);
  if (!it) {
    tdbIterFree(internal);
    return NULL;
  }
  it->mem = mem;
  it->in = internal;
  it->as_of = as_of;
  it->pending_from = UINT64_MAX;
  it->forward = 1;
  tdbStrInit(&it->saved_key, mem);
  tdbStrInit(&it->saved_value, mem);
  return it;
}

TDB_PRIVATE void tdbDbIterShowPending(TdbDbIter *it) {
  it->pending_from = TDB_IKEY_PENDING_SEQ;
}

/* Is a version at seq hidden from this iterator (newer than as_of, and not
** a pending write it shows)? */
#define TDB_DBITER_HIDES(it, seq) ((seq) > (it)->as_of && (seq) < (it)->pending_from)

TDB_PRIVATE void tdbDbIterFree(TdbDbIter *it) {
  if (!it) return;
  tdbIterFree(it->in);
  tdbStrClear(&it->saved_key);
  tdbStrClear(&it->saved_value);
  tdbMemFree(it->mem, it->seek_key);
  tdbMemFree(it->mem, it->bound_key);
  tdbMemFree(it->mem, it);
}

/* Decode the internal key under `in`; 0 ok, -1 corrupt (recorded). */
static int tdbDbIterParse(TdbDbIter *it, TdbIkeyParsed *pk) {
  size_t n;
  const unsigned char *k = tdbIterKey(it->in, &n);
  if (tdbIkeyDecode(k, n, pk) != TDB_OK) {
    it->rc = TDB_CORRUPT;
    it->valid = 0;
    return -1;
  }
  return 0;
}

/* Seek `in` to the first version of user_key visible at as_of (with
** `from_newest`, to its newest version: pending ones come first). */
static void tdbDbIterSeekAt(TdbDbIter *it, const unsigned char *ukey, size_t n,
                            int from_newest) {
  size_t len;
  if (n + TDB_IKEY_TAG_SIZE > it->seek_cap) {
    void *buf = it->seek_key;
    if (tdbMemGrow(it->mem, &buf, &it->seek_cap, n + TDB_IKEY_TAG_SIZE, 1) != 0) {
      it->rc = TDB_NOMEM;
      it->valid = 0;
      return;
    }
    it->seek_key = buf;
  }
  len = tdbIkeySeekKey(it->seek_key, ukey, n, from_newest ? TDB_IKEY_MAX_SEQ : it->as_of);
  tdbIterSeek(it->in, it->seek_key, len);
}

/* Seek `in` to where the versions of user_key that this iterator may show
** begin: its pending ones when it shows them, else the first at as_of. */
static void tdbDbIterSeekVisible(TdbDbIter *it, const unsigned char *ukey, size_t n) {
  tdbDbIterSeekAt(it, ukey, n, it->pending_from != UINT64_MAX);
}

/* Forward: from the current internal position, find the next user key whose
** newest visible version is a value, and stop on it. If `skip_key` is set,
** versions of that user key are passed over first. */
static void tdbDbIterFindNextVisible(TdbDbIter *it, const unsigned char *skip_key,
                                     size_t skip_n, int skipping) {
  TdbIkeyParsed pk;
  it->valid = 0;
  while (tdbIterValid(it->in)) {
    if (tdbDbIterParse(it, &pk) != 0) return;
    if (skipping && tdbIkeyCompareUser(pk.user_key, pk.user_len, skip_key, skip_n) == 0) {
      tdbIterNext(it->in);
      continue;
    }
    if (TDB_DBITER_HIDES(it, pk.seq)) {
      /* newer than the epoch: jump to the first version visible at as_of */
      tdbDbIterSeekAt(it, pk.user_key, pk.user_len, 0);
      if (it->rc) return;
      if (!tdbIterValid(it->in)) break;
      if (tdbDbIterParse(it, &pk) != 0) return;
      if (TDB_DBITER_HIDES(it, pk.seq)) continue; /* landed on a later key: check it too */
    }
    if (pk.kind == TDB_KIND_VALUE) {
      it->valid = 1;
      return;
    }
    /* a tombstone: hide this key, continue after all of its versions */
    it->saved_key.n = 0;
    tdbStrAppend(&it->saved_key, (const char *)pk.user_key, pk.user_len);
    if (it->saved_key.oom) {
      it->rc = TDB_NOMEM;
      return;
    }
    skip_key = (const unsigned char *)it->saved_key.z;
    skip_n = it->saved_key.n;
    skipping = 1;
    tdbIterNext(it->in);
  }
  if (it->rc == TDB_OK) it->rc = tdbIterStatus(it->in);
}

/* Backward: from the current internal position, walk back over user keys;
** for each, its versions come oldest first, so the last visible one seen is
** the newest visible. Stop on the first key where that is a value. */
static void tdbDbIterFindPrevVisible(TdbDbIter *it) {
  TdbIkeyParsed pk;
  int have = 0;             /* saved_* hold a visible version of saved_key */
  int have_kind = TDB_KIND_DELETE;
  it->valid = 0;
  while (tdbIterValid(it->in)) {
    if (tdbDbIterParse(it, &pk) != 0) return;
    if (have && tdbIkeyCompareUser(pk.user_key, pk.user_len,
                                   (const unsigned char *)it->saved_key.z,
                                   it->saved_key.n) != 0) {
      if (have_kind == TDB_KIND_VALUE) { /* the previous key is the answer */
        it->valid = 1;
        return;
      }
      have = 0;
    }
    if (!TDB_DBITER_HIDES(it, pk.seq)) {
      size_t vn;
      const unsigned char *v = tdbIterValue(it->in, &vn);
      it->saved_key.n = 0;
      tdbStrAppend(&it->saved_key, (const char *)pk.user_key, pk.user_len);
      it->saved_value.n = 0;
      tdbStrAppend(&it->saved_value, (const char *)v, vn);
      if (it->saved_key.oom || it->saved_value.oom) {
        it->rc = TDB_NOMEM;
        return;
      }
      have = 1;
      have_kind = pk.kind;
    }
    tdbIterPrev(it->in);
  }
  if (it->rc == TDB_OK) it->rc = tdbIterStatus(it->in);
  if (it->rc == TDB_OK && have && have_kind == TDB_KIND_VALUE) it->valid = 1;
}

/* Copy the user key under `in` into saved_key: 0, or -1 with the iterator
** invalid (corrupt key or out of memory recorded in rc). */
static int tdbDbIterSaveCurrentKey(TdbDbIter *it) {
  TdbIkeyParsed pk;
  if (tdbDbIterParse(it, &pk) != 0) return -1;
  it->saved_key.n = 0;
  tdbStrAppend(&it->saved_key, (const char *)pk.user_key, pk.user_len);
  if (it->saved_key.oom) {
    it->rc = TDB_NOMEM;
    it->valid = 0;
    return -1;
  }
  return 0;
}

TDB_PRIVATE int tdbDbIterValid(const TdbDbIter *it) {
  return it->valid;
}

TDB_PRIVATE int tdbDbIterStatus(const TdbDbIter *it) {
  return it->rc;
}

TDB_PRIVATE void tdbDbIterSeekLast(TdbDbIter *it) {
  it->forward = 0;
  it->visiting = 0;
  tdbIterSeekLast(it->in);
  tdbDbIterFindPrevVisible(it);
}

TDB_PRIVATE void tdbDbIterSeek(TdbDbIter *it, const void *user_key, size_t n) {
  it->forward = 1;
  it->visiting = 0;
  it->valid = 0;
  tdbDbIterSeekVisible(it, user_key, n);
  if (it->rc == TDB_OK) tdbDbIterFindNextVisible(it, NULL, 0, 0);
}

TDB_PRIVATE void tdbDbIterNext(TdbDbIter *it) {
  if (!it->valid) return;
  if (!it->forward) {
    /* `in` is before the saved key: reposition on its visible version */
    it->forward = 1;
    tdbDbIterSeekVisible(it, (const unsigned char *)it->saved_key.z, it->saved_key.n);
    if (it->rc) {
      it->valid = 0;
      return;
    }
  }
  {
    if (tdbDbIterSaveCurrentKey(it) != 0) return;
    tdbIterNext(it->in);
    tdbDbIterFindNextVisible(it, (const unsigned char *)it->saved_key.z, it->saved_key.n, 1);
  }
}

TDB_PRIVATE void tdbDbIterPrev(TdbDbIter *it) {
  if (!it->valid) return;
  if (it->forward) {
    /* `in` is on the current key's visible version: step back to before
    ** all versions of this key */
    if (tdbDbIterSaveCurrentKey(it) != 0) return;
    /* the first (newest) version of the key: seek with the largest epoch */
    {
      uint64_t keep = it->as_of;
      it->as_of = TDB_IKEY_MAX_SEQ;
      tdbDbIterSeekVisible(it, (const unsigned char *)it->saved_key.z, it->saved_key.n);
      it->as_of = keep;
    }
    if (it->rc) {
      it->valid = 0;
      return;
    }
    if (tdbIterValid(it->in)) tdbIterPrev(it->in);
    else tdbIterSeekLast(it->in);
    it->forward = 0;
    tdbDbIterFindPrevVisible(it);
    return;
  }
  /* backward already: `in` sits before the saved key */
  tdbDbIterFindPrevVisible(it);
}

/* a[0..n) == b[0..n), by 8-byte words (user keys are short: a call to
** memcmp would cost more than the comparison). The last word first: keys
** met in order differ at their end (the next key of a scan), so that word
** usually answers; then the words from the start, the last one overlapping
** it. */
static int tdbDbIterSameBytes(const void *a, const void *b, size_t n) {
  const unsigned char *p = a, *q = b;
  uint64_t x, y;
  if (n >= 8) {
    size_t i;
    memcpy(&x, p + n - 8, 8);
    memcpy(&y, q + n - 8, 8);
    if (x != y) return 0;
    for (i = 0; i + 8 < n; i += 8) {
      memcpy(&x, p + i, 8);
      memcpy(&y, q + i, 8);
      if (x != y) return 0;
    }
    return 1;
  }
  while (n > 0) {
    if (*p++ != *q++) return 0;
    n--;
  }
  return 1;
}

typedef struct TdbDbVisit {
  TdbDbIter *it;
  TdbDbIterVisitFn fn;
  void *ctx;
} TdbDbVisit;

/* One internal entry of a visit: the first version of a user key at or
** below as_of decides it (a value goes to fn, a tombstone hides the key);
** newer and older versions are passed over. */
static int tdbDbIterVisitEntry(void *c, const unsigned char *k, size_t kn,
                               const unsigned char *v, size_t vn) {
  TdbDbVisit *dv = (TdbDbVisit *)c;
  TdbDbIter *it = dv->it;
  TdbIkeyParsed pk;
  if (tdbIkeyDecode(k, kn, &pk) != TDB_OK) {
    it->rc = TDB_CORRUPT;
    return -1;
  }
  if (it->visit_have && pk.user_len == it->saved_key.n &&
      tdbDbIterSameBytes(pk.user_key, it->saved_key.z, pk.user_len)) {
    return 0; /* an older version of a key already decided */
  }
  if (TDB_DBITER_HIDES(it, pk.seq)) return 0; /* not yet visible: an older version may be */
  if (pk.user_len >= 8 && pk.user_len <= 16 && pk.user_len < it->saved_key.cap) {
    /* a short key (an SQL row key): two overlapping words, no memcpy call */
    uint64_t w0, w1;
    memcpy(&w0, pk.user_key, 8);
    memcpy(&w1, pk.user_key + pk.user_len - 8, 8);
    memcpy(it->saved_key.z, &w0, 8);
    memcpy(it->saved_key.z + pk.user_len - 8, &w1, 8);
    it->saved_key.z[pk.user_len] = '\0';
    it->saved_key.n = pk.user_len;
  } else if (pk.user_len < it->saved_key.cap) { /* the usual case: no growth */
    memcpy(it->saved_key.z, pk.user_key, pk.user_len);
    it->saved_key.z[pk.user_len] = '\0';
    it->saved_key.n = pk.user_len;
  } else {
    it->saved_key.n = 0;
    tdbStrAppend(&it->saved_key, (const char *)pk.user_key, pk.user_len);
    if (it->saved_key.oom) {
      it->rc = TDB_NOMEM;
      return -1;
    }
  }
  it->visit_have = 1;
  if (pk.kind != TDB_KIND_VALUE) return 0;
  return dv->fn(dv->ctx, pk.user_key, pk.user_len, v, vn);
}

TDB_PRIVATE int tdbDbIterVisit(TdbDbIter *it, const void *limit, size_t limit_n,
                               TdbDbIterVisitFn fn, void *ctx) {
  TdbDbVisit dv;
  size_t bound_n = 0;
  int r;
  if (it->rc != TDB_OK || !it->valid) return 0;
  if (!it->forward) {
    /* `in` is before the saved key: reposition on its visible version */
    it->forward = 1;
    it->visiting = 0;
    tdbDbIterSeekVisible(it, (const unsigned char *)it->saved_key.z, it->saved_key.n);
    if (it->rc) {
      it->valid = 0;
      return 0;
    }
  }
  if (!it->visiting) { /* `in` is on the current key's visible version */
    it->visiting = 1;
    it->visit_have = 0;
  }
  if (limit) { /* the internal bound: the first version of the limit key */
    if (limit_n + TDB_IKEY_TAG_SIZE > it->bound_cap) {
      void *buf = it->bound_key;
      if (tdbMemGrow(it->mem, &buf, &it->bound_cap, limit_n + TDB_IKEY_TAG_SIZE, 1) != 0) {
        it->rc = TDB_NOMEM;
        it->valid = 0;
        return 0;
      }
      it->bound_key = buf;
    }
    bound_n = tdbIkeySeekKey(it->bound_key, limit, limit_n, TDB_IKEY_MAX_SEQ);
  }
  dv.it = it;
  dv.fn = fn;
  dv.ctx = ctx;
  r = tdbIterVisit(it->in, limit ? it->bound_key : NULL, bound_n, tdbDbIterVisitEntry, &dv);
  if (it->rc == TDB_OK) it->rc = tdbIterStatus(it->in);
  /* stopped by fn: more may follow; otherwise the range ended */
  it->valid = it->rc == TDB_OK && r != 0 && tdbIterValid(it->in);
  return it->rc == TDB_OK ? r : 0;
}

TDB_PRIVATE const unsigned char *tdbDbIterKey(const TdbDbIter *it, size_t *n) {
  if (!it->forward) {
    *n = it->saved_key.n;
    return (const unsigned char *)it->saved_key.z;
  }
  {
    size_t kn;
    const unsigned char *k = it->in->m->key(it->in, &kn);
    *n = kn - TDB_IKEY_TAG_SIZE;
    return k;
  }
}

TDB_PRIVATE uint64_t tdbDbIterSeq(const TdbDbIter *it) {
  size_t kn;
  const unsigned char *k;
  TdbIkeyParsed pk;
  if (!it->forward) return 0;
  k = it->in->m->key(it->in, &kn);
  return tdbIkeyDecode(k, kn, &pk) == TDB_OK ? pk.seq : 0;
}

TDB_PRIVATE const unsigned char *tdbDbIterValue(const TdbDbIter *it, size_t *n) {
  if (!it->forward) {
    *n = it->saved_value.n;
    return (const unsigned char *)it->saved_value.z;
  }
  return it->in->m->value(it->in, n);
}
