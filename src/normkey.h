/*
** normkey.h — normalized sort keys: the ORDER BY keys of materialized rows
** (a TdbRowSet and its TdbSortKeys) rewritten as fixed-width unsigned 64-bit
** words whose lexicographic order is exactly tdbSortKeysCompare's order, and
** a stable LSD radix sort over them. SORT and WINDOW use it instead of the
** generic comparator when every key qualifies; the words also tell
** partitions and peer groups apart by plain word equality.
**
** A key column qualifies when its non-NULL values all have one fixed-width
** type; each value becomes one word:
**
**   INTEGER, TIMESTAMP, BOOLEAN   bits ^ sign bit (signed order as unsigned)
**   REAL                          x >= +0: bits | sign bit, x < 0: ~bits;
**                                 -0.0 as +0.0 and every NaN as one NaN
**                                 above +Infinity (tdbValueCompare's order)
**
** DESC inverts the value word. A column with at least one NULL gets one more
** word in front of its value word: 0 for the rows that sort first (the
** NULLs under NULLS FIRST, the others under NULLS LAST), 1 for the rest; a
** NULL's value word is 0. Columns whose values mix types (INTEGER with REAL,
** TEXT, ...) do not qualify: their comparisons follow rules (numeric
** promotion, errors for incomparable pairs) the caller keeps the comparator
** for.
**
** Most bytes of those words are the same in every row (the high bytes of
** small integers, the NULL words of columns with one NULL): a record keeps
** only the bytes that vary, most significant first, from the top of its
** first word on, and the row number in the low bytes of its last word, in as
** few words as hold both:
**
**   record = [ varying key bytes ... | 0 ... | row number (rbytes) ]   stride words
**
**   e.g. PARTITION BY g ORDER BY id, g < 1000, id < 2^20, 1M rows:
**        2 + 3 key bytes + 3 row bytes = one word per row
**
** Comparing records as words is comparing the keys, then the row numbers.
** The sort is an LSD radix sort over the key bytes, least significant
** first; its passes are stable, so rows with equal keys keep their row-set
** order, as the merge sort of tdbRowSetSort does. Small inputs use an
** insertion sort over whole records (the row number breaks the ties).
*/
#ifndef TDB_NORMKEY_H
#define TDB_NORMKEY_H

#include "exec.h"

/* Most key words (keys, plus one word per key column with NULLs). */
#define TDB_NORMKEY_MAX_WORDS 16

typedef struct TdbNormKeys {
  size_t n;           /* records (rows) */
  int nkeys;
  int nbytes;         /* varying key bytes per record */
  int rbytes;         /* bytes of the row number (the last word's low bytes) */
  int stride;         /* words per record: (nbytes + rbytes) / 8 rounded up */
  int prefix[TDB_NORMKEY_MAX_WORDS + 1]; /* per k: key bytes of the first k keys */
  uint64_t *rec;      /* n records; in sorted order after tdbNormKeysSort */
} TdbNormKeys;

/* Normalize keys[0..nkeys) of every row of rows into nk (which is
** overwritten). TDB_OK; TDB_NOTFOUND when a key does not qualify or the
** words would exceed TDB_NORMKEY_MAX_WORDS (nk is then empty: use the
** comparator); TDB_NOMEM. */
TDB_PRIVATE int tdbNormKeysBuild(TdbMem *mem, const TdbRowSet *rows, const TdbSortKey *keys,
                                 int nkeys, TdbNormKeys *nk);

/* Sort the records (stable) and write their row numbers into order[0..n).
** TDB_OK or TDB_NOMEM (the records are unchanged then). */
TDB_PRIVATE int tdbNormKeysSort(TdbMem *mem, TdbNormKeys *nk, size_t *order);

/* Are records i and j equal on their first `k` keys? */
TDB_PRIVATE int tdbNormKeysEqual(const TdbNormKeys *nk, size_t i, size_t j, int k);

TDB_PRIVATE void tdbNormKeysFree(TdbMem *mem, TdbNormKeys *nk);

#endif /* TDB_NORMKEY_H */
