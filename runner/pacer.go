package runner

import (
	"math"
	"time"

	"github.com/perfcase/perfcase/scenario"
)

// never is the due time of a pass the schedule never reaches: the rate
// has dropped to zero for good (a surge or oscillation with min 0 after
// its loops, a manual target of 0).
const never = time.Duration(math.MaxInt64)

// pacer says when each pass of a rate stage falls due. Pass k (from 1) is
// due at the first nanosecond by which the stage's rate, integrated from
// its start (Stage.Passes), reaches k. A pass's time so follows from the
// shape alone, never from when the generator woke or how many passes
// started, which is what lets the VUs wait for their own passes and the
// tests check every shape without a clock (vegeta's Pacer works the same
// way).
//
// A manual change holds a new rate from the moment it was seen; passes due
// before then keep their times. A pacer never changes: a manual change
// makes a new one, so VUs read it without a lock.
//
// In a part of a split run (seg) the schedule stays the whole run's, and
// the part's pass k is the whole run's pass seg.Global(k-1)+1: the parts'
// passes are every whole-run pass exactly once, each at its own time, so
// the parts' arrivals merged are one process's, each part's phase-shifted
// by one whole-run interval from the next.
type pacer struct {
	st  *scenario.Stage
	seg scenario.Segment
	// A manual change: from elapsed time from on, rate passes a second;
	// base passes were due by then, under prev. prev is nil for the
	// stage's own shape.
	prev *pacer
	from time.Duration
	base float64
	rate float64
}

// changed is p with the rate held at rate (passes a second) from elapsed
// time at on.
func (p *pacer) changed(at time.Duration, rate float64) *pacer {
	return &pacer{st: p.st, seg: p.seg, prev: p, from: at, base: p.passes(at), rate: rate}
}

// passes is how many passes are due by elapsed time t, as a real number.
func (p *pacer) passes(t time.Duration) float64 {
	if p.prev == nil {
		return p.st.Passes(t)
	}
	if t < p.from {
		return p.prev.passes(t)
	}
	return p.base + p.rate*float64(t-p.from)/1e9
}

// rateAt is the rate at elapsed time t, in passes a second: the slope of
// passes.
func (p *pacer) rateAt(t time.Duration) float64 {
	if p.prev == nil {
		return p.st.Target(t)
	}
	if t < p.from {
		return p.prev.rateAt(t)
	}
	return p.rate
}

// dueBy is how many of the part's passes are due by elapsed time t: pass
// k is due by t exactly when k <= dueBy(t).
func (p *pacer) dueBy(t time.Duration) int64 {
	return p.seg.Share(int64(min(p.passes(t), 1<<62)))
}

// due is when the part's pass k (from 1) falls due, from the stage's
// start; never when it never does.
func (p *pacer) due(k int64) time.Duration {
	return p.dueGlobal(p.seg.Global(k-1) + 1)
}

// dueGlobal is when the whole run's pass k (from 1) falls due: the first
// nanosecond at which passes reaches k.
func (p *pacer) dueGlobal(k int64) time.Duration {
	x := float64(k)
	if p.prev != nil && x <= p.base {
		return p.prev.dueGlobal(k)
	}
	if p.passes(never) < x {
		return never
	}
	// Start where a steady rate would put the pass: after a manual change,
	// the rate held; for the shape, the stage's mean rate (its peak in
	// count mode, which has no length). Newton's method takes it from
	// there.
	var g float64
	switch d := p.st.Duration; {
	case p.prev != nil:
		g = float64(p.from) + (x-p.base)/p.rate*1e9
	case d > 0 && p.st.Passes(d) > 0:
		g = x / p.st.Passes(d) * float64(d)
	default:
		g = x / p.st.Peak() * 1e9
	}
	return p.solve(x, g)
}

// solve finds the first nanosecond at which passes reaches x (> 0, and
// reached by never), starting from the guess g. It keeps a bracket, lo
// before the crossing and hi at or after it, and narrows it with Newton's
// steps (the rate is the slope of passes) where they land inside, by
// doubling a step forward while hi is unknown, and by halving otherwise.
// On a flat rate the first step lands on the crossing and one more probe
// proves it. Newton's steps are given up after newtonSteps, so that even
// a shape they suit badly costs at most a bisection of 63 bits.
func (p *pacer) solve(x, g float64) time.Duration {
	const newtonSteps = 16
	lo, hi := time.Duration(0), never // passes(lo) = 0 < x <= passes(hi)
	gallop := time.Duration(1)
	at := clampNs(g, lo, hi)
	for i := 0; hi-lo > 1; i++ {
		n := p.passes(at)
		if n >= x {
			hi = at
		} else {
			lo = at
		}
		if hi-lo <= 1 {
			break
		}
		next := time.Duration(-1)
		if r := p.rateAt(at); r > 0 && i < newtonSteps {
			// Newton's estimate of the crossing, rounded toward the side
			// not yet probed so that every probe narrows the bracket.
			c := float64(at) + (x-n)/r*1e9
			if n >= x {
				next = clampNs(math.Floor(c), lo, at)
			} else {
				next = clampNs(math.Ceil(c), at, hi)
			}
		}
		if next <= lo || next >= hi {
			if hi == never {
				next = lo + min(gallop, (hi-lo)/2)
				gallop *= 2
			} else {
				next = lo + (hi-lo)/2
			}
		}
		at = next
	}
	return hi
}

// clampNs converts f nanoseconds to a Duration strictly between lo and hi,
// or to lo when f is not above it (so the caller falls back on halving).
func clampNs(f float64, lo, hi time.Duration) time.Duration {
	switch {
	case !(f > float64(lo)):
		return lo
	case f >= float64(hi):
		return hi - 1
	}
	return time.Duration(f)
}
