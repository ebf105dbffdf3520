/*
** thread.c — mutexes, condition variables and threads over POSIX threads,
** or no-ops when the build has no threads (TDB_THREADS == 0). See thread.h.
*/
#include "thread.h"

#if TDB_THREADS
#include <errno.h>
#include <time.h>
#endif

#if TDB_THREADS

/* ---- with threads ------------------------------------------------------------ */

TDB_PRIVATE int tdbMutexInit(TdbMutex *m) {
  return pthread_mutex_init(&m->m, NULL) == 0 ? TDB_OK : TDB_NOMEM;
}

TDB_PRIVATE void tdbMutexDestroy(TdbMutex *m) { pthread_mutex_destroy(&m->m); }

TDB_PRIVATE void tdbMutexLock(TdbMutex *m) { pthread_mutex_lock(&m->m); }

TDB_PRIVATE void tdbMutexUnlock(TdbMutex *m) { pthread_mutex_unlock(&m->m); }

/* Deadlines are measured on CLOCK_MONOTONIC when the condition variable can
** be bound to it (not on macOS, which lacks pthread_condattr_setclock). */
TDB_PRIVATE int tdbCondInit(TdbCond *c) {
#if defined(CLOCK_MONOTONIC) && !defined(__APPLE__)
  pthread_condattr_t attr;
  if (pthread_condattr_init(&attr) != 0) return TDB_NOMEM;
  c->monotonic = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0;
  if (pthread_cond_init(&c->c, &attr) != 0) {
    pthread_condattr_destroy(&attr);
    return TDB_NOMEM;
  }
  pthread_condattr_destroy(&attr);
  return TDB_OK;
#else
  c->monotonic = 0;
  return pthread_cond_init(&c->c, NULL) == 0 ? TDB_OK : TDB_NOMEM;
#endif
}

TDB_PRIVATE void tdbCondDestroy(TdbCond *c) { pthread_cond_destroy(&c->c); }

TDB_PRIVATE void tdbCondWait(TdbCond *c, TdbMutex *m) {
  pthread_cond_wait(&c->c, &m->m);
}

TDB_PRIVATE int tdbCondTimedWait(TdbCond *c, TdbMutex *m, int64_t ms) {
  struct timespec ts;
  int64_t sec, nsec;
  int rc;
  if (ms <= 0) return TDB_BUSY;
#if defined(CLOCK_MONOTONIC) && !defined(__APPLE__)
  clock_gettime(c->monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
#else
  clock_gettime(CLOCK_REALTIME, &ts);
#endif
  /* Add ms without overflowing time_t for absurd timeouts (cap ~ 100 years). */
  if (ms > (int64_t)100 * 365 * 24 * 3600 * 1000) ms = (int64_t)100 * 365 * 24 * 3600 * 1000;
  sec = (int64_t)ts.tv_sec + ms / 1000;
  nsec = (int64_t)ts.tv_nsec + (ms % 1000) * 1000000;
  if (nsec >= 1000000000) {
    sec++;
    nsec -= 1000000000;
  }
  ts.tv_sec = (time_t)sec;
  ts.tv_nsec = (long)nsec;
  rc = pthread_cond_timedwait(&c->c, &m->m, &ts);
  return rc == ETIMEDOUT ? TDB_BUSY : TDB_OK;
}

TDB_PRIVATE void tdbCondSignal(TdbCond *c) { pthread_cond_signal(&c->c); }

TDB_PRIVATE void tdbCondBroadcast(TdbCond *c) { pthread_cond_broadcast(&c->c); }

/* pthread's start routine: run the TdbThread's body. */
static void *tdbThreadMain(void *p) {
  TdbThread *t = (TdbThread *)p;
  t->fn(t->arg);
  return NULL;
}

TDB_PRIVATE int tdbThreadStart(TdbThread *t, TdbThreadFn fn, void *arg) {
  t->fn = fn;
  t->arg = arg;
  t->started = 0;
  if (pthread_create(&t->id, NULL, tdbThreadMain, t) != 0) return TDB_NOMEM;
  t->started = 1;
  return TDB_OK;
}

TDB_PRIVATE int tdbThreadJoin(TdbThread *t) {
  if (!t->started) return TDB_MISUSE;
  pthread_join(t->id, NULL);
  t->started = 0;
  return TDB_OK;
}

#else /* !TDB_THREADS */

/* ---- without threads: nothing can run concurrently ------------------------------ */

TDB_PRIVATE int tdbMutexInit(TdbMutex *m) {
  m->unused = 0;
  return TDB_OK;
}

TDB_PRIVATE void tdbMutexDestroy(TdbMutex *m) { TDB_UNUSED(m); }

TDB_PRIVATE void tdbMutexLock(TdbMutex *m) { TDB_UNUSED(m); }

TDB_PRIVATE void tdbMutexUnlock(TdbMutex *m) { TDB_UNUSED(m); }

TDB_PRIVATE int tdbCondInit(TdbCond *c) {
  c->unused = 0;
  return TDB_OK;
}

TDB_PRIVATE void tdbCondDestroy(TdbCond *c) { TDB_UNUSED(c); }

TDB_PRIVATE void tdbCondWait(TdbCond *c, TdbMutex *m) {
  TDB_UNUSED(c);
  TDB_UNUSED(m);
}

TDB_PRIVATE int tdbCondTimedWait(TdbCond *c, TdbMutex *m, int64_t ms) {
  TDB_UNUSED(c);
  TDB_UNUSED(m);
  TDB_UNUSED(ms);
  return TDB_BUSY;
}

TDB_PRIVATE void tdbCondSignal(TdbCond *c) { TDB_UNUSED(c); }

TDB_PRIVATE void tdbCondBroadcast(TdbCond *c) { TDB_UNUSED(c); }

TDB_PRIVATE int tdbThreadStart(TdbThread *t, TdbThreadFn fn, void *arg) {
  t->fn = fn;
  t->arg = arg;
  t->started = 0;
  return TDB_ERROR;
}

TDB_PRIVATE int tdbThreadJoin(TdbThread *t) {
  TDB_UNUSED(t);
  return TDB_MISUSE;
}

#endif /* TDB_THREADS */
