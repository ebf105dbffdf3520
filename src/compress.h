/*
** compress.h — per-block compression of SSTable blocks (LZ4 when the build
** defines TDB_ENABLE_LZ4 and links -llz4; otherwise none).
**
** A compressed block is stored as
**
**   +----------------------------+----------------------------------+
**   | raw length (varint32)      | LZ4 block-format bytes           |
**   +----------------------------+----------------------------------+
**
** so the reader knows the exact size to decompress into. The block type
** byte that says whether a stored block is raw or LZ4 lives in the block
** trailer (sstable.h), not here.
**
** Contract: tdbCompressLz4 reports "did not pay off" (returns 0) when the
** result would not be at least 1/8 smaller than the input, so callers keep
** such blocks raw; in a build without LZ4 it always returns 0.
*/
#ifndef TDB_COMPRESS_H
#define TDB_COMPRESS_H

#include "tdb_internal.h"
#include "mem.h"

/* 1 when this build can compress and decompress LZ4 (TDB_ENABLE_LZ4). */
TDB_PRIVATE int tdbCompressHasLz4(void);

/* Bytes of output buffer tdbCompressLz4 needs for n input bytes (0 when
** the build has no LZ4 or n is too large for LZ4). */
TDB_PRIVATE size_t tdbCompressLz4Bound(size_t n);

/* Compress src[0..n) into dst (dst_cap >= tdbCompressLz4Bound(n)) in the
** format above. Returns the stored length, or 0 when LZ4 is unavailable,
** n is too large, or the output is not at least n/8 smaller than n. */
TDB_PRIVATE size_t tdbCompressLz4(const unsigned char *src, size_t n,
                                  unsigned char *dst, size_t dst_cap);

/* Decompress a stored LZ4 block src[0..n) into a new buffer from mem of
** exactly head + the raw length: *out is the buffer, the raw bytes start at
** *out + head (head bytes the caller may use, e.g. for a header kept with
** the data in one allocation), *out_len is the raw length. Returns TDB_OK; TDB_CORRUPT when
** the length prefix or the LZ4 stream is malformed or does not produce
** exactly the raw length (*why says which); TDB_NOMEM; or TDB_MISUSE when
** the build has no LZ4 (the caller reports "needs LZ4 support"). The raw
** length is capped at 255 * n + 64 (the most LZ4 can expand) so a damaged
** prefix cannot ask for a huge allocation. */
TDB_PRIVATE int tdbDecompressLz4(TdbMem *mem, const unsigned char *src,
                                 size_t n, size_t head, unsigned char **out,
                                 size_t *out_len, const char **why);

#endif /* TDB_COMPRESS_H */
