/*
** keycodec.h — the order-preserving key encoding of SQL values
** (docs/sql-storage.md, "Key encoding"): primary keys, index keys and the
** fixed-width parts (object ids, valid_from) of the keys of the SQL
** keyspaces. memcmp order of two encodings is the SQL order of the values.
**
** One component (a value) is a tag byte and a payload:
**
**   NULL       05
**   FALSE      10
**   TRUE       11
**   INTEGER    20 | b7 b6 b5 b4 b3 b2 b1 b0     big-endian, sign bit flipped
**   REAL       30 | b7 .. b0                    IEEE bits x:
**                                               x >= +0: x | 0x8000..
**                                               x <  0 : ~x
**                                               -0.0 is written as +0.0 and
**                                               every NaN as 7FF8000000000000,
**                                               so NaN sorts after +Infinity
**   TIMESTAMP  40 | b7 .. b0                    as INTEGER (µs since epoch)
**   TEXT       50 | escaped bytes | 00 00       each 00 byte -> 00 FF
**   BLOB       60 | escaped bytes | 00 00       as TEXT
**
**   e.g. INTEGER 1     20 80 00 00 00 00 00 00 01
**        INTEGER -1    20 7F FF FF FF FF FF FF FF
**        TEXT "a\0b"   50 61 00 FF 62 00 00
**
** A composite key is the concatenation of its components. No encoding is a
** prefix of another's (fixed widths; TEXT/BLOB end in 00 00, which no
** escaped byte produces), so composites compare component by component.
** Values that compare equal (0.0 and -0.0, two NaNs) encode identically:
** every value has exactly one encoding, and the decoder rejects the others
** (a -0.0 or non-canonical NaN payload, 00 followed by anything but 00/FF)
** as TDB_CORRUPT, so decode(bytes) re-encodes to the same bytes.
**
** JSON and VECTOR are not key types (TDB_MISUSE). INTEGER and REAL values of
** one key column are stored under one type (docs/sql-storage.md), so the
** encodings of the two numeric types never meet in one column.
**
** The fixed-width parts of the SQL keys:
**
**   u32 BE   b3 b2 b1 b0                        table / index / object ids
**   i64 BE   b7 .. b0 with the sign bit flipped valid_from (and valid_to in
**                                               row versions): memcmp order
**                                               == signed order
**
** Appending functions return TDB_OK, TDB_MISUSE (a type that is not a key
** type), or TDB_NOMEM when the TdbStr ran out of memory (out->oom is set
** then, now or earlier). On an error nothing of the call stays in `out`
** (out->n is what it was). Decoders never read at or past `end`.
**
** Nothing in the engine calls these yet (the catalog and row paths of issue 4
** will): TDB_MAYBE_UNUSED keeps the amalgamation free of -Wunused-function
** until then.
*/
#ifndef TDB_KEYCODEC_H
#define TDB_KEYCODEC_H

#include "value.h"

/* Tag bytes of the components. On-disk: do not renumber. */
#define TDB_KEY_TAG_NULL      0x05
#define TDB_KEY_TAG_FALSE     0x10
#define TDB_KEY_TAG_TRUE      0x11
#define TDB_KEY_TAG_INTEGER   0x20
#define TDB_KEY_TAG_REAL      0x30
#define TDB_KEY_TAG_TIMESTAMP 0x40
#define TDB_KEY_TAG_TEXT      0x50
#define TDB_KEY_TAG_BLOB      0x60

/* Whether values of TDB_TYPE_* `type` can be key components. */
#define TDB_KEY_TYPE_OK(type) ((type) >= TDB_TYPE_NULL && (type) <= TDB_TYPE_TIMESTAMP)

/* Append the encoding of *v (one component) to out. TDB_OK, TDB_MISUSE for
** JSON, VECTOR or an unknown type, TDB_NOMEM. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbKeyEncodeValue(TdbStr *out, const TdbValue *v);

/* Decode the component at [p, end) into *out (which need not be clear; it is
** overwritten, not freed). TEXT and BLOB come back as owned copies from
** `mem` (NUL-terminated; free with tdbValueClear); REAL -0.0 comes back as
** 0.0. *used gets the bytes the component takes. Returns TDB_OK,
** TDB_CORRUPT (truncated, unknown tag, non-canonical payload: *out is NULL
** then), TDB_TOOBIG (a TEXT/BLOB longer than a TdbValue holds), TDB_NOMEM. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbKeyDecodeValue(const unsigned char *p,
                                                   const unsigned char *end,
                                                   TdbMem *mem, TdbValue *out,
                                                   size_t *used);

/* Length of the component at [p, end) into *len, validated as the decoder
** would but without allocating. TDB_OK or TDB_CORRUPT. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbKeySkipValue(const unsigned char *p,
                                                 const unsigned char *end,
                                                 size_t *len);

/* Fixed-width parts. Put/Get work on a buffer of 4 or 8 bytes; Encode
** appends (TDB_OK or TDB_NOMEM); Decode reads from [p, end) and returns
** TDB_OK or TDB_CORRUPT when fewer than 4 / 8 bytes remain. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbKeyPutU32BE(unsigned char *dst, uint32_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED uint32_t tdbKeyGetU32BE(const unsigned char *src);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbKeyPutI64BE(unsigned char *dst, int64_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED int64_t tdbKeyGetI64BE(const unsigned char *src);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbKeyEncodeU32BE(TdbStr *out, uint32_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbKeyEncodeI64BE(TdbStr *out, int64_t v);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbKeyDecodeU32BE(const unsigned char *p,
                                                   const unsigned char *end,
                                                   uint32_t *out);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbKeyDecodeI64BE(const unsigned char *p,
                                                   const unsigned char *end,
                                                   int64_t *out);

#endif /* TDB_KEYCODEC_H */
