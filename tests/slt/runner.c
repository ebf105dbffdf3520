/*
** runner.c — tdb_slt, the sqllogictest runner of TensorDB.
**
**   tdb_slt [-v] [--engine NAME] PATH...    run .test files (a directory means
**                                           every *.test below it, sorted)
**   tdb_slt --self-test-md5                 check MD5 against RFC 1321 vectors
**
** Each file runs on a fresh database opened with tdb_open(":memory:") (or on
** disk, see `reopen` below), using only the public API of tensordb.h. The
** format is the one of the sqllogictest corpus (see tests/slt/README.md);
** records are separated by blank lines and lines starting with `#` are
** comments:
**
**   statement ok | statement error [SQLSTATE]     then the SQL (1+ lines)
**   query <I|T|R...> [nosort|rowsort|valuesort] [label]
**   <SQL>
**   ----
**   <expected values>  or  N values hashing to <md5 hex>
**   skipif NAME / onlyif NAME     (before a record; our engine is "tensordb")
**   hash-threshold N              results with > N values compare by hash
**   halt                          stop the file (may be conditioned)
**   reopen                        close the database and open it again
**   reopen empty                  close it and open a new, empty database
**
** TensorDB extensions and choices (also documented in tests/slt/README.md):
**  - `statement error 42601`: when the word after `error` is a 5-character
**    SQLSTATE (digits and upper-case letters, at least one digit), the
**    error's tdb_sqlstate() must equal it. Any other text after `statement
**    error` (regexes of other corpora), and any `----` section of a statement
**    (expected messages of other corpora), is ignored: any error passes.
**  - Expected values are one per line (the corpus form). When the number of
**    expected lines differs from the number of values the query returned,
**    the expected lines are split on blanks and tabs and the resulting list is
**    compared instead, so a test may write one ROW per line, values separated
**    by single spaces ("1 2 NULL"). Text values containing blanks must then
**    be written one per line.
**  - A `query` with no `----` line expects an empty result.
**  - Records whose SQL starts with CREATE TRIGGER, DROP TRIGGER or REINDEX
**    are skipped as "not a TensorDB feature" and counted per file.
**  - Lines starting with `#` are comments everywhere, including inside the
**    expected values (a text value cannot start with `#`).
**  - `reopen` (a record by itself: one line, no SQL) closes the database and
**    opens it again at the same path, so the records after it prove what
**    persisted. A file with a `reopen` record that its conditions do not
**    exclude runs on an on-disk database, in a fresh directory made with
**    mkdtemp() under $TMPDIR (else /tmp) and removed with everything in it
**    when the file ends; other files run on ":memory:". A `reopen` passes
**    when the close and the open succeed and counts as a record; if the open
**    fails, it fails and the rest of the file is not run. A directory that
**    cannot be made or removed is an I/O error (exit status 2).
**  - `reopen empty` closes the database and opens a new, empty one in the
**    same temporary directory (DIR/db2, DIR/db3, ...): the records after it
**    run on a fresh database (RESTORE into an empty database).
**  - `$DIR` in the SQL of a statement or query is replaced by that temporary
**    directory's path (backup directories); a file using it runs on disk.
**
** Value formatting follows the reference runner: NULL -> "NULL"; I -> the
** integer (BOOLEAN 1/0, REAL truncated toward zero); R -> "%.3f"; T -> the
** text, "" -> "(empty)", bytes outside 0x20..0x7e -> '@'. rowsort compares
** rows value by value with strcmp; valuesort sorts all values with strcmp.
** Hashes are the MD5 of every value followed by "\n", after sorting.
**
** Output: `FILE:LINE: FAIL <kind>` with SQL, expected, actual and error
** details; per file `FILE: P passed, F failed, S skipped`; last line
** `N passed, N failed, N skipped`. Exit status 0 = all passed, 1 = some
** record failed, 2 = usage or I/O error.
*/
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "md5.h"
#include "tensordb.h"

/* How many values of a list a failure report shows before truncating. */
#define SHOW_MAX_VALUES 40
/* Deepest directory nesting followed when collecting .test files. */
#define MAX_DIR_DEPTH 32

/* ---- small utilities -------------------------------------------------- */

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "tdb_slt: out of memory\n");
    exit(2);
  }
  return p;
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) {
    fprintf(stderr, "tdb_slt: out of memory\n");
    exit(2);
  }
  return q;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = xmalloc(n);
  memcpy(p, s, n);
  return p;
}

/* A growable array of owned strings. */
typedef struct StrList {
  char **v;
  size_t n, cap;
} StrList;

/* Append s to the list; the list takes ownership of s. */
static void strListPushOwned(StrList *l, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = xrealloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n++] = s;
}

static void strListPush(StrList *l, const char *s) { strListPushOwned(l, xstrdup(s)); }

static void strListFree(StrList *l) {
  size_t i;
  for (i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

/* A growable byte buffer, always NUL-terminated once something was added. */
typedef struct Buf {
  char *p;
  size_t n, cap;
} Buf;

static void bufAppend(Buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = xrealloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void bufAppendStr(Buf *b, const char *s) { bufAppend(b, s, strlen(s)); }

static int endsWith(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int isBlankLine(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return *s == '\0';
}

static int isCommentLine(const char *s) { return s[0] == '#'; }

/* Split `line` on blanks/tabs into at most `max` tokens, stopping at a token
** that starts with '#' (a trailing comment). The tokens are copied into
** `store` (of `cap` bytes), which tok[] points into. Returns the count. */
static int tokenize(const char *line, char *store, size_t cap, char **tok, int max) {
  int n = 0;
  size_t used = 0;
  const char *p = line;
  while (n < max) {
    size_t len;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\0' || *p == '#') break;
    len = 0;
    while (p[len] && p[len] != ' ' && p[len] != '\t') len++;
    if (used + len + 1 > cap) break;
    memcpy(store + used, p, len);
    store[used + len] = '\0';
    tok[n++] = store + used;
    used += len + 1;
    p += len;
  }
  return n;
}

static void md5OfList(char *const *v, size_t n, char hex[33]) {
  SltMd5 m;
  size_t i;
  sltMd5Init(&m);
  for (i = 0; i < n; i++) {
    sltMd5Update(&m, v[i], strlen(v[i]));
    sltMd5Update(&m, "\n", 1);
  }
  sltMd5Hex(&m, hex);
}

/* ---- the script: a file split into lines ------------------------------- */

typedef struct Script {
  const char *path;
  char *text;     /* the whole file, '\n' replaced by NUL */
  char **line;    /* line[i] is line i+1 of the file, '\r' stripped */
  int nline;
} Script;

/* Read the file at path into *s. Returns 0, or -1 with a message printed. */
static int scriptLoad(Script *s, const char *path) {
  FILE *f = fopen(path, "rb");
  size_t cap = 65536, n = 0, i;
  int nl = 0;
  memset(s, 0, sizeof *s);
  s->path = path;
  if (!f) {
    fprintf(stderr, "tdb_slt: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  s->text = xmalloc(cap);
  for (;;) {
    size_t got;
    if (n + 1 >= cap) {
      cap *= 2;
      s->text = xrealloc(s->text, cap);
    }
    got = fread(s->text + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    fprintf(stderr, "tdb_slt: cannot read %s: %s\n", path, strerror(errno));
    fclose(f);
    free(s->text);
    s->text = NULL;
    return -1;
  }
  fclose(f);
  s->text[n] = '\0';
  /* count lines: a final line without '\n' still counts */
  for (i = 0; i < n; i++)
    if (s->text[i] == '\n') nl++;
  s->line = xmalloc(((size_t)nl + 1) * sizeof *s->line);
  {
    char *p = s->text, *end = s->text + n;
    while (p < end) {
      char *e = memchr(p, '\n', (size_t)(end - p));
      if (!e) e = end;
      *e = '\0';
      if (e > p && e[-1] == '\r') e[-1] = '\0';
      /* a NUL byte inside a line ends it early; that is fine for a script */
      s->line[s->nline++] = p;
      p = e + 1;
    }
  }
  return 0;
}

static void scriptFree(Script *s) {
  free(s->text);
  free(s->line);
  memset(s, 0, sizeof *s);
}

/* ---- records --------------------------------------------------------- */

typedef enum RecKind {
  REC_STATEMENT,
  REC_QUERY,
  REC_HALT,
  REC_HASH_THRESHOLD,
  REC_REOPEN,
  REC_BAD /* malformed: `bad` says why */
} RecKind;

typedef enum SortMode { SORT_NONE, SORT_ROW, SORT_VALUE } SortMode;

typedef struct Record {
  RecKind kind;
  int lineno;          /* line of the record's header (1-based) */
  int skip;            /* a skipif/onlyif condition excludes this engine */
  char bad[160];       /* REC_BAD: the reason */
  int unknownType;     /* REC_BAD because the record type word is unknown */
  /* statement */
  int expectError;
  char sqlstate[6];    /* "" = any error */
  /* query */
  char types[64];      /* the type letters */
  SortMode sort;
  char label[64];      /* "" = none */
  int hasResults;      /* a `----` line was present */
  int resFirst, resCount; /* result lines: script line indexes (comments removed later) */
  /* reopen: 1 for `reopen empty` */
  int fresh;
  /* hash-threshold */
  long threshold;
  /* statement and query */
  Buf sql;             /* the SQL text, lines joined by '\n' */
  int sqlLine;         /* line of the first SQL line */
} Record;

static void recordFree(Record *r) { free(r->sql.p); }

/* 1 if t looks like a SQLSTATE: 5 characters of digits and upper-case
** letters, at least one a digit (so a word such as "TABLE" is not one). */
static int isSqlstateToken(const char *t) {
  int i, digits = 0;
  for (i = 0; i < 5; i++) {
    if (t[i] >= '0' && t[i] <= '9') digits++;
    else if (t[i] < 'A' || t[i] > 'Z') return 0;
  }
  return t[5] == '\0' && digits > 0;
}

/* 1 if line is the `----` separator (trailing blanks allowed). */
static int isSeparator(const char *line) {
  if (strncmp(line, "----", 4) != 0) return 0;
  return isBlankLine(line + 4);
}

/* Advance *pos past the rest of a malformed record (to the next blank line). */
static void skipToBlank(const Script *s, int *pos) {
  while (*pos < s->nline && !isBlankLine(s->line[*pos])) (*pos)++;
}

/* Read the next record of the script starting at line index *pos, leaving
** *pos after it. `engine` decides skipif/onlyif. Returns 0 at the end of the
** script, else 1 with *r filled (r->kind REC_BAD for a malformed record;
** *r must be freed with recordFree() either way). */
static int parseRecord(const Script *s, int *pos, const char *engine, Record *r) {
  char store[512];
  char *tok[8];
  int ntok;
  memset(r, 0, sizeof *r);
  /* skip blank lines and comments between records */
  while (*pos < s->nline && (isBlankLine(s->line[*pos]) || isCommentLine(s->line[*pos])))
    (*pos)++;
  if (*pos >= s->nline) return 0;

  /* conditions */
  for (;;) {
    const char *line = s->line[*pos];
    r->lineno = *pos + 1;
    ntok = tokenize(line, store, sizeof store, tok, 8);
    if (ntok >= 1 && (strcmp(tok[0], "skipif") == 0 || strcmp(tok[0], "onlyif") == 0)) {
      if (ntok < 2) {
        r->kind = REC_BAD;
        snprintf(r->bad, sizeof r->bad, "%s without an engine name", tok[0]);
        skipToBlank(s, pos);
        return 1;
      }
      if (tok[0][0] == 's' && strcmp(tok[1], engine) == 0) r->skip = 1;
      if (tok[0][0] == 'o' && strcmp(tok[1], engine) != 0) r->skip = 1;
      (*pos)++;
      while (*pos < s->nline && isCommentLine(s->line[*pos])) (*pos)++;
      if (*pos >= s->nline || isBlankLine(s->line[*pos])) {
        r->kind = REC_BAD;
        snprintf(r->bad, sizeof r->bad, "condition not followed by a record");
        return 1;
      }
      continue;
    }
    break;
  }

  /* the header (tok[] still holds its tokens) */
  (*pos)++;
  if (ntok == 0) { /* cannot happen: the line is neither blank nor a comment */
    r->kind = REC_BAD;
    snprintf(r->bad, sizeof r->bad, "empty record header");
    skipToBlank(s, pos);
    return 1;
  }
  if (strcmp(tok[0], "halt") == 0) {
    r->kind = REC_HALT;
    skipToBlank(s, pos);
    return 1;
  }
  if (strcmp(tok[0], "reopen") == 0) {
    r->kind = REC_REOPEN;
    if (ntok == 2 && strcmp(tok[1], "empty") == 0) {
      r->fresh = 1;
      ntok = 1;
    }
    if (ntok > 1) {
      r->kind = REC_BAD;
      snprintf(r->bad, sizeof r->bad, "unexpected `%.40s` after reopen", tok[1]);
    } else {
      int k;
      for (k = *pos; k < s->nline && !isBlankLine(s->line[k]); k++) {
        if (!isCommentLine(s->line[k])) {
          r->kind = REC_BAD;
          snprintf(r->bad, sizeof r->bad, "reopen is a record by itself (no SQL after it)");
          break;
        }
      }
    }
    skipToBlank(s, pos);
    return 1;
  }
  if (strcmp(tok[0], "hash-threshold") == 0) {
    char *end = NULL;
    r->kind = REC_HASH_THRESHOLD;
    if (ntok >= 2) {
      errno = 0;
      r->threshold = strtol(tok[1], &end, 10);
    }
    if (ntok < 2 || errno != 0 || !end || *end != '\0' || r->threshold < 0) {
      r->kind = REC_BAD;
      snprintf(r->bad, sizeof r->bad, "hash-threshold needs a non-negative integer");
    }
    skipToBlank(s, pos);
    return 1;
  }
  if (strcmp(tok[0], "statement") == 0) {
    r->kind = REC_STATEMENT;
    if (ntok >= 2 && strcmp(tok[1], "ok") == 0) {
      r->expectError = 0;
    } else if (ntok >= 2 && strcmp(tok[1], "error") == 0) {
      r->expectError = 1;
      if (ntok == 3 && isSqlstateToken(tok[2])) {
        memcpy(r->sqlstate, tok[2], 6);
      }
    } else {
      r->kind = REC_BAD;
      snprintf(r->bad, sizeof r->bad, "expected `statement ok` or `statement error`");
      skipToBlank(s, pos);
      return 1;
    }
  } else if (strcmp(tok[0], "query") == 0) {
    size_t i;
    r->kind = REC_QUERY;
    if (ntok < 2 || strlen(tok[1]) >= sizeof r->types) {
      r->kind = REC_BAD;
      snprintf(r->bad, sizeof r->bad, "query needs its column types (e.g. `query IT`)");
      skipToBlank(s, pos);
      return 1;
    }
    for (i = 0; tok[1][i]; i++) {
      if (tok[1][i] != 'I' && tok[1][i] != 'T' && tok[1][i] != 'R') {
        r->kind = REC_BAD;
        snprintf(r->bad, sizeof r->bad, "unknown column type '%c' (use I, T, R)", tok[1][i]);
        skipToBlank(s, pos);
        return 1;
      }
    }
    memcpy(r->types, tok[1], strlen(tok[1]) + 1);
    r->sort = SORT_NONE;
    if (ntok >= 3) {
      if (strcmp(tok[2], "nosort") == 0) r->sort = SORT_NONE;
      else if (strcmp(tok[2], "rowsort") == 0) r->sort = SORT_ROW;
      else if (strcmp(tok[2], "valuesort") == 0) r->sort = SORT_VALUE;
      else {
        r->kind = REC_BAD;
        snprintf(r->bad, sizeof r->bad, "unknown sort mode `%.40s`", tok[2]);
        skipToBlank(s, pos);
        return 1;
      }
    }
    if (ntok >= 4) {
      if (strlen(tok[3]) >= sizeof r->label) {
        r->kind = REC_BAD;
        snprintf(r->bad, sizeof r->bad, "label too long");
        skipToBlank(s, pos);
        return 1;
      }
      memcpy(r->label, tok[3], strlen(tok[3]) + 1);
    }
    if (ntok >= 5) {
      r->kind = REC_BAD;
      snprintf(r->bad, sizeof r->bad, "unexpected `%.40s` after the query label", tok[4]);
      skipToBlank(s, pos);
      return 1;
    }
  } else {
    r->kind = REC_BAD;
    r->unknownType = 1;
    snprintf(r->bad, sizeof r->bad, "unknown record type `%.40s`", tok[0]);
    skipToBlank(s, pos);
    return 1;
  }

  /* the SQL: up to a blank line, or for a query up to `----` */
  r->sqlLine = *pos + 1;
  while (*pos < s->nline && !isBlankLine(s->line[*pos])) {
    const char *line = s->line[*pos];
    if (isSeparator(line)) break;
    (*pos)++;
    if (isCommentLine(line)) continue;
    if (r->sql.n) bufAppend(&r->sql, "\n", 1);
    bufAppendStr(&r->sql, line);
  }
  if (r->sql.n == 0 || isBlankLine(r->sql.p)) {
    r->kind = REC_BAD;
    snprintf(r->bad, sizeof r->bad, "record without SQL");
    skipToBlank(s, pos);
    return 1;
  }
  if (r->kind == REC_STATEMENT) {
    /* other corpora put an expected error message after `----`: ignored */
    skipToBlank(s, pos);
  } else if (*pos < s->nline && isSeparator(s->line[*pos])) {
    (*pos)++;
    r->hasResults = 1;
    r->resFirst = *pos;
    while (*pos < s->nline && !isBlankLine(s->line[*pos])) (*pos)++;
    r->resCount = *pos - r->resFirst;
  }
  return 1;
}

/* 1 if the SQL (after blanks and `--` comments) starts with a statement
** TensorDB deliberately lacks: CREATE [TEMP|TEMPORARY] TRIGGER, DROP
** TRIGGER, REINDEX. */
static int isUnsupportedFeature(const char *sql) {
  char store[256];
  char *tok[4];
  const char *p = sql;
  int n, i;
  for (;;) {
    while (*p && isspace((unsigned char)*p)) p++;
    if (p[0] == '-' && p[1] == '-') {
      while (*p && *p != '\n') p++;
      continue;
    }
    break;
  }
  {
    /* tokenize the first few words of the first line, upper-cased */
    char first[256];
    size_t k = 0;
    while (p[k] && p[k] != '\n' && k + 1 < sizeof first) {
      first[k] = (char)toupper((unsigned char)p[k]);
      if (first[k] == '(' || first[k] == ';') first[k] = ' ';
      k++;
    }
    first[k] = '\0';
    n = tokenize(first, store, sizeof store, tok, 4);
  }
  if (n >= 1 && strcmp(tok[0], "REINDEX") == 0) return 1;
  if (n >= 2 && strcmp(tok[0], "DROP") == 0 && strcmp(tok[1], "TRIGGER") == 0) return 1;
  if (n >= 2 && strcmp(tok[0], "CREATE") == 0) {
    i = 1;
    if (n >= 3 && (strcmp(tok[1], "TEMP") == 0 || strcmp(tok[1], "TEMPORARY") == 0)) i = 2;
    if (strcmp(tok[i], "TRIGGER") == 0) return 1;
  }
  return 0;
}

/* ---- running a file ---------------------------------------------------- */

typedef struct LabelHash {
  char label[64];
  char hash[33];
  int lineno;
} LabelHash;

typedef struct FileRun {
  const char *path;
  const char *engine;
  int verbose;
  tdb *db;
  char *dir;           /* on-disk run: the mkdtemp() directory, else NULL */
  char *dbpath;        /* the path given to tdb_open(): ":memory:", dir/db, dir/dbN */
  int ndb;             /* databases opened so far (`reopen empty` opens dir/db<ndb + 1>) */
  long threshold;      /* hash-threshold: 0 = never hash */
  int passed, failed, skipped, unsupported;
  LabelHash *labels;
  size_t nlabels;
} FileRun;

/* Print the header of a failure report: location, kind, SQL. */
static void failHead(FileRun *fr, const Record *r, const char *kind) {
  const char *p;
  printf("%s:%d: FAIL %s\n", fr->path, r->lineno, kind);
  if (r->sql.n) {
    printf("  sql:\n");
    p = r->sql.p;
    while (*p) {
      const char *e = strchr(p, '\n');
      int len = e ? (int)(e - p) : (int)strlen(p);
      printf("    %.*s\n", len, p);
      if (!e) break;
      p = e + 1;
    }
  }
}

/* Print `what` and the values v[0..n-1], ncols per line, truncated. */
static void showValues(const char *what, char *const *v, size_t n, int ncols) {
  size_t i, show = n < SHOW_MAX_VALUES ? n : SHOW_MAX_VALUES;
  printf("  %s (%zu value%s):\n", what, n, n == 1 ? "" : "s");
  if (ncols < 1) ncols = 1;
  for (i = 0; i < show; i++) {
    if (i % (size_t)ncols == 0) printf("    ");
    printf("%s", v[i]);
    printf((i % (size_t)ncols == (size_t)ncols - 1 || i + 1 == show) ? "\n" : " ");
  }
  if (show < n) printf("    ... (%zu more)\n", n - show);
}

static void showError(tdb *db) {
  printf("  error: %s\n  sqlstate: %s\n", tdb_errmsg(db), tdb_sqlstate(db));
}

/* Run every statement of sql, stepping through any rows. Returns TDB_OK, or
** the first error code; then errmsg/sqlstate (copied before finalizing) hold
** the details. */
static int execAll(tdb *db, const char *sql, char *errmsg, size_t errcap, char sqlstate[6]) {
  const char *p = sql;
  int rc = TDB_OK;
  errmsg[0] = '\0';
  memcpy(sqlstate, "00000", 6);
  while (p && *p) {
    tdb_stmt *st = NULL;
    const char *tail = NULL;
    rc = tdb_prepare(db, p, -1, &st, &tail);
    if (rc != TDB_OK) goto error;
    if (!st) break; /* only blanks or comments left */
    do rc = tdb_step(st);
    while (rc == TDB_ROW);
    if (rc != TDB_DONE) {
      snprintf(errmsg, errcap, "%s", tdb_errmsg(db));
      snprintf(sqlstate, 6, "%s", tdb_sqlstate(db));
      tdb_finalize(st);
      return rc;
    }
    rc = TDB_OK;
    tdb_finalize(st);
    if (!tail || tail == p) break;
    p = tail;
  }
  return TDB_OK;
error:
  snprintf(errmsg, errcap, "%s", tdb_errmsg(db));
  snprintf(sqlstate, 6, "%s", tdb_sqlstate(db));
  return rc;
}

/* Run a statement record; returns 1 if it passed. */
static int runStatement(FileRun *fr, const Record *r) {
  char errmsg[1024], state[6];
  int rc = execAll(fr->db, r->sql.p, errmsg, sizeof errmsg, state);
  if (!r->expectError) {
    if (rc == TDB_OK) return 1;
    failHead(fr, r, "statement ok failed");
    printf("  error: %s\n  sqlstate: %s\n", errmsg, state);
    return 0;
  }
  if (rc == TDB_OK) {
    failHead(fr, r, "statement error succeeded");
    if (r->sqlstate[0]) printf("  expected sqlstate: %s\n", r->sqlstate);
    return 0;
  }
  if (r->sqlstate[0]) {
    if (strcmp(state, r->sqlstate) != 0) {
      failHead(fr, r, "wrong sqlstate");
      printf("  expected sqlstate: %s\n  error: %s\n  sqlstate: %s\n", r->sqlstate, errmsg,
             state);
      return 0;
    }
  }
  return 1;
}

/* Write d as "%.3f" the way the reference runner prints it (SQLite's printf):
** the value is first rounded to 16 significant digits, then to 3 decimals,
** half away from zero, so 2.0005 prints 2.001 and -9223372036854775808.0
** prints -9223372036854776000.000. `out` needs 400 bytes for any double. */
static void formatReal(double d, char *out, size_t cap) {
  char e[64], dig[16], res[400];
  int exp10, nint, n = 0, k, rd;
  const char *p;
  if (isnan(d)) {
    snprintf(out, cap, "NaN");
    return;
  }
  if (isinf(d)) {
    snprintf(out, cap, d < 0 ? "-Inf" : "Inf");
    return;
  }
  /* 16 significant digits, correctly rounded by the C library */
  snprintf(e, sizeof e, "%.15e", fabs(d));
  p = e;
  dig[0] = *p++;
  if (*p == '.') p++;
  for (k = 1; k < 16; k++) dig[k] = (*p >= '0' && *p <= '9') ? *p++ : '0';
  exp10 = (*p == 'e') ? atoi(p + 1) : 0;
  /* res = round(|d| * 1000) in decimal: nint digits before the rounding digit */
  nint = exp10 + 4;
  for (k = 0; k < nint && n < (int)sizeof res - 8; k++) res[n++] = k < 16 ? dig[k] : '0';
  rd = (nint >= 0 && nint < 16) ? dig[nint] - '0' : 0;
  if (rd >= 5) {
    for (k = n - 1; k >= 0; k--) {
      if (res[k] == '9') {
        res[k] = '0';
      } else {
        res[k]++;
        break;
      }
    }
    if (k < 0) { /* all nines (or no digits): prepend a 1 */
      memmove(res + 1, res, (size_t)n);
      res[0] = '1';
      n++;
    }
  }
  while (n < 4) { /* at least "0" before the point and three decimals */
    memmove(res + 1, res, (size_t)n);
    res[0] = '0';
    n++;
  }
  snprintf(out, cap, "%s%.*s.%.3s", d < 0 ? "-" : "", n - 3, res, res + n - 3);
}

/* Format column `col` of the current row of st for type letter `type`, the
** way the reference runner does. Returns a malloc'ed string. */
static char *formatValue(tdb_stmt *st, int col, char type) {
  char num[64];
  int t = tdb_column_type(st, col);
  if (t == TDB_TYPE_NULL) return xstrdup("NULL");
  switch (type) {
    case 'I': {
      int64_t v;
      if (t == TDB_TYPE_REAL) {
        /* truncate toward zero like a C cast, clamped so it is defined */
        double d = tdb_column_double(st, col);
        if (isnan(d)) v = 0;
        else if (d >= 9223372036854775807.0) v = INT64_MAX;
        else if (d <= -9223372036854775808.0) v = INT64_MIN;
        else v = (int64_t)d;
      } else {
        v = tdb_column_int64(st, col);
      }
      snprintf(num, sizeof num, "%lld", (long long)v);
      return xstrdup(num);
    }
    case 'R': {
      char real[400];
      formatReal(tdb_column_double(st, col), real, sizeof real);
      return xstrdup(real);
    }
    default: {
      const char *s = tdb_column_text(st, col);
      char *out;
      size_t i, n;
      if (!s) return xstrdup("NULL");
      if (!s[0]) return xstrdup("(empty)");
      n = strlen(s);
      out = xmalloc(n + 1);
      for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c < 0x20 || c > 0x7e) ? '@' : (char)c;
      }
      out[n] = '\0';
      return out;
    }
  }
}

/* qsort comparators: rows of sortNcols values (the context qsort lacks) */
static int sortNcols;

static int cmpRow(const void *a, const void *b) {
  char *const *ra = *(char *const *const *)a;
  char *const *rb = *(char *const *const *)b;
  int i;
  for (i = 0; i < sortNcols; i++) {
    int c = strcmp(ra[i], rb[i]);
    if (c) return c;
  }
  return 0;
}

static int cmpValue(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the values v (n of them, ncols per row) in place by mode. */
static void sortValues(StrList *v, int ncols, SortMode mode) {
  if (mode == SORT_VALUE && v->n > 1) {
    qsort(v->v, v->n, sizeof *v->v, cmpValue);
  } else if (mode == SORT_ROW && ncols > 0 && v->n > 0) {
    size_t nrows = v->n / (size_t)ncols, i;
    char ***rows = xmalloc(nrows * sizeof *rows);
    char **flat = xmalloc(v->n * sizeof *flat);
    for (i = 0; i < nrows; i++) rows[i] = v->v + i * (size_t)ncols;
    sortNcols = ncols;
    qsort(rows, nrows, sizeof *rows, cmpRow);
    for (i = 0; i < nrows; i++) memcpy(flat + i * (size_t)ncols, rows[i], (size_t)ncols * sizeof *flat);
    memcpy(v->v, flat, v->n * sizeof *flat);
    free(flat);
    free(rows);
  }
}

/* Parse "N values hashing to H" into *n and hash; returns 1 if it matches. */
static int parseHashLine(const char *line, long *n, char hash[33]) {
  char store[256];
  char *tok[6];
  char *end;
  size_t i;
  if (tokenize(line, store, sizeof store, tok, 6) != 5) return 0;
  if (strcmp(tok[1], "values") != 0 || strcmp(tok[2], "hashing") != 0 || strcmp(tok[3], "to") != 0)
    return 0;
  errno = 0;
  *n = strtol(tok[0], &end, 10);
  if (errno || *end || *n < 0) return 0;
  if (strlen(tok[4]) != 32) return 0;
  for (i = 0; i < 32; i++) {
    if (!isxdigit((unsigned char)tok[4][i])) return 0;
    hash[i] = (char)tolower((unsigned char)tok[4][i]);
  }
  hash[32] = '\0';
  return 1;
}

/* Check (and remember) the hash of a labelled query. Returns 1 if it is
** consistent with earlier queries of the same label in this file. */
static int checkLabel(FileRun *fr, const Record *r, const char *hash, int *firstLine,
                      char firstHash[33]) {
  size_t i;
  for (i = 0; i < fr->nlabels; i++) {
    if (strcmp(fr->labels[i].label, r->label) == 0) {
      *firstLine = fr->labels[i].lineno;
      memcpy(firstHash, fr->labels[i].hash, 33);
      return strcmp(fr->labels[i].hash, hash) == 0;
    }
  }
  fr->labels = xrealloc(fr->labels, (fr->nlabels + 1) * sizeof *fr->labels);
  memcpy(fr->labels[fr->nlabels].label, r->label, sizeof r->label);
  memcpy(fr->labels[fr->nlabels].hash, hash, 33);
  fr->labels[fr->nlabels].lineno = r->lineno;
  fr->nlabels++;
  return 1;
}

/* Run a query record; returns 1 if it passed. */
static int runQuery(FileRun *fr, const Script *s, const Record *r) {
  tdb_stmt *st = NULL;
  const char *tail = NULL;
  StrList actual = {0}, expected = {0};
  int ncols = (int)strlen(r->types), rc, ok = 0, i;
  char ahash[33];
  int isHash = 0;
  long hashN = 0;
  char ehash[33] = "";

  rc = tdb_prepare(fr->db, r->sql.p, -1, &st, &tail);
  if (rc != TDB_OK || !st) {
    failHead(fr, r, rc != TDB_OK ? "query error" : "query without a statement");
    if (rc != TDB_OK) showError(fr->db);
    tdb_finalize(st);
    return 0;
  }
  if (tail && !isBlankLine(tail)) {
    /* more than one statement: allowed only if the rest is empty (";", comments) */
    tdb_stmt *st2 = NULL;
    int rc2 = tdb_prepare(fr->db, tail, -1, &st2, NULL);
    tdb_finalize(st2);
    if (rc2 != TDB_OK || st2) {
      failHead(fr, r, "malformed record");
      printf("  a query record must hold exactly one statement\n");
      tdb_finalize(st);
      return 0;
    }
  }
  if (tdb_column_count(st) != ncols) {
    failHead(fr, r, "column count");
    printf("  expected %d column%s (%s), the query has %d\n", ncols, ncols == 1 ? "" : "s",
           r->types, tdb_column_count(st));
    tdb_finalize(st);
    return 0;
  }
  while ((rc = tdb_step(st)) == TDB_ROW) {
    for (i = 0; i < ncols; i++) strListPushOwned(&actual, formatValue(st, i, r->types[i]));
  }
  if (rc != TDB_DONE) {
    failHead(fr, r, "query error");
    showError(fr->db);
    if (actual.n) showValues("rows before the error", actual.v, actual.n, ncols);
    tdb_finalize(st);
    strListFree(&actual);
    return 0;
  }
  tdb_finalize(st);
  sortValues(&actual, ncols, r->sort);
  md5OfList(actual.v, actual.n, ahash);

  /* the expected values, comments removed */
  {
    int k, nlines = 0, first = -1;
    for (k = 0; k < r->resCount; k++) {
      const char *line = s->line[r->resFirst + k];
      if (isCommentLine(line)) continue;
      if (first < 0) first = r->resFirst + k;
      nlines++;
    }
    if (nlines == 1 && parseHashLine(s->line[first], &hashN, ehash)) {
      isHash = 1;
    } else {
      for (k = 0; k < r->resCount; k++) {
        const char *line = s->line[r->resFirst + k];
        if (!isCommentLine(line)) strListPush(&expected, line);
      }
      if (expected.n != actual.n) {
        /* the one-row-per-line form: split every line on blanks */
        StrList split = {0};
        size_t j;
        for (j = 0; j < expected.n; j++) {
          const char *p = expected.v[j];
          for (;;) {
            size_t len = 0;
            while (*p == ' ' || *p == '\t') p++;
            if (!*p) break;
            while (p[len] && p[len] != ' ' && p[len] != '\t') len++;
            {
              char *v = xmalloc(len + 1);
              memcpy(v, p, len);
              v[len] = '\0';
              strListPushOwned(&split, v);
            }
            p += len;
          }
        }
        strListFree(&expected);
        expected = split;
      }
    }
  }

  if (isHash) {
    if ((size_t)hashN != actual.n) {
      failHead(fr, r, "wrong value count");
      printf("  expected: %ld values hashing to %s\n  actual: %zu values hashing to %s\n", hashN,
             ehash, actual.n, ahash);
      showValues("actual", actual.v, actual.n, ncols);
    } else if (strcmp(ehash, ahash) != 0) {
      failHead(fr, r, "wrong hash");
      printf("  expected: %ld values hashing to %s\n  actual: %zu values hashing to %s\n", hashN,
             ehash, actual.n, ahash);
      showValues("actual", actual.v, actual.n, ncols);
    } else {
      ok = 1;
    }
  } else if (fr->threshold > 0 && actual.n > (size_t)fr->threshold) {
    md5OfList(expected.v, expected.n, ehash);
    if (expected.n != actual.n || strcmp(ehash, ahash) != 0) {
      failHead(fr, r, expected.n != actual.n ? "wrong value count" : "wrong hash");
      printf("  expected: %zu values hashing to %s\n  actual: %zu values hashing to %s\n",
             expected.n, ehash, actual.n, ahash);
      showValues("expected", expected.v, expected.n, ncols);
      showValues("actual", actual.v, actual.n, ncols);
    } else {
      ok = 1;
    }
  } else {
    size_t j, bad = 0;
    int same = expected.n == actual.n;
    for (j = 0; same && j < actual.n; j++) {
      if (strcmp(expected.v[j], actual.v[j]) != 0) {
        same = 0;
        bad = j;
      }
    }
    if (!same) {
      failHead(fr, r, expected.n != actual.n ? "wrong value count" : "wrong result");
      if (expected.n == actual.n)
        printf("  first difference at value %zu (row %zu, column %zu): expected %s, got %s\n",
               bad + 1, bad / (size_t)ncols + 1, bad % (size_t)ncols + 1, expected.v[bad],
               actual.v[bad]);
      showValues("expected", expected.v, expected.n, ncols);
      showValues("actual", actual.v, actual.n, ncols);
    } else {
      ok = 1;
    }
  }

  if (r->label[0]) {
    int firstLine = 0;
    char firstHash[33];
    if (!checkLabel(fr, r, ahash, &firstLine, firstHash) && ok) {
      failHead(fr, r, "label mismatch");
      printf("  label %s: line %d hashed to %s, this query to %s\n", r->label, firstLine,
             firstHash, ahash);
      showValues("actual", actual.v, actual.n, ncols);
      ok = 0;
    }
  }
  strListFree(&actual);
  strListFree(&expected);
  return ok;
}

/* Print the record being run (for -v). */
static void traceRecord(const FileRun *fr, const Script *s, const Record *r, const char *what) {
  printf("%s:%d: %s: %s\n", fr->path, r->lineno, what, s->line[r->lineno - 1]);
}

/* Remove path and, if it is a directory, everything below it (symbolic
** links are removed, not followed). Returns 0, or -1 with a message. */
static int removeTree(const char *path) {
  struct stat sb;
  int rc = 0;
  if (lstat(path, &sb) != 0) {
    if (errno == ENOENT) return 0;
    fprintf(stderr, "tdb_slt: cannot stat %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (S_ISDIR(sb.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    if (!d) {
      fprintf(stderr, "tdb_slt: cannot open directory %s: %s\n", path, strerror(errno));
      return -1;
    }
    while ((e = readdir(d)) != NULL) {
      size_t n;
      char *p;
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      n = strlen(path) + strlen(e->d_name) + 2;
      p = xmalloc(n);
      snprintf(p, n, "%s/%s", path, e->d_name);
      if (removeTree(p) != 0) rc = -1;
      free(p);
    }
    closedir(d);
    if (rmdir(path) != 0) {
      fprintf(stderr, "tdb_slt: cannot remove %s: %s\n", path, strerror(errno));
      rc = -1;
    }
  } else if (unlink(path) != 0) {
    fprintf(stderr, "tdb_slt: cannot remove %s: %s\n", path, strerror(errno));
    rc = -1;
  }
  return rc;
}

/* 1 if the script holds a `reopen` record, or SQL using `$DIR`, that its
** conditions do not exclude for this engine: such a file runs on disk. */
static int scriptNeedsDisk(const Script *s, const char *engine) {
  int pos = 0, found = 0;
  Record r;
  while (!found && parseRecord(s, &pos, engine, &r)) {
    if (!r.skip && (r.kind == REC_REOPEN ||
                    ((r.kind == REC_STATEMENT || r.kind == REC_QUERY) && r.sql.p &&
                     strstr(r.sql.p, "$DIR")))) {
      found = 1;
    }
    recordFree(&r);
  }
  return found;
}

/* Replace every `$DIR` in the record's SQL by the temporary directory. */
static void substituteDir(Record *r, const char *dir) {
  Buf out;
  const char *p = r->sql.p, *hit;
  if (!dir || !p || !strstr(p, "$DIR")) return;
  memset(&out, 0, sizeof out);
  while ((hit = strstr(p, "$DIR")) != NULL) {
    bufAppend(&out, p, (size_t)(hit - p));
    bufAppendStr(&out, dir);
    p = hit + 4;
  }
  bufAppendStr(&out, p);
  free(r->sql.p);
  r->sql = out;
}

/* Run a `reopen` record: close the database, open it again at the same
** path. Returns 1 if both succeeded; else 0 and fr->db may be NULL. */
static int runReopen(FileRun *fr, const Record *r) {
  int crc = tdb_close(fr->db), orc;
  fr->db = NULL;
  if (r->fresh) { /* `reopen empty`: the next new database in the directory */
    size_t n = strlen(fr->dir) + 32;
    free(fr->dbpath);
    fr->dbpath = xmalloc(n);
    snprintf(fr->dbpath, n, "%s/db%d", fr->dir, ++fr->ndb);
  }
  /* the connection is gone even when close failed: open again either way */
  orc = tdb_open(fr->dbpath, NULL, &fr->db);
  if (crc == TDB_OK && orc == TDB_OK) return 1;
  failHead(fr, r, "reopen failed");
  if (crc != TDB_OK) printf("  tdb_close: %s\n", tdb_errstr(crc));
  if (orc != TDB_OK) {
    printf("  tdb_open(\"%s\"): %s\n", fr->dbpath,
           fr->db ? tdb_errmsg(fr->db) : tdb_errstr(orc));
    tdb_close(fr->db);
    fr->db = NULL;
  }
  return 0;
}

/* Run one file on a fresh database (in memory, or on disk in a temporary
** directory when the file has a `reopen` record) and print its summary.
** Returns 0, or -1 when the file could not be read, the directory made or
** removed, or the database opened. */
static int runFile(const char *path, const char *engine, int verbose, int *passed, int *failed,
                   int *skipped) {
  Script s;
  FileRun fr;
  Record r;
  int pos = 0, rc;
  if (scriptLoad(&s, path) != 0) return -1;
  memset(&fr, 0, sizeof fr);
  fr.path = path;
  fr.engine = engine;
  fr.verbose = verbose;
  if (scriptNeedsDisk(&s, engine)) {
    const char *tmp = getenv("TMPDIR");
    size_t n;
    if (!tmp || !tmp[0]) tmp = "/tmp";
    n = strlen(tmp) + 32;
    fr.dir = xmalloc(n);
    snprintf(fr.dir, n, "%s%stdb_slt.XXXXXX", tmp, endsWith(tmp, "/") ? "" : "/");
    if (!mkdtemp(fr.dir)) {
      fprintf(stderr, "tdb_slt: %s: cannot make a directory %s: %s\n", path, fr.dir,
              strerror(errno));
      free(fr.dir);
      scriptFree(&s);
      return -1;
    }
    n = strlen(fr.dir) + 4;
    fr.dbpath = xmalloc(n);
    snprintf(fr.dbpath, n, "%s/db", fr.dir);
    fr.ndb = 1;
  } else {
    fr.dbpath = xstrdup(":memory:");
  }
  rc = tdb_open(fr.dbpath, NULL, &fr.db);
  if (rc != TDB_OK) {
    fprintf(stderr, "tdb_slt: %s: cannot open the database %s: %s\n", path, fr.dbpath,
            fr.db ? tdb_errmsg(fr.db) : tdb_errstr(rc));
    tdb_close(fr.db);
    if (fr.dir) removeTree(fr.dir);
    free(fr.dir);
    free(fr.dbpath);
    scriptFree(&s);
    return -1;
  }
  if (verbose && fr.dir) printf("%s: on disk at %s\n", path, fr.dbpath);
  while (parseRecord(&s, &pos, engine, &r)) {
    int halt = 0;
    if (r.kind == REC_BAD && r.skip && r.unknownType) {
      /* another engine's record type (e.g. `onlyif duckdb` + `loop ...`) */
      if (verbose) traceRecord(&fr, &s, &r, "skip (condition)");
      fr.skipped++;
    } else if (r.kind == REC_BAD) {
      /* malformed: a failure, whatever its conditions say */
      printf("%s:%d: FAIL malformed record: %s\n", path, r.lineno, r.bad);
      fr.failed++;
    } else if (r.skip) {
      if (verbose) traceRecord(&fr, &s, &r, "skip (condition)");
      if (r.kind == REC_STATEMENT || r.kind == REC_QUERY || r.kind == REC_REOPEN) fr.skipped++;
    } else if (r.kind == REC_HALT) {
      if (verbose) traceRecord(&fr, &s, &r, "halt");
      halt = 1;
    } else if (r.kind == REC_HASH_THRESHOLD) {
      if (verbose) traceRecord(&fr, &s, &r, "set");
      fr.threshold = r.threshold;
    } else if (r.kind == REC_REOPEN) {
      int ok;
      if (verbose) traceRecord(&fr, &s, &r, "run");
      ok = runReopen(&fr, &r);
      if (ok) fr.passed++;
      else fr.failed++;
      if (verbose) printf("%s:%d: %s\n", path, r.lineno, ok ? "ok" : "failed");
      if (!fr.db) {
        printf("%s:%d: no database after the failed reopen: the rest of the file is not run\n",
               path, r.lineno);
        halt = 1;
      }
    } else if (isUnsupportedFeature(r.sql.p)) {
      if (verbose) traceRecord(&fr, &s, &r, "skip (not a TensorDB feature)");
      fr.skipped++;
      fr.unsupported++;
    } else {
      int ok;
      substituteDir(&r, fr.dir);
      if (verbose) {
        traceRecord(&fr, &s, &r, "run");
        printf("    %s\n", r.sql.p);
      }
      ok = r.kind == REC_STATEMENT ? runStatement(&fr, &r) : runQuery(&fr, &s, &r);
      if (ok) fr.passed++;
      else fr.failed++;
      if (verbose) printf("%s:%d: %s\n", path, r.lineno, ok ? "ok" : "failed");
    }
    recordFree(&r);
    if (halt) break;
  }
  printf("%s: %d passed, %d failed, %d skipped", path, fr.passed, fr.failed, fr.skipped);
  if (fr.unsupported) printf(" (%d not a TensorDB feature)", fr.unsupported);
  printf("\n");
  fflush(stdout);
  *passed += fr.passed;
  *failed += fr.failed;
  *skipped += fr.skipped;
  free(fr.labels);
  tdb_close(fr.db);
  rc = 0;
  if (fr.dir && removeTree(fr.dir) != 0) rc = -1;
  free(fr.dir);
  free(fr.dbpath);
  scriptFree(&s);
  return rc;
}

/* ---- collecting files ------------------------------------------------- */

/* Add every *.test file below the directory dir to out. Returns 0 or -1. */
static int collectDir(const char *dir, int depth, StrList *out) {
  DIR *d;
  struct dirent *e;
  int rc = 0;
  if (depth > MAX_DIR_DEPTH) {
    fprintf(stderr, "tdb_slt: %s: directories nested too deep\n", dir);
    return -1;
  }
  d = opendir(dir);
  if (!d) {
    fprintf(stderr, "tdb_slt: cannot open directory %s: %s\n", dir, strerror(errno));
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    struct stat sb;
    size_t n;
    char *p;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    n = strlen(dir) + strlen(e->d_name) + 2;
    p = xmalloc(n);
    snprintf(p, n, "%s%s%s", dir, endsWith(dir, "/") ? "" : "/", e->d_name);
    if (stat(p, &sb) != 0) {
      fprintf(stderr, "tdb_slt: cannot stat %s: %s\n", p, strerror(errno));
      free(p);
      rc = -1;
      continue;
    }
    if (S_ISDIR(sb.st_mode)) {
      if (collectDir(p, depth + 1, out) != 0) rc = -1;
      free(p);
    } else if (S_ISREG(sb.st_mode) && endsWith(e->d_name, ".test")) {
      strListPushOwned(out, p);
    } else {
      free(p);
    }
  }
  closedir(d);
  return rc;
}

static int cmpPath(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: tdb_slt [-v] [--engine NAME] PATH...\n"
          "       tdb_slt --self-test-md5\n"
          "Runs sqllogictest files (a directory: every *.test below it) on a fresh\n"
          "in-memory TensorDB database each (on disk in a temporary directory under\n"
          "$TMPDIR for a file with a `reopen` record). -v prints every record;\n"
          "--engine sets the name skipif/onlyif compare with (default: tensordb).\n");
}

int main(int argc, char **argv) {
  const char *engine = "tensordb";
  int verbose = 0, i, ioerr = 0, npaths = 0;
  int passed = 0, failed = 0, skipped = 0;
  StrList files = {0};
  size_t k;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-v") == 0) {
      verbose = 1;
    } else if (strcmp(a, "--engine") == 0) {
      if (i + 1 >= argc) {
        usage(stderr);
        strListFree(&files);
        return 2;
      }
      engine = argv[++i];
    } else if (strcmp(a, "--self-test-md5") == 0) {
      int ntotal = 0, nfail = sltMd5SelfTest(stdout, &ntotal);
      printf("%d passed, %d failed\n", ntotal - nfail, nfail);
      strListFree(&files);
      return nfail ? 1 : 0;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      strListFree(&files);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "tdb_slt: unknown option %s\n", a);
      usage(stderr);
      strListFree(&files);
      return 2;
    } else {
      struct stat sb;
      size_t before = files.n;
      npaths++;
      if (stat(a, &sb) != 0) {
        fprintf(stderr, "tdb_slt: cannot access %s: %s\n", a, strerror(errno));
        ioerr = 1;
        continue;
      }
      if (S_ISDIR(sb.st_mode)) {
        if (collectDir(a, 0, &files) != 0) ioerr = 1;
        if (files.n > before)
          qsort(files.v + before, files.n - before, sizeof *files.v, cmpPath);
        else {
          fprintf(stderr, "tdb_slt: no .test files below %s\n", a);
          ioerr = 1;
        }
      } else {
        strListPush(&files, a);
      }
    }
  }
  if (npaths == 0) {
    usage(stderr);
    strListFree(&files);
    return 2;
  }
  for (k = 0; k < files.n; k++) {
    if (runFile(files.v[k], engine, verbose, &passed, &failed, &skipped) != 0) ioerr = 1;
  }
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  strListFree(&files);
  if (ioerr) return 2;
  return failed ? 1 : 0;
}
