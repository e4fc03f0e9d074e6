package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
)

func TestCountModeSendsExactlyCount(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: count
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
    stages:
      - {concurrency: 8, count: 537}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	if got := tg.hits.Load(); got != 537 {
		t.Errorf("server counted %d requests, want exactly 537", got)
	}
	c := run.Cases[0]
	if s := series(t, c, "ok"); s.Count != 537 || s.Outcomes[metrics.Success] != 537 {
		t.Errorf("request series: count %d, successes %d", s.Count, s.Outcomes[metrics.Success])
	}
	if s := series(t, c, "c"); s.Count != 537 {
		t.Errorf("passes: %d, want 537", s.Count)
	}
	if c.Stats.MaxVUs != 8 && c.Stats.MaxVUs != 0 {
		t.Errorf("max VUs %d", c.Stats.MaxVUs)
	}
}

// Each kind of failure lands in exactly one bucket, and only there.
func TestFailureBuckets(t *testing.T) {
	tg := newTarget(t)
	refused := refusingAddr(t)
	plan := compile(t, fmt.Sprintf(`
name: buckets
cases:
  - name: c
    steps:
      - http: {name: refused, url: "http://%s/"}
        continue_on_failure: true
      - http: {name: hang, url: "${base}/hang", timeout: 150ms}
        continue_on_failure: true
      - http: {name: check, url: "${base}/status/503"}
        continue_on_failure: true
      - http: {name: check-expr, url: "${base}/ok"}
        check: body contains "nope"
        continue_on_failure: true
      - http: {name: extract, url: "${base}/ok"}
        extract: {x: {regex: "nothing-(here)", group: 1}}
        continue_on_failure: true
      - http: {name: reset, url: "${base}/reset"}
        continue_on_failure: true
      - http: {name: good, url: "${base}/ok"}
    stages:
      - {concurrency: 2, count: 6}
`, refused), tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	want := map[string]metrics.Outcome{
		"refused": metrics.Refused, "hang": metrics.Timeout, "check": metrics.CheckFailed,
		"check-expr": metrics.CheckFailed, "extract": metrics.ParseFailed, "reset": metrics.Other, "good": metrics.Success,
	}
	for name, o := range want {
		s := series(t, c, name)
		if s.Count != 6 || s.Outcomes[o] != 6 {
			t.Errorf("%s: count %d, outcomes %v; want all 6 in %v", name, s.Count, s.Outcomes, o)
		}
		if o != metrics.Success && (len(s.Errors) == 0 || s.Errors[0].Outcome != o) {
			t.Errorf("%s: kept errors %+v", name, s.Errors)
		}
	}
	if s := series(t, c, "hang"); s.Min < 150*time.Millisecond {
		t.Errorf("a timeout after 150ms measured %v", s.Min)
	}
	if s := series(t, c, "check"); s.Status[5] != 6 {
		t.Errorf("status classes %v, want 6 5xx", s.Status)
	}
	pass := series(t, c, "c")
	if pass.Count != 6 || pass.Outcomes[metrics.Refused] != 6 {
		t.Errorf("a pass fails with its first failure's bucket: %v", pass.Outcomes)
	}
	for _, name := range []string{"refused", "hang", "check", "extract", "reset"} {
		t.Logf("%s: %s", name, series(t, c, name).Errors[0].Message)
	}
}

// A failed request ends the pass unless it may continue.
func TestFailureEndsPass(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: end
cases:
  - name: c
    steps:
      - http: {name: bad, url: "${base}/status/404"}
      - http: {name: never, url: "${base}/ok"}
    stages:
      - {concurrency: 1, count: 3}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if s := series(t, c, "never"); s.Count != 0 {
		t.Errorf("the step after a failure ran %d times", s.Count)
	}
	if s := series(t, c, "bad"); s.Outcomes[metrics.CheckFailed] != 3 || s.Status[4] != 3 {
		t.Errorf("bad: %v %v", s.Outcomes, s.Status)
	}
}

// Every step kind runs: setup, extraction, transaction, loop and break,
// if/elif/else, set (once and every pass), think, every body kind, query,
// headers, redirects and retries.
func TestStepKinds(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: kinds
variables:
  user: [ann, bob]
transactions:
  buy:
    - http: {name: buy, method: POST, url: "${base}/record", form: {sku: "${sku}", note: "a b&c"}}
      check: {status: 200}
cases:
  - name: c
    setup:
      - http: {name: login, method: POST, url: "${base}/login", json: {user: "${user}"}}
        check: [status == 200, 'jsonpath("$.token") != ""']
        extract:
          token: {jsonpath: $.token}
          sku: {jsonpath: "$.items[?@.qty > 2].sku"}
    steps:
      - set: {n: "0"}
      - set: {tok1: "${token}"}
        once: true
      - loop: 5
        steps:
          - set: {n: {expr: int(n) + 1}}
          - break: int(n) >= 3
      - if: int(n) == 3
        steps:
          - http: {name: json, method: POST, url: "${base}/record", json: {n: "${n}", q: "say \"hi\""}, headers: {Authorization: "Bearer ${token}"}}
            extract: {seen: {header: X-Seen}}
        elif:
          - if: int(n) == 2
            steps: [{http: {name: wrong-branch, url: "${base}/ok"}}]
        else: [{http: {name: else-branch, url: "${base}/ok"}}]
      - think: 1ms
      - transaction: buy
      - http: {name: raw, method: PUT, url: "${base}/record", query: {q: "x y", first: "${tok1}"}, body: "len=${seen}", headers: {Content-Type: text/plain}}
      - http: {name: multi, method: POST, url: "${base}/record", multipart: {field: "v-${n}"}}
      - http: {name: redirect, url: "${base}/redirect"}
        check: {body: true, equals: ok}
      - http: {name: no-redirect, url: "${base}/redirect", redirects: false}
        check: {status: 302}
      - http: {name: retried, url: "${base}/status/500"}
        retry: {count: 2, interval: 1ms}
        continue_on_failure: true
    stages:
      - {concurrency: 1, count: 2}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	for _, s := range c.Stats.Series {
		t.Logf("%-12s count %d outcomes %v errors %+v", s.Name, s.Count, s.Outcomes, s.Errors)
	}
	if s := series(t, c, "login"); s.Count != 1 || s.Outcomes[0] != 1 {
		t.Errorf("setup runs once per VU and succeeds: %d, %v", s.Count, s.Outcomes)
	}
	for _, name := range []string{"json", "buy", "raw", "multi", "redirect", "no-redirect"} {
		if s := series(t, c, name); s.Count != 2 || s.Outcomes[0] != 2 {
			t.Errorf("%s: count %d outcomes %v errors %+v", name, s.Count, s.Outcomes, s.Errors)
		}
	}
	if s := series(t, c, "wrong-branch"); s.Count != 0 {
		t.Errorf("elif branch ran")
	}
	if s := series(t, c, "else-branch"); s.Count != 0 {
		t.Errorf("else branch ran")
	}
	if s := series(t, c, "retried"); s.Count != 2 || s.Outcomes[metrics.CheckFailed] != 2 {
		t.Errorf("only the last retry is counted: %d %v", s.Count, s.Outcomes)
	}
	if txn := series(t, c, "buy"); txn.Kind != metrics.KindRequest {
		t.Errorf("the request series")
	}
	var txn *metrics.Stats
	for _, s := range c.Stats.Series {
		if s.Kind == metrics.KindTransaction {
			txn = s
		}
	}
	if txn == nil || txn.Count != 2 || txn.Outcomes[0] != 2 {
		t.Errorf("transaction series %+v", txn)
	}
	got := tg.entries()
	sort.Strings(got)
	want := []string{
		`POST /record? auth= ct=application/x-www-form-urlencoded body=sku=B-2&note=a+b%26c`,
		`POST /record? auth= ct=application/x-www-form-urlencoded body=sku=B-2&note=a+b%26c`,
		`POST /record? auth=Bearer tok-ann ct=application/json body={"n":"3","q":"say \"hi\""}`,
		`POST /record? auth=Bearer tok-ann ct=application/json body={"n":"3","q":"say \"hi\""}`,
		`PUT /record?q=x+y&first=tok-ann auth= ct=text/plain body=len=26`,
		`PUT /record?q=x+y&first=tok-ann auth= ct=text/plain body=len=26`,
	}
	var plain, multi []string
	for _, g := range got {
		if strings.Contains(g, "multipart/form-data") {
			multi = append(multi, g)
		} else {
			plain = append(plain, g)
		}
	}
	if strings.Join(plain, "\n") != strings.Join(want, "\n") {
		t.Errorf("server saw:\n%s\nwant:\n%s", strings.Join(plain, "\n"), strings.Join(want, "\n"))
	}
	if len(multi) != 2 || !strings.Contains(multi[0], `name="field"`) || !strings.Contains(multi[0], "v-3") {
		t.Errorf("multipart: %q", multi)
	}
}

// Sequential case-share rows go to exactly one pass each; a VU-share
// variable read once gives every VU the first row.
func TestSequentialRows(t *testing.T) {
	tg := newTarget(t)
	var csv strings.Builder
	csv.WriteString("id\n")
	for i := range 60 {
		fmt.Fprintf(&csv, "r%d\n", i)
	}
	plan := compile(t, `
name: rows
variables:
  row: {type: file, path: rows.csv}
  mine: {type: file, path: rows.csv, share: vu, once: true}
cases:
  - name: c
    steps:
      - http: {name: rec, method: POST, url: "${base}/record", body: "${row.id} ${mine}"}
    stages:
      - {concurrency: 6, count: 60}
`, tg.URL, map[string]string{"rows.csv": csv.String()})
	Run(context.Background(), plan, Options{})
	seen := map[string]int{}
	for _, e := range tg.entries() {
		_, body, _ := strings.Cut(e, "body=")
		row, mine, _ := strings.Cut(body, " ")
		seen[row]++
		if mine != "r0" {
			t.Errorf("a VU-share variable read once starts at the first row: %q", mine)
		}
	}
	for i := range 60 {
		if n := seen[fmt.Sprintf("r%d", i)]; n != 1 {
			t.Errorf("row r%d sent %d times, want exactly once", i, n)
		}
	}
}

// Cancelling the context stops the run gracefully: the result holds what
// ran and says it was interrupted.
func TestInterruptKeepsResults(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: long
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
      - think: 5ms
    stages:
      - {concurrency: 2, duration: 1m}
`, tg.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	run := Run(ctx, plan, Options{})
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("an interrupted run took %v to stop", el)
	}
	if run.Status != metrics.Interrupted {
		t.Errorf("status %v", run.Status)
	}
	if s := series(t, run.Cases[0], "ok"); s.Count == 0 || s.Count != s.Outcomes[0] {
		t.Errorf("requests before the interrupt: %d, outcomes %v", s.Count, s.Outcomes)
	}
}

// A request still hanging when the run ends is cut after the grace period
// and not counted.
func TestGraceCutsHangingRequests(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: hang
cases:
  - name: c
    steps:
      - http: {name: hang, url: "${base}/hang", timeout: 30s}
    stages:
      - {concurrency: 3, duration: 200ms}
`, tg.URL, nil)
	start := time.Now()
	run := Run(context.Background(), plan, Options{Grace: 200 * time.Millisecond})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("the run waited %v for hanging requests", el)
	}
	if s := series(t, run.Cases[0], "hang"); s.Count != 0 {
		t.Errorf("cut requests were counted: %d %v", s.Count, s.Outcomes)
	}
	if run.Status != metrics.Completed {
		t.Errorf("a run that reached its end is complete: %v", run.Status)
	}
}

func TestKPIVerdicts(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: kpis
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
        kpis: [avg_rt < 10s]
    stages:
      - {concurrency: 2, count: 20}
    kpis: [success_rate >= 100, requests == 20, "tp99 < 0.001ms"]
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	got := map[string]bool{}
	for _, k := range run.Cases[0].KPIs {
		got[k.Source] = k.Pass
	}
	want := map[string]bool{"success_rate >= 100": true, "requests == 20": true, "tp99 < 0.001ms": false, "avg_rt < 10s": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: pass %v, want %v (all: %+v)", k, got[k], v, run.Cases[0].KPIs)
		}
	}
	if run.Passed() {
		t.Error("a failed KPI fails the run")
	}
}

// Stages run in order and the VU count follows them.
func TestStagesAndRamp(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: ramp
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
      - think: 2ms
    stages:
      - {name: up, concurrency: 4, start_vus: 1, ramp_up: 200ms, duration: 300ms}
      - {name: fixed, concurrency: 2, count: 40}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if len(c.Stages) != 2 || c.Stages[0].Name != "up" || c.Stages[1].Name != "fixed" || c.Stages[1].Start.Before(c.Stages[0].End) {
		t.Fatalf("stages %+v", c.Stages)
	}
	if d := c.Stages[0].End.Sub(c.Stages[0].Start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("a 300ms stage lasted %v", d)
	}
	if s := series(t, c, "ok"); s.Count < 40 {
		t.Errorf("requests %d", s.Count)
	}
}

// A task's cases run one after the other, or all at once with parallel.
func TestCasesSerialAndParallel(t *testing.T) {
	tg := newTarget(t)
	for _, parallel := range []bool{false, true} {
		plan := compile(t, fmt.Sprintf(`
name: task
parallel: %v
cases:
  - name: a
    steps: [{http: {name: a, url: "${base}/ok"}}, {think: 5ms}]
    stages: [{concurrency: 1, duration: 300ms}]
  - name: b
    steps: [{http: {name: b, url: "${base}/ok"}}, {think: 5ms}]
    stages: [{concurrency: 1, duration: 300ms}]
`, parallel), tg.URL, nil)
		run := Run(context.Background(), plan, Options{})
		if len(run.Cases) != 2 {
			t.Fatalf("%d cases", len(run.Cases))
		}
		a, b := run.Cases[0].Stats, run.Cases[1].Stats
		overlap := b.Start.Before(a.End)
		if overlap != parallel {
			t.Errorf("parallel %v: a %v-%v, b %v-%v", parallel, a.Start, a.End, b.Start, b.End)
		}
		if series(t, run.Cases[0], "a").Count == 0 || series(t, run.Cases[1], "b").Count == 0 {
			t.Errorf("parallel %v: a case sent nothing", parallel)
		}
	}
}

// Random reads stay within the values; sequential VU-share reads walk
// each VU's own copy from the start and wrap around.
func TestReadModes(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: modes
variables:
  r: {type: integer, min: 5, max: 7, mode: random}
  s: {type: list, values: [x, y, z], share: vu}
cases:
  - name: c
    steps:
      - http: {name: rec, method: POST, url: "${base}/record", body: "${r}${s}"}
    stages:
      - {concurrency: 1, count: 7}
`, tg.URL, nil)
	Run(context.Background(), plan, Options{Seed: 7})
	var seq string
	for _, e := range tg.entries() {
		_, body, _ := strings.Cut(e, "body=")
		if body[0] < '5' || body[0] > '7' {
			t.Errorf("random integer out of range: %q", body)
		}
		seq += body[1:]
	}
	if seq != "xyzxyzx" {
		t.Errorf("a VU's own sequence: %q, want xyzxyzx", seq)
	}
}

// Retries stop at the end of the run.
func TestRetriesStopWithTheRun(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: retry
cases:
  - name: c
    steps:
      - http: {name: bad, url: "${base}/status/500"}
        retry: {count: 100, interval: 20ms}
    stages:
      - {concurrency: 1, duration: 200ms}
`, tg.URL, nil)
	start := time.Now()
	run := Run(context.Background(), plan, Options{})
	if d := time.Since(start); d > time.Second {
		t.Errorf("a 200ms run with 100 retries 20ms apart took %v", d)
	}
	if s := series(t, run.Cases[0], "bad"); s.Count != 1 {
		t.Errorf("only the last attempt is counted: %d", s.Count)
	}
}

// A count stage counts only the passes it handed out, not those still
// running from the stage before.
func TestCountStageAfterDurationStage(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: epochs
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
      - think: 100ms
    stages:
      - {concurrency: 2, duration: 150ms}
      - {concurrency: 2, count: 6}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	st := run.Cases[0].Stages[1]
	// 6 passes of at least 100 ms on 2 VUs take at least 300 ms.
	if d := st.End.Sub(st.Start); d < 290*time.Millisecond {
		t.Errorf("the count stage ended after %v: it counted passes it did not hand out", d)
	}
}

// A condition that fails at run time fails the pass and every open
// transaction, with the expression (not a secret value) in the message.
func TestExpressionErrorFailsTransaction(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: expr
variables:
  key: {type: list, values: [TOPSECRET], sensitive: true}
transactions:
  t1:
    - http: {name: first, url: "${base}/ok"}
    - if: int(key) > 0
      steps: [{http: {name: never, url: "${base}/ok"}}]
cases:
  - name: c
    steps: [{transaction: t1}]
    stages: [{concurrency: 1, count: 3}]
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	var txn, pass *metrics.Stats
	for _, s := range c.Stats.Series {
		switch s.Kind {
		case metrics.KindTransaction:
			txn = s
		case metrics.KindCase:
			pass = s
		}
	}
	if txn.Count != 3 || txn.Outcomes[metrics.Other] != 3 || pass.Outcomes[metrics.Other] != 3 {
		t.Errorf("transaction %v, pass %v", txn.Outcomes, pass.Outcomes)
	}
	if len(pass.Errors) == 0 || strings.Contains(pass.Errors[0].Message, "TOPSECRET") || !strings.Contains(pass.Errors[0].Message, "int(key)") {
		t.Errorf("pass errors %+v", pass.Errors)
	}
}

// A TPS stage starts passes at the target rate, evenly, whatever the
// latency; the count is exact in count mode.
func TestTPSRate(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: tps
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}]
    stages:
      - {tps: 500, duration: 1s}
      - {tps: 400, count: 123}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if got := series(t, c, "ok").Count; got < 490+123 || got > 510+123 {
		t.Errorf("500/s for 1s then 123: %d passes", got)
	}
	if c.Missed != 0 || c.LatencyFrom != "intended_start" {
		t.Errorf("missed %d, latency from %q", c.Missed, c.LatencyFrom)
	}
	if d := c.Stages[1].End.Sub(c.Stages[1].Start); d < 250*time.Millisecond || d > time.Second {
		t.Errorf("123 passes at 400/s took %v", d)
	}
}

// When every VU up to the cap is busy, due passes are counted as missed,
// and the run goes on at the rate it can.
func TestTPSMissedStarts(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: missed
cases:
  - name: c
    steps: [{http: {name: slow, url: "${base}/hang", timeout: 100ms}, continue_on_failure: true}]
    stages:
      - {tps: 100, max_vus: 2, duration: 500ms}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	started := series(t, c, "slow").Count
	// 2 VUs each busy 100 ms start about 10 passes; the other ~40 are missed.
	if c.Missed < 30 || started > 14 || started+c.Missed < 45 || started+c.Missed > 51 {
		t.Errorf("started %d, missed %d", started, c.Missed)
	}
	if c.Stats.MaxVUs != 2 {
		t.Errorf("max VUs %d, want the cap 2", c.Stats.MaxVUs)
	}
}

// Surge and oscillation shapes drive the VU count and the rate.
func TestSurgeAndOscillation(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: waves
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}, {think: 10ms}]
    stages:
      - {surge_concurrency: {min: 1, max: 6, loops: 1, hold: 400ms}, duration: 1200ms}
      - {oscillate_tps: {min: 50, max: 250, loops: 1}, duration: 1s}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if c.Stats.MaxVUs < 6 {
		t.Errorf("the surge never reached 6 VUs: max %d", c.Stats.MaxVUs)
	}
	// The oscillation's mean rate is (50+250)/2 = 150/s over 1 s.
	var second int64
	for _, s := range c.Stats.Series {
		if s.Name == "ok" {
			for _, sec := range s.Seconds {
				second += int64(sec.Count)
			}
		}
	}
	if second < 100 {
		t.Errorf("%d requests", second)
	}
}

// A count stage sends exactly its count even when all its VUs start at
// once, and after a stage with another VU count.
func TestCountExactWithManyVUs(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: many
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}]
    stages:
      - {concurrency: 50, duration: 100ms}
      - {concurrency: 300, count: 300}
      - {concurrency: 7, count: 50}
`, tg.URL, nil)
	before := tg.hits.Load()
	run := Run(context.Background(), plan, Options{})
	first := run.Cases[0].Stats.Series[0].Count - 350
	if got := tg.hits.Load() - before; got != first+350 {
		t.Errorf("server saw %d requests, the first stage %d and the count stages 350", got, first)
	}
	pass := run.Cases[0].Stats.Series[1]
	if pass.Count != first+350 {
		t.Errorf("passes %d, want %d", pass.Count, first+350)
	}
}

// max_vus caps the passes in flight even when a bigger pool is left from
// an earlier stage.
func TestTPSCapAfterBiggerStage(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: cap
cases:
  - name: c
    steps: [{http: {name: slow, url: "${base}/hang", timeout: 100ms}, continue_on_failure: true}]
    stages:
      - {concurrency: 20, duration: 200ms}
      - {tps: 100, max_vus: 2, duration: 500ms}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	if c := run.Cases[0]; c.Missed < 30 {
		t.Errorf("missed %d starts: max_vus 2 was not enforced with 20 VUs in the pool", c.Missed)
	}
}

// A manual stage takes a new target; an impossible one is refused, and so
// is any change once the stage is over.
func TestManualRegulation(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: manual
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}, {think: 10ms}]
    stages:
      - {name: hand, concurrency: 1, duration: 600ms, manual: true}
      - {name: after, concurrency: 1, duration: 300ms}
`, tg.URL, nil)
	ctl := NewControl()
	done := make(chan *metrics.Run)
	go func() { done <- Run(context.Background(), plan, Options{Control: ctl}) }()
	time.Sleep(150 * time.Millisecond)
	if _, err := ctl.Set("", 1e9, "test"); err == nil || !strings.Contains(err.Error(), "over what this machine can hold") {
		t.Errorf("a target of 1e9 VUs: %v", err)
	}
	st, err := ctl.Set("c", 5, "test")
	if err != nil || st.Target != 5 {
		t.Fatalf("set 5: %+v %v", st, err)
	}
	time.Sleep(200 * time.Millisecond)
	if st := ctl.Status(); len(st) != 1 || st[0].VUs != 5 {
		t.Errorf("status %+v, want 5 VUs", st)
	}
	time.Sleep(400 * time.Millisecond) // into the stage that is not manual
	if _, err := ctl.Set("c", 3, "test"); err == nil {
		t.Errorf("a change to a stage that is not manual was taken")
	}
	run := <-done
	if ch := run.Cases[0].Changes; len(ch) != 1 || ch[0].Target != 5 || ch[0].Stage != "hand" || ch[0].By != "test" {
		t.Errorf("changes %+v", ch)
	}
	if run.Cases[0].Stats.MaxVUs != 5 {
		t.Errorf("max VUs %d", run.Cases[0].Stats.MaxVUs)
	}
}

// In an open model a rendezvous gathers its users as passes arrive.
func TestRendezvousInTPSStage(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: rv
cases:
  - name: c
    steps:
      - rendezvous: {name: r, users: 5, timeout: 2s}
      - http: {name: ok, url: "${base}/ok"}
    stages: [{tps: 100, count: 40}]
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	rv := run.Cases[0].Rendezvous
	if len(rv) != 1 || rv[0].Releases != 8 || rv[0].Timeouts != 0 {
		t.Errorf("rendezvous %+v, want 8 gatherings of 5", rv)
	}
}

// A failure's message never keeps a sensitive value, even when the value
// changes from pass to pass (a list read in turn) and the message quotes
// it lowercased (a DNS error names the host as resolved).
func TestSensitiveValuesMaskedInErrors(t *testing.T) {
	// Labels over 63 characters are not DNS names: the lookups fail at
	// once, without asking a server.
	a, b := "Alpha-"+strings.Repeat("A", 60), "Bravo-"+strings.Repeat("B", 60)
	plan := compile(t, `
name: secret-hosts
variables:
  host: {type: list, values: [`+a+`, `+b+`], sensitive: true}
cases:
  - name: c
    steps: [{http: {name: get, url: "http://${host}:1/"}}]
    stages: [{concurrency: 1, count: 4}]
`, "", nil)
	run := Run(context.Background(), plan, Options{})
	var get *metrics.Stats
	for _, s := range run.Cases[0].Stats.Series {
		if s.Name == "get" {
			get = s
		}
	}
	if get == nil || get.Count != 4 || len(get.Errors) != 1 {
		t.Fatalf("get: %+v", get)
	}
	if e := get.Errors[0]; e.Message != "connect to ***:1: cannot resolve ***" || e.Count != 4 {
		t.Errorf("kept error %+v", e)
	}
}
