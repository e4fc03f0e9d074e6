package protocols

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// A POST is never sent twice: a server that reads it and closes without
// answering sees it once, and the failure is reported.
func TestHTTPPostNotResent(t *testing.T) {
	var posts atomic.Int64
	srv := newRaw(t, func(n int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			req, err := readRequest(br)
			if err != nil {
				return
			}
			if req.Method == "POST" {
				posts.Add(1)
				conn.Close() // processed, never answered
				return
			}
			io.WriteString(conn, okResponse)
		}
	})
	c := newClient(t)
	sp := specs(t, srv.URL(), `{name: g, url: "${base}/x"}`, `{name: p, method: POST, url: "${base}/x", body: "pay=1"}`)
	mustOK(t, do(c, sp[0]), 200)
	mustFail(t, do(c, sp[1]), metrics.Other, "connection closed by the server")
	if n := posts.Load(); n != 1 {
		t.Errorf("the server saw %d POSTs for one request", n)
	}
}

// A POST on a kept-alive connection the server closed while idle finds it
// closed before sending, dials anew, and succeeds.
func TestHTTPPostProbesIdleConnection(t *testing.T) {
	defer func(d time.Duration) { probeIdle = d }(probeIdle)
	probeIdle = 0
	closeNow, closed := make(chan struct{}), make(chan struct{})
	srv := newRaw(t, func(n int64, conn net.Conn) {
		br := bufio.NewReader(conn)
		if _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(conn, okResponse)
		if n == 1 {
			<-closeNow
			conn.Close()
			close(closed)
		}
	})
	c := newClient(t)
	sp := spec(t, srv.URL(), `{name: p, method: POST, url: "${base}/x", body: "a"}`)
	mustOK(t, do(c, sp), 200)
	close(closeNow)
	<-closed
	time.Sleep(5 * time.Millisecond)
	mustOK(t, do(c, sp), 200)
	if n := srv.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// A response header larger than the pooled 4 KiB reader is read whole.
func TestHTTPLargeHeader(t *testing.T) {
	cookie := strings.Repeat("c", 20000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "big="+cookie)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := newClient(t)
	sp := spec(t, srv.URL, `{name: h, url: "${base}/"}`)
	for range 3 {
		var res Result
		c.Do(sp, &Input{Scope: noScope{}, Funcs: scenario.NewFuncEnv(1)}, &res)
		if res.Fail != nil || res.Status != 200 || len(res.Header.Peek("Set-Cookie")) != len(cookie)+4 || string(res.Body) != "ok" {
			t.Fatalf("fail %v, status %d, cookie %d bytes", res.Fail, res.Status, len(res.Header.Peek("Set-Cookie")))
		}
	}
}

// A redirect to another origin leaves credentials and a Host override
// behind; one to the same origin keeps them.
func TestHTTPRedirectDropsCredentialsAcrossOrigins(t *testing.T) {
	seen := make(chan string, 4)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- "other auth=" + r.Header.Get("Authorization") + " cookie=" + r.Header.Get("Cookie") + " host=" + r.Host
	}))
	defer other.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/end", http.StatusFound)
		default:
			seen <- "same auth=" + r.Header.Get("Authorization")
		}
	}))
	defer first.Close()
	c := newClient(t)
	sp := specs(t, first.URL,
		`{name: a, url: "${base}/away", headers: {Authorization: "Bearer SECRET", Cookie: "s=1", Host: "api.internal"}}`,
		`{name: b, url: "${base}/here", headers: {Authorization: "Bearer SECRET"}}`)
	mustOK(t, do(c, sp[0]), 200)
	if got := <-seen; got != "other auth= cookie= host="+strings.TrimPrefix(other.URL, "http://") {
		t.Errorf("cross-origin hop: %s", got)
	}
	mustOK(t, do(c, sp[1]), 200)
	if got := <-seen; got != "same auth=Bearer SECRET" {
		t.Errorf("same-origin hop: %s", got)
	}
}

// A URL rendered from variables must be http(s) with a host; nothing else
// is sent, and the message does not quote the URL.
func TestHTTPInvalidRenderedURL(t *testing.T) {
	_, conns := countingServer(t, okHandler(), false)
	c := newClient(t)
	f, err := scenario.Parse("t.yaml", []byte("name: t\nvariables: {v: [x]}\ncases:\n  - name: c\n    steps: [{http: {name: u, url: \"${v}/ok\"}}]\n    stages: [{concurrency: 1, count: 1}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Compile(f, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp := plan.Cases[0].Steps[0].(*scenario.RequestNode).Spec.(*scenario.HTTPSpec)
	for _, v := range []string{"127.0.0.1:1", "ftp://secret-host", "http:///nohost", ""} {
		var res Result
		c.Do(sp, &Input{Scope: valueScope(v), Funcs: scenario.NewFuncEnv(1)}, &res)
		if res.Fail == nil || res.Fail.Outcome != metrics.Other || strings.Contains(res.Fail.Msg, "secret") {
			t.Errorf("url %q: %+v", v, res.Fail)
		}
	}
	if conns.Load() != 0 {
		t.Errorf("an invalid URL reached a server")
	}
}

// An IPv6 loopback URL dials [::1].
func TestHTTPIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: okHandler()}}
	srv.Start()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	c := newClient(t)
	mustOK(t, do(c, spec(t, "http://[::1]:"+port, `{name: v6, url: "${base}/"}`)), 200)
}
