/*
** value.c — SQL values: constructors, rendering, comparison, CAST (value.h).
** The conversion rules are documented in docs/types.md.
*/
#include "value.h"
#include "datetime.h"
#include "json.h"
#include "interval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

TDB_PRIVATE void tdbValueSetNull(TdbValue *v) {
  v->type = TDB_TYPE_NULL;
  v->owned = 0;
  v->n = 0;
  v->u.i = 0;
}

TDB_PRIVATE void tdbValueSetInt(TdbValue *v, int64_t i) {
  tdbValueSetNull(v);
  v->type = TDB_TYPE_INTEGER;
  v->u.i = i;
}

TDB_PRIVATE void tdbValueSetReal(TdbValue *v, double r) {
  tdbValueSetNull(v);
  v->type = TDB_TYPE_REAL;
  v->u.r = r;
}

TDB_PRIVATE void tdbValueSetBool(TdbValue *v, int b) {
  tdbValueSetNull(v);
  v->type = TDB_TYPE_BOOLEAN;
  v->u.i = b != 0;
}

TDB_PRIVATE void tdbValueSetTimestamp(TdbValue *v, int64_t micros) {
  tdbValueSetNull(v);
  v->type = TDB_TYPE_TIMESTAMP;
  v->u.i = micros;
}

TDB_PRIVATE void tdbValueSetInterval(TdbValue *v, int32_t months, int64_t micros) {
  tdbValueSetNull(v);
  v->type = TDB_TYPE_INTERVAL;
  v->n = (uint32_t)months;
  v->u.i = micros;
}

TDB_PRIVATE int tdbValueSetBytes(TdbMem *mem, TdbValue *v, int type,
                                 const void *p, size_t n) {
  char *z;
  tdbValueSetNull(v);
  if (n > UINT32_MAX - 1) return TDB_TOOBIG;
  z = tdbMemAlloc(mem, n + 1);
  if (!z) return TDB_NOMEM;
  if (n) memcpy(z, p, n);
  z[n] = '\0';
  tdbValueTakeBytes(v, type, z, n);
  return TDB_OK;
}

TDB_PRIVATE void tdbValueTakeBytes(TdbValue *v, int type, char *z, size_t n) {
  v->type = (uint8_t)type;
  v->owned = 1;
  v->n = (uint32_t)n;
  v->u.z = z;
}

TDB_PRIVATE int tdbValueCopy(TdbMem *mem, TdbValue *dst, const TdbValue *src) {
  if (TDB_TYPE_HAS_BYTES(src->type)) {
    return tdbValueSetBytes(mem, dst, src->type, src->u.z, src->n);
  }
  *dst = *src;
  dst->owned = 0;
  return TDB_OK;
}

TDB_PRIVATE void tdbValueClear(TdbMem *mem, TdbValue *v) {
  if (v->owned) tdbMemFree(mem, v->u.z);
  tdbValueSetNull(v);
}

TDB_PRIVATE const char *tdbTypeName(int type) {
  switch (type) {
    case TDB_TYPE_NULL: return "NULL";
    case TDB_TYPE_BOOLEAN: return "BOOLEAN";
    case TDB_TYPE_INTEGER: return "INTEGER";
    case TDB_TYPE_REAL: return "REAL";
    case TDB_TYPE_TEXT: return "TEXT";
    case TDB_TYPE_BLOB: return "BLOB";
    case TDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case TDB_TYPE_JSON: return "JSON";
    case TDB_TYPE_VECTOR: return "VECTOR";
    case TDB_TYPE_INTERVAL: return "INTERVAL";
    default: return "UNKNOWN";
  }
}

static int tdbNameIs(const char *name, size_t n, const char *word) {
  size_t i;
  for (i = 0; i < n; i++) {
    char c = name[i];
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if (c != word[i]) return 0;
  }
  return word[n] == '\0';
}

TDB_PRIVATE int tdbTypeFromName(const char *name, size_t n) {
  static const struct {
    const char *name;
    int type;
  } tdbTypeNames[] = {
      {"BOOLEAN", TDB_TYPE_BOOLEAN},   {"BOOL", TDB_TYPE_BOOLEAN},
      {"INTEGER", TDB_TYPE_INTEGER},   {"INT", TDB_TYPE_INTEGER},
      {"BIGINT", TDB_TYPE_INTEGER},    {"SMALLINT", TDB_TYPE_INTEGER},
      {"TINYINT", TDB_TYPE_INTEGER},   {"INT2", TDB_TYPE_INTEGER},
      {"INT4", TDB_TYPE_INTEGER},      {"INT8", TDB_TYPE_INTEGER},
      {"MEDIUMINT", TDB_TYPE_INTEGER}, {"SIGNED", TDB_TYPE_INTEGER},
      {"REAL", TDB_TYPE_REAL},         {"DOUBLE", TDB_TYPE_REAL},
      {"FLOAT", TDB_TYPE_REAL},        {"FLOAT4", TDB_TYPE_REAL},
      {"FLOAT8", TDB_TYPE_REAL},       {"NUMERIC", TDB_TYPE_REAL},
      {"DECIMAL", TDB_TYPE_REAL},      {"TEXT", TDB_TYPE_TEXT},
      {"VARCHAR", TDB_TYPE_TEXT},      {"CHAR", TDB_TYPE_TEXT},
      {"CHARACTER", TDB_TYPE_TEXT},    {"STRING", TDB_TYPE_TEXT},
      {"CLOB", TDB_TYPE_TEXT},         {"BLOB", TDB_TYPE_BLOB},
      {"BYTEA", TDB_TYPE_BLOB},        {"TIMESTAMP", TDB_TYPE_TIMESTAMP},
      {"TIMESTAMPTZ", TDB_TYPE_TIMESTAMP}, {"DATETIME", TDB_TYPE_TIMESTAMP},
      {"JSON", TDB_TYPE_JSON},         {"JSONB", TDB_TYPE_JSON},
      {"VECTOR", TDB_TYPE_VECTOR},     {"INTERVAL", TDB_TYPE_INTERVAL},
  };
  size_t i;
  for (i = 0; i < TDB_ARRAY_LEN(tdbTypeNames); i++) {
    if (tdbNameIs(name, n, tdbTypeNames[i].name)) return tdbTypeNames[i].type;
  }
  return -1;
}

TDB_PRIVATE int tdbRealFormat(double r, char *buf) {
  int precision;
  if (isnan(r)) return snprintf(buf, 32, "NaN");
  if (isinf(r)) return snprintf(buf, 32, r > 0 ? "Infinity" : "-Infinity");
  for (precision = 15; precision <= 17; precision++) {
    snprintf(buf, 32, "%.*g", precision, r);
    if (strtod(buf, NULL) == r) break;
  }
  return (int)strlen(buf);
}

static void tdbValueRenderHex(TdbStr *out, const unsigned char *p, size_t n) {
  static const char tdbHexDigits[] = "0123456789abcdef";
  size_t i;
  tdbStrAppendz(out, "\\x");
  for (i = 0; i < n; i++) {
    tdbStrAppendChar(out, tdbHexDigits[p[i] >> 4]);
    tdbStrAppendChar(out, tdbHexDigits[p[i] & 15]);
  }
}

TDB_PRIVATE void tdbValueRender(TdbStr *out, const TdbValue *v) {
  char buf[TDB_TIME_ISO_MAX > 32 ? TDB_TIME_ISO_MAX : 32];
  switch (v->type) {
    case TDB_TYPE_BOOLEAN:
      tdbStrAppendz(out, v->u.i ? "true" : "false");
      break;
    case TDB_TYPE_INTEGER:
      tdbStrAppendf(out, "%lld", (long long)v->u.i);
      break;
    case TDB_TYPE_REAL:
      tdbStrAppend(out, buf, (size_t)tdbRealFormat(v->u.r, buf));
      break;
    case TDB_TYPE_TIMESTAMP:
      tdbStrAppend(out, buf, (size_t)tdbTimeFormatIso(v->u.i, buf));
      break;
    case TDB_TYPE_TEXT:
    case TDB_TYPE_JSON:
      tdbStrAppend(out, v->u.z, v->n);
      break;
    case TDB_TYPE_BLOB:
      tdbValueRenderHex(out, (const unsigned char *)v->u.z, v->n);
      break;
    case TDB_TYPE_VECTOR:
      tdbVectorRender(out, v->u.z, v->n);
      break;
    case TDB_TYPE_INTERVAL:
      tdbIntervalRender(out, TDB_INTERVAL_MONTHS(v), v->u.i);
      break;
    default:
      break;
  }
}

/* Trim ASCII blanks from both ends of [*z, *z + *n). */
static void tdbTrimBlanks(const char **z, size_t *n) {
  while (*n && (**z == ' ' || **z == '\t' || **z == '\n' || **z == '\r')) {
    (*z)++;
    (*n)--;
  }
  while (*n && ((*z)[*n - 1] == ' ' || (*z)[*n - 1] == '\t' ||
                (*z)[*n - 1] == '\n' || (*z)[*n - 1] == '\r')) {
    (*n)--;
  }
}

TDB_PRIVATE int tdbParseInt64(const char *z, size_t n, int64_t *out) {
  uint64_t acc = 0, limit;
  int neg = 0;
  size_t i = 0;
  tdbTrimBlanks(&z, &n);
  if (n && (z[0] == '+' || z[0] == '-')) {
    neg = z[0] == '-';
    i = 1;
  }
  if (i == n) return -1;
  limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < n; i++) {
    unsigned d;
    if (z[i] < '0' || z[i] > '9') return -1;
    d = (unsigned)(z[i] - '0');
    if (acc > (limit - d) / 10) {
      /* keep scanning: bad syntax wins over out of range */
      for (i++; i < n; i++) {
        if (z[i] < '0' || z[i] > '9') return -1;
      }
      return 1;
    }
    acc = acc * 10 + d;
  }
  *out = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc)
             : (int64_t)acc;
  return 0;
}

TDB_PRIVATE int tdbParseReal(const char *z, size_t n, double *out) {
  char buf[64];
  char *end;
  double r;
  tdbTrimBlanks(&z, &n);
  if (n == 0 || n >= sizeof buf) return -1;
  memcpy(buf, z, n);
  buf[n] = '\0';
  /* strtod also takes hex floats and "inf"; accept only decimal syntax and
  ** the PostgreSQL spellings of the special values */
  if (tdbNameIs(buf, n, "NAN")) {
    *out = NAN;
    return 0;
  }
  if (tdbNameIs(buf, n, "INFINITY") || tdbNameIs(buf, n, "+INFINITY")) {
    *out = INFINITY;
    return 0;
  }
  if (tdbNameIs(buf, n, "-INFINITY")) {
    *out = -INFINITY;
    return 0;
  }
  {
    size_t i;
    for (i = 0; i < n; i++) {
      char c = buf[i];
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
            c == '+' || c == '-')) {
        return -1;
      }
    }
  }
  errno = 0;
  r = strtod(buf, &end);
  if (end != buf + n) return -1;
  if (errno == ERANGE && isinf(r)) return 1;
  *out = r;
  return 0;
}

/* Compare an integer with a double exactly (no rounding of large integers). */
static int tdbCompareIntReal(int64_t i, double r) {
  if (isnan(r)) return -1; /* NaN sorts above every number, as in PostgreSQL */
  if (r >= 9223372036854775808.0) return -1;
  if (r < -9223372036854775808.0) return 1;
  {
    double ipart = floor(r);
    int64_t ri = (int64_t)ipart;
    if (i != ri) return i < ri ? -1 : 1;
    return ipart < r ? -1 : 0;
  }
}

static int tdbCompareReal(double a, double b) {
  if (isnan(a) || isnan(b)) return isnan(a) ? (isnan(b) ? 0 : 1) : -1;
  return a < b ? -1 : a > b;
}

static int tdbCompareBytes(const TdbValue *a, const TdbValue *b) {
  size_t n = TDB_MIN(a->n, b->n);
  int c = n ? memcmp(a->u.z, b->u.z, n) : 0;
  if (c) return c;
  return a->n < b->n ? -1 : a->n > b->n;
}

TDB_PRIVATE int tdbValueCompare(TdbErr *err, const TdbValue *a, const TdbValue *b,
                                int *cmp) {
  int ta = a->type, tb = b->type;
  if (ta == TDB_TYPE_INTEGER && tb == TDB_TYPE_INTEGER) {
    *cmp = a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    return TDB_OK;
  }
  if (TDB_TYPE_IS_NUMERIC(ta) && TDB_TYPE_IS_NUMERIC(tb)) {
    if (ta == TDB_TYPE_REAL && tb == TDB_TYPE_REAL) {
      *cmp = tdbCompareReal(a->u.r, b->u.r);
    } else if (ta == TDB_TYPE_INTEGER) {
      *cmp = tdbCompareIntReal(a->u.i, b->u.r);
    } else {
      *cmp = -tdbCompareIntReal(b->u.i, a->u.r);
    }
    return TDB_OK;
  }
  if ((ta == TDB_TYPE_TIMESTAMP && tb == TDB_TYPE_TEXT) ||
      (ta == TDB_TYPE_TEXT && tb == TDB_TYPE_TIMESTAMP)) {
    const TdbValue *text = ta == TDB_TYPE_TEXT ? a : b;
    int64_t t;
    if (tdbTimeParseIso(text->u.z, text->n, &t) != 0) {
      return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DATETIME_FORMAT,
                       "invalid input syntax for type TIMESTAMP: \"%.*s\"",
                       (int)TDB_MIN(text->n, 64), text->u.z);
    }
    if (ta == TDB_TYPE_TEXT) *cmp = t < b->u.i ? -1 : t > b->u.i;
    else *cmp = a->u.i < t ? -1 : a->u.i > t;
    return TDB_OK;
  }
  if ((ta == TDB_TYPE_INTERVAL && tb == TDB_TYPE_TEXT) ||
      (ta == TDB_TYPE_TEXT && tb == TDB_TYPE_INTERVAL)) {
    /* the text is read as an interval, as TEXT with TIMESTAMP is */
    const TdbValue *text = ta == TDB_TYPE_TEXT ? a : b, *iv = ta == TDB_TYPE_TEXT ? b : a;
    int32_t months;
    int64_t micros;
    if (tdbIntervalParse(text->u.z, text->n, &months, &micros) != 0) {
      return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_TEXT,
                       "invalid input syntax for type INTERVAL: \"%.*s\"",
                       (int)TDB_MIN(text->n, 64), text->u.z);
    }
    *cmp = tdbIntervalCompare(TDB_INTERVAL_MONTHS(iv), iv->u.i, months, micros);
    if (ta == TDB_TYPE_TEXT) *cmp = -*cmp;
    return TDB_OK;
  }
  if (ta == tb) {
    switch (ta) {
      case TDB_TYPE_BOOLEAN:
      case TDB_TYPE_TIMESTAMP:
        *cmp = a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
        return TDB_OK;
      case TDB_TYPE_TEXT:
      case TDB_TYPE_BLOB:
      case TDB_TYPE_JSON:
      case TDB_TYPE_VECTOR:
        *cmp = tdbCompareBytes(a, b);
        return TDB_OK;
      case TDB_TYPE_INTERVAL:
        *cmp = tdbIntervalCompare(TDB_INTERVAL_MONTHS(a), a->u.i, TDB_INTERVAL_MONTHS(b), b->u.i);
        return TDB_OK;
      default:
        break;
    }
  }
  return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                   "cannot compare %s with %s", tdbTypeName(ta), tdbTypeName(tb));
}

static int tdbCastInvalid(TdbErr *err, const TdbValue *in, int type) {
  return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_TEXT,
                   "invalid input syntax for type %s: \"%.*s\"", tdbTypeName(type),
                   (int)TDB_MIN(in->n, 64), in->u.z);
}

static int tdbCastOutOfRange(TdbErr *err, int type) {
  return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE,
                   "value out of range for type %s", tdbTypeName(type));
}

/* Text -> BOOLEAN with the PostgreSQL spellings. -1 if none matches. */
static int tdbParseBool(const char *z, size_t n) {
  static const char *const tdbTrueWords[] = {"TRUE", "T", "YES", "Y", "ON", "1"};
  static const char *const tdbFalseWords[] = {"FALSE", "F", "NO", "N", "OFF", "0"};
  size_t i;
  tdbTrimBlanks(&z, &n);
  for (i = 0; i < TDB_ARRAY_LEN(tdbTrueWords); i++) {
    if (tdbNameIs(z, n, tdbTrueWords[i])) return 1;
    if (tdbNameIs(z, n, tdbFalseWords[i])) return 0;
  }
  return -1;
}

/* REAL -> INTEGER, rounding half away from zero. */
static int tdbRealToInt(double r, int64_t *out) {
  double rounded = round(r);
  if (isnan(rounded) || rounded < -9223372036854775808.0 ||
      rounded >= 9223372036854775808.0) {
    return -1;
  }
  *out = (int64_t)rounded;
  return 0;
}

TDB_PRIVATE int tdbValueCast(TdbMem *mem, TdbErr *err, const TdbValue *in, int type,
                             TdbValue *out) {
  int from = in->type, rc;
  tdbValueSetNull(out);
  if (from == TDB_TYPE_NULL) return TDB_OK;
  if (from == type) return tdbValueCopy(mem, out, in);
  switch (type) {
    case TDB_TYPE_BOOLEAN:
      if (from == TDB_TYPE_INTEGER) {
        tdbValueSetBool(out, in->u.i != 0);
        return TDB_OK;
      }
      if (from == TDB_TYPE_TEXT) {
        int b = tdbParseBool(in->u.z, in->n);
        if (b < 0) return tdbCastInvalid(err, in, type);
        tdbValueSetBool(out, b);
        return TDB_OK;
      }
      break;
    case TDB_TYPE_INTEGER:
      if (from == TDB_TYPE_BOOLEAN || from == TDB_TYPE_TIMESTAMP) {
        tdbValueSetInt(out, in->u.i);
        return TDB_OK;
      }
      if (from == TDB_TYPE_REAL) {
        int64_t i;
        if (tdbRealToInt(in->u.r, &i) != 0) return tdbCastOutOfRange(err, type);
        tdbValueSetInt(out, i);
        return TDB_OK;
      }
      if (from == TDB_TYPE_TEXT) {
        int64_t i;
        rc = tdbParseInt64(in->u.z, in->n, &i);
        if (rc < 0) return tdbCastInvalid(err, in, type);
        if (rc > 0) return tdbCastOutOfRange(err, type);
        tdbValueSetInt(out, i);
        return TDB_OK;
      }
      break;
    case TDB_TYPE_REAL:
      if (from == TDB_TYPE_INTEGER) {
        tdbValueSetReal(out, (double)in->u.i);
        return TDB_OK;
      }
      if (from == TDB_TYPE_TEXT) {
        double r;
        rc = tdbParseReal(in->u.z, in->n, &r);
        if (rc < 0) return tdbCastInvalid(err, in, type);
        if (rc > 0) return tdbCastOutOfRange(err, type);
        tdbValueSetReal(out, r);
        return TDB_OK;
      }
      break;
    case TDB_TYPE_TEXT: {
      TdbStr s;
      size_t n;
      char *z;
      if (from == TDB_TYPE_BLOB) {
        return tdbValueSetBytes(mem, out, TDB_TYPE_TEXT, in->u.z, in->n);
      }
      tdbStrInit(&s, mem);
      tdbValueRender(&s, in);
      n = s.n;
      z = tdbStrFinish(&s);
      if (!z) return tdbErrNoMem(err);
      tdbValueTakeBytes(out, TDB_TYPE_TEXT, z, n);
      return TDB_OK;
    }
    case TDB_TYPE_BLOB:
      if (from == TDB_TYPE_TEXT) {
        rc = tdbValueSetBytes(mem, out, TDB_TYPE_BLOB, in->u.z, in->n);
        return rc == TDB_OK ? rc : tdbErrNoMem(err);
      }
      break;
    case TDB_TYPE_TIMESTAMP:
      if (from == TDB_TYPE_INTEGER) {
        tdbValueSetTimestamp(out, in->u.i);
        return TDB_OK;
      }
      if (from == TDB_TYPE_TEXT) {
        int64_t t;
        if (tdbTimeParseIso(in->u.z, in->n, &t) != 0) {
          return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DATETIME_FORMAT,
                           "invalid input syntax for type TIMESTAMP: \"%.*s\"",
                           (int)TDB_MIN(in->n, 64), in->u.z);
        }
        tdbValueSetTimestamp(out, t);
        return TDB_OK;
      }
      break;
    case TDB_TYPE_JSON:
      if (from == TDB_TYPE_TEXT) {
        rc = tdbJsonValidate(err, in->u.z, in->n);
        if (rc != TDB_OK) return rc;
        rc = tdbValueSetBytes(mem, out, TDB_TYPE_JSON, in->u.z, in->n);
        return rc == TDB_OK ? rc : tdbErrNoMem(err);
      }
      break;
    case TDB_TYPE_VECTOR:
      if (from == TDB_TYPE_TEXT || from == TDB_TYPE_JSON) {
        return tdbVectorParse(mem, err, in->u.z, in->n, 0, out);
      }
      break;
    case TDB_TYPE_INTERVAL:
      if (from == TDB_TYPE_TEXT) {
        int32_t months;
        int64_t micros;
        rc = tdbIntervalParse(in->u.z, in->n, &months, &micros);
        if (rc < 0) return tdbCastInvalid(err, in, type);
        if (rc > 0) {
          return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DATETIME_RANGE,
                           "interval out of range: \"%.*s\"", (int)TDB_MIN(in->n, 64), in->u.z);
        }
        tdbValueSetInterval(out, months, micros);
        return TDB_OK;
      }
      break;
    default:
      break;
  }
  return tdbErrSet(err, TDB_ERROR_DATA, "42846", "cannot cast %s to %s",
                   tdbTypeName(from), tdbTypeName(type));
}
