package testsupport

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Mosquitto starts a mosquitto broker for the test, listening for plain
// MQTT on a free loopback port, and returns its address (host:port). It
// stops when the test ends. Without mosquitto the test is skipped (under
// CI it fails), as Peer says.
func Mosquitto(t testing.TB) string {
	t.Helper()
	addr, _ := mosquitto(t, "", "", "")
	return addr
}

// MosquittoTLS starts a mosquitto broker as Mosquitto does, with a second
// listener for MQTT over TLS that requires a client certificate signed by
// the CA in the PEM file ca, and presents the certificate cert with its
// key. It returns both addresses.
func MosquittoTLS(t testing.TB, ca, cert, key string) (plain, tls string) {
	t.Helper()
	return mosquitto(t, ca, cert, key)
}

func mosquitto(t testing.TB, ca, cert, key string) (plain, tls string) {
	t.Helper()
	bin := Peer(t, "mosquitto", "mosquitto")
	port := FreePort(t)
	dir := t.TempDir()
	// mosquitto 2 listens only where a listener line says. "user root"
	// keeps a broker started as root the test's user, who can read the
	// test's folder (no effect when not root).
	conf := fmt.Sprintf("per_listener_settings true\nuser root\nlog_dest stderr\nlog_type error\nlog_type warning\nmax_queued_messages 100000\n\nlistener %d 127.0.0.1\nallow_anonymous true\n", port)
	tlsPort := 0
	if ca != "" {
		tlsPort = FreePort(t)
		abs := func(p string) string {
			a, err := filepath.Abs(p)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		conf += fmt.Sprintf("\nlistener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\nallow_anonymous true\n", tlsPort, abs(ca), abs(cert), abs(key))
	}
	path := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	plain = serve(t, "mosquitto", port, bin, "-c", path)
	if tlsPort != 0 {
		tls = waitListen(t, "mosquitto", tlsPort)
	}
	return plain, tls
}

// NginxRTMP starts nginx as an RTMP server for the test, with a live
// application "live" that anyone may publish to and play, and an
// application "private" that refuses both, on a free loopback port, in a
// temporary prefix with its own configuration, in the foreground and
// without a master process. It returns the port. Without nginx or its
// RTMP module the test is skipped (under CI it fails).
func NginxRTMP(t testing.TB) int {
	t.Helper()
	bin := Peer(t, "nginx", "nginx")
	mods, _ := filepath.Glob("/usr/lib/nginx/modules/ngx_rtmp_module.so")
	if len(mods) == 0 {
		msg := "the nginx RTMP module is not installed (Debian package libnginx-mod-rtmp; .ci/run installs it)"
		if CI() {
			t.Fatal(msg + ": under CI a missing peer fails the test")
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	port := FreePort(t)
	conf := fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
worker_processes 1;
pid %s/nginx.pid;
error_log %s/error.log info;
events { worker_connections 4096; }
rtmp {
    server {
        listen 127.0.0.1:%d;
        chunk_size 4096;
        application live {
            live on;
            record off;
        }
        application private {
            live on;
            deny play all;
            deny publish all;
        }
    }
}
`, mods[0], dir, dir, port)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", b)
		}
	})
	serve(t, "nginx", port, bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	return port
}

// FreePort returns a loopback TCP port nobody listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serve runs a peer until the test ends (SIGTERM, then SIGKILL after 5 s)
// and waits until it accepts connections on port, which it returns as an
// address. Its output is logged when the test fails.
func serve(t testing.TB, name string, port int, bin string, args ...string) string {
	t.Helper()
	out := new(SyncBuffer)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return listening(t, name, port, done, out)
}

// waitListen waits until a peer that listens already on one port listens
// on another too.
func waitListen(t testing.TB, name string, port int) string {
	t.Helper()
	return listening(t, name, port, nil, nil)
}

// listening waits up to 10 s until something accepts on port, and
// returns its address; done, when given, is closed if the peer exits
// first, and out is what it wrote.
func listening(t testing.TB, name string, port int, done <-chan struct{}, out *SyncBuffer) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-done:
			t.Fatalf("%s exited:\n%s", name, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s after 10 s", name, addr)
		}
	}
}

// SyncBuffer is a buffer a command, child process or goroutine writes
// while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Proxy forwards TCP connections to target until cut, which closes every
// connection it carries: a server that drops its clients, as far as they
// can tell. New connections are still forwarded after a cut.
func Proxy(t testing.TB, target string) (addr string, cut func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	cut = func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		conns = nil
	}
	t.Cleanup(func() { l.Close(); cut() })
	return l.Addr().String(), cut
}
