/*
** test_thread.c — the thread wrappers (src/thread.c): a counter incremented
** by several threads under a mutex, a producer/consumer handoff through a
** condition variable, timed waits, join of an unstarted thread; and, in a
** TDB_THREADS=0 build, that the no-op versions behave as documented.
*/
#include "tensordb.c"
#include "test.h"

#if TDB_THREADS

#define THREAD_WORKERS 4
#define THREAD_INCREMENTS 100000

typedef struct CounterCtx {
  TdbMutex mutex;
  long counter;
} CounterCtx;

static void counterBody(void *arg) {
  CounterCtx *c = (CounterCtx *)arg;
  int i;
  for (i = 0; i < THREAD_INCREMENTS; i++) {
    tdbMutexLock(&c->mutex);
    c->counter++;
    tdbMutexUnlock(&c->mutex);
  }
}

static void testCounter(void) {
  CounterCtx c;
  TdbThread t[THREAD_WORKERS];
  int i;
  CHECK_EQ(tdbMutexInit(&c.mutex), TDB_OK);
  c.counter = 0;
  for (i = 0; i < THREAD_WORKERS; i++) {
    CHECK_EQ(tdbThreadStart(&t[i], counterBody, &c), TDB_OK);
  }
  for (i = 0; i < THREAD_WORKERS; i++) CHECK_EQ(tdbThreadJoin(&t[i]), TDB_OK);
  CHECK_EQ(c.counter, (long)THREAD_WORKERS * THREAD_INCREMENTS);
  tdbMutexDestroy(&c.mutex);
}

/* A one-slot mailbox: the producer waits until it is empty, the consumer
** until it is full; value 0 ends the stream. */
#define HANDOFF_ITEMS 20000

typedef struct Mailbox {
  TdbMutex mutex;
  TdbCond not_empty, not_full;
  int full;
  long value;
  long sum, count;
} Mailbox;

static void consumerBody(void *arg) {
  Mailbox *m = (Mailbox *)arg;
  for (;;) {
    long v;
    tdbMutexLock(&m->mutex);
    while (!m->full) tdbCondWait(&m->not_empty, &m->mutex);
    v = m->value;
    m->full = 0;
    tdbCondSignal(&m->not_full);
    tdbMutexUnlock(&m->mutex);
    if (v == 0) break;
    m->sum += v;
    m->count++;
  }
}

static void testProducerConsumer(void) {
  Mailbox m;
  TdbThread consumer;
  long i;
  memset(&m, 0, sizeof m);
  CHECK_EQ(tdbMutexInit(&m.mutex), TDB_OK);
  CHECK_EQ(tdbCondInit(&m.not_empty), TDB_OK);
  CHECK_EQ(tdbCondInit(&m.not_full), TDB_OK);
  CHECK_EQ(tdbThreadStart(&consumer, consumerBody, &m), TDB_OK);
  for (i = 1; i <= HANDOFF_ITEMS + 1; i++) {
    long v = i <= HANDOFF_ITEMS ? i : 0;
    tdbMutexLock(&m.mutex);
    while (m.full) {
      /* Mix both waits: a timed one must also come back holding the lock. */
      if (i % 2) {
        tdbCondWait(&m.not_full, &m.mutex);
      } else {
        (void)tdbCondTimedWait(&m.not_full, &m.mutex, 1000);
      }
    }
    m.value = v;
    m.full = 1;
    tdbCondSignal(&m.not_empty);
    tdbMutexUnlock(&m.mutex);
  }
  CHECK_EQ(tdbThreadJoin(&consumer), TDB_OK);
  CHECK_EQ(m.count, HANDOFF_ITEMS);
  CHECK_EQ(m.sum, (long)HANDOFF_ITEMS * (HANDOFF_ITEMS + 1) / 2);
  tdbCondDestroy(&m.not_empty);
  tdbCondDestroy(&m.not_full);
  tdbMutexDestroy(&m.mutex);
}

/* Broadcast wakes every waiter. */
typedef struct Gate {
  TdbMutex mutex;
  TdbCond cond;
  int open;
  int passed;
} Gate;

static void gateBody(void *arg) {
  Gate *g = (Gate *)arg;
  tdbMutexLock(&g->mutex);
  while (!g->open) tdbCondWait(&g->cond, &g->mutex);
  g->passed++;
  tdbMutexUnlock(&g->mutex);
}

static void testBroadcast(void) {
  Gate g;
  TdbThread t[THREAD_WORKERS];
  int i;
  memset(&g, 0, sizeof g);
  CHECK_EQ(tdbMutexInit(&g.mutex), TDB_OK);
  CHECK_EQ(tdbCondInit(&g.cond), TDB_OK);
  for (i = 0; i < THREAD_WORKERS; i++) {
    CHECK_EQ(tdbThreadStart(&t[i], gateBody, &g), TDB_OK);
  }
  tdbMutexLock(&g.mutex);
  g.open = 1;
  tdbCondBroadcast(&g.cond);
  tdbMutexUnlock(&g.mutex);
  for (i = 0; i < THREAD_WORKERS; i++) CHECK_EQ(tdbThreadJoin(&t[i]), TDB_OK);
  CHECK_EQ(g.passed, THREAD_WORKERS);
  tdbCondDestroy(&g.cond);
  tdbMutexDestroy(&g.mutex);
}

/* With nobody signalling, a timed wait ends with TDB_BUSY (possibly after
** spurious wakeups, which return TDB_OK); ms <= 0 never blocks. */
static void testTimedWait(void) {
  TdbMutex mu;
  TdbCond cv;
  int tries, rc = TDB_OK;
  CHECK_EQ(tdbMutexInit(&mu), TDB_OK);
  CHECK_EQ(tdbCondInit(&cv), TDB_OK);
  tdbMutexLock(&mu);
  CHECK_EQ(tdbCondTimedWait(&cv, &mu, 0), TDB_BUSY);
  CHECK_EQ(tdbCondTimedWait(&cv, &mu, -5), TDB_BUSY);
  for (tries = 0; tries < 100 && rc == TDB_OK; tries++) {
    rc = tdbCondTimedWait(&cv, &mu, 5);
  }
  CHECK_EQ(rc, TDB_BUSY);
  tdbMutexUnlock(&mu);
  tdbCondDestroy(&cv);
  tdbMutexDestroy(&mu);
}

/* A huge timeout is clamped, not overflowed into a deadline in the past: the
** waiter holds the lock until it waits, so the signaller can only set the
** flag while it waits, and that wait must end as woken (TDB_OK). */
static void signalBody(void *arg) {
  Gate *g = (Gate *)arg;
  tdbMutexLock(&g->mutex);
  g->open = 1;
  tdbCondSignal(&g->cond);
  tdbMutexUnlock(&g->mutex);
}

static void testTimedWaitSignalled(void) {
  Gate g;
  TdbThread t;
  int rc = -1;
  memset(&g, 0, sizeof g);
  CHECK_EQ(tdbMutexInit(&g.mutex), TDB_OK);
  CHECK_EQ(tdbCondInit(&g.cond), TDB_OK);
  tdbMutexLock(&g.mutex);
  CHECK_EQ(tdbThreadStart(&t, signalBody, &g), TDB_OK);
  while (!g.open) rc = tdbCondTimedWait(&g.cond, &g.mutex, INT64_MAX);
  tdbMutexUnlock(&g.mutex);
  CHECK_EQ(rc, TDB_OK);
  CHECK_EQ(tdbThreadJoin(&t), TDB_OK);
  tdbCondDestroy(&g.cond);
  tdbMutexDestroy(&g.mutex);
}

static void testJoinUnstarted(void) {
  TdbThread t;
  memset(&t, 0, sizeof t);
  CHECK_EQ(tdbThreadJoin(&t), TDB_MISUSE);
}

#else /* !TDB_THREADS */

static int inlineRan;
static void inlineBody(void *arg) {
  TDB_UNUSED(arg);
  inlineRan = 1;
}

/* No threads: the primitives are no-ops and start refuses, so the caller
** runs the work inline. */
static void testNoThreads(void) {
  TdbMutex mu;
  TdbCond cv;
  TdbThread t;
  CHECK_EQ(tdbMutexInit(&mu), TDB_OK);
  CHECK_EQ(tdbCondInit(&cv), TDB_OK);
  tdbMutexLock(&mu);
  tdbCondWait(&cv, &mu);
  CHECK_EQ(tdbCondTimedWait(&cv, &mu, 1000), TDB_BUSY);
  tdbCondSignal(&cv);
  tdbCondBroadcast(&cv);
  tdbMutexUnlock(&mu);
  CHECK(tdbThreadStart(&t, inlineBody, NULL) != TDB_OK);
  inlineBody(NULL);
  CHECK_EQ(inlineRan, 1);
  CHECK_EQ(tdbThreadJoin(&t), TDB_MISUSE);
  tdbCondDestroy(&cv);
  tdbMutexDestroy(&mu);
}

#endif /* TDB_THREADS */

int main(void) {
#if TDB_THREADS
  TEST_RUN(testCounter);
  TEST_RUN(testProducerConsumer);
  TEST_RUN(testBroadcast);
  TEST_RUN(testTimedWait);
  TEST_RUN(testTimedWaitSignalled);
  TEST_RUN(testJoinUnstarted);
#else
  TEST_RUN(testNoThreads);
#endif
  return tdbTestFinish();
}
