/*
** func_datetime.c — the date/time functions of the library (docs/functions.md
** "Date/time functions"): now(), epoch(), to_timestamp(), date_part() (and
** EXTRACT, which the parser rewrites into it), date_trunc() and to_char().
** TIMESTAMP is microseconds since 1970-01-01T00:00:00Z, always UTC; weeks
** start on Monday (ISO 8601); field and unit names are case-insensitive and
** an unknown one is 22023. The TIMESTAMP / INTERVAL operators are in
** interval.c.
*/
#include "func.h"
#include "datetime.h"
#include "interval.h"

#include <math.h>
#include <stdio.h>

#define TDB_US_HOUR (INT64_C(3600) * TDB_MICROS_PER_SEC)
#define TDB_US_MIN (INT64_C(60) * TDB_MICROS_PER_SEC)

/* A timestamp taken apart (UTC). */
typedef struct TdbCivil {
  int64_t year;
  int month, day;        /* 1-based */
  int hour, minute, second;
  int micros;            /* 0..999999 */
  int64_t days;          /* since 1970-01-01 */
  int dow;               /* 0 Sunday .. 6 Saturday */
  int doy;               /* 1..366 */
} TdbCivil;

static int64_t tdbDivFloor(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

static void tdbCivilOf(int64_t ts, TdbCivil *c) {
  int64_t rem;
  c->days = tdbDivFloor(ts, TDB_MICROS_PER_DAY);
  rem = ts % TDB_MICROS_PER_DAY; /* not ts - days * DAY: that overflows near INT64_MIN */
  if (rem < 0) rem += TDB_MICROS_PER_DAY;
  tdbTimeCivilFromDays(c->days, &c->year, &c->month, &c->day);
  c->hour = (int)(rem / TDB_US_HOUR);
  c->minute = (int)(rem / TDB_US_MIN % 60);
  c->second = (int)(rem / TDB_MICROS_PER_SEC % 60);
  c->micros = (int)(rem % TDB_MICROS_PER_SEC);
  c->dow = (int)(((c->days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
  c->doy = (int)(c->days - tdbTimeDaysFromCivil(c->year, 1, 1)) + 1;
}

/* ISO 8601 week number and week-numbering year. */
static void tdbIsoWeek(const TdbCivil *c, int *week, int64_t *isoyear) {
  int isodow = c->dow == 0 ? 7 : c->dow;
  int64_t thursday = c->days + (4 - isodow), y;
  int m, d;
  tdbTimeCivilFromDays(thursday, &y, &m, &d);
  *isoyear = y;
  *week = (int)((thursday - tdbTimeDaysFromCivil(y, 1, 1)) / 7) + 1;
}

/* Lower-case copy of a TEXT field name into buf (false when too long). */
static int tdbFieldName(const TdbValue *v, char *buf, size_t size) {
  size_t i;
  if (v->n >= size) return 0;
  for (i = 0; i < v->n; i++) {
    char ch = v->u.z[i];
    buf[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  }
  buf[i] = '\0';
  return 1;
}

static int tdbUnknownUnit(TdbEvalCtx *ctx, const char *fn, const TdbValue *unit, int type) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_RANGE,
                   "%s: unit \"%.*s\" not recognized for type %s", fn, (int)TDB_MIN(unit->n, 40),
                   unit->u.z, tdbTypeName(type));
}

static int tdbDtRange(TdbEvalCtx *ctx) {
  return tdbErrSet(ctx->err, TDB_ERROR_DATA, TDB_SQLSTATE_DATETIME_RANGE, "timestamp out of range");
}

/* now() / CURRENT_TIMESTAMP: the statement's start time (the same value for
** every row and every call in one statement). */
TDB_FN(tdbFnNow) {
  TDB_UNUSED(argc);
  TDB_UNUSED(argv);
  tdbValueSetTimestamp(out, ctx->now_micros);
  return TDB_OK;
}

/* Seconds of an interval, a year as 365.25 days and a month as 30 (PostgreSQL's epoch). */
static double tdbIntervalSeconds(const TdbValue *iv) {
  int32_t m = TDB_INTERVAL_MONTHS(iv);
  return (double)(m / 12) * 365.25 * 86400.0 + (double)(m % 12) * 30.0 * 86400.0 +
         (double)iv->u.i / 1e6;
}

/* epoch(ts): REAL seconds since 1970-01-01T00:00:00Z (fractional for µs);
** epoch(interval): the interval's length in seconds. */
TDB_FN(tdbFnEpoch) {
  TDB_UNUSED(argc);
  switch (argv[0].type) {
    case TDB_TYPE_NULL: return TDB_OK;
    case TDB_TYPE_TIMESTAMP: tdbValueSetReal(out, (double)argv[0].u.i / 1e6); return TDB_OK;
    case TDB_TYPE_INTERVAL: tdbValueSetReal(out, tdbIntervalSeconds(&argv[0])); return TDB_OK;
    default: return tdbFuncArgType(ctx, "epoch", &argv[0], "TIMESTAMP or INTERVAL");
  }
}

/* to_timestamp(seconds): the TIMESTAMP that many seconds after the epoch. */
TDB_FN(tdbFnToTimestamp) {
  double s;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0])) return TDB_OK;
  if (argv[0].type == TDB_TYPE_INTEGER) {
    int64_t us;
    if (tdbMulInt(argv[0].u.i, TDB_MICROS_PER_SEC, &us) != 0) return tdbDtRange(ctx);
    tdbValueSetTimestamp(out, us);
    return TDB_OK;
  }
  if (argv[0].type != TDB_TYPE_REAL) {
    return tdbFuncArgType(ctx, "to_timestamp", &argv[0], "a number of seconds");
  }
  s = argv[0].u.r * 1e6;
  if (!(s > -9223372036854775807.0 && s < 9223372036854775807.0)) return tdbDtRange(ctx);
  tdbValueSetTimestamp(out, (int64_t)llround(s));
  return TDB_OK;
}

/* date_part(field, interval). */
static int tdbDatePartInterval(TdbEvalCtx *ctx, const TdbValue *unit, const char *f,
                           const TdbValue *iv, TdbValue *out) {
  int32_t m = TDB_INTERVAL_MONTHS(iv);
  int64_t us = iv->u.i, in_day = us % TDB_MICROS_PER_DAY;
  if (!strcmp(f, "year") || !strcmp(f, "years")) tdbValueSetInt(out, m / 12);
  else if (!strcmp(f, "month") || !strcmp(f, "months") || !strcmp(f, "mon")) tdbValueSetInt(out, m % 12);
  else if (!strcmp(f, "day") || !strcmp(f, "days")) tdbValueSetInt(out, us / TDB_MICROS_PER_DAY);
  else if (!strcmp(f, "hour") || !strcmp(f, "hours")) tdbValueSetInt(out, in_day / TDB_US_HOUR);
  else if (!strcmp(f, "minute") || !strcmp(f, "minutes")) tdbValueSetInt(out, in_day / TDB_US_MIN % 60);
  else if (!strcmp(f, "second") || !strcmp(f, "seconds")) tdbValueSetReal(out, (double)(in_day % TDB_US_MIN) / 1e6);
  else if (!strcmp(f, "microsecond") || !strcmp(f, "microseconds")) tdbValueSetInt(out, in_day % TDB_US_MIN);
  else if (!strcmp(f, "epoch")) tdbValueSetReal(out, tdbIntervalSeconds(iv));
  else return tdbUnknownUnit(ctx, "date_part", unit, TDB_TYPE_INTERVAL);
  return TDB_OK;
}

/* date_part(field, ts) = EXTRACT(field FROM ts). REAL for second,
** milliseconds and epoch (they have fractions), INTEGER otherwise. */
TDB_FN(tdbFnDatePart) {
  char f[24];
  TdbCivil c;
  int64_t v;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0]) || TDB_VALUE_IS_NULL(&argv[1])) return TDB_OK;
  if (argv[0].type != TDB_TYPE_TEXT) return tdbFuncArgType(ctx, "date_part", &argv[0], "a TEXT field name");
  if (argv[1].type != TDB_TYPE_TIMESTAMP && argv[1].type != TDB_TYPE_INTERVAL) {
    return tdbFuncArgType(ctx, "date_part", &argv[1], "TIMESTAMP or INTERVAL");
  }
  if (!tdbFieldName(&argv[0], f, sizeof f)) {
    return tdbUnknownUnit(ctx, "date_part", &argv[0], argv[1].type);
  }
  if (argv[1].type == TDB_TYPE_INTERVAL) return tdbDatePartInterval(ctx, &argv[0], f, &argv[1], out);
  tdbCivilOf(argv[1].u.i, &c);
  if (!strcmp(f, "year") || !strcmp(f, "years")) v = c.year;
  else if (!strcmp(f, "month") || !strcmp(f, "months")) v = c.month;
  else if (!strcmp(f, "day") || !strcmp(f, "days")) v = c.day;
  else if (!strcmp(f, "hour") || !strcmp(f, "hours")) v = c.hour;
  else if (!strcmp(f, "minute") || !strcmp(f, "minutes")) v = c.minute;
  else if (!strcmp(f, "second") || !strcmp(f, "seconds")) {
    tdbValueSetReal(out, c.second + c.micros / 1e6);
    return TDB_OK;
  } else if (!strcmp(f, "milliseconds") || !strcmp(f, "millisecond")) {
    tdbValueSetReal(out, c.second * 1000.0 + c.micros / 1e3);
    return TDB_OK;
  } else if (!strcmp(f, "microseconds") || !strcmp(f, "microsecond")) v = c.second * INT64_C(1000000) + c.micros;
  else if (!strcmp(f, "epoch")) {
    tdbValueSetReal(out, (double)argv[1].u.i / 1e6);
    return TDB_OK;
  } else if (!strcmp(f, "dow")) v = c.dow;
  else if (!strcmp(f, "isodow")) v = c.dow == 0 ? 7 : c.dow;
  else if (!strcmp(f, "doy")) v = c.doy;
  else if (!strcmp(f, "quarter")) v = (c.month - 1) / 3 + 1;
  else if (!strcmp(f, "week") || !strcmp(f, "isoyear")) {
    int week;
    int64_t isoyear;
    tdbIsoWeek(&c, &week, &isoyear);
    v = f[0] == 'w' ? week : isoyear;
  } else if (!strcmp(f, "decade")) v = tdbDivFloor(c.year, 10);
  else if (!strcmp(f, "century")) v = c.year > 0 ? (c.year + 99) / 100 : -((99 - c.year) / 100);
  else if (!strcmp(f, "millennium")) v = c.year > 0 ? (c.year + 999) / 1000 : -((999 - c.year) / 1000);
  else return tdbUnknownUnit(ctx, "date_part", &argv[0], TDB_TYPE_TIMESTAMP);
  tdbValueSetInt(out, v);
  return TDB_OK;
}

/* The first day (days since epoch) of the year, or of the decade / century /
** millennium starting with years ending in 1 (PostgreSQL's rule for the last
** two). */
static int64_t tdbYearStart(int64_t y) {
  return tdbTimeDaysFromCivil(y, 1, 1);
}

/* date_trunc(unit, ts): ts rounded down to the start of its unit. */
TDB_FN(tdbFnDateTrunc) {
  char f[24];
  TdbCivil c;
  int64_t ts, days, r;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0]) || TDB_VALUE_IS_NULL(&argv[1])) return TDB_OK;
  if (argv[0].type != TDB_TYPE_TEXT) return tdbFuncArgType(ctx, "date_trunc", &argv[0], "a TEXT unit name");
  if (argv[1].type != TDB_TYPE_TIMESTAMP) return tdbFuncArgType(ctx, "date_trunc", &argv[1], "TIMESTAMP");
  ts = argv[1].u.i;
  if (!tdbFieldName(&argv[0], f, sizeof f)) return tdbUnknownUnit(ctx, "date_trunc", &argv[0], TDB_TYPE_TIMESTAMP);
  tdbCivilOf(ts, &c);
  if (!strcmp(f, "microseconds") || !strcmp(f, "microsecond")) {
    tdbValueSetTimestamp(out, ts);
    return TDB_OK;
  }
  if (!strcmp(f, "milliseconds") || !strcmp(f, "millisecond") || !strcmp(f, "second") ||
      !strcmp(f, "minute") || !strcmp(f, "hour")) {
    int64_t unit = f[0] == 'm' && f[1] == 'i' && f[2] == 'l' ? 1000
                   : f[0] == 's'                              ? TDB_MICROS_PER_SEC
                   : f[0] == 'm'                              ? TDB_US_MIN
                                                              : TDB_US_HOUR;
    /* rounding down can step below the range near its lower end */
    if (tdbMulInt(tdbDivFloor(ts, unit), unit, &r) != 0) return tdbDtRange(ctx);
  } else {
    if (!strcmp(f, "day")) days = c.days;
    else if (!strcmp(f, "week")) days = c.days - (c.dow == 0 ? 6 : c.dow - 1); /* Monday */
    else if (!strcmp(f, "month")) days = tdbTimeDaysFromCivil(c.year, c.month, 1);
    else if (!strcmp(f, "quarter")) days = tdbTimeDaysFromCivil(c.year, (c.month - 1) / 3 * 3 + 1, 1);
    else if (!strcmp(f, "year")) days = tdbYearStart(c.year);
    else if (!strcmp(f, "decade")) days = tdbYearStart(tdbDivFloor(c.year, 10) * 10);
    else if (!strcmp(f, "century")) days = tdbYearStart(tdbDivFloor(c.year - 1, 100) * 100 + 1);
    else if (!strcmp(f, "millennium")) days = tdbYearStart(tdbDivFloor(c.year - 1, 1000) * 1000 + 1);
    else return tdbUnknownUnit(ctx, "date_trunc", &argv[0], TDB_TYPE_TIMESTAMP);
    /* the start of a unit is never after ts, but can be before the range */
    if (tdbMulInt(days, TDB_MICROS_PER_DAY, &r) != 0) return tdbDtRange(ctx);
  }
  tdbValueSetTimestamp(out, r);
  return TDB_OK;
}

/* ---- to_char ------------------------------------------------------------------ */

static const char *const tdbMonthNames[12] = {"January", "February", "March", "April",
                                              "May", "June", "July", "August",
                                              "September", "October", "November", "December"};
static const char *const tdbDayNames[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};

/* Append a name in the case style of the pattern: 0 as written (Capitalized),
** 1 UPPER, 2 lower; abbreviated to 3 letters when abbrev; padded to `pad`
** characters unless fill mode (FM) is on. */
static void tdbAppendName(TdbStr *out, const char *name, int style, int abbrev, int pad, int fm) {
  size_t n = abbrev ? 3 : strlen(name), i;
  for (i = 0; i < n; i++) {
    char ch = name[i];
    if (style == 1 && ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
    if (style == 2 && ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
    tdbStrAppendChar(out, ch);
  }
  for (; !fm && !abbrev && (int)i < pad; i++) tdbStrAppendChar(out, ' ');
}

/* Append number v with at least `width` digits (no zero padding in FM). */
static void tdbAppendNum(TdbStr *out, int64_t v, int width, int fm) {
  tdbStrAppendf(out, "%0*lld", fm ? 1 : width, (long long)v);
}

/* Does the pattern at p start with tok (case-sensitive when exact)? */
static int tdbPatIs(const char *p, size_t left, const char *tok, int exact) {
  size_t i, n = strlen(tok);
  if (n > left) return 0;
  for (i = 0; i < n; i++) {
    char a = p[i], b = tok[i];
    if (!exact) {
      if (a >= 'a' && a <= 'z') a = (char)(a - 32);
    }
    if (a != b) return 0;
  }
  return 1;
}

/* to_char(ts, format): PostgreSQL template patterns (docs/functions.md
** lists them); text in double quotes is copied, other characters too. */
TDB_FN(tdbFnToChar) {
  TdbCivil c;
  TdbStr s;
  const char *p;
  size_t i = 0, n;
  int week;
  int64_t isoyear;
  TDB_UNUSED(argc);
  if (TDB_VALUE_IS_NULL(&argv[0]) || TDB_VALUE_IS_NULL(&argv[1])) return TDB_OK;
  if (argv[0].type != TDB_TYPE_TIMESTAMP) return tdbFuncArgType(ctx, "to_char", &argv[0], "TIMESTAMP");
  if (argv[1].type != TDB_TYPE_TEXT) return tdbFuncArgType(ctx, "to_char", &argv[1], "a TEXT format");
  tdbCivilOf(argv[0].u.i, &c);
  tdbIsoWeek(&c, &week, &isoyear);
  p = argv[1].u.z;
  n = argv[1].n;
  tdbStrInit(&s, ctx->mem);
  while (i < n && !s.oom) {
    const char *q = p + i;
    size_t left = n - i;
    int fm = 0, k;
    if (tdbPatIs(q, left, "FM", 0) && left > 2) {
      fm = 1;
      q += 2;
      left -= 2;
      i += 2;
    }
    /* names, case-sensitive: Month MONTH month, Mon MON mon, Day DAY day, Dy DY dy */
    {
      static const char *const tdbNamePats[] = {"Month", "MONTH", "month", "Mon", "MON", "mon",
                                                "Day", "DAY", "day", "Dy", "DY", "dy"};
      for (k = 0; k < 12; k++) {
        if (tdbPatIs(q, left, tdbNamePats[k], 1)) break;
      }
      if (k < 12) {
        int day = k >= 6, abbrev = (k % 6) >= 3;
        tdbAppendName(&s, day ? tdbDayNames[c.dow] : tdbMonthNames[c.month - 1], k % 3, abbrev,
                      9, fm);
        i += strlen(tdbNamePats[k]);
        continue;
      }
    }
    if (tdbPatIs(q, left, "HH24", 0)) { tdbAppendNum(&s, c.hour, 2, fm); i += 4; }
    else if (tdbPatIs(q, left, "HH12", 0)) { tdbAppendNum(&s, (c.hour + 11) % 12 + 1, 2, fm); i += 4; }
    else if (tdbPatIs(q, left, "HH", 0)) { tdbAppendNum(&s, (c.hour + 11) % 12 + 1, 2, fm); i += 2; }
    else if (tdbPatIs(q, left, "MI", 0)) { tdbAppendNum(&s, c.minute, 2, fm); i += 2; }
    else if (tdbPatIs(q, left, "SSSS", 0)) { tdbAppendNum(&s, c.hour * 3600 + c.minute * 60 + c.second, 1, fm); i += 4; }
    else if (tdbPatIs(q, left, "SS", 0)) { tdbAppendNum(&s, c.second, 2, fm); i += 2; }
    else if (tdbPatIs(q, left, "MS", 0)) { tdbAppendNum(&s, c.micros / 1000, 3, fm); i += 2; }
    else if (tdbPatIs(q, left, "US", 0)) { tdbAppendNum(&s, c.micros, 6, fm); i += 2; }
    else if (tdbPatIs(q, left, "YYYY", 0)) { tdbAppendNum(&s, c.year, 4, fm); i += 4; }
    else if (tdbPatIs(q, left, "IYYY", 0)) { tdbAppendNum(&s, isoyear, 4, fm); i += 4; }
    else if (tdbPatIs(q, left, "YYY", 0)) { tdbAppendNum(&s, (c.year % 1000 + 1000) % 1000, 3, fm); i += 3; }
    else if (tdbPatIs(q, left, "YY", 0)) { tdbAppendNum(&s, (c.year % 100 + 100) % 100, 2, fm); i += 2; }
    else if (tdbPatIs(q, left, "Y", 0)) { tdbAppendNum(&s, (c.year % 10 + 10) % 10, 1, fm); i += 1; }
    else if (tdbPatIs(q, left, "MM", 0)) { tdbAppendNum(&s, c.month, 2, fm); i += 2; }
    else if (tdbPatIs(q, left, "DDD", 0)) { tdbAppendNum(&s, c.doy, 3, fm); i += 3; }
    else if (tdbPatIs(q, left, "DD", 0)) { tdbAppendNum(&s, c.day, 2, fm); i += 2; }
    else if (tdbPatIs(q, left, "D", 0)) { tdbAppendNum(&s, c.dow + 1, 1, fm); i += 1; }
    else if (tdbPatIs(q, left, "IW", 0)) { tdbAppendNum(&s, week, 2, fm); i += 2; }
    else if (tdbPatIs(q, left, "Q", 0)) { tdbAppendNum(&s, (c.month - 1) / 3 + 1, 1, fm); i += 1; }
    else if (tdbPatIs(q, left, "AM", 1) || tdbPatIs(q, left, "PM", 1)) { tdbStrAppendz(&s, c.hour < 12 ? "AM" : "PM"); i += 2; }
    else if (tdbPatIs(q, left, "am", 1) || tdbPatIs(q, left, "pm", 1)) { tdbStrAppendz(&s, c.hour < 12 ? "am" : "pm"); i += 2; }
    else if (tdbPatIs(q, left, "TZ", 1)) { tdbStrAppendz(&s, "UTC"); i += 2; }
    else if (tdbPatIs(q, left, "tz", 1)) { tdbStrAppendz(&s, "utc"); i += 2; }
    else if (*q == '"') { /* quoted literal text; \" inside is a quote */
      i++;
      while (i < n && p[i] != '"') {
        if (p[i] == '\\' && i + 1 < n) i++;
        tdbStrAppendChar(&s, p[i++]);
      }
      if (i < n) i++;
    } else if (*q == '\\' && left > 1) {
      tdbStrAppendChar(&s, q[1]);
      i += 2;
    } else {
      tdbStrAppendChar(&s, *q);
      i++;
    }
  }
  return tdbFuncTakeStr(ctx, "to_char", &s, TDB_TYPE_TEXT, out);
}
