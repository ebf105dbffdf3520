/*
** interval.c — INTERVAL text form, comparison and TIMESTAMP / INTERVAL
** arithmetic (see interval.h; the rules are in docs/types.md "INTERVAL").
*/
#include "interval.h"
#include "datetime.h"
#include "expr.h"

#include <math.h>

#define TDB_MICROS_PER_HOUR (INT64_C(3600) * TDB_MICROS_PER_SEC)
#define TDB_MICROS_PER_MIN (INT64_C(60) * TDB_MICROS_PER_SEC)

/* Floor division and the matching non-negative remainder (b > 0). */
static int64_t tdbFloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t tdbFloorMod(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

/* ---- parsing --------------------------------------------------------------- */

typedef struct TdbIntervalUnit {
  const char *name;  /* lower case */
  int months;        /* months per unit, or 0 */
  int64_t micros;    /* microseconds per unit (when months is 0) */
} TdbIntervalUnit;

static const TdbIntervalUnit tdbIntervalUnits[] = {
    {"microsecond", 0, 1}, {"microseconds", 0, 1}, {"us", 0, 1}, {"usec", 0, 1},
    {"usecs", 0, 1}, {"millisecond", 0, 1000}, {"milliseconds", 0, 1000},
    {"ms", 0, 1000}, {"msec", 0, 1000}, {"msecs", 0, 1000},
    {"second", 0, TDB_MICROS_PER_SEC}, {"seconds", 0, TDB_MICROS_PER_SEC},
    {"sec", 0, TDB_MICROS_PER_SEC}, {"secs", 0, TDB_MICROS_PER_SEC},
    {"s", 0, TDB_MICROS_PER_SEC}, {"minute", 0, TDB_MICROS_PER_MIN},
    {"minutes", 0, TDB_MICROS_PER_MIN}, {"min", 0, TDB_MICROS_PER_MIN},
    {"mins", 0, TDB_MICROS_PER_MIN}, {"m", 0, TDB_MICROS_PER_MIN},
    {"hour", 0, TDB_MICROS_PER_HOUR}, {"hours", 0, TDB_MICROS_PER_HOUR},
    {"hr", 0, TDB_MICROS_PER_HOUR}, {"hrs", 0, TDB_MICROS_PER_HOUR},
    {"h", 0, TDB_MICROS_PER_HOUR}, {"day", 0, TDB_MICROS_PER_DAY},
    {"days", 0, TDB_MICROS_PER_DAY}, {"d", 0, TDB_MICROS_PER_DAY},
    {"week", 0, 7 * TDB_MICROS_PER_DAY}, {"weeks", 0, 7 * TDB_MICROS_PER_DAY},
    {"w", 0, 7 * TDB_MICROS_PER_DAY}, {"month", 1, 0}, {"months", 1, 0},
    {"mon", 1, 0}, {"mons", 1, 0}, {"year", 12, 0}, {"years", 12, 0},
    {"yr", 12, 0}, {"yrs", 12, 0}, {"y", 12, 0}, {"decade", 120, 0},
    {"decades", 120, 0}, {"century", 1200, 0}, {"centuries", 1200, 0},
    {"millennium", 12000, 0}, {"millennia", 12000, 0},
};

static int tdbIsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int tdbIsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int tdbIsDigitChar(char c) {
  return c >= '0' && c <= '9';
}

/* Does the word z[0..n) equal `name` ignoring ASCII case? */
static int tdbWordIs(const char *z, size_t n, const char *name) {
  size_t i;
  for (i = 0; i < n; i++) {
    char c = z[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (name[i] != c) return 0;
  }
  return name[n] == '\0';
}

/* Read up to `max` digits (at least one) at z[*i]; -1 if there is none. */
static int64_t tdbReadSmall(const char *z, size_t n, size_t *i, int max) {
  int64_t v = 0;
  int k = 0;
  while (*i < n && tdbIsDigitChar(z[*i]) && k < max) {
    v = v * 10 + (z[*i] - '0');
    (*i)++;
    k++;
  }
  return k ? v : -1;
}

/* `H:MM[:SS[.ffffff]]` after the hours (already read): *i is at the ':'. */
static int tdbParseClock(const char *z, size_t n, size_t *i, int64_t hours, int64_t *out) {
  int64_t mi, ss = 0, frac = 0, total;
  (*i)++;
  if ((mi = tdbReadSmall(z, n, i, 2)) < 0 || mi > 59) return -1;
  if (*i < n && z[*i] == ':') {
    (*i)++;
    if ((ss = tdbReadSmall(z, n, i, 2)) < 0 || ss > 59) return -1;
    if (*i < n && z[*i] == '.') {
      int digits = 0;
      (*i)++;
      while (*i < n && tdbIsDigitChar(z[*i])) {
        if (digits < 6) frac = frac * 10 + (z[*i] - '0');
        else if (digits == 6 && z[*i] >= '5') frac++; /* round the 7th digit */
        digits++;
        (*i)++;
      }
      if (digits == 0) return -1;
      for (; digits < 6; digits++) frac *= 10;
    }
  }
  if (tdbMulInt(hours, TDB_MICROS_PER_HOUR, &total) != 0 ||
      tdbAddInt(total, mi * TDB_MICROS_PER_MIN + ss * TDB_MICROS_PER_SEC + frac, &total) != 0) {
    return 1;
  }
  *out = total;
  return 0;
}

TDB_PRIVATE int tdbIntervalParse(const char *z, size_t n, int32_t *months, int64_t *micros) {
  int64_t acc_months = 0, acc_micros = 0;
  size_t i = 0;
  int items = 0, ago = 0;
  while (i < n && tdbIsBlank(z[i])) i++;
  if (i < n && z[i] == '@') i++;
  for (;;) {
    int sign = 1;
    int64_t whole = 0, part;
    double frac = 0;
    size_t start;
    while (i < n && tdbIsBlank(z[i])) i++;
    if (i >= n) break;
    if (ago) return -1; /* nothing may follow `ago` */
    if (tdbIsAlpha(z[i])) {
      start = i;
      while (i < n && tdbIsAlpha(z[i])) i++;
      if (!tdbWordIs(z + start, i - start, "ago") || items == 0) return -1;
      ago = 1;
      continue;
    }
    if (z[i] == '+' || z[i] == '-') sign = z[i++] == '-' ? -1 : 1;
    start = i;
    while (i < n && tdbIsDigitChar(z[i])) {
      if (tdbMulInt(whole, 10, &whole) != 0 || tdbAddInt(whole, z[i] - '0', &whole) != 0) {
        return 1;
      }
      i++;
    }
    if (i < n && z[i] == ':') { /* a time of day */
      int rc;
      if (i == start) return -1;
      rc = tdbParseClock(z, n, &i, whole, &part);
      if (rc != 0) return rc;
      if (tdbAddInt(acc_micros, sign * part, &acc_micros) != 0) return 1;
      items++;
      continue;
    }
    if (i < n && z[i] == '.') {
      double scale = 0.1;
      i++;
      while (i < n && tdbIsDigitChar(z[i])) {
        frac += (z[i] - '0') * scale;
        scale /= 10;
        i++;
      }
    }
    if (i == start || (i == start + 1 && z[start] == '.')) return -1;
    while (i < n && tdbIsBlank(z[i])) i++;
    start = i;
    while (i < n && tdbIsAlpha(z[i])) i++;
    {
      const TdbIntervalUnit *unit = NULL;
      size_t k;
      if (i == start) {
        static const TdbIntervalUnit tdbSeconds = {"second", 0, TDB_MICROS_PER_SEC};
        unit = &tdbSeconds; /* a bare number counts seconds, as in PostgreSQL */
      }
      for (k = 0; !unit && k < TDB_ARRAY_LEN(tdbIntervalUnits); k++) {
        if (tdbWordIs(z + start, i - start, tdbIntervalUnits[k].name)) unit = &tdbIntervalUnits[k];
      }
      if (!unit) return -1;
      if (unit->months) {
        double fm = frac * unit->months, wm = floor(fm);
        if (tdbMulInt(whole, unit->months, &part) != 0 ||
            tdbAddInt(part, (int64_t)wm, &part) != 0 ||
            tdbAddInt(acc_months, sign * part, &acc_months) != 0 ||
            acc_months > INT32_MAX || acc_months < -(int64_t)INT32_MAX) {
          return 1;
        }
        part = (int64_t)llround((fm - wm) * 30.0 * (double)TDB_MICROS_PER_DAY);
      } else {
        int64_t fpart = (int64_t)llround(frac * (double)unit->micros);
        if (tdbMulInt(whole, unit->micros, &part) != 0 || tdbAddInt(part, fpart, &part) != 0) {
          return 1;
        }
      }
      if (tdbAddInt(acc_micros, sign * part, &acc_micros) != 0) return 1;
    }
    items++;
  }
  if (items == 0) return -1;
  if (ago) {
    if (acc_micros == INT64_MIN) return 1;
    acc_months = -acc_months;
    acc_micros = -acc_micros;
  }
  *months = (int32_t)acc_months;
  *micros = acc_micros;
  return 0;
}

/* ---- printing -------------------------------------------------------------- */

/* One `N unit(s)` part; PostgreSQL writes `+` before a positive part that
** follows a negative one, and the plural for every value but 1. */
static void tdbIntervalPart(TdbStr *out, int64_t value, const char *unit, int *printed,
                            int *neg_before) {
  if (value == 0) return;
  tdbStrAppendf(out, "%s%s%lld %s%s", *printed ? " " : "",
                *neg_before && value > 0 ? "+" : "", (long long)value, unit,
                value != 1 ? "s" : "");
  *printed = 1;
  *neg_before = value < 0;
}

TDB_PRIVATE void tdbIntervalRender(TdbStr *out, int32_t months, int64_t micros) {
  int printed = 0, neg_before = 0;
  int64_t days = micros / TDB_MICROS_PER_DAY, rem = micros % TDB_MICROS_PER_DAY;
  tdbIntervalPart(out, months / 12, "year", &printed, &neg_before);
  tdbIntervalPart(out, months % 12, "mon", &printed, &neg_before);
  tdbIntervalPart(out, days, "day", &printed, &neg_before);
  if (rem != 0 || !printed) {
    int64_t a = rem < 0 ? -rem : rem; /* |rem| < one day: no overflow */
    int frac = (int)(a % TDB_MICROS_PER_SEC);
    tdbStrAppendf(out, "%s%s%02lld:%02d:%02d", printed ? " " : "",
                  rem < 0 ? "-" : (neg_before ? "+" : ""),
                  (long long)(a / TDB_MICROS_PER_HOUR),
                  (int)(a / TDB_MICROS_PER_MIN % 60), (int)(a / TDB_MICROS_PER_SEC % 60));
    if (frac) {
      int digits = 6;
      while (frac % 10 == 0) {
        frac /= 10;
        digits--;
      }
      tdbStrAppendf(out, ".%0*d", digits, frac);
    }
  }
}

/* ---- comparison ------------------------------------------------------------- */

/* (days, microseconds into the day) with a month as 30 days. */
static void tdbIntervalNormalize(int32_t months, int64_t micros, int64_t *days, int64_t *rem) {
  *days = (int64_t)months * 30 + tdbFloorDiv(micros, TDB_MICROS_PER_DAY);
  *rem = tdbFloorMod(micros, TDB_MICROS_PER_DAY);
}

TDB_PRIVATE int tdbIntervalCompare(int32_t am, int64_t au, int32_t bm, int64_t bu) {
  int64_t ad, ar, bd, br;
  tdbIntervalNormalize(am, au, &ad, &ar);
  tdbIntervalNormalize(bm, bu, &bd, &br);
  if (ad != bd) return ad < bd ? -1 : 1;
  return ar < br ? -1 : ar > br;
}

TDB_PRIVATE void tdbIntervalHashKey(unsigned char key[17], int32_t months, int64_t micros) {
  int64_t d, r;
  int k;
  tdbIntervalNormalize(months, micros, &d, &r);
  key[0] = TDB_TYPE_INTERVAL;
  for (k = 0; k < 8; k++) {
    key[1 + k] = (unsigned char)((uint64_t)d >> (8 * k));
    key[9 + k] = (unsigned char)((uint64_t)r >> (8 * k));
  }
}

/* ---- arithmetic --------------------------------------------------------------- */

TDB_PRIVATE int tdbTimestampAddInterval(int64_t ts, int sign, int32_t months,
                                        int64_t micros, int64_t *out) {
  int64_t m = (int64_t)sign * months;
  if (m != 0) {
    int64_t days = tdbFloorDiv(ts, TDB_MICROS_PER_DAY), tod = tdbFloorMod(ts, TDB_MICROS_PER_DAY);
    int64_t y, total, ny, t;
    int mo, d, nmo;
    tdbTimeCivilFromDays(days, &y, &mo, &d);
    total = y * 12 + (mo - 1) + m;
    ny = tdbFloorDiv(total, 12);
    nmo = (int)tdbFloorMod(total, 12) + 1;
    if (d > tdbTimeDaysInMonth(ny, nmo)) d = tdbTimeDaysInMonth(ny, nmo); /* Jan 31 + 1 month */
    if (tdbMulInt(tdbTimeDaysFromCivil(ny, nmo, d), TDB_MICROS_PER_DAY, &t) != 0 ||
        tdbAddInt(t, tod, &ts) != 0) {
      return -1;
    }
  }
  if (sign < 0) {
    if (micros == INT64_MIN) return -1;
    micros = -micros;
  }
  return tdbAddInt(ts, micros, out);
}

static int tdbTimestampRange(TdbErr *err) {
  return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DATETIME_RANGE, "timestamp out of range");
}

static int tdbIntervalRange(TdbErr *err) {
  return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DATETIME_RANGE, "interval out of range");
}

static void tdbSetInterval(TdbValue *out, int64_t months, int64_t micros) {
  tdbValueSetNull(out);
  out->type = TDB_TYPE_INTERVAL;
  out->n = (uint32_t)(int32_t)months;
  out->u.i = micros;
}

/* interval * f, a fraction of a month spilling into days at 30 days a month. */
static int tdbIntervalScale(TdbErr *err, const TdbValue *iv, double f, TdbValue *out) {
  double dm = (double)TDB_INTERVAL_MONTHS(iv) * f, wm = trunc(dm), du;
  if (!isfinite(dm) || wm > INT32_MAX || wm < -(double)INT32_MAX) return tdbIntervalRange(err);
  du = (double)iv->u.i * f + (dm - wm) * 30.0 * (double)TDB_MICROS_PER_DAY;
  if (!isfinite(du) || du >= 9223372036854775807.0 || du <= -9223372036854775807.0) {
    return tdbIntervalRange(err);
  }
  tdbSetInterval(out, (int64_t)wm, (int64_t)llround(du));
  return TDB_OK;
}

static int tdbIntervalMulInt(TdbErr *err, const TdbValue *iv, int64_t k, TdbValue *out) {
  int64_t m, u;
  if (tdbMulInt(TDB_INTERVAL_MONTHS(iv), k, &m) != 0 || m > INT32_MAX || m < -(int64_t)INT32_MAX ||
      tdbMulInt(iv->u.i, k, &u) != 0) {
    return tdbIntervalRange(err);
  }
  tdbSetInterval(out, m, u);
  return TDB_OK;
}

static double tdbNumber(const TdbValue *v) {
  return v->type == TDB_TYPE_REAL ? v->u.r : (double)v->u.i;
}

TDB_PRIVATE int tdbDatetimeArith(TdbErr *err, int op, const TdbValue *a, const TdbValue *b,
                                 TdbValue *out) {
  int ta = a->type, tb = b->type;
  int64_t r;
  if (op == '+' || op == '-') {
    if (ta == TDB_TYPE_TIMESTAMP && tb == TDB_TYPE_INTERVAL) {
      if (tdbTimestampAddInterval(a->u.i, op == '+' ? 1 : -1, TDB_INTERVAL_MONTHS(b), b->u.i,
                                  &r) != 0) {
        return tdbTimestampRange(err);
      }
      tdbValueSetTimestamp(out, r);
      return TDB_OK;
    }
    if (op == '+' && ta == TDB_TYPE_INTERVAL && tb == TDB_TYPE_TIMESTAMP) {
      return tdbDatetimeArith(err, op, b, a, out);
    }
    if (op == '-' && ta == TDB_TYPE_TIMESTAMP && tb == TDB_TYPE_TIMESTAMP) {
      if (tdbSubInt(a->u.i, b->u.i, &r) != 0) return tdbIntervalRange(err);
      tdbSetInterval(out, 0, r);
      return TDB_OK;
    }
    if (ta == TDB_TYPE_INTERVAL && tb == TDB_TYPE_INTERVAL) {
      int64_t m = op == '+' ? (int64_t)TDB_INTERVAL_MONTHS(a) + TDB_INTERVAL_MONTHS(b)
                            : (int64_t)TDB_INTERVAL_MONTHS(a) - TDB_INTERVAL_MONTHS(b);
      int bad = op == '+' ? tdbAddInt(a->u.i, b->u.i, &r) : tdbSubInt(a->u.i, b->u.i, &r);
      if (bad || m > INT32_MAX || m < -(int64_t)INT32_MAX) return tdbIntervalRange(err);
      tdbSetInterval(out, m, r);
      return TDB_OK;
    }
    return 1;
  }
  if (op == '*') {
    if (ta != TDB_TYPE_INTERVAL && tb == TDB_TYPE_INTERVAL) return tdbDatetimeArith(err, op, b, a, out);
    if (ta != TDB_TYPE_INTERVAL || !TDB_TYPE_IS_NUMERIC(tb)) return 1;
    if (tb == TDB_TYPE_INTEGER) return tdbIntervalMulInt(err, a, b->u.i, out);
    return tdbIntervalScale(err, a, b->u.r, out);
  }
  if (op == '/') {
    if (ta != TDB_TYPE_INTERVAL || !TDB_TYPE_IS_NUMERIC(tb)) return 1;
    if (tdbNumber(b) == 0) {
      return tdbErrSet(err, TDB_ERROR_DATA, TDB_SQLSTATE_DIVISION_BY_ZERO, "division by zero");
    }
    return tdbIntervalScale(err, a, 1.0 / tdbNumber(b), out);
  }
  return 1;
}

TDB_PRIVATE int tdbIntervalNegate(TdbErr *err, const TdbValue *in, TdbValue *out) {
  if (in->u.i == INT64_MIN) return tdbIntervalRange(err);
  tdbSetInterval(out, -(int64_t)TDB_INTERVAL_MONTHS(in), -in->u.i);
  return TDB_OK;
}
