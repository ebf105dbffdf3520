/*
** views.c — the catalog views (see views.h).
*/
#include "views.h"
#include "catalog.h"
#include "func.h"
#include "parser.h"

#include <stdio.h>

/* Set out to a copy of the NUL-terminated text z: 0, or -TDB_NOMEM. */
static int tdbViewText(TdbMem *mem, TdbValue *out, const char *z) {
  return tdbValueSetBytes(mem, out, TDB_TYPE_TEXT, z, strlen(z)) == TDB_OK ? 0 : -TDB_NOMEM;
}

static const TdbViewColumn tdbViewTablesCols[] = {{"name", TDB_TYPE_TEXT},
                                                  {"sql", TDB_TYPE_TEXT}};

static int tdbViewTablesRow(const TdbCatalog *cat, TdbMem *mem, int64_t i, TdbValue *out) {
  const TdbTableDef *t;
  if (i < 0 || i >= cat->ntables) return 0;
  t = cat->tables[i];
  if (tdbViewText(mem, &out[0], t->name) != 0) return -TDB_NOMEM;
  if (tdbViewText(mem, &out[1], t->sql ? t->sql : "") != 0) return -TDB_NOMEM;
  return 1;
}

static const TdbViewColumn tdbViewViewsCols[] = {{"name", TDB_TYPE_TEXT},
                                                 {"sql", TDB_TYPE_TEXT}};

static int tdbViewViewsRow(const TdbCatalog *cat, TdbMem *mem, int64_t i, TdbValue *out) {
  const TdbViewDef *v;
  if (i < 0 || i >= cat->nviews) return 0;
  v = cat->views[i];
  if (tdbViewText(mem, &out[0], v->name) != 0) return -TDB_NOMEM;
  if (tdbViewText(mem, &out[1], v->sql ? v->sql : "") != 0) return -TDB_NOMEM;
  return 1;
}

/* The declared type of a column as SQL text. */
static void tdbColumnTypeText(const TdbColumnDef *c, char *buf, size_t n) {
  if (c->type == TDB_TYPE_NULL) snprintf(buf, n, "ANY");
  else if (c->type == TDB_TYPE_VECTOR && c->dim > 0) snprintf(buf, n, "VECTOR(%d)", c->dim);
  else snprintf(buf, n, "%s", tdbTypeName(c->type));
}

static const TdbViewColumn tdbViewColumnsCols[] = {
    {"table_name", TDB_TYPE_TEXT}, {"name", TDB_TYPE_TEXT},       {"type", TDB_TYPE_TEXT},
    {"position", TDB_TYPE_INTEGER}, {"notnull", TDB_TYPE_BOOLEAN}, {"default_value", TDB_TYPE_TEXT},
    {"pk", TDB_TYPE_INTEGER}};

static int tdbViewColumnsRow(const TdbCatalog *cat, TdbMem *mem, int64_t i, TdbValue *out) {
  int t;
  char type[32];
  for (t = 0; t < cat->ntables; t++) {
    const TdbTableDef *td = cat->tables[t];
    const TdbColumnDef *c;
    if (i >= td->ncols) {
      i -= td->ncols;
      continue;
    }
    c = &td->cols[i];
    tdbColumnTypeText(c, type, sizeof type);
    if (tdbViewText(mem, &out[0], td->name) != 0 || tdbViewText(mem, &out[1], c->name) != 0 ||
        tdbViewText(mem, &out[2], type) != 0) {
      return -TDB_NOMEM;
    }
    tdbValueSetInt(&out[3], i + 1);
    tdbValueSetBool(&out[4], c->notnull || c->pk);
    if (c->dflt_sql && tdbViewText(mem, &out[5], c->dflt_sql) != 0) return -TDB_NOMEM;
    tdbValueSetInt(&out[6], c->pk);
    return 1;
  }
  return 0;
}

static const TdbViewColumn tdbViewIndexesCols[] = {{"name", TDB_TYPE_TEXT},
                                                   {"table_name", TDB_TYPE_TEXT},
                                                   {"unique", TDB_TYPE_BOOLEAN},
                                                   {"columns", TDB_TYPE_TEXT},
                                                   {"sql", TDB_TYPE_TEXT}};

static int tdbViewIndexesRow(const TdbCatalog *cat, TdbMem *mem, int64_t i, TdbValue *out) {
  const TdbIndexDef *ix;
  const TdbTableDef *t;
  TdbStr cols;
  int k, rc;
  if (i < 0 || i >= cat->nindexes) return 0;
  ix = cat->indexes[i];
  t = tdbCatalogTableById(cat, ix->table_id);
  tdbStrInit(&cols, mem);
  for (k = 0; k < ix->ncols; k++) {
    if (k) tdbStrAppendz(&cols, ", ");
    tdbStrAppendz(&cols, t && ix->col[k] >= 0 ? t->cols[ix->col[k]].name : "?");
    if (ix->desc[k]) tdbStrAppendz(&cols, " DESC");
  }
  rc = tdbViewText(mem, &out[0], ix->name);
  if (rc == 0) rc = tdbViewText(mem, &out[1], t ? t->name : "?");
  tdbValueSetBool(&out[2], ix->unique);
  if (rc == 0) rc = cols.oom ? -TDB_NOMEM : tdbViewText(mem, &out[3], cols.z ? cols.z : "");
  if (rc == 0) rc = tdbViewText(mem, &out[4], ix->sql ? ix->sql : "");
  tdbStrClear(&cols);
  return rc == 0 ? 1 : rc;
}

static const TdbViewColumn tdbViewFunctionsCols[] = {{"name", TDB_TYPE_TEXT},
                                                     {"min_args", TDB_TYPE_INTEGER},
                                                     {"max_args", TDB_TYPE_INTEGER}};

static int tdbViewFunctionsRow(const TdbCatalog *cat, TdbMem *mem, int64_t i, TdbValue *out) {
  TDB_UNUSED(cat);
  const TdbFuncDef *f = i >= 0 && i <= INT32_MAX ? tdbFuncAt((int)i) : NULL;
  if (!f) return 0;
  if (tdbViewText(mem, &out[0], f->name) != 0) return -TDB_NOMEM;
  tdbValueSetInt(&out[1], f->min_args);
  if (f->max_args >= 0) tdbValueSetInt(&out[2], f->max_args);
  return 1;
}

static const TdbViewColumn tdbViewKeywordsCols[] = {{"name", TDB_TYPE_TEXT}};

static int tdbViewKeywordsRow(const TdbCatalog *cat, TdbMem *mem, int64_t i, TdbValue *out) {
  TDB_UNUSED(cat);
  const char *kw = i >= 0 && i <= INT32_MAX ? tdbKeywordName((int)i) : NULL;
  if (!kw) return 0;
  return tdbViewText(mem, &out[0], kw) == 0 ? 1 : -TDB_NOMEM;
}

static const TdbView tdbViews[] = {
    {"tdb_columns", 7, tdbViewColumnsCols, tdbViewColumnsRow},
    {"tdb_functions", 3, tdbViewFunctionsCols, tdbViewFunctionsRow},
    {"tdb_indexes", 5, tdbViewIndexesCols, tdbViewIndexesRow},
    {"tdb_keywords", 1, tdbViewKeywordsCols, tdbViewKeywordsRow},
    {"tdb_tables", 2, tdbViewTablesCols, tdbViewTablesRow},
    {"tdb_views", 2, tdbViewViewsCols, tdbViewViewsRow},
};

TDB_PRIVATE const TdbView *tdbViewFind(const char *name) {
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(tdbViews); i++) {
    if (strcmp(tdbViews[i].name, name) == 0) return &tdbViews[i];
  }
  return NULL;
}
