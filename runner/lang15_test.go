package runner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/metrics"
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
