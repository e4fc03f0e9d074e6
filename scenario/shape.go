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
		lead := (p - s.Hold) / 2
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
