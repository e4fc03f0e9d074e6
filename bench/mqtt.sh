#!/usr/bin/env bash
# MQTT devices: VUS (default 1,000) clients, each connected to mosquitto
# and subscribed to its own topic, publish one message a second with a
# send stamp and take it back through their subscription (a fixed rate of
# VUS messages a second: bench/mqtt.yaml), at QoS 0 and then at QoS 1.
# mosquitto (single-threaded, so it sets the rate) runs pinned to CPU 0
# and perfcase to CPU 1, on loopback only. For each QoS it prints the
# generator's CPU per message (a publish and its receive; CPU from run
# --self), the end-to-end latency from the report (p50, p99, max: from the
# stamp to the receive), the messages and failures, and mosquitto's CPU.
# Needs mosquitto, jq and taskset.
#
#   bash bench/mqtt.sh            # VUS=1000 PORT=18094 by default
set -euo pipefail
cd "$(dirname "$0")/.."
VUS=${VUS:-1000}
PORT=${PORT:-18094}
# shellcheck source=bench/lib.sh
. bench/lib.sh
needs mosquitto jq taskset
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# mosquitto 2 listens only where a listener line says; "user root" keeps a
# broker started as root this user (no effect otherwise).
printf 'per_listener_settings true\nuser root\nlog_dest stderr\nlog_type error\nlog_type warning\nlistener %d 127.0.0.1\nallow_anonymous true\n' "$PORT" >"$tmp/mosquitto.conf"
taskset -c 0 mosquitto -c "$tmp/mosquitto.conf" 2>"$tmp/broker.log" &
target_pid=$!
wait_port
ticks=$(getconf CLK_TCK)

for qos in 0 1; do
	echo "== QoS $qos: $VUS devices, one message a second each"
	sed -e "s/qos: 1}/qos: $qos}/g" -e "s/concurrency: 1000/concurrency: $VUS/" bench/mqtt.yaml >"$tmp/m.yaml"
	c0=$(target_cpu)
	taskset -c 1 "$tmp/perfcase" run --quiet --self --out "$tmp/r.json" --set "broker=tcp://127.0.0.1:$PORT" "$tmp/m.yaml" >"$tmp/out" 2>"$tmp/err" || {
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	}
	c1=$(target_cpu)
	grep '^generator' "$tmp/err"
	grep -E '^  (publish|receive|mqtt|    end-to-end)' "$tmp/out" || true
	us=$(sed -n 's/.* \([0-9.]*\) µs CPU per request.*/\1/p' "$tmp/err")
	reqs=$(sed -n 's/^generator: \([0-9]*\) requests.*/\1/p' "$tmp/err")
	jq -r --argjson us "$us" --argjson reqs "$reqs" --argjson cpu "$((c1 - c0))" --argjson hz "$ticks" --arg q "$qos" '.result as $r | $r.perfcase.cases[0].mqtt as $m |
		($m.published.qos0 + $m.published.qos1) as $n | ($us * $reqs / 1e6) as $gen |
		"QoS \($q): \($n) messages in \($r.outline.duration) s (\($n / $r.outline.duration | floor)/s), \($m.latency.count) received; generator CPU \($gen * 10 | floor / 10) s: \($gen * 1e6 / $n | . * 10 | floor / 10) µs per message; end-to-end latency p50 \($m.latency.p50_ms) ms, p99 \($m.latency.p99_ms) ms, max \($m.latency.max_ms) ms; mosquitto CPU \($cpu / $hz) s"' "$tmp/r.json"
done
