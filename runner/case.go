package runner

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/output"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// schedulerTick is how often a stage's target is re-read: fine enough that
// a ramp over seconds moves in small steps.
const schedulerTick = 20 * time.Millisecond

// stagePlan is what VUs need to know of the current stage. It is
// published whole, before the VU count changes, so that no VU ever acts
// on half of a change (a new VU count with the old stage's counting).
type stagePlan struct {
	rate    bool          // an open model: passes start on schedule
	counted bool          // count mode
	count   int64         // count mode: the stage's passes
	tokens  *atomic.Int64 // count mode: passes left to hand out
	done    *atomic.Int64 // count mode: passes completed
	limit   int64         // rate stages: the most passes in flight (max_vus)
	open    *rateStage    // rate stages: the hand-out of passes
}

// caseRun is one case being run: its VUs, the schedule that drives them
// and the recorder they write into.
type caseRun struct {
	plan    *scenario.CasePlan
	opts    *Options
	seg     scenario.Segment // the part of a split run this process runs (Options.Segment)
	rec     *metrics.Recorder
	globals *globals
	seed    uint64
	need    vuNeed        // what a VU keeps, estimated: connections and memory
	think   time.Duration // the think time of a full pass (thinkBudget)
	series  []metrics.SeriesInfo

	// drivers are those of the protocols the case's requests use (the
	// others have none); cookies says one of them keeps cookies. extras
	// are the extra metrics they declare, each protocol's from
	// extraBase on.
	drivers   [scenario.NumProtocols]protocols.Driver
	cookies   bool
	extras    []metrics.ExtraInfo
	extraBase [scenario.NumProtocols]int
	// customBase is where the plan's own extra metrics (its custom
	// metrics and soft checks, CasePlan.Metrics) start in extras.
	customBase int

	// before are the variables the run's before: steps left, which every
	// VU starts with (scenario.Slot.FromBefore).
	before map[string][]byte

	passSeries int // series index of the case's passes
	txnSeries  int // series index of the first transaction

	// stopping makes VUs leave at their next step; stopCh wakes those that
	// sleep. hardCtx ends when in-flight requests must be cut.
	stopping    atomic.Bool
	stopCh      chan struct{}
	hardCtx     context.Context
	hardCancel  context.CancelFunc
	hardStopped atomic.Bool

	// cur is the current stage, for the VUs; stageWake is closed and
	// replaced when it changes.
	cur       atomic.Pointer[stagePlan]
	stageWake atomic.Pointer[chan struct{}]

	// active is how many VUs may run passes in a closed model: VU i runs
	// while i < active. VUs above it park on their own wake channel, so
	// raising the count wakes only the VUs it lets run.
	active    atomic.Int64
	maxActive int64 // scheduler goroutine only
	vus       []*vu
	wg        sync.WaitGroup

	// Rate stages (open model): passes in flight, VUs alive, and passes
	// that could not start because max_vus passes were in flight.
	inflight atomic.Int64
	spawned  atomic.Int64
	missed   atomic.Int64

	// fatal is set when a VU panicked: the case stops and the run is
	// aborted with this message.
	fatal atomic.Pointer[string]

	start      time.Time // the case's start: second k is [start+k s, start+(k+1) s)
	clock0     time.Time // the start to take, when set (Options.StartAt); else now
	ended      bool      // the load has ended: set once the clock has stopped, before the last harvest
	watch      *watch    // SLA rules and probes, fed by the clock
	stageAt    atomic.Pointer[stageMark]
	sampledVUs atomic.Int64 // the clock's last VU sample
	slaStop    atomic.Bool  // an SLA rule with action stop has acted
	manual     manualState  // manual regulation of the current stage
	ctl        *controllers // rendezvous, weighted and throughput state
	rows       rowsState    // variables that stop at their last row
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
		plan: cp, opts: opts, seg: opts.Segment, globals: newGlobals(cp.Slots), seed: seed,
		txnSeries: len(cp.Requests), passSeries: len(cp.Requests) + len(cp.Transactions),
		stopCh: make(chan struct{}),
	}
	wake := make(chan struct{})
	c.stageWake.Store(&wake)
	c.cur.Store(&stagePlan{})
	c.series = series
	for _, r := range cp.Requests {
		c.drivers[r.Protocol] = opts.driver(r.Protocol)
	}
	for p, d := range c.drivers {
		c.cookies = c.cookies || d.Cookies
		c.extraBase[p] = len(c.extras)
		c.extras = append(c.extras, d.Extras...)
	}
	c.customBase = len(c.extras)
	c.extras = append(c.extras, cp.Metrics...)
	c.ctl = newControllers(cp, c.seg)
	c.need = needPerVU(cp)
	c.think = thinkBudget(cp.Steps)
	c.hardCtx, c.hardCancel = context.WithCancel(context.Background())
	return c
}

// left is what the case's first VU left in its variables (extracted or
// set): what before: steps hand every VU of the run.
func (c *caseRun) left() map[string][]byte {
	if len(c.vus) == 0 {
		return nil
	}
	v, out := c.vus[0], map[string][]byte{}
	for i, s := range c.plan.Slots {
		if s.Global == nil && s.Builtin == scenario.NotBuiltin {
			out[s.Name] = v.vals[i]
		}
	}
	return out
}

// mayStart blocks until VU v may begin a pass, and reports false when the
// run is over for it. In count mode it also claims one of the stage's
// passes, so the stage sends exactly its count however many VUs race.
func (c *caseRun) mayStart(v *vu) bool {
	for {
		if c.stopping.Load() {
			return false
		}
		// Load the channel before reading the stage: a change made after
		// this load closes the very channel waited on below.
		stageWake := *c.stageWake.Load()
		sp := c.cur.Load()
		if sp.rate {
			if ok, again := c.nextPass(v, sp, stageWake); !again {
				return ok
			}
			continue
		}
		if int64(v.id) < c.active.Load() {
			if !sp.counted {
				v.claim = nil
				return true
			}
			if sp.tokens.Add(-1) >= 0 {
				v.claim = sp
				return true
			}
		}
		select {
		case <-v.wake:
		case <-stageWake:
		case <-c.stopCh:
			return false
		}
	}
}

// passEnded counts a completed pass toward the count stage that handed it
// out, and frees its place among a rate stage's passes in flight.
func (c *caseRun) passEnded(v *vu, completed bool) {
	if completed && v.claim != nil {
		v.claim.done.Add(1)
	}
	v.claim = nil
	if v.open != nil {
		v.open = nil
		c.inflight.Add(-1)
	}
}

// setActive lets n VUs run, starting goroutines for VUs not yet born and
// waking parked VUs that may run again. Only the scheduler goroutine
// calls it.
func (c *caseRun) setActive(n int) {
	n = max(n, 0)
	for len(c.vus) < n && !c.rows.shared.Load() {
		c.spawn()
	}
	n = min(n, len(c.vus))
	c.maxActive = max(c.maxActive, int64(n))
	old := int(c.active.Swap(int64(n)))
	for id := old; id < n; id++ {
		select {
		case c.vus[id].wake <- struct{}{}:
		default: // already woken
		}
	}
}

// spawn starts one more VU. Only the scheduler goroutine calls it.
func (c *caseRun) spawn() {
	v := newVU(c, len(c.vus))
	c.vus = append(c.vus, v)
	c.spawned.Add(1)
	c.wg.Add(1)
	go v.run()
}

// vusNow is the VU count the per-second series shows: the VUs allowed to
// run in a closed model, the passes in flight in an open one.
func (c *caseRun) vusNow() int {
	if c.cur.Load().rate {
		return int(max(c.inflight.Load(), 0))
	}
	return int(c.active.Load())
}

// publish makes sp the current stage and wakes every parked VU to read it.
func (c *caseRun) publish(sp *stagePlan) {
	c.cur.Store(sp)
	next := make(chan struct{})
	close(*c.stageWake.Swap(&next))
}

// newStagePlan is what a stage starting at start tells its VUs. A rate
// stage without max_vus may grow its pool as far as the machine holds,
// read when the stage starts. Only the scheduler goroutine calls it.
func (c *caseRun) newStagePlan(st *scenario.Stage, start time.Time) *stagePlan {
	// A part of a split run counts its share of a count stage's passes,
	// and may use its share of max_vus (striped as the VUs are).
	count := c.seg.Share(st.Count)
	sp := &stagePlan{rate: st.IsRate(), counted: st.Count > 0, count: count, tokens: new(atomic.Int64), done: new(atomic.Int64)}
	sp.tokens.Store(count)
	sp.limit = c.seg.Share(int64(st.VUs))
	if st.VUs <= 0 {
		sp.limit = int64(ThisMachine().maxVUs(c.need))
	}
	if sp.rate {
		sp.open = newRateStage(st, c.seg, start, sp.limit, &c.missed)
		// The VUs that will take part without being started: those
		// below max_vus that have not stopped.
		for _, v := range c.vus[:min(int64(len(c.vus)), sp.limit)] {
			if !v.left.Load() {
				sp.open.fresh.Add(1)
			}
		}
	}
	return sp
}

// run drives the case's stages in order and returns its measurements.
// ctx ending stops the case gracefully; abort cuts it at once.
func (c *caseRun) run(ctx context.Context, abort <-chan struct{}) (*metrics.CaseResult, bool) {
	start := time.Now()
	if !c.clock0.IsZero() {
		start = c.clock0
	}
	c.start = start
	c.rec = metrics.NewRecorder(c.series, c.opts.shards(), start, c.extras...)
	c.rec.OnHarvest(c.harvested)
	c.watch = newWatch(c.plan, start)
	clockDone := make(chan struct{})
	clockStop := make(chan struct{})
	go c.clock(start, clockStop, clockDone)

	res := &metrics.CaseResult{Protocols: protocolsOf(c.plan), Mode: modeName(c.plan), LatencyFrom: "send"}
	for _, t := range c.plan.Transactions {
		if t.Together {
			res.Together = append(res.Together, t.Name)
		}
	}
	c.opts.Control.register(c)
	interrupted := false
stages:
	for i, st := range c.plan.Stages {
		if c.rowsUsedUp() {
			break
		}
		sr := metrics.StageResult{Name: st.Name, Mode: stageMode(st), Start: time.Now()}
		if i == 0 {
			// The first stage's shape runs from the case's clock 0, which
			// the parts of a split run share.
			sr.Start = start
		}
		c.beginStage(stageLabel(st), stageMode(st), st.Manual, st.IsRate())
		c.watch.beginStage(st, sr.Start)
		sp := c.newStagePlan(st, sr.Start)
		c.stageAt.Store(&stageMark{index: i + 1, st: st, start: sr.Start, sp: sp})
		c.publish(sp)
		if st.IsRate() {
			res.LatencyFrom = "intended_start"
			c.setActive(0)
			interrupted = c.runRate(ctx, abort, st, sp)
			c.endManual()
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
			// A part runs the VUs of the whole run's count numbered
			// j mod N = I: its share of the whole count.
			c.setActive(int(c.seg.Share(int64(math.Round(c.regulated(st.Target(elapsed)))))))
			if st.Count > 0 && sp.done.Load() >= sp.count || st.Count == 0 && elapsed >= st.Duration || c.watch.stopStage() || c.rowsUsedUp() {
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
		c.endManual()
		sr.End = time.Now()
		c.watch.endStage(sr.End)
		res.Stages = append(res.Stages, sr)
	}
	c.endManual()
	c.opts.Control.unregister(c)
	c.stop(abort)
	close(clockStop)
	<-clockDone
	c.ended = true
	end := time.Now()
	// The last, partial second gets the VU count sampled in it too.
	c.rec.Tick(end, int(c.sampledVUs.Load()))
	res.Stats = c.rec.Finish(c.plan.Name, end)
	res.Stats.MaxVUs = max(res.Stats.MaxVUs, int(c.maxActive))
	res.Changes = c.manual.taken()
	res.Rendezvous = c.ctl.results()
	res.Missed = c.missed.Load()
	if name := c.rows.first.Load(); name != nil && c.rowsUsedUp() {
		res.RowsOut = *name
	}
	c.watch.results(res)
	return res, interrupted
}

// stop ends the run for every VU: they leave at their next step, and a
// request still in flight when the grace period ends is cut.
func (c *caseRun) stop(abort <-chan struct{}) {
	c.stopping.Store(true)
	close(c.stopCh)
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
		v.interrupt()
	}
}

// clock harvests the recorder once a second, just after each second ends.
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
			}
			vus = c.vusNow()
			c.sampledVUs.Store(int64(vus))
		}
	}
}

// harvested takes every second the recorder harvests, in order: while the
// load runs, the SLA rules and the probes judge it; every output receives
// it.
func (c *caseRun) harvested(h *metrics.Harvest) {
	if !c.ended && c.watch.observe(h) {
		c.slaStop.Store(true)
	}
	c.opts.output().Second(&output.Second{Case: c.plan.Name, Time: c.start.Add(time.Duration(h.Index) * time.Second),
		Final: c.ended, Harvest: *h, Progress: c.progress()})
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

// stageMark is which stage runs, since when, for progress reports.
type stageMark struct {
	index int
	st    *scenario.Stage
	start time.Time
	sp    *stagePlan
}

// progress is where the case stands now.
func (c *caseRun) progress() output.Progress {
	p := output.Progress{Missed: c.missed.Load(), Stages: len(c.plan.Stages)}
	if m := c.stageAt.Load(); m != nil {
		p.Stage, p.StageIndex, p.Elapsed = stageLabel(m.st), m.index, time.Since(m.start)
		if m.st.Count > 0 {
			p.Count, p.Done = m.sp.count, m.sp.done.Load()
		} else {
			p.Duration = m.st.Duration
		}
	}
	return p
}
