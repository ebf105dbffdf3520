/*
** watchdog.h — turn a hang of a test program into a reported failure.
**
** tdbWatchdogArm(seconds, what) starts (or restarts) an alarm; when it
** fires, the program prints "FAIL watchdog: <what> did not finish within N
** seconds" and the closing "N passed, N failed" line tests/unit/run.sh
** expects (the tests finished so far, plus the hung one as failed), and
** exits with status 1. Include it after test.h. A deadlock in the engine then shows up
** as a failure with the step it happened at, instead of stalling the suite.
** `what` is copied; update it as the test proceeds (tdbWatchdogNote).
** POSIX only (alarm, SIGALRM).
*/
#ifndef TDB_WATCHDOG_H
#define TDB_WATCHDOG_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char tdbWatchdogWhat[256];
static unsigned tdbWatchdogSeconds;

static void tdbWatchdogFire(int sig) {
  char msg[400];
  int n;
  (void)sig;
  n = snprintf(msg, sizeof msg,
               "FAIL watchdog: %s did not finish within %u seconds (a hang)\n%d passed, %d failed\n",
               tdbWatchdogWhat, tdbWatchdogSeconds, tdbTestPassed, tdbTestFailed + 1);
  if (n > 0) {
    ssize_t w = write(1, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    (void)w;
  }
  _exit(1);
}

static TDB_TEST_UNUSED void tdbWatchdogNote(const char *what) {
  snprintf(tdbWatchdogWhat, sizeof tdbWatchdogWhat, "%s", what);
}

static TDB_TEST_UNUSED void tdbWatchdogArm(unsigned seconds, const char *what) {
  tdbWatchdogNote(what);
  tdbWatchdogSeconds = seconds;
  fflush(stdout);
  signal(SIGALRM, tdbWatchdogFire);
  alarm(seconds);
}

#endif /* TDB_WATCHDOG_H */
