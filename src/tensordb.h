/*
** tensordb.h — the public C API of TensorDB.
**
** TensorDB is an embedded, bitemporal ledger database with SQL. It ships as two
** files, tensordb.c and tensordb.h: compile tensordb.c into your program and
** include this header. Nothing else is required (liblz4 only when the library
** is built with -DTDB_ENABLE_LZ4, pthreads only when threads are on).
**
** The API follows the shape of sqlite3.h:
**
**   tdb *db;                                   open a database
**   tdb_open("app.tdb", NULL, &db);            (":memory:" for an in-memory one)
**   tdb_exec(db, "CREATE TABLE ...", 0, 0);    run SQL, rows to a callback
**   tdb_stmt *st;                              or prepare / bind / step:
**   tdb_prepare(db, "SELECT $1 + 1", -1, &st, NULL);
**   tdb_bind_int64(st, 1, 41);
**   while (tdb_step(st) == TDB_ROW) printf("%lld\n", tdb_column_int64(st, 0));
**   tdb_finalize(st);
**   tdb_close(db);
**
** Every function that can fail returns a result code (TDB_OK = 0). After a
** failure, tdb_errcode(), tdb_errmsg() and tdb_sqlstate() of the connection
** describe it. A connection (tdb*) and its statements must be used by one
** thread at a time.
*/
#ifndef TENSORDB_H
#define TENSORDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols exported from the shared library. */
#ifndef TDB_API
#if defined(__GNUC__) || defined(__clang__)
#define TDB_API __attribute__((visibility("default")))
#else
#define TDB_API
#endif
#endif

/* ---- Version ------------------------------------------------------------ */

#define TDB_VERSION_MAJOR 0
#define TDB_VERSION_MINOR 1
#define TDB_VERSION_PATCH 0
#define TDB_VERSION "0.1.0"
/* MAJOR * 1000000 + MINOR * 1000 + PATCH */
#define TDB_VERSION_NUMBER 1000

/* The version of the library actually linked ("0.1.0"). */
TDB_API const char *tdb_libversion(void);
/* TDB_VERSION_NUMBER of the library actually linked. */
TDB_API int tdb_libversion_number(void);

/* ---- Result codes --------------------------------------------------------
** Primary codes fit in the low 8 bits. Extended codes carry more detail in the
** bits above: (primary | (n << 8)); `rc & 0xff` always gives the primary code.
*/
#define TDB_OK          0   /* success */
#define TDB_ERROR       1   /* SQL error or generic failure (see sqlstate) */
#define TDB_INTERNAL    2   /* a bug in TensorDB: please report it */
#define TDB_NOMEM       3   /* an allocation failed */
#define TDB_BUSY        4   /* a lock is held by another connection or process */
#define TDB_CORRUPT     5   /* a file failed a checksum or format check */
#define TDB_IOERR       6   /* an operating-system I/O call failed */
#define TDB_FULL        7   /* the disk is full */
#define TDB_CONSTRAINT  8   /* a constraint (unique, not null, check) failed */
#define TDB_MISUSE      9   /* the API was used incorrectly */
#define TDB_RANGE      10   /* a parameter or column index is out of range */
#define TDB_NOTFOUND   11   /* a key or object does not exist */
#define TDB_CONFLICT   12   /* a write-write conflict: retry the transaction */
#define TDB_READONLY   13   /* a write on a read-only database */
#define TDB_CANTOPEN   14   /* the database file cannot be opened */
#define TDB_TOOBIG     15   /* a string, blob or statement exceeds a limit */
#define TDB_INTERRUPT  16   /* the operation was interrupted */
#define TDB_ROW       100   /* tdb_step() has another row ready */
#define TDB_DONE      101   /* tdb_step() has finished executing */

/* Extended result codes. */
#define TDB_ERROR_SYNTAX      (TDB_ERROR | (1 << 8))  /* SQLSTATE 42601 */
#define TDB_ERROR_SCHEMA      (TDB_ERROR | (2 << 8))  /* undefined object, 42xxx */
#define TDB_ERROR_DATA        (TDB_ERROR | (3 << 8))  /* data exception, 22xxx */
#define TDB_ERROR_TEMPORAL    (TDB_ERROR | (4 << 8))  /* a temporal rule */
#define TDB_ERROR_TXN         (TDB_ERROR | (5 << 8))  /* transaction state, 25xxx */
#define TDB_CORRUPT_WAL       (TDB_CORRUPT | (1 << 8))
#define TDB_CORRUPT_SST       (TDB_CORRUPT | (2 << 8))
#define TDB_CORRUPT_MANIFEST  (TDB_CORRUPT | (3 << 8))
#define TDB_CANTOPEN_LZ4      (TDB_CANTOPEN | (1 << 8)) /* the file has LZ4 blocks:
                                                   ** build with TDB_ENABLE_LZ4 */
#define TDB_IOERR_READ        (TDB_IOERR | (1 << 8))
#define TDB_IOERR_WRITE       (TDB_IOERR | (2 << 8))
#define TDB_IOERR_SYNC        (TDB_IOERR | (3 << 8))

/* A short English name of a result code ("no memory", "syntax error", ...). */
TDB_API const char *tdb_errstr(int rc);

/* ---- Value types ----------------------------------------------------------
** The type of a column value as returned by tdb_column_type(). Do not
** renumber: these numbers are part of the ABI.
*/
#define TDB_TYPE_NULL      0
#define TDB_TYPE_BOOLEAN   1
#define TDB_TYPE_INTEGER   2   /* 64-bit signed */
#define TDB_TYPE_REAL      3   /* IEEE double */
#define TDB_TYPE_TEXT      4   /* UTF-8 */
#define TDB_TYPE_BLOB      5
#define TDB_TYPE_TIMESTAMP 6   /* microseconds since 1970-01-01T00:00:00Z */
#define TDB_TYPE_JSON      7   /* validated JSON text */
#define TDB_TYPE_VECTOR    8   /* float32 array */
#define TDB_TYPE_INTERVAL  9   /* months + microseconds; not storable in tables */

/* ---- Configuration --------------------------------------------------------
** Fill a tdb_config with tdb_config_default(), change what you need, and pass
** it to tdb_open(). tdb_open() copies it; NULL means all defaults.
*/

/* Allocator hooks. Every allocation TensorDB makes for a connection goes
** through these. realloc(ctx, NULL, n) must behave like malloc; free(ctx, NULL)
** must be a no-op. Leave all three NULL for the C library's allocator. */
typedef struct tdb_allocator {
  void *(*malloc_fn)(void *ctx, size_t nbytes);
  void *(*realloc_fn)(void *ctx, void *ptr, size_t nbytes);
  void (*free_fn)(void *ctx, void *ptr);
  void *ctx;
} tdb_allocator;

/* When a commit is durable. */
typedef enum tdb_sync_mode {
  TDB_SYNC_FULL = 0,   /* default: a commit returns only once it is on disk */
  TDB_SYNC_NORMAL = 1, /* sync at most every sync_interval_ms / _records */
  TDB_SYNC_OFF = 2     /* leave syncing to the operating system */
} tdb_sync_mode;

/* Log levels for the log hook. */
#define TDB_LOG_ERROR 0
#define TDB_LOG_WARN  1
#define TDB_LOG_INFO  2

typedef struct tdb_config {
  int version;                  /* set by tdb_config_default(); leave it */
  tdb_allocator allocator;
  /* Storage knobs (LSM engine). Zero keeps the default. */
  size_t memtable_bytes;        /* memtable size before a flush: 64 MiB */
  size_t block_bytes;           /* SSTable data block size: 4 KiB */
  int bloom_bits_per_key;       /* bloom filter bits per key: 10 */
  size_t block_cache_bytes;     /* block cache budget: 64 MiB */
  int l0_compaction_trigger;    /* L0 files that start a compaction: 4 */
  int level_size_ratio;         /* size ratio between levels: 10 */
  int max_levels;               /* number of levels, L0..L(n-1): 7 */
  tdb_sync_mode sync_mode;      /* TDB_SYNC_FULL */
  int sync_interval_ms;         /* for TDB_SYNC_NORMAL: 100 */
  int sync_interval_records;    /* for TDB_SYNC_NORMAL: 1000 */
  int threads;                  /* background threads: 1 (0 = inline work) */
  const char *vfs;              /* "posix" or "memory"; NULL: posix for a path,
                                ** memory for ":memory:". A "memory" database
                                ** lives until it is closed. */
  /* Behaviour. */
  int create_if_missing;        /* create the database if absent: 1 */
  int read_only;                /* open read-only: 0 */
  int recursion_limit;          /* WITH RECURSIVE iteration limit: 1000000 */
  /* Diagnostics: recovery notes, corruption reports. NULL = silent. */
  void (*log_fn)(void *ctx, int level, const char *message);
  void *log_ctx;
  /* Concurrency (docs/sql.md "Concurrency"): how long a write waits for the
  ** write lock that another connection of the process holds, in ms, before
  ** it fails with TDB_BUSY: 5000 (0: do not wait). */
  int busy_timeout_ms;
} tdb_config;

#define TDB_CONFIG_VERSION 1

/* Fill *cfg with the defaults documented above. */
TDB_API void tdb_config_default(tdb_config *cfg);

/* ---- Connections ---------------------------------------------------------- */

typedef struct tdb tdb;
typedef struct tdb_stmt tdb_stmt;

/* Open the database at `path` (":memory:" for a private in-memory database)
** with `config` (NULL for defaults). On success *out is the connection; on
** failure *out is still set when memory allowed, so that tdb_errmsg(*out)
** can explain, and must be closed with tdb_close().
**
** Several connections of one process to one path share the database (the
** first one's storage knobs and allocator serve them all, until the last is
** closed); each connection must be used by one thread at a time. Another
** process that has the database open makes tdb_open fail with TDB_BUSY.
** docs/sql.md "Concurrency" has the rules (write lock, 40001 conflicts). */
TDB_API int tdb_open(const char *path, const tdb_config *config, tdb **out);

/* Close a connection and every statement it still has. NULL is a no-op. */
TDB_API int tdb_close(tdb *db);

/* Row callback of tdb_exec(): `values[i]` is column i rendered as text (NULL
** for SQL NULL), `names[i]` its name. Return non-zero to stop; tdb_exec()
** then returns TDB_INTERRUPT. */
typedef int (*tdb_row_fn)(void *ctx, int ncols, const char *const *values,
                          const char *const *names);

/* Run every statement of `sql` in order; rows of each go to `callback` (which
** may be NULL). Stops at the first error and returns its code. */
TDB_API int tdb_exec(tdb *db, const char *sql, tdb_row_fn callback, void *ctx);

/* 1 if `sql` ends with a complete statement (a `;` outside strings, quoted
** identifiers and comments, followed only by blanks/comments), else 0. Shells
** use it to decide whether to read another line. */
TDB_API int tdb_complete(const char *sql);

/* SQL keywords, for completion and syntax highlighting: tdb_keyword_count()
** of them, tdb_keyword_name(i) for 0 <= i < count (upper case; NULL outside). */
TDB_API int tdb_keyword_count(void);
TDB_API const char *tdb_keyword_name(int i);

/* Rows inserted, updated or deleted by the last statement. */
TDB_API int64_t tdb_changes(tdb *db);

/* ---- Errors ----------------------------------------------------------------
** The last error of a connection. tdb_errmsg() says where and why, e.g.
** `near "FORM": syntax error at line 1, column 15`; tdb_sqlstate() is the
** five-character SQLSTATE ("00000" after success, "42601" syntax error,
** "42P01" undefined table, "22012" division by zero, ...).
*/
TDB_API int tdb_errcode(tdb *db);
TDB_API const char *tdb_errmsg(tdb *db);
TDB_API const char *tdb_sqlstate(tdb *db);

/* ---- Prepared statements ---------------------------------------------------
** tdb_prepare() compiles the first statement of `sql` (`nbytes` < 0: up to the
** NUL). *tail, if not NULL, is set to the text after it, so a script can be
** run statement by statement. An empty statement (only blanks or comments)
** sets *out to NULL and returns TDB_OK.
*/
TDB_API int tdb_prepare(tdb *db, const char *sql, int nbytes, tdb_stmt **out,
                        const char **tail);

/* Parameters are `$1..$n` or `?` (numbered left to right). Index 1 is the
** first. Bound values persist across tdb_reset() until tdb_clear_bindings().
** Text and blobs are copied. nbytes < 0 for text means up to the NUL. */
TDB_API int tdb_bind_parameter_count(tdb_stmt *st);
TDB_API int tdb_bind_null(tdb_stmt *st, int idx);
TDB_API int tdb_bind_bool(tdb_stmt *st, int idx, int value);
TDB_API int tdb_bind_int64(tdb_stmt *st, int idx, int64_t value);
TDB_API int tdb_bind_double(tdb_stmt *st, int idx, double value);
TDB_API int tdb_bind_text(tdb_stmt *st, int idx, const char *text, int nbytes);
TDB_API int tdb_bind_blob(tdb_stmt *st, int idx, const void *data, int nbytes);
TDB_API int tdb_bind_timestamp(tdb_stmt *st, int idx, int64_t micros);
TDB_API int tdb_clear_bindings(tdb_stmt *st);

/* Run the statement: TDB_ROW when a row is ready, TDB_DONE at the end, or an
** error code (see tdb_errmsg of the connection). */
TDB_API int tdb_step(tdb_stmt *st);

/* Columns of the current row. Indexes start at 0. Text and blob pointers stay
** valid until the next tdb_step/tdb_reset/tdb_finalize of the statement.
** tdb_column_text() renders any type as text (NULL for SQL NULL): integers in
** decimal, reals in the shortest form that reads back exactly, booleans as
** "true"/"false", timestamps as ISO-8601 UTC ("2025-01-01T00:00:00Z"). */
TDB_API int tdb_column_count(tdb_stmt *st);
TDB_API const char *tdb_column_name(tdb_stmt *st, int col);
TDB_API int tdb_column_type(tdb_stmt *st, int col);
TDB_API int64_t tdb_column_int64(tdb_stmt *st, int col);
TDB_API double tdb_column_double(tdb_stmt *st, int col);
TDB_API const char *tdb_column_text(tdb_stmt *st, int col);
TDB_API const void *tdb_column_blob(tdb_stmt *st, int col);
TDB_API int tdb_column_bytes(tdb_stmt *st, int col);

/* The SQL text of the statement. */
TDB_API const char *tdb_stmt_sql(tdb_stmt *st);

/* Rewind to run again with the same bindings. */
TDB_API int tdb_reset(tdb_stmt *st);

/* Destroy a statement. NULL is a no-op. */
TDB_API int tdb_finalize(tdb_stmt *st);

/* ---- Ledger key-value API ---------------------------------------------------
** The ordered, versioned store under the SQL layer, usable directly. Keys and
** values are arbitrary bytes; keys order bytewise (memcmp, shorter first).
** Every committed put, delete or batch gets the next commit epoch (1, 2, ...)
** and nothing is ever overwritten: a read AS OF epoch e sees exactly the
** state right after commit e. So an epoch is a snapshot: pin the value of
** tdb_kv_head() and read AS OF it for a repeatable view.
*/
typedef struct tdb_kv_batch tdb_kv_batch;
typedef struct tdb_kv_iter tdb_kv_iter;

typedef struct tdb_read_options {
  uint64_t as_of_epoch;   /* 0: the latest committed state */
} tdb_read_options;

/* The epoch of the latest commit (0 for an empty database). */
TDB_API uint64_t tdb_kv_head(tdb *db);

/* Write one key (put) or a tombstone (delete) as its own commit. *epoch, if
** not NULL, receives the commit's epoch. Durable on return in TDB_SYNC_FULL. */
TDB_API int tdb_kv_put(tdb *db, const void *key, size_t klen, const void *value,
                       size_t vlen, uint64_t *epoch);
TDB_API int tdb_kv_delete(tdb *db, const void *key, size_t klen, uint64_t *epoch);

/* Read a key. `ro` NULL reads the latest state. On success *value is a copy
** to release with tdb_free() (may be NULL with *vlen 0 for an empty value).
** Returns TDB_NOTFOUND when the key is absent (or deleted) at that epoch, and
** TDB_RANGE when as_of_epoch is beyond the head. */
TDB_API int tdb_kv_get(tdb *db, const tdb_read_options *ro, const void *key, size_t klen,
                       void **value, size_t *vlen);

/* Free memory the library returned (tdb_kv_get values, tdb_check reports). */
TDB_API void tdb_free(tdb *db, void *p);

/* Atomic write batches: every operation of a batch commits as one epoch or
** none does. A batch belongs to its connection and may be reused after
** tdb_kv_batch_clear(). */
TDB_API int tdb_kv_batch_new(tdb *db, tdb_kv_batch **out);
TDB_API int tdb_kv_batch_put(tdb_kv_batch *b, const void *key, size_t klen,
                             const void *value, size_t vlen);
TDB_API int tdb_kv_batch_delete(tdb_kv_batch *b, const void *key, size_t klen);
TDB_API void tdb_kv_batch_clear(tdb_kv_batch *b);
TDB_API void tdb_kv_batch_free(tdb_kv_batch *b);
TDB_API int tdb_kv_write(tdb *db, tdb_kv_batch *b, uint64_t *epoch);

/* Iterators over the live keys at one epoch, in key order. key/value
** pointers stay valid until the iterator moves or is freed. */
TDB_API int tdb_kv_iter_new(tdb *db, const tdb_read_options *ro, tdb_kv_iter **out);
TDB_API int tdb_kv_iter_seek(tdb_kv_iter *it, const void *key, size_t klen); /* first >= key */
TDB_API int tdb_kv_iter_seek_first(tdb_kv_iter *it);
TDB_API int tdb_kv_iter_seek_last(tdb_kv_iter *it);
TDB_API int tdb_kv_iter_next(tdb_kv_iter *it);
TDB_API int tdb_kv_iter_prev(tdb_kv_iter *it);
TDB_API int tdb_kv_iter_valid(tdb_kv_iter *it);
TDB_API const void *tdb_kv_iter_key(tdb_kv_iter *it, size_t *klen);
TDB_API const void *tdb_kv_iter_value(tdb_kv_iter *it, size_t *vlen);
TDB_API void tdb_kv_iter_free(tdb_kv_iter *it);

/* Maintenance. tdb_flush: write the memtable to an SSTable. tdb_compact:
** flush, merge every level down into the deepest one holding tables (the
** versions and deletions of a key meet, and what no reader can see any
** more goes: superseded current rows and index entries, never history),
** then run compactions until no level is over budget; both wait until
** background work is idle. tdb_compact rewrites the whole database: an
** occasional maintenance step, like VACUUM. */
TDB_API int tdb_flush(tdb *db);
TDB_API int tdb_compact(tdb *db);

/* Verify every file of the database (checksums, formats, ordering). *report,
** if not NULL, receives a text summary of what was checked (free with
** tdb_free). Returns TDB_OK, or TDB_CORRUPT naming the file and offset. */
TDB_API int tdb_check(tdb *db, char **report);

#ifdef __cplusplus
}
#endif
#endif /* TENSORDB_H */
