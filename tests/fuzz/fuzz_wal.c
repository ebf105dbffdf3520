/*
** fuzz_wal.c — libFuzzer harness for the WAL reader (src/wal.h): the input is
** a whole log file (log number 9), put into an in-memory VFS.
**
** Every record is read (and decoded as a write batch, as recovery does) until
** the reader stops; then the documented recovery contract is checked:
**   - every code but TDB_OK is sticky;
**   - TDB_DONE: the valid end lies within the file; a dropped tail ends at
**     the end of the file and comes with a note; then — what the engine does
**     before appending — the log is cut to tdbWalReaderValidEnd() with a
**     writer that appends one more record, and a second read must return the
**     same records plus the new one and end cleanly (no torn tail);
**   - TDB_CORRUPT_WAL: an error message naming the file.
*/
#include "tensordb.c"
#include "fuzz_common.h"

#define FUZZ_WAL_PATH "000009.log"
#define FUZZ_WAL_NUMBER 9

typedef struct FuzzWalRecs {
  unsigned char **p;
  size_t *n;
  size_t count, cap;
} FuzzWalRecs;

static void fuzzWalKeep(FuzzWalRecs *rs, const unsigned char *p, size_t n) {
  if (rs->count == rs->cap) {
    size_t cap = rs->cap ? rs->cap * 2 : 16;
    rs->p = (unsigned char **)realloc(rs->p, cap * sizeof *rs->p);
    rs->n = (size_t *)realloc(rs->n, cap * sizeof *rs->n);
    FUZZ_CHECK(rs->p && rs->n, "realloc");
    rs->cap = cap;
  }
  rs->p[rs->count] = (unsigned char *)malloc(n + 1);
  FUZZ_CHECK(rs->p[rs->count] != NULL, "malloc");
  if (n) memcpy(rs->p[rs->count], p, n);
  rs->n[rs->count++] = n;
}

static void fuzzWalFree(FuzzWalRecs *rs) {
  size_t i;
  for (i = 0; i < rs->count; i++) free(rs->p[i]);
  free(rs->p);
  free(rs->n);
}

static int fuzzWalOp(void *ctx, const TdbBatchOp *op) {
  uint64_t *h = (uint64_t *)ctx;
  *h = fuzzHash(fuzzHash(*h, op->key, op->klen), op->value, op->vlen);
  return 0;
}

/* Read the whole log into *rs; returns the final code and fills the tail
** facts when it is TDB_DONE. */
static int fuzzWalReadAll(TdbMem *mem, TdbVfs *vfs, FuzzWalRecs *rs,
                          TdbWalTail *tail, uint64_t *valid_end) {
  TdbWalReader *r = NULL;
  TdbVfsErr err;
  const unsigned char *rec;
  size_t n;
  int rc, again;
  memset(&err, 0, sizeof err);
  rc = tdbWalReaderOpen(mem, vfs, FUZZ_WAL_PATH, FUZZ_WAL_NUMBER, &r, &err);
  FUZZ_CHECK(rc == TDB_OK, "open the log");
  while ((rc = tdbWalReadRecord(r, &rec, &n)) == TDB_OK) {
    TdbBatchHeader bh;
    uint64_t h = 0;
    fuzzWalKeep(rs, rec, n);
    if (tdbBatchDecodeHeader(rec, n, &bh) == TDB_OK) {
      (void)tdbBatchForEachLast(mem, rec, n, fuzzWalOp, &h);
    }
  }
  again = tdbWalReadRecord(r, &rec, &n);
  FUZZ_CHECK(again == rc, "reader error is not sticky");
  if (rc == TDB_DONE) {
    const TdbWalTail *t = tdbWalReaderTail(r);
    FUZZ_CHECK(t != NULL, "no tail after TDB_DONE");
    *tail = *t;
    *valid_end = tdbWalReaderValidEnd(r);
    FUZZ_CHECK(tdbWalReaderErr(r) == NULL, "TDB_DONE with an error");
  } else {
    const TdbVfsErr *e = tdbWalReaderErr(r);
    FUZZ_CHECK(rc == TDB_CORRUPT_WAL || rc == TDB_NOMEM, "unexpected reader code");
    FUZZ_CHECK(e != NULL && e->rc == rc, "reader error without its message");
    if (rc == TDB_CORRUPT_WAL) {
      FUZZ_CHECK(strstr(e->msg, FUZZ_WAL_PATH) && strstr(e->msg, "offset"),
                 "corruption message does not name the file and offset");
    }
  }
  tdbWalReaderClose(r);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TdbMem mem;
  TdbVfs *vfs = NULL;
  FuzzWalRecs first, second;
  TdbWalTail tail, tail2;
  uint64_t valid_end = 0, valid_end2 = 0;
  int rc;
  size_t i;

  tdbMemInit(&mem, NULL);
  memset(&first, 0, sizeof first);
  memset(&second, 0, sizeof second);
  FUZZ_CHECK(tdbVfsMemoryNew(&mem, &vfs) == TDB_OK, "memory VFS");
  FUZZ_CHECK(fuzzPutFile(vfs, FUZZ_WAL_PATH, data, size) == TDB_OK, "write input");

  rc = fuzzWalReadAll(&mem, vfs, &first, &tail, &valid_end);
  if (rc == TDB_DONE) {
    TdbWalWriter *w = NULL;
    TdbVfsErr err;
    unsigned char *extra;
    /* The appended record: small, or long enough to span blocks. */
    size_t extra_n = (size % 4 == 0) ? 40000 : 1 + size % 97;
    uint64_t new_size;

    FUZZ_CHECK(valid_end <= size, "valid end past the end of the file");
    if (tail.torn) {
      FUZZ_CHECK(tail.offset >= valid_end && tail.offset <= size,
                 "torn tail outside the file");
      FUZZ_CHECK(tail.offset + tail.dropped == size,
                 "torn tail does not reach the end of the file");
      FUZZ_CHECK(tail.note[0] != '\0', "torn tail without a note");
    }

    extra = (unsigned char *)malloc(extra_n);
    FUZZ_CHECK(extra != NULL, "malloc");
    for (i = 0; i < extra_n; i++) extra[i] = (unsigned char)(i * 31 + size);
    memset(&err, 0, sizeof err);
    FUZZ_CHECK(tdbWalWriterOpen(&mem, vfs, FUZZ_WAL_PATH, FUZZ_WAL_NUMBER,
                                valid_end, &w, &err) == TDB_OK,
               "reopen the log for appending");
    FUZZ_CHECK(tdbWalAppend(w, extra, extra_n) == TDB_OK, "append");
    FUZZ_CHECK(tdbWalSync(w) == TDB_OK, "sync");
    new_size = tdbWalWriterSize(w);
    tdbWalWriterClose(w);

    rc = fuzzWalReadAll(&mem, vfs, &second, &tail2, &valid_end2);
    FUZZ_CHECK(rc == TDB_DONE, "log cut at its valid end and appended to "
                               "does not read back cleanly");
    FUZZ_CHECK(!tail2.torn, "torn tail after cutting at the valid end");
    FUZZ_CHECK(valid_end2 == new_size, "valid end is not the end of the new log");
    FUZZ_CHECK(second.count == first.count + 1,
               "records lost or gained by cutting at the valid end");
    for (i = 0; i < first.count; i++) {
      FUZZ_CHECK(second.n[i] == first.n[i] &&
                     memcmp(second.p[i], first.p[i], first.n[i]) == 0,
                 "a record changed after cutting at the valid end");
    }
    FUZZ_CHECK(second.n[first.count] == extra_n &&
                   memcmp(second.p[first.count], extra, extra_n) == 0,
               "the appended record does not read back");
    free(extra);
  }

  fuzzWalFree(&first);
  fuzzWalFree(&second);
  tdbVfsMemoryFree(vfs);
  return 0;
}
