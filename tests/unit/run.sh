#!/usr/bin/env bash
# tests/unit/run.sh — build and run the C unit tests of tests/unit/.
#
# Every tests/unit/test_*.c is one program: it #includes "tensordb.c" (the
# amalgamation, so the engine's static internals are reachable), test.h and,
# when it needs them, helpers of tests/common/ (e.g. fault_vfs.c). Each is
# compiled as a single translation unit:
#
#   $TDB_CC $TDB_CFLAGS -DTDB_TEST -I<amalgamation> -Itests/unit -Itests/common \
#       tests/unit/test_x.c -o $TDB_BUILD/unit/test_x $TDB_LDLIBS
#
# then run. The programs are compiled first, $TDB_JOBS at a time (default:
# the number of CPUs; compiling the amalgamation is most of the suite's
# time), then run one after the other in name order. Each program prints its
# failures and, last, `N passed, N failed`.
# This script prints every program's failures (and compiler diagnostics),
# a `[unit] test_x: N passed, N failed` line per program, and as its last
# line `N passed, N failed` summed over all programs. A program that does not
# build, crashes, or exits non-zero without reporting a failure (e.g. a
# sanitizer's leak report at exit) counts as one failed test. Exit status 1
# when anything failed.
#
# Environment (set by build.sh; defaults for a manual run):
#   TDB_ROOT TDB_BUILD TDB_CC TDB_CFLAGS TDB_LDLIBS
#   TDB_AMALGAMATION  directory holding tensordb.c/.h (default $TDB_ROOT/amalgamation)
#   TDB_UNIT_FILTER   run only programs whose name contains this string
#   TDB_JOBS          compilers at once (default: the number of CPUs)
set -u

ROOT=${TDB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${TDB_BUILD:-$ROOT/build}
CC=${TDB_CC:-cc}
CFLAGS=${TDB_CFLAGS:--std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -O2 -g}
LDLIBS=${TDB_LDLIBS:--llz4 -lpthread -lm}
AMAL=${TDB_AMALGAMATION:-$ROOT/amalgamation}
FILTER=${TDB_UNIT_FILTER:-}
JOBS=${TDB_JOBS:-$(nproc 2>/dev/null || echo 2)}
OUT=$BUILD/unit

passed=0
failed=0

# indent FILE [MAX]: the first MAX (default 40) lines of FILE, indented.
indent() { head -n "${2:-40}" "$1" | sed 's/^/#   /'; }

if [ ! -f "$AMAL/tensordb.c" ]; then
  echo "FAIL - no amalgamation at $AMAL/tensordb.c (run ./build.sh first)"
  echo "0 passed, 1 failed"
  exit 1
fi
mkdir -p "$OUT" || exit 1

# build_one SRC NAME EXTRA_FLAGS: compile one program; its exit status goes
# to $OUT/NAME.build.rc, the compiler's output to $OUT/NAME.build.log.
build_one() {
  local src=$1 name=$2 extra=$3
  # shellcheck disable=SC2086  # flags are word lists
  $CC $CFLAGS $extra -DTDB_TEST -I"$AMAL" -I"$ROOT/tests/unit" -I"$ROOT/tests/common" \
      "$src" -o "$OUT/$name" $LDLIBS >"$OUT/$name.build.log" 2>&1
  echo $? >"$OUT/$name.build.rc"
}

# run_one NAME: run one built program, add its counts.
run_one() {
  local name=$1 bin log runlog rc last p f
  bin=$OUT/$name
  log=$OUT/$name.build.log
  if [ "$(cat "$OUT/$name.build.rc" 2>/dev/null)" != 0 ]; then
    echo "FAIL - $name does not build:"
    indent "$log"
    echo "[unit] $name: 0 passed, 1 failed"
    failed=$((failed + 1))
    return
  fi
  if [ -s "$log" ]; then
    echo "# $name: compiler diagnostics:"
    indent "$log"
  fi
  runlog=$OUT/$name.log
  (cd "$OUT" && "$bin") >"$runlog" 2>&1
  rc=$?
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$runlog" | tail -n 1)
  # Everything but the closing line: failures, sanitizer reports, notes.
  grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$runlog" | head -n 200
  if [ -z "$last" ]; then
    echo "FAIL - $name exited $rc without a closing 'N passed, N failed' line"
    echo "[unit] $name: 0 passed, 1 failed"
    failed=$((failed + 1))
    return
  fi
  p=${last%% passed*}
  f=${last#*passed, }
  f=${f%% failed*}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "FAIL - $name exited $rc after reporting no failures"
    f=1
  fi
  echo "[unit] $name: $p passed, $f failed"
  passed=$((passed + p))
  failed=$((failed + f))
}

# Programs built with LZ4 (as the shipped library is) and, for the ones whose
# behaviour depends on it, once more without (the "file needs LZ4" paths).
WITHOUT_LZ4_TOO=" test_sstable test_block "
names=()
running=0
for src in "$ROOT"/tests/unit/test_*.c; do
  [ -f "$src" ] || continue
  name=$(basename "$src" .c)
  case "$name" in *"$FILTER"*) ;; *) continue ;; esac
  variants="$name|-DTDB_ENABLE_LZ4"
  case "$WITHOUT_LZ4_TOO" in
    *" $name "*) variants="$variants $name-nolz4|" ;;
  esac
  for v in $variants; do
    names+=("${v%%|*}")
    rm -f "$OUT/${v%%|*}.build.rc"
    build_one "$src" "${v%%|*}" "${v#*|}" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
      wait -n
      running=$((running - 1))
    fi
  done
done
wait
for name in "${names[@]}"; do run_one "$name"; done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
