/*
** tablecache.h — open SSTables by file number, and the TdbIter adapters of
** the read path (tables and memtables), plus the table writer that flush and
** compaction use.
**
** Every live table of the current versions stays open (one file handle and
** one reader each); an entry is reference-counted so a table evicted because
** it became obsolete stays usable by iterators that still read it.
*/
#ifndef TDB_TABLECACHE_H
#define TDB_TABLECACHE_H

#include "cache.h"
#include "error.h"
#include "iter.h"
#include "memtable.h"
#include "sstable.h"
#include "thread.h"
#include "version.h"
#include "vfs.h"

typedef struct TdbTableCache TdbTableCache;

/* The SSTable options of the engine: internal-key order and filter on the
** user key, block size, bloom bits and compression from cfg. */
TDB_PRIVATE void tdbTableOptions(const tdb_config *cfg, TdbSstOptions *o);

TDB_PRIVATE int tdbTableCacheNew(TdbMem *mem, TdbVfs *vfs, const char *dir,
                                 const tdb_config *cfg, TdbTableCache **out);
TDB_PRIVATE void tdbTableCacheFree(TdbTableCache *tc);

/* Look up user key `ukey` in table f via the seek key `seek` (as of some
** epoch): *found = 1 with *kind and the value appended to *value when the
** first entry at or after `seek` has user key ukey. */
TDB_PRIVATE int tdbTableCacheGet(TdbTableCache *tc, const TdbFileMeta *f,
                                 const unsigned char *seek, size_t seekn,
                                 const unsigned char *ukey, size_t ukn, int *found,
                                 int *kind, TdbStr *value, TdbErr *err);

/* An iterator over table f (NULL on out-of-memory; open errors come back as
** an empty iterator whose status is the error, message in err). */
TDB_PRIVATE TdbIter *tdbTableCacheIter(TdbTableCache *tc, const TdbFileMeta *f, TdbErr *err);

/* Close table `number` (it is obsolete; its cached blocks go); open iterators
** keep it alive. */
TDB_PRIVATE void tdbTableCacheEvict(TdbTableCache *tc, uint64_t number);

/* Open table f and check it block by block (tdb_check): counts entries and
** verifies order and checksums. */
TDB_PRIVATE int tdbTableCacheVerify(TdbTableCache *tc, const TdbFileMeta *f,
                                    uint64_t *entries, TdbErr *err);

/* A memtable as a TdbIter (the memtable is referenced until destroyed). */
TDB_PRIVATE TdbIter *tdbMemtableIterNew(TdbMem *mem, TdbMemtable *mt);

/* ---- writing tables -------------------------------------------------------- */

typedef struct TdbTableWriter TdbTableWriter;

/* Start table `number` in the database directory. */
TDB_PRIVATE int tdbTableWriterOpen(TdbMem *mem, TdbVfs *vfs, const char *dir,
                                   const tdb_config *cfg, uint64_t number,
                                   TdbTableWriter **out, TdbErr *err);
TDB_PRIVATE int tdbTableWriterAdd(TdbTableWriter *w, const unsigned char *ikey, size_t n,
                                  const unsigned char *value, size_t vn, TdbErr *err);
/* Fill-on-write: the data blocks whose first key starts with a byte flagged
** in first_bytes[256] also go into tc's block cache as they are written, so
** the first reads of a freshly flushed or compacted table hit the cache
** (the engine flags the current-state keyspaces). The blocks of a table
** that is never finished are dropped from the cache again. */
TDB_PRIVATE void tdbTableWriterFillCache(TdbTableWriter *w, TdbTableCache *tc,
                                         const uint8_t *first_bytes);
TDB_PRIVATE uint64_t tdbTableWriterSize(const TdbTableWriter *w);
/* Finish and sync the file; *meta is a new file description (one reference). */
TDB_PRIVATE int tdbTableWriterFinish(TdbTableWriter *w, TdbFileMeta **meta, TdbErr *err);
/* The engine's table property holding the min and max epoch (2 x fixed64).
** On-disk: do not renumber. */
#define TDB_TABLE_PROP_EPOCHS (TDB_SST_PROP_USER + 1)

/* Read the epochs property of table `number` without caching it: TDB_OK, or
** an error when the file is unreadable or lacks the property. */
TDB_PRIVATE int tdbTableReadEpochs(TdbMem *mem, TdbVfs *vfs, const char *dir,
                                   const tdb_config *cfg, uint64_t number,
                                   uint64_t *min_epoch, uint64_t *max_epoch);

/* Free; an unfinished table's file is removed. NULL is a no-op. */
TDB_PRIVATE void tdbTableWriterFree(TdbTableWriter *w);

#endif /* TDB_TABLECACHE_H */
