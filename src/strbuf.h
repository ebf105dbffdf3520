/*
** strbuf.h — a growable byte string (TdbStr) for building messages, rendered
** values and generated text. Appends never fail loudly: on out-of-memory the
** buffer records it (str->oom) and further appends are ignored, so callers
** check once at the end.
*/
#ifndef TDB_STRBUF_H
#define TDB_STRBUF_H

#include "mem.h"

typedef struct TdbStr {
  TdbMem *mem;
  char *z;       /* NUL-terminated while z != NULL */
  size_t n;      /* bytes used, without the NUL */
  size_t cap;    /* bytes allocated */
  int oom;       /* an allocation failed: contents are incomplete */
} TdbStr;

TDB_PRIVATE void tdbStrInit(TdbStr *s, TdbMem *mem);
TDB_PRIVATE void tdbStrAppend(TdbStr *s, const char *z, size_t n);
TDB_PRIVATE void tdbStrAppendz(TdbStr *s, const char *z);
TDB_PRIVATE void tdbStrAppendChar(TdbStr *s, char c);
/* Append name as a double-quoted SQL identifier ("" for each "). */
TDB_PRIVATE void tdbStrAppendIdent(TdbStr *s, const char *name);
TDB_PRIVATE void tdbStrAppendf(TdbStr *s, const char *fmt, ...) TDB_PRINTF(2, 3);
TDB_PRIVATE void tdbStrAppendv(TdbStr *s, const char *fmt, va_list ap);
/* Hand the NUL-terminated string to the caller (free it with tdbMemFree);
** NULL if an allocation failed. The TdbStr is empty afterwards. */
TDB_PRIVATE char *tdbStrFinish(TdbStr *s);
/* Free the contents. */
TDB_PRIVATE void tdbStrClear(TdbStr *s);
/* Make it empty (and forget an earlier allocation failure), keeping the
** buffer for what comes next. */
TDB_PRIVATE void tdbStrEmpty(TdbStr *s);

#endif /* TDB_STRBUF_H */
