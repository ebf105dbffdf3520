/*
** ast_admin.c — AST builders of the administrative statements: BACKUP TO,
** RESTORE FROM, VERIFY BACKUP (run by backup.c) and PURGE HISTORY, PURGE
** (run by purge.c). Like every builder they own their arguments and free
** them when the statement cannot be built.
*/
#include "ast.h"

TDB_PRIVATE void tdbParseBackup(TdbParse *p, int kind, TdbToken dir, TdbExpr *since) {
  TdbExpr *path;
  TdbAstStmt *st;
  if (p->rc != TDB_OK) {
    tdbExprFree(p->mem, since);
    return;
  }
  path = tdbExprString(p, dir); /* unquotes '...' ('' -> ') */
  st = path ? tdbParseBegin(p, kind) : NULL;
  if (!st) {
    tdbExprFree(p->mem, path);
    tdbExprFree(p->mem, since);
    return;
  }
  st->name = tdbMemStrndup(p->mem, path->value.u.z ? path->value.u.z : "", path->value.n);
  tdbExprFree(p->mem, path);
  st->where = since;
  if (!st->name && p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
}

TDB_PRIVATE void tdbParsePurgeHistory(TdbParse *p, const TdbToken *table, TdbExpr *epoch) {
  TdbAstStmt *st;
  if (p->rc != TDB_OK || !epoch) {
    tdbExprFree(p->mem, epoch);
    return;
  }
  st = tdbParseBegin(p, TDB_STMT_PURGE_HISTORY);
  if (!st) {
    tdbExprFree(p->mem, epoch);
    return;
  }
  st->where = epoch;
  if (table) tdbParseSetName(p, *table);
}

TDB_PRIVATE void tdbParsePurge(TdbParse *p, TdbToken table, TdbExprList *key, TdbExpr *pred) {
  TdbAstStmt *st;
  if (p->rc != TDB_OK || (!key && !pred)) {
    tdbExprListFree(p->mem, key);
    tdbExprFree(p->mem, pred);
    return;
  }
  st = tdbParseBegin(p, TDB_STMT_PURGE);
  if (!st) {
    tdbExprListFree(p->mem, key);
    tdbExprFree(p->mem, pred);
    return;
  }
  tdbParseSetName(p, table);
  st->set = key;
  st->where = pred;
}
