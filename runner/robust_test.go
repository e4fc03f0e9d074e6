package runner

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
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
		sp := &stagePlan{rate: true, done: new(atomic.Int64), open: newRateStage(st, start, 0, &c.missed)}
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
	t.Parallel()
	tg := newTarget(t)
	plan := absurdRate(t, tg.URL, "{tps: 1000, max_vus: 4, duration: 1s}")
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if run.Status != metrics.Completed {
		t.Fatalf("status %v (%s)", run.Status, run.Reason)
	}
	// Before the fix this stage took 6 s, handing out passes one by one.
	if d := c.Stages[0].End.Sub(c.Stages[0].Start); d > 2*time.Second {
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
	t.Parallel()
	tg := newTarget(t)
	plan := absurdRate(t, tg.URL, "{tps: 1000, max_vus: 4, duration: 1m}")
	ctx, cancel := context.WithCancel(context.Background())
	var cancelled time.Time
	time.AfterFunc(300*time.Millisecond, func() {
		cancelled = time.Now()
		cancel()
	})
	run := Run(ctx, plan, Options{})
	c := run.Cases[0]
	if run.Status != metrics.Interrupted {
		t.Fatalf("status %v (%s)", run.Status, run.Reason)
	}
	sr := c.Stages[0]
	if late := sr.End.Sub(cancelled); late > 2*time.Second {
		t.Errorf("the stage went on for %v after the cancel", late)
	}
	started, missed := accounted(t, c)
	t.Logf("stage %v, ended %v after the cancel: %d started, %d missed", sr.End.Sub(sr.Start), sr.End.Sub(cancelled), started, missed)
	due := 1e9 * sr.End.Sub(sr.Start).Seconds()
	if got := float64(started + missed); math.Abs(got-due) > 0.02*due || started == 0 {
		t.Errorf("started %d + missed %d = %.0f, want about %.0f (1e9/s over %v)", started, missed, got, due, sr.End.Sub(sr.Start))
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
// skipped: 5 passes of a failing request then a 100 ms think take at
// least 4 thinks (the wait after the last is cut by the end of the stage).
func TestFailedPassWaitsItsThink(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	plan := compile(t, `
name: think
cases:
  - name: c
    steps:
      - http: {name: bad, url: "${base}/status/500"}
      - think: 100ms
    stages: [{concurrency: 1, count: 5}]
`, tg.URL, nil)
	run := Run(context.Background(), plan, Options{})
	c := run.Cases[0]
	if s := series(t, c, "bad"); s.Count != 5 || s.Outcomes[metrics.CheckFailed] != 5 {
		t.Fatalf("bad: %d requests, outcomes %v", s.Count, s.Outcomes)
	}
	if d := c.Stages[0].End.Sub(c.Stages[0].Start); d < 400*time.Millisecond {
		t.Errorf("5 failed passes with a 100 ms think took %v: the think was skipped", d)
	}
}

// A VU whose target refuses connections backs off, 10 ms doubling to 1 s:
// in 1.3 s it tries about 8 times, not thousands; the end of the run cuts
// its 1 s pause short.
func TestRefusedTargetBacksOff(t *testing.T) {
	t.Parallel()
	plan := compile(t, `
name: backoff
cases:
  - name: c
    steps: [{http: {name: down, url: "http://${base}/"}}]
    stages: [{concurrency: 1, duration: 1300ms}]
`, refusingAddr(t), nil)
	start := time.Now()
	run := Run(context.Background(), plan, Options{})
	took := time.Since(start)
	s := series(t, run.Cases[0], "down")
	// Pauses of 10, 20, 40, …, 640 ms and 1 s: the 9th try would come after
	// 2.27 s, past the stage.
	if s.Count < 2 || s.Count > 8 || s.Outcomes[metrics.Refused] != s.Count {
		t.Errorf("%d tries (outcomes %v) in 1.3 s, want at most 8, all refused", s.Count, s.Outcomes)
	}
	// Uninterrupted, the 1 s pause begun at about 1.27 s would hold the
	// run past 2.27 s.
	if took > 2*time.Second {
		t.Errorf("the run took %v: the end of the stage did not cut the backoff", took)
	}
}

// outageTarget is an HTTP server on 127.0.0.1 that can go down (its
// listener closed: connections are refused) and come back on the same
// address. It counts the requests it answers.
type outageTarget struct {
	addr string
	hits atomic.Int64
	srv  *http.Server
}

func newOutageTarget(t *testing.T) *outageTarget {
	t.Helper()
	o := &outageTarget{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.addr = l.Addr().String()
	o.serve(l)
	t.Cleanup(func() { o.srv.Close() })
	return o
}

func (o *outageTarget) serve(l net.Listener) {
	o.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		io.WriteString(w, "ok")
	})}
	go o.srv.Serve(l)
}

// down closes the listener and every connection.
func (o *outageTarget) down() { o.srv.Close() }

// up listens again on the same address.
func (o *outageTarget) up(t *testing.T) {
	var l net.Listener
	var err error
	for range 50 {
		if l, err = net.Listen("tcp", o.addr); err == nil {
			o.serve(l)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("cannot listen on %s again: %v", o.addr, err)
}

// Two VUs doing a request then 10 ms of thinking against a target that is
// healthy, then down (refusing connections), then healthy again: during
// the outage they send no more than twice the requests per second they
// sent to the healthy target, and once it is back they succeed again.
func TestOutageIsNotHammered(t *testing.T) {
	t.Parallel()
	o := newOutageTarget(t)
	plan := compile(t, `
name: outage
cases:
  - name: c
    steps:
      - http: {name: get, url: "http://${base}/"}
      - think: 10ms
    stages: [{concurrency: 2, duration: 5s}]
`, o.addr, nil)
	start := time.Now()
	var healthy, downFor time.Duration
	var before, atUp int64
	outage := make(chan struct{})
	go func() {
		defer close(outage)
		time.Sleep(time.Second)
		healthy, before = time.Since(start), o.hits.Load()
		o.down()
		wentDown := time.Now()
		time.Sleep(1500 * time.Millisecond)
		o.up(t)
		downFor, atUp = time.Since(wentDown), o.hits.Load()
	}()
	run := Run(context.Background(), plan, Options{})
	<-outage
	c := run.Cases[0]
	s := series(t, c, "get")
	failed := s.Count - s.Outcomes[metrics.Success]
	healthyRate := float64(before) / healthy.Seconds()
	outageRate := float64(failed) / downFor.Seconds()
	t.Logf("healthy %.0f req/s over %v; %d failed in the %v outage (%.1f/s, outcomes %v); %d answered after it", healthyRate, healthy, failed, downFor, outageRate, s.Outcomes, o.hits.Load()-atUp)
	if before == 0 || failed == 0 {
		t.Fatalf("no healthy phase (%d requests) or no outage (%d failures)", before, failed)
	}
	if outageRate > 2*healthyRate {
		t.Errorf("%.1f requests/s during the outage, over twice the %.1f/s sent to the healthy target", outageRate, healthyRate)
	}
	// Recovered: the VUs are back to the healthy rate in the run's last
	// second, whatever their backoff (at most 1 s) when the target returned.
	last := s.Seconds[4]
	if ok := last.Outcomes[metrics.Success]; float64(ok) < healthyRate/4 || o.hits.Load() == atUp {
		t.Errorf("after the outage: %d successes in the last second (healthy %.0f/s), %d requests answered", ok, healthyRate, o.hits.Load()-atUp)
	}
}

// A manual rate stage takes no target past the cap a scenario's rate
// has.
func TestManualRateCap(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	plan := compile(t, `
name: manual
cases:
  - name: c
    steps: [{http: {name: ok, url: "${base}/ok"}}]
    stages: [{tps: 10, max_vus: 2, duration: 400ms, manual: true}]
`, tg.URL, nil)
	ctl := NewControl()
	done := make(chan *metrics.Run)
	go func() { done <- Run(context.Background(), plan, Options{Control: ctl}) }()
	var over, at error
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, over = ctl.Set("c", scenario.MaxTPS+1, "test"); over == nil || !strings.Contains(over.Error(), "no running case") {
			break
		}
	}
	_, at = ctl.Set("c", scenario.MaxTPS, "test")
	<-done
	if over == nil || !strings.Contains(over.Error(), "over the cap of 10000000 passes a second") {
		t.Errorf("a rate past the cap: %v", over)
	}
	if at != nil {
		t.Errorf("a rate at the cap: %v", at)
	}
}
