/*
** test_json.c — JSON and VECTOR values (src/json.h): strict RFC 8259
** validation (every kind of value, whitespace, escapes and surrogate pairs,
** UTF-8; trailing commas, leading zeros, lone surrogates, control
** characters, bad literals, trailing data, the nesting limit and far past
** it), with the exact offset and message of each error; every proper prefix
** of a document fails with "unexpected end of input" at its length; `->` and
** `->>` by member name and array index (negative from the end, out of range,
** wrong container, duplicate names, escaped names, verbatim nested values,
** unescaping, JSON null vs SQL NULL, \u0000, bad path types, invalid input);
** VECTOR parsing and rendering (syntax errors with offsets, NaN/Infinity,
** float32 overflow, dimension checks, the shortest round-trip form, a
** bit-exact round trip of random floats); out-of-memory paths without
** leaks; and seeded random mutations of documents (in exactly-sized heap
** blocks, so ASan catches an overread) that must never crash.
*/
#include "tensordb.c"
#include "test.h"

#include <float.h>
#include <math.h>

static TdbMem jsMem;

/* ---- helpers -------------------------------------------------------------- */

/* An exactly-sized heap copy of n bytes (so reading past them is caught). */
static char *jsCopy(const char *z, size_t n) {
  char *p = malloc(n ? n : 1);
  if (n) memcpy(p, z, n);
  return p;
}

/* Validate n bytes; "OK", or "SQLSTATE message" of the error. */
static const char *jsValidateN(const char *doc, size_t n) {
  static char result[512];
  TdbErr err;
  char *copy = jsCopy(doc, n);
  int rc;
  tdbErrInit(&err, &jsMem);
  rc = tdbJsonValidate(&err, copy, n);
  if (rc == TDB_OK) {
    snprintf(result, sizeof result, "OK");
  } else {
    snprintf(result, sizeof result, "%s%s %s", rc == TDB_ERROR_DATA ? "" : "(bad rc) ",
             err.sqlstate, tdbErrMessage(&err));
  }
  /* the same answer with no TdbErr to fill */
  if ((tdbJsonValidate(NULL, copy, n) == TDB_OK) != (rc == TDB_OK)) {
    snprintf(result, sizeof result, "(NULL err disagrees)");
  }
  tdbErrClear(&err);
  free(copy);
  return result;
}

static const char *jsValidate(const char *doc) { return jsValidateN(doc, strlen(doc)); }

#define JS_VALID(doc) CHECK_STR(jsValidate(doc), "OK")
#define JS_INVALID(doc, off, what) \
  CHECK_STR(jsValidate(doc), "22032 invalid JSON at offset " #off ": " what)

/* A borrowed TEXT value. */
static TdbValue jsText(const char *z, size_t n) {
  TdbValue v;
  tdbValueSetNull(&v);
  v.type = TDB_TYPE_TEXT;
  v.n = (uint32_t)n;
  v.u.z = (char *)z;
  return v;
}

/* Format a result value: "NULL", "JSON <text>", "TEXT <text>". */
static const char *jsShow(const TdbValue *v, char *buf, size_t cap) {
  if (v->type == TDB_TYPE_NULL) {
    snprintf(buf, cap, "NULL");
  } else if (v->type == TDB_TYPE_JSON || v->type == TDB_TYPE_TEXT) {
    snprintf(buf, cap, "%s%s %.*s", v->owned ? "" : "(not owned) ",
             v->type == TDB_TYPE_JSON ? "JSON" : "TEXT", (int)v->n, v->u.z);
    if (strlen(v->u.z) != v->n) snprintf(buf, cap, "(length differs)");
  } else {
    snprintf(buf, cap, "(type %d)", v->type);
  }
  return buf;
}

/* json -> path or json ->> path: jsShow of the result, or "ERR SQLSTATE
** message". */
static const char *jsGetPath(const char *doc, size_t n, const TdbValue *path, int as_text) {
  static char result[4096];
  TdbErr err;
  TdbValue out;
  char *copy = jsCopy(doc, n);
  int rc;
  tdbErrInit(&err, &jsMem);
  out.type = TDB_TYPE_INTEGER; /* garbage the function must overwrite */
  out.owned = 0;
  rc = tdbJsonGet(&jsMem, &err, copy, n, path, as_text, &out);
  if (rc == TDB_OK) {
    jsShow(&out, result, sizeof result);
  } else {
    snprintf(result, sizeof result, "ERR %s %s%s", err.sqlstate, tdbErrMessage(&err),
             out.type == TDB_TYPE_NULL ? "" : " (out not NULL)");
  }
  tdbValueClear(&jsMem, &out);
  tdbErrClear(&err);
  free(copy);
  return result;
}

static const char *jsKey(const char *doc, const char *key, int as_text) {
  TdbValue path = jsText(key, strlen(key));
  return jsGetPath(doc, strlen(doc), &path, as_text);
}

static const char *jsIdx(const char *doc, int64_t index, int as_text) {
  TdbValue path;
  tdbValueSetInt(&path, index);
  return jsGetPath(doc, strlen(doc), &path, as_text);
}

/* Parse a vector and render it back: "VECTOR [..]" or "ERR SQLSTATE msg". */
static const char *jsVecN(const char *text, size_t n, int dim) {
  static char result[8192];
  TdbErr err;
  TdbValue out;
  char *copy = jsCopy(text, n);
  int rc;
  tdbErrInit(&err, &jsMem);
  rc = tdbVectorParse(&jsMem, &err, copy, n, dim, &out);
  if (rc == TDB_OK) {
    TdbStr s;
    tdbStrInit(&s, &jsMem);
    tdbVectorRender(&s, out.u.z, out.n);
    if (out.type != TDB_TYPE_VECTOR || !out.owned || out.n % 4 != 0 || s.oom) {
      snprintf(result, sizeof result, "(bad value)");
    } else {
      snprintf(result, sizeof result, "VECTOR %s", s.z);
    }
    tdbStrClear(&s);
  } else {
    snprintf(result, sizeof result, "ERR %s %s%s", err.sqlstate, tdbErrMessage(&err),
             out.type == TDB_TYPE_NULL ? "" : " (out not NULL)");
  }
  tdbValueClear(&jsMem, &out);
  tdbErrClear(&err);
  free(copy);
  return result;
}

static const char *jsVec(const char *text, int dim) { return jsVecN(text, strlen(text), dim); }

#define VEC_SYNTAX(text, off, what) \
  CHECK_STR(jsVec(text, 0), "ERR 22P02 invalid input syntax for type VECTOR at offset " \
            #off ": " what)

/* The text form of one float32. */
static const char *jsFloatText(float f) {
  static char result[64];
  unsigned char b[4];
  uint32_t bits;
  TdbStr s;
  memcpy(&bits, &f, 4);
  b[0] = (unsigned char)bits;
  b[1] = (unsigned char)(bits >> 8);
  b[2] = (unsigned char)(bits >> 16);
  b[3] = (unsigned char)(bits >> 24);
  tdbStrInit(&s, &jsMem);
  tdbVectorRender(&s, (const char *)b, 4);
  snprintf(result, sizeof result, "%.*s", s.n >= 2 ? (int)s.n - 2 : 0, s.z ? s.z + 1 : "");
  tdbStrClear(&s);
  return result;
}

static float jsFloatFromBits(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* '[' * depth, then ']' * depth, as a heap string. */
static char *jsNested(int depth, const char *open, const char *inner, const char *close) {
  size_t lo = strlen(open), li = strlen(inner), lc = strlen(close), k = 0;
  char *z = malloc((size_t)depth * (lo + lc) + li + 1);
  int d;
  for (d = 0; d < depth; d++, k += lo) memcpy(z + k, open, lo);
  memcpy(z + k, inner, li);
  k += li;
  for (d = 0; d < depth; d++, k += lc) memcpy(z + k, close, lc);
  z[k] = '\0';
  return z;
}

/* ---- validation: valid documents --------------------------------------------- */

static void testValidScalars(void) {
  JS_VALID("null");
  JS_VALID("true");
  JS_VALID("false");
  JS_VALID("0");
  JS_VALID("-0");
  JS_VALID("7");
  JS_VALID("-1");
  JS_VALID("1234567890");
  JS_VALID("1.5");
  JS_VALID("-0.25");
  JS_VALID("0.0");
  JS_VALID("1e5");
  JS_VALID("1E5");
  JS_VALID("1e+5");
  JS_VALID("1e-5");
  JS_VALID("-1.5e-10");
  JS_VALID("0e0");
  JS_VALID("1e400");      /* syntax only: the RFC sets no range */
  JS_VALID("123456789012345678901234567890123456789012345678901234567890");
  JS_VALID("\"\"");
  JS_VALID("\"abc\"");
  JS_VALID("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
  JS_VALID("\"\\u0041\\u00e9\\u00E9\\u20ac\\uFFFF\"");
  JS_VALID("\"\\u0000\"");
  JS_VALID("\"\\uD83D\\uDE00\"");   /* a surrogate pair */
  JS_VALID("\"\\udbff\\udfff\"");   /* U+10FFFF */
  JS_VALID("\"\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf\"");
  JS_VALID("\"\x7f\"");             /* DEL is not a control character for JSON */
  JS_VALID("\"'single' {not [an object\"");
}

static void testValidContainers(void) {
  JS_VALID("[]");
  JS_VALID("{}");
  JS_VALID("[[]]");
  JS_VALID("[{}]");
  JS_VALID("{\"\":{}}");
  JS_VALID("[1,2,3]");
  JS_VALID("[1,\"a\",true,false,null,[],{},-1.5e3]");
  JS_VALID("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
  JS_VALID("{\"a\":1,\"a\":2}"); /* duplicate names are valid JSON */
  JS_VALID(" \t\n\r[ 1 , { \"a\" : 2 } , [ ] ]\r\n\t ");
  JS_VALID("  \"x\"  ");
  JS_VALID("[ ]");
  JS_VALID("{ }");
  JS_VALID("{\"a\\\"b\":[{\"c\":[[[\"d\"]]]}]}");
}

static void testDepthLimit(void) {
  char *doc;
  doc = jsNested(TDB_JSON_MAX_DEPTH, "[", "", "]");
  CHECK_STR(jsValidate(doc), "OK");
  free(doc);
  doc = jsNested(TDB_JSON_MAX_DEPTH, "[", "1", "]");
  CHECK_STR(jsValidate(doc), "OK");
  free(doc);
  doc = jsNested(TDB_JSON_MAX_DEPTH, "{\"a\":", "null", "}");
  CHECK_STR(jsValidate(doc), "OK");
  free(doc);
  doc = jsNested(TDB_JSON_MAX_DEPTH / 2, "[{\"k\":", "1", "}]");
  CHECK_STR(jsValidate(doc), "OK");
  free(doc);

  doc = jsNested(TDB_JSON_MAX_DEPTH + 1, "[", "", "]");
  CHECK_STR(jsValidate(doc),
            "22032 invalid JSON at offset 1000: nesting deeper than 1000 levels");
  free(doc);
  doc = jsNested(TDB_JSON_MAX_DEPTH + 1, "{\"a\":", "1", "}");
  CHECK_STR(jsValidate(doc),
            "22032 invalid JSON at offset 5000: nesting deeper than 1000 levels");
  free(doc);
  /* far beyond the limit, unbalanced: an error, not a stack overflow */
  doc = jsNested(1000000, "[", "", "");
  CHECK_STR(jsValidate(doc),
            "22032 invalid JSON at offset 1000: nesting deeper than 1000 levels");
  free(doc);
  /* the depth is of open containers at once, not of containers in total */
  {
    size_t i, n = 3 * 5000;
    char *z = malloc(n + 3);
    z[0] = '[';
    for (i = 0; i < 5000; i++) memcpy(z + 1 + 3 * i, "[],", 3);
    z[n] = ']';          /* replaces the last ',' */
    z[n + 1] = '\0';
    CHECK_STR(jsValidateN(z, n + 1), "OK");
    free(z);
  }
}

/* ---- validation: invalid documents ------------------------------------------- */

static void testInvalidStructure(void) {
  JS_INVALID("", 0, "unexpected end of input");
  JS_INVALID(" \t\r\n", 4, "unexpected end of input");
  JS_INVALID("{\"abc\" 1}", 7, "expected ':'");
  JS_INVALID("{\"a\"}", 4, "expected ':'");
  JS_INVALID("[1,2,]", 5, "expected a JSON value");
  JS_INVALID("[,]", 1, "expected a JSON value");
  JS_INVALID("[,1]", 1, "expected a JSON value");
  JS_INVALID("[1,,2]", 3, "expected a JSON value");
  JS_INVALID("{\"a\":1,}", 7, "expected a string (member name)");
  JS_INVALID("{,}", 1, "expected a string (member name)");
  JS_INVALID("{\"a\":}", 5, "expected a JSON value");
  JS_INVALID("{\"a\"::1}", 5, "expected a JSON value");
  JS_INVALID("[1 2]", 3, "expected ',' or ']'");
  JS_INVALID("[1:2]", 2, "expected ',' or ']'");
  JS_INVALID("[1}", 2, "expected ',' or ']'");
  JS_INVALID("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'");
  JS_INVALID("{\"a\":1]", 6, "expected ',' or '}'");
  JS_INVALID("{1:2}", 1, "expected a string (member name)");
  JS_INVALID("{'a':1}", 1, "expected a string (member name)");
  JS_INVALID("{a:1}", 1, "expected a string (member name)");
  JS_INVALID("['a']", 1, "expected a JSON value");
  JS_INVALID("]", 0, "expected a JSON value");
  JS_INVALID("}", 0, "expected a JSON value");
  JS_INVALID("1 2", 2, "expected end of input");
  JS_INVALID("[1]]", 3, "expected end of input");
  JS_INVALID("{}{}", 2, "expected end of input");
  JS_INVALID("[] x", 3, "expected end of input");
  JS_INVALID("\"a\"\"b\"", 3, "expected end of input");
  JS_INVALID("[1]\f", 3, "expected end of input");      /* form feed is not a blank */
  JS_INVALID("\v[1]", 0, "expected a JSON value");      /* nor is vertical tab */
  JS_INVALID("\xc2\xa0[1]", 0, "expected a JSON value"); /* nor NO-BREAK SPACE */
  JS_INVALID("\xef\xbb\xbf{}", 0, "expected a JSON value"); /* no byte order mark */
  JS_INVALID("\xc3\xa9", 0, "expected a JSON value");
  JS_INVALID("// comment\n1", 0, "expected a JSON value");
  JS_INVALID("[1] // comment", 4, "expected end of input");
  /* a NUL byte is just an invalid byte, never an end of text */
  CHECK_STR(jsValidateN("[1,\0]", 5), "22032 invalid JSON at offset 3: expected a JSON value");
  CHECK_STR(jsValidateN("[1]\0", 4), "22032 invalid JSON at offset 3: expected end of input");
  CHECK_STR(jsValidateN("\0", 1), "22032 invalid JSON at offset 0: expected a JSON value");
}

static void testInvalidNumbers(void) {
  JS_INVALID("01", 0, "leading zero in number");
  JS_INVALID("-01", 1, "leading zero in number");
  JS_INVALID("[00]", 1, "leading zero in number");
  JS_INVALID("[1,012]", 3, "leading zero in number");
  JS_INVALID("+1", 0, "expected a JSON value");
  JS_INVALID(".5", 0, "expected a JSON value");
  JS_INVALID("-", 1, "unexpected end of input");
  JS_INVALID("-a", 1, "expected a digit");
  JS_INVALID("--1", 1, "expected a digit");
  JS_INVALID("- 1", 1, "expected a digit");
  JS_INVALID("-.5", 1, "expected a digit");
  JS_INVALID("1.", 2, "unexpected end of input");
  JS_INVALID("[1.]", 3, "expected a digit after '.'");
  JS_INVALID("1.e5", 2, "expected a digit after '.'");
  JS_INVALID("1e", 2, "unexpected end of input");
  JS_INVALID("1e+", 3, "unexpected end of input");
  JS_INVALID("1ex", 2, "expected a digit in the exponent");
  JS_INVALID("[1e-]", 4, "expected a digit in the exponent");
  JS_INVALID("1e5.5", 3, "expected end of input");
  JS_INVALID("1.5.5", 3, "expected end of input");
  JS_INVALID("0x10", 1, "expected end of input");
  JS_INVALID("1_000", 1, "expected end of input");
  JS_INVALID("NaN", 0, "expected a JSON value");
  JS_INVALID("Infinity", 0, "expected a JSON value");
  JS_INVALID("-Infinity", 1, "expected a digit");
}

static void testInvalidLiterals(void) {
  JS_INVALID("tru", 3, "unexpected end of input");
  JS_INVALID("nul", 3, "unexpected end of input");
  JS_INVALID("[f", 2, "unexpected end of input");
  JS_INVALID("trux", 0, "invalid literal (expected true, false or null)");
  JS_INVALID("[nil]", 1, "invalid literal (expected true, false or null)");
  JS_INVALID("fals e", 0, "invalid literal (expected true, false or null)");
  JS_INVALID("True", 0, "expected a JSON value");
  JS_INVALID("NULL", 0, "expected a JSON value");
  JS_INVALID("nulll", 4, "expected end of input");
  JS_INVALID("truefalse", 4, "expected end of input");
  JS_INVALID("undefined", 0, "expected a JSON value");
}

static void testInvalidStrings(void) {
  JS_INVALID("\"abc", 4, "unexpected end of input");
  JS_INVALID("\"", 1, "unexpected end of input");
  JS_INVALID("[\"a]", 4, "unexpected end of input");
  JS_INVALID("\"a\nb\"", 2, "unescaped control character 0x0A in string");
  JS_INVALID("\"\t\"", 1, "unescaped control character 0x09 in string");
  JS_INVALID("\"\r\"", 1, "unescaped control character 0x0D in string");
  JS_INVALID("\"\x01\"", 1, "unescaped control character 0x01 in string");
  JS_INVALID("\"\x1f\"", 1, "unescaped control character 0x1F in string");
  CHECK_STR(jsValidateN("\"a\0b\"", 5),
            "22032 invalid JSON at offset 2: unescaped control character 0x00 in string");
  JS_INVALID("{\"k\x0a\":1}", 3, "unescaped control character 0x0A in string");
  JS_INVALID("\"\\x41\"", 1, "invalid escape '\\x'");
  JS_INVALID("\"\\a\"", 1, "invalid escape '\\a'");
  JS_INVALID("\"\\'\"", 1, "invalid escape '\\''");
  JS_INVALID("\"\\U0041\"", 1, "invalid escape '\\U'");
  JS_INVALID("\"\\0\"", 1, "invalid escape '\\0'");
  JS_INVALID("\"ab\\ \"", 3, "invalid escape: '\\' followed by byte 0x20");
  JS_INVALID("\"\\\n\"", 1, "invalid escape: '\\' followed by byte 0x0A");
  JS_INVALID("\"\\", 2, "unexpected end of input");
  JS_INVALID("\"\\u12\"", 1, "invalid \\u escape: expected 4 hex digits");
  JS_INVALID("\"\\uZZZZ\"", 1, "invalid \\u escape: expected 4 hex digits");
  JS_INVALID("\"\\u 123\"", 1, "invalid \\u escape: expected 4 hex digits");
  JS_INVALID("\"\\u-123\"", 1, "invalid \\u escape: expected 4 hex digits");
  JS_INVALID("\"\\u12", 5, "unexpected end of input");
  /* surrogates must come in (high, low) pairs */
  JS_INVALID("\"\\uD800\"", 1, "lone high surrogate \\uD800");
  JS_INVALID("\"\\udbff\"", 1, "lone high surrogate \\uDBFF");
  JS_INVALID("\"\\uDC00\"", 1, "lone low surrogate \\uDC00");
  JS_INVALID("\"\\uDFFF\"", 1, "lone low surrogate \\uDFFF");
  JS_INVALID("\"ab\\uDE00\\uD83D\"", 3, "lone low surrogate \\uDE00");
  JS_INVALID("\"\\uD800\\u0041\"", 1, "lone high surrogate \\uD800");
  JS_INVALID("\"\\uD800\\uD800\\uDC00\"", 1, "lone high surrogate \\uD800");
  JS_INVALID("\"\\uD800x\"", 1, "lone high surrogate \\uD800");
  JS_INVALID("\"\\uD800\\n\"", 1, "lone high surrogate \\uD800");
  JS_INVALID("\"\\uD800\\uZZZZ\"", 1, "lone high surrogate \\uD800");
  JS_INVALID("\"\\uD83D\\uDE00\\uDE00\"", 13, "lone low surrogate \\uDE00");
  JS_INVALID("\"\\uD800", 7, "unexpected end of input");
  JS_INVALID("\"\\uD800\\", 8, "unexpected end of input");
  JS_INVALID("\"\\uD800\\uDC", 11, "unexpected end of input");
  /* UTF-8 must be well formed */
  JS_INVALID("\"\xff\"", 1, "invalid UTF-8 byte 0xFF in string");
  JS_INVALID("\"\x80\"", 1, "invalid UTF-8 byte 0x80 in string");        /* stray continuation */
  JS_INVALID("\"a\xbf\"", 2, "invalid UTF-8 byte 0xBF in string");
  JS_INVALID("\"\xc0\xaf\"", 1, "invalid UTF-8 byte 0xC0 in string");    /* overlong '/' */
  JS_INVALID("\"\xc1\xbf\"", 1, "invalid UTF-8 byte 0xC1 in string");
  JS_INVALID("\"\xe0\x80\xaf\"", 1, "invalid UTF-8 byte 0xE0 in string"); /* overlong */
  JS_INVALID("\"\xf0\x80\x80\xaf\"", 1, "invalid UTF-8 byte 0xF0 in string");
  JS_INVALID("\"\xed\xa0\x80\"", 1, "invalid UTF-8 byte 0xED in string"); /* U+D800 */
  JS_INVALID("\"\xf4\x90\x80\x80\"", 1, "invalid UTF-8 byte 0xF4 in string"); /* > U+10FFFF */
  JS_INVALID("\"\xf5\x80\x80\x80\"", 1, "invalid UTF-8 byte 0xF5 in string");
  JS_INVALID("\"\xe2\x82\"", 1, "invalid UTF-8 byte 0xE2 in string");    /* cut short */
  JS_INVALID("\"\xc3\"", 1, "invalid UTF-8 byte 0xC3 in string");
  JS_INVALID("\"\xc3", 2, "unexpected end of input");
  JS_INVALID("\"\xf0\x9f\x98", 4, "unexpected end of input");
  JS_VALID("\"\xed\x9f\xbf\"");     /* U+D7FF: just below the surrogates */
  JS_VALID("\"\xee\x80\x80\"");     /* U+E000: just above */
}

/* Every proper prefix of a document that uses every construct ends early:
** the error is "unexpected end of input" at the prefix's length. */
static void testTruncation(void) {
  static const char *const docs[] = {
      "{\"a\" : [1, -2.5e+3, 0, 0.5, 7E-1, true, false, null, \"x\\u00e9\\uD83D\\uDE00"
      "\\\"\\\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"], \"b\":{}, "
      "\"c\": {\"d\" :[ [ ] , { } ]} }",
      "[\"\", [[[-0]]], {\"\":\"\"}]",
  };
  size_t d;
  for (d = 0; d < TDB_ARRAY_LEN(docs); d++) {
    size_t n = strlen(docs[d]), len;
    CHECK_STR(jsValidateN(docs[d], n), "OK");
    for (len = 0; len < n; len++) {
      char want[96];
      const char *got = jsValidateN(docs[d], len);
      snprintf(want, sizeof want,
               "22032 invalid JSON at offset %zu: unexpected end of input", len);
      if (strcmp(got, want) != 0) {
        tdbTestFail(__FILE__, __LINE__, "prefix of %zu bytes of doc %zu: %s", len, d, got);
      }
    }
  }
}

/* ---- -> and ->> ------------------------------------------------------------ */

static const char jsDoc[] =
    "{ \"a\" : 1 , \"b\": \"x\\\"y\\u00e9\\n\", \"c\": { \"d\" : [1, 2, {\"e\": null}] },"
    " \"d\": null, \"e\": true, \"f\": -1.5e3, \"g\": [], \"h\": {}, \"a b\": \"sp\","
    " \"\": \"empty\", \"\\u0041\": \"esc-key\", \"\\uD83D\\uDE00\": \"smile\","
    " \"ab\": \"long\", \"s\": \"\" }";

static void testGetMembers(void) {
  CHECK_STR(jsValidate(jsDoc), "OK");
  CHECK_STR(jsKey(jsDoc, "a", 0), "JSON 1");
  CHECK_STR(jsKey(jsDoc, "a", 1), "TEXT 1");
  CHECK_STR(jsKey(jsDoc, "b", 0), "JSON \"x\\\"y\\u00e9\\n\"");
  CHECK_STR(jsKey(jsDoc, "b", 1), "TEXT x\"y\xc3\xa9\n");
  /* nested values come back verbatim, inner whitespace included */
  CHECK_STR(jsKey(jsDoc, "c", 0), "JSON { \"d\" : [1, 2, {\"e\": null}] }");
  CHECK_STR(jsKey(jsDoc, "c", 1), "TEXT { \"d\" : [1, 2, {\"e\": null}] }");
  CHECK_STR(jsKey(jsDoc, "d", 0), "JSON null");
  CHECK_STR(jsKey(jsDoc, "d", 1), "NULL"); /* JSON null is SQL NULL for ->> */
  CHECK_STR(jsKey(jsDoc, "e", 0), "JSON true");
  CHECK_STR(jsKey(jsDoc, "e", 1), "TEXT true");
  CHECK_STR(jsKey(jsDoc, "f", 1), "TEXT -1.5e3"); /* numbers as written */
  CHECK_STR(jsKey(jsDoc, "g", 0), "JSON []");
  CHECK_STR(jsKey(jsDoc, "h", 1), "TEXT {}");
  CHECK_STR(jsKey(jsDoc, "a b", 1), "TEXT sp");
  CHECK_STR(jsKey(jsDoc, "", 1), "TEXT empty");
  CHECK_STR(jsKey(jsDoc, "s", 0), "JSON \"\"");
  CHECK_STR(jsKey(jsDoc, "s", 1), "TEXT ");
  /* member names compare after unescaping */
  CHECK_STR(jsKey(jsDoc, "A", 1), "TEXT esc-key");
  CHECK_STR(jsKey(jsDoc, "\\u0041", 1), "NULL");
  CHECK_STR(jsKey(jsDoc, "\xf0\x9f\x98\x80", 1), "TEXT smile");
  CHECK_STR(jsKey(jsDoc, "ab", 1), "TEXT long");
  /* missing: NULL, never a prefix match */
  CHECK_STR(jsKey(jsDoc, "zz", 0), "NULL");
  CHECK_STR(jsKey(jsDoc, "a ", 0), "NULL");
  CHECK_STR(jsKey(jsDoc, "abc", 0), "NULL");
  CHECK_STR(jsKey(jsDoc, "B", 0), "NULL");   /* case matters */
  CHECK_STR(jsKey(jsDoc, "e\"", 0), "NULL");
  {
    TdbValue path = jsText("a\0", 2); /* a name with a NUL byte is not "a" */
    CHECK_STR(jsGetPath(jsDoc, strlen(jsDoc), &path, 0), "NULL");
    path = jsText("", 0);
    CHECK_STR(jsGetPath("{\"\\u0000\":1}", 12, &path, 0), "NULL");
    path = jsText("\0", 1);
    CHECK_STR(jsGetPath("{\"\\u0000\":1}", 12, &path, 0), "JSON 1");
  }
  /* an integer path on an object is NULL, as is any path on a scalar */
  CHECK_STR(jsIdx(jsDoc, 0, 0), "NULL");
  CHECK_STR(jsKey("1", "a", 0), "NULL");
  CHECK_STR(jsKey("\"a\"", "a", 0), "NULL");
  CHECK_STR(jsKey("null", "a", 1), "NULL");
  CHECK_STR(jsKey("{}", "a", 0), "NULL");
  CHECK_STR(jsKey("{ }", "", 0), "NULL");
  /* duplicates: the last one counts, as PostgreSQL does */
  CHECK_STR(jsKey("{\"k\":1,\"k\":2}", "k", 0), "JSON 2");
  CHECK_STR(jsKey("{\"k\":1,\"j\":3,\"\\u006b\":[2]}", "k", 0), "JSON [2]");
  /* blanks around the document and around values are not part of them */
  CHECK_STR(jsKey("  \n{\"a\" :  [ 1 ]  }\t ", "a", 0), "JSON [ 1 ]");
  CHECK_STR(jsKey("{\"a\":\"\\u0000\",\"b\":2}", "b", 1), "TEXT 2");
}

static void testGetElements(void) {
  const char *arr = "[10, \"x\\ty\", [1, 2], {\"a\": 1}, null, false, 2.50]";
  CHECK_STR(jsIdx(arr, 0, 0), "JSON 10");
  CHECK_STR(jsIdx(arr, 1, 0), "JSON \"x\\ty\"");
  CHECK_STR(jsIdx(arr, 1, 1), "TEXT x\ty");
  CHECK_STR(jsIdx(arr, 2, 0), "JSON [1, 2]");
  CHECK_STR(jsIdx(arr, 3, 1), "TEXT {\"a\": 1}");
  CHECK_STR(jsIdx(arr, 4, 0), "JSON null");
  CHECK_STR(jsIdx(arr, 4, 1), "NULL");
  CHECK_STR(jsIdx(arr, 5, 1), "TEXT false");
  CHECK_STR(jsIdx(arr, 6, 1), "TEXT 2.50");
  CHECK_STR(jsIdx(arr, 7, 0), "NULL");
  CHECK_STR(jsIdx(arr, 1000, 0), "NULL");
  CHECK_STR(jsIdx(arr, INT64_MAX, 0), "NULL");
  /* negative: from the end */
  CHECK_STR(jsIdx(arr, -1, 1), "TEXT 2.50");
  CHECK_STR(jsIdx(arr, -3, 1), "NULL");
  CHECK_STR(jsIdx(arr, -5, 0), "JSON [1, 2]");
  CHECK_STR(jsIdx(arr, -7, 0), "JSON 10");
  CHECK_STR(jsIdx(arr, -8, 0), "NULL");
  CHECK_STR(jsIdx(arr, INT64_MIN, 0), "NULL");
  CHECK_STR(jsIdx("[]", 0, 0), "NULL");
  CHECK_STR(jsIdx("[]", -1, 0), "NULL");
  CHECK_STR(jsIdx("[ ]", 0, 1), "NULL");
  CHECK_STR(jsIdx(" [ 7 ] ", 0, 0), "JSON 7");
  CHECK_STR(jsIdx(" [ 7 ] ", -1, 0), "JSON 7");
  CHECK_STR(jsIdx("[[[]]]", 0, 0), "JSON [[]]");
  /* a text path on an array, any path on a scalar: NULL */
  CHECK_STR(jsKey(arr, "0", 0), "NULL");
  CHECK_STR(jsIdx("5", 0, 0), "NULL");
  CHECK_STR(jsIdx("\"abc\"", 0, 1), "NULL");
  /* a long array */
  {
    TdbStr s;
    int i;
    tdbStrInit(&s, &jsMem);
    tdbStrAppendChar(&s, '[');
    for (i = 0; i < 10000; i++) tdbStrAppendf(&s, "%s%d", i ? "," : "", i * 3);
    tdbStrAppendChar(&s, ']');
    CHECK_STR(jsIdx(s.z, 0, 1), "TEXT 0");
    CHECK_STR(jsIdx(s.z, 9999, 1), "TEXT 29997");
    CHECK_STR(jsIdx(s.z, -1, 1), "TEXT 29997");
    CHECK_STR(jsIdx(s.z, -10000, 1), "TEXT 0");
    CHECK_STR(jsIdx(s.z, -10001, 1), "NULL");
    CHECK_STR(jsIdx(s.z, 10000, 1), "NULL");
    tdbStrClear(&s);
  }
}

/* ->> unescapes every escape to UTF-8. */
static void testGetUnescape(void) {
  CHECK_STR(jsIdx("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 0, 1), "TEXT \"\\/\b\f\n\r\t");
  CHECK_STR(jsIdx("[\"\\u0041\\u0062c\"]", 0, 1), "TEXT Abc");
  CHECK_STR(jsIdx("[\"\\u007f\\u0080\\u07FF\\u0800\\uFFFF\"]", 0, 1),
            "TEXT \x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
  CHECK_STR(jsIdx("[\"\\u20AC\\u20ac\"]", 0, 1), "TEXT \xe2\x82\xac\xe2\x82\xac");
  CHECK_STR(jsIdx("[\"\\uD83D\\uDE00\"]", 0, 1), "TEXT \xf0\x9f\x98\x80");
  CHECK_STR(jsIdx("[\"\\uD800\\uDC00\\uDBFF\\uDFFF\"]", 0, 1),
            "TEXT \xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
  CHECK_STR(jsIdx("[\"raw \xc3\xa9\xf0\x9f\x98\x80 and \\u00e9\"]", 0, 1),
            "TEXT raw \xc3\xa9\xf0\x9f\x98\x80 and \xc3\xa9");
  CHECK_STR(jsIdx("[\"\\u001f\"]", 0, 1), "TEXT \x1f");
  /* -> keeps the escapes */
  CHECK_STR(jsIdx("[\"\\uD83D\\uDE00\"]", 0, 0), "JSON \"\\uD83D\\uDE00\"");
  /* \u0000 has no TEXT form: an error for ->>, fine for -> */
  CHECK_STR(jsKey("{\"a\":\"x\\u0000y\"}", "a", 1),
            "ERR 22P05 unsupported Unicode escape sequence: \\u0000 cannot be converted "
            "to text (at offset 7)");
  CHECK_STR(jsKey("{\"a\":\"x\\u0000y\"}", "a", 0), "JSON \"x\\u0000y\"");
  /* chained access, as a -> 'c' -> 'd' -> 2 ->> 'e' */
  {
    TdbErr err;
    TdbValue c, d, e, f, path;
    tdbErrInit(&err, &jsMem);
    path = jsText("c", 1);
    CHECK_EQ(tdbJsonGet(&jsMem, &err, jsDoc, strlen(jsDoc), &path, 0, &c), TDB_OK);
    CHECK_EQ(c.type, TDB_TYPE_JSON);
    CHECK_STR(jsValidateN(c.u.z, c.n), "OK");
    path = jsText("d", 1);
    CHECK_EQ(tdbJsonGet(&jsMem, &err, c.u.z, c.n, &path, 0, &d), TDB_OK);
    CHECK_STR(d.u.z, "[1, 2, {\"e\": null}]");
    tdbValueSetInt(&path, 2);
    CHECK_EQ(tdbJsonGet(&jsMem, &err, d.u.z, d.n, &path, 0, &e), TDB_OK);
    CHECK_STR(e.u.z, "{\"e\": null}");
    path = jsText("e", 1);
    CHECK_EQ(tdbJsonGet(&jsMem, &err, e.u.z, e.n, &path, 1, &f), TDB_OK);
    CHECK_EQ(f.type, TDB_TYPE_NULL);
    tdbValueClear(&jsMem, &c);
    tdbValueClear(&jsMem, &d);
    tdbValueClear(&jsMem, &e);
    tdbValueClear(&jsMem, &f);
    tdbErrClear(&err);
  }
}

static void testGetPathTypes(void) {
  TdbValue path;
  tdbValueSetNull(&path);
  CHECK_STR(jsGetPath(jsDoc, strlen(jsDoc), &path, 0), "NULL");
  CHECK_STR(jsGetPath("[1]", 3, &path, 1), "NULL");
  tdbValueSetReal(&path, 0.0);
  CHECK_STR(jsGetPath("[1]", 3, &path, 0),
            "ERR 42883 operator does not exist: JSON -> REAL (the path must be TEXT or "
            "INTEGER)");
  tdbValueSetBool(&path, 1);
  CHECK_STR(jsGetPath("[1]", 3, &path, 1),
            "ERR 42883 operator does not exist: JSON ->> BOOLEAN (the path must be TEXT "
            "or INTEGER)");
}

/* Input that is not valid JSON: an error or an answer, never a crash; read
** only as far as needed (an element before the damage is still found). */
static void testGetInvalidInput(void) {
  CHECK_STR(jsKey("", "a", 0), "ERR 22032 invalid JSON at offset 0: unexpected end of input");
  CHECK_STR(jsKey("   ", "a", 0), "ERR 22032 invalid JSON at offset 3: unexpected end of input");
  CHECK_STR(jsKey("{", "a", 0), "ERR 22032 invalid JSON at offset 1: unexpected end of input");
  CHECK_STR(jsKey("{\"a\":", "a", 0),
            "ERR 22032 invalid JSON at offset 5: unexpected end of input");
  CHECK_STR(jsKey("{\"a\" 1}", "a", 0), "ERR 22032 invalid JSON at offset 5: expected ':'");
  CHECK_STR(jsKey("{\"a\":1,}", "a", 0),
            "ERR 22032 invalid JSON at offset 7: expected a string (member name)");
  CHECK_STR(jsKey("{\"a\":1 2}", "a", 0),
            "ERR 22032 invalid JSON at offset 7: expected ',' or '}'");
  CHECK_STR(jsKey("{a:1}", "a", 0),
            "ERR 22032 invalid JSON at offset 1: expected a string (member name)");
  CHECK_STR(jsKey("{\"a\":[1,}", "a", 0),
            "ERR 22032 invalid JSON at offset 8: expected a JSON value");
  CHECK_STR(jsKey("{\"a\":\"\\q\"}", "a", 1),
            "ERR 22032 invalid JSON at offset 6: invalid escape '\\q'");
  CHECK_STR(jsIdx("[1,2", 5, 0), "ERR 22032 invalid JSON at offset 4: unexpected end of input");
  CHECK_STR(jsIdx("[1,2", -1, 0), "ERR 22032 invalid JSON at offset 4: unexpected end of input");
  CHECK_STR(jsIdx("[1 2]", 1, 0), "ERR 22032 invalid JSON at offset 3: expected ',' or ']'");
  CHECK_STR(jsIdx("[1,2", 0, 0), "JSON 1");
  CHECK_STR(jsIdx("[\"\\uD800\"]", 0, 1),
            "ERR 22032 invalid JSON at offset 2: lone high surrogate \\uD800");
  {
    char *deep = jsNested(5000, "[", "", "]");
    CHECK_STR(jsIdx(deep, 0, 0),
              "ERR 22032 invalid JSON at offset 1001: nesting deeper than 1000 levels");
    free(deep);
  }
}

/* ---- VECTOR ----------------------------------------------------------------- */

static void testVectorParse(void) {
  CHECK_STR(jsVec("[0.1, 0.2, -3e5]", 0), "VECTOR [0.1,0.2,-300000]");
  CHECK_STR(jsVec("[0.1,0.2,-3e5]", 3), "VECTOR [0.1,0.2,-300000]");
  CHECK_STR(jsVec(" \t[ 1 ,2\n,\r3 ]\n ", 3), "VECTOR [1,2,3]");
  CHECK_STR(jsVec("[1]", 1), "VECTOR [1]");
  CHECK_STR(jsVec("[]", 0), "VECTOR []");
  CHECK_STR(jsVec("[ ]", -1), "VECTOR []");
  CHECK_STR(jsVec("[+1, -0, 0, 1., .5, -.5e1, 1E2, 1e+2, 1e-2, 007]", 0),
            "VECTOR [1,-0,0,1,0.5,-5,100,100,0.01,7]");
  CHECK_STR(jsVec("[3.14159265358979, 1e-50, -1e-50, 1.00000000000000000001]", 0),
            "VECTOR [3.1415927,0,-0,1]");
  CHECK_STR(jsVec("[3.4028235e38, -3.4028235e38, 1e-45, 1.17549435e-38]", 0),
            "VECTOR [3.4028235e+38,-3.4028235e+38,1e-45,1.1754944e-38]");
  /* numbers longer than the on-stack copy */
  {
    char text[300];
    memcpy(text, "[0.", 3);
    memset(text + 3, '0', 200);    /* 0.000...015: underflows to 0 */
    memcpy(text + 203, "15, 2", 5);
    memset(text + 208, '0', 80);   /* 2e80 ... */
    memcpy(text + 288, "e-78]", 6); /* ... e-78 */
    CHECK_STR(jsVec(text, 2), "VECTOR [0,200]");
  }
  /* the stored bytes: little-endian float32 */
  {
    TdbErr err;
    TdbValue v;
    static const unsigned char want[] = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0,
                                         0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00};
    tdbErrInit(&err, &jsMem);
    CHECK_EQ(tdbVectorParse(&jsMem, &err, "[1,-2,-0,0]", 11, 4, &v), TDB_OK);
    CHECK_EQ(v.type, TDB_TYPE_VECTOR);
    CHECK_EQ(v.owned, 1);
    CHECK_EQ(v.n, 16);
    CHECK_MEM(v.u.z, want, 16);
    CHECK_EQ(v.u.z[16], 0); /* NUL-terminated like every byte value */
    tdbValueClear(&jsMem, &v);
    CHECK_EQ(tdbVectorParse(&jsMem, &err, "[]", 2, 0, &v), TDB_OK);
    CHECK_EQ(v.type, TDB_TYPE_VECTOR);
    CHECK_EQ(v.n, 0);
    CHECK(v.u.z != NULL);
    tdbValueClear(&jsMem, &v);
    tdbErrClear(&err);
  }
}

static void testVectorErrors(void) {
  VEC_SYNTAX("", 0, "unexpected end of input");
  VEC_SYNTAX("   ", 3, "unexpected end of input");
  VEC_SYNTAX("1,2", 0, "expected '['");
  VEC_SYNTAX("(1,2)", 0, "expected '['");
  VEC_SYNTAX("{1,2}", 0, "expected '['");
  VEC_SYNTAX("[", 1, "unexpected end of input");
  VEC_SYNTAX("[1", 2, "unexpected end of input");
  VEC_SYNTAX("[1,", 3, "unexpected end of input");
  VEC_SYNTAX("[1, ", 4, "unexpected end of input");
  VEC_SYNTAX("[-", 2, "unexpected end of input");
  VEC_SYNTAX("[1e", 3, "unexpected end of input");
  VEC_SYNTAX("[1,]", 3, "expected a number");
  VEC_SYNTAX("[,1]", 1, "expected a number");
  VEC_SYNTAX("[1,,2]", 3, "expected a number");
  VEC_SYNTAX("[.]", 1, "expected a number");
  VEC_SYNTAX("[-]", 1, "expected a number");
  VEC_SYNTAX("[+-1]", 1, "expected a number");
  VEC_SYNTAX("[\"1\"]", 1, "expected a number");
  VEC_SYNTAX("[1 2]", 3, "expected ',' or ']'");
  VEC_SYNTAX("[1;2]", 2, "expected ',' or ']'");
  VEC_SYNTAX("[0x10]", 2, "expected ',' or ']'");
  VEC_SYNTAX("[1.5.5]", 4, "expected ',' or ']'");
  VEC_SYNTAX("[1e5e5]", 4, "expected ',' or ']'");
  VEC_SYNTAX("[1e]", 3, "expected a digit in the exponent");
  VEC_SYNTAX("[1e+x]", 4, "expected a digit in the exponent");
  VEC_SYNTAX("[1]x", 3, "expected end of input");
  VEC_SYNTAX("[1] [2]", 4, "expected end of input");
  VEC_SYNTAX("[[1]]", 1, "expected a number");
  VEC_SYNTAX("[NaN]", 1, "NaN and Infinity are not allowed in a vector");
  VEC_SYNTAX("[1, nan]", 4, "NaN and Infinity are not allowed in a vector");
  VEC_SYNTAX("[inf]", 1, "NaN and Infinity are not allowed in a vector");
  VEC_SYNTAX("[-Infinity]", 1, "NaN and Infinity are not allowed in a vector");
  VEC_SYNTAX("[+INF]", 1, "NaN and Infinity are not allowed in a vector");
  CHECK_STR(jsVecN("[1,\0]", 5, 0),
            "ERR 22P02 invalid input syntax for type VECTOR at offset 3: expected a number");
  CHECK_STR(jsVecN("[1]\0", 4, 0),
            "ERR 22P02 invalid input syntax for type VECTOR at offset 3: expected end of input");
  /* beyond float32 */
  CHECK_STR(jsVec("[1, 1e39]", 0),
            "ERR 22003 value out of range for type VECTOR at offset 4: \"1e39\"");
  CHECK_STR(jsVec("[-3.5e38]", 0),
            "ERR 22003 value out of range for type VECTOR at offset 1: \"-3.5e38\"");
  /* dimensions */
  CHECK_STR(jsVec("[1,2]", 3), "ERR 22000 expected 3 dimensions, got 2");
  CHECK_STR(jsVec("[1,2,3,4]", 3), "ERR 22000 expected 3 dimensions, got 4");
  CHECK_STR(jsVec("[]", 2), "ERR 22000 expected 2 dimensions, got 0");
  CHECK_STR(jsVec("[]", 1), "ERR 22000 expected 1 dimensions, got 0");
  /* syntax is checked before dimensions */
  CHECK_STR(jsVec("[1,2", 3),
            "ERR 22P02 invalid input syntax for type VECTOR at offset 4: unexpected end of input");
}

static void testVectorRender(void) {
  CHECK_STR(jsFloatText(0.1f), "0.1");
  CHECK_STR(jsFloatText(0.2f), "0.2");
  CHECK_STR(jsFloatText(1.0f), "1");
  CHECK_STR(jsFloatText(-1.0f), "-1");
  CHECK_STR(jsFloatText(0.0f), "0");
  CHECK_STR(jsFloatText(-0.0f), "-0");
  CHECK_STR(jsFloatText(0.5f), "0.5");
  CHECK_STR(jsFloatText(123.456f), "123.456");
  CHECK_STR(jsFloatText(-300000.0f), "-300000");
  CHECK_STR(jsFloatText(16777216.0f), "16777216");
  CHECK_STR(jsFloatText(16777217.0f), "16777216");
  CHECK_STR(jsFloatText(1e14f), "100000000000000");
  CHECK_STR(jsFloatText(1e15f), "1e+15");
  CHECK_STR(jsFloatText(1.5e20f), "1.5e+20");
  CHECK_STR(jsFloatText(0.0001f), "0.0001");
  CHECK_STR(jsFloatText(0.00012f), "0.00012");
  CHECK_STR(jsFloatText(1e-5f), "1e-05");
  CHECK_STR(jsFloatText(-2.5e-7f), "-2.5e-07");
  CHECK_STR(jsFloatText(1.0f / 3.0f), "0.33333334");
  CHECK_STR(jsFloatText(FLT_MAX), "3.4028235e+38");
  CHECK_STR(jsFloatText(-FLT_MAX), "-3.4028235e+38");
  CHECK_STR(jsFloatText(FLT_MIN), "1.1754944e-38");
  CHECK_STR(jsFloatText(jsFloatFromBits(1)), "1e-45");
  CHECK_STR(jsFloatText(jsFloatFromBits(0x80000001u)), "-1e-45");
  CHECK_STR(jsFloatText(jsFloatFromBits(0x3F800001u)), "1.0000001");
  CHECK_STR(jsFloatText(jsFloatFromBits(0x7FC00000u)), "NaN");
  CHECK_STR(jsFloatText(jsFloatFromBits(0x7F800000u)), "Infinity");
  CHECK_STR(jsFloatText(jsFloatFromBits(0xFF800000u)), "-Infinity");
  /* trailing bytes short of a float are ignored; empty input is [] */
  {
    TdbStr s;
    static const char bytes[] = {0x00, 0x00, (char)0x80, 0x3F, 0x01, 0x02};
    tdbStrInit(&s, &jsMem);
    tdbVectorRender(&s, bytes, 6);
    CHECK_STR(s.z, "[1]");
    tdbStrClear(&s);
    tdbVectorRender(&s, NULL, 0);
    CHECK_STR(s.z, "[]");
    tdbStrClear(&s);
  }
}

/* Count significant digits of a rendered float ("-1.25e+20" -> 3). */
static int jsSignificantDigits(const char *t) {
  int nd = 0, seen = 0, trailing = 0;
  for (; *t && *t != 'e'; t++) {
    if (*t < '0' || *t > '9') continue;
    if (*t != '0') seen = 1;
    if (!seen) continue;
    nd++;
    trailing = *t == '0' ? trailing + 1 : 0;
  }
  /* zeros before the decimal point of a big integer do not count */
  return seen ? nd - trailing : 1;
}

/* Random finite floats: render -> parse gives back the same bits; no
** shorter correctly rounded decimal would have read back too. */
static void testVectorRoundTrip(void) {
  uint64_t seed = 20250101;
  int i, bad = 0, longer = 0;
  for (i = 0; i < 200000; i++) {
    uint32_t bits = (uint32_t)tdbTestRand(&seed);
    float f = jsFloatFromBits(bits);
    const char *t;
    float back;
    int p, shortest = 9;
    if (!isfinite(f)) continue;
    if (i % 4 == 0) {
      /* also values with few digits */
      f = (float)((double)(int64_t)(tdbTestRand(&seed) % 2000001) - 1000000) /
          (float)pow(10, (double)(tdbTestRand(&seed) % 12));
      memcpy(&bits, &f, 4);
    }
    t = jsFloatText(f);
    back = strtof(t, NULL);
    if (memcmp(&back, &f, 4) != 0 && bad++ < 5) {
      tdbTestFail(__FILE__, __LINE__, "0x%08x renders as %s, reads back as %.9g",
                  (unsigned)bits, t, (double)back);
    }
    for (p = 1; p <= 9; p++) {
      char e[32];
      snprintf(e, sizeof e, "%.*e", p - 1, (double)f);
      if (strtof(e, NULL) == f) {
        shortest = p;
        break;
      }
    }
    if (jsSignificantDigits(t) != shortest && longer++ < 5) {
      tdbTestFail(__FILE__, __LINE__, "0x%08x renders as %s, %d digits would do",
                  (unsigned)bits, t, shortest);
    }
  }
  /* whole vectors: parse(render(bytes)) == bytes */
  for (i = 0; i < 200; i++) {
    size_t dims = (size_t)(tdbTestRand(&seed) % 64), k;
    unsigned char *bytes = malloc(4 * dims + 1);
    TdbStr s;
    TdbErr err;
    TdbValue v;
    for (k = 0; k < dims; k++) {
      uint32_t b;
      do {
        b = (uint32_t)tdbTestRand(&seed);
      } while (!isfinite(jsFloatFromBits(b)));
      bytes[4 * k] = (unsigned char)b;
      bytes[4 * k + 1] = (unsigned char)(b >> 8);
      bytes[4 * k + 2] = (unsigned char)(b >> 16);
      bytes[4 * k + 3] = (unsigned char)(b >> 24);
    }
    tdbStrInit(&s, &jsMem);
    tdbErrInit(&err, &jsMem);
    tdbVectorRender(&s, (const char *)bytes, 4 * dims);
    CHECK_STR(jsValidateN(s.z, s.n), "OK"); /* a finite vector's text is a JSON array */
    CHECK_EQ(tdbVectorParse(&jsMem, &err, s.z, s.n, (int)dims, &v), TDB_OK);
    CHECK_EQ(v.n, 4 * dims);
    if (v.n == 4 * dims) CHECK_MEM(v.u.z, bytes, 4 * dims);
    tdbValueClear(&jsMem, &v);
    tdbStrClear(&s);
    tdbErrClear(&err);
    free(bytes);
  }
  /* a big one */
  {
    TdbStr s;
    TdbErr err;
    TdbValue v;
    int k;
    tdbStrInit(&s, &jsMem);
    tdbErrInit(&err, &jsMem);
    tdbStrAppendChar(&s, '[');
    for (k = 0; k < 4096; k++) tdbStrAppendf(&s, "%s%d.25", k ? ", " : "", k - 2048);
    tdbStrAppendChar(&s, ']');
    CHECK_EQ(tdbVectorParse(&jsMem, &err, s.z, s.n, 4096, &v), TDB_OK);
    CHECK_EQ(v.n, 4 * 4096);
    tdbStrClear(&s);
    tdbVectorRender(&s, v.u.z, v.n);
    CHECK(strncmp(s.z, "[-2048.25,-2047.25,", 19) == 0);
    CHECK_CONTAINS(s.z, ",-1.25,0.25,1.25,");
    CHECK(s.n > 9 && strcmp(s.z + s.n - 9, ",2047.25]") == 0);
    tdbValueClear(&jsMem, &v);
    tdbStrClear(&s);
    tdbErrClear(&err);
  }
}

/* ---- out of memory ---------------------------------------------------------- */

/* Run op with allocation k failing, for k = 1, 2, ... until it succeeds:
** each failure is TDB_NOMEM with SQLSTATE 53200 and leaks nothing. */
typedef int (*JsOp)(TdbMem *mem, TdbErr *err, TdbValue *out);

static int jsOpGetText(TdbMem *mem, TdbErr *err, TdbValue *out) {
  TdbValue path = jsText("b", 1);
  return tdbJsonGet(mem, err, jsDoc, strlen(jsDoc), &path, 1, out);
}

static int jsOpGetJson(TdbMem *mem, TdbErr *err, TdbValue *out) {
  TdbValue path = jsText("c", 1);
  return tdbJsonGet(mem, err, jsDoc, strlen(jsDoc), &path, 0, out);
}

static int jsOpVector(TdbMem *mem, TdbErr *err, TdbValue *out) {
  static char text[4096];
  size_t n = 0;
  int k;
  text[n++] = '[';
  for (k = 0; k < 300; k++) {
    n += (size_t)snprintf(text + n, sizeof text - n, "%s%d", k ? "," : "", k);
  }
  text[n++] = ']';
  return tdbVectorParse(mem, err, text, n, 300, out);
}

static int jsOpVectorLongNumber(TdbMem *mem, TdbErr *err, TdbValue *out) {
  static char text[200];
  memset(text, '1', sizeof text);
  text[0] = '[';
  text[2] = '.';
  text[sizeof text - 1] = ']';
  return tdbVectorParse(mem, err, text, sizeof text, 1, out);
}

static void jsOom(JsOp op, const char *name) {
  long k;
  for (k = 1; k < 1000; k++) {
    TdbTestAlloc a;
    tdb_allocator hooks;
    TdbMem mem;
    TdbErr err;
    TdbValue out;
    int rc;
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    tdbErrInit(&err, &mem);
    a.fail_at = k;
    rc = op(&mem, &err, &out);
    if (rc == TDB_OK) {
      CHECK(out.type != TDB_TYPE_NULL);
      tdbValueClear(&mem, &out);
      tdbErrClear(&err);
      CHECK_EQ(a.live, 0);
      CHECK(k > 1);
      return;
    }
    if (rc != TDB_NOMEM || strcmp(err.sqlstate, "53200") != 0 || out.type != TDB_TYPE_NULL) {
      tdbTestFail(__FILE__, __LINE__, "%s: failing allocation %ld: rc %d, %s %s", name, k, rc,
                  err.sqlstate, tdbErrMessage(&err));
    }
    tdbErrClear(&err);
    if (a.live != 0) {
      tdbTestFail(__FILE__, __LINE__, "%s: failing allocation %ld leaks %ld blocks", name, k,
                  a.live);
    }
  }
  tdbTestFail(__FILE__, __LINE__, "%s never succeeded", name);
}

static void testOutOfMemory(void) {
  jsOom(jsOpGetText, "->> text");
  jsOom(jsOpGetJson, "-> json");
  jsOom(jsOpVector, "vector parse");
  jsOom(jsOpVectorLongNumber, "vector parse, long number");
  /* an error whose message cannot be allocated still reports 22032 */
  {
    TdbTestAlloc a;
    tdb_allocator hooks;
    TdbMem mem;
    TdbErr err;
    memset(&a, 0, sizeof a);
    tdbTestAllocHooks(&a, &hooks);
    tdbMemInit(&mem, &hooks);
    tdbErrInit(&err, &mem);
    a.fail_at = 1;
    a.sticky = 1;
    CHECK_EQ(tdbJsonValidate(&err, "[1,]", 4), TDB_ERROR_DATA);
    CHECK_STR(err.sqlstate, "22032");
    CHECK(tdbErrMessage(&err) != NULL);
    tdbErrClear(&err);
    CHECK_EQ(a.live, 0);
  }
}

/* ---- random mutations --------------------------------------------------------- */

/* Mutate valid documents at random: validation never crashes or overreads,
** and on every document it accepts, -> and ->> give an answer, not an
** error (except 22P05 for \u0000). */
static void testMutations(void) {
  static const char *const seeds[] = {
      "{\"a\":[1,2,{\"b\":null}],\"c\":\"d\\u00e9\\uD83D\\uDE00\",\"e\":-1.5e-3}",
      "[true,false,null,\"\\\\\\\"\",[],{},[[{}]],0,-0.0,1E+9]",
      "{\"\xc3\xa9\":\"\xf0\x9f\x98\x80\",\"x\":{\"y\":{\"z\":[\"\\n\"]}}}",
  };
  static const char alphabet[] = "{}[]\",:\\u0123456789abcdefABCDEF.eE+- \t\nrtfnlsx"
                                 "\xc3\xa9\xf0\x80\xff";
  uint64_t seed = 7;
  int iter, accepted = 0;
  for (iter = 0; iter < 30000; iter++) {
    const char *src = seeds[iter % TDB_ARRAY_LEN(seeds)];
    size_t n = strlen(src), k, muts;
    char buf[256];
    memcpy(buf, src, n);
    muts = 1 + tdbTestRand(&seed) % 3;
    for (k = 0; k < muts; k++) {
      uint64_t r = tdbTestRand(&seed);
      size_t pos = n ? (size_t)(r % n) : 0;
      char c = alphabet[(r >> 20) % (sizeof alphabet - 1)];
      switch ((r >> 40) % 4) {
        case 0: /* replace a byte */
          if (n) buf[pos] = c;
          break;
        case 1: /* insert one */
          if (n < sizeof buf - 1) {
            memmove(buf + pos + 1, buf + pos, n - pos);
            buf[pos] = c;
            n++;
          }
          break;
        case 2: /* delete one */
          if (n) {
            memmove(buf + pos, buf + pos + 1, n - pos - 1);
            n--;
          }
          break;
        default: /* truncate */
          n = pos;
          break;
      }
    }
    if (strcmp(jsValidateN(buf, n), "OK") == 0) {
      static const char *const keys[] = {"a", "c", "e", "x", "\xc3\xa9"};
      static const int64_t idx[] = {0, 1, -1, 5};
      size_t j;
      accepted++;
      for (j = 0; j < TDB_ARRAY_LEN(keys) + TDB_ARRAY_LEN(idx); j++) {
        TdbValue path;
        int as_text;
        if (j < TDB_ARRAY_LEN(keys)) path = jsText(keys[j], strlen(keys[j]));
        else tdbValueSetInt(&path, idx[j - TDB_ARRAY_LEN(keys)]);
        for (as_text = 0; as_text <= 1; as_text++) {
          const char *got = jsGetPath(buf, n, &path, as_text);
          if (strncmp(got, "ERR", 3) == 0 && strncmp(got, "ERR 22P05", 9) != 0) {
            tdbTestFail(__FILE__, __LINE__, "valid %.*s: %s", (int)n, buf, got);
          }
          if (as_text == 0 && strncmp(got, "JSON ", 5) == 0 &&
              strcmp(jsValidate(got + 5), "OK") != 0) {
            tdbTestFail(__FILE__, __LINE__, "-> of %.*s is not valid JSON: %s", (int)n, buf,
                        got);
          }
        }
      }
    } else {
      /* invalid: -> and ->> must still not crash */
      TdbValue path = jsText("a", 1);
      (void)jsGetPath(buf, n, &path, 1);
      tdbValueSetInt(&path, -1);
      (void)jsGetPath(buf, n, &path, 0);
    }
    /* the vector parser must not crash on it either */
    (void)jsVecN(buf, n, 0);
  }
  CHECK(accepted > 100);
}

int main(void) {
  tdbMemInit(&jsMem, NULL);
  TEST_RUN(testValidScalars);
  TEST_RUN(testValidContainers);
  TEST_RUN(testDepthLimit);
  TEST_RUN(testInvalidStructure);
  TEST_RUN(testInvalidNumbers);
  TEST_RUN(testInvalidLiterals);
  TEST_RUN(testInvalidStrings);
  TEST_RUN(testTruncation);
  TEST_RUN(testGetMembers);
  TEST_RUN(testGetElements);
  TEST_RUN(testGetUnescape);
  TEST_RUN(testGetPathTypes);
  TEST_RUN(testGetInvalidInput);
  TEST_RUN(testVectorParse);
  TEST_RUN(testVectorErrors);
  TEST_RUN(testVectorRender);
  TEST_RUN(testVectorRoundTrip);
  TEST_RUN(testOutOfMemory);
  TEST_RUN(testMutations);
  return tdbTestFinish();
}
