#!/usr/bin/env bash
# Runs every load figure of the README's performance section in one go, against the real
# servers on 127.0.0.1, and prints a table (also written to bench/out/table.md). duban
# and Prometheus Pushgateway receive the same values in the same run; each Pushgateway
# is filled with as many series as duban exposes before its /metrics is scraped.
#
#   ./bench/run.sh                      # ~6 minutes on a 2-core machine
#   DURATION=20s SIZES="10000" ./bench/run.sh
#
# DURATION: length of each push run (default 10s); REPEAT: runs of the single-report
# pushes per server, alternating, medians reported (default 3). SIZES: synthetic catalog sizes
# (default "10000 100000"; the 1,000,000-revision start-up runs at the largest).
# Scrapes accept gzip as Prometheus does (both servers compress; the client
# decompresses), and are repeated without compression.
# Then bench/influx.sh: the InfluxDB backend beside the raw client (INFLUX=0 skips it;
# KEYS and PROVINCE size it, see that script), its table in bench/out/influx.md.
# Needs: Go, curl, bc, prometheus-pushgateway (apt-get install prometheus-pushgateway),
# influxd for the InfluxDB figures (./scripts/test.sh builds it into .cache/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
SIZES=${SIZES:-10000 100000}
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
# field NAME: the value of NAME=… in a loadgen line, units stripped.
field() { sed -n "s|.*[ ]$1=\([0-9.]*\).*|\1|p"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
wait_ready() { for _ in $(seq 1 1200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.02; done; echo "not ready: $1"; return 1; }
calc() { LC_ALL=C printf "%.${2:-2}f" "$(echo "scale=6; $1" | bc)"; }
mb() { calc "$1 / 1048576" 1; }

tokline=$("$work/duban" token create --admin)
TOKEN=$(echo "$tokline" | sed -n 's/^token: //p'); echo "$TOKEN" > "$work/token"
HASH=$(echo "$tokline" | sed -n 's/.*sha256: \([0-9a-f]*\).*/\1/p')
DEPT_LINE="" # set once the pushing department is known

# start_duban NAME CATALOG -> sets DUBAN_URL DUBAN_PID STARTUP_S (to /-/ready)
start_duban() {
  local name=$1 catalog=$2 port; port=$(freeport)
  mkdir -p "$work/$name"
  cat > "$work/$name/duban.yaml" <<YAML
listen: 127.0.0.1:$port
catalog: $catalog
store: {kind: embedded, path: $work/$name/data}
limits: {rate_per_second: -1, max_concurrent: 1024}
log: {format: text, level: ${LOG_LEVEL:-info}}
auth:
  tokens:
    - {role: admin, sha256: $HASH}
$DEPT_LINE
YAML
  local t0; t0=$(date +%s.%N)
  "$work/duban" serve --config "$work/$name/duban.yaml" >"$work/$name/log" 2>&1 &
  DUBAN_PID=$!; pids+=("$DUBAN_PID")
  DUBAN_URL=http://127.0.0.1:$port
  wait_ready "$DUBAN_URL/-/ready"
  STARTUP_S=$(calc "$(date +%s.%N) - $t0")
}
start_pgw() {
  local port; port=$(freeport)
  "$PGW" --web.listen-address=127.0.0.1:$port --persistence.file="" >"$work/pgw.log" 2>&1 &
  PGW_PID=$!; pids+=("$PGW_PID")
  PGW_URL=http://127.0.0.1:$port
  wait_ready "$PGW_URL/-/ready"
}
# pgw_fill N: Pushgateway holding N series shaped like duban's (indicator and department
# labels), pushed in groups of 50,000 (Pushgateway re-checks its whole content on every
# push, so small groups take quadratic time).
pgw_fill() {
  local n=$1 g=0 size=50000
  while [ $((g * size)) -lt "$n" ]; do
    awk -v g=$g -v n="$n" -v size=$size 'BEGIN{print "# TYPE duban_indicator_value gauge"; for(i=g*size;i<(g+1)*size && i<n;i++) printf "duban_indicator_value{department=\"d%04d\",indicator=\"%d.1\"} %d\n", i/3200, i, i}' \
      | curl -fsS -X PUT --data-binary @- "$PGW_URL/metrics/job/bench/group/$g" >/dev/null
    g=$((g + 1))
  done
}
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }
load=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== pushes: 2026 catalog, 16 connections, $DURATION each"
# Pushes are a department's, with its own token (the admin token's re-reports are
# corrections, logged one by one): the department leading the most numeric indicators.
start_duban c2026 "$PWD/indicators/catalogs/changzhi-2026.yaml"
DEPT=$(curl -fsS "$DUBAN_URL/api/v1/indicators" | python3 -c 'import json,sys,collections; c=collections.Counter(i["department"] for i in json.load(sys.stdin)["indicators"] if i["measure"]!="milestone"); print(c.most_common(1)[0][0])')
kill -9 "$DUBAN_PID"
deptline=$("$work/duban" token create --department "$DEPT")
echo "$deptline" | sed -n 's/^token: //p' > "$work/dept-token"
DEPT_LINE="    - {department: $DEPT, sha256: $(echo "$deptline" | sed -n 's/.*sha256: \([0-9a-f]*\).*/\1/p')}"
start_duban c2026 "$PWD/indicators/catalogs/changzhi-2026.yaml"
start_pgw
"$work/loadgen" -mode ids -url "$DUBAN_URL" > "$work/ids"
echo "pushing as department $DEPT ($("$work/loadgen" -mode ids -url "$DUBAN_URL" -department "$DEPT" | wc -l) numeric indicators)"
# median VALUES...: the middle value.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# Single pushes: REPEAT runs of each server, alternating; medians of rate and latency.
dr=(); d50=(); d99=(); pr=(); p50=(); p99=()
for i in $(seq 1 "${REPEAT:-3}"); do
  p1=$("$work/loadgen" -mode pushgw -url "$PGW_URL" -indicators "$work/ids" -conns 16 -duration "$DURATION"); echo "pushgw $p1"
  d1=$("$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/dept-token" -department "$DEPT" -conns 16 -batch 1 -duration "$DURATION"); echo "duban  $d1"
  dr+=("$(echo "$d1" | field 'req/s')"); d50+=("$(echo "$d1" | field p50)"); d99+=("$(echo "$d1" | field p99)")
  pr+=("$(echo "$p1" | field 'req/s')"); p50+=("$(echo "$p1" | field p50)"); p99+=("$(echo "$p1" | field p99)")
done
dr=$(median "${dr[@]}"); pr=$(median "${pr[@]}")
row "single-report pushes/s, 16 connections (duban: each fsynced before 201; one department's token; median of ${REPEAT:-3})" "$dr" "$pr" "**$(calc "$dr / $pr")×** (target ≥ 2×)"
row "push latency p50 / p99 ms, 16 connections (medians)" "$(median "${d50[@]}") / $(median "${d99[@]}")" "$(median "${p50[@]}") / $(median "${p99[@]}")" "target p99 < 10 ms"
for b in 100 1000; do
  d=$("$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/dept-token" -department "$DEPT" -conns 16 -batch $b -duration "$DURATION"); echo "duban  $d"
  row "reports/s in batches of $b, 16 connections" "$(echo "$d" | field 'reports/s')" "-" "p99 $(echo "$d" | field p99) ms$([ $b = 1000 ] && echo '; target 200,000/s')"
done
# scrape_row LABEL: scrape duban and a Pushgateway holding as many series; sets rows.
scrape_row() {
  local label=$1 n s ps
  s=$("$work/loadgen" -mode scrape -url "$DUBAN_URL/metrics" -n "${2:-50}"); echo "duban  $s"
  n=$(echo "$s" | field series)
  pgw_fill "$n"
  ps=$("$work/loadgen" -mode scrape -url "$PGW_URL/metrics" -n "${2:-50}"); echo "pushgw $ps"
  local dp pp; dp=$(echo "$s" | field p50); pp=$(echo "$ps" | field p50)
  row "/metrics p50 ms, $label ($n series; MB uncompressed)" "$dp ($(mb "$(echo "$s" | field bytes)"))" "$pp ($(mb "$(echo "$ps" | field bytes)"))" "duban **$(calc "$pp / $dp")×** the series/s ($(calc "$n / $dp / 1000" 1)M vs $(calc "$(echo "$ps" | field series) / $pp / 1000" 1)M)"
  s=$("$work/loadgen" -mode scrape -gzip=false -url "$DUBAN_URL/metrics" -n "${2:-50}"); echo "duban  $s (identity)"
  ps=$("$work/loadgen" -mode scrape -gzip=false -url "$PGW_URL/metrics" -n "${2:-50}"); echo "pushgw $ps (identity)"
  dp=$(echo "$s" | field p50); pp=$(echo "$ps" | field p50)
  row "… the same without compression (Accept-Encoding: identity)" "$dp" "$pp" "duban **$(calc "$pp / $dp")×** the series/s"
  SERIES=$n
}
# Fill the 2026 catalog with one report per indicator so every series exists.
"$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 1 -batch 200 -duration 10s -max-requests 1 >/dev/null
scrape_row "2026 catalog" 200
id=$(head -1 "$work/ids")
row "series of one indicator with data ($id)" "$(curl -fsS "$DUBAN_URL/metrics" | grep -c "indicator=\"$id\"")" "-" "at most 16; 11 without data"
kill -9 "$PGW_PID"
echo "== 1,000,000 more stored revisions on the 2026 catalog, then restart"
d=$("$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 4 -batch 1000 -duration 600s -max-requests 1000 -period 2026-04); echo "duban  $d"
total=$(curl -fsS "$DUBAN_URL/metrics" | awk '/^duban_reports_received_total/ && /result="accepted"/ {s += $2} END {printf "%d", s}')
kill -9 "$DUBAN_PID"
start_duban c2026 "$PWD/indicators/catalogs/changzhi-2026.yaml"
row "start-up with $total stored revisions, 2026 catalog (s from exec to /-/ready)" "$STARTUP_S" "-" "RSS $(rss_mb "$DUBAN_PID") MB; target < 3 s"
kill -9 "$DUBAN_PID"

largest=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)
for N in $SIZES; do
  echo "== synthetic catalog of $N indicators"
  "$work/gencatalog" -n "$N" > "$work/cat$N.json"
  start_duban "s$N" "$work/cat$N.json"
  "$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 4 -batch 1000 -duration 300s -max-requests $(((N + 999) / 1000)) >/dev/null
  start_pgw
  scrape_row "$N indicators" 10
  drss=$(rss_mb "$DUBAN_PID"); prss=$(rss_mb "$PGW_PID")
  row "resident memory MB after the scrapes, $N indicators ($SERIES series)" "$drss" "$prss" "$(calc "$drss * 1048576 / $SERIES" 0) vs $(calc "$prss * 1048576 / $SERIES" 0) B/series"
  kill -9 "$PGW_PID"
  if [ "$N" = "$largest" ]; then
    echo "== 1,000,000 stored revisions, then restart"
    t0=$(date +%s.%N)
    d=$("$work/loadgen" -mode duban -url "$DUBAN_URL" -token-file "$work/token" -conns 4 -batch 1000 -duration 600s -max-requests 1000 -period 2026-04); echo "duban  $d"
    echo "stored 1,000,000 revisions in $(calc "$(date +%s.%N) - $t0" 1) s"
    kill -9 "$DUBAN_PID"
    start_duban "s$N" "$work/cat$N.json"
    row "start-up with $(calc "$(echo "$d" | field requests) * 1000 + $N" 0) stored revisions, $N indicators (s to /-/ready)" "$STARTUP_S" "-" "RSS $(rss_mb "$DUBAN_PID") MB; includes parsing the $(mb "$(stat -c %s "$work/cat$N.json")") MB catalog"
  fi
  kill -9 "$DUBAN_PID" 2>/dev/null || true
done

{
  echo "$(nproc) cores, $(date -u '+%F %H:%M') UTC, load average at start $load, duban log level ${LOG_LEVEL:-info}, pushes $DURATION each"
  echo
  echo "| figure | duban | Pushgateway | ratio / note |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/table.md"

if [ "${INFLUX:-1}" != 0 ]; then
  echo
  echo "== the InfluxDB backend (bench/influx.sh)"
  DURATION=$DURATION ./bench/influx.sh
fi
