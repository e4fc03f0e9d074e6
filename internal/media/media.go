// Package media holds the small video assets that tests and the demo
// target stream (made once by make-assets.sh and committed), and the
// handlers that serve them as live streams in-process: an HLS stream whose
// live playlist loops the committed segments, and an HTTP-FLV stream that
// loops the committed FLV clip at its own pace. Nothing here needs ffmpeg.
package media

import (
	"embed"
	"encoding/binary"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/protocols/stream/flv"
)

//go:embed assets
var assets embed.FS

// Assets is the assets folder: hls/master.m3u8, hls/{low,high}.m3u8,
// hls/{low,high}/seg{0,1,2}.ts and clip.flv.
var Assets, _ = fs.Sub(assets, "assets")

// FLV returns the committed FLV clip (4 s, 160x90, H.264 and AAC, a key
// frame a second).
func FLV() []byte {
	b, err := fs.ReadFile(Assets, "clip.flv")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	return b
}

// Segment geometry of the committed HLS assets, which make-assets.sh
// fixes: three segments of two seconds per rendition.
const (
	SegmentDuration = 2 * time.Second
	Segments        = 3
	// liveWindow is how many segments a live playlist lists.
	liveWindow = 4
)

// LiveHLS serves the committed HLS assets as a live stream that has been
// running since Start and loops the three segments of each rendition:
// GET master.m3u8, low.m3u8, high.m3u8, and low/N.ts or high/N.ts for
// segment N (the committed seg{N mod 3}.ts). Segment N is listed from
// Start + (N-3) × 2 s on, and a playlist lists the last four, so a player
// joining at Start finds segments 0 to 3 and starts three from the end. Each loop back to the first segment
// is marked #EXT-X-DISCONTINUITY, since its timestamps start again.
type LiveHLS struct {
	Start time.Time
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Assets holds the stream's files laid out as Assets does
	// (hls/master.m3u8 and hls/{low,high}/seg{0,1,2}.ts of two seconds
	// each): a benchmark's stream at another bitrate. nil is Assets.
	Assets fs.FS
}

func (l *LiveHLS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	fsys := l.Assets
	if fsys == nil {
		fsys = Assets
	}
	switch p {
	case "master.m3u8":
		serveFile(w, fsys, "hls/master.m3u8", "application/vnd.apple.mpegurl")
		return
	case "low.m3u8", "high.m3u8":
		last := int64(now().Sub(l.Start)/SegmentDuration) + liveWindow - 1
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(LivePlaylist(strings.TrimSuffix(p, ".m3u8"), last))
		return
	}
	rend, seg, ok := strings.Cut(p, "/")
	n, err := strconv.ParseInt(strings.TrimSuffix(seg, ".ts"), 10, 64)
	if !ok || (rend != "low" && rend != "high") || !strings.HasSuffix(seg, ".ts") || err != nil || n < 0 {
		http.NotFound(w, r)
		return
	}
	serveFile(w, fsys, fmt.Sprintf("hls/%s/seg%d.ts", rend, n%Segments), "video/mp2t")
}

// LivePlaylist is the live media playlist of a rendition ("low" or
// "high") whose newest segment is last.
func LivePlaylist(rendition string, last int64) []byte {
	first := max(0, last-liveWindow+1)
	var b strings.Builder
	disc := int64(0)
	if first > 0 {
		disc = (first - 1) / Segments
	}
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-DISCONTINUITY-SEQUENCE:%d\n",
		int(SegmentDuration/time.Second), first, disc)
	for n := first; n <= last; n++ {
		if n > 0 && n%Segments == 0 {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		fmt.Fprintf(&b, "#EXTINF:%.3f,\n%s/%d.ts\n", SegmentDuration.Seconds(), rendition, n)
	}
	return []byte(b.String())
}

func serveFile(w http.ResponseWriter, fsys fs.FS, name, ctype string) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// LiveFLV serves the committed FLV clip as an endless HTTP-FLV stream:
// the FLV header, then the clip's tags looped, each written when its
// timestamp falls due after the request came, with timestamps that keep
// rising across loops. It ends when the client goes away.
type LiveFLV struct {
	file *flv.File
	// Batch, when above 0, writes the tags due in each Batch-long slice of
	// the stream at once, at the slice's end, as a server that buffers
	// its writes does; 0 writes each tag when it is due.
	Batch time.Duration
}

// NewLiveFLV parses the committed clip once.
func NewLiveFLV() *LiveFLV {
	l, err := NewLiveFLVOf(FLV())
	if err != nil {
		panic(err) // embedded and tested
	}
	return l
}

// NewLiveFLVOf serves the FLV file data, parsed once, as NewLiveFLV
// serves the committed clip: a benchmark's stream at another bitrate.
func NewLiveFLVOf(data []byte) (*LiveFLV, error) {
	f, err := flv.ParseFile(data)
	if err != nil {
		return nil, err
	}
	return &LiveFLV{file: f}, nil
}

func (l *LiveFLV) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "video/x-flv")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	header := []byte{'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0}
	if _, err := w.Write(header); err != nil {
		return
	}
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	var pending []byte // tags due, not written yet
	for base := uint32(0); ; base += l.file.Duration {
		for _, t := range l.file.Tags {
			if t.Type == flv.TypeScript {
				continue
			}
			ts := base + t.Timestamp
			due := time.Duration(ts) * time.Millisecond
			if l.Batch > 0 {
				due = (due + l.Batch - 1) / l.Batch * l.Batch
			}
			if d := time.Until(start.Add(due)); d > 0 {
				if len(pending) > 0 {
					if _, err := w.Write(pending); err != nil || rc.Flush() != nil {
						return
					}
					pending = pending[:0]
				}
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-r.Context().Done():
					return
				}
			}
			pending = AppendTag(pending, t.Type, ts, t.Data)
		}
	}
}

// AppendTag appends an FLV tag and its PreviousTagSize to b.
func AppendTag(b []byte, typ uint8, ts uint32, data []byte) []byte {
	n := len(data)
	b = append(b, typ, byte(n>>16), byte(n>>8), byte(n), byte(ts>>16), byte(ts>>8), byte(ts), byte(ts>>24), 0, 0, 0)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, uint32(n+11))
}
