/*
** kvbench.h — the adapter interface between the kvbench driver (kvbench.c)
** and one key-value engine (engine_*.c). Each adapter fills one kv_engine
** with its functions; the driver knows nothing else about the engine.
**
** Conventions for every adapter:
**  - open() gets a fresh, empty directory of its own and the durability mode;
**    it returns a handle or NULL with a message in err.
**  - Functions return 0 on success and -1 on failure (message by errmsg()),
**    except get(), which returns 1 found, 0 not found, -1 error.
**  - get() copies the value into buf (up to cap bytes) and sets *vlen to the
**    value's full length, so every engine pays for one copy out.
**  - A batch is begin, any number of batch_put, commit: atomic, one commit.
**  - scan() calls fn for every live key in key order until fn returns non-zero.
**  - sync() makes every acknowledged write durable now. NULL when the engine
**    implements KV_SYNC_NORMAL itself (the driver then never calls it).
**  - settle() is the step after a fill: flush what is buffered and run the
**    compaction the fill left behind, so that on-disk size is final.
*/
#ifndef KVBENCH_H
#define KVBENCH_H

#include <stddef.h>

typedef enum kv_sync {
  KV_SYNC_FULL = 0,   /* every commit is durable before it returns */
  KV_SYNC_NORMAL = 1, /* durable within ~100 ms / 1000 commits */
  KV_SYNC_OFF = 2     /* left to the operating system */
} kv_sync;

/* The driver's cadence for KV_SYNC_NORMAL on engines without such a mode. */
#define KV_NORMAL_SYNC_MS 100
#define KV_NORMAL_SYNC_RECORDS 1000

typedef int (*kv_scan_fn)(void *ctx, const void *k, size_t kl, const void *v, size_t vl);

typedef struct kv_engine {
  const char *name;
  void *(*open)(const char *dir, kv_sync sync, char *err, size_t errlen);
  void (*close)(void *h);
  int (*put)(void *h, const void *k, size_t kl, const void *v, size_t vl);
  int (*get)(void *h, const void *k, size_t kl, void *buf, size_t cap, size_t *vlen);
  int (*del)(void *h, const void *k, size_t kl);
  int (*batch_begin)(void *h);
  int (*batch_put)(void *h, const void *k, size_t kl, const void *v, size_t vl);
  int (*batch_commit)(void *h);
  int (*scan)(void *h, kv_scan_fn fn, void *ctx);
  int (*sync)(void *h);
  int (*settle)(void *h);
  const char *(*errmsg)(void *h);
} kv_engine;

/* Adapters (each defined in its engine_*.c; the build decides which exist). */
extern const kv_engine kv_engine_tensordb;
extern const kv_engine kv_engine_lmdb;
extern const kv_engine kv_engine_leveldb;
extern const kv_engine kv_engine_rocksdb;
extern const kv_engine kv_engine_sqlite;
extern const kv_engine kv_engine_floor;
extern const kv_engine kv_engine_floor_overwrite;

/* Shared helper for adapters: format into a fixed buffer (never overflows). */
void kv_seterr(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* KVBENCH_H */
