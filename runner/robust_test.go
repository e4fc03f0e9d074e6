package runner

import (
	"context"
	"math"
	"testing"
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

// With no VU to take them, a second at 1e9 passes a second is a billion
// missed starts, counted without handing out a billion passes: the
// scheduler's work follows what it can dispatch, not the rate.
func TestRateScheduleMissesByArithmetic(t *testing.T) {
	st := &scenario.Stage{Mode: scenario.ModeTPS, TPS: 1e9, StartTPS: 1e9, Duration: time.Second}
	c := newCaseRun(&scenario.CasePlan{Name: "c", Stages: []*scenario.Stage{st}}, &Options{}, 1)
	c.beginStage("tps", "tps", false, true)
	sp := c.newStagePlan(st)
	sp.limit = 0 // every VU busy
	s := rateSchedule{st: st, c: c, prevR: st.Target(0)}
	start := time.Now()
	for h := time.Millisecond; h <= time.Second; h += time.Millisecond {
		s.handOut(context.Background(), start, sp, s.advance(h))
	}
	if s.emitted != 1e9 || s.missed != 1e9 || c.missed.Load() != 1e9 {
		t.Errorf("after 1 s at 1e9/s with no VU free: emitted %d, missed %d (case %d), want 1e9 each", s.emitted, s.missed, c.missed.Load())
	}
	if len(c.vus) != 0 || len(c.arrivals) != 0 {
		t.Errorf("%d VUs spawned, %d passes handed out with max_vus passes in flight", len(c.vus), len(c.arrivals))
	}
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
	// Passes handed to a VU that was still waiting for their due time when
	// the stage ended neither started nor count as missed: at most one per
	// VU, and one for rounding the rate's integral.
	if due := int64(1e9); started+missed > due || started+missed < due-5 || started == 0 {
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
	due := 1e9 * sr.End.Sub(sr.Start).Seconds()
	if got := float64(started + missed); math.Abs(got-due) > 0.02*due || started == 0 {
		t.Errorf("started %d + missed %d = %.0f, want about %.0f (1e9/s over %v)", started, missed, got, due, sr.End.Sub(sr.Start))
	}
}
