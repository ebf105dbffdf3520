/*
** vfs.h — the operating-system interface of the storage engine.
**
** Every file the engine touches goes through a TdbVfs: a table of function
** pointers plus an implementation context, in the spirit of SQLite's
** sqlite3_vfs / sqlite3_io_methods. Implementations:
**
**   vfs_posix.c    POSIX files (open/pread/pwrite/fdatasync/flock/mmap ...)
**   vfs_memory.c   an in-memory file system (":memory:" databases, tests)
**   tests/common/fault_vfs.c  a wrapper that injects failures and power loss
**
** Two objects:
**
**   TdbVfs        the file system: open, remove, rename, exists, list,
**                 mkdir, directory sync, clock
**   TdbVfsFile    an open file: its first member points at TdbVfsFileMethods
**                 (read/write at an offset, append, sync, truncate, size,
**                 lock, map, close); implementations embed it as the first
**                 member of their own handle struct
**
** Result codes. Every call returns TDB_OK or a TDB_* code:
**   TDB_NOTFOUND    the path does not exist (open without CREATE, remove,
**                   rename source, list of a missing directory)
**   TDB_CANTOPEN    open failed otherwise (permissions, EXCLUSIVE and the file
**                   exists, a directory, too many files)
**   TDB_IOERR_READ / TDB_IOERR_WRITE / TDB_IOERR_SYNC   the I/O call failed
**   TDB_FULL        no space left (ENOSPC, EDQUOT)
**   TDB_BUSY        lock_file: another handle holds the lock
**   TDB_NOMEM       an allocation of the VFS failed
**   TDB_IOERR       any other operating-system failure
** and, on failure, fills the caller's TdbVfsErr (when not NULL) with the
** code, the errno, the offset and a message naming the operation, the file
** and the position, e.g.
**   "pread '/db/000012.sst' at offset 8192: Input/output error"
** so upper layers can report "file X at offset Y" verbatim. On success the
** TdbVfsErr is left untouched.
**
** Durability model (what a crash may lose). Data written to a file is
** durable once sync_data() on it returned TDB_OK (fdatasync semantics: the
** bytes and the size, not necessarily the mtime). A directory entry change
** (a file created, removed or renamed) is durable once sync_dir() of the
** directory that holds the entry returned TDB_OK; a rename between two
** directories needs both synced. Until then a crash may undo it, even if the
** file's data was synced. So the crash-safe sequences are:
**   new file:  open(CREATE) -> write -> sync_data -> sync_dir(parent)
**   replace:   write tmp -> sync_data(tmp) -> rename(tmp, name) -> sync_dir
** The fault VFS of the tests simulates exactly this model.
**
** Thread safety: a TdbVfs may be used from several threads at once; one
** TdbVfsFile may be read concurrently (read_at, get_size, map_file) but must
** have a single writer, and close_file must not race other calls on it.
*/
#ifndef TDB_VFS_H
#define TDB_VFS_H

#include "tdb_internal.h"
#include "mem.h"

#define TDB_VFS_VERSION 1        /* of TdbVfs and TdbVfsFileMethods */
#define TDB_VFS_MSG_MAX 256      /* bytes of TdbVfsErr.msg including NUL */

/* open_file flags. READ alone opens read-only; WRITE opens read-write. */
#define TDB_VFS_READ      0x01
#define TDB_VFS_WRITE     0x02
#define TDB_VFS_CREATE    0x04   /* create the file if it does not exist */
#define TDB_VFS_EXCLUSIVE 0x08   /* with CREATE: fail (TDB_CANTOPEN) if it exists */

typedef struct TdbVfs TdbVfs;
typedef struct TdbVfsFile TdbVfsFile;
typedef struct TdbVfsFileMethods TdbVfsFileMethods;

/* What went wrong, for the message of the connection. */
typedef struct TdbVfsErr {
  int rc;                      /* the TDB_* code the call returned */
  int sys_errno;               /* errno of the failed system call, or 0 */
  int64_t offset;              /* file offset of the failed I/O, or -1 */
  char msg[TDB_VFS_MSG_MAX];   /* "<op> '<path>'[ at offset N]: <reason>" */
} TdbVfsErr;

/* list_dir callback: one entry of the directory (never "." or ".."); `name`
** is valid during the call only. Return non-zero to stop the listing (which
** then returns TDB_OK). The callback may call into the VFS. */
typedef int (*TdbVfsListFn)(void *ctx, const char *name, int is_dir);

struct TdbVfsFile {
  const TdbVfsFileMethods *methods;
  const char *path;            /* the path it was opened as (for messages) */
};

struct TdbVfsFileMethods {
  int version;                 /* TDB_VFS_VERSION */

  /* Close and free the handle, releasing its lock. Never fails; NULL-safe
  ** through tdbVfsClose. */
  void (*close_file)(TdbVfsFile *f);

  /* Read up to n bytes at `offset` into buf; *nread is the count read, which
  ** is less than n only when the file ends first (0 at or past the end). */
  int (*read_at)(TdbVfsFile *f, uint64_t offset, void *buf, size_t n,
                 size_t *nread, TdbVfsErr *err);

  /* Write all n bytes at `offset`, extending the file (a gap reads as
  ** zeros). On failure (TDB_FULL, TDB_IOERR_WRITE) a prefix of the bytes may
  ** have been written. */
  int (*write_at)(TdbVfsFile *f, uint64_t offset, const void *buf, size_t n,
                  TdbVfsErr *err);

  /* Write n bytes at the end of the file. The handle must be the file's
  ** only writer (posix caches the size at open and after each write). */
  int (*append)(TdbVfsFile *f, const void *buf, size_t n, TdbVfsErr *err);

  /* Make the file's data and size durable (fdatasync). */
  int (*sync_data)(TdbVfsFile *f, TdbVfsErr *err);

  /* Set the size: shrink, or grow with zeros. */
  int (*truncate_to)(TdbVfsFile *f, uint64_t size, TdbVfsErr *err);

  int (*get_size)(TdbVfsFile *f, uint64_t *size, TdbVfsErr *err);

  /* Advisory exclusive lock of the whole file, non-blocking: TDB_BUSY when
  ** another handle (in this process or another) holds it. Locking a file
  ** this handle already holds succeeds. Released by unlock_file or close. */
  int (*lock_file)(TdbVfsFile *f, TdbVfsErr *err);
  int (*unlock_file)(TdbVfsFile *f, TdbVfsErr *err);

  /* Map the first `len` bytes read-only. Returns TDB_OK with *out == NULL
  ** when mapping is not available (not supported, len 0, mmap refused): the
  ** caller then falls back to read_at. The file must not be written or
  ** truncated while mapped; unmap_file before close_file. */
  int (*map_file)(TdbVfsFile *f, size_t len, const void **out,
                  TdbVfsErr *err);
  void (*unmap_file)(TdbVfsFile *f, const void *p, size_t len);
};

struct TdbVfs {
  int version;                 /* TDB_VFS_VERSION */
  const char *name;            /* "posix", "memory", "fault" */
  void *ctx;                   /* implementation state */

  /* Open `path` with TDB_VFS_* flags. Without CREATE a missing file is
  ** TDB_NOTFOUND; a directory is TDB_CANTOPEN. *out is NULL on failure. */
  int (*open_file)(TdbVfs *vfs, const char *path, int flags, TdbVfsFile **out,
                   TdbVfsErr *err);

  /* Remove a file (not a directory). Open handles stay usable. */
  int (*remove_file)(TdbVfs *vfs, const char *path, TdbVfsErr *err);

  /* Rename a file, atomically replacing `to` if it exists: at every instant
  ** `to` names either the old or the new file. */
  int (*rename_file)(TdbVfs *vfs, const char *from, const char *to,
                     TdbVfsErr *err);

  /* *exists = 1 if `path` names a file or directory, else 0. */
  int (*file_exists)(TdbVfs *vfs, const char *path, int *exists,
                     TdbVfsErr *err);

  /* Call fn for every entry of directory `dir`, in no particular order. */
  int (*list_dir)(TdbVfs *vfs, const char *dir, TdbVfsListFn fn, void *ctx,
                  TdbVfsErr *err);

  /* Create directory `path` (its parent must exist). TDB_OK if it already
  ** exists as a directory. */
  int (*make_dir)(TdbVfs *vfs, const char *path, TdbVfsErr *err);

  /* Make the entries of directory `dir` durable (see the durability model).
  ** "" means the current directory. */
  int (*sync_dir)(TdbVfs *vfs, const char *dir, TdbVfsErr *err);

  /* Wall-clock time in microseconds since 1970-01-01T00:00:00Z. */
  int64_t (*now_us)(TdbVfs *vfs);
};

/* ---- Implementations --------------------------------------------------------
** Each New copies *mem (its allocator for handles and buffers) and returns
** TDB_OK or TDB_NOMEM; each Free accepts NULL and must be called after
** every file of the VFS is closed. TDB_MAYBE_UNUSED: the engine picks one
** per database, tests use all; see crc32c.h for why this is needed.
*/
#ifndef TDB_OMIT_VFS_POSIX
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbVfsPosixNew(TdbMem *mem, TdbVfs **out);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbVfsPosixFree(TdbVfs *vfs);
#endif
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbVfsMemoryNew(TdbMem *mem, TdbVfs **out);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbVfsMemoryFree(TdbVfs *vfs);

/* ---- Helpers shared by implementations and callers (vfs.c) ----------------- */

/* Fill *err (when not NULL) and return rc. The message is
** "<op> '<path>'[ at offset <offset>]: <reason>" where reason is the text of
** sys_errno when non-zero, else `reason` (NULL: no ": reason" part);
** offset < 0 omits the position; path NULL omits the path. Long paths are
** truncated to fit TDB_VFS_MSG_MAX. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbVfsErrSet(TdbVfsErr *err, int rc,
                                              const char *op, const char *path,
                                              int64_t offset, int sys_errno,
                                              const char *reason);

/* The same for an operation on two paths (rename): the message is
** "<op> '<path>' -> '<path2>'[ at offset N]: <reason>". */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbVfsErrSetPair(TdbVfsErr *err, int rc,
                                                  const char *op,
                                                  const char *path,
                                                  const char *path2,
                                                  int64_t offset,
                                                  int sys_errno,
                                                  const char *reason);

/* Length of the directory part of `path`, without the final separator:
** "a/b/c" -> 3 ("a/b"), "c" -> 0 (the current directory), "/c" -> 1 ("/"),
** "a//c" -> 1. Trailing separators of `path` are ignored. */
TDB_PRIVATE TDB_MAYBE_UNUSED size_t tdbVfsDirLen(const char *path);

/* The id of the calling process (getpid), or 0 where there is none. */
TDB_PRIVATE TDB_MAYBE_UNUSED long tdbVfsProcessId(void);

/* Close f (NULL is a no-op). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbVfsClose(TdbVfsFile *f);

/* Read exactly n bytes at offset: a file that ends first is TDB_CORRUPT
** with "short read" in the message (callers read formats whose sizes they
** know: a block, a footer). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbVfsReadExact(TdbVfsFile *f,
                                                 uint64_t offset, void *buf,
                                                 size_t n, TdbVfsErr *err);

#endif /* TDB_VFS_H */
