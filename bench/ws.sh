#!/usr/bin/env bash
# WebSocket connections held: perfcase runs VUS virtual users (default
# 10,000), each keeping one WebSocket connection to the demo target's echo
# and sending one message a second (send, receive 1, think 1 s) for 30 s,
# ramped up over 5 s, and reports its peak RSS. The same scenario at 1 VU
# gives the baseline; the difference over VUS is the cost of a VU holding
# a connection. The target (perfcase target) runs pinned to CPU 0 and the
# generator to CPU 1; both listen and connect on loopback only. Each
# process needs a file descriptor per connection: the script raises the
# limit when it may.
#
#   bash bench/ws.sh              # VUS=10000 PORT=18092 by default
set -euo pipefail
cd "$(dirname "$0")/.."
VUS=${VUS:-10000}
PORT=${PORT:-18092}

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need=$((VUS + 256))
limit=$(ulimit -n)
if [ "$limit" != unlimited ] && [ "$limit" -lt "$need" ]; then
	echo "ws.sh: $VUS connections need about $need file descriptors per process; the limit is $limit (ulimit -n)" >&2
	exit 1
fi

tmp=$(mktemp -d)
target_pid=
cleanup() {
	if [ -n "$target_pid" ]; then kill "$target_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/perfcase" ./cmd/perfcase
taskset -c 0 "$tmp/perfcase" target --http "127.0.0.1:$PORT" --tcp "" --udp "" >"$tmp/target.log" 2>&1 &
target_pid=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done

rss() { # VUs -> peak RSS in KiB, from run --self
	sed -e "s/concurrency: 10000/concurrency: $1/" bench/ws.yaml >"$tmp/ws.yaml"
	taskset -c 1 "$tmp/perfcase" run --quiet --self --set "ws_url=ws://127.0.0.1:$PORT/ws" "$tmp/ws.yaml" >"$tmp/out" 2>"$tmp/err" || {
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	}
	grep '^generator' "$tmp/err" >&2
	sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$tmp/err" | awk '{printf "%d", $1 * 1024}'
}
echo "== baseline: 1 VU"
base=$(rss 1)
echo "== $VUS VUs, one connection each"
many=$(rss "$VUS")
# The summary's request lines: every VU should have connected and every
# message come back, or the memory figure is not for $VUS connections.
grep -E 'echo|error|fail' "$tmp/out" >&2 || true
awk -v b="$base" -v m="$many" -v n="$VUS" 'BEGIN {printf "peak RSS: 1 VU %.1f MiB, %d VUs %.1f MiB: %.1f KiB per VU and connection\n", b / 1024, n, m / 1024, (m - b) / n}'
awk '/^VmHWM/ {printf "target peak RSS: %.1f MiB\n", $2 / 1024}' "/proc/$target_pid/status"
