/*
** manifest.h — the version set: the current version of the level structure,
** the file-number counter and the durable record of both.
**
** The manifest is a log (the WAL format of wal.h) of version edits. Opening a
** database replays CURRENT's manifest; the first change after opening starts
** a new manifest that begins with a snapshot of the whole state, then CURRENT
** is switched to it by an atomic rename:
**
**   write MANIFEST-N (snapshot edit) -> sync -> sync dir
**   write N.dbtmp ("MANIFEST-N\n") -> sync -> rename to CURRENT -> sync dir
**
** A crash at any point leaves CURRENT naming a complete manifest. Every edit
** is synced before the version it describes is installed.
*/
#ifndef TDB_MANIFEST_H
#define TDB_MANIFEST_H

#include "error.h"
#include "version.h"
#include "vfs.h"
#include "wal.h"

typedef struct TdbVersionSet {
  TdbMem *mem;
  TdbVfs *vfs;
  const char *dir;
  int nlevels;
  TdbVersion *current;
  uint64_t next_file;        /* next number to hand out */
  uint64_t log_number;       /* WAL files below this are obsolete */
  uint64_t last_epoch;       /* highest epoch in the SSTables */
  uint64_t manifest_number;  /* of the manifest CURRENT names, 0 = none yet */
  TdbWalWriter *manifest;
  void (*log_fn)(void *ctx, int level, const char *message);  /* cfg's hook */
  void *log_ctx;
} TdbVersionSet;

TDB_PRIVATE int tdbVsInit(TdbVersionSet *vs, TdbMem *mem, TdbVfs *vfs, const char *dir,
                          int nlevels);
TDB_PRIVATE void tdbVsClose(TdbVersionSet *vs);

/* Load the state CURRENT names. *exists = 0 (and TDB_OK) when there is no
** CURRENT: a new database. Corruption yields TDB_CORRUPT_MANIFEST with the
** file and offset in err. */
TDB_PRIVATE int tdbVsRecover(TdbVersionSet *vs, TdbErr *err, int *exists);

TDB_PRIVATE uint64_t tdbVsNewFileNumber(TdbVersionSet *vs);

/* Make `e` durable (adding next_file/last_epoch/log_number from vs where the
** edit does not set them), then install the new version. On failure nothing
** changes and err says why. */
TDB_PRIVATE int tdbVsLogAndApply(TdbVersionSet *vs, TdbVersionEdit *e, TdbErr *err);

/* Start a new manifest holding only a snapshot of the current state, point
** CURRENT at it and remove the old one (whose records may name keys that
** were erased since). On failure the old manifest stays in use. */
TDB_PRIVATE int tdbVsRollManifest(TdbVersionSet *vs, TdbErr *err);

/* Record a VFS failure in err: "<what>: <vfs message>". */
TDB_PRIVATE int tdbErrFromVfs(TdbErr *err, int rc, const TdbVfsErr *verr, const char *what);

#endif /* TDB_MANIFEST_H */
