package runner

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// schedulerTick is how often a stage's target is re-read: fine enough that
// a ramp over seconds moves in small steps.
const schedulerTick = 20 * time.Millisecond

// caseRun is one case being run: its VUs, the schedule that drives them
// and the recorder they write into.
type caseRun struct {
	plan    *scenario.CasePlan
	opts    *Options
	rec     *metrics.Recorder
	globals *globals
	seed    uint64
	series  []metrics.SeriesInfo

	passSeries int // series index of the case's passes
	txnSeries  int // series index of the first transaction

	// stopping makes VUs leave at their next step; stopCh wakes those that
	// sleep. hardCtx ends when in-flight requests must be cut.
	stopping    atomic.Bool
	stopCh      chan struct{}
	hardCtx     context.Context
	hardCancel  context.CancelFunc
	hardStopped atomic.Bool

	// active is how many VUs may run passes: VU i runs while i < active.
	active    atomic.Int64
	maxActive int64                         // scheduler goroutine only
	wake      atomic.Pointer[chan struct{}] // closed and replaced whenever the schedule changes
	vus       []*vu
	wg        sync.WaitGroup

	// Count mode: passes left to hand out, and passes completed. epoch
	// numbers the stages, so that a pass claimed in one count stage never
	// counts toward the next.
	counting atomic.Bool
	tokens   atomic.Int64
	done     atomic.Int64
	epoch    atomic.Int64

	// fatal is set when a VU panicked: the case stops and the run is
	// aborted with this message.
	fatal atomic.Pointer[string]

	manual manualState  // manual regulation of the current stage
	ctl    *controllers // rendezvous, weighted and throughput state
}

func newCaseRun(cp *scenario.CasePlan, opts *Options, seed uint64) *caseRun {
	series := make([]metrics.SeriesInfo, 0, len(cp.Requests)+len(cp.Transactions)+1)
	for _, r := range cp.Requests {
		series = append(series, metrics.SeriesInfo{Name: r.Name, Kind: metrics.KindRequest})
	}
	for _, t := range cp.Transactions {
		series = append(series, metrics.SeriesInfo{Name: t.Name, Kind: metrics.KindTransaction})
	}
	series = append(series, metrics.SeriesInfo{Name: cp.Name, Kind: metrics.KindCase})
	c := &caseRun{
		plan: cp, opts: opts, globals: newGlobals(cp.Slots), seed: seed,
		txnSeries: len(cp.Requests), passSeries: len(cp.Requests) + len(cp.Transactions),
		stopCh: make(chan struct{}),
	}
	wake := make(chan struct{})
	c.wake.Store(&wake)
	c.series = series
	c.ctl = newControllers(cp)
	c.hardCtx, c.hardCancel = context.WithCancel(context.Background())
	return c
}

// mayStart blocks until VU v may begin a pass, and reports false when the
// run is over for it. In count mode it also claims one of the stage's
// passes, so the stage sends exactly its count however many VUs race.
func (c *caseRun) mayStart(v *vu) bool {
	for {
		if c.stopping.Load() {
			return false
		}
		// Load the channel before reading the schedule: a change made after
		// this load closes the very channel waited on below.
		wake := *c.wake.Load()
		if int64(v.id) < c.active.Load() {
			if !c.counting.Load() {
				v.claimed = false
				return true
			}
			if c.tokens.Add(-1) >= 0 {
				// The stage's epoch was set before its tokens, so a token
				// taken is seen with its own stage's epoch.
				v.claimed, v.epoch = true, c.epoch.Load()
				return true
			}
		}
		select {
		case <-wake:
		case <-c.stopCh:
			return false
		}
	}
}

// passEnded counts a completed pass toward the count-mode stage that
// handed it out.
func (c *caseRun) passEnded(v *vu, completed bool) {
	if completed && v.claimed && v.epoch == c.epoch.Load() {
		c.done.Add(1)
	}
}

// setActive lets n VUs run, starting goroutines for VUs not yet born.
func (c *caseRun) setActive(n int) {
	if n < 0 {
		n = 0
	}
	for len(c.vus) < n {
		v := newVU(c, len(c.vus))
		c.vus = append(c.vus, v)
		c.wg.Add(1)
		go v.run()
	}
	c.maxActive = max(c.maxActive, int64(n))
	if c.active.Swap(int64(n)) != int64(n) {
		c.notify()
	}
}

// notify wakes every parked VU to re-read the schedule. Only the
// scheduler goroutine calls it.
func (c *caseRun) notify() {
	next := make(chan struct{})
	close(*c.wake.Swap(&next))
}

// run drives the case's stages in order and returns its measurements.
// ctx ending stops the case gracefully; abort cuts it at once.
func (c *caseRun) run(ctx context.Context, abort <-chan struct{}) (*metrics.CaseResult, bool) {
	start := time.Now()
	c.rec = metrics.NewRecorder(c.series, c.opts.shards(), start)
	clockDone := make(chan struct{})
	clockStop := make(chan struct{})
	go c.clock(start, clockStop, clockDone)

	res := &metrics.CaseResult{Protocols: protocolsOf(c.plan), Mode: modeName(c.plan), LatencyFrom: "send"}
	c.opts.Control.register(c)
	defer c.opts.Control.unregister(c)
	interrupted := false
stages:
	for _, st := range c.plan.Stages {
		sr := metrics.StageResult{Name: st.Name, Mode: stageMode(st), Start: time.Now()}
		c.beginStage(stageLabel(st), stageMode(st), st.Manual)
		c.epoch.Add(1)
		if st.Count > 0 {
			c.done.Store(0)
			c.tokens.Store(st.Count)
			c.counting.Store(true)
		} else {
			c.counting.Store(false)
		}
		c.notify()
		t := time.NewTicker(schedulerTick)
		for {
			elapsed := time.Since(sr.Start)
			c.setActive(int(math.Round(c.regulated(st.Target(elapsed)))))
			if st.Count > 0 && c.done.Load() >= st.Count || st.Count == 0 && elapsed >= st.Duration {
				break
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				interrupted = true
			case <-abort:
				interrupted = true
				c.cut()
			}
			if c.fatal.Load() != nil {
				interrupted = true
			}
			if interrupted {
				t.Stop()
				sr.End = time.Now()
				res.Stages = append(res.Stages, sr)
				break stages
			}
		}
		t.Stop()
		sr.End = time.Now()
		res.Stages = append(res.Stages, sr)
	}
	c.stop(abort)
	close(clockStop)
	<-clockDone
	end := time.Now()
	// The last, partial second gets the VU count too.
	c.rec.Tick(end, int(c.active.Load()))
	res.Stats = c.rec.Finish(c.plan.Name, end)
	res.Stats.MaxVUs = max(res.Stats.MaxVUs, int(c.maxActive))
	res.Changes = c.manual.changes
	return res, interrupted
}

// stop ends the run for every VU: they leave at their next step, and a
// request still in flight when the grace period ends is cut.
func (c *caseRun) stop(abort <-chan struct{}) {
	c.stopping.Store(true)
	close(c.stopCh)
	c.notify()
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	grace := time.NewTimer(c.opts.grace())
	defer grace.Stop()
	select {
	case <-done:
		return
	case <-grace.C:
	case <-abort:
	}
	c.cut()
	<-done
}

// cut interrupts every exchange in flight; what they measured is dropped.
func (c *caseRun) cut() {
	c.hardStopped.Store(true)
	c.hardCancel()
	for _, v := range c.vus {
		v.http.Interrupt()
	}
}

// clock harvests the recorder once a second, just after each second ends,
// and reports progress.
func (c *caseRun) clock(start time.Time, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for k := 1; ; k++ {
		next := start.Add(time.Duration(k)*time.Second + 100*time.Millisecond)
		t := time.NewTimer(time.Until(next))
		select {
		case <-stop:
			t.Stop()
			return
		case now := <-t.C:
			vus := int(c.active.Load())
			c.rec.Tick(now, vus)
			if c.opts.Live != nil {
				if sec, series, ok := c.rec.Last(); ok {
					var sum metrics.Second
					for _, s := range series[:c.txnSeries] {
						sum.Count += s.Count
						sum.RTSum += s.RTSum
						sum.Sent += s.Sent
						sum.Recv += s.Recv
						for o := range s.Outcomes {
							sum.Outcomes[o] += s.Outcomes[o]
						}
					}
					c.opts.Live(c.plan.Name, sec, vus, sum)
				}
			}
		}
	}
}
