/*
** temporal_session.h — SET CURRENT_VALID_TIME, the statement's current
** valid time, the epoch-clock functions and SHOW DRIFT
** (temporal_session.c).
*/
#ifndef TDB_TEMPORAL_SESSION_H
#define TDB_TEMPORAL_SESSION_H

#include "db.h"
#include "func.h"

/* At statement start (ex->now set): ex->cvt from the session, and whether
** default reads must go through the history (ex->current_inexact). */
TDB_PRIVATE int tdbTemporalStart(tdb *db, TdbExec *ex);
/* Before a write commits batch b: record `boundary`, the largest period
** bound it wrote other than a default CVT (INT64_MIN: none), in b when it
** is beyond every such bound so far and the clock (temporal_session.c). */
TDB_PRIVATE int tdbTemporalNoteWrite(tdb *db, TdbBatch *b, int64_t boundary);
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
