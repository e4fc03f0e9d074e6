package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perfcase/perfcase/metrics"
)

// HTTP/2 requests (version "2") run through the same checks, extraction
// and failure buckets as HTTP/1.1's, over h2c with prior knowledge and h2
// over TLS, one connection per VU.
func TestHTTP2Requests(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "h2c", true: "h2"}[tlsOn], func(t *testing.T) {
			var conns atomic.Int64
			var h1 atomic.Int64
			tg := newTargetWith(t, func(s *httptest.Server) {
				s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
					if st == http.StateNew {
						conns.Add(1)
					}
				}
				inner := s.Config.Handler
				s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.ProtoMajor != 2 {
						h1.Add(1)
					}
					inner.ServeHTTP(w, r)
				})
				if tlsOn {
					s.EnableHTTP2 = true
					s.StartTLS()
					return
				}
				var p http.Protocols
				p.SetUnencryptedHTTP2(true)
				s.Config.Protocols = &p
				s.Start()
			})
			plan := compile(t, fmt.Sprintf(`
name: h2
cases:
  - name: c
    steps:
      - http: {name: login, method: POST, url: "${base}/login", version: "2", json: {user: "u${__VU}"}, tls_verify: false}
        check: [status == 200, 'header("Content-Type") == "application/json"']
        extract: {token: {jsonpath: $.token}, sku: {jsonpath: "$.items[1].sku"}}
      - http: {name: record, method: POST, url: "${base}/record?t=${token}", version: "2", body: "${sku}", tls_verify: false}
        check: ['jsonpath("$.count") == 3']
      - http: {name: bad, url: "${base}/status/503", version: "2", tls_verify: false}
        continue_on_failure: true
      - http: {name: hang, url: "${base}/hang", version: "2", timeout: 150ms, tls_verify: false}
        continue_on_failure: true
      - http: {name: parse, url: "${base}/ok", version: "2", tls_verify: false}
        extract: {x: {regex: "nothing-(here)", group: 1}}
        continue_on_failure: true
      - http: {name: refused, url: "http://%s/", version: "2"}
    stages: [{concurrency: 2, count: 4}]
`, refusingAddr(t)), tg.URL, nil)
			run := Run(context.Background(), plan, Options{})
			c := run.Cases[0]
			want := map[string]metrics.Outcome{"login": metrics.Success, "record": metrics.Success, "bad": metrics.CheckFailed,
				"hang": metrics.Timeout, "parse": metrics.ParseFailed, "refused": metrics.Refused}
			for name, o := range want {
				if s := series(t, c, name); s.Count != 4 || s.Outcomes[o] != 4 {
					t.Errorf("%s: count %d, outcomes %v; want all 4 in %v", name, s.Count, s.Outcomes, o)
				}
			}
			for _, e := range tg.entries() {
				if !strings.HasPrefix(e, "POST /record?t=tok-u") || !strings.HasSuffix(e, "body=B-2") {
					t.Errorf("the server got %q", e)
				}
			}
			if n := len(tg.entries()); n != 4 {
				t.Errorf("%d recorded requests, want 4", n)
			}
			if n := h1.Load(); n != 0 {
				t.Errorf("%d requests came over HTTP/1.x", n)
			}
			if n := conns.Load(); n != 2 {
				t.Errorf("%d connections for 2 VUs, want 2", n)
			}
			if c.Protocols[0] != "HTTP" {
				t.Errorf("protocols %v", c.Protocols)
			}
		})
	}
}
