/*
** version.h — which SSTables make up the database: file metadata, versions
** (an immutable snapshot of the level structure) and version edits (the
** change from one version to the next, as logged in the manifest).
**
** Levels: L0 holds flushed memtables, newest first, possibly overlapping.
** L1..L(n-1) each hold files with disjoint user-key ranges, sorted. Every
** version of a user key in level i is newer than every version of it in
** level i+1, so a lookup stops at the first level that has a visible one.
**
** Version edit record (the manifest's log records), a sequence of fields:
**
**   tag (varint) | payload
**   1 LOG_NUMBER   varint64            WAL files below this number are obsolete
**   2 NEXT_FILE    varint64            next file number to allocate
**   3 LAST_EPOCH   varint64            highest epoch in the SSTables
**   4 DELETE_FILE  level varint | number varint64
**   5 ADD_FILE     level varint | number varint64 | size varint64
**                  | entries varint64 | min_epoch varint64 | max_epoch varint64
**                  | smallest (varint len + ikey) | largest (varint len + ikey)
**   (tags are on-disk: do not renumber)
*/
#ifndef TDB_VERSION_H
#define TDB_VERSION_H

#include "strbuf.h"

#define TDB_LEVELS_MAX 7          /* hard upper bound of config max_levels */

typedef struct TdbFileMeta {
  int refs;                       /* versions and edits holding it */
  /* Called when the last reference goes: the file is obsolete and may be
  ** deleted (set by the store; NULL while replaying a manifest). */
  void (*on_obsolete)(void *ctx, uint64_t number);
  void *obsolete_ctx;
  uint64_t number;                /* NNNNNN.sst */
  uint64_t size;                  /* bytes */
  uint64_t entries;               /* internal keys in the file */
  uint64_t min_epoch, max_epoch;  /* epochs of its versions */
  unsigned char *smallest, *largest;  /* internal keys (owned) */
  size_t smallest_len, largest_len;
} TdbFileMeta;

typedef struct TdbVersion {
  int refs;
  int nlevels;
  int nfiles[TDB_LEVELS_MAX];
  TdbFileMeta **files[TDB_LEVELS_MAX];
} TdbVersion;

typedef struct TdbEditFile {
  int level;
  TdbFileMeta *meta;              /* ADD: owned reference; DELETE: NULL */
  uint64_t number;                /* DELETE */
} TdbEditFile;

typedef struct TdbVersionEdit {
  int has_log_number, has_next_file, has_last_epoch;
  uint64_t log_number, next_file, last_epoch;
  int nadd, ndel;
  TdbEditFile *adds, *dels;
  size_t add_cap, del_cap;
} TdbVersionEdit;

TDB_PRIVATE TdbFileMeta *tdbFileMetaNew(TdbMem *mem, uint64_t number, uint64_t size,
                                        const unsigned char *smallest, size_t slen,
                                        const unsigned char *largest, size_t llen);
TDB_PRIVATE void tdbFileMetaUnref(TdbMem *mem, TdbFileMeta *f);

TDB_PRIVATE void tdbEditInit(TdbVersionEdit *e);
TDB_PRIVATE void tdbEditClear(TdbMem *mem, TdbVersionEdit *e);
/* Add a file (takes a reference to f) or record a deletion. */
TDB_PRIVATE int tdbEditAddFile(TdbMem *mem, TdbVersionEdit *e, int level, TdbFileMeta *f);
TDB_PRIVATE int tdbEditDeleteFile(TdbMem *mem, TdbVersionEdit *e, int level,
                                  uint64_t number);
TDB_PRIVATE int tdbEditEncode(const TdbVersionEdit *e, TdbStr *out);
/* Decode a record into a cleared edit: TDB_OK, TDB_CORRUPT or TDB_NOMEM. */
TDB_PRIVATE int tdbEditDecode(TdbMem *mem, const unsigned char *p, size_t n,
                              TdbVersionEdit *e);

TDB_PRIVATE TdbVersion *tdbVersionNew(TdbMem *mem, int nlevels);
TDB_PRIVATE void tdbVersionRef(TdbVersion *v);
TDB_PRIVATE void tdbVersionUnref(TdbMem *mem, TdbVersion *v);
/* A new version = base + edit (base NULL: empty). L0 is ordered newest first,
** other levels by smallest key. Fails with TDB_CORRUPT when the edit deletes
** a file that is not there or would make a level >= 1 overlap. */
TDB_PRIVATE int tdbVersionApply(TdbMem *mem, const TdbVersion *base,
                                const TdbVersionEdit *e, int nlevels, TdbVersion **out);
/* Total bytes of a level. */
TDB_PRIVATE uint64_t tdbVersionLevelBytes(const TdbVersion *v, int level);
/* Index of the first file of level >= 1 whose largest key >= ikey (binary
** search); nfiles when none. */
TDB_PRIVATE int tdbVersionFindFile(const TdbVersion *v, int level, const unsigned char *ikey,
                                   size_t n);
/* Files of `level` overlapping the user-key range [lo, hi] (NULL = unbounded)
** appended to *out (array grown with mem). */
TDB_PRIVATE int tdbVersionOverlapping(TdbMem *mem, const TdbVersion *v, int level,
                                      const unsigned char *lo, size_t lon,
                                      const unsigned char *hi, size_t hin,
                                      TdbFileMeta ***out, int *nout, size_t *cap);

#endif /* TDB_VERSION_H */
