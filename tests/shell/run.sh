#!/usr/bin/env bash
# tests/shell/run.sh — tests of the command-line shell (tools/shell.c).
#
# Runs $TDB_SHELL with -c, -f, piped stdin and, for interactive behaviour
# (prompt, errors, history, TAB completion), inside a pseudo-terminal made by
# `script` from util-linux. Prints one `ok - ...` or `FAIL - ...` line per
# check and, last, `N passed, N failed`; exits non-zero when a check failed.
# Environment (set by build.sh): TDB_ROOT, TDB_BUILD, TDB_SHELL.
set -u

ROOT=${TDB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${TDB_BUILD:-$ROOT/build}
SHELL_BIN=${TDB_SHELL:-$BUILD/tensordb}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tdb-shell.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
skipped=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }

# skip NAME WHY : a check the engine cannot run yet.
skip() { echo "ok - $1 # SKIP $2"; skipped=$((skipped + 1)); }

# fail NAME : report a failed check with the last run's output, indented.
fail() {
  echo "FAIL - $1"
  failed=$((failed + 1))
  [ -s "$TMP/diff" ] && sed 's/^/#   /' "$TMP/diff"
  [ -f "$TMP/out" ] && sed 's/^/#   out: /' "$TMP/out" | head -n 20
  [ -f "$TMP/err" ] && sed 's/^/#   err: /' "$TMP/err" | head -n 20
  echo "#   exit status: ${RC:-?}"
}

# check NAME CONDITION... : ok when the command CONDITION succeeds.
check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else fail "$name"; fi
}

# run ARGS... : run the shell with stdin from $IN (default /dev/null) into
# $TMP/out and $TMP/err, exit status in RC. A sanitizer report is a failure.
run() {
  : >"$TMP/diff"
  "$SHELL_BIN" "$@" <"${IN:-/dev/null}" >"$TMP/out" 2>"$TMP/err"
  RC=$?
  if grep -qE 'Sanitizer|runtime error:' "$TMP/err"; then
    fail "no sanitizer report (shell $*)"
  fi
}

# run_pipe TEXT ARGS... : run the shell with TEXT on stdin.
run_pipe() {
  local text=$1; shift
  printf '%s' "$text" >"$TMP/stdin"
  IN=$TMP/stdin run "$@"
}

# same_out EXPECTED : stdout is exactly EXPECTED plus a newline.
same_out() {
  printf '%s\n' "$1" >"$TMP/expected"
  diff -u "$TMP/expected" "$TMP/out" >"$TMP/diff"
}

# expect NAME EXPECTED : the last run exited 0, said nothing on stderr and
# printed exactly EXPECTED.
expect() {
  if [ "$RC" = 0 ] && [ ! -s "$TMP/err" ] && same_out "$2"; then ok "$1"; else fail "$1"; fi
}

out_has() { grep -qE -- "$1" "$TMP/out"; }
err_has() { grep -qE -- "$1" "$TMP/err"; }
out_lacks() { ! grep -qE -- "$1" "$TMP/out"; }
exited() { [ "$RC" = "$1" ]; }

if [ ! -x "$SHELL_BIN" ]; then
  echo "FAIL - the shell $SHELL_BIN is not built"
  echo "0 passed, 1 failed"
  exit 1
fi

# ---- options -------------------------------------------------------------------

run --version
check "--version prints 'tensordb X.Y.Z'" \
  eval 'exited 0 && grep -qxE "tensordb [0-9]+\.[0-9]+\.[0-9]+" "$TMP/out"'

run --help
check "--help prints the usage" eval 'exited 0 && out_has "^usage: tensordb" && out_has "-c SQL"'

run --bogus
check "an unknown option is an error (exit 1)" eval 'exited 1 && err_has "unknown option"'

run -c
check "-c without SQL is an error (exit 1)" eval 'exited 1 && err_has "needs an argument"'

# ---- output modes ---------------------------------------------------------------

Q="SELECT 1 + 2 AS three, 'tensor' || 'db' AS name, NULL AS nothing, 2.5 AS r"

run -c "$Q;"
expect "table mode (default): aligned columns, header, border, NULL" \
'+-------+----------+---------+-----+
| three | name     | nothing | r   |
+-------+----------+---------+-----+
|     3 | tensordb | NULL    | 2.5 |
+-------+----------+---------+-----+'

run -c ".mode line" -c "$Q;"
expect "line mode: name = value" \
'  three = 3
   name = tensordb
nothing = NULL
      r = 2.5'

run -c ".mode line" -c "SELECT 1 AS a; SELECT 2 AS a;"
expect "line mode: a blank line between rows" \
'a = 1

a = 2'

run -c ".mode csv" -c "$Q;"
expect "csv mode: header line, NULL as an empty field" \
'three,name,nothing,r
3,tensordb,,2.5'

run -c ".mode csv" -c "SELECT 'a,b' AS \"x,y\", 'say \"hi\"' AS q, 'plain' AS p;"
expect "csv mode: RFC 4180 quoting" \
'"x,y",q,p
"a,b","say ""hi""",plain'

run -c ".mode json" -c "$Q;"
expect "json mode: typed values" \
'[{"three":3,"name":"tensordb","nothing":null,"r":2.5}]'

run -c ".mode json" -c "SELECT 'a\"b\\c' AS s, 1 = 1 AS t, 1 = 2 AS f;"
expect "json mode: string escaping, true/false" \
'[{"s":"a\"b\\c","t":true,"f":false}]'

run -c ".mode json" -c "SELECT 'line1
line2' AS s;"
expect "json mode: a newline in a string is escaped" \
'[{"s":"line1\nline2"}]'

run -c ".mode json" -c "SELECT 1 AS a; SELECT 2 AS b;"
expect "json mode: one array per statement" \
'[{"a":1}]
[{"b":2}]'

run -c "SELECT 1 AS a WHERE 1 = 0;"
if exited 1 && err_has "^ERROR 42601: "; then
  skip "table mode: a statement with no rows prints the header" "engine: no WHERE yet"
  skip "csv mode: a statement with no rows prints the header" "engine: no WHERE yet"
else
  expect "table mode: a statement with no rows prints the header" \
'+---+
| a |
+---+
+---+'
  run -c ".mode csv" -c "SELECT 1 AS a WHERE 1 = 0;"
  expect "csv mode: a statement with no rows prints the header" 'a'
fi

run -c ".mode"
expect ".mode without an argument shows the mode" 'current output mode: table'

run -c ".mode xml"
check ".mode with an unknown mode is an error" eval 'exited 1 && err_has "unknown mode"'

# ---- scripts: -f, -c, pipes, .read -------------------------------------------------

cat >"$TMP/script.sql" <<'EOF'
-- a comment line between statements
SELECT 1 AS one;
.mode csv
SELECT 2
  AS two;   SELECT 3 AS three;
SELECT 4 AS four -- the last statement may omit its ';'
EOF
run -f "$TMP/script.sql"
expect "-f runs several statements and dot-commands in order" \
'+-----+
| one |
+-----+
|   1 |
+-----+
two
2
three
3
four
4'

run -c "SELECT 0 AS zero;" -f "$TMP/script.sql" -c "SELECT 5 AS five;"
check "several -c and -f run in order" \
  eval 'exited 0 && [ "$(sed -n 2p "$TMP/out")" = "| zero |" ] && [ "$(tail -n 1 "$TMP/out")" = 5 ]'

run_pipe $'SELECT\n  10 AS ten\n;\n.mode csv\nSELECT 11 AS a,\n 12 AS b;\n'
expect "a pipe: statements spanning lines and a dot-command" \
'+-----+
| ten |
+-----+
|  10 |
+-----+
a,b
11,12'

run_pipe $'/* a block comment\n   on two lines */\n.mode csv\nSELECT 1 AS a; /* trailing */\n'
expect "a dot-command may follow a comment" $'a\n1'

printf '.mode csv\nSELECT 21 AS inner_value;\n' >"$TMP/inner.sql"
printf 'SELECT 20 AS outer_value;\n.read %s\nSELECT 22 AS after;\n' "$TMP/inner.sql" >"$TMP/outer.sql"
run -f "$TMP/outer.sql"
check ".read runs a file in place" eval 'exited 0 && same_out "+-------------+
| outer_value |
+-------------+
|          20 |
+-------------+
inner_value
21
after
22"'

run -c ".read $TMP/does-not-exist.sql"
check ".read of a missing file is an error (exit 1)" eval 'exited 1 && err_has "cannot open"'

printf '.read %s\n' "$TMP/self.sql" >"$TMP/self.sql"
run -f "$TMP/self.sql"
check ".read that reads itself stops with an error" eval 'exited 1 && err_has "nested"'

run -f "$TMP/does-not-exist.sql"
check "-f of a missing file is an error (exit 1)" \
  eval 'exited 1 && err_has "cannot open .*does-not-exist.sql"'

run_pipe $'SELECT 1 AS a;\n.quit\nSELECT 2 AS b;\n'
check ".quit stops the script" eval 'exited 0 && out_has "\| a \|" && out_lacks "\| b \|"'

# ---- dot-commands ------------------------------------------------------------------

run -c ".help"
check ".help lists the dot-commands" eval 'exited 0 && out_has "\.tables" && out_has "\.schema" &&
  out_has "\.mode" && out_has "\.timer" && out_has "\.read" && out_has "\.help" &&
  out_has "\.quit" && out_has "\.exit" && out_has "table.*default"'

run -c ".timer on" -c "SELECT 1 AS a;"
check ".timer on prints a Run Time line" \
  eval 'exited 0 && grep -qxE "Run Time: real [0-9]+\.[0-9]{3} s" "$TMP/out"'

run -c ".timer on" -c ".timer off" -c "SELECT 1 AS a;"
check ".timer off prints no Run Time line" eval 'exited 0 && out_lacks "Run Time"'

run -c ".timer maybe"
check ".timer with a bad argument is an error" eval 'exited 1 && err_has "usage: .timer"'

run -c ".frobnicate"
check "an unknown dot-command is an error (exit 1)" \
  eval 'exited 1 && err_has "unknown command.*frobnicate"'

run -c "CREATE TABLE beta (a INTEGER);"
if exited 0; then
  check "DDL prints nothing" eval '[ ! -s "$TMP/out" ] && [ ! -s "$TMP/err" ]'
  run -c "CREATE TABLE beta (a INTEGER);" -c "INSERT INTO beta VALUES (1);"
  check "DML prints nothing" eval 'exited 0 && [ ! -s "$TMP/out" ]'
  run -c "CREATE TABLE beta (a INTEGER); CREATE TABLE alpha (b TEXT);" -c ".tables"
  expect ".tables lists the tables by name" $'alpha\nbeta'
  run -c "CREATE TABLE alpha (b TEXT);" -c ".schema alpha"
  check ".schema TABLE prints its CREATE statement" \
    eval 'exited 0 && grep -qiE "^CREATE TABLE .*alpha.*;$" "$TMP/out"'
else
  skip "DDL prints nothing" "engine: no CREATE TABLE yet"
  skip "DML prints nothing" "engine: no CREATE TABLE yet"
  run -c ".tables"
  check ".tables succeeds and lists nothing while no table exists" \
    eval 'exited 0 && [ ! -s "$TMP/out" ] && [ ! -s "$TMP/err" ]'
  run -c ".schema some_table"
  check ".schema TABLE succeeds and prints nothing for an unknown table" \
    eval 'exited 0 && [ ! -s "$TMP/out" ]'
fi

# ---- errors ---------------------------------------------------------------------------

run -c "SELEC 1;"
check "-c: a syntax error prints ERROR 42601 and exits 1" \
  eval 'exited 1 && err_has "^ERROR 42601: " && [ ! -s "$TMP/out" ]'

run -c "SELECT 1 AS a; SELEC 2; SELECT 3 AS c;"
check "-c: statements after an error do not run" \
  eval 'exited 1 && out_has "\| a \|" && out_lacks "\| c \|"'

run -c "SELEC 1;" -c "SELECT 2 AS b;"
check "-c: a later -c does not run after an error" eval 'exited 1 && out_lacks "b"'

printf 'SELECT 1 AS a;\nSELECT (;\nSELECT 3 AS c;\n' >"$TMP/bad.sql"
run -f "$TMP/bad.sql"
check "-f: stops at the first error, exits 1, names the line" \
  eval 'exited 1 && err_has "^ERROR 42601: " && err_has "bad.sql:2" && out_has "a" && out_lacks "c"'

run_pipe $'SELECT 1 AS a;\nSELECT FROM WHERE;\nSELECT 3 AS c;\n.mode csv\n'
check "a pipe: stops at the first error and exits 1" \
  eval 'exited 1 && err_has "^ERROR 42601: " && out_has "a" && out_lacks "c"'

printf 'SELECT 1 AS a;\nSELECT 2 AS \000b;\nSELECT 3 AS c;\n' >"$TMP/nul.sql"
IN=$TMP/nul.sql run
check "a NUL byte in the input is an error, not a crash" \
  eval 'exited 1 && err_has "NUL byte" && out_lacks "c"'

run_pipe $'.mode json\nSELECT \'\xff\xfe\' AS bad;\n'
check "invalid UTF-8 in the input does not crash" \
  eval '{ exited 0 || exited 1; } && { exited 1 || out_has "^\[\{\"bad\":\"\\\\ufffd\\\\ufffd\"\}\]$"; }'

long=$(head -c 200000 /dev/zero | tr '\0' x)
printf ".mode csv\nSELECT '%s' AS long_text;\n" "$long" >"$TMP/long.sql"
run -f "$TMP/long.sql"
check "a 200 KB line runs" \
  eval 'exited 0 && [ "$(sed -n 2p "$TMP/out" | wc -c)" = 200001 ]'

run /nonexistent-dir/sub/db.tdb -c "SELECT 1;"
check "a database that cannot be opened is an error (exit 1)" \
  eval 'exited 1 && [ -s "$TMP/err" ]'

# ---- interactive, in a pseudo-terminal ---------------------------------------------

# pty INPUT [VAR=VALUE...] : run the shell in a pseudo-terminal fed INPUT; the
# transcript (CRs removed) goes to $TMP/pty, the exit status to RC.
pty() {
  local input=$1; shift
  : >"$TMP/diff"
  printf '%s' "$input" >"$TMP/stdin"
  env "$@" SHELL=/bin/sh TERM=xterm timeout 30 \
    script -qfec "$(printf '%q' "$SHELL_BIN")" /dev/null <"$TMP/stdin" >"$TMP/pty.raw" 2>&1
  RC=$?
  tr -d '\r' <"$TMP/pty.raw" >"$TMP/pty"
  cp "$TMP/pty" "$TMP/out"
  : >"$TMP/err"
  if grep -qE 'Sanitizer|runtime error:' "$TMP/pty"; then
    fail "no sanitizer report (interactive)"
  fi
}

pty_has() { grep -qE -- "$1" "$TMP/pty"; }

if ! command -v script >/dev/null 2>&1; then
  fail "script (util-linux) is installed, for the interactive tests"
else
  HIST=$TMP/history
  pty $'SELECT 1 AS first;\nSELEC oops;\nSELECT\n  2 AS second;\n.quit\n' TENSORDB_HISTORY="$HIST"
  check "interactive: prints the prompt" eval 'exited 0 && pty_has "^tensordb> "'
  check "interactive: continuation prompt for an incomplete statement" \
    eval 'pty_has "^     \.\.\.> "'
  check "interactive: an error does not end the session" \
    eval 'pty_has "ERROR 42601: " && pty_has "\| second \|"'
  check "interactive: history is written to \$TENSORDB_HISTORY" \
    eval '[ -f "$HIST" ] && grep -q "first" "$HIST" && grep -q "oops" "$HIST"'

  pty $'sel\t 3 AS completed;\n.mo\t csv\nSELECT 4 AS after_mode;\n' TENSORDB_HISTORY="$HIST"
  check "interactive: TAB completes a keyword" eval 'exited 0 && pty_has "\| completed \|"'
  check "interactive: TAB completes a dot-command" eval 'pty_has "^after_mode$"'

  pty $'CREATE TABLE zebra_stripes (a INTEGER);\nSELECT a FROM zebra_s\t;\n' TENSORDB_HISTORY="$HIST"
  if pty_has "ERROR 42601: near \"CREATE\""; then
    skip "interactive: TAB completes a table name" "engine: no CREATE TABLE yet"
  else
    check "interactive: TAB completes a table name" \
      eval 'exited 0 && pty_has "\| a \|" && ! pty_has "ERROR"'
  fi

  mkdir -p "$TMP/home"
  pty $'SELECT 5 AS home_history;\n' -u TENSORDB_HISTORY HOME="$TMP/home"
  check "interactive: history defaults to ~/.tensordb_history" \
    eval 'exited 0 && grep -q home_history "$TMP/home/.tensordb_history"'

  pty $'SELECT 6 AS no_home;\n' -u TENSORDB_HISTORY -u HOME
  check "interactive: works without HOME" eval 'exited 0 && pty_has "\| no_home \|"'

  pty $'SELECT 7 AS bad_home;\n' -u TENSORDB_HISTORY HOME=/nonexistent-dir/x
  check "interactive: works with an unwritable HOME" eval 'exited 0 && pty_has "\| bad_home \|"'
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
