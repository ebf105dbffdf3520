/*
** db.h — the connection (struct tdb) and prepared statement (struct
** tdb_stmt) objects behind the public API.
*/
#ifndef TDB_DB_H
#define TDB_DB_H

#include "catalog.h"
#include "schema_past.h"
#include "dbshare.h"
#include "exec.h"
#include "store.h"
#include "txn.h"

/* Keyspaces: the first byte of every key the engine stores. On-disk: do not
** renumber. The SQL layer's keyspaces (catalog, rows, indexes) come with it. */
#define TDB_KEYSPACE_KV 0x10     /* keys of the public key-value API */

struct tdb {
  TdbMem mem;
  TdbErr err;
  tdb_config config;
  char *path;
  TdbStore *store;         /* = shared's store */
  TdbShared *shared;       /* the database, maybe shared with other connections */
  int write_locked;        /* this connection holds the write lock (dbshare.h) */
  uint64_t catalog_watch;  /* the store's watch epoch the catalog was loaded at */
  uint64_t seen_head;      /* snapshot of the last statement (tdbShareNoteSnapshot) */
  int64_t changes;        /* rows changed by the last statement */
  tdb_stmt *stmts;        /* every open statement, closed with the connection */
  TdbCatalog catalog;     /* the schema (catalog.h) */
  TdbSchemaPast schema_past; /* catalogs of past epochs (schema_past.h) */
  int64_t last_time;      /* the last statement time handed out (µs) */
  /* session: SET CURRENT_VALID_TIME (temporal_session.c) */
  int cvt_fixed;          /* 1: cvt is fixed; 0: DEFAULT (the statement time) */
  int64_t cvt;
  TdbTxn txn;             /* the open explicit transaction (txn.h) */
};

/* tdb_open() on `vfs` (not owned: it must outlive the connection) instead of
** the one config->vfs names; NULL: as tdb_open(). For tests that open a
** database over the fault VFS (tests/unit/test_txn_crash.c). */
TDB_PRIVATE int tdbOpenVfs(const char *path, const tdb_config *config, TdbVfs *vfs,
                           tdb **out);

/* The time of a statement starting now: max(clock, previous + 1 µs, the
** head commit's wall-clock + 1 µs), so statement times strictly increase
** and a new statement's valid time is after every committed write. */
TDB_PRIVATE int64_t tdbStatementTime(tdb *db);

/* Where a statement is in its execution. */
typedef enum TdbStmtState {
  TDB_STMT_READY,         /* not started, or reset */
  TDB_STMT_HAS_ROW,       /* the last step returned TDB_ROW */
  TDB_STMT_DONE           /* the last step returned TDB_DONE or an error */
} TdbStmtState;

struct tdb_stmt {
  tdb *db;
  struct TdbDmlKeep *dml_keep; /* DML buffers kept between executions (dml.h) */
  tdb_stmt *prev, *next;  /* in db->stmts */
  char *sql;              /* the statement's text (NUL-terminated) */
  TdbAstStmt *ast;
  int nparams;
  TdbValue *params;       /* nparams bound values (owned copies) */
  int ncols;
  char **col_names;       /* ncols names (owned) */
  /* the current row (state HAS_ROW), not copied: cur_row (a row of
  ** `result`), or when that is NULL row cur_r of `chunk` */
  const TdbValue *cur_row;
  int cur_r;
  char **col_text;        /* lazily rendered text of row values */
  int ntext;              /* col_text entries rendered for the current row */
  TdbStmtState state;
  uint64_t schema_version;/* catalog version the plan was made for */
  TdbPlan *plans;         /* every plan node of the statement */
  TdbPlan *root;          /* SELECT: the plan producing the result */
  TdbSource *target;      /* INSERT / UPDATE / DELETE: the table as a FROM item */
  TdbPlan *target_rows;   /* UPDATE / DELETE: the rows to change */
  TdbExec exec;
  TdbVecPool *pool;       /* scratch vectors of expression evaluation */
  int pinned;             /* exec.snapshot is pinned in the store */
  TdbPlan *point;         /* SELECT: the primary-key point SCAN the direct
                          ** lookup reads (tdbPointScanOf), or NULL */
  int point_ran;          /* this execution ran the direct lookup: `chunk`
                          ** is the scan's, output column c its column
                          ** root->exprs[c]->column */
  TdbChunk *chunk;        /* SELECT: the chunk being returned */
  int chunk_pos;          /* its next live row */
  TdbRowSet result;       /* rows computed before the first is returned
                             (RETURNING, EXPLAIN) */
  size_t result_pos;
  int use_result;
};

/* Give the statement n result columns named names[0..n) (copied). */
TDB_PRIVATE int tdbStmtSetColumns(tdb_stmt *st, int n, char *const *names);
/* Column `col` of the current row (read in place, valid until the next
** step); NULL unless the statement has a row and col is one of its columns. */
TDB_PRIVATE const TdbValue *tdbStmtColumn(tdb_stmt *st, int col);

/* ddl.c / dml.c: run a prepared statement of their kind at its first step
** (DML with RETURNING fills st->result). */
TDB_PRIVATE int tdbExecDdl(tdb_stmt *st);
TDB_PRIVATE int tdbPrepareDml(tdb_stmt *st);
TDB_PRIVATE int tdbExecDml(tdb_stmt *st);
/* CREATE TABLE ... AS: bind and plan the query, derive the columns (ddl.c). */
TDB_PRIVATE int tdbPrepareCreateTableAs(tdb_stmt *st);
/* The rows of a new table into *batch, not committed (dml.c). */
TDB_PRIVATE int tdbDmlFillNewTable(tdb_stmt *st, TdbTableDef *t, const TdbRowSet *rows,
                                   TdbBatch *batch);
/* Commit a write batch of the SQL layer as one epoch. */
TDB_PRIVATE int tdbDbCommit(tdb *db, TdbBatch *b);

#endif /* TDB_DB_H */
