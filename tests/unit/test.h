/*
** test.h — a tiny unit-test framework for the C tests of tests/unit/.
**
** A test program is one translation unit: it includes the amalgamation
** (so the engine's static internals are reachable), then this header, then
** defines test functions and a main that runs them:
**
**   #include "tensordb.c"
**   #include "test.h"
**
**   static void testSomething(void) {
**     CHECK(1 + 1 == 2);
**     CHECK_EQ(tdbVarintLength(300), 2);
**     CHECK_STR(name, "CURRENT");
**   }
**
**   int main(void) {
**     TEST_RUN(testSomething);
**     return tdbTestFinish();
**   }
**
** A failed check prints "FAIL <test> <file>:<line>: <what>" and marks the
** test failed (the test goes on, so one run shows every failure). The last
** line of the output is exactly "N passed, N failed" (tests, not checks),
** and tdbTestFinish returns the exit status: 1 if any test failed.
** TDB_TEST_VERBOSE=1 in the environment also prints "ok <test>" lines.
*/
#ifndef TDB_TEST_H
#define TDB_TEST_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define TDB_TEST_UNUSED __attribute__((unused))
#define TDB_TEST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TDB_TEST_UNUSED
#define TDB_TEST_PRINTF(f, a)
#endif

#define TDB_TEST_MAX_REPORTS 20 /* failures printed per test */

static const char *tdbTestCurrent = "(none)";
static int tdbTestCurrentFailures;
static int tdbTestPassed, tdbTestFailed;

static TDB_TEST_PRINTF(3, 4) void tdbTestFail(const char *file, int line,
                                              const char *fmt, ...) {
  va_list ap;
  tdbTestCurrentFailures++;
  if (tdbTestCurrentFailures > TDB_TEST_MAX_REPORTS) return;
  printf("FAIL %s %s:%d: ", tdbTestCurrent, file, line);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) tdbTestFail(__FILE__, __LINE__, "CHECK(%s)", #cond);  \
  } while (0)

/* Integers of any type, compared after conversion to unsigned long long
** (so -1 and 0xFFFFFFFFu differ); printed in decimal and hex. */
#define CHECK_EQ(a, b)                                                     \
  do {                                                                     \
    unsigned long long tdbTestA_ = (unsigned long long)(a);                \
    unsigned long long tdbTestB_ = (unsigned long long)(b);                \
    if (tdbTestA_ != tdbTestB_) {                                          \
      tdbTestFail(__FILE__, __LINE__,                                      \
                  "CHECK_EQ(%s, %s): %lld (0x%llx) != %lld (0x%llx)", #a,  \
                  #b, (long long)tdbTestA_, tdbTestA_, (long long)tdbTestB_, \
                  tdbTestB_);                                              \
    }                                                                      \
  } while (0)

/* NUL-terminated strings; NULL equals only NULL. */
#define CHECK_STR(a, b)                                                     \
  do {                                                                      \
    const char *tdbTestSA_ = (a), *tdbTestSB_ = (b);                        \
    if (!(tdbTestSA_ == tdbTestSB_ ||                                       \
          (tdbTestSA_ && tdbTestSB_ && strcmp(tdbTestSA_, tdbTestSB_) == 0))) { \
      tdbTestFail(__FILE__, __LINE__, "CHECK_STR(%s, %s): \"%s\" != \"%s\"", \
                  #a, #b, tdbTestSA_ ? tdbTestSA_ : "(null)",               \
                  tdbTestSB_ ? tdbTestSB_ : "(null)");                      \
    }                                                                       \
  } while (0)

/* n bytes at a and b. */
#define CHECK_MEM(a, b, n)                                                 \
  do {                                                                     \
    if (memcmp((a), (b), (n)) != 0) {                                      \
      tdbTestFail(__FILE__, __LINE__, "CHECK_MEM(%s, %s, %s): differ", #a, \
                  #b, #n);                                                 \
    }                                                                      \
  } while (0)

/* `haystack` contains `needle`. */
#define CHECK_CONTAINS(haystack, needle)                                      \
  do {                                                                        \
    const char *tdbTestH_ = (haystack), *tdbTestN_ = (needle);                \
    if (!tdbTestH_ || !strstr(tdbTestH_, tdbTestN_)) {                        \
      tdbTestFail(__FILE__, __LINE__, "CHECK_CONTAINS(%s, %s): \"%s\"", #haystack, \
                  #needle, tdbTestH_ ? tdbTestH_ : "(null)");                 \
    }                                                                         \
  } while (0)

typedef void (*TdbTestFn)(void);

static void tdbTestRunNamed(const char *name, TdbTestFn fn) {
  const char *verbose = getenv("TDB_TEST_VERBOSE");
  tdbTestCurrent = name;
  tdbTestCurrentFailures = 0;
  fn();
  if (tdbTestCurrentFailures) {
    if (tdbTestCurrentFailures > TDB_TEST_MAX_REPORTS) {
      printf("FAIL %s: %d more failures not shown\n", name,
             tdbTestCurrentFailures - TDB_TEST_MAX_REPORTS);
    }
    tdbTestFailed++;
  } else {
    tdbTestPassed++;
    if (verbose && verbose[0] == '1') printf("ok %s\n", name);
  }
  fflush(stdout);
  tdbTestCurrent = "(none)";
}

#define TEST_RUN(fn) tdbTestRunNamed(#fn, fn)

/* Print the closing line; the exit status for main. */
static int tdbTestFinish(void) {
  printf("%d passed, %d failed\n", tdbTestPassed, tdbTestFailed);
  fflush(stdout);
  return tdbTestFailed ? 1 : 0;
}

/* A deterministic PRNG (splitmix64) so random tests repeat exactly. */
static TDB_TEST_UNUSED uint64_t tdbTestRand(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A tdb_allocator that fails the nth allocation (malloc or realloc) from
** when it is armed, and every later one while `sticky`; counts what is
** live so tests can check that nothing leaked. */
typedef struct TdbTestAlloc {
  long calls;          /* allocations attempted since armed */
  long fail_at;        /* 0: never fail */
  int sticky;
  long live;           /* blocks allocated and not freed */
  long failures;       /* allocations refused */
} TdbTestAlloc;

static TDB_TEST_UNUSED int tdbTestAllocRefuse(TdbTestAlloc *a) {
  a->calls++;
  if (a->fail_at && (a->calls == a->fail_at || (a->sticky && a->calls > a->fail_at))) {
    a->failures++;
    return 1;
  }
  return 0;
}

static TDB_TEST_UNUSED void *tdbTestAllocMalloc(void *ctx, size_t n) {
  TdbTestAlloc *a = (TdbTestAlloc *)ctx;
  void *p;
  if (tdbTestAllocRefuse(a)) return NULL;
  p = malloc(n ? n : 1);
  if (p) a->live++;
  return p;
}

static TDB_TEST_UNUSED void *tdbTestAllocRealloc(void *ctx, void *old, size_t n) {
  TdbTestAlloc *a = (TdbTestAlloc *)ctx;
  void *p;
  if (tdbTestAllocRefuse(a)) return NULL;
  p = realloc(old, n ? n : 1);
  if (p && !old) a->live++;
  return p;
}

static TDB_TEST_UNUSED void tdbTestAllocFree(void *ctx, void *p) {
  TdbTestAlloc *a = (TdbTestAlloc *)ctx;
  if (p) {
    a->live--;
    free(p);
  }
}

/* Fill *hooks with the failing allocator of state *a (zeroed: never fails). */
static TDB_TEST_UNUSED void tdbTestAllocHooks(TdbTestAlloc *a, tdb_allocator *hooks) {
  hooks->malloc_fn = tdbTestAllocMalloc;
  hooks->realloc_fn = tdbTestAllocRealloc;
  hooks->free_fn = tdbTestAllocFree;
  hooks->ctx = a;
}

#endif /* TDB_TEST_H */
