/*
** fuzz_common.h — helpers shared by the fuzz harnesses of tests/fuzz/.
**
** Each harness is one translation unit that includes the amalgamation
** ("tensordb.c", so the engine's static readers are reachable) and then this
** header. It gives:
**   FUZZ_CHECK(cond, what)   abort with a message when an invariant fails
**                            (libFuzzer and the regression runner both treat
**                            the abort as a crash and keep the input)
**   fuzzPutFile()            the fuzz input as a file of an in-memory VFS
**   FuzzExactFile            a TdbVfsFile wrapper whose map_file returns an
**                            exactly-sized heap copy, so AddressSanitizer sees
**                            every read past the end of a mapping (the memory
**                            VFS maps its power-of-two buffer, where an
**                            over-read would go unnoticed)
**   fuzzHash()               FNV-1a, to compare what two passes returned
*/
#ifndef TDB_FUZZ_COMMON_H
#define TDB_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, what)                                             \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: fuzz invariant failed: %s (%s)\n", __FILE__, \
              __LINE__, (what), #cond);                                    \
      abort();                                                             \
    }                                                                      \
  } while (0)

/* FNV-1a over n bytes, continuing from h (start with FUZZ_HASH_INIT). */
#define FUZZ_HASH_INIT UINT64_C(14695981039346656037)
static TDB_MAYBE_UNUSED uint64_t fuzzHash(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= b[i];
    h *= UINT64_C(1099511628211);
  }
  return h;
}

static TDB_MAYBE_UNUSED uint64_t fuzzHashU64(uint64_t h, uint64_t v) {
  unsigned char b[8];
  tdbPutFixed64(b, v);
  return fuzzHash(h, b, sizeof b);
}

/* Create `path` in vfs holding data[0..size). TDB_OK or the VFS code. */
static TDB_MAYBE_UNUSED int fuzzPutFile(TdbVfs *vfs, const char *path,
                                        const void *data, size_t size) {
  TdbVfsFile *f = NULL;
  int rc = vfs->open_file(vfs, path, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL);
  if (rc != TDB_OK) return rc;
  rc = f->methods->truncate_to(f, 0, NULL);
  if (rc == TDB_OK && size > 0) rc = f->methods->write_at(f, 0, data, size, NULL);
  tdbVfsClose(f);
  return rc;
}

/* ---- FuzzExactFile: exact-size mappings over another file ----------------- */

typedef struct FuzzExactFile {
  TdbVfsFile base;
  TdbVfsFile *inner; /* owned: closed with the wrapper */
  int maps;          /* live mappings (each a heap copy) */
} FuzzExactFile;

static void fuzzExactClose(TdbVfsFile *f) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  FUZZ_CHECK(x->maps == 0, "a mapping outlived close_file");
  tdbVfsClose(x->inner);
  free(x);
}
static int fuzzExactRead(TdbVfsFile *f, uint64_t off, void *buf, size_t n,
                         size_t *nread, TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->read_at(x->inner, off, buf, n, nread, err);
}
static int fuzzExactWrite(TdbVfsFile *f, uint64_t off, const void *buf,
                          size_t n, TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->write_at(x->inner, off, buf, n, err);
}
static int fuzzExactAppend(TdbVfsFile *f, const void *buf, size_t n,
                           TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->append(x->inner, buf, n, err);
}
static int fuzzExactSync(TdbVfsFile *f, TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->sync_data(x->inner, err);
}
static int fuzzExactTruncate(TdbVfsFile *f, uint64_t size, TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->truncate_to(x->inner, size, err);
}
static int fuzzExactSize(TdbVfsFile *f, uint64_t *size, TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->get_size(x->inner, size, err);
}
static int fuzzExactLock(TdbVfsFile *f, TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->lock_file(x->inner, err);
}
static int fuzzExactUnlock(TdbVfsFile *f, TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  return x->inner->methods->unlock_file(x->inner, err);
}
static int fuzzExactMap(TdbVfsFile *f, size_t len, const void **out,
                        TdbVfsErr *err) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  uint64_t size = 0;
  unsigned char *copy;
  size_t got = 0;
  int rc;
  *out = NULL;
  rc = x->inner->methods->get_size(x->inner, &size, err);
  if (rc != TDB_OK) return rc;
  if (len == 0 || len > size) return TDB_OK; /* "not available" */
  copy = (unsigned char *)malloc(len);
  if (!copy) return TDB_OK;
  rc = x->inner->methods->read_at(x->inner, 0, copy, len, &got, err);
  if (rc != TDB_OK || got != len) {
    free(copy);
    return rc;
  }
  x->maps++;
  *out = copy;
  return TDB_OK;
}
static void fuzzExactUnmap(TdbVfsFile *f, const void *p, size_t len) {
  FuzzExactFile *x = (FuzzExactFile *)f;
  (void)len;
  if (!p) return;
  FUZZ_CHECK(x->maps > 0, "unmap_file without a mapping");
  x->maps--;
  free((void *)p);
}

static const TdbVfsFileMethods fuzzExactMethods = {
    TDB_VFS_VERSION, fuzzExactClose,    fuzzExactRead,  fuzzExactWrite,
    fuzzExactAppend, fuzzExactSync,     fuzzExactTruncate, fuzzExactSize,
    fuzzExactLock,   fuzzExactUnlock,   fuzzExactMap,   fuzzExactUnmap};

/* Open `path` of vfs read-only, wrapped. TDB_OK or an error code. */
static TDB_MAYBE_UNUSED int fuzzExactOpen(TdbVfs *vfs, const char *path,
                                          TdbVfsFile **out) {
  FuzzExactFile *x;
  TdbVfsFile *inner = NULL;
  int rc = vfs->open_file(vfs, path, TDB_VFS_READ, &inner, NULL);
  *out = NULL;
  if (rc != TDB_OK) return rc;
  x = (FuzzExactFile *)calloc(1, sizeof *x);
  if (!x) {
    tdbVfsClose(inner);
    return TDB_NOMEM;
  }
  x->base.methods = &fuzzExactMethods;
  x->base.path = inner->path;
  x->inner = inner;
  *out = &x->base;
  return TDB_OK;
}

#endif /* TDB_FUZZ_COMMON_H */
