/*
** strbuf.c — growable byte strings (see strbuf.h).
*/
#include "strbuf.h"

#include <stdio.h>

TDB_PRIVATE void tdbStrInit(TdbStr *s, TdbMem *mem) {
  s->mem = mem;
  s->z = NULL;
  s->n = 0;
  s->cap = 0;
  s->oom = 0;
}

/* Make room for `extra` more bytes plus the NUL. Returns 0 or -1 (oom). */
static int tdbStrReserve(TdbStr *s, size_t extra) {
  size_t need;
  if (s->oom) return -1;
  if (extra > SIZE_MAX - s->n - 1) {
    s->oom = 1;
    return -1;
  }
  need = s->n + extra + 1;
  if (need > s->cap) {
    size_t cap = s->cap;
    void *z = s->z;
    if (cap == 0 && need < 64) need = 64; /* most strings are short: one allocation */
    if (tdbMemGrow(s->mem, &z, &cap, need, 1) != 0) {
      s->oom = 1;
      return -1;
    }
    s->z = z;
    s->cap = cap;
  }
  return 0;
}

TDB_PRIVATE void tdbStrAppend(TdbStr *s, const char *z, size_t n) {
  if (tdbStrReserve(s, n) != 0) return;
  if (n) memcpy(s->z + s->n, z, n);
  s->n += n;
  s->z[s->n] = '\0';
}

TDB_PRIVATE void tdbStrAppendz(TdbStr *s, const char *z) {
  tdbStrAppend(s, z, strlen(z));
}

TDB_PRIVATE void tdbStrAppendChar(TdbStr *s, char c) {
  tdbStrAppend(s, &c, 1);
}

TDB_PRIVATE void tdbStrAppendIdent(TdbStr *s, const char *name) {
  const char *c;
  tdbStrAppendChar(s, '"');
  for (c = name; *c; c++) {
    if (*c == '"') tdbStrAppendChar(s, '"');
    tdbStrAppendChar(s, *c);
  }
  tdbStrAppendChar(s, '"');
}

TDB_PRIVATE void tdbStrAppendv(TdbStr *s, const char *fmt, va_list ap) {
  va_list copy;
  int len;
  va_copy(copy, ap);
  len = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (len < 0) {
    s->oom = 1;
    return;
  }
  if (tdbStrReserve(s, (size_t)len) != 0) return;
  vsnprintf(s->z + s->n, (size_t)len + 1, fmt, ap);
  s->n += (size_t)len;
}

TDB_PRIVATE void tdbStrAppendf(TdbStr *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tdbStrAppendv(s, fmt, ap);
  va_end(ap);
}

TDB_PRIVATE char *tdbStrFinish(TdbStr *s) {
  char *z;
  if (s->oom) {
    tdbStrClear(s);
    return NULL;
  }
  if (!s->z && tdbStrReserve(s, 0) == 0) s->z[0] = '\0';
  z = s->z;
  s->z = NULL;
  s->n = s->cap = 0;
  return z;
}

TDB_PRIVATE void tdbStrEmpty(TdbStr *s) {
  s->n = 0;
  if (s->z) s->z[0] = '\0';
  s->oom = 0;
}

TDB_PRIVATE void tdbStrClear(TdbStr *s) {
  tdbMemFree(s->mem, s->z);
  s->z = NULL;
  s->n = s->cap = 0;
  s->oom = 0;
}
