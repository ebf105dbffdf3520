/*
** catalog.c — the schema in memory and its encoding in the store
** (catalog.h has the format and the rules).
*/
#include "catalog.h"
#include "binder.h"
#include "stats.h"
#include "coding.h"
#include "func.h"
#include "keycodec.h"
#include "parser.h"
#include "store.h"

TDB_PRIVATE void tdbCatalogInit(TdbCatalog *cat, TdbMem *mem) {
  memset(cat, 0, sizeof *cat);
  cat->mem = mem;
  cat->next_id = 1;
  cat->version = 1;
}

TDB_PRIVATE void tdbTableDefFree(TdbMem *mem, TdbTableDef *t) {
  int i;
  if (!t) return;
  for (i = 0; i < t->ncols; i++) {
    tdbMemFree(mem, t->cols[i].name);
    tdbMemFree(mem, t->cols[i].dflt_sql);
    tdbExprFree(mem, t->cols[i].dflt);
  }
  for (i = 0; i < t->nchecks; i++) {
    tdbMemFree(mem, t->checks[i].sql);
    tdbExprFree(mem, t->checks[i].expr);
  }
  tdbStatsFree(mem, t->stats);
  tdbMemFree(mem, t->cols);
  tdbMemFree(mem, t->checks);
  tdbMemFree(mem, t->indexes);
  tdbMemFree(mem, t->name);
  tdbMemFree(mem, t->sql);
  tdbMemFree(mem, t);
}

TDB_PRIVATE void tdbIndexDefFree(TdbMem *mem, TdbIndexDef *ix) {
  if (!ix) return;
  tdbMemFree(mem, ix->name);
  tdbMemFree(mem, ix->sql);
  tdbMemFree(mem, ix);
}

TDB_PRIVATE void tdbViewDefFree(TdbMem *mem, TdbViewDef *v) {
  if (!v) return;
  tdbMemFree(mem, v->name);
  tdbMemFree(mem, v->sql);
  tdbMemFree(mem, v->body);
  tdbMemFree(mem, v);
}

TDB_PRIVATE void tdbCatalogFree(TdbCatalog *cat) {
  int i;
  for (i = 0; i < cat->ntables; i++) tdbTableDefFree(cat->mem, cat->tables[i]);
  for (i = 0; i < cat->nindexes; i++) tdbIndexDefFree(cat->mem, cat->indexes[i]);
  for (i = 0; i < cat->nviews; i++) tdbViewDefFree(cat->mem, cat->views[i]);
  tdbMemFree(cat->mem, cat->tables);
  tdbMemFree(cat->mem, cat->indexes);
  tdbMemFree(cat->mem, cat->views);
  cat->tables = NULL;
  cat->indexes = NULL;
  cat->views = NULL;
  cat->ntables = cat->nindexes = cat->nviews = 0;
}

/* ---- lookup ------------------------------------------------------------------ */

TDB_PRIVATE TdbTableDef *tdbCatalogTable(const TdbCatalog *cat, const char *name) {
  int i;
  for (i = 0; i < cat->ntables; i++) {
    if (strcmp(cat->tables[i]->name, name) == 0) return cat->tables[i];
  }
  return NULL;
}

TDB_PRIVATE TdbTableDef *tdbCatalogTableById(const TdbCatalog *cat, uint32_t id) {
  int i;
  for (i = 0; i < cat->ntables; i++) {
    if (cat->tables[i]->id == id) return cat->tables[i];
  }
  return NULL;
}

TDB_PRIVATE TdbIndexDef *tdbCatalogIndex(const TdbCatalog *cat, const char *name) {
  int i;
  for (i = 0; i < cat->nindexes; i++) {
    if (strcmp(cat->indexes[i]->name, name) == 0) return cat->indexes[i];
  }
  return NULL;
}

TDB_PRIVATE TdbViewDef *tdbCatalogView(const TdbCatalog *cat, const char *name) {
  int i;
  for (i = 0; i < cat->nviews; i++) {
    if (strcmp(cat->views[i]->name, name) == 0) return cat->views[i];
  }
  return NULL;
}

TDB_PRIVATE int tdbCatalogNameKind(const TdbCatalog *cat, const char *name) {
  if (tdbCatalogTable(cat, name)) return TDB_OBJ_TABLE;
  if (tdbCatalogIndex(cat, name)) return TDB_OBJ_INDEX;
  if (tdbCatalogView(cat, name)) return TDB_OBJ_VIEW;
  return 0;
}

TDB_PRIVATE int tdbTableColumn(const TdbTableDef *t, const char *name) {
  int i;
  for (i = 0; i < t->ncols; i++) {
    if (strcmp(t->cols[i].name, name) == 0) return i;
  }
  return -1;
}

TDB_PRIVATE int tdbTableVisibleColumns(const TdbTableDef *t) {
  int i, n = 0;
  for (i = 0; i < t->ncols; i++) n += !t->cols[i].doc;
  return n;
}

TDB_PRIVATE int tdbTableVisibleColumn(const TdbTableDef *t, int k) {
  int i;
  for (i = 0; i < t->ncols; i++) {
    if (t->cols[i].doc) continue;
    if (k-- == 0) return i;
  }
  return -1;
}

TDB_PRIVATE const char *tdbTableSuggest(const TdbTableDef *t, const char *name) {
  const char *best = NULL;
  int i, best_d = 3;
  for (i = 0; i < t->ncols; i++) {
    int d = tdbEditDistance(name, t->cols[i].name);
    if (d < best_d) {
      best_d = d;
      best = t->cols[i].name;
    }
  }
  return best;
}

/* ---- changes ----------------------------------------------------------------- */

/* Grow *arr (of *cap pointers) to hold `need`. */
static int tdbReserve(TdbMem *mem, void ***arr, int *cap, int need) {
  void **grown;
  int ncap;
  if (need <= *cap) return TDB_OK;
  ncap = *cap ? *cap : 4;
  while (ncap < need) ncap *= 2;
  grown = tdbMemRealloc(mem, *arr, sizeof(void *) * (size_t)ncap);
  if (!grown) return TDB_NOMEM;
  *arr = grown;
  *cap = ncap;
  return TDB_OK;
}

static int tdbPush(TdbMem *mem, void ***arr, int *n, int *cap, void *item) {
  if (tdbReserve(mem, arr, cap, *n + 1) != TDB_OK) return TDB_NOMEM;
  (*arr)[(*n)++] = item;
  return TDB_OK;
}

TDB_PRIVATE int tdbCatalogReserve(TdbCatalog *cat, TdbTableDef *extra, int more_tables,
                                  int more_indexes, int more_views) {
  int i, need = cat->nindexes + more_indexes;
  if (tdbReserve(cat->mem, (void ***)&cat->tables, &cat->cap_tables, cat->ntables + more_tables) ||
      tdbReserve(cat->mem, (void ***)&cat->indexes, &cat->cap_indexes, need) ||
      tdbReserve(cat->mem, (void ***)&cat->views, &cat->cap_views, cat->nviews + more_views)) {
    return TDB_NOMEM;
  }
  for (i = 0; i < cat->ntables; i++) {
    TdbTableDef *t = cat->tables[i];
    if (tdbReserve(cat->mem, (void ***)&t->indexes, &t->cap_indexes, need) != TDB_OK) return TDB_NOMEM;
  }
  if (extra && tdbReserve(cat->mem, (void ***)&extra->indexes, &extra->cap_indexes, need) != TDB_OK) {
    return TDB_NOMEM;
  }
  return TDB_OK;
}

static void tdbRemove(void **arr, int *n, void *item) {
  int i;
  for (i = 0; i < *n; i++) {
    if (arr[i] == item) {
      memmove(&arr[i], &arr[i + 1], sizeof(void *) * (size_t)(*n - i - 1));
      (*n)--;
      return;
    }
  }
}

static void tdbCatalogSeeId(TdbCatalog *cat, uint32_t id) {
  if (id >= cat->next_id) cat->next_id = id + 1;
}

TDB_PRIVATE int tdbCatalogRelink(TdbCatalog *cat) {
  int i, j, k, rc = TDB_OK;
  for (i = 0; i < cat->ntables; i++) cat->tables[i]->nindexes = 0;
  for (j = 0; j < cat->nindexes; j++) {
    TdbIndexDef *ix = cat->indexes[j];
    TdbTableDef *t = tdbCatalogTableById(cat, ix->table_id);
    if (!t) continue;
    for (k = 0; k < ix->ncols; k++) {
      ix->col[k] = -1;
      for (i = 0; i < t->ncols; i++) {
        if (t->cols[i].pos == ix->pos[k]) ix->col[k] = i;
      }
    }
    if (tdbPush(cat->mem, (void ***)&t->indexes, &t->nindexes, &t->cap_indexes, ix) != TDB_OK) {
      rc = TDB_NOMEM; /* only without a reservation (loading): the caller fails */
    }
  }
  cat->version++;
  return rc;
}

TDB_PRIVATE int tdbCatalogAddTable(TdbCatalog *cat, TdbTableDef *t) {
  int rc = tdbPush(cat->mem, (void ***)&cat->tables, &cat->ntables, &cat->cap_tables, t);
  if (rc == TDB_OK) {
    tdbCatalogSeeId(cat, t->id);
    rc = tdbCatalogRelink(cat);
  }
  return rc;
}

TDB_PRIVATE int tdbCatalogAddIndex(TdbCatalog *cat, TdbIndexDef *ix) {
  int rc = tdbPush(cat->mem, (void ***)&cat->indexes, &cat->nindexes, &cat->cap_indexes, ix);
  if (rc == TDB_OK) {
    tdbCatalogSeeId(cat, ix->id);
    rc = tdbCatalogRelink(cat);
  }
  return rc;
}

TDB_PRIVATE int tdbCatalogAddView(TdbCatalog *cat, TdbViewDef *v) {
  int rc = tdbPush(cat->mem, (void ***)&cat->views, &cat->nviews, &cat->cap_views, v);
  if (rc == TDB_OK) {
    tdbCatalogSeeId(cat, v->id);
    cat->version++;
  }
  return rc;
}

TDB_PRIVATE void tdbCatalogRemoveTable(TdbCatalog *cat, TdbTableDef *t) {
  int j;
  for (j = cat->nindexes - 1; j >= 0; j--) {
    if (cat->indexes[j]->table_id == t->id) tdbCatalogRemoveIndex(cat, cat->indexes[j]);
  }
  tdbRemove((void **)cat->tables, &cat->ntables, t);
  tdbTableDefFree(cat->mem, t);
  (void)tdbCatalogRelink(cat); /* fewer entries: no allocation */
}

TDB_PRIVATE void tdbCatalogRemoveIndex(TdbCatalog *cat, TdbIndexDef *ix) {
  tdbRemove((void **)cat->indexes, &cat->nindexes, ix);
  tdbIndexDefFree(cat->mem, ix);
  (void)tdbCatalogRelink(cat); /* fewer entries: no allocation */
}

TDB_PRIVATE void tdbCatalogRemoveView(TdbCatalog *cat, TdbViewDef *v) {
  tdbRemove((void **)cat->views, &cat->nviews, v);
  tdbViewDefFree(cat->mem, v);
  cat->version++;
}

TDB_PRIVATE void tdbCatalogReplaceTable(TdbCatalog *cat, TdbTableDef *old, TdbTableDef *t) {
  int i;
  for (i = 0; i < cat->ntables; i++) {
    if (cat->tables[i] == old) cat->tables[i] = t;
  }
  tdbTableDefFree(cat->mem, old);
  (void)tdbCatalogRelink(cat); /* t's room was reserved before the commit */
}

/* ---- expressions from text ------------------------------------------------- */

TDB_PRIVATE int tdbCatalogParseExpr(TdbMem *mem, TdbErr *err, const char *sql,
                                    TdbExpr **out) {
  TdbParse parse;
  TdbStr text;
  size_t consumed = 0;
  int rc;
  char *z;
  *out = NULL;
  tdbStrInit(&text, mem);
  tdbStrAppendf(&text, "SELECT (%s)", sql);
  z = tdbStrFinish(&text);
  if (!z) return tdbErrNoMem(err);
  tdbParseInit(&parse, mem, err);
  rc = tdbParseOne(&parse, z, &consumed);
  if (rc == TDB_OK && (!parse.stmt || parse.stmt->kind != TDB_STMT_SELECT ||
                       parse.stmt->select->columns->n != 1 || z[consumed] != '\0')) {
    rc = tdbErrSet(err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT,
                   "catalog expression does not parse: %s", sql);
  }
  if (rc == TDB_OK) {
    TdbExprItem *item = &parse.stmt->select->columns->items[0];
    *out = item->expr;
    item->expr = NULL;
    /* the expression's spans point into z, which is freed: reset them */
  }
  tdbAstStmtFree(mem, parse.stmt);
  tdbMemFree(mem, z);
  return rc;
}

/* ---- encoding ---------------------------------------------------------------- */

static void tdbPutVar(TdbStr *out, uint64_t v) {
  unsigned char buf[10];
  size_t n = tdbPutVarint64(buf, v);
  tdbStrAppend(out, (const char *)buf, n);
}

static void tdbPutStr(TdbStr *out, const char *z) {
  size_t n = z ? strlen(z) : 0;
  tdbPutVar(out, n);
  tdbStrAppend(out, z ? z : "", n);
}

static int tdbEncodeDone(TdbStr *out) {
  return out->oom ? TDB_NOMEM : TDB_OK;
}

TDB_PRIVATE int tdbCatalogEncodeTable(TdbStr *out, const TdbTableDef *t) {
  int i;
  tdbStrAppendChar(out, (char)TDB_OBJ_TABLE);
  tdbPutStr(out, t->name);
  tdbPutStr(out, t->sql);
  tdbPutVar(out, (uint64_t)t->ncols);
  for (i = 0; i < t->ncols; i++) {
    const TdbColumnDef *c = &t->cols[i];
    int flags = (c->notnull ? 1 : 0) | (c->dflt_sql ? 2 : 0) | (c->doc ? 4 : 0);
    tdbPutStr(out, c->name);
    tdbStrAppendChar(out, (char)c->type);
    tdbPutVar(out, (uint64_t)(c->dim + 1));
    tdbStrAppendChar(out, (char)flags);
    tdbPutVar(out, (uint64_t)c->pk);
    tdbPutVar(out, c->pos);
    if (c->dflt_sql) tdbPutStr(out, c->dflt_sql);
  }
  tdbPutVar(out, (uint64_t)t->nchecks);
  for (i = 0; i < t->nchecks; i++) tdbPutStr(out, t->checks[i].sql);
  tdbPutVar(out, t->next_pos);
  return tdbEncodeDone(out);
}

TDB_PRIVATE int tdbCatalogEncodeIndex(TdbStr *out, const TdbIndexDef *ix) {
  int i;
  tdbStrAppendChar(out, (char)TDB_OBJ_INDEX);
  tdbPutStr(out, ix->name);
  tdbPutStr(out, ix->sql);
  tdbPutVar(out, ix->table_id);
  tdbStrAppendChar(out, (char)(ix->unique ? 1 : 0));
  tdbPutVar(out, (uint64_t)ix->ncols);
  for (i = 0; i < ix->ncols; i++) {
    tdbPutVar(out, ix->pos[i]);
    tdbStrAppendChar(out, (char)(ix->desc[i] ? 1 : 0));
  }
  return tdbEncodeDone(out);
}

TDB_PRIVATE int tdbCatalogEncodeView(TdbStr *out, const TdbViewDef *v) {
  tdbStrAppendChar(out, (char)TDB_OBJ_VIEW);
  tdbPutStr(out, v->name);
  tdbPutStr(out, v->sql);
  tdbPutStr(out, v->body);
  return tdbEncodeDone(out);
}

TDB_PRIVATE int tdbCatalogEncodeDropped(TdbStr *out, int kind, const char *name) {
  tdbStrAppendChar(out, (char)(kind | TDB_OBJ_DROPPED));
  tdbPutStr(out, name);
  return tdbEncodeDone(out);
}

TDB_PRIVATE int tdbCatalogObjectKey(TdbStr *out, uint32_t id) {
  tdbStrAppendChar(out, (char)TDB_KEYSPACE_CATALOG);
  return tdbKeyEncodeU32BE(out, id);
}

TDB_PRIVATE int tdbCatalogNameKey(TdbStr *out, const char *name) {
  TdbValue v;
  v.type = TDB_TYPE_TEXT;
  v.owned = 0;
  v.n = (uint32_t)strlen(name);
  v.u.z = (char *)name;
  tdbStrAppendChar(out, (char)TDB_KEYSPACE_NAMES);
  return tdbKeyEncodeValue(out, &v);
}

/* ---- decoding ---------------------------------------------------------------- */

typedef struct TdbReader {
  const unsigned char *p, *end;
  int bad;
} TdbReader;

static uint64_t tdbGetVar(TdbReader *r) {
  uint64_t v = 0;
  size_t n;
  if (r->bad) return 0;
  n = tdbGetVarint64(r->p, r->end, &v);
  if (n == 0) {
    r->bad = 1;
    return 0;
  }
  r->p += n;
  return v;
}

static int tdbGetByte(TdbReader *r) {
  if (r->bad || r->p >= r->end) {
    r->bad = 1;
    return 0;
  }
  return *r->p++;
}

/* A NUL-terminated copy of the next string, or NULL (bad or out of memory:
** *nomem tells which). */
static char *tdbGetStr(TdbReader *r, TdbMem *mem, int *nomem) {
  uint64_t n = tdbGetVar(r);
  char *z;
  if (r->bad) return NULL;
  if (n > (uint64_t)(r->end - r->p)) {
    r->bad = 1;
    return NULL;
  }
  z = tdbMemStrndup(mem, (const char *)r->p, (size_t)n);
  if (!z) {
    *nomem = 1;
    r->bad = 1;
    return NULL;
  }
  if (strlen(z) != n) r->bad = 1; /* a NUL inside a name is not ours */
  r->p += n;
  return z;
}

static int tdbDecodeTable(TdbCatalog *cat, TdbReader *r, uint32_t id, int *nomem,
                          TdbTableDef **out) {
  TdbMem *mem = cat->mem;
  TdbTableDef *t = tdbMemAllocZero(mem, sizeof *t);
  uint64_t n;
  int i;
  *out = NULL;
  if (!t) {
    *nomem = 1;
    return TDB_NOMEM;
  }
  t->id = id;
  t->name = tdbGetStr(r, mem, nomem);
  t->sql = tdbGetStr(r, mem, nomem);
  n = tdbGetVar(r);
  if (r->bad || n == 0 || n > TDB_MAX_COLUMNS) goto bad;
  t->cols = tdbMemAllocZero(mem, sizeof *t->cols * (size_t)n);
  if (!t->cols) {
    *nomem = 1;
    goto bad;
  }
  for (i = 0; i < (int)n; i++) {
    TdbColumnDef *c = &t->cols[i];
    int flags;
    t->ncols = i + 1;
    c->name = tdbGetStr(r, mem, nomem);
    c->type = tdbGetByte(r);
    c->dim = (int)tdbGetVar(r) - 1;
    flags = tdbGetByte(r);
    c->pk = (int)tdbGetVar(r);
    c->pos = (uint32_t)tdbGetVar(r);
    c->notnull = flags & 1;
    c->doc = (flags & 4) != 0;
    if (flags & 2) c->dflt_sql = tdbGetStr(r, mem, nomem);
    if (r->bad || c->type > TDB_TYPE_VECTOR || (flags & ~7) || c->pk > TDB_MAX_KEY_COLUMNS) {
      goto bad;
    }
    if (c->pk) {
      if (c->pk > t->npk) t->npk = c->pk;
      t->pk[c->pk - 1] = i;
    }
  }
  n = tdbGetVar(r);
  if (r->bad || n > 1000) goto bad;
  if (n) {
    t->checks = tdbMemAllocZero(mem, sizeof *t->checks * (size_t)n);
    if (!t->checks) {
      *nomem = 1;
      goto bad;
    }
  }
  for (i = 0; i < (int)n; i++) {
    t->nchecks = i + 1;
    t->checks[i].sql = tdbGetStr(r, mem, nomem);
  }
  t->next_pos = (uint32_t)tdbGetVar(r);
  if (r->bad || r->p != r->end || t->next_pos > TDB_MAX_COLUMNS * 4) goto bad;
  /* positions below next_pos and distinct; key positions 1..npk once each */
  for (i = 0; i < t->ncols; i++) {
    int j;
    if (t->cols[i].pos >= t->next_pos) goto bad;
    for (j = 0; j < i; j++) {
      if (t->cols[j].pos == t->cols[i].pos || (t->cols[i].pk && t->cols[j].pk == t->cols[i].pk)) goto bad;
      if (strcmp(t->cols[j].name, t->cols[i].name) == 0) goto bad;
    }
  }
  for (i = 0; i < t->npk; i++) {
    int j, found = 0;
    for (j = 0; j < t->ncols; j++) found += t->cols[j].pk == i + 1;
    if (found != 1) goto bad;
  }
  *out = t;
  return TDB_OK;
bad:
  tdbTableDefFree(mem, t);
  return *nomem ? TDB_NOMEM : TDB_CORRUPT;
}

static int tdbDecodeIndex(TdbCatalog *cat, TdbReader *r, uint32_t id, int *nomem,
                          TdbIndexDef **out) {
  TdbIndexDef *ix = tdbMemAllocZero(cat->mem, sizeof *ix);
  uint64_t n;
  int i;
  *out = NULL;
  if (!ix) {
    *nomem = 1;
    return TDB_NOMEM;
  }
  ix->id = id;
  ix->name = tdbGetStr(r, cat->mem, nomem);
  ix->sql = tdbGetStr(r, cat->mem, nomem);
  ix->table_id = (uint32_t)tdbGetVar(r);
  ix->unique = tdbGetByte(r);
  n = tdbGetVar(r);
  if (r->bad || n == 0 || n > TDB_MAX_KEY_COLUMNS || ix->unique > 1) goto bad;
  ix->ncols = (int)n;
  for (i = 0; i < ix->ncols; i++) {
    ix->pos[i] = (uint32_t)tdbGetVar(r);
    ix->desc[i] = (int8_t)tdbGetByte(r);
  }
  if (r->bad || r->p != r->end) goto bad;
  *out = ix;
  return TDB_OK;
bad:
  tdbIndexDefFree(cat->mem, ix);
  return *nomem ? TDB_NOMEM : TDB_CORRUPT;
}

static int tdbDecodeView(TdbCatalog *cat, TdbReader *r, uint32_t id, int *nomem,
                         TdbViewDef **out) {
  TdbViewDef *v = tdbMemAllocZero(cat->mem, sizeof *v);
  *out = NULL;
  if (!v) {
    *nomem = 1;
    return TDB_NOMEM;
  }
  v->id = id;
  v->name = tdbGetStr(r, cat->mem, nomem);
  v->sql = tdbGetStr(r, cat->mem, nomem);
  v->body = tdbGetStr(r, cat->mem, nomem);
  if (r->bad || r->p != r->end) {
    tdbViewDefFree(cat->mem, v);
    return *nomem ? TDB_NOMEM : TDB_CORRUPT;
  }
  *out = v;
  return TDB_OK;
}

/* Parse the DEFAULT and CHECK texts of a loaded table. */
static int tdbTableParseExprs(TdbMem *mem, TdbErr *err, TdbTableDef *t) {
  int i, rc;
  for (i = 0; i < t->ncols; i++) {
    if (!t->cols[i].dflt_sql) continue;
    rc = tdbCatalogParseExpr(mem, err, t->cols[i].dflt_sql, &t->cols[i].dflt);
    if (rc == TDB_OK) rc = tdbBindTableExpr(mem, err, NULL, NULL, NULL, t->cols[i].dflt);
    if (rc != TDB_OK) return rc;
  }
  for (i = 0; i < t->nchecks; i++) {
    TdbSource src;
    rc = tdbCatalogParseExpr(mem, err, t->checks[i].sql, &t->checks[i].expr);
    if (rc != TDB_OK) return rc;
    memset(&src, 0, sizeof src);
    src.table = t;
    rc = tdbBindTableExpr(mem, err, NULL, NULL, &src, t->checks[i].expr);
    if (rc != TDB_OK) return rc;
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbCatalogLoadAt(TdbCatalog *cat, TdbStore *store, uint64_t as_of,
                                 struct TdbMemtable *pending, TdbErr *err) {
  TdbDbIter *it = NULL;
  unsigned char prefix = TDB_KEYSPACE_CATALOG;
  int rc = tdbStoreIterWith(store, as_of, pending, err, &it);
  if (rc != TDB_OK) return rc;
  for (tdbDbIterSeek(it, &prefix, 1); tdbDbIterValid(it); tdbDbIterNext(it)) {
    size_t kn, vn;
    const unsigned char *k = tdbDbIterKey(it, &kn);
    const unsigned char *v = tdbDbIterValue(it, &vn);
    TdbReader r;
    uint32_t id;
    int kind, nomem = 0;
    if (kn == 0 || k[0] != TDB_KEYSPACE_CATALOG) break;
    if (kn != 5) goto corrupt;
    id = tdbKeyGetU32BE(k + 1);
    tdbCatalogSeeId(cat, id);
    r.p = v;
    r.end = v + vn;
    r.bad = 0;
    kind = tdbGetByte(&r);
    if (kind & TDB_OBJ_DROPPED) continue;
    if (kind == TDB_OBJ_TABLE) {
      TdbTableDef *t;
      rc = tdbDecodeTable(cat, &r, id, &nomem, &t);
      if (rc == TDB_OK) rc = tdbTableParseExprs(cat->mem, err, t);
      if (rc == TDB_OK) rc = tdbPush(cat->mem, (void ***)&cat->tables, &cat->ntables, &cat->cap_tables, t);
      if (rc != TDB_OK) tdbTableDefFree(cat->mem, t);
    } else if (kind == TDB_OBJ_INDEX) {
      TdbIndexDef *ix;
      rc = tdbDecodeIndex(cat, &r, id, &nomem, &ix);
      if (rc == TDB_OK) rc = tdbPush(cat->mem, (void ***)&cat->indexes, &cat->nindexes, &cat->cap_indexes, ix);
      if (rc != TDB_OK) tdbIndexDefFree(cat->mem, ix);
    } else if (kind == TDB_OBJ_VIEW) {
      TdbViewDef *vd;
      rc = tdbDecodeView(cat, &r, id, &nomem, &vd);
      if (rc == TDB_OK) rc = tdbPush(cat->mem, (void ***)&cat->views, &cat->nviews, &cat->cap_views, vd);
      if (rc != TDB_OK) tdbViewDefFree(cat->mem, vd);
    } else {
      rc = TDB_CORRUPT;
    }
    if (rc == TDB_NOMEM) {
      tdbDbIterFree(it);
      return tdbErrNoMem(err);
    }
    if (rc == TDB_CORRUPT) {
      tdbDbIterFree(it);
      return tdbErrSet(err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT,
                       "catalog object %u does not decode", (unsigned)id);
    }
    if (rc != TDB_OK) {
      tdbDbIterFree(it);
      return rc;
    }
    continue;
  corrupt:
    tdbDbIterFree(it);
    return tdbErrSet(err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT, "catalog key of %zu bytes", kn);
  }
  rc = tdbDbIterStatus(it);
  tdbDbIterFree(it);
  if (rc != TDB_OK) return tdbErrSet(err, rc, NULL, "reading the catalog failed");
  if (tdbCatalogRelink(cat) != TDB_OK) return tdbErrNoMem(err);
  {
    /* every index must name columns of an existing table */
    int j, k;
    for (j = 0; j < cat->nindexes; j++) {
      const TdbIndexDef *ix = cat->indexes[j];
      int bad = !tdbCatalogTableById(cat, ix->table_id);
      for (k = 0; k < ix->ncols && !bad; k++) bad = ix->col[k] < 0;
      if (bad) {
        return tdbErrSet(err, TDB_CORRUPT, TDB_SQLSTATE_CORRUPT,
                         "catalog object %u (index %s) names a missing table or column",
                         (unsigned)ix->id, ix->name);
      }
    }
  }
  return TDB_OK;
}

/* ---- DDL text ---------------------------------------------------------------- */

TDB_PRIVATE char *tdbTableDdl(TdbMem *mem, const TdbTableDef *t) {
  TdbStr q;
  int i, first = 1;
  tdbStrInit(&q, mem);
  tdbStrAppendz(&q, "CREATE TABLE ");
  tdbStrAppendz(&q, t->name);
  tdbStrAppendz(&q, " (");
  for (i = 0; i < t->ncols; i++) {
    const TdbColumnDef *c = &t->cols[i];
    if (c->doc) continue; /* implicit */
    if (!first) tdbStrAppendz(&q, ", ");
    first = 0;
    tdbPrintName(&q, c->name); /* quoted when needed: CREATE TABLE AS names */
    if (c->type == TDB_TYPE_VECTOR && c->dim > 0) tdbStrAppendf(&q, " VECTOR(%d)", c->dim);
    else if (c->type != TDB_TYPE_NULL) tdbStrAppendf(&q, " %s", tdbTypeName(c->type));
    if (c->notnull && !c->pk) tdbStrAppendz(&q, " NOT NULL");
    if (c->dflt_sql) tdbStrAppendf(&q, " DEFAULT %s", c->dflt_sql);
  }
  if (t->npk > 0) {
    tdbStrAppendz(&q, ", PRIMARY KEY (");
    for (i = 0; i < t->npk; i++) tdbStrAppendf(&q, "%s%s", i ? ", " : "", t->cols[t->pk[i]].name);
    tdbStrAppendChar(&q, ')');
  }
  for (i = 0; i < t->nchecks; i++) tdbStrAppendf(&q, ", CHECK (%s)", t->checks[i].sql);
  tdbStrAppendChar(&q, ')');
  return tdbStrFinish(&q);
}

/* ---- copy -------------------------------------------------------------------- */

TDB_PRIVATE TdbTableDef *tdbTableDefCopy(TdbMem *mem, TdbErr *err, const TdbTableDef *t) {
  TdbStr enc;
  TdbReader r;
  TdbCatalog tmp;
  TdbTableDef *copy = NULL;
  int nomem = 0, rc;
  tdbStrInit(&enc, mem);
  rc = tdbCatalogEncodeTable(&enc, t);
  if (rc == TDB_OK) {
    tdbCatalogInit(&tmp, mem);
    r.p = (const unsigned char *)enc.z + 1;
    r.end = (const unsigned char *)enc.z + enc.n;
    r.bad = 0;
    rc = tdbDecodeTable(&tmp, &r, t->id, &nomem, &copy);
    if (rc == TDB_OK) rc = tdbTableParseExprs(mem, err, copy);
  }
  tdbStrClear(&enc);
  if (rc != TDB_OK) {
    tdbTableDefFree(mem, copy);
    if (rc == TDB_NOMEM) tdbErrNoMem(err);
    return NULL;
  }
  copy->next_rowid = t->next_rowid;
  copy->rowid_loaded = t->rowid_loaded;
  return copy;
}
