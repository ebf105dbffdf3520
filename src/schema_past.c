/*
** schema_past.c — a table name resolved in the catalog of a past epoch
** (schema_past.h).
*/
#include "schema_past.h"
#include "datetime.h"
#include "store.h"
#include "value.h"

TDB_PRIVATE void tdbSchemaPastInit(TdbSchemaPast *sp, TdbMem *mem, TdbStore *store) {
  memset(sp, 0, sizeof *sp);
  sp->mem = mem;
  sp->store = store;
}

TDB_PRIVATE void tdbSchemaPastFree(TdbSchemaPast *sp) {
  int i;
  if (!sp->mem) return; /* never used */
  for (i = 0; i < sp->n; i++) tdbCatalogFree(&sp->past[i].cat);
  tdbMemFree(sp->mem, sp->past);
  memset(sp, 0, sizeof *sp);
}

/* The epoch a literal system point names (0 with *ok unset: not one). */
static int tdbSchemaPastEpoch(TdbSchemaPast *sp, const TdbValue *at, TdbErr *err, uint64_t *epoch,
                              int *ok) {
  uint64_t head = tdbStoreHead(sp->store);
  int64_t ts, n;
  *ok = 0;
  if (at->type == TDB_TYPE_INTEGER) {
    if (at->u.i < 0 || (uint64_t)at->u.i > head) return TDB_OK; /* the scan reports it */
    *epoch = (uint64_t)at->u.i;
    *ok = 1;
    return TDB_OK;
  }
  if (at->type == TDB_TYPE_TEXT && at->n > 5 && memcmp(at->u.z, "@seq:", 5) == 0) {
    if (tdbParseInt64(at->u.z + 5, at->n - 5, &n) != 0 || n < 0 || (uint64_t)n > head) {
      return TDB_OK;
    }
    *epoch = (uint64_t)n;
    *ok = 1;
    return TDB_OK;
  }
  if (at->type == TDB_TYPE_TIMESTAMP) ts = at->u.i;
  else if (at->type != TDB_TYPE_TEXT || tdbTimeParseIso(at->u.z, at->n, &ts) != 0) return TDB_OK;
  *ok = 1;
  return tdbStoreEpochAt(sp->store, ts, 1, head, epoch, err);
}

TDB_PRIVATE int tdbSchemaPastTable(TdbSchemaPast *sp, const char *name, const TdbValue *at,
                                   TdbErr *err, const TdbTableDef **out) {
  uint64_t epoch = 0;
  int i, ok, rc;
  *out = NULL;
  rc = tdbSchemaPastEpoch(sp, at, err, &epoch, &ok);
  if (rc != TDB_OK || !ok) return rc;
  for (i = 0; i < sp->n; i++) {
    if (sp->past[i].epoch == epoch) {
      *out = tdbCatalogTable(&sp->past[i].cat, name);
      return TDB_OK;
    }
  }
  if (sp->n == sp->cap) {
    int cap = sp->cap ? sp->cap * 2 : 4;
    TdbPastCatalog *np = tdbMemRealloc(sp->mem, sp->past, sizeof *np * (size_t)cap);
    if (!np) return tdbErrNoMem(err);
    sp->past = np;
    sp->cap = cap;
  }
  tdbCatalogInit(&sp->past[sp->n].cat, sp->mem);
  /* at epoch 0 there is nothing: as_of 0 would mean the head */
  rc = epoch ? tdbCatalogLoadAt(&sp->past[sp->n].cat, sp->store, epoch, NULL, err) : TDB_OK;
  if (rc != TDB_OK) {
    tdbCatalogFree(&sp->past[sp->n].cat);
    return rc;
  }
  sp->past[sp->n].epoch = epoch;
  *out = tdbCatalogTable(&sp->past[sp->n].cat, name);
  sp->n++;
  return TDB_OK;
}
