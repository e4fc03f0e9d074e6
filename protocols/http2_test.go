package protocols

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// These tests drive the HTTP/2 session against real HTTP/2 servers on
// 127.0.0.1: Go's own (h2 over TLS, and h2c with prior knowledge) and
// nghttp2's nghttpd.

func newH2(t testing.TB) *h2Session {
	c := newHTTP2(Config{Ctx: context.Background(), Seed: 1, Jar: NewJar()})
	t.Cleanup(c.Close)
	return c
}

func do2(c Session, sp *scenario.HTTPSpec) outcome {
	var res Result
	c.Do(sp, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}, &res)
	o := outcome{status: res.Status, body: string(res.Body), url: string(res.URL), rt: res.RT, sent: res.Sent, recv: res.Recv, fail: res.Fail}
	c.Release()
	return o
}

// h2Server is a Go HTTP/2 server that counts its connections and notes
// the protocol of every request: over TLS (h2 chosen in the handshake)
// or, with tlsOn false, h2c with prior knowledge only.
func h2Server(t *testing.T, h http.Handler, tlsOn bool) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	t.Helper()
	var proto atomic.Value
	proto.Store("")
	srv, conns := countingServerWith(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
		h.ServeHTTP(w, r)
	}), func(s *httptest.Server) {
		if tlsOn {
			s.EnableHTTP2 = true
			return
		}
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		s.Config.Protocols = &p
	}, tlsOn)
	return srv, conns, &proto
}

// countingServerWith is countingServer with its configuration changed
// before it starts.
func countingServerWith(t *testing.T, h http.Handler, configure func(*httptest.Server), tlsOn bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	configure(srv)
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &n
}

// 1. version "2" speaks HTTP/2 over TLS (h2) and in clear text (h2c),
// keeping one connection per origin across requests, and checks read
// its status, body and headers.
func TestHTTP2Versions(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Queue-Ms", "12.5")
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("who"))
	})
	for _, tlsOn := range []bool{true, false} {
		t.Run(map[bool]string{true: "h2", false: "h2c"}[tlsOn], func(t *testing.T) {
			srv, conns, proto := h2Server(t, h, tlsOn)
			sp := spec(t, srv.URL, `{url: "${base}/x", version: "2", query: {who: h2}, tls_verify: false}`)
			c := newH2(t)
			for range 3 {
				var res Result
				c.Do(sp, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}, &res)
				if res.Fail != nil || res.Status != 200 || string(res.Body) != "hello h2" {
					t.Fatalf("status %d body %q fail %v", res.Status, res.Body, res.Fail)
				}
				if got := string(res.Header.Peek("x-queue-ms")); got != "12.5" {
					t.Errorf("Peek(x-queue-ms) = %q", got)
				}
				if res.Header.Peek("X-Absent") != nil {
					t.Errorf("an absent header peeks non-nil")
				}
				c.Release()
			}
			if got := proto.Load(); got != "HTTP/2.0" {
				t.Errorf("the server saw %q, want HTTP/2.0", got)
			}
			if n := conns.Load(); n != 1 {
				t.Errorf("%d connections for 3 requests, want 1", n)
			}
		})
	}
}

// 2. A server that does not speak HTTP/2 fails the request with a
// message saying so: a TLS server that does not choose h2, and a
// clear-text HTTP/1.1 server that cannot read the h2c preface. Nothing
// is quietly measured over HTTP/1.1.
func TestHTTP2ServerWithoutH2(t *testing.T) {
	var got atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PRI" { // net/http hands the h2c preface to handlers as a request
			got.Add(1)
		}
	})
	tlsSrv, _ := countingServer(t, h, true) // httptest: HTTP/1.1 only unless EnableHTTP2
	o := do2(newH2(t), spec(t, tlsSrv.URL, `{url: "${base}/", version: "2", tls_verify: false}`))
	mustFail(t, o, metrics.Other, "does not speak HTTP/2")

	plain, _ := countingServer(t, h, false)
	o = do2(newH2(t), spec(t, plain.URL, `{url: "${base}/", version: "2"}`))
	if o.fail == nil {
		t.Fatalf("h2c to an HTTP/1.1 server succeeded with status %d", o.status)
	}
	if n := got.Load(); n != 0 {
		t.Errorf("%d requests reached the handlers over HTTP/1.1", n)
	}
}

// 3. Certificates are verified unless tls_verify: false, as over
// HTTP/1.1.
func TestHTTP2VerifiesCertificates(t *testing.T) {
	srv, _, _ := h2Server(t, okHandler(), true)
	o := do2(newH2(t), spec(t, srv.URL, `{url: "${base}/", version: "2"}`))
	mustFail(t, o, metrics.Other, "tls_verify: false")
}

// 4. Redirects are followed hop by hop, a 303 turning a POST into a GET;
// the jar keeps the cookies each hop sets and sends them, with the
// scenario's own Cookie header first, on the next.
func TestHTTP2RedirectsAndCookies(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv, conns, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" cookie="+r.Header.Get("Cookie"))
		mu.Unlock()
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1", Path: "/"})
			http.Redirect(w, r, "/home", http.StatusSeeOther)
		case "/home":
			io.WriteString(w, "home")
		}
	}), false)
	c := newH2(t)
	o := do2(c, spec(t, srv.URL, `{method: POST, url: "${base}/login", version: "2", form: {u: a}, headers: {Cookie: "pref=1"}}`))
	mustOK(t, o, 200)
	if o.body != "home" || !strings.HasSuffix(o.url, "/home") {
		t.Errorf("body %q url %q", o.body, o.url)
	}
	o = do2(c, spec(t, srv.URL, `{url: "${base}/home", version: "2"}`))
	mustOK(t, o, 200)
	want := []string{"POST /login cookie=pref=1", "GET /home cookie=pref=1; sid=s1", "GET /home cookie=sid=s1"}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// 5. Failures land in the buckets HTTP/1.1's do: refused, timeout, a body
// over the limit.
func TestHTTP2Failures(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	mustFail(t, do2(newH2(t), spec(t, "http://"+addr, `{url: "${base}/", version: "2"}`)), metrics.Refused, "connect to "+addr)

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow, _, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), false)
	mustFail(t, do2(newH2(t), spec(t, slow.URL, `{url: "${base}/", version: "2", timeout: 100ms}`)), metrics.Timeout, "timeout")

	big, _, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1<<20)
		for range MaxBodySize>>20 + 1 {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}), false)
	mustFail(t, do2(newH2(t), spec(t, big.URL, `{url: "${base}/", version: "2", timeout: 20s}`)), metrics.ParseFailed, "response body over 64 MiB")
}

// 6. Interrupt cuts an exchange in flight at once, and every later one
// fails without reaching the server.
func TestHTTP2Interrupt(t *testing.T) {
	arrived := make(chan struct{}, 4)
	srv, _, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}), false)
	c := newH2(t)
	sp := spec(t, srv.URL, `{url: "${base}/", version: "2", timeout: 10s}`)
	done := make(chan outcome)
	go func() { done <- do2(c, sp) }()
	<-arrived
	start := time.Now()
	c.Interrupt()
	select {
	case o := <-done:
		mustFail(t, o, metrics.Other, "interrupted")
		if d := time.Since(start); d > time.Second {
			t.Errorf("Interrupt took %v", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Interrupt did not cut the exchange")
	}
	mustFail(t, do2(c, sp), metrics.Other, "interrupted")
	select {
	case <-arrived:
		t.Errorf("a request after Interrupt reached the server")
	default:
	}
}

// 7. Bytes are HTTP's own before HPACK and framing: the header fields as
// names and values, pseudo-headers included, and the bodies.
func TestHTTP2ByteCounts(t *testing.T) {
	srv, _, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header()["Date"] = nil
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	}), false)
	sp := spec(t, srv.URL, `{method: POST, url: "${base}/p?q=1", version: "2", body: "abc", headers: {X-A: bb}}`)
	o := do2(newH2(t), sp)
	mustOK(t, o, 200)
	host := strings.TrimPrefix(srv.URL, "http://")
	// :method POST :scheme http :authority host :path /p?q=1, x-a: bb,
	// and the body.
	sent := len(":method") + 4 + len(":scheme") + 4 + len(":authority") + len(host) + len(":path") + len("/p?q=1") + len("X-A") + 2 + 3
	// :status 200, Content-Type, Content-Length and the body.
	recv := len(":status") + 3 + len("Content-Type") + len("text/plain") + len("Content-Length") + 1 + 5
	if o.sent != int64(sent) || o.recv != int64(recv) {
		t.Errorf("sent %d recv %d, want %d %d", o.sent, o.recv, sent, recv)
	}
}

// 8. The lanes of a together: step share the VU's connection: their
// requests are streams of it, in flight at once.
func TestHTTP2LanesMultiplex(t *testing.T) {
	const lanes = 4
	var inFlight, most atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	srv, conns, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n == lanes {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-time.After(5 * time.Second):
		}
		inFlight.Add(-1)
		io.WriteString(w, r.URL.Path)
	}), true)
	main := newH2(t)
	sessions := []Session{main}
	for range lanes - 1 {
		l := newHTTP2(Config{Ctx: context.Background(), Seed: 1, Jar: main.jar, Lane: main})
		sessions = append(sessions, l)
	}
	var wg sync.WaitGroup
	outs := make([]outcome, lanes)
	for i, s := range sessions {
		sp := spec(t, srv.URL, fmt.Sprintf(`{url: "${base}/r%d", version: "2", tls_verify: false}`, i))
		wg.Go(func() { outs[i] = do2(s, sp) })
	}
	wg.Wait()
	for i, o := range outs {
		mustOK(t, o, 200)
		if o.body != fmt.Sprintf("/r%d", i) {
			t.Errorf("lane %d got %q", i, o.body)
		}
	}
	if n := most.Load(); n != lanes {
		t.Errorf("at most %d requests were in flight at once, want %d", n, lanes)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1: the lanes multiplex over the VU's", n)
	}
}

// 9. Against nghttp2's own server, nghttpd: h2 over TLS and h2c, a file
// served whole, one connection for several requests (nghttpd's log
// numbers its sessions), and a POST body echoed back.
func TestHTTP2Nghttpd(t *testing.T) {
	bin := testsupport.Peer(t, "nghttp2-server", "nghttpd")
	dir := t.TempDir()
	page := strings.Repeat("perfcase over nghttpd\n", 100)
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	cert, key, _ := testsupport.SelfSigned(t)
	for _, tlsOn := range []bool{true, false} {
		t.Run(map[bool]string{true: "h2", false: "h2c"}[tlsOn], func(t *testing.T) {
			base, log := startNghttpd(t, bin, dir, tlsOn, key, cert)
			c := newH2(t)
			get := spec(t, base, `{url: "${base}/index.html", version: "2", tls_verify: false}`)
			for range 3 {
				o := do2(c, get)
				mustOK(t, o, 200)
				if o.body != page {
					t.Fatalf("body of %d bytes, want the %d-byte page", len(o.body), len(page))
				}
			}
			o := do2(c, spec(t, base, `{method: POST, url: "${base}/echo", version: "2", body: "ping", tls_verify: false}`))
			mustOK(t, o, 200)
			if o.body != "ping" {
				t.Errorf("echoed %q", o.body)
			}
			if n := log.sessions(); n != 1 {
				t.Errorf("nghttpd saw %d sessions, want 1", n)
			}
		})
	}
}

// nghttpdLog is what nghttpd -v prints, kept as it runs.
type nghttpdLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *nghttpdLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *nghttpdLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sessions counts the sessions ("[id=N]") in which nghttpd received a
// request.
func (l *nghttpdLog) sessions() int {
	ids := map[string]bool{}
	for _, line := range strings.Split(l.String(), "\n") {
		if i := strings.Index(line, "[id="); i >= 0 && strings.Contains(line, ":method:") {
			if j := strings.IndexByte(line[i:], ']'); j > 0 {
				ids[line[i:i+j]] = true
			}
		}
	}
	return len(ids)
}

// startNghttpd serves dir with nghttpd on a free loopback port, with TLS
// or h2c, echoing uploads; it returns the base URL once the port answers.
func startNghttpd(t *testing.T, bin, dir string, tlsOn bool, key, cert string) (string, *nghttpdLog) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	args := []string{"-v", "-a", "127.0.0.1", "-d", dir, "--echo-upload", port}
	scheme := "https"
	if tlsOn {
		args = append(args, key, cert)
	} else {
		args = append([]string{"--no-tls"}, args...)
		scheme = "http"
	}
	var log nghttpdLog
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", port)
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(log.String(), "listen "+addr); {
		if time.Now().After(deadline) {
			t.Fatalf("nghttpd did not listen on %s:\n%s", addr, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return scheme + "://" + addr, &log
}
