package runner

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// An open model's passes are handed out without a dispatcher: a VU that
// is free claims the next pass by its number (a compare-and-swap on the
// last number claimed), asks the pacer when that pass is due, and sleeps
// on its own timer until then: one wake per pass. A supervisor wakes every rateTick to do what no VU can:
// grow the pool when the passes due before its next wake outnumber the
// VUs free to take them, count the passes that fell due while max_vus
// passes were in flight, apply a manual change, and end the stage.
//
//	pass:      1    2    3    4    5    6
//	due:       |----|----|----|----|----|--> t
//	VU a:      [claim 1, sleep][run 1 ]  [claim 4 ...
//	VU b:      [claim 2, sleep     ][run 2]   [claim 5 ...
//	VU c:      [claim 3, sleep          ][run 3 ...
const (
	// rateTick is how long the supervisor sleeps: short enough that a
	// manual change applies within it and a growing pool keeps up, long
	// enough that its wakes cost nothing per pass at any useful rate.
	rateTick = 10 * time.Millisecond
	// rateSettle is how long a stage that reached its end gives the VUs
	// holding passes due by then to start them, before what is left is
	// counted as missed.
	rateSettle = 20 * time.Millisecond
)

const (
	// closedNext, stored in rateStage.next, ends the hand-out: no pass is
	// claimed or counted missed after it.
	closedNext = math.MaxInt64 / 2
	// startedClosed, set in rateStage.started, closes the stage's books: a
	// VU that would start a pass after it does not.
	startedClosed = 1 << 62
)

// rateStage is the hand-out of one rate stage's passes. Its counters are
// atomics read and written by every VU taking part and by the supervisor;
// the given-back list, used only when a VU runs out of rows, takes a lock.
type rateStage struct {
	start   time.Time
	end     time.Duration // the stage's length; never in count mode
	count   int64         // count mode: the stage's passes (the part's share, which may be 0)
	counted bool          // count mode
	limit   int64         // max_vus: the VUs numbered below it take passes

	pace atomic.Pointer[pacer]
	// wake is closed, and replaced, when the pacer changes or a pass is
	// given back: VUs waiting for a pass look again.
	wake atomic.Pointer[chan struct{}]

	next    atomic.Int64 // passes 1..next were claimed or counted missed
	started atomic.Int64 // passes started, plus startedClosed once closed
	missed  atomic.Int64 // passes of this stage counted missed so far
	// skipping is how many VUs are counting passes missed right now, so
	// that closing the books waits for the count to land.
	skipping atomic.Int64
	// fullAt is the elapsed time since which the pool is at max_vus (never
	// until then): a pass due since then that no VU was free to claim
	// fell due with max_vus passes in flight, a missed start. One due
	// before it that found no VU waits for the pool to grow.
	fullAt atomic.Int64
	// fresh is how many VUs taking part have not claimed a pass yet, and
	// so will: the pool grows only beyond them.
	fresh      atomic.Int64
	caseMissed *atomic.Int64

	backN  atomic.Int64 // len(back), read without the lock
	backMu sync.Mutex
	back   []int64 // passes given back by VUs that stopped before them
}

// newRateStage hands out seg's share of the stage's passes: the part's
// pass k is the whole stage's pass seg.Global(k-1)+1 (see pacer), and of a
// count stage's count the passes numbered below it.
func newRateStage(st *scenario.Stage, seg scenario.Segment, start time.Time, limit int64, caseMissed *atomic.Int64) *rateStage {
	r := &rateStage{start: start, end: st.Duration, count: seg.Share(st.Count), counted: st.Count > 0, limit: limit, caseMissed: caseMissed}
	if st.Count > 0 {
		r.end = never
	}
	r.pace.Store(&pacer{st: st, seg: seg})
	wake := make(chan struct{})
	r.wake.Store(&wake)
	r.fullAt.Store(int64(never))
	return r
}

// broadcast wakes every VU waiting for a pass to look again.
func (r *rateStage) broadcast() {
	next := make(chan struct{})
	close(*r.wake.Swap(&next))
}

// last is the last pass of the stage due by elapsed time t.
func (r *rateStage) last(p *pacer, t time.Duration) int64 {
	n := p.dueBy(min(t, r.end))
	if r.counted {
		n = min(n, r.count)
	}
	return n
}

// claim takes a pass for a VU at elapsed time now: one given back first,
// else the next of the schedule. It returns the pass and when it is due,
// or 0 when none is left. A pass that fell due while every VU the stage
// may use was busy is a missed start: it is counted, with every pass due
// since, and the VU takes the first pass not yet due.
func (r *rateStage) claim(p *pacer, now time.Duration) (int64, time.Duration) {
	if r.backN.Load() > 0 {
		if k := r.takeBack(0); k > 0 {
			return k, p.due(k)
		}
	}
	for {
		n := r.next.Load()
		k := n + 1
		if n >= closedNext || r.counted && k > r.count {
			return 0, never
		}
		due := p.due(k)
		if due < now && due <= r.end && due >= time.Duration(r.fullAt.Load()) {
			last := max(r.last(p, now), k)
			take := last + 1
			if r.counted && take > r.count {
				take = 0
			}
			if r.skip(n, last, take) {
				if take == 0 {
					return 0, never
				}
				return take, p.due(take)
			}
			continue
		}
		if r.next.CompareAndSwap(n, k) {
			return k, due
		}
	}
}

// skip counts passes n+1..last as missed starts, provided no VU claimed
// one meanwhile (next is still n), and claims take when it is not 0.
func (r *rateStage) skip(n, last, take int64) bool {
	r.skipping.Add(1)
	ok := r.next.CompareAndSwap(n, max(last, take))
	if ok {
		r.missed.Add(last - n)
		r.caseMissed.Add(last - n)
	}
	r.skipping.Add(-1)
	return ok
}

// giveBack returns pass k, which a VU started but could not run (it ran
// out of rows), for another VU to run, still due when it was. When the
// books are already closed it was counted as started: it is a missed
// start instead.
func (r *rateStage) giveBack(k int64) {
	if r.started.Add(-1)&startedClosed != 0 {
		r.caseMissed.Add(1)
		return
	}
	r.backMu.Lock()
	r.back = append(r.back, k)
	r.backN.Store(int64(len(r.back)))
	r.backMu.Unlock()
	r.broadcast()
}

// takeBack takes the earliest pass given back, if it is due before pass
// held (any, when held is 0); a held pass is given back in its place. It
// returns 0 when it takes none.
func (r *rateStage) takeBack(held int64) int64 {
	r.backMu.Lock()
	defer r.backMu.Unlock()
	first := -1
	for i, k := range r.back {
		if first < 0 || k < r.back[first] {
			first = i
		}
	}
	if first < 0 || held > 0 && r.back[first] > held {
		return 0
	}
	k := r.back[first]
	if held > 0 {
		r.back[first] = held
	} else {
		r.back = append(r.back[:first], r.back[first+1:]...)
		r.backN.Store(int64(len(r.back)))
	}
	return k
}

// close ends the hand-out at elapsed time at: no pass starts or is
// claimed after it, and every pass due by then that did not start is
// counted as missed, by arithmetic, whatever the rate.
func (r *rateStage) close(at time.Duration) {
	started := r.started.Or(startedClosed) &^ startedClosed
	r.next.Store(closedNext)
	for r.skipping.Load() != 0 {
		runtime.Gosched()
	}
	if n := r.last(r.pace.Load(), at) - started - r.missed.Load(); n > 0 {
		r.caseMissed.Add(n)
	}
}

// held is how many passes due by elapsed time t a VU has claimed and not
// started yet.
func (r *rateStage) held(t time.Duration) int64 {
	due := r.last(r.pace.Load(), t)
	return min(r.next.Load(), due) - r.started.Load()&^startedClosed - r.missed.Load() - r.backN.Load()
}

// nextPass waits, in a rate stage, for a pass to fall due and starts it
// for VU v. again reports that the stage changed and must be read anew.
func (c *caseRun) nextPass(v *vu, sp *stagePlan, stageWake chan struct{}) (ok, again bool) {
	r := sp.open
	if int64(v.id) >= r.limit {
		// This VU is past max_vus: it sits the stage out.
		select {
		case <-stageWake:
			return false, true
		case <-c.stopCh:
			return false, false
		}
	}
	if v.seen != r {
		v.seen = r
		r.fresh.Add(-1)
	}
	var k int64 // the pass claimed, 0 for none
	var due time.Duration
	var dueOf *pacer // the pacer due was read from
	for {
		// Load the channel before reading what it guards: a change made
		// after this load closes the very channel waited on below.
		wake := *r.wake.Load()
		p := r.pace.Load()
		now := time.Since(r.start)
		switch {
		case k == 0:
			k, due = r.claim(p, now)
			dueOf = p
		case r.backN.Load() > 0:
			if b := r.takeBack(k); b > 0 {
				k, dueOf = b, nil
			}
		}
		if k > 0 && dueOf != p {
			due, dueOf = p.due(k), p
		}
		if k > 0 && due <= now && due <= r.end {
			if r.started.Add(1)&startedClosed != 0 {
				// The stage is ending; the next one, or the end, wakes us.
				k = 0
				select {
				case <-stageWake:
					return false, true
				case <-c.stopCh:
					return false, false
				}
			}
			v.open, v.openPass, v.due = r, k, r.start.Add(due)
			if sp.counted {
				v.claim = sp
			}
			c.inflight.Add(1)
			return true, false
		}
		// A pass past the stage's end, or none, waits for a change.
		var alarm <-chan time.Time
		if k > 0 && due <= r.end {
			alarm = v.alarm(due - now)
		}
		select {
		case <-alarm:
		case <-wake:
		case <-stageWake:
			return false, true
		case <-c.stopCh:
			return false, false
		}
	}
}

// runRate drives a rate stage (open model): passes start at the rate the
// shape asks for, whatever the latency, from a pool of VUs that grows as
// needed. A pass that falls due when max_vus passes are in flight is
// counted as missed, never silently dropped. It reports whether the run
// was interrupted.
//
// Its work per wake is bounded by the VUs it may start, never by the
// rate: passes that cannot start are counted as missed by arithmetic, so
// an absurd rate neither delays the end of the stage nor hides a Ctrl-C.
func (c *caseRun) runRate(ctx context.Context, abort <-chan struct{}, st *scenario.Stage, sp *stagePlan) bool {
	r := sp.open
	t := time.NewTimer(rateTick)
	defer t.Stop()
	for {
		el := time.Since(r.start)
		p := r.pace.Load()
		// A manual target differs from the pacer's rate once, when set.
		if want := c.regulated(st.Target(el)); want != p.rateAt(el) {
			p = p.changed(el, want)
			r.pace.Store(p)
			r.broadcast()
		}
		at := min(el, r.end)
		c.grow(ctx, r, p, at, min(el+rateTick, r.end))
		if full := time.Duration(r.fullAt.Load()); full <= at {
			if n := r.next.Load(); n < r.last(p, at) && p.due(n+1) >= full {
				r.skip(n, r.last(p, at), 0)
			}
		}
		switch {
		case c.rowsUsedUp():
			r.close(at)
			return false
		case el >= r.end:
			// Passes due by the end that a VU holds start now, or never.
			for deadline := time.Now().Add(rateSettle); r.held(r.end) > 0 && time.Now().Before(deadline); {
				time.Sleep(rateTick / 10)
			}
			r.close(r.end)
			return false
		case r.counted && r.next.Load() >= r.count && sp.done.Load()+r.missed.Load() >= r.count:
			r.close(at)
			return false
		}
		t.Reset(min(rateTick, r.end-el))
		select {
		case <-t.C:
		case <-ctx.Done():
			r.close(time.Since(r.start))
			return true
		case <-abort:
			c.cut()
			r.close(time.Since(r.start))
			return true
		}
		if c.fatal.Load() != nil || c.slaStop.Load() {
			r.close(time.Since(r.start))
			return true
		}
	}
}

// grow starts VUs for the passes due by the horizon h that no VU has
// claimed or will (given back, or beyond the VUs not yet started on the
// stage), up to max_vus, and notes when the pool reaches it.
func (c *caseRun) grow(ctx context.Context, r *rateStage, p *pacer, at, h time.Duration) {
	want := r.last(p, h) - r.next.Load() + r.backN.Load() - r.fresh.Load()
	for i := int64(0); i < want && int64(len(c.vus)) < r.limit && !c.rows.shared.Load(); i++ {
		// Growing a large pool takes a while; a Ctrl-C must not wait for it.
		if i&1023 == 1023 && ctx.Err() != nil {
			break
		}
		r.fresh.Add(1)
		c.spawn()
	}
	c.maxActive = max(c.maxActive, int64(len(c.vus)))
	if int64(len(c.vus)) >= r.limit && r.fullAt.Load() == int64(never) {
		r.fullAt.Store(int64(at))
	}
}
