package scenario

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var stageCommonKeys = []string{"name", "duration", "count", "manual", "max_vus", "start_vus", "start_tps", "ramp_up"}

// stageAllowed lists the stage-level keys each mode accepts beside its own.
var stageAllowed = map[string][]string{
	"concurrency":           {"start_vus", "ramp_up", "manual"},
	"tps":                   {"start_tps", "ramp_up", "max_vus", "manual"},
	"peak_probe":            {},
	"surge_concurrency":     {},
	"surge_tps":             {"max_vus"},
	"oscillate_concurrency": {},
	"oscillate_tps":         {"max_vus"},
	"step_probe":            {},
}

var probeKeys = []string{"start", "max", "ramp_up", "kpis", "stop_at_peak"}
var stepProbeKeys = []string{"start", "max", "step_size", "step_duration", "kpis", "stop_at_peak"}
var waveKeys = []string{"min", "max", "loops", "hold"}

func (w *walker) stage(n *yaml.Node) *Stage {
	m := w.asMapping(n, "stage", append(append([]string{}, stageCommonKeys...), stageKeys...)...)
	if m == nil {
		return nil
	}
	st := &Stage{Pos: w.pos(m.node)}
	if nm := m.get("name"); nm != nil {
		st.Name = w.str(nm, "name")
	}
	modes := m.present(stageKeys...)
	if len(modes) != 1 {
		if len(modes) == 0 {
			w.errorf(m.node, "e.g. {concurrency: 10, duration: 1m} or {tps: 100, duration: 1m}", "a stage needs one load shape: %s", strings.Join(stageKeys, ", "))
		} else {
			w.errs.add(m.keyPos(modes[1]), "put each shape in its own stage", "a stage has one load shape; %s and %s both given", modes[0], modes[1])
		}
		return nil
	}
	mode := modes[0]
	for i, k := range stageKeys {
		if k == mode {
			st.Mode = PressureMode(i)
		}
	}
	for _, key := range m.present(stageCommonKeys...) {
		if key != "name" && key != "duration" && key != "count" && !contains(stageAllowed[mode], key) {
			w.errs.add(m.keyPos(key), "", "key %q does not apply to a %s stage", key, mode)
		}
	}
	if d := m.get("duration"); d != nil {
		st.Duration = w.duration(d, "duration")
	}
	if c := m.get("count"); c != nil {
		st.Count = w.integer(c, "count")
		if st.Count < 1 {
			w.errorf(c, "", "count must be at least 1")
		}
	}
	switch {
	case m.has("duration") && m.has("count"):
		w.errs.add(m.keyPos("count"), "a stage runs for a duration or until a count of sends, not both", "stage has both duration and count")
	case !m.has("duration") && !m.has("count"):
		w.errorf(m.node, "add duration: 1m, or count: 1000 (concurrency and tps stages)", "stage %s needs a duration or a count", stageLabel(st))
	case st.Count > 0 && st.Mode != ModeConcurrency && st.Mode != ModeTPS:
		w.errs.add(m.keyPos("count"), "use duration: for this shape", "count mode applies to concurrency and tps stages only")
	case m.has("duration") && st.Duration == 0:
		w.errs.add(m.keyPos("duration"), "give a positive duration", "stage %s has a zero duration", stageLabel(st))
	}
	if v := m.get("manual"); v != nil {
		st.Manual = w.boolean(v, "manual")
		if st.Manual && st.Count > 0 {
			w.errs.add(m.keyPos("manual"), "", "manual regulation applies to duration stages only")
		}
	}
	if v := m.get("max_vus"); v != nil {
		st.VUs = w.nonNegInt(v, "max_vus")
	}
	if v := m.get("ramp_up"); v != nil {
		st.RampUp = w.duration(v, "ramp_up")
	}
	st.at = keyPositions(m, nil)
	mv := m.get(mode)
	rampPos := m.keyPos("ramp_up")
	switch st.Mode {
	case ModeConcurrency:
		st.VUs = w.nonNegInt(mv, "concurrency")
		if st.VUs < 1 {
			w.errorf(mv, "", "concurrency must be at least 1")
		}
		// ramp_up alone ramps from zero, as k6's ramping stages do.
		st.StartVUs = st.VUs
		if m.has("ramp_up") {
			st.StartVUs = 0
		}
		if v := m.get("start_vus"); v != nil {
			st.StartVUs = w.nonNegInt(v, "start_vus")
			if st.StartVUs > st.VUs {
				w.errorf(v, "start_vus ramps up to concurrency", "start_vus %d is above concurrency %d", st.StartVUs, st.VUs)
			}
		}
	case ModeTPS:
		st.TPS = w.number(mv, "tps")
		if st.TPS <= 0 {
			w.errorf(mv, "", "tps must be above 0")
		}
		st.StartTPS = st.TPS
		if m.has("ramp_up") {
			st.StartTPS = 0
		}
		if v := m.get("start_tps"); v != nil {
			st.StartTPS = w.number(v, "start_tps")
			if st.StartTPS < 0 || st.StartTPS > st.TPS {
				w.errorf(v, "start_tps ramps up to tps", "start_tps %g must be between 0 and tps %g", st.StartTPS, st.TPS)
			}
		}
	case ModePeakProbe:
		pm := w.asMapping(mv, "peak_probe", probeKeys...)
		keyPositions(pm, st.at)
		w.probe(pm, st, "ramp_up")
		if pm != nil {
			rampPos = pm.keyPos("ramp_up")
		}
	case ModeStepProbe:
		pm := w.asMapping(mv, "step_probe", stepProbeKeys...)
		keyPositions(pm, st.at)
		w.probe(pm, st, "step")
	default:
		wm := w.asMapping(mv, mode, waveKeys...)
		keyPositions(wm, st.at)
		w.wave(wm, st, mode)
	}
	if st.Count > 0 && st.RampUp == 0 && (m.has("start_vus") && st.StartVUs != st.VUs || m.has("start_tps") && st.StartTPS != st.TPS) {
		w.errorf(m.node, "add ramp_up: how long to climb from the start value", "a count stage with a start value needs ramp_up")
	}
	if st.Duration > 0 && st.RampUp > st.Duration {
		w.errs.add(rampPos, "shorten ramp_up or lengthen the stage", "ramp_up %v is longer than the stage (%v)", st.RampUp, st.Duration)
	}
	return st
}

// keyPositions adds where each key of m was written to at (made when nil).
func keyPositions(m *mapping, at map[string]Pos) map[string]Pos {
	if at == nil {
		at = map[string]Pos{}
	}
	if m != nil {
		for _, k := range m.order {
			at[k] = m.keyPos(k)
		}
	}
	return at
}

func stageLabel(st *Stage) string {
	if st.Name != "" {
		return "\"" + st.Name + "\""
	}
	return "(" + st.Mode.String() + ")"
}

func (w *walker) probe(pm *mapping, st *Stage, kind string) {
	if pm == nil {
		return
	}
	for _, k := range []string{"start", "max"} {
		if !pm.has(k) {
			w.errorf(pm.node, "e.g. {start: 10, max: 500, ...}", "%s needs %s", st.Mode, k)
		}
	}
	st.StartVUs = w.nonNegInt(pm.get("start"), "start")
	st.VUs = w.nonNegInt(pm.get("max"), "max")
	if pm.has("max") && st.VUs < 1 {
		w.errs.add(pm.keyPos("max"), "", "max must be at least 1")
	}
	if st.VUs < st.StartVUs {
		w.errs.add(pm.keyPos("max"), "max is where probing stops", "max %d is below start %d", st.VUs, st.StartVUs)
	}
	if kind == "ramp_up" {
		if !pm.has("ramp_up") {
			w.errorf(pm.node, "e.g. ramp_up: 2m", "peak_probe needs ramp_up: how long to climb from start to max")
		}
		st.RampUp = w.duration(pm.get("ramp_up"), "ramp_up")
	} else {
		if !pm.has("step_size") || !pm.has("step_duration") {
			w.errorf(pm.node, "e.g. {start: 10, max: 200, step_size: 10, step_duration: 30s}", "step_probe needs step_size and step_duration")
		}
		st.StepSize = w.nonNegInt(pm.get("step_size"), "step_size")
		if pm.has("step_size") && st.StepSize < 1 {
			w.errs.add(pm.keyPos("step_size"), "", "step_size must be at least 1")
		}
		if n := pm.get("step_duration"); n != nil {
			st.StepTime = w.duration(n, "step_duration")
			if st.StepTime == 0 {
				w.errs.add(pm.keyPos("step_duration"), "", "step_duration must be positive")
			}
		}
	}
	if k := pm.get("kpis"); k != nil {
		st.KPIs = w.kpiList(k, "kpis")
	} else {
		w.errorf(pm.node, "e.g. kpis: [avg_rt <= 500ms, success_rate >= 99]", "%s needs kpis: what must hold for a load to count as sustained", st.Mode)
	}
	if s := pm.get("stop_at_peak"); s != nil {
		st.StopAtPeak = w.boolean(s, "stop_at_peak")
	}
}

func (w *walker) wave(wm *mapping, st *Stage, mode string) {
	if wm == nil {
		return
	}
	for _, k := range []string{"min", "max", "loops"} {
		if !wm.has(k) {
			w.errorf(wm.node, "e.g. {min: 10, max: 100, loops: 3}", "%s needs %s", mode, k)
		}
	}
	surge := st.Mode == ModeSurgeConcurrency || st.Mode == ModeSurgeTPS
	if surge && !wm.has("hold") {
		w.errorf(wm.node, "e.g. hold: 15s", "%s needs hold: how long each peak lasts", mode)
	}
	if !surge && wm.has("hold") {
		w.errs.add(wm.keyPos("hold"), "", "hold applies to surge stages only")
	}
	st.Min, st.Max = w.number(wm.get("min"), "min"), w.number(wm.get("max"), "max")
	if st.Min < 0 {
		w.errs.add(wm.keyPos("min"), "", "min must not be negative")
	}
	if st.Max < st.Min {
		w.errs.add(wm.keyPos("max"), "swap them", "max %g is below min %g", st.Max, st.Min)
	}
	if wm.has("max") && st.Max <= 0 {
		w.errs.add(wm.keyPos("max"), "", "max must be above 0")
	}
	if st.Mode == ModeSurgeConcurrency || st.Mode == ModeOscillateConcurrency {
		if st.Min != float64(int64(st.Min)) || st.Max != float64(int64(st.Max)) {
			w.errorf(wm.node, "", "concurrency bounds are whole numbers")
		}
	}
	st.Loops = w.nonNegInt(wm.get("loops"), "loops")
	if wm.has("loops") && st.Loops < 1 {
		w.errs.add(wm.keyPos("loops"), "", "loops must be at least 1")
	}
	if h := wm.get("hold"); h != nil {
		st.Hold = w.duration(h, "hold")
		if st.Hold == 0 {
			w.errs.add(wm.keyPos("hold"), "a surge needs time at max, e.g. hold: 15s", "hold must be positive")
		}
	}
	if st.Duration > 0 && st.Loops > 0 && st.Duration/time.Duration(st.Loops) < time.Second {
		w.errs.add(wm.keyPos("loops"), "each loop is shorter than a second, below what a load generator can shape", "%d loops in %v is too many", st.Loops, st.Duration)
	}
	if surge && st.Duration > 0 && st.Loops > 0 && time.Duration(st.Loops)*st.Hold >= st.Duration {
		w.errs.add(wm.keyPos("hold"), "the stage must also spend time at min between peaks", "%d peaks of %v do not fit in the stage's %v", st.Loops, st.Hold, st.Duration)
	}
}
