package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Caps on what a scenario may ask for. They are fixed, so validate gives
// the same answer on every machine, and far beyond what one machine can
// drive (a core sends about 230,000 requests a second; a VU costs about
// 10 KiB), so no real test meets them: a value past a cap is a typo or a
// test no machine could run. What the machine at hand can hold is
// checked by perfcase run before the load starts (runner.CheckMachine).
// docs/language.md lists them in one table; scenario/schema.json carries
// them as maximums.
const (
	// MaxVUs bounds every VU count: concurrency, start_vus, max_vus, the
	// probes' start, max and step_size, the concurrency waves' min and
	// max, a rendezvous' users.
	MaxVUs = 1_000_000
	// MaxTPS bounds every rate, in passes (or requests) a second: tps,
	// start_tps, the rate waves' min and max, a throughput block's rps.
	MaxTPS = 10_000_000
	// MaxCount bounds a count stage's passes and a throughput block's
	// total.
	MaxCount = 1_000_000_000_000
	// MaxStageTime bounds a stage's duration, ramp_up, hold and
	// step_duration, and a case's stages taken together.
	MaxStageTime = 30 * 24 * time.Hour
	// MaxStepTime bounds the durations inside a pass: think, pacing,
	// timeouts, retry intervals, a reply's idle time, a rendezvous'
	// timeout, and an SLA rule's window.
	MaxStepTime = 24 * time.Hour
	// MaxLoops bounds a loop's count and max, the messages a WebSocket or
	// MQTT receive waits for, and an HLS play's polls of a live playlist.
	MaxLoops = 1_000_000
	// MaxRedirectsCap bounds how many redirects a request may follow.
	MaxRedirectsCap = 100
	// MaxReadLength bounds a TCP or UDP reply read by length, as every
	// reply is bounded at run time.
	MaxReadLength = 16 << 20
	// MaxTogether bounds the requests of a together: step, each of which
	// a VU sends from a goroutine (and, over HTTP/1.1, a connection) of
	// its own.
	MaxTogether = 100
)

// capHint says what a cap is and where the list of them is.
const capHint = `caps are the same on every machine and far beyond what one runs; see "Caps" in docs/language.md`

// checkCaps reports every value of the file past a cap.
func (c *compiler) checkCaps() {
	for _, cs := range c.f.Cases {
		c.capStages(cs)
		if cs.Pacing > MaxStepTime {
			c.errs.add(cs.Pos, capHint, "case %q: pacing %s is over the cap of %s", cs.Name, fmtDuration(cs.Pacing), fmtDuration(MaxStepTime))
		}
		for _, r := range cs.SLA {
			if r.Window > MaxStepTime {
				c.errs.add(r.Pos, capHint, "sla rule %q: window %s is over the cap of %s", r.Name, fmtDuration(r.Window), fmtDuration(MaxStepTime))
			}
		}
		walkSteps(cs.Setup, c.capStep)
		walkSteps(cs.Steps, c.capStep)
	}
	for _, t := range c.f.Transactions {
		walkSteps(t.Steps, c.capStep)
	}
	walkSteps(c.f.Before, c.capStep)
	walkSteps(c.f.After, c.capStep)
}

// capStages checks a case's stages, each value at the key it came from.
func (c *compiler) capStages(cs *Case) {
	var total time.Duration
	over := false
	for _, st := range cs.Stages {
		vus := func(key string, v float64) {
			if v > MaxVUs {
				c.errs.add(st.KeyPos(key), capHint, "stage %s: %s %s is over the cap of %s VUs", stageLabel(st), key, fmtNumber(v), fmtNumber(MaxVUs))
			}
		}
		rate := func(key string, v float64) {
			if v > MaxTPS {
				c.errs.add(st.KeyPos(key), capHint, "stage %s: %s %s is over the cap of %s passes a second", stageLabel(st), key, fmtNumber(v), fmtNumber(MaxTPS))
			}
		}
		long := func(key string, d time.Duration) {
			if d > MaxStageTime {
				c.errs.add(st.KeyPos(key), capHint, "stage %s: %s %s is over the cap of %s", stageLabel(st), key, fmtDuration(d), fmtDuration(MaxStageTime))
			}
		}
		switch st.Mode {
		// Start values and minimums are checked against their target or
		// maximum when parsed, so the target's cap covers them too.
		case ModeConcurrency:
			vus("concurrency", float64(st.VUs))
		case ModeTPS:
			rate("tps", st.TPS)
			vus("max_vus", float64(st.VUs))
		case ModePeakProbe, ModeStepProbe:
			vus("max", float64(st.VUs))
			vus("step_size", float64(st.StepSize))
		case ModeSurgeConcurrency, ModeOscillateConcurrency:
			vus("max", st.Max)
		case ModeSurgeTPS, ModeOscillateTPS:
			rate("max", st.Max)
			vus("max_vus", float64(st.VUs))
		}
		if st.Count > MaxCount {
			c.errs.add(st.KeyPos("count"), capHint, "stage %s: count %s is over the cap of %s passes", stageLabel(st), fmtNumber(float64(st.Count)), fmtNumber(MaxCount))
		}
		long("duration", st.Duration)
		long("ramp_up", st.RampUp)
		long("hold", st.Hold)
		long("step_duration", st.StepTime)
		total += st.Duration
		// One stage over the cap is reported above; the sum is reported
		// once, at the stage that crosses it.
		if !over && total > MaxStageTime && st.Duration <= MaxStageTime {
			c.errs.add(st.KeyPos("duration"), capHint+"; split the soak into several runs", "case %q: its stages last %s up to stage %s, over the cap of %s for a case's stages together",
				cs.Name, fmtDuration(total), stageLabel(st), fmtDuration(MaxStageTime))
		}
		over = over || total > MaxStageTime
	}
}

// capStep checks the values of one step.
func (c *compiler) capStep(s *Step) {
	long := func(what string, d time.Duration) {
		if d > MaxStepTime {
			c.errs.add(s.Pos, capHint, "%s %s is over the cap of %s", what, fmtDuration(d), fmtDuration(MaxStepTime))
		}
	}
	many := func(what string, n, limit int64) {
		if n > limit {
			c.errs.add(s.Pos, capHint, "%s %s is over the cap of %s", what, fmtNumber(float64(n)), fmtNumber(float64(limit)))
		}
	}
	switch s.Kind {
	case StepThink:
		long("think", s.Think.Min)
		long("think max", s.Think.Max)
	case StepLoop:
		many("loop count", int64(s.Loop.Count), MaxLoops)
		many("loop max", int64(s.Loop.Max), MaxLoops)
	case StepRendezvous:
		many("rendezvous users", int64(s.Rendezvous.Users), MaxVUs)
		long("rendezvous timeout", s.Rendezvous.Timeout)
	case StepThroughput:
		many("throughput total", s.Throughput.Total, MaxCount)
	case StepRequest:
		r := s.Request
		long("retry interval", r.Retry.Interval)
		switch {
		case r.HTTP != nil:
			long("connect_timeout", r.HTTP.ConnectTimeout)
			long("timeout", r.HTTP.Timeout)
			many("redirects", int64(r.HTTP.MaxRedirects), MaxRedirectsCap)
		case r.Socket != nil:
			long("connect_timeout", r.Socket.ConnectTimeout)
			long("timeout", r.Socket.Timeout)
			long("read idle", r.Socket.Idle)
			if r.Socket.Length > MaxReadLength {
				c.errs.add(s.Pos, capHint, "read length %s bytes is over the cap of %d MiB, the most a reply may hold", fmtNumber(float64(r.Socket.Length)), MaxReadLength>>20)
			}
		case r.WS != nil:
			long("connect_timeout", r.WS.ConnectTimeout)
			long("timeout", r.WS.Timeout)
			for _, a := range r.WS.Actions {
				if a.Timeout > MaxStepTime {
					c.errs.add(a.Pos, capHint, "%s timeout %s is over the cap of %s", a.Kind, fmtDuration(a.Timeout), fmtDuration(MaxStepTime))
				}
				if n := max(a.Count, a.Max); n > MaxLoops {
					c.errs.add(a.Pos, capHint, "receive %s messages is over the cap of %s", fmtNumber(float64(n)), fmtNumber(MaxLoops))
				}
			}
		case r.Stream != nil:
			capStream(r.Stream, long, many)
		case r.MQTT != nil:
			capMQTT(r.MQTT, long, many)
		}
	}
}

// KeyPos is where key was written in the stage, or the stage itself when
// the stage did not come from YAML.
func (s *Stage) KeyPos(key string) Pos {
	if p, ok := s.at[key]; ok {
		return p
	}
	return s.Pos
}

// fmtNumber writes v with thousands separators: 1,000,000.
func fmtNumber(v float64) string {
	whole, frac, dot := strings.Cut(strconv.FormatFloat(v, 'f', -1, 64), ".")
	var b strings.Builder
	for i := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(whole[i])
	}
	if dot {
		b.WriteString("." + frac)
	}
	return b.String()
}

// fmtDuration writes whole days past one as days (30d), whole hours as
// hours (24h), anything else as Go does.
func fmtDuration(d time.Duration) string {
	switch {
	case d > 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
