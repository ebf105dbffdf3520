/*
** func_json.c — the JSON functions of the library (docs/functions.md "JSON
** functions"): json_extract, json_type, json_array_length (read with SQLite's
** path syntax), json_object, json_array (build compact JSON) and json_valid.
**
** A JSON argument is a JSON value or TEXT holding valid JSON (other TEXT is
** 22032). A path is `$` followed by steps: `.name`, `."quoted name"`, `[N]`
** (0-based) and `[#-N]` (N from the end); a malformed path is 22023. A path
** that leads nowhere gives NULL.
*/
#include "func.h"
#include "datetime.h"
#include "json.h"

#include <math.h>

/* The JSON text of argument v in *z, *n; TEXT is validated first. */
static int tdbJsonArg(TdbEvalCtx *ctx, const char *fn, const TdbValue *v, const char **z,
                      size_t *n) {
  if (v->type != TDB_TYPE_JSON && v->type != TDB_TYPE_TEXT) {
    return tdbFuncArgType(ctx, fn, v, "JSON or TEXT");
  }
  if (v->type == TDB_TYPE_TEXT && tdbJsonValidate(ctx->err, v->u.z, v->n) != TDB_OK) {
    return ctx->err->code;
  }
  *z = v->u.z;
  *n = v->n;
  return TDB_OK;
}

static int tdbBadPath(TdbEvalCtx *ctx, const TdbValue *path, const char *why) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_RANGE, "invalid JSON path '%.*s': %s",
                   (int)TDB_MIN(path->n, 64), path->u.z, why);
}

/* Follow `path` from the document json[0..n). *out gets a JSON value with
** the text found (owned), or stays NULL when the path leads nowhere. */
static int tdbJsonWalk(TdbEvalCtx *ctx, const char *json, size_t n, const TdbValue *path,
                       TdbValue *out) {
  const char *p = path->u.z;
  size_t i = 1, len = path->n;
  TdbValue cur, step;
  int rc = TDB_OK;
  tdbValueSetNull(out);
  if (path->type != TDB_TYPE_TEXT) return tdbFuncArgType(ctx, "json path", path, "TEXT");
  if (len == 0 || p[0] != '$') return tdbBadPath(ctx, path, "a path starts with '$'");
  tdbValueSetNull(&cur);
  cur.type = TDB_TYPE_JSON; /* borrowed: the document itself */
  cur.u.z = (char *)json;
  cur.n = (uint32_t)n;
  while (i < len && rc == TDB_OK) {
    TdbValue next;
    tdbValueSetNull(&step);
    if (p[i] == '.') {
      size_t start = ++i;
      if (i < len && p[i] == '"') {
        start = ++i;
        while (i < len && p[i] != '"') i++;
        if (i >= len) {
          rc = tdbBadPath(ctx, path, "unterminated quoted name");
          break;
        }
        step.type = TDB_TYPE_TEXT;
        step.u.z = (char *)p + start;
        step.n = (uint32_t)(i - start);
        i++;
      } else {
        while (i < len && p[i] != '.' && p[i] != '[') i++;
        if (i == start) {
          rc = tdbBadPath(ctx, path, "empty member name");
          break;
        }
        step.type = TDB_TYPE_TEXT;
        step.u.z = (char *)p + start;
        step.n = (uint32_t)(i - start);
      }
    } else if (p[i] == '[') {
      int64_t k = 0;
      int from_end = 0, digits = 0;
      i++;
      if (i + 1 < len && p[i] == '#' && p[i + 1] == '-') {
        from_end = 1;
        i += 2;
      }
      while (i < len && p[i] >= '0' && p[i] <= '9') {
        if (k > (INT64_MAX - 9) / 10) {
          rc = tdbBadPath(ctx, path, "array index out of range");
          break;
        }
        k = k * 10 + (p[i++] - '0');
        digits++;
      }
      if (rc != TDB_OK) break;
      if (!digits || i >= len || p[i] != ']') {
        rc = tdbBadPath(ctx, path, "expected [N] or [#-N]");
        break;
      }
      i++;
      if (from_end && k == 0) { /* [#-0] is past the end */
        tdbValueClear(ctx->mem, &cur);
        return TDB_OK;
      }
      tdbValueSetInt(&step, from_end ? -k : k);
    } else {
      rc = tdbBadPath(ctx, path, "expected '.' or '['");
      break;
    }
    rc = tdbJsonGet(ctx->mem, ctx->err, cur.u.z, cur.n, &step, 0, &next);
    tdbValueClear(ctx->mem, &cur);
    if (rc != TDB_OK) return rc;
    if (TDB_VALUE_IS_NULL(&next)) return TDB_OK; /* nowhere */
    cur = next;
  }
  if (rc != TDB_OK) {
    tdbValueClear(ctx->mem, &cur);
    return rc;
  }
  if (cur.owned) *out = cur;
  else rc = tdbFuncSetBytes(ctx, out, TDB_TYPE_JSON, cur.u.z, cur.n);
  return rc;
}

/* The JSON value text z[0..n) with the blanks around it removed. */
static void tdbJsonTrim(const char **z, size_t *n) {
  while (*n && ((*z)[0] == ' ' || (*z)[0] == '\t' || (*z)[0] == '\n' || (*z)[0] == '\r')) {
    (*z)++;
    (*n)--;
  }
  while (*n && ((*z)[*n - 1] == ' ' || (*z)[*n - 1] == '\t' || (*z)[*n - 1] == '\n' ||
                (*z)[*n - 1] == '\r')) {
    (*n)--;
  }
}

/* Is the JSON number z[0..n) an integer literal (no fraction or exponent)? */
static int tdbJsonIsInteger(const char *z, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (z[i] == '.' || z[i] == 'e' || z[i] == 'E') return 0;
  }
  return 1;
}

/* The SQL value of a JSON value: objects and arrays stay JSON, a string is
** TEXT, a number INTEGER (when integral and in range) or REAL, true/false
** BOOLEAN, null NULL. */
static int tdbJsonToSql(TdbEvalCtx *ctx, const char *z, size_t n, TdbValue *out) {
  tdbJsonTrim(&z, &n);
  switch (n ? z[0] : 0) {
    case '{':
    case '[': return tdbFuncSetBytes(ctx, out, TDB_TYPE_JSON, z, n);
    case '"': return tdbJsonStringText(ctx->mem, ctx->err, z, n, out);
    case 't': tdbValueSetBool(out, 1); return TDB_OK;
    case 'f': tdbValueSetBool(out, 0); return TDB_OK;
    case 'n': case 0: return TDB_OK;
    default: {
      int64_t i;
      double r;
      if (tdbJsonIsInteger(z, n) && tdbParseInt64(z, n, &i) == 0) {
        tdbValueSetInt(out, i);
        return TDB_OK;
      }
      if (tdbParseReal(z, n, &r) != 0) {
        return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE,
                         "JSON number %.*s is out of range for REAL", (int)TDB_MIN(n, 40), z);
      }
      tdbValueSetReal(out, r);
      return TDB_OK;
    }
  }
}

/* ---- building JSON text ------------------------------------------------------ */

/* Append s as a JSON string literal. */
static void tdbJsonQuote(TdbStr *out, const char *s, size_t n) {
  static const char tdbHex[] = "0123456789abcdef";
  size_t i;
  tdbStrAppendChar(out, '"');
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
      case '"': tdbStrAppendz(out, "\\\""); break;
      case '\\': tdbStrAppendz(out, "\\\\"); break;
      case '\n': tdbStrAppendz(out, "\\n"); break;
      case '\r': tdbStrAppendz(out, "\\r"); break;
      case '\t': tdbStrAppendz(out, "\\t"); break;
      case '\b': tdbStrAppendz(out, "\\b"); break;
      case '\f': tdbStrAppendz(out, "\\f"); break;
      default:
        if (c < 0x20) {
          char b[6] = {'\\', 'u', '0', '0', tdbHex[c >> 4], tdbHex[c & 15]};
          tdbStrAppend(out, b, 6);
        } else {
          tdbStrAppendChar(out, (char)c);
        }
    }
  }
  tdbStrAppendChar(out, '"');
}

/* Append the JSON form of a SQL value: NULL null, BOOLEAN true/false,
** numbers as written (a non-finite REAL is null), TEXT a string, JSON as
** is, TIMESTAMP and INTERVAL their text as a string, VECTOR its array text.
** BLOB has no JSON form (42883). */
static int tdbJsonAppendValue(TdbEvalCtx *ctx, const char *fn, TdbStr *out, const TdbValue *v) {
  switch (v->type) {
    case TDB_TYPE_NULL: tdbStrAppendz(out, "null"); return TDB_OK;
    case TDB_TYPE_REAL:
      if (!isfinite(v->u.r)) {
        tdbStrAppendz(out, "null");
        return TDB_OK;
      }
      tdbValueRender(out, v);
      return TDB_OK;
    case TDB_TYPE_BOOLEAN:
    case TDB_TYPE_INTEGER:
    case TDB_TYPE_VECTOR:
      tdbValueRender(out, v);
      return TDB_OK;
    case TDB_TYPE_JSON: {
      const char *z = v->u.z;
      size_t n = v->n;
      tdbJsonTrim(&z, &n);
      tdbStrAppend(out, z, n);
      return TDB_OK;
    }
    case TDB_TYPE_TEXT: tdbJsonQuote(out, v->u.z, v->n); return TDB_OK;
    case TDB_TYPE_TIMESTAMP:
    case TDB_TYPE_INTERVAL: {
      TdbStr text;
      tdbStrInit(&text, ctx->mem);
      tdbValueRender(&text, v);
      if (text.oom) return tdbErrNoMem(ctx->err);
      tdbJsonQuote(out, text.z ? text.z : "", text.n);
      tdbStrClear(&text);
      return TDB_OK;
    }
    default:
      return tdbFuncArgType(ctx, fn, v, "a value with a JSON form (not BLOB)");
  }
}

/* ---- the functions ------------------------------------------------------------- */

/* json_extract(json, path, ...): with one path the SQL value found there
** (NULL if none); with several, a JSON array of the values (null if none). */
TDB_FN(tdbFnJsonExtract) {
  const char *z = NULL;
  size_t n = 0;
  TdbStr s;
  int i, rc = TDB_OK;
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (tdbJsonArg(ctx, "json_extract", &argv[0], &z, &n) != TDB_OK) return ctx->err->code;
  if (argc == 2) {
    TdbValue found;
    if (TDB_VALUE_IS_NULL(&argv[1])) return TDB_OK;
    rc = tdbJsonWalk(ctx, z, n, &argv[1], &found);
    if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&found)) rc = tdbJsonToSql(ctx, found.u.z, found.n, out);
    tdbValueClear(ctx->mem, &found);
    return rc;
  }
  tdbStrInit(&s, ctx->mem);
  tdbStrAppendChar(&s, '[');
  for (i = 1; i < argc && rc == TDB_OK; i++) {
    TdbValue found;
    tdbValueSetNull(&found);
    if (TDB_VALUE_IS_NULL(&argv[i])) {
      tdbStrClear(&s);
      return TDB_OK; /* a NULL path makes the whole result NULL */
    }
    rc = tdbJsonWalk(ctx, z, n, &argv[i], &found);
    if (rc == TDB_OK) {
      const char *fz = found.u.z;
      size_t fn = found.n;
      if (i > 1) tdbStrAppendChar(&s, ',');
      if (TDB_VALUE_IS_NULL(&found)) {
        tdbStrAppendz(&s, "null");
      } else {
        tdbJsonTrim(&fz, &fn);
        tdbStrAppend(&s, fz, fn);
      }
    }
    tdbValueClear(ctx->mem, &found);
  }
  if (rc != TDB_OK) {
    tdbStrClear(&s);
    return rc;
  }
  tdbStrAppendChar(&s, ']');
  return tdbFuncTakeStr(ctx, "json_extract", &s, TDB_TYPE_JSON, out);
}

/* Read argument 0 at the optional path argument 1 into *found (NULL when the
** path leads nowhere). */
static int tdbJsonAt(TdbEvalCtx *ctx, const char *fn, int argc, const TdbValue *argv,
                     TdbValue *found) {
  const char *z = NULL;
  size_t n = 0;
  tdbValueSetNull(found);
  if (tdbJsonArg(ctx, fn, &argv[0], &z, &n) != TDB_OK) return ctx->err->code;
  if (argc > 1) return tdbJsonWalk(ctx, z, n, &argv[1], found);
  found->type = argv[0].type == TDB_TYPE_TEXT ? TDB_TYPE_JSON : argv[0].type;
  found->u.z = (char *)z; /* borrowed */
  found->n = (uint32_t)n;
  return TDB_OK;
}

/* json_type(json [, path]): object array text integer real true false null
** (SQLite's names: a JSON string is "text"). */
TDB_FN(tdbFnJsonType) {
  TdbValue found;
  const char *name = NULL;
  int rc;
  if (TDB_VALUE_IS_NULL(&argv[0]) || (argc > 1 && TDB_VALUE_IS_NULL(&argv[1]))) return TDB_OK;
  rc = tdbJsonAt(ctx, "json_type", argc, argv, &found);
  if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&found)) {
    const char *z = found.u.z;
    size_t n = found.n;
    tdbJsonTrim(&z, &n);
    switch (n ? z[0] : 0) {
      case '{': name = "object"; break;
      case '[': name = "array"; break;
      case '"': name = "text"; break;
      case 't': name = "true"; break;
      case 'f': name = "false"; break;
      case 'n': name = "null"; break;
      default: name = tdbJsonIsInteger(z, n) ? "integer" : "real"; break;
    }
    rc = tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, name, strlen(name));
  }
  tdbValueClear(ctx->mem, &found);
  return rc;
}

/* json_array_length(json [, path]): elements of the array there; 0 for any
** other value; NULL when the path leads nowhere. */
TDB_FN(tdbFnJsonArrayLength) {
  TdbValue found;
  int rc;
  if (TDB_VALUE_IS_NULL(&argv[0]) || (argc > 1 && TDB_VALUE_IS_NULL(&argv[1]))) return TDB_OK;
  rc = tdbJsonAt(ctx, "json_array_length", argc, argv, &found);
  if (rc == TDB_OK && !TDB_VALUE_IS_NULL(&found)) {
    int64_t count;
    rc = tdbJsonArrayCount(ctx->err, found.u.z, found.n, &count);
    if (rc == TDB_OK) tdbValueSetInt(out, count);
  }
  tdbValueClear(ctx->mem, &found);
  return rc;
}

/* json_object(key, value, ...): a JSON object of the pairs, in order. Keys
** are TEXT (a NULL key is 22004); an odd argument count is 22023. */
TDB_FN(tdbFnJsonObject) {
  TdbStr s;
  int i, rc = TDB_OK;
  if (argc % 2 != 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_RANGE,
                     "json_object() takes key, value pairs: %d arguments given", argc);
  }
  tdbStrInit(&s, ctx->mem);
  tdbStrAppendChar(&s, '{');
  for (i = 0; i < argc && rc == TDB_OK; i += 2) {
    if (TDB_VALUE_IS_NULL(&argv[i])) {
      rc = tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_NULL_NOT_ALLOWED,
                     "json_object(): the key of argument %d is NULL", i + 1);
      break;
    }
    if (argv[i].type != TDB_TYPE_TEXT) {
      rc = tdbFuncArgType(ctx, "json_object", &argv[i], "TEXT keys");
      break;
    }
    if (i) tdbStrAppendChar(&s, ',');
    tdbJsonQuote(&s, argv[i].u.z, argv[i].n);
    tdbStrAppendChar(&s, ':');
    rc = tdbJsonAppendValue(ctx, "json_object", &s, &argv[i + 1]);
    if (s.n > TDB_FUNC_MAX_BYTES) break;
  }
  if (rc != TDB_OK) {
    tdbStrClear(&s);
    return rc;
  }
  tdbStrAppendChar(&s, '}');
  return tdbFuncTakeStr(ctx, "json_object", &s, TDB_TYPE_JSON, out);
}

/* json_array(value, ...): a JSON array of the values. */
TDB_FN(tdbFnJsonArray) {
  TdbStr s;
  int i, rc = TDB_OK;
  tdbStrInit(&s, ctx->mem);
  tdbStrAppendChar(&s, '[');
  for (i = 0; i < argc && rc == TDB_OK && s.n <= TDB_FUNC_MAX_BYTES; i++) {
    if (i) tdbStrAppendChar(&s, ',');
    rc = tdbJsonAppendValue(ctx, "json_array", &s, &argv[i]);
  }
  if (rc != TDB_OK) {
    tdbStrClear(&s);
    return rc;
  }
  tdbStrAppendChar(&s, ']');
  return tdbFuncTakeStr(ctx, "json_array", &s, TDB_TYPE_JSON, out);
}

/* json_valid(x): is the TEXT x one valid JSON text (a JSON value always is)? */
TDB_FN(tdbFnJsonValid) {
  TDB_UNUSED(argc);
  switch (argv[0].type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_JSON: tdbValueSetBool(out, 1); return TDB_OK;
    case TDB_TYPE_TEXT: tdbValueSetBool(out, tdbJsonValidate(NULL, argv[0].u.z, argv[0].n) == TDB_OK); return TDB_OK;
    default: return tdbFuncArgType(ctx, "json_valid", &argv[0], "TEXT or JSON");
  }
}
