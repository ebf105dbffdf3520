/*
** regress.c — runs a fuzz harness without libFuzzer, for the normal test
** suite: linked with one harness (which defines LLVMFuzzerTestOneInput), it
** feeds it every regular file of the directories given on the command line
** (tests/fuzz/seeds/<harness>/ and tests/fuzz/crashes/<harness>/), so found
** crashes stay fixed.
**
**   regress_<harness> DIR...
**
** Each input runs in a child process (fork), so one crash, sanitizer report
** or leak report (LeakSanitizer runs at the child's exit) is charged to that
** file and the others still run. Prints `FAIL - <file>` per failing input and
** last `N passed, N failed`; exit status 1 when anything failed. A directory
** that does not exist is skipped (crashes/<harness>/ usually does not).
*/
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmpNames(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the whole file; NULL on error. */
static uint8_t *readAll(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0, got;
  if (!f) return NULL;
  for (;;) {
    if (len == cap) {
      uint8_t *nb;
      cap = cap ? cap * 2 : 4096;
      nb = (uint8_t *)realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  fclose(f);
  *n = len;
  return buf;
}

/* Free the input list (the parent's; a child frees its copy before exiting
** so that LeakSanitizer reports only what the harness leaked). */
static void freeNames(char **names, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* Run input names[k] in a child; 1 when it passed. */
static int runOne(char **names, size_t n, size_t k) {
  const char *path = names[k];
  pid_t pid;
  int status = 0;
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0) {
    perror("fork");
    return 0;
  }
  if (pid == 0) {
    size_t len = 0;
    uint8_t *data = readAll(path, &len), *exact;
    if (!data) {
      fprintf(stderr, "cannot read %s\n", path);
      exit(3);
    }
    /* An exactly-sized copy, as libFuzzer gives: over-reads hit a redzone. */
    exact = (uint8_t *)malloc(len ? len : 1);
    if (!exact) exit(3);
    memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    freeNames(names, n);
    exit(0); /* LeakSanitizer checks here */
  }
  if (waitpid(pid, &status, 0) < 0) {
    perror("waitpid");
    return 0;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 1;
  if (WIFSIGNALED(status)) {
    printf("FAIL - %s (signal %d)\n", path, WTERMSIG(status));
  } else {
    printf("FAIL - %s (exit status %d)\n", path, WEXITSTATUS(status));
  }
  return 0;
}

int main(int argc, char **argv) {
  int passed = 0, failed = 0, a;
  for (a = 1; a < argc; a++) {
    DIR *d = opendir(argv[a]);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    if (!d) continue;
    while ((de = readdir(d)) != NULL) {
      char path[4096];
      struct stat st;
      if (de->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "%s/%s", argv[a], de->d_name);
      if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (n == cap) {
        char **nn;
        cap = cap ? cap * 2 : 64;
        nn = (char **)realloc(names, cap * sizeof *names);
        if (!nn) return 2;
        names = nn;
      }
      names[n] = (char *)malloc(strlen(path) + 1);
      if (!names[n]) return 2;
      strcpy(names[n++], path);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmpNames);
    for (i = 0; i < n; i++) {
      if (runOne(names, n, i)) {
        passed++;
      } else {
        failed++;
      }
    }
    freeNames(names, n);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
