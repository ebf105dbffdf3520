/*
** ast_window.c — AST builders for window calls (OVER, the WINDOW clause,
** frames) and the aggregate FILTER clause; see ast.h. The same ownership
** rules as ast.c: builders take their children and free them on failure.
*/
#include "ast.h"

static void *tdbWindowNoMem(TdbParse *p) {
  if (p->rc == TDB_OK) p->rc = tdbErrNoMem(p->err);
  return NULL;
}

TDB_PRIVATE void tdbWindowFree(TdbMem *mem, TdbWindowDef *w) {
  while (w) {
    TdbWindowDef *next = w->next;
    tdbMemFree(mem, w->name);
    tdbMemFree(mem, w->base);
    tdbExprListFree(mem, w->partition_by);
    tdbExprListFree(mem, w->order_by);
    tdbExprFree(mem, w->start.offset);
    tdbExprFree(mem, w->end.offset);
    tdbMemFree(mem, w);
    w = next;
  }
}

TDB_PRIVATE TdbExpr *tdbExprWindowed(TdbParse *p, TdbExpr *call, TdbExpr *filter,
                                     TdbWindowDef *over) {
  if (!call) {
    tdbExprFree(p->mem, filter);
    tdbWindowFree(p->mem, over);
    return NULL;
  }
  call->filter = filter;
  call->over = over;
  if (filter) call->span = tdbSpanJoin(call->span, filter->span);
  if (over) call->span = tdbSpanJoin(call->span, over->span);
  return call;
}

static TdbWindowDef *tdbWindowAlloc(TdbParse *p) {
  TdbWindowDef *w = tdbMemAllocZero(p->mem, sizeof *w);
  return w ? w : tdbWindowNoMem(p);
}

TDB_PRIVATE TdbWindowDef *tdbWindowRef(TdbParse *p, TdbToken name) {
  TdbWindowDef *w = tdbWindowAlloc(p);
  if (!w) return NULL;
  w->base = tdbIdentifier(p, name);
  if (!w->base) {
    tdbMemFree(p->mem, w);
    return NULL;
  }
  w->bare_ref = 1;
  w->span = tdbSpanOfToken(p, name);
  return w;
}

TDB_PRIVATE TdbWindowDef *tdbWindowNew(TdbParse *p, TdbToken base, TdbExprList *partition,
                                       TdbExprList *order, TdbWindowDef *frame) {
  TdbWindowDef *w = tdbWindowAlloc(p);
  if (!w || (base.z && !(w->base = tdbIdentifier(p, base)))) {
    tdbMemFree(p->mem, w);
    tdbExprListFree(p->mem, partition);
    tdbExprListFree(p->mem, order);
    tdbWindowFree(p->mem, frame);
    return NULL;
  }
  w->partition_by = partition;
  w->order_by = order;
  if (frame) {
    w->units = frame->units;
    w->start = frame->start;
    w->end = frame->end;
    frame->start.offset = frame->end.offset = NULL;
    tdbWindowFree(p->mem, frame);
  }
  return w;
}

TDB_PRIVATE TdbWindowDef *tdbWindowBase(TdbParse *p, TdbToken base, TdbWindowDef *w) {
  if (!w) return NULL;
  w->base = tdbIdentifier(p, base);
  if (!w->base) {
    tdbWindowFree(p->mem, w);
    return NULL;
  }
  return w;
}

TDB_PRIVATE TdbWindowDef *tdbWindowFrame(TdbParse *p, int units, TdbFrameBound start,
                                         const TdbFrameBound *end) {
  TdbWindowDef *w = tdbWindowAlloc(p);
  if (!w) {
    tdbExprFree(p->mem, start.offset);
    if (end) tdbExprFree(p->mem, end->offset);
    return NULL;
  }
  w->units = units;
  w->start = start;
  if (end) {
    w->end = *end;
  } else {
    w->end.kind = TDB_BOUND_CURRENT_ROW;
    w->end.offset = NULL;
  }
  return w;
}

TDB_PRIVATE TdbWindowDef *tdbWindowWiden(TdbParse *p, TdbToken open, TdbWindowDef *w,
                                         TdbToken close) {
  if (w) w->span = tdbSpanJoin(tdbSpanOfToken(p, open), tdbSpanOfToken(p, close));
  return w;
}

TDB_PRIVATE TdbWindowDef *tdbWindowAppend(TdbParse *p, TdbWindowDef *list, TdbToken name,
                                          TdbWindowDef *w) {
  TdbWindowDef *last;
  if (!w || !(w->name = tdbIdentifier(p, name))) {
    tdbWindowFree(p->mem, w);
    tdbWindowFree(p->mem, list);
    return NULL;
  }
  w->span = tdbSpanJoin(tdbSpanOfToken(p, name), w->span);
  if (!list) return w;
  for (last = list; last->next; last = last->next) {
  }
  last->next = w;
  return list;
}

TDB_PRIVATE TdbSelect *tdbSelectWindows(TdbParse *p, TdbSelect *s, TdbWindowDef *windows) {
  if (!s) {
    tdbWindowFree(p->mem, windows);
    return NULL;
  }
  s->windows = windows;
  return s;
}

TDB_PRIVATE TdbExprList *tdbExprListCopy(TdbMem *mem, const TdbExprList *l, int *unsupported) {
  TdbExprList *c;
  int i;
  if (!l) return NULL;
  c = tdbMemAllocZero(mem, sizeof *c);
  if (!c) return NULL;
  c->items = tdbMemAllocZero(mem, sizeof *c->items * (size_t)(l->n + 1));
  if (!c->items) {
    tdbMemFree(mem, c);
    return NULL;
  }
  c->cap = l->n + 1;
  for (i = 0; i < l->n; i++) {
    TdbExprItem *it = &c->items[i];
    it->desc = l->items[i].desc;
    it->nulls = l->items[i].nulls;
    it->expr = tdbExprCopy(mem, l->items[i].expr, unsupported);
    if (!it->expr) {
      tdbExprListFree(mem, c);
      return NULL;
    }
    c->n++;
  }
  return c;
}

TDB_PRIVATE TdbWindowDef *tdbWindowCopy(TdbMem *mem, const TdbWindowDef *w, int *unsupported) {
  TdbWindowDef *c = tdbMemAllocZero(mem, sizeof *c);
  if (!c) return NULL;
  c->bare_ref = w->bare_ref;
  c->units = w->units;
  c->start.kind = w->start.kind;
  c->end.kind = w->end.kind;
  c->span = w->span;
  if ((w->name && !(c->name = tdbMemStrndup(mem, w->name, strlen(w->name)))) ||
      (w->base && !(c->base = tdbMemStrndup(mem, w->base, strlen(w->base)))) ||
      (w->partition_by && !(c->partition_by = tdbExprListCopy(mem, w->partition_by, unsupported))) ||
      (w->order_by && !(c->order_by = tdbExprListCopy(mem, w->order_by, unsupported))) ||
      (w->start.offset && !(c->start.offset = tdbExprCopy(mem, w->start.offset, unsupported))) ||
      (w->end.offset && !(c->end.offset = tdbExprCopy(mem, w->end.offset, unsupported)))) {
    tdbWindowFree(mem, c);
    return NULL;
  }
  return c;
}
