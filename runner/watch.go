package runner

import (
	"sync"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// watch feeds every harvested second, in order, to the judges that run
// while a case runs: its SLA rules and the current stage's probe. The
// clock calls observe; the scheduler reads what they decided.
type watch struct {
	mu    sync.Mutex
	start time.Time // the case's start: second k is [start+k s, start+(k+1) s)
	reqs  int       // request series

	sla      *slaWatch
	triggers []metrics.SLATrigger
	slaStop  string // the rule that stopped the run, once one did

	stage      *scenario.Stage
	stageStart time.Time
	peak       *peakWatch
	step       *stepWatch
	stepIdx    int // the step the step watcher is collecting
	found      *metrics.Peak
	steps      []metrics.ProbeStep
	stopNow    bool // the probe found its peak and the stage asked to stop there
}

func newWatch(cp *scenario.CasePlan, start time.Time) *watch {
	w := &watch{start: start, reqs: len(cp.Requests)}
	if len(cp.SLA) > 0 {
		names := make([]string, len(cp.Requests))
		for i, r := range cp.Requests {
			names[i] = r.Name
		}
		w.sla = newSLAWatch(cp.SLA, names)
	}
	return w
}

// beginStage points the probe judges at a new stage.
func (w *watch) beginStage(st *scenario.Stage, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stage, w.stageStart, w.peak, w.step, w.stepIdx, w.stopNow = st, at, nil, nil, 0, false
	switch st.Mode {
	case scenario.ModePeakProbe:
		w.peak = newPeakWatch(st.KPIs, w.reqs)
	case scenario.ModeStepProbe:
		w.step = newStepWatch(st.KPIs, w.reqs)
	}
}

// endStage closes the current step of a step probe and, once its steps
// are judged, names its peak.
func (w *watch) endStage(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.step != nil {
		w.closeStep(at)
		if p := stepPeak(w.steps); p != nil && w.found == nil {
			p.Stage = stageLabel(w.stage)
			w.found = p
		}
	}
	w.stage, w.peak, w.step = nil, nil, nil
}

func (w *watch) closeStep(at time.Time) {
	st := w.stage
	from := w.stageStart.Add(time.Duration(w.stepIdx) * st.StepTime)
	if at.Sub(from) < time.Second {
		return // too short to judge
	}
	ps := w.step.endStep(from, at, int(st.Target(time.Duration(w.stepIdx)*st.StepTime)))
	ps.Stage = stageLabel(st)
	w.steps = append(w.steps, ps)
	if !ps.Good && st.StopAtPeak {
		w.stopNow = true
	}
}

// observe judges the next harvested second of the case, every second in
// order. It returns whether an SLA rule asked to stop the run.
func (w *watch) observe(h *metrics.Harvest) (stop bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	secStart := w.start.Add(time.Duration(h.Index) * time.Second)
	secEnd := secStart.Add(time.Second)
	if w.sla != nil && w.slaStop == "" {
		trig, s := w.sla.observe(secEnd, h.Series)
		w.triggers = append(w.triggers, trig...)
		if s {
			for _, t := range trig {
				if t.Stopped {
					w.slaStop = t.Rule
					break
				}
			}
		}
	}
	// A second belongs to the stage it ends in, so the probe judges only
	// whole seconds of its own stage.
	if w.stage != nil && secStart.After(w.stageStart.Add(-500*time.Millisecond)) {
		if w.peak != nil && w.found == nil {
			if p := w.peak.observe(secStart, h.VUs, h.Series); p != nil {
				p.Stage = stageLabel(w.stage)
				w.found = p
				w.stopNow = w.stage.StopAtPeak
			}
		}
		if w.step != nil {
			idx := int(secEnd.Sub(w.stageStart) / w.stage.StepTime)
			if secEnd.Sub(w.stageStart)%w.stage.StepTime == 0 {
				idx-- // a second ending exactly on a step's end is that step's
			}
			for idx > w.stepIdx {
				w.closeStep(w.stageStart.Add(time.Duration(w.stepIdx+1) * w.stage.StepTime))
				w.stepIdx++
			}
			w.step.observe(h.Series)
		}
	}
	return w.slaStop != ""
}

// stopStage reports whether the current stage should end now.
func (w *watch) stopStage() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopNow
}

// results copies what the judges found into a case's result.
func (w *watch) results(res *metrics.CaseResult) {
	w.mu.Lock()
	defer w.mu.Unlock()
	res.SLA, res.Peak, res.Steps = w.triggers, w.found, w.steps
}
