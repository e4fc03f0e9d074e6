#!/usr/bin/env bash
# Streaming viewers: VUS (default 1,000) HLS viewers, then as many
# HTTP-FLV viewers, of a live stream of 256 kbit/s (H.264 at 224 kbit/s
# and AAC at 32 kbit/s, made here with ffmpeg from a noisy test pattern so
# that the encoder fills its rate), each playing it for 20 s again and
# again (bench/stream.yaml), ramped up over 10 s, for 50 s. The target
# (bench/streamsrv: internal/media's live HLS and HTTP-FLV servers) runs
# pinned to CPU 0 and perfcase to CPU 1; both listen and connect on
# loopback only. The target writes the FLV stream's tags BATCH at a time
# (default 100ms, as a server that buffers its writes; BATCH=0 writes each
# tag, about 30 a second, as it falls due, which costs both sides a system
# call per tag). For each protocol it prints: memory per viewer (peak RSS
# at VUS viewers less that at 1, over VUS), generator CPU per MB received
# (CPU from run --self, bytes from the report: every byte on the wire,
# HTTP framing included), the plays, their failures and the stalls the
# viewers saw, and the target's CPU, which says whether a stall was the
# peer's doing. Needs ffmpeg, jq and taskset.
#
#   bash bench/stream.sh          # VUS=1000 PORT=18093 BATCH=100ms by default
set -euo pipefail
cd "$(dirname "$0")/.."
VUS=${VUS:-1000}
PORT=${PORT:-18093}
BATCH=${BATCH:-100ms}
# shellcheck source=bench/lib.sh
. bench/lib.sh
needs ffmpeg jq taskset
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== making a 256 kbit/s stream with ffmpeg"
mkdir -p "$tmp/assets/hls/low" "$tmp/assets/hls/high"
src=(-f lavfi -i "testsrc2=size=320x180:rate=10,noise=alls=40:allf=t+u" -f lavfi -i "sine=frequency=440:sample_rate=44100")
enc=(-c:v libx264 -preset veryfast -profile:v baseline -pix_fmt yuv420p -g 10 -keyint_min 10 -sc_threshold 0
	-b:v 224k -minrate 224k -maxrate 224k -bufsize 224k -c:a aac -ac 1 -b:a 32k)
ffmpeg -hide_banner -loglevel error -y "${src[@]}" -t 6 "${enc[@]}" -f hls -hls_time 2 -hls_playlist_type vod \
	-hls_segment_filename "$tmp/assets/hls/low/seg%d.ts" "$tmp/assets/hls/low.m3u8"
cp "$tmp"/assets/hls/low/seg*.ts "$tmp/assets/hls/high/"
printf '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=256000\nlow.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=256000\nhigh.m3u8\n' >"$tmp/assets/hls/master.m3u8"
ffmpeg -hide_banner -loglevel error -y "${src[@]}" -t 10 "${enc[@]}" -f flv "$tmp/clip.flv"
hls_kbps=$(cat "$tmp"/assets/hls/low/seg*.ts | wc -c | awk '{printf "%.0f", $1 * 8 / 6 / 1000}')
flv_kbps=$(wc -c <"$tmp/clip.flv" | awk '{printf "%.0f", $1 * 8 / 10 / 1000}')
echo "HLS segments: $hls_kbps kbit/s; FLV clip: $flv_kbps kbit/s (container included)"

go build -o "$tmp/streamsrv" ./bench/streamsrv
taskset -c 0 "$tmp/streamsrv" -hls "$tmp/assets" -flv "$tmp/clip.flv" -batch "$BATCH" "127.0.0.1:$PORT" 2>"$tmp/srv.log" &
target_pid=$!
wait_port

ticks=$(getconf CLK_TCK)

run() { # protocol VUs -> "rss_kib cpu_s recv_bytes", after printing what the run saw
	local step
	case $1 in
	hls) step='hls: {name: play, url: "${base}/hls/master.m3u8", duration: 20s}' ;;
	flv) step='flv: {name: play, url: "${base}/live.flv", duration: 20s}' ;;
	esac
	sed -e "s#hls: {name: play.*#$step#" -e "s/concurrency: 1000/concurrency: $2/" bench/stream.yaml >"$tmp/s.yaml"
	local c0
	c0=$(target_cpu)
	taskset -c 1 "$tmp/perfcase" run --quiet --self --out "$tmp/r.json" --set "base=http://127.0.0.1:$PORT" "$tmp/s.yaml" >"$tmp/out" 2>"$tmp/err" || {
		cat "$tmp/out" "$tmp/err" >&2
		exit 1
	}
	local c1
	c1=$(target_cpu)
	grep '^generator' "$tmp/err" >&2
	jq -r --arg p "$1" --arg n "$2" --argjson cpu "$(((c1 - c0)))" --argjson hz "$ticks" '.result as $r | $r.cases[0].detail.performance as $c | $r.perfcase.cases[0].streaming as $s |
		"\($p) x \($n): \($s.plays) plays, \($s.failed) failed, \($s.stalls) stalls (\($s.stall_ms) ms), startup avg \($s.avg_startup_ms) ms; received \($c.avgRecBytes * $c.requests / 1e6 | floor) MB; target CPU \($cpu / $hz | . * 10 | floor / 10) s over \($r.outline.duration) s"' "$tmp/r.json" >&2
	grep -E '^  (streaming|    failed)' "$tmp/out" >&2 || true
	local us reqs rss recv
	us=$(sed -n 's/.* \([0-9.]*\) µs CPU per request.*/\1/p' "$tmp/err")
	reqs=$(sed -n 's/^generator: \([0-9]*\) requests.*/\1/p' "$tmp/err")
	rss=$(sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$tmp/err")
	recv=$(jq '.result.cases[0].detail.performance | .avgRecBytes * .requests' "$tmp/r.json")
	awk -v us="$us" -v n="$reqs" -v rss="$rss" -v recv="$recv" 'BEGIN {printf "%d %.3f %.0f", rss * 1024, us * n / 1e6, recv}'
}

for proto in hls flv; do
	echo "== $proto: 1 viewer"
	read -r base _ _ <<<"$(run "$proto" 1)"
	echo "== $proto: $VUS viewers"
	read -r many cpu recv <<<"$(run "$proto" "$VUS")"
	awk -v p="$proto" -v b="$base" -v m="$many" -v n="$VUS" -v cpu="$cpu" -v recv="$recv" 'BEGIN {
		printf "%s: peak RSS 1 viewer %.1f MiB, %d viewers %.1f MiB: %.1f KiB per viewer; generator CPU %.1f s for %.0f MB received: %.2f ms CPU per MB\n",
			p, b / 1024, n, m / 1024, (m - b) / n, cpu, recv / 1e6, cpu * 1000 / (recv / 1e6)}'
done
