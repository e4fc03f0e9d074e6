package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// The tests here run on testing/synctest's fake clock: every wait is on a
// timer or a channel, so a stage of seconds takes no time and each pass
// starts exactly when the code says. Their passes think or set, which
// needs no socket.

// rateCase is a case in a rate stage with vus VUs, built by hand so that a
// test drives nextPass itself, without a supervisor. Call it inside the
// bubble.
func rateCase(t *testing.T, st *scenario.Stage, vus int, limit int64) (*caseRun, *stagePlan, chan struct{}) {
	t.Helper()
	c := newCaseRun(&scenario.CasePlan{Name: "c", Stages: []*scenario.Stage{st}}, &Options{}, 1)
	c.rec = metrics.NewRecorder(c.series, 1, time.Now())
	sp := &stagePlan{rate: true, counted: st.Count > 0, count: st.Count, done: new(atomic.Int64), limit: limit}
	sp.open = newRateStage(st, scenario.Segment{}, time.Now(), limit, &c.missed)
	c.cur.Store(sp)
	for i := range vus {
		v := newVU(c, i)
		t.Cleanup(v.closeDrivers)
		c.vus = append(c.vus, v)
	}
	return c, sp, *c.stageWake.Load()
}

// Free VUs claim passes in turn and each starts its pass at the nanosecond
// it is due, timed from then; every pass of the stage starts once, and
// none past its end.
func TestPassesStartWhenDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &scenario.Stage{Mode: scenario.ModeTPS, TPS: 100, StartTPS: 100, Duration: time.Second}
		c, sp, wake := rateCase(t, st, 3, 3)
		start := sp.open.start
		var mu sync.Mutex
		startedAt := map[int64]time.Duration{}
		var wg sync.WaitGroup
		for _, v := range c.vus {
			wg.Go(func() {
				for {
					if ok, _ := c.nextPass(v, sp, wake); !ok {
						return
					}
					at := time.Since(start)
					mu.Lock()
					if _, twice := startedAt[v.openPass]; twice {
						t.Errorf("pass %d started twice", v.openPass)
					}
					startedAt[v.openPass] = at
					mu.Unlock()
					if !v.due.Equal(start.Add(at)) {
						t.Errorf("pass %d started at %v is timed from %v", v.openPass, at, v.due.Sub(start))
					}
					c.passEnded(v, true)
				}
			})
		}
		time.Sleep(2 * time.Second)
		c.stopping.Store(true)
		close(c.stopCh)
		wg.Wait()
		if len(startedAt) != 100 {
			t.Errorf("%d passes started in a 1 s stage at 100/s, want 100", len(startedAt))
		}
		for k := int64(1); k <= 100; k++ {
			if at, ok := startedAt[k]; !ok || at != time.Duration(k)*10*time.Millisecond {
				t.Errorf("pass %d started at %v (started: %v), want %v", k, at, ok, time.Duration(k)*10*time.Millisecond)
			}
		}
		if c.missed.Load() != 0 || c.inflight.Load() != 0 {
			t.Errorf("missed %d, in flight %d; want none", c.missed.Load(), c.inflight.Load())
		}
	})
}

// With the pool at max_vus, the passes that fell due while its one VU was
// busy are missed starts, and the VU takes the first pass not yet due.
// While the pool may still grow, a pass no VU was free for starts late
// instead, timed from when it was due.
func TestBusyVUMissesOrLags(t *testing.T) {
	st := &scenario.Stage{Mode: scenario.ModeTPS, TPS: 100, StartTPS: 100, Duration: time.Second}
	for _, tc := range []struct {
		name   string
		full   bool
		pass   int64         // the pass taken after 35 ms of work on pass 1
		at     time.Duration // when it starts
		due    time.Duration // when it was due
		missed int64
	}{
		{"pool at max_vus", true, 5, 50 * time.Millisecond, 50 * time.Millisecond, 3},
		{"pool may grow", false, 2, 45 * time.Millisecond, 20 * time.Millisecond, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, sp, wake := rateCase(t, st, 1, 2)
				if tc.full {
					sp.open.fullAt.Store(0) // as the supervisor notes it
				}
				v, start := c.vus[0], sp.open.start
				if ok, _ := c.nextPass(v, sp, wake); !ok || v.openPass != 1 || time.Since(start) != 10*time.Millisecond {
					t.Fatalf("first pass %d at %v", v.openPass, time.Since(start))
				}
				time.Sleep(35 * time.Millisecond) // the pass's work
				c.passEnded(v, true)
				if ok, _ := c.nextPass(v, sp, wake); !ok {
					t.Fatal("no second pass")
				}
				if v.openPass != tc.pass || time.Since(start) != tc.at || v.due.Sub(start) != tc.due || c.missed.Load() != tc.missed {
					t.Errorf("took pass %d at %v, due %v, %d missed; want pass %d at %v, due %v, %d missed",
						v.openPass, time.Since(start), v.due.Sub(start), c.missed.Load(), tc.pass, tc.at, tc.due, tc.missed)
				}
			})
		})
	}
}

// A pass given back by a VU that ran out of rows goes to a VU waiting for
// a later pass, at once and timed from when it fell due; the later pass
// waits for the next VU free, and starts on time.
func TestGivenBackPassGoesToAWaitingVU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &scenario.Stage{Mode: scenario.ModeTPS, TPS: 100, StartTPS: 100, Duration: time.Second}
		c, sp, wake := rateCase(t, st, 2, 2)
		a, b, start := c.vus[0], c.vus[1], sp.open.start
		type took struct {
			pass    int64
			at, due time.Duration
		}
		got := make(chan took, 2)
		go func() {
			if ok, _ := c.nextPass(a, sp, wake); ok {
				time.Sleep(2 * time.Millisecond) // reading its row, which is not there
				c.stopForRows(a)
			}
		}()
		synctest.Wait() // a holds pass 1
		go func() {
			for range 2 {
				if ok, _ := c.nextPass(b, sp, wake); ok {
					got <- took{b.openPass, time.Since(start), b.due.Sub(start)}
					c.passEnded(b, true)
				}
			}
		}()
		want := []took{{1, 12 * time.Millisecond, 10 * time.Millisecond}, {2, 20 * time.Millisecond, 20 * time.Millisecond}}
		for _, w := range want {
			if g := <-got; g != w {
				t.Errorf("b took pass %d at %v, due %v; want pass %d at %v, due %v", g.pass, g.at, g.due, w.pass, w.at, w.due)
			}
		}
		if n := sp.open.started.Load(); n != 2 || c.missed.Load() != 0 {
			t.Errorf("%d passes started, %d missed; want 2 and none", n, c.missed.Load())
		}
		c.stopping.Store(true)
		close(c.stopCh)
	})
}

// rateRun compiles yml and runs it on the fake clock.
func rateRun(t *testing.T, yml string, opts Options) *metrics.Run {
	t.Helper()
	plan := compile(t, yml, "", nil)
	var run *metrics.Run
	synctest.Test(t, func(t *testing.T) { run = Run(context.Background(), plan, opts) })
	return run
}

// A whole run: every pass of a duration stage and of a count stage starts,
// in the second it was due, none missed, and latency is measured from the
// intended start.
func TestRateStagesOnFakeClock(t *testing.T) {
	run := rateRun(t, `
name: rate
cases:
  - name: c
    steps: [{think: 5ms}]
    stages:
      - {tps: 100, duration: 1s}
      - {tps: 40, count: 20}
`, Options{})
	c := run.Cases[0]
	pass := series(t, c, "c")
	// Passes due at 10 ms .. 990 ms end in the first second; the one due
	// at 1 s, and the count stage's 20, in the next.
	if pass.Count != 120 || len(pass.Seconds) < 2 || pass.Seconds[0].Count != 99 || pass.Seconds[1].Count != 21 {
		t.Errorf("%d passes, by second %v; want 120: 99, then 21", pass.Count, passesBySecond(pass))
	}
	if c.Missed != 0 || c.LatencyFrom != "intended_start" {
		t.Errorf("missed %d, latency from %q", c.Missed, c.LatencyFrom)
	}
}

// max_vus 2, passes every 10 ms that each keep a VU 25 ms: of every three
// passes two start and one falls due with both VUs busy, a missed start.
// The count stage ends once its 99 passes have started or been missed.
func TestMaxVUsMissesOnFakeClock(t *testing.T) {
	run := rateRun(t, `
name: missed
cases:
  - name: c
    steps: [{think: 25ms}]
    stages: [{tps: 100, max_vus: 2, count: 99}]
`, Options{})
	c := run.Cases[0]
	if got := series(t, c, "c").Count; got != 66 || c.Missed != 33 || c.Stats.MaxVUs != 2 {
		t.Errorf("%d passes, %d missed, %d VUs; want 66, 33 and 2", got, c.Missed, c.Stats.MaxVUs)
	}
}

// A manual change to a rate stage holds the new rate from the supervisor's
// next wake: 10/s until 1.01 s (10.1 passes due), then 50/s to 2 s, 59
// passes in all.
func TestManualRateOnFakeClock(t *testing.T) {
	plan := compile(t, `
name: manual
cases:
  - name: c
    steps: [{think: 1ms}]
    stages: [{tps: 10, duration: 2s, manual: true}]
`, "", nil)
	synctest.Test(t, func(t *testing.T) {
		ctl := NewControl()
		done := make(chan *metrics.Run)
		go func() { done <- Run(context.Background(), plan, Options{Control: ctl}) }()
		time.Sleep(1005 * time.Millisecond)
		if _, err := ctl.Set("", 50, "test"); err != nil {
			t.Fatal(err)
		}
		c := (<-done).Cases[0]
		if got := series(t, c, "c").Count; got != 59 || c.Missed != 0 || len(c.Changes) != 1 || c.Changes[0].Target != 50 {
			t.Errorf("%d passes, %d missed, changes %+v; want 59, none, one to 50", got, c.Missed, c.Changes)
		}
	})
}

// Each rate shape starts, second by second, exactly the passes its pacer
// has due in that second. (The last, partial second is left out: the
// recorder folds a pass that ends on the run's last nanosecond into it.)
func TestRateShapesOnFakeClock(t *testing.T) {
	plan := compile(t, `
name: shapes
parallel: true
cases:
  - name: ramp
    steps: [{set: {x: "1"}}]
    stages: [{tps: 300, start_tps: 0, ramp_up: 3s, duration: 3500ms}]
  - name: surge
    steps: [{set: {x: "1"}}]
    stages: [{surge_tps: {min: 40, max: 200, loops: 1, hold: 1s}, duration: 3500ms}]
  - name: oscillate
    steps: [{set: {x: "1"}}]
    stages: [{oscillate_tps: {min: 50, max: 250, loops: 1}, duration: 3500ms}]
`, "", nil)
	var run *metrics.Run
	synctest.Test(t, func(t *testing.T) { run = Run(context.Background(), plan, Options{}) })
	for i, c := range run.Cases {
		p := newPacer(plan.Cases[i].Stages[0])
		got := passesBySecond(series(t, c, c.Stats.Name))
		for k := range 3 {
			// A pass takes no time: it ends in the second it was due.
			sec := time.Duration(k) * time.Second
			want := p.dueBy(sec+time.Second-1) - p.dueBy(sec-1)
			if k >= len(got) || got[k] != want {
				t.Errorf("%s: passes by second %v, want %d in second %d", c.Stats.Name, got, want, k)
			}
		}
		if c.Missed != 0 {
			t.Errorf("%s: %d missed", c.Stats.Name, c.Missed)
		}
	}
}

// A rendezvous in a rate stage gathers passes as they fall due: the pool
// grows while VUs wait at it.
func TestRendezvousInRateStageOnFakeClock(t *testing.T) {
	run := rateRun(t, `
name: rv
cases:
  - name: c
    steps:
      - rendezvous: {name: r, users: 5, timeout: 2s}
      - think: 1ms
    stages: [{tps: 100, count: 40}]
`, Options{})
	c := run.Cases[0]
	if rv := c.Rendezvous; len(rv) != 1 || rv[0].Releases != 8 || rv[0].Timeouts != 0 || c.Missed != 0 {
		t.Errorf("rendezvous %+v, %d missed; want 8 gatherings of 5, none missed", rv, c.Missed)
	}
}

func passesBySecond(s *metrics.Stats) []int64 {
	out := make([]int64, len(s.Seconds))
	for i, sec := range s.Seconds {
		out[i] = int64(sec.Count)
	}
	return out
}
