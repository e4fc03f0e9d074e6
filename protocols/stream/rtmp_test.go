package stream

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/stream/flv"
)

// checkPlay asserts what every good play of the test pattern (10 fps, a
// key frame a second, audio) shows after d.
func checkPlay(t *testing.T, name string, st *Stats, d time.Duration) {
	t.Helper()
	if st.Fail != nil || st.Cut {
		t.Fatalf("%s: failed: %v (cut %v)", name, st.Fail, st.Cut)
	}
	secs := int64(d / time.Second)
	if st.VideoPackets < 5*secs || st.AudioPackets < 5*secs {
		t.Errorf("%s: %d video and %d audio packets in %v, want at least %d of each", name, st.VideoPackets, st.AudioPackets, d, 5*secs)
	}
	if st.VideoBytes <= st.VideoPackets || st.AudioBytes <= st.AudioPackets {
		t.Errorf("%s: %d video bytes, %d audio bytes", name, st.VideoBytes, st.AudioBytes)
	}
	if st.KeyFrames < secs-1 || st.KeyFrames > secs+2 {
		t.Errorf("%s: %d key frames in %v of one a second", name, st.KeyFrames, d)
	}
	if st.FirstKeyFrame <= 0 || st.FirstKeyFrame >= d || st.KeyFrameDelayMin > st.KeyFrameDelayMax ||
		st.KeyFrameDelaySum < st.KeyFrameDelayMax || st.KeyFrameDelayMin <= 0 {
		t.Errorf("%s: key-frame delays first %v min %v max %v sum %v", name, st.FirstKeyFrame, st.KeyFrameDelayMin, st.KeyFrameDelayMax, st.KeyFrameDelaySum)
	}
	if st.Ready <= 0 || st.Startup < st.Ready || st.Startup >= d {
		t.Errorf("%s: ready %v, startup %v", name, st.Ready, st.Startup)
	}
	if st.Recv < st.VideoBytes+st.AudioBytes || st.Sent <= 0 {
		t.Errorf("%s: recv %d sent %d for %d media bytes", name, st.Recv, st.Sent, st.VideoBytes+st.AudioBytes)
	}
	if el := st.End.Sub(st.Start); el < d || el > d+time.Second {
		t.Errorf("%s: lasted %v, want %v", name, el, d)
	}
}

// Many players of one nginx-rtmp stream, fed by ffmpeg, each play the
// whole duration and see every packet kind and a key frame a second.
func TestRTMPPlayFromNginx(t *testing.T) {
	port := nginxRTMP(t)
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/live/pattern", port)
	pushPattern(t, url)
	waitPlayable(t, url)
	const players = 5
	d := 3 * time.Second
	var wg sync.WaitGroup
	sts := make([]Stats, players)
	for i := range sts {
		wg.Go(func() {
			var c RTMPClient
			c.Play(context.Background(), &Options{URL: url, Duration: d}, &sts[i])
		})
	}
	wg.Wait()
	for i := range sts {
		checkPlay(t, fmt.Sprintf("player %d", i), &sts[i], d)
		if sts[i].Stalls != 0 {
			t.Errorf("player %d: %d stalls (%v) on loopback", i, sts[i].Stalls, sts[i].StallTime)
		}
	}
}

// A publisher sends the committed clip to nginx-rtmp, looped, at its own
// pace, while a player of the same stream receives it.
func TestRTMPPublishToNginxAndPlay(t *testing.T) {
	port := nginxRTMP(t)
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/live/clip", port)
	file, err := flv.ParseFile(media.FLV())
	if err != nil {
		t.Fatal(err)
	}
	d := 6 * time.Second // the 4 s clip loops once
	var pub Stats
	done := make(chan struct{})
	go func() {
		defer close(done)
		var c RTMPClient
		c.Publish(context.Background(), &Options{URL: url, Duration: d}, file, &pub)
	}()
	time.Sleep(500 * time.Millisecond)
	var play Stats
	var c RTMPClient
	c.Play(context.Background(), &Options{URL: url, Duration: 4 * time.Second}, &play)
	<-done
	if pub.Fail != nil || !pub.Publish {
		t.Fatalf("publish: %v", pub.Fail)
	}
	// The clip has 10 video frames a second and a key frame each second:
	// 6 s of it at its pace is 60 frames and 6 key frames, give or take
	// the frame in flight at the end.
	if pub.VideoPackets < 55 || pub.VideoPackets > 62 || pub.KeyFrames < 5 || pub.KeyFrames > 7 {
		t.Errorf("publish sent %d video packets and %d key frames in %v", pub.VideoPackets, pub.KeyFrames, d)
	}
	if pub.Sent < pub.VideoBytes+pub.AudioBytes || pub.Ready <= 0 {
		t.Errorf("publish: sent %d bytes for %d media bytes, ready %v", pub.Sent, pub.VideoBytes+pub.AudioBytes, pub.Ready)
	}
	checkPlay(t, "player", &play, 4*time.Second)
}

// ffmpeg as an RTMP server receives a publish and writes it to a file,
// which then decodes: what perfcase sends is a stream a real player reads.
func TestRTMPPublishDecodesInFFmpeg(t *testing.T) {
	bin := ffmpeg(t)
	port := freePort(t)
	out := filepath.Join(t.TempDir(), "received.flv")
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/live/clip", port)
	recv := start(t, bin, "-hide_banner", "-loglevel", "error", "-listen", "1", "-timeout", "20", "-i", url, "-c", "copy", "-y", out)
	waitListenOnce(t, port, recv)
	file, err := flv.ParseFile(media.FLV())
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	var c RTMPClient
	c.Publish(context.Background(), &Options{URL: url, Duration: 5 * time.Second}, file, &st)
	if st.Fail != nil {
		t.Fatalf("publish: %v", st.Fail)
	}
	if !recv.exited(10 * time.Second) {
		t.Fatal("ffmpeg did not finish after the publisher left")
	}
	if n := ffprobeFrames(t, out); n < 40 {
		t.Errorf("the received file decodes to %d video frames, want about 50", n)
	}
}

// The failures of an RTMP play before any media, each in its cause and
// bucket.
func TestRTMPFailures(t *testing.T) {
	closed := freePort(t)
	// A server that accepts and says nothing: the handshake times out.
	silent := listenSilent(t)
	// A server that answers the handshake with garbage and hangs up.
	cases := []struct {
		name    string
		url     string
		cause   Cause
		outcome metrics.Outcome
	}{
		{"not rtmp", "http://127.0.0.1/live/x", IllegalURLFailed, metrics.Other},
		{"no stream name", fmt.Sprintf("rtmp://127.0.0.1:%d/live", closed), IllegalURLFailed, metrics.Other},
		{"nobody listens", fmt.Sprintf("rtmp://127.0.0.1:%d/live/x", closed), TCPConnectFailed, metrics.Refused},
		{"silent server", fmt.Sprintf("rtmp://%s/live/x", silent), HandshakeFailed, metrics.Timeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cl RTMPClient
			var st Stats
			cl.Play(context.Background(), &Options{URL: c.url, Duration: 2 * time.Second, Timeout: 300 * time.Millisecond}, &st)
			if st.Fail == nil || st.Fail.Cause != c.cause || st.Fail.Outcome != c.outcome {
				t.Fatalf("Play(%s) = %v, want cause %v in bucket %v", c.url, st.Fail, c.cause, c.outcome)
			}
			if st.Fail.Cause == TCPConnectFailed && st.Fail.Msg != "connect to 127.0.0.1:"+fmt.Sprint(closed)+": connection refused" {
				t.Errorf("message %q", st.Fail.Msg)
			}
		})
	}
}

// nginx-rtmp's own refusals: an unknown application closes the
// connection at connect, so does a denied play, and a stream nobody
// publishes stays silent until the timeout.
func TestRTMPNginxRefusals(t *testing.T) {
	port := nginxRTMP(t)
	cases := []struct {
		path    string
		cause   Cause
		outcome metrics.Outcome
		msg     string
	}{
		{"nosuchapp/x", RTMPConnectFailed, metrics.Other, "connection closed by the server"},
		// nginx closes the connection; whether the client sees a reset or
		// an end of stream depends on whether it was writing then.
		{"private/x", PlayFailed, metrics.Other, "RTMP play on 127.0.0.1"},
		{"live/nobody", PlayFailed, metrics.Timeout, "no data for 700ms"},
	}
	for _, c := range cases {
		var cl RTMPClient
		var st Stats
		url := fmt.Sprintf("rtmp://127.0.0.1:%d/%s", port, c.path)
		cl.Play(context.Background(), &Options{URL: url, Duration: 2 * time.Second, Timeout: 700 * time.Millisecond}, &st)
		if st.Fail == nil || st.Fail.Cause != c.cause || st.Fail.Outcome != c.outcome || !strings.Contains(st.Fail.Msg, c.msg) {
			t.Errorf("Play(%s) = %v, want cause %v in bucket %v saying %q", c.path, st.Fail, c.cause, c.outcome, c.msg)
		}
	}
}

// An RTMP server (gortmplib's) that refuses a step with an _error or an
// error status: each refusal is a failed check of its own cause.
func TestRTMPServerRefusals(t *testing.T) {
	cases := []struct {
		name    string
		publish bool
		serve   func(sc *gortmplib.ServerConn, nc net.Conn) error
		cause   Cause
		outcome metrics.Outcome
		msg     string
	}{
		{"connect refused", false, func(sc *gortmplib.ServerConn, _ net.Conn) error {
			return sc.AcceptConnIfCredentialsMatch("user", "pass")
		}, RTMPConnectFailed, metrics.CheckFailed, "refused (NetConnection.Connect.Rejected)"},
		{"play refused", false, func(sc *gortmplib.ServerConn, _ net.Conn) error {
			if err := sc.AcceptConn(); err != nil {
				return err
			}
			return sc.RejectAction()
		}, PlayFailed, metrics.CheckFailed, "NetStream.Play.Failed"},
		{"publish refused", true, func(sc *gortmplib.ServerConn, _ net.Conn) error {
			if err := sc.AcceptConn(); err != nil {
				return err
			}
			return sc.RejectAction()
		}, PublishFailed, metrics.CheckFailed, "NetStream.Publish.Unauthorized"},
		{"createStream unanswered", false, func(sc *gortmplib.ServerConn, nc net.Conn) error {
			// Answer connect, then hang up at createStream.
			err := sc.Write(&message.CommandAMF0{ChunkStreamID: 3, Name: "_result", CommandID: 1,
				Arguments: []any{amf0.Object{}, amf0.Object{{Key: "level", Value: "status"}, {Key: "code", Value: "NetConnection.Connect.Success"}}}})
			if err != nil {
				return err
			}
			for {
				m, err := sc.Read()
				if err != nil {
					return err
				}
				if c, ok := m.(*message.CommandAMF0); ok && c.Name == "createStream" {
					return nc.Close()
				}
			}
		}, CreateStreamFailed, metrics.Other, "connection closed by the server"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				nc, err := l.Accept()
				if err != nil {
					return
				}
				defer nc.Close()
				sc := &gortmplib.ServerConn{RW: nc}
				if sc.Initialize() == nil && c.serve(sc, nc) == nil {
					// Hold the connection until the client leaves.
					io.Copy(io.Discard, nc)
				}
			}()
			url := "rtmp://" + l.Addr().String() + "/live/x"
			var cl RTMPClient
			var st Stats
			o := &Options{URL: url, Duration: 2 * time.Second, Timeout: time.Second}
			if c.publish {
				file, err := flv.ParseFile(media.FLV())
				if err != nil {
					t.Fatal(err)
				}
				cl.Publish(context.Background(), o, file, &st)
			} else {
				cl.Play(context.Background(), o, &st)
			}
			if st.Fail == nil || st.Fail.Cause != c.cause || st.Fail.Outcome != c.outcome || !strings.Contains(st.Fail.Msg, c.msg) {
				t.Fatalf("got %v, want cause %v in bucket %v saying %q", st.Fail, c.cause, c.outcome, c.msg)
			}
		})
	}
}

// A publisher that freezes for 2 s (ffmpeg stopped with SIGSTOP) is a
// stall for every player; one that leaves ends their plays after the
// timeout of silence.
func TestRTMPStallAndPublisherGone(t *testing.T) {
	port := nginxRTMP(t)
	url := fmt.Sprintf("rtmp://127.0.0.1:%d/live/pattern", port)
	pusher := pushPattern(t, url)
	waitPlayable(t, url)
	var st Stats
	done := make(chan struct{})
	go func() {
		defer close(done)
		var c RTMPClient
		c.Play(context.Background(), &Options{URL: url, Duration: 4 * time.Second, Timeout: 3 * time.Second}, &st)
	}()
	time.Sleep(time.Second)
	pusher.cmd.Process.Signal(syscall.SIGSTOP)
	time.Sleep(2 * time.Second)
	pusher.cmd.Process.Signal(syscall.SIGCONT)
	<-done
	if st.Fail != nil {
		t.Fatal(st.Fail)
	}
	if st.Stalls < 1 || st.StallTime < 1900*time.Millisecond {
		t.Errorf("%d stalls for %v, want at least one of 2 s", st.Stalls, st.StallTime)
	}

	go func() {
		time.Sleep(time.Second)
		pusher.stop()
	}()
	var c RTMPClient
	c.Play(context.Background(), &Options{URL: url, Duration: 4 * time.Second, Timeout: time.Second}, &st)
	if st.Fail == nil || st.Fail.Cause != PlayFailed || st.Fail.Outcome != metrics.Timeout || st.VideoPackets == 0 {
		t.Errorf("a play whose publisher left: %v after %d video packets, want playFailed in timeout", st.Fail, st.VideoPackets)
	}
}

// Canceling the context cuts a play at once, even in the middle of the
// handshake with a server that says nothing.
func TestRTMPCut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var c RTMPClient
	var st Stats
	c.Play(ctx, &Options{URL: "rtmp://" + listenSilent(t) + "/live/x", Duration: 10 * time.Second, Timeout: 5 * time.Second}, &st)
	if !st.Cut || st.Fail != nil {
		t.Errorf("cut play: cut %v, fail %v", st.Cut, st.Fail)
	}
	if el := st.End.Sub(st.Start); el > 2*time.Second {
		t.Errorf("a play cut at 200 ms took %v", el)
	}
}
