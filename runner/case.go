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

// arrival is a pass a rate stage wants started at a given time.
type arrival struct {
	at      time.Time
	epoch   int64
	counted bool // toward a count-mode stage
}

// arrivalBuffer bounds the passes handed out and not yet taken; the
// dispatcher never hands out more than there are idle VUs.
const arrivalBuffer = 1 << 16

// unlimitedVUs is the cap of a rate stage that sets no max_vus: the pool
// grows as needed, but not past what one process can hold.
const unlimitedVUs = 200_000

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

	// Rate stages (open model): passes due to start, VUs waiting for one,
	// VUs alive, and passes that could not start because every VU up to the
	// cap was busy.
	rate     atomic.Bool
	arrivals chan arrival
	idle     atomic.Int64
	spawned  atomic.Int64
	missed   atomic.Int64

	// fatal is set when a VU panicked: the case stops and the run is
	// aborted with this message.
	fatal atomic.Pointer[string]

	watch      *watch       // SLA rules and probes, fed by the clock
	sampledVUs atomic.Int64 // the clock's last VU sample
	slaStop    atomic.Bool  // an SLA rule with action stop has acted
	manual     manualState  // manual regulation of the current stage
	ctl        *controllers // rendezvous, weighted and throughput state
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
		stopCh: make(chan struct{}), arrivals: make(chan arrival, arrivalBuffer),
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
		if c.rate.Load() {
			if ok, again := c.nextArrival(v, wake); !again {
				return ok
			}
			continue
		}
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

// nextArrival waits, in a rate stage, for a pass the schedule wants
// started. again reports that the schedule changed and must be read anew.
func (c *caseRun) nextArrival(v *vu, wake chan struct{}) (ok, again bool) {
	c.idle.Add(1)
	defer c.idle.Add(-1)
	select {
	case a := <-c.arrivals:
		v.claimed, v.epoch, v.due = a.counted, a.epoch, a.at
		return true, false
	case <-wake:
		return false, true
	case <-c.stopCh:
		return false, false
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
		c.spawn()
	}
	c.maxActive = max(c.maxActive, int64(n))
	if c.active.Swap(int64(n)) != int64(n) {
		c.notify()
	}
}

// notify wakes every parked VU to re-read the schedule. Only the
// scheduler goroutine calls it.
// spawn starts one more VU. Only the scheduler goroutine calls it.
func (c *caseRun) spawn() {
	v := newVU(c, len(c.vus))
	c.vus = append(c.vus, v)
	c.spawned.Add(1)
	c.wg.Add(1)
	go v.run()
}

// vusNow is the VU count the per-second series shows: the VUs allowed to
// run in a closed model, the VUs busy with a pass in an open one.
func (c *caseRun) vusNow() int {
	if c.rate.Load() {
		return int(max(c.spawned.Load()-c.idle.Load(), 0))
	}
	return int(c.active.Load())
}

func (c *caseRun) notify() {
	next := make(chan struct{})
	close(*c.wake.Swap(&next))
}

// run drives the case's stages in order and returns its measurements.
// ctx ending stops the case gracefully; abort cuts it at once.
func (c *caseRun) run(ctx context.Context, abort <-chan struct{}) (*metrics.CaseResult, bool) {
	start := time.Now()
	c.rec = metrics.NewRecorder(c.series, c.opts.shards(), start)
	c.watch = newWatch(c.plan, start)
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
		c.watch.beginStage(st, sr.Start)
		if !st.IsRate() {
			// The new stage's VU count first, so that VUs above it park
			// rather than claim the new stage's passes.
			c.setActive(int(math.Round(c.regulated(st.Target(0)))))
		}
		c.epoch.Add(1)
		if st.Count > 0 {
			c.done.Store(0)
			c.tokens.Store(st.Count)
			c.counting.Store(true)
		} else {
			c.counting.Store(false)
		}
		c.notify()
		if st.IsRate() {
			res.LatencyFrom = "intended_start"
			interrupted = c.runRate(ctx, abort, st, sr.Start)
			sr.End = time.Now()
			c.watch.endStage(sr.End)
			res.Stages = append(res.Stages, sr)
			if interrupted {
				break stages
			}
			continue
		}
		t := time.NewTicker(schedulerTick)
		for {
			elapsed := time.Since(sr.Start)
			c.setActive(int(math.Round(c.regulated(st.Target(elapsed)))))
			if st.Count > 0 && c.done.Load() >= st.Count || st.Count == 0 && elapsed >= st.Duration || c.watch.stopStage() {
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
			if c.fatal.Load() != nil || c.slaStop.Load() {
				interrupted = true
			}
			if interrupted {
				t.Stop()
				sr.End = time.Now()
				c.watch.endStage(sr.End)
				res.Stages = append(res.Stages, sr)
				break stages
			}
		}
		t.Stop()
		sr.End = time.Now()
		c.watch.endStage(sr.End)
		res.Stages = append(res.Stages, sr)
	}
	c.stop(abort)
	close(clockStop)
	<-clockDone
	end := time.Now()
	// The last, partial second gets the VU count sampled in it too.
	c.rec.Tick(end, int(c.sampledVUs.Load()))
	res.Stats = c.rec.Finish(c.plan.Name, end)
	res.Stats.MaxVUs = max(res.Stats.MaxVUs, int(c.maxActive))
	res.Changes = c.manual.changes
	res.Rendezvous = c.ctl.results()
	res.Missed = c.missed.Load()
	c.watch.results(res)
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
	// A second's VU count is taken 100 ms into it, when a ramp's step for
	// that second has been made; it is noted when the second is harvested.
	vus := 0
	for k := 0; ; k++ {
		next := start.Add(time.Duration(k)*time.Second + 100*time.Millisecond)
		t := time.NewTimer(time.Until(next))
		select {
		case <-stop:
			t.Stop()
			return
		case now := <-t.C:
			if k > 0 {
				c.rec.Tick(now, vus)
				if c.watch.observe(c.rec) {
					c.slaStop.Store(true)
				}
				if c.opts.Live != nil {
					if sec, series, ok := c.rec.Last(); ok {
						c.opts.Live(c.plan.Name, sec, vus, sumRequests(series[:c.txnSeries]))
					}
				}
			}
			vus = c.vusNow()
			c.sampledVUs.Store(int64(vus))
		}
	}
}

// rateTick is how often a rate stage hands out the passes that fell due:
// at 10,000/s about ten at a time, each with its own due time.
const rateTick = time.Millisecond

// runRate drives a rate stage (open model): passes start at the rate the
// shape asks for, whatever the latency, from a pool of VUs that grows up
// to the stage's cap. A pass that falls due when every VU is busy and
// the pool is full is counted as missed, never silently dropped. It
// reports whether the run was interrupted.
func (c *caseRun) runRate(ctx context.Context, abort <-chan struct{}, st *scenario.Stage, start time.Time) bool {
	c.rate.Store(true)
	c.notify()
	defer func() {
		c.rate.Store(false)
		// Passes handed out but not taken did not start: missed.
		for {
			select {
			case <-c.arrivals:
				c.missed.Add(1)
			default:
				return
			}
		}
	}()
	limit := st.VUs
	if limit <= 0 {
		limit = unlimitedVUs
	}
	epoch := c.epoch.Load()
	var due float64 // passes due since the stage began: the integral of the rate
	var emitted, missed int64
	prevT, prevR := time.Duration(0), c.regulated(st.Target(0))
	t := time.NewTicker(rateTick)
	defer t.Stop()
	for {
		el := time.Since(start)
		if st.Count == 0 && el >= st.Duration {
			return false
		}
		r := c.regulated(st.Target(el))
		due += (prevR + r) / 2 * (el - prevT).Seconds()
		n := int64(due) - emitted
		if st.Count > 0 {
			n = min(n, st.Count-emitted)
		}
		for i := range n {
			// Spread the passes that fell due in this tick over it, each
			// with its own due time.
			at := start.Add(prevT + time.Duration(float64(el-prevT)*float64(i+1)/float64(n)))
			if !c.dispatch(arrival{at: at, epoch: epoch, counted: st.Count > 0}, limit) {
				missed++
			}
		}
		emitted += n
		prevT, prevR = el, r
		if st.Count > 0 && emitted >= st.Count && c.done.Load()+missed >= st.Count {
			return false
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return true
		case <-abort:
			c.cut()
			return true
		}
		if c.fatal.Load() != nil || c.slaStop.Load() {
			return true
		}
	}
}

// dispatch hands a due pass to an idle VU, growing the pool when none is
// idle; it reports false, counting a missed start, when the pool is full.
func (c *caseRun) dispatch(a arrival, limit int) bool {
	if c.idle.Load() <= int64(len(c.arrivals)) {
		if len(c.vus) >= limit {
			c.missed.Add(1)
			return false
		}
		c.spawn()
		c.maxActive = max(c.maxActive, int64(len(c.vus)))
	}
	select {
	case c.arrivals <- a:
		return true
	default:
		c.missed.Add(1)
		return false
	}
}

// sumRequests adds up the request series of one second.
func sumRequests(series []metrics.Second) metrics.Second {
	var sum metrics.Second
	for _, s := range series {
		sum.Count += s.Count
		sum.RTSum += s.RTSum
		sum.Sent += s.Sent
		sum.Recv += s.Recv
		for o := range s.Outcomes {
			sum.Outcomes[o] += s.Outcomes[o]
		}
	}
	return sum
}
