package stream

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/media"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/stream/flv"
)

// ffmpeg's own HTTP server (-listen 1, one client per process) serves a
// live FLV test pattern; the player reads it tag by tag.
func TestFLVPlayFromFFmpeg(t *testing.T) {
	bin := ffmpeg(t)
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/live.flv", port)
	args := append(pattern(), encode()...)
	p := start(t, bin, append(args, "-f", "flv", "-listen", "1", url)...)
	waitListenOnce(t, port, p)
	var pl FLVPlayer
	defer pl.Close()
	var st Stats
	d := 3 * time.Second
	pl.Play(context.Background(), &Options{URL: url, Duration: d}, &st)
	checkPlay(t, "ffmpeg http-flv", &st, d)
}

// The demo's in-process HTTP-FLV stream plays like ffmpeg's, without
// stalls.
func TestFLVPlayInProcess(t *testing.T) {
	srv := httptest.NewServer(media.NewLiveFLV())
	defer srv.Close()
	var pl FLVPlayer
	defer pl.Close()
	var st Stats
	d := 3 * time.Second
	pl.Play(context.Background(), &Options{URL: srv.URL + "/live.flv", Duration: d}, &st)
	checkPlay(t, "in-process http-flv", &st, d)
	if st.Stalls != 0 {
		t.Errorf("%d stalls (%v) on loopback", st.Stalls, st.StallTime)
	}
	// A second play on the same player starts afresh.
	pl.Play(context.Background(), &Options{URL: srv.URL + "/live.flv", Duration: time.Second}, &st)
	if st.Fail != nil || st.VideoPackets < 5 || st.VideoPackets > 15 {
		t.Errorf("second play: %v, %d video packets in 1 s", st.Fail, st.VideoPackets)
	}
	// A play refused for its URL counts no bytes, not the play before's.
	pl.Play(context.Background(), &Options{URL: "ftp://127.0.0.1/live.flv", Duration: time.Second}, &st)
	if st.Fail == nil || st.Recv != 0 || st.Sent != 0 {
		t.Errorf("a bad URL: %v, %d bytes received, %d sent", st.Fail, st.Recv, st.Sent)
	}
}

// https:// plays with the certificate check off; with it on, a
// self-signed server fails the TLS handshake, and the message says what
// to do.
func TestFLVHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(media.NewLiveFLV())
	defer srv.Close()
	var pl FLVPlayer
	defer pl.Close()
	var st Stats
	pl.Play(context.Background(), &Options{URL: srv.URL, Duration: time.Second}, &st)
	if st.Fail != nil || st.VideoPackets == 0 {
		t.Fatalf("tls_verify off: %v, %d video packets", st.Fail, st.VideoPackets)
	}
	pl.Play(context.Background(), &Options{URL: srv.URL, Duration: time.Second, TLSVerify: true}, &st)
	if st.Fail == nil || st.Fail.Cause != HandshakeFailed || st.Fail.Outcome != metrics.Other || !strings.Contains(st.Fail.Msg, "set tls_verify: false") {
		t.Errorf("tls_verify on: %v", st.Fail)
	}
}

// flvServer serves the committed clip's tags at their pace, then does
// what the fault says.
func flvServer(t *testing.T, fault func(w http.ResponseWriter, r *http.Request, tags func(d time.Duration) bool)) string {
	t.Helper()
	file, err := flv.ParseFile(media.FLV())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		start := time.Now()
		i := 0
		var b []byte
		// tags sends the clip's media tags due in the next d (from the
		// start of the response, without counting pauses twice).
		tags := func(d time.Duration) bool {
			until := time.Since(start) + d
			for ; i < len(file.Tags); i++ {
				tg := file.Tags[i]
				at := time.Duration(tg.Timestamp) * time.Millisecond
				if at > until {
					return true
				}
				if tg.Type == flv.TypeScript {
					continue
				}
				if wait := time.Until(start.Add(at)); wait > 0 {
					time.Sleep(wait)
				}
				b = media.AppendTag(b[:0], tg.Type, tg.Timestamp, tg.Data)
				if _, err := w.Write(b); err != nil {
					return false
				}
				rc.Flush()
			}
			return true
		}
		fault(w, r, tags)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/live.flv"
}

var flvHeader = []byte{'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0}

// Each HTTP-FLV fault lands in its documented cause and bucket.
func TestFLVFaults(t *testing.T) {
	refused := fmt.Sprintf("http://127.0.0.1:%d/live.flv", freePort(t))
	cases := []struct {
		name    string
		url     string
		cause   Cause
		outcome metrics.Outcome
		msg     string
	}{
		{"nobody listens", refused, TCPConnectFailed, metrics.Refused, "connection refused"},
		{"not http", "rtmp://127.0.0.1/live/x", IllegalURLFailed, metrics.Other, "not http://"},
		{"404", flvServer(t, func(w http.ResponseWriter, r *http.Request, _ func(time.Duration) bool) {
			http.NotFound(w, r)
		}), PlayFailed, metrics.CheckFailed, "HTTP 404"},
		{"truncated header", flvServer(t, func(w http.ResponseWriter, r *http.Request, _ func(time.Duration) bool) {
			w.Write(flvHeader[:7])
		}), IllegalFLVHeader, metrics.ParseFailed, "bad or truncated FLV header"},
		{"html, not flv", flvServer(t, func(w http.ResponseWriter, r *http.Request, _ func(time.Duration) bool) {
			w.Write([]byte("<html><body>no stream here</body></html>"))
		}), IllegalFLVHeader, metrics.ParseFailed, "not an FLV stream"},
		{"bad tag", flvServer(t, func(w http.ResponseWriter, r *http.Request, tags func(time.Duration) bool) {
			w.Write(flvHeader)
			tags(300 * time.Millisecond)
			w.Write([]byte{7, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12})
		}), ParseFLVFailed, metrics.ParseFailed, "tag type 7"},
		{"stream ends early", flvServer(t, func(w http.ResponseWriter, r *http.Request, tags func(time.Duration) bool) {
			w.Write(flvHeader)
			tags(500 * time.Millisecond)
		}), PlayFailed, metrics.Other, "the server ended the stream"},
		{"silent longer than the timeout", flvServer(t, func(w http.ResponseWriter, r *http.Request, tags func(time.Duration) bool) {
			w.Write(flvHeader)
			tags(500 * time.Millisecond)
			<-r.Context().Done()
		}), HTTPTimeoutFailed, metrics.Timeout, "timeout"},
		{"no headers within the timeout", flvServer(t, func(w http.ResponseWriter, r *http.Request, tags func(time.Duration) bool) {
			<-r.Context().Done()
		}), HTTPTimeoutFailed, metrics.Timeout, "timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pl FLVPlayer
			defer pl.Close()
			var st Stats
			pl.Play(context.Background(), &Options{URL: c.url, Duration: 3 * time.Second, Timeout: 700 * time.Millisecond}, &st)
			if st.Fail == nil || st.Fail.Cause != c.cause || st.Fail.Outcome != c.outcome || !strings.Contains(st.Fail.Msg, c.msg) {
				t.Fatalf("Play = %v, want cause %v in bucket %v saying %q", st.Fail, c.cause, c.outcome, c.msg)
			}
			if strings.Contains(st.Fail.Msg, "/live.flv") {
				t.Errorf("the message %q quotes the URL's path", st.Fail.Msg)
			}
		})
	}
}

// Canceling the context cuts a play: it has no outcome.
func TestFLVCut(t *testing.T) {
	srv := httptest.NewServer(media.NewLiveFLV())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var pl FLVPlayer
	defer pl.Close()
	var st Stats
	pl.Play(ctx, &Options{URL: srv.URL, Duration: 5 * time.Second}, &st)
	if !st.Cut || st.Fail != nil {
		t.Errorf("cut play: cut %v, fail %v", st.Cut, st.Fail)
	}
	if el := st.End.Sub(st.Start); el > 2*time.Second {
		t.Errorf("a play cut at 500 ms took %v", el)
	}
}
