#!/usr/bin/env bash
# The one test command: installs and starts nothing by hand, so a fresh machine passes
# with it alone. Installs the real servers the tests talk to, builds influxd 1.8.3 once
# (cached under .cache/bin), runs every test, each fuzz target briefly, and every
# benchmark once so none can rot.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"

# 1. Debian packages: Prometheus + promtool, Alertmanager + amtool, Pushgateway, Chromium,
#    LibreOffice (Writer, Calc), a CJK font, qemu-user-static (runs the linux/arm64
#    release binary) and systemd (systemd-analyze verifies deploy/systemd/duban.service).
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v prometheus-pushgateway >/dev/null 2>&1 || need+=(prometheus-pushgateway)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# LibreOffice re-saves Word and Excel files as people do (indicators/notice TestOfficeRoundTrip).
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui libreoffice-calc-nogui)
# CJK glyphs for the board screenshot the browser test saves.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  echo "== apt-get install ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi

# 2. InfluxDB 1.8.3 (serves the v2 write and Flux query API), built once from the module proxy.
if [ ! -x .cache/bin/influxd ]; then
  echo "== building influxd v1.8.3 into .cache/bin (about a minute)"
  mkdir -p .cache/bin
  GOBIN="$PWD/.cache/bin" GOFLAGS=-mod=mod go install github.com/influxdata/influxdb/cmd/influxd@v1.8.3
fi

# 3. go.mod and go.sum as `go mod tidy` leaves them (direct dependencies not marked
#    indirect, nothing missing or unused); -diff prints the change and fails otherwise.
echo "== go mod tidy -diff"
go mod tidy -diff

# 4. golangci-lint with the committed .golangci.yml (govet, staticcheck, errcheck,
#    revive, gosec, funlen …); any finding fails. Installed into GOPATH/bin when missing
#    or another version.
GOLANGCI_LINT_VERSION=2.15.0
if ! golangci-lint version 2>/dev/null | grep -q "version ${GOLANGCI_LINT_VERSION} "; then
  echo "== installing golangci-lint v${GOLANGCI_LINT_VERSION} into $(go env GOPATH)/bin"
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v${GOLANGCI_LINT_VERSION}"
fi
echo "== golangci-lint"
golangci-lint run ./...

# 5. Every test. Tests that need a server start it themselves on 127.0.0.1.
echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 20m ./...

# 6. Each fuzz target, briefly, bounded by a number of executions, not by time: with a
#    duration -fuzztime, Go before 1.27 can fail a healthy run with "context deadline
#    exceeded" at the deadline (golang/go#75804: the coordinator races its own timeout;
#    seen in CI on FuzzDecodeXLSX and FuzzPostReports with no crasher written). A count has
#    no deadline to race. -fuzzminimizetime=0: no minute-long shrinking of new coverage; a
#    crasher is still written, unshrunk. FUZZCOUNT scales every budget (default 5000 runs;
#    the upload target runs a whole HTTP upload per input, about 50 a second, so a tenth).
echo "== fuzz"
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | sort | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  for fn in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //'); do
    runs="${FUZZCOUNT:-5000}"
    case "$fn" in FuzzUploadXLSX) runs=$((runs / 10)) ;; esac
    go test -run='^$' -fuzz="^${fn}\$" -fuzztime="${runs}x" -fuzzminimizetime=0 "$pkg"
  done
done

# 7. Every benchmark once, so they cannot rot (figures come from bench/, see README).
echo "== benchmarks (-benchtime=1x)"
go test -count=1 -run='^$' -bench=. -benchtime=1x ./...
