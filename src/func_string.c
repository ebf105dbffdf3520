/*
** func_string.c — the text functions of the library (docs/functions.md
** "String functions"). Positions and lengths count characters (UTF-8 code
** points), not bytes; results are checked against TDB_FUNC_MAX_BYTES before
** they are built. Semantics follow PostgreSQL: substring positions start at
** 1 and a negative length is 22011; left/right with a negative count drop
** characters from the other end; lpad/rpad truncate to the length.
*/
#include "func.h"

/* ---- case mapping ----------------------------------------------------------
** ASCII, Latin-1 Supplement, Latin Extended-A, basic Greek and Cyrillic:
** every pair maps between characters of the same UTF-8 length. */

/* Decode the character at s (len bytes from tdbUtf8CharLen). */
static uint32_t tdbUtf8Decode(const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  switch (len) {
    case 2: return ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
    case 3: return ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
    case 4:
      return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
             ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
    default: return u[0];
  }
}

/* Append code point cp as UTF-8. */
static void tdbUtf8Append(TdbStr *out, uint32_t cp) {
  char b[4];
  if (cp < 0x80) {
    tdbStrAppendChar(out, (char)cp);
  } else if (cp < 0x800) {
    b[0] = (char)(0xc0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3f));
    tdbStrAppend(out, b, 2);
  } else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f));
    tdbStrAppend(out, b, 3);
  } else {
    b[0] = (char)(0xf0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    tdbStrAppend(out, b, 4);
  }
}

static uint32_t tdbToUpper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if ((c >= 0xe0 && c <= 0xfe && c != 0xf7)) return c - 32;
  if (c == 0xff) return 0x178;
  if (c >= 0x100 && c <= 0x137) return c & ~1u;
  if (c >= 0x139 && c <= 0x148) return (c & 1) ? c : c - 1;
  if (c >= 0x14a && c <= 0x177) return c & ~1u;
  if (c >= 0x179 && c <= 0x17e) return (c & 1) ? c : c - 1;
  if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) return c - 32;
  if (c == 0x3c2) return 0x3a3; /* final sigma */
  if (c >= 0x430 && c <= 0x44f) return c - 32;
  if (c >= 0x450 && c <= 0x45f) return c - 80;
  return c;
}

static uint32_t tdbToLower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 32;
  if (c == 0x178) return 0xff;
  if (c >= 0x100 && c <= 0x137) return c | 1u;
  if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
  if (c >= 0x14a && c <= 0x177) return c | 1u;
  if (c >= 0x179 && c <= 0x17e) return (c & 1) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}

/* Is code point c part of a word for initcap? ASCII letters and digits, and
** the non-ASCII characters outside the punctuation and symbol blocks
** (Latin-1 signs, general punctuation to miscellaneous symbols, CJK
** punctuation, emoji). */
static int tdbIsWordChar(uint32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if ((c >= 0xa0 && c <= 0xbf) || c == 0xd7 || c == 0xf7) return 0;
  if ((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) || c >= 0x1f000) return 0;
  return 1;
}

/* A TEXT argument, or 42883 naming the function. */
static int tdbNeedText(TdbEvalCtx *ctx, const char *fn, const TdbValue *v) {
  return v->type == TDB_TYPE_TEXT ? TDB_OK : tdbFuncArgType(ctx, fn, v, "TEXT");
}

/* mode 0 lower, 1 upper, 2 initcap (upper after a non-alphanumeric). */
static int tdbMapCase(TdbEvalCtx *ctx, const char *fn, const TdbValue *v, int mode,
                      TdbValue *out) {
  TdbStr s;
  size_t i = 0;
  int word = 0;
  if (TDB_VALUE_IS_NULL(v)) return TDB_OK;
  if (tdbNeedText(ctx, fn, v) != TDB_OK) return ctx->err->code;
  tdbStrInit(&s, ctx->mem);
  while (i < v->n) {
    size_t len = tdbUtf8CharLen(v->u.z + i, v->n - i);
    uint32_t c = tdbUtf8Decode(v->u.z + i, len);
    int alnum = tdbIsWordChar(c);
    if (len == 1 && c >= 0x80) {
      tdbStrAppendChar(&s, v->u.z[i]); /* a stray byte stays as it is */
    } else {
      uint32_t m = mode == 1 || (mode == 2 && !word) ? tdbToUpper(c) : tdbToLower(c);
      tdbUtf8Append(&s, m);
    }
    word = alnum;
    i += len;
  }
  return tdbFuncTakeStr(ctx, fn, &s, TDB_TYPE_TEXT, out);
}

TDB_FN(tdbFnUpper) {
  TDB_UNUSED(argc);
  return tdbMapCase(ctx, "upper", &argv[0], 1, out);
}

TDB_FN(tdbFnLower) {
  TDB_UNUSED(argc);
  return tdbMapCase(ctx, "lower", &argv[0], 0, out);
}

TDB_FN(tdbFnInitcap) {
  TDB_UNUSED(argc);
  return tdbMapCase(ctx, "initcap", &argv[0], 2, out);
}

/* ---- lengths and positions -------------------------------------------------- */

/* length(s): characters of TEXT, bytes of BLOB. */
TDB_FN(tdbFnLength) {
  TDB_UNUSED(argc);
  switch (argv[0].type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_TEXT: tdbValueSetInt(out, tdbUtf8Count(argv[0].u.z, argv[0].n)); return TDB_OK;
    case TDB_TYPE_BLOB: tdbValueSetInt(out, argv[0].n); return TDB_OK;
    default: return tdbFuncArgType(ctx, "length", &argv[0], "TEXT or BLOB");
  }
}

/* octet_length(s): bytes of TEXT or BLOB. */
TDB_FN(tdbFnOctetLength) {
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (argv[0].type != TDB_TYPE_TEXT && argv[0].type != TDB_TYPE_BLOB) {
    return tdbFuncArgType(ctx, "octet_length", &argv[0], "TEXT or BLOB");
  }
  tdbValueSetInt(out, argv[0].n);
  return TDB_OK;
}

/* Are any of argv[0..argc) NULL? */
static int tdbAnyNull(int argc, const TdbValue *argv) {
  int i;
  for (i = 0; i < argc; i++) {
    if (TDB_VALUE_IS_NULL(&argv[i])) return 1;
  }
  return 0;
}

/* Byte offset of the first occurrence of needle in hay at or after `from`,
** or -1. */
static int64_t tdbFind(const char *hay, size_t hn, const char *needle, size_t nn, size_t from) {
  size_t i;
  if (nn == 0) return (int64_t)from;
  for (i = from; i + nn <= hn; i++) {
    if (hay[i] == needle[0] && memcmp(hay + i, needle, nn) == 0) return (int64_t)i;
  }
  return -1;
}

/* strpos(s, sub) = position(sub IN s): 1-based character position, 0 if absent. */
TDB_FN(tdbFnStrpos) {
  int64_t at;
  TDB_UNUSED(argc);
  if (tdbAnyNull(2, argv)) return TDB_OK;
  if (tdbNeedText(ctx, "strpos", &argv[0]) || tdbNeedText(ctx, "strpos", &argv[1])) {
    return ctx->err->code;
  }
  at = tdbFind(argv[0].u.z, argv[0].n, argv[1].u.z, argv[1].n, 0);
  tdbValueSetInt(out, at < 0 ? 0 : tdbUtf8Count(argv[0].u.z, (size_t)at) + 1);
  return TDB_OK;
}

/* ---- substrings ---------------------------------------------------------------- */

/* substring(s, start [, count]): characters start .. start+count-1 (1-based);
** positions before 1 count toward the length but yield nothing. BLOBs work
** in bytes. */
TDB_FN(tdbFnSubstr) {
  int64_t start, count = INT64_MAX, stop, first;
  const TdbValue *s = &argv[0];
  size_t b, e;
  if (tdbAnyNull(argc, argv)) return TDB_OK;
  if (s->type != TDB_TYPE_TEXT && s->type != TDB_TYPE_BLOB) {
    return tdbFuncArgType(ctx, "substring", s, "TEXT or BLOB");
  }
  if (tdbFuncInt(ctx, "substring", &argv[1], &start) != TDB_OK) return ctx->err->code;
  if (argc > 2) {
    if (tdbFuncInt(ctx, "substring", &argv[2], &count) != TDB_OK) return ctx->err->code;
    if (count < 0) {
      return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_SUBSTRING,
                       "negative substring length not allowed");
    }
  }
  stop = (start > 0 && count > INT64_MAX - start) ? INT64_MAX : start + count; /* exclusive */
  first = start < 1 ? 1 : start;
  if (stop <= first) return tdbFuncSetBytes(ctx, out, s->type, "", 0);
  if (s->type == TDB_TYPE_BLOB) {
    b = first - 1 >= (int64_t)s->n ? s->n : (size_t)(first - 1);
    e = stop - 1 >= (int64_t)s->n ? s->n : (size_t)(stop - 1);
  } else {
    b = tdbUtf8Offset(s->u.z, s->n, first - 1);
    e = stop == INT64_MAX ? s->n : b + tdbUtf8Offset(s->u.z + b, s->n - b, stop - first);
  }
  return tdbFuncSetBytes(ctx, out, s->type, s->u.z + b, e - b);
}

/* left(s, n) / right(s, n): the first / last n characters; n < 0 drops |n|
** characters from the other end. */
static int tdbLeftRight(TdbEvalCtx *ctx, const TdbValue *argv, int right, TdbValue *out) {
  const char *fn = right ? "right" : "left";
  int64_t n, chars, keep;
  size_t b, e;
  if (tdbAnyNull(2, argv)) return TDB_OK;
  if (tdbNeedText(ctx, fn, &argv[0]) != TDB_OK) return ctx->err->code;
  if (tdbFuncInt(ctx, fn, &argv[1], &n) != TDB_OK) return ctx->err->code;
  chars = tdbUtf8Count(argv[0].u.z, argv[0].n);
  keep = n >= 0 ? (n < chars ? n : chars) : (n <= -chars ? 0 : chars + n);
  if (right) {
    b = tdbUtf8Offset(argv[0].u.z, argv[0].n, chars - keep);
    e = argv[0].n;
  } else {
    b = 0;
    e = tdbUtf8Offset(argv[0].u.z, argv[0].n, keep);
  }
  return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, argv[0].u.z + b, e - b);
}

TDB_FN(tdbFnLeft) {
  TDB_UNUSED(argc);
  return tdbLeftRight(ctx, argv, 0, out);
}

TDB_FN(tdbFnRight) {
  TDB_UNUSED(argc);
  return tdbLeftRight(ctx, argv, 1, out);
}

/* ---- trimming ---------------------------------------------------------------- */

/* Is the character c (len bytes) one of the characters of set? */
static int tdbTrimSetHas(const char *c, size_t len, const TdbValue *set) {
  size_t i = 0;
  while (i < set->n) {
    size_t l = tdbUtf8CharLen(set->u.z + i, set->n - i);
    if (l == len && memcmp(set->u.z + i, c, len) == 0) return 1;
    i += l;
  }
  return 0;
}

/* sides: 1 leading, 2 trailing, 3 both. The default set is one space. */
static int tdbTrimSides(TdbEvalCtx *ctx, const char *fn, int argc, const TdbValue *argv,
                        int sides, TdbValue *out) {
  TdbValue space;
  const TdbValue *set = &space;
  const char *z = argv[0].u.z;
  size_t b = 0, e = argv[0].n;
  if (tdbAnyNull(argc, argv)) return TDB_OK;
  if (tdbNeedText(ctx, fn, &argv[0]) != TDB_OK) return ctx->err->code;
  if (argc > 1) {
    if (tdbNeedText(ctx, fn, &argv[1]) != TDB_OK) return ctx->err->code;
    set = &argv[1];
  } else {
    tdbValueSetNull(&space);
    space.type = TDB_TYPE_TEXT;
    space.u.z = (char *)" ";
    space.n = 1;
  }
  if (sides & 1) {
    while (b < e) {
      size_t l = tdbUtf8CharLen(z + b, e - b);
      if (!tdbTrimSetHas(z + b, l, set)) break;
      b += l;
    }
  }
  if (sides & 2) {
    while (e > b) {
      size_t s = e - 1, l;
      while (s > b && ((unsigned char)z[s] & 0xc0) == 0x80) s--; /* back to a lead byte */
      l = tdbUtf8CharLen(z + s, e - s);
      if (s + l != e) { /* not one whole character: a stray continuation byte */
        s = e - 1;
        l = 1;
      }
      if (!tdbTrimSetHas(z + s, l, set)) break;
      e = s;
    }
  }
  return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, z + b, e - b);
}

TDB_FN(tdbFnTrim) {
  return tdbTrimSides(ctx, "trim", argc, argv, 3, out);
}

TDB_FN(tdbFnLtrim) {
  return tdbTrimSides(ctx, "ltrim", argc, argv, 1, out);
}

TDB_FN(tdbFnRtrim) {
  return tdbTrimSides(ctx, "rtrim", argc, argv, 2, out);
}

/* ---- building strings ----------------------------------------------------------- */

/* replace(s, from, to): every non-overlapping occurrence, left to right. */
TDB_FN(tdbFnReplace) {
  TdbStr s;
  size_t i = 0;
  int k;
  TDB_UNUSED(argc);
  if (tdbAnyNull(3, argv)) return TDB_OK;
  for (k = 0; k < 3; k++) {
    if (tdbNeedText(ctx, "replace", &argv[k]) != TDB_OK) return ctx->err->code;
  }
  if (argv[1].n == 0) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, argv[0].u.z, argv[0].n);
  tdbStrInit(&s, ctx->mem);
  while (i <= argv[0].n) {
    int64_t at = tdbFind(argv[0].u.z, argv[0].n, argv[1].u.z, argv[1].n, i);
    if (at < 0) {
      tdbStrAppend(&s, argv[0].u.z + i, argv[0].n - i);
      break;
    }
    tdbStrAppend(&s, argv[0].u.z + i, (size_t)at - i);
    tdbStrAppend(&s, argv[2].u.z, argv[2].n);
    i = (size_t)at + argv[1].n;
    if (s.n > TDB_FUNC_MAX_BYTES) break; /* reported by tdbFuncTakeStr */
  }
  return tdbFuncTakeStr(ctx, "replace", &s, TDB_TYPE_TEXT, out);
}

/* concat(a, ...): the text of every non-NULL argument. */
TDB_FN(tdbFnConcat) {
  TdbStr s;
  int i;
  tdbStrInit(&s, ctx->mem);
  for (i = 0; i < argc && s.n <= TDB_FUNC_MAX_BYTES; i++) {
    if (!TDB_VALUE_IS_NULL(&argv[i])) tdbValueRender(&s, &argv[i]);
  }
  if (s.n == 0 && !s.oom) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, "", 0);
  return tdbFuncTakeStr(ctx, "concat", &s, TDB_TYPE_TEXT, out);
}

/* concat_ws(sep, a, ...): the non-NULL arguments joined by sep; NULL sep gives NULL. */
TDB_FN(tdbFnConcatWs) {
  TdbStr s;
  int i, first = 1;
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (tdbNeedText(ctx, "concat_ws", &argv[0]) != TDB_OK) return ctx->err->code;
  tdbStrInit(&s, ctx->mem);
  for (i = 1; i < argc && s.n <= TDB_FUNC_MAX_BYTES; i++) {
    if (TDB_VALUE_IS_NULL(&argv[i])) continue;
    if (!first) tdbStrAppend(&s, argv[0].u.z, argv[0].n);
    tdbValueRender(&s, &argv[i]);
    first = 0;
  }
  if (s.n == 0 && !s.oom) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, "", 0);
  return tdbFuncTakeStr(ctx, "concat_ws", &s, TDB_TYPE_TEXT, out);
}

/* lpad / rpad(s, length [, fill]): pad with fill (default a space) to length
** characters, or truncate s to length; an empty fill only truncates. */
static int tdbPad(TdbEvalCtx *ctx, int argc, const TdbValue *argv, int left, TdbValue *out) {
  const char *fn = left ? "lpad" : "rpad";
  const char *fill = " ";
  size_t fill_n = 1, f = 0;
  int64_t len, chars, need;
  TdbStr s;
  if (tdbAnyNull(argc, argv)) return TDB_OK;
  if (tdbNeedText(ctx, fn, &argv[0]) != TDB_OK) return ctx->err->code;
  if (tdbFuncInt(ctx, fn, &argv[1], &len) != TDB_OK) return ctx->err->code;
  if (argc > 2) {
    if (tdbNeedText(ctx, fn, &argv[2]) != TDB_OK) return ctx->err->code;
    fill = argv[2].u.z;
    fill_n = argv[2].n;
  }
  if (len <= 0) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, "", 0);
  chars = tdbUtf8Count(argv[0].u.z, argv[0].n);
  if (len <= chars || fill_n == 0) {
    size_t e = tdbUtf8Offset(argv[0].u.z, argv[0].n, len);
    return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, argv[0].u.z, e);
  }
  need = len - chars;
  /* every fill character is at most 4 bytes; refuse early what cannot fit */
  if (tdbFuncCheckSize(ctx, fn, (uint64_t)need + argv[0].n) != TDB_OK) return ctx->err->code;
  tdbStrInit(&s, ctx->mem);
  if (!left) tdbStrAppend(&s, argv[0].u.z, argv[0].n);
  for (; need > 0 && !s.oom && s.n <= TDB_FUNC_MAX_BYTES; need--) {
    size_t l = tdbUtf8CharLen(fill + f, fill_n - f);
    tdbStrAppend(&s, fill + f, l);
    f += l;
    if (f >= fill_n) f = 0;
  }
  if (left) tdbStrAppend(&s, argv[0].u.z, argv[0].n);
  return tdbFuncTakeStr(ctx, fn, &s, TDB_TYPE_TEXT, out);
}

TDB_FN(tdbFnLpad) {
  return tdbPad(ctx, argc, argv, 1, out);
}

TDB_FN(tdbFnRpad) {
  return tdbPad(ctx, argc, argv, 0, out);
}

/* reverse(s): the characters in reverse order. */
TDB_FN(tdbFnReverse) {
  char *z;
  size_t i = 0, n = argv[0].n;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (tdbNeedText(ctx, "reverse", &argv[0]) != TDB_OK) return ctx->err->code;
  z = tdbMemAlloc(ctx->mem, n + 1);
  if (!z) return tdbErrNoMem(ctx->err);
  while (i < n) {
    size_t l = tdbUtf8CharLen(argv[0].u.z + i, n - i);
    memcpy(z + n - i - l, argv[0].u.z + i, l);
    i += l;
  }
  z[n] = '\0';
  tdbValueTakeBytes(out, TDB_TYPE_TEXT, z, n);
  return TDB_OK;
}

/* repeat(s, n): s n times (n <= 0: empty). */
TDB_FN(tdbFnRepeat) {
  int64_t n, k;
  TdbStr s;
  TDB_UNUSED(argc);
  if (tdbAnyNull(2, argv)) return TDB_OK;
  if (tdbNeedText(ctx, "repeat", &argv[0]) != TDB_OK) return ctx->err->code;
  if (tdbFuncInt(ctx, "repeat", &argv[1], &n) != TDB_OK) return ctx->err->code;
  if (n <= 0 || argv[0].n == 0) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, "", 0);
  if ((uint64_t)n > TDB_FUNC_MAX_BYTES / argv[0].n) { /* the product cannot overflow below */
    return tdbFuncCheckSize(ctx, "repeat", (uint64_t)TDB_FUNC_MAX_BYTES + 1);
  }
  tdbStrInit(&s, ctx->mem);
  for (k = 0; k < n && !s.oom; k++) tdbStrAppend(&s, argv[0].u.z, argv[0].n);
  return tdbFuncTakeStr(ctx, "repeat", &s, TDB_TYPE_TEXT, out);
}

/* split_part(s, delimiter, n): field n (1-based; negative counts from the
** end) of s split at delimiter; '' when there is no such field. n = 0 is
** 22023. An empty delimiter makes s the only field. */
TDB_FN(tdbFnSplitPart) {
  int64_t n, field = 1, fields = 1;
  size_t i = 0, d;
  const char *z = argv[0].u.z, *delim = argv[1].u.z;
  TDB_UNUSED(argc);
  if (tdbAnyNull(3, argv)) return TDB_OK;
  if (tdbNeedText(ctx, "split_part", &argv[0]) != TDB_OK ||
      tdbNeedText(ctx, "split_part", &argv[1]) != TDB_OK ||
      tdbFuncInt(ctx, "split_part", &argv[2], &n) != TDB_OK) {
    return ctx->err->code;
  }
  if (n == 0) {
    return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_RANGE,
                     "field position must not be zero");
  }
  d = argv[1].n;
  if (d == 0) {
    if (n == 1 || n == -1) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, z, argv[0].n);
    return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, "", 0);
  }
  if (n < 0) { /* count the fields, then take it from the front */
    int64_t at = 0;
    while ((at = tdbFind(z, argv[0].n, delim, d, (size_t)at)) >= 0) {
      fields++;
      at += (int64_t)d;
    }
    if (n < -fields) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, "", 0);
    n = fields + n + 1;
  }
  while (field < n) {
    int64_t at = tdbFind(z, argv[0].n, delim, d, i);
    if (at < 0) return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, "", 0);
    i = (size_t)at + d;
    field++;
  }
  {
    int64_t end = tdbFind(z, argv[0].n, delim, d, i);
    size_t e = end < 0 ? argv[0].n : (size_t)end;
    return tdbFuncSetBytes(ctx, out, TDB_TYPE_TEXT, z + i, e - i);
  }
}
