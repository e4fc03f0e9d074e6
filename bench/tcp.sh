#!/usr/bin/env bash
# Load benchmark: perfcase against a TCP line echo.
#
# The echo is perfcase's own demo target (perfcase target --tcp), or socat
# with PEER=socat, pinned to CPU 0; the generator runs on CPU 1 (taskset),
# so the two do not steal each other's core. perfcase runs bench/tcp.yaml
# (one "PING\n" per pass, the reply read up to "\n" and checked, on one
# kept connection per VU, 50 VUs for 10 s, full HDR metrics) and reports
# requests/s and its own CPU per request (run --self).
#
#   bash bench/tcp.sh             # DURATION=10s VUS=50 PORT=19000 PEER=target
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
VUS=${VUS:-50}
PORT=${PORT:-19000}
PEER=${PEER:-target}

tmp=$(mktemp -d)
peer_pid=
cleanup() {
	if [ -n "$peer_pid" ]; then kill "$peer_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/perfcase" ./cmd/perfcase
case "$PEER" in
target)
	taskset -c 0 "$tmp/perfcase" target --http "" --tcp "127.0.0.1:$PORT" --udp "" >"$tmp/peer.log" 2>&1 &
	;;
socat)
	command -v socat >/dev/null || { echo "socat is not installed (apt-get install socat)"; exit 1; }
	taskset -c 0 socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork,backlog=1024" PIPE &
	;;
*)
	echo "PEER is target or socat, not $PEER"; exit 2
	;;
esac
peer_pid=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done

sed -e "s/concurrency: 50, duration: 10s/concurrency: $VUS, duration: $DURATION/" bench/tcp.yaml >"$tmp/tcp.yaml"
echo "== perfcase: $VUS VUs, $DURATION, one TCP line round trip + payload check, $PEER echo on CPU 0, generator on CPU 1"
taskset -c 1 "$tmp/perfcase" run --quiet --self --set "addr=127.0.0.1:$PORT" "$tmp/tcp.yaml" >"$tmp/perfcase.out" 2>"$tmp/perfcase.err" || {
	cat "$tmp/perfcase.out" "$tmp/perfcase.err"
	exit 1
}
grep '^generator' "$tmp/perfcase.err"
