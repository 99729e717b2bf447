#!/usr/bin/env bash
# The InfluxDB backend's figures, each beside the raw client writing the same points to
# the same influxd (1.8.3, Flux off: the collector reads through InfluxQL), in one run
# on 127.0.0.1. bench/run.sh calls it last; alone:
#
#   ./bench/influx.sh                     # ~5 minutes on a 2-core machine
#   DURATION=20s KEYS=200000 ./bench/influx.sh
#   PARTS=writes ./bench/influx.sh        # only some parts: writes keyed province
#
# DURATION: each push run (default 10s). KEYS: stored idempotency keys for the second
# keyed figure (default 1,000,000; the first is at 10,000); those pushes are also the
# revisions the start-up is timed over; both keyed rates are measured after SETTLE
# seconds without writes (default 20: influxd flushes its write-ahead log and compacts
# after a fill) and one keyed push (the lease, given back meanwhile, taken again), the
# same before each; each keyed rate is the median of KEYED_RUNS pushes (default 3: one
# push of 10 s on a shared 2-core machine varies by a third from run to run).
# PROVINCE: indicators of the synthetic catalog for completeness and the bulletin
# (default 30000, ten monthly periods reported).
# Prints a table, also written to bench/out/influx.md. Needs Go, curl, bc, python3 and
# influxd (./scripts/test.sh builds it into .cache/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
KEYS=${KEYS:-1000000}
PROVINCE=${PROVINCE:-30000}
SETTLE=${SETTLE:-20}
KEYED_RUNS=${KEYED_RUNS:-3}
PARTS=" ${PARTS:-writes keyed province} "
part() { [[ $PARTS == *" $1 "* ]]; }
OUT=bench/out
mkdir -p "$OUT"
INFLUXD=${INFLUXD:-$( [ -x .cache/bin/influxd ] && echo "$PWD/.cache/bin/influxd" || command -v influxd || true)}
[ -n "$INFLUXD" ] || { echo "influxd not found: run ./scripts/test.sh once (it builds influxd 1.8.3 into .cache/bin)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

go build -o "$work/duban" ./cmd/duban
go build -o "$work/loadgen" ./bench/loadgen
go build -o "$work/gencatalog" ./bench/gencatalog

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
field() { sed -n "s|.*[ ]$1=\([0-9.]*\).*|\1|p"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
wait_ready() { for _ in $(seq 1 3000); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.02; done; echo "not ready: $1"; return 1; }
calc() { LC_ALL=C printf "%.${2:-2}f" "$(echo "scale=6; $1" | bc)"; }
pct() { calc "100 * $1 / $2" 0; }
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }
load=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%F %H:%M')

# influxd as the tests run it: Flux off, data in the work dir, free ports.
IPORT=$(freeport)
(
  export INFLUXDB_HTTP_FLUX_ENABLED=false INFLUXDB_BIND_ADDRESS=127.0.0.1:$(freeport) INFLUXDB_HTTP_BIND_ADDRESS=127.0.0.1:$IPORT
  export INFLUXDB_DATA_DIR=$work/influx/data INFLUXDB_META_DIR=$work/influx/meta INFLUXDB_DATA_WAL_DIR=$work/influx/wal
  export INFLUXDB_REPORTING_DISABLED=true INFLUXDB_HTTP_LOG_ENABLED=false INFLUXDB_DATA_QUERY_LOG_ENABLED=false
  export INFLUXDB_LOGGING_LEVEL=warn INFLUXDB_MONITOR_STORE_ENABLED=false
  exec "$INFLUXD" >"$work/influxd.log" 2>&1
) &
pids+=("$!")
IURL=http://127.0.0.1:$IPORT
wait_ready "$IURL/ping"
for db in duban raw keyed province; do
  curl -fsS -XPOST "$IURL/query" --data-urlencode "q=CREATE DATABASE $db" >/dev/null
done

tokline=$("$work/duban" token create --admin)
echo "$tokline" | sed -n 's/^token: //p' > "$work/token"
HASH=$(echo "$tokline" | sed -n 's/.*sha256: \([0-9a-f]*\).*/\1/p')
DEPT=fgw # leads the most numeric targets of the 2026 catalog
deptline=$("$work/duban" token create --department "$DEPT")
echo "$deptline" | sed -n 's/^token: //p' > "$work/dept-token"
DHASH=$(echo "$deptline" | sed -n 's/.*sha256: \([0-9a-f]*\).*/\1/p')

# start_duban NAME CATALOG DB [DEPT] -> DUBAN_URL DUBAN_PID STARTUP_S (exec to /-/ready);
# the spool (and snapshot) of NAME is kept across restarts. DEPT (default $DEPT; "" for
# none) gets a token: serve refuses a token of a department its catalog does not have.
start_duban() {
  local name=$1 catalog=$2 db=$3 dept=${4-$DEPT} port; port=$(freeport)
  local depttok=""
  [ -n "$dept" ] && depttok="    - {department: $dept, sha256: $DHASH}"
  mkdir -p "$work/$name"
  cat > "$work/$name/duban.yaml" <<YAML
listen: 127.0.0.1:$port
catalog: $catalog
store:
  kind: influxdb
  path: $work/$name/data
  influxdb: {url: "$IURL", org: duban, bucket: $db/autogen, timeout: 10s, refresh: 5s}
limits: {rate_per_second: -1, max_concurrent: 1024}
log: {format: text, level: ${LOGLEVEL:-warn}}
auth:
  tokens:
    - {role: admin, sha256: $HASH}
$depttok
YAML
  local t0; t0=$(date +%s.%N)
  "$work/duban" serve --config "$work/$name/duban.yaml" >>"$work/$name/log" 2>&1 &
  DUBAN_PID=$!; pids+=("$DUBAN_PID"); disown "$DUBAN_PID"
  DUBAN_URL=http://127.0.0.1:$port
  wait_ready "$DUBAN_URL/-/ready" || { tail -5 "$work/$name/log"; return 1; }
  STARTUP_S=$(calc "$(date +%s.%N) - $t0")
}
stop_duban() { kill -9 "$DUBAN_PID" 2>/dev/null || true; sleep 0.2; }
push() { "$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/dept-token" -department "$DEPT" "$@"; }
raw() { "$work/loadgen" -mode influx-raw -url "$IURL" -bucket raw/autogen -indicators "$work/ids" "$@"; }

if part writes; then
echo "== writes: 2026 catalog, department $DEPT, 16 connections, $DURATION each, beside the raw client"
start_duban c2026 "$PWD/indicators/catalogs/changzhi-2026.yaml" duban
"$work/loadgen" -mode ids -url "$DUBAN_URL" -department "$DEPT" > "$work/ids"
push -conns 1 -batch 1 -max-requests 1 -duration 10s >/dev/null # the department's lease, once
for b in 100 1; do
  d=$(push -conns 16 -batch $b -duration "$DURATION"); echo "duban $d"
  r=$(raw -conns 16 -batch $b -duration "$DURATION"); echo "raw   $r"
  dr=$(echo "$d" | field 'reports/s'); rr=$(echo "$r" | field 'reports/s')
  goal=$([ $b = 100 ] && echo "goal ≥ 50 %" || echo "goal ≥ 30 %")
  row "reports/s in $([ $b = 1 ] && echo 'single reports' || echo "batches of $b"), 16 clients (p99 ms)" "$(calc "$dr" 0) ($(echo "$d" | field p99))" "$(calc "$rr" 0) ($(echo "$r" | field p99))" "**$(pct "$dr" "$rr") %** of the raw client; $goal"
done
stop_duban
fi

if part keyed; then
echo "== keyed pushes: an idempotency key on every report, at 10,000 and at $KEYS stored keys"
start_duban keyed "$PWD/indicators/catalogs/changzhi-2026.yaml" keyed
push -keyed -key-prefix fill-a -conns 4 -batch 1000 -max-requests 10 -duration 600s >/dev/null
settle() { sleep "$SETTLE"; push -keyed -key-prefix "warm-$1" -conns 1 -batch 1 -max-requests 1 -duration 60s >/dev/null; }
# keyed NAME: KEYED_RUNS pushes of DURATION; sets KR (the median reports/s), KALL (every
# rate) and KREQ (the reports they stored).
keyed() {
  local rates=() out
  KREQ=0
  for i in $(seq 1 "$KEYED_RUNS"); do
    out=$(push -keyed -key-prefix "$1-$i" -conns 16 -batch 1 -duration "$DURATION"); echo "duban $out"
    rates+=("$(echo "$out" | field 'reports/s')")
    KREQ=$((KREQ + $(echo "$out" | field requests)))
  done
  KR=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  KALL=$(printf '%.0f, ' "${rates[@]}"); KALL=${KALL%, }
}
settle a
keyed at-10k; r1=$KR; all1=$KALL
stored=$((10000 + KREQ))
t0=$(date +%s.%N)
f=$(push -keyed -key-prefix fill-b -conns 4 -batch 1000 -max-requests $(((KEYS - stored + 999) / 1000)) -duration 1800s); echo "fill  $f"
filled=$(calc "$(date +%s.%N) - $t0" 1)
stored=$((stored + $(echo "$f" | field requests) * 1000))
settle b
keyed at-1m; r2=$KR; all2=$KALL
row "keyed single reports/s, 16 clients, 10,000 stored keys (median of $KEYED_RUNS)" "$(calc "$r1" 0)" "-" "after $SETTLE s without writes; runs $all1"
row "keyed single reports/s, 16 clients, $stored stored keys (filled in $filled s; median of $KEYED_RUNS)" "$(calc "$r2" 0)" "-" "**$(pct "$r2" "$r1") %** of the rate at 10,000 (after the same $SETTLE s; runs $all2); goal within 20 %"
revs=$((stored + KREQ))

echo "== start-up over $revs stored revisions"
stop_duban
start_duban keyed "$PWD/indicators/catalogs/changzhi-2026.yaml" keyed
row "restart (SIGKILL) with $revs stored revisions: s to /-/ready" "$STARTUP_S" "-" "RSS $(rss_mb "$DUBAN_PID") MB; latest.json + change feed since it (a busy department: its latest values); goal < 3 s"
t0=$(date +%s.%N)
push -keyed -key-prefix after -conns 1 -batch 1 -max-requests 1 -duration 60s >/dev/null
row "… then the first keyed push (lease resumed, one key bucket read)" "$(calc "$(date +%s.%N) - $t0")" "-" "s"
stop_duban
start_duban keyed-fresh "$PWD/indicators/catalogs/changzhi-2026.yaml" keyed
row "a new replica (no snapshot) over the same $revs revisions: s to /-/ready" "$STARTUP_S" "-" "reads the latest measurement (one point per indicator and period), not the revisions"
stop_duban
fi

if part province; then
echo "== a province: $PROVINCE indicators, ten monthly periods reported"
"$work/gencatalog" -n "$PROVINCE" > "$work/province.json"
start_duban province "$work/province.json" province ""
"$work/loadgen" -mode ids -url "$DUBAN_URL" > "$work/pids"
t0=$(date +%s.%N)
for m in 01 02 03 04 05 06 07 08 09 10; do
  "$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -indicators "$work/pids" -period 2026-$m -conns 4 -batch 1000 \
    -max-requests $(((PROVINCE + 999) / 1000)) -duration 600s >/dev/null
done
echo "stored $((PROVINCE * 10)) reports in $(calc "$(date +%s.%N) - $t0" 1) s"
t=$(curl -fsS -o "$work/completeness.json" -w '%{time_total}' "$DUBAN_URL/api/v1/completeness?period=2026-10")
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["on_time"] + json.load(open(sys.argv[1]))["late"])' "$work/completeness.json")
row "completeness of 2026-10, $PROVINCE indicators ($n reports found)" "$(calc "$t") s" "-" "first arrivals carried by the latest values, after one read of the change feed; goal < 5 s"
t=$(curl -fsS -o /dev/null -w '%{time_total}' "$DUBAN_URL/api/v1/bulletins/2026-Q3?format=md")
row "quarterly bulletin 2026-Q3 (Markdown), $PROVINCE indicators" "$(calc "$t") s" "-" "first arrivals carried by the latest values: no read per period; goal < 5 s"
stop_duban
fi

{
  echo "$(nproc) cores, $started UTC, load average at start $load (CPU shared with other jobs), influxd 1.8.3 (Flux off), pushes $DURATION each"
  echo
  echo "| figure | through the collector | raw client, same points | ratio / note |"
  echo "|---|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/influx.md"
