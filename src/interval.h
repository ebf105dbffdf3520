/*
** interval.h — INTERVAL values (docs/types.md "INTERVAL"): a signed count of
** months and a signed count of microseconds, as PostgreSQL's interval is
** (months, days, microseconds) but without the separate day field: TensorDB's
** timestamps are UTC only, so a day is always exactly 24 hours and days fold
** into the microseconds. Text parsing and printing, comparison, and the
** TIMESTAMP / INTERVAL arithmetic.
**
** In a TdbValue of type TDB_TYPE_INTERVAL:
**
**   +-----------------------------+-------------------------------+
**   | u.i: microseconds (int64)   | n: months (int32 bits in u32) |
**   +-----------------------------+-------------------------------+
**
** Comparison, GROUP BY and DISTINCT treat a month as 30 days (PostgreSQL's
** rule), so INTERVAL '1 month' = INTERVAL '30 days'. INTERVAL values are not
** storable in table columns.
*/
#ifndef TDB_INTERVAL_H
#define TDB_INTERVAL_H

#include "value.h"

#define TDB_INTERVAL_MONTHS(v) ((int32_t)(v)->n)

/* Parse interval text: `[@] quantity unit [quantity unit ...] [ago]` where a
** quantity is a decimal number with optional sign and fraction and a unit is
** microsecond(s)/us, millisecond(s)/ms, second(s)/sec/s, minute(s)/min/m,
** hour(s)/hr/h, day(s)/d, week(s)/w, month(s)/mon(s), year(s)/yr/y, decade(s),
** century/centuries, millennium/millennia (any case); a `[+-]H:MM[:SS[.f]]`
** time of day may stand among them. Fractions of month units spill into
** days at 30 days a month. Returns 0, -1 on bad syntax, 1 out of range. */
TDB_PRIVATE int tdbIntervalParse(const char *z, size_t n, int32_t *months, int64_t *micros);

/* Append the PostgreSQL-style text: `1 year 2 mons 3 days 04:05:06.5`,
** `-1 days +02:00:00`, `00:00:00` for zero. */
TDB_PRIVATE void tdbIntervalRender(TdbStr *out, int32_t months, int64_t micros);

/* Order of two intervals with a month counted as 30 days: <0, 0, >0. */
TDB_PRIVATE int tdbIntervalCompare(int32_t am, int64_t au, int32_t bm, int64_t bu);

/* The 17-byte equality key of an interval (normalized as for comparison). */
TDB_PRIVATE void tdbIntervalHashKey(unsigned char key[17], int32_t months, int64_t micros);

/* ts + sign * interval: months first (the day of month clamped to the last
** day of the resulting month), then the microseconds. 0, or -1 on overflow. */
TDB_PRIVATE int tdbTimestampAddInterval(int64_t ts, int sign, int32_t months,
                                        int64_t micros, int64_t *out);

/* Date/time arithmetic of two non-NULL values, op one of '+', '-', '*', '/':
** TIMESTAMP ± INTERVAL, INTERVAL + TIMESTAMP, TIMESTAMP − TIMESTAMP (an
** INTERVAL of microseconds), INTERVAL ± INTERVAL, INTERVAL * number,
** number * INTERVAL, INTERVAL / number. Returns 1 when the operand types
** are not such a pair (the caller reports a missing operator), else TDB_OK
** or an error: 22008 result out of range, 22012 division by zero. */
TDB_PRIVATE int tdbDatetimeArith(TdbErr *err, int op, const TdbValue *a, const TdbValue *b,
                                 TdbValue *out);

/* -x of an INTERVAL (22008 when a part is the most negative value). */
TDB_PRIVATE int tdbIntervalNegate(TdbErr *err, const TdbValue *in, TdbValue *out);

#endif /* TDB_INTERVAL_H */
