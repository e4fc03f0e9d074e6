package runner

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// Control changes the load of running stages marked manual: a person
// raises or lowers the target VUs (or passes per second) while the stage
// runs. Every change is kept for the report. A Control is safe for
// concurrent use; pass it in Options.
type Control struct {
	mu    sync.Mutex
	cases map[string]*caseRun
}

// NewControl returns a Control with no case running.
func NewControl() *Control { return &Control{cases: map[string]*caseRun{}} }

// CaseStatus is what a running case is doing, for a control client.
type CaseStatus struct {
	Case   string  `json:"case"`
	Stage  string  `json:"stage"`
	Mode   string  `json:"mode"`
	Manual bool    `json:"manual"`
	Rate   bool    `json:"rate"`   // the stage's target is passes per second, not VUs
	Target float64 `json:"target"` // VUs, or passes per second for a rate stage
	VUs    int     `json:"vus"`
}

// Status lists the running cases, by name.
func (c *Control) Status() []CaseStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CaseStatus, 0, len(c.cases))
	for _, cr := range c.cases {
		out = append(out, cr.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Case < out[j].Case })
	return out
}

// Set changes the target of a running case's current stage; name may be
// empty when one case runs. by says where the change came from, for the
// report. It fails when no such case runs or its stage is not manual.
func (c *Control) Set(name string, target float64, by string) (CaseStatus, error) {
	if target < 0 || math.IsNaN(target) || math.IsInf(target, 0) {
		return CaseStatus{}, fmt.Errorf("target must be a number ≥ 0, got %v", target)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cr := c.cases[name]
	if name == "" && len(c.cases) == 1 {
		for _, only := range c.cases {
			cr = only
		}
	}
	if cr == nil {
		names := make([]string, 0, len(c.cases))
		for n := range c.cases {
			names = append(names, n)
		}
		sort.Strings(names)
		if name == "" {
			return CaseStatus{}, fmt.Errorf("name the case: running %v", names)
		}
		return CaseStatus{}, fmt.Errorf("no running case %q: running %v", name, names)
	}
	return cr.setManual(target, by)
}

func (c *Control) register(cr *caseRun) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.cases[cr.plan.Name] = cr
	c.mu.Unlock()
}

func (c *Control) unregister(cr *caseRun) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.cases, cr.plan.Name)
	c.mu.Unlock()
}

// manualState is a case's current stage as regulation sees it; the
// scheduler goroutine reads the override each tick.
type manualState struct {
	mu       sync.Mutex
	stage    string
	mode     string
	manual   bool
	rate     bool    // the target is passes per second, not VUs
	target   float64 // the shape's current target
	override float64 // NaN: none
	changes  []metrics.Change
}

func (cr *caseRun) status() CaseStatus {
	m := &cr.manual
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.target
	if !math.IsNaN(m.override) {
		t = m.override
	}
	return CaseStatus{Case: cr.plan.Name, Stage: m.stage, Mode: m.mode, Manual: m.manual, Rate: m.rate, Target: t, VUs: int(cr.active.Load())}
}

func (cr *caseRun) setManual(target float64, by string) (CaseStatus, error) {
	m := &cr.manual
	m.mu.Lock()
	if !m.manual {
		m.mu.Unlock()
		return CaseStatus{}, fmt.Errorf("case %q: stage %q is not manual; add manual: true to it", cr.plan.Name, m.stage)
	}
	// A target the machine cannot hold would take the run, and its
	// reports, down with it.
	if limit := cr.manualLimit(m.rate); target > limit {
		m.mu.Unlock()
		if m.rate {
			return CaseStatus{}, fmt.Errorf("case %q: target %v is over the cap of %.0f passes a second", cr.plan.Name, target, limit)
		}
		return CaseStatus{}, fmt.Errorf("case %q: target %v is over what this machine can hold (%.0f VUs); the limit follows the open-files limit (ulimit -n) and the memory available", cr.plan.Name, target, limit)
	}
	m.override = target
	m.changes = append(m.changes, metrics.Change{Time: time.Now(), Stage: m.stage, Target: target, By: by})
	m.mu.Unlock()
	return cr.status(), nil
}

// beginStage resets regulation for a new stage.
func (cr *caseRun) beginStage(name, mode string, manual, rate bool) {
	m := &cr.manual
	m.mu.Lock()
	m.stage, m.mode, m.manual, m.rate, m.override = name, mode, manual, rate, math.NaN()
	m.mu.Unlock()
}

// endManual refuses further changes once a stage is over: a change made
// between stages would be logged but never applied.
func (cr *caseRun) endManual() {
	m := &cr.manual
	m.mu.Lock()
	m.manual = false
	m.mu.Unlock()
}

// taken returns the changes made, for the report.
func (m *manualState) taken() []metrics.Change {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]metrics.Change(nil), m.changes...)
}

// manualLimit is the highest target a person may set: no more VUs than
// the machine holds (open files for their connections, memory), and no
// rate past the cap validate puts on a scenario's.
func (cr *caseRun) manualLimit(rate bool) float64 {
	if rate {
		return scenario.MaxTPS
	}
	return float64(ThisMachine().maxVUs(cr.need))
}

// regulated returns the target the scheduler should use: the shape's, or
// a person's override.
func (cr *caseRun) regulated(shape float64) float64 {
	m := &cr.manual
	m.mu.Lock()
	defer m.mu.Unlock()
	m.target = shape
	if !math.IsNaN(m.override) {
		return m.override
	}
	return shape
}
