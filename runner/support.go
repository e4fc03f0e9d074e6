package runner

import (
	"strings"

	"github.com/perfcase/perfcase/metrics"
	"github.com/perfcase/perfcase/protocols"
	"github.com/perfcase/perfcase/scenario"
)

// Check reports what a plan asks for that this runner cannot do yet, each
// at its position, so that nothing is silently skipped: a scenario using
// it is refused before anything runs.
func Check(plan *scenario.Plan) scenario.ErrorList {
	var errs scenario.ErrorList
	add := func(pos scenario.Pos, what, hint string) {
		errs = append(errs, &scenario.Error{Pos: pos, Msg: what + " is not supported by the run engine yet", Hint: hint})
	}
	for _, cp := range withHooks(plan) {
		if cp.Disabled {
			continue
		}
		for _, st := range cp.Stages {
			for _, k := range st.KPIs {
				if k.Def.Window == nil {
					errs = append(errs, windowError(k, "a probing KPI"))
				}
			}
		}
		for _, r := range cp.SLA {
			if r.KPI != nil && r.KPI.Def.Window == nil {
				errs = append(errs, windowError(r.KPI, "an sla rule"))
			}
		}
		driverless := func(n *scenario.RequestNode) {
			if _, ok := protocols.For(n.Protocol); !ok {
				add(n.Pos, "a "+n.Protocol.String()+" request", "perfcase has no "+n.Protocol.String()+" runtime yet; disable the step to run the rest")
			}
		}
		walkRequests(cp.Setup, driverless)
		walkRequests(cp.Steps, driverless)
	}
	errs.Sort()
	return errs
}

// withHooks is the plan's cases with its test-wide before: and after:
// steps, in the order they run.
func withHooks(plan *scenario.Plan) []*scenario.CasePlan {
	var all []*scenario.CasePlan
	if plan.Before != nil {
		all = append(all, plan.Before)
	}
	all = append(all, plan.Cases...)
	if plan.After != nil {
		all = append(all, plan.After)
	}
	return all
}

// protocolsOf lists the protocols a case uses, spelled as the report does.
func protocolsOf(cp *scenario.CasePlan) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range cp.Requests {
		p := r.Protocol.Title()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// modeName is the report's name for a case's pressure mode, taken from
// its first stage.
func modeName(cp *scenario.CasePlan) string {
	if len(cp.Stages) == 0 {
		return ""
	}
	return stageMode(cp.Stages[0]) + "_mode"
}

func stageMode(st *scenario.Stage) string { return st.Mode.String() }

// judge evaluates the KPIs of a finished case, each as its metric's row
// of metrics.KPIs says. A case's own KPIs judge its requests taken
// together (PerfTest's case row), except those on passes (tps and
// transactions count PerfTest's transactions). A request's or a
// transaction's KPIs judge that series.
func judge(cp *scenario.CasePlan, res *metrics.CaseResult) {
	st := res.Stats
	d := st.Duration()
	pass := st.Series[len(st.Series)-1]
	for _, k := range cp.KPIs {
		if k.Def.OnExtra != nil {
			res.KPIs = append(res.KPIs, kpiResult(k, "", k.Def.OnExtra(customStats(st, k.Def.Extra), d)))
			continue
		}
		s := st.Requests
		if k.Def.OnPasses {
			s = pass
		}
		res.KPIs = append(res.KPIs, kpiResult(k, "", k.Def.Run(s, d)))
	}
	for i, r := range cp.Requests {
		for _, k := range r.KPIs {
			res.KPIs = append(res.KPIs, kpiResult(k, r.Name, k.Def.Run(st.Series[i], d)))
		}
	}
	for i, t := range cp.Transactions {
		for _, k := range t.KPIs {
			res.KPIs = append(res.KPIs, kpiResult(k, t.Name, k.Def.Run(st.Series[len(cp.Requests)+i], d)))
		}
	}
}

// customStats is the case's custom metric of that name; an empty one
// when it recorded nothing.
func customStats(st *metrics.CaseStats, name string) *metrics.ExtraStats {
	for _, x := range st.Extras {
		if x.Custom && x.Name == name {
			return x
		}
	}
	return &metrics.ExtraStats{}
}

func kpiResult(k *scenario.KPICheck, series string, obs float64) metrics.KPIResult {
	return metrics.KPIResult{Source: k.Source, Series: series, Metric: k.Metric, Op: k.Op, Threshold: k.Value, Observed: obs, Pass: k.Holds(obs)}
}

// stageLabel names a stage for people: its name, or its mode.
func stageLabel(st *scenario.Stage) string {
	if st.Name != "" {
		return st.Name
	}
	return st.Mode.String()
}

// windowError refuses a KPI that cannot be judged on a few seconds of
// counts, as SLA rules and probes judge them.
func windowError(k *scenario.KPICheck, what string) *scenario.Error {
	return &scenario.Error{Pos: k.Pos, Msg: what + " cannot use " + k.Metric + ": it is judged on a few seconds' counts, which give no percentiles, minimum or maximum",
		Hint: "use one of " + strings.Join(metrics.KPIs.WindowNames(), ", ")}
}
