/*
** thread.h — tiny portable wrappers for the engine's threads: mutexes,
** condition variables, and start/join of a thread.
**
** With TDB_THREADS nonzero (the default) they are thin layers over POSIX
** threads. With TDB_THREADS == 0 the library is single-threaded: mutexes and
** condition variables are no-ops (init always succeeds), and tdbThreadStart
** returns TDB_ERROR so the caller runs the work inline instead (the storage
** engine flushes and compacts at write time then, DESIGN.md §4).
**
** All objects are plain structs the caller embeds; they must not be moved or
** copied between init and destroy (a started TdbThread: until join).
**
** Lock/unlock/signal/broadcast/wait cannot fail on a correctly used object
** (POSIX only reports programming errors there), so they return void. The
** engine's layers call these as they arrive; until every function has a
** caller, TDB_MAYBE_UNUSED keeps the amalgamation (TDB_PRIVATE = static) free
** of -Wunused-function warnings.
*/
#ifndef TDB_THREAD_H
#define TDB_THREAD_H

#include "tdb_internal.h"

#if TDB_THREADS
#include <pthread.h>
#endif

typedef struct TdbMutex {
#if TDB_THREADS
  pthread_mutex_t m;
#else
  int unused;
#endif
} TdbMutex;

typedef struct TdbCond {
#if TDB_THREADS
  pthread_cond_t c;
  int monotonic;      /* 1: deadlines are on CLOCK_MONOTONIC */
#else
  int unused;
#endif
} TdbCond;

/* The body of a thread. */
typedef void (*TdbThreadFn)(void *arg);

typedef struct TdbThread {
#if TDB_THREADS
  pthread_t id;
#endif
  TdbThreadFn fn;
  void *arg;
  int started;        /* 1 between a successful start and join */
} TdbThread;

/* ---- mutex ----------------------------------------------------------------
** A non-recursive mutex. Init returns TDB_OK, or TDB_NOMEM when the system
** lacks resources. Destroy an unlocked mutex only. */
#if TDB_THREADS
#define TDB_MUTEX_STATIC_INIT { PTHREAD_MUTEX_INITIALIZER }
#else
#define TDB_MUTEX_STATIC_INIT { 0 }
#endif
/* A mutex of static storage is initialized with TDB_MUTEX_STATIC_INIT
** instead (never destroyed); the process-wide store registry uses one. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbMutexInit(TdbMutex *m);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMutexDestroy(TdbMutex *m);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMutexLock(TdbMutex *m);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbMutexUnlock(TdbMutex *m);

/* ---- condition variable -----------------------------------------------------
** Init returns TDB_OK or TDB_NOMEM. Waits must hold `m` locked; they release
** it while waiting and hold it again on return. Wakeups may be spurious:
** always wait in a loop on the predicate.
**
** tdbCondTimedWait waits at most `ms` milliseconds (<= 0: do not block, just
** report a timeout). Returns TDB_OK when woken (signal, broadcast or a
** spurious wakeup) and TDB_BUSY when the time ran out. Deadlines use a
** monotonic clock where the platform offers one, so wall-clock jumps do not
** stretch or cut them.
**
** Without threads there is nobody to signal: tdbCondWait returns at once and
** tdbCondTimedWait returns TDB_BUSY at once (no sleeping). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbCondInit(TdbCond *c);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCondDestroy(TdbCond *c);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCondWait(TdbCond *c, TdbMutex *m);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbCondTimedWait(TdbCond *c, TdbMutex *m,
                                                  int64_t ms);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCondSignal(TdbCond *c);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbCondBroadcast(TdbCond *c);

/* ---- thread -----------------------------------------------------------------
** Start fn(arg) on a new thread. `t` must stay at its address until
** tdbThreadJoin. Returns TDB_OK; TDB_NOMEM when the system cannot create a
** thread now; TDB_ERROR when the build has no threads (TDB_THREADS == 0):
** the caller then runs the work inline. Join waits for fn to return and
** returns TDB_OK (TDB_MISUSE if `t` was not started). Every started thread
** must be joined. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbThreadStart(TdbThread *t, TdbThreadFn fn,
                                                void *arg);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbThreadJoin(TdbThread *t);

#endif /* TDB_THREAD_H */
