# bench/table.awk — turns kvbench RESULT lines into the markdown table of
# bench/run.sh: one row per workload, one column per engine, TensorDB as a
# value, the peers as value plus ratio to TensorDB.
#
# Variables: engines (space separated, TensorDB first), workloads (space
# separated), na ("engine=reason" records separated by \036; empty reason:
# available), keys, synckeys.

function parse(line,    n, i, f, eq, k, v, rest, e, w) {
  n = split(line, f, " ")
  e = ""; w = ""
  for (i = 2; i <= n; i++) {
    eq = index(f[i], "=")
    if (eq == 0) continue
    k = substr(f[i], 1, eq - 1)
    v = substr(f[i], eq + 1)
    if (k == "reason") {
      rest = substr(line, index(line, "reason=") + 7)
      gsub(/"/, "", rest)
      v = rest
      i = n
    }
    tmp[k] = v
  }
  e = tmp["engine"]; w = tmp["workload"]
  for (k in tmp) R[e, w, k] = tmp[k]
  have[e, w] = 1
  delete tmp
}

function num(x) {
  x = x + 0
  if (x >= 100) return sprintf("%.0f", x)
  if (x >= 10) return sprintf("%.1f", x)
  return sprintf("%.2f", x)
}

function clean(s) {
  gsub(/\|/, "/", s)
  if (length(s) > 70) s = substr(s, 1, 67) "..."
  return s
}

# The metric of a row for engine e; sets the global OK to 1 when there is one.
function metric(row, e,    w, x) {
  OK = 0
  w = WL[row]
  if (!((e, w) in have) || R[e, w, "status"] != "ok") return 0
  OK = 1
  if (KIND[row] == "us") return R[e, w, "us_per_op"] + 0
  if (KIND[row] == "ns") return R[e, w, "ns_per_op"] + 0
  if (KIND[row] == "total") return R[e, w, "secs"] + R[e, w, "settle_secs"]
  if (KIND[row] == "disk") return R[e, w, "disk_bytes"] / 1048576
  if (KIND[row] == "rss") return R[e, w, "rss_kb"] / 1024
  if (KIND[row] == "floor") {
    if (FLOOR == "") { OK = 0; return 0 }
    return R[e, w, "us_per_op"] / FLOOR
  }
  OK = 0
  return 0
}

function cell(row, e, base, baseok,    x, s, w) {
  w = WL[row]
  if (NAR[e] != "") return NAFIRST[e]++ ? "n/a" : "n/a (" clean(NAR[e]) ")"
  if (!((e, w) in have)) return "–"
  if (R[e, w, "status"] != "ok") return "n/a (" clean(R[e, w, "reason"]) ")"
  x = metric(row, e)
  if (!OK) return "–"
  if (KIND[row] == "total") s = num(x) " s (" num(R[e, w, "secs"]) " + " num(R[e, w, "settle_secs"]) ")"
  else if (KIND[row] == "floor") s = sprintf("%.2fx", x)
  else s = num(x)
  if (e != "tensordb" && baseok && base > 0 && KIND[row] != "floor")
    s = s " (" sprintf("%.1f", x / base) "x)"
  return s
}

function addrow(w, label, kind, dur) {
  if (!(w in WANT)) return
  NR_ROWS++
  WL[NR_ROWS] = w; LABEL[NR_ROWS] = label; KIND[NR_ROWS] = kind; DUR[NR_ROWS] = dur
}

/^RESULT / { parse($0) }

END {
  ne = split(engines, E, " ")
  nw = split(workloads, W, " ")
  for (i = 1; i <= nw; i++) WANT[W[i]] = 1
  nn = split(na, NAL, "\036")
  for (i = 1; i <= nn; i++) {
    eq = index(NAL[i], "=")
    if (eq) NAR[substr(NAL[i], 1, eq - 1)] = substr(NAL[i], eq + 1)
  }
  NAME["tensordb"] = "TensorDB"; NAME["lmdb"] = "LMDB"; NAME["leveldb"] = "LevelDB"
  NAME["rocksdb"] = "RocksDB"; NAME["sqlite"] = "SQLite"

  # the floors: append and overwrite; FLOOR (the ratio's divisor) is the lower
  floor = ""; FLOOR = ""
  if (("floor", "fillsync") in have && R["floor", "fillsync", "status"] == "ok") {
    floor = floor "; floor: append " num(R["floor", "fillsync", "us_per_op"]) " µs"
    FLOOR = R["floor", "fillsync", "us_per_op"] + 0
  }
  if (("floor-overwrite", "fillsync") in have && R["floor-overwrite", "fillsync", "status"] == "ok") {
    floor = floor (floor == "" ? "; floor: " : ", ") "overwrite " num(R["floor-overwrite", "fillsync", "us_per_op"]) " µs"
    x = R["floor-overwrite", "fillsync", "us_per_op"] + 0
    if (FLOOR == "" || x < FLOOR) FLOOR = x
  }
  if (FLOOR != "" && FLOOR <= 0) FLOOR = ""
  addrow("fillseq", "fillseq, µs/op", "us", "off")
  addrow("fillrandom", "fillrandom, µs/op", "us", "off")
  addrow("fillrandom", "fillrandom + settle, total s (fill + settle)", "total", "off")
  addrow("fillsync", "fillsync (" synckeys " keys), µs/op", "us", "full" floor)
  addrow("fillsync", "fillsync ÷ floor (the lower bare write+fdatasync)", "floor", "full")
  addrow("batch100", "batch of 100, µs/put", "us", "off")
  addrow("readrandom", "readrandom, ns/op", "ns", "in memory (load: off)")
  addrow("readmissing", "readmissing, ns/op", "ns", "in memory (load: off)")
  addrow("readseq", "readseq (full scan), ns/key", "ns", "in memory (load: off)")
  addrow("mixed", "mixed 80% get / 20% put, µs/op", "us", "off (after a load)")
  addrow("fillrandom", "on disk after fillrandom + settle, MiB (raw " sprintf("%.1f", keys * 116 / 1048576) ")", "disk", "off")
  addrow("fillrandom", "peak RSS, fillrandom, MiB", "rss", "off")
  addrow("readrandom", "peak RSS, load + readrandom, MiB", "rss", "off")

  hdr = "| workload | durability |"
  sep = "|---|---|"
  for (j = 1; j <= ne; j++) { hdr = hdr " " NAME[E[j]] " |"; sep = sep "---:|" }
  print hdr
  print sep
  for (r = 1; r <= NR_ROWS; r++) {
    base = metric(r, "tensordb")
    baseok = OK && NAR["tensordb"] == ""
    line = "| " LABEL[r] " | " DUR[r] " |"
    for (j = 1; j <= ne; j++) line = line " " cell(r, E[j], base, baseok) " |"
    print line
  }
  for (j = 1; j <= ne; j++)
    if (NAR[E[j]] != "") printf("\n%s: n/a (%s).\n", NAME[E[j]], NAR[E[j]])
}
