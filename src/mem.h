/*
** mem.h — allocation through the connection's allocator hooks.
**
** Every allocation of the engine goes through a TdbMem, a copy of the
** tdb_allocator the user configured (or the C library's). Tests install a
** failing allocator to prove that every out-of-memory path is handled.
*/
#ifndef TDB_MEM_H
#define TDB_MEM_H

#include "tdb_internal.h"

typedef struct TdbMem {
  tdb_allocator hooks;   /* all three set: defaults filled in by tdbMemInit */
} TdbMem;

/* Copy `hooks` (NULL or all-NULL fields: the C library's allocator). */
TDB_PRIVATE void tdbMemInit(TdbMem *mem, const tdb_allocator *hooks);

/* malloc/realloc/free through the hooks. tdbMemAlloc(mem, 0) returns a
** unique non-NULL pointer or NULL on failure; tdbMemFree(mem, NULL) is a no-op. */
TDB_PRIVATE void *tdbMemAlloc(TdbMem *mem, size_t n);
TDB_PRIVATE void *tdbMemAllocZero(TdbMem *mem, size_t n);
TDB_PRIVATE void *tdbMemRealloc(TdbMem *mem, void *p, size_t n);
TDB_PRIVATE void tdbMemFree(TdbMem *mem, void *p);

/* A NUL-terminated copy of the first n bytes of s (NULL on failure). */
TDB_PRIVATE char *tdbMemStrndup(TdbMem *mem, const char *s, size_t n);

/* Grow *array (of *cap elements of `elem` bytes) to hold at least `need`
** elements, doubling. Returns 0 on success, -1 on overflow or no memory
** (the array is left as it was). */
TDB_PRIVATE int tdbMemGrow(TdbMem *mem, void **array, size_t *cap, size_t need,
                           size_t elem);

#endif /* TDB_MEM_H */
