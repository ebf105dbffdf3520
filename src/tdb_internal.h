/*
** tdb_internal.h — what every engine source file includes first: the
** compile-time configuration section, the TDB_PRIVATE linkage macro, common
** system headers and small helpers shared by all layers.
**
** Conventions (docs/design.md §9): internal functions are named after their
** module (tdbMemAlloc, tdbStrBufAppend, ...) and declared TDB_PRIVATE in the
** module's header. The amalgamation defines TDB_PRIVATE as `static`, so the
** only symbols the library exports are the tdb_* functions of tensordb.h.
*/
#ifndef TDB_INTERNAL_H
#define TDB_INTERNAL_H

/* POSIX.1-2008 interfaces (pread, fdatasync, mmap) under -std=c11. This must
** come before the first system header of the translation unit, so every
** engine .c file includes a project header first. */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64   /* 64-bit file offsets on 32-bit hosts too */
#endif

#include "tensordb.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef TDB_PRIVATE
#define TDB_PRIVATE
#endif

/* ---- Compile-time options (all defaulted here, nowhere else) ------------ */

#ifndef TDB_THREADS
#define TDB_THREADS 1           /* 0: no threads; background work runs inline */
#endif
#ifndef TDB_MAX_SQL_LENGTH
#define TDB_MAX_SQL_LENGTH 100000000   /* bytes of one SQL text */
#endif
#ifndef TDB_MAX_EXPR_DEPTH
#define TDB_MAX_EXPR_DEPTH 1000        /* nesting depth of one expression */
#endif
#ifndef TDB_MAX_PARAMS
#define TDB_MAX_PARAMS 32766           /* $n parameters of one statement */
#endif
#ifndef TDB_MAX_COLUMNS
#define TDB_MAX_COLUMNS 2000           /* result or table columns */
#endif
#ifndef TDB_MAX_KEY_COLUMNS
#define TDB_MAX_KEY_COLUMNS 32         /* columns of a primary key or index */
#endif
#ifndef TDB_DEFAULT_MEMTABLE_BYTES
#define TDB_DEFAULT_MEMTABLE_BYTES ((size_t)64 << 20)
#endif
#ifndef TDB_DEFAULT_BLOCK_BYTES
#define TDB_DEFAULT_BLOCK_BYTES ((size_t)4096)
#endif
#ifndef TDB_DEFAULT_BLOOM_BITS
#define TDB_DEFAULT_BLOOM_BITS 10
#endif
#ifndef TDB_DEFAULT_BLOCK_CACHE_BYTES
#define TDB_DEFAULT_BLOCK_CACHE_BYTES ((size_t)64 << 20)
#endif
#ifndef TDB_DEFAULT_L0_TRIGGER
#define TDB_DEFAULT_L0_TRIGGER 4
#endif
#ifndef TDB_DEFAULT_LEVEL_RATIO
#define TDB_DEFAULT_LEVEL_RATIO 10
#endif
#ifndef TDB_DEFAULT_MAX_LEVELS
#define TDB_DEFAULT_MAX_LEVELS 7
#endif
#ifndef TDB_DEFAULT_SYNC_INTERVAL_MS
#define TDB_DEFAULT_SYNC_INTERVAL_MS 100
#endif
#ifndef TDB_DEFAULT_SYNC_INTERVAL_RECORDS
#define TDB_DEFAULT_SYNC_INTERVAL_RECORDS 1000
#endif
#ifndef TDB_DEFAULT_L1_BYTES
#define TDB_DEFAULT_L1_BYTES ((uint64_t)10 << 20)   /* budget of L1; Ln = L1 * ratio^(n-1) */
#endif
#ifndef TDB_TARGET_FILE_BYTES
#define TDB_TARGET_FILE_BYTES ((uint64_t)2 << 20)   /* SSTable size compaction aims at */
#endif
#ifndef TDB_L0_STOP_FILES
#define TDB_L0_STOP_FILES 12                       /* writers wait for compaction */
#endif
#ifndef TDB_DEFAULT_BUSY_TIMEOUT_MS   /* wait for another connection's write lock */
#define TDB_DEFAULT_BUSY_TIMEOUT_MS 5000
#endif
#ifndef TDB_DEFAULT_RECURSION_LIMIT
#define TDB_DEFAULT_RECURSION_LIMIT 1000000
#endif

/* ---- Small helpers ------------------------------------------------------- */

#define TDB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TDB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TDB_MAX(a, b) ((a) > (b) ? (a) : (b))
#define TDB_UNUSED(x) ((void)(x))

#if defined(__GNUC__) || defined(__clang__)
#define TDB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TDB_MAYBE_UNUSED __attribute__((unused))
#define TDB_LIKELY(x) __builtin_expect(!!(x), 1)
#define TDB_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* Start loading the cache line at p (a hint: p need not be valid memory
** to dereference, and nothing is read through it). */
#define TDB_PREFETCH(p) __builtin_prefetch(p)
/* Keep a function out of line (a hot function's rare path, so the hot one
** saves no registers for it) / always inline one (a hot path's body). */
#define TDB_NOINLINE __attribute__((noinline))
#define TDB_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TDB_PRINTF(f, a)
#define TDB_MAYBE_UNUSED
#define TDB_LIKELY(x) (x)
#define TDB_UNLIKELY(x) (x)
#define TDB_PREFETCH(p) ((void)(p))
#define TDB_NOINLINE
#define TDB_ALWAYS_INLINE inline
#endif

#endif /* TDB_INTERNAL_H */
