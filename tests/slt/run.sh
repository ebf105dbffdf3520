#!/usr/bin/env bash
# tests/slt/run.sh — the SQL test suite: runs the project's own sqllogictest
# files (tests/sql/) with tdb_slt, then proves that tdb_slt can fail: each
# tests/slt/selftest/*.test file holds deliberately wrong records and states
# the counts the runner must report for it on its first line,
#   # expect: P passed, F failed, S skipped
# and marks each record that must fail with a comment `# FAIL: <kind>` just
# before it (before its skipif/onlyif lines), which the runner must report as
# `FILE:LINE: FAIL <kind>` for the record's header line. Last, it checks the
# `reopen` extension: on disk in a fresh directory under $TMPDIR, removed
# afterwards, and an I/O error (exit status 2) when $TMPDIR is unusable.
#
# Environment (set by build.sh): TDB_ROOT (repository root), TDB_BUILD (the
# build directory holding tdb_slt). Prints `ok - ...` / `FAIL - ...` per check
# and as its last line `N passed, N failed`: the records of the tests/sql run
# plus the self-test checks. Exits non-zero on any failure.
set -u

ROOT=${TDB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${TDB_BUILD:-$ROOT/build}
SLT=$BUILD/tdb_slt
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tdb_slt_run.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }

# sanitizer_report FILE : true if FILE holds an ASan/UBSan/LSan report
sanitizer_report() {
  grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1"
}

if [ ! -x "$SLT" ]; then
  fail "no runner at $SLT (build it with ./build.sh)"
  echo "$passed passed, $failed failed"
  exit 1
fi

# ---- the runner's own MD5 against RFC 1321 --------------------------------
if "$SLT" --self-test-md5 >"$tmp/md5.out" 2>&1 && ! sanitizer_report "$tmp/md5.out"; then
  ok "md5 matches the RFC 1321 test vectors"
else
  cat "$tmp/md5.out"
  fail "md5 self-test"
fi

# ---- (a) the project's SQL tests: every record must pass ------------------
"$SLT" "$ROOT/tests/sql" >"$tmp/sql.out" 2>&1
rc=$?
cat "$tmp/sql.out"
last=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$tmp/sql.out" | tail -n 1)
if [ -z "$last" ]; then
  fail "tests/sql: tdb_slt printed no summary (exit $rc)"
else
  p=${last%% passed*}
  f=${last#* passed, }; f=${f%% failed*}
  passed=$((passed + p))
  failed=$((failed + f))
  if sanitizer_report "$tmp/sql.out"; then
    fail "tests/sql: sanitizer report"
  elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    fail "tests/sql: tdb_slt exited $rc with no failed record"
  fi
fi

# ---- (b) the runner must fail what is wrong --------------------------------
for t in "$ROOT"/tests/slt/selftest/*.test; do
  [ -f "$t" ] || continue
  name=selftest/$(basename "$t")
  expect=$(sed -n '1s/^# expect: //p' "$t")
  if ! [[ "$expect" =~ ^[0-9]+\ passed,\ [0-9]+\ failed,\ [0-9]+\ skipped$ ]]; then
    fail "$name: first line must be '# expect: P passed, F failed, S skipped'"
    continue
  fi
  "$SLT" "$t" >"$tmp/self.out" 2>&1
  rc=$?
  if sanitizer_report "$tmp/self.out"; then
    cat "$tmp/self.out"
    fail "$name: sanitizer report"
    continue
  fi
  # the per-file line, without the "(K not a TensorDB feature)" note
  got=$(grep -F "$t: " "$tmp/self.out" | grep -E ': [0-9]+ passed, ' | tail -n 1)
  got=${got#"$t: "}
  got=${got%% (*}
  if [ "$got" = "$expect" ]; then
    ok "$name: $got"
  else
    cat "$tmp/self.out"
    fail "$name: expected '$expect', runner said '$got'"
  fi
  nfail=${expect#* passed, }; nfail=${nfail%% failed*}
  if [ "$nfail" -gt 0 ] && [ "$rc" = 1 ]; then
    ok "$name: exit status 1 with failures"
  elif [ "$nfail" = 0 ] && [ "$rc" = 0 ]; then
    ok "$name: exit status 0 without failures"
  else
    fail "$name: exit status $rc (expected $([ "$nfail" -gt 0 ] && echo 1 || echo 0))"
  fi
  # every `# FAIL: kind` marker names the failure of the record after it
  while read -r line kind; do
    [ -n "$line" ] || continue
    if grep -qxF "$t:$line: FAIL $kind" "$tmp/self.out" \
       || grep -qF "$t:$line: FAIL $kind:" "$tmp/self.out"; then
      ok "$name:$line: fails with '$kind'"
    else
      grep -F "$t:$line:" "$tmp/self.out"
      fail "$name:$line: expected the runner to report 'FAIL $kind'"
    fi
  done < <(awk '
    /^# FAIL: / { kind = substr($0, 9); pending = 1; next }
    pending && /^[ \t]*$/ { next }
    pending && /^#/ { next }
    pending && /^(skipif|onlyif)[ \t]/ { next }
    pending { print NR, kind; pending = 0 }
  ' "$t")
done

# ---- (c) `reopen`: on disk in a fresh directory under $TMPDIR, removed after --
mkdir -p "$tmp/disk"
TMPDIR=$tmp/disk "$SLT" -v "$ROOT/tests/slt/selftest/reopen.test" >"$tmp/reopen.out" 2>&1
if grep -qE "^$ROOT/tests/slt/selftest/reopen.test: on disk at $tmp/disk/tdb_slt\.[A-Za-z0-9]{6}/db\$" "$tmp/reopen.out"; then
  ok "reopen: the file runs on disk in a directory under \$TMPDIR"
else
  grep -F 'on disk' "$tmp/reopen.out"
  fail "reopen: expected 'on disk at $tmp/disk/tdb_slt.XXXXXX/db' with -v"
fi
if [ -z "$(ls -A "$tmp/disk")" ]; then
  ok "reopen: the temporary directory is removed afterwards"
else
  ls -lA "$tmp/disk"
  fail "reopen: left behind in \$TMPDIR: $(ls -A "$tmp/disk" | tr '\n' ' ')"
fi
TMPDIR=$tmp/disk "$SLT" -v "$ROOT/tests/slt/selftest/reopen_skipped.test" >"$tmp/reopen.out" 2>&1
if ! grep -qF 'on disk' "$tmp/reopen.out" && [ -z "$(ls -A "$tmp/disk")" ]; then
  ok "reopen: a file whose only reopen is skipped runs in memory"
else
  fail "reopen: a file whose only reopen is skipped went to disk"
fi
TMPDIR=$tmp/missing "$SLT" "$ROOT/tests/slt/selftest/reopen.test" >"$tmp/reopen.out" 2>&1; rc=$?
if [ "$rc" = 2 ] && grep -qF 'cannot make a directory' "$tmp/reopen.out"; then
  ok "reopen: an unusable \$TMPDIR is an I/O error (exit status 2)"
else
  cat "$tmp/reopen.out"
  fail "reopen: with TMPDIR=$tmp/missing: exit status $rc, expected 2 and 'cannot make a directory'"
fi
TMPDIR=$tmp/missing "$SLT" "$ROOT/tests/slt/selftest/reopen_skipped.test" >/dev/null 2>&1; rc=$?
[ "$rc" = 0 ] && ok "reopen: a file without reopen does not need \$TMPDIR" \
  || fail "reopen: a file without reopen failed with TMPDIR=$tmp/missing (exit $rc)"

# the usage and I/O errors exit with 2
"$SLT" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && ok "no arguments: exit status 2" || fail "no arguments: exit status $rc, expected 2"
"$SLT" "$tmp/does-not-exist.test" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && ok "missing file: exit status 2" || fail "missing file: exit status $rc, expected 2"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
