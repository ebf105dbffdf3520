#!/usr/bin/env bash
# bench/run.sh — the key-value benchmark of TensorDB against LMDB, LevelDB,
# RocksDB and SQLite (issue 3, "Benchmark"). Run from anywhere; `./build.sh
# bench` builds the library first and then runs this.
#
#   bash bench/run.sh [--quick] [--keys N] [--sync-keys N] [--engines a,b]
#                     [--workloads a,b] [--repeat N] [--timeout SECS] [--no-install]
#   bash bench/run.sh --sql [sqlbench options]   the SQL benchmark (bench/sqlbench.c)
#   bash bench/run.sh --temporal [sqlbench options]   its temporal phase alone
#
#   --quick        100k keys, 1000 for fillsync (a smoke run of a minute or two)
#   --keys N       keys per workload (default 1000000)
#   --sync-keys N  keys for fillsync, one fdatasync each (default 10000)
#   --engines      subset of tensordb,lmdb,leveldb,rocksdb,sqlite
#   --workloads    subset of fillseq,fillrandom,fillsync,batch100,readrandom,
#                  readmissing,readseq,mixed
#   --repeat N     run each engine x workload N times, keep the fastest
#                  (default 1; use 3 on a machine shared with other work)
#   --timeout S    per-run timeout (default 900)
#   --no-install   never apt-get the peers
#
# It installs the peers' Debian packages when missing (as root), compiles
# bench/kvbench with -O2 against build/libtensordb.a and the peers, checks
# every adapter with the `check` workload, runs every engine x workload in its
# own process on a fresh directory under build/bench/ (same disk as the repo),
# and prints a markdown table, also written to bench/results/kv-YYYY-MM-DD.md.
# If the TensorDB adapter does not build, link or pass its check, the table
# still has the peers and marks TensorDB "n/a (reason)". Timings are reported,
# never asserted.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CC=${CC:-cc}
WARN="-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes"
OUT=build/bench
KEYS=1000000
SYNC_KEYS=10000
ENGINES=tensordb,lmdb,leveldb,rocksdb,sqlite
WORKLOADS=fillseq,fillrandom,fillsync,batch100,readrandom,readmissing,readseq,mixed
TIMEOUT=900
REPEAT=1
INSTALL=1
DEFAULT_SET=1   # 0 when keys, engines or workloads differ from the full table

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# ---- SQL benchmark: bash bench/run.sh --sql [sqlbench options] -------------------
# Builds build/bench/sqlbench (bench/sqlbench.c, which #includes the issue-5
# analytical workloads of bench/sqlbench_olap.c) against build/libtensordb.a and
# libsqlite3, then runs it with the remaining options (--rows, --ops, --sync,
# --md, ...; see bench/README.md). If the TensorDB side does not compile or link,
# sqlbench is built for SQLite alone and its TensorDB column says so.
# `--temporal [options]` is `--sql --phases temporal [options]` (issue 6,
# bench/sqlbench_temporal.c; with --md its table goes to
# bench/results/temporal-DATE.md).
if [ "${1:-}" = "--temporal" ]; then
  shift
  set -- --sql --phases temporal "$@"
fi
if [ "${1:-}" = "--sql" ]; then
  shift
  if [ ! -f /usr/include/sqlite3.h ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "installing: libsqlite3-dev"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || log "apt-get update failed"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsqlite3-dev >/dev/null || log "apt-get install failed"
    fi
    [ -f /usr/include/sqlite3.h ] || die "libsqlite3-dev missing (sudo apt-get install -y libsqlite3-dev)"
  fi
  mkdir -p "$OUT"
  hdr=amalgamation
  [ -f amalgamation/tensordb.h ] || hdr=src
  note="($(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo +dirty))"
  # shellcheck disable=SC2086
  if [ -f build/libtensordb.a ] && $CC $WARN -O2 -I"$hdr" bench/sqlbench.c build/libtensordb.a \
       -llz4 -lsqlite3 -lpthread -lm -o "$OUT/sqlbench" 2>"$OUT/sqlbench-cc.log"; then
    log "built $OUT/sqlbench (TensorDB + SQLite)"
  else
    why=$([ -f build/libtensordb.a ] && grep -m1 -E 'error|undefined' "$OUT/sqlbench-cc.log" | cut -c1-120 \
          || echo "build/libtensordb.a missing (run ./build.sh)")
    log "TensorDB side does not build: $why; building sqlbench for SQLite alone"
    note="$note; sqlbench built without TensorDB: ${why//|/}"
    # shellcheck disable=SC2086
    $CC $WARN -O2 -DSQLBENCH_NO_TENSORDB bench/sqlbench.c -lsqlite3 -lm -o "$OUT/sqlbench" \
      || die "sqlbench does not build"
  fi
  exec "$OUT/sqlbench" --note "$note" "$@"
fi
# ---- end of the SQL benchmark block -------------------------------------------------

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) KEYS=100000; SYNC_KEYS=1000; DEFAULT_SET=0 ;;
    --keys) KEYS=${2:?}; shift; DEFAULT_SET=0 ;;
    --sync-keys) SYNC_KEYS=${2:?}; shift; DEFAULT_SET=0 ;;
    --engines) ENGINES=${2:?}; shift; DEFAULT_SET=0 ;;
    --workloads) WORKLOADS=${2:?}; shift; DEFAULT_SET=0 ;;
    --timeout) TIMEOUT=${2:?}; shift ;;
    --repeat) REPEAT=${2:?}; shift ;;
    --no-install) INSTALL=0 ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
  shift
done
ALL_ENGINES="tensordb lmdb leveldb rocksdb sqlite"
for e in ${ENGINES//,/ }; do
  case " $ALL_ENGINES " in *" $e "*) ;; *) die "unknown engine: $e" ;; esac
done
for w in ${WORKLOADS//,/ }; do
  case " fillseq fillrandom fillsync batch100 readrandom readmissing readseq mixed " in
    *" $w "*) ;; *) die "unknown workload: $w" ;;
  esac
done

# ---- peers: Debian packages --------------------------------------------------

declare -A HEADER=([lmdb]=/usr/include/lmdb.h [leveldb]=/usr/include/leveldb/c.h
                   [rocksdb]=/usr/include/rocksdb/c.h [sqlite]=/usr/include/sqlite3.h)
declare -A PKG=([lmdb]=liblmdb-dev [leveldb]=libleveldb-dev [rocksdb]=librocksdb-dev
                [sqlite]=libsqlite3-dev)
declare -A LIB=([lmdb]=-llmdb [leveldb]=-lleveldb [rocksdb]=-lrocksdb [sqlite]=-lsqlite3)
declare -A NA=()   # engine -> reason it is not available

missing=""
for e in lmdb leveldb rocksdb sqlite; do
  [ -f "${HEADER[$e]}" ] || missing="$missing ${PKG[$e]}"
done
if [ -n "$missing" ]; then
  if [ "$INSTALL" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || log "apt-get update failed"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || log "apt-get install failed"
  else
    log "missing peers:$missing (run as root, or: sudo apt-get install -y$missing)"
  fi
fi
for e in lmdb leveldb rocksdb sqlite; do
  [ -f "${HEADER[$e]}" ] || NA[$e]="${PKG[$e]} not installed"
done

# ---- build kvbench --------------------------------------------------------------

mkdir -p "$OUT"
CFLAGS="$WARN -O2"
BUILD_LOG=$OUT/build.log
: >"$BUILD_LOG"

# a one-line summary of a compiler/linker log, safe for a table cell
short_reason() {
  local undef n
  undef=$(grep -o "undefined reference to [^ ]*" "$1" | sed "s/.*to //; s/[\`'\"]//g" | sort -u)
  if [ -n "$undef" ]; then
    n=$(printf '%s\n' "$undef" | wc -l)
    echo "$n undefined symbols: $(printf '%s\n' "$undef" | head -3 | tr '\n' ' ' | sed 's/ $//')$([ "$n" -gt 3 ] && echo ' ...')"
    return
  fi
  grep -m1 -E 'error|cannot find' "$1" | sed -e 's/^.*: \(error\)/\1/' -e "s/[|\`'\"]//g" | cut -c1-90
}

TDB_HDR=""
[ -f amalgamation/tensordb.h ] && TDB_HDR=amalgamation || TDB_HDR=src
if [ ! -f build/libtensordb.a ]; then
  NA[tensordb]="build/libtensordb.a missing (run ./build.sh)"
fi

built=""
for e in $ALL_ENGINES; do
  [ -n "${NA[$e]:-}" ] && continue
  inc=""
  [ "$e" = tensordb ] && inc="-I$TDB_HDR"
  # shellcheck disable=SC2086
  if $CC $CFLAGS $inc -c "bench/engine_$e.c" -o "$OUT/engine_$e.o" 2>"$OUT/cc-$e.log"; then
    built="$built $e"
  else
    cat "$OUT/cc-$e.log" >>"$BUILD_LOG"
    NA[$e]="adapter does not compile: $(short_reason "$OUT/cc-$e.log")"
  fi
done
$CC $CFLAGS -c bench/engine_floor.c -o "$OUT/engine_floor.o" || die "engine_floor.c does not compile"

# link kvbench with the engines in $1 (space separated); log to $2
link_kvbench() {
  local defs="" objs="$OUT/engine_floor.o" libs="" e
  for e in $1; do
    defs="$defs -DKV_WITH_$(echo "$e" | tr a-z A-Z)"
    objs="$objs $OUT/engine_$e.o"
    if [ "$e" = tensordb ]; then libs="$libs build/libtensordb.a -llz4"; else libs="$libs ${LIB[$e]}"; fi
  done
  # shellcheck disable=SC2086
  $CC $CFLAGS $defs -c bench/kvbench.c -o "$OUT/kvbench.o" 2>"$2" &&
    $CC -o "$OUT/kvbench" "$OUT/kvbench.o" $objs $libs -lpthread -lm 2>>"$2"
}

if ! link_kvbench "$built" "$OUT/link.log"; then
  cat "$OUT/link.log" >>"$BUILD_LOG"
  if [[ " $built " == *" tensordb "* ]]; then
    NA[tensordb]="does not link: $(short_reason "$OUT/link.log")"
    built=${built/ tensordb/}
    link_kvbench "$built" "$OUT/link.log" || { cat "$OUT/link.log" >&2; die "kvbench does not link"; }
  else
    cat "$OUT/link.log" >&2
    die "kvbench does not link"
  fi
fi
BIN=$OUT/kvbench
log "kvbench built with:$built (+ floor)"
for e in $ALL_ENGINES; do [ -n "${NA[$e]:-}" ] && log "$e: n/a (${NA[$e]})"; done

# ---- run ------------------------------------------------------------------------------

TMP=$(mktemp -d "$ROOT/$OUT/run.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FSTYPE=$(df -PT "$TMP" | awk 'NR==2 {print $2}')
FSDEV=$(df -PT "$TMP" | awk 'NR==2 {print $1}')
[ "$FSTYPE" = tmpfs ] && log "warning: $TMP is on tmpfs; sync figures mean nothing there"
RAW=$TMP/results.raw
: >"$RAW"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
awk '{ exit !($1 > 0.5) }' /proc/loadavg && log "warning: load average $LOAD_START: the machine is busy, figures will be noisy"
T_START=$(date +%s)

# run_one ENGINE WORKLOAD KEYS: appends one RESULT line (or a synthesized
# failure) to $RAW; with --repeat N the fastest of N ok runs.
run_one() {
  local e=$1 w=$2 n=$3 dir="$TMP/$1-$2" out rc line t0 i us why best="" bestus=""
  t0=$(date +%s)
  for ((i = 0; i < REPEAT; i++)); do
    rm -rf "$dir"
    out=$(timeout "$TIMEOUT" "$BIN" --engine "$e" --workload "$w" --keys "$n" --dir "$dir" 2>>"$TMP/stderr.log")
    rc=$?
    rm -rf "$dir"
    line=$(printf '%s\n' "$out" | grep -m1 '^RESULT ')
    if [ -z "$line" ]; then
      why="exit status $rc"
      [ "$rc" = 124 ] && why="timeout after ${TIMEOUT}s"
      line="RESULT engine=$e workload=$w keys=$n status=fail reason=\"$why\""
    fi
    if [[ "$line" != *status=ok* ]]; then
      [ -z "$best" ] && best=$line
      break
    fi
    us=$(printf '%s' "$line" | sed -n 's/.* us_per_op=\([^ ]*\).*/\1/p')
    if [ -z "$bestus" ] || awk -v a="$us" -v b="$bestus" 'BEGIN { exit !(a < b) }'; then
      best=$line
      bestus=$us
    fi
  done
  printf '%s\n' "$best" >>"$RAW"
  log "$(printf '%-9s %-12s %s  (%ss)' "$e" "$w" \
    "$(printf '%s' "$best" | grep -o 'us_per_op=[^ ]*\|status=[^ ]*\|reason=.*' | tr '\n' ' ')" \
    "$(( $(date +%s) - t0 ))")"
}

# adapter checks first: an engine that gives wrong answers is not timed
ENG=""
for e in ${ENGINES//,/ }; do
  [ -n "${NA[$e]:-}" ] && continue
  [[ " $built " == *" $e "* ]] || continue
  dir="$TMP/$e-check"
  if line=$(timeout 300 "$BIN" --engine "$e" --workload check --keys 1 --dir "$dir" 2>>"$TMP/stderr.log") \
     && [[ "$line" == *status=ok* ]]; then
    ENG="$ENG $e"
  else
    r=$(printf '%s' "$line" | sed -n 's/.*reason="\([^"]*\)".*/\1/p' | cut -c1-90)
    NA[$e]="check failed: ${r:-crashed}"
    log "$e: ${NA[$e]}"
  fi
  rm -rf "$dir"
done

for w in ${WORKLOADS//,/ }; do
  n=$KEYS
  [ "$w" = fillsync ] && n=$SYNC_KEYS
  for e in $ENG; do run_one "$e" "$w" "$n"; done
  if [ "$w" = fillsync ]; then
    run_one floor fillsync "$n"
    run_one floor-overwrite fillsync "$n"
  fi
done
ELAPSED=$(( $(date +%s) - T_START ))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ---------------------------------------------------------------------------

ver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "?"; }
DATE=$(date -u +%Y-%m-%d)
CPU=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
GIT=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD -- src 2>/dev/null || GIT="$GIT+dirty"
NA_LIST=""
for e in $ALL_ENGINES; do NA_LIST="$NA_LIST$e=${NA[$e]:-}"$'\x1e'; done
REPORT=$TMP/report.md

{
  echo "## Key-value benchmark, $DATE"
  echo
  echo "Machine: $(nproc) cores, $CPU, $MEM RAM, Linux $(uname -r), $FSTYPE on $FSDEV;"
  echo "load average at start $LOAD_START, at end $LOAD_END (above ~0.5: other work shared the 2 cores and the disk,"
  echo "so the figures are noisy). TensorDB $GIT; LMDB $(ver liblmdb-dev), LevelDB $(ver libleveldb-dev),"
  echo "RocksDB $(ver librocksdb-dev), SQLite $(ver libsqlite3-dev); $($CC --version | head -1); whole run ${ELAPSED}s."
  echo
  echo "$KEYS keys of 16 bytes with 100-byte incompressible values ($(awk -v n="$KEYS" 'BEGIN{printf "%.1f", n*116/1048576}') MiB raw);"
  echo "fillsync writes $SYNC_KEYS keys. Random orders from one fixed-seed splitmix64, the same for every engine."
  echo "Every engine x workload ran in its own process on a fresh directory$([ "$REPEAT" -gt 1 ] && echo ", fastest of $REPEAT runs")."
  echo "Peers: value (ratio = peer / TensorDB; above 1x TensorDB is faster or smaller)."
  echo
  awk -v engines="${ENGINES//,/ }" -v workloads="${WORKLOADS//,/ }" -v na="$NA_LIST" \
      -v keys="$KEYS" -v synckeys="$SYNC_KEYS" -f bench/table.awk "$RAW"
  echo
  cat <<'EOF'
Durability per engine (the same setting for every engine in a row):
- **off** (fills, batch100, mixed, and the load before the reads): TensorDB `TDB_SYNC_OFF`;
  LMDB `MDB_NOSYNC`; LevelDB and RocksDB `sync=false` (each write reaches the OS, WAL on);
  SQLite `synchronous=OFF`.
- **full** (fillsync: every commit durable before it returns): TensorDB `TDB_SYNC_FULL`;
  LMDB default flags (fdatasync of data, then of the meta page, per commit); LevelDB and
  RocksDB `sync=true`; SQLite `synchronous=FULL`. Floors, on the same disk: a bare
  116-byte `pwrite` plus `fdatasync` per record, appending (the file grows, so ext4
  also commits its journal) and overwriting a pre-written, synced file (data only);
  the ratio row divides by the lower of the two.

Settings: TensorDB `tdb_config_default()` (memtable 64 MiB, block cache 64 MiB, bloom
10 bits/key). LevelDB: write buffer 64 MiB, LRU cache 64 MiB, bloom 10 bits/key, Snappy.
RocksDB: defaults (write buffer 64 MiB, Snappy) + block cache 64 MiB, bloom 10 bits/key.
LMDB: map 16 GiB, no `MDB_WRITEMAP`; one write transaction per put, a batch is one
transaction, gets reuse one reset/renewed read transaction. SQLite: `kv(k BLOB PRIMARY KEY,
v BLOB) WITHOUT ROWID`, prepared statements, `page_size=4096`, `journal_mode=WAL`,
`cache_size=-65536` (64 MiB), `INSERT OR REPLACE` in autocommit, a batch is
`BEGIN..COMMIT`. Every get copies the value out (and frees the engine's copy).

Settle step after a fill (timed apart; size measured after it, database still open):
TensorDB `tdb_flush` + `tdb_compact`; LevelDB `CompactRange(all)`; RocksDB `Flush` +
`CompactRange(all)`; LMDB `mdb_env_sync(force)`; SQLite `wal_checkpoint(TRUNCATE)`.
Read workloads first load the keys in random order in batches of 1000 and settle, untimed.
readseq is the best of 3 full scans. mixed is 80% gets / 20% overwrites of random keys.
Peak RSS is `ru_maxrss` of the whole process (LMDB's mapped file pages count in it).
EOF
  echo
  echo "<details><summary>raw results</summary>"
  echo
  echo '```'
  cat "$RAW"
  echo '```'
  echo "</details>"
} >"$REPORT"

# the full default table is kv-DATE.md; a quick or partial run gets its own name
SUFFIX=""
[ "$DEFAULT_SET" = 1 ] || SUFFIX="-partial"
[ "$KEYS" = 100000 ] && [ "$SYNC_KEYS" = 1000 ] && [ "$ENGINES" = tensordb,lmdb,leveldb,rocksdb,sqlite ] \
  && [ "$WORKLOADS" = fillseq,fillrandom,fillsync,batch100,readrandom,readmissing,readseq,mixed ] && SUFFIX="-quick"
mkdir -p bench/results
cp "$REPORT" "bench/results/kv-$DATE$SUFFIX.md"
cat "$REPORT"
log "written: bench/results/kv-$DATE$SUFFIX.md"
