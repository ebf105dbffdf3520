/*
** sstable.h — sorted string tables: the immutable files of the LSM tree.
** A builder writes one from keys in ascending order; a reader opens it,
** answers point lookups (bloom filter first) and iterates it.
**
** File layout (format version 1):
**
**   offset 0
**   +-------------------------+
**   | data block 0  | trailer |   entries in key order (block.h), each block
**   | data block 1  | trailer |   ~block_bytes before compression
**   | ...                     |
**   | data block n-1| trailer |
**   +-------------------------+   <- data end
**   | filter block  | trailer |   bloom over user keys (bloom.h); absent when
**   +-------------------------+      the handle is (0, 0)
**   | meta block    | trailer |   properties (below)
**   +-------------------------+
**   | index block   | trailer |   one entry per data block (block.h format,
**   +-------------------------+      restart interval 1): key = last key of
**   | footer (64 bytes)       |      the block, value = its handle
**   +-------------------------+   <- file size
**
** The regions are contiguous, in this order, with no gaps: the reader checks
** that every handle tiles the file exactly so.
**
** Block handle (index values): varint64 offset | varint64 size, where size
** counts the stored contents without the trailer.
**
** Block trailer (5 bytes, after every stored block):
**   +----------+-------------------------------------------+
**   | type (1) | masked crc32c of contents || type (fixed32)|
**   +----------+-------------------------------------------+
**   type (on-disk, do not renumber): 0 raw, 1 LZ4 (contents as in
**   compress.h). A data block is stored LZ4 only when built with
**   TDB_ENABLE_LZ4 and LZ4 makes it at least 1/8 smaller.
**
** Footer (64 bytes, all integers little-endian):
**    0  fixed64 index offset      8  fixed64 index size
**   16  fixed64 filter offset    24  fixed64 filter size   (0, 0: none)
**   32  fixed64 meta offset      40  fixed64 meta size
**   48  fixed32 format version (1)
**   52  fixed32 masked crc32c of bytes [0, 52)
**   56  magic, 8 bytes: 89 54 44 42 53 53 54 0A  ("\x89TDBSST\n")
**
** Meta block: a list of properties, each
**   +--------------+------------+-------------+
**   | tag (v32)    | len (v32)  | len bytes   |
**   +--------------+------------+-------------+
**   tags 1..10 are varint64 counters (TdbSstProps), 11/12 the smallest and
**   largest key; tags >= TDB_SST_PROP_USER are the engine's own
**   (tdbSstBuilderSetProperty). Unknown tags are skipped. On-disk: do not
**   renumber.
**
** Errors. Every malformed or truncated file gives TDB_CORRUPT_SST (or the
** VFS's I/O code) with the TdbVfsErr message
**   "sstable '<path>' at offset <N>: <what is wrong>"
** naming the byte offset of the bad footer field, block or entry. A file
** with LZ4 blocks opened by a build without TDB_ENABLE_LZ4 fails with
** TDB_SST_RC_NEEDS_LZ4 (TDB_CANTOPEN_LZ4: the file is intact, the build
** cannot read it) and a message saying the file needs LZ4 support: at open
** when the meta block counts LZ4 blocks, else at the first such block.
**
** The engine (tablecache.c, store) calls these functions as it arrives;
** TDB_MAYBE_UNUSED keeps the amalgamation free of -Wunused-function while
** some build leaves one uncalled.
*/
#ifndef TDB_SSTABLE_H
#define TDB_SSTABLE_H

#include "tdb_internal.h"
#include "mem.h"
#include "vfs.h"
#include "block.h"
#include "cache.h"

#define TDB_SST_FORMAT_VERSION 1
#define TDB_SST_FOOTER_SIZE 64
#define TDB_SST_TRAILER_SIZE 5
#define TDB_SST_MAGIC "\x89TDBSST\n" /* 8 bytes */

/* Block types of the trailer. On-disk: do not renumber. */
#define TDB_SST_BLOCK_RAW 0
#define TDB_SST_BLOCK_LZ4 1

/* What a build without LZ4 returns for an LZ4 file. */
#define TDB_SST_RC_NEEDS_LZ4 TDB_CANTOPEN_LZ4

/* Builder compression choice (options only, not on disk). */
#define TDB_SST_COMPRESS_AUTO 0 /* LZ4 when the build has it, else none */
#define TDB_SST_COMPRESS_NONE 1
#define TDB_SST_COMPRESS_LZ4 2 /* LZ4 when the build has it, else none */

/* Meta tags. On-disk: do not renumber. */
#define TDB_SST_PROP_ENTRIES 1
#define TDB_SST_PROP_DATA_BLOCKS 2
#define TDB_SST_PROP_FILTER_KEYS 3
#define TDB_SST_PROP_RAW_KEY_BYTES 4
#define TDB_SST_PROP_RAW_VALUE_BYTES 5
#define TDB_SST_PROP_DATA_BYTES 6
#define TDB_SST_PROP_RAW_DATA_BYTES 7
#define TDB_SST_PROP_LZ4_BLOCKS 8
#define TDB_SST_PROP_BLOOM_BITS 9
#define TDB_SST_PROP_COMPRESSION 10
#define TDB_SST_PROP_MIN_KEY 11
#define TDB_SST_PROP_MAX_KEY 12
#define TDB_SST_PROP_USER 1024

/* The user key of a key (internal key -> user key; same signature as
** tdbIkeyUserKey). May return NULL with *user_len 0 for a malformed key. */
typedef const unsigned char *(*TdbSstUserKeyFn)(const void *key, size_t n,
                                                size_t *user_len);

typedef struct TdbSstOptions {
  TdbBlockCmpFn compare;    /* key order; NULL: bytewise, shorter first */
  TdbSstUserKeyFn user_key; /* for the filter; NULL: the whole key */
  size_t block_bytes;       /* data block target; 0: TDB_DEFAULT_BLOCK_BYTES */
  int restart_interval;     /* data blocks; 0: TDB_BLOCK_RESTART_INTERVAL */
  int bloom_bits_per_key;   /* 0: TDB_DEFAULT_BLOOM_BITS; < 0: no filter */
  int compression;          /* TDB_SST_COMPRESS_* */
  int no_mmap;              /* reader: always read_at, never map_file */
} TdbSstOptions;

typedef struct TdbSstHandle {
  uint64_t offset;
  uint64_t size; /* without the trailer */
} TdbSstHandle;

typedef struct TdbSstFooter {
  TdbSstHandle index, filter, meta;
  uint32_t version;
} TdbSstFooter;

/* Table properties (the meta block); keys point into the reader. */
typedef struct TdbSstProps {
  uint64_t entries;
  uint64_t data_blocks;
  uint64_t filter_keys; /* distinct user keys hashed into the filter */
  uint64_t raw_key_bytes;
  uint64_t raw_value_bytes;
  uint64_t data_bytes;     /* stored bytes of data blocks with trailers */
  uint64_t raw_data_bytes; /* their contents before compression */
  uint64_t lz4_blocks;     /* data blocks stored LZ4 */
  uint64_t bloom_bits;     /* bits per key of the filter, 0: none */
  uint64_t compression;    /* 1 when any block is LZ4, else 0 */
  const unsigned char *min_key, *max_key;
  size_t min_key_len, max_key_len;
} TdbSstProps;

/* ---- Building ------------------------------------------------------------ */

typedef struct TdbSstBuilder TdbSstBuilder;

/* A builder writing to `file` (opened for writing, empty; borrowed: the
** caller closes it, renames and registers the table). TDB_OK or TDB_NOMEM. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstBuilderNew(TdbMem *mem,
                                                  const TdbSstOptions *o,
                                                  TdbVfsFile *file,
                                                  TdbSstBuilder **out);

/* Add an entry. Keys must strictly ascend in o->compare order (else
** TDB_MISUSE). Errors are sticky: TDB_NOMEM, TDB_TOOBIG, or a VFS code with
** tdbSstBuilderErr filled. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstBuilderAdd(TdbSstBuilder *b,
                                                  const void *key, size_t klen,
                                                  const void *val, size_t vlen);

/* Fill-on-write: from now on, every data block whose first key starts with a
** byte b with first_bytes[b] != 0 (a 256-entry table the caller keeps alive)
** is also put into `cache` under (cache_id, its offset), exactly as a reader
** with that cache id would cache it on a miss. NULL first_bytes: stop. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstBuilderFillCache(TdbSstBuilder *b, TdbCache *cache,
                                                         uint64_t cache_id,
                                                         const uint8_t *first_bytes);

/* Record an engine property (tag >= TDB_SST_PROP_USER) for the meta block;
** a later call with the same tag adds a second copy (the reader returns
** the first). TDB_OK, TDB_MISUSE (bad tag) or TDB_NOMEM. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstBuilderSetProperty(TdbSstBuilder *b,
                                                          uint32_t tag,
                                                          const void *p,
                                                          size_t n);

/* Write the rest of the file and sync it. TDB_OK or the sticky error.
** *props (may be NULL) gets the table's properties (keys valid until Free). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstBuilderFinish(TdbSstBuilder *b,
                                                     TdbSstProps *props);

/* Bytes written so far plus the pending block (to cut output files). */
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t
tdbSstBuilderFileSize(const TdbSstBuilder *b);
TDB_PRIVATE TDB_MAYBE_UNUSED uint64_t
tdbSstBuilderEntries(const TdbSstBuilder *b);

/* The error of the last failed call. */
TDB_PRIVATE TDB_MAYBE_UNUSED const TdbVfsErr *tdbSstBuilderErr(
    const TdbSstBuilder *b);

/* Free (also to abandon an unfinished table; the caller removes the file).
** NULL is a no-op. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstBuilderFree(TdbSstBuilder *b);

/* ---- Format pieces (also used by tests and tdb_check) ------------------- */

/* Write the 64-byte footer / check and decode one (TDB_OK or TDB_CORRUPT
** with *why and *err_pos, the bad field's position within the footer). */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstFooterEncode(const TdbSstFooter *f,
                                                     unsigned char *dst);
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstFooterDecode(const unsigned char *src,
                                                    TdbSstFooter *f,
                                                    const char **why,
                                                    uint32_t *err_pos);

/* The 5-byte trailer of contents[0..n) stored with `type`. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstTrailerEncode(
    const unsigned char *contents, size_t n, int type, unsigned char *dst);

/* Encode props (and the user property bytes `extra`, already TLV-encoded)
** into a new buffer from mem. TDB_OK or TDB_NOMEM. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstPropsEncode(
    TdbMem *mem, const TdbSstProps *p, const unsigned char *extra,
    size_t extra_len, unsigned char **out, size_t *n);
/* Decode a meta block (keys point into it). TDB_OK or TDB_CORRUPT with *why
** and *err_pos (offset in the block). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstPropsDecode(const unsigned char *p,
                                                   size_t n, TdbSstProps *out,
                                                   const char **why,
                                                   uint32_t *err_pos);

/* ---- Reading ------------------------------------------------------------- */

typedef struct TdbSstReader TdbSstReader;

/* Open the table in `file` (borrowed: it must outlive the reader). Reads
** and checks the footer, the index (every handle), the filter and the meta
** block. Uses map_file unless o->no_mmap or the VFS cannot map; `cache`
** (may be NULL) caches data blocks under (cache_id, offset): cache_id must
** name this file's contents for as long as the cache lives (file numbers,
** never reused, do). Closing a reader that mapped the file erases its
** blocks from the cache, since they point into the mapping.
** TDB_OK; TDB_CORRUPT_SST, TDB_SST_RC_NEEDS_LZ4, TDB_NOMEM or a VFS code,
** with *err filled. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstReaderOpen(
    TdbMem *mem, const TdbSstOptions *o, TdbVfsFile *file, TdbCache *cache,
    uint64_t cache_id, TdbSstReader **out, TdbVfsErr *err);

/* Close (NULL is a no-op). Every iterator of it must be cleared first. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstReaderClose(TdbSstReader *r);

TDB_PRIVATE TDB_MAYBE_UNUSED const TdbSstProps *tdbSstReaderProps(
    const TdbSstReader *r);

/* The first engine property with `tag`: TDB_OK with *p, *n pointing into
** the reader, or TDB_NOTFOUND. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstReaderProperty(const TdbSstReader *r,
                                                      uint32_t tag,
                                                      const unsigned char **p,
                                                      size_t *n);

/* 0 when the filter proves no key of user key uk[0..n) is in the table. */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstMayContain(const TdbSstReader *r,
                                                  const void *uk, size_t n);

/* Called by tdbSstGet with the entry found (valid during the call only). */
typedef void (*TdbSstGetFn)(void *ctx, const unsigned char *key, size_t klen,
                            const unsigned char *val, size_t vlen);

/* Point lookup. When the filter admits target's user key, seek to the first
** entry with key >= target and call fn with it; the entry may belong to
** another user key (the caller checks). TDB_OK (fn called once),
** TDB_NOTFOUND (filter says no, or no entry >= target), or an error with
** *err filled. Thread-safe (readers share nothing mutable but the cache). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstGet(TdbSstReader *r, const void *target,
                                           size_t tlen, TdbSstGetFn fn,
                                           void *ctx, TdbVfsErr *err);

/* A data block in use: mapped or owned bytes, or a cache handle. */
typedef struct TdbSstBlockRef {
  TdbBlock blk;
  unsigned char *owned;   /* free when done (no cache) */
  TdbCacheHandle *handle; /* release when done (cache) */
  const struct TdbSstCached *cached; /* the cache entry's block (its seek hint) */
  int lz4;                /* stored compressed (offsets are uncompressed) */
} TdbSstBlockRef;

/* A two-level iterator over the whole table (index -> data blocks). Embed
** it anywhere; do not copy a live one. */
typedef struct TdbSstIter {
  TdbSstReader *r;
  TdbBlockIter index;
  TdbBlockIter data;
  TdbSstBlockRef ref;
  int has_block;
  uint64_t block_off; /* file offset of the loaded block */
  int rc;             /* TDB_OK or the error that stopped it */
  TdbVfsErr err;
} TdbSstIter;

TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstIterInit(TdbSstIter *it,
                                                 TdbSstReader *r);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstIterClear(TdbSstIter *it);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstIterSeekToFirst(TdbSstIter *it);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstIterSeekToLast(TdbSstIter *it);
/* The first entry with key >= target. */
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstIterSeek(TdbSstIter *it,
                                                 const void *target,
                                                 size_t tlen);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstIterNext(TdbSstIter *it);
TDB_PRIVATE TDB_MAYBE_UNUSED void tdbSstIterPrev(TdbSstIter *it);
/* 1 on an entry; 0 at either end or after an error (then it->rc, it->err). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstIterValid(const TdbSstIter *it);
/* Forward bulk read (the visit method of iter.h): fn on each entry from the
** current one whose key is < bound (NULL: to the end of the table), block by
** block. A block whose index key is below the bound is read without any key
** comparison. Returns fn's first nonzero result, else 0 (at the bound, the
** end, or an error: then it->rc). */
TDB_PRIVATE TDB_MAYBE_UNUSED int tdbSstIterVisit(
    TdbSstIter *it, const unsigned char *bound, size_t bn,
    int (*fn)(void *ctx, const unsigned char *k, size_t kn,
              const unsigned char *v, size_t vn),
    void *ctx);
TDB_PRIVATE TDB_MAYBE_UNUSED const unsigned char *tdbSstIterKey(
    const TdbSstIter *it, size_t *klen);
TDB_PRIVATE TDB_MAYBE_UNUSED const unsigned char *tdbSstIterValue(
    const TdbSstIter *it, size_t *vlen);

#endif /* TDB_SSTABLE_H */
