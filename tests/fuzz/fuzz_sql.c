/*
** fuzz_sql.c — libFuzzer harness for the SQL front end through the public
** API only (tensordb.h): the input is SQL text.
**
** It is one translation unit with the amalgamation (so the library is built
** with the fuzzer's instrumentation) but calls nothing except tdb_*. Per
** input: a fresh ":memory:" database; tdb_complete() of the text; then every
** statement in turn with tdb_prepare (explicit length, in an exactly-sized
** buffer without a terminating NUL, so a read past the end is caught) and
** its tail: parameters bound with values taken from the input, up to
** FUZZ_SQL_MAX_ROWS rows stepped with every column read through every
** accessor, a tdb_reset and a second run, then tdb_finalize. Invariants: a
** failure leaves an error message and a five-character SQLSTATE; the tail
** advances within the text; column accessors stay within their counts.
*/
#include "tensordb.c"
#include "fuzz_common.h"

#define FUZZ_SQL_MAX_ROWS 200
#define FUZZ_SQL_MAX_STMTS 32

static void fuzzSqlCheckError(tdb *db, int rc) {
  const char *msg = tdb_errmsg(db), *state = tdb_sqlstate(db);
  FUZZ_CHECK(rc != TDB_OK && rc != TDB_ROW && rc != TDB_DONE, "not an error");
  FUZZ_CHECK(msg != NULL && msg[0] != '\0', "error without a message");
  FUZZ_CHECK(state != NULL && strlen(state) == 5, "error without a SQLSTATE");
  FUZZ_CHECK(strcmp(state, "00000") != 0, "error with SQLSTATE 00000");
}

/* Read every column of the current row through every accessor. */
static void fuzzSqlRow(tdb_stmt *st) {
  int n = tdb_column_count(st), i;
  uint64_t h = FUZZ_HASH_INIT;
  for (i = -1; i <= n; i++) { /* -1 and n: out of range, must be safe */
    const char *name = tdb_column_name(st, i), *text;
    const void *blob;
    int type = tdb_column_type(st, i), bytes;
    if (name) h = fuzzHash(h, name, strlen(name));
    h = fuzzHashU64(h, (uint64_t)type);
    h = fuzzHashU64(h, (uint64_t)tdb_column_int64(st, i));
    {
      double d = tdb_column_double(st, i);
      h = fuzzHash(h, &d, sizeof d);
    }
    text = tdb_column_text(st, i);
    bytes = tdb_column_bytes(st, i);
    FUZZ_CHECK(bytes >= 0, "negative column size");
    if (text) h = fuzzHash(h, text, strlen(text));
    blob = tdb_column_blob(st, i);
    bytes = tdb_column_bytes(st, i);
    if (blob && bytes > 0) h = fuzzHash(h, blob, (size_t)bytes);
    if (i >= 0 && i < n) {
      FUZZ_CHECK(name != NULL, "a column without a name");
      FUZZ_CHECK(type >= TDB_TYPE_NULL && type <= TDB_TYPE_INTERVAL, "column type");
    }
  }
  (void)h;
}

/* Bind parameter i from the input bytes at *pos. */
static void fuzzSqlBind(tdb_stmt *st, int i, const uint8_t *data, size_t size,
                        size_t *pos) {
  size_t off = size ? *pos % size : 0;
  unsigned sel = size ? data[off] : 0;
  size_t len = size ? (size_t)(data[(off + 1) % size] % 16) : 0;
  const char *text = size ? (const char *)data + off : "";
  if (len > size - off) len = size - off;
  switch (sel % 8) {
    case 0: tdb_bind_null(st, i); break;
    case 1: tdb_bind_bool(st, i, (int)(sel & 1)); break;
    case 2: tdb_bind_int64(st, i, (int64_t)sel * 1000003 - 40000000); break;
    case 3: tdb_bind_double(st, i, (double)sel / 7.0 - 10.0); break;
    case 4: tdb_bind_text(st, i, text, (int)len); break;
    case 5: tdb_bind_blob(st, i, text, (int)len); break;
    case 6: tdb_bind_timestamp(st, i, (int64_t)sel * INT64_C(86400000000)); break;
    default: tdb_bind_int64(st, i, INT64_MIN + sel); break;
  }
  *pos += 3;
}

/* Step st to the end (or the row limit); returns the last code. */
static int fuzzSqlRun(tdb *db, tdb_stmt *st) {
  int rc, rows = 0;
  while ((rc = tdb_step(st)) == TDB_ROW) {
    fuzzSqlRow(st);
    if (++rows >= FUZZ_SQL_MAX_ROWS) break;
  }
  if (rc != TDB_ROW && rc != TDB_DONE) fuzzSqlCheckError(db, rc);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tdb *db = NULL;
  tdb_config cfg;
  char *text, *ztext;
  const char *p, *end, *tail;
  size_t pos = 0;
  int rc, nstmt = 0;

  if (size > 1 << 16) return 0; /* keep single inputs fast */
  tdb_config_default(&cfg);
  cfg.recursion_limit = 1000;
  cfg.threads = 0;
  rc = tdb_open(":memory:", &cfg, &db);
  FUZZ_CHECK(rc == TDB_OK && db != NULL, "open :memory:");

  /* tdb_complete needs a NUL-terminated copy. */
  ztext = (char *)malloc(size + 1);
  FUZZ_CHECK(ztext != NULL, "malloc");
  if (size) memcpy(ztext, data, size);
  ztext[size] = '\0';
  rc = tdb_complete(ztext);
  FUZZ_CHECK(rc == 0 || rc == 1, "tdb_complete result");
  free(ztext);

  /* Exactly size bytes: no NUL after the text. */
  text = (char *)malloc(size ? size : 1);
  FUZZ_CHECK(text != NULL, "malloc");
  if (size) memcpy(text, data, size);
  p = text;
  end = text + size;
  while (p < end && nstmt++ < FUZZ_SQL_MAX_STMTS) {
    tdb_stmt *st = NULL;
    int np, i;
    tail = NULL;
    rc = tdb_prepare(db, p, (int)(end - p), &st, &tail);
    if (rc != TDB_OK) {
      FUZZ_CHECK(st == NULL, "failed prepare returned a statement");
      fuzzSqlCheckError(db, rc);
      break; /* the tail is not meaningful after an error */
    }
    FUZZ_CHECK(tail != NULL && tail > p && tail <= end,
               "tail does not advance within the text");
    if (st) {
      const char *sql = tdb_stmt_sql(st);
      FUZZ_CHECK(sql != NULL, "statement without its SQL");
      np = tdb_bind_parameter_count(st);
      FUZZ_CHECK(np >= 0, "negative parameter count");
      for (i = 1; i <= np && i <= 64; i++) fuzzSqlBind(st, i, data, size, &pos);
      (void)tdb_bind_int64(st, np + 1, 1); /* out of range: an error, no crash */
      fuzzSqlRun(db, st);
      tdb_reset(st);
      fuzzSqlRun(db, st);
      tdb_clear_bindings(st);
      tdb_reset(st);
      if (np == 0) fuzzSqlRun(db, st);
      (void)tdb_finalize(st); /* returns the statement's last error, if any */
    }
    p = tail;
  }
  free(text);
  FUZZ_CHECK(tdb_close(db) == TDB_OK, "close");
  return 0;
}
