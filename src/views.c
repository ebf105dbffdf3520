/*
** views.c — the catalog views (see views.h).
*/
#include "views.h"
#include "func.h"
#include "parser.h"

/* Set out to a copy of the NUL-terminated text z: 0, or -TDB_NOMEM. */
static int tdbViewText(TdbMem *mem, TdbValue *out, const char *z) {
  return tdbValueSetBytes(mem, out, TDB_TYPE_TEXT, z, strlen(z)) == TDB_OK ? 0 : -TDB_NOMEM;
}

static const TdbViewColumn tdbViewTablesCols[] = {{"name", TDB_TYPE_TEXT},
                                                  {"sql", TDB_TYPE_TEXT}};

static int tdbViewTablesRow(TdbMem *mem, int64_t i, TdbValue *out) {
  TDB_UNUSED(mem);
  TDB_UNUSED(i);
  TDB_UNUSED(out);
  return 0; /* no tables before the SQL catalog exists */
}

static const TdbViewColumn tdbViewFunctionsCols[] = {{"name", TDB_TYPE_TEXT},
                                                     {"min_args", TDB_TYPE_INTEGER},
                                                     {"max_args", TDB_TYPE_INTEGER}};

static int tdbViewFunctionsRow(TdbMem *mem, int64_t i, TdbValue *out) {
  const TdbFuncDef *f = i >= 0 && i <= INT32_MAX ? tdbFuncAt((int)i) : NULL;
  if (!f) return 0;
  if (tdbViewText(mem, &out[0], f->name) != 0) return -TDB_NOMEM;
  tdbValueSetInt(&out[1], f->min_args);
  if (f->max_args >= 0) tdbValueSetInt(&out[2], f->max_args);
  return 1;
}

static const TdbViewColumn tdbViewKeywordsCols[] = {{"name", TDB_TYPE_TEXT}};

static int tdbViewKeywordsRow(TdbMem *mem, int64_t i, TdbValue *out) {
  const char *kw = i >= 0 && i <= INT32_MAX ? tdbKeywordName((int)i) : NULL;
  if (!kw) return 0;
  return tdbViewText(mem, &out[0], kw) == 0 ? 1 : -TDB_NOMEM;
}

static const TdbView tdbViews[] = {
    {"tdb_functions", 3, tdbViewFunctionsCols, tdbViewFunctionsRow},
    {"tdb_keywords", 1, tdbViewKeywordsCols, tdbViewKeywordsRow},
    {"tdb_tables", 2, tdbViewTablesCols, tdbViewTablesRow},
};

TDB_PRIVATE const TdbView *tdbViewFind(const char *name) {
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(tdbViews); i++) {
    if (strcmp(tdbViews[i].name, name) == 0) return &tdbViews[i];
  }
  return NULL;
}
