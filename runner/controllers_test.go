package runner

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

func rendezvousResult(t *testing.T, c *metrics.CaseResult, name string) metrics.RendezvousResult {
	t.Helper()
	for _, r := range c.Rendezvous {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no rendezvous %q in %+v", name, c.Rendezvous)
	return metrics.RendezvousResult{}
}

// Six VUs at a rendezvous of three are released three at a time: every
// pass arrives once, so 24 passes make exactly 8 gatherings, none by
// timeout. The requests after it (1 ms each) start in bursts: all six
// VUs at 0, 1, 2 and 3 ms.
func TestRendezvousReleasesTogether(t *testing.T) {
	plan := compile(t, `
name: rdv
cases:
  - name: c
    steps:
      - rendezvous: {name: three, users: 3}
      - http: {name: after, url: "${base}/ok"}
    stages:
      - {concurrency: 6, count: 24}
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	c := run.Cases[0]
	var want []time.Duration
	for i := range 24 {
		want = append(want, ms(float64(i/6)))
	}
	if got := log.starts(); !slices.Equal(got, want) {
		t.Errorf("requests after the rendezvous at %v, want %v", got, want)
	}
	r := rendezvousResult(t, c, "three")
	if r.Releases != 8 || r.Timeouts != 0 {
		t.Errorf("releases %d, timeouts %d; want 8 and 0", r.Releases, r.Timeouts)
	}
}

// A rendezvous waits for at most the VUs alive: two VUs at a rendezvous of
// ten are released together, and when a stage lowers the VU count below
// the users asked for, the VUs left are not held.
func TestRendezvousReleasesWhenEveryLiveVUArrived(t *testing.T) {
	plan := compile(t, `
name: rdv
cases:
  - name: c
    steps:
      - rendezvous: {name: all, users: 10}
      - http: {name: after, url: "${base}/ok"}
    stages:
      - {concurrency: 2, count: 10}
  - name: down
    steps:
      - rendezvous: {name: six, users: 6}
      - http: {name: after-down, url: "${base}/ok"}
    stages:
      - {concurrency: 6, count: 6}
      - {concurrency: 2, count: 10}
`, "http://mem", nil)
	run, took := fakeRun(t, plan, Options{}, answer(ms(1)))
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	// A VU held when the VU count dropped is let go at the next poll of
	// its gathering (every 50 ms), not held for ever.
	if took > ms(100) {
		t.Errorf("the run took %v", took)
	}
	if got := series(t, run.Cases[0], "after").Count; got != 10 {
		t.Errorf("after: %d, want 10", got)
	}
	if r := rendezvousResult(t, run.Cases[0], "all"); r.Releases != 5 || r.Timeouts != 0 {
		t.Errorf("two VUs, users 10: releases %d, timeouts %d; want 5 and 0", r.Releases, r.Timeouts)
	}
	if got := series(t, run.Cases[1], "after-down").Count; got != 16 {
		t.Errorf("after-down: %d, want 16", got)
	}
	// The first stage's six passes gather once; the second stage's
	// gatherings are released by the VUs alive, never by a timeout. (How
	// many there are varies: VUs above the new count may take a pass of
	// the second stage before the count drops.)
	if r := rendezvousResult(t, run.Cases[1], "six"); r.Releases < 2 || r.Timeouts != 0 {
		t.Errorf("ramp-down: releases %d, timeouts %d", r.Releases, r.Timeouts)
	}
}

// The timeout releases a lone VU: the other VU never reaches the point
// (a fixed weighted branch keeps it away), so only the timeout lets the
// first one go, at 100, 200 and 300 ms of a 380 ms stage. A VU held with
// no timeout is let go at once when the run ends.
func TestRendezvousTimeoutAndStop(t *testing.T) {
	plan := compile(t, `
name: rdv
parallel: true
cases:
  - name: timeout
    steps:
      - weighted:
          mode: fixed
          branches:
            - weight: 1
              steps:
                - rendezvous: {name: lone, users: 10, timeout: 100ms}
                - http: {name: lone-after, url: "${base}/ok"}
            - {weight: 1, steps: [{think: 10ms}]}
    stages:
      - {concurrency: 2, duration: 380ms}
  - name: stop
    steps:
      - weighted:
          mode: fixed
          branches:
            - weight: 1
              steps:
                - rendezvous: {name: forever, users: 10}
                - http: {name: never, url: "${base}/ok"}
            - {weight: 1, steps: [{think: 10ms}]}
    stages:
      - {concurrency: 2, duration: 200ms}
`, "http://mem", nil)
	var log reqLog
	run, took := fakeRun(t, plan, Options{}, log.handler(answer(0)))
	if took != ms(380) {
		t.Errorf("a run with a VU held at a rendezvous ended at %v, want with its stage, at 380ms", took)
	}
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	if r := rendezvousResult(t, run.Cases[0], "lone"); r.Releases != 0 || r.Timeouts != 3 {
		t.Errorf("lone: releases %d, timeouts %d; want 0 and 3", r.Releases, r.Timeouts)
	}
	if got, want := log.starts(), []time.Duration{ms(100), ms(200), ms(300)}; !slices.Equal(got, want) {
		t.Errorf("lone-after at %v, want %v", got, want)
	}
	if r := rendezvousResult(t, run.Cases[1], "forever"); r.Releases != 0 || r.Timeouts != 0 {
		t.Errorf("forever: %+v", r)
	}
	if got := series(t, run.Cases[1], "never").Count; got != 0 {
		t.Errorf("never: %d requests", got)
	}
}

// Fixed mode splits the VUs exactly by weight: 60 VUs at 1:2:3 are 10, 20
// and 30. Each VU tags itself once with a uuid; the target sees which
// branch each tag took, so the test counts VUs, not requests, and checks
// that no VU ever changed branch.
func TestWeightedFixedSplitsVUs(t *testing.T) {
	plan := compile(t, `
name: fixed
cases:
  - name: c
    steps:
      - set: {me: "${uuid()}"}
        once: true
      - weighted:
          mode: fixed
          branches:
            - {weight: 1, steps: [{http: {name: b0, url: "${base}/record?b=0&vu=${me}"}}]}
            - {weight: 2, steps: [{http: {name: b1, url: "${base}/record?b=1&vu=${me}"}}]}
            - {weight: 3, steps: [{http: {name: b2, url: "${base}/record?b=2&vu=${me}"}}]}
      - think: 20ms
    stages:
      - {concurrency: 60, duration: 400ms}
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(answer(ms(1))))
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	branchOf := map[string]string{}
	for _, r := range log.all() {
		u, err := url.Parse(r.target)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		vu, b := q.Get("vu"), q.Get("b")
		if prev, ok := branchOf[vu]; ok && prev != b {
			t.Fatalf("VU %s took branch %s, then %s", vu, prev, b)
		}
		branchOf[vu] = b
	}
	if len(branchOf) != 60 {
		t.Fatalf("%d VUs seen, want 60", len(branchOf))
	}
	per := map[string]int{}
	for _, b := range branchOf {
		per[b]++
	}
	if per["0"] != 10 || per["1"] != 20 || per["2"] != 30 {
		t.Errorf("VUs per branch %v, want 10/20/30", per)
	}
}

// Any number of VUs is split as closely as it can be: every prefix of the
// VU ids is within one VU of each branch's share.
func TestWeightedFixedApportionment(t *testing.T) {
	for _, ws := range [][]int{{1, 2, 3}, {7, 3}, {1, 1}, {5}, {1, 10000}, {2, 3, 5, 7, 11}, {10000, 10000, 1}} {
		w := newWeighted(&scenario.WeightedNode{Fixed: true, Weights: ws, Branches: make([][]scenario.Node, len(ws))})
		counts := make([]int, len(ws))
		for id := range 3 * w.sum {
			counts[w.pick(&vu{id: id, gid: id})]++
			n := id + 1
			for i, x := range ws {
				share := float64(n) * float64(x) / float64(w.sum)
				if d := float64(counts[i]) - share; d <= -1 || d >= 1 {
					t.Fatalf("weights %v, %d VUs: branch %d has %d, share %.2f", ws, n, i, counts[i], share)
				}
			}
		}
	}
}

// Random mode draws on every pass: the branches' requests come in the
// ratio of the weights.
func TestWeightedRandomRatio(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: random
cases:
  - name: c
    steps:
      - weighted:
          branches:
            - {weight: 1, steps: [{http: {name: one, url: "${base}/ok"}}]}
            - {weight: 3, steps: [{http: {name: three, url: "${base}/ok"}}]}
    stages:
      - {concurrency: 8, count: 3000}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{Seed: 7})
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	one, three := series(t, run.Cases[0], "one").Count, series(t, run.Cases[0], "three").Count
	if one+three != 3000 {
		t.Fatalf("one %d + three %d != 3000", one, three)
	}
	// 750 expected; the standard deviation is about 24.
	if one < 650 || one > 850 {
		t.Errorf("one: %d of 3000, want about 750", one)
	}
}

// An rps ceiling holds across VUs, fractional rates included, and a VU
// waiting for its slot leaves at once when the run ends. At 20 runs a
// second, 8 VUs run the block at 0, 50, …, 1000 ms of a stage that ends
// at the reading at 1020 ms; at 0.5 a second, once in 800 ms.
func TestThroughputRPS(t *testing.T) {
	plan := compile(t, `
name: rps
parallel: true
cases:
  - name: twenty
    steps:
      - throughput: {rps: 20}
        steps: [{http: {name: limited, url: "${base}/limited"}}]
    stages:
      - {concurrency: 8, duration: 1010ms}
  - name: half
    steps:
      - throughput: {rps: 0.5}
        steps: [{http: {name: slow, url: "${base}/slow"}}]
    stages:
      - {concurrency: 4, duration: 800ms}
`, "http://mem", nil)
	var log reqLog
	run, took := fakeRun(t, plan, Options{}, log.handler(answer(0)))
	if took != ms(1020) {
		t.Errorf("the run ended at %v, want 1.02s: VUs waiting for a slot held its end", took)
	}
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	var limited, slow []time.Duration
	for _, r := range log.all() {
		if strings.HasSuffix(r.target, "/limited") {
			limited = append(limited, r.at)
		} else {
			slow = append(slow, r.at)
		}
	}
	slices.Sort(limited)
	var want []time.Duration
	for i := range 21 {
		want = append(want, time.Duration(i)*ms(50))
	}
	if !slices.Equal(limited, want) {
		t.Errorf("rps 20: runs at %v, want %v", limited, want)
	}
	if !slices.Equal(slow, []time.Duration{0}) {
		t.Errorf("rps 0.5 over 0.8 s: runs at %v, want once, at 0", slow)
	}
}

// percent runs the block on exactly that share of the passes that reach
// it; total runs it exactly that many times in the case.
func TestThroughputPercentAndTotal(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: share
cases:
  - name: c
    steps:
      - http: {name: all, url: "${base}/ok"}
      - throughput: {percent: 25}
        steps: [{http: {name: quarter, url: "${base}/ok"}}]
      - throughput: {percent: 33.33}
        steps: [{http: {name: third, url: "${base}/ok"}}]
      - throughput: {total: 7}
        steps: [{http: {name: seven, url: "${base}/ok"}}]
    stages:
      - {concurrency: 8, count: 400}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	c := run.Cases[0]
	for name, want := range map[string]int64{"all": 400, "quarter": 100, "third": 133, "seven": 7} {
		if got := series(t, c, name).Count; got != want {
			t.Errorf("%s: %d, want %d", name, got, want)
		}
	}
	if got := series(t, c, "c").Count; got != 400 {
		t.Errorf("passes: %d", got)
	}
}

// Data instructions, loops and break work inside every controller: a break
// in a controller's block leaves the loop around the controller, and a
// loop inside a block is left by its own break.
func TestControllersWithDataLoopsAndBreak(t *testing.T) {
	tg := newTarget(t)
	plan := compile(t, `
name: nested
cases:
  - name: c
    steps:
      - set: {a: "0", b: "0", d: "0", m: "0", k: "0"}
      # break inside a throughput block leaves the loop around it.
      - loop: 10
        steps:
          - throughput: {percent: 100}
            steps:
              - set: {a: {expr: "int(a) + 1"}}
              - break: int(a) >= 3
          - http: {name: t-loop, url: "${base}/ok"}
      # ... inside a weighted branch.
      - loop: 10
        steps:
          - weighted:
              branches:
                - weight: 1
                  steps:
                    - set: {b: {expr: "int(b) + 1"}}
                    - break: int(b) >= 3
                - weight: 1
                  steps:
                    - set: {b: {expr: "int(b) + 1"}}
                    - break: int(b) >= 3
          - http: {name: w-loop, url: "${base}/ok"}
      # ... after a rendezvous of one.
      - loop: 10
        steps:
          - rendezvous: {name: one, users: 1}
          - set: {d: {expr: "int(d) + 1"}}
          - break: int(d) >= 3
          - http: {name: r-loop, url: "${base}/ok"}
      # A loop inside a weighted branch and a throughput block.
      - weighted:
          mode: fixed
          branches:
            - weight: 1
              steps:
                - loop: 5
                  steps:
                    - set: {m: {expr: "int(m) + 1"}}
                    - break: int(m) >= 2
                    - http: {name: in-weighted, url: "${base}/ok"}
      - throughput: {total: 1000}
        steps:
          - loop: 5
            steps:
              - set: {k: {expr: "int(k) + 1"}}
              - break: int(k) >= 3
              - http: {name: in-throughput, url: "${base}/ok"}
      - http: {name: after, url: "${base}/record?a=${a}&b=${b}&d=${d}&m=${m}&k=${k}"}
    stages:
      - {concurrency: 2, count: 20}
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	if run.Status != metrics.Completed {
		t.Fatalf("status %v: %s", run.Status, run.Reason)
	}
	c := run.Cases[0]
	for name, want := range map[string]int64{"t-loop": 40, "w-loop": 40, "r-loop": 40, "in-weighted": 20, "in-throughput": 40, "after": 20} {
		if s := series(t, c, name); s.Count != want || s.Outcomes[metrics.Success] != want {
			t.Errorf("%s: %d requests (%v), want %d", name, s.Count, s.Outcomes, want)
		}
	}
	for _, e := range tg.entries() {
		if !strings.Contains(e, "?a=3&b=3&d=3&m=2&k=3 ") {
			t.Errorf("variables after the pass: %s", e)
		}
	}
	if r := rendezvousResult(t, c, "one"); r.Releases != 60 || r.Timeouts != 0 {
		t.Errorf("rendezvous of one: %+v, want 60 releases", r)
	}
}

// Check accepts the controllers but still looks inside them.
func TestCheckLooksInsideControllers(t *testing.T) {
	plan := compileUnchecked(t, `
name: plugins
cases:
  - name: c
    steps:
      - weighted:
          branches:
            - {weight: 1, steps: [{plugin: {name: w}}]}
      - throughput: {rps: 5}
        steps: [{plugin: {name: t}}]
      - rendezvous: {name: r, users: 2}
    stages:
      - {concurrency: 1, count: 1}
`)
	errs := Check(plan)
	if len(errs) != 2 {
		t.Fatalf("want the two plugin requests refused, got %v", errs)
	}
	for _, e := range errs {
		if !strings.Contains(e.Error(), "plugin request") {
			t.Errorf("unexpected: %v", e)
		}
	}
}

func compileUnchecked(t *testing.T, yml string) *scenario.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := scenario.Load(path, scenario.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return plan
}
