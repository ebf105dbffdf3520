/*
** datetime.h — TIMESTAMP values: microseconds since 1970-01-01T00:00:00Z (UTC),
** ISO-8601 parsing and formatting, and the wall clock.
*/
#ifndef TDB_DATETIME_H
#define TDB_DATETIME_H

#include "tdb_internal.h"

#define TDB_MICROS_PER_SEC INT64_C(1000000)
#define TDB_MICROS_PER_DAY (INT64_C(86400) * TDB_MICROS_PER_SEC)

/* Room for the longest formatted timestamp plus NUL. */
#define TDB_TIME_ISO_MAX 40

/* Parse ISO-8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,6}]]][Z|(+|-)HH[:MM]]`
** (surrounding blanks allowed) into microseconds UTC. Returns 0 on success,
** -1 when the text is not such a timestamp or a field is out of range. */
TDB_PRIVATE int tdbTimeParseIso(const char *z, size_t n, int64_t *micros);

/* Format as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (fraction without trailing zeros).
** Returns the length written to buf (at least TDB_TIME_ISO_MAX bytes). */
TDB_PRIVATE int tdbTimeFormatIso(int64_t micros, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
TDB_PRIVATE int64_t tdbTimeDaysFromCivil(int64_t y, int m, int d);
TDB_PRIVATE void tdbTimeCivilFromDays(int64_t days, int64_t *y, int *m, int *d);

/* Leap year of the proleptic Gregorian calendar; days in month m (1..12). */
TDB_PRIVATE int tdbTimeIsLeap(int64_t y);
TDB_PRIVATE int tdbTimeDaysInMonth(int64_t y, int m);

/* The wall clock in microseconds since the epoch (UTC). */
TDB_PRIVATE int64_t tdbTimeNowMicros(void);

#endif /* TDB_DATETIME_H */
