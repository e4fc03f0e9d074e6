#!/usr/bin/env bash
# Memory per VU: perfcase runs VUS virtual users (default 10,000), each
# doing one GET with a status checkpoint then a 1 s think, against the
# fasthttp hello-world target, and reports its peak RSS. The same scenario
# at 1 VU gives the baseline; the difference over VUS is the cost of a VU.
#
#   bash bench/vus.sh             # VUS=10000 PORT=18091 by default
set -euo pipefail
cd "$(dirname "$0")/.."
VUS=${VUS:-10000}
PORT=${PORT:-18091}
# shellcheck source=bench/lib.sh
. bench/lib.sh
start_hello

rss() { # VUs -> peak RSS in KiB, from run --self
	sed -e "s/concurrency: 10000/concurrency: $1/" bench/vus.yaml >"$tmp/vus.yaml"
	taskset -c 1 "$tmp/perfcase" run --quiet --self --set "base=http://127.0.0.1:$PORT" "$tmp/vus.yaml" >"$tmp/out" 2>"$tmp/err" || {
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	}
	grep '^generator' "$tmp/err" >&2
	sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$tmp/err" | awk '{printf "%d", $1 * 1024}'
}
echo "== baseline: 1 VU"
base=$(rss 1)
echo "== $VUS VUs"
many=$(rss "$VUS")
awk -v b="$base" -v m="$many" -v n="$VUS" 'BEGIN {printf "peak RSS: 1 VU %.1f MiB, %d VUs %.1f MiB: %.1f KiB per VU\n", b / 1024, n, m / 1024, (m - b) / n}'
