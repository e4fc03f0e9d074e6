package protocols

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/stream"
	"github.com/perfcase/perfcase/protocols/stream/flv"
	"github.com/perfcase/perfcase/scenario"
)

// streamSpecOf compiles one streaming step with ${base} set to base.
func streamSpecOf(t testing.TB, kind, base, step string) *scenario.StreamSpec {
	t.Helper()
	return compileSteps(t, kind, map[string]string{"base": base}, step)[0].Spec.(*scenario.StreamSpec)
}

// extraOf is the extra metric of a protocol named suffix in an exchange's
// observations: its count, sum, least and greatest, and whether it was
// observed at all.
func extraOf(t *testing.T, p scenario.Protocol, obs *metrics.Observations, suffix string) (metrics.Observation, bool) {
	t.Helper()
	d, _ := For(p)
	for i, x := range d.Extras {
		if x.Name == p.String()+"_"+suffix {
			for _, o := range obs.All() {
				if o.Metric == i {
					return o, true
				}
			}
			return metrics.Observation{}, false
		}
	}
	t.Fatalf("%v declares no extra metric %q", p, suffix)
	return metrics.Observation{}, false
}

// mediaServer serves the demo streams: a live HLS stream under /hls/, an
// HTTP-FLV stream at /live.flv, a playlist that is not found, and an FLV
// stream that ends inside its header.
func mediaServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/hls/", http.StripPrefix("/hls", &media.LiveHLS{Start: time.Now().Add(-time.Minute)}))
	mux.Handle("/live.flv", media.NewLiveFLV())
	mux.HandleFunc("/truncated.flv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/x-flv")
		w.Write([]byte("FLV\x01"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// An HLS and an HTTP-FLV play through their drivers: each lasts its
// duration and succeeds, its time is the play's, its bytes every byte it
// got, and its extra metrics what it measured; a playlist that is not
// found and an FLV stream cut inside its header fail, each with its cause
// and bucket.
func TestStreamingDriversPlay(t *testing.T) {
	base := mediaServer(t)
	in := &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
	const play = 1500 * time.Millisecond
	tests := []struct {
		proto  scenario.Protocol
		step   string
		cause  stream.Cause
		bucket metrics.Outcome
	}{
		{scenario.HLS, `{url: "${base}/hls/master.m3u8", variant: highest, duration: 1500ms}`, stream.NoCause, metrics.Success},
		{scenario.FLV, `{url: "${base}/live.flv", duration: 1500ms}`, stream.NoCause, metrics.Success},
		{scenario.HLS, `{url: "${base}/hls/missing.m3u8", duration: 1500ms}`, stream.PlayFailed, metrics.CheckFailed},
		{scenario.FLV, `{url: "${base}/truncated.flv", duration: 1500ms}`, stream.IllegalFLVHeader, metrics.ParseFailed},
		{scenario.RTMP, `{url: "${v}://127.0.0.1:1/live/s", duration: 1500ms}`, stream.IllegalURLFailed, metrics.Other},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v %v", tt.proto, tt.cause), func(t *testing.T) {
			d, _ := For(tt.proto)
			s := d.New(Config{Ctx: context.Background(), Seed: 1})
			defer s.Close()
			var r Result
			s.Do(streamSpecOf(t, tt.proto.String(), base, tt.step), in, &r)
			plays, _ := extraOf(t, tt.proto, r.Extras, "plays")
			failed, _ := extraOf(t, tt.proto, r.Extras, "failed")
			if plays.Sum != 1 || r.End.IsZero() {
				t.Fatalf("plays %d, end %v", plays.Sum, r.End)
			}
			if tt.cause != stream.NoCause {
				c, _ := extraOf(t, tt.proto, r.Extras, tt.cause.String())
				if r.Fail == nil || r.Fail.Outcome != tt.bucket || c.Sum != 1 || failed.Sum != 1 {
					t.Errorf("fail %+v, %s %d, failed %d; want bucket %v", r.Fail, tt.cause, c.Sum, failed.Sum, tt.bucket)
				}
				return
			}
			if r.Fail != nil || failed.Sum != 0 {
				t.Fatalf("fail %v, failed %d", r.Fail, failed.Sum)
			}
			if r.RT < play || r.RT > play+time.Second || r.Recv <= 0 || r.Sent <= 0 {
				t.Errorf("RT %v (play %v), recv %d, sent %d", r.RT, play, r.Recv, r.Sent)
			}
			if startup, ok := extraOf(t, tt.proto, r.Extras, "startup"); !ok || startup.Sum <= 0 || startup.Sum > int64(play) {
				t.Errorf("startup %+v", startup)
			}
			if tt.proto == scenario.HLS {
				if seg, _ := extraOf(t, tt.proto, r.Extras, "segments"); seg.Sum < 1 {
					t.Errorf("segments %d", seg.Sum)
				}
				return
			}
			vp, _ := extraOf(t, tt.proto, r.Extras, "recv_video_packets")
			vb, _ := extraOf(t, tt.proto, r.Extras, "recv_video_bytes")
			ab, _ := extraOf(t, tt.proto, r.Extras, "recv_audio_bytes")
			kf, _ := extraOf(t, tt.proto, r.Extras, "recv_key_frames")
			first, _ := extraOf(t, tt.proto, r.Extras, "first_key_frame")
			if vp.Sum < 10 || vb.Sum <= 0 || ab.Sum <= 0 || vb.Sum+ab.Sum >= r.Recv || kf.N < 1 || kf.Min <= 0 || first.N != 1 || first.Sum <= 0 {
				t.Errorf("video packets %d, video bytes %d, audio bytes %d (recv %d), key frames %+v, first %+v", vp.Sum, vb.Sum, ab.Sum, r.Recv, kf, first)
			}
		})
	}
}

// An RTMP publish and an RTMP play through their drivers, against nginx's
// RTMP module: the player receives what the publisher sends, key frames
// included, each side counted in its own direction.
func TestRTMPDriversPublishAndPlay(t *testing.T) {
	port := testsupport.NginxRTMP(t)
	f, err := flv.ParseFile(media.FLV())
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/live/driver", port)
	pub := streamSpecOf(t, "rtmp", url, `{url: "${base}", duration: 4s}`)
	pub.Publish = f
	play := streamSpecOf(t, "rtmp", url, `{url: "${base}", duration: 2s}`)
	in := &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}
	d, _ := For(scenario.RTMP)
	var wg sync.WaitGroup
	var pr Result
	ps := d.New(Config{Ctx: context.Background()})
	defer ps.Close()
	wg.Go(func() { ps.Do(pub, in, &pr) })
	// The player joins once the publisher is up.
	time.Sleep(time.Second)
	vs := d.New(Config{Ctx: context.Background()})
	defer vs.Close()
	var vr Result
	vs.Do(play, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(2)}, &vr)
	wg.Wait()
	if pr.Fail != nil || vr.Fail != nil {
		t.Fatalf("publish: %v; play: %v", pr.Fail, vr.Fail)
	}
	sent, _ := extraOf(t, scenario.RTMP, pr.Extras, "sent_video_packets")
	sentKeys, _ := extraOf(t, scenario.RTMP, pr.Extras, "sent_key_frames")
	recv, _ := extraOf(t, scenario.RTMP, vr.Extras, "recv_video_packets")
	recvKeys, _ := extraOf(t, scenario.RTMP, vr.Extras, "recv_key_frames")
	if sent.Sum < 40 || sentKeys.N < 3 || recv.Sum < 10 || recv.Sum >= sent.Sum || recvKeys.N < 1 {
		t.Errorf("sent %d video packets (%d key frames), received %d (%d key frames)", sent.Sum, sentKeys.N, recv.Sum, recvKeys.N)
	}
	if _, ok := extraOf(t, scenario.RTMP, pr.Extras, "recv_video_packets"); ok {
		t.Error("a publish counted received packets")
	}
}
