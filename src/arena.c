/*
** arena.c — the memtable's bump allocator (see arena.h).
*/
#include "arena.h"

/* Every block starts with this header; the data follows, aligned to
** TDB_ARENA_ALIGN because the header's size is padded to it. */
struct TdbArenaBlock {
  TdbArenaBlock *next;
  size_t size;             /* bytes of the whole block, header included */
};

#define TDB_ARENA_HEADER \
  ((sizeof(TdbArenaBlock) + TDB_ARENA_ALIGN - 1) & ~(TDB_ARENA_ALIGN - 1))
#define TDB_ARENA_MIN_BLOCK ((size_t)256)

TDB_PRIVATE void tdbArenaInit(TdbArena *arena, TdbMem *mem, size_t block_size) {
  if (block_size == 0) block_size = TDB_ARENA_DEFAULT_BLOCK;
  if (block_size < TDB_ARENA_MIN_BLOCK) block_size = TDB_ARENA_MIN_BLOCK;
  arena->mem = mem;
  arena->ptr = NULL;
  arena->left = 0;
  arena->block_size = block_size;
  arena->usage = 0;
  arena->blocks = NULL;
}

TDB_PRIVATE void tdbArenaFree(TdbArena *arena) {
  TdbArenaBlock *b = arena->blocks;
  while (b) {
    TdbArenaBlock *next = b->next;
    tdbMemFree(arena->mem, b);
    b = next;
  }
  arena->blocks = NULL;
  arena->ptr = NULL;
  arena->left = 0;
  arena->usage = 0;
}

TDB_PRIVATE void tdbArenaReset(TdbArena *arena) {
  TdbArenaBlock *keep = NULL, *b = arena->blocks;
  while (b) {
    TdbArenaBlock *next = b->next;
    if (!keep && b->size == arena->block_size) keep = b;
    else tdbMemFree(arena->mem, b);
    b = next;
  }
  arena->blocks = keep;
  if (keep) {
    keep->next = NULL;
    arena->ptr = (unsigned char *)keep + TDB_ARENA_HEADER;
    arena->left = keep->size - TDB_ARENA_HEADER;
    arena->usage = keep->size;
  } else {
    arena->ptr = NULL;
    arena->left = 0;
    arena->usage = 0;
  }
}

/* A new block of `data` usable bytes linked into the arena, or NULL (the
** arena unchanged) when the size overflows or the TdbMem refuses. Returns
** the block's first data byte, aligned to TDB_ARENA_ALIGN. */
static unsigned char *tdbArenaNewBlock(TdbArena *arena, size_t data) {
  TdbArenaBlock *b;
  size_t size;
  if (data > SIZE_MAX - TDB_ARENA_HEADER) return NULL;
  size = TDB_ARENA_HEADER + data;
  b = (TdbArenaBlock *)tdbMemAlloc(arena->mem, size);
  if (!b) return NULL;
  b->next = arena->blocks;
  b->size = size;
  arena->blocks = b;
  arena->usage += size;
  return (unsigned char *)b + TDB_ARENA_HEADER;
}

static void *tdbArenaAllocAlignedImpl(TdbArena *arena, size_t n);

/* The slow path: the current block cannot hold n more bytes, or n is 0.
** A fresh block starts aligned, so this serves both allocators. */
static void *tdbArenaAllocFallback(TdbArena *arena, size_t n) {
  unsigned char *p;
  size_t data = arena->block_size - TDB_ARENA_HEADER;
  if (n == 0) return tdbArenaAllocAlignedImpl(arena, 1); /* never NULL+0 */
  if (n > data / 4) {
    /* Its own block; the current block keeps its free tail. */
    return tdbArenaNewBlock(arena, n);
  }
  p = tdbArenaNewBlock(arena, data);
  if (!p) return NULL;
  arena->ptr = p + n;
  arena->left = data - n;
  return p;
}

TDB_PRIVATE void *tdbArenaAlloc(TdbArena *arena, size_t n) {
  /* n - 1 < left: 1 <= n <= left (n == 0 wraps and takes the slow path). */
  if (TDB_LIKELY(n - 1 < arena->left)) {
    void *p = arena->ptr;
    arena->ptr += n;
    arena->left -= n;
    return p;
  }
  return tdbArenaAllocFallback(arena, n);
}

static void *tdbArenaAllocAlignedImpl(TdbArena *arena, size_t n) {
  /* Blocks start aligned, so padding ptr up to TDB_ARENA_ALIGN suffices. */
  size_t mis = (size_t)((uintptr_t)arena->ptr & (TDB_ARENA_ALIGN - 1));
  size_t pad = mis ? TDB_ARENA_ALIGN - mis : 0;
  if (TDB_LIKELY(arena->left >= pad && n - 1 < arena->left - pad)) {
    unsigned char *p = arena->ptr + pad;
    arena->ptr = p + n;
    arena->left -= pad + n;
    return p;
  }
  return tdbArenaAllocFallback(arena, n);
}

TDB_PRIVATE void *tdbArenaAllocAligned(TdbArena *arena, size_t n) {
  return tdbArenaAllocAlignedImpl(arena, n);
}

TDB_PRIVATE size_t tdbArenaMemoryUsage(const TdbArena *arena) {
  return arena->usage;
}
