/*
** fuzz_manifest_edit.c — libFuzzer harness for version edits (src/version.h),
** the records of the manifest: the input is one edit record.
**
** tdbEditDecode parses it; a decoded edit is then used the way manifest
** replay uses it. Invariants:
**   - decode -> encode -> decode -> encode is a fixed point (the encoding
**     of a decoded edit decodes to the same edit);
**   - every added file has keys of at least a tag and smallest <= largest;
**   - tdbVersionApply on an empty base (all levels, and 3 levels as a
**     smaller max_levels gives) either fails with TDB_CORRUPT or yields a
**     version whose levels >= 1 are sorted and disjoint, whose L0 is newest
**     first, and which holds every added file of the levels it has;
**   - on that version: level sizes, file search by every file's bounds,
**     overlap queries; applying the edit again; and an edit deleting every
**     file of the version must apply and leave it empty.
*/
#include "tensordb.c"
#include "fuzz_common.h"

static size_t fuzzUserLen(size_t n) {
  return n >= TDB_IKEY_TAG_SIZE ? n - TDB_IKEY_TAG_SIZE : n;
}

static void fuzzEditCheckVersion(TdbMem *mem, const TdbVersion *v,
                                 const TdbVersionEdit *e, int nlevels) {
  int l, i, added = 0;
  TdbVersionEdit del;
  TdbVersion *empty = NULL;
  FUZZ_CHECK(v->nlevels == nlevels, "version has another level count");
  /* e: the edit v was made from on an empty base (then v holds exactly its
  ** files of the levels it has); NULL for a version made on another base. */
  for (i = 0; e && i < e->nadd; i++) added += e->adds[i].level < nlevels;
  for (l = 0; l < nlevels; l++) {
    TdbFileMeta **got = NULL;
    int ngot = 0;
    size_t cap = 0;
    (void)tdbVersionLevelBytes(v, l);
    if (e) added -= v->nfiles[l];
    for (i = 0; i < v->nfiles[l]; i++) {
      const TdbFileMeta *f = v->files[l][i];
      FUZZ_CHECK(f->refs >= 2, "file of a version without the edit's reference");
      if (i > 0 && l == 0) {
        FUZZ_CHECK(v->files[0][i - 1]->number >= f->number, "L0 not newest first");
      }
      if (i > 0 && l > 0) {
        const TdbFileMeta *p = v->files[l][i - 1];
        FUZZ_CHECK(tdbIkeyCompareUser(p->largest, fuzzUserLen(p->largest_len),
                                      f->smallest, fuzzUserLen(f->smallest_len)) < 0,
                   "level files overlap");
      }
      if (l > 0) {
        int at = tdbVersionFindFile(v, l, f->largest, f->largest_len);
        FUZZ_CHECK(at == i, "FindFile by a file's largest key finds another file");
        at = tdbVersionFindFile(v, l, f->smallest, f->smallest_len);
        FUZZ_CHECK(at >= 0 && at <= v->nfiles[l], "FindFile out of range");
      }
      ngot = 0;
      FUZZ_CHECK(tdbVersionOverlapping(mem, v, l, f->smallest, fuzzUserLen(f->smallest_len),
                                       f->largest, fuzzUserLen(f->largest_len), &got,
                                       &ngot, &cap) == TDB_OK,
                 "overlap query");
      FUZZ_CHECK(ngot >= 1, "a file does not overlap its own range");
    }
    ngot = 0;
    FUZZ_CHECK(tdbVersionOverlapping(mem, v, l, NULL, 0, NULL, 0, &got, &ngot, &cap) ==
                   TDB_OK,
               "unbounded overlap query");
    FUZZ_CHECK(ngot == v->nfiles[l], "unbounded overlap misses files");
    tdbMemFree(mem, got);
  }
  FUZZ_CHECK(added == 0, "version does not hold exactly the added files");

  /* Delete everything: must apply and leave an empty version. */
  tdbEditInit(&del);
  for (l = 0; l < nlevels; l++) {
    for (i = 0; i < v->nfiles[l]; i++) {
      FUZZ_CHECK(tdbEditDeleteFile(mem, &del, l, v->files[l][i]->number) == TDB_OK,
                 "delete edit");
    }
  }
  FUZZ_CHECK(tdbVersionApply(mem, v, &del, nlevels, &empty) == TDB_OK,
             "deleting every file of a version fails");
  for (l = 0; l < nlevels; l++) FUZZ_CHECK(empty->nfiles[l] == 0, "file survived deletion");
  tdbVersionUnref(mem, empty);
  tdbEditClear(mem, &del);
}

static void fuzzEditApply(TdbMem *mem, const TdbVersionEdit *e, int nlevels) {
  TdbVersion *v = NULL, *v2 = NULL;
  int rc = tdbVersionApply(mem, NULL, e, nlevels, &v);
  if (rc != TDB_OK) {
    FUZZ_CHECK(rc == TDB_CORRUPT || rc == TDB_NOMEM, "apply code");
    FUZZ_CHECK(v == NULL, "failed apply left a version");
    return;
  }
  fuzzEditCheckVersion(mem, v, e, nlevels);
  rc = tdbVersionApply(mem, v, e, nlevels, &v2);
  if (rc == TDB_OK) {
    fuzzEditCheckVersion(mem, v2, NULL, nlevels);
    tdbVersionUnref(mem, v2);
  } else {
    FUZZ_CHECK(rc == TDB_CORRUPT || rc == TDB_NOMEM, "second apply code");
  }
  tdbVersionUnref(mem, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  TdbMem mem;
  TdbVersionEdit e, e2;
  TdbStr s1, s2;
  int i, rc;

  tdbMemInit(&mem, NULL);
  rc = tdbEditDecode(&mem, data, size, &e);
  if (rc != TDB_OK) {
    FUZZ_CHECK(rc == TDB_CORRUPT || rc == TDB_NOMEM, "decode code");
    FUZZ_CHECK(e.nadd == 0 && e.ndel == 0 && e.adds == NULL && e.dels == NULL,
               "failed decode left state behind");
    return 0;
  }
  for (i = 0; i < e.nadd; i++) {
    const TdbFileMeta *f = e.adds[i].meta;
    FUZZ_CHECK(e.adds[i].level >= 0 && e.adds[i].level < TDB_LEVELS_MAX, "add level");
    FUZZ_CHECK(f->smallest_len >= TDB_IKEY_TAG_SIZE && f->largest_len >= TDB_IKEY_TAG_SIZE,
               "file keys shorter than a tag");
    FUZZ_CHECK(tdbIkeyCompare(f->smallest, f->smallest_len, f->largest, f->largest_len) <= 0,
               "smallest > largest");
  }
  for (i = 0; i < e.ndel; i++) {
    FUZZ_CHECK(e.dels[i].level >= 0 && e.dels[i].level < TDB_LEVELS_MAX, "delete level");
  }

  /* Round trip. */
  tdbStrInit(&s1, &mem);
  tdbStrInit(&s2, &mem);
  FUZZ_CHECK(tdbEditEncode(&e, &s1) == TDB_OK, "encode");
  /* An empty edit encodes to nothing: s1.z is then NULL. */
  FUZZ_CHECK(tdbEditDecode(&mem, (const unsigned char *)(s1.z ? s1.z : ""), s1.n, &e2) ==
                 TDB_OK,
             "an encoded edit does not decode");
  FUZZ_CHECK(tdbEditEncode(&e2, &s2) == TDB_OK, "encode again");
  FUZZ_CHECK(s1.n == s2.n && (s1.n == 0 || memcmp(s1.z, s2.z, s1.n) == 0),
             "edit encoding is not a fixed point");
  FUZZ_CHECK(e2.nadd == e.nadd && e2.ndel == e.ndel, "round trip changed the edit");
  tdbEditClear(&mem, &e2);
  tdbStrClear(&s1);
  tdbStrClear(&s2);

  fuzzEditApply(&mem, &e, TDB_LEVELS_MAX);
  fuzzEditApply(&mem, &e, 3);

  tdbEditClear(&mem, &e);
  return 0;
}
