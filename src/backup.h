/*
** backup.h — BACKUP TO, RESTORE FROM and VERIFY BACKUP (TEMPORAL.md §1.10):
** logical backups of committed epochs that restore to identical epochs,
** wall-clocks and history. The file format is drawn in backup.c and
** docs/storage.md.
*/
#ifndef TDB_BACKUP_H
#define TDB_BACKUP_H

#include "db.h"

/* Result columns of the three statements (stmt.c gives them to the
** statement at prepare): since_epoch | through_epoch | commits, and for
** VERIFY BACKUP also status. *names points at static strings. */
TDB_PRIVATE int tdbBackupColumns(int kind, char *const **names);

/* Run BACKUP TO / RESTORE FROM / VERIFY BACKUP at the statement's first
** step; the one result row goes to st->result. */
TDB_PRIVATE int tdbExecBackup(tdb_stmt *st);

/* A constant epoch argument (SINCE EPOCH n, BEFORE EPOCH n): a non-negative
** INTEGER; `what` names the clause in errors. Shared with purge.c. */
TDB_PRIVATE int tdbAdminEpochArg(tdb_stmt *st, TdbExpr *e, const char *what, uint64_t *out);

#endif /* TDB_BACKUP_H */
