#!/usr/bin/env bash
# Open-model cost and accuracy. perfcase runs a TPS stage at each rate
# (default 1,000, 2,000, 5,000 and 10,000/s, 10 s each) against the hello
# target, which counts the requests it gets per 100 ms. For each rate the
# script prints perfcase's generator CPU per request (run --self), the
# achieved rate against the target, the missed starts, and how evenly the
# requests arrived: the spread of the per-100 ms counts, whole buckets only
# (the first and last are partial).
#
# Beside it, with the generator on the same core against the same target:
#   - a closed stage of 20 VUs flat out, once: its CPU per request, and
#     each rate's ratio to it;
#   - fortio (fortio.org/fortio@v1.68.2) at each rate with 8 connections,
#     as it paces by default (the connections send in step, 8 requests a
#     wake) and with -uniform (spread evenly, as perfcase spreads passes):
#     its CPU per request. fortio is taken from PATH, else installed into a
#     temporary GOBIN with `go install` (this needs the Go module proxy);
#     FORTIO=off skips it.
# The target is pinned to CPU 0 and every generator to CPU 1 (taskset).
#
#   bash bench/tps.sh   # RATES="1000 2000 5000 10000" DURATION=10s PORT=18092 FORTIO=auto
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"1000 2000 5000 10000"}
DURATION=${DURATION:-10s}
PORT=${PORT:-18092}
FORTIO=${FORTIO:-auto}
FORTIO_VERSION=v1.68.2
tmp=$(mktemp -d)
hello_pid=
cleanup() {
	if [ -n "$hello_pid" ]; then kill "$hello_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/perfcase" ./cmd/perfcase
go build -o "$tmp/hello" ./bench/hello

fortio=
if [ "$FORTIO" != off ]; then
	if command -v fortio >/dev/null; then
		fortio=$(command -v fortio)
	elif GOBIN="$tmp/bin" go install "fortio.org/fortio@$FORTIO_VERSION" 2>"$tmp/fortio-install"; then
		fortio=$tmp/bin/fortio
	else
		echo "(fortio could not be installed, so it is left out:"
		tail -3 "$tmp/fortio-install"
		echo ")"
	fi
fi

# hello starts the target on CPU 0, with any flags given, and waits for it.
hello() {
	taskset -c 0 "$tmp/hello" "$@" "127.0.0.1:$PORT" >"$tmp/hist" &
	hello_pid=$!
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
		sleep 0.1
	done
}

# stop_hello stops the target; with -hist it prints its counts first.
stop_hello() {
	kill "$hello_pid"
	wait "$hello_pid" 2>/dev/null || true
	hello_pid=
}

# us_per_request prints the µs of CPU per request that perfcase's --self
# line in file $1 reports.
us_per_request() {
	sed -n 's/.* \([0-9.]*\) µs CPU per request.*/\1/p' "$1"
}

# fortio_run runs fortio at rate $1 with any further flags and prints its
# CPU per request (user + system time over the calls it made, warm-up
# included).
fortio_run() {
	local rate=$1
	shift
	TIMEFORMAT='%U %S'
	{ time taskset -c 1 "$fortio" load -quiet -qps "$rate" -c 8 "$@" -t "$DURATION" "http://127.0.0.1:$PORT/" >"$tmp/fortio.out" 2>&1; } 2>"$tmp/fortio.time"
	read -r user sys <"$tmp/fortio.time"
	sed -n 's/.*All done \([0-9]*\) calls (plus \([0-9]*\) warmup).*/\1 \2/p' "$tmp/fortio.out" | {
		read -r calls warmup
		awk -v u="$user" -v s="$sys" -v n="$calls" -v w="$warmup" 'BEGIN {printf "%d requests, %.2f µs CPU per request", n, (u + s) * 1e6 / (n + w)}'
	}
}

echo "== perfcase: a closed stage of 20 VUs flat out for $DURATION, generator on CPU 1"
hello
sed -e "s/{tps: 1000, max_vus: 500, duration: 10s}/{concurrency: 20, duration: $DURATION}/" bench/tps.yaml >"$tmp/closed.yaml"
taskset -c 1 "$tmp/perfcase" run --quiet --self --set "base=http://127.0.0.1:$PORT" "$tmp/closed.yaml" >"$tmp/out" 2>"$tmp/err" || {
	cat "$tmp/out" "$tmp/err"
	exit 1
}
grep '^generator' "$tmp/err"
closed_us=$(us_per_request "$tmp/err")
stop_hello

for rate in $RATES; do
	hello -hist
	sed -e "s/tps: 1000, max_vus: 500, duration: 10s/tps: $rate, max_vus: 500, duration: $DURATION/" bench/tps.yaml >"$tmp/tps.yaml"
	echo "== perfcase: $rate/s for $DURATION, generator on CPU 1"
	taskset -c 1 "$tmp/perfcase" run --quiet --self --out "$tmp/report.json" --set "base=http://127.0.0.1:$PORT" "$tmp/tps.yaml" >"$tmp/out" 2>"$tmp/err" || {
		cat "$tmp/out" "$tmp/err"
		exit 1
	}
	grep '^generator' "$tmp/err"
	tps_us=$(us_per_request "$tmp/err")
	stop_hello
	missed=$(sed -n 's/.*"missed_starts": \([0-9]*\).*/\1/p' "$tmp/report.json" | head -1)
	sed -n 's/^per 100 ms: \[\(.*\)\]/\1/p' "$tmp/hist" | tr ' ' '\n' >"$tmp/buckets"
	awk -v rate="$rate" -v dur="${DURATION%s}" -v missed="${missed:-?}" '
		{ b[NR] = $1; total += $1 }
		END {
			n = 0
			for (i = 2; i < NR; i++) { n++; sum += b[i]; if (min == "" || b[i] < min) min = b[i]; if (b[i] > max) max = b[i]; sq += b[i] * b[i] }
			mean = sum / n; sd = sqrt(sq / n - mean * mean)
			printf "target received %d requests: %.1f/s against %d/s (%+.2f%%), missed starts %s\n", total, total / dur, rate, (total / dur - rate) * 100 / rate, missed
			printf "per 100 ms (%d whole buckets): min %d, max %d, mean %.1f, stddev %.1f (%.2f%% of the mean)\n", n, min, max, mean, sd, sd * 100 / mean
		}' "$tmp/buckets"
	awk -v t="$tps_us" -v c="$closed_us" 'BEGIN {printf "CPU per request against the closed stage of 20 VUs: %.2f×\n", t / c}'
	if [ -n "$fortio" ]; then
		hello
		echo "fortio, 8 connections in step: $(fortio_run "$rate")"
		echo "fortio, 8 connections -uniform: $(fortio_run "$rate" -uniform)"
		stop_hello
	fi
done
