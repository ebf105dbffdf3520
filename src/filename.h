/*
** filename.h — the files of a database directory:
**
**   LOCK              held (advisory lock) by the process that has it open
**   CURRENT           one line: the name of the live manifest
**   MANIFEST-NNNNNN   log of version edits (which SSTables form each level)
**   NNNNNN.log        write-ahead log: one record per committed batch
**   NNNNNN.sst        sorted table
**   NNNNNN.dbtmp      a file being written before an atomic rename
**
** All numbers come from one counter (the version set's next_file).
*/
#ifndef TDB_FILENAME_H
#define TDB_FILENAME_H

#include "mem.h"

typedef enum TdbFileKind {
  TDB_FILE_UNKNOWN,
  TDB_FILE_LOCK,
  TDB_FILE_CURRENT,
  TDB_FILE_MANIFEST,
  TDB_FILE_LOG,
  TDB_FILE_TABLE,
  TDB_FILE_TEMP
} TdbFileKind;

/* "<dir>/<name of kind and number>", heap-allocated (NULL on no memory). */
TDB_PRIVATE char *tdbFileName(TdbMem *mem, const char *dir, TdbFileKind kind,
                              uint64_t number);
/* Classify a directory entry; *number gets its number where it has one. */
TDB_PRIVATE TdbFileKind tdbFileParse(const char *name, uint64_t *number);

#endif /* TDB_FILENAME_H */
