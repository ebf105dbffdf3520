#!/usr/bin/env bash
# tests/fuzz/run_regress.sh — the fuzz harnesses as a normal test suite, no
# libFuzzer needed: every tests/fuzz/fuzz_*.c is linked with tests/fuzz/regress.c
# (a main() that runs the harness on files) using the suite's compiler and flags,
#
#   $TDB_CC $TDB_CFLAGS -DTDB_ENABLE_LZ4 -I<amalgamation> -Itests/fuzz \
#       tests/fuzz/fuzz_x.c tests/fuzz/regress.c -o $TDB_BUILD/fuzz-regress/fuzz_x $TDB_LDLIBS
#
# and run on tests/fuzz/seeds/fuzz_x/ and tests/fuzz/crashes/fuzz_x/ (every
# crash the fuzzer ever found), each input in its own process. Under
# `./build.sh test --sanitize` that is ASan+UBSan+LeakSanitizer.
#
# Prints failing inputs, a `[fuzz-regress] fuzz_x: N passed, N failed` line per
# harness and last `N passed, N failed`, one test per harness (a harness
# passes when it builds and every input of it passes). Exit status 1 on failure.
#
# Environment (set by build.sh; defaults for a manual run):
#   TDB_ROOT TDB_BUILD TDB_CC TDB_CFLAGS TDB_LDLIBS
#   TDB_AMALGAMATION  directory holding tensordb.c/.h (default $TDB_ROOT/amalgamation)
set -u

ROOT=${TDB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${TDB_BUILD:-$ROOT/build}
CC=${TDB_CC:-cc}
CFLAGS=${TDB_CFLAGS:--std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -O2 -g}
LDLIBS=${TDB_LDLIBS:--llz4 -lpthread -lm}
AMAL=${TDB_AMALGAMATION:-$ROOT/amalgamation}
HERE=$ROOT/tests/fuzz
OUT=$BUILD/fuzz-regress

passed=0
failed=0
names=()
for src in "$HERE"/fuzz_*.c; do
  [ -f "$src" ] && names+=("$(basename "$src" .c)")
done
if [ ! -f "$AMAL/tensordb.c" ]; then
  echo "FAIL - no amalgamation at $AMAL/tensordb.c (run ./build.sh first)"
  echo "0 passed, ${#names[@]} failed"
  exit 1
fi
mkdir -p "$OUT" || exit 1

# Build every harness, as many at once as there are CPUs (each one compiles
# the whole amalgamation).
jobs_max=$(nproc 2>/dev/null || echo 2)
for name in "${names[@]}"; do
  (
    # shellcheck disable=SC2086  # flags are word lists
    $CC $CFLAGS -DTDB_ENABLE_LZ4 -I"$AMAL" -I"$HERE" "$HERE/$name.c" "$HERE/regress.c" \
      -o "$OUT/$name" $LDLIBS >"$OUT/$name.build.log" 2>&1 || rm -f "$OUT/$name"
  ) &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
done
wait

for name in "${names[@]}"; do
  if [ ! -x "$OUT/$name" ]; then
    echo "FAIL - $name does not build:"
    head -n 40 "$OUT/$name.build.log" | sed 's/^/#   /'
    echo "[fuzz-regress] $name: 0 passed, 1 failed"
    failed=$((failed + 1))
    continue
  fi
  if [ -s "$OUT/$name.build.log" ]; then
    echo "# $name: compiler diagnostics:"
    head -n 40 "$OUT/$name.build.log" | sed 's/^/#   /'
  fi
  runlog=$OUT/$name.log
  (cd "$OUT" && "$OUT/$name" "$HERE/seeds/$name" "$HERE/crashes/$name") >"$runlog" 2>&1
  rc=$?
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$runlog" | tail -n 1)
  grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$runlog" | head -n 100
  if [ -z "$last" ] || [ "$rc" != 0 ]; then
    echo "[fuzz-regress] $name: ${last:-no result} (exit $rc)"
    failed=$((failed + 1))
  else
    echo "[fuzz-regress] $name: $last"
    passed=$((passed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
