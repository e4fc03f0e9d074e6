package perftest

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/scenario"
)

// This file converts a pressure stage, reading only the fields its
// pressure mode uses and noting the others.

// ptStageReads lists the stage fields each pressure mode reads, beside
// name, pressure_mode and perfcase; docs/perftest-json.md has the same
// table. Some count only sometimes (see stageReads): time and count by
// operate_mode, voltage_regulating_mode in duration mode, a concurrency
// stage's ramp_up only with a current_user_num to ramp from, and a TPS
// stage's current_tps in count mode only with perfcase.ramp_up, since a
// count has no length to ramp over.
var ptStageReads = map[scenario.PressureMode][]string{
	scenario.ModeConcurrency:          {"operate_mode", "time", "count", "voltage_regulating_mode", "issue_num", "current_user_num", "ramp_up"},
	scenario.ModeTPS:                  {"operate_mode", "time", "count", "voltage_regulating_mode", "tps_value", "current_tps", "issue_num"},
	scenario.ModePeakProbe:            {"time", "current_user_num", "issue_num", "ramp_up", "peak_load_kpis"},
	scenario.ModeSurgeConcurrency:     {"time", "minimum", "maximum", "loop_count", "max_duration"},
	scenario.ModeSurgeTPS:             {"time", "minimum", "maximum", "loop_count", "max_duration", "issue_num"},
	scenario.ModeOscillateConcurrency: {"time", "minimum", "maximum", "loop_count"},
	scenario.ModeOscillateTPS:         {"time", "minimum", "maximum", "loop_count", "issue_num"},
	scenario.ModeStepProbe:            {"time", "current_user_num", "issue_num", "step_size", "step_duration", "peak_load_kpis"},
}

// stageReads is the part of ptStageReads that counts for this stage, whose
// perfcase key holds ext.
func stageReads(st *TestCaseStage, mode scenario.PressureMode, ext *StageExt) []string {
	var out []string
	byCount := (mode == scenario.ModeConcurrency || mode == scenario.ModeTPS) && st.OperateMode == 1
	for _, f := range ptStageReads[mode] {
		switch {
		case f == "time" && byCount, f == "count" && !byCount, f == "voltage_regulating_mode" && byCount:
		case f == "ramp_up" && mode == scenario.ModeConcurrency && st.CurrentUserNum == nil:
		case f == "current_tps" && byCount && ext.RampUp == 0:
		default:
			out = append(out, f)
		}
	}
	return out
}

// stageValues lists the stage fields that carry a value other than the
// default (absent, 0, null, {}), in the reference's order.
func stageValues(st *TestCaseStage) []string {
	set := []struct {
		name string
		on   bool
	}{
		{"operate_mode", st.OperateMode != 0},
		{"time", st.Time != 0},
		{"count", st.Count != 0},
		{"start_time", st.StartTime != 0},
		{"end_time", st.EndTime != 0},
		{"issue_num", st.IssueNum != 0},
		{"current_user_num", st.CurrentUserNum != nil && *st.CurrentUserNum != 0},
		{"tps_value", st.TPSValue != 0},
		{"current_tps", st.CurrentTPS != nil && *st.CurrentTPS != 0},
		{"voltage_regulating_mode", st.VoltageRegulatingMode != 0},
		{"maximum", st.Maximum != 0},
		{"minimum", st.Minimum != 0},
		{"loop_count", st.LoopCount != 0},
		{"max_duration", st.MaxDuration != 0},
		{"ramp_up", st.RampUp != 0},
		{"peak_load_kpis", st.PeakLoadKpis != nil && *st.PeakLoadKpis != StageKpis{}},
		{"step_duration", st.StepDuration != 0},
		{"step_size", st.StepSize != 0},
	}
	var out []string
	for _, f := range set {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}

// ignoredHints say, for the fields users most often expect to count, what
// does instead.
var ignoredHints = map[string]string{
	"operate_mode": "only concurrency and TPS stages run by count; this stage runs for time",
	"count":        "count is read in count mode (operate_mode 1)",
	"time":         "in count mode (operate_mode 1) the stage ends after count sends",
}

// noteIgnored notes every field of a stage that carries a value its mode
// does not read: the PerfTest UI keeps every mode's values in each stage.
func (im *importer) noteIgnored(st *TestCaseStage, mode scenario.PressureMode, ext *StageExt, path string) []string {
	reads := stageReads(st, mode, ext)
	what := fmt.Sprintf("a %s stage (pressure_mode %d)", pressureModes[int(mode)], mode)
	for _, f := range stageValues(st) {
		if slices.Contains(reads, f) {
			continue
		}
		hint := ignoredHints[f]
		switch {
		case f == "ramp_up" && mode == scenario.ModeConcurrency:
			hint = "ramp_up is the time from current_user_num to issue_num; without current_user_num the stage starts at issue_num"
		case f == "ramp_up" && mode == scenario.ModeTPS:
			hint = "PerfTest's ramp_up belongs to peak probing; a TPS stage ramps from current_tps over the whole stage, or over perfcase.ramp_up"
		case f == "voltage_regulating_mode" && (mode == scenario.ModeConcurrency || mode == scenario.ModeTPS):
			hint = "manual regulation applies to duration stages"
		case f == "voltage_regulating_mode":
			hint = "manual regulation applies to concurrency and TPS stages"
		case f == "current_tps":
			hint = "a count has no length to ramp over: the stage runs at tps_value (perfcase.ramp_up gives it a ramp)"
		}
		im.notef(path+"."+f, hint, "ignored: %s does not read %s", what, f)
	}
	return reads
}

func (im *importer) stage(st *TestCaseStage, path string) *scenario.Stage {
	s := &scenario.Stage{Name: st.Name}
	im.mark(s, "", path)
	im.mark(s, "name", path+".name")
	if _, ok := pressureModes[st.PressureMode]; !ok {
		im.unknownCode(path+".pressure_mode", st.PressureMode, pressureModes)
		return s
	}
	s.Mode = scenario.PressureMode(st.PressureMode)
	var ext StageExt
	if !isJSONNull(st.Perfcase) {
		im.decode(st.Perfcase, path+".perfcase", &ext, true)
	}
	reads := im.noteIgnored(st, s.Mode, &ext, path)
	// Only concurrency and TPS stages have an execution strategy (duration
	// or count) and manual regulation; the other modes run for time.
	open := s.Mode == scenario.ModeConcurrency || s.Mode == scenario.ModeTPS
	if open {
		if _, ok := operateModes[st.OperateMode]; !ok {
			im.unknownCode(path+".operate_mode", st.OperateMode, operateModes)
		}
	}
	if open && st.OperateMode == 1 {
		s.Count = st.Count
		im.mark(s, "count", path+".count")
	} else {
		s.Duration = im.seconds(path+".time", st.Time)
		im.mark(s, "duration", path+".time")
	}
	if open && st.OperateMode == 0 {
		if _, ok := regulateModes[st.VoltageRegulatingMode]; !ok {
			im.unknownCode(path+".voltage_regulating_mode", st.VoltageRegulatingMode, regulateModes)
		}
		s.Manual = st.VoltageRegulatingMode == 1
		im.mark(s, "manual", path+".voltage_regulating_mode")
	}
	probe := s.Mode == scenario.ModePeakProbe || s.Mode == scenario.ModeStepProbe
	if !probe && (len(ext.KPIs) > 0 || ext.StopAtPeak) {
		im.errorf(path+".perfcase", "remove kpis and stop_at_peak, or use pressure_mode 2 or 7", "kpis and stop_at_peak apply to probing stages")
	}
	if s.Mode != scenario.ModeTPS && ext.RampUp != 0 {
		im.errorf(path+".perfcase.ramp_up", "remove it; PerfTest's own ramp_up serves concurrency and peak probing stages", "perfcase.ramp_up applies to TPS stages")
	}
	switch s.Mode {
	case scenario.ModeConcurrency:
		s.VUs, s.StartVUs = st.IssueNum, st.IssueNum
		im.mark(s, "concurrency", path+".issue_num")
		if st.CurrentUserNum != nil {
			s.StartVUs = *st.CurrentUserNum
			s.RampUp = im.seconds(path+".ramp_up", st.RampUp)
			im.mark(s, "start_vus", path+".current_user_num")
			im.mark(s, "ramp_up", path+".ramp_up")
		}
	case scenario.ModeTPS:
		s.TPS, s.StartTPS, s.VUs = st.TPSValue, st.TPSValue, st.IssueNum
		if st.CurrentTPS != nil && slices.Contains(reads, "current_tps") {
			s.StartTPS = *st.CurrentTPS
		}
		s.RampUp = im.seconds(path+".perfcase.ramp_up", ext.RampUp)
		im.mark(s, "tps", path+".tps_value")
		im.mark(s, "start_tps", path+".current_tps")
		im.mark(s, "max_vus", path+".issue_num")
		im.mark(s, "ramp_up", path+".perfcase.ramp_up")
	case scenario.ModePeakProbe, scenario.ModeStepProbe:
		if st.CurrentUserNum != nil {
			s.StartVUs = *st.CurrentUserNum
		}
		s.VUs = st.IssueNum
		if s.Mode == scenario.ModePeakProbe {
			s.RampUp = im.seconds(path+".ramp_up", st.RampUp)
		} else {
			s.StepSize = st.StepSize
			s.StepTime = im.seconds(path+".step_duration", st.StepDuration)
		}
		s.StopAtPeak = ext.StopAtPeak
		kpis := path + ".peak_load_kpis"
		if ext.KPIs != nil {
			kpis = path + ".perfcase.kpis"
			s.KPIs = im.kpis(ext.KPIs, kpis)
		} else {
			s.KPIs = im.stageKPIs(st.PeakLoadKpis, kpis)
		}
		for key, field := range map[string]string{s.Mode.String(): "pressure_mode", "start": "current_user_num", "max": "issue_num", "ramp_up": "ramp_up",
			"step_size": "step_size", "step_duration": "step_duration", "stop_at_peak": "perfcase.stop_at_peak"} {
			im.mark(s, key, path+"."+field)
		}
		im.mark(s, "kpis", kpis)
	default: // surge and oscillation
		s.Min, s.Max, s.Loops = st.Minimum, st.Maximum, st.LoopCount
		if s.Mode == scenario.ModeSurgeConcurrency || s.Mode == scenario.ModeSurgeTPS {
			s.Hold = im.seconds(path+".max_duration", st.MaxDuration)
		}
		if s.Mode == scenario.ModeSurgeTPS || s.Mode == scenario.ModeOscillateTPS {
			s.VUs = st.IssueNum
		}
		for key, field := range map[string]string{s.Mode.String(): "pressure_mode", "min": "minimum", "max": "maximum", "loops": "loop_count",
			"hold": "max_duration", "max_vus": "issue_num"} {
			im.mark(s, key, path+"."+field)
		}
	}
	return s
}

// comparisons are the comparison values of PerfTest's peak_load_kpis.
var comparisons = []string{"<", "<=", ">", ">=", "==", "!="}

func (im *importer) stageKPIs(k *StageKpis, path string) []*scenario.KPICheck {
	if k == nil {
		return nil
	}
	var out []*scenario.KPICheck
	add := func(item *StageKpiItem, metric, unit, field string) {
		if item == nil {
			return
		}
		if !slices.Contains(comparisons, item.Comparison) {
			im.errorf(path+"."+field+".comparison", "use one of <, <=, >, >=, ==, !=", "unknown comparison %q", item.Comparison)
			return
		}
		src := fmt.Sprintf("%s %s %s%s", metric, item.Comparison, strconv.FormatFloat(item.Value, 'f', -1, 64), unit)
		out = append(out, &scenario.KPICheck{Source: src, Metric: metric, Def: metrics.KPIs.Lookup(metric), Op: item.Comparison, Value: item.Value})
	}
	add(k.AverageResponseTime, "avg_rt", "ms", "average_response_time")
	add(k.SuccessRate, "success_rate", "%", "success_rate")
	return out
}

// cards converts a list of cards. A card whose content_id is not zero is a
// transaction: either a bare reference, or a run of cards carrying the
// transaction's steps. Inside transaction ownID, cards carry its own id
// (as in the reference's §4.5.3 example) and are ordinary cards.
