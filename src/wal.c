/*
** wal.c — the write-ahead log writer and its recovery reader. The on-disk
** format (32 KiB blocks of CRC-framed fragments) and the torn-tail versus
** corruption policy are drawn and explained in wal.h.
*/
#include "wal.h"
#include "coding.h"
#include "crc32c.h"

#include <stdio.h>

/* Most bytes one VFS append of the writer carries: a record bigger than this
** is written in pieces of about this size (so the buffer stays bounded). */
#define TDB_WAL_MAX_WRITE ((size_t)1 << 20)

/* Largest payload of one fragment. */
#define TDB_WAL_MAX_FRAGMENT (TDB_WAL_BLOCK - TDB_WAL_HEADER)

/* ---- checksums ----------------------------------------------------------------- */

/* seeds[t] = the CRC-32C of log_number (8 bytes LE) || t, for t in 0..4: a
** fragment's checksum is tdbCrc32cExtend(seeds[type], payload, len). */
static void tdbWalSeeds(uint64_t log_number, uint32_t seeds[5]) {
  unsigned char num[8];
  unsigned char t;
  uint32_t base;
  tdbPutFixed64(num, log_number);
  base = tdbCrc32c(num, sizeof num);
  for (t = 0; t < 5; t++) seeds[t] = tdbCrc32cExtend(base, &t, 1);
}

/* The stored (masked) checksum of a fragment. */
static uint32_t tdbWalFragmentCrc(const uint32_t seeds[5], unsigned type,
                                  const unsigned char *payload, size_t len) {
  return tdbCrc32cMask(tdbCrc32cExtend(seeds[type], payload, len));
}

/* 1 if a whole, checksum-valid fragment of this log starts at p, where
** `room` bytes are readable and belong to the same block. */
static int tdbWalValidAt(const uint32_t seeds[5], const unsigned char *p,
                         size_t room) {
  unsigned type;
  size_t len;
  if (room < TDB_WAL_HEADER) return 0;
  type = p[6];
  if (type < TDB_WAL_FULL || type > TDB_WAL_LAST) return 0;
  len = (size_t)p[4] | ((size_t)p[5] << 8);
  if (len > room - TDB_WAL_HEADER) return 0;
  return tdbGetFixed32(p) ==
         tdbWalFragmentCrc(seeds, type, p + TDB_WAL_HEADER, len);
}

/* ---- writer ---------------------------------------------------------------------- */

struct TdbWalWriter {
  TdbMem mem;
  TdbVfsFile *file;
  uint32_t seeds[5];
  size_t block_off;      /* bytes used in the current block */
  uint64_t size;         /* logical size: bytes appended successfully */
  uint64_t synced;       /* size at the last successful sync */
  uint64_t alloc;        /* bytes the file holds: size, then preallocated zeros */
  size_t prealloc;       /* 0: append; else grow the file by zeros in steps
                         ** of this many bytes (tdbWalWriterPreallocate) */
  unsigned char *buf;    /* fragments not yet handed to the VFS */
  size_t len, cap;
  int rc;                /* TDB_OK, or the sticky error */
  TdbVfsErr err;         /* the sticky error's message */
};

TDB_PRIVATE int tdbWalWriterOpen(TdbMem *mem, TdbVfs *vfs, const char *path,
                                 uint64_t log_number, uint64_t truncate_at,
                                 TdbWalWriter **out, TdbVfsErr *err) {
  TdbWalWriter *w;
  int rc;
  *out = NULL;
  w = (TdbWalWriter *)tdbMemAllocZero(mem, sizeof *w);
  if (!w) {
    return tdbVfsErrSet(err, TDB_NOMEM, "wal open", path, -1, 0,
                        "out of memory");
  }
  w->mem = *mem;
  tdbWalSeeds(log_number, w->seeds);
  rc = vfs->open_file(vfs, path, TDB_VFS_READ | TDB_VFS_WRITE | TDB_VFS_CREATE,
                      &w->file, err);
  if (rc != TDB_OK) goto fail;
  rc = w->file->methods->get_size(w->file, &w->size, err);
  if (rc != TDB_OK) goto fail;
  if (truncate_at != TDB_WAL_KEEP_SIZE && w->size > truncate_at) {
    rc = w->file->methods->truncate_to(w->file, truncate_at, err);
    if (rc == TDB_OK) rc = w->file->methods->sync_data(w->file, err);
    if (rc != TDB_OK) goto fail;
    w->size = truncate_at;
  }
  w->synced = w->size;
  w->alloc = w->size;
  w->block_off = (size_t)(w->size % TDB_WAL_BLOCK);
  *out = w;
  return TDB_OK;
fail:
  tdbWalWriterClose(w);
  return rc;
}

TDB_PRIVATE void tdbWalWriterClose(TdbWalWriter *w) {
  TdbMem mem;
  if (!w) return;
  mem = w->mem;
  tdbVfsClose(w->file);
  tdbMemFree(&mem, w->buf);
  tdbMemFree(&mem, w);
}

/* Enter the sticky error state with rc (err already filled by the VFS). */
static int tdbWalWriterFail(TdbWalWriter *w, int rc) {
  w->rc = rc;
  w->err.rc = rc;
  return rc;
}

TDB_PRIVATE void tdbWalWriterPreallocate(TdbWalWriter *w, size_t step) {
  w->prealloc = step;
}

/* Preallocation: the file holds [0, alloc); make it hold at least `end`
** bytes, growing it to the next multiple of the step with zeros (written,
** not fallocate'd: an unwritten extent would still make the first write
** into each block a metadata change for the next sync to journal). */
static int tdbWalGrowZeros(TdbWalWriter *w, uint64_t end) {
  static const unsigned char zeros[1 << 16];
  uint64_t to;
  if (end <= w->alloc) return TDB_OK;
  to = end + (w->prealloc - end % w->prealloc) % w->prealloc;
  while (w->alloc < to) {
    size_t n = (size_t)TDB_MIN(to - w->alloc, (uint64_t)sizeof zeros);
    int rc = w->file->methods->write_at(w->file, w->alloc, zeros, n, &w->err);
    if (rc != TDB_OK) return tdbWalWriterFail(w, rc);
    w->alloc += n;
  }
  return TDB_OK;
}

/* Hand the buffered bytes to the VFS in one write: an append, or with
** preallocation a write over the zeros at the logical end (the file grown
** first when they do not reach past the bytes). */
static int tdbWalFlush(TdbWalWriter *w) {
  int rc;
  if (w->len == 0) return TDB_OK;
  if (w->prealloc) {
    rc = tdbWalGrowZeros(w, w->size + w->len);
    if (rc != TDB_OK) return rc;
    rc = w->file->methods->write_at(w->file, w->size, w->buf, w->len, &w->err);
  } else {
    rc = w->file->methods->append(w->file, w->buf, w->len, &w->err);
  }
  if (rc != TDB_OK) return tdbWalWriterFail(w, rc);
  w->size += w->len;
  if (w->alloc < w->size) w->alloc = w->size;
  w->len = 0;
  return TDB_OK;
}

/* Make room for `need` more bytes in the buffer, flushing what it holds
** when the buffer (sized for the record, see tdbWalAppend) is full. */
static int tdbWalReserve(TdbWalWriter *w, size_t need) {
  if (w->len + need <= w->cap) return TDB_OK;
  return tdbWalFlush(w);
}

TDB_PRIVATE int tdbWalAppend(TdbWalWriter *w, const void *data, size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  size_t left = n, bound, want;
  int first = 1, rc;
  if (w->rc != TDB_OK) return w->rc;
  /* An upper bound of the encoded size: payload, a header per fragment, a
  ** trailer. The buffer holds all of it, or TDB_WAL_MAX_WRITE bytes (which
  ** is more than one block, so a fragment always fits after a flush). */
  if (n > SIZE_MAX / 2) return TDB_TOOBIG;
  bound = n + TDB_WAL_HEADER * (n / TDB_WAL_MAX_FRAGMENT + 2) + TDB_WAL_HEADER;
  want = TDB_MIN(bound, TDB_WAL_MAX_WRITE);
  if (w->cap < want) {
    void *grown = w->buf;
    if (tdbMemGrow(&w->mem, &grown, &w->cap, want, 1) != 0) return TDB_NOMEM;
    w->buf = (unsigned char *)grown;
  }
  for (;;) {
    size_t avail = TDB_WAL_BLOCK - w->block_off, frag;
    unsigned type;
    unsigned char *h;
    if (avail < TDB_WAL_HEADER) {
      /* No header fits: zero the trailer, go on in the next block. */
      if (avail > 0) {
        if ((rc = tdbWalReserve(w, avail)) != TDB_OK) return rc;
        memset(w->buf + w->len, 0, avail);
        w->len += avail;
      }
      w->block_off = 0;
      avail = TDB_WAL_BLOCK;
    }
    frag = TDB_MIN(left, avail - TDB_WAL_HEADER);
    if (first) {
      type = frag == left ? TDB_WAL_FULL : TDB_WAL_FIRST;
    } else {
      type = frag == left ? TDB_WAL_LAST : TDB_WAL_MIDDLE;
    }
    if ((rc = tdbWalReserve(w, TDB_WAL_HEADER + frag)) != TDB_OK) return rc;
    h = w->buf + w->len;
    if (frag > 0) memcpy(h + TDB_WAL_HEADER, p, frag);
    tdbPutFixed32(h, tdbWalFragmentCrc(w->seeds, type, h + TDB_WAL_HEADER, frag));
    h[4] = (unsigned char)(frag & 0xFF);
    h[5] = (unsigned char)(frag >> 8);
    h[6] = (unsigned char)type;
    w->len += TDB_WAL_HEADER + frag;
    w->block_off += TDB_WAL_HEADER + frag;
    p += frag;
    left -= frag;
    first = 0;
    if (left == 0) break;
  }
  return tdbWalFlush(w);
}

TDB_PRIVATE int tdbWalSync(TdbWalWriter *w) {
  int rc;
  if (w->rc != TDB_OK) return w->rc;
  rc = w->file->methods->sync_data(w->file, &w->err);
  if (rc != TDB_OK) return tdbWalWriterFail(w, rc);
  w->synced = w->size;
  return TDB_OK;
}

TDB_PRIVATE uint64_t tdbWalWriterSize(const TdbWalWriter *w) { return w->size; }

TDB_PRIVATE uint64_t tdbWalWriterSyncedSize(const TdbWalWriter *w) {
  return w->synced;
}

TDB_PRIVATE const TdbVfsErr *tdbWalWriterErr(const TdbWalWriter *w) {
  return w->rc != TDB_OK ? &w->err : NULL;
}

/* ---- reader ---------------------------------------------------------------------- */

struct TdbWalReader {
  TdbMem mem;
  TdbVfsFile *file;
  uint32_t seeds[5];
  unsigned char *block;  /* TDB_WAL_BLOCK bytes: the block being read */
  uint64_t block_off;    /* file offset of block[0] */
  size_t block_len;      /* bytes of it the file holds (< BLOCK: the last) */
  size_t pos;            /* next unread byte of the block */
  int loaded;            /* 0 until the first block was read */
  unsigned char *rec;    /* reassembly of a FIRST..LAST record */
  size_t rec_len, rec_cap;
  int in_rec;            /* 1 between a FIRST and its LAST */
  uint64_t rec_start;    /* file offset of the pending record's FIRST */
  int rc;                /* TDB_OK while reading; then the sticky code */
  uint64_t valid_end;
  TdbWalTail tail;
  TdbVfsErr err;
};

/* What tdbWalNextFragment found. */
#define TDB_WAL_FRAG_OK 0
#define TDB_WAL_FRAG_EOF 1     /* the file ends at a fragment boundary */
#define TDB_WAL_FRAG_BAD 2     /* damage at `off`, described in `why` */

typedef struct TdbWalFrag {
  int status;
  unsigned type;
  const unsigned char *payload;
  size_t len;
  uint64_t off;          /* file offset of the fragment or of the damage */
  int zero;              /* BAD: the header is 7 zero bytes (unwritten space) */
  char why[112];
} TdbWalFrag;

TDB_PRIVATE int tdbWalReaderOpen(TdbMem *mem, TdbVfs *vfs, const char *path,
                                 uint64_t log_number, TdbWalReader **out,
                                 TdbVfsErr *err) {
  TdbWalReader *r;
  int rc;
  *out = NULL;
  r = (TdbWalReader *)tdbMemAllocZero(mem, sizeof *r);
  if (r) r->block = (unsigned char *)tdbMemAlloc(mem, TDB_WAL_BLOCK);
  if (!r || !r->block) {
    tdbMemFree(mem, r);
    return tdbVfsErrSet(err, TDB_NOMEM, "wal open", path, -1, 0,
                        "out of memory");
  }
  r->mem = *mem;
  tdbWalSeeds(log_number, r->seeds);
  rc = vfs->open_file(vfs, path, TDB_VFS_READ, &r->file, err);
  if (rc != TDB_OK) {
    tdbWalReaderClose(r);
    return rc;
  }
  *out = r;
  return TDB_OK;
}

TDB_PRIVATE void tdbWalReaderClose(TdbWalReader *r) {
  TdbMem mem;
  if (!r) return;
  mem = r->mem;
  tdbVfsClose(r->file);
  tdbMemFree(&mem, r->block);
  tdbMemFree(&mem, r->rec);
  tdbMemFree(&mem, r);
}

/* Read the block at file offset `off` (a multiple of the block size). */
static int tdbWalLoad(TdbWalReader *r, uint64_t off) {
  size_t got = 0;
  int rc = r->file->methods->read_at(r->file, off, r->block, TDB_WAL_BLOCK,
                                     &got, &r->err);
  if (rc != TDB_OK) return rc;
  r->block_off = off;
  r->block_len = got;
  r->pos = 0;
  r->loaded = 1;
  return TDB_OK;
}

static void TDB_PRINTF(3, 4) tdbWalBad(TdbWalFrag *f, uint64_t off,
                                       const char *fmt, ...) {
  va_list ap;
  f->status = TDB_WAL_FRAG_BAD;
  f->off = off;
  f->zero = 0;
  va_start(ap, fmt);
  vsnprintf(f->why, sizeof f->why, fmt, ap);
  va_end(ap);
}

/* The next fragment, skipping block trailers. Returns TDB_OK with f->status
** set, or a VFS read error. */
static int tdbWalNextFragment(TdbWalReader *r, TdbWalFrag *f) {
  for (;;) {
    const unsigned char *h;
    size_t avail, room, len, i;
    unsigned type;
    int rc;
    if (!r->loaded || (r->pos >= r->block_len && r->block_len == TDB_WAL_BLOCK)) {
      rc = tdbWalLoad(r, r->loaded ? r->block_off + TDB_WAL_BLOCK : 0);
      if (rc != TDB_OK) return rc;
    }
    avail = r->block_len - r->pos;
    if (avail == 0) {
      f->status = TDB_WAL_FRAG_EOF;
      f->off = r->block_off + r->block_len;
      return TDB_OK;
    }
    room = TDB_WAL_BLOCK - r->pos;
    h = r->block + r->pos;
    if (room < TDB_WAL_HEADER) {
      /* The trailer: must be zeros (the file may end inside it). */
      for (i = 0; i < avail; i++) {
        if (h[i] != 0) {
          tdbWalBad(f, r->block_off + r->pos,
                    "nonzero byte in the %zu-byte zero trailer of a block", room);
          return TDB_OK;
        }
      }
      r->pos = r->block_len;
      continue;
    }
    if (avail < TDB_WAL_HEADER) {
      tdbWalBad(f, r->block_off + r->pos,
                "partial fragment header (%zu of 7 bytes) at the end of the file",
                avail);
      return TDB_OK;
    }
    type = h[6];
    len = (size_t)h[4] | ((size_t)h[5] << 8);
    if (type < TDB_WAL_FULL || type > TDB_WAL_LAST) {
      if (type == 0 && len == 0 && tdbGetFixed32(h) == 0) {
        tdbWalBad(f, r->block_off + r->pos,
                  "zero bytes (unwritten space) where a fragment header "
                  "should be");
        f->zero = 1;
      } else {
        tdbWalBad(f, r->block_off + r->pos, "invalid fragment type %u", type);
      }
      return TDB_OK;
    }
    if (len > room - TDB_WAL_HEADER) {
      tdbWalBad(f, r->block_off + r->pos,
                "fragment length %zu overruns its block", len);
      return TDB_OK;
    }
    if (len > avail - TDB_WAL_HEADER) {
      tdbWalBad(f, r->block_off + r->pos,
                "fragment of %zu bytes cut short by the end of the file "
                "(%zu present)", len, avail - TDB_WAL_HEADER);
      return TDB_OK;
    }
    if (tdbGetFixed32(h) !=
        tdbWalFragmentCrc(r->seeds, type, h + TDB_WAL_HEADER, len)) {
      tdbWalBad(f, r->block_off + r->pos, "fragment checksum mismatch");
      return TDB_OK;
    }
    f->status = TDB_WAL_FRAG_OK;
    f->type = type;
    f->payload = h + TDB_WAL_HEADER;
    f->len = len;
    f->off = r->block_off + r->pos;
    r->pos += TDB_WAL_HEADER + len;
    return TDB_OK;
  }
}

/* Look for a checksum-valid fragment at any byte offset from `from` to the
** end of the file. Sets *found (and *found_off) and *eof, the file's size
** (when nothing is found). Reuses the reader's block buffer: reading is over
** once this runs. Returns TDB_OK or a VFS read error. */
static int tdbWalScan(TdbWalReader *r, uint64_t from, int *found,
                      uint64_t *found_off, uint64_t *eof) {
  uint64_t off = from - from % TDB_WAL_BLOCK;
  size_t o = (size_t)(from % TDB_WAL_BLOCK);
  *found = 0;
  for (;;) {
    int rc = tdbWalLoad(r, off);
    if (rc != TDB_OK) return rc;
    for (; o + TDB_WAL_HEADER <= r->block_len; o++) {
      if (tdbWalValidAt(r->seeds, r->block + o, r->block_len - o)) {
        *found = 1;
        *found_off = off + o;
        return TDB_OK;
      }
    }
    if (r->block_len < TDB_WAL_BLOCK) {
      *eof = off + r->block_len;
      return TDB_OK;
    }
    off += TDB_WAL_BLOCK;
    o = 0;
  }
}

/* Stop reading with TDB_CORRUPT_WAL at `off`. */
static int tdbWalCorrupt(TdbWalReader *r, uint64_t off, const char *why) {
  tdbVfsErrSet(&r->err, TDB_CORRUPT_WAL, "wal", r->file->path,
               off > (uint64_t)INT64_MAX ? -1 : (int64_t)off, 0, why);
  r->rc = TDB_CORRUPT_WAL;
  return r->rc;
}

/* End reading cleanly, dropping the torn tail [tail_off, eof). */
static int tdbWalDropTail(TdbWalReader *r, uint64_t tail_off, uint64_t eof,
                          const char *why) {
  char reason[384];
  TdbVfsErr note;
  r->tail.torn = 1;
  r->tail.offset = tail_off;
  r->tail.dropped = eof > tail_off ? eof - tail_off : 0;
  snprintf(reason, sizeof reason,
           "torn tail, dropped %llu bytes: %s",
           (unsigned long long)r->tail.dropped, why);
  tdbVfsErrSet(&note, TDB_OK, "wal", r->file->path,
               tail_off > (uint64_t)INT64_MAX ? -1 : (int64_t)tail_off, 0,
               reason);
  memcpy(r->tail.note, note.msg, sizeof r->tail.note);
  r->valid_end = tail_off;
  r->rc = TDB_DONE;
  return r->rc;
}

/* Is every byte from `from` to the end of the file zero? Sets *zeros.
** Reuses the block buffer, as tdbWalScan does. */
static int tdbWalZerosToEnd(TdbWalReader *r, uint64_t from, int *zeros) {
  uint64_t off = from - from % TDB_WAL_BLOCK;
  size_t o = (size_t)(from % TDB_WAL_BLOCK);
  *zeros = 1;
  for (;;) {
    int rc = tdbWalLoad(r, off);
    if (rc != TDB_OK) return rc;
    for (; o < r->block_len; o++) {
      if (r->block[o] != 0) {
        *zeros = 0;
        return TDB_OK;
      }
    }
    if (r->block_len < TDB_WAL_BLOCK) return TDB_OK;
    off += TDB_WAL_BLOCK;
    o = 0;
  }
}

/* Damage at `off` (reason `why`): a torn tail starting at `tail_off` if no
** valid fragment follows, else corruption — except that unwritten space
** (`zero`: a header of zero bytes) always ends the log, see wal.h: cleanly
** when it runs to the end of the file between records (the writer's
** preallocated zeros), as a torn tail otherwise. */
static int tdbWalDamage(TdbWalReader *r, uint64_t off, uint64_t tail_off,
                        int zero, const char *why) {
  char reason[320];
  uint64_t found_off = 0, eof = 0;
  int found, rc;
  if (zero && tail_off == off) {
    int zeros;
    rc = tdbWalZerosToEnd(r, off, &zeros);
    if (rc != TDB_OK) {
      r->rc = rc;
      return rc;
    }
    if (zeros) { /* the preallocated tail: the log ends here, nothing torn */
      r->valid_end = off;
      r->rc = TDB_DONE;
      return r->rc;
    }
  }
  rc = tdbWalScan(r, off + 1, &found, &found_off, &eof);
  if (rc != TDB_OK) {
    r->rc = rc;
    return rc;
  }
  if (!found) {
    snprintf(reason, sizeof reason, "%s; nothing valid follows", why);
    return tdbWalDropTail(r, tail_off, eof, reason);
  }
  if (zero) {
    rc = r->file->methods->get_size(r->file, &eof, &r->err);
    if (rc != TDB_OK) {
      r->rc = rc;
      return rc;
    }
    snprintf(reason, sizeof reason,
             "%s; checksum-valid fragments follow from offset %llu "
             "(writes that landed after a hole)", why,
             (unsigned long long)found_off);
    return tdbWalDropTail(r, tail_off, eof, reason);
  }
  snprintf(reason, sizeof reason,
           "%s, and a valid fragment follows at offset %llu (not a torn tail)",
           why, (unsigned long long)found_off);
  return tdbWalCorrupt(r, off, reason);
}

/* Append a fragment's payload to the record being reassembled. */
static int tdbWalGather(TdbWalReader *r, const TdbWalFrag *f) {
  void *grown = r->rec;
  if (f->len > SIZE_MAX - r->rec_len ||
      tdbMemGrow(&r->mem, &grown, &r->rec_cap, r->rec_len + f->len, 1) != 0) {
    tdbVfsErrSet(&r->err, TDB_NOMEM, "wal read", r->file->path,
                 (int64_t)r->rec_start, 0, "out of memory for a record");
    r->rc = TDB_NOMEM;
    return r->rc;
  }
  r->rec = (unsigned char *)grown;
  if (f->len > 0) memcpy(r->rec + r->rec_len, f->payload, f->len);
  r->rec_len += f->len;
  return TDB_OK;
}

static const char *tdbWalTypeName(unsigned type) {
  switch (type) {
    case TDB_WAL_FULL: return "FULL";
    case TDB_WAL_FIRST: return "FIRST";
    case TDB_WAL_MIDDLE: return "MIDDLE";
    default: return "LAST";
  }
}

TDB_PRIVATE int tdbWalReadRecord(TdbWalReader *r, const unsigned char **data,
                                 size_t *n) {
  char why[160];
  TdbWalFrag f;
  int rc;
  *data = NULL;
  *n = 0;
  if (r->rc != TDB_OK) return r->rc;
  for (;;) {
    rc = tdbWalNextFragment(r, &f);
    if (rc != TDB_OK) {
      r->rc = rc;
      return rc;
    }
    if (f.status == TDB_WAL_FRAG_EOF) {
      if (r->in_rec) {
        snprintf(why, sizeof why,
                 "the file ends inside a record (FIRST fragment at offset "
                 "%llu, no LAST)", (unsigned long long)r->rec_start);
        return tdbWalDropTail(r, r->rec_start, f.off, why);
      }
      r->valid_end = f.off;
      r->rc = TDB_DONE;
      return r->rc;
    }
    if (f.status == TDB_WAL_FRAG_BAD) {
      return tdbWalDamage(r, f.off, r->in_rec ? r->rec_start : f.off, f.zero,
                          f.why);
    }
    /* A checksum-valid fragment: it must continue the record's chain. It is
    ** itself valid data after any break, so a broken chain is corruption. */
    if (r->in_rec && (f.type == TDB_WAL_FULL || f.type == TDB_WAL_FIRST)) {
      snprintf(why, sizeof why,
               "record lacks its LAST fragment: a %s fragment follows at "
               "offset %llu", tdbWalTypeName(f.type), (unsigned long long)f.off);
      return tdbWalCorrupt(r, r->rec_start, why);
    }
    if (!r->in_rec && (f.type == TDB_WAL_MIDDLE || f.type == TDB_WAL_LAST)) {
      snprintf(why, sizeof why, "%s fragment without a FIRST fragment",
               tdbWalTypeName(f.type));
      return tdbWalCorrupt(r, f.off, why);
    }
    switch (f.type) {
      case TDB_WAL_FULL:
        *data = f.payload;
        *n = f.len;
        r->valid_end = f.off + TDB_WAL_HEADER + f.len;
        return TDB_OK;
      case TDB_WAL_FIRST:
        r->in_rec = 1;
        r->rec_start = f.off;
        r->rec_len = 0;
        if ((rc = tdbWalGather(r, &f)) != TDB_OK) return rc;
        break;
      case TDB_WAL_MIDDLE:
        if ((rc = tdbWalGather(r, &f)) != TDB_OK) return rc;
        break;
      default: /* LAST */
        if ((rc = tdbWalGather(r, &f)) != TDB_OK) return rc;
        r->in_rec = 0;
        *data = r->rec ? r->rec : r->block;   /* never NULL, even for 0 bytes */
        *n = r->rec_len;
        r->valid_end = f.off + TDB_WAL_HEADER + f.len;
        return TDB_OK;
    }
  }
}

TDB_PRIVATE const TdbWalTail *tdbWalReaderTail(const TdbWalReader *r) {
  return &r->tail;
}

TDB_PRIVATE uint64_t tdbWalReaderValidEnd(const TdbWalReader *r) {
  return r->valid_end;
}

TDB_PRIVATE const TdbVfsErr *tdbWalReaderErr(const TdbWalReader *r) {
  return r->rc != TDB_OK && r->rc != TDB_DONE ? &r->err : NULL;
}
