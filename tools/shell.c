/*
** shell.c — the TensorDB command-line shell (build/tensordb).
**
**   tensordb [PATH] [-c SQL] [-f FILE] [--version] [--help]
**
** Runs SQL and dot-commands against one database (":memory:" by default):
** from -c strings and -f files in order, from a pipe on stdin, or
** interactively with libedit line editing, history and TAB completion. Results
** are printed in one of four modes (table, line, csv, json). Errors print
** `ERROR <SQLSTATE>: <message>` on stderr; batch input stops at the first one
** and the shell exits with status 1, an interactive session carries on.
**
** Only the public API of tensordb.h is used.
*/
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <editline/readline.h>

#include "tensordb.h"

#define PROMPT "tensordb> "
#define CONTINUATION "     ...> "
#define HISTORY_LINES 1000
#define MAX_READ_DEPTH 16
#define MAX_DOT_ARGS 8

/* ---- Small utilities ------------------------------------------------------ */

/* Give up on allocation failure: a shell has nothing better to do. */
static void out_of_memory(void) {
  fputs("error: out of memory\n", stderr);
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) out_of_memory();
  return q;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xrealloc(NULL, n), s, n);
}

/* A growable, always NUL-terminated byte string. */
typedef struct Buf {
  char *p;
  size_t n, cap;
} Buf;

static void buf_append(Buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + n + 1) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void buf_puts(Buf *b, const char *s) { buf_append(b, s, strlen(s)); }
static void buf_putc(Buf *b, char c) { buf_append(b, &c, 1); }

static void buf_clear(Buf *b) {
  b->n = 0;
  if (b->p) b->p[0] = '\0';
}

static void buf_free(Buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

static const char *skip_blanks(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return s;
}

static int is_blank(const char *s) { return *skip_blanks(s) == '\0'; }

/* Skip blanks, `--` comments and complete block comments. An unterminated
** block comment is not skipped: it still belongs to a statement. */
static const char *skip_blanks_and_comments(const char *s) {
  for (;;) {
    s = skip_blanks(s);
    if (s[0] == '-' && s[1] == '-') {
      s += strcspn(s, "\n");
    } else if (s[0] == '/' && s[1] == '*' && strstr(s + 2, "*/")) {
      s = strstr(s + 2, "*/") + 2;
    } else {
      return s;
    }
  }
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
** bytes there are not valid UTF-8 (bad lead byte, truncated, overlong,
** surrogate or above U+10FFFF). */
static size_t utf8_sequence_length(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len, i;
  unsigned cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
  else return 0;
  if (n < len) return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return 0;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  return len;
}

/* Append s to b made safe for a terminal: control characters become \n, \t,
** \r or \xHH and bytes that are not valid UTF-8 become \xHH. Returns the
** display width added (one column per code point). */
static size_t buf_put_display(Buf *b, const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = strlen(s), i = 0, width = 0;
  while (i < n) {
    size_t len = utf8_sequence_length(u + i, n - i);
    char esc[8];
    if (len == 1 && (u[i] < 0x20 || u[i] == 0x7f)) {
      if (u[i] == '\n') buf_puts(b, "\\n"), width += 2;
      else if (u[i] == '\t') buf_puts(b, "\\t"), width += 2;
      else if (u[i] == '\r') buf_puts(b, "\\r"), width += 2;
      else snprintf(esc, sizeof esc, "\\x%02x", u[i]), buf_puts(b, esc), width += 4;
      i++;
    } else if (len == 0) {
      snprintf(esc, sizeof esc, "\\x%02x", u[i]);
      buf_puts(b, esc);
      width += 4;
      i++;
    } else {
      buf_append(b, s + i, len);
      width++;
      i += len;
    }
  }
  return width;
}

/* The display form of s in a fresh string; *width gets its width. */
static char *display_text(const char *s, size_t *width) {
  Buf b = {0};
  size_t w = buf_put_display(&b, s);
  buf_puts(&b, "");
  if (width) *width = w;
  return b.p;
}

/* Append s as a JSON string literal (quotes included); invalid UTF-8 becomes
** U+FFFD so the output is always valid JSON. */
static void buf_put_json_string(Buf *b, const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = strlen(s), i = 0;
  buf_putc(b, '"');
  while (i < n) {
    size_t len = utf8_sequence_length(u + i, n - i);
    char esc[8];
    if (len == 0) {
      buf_puts(b, "\\ufffd");
      i++;
      continue;
    }
    if (len == 1) {
      switch (u[i]) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        case '\b': buf_puts(b, "\\b"); break;
        case '\f': buf_puts(b, "\\f"); break;
        default:
          if (u[i] < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", u[i]);
            buf_puts(b, esc);
          } else {
            buf_putc(b, (char)u[i]);
          }
      }
    } else {
      buf_append(b, s + i, len);
    }
    i += len;
  }
  buf_putc(b, '"');
}

/* Append s as one CSV field, quoted per RFC 4180 when it holds a comma, a
** double quote, CR or LF. */
static void buf_put_csv_field(Buf *b, const char *s) {
  const char *c;
  if (!strpbrk(s, ",\"\r\n")) {
    buf_puts(b, s);
    return;
  }
  buf_putc(b, '"');
  for (c = s; *c; c++) {
    if (*c == '"') buf_putc(b, '"');
    buf_putc(b, *c);
  }
  buf_putc(b, '"');
}

/* ---- Shell state ---------------------------------------------------------- */

typedef enum OutputMode { MODE_TABLE, MODE_LINE, MODE_CSV, MODE_JSON } OutputMode;

static const char *const kModeNames[] = {"table", "line", "csv", "json"};

typedef struct Shell {
  tdb *db;
  OutputMode mode;
  int timer;        /* .timer on: print the run time of each statement */
  int quit;         /* .quit or .exit was run */
  int read_depth;   /* nesting of .read */
  int line_records; /* records printed in line mode, for blank separators */
} Shell;

/* Where input comes from, and the SQL collected from it so far. */
typedef struct Source {
  const char *name;  /* file name, "-c", "<stdin>" or "<terminal>" */
  int show_location; /* mention name:line in error reports */
  int stop_on_error; /* batch input: stop at the first error */
  int line;          /* number of the current line, from 1 */
  Buf pending;       /* an incomplete statement */
  int pending_line;  /* line where `pending` starts */
} Source;

/* The current error location, printed after an error when the source asks. */
static void report_location(const Source *src, int line) {
  if (src && src->show_location) fprintf(stderr, "  at %s:%d\n", src->name, line);
}

/* Print a shell-level (not engine) error. */
static void shell_error(const Source *src, const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs("error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  report_location(src, src ? src->line : 0);
}

/* Print the connection's last error as `ERROR <SQLSTATE>: <message>`. */
static void engine_error(const Shell *sh, const Source *src, int line) {
  fflush(stdout);
  fprintf(stderr, "ERROR %s: %s\n", tdb_sqlstate(sh->db), tdb_errmsg(sh->db));
  report_location(src, line);
}

/* ---- Result output -------------------------------------------------------- */

/* One cell of a buffered table: display text, and whether it is a number
** (numbers are right-aligned). */
typedef struct Cell {
  char *text;
  size_t width;
  int numeric;
} Cell;

/* The result of one statement while it is being printed. Table mode buffers
** every row to compute column widths; the other modes stream. */
typedef struct Result {
  int ncol;
  long nrow;
  Cell *head;  /* table mode: ncol column names */
  Cell *cells; /* table mode: nrow * ncol cells */
  size_t cap;  /* cells allocated */
  Buf out;     /* streaming modes: the text of the current row */
} Result;

static void result_free(Result *r) {
  size_t i, n = (size_t)r->nrow * (size_t)r->ncol;
  for (i = 0; r->cells && i < n; i++) free(r->cells[i].text);
  for (i = 0; r->head && i < (size_t)r->ncol; i++) free(r->head[i].text);
  free(r->cells);
  free(r->head);
  buf_free(&r->out);
}

static const char *column_name(tdb_stmt *st, int i) {
  const char *name = tdb_column_name(st, i);
  return name ? name : "";
}

static int is_numeric_type(int type) {
  return type == TDB_TYPE_INTEGER || type == TDB_TYPE_REAL;
}

static void table_add_row(Result *r, tdb_stmt *st) {
  size_t need = (size_t)(r->nrow + 1) * (size_t)r->ncol, base, i;
  if (need > r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16 * (size_t)r->ncol;
    if (r->cap < need) r->cap = need;
    r->cells = xrealloc(r->cells, r->cap * sizeof(Cell));
  }
  base = (size_t)r->nrow * (size_t)r->ncol;
  for (i = 0; i < (size_t)r->ncol; i++) {
    const char *text = tdb_column_text(st, (int)i);
    Cell *c = &r->cells[base + i];
    c->text = display_text(text ? text : "NULL", &c->width);
    c->numeric = is_numeric_type(tdb_column_type(st, (int)i));
  }
}

static void print_border(const size_t *widths, int ncol) {
  int i;
  size_t k;
  for (i = 0; i < ncol; i++) {
    putchar('+');
    for (k = 0; k < widths[i] + 2; k++) putchar('-');
  }
  puts("+");
}

static void print_table_row(const Cell *cells, const size_t *widths, int ncol) {
  int i;
  for (i = 0; i < ncol; i++) {
    int pad = (int)(widths[i] - cells[i].width);
    if (cells[i].numeric) printf("| %*s%s ", pad, "", cells[i].text);
    else printf("| %s%*s ", cells[i].text, pad, "");
  }
  puts("|");
}

/* Print a buffered table: border, header, border, rows, border. */
static void table_print(const Result *r) {
  size_t *widths = xrealloc(NULL, (size_t)r->ncol * sizeof(size_t));
  long row;
  int i;
  for (i = 0; i < r->ncol; i++) widths[i] = r->head[i].width;
  for (row = 0; row < r->nrow; row++) {
    const Cell *cells = &r->cells[(size_t)row * (size_t)r->ncol];
    for (i = 0; i < r->ncol; i++)
      if (cells[i].width > widths[i]) widths[i] = cells[i].width;
  }
  print_border(widths, r->ncol);
  print_table_row(r->head, widths, r->ncol);
  print_border(widths, r->ncol);
  for (row = 0; row < r->nrow; row++)
    print_table_row(&r->cells[(size_t)row * (size_t)r->ncol], widths, r->ncol);
  print_border(widths, r->ncol);
  free(widths);
}

static void line_print_row(Shell *sh, Result *r, tdb_stmt *st) {
  size_t namew = 0, w;
  int i;
  for (i = 0; i < r->ncol; i++) {
    char *name = display_text(column_name(st, i), &w);
    if (w > namew) namew = w;
    free(name);
  }
  if (sh->line_records++ > 0) putchar('\n');
  for (i = 0; i < r->ncol; i++) {
    const char *text = tdb_column_text(st, i);
    char *name = display_text(column_name(st, i), &w);
    char *value = display_text(text ? text : "NULL", NULL);
    printf("%*s%s = %s\n", (int)(namew - w), "", name, value);
    free(name);
    free(value);
  }
}

static void csv_print_header(Result *r, tdb_stmt *st) {
  int i;
  buf_clear(&r->out);
  for (i = 0; i < r->ncol; i++) {
    if (i) buf_putc(&r->out, ',');
    buf_put_csv_field(&r->out, column_name(st, i));
  }
  buf_putc(&r->out, '\n');
  fwrite(r->out.p, 1, r->out.n, stdout);
}

static void csv_print_row(Result *r, tdb_stmt *st) {
  int i;
  buf_clear(&r->out);
  for (i = 0; i < r->ncol; i++) {
    const char *text = tdb_column_text(st, i);
    if (i) buf_putc(&r->out, ',');
    buf_put_csv_field(&r->out, text ? text : "");
  }
  buf_putc(&r->out, '\n');
  fwrite(r->out.p, 1, r->out.n, stdout);
}

/* 1 if text is a JSON array of numbers (how vectors render), so that it can
** be written as is. A cheap character check, not a full parse. */
static int looks_like_number_array(const char *text) {
  size_t n = strlen(text);
  if (n < 2 || text[0] != '[' || text[n - 1] != ']') return 0;
  return strspn(text + 1, "0123456789+-.eE, ") == n - 2;
}

static void buf_put_hex(Buf *b, const void *data, int nbytes) {
  static const char digits[] = "0123456789abcdef";
  const unsigned char *u = data;
  int i;
  buf_putc(b, '"');
  for (i = 0; u && i < nbytes; i++) {
    buf_putc(b, digits[u[i] >> 4]);
    buf_putc(b, digits[u[i] & 15]);
  }
  buf_putc(b, '"');
}

/* Append column i of the current row as a JSON value chosen by its type:
** numbers, true/false, null, strings; blobs as a hex string, JSON as is. */
static void buf_put_json_value(Buf *b, tdb_stmt *st, int i) {
  int type = tdb_column_type(st, i);
  const char *text = tdb_column_text(st, i);
  if (type == TDB_TYPE_NULL || !text) {
    buf_puts(b, "null");
  } else if (type == TDB_TYPE_BOOLEAN) {
    buf_puts(b, strcmp(text, "false") && strcmp(text, "0") ? "true" : "false");
  } else if (type == TDB_TYPE_INTEGER) {
    buf_puts(b, text);
  } else if (type == TDB_TYPE_REAL) {
    buf_puts(b, isfinite(tdb_column_double(st, i)) ? text : "null");
  } else if (type == TDB_TYPE_BLOB) {
    buf_put_hex(b, tdb_column_blob(st, i), tdb_column_bytes(st, i));
  } else if (type == TDB_TYPE_JSON ||
             (type == TDB_TYPE_VECTOR && looks_like_number_array(text))) {
    buf_puts(b, text);
  } else {
    buf_put_json_string(b, text);
  }
}

static void json_print_row(Result *r, tdb_stmt *st) {
  int i;
  buf_clear(&r->out);
  buf_puts(&r->out, r->nrow == 0 ? "[{" : ",\n{");
  for (i = 0; i < r->ncol; i++) {
    if (i) buf_putc(&r->out, ',');
    buf_put_json_string(&r->out, column_name(st, i));
    buf_putc(&r->out, ':');
    buf_put_json_value(&r->out, st, i);
  }
  buf_putc(&r->out, '}');
  fwrite(r->out.p, 1, r->out.n, stdout);
}

static void result_begin(Shell *sh, Result *r, tdb_stmt *st) {
  int i;
  r->ncol = tdb_column_count(st);
  if (sh->mode != MODE_TABLE || r->ncol <= 0) return;
  r->head = xrealloc(NULL, (size_t)r->ncol * sizeof(Cell));
  for (i = 0; i < r->ncol; i++) {
    r->head[i].text = display_text(column_name(st, i), &r->head[i].width);
    r->head[i].numeric = 0;
  }
}

static void result_row(Shell *sh, Result *r, tdb_stmt *st) {
  if (r->ncol <= 0) return;
  switch (sh->mode) {
    case MODE_TABLE: table_add_row(r, st); break;
    case MODE_LINE: line_print_row(sh, r, st); break;
    case MODE_CSV:
      if (r->nrow == 0) csv_print_header(r, st);
      csv_print_row(r, st);
      break;
    case MODE_JSON: json_print_row(r, st); break;
  }
  r->nrow++;
}

/* Finish the output of a statement. `ok` is 0 when it failed: then an empty
** result prints nothing, and a started JSON array is still closed. */
static void result_end(Shell *sh, Result *r, tdb_stmt *st, int ok) {
  if (r->ncol <= 0) return;
  switch (sh->mode) {
    case MODE_TABLE:
      if (ok) table_print(r);
      break;
    case MODE_LINE: break;
    case MODE_CSV:
      if (ok && r->nrow == 0) csv_print_header(r, st);
      break;
    case MODE_JSON:
      if (r->nrow > 0) puts("]");
      else if (ok) puts("[]");
      break;
  }
}

/* Step `st` to the end, printing its rows. Returns TDB_OK or the error code
** (the connection's error is still set: the caller reports it). */
static int print_statement(Shell *sh, tdb_stmt *st) {
  Result r = {0};
  int rc;
  result_begin(sh, &r, st);
  while ((rc = tdb_step(st)) == TDB_ROW) result_row(sh, &r, st);
  result_end(sh, &r, st, rc == TDB_DONE);
  result_free(&r);
  fflush(stdout);
  return rc == TDB_DONE ? TDB_OK : rc;
}

/* ---- Running SQL ---------------------------------------------------------- */

static int count_newlines(const char *from, const char *to) {
  int n = 0;
  for (; from < to; from++) n += *from == '\n';
  return n;
}

/* Run every statement of `sql`, which starts at line `line` of `src`. Stops
** at the first error: reports it and returns 1; 0 when all succeeded. */
static int run_sql(Shell *sh, const Source *src, const char *sql, int line) {
  const char *p = sql;
  while (*p) {
    tdb_stmt *st = NULL;
    const char *tail = NULL;
    int stmt_line = line + count_newlines(sql, skip_blanks_and_comments(p));
    double start = now_seconds();
    int rc = tdb_prepare(sh->db, p, -1, &st, &tail);
    if (rc != TDB_OK) {
      tdb_finalize(st);
      engine_error(sh, src, stmt_line);
      return 1;
    }
    if (st) {
      rc = print_statement(sh, st);
      if (rc != TDB_OK) engine_error(sh, src, stmt_line);
      tdb_finalize(st);
      if (rc != TDB_OK) return 1;
      if (sh->timer) printf("Run Time: real %.3f s\n", now_seconds() - start);
    }
    if (!tail || tail <= p) break;
    p = tail;
  }
  fflush(stdout);
  return 0;
}

/* Run a query with at most one text parameter ($1) and print the first column
** of each row on its own line; with `terminate`, end each with `;` unless it
** has one. Used by .tables and .schema. Returns 1 on error (reported). */
static int print_first_column(Shell *sh, const Source *src, const char *sql,
                              const char *param, int terminate) {
  tdb_stmt *st = NULL;
  int rc = tdb_prepare(sh->db, sql, -1, &st, NULL);
  if (rc == TDB_OK && st && param) rc = tdb_bind_text(st, 1, param, -1);
  while (rc == TDB_OK && st && (rc = tdb_step(st)) == TDB_ROW) {
    const char *text = tdb_column_text(st, 0);
    size_t n = text ? strlen(text) : 0;
    rc = TDB_OK;
    if (!text) continue;
    fputs(text, stdout);
    if (terminate && (n == 0 || text[n - 1] != ';')) putchar(';');
    putchar('\n');
  }
  if (rc == TDB_ROW || rc == TDB_DONE) rc = TDB_OK;
  if (rc != TDB_OK) engine_error(sh, src, src ? src->line : 0);
  tdb_finalize(st);
  fflush(stdout);
  return rc != TDB_OK;
}

/* ---- Line-oriented input -------------------------------------------------- */

/* Lines from a stream or from a string in memory, of any length. */
typedef struct LineReader {
  FILE *fp;         /* or NULL to read `mem` */
  const char *mem;
  size_t mem_len, mem_pos;
  char *line;       /* the current line, without its '\n' */
  size_t cap;
} LineReader;

/* Read the next line into r->line; returns its length, or -1 at the end. */
static long reader_next(LineReader *r) {
  if (r->fp) {
    ssize_t n = getline(&r->line, &r->cap, r->fp);
    if (n < 0) return -1;
    if (n > 0 && r->line[n - 1] == '\n') r->line[--n] = '\0';
    return (long)n;
  } else {
    const char *start = r->mem + r->mem_pos, *nl;
    size_t n;
    if (r->mem_pos >= r->mem_len) return -1;
    nl = memchr(start, '\n', r->mem_len - r->mem_pos);
    n = nl ? (size_t)(nl - start) : r->mem_len - r->mem_pos;
    r->mem_pos += n + (nl != NULL);
    if (n + 1 > r->cap) {
      r->line = xrealloc(r->line, n + 1);
      r->cap = n + 1;
    }
    memcpy(r->line, start, n);
    r->line[n] = '\0';
    return (long)n;
  }
}

static int run_dot_command(Shell *sh, Source *src, const char *line);

/* 1 if what `src` has collected is only blanks and comments. */
static int no_statement_pending(const Source *src) {
  return src->pending.n == 0 || *skip_blanks_and_comments(src->pending.p) == '\0';
}

/* Feed one input line to `src`: a dot-command when no statement is pending
** (comments alone do not count), else SQL that runs once tdb_complete() says
** the statement is complete. Blank and `--` comment lines between statements
** are skipped. Returns 1 if something failed (already reported), else 0. */
static int feed_line(Shell *sh, Source *src, const char *line) {
  int rc;
  const char *s = skip_blanks(line);
  if (no_statement_pending(src)) {
    if (*s == '.') {
      buf_clear(&src->pending);
      return run_dot_command(sh, src, s);
    }
    if (src->pending.n == 0 && (*s == '\0' || (s[0] == '-' && s[1] == '-'))) return 0;
    if (src->pending.n == 0) src->pending_line = src->line;
  }
  buf_puts(&src->pending, line);
  buf_putc(&src->pending, '\n');
  if (!tdb_complete(src->pending.p)) return 0;
  rc = run_sql(sh, src, src->pending.p, src->pending_line);
  buf_clear(&src->pending);
  return rc;
}

/* At the end of input, run what is pending (a last statement without `;`). */
static int flush_pending(Shell *sh, Source *src) {
  int rc = 0;
  if (!no_statement_pending(src))
    rc = run_sql(sh, src, src->pending.p, src->pending_line);
  buf_clear(&src->pending);
  return rc;
}

/* Run every line of `r` through `src`. A NUL byte in a line is an error.
** With src->stop_on_error, stops at the first error. Returns 1 if anything
** failed, else 0. */
static int run_lines(Shell *sh, Source *src, LineReader *r) {
  int failed = 0;
  long n;
  while (!sh->quit && (n = reader_next(r)) >= 0) {
    int rc;
    src->line++;
    if (memchr(r->line, '\0', (size_t)n)) {
      shell_error(src, "the input contains a NUL byte");
      rc = 1;
      buf_clear(&src->pending);
    } else {
      rc = feed_line(sh, src, r->line);
    }
    failed |= rc;
    if (rc && src->stop_on_error) break;
  }
  if (!(failed && src->stop_on_error) && !sh->quit) failed |= flush_pending(sh, src);
  if (r->fp && ferror(r->fp)) {
    shell_error(NULL, "cannot read %s: %s", src->name, strerror(errno));
    failed = 1;
  }
  return failed;
}

/* Run the script in the file at `path`, stopping at its first error. */
static int run_file(Shell *sh, const char *path) {
  Source src = {0};
  LineReader r = {0};
  int rc;
  r.fp = fopen(path, "rb");
  if (!r.fp) {
    shell_error(NULL, "cannot open %s: %s", path, strerror(errno));
    return 1;
  }
  src.name = path;
  src.show_location = 1;
  src.stop_on_error = 1;
  rc = run_lines(sh, &src, &r);
  fclose(r.fp);
  free(r.line);
  buf_free(&src.pending);
  return rc;
}

/* Run the script text of a -c argument, stopping at its first error. */
static int run_string(Shell *sh, const char *text) {
  Source src = {0};
  LineReader r = {0};
  int rc;
  r.mem = text;
  r.mem_len = strlen(text);
  src.name = "-c";
  src.stop_on_error = 1;
  rc = run_lines(sh, &src, &r);
  free(r.line);
  buf_free(&src.pending);
  return rc;
}

/* Run stdin (a pipe or a file) as one script, stopping at its first error. */
static int run_stdin(Shell *sh) {
  Source src = {0};
  LineReader r = {0};
  int rc;
  r.fp = stdin;
  src.name = "<stdin>";
  src.show_location = 1;
  src.stop_on_error = 1;
  rc = run_lines(sh, &src, &r);
  free(r.line);
  buf_free(&src.pending);
  return rc;
}

/* ---- Dot-commands --------------------------------------------------------- */

typedef int (*DotFn)(Shell *sh, Source *src, int argc, char **argv);

typedef struct DotCommand {
  const char *name;
  int min_args, max_args; /* not counting the command itself */
  const char *usage;
  const char *help;
  DotFn fn;
} DotCommand;

static int cmd_help(Shell *sh, Source *src, int argc, char **argv);

static int cmd_mode(Shell *sh, Source *src, int argc, char **argv) {
  size_t i;
  if (argc == 1) {
    printf("current output mode: %s\n", kModeNames[sh->mode]);
    return 0;
  }
  for (i = 0; i < sizeof kModeNames / sizeof kModeNames[0]; i++) {
    if (strcasecmp(argv[1], kModeNames[i]) == 0) {
      sh->mode = (OutputMode)i;
      sh->line_records = 0;
      return 0;
    }
  }
  shell_error(src, "unknown mode \"%s\"; use table, line, csv or json", argv[1]);
  return 1;
}

/* Parse "on"/"off" (also 1/0, yes/no, true/false) into *out. */
static int parse_on_off(const char *s, int *out) {
  if (!strcasecmp(s, "on") || !strcmp(s, "1") || !strcasecmp(s, "yes") ||
      !strcasecmp(s, "true"))
    return *out = 1, 1;
  if (!strcasecmp(s, "off") || !strcmp(s, "0") || !strcasecmp(s, "no") ||
      !strcasecmp(s, "false"))
    return *out = 0, 1;
  return 0;
}

static int cmd_timer(Shell *sh, Source *src, int argc, char **argv) {
  (void)argc;
  if (parse_on_off(argv[1], &sh->timer)) return 0;
  shell_error(src, "usage: .timer on|off");
  return 1;
}

static int cmd_read(Shell *sh, Source *src, int argc, char **argv) {
  int rc;
  (void)argc;
  if (sh->read_depth >= MAX_READ_DEPTH) {
    shell_error(src, ".read is nested more than %d deep", MAX_READ_DEPTH);
    return 1;
  }
  sh->read_depth++;
  rc = run_file(sh, argv[1]);
  sh->read_depth--;
  return rc;
}

static int cmd_tables(Shell *sh, Source *src, int argc, char **argv) {
  (void)argc, (void)argv;
  return print_first_column(sh, src, "SELECT name FROM tdb_tables ORDER BY name",
                            NULL, 0);
}

static int cmd_schema(Shell *sh, Source *src, int argc, char **argv) {
  if (argc == 2)
    return print_first_column(
        sh, src, "SELECT sql FROM tdb_tables WHERE name = $1", argv[1], 1);
  return print_first_column(sh, src, "SELECT sql FROM tdb_tables ORDER BY name",
                            NULL, 1);
}

/* .check: verify every file of the database and print what was checked. */
static int cmd_check(Shell *sh, Source *src, int argc, char **argv) {
  char *report = NULL;
  int rc;
  (void)argc, (void)argv;
  rc = tdb_check(sh->db, &report);
  if (report) fputs(report, stdout);
  tdb_free(sh->db, report);
  fflush(stdout);
  if (rc != TDB_OK) {
    shell_error(src, "check failed: %s", tdb_errmsg(sh->db));
    return 1;
  }
  return 0;
}

static int cmd_quit(Shell *sh, Source *src, int argc, char **argv) {
  (void)src, (void)argc, (void)argv;
  sh->quit = 1;
  return 0;
}

static const DotCommand kDotCommands[] = {
    {"check", 0, 0, ".check", "verify every file of the database (checksums, order)",
     cmd_check},
    {"exit", 0, 0, ".exit", "leave the shell", cmd_quit},
    {"help", 0, 0, ".help", "show this help", cmd_help},
    {"mode", 0, 1, ".mode [table|line|csv|json]",
     "set the output mode (default: table), or show it", cmd_mode},
    {"quit", 0, 0, ".quit", "leave the shell", cmd_quit},
    {"read", 1, 1, ".read FILE", "run the SQL and dot-commands of FILE", cmd_read},
    {"schema", 0, 1, ".schema [TABLE]",
     "show the CREATE statement of every table (or of TABLE)", cmd_schema},
    {"tables", 0, 0, ".tables", "list the tables", cmd_tables},
    {"timer", 1, 1, ".timer on|off", "print the run time of each statement", cmd_timer},
};

#define DOT_COMMAND_COUNT ((int)(sizeof kDotCommands / sizeof kDotCommands[0]))

static int cmd_help(Shell *sh, Source *src, int argc, char **argv) {
  int i;
  (void)sh, (void)src, (void)argc, (void)argv;
  puts("SQL statements end with ';' and may span lines. Dot-commands start a line:");
  for (i = 0; i < DOT_COMMAND_COUNT; i++)
    printf("  %-30s %s\n", kDotCommands[i].usage, kDotCommands[i].help);
  puts("Output modes:\n"
       "  table  aligned columns with a header and a border: the default,\n"
       "         also when the output is not a terminal\n"
       "  line   one `name = value` line per column, a blank line between rows\n"
       "  csv    RFC 4180 fields, a header line first; NULL is an empty field\n"
       "  json   one JSON array of objects per statement\n"
       "Errors print `ERROR <SQLSTATE>: <message>` on stderr. Scripts (-c, -f,\n"
       "a pipe) stop at the first error and exit with status 1.");
  fflush(stdout);
  return 0;
}

/* Split `line` in place into words: blanks separate, '...' or "..." quote.
** Returns the number of words (at most `max`), or -1 if there are more. */
static int split_words(char *line, char **words, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    char *out;
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) return n;
    if (n == max) return -1;
    words[n++] = out = p;
    if (*p == '\'' || *p == '"') {
      char quote = *p++;
      words[n - 1] = out = p;
      while (*p && *p != quote) p++;
    } else {
      while (*p && !isspace((unsigned char)*p)) p++;
    }
    if (*p) *p++ = '\0';
  }
}

/* Run the dot-command on `line` (starting with '.'). Returns 1 on error. */
static int run_dot_command(Shell *sh, Source *src, const char *line) {
  char *copy = xstrdup(line + 1), *argv[MAX_DOT_ARGS];
  int argc = split_words(copy, argv, MAX_DOT_ARGS), i, rc = 1;
  if (argc == 0) {
    shell_error(src, "missing command after '.'; try .help");
  } else if (argc < 0) {
    shell_error(src, "too many arguments; try .help");
  } else {
    for (i = 0; i < DOT_COMMAND_COUNT; i++)
      if (strcmp(argv[0], kDotCommands[i].name) == 0) break;
    if (i == DOT_COMMAND_COUNT) {
      shell_error(src, "unknown command \".%s\"; try .help", argv[0]);
    } else if (argc - 1 < kDotCommands[i].min_args ||
               argc - 1 > kDotCommands[i].max_args) {
      shell_error(src, "usage: %s", kDotCommands[i].usage);
    } else {
      rc = kDotCommands[i].fn(sh, src, argc, argv);
    }
  }
  free(copy);
  return rc;
}

/* ---- Interactive session -------------------------------------------------- */

/* TAB completion: candidates for the word being completed. The callbacks of
** libedit carry no context, hence this file-level state. */
static struct {
  Shell *shell;
  char **words;  /* candidates of the current completion */
  int count, next;
} g_completion;

static void completion_clear(void) {
  int i;
  for (i = 0; i < g_completion.count; i++) free(g_completion.words[i]);
  free(g_completion.words);
  g_completion.words = NULL;
  g_completion.count = g_completion.next = 0;
}

/* Add `word` as a candidate if it starts with `prefix` (ignoring case); a
** keyword is lowered when the user types in lower case. */
static void completion_offer(const char *prefix, const char *word, int is_keyword) {
  size_t n = strlen(prefix), i;
  char *copy;
  if (strncasecmp(prefix, word, n) != 0) return;
  copy = xstrdup(word);
  if (is_keyword && n > 0 && islower((unsigned char)prefix[0]))
    for (i = 0; copy[i]; i++) copy[i] = (char)tolower((unsigned char)copy[i]);
  g_completion.words =
      xrealloc(g_completion.words, (size_t)(g_completion.count + 1) * sizeof(char *));
  g_completion.words[g_completion.count++] = copy;
}

/* Offer the names of the tables; silently none when the query fails. */
static void completion_offer_tables(const char *prefix) {
  tdb_stmt *st = NULL;
  tdb *db = g_completion.shell ? g_completion.shell->db : NULL;
  if (!db || tdb_prepare(db, "SELECT name FROM tdb_tables", -1, &st,
                         NULL) != TDB_OK) {
    tdb_finalize(st);
    return;
  }
  while (st && tdb_step(st) == TDB_ROW) {
    const char *name = tdb_column_text(st, 0);
    if (name) completion_offer(prefix, name, 0);
  }
  tdb_finalize(st);
}

static void completion_collect(const char *text) {
  int i;
  completion_clear();
  if (text[0] == '.') {
    for (i = 0; i < DOT_COMMAND_COUNT; i++) {
      char word[32];
      snprintf(word, sizeof word, ".%s", kDotCommands[i].name);
      completion_offer(text, word, 0);
    }
    return;
  }
  for (i = 0; i < tdb_keyword_count(); i++) {
    const char *kw = tdb_keyword_name(i);
    if (kw) completion_offer(text, kw, 1);
  }
  completion_offer_tables(text);
}

/* libedit generator: the state-th candidate (malloc'ed), NULL after the last. */
static char *completion_next(const char *text, int state) {
  if (state == 0) completion_collect(text);
  if (g_completion.next >= g_completion.count) return NULL;
  return xstrdup(g_completion.words[g_completion.next++]);
}

static char **complete_word(const char *text, int start, int end) {
  (void)start, (void)end;
  rl_attempted_completion_over = 1; /* no file-name completion */
  return rl_completion_matches(text, completion_next);
}

/* The history file: $TENSORDB_HISTORY, else ~/.tensordb_history, else none
** (HOME unset). Returns a malloc'ed path or NULL. */
static char *history_path(void) {
  const char *env = getenv("TENSORDB_HISTORY"), *home = getenv("HOME");
  Buf b = {0};
  if (env && *env) return xstrdup(env);
  if (!home || !*home) return NULL;
  buf_puts(&b, home);
  buf_puts(&b, "/.tensordb_history");
  return b.p;
}

/* Read and run lines from the terminal until EOF, .quit or .exit. Errors are
** reported and the session goes on. */
static int run_interactive(Shell *sh) {
  Source src = {0};
  char *hist = history_path(), *line;
  src.name = "<terminal>";
  setlocale(LC_CTYPE, ""); /* lets libedit edit multibyte (UTF-8) input */
  rl_readline_name = "tensordb";
  rl_attempted_completion_function = complete_word;
  g_completion.shell = sh;
  stifle_history(HISTORY_LINES);
  if (hist) read_history(hist); /* a missing file is fine */
  printf("TensorDB %s. Enter SQL ending with ';' or .help for help.\n",
         tdb_libversion());
  fflush(stdout);
  while (!sh->quit) {
    line = readline(no_statement_pending(&src) ? PROMPT : CONTINUATION);
    if (!line) break;
    src.line++;
    if (!is_blank(line)) {
      add_history(line);
      if (hist) write_history(hist); /* save as we go; failure is not fatal */
    }
    feed_line(sh, &src, line);
    free(line);
  }
  if (!sh->quit) putchar('\n');
  flush_pending(sh, &src);
  buf_free(&src.pending);
  completion_clear();
  clear_history();
  free(hist);
  return 0;
}

/* ---- Command line --------------------------------------------------------- */

static void print_usage(FILE *out) {
  fputs("usage: tensordb [PATH] [-c SQL] [-f FILE] [--version] [--help]\n"
        "  PATH        the database (default :memory:, a private in-memory one)\n"
        "  -c SQL      run SQL (and dot-commands) and exit\n"
        "  -f FILE     run the script FILE and exit\n"
        "  --version   print the version and exit\n"
        "  --help      print this help and exit\n"
        "Several -c and -f run in order and stop at the first error (exit 1).\n"
        "Without them, a terminal on stdin starts an interactive session and\n"
        "anything else on stdin is run as a script. History is kept in\n"
        "$TENSORDB_HISTORY or ~/.tensordb_history. Type .help in the shell.\n",
        out);
}

/* One -c or -f of the command line. */
typedef struct Action {
  int is_file;
  const char *arg;
} Action;

typedef struct Options {
  const char *path;
  Action *actions;
  int nactions;
} Options;

/* Parse argv into *opt. Returns -1 to go on, else the exit status to leave
** with (after --help, --version or a usage error). */
static int parse_options(int argc, char **argv, Options *opt) {
  int i;
  opt->path = NULL;
  opt->nactions = 0;
  opt->actions = xrealloc(NULL, (size_t)argc * sizeof(Action));
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--version")) {
      printf("tensordb %s\n", tdb_libversion());
      return 0;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      print_usage(stdout);
      return 0;
    } else if (!strcmp(a, "-c") || !strcmp(a, "-f")) {
      if (i + 1 >= argc) {
        fprintf(stderr, "error: %s needs an argument\n", a);
        return 1;
      }
      opt->actions[opt->nactions].is_file = a[1] == 'f';
      opt->actions[opt->nactions++].arg = argv[++i];
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "error: unknown option %s (see tensordb --help)\n", a);
      return 1;
    } else if (opt->path) {
      fprintf(stderr, "error: more than one database path: %s, %s\n", opt->path, a);
      return 1;
    } else {
      opt->path = a;
    }
  }
  if (!opt->path) opt->path = ":memory:";
  return -1;
}

/* Open the database, reporting a failure. Returns 0 on success. */
static int open_database(Shell *sh, const char *path) {
  int rc = tdb_open(path, NULL, &sh->db);
  if (rc == TDB_OK) return 0;
  if (sh->db)
    fprintf(stderr, "ERROR %s: cannot open %s: %s\n", tdb_sqlstate(sh->db), path,
            tdb_errmsg(sh->db));
  else
    fprintf(stderr, "error: cannot open %s: %s\n", path, tdb_errstr(rc));
  tdb_close(sh->db);
  sh->db = NULL;
  return 1;
}

static int run_actions(Shell *sh, const Options *opt) {
  int i;
  for (i = 0; i < opt->nactions && !sh->quit; i++) {
    const Action *a = &opt->actions[i];
    if (a->is_file ? run_file(sh, a->arg) : run_string(sh, a->arg)) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  Shell sh = {0};
  Options opt;
  int status = parse_options(argc, argv, &opt);
  if (status < 0) {
    status = open_database(&sh, opt.path);
    if (status == 0) {
      if (opt.nactions > 0) status = run_actions(&sh, &opt);
      else if (isatty(STDIN_FILENO)) status = run_interactive(&sh);
      else status = run_stdin(&sh);
      tdb_close(sh.db);
    }
  }
  free(opt.actions);
  fflush(stdout);
  return status;
}
