package protocols

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// These tests drive the HTTP session against real servers on 127.0.0.1
// and judge it by what reached the wire: connections accepted, bytes
// received, the request line and headers as written.

// noScope serves templates that reference no VU variable.
type noScope struct{}

func (noScope) AppendValue(dst []byte, slot, field int) []byte { return dst }

// specs compiles http: steps (flow mappings) with ${base} set to base.
func specs(t testing.TB, base string, https ...string) []*scenario.HTTPSpec {
	t.Helper()
	var out []*scenario.HTTPSpec
	for _, n := range compileSteps(t, "http", map[string]string{"base": base}, https...) {
		out = append(out, n.Spec.(*scenario.HTTPSpec))
	}
	return out
}

func spec(t testing.TB, base, h string) *scenario.HTTPSpec {
	t.Helper()
	return specs(t, base, h)[0]
}

func newClient(t testing.TB) *httpSession {
	c := newHTTP(Config{Ctx: context.Background(), Seed: 1})
	t.Cleanup(c.Close)
	return c
}

// outcome is what a test keeps of a Result, whose response is only
// valid until the next Do.
type outcome struct {
	status int
	body   string
	url    string
	rt     time.Duration
	sent   int64
	recv   int64
	fail   *Failure
}

func do(c *httpSession, sp *scenario.HTTPSpec) outcome {
	var res Result
	c.Do(sp, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}, &res)
	return outcome{status: res.Status, body: string(res.Body), url: string(res.URL), rt: res.RT, sent: res.Sent, recv: res.Recv, fail: res.Fail}
}

// mustOK fails the test unless the exchange succeeded with want.
func mustOK(t *testing.T, o outcome, want int) {
	t.Helper()
	if o.fail != nil {
		t.Fatalf("failed: %v (outcome %v)", o.fail, o.fail.Outcome)
	}
	if o.status != want {
		t.Fatalf("status %d, want %d (body %q)", o.status, want, o.body)
	}
}

// mustFail fails the test unless the exchange failed in bucket want with
// a message containing msg.
func mustFail(t *testing.T, o outcome, want metrics.Outcome, msg string) {
	t.Helper()
	if o.fail == nil {
		t.Fatalf("succeeded with status %d, want a %v failure", o.status, want)
	}
	if o.fail.Outcome != want || !strings.Contains(o.fail.Msg, msg) {
		t.Fatalf("failure %v %q (err %v), want %v containing %q", o.fail.Outcome, o.fail.Msg, o.fail.Err, want, msg)
	}
}

// countingServer is an httptest server that counts the TCP connections it
// accepts.
func countingServer(t *testing.T, h http.Handler, tlsOn bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are expected
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, &n
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
}

// rawServer is a TCP listener whose connections are served by a test's
// own function, to misbehave in ways net/http will not.
type rawServer struct {
	ln       net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
	wg       sync.WaitGroup
}

func newRaw(t *testing.T, serve func(n int64, conn net.Conn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n := s.accepted.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				serve(n, conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) URL() string { return "http://" + s.ln.Addr().String() }

// recorder keeps every byte read through it.
type recorder struct {
	r   io.Reader
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.mu.Lock()
	r.buf.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recorder) take() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := append([]byte(nil), r.buf.Bytes()...)
	r.buf.Reset()
	return b
}

// readRequest reads one request with its body from br.
func readRequest(br *bufio.Reader) (*http.Request, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return req, err
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// 1. Sequential requests on one client share one kept-alive connection.
func TestHTTPKeepAlive(t *testing.T) {
	srv, conns := countingServer(t, okHandler(), false)
	c := newClient(t)
	sp := spec(t, srv.URL, `{name: r, url: "${base}/ok"}`)
	for i := range 20 {
		o := do(c, sp)
		mustOK(t, o, 200)
		if o.body != "ok" || o.sent == 0 || o.recv == 0 {
			t.Fatalf("request %d: body %q, sent %d, recv %d", i, o.body, o.sent, o.recv)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 requests opened %d connections, want 1", n)
	}
	if len(c.conns) != 1 {
		t.Errorf("client holds %d connections, want 1", len(c.conns))
	}
}

// 2. A kept-alive connection the server closed while idle is replaced
// without a failure, whether the server closed it with a FIN or a reset.
func TestHTTPStaleKeepAliveRedials(t *testing.T) {
	for _, reset := range []bool{false, true} {
		t.Run("reset="+strconv.FormatBool(reset), func(t *testing.T) {
			closeNow, closed := make(chan struct{}), make(chan struct{})
			srv := newRaw(t, func(_ int64, conn net.Conn) {
				if _, err := readRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				io.WriteString(conn, okResponse)
				// Close once the client has the response and the
				// connection is idle in its pool.
				<-closeNow
				if reset {
					conn.(*net.TCPConn).SetLinger(0)
				}
				conn.Close()
				closed <- struct{}{}
			})
			c := newClient(t)
			sp := spec(t, srv.URL(), `{name: r, url: "${base}/x"}`)
			for i := range 5 {
				o := do(c, sp)
				mustOK(t, o, 200)
				if o.body != "ok" {
					t.Fatalf("request %d: body %q", i, o.body)
				}
				closeNow <- struct{}{}
				<-closed
				time.Sleep(5 * time.Millisecond) // let the FIN or RST reach the client
			}
			if n := srv.accepted.Load(); n != 5 {
				t.Errorf("5 requests used %d connections, want 5", n)
			}
		})
	}
}

// The re-dial happens once, and only for a reused connection: a fresh
// connection that fails is reported, and a failure on the fresh one that
// replaced a stale connection is reported too.
func TestHTTPNoRetryOnFreshConnection(t *testing.T) {
	closeNow, closed := make(chan struct{}), make(chan struct{})
	srv := newRaw(t, func(n int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		if _, err := readRequest(br); err != nil {
			return
		}
		if n == 1 {
			// The first connection answers once and then closes, stale.
			io.WriteString(conn, okResponse)
			<-closeNow
			conn.Close()
			close(closed)
			return
		}
		conn.Close()
	})
	c := newClient(t)
	sp := spec(t, srv.URL(), `{name: r, url: "${base}/x"}`)
	mustOK(t, do(c, sp), 200)
	close(closeNow)
	<-closed
	time.Sleep(5 * time.Millisecond)
	// Stale connection: re-dialed once; the new connection is closed
	// unanswered, which is reported.
	mustFail(t, do(c, sp), metrics.Other, "connection closed by the server")
	if n := srv.accepted.Load(); n != 2 {
		t.Fatalf("after the stale connection: %d connections, want 2", n)
	}
	// Fresh connection closed unanswered: no second try.
	mustFail(t, do(c, sp), metrics.Other, "connection closed by the server")
	if n := srv.accepted.Load(); n != 3 {
		t.Errorf("a fresh connection's failure was retried: %d connections, want 3", n)
	}
}

// 3. "Connection: close" in a response drops the connection; the next
// request dials anew and succeeds. The same holds when the request asks for
// it.
func TestHTTPConnectionClose(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/ok", okHandler())
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	srv, conns := countingServer(t, mux, false)
	c := newClient(t)
	sps := specs(t, srv.URL,
		`{name: close, url: "${base}/close"}`,
		`{name: ok, url: "${base}/ok"}`,
		`{name: ask, url: "${base}/ok", headers: {Connection: close}}`,
	)
	closeSp, okSp, askSp := sps[0], sps[1], sps[2]
	mustOK(t, do(c, closeSp), 200)
	if len(c.conns) != 0 {
		t.Errorf("connection kept after Connection: close")
	}
	mustOK(t, do(c, okSp), 200)
	mustOK(t, do(c, okSp), 200)
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	mustOK(t, do(c, closeSp), 200)
	mustOK(t, do(c, okSp), 200)
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	mustOK(t, do(c, askSp), 200)
	if len(c.conns) != 0 {
		t.Errorf("connection kept after a request with Connection: close")
	}
	mustOK(t, do(c, okSp), 200)
	if n := conns.Load(); n != 4 {
		t.Errorf("%d connections, want 4", n)
	}
}

// 4. HTTPS: certificate verification, its opt-out, and a plain server.
func TestHTTPS(t *testing.T) {
	srv, conns := countingServer(t, okHandler(), true)
	c := newClient(t)
	sps := specs(t, srv.URL,
		`{name: verify, url: "${base}/ok", tls_verify: true}`,
		`{name: insecure, url: "${base}/ok", tls_verify: false}`,
	)
	o := do(c, sps[0])
	mustFail(t, o, metrics.Other, "tls_verify")
	if !strings.Contains(o.fail.Msg, "tls handshake with "+srv.Listener.Addr().String()) {
		t.Errorf("message %q does not say the handshake with the host failed", o.fail.Msg)
	}
	if o.status != 0 {
		t.Errorf("status %d for a failed handshake, want 0", o.status)
	}
	for range 5 {
		o := do(c, sps[1])
		mustOK(t, o, 200)
		if o.body != "ok" {
			t.Fatalf("body %q", o.body)
		}
	}
	// One connection for the failed handshake, one kept alive for the rest.
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}

	plain, _ := countingServer(t, okHandler(), false)
	p := spec(t, "https://"+strings.TrimPrefix(plain.URL, "http://"), `{name: p, url: "${base}/ok", tls_verify: false}`)
	mustFail(t, do(c, p), metrics.Other, "did not answer with TLS")
}

// The same host:port over http and https are two connections, not one.
func TestHTTPSchemeKeysConnection(t *testing.T) {
	srv, _ := countingServer(t, okHandler(), false)
	c := newClient(t)
	mustOK(t, do(c, spec(t, srv.URL, `{name: a, url: "${base}/ok"}`)), 200)
	s := spec(t, "https://"+strings.TrimPrefix(srv.URL, "http://"), `{name: b, url: "${base}/ok"}`)
	mustFail(t, do(c, s), metrics.Other, "did not answer with TLS")
}

// 5. Redirects.
func TestHTTPRedirects(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			io.WriteString(w, "end")
			return
		}
		w.Header().Set("Location", "/chain/"+strconv.Itoa(n-1))
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/rel/a/b", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "c?x=1")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/rel/a/c", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "c "+r.URL.RawQuery)
	})
	for _, code := range []int{301, 302, 303, 307, 308} {
		mux.HandleFunc("/to-echo/"+strconv.Itoa(code), func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Location", "/echo")
			w.WriteHeader(code)
		})
	}
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s ct=%q cl=%q body=%q", r.Method, r.Header.Get("Content-Type"), r.Header.Get("Content-Length"), body))
		mu.Unlock()
		io.WriteString(w, "echoed")
	})
	mux.HandleFunc("/nolocation", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) })
	srv, conns := countingServer(t, mux, false)
	other, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "host="+r.Host)
	}), false)
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return ""
		}
		return seen[len(seen)-1]
	}
	c := newClient(t)

	t.Run("chain", func(t *testing.T) {
		hits.Store(0)
		one := do(c, spec(t, srv.URL, `{name: r, url: "${base}/chain/0"}`))
		o := do(c, spec(t, srv.URL, `{name: r, url: "${base}/chain/3"}`))
		mustOK(t, o, 200)
		if o.body != "end" || o.url != srv.URL+"/chain/0" || hits.Load() != 5 {
			t.Errorf("body %q, url %q, hits %d", o.body, o.url, hits.Load())
		}
		// Bytes add up over every hop.
		if o.sent <= 3*one.sent || o.recv <= 3*one.recv {
			t.Errorf("sent %d, recv %d over 4 hops; one hop sends %d, receives %d", o.sent, o.recv, one.sent, one.recv)
		}
	})
	t.Run("limit", func(t *testing.T) {
		hits.Store(0)
		o := do(c, spec(t, srv.URL, `{name: r, url: "${base}/chain/3", redirects: 2}`))
		mustOK(t, o, 302)
		if o.url != srv.URL+"/chain/1" || hits.Load() != 3 {
			t.Errorf("url %q, hits %d; want /chain/1 after 3 requests", o.url, hits.Load())
		}
	})
	t.Run("exact limit", func(t *testing.T) {
		o := do(c, spec(t, srv.URL, `{name: r, url: "${base}/chain/3", redirects: 3}`))
		mustOK(t, o, 200)
	})
	t.Run("off", func(t *testing.T) {
		hits.Store(0)
		o := do(c, spec(t, srv.URL, `{name: r, url: "${base}/chain/3", redirects: false}`))
		mustOK(t, o, 302)
		if o.url != srv.URL+"/chain/3" || hits.Load() != 1 {
			t.Errorf("url %q, hits %d", o.url, hits.Load())
		}
	})
	t.Run("relative", func(t *testing.T) {
		o := do(c, spec(t, srv.URL, `{name: r, url: "${base}/rel/a/b"}`))
		mustOK(t, o, 200)
		if o.body != "c x=1" || o.url != srv.URL+"/rel/a/c?x=1" {
			t.Errorf("body %q, url %q", o.body, o.url)
		}
	})
	t.Run("no location", func(t *testing.T) {
		mustOK(t, do(c, spec(t, srv.URL, `{name: r, url: "${base}/nolocation"}`)), 302)
	})
	t.Run("method", func(t *testing.T) {
		for _, tc := range []struct {
			code int
			want string
		}{
			{301, `GET ct="" cl="" body=""`},
			{302, `GET ct="" cl="" body=""`},
			{303, `GET ct="" cl="" body=""`},
			{307, `POST ct="application/json" cl="7" body="{\"a\":1}"`},
			{308, `POST ct="application/json" cl="7" body="{\"a\":1}"`},
		} {
			o := do(c, spec(t, srv.URL, fmt.Sprintf(`{name: r, method: POST, url: "${base}/to-echo/%d", json: {a: 1}}`, tc.code)))
			mustOK(t, o, 200)
			if got := last(); got != tc.want {
				t.Errorf("POST then %d: the server saw %s, want %s", tc.code, got, tc.want)
			}
		}
		// A 303 after a PUT becomes a GET too; a HEAD stays a HEAD.
		mustOK(t, do(c, spec(t, srv.URL, `{name: r, method: PUT, url: "${base}/to-echo/303", body: x}`)), 200)
		if got := last(); got != `GET ct="" cl="" body=""` {
			t.Errorf("PUT then 303: the server saw %s", got)
		}
		mustOK(t, do(c, spec(t, srv.URL, `{name: r, method: HEAD, url: "${base}/to-echo/302"}`)), 200)
		if got := last(); !strings.HasPrefix(got, "HEAD ") {
			t.Errorf("HEAD then 302: the server saw %s", got)
		}
	})
	t.Run("other host", func(t *testing.T) {
		mux.HandleFunc("/to-other", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		})
		o := do(c, spec(t, srv.URL, `{name: r, url: "${base}/to-other"}`))
		mustOK(t, o, 200)
		if want := "host=" + other.Listener.Addr().String(); o.body != want || o.url != other.URL+"/x" {
			t.Errorf("body %q, url %q; want %q", o.body, o.url, want)
		}
		// The first host's connection is still kept alive beside the second.
		if len(c.conns) != 2 {
			t.Errorf("client holds %d connections, want 2", len(c.conns))
		}
	})
	t.Run("to refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		mux.HandleFunc("/to-refused", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+addr+"/x", http.StatusFound)
		})
		o := do(c, spec(t, srv.URL, `{name: r, url: "${base}/to-refused"}`))
		mustFail(t, o, metrics.Refused, "connect to "+addr)
		// The 302 belonged to the hop before; the failed hop has no status.
		if o.status != 0 {
			t.Errorf("status %d, want 0", o.status)
		}
	})
	// Every hop to the redirecting server shared one connection, except
	// after the HEAD: net/http sends a HEAD's 302 without a length, and
	// fasthttp then marks the response Connection: close.
	if n := conns.Load(); n != 2 {
		t.Errorf("the redirecting server saw %d connections, want 2", n)
	}
}

// 6. A silent server times out after the request's timeout; a closed port
// is refused.
func TestHTTPTimeoutAndRefused(t *testing.T) {
	got := make(chan struct{}, 1)
	srv := newRaw(t, func(_ int64, conn net.Conn) {
		readRequest(bufio.NewReader(conn))
		got <- struct{}{}
		io.Copy(io.Discard, conn) // never answer; return when closed
	})
	c := newClient(t)
	o := do(c, spec(t, srv.URL(), `{name: r, url: "${base}/x", timeout: 100ms}`))
	mustFail(t, o, metrics.Timeout, "response from "+srv.ln.Addr().String()+": timeout")
	if o.rt < 100*time.Millisecond || o.rt > 2*time.Second {
		t.Errorf("timed out after %v, want about 100ms", o.rt)
	}
	if o.status != 0 {
		t.Errorf("status %d with no response, want 0", o.status)
	}
	if o.sent == 0 || o.recv != 0 {
		t.Errorf("sent %d, recv %d", o.sent, o.recv)
	}
	<-got
	if len(c.conns) != 0 {
		t.Errorf("a timed-out connection was kept")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o = do(c, spec(t, "http://"+addr, `{name: r, url: "${base}/x"}`))
	mustFail(t, o, metrics.Refused, "connect to "+addr+": connection refused")
	if o.status != 0 || o.sent != 0 || o.recv != 0 {
		t.Errorf("refused: status %d, sent %d, recv %d", o.status, o.sent, o.recv)
	}
}

// A timeout on a reused connection is reported, not retried: the server
// has the request.
func TestHTTPTimeoutOnReusedConnNotRetried(t *testing.T) {
	srv := newRaw(t, func(_ int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		if _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(conn, okResponse)
		readRequest(br)
		io.Copy(io.Discard, conn)
	})
	c := newClient(t)
	sp := spec(t, srv.URL(), `{name: r, url: "${base}/x", timeout: 50ms}`)
	mustOK(t, do(c, sp), 200)
	mustFail(t, do(c, sp), metrics.Timeout, "timeout")
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// 7. A response that is not HTTP is a parse failure; one cut short is a
// closed connection.
func TestHTTPMalformedAndTruncated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reply   string
		outcome metrics.Outcome
		msg     string
		status  int
	}{
		{"garbage", "garbage\r\n\r\n", metrics.ParseFailed, "malformed response from ", 0},
		{"bad status", "HTTP/1.1 2000 OK\r\n\r\n", metrics.ParseFailed, "malformed response from ", 0},
		{"truncated", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello", metrics.Other, "connection closed by the server", 200},
		{"truncated header", "HTTP/1.1 200 OK\r\nContent-Le", metrics.Other, "connection closed by the server", 0},
		{"truncated chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nhello", metrics.Other, "connection closed by the server", 200},
		{"no trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n", metrics.Other, "connection closed by the server", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRaw(t, func(_ int64, conn net.Conn) {
				if _, err := readRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				io.WriteString(conn, tc.reply)
				conn.Close()
			})
			c := newClient(t)
			o := do(c, spec(t, srv.URL(), `{name: r, url: "${base}/x", timeout: 2s}`))
			mustFail(t, o, tc.outcome, tc.msg)
			if !strings.Contains(o.fail.Msg, srv.ln.Addr().String()) {
				t.Errorf("message %q does not name the host", o.fail.Msg)
			}
			if o.status != tc.status {
				t.Errorf("status %d, want %d", o.status, tc.status)
			}
			if o.recv != int64(len(tc.reply)) {
				t.Errorf("recv %d, want %d", o.recv, len(tc.reply))
			}
		})
	}
}

// A body over MaxBodySize fails as a parse failure without being read.
func TestHTTPBodyTooLarge(t *testing.T) {
	srv := newRaw(t, func(_ int64, conn net.Conn) {
		if _, err := readRequest(bufio.NewReader(conn)); err != nil {
			return
		}
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", MaxBodySize+1)
		io.Copy(io.Discard, conn)
	})
	c := newClient(t)
	mustFail(t, do(c, spec(t, srv.URL(), `{name: r, url: "${base}/x", timeout: 2s}`)), metrics.ParseFailed, "response body over 64 MiB")
}

// 8. Sent and Recv are the exact bytes on the wire.
func TestHTTPByteCounts(t *testing.T) {
	const reply = "HTTP/1.1 201 Created\r\nContent-Length: 11\r\nX-Pad: 0123456789\r\n\r\nhello world"
	var rec *recorder
	var recMu sync.Mutex
	replied := make(chan struct{}, 10)
	srv := newRaw(t, func(_ int64, conn net.Conn) {
		r := &recorder{r: conn}
		recMu.Lock()
		rec = r
		recMu.Unlock()
		br := bufio.NewReader(r)
		for {
			if _, err := readRequest(br); err != nil {
				return
			}
			io.WriteString(conn, reply)
			replied <- struct{}{}
		}
	})
	c := newClient(t)
	sps := specs(t, srv.URL(),
		`{name: g, url: "${base}/get?q=1"}`,
		`{name: p, method: POST, url: "${base}/post", headers: {X-Token: abc}, json: {user: "u1", n: [1, 2, 3]}}`,
		`{name: f, method: PUT, url: "${base}/form", form: {a: "x y", b: "é&"}}`,
	)
	for _, sp := range sps {
		o := do(c, sp)
		mustOK(t, o, 201)
		<-replied
		recMu.Lock()
		r := rec
		recMu.Unlock()
		wire := r.take()
		if o.sent != int64(len(wire)) {
			t.Errorf("%s: sent %d, the server received %d bytes:\n%s", sp.Method, o.sent, len(wire), wire)
		}
		if o.recv != int64(len(reply)) {
			t.Errorf("%s: recv %d, the server wrote %d bytes", sp.Method, o.recv, len(reply))
		}
		if o.body != "hello world" {
			t.Errorf("body %q", o.body)
		}
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// 9. Interrupt cuts an exchange stuck on a silent server at once.
func TestHTTPInterrupt(t *testing.T) {
	got := make(chan struct{}, 1)
	srv := newRaw(t, func(_ int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		if _, err := readRequest(br); err != nil {
			return
		}
		got <- struct{}{}
		io.Copy(io.Discard, conn)
	})
	c := newClient(t)
	sp := spec(t, srv.URL(), `{name: r, url: "${base}/x", timeout: 10s}`)
	done := make(chan outcome)
	go func() { done <- do(c, sp) }()
	<-got
	start := time.Now()
	c.Interrupt()
	select {
	case o := <-done:
		if o.fail == nil {
			t.Fatalf("interrupted exchange succeeded")
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Interrupt took %v to cut the exchange", d)
		}
		if len(c.conns) != 0 {
			t.Errorf("the interrupted connection was kept")
		}
		// Interrupt is final: nothing more is sent.
		mustFail(t, do(c, sp), metrics.Other, "interrupted")
		if n := srv.accepted.Load(); n != 1 {
			t.Errorf("a request after Interrupt reached the server: %d connections", n)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Interrupt did not cut the exchange")
	}
}

// 10. What perfcase writes on the wire: the version asked for, the headers
// as written and no others, and a HEAD response read without a body.
func TestHTTPWire(t *testing.T) {
	wires := make(chan string, 10)
	srv := newRaw(t, func(_ int64, conn net.Conn) {
		r := &recorder{r: conn}
		br := bufio.NewReader(r)
		for {
			req, err := readRequest(br)
			if err != nil {
				return
			}
			wires <- string(r.take())
			if req.ProtoMinor == 0 {
				// As a server does for an HTTP/1.0 client: no keep-alive.
				io.WriteString(conn, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
				conn.Close()
				return
			}
			if req.Method == "HEAD" {
				// Announces a body a HEAD response never has.
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
				continue
			}
			io.WriteString(conn, okResponse)
		}
	})
	addr := srv.ln.Addr().String()
	c := newClient(t)
	sps := specs(t, srv.URL(),
		`{name: v10, url: "${base}/v10", version: HTTP/1.0}`,
		`{name: v11, url: "${base}/v11"}`,
		`{name: head, method: HEAD, url: "${base}/head", timeout: 2s}`,
		`{name: hdr, url: "${base}/h", headers: {X-Custom-Thing: one, x-lower-case: two, ACCEPT: "*/*"}}`,
		`{name: raw, method: POST, url: "${base}/raw", body: "abc"}`,
		`{name: json, method: POST, url: "${base}/json", json: {a: 1}}`,
		`{name: typed, method: POST, url: "${base}/typed", headers: {content-type: text/x-mine}, json: {a: 1}}`,
		`{name: host, url: "${base}/host", headers: {Host: example.test}}`,
	)
	send := func(sp *scenario.HTTPSpec) string {
		t.Helper()
		mustOK(t, do(c, sp), 200)
		return <-wires
	}
	// headers lists the header lines of a request as written.
	headers := func(wire string) []string {
		head, _, _ := strings.Cut(wire, "\r\n\r\n")
		lines := strings.Split(head, "\r\n")
		return lines[1:]
	}
	check := func(name, wire, line string, hdrs ...string) {
		t.Helper()
		first, _, _ := strings.Cut(wire, "\r\n")
		if first != line {
			t.Errorf("%s: request line %q, want %q", name, first, line)
		}
		if got := headers(wire); strings.Join(got, "|") != strings.Join(hdrs, "|") {
			t.Errorf("%s: headers\n%q\nwant\n%q", name, got, hdrs)
		}
	}

	check("HTTP/1.0", send(sps[0]), "GET /v10 HTTP/1.0", "Host: "+addr)
	// The pooled request does not carry HTTP/1.0 into the next one.
	check("HTTP/1.1", send(sps[1]), "GET /v11 HTTP/1.1", "Host: "+addr)
	check("HEAD", send(sps[2]), "HEAD /head HTTP/1.1", "Host: "+addr)
	// The HEAD response's announced body was not waited for, and the
	// connection still frames the next response.
	check("headers", send(sps[3]), "GET /h HTTP/1.1", "Host: "+addr, "X-Custom-Thing: one", "x-lower-case: two", "ACCEPT: */*")
	wire := send(sps[4])
	check("raw body", wire, "POST /raw HTTP/1.1", "Host: "+addr, "Content-Length: 3")
	if !strings.HasSuffix(wire, "\r\n\r\nabc") {
		t.Errorf("raw body: %q", wire)
	}
	check("json", send(sps[5]), "POST /json HTTP/1.1", "Host: "+addr, "Content-Type: application/json", "Content-Length: 7")
	// fasthttp keeps the headers it frames requests with (Host,
	// Content-Type, Content-Length, User-Agent, Connection, Cookie...) in
	// fields of their own and writes them canonically: the case of these
	// few is not kept, but one given in the scenario replaces the default.
	check("typed json", send(sps[6]), "POST /typed HTTP/1.1", "Host: "+addr, "Content-Type: text/x-mine", "Content-Length: 7")
	check("host", send(sps[7]), "GET /host HTTP/1.1", "Host: example.test")
	// The HTTP/1.0 response closed its connection, which was not reused
	// (no stale retry: one request per Do); everything after shares one.
	if n := srv.accepted.Load(); n != 2 || len(wires) != 0 {
		t.Errorf("%d connections, %d extra requests; want 2 and 0", n, len(wires))
	}
}

// Query parameters, form fields and multipart parts reach the server as
// written.
func TestHTTPBodies(t *testing.T) {
	seen := make(chan string, 10)
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s string
		switch r.URL.Path {
		case "/query":
			s = fmt.Sprint(r.URL.Query())
		case "/form":
			r.ParseForm()
			s = fmt.Sprint(r.PostForm) + " " + r.Header.Get("Content-Type")
		case "/multipart":
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				s = "error: " + err.Error()
				break
			}
			s = fmt.Sprint(r.MultipartForm.Value)
		}
		seen <- s
	}), false)
	c := newClient(t)
	sps := specs(t, srv.URL,
		`{name: q, url: "${base}/query?a=1", query: {b: "x y", "c&d": "é=+"}}`,
		`{name: f, method: POST, url: "${base}/form", form: {a: "x y", b: "1&2=3"}}`,
		`{name: m, method: POST, url: "${base}/multipart", multipart: {note: "hi there", "we\"ird": v}}`,
	)
	for i, want := range []string{
		"map[a:[1] b:[x y] c&d:[é=+]]",
		"map[a:[x y] b:[1&2=3]] application/x-www-form-urlencoded",
		`map[note:[hi there] we%22ird:[v]]`,
	} {
		mustOK(t, do(c, sps[i]), 200)
		if got := <-seen; got != want {
			t.Errorf("%s: server saw %s, want %s", sps[i].URL.Src, got, want)
		}
	}
}

// A template function that fails fails the request before anything is
// sent.
func TestHTTPRenderFailure(t *testing.T) {
	srv, conns := countingServer(t, okHandler(), false)
	c := newClient(t)
	f, err := scenario.Parse("t.yaml", []byte(`
name: t
variables:
  v: ["!!", "??"]
cases:
  - name: c
    steps:
      - http: {name: r, url: "${base}/ok?f=${base64_decode(v)}"}
    stages: [{concurrency: 1, count: 1}]
`))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Compile(f, scenario.Options{Set: map[string]string{"base": srv.URL}, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	sp := plan.Cases[0].Steps[0].(*scenario.RequestNode).Spec.(*scenario.HTTPSpec)
	var res Result
	c.Do(sp, &Input{Scope: valueScope("!!"), Funcs: scenario.NewFuncEnv(1)}, &res)
	if res.Fail == nil || res.Fail.Outcome != metrics.Other || !strings.Contains(res.Fail.Msg, "render request: base64_decode") {
		t.Fatalf("fail %+v", res.Fail)
	}
	if res.Status != 0 || res.Sent != 0 || conns.Load() != 0 {
		t.Errorf("status %d, sent %d, connections %d", res.Status, res.Sent, conns.Load())
	}
	// The FuncEnv's error was taken: the next request with a good value
	// succeeds.
	c.Do(sp, &Input{Scope: valueScope("b2s="), Funcs: scenario.NewFuncEnv(1)}, &res)
	if res.Fail != nil || res.Status != 200 {
		t.Fatalf("fail %v, status %d", res.Fail, res.Status)
	}
}

// valueScope gives every variable the same value.
type valueScope string

func (v valueScope) AppendValue(dst []byte, slot, field int) []byte { return append(dst, v...) }
