/*
** gen_seeds.c — writes the seed corpora of the fuzz harnesses: small VALID
** inputs made with the engine's own writers, so the fuzzer starts from files
** that get past every checksum and explores the damage from there.
**
**   gen_seeds OUTDIR    writes OUTDIR/<harness>/<name> for every harness:
**     fuzz_wal/            logs (number 9): empty, one record, many, records
**                          spanning blocks, a block trailer, a torn tail
**     fuzz_sstable/        tables with the engine's options: empty, one entry,
**                          several blocks, versions of one key, LZ4 (when
**                          built with TDB_ENABLE_LZ4), an engine property
**     fuzz_block/          blocks: empty, one entry, shared prefixes and
**                          restarts, long keys (heap key buffer)
**     fuzz_batch/          encoded batches: empty, puts, deletes, one key
**                          written several times
**     fuzz_manifest_edit/  version edits: counters only, adds, deletes, a
**                          snapshot of several levels
**     fuzz_sql/            SQL statements of the grammar
**   and OUTDIR/fuzz_sql.dict, a libFuzzer dictionary of the SQL keywords.
**
** tests/fuzz/run.sh runs it before fuzzing; its output at one point in time
** is committed as tests/fuzz/seeds/ (regenerate: build it like a harness
** without -fsanitize=fuzzer and run it on tests/fuzz/seeds).
*/
#include "tensordb.c"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *genOut;
static TdbMem genMem;
static int genCount;

static void genDie(const char *what, int rc) {
  fprintf(stderr, "gen_seeds: %s failed (rc %d)\n", what, rc);
  exit(1);
}

static void genMkdir(const char *path) {
  if (mkdir(path, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "gen_seeds: mkdir %s: %s\n", path, strerror(errno));
    exit(1);
  }
}

static void genWrite(const char *harness, const char *name, const void *p,
                     size_t n) {
  char path[1024];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", genOut, harness);
  genMkdir(path);
  snprintf(path, sizeof path, "%s/%s/%s", genOut, harness, name);
  f = fopen(path, "wb");
  if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
    fprintf(stderr, "gen_seeds: write %s failed\n", path);
    exit(1);
  }
  genCount++;
}

/* Copy a file of the memory VFS out as a seed. */
static void genExport(TdbVfs *vfs, const char *path, const char *harness,
                      const char *name) {
  TdbVfsFile *f = NULL;
  uint64_t size = 0;
  unsigned char *buf;
  int rc = vfs->open_file(vfs, path, TDB_VFS_READ, &f, NULL);
  if (rc != TDB_OK) genDie("open for export", rc);
  f->methods->get_size(f, &size, NULL);
  buf = (unsigned char *)malloc((size_t)size + 1);
  if (!buf) genDie("malloc", TDB_NOMEM);
  if (size) {
    rc = tdbVfsReadExact(f, 0, buf, (size_t)size, NULL);
    if (rc != TDB_OK) genDie("read for export", rc);
  }
  genWrite(harness, name, buf, (size_t)size);
  free(buf);
  tdbVfsClose(f);
}

/* Internal key of user key "k<i>" (width w) at seq. */
static size_t genIkey(unsigned char *dst, unsigned i, int w, uint64_t seq, int kind) {
  char uk[64];
  int n = snprintf(uk, sizeof uk, "k%0*u", w, i);
  return tdbIkeyEncode(dst, uk, (size_t)n, seq, kind);
}

/* ---- WAL ------------------------------------------------------------------ */

#define GEN_WAL_PATH "000009.log"
#define GEN_WAL_NUMBER 9

/* A log of nrec records of `len` bytes each (len 0: a batch per record). */
static void genWal(const char *name, int nrec, size_t len, size_t cut) {
  TdbVfs *vfs = NULL;
  TdbWalWriter *w = NULL;
  unsigned char *rec = (unsigned char *)malloc(len + 1);
  int i, rc;
  if (!rec) genDie("malloc", TDB_NOMEM);
  if ((rc = tdbVfsMemoryNew(&genMem, &vfs)) != TDB_OK) genDie("memory vfs", rc);
  rc = tdbWalWriterOpen(&genMem, vfs, GEN_WAL_PATH, GEN_WAL_NUMBER, TDB_WAL_KEEP_SIZE,
                        &w, NULL);
  if (rc != TDB_OK) genDie("wal writer", rc);
  for (i = 0; i < nrec; i++) {
    if (len == 0) { /* a real batch record, as the commit path writes */
      TdbBatch b;
      TdbStr s;
      unsigned char k[32];
      tdbBatchInit(&b, &genMem);
      tdbStrInit(&s, &genMem);
      snprintf((char *)k, sizeof k, "key%03d", i);
      tdbBatchPut(&b, k, strlen((char *)k), "value", 5);
      if (i % 3 == 2) tdbBatchDelete(&b, "key000", 6);
      tdbBatchEncode(&b, (uint64_t)i + 1, 1700000000000000 + i, &s);
      rc = tdbWalAppend(w, s.z, s.n);
      tdbStrClear(&s);
      tdbBatchFree(&b);
    } else {
      size_t j;
      for (j = 0; j < len; j++) rec[j] = (unsigned char)(j + (size_t)i);
      rc = tdbWalAppend(w, rec, len);
    }
    if (rc != TDB_OK) genDie("wal append", rc);
  }
  tdbWalSync(w);
  tdbWalWriterClose(w);
  if (cut) { /* a torn tail: drop the last `cut` bytes */
    TdbVfsFile *f = NULL;
    uint64_t size = 0;
    vfs->open_file(vfs, GEN_WAL_PATH, TDB_VFS_WRITE, &f, NULL);
    f->methods->get_size(f, &size, NULL);
    f->methods->truncate_to(f, size > cut ? size - cut : 0, NULL);
    tdbVfsClose(f);
  }
  genExport(vfs, GEN_WAL_PATH, "fuzz_wal", name);
  tdbVfsMemoryFree(vfs);
  free(rec);
}

/* ---- SSTable ---------------------------------------------------------------- */

#define GEN_SST_PATH "000007.sst"

static void genSst(const char *name, unsigned nkeys, int versions, size_t vlen,
                   size_t block_bytes, int compression, int with_prop) {
  TdbVfs *vfs = NULL;
  TdbVfsFile *f = NULL;
  TdbSstBuilder *b = NULL;
  TdbSstOptions o;
  tdb_config cfg;
  unsigned char k[96];
  char *v = (char *)malloc(vlen + 1);
  unsigned i;
  int j, rc;
  if (!v) genDie("malloc", TDB_NOMEM);
  tdb_config_default(&cfg);
  tdbTableOptions(&cfg, &o);
  if (block_bytes) o.block_bytes = block_bytes;
  o.compression = compression;
  if ((rc = tdbVfsMemoryNew(&genMem, &vfs)) != TDB_OK) genDie("memory vfs", rc);
  rc = vfs->open_file(vfs, GEN_SST_PATH, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, NULL);
  if (rc != TDB_OK) genDie("open sst", rc);
  if ((rc = tdbSstBuilderNew(&genMem, &o, f, &b)) != TDB_OK) genDie("sst builder", rc);
  for (i = 0; i < nkeys; i++) {
    for (j = versions; j >= 1; j--) { /* newer versions sort first */
      size_t kn = genIkey(k, i * 2, 6, (uint64_t)(j * 10 + 1),
                          (j == 1 && i % 5 == 4) ? TDB_KIND_DELETE : TDB_KIND_VALUE);
      size_t x;
      for (x = 0; x < vlen; x++) v[x] = (char)('a' + (i + x) % 7);
      rc = tdbSstBuilderAdd(b, k, kn, v, vlen);
      if (rc != TDB_OK) genDie("sst add", rc);
    }
  }
  if (with_prop) tdbSstBuilderSetProperty(b, TDB_SST_PROP_USER, "engine-prop", 11);
  if ((rc = tdbSstBuilderFinish(b, NULL)) != TDB_OK) genDie("sst finish", rc);
  tdbSstBuilderFree(b);
  tdbVfsClose(f);
  genExport(vfs, GEN_SST_PATH, "fuzz_sstable", name);
  tdbVfsMemoryFree(vfs);
  free(v);
}

/* ---- blocks ---------------------------------------------------------------- */

static void genBlock(const char *name, unsigned n, int interval, int width, size_t vlen) {
  TdbBlockBuilder b;
  const unsigned char *out;
  size_t outn, x;
  unsigned char k[600];
  char v[64];
  unsigned i;
  tdbBlockBuilderInit(&b, &genMem, interval);
  for (i = 0; i < n; i++) {
    size_t kn = genIkey(k, i, width, 100 - i % 3, TDB_KIND_VALUE);
    for (x = 0; x < vlen && x < sizeof v; x++) v[x] = (char)('A' + (i + x) % 26);
    if (tdbBlockBuilderAdd(&b, k, kn, v, vlen < sizeof v ? vlen : sizeof v) != TDB_OK) {
      genDie("block add", TDB_NOMEM);
    }
  }
  if (tdbBlockBuilderFinish(&b, &out, &outn) != TDB_OK) genDie("block finish", TDB_NOMEM);
  genWrite("fuzz_block", name, out, outn);
  tdbBlockBuilderClear(&b);
}

/* ---- batches --------------------------------------------------------------- */

static void genBatch(const char *name, int nput, int ndel, int repeat) {
  TdbBatch b;
  TdbStr s;
  char k[32], v[32];
  int i;
  tdbBatchInit(&b, &genMem);
  tdbStrInit(&s, &genMem);
  for (i = 0; i < nput; i++) {
    snprintf(k, sizeof k, "key%02d", repeat ? i % 2 : i);
    snprintf(v, sizeof v, "v%d", i);
    tdbBatchPut(&b, k, strlen(k), v, strlen(v));
  }
  for (i = 0; i < ndel; i++) {
    snprintf(k, sizeof k, "key%02d", i);
    tdbBatchDelete(&b, k, strlen(k));
  }
  if (tdbBatchEncode(&b, 42, 1700000000000000, &s) != TDB_OK) genDie("batch", TDB_NOMEM);
  genWrite("fuzz_batch", name, s.z, s.n);
  tdbStrClear(&s);
  tdbBatchFree(&b);
}

/* ---- version edits --------------------------------------------------------- */

static void genEdit(const char *name, int counters, int nadd, int ndel, int levels) {
  TdbVersionEdit e;
  TdbStr s;
  unsigned char lo[32], hi[32];
  int i;
  tdbEditInit(&e);
  tdbStrInit(&s, &genMem);
  if (counters) {
    e.has_log_number = e.has_next_file = e.has_last_epoch = 1;
    e.log_number = 5;
    e.next_file = 100;
    e.last_epoch = 12345;
  }
  for (i = 0; i < nadd; i++) {
    size_t ln = genIkey(lo, (unsigned)i * 10, 4, 50, TDB_KIND_VALUE);
    size_t hn = genIkey(hi, (unsigned)i * 10 + 5, 4, 3, TDB_KIND_VALUE);
    TdbFileMeta *f = tdbFileMetaNew(&genMem, 10 + (uint64_t)i, 4096 * (uint64_t)(i + 1), lo,
                                    ln, hi, hn);
    if (!f) genDie("file meta", TDB_NOMEM);
    f->entries = 10;
    f->min_epoch = 1;
    f->max_epoch = 50;
    tdbEditAddFile(&genMem, &e, levels ? i % levels : 0, f);
    tdbFileMetaUnref(&genMem, f);
  }
  for (i = 0; i < ndel; i++) tdbEditDeleteFile(&genMem, &e, i % 2, 3 + (uint64_t)i);
  if (tdbEditEncode(&e, &s) != TDB_OK) genDie("edit", TDB_NOMEM);
  genWrite("fuzz_manifest_edit", name, s.z, s.n);
  tdbStrClear(&s);
  tdbEditClear(&genMem, &e);
}

/* ---- SQL --------------------------------------------------------------------- */

static const char *const genSql[] = {
    "SELECT 1;",
    "SELECT 1 + 2 AS three, 'tensor' || 'db' AS name, NULL IS NULL AS yes;",
    "SELECT CASE WHEN 7 > 5 THEN 'bigger' ELSE 'smaller' END AS comparison;",
    "SELECT CAST('42' AS INTEGER) + 1, CAST(2025 AS TEXT) || '-01-01';",
    "SELECT 10 / 4, 10.0 / 4, 7 % 3, -9223372036854775807 - 1;",
    "SELECT 1 WHERE 2 > 1; SELECT 2 WHERE FALSE;",
    "SELECT DISTINCT 1, 2.5e3, .25, X'0aff', 'it''s';",
    "SELECT 3 BETWEEN 1 AND 5, 4 NOT IN (1, 2, 3), 'abc' LIKE 'a%', 'ABC' ILIKE 'a_c';",
    "SELECT 'x' GLOB '*', 1 IS DISTINCT FROM NULL, NULL IS NOT DISTINCT FROM NULL;",
    "SELECT TRUE IS NOT FALSE, (1 < 2) IS TRUE, NOT (1 = 1) OR 2 <> 3;",
    "SELECT abs(-5), coalesce(NULL, 2), length('hello'), lower('ABC'), upper('x');",
    "SELECT nullif(1, 1), typeof(1.5), '12'::INTEGER, 3::TEXT, 1.5::REAL;",
    "SELECT $1, $2 + 1, ? || 'x';",
    "SELECT CAST('2025-01-01T00:00:00Z' AS TIMESTAMP), CAST(1 AS BOOLEAN);",
    "SELECT 1 /* comment */ + -- line comment\n 2;",
    "SELECT 1 / 0;",
    "SELECT 'unterminated",
    "SELECT ((((1))));",
    "SELECT CAST(1.5 AS DECIMAL(10, 2)), CAST('a' AS VARCHAR(3));",
    "SELECT *;",
    /* the function library */
    "SELECT substring('hello' FROM 2 FOR 3), trim(LEADING 'x' FROM 'xxa'), position('b' IN 'abc'), left('abc', -1), lpad('7', 3, '0');",
    "SELECT replace('a-b', '-', '+'), split_part('a,b,c', ',', -1), repeat('ab', 3), reverse('h\xc3\xa9'), initcap('hello world'), concat_ws('/', 1, NULL, 'x');",
    "SELECT round(2.675, 2), mod(-7, 3), power(2, 10), sqrt(2), ln(10), log(2, 8), sign(-1.5), pi(), random() < 1;",
    "SELECT now(), CURRENT_TIMESTAMP, EXTRACT(dow FROM now()), date_trunc('week', now()), to_char(now(), 'FMDay DD Mon YYYY HH24:MI:SS.US');",
    "SELECT INTERVAL '1 year 2 mons 3 days 04:05:06.5', CAST('2025-01-31' AS TIMESTAMP) + INTERVAL '1 month', now() - CAST(0 AS TIMESTAMP), INTERVAL '1 day' / 3;",
    "SELECT json_extract('{\"a\": [1, {\"b\": null}]}', '$.a[1].b', '$.a[#-1]'), json_object('k', json_array(1, 'x')), json_type('[]'), json_valid('{');",
    "SELECT greatest(1, NULL, 3), least('b', 'a'), iif(1 < 2, 'y', 'n'), coalesce(NULL, 1 / 1), nullif(2, 2), typeof(INTERVAL '1 day');",
};

/* OUTDIR/fuzz_sql.dict: a libFuzzer dictionary of the SQL keywords (from
** the library itself) and the punctuation of the grammar. */
static void genDict(void) {
  static const char *const punct[] = {"(", ")", ",", ";", "::", "||", "<>", "!=",
                                      "<=", ">=", "'", "\\\"", "$1", "?", "/*",
                                      "*/", "--", "X'", "1e308", ".5"};
  char path[1024];
  FILE *f;
  int i;
  snprintf(path, sizeof path, "%s/fuzz_sql.dict", genOut);
  f = fopen(path, "w");
  if (!f) genDie("write the dictionary", TDB_IOERR);
  for (i = 0; i < tdb_keyword_count(); i++) fprintf(f, "kw%d=\"%s\"\n", i, tdb_keyword_name(i));
  for (i = 0; i < (int)(sizeof punct / sizeof punct[0]); i++) {
    fprintf(f, "p%d=\"%s\"\n", i, punct[i]);
  }
  fclose(f);
}

int main(int argc, char **argv) {
  static unsigned char zeros[64];
  size_t i;
  if (argc != 2) {
    fprintf(stderr, "usage: gen_seeds OUTDIR\n");
    return 2;
  }
  genOut = argv[1];
  genMkdir(genOut);
  tdbMemInit(&genMem, NULL);

  genWal("empty", 0, 1, 0);
  genWal("one-batch", 1, 0, 0);
  genWal("batches", 12, 0, 0);
  genWal("small-records", 40, 20, 0);
  genWal("zero-length", 3, 1, 0);
  genWal("spanning", 2, 40000, 0);
  genWal("trailer", 2, 32768 - 7 - 7 - 7 - 3, 0); /* leaves < 7 bytes in block 0 */
  genWal("torn-tail", 5, 100, 30);
  genWrite("fuzz_wal", "zeros", zeros, sizeof zeros);

  genSst("empty", 0, 1, 8, 0, TDB_SST_COMPRESS_NONE, 0);
  genSst("one", 1, 1, 8, 0, TDB_SST_COMPRESS_NONE, 0);
  genSst("few", 12, 1, 10, 0, TDB_SST_COMPRESS_NONE, 1);
  genSst("versions", 6, 3, 6, 128, TDB_SST_COMPRESS_NONE, 0);
  genSst("blocks", 60, 1, 20, 256, TDB_SST_COMPRESS_NONE, 0);
  genSst("lz4", 40, 2, 40, 512, TDB_SST_COMPRESS_LZ4, 0);

  genBlock("empty", 0, 16, 4, 0);
  genBlock("one", 1, 16, 4, 3);
  genBlock("restarts", 40, 4, 6, 5);
  genBlock("interval1", 8, 1, 4, 1);
  genBlock("long-keys", 6, 2, 200, 10);

  genBatch("empty", 0, 0, 0);
  genBatch("puts", 5, 0, 0);
  genBatch("deletes", 0, 3, 0);
  genBatch("mixed", 4, 2, 0);
  genBatch("repeat", 6, 1, 1);

  genEdit("counters", 1, 0, 0, 0);
  genEdit("add-l0", 1, 3, 0, 0);
  genEdit("levels", 1, 7, 0, 4);
  genEdit("deletes", 0, 0, 3, 0);
  genEdit("mixed", 1, 4, 2, 3);

  for (i = 0; i < sizeof genSql / sizeof genSql[0]; i++) {
    char name[32];
    snprintf(name, sizeof name, "stmt%02u.sql", (unsigned)i);
    genWrite("fuzz_sql", name, genSql[i], strlen(genSql[i]));
  }
  genDict();
  printf("gen_seeds: wrote %d seeds under %s\n", genCount, genOut);
  return 0;
}
