package stream

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
)

// The real peers these tests talk to: ffmpeg (a test pattern pushed to an
// RTMP server, an RTMP receiver for publish, an HTTP-FLV source, an HLS
// segmenter) and nginx with its RTMP module (the server many players and
// publishers share). Each runs on a free loopback port in a temporary
// folder and is killed when its test ends.

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a peer process the test started.
type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// start runs a peer until the test ends, killing it (and only it) then.
// Its output is logged when the test fails.
func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), out: new(bytes.Buffer), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Stdin = nil
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(name), p.out.String())
		}
	})
	return p
}

// stop asks the process to end, then kills it if it has not within 5 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// exited waits up to d for the process to end.
func (p *proc) exited(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// waitListen waits until something accepts on the port.
func waitListen(t *testing.T, port int, p *proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before listening:\n%s", p.cmd.Path, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("nothing listens on port %d after 10 s", port)
}

func ffmpeg(t *testing.T) string { return testsupport.Peer(t, "ffmpeg", "ffmpeg") }

// pattern is ffmpeg's input for a live test pattern at real pace: 160x90,
// 10 frames a second, and a 440 Hz tone.
func pattern() []string {
	return []string{"-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=160x90:rate=10", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"}
}

// encode is H.264 with a key frame every second, and AAC.
func encode() []string {
	return []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "10", "-keyint_min", "10",
		"-sc_threshold", "0", "-pix_fmt", "yuv420p", "-b:v", "100k", "-c:a", "aac", "-ac", "1", "-b:a", "32k"}
}

// nginxRTMP starts nginx as an RTMP server (applications "live" and
// "private", which refuses everyone) and returns its port.
func nginxRTMP(t *testing.T) int { return testsupport.NginxRTMP(t) }

// pushPattern has ffmpeg publish a live test pattern to an RTMP URL.
func pushPattern(t *testing.T, url string) *proc {
	t.Helper()
	args := append(pattern(), encode()...)
	return start(t, ffmpeg(t), append(args, "-f", "flv", url)...)
}

// waitPlayable plays url until a play gets media, so that a test starts
// once the publisher's stream is up.
func waitPlayable(t *testing.T, url string) {
	t.Helper()
	var c RTMPClient
	var st Stats
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c.Play(context.Background(), &Options{URL: url, Duration: 500 * time.Millisecond, Timeout: 400 * time.Millisecond}, &st)
		if st.VideoPackets > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s has no media after 15 s (last play: %v)", url, st.Fail)
}

// ffprobeFrames counts the video frames of a media file that decode.
func ffprobeFrames(t *testing.T, path string) int {
	t.Helper()
	bin := testsupport.Peer(t, "ffmpeg", "ffprobe")
	out, err := exec.Command(bin, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("ffprobe %s: %q", path, out)
	}
	return n
}

// waitListenOnce waits until the port listens without connecting to it:
// a -listen 1 ffmpeg serves only the first connection.
func waitListenOnce(t *testing.T, port int, p *proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	want := fmt.Sprintf(":%04X ", port)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile("/proc/net/tcp")
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			// local address, then state 0A (LISTEN)
			if len(f) > 3 && strings.HasSuffix(f[1]+" ", want) && f[3] == "0A" {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before listening:\n%s", p.cmd.Path, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("nothing listens on port %d after 10 s", port)
}

// listenSilent accepts connections and never writes; it returns its
// address.
func listenSilent(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return l.Addr().String()
}
