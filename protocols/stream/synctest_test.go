package stream

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/message"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/protocols/stream/flv"
)

// The timing of plays on a fake clock: an HTTP server on an in-memory
// network (net.Pipe), whose handlers wait with time.Sleep, so every time
// the player measures is exact.

// pipeNet is a listener whose connections are net.Pipe pairs.
type pipeNet struct {
	conns chan net.Conn
	done  chan struct{}
}

func newPipeNet() *pipeNet { return &pipeNet{conns: make(chan net.Conn), done: make(chan struct{})} }

func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeNet) Close() error   { close(p.done); return nil }
func (p *pipeNet) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

func (p *pipeNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	c, s := net.Pipe()
	select {
	case p.conns <- s:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, net.ErrClosed
	}
}

// serve runs h on a pipe network until the test's bubble ends, and
// returns the dialer to reach it.
func serve(t *testing.T, h http.Handler) func(context.Context, string, string) (net.Conn, error) {
	p := newPipeNet()
	srv := &http.Server{Handler: h}
	go srv.Serve(p)
	t.Cleanup(func() { srv.Close() })
	return p.dial
}

// A VOD of three 2 s segments whose second takes 2.5 s to download: the
// player fetches it when the first starts to play (at 100 ms), gets it at
// 2.6 s, 0.5 s after the first has played: one stall of exactly 0.5 s.
// The third is fetched at once (at 2.6 s, when the second starts) and the
// play ends when it has played, at 6.6 s.
func TestHLSPaceOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vod := "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nlow/seg0.ts\n#EXTINF:2,\nlow/seg1.ts\n#EXTINF:2,\nlow/seg2.ts\n#EXT-X-ENDLIST\n"
		sub, _ := fs.Sub(media.Assets, "hls")
		files := http.FileServer(http.FS(sub))
		var pl HLSPlayer
		pl.h.dial = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/vod.m3u8":
				w.Write([]byte(vod))
				return
			case "/low/seg1.ts":
				time.Sleep(2500 * time.Millisecond)
			default:
				time.Sleep(100 * time.Millisecond)
			}
			files.ServeHTTP(w, r)
		}))
		defer pl.Close()
		var st Stats
		pl.Play(context.Background(), &HLSOptions{Options: Options{URL: "http://media.test/vod.m3u8", Duration: 10 * time.Second}}, &st)
		if st.Fail != nil {
			t.Fatal(st.Fail)
		}
		got := fmt.Sprintf("ready %v startup %v segments %d segment time %v stalls %d stall time %v lasted %v",
			st.Ready, st.Startup, st.Segments, st.SegmentTime, st.Stalls, st.StallTime, st.End.Sub(st.Start))
		want := "ready 0s startup 100ms segments 3 segment time 2.7s stalls 1 stall time 500ms lasted 6.6s"
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

// A live playlist of 1 s segments whose source freezes: it lists segments
// 0-2 until 4.5 s, then 0-5. The player plays 0, 1 and 2 from 0 s, wants
// 3 at 2 s, reloads at once, polls every second (at 3, 4 and 5 s), gets it
// at 5 s, 2 s after segment 2 had played: five loads of the playlist, one
// stall of 2 s. With only two polls allowed it fails at 4 s.
func TestHLSLivePollsOnFakeClock(t *testing.T) {
	for _, tries := range []int{5, 2} {
		t.Run(fmt.Sprint(tries, " polls"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				var loads atomic.Int32
				seg, _ := fs.ReadFile(media.Assets, "hls/low/seg0.ts")
				var pl HLSPlayer
				pl.h.dial = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/live.m3u8" {
						w.Write(seg)
						return
					}
					loads.Add(1)
					last := 2
					if time.Since(start) >= 4500*time.Millisecond {
						last = 5
					}
					var b strings.Builder
					b.WriteString("#EXTM3U\n#EXT-X-TARGETDURATION:1\n")
					for i := 0; i <= last; i++ {
						fmt.Fprintf(&b, "#EXTINF:1,\n%d.ts\n", i)
					}
					w.Write([]byte(b.String()))
				}))
				defer pl.Close()
				var st Stats
				pl.Play(context.Background(), &HLSOptions{Options: Options{URL: "http://media.test/live.m3u8", Duration: 6 * time.Second},
					RetryDelay: time.Second, RetryTime: tries}, &st)
				got := fmt.Sprintf("fail %v loads %d segments %d segment time %v stalls %d stall time %v lasted %v",
					st.Fail, loads.Load(), st.Segments, st.SegmentTime, st.Stalls, st.StallTime, st.End.Sub(st.Start))
				want := "fail <nil> loads 5 segments 5 segment time 3s stalls 1 stall time 2s lasted 6s"
				if tries == 2 {
					want = "fail media.test: no new segment in the live playlist after 2 polls loads 4 segments 3 segment time 0s stalls 0 stall time 0s lasted 4s"
				}
				if got != want {
					t.Errorf("got  %s\nwant %s", got, want)
				}
			})
		})
	}
}

// An HTTP-FLV stream that pauses: a gap over the stall threshold is one
// stall of the whole gap, measured exactly; the silence after the last
// tag counts when the duration ends.
func TestFLVStallsOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		file, err := flv.ParseFile(media.FLV())
		if err != nil {
			t.Fatal(err)
		}
		key, inter := file.Tags[0], file.Tags[0]
		for _, tg := range file.Tags {
			if tg.KeyFrame() {
				key = tg
			} else if tg.Type == flv.TypeVideo && len(tg.Data) > 1 && tg.Data[1] == 1 {
				inter = tg
			}
		}
		var pl FLVPlayer
		pl.h.dial = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			w.Write(flvHeader)
			send := func(tg flv.Tag, wait time.Duration) {
				time.Sleep(wait)
				w.Write(media.AppendTag(nil, tg.Type, 0, tg.Data))
				rc.Flush()
			}
			send(key, 200*time.Millisecond)    // first key frame at 200 ms
			send(inter, 100*time.Millisecond)  // 300 ms
			send(inter, 1500*time.Millisecond) // 1.8 s: a stall of 1.5 s
			send(key, 500*time.Millisecond)    // 2.3 s: key frame 2.1 s after the first
			send(inter, 400*time.Millisecond)  // 2.7 s; then silence to the end at 4 s: 1.3 s
			<-r.Context().Done()
		}))
		defer pl.Close()
		var st Stats
		pl.Play(context.Background(), &Options{URL: "http://media.test/live.flv", Duration: 4 * time.Second, StallAfter: time.Second}, &st)
		if st.Fail != nil {
			t.Fatal(st.Fail)
		}
		got := fmt.Sprintf("startup %v video %d keys %d first %v min %v max %v sum %v stalls %d stall time %v",
			st.Startup, st.VideoPackets, st.KeyFrames, st.FirstKeyFrame, st.KeyFrameDelayMin, st.KeyFrameDelayMax, st.KeyFrameDelaySum, st.Stalls, st.StallTime)
		want := "startup 200ms video 5 keys 2 first 200ms min 200ms max 2.1s sum 2.3s stalls 2 stall time 2.8s"
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

// A publish sends each tag of the clip when its timestamp falls due, and
// loops the clip one frame after its last tag: an RTMP server (gortmplib's)
// on a pipe receives every media message at exactly its timestamp.
func TestRTMPPublishPaceOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		file, err := flv.ParseFile(media.FLV())
		if err != nil {
			t.Fatal(err)
		}
		p := newPipeNet()
		defer p.Close()
		type got struct {
			at, ts time.Duration
			typ    uint8
		}
		recv := make(chan []got, 1)
		go func() {
			nc, err := p.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
			sc := &gortmplib.ServerConn{RW: nc}
			if sc.Initialize() != nil || sc.AcceptConn() != nil || sc.AcceptAction() != nil || !sc.Publish {
				recv <- nil
				return
			}
			start := time.Now()
			var msgs []got
			for {
				m, err := sc.Read()
				if err != nil {
					recv <- msgs
					return
				}
				switch m := m.(type) {
				case *message.Video:
					msgs = append(msgs, got{time.Since(start), m.DTS, flv.TypeVideo})
				case *message.Audio:
					msgs = append(msgs, got{time.Since(start), m.DTS, flv.TypeAudio})
				}
			}
		}()
		c := RTMPClient{dial: p.dial}
		var st Stats
		d := 5 * time.Second
		c.Publish(context.Background(), &Options{URL: "rtmp://media.test/live/clip", Duration: d}, file, &st)
		if st.Fail != nil {
			t.Fatal(st.Fail)
		}
		msgs := <-recv
		// What should have gone: every media tag of the first pass, then
		// those of the second whose time is under 5 s.
		var want []got
		for base := uint32(0); ; base += file.Duration {
			n := len(want)
			for _, tg := range file.Tags {
				ts := time.Duration(base+tg.Timestamp) * time.Millisecond
				if tg.Type != flv.TypeScript && !tg.SequenceEnd() && ts < d {
					want = append(want, got{ts, ts, tg.Type})
				}
			}
			if len(want) == n {
				break
			}
		}
		if len(msgs) != len(want) {
			t.Fatalf("the server got %d media messages, want %d", len(msgs), len(want))
		}
		for i := range want {
			if msgs[i] != want[i] {
				t.Fatalf("message %d: got %+v, want %+v", i, msgs[i], want[i])
			}
		}
		var audio, video, keys int64
		var last, sum, maxDelay, first time.Duration
		for _, w := range want {
			if w.typ == flv.TypeAudio {
				audio++
				continue
			}
			video++
			if i := slices.IndexFunc(file.Tags, func(tg flv.Tag) bool {
				return tg.Type == flv.TypeVideo && time.Duration(tg.Timestamp)*time.Millisecond == w.ts%(time.Duration(file.Duration)*time.Millisecond)
			}); i >= 0 && file.Tags[i].KeyFrame() {
				// A key frame's delay is the time since the one before,
				// or since the start for the first.
				delay := w.ts - last
				if keys == 0 {
					first = delay
				}
				keys++
				sum += delay
				maxDelay = max(maxDelay, delay)
				last = w.ts
			}
		}
		gotSt := fmt.Sprintf("audio %d video %d keys %d first %v min %v max %v sum %v lasted %v",
			st.AudioPackets, st.VideoPackets, st.KeyFrames, st.FirstKeyFrame, st.KeyFrameDelayMin, st.KeyFrameDelayMax, st.KeyFrameDelaySum, st.End.Sub(st.Start))
		wantSt := fmt.Sprintf("audio %d video %d keys %d first %v min %v max %v sum %v lasted 5s", audio, video, keys, first, first, maxDelay, sum)
		if keys != 5 {
			t.Errorf("the test expects 5 key frames in 5 s of the clip, found %d", keys)
		}
		if gotSt != wantSt {
			t.Errorf("got  %s\nwant %s", gotSt, wantSt)
		}
	})
}
