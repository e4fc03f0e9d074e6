#!/usr/bin/env bash
# Rate accuracy: perfcase runs a TPS stage (default 1,000/s and 10,000/s,
# 10 s each) against the hello target, which counts the requests it gets
# per 100 ms. The script prints the achieved rate against the target and
# how evenly the requests arrived: the spread of the per-100 ms counts,
# whole buckets only (the first and last are partial).
#
#   bash bench/tps.sh            # RATES="1000 10000" DURATION=10s PORT=18092
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"1000 10000"}
DURATION=${DURATION:-10s}
PORT=${PORT:-18092}
tmp=$(mktemp -d)
hello_pid=
cleanup() {
	if [ -n "$hello_pid" ]; then kill "$hello_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/perfcase" ./cmd/perfcase
go build -o "$tmp/hello" ./bench/hello

for rate in $RATES; do
	taskset -c 0 "$tmp/hello" -hist "127.0.0.1:$PORT" >"$tmp/hist" &
	hello_pid=$!
	for _ in $(seq 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
		sleep 0.1
	done
	sed -e "s/tps: 1000, max_vus: 500, duration: 10s/tps: $rate, max_vus: 500, duration: $DURATION/" bench/tps.yaml >"$tmp/tps.yaml"
	echo "== perfcase: $rate/s for $DURATION, generator on CPU 1"
	taskset -c 1 "$tmp/perfcase" run --quiet --self --out "$tmp/report.json" --set "base=http://127.0.0.1:$PORT" "$tmp/tps.yaml" >"$tmp/out" 2>"$tmp/err" || {
		cat "$tmp/out" "$tmp/err"
		exit 1
	}
	grep '^generator' "$tmp/err"
	kill -INT "$hello_pid"
	wait "$hello_pid" 2>/dev/null || true
	hello_pid=
	missed=$(sed -n 's/.*"missed_starts": \([0-9]*\).*/\1/p' "$tmp/report.json" | head -1)
	sed -n 's/^per 100 ms: \[\(.*\)\]/\1/p' "$tmp/hist" | tr ' ' '\n' >"$tmp/buckets"
	awk -v rate="$rate" -v dur="${DURATION%s}" -v missed="${missed:-?}" '
		{ b[NR] = $1; total += $1 }
		END {
			n = 0
			for (i = 2; i < NR; i++) { n++; sum += b[i]; if (min == "" || b[i] < min) min = b[i]; if (b[i] > max) max = b[i]; sq += b[i] * b[i] }
			mean = sum / n; sd = sqrt(sq / n - mean * mean)
			printf "target received %d requests: %.1f/s against %d/s (%+.2f%%), missed starts %s\n", total, total / dur, rate, (total / dur - rate) * 100 / rate, missed
			printf "per 100 ms (%d whole buckets): min %d, max %d, mean %.1f, stddev %.1f (%.1f%% of the mean)\n", n, min, max, mean, sd, sd * 100 / mean
		}' "$tmp/buckets"
done
