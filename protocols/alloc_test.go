//go:build !race

package protocols

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/perfcase/perfcase/scenario"
)

// quietServer answers every request on a connection with the same
// response and allocates nothing per request, so that AllocsPerRun, which
// counts the whole process, measures the client alone.
func quietServer(t *testing.T) string {
	t.Helper()
	return quietServerReplying(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
}

// quietServerReplying is quietServer with another reply.
func quietServerReplying(t *testing.T, reply string) string {
	t.Helper()
	return newRaw(t, func(_ int64, conn net.Conn) {
		resp := []byte(reply)
		buf := make([]byte, 64<<10)
		n := 0
		for {
			m, err := conn.Read(buf[n:])
			if err != nil {
				return
			}
			n += m
			for {
				end := bytes.Index(buf[:n], []byte("\r\n\r\n"))
				if end < 0 {
					break
				}
				size := end + 4 + contentLength(buf[:end])
				if size > n {
					break
				}
				if _, err := conn.Write(resp); err != nil {
					return
				}
				n = copy(buf, buf[size:n])
			}
			if n == len(buf) {
				return
			}
		}
	}).URL()
}

// contentLength reads the Content-Length of a request head as perfcase
// writes it, without allocating.
func contentLength(head []byte) int {
	key := []byte("\r\nContent-Length: ")
	i := bytes.Index(head, key)
	if i < 0 {
		return 0
	}
	n := 0
	for _, ch := range head[i+len(key):] {
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

// compileWith compiles one http: step with a list variable v, so that a
// ${v} in it is rendered per request rather than inlined.
func compileWith(t *testing.T, base, h string) *scenario.HTTPSpec {
	t.Helper()
	f, err := scenario.Parse("t.yaml", []byte("name: t\nvariables:\n  v: [a, b]\ncases:\n  - name: c\n    steps:\n      - http: "+h+"\n    stages: [{concurrency: 1, count: 1}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Compile(f, scenario.Options{Set: map[string]string{"base": base}, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	sp := plan.Cases[0].Steps[0].(*scenario.RequestNode).Spec.(*scenario.HTTPSpec)
	if sp.URL.IsStatic() {
		t.Fatalf("url %q was inlined; the test wants it rendered", sp.URL.Src)
	}
	return sp
}

// 11. A steady-state request on a kept-alive connection allocates nothing.
func TestHTTPDoAllocs(t *testing.T) {
	base := quietServer(t)
	for _, tc := range []struct{ name, http string }{
		{"get", `{name: r, url: "${base}/ok/${v}?id=${v}"}`},
		{"get query headers", `{name: r, url: "${base}/ok/${v}", query: {q: "${v} x"}, headers: {X-Id: "${v}", Accept: "*/*"}}`},
		{"post json", `{name: r, method: POST, url: "${base}/ok/${v}", json: {user: "${v}", n: 1}}`},
		{"post form", `{name: r, method: POST, url: "${base}/ok/${v}", form: {user: "${v}", n: "1 2"}}`},
		{"post multipart", `{name: r, method: POST, url: "${base}/ok/${v}", multipart: {user: "${v}"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := compileWith(t, base, tc.http)
			var c Session = newHTTP(Config{Ctx: context.Background(), Seed: 1})
			defer c.Close()
			in := Input{Scope: valueScope("user-42"), Funcs: scenario.NewFuncEnv(1)}
			var res Result
			run := func() {
				c.Do(sp, &in, &res)
				if res.Fail != nil || res.Status != 200 {
					t.Fatalf("fail %v, status %d", res.Fail, res.Status)
				}
				c.Release()
			}
			for range 50 {
				run()
			}
			c.Do(sp, &in, &res)
			if !bytes.Contains(res.URL, []byte("/ok/user-42")) {
				t.Errorf("url %q was not rendered", res.URL)
			}
			if n := testing.AllocsPerRun(200, run); n != 0 {
				t.Errorf("%v allocations per request, want 0", n)
			}
			if n := len(c.(*httpSession).conns); n != 1 {
				t.Errorf("%d connections, want 1", n)
			}
		})
	}
}

// A VU whose jar holds steady cookies sends them without allocating, and
// so does one whose server sets the same cookies on every response.
func TestHTTPDoCookieAllocs(t *testing.T) {
	setting := quietServerReplying(t, "HTTP/1.1 200 OK\r\nSet-Cookie: session=abc; Path=/; HttpOnly\r\nSet-Cookie: theme=dark; Path=/; Max-Age=3600\r\nContent-Length: 2\r\n\r\nok")
	quiet := quietServer(t)
	for _, tc := range []struct{ name, base string }{{"set on every response", setting}, {"steady", quiet}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newHTTP(Config{Ctx: context.Background(), Seed: 1, Jar: NewJar()})
			defer c.Close()
			var res Result
			fe := scenario.NewFuncEnv(1)
			c.Do(spec(t, setting, `{url: "${base}/login"}`), &Input{Scope: noScope{}, Funcs: fe}, &res)
			sp := compileWith(t, tc.base, `{name: r, url: "${base}/ok/${v}", headers: {Cookie: "lang=en"}}`)
			in := Input{Scope: valueScope("x"), Funcs: fe}
			run := func() {
				c.Do(sp, &in, &res)
				if res.Fail != nil || res.Status != 200 {
					t.Fatalf("fail %v, status %d", res.Fail, res.Status)
				}
			}
			for range 50 {
				run()
			}
			if got := string(c.req.Header.Peek("Cookie")); got != "lang=en; session=abc; theme=dark" {
				t.Errorf("the request carried Cookie %q", got)
			}
			c.Release()
			if n := testing.AllocsPerRun(200, func() { run(); c.Release() }); n != 0 {
				t.Errorf("%v allocations per request, want 0", n)
			}
			if c.jar.Len() != 2 {
				t.Errorf("the jar holds %d cookies, want 2", c.jar.Len())
			}
		})
	}
}
