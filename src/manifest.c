/*
** manifest.c — the version set and its manifest log (see manifest.h).
*/
#include "manifest.h"
#include "filename.h"

#include <stdio.h>

TDB_PRIVATE int tdbErrFromVfs(TdbErr *err, int rc, const TdbVfsErr *verr, const char *what) {
  if (rc == TDB_NOMEM) return tdbErrNoMem(err);
  if (verr && verr->msg[0]) return tdbErrSet(err, rc, NULL, "%s: %s", what, verr->msg);
  return tdbErrSet(err, rc, NULL, "%s: %s", what, tdb_errstr(rc));
}

TDB_PRIVATE int tdbVsInit(TdbVersionSet *vs, TdbMem *mem, TdbVfs *vfs, const char *dir,
                          int nlevels) {
  memset(vs, 0, sizeof *vs);
  vs->mem = mem;
  vs->vfs = vfs;
  vs->dir = dir;
  vs->nlevels = nlevels;
  vs->next_file = 2; /* 1 is the first manifest of a new database */
  vs->current = tdbVersionNew(mem, nlevels);
  return vs->current ? TDB_OK : TDB_NOMEM;
}

TDB_PRIVATE void tdbVsClose(TdbVersionSet *vs) {
  tdbWalWriterClose(vs->manifest);
  vs->manifest = NULL;
  tdbVersionUnref(vs->mem, vs->current);
  vs->current = NULL;
}

TDB_PRIVATE uint64_t tdbVsNewFileNumber(TdbVersionSet *vs) {
  return vs->next_file++;
}

/* Read the whole (small) file `path` into a heap string. */
static int tdbVsReadSmallFile(TdbVersionSet *vs, const char *path, char **out, size_t *n,
                              TdbVfsErr *verr) {
  TdbVfsFile *f = NULL;
  uint64_t size = 0;
  size_t got = 0;
  char *buf;
  int rc = vs->vfs->open_file(vs->vfs, path, TDB_VFS_READ, &f, verr);
  if (rc != TDB_OK) return rc;
  rc = f->methods->get_size(f, &size, verr);
  if (rc == TDB_OK && size > 4096) rc = TDB_CORRUPT;
  buf = rc == TDB_OK ? tdbMemAlloc(vs->mem, (size_t)size + 1) : NULL;
  if (rc == TDB_OK && !buf) rc = TDB_NOMEM;
  if (rc == TDB_OK) rc = f->methods->read_at(f, 0, buf, (size_t)size, &got, verr);
  f->methods->close_file(f);
  if (rc != TDB_OK) {
    tdbMemFree(vs->mem, buf);
    return rc;
  }
  buf[got] = '\0';
  *out = buf;
  *n = got;
  return TDB_OK;
}

/* Replay the edits of manifest `number` into vs. */
static int tdbVsReplay(TdbVersionSet *vs, uint64_t number, TdbErr *err) {
  char *path = tdbFileName(vs->mem, vs->dir, TDB_FILE_MANIFEST, number);
  TdbWalReader *r = NULL;
  TdbVfsErr verr;
  int rc, nedits = 0;
  if (!path) return tdbErrNoMem(err);
  memset(&verr, 0, sizeof verr);
  rc = tdbWalReaderOpen(vs->mem, vs->vfs, path, number, &r, &verr);
  if (rc != TDB_OK) {
    rc = tdbErrFromVfs(err, rc == TDB_NOTFOUND ? TDB_CORRUPT_MANIFEST : rc, &verr,
                       "open manifest named by CURRENT");
    goto done;
  }
  for (;;) {
    const unsigned char *rec;
    size_t n;
    TdbVersionEdit e;
    TdbVersion *v = NULL;
    rc = tdbWalReadRecord(r, &rec, &n);
    if (rc == TDB_DONE) {
      /* a torn last edit was never acknowledged (edits are synced one by
      ** one): the state before it is the state to open */
      const TdbWalTail *tail = tdbWalReaderTail(r);
      if (tail && tail->torn && vs->log_fn) vs->log_fn(vs->log_ctx, TDB_LOG_WARN, tail->note);
      rc = TDB_OK;
      break;
    }
    if (rc != TDB_OK) {
      rc = tdbErrFromVfs(err, (rc & 0xff) == TDB_CORRUPT ? TDB_CORRUPT_MANIFEST : rc,
                         tdbWalReaderErr(r), "read manifest");
      goto done;
    }
    rc = tdbEditDecode(vs->mem, rec, n, &e);
    if (rc == TDB_OK) rc = tdbVersionApply(vs->mem, vs->current, &e, vs->nlevels, &v);
    if (rc != TDB_OK) {
      tdbEditClear(vs->mem, &e);
      if (rc == TDB_NOMEM) rc = tdbErrNoMem(err);
      else rc = tdbErrSet(err, TDB_CORRUPT_MANIFEST, NULL,
                          "manifest '%s': edit %d is malformed or inconsistent", path,
                          nedits + 1);
      goto done;
    }
    if (e.has_next_file && e.next_file > vs->next_file) vs->next_file = e.next_file;
    if (e.has_log_number) vs->log_number = e.log_number;
    if (e.has_last_epoch && e.last_epoch > vs->last_epoch) vs->last_epoch = e.last_epoch;
    tdbEditClear(vs->mem, &e);
    tdbVersionUnref(vs->mem, vs->current);
    vs->current = v;
    nedits++;
  }
  if (nedits == 0) {
    rc = tdbErrSet(err, TDB_CORRUPT_MANIFEST, NULL, "manifest '%s' holds no edit", path);
  }
done:
  tdbWalReaderClose(r);
  tdbMemFree(vs->mem, path);
  return rc;
}

TDB_PRIVATE int tdbVsRecover(TdbVersionSet *vs, TdbErr *err, int *exists) {
  char *path = tdbFileName(vs->mem, vs->dir, TDB_FILE_CURRENT, 0), *text = NULL;
  TdbVfsErr verr;
  uint64_t number = 0;
  size_t n = 0;
  int rc, present = 0;
  *exists = 0;
  if (!path) return tdbErrNoMem(err);
  memset(&verr, 0, sizeof verr);
  rc = vs->vfs->file_exists(vs->vfs, path, &present, &verr);
  if (rc != TDB_OK || !present) {
    tdbMemFree(vs->mem, path);
    return rc == TDB_OK ? TDB_OK : tdbErrFromVfs(err, rc, &verr, "look for CURRENT");
  }
  *exists = 1;
  rc = tdbVsReadSmallFile(vs, path, &text, &n, &verr);
  if (rc != TDB_OK) {
    rc = tdbErrFromVfs(err, rc == TDB_CORRUPT ? TDB_CORRUPT_MANIFEST : rc, &verr,
                       "read CURRENT");
    goto done;
  }
  if (n < 2 || text[n - 1] != '\n' ||
      (text[n - 1] = '\0', tdbFileParse(text, &number) != TDB_FILE_MANIFEST)) {
    rc = tdbErrSet(err, TDB_CORRUPT_MANIFEST, NULL,
                   "'%s' does not name a manifest", path);
    goto done;
  }
  rc = tdbVsReplay(vs, number, err);
  if (rc == TDB_OK && vs->next_file <= number) vs->next_file = number + 1;
  if (rc == TDB_OK) vs->manifest_number = number;
done:
  tdbMemFree(vs->mem, text);
  tdbMemFree(vs->mem, path);
  return rc;
}

/* An edit that recreates the whole current state. */
static int tdbVsSnapshotEdit(TdbVersionSet *vs, TdbVersionEdit *e) {
  int l, i, rc = TDB_OK;
  tdbEditInit(e);
  for (l = 0; rc == TDB_OK && l < vs->nlevels; l++) {
    for (i = 0; rc == TDB_OK && i < vs->current->nfiles[l]; i++) {
      rc = tdbEditAddFile(vs->mem, e, l, vs->current->files[l][i]);
    }
  }
  e->has_log_number = 1;
  e->log_number = vs->log_number;
  e->has_next_file = 1;
  e->next_file = vs->next_file;
  e->has_last_epoch = 1;
  e->last_epoch = vs->last_epoch;
  return rc;
}

/* Append an encoded edit to the manifest and sync it. */
static int tdbVsWriteEdit(TdbVersionSet *vs, const TdbVersionEdit *e, TdbErr *err) {
  TdbStr rec;
  int rc;
  tdbStrInit(&rec, vs->mem);
  rc = tdbEditEncode(e, &rec);
  if (rc == TDB_OK) rc = tdbWalAppend(vs->manifest, rec.z ? rec.z : "", rec.n);
  if (rc == TDB_OK) rc = tdbWalSync(vs->manifest);
  tdbStrClear(&rec);
  if (rc == TDB_NOMEM) return tdbErrNoMem(err);
  if (rc != TDB_OK) return tdbErrFromVfs(err, rc, tdbWalWriterErr(vs->manifest), "write manifest");
  return TDB_OK;
}

/* Point CURRENT at manifest `number` through a synced temp file and rename. */
static int tdbVsSetCurrent(TdbVersionSet *vs, uint64_t number, TdbErr *err) {
  char line[40];
  char *tmp = tdbFileName(vs->mem, vs->dir, TDB_FILE_TEMP, number);
  char *cur = tdbFileName(vs->mem, vs->dir, TDB_FILE_CURRENT, 0);
  TdbVfsFile *f = NULL;
  TdbVfsErr verr;
  int rc = TDB_OK, len;
  memset(&verr, 0, sizeof verr);
  if (!tmp || !cur) {
    rc = tdbErrNoMem(err);
    goto done;
  }
  len = snprintf(line, sizeof line, "MANIFEST-%06llu\n", (unsigned long long)number);
  rc = vs->vfs->open_file(vs->vfs, tmp, TDB_VFS_WRITE | TDB_VFS_CREATE, &f, &verr);
  if (rc == TDB_OK) rc = f->methods->truncate_to(f, 0, &verr);
  if (rc == TDB_OK) rc = f->methods->write_at(f, 0, line, (size_t)len, &verr);
  if (rc == TDB_OK) rc = f->methods->sync_data(f, &verr);
  if (f) f->methods->close_file(f);
  if (rc == TDB_OK) rc = vs->vfs->rename_file(vs->vfs, tmp, cur, &verr);
  if (rc == TDB_OK) rc = vs->vfs->sync_dir(vs->vfs, vs->dir, &verr);
  if (rc != TDB_OK) {
    vs->vfs->remove_file(vs->vfs, tmp, NULL);
    rc = tdbErrFromVfs(err, rc, &verr, "switch CURRENT");
  }
done:
  tdbMemFree(vs->mem, tmp);
  tdbMemFree(vs->mem, cur);
  return rc;
}

/* Start a new manifest holding a snapshot of the state, switch CURRENT. */
static int tdbVsStartManifest(TdbVersionSet *vs, TdbErr *err) {
  uint64_t number = tdbVsNewFileNumber(vs), old = vs->manifest_number;
  char *path = tdbFileName(vs->mem, vs->dir, TDB_FILE_MANIFEST, number);
  TdbVersionEdit snap;
  TdbVfsErr verr;
  int rc;
  memset(&verr, 0, sizeof verr);
  if (!path) return tdbErrNoMem(err);
  rc = tdbWalWriterOpen(vs->mem, vs->vfs, path, number, 0, &vs->manifest, &verr);
  if (rc != TDB_OK) {
    tdbMemFree(vs->mem, path);
    return tdbErrFromVfs(err, rc, &verr, "create manifest");
  }
  rc = tdbVsSnapshotEdit(vs, &snap);
  if (rc == TDB_OK) rc = tdbVsWriteEdit(vs, &snap, err);
  else rc = tdbErrNoMem(err);
  tdbEditClear(vs->mem, &snap);
  if (rc == TDB_OK) {
    int drc = vs->vfs->sync_dir(vs->vfs, vs->dir, &verr);
    if (drc != TDB_OK) rc = tdbErrFromVfs(err, drc, &verr, "sync database directory");
  }
  if (rc == TDB_OK) rc = tdbVsSetCurrent(vs, number, err);
  if (rc != TDB_OK) {
    tdbWalWriterClose(vs->manifest);
    vs->manifest = NULL;
    vs->vfs->remove_file(vs->vfs, path, NULL);
  } else {
    vs->manifest_number = number;
    if (old) { /* the previous manifest of this process is obsolete now */
      char *oldpath = tdbFileName(vs->mem, vs->dir, TDB_FILE_MANIFEST, old);
      if (oldpath) vs->vfs->remove_file(vs->vfs, oldpath, NULL);
      tdbMemFree(vs->mem, oldpath);
    }
  }
  tdbMemFree(vs->mem, path);
  return rc;
}

TDB_PRIVATE int tdbVsRollManifest(TdbVersionSet *vs, TdbErr *err) {
  TdbWalWriter *old = vs->manifest;
  int rc;
  vs->manifest = NULL;
  rc = tdbVsStartManifest(vs, err);
  if (rc != TDB_OK) {
    vs->manifest = old; /* still CURRENT's, and whole */
    return rc;
  }
  tdbWalWriterClose(old);
  return TDB_OK;
}

TDB_PRIVATE int tdbVsLogAndApply(TdbVersionSet *vs, TdbVersionEdit *e, TdbErr *err) {
  TdbVersion *v = NULL;
  int rc;
  if (!vs->manifest) {
    rc = tdbVsStartManifest(vs, err);
    if (rc != TDB_OK) return rc;
  }
  if (!e->has_log_number) {
    e->has_log_number = 1;
    e->log_number = vs->log_number;
  }
  if (!e->has_last_epoch || e->last_epoch < vs->last_epoch) {
    e->has_last_epoch = 1;
    e->last_epoch = vs->last_epoch;
  }
  e->has_next_file = 1;
  e->next_file = vs->next_file;
  rc = tdbVersionApply(vs->mem, vs->current, e, vs->nlevels, &v);
  if (rc != TDB_OK) {
    if (rc == TDB_NOMEM) return tdbErrNoMem(err);
    return tdbErrSet(err, TDB_INTERNAL, NULL, "version edit does not apply to the current version");
  }
  rc = tdbVsWriteEdit(vs, e, err);
  if (rc != TDB_OK) {
    /* the manifest may hold part of the edit: never append to it again */
    tdbWalWriterClose(vs->manifest);
    vs->manifest = NULL;
    tdbVersionUnref(vs->mem, v);
    return rc;
  }
  tdbVersionUnref(vs->mem, vs->current);
  vs->current = v;
  vs->log_number = e->log_number;
  vs->last_epoch = e->last_epoch;
  return TDB_OK;
}
