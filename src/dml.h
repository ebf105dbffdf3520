/*
** dml.h — one running INSERT, UPDATE, DELETE, PATCH, SOFT DELETE or
** UNDELETE statement (TEMPORAL.md §1.6), shared by dml.c (the statements:
** preparing, choosing targets, the SET list, RETURNING) and dml_piece.c
** (the writes of valid-time pieces and the checks of keys).
**
** A row's valid time is cut into pieces; each piece is one history key
**
**   0x04 | table id | pk | valid_from   ->  row version [valid_from, valid_to)
**
** whose newest version is the piece as the working state W sees it (a
** REMOVED marker: no piece). The one open-ended piece of a key, if any, is
** also its current row 0x03 | table id | pk (with index entries when it is
** live): the fast path of default reads (temporal_session.c says when it
** answers them). docs/sql-storage.md draws the keys.
*/
#ifndef TDB_DML_H
#define TDB_DML_H

#include "db.h"
#include "hashset.h"

/* A piece the statement added to a key (for the overlap check). */
typedef struct TdbDmlAdded {
  int64_t vf, vt;
  uint32_t next;          /* index + 1 of the key's previous added piece; 0: none */
} TdbDmlAdded;

typedef struct TdbDml {
  tdb_stmt *st;
  tdb *db;
  TdbTableDef *t;
  TdbExec *ex;
  TdbBatch batch;
  int op;                 /* TDB_ROW_OP_* the statement writes */
  int64_t pa, pb;         /* UPDATE family: the portion [pa, pb) */
  int64_t bound;          /* the table's current rows answer valid times >= it
                          ** (temporal_session.h): below, a key may have
                          ** bounded pieces, read from the history */
  int64_t boundary;       /* the largest valid_to of a bounded piece written,
                          ** other than a default CVT (INT64_MIN: none) */
  TdbHashSet removed;     /* history keys of the pieces removed from W */
  int note_added;         /* more than one piece may be added: remember them */
  int insert_default_from;/* the INSERT row's valid_from is the default CVT */
  TdbHashSet added_pk;    /* primary keys given pieces; id -> added_last[id] */
  uint32_t *added_last;   /* per added_pk id: index + 1 of its newest piece */
  size_t cap_last;
  TdbDmlAdded *added;
  size_t nadded, cap_added;
  TdbHashSet added_uniq;  /* index id | values of unique entries added */
  int width;              /* scan width of the table */
  TdbValue *defaults;     /* the table's DEFAULTs, for old versions (lazily) */
  int64_t changes;
  TdbStr key2, val;
  TdbStr oldkey, newkey;  /* UPDATE family: a target's key, its new piece's;
                          ** INSERT: the new row's key (newkey) */
  TdbRowSet targets, news;/* UPDATE family: the target pieces, their new contents */
} TdbDml;

/* The buffers of a statement's writes, kept on the statement between its
** executions (tdb_stmt.dml_keep): tdbDmlInit takes them, emptied, and
** tdbDmlFree gives them back while each holds at most TDB_DML_KEEP_BYTES,
** so a prepared statement run again (a one-row UPDATE by key) allocates
** none of them. */
typedef struct TdbDmlKeep TdbDmlKeep;
struct TdbDmlKeep {
  TdbBatch batch;
  TdbHashSet removed, added_pk, added_uniq;
  uint32_t *added_last;   /* all zero while kept */
  size_t cap_last;
  TdbDmlAdded *added;
  size_t cap_added;
  TdbStr key2, val, oldkey, newkey;
  TdbRowSet targets, news;/* no rows while kept */
};
#define TDB_DML_KEEP_BYTES ((size_t)64 << 10)

/* Set up / free the statement state (batch, sets, buffers). */
TDB_PRIVATE void tdbDmlInit(TdbDml *d, tdb_stmt *st, TdbTableDef *t);
TDB_PRIVATE void tdbDmlFree(TdbDml *d);
/* Free the buffers kept on st (with the statement). */
TDB_PRIVATE void tdbDmlKeepFree(tdb_stmt *st);

/* The current row key (0x03 | table | pk) of row (scan width). */
TDB_PRIVATE int tdbDmlRowKey(TdbDml *d, TdbStr *out, const TdbValue *row);

/* Is [vf, vt) of the key of rowkey free in W as the statement leaves it?
** *in_stmt: it overlaps a piece this statement added; *found: a piece of
** W (not removed by the statement). With `collect` the overlapping pieces
** of W are appended to it (scan width: columns, pseudo-columns) instead of
** stopping at the first. */
TDB_PRIVATE int tdbDmlKeyOverlap(TdbDml *d, const char *rowkey, size_t kn, int64_t vf,
                                 int64_t vt, TdbRowSet *collect, int *in_stmt, int *found);

/* Would a new open-ended live piece `row` break a UNIQUE index? *hit names
** the first index it would (NULL: none). */
TDB_PRIVATE int tdbDmlUniqueHit(TdbDml *d, const TdbValue *row, const TdbIndexDef **hit);

/* Write a new piece [vf, vt) of row (scan width) under rowkey: its history
** key, and when open-ended its current row (and index entries when live).
** flags: TDB_ROW_FLAG_TOMBSTONE or 0. */
TDB_PRIVATE int tdbDmlPutPiece(TdbDml *d, const char *rowkey, size_t kn, const TdbValue *row,
                               int flags, int64_t vf, int64_t vt);

/* The replacement rule for target piece v (values vals, [vf, vt), flags)
** over the portion o = [of, ot) it overlaps: v leaves W; its parts outside
** o stay, as pieces of their own with v's content. The new content over o
** is the caller's to write (tdbDmlPutPiece). */
TDB_PRIVATE int tdbDmlSplit(TdbDml *d, const char *rowkey, size_t kn, const TdbValue *vals,
                            int flags, int64_t vf, int64_t vt, int64_t of, int64_t ot);

/* The valid period of a row of scan width from its pseudo-columns (NULL:
** unbounded), and its tombstone flag. */
TDB_PRIVATE void tdbDmlPieceTimes(const TdbDml *d, const TdbValue *row, int64_t *vf,
                                  int64_t *vt);
TDB_PRIVATE void tdbDmlSetTimes(const TdbDml *d, TdbValue *row, int64_t vf, int64_t vt);
TDB_PRIVATE int tdbDmlPieceFlags(const TdbDml *d, const TdbValue *row);

#endif /* TDB_DML_H */
