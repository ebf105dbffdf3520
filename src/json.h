/*
** json.h — JSON and VECTOR values: strict RFC 8259 validation of JSON text,
** the PostgreSQL `->` / `->>` member and element access, and the text form
** of VECTOR values (parsing `[0.1, 0.2]` into float32s and rendering back).
**
** A JSON value (TDB_TYPE_JSON) is its validated text, kept byte for byte as
** written (like PostgreSQL's `json`, not `jsonb`). A VECTOR value
** (TDB_TYPE_VECTOR) is n float32s, little-endian, 4*n bytes; every element is
** finite.
*/
#ifndef TDB_JSON_H
#define TDB_JSON_H

#include "value.h"

/* Deepest nesting of arrays and objects a JSON document may have: a
** document with more than this many open brackets at once is invalid. */
#define TDB_JSON_MAX_DEPTH 1000

/* TDB_MAYBE_UNUSED keeps the amalgamation free of -Wunused-function while
** a build (or the engine, before CAST and the operators call them) leaves
** one of these uncalled. */

/* Check that the n bytes at z are exactly one JSON text of RFC 8259: one
** value with optional blanks (space, tab, LF, CR) around it; strings are
** valid UTF-8 without raw control characters, escapes are the eight of the
** RFC or \uXXXX with surrogates paired; numbers follow the RFC grammar (no
** leading zeros, no '+', no bare '.'); at most TDB_JSON_MAX_DEPTH levels.
** Returns TDB_OK, or TDB_ERROR_DATA with SQLSTATE 22032 and a message like
** "invalid JSON at offset 7: expected ':'" (0-based byte offset). err may be
** NULL to only test validity. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbJsonValidate(TdbErr *err, const char *z, size_t n);

/* json -> path (as_text 0) or json ->> path (as_text 1), as in PostgreSQL.
** `path` is TEXT (an object member name; with duplicate names the last one
** counts) or INTEGER (a 0-based array index; negative counts from the end).
** A missing member, an index out of range, a path that does not fit the
** container (TEXT on an array, INTEGER on an object, anything on a scalar)
** or a NULL path give SQL NULL. Otherwise, with as_text 0, *out is a JSON
** value holding the member's exact text; with as_text 1 it is TEXT: a JSON
** string unescaped to UTF-8, any other value its JSON text, and JSON null is
** SQL NULL. *out must be clear on entry; on success it is NULL or an owned
** value (free it with tdbValueClear). Errors: 42883 for a path of another
** type, 22P05 when ->> meets \u0000 (TEXT cannot hold it), 22032 when the
** text turns out not to be valid JSON (it is read with bounds checks, but
** only as far as needed), TDB_NOMEM. *out is NULL after an error. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbJsonGet(TdbMem *mem, TdbErr *err, const char *json,
                                            size_t n, const TdbValue *path, int as_text,
                                            TdbValue *out);

/* The TEXT of the JSON string json[0..n) (quotes included, already valid):
** escapes decoded; 22P05 for \u0000, 22032 when it is not a string. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbJsonStringText(TdbMem *mem, TdbErr *err, const char *json,
                                                   size_t n, TdbValue *out);

/* Elements of the JSON array json[0..n) into *count; 0 for a value that is
** not an array. 22032 if the text turns out not to be valid. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbJsonArrayCount(TdbErr *err, const char *json, size_t n,
                                                   int64_t *count);

/* Parse the text form of a VECTOR: '[' numbers separated by ',' ']', blanks
** allowed anywhere between tokens and around the whole. A number is decimal
** ([+-]digits[.digits][e[+-]digits], also "1." and ".5"), rounded to the
** nearest float32. `[]` is accepted only when dim <= 0; dim > 0 requires
** exactly dim elements. *out (clear on entry) gets an owned VECTOR value.
** Errors: 22P02 "invalid input syntax for type VECTOR at offset N: ..." for
** bad syntax or NaN/Infinity, 22003 for a number beyond float32's range
** (with its offset), 22000 "expected N dimensions, got M", TDB_TOOBIG when
** the bytes would not fit a value, TDB_NOMEM. *out is NULL after an error. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbVectorParse(TdbMem *mem, TdbErr *err, const char *z,
                                                size_t n, int dim, TdbValue *out);

/* Append the text form of the n bytes of a VECTOR value: `[0.1,-2,3e+20]`,
** each element with the fewest significant digits that read back as the same
** float32 (fixed notation for decimal exponents -4..14, else d.ddde±XX, as
** REAL values render); "NaN", "Infinity", "-Infinity" should a stored
** element not be finite. Trailing bytes short of a whole float are ignored. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbVectorRender(TdbStr *out, const char *bytes,
                                                  size_t n);

#endif /* TDB_JSON_H */
