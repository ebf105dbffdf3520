/*
** temporal_session.h — SET CURRENT_VALID_TIME, the statement's current
** valid time, the epoch-clock functions and SHOW DRIFT
** (temporal_session.c).
*/
#ifndef TDB_TEMPORAL_SESSION_H
#define TDB_TEMPORAL_SESSION_H

#include "db.h"
#include "func.h"

/* At statement start (ex->now set): ex->cvt from the session, and the
** clock part of the current-rows bound (ex->current_bound). */
TDB_PRIVATE int tdbTemporalStart(tdb *db, TdbExec *ex);
/* The valid time from which the current rows (0x03) of table t answer a
** default read: max(wall(head), the table's kept bound; temporal_session.c). */
TDB_PRIVATE int tdbTemporalCurrentBound(TdbExec *ex, const TdbTableDef *t, int64_t *bound);
/* Before a write of table t commits batch b: record `boundary`, the largest
** valid_to of a bounded piece it wrote other than a default CVT (INT64_MIN:
** none), in b when it is beyond the kept one and the clock. */
TDB_PRIVATE int tdbTemporalNoteWrite(tdb *db, TdbBatch *b, TdbTableDef *t, int64_t boundary);
/* Run SET name = value | DEFAULT. */
TDB_PRIVATE int tdbExecSet(tdb_stmt *st);
/* EPOCH_AT, EPOCH_TIME, CURRENT_EPOCH, CURRENT_VALID_TIME, or NULL; the
** i-th of them in name order (NULL past the end), for tdb_functions. */
TDB_PRIVATE const TdbFuncDef *tdbTemporalFuncFind(const char *name);
TDB_PRIVATE const TdbFuncDef *tdbTemporalFuncAt(int i);
/* The SELECT that SHOW DRIFT a stands for (TEMPORAL.md §1.9); sql is the
** statement text its key expressions point into. *out is owned. */
TDB_PRIVATE int tdbDriftSql(tdb *db, const TdbAstStmt *a, const char *sql, char **out);

#endif /* TDB_TEMPORAL_SESSION_H */
