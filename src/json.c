/*
** json.c — JSON validation and `->` / `->>` access, the VECTOR text form
** (see json.h).
**
** The JSON scanner is one loop over an explicit stack of open containers, so
** a deeply nested document cannot exhaust the C stack, and every byte it
** reads is checked against the end of the input first: the same code
** validates documents on the way in and walks them (defensively) in tdbJsonGet.
*/
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- JSON scanner ---------------------------------------------------------- */

typedef struct TdbJsonScan {
  const char *z;     /* the document */
  size_t n;          /* its length */
  TdbErr *err;       /* where errors go; NULL: nowhere */
} TdbJsonScan;

static int tdbJsonFail(TdbJsonScan *s, size_t off, const char *fmt, ...)
    TDB_PRINTF(3, 4);

/* Record "invalid JSON at offset OFF: WHAT" (22032). Returns TDB_ERROR_DATA. */
static int tdbJsonFail(TdbJsonScan *s, size_t off, const char *fmt, ...) {
  char what[96];
  va_list ap;
  if (!s->err) return TDB_ERROR_DATA;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return tdbErrSet(s->err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_JSON,
                   "invalid JSON at offset %zu: %s", off, what);
}

static int tdbJsonEof(TdbJsonScan *s) {
  return tdbJsonFail(s, s->n, "unexpected end of input");
}

/* The first offset >= i that is not JSON whitespace (or n). */
static size_t tdbJsonSkipBlanks(const char *z, size_t n, size_t i) {
  while (i < n && (z[i] == ' ' || z[i] == '\t' || z[i] == '\n' || z[i] == '\r')) i++;
  return i;
}

static int tdbJsonIsDigit(const char *z, size_t n, size_t i) {
  return i < n && z[i] >= '0' && z[i] <= '9';
}

/* The 4 hex digits at z[i..i+4) into *cp. Returns 0, -1 on a non-hex digit,
** 1 when the input ends first. */
static int tdbJsonHex4(const unsigned char *z, size_t n, size_t i, unsigned *cp) {
  unsigned v = 0;
  size_t k;
  for (k = 0; k < 4; k++) {
    unsigned c, d;
    if (i + k >= n) return 1;
    c = z[i + k];
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v << 4 | d;
  }
  *cp = v;
  return 0;
}

/* Length of the well-formed UTF-8 sequence (2-4 bytes) whose lead byte is
** z[i] (>= 0x80); 0 for an ill-formed one (overlong forms, UTF-16
** surrogates, code points above U+10FFFF, stray continuation bytes); -1 for
** a well-formed beginning that the end of the input cuts short. */
static int tdbJsonUtf8Length(const unsigned char *z, size_t n, size_t i) {
  unsigned c = z[i], lo = 0x80, hi = 0xBF;
  int len, k;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;       /* overlong */
    else if (c == 0xED) hi = 0x9F;  /* U+D800..U+DFFF */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;       /* overlong */
    else if (c == 0xF4) hi = 0x8F;  /* above U+10FFFF */
  } else {
    return 0;
  }
  for (k = 1; k < len; k++) {
    if (i + (size_t)k >= n) return -1;
    if (k == 1 ? z[i + 1] < lo || z[i + 1] > hi : (z[i + k] & 0xC0) != 0x80) return 0;
  }
  return len;
}

/* Validate the string whose opening quote is at z[i]; *end gets the offset
** just past its closing quote. */
static int tdbJsonScanString(TdbJsonScan *s, size_t i, size_t *end) {
  const unsigned char *z = (const unsigned char *)s->z;
  size_t n = s->n;
  i++;
  for (;;) {
    unsigned c, cp, low;
    size_t at;
    int rc, len;
    if (i >= n) return tdbJsonEof(s);
    c = z[i];
    if (c == '"') {
      *end = i + 1;
      return TDB_OK;
    }
    if (c < 0x20) {
      return tdbJsonFail(s, i, "unescaped control character 0x%02X in string", c);
    }
    if (c < 0x80) {
      if (c != '\\') {
        i++;
        continue;
      }
      at = i;
      if (i + 1 >= n) return tdbJsonEof(s);
      c = z[i + 1];
      if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
          c == 'r' || c == 't') {
        i += 2;
        continue;
      }
      if (c != 'u') {
        if (c > 0x20 && c < 0x7F) {
          return tdbJsonFail(s, at, "invalid escape '\\%c'", (char)c);
        }
        return tdbJsonFail(s, at, "invalid escape: '\\' followed by byte 0x%02X", c);
      }
      rc = tdbJsonHex4(z, n, i + 2, &cp);
      if (rc > 0) return tdbJsonEof(s);
      if (rc < 0) return tdbJsonFail(s, at, "invalid \\u escape: expected 4 hex digits");
      i += 6;
      if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return tdbJsonFail(s, at, "lone low surrogate \\u%04X", cp);
      }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (i >= n || (z[i] == '\\' && i + 1 >= n)) return tdbJsonEof(s);
        if (z[i] == '\\' && z[i + 1] == 'u') {
          rc = tdbJsonHex4(z, n, i + 2, &low);
          if (rc > 0) return tdbJsonEof(s);
          if (rc == 0 && low >= 0xDC00 && low <= 0xDFFF) {
            i += 6;
            continue;
          }
        }
        return tdbJsonFail(s, at, "lone high surrogate \\u%04X", cp);
      }
      continue;
    }
    len = tdbJsonUtf8Length(z, n, i);
    if (len < 0) return tdbJsonEof(s);
    if (len == 0) return tdbJsonFail(s, i, "invalid UTF-8 byte 0x%02X in string", c);
    i += (size_t)len;
  }
}

/* Validate the number starting at z[i] ('-' or a digit). */
static int tdbJsonScanNumber(TdbJsonScan *s, size_t i, size_t *end) {
  const char *z = s->z;
  size_t n = s->n;
  if (z[i] == '-') i++;
  if (i >= n) return tdbJsonEof(s);
  if (z[i] == '0') {
    i++;
    if (tdbJsonIsDigit(z, n, i)) return tdbJsonFail(s, i - 1, "leading zero in number");
  } else if (z[i] >= '1' && z[i] <= '9') {
    while (tdbJsonIsDigit(z, n, i)) i++;
  } else {
    return tdbJsonFail(s, i, "expected a digit");
  }
  if (i < n && z[i] == '.') {
    i++;
    if (i >= n) return tdbJsonEof(s);
    if (!tdbJsonIsDigit(z, n, i)) return tdbJsonFail(s, i, "expected a digit after '.'");
    while (tdbJsonIsDigit(z, n, i)) i++;
  }
  if (i < n && (z[i] == 'e' || z[i] == 'E')) {
    i++;
    if (i < n && (z[i] == '+' || z[i] == '-')) i++;
    if (i >= n) return tdbJsonEof(s);
    if (!tdbJsonIsDigit(z, n, i)) {
      return tdbJsonFail(s, i, "expected a digit in the exponent");
    }
    while (tdbJsonIsDigit(z, n, i)) i++;
  }
  *end = i;
  return TDB_OK;
}

/* The literal `word` (true, false, null) at z[i]. */
static int tdbJsonScanWord(TdbJsonScan *s, size_t i, const char *word, size_t *end) {
  size_t len = strlen(word), k;
  for (k = 0; k < len; k++) {
    if (i + k >= s->n) return tdbJsonEof(s);
    if (s->z[i + k] != word[k]) {
      return tdbJsonFail(s, i, "invalid literal (expected true, false or null)");
    }
  }
  *end = i + len;
  return TDB_OK;
}

enum { TDB_JSON_WANT_VALUE, TDB_JSON_WANT_MEMBER, TDB_JSON_AFTER_VALUE };

/* Validate one JSON value that starts exactly at z[i] (no blanks before it);
** *end gets the offset just past it (blanks after it are not consumed). */
static int tdbJsonSkipValue(TdbJsonScan *s, size_t i, size_t *end) {
  char open[TDB_JSON_MAX_DEPTH]; /* '{' or '[' of each open container */
  int depth = 0, state = TDB_JSON_WANT_VALUE, rc;
  const char *z = s->z;
  size_t n = s->n;
  for (;;) {
    char c;
    switch (state) {
      case TDB_JSON_WANT_VALUE:
        i = tdbJsonSkipBlanks(z, n, i);
        if (i >= n) return tdbJsonEof(s);
        c = z[i];
        if (c == '{' || c == '[') {
          if (depth == TDB_JSON_MAX_DEPTH) {
            return tdbJsonFail(s, i, "nesting deeper than %d levels", TDB_JSON_MAX_DEPTH);
          }
          open[depth++] = c;
          i = tdbJsonSkipBlanks(z, n, i + 1);
          if (i < n && z[i] == (c == '{' ? '}' : ']')) {
            i++;
            depth--;
            state = TDB_JSON_AFTER_VALUE;
          } else {
            state = c == '{' ? TDB_JSON_WANT_MEMBER : TDB_JSON_WANT_VALUE;
          }
          continue;
        }
        if (c == '"') rc = tdbJsonScanString(s, i, &i);
        else if (c == '-' || (c >= '0' && c <= '9')) rc = tdbJsonScanNumber(s, i, &i);
        else if (c == 't') rc = tdbJsonScanWord(s, i, "true", &i);
        else if (c == 'f') rc = tdbJsonScanWord(s, i, "false", &i);
        else if (c == 'n') rc = tdbJsonScanWord(s, i, "null", &i);
        else rc = tdbJsonFail(s, i, "expected a JSON value");
        if (rc != TDB_OK) return rc;
        state = TDB_JSON_AFTER_VALUE;
        continue;
      case TDB_JSON_WANT_MEMBER:
        i = tdbJsonSkipBlanks(z, n, i);
        if (i >= n) return tdbJsonEof(s);
        if (z[i] != '"') return tdbJsonFail(s, i, "expected a string (member name)");
        rc = tdbJsonScanString(s, i, &i);
        if (rc != TDB_OK) return rc;
        i = tdbJsonSkipBlanks(z, n, i);
        if (i >= n) return tdbJsonEof(s);
        if (z[i] != ':') return tdbJsonFail(s, i, "expected ':'");
        i++;
        state = TDB_JSON_WANT_VALUE;
        continue;
      default: /* TDB_JSON_AFTER_VALUE */
        if (depth == 0) {
          *end = i;
          return TDB_OK;
        }
        i = tdbJsonSkipBlanks(z, n, i);
        if (i >= n) return tdbJsonEof(s);
        c = open[depth - 1];
        if (z[i] == ',') {
          i++;
          state = c == '{' ? TDB_JSON_WANT_MEMBER : TDB_JSON_WANT_VALUE;
        } else if (z[i] == (c == '{' ? '}' : ']')) {
          i++;
          depth--;
        } else {
          return tdbJsonFail(s, i,
                             c == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        continue;
    }
  }
}

TDB_PRIVATE int tdbJsonValidate(TdbErr *err, const char *z, size_t n) {
  TdbJsonScan s;
  size_t end;
  int rc;
  s.z = z;
  s.n = n;
  s.err = err;
  rc = tdbJsonSkipValue(&s, tdbJsonSkipBlanks(z, n, 0), &end);
  if (rc != TDB_OK) return rc;
  end = tdbJsonSkipBlanks(z, n, end);
  if (end != n) return tdbJsonFail(&s, end, "expected end of input");
  return TDB_OK;
}

/* ---- strings: decoding ------------------------------------------------------ */

/* Decode one character of a string body (validated by tdbJsonScanString)
** at z[*i], i < end (end: the offset of the closing quote), into buf as
** UTF-8; advance *i. Returns the byte count (1-4), or 0 if the bytes are
** not a valid string body after all (then *i is unchanged). Raw bytes are
** passed through one at a time. */
static size_t tdbJsonDecodeChar(const unsigned char *z, size_t end, size_t *i,
                                unsigned char buf[4]) {
  size_t at = *i;
  unsigned c = z[at], cp, low;
  if (c != '\\') {
    buf[0] = (unsigned char)c;
    *i = at + 1;
    return 1;
  }
  if (at + 1 >= end) return 0;
  switch (z[at + 1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': c = 0x100; break; /* below */
    default: return 0;
  }
  if (c != 0x100) {
    buf[0] = (unsigned char)c;
    *i = at + 2;
    return 1;
  }
  if (tdbJsonHex4(z, end, at + 2, &cp) != 0) return 0;
  at += 6;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return 0;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (at + 1 >= end || z[at] != '\\' || z[at + 1] != 'u') return 0;
    if (tdbJsonHex4(z, end, at + 2, &low) != 0 || low < 0xDC00 || low > 0xDFFF) return 0;
    at += 6;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  *i = at;
  if (cp < 0x80) {
    buf[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = (unsigned char)(0xC0 | cp >> 6);
    buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = (unsigned char)(0xE0 | cp >> 12);
    buf[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  buf[0] = (unsigned char)(0xF0 | cp >> 18);
  buf[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
  buf[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
  buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Whether the validated string z[start..end) (quotes included) decodes to
** exactly the keyn bytes of key. */
static int tdbJsonKeyEquals(const char *json, size_t start, size_t end, const char *key,
                            size_t keyn) {
  const unsigned char *z = (const unsigned char *)json;
  unsigned char buf[4];
  size_t i = start + 1, body_end = end - 1, k = 0;
  if (body_end - i < keyn) return 0; /* escapes only ever shrink the text */
  while (i < body_end) {
    size_t len = tdbJsonDecodeChar(z, body_end, &i, buf);
    if (len == 0 || keyn - k < len || memcmp(key + k, buf, len) != 0) return 0;
    k += len;
  }
  return k == keyn;
}

/* ---- -> and ->> ------------------------------------------------------------- */

/* In the object whose '{' is at z[i], find the last member named key:
** *found = 1 and its value at [*vstart, *vend). Reads the whole object. */
static int tdbJsonFindMember(TdbJsonScan *s, size_t i, const char *key, size_t keyn,
                             int *found, size_t *vstart, size_t *vend) {
  const char *z = s->z;
  size_t n = s->n;
  int rc;
  i = tdbJsonSkipBlanks(z, n, i + 1);
  if (i < n && z[i] == '}') return TDB_OK;
  for (;;) {
    size_t kstart, kend, start;
    i = tdbJsonSkipBlanks(z, n, i);
    if (i >= n) return tdbJsonEof(s);
    if (z[i] != '"') return tdbJsonFail(s, i, "expected a string (member name)");
    kstart = i;
    rc = tdbJsonScanString(s, i, &kend);
    if (rc != TDB_OK) return rc;
    i = tdbJsonSkipBlanks(z, n, kend);
    if (i >= n) return tdbJsonEof(s);
    if (z[i] != ':') return tdbJsonFail(s, i, "expected ':'");
    start = tdbJsonSkipBlanks(z, n, i + 1);
    rc = tdbJsonSkipValue(s, start, &i);
    if (rc != TDB_OK) return rc;
    if (tdbJsonKeyEquals(z, kstart, kend, key, keyn)) {
      *found = 1;
      *vstart = start;
      *vend = i;
    }
    i = tdbJsonSkipBlanks(z, n, i);
    if (i >= n) return tdbJsonEof(s);
    if (z[i] == '}') return TDB_OK;
    if (z[i] != ',') return tdbJsonFail(s, i, "expected ',' or '}'");
    i++;
  }
}

/* Walk the array whose '[' is at z[i]: stop at element `want` (>= 0) with
** *found = 1 and its extent in [*vstart, *vend), or (want < 0, or fewer
** elements) read to the end; *count gets the elements seen. */
static int tdbJsonWalkArray(TdbJsonScan *s, size_t i, int64_t want, int64_t *count,
                            int *found, size_t *vstart, size_t *vend) {
  const char *z = s->z;
  size_t n = s->n;
  int rc;
  *count = 0;
  i = tdbJsonSkipBlanks(z, n, i + 1);
  if (i < n && z[i] == ']') return TDB_OK;
  for (;;) {
    size_t start = tdbJsonSkipBlanks(z, n, i);
    rc = tdbJsonSkipValue(s, start, &i);
    if (rc != TDB_OK) return rc;
    if (*count == want) {
      *found = 1;
      *vstart = start;
      *vend = i;
      return TDB_OK;
    }
    ++*count;
    i = tdbJsonSkipBlanks(z, n, i);
    if (i >= n) return tdbJsonEof(s);
    if (z[i] == ']') return TDB_OK;
    if (z[i] != ',') return tdbJsonFail(s, i, "expected ',' or ']'");
    i++;
  }
}

/* The ->> text of the validated string z[start..end) (quotes included). */
static int tdbJsonUnescape(TdbMem *mem, TdbErr *err, const char *json, size_t start,
                           size_t end, TdbValue *out) {
  const unsigned char *z = (const unsigned char *)json;
  size_t i = start + 1, body_end = end - 1, k = 0;
  char *buf;
  if (body_end - i > UINT32_MAX - 1) {
    return tdbErrSet(err, TDB_TOOBIG, NULL, "JSON string of %zu bytes is too long",
                     body_end - i);
  }
  buf = tdbMemAlloc(mem, body_end - i + 1); /* escapes only ever shrink the text */
  if (!buf) return tdbErrNoMem(err);
  while (i < body_end) {
    size_t at = i, len = tdbJsonDecodeChar(z, body_end, &i, (unsigned char *)buf + k);
    if (len == 0) {
      TdbJsonScan s;
      tdbMemFree(mem, buf);
      s.z = json;
      s.n = end;
      s.err = err;
      return tdbJsonFail(&s, at, "invalid string");
    }
    if (len == 1 && buf[k] == '\0') {
      tdbMemFree(mem, buf);
      return tdbErrSet(err, TDB_ERROR_DATA, "22P05",
                       "unsupported Unicode escape sequence: \\u0000 cannot be "
                       "converted to text (at offset %zu)", at);
    }
    k += len;
  }
  buf[k] = '\0';
  tdbValueTakeBytes(out, TDB_TYPE_TEXT, buf, k);
  return TDB_OK;
}

TDB_PRIVATE int tdbJsonGet(TdbMem *mem, TdbErr *err, const char *json, size_t n,
                           const TdbValue *path, int as_text, TdbValue *out) {
  TdbJsonScan s;
  size_t i, vstart = 0, vend = 0;
  int found = 0, rc;
  tdbValueSetNull(out);
  if (path->type == TDB_TYPE_NULL) return TDB_OK;
  if (path->type != TDB_TYPE_TEXT && path->type != TDB_TYPE_INTEGER) {
    return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_UNDEFINED_FUNCTION,
                     "operator does not exist: JSON %s %s (the path must be TEXT "
                     "or INTEGER)", as_text ? "->>" : "->", tdbTypeName(path->type));
  }
  s.z = json;
  s.n = n;
  s.err = err;
  i = tdbJsonSkipBlanks(json, n, 0);
  if (i >= n) return tdbJsonEof(&s);
  if (json[i] == '{') {
    if (path->type != TDB_TYPE_TEXT) return TDB_OK;
    rc = tdbJsonFindMember(&s, i, path->u.z, path->n, &found, &vstart, &vend);
  } else if (json[i] == '[') {
    int64_t want = path->u.i, count = 0;
    if (path->type != TDB_TYPE_INTEGER) return TDB_OK;
    if (want < 0) {
      rc = tdbJsonWalkArray(&s, i, -1, &count, &found, &vstart, &vend);
      if (rc != TDB_OK) return rc;
      if (want < -count) return TDB_OK;
      want += count;
    }
    rc = tdbJsonWalkArray(&s, i, want, &count, &found, &vstart, &vend);
  } else {
    return TDB_OK; /* a scalar has no members */
  }
  if (rc != TDB_OK || !found) return rc;

  if (as_text) {
    if (json[vstart] == 'n') return TDB_OK; /* JSON null is SQL NULL */
    if (json[vstart] == '"') return tdbJsonUnescape(mem, err, json, vstart, vend, out);
  }
  rc = tdbValueSetBytes(mem, out, as_text ? TDB_TYPE_TEXT : TDB_TYPE_JSON, json + vstart,
                        vend - vstart);
  if (rc == TDB_NOMEM) return tdbErrNoMem(err);
  if (rc != TDB_OK) {
    return tdbErrSet(err, rc, NULL, "JSON value of %zu bytes is too long", vend - vstart);
  }
  return TDB_OK;
}

TDB_PRIVATE int tdbJsonStringText(TdbMem *mem, TdbErr *err, const char *json, size_t n,
                                  TdbValue *out) {
  tdbValueSetNull(out);
  if (n < 2 || json[0] != '"' || json[n - 1] != '"') {
    return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_JSON, "not a JSON string");
  }
  return tdbJsonUnescape(mem, err, json, 0, n, out);
}

TDB_PRIVATE int tdbJsonArrayCount(TdbErr *err, const char *json, size_t n, int64_t *count) {
  TdbJsonScan s;
  size_t i, vs, ve;
  int found = 0;
  s.z = json;
  s.n = n;
  s.err = err;
  *count = 0;
  i = tdbJsonSkipBlanks(json, n, 0);
  if (i >= n) return tdbJsonEof(&s);
  if (json[i] != '[') return TDB_OK;
  return tdbJsonWalkArray(&s, i, -1, count, &found, &vs, &ve);
}

/* ---- VECTOR text form ------------------------------------------------------- */

static int tdbVectorSyntax(TdbErr *err, size_t off, const char *what) {
  return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_INVALID_TEXT,
                   "invalid input syntax for type VECTOR at offset %zu: %s", off, what);
}

/* Whether z[i..) starts with `word` (upper case), in any case. */
static int tdbVectorHasWord(const char *z, size_t n, size_t i, const char *word) {
  size_t k;
  for (k = 0; word[k]; k++) {
    char c;
    if (i + k >= n) return 0;
    c = z[i + k];
    if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if (c != word[k]) return 0;
  }
  return 1;
}

/* Parse the number at z[*pos] into *out (finite); advance *pos past it. */
static int tdbVectorNumber(TdbMem *mem, TdbErr *err, const char *z, size_t n,
                           size_t *pos, float *out) {
  size_t i = *pos, start = i, digits = 0, len;
  char small[64], *text, *stop;
  float f;
  if (i < n && (z[i] == '+' || z[i] == '-')) i++;
  while (tdbJsonIsDigit(z, n, i)) i++, digits++;
  if (i < n && z[i] == '.') {
    i++;
    while (tdbJsonIsDigit(z, n, i)) i++, digits++;
  }
  if (digits == 0) {
    if (tdbVectorHasWord(z, n, i, "NAN") || tdbVectorHasWord(z, n, i, "INF")) {
      return tdbVectorSyntax(err, start, "NaN and Infinity are not allowed in a vector");
    }
    if (i >= n) return tdbVectorSyntax(err, n, "unexpected end of input");
    return tdbVectorSyntax(err, start, "expected a number");
  }
  if (i < n && (z[i] == 'e' || z[i] == 'E')) {
    i++;
    if (i < n && (z[i] == '+' || z[i] == '-')) i++;
    if (i >= n) return tdbVectorSyntax(err, n, "unexpected end of input");
    if (!tdbJsonIsDigit(z, n, i)) {
      return tdbVectorSyntax(err, i, "expected a digit in the exponent");
    }
    while (tdbJsonIsDigit(z, n, i)) i++;
  }
  /* strtof wants a NUL-terminated string: copy the token */
  len = i - start;
  if (len < sizeof small) {
    memcpy(small, z + start, len);
    small[len] = '\0';
    text = small;
  } else {
    text = tdbMemStrndup(mem, z + start, len);
    if (!text) return tdbErrNoMem(err);
  }
  f = strtof(text, &stop);
  if (text != small) tdbMemFree(mem, text);
  if (stop != text + len) return tdbVectorSyntax(err, start, "expected a number");
  if (!isfinite(f)) {
    return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_OUT_OF_RANGE,
                     "value out of range for type VECTOR at offset %zu: \"%.*s\"", start,
                     (int)TDB_MIN(len, 64), z + start);
  }
  *out = f;
  *pos = i;
  return TDB_OK;
}

TDB_PRIVATE int tdbVectorParse(TdbMem *mem, TdbErr *err, const char *z, size_t n,
                               int dim, TdbValue *out) {
  void *bytes = NULL;
  size_t cap = 0, count = 0, i;
  int rc = TDB_OK;
  tdbValueSetNull(out);
  i = tdbJsonSkipBlanks(z, n, 0);
  if (i >= n) return tdbVectorSyntax(err, n, "unexpected end of input");
  if (z[i] != '[') return tdbVectorSyntax(err, i, "expected '['");
  i = tdbJsonSkipBlanks(z, n, i + 1);
  if (i < n && z[i] == ']') {
    i++;
  } else {
    for (;;) {
      float f = 0;
      uint32_t bits;
      unsigned char *p;
      i = tdbJsonSkipBlanks(z, n, i);
      rc = tdbVectorNumber(mem, err, z, n, &i, &f);
      if (rc != TDB_OK) goto done;
      if (count >= (UINT32_MAX - 1) / 4) {
        rc = tdbErrSet(err, TDB_TOOBIG, NULL, "vector of more than %u dimensions",
                       (unsigned)((UINT32_MAX - 1) / 4));
        goto done;
      }
      /* room for this element and the NUL of the final value */
      if (tdbMemGrow(mem, &bytes, &cap, 4 * (count + 1) + 1, 1) != 0) {
        rc = tdbErrNoMem(err);
        goto done;
      }
      memcpy(&bits, &f, sizeof bits);
      p = (unsigned char *)bytes + 4 * count;
      p[0] = (unsigned char)(bits & 0xFF);
      p[1] = (unsigned char)(bits >> 8 & 0xFF);
      p[2] = (unsigned char)(bits >> 16 & 0xFF);
      p[3] = (unsigned char)(bits >> 24);
      count++;
      i = tdbJsonSkipBlanks(z, n, i);
      if (i >= n) {
        rc = tdbVectorSyntax(err, n, "unexpected end of input");
        goto done;
      }
      if (z[i] == ']') {
        i++;
        break;
      }
      if (z[i] != ',') {
        rc = tdbVectorSyntax(err, i, "expected ',' or ']'");
        goto done;
      }
      i++;
    }
  }
  i = tdbJsonSkipBlanks(z, n, i);
  if (i != n) {
    rc = tdbVectorSyntax(err, i, "expected end of input");
    goto done;
  }
  if (dim > 0 && count != (size_t)dim) {
    rc = tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DATA,
                   "expected %d dimensions, got %zu", dim, count);
    goto done;
  }
  if (!bytes) {
    bytes = tdbMemAlloc(mem, 1);
    if (!bytes) {
      rc = tdbErrNoMem(err);
      goto done;
    }
  }
  ((char *)bytes)[4 * count] = '\0';
  tdbValueTakeBytes(out, TDB_TYPE_VECTOR, bytes, 4 * count);
  bytes = NULL;
done:
  tdbMemFree(mem, bytes);
  return rc;
}

/* The shortest text of a float32 that reads back as it (see json.h). buf
** holds 48 bytes. Returns the length. */
static size_t tdbVectorFormatFloat(float f, char *buf) {
  char best[32], e[32];
  const char *p;
  int digits, exponent, precision;
  size_t k = 0, nd = 0;
  char mant[16];
  if (isnan(f)) return (size_t)snprintf(buf, 48, "NaN");
  if (isinf(f)) return (size_t)snprintf(buf, 48, f > 0 ? "Infinity" : "-Infinity");
  /* 9 significant digits always read back; drop digits while they still do */
  snprintf(best, sizeof best, "%.8e", (double)f);
  for (precision = 7; precision >= 0; precision--) {
    snprintf(e, sizeof e, "%.*e", precision, (double)f);
    if (strtof(e, NULL) != f) break;
    memcpy(best, e, sizeof e);
  }
  /* best is [-]d[.ddd]e(+|-)XX: lay it out like %g with precision 15 would */
  p = best;
  if (*p == '-') buf[k++] = *p++;
  while (*p && *p != 'e') {
    if (*p != '.' && nd < sizeof mant) mant[nd++] = *p;
    p++;
  }
  exponent = *p == 'e' ? atoi(p + 1) : 0;
  digits = (int)nd;
  if (exponent < -4 || exponent >= 15) {
    size_t len = strlen(best);
    memcpy(buf, best, len + 1);
    return len;
  }
  if (exponent < 0) {
    int zeros;
    buf[k++] = '0';
    buf[k++] = '.';
    for (zeros = 0; zeros < -exponent - 1; zeros++) buf[k++] = '0';
    memcpy(buf + k, mant, nd);
    k += nd;
  } else {
    int d;
    for (d = 0; d <= exponent; d++) buf[k++] = d < digits ? mant[d] : '0';
    if (digits > exponent + 1) {
      buf[k++] = '.';
      for (d = exponent + 1; d < digits; d++) buf[k++] = mant[d];
    }
  }
  buf[k] = '\0';
  return k;
}

TDB_PRIVATE void tdbVectorRender(TdbStr *out, const char *bytes, size_t n) {
  const unsigned char *p = (const unsigned char *)bytes;
  size_t i, count = n / 4;
  char buf[48];
  tdbStrAppendChar(out, '[');
  for (i = 0; i < count; i++) {
    uint32_t bits = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
                    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
    float f;
    memcpy(&f, &bits, sizeof f);
    if (i) tdbStrAppendChar(out, ',');
    tdbStrAppend(out, buf, tdbVectorFormatFloat(f, buf));
  }
  tdbStrAppendChar(out, ']');
}
