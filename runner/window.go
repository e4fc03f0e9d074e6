package runner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// This file judges KPIs while a case runs, on windows of the per-second
// series the Recorder harvests: SLA rules (tumbling windows aligned to
// the case's start), peak_probe (a sliding 6 s window) and step_probe
// (each step on its own data). Everything here is pure: the run's clock
// feeds it one harvested second at a time, in order, and acts on what it
// returns.
//
// A harvested second is a []metrics.Second laid out as the Recorder's
// series: the case's requests first (cp.Requests order), then its
// transactions, then its passes (last).

// window is what some request series and the case's passes did over a
// number of whole seconds.
type window = metrics.Window

// addSeries adds one harvested second to w: the request series at sel
// (every one of the first requests series when sel is nil) and the
// passes, the last series.
func addSeries(w *window, perSeries []metrics.Second, requests int, sel []int) {
	var req, pass metrics.Counts
	if sel == nil {
		for i := range min(requests, len(perSeries)) {
			req.Add(&perSeries[i])
		}
	} else {
		for _, i := range sel {
			if i < len(perSeries) {
				req.Add(&perSeries[i])
			}
		}
	}
	if len(perSeries) > 0 {
		pass.Add(&perSeries[len(perSeries)-1])
	}
	w.Add(&req, &pass)
}

// observedText says what a KPI observed, in its metric's unit, e.g.
// "avg_rt < 200ms (observed 312.4 ms)".
func observedText(k *scenario.KPICheck, v float64) string {
	return k.Source + " (observed " + oneDecimal(v) + k.Def.Unit.Suffix() + ")"
}

// judgeKPIs judges kpis on a window (each as its metric's row of
// metrics.KPIs says, mirroring how the case's own KPIs are judged on the
// finished run: request metrics from the selected requests taken
// together, tps and transactions from the passes). missed says which
// missed (joined with "; "), unjudged whether any could not be judged
// there; a KPI that cannot be judged neither holds nor misses.
func judgeKPIs(kpis []*scenario.KPICheck, w *window) (missed string, unjudged bool) {
	var miss []string
	for _, k := range kpis {
		if k == nil {
			continue
		}
		v, ok := k.Def.OnWindow(w)
		if !ok {
			unjudged = true
			continue
		}
		if !k.Holds(v) {
			miss = append(miss, observedText(k, v))
		}
	}
	return strings.Join(miss, "; "), unjudged
}

// windowStats are the figures a probe reports of a window; a figure that
// needs responses is 0 when none completed.
func windowStats(w *window) (rps, tps, avgRT, successRate float64) {
	rps, _ = metrics.RPS.OnWindow(w)
	tps, _ = metrics.TPS.OnWindow(w)
	avgRT, _ = metrics.AvgRT.OnWindow(w)
	successRate, _ = metrics.SuccessRate.OnWindow(w)
	return
}

// windowSeconds is a window length in whole seconds: rounded, at least 1.
func windowSeconds(d time.Duration) int {
	return max(int((d+time.Second/2)/time.Second), 1)
}

// slaWatch judges a case's SLA rules while it runs.
//
// Each rule judges its KPI on tumbling windows of rule.Window (rounded to
// whole seconds, at least 1) aligned to the case's start: with the
// default 6 s, seconds 0-5, 6-11, and so on. A window in which the KPI
// misses extends the rule's streak of missed windows in a row, one in
// which it holds ends it, and one in which it cannot be judged (no
// request completed, for a metric that needs responses) leaves it as it
// is. When the streak reaches rule.Breaches the rule triggers, and its
// streak starts again from zero: PerfTest's "tolerate N consecutive
// times" tolerates N-1 misses in a row and acts on the Nth, so a rule
// with breaches: 3 that keeps missing triggers at the 3rd, 6th, 9th...
// window, each trigger standing for N fresh misses in a row (and a rule
// with breaches: 1 triggers on every miss). The last, incomplete window
// of a case is not judged.
//
// Once a rule with action stop triggered, the run is stopping, and the
// watcher judges nothing more: the seconds of the wind-down are not a
// load anyone chose.
type slaWatch struct {
	requests int // the case's request series, first in a harvested second
	rules    []*slaState
	stopped  bool
}

type slaState struct {
	rule   *scenario.SLARule
	sel    []int // the request series watched; nil for all
	size   int   // window, seconds
	w      window
	streak int
}

// newSLAWatch watches rules over a case whose request series are named
// requests, in series order. A rule's Requests select series by name
// (the scenario compiler refuses unknown names; one that got through
// anyway selects nothing); none select every request.
func newSLAWatch(rules []*scenario.SLARule, requests []string) *slaWatch {
	sw := &slaWatch{requests: len(requests)}
	for _, r := range rules {
		if r == nil || r.KPI == nil {
			continue
		}
		st := &slaState{rule: r, size: windowSeconds(r.Window)}
		if len(r.Requests) > 0 {
			st.sel = []int{}
			for i, name := range requests {
				for _, want := range r.Requests {
					if name == want {
						st.sel = append(st.sel, i)
						break
					}
				}
			}
		}
		sw.rules = append(sw.rules, st)
	}
	return sw
}

// observe takes the next harvested second of the case, every second from
// the case's first, in order; now is when it is called. It returns the
// rules that triggered on it, and stop when one of them stops the run.
func (sw *slaWatch) observe(now time.Time, perSeries []metrics.Second) (triggers []metrics.SLATrigger, stop bool) {
	if sw.stopped {
		return nil, false
	}
	for _, st := range sw.rules {
		addSeries(&st.w, perSeries, sw.requests, st.sel)
		if st.w.Seconds < st.size {
			continue
		}
		v, ok := st.rule.KPI.Def.OnWindow(&st.w)
		st.w = window{}
		switch {
		case !ok:
			continue
		case st.rule.KPI.Holds(v):
			st.streak = 0
			continue
		}
		st.streak++
		if st.streak < max(st.rule.Breaches, 1) {
			continue
		}
		st.streak = 0
		var reqs []string
		if len(st.rule.Requests) > 0 {
			reqs = append(reqs, st.rule.Requests...)
		}
		triggers = append(triggers, metrics.SLATrigger{
			Time: now, Rule: st.rule.Name, KPI: st.rule.KPI.Source,
			Requests: reqs, Observed: v, Stopped: st.rule.Stop,
		})
		stop = stop || st.rule.Stop
	}
	sw.stopped = stop
	return triggers, stop
}

// peakSpan is PerfTest's peak window: the peak is the first second of
// the first 6 s in which a KPI fails.
const peakSpan = 6

// peakWatch finds a peak_probe stage's peak: it keeps the last 6 seconds
// of the stage and, once it has 6, judges every KPI on them each second.
// The first time one misses, the peak is the first second of that window:
// its time and VU count, with the window's rates. A KPI that cannot be
// judged on a window (no request completed) does not miss: a load at
// which nothing at all comes back shows up once requests time out and
// fail.
type peakWatch struct {
	kpis     []*scenario.KPICheck
	requests int
	ring     [peakSpan]peakSecond
	n        int // seconds seen
	done     bool
}

type peakSecond struct {
	t         time.Time
	vus       int
	req, pass metrics.Counts
}

// newPeakWatch watches kpis over a case with this many request series.
func newPeakWatch(kpis []*scenario.KPICheck, requests int) *peakWatch {
	return &peakWatch{kpis: kpis, requests: requests}
}

// observe takes the next harvested second of the stage, every second from
// the stage's first, in order: sec is when that second started and vus
// the VUs active in it. It returns the peak the first time a KPI misses
// on the last 6 seconds, and nil otherwise and ever after. Peak.Stage is
// left for the caller.
func (p *peakWatch) observe(sec time.Time, vus int, perSeries []metrics.Second) *metrics.Peak {
	if p.done {
		return nil
	}
	var one window
	addSeries(&one, perSeries, p.requests, nil)
	p.ring[p.n%peakSpan] = peakSecond{t: sec, vus: vus, req: one.Requests, pass: one.Passes}
	p.n++
	if p.n < peakSpan {
		return nil
	}
	var w window
	for i := range p.ring {
		w.Add(&p.ring[i].req, &p.ring[i].pass)
	}
	missed, _ := judgeKPIs(p.kpis, &w)
	if missed == "" {
		return nil
	}
	p.done = true
	first := p.ring[p.n%peakSpan] // the oldest second, overwritten next
	rps, tps, rt, sr := windowStats(&w)
	return &metrics.Peak{Time: first.t, VUs: first.vus, RPS: rps, TPS: tps, AvgRT: rt, SuccessRate: sr, Reason: missed}
}

// kneeRise is the share of a proportional rise that a step's rate must
// gain for the load to still be climbing. Adding VUs to a system with
// spare capacity raises the rate about in proportion (4 → 6 VUs: +50%);
// a step that gains less than a quarter of that (+12.5%) has hit the
// knee. Measurement noise (a few %) stays well below it.
const kneeRise = 0.25

// stepWatch judges a step_probe stage's steps, each on its own data. A
// step is good when every KPI holds on it and its rps rose over the last
// good step's by at least kneeRise of the rise proportional to the VUs it
// added (the first step must have some); the peak
// is the last good step before the first that is not (stepPeak).
//
// A step's data leaves out its first second, the transient of the VUs
// it added, when it has at least 3 seconds. The caller gives each
// harvested second to the step in which it ends, so the second that
// straddles a step's start, partly at the old load, is the one left out.
type stepWatch struct {
	kpis     []*scenario.KPICheck
	requests int
	first    window // the step's first second
	rest     window // the step's other seconds
	lastGood float64
	goodVUs  int
}

// newStepWatch watches kpis over a case with this many request series.
func newStepWatch(kpis []*scenario.KPICheck, requests int) *stepWatch {
	return &stepWatch{kpis: kpis, requests: requests}
}

// observe takes the next harvested second of the current step.
func (s *stepWatch) observe(perSeries []metrics.Second) {
	if s.first.Seconds == 0 {
		addSeries(&s.first, perSeries, s.requests, nil)
		return
	}
	addSeries(&s.rest, perSeries, s.requests, nil)
}

// endStep judges the step that ran from start to end at vus VUs on the
// seconds observed since the last endStep, and starts the next step.
// ProbeStep.Stage is left for the caller.
func (s *stepWatch) endStep(start, end time.Time, vus int) metrics.ProbeStep {
	w := s.rest
	if w.Seconds < 2 {
		w.Merge(&s.first)
	}
	s.first, s.rest = window{}, window{}
	return s.observeStep(start, end, vus, &w)
}

// observeStep judges a step on its data w against the steps before it.
func (s *stepWatch) observeStep(start, end time.Time, vus int, w *window) metrics.ProbeStep {
	rps, _, rt, sr := windowStats(w)
	step := metrics.ProbeStep{Start: start, End: end, VUs: vus, RPS: rps, AvgRT: rt, SuccessRate: sr}
	missed, unjudged := judgeKPIs(s.kpis, w)
	switch {
	case missed != "":
		step.Reason = missed
	case unjudged:
		step.Reason = "no request completed"
	case s.lastGood == 0 && rps <= 0:
		step.Reason = "no request completed"
	case s.lastGood > 0 && rps <= s.lastGood*(1+kneeRise*proportional(s.goodVUs, vus)):
		step.Reason = fmt.Sprintf("the rate stopped rising: %s/s, %+.1f%% over the last good step's %s/s with %+d VUs",
			oneDecimal(rps), 100*(rps/s.lastGood-1), oneDecimal(s.lastGood), vus-s.goodVUs)
	default:
		step.Good = true
		s.lastGood, s.goodVUs = rps, vus
	}
	return step
}

// oneDecimal formats v rounded to one decimal, without trailing zeros.
func oneDecimal(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// stepPeak is a step_probe stage's peak: the last good step before the
// first step that is not, with the reason that step gave. It is nil when
// every step was good (the load never broke) or the first was not (no
// load held).
func stepPeak(steps []metrics.ProbeStep) *metrics.Peak {
	for i, st := range steps {
		if st.Good {
			continue
		}
		if i == 0 {
			return nil
		}
		g := steps[i-1]
		return &metrics.Peak{Stage: g.Stage, Time: g.Start, VUs: g.VUs, RPS: g.RPS, AvgRT: g.AvgRT, SuccessRate: g.SuccessRate, Reason: st.Reason}
	}
	return nil
}

// proportional is the relative rise in rate that going from a to b VUs
// would give at a constant rate per VU; at least 4% (so kneeRise of it is
// 1%), so steps without new VUs still have to show a rise.
func proportional(a, b int) float64 {
	if a <= 0 {
		return 0.04
	}
	return max(float64(b-a)/float64(a), 0.04)
}
