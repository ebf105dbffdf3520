/*
** filename.c — names of the files in a database directory (filename.h).
*/
#include "filename.h"
#include "strbuf.h"

TDB_PRIVATE char *tdbFileName(TdbMem *mem, const char *dir, TdbFileKind kind,
                              uint64_t number) {
  TdbStr s;
  unsigned long long n = (unsigned long long)number;
  tdbStrInit(&s, mem);
  tdbStrAppendf(&s, "%s/", dir);
  switch (kind) {
    case TDB_FILE_LOCK: tdbStrAppendz(&s, "LOCK"); break;
    case TDB_FILE_CURRENT: tdbStrAppendz(&s, "CURRENT"); break;
    case TDB_FILE_MANIFEST: tdbStrAppendf(&s, "MANIFEST-%06llu", n); break;
    case TDB_FILE_LOG: tdbStrAppendf(&s, "%06llu.log", n); break;
    case TDB_FILE_TABLE: tdbStrAppendf(&s, "%06llu.sst", n); break;
    case TDB_FILE_TEMP: tdbStrAppendf(&s, "%06llu.dbtmp", n); break;
    default: break;
  }
  return tdbStrFinish(&s);
}

/* Parse a decimal number filling all of z[0..n); -1 if not one. */
static int tdbFileNumber(const char *z, size_t n, uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  if (n == 0 || n > 19) return -1;
  for (i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') return -1;
    v = v * 10 + (uint64_t)(z[i] - '0');
  }
  *out = v;
  return 0;
}

TDB_PRIVATE TdbFileKind tdbFileParse(const char *name, uint64_t *number) {
  static const struct {
    const char *suffix;
    TdbFileKind kind;
  } tdbFileSuffixes[] = {
      {".log", TDB_FILE_LOG}, {".sst", TDB_FILE_TABLE}, {".dbtmp", TDB_FILE_TEMP}};
  size_t n = strlen(name), i;
  *number = 0;
  if (strcmp(name, "LOCK") == 0) return TDB_FILE_LOCK;
  if (strcmp(name, "CURRENT") == 0) return TDB_FILE_CURRENT;
  if (strncmp(name, "MANIFEST-", 9) == 0) {
    return tdbFileNumber(name + 9, n - 9, number) == 0 ? TDB_FILE_MANIFEST
                                                        : TDB_FILE_UNKNOWN;
  }
  for (i = 0; i < TDB_ARRAY_LEN(tdbFileSuffixes); i++) {
    size_t sl = strlen(tdbFileSuffixes[i].suffix);
    if (n > sl && strcmp(name + n - sl, tdbFileSuffixes[i].suffix) == 0 &&
        tdbFileNumber(name, n - sl, number) == 0) {
      return tdbFileSuffixes[i].kind;
    }
  }
  return TDB_FILE_UNKNOWN;
}
