/*
** arena.h — a bump allocator for the memtable: many small allocations carved
** out of a few large blocks obtained from a TdbMem, all released at once.
**
** The arena never frees individual allocations; tdbArenaFree returns every
** block. It is single-threaded: only the memtable's one writer allocates.
** Memory handed out stays valid and never moves until tdbArenaFree, so
** readers on other threads may read what the writer published.
**
**   blocks:  [hdr|used.............|free   ]  <- current block (ptr, left)
**            [hdr|used....................]  <- earlier, full (tail wasted)
**            [hdr|one large request        ]  <- requests > block_size/4
**
** A request larger than a quarter of the block size gets a block of its own,
** so the current block keeps its free tail for later small requests and at
** most a quarter of a block is ever wasted when a block is retired.
*/
#ifndef TDB_ARENA_H
#define TDB_ARENA_H

#include "tdb_internal.h"
#include "mem.h"

/* Alignment of tdbArenaAllocAligned: enough for pointers and 64-bit ints. */
#define TDB_ARENA_ALIGN (sizeof(void *) > 8 ? sizeof(void *) : 8)

/* Block size used when tdbArenaInit is given 0. */
#define TDB_ARENA_DEFAULT_BLOCK ((size_t)4096)

typedef struct TdbArenaBlock TdbArenaBlock;

typedef struct TdbArena {
  TdbMem *mem;            /* where blocks come from; outlives the arena */
  unsigned char *ptr;     /* next free byte of the current block */
  size_t left;            /* free bytes at ptr */
  size_t block_size;      /* bytes of a regular block (header included) */
  size_t usage;           /* bytes of every block held, headers included */
  TdbArenaBlock *blocks;  /* every block, newest first */
} TdbArena;

/* Set up an empty arena (no memory is allocated yet). block_size 0 means
** TDB_ARENA_DEFAULT_BLOCK; tiny sizes are raised to a workable minimum. */
TDB_PRIVATE void tdbArenaInit(TdbArena *arena, TdbMem *mem, size_t block_size);

/* Return every block to the TdbMem; the arena is then empty and reusable
** (as after tdbArenaInit with the same block size). */
TDB_PRIVATE void tdbArenaFree(TdbArena *arena);

/* Forget every allocation but keep the newest regular-size block (if any)
** for the next ones, returning the others: a user that fills and empties the
** arena over and over (a scan's per-chunk bytes) then asks the TdbMem for
** nothing in the steady state. Everything handed out before is invalid. */
TDB_PRIVATE void tdbArenaReset(TdbArena *arena);

/* n bytes with no alignment guarantee (keys, values). NULL when the TdbMem
** refuses a block or n overflows; the arena is then unchanged. n == 0 gives
** a valid pointer that may equal a later allocation's. (The memtable puts
** node and entry in one aligned allocation; this is for byte data of other
** users of the arena, hence TDB_MAYBE_UNUSED.) */
TDB_PRIVATE TDB_MAYBE_UNUSED void *tdbArenaAlloc(TdbArena *arena, size_t n);

/* n bytes aligned to TDB_ARENA_ALIGN (nodes holding pointers). Same failure
** contract as tdbArenaAlloc. */
TDB_PRIVATE void *tdbArenaAllocAligned(TdbArena *arena, size_t n);

/* Bytes the arena holds from its TdbMem (block headers and wasted tails
** included): what the memtable compares with its flush threshold. Only the
** thread that allocates may call it while allocations go on. */
TDB_PRIVATE size_t tdbArenaMemoryUsage(const TdbArena *arena);

#endif /* TDB_ARENA_H */
