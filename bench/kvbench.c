/*
** kvbench.c — one key-value benchmark driver for TensorDB and its peers.
**
**   kvbench --engine NAME --workload NAME --keys N --dir DIR [--sync full|normal|off]
**           [--seed S] [--list]
**
** Runs one workload on one engine (an adapter of kvbench.h) in a fresh
** directory and prints one machine-readable line on stdout:
**
**   RESULT engine=.. workload=.. sync=.. keys=.. ops=.. secs=.. us_per_op=..
**          ns_per_op=.. load_secs=.. settle_secs=.. disk_bytes=.. disk_alloc_bytes=..
**          rss_kb=.. found=.. status=ok
**
** (on failure: status=fail reason="..." and exit status 1).
**
** Workloads. Keys are 16 bytes: the 16 decimal digits of 2*i for key i of
** 0..N-1 (so 2*i+1 gives a missing key inside the key range); values are
** 100 bytes cut from a fixed random buffer (incompressible). Random orders
** come from splitmix64 with a fixed seed, identical for every engine.
**   fillseq     N puts in key order, one commit each
**   fillrandom  N puts in a random permutation, one commit each
**   fillsync    the same with every commit durable (default --sync full)
**   batch100    N puts in a random permutation, 100 per atomic batch (µs/put)
**   readrandom  after a load: N gets of random present keys
**   readmissing after a load: N gets of random absent keys
**   readseq     after a load: full scans in key order, best of 3 (ns/key)
**   mixed       after a load: N ops, 80% get / 20% overwrite, random keys
**   check       correctness smoke test of the adapter (not timed)
** The load before the read workloads is the random permutation in batches of
** 1000 followed by the settle step; it is timed separately (load_secs,
** settle_secs). Fill workloads are followed by the settle step, timed
** separately (settle_secs); disk size is measured after it.
**
** --sync defaults to full for fillsync and off for everything else. For
** `normal`, engines without such a mode get sync() from this driver every
** KV_NORMAL_SYNC_RECORDS commits or KV_NORMAL_SYNC_MS milliseconds.
*/
#define _POSIX_C_SOURCE 200809L
#include "kvbench.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define KEY_LEN 16
#define VAL_LEN 100
#define VBUF_BYTES (4u << 20)
#define LOAD_BATCH 1000

/* ---- engines present in this build ---------------------------------------- */

static const kv_engine *const engines[] = {
#ifdef KV_WITH_TENSORDB
    &kv_engine_tensordb,
#endif
#ifdef KV_WITH_LMDB
    &kv_engine_lmdb,
#endif
#ifdef KV_WITH_LEVELDB
    &kv_engine_leveldb,
#endif
#ifdef KV_WITH_ROCKSDB
    &kv_engine_rocksdb,
#endif
#ifdef KV_WITH_SQLITE
    &kv_engine_sqlite,
#endif
    &kv_engine_floor,
    &kv_engine_floor_overwrite,
};
#define N_ENGINES (sizeof engines / sizeof engines[0])

void kv_seterr(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  if (cap == 0) return;
  va_start(ap, fmt);
  vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
}

/* ---- deterministic data ----------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t mix(uint64_t x) {
  uint64_t s = x;
  return splitmix64(&s);
}

static unsigned char *vbuf; /* VBUF_BYTES of random bytes */

static void make_values(uint64_t seed) {
  uint64_t s = seed ^ 0x76616c7565730000ull;
  vbuf = malloc(VBUF_BYTES);
  if (!vbuf) { fprintf(stderr, "kvbench: out of memory\n"); exit(2); }
  for (size_t i = 0; i < VBUF_BYTES; i += 8) {
    uint64_t r = splitmix64(&s);
    memcpy(vbuf + i, &r, 8);
  }
}

/* The value of key index i written in round r (0: load/fill, 1: overwrite). */
static const unsigned char *value_of(uint64_t i, unsigned r) {
  uint64_t off = mix(i * 2 + r) % (VBUF_BYTES - VAL_LEN);
  return vbuf + off;
}

/* 16 decimal digits of n (n < 10^16). */
static void format_key(unsigned char *out, uint64_t n) {
  for (int p = KEY_LEN - 1; p >= 0; p--) {
    out[p] = (unsigned char)('0' + n % 10);
    n /= 10;
  }
}
static void key_present(unsigned char *out, uint64_t i) { format_key(out, 2 * i); }
static void key_missing(unsigned char *out, uint64_t i) { format_key(out, 2 * i + 1); }

/* A random permutation of 0..n-1 (Fisher-Yates). */
static uint32_t *permutation(uint64_t n, uint64_t seed) {
  uint32_t *p = malloc((n ? n : 1) * sizeof *p);
  uint64_t s = seed;
  if (!p) { fprintf(stderr, "kvbench: out of memory\n"); exit(2); }
  for (uint64_t i = 0; i < n; i++) p[i] = (uint32_t)i;
  for (uint64_t i = n; i > 1; i--) {
    uint64_t j = splitmix64(&s) % i;
    uint32_t t = p[i - 1];
    p[i - 1] = p[j];
    p[j] = t;
  }
  return p;
}

/* ---- measurement ------------------------------------------------------------ */

static double now_secs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  return ru.ru_maxrss; /* KiB on Linux */
}

/* Apparent (st_size) and allocated (st_blocks) bytes of a directory tree. */
static void dir_bytes(const char *path, unsigned long long *apparent, unsigned long long *alloc) {
  DIR *d = opendir(path);
  struct dirent *e;
  if (!d) return;
  while ((e = readdir(d)) != NULL) {
    char sub[4096];
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    if (lstat(sub, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      dir_bytes(sub, apparent, alloc);
    } else if (S_ISREG(st.st_mode)) {
      *apparent += (unsigned long long)st.st_size;
      *alloc += (unsigned long long)st.st_blocks * 512ull;
    }
  }
  closedir(d);
}

/* ---- the run ------------------------------------------------------------------ */

typedef struct run {
  const kv_engine *e;
  void *h;
  const char *workload;
  const char *dir;
  kv_sync sync;
  uint64_t keys;
  uint64_t seed;
  /* driver-level KV_SYNC_NORMAL */
  int driver_sync;
  uint64_t unsynced;
  double last_sync;
  /* results */
  uint64_t ops;
  double secs, load_secs, settle_secs;
  uint64_t found;
  double per_op_divisor; /* ops the time is divided by */
  char reason[512];
} run;

static const char *sync_name(kv_sync s) {
  return s == KV_SYNC_FULL ? "full" : s == KV_SYNC_NORMAL ? "normal" : "off";
}

static int fail(run *r, const char *what) {
  const char *m = r->h && r->e->errmsg ? r->e->errmsg(r->h) : "";
  kv_seterr(r->reason, sizeof r->reason, "%s: %s", what, m && *m ? m : "error");
  return -1;
}

/* Called after every committed write: the driver's KV_SYNC_NORMAL. */
static int after_commit(run *r) {
  if (!r->driver_sync) return 0;
  r->unsynced++;
  if (r->unsynced >= KV_NORMAL_SYNC_RECORDS ||
      now_secs() - r->last_sync >= KV_NORMAL_SYNC_MS / 1000.0) {
    if (r->e->sync(r->h) != 0) return fail(r, "sync");
    r->unsynced = 0;
    r->last_sync = now_secs();
  }
  return 0;
}

static int put_one(run *r, uint64_t i, unsigned round) {
  unsigned char k[KEY_LEN];
  key_present(k, i);
  if (r->e->put(r->h, k, KEY_LEN, value_of(i, round), VAL_LEN) != 0) return fail(r, "put");
  return after_commit(r);
}

/* Batches of `bs` puts of order[0..n-1]. */
static int put_batches(run *r, const uint32_t *order, uint64_t n, uint64_t bs) {
  unsigned char k[KEY_LEN];
  for (uint64_t i = 0; i < n; i += bs) {
    uint64_t end = i + bs < n ? i + bs : n;
    if (r->e->batch_begin(r->h) != 0) return fail(r, "batch begin");
    for (uint64_t j = i; j < end; j++) {
      key_present(k, order[j]);
      if (r->e->batch_put(r->h, k, KEY_LEN, value_of(order[j], 0), VAL_LEN) != 0)
        return fail(r, "batch put");
    }
    if (r->e->batch_commit(r->h) != 0) return fail(r, "batch commit");
    if (after_commit(r) != 0) return -1;
  }
  return 0;
}

static int settle(run *r) {
  double t0 = now_secs();
  if (r->driver_sync && r->e->sync(r->h) != 0) return fail(r, "sync");
  if (r->e->settle && r->e->settle(r->h) != 0) return fail(r, "settle");
  r->settle_secs = now_secs() - t0;
  return 0;
}

/* The load before the read workloads: random order, batches of 1000, settle. */
static int load(run *r) {
  uint32_t *order = permutation(r->keys, r->seed);
  double t0 = now_secs();
  int rc = put_batches(r, order, r->keys, LOAD_BATCH);
  free(order);
  if (rc != 0) return rc;
  r->load_secs = now_secs() - t0;
  return settle(r);
}

static int w_fill(run *r, int sequential) {
  uint32_t *order = sequential ? NULL : permutation(r->keys, r->seed);
  double t0 = now_secs();
  for (uint64_t i = 0; i < r->keys; i++) {
    if (put_one(r, sequential ? i : order[i], 0) != 0) { free(order); return -1; }
  }
  r->secs = now_secs() - t0;
  r->ops = r->keys;
  free(order);
  return settle(r);
}

static int w_batch(run *r, uint64_t bs) {
  uint32_t *order = permutation(r->keys, r->seed);
  double t0 = now_secs();
  int rc = put_batches(r, order, r->keys, bs);
  r->secs = now_secs() - t0;
  r->ops = r->keys;
  free(order);
  return rc != 0 ? rc : settle(r);
}

static int check_value(const unsigned char *got, size_t len, uint64_t i) {
  if (len != VAL_LEN) return 0;
  return memcmp(got, value_of(i, 0), VAL_LEN) == 0 || memcmp(got, value_of(i, 1), VAL_LEN) == 0;
}

static int w_read(run *r, int missing) {
  unsigned char k[KEY_LEN], buf[256];
  uint64_t s = r->seed ^ (missing ? 0x6d697373ull : 0x72656164ull);
  uint64_t bad = 0;
  if (load(r) != 0) return -1;
  double t0 = now_secs();
  for (uint64_t n = 0; n < r->keys; n++) {
    uint64_t i = splitmix64(&s) % r->keys;
    size_t vlen = 0;
    int rc;
    if (missing) key_missing(k, i); else key_present(k, i);
    rc = r->e->get(r->h, k, KEY_LEN, buf, sizeof buf, &vlen);
    if (rc < 0) return fail(r, "get");
    if (rc > 0) {
      r->found++;
      if (!check_value(buf, vlen, i)) bad++;
    }
  }
  r->secs = now_secs() - t0;
  r->ops = r->keys;
  if (bad || r->found != (missing ? 0 : r->keys)) {
    kv_seterr(r->reason, sizeof r->reason, "wrong answers: found %llu of %llu, %llu bad values",
              (unsigned long long)r->found, (unsigned long long)r->keys, (unsigned long long)bad);
    return -1;
  }
  return 0;
}

typedef struct scan_state {
  uint64_t count;
  uint64_t sum;
  int ordered;
  unsigned char last[KEY_LEN];
} scan_state;

static int scan_cb(void *ctx, const void *k, size_t kl, const void *v, size_t vl) {
  scan_state *st = ctx;
  const unsigned char *kk = k, *vv = v;
  /* Touch the data so that no engine gets away without reading it. */
  st->sum += kl + vl + kk[kl - 1] + (vl ? vv[vl - 1] : 0);
  if (kl == KEY_LEN) {
    if (st->count && memcmp(st->last, kk, KEY_LEN) >= 0) st->ordered = 0;
    memcpy(st->last, kk, KEY_LEN);
  }
  st->count++;
  return 0;
}

static int w_readseq(run *r) {
  double best = 0;
  if (load(r) != 0) return -1;
  for (int pass = 0; pass < 3; pass++) {
    scan_state st = {0, 0, 1, {0}};
    double t0 = now_secs(), t;
    if (r->e->scan(r->h, scan_cb, &st) != 0) return fail(r, "scan");
    t = now_secs() - t0;
    if (st.count != r->keys || !st.ordered) {
      kv_seterr(r->reason, sizeof r->reason, "scan saw %llu keys of %llu%s",
                (unsigned long long)st.count, (unsigned long long)r->keys,
                st.ordered ? "" : ", out of order");
      return -1;
    }
    if (pass == 0 || t < best) best = t;
  }
  r->secs = best;
  r->ops = r->keys;
  r->found = r->keys;
  return 0;
}

static int w_mixed(run *r) {
  unsigned char k[KEY_LEN], buf[256];
  uint64_t s = r->seed ^ 0x6d6978ull;
  uint64_t reads = 0, bad = 0;
  if (load(r) != 0) return -1;
  double t0 = now_secs();
  for (uint64_t n = 0; n < r->keys; n++) {
    uint64_t x = splitmix64(&s);
    uint64_t i = (x >> 8) % r->keys;
    if ((x & 0xff) % 5 == 0) {
      if (put_one(r, i, 1) != 0) return -1;
    } else {
      size_t vlen = 0;
      int rc;
      key_present(k, i);
      rc = r->e->get(r->h, k, KEY_LEN, buf, sizeof buf, &vlen);
      if (rc < 0) return fail(r, "get");
      reads++;
      if (rc > 0) {
        r->found++;
        if (!check_value(buf, vlen, i)) bad++;
      }
    }
  }
  r->secs = now_secs() - t0;
  r->ops = r->keys;
  if (bad || r->found != reads) {
    kv_seterr(r->reason, sizeof r->reason, "wrong answers: found %llu of %llu reads, %llu bad",
              (unsigned long long)r->found, (unsigned long long)reads, (unsigned long long)bad);
    return -1;
  }
  return 0;
}

/* ---- check: a correctness smoke test of an adapter --------------------------- */

#define CHECK(cond, msg)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      kv_seterr(r->reason, sizeof r->reason, "check failed: %s", msg);    \
      return -1;                                                          \
    }                                                                     \
  } while (0)

static int check_state(run *r, uint64_t n, uint64_t deleted_below, const char *when) {
  unsigned char k[KEY_LEN], buf[256];
  scan_state st = {0, 0, 1, {0}};
  char msg[128];
  for (uint64_t i = 0; i < n; i++) {
    size_t vlen = 0;
    int rc;
    key_present(k, i);
    rc = r->e->get(r->h, k, KEY_LEN, buf, sizeof buf, &vlen);
    snprintf(msg, sizeof msg, "%s: get of key %llu", when, (unsigned long long)i);
    CHECK(rc >= 0, msg);
    if (i < deleted_below) {
      CHECK(rc == 0, msg);
    } else {
      unsigned round = (i % 7 == 0) ? 1 : 0;
      CHECK(rc == 1 && vlen == VAL_LEN && memcmp(buf, value_of(i, round), VAL_LEN) == 0, msg);
    }
    key_missing(k, i);
    CHECK(r->e->get(r->h, k, KEY_LEN, buf, sizeof buf, &vlen) == 0, "missing key found");
  }
  CHECK(r->e->scan(r->h, scan_cb, &st) == 0, "scan");
  snprintf(msg, sizeof msg, "%s: scan saw %llu keys, expected %llu", when,
           (unsigned long long)st.count, (unsigned long long)(n - deleted_below));
  CHECK(st.count == n - deleted_below && st.ordered, msg);
  return 0;
}

static int w_check(run *r) {
  const uint64_t n = 2000, half = n / 2, del = 100;
  uint32_t *order = permutation(n, r->seed);
  unsigned char k[KEY_LEN];
  char err[512];
  int rc = 0;
  /* first half one put each, second half in batches of 100 */
  for (uint64_t i = 0; i < half && rc == 0; i++) rc = put_one(r, order[i], 0);
  if (rc == 0) rc = put_batches(r, order + half, n - half, 100);
  free(order);
  if (rc != 0) return rc;
  /* overwrite every 7th key, delete the first `del` keys (by index) */
  for (uint64_t i = 0; i < n; i += 7)
    if (put_one(r, i, 1) != 0) return -1;
  for (uint64_t i = 0; i < del; i++) {
    key_present(k, i);
    if (r->e->del(r->h, k, KEY_LEN) != 0) return fail(r, "delete");
  }
  key_missing(k, 5);
  if (r->e->del(r->h, k, KEY_LEN) != 0) return fail(r, "delete of an absent key");
  if (check_state(r, n, del, "before settle") != 0) return -1;
  if (settle(r) != 0) return -1;
  if (check_state(r, n, del, "after settle") != 0) return -1;
  r->e->close(r->h);
  r->h = r->e->open(r->dir, r->sync, err, sizeof err);
  if (!r->h) {
    kv_seterr(r->reason, sizeof r->reason, "reopen: %s", err);
    return -1;
  }
  if (check_state(r, n, del, "after reopen") != 0) return -1;
  r->ops = n;
  r->found = n - del;
  return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(void) {
  fprintf(stderr,
          "usage: kvbench --engine NAME --workload NAME --keys N --dir DIR [--sync full|normal|off]\n"
          "               [--seed S]\n"
          "       kvbench --list\n"
          "workloads: fillseq fillrandom fillsync batch100 readrandom readmissing readseq mixed check\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *engine = NULL, *syncarg = NULL;
  run r;
  char err[512] = "";
  int rc;
  memset(&r, 0, sizeof r);
  r.keys = 1000000;
  r.seed = 0x7e9507db5eedull;
  for (int i = 1; i < argc; i += 2) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--list") == 0) {
      for (size_t j = 0; j < N_ENGINES; j++) printf("%s\n", engines[j]->name);
      return 0;
    }
    if (!v) usage();
    if (strcmp(a, "--engine") == 0) engine = v;
    else if (strcmp(a, "--workload") == 0) r.workload = v;
    else if (strcmp(a, "--keys") == 0) r.keys = strtoull(v, NULL, 10);
    else if (strcmp(a, "--dir") == 0) r.dir = v;
    else if (strcmp(a, "--sync") == 0) syncarg = v;
    else if (strcmp(a, "--seed") == 0) r.seed = strtoull(v, NULL, 0);
    else usage();
  }
  if (!engine || !r.workload || !r.dir || r.keys == 0 || r.keys > 0xffffffffull) usage();
  for (size_t j = 0; j < N_ENGINES; j++)
    if (strcmp(engines[j]->name, engine) == 0) r.e = engines[j];
  if (!r.e) {
    fprintf(stderr, "kvbench: engine %s is not in this build (see --list)\n", engine);
    return 2;
  }
  if (!syncarg) syncarg = strcmp(r.workload, "fillsync") == 0 ? "full" : "off";
  if (strcmp(syncarg, "full") == 0) r.sync = KV_SYNC_FULL;
  else if (strcmp(syncarg, "normal") == 0) r.sync = KV_SYNC_NORMAL;
  else if (strcmp(syncarg, "off") == 0) r.sync = KV_SYNC_OFF;
  else usage();
  if (mkdir(r.dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "kvbench: cannot create %s: %s\n", r.dir, strerror(errno));
    return 2;
  }
  make_values(r.seed);
  r.driver_sync = r.sync == KV_SYNC_NORMAL && r.e->sync != NULL;
  r.last_sync = now_secs();

  r.h = r.e->open(r.dir, r.sync, err, sizeof err);
  if (!r.h) {
    kv_seterr(r.reason, sizeof r.reason, "open: %s", err);
    rc = -1;
  } else {
    const char *w = r.workload;
    int supported = 1;
    if (r.e->batch_begin == NULL && strcmp(w, "fillsync") != 0 && strcmp(w, "fillseq") != 0 &&
        strcmp(w, "fillrandom") != 0)
      supported = 0;
    if (!supported) {
      kv_seterr(r.reason, sizeof r.reason, "workload %s not supported by %s", w, r.e->name);
      rc = -1;
    } else if (strcmp(w, "fillseq") == 0) rc = w_fill(&r, 1);
    else if (strcmp(w, "fillrandom") == 0 || strcmp(w, "fillsync") == 0) rc = w_fill(&r, 0);
    else if (strcmp(w, "batch100") == 0) rc = w_batch(&r, 100);
    else if (strcmp(w, "readrandom") == 0) rc = w_read(&r, 0);
    else if (strcmp(w, "readmissing") == 0) rc = w_read(&r, 1);
    else if (strcmp(w, "readseq") == 0) rc = w_readseq(&r);
    else if (strcmp(w, "mixed") == 0) rc = w_mixed(&r);
    else if (strcmp(w, "check") == 0) rc = w_check(&r);
    else {
      kv_seterr(r.reason, sizeof r.reason, "unknown workload %s", w);
      rc = -1;
    }
  }
  unsigned long long apparent = 0, alloc = 0;
  dir_bytes(r.dir, &apparent, &alloc); /* settled, still open: what a live db holds */
  if (r.h) r.e->close(r.h);
  long rss = peak_rss_kb();
  double per = r.ops ? r.secs / (double)r.ops : 0;
  printf("RESULT engine=%s workload=%s sync=%s keys=%llu ops=%llu secs=%.6f us_per_op=%.4f "
         "ns_per_op=%.1f load_secs=%.4f settle_secs=%.4f disk_bytes=%llu disk_alloc_bytes=%llu "
         "rss_kb=%ld found=%llu status=%s",
         r.e->name, r.workload, sync_name(r.sync), (unsigned long long)r.keys,
         (unsigned long long)r.ops, r.secs, per * 1e6, per * 1e9, r.load_secs, r.settle_secs,
         apparent, alloc, rss, (unsigned long long)r.found, rc == 0 ? "ok" : "fail");
  if (rc != 0) {
    for (char *p = r.reason; *p; p++)
      if (*p == '"' || *p == '\n') *p = '\'';
    printf(" reason=\"%s\"", r.reason);
  }
  printf("\n");
  free(vbuf);
  return rc == 0 ? 0 : 1;
}
