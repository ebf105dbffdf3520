/*
** rowcodec.h — the row version value of the SQL row keyspaces
** (docs/sql-storage.md, "Row versions"): what the current-rows (0x03) and
** row-history (0x04) keys map to. Compact, self-describing per column, and
** readable by a later schema (columns the encoding lacks read as absent).
**
**   +-------+--------+----------------+------------------+-------------+
**   | flags | row_op | valid_to (8 B) | column count (v) | columns ... |
**   +-------+--------+----------------+------------------+-------------+
**     1 B      1 B     i64 BE, sign     varint32           count times
**                      bit flipped
**                      (as in keys)
**
**   flags   bit 0 tombstone (SOFT DELETE), bit 1 removed piece (DELETE);
**           the other bits are 0 (a decoder rejects them)
**   row_op  INSERT=1 UPDATE=2 DELETE=3 PATCH=4 SOFT_DELETE=5 UNDELETE=6
**
**   column  type byte (TDB_TYPE_*) | payload
**
**     NULL       00                                   (no payload)
**     BOOLEAN    01 | 00 or 01
**     INTEGER    02 | varint64 of zigzag(i)
**     REAL       03 | 8 bytes: IEEE bits, little-endian (exact: -0.0 and
**                                                  NaN payloads are kept)
**     TEXT       04 | varint32 n | n bytes | 00      (the 00 is not counted
**     JSON       07 | varint32 n | n bytes | 00       in n: a borrowed value
**                                                  is NUL-terminated, as
**                                                  every TdbValue text is)
**     BLOB       05 | varint32 n | n bytes
**     TIMESTAMP  06 | varint64 of zigzag(µs)
**     VECTOR     08 | varint32 n | n bytes           (n a multiple of 4:
**                                                  float32 elements)
**
**   e.g. INSERT, open valid_to INT64_MAX, (7, NULL, 'hi'):
**     00 01 FF FF FF FF FF FF FF FF 03 | 02 0E | 00 | 04 02 68 69 00
**
** Columns are stored by position in the table's column list at the time of
** the write. A reader that expects more columns than the encoding holds gets
** the missing ones as "absent" (ALTER TABLE ADD COLUMN: the caller
** substitutes the column's DEFAULT); one that expects fewer ignores the rest.
**
** Ownership. tdbRowDecode and tdbRowColumnAt BORROW: a decoded TEXT, BLOB,
** JSON or VECTOR value (owned = 0) points into the input buffer and is valid
** only while that buffer is (the caller must not modify or free it through
** the value). tdbRowDecodeCopy gives owned copies (free each column with
** tdbValueClear, or all with tdbRowClear).
**
** Decoders never read at or past p + n and report malformed input
** (truncation, an unknown type, flag or op, a bad varint, a length past the
** end, a missing NUL, a BOOLEAN byte other than 0/1, a VECTOR length that is
** not a multiple of 4, bytes after the last column) as TDB_CORRUPT.
*/
#ifndef TDB_ROWCODEC_H
#define TDB_ROWCODEC_H

#include "coding.h"
#include "value.h"

/* Flags and ops of a row version. On-disk: do not renumber. */
#define TDB_ROW_FLAG_TOMBSTONE 0x01  /* SOFT DELETE: the row reads as deleted */
#define TDB_ROW_FLAG_REMOVED   0x02  /* DELETE removed this valid-time piece */
#define TDB_ROW_FLAG_MASK      0x03

#define TDB_ROW_OP_INSERT      1
#define TDB_ROW_OP_UPDATE      2
#define TDB_ROW_OP_DELETE      3
#define TDB_ROW_OP_PATCH       4
#define TDB_ROW_OP_SOFT_DELETE 5
#define TDB_ROW_OP_UNDELETE    6

/* Bytes of a row version without columns (flags, op, valid_to, count 0). */
#define TDB_ROW_HEADER_MIN 11

/* A row version, for encoding and decoding.
**
** Encode: flags, op, valid_to and col[0..ncol) are read; nstored is not.
** Decode: the caller sets col (an array of ncol values, which need not be
** clear: they are overwritten, never freed) and ncol (the columns it
** expects); the decoder fills flags, op, valid_to, nstored and every
** col[i]. col[i] with i >= nstored is set to NULL and is absent
** (TDB_ROW_ABSENT): substitute the column's DEFAULT. */
typedef struct TdbRow {
  uint8_t flags;       /* TDB_ROW_FLAG_* */
  uint8_t op;          /* TDB_ROW_OP_* */
  int64_t valid_to;    /* end of the valid period (exclusive) */
  uint32_t nstored;    /* decode: columns the encoding holds */
  uint32_t ncol;       /* entries of col[] */
  TdbValue *col;
} TdbRow;

#define TDB_ROW_ABSENT(row, i) ((uint32_t)(i) >= (row)->nstored)

/* Append the encoding of *row to out. Returns TDB_OK; TDB_MISUSE for an
** unknown flag bit, an op outside 1..6, a column of unknown type, a byte
** length over UINT32_MAX - 1 or a VECTOR whose length is not a multiple of
** 4; TDB_NOMEM when out ran out of memory (now or earlier: out->oom). On an
** error nothing of the call stays in out (out->n is what it was). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbRowEncode(TdbStr *out, const TdbRow *row);

/* Decode the row version p[0..n) into *row, borrowing byte values from p
** (see "Ownership"). Every stored column is validated, also those past
** row->ncol. Returns TDB_OK or TDB_CORRUPT (row->col[] is all NULL then). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbRowDecode(const unsigned char *p, size_t n,
                                              TdbRow *row);

/* As tdbRowDecode, but only the columns at positions below `upto` are read
** (the scan path: a query that needs the first columns does not walk the
** rest). Columns at or past `upto` that the encoding holds are set to NULL
** and were not validated; absent ones are as in tdbRowDecode. With upto >=
** the stored count this is tdbRowDecode. TDB_OK or TDB_CORRUPT. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbRowDecodeUpTo(const unsigned char *p, size_t n,
                                                  uint32_t upto, TdbRow *row);

/* The scan path's decoder: the header of the row version p[0..n) into *hdr
** (flags, op, valid_to, nstored; col and ncol are not touched), then the
** columns at positions below `upto` straight into column vectors. The
** column at position i goes to cols[slot[i]][r] when slot[i] >= 0 (borrowed,
** as tdbRowDecode) and is skipped when slot[i] < 0 (its bytes are still
** checked); slot has `upto` entries. Positions the encoding lacks (absent)
** and those at or past `upto` are not written: the caller substitutes
** DEFAULTs for absent ones. With upto >= hdr->nstored every stored column is
** read and checked, and bytes after the last one are corrupt, as in
** tdbRowDecode; otherwise the columns at or past `upto` are not looked at,
** as in tdbRowDecodeUpTo. *nbytes gets the number of TEXT/BLOB/JSON/VECTOR
** values written (0: every written value is a scalar). TDB_OK or TDB_CORRUPT
** (then the vectors hold whatever was written before the damage). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbRowDecodeSlots(const unsigned char *p, size_t n, uint32_t upto,
                                                   const int *slot, TdbValue *const *cols, int r,
                                                   TdbRow *hdr, int *nbytes);

/* As tdbRowDecode, but TEXT/BLOB/JSON/VECTOR columns are owned copies from
** mem. Returns TDB_OK, TDB_CORRUPT or TDB_NOMEM; on an error nothing is
** left allocated and row->col[] is all NULL. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbRowDecodeCopy(const unsigned char *p, size_t n,
                                                  TdbMem *mem, TdbRow *row);

/* tdbValueClear every col[0..ncol) of a row (after tdbRowDecodeCopy; on a
** borrowed decode it only resets them to NULL). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbRowClear(TdbMem *mem, TdbRow *row);

/* Decode only the header: flags, op, valid_to and nstored of *row (col and
** ncol are not touched); *offset gets where the first column starts. For a
** tombstone or valid_to check without touching the columns. TDB_OK or
** TDB_CORRUPT. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbRowDecodeHeader(const unsigned char *p, size_t n,
                                                    TdbRow *row, size_t *offset);

/* Decode the column at position `pos` (0-based) into *out without decoding
** the others (the ones before it are skipped, the ones after it are not
** read), borrowing as tdbRowDecode. Returns TDB_OK; TDB_NOTFOUND when the
** encoding holds fewer than pos + 1 columns (absent: *out is NULL, use the
** DEFAULT); TDB_CORRUPT when what it reads is malformed (*out is NULL). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbRowColumnAt(const unsigned char *p, size_t n,
                                                uint32_t pos, TdbValue *out);

/* The column at q of a row's encoding, known to be an INTEGER (q[0] ==
** TDB_TYPE_INTEGER, at least 4 bytes before end): its value into *dst (none
** when dst is NULL), its size in the row returned, 0 when its varint is
** malformed. Varints of up to 3 bytes decode inline (any such encoding is
** valid, as in tdbGetVarint64): the scans' common column. */
static inline size_t tdbRowIntegerAt(const unsigned char *q, const unsigned char *end,
                                     TdbValue *dst) {
  uint64_t u = q[1], x;
  size_t used;
  if (u < 0x80) {
    used = 2;
  } else if (q[2] < 0x80) {
    u = (u & 0x7Fu) | ((uint64_t)q[2] << 7);
    used = 3;
  } else if (q[3] < 0x80) {
    u = (u & 0x7Fu) | ((uint64_t)(q[2] & 0x7Fu) << 7) | ((uint64_t)q[3] << 14);
    used = 4;
  } else {
    size_t k = tdbGetVarint64(q + 1, end, &u);
    if (k == 0) return 0;
    used = 1 + k;
  }
  if (dst) {
    x = (u >> 1) ^ (0u - (u & 1u)); /* zigzag */
    dst->type = TDB_TYPE_INTEGER;
    dst->owned = 0;
    dst->n = 0;
    memcpy(&dst->u.i, &x, sizeof x); /* two's complement, no conversion */
  }
  return used;
}

#endif /* TDB_ROWCODEC_H */
