/*
** test_arena.c — the memtable's bump allocator: alignment, allocations that
** never overlap, large requests in their own block, the usage count,
** out-of-memory (NULL, arena unchanged, nothing leaked), reuse after free and
** after reset.
*/
#include "tensordb.c"
#include "test.h"

static void testEmptyArena(void) {
  TdbMem mem;
  TdbArena arena;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  CHECK_EQ(tdbArenaMemoryUsage(&arena), 0);
  CHECK_EQ(arena.block_size, TDB_ARENA_DEFAULT_BLOCK);
  tdbArenaFree(&arena);
  tdbArenaFree(&arena); /* twice: still fine */
  CHECK_EQ(tdbArenaMemoryUsage(&arena), 0);
  tdbArenaInit(&arena, &mem, 1); /* raised to the minimum */
  CHECK(arena.block_size >= 256);
  tdbArenaFree(&arena);
}

/* Random sizes, aligned and not: every aligned pointer is aligned, and no
** two allocations overlap (each is filled with its own byte, checked last). */
static void testAlignmentAndDisjoint(void) {
  enum { N = 5000 };
  static unsigned char *ptrs[N];
  static size_t sizes[N];
  TdbMem mem;
  TdbArena arena;
  uint64_t rng = 42;
  size_t total = 0;
  int i;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 4096);
  for (i = 0; i < N; i++) {
    uint64_t r = tdbTestRand(&rng);
    size_t n = (size_t)(r % 100 == 0 ? 1 + r % 5000 : 1 + r % 40);
    int aligned = (int)((r >> 20) & 1);
    ptrs[i] = aligned ? tdbArenaAllocAligned(&arena, n) : tdbArenaAlloc(&arena, n);
    sizes[i] = n;
    total += n;
    CHECK(ptrs[i] != NULL);
    if (!ptrs[i]) return;
    if (aligned) CHECK_EQ((uintptr_t)ptrs[i] % TDB_ARENA_ALIGN, 0);
    memset(ptrs[i], (int)(i & 0xff), n);
  }
  for (i = 0; i < N; i++) {
    size_t k;
    int bad = 0;
    for (k = 0; k < sizes[i]; k++) bad |= ptrs[i][k] != (unsigned char)(i & 0xff);
    CHECK(!bad);
  }
  CHECK(tdbArenaMemoryUsage(&arena) >= total);
  /* Overhead stays bounded: at most a quarter block wasted per block, plus
  ** alignment padding and headers. */
  CHECK(tdbArenaMemoryUsage(&arena) < total * 2 + 4096);
  tdbArenaFree(&arena);
  CHECK_EQ(tdbArenaMemoryUsage(&arena), 0);
}

static void testAlignedAfterOddSizes(void) {
  TdbMem mem;
  TdbArena arena;
  size_t n;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 1024);
  for (n = 1; n < 64; n++) {
    void *odd = tdbArenaAlloc(&arena, n);
    void *al = tdbArenaAllocAligned(&arena, 3);
    CHECK(odd && al);
    CHECK_EQ((uintptr_t)al % TDB_ARENA_ALIGN, 0);
  }
  tdbArenaFree(&arena);
}

/* A request above a quarter block that does not fit the current block gets
** its own block; the current block keeps serving small requests right where
** it was. One that fits is served from the current block. */
static void testLargeBlocks(void) {
  TdbMem mem;
  TdbArena arena;
  unsigned char *a, *fill, *big, *b, *huge;
  size_t u1, u2;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 4096);
  a = tdbArenaAlloc(&arena, 100);
  u1 = tdbArenaMemoryUsage(&arena);
  CHECK(u1 >= 4096 && u1 < 4096 + 64);
  fill = tdbArenaAlloc(&arena, 3000);  /* fits: same block */
  CHECK(fill == a + 100);
  CHECK_EQ(tdbArenaMemoryUsage(&arena), u1);
  big = tdbArenaAlloc(&arena, 2000);   /* does not fit, > block/4: own block */
  u2 = tdbArenaMemoryUsage(&arena);
  CHECK(u2 >= u1 + 2000 && u2 < u1 + 2000 + 64);
  b = tdbArenaAlloc(&arena, 100);
  CHECK(a && big && b);
  CHECK(b == a + 3100);                /* the first block, right after */
  huge = tdbArenaAllocAligned(&arena, (size_t)1 << 20);
  CHECK(huge != NULL);
  if (huge) {
    CHECK_EQ((uintptr_t)huge % TDB_ARENA_ALIGN, 0);
    memset(huge, 0xAB, (size_t)1 << 20);
  }
  CHECK(tdbArenaMemoryUsage(&arena) >= u2 + ((size_t)1 << 20));
  CHECK(tdbArenaAlloc(&arena, 8) == b + 100);
  /* A small request that does not fit retires the block: a new one. */
  CHECK(tdbArenaAlloc(&arena, 900) != NULL);
  CHECK(tdbArenaMemoryUsage(&arena) >= u2 + ((size_t)1 << 20) + 4096);
  tdbArenaFree(&arena);
}

static void testZeroAndOverflow(void) {
  TdbMem mem;
  TdbArena arena;
  void *p, *q;
  tdbMemInit(&mem, NULL);
  tdbArenaInit(&arena, &mem, 0);
  p = tdbArenaAlloc(&arena, 0);       /* on an empty arena: a block */
  CHECK(p != NULL);
  q = tdbArenaAllocAligned(&arena, 0);
  CHECK(q != NULL);
  CHECK_EQ((uintptr_t)q % TDB_ARENA_ALIGN, 0);
  CHECK(tdbArenaAlloc(&arena, SIZE_MAX) == NULL);
  CHECK(tdbArenaAllocAligned(&arena, SIZE_MAX - 3) == NULL);
  CHECK(tdbArenaAlloc(&arena, 10) != NULL); /* still usable */
  tdbArenaFree(&arena);
}

/* Out of memory: NULL, the arena unchanged (the current block still serves),
** nothing leaked. */
static void testOutOfMemory(void) {
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbArena arena;
  unsigned char *a, *b;
  size_t u;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  tdbArenaInit(&arena, &mem, 1024);

  ta.fail_at = 1;
  CHECK(tdbArenaAlloc(&arena, 10) == NULL);
  CHECK_EQ(tdbArenaMemoryUsage(&arena), 0);
  CHECK(tdbArenaAllocAligned(&arena, 10) != NULL); /* the 2nd call succeeds */
  a = tdbArenaAlloc(&arena, 10);
  CHECK(a != NULL);
  u = tdbArenaMemoryUsage(&arena);

  /* Every block refused from now on. */
  ta.calls = 0;
  ta.fail_at = 1;
  ta.sticky = 1;
  CHECK(tdbArenaAlloc(&arena, 5000) == NULL);        /* own block */
  CHECK(tdbArenaAllocAligned(&arena, 5000) == NULL);
  CHECK_EQ(tdbArenaMemoryUsage(&arena), u);
  b = tdbArenaAlloc(&arena, 10);                      /* fits: no block */
  CHECK(b == a + 10);
  while (tdbArenaAlloc(&arena, 100) != NULL) {}       /* fill it up */
  CHECK_EQ(tdbArenaMemoryUsage(&arena), u);
  CHECK(ta.failures >= 3);
  ta.fail_at = 0;
  ta.sticky = 0;
  CHECK(tdbArenaAlloc(&arena, 100) != NULL);
  tdbArenaFree(&arena);
  CHECK_EQ(ta.live, 0);
}

static void testReuseAfterFree(void) {
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbArena arena;
  int round, i;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  tdbArenaInit(&arena, &mem, 512);
  for (round = 0; round < 3; round++) {
    for (i = 0; i < 100; i++) CHECK(tdbArenaAlloc(&arena, (size_t)i + 1) != NULL);
    CHECK(ta.live > 0);
    tdbArenaFree(&arena);
    CHECK_EQ(ta.live, 0);
    CHECK_EQ(tdbArenaMemoryUsage(&arena), 0);
  }
}

/* Reset keeps one regular block and hands its bytes out again; a large
** request's own block is returned; after Free nothing is held. */
static void testReset(void) {
  TdbTestAlloc ta;
  tdb_allocator hooks;
  TdbMem mem;
  TdbArena arena;
  unsigned char *first, *again;
  int round;
  memset(&ta, 0, sizeof(ta));
  tdbTestAllocHooks(&ta, &hooks);
  tdbMemInit(&mem, &hooks);
  tdbArenaInit(&arena, &mem, 512);
  tdbArenaReset(&arena); /* empty: stays empty */
  CHECK_EQ(tdbArenaMemoryUsage(&arena), 0);
  CHECK_EQ(ta.live, 0);
  first = tdbArenaAlloc(&arena, 10);
  CHECK(first != NULL);
  for (round = 0; round < 3; round++) {
    int i;
    for (i = 0; i < 20; i++) CHECK(tdbArenaAlloc(&arena, 50) != NULL); /* several blocks */
    CHECK(tdbArenaAlloc(&arena, 400) != NULL);                          /* its own block */
    tdbArenaReset(&arena);
    CHECK_EQ(ta.live, 1);
    CHECK_EQ(tdbArenaMemoryUsage(&arena), 512);
    again = tdbArenaAlloc(&arena, 10);
    CHECK(again != NULL);
    memset(again, 0xAB, 10);
  }
  tdbArenaFree(&arena);
  CHECK_EQ(ta.live, 0);
  CHECK_EQ(tdbArenaMemoryUsage(&arena), 0);
}

int main(void) {
  TEST_RUN(testEmptyArena);
  TEST_RUN(testAlignmentAndDisjoint);
  TEST_RUN(testAlignedAfterOddSizes);
  TEST_RUN(testLargeBlocks);
  TEST_RUN(testZeroAndOverflow);
  TEST_RUN(testOutOfMemory);
  TEST_RUN(testReuseAfterFree);
  TEST_RUN(testReset);
  return tdbTestFinish();
}
