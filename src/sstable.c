/*
** sstable.c — SSTable builder and reader (file format in sstable.h).
*/
#include "sstable.h"
#include "bloom.h"
#include "coding.h"
#include "compress.h"
#include "crc32c.h"

#include <stdio.h>

#define TDB_SST_WRITE_BUFFER ((size_t)64 << 10) /* flush appends at 64 KiB */
#define TDB_SST_INDEX_INTERVAL 1

/* Bytewise order, shorter first: the default comparator. */
static int tdbSstBytewise(const void *a, size_t an, const void *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  if (c)
    return c;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

static const unsigned char *tdbSstWholeKey(const void *key, size_t n,
                                           size_t *user_len) {
  *user_len = n;
  return (const unsigned char *)key;
}

static void tdbSstOptionsFill(TdbSstOptions *dst, const TdbSstOptions *o) {
  if (o) {
    *dst = *o;
  } else {
    memset(dst, 0, sizeof *dst);
  }
  if (!dst->compare)
    dst->compare = tdbSstBytewise;
  if (!dst->user_key)
    dst->user_key = tdbSstWholeKey;
  if (dst->block_bytes == 0)
    dst->block_bytes = TDB_DEFAULT_BLOCK_BYTES;
  if (dst->restart_interval <= 0)
    dst->restart_interval = TDB_BLOCK_RESTART_INTERVAL;
  if (dst->bloom_bits_per_key == 0)
    dst->bloom_bits_per_key = TDB_DEFAULT_BLOOM_BITS;
}

static uint64_t tdbSstBloomHashOf(const TdbSstOptions *o, const void *key,
                                  size_t n) {
  size_t ulen = 0;
  const unsigned char *uk = o->user_key(key, n, &ulen);
  return tdbBloomHash(uk, uk ? ulen : 0);
}

/* ---- Format pieces ------------------------------------------------------- */

TDB_PRIVATE void tdbSstFooterEncode(const TdbSstFooter *f, unsigned char *dst) {
  tdbPutFixed64(dst + 0, f->index.offset);
  tdbPutFixed64(dst + 8, f->index.size);
  tdbPutFixed64(dst + 16, f->filter.offset);
  tdbPutFixed64(dst + 24, f->filter.size);
  tdbPutFixed64(dst + 32, f->meta.offset);
  tdbPutFixed64(dst + 40, f->meta.size);
  tdbPutFixed32(dst + 48, f->version);
  tdbPutFixed32(dst + 52, tdbCrc32cMask(tdbCrc32c(dst, 52)));
  memcpy(dst + 56, TDB_SST_MAGIC, 8);
}

TDB_PRIVATE int tdbSstFooterDecode(const unsigned char *src, TdbSstFooter *f,
                                   const char **why, uint32_t *err_pos) {
  if (memcmp(src + 56, TDB_SST_MAGIC, 8) != 0) {
    *why = "bad magic number (not an SSTable, or truncated)";
    *err_pos = 56;
    return TDB_CORRUPT;
  }
  if (tdbCrc32cUnmask(tdbGetFixed32(src + 52)) != tdbCrc32c(src, 52)) {
    *why = "footer checksum mismatch";
    *err_pos = 52;
    return TDB_CORRUPT;
  }
  f->index.offset = tdbGetFixed64(src + 0);
  f->index.size = tdbGetFixed64(src + 8);
  f->filter.offset = tdbGetFixed64(src + 16);
  f->filter.size = tdbGetFixed64(src + 24);
  f->meta.offset = tdbGetFixed64(src + 32);
  f->meta.size = tdbGetFixed64(src + 40);
  f->version = tdbGetFixed32(src + 48);
  if (f->version != TDB_SST_FORMAT_VERSION) {
    *why = "unsupported SSTable format version";
    *err_pos = 48;
    return TDB_CORRUPT;
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbSstTrailerEncode(const unsigned char *contents, size_t n,
                                     int type, unsigned char *dst) {
  uint32_t crc;
  dst[0] = (unsigned char)type;
  crc = tdbCrc32cExtend(tdbCrc32c(contents, n), dst, 1);
  tdbPutFixed32(dst + 1, tdbCrc32cMask(crc));
}

/* Append tag | len | varint64 v to buf (room: 2 * 5 + 10 bytes). */
static size_t tdbSstPutPropU64(unsigned char *dst, uint32_t tag, uint64_t v) {
  size_t n = tdbPutVarint32(dst, tag);
  n += tdbPutVarint32(dst + n, (uint32_t)tdbVarintLength(v));
  n += tdbPutVarint64(dst + n, v);
  return n;
}

TDB_PRIVATE int tdbSstPropsEncode(TdbMem *mem, const TdbSstProps *p,
                                  const unsigned char *extra, size_t extra_len,
                                  unsigned char **out, size_t *n) {
  uint64_t nums[10];
  size_t cap, len = 0, i;
  unsigned char *buf;
  nums[0] = p->entries;
  nums[1] = p->data_blocks;
  nums[2] = p->filter_keys;
  nums[3] = p->raw_key_bytes;
  nums[4] = p->raw_value_bytes;
  nums[5] = p->data_bytes;
  nums[6] = p->raw_data_bytes;
  nums[7] = p->lz4_blocks;
  nums[8] = p->bloom_bits;
  nums[9] = p->compression;
  cap = 10 * 20 + 2 * 10 + p->min_key_len + p->max_key_len + extra_len;
  buf = (unsigned char *)tdbMemAlloc(mem, cap);
  *out = NULL;
  *n = 0;
  if (!buf)
    return TDB_NOMEM;
  for (i = 0; i < 10; i++) {
    len += tdbSstPutPropU64(buf + len, (uint32_t)(TDB_SST_PROP_ENTRIES + i),
                            nums[i]);
  }
  len += tdbPutVarint32(buf + len, TDB_SST_PROP_MIN_KEY);
  len += tdbPutVarint32(buf + len, (uint32_t)p->min_key_len);
  if (p->min_key_len)
    memcpy(buf + len, p->min_key, p->min_key_len);
  len += p->min_key_len;
  len += tdbPutVarint32(buf + len, TDB_SST_PROP_MAX_KEY);
  len += tdbPutVarint32(buf + len, (uint32_t)p->max_key_len);
  if (p->max_key_len)
    memcpy(buf + len, p->max_key, p->max_key_len);
  len += p->max_key_len;
  if (extra_len)
    memcpy(buf + len, extra, extra_len);
  len += extra_len;
  *out = buf;
  *n = len;
  return TDB_OK;
}

/* Step over one property at p[*pos]: its tag, value and length. */
static int tdbSstPropNext(const unsigned char *p, size_t n, size_t *pos,
                          uint32_t *tag, const unsigned char **val,
                          uint32_t *vlen) {
  size_t k1, k2;
  k1 = tdbGetVarint32(p + *pos, p + n, tag);
  if (!k1)
    return TDB_CORRUPT;
  k2 = tdbGetVarint32(p + *pos + k1, p + n, vlen);
  if (!k2)
    return TDB_CORRUPT;
  if (*vlen > n - *pos - k1 - k2)
    return TDB_CORRUPT;
  *val = p + *pos + k1 + k2;
  *pos += k1 + k2 + *vlen;
  return TDB_OK;
}

TDB_PRIVATE int tdbSstPropsDecode(const unsigned char *p, size_t n,
                                  TdbSstProps *out, const char **why,
                                  uint32_t *err_pos) {
  size_t pos = 0, start;
  uint64_t *nums[10];
  unsigned seen = 0;
  memset(out, 0, sizeof *out);
  nums[0] = &out->entries;
  nums[1] = &out->data_blocks;
  nums[2] = &out->filter_keys;
  nums[3] = &out->raw_key_bytes;
  nums[4] = &out->raw_value_bytes;
  nums[5] = &out->data_bytes;
  nums[6] = &out->raw_data_bytes;
  nums[7] = &out->lz4_blocks;
  nums[8] = &out->bloom_bits;
  nums[9] = &out->compression;
  while (pos < n) {
    uint32_t tag, vlen;
    const unsigned char *val;
    start = pos;
    if (tdbSstPropNext(p, n, &pos, &tag, &val, &vlen) != TDB_OK) {
      *why = "malformed property in the meta block";
      *err_pos = (uint32_t)start;
      return TDB_CORRUPT;
    }
    if (tag >= TDB_SST_PROP_ENTRIES && tag < TDB_SST_PROP_ENTRIES + 10) {
      uint64_t v;
      if (vlen == 0 || tdbGetVarint64(val, val + vlen, &v) != vlen) {
        *why = "malformed counter in the meta block";
        *err_pos = (uint32_t)start;
        return TDB_CORRUPT;
      }
      *nums[tag - TDB_SST_PROP_ENTRIES] = v;
      seen |= 1u << (tag - TDB_SST_PROP_ENTRIES);
    } else if (tag == TDB_SST_PROP_MIN_KEY) {
      out->min_key = val;
      out->min_key_len = vlen;
    } else if (tag == TDB_SST_PROP_MAX_KEY) {
      out->max_key = val;
      out->max_key_len = vlen;
    } /* else: a newer or engine property */
  }
  if ((seen & 0x3u) != 0x3u) { /* entries and block count are required */
    *why = "meta block lacks the entry or block count";
    *err_pos = 0;
    return TDB_CORRUPT;
  }
  return TDB_OK;
}

/* ---- Builder ------------------------------------------------------------- */

struct TdbSstBuilder {
  TdbMem *mem;
  TdbSstOptions o;
  TdbVfsFile *file;
  TdbBlockBuilder data, index;
  unsigned char *out; /* write buffer */
  size_t out_len, out_cap;
  uint64_t offset;     /* bytes of the file so far, buffered included */
  unsigned char *cbuf; /* compression output */
  size_t ccap;
  uint64_t *hashes; /* bloom hashes of distinct user keys */
  size_t nhashes, hcap;
  unsigned char *last; /* the last key added */
  size_t last_len, last_cap;
  unsigned char *first; /* the first key added */
  size_t first_len;
  unsigned char *extra; /* engine properties, TLV-encoded */
  size_t extra_len, extra_cap;
  TdbSstProps props;
  int rc; /* sticky error */
  int finished;
  TdbVfsErr err;
  /* fill-on-write (tdbSstBuilderFillCache): data blocks whose first key
  ** starts with a byte flagged in fill_first go into fill_cache as written */
  TdbCache *fill_cache;
  uint64_t fill_id;
  const uint8_t *fill_first;
  int block_first; /* first byte of the current data block's first key, -1: none */
};

static void tdbSstFillBlock(TdbSstBuilder *b, const unsigned char *contents, size_t n,
                            uint64_t offset, int lz4);

TDB_PRIVATE int tdbSstBuilderNew(TdbMem *mem, const TdbSstOptions *o,
                                 TdbVfsFile *file, TdbSstBuilder **out) {
  TdbSstBuilder *b = (TdbSstBuilder *)tdbMemAllocZero(mem, sizeof *b);
  *out = NULL;
  if (!b)
    return TDB_NOMEM;
  b->mem = mem;
  tdbSstOptionsFill(&b->o, o);
  b->file = file;
  tdbBlockBuilderInit(&b->data, mem, b->o.restart_interval);
  tdbBlockBuilderInit(&b->index, mem, TDB_SST_INDEX_INTERVAL);
  b->block_first = -1;
  b->err.rc = TDB_OK;
  b->err.offset = -1;
  *out = b;
  return TDB_OK;
}

TDB_PRIVATE void tdbSstBuilderFree(TdbSstBuilder *b) {
  if (!b)
    return;
  tdbBlockBuilderClear(&b->data);
  tdbBlockBuilderClear(&b->index);
  tdbMemFree(b->mem, b->out);
  tdbMemFree(b->mem, b->cbuf);
  tdbMemFree(b->mem, b->hashes);
  tdbMemFree(b->mem, b->last);
  tdbMemFree(b->mem, b->first);
  tdbMemFree(b->mem, b->extra);
  tdbMemFree(b->mem, b);
}

static int tdbSstBuilderFail(TdbSstBuilder *b, int rc, const char *why) {
  if (b->rc == TDB_OK) {
    b->rc = rc;
    tdbVfsErrSet(&b->err, rc, "sstable build", b->file->path,
                 b->offset > INT64_MAX ? -1 : (int64_t)b->offset, 0,
                 why               ? why
                 : rc == TDB_NOMEM ? "out of memory"
                                   : "entry too big for a block");
  }
  return b->rc;
}

static int tdbSstFlushOut(TdbSstBuilder *b) {
  int rc;
  if (b->out_len == 0)
    return TDB_OK;
  rc = b->file->methods->append(b->file, b->out, b->out_len, &b->err);
  if (rc != TDB_OK) {
    b->rc = rc;
    return rc;
  }
  b->out_len = 0;
  return TDB_OK;
}

static int tdbSstEmit(TdbSstBuilder *b, const void *p, size_t n) {
  if (b->out_len + n > TDB_SST_WRITE_BUFFER && b->out_len > 0) {
    if (tdbSstFlushOut(b) != TDB_OK)
      return b->rc;
  }
  if (n >= TDB_SST_WRITE_BUFFER) { /* big: straight through */
    int rc = b->file->methods->append(b->file, p, n, &b->err);
    if (rc != TDB_OK) {
      b->rc = rc;
      return rc;
    }
  } else {
    if (tdbMemGrow(b->mem, (void **)&b->out, &b->out_cap, b->out_len + n, 1)) {
      return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
    }
    memcpy(b->out + b->out_len, p, n);
    b->out_len += n;
  }
  b->offset += n;
  return TDB_OK;
}

/* Store a block with its trailer; compress when asked and it pays off. */
static int tdbSstWriteBlock(TdbSstBuilder *b, const unsigned char *contents,
                            size_t n, int compress, TdbSstHandle *h,
                            int *was_lz4) {
  const unsigned char *stored = contents;
  size_t slen = n;
  int type = TDB_SST_BLOCK_RAW;
  unsigned char trailer[TDB_SST_TRAILER_SIZE];
  if (compress && tdbCompressHasLz4()) {
    size_t bound = tdbCompressLz4Bound(n), c;
    if (bound && tdbMemGrow(b->mem, (void **)&b->cbuf, &b->ccap, bound, 1)) {
      return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
    }
    c = bound ? tdbCompressLz4(contents, n, b->cbuf, b->ccap) : 0;
    if (c) {
      stored = b->cbuf;
      slen = c;
      type = TDB_SST_BLOCK_LZ4;
    }
  }
  tdbSstTrailerEncode(stored, slen, type, trailer);
  h->offset = b->offset;
  h->size = slen;
  if (tdbSstEmit(b, stored, slen) != TDB_OK)
    return b->rc;
  if (tdbSstEmit(b, trailer, sizeof trailer) != TDB_OK)
    return b->rc;
  if (was_lz4)
    *was_lz4 = (type == TDB_SST_BLOCK_LZ4);
  return TDB_OK;
}

static int tdbSstFlushData(TdbSstBuilder *b) {
  const unsigned char *contents;
  size_t n, hn;
  TdbSstHandle h;
  unsigned char hbuf[2 * TDB_VARINT64_MAX];
  int lz4 = 0, rc;
  uint64_t start = b->offset;
  if (b->data.nentries == 0)
    return TDB_OK;
  if (tdbBlockBuilderFinish(&b->data, &contents, &n) != TDB_OK) {
    return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
  }
  rc = tdbSstWriteBlock(b, contents, n,
                        b->o.compression != TDB_SST_COMPRESS_NONE, &h, &lz4);
  if (rc != TDB_OK)
    return rc;
  b->props.data_blocks++;
  b->props.raw_data_bytes += n;
  b->props.data_bytes += b->offset - start;
  if (lz4)
    b->props.lz4_blocks++;
  if (b->fill_cache && b->block_first >= 0 && b->fill_first[b->block_first])
    tdbSstFillBlock(b, contents, n, h.offset, lz4);
  b->block_first = -1;
  hn = tdbPutVarint64(hbuf, h.offset);
  hn += tdbPutVarint64(hbuf + hn, h.size);
  rc = tdbBlockBuilderAdd(&b->index, b->last, b->last_len, hbuf, hn);
  if (rc != TDB_OK)
    return tdbSstBuilderFail(b, rc, NULL);
  tdbBlockBuilderReset(&b->data);
  return TDB_OK;
}

TDB_PRIVATE int tdbSstBuilderAdd(TdbSstBuilder *b, const void *key, size_t klen,
                                 const void *val, size_t vlen) {
  uint64_t h;
  int rc;
  if (b->rc != TDB_OK)
    return b->rc;
  if (b->finished)
    return TDB_MISUSE;
  if (b->props.entries > 0 &&
      b->o.compare(key, klen, b->last, b->last_len) <= 0) {
    return TDB_MISUSE; /* not sticky: the table so far is still fine */
  }
  if (b->o.bloom_bits_per_key > 0) {
    h = tdbSstBloomHashOf(&b->o, key, klen);
    if (b->nhashes == 0 || b->hashes[b->nhashes - 1] != h) {
      if (tdbMemGrow(b->mem, (void **)&b->hashes, &b->hcap, b->nhashes + 1,
                     sizeof(uint64_t))) {
        return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
      }
      b->hashes[b->nhashes++] = h;
    }
  }
  rc = tdbBlockBuilderAdd(&b->data, key, klen, val, vlen);
  if (rc != TDB_OK)
    return tdbSstBuilderFail(b, rc, NULL);
  if (b->block_first < 0)
    b->block_first = klen ? ((const unsigned char *)key)[0] : 0;
  if (tdbMemGrow(b->mem, (void **)&b->last, &b->last_cap, klen ? klen : 1, 1)) {
    return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
  }
  if (klen)
    memcpy(b->last, key, klen);
  b->last_len = klen;
  if (b->props.entries == 0) {
    b->first = (unsigned char *)tdbMemAlloc(b->mem, klen ? klen : 1);
    if (!b->first)
      return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
    if (klen)
      memcpy(b->first, key, klen);
    b->first_len = klen;
  }
  b->props.entries++;
  b->props.raw_key_bytes += klen;
  b->props.raw_value_bytes += vlen;
  if (tdbBlockBuilderSize(&b->data) >= b->o.block_bytes) {
    return tdbSstFlushData(b);
  }
  return TDB_OK;
}

TDB_PRIVATE void tdbSstBuilderFillCache(TdbSstBuilder *b, TdbCache *cache,
                                        uint64_t cache_id, const uint8_t *first_bytes) {
  b->fill_cache = first_bytes ? cache : NULL;
  b->fill_id = cache_id;
  b->fill_first = first_bytes;
}

TDB_PRIVATE int tdbSstBuilderSetProperty(TdbSstBuilder *b, uint32_t tag,
                                         const void *p, size_t n) {
  size_t need;
  if (tag < TDB_SST_PROP_USER || n > UINT32_MAX)
    return TDB_MISUSE;
  need = b->extra_len + 2 * TDB_VARINT32_MAX + n;
  if (tdbMemGrow(b->mem, (void **)&b->extra, &b->extra_cap, need, 1)) {
    return TDB_NOMEM;
  }
  b->extra_len += tdbPutVarint32(b->extra + b->extra_len, tag);
  b->extra_len += tdbPutVarint32(b->extra + b->extra_len, (uint32_t)n);
  if (n)
    memcpy(b->extra + b->extra_len, p, n);
  b->extra_len += n;
  return TDB_OK;
}

TDB_PRIVATE int tdbSstBuilderFinish(TdbSstBuilder *b, TdbSstProps *props) {
  TdbSstFooter f;
  unsigned char foot[TDB_SST_FOOTER_SIZE];
  const unsigned char *contents;
  unsigned char *buf;
  size_t n;
  int rc;
  if (b->rc != TDB_OK)
    return b->rc;
  if (b->finished)
    return TDB_MISUSE;
  memset(&f, 0, sizeof f);
  f.version = TDB_SST_FORMAT_VERSION;
  if ((rc = tdbSstFlushData(b)) != TDB_OK)
    return rc;
  /* filter */
  if (b->o.bloom_bits_per_key > 0) {
    n = tdbBloomSize(b->nhashes, b->o.bloom_bits_per_key);
    buf = (unsigned char *)tdbMemAlloc(b->mem, n);
    if (!buf)
      return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
    tdbBloomFill(buf, b->hashes, b->nhashes, b->o.bloom_bits_per_key);
    rc = tdbSstWriteBlock(b, buf, n, 0, &f.filter, NULL);
    tdbMemFree(b->mem, buf);
    if (rc != TDB_OK)
      return rc;
    b->props.filter_keys = b->nhashes;
    b->props.bloom_bits = (uint64_t)b->o.bloom_bits_per_key;
  }
  /* meta */
  b->props.compression = b->props.lz4_blocks ? 1 : 0;
  b->props.min_key = b->first;
  b->props.min_key_len = b->first_len;
  b->props.max_key = b->last;
  b->props.max_key_len = b->props.entries ? b->last_len : 0;
  if (tdbSstPropsEncode(b->mem, &b->props, b->extra, b->extra_len, &buf, &n)) {
    return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
  }
  rc = tdbSstWriteBlock(b, buf, n, 0, &f.meta, NULL);
  tdbMemFree(b->mem, buf);
  if (rc != TDB_OK)
    return rc;
  /* index */
  if (tdbBlockBuilderFinish(&b->index, &contents, &n) != TDB_OK) {
    return tdbSstBuilderFail(b, TDB_NOMEM, NULL);
  }
  if ((rc = tdbSstWriteBlock(b, contents, n, 0, &f.index, NULL)) != TDB_OK) {
    return rc;
  }
  tdbSstFooterEncode(&f, foot);
  if ((rc = tdbSstEmit(b, foot, sizeof foot)) != TDB_OK)
    return rc;
  if ((rc = tdbSstFlushOut(b)) != TDB_OK)
    return rc;
  rc = b->file->methods->sync_data(b->file, &b->err);
  if (rc != TDB_OK) {
    b->rc = rc;
    return rc;
  }
  b->finished = 1;
  if (props)
    *props = b->props;
  return TDB_OK;
}

TDB_PRIVATE uint64_t tdbSstBuilderFileSize(const TdbSstBuilder *b) {
  return b->offset + (b->data.nentries ? tdbBlockBuilderSize(&b->data) : 0);
}

TDB_PRIVATE uint64_t tdbSstBuilderEntries(const TdbSstBuilder *b) {
  return b->props.entries;
}

TDB_PRIVATE const TdbVfsErr *tdbSstBuilderErr(const TdbSstBuilder *b) {
  return &b->err;
}

/* ---- Reader -------------------------------------------------------------- */

/* A loaded meta-level block (index, filter, meta): mapped or owned bytes. */
typedef struct TdbSstLoaded {
  const unsigned char *data;
  size_t size;
  unsigned char *owned;
  int lz4;
} TdbSstLoaded;

struct TdbSstReader {
  TdbMem *mem;
  TdbSstOptions o;
  TdbVfsFile *file;
  uint64_t size;
  const unsigned char *map;
  size_t map_len;
  TdbCache *cache;
  uint64_t cache_id;
  TdbSstFooter footer;
  uint64_t data_end; /* end of the last data block's trailer */
  TdbSstLoaded index_raw, filter_raw, meta_raw;
  TdbBlock index;
  TdbSstProps props;
  /* The index decoded into a dense array for point lookups: a binary search
  ** over `fast` touches one small entry per probe instead of the restart
  ** array and an entry of the index block (see tdbSstFastFind). NULL when
  ** it could not be built (then lookups walk the index block). */
  struct TdbSstIndexEntry *fast;
  struct TdbSstSearchKey *fast_pfx; /* per entry: search key and block handle */
  unsigned char *fast_keys;   /* the index keys, back to back */
  size_t nfast;
  size_t fast_lcp;            /* user-key prefix shared by the whole table */
};

/* One index entry: where its whole key is in fast_keys (for ties). */
typedef struct TdbSstIndexEntry {
  size_t key_off;
  uint32_t klen;
} TdbSstIndexEntry;

/* The search key of index entry i, fast_pfx[i].k, is the 16 user-key bytes
** after the table's shared prefix (zero-padded, as two big-endian
** integers): they order entries like their keys do, up to ties, which only
** a full key comparison decides (short user keys, an SQL row key is 14
** bytes, almost never tie). The block handle sits beside it, so a probe of
** the binary search reads one 32-byte slot and the last probe's line
** already holds the handle the lookup needs next.
**
**   fast_pfx[i]:  | k[0] (8) | k[1] (8) | h.offset (8) | h.size (8) |  */
typedef struct TdbSstSearchKey {
  uint64_t k[2];
  TdbSstHandle h;
} TdbSstSearchKey;

/* Seek hints of cached data blocks: at most this many restart samples (a
** 4 KiB block of ~130-byte SQL rows has 8-9 restarts: all of them), and
** at most this many shared leading bytes skipped. */
#define TDB_SST_HINT_SAMPLES 16
#define TDB_SST_HINT_PREFIX 16

/* A cached data block: the value of a cache entry. When the block has a
** buffer of its own (decompressed, or read without the map), this header
** sits at the start of that buffer (one allocation, the block right after
** it: a cache hit touches adjacent memory); `owned` then is NULL. A block
** read in place from the map gets a header of its own. The cache entry's
** handle comes first (tdbCacheInsertIn): a hit reads the handle, the block
** description and the seek hint from one run of cache lines. */
typedef struct TdbSstCached {
  TdbCacheHandle handle;
  TdbMem *mem;
  TdbBlock blk;
  unsigned char *owned;
  int lz4;
  /* the seek hint of blk (tdbSstCachedHint): the user keys of the block's
  ** restarts share their first rk_skip bytes (rk_prefix); rk[j] holds the 8
  ** bytes after those of restart j * blk.rk_stride's user key */
  uint32_t rk_skip;
  unsigned char rk_prefix[TDB_SST_HINT_PREFIX];
  uint64_t rk[TDB_SST_HINT_SAMPLES];
} TdbSstCached;

/* The head a data block load reserves for its TdbSstCached (a multiple of
** the alignment malloc gives, so the block bytes after it stay aligned). */
#define TDB_SST_CACHED_HEAD \
  ((sizeof(TdbSstCached) + sizeof(void *) * 2 - 1) & ~(sizeof(void *) * 2 - 1))

static void tdbSstCachedDelete(void *ctx, void *value);

/* The user key of a table key (the whole key without an extractor). */
static const unsigned char *tdbSstUserOfKey(const TdbSstOptions *o, const unsigned char *k,
                                            size_t n, size_t *un) {
  const unsigned char *u;
  if (!o->user_key) {
    *un = n;
    return k;
  }
  u = o->user_key(k, n, un);
  if (!u) {
    *un = n;
    return k;
  }
  return u;
}

static const unsigned char *tdbSstUserOf(const TdbSstReader *r, const unsigned char *k,
                                         size_t n, size_t *un) {
  return tdbSstUserOfKey(&r->o, k, n, un);
}

/* 8 bytes of u after `skip`, zero-padded, as a big-endian integer: for user
** keys that share their first `skip` bytes, a larger key never has a
** smaller value. */
static uint64_t tdbSstPrefix64(const unsigned char *u, size_t un, size_t skip) {
  uint64_t v = 0;
  size_t i;
  if (skip + 8 <= un) return tdbGetFixed64BE(u + skip);
  for (i = 0; i < 8; i++) {
    v <<= 8;
    if (skip + i < un) v |= u[skip + i];
  }
  return v;
}

/* Give a block that is being cached its seek hint (block.h: a point read
** then finds its restart interval from the samples, without decoding the
** restart keys of a binary search: they are cold cache lines). No hint when
** the block has one restart or a restart key does not decode (the plain
** seek then reports the damage). */
static void tdbSstCachedHint(const TdbSstOptions *o, TdbSstCached *c) {
  TdbBlock *b = &c->blk;
  const unsigned char *k0, *kl, *u0, *ul;
  uint32_t n0, nl, stride, m, j;
  size_t un0, unl, lcp = 0;
  b->rk = NULL;
  b->nrk = 0;
  b->rk_stride = 1;
  if (b->nrestarts < 2 || tdbBlockRestartKey(b, 0, &k0, &n0) != TDB_OK ||
      tdbBlockRestartKey(b, b->nrestarts - 1, &kl, &nl) != TDB_OK)
    return;
  u0 = tdbSstUserOfKey(o, k0, n0, &un0);
  ul = tdbSstUserOfKey(o, kl, nl, &unl);
  while (lcp < un0 && lcp < unl && lcp < TDB_SST_HINT_PREFIX && u0[lcp] == ul[lcp])
    lcp++;
  stride = (b->nrestarts + TDB_SST_HINT_SAMPLES - 1) / TDB_SST_HINT_SAMPLES;
  m = (b->nrestarts + stride - 1) / stride;
  for (j = 0; j < m; j++) {
    const unsigned char *k, *u;
    uint32_t kn;
    size_t un;
    if (tdbBlockRestartKey(b, j * stride, &k, &kn) != TDB_OK)
      return;
    u = tdbSstUserOfKey(o, k, kn, &un);
    c->rk[j] = tdbSstPrefix64(u, un, lcp);
  }
  memcpy(c->rk_prefix, u0, lcp);
  c->rk_skip = (uint32_t)lcp;
  b->rk = c->rk;
  b->nrk = m;
  b->rk_stride = stride;
}

/* Seek a data block iterator to the first key >= target, with the block's
** hint when it has one (cached: its TdbSstCached) and the target shares
** the prefix the hint skips. */
static void tdbSstBlockSeek(const TdbSstOptions *o, TdbBlockIter *it, const TdbSstCached *c,
                            const void *target, size_t tlen) {
  if (c && it->blk.rk) {
    size_t un;
    const unsigned char *u = tdbSstUserOfKey(o, target, tlen, &un);
    if (un >= c->rk_skip && memcmp(u, c->rk_prefix, c->rk_skip) == 0) {
      tdbBlockIterSeekHint(it, target, tlen, tdbSstPrefix64(u, un, c->rk_skip));
      return;
    }
  }
  tdbBlockIterSeek(it, target, tlen);
}

/* Fill-on-write: cache a copy of a data block just written at `offset`, as
** a later load of it would (the TdbSstCached header, then the block). Best
** effort: without memory the block is simply not cached. */
static void tdbSstFillBlock(TdbSstBuilder *b, const unsigned char *contents, size_t n,
                            uint64_t offset, int lz4) {
  TdbSstCached *c;
  TdbCacheHandle *ch = NULL;
  unsigned char *buf;
  const char *why = NULL;
  uint32_t pos = 0;
  if (n > SIZE_MAX - TDB_SST_CACHED_HEAD) return;
  buf = (unsigned char *)tdbMemAlloc(b->mem, TDB_SST_CACHED_HEAD + n);
  if (!buf) return;
  memcpy(buf + TDB_SST_CACHED_HEAD, contents, n);
  c = (TdbSstCached *)(void *)buf;
  c->mem = b->mem;
  c->owned = NULL;
  c->lz4 = lz4;
  if (tdbBlockParse(&c->blk, buf + TDB_SST_CACHED_HEAD, n, &why, &pos) != TDB_OK) {
    tdbMemFree(b->mem, buf);
    return;
  }
  tdbSstCachedHint(&b->o, c);
  tdbCacheInsertIn(b->fill_cache, &c->handle, b->fill_id, offset, c, n + TDB_SST_CACHED_HEAD,
                   tdbSstCachedDelete, NULL, &ch);
  tdbCacheRelease(b->fill_cache, ch);
}

/* Report corruption at file offset `off`. */
static int tdbSstCorrupt(const TdbSstReader *r, TdbVfsErr *err, uint64_t off,
                         const char *why) {
  return tdbVfsErrSet(err, TDB_CORRUPT_SST, "sstable", r->file->path,
                      off > INT64_MAX ? -1 : (int64_t)off, 0, why);
}

/* Read n bytes at off (bounds checked by the caller): a pointer into the
** map, or a new buffer in *owned of head + n bytes, the data at head. */
static int tdbSstReadRaw(TdbSstReader *r, uint64_t off, size_t n, size_t head,
                         const unsigned char **p, unsigned char **owned,
                         TdbVfsErr *err) {
  unsigned char *buf;
  int rc;
  *owned = NULL;
  if (r->map) {
    *p = r->map + off;
    return TDB_OK;
  }
  buf = n < SIZE_MAX - head ? (unsigned char *)tdbMemAlloc(r->mem, head + (n ? n : 1)) : NULL;
  if (!buf)
    return tdbVfsErrSet(err, TDB_NOMEM, "sstable", r->file->path, -1, 0,
                        "out of memory");
  rc = tdbVfsReadExact(r->file, off, buf + head, n, err);
  if (rc != TDB_OK) {
    tdbMemFree(r->mem, buf);
    if ((rc & 0xff) == TDB_CORRUPT)
      rc = TDB_CORRUPT_SST;
    if (err)
      err->rc = rc;
    return rc;
  }
  *p = buf + head;
  *owned = buf;
  return TDB_OK;
}

/* Read, verify and (if LZ4) decompress the block at h, which must end by
** `limit`. `what` names it in messages. When the bytes get a buffer of
** their own (out->owned: read without the map, or decompressed), it starts
** with `head` bytes for the caller, then the block (out->data). */
static int tdbSstLoad(TdbSstReader *r, const TdbSstHandle *h, uint64_t limit,
                      const char *what, size_t head, TdbSstLoaded *out,
                      TdbVfsErr *err) {
  const unsigned char *p = NULL;
  unsigned char *owned = NULL, *plain = NULL;
  size_t n, plain_len;
  uint32_t stored_crc, crc;
  int rc, type;
  const char *why = NULL;
  char msg[128];
  memset(out, 0, sizeof *out);
  if (h->offset > limit || h->size > limit - h->offset ||
      limit - h->offset - h->size < TDB_SST_TRAILER_SIZE ||
      h->size > (uint64_t)SIZE_MAX - TDB_SST_TRAILER_SIZE) {
    snprintf(msg, sizeof msg, "%s block handle (size %llu) out of range", what,
             (unsigned long long)h->size);
    return tdbSstCorrupt(r, err, h->offset, msg);
  }
  n = (size_t)h->size;
  rc = tdbSstReadRaw(r, h->offset, n + TDB_SST_TRAILER_SIZE, head, &p, &owned,
                     err);
  if (rc != TDB_OK)
    return rc;
  type = p[n];
  stored_crc = tdbCrc32cUnmask(tdbGetFixed32(p + n + 1));
  crc = tdbCrc32cExtend(tdbCrc32c(p, n), p + n, 1);
  if (crc != stored_crc) {
    tdbMemFree(r->mem, owned);
    snprintf(msg, sizeof msg, "%s block checksum mismatch", what);
    return tdbSstCorrupt(r, err, h->offset, msg);
  }
  if (type == TDB_SST_BLOCK_RAW) {
    out->data = p;
    out->size = n;
    out->owned = owned;
    return TDB_OK;
  }
  if (type != TDB_SST_BLOCK_LZ4) {
    tdbMemFree(r->mem, owned);
    snprintf(msg, sizeof msg, "%s block has unknown type %d", what, type);
    return tdbSstCorrupt(r, err, h->offset + n, msg);
  }
  rc = tdbDecompressLz4(r->mem, p, n, head, &plain, &plain_len, &why);
  tdbMemFree(r->mem, owned);
  if (rc == TDB_MISUSE) {
    snprintf(msg, sizeof msg,
             "%s block is LZ4-compressed: the file needs LZ4 support "
             "(build with TDB_ENABLE_LZ4, link -llz4)",
             what);
    return tdbVfsErrSet(err, TDB_SST_RC_NEEDS_LZ4, "sstable", r->file->path,
                        (int64_t)h->offset, 0, msg);
  }
  if (rc == TDB_NOMEM) {
    return tdbVfsErrSet(err, TDB_NOMEM, "sstable", r->file->path, -1, 0,
                        "out of memory");
  }
  if (rc != TDB_OK) {
    snprintf(msg, sizeof msg, "%s block: %s", what, why);
    return tdbSstCorrupt(r, err, h->offset, msg);
  }
  out->data = plain + head;
  out->size = plain_len;
  out->owned = plain;
  out->lz4 = 1;
  return TDB_OK;
}

/* Parse a loaded block as block.h contents. */
static int tdbSstParse(TdbSstReader *r, const TdbSstLoaded *l, uint64_t off,
                       const char *what, TdbBlock *blk, TdbVfsErr *err) {
  const char *why = NULL;
  uint32_t pos = 0;
  char msg[128];
  if (tdbBlockParse(blk, l->data, l->size, &why, &pos) == TDB_OK)
    return TDB_OK;
  if (l->lz4) {
    snprintf(msg, sizeof msg, "%s block: %s (uncompressed offset %u)", what,
             why, (unsigned)pos);
    return tdbSstCorrupt(r, err, off, msg);
  }
  snprintf(msg, sizeof msg, "%s block: %s", what, why);
  return tdbSstCorrupt(r, err, off + pos, msg);
}

/* Decode the block handle of the index entry the iterator is on. */
static int tdbSstDecodeHandle(const TdbBlockIter *it, TdbSstHandle *h) {
  const unsigned char *p = it->val, *end = it->val + it->vlen;
  size_t k1 = tdbGetVarint64(p, end, &h->offset), k2;
  if (!k1)
    return TDB_CORRUPT;
  k2 = tdbGetVarint64(p + k1, end, &h->size);
  if (!k2 || k1 + k2 != it->vlen)
    return TDB_CORRUPT;
  return TDB_OK;
}

static void tdbSstLoadedFree(TdbSstReader *r, TdbSstLoaded *l) {
  tdbMemFree(r->mem, l->owned);
  memset(l, 0, sizeof *l);
}

/* The offset of entry err_off of block `boff` for messages. */
static uint64_t tdbSstEntryOffset(uint64_t boff, uint64_t hsize, int lz4,
                                  uint32_t err_off) {
  if (lz4 || err_off > hsize)
    return boff;
  return boff + err_off;
}



/* Decode the (already checked) index into r->fast. Leaves r->fast NULL on
** out-of-memory. */
static void tdbSstFastBuild(TdbSstReader *r) {
  TdbBlockIter it;
  size_t n = (size_t)r->props.data_blocks, i = 0, kbytes = 0, kcap = 0, fu, lu, lcp;
  const unsigned char *first, *last;
  if (n == 0) return;
  tdbBlockIterInit(&it, r->mem, r->o.compare, &r->index); /* before any `goto fail` */
  r->fast = tdbMemAlloc(r->mem, n * sizeof *r->fast);
  r->fast_pfx = n <= SIZE_MAX / sizeof *r->fast_pfx
                    ? tdbMemAlloc(r->mem, n * sizeof *r->fast_pfx)
                    : NULL;
  if (!r->fast || !r->fast_pfx) goto fail;
  for (tdbBlockIterSeekToFirst(&it); it.valid && i < n; tdbBlockIterNext(&it), i++) {
    void *buf = r->fast_keys;
    if (tdbMemGrow(r->mem, &buf, &kcap, kbytes + it.klen + 1, 1) != 0 ||
        tdbSstDecodeHandle(&it, &r->fast_pfx[i].h) != TDB_OK) {
      r->fast_keys = buf;
      goto fail;
    }
    r->fast_keys = buf;
    memcpy(r->fast_keys + kbytes, tdbBlockIterKey(&it), it.klen);
    r->fast[i].key_off = kbytes;
    r->fast[i].klen = (uint32_t)it.klen;
    kbytes += it.klen;
  }
  if (i != n || it.rc != TDB_OK) goto fail;
  tdbBlockIterClear(&it);
  first = tdbSstUserOf(r, r->fast_keys + r->fast[0].key_off, r->fast[0].klen, &fu);
  last = tdbSstUserOf(r, r->fast_keys + r->fast[n - 1].key_off, r->fast[n - 1].klen, &lu);
  for (lcp = 0; lcp < fu && lcp < lu && first[lcp] == last[lcp]; lcp++) {
  }
  r->fast_lcp = lcp;
  for (i = 0; i < n; i++) {
    size_t un;
    const unsigned char *u =
        tdbSstUserOf(r, r->fast_keys + r->fast[i].key_off, r->fast[i].klen, &un);
    r->fast_pfx[i].k[0] = tdbSstPrefix64(u, un, lcp);
    r->fast_pfx[i].k[1] = tdbSstPrefix64(u, un, lcp + 8);
  }
  r->nfast = n;
  return;
fail:
  tdbBlockIterClear(&it);
  tdbMemFree(r->mem, r->fast);
  tdbMemFree(r->mem, r->fast_pfx);
  tdbMemFree(r->mem, r->fast_keys);
  r->fast = NULL;
  r->fast_pfx = NULL;
  r->fast_keys = NULL;
}

/* Index of the first index entry whose key >= target (nfast if none). */
static size_t tdbSstFastFind(const TdbSstReader *r, const void *target, size_t tlen) {
  size_t lo = 0, hi = r->nfast, un, fu;
  const unsigned char *u = tdbSstUserOf(r, target, tlen, &un);
  const unsigned char *shared =
      tdbSstUserOf(r, r->fast_keys + r->fast[0].key_off, r->fast[0].klen, &fu);
  uint64_t t0, t1;
  int c;
  /* a target outside the table's shared prefix is before or after it all */
  c = memcmp(u, shared, TDB_MIN(un, r->fast_lcp));
  if (c < 0 || (c == 0 && un < r->fast_lcp)) return 0;
  if (c > 0) return r->nfast;
  t0 = tdbSstPrefix64(u, un, r->fast_lcp);
  t1 = tdbSstPrefix64(u, un, r->fast_lcp + 8);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const uint64_t *k = r->fast_pfx[mid].k;
    int below;
    if (k[0] != t0) below = k[0] < t0;
    else if (k[1] != t1) below = k[1] < t1;
    else {
      const TdbSstIndexEntry *e = &r->fast[mid];
      below = r->o.compare(r->fast_keys + e->key_off, e->klen, target, tlen) < 0;
    }
    if (below) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Walk the index: every handle tiles [0, data_end) in order, keys ascend,
** the count matches the meta block. */
static int tdbSstCheckIndex(TdbSstReader *r, TdbVfsErr *err) {
  TdbBlockIter it;
  TdbSstHandle h;
  uint64_t expect = 0, count = 0;
  unsigned char *prev = NULL;
  size_t prev_len = 0, prev_cap = 0;
  uint64_t ientry;
  int rc = TDB_OK;
  tdbBlockIterInit(&it, r->mem, r->o.compare, &r->index);
  for (tdbBlockIterSeekToFirst(&it); it.valid; tdbBlockIterNext(&it)) {
    ientry = tdbSstEntryOffset(r->footer.index.offset, r->footer.index.size,
                               r->index_raw.lz4, it.cur);
    if (tdbSstDecodeHandle(&it, &h) != TDB_OK) {
      rc = tdbSstCorrupt(r, err, ientry, "malformed block handle in the index");
      goto done;
    }
    if (h.offset != expect || h.size > r->data_end - h.offset ||
        r->data_end - h.offset - h.size < TDB_SST_TRAILER_SIZE) {
      rc = tdbSstCorrupt(
          r, err, ientry,
          "index block handle does not follow the previous block");
      goto done;
    }
    expect = h.offset + h.size + TDB_SST_TRAILER_SIZE;
    if (count > 0 &&
        r->o.compare(tdbBlockIterKey(&it), it.klen, prev, prev_len) <= 0) {
      rc = tdbSstCorrupt(r, err, ientry, "index keys out of order");
      goto done;
    }
    if (tdbMemGrow(r->mem, (void **)&prev, &prev_cap, it.klen ? it.klen : 1,
                   1)) {
      rc = tdbVfsErrSet(err, TDB_NOMEM, "sstable", r->file->path, -1, 0,
                        "out of memory");
      goto done;
    }
    if (it.klen)
      memcpy(prev, tdbBlockIterKey(&it), it.klen);
    prev_len = it.klen;
    count++;
  }
  if (it.rc == TDB_NOMEM) {
    rc = tdbVfsErrSet(err, TDB_NOMEM, "sstable", r->file->path, -1, 0,
                      "out of memory");
  } else if (it.rc != TDB_OK) {
    char msg[128];
    snprintf(msg, sizeof msg, "index block: %s", it.why);
    rc = tdbSstCorrupt(
        r, err,
        tdbSstEntryOffset(r->footer.index.offset, r->footer.index.size,
                          r->index_raw.lz4, it.err_off),
        msg);
  } else if (expect != r->data_end) {
    rc = tdbSstCorrupt(r, err, expect, "index does not cover the data blocks");
  } else if (count != r->props.data_blocks) {
    rc = tdbSstCorrupt(r, err, r->footer.index.offset,
                       "index entry count differs from the meta block");
  }
done:
  tdbMemFree(r->mem, prev);
  tdbBlockIterClear(&it);
  return rc;
}

TDB_PRIVATE void tdbSstReaderClose(TdbSstReader *r) {
  if (!r)
    return;
  tdbSstLoadedFree(r, &r->index_raw);
  tdbSstLoadedFree(r, &r->filter_raw);
  tdbSstLoadedFree(r, &r->meta_raw);
  tdbMemFree(r->mem, r->fast);
  tdbMemFree(r->mem, r->fast_pfx);
  tdbMemFree(r->mem, r->fast_keys);
  if (r->map) {
    /* cached blocks may point into the mapping: drop them first */
    if (r->cache)
      tdbCacheEraseId(r->cache, r->cache_id);
    r->file->methods->unmap_file(r->file, r->map, r->map_len);
  }
  tdbMemFree(r->mem, r);
}

TDB_PRIVATE int tdbSstReaderOpen(TdbMem *mem, const TdbSstOptions *o,
                                 TdbVfsFile *file, TdbCache *cache,
                                 uint64_t cache_id, TdbSstReader **out,
                                 TdbVfsErr *err) {
  TdbSstReader *r;
  unsigned char foot[TDB_SST_FOOTER_SIZE];
  const unsigned char *fp;
  const char *why = NULL;
  uint32_t pos = 0;
  uint64_t foot_off, end;
  int rc;
  char msg[128];
  *out = NULL;
  r = (TdbSstReader *)tdbMemAllocZero(mem, sizeof *r);
  if (!r) {
    return tdbVfsErrSet(err, TDB_NOMEM, "sstable", file->path, -1, 0,
                        "out of memory");
  }
  r->mem = mem;
  tdbSstOptionsFill(&r->o, o);
  r->file = file;
  r->cache = cache;
  r->cache_id = cache_id;
  rc = file->methods->get_size(file, &r->size, err);
  if (rc != TDB_OK)
    goto fail;
  if (r->size < TDB_SST_FOOTER_SIZE) {
    snprintf(msg, sizeof msg, "file of %llu bytes is too short for a footer",
             (unsigned long long)r->size);
    rc = tdbSstCorrupt(r, err, 0, msg);
    goto fail;
  }
  if (!r->o.no_mmap && r->size <= (uint64_t)SIZE_MAX) {
    const void *m = NULL;
    if (file->methods->map_file(file, (size_t)r->size, &m, NULL) == TDB_OK &&
        m) {
      r->map = (const unsigned char *)m;
      r->map_len = (size_t)r->size;
    }
  }
  foot_off = r->size - TDB_SST_FOOTER_SIZE;
  if (r->map) {
    fp = r->map + foot_off;
  } else {
    rc = tdbVfsReadExact(file, foot_off, foot, sizeof foot, err);
    if (rc != TDB_OK) {
      if ((rc & 0xff) == TDB_CORRUPT)
        rc = TDB_CORRUPT_SST;
      if (err)
        err->rc = rc;
      goto fail;
    }
    fp = foot;
  }
  if (tdbSstFooterDecode(fp, &r->footer, &why, &pos) != TDB_OK) {
    rc = tdbSstCorrupt(r, err, foot_off + pos, why);
    goto fail;
  }
  /* the regions tile the file: data | filter | meta | index | footer */
  end = foot_off;
  if (r->footer.index.offset > end || r->footer.index.size > end ||
      r->footer.index.offset + r->footer.index.size + TDB_SST_TRAILER_SIZE !=
          end) {
    rc = tdbSstCorrupt(r, err, foot_off,
                       "index handle does not end at the footer");
    goto fail;
  }
  end = r->footer.index.offset;
  if (r->footer.meta.offset > end || r->footer.meta.size > end ||
      r->footer.meta.offset + r->footer.meta.size + TDB_SST_TRAILER_SIZE !=
          end) {
    rc = tdbSstCorrupt(r, err, foot_off + 32,
                       "meta handle does not end at the index");
    goto fail;
  }
  end = r->footer.meta.offset;
  if (r->footer.filter.offset == 0 && r->footer.filter.size == 0) {
    r->data_end = end; /* no filter */
  } else if (r->footer.filter.offset > end || r->footer.filter.size > end ||
             r->footer.filter.offset + r->footer.filter.size +
                     TDB_SST_TRAILER_SIZE !=
                 end) {
    rc = tdbSstCorrupt(r, err, foot_off + 16,
                       "filter handle does not end at the meta block");
    goto fail;
  } else {
    r->data_end = r->footer.filter.offset;
  }
  /* meta */
  rc = tdbSstLoad(r, &r->footer.meta, foot_off, "meta", 0, &r->meta_raw, err);
  if (rc != TDB_OK)
    goto fail;
  if (tdbSstPropsDecode(r->meta_raw.data, r->meta_raw.size, &r->props, &why,
                        &pos) != TDB_OK) {
    rc = tdbSstCorrupt(
        r, err, r->footer.meta.offset + (r->meta_raw.lz4 ? 0 : pos), why);
    goto fail;
  }
  if (r->props.lz4_blocks > 0 && !tdbCompressHasLz4()) {
    rc = tdbVfsErrSet(err, TDB_SST_RC_NEEDS_LZ4, "sstable", file->path,
                      (int64_t)r->footer.meta.offset, 0,
                      "the file has LZ4-compressed blocks and needs LZ4 "
                      "support (build with TDB_ENABLE_LZ4, link -llz4)");
    goto fail;
  }
  /* filter */
  if (r->footer.filter.size || r->footer.filter.offset) {
    rc = tdbSstLoad(r, &r->footer.filter, foot_off, "filter", 0, &r->filter_raw,
                    err);
    if (rc != TDB_OK)
      goto fail;
    if (!tdbBloomValid(r->filter_raw.data, r->filter_raw.size)) {
      rc = tdbSstCorrupt(r, err, r->footer.filter.offset,
                         "malformed bloom filter");
      goto fail;
    }
  }
  /* index */
  rc = tdbSstLoad(r, &r->footer.index, foot_off, "index", 0, &r->index_raw, err);
  if (rc != TDB_OK)
    goto fail;
  rc = tdbSstParse(r, &r->index_raw, r->footer.index.offset, "index", &r->index,
                   err);
  if (rc != TDB_OK)
    goto fail;
  rc = tdbSstCheckIndex(r, err);
  if (rc != TDB_OK)
    goto fail;
  tdbSstFastBuild(r); /* an optimisation: without memory, lookups still work */
  *out = r;
  return TDB_OK;
fail:
  tdbSstReaderClose(r);
  return rc;
}

TDB_PRIVATE const TdbSstProps *tdbSstReaderProps(const TdbSstReader *r) {
  return &r->props;
}

TDB_PRIVATE int tdbSstReaderProperty(const TdbSstReader *r, uint32_t tag,
                                     const unsigned char **p, size_t *n) {
  size_t pos = 0;
  while (pos < r->meta_raw.size) {
    uint32_t t, vlen;
    const unsigned char *val;
    if (tdbSstPropNext(r->meta_raw.data, r->meta_raw.size, &pos, &t, &val,
                       &vlen) != TDB_OK) {
      break; /* cannot happen: checked at open */
    }
    if (t == tag) {
      *p = val;
      *n = vlen;
      return TDB_OK;
    }
  }
  return TDB_NOTFOUND;
}

TDB_PRIVATE int tdbSstMayContain(const TdbSstReader *r, const void *uk,
                                 size_t n) {
  if (!r->filter_raw.data)
    return 1;
  return tdbBloomMayContain(r->filter_raw.data, r->filter_raw.size, uk, n);
}

static void tdbSstCachedDelete(void *ctx, void *value) {
  TdbSstCached *c = (TdbSstCached *)value;
  TDB_UNUSED(ctx);
  tdbMemFree(c->mem, c->owned); /* NULL when the header heads the block's buffer */
  tdbMemFree(c->mem, c);
}

static void tdbSstRefRelease(TdbSstReader *r, TdbSstBlockRef *ref) {
  if (ref->handle)
    tdbCacheRelease(r->cache, ref->handle);
  tdbMemFree(r->mem, ref->owned);
  memset(ref, 0, sizeof *ref);
}

/* Pin the data block at h: from the cache, or loaded (and cached). */
static int tdbSstRefLoad(TdbSstReader *r, const TdbSstHandle *h,
                         TdbSstBlockRef *ref, TdbVfsErr *err) {
  TdbSstLoaded l;
  TdbSstCached *c;
  TdbBlock blk;
  int rc;
  memset(ref, 0, sizeof *ref);
  if (r->cache) {
    TdbCacheHandle *ch = tdbCacheLookup(r->cache, r->cache_id, h->offset);
    if (ch) {
      c = (TdbSstCached *)tdbCacheValue(ch);
      ref->blk = c->blk;
      ref->lz4 = c->lz4;
      ref->handle = ch;
      ref->cached = c;
      return TDB_OK;
    }
  }
  rc = tdbSstLoad(r, h, r->data_end, "data", r->cache ? TDB_SST_CACHED_HEAD : 0, &l, err);
  if (rc != TDB_OK)
    return rc;
  rc = tdbSstParse(r, &l, h->offset, "data", &blk, err);
  if (rc != TDB_OK) {
    tdbSstLoadedFree(r, &l);
    return rc;
  }
  ref->blk = blk;
  ref->lz4 = l.lz4;
  if (r->cache) {
    /* the header goes in front of an owned block, else it is allocated */
    c = l.owned ? (TdbSstCached *)(void *)l.owned
                : (TdbSstCached *)tdbMemAlloc(r->mem, sizeof *c);
    if (c) {
      TdbCacheHandle *ch = NULL;
      c->mem = r->mem;
      c->blk = blk;
      c->owned = NULL;
      c->lz4 = l.lz4;
      tdbSstCachedHint(&r->o, c);
      tdbCacheInsertIn(r->cache, &c->handle, r->cache_id, h->offset, c,
                       l.size + TDB_SST_CACHED_HEAD, tdbSstCachedDelete, NULL, &ch);
      ref->blk = c->blk;
      ref->handle = ch;
      ref->cached = c;
      return TDB_OK;
    }
    /* no memory for the cache entry: use the block uncached */
  }
  ref->owned = l.owned;
  return TDB_OK;
}

TDB_PRIVATE int tdbSstGet(TdbSstReader *r, const void *target, size_t tlen,
                          TdbSstGetFn fn, void *ctx, TdbVfsErr *err) {
  TdbBlockIter idx, data;
  TdbSstHandle h;
  TdbSstBlockRef ref;
  int rc = TDB_NOTFOUND;
  char msg[128];
  uint64_t hash = 0;
  if (r->filter_raw.data) {
    /* the filter's line is a likely cache miss: let it load during the
    ** index search, then check it */
    hash = tdbSstBloomHashOf(&r->o, target, tlen);
    tdbBloomPrefetch(r->filter_raw.data, r->filter_raw.size, hash);
  }
  if (r->fast) {
    size_t i = tdbSstFastFind(r, target, tlen);
    if (i >= r->nfast) return TDB_NOTFOUND;
    h = r->fast_pfx[i].h;
  }
  if (r->filter_raw.data &&
      !tdbBloomMayContainHash(r->filter_raw.data, r->filter_raw.size, hash)) {
    return TDB_NOTFOUND;
  }
  if (!r->fast) {
    tdbBlockIterInit(&idx, r->mem, r->o.compare, &r->index);
    tdbBlockIterSeek(&idx, target, tlen);
    if (!idx.valid) {
      if (idx.rc != TDB_OK) {
        snprintf(msg, sizeof msg, "index block: %s",
                 idx.why ? idx.why : "out of memory");
        rc = idx.rc == TDB_NOMEM
                 ? tdbVfsErrSet(err, TDB_NOMEM, "sstable", r->file->path, -1, 0,
                                "out of memory")
                 : tdbSstCorrupt(r, err,
                                 tdbSstEntryOffset(r->footer.index.offset,
                                                   r->footer.index.size,
                                                   r->index_raw.lz4, idx.err_off),
                                 msg);
      }
      tdbBlockIterClear(&idx);
      return rc;
    }
    if (tdbSstDecodeHandle(&idx, &h) != TDB_OK) { /* checked at open */
      tdbBlockIterClear(&idx);
      return tdbSstCorrupt(r, err, r->footer.index.offset,
                           "malformed block handle in the index");
    }
    tdbBlockIterClear(&idx);
  }
  rc = tdbSstRefLoad(r, &h, &ref, err);
  if (rc != TDB_OK)
    return rc;
  tdbBlockIterInit(&data, r->mem, r->o.compare, &ref.blk);
  tdbSstBlockSeek(&r->o, &data, ref.cached, target, tlen);
  if (data.valid) {
    fn(ctx, tdbBlockIterKey(&data), data.klen, data.val, data.vlen);
    rc = TDB_OK;
  } else if (data.rc == TDB_NOMEM) {
    rc = tdbVfsErrSet(err, TDB_NOMEM, "sstable", r->file->path, -1, 0,
                      "out of memory");
  } else if (data.rc != TDB_OK) {
    snprintf(msg, sizeof msg, "data block: %s", data.why);
    rc = tdbSstCorrupt(
        r, err, tdbSstEntryOffset(h.offset, h.size, ref.lz4, data.err_off),
        msg);
  } else {
    /* the index promised a key >= target in this block */
    rc =
        tdbSstCorrupt(r, err, h.offset, "data block ends before its index key");
  }
  tdbBlockIterClear(&data);
  tdbSstRefRelease(r, &ref);
  return rc;
}

/* ---- Two-level iterator -------------------------------------------------- */

TDB_PRIVATE void tdbSstIterInit(TdbSstIter *it, TdbSstReader *r) {
  memset(it, 0, sizeof *it);
  it->r = r;
  tdbBlockIterInit(&it->index, r->mem, r->o.compare, &r->index);
  tdbBlockIterInit(&it->data, r->mem, r->o.compare, NULL);
  it->rc = TDB_OK;
  it->err.offset = -1;
}

static void tdbSstIterDropBlock(TdbSstIter *it) {
  if (it->has_block) {
    tdbSstRefRelease(it->r, &it->ref);
    it->has_block = 0;
  }
  tdbBlockIterSetBlock(&it->data, NULL);
}

TDB_PRIVATE void tdbSstIterClear(TdbSstIter *it) {
  if (!it->r)
    return;
  tdbSstIterDropBlock(it);
  tdbBlockIterClear(&it->index);
  tdbBlockIterClear(&it->data);
  it->r = NULL;
}

/* Stop with an error of a block iterator (index or data). */
static void tdbSstIterBlockError(TdbSstIter *it, const TdbBlockIter *bi,
                                 uint64_t boff, uint64_t bsize, int lz4,
                                 const char *what) {
  char msg[128];
  if (bi->rc == TDB_NOMEM) {
    it->rc = tdbVfsErrSet(&it->err, TDB_NOMEM, "sstable", it->r->file->path, -1,
                          0, "out of memory");
  } else {
    snprintf(msg, sizeof msg, "%s block: %s", what, bi->why);
    it->rc = tdbSstCorrupt(
        it->r, &it->err, tdbSstEntryOffset(boff, bsize, lz4, bi->err_off), msg);
  }
  tdbSstIterDropBlock(it);
}

/* Load the data block of the index entry (index valid). 0 on error. */
static int tdbSstIterLoad(TdbSstIter *it) {
  TdbSstHandle h;
  TdbSstReader *r = it->r;
  int rc;
  if (tdbSstDecodeHandle(&it->index, &h) != TDB_OK) {
    it->rc = tdbSstCorrupt(r, &it->err, r->footer.index.offset,
                           "malformed block handle in the index");
    tdbSstIterDropBlock(it);
    return 0;
  }
  if (it->has_block && it->block_off == h.offset) {
    tdbBlockIterSetBlock(&it->data, &it->ref.blk);
    return 1;
  }
  tdbSstIterDropBlock(it);
  rc = tdbSstRefLoad(r, &h, &it->ref, &it->err);
  if (rc != TDB_OK) {
    it->rc = rc;
    return 0;
  }
  it->has_block = 1;
  it->block_off = h.offset;
  tdbBlockIterSetBlock(&it->data, &it->ref.blk);
  return 1;
}

static uint64_t tdbSstIterBlockSize(const TdbSstIter *it) {
  TdbSstHandle h;
  if (it->index.valid && tdbSstDecodeHandle(&it->index, &h) == TDB_OK)
    return h.size;
  return 0;
}


/* The index iterator stopped: report its error, or end the iteration. */
static void tdbSstIterIndexEnded(TdbSstIter *it) {
  if (it->index.rc != TDB_OK) {
    tdbSstIterBlockError(it, &it->index, it->r->footer.index.offset,
                         it->r->footer.index.size, it->r->index_raw.lz4, "index");
  } else {
    tdbSstIterDropBlock(it);
  }
}

/* After a data move: on an invalid data iterator, move to the next
** (forward) or previous block until an entry or the end. */
static void tdbSstIterSkip(TdbSstIter *it, int forward) {
  while (it->rc == TDB_OK && !it->data.valid) {
    if (it->data.rc != TDB_OK) {
      tdbSstIterBlockError(it, &it->data, it->block_off,
                           tdbSstIterBlockSize(it), it->ref.lz4, "data");
      return;
    }
    if (!it->index.valid) {
      tdbSstIterIndexEnded(it);
      return;
    }
    if (forward) {
      tdbBlockIterNext(&it->index);
    } else {
      tdbBlockIterPrev(&it->index);
    }
    if (!it->index.valid)
      continue; /* reports an index error or ends */
    if (!tdbSstIterLoad(it))
      return;
    if (forward) {
      tdbBlockIterSeekToFirst(&it->data);
    } else {
      tdbBlockIterSeekToLast(&it->data);
    }
  }
}

/* Position the index (already moved) on its block and the data iterator
** by `how`: 0 first, 1 last, 2 seek. */
static void tdbSstIterEnter(TdbSstIter *it, int how, const void *t, size_t tn) {
  if (!it->index.valid) {
    tdbSstIterIndexEnded(it);
    return;
  }
  if (!tdbSstIterLoad(it))
    return;
  if (how == 0) {
    tdbBlockIterSeekToFirst(&it->data);
  } else if (how == 1) {
    tdbBlockIterSeekToLast(&it->data);
  } else {
    tdbSstBlockSeek(&it->r->o, &it->data, it->ref.cached, t, tn);
  }
  tdbSstIterSkip(it, how != 1);
}

TDB_PRIVATE void tdbSstIterSeekToFirst(TdbSstIter *it) {
  if (it->rc != TDB_OK)
    return;
  tdbBlockIterSeekToFirst(&it->index);
  tdbSstIterEnter(it, 0, NULL, 0);
}

TDB_PRIVATE void tdbSstIterSeekToLast(TdbSstIter *it) {
  if (it->rc != TDB_OK)
    return;
  tdbBlockIterSeekToLast(&it->index);
  tdbSstIterEnter(it, 1, NULL, 0);
}

TDB_PRIVATE void tdbSstIterSeek(TdbSstIter *it, const void *target,
                                size_t tlen) {
  if (it->rc != TDB_OK)
    return;
  tdbBlockIterSeek(&it->index, target, tlen);
  tdbSstIterEnter(it, 2, target, tlen);
}

TDB_PRIVATE void tdbSstIterNext(TdbSstIter *it) {
  if (!tdbSstIterValid(it))
    return;
  tdbBlockIterNext(&it->data);
  tdbSstIterSkip(it, 1);
}

TDB_PRIVATE void tdbSstIterPrev(TdbSstIter *it) {
  if (!tdbSstIterValid(it))
    return;
  tdbBlockIterPrev(&it->data);
  tdbSstIterSkip(it, 0);
}

TDB_PRIVATE int tdbSstIterVisit(TdbSstIter *it, const unsigned char *bound,
                                size_t bn,
                                int (*fn)(void *ctx, const unsigned char *k,
                                          size_t kn, const unsigned char *v,
                                          size_t vn),
                                void *ctx) {
  while (tdbSstIterValid(it)) {
    /* the index key is >= every key of its block */
    int whole = !bound || (it->index.valid &&
                           it->r->o.compare(tdbBlockIterKey(&it->index),
                                            it->index.klen, bound, bn) < 0);
    int r = tdbBlockIterVisit(&it->data, whole ? NULL : bound, bn, fn, ctx);
    if (it->data.valid && !r)
      return 0; /* at the bound */
    tdbSstIterSkip(it, 1); /* past the block's end, or its error */
    if (r)
      return r;
  }
  return 0;
}

TDB_PRIVATE int tdbSstIterValid(const TdbSstIter *it) {
  return it->rc == TDB_OK && it->data.valid;
}

TDB_PRIVATE const unsigned char *tdbSstIterKey(const TdbSstIter *it,
                                               size_t *klen) {
  *klen = it->data.klen;
  return tdbBlockIterKey(&it->data);
}

TDB_PRIVATE const unsigned char *tdbSstIterValue(const TdbSstIter *it,
                                                 size_t *vlen) {
  *vlen = it->data.vlen;
  return it->data.val;
}
