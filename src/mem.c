/*
** mem.c — allocation through the connection's allocator hooks (see mem.h).
*/
#include "mem.h"

#include <stdlib.h>

static void *tdbMemLibcMalloc(void *ctx, size_t n) {
  TDB_UNUSED(ctx);
  return malloc(n);
}
static void *tdbMemLibcRealloc(void *ctx, void *p, size_t n) {
  TDB_UNUSED(ctx);
  return realloc(p, n);
}
static void tdbMemLibcFree(void *ctx, void *p) {
  TDB_UNUSED(ctx);
  free(p);
}

TDB_PRIVATE void tdbMemInit(TdbMem *mem, const tdb_allocator *hooks) {
  if (hooks && hooks->malloc_fn && hooks->realloc_fn && hooks->free_fn) {
    mem->hooks = *hooks;
  } else {
    mem->hooks.malloc_fn = tdbMemLibcMalloc;
    mem->hooks.realloc_fn = tdbMemLibcRealloc;
    mem->hooks.free_fn = tdbMemLibcFree;
    mem->hooks.ctx = NULL;
  }
}

TDB_PRIVATE void *tdbMemAlloc(TdbMem *mem, size_t n) {
  return mem->hooks.malloc_fn(mem->hooks.ctx, n ? n : 1);
}

TDB_PRIVATE void *tdbMemAllocZero(TdbMem *mem, size_t n) {
  void *p = tdbMemAlloc(mem, n);
  if (p) memset(p, 0, n ? n : 1);
  return p;
}

TDB_PRIVATE void *tdbMemRealloc(TdbMem *mem, void *p, size_t n) {
  return mem->hooks.realloc_fn(mem->hooks.ctx, p, n ? n : 1);
}

TDB_PRIVATE void tdbMemFree(TdbMem *mem, void *p) {
  if (p) mem->hooks.free_fn(mem->hooks.ctx, p);
}

TDB_PRIVATE char *tdbMemStrndup(TdbMem *mem, const char *s, size_t n) {
  char *copy = tdbMemAlloc(mem, n + 1);
  if (!copy) return NULL;
  if (n) memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

TDB_PRIVATE int tdbMemGrow(TdbMem *mem, void **array, size_t *cap, size_t need,
                           size_t elem) {
  size_t ncap;
  void *grown;
  if (need <= *cap) return 0;
  ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) return -1;
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / elem) return -1;
  grown = tdbMemRealloc(mem, *array, ncap * elem);
  if (!grown) return -1;
  *array = grown;
  *cap = ncap;
  return 0;
}
