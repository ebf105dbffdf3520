/*
** value.h — SQL values (TdbValue): the types of docs/types.md, rendering as
** text, comparison, and the CAST / implicit conversion rules.
**
** A TdbValue is a small tagged union. Text, blob, JSON and vector values point
** at bytes that are either owned by the value (owned = 1: freed by
** tdbValueClear) or borrowed from something that outlives it (a literal in the
** AST, a row buffer). Text is always NUL-terminated.
*/
#ifndef TDB_VALUE_H
#define TDB_VALUE_H

#include "error.h"
#include "strbuf.h"

typedef struct TdbValue {
  uint8_t type;     /* TDB_TYPE_* */
  uint8_t owned;    /* u.z is a heap block of the value's allocator */
  uint32_t n;       /* bytes of text/blob/json/vector */
  union {
    int64_t i;      /* INTEGER, BOOLEAN (0/1), TIMESTAMP (µs), INTERVAL (µs;
                       its months are in n: interval.h) */
    double r;       /* REAL */
    char *z;        /* TEXT, BLOB, JSON, VECTOR */
  } u;
} TdbValue;

#define TDB_VALUE_IS_NULL(v) ((v)->type == TDB_TYPE_NULL)
#define TDB_TYPE_IS_NUMERIC(t) ((t) == TDB_TYPE_INTEGER || (t) == TDB_TYPE_REAL)
#define TDB_TYPE_HAS_BYTES(t) \
  ((t) == TDB_TYPE_TEXT || (t) == TDB_TYPE_BLOB || (t) == TDB_TYPE_JSON || \
   (t) == TDB_TYPE_VECTOR)

TDB_PRIVATE void tdbValueSetNull(TdbValue *v);
TDB_PRIVATE void tdbValueSetInt(TdbValue *v, int64_t i);
TDB_PRIVATE void tdbValueSetReal(TdbValue *v, double r);
TDB_PRIVATE void tdbValueSetBool(TdbValue *v, int b);
TDB_PRIVATE void tdbValueSetTimestamp(TdbValue *v, int64_t micros);
TDB_PRIVATE void tdbValueSetInterval(TdbValue *v, int32_t months, int64_t micros);
/* Copy n bytes into a new owned value of `type` (TEXT/BLOB/JSON/VECTOR).
** Returns TDB_OK or TDB_NOMEM (v is NULL then). */
TDB_PRIVATE int tdbValueSetBytes(TdbMem *mem, TdbValue *v, int type,
                                 const void *p, size_t n);
/* Take ownership of a heap block `z` of n bytes (+ NUL) from `mem`. */
TDB_PRIVATE void tdbValueTakeBytes(TdbValue *v, int type, char *z, size_t n);
/* Deep copy: dst gets its own bytes. dst must be clear. */
TDB_PRIVATE int tdbValueCopy(TdbMem *mem, TdbValue *dst, const TdbValue *src);
/* Free owned bytes; v becomes NULL. */
TDB_PRIVATE void tdbValueClear(TdbMem *mem, TdbValue *v);

/* Upper-case SQL name of a type ("INTEGER", ...). */
TDB_PRIVATE const char *tdbTypeName(int type);
/* Parse a SQL type name (INT, BIGINT, VARCHAR, DOUBLE PRECISION, ...) of n
** bytes into a TDB_TYPE_*. Returns -1 for an unknown name. */
TDB_PRIVATE int tdbTypeFromName(const char *name, size_t n);

/* Append the text form of a non-NULL value (the tdb_column_text rules). */
TDB_PRIVATE void tdbValueRender(TdbStr *out, const TdbValue *v);
/* Shortest text of a double that reads back exactly ("Infinity", "NaN" too).
** buf must hold 32 bytes. Returns the length. */
TDB_PRIVATE int tdbRealFormat(double r, char *buf);

/* Strict parsers: the whole text (blanks around allowed) must be a number.
** Return 0 on success, -1 on bad syntax, 1 on out of range. */
TDB_PRIVATE int tdbParseInt64(const char *z, size_t n, int64_t *out);
TDB_PRIVATE int tdbParseReal(const char *z, size_t n, double *out);

/* Compare two non-NULL values for ORDER BY / comparison operators. Numeric
** types compare by value across INTEGER and REAL; TEXT with TIMESTAMP
** converts the text. *cmp gets <0, 0 or >0. Incomparable types fail with
** SQLSTATE 42883 (and a conversion error fails as the CAST would). */
TDB_PRIVATE int tdbValueCompare(TdbErr *err, const TdbValue *a, const TdbValue *b,
                                int *cmp);

/* CAST(in AS type) into *out (which must be clear). NULL casts to NULL.
** Errors: 22P02 bad text, 22003 out of range, 42846 impossible cast. */
TDB_PRIVATE int tdbValueCast(TdbMem *mem, TdbErr *err, const TdbValue *in, int type,
                             TdbValue *out);

#endif /* TDB_VALUE_H */
