package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

// Each VU sees its own number, from 1, and its own pass number, from 0,
// in templates and in expressions; setup runs before pass 0. Each VU
// sends its setup and 3 passes, then thinks for the rest of the stage.
func TestVUAndIterationNumbers(t *testing.T) {
	plan := compile(t, `
name: numbers
cases:
  - name: c
    setup:
      - http: {name: setup, method: POST, url: "${base}/record", body: "setup ${__VU} ${__ITER}"}
    steps:
      - set:
          parity: {expr: '__VU % 2 == 0 ? "even" : "odd"'}
          next: {expr: "__ITER + 1"}
      - if: __ITER < 3
        steps:
          - http: {name: pass, method: POST, url: "${base}/record?vu=${__VU}", body: "${__VU} ${__ITER} ${parity} ${next}"}
        else: [{think: 10s}]
    stages:
      - {concurrency: 3, duration: 30s}
`, "http://mem", nil)
	var log reqLog
	fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	setups := map[string]bool{}
	passes := map[string]bool{}
	for _, r := range log.all() {
		body := r.body
		if strings.HasPrefix(body, "setup ") {
			setups[body] = true
			continue
		}
		passes[body] = true
		var vu, iter int
		var parity string
		var next int
		if _, err := fmt.Sscanf(body, "%d %d %s %d", &vu, &iter, &parity, &next); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if !strings.HasSuffix(r.target, fmt.Sprintf("?vu=%d", vu)) {
			t.Errorf("the URL and the body disagree on the VU number: %s %q", r.target, body)
		}
		if want := map[bool]string{true: "even", false: "odd"}[vu%2 == 0]; parity != want || next != iter+1 {
			t.Errorf("body %q: expressions gave parity %s and next %d, want %s and %d", body, parity, next, want, iter+1)
		}
	}
	for vu := 1; vu <= 3; vu++ {
		if !setups[fmt.Sprintf("setup %d 0", vu)] {
			t.Errorf("no setup from VU %d with pass number 0; setups %v", vu, setups)
		}
		for iter := range 3 {
			parity := map[bool]string{true: "even", false: "odd"}[vu%2 == 0]
			if key := fmt.Sprintf("%d %d %s %d", vu, iter, parity, iter+1); !passes[key] {
				t.Errorf("no request %q; got %v", key, passes)
			}
		}
	}
	if n := len(log.all()); len(setups) != 3 || len(passes) != 9 || n != 12 {
		t.Errorf("%d setups and %d distinct passes in %d requests, want 3, 9 and 12", len(setups), len(passes), n)
	}
}

// counter is a real HTTP server on 127.0.0.1 that counts the requests to
// each path: /status/N answers N, /reset cuts its response short.
type counter struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newCounter(t *testing.T) *counter {
	t.Helper()
	c := &counter{hits: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits[r.URL.Path]++
		c.mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/status/"):
			code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
			w.WriteHeader(code)
		case r.URL.Path == "/reset":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"))
			conn.Close()
		default:
			io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *counter) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[path]
}

// onFakeClock runs one pass of a case's steps by one VU in a synctest
// bubble, against servers started outside it: the time a pass spends
// waiting (think, retry intervals) is then exact. It returns how long the
// pass took on the bubble's clock and how it ended.
func onFakeClock(t *testing.T, steps, base string) (time.Duration, metrics.Outcome) {
	t.Helper()
	var took time.Duration
	var out metrics.Outcome
	synctest.Test(t, func(t *testing.T) {
		plan := compile(t, "name: fake\ncases:\n  - name: c\n    steps:\n"+steps+"\n    stages: [{concurrency: 1, duration: 1s}]\n", base, nil)
		c := newCaseRun(plan.Cases[0], &Options{}, 1)
		c.rec = metrics.NewRecorder(c.series, 1, time.Now())
		v := newVU(c, 0)
		defer v.closeDrivers()
		start := time.Now()
		v.pass = acc{}
		v.exec(plan.Cases[0].Steps)
		took, out = time.Since(start), v.pass.outcome
	})
	return took, out
}

// retry's on: says which failures are re-sent; without it, every failure
// is (PerfTest's "until it succeeds"). A retried request is sent 1+count
// times, interval apart; one not retried is sent once. (The /status/2xx
// replies have no body, so the extraction finds nothing: a parse failure.)
func TestRetryOn(t *testing.T) {
	srv := newCounter(t)
	refused := "http://" + refusingAddr(t) + "/"
	tests := []struct {
		name, url, on string
		path          string // the path whose hits the server counts
		want          metrics.Outcome
		retried       bool
	}{
		{"check failure, on check", "${base}/status/500", "on: [check]", "/status/500", metrics.CheckFailed, true},
		{"check failure, on transport failures", "${base}/status/501", "on: [timeout, refused, reset, other]", "/status/501", metrics.CheckFailed, false},
		{"check failure, default", "${base}/status/502", "", "/status/502", metrics.CheckFailed, true},
		{"refused, on refused", refused, "on: refused", "", metrics.Refused, true},
		{"refused, on check", refused, "on: [check, parse, timeout, reset, other]", "", metrics.Refused, false},
		{"refused, default", refused, "", "", metrics.Refused, true},
		{"reset, on reset", "${base}/reset", "on: [reset]", "/reset", metrics.Other, true},
		{"reset, on other", "${base}/reset", "on: [other]", "/reset", metrics.Other, false},
		{"nothing extracted, on parse", "${base}/status/200", "on: [parse]", "/status/200", metrics.ParseFailed, true},
		{"nothing extracted, on check", "${base}/status/201", "on: [check]", "/status/201", metrics.ParseFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.count(tt.path)
			on := ""
			if tt.on != "" {
				on = ", " + tt.on
			}
			took, out := onFakeClock(t, fmt.Sprintf(`      - http: {name: r, url: "%s"}
        extract: {z: {regex: "^ok$"}}
        retry: {count: 3, interval: 100ms%s}`, tt.url, on), srv.URL)
			sends, wait := 1, time.Duration(0)
			if tt.retried {
				sends, wait = 4, 300*time.Millisecond
			}
			if out != tt.want || took != wait {
				t.Errorf("outcome %v after %v, want %v after %v", out, took, tt.want, wait)
			}
			if tt.path != "" {
				if got := srv.count(tt.path) - before; got != sends {
					t.Errorf("the server saw %d requests, want %d", got, sends)
				}
			}
		})
	}
}

// Rounded set arithmetic reaches the target decimal-exact; an unrounded
// expression keeps float64's value.
func TestExactSetReachesTarget(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: exact
variables: {a: "0.1", b: "0.2"}
cases:
  - name: c
    steps:
      - set:
          total: {expr: "1.005 * 3", round: half_up, scale: 2}
          added: {expr: "float(a) + float(b)", round: ceiling, scale: 1}
          third: {expr: "1 / 3", scale: 4}
          raw: {expr: "float(a) + float(b)"}
      - http: {name: rec, method: POST, url: "${base}/record", body: "${total} ${added} ${third} ${raw}"}
    stages:
      - {concurrency: 1, count: 1}
`, tg.URL, nil)
	Run(context.Background(), plan, Options{})
	got := tg.entries()
	if len(got) != 1 || !strings.HasSuffix(got[0], "body=3.02 0.3 0.3333 0.30000000000000004") {
		t.Errorf("the target saw %q", got)
	}
}

// rowsCSV is a one-column CSV of n rows r0 … r(n-1).
func rowsCSV(n int) string {
	var b strings.Builder
	b.WriteString("id\n")
	for i := range n {
		fmt.Fprintf(&b, "r%d\n", i)
	}
	return b.String()
}

// rowCounts counts the bodies of the requests to /record, by row.
func rowCounts(l *reqLog) map[string]int {
	seen := map[string]int{}
	for _, r := range l.all() {
		if strings.HasSuffix(r.target, "/record") {
			seen[r.body]++
		}
	}
	return seen
}

// on_end: stop with share: case uses each row once across the VUs: the
// target serves exactly one pass per row, then every VU stops and the
// case ends long before its 30 s.
func TestRowsStopCaseShare(t *testing.T) {
	for _, stage := range []string{
		"{concurrency: 6, duration: 30s}",
		"{concurrency: 4, count: 1000}",
		"{tps: 200, duration: 30s}",
		"{tps: 200, count: 1000, max_vus: 3}",
	} {
		t.Run(stage, func(t *testing.T) {
			var log reqLog
			plan := compile(t, `
name: rows
variables:
  row: {type: file, path: rows.csv, on_end: stop}
cases:
  - name: c
    steps:
      - http: {name: rec, method: POST, url: "${base}/record", body: "${row.id}"}
    stages:
      - `+stage+`
      - {concurrency: 2, duration: 30s}
`, "http://mem", map[string]string{"rows.csv": rowsCSV(60)})
			run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
			if run.Status != metrics.Completed {
				t.Fatalf("status %v (%s), want completed", run.Status, run.Reason)
			}
			c := run.Cases[0]
			seen := rowCounts(&log)
			for i := range 60 {
				if n := seen[fmt.Sprintf("r%d", i)]; n != 1 {
					t.Errorf("row r%d served %d times, want once", i, n)
				}
			}
			if len(seen) != 60 {
				t.Errorf("the target served %d distinct bodies, want the 60 rows", len(seen))
			}
			if s := series(t, c, "c"); s.Count != 60 || s.Outcomes[metrics.Success] != 60 {
				t.Errorf("passes %d (outcomes %v), want 60 successful", s.Count, s.Outcomes)
			}
			if c.RowsOut != "row" {
				t.Errorf("RowsOut = %q, want row", c.RowsOut)
			}
			if len(c.Stages) != 1 || c.Stages[0].End.Sub(c.Stages[0].Start) >= 30*time.Second {
				t.Errorf("stages run %+v: want the first only, ended early", c.Stages)
			}
		})
	}
}

// With share: vu each VU reads the file once through, then stops.
func TestRowsStopVUShare(t *testing.T) {
	var log reqLog
	plan := compile(t, `
name: rows
variables:
  row: {type: file, path: rows.csv, share: vu, on_end: stop}
cases:
  - name: c
    steps:
      - http: {name: rec, method: POST, url: "${base}/record", body: "${row.id}"}
    stages:
      - {concurrency: 3, duration: 30s}
`, "http://mem", map[string]string{"rows.csv": rowsCSV(5)})
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	seen := rowCounts(&log)
	for i := range 5 {
		if n := seen[fmt.Sprintf("r%d", i)]; n != 3 {
			t.Errorf("row r%d served %d times, want once per VU (3)", i, n)
		}
	}
	if c := run.Cases[0]; c.RowsOut != "row" || c.Stats.Duration() >= 30*time.Second {
		t.Errorf("RowsOut %q after %v: want the case ended early by row", c.RowsOut, c.Stats.Duration())
	}
}

// A VU that read its row once keeps it; VUs that found none stop before
// their first pass, setup included. The case then runs its stage out.
func TestRowsStopOnce(t *testing.T) {
	var log reqLog
	plan := compile(t, `
name: rows
variables:
  acct: {type: file, path: rows.csv, once: true, on_end: stop}
cases:
  - name: c
    setup:
      - http: {name: login, method: POST, url: "${base}/record", body: "login ${acct.id}"}
    steps:
      - http: {name: rec, url: "${base}/ok"}
      - think: 10ms
    stages:
      - {concurrency: 5, duration: 300ms}
`, "http://mem", map[string]string{"rows.csv": rowsCSV(3)})
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	seen := rowCounts(&log)
	if len(seen) != 3 || seen["login r0"] != 1 || seen["login r1"] != 1 || seen["login r2"] != 1 {
		t.Errorf("logins %v, want r0, r1 and r2 once each", seen)
	}
	c := run.Cases[0]
	if c.RowsOut != "" {
		t.Errorf("RowsOut = %q: three VUs kept their rows, the case was not over", c.RowsOut)
	}
	// Each sends its 1 ms login, then a 1 ms request every 11 ms: at 1,
	// 12, …, 298 ms, 28 in the 300 ms stage.
	if s := series(t, c, "rec"); s.Count != 3*28 {
		t.Errorf("the three VUs with a row sent %d requests, want 84", s.Count)
	}
}

// A variable a case never reads does not stop it, nor does its cursor
// move for it.
func TestRowsStopOnlyWhereRead(t *testing.T) {
	var log reqLog
	plan := compile(t, `
name: rows
variables:
  row: {type: file, path: rows.csv, on_end: stop}
cases:
  - name: other
    steps:
      - http: {name: ok, url: "${base}/ok"}
    stages:
      - {concurrency: 2, count: 10}
  - name: reader
    steps:
      - http: {name: rec, method: POST, url: "${base}/record", body: "${row.id}"}
    stages:
      - {concurrency: 1, duration: 30s}
`, "http://mem", map[string]string{"rows.csv": rowsCSV(2)})
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	if s := series(t, run.Cases[0], "ok"); s.Count != 10 || run.Cases[0].RowsOut != "" {
		t.Errorf("the case that never reads row sent %d requests (RowsOut %q), want 10", s.Count, run.Cases[0].RowsOut)
	}
	if seen := rowCounts(&log); len(seen) != 2 || seen["r0"] != 1 || seen["r1"] != 1 || run.Cases[1].RowsOut != "row" {
		t.Errorf("the reader saw %v (RowsOut %q), want r0 and r1 once", seen, run.Cases[1].RowsOut)
	}
}

// cookieTarget is a real HTTP server on 127.0.0.1: POST /login?user=U
// sets the cookie session=s-U, and any other path answers with the
// Cookie header it received (and logs it).
func cookieTarget(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			w.Header().Add("Set-Cookie", "session=s-"+r.URL.Query().Get("user")+"; Path=/; HttpOnly")
			return
		}
		mu.Lock()
		seen = append(seen, r.URL.RequestURI()+" "+r.Header.Get("Cookie"))
		mu.Unlock()
		io.WriteString(w, r.Header.Get("Cookie"))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// Each VU keeps the cookies its responses set, across passes, like a
// browser session: a login in setup is sent by every pass after it, is
// readable with cookie(), and cookies: clear forgets it. cookies: false
// keeps none and sends only the scenario's own Cookie header. (Each VU
// makes exactly three passes: a file of three rows read per VU, on_end:
// stop.)
func TestCookieJarPerVU(t *testing.T) {
	srv, seen := cookieTarget(t)
	plan := compile(t, `
name: jar
variables:
  pass: {path: passes.csv, share: vu, on_end: stop}
cases:
  - name: browser
    setup:
      - http: {name: login, method: POST, url: "${base}/login?user=u${__VU}"}
    steps:
      - http: {name: home, url: "${base}/home?vu=${__VU}&pass=${pass}"}
        check: 'body == "session=s-u" + string(__VU)'
        continue_on_failure: true
      - set: {sid: {expr: 'cookie("session")'}}
      - http: {name: sid, url: "${base}/sid?vu=${__VU}&pass=${pass}&sid=${sid}"}
      - if: __ITER == 1
        steps: [{cookies: clear}]
    stages:
      - {concurrency: 2, duration: 30s}
  - name: no-jar
    cookies: false
    setup:
      - http: {name: login2, method: POST, url: "${base}/login?user=x"}
    steps:
      - http: {name: plain, url: "${base}/plain", headers: {Cookie: "mine=1"}}
    stages:
      - {concurrency: 1, count: 2}
`, srv.URL, map[string]string{"passes.csv": "n\n0\n1\n2\n"})
	run := Run(context.Background(), plan, Options{})
	var want []string
	for vu := 1; vu <= 2; vu++ {
		for pass := range 3 {
			cookie, sid := fmt.Sprintf("session=s-u%d", vu), fmt.Sprintf("s-u%d", vu)
			if pass == 2 {
				cookie, sid = "", "" // cleared at the end of pass 1
			}
			want = append(want, fmt.Sprintf("/home?vu=%d&pass=%d %s", vu, pass, cookie), fmt.Sprintf("/sid?vu=%d&pass=%d&sid=%s %s", vu, pass, sid, cookie))
		}
	}
	want = append(want, "/plain mine=1", "/plain mine=1")
	got := seen()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the target saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := series(t, run.Cases[0], "home"); s.Outcomes[metrics.Success] != 4 || s.Outcomes[metrics.CheckFailed] != 2 {
		t.Errorf("home: outcomes %v; want each VU's first two passes to succeed and its third to fail", s.Outcomes)
	}
}
