/*
** error.h — the error state of a connection: a result code, a SQLSTATE and a
** message that says where and why. Internally an `rc` flows up through each
** function's exit label; the place that detects an error fills the TdbErr.
*/
#ifndef TDB_ERROR_H
#define TDB_ERROR_H

#include "mem.h"

/* SQLSTATEs used by the engine (docs/errors.md lists them all). */
#define TDB_SQLSTATE_OK               "00000"
#define TDB_SQLSTATE_FEATURE          "0A000"  /* feature not supported */
#define TDB_SQLSTATE_CARDINALITY      "21000"  /* scalar subquery returned > 1 row */
#define TDB_SQLSTATE_DATA             "22000"  /* generic data exception */
#define TDB_SQLSTATE_STRING_TOO_LONG  "22001"
#define TDB_SQLSTATE_OUT_OF_RANGE     "22003"  /* numeric value out of range */
#define TDB_SQLSTATE_DATETIME_FORMAT  "22007"  /* invalid datetime format */
#define TDB_SQLSTATE_DATETIME_RANGE   "22008"
#define TDB_SQLSTATE_DIVISION_BY_ZERO "22012"
#define TDB_SQLSTATE_SUBSTRING        "22011"  /* negative substring length */
#define TDB_SQLSTATE_LOG_ARGUMENT     "2201E"  /* logarithm of zero or a negative number */
#define TDB_SQLSTATE_POWER_ARGUMENT   "2201F"  /* invalid argument for power function
                                                  (and sqrt of a negative, as PostgreSQL) */
#define TDB_SQLSTATE_INVALID_ESCAPE   "22025"
#define TDB_SQLSTATE_INVALID_TEXT     "22P02"  /* invalid input syntax for a type */
#define TDB_SQLSTATE_INVALID_JSON     "22032"
#define TDB_SQLSTATE_INVALID_ROW_COUNT "2201W" /* negative LIMIT / OFFSET */
#define TDB_SQLSTATE_NULL_NOT_ALLOWED "22004" /* a NULL JSON object key */
#define TDB_SQLSTATE_NOT_NULL         "23502"
#define TDB_SQLSTATE_UNIQUE           "23505"
#define TDB_SQLSTATE_CHECK            "23514"
#define TDB_SQLSTATE_TXN_STATE        "25000"
#define TDB_SQLSTATE_NO_TXN           "25P01"
#define TDB_SQLSTATE_ACTIVE_TXN       "25001"  /* BEGIN inside a transaction */
#define TDB_SQLSTATE_NO_SAVEPOINT     "3B001"  /* no such savepoint */
#define TDB_SQLSTATE_SERIALIZATION    "40001"
#define TDB_SQLSTATE_DEPENDENT_OBJECTS "2BP01"
#define TDB_SQLSTATE_SYNTAX           "42601"
#define TDB_SQLSTATE_GENERATED_ALWAYS "428C9"  /* a column that cannot be written */
#define TDB_SQLSTATE_GROUPING         "42803"
#define TDB_SQLSTATE_DATATYPE_MISMATCH "42804"
#define TDB_SQLSTATE_UNDEFINED_FUNCTION "42883"
#define TDB_SQLSTATE_UNDEFINED_TABLE  "42P01"
#define TDB_SQLSTATE_UNDEFINED_COLUMN "42703"
#define TDB_SQLSTATE_AMBIGUOUS_COLUMN "42702"
#define TDB_SQLSTATE_DUPLICATE_TABLE  "42P07"
#define TDB_SQLSTATE_DUPLICATE_COLUMN "42701"
#define TDB_SQLSTATE_DUPLICATE_ALIAS  "42712"
#define TDB_SQLSTATE_DUPLICATE_OBJECT "42710"
#define TDB_SQLSTATE_INVALID_COLUMN_REF "42P10"
#define TDB_SQLSTATE_INVALID_DEFINITION "42P16"
#define TDB_SQLSTATE_INVALID_RECURSION "42P19"  /* a misplaced recursive WITH reference */
#define TDB_SQLSTATE_WRONG_OBJECT_TYPE "42809"
#define TDB_SQLSTATE_UNDEFINED_PARAM  "42P02"
#define TDB_SQLSTATE_UNDEFINED_OBJECT "42704"
#define TDB_SQLSTATE_TOO_COMPLEX      "54001"  /* statement too complex (depth) */
#define TDB_SQLSTATE_LIMIT            "54000"  /* a program limit exceeded */
#define TDB_SQLSTATE_OUT_OF_MEMORY    "53200"
#define TDB_SQLSTATE_OBJECT_IN_USE    "55006"
#define TDB_SQLSTATE_LOCK_NOT_AVAILABLE "55P03" /* TDB_BUSY: a lock is held elsewhere */
#define TDB_SQLSTATE_DISK_FULL        "53100"
#define TDB_SQLSTATE_IO               "58030"
#define TDB_SQLSTATE_INTERNAL         "XX000"
#define TDB_SQLSTATE_CORRUPT          "XX001"
#define TDB_SQLSTATE_MISUSE           "HY010"  /* function sequence error */
#define TDB_SQLSTATE_RANGE            "22023"  /* invalid parameter value */
/* Temporal conditions (TEMPORAL.md §1.11; docs/errors.md has the mapping). */
#define TDB_SQLSTATE_FUTURE_EPOCH     "22T01"  /* ERR_FUTURE_EPOCH: epoch beyond the head */
#define TDB_SQLSTATE_FUTURE_TIME      "22T02"  /* ERR_FUTURE_TIME: point at or after now */
#define TDB_SQLSTATE_INVALID_PERIOD   "22T03"  /* ERR_INVALID_PERIOD: lower > upper, AS OF NULL */
#define TDB_SQLSTATE_TEMPORAL_TYPE    "42804"  /* ERR_TYPE: mixed or non-temporal arguments */
#define TDB_SQLSTATE_DUPLICATE_CLAUSE "42T01"  /* ERR_DUPLICATE_CLAUSE: two clauses, one axis */
#define TDB_SQLSTATE_NOT_TEMPORAL     "42809"  /* ERR_NOT_TEMPORAL: clause on a non-table */
#define TDB_SQLSTATE_TEMPORAL_TARGET  "42T02"  /* ERR_TEMPORAL_TARGET: read clause on a write target */
#define TDB_SQLSTATE_NO_SUCH_KEY      "22T04"  /* ERR_NO_SUCH_KEY: PATCH / SOFT DELETE / UNDELETE KEY matched nothing */
#define TDB_SQLSTATE_RESERVED_NAME    "42939"  /* ERR_RESERVED_NAME: pseudo-column name */
#define TDB_SQLSTATE_NOT_YET_CREATED  "42P01"  /* ERR_NOT_YET_CREATED: before the table */
#define TDB_SQLSTATE_HISTORY_PURGED   "22T05"  /* ERR_HISTORY_PURGED: below the purge horizon */
#define TDB_SQLSTATE_BACKUP_TARGET    "58T01"  /* ERR_BACKUP_TARGET: directory exists, not empty */
#define TDB_SQLSTATE_BACKUP_DAMAGED   "58T02"  /* a backup file is missing or damaged */
#define TDB_SQLSTATE_RESTORE_ORDER    "55T01"  /* RESTORE into a database at another epoch */
#define TDB_SQLSTATE_NULL_NOT_ALLOWED "22004"  /* a frame offset is NULL */
#define TDB_SQLSTATE_INVALID_FRAME_OFFSET "22013"  /* negative frame offset */
#define TDB_SQLSTATE_INVALID_NTILE    "22014"  /* ntile argument <= 0 */
#define TDB_SQLSTATE_INVALID_NTH_VALUE "22016" /* nth_value argument <= 0 */
#define TDB_SQLSTATE_WINDOWING        "42P20"  /* misplaced or invalid window clause */

typedef struct TdbErr {
  TdbMem *mem;
  int code;            /* TDB_OK or a TDB_* result code */
  char sqlstate[6];
  char *msg;           /* heap message, or NULL: then see `fallback` */
  const char *fallback;/* static message used when msg could not be allocated */
} TdbErr;

TDB_PRIVATE void tdbErrInit(TdbErr *e, TdbMem *mem);
/* Record an error; returns `code` so callers can write `return tdbErrSet(...)`.
** `sqlstate` NULL picks the default SQLSTATE for `code`. */
TDB_PRIVATE int tdbErrSet(TdbErr *e, int code, const char *sqlstate,
                          const char *fmt, ...) TDB_PRINTF(4, 5);
/* Out of memory: never allocates. Returns TDB_NOMEM. */
TDB_PRIVATE int tdbErrNoMem(TdbErr *e);
TDB_PRIVATE void tdbErrClear(TdbErr *e);
TDB_PRIVATE const char *tdbErrMessage(const TdbErr *e);
/* The SQLSTATE a result code implies when no specific one is known. */
TDB_PRIVATE const char *tdbErrDefaultSqlstate(int code);

/* 1-based line and column of byte offset `pos` in `sql`. */
TDB_PRIVATE void tdbErrLineCol(const char *sql, size_t pos, int *line, int *col);

#endif /* TDB_ERROR_H */
