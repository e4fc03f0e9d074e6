package runner

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/mem"
)

// queueServer answers /q?i=N with the header X-Queue-Ms: N and the body
// "fast" for an even N, "slow" for an odd one.
func queueServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		w.Header().Set("X-Queue-Ms", strconv.Itoa(i))
		if i%2 == 0 {
			w.Write([]byte("fast"))
		} else {
			w.Write([]byte("slow"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Custom metrics and soft checks, end to end against a real server: a
// server-reported time read from a header into a trend, a counter and a
// gauge; soft checks counted per request without failing it; the case's
// KPIs on the custom metrics judged; a value that is not a number ends
// its pass with a message.
func TestCustomMetricsAndSoftChecks(t *testing.T) {
	plan := compile(t, `
name: m
cases:
  - name: c
    steps:
      - http: {name: get, url: "${base}/q?i=${__ITER}"}
        soft_check: ['body contains "fast"', status == 200]
        extract: {q: {header: X-Queue-Ms}}
      - metric: {name: queue_ms, trend: q}
      - metric: {name: orders, counter: 2}
      - metric: {name: depth, gauge: "float(q) * 2"}
    stages: [{concurrency: 1, count: 10}]
    kpis: [queue_ms.max <= 9, queue_ms.avg < 4, orders.total == 20, depth.value == 18, queue_ms.count >= 10]
  - name: bad
    steps:
      - set: {v: abc}
      - metric: {name: queue_ms, trend: v}
      - http: {name: never, url: "${base}/q"}
    stages: [{concurrency: 1, count: 2}]
`, queueServer(t), nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if s := series(t, c, "get"); s.Count != 10 || s.Outcomes[metrics.Success] != 10 {
		t.Errorf("soft checks failed requests: %v", s.Outcomes)
	}
	q := c.Stats.Extra("queue_ms")
	if q == nil || q.N != 10 || q.Sum != 45000 || q.Min != 0 || q.Max != 9000 || !q.Custom {
		t.Errorf("queue_ms: %+v", q)
	}
	if o := c.Stats.Extra("orders"); o == nil || o.N != 10 || o.Sum != 20000 {
		t.Errorf("orders: %+v", o)
	}
	if d := c.Stats.Extra("depth"); d == nil || d.Last != 18000 || d.Max != 18000 {
		t.Errorf("depth: %+v", d)
	}
	soft := map[string][2]int64{}
	for _, x := range c.Stats.Extras {
		if x.Kind == metrics.Rate {
			soft[x.Series+": "+x.Name] = [2]int64{x.N, x.Sum}
		}
	}
	if got := soft[`get: body contains "fast"`]; got != [2]int64{10, 5} {
		t.Errorf("soft check body: %v evaluated/held, want 10/5 (%v)", got, soft)
	}
	if got := soft["get: status == 200"]; got != [2]int64{10, 10} {
		t.Errorf("soft check status: %v, want 10/10", got)
	}
	var verdicts []string
	for _, k := range c.KPIs {
		verdicts = append(verdicts, k.Source+"="+strconv.FormatBool(k.Pass)+"@"+strconv.FormatFloat(k.Observed, 'g', -1, 64))
	}
	want := "queue_ms.max <= 9=true@9,queue_ms.avg < 4=false@4.5,orders.total == 20=true@20,depth.value == 18=true@18,queue_ms.count >= 10=true@10"
	if got := strings.Join(verdicts, ","); got != want {
		t.Errorf("kpis %s\nwant %s", got, want)
	}
	if run.Verdict.State != metrics.VerdictFailed {
		t.Errorf("verdict %v: queue_ms.avg < 4 missed", run.Verdict.State)
	}

	bad := run.Cases[1]
	pass := series(t, bad, "bad")
	if pass.Count != 2 || pass.Outcomes[metrics.Other] != 2 || len(pass.Errors) == 0 || !strings.Contains(pass.Errors[0].Message, `metric queue_ms: "abc" is not a number`) {
		t.Errorf("a value that is not a number: %v %+v", pass.Outcomes, pass.Errors)
	}
	if s := series(t, bad, "never"); s.Count != 0 {
		t.Errorf("the pass went on after the metric failed")
	}
}

// A transaction called with arguments sets them as VU variables before
// its steps run: one flow, one timed series, different values; a call
// without arguments sees the values left by the last.
func TestTransactionArguments(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: args
transactions:
  login:
    - http: {name: signin, method: POST, url: "${base}/login", json: {user: "${user}"}}
      extract: {token: {jsonpath: $.token}}
    - http: {name: record, method: POST, url: "${base}/record", body: "${token}"}
cases:
  - name: c
    steps:
      - transaction: {name: login, with: {user: u1}}
      - transaction: {name: login, with: {user: "u${__VU}x"}}
      - transaction: login
    stages: [{concurrency: 1, count: 1}]
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	var bodies []string
	for _, e := range tg.entries() {
		_, body, _ := strings.Cut(e, "body=")
		bodies = append(bodies, body)
	}
	if got := strings.Join(bodies, " "); got != "tok-u1 tok-u1x tok-u1x" {
		t.Errorf("the server got %q", got)
	}
	if s := series(t, run.Cases[0], "login"); s.Kind != metrics.KindTransaction || s.Count != 3 || s.Outcomes[metrics.Success] != 3 {
		t.Errorf("transaction series: kind %v count %d %v", s.Kind, s.Count, s.Outcomes)
	}
}

// barrierServer answers /r/N once `want` requests are in flight at once
// (proof they were sent together), after N×20 ms, setting a cookie c_N,
// and /solo/N at once; it counts connections and notes the cookies the
// /r/ requests carried.
type barrierServer struct {
	url     string
	conns   atomic.Int64
	mu      sync.Mutex
	cookies []string
}

func newBarrierServer(t *testing.T, want int, h2 bool) *barrierServer {
	t.Helper()
	b := &barrierServer{}
	var inFlight atomic.Int64
	var mu sync.Mutex
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, solo := strings.CutPrefix(r.URL.Path, "/solo/"); solo {
			w.Write([]byte("solo " + n))
			return
		}
		if inFlight.Add(1) == int64(want) {
			mu.Lock()
			close(release)
			release = make(chan struct{})
			mu.Unlock()
		} else {
			mu.Lock()
			ch := release
			mu.Unlock()
			select {
			case <-ch:
			case <-time.After(3 * time.Second):
				inFlight.Add(-1)
				http.Error(w, "not sent together", 500)
				return
			}
		}
		inFlight.Add(-1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		time.Sleep(time.Duration(n) * 20 * time.Millisecond)
		b.mu.Lock()
		b.cookies = append(b.cookies, r.URL.Path+":"+r.Header.Get("Cookie"))
		b.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "c" + strconv.Itoa(n), Value: "v", Path: "/"})
		w.Write([]byte("r" + strconv.Itoa(n)))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			b.conns.Add(1)
		}
	}
	if h2 {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		srv.Config.Protocols = &p
	}
	srv.Start()
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// A together: step sends its requests at once, over HTTP/1.1 on a
// connection per lane kept across passes, over HTTP/2 as streams of the
// VU's one connection; each request is judged and timed, extraction and
// the cookie jar work across lanes, and the group is a transaction whose
// time is its slowest request's.
func TestTogether(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		conns   int64
	}{{"http1.1", "HTTP/1.1", 3}, {"h2c", "2", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBarrierServer(t, 3, tc.version == "2")
			plan := compile(t, `
name: together
cases:
  - name: c
    steps:
      - together:
          - http: {name: r1, url: "${base}/r/1", version: "`+tc.version+`"}
            check: body contains "r1"
          - http: {name: r2, url: "${base}/r/2", version: "`+tc.version+`"}
            extract: {got: {regex: "r(\\d)", group: 1}}
          - http: {name: r3, url: "${base}/r/3", version: "`+tc.version+`"}
            soft_check: body contains "r9"
        name: page
      - http: {name: after, url: "${base}/solo/${got}", version: "`+tc.version+`"}
        check: body contains "solo 2"
    stages: [{concurrency: 1, count: 3}]
`, b.url, nil)
			run := Run(context.Background(), plan, Options{})
			c := run.Cases[0]
			var slowest time.Duration
			for _, name := range []string{"r1", "r2", "r3"} {
				s := series(t, c, name)
				if s.Count != 3 || s.Outcomes[metrics.Success] != 3 {
					t.Fatalf("%s: count %d outcomes %v errors %+v", name, s.Count, s.Outcomes, s.Errors)
				}
				slowest = max(slowest, s.Max)
			}
			page := series(t, c, "page")
			if page.Kind != metrics.KindTransaction || page.Count != 3 || page.Outcomes[metrics.Success] != 3 {
				t.Errorf("the group: kind %v count %d %v", page.Kind, page.Count, page.Outcomes)
			}
			if page.Max != slowest || page.Min < 60*time.Millisecond {
				t.Errorf("the group's time: max %v min %v, want the slowest request's, %v, each at least r3's 60ms", page.Max, page.Min, slowest)
			}
			// The group's extraction is the next step's variable.
			if s := series(t, c, "after"); s.Outcomes[metrics.Success] != 3 {
				t.Errorf("the request after the group: %v %+v", s.Outcomes, s.Errors)
			}
			var soft *metrics.ExtraStats
			for _, x := range c.Stats.Extras {
				if x.Kind == metrics.Rate {
					soft = x
				}
			}
			if soft == nil || soft.N != 3 || soft.Sum != 0 {
				t.Errorf("soft check in a lane: %+v", soft)
			}
			if n := b.conns.Load(); n != tc.conns {
				t.Errorf("%d connections over 3 passes, want %d", n, tc.conns)
			}
			// The second pass's requests carry the cookies every lane's
			// response set in the first.
			b.mu.Lock()
			defer b.mu.Unlock()
			last := b.cookies[len(b.cookies)-1]
			for _, c := range []string{"c1=v", "c2=v", "c3=v"} {
				if !strings.Contains(last, c) {
					t.Errorf("the last request sent cookies %q, missing %s", last, c)
				}
			}
		})
	}
}

// When the grace period ends, the lanes' requests in flight are cut with
// the VU's: the run ends, and nothing cut is counted.
func TestTogetherCutAtGrace(t *testing.T) {
	for _, version := range []string{"HTTP/1.1", "2"} {
		t.Run(version, func(t *testing.T) {
			tg := newTargetWith(t, func(s *httptest.Server) {
				var p http.Protocols
				p.SetHTTP1(true)
				p.SetUnencryptedHTTP2(true)
				s.Config.Protocols = &p
				s.Start()
			})
			plan := compile(t, `
name: hang
cases:
  - name: c
    steps:
      - together:
          - http: {name: ok, url: "${base}/ok", version: "`+version+`"}
          - http: {name: hang, url: "${base}/hang", timeout: 30s, version: "`+version+`"}
          - http: {name: hang2, url: "${base}/hang", timeout: 30s, version: "`+version+`"}
    stages:
      - {concurrency: 2, duration: 200ms}
`, tg.URL, nil)
			start := time.Now()
			run := Run(context.Background(), plan, Options{Grace: 200 * time.Millisecond})
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("the run waited %v for hanging lanes", el)
			}
			for _, name := range []string{"hang", "hang2", "ok + hang + hang2"} {
				if s := series(t, run.Cases[0], name); s.Count != 0 {
					t.Errorf("%s: cut requests were counted: %d %v", name, s.Count, s.Outcomes)
				}
			}
		})
	}
}

// The test-wide before: steps run once, first, and every VU of every case
// and of the after: steps starts with what they extracted; the after:
// steps run once, last. Both are reported as cases of their own.
func TestBeforeAndAfter(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: hooks
before:
  - http: {name: login, method: POST, url: "${base}/login", json: {user: admin}}
    extract: {token: {jsonpath: $.token}}
after:
  - http: {name: cleanup, method: POST, url: "${base}/record?phase=after", body: "${token}"}
cases:
  - name: a
    steps:
      - http: {name: use, method: POST, url: "${base}/record?phase=a", body: "${token} vu ${__VU}"}
    stages: [{concurrency: 2, count: 4}]
  - name: b
    steps:
      - set: {token: "own"}
      - http: {name: use, method: POST, url: "${base}/record?phase=b", body: "${token}"}
    stages: [{concurrency: 1, count: 1}]
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	if run.Status != metrics.Completed {
		t.Fatalf("status %v %s", run.Status, run.Reason)
	}
	var got []string
	for _, e := range tg.entries() {
		got = append(got, strings.TrimPrefix(e, "POST /record?"))
	}
	// Case a's 4 passes carry the token before: extracted; case b
	// overwrote its copy; after: still has before's.
	if len(got) != 6 || got[5] != "phase=after auth= ct= body=tok-admin" || got[4] != "phase=b auth= ct= body=own" {
		t.Fatalf("the server got:\n%s", strings.Join(got, "\n"))
	}
	for _, e := range got[:4] {
		if !strings.HasPrefix(e, "phase=a auth= ct= body=tok-admin vu ") {
			t.Errorf("case a sent %q", e)
		}
	}
	var roles []string
	for _, c := range run.Cases {
		roles = append(roles, c.Role+":"+c.Stats.Name)
	}
	if strings.Join(roles, " ") != "before:before :a :b after:after" {
		t.Errorf("cases %v", roles)
	}
	if s := series(t, run.Cases[0], "login"); s.Count != 1 || s.Outcomes[metrics.Success] != 1 {
		t.Errorf("before: login %d %v", s.Count, s.Outcomes)
	}
}

// The after: steps run even when the cases were stopped, by a Ctrl-C or
// an SLA rule, within the grace period: an after: that outlasts it is
// cut, and a second Ctrl-C cuts it at once.
func TestAfterRunsWhenStopped(t *testing.T) {
	const scenario = `
name: stopped
after:
  - http: {name: cleanup, method: POST, url: "${base}/record", body: done}
  - http: {name: slow, url: "${base}/hang", timeout: 30s}
cases:
  - name: c
    steps:
      - http: {name: bad, url: "${base}/status/500"}
        continue_on_failure: true
      - think: 10ms
    stages: [{concurrency: 1, duration: 30s}]
    sla: [{kpi: error_rate < 50, window: 1s, action: stop}]
`
	for _, tc := range []struct {
		name  string
		sla   bool
		abort bool
	}{{"ctrl-c", false, false}, {"sla stop", true, false}, {"second ctrl-c", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTarget(t)
			src := scenario
			if !tc.sla {
				src = strings.Replace(src, "    sla: [{kpi: error_rate < 50, window: 1s, action: stop}]\n", "", 1)
			}
			plan := compile(t, src, tg.URL, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			abort := make(chan struct{})
			if !tc.sla {
				time.AfterFunc(300*time.Millisecond, cancel)
			}
			if tc.abort {
				// The second Ctrl-C comes while after: hangs, well before
				// its grace of 3 s ends.
				time.AfterFunc(800*time.Millisecond, func() { close(abort) })
			}
			grace := time.Second
			if tc.abort {
				grace = 3 * time.Second
			}
			start := time.Now()
			run := Run(ctx, plan, Options{Grace: grace, Abort: abort})
			took := time.Since(start)
			if n := len(tg.entries()); n != 1 {
				t.Errorf("after: sent its cleanup %d times, want 1", n)
			}
			last := run.Cases[len(run.Cases)-1]
			if last.Role != "after" || series(t, last, "cleanup").Outcomes[metrics.Success] != 1 {
				t.Errorf("the last case %q (%q): %+v", last.Stats.Name, last.Role, last.Stats.Series)
			}
			if s := series(t, last, "slow"); s.Count != 0 {
				t.Errorf("the cut request was counted")
			}
			want := metrics.Interrupted
			if tc.sla {
				want = metrics.StoppedBySLA
			}
			if run.Status != want {
				t.Errorf("status %v, want %v", run.Status, want)
			}
			// Cut at the grace period (or at once by a second Ctrl-C):
			// well before the hanging request's 30 s timeout.
			if limit := map[bool]time.Duration{false: 10 * time.Second, true: 2500 * time.Millisecond}[tc.abort]; took > limit {
				t.Errorf("the run took %v, want under %v", took, limit)
			}
		})
	}
}

// On the fake clock: a Ctrl-C at 1.05 s stops the case once its request
// in flight ends (1.1 s); the after: steps then start, send their
// cleanup, and their hanging request is cut when the grace period (2 s)
// has passed since the Ctrl-C was heard by them: the run ends at 3.1 s.
// Without the Ctrl-C, the after: steps have no deadline.
func TestAfterGraceOnFakeClock(t *testing.T) {
	plan := compile(t, `
name: grace
after:
  - http: {name: cleanup, url: "${base}/clean"}
  - http: {name: slow, url: "${base}/hang", timeout: 2h}
cases:
  - name: c
    steps: [{http: {name: r, url: "${base}/work"}}]
    stages: [{concurrency: 1, duration: 10s}]
`, "http://mem", nil)
	var log reqLog
	h := log.handler(func(r *mem.Request) mem.Reply {
		switch {
		case strings.HasSuffix(r.Target, "/hang"):
			return mem.Reply{Status: 200, Latency: time.Hour}
		case strings.HasSuffix(r.Target, "/clean"):
			return mem.Reply{Status: 200, Latency: ms(10)}
		}
		return mem.Reply{Status: 200, Latency: ms(100)}
	})
	var run *metrics.Run
	var took time.Duration
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(ms(1050), cancel)
		run = Run(ctx, plan, Options{Grace: 2 * time.Second, Drivers: memHTTP(h)})
		took = at(time.Now())
	})
	var after []string
	for _, r := range log.all() {
		if !strings.HasSuffix(r.target, "/work") {
			after = append(after, r.target+"@"+r.at.String())
		}
	}
	if got := strings.Join(after, " "); got != "http://mem/clean@1.1s http://mem/hang@1.11s" {
		t.Errorf("after: requests %s", got)
	}
	if took != ms(3100) {
		t.Errorf("the run ended at %v, want 3.1s: 2s of grace after the case stopped", took)
	}
	if s := series(t, run.Cases[0], "r"); s.Count != 11 {
		t.Errorf("the case ran %d requests, want 11 (0 to 1.1 s)", s.Count)
	}
	if run.Status != metrics.Interrupted {
		t.Errorf("status %v", run.Status)
	}
}
