package scenario

import (
	"math"
	"time"
)

// Targets returns what a stage asks for at elapsed time t since it began:
// the number of VUs for concurrency-driven shapes, or the arrival rate
// (iterations per second) for TPS-driven ones, as IsRate says. Shapes are
// pure functions of time so that the runner's schedules, the validate
// summary and tests agree on them without running anything.
//
// A count-mode stage's clock runs from its start like any other; it ramps
// over ramp_up when given (the parser refuses a start value without one)
// and ends at its count rather than at a time.
func (s *Stage) Target(t time.Duration) float64 {
	switch s.Mode {
	case ModeConcurrency:
		// Linear ramp from start_vus to concurrency over ramp_up, then flat:
		//
		//	VUs
		//	 max |      ________
		//	     |    /
		//	start|__/
		//	     +--ramp_up------> t
		return ramp(float64(s.StartVUs), float64(s.VUs), s.rampTime(), t)
	case ModeTPS:
		return ramp(s.StartTPS, s.TPS, s.rampTime(), t)
	case ModePeakProbe:
		return ramp(float64(s.StartVUs), float64(s.VUs), s.RampUp, t)
	case ModeStepProbe:
		// Staircase: start, start+step_size every step_duration, capped at max.
		//
		//	 max |            ____
		//	     |        ___|
		//	     |    ___|
		//	start|___|
		//	     +--step_duration--> t
		if s.StepTime <= 0 {
			return float64(s.StartVUs)
		}
		v := s.StartVUs + s.StepSize*int(t/s.StepTime)
		return float64(min(v, s.VUs))
	case ModeSurgeConcurrency, ModeSurgeTPS:
		// Each of loop_count equal periods sits at min, jumps to max for
		// hold in its middle, and drops back:
		//
		//	max |    ┌──┐        ┌──┐
		//	    |    │  │        │  │
		//	min |────┘  └────────┘  └────
		//	    +----period-----+------> t
		p := s.period()
		if p <= 0 {
			return s.Min
		}
		in := t % p
		if t >= p*time.Duration(s.Loops) {
			return s.Min
		}
		lead := s.surgeLead()
		if in >= lead && in < lead+s.Hold {
			return s.Max
		}
		return s.Min
	case ModeOscillateConcurrency, ModeOscillateTPS:
		// A smooth swing: min at each period's start and end, max in its
		// middle (a raised cosine), loop_count times.
		//
		//	max |   .-.     .-.
		//	    |  /   \   /   \
		//	min |_/     \_/     \_
		//	    +---period--------> t
		p := s.period()
		if p <= 0 || t >= p*time.Duration(s.Loops) {
			return s.Min
		}
		phase := float64(t%p) / float64(p)
		return s.Min + (s.Max-s.Min)*(1-math.Cos(2*math.Pi*phase))/2
	}
	return 0
}

// Passes is, for a rate stage, how many passes are due by elapsed time t:
// the integral of Target from the stage's start to t, in closed form. The
// runner times pass k where Passes reaches k, so a pass's due time is a
// pure function of the shape, however late the generator wakes.
//
//	passes
//	   k |          .·´
//	     |       .·´
//	 k-1 |····.·´  |
//	     |  .´     |
//	     +-´-------+--> t
//	            due(k)
func (s *Stage) Passes(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	var n float64 // passes × 1e9: rates times nanoseconds
	switch s.Mode {
	case ModeTPS:
		n = rampArea(s.StartTPS, s.TPS, s.rampTime(), t)
	case ModeSurgeTPS:
		p := s.period()
		if p <= 0 {
			return s.Min * t.Seconds()
		}
		loops := time.Duration(s.Loops)
		whole := min(t/p, loops)
		n = float64(whole) * (s.Min*float64(p-s.Hold) + s.Max*float64(s.Hold))
		in := t - whole*p
		if whole == loops {
			n += s.Min * float64(in)
			break
		}
		lead := s.surgeLead()
		n += s.Min*float64(min(in, lead)) + s.Max*float64(min(max(in-lead, 0), s.Hold)) + s.Min*float64(max(in-lead-s.Hold, 0))
	case ModeOscillateTPS:
		p := s.period()
		if p <= 0 {
			return s.Min * t.Seconds()
		}
		// The raised cosine's area up to u is min·u + (max-min)/2 ·
		// (u - p/2π · sin(2πu/p)); the sine is taken of the phase within
		// the period, which keeps its precision over a long stage.
		in := min(t, p*time.Duration(s.Loops))
		sin := math.Sin(2 * math.Pi * float64(in%p) / float64(p))
		n = s.Min*float64(t) + (s.Max-s.Min)/2*(float64(in)-float64(p)/(2*math.Pi)*sin)
	}
	return n / 1e9
}

// IsRate reports whether Target is an arrival rate rather than a VU count.
func (s *Stage) IsRate() bool {
	return s.Mode == ModeTPS || s.Mode == ModeSurgeTPS || s.Mode == ModeOscillateTPS
}

// Peak is the highest target of the stage: the VUs to prepare, or the
// highest rate.
func (s *Stage) Peak() float64 {
	switch s.Mode {
	case ModeConcurrency, ModePeakProbe, ModeStepProbe:
		return float64(s.VUs)
	case ModeTPS:
		return s.TPS
	}
	return s.Max
}

// rampTime is how long a concurrency or TPS stage takes to reach its
// target: ramp_up when given; with only a start value, the whole stage.
func (s *Stage) rampTime() time.Duration {
	if s.RampUp > 0 || s.Count > 0 {
		return s.RampUp
	}
	return s.Duration
}

func (s *Stage) period() time.Duration {
	if s.Loops <= 0 {
		return 0
	}
	return s.Duration / time.Duration(s.Loops)
}

// surgeLead is how far into each period a surge's peak starts: the peak
// sits in the period's middle.
func (s *Stage) surgeLead() time.Duration {
	return (s.period() - s.Hold) / 2
}

// rampArea is the area under ramp up to t, in rate × nanoseconds.
func rampArea(from, to float64, over, t time.Duration) float64 {
	if over <= 0 {
		return to * float64(t)
	}
	if t >= over {
		return (from+to)/2*float64(over) + to*float64(t-over)
	}
	x := float64(t)
	return from*x + (to-from)*x*x/(2*float64(over))
}

func ramp(from, to float64, over, t time.Duration) float64 {
	if over <= 0 || t >= over {
		return to
	}
	return from + (to-from)*float64(t)/float64(over)
}

// EstimatedDuration is the planned length of a case's stages; count-mode
// stages, whose length depends on the target, are counted in sends.
func (cp *CasePlan) EstimatedDuration() (d time.Duration, sends int64) {
	for _, s := range cp.Stages {
		d += s.Duration
		sends += s.Count
	}
	return d, sends
}
