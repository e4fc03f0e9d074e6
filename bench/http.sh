#!/usr/bin/env bash
# Load benchmark: perfcase against a fasthttp hello-world target, beside wrk.
#
# The target is pinned to CPU 0 and the generator to CPU 1 (taskset), so the
# two do not steal each other's core. perfcase runs bench/http.yaml (one GET
# with a status checkpoint at 50 VUs for 10 s, full HDR metrics) and reports
# its own CPU, allocations and peak RSS (run --self). wrk, when installed
# (apt-get install wrk), runs the same load the same way, and the script
# prints the ratio of generator CPU per request.
#
# PROMETHEUS=1 adds --prometheus-listen (the live metrics' endpoint, on
# PROM_PORT) and scrapes it every second as Prometheus does (gzip, its
# Accept header) with curl on CPU 0: what serving live metrics costs the
# generator shows in its CPU per request. curl rather than Prometheus
# itself, whose own work on CPU 0 would slow the target and blur the
# generator's figure.
#
#   bash bench/http.sh            # DURATION=10s VUS=50 PORT=18090 by default
#   PROMETHEUS=1 bash bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
VUS=${VUS:-50}
PORT=${PORT:-18090}
# shellcheck source=bench/lib.sh
. bench/lib.sh
start_hello

sed -e "s/concurrency: 50, duration: 10s/concurrency: $VUS, duration: $DURATION/" bench/http.yaml >"$tmp/http.yaml"
live=()
if [ -n "${PROMETHEUS:-}" ]; then
	PROM_PORT=${PROM_PORT:-18091}
	live=(--prometheus-listen "127.0.0.1:$PROM_PORT")
	accept='application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1'
	(while sleep 1; do
		taskset -c 0 curl -s --compressed -H "Accept: $accept" -o /dev/null "http://127.0.0.1:$PROM_PORT/metrics" || true
	done) &
	scraper_pid=$!
	trap 'kill "$scraper_pid" 2>/dev/null || true; cleanup' EXIT
	echo "== with --prometheus-listen 127.0.0.1:$PROM_PORT, scraped every second"
fi
echo "== perfcase: $VUS VUs, $DURATION, one GET + status check, generator on CPU 1"
taskset -c 1 "$tmp/perfcase" run --quiet --self "${live[@]}" --set "base=http://127.0.0.1:$PORT" "$tmp/http.yaml" >"$tmp/perfcase.out" 2>"$tmp/perfcase.err" || {
	cat "$tmp/perfcase.out" "$tmp/perfcase.err"
	exit 1
}
if [ -n "${scraper_pid:-}" ]; then kill "$scraper_pid" 2>/dev/null || true; fi
grep '^generator' "$tmp/perfcase.err"
pc_us=$(sed -n 's/.* \([0-9.]*\) µs CPU per request.*/\1/p' "$tmp/perfcase.err")

if command -v wrk >/dev/null; then
	echo "== wrk: $VUS connections, $DURATION, one thread on CPU 1"
	TIMEFORMAT='%U %S'
	{ time taskset -c 1 wrk -t1 -c"$VUS" -d"$DURATION" "http://127.0.0.1:$PORT/" >"$tmp/wrk.out"; } 2>"$tmp/wrk.time"
	reqs=$(awk '/requests in/ {print $1}' "$tmp/wrk.out")
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out")
	read -r user sys <"$tmp/wrk.time"
	wrk_us=$(awk -v u="$user" -v s="$sys" -v n="$reqs" 'BEGIN {printf "%.2f", (u + s) * 1e6 / n}')
	echo "wrk: $reqs requests, $rps requests/s, $wrk_us µs CPU per request"
	awk -v p="$pc_us" -v w="$wrk_us" 'BEGIN {printf "perfcase / wrk CPU per request: %.2f\n", p / w}'
else
	echo "(wrk not installed: apt-get install wrk to compare)"
fi
