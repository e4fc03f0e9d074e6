package runner

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/protocols/mem"
	"github.com/perfcase/perfcase/scenario"
)

// absurdRate compiles a TPS stage and then sets its rate to 1e9 passes a
// second, past what validate allows, as a plan built by other means could.
func absurdRate(t *testing.T, base, stage string) *scenario.Plan {
	t.Helper()
	plan := compile(t, `
name: absurd
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}]
    stages: [`+stage+`]
`, base, nil)
	st := plan.Cases[0].Stages[0]
	st.TPS, st.StartTPS = 1e9, 1e9
	return plan
}

// accounted is every pass a rate stage dealt with: started (and so
// recorded) or counted as missed.
func accounted(t *testing.T, c *metrics.CaseResult) (started, missed int64) {
	t.Helper()
	return series(t, c, "ok").Count, c.Missed
}

// With no VU allowed to start, a second at 1e9 passes a second is a
// billion missed starts, counted without handing out a billion passes: the
// supervisor's work follows the VUs it may start, not the rate, and the
// stage ends on time to the nanosecond.
func TestRateScheduleMissesByArithmetic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &scenario.Stage{Mode: scenario.ModeTPS, TPS: 1e9, StartTPS: 1e9, Duration: time.Second}
		c := newCaseRun(&scenario.CasePlan{Name: "c", Stages: []*scenario.Stage{st}}, &Options{}, 1)
		c.beginStage("tps", "tps", false, true)
		start := time.Now()
		// max_vus 0: every VU the stage may use is busy.
		sp := &stagePlan{rate: true, done: new(atomic.Int64), open: newRateStage(st, scenario.Segment{}, start, 0, &c.missed)}
		if c.runRate(context.Background(), nil, st, sp) {
			t.Fatal("the stage reports an interruption")
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("a 1 s stage lasted %v", d)
		}
		if got := c.missed.Load(); got != 1e9 || len(c.vus) != 0 {
			t.Errorf("after 1 s at 1e9/s with no VU free: %d missed, %d VUs started; want 1e9 and none", got, len(c.vus))
		}
	})
}

// A 1 s stage at 1e9 passes a second with 4 VUs ends on time, and every
// pass due in it either started or was counted as missed.
func TestAbsurdRateEndsOnTime(t *testing.T) {
	plan := absurdRate(t, "http://mem", "{tps: 1000, max_vus: 4, duration: 1s}")
	run, _ := fakeRun(t, plan, Options{}, answer(ms(1)))
	c := run.Cases[0]
	if run.Status != metrics.Completed {
		t.Fatalf("status %v (%s)", run.Status, run.Reason)
	}
	// Before the fix this stage took 6 s, handing out passes one by one.
	if d := c.Stages[0].End.Sub(c.Stages[0].Start); d > ms(1020) {
		t.Errorf("a 1 s stage at 1e9/s lasted %v", d)
	}
	started, missed := accounted(t, c)
	t.Logf("stage %v: %d started, %d missed", c.Stages[0].End.Sub(c.Stages[0].Start), started, missed)
	// Every pass due in the stage started or was missed, exactly; a pass
	// its VU had started but not yet sent when the run stopped right after
	// the stage is cut and not recorded: at most one per VU.
	if due := int64(1e9); started+missed > due || started+missed < due-4 || started == 0 {
		t.Errorf("started %d + missed %d = %d, want the 1e9 passes due", started, missed, started+missed)
	}
}

// Cancelling a run in a stage at 1e9 passes a second stops it at once:
// the stage ends where it was cut, and the passes due until then are
// started or missed.
func TestAbsurdRateHonoursCancel(t *testing.T) {
	plan := absurdRate(t, "http://mem", "{tps: 1000, max_vus: 4, duration: 1m}")
	var run *metrics.Run
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(ms(300), cancel)
		run = Run(ctx, plan, Options{Drivers: memHTTP(answer(ms(1)))})
	})
	c := run.Cases[0]
	if run.Status != metrics.Interrupted {
		t.Fatalf("status %v (%s)", run.Status, run.Reason)
	}
	sr := c.Stages[0]
	if at(sr.End) != ms(300) {
		t.Errorf("the stage ended at %v, want at the cancel, 300ms", at(sr.End))
	}
	// The scheduler may have counted as missed, ahead of time, the passes
	// due before its next wake: up to 20 ms more.
	started, missed := accounted(t, c)
	if due := int64(3e8); started+missed > due+2e7 || started+missed < due-5 || started == 0 {
		t.Errorf("started %d + missed %d = %d, want the 3e8 passes due in 300 ms", started, missed, started+missed)
	}
}

// A pass's think budget counts each think at its mean, loops by their
// count, and the branch that thinks most; it saturates at a case's cap.
func TestThinkBudget(t *testing.T) {
	ms := time.Millisecond
	think := func(min, max time.Duration) scenario.Node { return &scenario.ThinkNode{Min: min, Max: max} }
	req := &scenario.RequestNode{}
	tests := []struct {
		name  string
		steps []scenario.Node
		want  time.Duration
	}{
		{"request then think", []scenario.Node{req, think(10*ms, 0)}, 10 * ms},
		{"random think at its mean", []scenario.Node{think(100*ms, 300*ms), req}, 200 * ms},
		{"loop of 3", []scenario.Node{&scenario.LoopNode{Count: 3, Steps: []scenario.Node{req, think(5*ms, 0)}}, think(ms, 0)}, 16 * ms},
		{"while loop counts once", []scenario.Node{&scenario.LoopNode{Max: 50, Steps: []scenario.Node{think(5*ms, 0)}}}, 5 * ms},
		{"if: the branch that thinks most", []scenario.Node{&scenario.IfNode{
			Branches: []scenario.CondBranch{{Steps: []scenario.Node{think(ms, 0)}}, {Steps: []scenario.Node{think(7*ms, 0)}}},
			Else:     []scenario.Node{think(3*ms, 0)},
		}}, 7 * ms},
		{"weighted and transaction", []scenario.Node{
			&scenario.WeightedNode{Branches: [][]scenario.Node{{think(2*ms, 0)}, {think(4*ms, 0)}}},
			&scenario.TransactionNode{Steps: []scenario.Node{think(ms, 0)}},
			&scenario.ThroughputNode{Steps: []scenario.Node{think(ms, 0)}},
		}, 6 * ms},
		{"saturates", []scenario.Node{&scenario.LoopNode{Count: 1_000_000, Steps: []scenario.Node{
			&scenario.LoopNode{Count: 1_000_000, Steps: []scenario.Node{think(24*time.Hour, 0)}}}}}, scenario.MaxStageTime},
	}
	for _, tt := range tests {
		if got := thinkBudget(tt.steps); got != tt.want {
			t.Errorf("%s: thinkBudget = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A pass that a failed request ends early still waits the think time it
// skipped: 5 passes of a failing 1 ms request then a 100 ms think start
// 101 ms apart.
func TestFailedPassWaitsItsThink(t *testing.T) {
	plan := compile(t, `
name: think
cases:
  - name: c
    steps:
      - http: {name: bad, url: "${base}/status/500"}
      - think: 100ms
    stages: [{concurrency: 1, count: 5}]
`, "http://mem", nil)
	var log reqLog
	run, _ := fakeRun(t, plan, Options{}, log.handler(func(*mem.Request) mem.Reply { return mem.Reply{Status: 500, Latency: ms(1)} }))
	if s := series(t, run.Cases[0], "bad"); s.Count != 5 || s.Outcomes[metrics.CheckFailed] != 5 {
		t.Fatalf("bad: %d requests, outcomes %v", s.Count, s.Outcomes)
	}
	if got, want := log.starts(), []time.Duration{0, ms(101), ms(202), ms(303), ms(404)}; !slices.Equal(got, want) {
		t.Errorf("the failed passes started at %v, want %v", got, want)
	}
}

// A VU whose target refuses connections backs off, 10 ms doubling to 1 s:
// in 1.3 s it tries 8 times, not thousands; the end of the run cuts its
// 1 s pause short.
func TestRefusedTargetBacksOff(t *testing.T) {
	plan := compile(t, `
name: backoff
cases:
  - name: c
    steps: [{http: {name: down, url: "${base}/"}}]
    stages: [{concurrency: 1, duration: 1300ms}]
`, "http://mem", nil)
	var log reqLog
	run, took := fakeRun(t, plan, Options{}, log.handler(refused))
	s := series(t, run.Cases[0], "down")
	// Pauses of 10, 20, 40, …, 640 ms and 1 s: the 9th try would come at
	// 2.27 s, past the stage.
	want := []time.Duration{0, ms(10), ms(30), ms(70), ms(150), ms(310), ms(630), ms(1270)}
	if got := log.starts(); !slices.Equal(got, want) || s.Outcomes[metrics.Refused] != 8 {
		t.Errorf("tries at %v (outcomes %v), want %v, all refused", got, s.Outcomes, want)
	}
	if took != ms(1300) {
		t.Errorf("the run ended at %v, want 1.3s: the end of the stage did not cut the backoff", took)
	}
}

// refused answers as a target that refuses connections.
func refused(*mem.Request) mem.Reply {
	return mem.Reply{Fail: &protocols.Failure{Outcome: metrics.Refused, Msg: "connect to mem: connection refused", Err: syscall.ECONNREFUSED}}
}

// Two VUs doing a 1 ms request then 10 ms of thinking against a target
// that is healthy, then down from 1 s to 2.5 s (refusing connections),
// then healthy again: during the outage each VU tries after the think it
// skipped and a backoff of 10 ms, doubled after each refusal up to 1 s;
// once the target is back, the first try that reaches it resets the
// backoff, and the VUs send at the healthy rate again.
func TestOutageIsNotHammered(t *testing.T) {
	plan := compile(t, `
name: outage
cases:
  - name: c
    steps:
      - http: {name: get, url: "${base}/"}
      - think: 10ms
    stages: [{concurrency: 2, duration: 5s}]
`, "http://mem", nil)
	down := func(t time.Duration) bool { return t >= time.Second && t < ms(2500) }
	run, _ := fakeRun(t, plan, Options{}, func(*mem.Request) mem.Reply {
		if down(at(time.Now())) {
			return refused(nil)
		}
		return mem.Reply{Status: 200, Latency: ms(1)}
	})
	// One VU's tries, by the rules above.
	var ok, failed [5]int64
	var backoff time.Duration
	for t := time.Duration(0); t < 5*time.Second; {
		if down(t) {
			failed[t/time.Second]++
			backoff = min(max(2*backoff, ms(10)), time.Second)
			t += ms(10) + backoff
			continue
		}
		ok[(t+ms(1))/time.Second]++
		backoff = 0
		t += ms(11)
	}
	s := series(t, run.Cases[0], "get")
	var gotOK, gotFailed [5]int64
	for k, sec := range s.Seconds[:5] {
		gotOK[k], gotFailed[k] = int64(sec.Outcomes[metrics.Success]), int64(sec.Outcomes[metrics.Refused])
	}
	for k := range ok {
		ok[k], failed[k] = 2*ok[k], 2*failed[k]
	}
	if gotOK != ok || gotFailed != failed {
		t.Errorf("per second: %v answered and %v refused, want %v and %v", gotOK, gotFailed, ok, failed)
	}
	if failed[1]+failed[2] > 20 {
		t.Errorf("%d tries during the 1.5 s outage, against 182 a second while healthy", failed[1]+failed[2])
	}
}

// A manual rate stage takes no target past the cap a scenario's rate
// has.
func TestManualRateCap(t *testing.T) {
	plan := compile(t, `
name: manual
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}]
    stages: [{tps: 10, max_vus: 2, duration: 400ms, manual: true}]
`, "http://mem", nil)
	ctl := NewControl()
	var over, atCap error
	synctest.Test(t, func(t *testing.T) {
		done := make(chan *metrics.Run)
		go func() {
			done <- Run(context.Background(), plan, Options{Control: ctl, Drivers: memHTTP(answer(ms(1)))})
		}()
		time.Sleep(ms(10))
		_, over = ctl.Set("c", scenario.MaxTPS+1, "test")
		_, atCap = ctl.Set("c", scenario.MaxTPS, "test")
		<-done
	})
	if over == nil || !strings.Contains(over.Error(), "over the cap of 10000000 passes a second") {
		t.Errorf("a rate past the cap: %v", over)
	}
	if atCap != nil {
		t.Errorf("a rate at the cap: %v", atCap)
	}
}

// pacing is the least length of a pass in a closed model: a VU whose pass
// (a 30 ms request, then 20 ms of thinking) took less waits for the
// rest, a failed pass included (its skipped think waited first); one
// that took longer (a 150 ms request) is followed at once. An open
// model's schedule sets when passes start, pacing or not.
func TestPacing(t *testing.T) {
	plan := compile(t, `
name: pacing
parallel: true
cases:
  - name: closed
    pacing: 100ms
    steps:
      - http: {name: c, url: "${base}/closed"}
      - think: 20ms
    stages: [{concurrency: 1, count: 5}]
  - name: open
    pacing: 1s
    steps: [{http: {name: o, url: "${base}/open"}}]
    stages: [{tps: 10, count: 3}]
`, "http://mem", nil)
	var log reqLog
	var closed atomic.Int64
	run, _ := fakeRun(t, plan, Options{}, log.handler(func(r *mem.Request) mem.Reply {
		if strings.HasSuffix(r.Target, "/open") {
			return mem.Reply{Status: 200, Latency: ms(30)}
		}
		switch closed.Add(1) {
		case 2:
			return mem.Reply{Status: 500, Latency: ms(30)}
		case 3:
			return mem.Reply{Status: 200, Latency: ms(150)}
		}
		return mem.Reply{Status: 200, Latency: ms(30)}
	}))
	var gotClosed, gotOpen []time.Duration
	for _, r := range log.all() {
		if strings.HasSuffix(r.target, "/open") {
			gotOpen = append(gotOpen, r.at)
		} else {
			gotClosed = append(gotClosed, r.at)
		}
	}
	if want := []time.Duration{0, ms(100), ms(200), ms(370), ms(470)}; !slices.Equal(gotClosed, want) {
		t.Errorf("closed model: passes at %v, want %v", gotClosed, want)
	}
	if want := []time.Duration{ms(100), ms(200), ms(300)}; !sameTimes(gotOpen, want) {
		t.Errorf("open model: passes at %v, want %v", gotOpen, want)
	}
	if s := series(t, run.Cases[0], "closed"); s.Count != 5 || s.Outcomes[metrics.CheckFailed] != 1 {
		t.Errorf("closed: %d passes, outcomes %v", s.Count, s.Outcomes)
	}
}

// A think pauses exactly its time; a random think, a uniform time between
// its min and max, drawn anew each pass.
func TestThinkTimes(t *testing.T) {
	plan := compile(t, `
name: think
cases:
  - name: c
    steps:
      - http: {name: r, url: "${base}/"}
      - think: 7ms
      - think: {min: 10ms, max: 20ms}
    stages: [{concurrency: 1, count: 200}]
`, "http://mem", nil)
	var log reqLog
	fakeRun(t, plan, Options{Seed: 3}, log.handler(answer(ms(1))))
	starts := log.starts()
	seen := map[time.Duration]bool{}
	var sum time.Duration
	for i := 1; i < len(starts); i++ {
		random := starts[i] - starts[i-1] - ms(1) - ms(7)
		if random < ms(10) || random > ms(20) {
			t.Fatalf("pass %d thought %v at random, want 10ms to 20ms", i, random)
		}
		seen[random] = true
		sum += random
	}
	if mean := sum / time.Duration(len(starts)-1); len(starts) != 200 || len(seen) < 100 || mean < ms(14) || mean > ms(16) {
		t.Errorf("%d passes, %d distinct random thinks averaging %v; want 200, most distinct, about 15ms", len(starts), len(seen), mean)
	}
}
