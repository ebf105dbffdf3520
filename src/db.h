/*
** db.h — the connection (struct tdb) and prepared statement (struct
** tdb_stmt) objects behind the public API.
*/
#ifndef TDB_DB_H
#define TDB_DB_H

#include "ast.h"
#include "store.h"

/* Keyspaces: the first byte of every key the engine stores. On-disk: do not
** renumber. The SQL layer's keyspaces (catalog, rows, indexes) come with it. */
#define TDB_KEYSPACE_KV 0x10     /* keys of the public key-value API */

struct tdb {
  TdbMem mem;
  TdbErr err;
  tdb_config config;
  char *path;
  TdbStore *store;
  int64_t changes;        /* rows changed by the last statement */
  tdb_stmt *stmts;        /* every open statement, closed with the connection */
};

/* Where a statement is in its execution. */
typedef enum TdbStmtState {
  TDB_STMT_READY,         /* not started, or reset */
  TDB_STMT_HAS_ROW,       /* the last step returned TDB_ROW */
  TDB_STMT_DONE           /* the last step returned TDB_DONE or an error */
} TdbStmtState;

struct tdb_stmt {
  tdb *db;
  tdb_stmt *prev, *next;  /* in db->stmts */
  char *sql;              /* the statement's text (NUL-terminated) */
  TdbAstStmt *ast;
  int nparams;
  TdbValue *params;       /* nparams bound values (owned copies) */
  int ncols;
  char **col_names;       /* ncols names (owned) */
  TdbValue *row;          /* ncols values of the current row */
  char **col_text;        /* lazily rendered text of row values */
  TdbValue *src_row;      /* the current row of the FROM relation */
  int nsrc;
  int64_t next_src;       /* the relation's next row (FROM-less: 1 once done) */
  TdbStmtState state;
};

#endif /* TDB_DB_H */
