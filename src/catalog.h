/*
** catalog.h — the schema: tables, indexes and views, kept in the database
** itself (keyspaces 0x01 objects and 0x02 names, docs/sql-storage.md) and
** mirrored in memory for the binder and executor.
**
** Every object has an id that is never reused (a dropped object keeps its
** id, marked dropped), so row keys of a dropped table can never be read as
** a later table's. The in-memory catalog is changed only after the store
** commit that records the change succeeded, so a failing DDL statement
** leaves both as they were. `version` increases on every change: prepared
** statements compare it to re-prepare transparently.
**
** Encoding of an object definition (the value of key 0x01 | id u32 BE):
**
**   +------+-------------+------------+---------------------------------+
**   | kind | name (str)  | sql (str)  | kind-specific part              |
**   +------+-------------+------------+---------------------------------+
**   kind: 1 table, 2 index, 3 view; | 0x80 when dropped (no more fields
**         follow the name)
**   str:  varint32 length | bytes
**   table: varint ncols, per column:
**            str name | type byte | varint dim+1 | flags byte (bit 0 NOT
**            NULL, bit 1 has DEFAULT, bit 2 document column) | varint pk
**            position (0: not in the key) | varint physical position |
**            [str DEFAULT sql]
**          varint nchecks, str sql each | varint next physical position
**   index: varint table id | unique byte | varint ncols, per column:
**            varint physical position | desc byte
**   view:  str body (the SELECT text)
*/
#ifndef TDB_CATALOG_H
#define TDB_CATALOG_H

#include "ast.h"

#define TDB_KEYSPACE_CATALOG 0x01
#define TDB_KEYSPACE_NAMES   0x02
#define TDB_KEYSPACE_ROWS    0x03
#define TDB_KEYSPACE_HISTORY 0x04
#define TDB_KEYSPACE_INDEX   0x05
#define TDB_KEYSPACE_STATS   0x06

#define TDB_OBJ_DROPPED 0x80

typedef struct TdbColumnDef {
  char *name;
  int type;             /* TDB_TYPE_*; TDB_TYPE_NULL: declared without a type */
  int dim;              /* VECTOR(n): n, else -1 */
  int notnull;
  int pk;               /* 1-based position in the primary key, 0 if not */
  int doc;              /* the implicit `doc` column of a document table */
  uint32_t pos;         /* position in stored row versions */
  char *dflt_sql;       /* DEFAULT expression text, or NULL */
  TdbExpr *dflt;        /* parsed DEFAULT (owned), or NULL */
} TdbColumnDef;

typedef struct TdbCheckDef {
  char *sql;
  TdbExpr *expr;        /* parsed, bound against the table's columns */
} TdbCheckDef;

typedef struct TdbIndexDef TdbIndexDef;
typedef struct TdbTableStats TdbTableStats;    /* stats.h */
typedef struct TdbColumnStats TdbColumnStats;

typedef struct TdbTableDef {
  uint32_t id;
  char *name;
  char *sql;            /* the CREATE TABLE text */
  int ncols;
  TdbColumnDef *cols;
  int npk;              /* 0: the hidden _rowid is the key */
  int pk[TDB_MAX_KEY_COLUMNS];  /* column indexes of the key, in key order */
  int nchecks;
  TdbCheckDef *checks;
  uint32_t next_pos;    /* physical position the next added column gets */
  int64_t next_rowid;   /* (rowid tables) the next _rowid to assign */
  int rowid_loaded;     /* next_rowid has been read from the store */
  int64_t end_bound;    /* the largest valid_to of a bounded piece written beyond
                        ** the clock (temporal_session.c), once end_bound_loaded */
  int end_bound_loaded;
  uint64_t created_epoch; /* epoch of its CREATE (0: not looked up yet; the oldest
                           ** version of its catalog object, exec_history.c) */
  int64_t stat_rows;    /* ANALYZE: current rows (0: not analyzed) */
  TdbTableStats *stats; /* ANALYZE: per-column statistics, or NULL */
  int nindexes, cap_indexes;
  TdbIndexDef **indexes;/* borrowed from the catalog's list */
} TdbTableDef;

struct TdbIndexDef {
  uint32_t id;
  char *name;
  char *sql;
  uint32_t table_id;
  int unique;
  int ncols;
  uint32_t pos[TDB_MAX_KEY_COLUMNS];  /* physical positions of the columns */
  int col[TDB_MAX_KEY_COLUMNS];       /* their current column indexes */
  int8_t desc[TDB_MAX_KEY_COLUMNS];
};

typedef struct TdbViewDef {
  uint32_t id;
  char *name;
  char *sql;            /* the CREATE VIEW text */
  char *body;           /* the SELECT text */
} TdbViewDef;

typedef struct TdbSchemaPast TdbSchemaPast;

typedef struct TdbCatalog {
  TdbMem *mem;
  TdbSchemaPast *past;  /* tables of past epochs (schema_past.h): the
                        ** connection's, set before binding; NULL: none */
  int ntables, nindexes, nviews;
  int cap_tables, cap_indexes, cap_views;
  TdbTableDef **tables;
  TdbIndexDef **indexes;
  TdbViewDef **views;
  uint32_t next_id;     /* never reused */
  uint64_t version;     /* bumped by every change */
} TdbCatalog;

struct TdbStore;

TDB_PRIVATE void tdbCatalogInit(TdbCatalog *cat, TdbMem *mem);
TDB_PRIVATE void tdbCatalogFree(TdbCatalog *cat);
/* Read every object from the store: the state at as_of (0: the head) with a
** transaction's pending writes on top (NULL: none; see tdbStoreIterWith).
** TDB_CORRUPT names the object whose definition does not decode. */
TDB_PRIVATE int tdbCatalogLoadAt(TdbCatalog *cat, struct TdbStore *store, uint64_t as_of,
                                 struct TdbMemtable *pending, TdbErr *err);

TDB_PRIVATE TdbTableDef *tdbCatalogTable(const TdbCatalog *cat, const char *name);
TDB_PRIVATE TdbTableDef *tdbCatalogTableById(const TdbCatalog *cat, uint32_t id);
TDB_PRIVATE TdbIndexDef *tdbCatalogIndex(const TdbCatalog *cat, const char *name);
TDB_PRIVATE TdbViewDef *tdbCatalogView(const TdbCatalog *cat, const char *name);
/* Is `name` taken by any table, index or view? Returns its kind or 0. */
TDB_PRIVATE int tdbCatalogNameKind(const TdbCatalog *cat, const char *name);
/* Column index of `name` in t, -1 if none. */
TDB_PRIVATE int tdbTableColumn(const TdbTableDef *t, const char *name);
/* Columns of t that `*` and a positional INSERT see (all but the implicit
** `doc` of a document table), and the column index of the k-th of them. */
TDB_PRIVATE int tdbTableVisibleColumns(const TdbTableDef *t);
TDB_PRIVATE int tdbTableVisibleColumn(const TdbTableDef *t, int k);
/* The closest column name of t to `name`, for "did you mean", or NULL. */
TDB_PRIVATE const char *tdbTableSuggest(const TdbTableDef *t, const char *name);

/* Encode a definition (docs above) into out. */
TDB_PRIVATE int tdbCatalogEncodeTable(TdbStr *out, const TdbTableDef *t);
TDB_PRIVATE int tdbCatalogEncodeIndex(TdbStr *out, const TdbIndexDef *ix);
TDB_PRIVATE int tdbCatalogEncodeView(TdbStr *out, const TdbViewDef *v);
TDB_PRIVATE int tdbCatalogEncodeDropped(TdbStr *out, int kind, const char *name);
/* The store keys of an object and of a name. */
TDB_PRIVATE int tdbCatalogObjectKey(TdbStr *out, uint32_t id);
TDB_PRIVATE int tdbCatalogNameKey(TdbStr *out, const char *name);

/* Parse one expression from SQL text (a DEFAULT or CHECK). */
TDB_PRIVATE int tdbCatalogParseExpr(TdbMem *mem, TdbErr *err, const char *sql,
                                    TdbExpr **out);

/* Make room, before a commit, for more_tables / more_indexes / more_views
** new objects (and, when not NULL, for the index list of table `extra`, a
** definition not in the catalog yet), so that the tdbCatalogAdd* and
** tdbCatalogReplaceTable calls after the commit cannot fail: a change is on
** disk before it is in memory, and memory must then follow. */
TDB_PRIVATE int tdbCatalogReserve(TdbCatalog *cat, TdbTableDef *extra, int more_tables,
                                  int more_indexes, int more_views);

/* Take ownership of a new object (after its commit) / remove one (freed).
** Both bump version. Adding cannot fail after tdbCatalogReserve. */
TDB_PRIVATE int tdbCatalogAddTable(TdbCatalog *cat, TdbTableDef *t);
TDB_PRIVATE int tdbCatalogAddIndex(TdbCatalog *cat, TdbIndexDef *ix);
TDB_PRIVATE int tdbCatalogAddView(TdbCatalog *cat, TdbViewDef *v);
TDB_PRIVATE void tdbCatalogRemoveTable(TdbCatalog *cat, TdbTableDef *t);
TDB_PRIVATE void tdbCatalogRemoveIndex(TdbCatalog *cat, TdbIndexDef *ix);
TDB_PRIVATE void tdbCatalogRemoveView(TdbCatalog *cat, TdbViewDef *v);
/* Replace table old by new (ALTER TABLE); old is freed. */
TDB_PRIVATE void tdbCatalogReplaceTable(TdbCatalog *cat, TdbTableDef *old, TdbTableDef *t);
/* Recompute index column indexes and table index lists after a change.
** Fails (TDB_NOMEM) only where no room was reserved. */
TDB_PRIVATE int tdbCatalogRelink(TdbCatalog *cat);

TDB_PRIVATE void tdbTableDefFree(TdbMem *mem, TdbTableDef *t);
TDB_PRIVATE void tdbIndexDefFree(TdbMem *mem, TdbIndexDef *ix);
TDB_PRIVATE void tdbViewDefFree(TdbMem *mem, TdbViewDef *v);
/* A CREATE TABLE statement for t as it is now (after ALTER TABLE); owned
** by the caller, NULL on out-of-memory. */
TDB_PRIVATE char *tdbTableDdl(TdbMem *mem, const TdbTableDef *t);
/* Deep copy of a table definition (for ALTER TABLE to edit). */
TDB_PRIVATE TdbTableDef *tdbTableDefCopy(TdbMem *mem, TdbErr *err, const TdbTableDef *t);

#endif /* TDB_CATALOG_H */
