/*
** wal.h — the write-ahead log: the writer the commit path appends one record
** per committed batch to, and the reader recovery replays it with.
**
** A record is opaque bytes to this module (the engine encodes its batch).
** Group commit, sync modes and log rotation live in the engine; a writer has
** a single user at a time (the engine serializes appends and syncs).
**
** ---- On-disk format (do not change without a format version bump) -----------
**
** The file is a sequence of 32 KiB blocks; the last one may be partial.
** Each record is cut into one or more fragments; a fragment never crosses a
** block boundary:
**
**   file   +---------- block 0 ----------+---------- block 1 ----------+--
**          | frag | frag |  frag  |trail | frag (cont.)  | frag | frag |..
**          +------------------------------+------------------------------+--
**          <------------- 32768 ---------->
**
**   fragment
**          +---------+--------+------+--------------------------+
**          | crc  4  | len  2 | type | payload (len bytes)      |
**          +---------+--------+------+--------------------------+
**          <------- header: 7 bytes --->
**
**   crc    masked CRC-32C (tdbCrc32cMask), 4 bytes little-endian, of
**            log_number (8 bytes LE) || type (1 byte) || payload
**          The log number of the file is mixed in as a seed, so bytes left
**          over from another log file (a recycled or reused file, an old copy
**          at the same offset) never pass the check in this one. The reader
**          and the writer must be given the same log number (the engine keeps
**          it in the file name and the manifest).
**   len    payload bytes, 2 bytes little-endian (0 .. 32761)
**   type   1 FULL    the whole record
**          2 FIRST   the first fragment of a record
**          3 MIDDLE  an interior fragment
**          4 LAST    the last fragment
**          0 is reserved: it is what zero padding reads as, never written in
**          a header. (On-disk values: do not renumber.)
**   trail  when fewer than 7 bytes remain in a block, no header fits: the
**          writer fills them with zeros and continues in the next block. The
**          reader skips them (and a file that ends inside them is whole).
**
** A record of n bytes is FULL when it fits in its block's remaining space,
** else FIRST, MIDDLE..., LAST; a zero-length record is one FULL fragment with
** len 0 (a FIRST may also carry 0 bytes when exactly a header fits).
**
**   a record of 40000 bytes appended at block offset 32000 of block 0:
**     block 0   ... earlier fragments ... | FIRST hdr | 761 bytes  |
**     block 1   | MIDDLE hdr | 32761 bytes (fills the block)            |
**     block 2   | LAST hdr | 6478 bytes | next record ...
**
** ---- Recovery policy (tdbWalReadRecord) ---------------------------------------
**
** The reader returns each whole record in order. When it meets damage — a
** short header or fragment at the end of the file, a bad type, a length that
** overruns its block, a checksum mismatch, a nonzero block trailer, or a
** record whose pieces do not chain (a FIRST with no LAST, a MIDDLE/LAST with
** no FIRST) — it scans every byte offset from the damage to the end of the
** file for a fragment with a valid checksum (for this log number):
**   - none found: a torn or corrupt TAIL (a crash during the last writes).
**     Reading ends cleanly (TDB_DONE) and tdbWalReaderTail() describes what
**     was dropped: offset, what was found, how many bytes. The engine writes
**     that note to its log hook, and truncates the file to
**     tdbWalReaderValidEnd() before it ever appends to it again.
**   - one found: bytes were written after the damage, so whatever follows
**     may be an acknowledged commit. The reader returns TDB_CORRUPT_WAL with
**     the file path and the byte offset of the damage (tdbWalReaderErr), and
**     the engine refuses to open rather than silently lose it.
** One exception: UNWRITTEN SPACE — a fragment header of 7 zero bytes (never
** written by the writer: type 0 is reserved) — always ends the log as a torn
** tail, even when checksum-valid fragments follow; the note then says so and
** where they start. After a power loss, unsynced pages reach the disk in any
** order and the ones that did not read as zeros (file systems zero-fill;
** the fault VFS leaves a zero gap when an earlier unsynced write is lost but
** the last one partly lands), so a zero hole followed by data is the normal
** result of a crash, and the data after it was never synced (an
** acknowledged commit lies before the synced size, hence before any hole).
** Refusing to open there would turn every such crash into an outage; the
** price is that synced data later zeroed by the medium is dropped with a
** loud note instead of TDB_CORRUPT_WAL. Damage that is not zeros (a flipped
** bit, garbage) keeps the strict rule above.
** Unwritten space that runs to the end of the file between two records is
** not even torn: it is the zeros a preallocating writer
** (tdbWalWriterPreallocate) keeps after the log's end, and reading ends
** there cleanly (tdbWalReaderTail: torn 0; the valid end is where the zeros
** start). A record cut short by zeros is still a torn tail.
**
** A record that is incomplete because the file ends (FIRST..MIDDLE at EOF) is
** a torn tail dropped from the record's start. A FIRST with its following
** pieces zeroed is a tail too (unwritten space). Errors are sticky: later
** calls return the same code.
*/
#ifndef TDB_WAL_H
#define TDB_WAL_H

#include "tdb_internal.h"
#include "mem.h"
#include "vfs.h"

#define TDB_WAL_BLOCK 32768        /* bytes per block (on-disk constant) */
#define TDB_WAL_HEADER 7           /* bytes per fragment header (on-disk) */

/* Fragment types. On-disk values: do not renumber. */
#define TDB_WAL_ZERO 0             /* reserved: zero padding */
#define TDB_WAL_FULL 1
#define TDB_WAL_FIRST 2
#define TDB_WAL_MIDDLE 3
#define TDB_WAL_LAST 4

/* tdbWalWriterOpen's `truncate_at`: append at the file's current end. */
#define TDB_WAL_KEEP_SIZE UINT64_MAX

typedef struct TdbWalWriter TdbWalWriter;
typedef struct TdbWalReader TdbWalReader;

/* What recovery dropped at the end of a log (see the policy above). */
typedef struct TdbWalTail {
  int torn;                    /* 0: the log ended cleanly; 1: a tail was dropped */
  uint64_t offset;             /* where the dropped bytes begin */
  uint64_t dropped;            /* how many bytes, to the end of the file */
  char note[TDB_VFS_MSG_MAX];  /* "wal '<path>': torn tail at offset N: <what>;
                               ** dropped M bytes (nothing valid follows)" */
} TdbWalTail;

/* ---- writer ------------------------------------------------------------------ */

/* Open (creating if missing) the log `path` of number `log_number` for
** appending. `truncate_at` == TDB_WAL_KEEP_SIZE appends at the current end;
** otherwise the file is first cut to `truncate_at` bytes (if longer) and the
** cut synced — pass tdbWalReaderValidEnd() after recovering a log with a
** torn tail, so new records never follow damaged bytes (the reader would
** then report TDB_CORRUPT_WAL). Does not sync the directory entry of a new
** file: the engine does (vfs.h, durability model). *mem is copied. Returns
** TDB_OK, TDB_NOMEM or a VFS code with *err filled; *out is NULL on failure. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbWalWriterOpen(TdbMem *mem, TdbVfs *vfs,
                                                  const char *path,
                                                  uint64_t log_number,
                                                  uint64_t truncate_at,
                                                  TdbWalWriter **out,
                                                  TdbVfsErr *err);

/* Close the file and free the writer (NULL is a no-op). Does not sync:
** call tdbWalSync first if the tail must be durable. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbWalWriterClose(TdbWalWriter *w);

/* Append one record of n bytes (n may be 0). The fragments of a record are
** written with one VFS append, or one write_at over the zeros when
** preallocating (records over 1 MiB: in 1 MiB pieces). The
** record is not durable until tdbWalSync returns TDB_OK.
** Returns TDB_OK; TDB_NOMEM (nothing written, the writer stays usable); or
** the VFS code of a failed write (TDB_IOERR_WRITE, TDB_FULL, ...): then the
** writer is in a sticky error state — part of the record may be in the file,
** and every later append and sync returns the same code without touching the
** file. tdbWalWriterErr() then gives the VFS message. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbWalAppend(TdbWalWriter *w,
                                              const void *data, size_t n);

/* Make everything appended so far durable (sync_data). A failure is sticky
** as for tdbWalAppend: after a failed fdatasync the kernel may have dropped
** the dirty pages, so the engine must not trust this file any more. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbWalSync(TdbWalWriter *w);

/* Preallocate from now on: instead of appending, write each record over
** zeros the writer put after the log's end, growing the file with zeros
** `step` bytes at a time (step > 0). A sync then flushes data only, where an
** append also makes the file system journal the new size at every sync.
** The reader ends a log cleanly at such a zero tail. A preallocated log
** must only be reopened for appending at its valid end (truncate_at =
** tdbWalReaderValidEnd()), never with TDB_WAL_KEEP_SIZE. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbWalWriterPreallocate(TdbWalWriter *w,
                                                          size_t step);

/* Logical size of the file: every byte appended so far (synced or not),
** without the preallocated zeros. */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbWalWriterSize(const TdbWalWriter *w);

/* The size as of the last successful tdbWalSync (or open). */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbWalWriterSyncedSize(
    const TdbWalWriter *w);

/* NULL while healthy; after a failure, the sticky error (rc and message). */
TDB_PRIVATE TDB_MAYBE_UNUSED const TdbVfsErr *tdbWalWriterErr(
    const TdbWalWriter *w);

/* ---- reader ------------------------------------------------------------------ */

/* Open the log `path` of number `log_number` for reading. *mem is copied.
** Returns TDB_OK, TDB_NOTFOUND, TDB_NOMEM or a VFS code with *err filled. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbWalReaderOpen(TdbMem *mem, TdbVfs *vfs,
                                                  const char *path,
                                                  uint64_t log_number,
                                                  TdbWalReader **out,
                                                  TdbVfsErr *err);

/* Free the reader (NULL is a no-op). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbWalReaderClose(TdbWalReader *r);

/* The next whole record: TDB_OK with *data and *n set (valid until the next call
** on the reader); TDB_DONE at the end of the log — clean, or after a dropped
** torn tail (see tdbWalReaderTail); TDB_CORRUPT_WAL when damage is followed
** by a valid fragment; TDB_NOMEM or a VFS read error. Every code but TDB_OK
** is sticky; tdbWalReaderErr() explains the errors. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbWalReadRecord(TdbWalReader *r,
                                                  const unsigned char **data,
                                                  size_t *n);

/* After TDB_DONE: what was dropped (torn == 0 when the log ended cleanly). */
TDB_PRIVATE TDB_MAYBE_UNUSED const TdbWalTail *tdbWalReaderTail(
    const TdbWalReader *r);

/* After TDB_DONE: the offset just past the last whole record (and any
** padding after it) — the size to truncate the file to before appending. */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t tdbWalReaderValidEnd(
    const TdbWalReader *r);

/* NULL unless reading failed; then the code and a message naming the file
** and the offset: "wal '<path>' at offset N: <what>; ...". */
TDB_PRIVATE TDB_MAYBE_UNUSED const TdbVfsErr *tdbWalReaderErr(
    const TdbWalReader *r);

#endif /* TDB_WAL_H */
