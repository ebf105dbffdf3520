/*
** lexer.re — the SQL tokenizer, for re2c.
**
** re2c turns this file into build/gen/lexer.c. It returns the TK_* codes of
** lemon's parse.h directly: there is one token list, owned by the grammar.
** The input is NUL-terminated and the NUL is the sentinel: no rule's wildcard
** matches \x00, so scanning stops exactly at the end of the text.
**
** Identifiers are looked up in tdbKeywords (sorted, case-insensitive); what is
** not a keyword is TK_ID. Non-reserved keywords fall back to TK_ID in the
** grammar (%fallback), so a column may be called `glob` or `escape`.
*/
#include "parser.h"
#include "parse.h"

typedef struct TdbKeyword {
  const char *name;  /* upper case */
  int code;
} TdbKeyword;

/* Sorted by name (strcmp order): tdbKeywordFind binary-searches it. */
static const TdbKeyword tdbKeywords[] = {
  {"ADD", TK_ADD}, {"ALL", TK_ALL}, {"ALTER", TK_ALTER}, {"ANALYZE", TK_ANALYZE},
  {"AND", TK_AND}, {"ANY", TK_ANY}, {"APPLICATION_TIME", TK_APPLICATION_TIME}, {"AS", TK_AS},
  {"ASC", TK_ASC}, {"AT", TK_AT}, {"BACKUP", TK_BACKUP}, {"BEFORE", TK_BEFORE},
  {"BEGIN", TK_BEGIN}, {"BETWEEN", TK_BETWEEN}, {"BOTH", TK_BOTH}, {"BY", TK_BY},
  {"CASE", TK_CASE}, {"CAST", TK_CAST}, {"CHECK", TK_CHECK}, {"COLUMN", TK_COLUMN},
  {"COMMIT", TK_COMMIT}, {"CONSTRAINT", TK_CONSTRAINT}, {"CONTAINS", TK_CONTAINS},
  {"CREATE", TK_CREATE}, {"CROSS", TK_CROSS}, {"CURRENT", TK_CURRENT},
  {"CURRENT_TIMESTAMP", TK_CURRENT_TIMESTAMP}, {"DEFAULT", TK_DEFAULT}, {"DELETE", TK_DELETE},
  {"DELETED", TK_DELETED}, {"DESC", TK_DESC}, {"DESCRIBE", TK_DESCRIBE},
  {"DISTINCT", TK_DISTINCT}, {"DRIFT", TK_DRIFT}, {"DROP", TK_DROP}, {"ELSE", TK_ELSE},
  {"END", TK_END}, {"EPOCH", TK_EPOCH}, {"EQUALS", TK_EQUALS}, {"ESCAPE", TK_ESCAPE},
  {"EXCEPT", TK_EXCEPT}, {"EXISTS", TK_EXISTS}, {"EXPLAIN", TK_EXPLAIN}, {"FALSE", TK_FALSE},
  {"FILTER", TK_FILTER}, {"FIRST", TK_FIRST}, {"FOLLOWING", TK_FOLLOWING}, {"FOR", TK_FOR},
  {"FROM", TK_FROM}, {"FULL", TK_FULL}, {"GLOB", TK_GLOB}, {"GROUP", TK_GROUP},
  {"HAVING", TK_HAVING}, {"HISTORY", TK_HISTORY}, {"IF", TK_IF}, {"IGNORE", TK_IGNORE},
  {"ILIKE", TK_ILIKE}, {"IMMEDIATELY", TK_IMMEDIATELY}, {"IN", TK_IN},
  {"INCLUDING", TK_INCLUDING}, {"INDEX", TK_INDEX}, {"INNER", TK_INNER}, {"INSERT", TK_INSERT},
  {"INTERSECT", TK_INTERSECT}, {"INTERVAL", TK_INTERVAL}, {"INTO", TK_INTO}, {"IS", TK_IS},
  {"ISNULL", TK_ISNULL}, {"JOIN", TK_JOIN}, {"KEY", TK_KEY}, {"LAST", TK_LAST},
  {"LEADING", TK_LEADING}, {"LEFT", TK_LEFT}, {"LIKE", TK_LIKE}, {"LIMIT", TK_LIMIT},
  {"NATURAL", TK_NATURAL}, {"NOT", TK_NOT}, {"NOTNULL", TK_NOTNULL}, {"NULL", TK_NULL},
  {"NULLS", TK_NULLS}, {"OF", TK_OF}, {"OFFSET", TK_OFFSET}, {"ON", TK_ON}, {"OR", TK_OR},
  {"ORDER", TK_ORDER}, {"OUTER", TK_OUTER}, {"OVER", TK_OVER}, {"OVERLAPS", TK_OVERLAPS},
  {"PARTITION", TK_PARTITION}, {"PATCH", TK_PATCH}, {"PORTION", TK_PORTION},
  {"POSITION", TK_POSITION}, {"PRECEDES", TK_PRECEDES}, {"PRECEDING", TK_PRECEDING},
  {"PRIMARY", TK_PRIMARY}, {"PURGE", TK_PURGE}, {"RANGE", TK_RANGE},
  {"RECURSIVE", TK_RECURSIVE}, {"RELEASE", TK_RELEASE}, {"RENAME", TK_RENAME},
  {"REPLACE", TK_REPLACE}, {"RESTORE", TK_RESTORE}, {"RETURNING", TK_RETURNING},
  {"RIGHT", TK_RIGHT}, {"ROLLBACK", TK_ROLLBACK}, {"ROW", TK_ROW}, {"ROWS", TK_ROWS},
  {"SAVEPOINT", TK_SAVEPOINT}, {"SELECT", TK_SELECT}, {"SET", TK_SET}, {"SHOW", TK_SHOW},
  {"SINCE", TK_SINCE}, {"SOFT", TK_SOFT}, {"SOME", TK_SOME}, {"SUCCEEDS", TK_SUCCEEDS},
  {"SYSTEM_TIME", TK_SYSTEM_TIME}, {"TABLE", TK_TABLE}, {"TABLES", TK_TABLES},
  {"TEMP", TK_TEMP}, {"TEMPORARY", TK_TEMPORARY}, {"THEN", TK_THEN},
  {"TIMESTAMP", TK_TIMESTAMP}, {"TO", TK_TO}, {"TRAILING", TK_TRAILING},
  {"TRANSACTION", TK_TRANSACTION}, {"TRUE", TK_TRUE}, {"UNBOUNDED", TK_UNBOUNDED},
  {"UNDELETE", TK_UNDELETE}, {"UNION", TK_UNION}, {"UNIQUE", TK_UNIQUE}, {"UPDATE", TK_UPDATE},
  {"USING", TK_USING}, {"VALID", TK_VALID}, {"VALID_TIME", TK_VALID_TIME},
  {"VALUES", TK_VALUES}, {"VERIFY", TK_VERIFY}, {"VIEW", TK_VIEW}, {"WHEN", TK_WHEN},
  {"WHERE", TK_WHERE}, {"WINDOW", TK_WINDOW}, {"WITH", TK_WITH},
};

TDB_PRIVATE int tdbKeywordCount(void) {
  return (int)TDB_ARRAY_LEN(tdbKeywords);
}

TDB_PRIVATE const char *tdbKeywordName(int i) {
  if (i < 0 || i >= tdbKeywordCount()) return NULL;
  return tdbKeywords[i].name;
}

/* Compare identifier z[0..n) case-insensitively with an upper-case keyword. */
static int tdbKeywordCompare(const unsigned char *z, size_t n, const char *kw) {
  size_t i;
  for (i = 0; i < n; i++) {
    int c = z[i];
    if (c >= 'a' && c <= 'z') c -= 'a' - 'A';
    if (kw[i] == '\0') return 1;
    if (c != (unsigned char)kw[i]) return c - (unsigned char)kw[i];
  }
  return kw[n] == '\0' ? 0 : -1;
}

static int tdbKeywordFind(const unsigned char *z, size_t n) {
  int lo = 0, hi = tdbKeywordCount() - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    int c = tdbKeywordCompare(z, n, tdbKeywords[mid].name);
    if (c == 0) return tdbKeywords[mid].code;
    if (c < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return TK_ID;
}

TDB_PRIVATE size_t tdbLexToken(const unsigned char *z, int *type) {
  const unsigned char *YYCURSOR = z, *YYMARKER = z;
#define TDB_TOKEN(t) do { *type = (t); return (size_t)(YYCURSOR - z); } while (0)
  /*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:yyfill:enable = 0;

    digit = [0-9];
    hex = [0-9a-fA-F];
    ident_start = [a-zA-Z_\x80-\xff];
    ident_char = [a-zA-Z_0-9$\x80-\xff];
    exponent = [eE] [+-]? digit+;

    "\x00" { *type = 0; return 0; }

    [ \t\r\n\f\v]+ { TDB_TOKEN(TK_SPACE); }
    "--" [^\n\x00]* { TDB_TOKEN(TK_SPACE); }
    "/*" ([^*\x00] | "*"+ [^*/\x00])* "*"+ "/" { TDB_TOKEN(TK_SPACE); }
    "/*" ([^*\x00] | "*"+ [^*/\x00])* "*"* { TDB_TOKEN(TK_ILLEGAL); }

    ['] ([^'\x00] | "''")* ['] { TDB_TOKEN(TK_STRING); }
    ['] ([^'\x00] | "''")* { TDB_TOKEN(TK_ILLEGAL); }
    ["] ([^"\x00] | "\"\"")* ["] { TDB_TOKEN(TK_ID); }
    ["] ([^"\x00] | "\"\"")* { TDB_TOKEN(TK_ILLEGAL); }
    [xX] ['] (hex hex)* ['] { TDB_TOKEN(TK_BLOB); }
    [xX] ['] [^'\x00]* [']? { TDB_TOKEN(TK_ILLEGAL); }

    digit+ { TDB_TOKEN(TK_INTEGER); }
    (digit+ "." digit* | "." digit+) exponent? { TDB_TOKEN(TK_FLOAT); }
    digit+ exponent { TDB_TOKEN(TK_FLOAT); }
    (digit+ | digit+ "." digit* | "." digit+) exponent? ident_start ident_char* {
      TDB_TOKEN(TK_ILLEGAL); /* trailing junk after a number: 12abc */
    }

    "?" { TDB_TOKEN(TK_VARIABLE); }
    "$" digit+ { TDB_TOKEN(TK_VARIABLE); }

    ident_start ident_char* {
      *type = tdbKeywordFind(z, (size_t)(YYCURSOR - z));
      return (size_t)(YYCURSOR - z);
    }

    "(" { TDB_TOKEN(TK_LP); }
    ")" { TDB_TOKEN(TK_RP); }
    "," { TDB_TOKEN(TK_COMMA); }
    ";" { TDB_TOKEN(TK_SEMI); }
    "." { TDB_TOKEN(TK_DOT); }
    "+" { TDB_TOKEN(TK_PLUS); }
    "->>" { TDB_TOKEN(TK_ARROW2); }
    "->" { TDB_TOKEN(TK_ARROW); }
    "-" { TDB_TOKEN(TK_MINUS); }
    "*" { TDB_TOKEN(TK_STAR); }
    "/" { TDB_TOKEN(TK_SLASH); }
    "%" { TDB_TOKEN(TK_REM); }
    "||" { TDB_TOKEN(TK_CONCAT); }
    "=" | "==" { TDB_TOKEN(TK_EQ); }
    "<>" | "!=" { TDB_TOKEN(TK_NE); }
    "<" { TDB_TOKEN(TK_LT); }
    "<=" { TDB_TOKEN(TK_LE); }
    ">" { TDB_TOKEN(TK_GT); }
    ">=" { TDB_TOKEN(TK_GE); }
    "::" { TDB_TOKEN(TK_DCOLON); }

    * { TDB_TOKEN(TK_ILLEGAL); }
  */
#undef TDB_TOKEN
}

TDB_PRIVATE int tdbIsKeyword(const char *name) {
  return tdbKeywordFind((const unsigned char *)name, strlen(name)) != TK_ID;
}
