/*
** error.c — connection error state and result-code names (see error.h).
*/
#include "error.h"
#include "strbuf.h"

TDB_PRIVATE void tdbErrInit(TdbErr *e, TdbMem *mem) {
  e->mem = mem;
  e->code = TDB_OK;
  memcpy(e->sqlstate, TDB_SQLSTATE_OK, 6);
  e->msg = NULL;
  e->fallback = NULL;
}

TDB_PRIVATE void tdbErrClear(TdbErr *e) {
  tdbMemFree(e->mem, e->msg);
  e->msg = NULL;
  e->fallback = NULL;
  e->code = TDB_OK;
  memcpy(e->sqlstate, TDB_SQLSTATE_OK, 6);
}

TDB_PRIVATE const char *tdbErrDefaultSqlstate(int code) {
  switch (code & 0xff) {
    case TDB_OK: case TDB_ROW: case TDB_DONE: return TDB_SQLSTATE_OK;
    case TDB_NOMEM: return TDB_SQLSTATE_OUT_OF_MEMORY;
    case TDB_FULL: return TDB_SQLSTATE_DISK_FULL;
    case TDB_IOERR: case TDB_CANTOPEN: return TDB_SQLSTATE_IO;
    case TDB_CORRUPT: return TDB_SQLSTATE_CORRUPT;
    case TDB_INTERNAL: return TDB_SQLSTATE_INTERNAL;
    case TDB_MISUSE: return TDB_SQLSTATE_MISUSE;
    case TDB_RANGE: return TDB_SQLSTATE_RANGE;
    case TDB_CONFLICT: return TDB_SQLSTATE_SERIALIZATION;
    case TDB_BUSY: return TDB_SQLSTATE_LOCK_NOT_AVAILABLE;
    case TDB_TOOBIG: return TDB_SQLSTATE_LIMIT;
    case TDB_READONLY: return "25006";
    case TDB_INTERRUPT: return "57014";
    case TDB_CONSTRAINT: return "23000";
    default: return TDB_SQLSTATE_INTERNAL;
  }
}

TDB_PRIVATE int tdbErrSet(TdbErr *e, int code, const char *sqlstate,
                          const char *fmt, ...) {
  TdbStr s;
  va_list ap;
  if ((code & 0xff) == TDB_NOMEM) return tdbErrNoMem(e);
  tdbMemFree(e->mem, e->msg);
  e->msg = NULL;
  e->code = code;
  memcpy(e->sqlstate, sqlstate ? sqlstate : tdbErrDefaultSqlstate(code), 5);
  e->sqlstate[5] = '\0';
  tdbStrInit(&s, e->mem);
  va_start(ap, fmt);
  tdbStrAppendv(&s, fmt, ap);
  va_end(ap);
  e->msg = tdbStrFinish(&s);
  e->fallback = e->msg ? NULL : tdb_errstr(code);
  return code;
}

TDB_PRIVATE int tdbErrNoMem(TdbErr *e) {
  tdbMemFree(e->mem, e->msg);
  e->msg = NULL;
  e->code = TDB_NOMEM;
  memcpy(e->sqlstate, TDB_SQLSTATE_OUT_OF_MEMORY, 6);
  e->fallback = "out of memory";
  return TDB_NOMEM;
}

TDB_PRIVATE const char *tdbErrMessage(const TdbErr *e) {
  if (e->msg) return e->msg;
  if (e->fallback) return e->fallback;
  return e->code == TDB_OK ? "not an error" : tdb_errstr(e->code);
}

TDB_PRIVATE void tdbErrLineCol(const char *sql, size_t pos, int *line, int *col) {
  size_t i;
  int l = 1, c = 1;
  for (i = 0; i < pos && sql[i]; i++) {
    if (sql[i] == '\n') {
      l++;
      c = 1;
    } else if (((unsigned char)sql[i] & 0xc0) != 0x80) {
      c++; /* count UTF-8 characters, not continuation bytes */
    }
  }
  *line = l;
  *col = c;
}

TDB_API const char *tdb_errstr(int rc) {
  switch (rc) {
    case TDB_ERROR_SYNTAX: return "syntax error";
    case TDB_ERROR_SCHEMA: return "undefined object";
    case TDB_ERROR_DATA: return "data exception";
    case TDB_ERROR_TEMPORAL: return "temporal rule violated";
    case TDB_ERROR_TXN: return "invalid transaction state";
    case TDB_CORRUPT_WAL: return "write-ahead log is corrupt";
    case TDB_CORRUPT_SST: return "table file is corrupt";
    case TDB_CORRUPT_MANIFEST: return "manifest is corrupt";
    case TDB_CANTOPEN_LZ4: return "file needs LZ4 support (build with TDB_ENABLE_LZ4)";
    case TDB_IOERR_READ: return "read failed";
    case TDB_IOERR_WRITE: return "write failed";
    case TDB_IOERR_SYNC: return "sync failed";
    default: break;
  }
  switch (rc & 0xff) {
    case TDB_OK: return "not an error";
    case TDB_ERROR: return "SQL error";
    case TDB_INTERNAL: return "internal error";
    case TDB_NOMEM: return "out of memory";
    case TDB_BUSY: return "database is locked";
    case TDB_CORRUPT: return "database file is corrupt";
    case TDB_IOERR: return "disk I/O error";
    case TDB_FULL: return "disk is full";
    case TDB_CONSTRAINT: return "constraint failed";
    case TDB_MISUSE: return "API misuse";
    case TDB_RANGE: return "index out of range";
    case TDB_NOTFOUND: return "not found";
    case TDB_CONFLICT: return "write conflict";
    case TDB_READONLY: return "database is read-only";
    case TDB_CANTOPEN: return "cannot open database";
    case TDB_TOOBIG: return "too big";
    case TDB_INTERRUPT: return "interrupted";
    case TDB_ROW: return "another row available";
    case TDB_DONE: return "no more rows";
    default: return "unknown result code";
  }
}
