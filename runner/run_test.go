package runner

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols/mem"
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
// ran and says it was interrupted. Two VUs each send a 1 ms request, then
// think 5 ms; cancelled at 301.5 ms, in the think of their 51st pass,
// each has sent 51 requests and completed 50 passes, and the run ends
// at once.
func TestInterruptKeepsResults(t *testing.T) {
	plan := compile(t, `
name: long
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
      - think: 5ms
    stages:
      - {concurrency: 2, duration: 1m}
`, "http://mem", nil)
	var run *metrics.Run
	var took time.Duration
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(ms(301.5), cancel)
		run = Run(ctx, plan, Options{Drivers: memHTTP(answer(ms(1)))})
		took = at(time.Now())
	})
	if run.Status != metrics.Interrupted || took != ms(301.5) {
		t.Errorf("status %v after %v, want interrupted at 301.5ms", run.Status, took)
	}
	if s := series(t, run.Cases[0], "ok"); s.Count != 102 || s.Outcomes[metrics.Success] != 102 {
		t.Errorf("requests before the interrupt: %d, outcomes %v; want 102 successes", s.Count, s.Outcomes)
	}
	if s := series(t, run.Cases[0], "c"); s.Count != 100 {
		t.Errorf("passes: %d, want 100 (a pass cut short is not one)", s.Count)
	}
}

// A request still hanging when the run ends is cut after the grace period
// and not counted: end to end, over real sockets.
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

// When the last stage ends, a request in flight may finish for up to the
// grace period, and is counted; one still in flight then is cut, and is
// not. Three VUs, a 200 ms stage, a 200 ms grace.
func TestGraceOnFakeClock(t *testing.T) {
	plan := compile(t, `
name: grace
cases:
  - name: c
    steps: [{http: {name: r, url: "${base}/", timeout: 30s}}]
    stages: [{concurrency: 3, duration: 200ms}]
`, "http://mem", nil)
	for _, tt := range []struct {
		name     string
		latency  time.Duration
		requests int64
		took     time.Duration
	}{
		// Requests end at 150 ms and 300 ms: the second, in flight when
		// the stage ends, finishes within the grace.
		{"finishes within the grace", ms(150), 6, ms(300)},
		// Requests hang: cut when the grace ends, at 400 ms.
		{"cut when the grace ends", time.Hour, 0, ms(400)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run, took := fakeRun(t, plan, Options{Grace: ms(200)}, answer(tt.latency))
			if s := series(t, run.Cases[0], "r"); s.Count != tt.requests || s.Outcomes[metrics.Success] != tt.requests || took != tt.took {
				t.Errorf("%d requests (outcomes %v), run over at %v; want %d successes, over at %v", s.Count, s.Outcomes, took, tt.requests, tt.took)
			}
			if run.Status != metrics.Completed {
				t.Errorf("status %v", run.Status)
			}
		})
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

// Stages run in order, and the VU count follows each one's shape: the
// shape is read every 20 ms, so of a ramp from 1 to 4 VUs over 3 s, VU
// i+1 (from 0) starts at the first reading that rounds to more than i:
// at 0, 0.5 s, 1.5 s and 2.5 s. A VU the next stage does not need
// finishes its pass and parks. Each VU sends 7 ms requests one after the
// other; the one in flight when it is let go completes.
func TestStagesAndRamp(t *testing.T) {
	plan := compile(t, `
name: ramp
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
    stages:
      - {name: up, concurrency: 4, start_vus: 1, ramp_up: 3s, duration: 4s}
      - {name: fixed, concurrency: 2, duration: 1s}
`, "http://mem", nil)
	run, took := fakeRun(t, plan, Options{}, answer(ms(7)))
	c := run.Cases[0]
	if len(c.Stages) != 2 || c.Stages[0].Name != "up" || at(c.Stages[0].End) != 4*time.Second ||
		c.Stages[1].Name != "fixed" || at(c.Stages[1].Start) != 4*time.Second || at(c.Stages[1].End) != 5*time.Second {
		t.Errorf("stages %+v, want up over [0, 4s], fixed over [4s, 5s]", c.Stages)
	}
	// The VUs each second, read 100 ms into it.
	var got []int
	for _, sec := range c.Stats.Requests.Seconds[:5] {
		got = append(got, int(sec.VUs))
	}
	if want := []int{1, 2, 3, 4, 2}; !slices.Equal(got, want) {
		t.Errorf("VUs per second %v, want %v", got, want)
	}
	spawn := []time.Duration{0, ms(500), ms(1500), ms(2500)}
	until := []time.Duration{5 * time.Second, 5 * time.Second, 4 * time.Second, 4 * time.Second}
	var want int64
	for i := range spawn {
		want += int64((until[i]-spawn[i])/ms(7)) + 1
	}
	if s := series(t, c, "ok"); s.Count != want {
		t.Errorf("%d requests, want %d", s.Count, want)
	}
	// VU 0's last request ends at 5005 ms (715 × 7 ms), VU 1's at 5001 ms.
	if took != ms(5005) {
		t.Errorf("the run ended at %v, want 5.005s", took)
	}
}

// A task's cases run one after the other, or all at once with parallel.
// Each case is one VU sending 7 ms requests for 300 ms: the request in
// flight at 300 ms ends at 301 ms, and so does the case.
func TestCasesSerialAndParallel(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		plan := compile(t, fmt.Sprintf(`
name: task
parallel: %v
cases:
  - name: a
    steps: [{http: {name: a, url: "${base}/ok"}}]
    stages: [{concurrency: 1, duration: 300ms}]
  - name: b
    steps: [{http: {name: b, url: "${base}/ok"}}]
    stages: [{concurrency: 1, duration: 300ms}]
`, parallel), "http://mem", nil)
		run, _ := fakeRun(t, plan, Options{}, answer(ms(7)))
		if len(run.Cases) != 2 {
			t.Fatalf("%d cases", len(run.Cases))
		}
		a, b := run.Cases[0].Stats, run.Cases[1].Stats
		bStart := ms(301)
		if parallel {
			bStart = 0
		}
		if at(a.Start) != 0 || a.Duration() != ms(301) || at(b.Start) != bStart || b.Duration() != ms(301) {
			t.Errorf("parallel %v: a at %v for %v, b at %v for %v; want a at 0, b at %v, each for 301ms", parallel, at(a.Start), a.Duration(), at(b.Start), b.Duration(), bStart)
		}
		if series(t, run.Cases[0], "a").Count != 43 || series(t, run.Cases[1], "b").Count != 43 {
			t.Errorf("parallel %v: %d and %d requests, want 43 each", parallel, series(t, run.Cases[0], "a").Count, series(t, run.Cases[1], "b").Count)
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

// Retries stop at the end of the run: a request failing at once, retried
// up to 100 times 30 ms apart, is sent at 0, 30, …, 180 ms; the run ends
// at 200 ms, during the wait, and only the last attempt is counted.
func TestRetriesStopWithTheRun(t *testing.T) {
	plan := compile(t, `
name: retry
cases:
  - name: c
    steps:
      - http: {name: bad, url: "${base}/status/500"}
        retry: {count: 100, interval: 30ms}
    stages:
      - {concurrency: 1, duration: 200ms}
`, "http://mem", nil)
	var log reqLog
	run, took := fakeRun(t, plan, Options{}, log.handler(func(*mem.Request) mem.Reply { return mem.Reply{Status: 500} }))
	if took != ms(200) {
		t.Errorf("the run ended at %v, want 200ms", took)
	}
	want := []time.Duration{0, ms(30), ms(60), ms(90), ms(120), ms(150), ms(180)}
	if got := log.starts(); !slices.Equal(got, want) {
		t.Errorf("sent at %v, want %v", got, want)
	}
	if s := series(t, run.Cases[0], "bad"); s.Count != 1 || s.Outcomes[metrics.CheckFailed] != 1 {
		t.Errorf("only the last attempt is counted: %d %v", s.Count, s.Outcomes)
	}
}

// A count stage counts only the passes it handed out, not those still
// running from the stage before. Each pass is a request then 110 ms of
// thinking; the first stage ends at the reading at 160 ms, when both VUs
// are in their second pass (from 110 ms), which ends at 220 ms; the count
// stage's six passes then start at 220, 330 and 440 ms, and end at 550
// ms.
func TestCountStageAfterDurationStage(t *testing.T) {
	plan := compile(t, `
name: epochs
cases:
  - name: c
    steps:
      - http: {name: ok, url: "${base}/ok"}
      - think: 110ms
    stages:
      - {concurrency: 2, duration: 150ms}
      - {concurrency: 2, count: 6}
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(0)))
	want := []time.Duration{0, 0, ms(110), ms(110), ms(220), ms(220), ms(330), ms(330), ms(440), ms(440)}
	if got := log.starts(); !slices.Equal(got, want) {
		t.Errorf("requests at %v, want %v", got, want)
	}
	st := run.Cases[0].Stages[1]
	// It ends at the first reading after its last pass: within 20 ms.
	if at(st.Start) != ms(160) || at(st.End) < ms(550) || at(st.End) >= ms(570) {
		t.Errorf("the count stage ran over [%v, %v], want from 160ms to just after 550ms", at(st.Start), at(st.End))
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

// A TPS stage starts passes at the target rate, whatever the latency:
// pass k falls due at k/R, where the rate's integral crosses k, and
// starts then, to the microsecond (not on a timer's tick); in count mode
// exactly count passes start. A pass whose VU waited for nothing is timed
// from its due time, which is when it started.
func TestTPSRate(t *testing.T) {
	plan := compile(t, `
name: tps
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}]
    stages:
      - {tps: 500, duration: 1s}
      - {tps: 400, count: 123}
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(3))))
	c := run.Cases[0]
	starts := log.starts()
	if len(starts) != 500+123 {
		t.Fatalf("%d passes started, want 500 at 500/s for 1 s, then 123", len(starts))
	}
	second := at(c.Stages[1].Start)
	for i, got := range starts {
		want := time.Duration(i+1) * 2 * time.Millisecond
		if i >= 500 {
			want = second + time.Duration(i-499)*2500*time.Microsecond
		}
		if d := got - want; d < -time.Microsecond || d > time.Microsecond {
			t.Fatalf("pass %d started at %v, want %v", i+1, got, want)
		}
	}
	if s := series(t, c, "ok"); s.Count != 623 || s.Min != ms(3) || s.Max != ms(3) {
		t.Errorf("%d requests, response times %v to %v; want 623, all 3ms", s.Count, s.Min, s.Max)
	}
	if c.Missed != 0 || c.LatencyFrom != "intended_start" {
		t.Errorf("missed %d, latency from %q", c.Missed, c.LatencyFrom)
	}
	// The count stage ends once its last pass has (123 × 2.5 ms + 3 ms),
	// within a wake of the scheduler.
	if d := c.Stages[1].End.Sub(c.Stages[1].Start); d < ms(310.5) || d > ms(360.5) {
		t.Errorf("123 passes at 400/s took %v", d)
	}
}

// When every VU up to the cap is busy, a pass that falls due is counted as
// missed, and the run goes on at the rate it can. At 20/s (a pass every
// 50 ms) with max_vus 1 and 120 ms requests, the VU starts the pass due
// at 50 ms, is busy when the next two fall due, starts the one at 200 ms,
// and so on: 7 of the 20 passes due in 1 s start, 13 are missed.
func TestTPSMissedStarts(t *testing.T) {
	plan := compile(t, `
name: missed
cases:
  - name: c
    steps: [{http: {name: slow, url: "${base}/"}}]
    stages:
      - {tps: 20, max_vus: 1, duration: 1s}
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(120))))
	c := run.Cases[0]
	want := []time.Duration{ms(50), ms(200), ms(350), ms(500), ms(650), ms(800), ms(950)}
	if got := log.starts(); !sameTimes(got, want) || c.Missed != 13 {
		t.Errorf("started at %v, missed %d; want %v and 13", got, c.Missed, want)
	}
	if s := series(t, c, "slow"); s.Count != 7 || c.Stats.MaxVUs != 1 {
		t.Errorf("%d requests, max VUs %d; want 7 and the cap 1", s.Count, c.Stats.MaxVUs)
	}
}

// Surge and oscillation shapes drive the VU count and the rate: a surge
// reaches its max (VU 6 sends), and an oscillation between 50/s and 250/s
// over one loop of 1 s starts its mean, 150 passes (within one: the
// scheduler takes the rate as linear between its wakes).
func TestSurgeAndOscillation(t *testing.T) {
	plan := compile(t, `
name: waves
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok?vu=${__VU}"}}, {think: 10ms}]
    stages:
      - {surge_concurrency: {min: 1, max: 6, loops: 1, hold: 400ms}, duration: 1200ms}
      - {oscillate_tps: {min: 50, max: 250, loops: 1}, duration: 1s}
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	osc := run.Cases[0].Stages[1]
	var n int
	vus := map[string]bool{}
	for _, r := range log.all() {
		if r.at >= at(osc.Start) {
			n++
		} else {
			vus[r.target] = true
		}
	}
	if len(vus) != 6 || !vus["http://mem/ok?vu=6"] {
		t.Errorf("the surge ran the VUs %v, want 1 to 6", vus)
	}
	if n < 149 || n > 151 {
		t.Errorf("the oscillation started %d passes, want 150", n)
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
// an earlier stage: after 20 VUs for 200 ms, a 20/s stage with max_vus 1
// and 120 ms requests starts the passes due at 250, 400, …, 1150 ms and
// misses the other 13 of its 20. (Requests of 120 ms, not 125, so that no
// pass ends at the very instant another falls due: which of the two comes
// first at one instant of the fake clock is the scheduler's choice.)
func TestTPSCapAfterBiggerStage(t *testing.T) {
	plan := compile(t, `
name: cap
cases:
  - name: c
    steps: [{http: {name: slow, url: "${base}/"}}]
    stages:
      - {concurrency: 20, duration: 200ms}
      - {tps: 20, max_vus: 1, duration: 1s}
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(120))))
	c := run.Cases[0]
	var rate []time.Duration
	for _, s := range log.starts() {
		if s >= ms(200) {
			rate = append(rate, s)
		}
	}
	want := []time.Duration{ms(250), ms(400), ms(550), ms(700), ms(850), ms(1000), ms(1150)}
	if !sameTimes(rate, want) || c.Missed != 13 {
		t.Errorf("the rate stage started passes at %v and missed %d; want %v and 13", rate, c.Missed, want)
	}
}

// A manual stage takes a new target; an impossible one is refused, and so
// is any change once the stage is over.
func TestManualRegulation(t *testing.T) {
	plan := compile(t, `
name: manual
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}, {think: 10ms}]
    stages:
      - {name: hand, concurrency: 1, duration: 600ms, manual: true}
      - {name: after, concurrency: 1, duration: 300ms}
`, "http://mem", nil)
	ctl := NewControl()
	var run *metrics.Run
	synctest.Test(t, func(t *testing.T) {
		done := make(chan *metrics.Run)
		go func() {
			done <- Run(context.Background(), plan, Options{Control: ctl, Drivers: memHTTP(answer(ms(3)))})
		}()
		time.Sleep(ms(150))
		if _, err := ctl.Set("", 1e9, "test"); err == nil || !strings.Contains(err.Error(), "over what this machine can hold") {
			t.Errorf("a target of 1e9 VUs: %v", err)
		}
		st, err := ctl.Set("c", 5, "test")
		if err != nil || st.Target != 5 {
			t.Fatalf("set 5: %+v %v", st, err)
		}
		// The shape is read every 20 ms: the next, at 160 ms, starts 4
		// VUs.
		time.Sleep(ms(20))
		if st := ctl.Status(); len(st) != 1 || st[0].VUs != 5 {
			t.Errorf("status %+v, want 5 VUs", st)
		}
		time.Sleep(ms(580)) // into the stage that is not manual
		if _, err := ctl.Set("c", 3, "test"); err == nil {
			t.Errorf("a change to a stage that is not manual was taken")
		}
		run = <-done
	})
	if ch := run.Cases[0].Changes; len(ch) != 1 || ch[0].Target != 5 || ch[0].Stage != "hand" || ch[0].By != "test" || at(ch[0].Time) != ms(150) {
		t.Errorf("changes %+v", ch)
	}
	if run.Cases[0].Stats.MaxVUs != 5 {
		t.Errorf("max VUs %d", run.Cases[0].Stats.MaxVUs)
	}
}

// In an open model a rendezvous gathers its users as passes arrive: at
// 100/s the fifth pass of each gathering arrives 50 ms after the first
// of the one before, and the five go on together.
func TestRendezvousInTPSStage(t *testing.T) {
	plan := compile(t, `
name: rv
cases:
  - name: c
    steps:
      - rendezvous: {name: r, users: 5, timeout: 2s}
      - http: {name: ok, url: "${base}/ok"}
    stages: [{tps: 100, count: 40}]
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	rv := run.Cases[0].Rendezvous
	if len(rv) != 1 || rv[0].Releases != 8 || rv[0].Timeouts != 0 {
		t.Errorf("rendezvous %+v, want 8 gatherings of 5", rv)
	}
	var want []time.Duration
	for i := range 40 {
		want = append(want, time.Duration(i/5+1)*ms(50))
	}
	if got := log.starts(); !sameTimes(got, want) {
		t.Errorf("requests at %v, want %v", got, want)
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
