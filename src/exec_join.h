/*
** exec_join.h — the state the join operator shares with its algorithms
** (exec_join.c drives; exec_hashjoin.c, exec_mergejoin.c and the nested
** loops of exec_join.c find the candidate partners of each probe row).
**
** The driver streams the probe side by chunks and, per probe row, asks the
** algorithm for candidate rows of the build side (row numbers of `build`);
** it writes each (probe, candidate) pair as an output row, evaluates the
** residual condition over the whole output chunk at once, and keeps the
** flags that outer joins need:
**
**   probe chunk --keys--> candidates --pairs--> out chunk --residual--> rows
**        |                                                    |
**        +-- pmatched[] (LEFT: unmatched probe rows later) <--+
**                         bmatched[] (FULL: unmatched build rows at the end)
*/
#ifndef TDB_EXEC_JOIN_H
#define TDB_EXEC_JOIN_H

#include "exec.h"
#include "hashset.h"
#include "inthash.h"

typedef struct TdbJoinRun {
  const TdbEvalCtx *outer;
  TdbPlan *pplan, *bplan;   /* probe (streamed) and build sides */
  TdbExpr **pkeys, **bkeys;
  int poff, boff;           /* scope column of each side's column 0 */
  const int *pseg, *bseg;
  int npseg, nbseg;
  int keep_probe, keep_build;
  int copy_build;           /* build rows change per probe row: copy them out */
  int phase;
  /* the current probe chunk */
  TdbChunk *probe;
  int plive, pi, upos, pdone;
  uint16_t psel[TDB_CHUNK_ROWS];
  uint8_t pmatched[TDB_CHUNK_ROWS];
  TdbValue *pkv;            /* probe keys: pkv[k * TDB_CHUNK_ROWS + i] (owned) */
  /* candidates of probe row pi */
  int cand_ready, cand_all;
  size_t *cand, ncand, ccap, cpos;
  /* origin of each output row */
  int orig_p[TDB_CHUNK_ROWS];
  size_t orig_b[TDB_CHUNK_ROWS];
  /* the build side */
  TdbRowSet build;          /* its rows (INDEX, MERGE: those of the current probe row),
                            ** narrowed to the columns the output copies: column j
                            ** of a build row is column bcols[j] of the build plan */
  int *bcols, nbcols;
  int *cbseg;               /* bseg with `from` numbered in the narrowed rows */
  TdbRowSet bkv;            /* HASH: their key values */
  uint8_t *bmatched;
  size_t bpos;
  TdbValue **shift;         /* column pointers by scope number over a narrow chunk */
  int nshift;
  /* HASH */
  int intkeys;              /* one key, INTEGER in every build row so far: the
                            ** table is itab (key -> first row + 1), not table */
  TdbIntHash itab;
  TdbHashSet table;         /* encoded keys -> id */
  uint32_t *head;           /* per id: first build row + 1 */
  uint32_t *next;           /* per build row: next row of the same key + 1 */
  size_t cap_head, cap_next;
  unsigned *classes;        /* per key: the type classes of the build keys */
  int build_null;           /* a build row has a NULL key */
  TdbStr kbuf;
  /* MERGE: the right side, streamed */
  TdbChunk *rchunk;
  int rlive, ri, rdone;
  uint16_t rsel[TDB_CHUNK_ROWS];
  TdbValue *rkv;            /* right keys of rchunk (owned) */
  TdbValue gkey;            /* key of the group in `build` (owned) */
  int gvalid;
  /* INDEX */
  TdbEvalCtx pctx;
} TdbJoinRun;

/* Copy row `row` of build-side chunk c into build row dst (owned copies of
** the bcols columns). TDB_OK or TDB_NOMEM (reported). */
TDB_PRIVATE int tdbJoinCopyBuildRow(TdbExec *ex, TdbJoinRun *r, TdbValue *dst, const TdbChunk *c,
                                    int row);
/* Grow r->cand to hold n candidates. */
TDB_PRIVATE int tdbJoinCandReserve(TdbExec *ex, TdbJoinRun *r, size_t n);
/* Evaluate keys[0..nkeys) over the live rows of chunk c (whose column 0
** is scope column off) into owned copies dst[k * TDB_CHUNK_ROWS + row]. */
TDB_PRIVATE int tdbJoinEvalKeys(TdbExec *ex, TdbJoinRun *r, TdbExpr **keys, int nkeys,
                                TdbChunk *c, int off, TdbValue *dst);

/* HASH (exec_hashjoin.c): build the table from the build side; candidates
** of probe row pi; the match test of SEMI / ANTI / NOT_IN. */
TDB_PRIVATE int tdbHashJoinBuild(TdbExec *ex, TdbPlan *p, TdbJoinRun *r);
TDB_PRIVATE int tdbHashJoinCandidates(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int pi);
TDB_PRIVATE int tdbHashJoinKeep(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int pi, int *keep);
TDB_PRIVATE void tdbHashJoinFree(TdbMem *mem, TdbJoinRun *r);

/* MERGE (exec_mergejoin.c): candidates of probe row pi from the right side. */
TDB_PRIVATE int tdbMergeJoinCandidates(TdbExec *ex, TdbPlan *p, TdbJoinRun *r, int pi);
TDB_PRIVATE void tdbMergeJoinFree(TdbMem *mem, TdbJoinRun *r);

#endif /* TDB_EXEC_JOIN_H */
