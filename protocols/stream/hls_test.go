package stream

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/metrics"
)

// recorder serves h and remembers the paths asked for, in order.
type recorder struct {
	mu    sync.Mutex
	paths []string
	h     http.Handler
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.paths = append(rc.paths, r.URL.Path)
	rc.mu.Unlock()
	rc.h.ServeHTTP(w, r)
}

func (rc *recorder) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.paths...)
}

func assetServer(t *testing.T, extra map[string]string) (*recorder, string) {
	t.Helper()
	sub, err := fs.Sub(media.Assets, "hls")
	if err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.FS(sub))
	rec := &recorder{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := extra[r.URL.Path]; ok {
			w.Write([]byte(body))
			return
		}
		files.ServeHTTP(w, r)
	})}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// The bitrate strategy picks the variant of the committed master
// playlist, whose first variant is the lower; the player then fetches
// that variant's segments in order, one ahead of playback: two at once,
// the third when the second starts to play, two seconds later.
func TestHLSBitrateAndPace(t *testing.T) {
	cases := []struct {
		bitrate Bitrate
		variant string
	}{{BitrateFirst, "low"}, {BitrateHighest, "high"}, {BitrateLowest, "low"}}
	for _, c := range cases {
		t.Run(c.variant, func(t *testing.T) {
			rec, base := assetServer(t, nil)
			var pl HLSPlayer
			defer pl.Close()
			var st Stats
			d := 2500 * time.Millisecond
			pl.Play(context.Background(), &HLSOptions{Options: Options{URL: base + "/master.m3u8", Duration: d}, Bitrate: c.bitrate}, &st)
			if st.Fail != nil {
				t.Fatal(st.Fail)
			}
			v := c.variant
			want := []string{"/master.m3u8", "/" + v + ".m3u8", "/" + v + "/seg0.ts", "/" + v + "/seg1.ts", "/" + v + "/seg2.ts"}
			if got := rec.got(); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("bitrate %d fetched %v, want %v", c.bitrate, got, want)
			}
			var size int64
			for i := range 3 {
				b, _ := fs.ReadFile(media.Assets, fmt.Sprintf("hls/%s/seg%d.ts", v, i))
				size += int64(len(b))
			}
			if st.Segments != 3 || st.Stalls != 0 || st.Recv < size || st.Startup <= 0 || st.Ready <= 0 || st.Startup < st.Ready {
				t.Errorf("segments %d stalls %d recv %d (segments are %d bytes) ready %v startup %v", st.Segments, st.Stalls, st.Recv, size, st.Ready, st.Startup)
			}
			if el := st.End.Sub(st.Start); el < d {
				t.Errorf("the play lasted %v, less than its duration %v", el, d)
			}
		})
	}
}

// A VOD playlist shorter than the duration plays to the end of its last
// segment, then the play ends, successfully.
func TestHLSVODEnds(t *testing.T) {
	vod := "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n" +
		"#EXTINF:0.3,\nlow/seg0.ts\n#EXTINF:0.3,\nlow/seg1.ts\n#EXTINF:0.3,\nlow/seg2.ts\n#EXT-X-ENDLIST\n"
	_, base := assetServer(t, map[string]string{"/short.m3u8": vod})
	var pl HLSPlayer
	defer pl.Close()
	var st Stats
	pl.Play(context.Background(), &HLSOptions{Options: Options{URL: base + "/short.m3u8", Duration: 5 * time.Second}}, &st)
	if st.Fail != nil || st.Segments != 3 {
		t.Fatalf("fail %v, %d segments", st.Fail, st.Segments)
	}
	// Three segments of 0.3 s from the first's arrival.
	if el := st.End.Sub(st.Start); el < 900*time.Millisecond || el > 3*time.Second {
		t.Errorf("a 0.9 s VOD played for %v", el)
	}
}

// The demo's in-process live stream: the player starts three segments
// from the live edge and follows the playlist as it moves.
func TestHLSLiveInProcess(t *testing.T) {
	rec := &recorder{h: &media.LiveHLS{Start: time.Now()}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	var pl HLSPlayer
	defer pl.Close()
	var st Stats
	pl.Play(context.Background(), &HLSOptions{Options: Options{URL: srv.URL + "/master.m3u8", Duration: 5 * time.Second}, Bitrate: BitrateHighest}, &st)
	if st.Fail != nil {
		t.Fatal(st.Fail)
	}
	// The playlist lists segments 0-3 at the start: the player begins at
	// 1, fetches 2 at once, 3 two seconds later, 4 (listed from 2 s on)
	// at 4 s.
	var segs []string
	for _, p := range rec.got() {
		if strings.HasSuffix(p, ".ts") {
			segs = append(segs, p)
		}
	}
	if strings.Join(segs, " ") != "/high/1.ts /high/2.ts /high/3.ts /high/4.ts" || st.Segments != 4 || st.Stalls != 0 {
		t.Errorf("fetched %v (%d segments, %d stalls), want /high/1.ts to /high/4.ts", segs, st.Segments, st.Stalls)
	}
}

// ffmpeg as a live HLS segmenter into a folder that a Go file server
// serves.
func TestHLSPlayFromFFmpeg(t *testing.T) {
	bin := ffmpeg(t)
	dir := t.TempDir()
	args := append(pattern(), encode()...)
	start(t, bin, append(args, "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
		"-hls_flags", "delete_segments+temp_file", "-hls_segment_filename", filepath.Join(dir, "s%d.ts"), filepath.Join(dir, "live.m3u8"))...)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	// Wait for three segments, where a player joining would start.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "live.m3u8"))
		if strings.Count(string(b), "#EXTINF") >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ffmpeg wrote no playlist of 3 segments in 20 s: %q", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var pl HLSPlayer
	defer pl.Close()
	var st Stats
	pl.Play(context.Background(), &HLSOptions{Options: Options{URL: srv.URL + "/live.m3u8", Duration: 4 * time.Second}, RetryDelay: 200 * time.Millisecond, RetryTime: 10}, &st)
	if st.Fail != nil {
		t.Fatal(st.Fail)
	}
	if st.Segments < 3 || st.Startup <= 0 || st.Recv < 3*1000 {
		t.Errorf("%d segments, startup %v, %d bytes in 4 s of a 1 s-segment live stream", st.Segments, st.Startup, st.Recv)
	}
	t.Logf("ffmpeg live HLS: %d segments, startup %v, %d stalls (%v)", st.Segments, st.Startup, st.Stalls, st.StallTime)
}

// A live playlist that stops moving: the player reloads it once when the
// next segment is due, polls retry_time more times retry_delay apart, and
// fails with retryFailed.
func TestHLSRetryFailed(t *testing.T) {
	frozen := "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:7\n" +
		"#EXTINF:0.2,\nlow/seg0.ts\n#EXTINF:0.2,\nlow/seg1.ts\n#EXTINF:0.2,\nlow/seg2.ts\n"
	rec, base := assetServer(t, map[string]string{"/frozen.m3u8": frozen})
	var pl HLSPlayer
	defer pl.Close()
	var st Stats
	pl.Play(context.Background(), &HLSOptions{Options: Options{URL: base + "/frozen.m3u8", Duration: 5 * time.Second},
		RetryDelay: 100 * time.Millisecond, RetryTime: 3}, &st)
	if st.Fail == nil || st.Fail.Cause != RetryFailed || st.Fail.Outcome != metrics.Timeout {
		t.Fatalf("Play = %v, want retryFailed in timeout", st.Fail)
	}
	loads := 0
	for _, p := range rec.got() {
		if p == "/frozen.m3u8" {
			loads++
		}
	}
	// The first load, the reload when segment 10 is due, 3 polls.
	if loads != 5 || st.Segments != 3 {
		t.Errorf("the playlist was loaded %d times, want 5; %d segments, want 3", loads, st.Segments)
	}
}

// Each HLS fault lands in its documented cause and bucket.
func TestHLSFaults(t *testing.T) {
	refused := fmt.Sprintf("http://127.0.0.1:%d/master.m3u8", freePort(t))
	_, base := assetServer(t, map[string]string{
		"/garbage.m3u8":  "<html>no playlist</html>",
		"/nosegs.m3u8":   "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-ENDLIST\n",
		"/missing.m3u8":  "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nlow/seg9.ts\n#EXT-X-ENDLIST\n",
		"/badinf.m3u8":   "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:two,\nlow/seg0.ts\n",
		"/master2.m3u8":  "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\ngone.m3u8\n",
		"/nobandw.m3u8":  "#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\nlow.m3u8\n",
		"/notarget.m3u8": "#EXTM3U\n#EXTINF:2,\nlow/seg0.ts\n",
	})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	cases := []struct {
		name    string
		url     string
		cause   Cause
		outcome metrics.Outcome
		msg     string
	}{
		{"nobody listens", refused, TCPConnectFailed, metrics.Refused, "connection refused"},
		{"not http", "ftp://127.0.0.1/x.m3u8", IllegalURLFailed, metrics.Other, "not http://"},
		{"playlist 404", base + "/nothere.m3u8", PlayFailed, metrics.CheckFailed, "HTTP 404"},
		{"variant 404", base + "/master2.m3u8", PlayFailed, metrics.CheckFailed, "HTTP 404"},
		{"segment 404", base + "/missing.m3u8", PlayFailed, metrics.CheckFailed, "HTTP 404"},
		{"not a playlist", base + "/garbage.m3u8", ParseFileFailed, metrics.ParseFailed, "playlist line 1: not an HLS playlist"},
		{"bad duration", base + "/badinf.m3u8", ParseFileFailed, metrics.ParseFailed, `playlist line 3: #EXTINF duration "two"`},
		{"no bandwidth", base + "/nobandw.m3u8", ParseFileFailed, metrics.ParseFailed, "playlist line 2: #EXT-X-STREAM-INF without a valid BANDWIDTH"},
		{"no target duration", base + "/notarget.m3u8", ParseFileFailed, metrics.ParseFailed, "without #EXT-X-TARGETDURATION"},
		{"no segment", base + "/nosegs.m3u8", PlayFailed, metrics.CheckFailed, "lists no segment"},
		{"server hangs", hang.URL + "/master.m3u8", HTTPTimeoutFailed, metrics.Timeout, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pl HLSPlayer
			defer pl.Close()
			var st Stats
			pl.Play(context.Background(), &HLSOptions{Options: Options{URL: c.url, Duration: 3 * time.Second, Timeout: 500 * time.Millisecond}}, &st)
			if st.Fail == nil || st.Fail.Cause != c.cause || st.Fail.Outcome != c.outcome || !strings.Contains(st.Fail.Msg, c.msg) {
				t.Fatalf("Play = %v, want cause %v in bucket %v saying %q", st.Fail, c.cause, c.outcome, c.msg)
			}
		})
	}
}
