#!/usr/bin/env bash
# Makes the committed media assets once, with Debian's ffmpeg (5.1): a test
# pattern with a 440 Hz tone, H.264 and AAC, one key frame per second.
#   assets/hls/{low,high}/seg{0,1,2}.ts  two renditions, 3 segments of 2 s
#   assets/hls/{low,high}.m3u8           their VOD media playlists
#   assets/hls/master.m3u8               the master playlist naming both
#   assets/clip.flv                      4 s, for RTMP publish and HTTP-FLV
# The files are small on purpose (a few hundred KB in all): the demo target
# and the tests loop them. Run from anywhere: bash internal/media/make-assets.sh
set -euo pipefail
cd "$(dirname "$0")/assets"
rm -rf hls clip.flv
mkdir -p hls/low hls/high

src() { # size fps seconds
  echo -f lavfi -i "testsrc=size=$1:rate=$2" -f lavfi -i "sine=frequency=440:sample_rate=44100" -t "$3"
}
common="-c:v libx264 -preset veryfast -profile:v baseline -pix_fmt yuv420p -sc_threshold 0 -c:a aac -ac 1 -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact"

hls() { # name size vbitrate abitrate
  # shellcheck disable=SC2046,SC2086
  ffmpeg -hide_banner -loglevel error -y $(src "$2" 10 6) $common -g 10 -keyint_min 10 \
    -b:v "$3" -maxrate "$3" -bufsize "$3" -b:a "$4" \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_filename "hls/$1/seg%d.ts" "hls/$1.m3u8"
  # The playlist names its segments relative to itself.
  sed -i "s#^seg#$1/seg#" "hls/$1.m3u8"
}
hls low 160x90 40k 24k
hls high 320x180 120k 32k

cat > hls/master.m3u8 <<'M3U8'
#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=80000,RESOLUTION=160x90,CODECS="avc1.42c00c,mp4a.40.2"
low.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=180000,RESOLUTION=320x180,CODECS="avc1.42c00d,mp4a.40.2"
high.m3u8
M3U8

# shellcheck disable=SC2046,SC2086
ffmpeg -hide_banner -loglevel error -y $(src 160x90 10 4) $common -g 10 -keyint_min 10 \
  -b:v 40k -maxrate 40k -bufsize 40k -b:a 24k -f flv clip.flv
du -ab . | sort -k2
