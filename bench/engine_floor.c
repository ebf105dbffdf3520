/*
** engine_floor.c — the floors for fillsync: not databases, just a bare
** pwrite of each key+value record (116 bytes) into one file, followed by
** fdatasync when the sync mode is full. Two variants:
**   floor            appends: the file grows with every record, so each
**                    fdatasync also commits the size change (ext4 journal)
**   floor-overwrite  writes into a file pre-written with zeros and synced at
**                    open (FLOOR_PREWRITE bytes), so fdatasync flushes data
**                    only, as a WAL with preallocated or recycled blocks does
** They show what one durable write costs on this disk; only fill workloads
** make sense.
*/
#define _POSIX_C_SOURCE 200809L
#include "kvbench.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FLOOR_PREWRITE (16u << 20)

typedef struct floor_db {
  int fd;
  kv_sync sync;
  off_t off;
  char msg[256];
} floor_db;

static void *fl_open_any(const char *dir, kv_sync sync, int prewrite, char *err, size_t errlen) {
  char path[4096];
  floor_db *f = calloc(1, sizeof *f);
  if (!f) { kv_seterr(err, errlen, "out of memory"); return NULL; }
  snprintf(path, sizeof path, "%s/floor.log", dir);
  f->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (f->fd < 0) {
    kv_seterr(err, errlen, "open %s: %s", path, strerror(errno));
    free(f);
    return NULL;
  }
  f->sync = sync;
  if (prewrite) {
    static const unsigned char zero[65536];
    for (size_t off = 0; off < FLOOR_PREWRITE; off += sizeof zero) {
      if (write(f->fd, zero, sizeof zero) != (ssize_t)sizeof zero) {
        kv_seterr(err, errlen, "prewrite %s: %s", path, strerror(errno));
        close(f->fd);
        free(f);
        return NULL;
      }
    }
    if (fsync(f->fd) != 0) {
      kv_seterr(err, errlen, "fsync %s: %s", path, strerror(errno));
      close(f->fd);
      free(f);
      return NULL;
    }
  }
  return f;
}

static void *fl_open(const char *dir, kv_sync sync, char *err, size_t errlen) {
  return fl_open_any(dir, sync, 0, err, errlen);
}

static void *fl_open_overwrite(const char *dir, kv_sync sync, char *err, size_t errlen) {
  return fl_open_any(dir, sync, 1, err, errlen);
}

static void fl_close(void *h) {
  floor_db *f = h;
  close(f->fd);
  free(f);
}

static int fl_put(void *h, const void *k, size_t kl, const void *v, size_t vl) {
  floor_db *f = h;
  unsigned char rec[512];
  if (kl + vl > sizeof rec) { kv_seterr(f->msg, sizeof f->msg, "record too big"); return -1; }
  memcpy(rec, k, kl);
  memcpy(rec + kl, v, vl);
  if (pwrite(f->fd, rec, kl + vl, f->off) != (ssize_t)(kl + vl)) {
    kv_seterr(f->msg, sizeof f->msg, "pwrite: %s", strerror(errno));
    return -1;
  }
  f->off += (off_t)(kl + vl);
  if (f->sync == KV_SYNC_FULL && fdatasync(f->fd) != 0) {
    kv_seterr(f->msg, sizeof f->msg, "fdatasync: %s", strerror(errno));
    return -1;
  }
  return 0;
}

static int fl_sync(void *h) {
  floor_db *f = h;
  return fdatasync(f->fd) == 0 ? 0 : -1;
}

static const char *fl_errmsg(void *h) { return ((floor_db *)h)->msg; }

const kv_engine kv_engine_floor = {
    "floor", fl_open, fl_close, fl_put, NULL, NULL, NULL, NULL, NULL, NULL,
    fl_sync, fl_sync, fl_errmsg,
};

const kv_engine kv_engine_floor_overwrite = {
    "floor-overwrite", fl_open_overwrite, fl_close, fl_put, NULL, NULL, NULL, NULL, NULL, NULL,
    fl_sync, fl_sync, fl_errmsg,
};
