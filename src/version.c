/*
** version.c — file metadata, versions and version edits (see version.h).
*/
#include "version.h"
#include "coding.h"
#include "ikey.h"

#include <stdlib.h>

/* Version edit field tags. On-disk: do not renumber. */
enum {
  TDB_EDIT_LOG_NUMBER = 1,
  TDB_EDIT_NEXT_FILE = 2,
  TDB_EDIT_LAST_EPOCH = 3,
  TDB_EDIT_DELETE_FILE = 4,
  TDB_EDIT_ADD_FILE = 5
};

TDB_PRIVATE TdbFileMeta *tdbFileMetaNew(TdbMem *mem, uint64_t number, uint64_t size,
                                        const unsigned char *smallest, size_t slen,
                                        const unsigned char *largest, size_t llen) {
  TdbFileMeta *f = tdbMemAllocZero(mem, sizeof *f);
  if (!f) return NULL;
  f->smallest = tdbMemAlloc(mem, slen ? slen : 1);
  f->largest = tdbMemAlloc(mem, llen ? llen : 1);
  if (!f->smallest || !f->largest) {
    tdbMemFree(mem, f->smallest);
    tdbMemFree(mem, f->largest);
    tdbMemFree(mem, f);
    return NULL;
  }
  if (slen) memcpy(f->smallest, smallest, slen);
  if (llen) memcpy(f->largest, largest, llen);
  f->smallest_len = slen;
  f->largest_len = llen;
  f->number = number;
  f->size = size;
  f->refs = 1;
  return f;
}

TDB_PRIVATE void tdbFileMetaUnref(TdbMem *mem, TdbFileMeta *f) {
  if (!f || --f->refs > 0) return;
  if (f->on_obsolete) f->on_obsolete(f->obsolete_ctx, f->number);
  tdbMemFree(mem, f->smallest);
  tdbMemFree(mem, f->largest);
  tdbMemFree(mem, f);
}

/* ---- edits ------------------------------------------------------------------- */

TDB_PRIVATE void tdbEditInit(TdbVersionEdit *e) {
  memset(e, 0, sizeof *e);
}

TDB_PRIVATE void tdbEditClear(TdbMem *mem, TdbVersionEdit *e) {
  int i;
  for (i = 0; i < e->nadd; i++) tdbFileMetaUnref(mem, e->adds[i].meta);
  tdbMemFree(mem, e->adds);
  tdbMemFree(mem, e->dels);
  tdbEditInit(e);
}

TDB_PRIVATE int tdbEditAddFile(TdbMem *mem, TdbVersionEdit *e, int level, TdbFileMeta *f) {
  void *arr = e->adds;
  if (tdbMemGrow(mem, &arr, &e->add_cap, (size_t)e->nadd + 1, sizeof *e->adds) != 0) {
    return TDB_NOMEM;
  }
  e->adds = arr;
  e->adds[e->nadd].level = level;
  e->adds[e->nadd].meta = f;
  e->adds[e->nadd].number = f->number;
  e->nadd++;
  f->refs++;
  return TDB_OK;
}

TDB_PRIVATE int tdbEditDeleteFile(TdbMem *mem, TdbVersionEdit *e, int level,
                                  uint64_t number) {
  void *arr = e->dels;
  if (tdbMemGrow(mem, &arr, &e->del_cap, (size_t)e->ndel + 1, sizeof *e->dels) != 0) {
    return TDB_NOMEM;
  }
  e->dels = arr;
  e->dels[e->ndel].level = level;
  e->dels[e->ndel].meta = NULL;
  e->dels[e->ndel].number = number;
  e->ndel++;
  return TDB_OK;
}

static void tdbEditPutVarint(TdbStr *out, uint64_t v) {
  unsigned char buf[TDB_VARINT64_MAX];
  tdbStrAppend(out, (const char *)buf, tdbPutVarint64(buf, v));
}

static void tdbEditPutBytes(TdbStr *out, const unsigned char *p, size_t n) {
  tdbEditPutVarint(out, n);
  tdbStrAppend(out, (const char *)p, n);
}

TDB_PRIVATE int tdbEditEncode(const TdbVersionEdit *e, TdbStr *out) {
  int i;
  out->n = 0;
  if (e->has_log_number) {
    tdbEditPutVarint(out, TDB_EDIT_LOG_NUMBER);
    tdbEditPutVarint(out, e->log_number);
  }
  if (e->has_next_file) {
    tdbEditPutVarint(out, TDB_EDIT_NEXT_FILE);
    tdbEditPutVarint(out, e->next_file);
  }
  if (e->has_last_epoch) {
    tdbEditPutVarint(out, TDB_EDIT_LAST_EPOCH);
    tdbEditPutVarint(out, e->last_epoch);
  }
  for (i = 0; i < e->ndel; i++) {
    tdbEditPutVarint(out, TDB_EDIT_DELETE_FILE);
    tdbEditPutVarint(out, (uint64_t)e->dels[i].level);
    tdbEditPutVarint(out, e->dels[i].number);
  }
  for (i = 0; i < e->nadd; i++) {
    const TdbFileMeta *f = e->adds[i].meta;
    tdbEditPutVarint(out, TDB_EDIT_ADD_FILE);
    tdbEditPutVarint(out, (uint64_t)e->adds[i].level);
    tdbEditPutVarint(out, f->number);
    tdbEditPutVarint(out, f->size);
    tdbEditPutVarint(out, f->entries);
    tdbEditPutVarint(out, f->min_epoch);
    tdbEditPutVarint(out, f->max_epoch);
    tdbEditPutBytes(out, f->smallest, f->smallest_len);
    tdbEditPutBytes(out, f->largest, f->largest_len);
  }
  return out->oom ? TDB_NOMEM : TDB_OK;
}

/* A bounded reader over an edit record. */
typedef struct TdbEditReader {
  const unsigned char *p, *end;
  int bad;
} TdbEditReader;

static uint64_t tdbEditGetVarint(TdbEditReader *r) {
  uint64_t v = 0;
  size_t used;
  if (r->bad) return 0;
  used = tdbGetVarint64(r->p, r->end, &v);
  if (!used) {
    r->bad = 1;
    return 0;
  }
  r->p += used;
  return v;
}

static const unsigned char *tdbEditGetBytes(TdbEditReader *r, size_t *n) {
  uint64_t len = tdbEditGetVarint(r);
  const unsigned char *p = r->p;
  if (r->bad || len > (uint64_t)(r->end - r->p)) {
    r->bad = 1;
    *n = 0;
    return NULL;
  }
  r->p += len;
  *n = (size_t)len;
  return p;
}

TDB_PRIVATE int tdbEditDecode(TdbMem *mem, const unsigned char *p, size_t n,
                              TdbVersionEdit *e) {
  TdbEditReader r;
  tdbEditInit(e);
  if (n == 0) return TDB_OK; /* an empty edit (p may be NULL) */
  r.p = p;
  r.end = p + n;
  r.bad = 0;
  tdbEditInit(e);
  while (!r.bad && r.p < r.end) {
    uint64_t tag = tdbEditGetVarint(&r);
    switch (tag) {
      case TDB_EDIT_LOG_NUMBER:
        e->has_log_number = 1;
        e->log_number = tdbEditGetVarint(&r);
        break;
      case TDB_EDIT_NEXT_FILE:
        e->has_next_file = 1;
        e->next_file = tdbEditGetVarint(&r);
        break;
      case TDB_EDIT_LAST_EPOCH:
        e->has_last_epoch = 1;
        e->last_epoch = tdbEditGetVarint(&r);
        break;
      case TDB_EDIT_DELETE_FILE: {
        uint64_t level = tdbEditGetVarint(&r), number = tdbEditGetVarint(&r);
        if (r.bad || level >= TDB_LEVELS_MAX) {
          r.bad = 1;
          break;
        }
        if (tdbEditDeleteFile(mem, e, (int)level, number) != TDB_OK) goto nomem;
        break;
      }
      case TDB_EDIT_ADD_FILE: {
        uint64_t level = tdbEditGetVarint(&r), number = tdbEditGetVarint(&r);
        uint64_t size = tdbEditGetVarint(&r), entries = tdbEditGetVarint(&r);
        uint64_t min_epoch = tdbEditGetVarint(&r), max_epoch = tdbEditGetVarint(&r);
        size_t slen, llen;
        const unsigned char *s = tdbEditGetBytes(&r, &slen);
        const unsigned char *l = tdbEditGetBytes(&r, &llen);
        TdbFileMeta *f;
        if (r.bad || level >= TDB_LEVELS_MAX || slen < TDB_IKEY_TAG_SIZE ||
            llen < TDB_IKEY_TAG_SIZE || tdbIkeyCompare(s, slen, l, llen) > 0) {
          r.bad = 1;
          break;
        }
        f = tdbFileMetaNew(mem, number, size, s, slen, l, llen);
        if (!f) goto nomem;
        f->entries = entries;
        f->min_epoch = min_epoch;
        f->max_epoch = max_epoch;
        if (tdbEditAddFile(mem, e, (int)level, f) != TDB_OK) {
          tdbFileMetaUnref(mem, f);
          goto nomem;
        }
        tdbFileMetaUnref(mem, f); /* the edit holds the reference */
        break;
      }
      default:
        r.bad = 1;
        break;
    }
  }
  if (r.bad) {
    tdbEditClear(mem, e);
    return TDB_CORRUPT;
  }
  return TDB_OK;
nomem:
  tdbEditClear(mem, e);
  return TDB_NOMEM;
}

/* ---- versions ------------------------------------------------------------------ */

TDB_PRIVATE TdbVersion *tdbVersionNew(TdbMem *mem, int nlevels) {
  TdbVersion *v = tdbMemAllocZero(mem, sizeof *v);
  if (!v) return NULL;
  v->refs = 1;
  v->nlevels = nlevels;
  return v;
}

TDB_PRIVATE void tdbVersionRef(TdbVersion *v) {
  v->refs++;
}

TDB_PRIVATE void tdbVersionUnref(TdbMem *mem, TdbVersion *v) {
  int l, i;
  if (!v || --v->refs > 0) return;
  for (l = 0; l < v->nlevels; l++) {
    for (i = 0; i < v->nfiles[l]; i++) tdbFileMetaUnref(mem, v->files[l][i]);
    tdbMemFree(mem, v->files[l]);
  }
  tdbMemFree(mem, v);
}

static int tdbFileBySmallest(const void *pa, const void *pb) {
  const TdbFileMeta *a = *(TdbFileMeta *const *)pa, *b = *(TdbFileMeta *const *)pb;
  int c = tdbIkeyCompare(a->smallest, a->smallest_len, b->smallest, b->smallest_len);
  if (c) return c;
  return a->number < b->number ? -1 : a->number > b->number;
}

static int tdbFileNewestFirst(const void *pa, const void *pb) {
  const TdbFileMeta *a = *(TdbFileMeta *const *)pa, *b = *(TdbFileMeta *const *)pb;
  return a->number > b->number ? -1 : a->number < b->number;
}

static int tdbEditDeletes(const TdbVersionEdit *e, int level, uint64_t number) {
  int i;
  for (i = 0; i < e->ndel; i++) {
    if (e->dels[i].level == level && e->dels[i].number == number) return 1;
  }
  return 0;
}

/* User key of an internal key (the part before the tag). */
static size_t tdbUserLen(size_t n) {
  return n >= TDB_IKEY_TAG_SIZE ? n - TDB_IKEY_TAG_SIZE : n;
}

TDB_PRIVATE int tdbVersionApply(TdbMem *mem, const TdbVersion *base,
                                const TdbVersionEdit *e, int nlevels, TdbVersion **out) {
  TdbVersion *v = tdbVersionNew(mem, nlevels);
  int l, i, found;
  *out = NULL;
  if (!v) return TDB_NOMEM;
  for (i = 0; i < e->nadd; i++) { /* e.g. max_levels lowered since the write */
    if (e->adds[i].level >= nlevels) goto corrupt;
  }
  for (i = 0; i < e->ndel; i++) { /* every deleted file must exist */
    found = 0;
    l = e->dels[i].level;
    if (base && l < base->nlevels) {
      int j;
      for (j = 0; j < base->nfiles[l] && !found; j++) {
        found = base->files[l][j]->number == e->dels[i].number;
      }
    }
    if (!found) goto corrupt;
  }
  for (l = 0; l < nlevels; l++) {
    int n = 0, cap = (base && l < base->nlevels ? base->nfiles[l] : 0);
    for (i = 0; i < e->nadd; i++) cap += e->adds[i].level == l;
    if (cap == 0) continue;
    v->files[l] = tdbMemAlloc(mem, sizeof(TdbFileMeta *) * (size_t)cap);
    if (!v->files[l]) {
      tdbVersionUnref(mem, v);
      return TDB_NOMEM;
    }
    if (base && l < base->nlevels) {
      for (i = 0; i < base->nfiles[l]; i++) {
        TdbFileMeta *f = base->files[l][i];
        if (tdbEditDeletes(e, l, f->number)) continue;
        f->refs++;
        v->files[l][n++] = f;
      }
    }
    for (i = 0; i < e->nadd; i++) {
      if (e->adds[i].level != l) continue;
      e->adds[i].meta->refs++;
      v->files[l][n++] = e->adds[i].meta;
    }
    v->nfiles[l] = n;
    qsort(v->files[l], (size_t)n, sizeof(TdbFileMeta *),
          l == 0 ? tdbFileNewestFirst : tdbFileBySmallest);
    for (i = 1; l > 0 && i < n; i++) { /* disjoint user-key ranges */
      const TdbFileMeta *a = v->files[l][i - 1], *b = v->files[l][i];
      if (tdbIkeyCompareUser(a->largest, tdbUserLen(a->largest_len), b->smallest,
                             tdbUserLen(b->smallest_len)) >= 0) {
        goto corrupt;
      }
    }
  }
  *out = v;
  return TDB_OK;
corrupt:
  tdbVersionUnref(mem, v);
  return TDB_CORRUPT;
}

TDB_PRIVATE uint64_t tdbVersionLevelBytes(const TdbVersion *v, int level) {
  uint64_t total = 0;
  int i;
  for (i = 0; i < v->nfiles[level]; i++) total += v->files[level][i]->size;
  return total;
}

TDB_PRIVATE int tdbVersionFindFile(const TdbVersion *v, int level, const unsigned char *ikey,
                                   size_t n) {
  int lo = 0, hi = v->nfiles[level];
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    const TdbFileMeta *f = v->files[level][mid];
    if (tdbIkeyCompare(f->largest, f->largest_len, ikey, n) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

TDB_PRIVATE int tdbVersionOverlapping(TdbMem *mem, const TdbVersion *v, int level,
                                      const unsigned char *lo, size_t lon,
                                      const unsigned char *hi, size_t hin,
                                      TdbFileMeta ***out, int *nout, size_t *cap) {
  int i;
  for (i = 0; i < v->nfiles[level]; i++) {
    TdbFileMeta *f = v->files[level][i];
    void *arr;
    if (lo && tdbIkeyCompareUser(f->largest, tdbUserLen(f->largest_len), lo, lon) < 0) {
      continue;
    }
    if (hi && tdbIkeyCompareUser(f->smallest, tdbUserLen(f->smallest_len), hi, hin) > 0) {
      continue;
    }
    arr = *out;
    if (tdbMemGrow(mem, &arr, cap, (size_t)*nout + 1, sizeof(TdbFileMeta *)) != 0) {
      return TDB_NOMEM;
    }
    *out = arr;
    (*out)[(*nout)++] = f;
  }
  return TDB_OK;
}
