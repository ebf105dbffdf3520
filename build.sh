#!/usr/bin/env bash
# build.sh — the one entry point of TensorDB: dependencies, code generation,
# amalgamation, compilation, demo, tests, conformance, benchmarks, fuzzing.
#
#   ./build.sh [build]            check deps, generate, amalgamate, compile
#   ./build.sh demo               build, run the quickstart on a fresh database
#   ./build.sh test [--sanitize]  build, run every test suite (ASan+UBSan with --sanitize)
#   ./build.sh conformance [DIR]  run sqllogictest files (default ../shared/slt)
#   ./build.sh bench [ARGS]       run the benchmarks (ARGS to bench/run.sh; --sql: SQL one)
#   ./build.sh fuzz [SECONDS]     run the libFuzzer harnesses of tests/fuzz/
#   ./build.sh clean              remove build/ and the generated amalgamation
#
# Test suites: every tests/<suite>/run.sh, run in name order. Each prints as its
# last line `N passed, N failed` (optionally `, N skipped`) and exits non-zero
# on failure. They get the build through these environment variables:
#   TDB_ROOT     repository root          TDB_BUILD   build directory (build or build/san)
#   TDB_CC       C compiler               TDB_CFLAGS  flags for test programs
#   TDB_LDLIBS   libraries to link        TDB_SHELL   the shell binary
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"
CC=${CC:-cc}
GEN=build/gen
LEMPAR=/usr/share/lemon/lempar.c
WARN="-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes"
LDLIBS="-llz4 -lpthread -lm"

log() { printf '[build] %s\n' "$*" >&2; }
die() { printf '[build] error: %s\n' "$*" >&2; exit 1; }

# ---- dependencies -----------------------------------------------------------

# Print the Debian packages that are missing, one per line.
missing_packages() {
  command -v "$CC" >/dev/null 2>&1 || echo gcc
  command -v re2c >/dev/null 2>&1 || echo re2c
  { command -v lemon >/dev/null 2>&1 && [ -f "$LEMPAR" ]; } || echo lemon
  [ -f /usr/include/lz4.h ] || echo liblz4-dev
  [ -f /usr/include/histedit.h ] || echo libedit-dev
  command -v md5sum >/dev/null 2>&1 || echo coreutils
  command -v script >/dev/null 2>&1 || echo bsdutils   # pty for the shell tests
}

ensure_deps() {
  local pkgs
  pkgs=$(missing_packages | sort -u | tr '\n' ' ')
  [ -z "${pkgs// /}" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing: $pkgs"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
    pkgs=$(missing_packages | sort -u | tr '\n' ' ')
    [ -z "${pkgs// /}" ] || die "still missing after apt-get: $pkgs"
  else
    die "missing build dependencies; run: sudo apt-get install -y $pkgs"
  fi
}

# ---- generate, amalgamate, compile ------------------------------------------

generate() {
  mkdir -p "$GEN"
  # lemon writes parse.c/parse.h next to -d; re2c reads the token codes of parse.h.
  if [ ! -f "$GEN/parse.c" ] || [ grammar/parse.y -nt "$GEN/parse.c" ]; then
    lemon -q -s -d"$GEN" -T"$LEMPAR" grammar/parse.y >/dev/null
  fi
  if [ ! -f "$GEN/lexer.c" ] || [ grammar/lexer.re -nt "$GEN/lexer.c" ] \
     || [ "$GEN/parse.h" -nt "$GEN/lexer.c" ]; then
    re2c -W --no-generation-date --no-version -I "$GEN" -o "$GEN/lexer.c" grammar/lexer.re
  fi
}

amalgamate() {
  sh tools/amalgamate.sh tools/amalgamation.list amalgamation
}

# compile OUTDIR EXTRA_CFLAGS... : library + shell from the amalgamation
compile() {
  local out=$1; shift
  mkdir -p "$out"
  # shellcheck disable=SC2086
  $CC $WARN "$@" -fPIC -fvisibility=hidden -DTDB_ENABLE_LZ4 \
      -c amalgamation/tensordb.c -o "$out/tensordb.o"
  rm -f "$out/libtensordb.a"
  ar rcs "$out/libtensordb.a" "$out/tensordb.o"
  # shellcheck disable=SC2086
  $CC "$@" -shared -o "$out/libtensordb.so" "$out/tensordb.o" $LDLIBS
  # shellcheck disable=SC2086
  $CC $WARN "$@" -Iamalgamation tools/shell.c "$out/libtensordb.a" \
      -o "$out/tensordb" -ledit $LDLIBS
  # the sqllogictest runner (tests/slt/), used by the test suites and conformance
  # shellcheck disable=SC2086
  $CC $WARN "$@" -Iamalgamation tests/slt/runner.c tests/slt/md5.c \
      "$out/libtensordb.a" -o "$out/tdb_slt" $LDLIBS
}

OPT_FLAGS="-O2 -g"
SAN_FLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"

build() {
  ensure_deps
  generate
  amalgamate
  # shellcheck disable=SC2086
  compile build $OPT_FLAGS
  log "built build/libtensordb.a build/libtensordb.so build/tensordb"
}

build_sanitized() {
  # shellcheck disable=SC2086
  compile build/san $SAN_FLAGS
  log "built build/san (ASan+UBSan)"
}

# ---- test --------------------------------------------------------------------

# run_suites BUILD_DIR CFLAGS : run tests/*/run.sh, sum their closing lines.
run_suites() {
  local bdir=$1 cflags=$2 passed=0 failed=0 skipped=0 bad=0 suite last p f s
  export TDB_ROOT="$ROOT" TDB_BUILD="$ROOT/$bdir" TDB_CC="$CC"
  export TDB_CFLAGS="$WARN $cflags" TDB_LDLIBS="$LDLIBS" TDB_SHELL="$ROOT/$bdir/tensordb"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  for suite in tests/*/run.sh; do
    [ -f "$suite" ] || continue
    log "suite ${suite%/run.sh}"
    set +e
    bash "$suite" 2>&1 | tee "$bdir/suite.log"
    local rc=${PIPESTATUS[0]}
    set -e
    last=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$bdir/suite.log" | tail -n 1 || true)
    if [ -z "$last" ]; then
      echo "[build] ${suite}: no closing 'N passed, N failed' line"
      failed=$((failed + 1)); bad=1; continue
    fi
    p=$(grep -oE '[0-9]+ passed' <<<"$last" | grep -oE '[0-9]+')
    f=$(grep -oE '[0-9]+ failed' <<<"$last" | grep -oE '[0-9]+')
    s=$(grep -oE '[0-9]+ skipped' <<<"$last" | grep -oE '[0-9]+' || echo 0)
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
      echo "[build] ${suite} exited $rc"; failed=$((failed + 1))
    fi
    [ "$rc" = 0 ] || bad=1
  done
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$bad" = 0 ] && [ "$failed" = 0 ]
}

cmd_test() {
  build
  if [ "${1:-}" = "--sanitize" ]; then
    build_sanitized
    run_suites build/san "$SAN_FLAGS"
  else
    run_suites build "$OPT_FLAGS"
  fi
}

# ---- demo, conformance, bench, fuzz, clean -------------------------------------

cmd_demo() {
  build
  local db=build/demo.tdb
  rm -rf "$db"
  echo "== $(build/tensordb --version) quickstart on a fresh database: $db"
  build/tensordb "$db" -f tools/demo.sql
  if [ -t 0 ] && [ -t 1 ]; then
    echo "== you are in the shell on $db (.help for commands, .quit to leave)"
    exec build/tensordb "$db"
  fi
}

cmd_conformance() {
  build
  local dir=${1:-../shared/slt}
  [ -e "$dir" ] || die "no such directory: $dir"
  build/tdb_slt "$dir"
}

cmd_bench() {
  build
  [ -f bench/run.sh ] || die "bench/run.sh is not there yet"
  bash bench/run.sh "$@"   # e.g. ./build.sh bench --sql --rows 100000 (bench/README.md)
}

cmd_fuzz() {
  build
  [ -f tests/fuzz/run.sh ] || die "tests/fuzz/run.sh is not there yet"
  bash tests/fuzz/run.sh "${1:-60}"
}

cmd_clean() {
  rm -rf build amalgamation/tensordb.c amalgamation/tensordb.h
}

case "${1:-build}" in
  build) build ;;
  demo) cmd_demo ;;
  test) shift; cmd_test "$@" ;;
  conformance) shift; cmd_conformance "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  fuzz) shift; cmd_fuzz "$@" ;;
  clean) cmd_clean ;;
  -h|--help|help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command: $1 (try ./build.sh help)" ;;
esac
