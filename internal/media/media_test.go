package media

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/perfcase/perfcase/protocols/stream/flv"
)

// The committed playlists say what the constants say: three segments of
// two seconds per rendition, and the clip is FLV with a key frame a
// second.
func TestAssetsMatchConstants(t *testing.T) {
	for _, r := range []string{"low", "high"} {
		b, err := fs.ReadFile(Assets, "hls/"+r+".m3u8")
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), fmt.Sprintf("#EXTINF:%.6f,", SegmentDuration.Seconds())); n != Segments {
			t.Errorf("%s.m3u8 has %d segments of %v, want %d:\n%s", r, n, SegmentDuration, Segments, b)
		}
		for i := range Segments {
			if _, err := fs.Stat(Assets, fmt.Sprintf("hls/%s/seg%d.ts", r, i)); err != nil {
				t.Error(err)
			}
		}
	}
	f, err := flv.ParseFile(FLV())
	if err != nil {
		t.Fatal(err)
	}
	keys := 0
	for _, tg := range f.Tags {
		if tg.KeyFrame() {
			keys++
		}
	}
	if keys != 4 || f.Duration < 3900 || f.Duration > 4100 {
		t.Errorf("clip.flv: %d key frames over %d ms, want 4 over 4 s", keys, f.Duration)
	}
}

// The live playlist slides a window of four and marks each loop.
func TestLivePlaylist(t *testing.T) {
	got := string(LivePlaylist("low", 6))
	want := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n" +
		"#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\nlow/3.ts\n#EXTINF:2.000,\nlow/4.ts\n#EXTINF:2.000,\nlow/5.ts\n" +
		"#EXT-X-DISCONTINUITY\n#EXTINF:2.000,\nlow/6.ts\n"
	if got != want {
		t.Errorf("LivePlaylist(low, 6) =\n%s\nwant\n%s", got, want)
	}
	if got := string(LivePlaylist("high", 1)); !strings.Contains(got, "#EXT-X-MEDIA-SEQUENCE:0\n") || strings.Contains(got, "DISCONTINUITY\n") {
		t.Errorf("LivePlaylist(high, 1) =\n%s", got)
	}
}

// A live stream made of other assets serves them in the same layout, and
// an FLV file that does not parse is refused.
func TestLiveStreamsOfOtherAssets(t *testing.T) {
	l := &LiveHLS{Start: time.Now(), Assets: fstest.MapFS{
		"hls/master.m3u8": {Data: []byte("#EXTM3U\nmaster")},
		"hls/low/seg1.ts": {Data: []byte("segment one")},
	}}
	for path, want := range map[string]string{"/master.m3u8": "#EXTM3U\nmaster", "/low/4.ts": "segment one"} {
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 200 || rec.Body.String() != want {
			t.Errorf("GET %s: %d %q, want %q", path, rec.Code, rec.Body.String(), want)
		}
	}
	if _, err := NewLiveFLVOf([]byte("not FLV")); err == nil {
		t.Error("NewLiveFLVOf took a file that is not FLV")
	}
}

// With a batch, the tags due in a slice of the stream are written at the
// slice's end: the first tag after time 0 cannot arrive before the first
// slice has passed. The stream is FLV, its timestamps rising, either way.
func TestLiveFLVBatch(t *testing.T) {
	for _, batch := range []time.Duration{0, 400 * time.Millisecond} {
		l := NewLiveFLV()
		l.Batch = batch
		srv := httptest.NewServer(l)
		start := time.Now()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		var rd flv.Reader
		rd.Reset(resp.Body)
		if err := rd.ReadHeader(); err != nil {
			t.Fatal(err)
		}
		var tag flv.Tag
		var stamps []uint32
		var later time.Duration // when the first tag after time 0 arrived
		for len(stamps) < 10 {
			if err := rd.Next(&tag); err != nil {
				t.Fatal(err)
			}
			if tag.Timestamp > 0 && later == 0 {
				later = time.Since(start)
			}
			stamps = append(stamps, tag.Timestamp)
		}
		resp.Body.Close()
		srv.Close()
		if !slices.IsSorted(stamps) {
			t.Errorf("batch %v: timestamps %v go back", batch, stamps)
		}
		if batch > 0 && later < batch {
			t.Errorf("batch %v: a tag after time 0 arrived after %v, within the first batch", batch, later)
		}
	}
}
