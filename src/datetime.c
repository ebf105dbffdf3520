/*
** datetime.c — TIMESTAMP parsing, formatting and the wall clock (see datetime.h).
**
** Dates are proleptic Gregorian. The conversion between a civil date and a day
** count shifts the year to start in March, so the leap day is the last day of
** the shifted year and every 400-year era has the same 146097 days.
*/
#include "datetime.h"

#include <stdio.h>
#include <time.h>

TDB_PRIVATE int64_t tdbTimeDaysFromCivil(int64_t y, int m, int d) {
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;                                   /* [0, 399] */
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] */
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
  return era * 146097 + doe - 719468;
}

TDB_PRIVATE void tdbTimeCivilFromDays(int64_t days, int64_t *y, int *m, int *d) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

TDB_PRIVATE int tdbTimeIsLeap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

TDB_PRIVATE int tdbTimeDaysInMonth(int64_t y, int m) {
  static const unsigned char tdbTimeMonthDays[12] = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return m == 2 && tdbTimeIsLeap(y) ? 29 : tdbTimeMonthDays[m - 1];
}

/* Read exactly `width` digits at *p (bounded by end). -1 if not digits. */
static int tdbTimeDigits(const char **p, const char *end, int width) {
  int v = 0, i;
  for (i = 0; i < width; i++) {
    if (*p >= end || **p < '0' || **p > '9') return -1;
    v = v * 10 + (**p - '0');
    (*p)++;
  }
  return v;
}

TDB_PRIVATE int tdbTimeParseIso(const char *z, size_t n, int64_t *micros) {
  const char *p = z, *end = z + n;
  int year, mon, day, hh = 0, mi = 0, ss = 0, frac = 0, fdigits = 0;
  int64_t offset_sec = 0, total;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
  if ((year = tdbTimeDigits(&p, end, 4)) < 0) return -1;
  if (p >= end || *p++ != '-' || (mon = tdbTimeDigits(&p, end, 2)) < 0) return -1;
  if (p >= end || *p++ != '-' || (day = tdbTimeDigits(&p, end, 2)) < 0) return -1;
  if (mon < 1 || mon > 12 || day < 1 || day > tdbTimeDaysInMonth(year, mon)) return -1;
  if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
    p++;
    if ((hh = tdbTimeDigits(&p, end, 2)) < 0) return -1;
    if (p >= end || *p++ != ':' || (mi = tdbTimeDigits(&p, end, 2)) < 0) return -1;
    if (p < end && *p == ':') {
      p++;
      if ((ss = tdbTimeDigits(&p, end, 2)) < 0) return -1;
      if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
          if (fdigits == 6) return -1; /* beyond microseconds */
          frac = frac * 10 + (*p++ - '0');
          fdigits++;
        }
        if (fdigits == 0) return -1;
        while (fdigits < 6) {
          frac *= 10;
          fdigits++;
        }
      }
    }
    if (hh > 23 || mi > 59 || ss > 59) return -1;
  }
  if (p < end && (*p == 'Z' || *p == 'z')) {
    p++;
  } else if (p < end && (*p == '+' || *p == '-')) {
    int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
    if ((oh = tdbTimeDigits(&p, end, 2)) < 0) return -1;
    if (p < end && *p == ':') p++;
    if (p < end && (om = tdbTimeDigits(&p, end, 2)) < 0) return -1;
    if (oh > 23 || om > 59) return -1;
    offset_sec = sign * (oh * 3600 + om * 60);
  }
  if (p != end) return -1;
  total = tdbTimeDaysFromCivil(year, mon, day) * 86400 + hh * 3600 + mi * 60 + ss -
          offset_sec;
  *micros = total * TDB_MICROS_PER_SEC + frac;
  return 0;
}

TDB_PRIVATE int tdbTimeFormatIso(int64_t micros, char *buf) {
  int64_t days, rem, y;
  int m, d, len, frac;
  days = micros / TDB_MICROS_PER_DAY;
  rem = micros % TDB_MICROS_PER_DAY;
  if (rem < 0) {
    rem += TDB_MICROS_PER_DAY;
    days--;
  }
  tdbTimeCivilFromDays(days, &y, &m, &d);
  frac = (int)(rem % TDB_MICROS_PER_SEC);
  rem /= TDB_MICROS_PER_SEC;
  len = snprintf(buf, TDB_TIME_ISO_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d",
                 (long long)y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
                 (int)(rem % 60));
  if (frac) {
    int digits = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      digits--;
    }
    len += snprintf(buf + len, (size_t)(TDB_TIME_ISO_MAX - len), ".%0*d", digits, frac);
  }
  buf[len++] = 'Z';
  buf[len] = '\0';
  return len;
}

TDB_PRIVATE int64_t tdbTimeNowMicros(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
  return (int64_t)ts.tv_sec * TDB_MICROS_PER_SEC + ts.tv_nsec / 1000;
}
