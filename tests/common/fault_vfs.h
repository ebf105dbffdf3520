/*
** fault_vfs.h — a fault-injecting VFS for tests: it wraps another TdbVfs
** (normally the memory VFS) and can
**
**   - fail the Nth I/O call, counted over all calls or over one kind
**     (tdbFaultVfsFailAt), once or from then on;
**   - run out of disk space after N more bytes are written (TDB_FULL);
**   - lose power: drop every change not made durable by a sync
**     (tdbFaultVfsCrash), optionally keeping a prefix of the last unsynced
**     write (a torn write), or cut power by itself at the Nth sync point
**     (tdbFaultVfsCrashAtSync) so a crash test can try every sync point.
**
** Compiled into the test programs (#include "fault_vfs.c" after the
** amalgamation), never into the library.
**
** The power-loss model (the one the engine's VFS contract promises, vfs.h):
**   - file data (write_at, append, truncate_to) is durable once sync_data of
**     a handle of that file returns TDB_OK; until then a crash restores the
**     bytes and size the file had at its last sync;
**   - a directory entry change (a file created by open_file, removed, or
**     renamed) is durable once sync_dir of its directory returns TDB_OK (a
**     rename between directories: both); until then a crash undoes it, even
**     if the file's data was synced: an unsynced create disappears, an
**     unsynced remove comes back (with the data it had at its last sync), an
**     unsynced rename moves back and the file it replaced reappears;
**   - make_dir is durable at once (the engine creates its directory once);
**   - the torn write: if tear is set (tdbFaultVfsSetTear) and the most recent
**     write of all was not synced, the first `keep` bytes of it survive on
**     top of the restored image (sectors that reached the disk);
**   - after a crash every handle of before is dead (calls fail with
**     TDB_IOERR; close them), locks are released, and the VFS works again
**     ("reboot"), showing only what survived.
** Paths are compared literally: use one spelling per file (the engine does).
** Removed and replaced files are kept under hidden ".tdbfault-N" names in
** their directory until the removal is durable; list_dir hides them.
** map_file always answers "not available", so every read goes through
** read_at and can be failed.
*/
#ifndef TDB_FAULT_VFS_H
#define TDB_FAULT_VFS_H

/* Included after the amalgamation (tensordb.c defines TDB_AMALGAMATION and
** already holds vfs.h); a build from src/ needs -Isrc. */
#ifndef TDB_AMALGAMATION
#include "vfs.h"
#endif

/* Kinds of counted calls. close_file, unlock_file, unmap_file and now_us
** are never counted nor failed. */
typedef enum TdbFaultKind {
  TDB_FAULT_ANY = 0,    /* every counted call below */
  TDB_FAULT_OPEN,       /* open_file                              -> TDB_CANTOPEN */
  TDB_FAULT_READ,       /* read_at, get_size, file_exists, list_dir -> TDB_IOERR_READ / TDB_IOERR */
  TDB_FAULT_WRITE,      /* write_at, append, truncate_to           -> TDB_IOERR_WRITE */
  TDB_FAULT_SYNC,       /* sync_data, sync_dir (the sync points)   -> TDB_IOERR_SYNC */
  TDB_FAULT_NAMESPACE,  /* remove_file, rename_file, make_dir      -> TDB_IOERR */
  TDB_FAULT_LOCK,       /* lock_file                               -> TDB_IOERR */
  TDB_FAULT_NKINDS
} TdbFaultKind;

/* Test-only API: a test program uses some of these, never all, hence
** TDB_MAYBE_UNUSED (they are static in the test's translation unit). */

/* Wrap `inner` (not owned: free it after the fault VFS). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbFaultVfsNew(TdbMem *mem, TdbVfs *inner,
                                                TdbVfs **out);
/* Free the wrapper (NULL is a no-op); close its files first. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbFaultVfsFree(TdbVfs *vfs);

/* Fail the nth counted call of `kind` from now on (1 = the next one); with
** `sticky`, that call and every later call of the kind. nth == 0 cancels.
** One rule at a time: a new one replaces the previous. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbFaultVfsFailAt(TdbVfs *vfs,
                                                   TdbFaultKind kind,
                                                   uint64_t nth, int sticky);

/* After `bytes` more bytes written (write_at/append), writes fail with
** TDB_FULL; the write that crosses the limit stores the part that fits.
** bytes < 0: no limit (the default). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbFaultVfsSetDiskLimit(TdbVfs *vfs,
                                                         int64_t bytes);

/* Cut the power at the nth sync point from now on (1 = the next sync_data
** or sync_dir): that sync does not happen and returns TDB_IOERR_SYNC, and
** every later call fails with TDB_IOERR until tdbFaultVfsCrash. 0 cancels. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbFaultVfsCrashAtSync(TdbVfs *vfs,
                                                        uint64_t nth);

/* Keep the first `keep` bytes of the last unsynced write at the next crash
** (< 0: keep none, the default). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbFaultVfsSetTear(TdbVfs *vfs,
                                                    int64_t keep);

/* Cancel the failure rule, the disk limit and the power-cut trigger. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbFaultVfsClearFaults(TdbVfs *vfs);

/* Power loss now: close every handle's inner file, roll the inner file
** system back to its durable image (see the model above), and power on
** again. Returns TDB_OK, or the first error of the inner VFS while rolling
** back (the test should fail then). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbFaultVfsCrash(TdbVfs *vfs);

/* Counters since the VFS was created. */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbFaultVfsCalls(TdbVfs *vfs,
                                                      TdbFaultKind kind);
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbFaultVfsSyncPoints(TdbVfs *vfs);
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbFaultVfsInjected(TdbVfs *vfs);
/* 1 while the power is cut (after a CrashAtSync fired, before Crash). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbFaultVfsPoweredOff(TdbVfs *vfs);

#endif /* TDB_FAULT_VFS_H */
