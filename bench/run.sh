#!/usr/bin/env bash
# Runs every load figure of the README's performance section in one go, against the real
# servers on 127.0.0.1, and prints a table. duban and Prometheus Pushgateway receive the
# same values in the same run.
#
#   ./bench/run.sh            # ~3 minutes on a 2-core machine
#   DURATION=20s ./bench/run.sh
#
# Needs: Go, prometheus-pushgateway (apt-get install prometheus-pushgateway).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
OUT=bench/out
mkdir -p "$OUT"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/duban" ./cmd/duban
go build -o "$work/loadgen" ./bench/loadgen
go build -o "$work/gencatalog" ./bench/gencatalog
PGW=$(command -v prometheus-pushgateway || true)
[ -n "$PGW" ] || { echo "install prometheus-pushgateway first (apt-get install prometheus-pushgateway)"; exit 1; }

freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
field() { sed -n "s|.*$1=\([^ ]*\).*|\1|p"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
wait_ready() { for _ in $(seq 1 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "not ready: $1"; return 1; }

tokline=$("$work/duban" token create --admin)
TOKEN=$(echo "$tokline" | sed -n 's/^token: //p'); echo "$TOKEN" > "$work/token"
HASH=$(echo "$tokline" | sed -n 's/.*sha256: \([0-9a-f]*\).*/\1/p')

# start_duban NAME CATALOG -> sets DUBAN_URL DUBAN_PID
start_duban() {
  local name=$1 catalog=$2 port; port=$(freeport)
  mkdir -p "$work/$name"
  cat > "$work/$name/duban.yaml" <<YAML
listen: 127.0.0.1:$port
catalog: $catalog
store: {kind: embedded, path: $work/$name/data}
limits: {rate_per_second: -1, max_concurrent: 1024}
log: {format: text, level: warn}
auth:
  tokens:
    - {role: admin, sha256: $HASH}
YAML
  local t0; t0=$(date +%s.%N)
  "$work/duban" serve --config "$work/$name/duban.yaml" >"$work/$name/log" 2>&1 &
  DUBAN_PID=$!; pids+=("$DUBAN_PID")
  DUBAN_URL=http://127.0.0.1:$port
  wait_ready "$DUBAN_URL/-/ready"
  STARTUP_S=$(echo "$(date +%s.%N) - $t0" | bc)
}
start_pgw() {
  local port; port=$(freeport)
  "$PGW" --web.listen-address=127.0.0.1:$port --persistence.file="" >"$work/pgw.log" 2>&1 &
  PGW_PID=$!; pids+=("$PGW_PID")
  PGW_URL=http://127.0.0.1:$port
  wait_ready "$PGW_URL/-/ready"
}
# pgw_fill N: Pushgateway holding N series of duban_indicator_value (groups of 1000).
pgw_fill() {
  local n=$1 g=0
  while [ $((g * 1000)) -lt "$n" ]; do
    awk -v g=$g -v n="$n" 'BEGIN{print "# TYPE duban_indicator_value gauge"; for(i=g*1000;i<(g+1)*1000 && i<n;i++) printf "duban_indicator_value{indicator=\"%d.1\"} %d\n", i, i}' \
      | curl -fsS -X PUT --data-binary @- "$PGW_URL/metrics/job/bench/group/$g" >/dev/null
    g=$((g + 1))
  done
}
series() { curl -fsS "$1" | grep -vc '^#'; }
rows=()
row() { rows+=("$(printf '%-58s | %-22s | %-22s | %s' "$1" "$2" "$3" "$4")"); }

echo "== pushes: 2026 catalog, 16 connections, $DURATION each"
start_duban c2026 "$PWD/indicators/catalogs/changzhi-2026.yaml"
start_pgw
d1=$("$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 16 -batch 1 -duration "$DURATION"); echo "duban  $d1"
p1=$("$work/loadgen" -mode pushgw -url "$PGW_URL" -indicators <(curl -fsS "$DUBAN_URL/api/v1/indicators" | grep -o '"id":"[0-9.]*"' | cut -d'"' -f4) -conns 16 -duration "$DURATION"); echo "pushgw $p1"
dr=$(echo "$d1" | field 'req/s'); pr=$(echo "$p1" | field 'req/s')
row "single-report pushes/s, 16 conns (duban fsynced each)" "$dr" "$pr" "$(echo "scale=2; $dr / $pr" | bc)x"
row "p50 / p99 latency ms, 16 conns" "$(echo "$d1" | field p50) / $(echo "$d1" | field p99)" "$(echo "$p1" | field p50) / $(echo "$p1" | field p99)" ""
for b in 100 1000; do
  d=$("$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 16 -batch $b -duration "$DURATION"); echo "duban  $d"
  row "reports/s in batches of $b" "$(echo "$d" | field 'reports/s')" "-" "p99 $(echo "$d" | field p99) ms"
done
n=$(series "$DUBAN_URL/metrics")
s=$("$work/loadgen" -mode scrape -url "$DUBAN_URL/metrics" -n 50)
pgw_fill "$n"
ps=$("$work/loadgen" -mode scrape -url "$PGW_URL/metrics" -n 50)
row "/metrics p50 ms, 2026 catalog ($n series)" "$(echo "$s" | field p50) ($(echo "$s" | field bytes) B)" "$(echo "$ps" | field p50) ($(echo "$ps" | field bytes) B)" ""
kill -9 "$DUBAN_PID" "$PGW_PID"

for N in 10000 100000; do
  echo "== synthetic catalog of $N indicators"
  "$work/gencatalog" -n "$N" > "$work/cat$N.yaml"
  start_duban "s$N" "$work/cat$N.yaml"
  "$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 4 -batch 1000 -duration 120s -max-requests $((N / 1000 + 1)) >/dev/null
  n=$(series "$DUBAN_URL/metrics")
  s=$("$work/loadgen" -mode scrape -url "$DUBAN_URL/metrics" -n 10)
  drss=$(rss_mb "$DUBAN_PID")
  start_pgw; pgw_fill "$n"
  ps=$("$work/loadgen" -mode scrape -url "$PGW_URL/metrics" -n 10)
  prss=$(rss_mb "$PGW_PID")
  row "/metrics p50 ms, $N indicators ($n series)" "$(echo "$s" | field p50) ($(echo "$s" | field bytes) B)" "$(echo "$ps" | field p50) ($(echo "$ps" | field bytes) B)" "$(echo "scale=2; $(echo "$ps" | field p50) / $(echo "$s" | field p50)" | bc)x faster"
  row "resident memory MB, $N indicators ($n series)" "$drss" "$prss" "$(echo "scale=0; $drss * 1048576 / $n" | bc) B/series vs $(echo "scale=0; $prss * 1048576 / $n" | bc)"
  if [ "$N" = 100000 ]; then
    echo "== 1,000,000 stored revisions, then restart"
    "$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 4 -batch 1000 -duration 300s -max-requests 1000 -period 2026-04 >/dev/null
    kill -9 "$DUBAN_PID"
    start_duban "s$N" "$work/cat$N.yaml"
    row "start-up with 1,000,000 revisions (s, to /-/ready)" "$STARTUP_S" "-" "RSS $(rss_mb "$DUBAN_PID") MB"
  fi
  kill -9 "$DUBAN_PID" "$PGW_PID" 2>/dev/null || true
done

echo
printf '%-58s | %-22s | %-22s | %s\n' "figure ($(nproc) cores, $(date -u +%F))" "duban" "Pushgateway" "ratio / note"
printf '%s\n' "${rows[@]}" | tee "$OUT/table.txt"
