#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS — build the libFuzzer harnesses of tests/fuzz/ and
# fuzz each for SECONDS / (number of harnesses) seconds (`./build.sh fuzz`).
#
#   bash tests/fuzz/run.sh 600        # ten minutes in all
#   FUZZ_ONLY=fuzz_wal bash tests/fuzz/run.sh 120   # one harness
#   bash tests/fuzz/run.sh            # no SECONDS: the regression suite
#
# Without SECONDS — which is how `./build.sh test` calls every tests/*/run.sh —
# it runs tests/fuzz/run_regress.sh instead: the harnesses without libFuzzer,
# built with $TDB_CC $TDB_CFLAGS, on tests/fuzz/seeds/ and tests/fuzz/crashes/.
#
# Each harness fuzz_*.c is one translation unit that includes the amalgamation
# (run ./build.sh first); it is built with
#   clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1
# into $TDB_BUILD/fuzz/bin/. When libFuzzer is missing and we are root, the
# compiler-rt package of the installed clang is installed with apt-get.
#
# Corpus: $TDB_BUILD/fuzz/corpus/<harness>/, seeded from tests/fuzz/seeds/<harness>/
# and from a fresh run of tests/fuzz/gen_seeds.c (valid files made by the
# engine's own writers, so seeds track the current formats); it is kept and
# grows from run to run. The SQL harness gets the keyword dictionary gen_seeds
# writes.
#
# A crash, sanitizer report, leak, timeout (> 10 s per input) or OOM (> 2 GiB)
# stops that harness; its reproducer stays in $TDB_BUILD/fuzz/artifacts/<harness>/
# and is copied to tests/fuzz/crashes/<harness>/ (where tests/fuzz/run_regress.sh
# replays it forever after); both paths are printed with the sanitizer report.
# Reproduce one:  $TDB_BUILD/fuzz/bin/<harness> <file>
#
# Prints `ok - <harness>: ...` or `FAIL - <harness>: ...` per harness and last
# `N passed, N failed` (one per harness); exit status 1 when any failed.
set -u

ROOT=${TDB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${TDB_BUILD:-$ROOT/build}
AMAL=${TDB_AMALGAMATION:-$ROOT/amalgamation}
LDLIBS=${TDB_LDLIBS:--llz4 -lpthread -lm}
FUZZ_CC=${FUZZ_CC:-clang}
TOTAL=${1:-}
OUT=$BUILD/fuzz
HERE=$ROOT/tests/fuzz
WARN="-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes"
FFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

log() { printf '[fuzz] %s\n' "$*" >&2; }

if [ $# = 0 ]; then
  exec bash "$ROOT/tests/fuzz/run_regress.sh"
fi

case "$TOTAL" in
  ''|*[!0-9]*) echo "usage: tests/fuzz/run.sh SECONDS"; echo "0 passed, 1 failed"; exit 2 ;;
esac

harnesses=()
for src in "$HERE"/fuzz_*.c; do
  name=$(basename "$src" .c)
  case "$name" in *"${FUZZ_ONLY:-}"*) harnesses+=("$name") ;; esac
done
if [ ${#harnesses[@]} = 0 ]; then
  echo "FAIL - no harness matches '${FUZZ_ONLY:-}'"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -f "$AMAL/tensordb.c" ]; then
  echo "FAIL - no amalgamation at $AMAL/tensordb.c (run ./build.sh first)"
  echo "0 passed, ${#harnesses[@]} failed"
  exit 1
fi

# ---- toolchain: clang with libFuzzer ----------------------------------------

# 0 when $FUZZ_CC links a trivial libFuzzer target.
have_libfuzzer() {
  local t
  t=$(mktemp -d "${TMPDIR:-/tmp}/tdb-fuzzprobe.XXXXXX") || return 1
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$t/p.c"
  "$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$t/p.c" -o "$t/p" >/dev/null 2>&1
  local rc=$?
  rm -rf "$t"
  return $rc
}

ensure_toolchain() {
  local major pkgs=""
  command -v "$FUZZ_CC" >/dev/null 2>&1 || pkgs="clang"
  if [ -z "$pkgs" ] && have_libfuzzer; then return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "clang with libFuzzer is needed: sudo apt-get install -y clang libclang-rt-dev"
    return 1
  fi
  if [ -z "$pkgs" ]; then
    # libFuzzer ships in the compiler-rt dev package of the clang version.
    major=$("$FUZZ_CC" -dumpversion 2>/dev/null | cut -d. -f1)
    if apt-cache show "libclang-rt-$major-dev" >/dev/null 2>&1; then
      pkgs="libclang-rt-$major-dev"
    else
      pkgs="libclang-rt-dev"
    fi
  else
    pkgs="clang libclang-rt-dev"
  fi
  log "installing: $pkgs"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  have_libfuzzer
}

if ! ensure_toolchain; then
  echo "FAIL - $FUZZ_CC cannot build libFuzzer targets"
  echo "0 passed, ${#harnesses[@]} failed"
  exit 1
fi

mkdir -p "$OUT/bin" "$OUT/corpus" "$OUT/artifacts" "$OUT/logs" "$OUT/gen" || exit 1

# ---- seeds ---------------------------------------------------------------------

# The generator is a plain (unsanitized) program.
gen=$OUT/bin/gen_seeds
if [ ! -x "$gen" ] || [ "$HERE/gen_seeds.c" -nt "$gen" ] || [ "$AMAL/tensordb.c" -nt "$gen" ]; then
  # shellcheck disable=SC2086
  if ! "$FUZZ_CC" $WARN -O1 -g -DTDB_ENABLE_LZ4 -I"$AMAL" "$HERE/gen_seeds.c" -o "$gen" $LDLIBS \
       >"$OUT/logs/gen_seeds.build.log" 2>&1; then
    log "gen_seeds does not build (seeding from tests/fuzz/seeds only):"
    head -n 20 "$OUT/logs/gen_seeds.build.log" >&2
    gen=""
  fi
fi
if [ -n "$gen" ]; then
  rm -rf "$OUT/gen"
  "$gen" "$OUT/gen" >"$OUT/logs/gen_seeds.log" 2>&1 || log "gen_seeds failed: $(tail -n 1 "$OUT/logs/gen_seeds.log")"
fi

# ---- build ---------------------------------------------------------------------

# build NAME: $OUT/bin/NAME from tests/fuzz/NAME.c (skipped when up to date).
build_one() {
  local name=$1 bin=$OUT/bin/$1 src=$HERE/$1.c
  if [ -x "$bin" ] && [ ! "$src" -nt "$bin" ] && [ ! "$AMAL/tensordb.c" -nt "$bin" ] \
     && [ ! "$HERE/fuzz_common.h" -nt "$bin" ]; then
    return 0
  fi
  # shellcheck disable=SC2086
  "$FUZZ_CC" $WARN $FFLAGS -DTDB_ENABLE_LZ4 -I"$AMAL" -I"$HERE" "$src" -o "$bin.tmp" $LDLIBS \
    >"$OUT/logs/$name.build.log" 2>&1 && mv "$bin.tmp" "$bin"
}

# Build in parallel, as many at once as there are CPUs.
jobs_max=$(nproc 2>/dev/null || echo 2)
log "building ${#harnesses[@]} harnesses with $FUZZ_CC ($jobs_max at a time)"
pids=()
for name in "${harnesses[@]}"; do
  build_one "$name" &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
done
for pid in "${pids[@]}"; do wait "$pid"; done

# ---- fuzz ----------------------------------------------------------------------

# libFuzzer options per harness: the largest input worth trying.
max_len() {
  case "$1" in
    fuzz_wal) echo 131072 ;;     # four WAL blocks: records spanning blocks
    fuzz_sstable) echo 16384 ;;
    fuzz_block) echo 4096 ;;
    fuzz_sql) echo 2048 ;;
    *) echo 1024 ;;
  esac
}

per=$((TOTAL / ${#harnesses[@]}))
[ "$per" -ge 1 ] || per=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
log "fuzzing each harness for $per s"

for name in "${harnesses[@]}"; do
  bin=$OUT/bin/$name
  if [ ! -x "$bin" ] || [ "$HERE/$name.c" -nt "$bin" ]; then
    echo "FAIL - $name does not build:"
    head -n 30 "$OUT/logs/$name.build.log" | sed 's/^/#   /'
    failed=$((failed + 1))
    continue
  fi
  if [ -s "$OUT/logs/$name.build.log" ]; then
    echo "# $name: compiler diagnostics:"
    head -n 30 "$OUT/logs/$name.build.log" | sed 's/^/#   /'
  fi
  corpus=$OUT/corpus/$name
  art=$OUT/artifacts/$name
  mkdir -p "$corpus" "$art"
  for s in "$HERE/seeds/$name" "$OUT/gen/$name"; do
    [ -d "$s" ] && cp -f "$s"/* "$corpus"/ 2>/dev/null
  done
  extra=()
  [ "$name" = fuzz_sql ] && [ -f "$OUT/gen/fuzz_sql.dict" ] && extra+=("-dict=$OUT/gen/fuzz_sql.dict")
  before=$(find "$art" -type f | wc -l)
  flog=$OUT/logs/$name.log
  (cd "$OUT" && "$bin" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len "$name")" -print_final_stats=1 -artifact_prefix="$art/" \
      "${extra[@]}" "$corpus") >"$flog" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$flog" | grep -oE '[0-9]+$' | tail -n 1)
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$flog" | tail -n 1 | tr -d '#')
  ncorp=$(find "$corpus" -type f | wc -l)
  after=$(find "$art" -type f | wc -l)
  if [ "$rc" = 0 ] && [ "$after" = "$before" ]; then
    echo "ok - $name: ${execs:-?} executions in $per s, corpus $ncorp files"
    passed=$((passed + 1))
    continue
  fi
  echo "FAIL - $name: libFuzzer exited $rc after ${execs:-?} executions (log: $flog)"
  grep -E 'ERROR:|SUMMARY:|runtime error|fuzz invariant failed|Test unit written' "$flog" \
    | head -n 12 | sed 's/^/#   /'
  grep -E '^    #[0-9]+ ' "$flog" | head -n 12 | sed 's/^/#   /'
  mkdir -p "$HERE/crashes/$name"
  for f in $(grep -oE 'Test unit written to [^ ]+' "$flog" | sed 's/Test unit written to //'); do
    [ -f "$f" ] || continue
    cp -f "$f" "$HERE/crashes/$name/"
    echo "#   reproducer: $f"
    echo "#   kept as:    tests/fuzz/crashes/$name/$(basename "$f")"
    echo "#   replay:     $bin $f"
  done
  failed=$((failed + 1))
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
